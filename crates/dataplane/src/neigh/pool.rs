//! The preallocated frame pool behind the per-entry unresolved queues.
//!
//! Owns the bytes of every frame waiting for address resolution: one fixed-size slot per
//! frame, allocated once at start, chained into FIFO lists (one per INCOMPLETE entry, or one per
//! [`Frames`] handed out in an action). Queuing a frame is a copy into a free slot: no
//! allocation per packet. It knows nothing about neighbour states or timers.

use std::fmt;
use std::sync::Arc;

use parking_lot::Mutex;

/// End of a list / no slot.
pub(crate) const NIL: u32 = u32::MAX;

/// Bytes the kernel charges per queued frame on top of its length (`SKB_TRUESIZE` overhead:
/// aligned `struct sk_buff` + `struct skb_shared_info`), so that `unres_qlen_bytes` 212992
/// holds 101 full-size Ethernet frames as `unres_qlen` 101 says.
pub const SKB_OVERHEAD: usize = 576;

/// The charge of one queued frame against `unres_qlen_bytes`.
pub fn truesize(len: usize) -> usize {
    len + SKB_OVERHEAD
}

/// Fixed-size frame slots with a free list.
pub(crate) struct Pool {
    slot_size: usize,
    data: Vec<u8>,
    lens: Vec<u32>,
    next: Vec<u32>,
    free: u32,
    nfree: usize,
}

impl Pool {
    pub(crate) fn new(frames: usize, slot_size: usize) -> Pool {
        // Slot indexes are u32 with NIL reserved.
        let frames = frames.min((u32::MAX - 1) as usize);
        let mut next = Vec::with_capacity(frames);
        for i in 0..frames {
            next.push(if i + 1 < frames { (i + 1) as u32 } else { NIL });
        }
        Pool {
            slot_size,
            data: vec![0; frames.saturating_mul(slot_size)],
            lens: vec![0; frames],
            next,
            free: if frames > 0 { 0 } else { NIL },
            nfree: frames,
        }
    }

    pub(crate) fn slot_size(&self) -> usize {
        self.slot_size
    }

    #[cfg(test)]
    pub(crate) fn free_slots(&self) -> usize {
        self.nfree
    }

    /// Copies `frame` into a free slot; `None` when the pool is empty or the frame too long.
    pub(crate) fn alloc(&mut self, frame: &[u8]) -> Option<u32> {
        if frame.len() > self.slot_size || self.free == NIL {
            return None;
        }
        let i = self.free;
        let iu = i as usize;
        self.free = self.next[iu];
        self.next[iu] = NIL;
        self.nfree -= 1;
        let off = iu * self.slot_size;
        self.data[off..off + frame.len()].copy_from_slice(frame);
        self.lens[iu] = frame.len() as u32;
        Some(i)
    }

    fn release(&mut self, i: u32) {
        let iu = i as usize;
        self.next[iu] = self.free;
        self.free = i;
        self.nfree += 1;
    }

    pub(crate) fn frame(&self, i: u32) -> &[u8] {
        let iu = i as usize;
        let off = iu * self.slot_size;
        &self.data[off..off + self.lens[iu] as usize]
    }

    /// Appends slot `i` (already filled) to `list`.
    pub(crate) fn push_back(&mut self, list: &mut List, i: u32) {
        self.next[i as usize] = NIL;
        if list.tail == NIL {
            list.head = i;
        } else {
            self.next[list.tail as usize] = i;
        }
        list.tail = i;
        list.len += 1;
        list.bytes += truesize(self.lens[i as usize] as usize);
    }

    /// Unlinks the oldest slot of `list` (the caller frees or reuses it).
    pub(crate) fn pop_front(&mut self, list: &mut List) -> Option<u32> {
        if list.head == NIL {
            return None;
        }
        let i = list.head;
        list.head = self.next[i as usize];
        if list.head == NIL {
            list.tail = NIL;
        }
        self.next[i as usize] = NIL;
        list.len -= 1;
        list.bytes -= truesize(self.lens[i as usize] as usize);
        Some(i)
    }

