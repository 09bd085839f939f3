//! The router's own answers, sans-IO: what the kernel's local stack sends back for a packet
//! [`crate::process`] delivered ([`crate::Verdict::Local`]), for a packet whose next hop did
//! not resolve ([`host_unreachable`]), and the kernel's ICMP error rate limits
//! ([`IcmpLimiter`]).
//!
//! As the kernel (ruta serves no port itself):
//! - ICMP echo request -> echo reply (`icmp_echo`), from the address it was sent to;
//!   other ICMP (replies, errors) is consumed silently; a bad ICMP checksum is dropped.
//! - UDP -> ICMP port unreachable (`__udp4_lib_rcv` with no socket); bad checksum dropped.
//! - TCP -> RST (`tcp_v4_send_reset`), never for a RST; bad checksum dropped.
//! - any other protocol -> ICMP protocol unreachable (`ip_protocol_deliver_rcu`).
//! - a broadcast or multicast destination gets nothing (`icmp_echo_ignore_broadcasts=1`,
//!   UDP/TCP never answer broadcasts); TCP arriving in an L2 broadcast gets nothing.
//!
//! Rate limits ([`IcmpLimiter`]), as `icmpv4_global_allow` / `icmpv4_xrlim_allow`: for the
//! types in `icmp_ratemask` (dest unreachable except fragmentation needed, source quench,
//! time exceeded, parameter problem) a global token bucket (`icmp_msgs_per_sec` = 1000,
//! `icmp_msgs_burst` = 50) and a per-destination one (`icmp_ratelimit` = 1000 ms, burst 6
//! as `XRLIM_BURST_FACTOR`). Echo replies and resets are not limited (nor are they in the
//! kernel).
//!
//! Not done (differences from the kernel, all documented in docs/DAEMON.md):
//! - Packets the router sends from here do not pass the OUTPUT / POSTROUTING chains nor
//!   conntrack (the pipeline's `originate` is private to `path.rs`); errors produced by
//!   [`crate::process`] itself do.
//! - The kernel takes a random 0..2 credits per global-bucket message; this takes 1.
//! - The per-destination table is a fixed array of [`PEER_SLOTS`] slots hashed by address
//!   (the kernel's inetpeer tree with its own gc): two destinations sharing a slot share a
//!   bucket, a newcomer takes the slot over with a full bucket.
//!
//! It must not do I/O, read a clock (the caller passes `now_ms`) or allocate per packet.

use crate::snapshot::Snapshot;
use crate::Ctx;
use ruta_config::get::GetQuery;
use ruta_fib::IfIndex;
use ruta_packet::{icmp_type, ip_proto, IcmpErrorSpec, Ipv4Packet};
use std::net::Ipv4Addr;

crate::verdict::named_counters! {
    /// What the host stack did with a local packet (or an error it would have sent):
    /// each has a counter and a stable snake_case name (`ruta stats`).
    HostReason {
    /// An echo reply was built.
    EchoReply = "host_echo_reply",
    /// ICMP port unreachable for UDP was built.
    PortUnreachable = "host_port_unreachable",
    /// ICMP protocol unreachable was built.
    ProtoUnreachable = "host_proto_unreachable",
    /// A TCP reset was built.
    TcpReset = "host_tcp_reset",
    /// ICMP host unreachable for a next hop that did not resolve was built.
    HostUnreachable = "host_unreachable_sent",
    /// Other ICMP for the router (replies, errors, unknown types): consumed, nothing sent.
    IcmpConsumed = "host_icmp_consumed",
    /// A RST for the router: consumed, nothing sent.
    RstConsumed = "host_rst_consumed",
    /// To a broadcast or multicast address (or TCP in an L2 broadcast): nothing sent.
    Broadcast = "host_broadcast",
    /// ICMP / UDP / TCP checksum wrong: dropped as the kernel does.
    Checksum = "host_checksum",
    /// Too short or otherwise not answerable (e.g. an echo request in a fragment).
    Malformed = "host_malformed",
    /// No route back to the sender, or no source address for the answer.
    NoRouteBack = "host_no_route_back",
    /// An ICMP error not sent because of the rate limits (global or per destination).
    RateLimited = "icmp_ratelimit",
    /// The kernel's `icmp_send` would not answer it (about an ICMP error, a broadcast,
    /// a non-first fragment, a bad source).
    IcmpRefused = "icmp_not_sent",
    /// The answer was dropped on the output path (mangle/filter OUTPUT, mangle
    /// POSTROUTING), as `iptables -P OUTPUT DROP` makes the kernel stay silent.
    OutputDropped = "host_output_dropped",
    }
}

