//! Prints the synthetic full table's properties and the size and build time of `Lpm4` on it,
//! for several value models (`cargo run --release -p ruta-benches --example lpm_stats`).

use ruta_benches::*;
use ruta_fib::lpm::Lpm4;
use std::time::Instant;

fn main() {
    let n = std::env::args()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(FULL_TABLE);
    let t0 = Instant::now();
    let table = bgp_like_table(n, 1);
    println!("generated in {:?}", t0.elapsed());
    println!("{}", TableStats::of(&table));
    let keys = uniform_keys(1_000_000, 2);
    let r = Reference::new(&table);
    for (name, t) in [
        ("per-prefix index (ruta Table)", table.clone()),
        (
            "forwarding model, 64 next hops (the bench's fwd)",
            forwarding_values(&table, 4),
        ),
        (
            "64 next hops, no regions, inherit 0.5",
            with_nexthops(&table, 64, 0.5, 3),
        ),
        (
            "256 next hops, no regions, inherit 0.5",
            with_nexthops(&table, 256, 0.5, 3),
        ),
        (
            "16 next hops, no regions, inherit 0.7",
            with_nexthops(&table, 16, 0.7, 3),
        ),
    ] {
        let t0 = Instant::now();
        let lpm = Lpm4::build(&t);
        let dt = t0.elapsed();
        println!("{name}: {}", ValueStats::of(&t));
        println!(
            "  build {dt:?}, {} bytes ({:.2} MiB, {:.2} B/prefix) {lpm:?}",
            lpm.memory_bytes(),
            lpm.memory_bytes() as f64 / (1 << 20) as f64,
            lpm.memory_bytes() as f64 / n as f64
        );
        if name.starts_with("per-prefix") {
            let mut out = vec![0; keys.len()];
            lpm.lookup_batch(&keys, &mut out);
            let unrouted = out.iter().filter(|&&v| v == Lpm4::NONE).count();
            println!(
                "  unrouted share of uniform random addresses: {:.1}%",
                unrouted as f64 / 1e4
            );
            for (k, o) in keys.iter().zip(&out).take(200_000) {
                assert_eq!(*o, r.lookup(*k), "{k:#x}");
            }
        }
    }
}
