//! End-to-end tests of the pipeline with real frames and the seed's own config and
//! addresses (in-process, no network): each example alone, and all of them in one router.

use crate::packets::{self, build_frame, parse_line};
use crate::trace::{self, Traced};
use crate::{path, Ctx, Reason, Snapshot, Verdict};
use ruta_config::{apply_text, Router, Source};
use ruta_conntrack::{Config as CtConfig, Conntrack};
use ruta_netfilter::Output;
use std::net::Ipv4Addr;

const SEED_FILE: &str = include_str!("../../../examples/seed.conf");

/// One section of examples/seed.conf ("# == NAME" up to the next "# == ").
fn section(name: &str) -> String {
    let marker = format!("# == {name}\n");
    let start = SEED_FILE
        .find(&marker)
        .unwrap_or_else(|| panic!("no section {name}"));
    let rest = &SEED_FILE[start + marker.len()..];
    let end = rest.find("# == ").unwrap_or(rest.len());
    rest[..end].to_string()
}

fn base() -> String {
    section("base") + &section("Example 10.1")
}

/// The whole seed router, as examples/seed.conf has it.
fn seed_all() -> String {
    SEED_FILE.to_string()
}

/// A stateful filter in front of it all.
const FILTER: &str = "
iptables -P FORWARD DROP
iptables -A FORWARD -m conntrack --ctstate ESTABLISHED,RELATED -j ACCEPT
iptables -A FORWARD -p tcp --dport 23 -j REJECT --reject-with tcp-reset
iptables -A FORWARD -p udp --dport 69 -j REJECT
iptables -A FORWARD -i eth0 -j ACCEPT
iptables -A FORWARD -d 192.168.100.20 -p tcp --dport 80 -j ACCEPT
";

const REJECTS: &str = "
ip route add unreachable 10.99.0.0/16
ip route add prohibit 10.98.0.0/16
ip route add blackhole 10.97.0.0/16
";

fn ex_10_2() -> String {
    base() + &section("Example 10.3") + &section("Example 10.2")
}

fn ex_10_4() -> String {
    base() + &section("Example 10.4")
}

fn sec_4_3() -> String {
    base() + &section("Example 10.3") + &section("Section 4.3")
}

struct Rig {
    snap: Snapshot,
    ct: Conntrack,
    ctx: Ctx,
}

fn rig(text: &str) -> Rig {
    let mut rt = Router::new();
    if let Err(e) = apply_text(&mut rt, text, &Source::default(), false) {
        panic!("config: {:?}", e);
    }
    let snap = Snapshot::new(rt);
    let ct = Conntrack::new(CtConfig {
        max: 4096,
        ..CtConfig::default()
    });
    let ctx = Ctx::new(&snap);
    Rig { snap, ct, ctx }
}

impl Rig {
    fn trace(&mut self, lines: &str) -> Vec<Traced> {
        trace::run(&self.snap, &self.ct, &mut self.ctx, lines).expect("packets parse")
    }

    fn one(&mut self, line: &str) -> Traced {
        self.trace(line).pop().expect("one packet")
    }

    /// Runs a line and returns the verdict and the frame as it leaves.
    fn frame(&mut self, line: &str) -> (Verdict, Vec<u8>) {
        let spec = parse_line(line).unwrap();
        let port = self.snap.port_by_name(&spec.iif).unwrap();
        let iif = port.index;
        let mut f = build_frame(&spec, port.mac).unwrap();
        let v = path::process(
            &self.snap,
            &self.ct,
            &mut self.ctx,
            iif,
            &mut f,
            spec.mark,
            None,
        );
        let out = match v {
            // as Ethernet frames, L2 header from the test's point of view
            Verdict::Forward { l3, len, .. } => f[..l3 + len].to_vec(),
            Verdict::Fragments { .. } => Vec::new(),
            Verdict::Reply { reason, len, .. } if reason.is_arp() => self.ctx.out[..len].to_vec(),
            Verdict::Reply { len, .. } => {
                let mut v = vec![0u8; 14];
                v[12..14].copy_from_slice(&[0x08, 0x00]);
                v.extend_from_slice(&self.ctx.out[..len]);
                v
            }
            _ => Vec::new(),
        };
        (v, out)
    }

    fn listing(&mut self, args: &str) -> String {
        let words: Vec<&str> = args.split_whitespace().collect();
        let mut rs = self.snap.router.netfilter.clone();
        match rs.apply_with(&words, Some(&self.ctx.nf_counters)) {
            Ok(Output::Text(t)) => t,
            other => panic!("{other:?}"),
        }
    }
}

