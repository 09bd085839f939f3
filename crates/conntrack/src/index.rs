//! The conntrack key index: open addressing over 64-byte buckets of eight `AtomicU64` keys,
//! split into per-shard regions, linear probing by bucket, deletion by backward shift (no
//! tombstones). Allocated once in [`Index::new`]; nothing here allocates afterwards.
//!
//! A key position holds `tag (24) | OCC (1) | disp (7) | value (32)`, 0 when empty: `tag` is
//! hash bits 32..56, `disp` how many buckets past its home the key sits (at most
//! [`MAX_DISP`]), `value` what the caller stores (the table's `slot << 1 | dir`). The shard of
//! a hash is bits 48..64, its home bucket bits 0..32, both by multiply-shift.
//!
//! Invariant: a key in bucket `c` with home `h` has every bucket `h .. c` full, so a lookup
//! stops at its first non-full bucket.
//!
//! This module knows nothing of tuples or locks: equality is the caller's closure, and the
//! caller serialises writers of one shard (the table's shard lock). Readers may run without
//! any lock at the same time as a writer: every position is an atomic, a reader sees each
//! key whole, and at worst misses a key a concurrent delete is shifting (the table treats a
//! lock-free answer as a hint and re-checks under the lock).

use std::sync::atomic::{AtomicU64, Ordering::Relaxed};

/// Keys per bucket (one cache line).
pub(crate) const WAYS: usize = 8;
/// Farthest a key may sit from its home bucket.
pub const MAX_DISP: usize = 127;
const OCC: u64 = 1 << 39;
const DISP_SHIFT: u32 = 32;
const TAG_SHIFT: u32 = 40;

#[repr(C, align(64))]
#[derive(Default)]
pub(crate) struct Bucket([AtomicU64; WAYS]);

const _: () = assert!(std::mem::size_of::<Bucket>() == 64);

#[inline]
fn tag(h: u64) -> u64 {
    (h >> 32) & 0xff_ffff
}

#[inline]
fn disp_of(e: u64) -> usize {
    ((e >> DISP_SHIFT) & 0x7f) as usize
}

#[inline]
fn with_disp(e: u64, d: usize) -> u64 {
    (e & !(0x7f << DISP_SHIFT)) | (d as u64) << DISP_SHIFT
}

/// An atomic word whose cache line can be prefetched.
pub(crate) trait Line {
    /// A plain load: the fallback where there is no prefetch instruction.
    #[cfg_attr(target_arch = "x86_64", allow(dead_code))]
    fn touch(&self);
}

impl Line for AtomicU64 {
    #[inline(always)]
    fn touch(&self) {
        std::hint::black_box(self.load(Relaxed));
    }
}

impl Line for std::sync::atomic::AtomicU32 {
    #[inline(always)]
    fn touch(&self) {
        std::hint::black_box(self.load(Relaxed));
    }
}

/// Issues a prefetch of the cache line of `p` (x86_64), or a plain load of it elsewhere.
#[inline(always)]
pub(crate) fn prefetch_line<T: Line>(p: &T) {
    #[cfg(target_arch = "x86_64")]
    {
        let ptr = p as *const T as *const i8;
        // SAFETY: a prefetch is a hint: it never faults nor changes memory, and `ptr` points
        // into a live object anyway.
        #[allow(unused_unsafe)]
        unsafe {
            core::arch::x86_64::_mm_prefetch::<{ core::arch::x86_64::_MM_HINT_T0 }>(ptr)
        };
    }
    #[cfg(not(target_arch = "x86_64"))]
    p.touch();
}

pub(crate) struct Index {
    buckets: Box<[Bucket]>,
    /// Buckets per shard.
    nb: usize,
    nshards: usize,
    /// Farthest probe: `MAX_DISP`, or less in a shard of fewer buckets (no wrapping onto
    /// the home bucket again).
    max_disp: usize,
}

impl Index {
    /// `nshards` (1..=65536) regions of `nb` (>= 1) buckets each.
    pub(crate) fn new(nshards: usize, nb: usize) -> Index {
        let nshards = nshards.clamp(1, 1 << 16);
        let nb = nb.max(1);
        let mut v = Vec::with_capacity(nshards * nb);
        v.resize_with(nshards * nb, Bucket::default);
        Index {
            buckets: v.into_boxed_slice(),
            nb,
            nshards,
            max_disp: MAX_DISP.min(nb - 1),
        }
    }

    /// Key positions over all shards.
    pub(crate) fn positions(&self) -> usize {
        self.buckets.len() * WAYS
    }

