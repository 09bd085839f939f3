//! The flow table: sharded, preallocated, one entry per flow reachable by both of its tuples.
//!
//! Layout:
//!
//! * `slots`: one global array of 64-byte entries (one cache line each), allocated once at
//!   [`Conntrack::new`]. Shard `s` owns the slots `s * per_shard .. (s + 1) * per_shard`,
//!   with an intrusive free list. An entry holds both tuples, its protocol / liveness /
//!   generation word, timeout, mark, status and the TCP tracking words; every field is a
//!   relaxed atomic, so reading an entry is never a data race, and the locks below give the
//!   ordering.
//! * `index`: one global array of 64-byte buckets of eight `AtomicU64` keys, allocated once at
//!   [`Conntrack::new`]. Shard `s` owns the buckets `s * nb .. (s + 1) * nb`. A key is
//!   `tag (24 bits) | OCC (1) | disp (7) | slot << 1 | dir (32)`: `tag` is hash bits 32..56,
//!   `disp` how many buckets past its home bucket the key sits, `slot << 1 | dir` the entry
//!   and which of its tuples this key is. 0 is an empty position. A tuple's shard is hash
//!   bits 48..64 (multiply-shift), its home bucket hash bits 0..32 (multiply-shift over `nb`).
//!   The entry lives in the shard of its *original* tuple; its reply key may live in another
//!   shard. Lookup reads the home bucket (one cache line), compares the tags and reads the
//!   entry of a matching tag (a second line): two misses at most for a cold flow.
//!
//! Index (open addressing, linear probing by bucket, no tombstones):
//!
//! * Insert puts a key in the first bucket from its home that has an empty position, at most
//!   [`MAX_DISP`] buckets on (wrapping inside the shard); further is a full table (never seen
//!   at the fill the sizing allows, see Memory). Invariant: for a key in bucket `c` with
//!   home `h`, every bucket `h .. c` is full. So a lookup stops at the first bucket that is
//!   not full.
//! * Delete empties the key's position; if its bucket was full, the hole is filled by
//!   backward shift: the nearest later key (in the run of full buckets) whose home is at or
//!   before the hole moves into it, and the hole moves on, until a bucket that was not full
//!   ends the run. No tombstones, no rehash, nothing ever grows or moves outside the lock.
//!
//! Locking rules:
//!
//! * Shards are N `parking_lot::Mutex`es over their counters, free list and key count. A
//!   shard's buckets are written only while holding that shard's lock.
//! * A key is inserted or removed only while holding the lock of the shard whose buckets it is
//!   in *and* the lock of the entry's owner shard. When those are two shards they are taken
//!   in ascending shard order ([`Conntrack::confirm`], deletion); no other code path ever
//!   holds two locks.
//! * An entry's tuples, liveness and generation change only under its owner's lock, and its
//!   keys are linked exactly while it is live. So under the owner's lock, "live, generation
//!   `g`, tuple `dir` equals `t`" proves that `t`'s key is linked to this entry.
//! * Lock-free probe: [`Conntrack::track`] first probes the index with no lock (relaxed atomic
//!   loads of the bucket and of the entry's key words, which may be torn or stale: only a
//!   hint), then takes only the *owner's* lock and re-checks the proof above. A failed
//!   re-check or a miss (possibly transient, while a delete shifts keys) falls back to the
//!   locked lookup: lock the key's shard, probe (exact), and if the owner is another shard,
//!   note the generation, release, take the owner's lock and re-check the generation (a dead
//!   entry restarts the search, counted `search_restart`). An established packet thus
//!   takes one lock, whichever direction it goes.
//! * Mutable state (timeout, TCP state, status, mark) changes only under the owner's lock.
//! * [`Conntrack::tuple_taken`] is lock-free, as the kernel's (RCU): its answer is a hint for
//!   the NAT allocator, and confirm re-checks under the locks.
//!
//! Expiry: lazily on lookup (an expired entry found is deleted and the packet is NEW), and
//! incrementally by [`Conntrack::gc`] with a bounded number of slots per call. No per-packet
//! work scans the table.
//!
//! Full table: a global count against `max`; at the limit, early drop scans the keys of
//! [`EARLY_DROP_SCAN`] / 8 buckets (eight, as the kernel's `NF_CT_EVICTION_RANGE`) from
//! the new flow's home bucket on and deletes the first
//! non-ASSURED flow found (and expired ones seen on the way), as the kernel's `early_drop`
//! walks the new flow's hash chains.
//!
//! Memory: 64 bytes per slot (with ~6% + 64 slots of per-shard slack) plus 8 bytes per key
//! position; a shard has positions for 1.25 x (2.5 x its fair share of flows + 64) keys and
//! accepts at most 2.5 x its share + 64 keys (80% fill): at `max` flows the index is ~64%
//! full and a lookup almost always finds its key in its home bucket. About 94 bytes per flow
//! at 1 M flows. See [`Conntrack::memory_bytes`].
//!
//! Batches: [`Conntrack::prefetch`] (bucket) and [`Conntrack::prefetch_entry`] (lock-free
//! probe, then the entry) let a caller start the misses of a batch of packets before
//! tracking them.

