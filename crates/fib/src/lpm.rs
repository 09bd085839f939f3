//! The compiled longest-prefix-match structure: [`Lpm4`], a Poptrie.
//!
//! This module owns one thing: given a fixed set of IPv4 prefixes, each with a `u32` value,
//! answer "value of the longest prefix covering this address" as fast as the memory system
//! allows, one address at a time ([`Lpm4::lookup`]) or a receive batch at a time
//! ([`Lpm4::lookup_batch`]). It knows nothing of routes, tables, aliases or rules: the value
//! is opaque (ruta-fib's `Table` stores the index of the prefix in its own arrays). The
//! structure is immutable once built; the router rebuilds it on a configuration change and
//! swaps it atomically, so there is no incremental update and no locking. It must not touch
//! anything else: no I/O, no threads, no global state. The only `unsafe` is the prefetch
//! hint (it cannot fault) and the cache-line aligned byte buffer that holds the table
//! (`Region`: allocation, slices of it, `Send`/`Sync`).
//!
//! # Layout (docs/LPM.md has the why and the measurements)
//!
//! Poptrie (Asai & Ohara, SIGCOMM 2015), with one change to the first level of nodes:
//!
//! * a *direct pointing* array indexed by the top `s` bits of the address (`s` = 18 for large
//!   tables, less for small ones). An entry is a value (bit 31 clear; `0x7fff_ffff` is "no
//!   route") or, bit 31 set, the offset of a *block record*, its leaf width and whether it
//!   has children;
//! * a block record describes the next 6 bits under one direct entry: Poptrie's `leafvec`
//!   (slots that start a new run of equal values among the leaf slots), two bases, and its
//!   leaves *inline*, 8-bit codes whenever the record's values allow (16- or 32-bit
//!   otherwise); then, only if some slot continues below, Poptrie's `vector` (slots that
//!   continue in a child node) and the index of the first child. Records are placed so that
//!   one of a cache line or less never crosses a line: a lookup that ends in a record (nearly
//!   all) reads the direct entry and one line;
//! * below the records (prefixes longer than `s + 6`, rare), plain Poptrie: 24-byte nodes of
//!   64 slots, children of a node contiguous and leaves contiguous, a slot's child or leaf
//!   found with a `popcount` of the map below it.
//!
//! [`Lpm4::lookup_batch`] walks 32 addresses at a time level by level over compact lists of
//! lanes, with no data-dependent branch and a prefetch of each lane's direct entry, then of
//! its record as soon as its address is known, so the cache misses of a batch overlap instead
//! of queueing.
//!
//! # IPv6
//!
//! The build and the walk are written against the private `Key` trait (key width, "`w`
//! bits at offset `o`", "clear the host bits"); nothing else depends on 32-bit keys. An
//! `Lpm6` is `Poptrie<u128>` with `impl Key for u128`: the same direct entries, records and
//! nodes; a 128-bit key only means more node levels (real IPv6 tables are short below /48, so
//! `s` = 16..=20 plus a record and a few nodes cover nearly every lookup).

use std::alloc::{self, Layout};
use std::fmt;
use std::marker::PhantomData;
use std::ptr::NonNull;

/// Bits consumed by each record or node (64 slots, one `u64` map each).
const STRIDE: u32 = 6;
/// Direct-pointing bits for a large table (the paper's best trade-off, `Poptrie18`).
const DIRECT_BITS_MAX: u32 = 18;
/// A direct entry with this bit set is a record offset; clear, it is an inline value.
const NODE_FLAG: u32 = 1 << 31;
/// An inline direct entry meaning "no route" (the largest value that fits below the flag).
const INLINE_NONE: u32 = NODE_FLAG - 1;
/// Set in a record's direct entry when the record has children (its tail holds `vector` and
/// `base1`).
const FULL: u32 = 1 << 30;
/// A record's direct entry holds its leaf width `w` (1 << w bytes) at this shift ...
const WIDTH_SHIFT: u32 = 28;
/// ... and its offset in the table's memory, in 4-byte units, below it (1 GiB).
const OFFSET: u32 = (1 << WIDTH_SHIFT) - 1;
/// Cache line size.
const LINE: usize = 64;
/// Record header: leafvec (8 bytes), vbase (4), vdef - ones (4); the leaves follow.
const HDR: usize = 16;
/// Lookups walked together by `lookup_batch` (32 measured better than 16, 24, 48 and 64).
const LANES: usize = 32;

/// The longest-prefix-match table for IPv4 keys (host byte order).
///
/// Built once from a list of prefixes ([`Lpm4::build`]), then only read. `Send + Sync`, cheap
/// to share behind an `Arc`; [`Clone`] copies the arrays.
#[derive(Clone, Default)]
pub struct Lpm4 {
    trie: Poptrie<u32>,
    len: usize,
}

impl Lpm4 {
    /// Value returned when no prefix covers the address.
    pub const NONE: u32 = u32::MAX;

    /// Builds from (network address with host bits zero, prefix length 0..=32, value != NONE).
    ///
    /// Prefixes are unique (the caller guarantees it; checked by `debug_assert`). The order of
    /// the input is arbitrary. In release builds, invalid entries never panic: host bits are
    /// cleared, entries with a length above 32 or the value `NONE` are ignored, and of
    /// duplicate prefixes the one with the smallest value is kept.
    pub fn build(prefixes: &[(u32, u8, u32)]) -> Lpm4 {
        let mut v: Vec<(u32, u8, u32)> = Vec::with_capacity(prefixes.len());
        for &(addr, len, value) in prefixes {
            debug_assert!(len <= 32, "prefix length {len} > 32");
            debug_assert!(value != Self::NONE, "value NONE for {addr:#010x}/{len}");
            if len > 32 || value == Self::NONE {
                continue;
            }
            let a = addr.mask(u32::from(len));
            debug_assert!(a == addr, "host bits set in {addr:#010x}/{len}");
            v.push((a, len, value));
        }
        // Address then length: a prefix comes before every prefix it encloses, which is what
        // the build's painting order relies on.
        v.sort_unstable();
        let before = v.len();
        v.dedup_by_key(|p| (p.0, p.1));
        debug_assert!(v.len() == before, "duplicate prefixes in Lpm4::build input");
        Lpm4 {
            trie: Poptrie::build(&v, direct_bits(v.len())),
            len: v.len(),
        }
    }