fn out_of(r: &Traced, snap: &Snapshot) -> (String, Ipv4Addr, Ipv4Addr, u16, u16, u32) {
    let Verdict::Forward { oif, .. } = r.verdict else {
        panic!("not forwarded: {:?}\n{:#?}", r.verdict, r.trace.steps)
    };
    let o = r.trace.out.as_ref().unwrap();
    (
        snap.port(oif).unwrap().name.clone(),
        o.src,
        o.dst,
        o.sport,
        o.dport,
        o.mark,
    )
}

fn gw(r: &Traced) -> Ipv4Addr {
    match r.verdict {
        Verdict::Forward { nexthop, .. } => nexthop,
        v => panic!("{v:?}"),
    }
}

fn a(s: &str) -> Ipv4Addr {
    s.parse().unwrap()
}

fn check_web_and_ssh(r: &mut Rig) {
    // web from a desktop: marked 4, table 4, the DSL line, SNAT to its address
    let web = r.one("iif eth0 tcp 192.168.99.10:40000 > 198.51.100.7:80 syn");
    assert_eq!(
        out_of(&web, &r.snap),
        (
            "eth4".into(),
            a("67.17.28.12"),
            a("198.51.100.7"),
            40000,
            80,
            4
        )
    );
    assert_eq!(gw(&web), a("67.17.28.14"));
    let https = r.one("iif eth0 tcp 192.168.99.11:40001 > 198.51.100.7:443 syn");
    assert_eq!(out_of(&https, &r.snap).0, "eth4");
    // everything else: the T1 line
    let ssh = r.one("iif eth0 tcp 192.168.99.10:40002 > 198.51.100.7:22 syn");
    assert_eq!(
        out_of(&ssh, &r.snap),
        (
            "eth1".into(),
            a("205.254.211.179"),
            a("198.51.100.7"),
            40002,
            22,
            0
        )
    );
    assert_eq!(gw(&ssh), a("205.254.211.254"));
    // replies come back de-NATed to the right inside host (their mark: 0, or 4 where
    // section 4.3's CONNMARK --restore-mark gives them their connection's)
    let back = r.one("iif eth4 tcp 198.51.100.7:80 > 67.17.28.12:40000 syn-ack");
    let o = out_of(&back, &r.snap);
    assert_eq!(
        (o.0.as_str(), o.1, o.2, o.3, o.4),
        ("eth0", a("198.51.100.7"), a("192.168.99.10"), 80, 40000)
    );
    assert_eq!(gw(&back), a("192.168.99.10"));
    let back = r.one("iif eth1 tcp 198.51.100.7:22 > 205.254.211.179:40002 syn-ack");
    assert_eq!(out_of(&back, &r.snap).2, a("192.168.99.10"));
    // the rest of the web flow stays on the DSL line
    let ack = r.one("iif eth0 tcp 192.168.99.10:40000 > 198.51.100.7:80 ack");
    assert_eq!(out_of(&ack, &r.snap).0, "eth4");
    assert_eq!(out_of(&ack, &r.snap).1, a("67.17.28.12"));
}

#[test]
fn example_10_2_alone() {
    let mut r = rig(&ex_10_2());
    check_web_and_ssh(&mut r);
    // the counters count what passed: 3 marked packets (syn 80, syn 443, ack 80), one
    // NEW flow out of each uplink... nat sees only the first packet of each flow
    let mangle = r.listing("-t mangle -nvL PREROUTING");
    let lines: Vec<&str> = mangle.lines().collect();
    assert!(lines[2].trim_start().starts_with("2 "), "{mangle}");
    assert!(lines[3].trim_start().starts_with("1 "), "{mangle}");
    let nat = r.listing("-t nat -nvL POSTROUTING");
    let lines: Vec<&str> = nat.lines().collect();
    assert!(lines[2].trim_start().starts_with("2 "), "{nat}");
    assert!(lines[3].trim_start().starts_with("1 "), "{nat}");
}