/// What the host stack decided.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum HostVerdict {
    /// Send the IP packet in `ctx.out[..len]` out of `oif` to `nexthop`.
    Reply {
        reason: HostReason,
        oif: IfIndex,
        nexthop: Ipv4Addr,
        len: usize,
    },
    /// Nothing is sent.
    Drop(HostReason),
}

/// Counters of the host stack, per [`HostReason`].
#[derive(Clone, Debug, Default)]
pub struct HostStats {
    pub reasons: [u64; HostReason::ALL.len()],
}

impl HostStats {
    #[inline]
    pub fn count(&mut self, v: &HostVerdict) {
        let r = match v {
            HostVerdict::Reply { reason, .. } => *reason,
            HostVerdict::Drop(r) => *r,
        };
        self.reasons[r as usize] += 1;
    }

    pub fn bump(&mut self, r: HostReason) {
        self.reasons[r as usize] += 1;
    }

    pub fn add(&mut self, o: &HostStats) {
        for (a, b) in self.reasons.iter_mut().zip(o.reasons.iter()) {
            *a += b;
        }
    }

    pub fn get(&self, r: HostReason) -> u64 {
        self.reasons[r as usize]
    }
}

/// `icmp_msgs_per_sec`.
pub const ICMP_MSGS_PER_SEC: u64 = 1000;
/// `icmp_msgs_burst`.
pub const ICMP_MSGS_BURST: u64 = 50;
/// `icmp_ratelimit` (ms).
pub const ICMP_RATELIMIT_MS: u64 = 1000;
/// `icmp_ratemask` default: dest unreachable, source quench, time exceeded, param problem.
pub const ICMP_RATEMASK: u32 = 0x1818;
/// `XRLIM_BURST_FACTOR`.
const XRLIM_BURST_FACTOR: u64 = 6;
/// Slots of the per-destination table.
pub const PEER_SLOTS: usize = 1024;

/// The kernel's two ICMP error rate limits (see the module doc). One per router, shared by
/// the workers behind a lock: it is only consulted when an error is about to be sent.
pub struct IcmpLimiter {
    credit: u64,
    stamp_ms: u64,
    started: bool,
    peers: Box<[(u32, u64, u64)]>,
    seed: u32,
}

impl Default for IcmpLimiter {
    fn default() -> Self {
        Self::new()
    }
}

impl IcmpLimiter {
    pub fn new() -> IcmpLimiter {
        IcmpLimiter {
            credit: ICMP_MSGS_BURST,
            stamp_ms: 0,
            started: false,
            // (address, rate_tokens, rate_last); address 0 = free
            peers: vec![(0u32, 0u64, 0u64); PEER_SLOTS].into_boxed_slice(),
            seed: 0x9e37_79b9,
        }
    }

    /// `icmpv4_mask_allow`: true when the type is not rate limited at all.
    pub fn unlimited(icmp_t: u8, code: u8) -> bool {
        if icmp_t > icmp_type::NR_ICMP_TYPES {
            return true;
        }
        if icmp_t == icmp_type::DEST_UNREACH && code == icmp_type::FRAG_NEEDED {
            return true;
        }
        (1u32 << icmp_t) & ICMP_RATEMASK == 0
    }

    /// May an ICMP `icmp_t`/`code` to `dst` be sent at `now_ms`? Consumes a token when yes.
    /// Checks the per-destination bucket first, then the global one, as `__icmp_send`
    /// (`icmpv4_global_allow` is checked before, but only charged when the peer allows too).
    pub fn allow(&mut self, dst: Ipv4Addr, icmp_t: u8, code: u8, now_ms: u64) -> bool {
        if Self::unlimited(icmp_t, code) {
            return true;
        }
        if !self.global_has_credit(now_ms) {
            return false;
        }
        if !self.peer_allow(u32::from(dst), now_ms) {
            return false;
        }
        self.credit = self.credit.saturating_sub(1);
        true
    }

