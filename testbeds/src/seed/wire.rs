//! What the captures saw and what each flow should have looked like: frame
//! decoding (etherparse), the seed's flow list with its expectations, the
//! per-flow verdict, and the report line.
//!
//! Owns the meaning of "uplink seen": a flow's *out* packets are the ones its
//! initiator sent (leaving masq-gw for an outbound flow, entering it for an
//! inbound one), *back* packets are the answers; each is attributed to the
//! captured link (T1, DSL, branch) it crossed. No I/O here.

use std::fmt;
use std::net::{Ipv4Addr, SocketAddrV4};

use etherparse::{NetSlice, SlicedPacket, TransportSlice};

use super::topo;

/// A captured link of masq-gw.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Link {
    T1,
    Dsl,
    Branch,
}

impl fmt::Display for Link {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(match self {
            Link::T1 => "T1",
            Link::Dsl => "DSL",
            Link::Branch => "branch",
        })
    }
}

/// Transport of a captured packet.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Proto {
    Tcp,
    Udp,
    EchoRequest,
    EchoReply,
    OtherIcmp,
}

/// One IPv4 packet seen on a link. For ICMP echo both "ports" are the echo id.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct WirePkt {
    pub link: Link,
    /// Sent by masq-gw (towards the provider / branch)?
    pub from_gw: bool,
    pub proto: Proto,
    pub src: SocketAddrV4,
    pub dst: SocketAddrV4,
}

/// `PACKET_OUTGOING`: a frame the capturing host sent itself.
const PACKET_OUTGOING: u8 = 4;

/// Decodes a frame captured in a provider's (or the branch's) namespace on its
/// link to masq-gw; `None` for anything that is not IPv4 TCP/UDP/ICMP.
pub fn parse_frame(link: Link, pkttype: u8, frame: &[u8]) -> Option<WirePkt> {
    let p = SlicedPacket::from_ethernet(frame).ok()?;
    let Some(NetSlice::Ipv4(ip)) = &p.net else {
        return None;
    };
    let h = ip.header();
    let (s, d) = (h.source_addr(), h.destination_addr());
    let (proto, sp, dp) = match &p.transport {
        Some(TransportSlice::Tcp(t)) => (Proto::Tcp, t.source_port(), t.destination_port()),
        Some(TransportSlice::Udp(u)) => (Proto::Udp, u.source_port(), u.destination_port()),
        Some(TransportSlice::Icmpv4(i)) => {
            let b = i.bytes5to8();
            let id = u16::from_be_bytes([b[0], b[1]]);
            match (i.type_u8(), i.code_u8()) {
                (8, 0) => (Proto::EchoRequest, id, id),
                (0, 0) => (Proto::EchoReply, id, id),
                _ => (Proto::OtherIcmp, 0, 0),
            }
        }
        _ => return None,
    };
    Some(WirePkt {
        link,
        from_gw: pkttype != PACKET_OUTGOING,
        proto,
        src: SocketAddrV4::new(s, sp),
        dst: SocketAddrV4::new(d, dp),
    })
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    Ping,
    Tcp,
    Udp,
}

/// Where a flow's client sits.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Client {
    /// The desktop namespace, inside on eth0: an outbound flow.
    Desktop,
    /// The outside client 198.19.0.20 in the internet namespace: an inbound flow.
    Outside,
}

/// A flow and what the seed says about it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Flow {
    pub name: &'static str,
    pub kind: Kind,
    pub client: Client,
    /// The client's address and port (for a ping: the echo id).
    pub local: SocketAddrV4,
    /// Where the client sends (port 0 for a ping).
    pub target: SocketAddrV4,
    pub expect: Link,
    /// The source address the flow must have on the wire, going out.
    pub wire_src: Ipv4Addr,
    /// Where the server must have accepted it (its local address), if it answers with a line.
    pub server_local: Option<SocketAddrV4>,
    /// The peer address the server must have seen.
    pub server_peer: Option<Ipv4Addr>,
    /// The out source port (or echo id) is NAT's choice: normalized in comparisons.
    pub nat_port: bool,
}

fn sa(a: Ipv4Addr, p: u16) -> SocketAddrV4 {
    SocketAddrV4::new(a, p)
}