    /// Key positions of one shard.
    pub(crate) fn shard_positions(&self) -> usize {
        self.nb * WAYS
    }

    pub(crate) fn bytes(&self) -> usize {
        self.buckets.len() * std::mem::size_of::<Bucket>()
    }

    #[inline]
    pub(crate) fn shard_of(&self, h: u64) -> usize {
        (((h >> 48) * self.nshards as u64) >> 16) as usize
    }

    /// (shard base bucket, home offset in the shard).
    #[inline]
    fn place(&self, h: u64) -> (usize, usize) {
        let base = self.shard_of(h) * self.nb;
        let home = ((h & 0xffff_ffff) * self.nb as u64) >> 32;
        (base, home as usize)
    }

    #[inline]
    fn next(&self, b: usize) -> usize {
        if b + 1 == self.nb {
            0
        } else {
            b + 1
        }
    }

    /// Prefetches the home bucket of `h`.
    #[inline]
    pub(crate) fn prefetch(&self, h: u64) {
        let (base, home) = self.place(h);
        prefetch_line(&self.buckets[base + home].0[0]);
    }

    /// The value of the first key with `h`'s tag for which `eq` holds. Exact while the shard's
    /// writers are excluded; a hint otherwise.
    #[inline]
    pub(crate) fn lookup(&self, h: u64, mut eq: impl FnMut(u32) -> bool) -> Option<u32> {
        let (base, mut b) = self.place(h);
        let t = tag(h);
        for _ in 0..=self.max_disp {
            let mut full = true;
            for k in &self.buckets[base + b].0 {
                let e = k.load(Relaxed);
                if e == 0 {
                    full = false;
                } else if e >> TAG_SHIFT == t && eq(e as u32) {
                    return Some(e as u32);
                }
            }
            if !full {
                return None;
            }
            b = self.next(b);
        }
        None
    }

    /// Calls `f` with each value whose tag matches `h`'s in the probe run (no equality check).
    #[inline]
    pub(crate) fn candidates(&self, h: u64, mut f: impl FnMut(u32)) {
        let (base, mut b) = self.place(h);
        let t = tag(h);
        for _ in 0..=self.max_disp {
            let mut full = true;
            for k in &self.buckets[base + b].0 {
                let e = k.load(Relaxed);
                if e == 0 {
                    full = false;
                } else if e >> TAG_SHIFT == t {
                    f(e as u32);
                }
            }
            if !full {
                return;
            }
            b = self.next(b);
        }
    }

    /// Calls `f` with the values of the keys (any tag) in the `n / WAYS` buckets from `h`'s
    /// home bucket on, until `f` returns false.
    pub(crate) fn scan(&self, h: u64, n: usize, mut f: impl FnMut(u32) -> bool) {
        let (base, mut b) = self.place(h);
        let mut seen = 0;
        for _ in 0..n.div_ceil(WAYS).min(self.nb) {
            for k in &self.buckets[base + b].0 {
                let e = k.load(Relaxed);
                if e != 0 {
                    if !f(e as u32) {
                        return;
                    }
                    seen += 1;
                    if seen >= n {
                        return;
                    }
                }
            }
            b = self.next(b);
        }
    }

    /// Adds `value` under `h`. The caller holds the shard's writer lock and knows the key is
    /// not present. False when no bucket within [`MAX_DISP`] of the home has room.
    pub(crate) fn insert(&self, h: u64, value: u32) -> bool {
        let (base, mut b) = self.place(h);
        let key = tag(h) << TAG_SHIFT | OCC | u64::from(value);
        for d in 0..=self.max_disp {
            for k in &self.buckets[base + b].0 {
                if k.load(Relaxed) == 0 {
                    k.store(with_disp(key, d), Relaxed);
                    return true;
                }
            }
            b = self.next(b);
        }
        false
    }

    /// Removes the key with `value` under `h` (the caller holds the shard's writer lock),
    /// then fills the hole by backward shift. False when it was not there.
    pub(crate) fn remove(&self, h: u64, value: u32) -> bool {
        let (base, mut b) = self.place(h);
        let t = tag(h);
        for _ in 0..=self.max_disp {
            let bk = &self.buckets[base + b].0;
            let mut full = true;
            for k in bk {
                let e = k.load(Relaxed);
                if e == 0 {
                    full = false;
                } else if e as u32 == value && e >> TAG_SHIFT == t {
                    let was_full = bk.iter().all(|x| x.load(Relaxed) != 0);
                    k.store(0, Relaxed);
                    if was_full {
                        self.shift_back(base, b);
                    }
                    return true;
                }
            }
            if !full {
                return false;
            }
            b = self.next(b);
        }
        false
    }