    /// Frees every slot of `list`.
    pub(crate) fn purge(&mut self, list: &mut List) {
        while let Some(i) = self.pop_front(list) {
            self.release(i);
        }
    }

    /// Frees the oldest slot of `list`; true if there was one.
    pub(crate) fn drop_front(&mut self, list: &mut List) -> bool {
        match self.pop_front(list) {
            Some(i) => {
                self.release(i);
                true
            }
            None => false,
        }
    }
}

/// A FIFO of pool slots: the unresolved queue of one entry (`arp_queue`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct List {
    pub(crate) head: u32,
    pub(crate) tail: u32,
    pub(crate) len: u32,
    /// Sum of [`truesize`] of the frames (`arp_queue_len_bytes`).
    pub(crate) bytes: usize,
}

impl Default for List {
    fn default() -> List {
        List {
            head: NIL,
            tail: NIL,
            len: 0,
            bytes: 0,
        }
    }
}

/// Frames handed to the caller in an [`super::Action`], oldest first. Each frame is
/// copied out with [`Frames::pop_into`]; the pool slots go back to the pool as they are popped,
/// and the rest when the handle is dropped.
pub struct Frames {
    pool: Arc<Mutex<Pool>>,
    list: List,
}

impl Frames {
    pub(crate) fn new(pool: Arc<Mutex<Pool>>, list: List) -> Frames {
        Frames { pool, list }
    }

    /// Frames left.
    pub fn len(&self) -> usize {
        self.list.len as usize
    }

    pub fn is_empty(&self) -> bool {
        self.list.len == 0
    }

    /// Copies the oldest frame into `out` and frees its slot; returns the frame's length.
    /// If `out` is shorter than the frame, only `out.len()` bytes are copied (the returned
    /// length is still the frame's); a buffer of [`super::Neigh::max_frame_len`] bytes always fits.
    pub fn pop_into(&mut self, out: &mut [u8]) -> Option<usize> {
        let mut pool = self.pool.lock();
        let i = pool.pop_front(&mut self.list)?;
        let f = pool.frame(i);
        let n = f.len().min(out.len());
        out[..n].copy_from_slice(&f[..n]);
        let len = f.len();
        pool.release(i);
        Some(len)
    }
}

impl Drop for Frames {
    fn drop(&mut self) {
        if self.list.len > 0 {
            self.pool.lock().purge(&mut self.list);
        }
    }
}

impl fmt::Debug for Frames {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Frames({})", self.list.len)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fifo_and_free_list() {
        let mut p = Pool::new(3, 8);
        let mut l = List::default();
        for b in [1u8, 2, 3] {
            let i = p.alloc(&[b; 4]).unwrap();
            p.push_back(&mut l, i);
        }
        assert_eq!(p.free_slots(), 0);
        assert!(p.alloc(&[9]).is_none(), "pool exhausted");
        assert_eq!(l.len, 3);
        assert_eq!(l.bytes, 3 * truesize(4));
        assert!(p.drop_front(&mut l));
        let pool = Arc::new(Mutex::new(p));
        let mut f = Frames::new(pool.clone(), l);
        let mut buf = [0u8; 8];
        assert_eq!(f.pop_into(&mut buf), Some(4));
        assert_eq!(&buf[..4], &[2; 4]);
        assert_eq!(f.len(), 1);
        drop(f);
        assert_eq!(pool.lock().free_slots(), 3);
    }

    #[test]
    fn too_long_frame_refused_and_short_buffer_truncates() {
        let mut p = Pool::new(2, 4);
        assert!(p.alloc(&[0; 5]).is_none());
        let mut l = List::default();
        let i = p.alloc(&[7, 8, 9]).unwrap();
        p.push_back(&mut l, i);
        let mut f = Frames::new(Arc::new(Mutex::new(p)), l);
        let mut small = [0u8; 2];
        assert_eq!(f.pop_into(&mut small), Some(3));
        assert_eq!(small, [7, 8]);
        assert_eq!(f.pop_into(&mut small), None);
    }

    #[test]
    fn empty_pool() {
        let mut p = Pool::new(0, 4);
        assert!(p.alloc(&[1]).is_none());
    }
}
