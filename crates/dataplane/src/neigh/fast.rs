//! The lock-free read side of the neighbour table: what workers look at per packet.
//!
//! Owns a fixed-size open-addressing array of slots, each a tiny seqlock over
//! `(key, value)` plus a relaxed `used` timestamp. Only the state machine (under its mutex)
//! writes keys and values; any number of readers look up without taking a lock and without
//! writing shared memory, except `used`, which is written only when the millisecond changed.
//!
//! Contract: a reader never sees a MAC that was not published for its key (the seqlock makes
//! `(key, value)` atomic as a pair), but it may miss an entry that exists (during an insert,
//! a delete, or a rebuild). A miss sends the caller to the slow path, which holds the mutex and
//! is authoritative, so a false miss costs time, never correctness. It does not know about
//! states beyond "usable now" or about timers.

use std::sync::atomic::{fence, AtomicU64, Ordering};

/// No key ever stored here since the last rebuild: a probe stops.
const EMPTY: u64 = u64::MAX;
/// A deleted key: a probe goes on.
const TOMB: u64 = u64::MAX - 1;
/// Value bit: the MAC may be used right now (REACHABLE, DELAY, PROBE, PERMANENT, NOARP).
const USABLE: u64 = 1 << 48;
/// Probes a reader makes before calling it a miss.
const MAX_PROBE: usize = 32;

#[repr(align(32))]
struct Slot {
    seq: AtomicU64,
    key: AtomicU64,
    val: AtomicU64,
    used: AtomicU64,
}

/// The published cache (see the module doc).
pub(crate) struct FastCache {
    slots: Box<[Slot]>,
    mask: usize,
    seed: u64,
}

/// The mixing function for keys, seeded (the table is filled by ARP from the wire).
#[inline]
pub(crate) fn hash_key(seed: u64, key: u64) -> u64 {
    let mut h = (key ^ seed).wrapping_mul(0x9E37_79B9_7F4A_7C15);
    h ^= h >> 32;
    h = h.wrapping_mul(0xD6E8_FEB8_6659_FD93);
    h ^ (h >> 29)
}

pub(crate) fn mac_to_u64(mac: [u8; 6]) -> u64 {
    let mut b = [0u8; 8];
    b[..6].copy_from_slice(&mac);
    u64::from_le_bytes(b)
}

fn u64_to_mac(v: u64) -> [u8; 6] {
    let b = v.to_le_bytes();
    [b[0], b[1], b[2], b[3], b[4], b[5]]
}

/// Value stored for an entry: its MAC with the usable bit, or 0 when not usable.
pub(crate) fn value(usable: bool, mac: [u8; 6]) -> u64 {
    if usable {
        USABLE | mac_to_u64(mac)
    } else {
        0
    }
}

impl FastCache {
    /// A cache of at least `min_slots` slots (rounded up to a power of two, at least 16).
    pub(crate) fn new(min_slots: usize, seed: u64) -> FastCache {
        let n = min_slots.clamp(16, 1 << 20).next_power_of_two();
        let slots = (0..n)
            .map(|_| Slot {
                seq: AtomicU64::new(0),
                key: AtomicU64::new(EMPTY),
                val: AtomicU64::new(0),
                used: AtomicU64::new(0),
            })
            .collect::<Vec<_>>()
            .into_boxed_slice();
        FastCache {
            slots,
            mask: n - 1,
            seed,
        }
    }

    pub(crate) fn capacity(&self) -> usize {
        self.slots.len()
    }

    /// Keys the cache can hold: anything that is not one of the two markers.
    pub(crate) fn storable(key: u64) -> bool {
        key < TOMB
    }

    /// Reads one slot consistently: `None` if a writer was inside.
    #[inline]
    fn read(&self, s: &Slot) -> Option<(u64, u64)> {
        let s1 = s.seq.load(Ordering::Acquire);
        if s1 & 1 == 1 {
            return None;
        }
        let k = s.key.load(Ordering::Relaxed);
        let v = s.val.load(Ordering::Relaxed);
        fence(Ordering::Acquire);
        let s2 = s.seq.load(Ordering::Relaxed);
        (s1 == s2).then_some((k, v))
    }

    /// The fast path: the MAC of `key` if it is published usable; marks it used at `now`.
    #[inline]
    pub(crate) fn lookup(&self, key: u64, now: i64) -> Option<[u8; 6]> {
        let mut i = hash_key(self.seed, key) as usize & self.mask;
        for _ in 0..MAX_PROBE.min(self.slots.len()) {
            let s = &self.slots[i];
            let (k, v) = self.read(s)?;
            if k == EMPTY {
                return None;
            }
            if k == key {
                if v & USABLE == 0 {
                    return None;
                }
                // `used` is advisory (REACHABLE -> DELAY vs STALE, gc): write only on change,
                // so that readers of a hot entry do not bounce its cache line every packet.
                let now = now as u64;
                if s.used.load(Ordering::Relaxed) != now {
                    s.used.store(now, Ordering::Relaxed);
                }
                return Some(u64_to_mac(v));
            }
            i = (i + 1) & self.mask;
        }
        None
    }

    /// Writer side of one slot's seqlock.
    fn write(&self, idx: usize, key: u64, val: u64) {
        let s = &self.slots[idx];
        let seq = s.seq.load(Ordering::Relaxed);
        s.seq.store(seq.wrapping_add(1), Ordering::Relaxed);
        fence(Ordering::Release);
        s.key.store(key, Ordering::Relaxed);
        s.val.store(val, Ordering::Relaxed);
        s.seq.store(seq.wrapping_add(2), Ordering::Release);
    }