/// The seed's flows on the test addresses: Example 10.2's marked web traffic,
/// the rest of the desktops' traffic on the T1 default route, the branch route
/// of Example 10.1, Example 10.4's route NAT and section 4.3's DNAT.
pub fn seed_flows() -> Vec<Flow> {
    use topo::*;
    let out = |name, kind, local: SocketAddrV4, port, expect, via: Ipv4Addr| Flow {
        name,
        kind,
        client: Client::Desktop,
        local,
        target: sa(FAR, port),
        expect,
        wire_src: via,
        server_local: (kind != Kind::Ping).then_some(sa(FAR, port)),
        server_peer: (kind != Kind::Ping).then_some(via),
        nat_port: true,
    };
    let inb = |name, port, public: Ipv4Addr, expect, inside: Ipv4Addr| Flow {
        name,
        kind: Kind::Tcp,
        client: Client::Outside,
        local: sa(OUTSIDE, port),
        target: sa(public, 80),
        expect,
        wire_src: OUTSIDE,
        server_local: Some(sa(inside, 80)),
        server_peer: Some(OUTSIDE),
        nat_port: false,
    };
    vec![
        out(
            "ping far host from desktop",
            Kind::Ping,
            sa(DESKTOP, 0x5301),
            0,
            Link::T1,
            T1_GW_ADDR,
        ),
        out(
            "web 80 from desktop",
            Kind::Tcp,
            sa(DESKTOP, 40080),
            80,
            Link::Dsl,
            DSL_GW_ADDR,
        ),
        out(
            "web 443 from desktop",
            Kind::Tcp,
            sa(DESKTOP, 40443),
            443,
            Link::Dsl,
            DSL_GW_ADDR,
        ),
        out(
            "ssh 22 from desktop",
            Kind::Tcp,
            sa(DESKTOP, 40022),
            22,
            Link::T1,
            T1_GW_ADDR,
        ),
        out(
            "dns 53/udp from desktop .11",
            Kind::Udp,
            sa(DESKTOP2, 40053),
            53,
            Link::T1,
            T1_GW_ADDR,
        ),
        Flow {
            name: "ping branch from desktop",
            kind: Kind::Ping,
            client: Client::Desktop,
            local: sa(DESKTOP, 0x5302),
            target: sa(BRANCH_HOST, 0),
            expect: Link::Branch,
            wire_src: DESKTOP,
            server_local: None,
            server_peer: None,
            nat_port: false,
        },
        inb(
            "route NAT DSL 203.0.113.10:80",
            41010,
            PUB_DSL_ROUTE_NAT,
            Link::Dsl,
            ISOLDE_DSL,
        ),
        inb(
            "route NAT T1 198.51.100.17:80",
            41017,
            PUB_T1_ROUTE_NAT,
            Link::T1,
            ISOLDE_T1,
        ),
        inb(
            "DNAT DSL 203.0.113.11:80",
            41011,
            PUB_DSL_DNAT,
            Link::Dsl,
            ISOLDE_WEB,
        ),
        inb(
            "DNAT T1 198.51.100.18:80",
            41018,
            PUB_T1_DNAT,
            Link::T1,
            ISOLDE_WEB,
        ),
    ]
}

/// What the client got: the server's line (`TAG LOCAL PEER`), an echo reply, or an error.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Answer {
    pub ok: bool,
    pub text: String,
}

/// A flow's verdict.
#[derive(Clone, Debug)]
pub struct FlowResult {
    pub flow: Flow,
    pub out_links: Vec<Link>,
    pub back_links: Vec<Link>,
    /// (src, dst) of the first out / back packet.
    pub out_wire: Option<(SocketAddrV4, SocketAddrV4)>,
    pub back_wire: Option<(SocketAddrV4, SocketAddrV4)>,
    pub answer: Answer,
    /// Every broken expectation; empty when the flow is OK.
    pub problems: Vec<String>,
}

impl FlowResult {
    pub fn ok(&self) -> bool {
        self.problems.is_empty()
    }
}

fn proto_of(kind: Kind, out: bool) -> Proto {
    match (kind, out) {
        (Kind::Ping, true) => Proto::EchoRequest,
        (Kind::Ping, false) => Proto::EchoReply,
        (Kind::Tcp, _) => Proto::Tcp,
        (Kind::Udp, _) => Proto::Udp,
    }
}