fn check_route_nat(r: &mut Rig) {
    // inbound through the DSL line to the published address: rewritten to isolde's .10
    let inb = r.one("iif eth4 tcp 64.70.12.210:5000 > 67.17.28.10:80 syn");
    let (dev, src, dst, ..) = out_of(&inb, &r.snap);
    assert_eq!(
        (dev.as_str(), src, dst),
        ("eth0", a("64.70.12.210"), a("192.168.100.10"))
    );
    // isolde answers from .10: rule map-to 67.17.28.10, table 4, out of the DSL line
    let rep = r.one("iif eth0 tcp 192.168.100.10:80 > 64.70.12.210:5000 syn-ack");
    let (dev, src, dst, ..) = out_of(&rep, &r.snap);
    assert_eq!(
        (dev.as_str(), src, dst),
        ("eth4", a("67.17.28.10"), a("64.70.12.210"))
    );
    assert_eq!(gw(&rep), a("67.17.28.14"));
    // and through the T1 line with .17
    let inb = r.one("iif eth1 tcp 64.70.12.210:5001 > 205.254.211.17:80 syn");
    assert_eq!(out_of(&inb, &r.snap).2, a("192.168.100.17"));
    let rep = r.one("iif eth0 tcp 192.168.100.17:80 > 64.70.12.210:5001 syn-ack");
    let (dev, src, ..) = out_of(&rep, &r.snap);
    assert_eq!((dev.as_str(), src), ("eth1", a("205.254.211.17")));
    assert_eq!(gw(&rep), a("205.254.211.254"));
}

fn arp_request(r: &mut Rig, port: &str, target: &str) -> Verdict {
    let p = r.snap.port_by_name(port).unwrap();
    let (iif, mac) = (p.index, p.mac);
    let mut f = vec![0u8; 42];
    f[..6].copy_from_slice(&[0xff; 6]);
    f[6..12].copy_from_slice(&packets::PEER_MAC);
    f[12..14].copy_from_slice(&[0x08, 0x06]);
    f[14..22].copy_from_slice(&[0, 1, 8, 0, 6, 4, 0, 1]);
    f[22..28].copy_from_slice(&packets::PEER_MAC);
    f[28..32].copy_from_slice(&[67, 17, 28, 14]);
    f[38..42].copy_from_slice(&a(target).octets());
    let v = path::process(&r.snap, &r.ct, &mut r.ctx, iif, &mut f, 0, None);
    if let Verdict::Reply { len, .. } = v {
        let o = &r.ctx.out[..len];
        assert_eq!(&o[..6], &packets::PEER_MAC);
        assert_eq!(&o[6..12], &mac);
        assert_eq!(&o[12..14], &[0x08, 0x06]);
        assert_eq!(&o[20..22], &[0, 2], "an ARP reply");
        assert_eq!(&o[22..28], &mac, "the port's MAC answers");
        assert_eq!(&o[28..32], &a(target).octets());
    }
    v
}

#[test]
fn example_10_4_route_nat_both_directions_and_proxy_arp() {
    let mut r = rig(&ex_10_4());
    check_route_nat(&mut r);
    assert!(matches!(
        arp_request(&mut r, "eth4", "67.17.28.10"),
        Verdict::Reply {
            reason: Reason::ArpAnswered,
            ..
        }
    ));
    assert!(matches!(
        arp_request(&mut r, "eth4", "67.17.28.12"),
        Verdict::Reply { .. }
    ));
    // not on the T1 side: 67.17.28.10 is not on-link there
    assert_eq!(
        arp_request(&mut r, "eth1", "67.17.28.10"),
        Verdict::Drop(Reason::ArpNotForUs)
    );
    assert_eq!(
        arp_request(&mut r, "eth4", "67.17.28.9"),
        Verdict::Drop(Reason::ArpNotForUs)
    );
}

fn check_section_4_3(r: &mut Rig) {
    // a client reaches the server through the DSL address...
    let inb = r.one("iif eth4 tcp 198.51.100.50:6000 > 67.17.28.11:80 syn");
    let (dev, _, dst, _, dport, _) = out_of(&inb, &r.snap);
    assert_eq!(
        (dev.as_str(), dst, dport),
        ("eth0", a("192.168.100.20"), 80)
    );
    // ...and the answer leaves through the DSL line, from the DSL address
    let rep = r.one("iif eth0 tcp 192.168.100.20:80 > 198.51.100.50:6000 syn-ack");
    let (dev, src, dst, sport, _, mark) = out_of(&rep, &r.snap);
    assert_eq!(
        (dev.as_str(), src, dst, sport, mark),
        ("eth4", a("67.17.28.11"), a("198.51.100.50"), 80, 4)
    );
    // the same client through the T1 address: answered through the T1 line
    let inb = r.one("iif eth1 tcp 198.51.100.50:6001 > 205.254.211.18:80 syn");
    assert_eq!(out_of(&inb, &r.snap).2, a("192.168.100.20"));
    let rep = r.one("iif eth0 tcp 192.168.100.20:80 > 198.51.100.50:6001 syn-ack");
    let (dev, src, ..) = out_of(&rep, &r.snap);
    assert_eq!((dev.as_str(), src), ("eth1", a("205.254.211.18")));
    assert_eq!(gw(&rep), a("205.254.211.254"));
}

