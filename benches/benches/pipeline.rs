//! The whole forwarding pipeline (`ruta_pipeline::process`) on the seed router
//! (examples/seed.conf: Examples 10.1-10.4 and section 4.3), with 1 M established flows.
//!
//! * `pipeline-established/single`: one packet of an established flow (a desktop's TCP ACK,
//!   SNATed on the way out, routed by mark or by table main), flows picked at random among
//!   1 M: copy the 54-byte frame from its template (the dataplane copies into the TX ring
//!   anyway), then `process`. The ns/packet target is 100.
//! * `pipeline-established/batch32`: the same, 32 frames per iteration (per-packet time is
//!   the reported time / 32; criterion prints elements/s), each with `process`;
//!   `batch32-prefetch` with `process_batch`, which overlaps the conntrack misses.
//! * `pipeline-established-10k/*`: the same with 10 k flows (the conntrack table fits the
//!   caches): the cost of the stages themselves, without DRAM misses.
//! * `pipeline-new/syn`: the first packet of a new flow (conntrack entry, nat POSTROUTING,
//!   SNAT binding, confirm); the table is flushed outside the timed part when it nears full.
//!
//! `cargo bench -p ruta-benches --bench pipeline -- --warm-up-time 1 --measurement-time 3`

use criterion::{BatchSize, Criterion, Throughput};
use ruta_config::{apply_text, Router, Source};
use ruta_conntrack::{Config, Conntrack};
use ruta_pipeline::packets::{build_frame, parse_line};
use ruta_pipeline::{path, Ctx, Snapshot, Verdict};
use std::hint::black_box;
use std::time::{Duration, Instant};

const FLOWS: u32 = 1 << 20;
const TEMPLATES: usize = 1 << 16;

fn snapshot() -> Snapshot {
    let text = include_str!("../../examples/seed.conf");
    let mut rt = Router::new();
    apply_text(&mut rt, text, &Source::default(), false).expect("seed config");
    Snapshot::new(rt)
}

/// Flow i: desktop 192.168.99.(1+i%250) port 1024 + i/250 % 60000 to server
/// 198.51.100.(i % 200) port 443 (marked 4: the DSL line) or 22 (the T1 line).
fn flow(i: u32) -> (String, String) {
    let host = 1 + i % 250;
    let sport = 1024 + (i / 250) % 60000;
    let server = i % 200;
    let dport = if (i / 7).is_multiple_of(2) { 443 } else { 22 };
    let a = format!("192.168.99.{host}:{sport}");
    let b = format!("198.51.100.{server}:{dport}");
    (a, b)
}

fn frame(snap: &Snapshot, line: &str) -> (u32, Vec<u8>) {
    let spec = parse_line(line).unwrap();
    let port = snap.port_by_name(&spec.iif).unwrap();
    (port.index, build_frame(&spec, port.mac).unwrap())
}

fn xorshift(s: &mut u64) -> u64 {
    *s ^= *s << 13;
    *s ^= *s >> 7;
    *s ^= *s << 17;
    *s
}