    /// Bucket `hole` (in the shard at `base`) has just lost a key and was full before: move
    /// later keys back so that the invariant holds again.
    fn shift_back(&self, base: usize, mut hole: usize) {
        let mut c = self.next(hole);
        let mut dist = 1;
        while dist <= self.max_disp {
            let bk = &self.buckets[base + c].0;
            let mut c_full = true;
            let mut moved = false;
            for k in bk {
                let e = k.load(Relaxed);
                if e == 0 {
                    c_full = false;
                    continue;
                }
                let d = disp_of(e);
                if !moved && d >= dist {
                    if let Some(slot) = self.buckets[base + hole]
                        .0
                        .iter()
                        .find(|x| x.load(Relaxed) == 0)
                    {
                        // Write the new place first: a lock-free reader sees the key twice
                        // rather than never, in the usual order of its scan.
                        slot.store(with_disp(e, d - dist), Relaxed);
                        k.store(0, Relaxed);
                        moved = true;
                    }
                }
            }
            if moved {
                // `c` has a hole now; it was full before (it had a key to give and, if it
                // had an empty position too, no key after it can reach back).
                if !c_full {
                    return;
                }
                hole = c;
                dist = 0;
            } else if !c_full {
                return;
            }
            c = self.next(c);
            dist += 1;
        }
    }

