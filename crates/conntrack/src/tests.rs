//! Table-level tests: tracking through the table, NAT allocation, limits, expiry, handles,
//! concurrency.

use crate::nat::{Manip, NatError, NatRange};
use crate::tcp::{TcpState, TH_ACK, TH_FIN, TH_RST, TH_SYN};
use crate::tuple::*;
use crate::*;
use proptest::prelude::*;
use std::collections::HashSet;

fn ip(a: u8, b: u8, c: u8, d: u8) -> u32 {
    u32::from_be_bytes([a, b, c, d])
}

fn ct(max: u32) -> Conntrack {
    Conntrack::new(Config {
        max,
        shards: 8,
        ..Config::default()
    })
}

fn tcp_pkt(t: Tuple, flags: u8, seq: u32, ack: u32) -> PacketInfo {
    PacketInfo {
        tuple: t,
        tcp_flags: flags,
        seq,
        ack,
        window: 500,
        ..PacketInfo::default()
    }
}

fn udp(t: Tuple) -> PacketInfo {
    PacketInfo {
        tuple: t,
        ..PacketInfo::default()
    }
}

fn new_of(tr: Track) -> Unconfirmed {
    match tr {
        Track::New(u) => u,
        other => panic!("expected New, got {other:?}"),
    }
}

fn known(tr: Track) -> (Handle, Dir, CtInfo, Status, Tuple) {
    match tr {
        Track::Known {
            handle,
            dir,
            ctinfo,
            status,
            target,
            ..
        } => (handle, dir, ctinfo, status, target),
        other => panic!("expected Known, got {other:?}"),
    }
}

fn listing(c: &Conntrack, now: u32) -> Vec<Listing> {
    let mut v = Vec::new();
    c.list(now, &mut v);
    v
}

const A: u32 = 0xc0a8_6301; // 192.168.99.1
const S: u32 = 0x4311_1c0c; // 67.17.28.12
const B: u32 = 0x0808_0808;

#[test]
fn tcp_flow_through_table() {
    let c = ct(100);
    let t = Tuple::new(IPPROTO_TCP, A, 40000, B, 80);
    let u = new_of(c.track(&tcp_pkt(t, TH_SYN, 1, 0), 10));
    let h = c.confirm(u, 10).unwrap();
    // Retransmitted SYN: known, still NEW.
    let (h2, dir, ci, st, target) = known(c.track(&tcp_pkt(t, TH_SYN, 1, 0), 11));
    assert_eq!((h2, dir, ci), (h, Dir::Original, CtInfo::New));
    assert!(!st.contains(Status::SEEN_REPLY));
    assert_eq!(target, t);
    let r = t.invert().unwrap();
    let (_, dir, ci, _, target) = known(c.track(&tcp_pkt(r, TH_SYN | TH_ACK, 100, 2), 11));
    assert_eq!((dir, ci, target), (Dir::Reply, CtInfo::Established, r));
    let (_, _, ci, st, _) = known(c.track(&tcp_pkt(t, TH_ACK, 2, 101), 12));
    assert_eq!(ci, CtInfo::Established);
    assert!(st.contains(Status::ASSURED | Status::SEEN_REPLY));
    let l = listing(&c, 12);
    assert_eq!(l.len(), 1);
    assert_eq!(l[0].tcp_state, Some(TcpState::Established));
    assert_eq!(l[0].timeout, 431_999);
    // Invalid: SYN/ACK from the client.
    assert!(matches!(
        c.track(&tcp_pkt(t, TH_SYN | TH_ACK, 5, 5), 13),
        Track::Invalid(_)
    ));
    // Close, then a new SYN reopens as a new flow.
    c.track(&tcp_pkt(t, TH_FIN | TH_ACK, 2, 101), 14);
    c.track(&tcp_pkt(r, TH_FIN | TH_ACK, 101, 3), 14);
    c.track(&tcp_pkt(t, TH_ACK, 3, 102), 14);
    assert_eq!(listing(&c, 14)[0].tcp_state, Some(TcpState::TimeWait));
    let u = new_of(c.track(&tcp_pkt(t, TH_SYN, 7000, 0), 15));
    assert_eq!(c.len(), 0);
    assert!(!c.set_mark(h, 1), "stale handle after reopen");
    c.confirm(u, 15).unwrap();
    assert_eq!(c.len(), 1);
    let s = c.stats();
    assert!(s.found >= 6 && s.insert == 2 && s.invalid == 1);
}

