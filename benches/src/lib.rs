//! Synthetic inputs for ruta's benchmarks: reusable, deterministic (seeded) generators.
//!
//! [`bgp_like_table`] makes an IPv4 table shaped like today's BGP full table (about 1.05 M
//! prefixes): the real shares of prefix lengths, about half the prefixes nested inside shorter
//! ones, more-specifics clustered the way allocations are, and roughly 30 % of the address
//! space unrouted. [`TableStats`] measures those properties of any table so that a bench can
//! print what it actually ran on. Values: the table's own are per-prefix indexes (what
//! ruta's control-plane tables use); [`forwarding_values`] gives the same prefixes the few,
//! spatially correlated values of a forwarding FIB, and [`ValueStats`] describes either.
//! Keys for lookups come from [`uniform_keys`] and [`in_prefix_keys`].

use rand::rngs::SmallRng;
use rand::{Rng, SeedableRng};
use std::collections::HashSet;

/// Prefixes in a full IPv4 BGP table (2024-2025).
pub const FULL_TABLE: usize = 1_050_000;

/// Share of each prefix length, in parts per 100 000 (sum 100 000). /24 60 %, /22 12 %,
/// /23 11 %, /21 6 %, /20 5 %, /16 1.5 %; the remaining 4.5 % spread over the other lengths
/// roughly as in the global table (a handful of /8s, hundreds of /12-/13s, thousands of /15,
/// /17-/19, a tail of longer-than-/24 prefixes that some peers leak).
pub const LENGTH_SHARES: [(u8, u32); 25] = [
    (8, 2),
    (9, 2),
    (10, 4),
    (11, 10),
    (12, 30),
    (13, 60),
    (14, 110),
    (15, 190),
    (16, 1_500),
    (17, 750),
    (18, 1_300),
    (19, 1_550),
    (20, 5_000),
    (21, 6_000),
    (22, 12_000),
    (23, 11_000),
    (24, 59_992),
    (25, 80),
    (26, 80),
    (27, 60),
    (28, 60),
    (29, 60),
    (30, 50),
    (31, 20),
    (32, 90),
];

/// Probability that a prefix of the given length is a more-specific of an existing shorter
/// prefix (tuned so that about half the table is nested, as in the real one).
pub fn nest_probability(len: u8) -> f64 {
    match len {
        0..=8 => 0.0,
        9..=15 => 0.25,
        16 => 0.35,
        17..=24 => 0.5,
        _ => 0.8,
    }
}

/// Share of the still-uncovered unicast /16s that hold the independent (not nested)
/// /17../32 prefixes (with the nesting probabilities, this sets the unrouted share to ~30 %).
const HOT_SIXTEENS: f64 = 0.8;

/// Mask with the top `len` bits set.
pub fn mask(len: u8) -> u32 {
    if len == 0 {
        0
    } else {
        u32::MAX << (32 - u32::from(len))
    }
}

/// Unicast space as BGP carries it: first octet 1..=223, without 10/8 and 127/8.
fn unicast(addr: u32) -> bool {
    let o = addr >> 24;
    (1..=223).contains(&o) && o != 10 && o != 127
}

/// Number of prefixes of each length for a table of `n` prefixes (the /24 count absorbs the
/// rounding).
pub fn length_counts(n: usize) -> Vec<(u8, usize)> {
    let mut counts: Vec<(u8, usize)> = LENGTH_SHARES
        .iter()
        .map(|&(l, s)| (l, (n as u64 * u64::from(s) / 100_000) as usize))
        .collect();
    let sum: usize = counts.iter().map(|c| c.1).sum();
    if let Some(c) = counts.iter_mut().find(|c| c.0 == 24) {
        c.1 += n - sum;
    }
    counts
}