pub use crate::index::MAX_DISP;
use crate::index::{Index, WAYS};
use crate::tcp::{self, FlowFacts, TcpCt, TcpVerdict};
use crate::tuple::{self, hash_tuple, Tuple, IPPROTO_GRE, IPPROTO_ICMP, IPPROTO_TCP, IPPROTO_UDP};
use crate::{
    Config, ConfirmError, CtInfo, Dir, Handle, InvalidReason, Listing, PacketInfo, Stats, Status,
    Track, Unconfirmed,
};
use parking_lot::{Mutex, MutexGuard};
use std::sync::atomic::{
    AtomicU16, AtomicU32, AtomicU64, AtomicU8, AtomicUsize, Ordering::Relaxed,
};

const NIL: u32 = u32::MAX;
const META_LIVE: u32 = 1 << 8;
const GEN_SHIFT: u32 = 9;
const GEN_MASK: u32 = (1 << 23) - 1;
/// Key positions early drop looks at (eight buckets of eight), from the new flow's home
/// bucket on.
pub const EARLY_DROP_SCAN: usize = 64;
/// Slots per gc step (one lock hold).
const GC_CHUNK: usize = 64;

#[repr(C, align(64))]
#[derive(Default)]
struct Slot {
    o: [AtomicU32; 3],
    r: [AtomicU32; 3],
    /// proto (bits 0..8) | LIVE (bit 8) | generation (bits 9..32)
    meta: AtomicU32,
    /// Absolute expiry (seconds); the next free slot while free.
    timeout: AtomicU32,
    mark: AtomicU32,
    /// TCP: td_end per direction. UDP: `td_end[0]` is the stream timestamp.
    td_end: [AtomicU32; 2],
    last_seq: AtomicU32,
    last_ack: AtomicU32,
    last_end: AtomicU32,
    status: AtomicU16,
    bits: AtomicU16,
    last_win: AtomicU16,
    state: AtomicU8,
}

const _: () = assert!(std::mem::size_of::<Slot>() == 64);

#[derive(Clone, Copy)]
struct EntryState {
    timeout: u32,
    mark: u32,
    status: u16,
    tcp: TcpCt,
}

impl Slot {
    #[inline]
    fn words(&self, dir: usize) -> &[AtomicU32; 3] {
        if dir == 0 {
            &self.o
        } else {
            &self.r
        }
    }

    #[inline]
    fn tuple(&self, dir: usize) -> Tuple {
        let w = self.words(dir);
        let p = w[2].load(Relaxed);
        Tuple {
            src: w[0].load(Relaxed),
            dst: w[1].load(Relaxed),
            sport: (p >> 16) as u16,
            dport: p as u16,
            proto: self.meta.load(Relaxed) as u8,
        }
    }

    #[inline]
    fn key_eq(&self, dir: usize, t: &Tuple) -> bool {
        let w = self.words(dir);
        w[0].load(Relaxed) == t.src
            && w[1].load(Relaxed) == t.dst
            && w[2].load(Relaxed) == t.ports()
            && self.meta.load(Relaxed) as u8 == t.proto
    }

    fn set_tuple(&self, dir: usize, t: &Tuple) {
        let w = self.words(dir);
        w[0].store(t.src, Relaxed);
        w[1].store(t.dst, Relaxed);
        w[2].store(t.ports(), Relaxed);
    }

    #[inline]
    fn load(&self) -> EntryState {
        EntryState {
            timeout: self.timeout.load(Relaxed),
            mark: self.mark.load(Relaxed),
            status: self.status.load(Relaxed),
            tcp: TcpCt {
                state: self.state.load(Relaxed),
                bits: self.bits.load(Relaxed),
                td_end: [self.td_end[0].load(Relaxed), self.td_end[1].load(Relaxed)],
                last_seq: self.last_seq.load(Relaxed),
                last_ack: self.last_ack.load(Relaxed),
                last_end: self.last_end.load(Relaxed),
                last_win: self.last_win.load(Relaxed),
            },
        }
    }

    #[inline]
    fn store(&self, s: &EntryState) {
        self.timeout.store(s.timeout, Relaxed);
        self.mark.store(s.mark, Relaxed);
        self.status.store(s.status, Relaxed);
        self.state.store(s.tcp.state, Relaxed);
        self.bits.store(s.tcp.bits, Relaxed);
        self.td_end[0].store(s.tcp.td_end[0], Relaxed);
        self.td_end[1].store(s.tcp.td_end[1], Relaxed);
        self.last_seq.store(s.tcp.last_seq, Relaxed);
        self.last_ack.store(s.tcp.last_ack, Relaxed);
        self.last_end.store(s.tcp.last_end, Relaxed);
        self.last_win.store(s.tcp.last_win, Relaxed);
    }
}

#[inline]
fn expired(timeout: u32, now: u32) -> bool {
    (timeout.wrapping_sub(now) as i32) <= 0
}

#[derive(Default, Clone, Copy)]
struct ShardStats {
    found: u64,
    new: u64,
    invalid: u64,
    insert: u64,
    insert_failed: u64,
    search_restart: u64,
    clash_resolve: u64,
}

/// A shard's mutable state. Holding its lock is also the right to write the shard's index
/// buckets.
struct Inner {
    /// Keys in this shard's index buckets.
    keys: usize,
    free: u32,
    /// Most keys this shard's buckets may hold (80% of its positions).
    limit: usize,
    st: ShardStats,
}