#[test]
fn tcp_invalid_new_and_rst_only_reply() {
    let c = ct(100);
    let t = Tuple::new(IPPROTO_TCP, A, 1, B, 2);
    assert!(matches!(
        c.track(&tcp_pkt(t, TH_FIN | TH_ACK, 1, 1), 0),
        Track::Invalid(_)
    ));
    assert!(matches!(
        c.track(&tcp_pkt(t, TH_SYN | TH_FIN, 1, 1), 0),
        Track::Invalid(_)
    ));
    let u = new_of(c.track(&tcp_pkt(t, TH_SYN, 1, 0), 0));
    c.confirm(u, 0).unwrap();
    known(c.track(&tcp_pkt(t.invert().unwrap(), TH_RST | TH_ACK, 0, 2), 1));
    assert_eq!(c.len(), 0, "RST as the only answer deletes the flow");
}

#[test]
fn udp_unreplied_replied_assured() {
    let c = ct(100);
    let t = Tuple::new(IPPROTO_UDP, A, 5000, B, 53);
    let u = new_of(c.track(&udp(t), 100));
    c.confirm(u, 100).unwrap();
    let l = listing(&c, 100);
    assert_eq!(
        (l[0].timeout, l[0].status.contains(Status::SEEN_REPLY)),
        (29, false)
    );
    let (_, dir, _, st, _) = known(c.track(&udp(t.invert().unwrap()), 101));
    assert_eq!(dir, Dir::Reply);
    assert!(st.contains(Status::SEEN_REPLY) && !st.contains(Status::ASSURED));
    // Another packet within 2 s of the start: not a stream yet.
    let (_, _, _, st, _) = known(c.track(&udp(t), 102));
    assert!(!st.contains(Status::ASSURED));
    assert_eq!(listing(&c, 102)[0].timeout, 29);
    // After 2 s: ASSURED, stream timeout.
    let (_, _, _, st, _) = known(c.track(&udp(t), 103));
    assert!(st.contains(Status::ASSURED));
    assert_eq!(listing(&c, 103)[0].timeout, 119);
}

#[test]
fn icmp_echo_and_related_errors() {
    let c = ct(100);
    let p = PacketInfo {
        tuple: Tuple::new(IPPROTO_ICMP, A, 77, B, 0),
        icmp_type: 8,
        ..PacketInfo::default()
    };
    let u = new_of(c.track(&p, 0));
    assert_eq!(u.reply(), Tuple::icmp(B, A, 77, 0, 0));
    c.confirm(u, 0).unwrap();
    let r = PacketInfo {
        tuple: Tuple::new(IPPROTO_ICMP, B, 77, A, 0),
        icmp_type: 0,
        ..PacketInfo::default()
    };
    let (_, dir, _, _, _) = known(c.track(&r, 1));
    assert_eq!(dir, Dir::Reply);
    // An echo reply with no flow, and a router advertisement: INVALID.
    let stray = PacketInfo {
        tuple: Tuple::new(IPPROTO_ICMP, B, 9, A, 0),
        icmp_type: 0,
        ..PacketInfo::default()
    };
    assert!(matches!(
        c.track(&stray, 1),
        Track::Invalid(InvalidReason::IcmpType)
    ));
    let ra = PacketInfo {
        tuple: Tuple::new(IPPROTO_ICMP, B, 0, A, 0),
        icmp_type: 9,
        ..PacketInfo::default()
    };
    assert!(matches!(
        c.track(&ra, 1),
        Track::Invalid(InvalidReason::IcmpType)
    ));
    let err = PacketInfo {
        tuple: Tuple::new(IPPROTO_ICMP, B, 0, A, 0),
        icmp_type: 11,
        ..PacketInfo::default()
    };
    assert!(matches!(
        c.track(&err, 1),
        Track::Invalid(InvalidReason::IcmpError)
    ));

    // A UDP flow A->B; a router on the way sends time-exceeded to A about A's packet.
    let t = Tuple::new(IPPROTO_UDP, A, 33434, B, 33435);
    let u = new_of(c.track(&udp(t), 2));
    let h = c.confirm(u, 2).unwrap();
    let rel = c.related(&t, A, 2).unwrap();
    assert_eq!(
        (rel.handle, rel.dir, rel.ctinfo),
        (h, Dir::Reply, CtInfo::Related)
    );
    // B answers with port unreachable about... the embedded header is B's view of A's packet.
    // An error from A's side about B's reply travels in the original direction.
    let rel = c.related(&t.invert().unwrap(), B, 2).unwrap();
    assert_eq!(rel.dir, Dir::Original);
    // Wrong outer destination: not related.
    assert!(c.related(&t, B, 2).is_none());
    assert!(c
        .related(&Tuple::new(IPPROTO_UDP, A, 1, B, 2), A, 2)
        .is_none());
    // ICMP error about an echo request.
    let rel = c.related(&Tuple::icmp(A, B, 77, 8, 0), A, 2).unwrap();
    assert_eq!(rel.dir, Dir::Reply);
}