/// A BGP-like IPv4 table of `n` unique prefixes, sorted by (address, length); the value of
/// each prefix is its index in that order, exactly as `ruta_fib::Table::compile` numbers them.
///
/// Model: lengths are placed shortest first. A prefix is, with [`nest_probability`] (about
/// one half overall), a more-specific at a random position inside a random existing prefix
/// 1..=12 bits shorter (deaggregation); otherwise it is independent and never inside an
/// earlier prefix: up to /16 anywhere in unicast space (1/8..223/8 without 10/8 and 127/8),
/// longer ones in a fixed random 80 % of the /16s no shorter prefix covers. Measured on
/// the full table: 49.8 % nested, 30.4 % of the address space unrouted.
pub fn bgp_like_table(n: usize, seed: u64) -> Vec<(u32, u8, u32)> {
    let mut rng = SmallRng::seed_from_u64(seed);
    let mut seen: HashSet<(u32, u8)> = HashSet::with_capacity(n);
    // Placed prefixes by length, to pick parents from.
    let mut by_len: Vec<Vec<u32>> = vec![Vec::new(); 33];
    let mut hot: Vec<u32> = Vec::new();
    for (len, count) in length_counts(n) {
        if len == 17 {
            // Independent longer prefixes go to a random share of the /16s still free.
            hot = (0..=0xffffu32)
                .map(|s| s << 16)
                .filter(|&a| unicast(a) && !covered(&seen, &by_len, a, 17))
                .filter(|_| rng.gen_bool(HOT_SIXTEENS))
                .collect();
        }
        let mut placed = 0;
        while placed < count {
            let nested = rng.gen_bool(nest_probability(len));
            // Redraw the position (not the kind) until it is new.
            let addr = loop {
                match place(&mut rng, &seen, &by_len, &hot, len, nested) {
                    Some(a) if seen.insert((a, len)) => break a,
                    _ => continue,
                }
            };
            by_len[len as usize].push(addr);
            placed += 1;
        }
    }
    let mut out: Vec<(u32, u8, u32)> = seen.into_iter().map(|(a, l)| (a, l, 0)).collect();
    out.sort_unstable();
    for (i, p) in out.iter_mut().enumerate() {
        p.2 = i as u32;
    }
    out
}

/// Whether a prefix placed so far (all shorter than `len`) covers `a`.
fn covered(seen: &HashSet<(u32, u8)>, by_len: &[Vec<u32>], a: u32, len: u8) -> bool {
    (0..len).any(|l| !by_len[l as usize].is_empty() && seen.contains(&(a & mask(l), l)))
}

/// One attempt at placing a prefix of length `len` (None: try again).
fn place(
    rng: &mut SmallRng,
    seen: &HashSet<(u32, u8)>,
    by_len: &[Vec<u32>],
    hot: &[u32],
    len: u8,
    nested: bool,
) -> Option<u32> {
    if nested {
        // A parent 1..=12 bits shorter, chosen uniformly among those placed.
        let lo = len.saturating_sub(12).max(8);
        let total: usize = (lo..len).map(|l| by_len[l as usize].len()).sum();
        if total > 0 {
            let mut k = rng.gen_range(0..total);
            for l in lo..len {
                let v = &by_len[l as usize];
                if k < v.len() {
                    return Some((v[k] | (rng.gen::<u32>() & !mask(l))) & mask(len));
                }
                k -= v.len();
            }
        }
        // Nothing to nest in yet: fall through to an independent prefix.
    }
    // Independent: not inside any prefix placed so far (they are all shorter).
    let a = if len <= 16 || hot.is_empty() {
        rng.gen::<u32>() & mask(len)
    } else {
        let s = hot[rng.gen_range(0..hot.len())];
        (s | (rng.gen::<u32>() >> 16)) & mask(len)
    };
    (unicast(a) && !covered(seen, by_len, a, len)).then_some(a)
}

/// The same table with next-hop-like values instead of per-prefix indexes: `nexthops`
/// distinct values, and a more-specific keeps its parent's value with probability
/// `inherit` (it is announced by the same origin over the same path). This is what a pure
/// FIB (value = next hop) looks like; ruta's tables use per-prefix indexes instead.
pub fn with_nexthops(
    table: &[(u32, u8, u32)],
    nexthops: u32,
    inherit: f64,
    seed: u64,
) -> Vec<(u32, u8, u32)> {
    let mut rng = SmallRng::seed_from_u64(seed);
    let parents = parents(table);
    let mut out: Vec<(u32, u8, u32)> = Vec::with_capacity(table.len());
    for (i, &(a, l, _)) in table.iter().enumerate() {
        let v = match parents[i] {
            Some(p) if rng.gen_bool(inherit) => out[p].2,
            _ => rng.gen_range(0..nexthops.max(1)),
        };
        out.push((a, l, v));
    }
    out
}

/// Next hops of the [`forwarding_values`] model.
pub const FORWARDING_NEXTHOPS: u32 = 64;

/// Regions of the [`forwarding_values`] model: the address space is cut into /12s.
const REGION_BITS: u8 = 12;

/// Share of the top-level prefixes (inside no other prefix) of a region that go to the
/// region's dominant next hop in the [`forwarding_values`] model.
const REGION_DOMINANT: f64 = 0.75;

/// Share of the more-specifics that keep their nearest enclosing prefix's next hop in the
/// [`forwarding_values`] model.
const KEEP_PARENT: f64 = 0.7;

