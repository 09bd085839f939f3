//! Quick lookup-rate check outside criterion
//! (`cargo run --release -p ruta-benches --example lpm_speed [prefixes] [filter]`): both value
//! models (`index`, `fwd`), 4 Mi keys, best of 5; `filter` keeps the models whose name
//! contains it.

use ruta_benches::*;
use ruta_fib::lpm::Lpm4;
use std::hint::black_box;
use std::time::Instant;

fn rate(name: &str, keys: &[u32], mut f: impl FnMut(&[u32]) -> u64) {
    let mut best = f64::MAX;
    for _ in 0..5 {
        let t0 = Instant::now();
        black_box(f(keys));
        best = best.min(t0.elapsed().as_secs_f64());
    }
    println!(
        "{name:40} {:7.1} M lookups/s  ({:.2} ns)",
        keys.len() as f64 / best / 1e6,
        best * 1e9 / keys.len() as f64
    );
}

fn main() {
    let mut args = std::env::args().skip(1);
    let n = args
        .next()
        .and_then(|s| s.parse().ok())
        .unwrap_or(FULL_TABLE);
    let filter = args.next().unwrap_or_default();
    let table = bgp_like_table(n, 1);
    let fwd = forwarding_values(&table, 4);
    let uniform = uniform_keys(1 << 22, 2);
    let in_prefix = in_prefix_keys(&table, 1 << 22, 3);
    for (tname, t) in [("index", &table), ("fwd", &fwd)] {
        if !tname.contains(&filter) {
            continue;
        }
        let lpm = Lpm4::build(t);
        println!("{tname}: {lpm:?}");
        for (kname, keys) in [("uniform", &uniform), ("in-prefix", &in_prefix)] {
            rate(&format!("{tname} {kname} single"), keys, |k| {
                k.iter().map(|&a| u64::from(lpm.lookup(a))).sum()
            });
            for b in [32, 256] {
                let mut out = vec![0u32; b];
                rate(&format!("{tname} {kname} batch {b}"), keys, |k| {
                    let mut s = 0u64;
                    for c in k.chunks(b) {
                        lpm.lookup_batch(c, &mut out[..c.len()]);
                        s += u64::from(out[0]);
                    }
                    s
                });
            }
        }
    }
}