#[test]
fn generic_and_gre() {
    let c = ct(100);
    let g = Tuple::new(IPPROTO_GRE, A, 5, B, 6);
    let u = new_of(c.track(&udp(g), 0));
    assert_eq!((u.orig().sport, u.orig().dport), (0, 0));
    c.confirm(u, 0).unwrap();
    assert_eq!(listing(&c, 0)[0].timeout, 29);
    known(c.track(&udp(g.invert().unwrap()), 1));
    let (_, _, _, st, _) = known(c.track(&udp(g), 2));
    assert!(st.contains(Status::ASSURED));
    assert_eq!(listing(&c, 2)[0].timeout, 179);
    let x = Tuple::new(253, A, 0, B, 0);
    c.confirm(new_of(c.track(&udp(x), 0)), 0).unwrap();
    assert!(listing(&c, 2)
        .iter()
        .any(|l| l.orig.proto == 253 && l.timeout == 597));
}

#[test]
fn snat_keeps_port_then_allocates() {
    let c = ct(1000);
    let range = NatRange::addr(S);
    let t1 = Tuple::new(IPPROTO_TCP, A, 40000, B, 80);
    let mut u = new_of(c.track(&tcp_pkt(t1, TH_SYN, 1, 0), 0));
    c.nat(&mut u, Manip::Src, &range, 0).unwrap();
    assert_eq!(
        u.target(),
        Tuple::new(IPPROTO_TCP, S, 40000, B, 80),
        "port kept"
    );
    assert!(u.status().contains(Status::SRC_NAT | Status::SRC_NAT_DONE));
    assert_eq!(
        c.nat(&mut u, Manip::Src, &range, 0),
        Err(NatError::AlreadyDone)
    );
    let h = c.confirm(u, 0).unwrap();
    // A second host with the same source port to the same server: port reallocated.
    let t2 = Tuple::new(IPPROTO_TCP, A + 1, 40000, B, 80);
    let mut u2 = new_of(c.track(&tcp_pkt(t2, TH_SYN, 1, 0), 0));
    c.nat(&mut u2, Manip::Src, &range, 0).unwrap();
    let tg = u2.target();
    assert_eq!(tg.src, S);
    assert!(tg.sport >= 1024 && tg.sport != 40000);
    c.confirm(u2, 0).unwrap();
    // Replies find their flows through the NATed reply tuple.
    let (h1, dir, _, _, target) = known(c.track(
        &tcp_pkt(
            Tuple::new(IPPROTO_TCP, B, 80, S, 40000),
            TH_SYN | TH_ACK,
            9,
            2,
        ),
        1,
    ));
    assert_eq!(
        (h1, dir, target),
        (h, Dir::Reply, Tuple::new(IPPROTO_TCP, B, 80, A, 40000))
    );
    let (_, dir, _, _, target) = known(c.track(
        &tcp_pkt(
            Tuple::new(IPPROTO_TCP, B, 80, S, tg.sport),
            TH_SYN | TH_ACK,
            9,
            2,
        ),
        1,
    ));
    assert_eq!(
        (dir, target),
        (Dir::Reply, Tuple::new(IPPROTO_TCP, B, 80, A + 1, 40000))
    );
    // Privileged source ports stay in their class.
    let t3 = Tuple::new(IPPROTO_UDP, A + 2, 700, B, 80);
    c.confirm(
        new_of(c.track(&udp(Tuple::new(IPPROTO_UDP, A + 3, 700, B, 80)), 0)),
        0,
    )
    .unwrap();
    let mut u3 = new_of(c.track(&udp(t3), 0));
    // Occupy S:700 first.
    let mut u4 = new_of(c.track(&udp(Tuple::new(IPPROTO_UDP, A + 4, 700, B, 80)), 0));
    c.nat(&mut u4, Manip::Src, &range, 0).unwrap();
    assert_eq!(u4.target().sport, 700);
    c.confirm(u4, 0).unwrap();
    c.nat(&mut u3, Manip::Src, &range, 0).unwrap();
    let p = u3.target().sport;
    assert!((600..1024).contains(&p) && p != 700, "{p}");
}