#[repr(align(128))]
struct Shard {
    m: Mutex<Inner>,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Kill {
    Any,
    Expired,
    NotAssured,
}

enum Step {
    Done(Track),
    Again,
}

/// An ICMP error's flow (see [`Conntrack::related`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Related {
    pub handle: Handle,
    /// Direction of the ICMP error packet itself (opposite to the embedded packet's).
    pub dir: Dir,
    pub ctinfo: CtInfo,
    pub mark: u32,
    pub status: Status,
    pub orig: Tuple,
    pub reply: Tuple,
    /// What the error's outer tuple addresses must become, as for a packet in `dir`: the
    /// inverse of the other direction's tuple. The embedded header is translated the other
    /// way.
    pub target: Tuple,
}

/// The connection tracking table. Shared by reference between workers (`Sync`).
pub struct Conntrack {
    slots: Box<[Slot]>,
    index: Index,
    shards: Box<[Shard]>,
    per_shard: u32,
    max: u32,
    cfg: Config,
    key: [u64; 4],
    count: AtomicU32,
    rng: AtomicU64,
    gc_cursor: AtomicUsize,
    g_invalid: AtomicU64,
    g_drop: AtomicU64,
    g_early_drop: AtomicU64,
    g_insert_failed: AtomicU64,
}

fn random_words() -> [u64; 5] {
    use std::hash::{BuildHasher, Hasher};
    let rs = std::collections::hash_map::RandomState::new();
    let mut out = [0u64; 5];
    for (i, o) in out.iter_mut().enumerate() {
        let mut h = rs.build_hasher();
        h.write_usize(i);
        *o = h.finish();
    }
    out
}