    fn global_has_credit(&mut self, now_ms: u64) -> bool {
        if !self.started {
            self.started = true;
            self.stamp_ms = now_ms;
        }
        let delta = now_ms.saturating_sub(self.stamp_ms).min(1000);
        // the kernel refills in steps of at least HZ/50 (20 ms)
        if delta >= 20 {
            let incr = ICMP_MSGS_PER_SEC * delta / 1000;
            if incr > 0 {
                self.stamp_ms = now_ms;
                self.credit = (self.credit + incr).min(ICMP_MSGS_BURST);
            }
        }
        self.credit > 0
    }

    fn peer_allow(&mut self, a: u32, now_ms: u64) -> bool {
        let h = (a ^ self.seed).wrapping_mul(0x9e37_79b1) >> 22;
        let slot = &mut self.peers[h as usize % PEER_SLOTS];
        if slot.0 != a {
            // a new peer starts 60 s in the past: its bucket is full (inet_getpeer)
            *slot = (a, 0, now_ms.saturating_sub(60_000));
        }
        let max = XRLIM_BURST_FACTOR * ICMP_RATELIMIT_MS;
        let token = (slot.1 + now_ms.saturating_sub(slot.2)).min(max);
        slot.2 = now_ms;
        if token >= ICMP_RATELIMIT_MS {
            slot.1 = token - ICMP_RATELIMIT_MS;
            true
        } else {
            slot.1 = token;
            false
        }
    }
}

/// The route back to `to` for a packet the router sends from `src` (when known): the
/// output interface, next hop, and the source address to use.
fn route_back(
    snap: &Snapshot,
    to: Ipv4Addr,
    src: Option<Ipv4Addr>,
    proto: u8,
    tos: u8,
) -> Option<(IfIndex, Ipv4Addr, Ipv4Addr, u32)> {
    let q = GetQuery {
        dst: to,
        src,
        proto,
        tos,
        ..GetQuery::default()
    };
    let (back, _) = snap.router.output_route(&q).ok()?;
    let out = snap.port(back.dev)?;
    let s = match src {
        Some(s) => s,
        None => back.prefsrc.or_else(|| {
            snap.router
                .select_addr(back.dev, Some(to), ruta_fib::route::RT_SCOPE_UNIVERSE)
        })?,
    };
    Some((back.dev, back.gateway.unwrap_or(to), s, out.mtu))
}

/// Where the IPv4 header of a frame received on `iif` starts (0 on a TUN port).
fn l3_of(snap: &Snapshot, iif: IfIndex, frame: &[u8]) -> Option<(usize, bool)> {
    let port = snap.port(iif)?;
    if port.tun {
        return Some((0, true));
    }
    if frame.len() < 14 {
        return None;
    }
    // process() dropped tagged frames; only plain Ethernet II reaches here
    let l2_host = frame[0] & 1 == 0;
    Some((14, l2_host))
}

/// Answers a packet [`crate::process`] returned [`crate::Verdict::Local`] for, as the
/// kernel's local stack would (see the module doc). `frame` is as process() left it
/// (DNAT already applied). The answer is built in `ctx.out`.
pub fn answer(
    snap: &Snapshot,
    ct: &ruta_conntrack::Conntrack,
    ctx: &mut Ctx,
    limiter: &mut IcmpLimiter,
    iif: IfIndex,
    frame: &[u8],
    now_ms: u64,
) -> HostVerdict {
    let v = answer_inner(snap, ctx, limiter, iif, frame, now_ms);
    output(snap, ct, ctx, v, now_ms)
}

/// The output path of an answer: conntrack, OUTPUT chains, POSTROUTING, and the NAT
/// translation of an ICMP error about a NATed flow (`path::originate`).
fn output(
    snap: &Snapshot,
    ct: &ruta_conntrack::Conntrack,
    ctx: &mut Ctx,
    v: HostVerdict,
    now_ms: u64,
) -> HostVerdict {
    if let HostVerdict::Reply { oif, len, .. } = v {
        let now = (now_ms / 1000) as u32;
        if !crate::path::originate(snap, ct, ctx, oif, len, now, &mut None) {
            return HostVerdict::Drop(HostReason::OutputDropped);
        }
    }
    v
}