#[test]
fn port_range_exhaustion_and_icmp_ids() {
    let c = ct(1000);
    let range = NatRange::addr(S).ports(2000, 2003);
    let mut ports = HashSet::new();
    for i in 0..4u32 {
        let t = Tuple::new(IPPROTO_UDP, A + i, 5000, B, 53);
        let mut u = new_of(c.track(&udp(t), 0));
        c.nat(&mut u, Manip::Src, &range, 0).unwrap();
        let p = u.target().sport;
        assert!((2000..=2003).contains(&p));
        assert!(ports.insert(p));
        c.confirm(u, 0).unwrap();
    }
    let mut u = new_of(c.track(&udp(Tuple::new(IPPROTO_UDP, A + 9, 5000, B, 53)), 0));
    assert_eq!(
        c.nat(&mut u, Manip::Src, &range, 0),
        Err(NatError::Exhausted)
    );
    // A different destination makes the same ports free again.
    let mut u = new_of(c.track(&udp(Tuple::new(IPPROTO_UDP, A + 9, 5000, B + 1, 53)), 0));
    c.nat(&mut u, Manip::Src, &range, 0).unwrap();
    // ICMP: two hosts pinging with the same id get distinct ids.
    let e1 = PacketInfo {
        tuple: Tuple::new(IPPROTO_ICMP, A, 1, B, 0),
        icmp_type: 8,
        ..PacketInfo::default()
    };
    let e2 = PacketInfo {
        tuple: Tuple::new(IPPROTO_ICMP, A + 1, 1, B, 0),
        icmp_type: 8,
        ..PacketInfo::default()
    };
    let mut u1 = new_of(c.track(&e1, 0));
    c.nat(&mut u1, Manip::Src, &NatRange::addr(S), 0).unwrap();
    assert_eq!(u1.target().icmp_id(), 1);
    c.confirm(u1, 0).unwrap();
    let mut u2 = new_of(c.track(&e2, 0));
    c.nat(&mut u2, Manip::Src, &NatRange::addr(S), 0).unwrap();
    let id2 = u2.target().icmp_id();
    assert_ne!(id2, 1);
    assert_eq!(u2.reply(), Tuple::icmp(B, S, id2, 0, 0));
    c.confirm(u2, 0).unwrap();
    let rep = PacketInfo {
        tuple: Tuple::new(IPPROTO_ICMP, B, id2, S, 0),
        icmp_type: 0,
        ..PacketInfo::default()
    };
    let (_, dir, _, _, target) = known(c.track(&rep, 1));
    assert_eq!((dir, target), (Dir::Reply, Tuple::icmp(B, A + 1, 1, 0, 0)));
}

