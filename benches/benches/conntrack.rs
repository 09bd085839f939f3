//! Connection tracking: `ruta_conntrack::Conntrack` with 1 M flows.
//!
//! * `conntrack-established/track`: `track` of packets of established (UDP, ASSURED) flows
//!   picked at random among 1 M, half in each direction: the per-packet cost of a known flow.
//! * `conntrack-new/{plain,snat}`: `track` + `confirm` of new flows (with `nat` to one SNAT
//!   address in between; clients use random source ports to 4096 servers for `snat`), into a table kept between 0 and ~900 k flows (flushes
//!   are not timed).
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

fn established(c: &mut Criterion) {
    let ct = Conntrack::new(Config::with_max(FLOWS));
    println!(
        "conntrack memory: {} bytes for max {} flows = {:.1} bytes/flow ({} buckets)",
        ct.memory_bytes(),
        FLOWS,
        ct.memory_bytes() as f64 / f64::from(FLOWS),
        ct.buckets()
    );
    let t0 = Instant::now();
    for i in 0..FLOWS {
        let Track::New(u) = ct.track(&pkt(flow(i)), 0) else {
            panic!("flow {i} not new")
        };
        ct.confirm(u, 0).expect("confirm");
    }
    for i in 0..FLOWS {
        ct.track(&pkt(flow(i).invert().expect("udp inverts")), 1);
        ct.track(&pkt(flow(i)), 3);
    }
    println!("filled {} flows in {:?}", ct.len(), t0.elapsed());
    let mut s = 0x9e37_79b9_7f4a_7c15u64;
    let keys: Vec<PacketInfo> = (0..KEYS)
        .map(|k| {
            let t = flow((xorshift(&mut s) % u64::from(FLOWS)) as u32);
            pkt(if k % 2 == 0 {
                t
            } else {
                t.invert().expect("udp inverts")
            })
        })
        .collect();
    let mut g = c.benchmark_group("conntrack-established");
    g.throughput(Throughput::Elements(KEYS as u64));
    g.bench_function("track", |b| {
        b.iter(|| {
            for p in &keys {
                black_box(ct.track(p, 4));
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
    for nat in [false, true] {
        g.bench_function(if nat { "snat" } else { "plain" }, |b| {
            b.iter_custom(|iters| {
                let mut total = Duration::ZERO;
                let mut left = iters;
                while left > 0 {
                    if ct.len() > 900_000 {
                        ct.flush();
                    }
                    let n = left.min(100_000);
                    let t0 = Instant::now();
                    for _ in 0..n {
                        next = next.wrapping_add(1);
                        // Clients with random source ports to 4096 servers: as behind a NAT.
                        let r = (u64::from(next).wrapping_mul(0x9e37_79b9_7f4a_7c15) >> 32) as u32;
                        let sport = 1024 + (r % 64512) as u16;
                        let t = Tuple::new(
                            IPPROTO_UDP,
                            0x0a00_0000 | next,
                            sport,
                            0xc633_6400 | (r >> 20),
                            53,
                        );
                        if let Track::New(mut u) = ct.track(&pkt(t), 0) {
                            if nat {
                                let _ = ct.nat(&mut u, Manip::Src, &snat, 0);
                            }
                            let _ = black_box(ct.confirm(u, 0));
                        }
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
    established(&mut c);
    new_flows(&mut c);
    c.final_summary();
}