    /// An empty table (every lookup returns NONE).
    pub fn empty() -> Lpm4 {
        Lpm4::default()
    }

    /// Value of the longest prefix covering `addr` (host byte order), or [`Lpm4::NONE`].
    #[inline]
    pub fn lookup(&self, addr: u32) -> u32 {
        self.trie.lookup(addr)
    }

    /// [`Lpm4::lookup`] for a batch: `out[i]` receives the value for `addrs[i]`.
    ///
    /// `out.len()` must equal `addrs.len()` (debug_assert); otherwise only the common prefix
    /// of the two slices is written. The addresses are walked 32 at a time, level by level,
    /// so that the cache misses of independent addresses overlap: this is what the forwarding
    /// path calls per RX batch.
    pub fn lookup_batch(&self, addrs: &[u32], out: &mut [u32]) {
        debug_assert_eq!(addrs.len(), out.len());
        self.trie.lookup_batch(addrs, out);
    }

    /// Heap bytes used by the compiled structure.
    pub fn memory_bytes(&self) -> usize {
        self.trie.memory_bytes()
    }

    /// Number of prefixes.
    pub fn len(&self) -> usize {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }
}

impl fmt::Debug for Lpm4 {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let t = &self.trie;
        f.debug_struct("Lpm4")
            .field("prefixes", &self.len)
            .field("direct_bits", &t.s)
            .field("records", &t.records)
            .field("record_bytes", &t.record_bytes)
            .field("nodes", &t.nodes)
            .field("leaves", &t.leaves)
            .field("memory_bytes", &self.memory_bytes())
            .finish()
    }
}

/// Direct-pointing width for a table of `n` prefixes: 18 bits (1 MiB of entries) only when
/// the table is big enough for it to pay; small tables (most policy-routing tables) stay
/// small.
fn direct_bits(n: usize) -> u32 {
    match n {
        0 => 1,
        1..=255 => 6,
        256..=16_383 => 12,
        _ => DIRECT_BITS_MAX,
    }
}

/// A key type: the address family. Only `u32` (IPv4) is implemented; see the module doc.
pub(crate) trait Key: Copy + Ord + fmt::Debug {
    /// Key width in bits.
    const BITS: u32;
    /// The `width` (1..=32) bits starting at bit `off` (0 = most significant), zero-filled
    /// past the end of the key. `off` must be below 64.
    fn bits(self, off: u32, width: u32) -> usize;
    /// The key with every bit from `len` on cleared (`len` <= `BITS`).
    fn mask(self, len: u32) -> Self;
}

impl Key for u32 {
    const BITS: u32 = 32;

    #[inline(always)]
    fn bits(self, off: u32, width: u32) -> usize {
        ((u64::from(self) << 32 << off) >> (64 - width)) as usize
    }

    #[inline(always)]
    fn mask(self, len: u32) -> u32 {
        if len == 0 {
            0
        } else {
            self & (u32::MAX << (32 - len.min(32)))
        }
    }
}

/// An inline direct entry decoded (bit 31 is known clear).
#[inline(always)]
fn decode_inline(e: u32) -> u32 {
    if e == INLINE_NONE {
        Lpm4::NONE
    } else {
        e
    }
}

/// Mask of the bits `0..=c` (the slots up to and including `c`).
#[inline(always)]
fn upto(c: usize) -> u64 {
    u64::MAX >> (63 - c)
}

/// The index that `popcount(map & upto(c))` selects in an array starting at `base`.
#[inline(always)]
fn rank(base: u32, map: u64, c: usize) -> u32 {
    base.wrapping_add((map & upto(c)).count_ones())
        .wrapping_sub(1)
}

#[inline(always)]
fn read_u32(b: &[u8], at: usize) -> u32 {
    let mut w = [0; 4];
    w.copy_from_slice(&b[at..at + 4]);
    u32::from_le_bytes(w)
}

#[inline(always)]
fn read_u64(b: &[u8], at: usize) -> u64 {
    let mut w = [0; 8];
    w.copy_from_slice(&b[at..at + 8]);
    u64::from_le_bytes(w)
}

/// A node below the block records (24 bytes, as in the paper).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[repr(C)]
struct Node {
    /// Bit `i` set: slot `i` continues in a child node.
    vector: u64,
    /// Bit `i` set: slot `i` is a leaf whose value differs from the previous leaf slot's.
    leafvec: u64,
    /// Index of this node's first leaf in the leaf array.
    base0: u32,
    /// Index of this node's first child in the node array.
    base1: u32,
}

/// Bytes of a [`Node`] in the table's memory.
const NODE_BYTES: usize = 24;

impl Node {
    #[inline(always)]
    fn read(mem: &[u8], at: usize) -> Node {
        let b = &mem[at..at + NODE_BYTES];
        let mut q = [0; 8];
        q.copy_from_slice(&b[0..8]);
        let vector = u64::from_le_bytes(q);
        q.copy_from_slice(&b[8..16]);
        Node {
            vector,
            leafvec: u64::from_le_bytes(q),
            base0: read_u32(b, 16),
            base1: read_u32(b, 20),
        }
    }

    fn write(&self, b: &mut [u8]) {
        b[0..8].copy_from_slice(&self.vector.to_le_bytes());
        b[8..16].copy_from_slice(&self.leafvec.to_le_bytes());
        b[16..20].copy_from_slice(&self.base0.to_le_bytes());
        b[20..24].copy_from_slice(&self.base1.to_le_bytes());
    }
}

/// Where a record lives and how to read it, from its direct entry (`NODE_FLAG` set).
#[inline(always)]
fn record_at(e: u32) -> (usize, u32) {
    ((e & OFFSET) as usize * 4, (e >> WIDTH_SHIFT) & 3)
}