fn is_out(f: &Flow, p: &WirePkt) -> bool {
    if p.proto != proto_of(f.kind, true) || *p.dst.ip() != *f.target.ip() {
        return false;
    }
    let port_ok = f.kind == Kind::Ping || p.dst.port() == f.target.port();
    match f.client {
        Client::Desktop => p.from_gw && port_ok,
        Client::Outside => !p.from_gw && port_ok && p.src == f.local,
    }
}

fn is_back(f: &Flow, p: &WirePkt) -> bool {
    if p.proto != proto_of(f.kind, false) || *p.src.ip() != *f.target.ip() {
        return false;
    }
    let port_ok = f.kind == Kind::Ping || p.src.port() == f.target.port();
    match f.client {
        Client::Desktop => !p.from_gw && port_ok,
        Client::Outside => p.from_gw && port_ok && p.dst == f.local,
    }
}

fn links(pkts: &[&WirePkt]) -> Vec<Link> {
    let mut v: Vec<Link> = pkts.iter().map(|p| p.link).collect();
    v.sort();
    v.dedup();
    v
}

/// Judges one flow from the client's answer and every captured packet.
pub fn evaluate(flow: &Flow, answer: Answer, pkts: &[WirePkt]) -> FlowResult {
    let outs: Vec<&WirePkt> = pkts.iter().filter(|p| is_out(flow, p)).collect();
    let backs: Vec<&WirePkt> = pkts.iter().filter(|p| is_back(flow, p)).collect();
    let mut r = FlowResult {
        flow: flow.clone(),
        out_links: links(&outs),
        back_links: links(&backs),
        out_wire: outs.first().map(|p| (p.src, p.dst)),
        back_wire: backs.first().map(|p| (p.src, p.dst)),
        answer,
        problems: Vec::new(),
    };
    let want = [flow.expect];
    if !r.answer.ok {
        r.problems.push(format!("no answer ({})", r.answer.text));
    }
    for (what, got) in [("out", &r.out_links), ("back", &r.back_links)] {
        if got.is_empty() {
            r.problems.push(format!("{what}: seen on no captured link"));
        } else if got.as_slice() != want {
            r.problems.push(format!(
                "{what}: on {}, expected {}",
                join(got),
                flow.expect
            ));
        }
    }
    for (src, _) in outs.iter().map(|p| (p.src, p.dst)) {
        if *src.ip() != flow.wire_src {
            r.problems.push(format!(
                "out: source {} on the wire, expected {}",
                src.ip(),
                flow.wire_src
            ));
            break;
        }
    }
    if r.answer.ok && (flow.server_local.is_some() || flow.server_peer.is_some()) {
        let parts: Vec<&str> = r.answer.text.split_whitespace().collect();
        let local = parts.get(1).and_then(|s| s.parse::<SocketAddrV4>().ok());
        let peer = parts.get(2).and_then(|s| s.parse::<SocketAddrV4>().ok());
        if let Some(want) = flow.server_local {
            if local != Some(want) {
                r.problems.push(format!(
                    "server answered as {:?}, expected {want}",
                    parts.get(1)
                ));
            }
        }
        if let Some(want) = flow.server_peer {
            if peer.map(|p| *p.ip()) != Some(want) {
                r.problems.push(format!(
                    "server saw peer {:?}, expected {want}",
                    parts.get(2)
                ));
            }
        }
    }
    r
}

fn join(l: &[Link]) -> String {
    if l.is_empty() {
        return "-".into();
    }
    l.iter()
        .map(|x| x.to_string())
        .collect::<Vec<_>>()
        .join("+")
}

fn show_ep(kind: Kind, a: SocketAddrV4) -> String {
    match kind {
        Kind::Ping => a.ip().to_string(),
        _ => a.to_string(),
    }
}

fn show_pair(kind: Kind, (s, d): (SocketAddrV4, SocketAddrV4)) -> String {
    let id = if kind == Kind::Ping {
        format!(" (echo id {})", s.port())
    } else {
        String::new()
    };
    format!("{} > {}{id}", show_ep(kind, s), show_ep(kind, d))
}

