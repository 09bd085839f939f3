//! Longest-prefix match on a synthetic full BGP table (1.05 M prefixes): `ruta_fib::lpm::Lpm4`
//! against the `prefix-trie` crate's `PrefixMap::get_lpm`, in the same run, on the same table
//! and the same keys, for two value models of the same prefixes:
//!
//! * `index`: each prefix's own value (its index in address order), as ruta's control-plane
//!   `Table` numbers them: 1.05 M distinct values, nothing for leaf compression to merge;
//! * `fwd`: the forwarding FIB's values, the deduplicated route an ordinary packet resolves
//!   to: [`FORWARDING_NEXTHOPS`] next hops with spatial correlation
//!   ([`forwarding_values`]).
//!
//! `cargo bench -p ruta-benches --bench lpm` (about 2.5 minutes on 2 cores);
//! `cargo bench -p ruta-benches --bench lpm -- --test` runs every bench once (smoke test).
//!
//! Groups `lpm-{index,fwd}-{uniform,in-prefix}`: uniformly random addresses (~30 % unrouted)
//! or addresses inside uniformly chosen table prefixes, each with batches of 32 and of 256 and
//! single lookups, throughput in lookups (elements) per second; `lpm-build` (the full table,
//! both models).

use criterion::{BenchmarkId, Criterion, Throughput};
use prefix_trie::PrefixMap;
use ruta_benches::{
    bgp_like_table, forwarding_values, in_prefix_keys, uniform_keys, Reference, TableStats,
    ValueStats, FORWARDING_NEXTHOPS, FULL_TABLE,
};
use ruta_fib::lpm::Lpm4;
use std::hint::black_box;
use std::time::{Duration, Instant};

/// Keys per measured iteration (1 MiB of addresses: no help from caching the keys' results).
const KEYS: usize = 1 << 18;

type Trie = PrefixMap<(u32, u8), u32>;

fn trie_lookup(t: &Trie, addr: u32) -> u32 {
    t.get_lpm(&(addr, 32)).map_or(u32::MAX, |(_, &v)| v)
}

fn build_trie(table: &[(u32, u8, u32)]) -> Trie {
    let mut t = Trie::new();
    for &(a, l, v) in table {
        t.insert((a, l), v);
    }
    t
}

fn lookups(c: &mut Criterion, group: &str, keys: &[u32], lpm: &Lpm4, trie: &Trie) {
    let mut g = c.benchmark_group(group);
    g.throughput(Throughput::Elements(keys.len() as u64));
    let mut out = vec![0u32; keys.len()];
    for batch in [32usize, 256] {
        g.bench_function(BenchmarkId::new("lpm4", format!("batch{batch}")), |b| {
            b.iter(|| {
                for (k, o) in keys.chunks(batch).zip(out.chunks_mut(batch)) {
                    lpm.lookup_batch(black_box(k), o);
                }
                black_box(&out);
            })
        });
        g.bench_function(
            BenchmarkId::new("prefix-trie", format!("batch{batch}")),
            |b| {
                b.iter(|| {
                    for (k, o) in keys.chunks(batch).zip(out.chunks_mut(batch)) {
                        for (a, r) in black_box(k).iter().zip(o.iter_mut()) {
                            *r = trie_lookup(trie, *a);
                        }
                    }
                    black_box(&out);
                })
            },
        );
    }
    g.bench_function(BenchmarkId::new("lpm4", "single"), |b| {
        b.iter(|| {
            let mut acc = 0u32;
            for &a in keys {
                acc = acc.wrapping_add(lpm.lookup(black_box(a)));
            }
            acc
        })
    });
    g.bench_function(BenchmarkId::new("prefix-trie", "single"), |b| {
        b.iter(|| {
            let mut acc = 0u32;
            for &a in keys {
                acc = acc.wrapping_add(trie_lookup(trie, black_box(a)));
            }
            acc
        })
    });
    g.finish();
}

fn main() {
    let mut c = Criterion::default()
        .sample_size(20)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(3))
        .configure_from_args();

    let t0 = Instant::now();
    let table = bgp_like_table(FULL_TABLE, 1);
    let fwd = forwarding_values(&table, 4);
    let gen = t0.elapsed();
    let uniform = uniform_keys(KEYS, 2);
    let in_prefix = in_prefix_keys(&table, KEYS, 3);

    // What the run is made of, printed once.
    println!("table: {} (generated in {gen:.2?})", TableStats::of(&table));
    println!(
        "values: index: {}; fwd ({FORWARDING_NEXTHOPS} next hops): {}",
        ValueStats::of(&table),
        ValueStats::of(&fwd)
    );
    for (model, t) in [("index", &table), ("fwd", &fwd)] {
        let t0 = Instant::now();
        let lpm = Lpm4::build(t);
        let build = t0.elapsed();
        let t0 = Instant::now();
        let trie = build_trie(t);
        let trie_build = t0.elapsed();
        if model == "index" {
            let mut out = vec![0; uniform.len()];
            lpm.lookup_batch(&uniform, &mut out);
            let unrouted = out.iter().filter(|&&v| v == Lpm4::NONE).count();
            println!(
                "uniform keys unrouted: {:.1} % (measured on {} random addresses)",
                100.0 * unrouted as f64 / uniform.len() as f64,
                uniform.len()
            );
        }
        println!(
            "{model}: Lpm4: {} bytes ({:.2} MiB, {:.2} B/prefix), first build {build:.2?}; {lpm:?}",
            lpm.memory_bytes(),
            lpm.memory_bytes() as f64 / f64::from(1 << 20),
            lpm.memory_bytes() as f64 / t.len() as f64
        );
        println!(
            "{model}: prefix-trie: {} bytes ({:.2} MiB), first build {trie_build:.2?}",
            trie.mem_size(),
            trie.mem_size() as f64 / f64::from(1 << 20)
        );
        // Both answer the same (checked against the obvious per-length reference).
        let r = Reference::new(t);
        let mut out = vec![0; 20_000];
        for keys in [&uniform[..20_000], &in_prefix[..20_000]] {
            lpm.lookup_batch(keys, &mut out);
            for (&a, &o) in keys.iter().zip(&out) {
                let want = r.lookup(a);
                assert_eq!(lpm.lookup(a), want, "Lpm4 at {a:#010x}");
                assert_eq!(o, want, "Lpm4 batch at {a:#010x}");
                assert_eq!(trie_lookup(&trie, a), want, "prefix-trie at {a:#010x}");
            }
        }
        lookups(
            &mut c,
            &format!("lpm-{model}-uniform"),
            &uniform,
            &lpm,
            &trie,
        );
        lookups(
            &mut c,
            &format!("lpm-{model}-in-prefix"),
            &in_prefix,
            &lpm,
            &trie,
        );
    }

    let mut g = c.benchmark_group("lpm-build");
    g.sample_size(10);
    g.throughput(Throughput::Elements(table.len() as u64));
    for (model, t) in [("index", &table), ("fwd", &fwd)] {
        g.bench_function(BenchmarkId::new("lpm4", model), |b| {
            b.iter(|| Lpm4::build(black_box(t)))
        });
        g.bench_function(BenchmarkId::new("prefix-trie", model), |b| {
            b.iter(|| build_trie(black_box(t)))
        });
    }
    g.finish();

    c.final_summary();
}