/// Value of slot `c` of the record at `x` with leaf width `w`, if `c` is not a child slot.
/// For a child slot the result is meaningless but the reads stay inside the record.
#[inline(always)]
fn record_leaf(mem: &[u8], x: usize, w: u32, c: usize) -> u32 {
    let h = &mem[x..x + HDR];
    let leafvec = read_u64(h, 0);
    // The leaf is number `r - 1`; it ends at `HDR + (r << w)`. (r >= 1 for a leaf slot: the
    // first leaf slot always starts a run; r = 0 reads the header.)
    let r = (leafvec & upto(c)).count_ones() as usize;
    // The 4 bytes that end where the leaf ends: never past the record, and never in a line
    // the record does not use.
    let sh = 32 - (8 << w);
    let code = read_u32(mem, x + HDR - 4 + (r << w)) >> sh;
    // The all-ones code adds to the second base (`vdef` minus all ones) instead of `vbase`.
    // An indexed read rather than a select: the compiler turns a select into a branch, and
    // whether a leaf is the inherited value is data, so that branch mispredicts.
    let inherited = usize::from(code == u32::MAX >> sh);
    read_u32(h, 8 + 4 * inherited).wrapping_add(code)
}

/// The tail of a full record at `x` with leaf width `w`: (`vector`, `base1`).
#[inline(always)]
fn record_tail(mem: &[u8], x: usize, w: u32) -> (u64, u32) {
    let n = read_u64(mem, x).count_ones() as usize;
    let t = x + (HDR + (n << w)).next_multiple_of(4);
    (read_u64(mem, t), read_u32(mem, t + 8))
}

/// The generic Poptrie over key type `K`.
///
/// Everything lives in one cache-line aligned allocation, `mem`, little-endian: the direct
/// array (`2^s` `u32` entries, at 0), the block records (whole lines from the first line after
/// the direct array; 4-byte aligned, and a record of a line or less never crosses a line),
/// the nodes below the records (24 bytes each, from `nodes_at`) and their leaves (`u32`, from
/// `leaves_at`).
#[derive(Clone)]
struct Poptrie<K> {
    /// Direct-pointing width `s` (1..=18).
    s: u32,
    mem: Region,
    nodes_at: usize,
    leaves_at: usize,
    records: usize,
    record_bytes: usize,
    nodes: usize,
    leaves: usize,
    _key: PhantomData<fn(K)>,
}

impl<K: Key> Default for Poptrie<K> {
    fn default() -> Self {
        Poptrie::build(&[], 1)
    }
}

/// The shape of a 64-slot block: its maps and its leaf runs.
struct Shape {
    vector: u64,
    leafvec: u64,
    base1: u32,
    runs: [u32; 64],
    nruns: usize,
}

/// What building a block produced: a single value (the block is uniform) or a shape.
enum Built {
    Leaf(u32),
    Shape(Box<Shape>),
}

struct Builder {
    /// Where the pool will start in the table's memory (record offsets are absolute).
    pool_at: usize,
    /// The records, whole cache lines.
    pool: Vec<u8>,
    /// Lines of the pool with `4 * k` free bytes at their end, for `k` in 1..16.
    free: [Vec<usize>; 16],
    records: usize,
    nodes: Vec<Node>,
    leaves: Vec<u32>,
}

impl Builder {
    /// Builds the block at bit offset `off` that holds the prefixes `pfx`, all inside the
    /// block and sorted by (address, length); prefixes of length <= `off` are ignored (they
    /// are what `default` accounts for). `default` is the value of the longest prefix
    /// covering the whole block. Children land in `nodes` (contiguous); the block itself is
    /// returned for the caller to store as a node or as a record.
    fn block<K: Key>(&mut self, pfx: &[(K, u8, u32)], off: u32, default: u32) -> Built {
        let end = off + STRIDE;
        let mut slot = [default; 64];
        let mut vector = 0u64;
        // Sorted order puts an enclosing prefix before the prefixes it encloses, so painting
        // in order leaves each slot with its longest match.
        for &(addr, len, value) in pfx {
            let len = u32::from(len);
            if len <= off {
                continue;
            }
            let c = addr.bits(off, STRIDE);
            if len <= end {
                slot[c..c + (1usize << (end - len))].fill(value);
            } else {
                vector |= 1 << c;
            }
        }
        // Children, in slot order. Each one's own subtree lands in the arrays first; the
        // children themselves are pushed contiguously afterwards.
        let mut kids = [Node::default(); 64];
        let mut nkids = 0;
        if vector != 0 {
            let mut i = 0;
            while i < pfx.len() {
                let c = pfx[i].0.bits(off, STRIDE);
                let mut j = i + 1;
                while j < pfx.len() && pfx[j].0.bits(off, STRIDE) == c {
                    j += 1;
                }
                if vector >> c & 1 != 0 {
                    match self.block(&pfx[i..j], end, slot[c]) {
                        Built::Leaf(v) => {
                            slot[c] = v;
                            vector &= !(1 << c);
                        }
                        Built::Shape(s) => {
                            kids[nkids] = self.node(&s);
                            nkids += 1;
                        }
                    }
                }
                i = j;
            }
        }
        // Leaves: the slots that are not children, one entry per run of equal values.
        let mut shape = Box::new(Shape {
            vector,
            leafvec: 0,
            base1: self.nodes.len() as u32,
            runs: [0; 64],
            nruns: 0,
        });
        for (c, &v) in slot.iter().enumerate() {
            if vector >> c & 1 == 0 && (shape.nruns == 0 || shape.runs[shape.nruns - 1] != v) {
                shape.leafvec |= 1 << c;
                shape.runs[shape.nruns] = v;
                shape.nruns += 1;
            }
        }
        if vector == 0 && shape.nruns == 1 {
            return Built::Leaf(shape.runs[0]);
        }
        self.nodes.extend_from_slice(&kids[..nkids]);
        Built::Shape(shape)
    }