#[test]
fn dnat_and_address_ranges() {
    let c = ct(1000);
    let srv = ip(192, 168, 99, 10);
    let t = Tuple::new(IPPROTO_TCP, B, 5555, S, 80);
    let mut u = new_of(c.track(&tcp_pkt(t, TH_SYN, 1, 0), 0));
    c.nat(
        &mut u,
        Manip::Dst,
        &NatRange::addr(srv).ports(8080, 8080),
        0,
    )
    .unwrap();
    assert_eq!(u.target(), Tuple::new(IPPROTO_TCP, B, 5555, srv, 8080));
    assert!(u.status().contains(Status::DST_NAT));
    c.confirm(u, 0).unwrap();
    let (_, dir, _, _, target) = known(c.track(
        &tcp_pkt(
            Tuple::new(IPPROTO_TCP, srv, 8080, B, 5555),
            TH_SYN | TH_ACK,
            1,
            2,
        ),
        0,
    ));
    assert_eq!(
        (dir, target),
        (Dir::Reply, Tuple::new(IPPROTO_TCP, S, 80, B, 5555))
    );
    // Address range: the choice is stable per (source, destination), persistent per source.
    let r = NatRange::addrs(ip(10, 0, 0, 1), ip(10, 0, 0, 8));
    let pick = |src: u32, dst: u32, r: &NatRange| {
        let mut u = new_of(c.track(&udp(Tuple::new(IPPROTO_UDP, src, 1, dst, 2)), 0));
        c.nat(&mut u, Manip::Src, r, 0).unwrap();
        u.target().src
    };
    let a1 = pick(A, B, &r);
    assert!((ip(10, 0, 0, 1)..=ip(10, 0, 0, 8)).contains(&a1));
    assert_eq!(a1, pick(A, B, &r));
    let rp = r.with_flags(NatRange::PERSISTENT);
    let p1 = pick(A, B, &rp);
    for d in 0..20 {
        assert_eq!(pick(A, B + d, &rp), p1);
    }
    // Random-fully never keeps the port on purpose.
    let mut u = new_of(c.track(&udp(Tuple::new(IPPROTO_UDP, A, 40000, B, 9)), 0));
    c.nat(
        &mut u,
        Manip::Src,
        &NatRange::addr(S).with_flags(NatRange::PROTO_RANDOM_FULLY),
        0,
    )
    .unwrap();
    assert!(u.target().sport >= 1024);
}

#[test]
fn confirm_clash_and_resolution() {
    let c = ct(100);
    let t = Tuple::new(IPPROTO_UDP, A, 1, B, 2);
    let u1 = new_of(c.track(&udp(t), 0));
    let u2 = new_of(c.track(&udp(t), 0));
    let h1 = c.confirm(u1, 0).unwrap();
    // Same flow raced on two workers: UDP clash resolves to the existing entry.
    assert_eq!(c.confirm(u2, 0), Ok(h1));
    assert_eq!(c.stats().clash_resolve, 1);
    // TCP: the loser fails.
    let tt = Tuple::new(IPPROTO_TCP, A, 1, B, 2);
    let v1 = new_of(c.track(&tcp_pkt(tt, TH_SYN, 1, 0), 0));
    let v2 = new_of(c.track(&tcp_pkt(tt, TH_SYN, 1, 0), 0));
    c.confirm(v1, 0).unwrap();
    assert_eq!(c.confirm(v2, 0), Err(ConfirmError::Clash));
    // Two flows NATed to the same reply tuple before either confirmed: the second retries.
    let r = NatRange::addr(S);
    let mut w1 = new_of(c.track(&udp(Tuple::new(IPPROTO_UDP, A + 1, 9, B, 2)), 0));
    let mut w2 = new_of(c.track(&udp(Tuple::new(IPPROTO_UDP, A + 2, 9, B, 2)), 0));
    c.nat(&mut w1, Manip::Src, &r, 0).unwrap();
    c.nat(&mut w2, Manip::Src, &r, 0).unwrap();
    assert_eq!(w1.reply(), w2.reply());
    c.confirm(w1, 0).unwrap();
    c.confirm(w2, 0).unwrap();
    let l = listing(&c, 0);
    let replies: HashSet<Tuple> = l.iter().map(|l| l.reply).collect();
    assert_eq!(replies.len(), l.len());
    assert_eq!(c.stats().insert_failed, 1);
}