/// The same table with the values a forwarding FIB compiles: the (deduplicated) route an
/// ordinary packet resolves to, [`FORWARDING_NEXTHOPS`] distinct values with a spatial
/// correlation. Deterministic for a given `seed`.
///
/// Model: next hop `i` (0..64) is drawn with a Zipf weight `1 / (i + 1)` (next hop 0, the
/// main transit, carries 21 % of the draws, the first four 44 %). Each /12 region of the
/// address space has a dominant next hop (one draw). A prefix that no other prefix encloses
/// takes its region's dominant next hop with probability 0.75, else a fresh draw; a
/// more-specific keeps its nearest enclosing prefix's next hop with probability 0.7 (same
/// origin, same path), else a fresh draw (traffic engineering, a customer's own block).
pub fn forwarding_values(table: &[(u32, u8, u32)], seed: u64) -> Vec<(u32, u8, u32)> {
    let mut rng = SmallRng::seed_from_u64(seed);
    let cumulative: Vec<f64> = (0..FORWARDING_NEXTHOPS)
        .scan(0.0, |acc, i| {
            *acc += 1.0 / f64::from(i + 1);
            Some(*acc)
        })
        .collect();
    let total = cumulative[cumulative.len() - 1];
    let draw = move |rng: &mut SmallRng| -> u32 {
        let x = rng.gen::<f64>() * total;
        cumulative
            .partition_point(|&c| c <= x)
            .min(cumulative.len() - 1) as u32
    };
    let dominant: Vec<u32> = (0..1u32 << REGION_BITS).map(|_| draw(&mut rng)).collect();
    let parents = parents(table);
    let mut out: Vec<(u32, u8, u32)> = Vec::with_capacity(table.len());
    for (i, &(a, l, _)) in table.iter().enumerate() {
        let v = match parents[i] {
            Some(p) if rng.gen_bool(KEEP_PARENT) => out[p].2,
            Some(_) => draw(&mut rng),
            None if rng.gen_bool(REGION_DOMINANT) => {
                dominant[(a >> (32 - u32::from(REGION_BITS))) as usize]
            }
            None => draw(&mut rng),
        };
        out.push((a, l, v));
    }
    out
}

/// How a table's values are spread, for the benches to print.
#[derive(Debug, Clone)]
pub struct ValueStats {
    /// Distinct values.
    pub distinct: usize,
    /// Share of the prefixes whose value equals that of the previous prefix in address order.
    pub same_as_previous: f64,
    /// Share of the nested prefixes whose value equals their nearest enclosing prefix's (they
    /// change no lookup result: a FIB compressor would drop them).
    pub same_as_parent: f64,
}

impl ValueStats {
    /// Measures `table` (sorted by (address, length)).
    pub fn of(table: &[(u32, u8, u32)]) -> ValueStats {
        let distinct = table.iter().map(|p| p.2).collect::<HashSet<u32>>().len();
        let prev = table.windows(2).filter(|w| w[0].2 == w[1].2).count();
        let parents = parents(table);
        let nested = parents.iter().flatten().count();
        let same = parents
            .iter()
            .enumerate()
            .filter(|&(i, p)| p.is_some_and(|p| table[p].2 == table[i].2))
            .count();
        ValueStats {
            distinct,
            same_as_previous: prev as f64 / table.len().saturating_sub(1).max(1) as f64,
            same_as_parent: same as f64 / nested.max(1) as f64,
        }
    }
}

impl std::fmt::Display for ValueStats {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} distinct values; same as the previous prefix {:.1}%; nested with the parent's \
             value {:.1}%",
            self.distinct,
            100.0 * self.same_as_previous,
            100.0 * self.same_as_parent
        )
    }
}

/// For a table sorted by (address, length): the index of each prefix's nearest enclosing
/// prefix.
pub fn parents(table: &[(u32, u8, u32)]) -> Vec<Option<usize>> {
    let mut out = vec![None; table.len()];
    let mut stack: Vec<usize> = Vec::new();
    for (i, &(a, l, _)) in table.iter().enumerate() {
        while let Some(&top) = stack.last() {
            let (ta, tl, _) = table[top];
            if tl < l && a & mask(tl) == ta {
                break;
            }
            stack.pop();
        }
        out[i] = stack.last().copied();
        stack.push(i);
    }
    out
}

/// `n` uniformly random addresses.
pub fn uniform_keys(n: usize, seed: u64) -> Vec<u32> {
    let mut rng = SmallRng::seed_from_u64(seed);
    (0..n).map(|_| rng.gen()).collect()
}

/// `n` addresses each inside a uniformly chosen prefix of `table` (random host bits).
pub fn in_prefix_keys(table: &[(u32, u8, u32)], n: usize, seed: u64) -> Vec<u32> {
    let mut rng = SmallRng::seed_from_u64(seed);
    if table.is_empty() {
        return uniform_keys(n, seed);
    }
    (0..n)
        .map(|_| {
            let (a, l, _) = table[rng.gen_range(0..table.len())];
            a | (rng.gen::<u32>() & !mask(l))
        })
        .collect()
}