    /// Stores a block as a node (its leaves into `leaves`); the caller places the node.
    fn node(&mut self, s: &Shape) -> Node {
        let base0 = self.leaves.len() as u32;
        self.leaves.extend_from_slice(&s.runs[..s.nruns]);
        Node {
            vector: s.vector,
            leafvec: s.leafvec,
            base0,
            base1: s.base1,
        }
    }

    /// Stores a block as a record; returns the direct entry pointing at it.
    ///
    /// Record: `leafvec` u64, `vbase` u32, `vdef - ones` u32, one leaf per run of `1 << w`
    /// bytes (the value is `vbase + code`, except that the all-ones code `ones` means `vdef`),
    /// then, if the block has children, padding to 4 bytes, `vector` u64 and `base1` u32.
    fn record(&mut self, s: &Shape, default: u32) -> u32 {
        let runs = &s.runs[..s.nruns];
        let others = runs.iter().copied().filter(|&v| v != default);
        let lo = others.clone().min().unwrap_or(0);
        let hi = others.max().unwrap_or(0);
        let (w, vbase, vdef) = match hi - lo {
            0..0xff => (0, lo, default),
            0xff..0xffff => (1, lo, default),
            _ => (2, 0, Lpm4::NONE),
        };
        let mut rec = [0u8; HDR + 4 * 64 + 12];
        rec[0..8].copy_from_slice(&s.leafvec.to_le_bytes());
        rec[8..12].copy_from_slice(&vbase.to_le_bytes());
        let ones = u32::MAX >> (32 - (8 << w));
        rec[12..16].copy_from_slice(&vdef.wrapping_sub(ones).to_le_bytes());
        let width = 1usize << w;
        for (i, &v) in runs.iter().enumerate() {
            // Wide leaves hold the value itself (NONE, all ones, decodes as `vdef` = NONE).
            let code = if w < 2 && v == default {
                u32::MAX
            } else {
                v.wrapping_sub(vbase)
            };
            let z = HDR + i * width;
            rec[z..z + width].copy_from_slice(&code.to_le_bytes()[..width]);
        }
        let leaves_end = HDR + runs.len() * width;
        let mut z = leaves_end.next_multiple_of(4);
        if s.vector != 0 {
            rec[z..z + 8].copy_from_slice(&s.vector.to_le_bytes());
            rec[z + 8..z + 12].copy_from_slice(&s.base1.to_le_bytes());
            z += 12;
        }
        let at = self.alloc(z);
        self.pool[at..at + z].copy_from_slice(&rec[..z]);
        self.records += 1;
        let at = self.pool_at + at;
        // 1 GiB of records: an IPv4 table needs at most 2^18 records of 300 bytes.
        debug_assert!(at & 3 == 0 && at / 4 <= OFFSET as usize);
        let full = if s.vector != 0 { FULL } else { 0 };
        NODE_FLAG | full | (w << WIDTH_SHIFT) | (at / 4) as u32
    }

    /// Space for a record of `z` bytes (a multiple of 4) in the pool. A record of a line or
    /// less never crosses a line (best fit into the free ends of lines, else a new line), so
    /// that a lookup reads one line of it; a longer one starts a line.
    fn alloc(&mut self, z: usize) -> usize {
        let need = z / 4;
        if z <= LINE {
            for k in need..16 {
                if let Some(line) = self.free[k].pop() {
                    if k > need {
                        self.free[k - need].push(line);
                    }
                    return line + LINE - 4 * k;
                }
            }
        }
        let at = self.pool.len();
        self.pool.resize(at + z.next_multiple_of(LINE), 0);
        let rest = (LINE - z % LINE) % LINE / 4;
        if rest > 0 {
            self.free[rest].push(self.pool.len() - LINE);
        }
        at
    }

    /// A direct entry for the value `v`: inline when it fits below the flag, else a
    /// one-leaf record (values >= 0x7fff_ffff are legal, only rare).
    fn direct_value(&mut self, v: u32) -> u32 {
        if v == Lpm4::NONE {
            INLINE_NONE
        } else if v < INLINE_NONE {
            v
        } else {
            let mut runs = [0; 64];
            runs[0] = v;
            let s = Shape {
                vector: 0,
                leafvec: 1,
                base1: 0,
                runs,
                nruns: 1,
            };
            self.record(&s, Lpm4::NONE)
        }
    }
}

impl<K: Key> Poptrie<K> {
    /// Builds from prefixes sorted by (address, length), unique, host bits clear, valid
    /// lengths, values other than NONE. `s` is the direct-pointing width (1..=18).
    fn build(sorted: &[(K, u8, u32)], s: u32) -> Self {
        debug_assert!((1..=DIRECT_BITS_MAX).contains(&s) && s <= K::BITS);
        // Values of the prefixes no longer than `s`, painted block by block.
        let mut vals = vec![Lpm4::NONE; 1 << s];
        for &(addr, len, value) in sorted {
            let len = u32::from(len);
            if len <= s {
                let start = addr.bits(0, s);
                vals[start..start + (1usize << (s - len))].fill(value);
            }
        }
        let mut b = Builder {
            pool_at: (4usize << s).next_multiple_of(LINE),
            pool: Vec::new(),
            free: Default::default(),
            records: 0,
            nodes: Vec::new(),
            leaves: Vec::new(),
        };
        let mut direct = Vec::with_capacity(1 << s);
        // Blocks in order; a block whose prefixes go deeper than `s` gets a record. The
        // prefixes inside one block are contiguous in `sorted`.
        let mut i = 0;
        for (blk, &v) in vals.iter().enumerate() {
            let mut j = i;
            let mut deeper = false;
            while j < sorted.len() && sorted[j].0.bits(0, s) == blk {
                deeper |= u32::from(sorted[j].1) > s;
                j += 1;
            }
            let built = if deeper {
                b.block(&sorted[i..j], s, v)
            } else {
                Built::Leaf(v)
            };
            direct.push(match built {
                Built::Leaf(v) => b.direct_value(v),
                Built::Shape(shape) => b.record(&shape, v),
            });
            i = j;
        }
        let nodes_at = (b.pool_at + b.pool.len()).next_multiple_of(8);
        let leaves_at = nodes_at + b.nodes.len() * NODE_BYTES;
        let end = leaves_at + b.leaves.len() * 4;
        let mut mem = Region::zeroed(end);
        for (w, e) in mem[..4 << s].chunks_exact_mut(4).zip(&direct) {
            w.copy_from_slice(&e.to_le_bytes());
        }
        mem[b.pool_at..b.pool_at + b.pool.len()].copy_from_slice(&b.pool);
        for (w, n) in mem[nodes_at..leaves_at]
            .chunks_exact_mut(NODE_BYTES)
            .zip(&b.nodes)
        {
            n.write(w);
        }
        for (w, l) in mem[leaves_at..end].chunks_exact_mut(4).zip(&b.leaves) {
            w.copy_from_slice(&l.to_le_bytes());
        }
        Poptrie {
            s,
            mem,
            nodes_at,
            leaves_at,
            records: b.records,
            record_bytes: b.pool.len(),
            nodes: b.nodes.len(),
            leaves: b.leaves.len(),
            _key: PhantomData,
        }
    }