#[test]
fn full_table_early_drop_and_full() {
    const MAX: u16 = 200;
    let c = Conntrack::new(Config {
        max: u32::from(MAX),
        shards: 1,
        ..Config::default()
    });
    for i in 0..MAX {
        c.confirm(
            new_of(c.track(&udp(Tuple::new(IPPROTO_UDP, A, i, B, 2)), 0)),
            0,
        )
        .unwrap();
    }
    assert_eq!(c.len(), usize::from(MAX));
    // Not assured: early drop near the new flow's bucket makes room.
    let u = new_of(c.track(&udp(Tuple::new(IPPROTO_UDP, A, 1000, B, 2)), 0));
    c.confirm(u, 0).unwrap();
    assert_eq!(c.len(), usize::from(MAX));
    assert!(c.stats().early_drop >= 1);
    // Make every flow assured (reply, then another packet after 2 s): now really full.
    for l in listing(&c, 0) {
        known(c.track(&udp(l.reply), 1));
        known(c.track(&udp(l.orig), 5));
    }
    assert!(listing(&c, 5)
        .iter()
        .all(|l| l.status.contains(Status::ASSURED)));
    for i in 0..50 {
        assert!(matches!(
            c.track(&udp(Tuple::new(IPPROTO_UDP, A, 2000 + i, B, 2)), 5),
            Track::Full
        ));
    }
    assert!(c.stats().drop >= 50);
    assert_eq!(c.len(), usize::from(MAX));
    // Expired flows free their slots lazily: a packet after expiry finds room again.
    let later = 5 + 121;
    let u = new_of(c.track(&udp(Tuple::new(IPPROTO_UDP, A, 2000, B, 2)), later));
    c.confirm(u, later).unwrap();
}

#[test]
fn expiry_gc_and_stale_handles() {
    let c = ct(1000);
    let mut hs = Vec::new();
    for i in 0..100u16 {
        let u = new_of(c.track(&udp(Tuple::new(IPPROTO_UDP, A, i, B, 2)), 0));
        hs.push(c.confirm(u, 0).unwrap());
    }
    assert!(c.set_mark(hs[0], 7));
    assert_eq!(c.mark(hs[0]), Some(7));
    let (_, _, _, _, _) = known(c.track(&udp(Tuple::new(IPPROTO_UDP, A, 0, B, 2)), 1));
    assert_eq!(c.gc(29, usize::MAX / 2), 0, "nothing expired yet");
    let slots = c.memory_bytes(); // keep the value used
    assert!(slots > 0);
    let mut killed = 0;
    for _ in 0..100 {
        killed += c.gc(30, 1024);
    }
    assert_eq!(killed, 99, "all but the refreshed one");
    assert_eq!(c.len(), 1);
    assert!(!c.set_mark(hs[1], 1));
    assert_eq!(c.mark(hs[1]), None);
    // Reuse slots; old handles stay stale.
    for i in 0..99u16 {
        c.confirm(
            new_of(c.track(&udp(Tuple::new(IPPROTO_UDP, B, i, A, 3)), 40)),
            40,
        )
        .unwrap();
    }
    for h in &hs[1..] {
        assert!(!c.set_mark(*h, 9));
        assert!(!c.remove(*h));
    }
    assert!(listing(&c, 40).iter().all(|l| l.mark != 9));
    assert_eq!(c.flush(), 100);
    assert!(c.is_empty());
}

#[test]
fn memory_per_flow_at_one_million() {
    let c = Conntrack::new(Config::with_max(1 << 20));
    let per_flow = c.memory_bytes() as f64 / f64::from(1u32 << 20);
    assert!(per_flow <= 128.0, "{per_flow} bytes per flow");
}