    /// Inserts `key` (not present) with `val`; returns its slot, or `None` if no free slot is
    /// within the readers' probe distance (the entry then lives on the slow path only).
    pub(crate) fn insert(&self, key: u64, val: u64, used: i64) -> Option<u32> {
        if !Self::storable(key) {
            return None;
        }
        let mut i = hash_key(self.seed, key) as usize & self.mask;
        for _ in 0..MAX_PROBE.min(self.slots.len()) {
            let k = self.slots[i].key.load(Ordering::Relaxed);
            if k == EMPTY || k == TOMB {
                self.slots[i].used.store(used as u64, Ordering::Relaxed);
                self.write(i, key, val);
                return Some(i as u32);
            }
            i = (i + 1) & self.mask;
        }
        None
    }

    /// Replaces the value of the key in slot `idx`.
    pub(crate) fn set(&self, idx: u32, val: u64) {
        let s = &self.slots[idx as usize];
        let key = s.key.load(Ordering::Relaxed);
        if s.val.load(Ordering::Relaxed) != val {
            self.write(idx as usize, key, val);
        }
    }

    /// Deletes the key in slot `idx`.
    pub(crate) fn remove(&self, idx: u32) {
        self.write(idx as usize, TOMB, 0);
    }

    /// The last time a reader used slot `idx` (ms).
    pub(crate) fn used(&self, idx: u32) -> i64 {
        self.slots[idx as usize].used.load(Ordering::Relaxed) as i64
    }

    pub(crate) fn set_used(&self, idx: u32, now: i64) {
        self.slots[idx as usize]
            .used
            .store(now as u64, Ordering::Relaxed);
    }

    /// Empties every slot (the caller re-inserts what lives); readers meanwhile miss.
    pub(crate) fn clear(&self) {
        for i in 0..self.slots.len() {
            if self.slots[i].key.load(Ordering::Relaxed) != EMPTY {
                self.write(i, EMPTY, 0);
            }
        }
    }

    /// Number of tombstones (the caller rebuilds when they pile up).
    #[cfg(test)]
    pub(crate) fn tombs(&self) -> usize {
        self.slots
            .iter()
            .filter(|s| s.key.load(Ordering::Relaxed) == TOMB)
            .count()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn insert_lookup_update_remove() {
        let c = FastCache::new(16, 7);
        let mac = [2, 0, 0, 0, 0, 1];
        let s = c.insert(42, value(true, mac), 0).unwrap();
        assert_eq!(c.lookup(42, 5), Some(mac));
        assert_eq!(c.used(s), 5);
        assert_eq!(c.lookup(43, 5), None);
        c.set(s, value(false, mac));
        assert_eq!(c.lookup(42, 6), None, "not usable");
        assert_eq!(c.used(s), 5, "a miss does not mark used");
        c.remove(s);
        assert_eq!(c.lookup(42, 6), None);
        assert_eq!(c.tombs(), 1);
        let s2 = c.insert(42, value(true, mac), 0).unwrap();
        assert_eq!(s2, s, "a tombstone is reused");
        c.clear();
        assert_eq!(c.lookup(42, 6), None);
    }

    #[test]
    fn collisions_probe_past_tombstones() {
        let c = FastCache::new(16, 1);
        let slots: Vec<u32> = (0..10)
            .map(|k| c.insert(k, value(true, [k as u8; 6]), 0).unwrap())
            .collect();
        c.remove(slots[3]);
        for k in 0..10u64 {
            let want = if k == 3 { None } else { Some([k as u8; 6]) };
            assert_eq!(c.lookup(k, 1), want);
        }
        assert!(!FastCache::storable(u64::MAX));
        assert_eq!(c.insert(u64::MAX, 1, 0), None);
    }

    #[test]
    fn full_cache_refuses_insert() {
        let c = FastCache::new(16, 3);
        let n = (0..100u64)
            .filter(|&k| c.insert(k, value(true, [1; 6]), 0).is_some())
            .count();
        assert_eq!(n, 16);
        assert_eq!(c.capacity(), 16);
    }

    #[test]
    fn concurrent_readers_never_see_a_foreign_mac() {
        use std::sync::atomic::AtomicBool;
        use std::sync::Arc;
        let c = Arc::new(FastCache::new(16, 9));
        let stop = Arc::new(AtomicBool::new(false));
        let mut readers = Vec::new();
        for _ in 0..2 {
            let (c, stop) = (c.clone(), stop.clone());
            readers.push(std::thread::spawn(move || {
                let mut hits = 0u64;
                while !stop.load(Ordering::Relaxed) {
                    for k in 0..8u64 {
                        if let Some(m) = c.lookup(k, 1) {
                            assert_eq!(m, [k as u8; 6], "key {k} read another key's MAC");
                            hits += 1;
                        }
                    }
                }
                hits
            }));
        }
        for round in 0..20_000u64 {
            let k = round % 8;
            if let Some(s) = c.insert(k, value(true, [k as u8; 6]), 0) {
                c.remove(s);
            }
            if round % 1000 == 0 {
                c.clear();
            }
        }
        stop.store(true, Ordering::Relaxed);
        for r in readers {
            r.join().unwrap();
        }
    }
}