#[test]
fn section_4_3_inbound_and_outbound() {
    let mut r = rig(&sec_4_3());
    check_section_4_3(&mut r);
}

#[test]
fn the_whole_seed_router() {
    let mut r = rig(&seed_all());
    check_web_and_ssh(&mut r);
    check_route_nat(&mut r);
    check_section_4_3(&mut r);
}

#[test]
fn everything_in_one_router() {
    let mut r = rig(&(seed_all() + FILTER + REJECTS));
    check_web_and_ssh(&mut r);
    check_route_nat_filtered(&mut r);
    check_section_4_3(&mut r);
    // unsolicited inbound is dropped by the FORWARD policy
    let t = r.one("iif eth1 tcp 198.51.100.50:6002 > 192.168.99.10:22 syn");
    assert_eq!(t.verdict, Verdict::Drop(Reason::DropForward));
    let mangle = r.listing("-t filter -nvL FORWARD");
    // the route-NAT inbound SYN (no ACCEPT rule for it) and the unsolicited one
    assert!(
        mangle.starts_with("Chain FORWARD (policy DROP 2 packets,"),
        "{mangle}"
    );
}

fn check_route_nat_filtered(r: &mut Rig) {
    // with FORWARD policy DROP, route NAT inbound needs its own accept: not configured, so
    // the stateless inbound is dropped while outbound from inside passes (-i eth0)
    let inb = r.one("iif eth4 tcp 64.70.12.210:5000 > 67.17.28.10:80 syn");
    assert_eq!(inb.verdict, Verdict::Drop(Reason::DropForward));
    let rep = r.one("iif eth0 tcp 192.168.100.10:80 > 64.70.12.210:5000 syn-ack");
    assert_eq!(out_of(&rep, &r.snap).1, a("67.17.28.10"));
}

fn ip_of(frame: &[u8]) -> &[u8] {
    &frame[14..]
}

#[test]
fn ttl_expiry_sends_time_exceeded_from_the_inside_address() {
    let mut r = rig(&ex_10_2());
    let (v, out) = r.frame("iif eth0 udp 192.168.99.10:5000 > 198.51.100.9:53 ttl 1");
    let Verdict::Reply {
        reason,
        oif,
        nexthop,
        ..
    } = v
    else {
        panic!("{v:?}")
    };
    assert_eq!(reason, Reason::TtlExceeded);
    assert_eq!(r.snap.port(oif).unwrap().name, "eth0");
    assert_eq!(nexthop, a("192.168.99.10"));
    let ip = ip_of(&out);
    assert_eq!(ip[9], 1, "ICMP");
    assert_eq!(
        &ip[12..16],
        &[192, 168, 99, 254],
        "from the router's inside address"
    );
    assert_eq!(&ip[16..20], &[192, 168, 99, 10]);
    assert_eq!(ip[20], 11);
    assert_eq!(ip[21], 0);
    assert_eq!(ruta_packet::checksum::checksum(&ip[..20]), 0);
    assert_eq!(ruta_packet::checksum::checksum(&ip[20..]), 0);
    // the quote is the packet as it arrived
    assert_eq!(&ip[28 + 12..28 + 16], &[192, 168, 99, 10]);
    assert_eq!(&ip[28 + 16..28 + 20], &[198, 51, 100, 9]);
    // nothing was tracked for it to be NATed later
    assert_eq!(r.ctx.stats.reason(Reason::TtlExceeded), 1);
}

#[test]
fn unreachable_prohibited_blackhole() {
    let mut r = rig(&(base() + REJECTS));
    for (dst, t, c, reason) in [
        ("10.99.1.1", 3, 1, Reason::Unreachable),
        ("10.98.1.1", 3, 13, Reason::Prohibited),
    ] {
        let (v, out) = r.frame(&format!("iif eth0 udp 192.168.99.10:5000 > {dst}:53"));
        assert!(
            matches!(v, Verdict::Reply { reason: rr, .. } if rr == reason),
            "{dst}: {v:?}"
        );
        let ip = ip_of(&out);
        assert_eq!((ip[20], ip[21]), (t, c), "{dst}");
        assert_eq!(ruta_packet::checksum::checksum(&ip[20..]), 0);
    }
    let (v, _) = r.frame("iif eth0 udp 192.168.99.10:5000 > 10.97.1.1:53");
    assert_eq!(v, Verdict::Drop(Reason::Blackhole));
    // a martian source is dropped silently
    let (v, _) = r.frame("iif eth0 udp 127.0.0.1:5000 > 198.51.100.9:53");
    assert_eq!(v, Verdict::Drop(Reason::Martian));
}