fn answer_inner(
    snap: &Snapshot,
    ctx: &mut Ctx,
    limiter: &mut IcmpLimiter,
    iif: IfIndex,
    frame: &[u8],
    now_ms: u64,
) -> HostVerdict {
    let Some((l3, l2_host)) = l3_of(snap, iif, frame) else {
        return HostVerdict::Drop(HostReason::Malformed);
    };
    let Ok(ip) = Ipv4Packet::new_checked(&frame[l3..]) else {
        return HostVerdict::Drop(HostReason::Malformed);
    };
    let total = ip.total_len() as usize;
    let ip = Ipv4Packet::new_unchecked(&frame[l3..l3 + total]);
    let (src, dst) = (ip.src_addr(), ip.dst_addr());
    // only unicast to one of our addresses is answered (a Local verdict for anything else
    // came from a broadcast route)
    if !snap.router.is_local_addr(dst) || dst.is_broadcast() || dst.is_multicast() {
        return HostVerdict::Drop(HostReason::Broadcast);
    }
    if ip.is_fragment() {
        // the kernel reassembles first; ruta's pipeline drops fragments before this
        return HostVerdict::Drop(HostReason::Malformed);
    }
    let l4 = ip.payload();
    match ip.protocol() {
        ip_proto::ICMP => {
            if l4.len() < 8 {
                return HostVerdict::Drop(HostReason::Malformed);
            }
            if ruta_packet::checksum::checksum(l4) != 0 {
                return HostVerdict::Drop(HostReason::Checksum);
            }
            if l4[0] != icmp_type::ECHO {
                return HostVerdict::Drop(HostReason::IcmpConsumed);
            }
            let Some((oif, nh, _, _)) = route_back(snap, src, Some(dst), ip_proto::ICMP, ip.tos())
            else {
                return HostVerdict::Drop(HostReason::NoRouteBack);
            };
            let id = ctx.next_ip_id();
            match ruta_packet::build_echo_reply(&mut ctx.out[..], &ip, dst, id, 64) {
                Ok(len) => HostVerdict::Reply {
                    reason: HostReason::EchoReply,
                    oif,
                    nexthop: nh,
                    len,
                },
                Err(_) => HostVerdict::Drop(HostReason::Malformed),
            }
        }
        ip_proto::UDP => {
            if l4.len() < 8 {
                return HostVerdict::Drop(HostReason::Malformed);
            }
            let csum = u16::from_be_bytes([l4[6], l4[7]]);
            let ulen = u16::from_be_bytes([l4[4], l4[5]]) as usize;
            if ulen < 8 || ulen > l4.len() {
                return HostVerdict::Drop(HostReason::Malformed);
            }
            if csum != 0
                && ruta_packet::checksum::l4_checksum(src, dst, ip_proto::UDP, &l4[..ulen]) != 0
            {
                return HostVerdict::Drop(HostReason::Checksum);
            }
            icmp_error_to(
                snap,
                ctx,
                limiter,
                &ip,
                (icmp_type::DEST_UNREACH, icmp_type::PORT_UNREACH),
                Some(dst),
                !l2_host,
                now_ms,
                HostReason::PortUnreachable,
            )
        }
        ip_proto::TCP => {
            if l4.len() < 20 {
                return HostVerdict::Drop(HostReason::Malformed);
            }
            if !l2_host {
                return HostVerdict::Drop(HostReason::Broadcast);
            }
            if ruta_packet::checksum::l4_checksum(src, dst, ip_proto::TCP, l4) != 0 {
                return HostVerdict::Drop(HostReason::Checksum);
            }
            if l4[13] & 0x04 != 0 {
                return HostVerdict::Drop(HostReason::RstConsumed);
            }
            let Some((oif, nh, _, _)) = route_back(snap, src, Some(dst), ip_proto::TCP, 0) else {
                return HostVerdict::Drop(HostReason::NoRouteBack);
            };
            match ruta_packet::build_tcp_reset(&mut ctx.out[..], &ip, 64, false) {
                Ok(len) => HostVerdict::Reply {
                    reason: HostReason::TcpReset,
                    oif,
                    nexthop: nh,
                    len,
                },
                Err(_) => HostVerdict::Drop(HostReason::Malformed),
            }
        }
        _ => icmp_error_to(
            snap,
            ctx,
            limiter,
            &ip,
            (icmp_type::DEST_UNREACH, icmp_type::PROT_UNREACH),
            Some(dst),
            !l2_host,
            now_ms,
            HostReason::ProtoUnreachable,
        ),
    }
}