fn established(c: &mut Criterion, flows: u32, name: &str) {
    let snap = snapshot();
    let ct = Conntrack::new(Config::with_max(flows + flows / 8));
    let mut ctx = Ctx::new(&snap);
    ctx.now = 100;
    let eth0 = snap.port_by_name("eth0").unwrap().index;
    let eth1 = snap.port_by_name("eth1").unwrap().index;
    let eth4 = snap.port_by_name("eth4").unwrap().index;
    // a SYN out and a SYN-ACK back per flow: 1 M established flows
    let t0 = Instant::now();
    for i in 0..flows {
        let (a, b) = flow(i);
        let (_, mut f) = frame(&snap, &format!("iif eth0 tcp {a} > {b} syn"));
        let v = path::process(&snap, &ct, &mut ctx, eth0, &mut f, 0, None);
        let Verdict::Forward { oif, .. } = v else {
            panic!("flow {i}: {v:?}")
        };
        // the answer comes back to the uplink's address, port kept
        let sport = a.split_once(':').unwrap().1;
        let pub_ip = if oif == eth4 {
            "67.17.28.12"
        } else {
            "205.254.211.179"
        };
        let back = format!(
            "iif {} tcp {b} > {pub_ip}:{sport} syn-ack",
            if oif == eth4 { "eth4" } else { "eth1" }
        );
        let (iif, mut f) = frame(&snap, &back);
        let v = path::process(&snap, &ct, &mut ctx, iif, &mut f, 0, None);
        assert!(matches!(v, Verdict::Forward { .. }), "reply {i}: {v:?}");
        assert!(iif == eth1 || iif == eth4);
    }
    eprintln!(
        "pipeline bench: {} flows established in {:.1} s ({} conntrack entries, {:.1} MB conntrack)",
        flows,
        t0.elapsed().as_secs_f64(),
        ct.len(),
        ct.memory_bytes() as f64 / 1e6
    );
    // templates: ACKs of random established flows
    let mut seed = 0x9e37_79b9_7f4a_7c15u64;
    let templates: Vec<Vec<u8>> = (0..TEMPLATES)
        .map(|_| {
            let i = (xorshift(&mut seed) % flows as u64) as u32;
            let (a, b) = flow(i);
            frame(&snap, &format!("iif eth0 tcp {a} > {b} ack")).1
        })
        .collect();
    let mut g = c.benchmark_group(name);
    g.throughput(Throughput::Elements(1));
    let mut buf = [0u8; 128];
    let mut k = 0usize;
    g.bench_function("single", |bch| {
        bch.iter(|| {
            let t = &templates[k & (TEMPLATES - 1)];
            k = k.wrapping_add(1);
            buf[..t.len()].copy_from_slice(t);
            let n = t.len();
            let v = path::process(&snap, &ct, &mut ctx, eth0, &mut buf[..n], 0, None);
            black_box(v)
        })
    });
    g.throughput(Throughput::Elements(32));
    let mut bufs = vec![[0u8; 64]; 32];
    g.bench_function("batch32", |bch| {
        bch.iter(|| {
            for b in bufs.iter_mut() {
                let t = &templates[k & (TEMPLATES - 1)];
                k = k.wrapping_add(1);
                b[..t.len()].copy_from_slice(t);
                let n = t.len();
                black_box(path::process(
                    &snap,
                    &ct,
                    &mut ctx,
                    eth0,
                    &mut b[..n],
                    0,
                    None,
                ));
            }
        })
    });
    let mut verdicts = vec![Verdict::Local; 32];
    g.bench_function("batch32-prefetch", |bch| {
        bch.iter(|| {
            for b in bufs.iter_mut() {
                let t = &templates[k & (TEMPLATES - 1)];
                k = k.wrapping_add(1);
                b[..t.len()].copy_from_slice(t);
            }
            let n = templates[0].len();
            let mut refs: [&mut [u8]; 32] = {
                let mut it = bufs.iter_mut();
                std::array::from_fn(|_| &mut it.next().expect("32 buffers")[..n])
            };
            ruta_pipeline::process_batch(&snap, &ct, &mut ctx, eth0, &mut refs, &mut verdicts);
            black_box(&verdicts);
        })
    });
    g.finish();
    let s = &ctx.stats;
    assert_eq!(s.received, s.forwarded + s.local + s.consumed());
    assert_eq!(s.consumed(), 0, "every benchmarked packet was forwarded");
}

fn new_flows(c: &mut Criterion) {
    let snap = snapshot();
    let ct = Conntrack::new(Config::with_max(FLOWS));
    let mut ctx = Ctx::new(&snap);
    ctx.now = 100;
    let eth0 = snap.port_by_name("eth0").unwrap().index;
    // SYNs from 250 desktops x 60000 ports x 200 servers x 2 services: all distinct
    let (_, template) = frame(
        &snap,
        "iif eth0 tcp 192.168.99.1:1024 > 198.51.100.0:443 syn",
    );
    let mut g = c.benchmark_group("pipeline-new");
    g.throughput(Throughput::Elements(1));
    let mut i = 0u32;
    g.bench_function("syn", |bch| {
        bch.iter_batched_ref(
            || {
                if ct.len() as u32 > FLOWS - FLOWS / 8 {
                    ct.flush();
                }
                let (a, b) = flow(i);
                i = (i + 1) % (250 * 60000);
                let mut f = template.clone();
                let spec = parse_line(&format!("iif eth0 tcp {a} > {b} syn")).unwrap();
                let port = snap.port(eth0).unwrap();
                f.copy_from_slice(&build_frame(&spec, port.mac).unwrap());
                f
            },
            |f| black_box(path::process(&snap, &ct, &mut ctx, eth0, f, 0, None)),
            BatchSize::SmallInput,
        )
    });
    g.finish();
}

fn main() {
    let mut c = Criterion::default()
        .configure_from_args()
        .warm_up_time(Duration::from_secs(1));
    established(&mut c, FLOWS, "pipeline-established");
    // the same with a table that fits the caches: what the stages cost without DRAM misses
    established(&mut c, 10_000, "pipeline-established-10k");
    new_flows(&mut c);
    c.final_summary();
}