    /// Direct entry `i`.
    #[inline(always)]
    fn direct(&self, i: usize) -> u32 {
        read_u32(&self.mem, i * 4)
    }

    /// Node `n` below the records.
    #[inline(always)]
    fn node(&self, n: u32) -> Node {
        Node::read(&self.mem, self.nodes_at + n as usize * NODE_BYTES)
    }

    #[inline(always)]
    fn lookup(&self, key: K) -> u32 {
        let e = self.direct(key.bits(0, self.s));
        if e & NODE_FLAG == 0 {
            return decode_inline(e);
        }
        let (x, w) = record_at(e);
        let c = key.bits(self.s, STRIDE);
        if e & FULL != 0 {
            let (vector, base1) = record_tail(&self.mem, x, w);
            if vector >> c & 1 != 0 {
                return self.walk(key, rank(base1, vector, c), self.s + STRIDE);
            }
        }
        record_leaf(&self.mem, x, w, c)
    }

    /// The rest of a lookup from node `n` at bit offset `off`.
    #[inline(always)]
    fn walk(&self, key: K, n: u32, mut off: u32) -> u32 {
        let mut node = self.node(n);
        loop {
            let c = key.bits(off, STRIDE);
            if node.vector >> c & 1 == 0 {
                let k = rank(node.base0, node.leafvec, c) as usize;
                return read_u32(&self.mem, self.leaves_at + k * 4);
            }
            node = self.node(rank(node.base1, node.vector, c));
            off += STRIDE;
        }
    }

    fn lookup_batch(&self, keys: &[K], out: &mut [u32]) {
        for (k, o) in keys.chunks(LANES).zip(out.chunks_mut(LANES)) {
            self.lookup_lanes(k, o);
        }
    }

    /// Up to `LANES` lookups walked together, one level at a time over a compact list of the
    /// lanes still walking. Appends are branch-free (store, then advance by 0 or 1) and the
    /// choices are selects or indexed reads, so nothing depends on a predicted branch; the
    /// iterations of a pass are independent, so their cache misses overlap; every lane's
    /// direct entry is prefetched first, and its record as soon as its address is known.
    #[inline(always)]
    fn lookup_lanes(&self, keys: &[K], out: &mut [u32]) {
        let n = keys.len().min(out.len()).min(LANES);
        let (keys, out) = (&keys[..n], &mut out[..n]);
        let mem = &*self.mem;
        let pool = mem.as_ptr();
        // Lanes (index into the batch), their record's direct entry, their slot in it.
        let mut lane = [0u8; LANES];
        let mut ent = [0u32; LANES];
        let mut slot = [0u8; LANES];
        let mut nw = 0;
        // The direct entries first: their misses overlap, and the next pass finds them in
        // flight or arrived (measured: +3 % to +10 %).
        for k in keys {
            prefetch(pool.wrapping_add(k.bits(0, self.s) * 4));
        }
        for (i, (k, o)) in keys.iter().zip(out.iter_mut()).enumerate() {
            let e = self.direct(k.bits(0, self.s));
            *o = decode_inline(e);
            let is_rec = (e >> 31) as usize;
            lane[nw] = i as u8;
            ent[nw] = e;
            slot[nw] = k.bits(self.s, STRIDE) as u8;
            nw += is_rec;
            // The record's line (its leaves are in it, unless it is longer than a line).
            // Offset 0 for lanes answered inline: a select by mask, as an `if` here would
            // become a branch that mispredicts on every other lane.
            let x = record_at(e).0 & is_rec.wrapping_neg();
            prefetch(pool.wrapping_add(x));
        }
        // The records: nearly every lane ends here. Lanes whose record has children are
        // kept for a last pass.
        let mut nf = 0;
        for j in 0..nw {
            let l = lane[j];
            let e = ent[j];
            let (x, w) = record_at(e);
            out[l as usize] = record_leaf(mem, x, w, usize::from(slot[j]));
            lane[nf] = l;
            ent[nf] = e;
            nf += (e & FULL != 0) as usize;
        }
        // Records with children (a prefix longer than s + 6 below): rare, one at a time.
        for j in 0..nf {
            let l = lane[j] as usize;
            let (x, w) = record_at(ent[j]);
            let (vector, base1) = record_tail(mem, x, w);
            let c = keys[l].bits(self.s, STRIDE);
            if vector >> c & 1 != 0 {
                out[l] = self.walk(keys[l], rank(base1, vector, c), self.s + STRIDE);
            }
        }
    }

    fn memory_bytes(&self) -> usize {
        self.mem.len()
    }
}

/// An owned, zero-initialised, fixed-size byte buffer: a `Box<[u8]>` aligned to a cache line,
/// so that the records' placement (no record of a line or less crosses a line) holds in
/// memory. (Backing it with 2 MiB pages was measured: no gain, docs/LPM.md.)
struct Region {
    ptr: NonNull<u8>,
    layout: Layout,
}