#[test]
fn concurrent_workers_never_duplicate() {
    let c = std::sync::Arc::new(Conntrack::new(Config {
        max: 100_000,
        shards: 16,
        ..Config::default()
    }));
    // three ports per flow: the kernel's allocator tries at most 128 + 64 + 32 + 16 ports,
    // so a range almost exhausted may refuse a flow (nat_no_free_tuple) by design
    let range = NatRange::addr(S).ports(10000, 12999);
    let threads: Vec<_> = (0..4u32)
        .map(|w| {
            let c = c.clone();
            std::thread::spawn(move || {
                let mut ok = 0;
                for i in 0..2000u32 {
                    // Overlapping flows between workers: the same 1000 flows from each.
                    let t = Tuple::new(IPPROTO_UDP, A + (i % 1000), 5000, B, 53);
                    match c.track(&udp(t), 0) {
                        Track::New(mut u) => {
                            if c.nat(&mut u, Manip::Src, &range, 0).is_ok()
                                && c.confirm(u, 0).is_ok()
                            {
                                ok += 1;
                            }
                        }
                        Track::Known { .. } => {}
                        other => panic!("{other:?}"),
                    }
                    // Replies on this worker for flows others made.
                    let r = Tuple::new(IPPROTO_UDP, B, 53, S, 10000 + ((i + w) % 3000) as u16);
                    let _ = c.track(&udp(r), 1);
                }
                ok
            })
        })
        .collect();
    for t in threads {
        t.join().unwrap();
    }
    let l = listing(&c, 1);
    assert_eq!(l.len(), c.len());
    assert_eq!(l.len(), 1000);
    let mut keys = HashSet::new();
    for e in &l {
        assert!(keys.insert(e.orig));
        assert!(keys.insert(e.reply));
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn nat_never_duplicates_tuples(flows in proptest::collection::vec((0u32..8, 0u16..6, 0u32..3, any::<bool>(), 0u8..3), 1..120)) {
        let c = Conntrack::new(Config { max: 64, shards: 4, ..Config::default() });
        for (i, &(src, sport, dst, dnat, kind)) in flows.iter().enumerate() {
            let proto = [IPPROTO_UDP, IPPROTO_TCP, IPPROTO_ICMP][usize::from(kind)];
            let t = Tuple::new(proto, A + src, sport, B + dst, 80);
            let p = PacketInfo { tuple: t, tcp_flags: TH_SYN, icmp_type: 8, ..PacketInfo::default() };
            if let Track::New(mut u) = c.track(&p, i as u32) {
                if dnat {
                    let _ = c.nat(&mut u, Manip::Dst, &NatRange::addr(B).ports(80, 81), i as u32);
                }
                if c.nat(&mut u, Manip::Src, &NatRange::addr(S).ports(1, 4), i as u32).is_ok() {
                    let _ = c.confirm(u, i as u32);
                }
            }
        }
        let l = listing(&c, flows.len() as u32);
        prop_assert!(l.len() <= 64);
        let mut keys = HashSet::new();
        for e in &l {
            prop_assert!(keys.insert(e.orig), "duplicate {:?}", e.orig);
            prop_assert!(keys.insert(e.reply), "duplicate {:?}", e.reply);
        }
    }

    #[test]
    fn arbitrary_packets_never_panic(pkts in proptest::collection::vec((any::<u8>(), 0u32..4, any::<u16>(), any::<u8>(), any::<u8>(), any::<u8>(), 0u32..400), 1..200)) {
        let c = Conntrack::new(Config { max: 16, shards: 2, ..Config::default() });
        for (proto, a, port, flags, ty, code, now) in pkts {
            let t = Tuple::new(proto, A + a, port, B + (a & 1), port.rotate_left(3));
            let p = PacketInfo { tuple: t, tcp_flags: flags, seq: u32::from(port), ack: 7, icmp_type: ty, icmp_code: code, ..PacketInfo::default() };
            match c.track(&p, now) {
                Track::New(mut u) => {
                    let _ = c.nat(&mut u, Manip::Src, &NatRange::addr(S), now);
                    let _ = c.confirm(u, now);
                }
                Track::Known { .. } | Track::Invalid(_) | Track::Full => {}
            }
            let _ = c.related(&t, A, now);
            c.gc(now, 64);
            prop_assert!(c.len() <= 16);
        }
    }
}

#[test]
fn concurrent_churn_never_loses_or_duplicates() {
    // Four workers create, look up (both directions, including other workers' flows, whose
    // reply keys live in other shards) and delete flows at once. Afterwards every flow a
    // worker kept is found from both of its tuples, with the handle it got, and nothing else
    // is in the table.
    const PER: u32 = 20_000;
    let c = std::sync::Arc::new(Conntrack::new(Config {
        max: 4 * PER,
        shards: 8,
        ..Config::default()
    }));
    let flow = |w: u32, i: u32| Tuple::new(IPPROTO_UDP, A + (w << 20) + i, 1000, B + i % 97, 53);
    let threads: Vec<_> = (0..4u32)
        .map(|w| {
            let c = c.clone();
            std::thread::spawn(move || {
                let mut kept = Vec::new();
                for i in 0..PER {
                    let t = flow(w, i);
                    let h = c.confirm(new_of(c.track(&udp(t), 0)), 0).unwrap();
                    let (hr, dir, ..) = known(c.track(&udp(t.invert().unwrap()), 0));
                    assert_eq!((hr, dir), (h, Dir::Reply));
                    // Another worker's flow, maybe deleted meanwhile: Known or New, never
                    // anything else, and a New one is not confirmed.
                    let o = flow((w + 1) % 4, i / 2).invert().unwrap();
                    match c.track(&udp(o), 0) {
                        Track::Known { dir, .. } => assert_eq!(dir, Dir::Reply),
                        Track::New(_) => {}
                        other => panic!("{other:?}"),
                    }
                    if i % 3 == 0 {
                        assert!(c.remove(h));
                    } else {
                        kept.push((t, h));
                    }
                }
                kept
            })
        })
        .collect();
    let kept: Vec<(Tuple, Handle)> = threads
        .into_iter()
        .flat_map(|t| t.join().unwrap())
        .collect();
    assert_eq!(c.len(), kept.len());
    assert_eq!(listing(&c, 0).len(), kept.len());
    for (t, h) in kept {
        let (h1, d1, ..) = known(c.track(&udp(t), 1));
        let (h2, d2, ..) = known(c.track(&udp(t.invert().unwrap()), 1));
        assert_eq!((h1, d1, h2, d2), (h, Dir::Original, h, Dir::Reply));
    }
    for w in 0..4 {
        for i in (0..PER).step_by(3) {
            assert!(!c.tuple_taken(&flow(w, i), 1));
        }
    }
    let n = c.len();
    assert_eq!(c.flush(), n);
    assert!(c.is_empty());
}

#[test]
fn prefetch_changes_nothing() {
    let c = ct(100);
    let t = Tuple::new(IPPROTO_UDP, A, 1, B, 2);
    c.prefetch(&t);
    c.prefetch_packet(&udp(t));
    c.prefetch_entry(&udp(t));
    let u = new_of(c.track(&udp(t), 0));
    c.confirm(u, 0).unwrap();
    for p in [udp(t), udp(t.invert().unwrap())] {
        c.prefetch_packet(&p);
        c.prefetch_entry(&p);
    }
    // Invalid packets and ICMP errors prefetch nothing and do not panic.
    let bad = PacketInfo {
        tuple: Tuple::new(IPPROTO_ICMP, A, 0, B, 0),
        icmp_type: 3,
        ..PacketInfo::default()
    };
    c.prefetch_packet(&bad);
    c.prefetch_entry(&bad);
    assert_eq!(c.len(), 1);
    assert_eq!(c.stats().found, 0);
    known(c.track(&udp(t.invert().unwrap()), 1));
}