#[test]
fn reject_with_icmp_and_reset() {
    let mut r = rig(&(base() + FILTER));
    let (v, out) = r.frame("iif eth0 udp 192.168.99.10:5000 > 198.51.100.9:69");
    assert!(matches!(
        v,
        Verdict::Reply {
            reason: Reason::Rejected,
            ..
        }
    ));
    let ip = ip_of(&out);
    assert_eq!((ip[20], ip[21]), (3, 3), "port unreachable by default");
    let (v, out) = r.frame("iif eth0 tcp 192.168.99.10:5000 > 198.51.100.9:23 syn");
    assert!(matches!(v, Verdict::Reply { .. }));
    let ip = ip_of(&out);
    assert_eq!(ip[9], 6);
    assert_eq!(ip[20 + 13] & 0x04, 0x04, "RST");
    assert_eq!(&ip[16..20], &[192, 168, 99, 10]);
}

#[test]
fn icmp_error_about_a_natted_flow_is_translated() {
    let mut r = rig(&ex_10_2());
    let out = r.one("iif eth0 udp 192.168.99.10:5000 > 198.51.100.9:53");
    assert_eq!(out_of(&out, &r.snap).1, a("205.254.211.179"));
    let (v, f) = r.frame(
        "iif eth1 icmp 198.51.100.1 > 205.254.211.179 port-unreachable about udp 205.254.211.179:5000 > 198.51.100.9:53",
    );
    let Verdict::Forward { oif, .. } = v else {
        panic!("{v:?}")
    };
    assert_eq!(r.snap.port(oif).unwrap().name, "eth0");
    let ip = ip_of(&f);
    assert_eq!(&ip[12..16], &[198, 51, 100, 1], "outer source kept");
    assert_eq!(
        &ip[16..20],
        &[192, 168, 99, 10],
        "outer destination de-NATed"
    );
    let q = &ip[28..];
    assert_eq!(&q[12..16], &[192, 168, 99, 10], "quoted source de-NATed");
    assert_eq!(u16::from_be_bytes([q[20], q[21]]), 5000);
    assert_eq!(ruta_packet::checksum::checksum(&ip[..20]), 0);
    assert_eq!(ruta_packet::checksum::checksum(&ip[20..]), 0);
    assert_eq!(ruta_packet::checksum::checksum(&q[..20]), 0);
}

#[test]
fn router_errors_about_a_dnat_flow_quote_the_public_address() {
    let mut r = rig(&sec_4_3());
    r.one("iif eth4 tcp 198.51.100.50:6000 > 67.17.28.11:80 syn");
    r.one("iif eth0 tcp 192.168.100.20:80 > 198.51.100.50:6000 syn-ack");
    // the client's next packet runs out of TTL after DNAT rewrote it: the error quotes
    // what the client sent, and comes from the address it used (nf_nat_icmp_reply_translation
    // on the output path); it is routed without the connection's mark (fwmark_reflect=0)
    let (v, out) = r.frame("iif eth4 tcp 198.51.100.50:6000 > 67.17.28.11:80 ack ttl 1");
    let Verdict::Reply { reason, oif, .. } = v else {
        panic!("{v:?}")
    };
    assert_eq!(reason, Reason::TtlExceeded);
    assert_eq!(r.snap.port(oif).unwrap().name, "eth1");
    let ip = ip_of(&out);
    assert_eq!(&ip[12..16], &[67, 17, 28, 11], "from the published address");
    assert_eq!(&ip[16..20], &[198, 51, 100, 50]);
    let q = &ip[28..];
    assert_eq!(
        &q[16..20],
        &[67, 17, 28, 11],
        "quoting the address the client used"
    );
    assert_eq!(u16::from_be_bytes([q[22], q[23]]), 80);
    assert_eq!(ruta_packet::checksum::checksum(&ip[..20]), 0);
    assert_eq!(ruta_packet::checksum::checksum(&ip[20..]), 0);
    assert_eq!(ruta_packet::checksum::checksum(&q[..20]), 0);
}

