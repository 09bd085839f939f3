//! IPv4 reassembly, as the kernel's conntrack has it done (`nf_defrag_ipv4` →
//! `ip_defrag`): fragments are held until their datagram is whole, then the datagram runs
//! through the pipeline as one packet (conntrack and NAT see its ports), and leaves cut
//! again to the size of its largest original fragment (`IPCB(skb)->frag_max_size`).
//!
//! The table is shared by all workers (fragments of one datagram may reach different
//! workers: fanout hashes a first fragment by its ports, the others by addresses only),
//! behind one lock; it is only taken for fragments. Memory is fixed at construction: a
//! pool of datagram buffers (the kernel's `ipfrag_high_thresh` is 4 MB: 64 x 64 KiB), no
//! allocation per fragment. Rules as `ip_frag_queue`: a queue per (source, destination,
//! id, protocol); a datagram not complete after `ipfrag_time` (30 s) is dropped; a
//! fragment overlapping another one kills its whole queue (`ReasmOverlaps`), an exact
//! duplicate is dropped alone; non-last fragments are cut to a multiple of 8; a datagram
//! beyond 65535 bytes kills its queue.
//!
//! It must not know about routing or rules; it only holds bytes.

use parking_lot::Mutex;

/// Datagrams being reassembled at once (the pool's size).
pub const MAX_QUEUES: usize = 64;
/// Fragments one datagram may have (a 64 KiB datagram of 576-byte fragments has 118).
pub const MAX_PIECES: usize = 192;
/// `net.ipv4.ipfrag_time`.
pub const FRAG_TIMEOUT: u32 = 30;
/// Room of one datagram: the largest IP packet.
const DGRAM: usize = 65_535;

#[derive(Clone, Copy, PartialEq, Eq)]
struct Key {
    src: u32,
    dst: u32,
    id: u16,
    proto: u8,
}

struct Queue {
    key: Option<Key>,
    deadline: u32,
    /// Header of the first fragment (offset 0), once it arrived.
    header: [u8; 60],
    hlen: usize,
    /// Payload length, known once the last fragment (MF clear) arrived.
    total: Option<usize>,
    /// Received payload ranges [start, end), unsorted.
    pieces: [(u16, u16); MAX_PIECES],
    npieces: usize,
    /// Largest fragment seen (whole IP length).
    frag_max: u16,
    data: Box<[u8]>,
}

impl Queue {
    fn new() -> Queue {
        Queue {
            key: None,
            deadline: 0,
            header: [0; 60],
            hlen: 0,
            total: None,
            pieces: [(0, 0); MAX_PIECES],
            npieces: 0,
            frag_max: 0,
            data: vec![0u8; DGRAM].into_boxed_slice(),
        }
    }

    fn reset(&mut self) {
        self.key = None;
        self.hlen = 0;
        self.total = None;
        self.npieces = 0;
        self.frag_max = 0;
    }

    fn complete(&self) -> bool {
        let Some(total) = self.total else {
            return false;
        };
        if self.hlen == 0 {
            return false;
        }
        let covered: usize = self.pieces[..self.npieces]
            .iter()
            .map(|&(a, b)| (b - a) as usize)
            .sum();
        // pieces never overlap (an overlap kills the queue), so their sum is the cover
        covered == total
    }
}

/// What happened to a fragment.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Insert {
    /// Held: the datagram is not whole yet.
    Held,
    /// The datagram is whole: `len` bytes were written to the caller's buffer (a whole IP
    /// packet, not a fragment); it should leave in fragments of at most `frag_max` bytes.
    Done { len: usize, frag_max: u16 },
    /// Dropped: an exact duplicate.
    Duplicate,
    /// Dropped with its whole queue: overlapping fragments, a datagram over 65535 bytes,
    /// or more pieces than [`MAX_PIECES`].
    Killed,
    /// Dropped: every queue is in use (the kernel's `ipfrag_high_thresh`).
    Full,
}

/// The reassembly table.
pub struct Defrag {
    q: Mutex<Vec<Queue>>,
}

impl Default for Defrag {
    fn default() -> Self {
        Defrag::new()
    }
}

impl Defrag {
    /// Allocates the whole pool (about 4 MB) once.
    pub fn new() -> Defrag {
        Defrag {
            q: Mutex::new((0..MAX_QUEUES).map(|_| Queue::new()).collect()),
        }
    }