fn splitmix(mut x: u64) -> u64 {
    x = (x ^ (x >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    x = (x ^ (x >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    x ^ (x >> 31)
}

impl Conntrack {
    /// Allocates everything the table will ever use: slots for `max` flows (plus per-shard
    /// slack) and index buckets for both keys of each.
    pub fn new(cfg: Config) -> Self {
        let nshards = cfg.shards.clamp(1, 1 << 16);
        let max = cfg.max.max(1);
        let fair = u64::from(max).div_ceil(nshards as u64);
        // Slack for the uneven spread of flows over shards; a multiple of GC_CHUNK.
        let per = (fair + fair / 16 + 64).div_ceil(GC_CHUNK as u64) * GC_CHUNK as u64;
        let per = per.min(u64::from(u32::MAX / 2) / nshards as u64) as u32;
        let keys_per_shard = (2 * fair + 2 * fair / 4 + 64) as usize;
        // At most 80% of a shard's positions hold keys.
        let floor = cfg.buckets as usize / nshards;
        let positions = (keys_per_shard * 5 / 4).max(floor).max(2 * WAYS);
        let index = Index::new(nshards, positions.div_ceil(WAYS));
        let limit = keys_per_shard.min(index.shard_positions() * 4 / 5);
        let words = random_words();
        let mut slots = Vec::with_capacity(per as usize * nshards);
        slots.resize_with(per as usize * nshards, Slot::default);
        let slots = slots.into_boxed_slice();
        let mut shards = Vec::with_capacity(nshards);
        for s in 0..nshards {
            let base = s as u32 * per;
            for i in 0..per {
                let next = if i + 1 < per { base + i + 1 } else { NIL };
                slots[(base + i) as usize].timeout.store(next, Relaxed);
            }
            shards.push(Shard {
                m: Mutex::new(Inner {
                    keys: 0,
                    free: base,
                    limit,
                    st: ShardStats::default(),
                }),
            });
        }
        Conntrack {
            slots,
            index,
            shards: shards.into_boxed_slice(),
            per_shard: per,
            max,
            cfg,
            key: [words[0], words[1], words[2], words[3] | 1],
            count: AtomicU32::new(0),
            rng: AtomicU64::new(words[4]),
            gc_cursor: AtomicUsize::new(0),
            g_invalid: AtomicU64::new(0),
            g_drop: AtomicU64::new(0),
            g_early_drop: AtomicU64::new(0),
            g_insert_failed: AtomicU64::new(0),
        }
    }

    /// Bytes allocated by the table (slots, index, shard headers); all of it is allocated in
    /// `new`.
    pub fn memory_bytes(&self) -> usize {
        self.slots.len() * std::mem::size_of::<Slot>()
            + self.index.bytes()
            + self.shards.len() * std::mem::size_of::<Shard>()
            + std::mem::size_of::<Self>()
    }

    /// Total key positions of the index over all shards (the effective
    /// `nf_conntrack_buckets`: each position holds one key, as a kernel bucket heads one
    /// chain).
    pub fn buckets(&self) -> usize {
        self.index.positions()
    }

    /// `nf_conntrack_max`.
    pub fn max(&self) -> u32 {
        self.max
    }

    /// Flows in the table (`nf_conntrack_count`), expired ones not yet collected included.
    pub fn len(&self) -> usize {
        self.count.load(Relaxed) as usize
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    #[inline]
    pub(crate) fn h(&self, t: &Tuple) -> u64 {
        hash_tuple(t, &self.key)
    }

    #[inline]
    fn shard_of(&self, h: u64) -> usize {
        self.index.shard_of(h)
    }

    #[inline]
    fn owner(&self, id: u32) -> usize {
        (id / self.per_shard) as usize
    }

    #[inline]
    fn lock(&self, s: usize) -> MutexGuard<'_, Inner> {
        self.shards[s].m.lock()
    }

    /// Locks shards `a` and `b` in ascending order; returns (a's guard, b's guard if b != a).
    fn lock_pair(
        &self,
        a: usize,
        b: usize,
    ) -> (MutexGuard<'_, Inner>, Option<MutexGuard<'_, Inner>>) {
        if a == b {
            (self.lock(a), None)
        } else if a < b {
            let ga = self.lock(a);
            let gb = self.lock(b);
            (ga, Some(gb))
        } else {
            let gb = self.lock(b);
            let ga = self.lock(a);
            (ga, Some(gb))
        }
    }

    /// Exact lookup: the caller holds the lock of `h`'s shard (`_inner`).
    #[inline]
    fn find(&self, _inner: &Inner, h: u64, t: &Tuple) -> Option<u32> {
        self.probe(h, t)
    }

    /// Lookup without a lock: exact only under the shard's lock, a hint otherwise.
    #[inline]
    fn probe(&self, h: u64, t: &Tuple) -> Option<u32> {
        self.index.lookup(h, |e| {
            self.slots[(e >> 1) as usize].key_eq((e & 1) as usize, t)
        })
    }

    /// Links key `e` (`slot << 1 | dir`) under `h`; the caller holds `inner`, the lock of
    /// `h`'s shard, and the owner's.
    fn add_key(&self, inner: &mut Inner, h: u64, e: u32) -> bool {
        if self.index.insert(h, e) {
            inner.keys += 1;
            true
        } else {
            false
        }
    }

    /// Unlinks key `e` under `h`; the caller holds `inner`, the lock of `h`'s shard, and the
    /// owner's.
    fn remove_key(&self, inner: &mut Inner, h: u64, e: u32) {
        if self.index.remove(h, e) {
            inner.keys -= 1;
        }
    }

    /// The key as `track` looks it up: ICMP queries carry type / code in `dport`, protocols
    /// without ports have them cleared. `Err` for packets `track` calls INVALID before any
    /// lookup.
    #[inline]
    fn key_of(pkt: &PacketInfo) -> Result<Tuple, InvalidReason> {
        let mut t = pkt.tuple;
        match t.proto {
            IPPROTO_TCP => {
                if !tcp::tcp_flags_valid(pkt.tcp_flags) {
                    return Err(InvalidReason::Tcp(tcp::TcpInvalid::Flags));
                }
            }
            IPPROTO_ICMP => {
                if tuple::icmp_is_error(pkt.icmp_type) {
                    return Err(InvalidReason::IcmpError);
                }
                if tuple::icmp_inverse_type(pkt.icmp_type).is_none() {
                    return Err(InvalidReason::IcmpType);
                }
                t.dport = u16::from(pkt.icmp_type) << 8 | u16::from(pkt.icmp_code);
            }
            IPPROTO_UDP => {}
            _ => t = t.normalized(),
        }
        Ok(t)
    }

    /// Starts loading the index bucket `t` hashes to (`t` keyed as the table keys it: see
    /// [`Conntrack::prefetch_packet`]). For batches: prefetch every packet's bucket, then
    /// [`Conntrack::prefetch_entry`] each, then track each. Changes nothing.
    #[inline]
    pub fn prefetch(&self, t: &Tuple) {
        self.index.prefetch(self.h(&t.normalized()));
    }

    /// [`Conntrack::prefetch`] of the tuple `track` will look `pkt` up by.
    #[inline]
    pub fn prefetch_packet(&self, pkt: &PacketInfo) {
        if let Ok(t) = Self::key_of(pkt) {
            self.index.prefetch(self.h(&t));
        }
    }

    /// Reads `pkt`'s index bucket without a lock and starts loading the entries whose tag
    /// matches (usually exactly the flow's). Best after the bucket's prefetch has landed.
    #[inline]
    pub fn prefetch_entry(&self, pkt: &PacketInfo) {
        if let Ok(t) = Self::key_of(pkt) {
            self.index.candidates(self.h(&t), |e| {
                if let Some(s) = self.slots.get((e >> 1) as usize) {
                    crate::index::prefetch_line(&s.o[0]);
                }
            });
        }
    }

    #[inline]
    fn gen_of(&self, id: u32) -> u32 {
        self.slots[id as usize].meta.load(Relaxed) >> GEN_SHIFT
    }

    #[inline]
    fn valid(&self, id: u32, gen: u32) -> bool {
        let m = self.slots[id as usize].meta.load(Relaxed);
        m & META_LIVE != 0 && m >> GEN_SHIFT == gen
    }

    pub(crate) fn rand16(&self) -> u16 {
        let x = self.rng.fetch_add(0x9e37_79b9_7f4a_7c15, Relaxed);
        (splitmix(x) >> 17) as u16
    }

    /// Deletes entry `id` if it still has generation `gen` and meets `cond`. Takes the owner
    /// and reply-key shard locks in ascending order.
    fn kill(&self, id: u32, gen: u32, cond: Kill, now: u32) -> bool {
        if !self.valid(id, gen) {
            return false;
        }
        let slot = &self.slots[id as usize];
        let ho = self.h(&slot.tuple(0));
        let hr = self.h(&slot.tuple(1));
        let (mut gt, mut gr) = self.lock_pair(self.owner(id), self.shard_of(hr));
        // Under both locks: if the generation still matches, the tuples read above were the
        // entry's (they cannot change while it is linked).
        if !self.valid(id, gen) {
            return false;
        }
        match cond {
            Kill::Any => {}
            Kill::Expired => {
                if !expired(slot.timeout.load(Relaxed), now) {
                    return false;
                }
            }
            Kill::NotAssured => {
                if slot.status.load(Relaxed) & Status::ASSURED != 0 {
                    return false;
                }
            }
        }
        self.remove_key(&mut gt, ho, id << 1);
        match gr.as_mut() {
            Some(g) => self.remove_key(g, hr, id << 1 | 1),
            None => self.remove_key(&mut gt, hr, id << 1 | 1),
        }
        slot.meta
            .store(((gen + 1) & GEN_MASK) << GEN_SHIFT, Relaxed);
        slot.timeout.store(gt.free, Relaxed);
        gt.free = id;
        self.count.fetch_sub(1, Relaxed);
        true
    }

    /// Looks a packet up, updates its flow's state, or prepares a new flow.
    pub fn track(&self, pkt: &PacketInfo, now: u32) -> Track {
        let t = match Self::key_of(pkt) {
            Ok(t) => t,
            Err(r) => {
                self.g_invalid.fetch_add(1, Relaxed);
                return Track::Invalid(r);
            }
        };
        let h = self.h(&t);
        let mut restarts = 0;
        // Lock-free probe, then only the owner's lock (see the module doc).
        while let Some(e) = self.probe(h, &t) {
            let id = e >> 1;
            let dir = (e & 1) as usize;
            let gen = self.gen_of(id);
            let g = self.lock(self.owner(id));
            if !self.valid(id, gen) || !self.slots[id as usize].key_eq(dir, &t) {
                break;
            }
            match self.existing(g, id, gen, dir, pkt, now) {
                Step::Done(tr) => return tr,
                Step::Again => {
                    restarts += 1;
                    if restarts > 8 {
                        break;
                    }
                }
            }
        }
        let s = self.shard_of(h);
        loop {
            let g = self.lock(s);
            if restarts > 8 {
                return self.new_flow(g, &t, pkt, now);
            }
            let Some(e) = self.find(&g, h, &t) else {
                return self.new_flow(g, &t, pkt, now);
            };
            let id = e >> 1;
            let dir = (e & 1) as usize;
            let gen = self.gen_of(id);
            let owner = self.owner(id);
            let step = if owner == s {
                self.existing(g, id, gen, dir, pkt, now)
            } else {
                drop(g);
                let mut g2 = self.lock(owner);
                if !self.valid(id, gen) {
                    g2.st.search_restart += 1;
                    restarts += 1;
                    continue;
                }
                self.existing(g2, id, gen, dir, pkt, now)
            };
            match step {
                Step::Done(tr) => return tr,
                Step::Again => restarts += 1,
            }
        }
    }

    fn existing(
        &self,
        mut g: MutexGuard<'_, Inner>,
        id: u32,
        gen: u32,
        dir: usize,
        pkt: &PacketInfo,
        now: u32,
    ) -> Step {
        let slot = &self.slots[id as usize];
        let mut st = slot.load();
        if expired(st.timeout, now) {
            drop(g);
            self.kill(id, gen, Kill::Expired, now);
            return Step::Again;
        }
        g.st.found += 1;
        let to = &self.cfg.timeouts;
        let seen_reply = st.status & Status::SEEN_REPLY != 0;
        let assured = st.status & Status::ASSURED != 0;
        let ctinfo = if dir == 1 || seen_reply {
            CtInfo::Established
        } else {
            CtInfo::New
        };
        let mut kill_after = false;
        match slot.meta.load(Relaxed) as u8 {
            IPPROTO_TCP => {
                let facts = FlowFacts {
                    seen_reply,
                    assured,
                };
                match tcp::tcp_packet(&mut st.tcp, facts, dir, pkt, to, self.cfg.tcp_max_retrans) {
                    TcpVerdict::Accept {
                        timeout,
                        assure,
                        kill,
                    } => {
                        if let Some(x) = timeout {
                            st.timeout = now.wrapping_add(x);
                        }
                        if assure {
                            st.status |= Status::ASSURED;
                        }
                        kill_after = kill;
                    }
                    TcpVerdict::Ignore => {}
                    TcpVerdict::Invalid(r) => {
                        g.st.invalid += 1;
                        return Step::Done(Track::Invalid(InvalidReason::Tcp(r)));
                    }
                    TcpVerdict::Reopen => {
                        drop(g);
                        self.kill(id, gen, Kill::Any, now);
                        return Step::Again;
                    }
                }
            }
            IPPROTO_UDP => {
                if seen_reply {
                    let stream_ts = st.tcp.td_end[0];
                    let (extra, stream) = if (now.wrapping_sub(stream_ts) as i32) > 0 {
                        (to.udp_stream, !assured)
                    } else {
                        (to.udp, false)
                    };
                    st.timeout = now.wrapping_add(extra);
                    if stream {
                        st.status |= Status::ASSURED;
                    }
                } else {
                    st.timeout = now.wrapping_add(to.udp);
                }
            }
            IPPROTO_GRE => {
                if seen_reply {
                    st.timeout = now.wrapping_add(to.gre_stream);
                    st.status |= Status::ASSURED;
                } else {
                    st.timeout = now.wrapping_add(to.gre);
                }
            }
            IPPROTO_ICMP => st.timeout = now.wrapping_add(to.icmp),
            _ => st.timeout = now.wrapping_add(to.generic),
        }
        if dir == 1 {
            st.status |= Status::SEEN_REPLY;
        }
        slot.store(&st);
        let other = slot.tuple(1 - dir);
        drop(g);
        if kill_after {
            self.kill(id, gen, Kill::Any, now);
        }
        Step::Done(Track::Known {
            handle: Handle { id, gen },
            dir: Dir::from_index(dir),
            ctinfo,
            mark: st.mark,
            status: Status(st.status),
            target: other.invert().unwrap_or(other),
        })
    }

    fn new_flow(
        &self,
        mut g: MutexGuard<'_, Inner>,
        t: &Tuple,
        pkt: &PacketInfo,
        now: u32,
    ) -> Track {
        let to = &self.cfg.timeouts;
        let Some(reply) = t.invert() else {
            g.st.invalid += 1;
            return Track::Invalid(InvalidReason::IcmpType);
        };
        let mut tcp = TcpCt::default();
        let timeout = match t.proto {
            IPPROTO_TCP => {
                let mut c = match tcp::tcp_new(pkt, self.cfg.tcp_loose) {
                    Ok(c) => c,
                    Err(r) => {
                        g.st.invalid += 1;
                        return Track::Invalid(InvalidReason::Tcp(r));
                    }
                };
                let facts = FlowFacts {
                    seen_reply: false,
                    assured: false,
                };
                let x = match tcp::tcp_packet(&mut c, facts, 0, pkt, to, self.cfg.tcp_max_retrans) {
                    TcpVerdict::Accept { timeout, .. } => timeout.unwrap_or(to.tcp_syn_sent),
                    TcpVerdict::Invalid(r) => {
                        g.st.invalid += 1;
                        return Track::Invalid(InvalidReason::Tcp(r));
                    }
                    TcpVerdict::Ignore | TcpVerdict::Reopen => to.tcp_syn_sent,
                };
                tcp = c;
                x
            }
            IPPROTO_UDP => {
                tcp.td_end[0] = now.wrapping_add(2);
                to.udp
            }
            IPPROTO_ICMP => {
                if !tuple::icmp_is_request(t.icmp_type()) {
                    g.st.invalid += 1;
                    return Track::Invalid(InvalidReason::IcmpType);
                }
                to.icmp
            }
            IPPROTO_GRE => to.gre,
            _ => to.generic,
        };
        g.st.new += 1;
        drop(g);
        // Confirm will look the reply key up: start loading its bucket while the caller runs
        // its hooks.
        self.index.prefetch(self.h(&reply));
        if self.count.load(Relaxed) >= self.max && !self.early_drop(self.h(t), now) {
            self.g_drop.fetch_add(1, Relaxed);
            return Track::Full;
        }
        Track::New(Unconfirmed {
            orig: *t,
            reply,
            status: 0,
            mark: 0,
            timeout,
            tcp,
            nat_retry: None,
        })
    }

    /// Evicts a non-ASSURED flow near hash `h`'s bucket (and expired ones seen on the way).
    fn early_drop(&self, h: u64, now: u32) -> bool {
        let mut cands = [(0u32, 0u32, false); 8];
        let mut n = 0;
        {
            let _g = self.lock(self.shard_of(h));
            self.index.scan(h, EARLY_DROP_SCAN, |e| {
                let id = e >> 1;
                let slot = &self.slots[id as usize];
                let exp = expired(slot.timeout.load(Relaxed), now);
                if exp || slot.status.load(Relaxed) & Status::ASSURED == 0 {
                    if cands[..n].iter().any(|c| c.0 == id) {
                        return true;
                    }
                    cands[n] = (id, self.gen_of(id), exp);
                    n += 1;
                    if !exp || n == cands.len() {
                        return false;
                    }
                }
                true
            });
        }
        let mut freed = false;
        for &(id, gen, exp) in &cands[..n] {
            if exp {
                freed |= self.kill(id, gen, Kill::Expired, now);
            } else if self.kill(id, gen, Kill::NotAssured, now) {
                self.g_early_drop.fetch_add(1, Relaxed);
                freed = true;
            }
        }
        freed
    }

    /// Puts a new flow in the table. Detects another worker's insertion of the same flow
    /// (kernel clash resolution: a UDP / ICMP / GRE flow identical in both tuples is merged
    /// into the existing entry, counted `clash_resolve`) or of a flow holding our reply tuple
    /// (a NATed flow allocates again, up to three times; otherwise `Clash`, counted
    /// `insert_failed`). Never creates two entries with the same tuple.
    pub fn confirm(&self, mut u: Unconfirmed, now: u32) -> Result<Handle, ConfirmError> {
        let mut dropped_once = false;
        for _ in 0..5 {
            let ho = self.h(&u.orig);
            let hr = self.h(&u.reply);
            let ts = self.shard_of(ho);
            let (mut gt, mut gr) = self.lock_pair(ts, self.shard_of(hr));
            if let Some(e) = self.find(&gt, ho, &u.orig) {
                let id = e >> 1;
                let gen = self.gen_of(id);
                let slot = &self.slots[id as usize];
                if expired(slot.timeout.load(Relaxed), now) {
                    drop(gr);
                    drop(gt);
                    self.kill(id, gen, Kill::Expired, now);
                    continue;
                }
                if e & 1 == 0
                    && slot.tuple(1) == u.reply
                    && matches!(u.orig.proto, IPPROTO_UDP | IPPROTO_ICMP | IPPROTO_GRE)
                {
                    gt.st.clash_resolve += 1;
                    return Ok(Handle { id, gen });
                }
                gt.st.insert_failed += 1;
                return Err(ConfirmError::Clash);
            }
            let rclash = self.find(gr.as_deref().unwrap_or(&gt), hr, &u.reply);
            if let Some(e) = rclash {
                let id = e >> 1;
                let gen = self.gen_of(id);
                drop(gr);
                drop(gt);
                if expired(self.slots[id as usize].timeout.load(Relaxed), now) {
                    self.kill(id, gen, Kill::Expired, now);
                    continue;
                }
                if let Some((manip, range, pre)) = u.nat_retry {
                    if let Ok(nt) = self.unique_tuple(&pre, &range, manip, now) {
                        if let Some(r) = nt.invert() {
                            if r != u.reply {
                                u.reply = r;
                                continue;
                            }
                        }
                    }
                }
                self.g_insert_failed.fetch_add(1, Relaxed);
                return Err(ConfirmError::Clash);
            }
            let over = self.count.fetch_add(1, Relaxed) >= self.max;
            let room = gt.keys + 2 <= gt.limit && gr.as_ref().is_none_or(|g| g.keys < g.limit);
            let id = if over || !room || gt.free == NIL {
                None
            } else {
                // Link both keys first (nobody can look them up exactly before we unlock;
                // a lock-free probe re-checks under the owner's lock, which we hold).
                let id = gt.free;
                if !self.add_key(&mut gt, ho, id << 1) {
                    None
                } else if !match gr.as_mut() {
                    Some(g) => self.add_key(g, hr, id << 1 | 1),
                    None => self.add_key(&mut gt, hr, id << 1 | 1),
                } {
                    self.remove_key(&mut gt, ho, id << 1);
                    None
                } else {
                    gt.free = self.slots[id as usize].timeout.load(Relaxed);
                    // The shard's next new flow writes that slot: load it meanwhile.
                    if let Some(next) = self.slots.get(gt.free as usize) {
                        crate::index::prefetch_line(&next.o[0]);
                    }
                    Some(id)
                }
            };
            let Some(id) = id else {
                self.count.fetch_sub(1, Relaxed);
                drop(gr);
                drop(gt);
                if !dropped_once && self.early_drop(ho, now) {
                    dropped_once = true;
                    continue;
                }
                self.g_drop.fetch_add(1, Relaxed);
                return Err(ConfirmError::Full);
            };
            let slot = &self.slots[id as usize];
            let gen = slot.meta.load(Relaxed) >> GEN_SHIFT;
            slot.set_tuple(0, &u.orig);
            slot.set_tuple(1, &u.reply);
            slot.store(&EntryState {
                timeout: now.wrapping_add(u.timeout),
                mark: u.mark,
                status: u.status | Status::CONFIRMED,
                tcp: u.tcp,
            });
            slot.meta.store(
                gen << GEN_SHIFT | META_LIVE | u32::from(u.orig.proto),
                Relaxed,
            );
            gt.st.insert += 1;
            return Ok(Handle { id, gen });
        }
        self.g_insert_failed.fetch_add(1, Relaxed);
        Err(ConfirmError::Clash)
    }

    /// True when some live flow has `t` as its original or reply tuple
    /// (`nf_conntrack_tuple_taken`; expired flows do not count).
    ///
    /// Lock-free, as the kernel's: the answer may be stale by the time it is used, and
    /// [`Conntrack::confirm`] re-checks under the locks.
    pub fn tuple_taken(&self, t: &Tuple, now: u32) -> bool {
        let h = self.h(t);
        match self.probe(h, t) {
            Some(e) => !expired(self.slots[(e >> 1) as usize].timeout.load(Relaxed), now),
            None => false,
        }
    }

    /// The flow an ICMP error is about. `embedded` is the tuple of the header inside the
    /// error (the packet a host sent, that caused the error); `outer_dst` the error's own
    /// destination address. As `nf_conntrack_inet_error`: the inverse of the embedded tuple
    /// is looked up, the direction found is the error's direction, and the flow's tuple in
    /// that direction must be addressed to `outer_dst` (else `None`: INVALID). Changes no
    /// state (RELATED packets do not refresh timeouts).
    pub fn related(&self, embedded: &Tuple, outer_dst: u32, now: u32) -> Option<Related> {
        let inv = embedded.normalized().invert()?;
        let h = self.h(&inv);
        let g = self.lock(self.shard_of(h));
        let e = self.find(&g, h, &inv)?;
        let id = e >> 1;
        let dir = (e & 1) as usize;
        let slot = &self.slots[id as usize];
        if expired(slot.timeout.load(Relaxed), now) || slot.tuple(dir).dst != outer_dst {
            return None;
        }
        let other = slot.tuple(1 - dir);
        Some(Related {
            handle: Handle {
                id,
                gen: self.gen_of(id),
            },
            dir: Dir::from_index(dir),
            ctinfo: CtInfo::Related,
            mark: slot.mark.load(Relaxed),
            status: Status(slot.status.load(Relaxed)),
            orig: slot.tuple(0),
            reply: slot.tuple(1),
            target: other.invert().unwrap_or(other),
        })
    }

    /// CONNMARK on a confirmed flow; false for a stale handle.
    pub fn set_mark(&self, h: Handle, mark: u32) -> bool {
        if h.id as usize >= self.slots.len() {
            return false;
        }
        let _g = self.lock(self.owner(h.id));
        if !self.valid(h.id, h.gen) {
            return false;
        }
        self.slots[h.id as usize].mark.store(mark, Relaxed);
        true
    }

    /// The mark of a flow, `None` for a stale handle.
    pub fn mark(&self, h: Handle) -> Option<u32> {
        if h.id as usize >= self.slots.len() || !self.valid(h.id, h.gen) {
            return None;
        }
        Some(self.slots[h.id as usize].mark.load(Relaxed))
    }

    /// Deletes a flow (`conntrack -D`); false for a stale handle.
    pub fn remove(&self, h: Handle) -> bool {
        h.id < self.slots.len() as u32 && self.kill(h.id, h.gen, Kill::Any, 0)
    }

    /// Deletes every flow (`conntrack -F`); returns how many.
    pub fn flush(&self) -> usize {
        let mut n = 0;
        for id in 0..self.slots.len() as u32 {
            let m = self.slots[id as usize].meta.load(Relaxed);
            if m & META_LIVE != 0 && self.kill(id, m >> GEN_SHIFT, Kill::Any, 0) {
                n += 1;
            }
        }
        n
    }

    /// Incremental expiry: examines about `budget` slots from where the last call stopped
    /// (in chunks of 64 under one shard lock each; at most the whole table) and deletes the expired flows among them.
    /// Returns how many were deleted. Calling it with `budget = slots / period` every period
    /// sweeps the whole table once per period.
    pub fn gc(&self, now: u32, budget: usize) -> usize {
        let chunks_total = self.slots.len() / GC_CHUNK;
        let mut killed = 0;
        // At most one sweep of the whole table per call.
        for _ in 0..budget.min(self.slots.len()).div_ceil(GC_CHUNK) {
            let c = self.gc_cursor.fetch_add(1, Relaxed) % chunks_total;
            let start = (c * GC_CHUNK) as u32;
            let mut cands = [(0u32, 0u32); GC_CHUNK];
            let mut n = 0;
            {
                let _g = self.lock(self.owner(start));
                for id in start..start + GC_CHUNK as u32 {
                    let slot = &self.slots[id as usize];
                    let m = slot.meta.load(Relaxed);
                    if m & META_LIVE != 0 && expired(slot.timeout.load(Relaxed), now) {
                        cands[n] = (id, m >> GEN_SHIFT);
                        n += 1;
                    }
                }
            }
            for &(id, gen) in &cands[..n] {
                if self.kill(id, gen, Kill::Expired, now) {
                    killed += 1;
                }
            }
        }
        killed
    }

    /// Appends every live flow, for `conntrack -L`. Order: by shard, then by slot (the
    /// kernel's is hash-bucket order; both are arbitrary to the reader).
    pub fn list(&self, now: u32, out: &mut Vec<Listing>) {
        for s in 0..self.shards.len() {
            let _g = self.lock(s);
            let base = s as u32 * self.per_shard;
            for id in base..base + self.per_shard {
                let slot = &self.slots[id as usize];
                let m = slot.meta.load(Relaxed);
                if m & META_LIVE == 0 {
                    continue;
                }
                let st = slot.load();
                if expired(st.timeout, now) {
                    continue;
                }
                let proto = m as u8;
                out.push(Listing {
                    orig: slot.tuple(0),
                    reply: slot.tuple(1),
                    // The kernel prints floor(jiffies left / HZ): a flow refreshed this second
                    // has already used a fraction of it, so one less than our whole seconds.
                    timeout: st.timeout.wrapping_sub(now).saturating_sub(1),
                    tcp_state: (proto == IPPROTO_TCP).then(|| st.tcp.tcp_state()),
                    status: Status(st.status),
                    mark: st.mark,
                    use_count: 1,
                });
            }
        }
    }

    /// Counters summed over shards.
    pub fn stats(&self) -> Stats {
        let mut s = Stats {
            invalid: self.g_invalid.load(Relaxed),
            drop: self.g_drop.load(Relaxed),
            early_drop: self.g_early_drop.load(Relaxed),
            insert_failed: self.g_insert_failed.load(Relaxed),
            ..Stats::default()
        };
        for sh in self.shards.iter() {
            let st = sh.m.lock().st;
            s.found += st.found;
            s.new += st.new;
            s.invalid += st.invalid;
            s.insert += st.insert;
            s.insert_failed += st.insert_failed;
            s.search_restart += st.search_restart;
            s.clash_resolve += st.clash_resolve;
        }
        s
    }
}