/// The report line of a flow:
/// `web 80 from desktop   expect DSL  out DSL 203.0.113.12:40080 > 198.19.0.10:80  back DSL  OK`.
pub fn flow_line(r: &FlowResult) -> String {
    let k = r.flow.kind;
    let wire = r
        .out_wire
        .map(|w| show_pair(k, w))
        .unwrap_or_else(|| "(nothing seen)".into());
    let mut back_extra = String::new();
    if let (Some(b), Some((os, od))) = (r.back_wire, r.out_wire) {
        if b != (od, os) {
            back_extra = format!(" {}", show_pair(k, b));
        }
    }
    let verdict = if r.ok() {
        "OK".to_string()
    } else {
        format!("FAIL: {}", r.problems.join("; "))
    };
    format!(
        "{:<31} expect {:<6} out {:<6} {:<44} back {:<6}{back_extra}  {verdict}",
        r.flow.name,
        r.flow.expect,
        join(&r.out_links),
        wire,
        join(&r.back_links),
    )
}

/// What two modes must agree on for a flow: the links each way and the
/// addresses on the wire, with NAT's choice of port (or echo id) as `*`.
pub fn signature(r: &FlowResult) -> String {
    let k = r.flow.kind;
    let norm = |(s, d): (SocketAddrV4, SocketAddrV4), nat_is_src: bool| {
        let ep = |a: SocketAddrV4, nat: bool| match (k, nat && r.flow.nat_port) {
            (Kind::Ping, true) => format!("{} id *", a.ip()),
            (Kind::Ping, false) => format!("{} id {}", a.ip(), a.port()),
            (_, true) => format!("{}:*", a.ip()),
            (_, false) => a.to_string(),
        };
        format!("{} > {}", ep(s, nat_is_src), ep(d, !nat_is_src))
    };
    format!(
        "out {} {} back {} {}",
        join(&r.out_links),
        r.out_wire
            .map(|w| norm(w, true))
            .unwrap_or_else(|| "-".into()),
        join(&r.back_links),
        r.back_wire
            .map(|w| norm(w, false))
            .unwrap_or_else(|| "-".into()),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use etherparse::PacketBuilder;

    fn frame(src: [u8; 4], sp: u16, dst: [u8; 4], dp: u16, tcp: bool) -> Vec<u8> {
        let b = PacketBuilder::ethernet2([2, 0, 0, 0, 0, 1], [2, 0, 0, 0, 0, 2]).ipv4(src, dst, 64);
        let mut v = Vec::new();
        if tcp {
            b.tcp(sp, dp, 1, 1000).syn().write(&mut v, &[]).unwrap();
        } else {
            b.udp(sp, dp).write(&mut v, b"q").unwrap();
        }
        v
    }

    fn pkt(link: Link, from_gw: bool, proto: Proto, s: &str, d: &str) -> WirePkt {
        WirePkt {
            link,
            from_gw,
            proto,
            src: s.parse().unwrap(),
            dst: d.parse().unwrap(),
        }
    }

    fn flow(name: &str) -> Flow {
        seed_flows().into_iter().find(|f| f.name == name).unwrap()
    }

    #[test]
    fn frames_decode() {
        let f = frame([203, 0, 113, 12], 40080, [198, 19, 0, 10], 80, true);
        let p = parse_frame(Link::Dsl, 0, &f).unwrap();
        assert_eq!(
            p,
            pkt(
                Link::Dsl,
                true,
                Proto::Tcp,
                "203.0.113.12:40080",
                "198.19.0.10:80"
            )
        );
        let f = frame([198, 19, 0, 10], 53, [198, 51, 100, 179], 40053, false);
        let p = parse_frame(Link::T1, PACKET_OUTGOING, &f).unwrap();
        assert!(!p.from_gw && p.proto == Proto::Udp);
        let mut icmp = Vec::new();
        PacketBuilder::ethernet2([2; 6], [3; 6])
            .ipv4([198, 51, 100, 179], [198, 19, 0, 10], 64)
            .icmpv4_echo_request(0x5301, 1)
            .write(&mut icmp, b"x")
            .unwrap();
        let p = parse_frame(Link::T1, 0, &icmp).unwrap();
        assert_eq!((p.proto, p.src.port()), (Proto::EchoRequest, 0x5301));
        // truncated frames and junk never panic
        for n in 0..icmp.len() {
            let _ = parse_frame(Link::T1, 0, &icmp[..n]);
        }
        assert_eq!(parse_frame(Link::T1, 0, &[0xff; 60]), None);
    }

    #[test]
    fn a_flow_on_its_uplink_is_ok() {
        let f = flow("web 80 from desktop");
        let pk = [
            pkt(
                Link::Dsl,
                true,
                Proto::Tcp,
                "203.0.113.12:40080",
                "198.19.0.10:80",
            ),
            pkt(
                Link::Dsl,
                false,
                Proto::Tcp,
                "198.19.0.10:80",
                "203.0.113.12:40080",
            ),
            pkt(
                Link::T1,
                true,
                Proto::Tcp,
                "198.51.100.179:40022",
                "198.19.0.10:22",
            ),
        ];
        let ans = Answer {
            ok: true,
            text: "far 198.19.0.10:80 203.0.113.12:40080".into(),
        };
        let r = evaluate(&f, ans.clone(), &pk);
        assert!(r.ok(), "{:?}", r.problems);
        assert_eq!(r.out_links, [Link::Dsl]);
        let line = flow_line(&r);
        assert!(
            line.contains("out DSL    203.0.113.12:40080 > 198.19.0.10:80"),
            "{line}"
        );
        assert!(line.ends_with("OK"), "{line}");
        assert_eq!(
            signature(&r),
            "out DSL 203.0.113.12:* > 198.19.0.10:80 back DSL 198.19.0.10:80 > 203.0.113.12:*"
        );
        // the server seeing another source fails it
        let bad = Answer {
            ok: true,
            text: "far 198.19.0.10:80 198.51.100.179:40080".into(),
        };
        assert!(!evaluate(&f, bad, &pk).ok());
    }

    #[test]
    fn the_wrong_uplink_fails() {
        let f = flow("DNAT DSL 203.0.113.11:80");
        let pk = [
            pkt(
                Link::Dsl,
                false,
                Proto::Tcp,
                "198.19.0.20:41011",
                "203.0.113.11:80",
            ),
            // the answer left through T1: the provider drops it, the client gets nothing
            pkt(
                Link::T1,
                true,
                Proto::Tcp,
                "203.0.113.11:80",
                "198.19.0.20:41011",
            ),
        ];
        let r = evaluate(
            &f,
            Answer {
                ok: false,
                text: "connect timed out".into(),
            },
            &pk,
        );
        assert!(!r.ok());
        assert_eq!(r.back_links, [Link::T1]);
        assert!(
            r.problems.iter().any(|p| p == "back: on T1, expected DSL"),
            "{:?}",
            r.problems
        );
        assert!(flow_line(&r).contains("FAIL"));
        // nothing at all
        let r = evaluate(
            &f,
            Answer {
                ok: false,
                text: "x".into(),
            },
            &[],
        );
        assert!(r
            .problems
            .iter()
            .any(|p| p.contains("seen on no captured link")));
    }

    #[test]
    fn the_outbound_source_is_checked() {
        let f = flow("ping far host from desktop");
        let pk = [
            pkt(
                Link::T1,
                true,
                Proto::EchoRequest,
                "198.18.99.10:21249",
                "198.19.0.10:21249",
            ),
            pkt(
                Link::T1,
                false,
                Proto::EchoReply,
                "198.19.0.10:21249",
                "198.18.99.10:21249",
            ),
        ];
        let r = evaluate(
            &f,
            Answer {
                ok: true,
                text: "echo reply".into(),
            },
            &pk,
        );
        assert!(
            r.problems.iter().any(|p| p.contains("source 198.18.99.10")),
            "{:?}",
            r.problems
        );
    }

    #[test]
    fn flows_have_distinct_keys() {
        let fl = seed_flows();
        for (i, a) in fl.iter().enumerate() {
            for b in &fl[i + 1..] {
                assert!(a.name != b.name);
                assert!((a.kind, a.target) != (b.kind, b.target) || a.client != b.client);
            }
        }
    }
}