#[test]
fn too_big_without_df_is_fragmented_with_df_gets_frag_needed() {
    let mut r = rig(&(ex_10_2() + "ip link set dev eth1 mtu 1400\n"));
    let (v, _) = r.frame("iif eth0 udp 192.168.99.10:5000 > 198.51.100.9:53 len 3000");
    let Verdict::Fragments { oif, count, .. } = v else {
        panic!("{v:?}")
    };
    assert_eq!(r.snap.port(oif).unwrap().name, "eth1");
    assert_eq!(count, 3);
    let frags: Vec<Vec<u8>> = r.ctx.fragments().map(|f| f.to_vec()).collect();
    assert_eq!(frags.len(), 3);
    let mut data = vec![0u8; 3000 - 20];
    for (i, f) in frags.iter().enumerate() {
        assert!(f.len() <= 1400);
        let ip = ruta_packet::Ipv4Packet::new_checked(&f[..]).expect("valid fragment");
        assert_eq!(
            ip.src_addr(),
            a("205.254.211.179"),
            "SNAT before fragmenting"
        );
        assert_eq!(ip.ttl(), 63);
        assert_eq!(ip.more_fragments(), i < 2);
        let off = ip.frag_offset_bytes();
        data[off..off + ip.payload().len()].copy_from_slice(ip.payload());
    }
    // the reassembled datagram's UDP checksum holds over the NATed addresses
    let sum =
        ruta_packet::checksum::l4_checksum(a("205.254.211.179"), a("198.51.100.9"), 17, &data);
    assert_eq!(sum, 0);
    assert_eq!(r.ctx.stats.fragmented, 1);
    // with DF: fragmentation needed, announcing the MTU
    let (v, out) = r.frame("iif eth0 udp 192.168.99.10:5001 > 198.51.100.9:53 len 3000 df");
    assert!(matches!(
        v,
        Verdict::Reply {
            reason: Reason::FragNeeded,
            ..
        }
    ));
    let ip = ip_of(&out);
    assert_eq!((ip[20], ip[21]), (3, 4));
    assert_eq!(u16::from_be_bytes([ip[26], ip[27]]), 1400);
}

/// Fragments of one UDP datagram arriving out of order: held, reassembled when the last
/// piece arrives, tracked and SNATed as one packet (its ports), and sent on cut to the
/// largest original fragment, as the kernel's conntrack defrag and ip_fragment do.
#[test]
fn fragments_are_reassembled_natted_and_cut_again() {
    let mut r = rig(&ex_10_2());
    r.ctx.now = 1000;
    let spec = parse_line("iif eth0 udp 192.168.99.10:5000 > 198.51.100.9:53 len 2000").unwrap();
    let whole = packets::build_ip(&spec).unwrap();
    let ip = ruta_packet::Ipv4Packet::new_checked(&whole[..]).unwrap();
    let mut buf = vec![0u8; 4000];
    let mut ends = [0usize; 8];
    let n = ruta_packet::build_fragments(&mut buf, &ip, 700, &mut ends).unwrap();
    assert_eq!(n, 3);
    let mut frags = Vec::new();
    let mut st = 0;
    for e in &ends[..n] {
        frags.push(buf[st..*e].to_vec());
        st = *e;
    }
    let eth0 = r.snap.port_by_name("eth0").unwrap();
    let (idx, mac) = (eth0.index, eth0.mac);
    let framed = |ip: &[u8]| {
        let mut f = vec![0u8; 14];
        f[..6].copy_from_slice(&mac);
        f[6..12].copy_from_slice(&packets::PEER_MAC);
        f[12..14].copy_from_slice(&[0x08, 0x00]);
        f.extend_from_slice(ip);
        f
    };
    // last, first, then the middle one completes it
    for (k, want_held) in [(2usize, true), (0, true), (1, false)] {
        let mut f = framed(&frags[k]);
        let v = path::process(&r.snap, &r.ct, &mut r.ctx, idx, &mut f, 0, None);
        if want_held {
            assert_eq!(v, Verdict::Drop(Reason::FragmentHeld));
            continue;
        }
        let Verdict::Fragments { oif, count, .. } = v else {
            panic!("{v:?}")
        };
        assert_eq!(r.snap.port(oif).unwrap().name, "eth1");
        assert_eq!(
            count, 3,
            "cut to the largest original fragment (700), not the MTU"
        );
        let out: Vec<Vec<u8>> = r.ctx.fragments().map(|f| f.to_vec()).collect();
        let mut data = vec![0u8; 2000 - 20];
        for f in &out {
            assert!(f.len() <= 700);
            let p = ruta_packet::Ipv4Packet::new_checked(&f[..]).unwrap();
            assert_eq!(p.src_addr(), a("205.254.211.179"));
            assert_eq!(p.ttl(), 63);
            let off = p.frag_offset_bytes();
            data[off..off + p.payload().len()].copy_from_slice(p.payload());
        }
        assert_eq!(
            ruta_packet::checksum::l4_checksum(a("205.254.211.179"), a("198.51.100.9"), 17, &data),
            0
        );
    }
    // the connection was tracked with its ports
    let mut l = Vec::new();
    r.ct.list(1000, &mut l);
    assert_eq!(l.len(), 1);
    assert_eq!(l[0].orig.sport, 5000);
    // an overlapping fragment kills its datagram
    let mut f = framed(&frags[0]);
    assert_eq!(
        path::process(&r.snap, &r.ct, &mut r.ctx, idx, &mut f, 0, None),
        Verdict::Drop(Reason::FragmentHeld)
    );
    let mut evil = frags[1].clone();
    evil[6..8].copy_from_slice(&(0x2000u16 | 10).to_be_bytes());
    evil[10] = 0;
    evil[11] = 0;
    let c = ruta_packet::checksum::checksum(&evil[..20]);
    evil[10..12].copy_from_slice(&c.to_be_bytes());
    let mut f = framed(&evil);
    assert_eq!(
        path::process(&r.snap, &r.ct, &mut r.ctx, idx, &mut f, 0, None),
        Verdict::Drop(Reason::FragmentInvalid)
    );
    let s = &r.ctx.stats;
    assert_eq!(s.received, s.forwarded + s.local + s.consumed());
}