/// ICMP host unreachable about `pkt` (a whole IP packet, as it was about to leave) whose
/// next hop did not resolve, as the kernel's `arp_error_report`. Rate limited.
pub fn host_unreachable(
    snap: &Snapshot,
    ct: &ruta_conntrack::Conntrack,
    ctx: &mut Ctx,
    limiter: &mut IcmpLimiter,
    pkt: &[u8],
    now_ms: u64,
) -> HostVerdict {
    let v = host_unreachable_inner(snap, ctx, limiter, pkt, now_ms);
    output(snap, ct, ctx, v, now_ms)
}

fn host_unreachable_inner(
    snap: &Snapshot,
    ctx: &mut Ctx,
    limiter: &mut IcmpLimiter,
    pkt: &[u8],
    now_ms: u64,
) -> HostVerdict {
    let Ok(ip) = Ipv4Packet::new_checked(pkt) else {
        return HostVerdict::Drop(HostReason::Malformed);
    };
    let ip = Ipv4Packet::new_unchecked(&pkt[..ip.total_len() as usize]);
    icmp_error_to(
        snap,
        ctx,
        limiter,
        &ip,
        (icmp_type::DEST_UNREACH, icmp_type::HOST_UNREACH),
        None,
        false,
        now_ms,
        HostReason::HostUnreachable,
    )
}

#[allow(clippy::too_many_arguments)]
fn icmp_error_to(
    snap: &Snapshot,
    ctx: &mut Ctx,
    limiter: &mut IcmpLimiter,
    ip: &Ipv4Packet<&[u8]>,
    (t, c): (u8, u8),
    src: Option<Ipv4Addr>,
    not_host_frame: bool,
    now_ms: u64,
    reason: HostReason,
) -> HostVerdict {
    let to = ip.src_addr();
    let tos = (ip.tos() & ruta_packet::ipv4::IPTOS_TOS_MASK)
        | ruta_packet::ipv4::IPTOS_PREC_INTERNETCONTROL;
    let Some((oif, nh, s, mtu)) = route_back(snap, to, src, ip_proto::ICMP, tos) else {
        return HostVerdict::Drop(HostReason::NoRouteBack);
    };
    let mut spec = IcmpErrorSpec::new(t, c, s);
    spec.ident = ctx.next_ip_id();
    spec.route_mtu = mtu.min(65535) as u16;
    spec.not_host_frame = not_host_frame;
    let len = match ruta_packet::build_icmp_error(&mut ctx.out[..], ip, &spec) {
        Ok(n) => n,
        Err(_) => return HostVerdict::Drop(HostReason::IcmpRefused),
    };
    if !limiter.allow(to, t, c, now_ms) {
        return HostVerdict::Drop(HostReason::RateLimited);
    }
    HostVerdict::Reply {
        reason,
        oif,
        nexthop: nh,
        len,
    }
}