    /// Datagrams in progress.
    pub fn len(&self) -> usize {
        self.q.lock().iter().filter(|q| q.key.is_some()).count()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Adds one fragment (a checked IPv4 packet with MF set or a non-zero offset); when it
    /// completes its datagram, the datagram is written into `out`.
    pub fn insert(&self, frag: &[u8], now: u32, out: &mut [u8]) -> Insert {
        let hl = ((frag[0] & 0x0f) as usize) * 4;
        let total_len = u16::from_be_bytes([frag[2], frag[3]]) as usize;
        let fw = u16::from_be_bytes([frag[6], frag[7]]);
        let key = Key {
            src: u32::from_be_bytes([frag[12], frag[13], frag[14], frag[15]]),
            dst: u32::from_be_bytes([frag[16], frag[17], frag[18], frag[19]]),
            id: u16::from_be_bytes([frag[4], frag[5]]),
            proto: frag[9],
        };
        let mf = fw & 0x2000 != 0;
        let start = ((fw & 0x1fff) as usize) * 8;
        let mut end = start + total_len.saturating_sub(hl);
        if mf {
            // ip_frag_queue: a non-last fragment's data ends on a multiple of 8
            end &= !7;
        }
        let mut qs = self.q.lock();
        let i = match qs.iter().position(|q| q.key == Some(key)) {
            Some(i) if qs[i].deadline < now => {
                // expired: ip_expire drops it (the ICMP time exceeded it may send is not sent)
                qs[i].reset();
                match free_slot(&mut qs, now) {
                    Some(j) => j,
                    None => return Insert::Full,
                }
            }
            Some(i) => i,
            None => match free_slot(&mut qs, now) {
                Some(j) => j,
                None => return Insert::Full,
            },
        };
        let q = &mut qs[i];
        if q.key.is_none() {
            q.key = Some(key);
            q.deadline = now.saturating_add(FRAG_TIMEOUT);
        }
        if end > DGRAM - 20 || (!mf && q.total.is_some_and(|t| t != end)) {
            q.reset();
            return Insert::Killed;
        }
        if end <= start {
            // nothing (after trimming) to add: an empty piece is a duplicate of nothing
            return Insert::Duplicate;
        }
        if let Some(t) = q.total {
            if end > t {
                q.reset();
                return Insert::Killed;
            }
        }
        for &(a, b) in &q.pieces[..q.npieces] {
            let (a, b) = (a as usize, b as usize);
            if a == start && b == end {
                return Insert::Duplicate;
            }
            if start < b && a < end {
                q.reset();
                return Insert::Killed;
            }
        }
        if q.npieces == MAX_PIECES {
            q.reset();
            return Insert::Killed;
        }
        if !mf {
            if q.pieces[..q.npieces].iter().any(|&(_, b)| b as usize > end) {
                q.reset();
                return Insert::Killed;
            }
            q.total = Some(end);
        }
        q.pieces[q.npieces] = (start as u16, end as u16);
        q.npieces += 1;
        q.data[start..end].copy_from_slice(&frag[hl..hl + (end - start)]);
        q.frag_max = q.frag_max.max(total_len as u16);
        if start == 0 {
            q.header[..hl].copy_from_slice(&frag[..hl]);
            q.hlen = hl;
        }
        if !q.complete() {
            return Insert::Held;
        }
        let (hlen, total) = (q.hlen, q.total.unwrap_or(0));
        let len = hlen + total;
        if out.len() < len {
            q.reset();
            return Insert::Killed;
        }
        out[..hlen].copy_from_slice(&q.header[..hlen]);
        out[hlen..len].copy_from_slice(&q.data[..total]);
        out[2..4].copy_from_slice(&(len as u16).to_be_bytes());
        // whole again: no MF, offset 0; DF as the first fragment had it
        let df = u16::from_be_bytes([out[6], out[7]]) & 0x4000;
        out[6..8].copy_from_slice(&df.to_be_bytes());
        out[10] = 0;
        out[11] = 0;
        let c = ruta_packet::checksum::checksum(&out[..hlen]);
        out[10..12].copy_from_slice(&c.to_be_bytes());
        let frag_max = q.frag_max;
        q.reset();
        Insert::Done { len, frag_max }
    }
}

/// A free queue, reclaiming expired ones.
fn free_slot(qs: &mut [Queue], now: u32) -> Option<usize> {
    for (i, q) in qs.iter_mut().enumerate() {
        if q.key.is_some() && q.deadline < now {
            q.reset();
        }
        if q.key.is_none() {
            return Some(i);
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn datagram(len: usize) -> Vec<u8> {
        datagram_id(len, 0x4242)
    }

    fn datagram_id(len: usize, id: u16) -> Vec<u8> {
        let mut p = vec![0u8; len];
        p[0] = 0x45;
        p[2..4].copy_from_slice(&(len as u16).to_be_bytes());
        p[4..6].copy_from_slice(&id.to_be_bytes());
        p[8] = 64;
        p[9] = 17;
        p[12..16].copy_from_slice(&[198, 18, 0, 1]);
        p[16..20].copy_from_slice(&[198, 19, 0, 2]);
        for (i, b) in p[20..].iter_mut().enumerate() {
            *b = (i * 7 + 3) as u8;
        }
        let c = ruta_packet::checksum::checksum(&p[..20]);
        p[10..12].copy_from_slice(&c.to_be_bytes());
        p
    }

    fn fragments(p: &[u8], mtu: usize) -> Vec<Vec<u8>> {
        let ip = ruta_packet::Ipv4Packet::new_checked(p).unwrap();
        let mut out = vec![0u8; 80_000];
        let mut ends = [0usize; 256];
        let n = ruta_packet::build_fragments(&mut out, &ip, mtu, &mut ends).unwrap();
        let mut v = Vec::new();
        let mut s = 0;
        for e in &ends[..n] {
            v.push(out[s..*e].to_vec());
            s = *e;
        }
        v
    }

    proptest! {
        /// Fragments in any order give back the datagram, once, with the largest fragment
        /// size; duplicates are dropped alone.
        #[test]
        fn any_order_reassembles(len in 100usize..9000, mtu in 68usize..1500, seed in any::<u64>(), dup in any::<bool>()) {
            let p = datagram(len);
            let mut fr = fragments(&p, mtu);
            let max = fr.iter().map(|f| f.len()).max().unwrap();
            // a deterministic shuffle
            let mut s = seed | 1;
            for i in (1..fr.len()).rev() {
                s ^= s << 13; s ^= s >> 7; s ^= s << 17;
                fr.swap(i, (s % (i as u64 + 1)) as usize);
            }
            if dup && fr.len() > 1 {
                let d = fr[0].clone();
                fr.insert(1, d);
            }
            let d = Defrag::new();
            let mut out = vec![0u8; 70_000];
            let mut done = None;
            for (i, f) in fr.iter().enumerate() {
                match d.insert(f, 10, &mut out) {
                    Insert::Done { len, frag_max } => {
                        prop_assert!(done.is_none());
                        prop_assert_eq!(i, fr.len() - 1);
                        done = Some((len, frag_max));
                    }
                    Insert::Held => {}
                    Insert::Duplicate => prop_assert!(dup),
                    other => prop_assert!(false, "{other:?}"),
                }
            }
            let (l, fm) = done.expect("completed");
            prop_assert_eq!(&out[..l], &p[..]);
            prop_assert_eq!(fm as usize, max);
            prop_assert!(d.is_empty());
        }
    }

    #[test]
    fn overlap_kills_the_queue_and_timeout_expires() {
        let p = datagram(3000);
        let fr = fragments(&p, 1000);
        let d = Defrag::new();
        let mut out = vec![0u8; 70_000];
        assert_eq!(d.insert(&fr[0], 10, &mut out), Insert::Held);
        // a fragment overlapping the first one's data
        let mut evil = fr[1].clone();
        evil[6..8].copy_from_slice(&(0x2000u16 | 100).to_be_bytes());
        assert_eq!(d.insert(&evil, 10, &mut out), Insert::Killed);
        assert!(d.is_empty());
        // expiry: a queue older than 30 s is gone, its fragments start a new one
        assert_eq!(d.insert(&fr[0], 10, &mut out), Insert::Held);
        for f in &fr[1..] {
            assert_eq!(d.insert(f, 50, &mut out), Insert::Held);
        }
        assert!(matches!(
            d.insert(&fr[0], 51, &mut out),
            Insert::Done { .. }
        ));
    }

    #[test]
    fn the_pool_is_bounded() {
        let d = Defrag::new();
        let mut out = vec![0u8; 70_000];
        for id in 0..MAX_QUEUES as u16 {
            let p = datagram_id(3000, id);
            let fr = fragments(&p, 1000);
            assert_eq!(d.insert(&fr[0], 10, &mut out), Insert::Held);
        }
        let p = datagram_id(3000, 9999);
        let fr = fragments(&p, 1000);
        assert_eq!(d.insert(&fr[0], 10, &mut out), Insert::Full);
        // after the timeout the slots are reclaimed
        assert_eq!(d.insert(&fr[0], 41, &mut out), Insert::Held);
    }
}