    /// Checks the probing invariant and returns the number of keys of `shard` (tests).
    #[cfg(test)]
    pub(crate) fn check_shard(&self, shard: usize, hash_of: impl Fn(u32) -> u64) -> usize {
        let base = shard * self.nb;
        let mut n = 0;
        for b in 0..self.nb {
            for k in &self.buckets[base + b].0 {
                let e = k.load(Relaxed);
                if e == 0 {
                    continue;
                }
                n += 1;
                let h = hash_of(e as u32);
                let (hb, home) = self.place(h);
                assert_eq!(hb, base, "key in the wrong shard");
                assert_eq!(e >> TAG_SHIFT, tag(h), "tag");
                let d = disp_of(e);
                assert_eq!((home + d) % self.nb, b, "displacement");
                let mut x = home;
                for _ in 0..d {
                    assert!(
                        self.buckets[base + x]
                            .0
                            .iter()
                            .all(|k| k.load(Relaxed) != 0),
                        "a bucket before a displaced key is not full"
                    );
                    x = self.next(x);
                }
            }
        }
        n
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use std::collections::HashMap;

    fn mix(k: u64) -> u64 {
        let mut x = k.wrapping_add(0x9e37_79b9_7f4a_7c15);
        x = (x ^ (x >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        x = (x ^ (x >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        x ^ (x >> 31)
    }

    /// Keys are `u64`s, values their numbers in `keys`; `hash` maps a key to its hash.
    struct Model<H: Fn(u64) -> u64> {
        ix: Index,
        keys: Vec<u64>,
        hash: H,
    }

    impl<H: Fn(u64) -> u64> Model<H> {
        fn find(&self, k: u64) -> Option<u32> {
            self.ix
                .lookup((self.hash)(k), |v| self.keys[v as usize] == k)
        }
        fn check(&self, shards: usize) -> usize {
            (0..shards)
                .map(|s| {
                    self.ix
                        .check_shard(s, |v| (self.hash)(self.keys[v as usize]))
                })
                .sum()
        }
    }

    /// Random inserts and deletes at a fill of up to 80% (the most the table allows), over
    /// a few million operations: every live key is found with its value, every deleted one
    /// is gone, the invariant holds, and nothing grows.
    fn churn(shards: usize, nb: usize, ops: usize, hash: impl Fn(u64) -> u64) {
        let ix = Index::new(shards, nb);
        let bytes = ix.bytes();
        let cap = ix.shard_positions() * 4 / 5;
        let mut m = Model {
            ix,
            keys: Vec::new(),
            hash,
        };
        let mut live: Vec<u32> = Vec::new();
        let mut per_shard = vec![0usize; shards];
        let mut free: Vec<u32> = Vec::new();
        let mut rng = 0x1234_5678_9abc_def1u64;
        let mut next_key = 0u64;
        for op in 0..ops {
            rng = mix(rng);
            let insert = live.is_empty() || rng & 1 == 0;
            if insert {
                next_key += 1;
                let k = next_key;
                let s = m.ix.shard_of((m.hash)(k));
                if per_shard[s] >= cap {
                    continue;
                }
                let v = match free.pop() {
                    Some(v) => {
                        m.keys[v as usize] = k;
                        v
                    }
                    None => {
                        m.keys.push(k);
                        (m.keys.len() - 1) as u32
                    }
                };
                assert_eq!(m.find(k), None);
                assert!(m.ix.insert((m.hash)(k), v), "insert refused at op {op}");
                per_shard[s] += 1;
                live.push(v);
                assert_eq!(m.find(k), Some(v));
            } else {
                let i = (rng >> 20) as usize % live.len();
                let v = live.swap_remove(i);
                let k = m.keys[v as usize];
                assert!(m.ix.remove((m.hash)(k), v), "key lost at op {op}");
                assert!(!m.ix.remove((m.hash)(k), v), "key twice at op {op}");
                per_shard[m.ix.shard_of((m.hash)(k))] -= 1;
                assert_eq!(m.find(k), None);
                m.keys[v as usize] = u64::MAX;
                free.push(v);
            }
            if op % 200_000 == 0 {
                assert_eq!(m.check(shards), live.len());
                for &v in &live {
                    assert_eq!(m.find(m.keys[v as usize]), Some(v));
                }
            }
        }
        assert_eq!(m.check(shards), live.len());
        for &v in &live {
            assert_eq!(m.find(m.keys[v as usize]), Some(v));
        }
        assert_eq!(m.ix.bytes(), bytes);
    }

    #[test]
    fn churn_one_shard_at_full_fill() {
        churn(1, 1024, 2_000_000, mix);
    }

    #[test]
    fn churn_many_shards() {
        churn(16, 512, 2_000_000, mix);
    }

    #[test]
    fn churn_clustered_homes() {
        // Only 16 home buckets out of 64: long runs of full buckets, deep backward shifts.
        churn(1, 64, 300_000, |k| mix(k) & !0xfff_ffff);
    }

    #[test]
    fn probe_bound_refuses_instead_of_wrapping() {
        // Every key has the same home: at most (MAX_DISP + 1) buckets of it are reachable.
        let ix = Index::new(1, 4 * MAX_DISP);
        let mut n = 0u32;
        while ix.insert(5 << 32, n) {
            n += 1;
        }
        assert_eq!(n as usize, (MAX_DISP + 1) * WAYS);
        assert!(ix.lookup(5 << 32, |v| v == n - 1).is_some());
        assert!(ix.lookup(5 << 32, |v| v == n).is_none());
        for v in 0..n {
            assert!(ix.remove(5 << 32, v));
        }
        assert!(ix.lookup(5 << 32, |_| true).is_none());
    }

    #[derive(Clone, Debug)]
    enum Op {
        Insert(u8),
        Remove(u8),
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(256))]

        /// The index against a HashMap, with a hash that crowds keys into few buckets.
        #[test]
        fn index_matches_hashmap(ops in proptest::collection::vec(
            prop_oneof![any::<u8>().prop_map(Op::Insert), any::<u8>().prop_map(Op::Remove)],
            1..400,
        ), spread in 1u64..6, shards in 1usize..3) {
            let hash = move |k: u64| {
                let h = mix(k);
                // Low word: 1 of `spread` homes. Tag bits intact, so equal tags are rare
                // but possible (8 bits of them are forced equal).
                (h & 0xffff_ffff_0000_0000 & !(0xff << 32)) | ((h % spread) << 29)
            };
            let m = Model { ix: Index::new(shards, 8), keys: (0..256).collect(), hash };
            let cap = m.ix.shard_positions() * 4 / 5;
            let mut model: HashMap<u8, ()> = HashMap::new();
            let mut per_shard = vec![0usize; shards];
            for op in ops {
                match op {
                    Op::Insert(k) => {
                        let s = m.ix.shard_of(hash(u64::from(k)));
                        if model.contains_key(&k) || per_shard[s] >= cap {
                            continue;
                        }
                        prop_assert!(m.ix.insert(hash(u64::from(k)), u32::from(k)));
                        per_shard[s] += 1;
                        model.insert(k, ());
                    }
                    Op::Remove(k) => {
                        let was = m.ix.remove(hash(u64::from(k)), u32::from(k));
                        prop_assert_eq!(was, model.remove(&k).is_some());
                        if was {
                            per_shard[m.ix.shard_of(hash(u64::from(k)))] -= 1;
                        }
                    }
                }
                prop_assert_eq!(m.check(shards), model.len());
                for k in 0..=255u8 {
                    let want = model.contains_key(&k).then_some(u32::from(k));
                    prop_assert_eq!(m.find(u64::from(k)), want);
                }
            }
        }
    }
}