/// A batch gives the same verdicts, bytes and counters as the same frames one by one.
#[test]
fn a_batch_is_the_same_as_one_by_one() {
    let lines = [
        "iif eth0 tcp 192.168.99.10:40000 > 198.51.100.7:80 syn",
        "iif eth0 udp 192.168.99.11:5353 > 198.51.100.9:53",
        "iif eth0 tcp 192.168.99.10:40000 > 198.51.100.7:80 ack",
        "iif eth0 icmp 192.168.99.10 > 198.51.100.9 echo-request id 7",
        "iif eth0 udp 127.0.0.1:1 > 198.51.100.9:53",
        "iif eth0 tcp 192.168.99.12:40002 > 198.51.100.7:22 syn ttl 1",
    ];
    let mut a = rig(&seed_all());
    let mut b = rig(&seed_all());
    let eth0 = a.snap.port_by_name("eth0").unwrap();
    let (idx, mac) = (eth0.index, eth0.mac);
    let frames: Vec<Vec<u8>> = lines
        .iter()
        .map(|l| build_frame(&parse_line(l).unwrap(), mac).unwrap())
        .collect();
    let mut one: Vec<Vec<u8>> = frames.clone();
    let single: Vec<Verdict> = one
        .iter_mut()
        .map(|f| path::process(&a.snap, &a.ct, &mut a.ctx, idx, f, 0, None))
        .collect();
    let mut many: Vec<Vec<u8>> = frames.clone();
    let mut refs: Vec<&mut [u8]> = many.iter_mut().map(|f| &mut f[..]).collect();
    let mut verdicts = vec![Verdict::Local; refs.len()];
    crate::process_batch(&b.snap, &b.ct, &mut b.ctx, idx, &mut refs, &mut verdicts);
    assert_eq!(single, verdicts);
    assert_eq!(one, many);
    assert_eq!(a.ctx.stats.received, b.ctx.stats.received);
    assert_eq!(a.ctx.stats.forwarded, b.ctx.stats.forwarded);
    assert_eq!(a.ctx.stats.reasons, b.ctx.stats.reasons);
}

#[test]
fn forwarded_frames_keep_valid_checksums() {
    let mut r = rig(&ex_10_2());
    for line in [
        "iif eth0 tcp 192.168.99.10:40000 > 198.51.100.7:80 syn len 120",
        "iif eth0 udp 192.168.99.12:4000 > 198.51.100.9:53 len 77",
        "iif eth0 icmp 192.168.99.13 > 198.51.100.9 echo-request id 9",
    ] {
        let (v, f) = r.frame(line);
        assert!(matches!(v, Verdict::Forward { .. }), "{line}: {v:?}");
        let p = etherparse::SlicedPacket::from_ethernet(&f).unwrap();
        let Some(etherparse::NetSlice::Ipv4(ip)) = &p.net else {
            panic!()
        };
        let h = ip.header().to_header();
        assert_eq!(h.calc_header_checksum(), h.header_checksum, "{line}");
        let l4 = ip.payload().payload;
        match &p.transport {
            Some(etherparse::TransportSlice::Tcp(t)) => {
                assert_eq!(
                    t.calc_checksum_ipv4(h.source, h.destination).unwrap(),
                    t.checksum()
                )
            }
            Some(etherparse::TransportSlice::Udp(u)) => {
                assert_eq!(
                    u.to_header().calc_checksum_ipv4(&h, u.payload()).unwrap(),
                    u.checksum()
                )
            }
            _ => assert_eq!(ruta_packet::checksum::checksum(l4), 0, "{line}"),
        }
        assert_eq!(h.time_to_live, 63);
    }
}