// SAFETY: a `Region` owns its allocation exclusively, like a `Box<[u8]>`: shared access only
// reads it (through `&[u8]`), writes need `&mut Region`. Nothing in it is thread-bound.
unsafe impl Send for Region {}
// SAFETY: as above; `&Region` only gives out `&[u8]`.
unsafe impl Sync for Region {}

impl Region {
    /// `len` zero bytes (at least one), cache-line aligned.
    fn zeroed(len: usize) -> Region {
        let layout = Layout::from_size_align(len.max(1), LINE).expect("Lpm4 larger than memory");
        // SAFETY: the layout's size is not zero.
        let p = unsafe { alloc::alloc_zeroed(layout) };
        let Some(ptr) = NonNull::new(p) else {
            alloc::handle_alloc_error(layout)
        };
        Region { ptr, layout }
    }
}

impl std::ops::Deref for Region {
    type Target = [u8];

    #[inline(always)]
    fn deref(&self) -> &[u8] {
        // SAFETY: `ptr` points to `layout.size()` initialised bytes (zeroed at allocation)
        // owned by `self`, which the returned borrow cannot outlive; no `&mut` exists while
        // `&self` does.
        unsafe { std::slice::from_raw_parts(self.ptr.as_ptr(), self.layout.size()) }
    }
}

impl std::ops::DerefMut for Region {
    fn deref_mut(&mut self) -> &mut [u8] {
        // SAFETY: as in `deref`, and `&mut self` makes this borrow the only one.
        unsafe { std::slice::from_raw_parts_mut(self.ptr.as_ptr(), self.layout.size()) }
    }
}

impl Clone for Region {
    fn clone(&self) -> Region {
        let mut r = Region::zeroed(self.len());
        r.copy_from_slice(self);
        r
    }
}

impl Drop for Region {
    fn drop(&mut self) {
        // SAFETY: `ptr` was allocated in `zeroed` with exactly `layout`, and is freed only
        // here, once.
        unsafe { alloc::dealloc(self.ptr.as_ptr(), self.layout) }
    }
}