/// A slow, obviously correct longest-prefix match (one hash set per length), to check
/// faster structures against.
pub struct Reference {
    by_len: Vec<std::collections::HashMap<u32, u32>>,
}

impl Reference {
    pub fn new(table: &[(u32, u8, u32)]) -> Reference {
        let mut by_len = vec![std::collections::HashMap::new(); 33];
        for &(a, l, v) in table {
            by_len[l as usize].insert(a, v);
        }
        Reference { by_len }
    }

    /// Value of the longest prefix covering `addr`, or `u32::MAX`.
    pub fn lookup(&self, addr: u32) -> u32 {
        (0..=32u8)
            .rev()
            .filter(|&l| !self.by_len[l as usize].is_empty())
            .find_map(|l| self.by_len[l as usize].get(&(addr & mask(l))).copied())
            .unwrap_or(u32::MAX)
    }
}

/// Measured properties of a table.
#[derive(Debug, Clone)]
pub struct TableStats {
    pub prefixes: usize,
    /// Count of each prefix length 0..=32.
    pub by_len: [usize; 33],
    /// Share of prefixes inside a shorter prefix of the table.
    pub nested: f64,
    /// Share of the whole address space no prefix covers (exact).
    pub unrouted: f64,
    /// Distinct /18 blocks that hold a prefix longer than /18.
    pub deep_blocks18: usize,
}

impl TableStats {
    /// Measures `table` (sorted by (address, length), as [`bgp_like_table`] returns it).
    pub fn of(table: &[(u32, u8, u32)]) -> TableStats {
        let mut by_len = [0; 33];
        for p in table {
            by_len[p.1.min(32) as usize] += 1;
        }
        let parents = parents(table);
        let nested = parents.iter().filter(|p| p.is_some()).count();
        // Covered space: the union of the top-level prefixes (they are disjoint).
        let covered: u64 = table
            .iter()
            .zip(&parents)
            .filter(|(_, p)| p.is_none())
            .map(|(&(_, l, _), _)| 1u64 << (32 - u32::from(l.min(32))))
            .sum();
        let mut deep: Vec<u32> = table
            .iter()
            .filter(|p| p.1 > 18)
            .map(|p| p.0 >> 14)
            .collect();
        deep.dedup();
        TableStats {
            prefixes: table.len(),
            by_len,
            nested: nested as f64 / table.len().max(1) as f64,
            unrouted: 1.0 - covered as f64 / (1u64 << 32) as f64,
            deep_blocks18: deep.len(),
        }
    }
}

impl std::fmt::Display for TableStats {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let n = self.prefixes.max(1) as f64;
        write!(f, "{} prefixes;", self.prefixes)?;
        for (l, &c) in self.by_len.iter().enumerate() {
            if c * 100 >= self.prefixes {
                write!(f, " /{l} {:.1}%", 100.0 * c as f64 / n)?;
            }
        }
        write!(
            f,
            "; nested {:.1}%; unrouted space {:.1}%; /18 blocks with longer prefixes {}",
            100.0 * self.nested,
            100.0 * self.unrouted,
            self.deep_blocks18
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_is_deterministic_sorted_and_unique() {
        let a = bgp_like_table(20_000, 1);
        let b = bgp_like_table(20_000, 1);
        assert_eq!(a, b);
        assert_eq!(a.len(), 20_000);
        assert!(a.windows(2).all(|w| (w[0].0, w[0].1) < (w[1].0, w[1].1)));
        assert!(a.iter().all(|&(a, l, _)| a & !mask(l) == 0));
        assert!(a.iter().enumerate().all(|(i, p)| p.2 == i as u32));
    }

    #[test]
    fn forwarding_values_are_deterministic_and_few() {
        let t = bgp_like_table(20_000, 1);
        let a = forwarding_values(&t, 7);
        assert_eq!(a, forwarding_values(&t, 7));
        assert!(a.iter().zip(&t).all(|(x, y)| (x.0, x.1) == (y.0, y.1)));
        let s = ValueStats::of(&a);
        assert!(
            s.distinct <= FORWARDING_NEXTHOPS as usize && s.distinct > 32,
            "{s}"
        );
        assert!(s.same_as_parent > 0.6 && s.same_as_parent < 0.85, "{s}");
    }

    #[test]
    fn reference_agrees_with_scan() {
        let t = bgp_like_table(2_000, 3);
        let r = Reference::new(&t);
        for k in in_prefix_keys(&t, 500, 4)
            .into_iter()
            .chain(uniform_keys(500, 5))
        {
            let want = t
                .iter()
                .filter(|&&(a, l, _)| k & mask(l) == a)
                .max_by_key(|p| p.1)
                .map_or(u32::MAX, |p| p.2);
            assert_eq!(r.lookup(k), want);
        }
    }
}