/// For a [`crate::Verdict::Reply`] of the pipeline: whether the packet in `ctx.out[..len]`
/// is an ICMP error the rate limits allow (true for anything else: resets, ARP replies are
/// the caller's to not ask about). Consumes a token when it is allowed.
pub fn reply_allowed(limiter: &mut IcmpLimiter, pkt: &[u8], now_ms: u64) -> bool {
    let Ok(ip) = Ipv4Packet::new_checked(pkt) else {
        return true;
    };
    if ip.protocol() != ip_proto::ICMP {
        return true;
    }
    let l4 = ip.payload();
    if l4.len() < 2 {
        return true;
    }
    limiter.allow(ip.dst_addr(), l4[0], l4[1], now_ms)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::packets::{build_frame, parse_line};
    use crate::{process, Verdict};
    use ruta_config::{apply_text, Router, Source};
    use ruta_conntrack::{Config as CtConfig, Conntrack};

    const SEED_FILE: &str = include_str!("../../../examples/seed.conf");

    struct Rig {
        snap: Snapshot,
        ct: Conntrack,
        ctx: Ctx,
        lim: IcmpLimiter,
    }

    fn rig() -> Rig {
        let mut rt = Router::new();
        apply_text(&mut rt, SEED_FILE, &Source::default(), false).expect("seed");
        let snap = Snapshot::new(rt);
        let ct = Conntrack::new(CtConfig {
            max: 1024,
            ..CtConfig::default()
        });
        let ctx = Ctx::new(&snap);
        Rig {
            snap,
            ct,
            ctx,
            lim: IcmpLimiter::new(),
        }
    }

    /// Runs a packet line through process() and, when local, the host stack.
    fn run(r: &mut Rig, line: &str) -> (Verdict, Option<HostVerdict>, Vec<u8>) {
        let spec = parse_line(line).expect("line");
        let port = r.snap.port_by_name(&spec.iif).expect("port");
        let (iif, mac) = (port.index, port.mac);
        let mut frame = build_frame(&spec, mac).expect("frame");
        r.ctx.now = 1000;
        let v = process(&r.snap, &r.ct, &mut r.ctx, iif, &mut frame, 0, None);
        if v != Verdict::Local {
            return (v, None, frame);
        }
        let h = answer(
            &r.snap, &r.ct, &mut r.ctx, &mut r.lim, iif, &frame, 1_000_000,
        );
        (v, Some(h), frame)
    }

    fn out_ip(r: &Rig, h: &HostVerdict) -> etherparse::SlicedPacket<'static> {
        let HostVerdict::Reply { len, .. } = h else {
            panic!("no reply: {h:?}");
        };
        let bytes: &'static [u8] = Box::leak(r.ctx.out[..*len].to_vec().into_boxed_slice());
        etherparse::SlicedPacket::from_ip(bytes).expect("reply parses")
    }

    /// The answers pass the output path: `iptables -P OUTPUT DROP` silences the router, as
    /// it silences a Linux box.
    #[test]
    fn answers_pass_the_output_chains() {
        let mut rt = Router::new();
        let text = format!("{SEED_FILE}\niptables -A OUTPUT -p icmp -j DROP\n");
        apply_text(&mut rt, &text, &Source::default(), false).expect("seed");
        let snap = Snapshot::new(rt);
        let mut r = Rig {
            ctx: Ctx::new(&snap),
            snap,
            ct: Conntrack::new(CtConfig::with_max(64)),
            lim: IcmpLimiter::new(),
        };
        let (_, h, _) = run(
            &mut r,
            "iif eth0 icmp 192.168.99.35 > 192.168.99.254 echo-request id 7",
        );
        assert_eq!(h, Some(HostVerdict::Drop(HostReason::OutputDropped)));
        // TCP is not matched by the rule: the reset still goes out
        let (_, h, _) = run(
            &mut r,
            "iif eth0 tcp 192.168.99.35:4000 > 192.168.99.254:23 syn",
        );
        assert!(matches!(
            h,
            Some(HostVerdict::Reply {
                reason: HostReason::TcpReset,
                ..
            })
        ));
        let out = r.listing_output();
        assert!(
            out.contains("DROP       1    --  *      *       0.0.0.0/0            0.0.0.0/0"),
            "{out}"
        );
    }

    impl Rig {
        fn listing_output(&mut self) -> String {
            let mut rs = self.snap.router.netfilter.clone();
            match rs.apply_with(&["-nvL", "OUTPUT"], Some(&self.ctx.nf_counters)) {
                Ok(ruta_netfilter::Output::Text(t)) => t,
                o => panic!("{o:?}"),
            }
        }
    }

    #[test]
    fn echo_request_to_router_is_answered() {
        let mut r = rig();
        let (v, h, _) = run(
            &mut r,
            "iif eth0 icmp 192.168.99.35 > 192.168.99.254 echo-request id 7 seq 3",
        );
        assert_eq!(v, Verdict::Local);
        let h = h.unwrap();
        let HostVerdict::Reply {
            reason,
            oif,
            nexthop,
            ..
        } = h
        else {
            panic!("{h:?}")
        };
        assert_eq!(reason, HostReason::EchoReply);
        assert_eq!(r.snap.port(oif).unwrap().name, "eth0");
        assert_eq!(nexthop, Ipv4Addr::new(192, 168, 99, 35));
        let p = out_ip(&r, &h);
        let Some(etherparse::NetSlice::Ipv4(ip)) = p.net else {
            panic!()
        };
        assert_eq!(ip.header().source_addr(), Ipv4Addr::new(192, 168, 99, 254));
        assert_eq!(
            ip.header().destination_addr(),
            Ipv4Addr::new(192, 168, 99, 35)
        );
        match p.transport {
            Some(etherparse::TransportSlice::Icmpv4(i)) => {
                assert_eq!(i.type_u8(), 0);
                let b = i.slice();
                assert_eq!(ruta_packet::checksum::checksum(b), 0);
            }
            t => panic!("{t:?}"),
        }
    }

    #[test]
    fn udp_gets_port_unreachable_tcp_gets_rst() {
        let mut r = rig();
        let (_, h, _) = run(
            &mut r,
            "iif eth0 udp 192.168.99.35:5000 > 192.168.99.254:53",
        );
        let h = h.unwrap();
        assert!(matches!(
            h,
            HostVerdict::Reply {
                reason: HostReason::PortUnreachable,
                ..
            }
        ));
        let p = out_ip(&r, &h);
        match p.transport {
            Some(etherparse::TransportSlice::Icmpv4(i)) => {
                assert_eq!((i.type_u8(), i.code_u8()), (3, 3));
            }
            t => panic!("{t:?}"),
        }
        let (_, h, _) = run(
            &mut r,
            "iif eth0 tcp 192.168.99.35:40000 > 192.168.99.254:22 syn",
        );
        let h = h.unwrap();
        assert!(matches!(
            h,
            HostVerdict::Reply {
                reason: HostReason::TcpReset,
                ..
            }
        ));
        let p = out_ip(&r, &h);
        match p.transport {
            Some(etherparse::TransportSlice::Tcp(t)) => {
                assert!(t.rst());
                assert_eq!(t.source_port(), 22);
                assert_eq!(t.destination_port(), 40000);
            }
            t => panic!("{t:?}"),
        }
        // no RST for a RST
        let (_, h, _) = run(
            &mut r,
            "iif eth0 tcp 192.168.99.35:40001 > 192.168.99.254:22 rst",
        );
        assert_eq!(h, Some(HostVerdict::Drop(HostReason::RstConsumed)));
    }

    #[test]
    fn other_protocol_gets_protocol_unreachable() {
        let mut r = rig();
        let (_, h, _) = run(&mut r, "iif eth0 proto 47 192.168.99.35 > 192.168.99.254");
        let h = h.unwrap();
        let p = out_ip(&r, &h);
        match p.transport {
            Some(etherparse::TransportSlice::Icmpv4(i)) => {
                assert_eq!((i.type_u8(), i.code_u8()), (3, 2));
            }
            t => panic!("{t:?} {h:?}"),
        }
    }

    #[test]
    fn broadcast_gets_nothing() {
        let mut r = rig();
        let (v, h, _) = run(
            &mut r,
            "iif eth0 icmp 192.168.99.35 > 192.168.99.255 echo-request id 1 seq 1",
        );
        if v == Verdict::Local {
            assert_eq!(h, Some(HostVerdict::Drop(HostReason::Broadcast)));
        } else {
            assert!(matches!(v, Verdict::Drop(_)), "{v:?}");
        }
        let (v, h, _) = run(&mut r, "iif eth0 udp 192.168.99.35:1 > 255.255.255.255:67");
        if v == Verdict::Local {
            assert_eq!(h, Some(HostVerdict::Drop(HostReason::Broadcast)));
        }
    }

    #[test]
    fn host_unreachable_quotes_the_packet() {
        let mut r = rig();
        let spec = parse_line("iif eth0 udp 192.168.99.35:5000 > 10.38.1.1:53").unwrap();
        let port = r.snap.port_by_name("eth0").unwrap();
        let frame = build_frame(&spec, port.mac).unwrap();
        let h = host_unreachable(&r.snap, &r.ct, &mut r.ctx, &mut r.lim, &frame[14..], 5000);
        let p = out_ip(&r, &h);
        match p.transport {
            Some(etherparse::TransportSlice::Icmpv4(i)) => {
                assert_eq!((i.type_u8(), i.code_u8()), (3, 1));
            }
            t => panic!("{t:?}"),
        }
        let Some(etherparse::NetSlice::Ipv4(ip)) = p.net else {
            panic!()
        };
        assert_eq!(
            ip.header().destination_addr(),
            Ipv4Addr::new(192, 168, 99, 35)
        );
        assert_eq!(ip.header().source_addr(), Ipv4Addr::new(192, 168, 99, 254));
    }

    #[test]
    fn per_destination_limit_is_burst_6_then_1_per_second() {
        let mut l = IcmpLimiter::new();
        let a = Ipv4Addr::new(198, 18, 0, 1);
        let ok = (0..10).filter(|_| l.allow(a, 3, 1, 100_000)).count();
        assert_eq!(ok, 6);
        // another destination has its own bucket
        assert!(l.allow(Ipv4Addr::new(198, 18, 0, 2), 3, 1, 100_000));
        assert!(!l.allow(a, 11, 0, 100_500));
        assert!(l.allow(a, 11, 0, 101_001));
        // echo replies and frag-needed are not limited
        assert!((0..100).all(|_| l.allow(a, 0, 0, 101_001)));
        assert!((0..100).all(|_| l.allow(a, 3, 4, 101_001)));
    }

    #[test]
    fn global_limit_is_burst_50_then_1000_per_second() {
        let mut l = IcmpLimiter::new();
        let ok = (0..200u32)
            .filter(|i| l.allow(Ipv4Addr::from(0xc612_0000 + i), 3, 1, 50_000))
            .count();
        assert_eq!(ok, ICMP_MSGS_BURST as usize);
        // 100 ms later: 100 more credits, capped at the burst
        let ok = (200..400u32)
            .filter(|i| l.allow(Ipv4Addr::from(0xc612_0000 + i), 3, 1, 50_100))
            .count();
        assert_eq!(ok, ICMP_MSGS_BURST as usize);
        // 10 ms later: below the 20 ms refill step, nothing
        assert!(!l.allow(Ipv4Addr::new(198, 19, 1, 1), 3, 1, 50_110));
    }

    #[test]
    fn pipeline_errors_are_limited_too() {
        let mut r = rig();
        let spec = parse_line("iif eth0 udp 192.168.99.35:5000 > 10.38.1.1:53 ttl 1").unwrap();
        let port = r.snap.port_by_name("eth0").unwrap();
        let (iif, mac) = (port.index, port.mac);
        let mut sent = 0;
        for _ in 0..20 {
            let mut frame = build_frame(&spec, mac).unwrap();
            let v = process(&r.snap, &r.ct, &mut r.ctx, iif, &mut frame, 0, None);
            let Verdict::Reply { len, .. } = v else {
                panic!("{v:?}")
            };
            if reply_allowed(&mut r.lim, &r.ctx.out[..len], 7_000) {
                sent += 1;
            }
        }
        assert_eq!(sent, 6);
    }

    #[test]
    fn garbage_never_panics() {
        let mut r = rig();
        let iif = r.snap.port_by_name("eth0").unwrap().index;
        for n in 0..80usize {
            let mut f = vec![0x45u8; n];
            if n > 14 {
                f[12] = 8;
                f[13] = 0;
            }
            let _ = answer(&r.snap, &r.ct, &mut r.ctx, &mut r.lim, iif, &f, 1);
            let _ = host_unreachable(&r.snap, &r.ct, &mut r.ctx, &mut r.lim, &f, 1);
            let _ = reply_allowed(&mut r.lim, &f, 1);
        }
    }
}
