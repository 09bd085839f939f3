//! Connection tracking: `ruta_conntrack::Conntrack` with 1 M flows.
//!
//! * `conntrack-established/track`: `track` of packets of established (UDP, ASSURED) flows
//!   picked at random among 1 M, half in each direction: the per-packet cost of a known flow.
//! * `conntrack-established/batch32-prefetch`: the same packets by batches of 32: prefetch the
//!   32 index buckets (`Conntrack::prefetch_packet`), then track the 32.
//! * `conntrack-established/batch32-prefetch2`: prefetch the 32 buckets, then the 32 entries
//!   (`Conntrack::prefetch_entry`, a lock-free probe of the bucket), then track the 32.
//! * `conntrack-established-10k/...`: the same over 10 k flows (all in the caches).
//! * `conntrack-new/{plain,snat}`: `track` + `confirm` of new flows (with `nat` to one SNAT
//!   address in between; clients use random source ports to 4096 servers for `snat`), into a table kept between 0 and ~900 k flows (flushes
//!   are not timed). `...-batch32-prefetch`: by batches of 32, prefetching the 32 buckets
//!   first (`Conntrack::prefetch_packet`).
//! * Bytes per flow of a 1 M-flow table: printed.
//!
//! `cargo bench -p ruta-benches --bench conntrack -- --warm-up-time 1 --measurement-time 3`

use criterion::{Criterion, Throughput};
use ruta_conntrack::{Config, Conntrack, Manip, NatRange, PacketInfo, Track, Tuple, IPPROTO_UDP};
use std::hint::black_box;
use std::time::{Duration, Instant};

const FLOWS: u32 = 1 << 20;
const KEYS: usize = 1 << 16;

fn flow(i: u32) -> Tuple {
    // 10.0.0.0/8 clients, 4096 servers, ports spread.
    Tuple::new(
        IPPROTO_UDP,
        0x0a00_0000 | (i >> 4),
        1024 + (i & 15) as u16 * 3000,
        0xc633_6400 | (i & 0xff),
        53,
    )
}

fn pkt(t: Tuple) -> PacketInfo {
    PacketInfo {
        tuple: t,
        payload_len: 64,
        len: 92,
        ..PacketInfo::default()
    }
}

fn xorshift(s: &mut u64) -> u64 {
    *s ^= *s << 13;
    *s ^= *s >> 7;
    *s ^= *s << 17;
    *s
}

fn established(c: &mut Criterion, flows: u32, name: &str) {
    let ct = Conntrack::new(Config::with_max(flows));
    println!(
        "conntrack memory: {} bytes for max {} flows = {:.1} bytes/flow ({} buckets)",
        ct.memory_bytes(),
        flows,
        ct.memory_bytes() as f64 / f64::from(flows),
        ct.buckets()
    );
    let t0 = Instant::now();
    for i in 0..flows {
        let Track::New(u) = ct.track(&pkt(flow(i)), 0) else {
            panic!("flow {i} not new")
        };
        ct.confirm(u, 0).expect("confirm");
    }
    for i in 0..flows {
        ct.track(&pkt(flow(i).invert().expect("udp inverts")), 1);
        ct.track(&pkt(flow(i)), 3);
    }
    println!("filled {} flows in {:?}", ct.len(), t0.elapsed());
    let mut s = 0x9e37_79b9_7f4a_7c15u64;
    let keys: Vec<PacketInfo> = (0..KEYS)
        .map(|k| {
            let t = flow((xorshift(&mut s) % u64::from(flows)) as u32);
            pkt(if k % 2 == 0 {
                t
            } else {
                t.invert().expect("udp inverts")
            })
        })
        .collect();
    let mut g = c.benchmark_group(name);
    g.throughput(Throughput::Elements(KEYS as u64));
    g.bench_function("track", |b| {
        b.iter(|| {
            for p in &keys {
                black_box(ct.track(p, 4));
            }
        })
    });
    g.bench_function("batch32-prefetch", |b| {
        b.iter(|| {
            for batch in keys.chunks(32) {
                for p in batch {
                    ct.prefetch_packet(p);
                }
                for p in batch {
                    black_box(ct.track(p, 4));
                }
            }
        })
    });
    g.bench_function("batch32-prefetch2", |b| {
        b.iter(|| {
            for batch in keys.chunks(32) {
                for p in batch {
                    ct.prefetch_packet(p);
                }
                for p in batch {
                    ct.prefetch_entry(p);
                }
                for p in batch {
                    black_box(ct.track(p, 4));
                }
            }
        })
    });
    g.finish();
}

fn new_flows(c: &mut Criterion) {
    let ct = Conntrack::new(Config::with_max(FLOWS));
    let snat = NatRange::addr(0x4311_1c0c);
    let mut g = c.benchmark_group("conntrack-new");
    g.throughput(Throughput::Elements(1));
    let mut next = 0u32;
    for (nat, batch) in [(false, false), (true, false), (false, true), (true, true)] {
        let name = match (nat, batch) {
            (false, false) => "plain",
            (true, false) => "snat",
            (false, true) => "plain-batch32-prefetch",
            (true, true) => "snat-batch32-prefetch",
        };
        g.bench_function(name, |b| {
            b.iter_custom(|iters| {
                let mut total = Duration::ZERO;
                let mut left = iters;
                let mut pkts = [PacketInfo::default(); 32];
                while left > 0 {
                    if ct.len() > 900_000 {
                        ct.flush();
                    }
                    let n = left.min(100_000);
                    let t0 = Instant::now();
                    let mut done = 0;
                    while done < n {
                        let m = (n - done).min(32) as usize;
                        for p in pkts[..m].iter_mut() {
                            next = next.wrapping_add(1);
                            // Clients with random source ports to 4096 servers: as behind a
                            // NAT.
                            let r =
                                (u64::from(next).wrapping_mul(0x9e37_79b9_7f4a_7c15) >> 32) as u32;
                            let sport = 1024 + (r % 64512) as u16;
                            *p = pkt(Tuple::new(
                                IPPROTO_UDP,
                                0x0a00_0000 | next,
                                sport,
                                0xc633_6400 | (r >> 20),
                                53,
                            ));
                        }
                        if batch {
                            for p in &pkts[..m] {
                                ct.prefetch_packet(p);
                            }
                        }
                        for p in &pkts[..m] {
                            if let Track::New(mut u) = ct.track(p, 0) {
                                if nat {
                                    let _ = ct.nat(&mut u, Manip::Src, &snat, 0);
                                }
                                let _ = black_box(ct.confirm(u, 0));
                            }
                        }
                        done += m as u64;
                    }
                    total += t0.elapsed();
                    left -= n;
                }
                total
            })
        });
    }
    g.finish();
}

fn main() {
    let mut c = Criterion::default().configure_from_args();
    established(&mut c, FLOWS, "conntrack-established");
    // The same with a table that fits the caches: the cost without DRAM misses.
    established(&mut c, 10_000, "conntrack-established-10k");
    new_flows(&mut c);
    c.final_summary();
}