#[test]
fn malformed_frames_are_counted_by_reason() {
    let mut r = rig(&ex_10_4());
    let eth0 = r.snap.port_by_name("eth0").unwrap().index;
    let good = build_frame(
        &parse_line("iif eth0 udp 192.168.99.10:5000 > 198.51.100.9:53").unwrap(),
        r.snap.port(eth0).unwrap().mac,
    )
    .unwrap();
    let cases: Vec<(Vec<u8>, Reason)> = vec![
        (good[..10].to_vec(), Reason::EthTruncated),
        (good[..30].to_vec(), Reason::IpTruncated),
        (
            {
                let mut f = good.clone();
                f[14] = 0x65;
                f
            },
            Reason::IpVersion,
        ),
        (
            {
                let mut f = good.clone();
                f[24] ^= 0xff;
                f
            },
            Reason::IpChecksum,
        ),
        (
            {
                let mut f = good.clone();
                f.truncate(good.len() - 4);
                f
            },
            Reason::IpTotalLength,
        ),
        (
            {
                let mut f = good.clone();
                f[5] ^= 0xff;
                f
            },
            Reason::OtherHost,
        ),
        (
            {
                let mut f = good.clone();
                f[12..14].copy_from_slice(&[0x86, 0xdd]);
                f
            },
            Reason::Ipv6,
        ),
        (
            build_frame(
                &parse_line("iif eth0 udp 192.168.99.10:5000 > 198.51.100.9:53 mf").unwrap(),
                r.snap.port(eth0).unwrap().mac,
            )
            .unwrap(),
            Reason::FragmentHeld,
        ),
    ];
    for (mut f, want) in cases {
        let v = path::process(&r.snap, &r.ct, &mut r.ctx, eth0, &mut f, 0, None);
        assert_eq!(v, Verdict::Drop(want));
    }
    let s = &r.ctx.stats;
    assert_eq!(s.received, s.forwarded + s.local + s.consumed());
}

#[test]
fn trace_json_has_the_fields() {
    let mut r = rig(&ex_10_2());
    let res = r.trace("iif eth0 tcp 192.168.99.10:40000 > 198.51.100.7:80 syn\n");
    let j = trace::render_json(&r.snap, &res);
    let v: serde_json::Value = serde_json::from_str(j.lines().next().unwrap()).unwrap();
    assert_eq!(v["verdict"], "forward");
    assert_eq!(v["oif"], "eth4");
    assert_eq!(v["gateway"], "67.17.28.14");
    assert_eq!(v["out"]["src"], "67.17.28.12");
    assert_eq!(v["out"]["mark"], 4);
    assert!(v["drop_reason"].is_null());
    let stages: Vec<&str> = v["steps"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["stage"].as_str().unwrap())
        .collect();
    for s in [
        "receive",
        "conntrack",
        "netfilter",
        "rules",
        "route",
        "nat",
        "verdict",
    ] {
        assert!(stages.contains(&s), "{s} missing in {stages:?}");
    }
    let text = trace::render_text(&r.snap, &res);
    assert!(
        text.contains("32765: from all fwmark 0x4 lookup 4 - decided"),
        "{text}"
    );
}

mod props {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #![proptest_config(ProptestConfig { cases: 400, .. ProptestConfig::default() })]

        /// Any bytes on any port: a verdict, never a panic, and the counters balance.
        #[test]
        fn any_bytes_any_port(bytes in proptest::collection::vec(any::<u8>(), 0..200), port in 0u32..8) {
            let mut r = rig(&(seed_all() + FILTER));
            let mut f = bytes;
            let _ = path::process(&r.snap, &r.ct, &mut r.ctx, port, &mut f, 0, None);
            let s = &r.ctx.stats;
            prop_assert_eq!(s.received, s.forwarded + s.local + s.consumed());
        }

        /// Valid headers with random changes: never a panic.
        #[test]
        fn mutated_frames(pos in 0usize..80, val in any::<u8>(), len in 34usize..90) {
            let mut r = rig(&ex_10_2());
            let eth0 = r.snap.port_by_name("eth0").unwrap();
            let (idx, mac) = (eth0.index, eth0.mac);
            let mut f = build_frame(
                &parse_line("iif eth0 tcp 192.168.99.10:40000 > 198.51.100.7:80 syn len 60").unwrap(),
                mac,
            ).unwrap();
            if pos < f.len() { f[pos] = val; }
            f.truncate(len);
            let _ = path::process(&r.snap, &r.ct, &mut r.ctx, idx, &mut f, 0, None);
        }
    }
}