/// Hints the cache to fetch the line at `p`. Any address is fine: a prefetch never faults,
/// and `p` is never dereferenced.
#[inline(always)]
fn prefetch<T>(p: *const T) {
    prefetch_h::<{ core::arch::x86_64::_MM_HINT_T0 }, T>(p)
}
#[inline(always)]
fn prefetch_h<const H: i32, T>(p: *const T) {
    #[cfg(target_arch = "x86_64")]
    // SAFETY: `_mm_prefetch` only hints the cache; it reads nothing architecturally and
    // cannot fault, whatever the address.
    unsafe {
        core::arch::x86_64::_mm_prefetch::<H>(p.cast::<i8>())
    }
    #[cfg(not(target_arch = "x86_64"))]
    let _ = p;
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use rand::rngs::SmallRng;
    use rand::{Rng, SeedableRng};
    use std::collections::{HashMap, HashSet};

    const NONE: u32 = Lpm4::NONE;

    fn m(len: u8) -> u32 {
        u32::MAX.mask(u32::from(len))
    }

    /// The obvious answer: scan every prefix, keep the longest that covers `addr`.
    fn naive(prefixes: &[(u32, u8, u32)], addr: u32) -> u32 {
        prefixes
            .iter()
            .filter(|&&(a, l, _)| addr & m(l) == a)
            .max_by_key(|p| p.1)
            .map_or(NONE, |p| p.2)
    }

    /// One hash map per length, probed longest first.
    struct PerLength(Vec<HashMap<u32, u32>>);

    impl PerLength {
        fn new(prefixes: &[(u32, u8, u32)]) -> PerLength {
            let mut maps = vec![HashMap::new(); 33];
            for &(a, l, v) in prefixes {
                maps[l as usize].insert(a, v);
            }
            PerLength(maps)
        }
        fn lookup(&self, addr: u32) -> u32 {
            (0..=32u8)
                .rev()
                .find_map(|l| self.0[l as usize].get(&(addr & m(l))).copied())
                .unwrap_or(NONE)
        }
    }

    /// Checks `lookup` and `lookup_batch` on `keys` against `want`.
    fn check(t: &Lpm4, keys: &[u32], want: impl Fn(u32) -> u32) {
        let mut out = vec![0xdead_beef; keys.len()];
        t.lookup_batch(keys, &mut out);
        for (&k, &o) in keys.iter().zip(&out) {
            let w = want(k);
            assert_eq!(t.lookup(k), w, "lookup({k:#010x}) in {t:?}");
            assert_eq!(o, w, "lookup_batch({k:#010x}) in {t:?}");
        }
    }

    /// Interesting keys of a prefix set: each prefix's first and last address and neighbours.
    fn edge_keys(prefixes: &[(u32, u8, u32)]) -> Vec<u32> {
        let mut keys = vec![0, 1, u32::MAX, u32::MAX - 1, 0x8000_0000, 0x7fff_ffff];
        for &(a, l, _) in prefixes {
            let last = a | !m(l);
            keys.extend([a, a.wrapping_sub(1), last, last.wrapping_add(1), a ^ 0x55]);
        }
        keys
    }

    fn ip(a: u8, b: u8, c: u8, d: u8) -> u32 {
        u32::from_be_bytes([a, b, c, d])
    }

    #[test]
    fn empty_table() {
        for t in [Lpm4::empty(), Lpm4::default(), Lpm4::build(&[])] {
            assert!(t.is_empty());
            assert_eq!(t.len(), 0);
            check(&t, &edge_keys(&[]), |_| NONE);
            assert!(t.memory_bytes() <= 64, "{t:?}");
        }
    }

    #[test]
    fn default_route_only() {
        let p = [(0, 0, 7)];
        let t = Lpm4::build(&p);
        assert_eq!(t.len(), 1);
        assert!(!t.is_empty());
        check(&t, &edge_keys(&p), |_| 7);
    }

    #[test]
    fn host_routes() {
        let p = [
            (ip(10, 0, 0, 1), 32, 1),
            (ip(10, 0, 0, 2), 32, 2),
            (ip(10, 0, 0, 255), 32, 3),
            (ip(192, 168, 1, 1), 32, 4),
        ];
        let t = Lpm4::build(&p);
        check(&t, &edge_keys(&p), |a| naive(&p, a));
        assert_eq!(t.lookup(ip(10, 0, 0, 2)), 2);
        assert_eq!(t.lookup(ip(10, 0, 0, 3)), NONE);
    }

    #[test]
    fn default_and_host_nesting() {
        let p = [
            (0, 0, 1),
            (ip(1, 2, 3, 4), 32, 2),
            (u32::MAX, 32, 3),
            (0, 32, 4),
        ];
        let t = Lpm4::build(&p);
        check(&t, &edge_keys(&p), |a| naive(&p, a));
        assert_eq!(t.lookup(ip(1, 2, 3, 4)), 2);
        assert_eq!(t.lookup(ip(1, 2, 3, 5)), 1);
        assert_eq!(t.lookup(u32::MAX), 3);
        assert_eq!(t.lookup(0), 4);
        assert_eq!(t.lookup(1), 1);
    }

    #[test]
    fn every_length_nested() {
        // 0/0, 128/1, 192/2, ... 255.255.255.255/32: a chain of 33 nested prefixes.
        let p: Vec<_> = (0..=32u8).map(|l| (m(l), l, u32::from(l) * 10)).collect();
        let t = Lpm4::build(&p);
        assert_eq!(t.len(), 33);
        check(&t, &edge_keys(&p), |a| naive(&p, a));
        assert_eq!(t.lookup(u32::MAX), 320);
        assert_eq!(t.lookup(0), 0);
        assert_eq!(t.lookup(0xffff_fffe), 310);
        // The same chain at address 0 (every prefix is 0.0.0.0/l), in reverse input order.
        let mut q: Vec<_> = (0..=32u8).map(|l| (0, l, u32::from(l))).collect();
        q.reverse();
        let t = Lpm4::build(&q);
        check(&t, &edge_keys(&q), |a| naive(&q, a));
        assert_eq!(t.lookup(0), 32);
        assert_eq!(t.lookup(1), 31);
    }

    #[test]
    fn each_length_alone() {
        for l in 0..=32u8 {
            for a in [0, ip(10, 20, 30, 40) & m(l), m(l)] {
                let p = [(a, l, 5)];
                let t = Lpm4::build(&p);
                check(&t, &edge_keys(&p), |x| naive(&p, x));
            }
        }
    }

    #[test]
    fn adjacent_prefixes() {
        let p = [
            (ip(10, 0, 0, 0), 24, 1),
            (ip(10, 0, 1, 0), 24, 2),
            (ip(10, 0, 2, 0), 23, 3),
            (ip(10, 0, 4, 0), 25, 4),
            (ip(10, 0, 4, 128), 25, 5),
            (ip(10, 0, 5, 0), 32, 6),
            (ip(10, 0, 5, 1), 32, 7),
            (ip(10, 0, 255, 255), 32, 8),
            (ip(10, 1, 0, 0), 16, 9),
            (ip(9, 255, 255, 255), 32, 10),
        ];
        let t = Lpm4::build(&p);
        check(&t, &edge_keys(&p), |a| naive(&p, a));
    }

    #[test]
    fn max_and_zero_address() {
        let p = [
            (ip(255, 255, 255, 0), 24, 1),
            (0, 8, 2),
            (ip(255, 0, 0, 0), 8, 3),
        ];
        let t = Lpm4::build(&p);
        assert_eq!(t.lookup(u32::MAX), 1);
        assert_eq!(t.lookup(ip(255, 255, 254, 255)), 3);
        assert_eq!(t.lookup(0), 2);
        assert_eq!(t.lookup(ip(1, 0, 0, 0)), NONE);
        check(&t, &edge_keys(&p), |a| naive(&p, a));
    }

    #[test]
    fn values_of_every_size() {
        // Small values, 16-bit deltas, values far apart (32-bit leaves), and values too big
        // to be inline in the direct array.
        for vals in [
            [0, 1, 0xfffe],
            [0, 0xffff, 3],
            [70_000, 5, 0x1_0004],
            [0x7fff_fffe, 0x7fff_ffff, 0xffff_fffe],
        ] {
            let mut p = vec![
                (0, 0, vals[0]),
                (ip(10, 0, 0, 0), 8, vals[1]),
                (ip(10, 1, 2, 0), 24, vals[2]),
                (ip(10, 1, 3, 0), 24, vals[1]),
                (ip(10, 1, 4, 0), 24, vals[0]),
                (ip(10, 1, 5, 0), 26, vals[2]),
                (ip(11, 0, 0, 0), 8, vals[2]),
                (ip(12, 0, 0, 0), 30, vals[1]),
            ];
            let t = Lpm4::build(&p);
            check(&t, &edge_keys(&p), |a| naive(&p, a));
            // And without a default route (the inherited value is NONE).
            p.remove(0);
            let t = Lpm4::build(&p);
            check(&t, &edge_keys(&p), |a| naive(&p, a));
        }
    }

    #[test]
    fn redundant_prefixes_are_merged() {
        // A /24 split into /25s with the parent's value compiles to nothing more.
        let p = [
            (ip(10, 0, 0, 0), 24, 1),
            (ip(10, 0, 0, 0), 25, 1),
            (ip(10, 0, 0, 128), 25, 1),
        ];
        let t = Lpm4::build(&p);
        check(&t, &edge_keys(&p), |a| naive(&p, a));
        let small = Lpm4::build(&p[..1]);
        assert_eq!(t.memory_bytes(), small.memory_bytes());
    }

    #[test]
    fn send_sync_clone_debug() {
        fn ok<T: Send + Sync + Clone + Default + fmt::Debug>() {}
        ok::<Lpm4>();
        let p: Vec<_> = (0..5000u32).map(|i| (i << 12, 20, i)).collect();
        let t = Lpm4::build(&p);
        let c = t.clone();
        check(&c, &edge_keys(&p), |a| naive(&p, a));
        let d = format!("{t:?}");
        assert!(d.len() < 200, "{d}");
    }

    #[test]
    fn clone_outlives_original() {
        let p = random_table(50_000, 9);
        let t = Lpm4::build(&p);
        let c = t.clone();
        let keys = edge_keys(&p[..2000]);
        let want: Vec<u32> = keys.iter().map(|&k| t.lookup(k)).collect();
        drop(t);
        let d = c.clone();
        drop(c);
        let mut out = vec![0; keys.len()];
        d.lookup_batch(&keys, &mut out);
        assert_eq!(out, want);
        assert!(keys.iter().zip(&want).all(|(&k, &w)| d.lookup(k) == w));
        // And the smallest tables.
        let e = Lpm4::empty().clone();
        assert_eq!(e.lookup(1), NONE);
    }

    #[test]
    fn records_do_not_cross_lines() {
        let t = Lpm4::build(&random_table(100_000, 5)).trie;
        assert_eq!(t.mem.as_ptr() as usize % LINE, 0);
        let mut n = 0;
        for i in 0..1usize << t.s {
            let e = t.direct(i);
            if e & NODE_FLAG != 0 {
                let (x, w) = record_at(e);
                let leaves = HDR + ((read_u64(&t.mem, x).count_ones() as usize) << w);
                if leaves <= LINE {
                    assert!(x % LINE + leaves <= LINE, "record at {x}, {leaves} bytes");
                }
                n += 1;
            }
        }
        assert!(n > 10_000);
    }

    #[test]
    fn batch_lengths() {
        let p: Vec<_> = (0..300u32)
            .map(|i| (i.wrapping_mul(0x9e37_79b9) & m(27), 27, i))
            .collect();
        let t = Lpm4::build(&p);
        let keys = edge_keys(&p);
        for n in [0, 1, LANES - 1, LANES, LANES + 1, 3 * LANES + 5, keys.len()] {
            let mut out = vec![0; n];
            t.lookup_batch(&keys[..n], &mut out);
            for (k, o) in keys[..n].iter().zip(&out) {
                assert_eq!(*o, naive(&p, *k));
            }
        }
    }

    /// Random prefix sets built around a few bases, so that they nest heavily.
    fn nested_set() -> impl Strategy<Value = Vec<(u32, u8, u32)>> {
        let value = prop_oneof![0u32..8, 0u32..0x1_0000, 0u32..u32::MAX];
        (
            prop::collection::vec(any::<u32>(), 1..5),
            prop::collection::vec(
                (any::<usize>(), 0u8..=32, any::<u32>(), 0u32..=32, value),
                0..120,
            ),
        )
            .prop_map(|(bases, entries)| {
                let mut seen = HashSet::new();
                let mut out = Vec::new();
                for (bi, len, noise, nbits, v) in entries {
                    let noise = if nbits == 0 { 0 } else { noise >> (32 - nbits) };
                    let a = (bases[bi % bases.len()] ^ noise) & m(len);
                    if seen.insert((a, len)) {
                        out.push((a, len, v));
                    }
                }
                out
            })
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(256))]
        #[test]
        fn matches_naive(p in nested_set(), extra in prop::collection::vec(any::<u32>(), 0..64)) {
            let t = Lpm4::build(&p);
            prop_assert_eq!(t.len(), p.len());
            let mut keys = edge_keys(&p);
            keys.extend(extra);
            let mut out = vec![0; keys.len()];
            t.lookup_batch(&keys, &mut out);
            for (&k, &o) in keys.iter().zip(&out) {
                let w = naive(&p, k);
                prop_assert_eq!(t.lookup(k), w, "lookup({:#010x})", k);
                prop_assert_eq!(o, w, "lookup_batch({:#010x})", k);
            }
        }
    }

    /// A BGP-like random table: mostly /24, /22, /23, /21, /20, some of everything else,
    /// clustered in a few thousand /16s; values are indexes, as ruta's tables use them.
    fn random_table(n: usize, seed: u64) -> Vec<(u32, u8, u32)> {
        let mut rng = SmallRng::seed_from_u64(seed);
        let lens: [(u8, u32); 13] = [
            (24, 600),
            (22, 120),
            (23, 110),
            (21, 60),
            (20, 50),
            (16, 15),
            (19, 15),
            (18, 13),
            (17, 8),
            (8, 1),
            (12, 2),
            (28, 4),
            (32, 4),
        ];
        let total: u32 = lens.iter().map(|l| l.1).sum();
        let mut seen = HashSet::new();
        let mut out = Vec::with_capacity(n);
        while out.len() < n {
            let mut r = rng.gen_range(0..total);
            let mut len = 24;
            for &(l, w) in &lens {
                if r < w {
                    len = l;
                    break;
                }
                r -= w;
            }
            let hi = rng.gen_range(0..4096u32).wrapping_mul(0x9e37) & 0xffff;
            let a = ((hi << 16) | rng.gen::<u32>() >> 16) & m(len);
            if seen.insert((a, len)) {
                let v = out.len() as u32;
                out.push((a, len, v));
            }
        }
        out
    }

    fn large(n: usize, lookups: usize) {
        let p = random_table(n, 42);
        let t = Lpm4::build(&p);
        assert_eq!(t.len(), n);
        let r = PerLength::new(&p);
        let mut rng = SmallRng::seed_from_u64(7);
        let mut keys: Vec<u32> = (0..lookups / 2).map(|_| rng.gen()).collect();
        // The other half inside table prefixes.
        keys.extend((0..lookups / 2).map(|_| {
            let (a, l, _) = p[rng.gen_range(0..p.len())];
            a | (rng.gen::<u32>() & !m(l))
        }));
        check(&t, &keys, |a| r.lookup(a));
    }

    #[test]
    fn large_random_table() {
        large(200_000, 100_000);
    }

    #[test]
    #[ignore = "slow in debug builds; run with --ignored (or --release)"]
    fn full_size_random_table() {
        large(1_050_000, 1_000_000);
    }
}
