//! The path of one frame, in the kernel's order (DESIGN.md, "The path of a forwarded IPv4
//! packet"): L2, IPv4 sanity, conntrack, mangle and nat PREROUTING (DNAT), the routing
//! decision (`ip_route_input_slow`, route NAT), TTL, MTU, mangle and filter FORWARD, mangle
//! and nat POSTROUTING (SNAT), conntrack confirmation, source rewrite, L2 rewrite. Packets
//! for the router go through mangle/filter/nat INPUT and are delivered.
//!
//! Each stage either passes the frame on or ends it with a [`Verdict`]; a trace, when asked
//! for, records what each stage saw and did. Without a trace nothing here allocates.

use crate::snapshot::{Port, Snapshot};
use crate::verdict::{Reason, Verdict};
use crate::Ctx;
use ruta_config::get::{GetError, GetQuery, RTCF_DOREDIRECT};
use ruta_conntrack::{
    CtInfo, Dir, Handle, Manip, NatRange as CtRange, PacketInfo, Status, Track, Tuple, Unconfirmed,
};
use ruta_fib::route::RouteType;
use ruta_fib::IfIndex;
use ruta_netfilter::{CtState, Hook, Meta, NatTarget, TableId, Verdict as NfVerdict};
use ruta_packet::{
    ethertype, icmp_type, ip_proto, ArpOperation, ArpPacket, EthernetFrame, IcmpErrorSpec,
    IcmpPacket, Ipv4Packet, Malformed,
};
use ruta_policy::FibError;
use std::net::Ipv4Addr;

/// One recorded step of a trace: the stage, and what happened there.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Step {
    pub stage: &'static str,
    pub detail: String,
}

/// What a traced packet left as: filled at the end of a traced run.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Out {
    pub src: Ipv4Addr,
    pub dst: Ipv4Addr,
    pub proto: u8,
    pub sport: u16,
    pub dport: u16,
    pub mark: u32,
    pub ttl: u8,
}

/// A trace being recorded.
#[derive(Clone, Debug, Default)]
pub struct Trace {
    pub steps: Vec<Step>,
    pub out: Option<Out>,
    pub oif: Option<IfIndex>,
    pub gateway: Option<Ipv4Addr>,
}

impl Trace {
    fn push(&mut self, stage: &'static str, detail: String) {
        self.steps.push(Step { stage, detail });
    }
}

macro_rules! tr {
    ($t:expr, $stage:literal, $($fmt:tt)*) => {
        if let Some(t) = $t.as_deref_mut() {
            t.push($stage, format!($($fmt)*));
        }
    };
}

/// The facts of a packet the stages read, parsed once.
#[derive(Clone, Copy, Debug, Default)]
struct Pkt {
    /// Offset of the IPv4 header in the frame (14, 18 with a tag, 0 on TUN).
    l3: usize,
    total_len: usize,
    ihl: usize,
    proto: u8,
    src: u32,
    dst: u32,
    tos: u8,
    ttl: u8,
    df: bool,
    sport: u16,
    dport: u16,
    icmp_type: u8,
    icmp_code: u8,
    tcp_flags: u8,
    seq: u32,
    ack: u32,
    window: u16,
    payload_len: u16,
    /// The transport header is present and complete (TCP 20 bytes, UDP/ICMP 8).
    l4_ok: bool,
    /// The frame was addressed to our MAC (PACKET_HOST), not broadcast or multicast.
    l2_host: bool,
    /// A fragment (MF or an offset): held for reassembly.
    fragment: bool,
    /// For a reassembled datagram: its largest fragment (it leaves cut to that size).
    frag_max: u16,
}

fn malformed_reason(m: Malformed) -> Reason {
    match m {
        Malformed::Ipv4TooShort => Reason::IpTruncated,
        Malformed::Ipv4BadVersion => Reason::IpVersion,
        Malformed::Ipv4BadIhl | Malformed::Ipv4HeaderTruncated => Reason::IpHeaderLength,
        Malformed::Ipv4BadChecksum => Reason::IpChecksum,
        Malformed::Ipv4Truncated | Malformed::Ipv4BadTotalLength => Reason::IpTotalLength,
        Malformed::EthernetTooShort | Malformed::VlanTooShort => Reason::EthTruncated,
        _ => Reason::L4Truncated,
    }
}

/// Parses the IPv4 packet at `l3`: the kernel's `ip_rcv_core` checks, then the transport
/// fields conntrack and the matches read.
fn parse(frame: &[u8], l3: usize) -> Result<Pkt, Reason> {
    let ip = Ipv4Packet::new_checked(&frame[l3..]).map_err(malformed_reason)?;
    let ihl = ip.header_len();
    if ihl > 20 && source_routed(ip.options()) {
        return Err(Reason::IpOptions);
    }
    let mut p = Pkt {
        l3,
        total_len: ip.total_len() as usize,
        ihl,
        proto: ip.protocol(),
        src: u32::from(ip.src_addr()),
        dst: u32::from(ip.dst_addr()),
        tos: ip.tos(),
        ttl: ip.ttl(),
        df: ip.dont_fragment(),
        fragment: ip.is_fragment(),
        ..Default::default()
    };
    if p.fragment {
        // reassembled before anything reads its transport header
        return Ok(p);
    }
    let l4 = ip.payload();
    match p.proto {
        ip_proto::TCP if l4.len() >= 20 => {
            p.sport = u16::from_be_bytes([l4[0], l4[1]]);
            p.dport = u16::from_be_bytes([l4[2], l4[3]]);
            p.seq = u32::from_be_bytes([l4[4], l4[5], l4[6], l4[7]]);
            p.ack = u32::from_be_bytes([l4[8], l4[9], l4[10], l4[11]]);
            let doff = ((l4[12] >> 4) as usize) * 4;
            p.tcp_flags = l4[13];
            p.window = u16::from_be_bytes([l4[14], l4[15]]);
            p.l4_ok = doff >= 20 && doff <= l4.len();
            p.payload_len = l4.len().saturating_sub(doff) as u16;
        }
        ip_proto::UDP if l4.len() >= 8 => {
            p.sport = u16::from_be_bytes([l4[0], l4[1]]);
            p.dport = u16::from_be_bytes([l4[2], l4[3]]);
            p.l4_ok = true;
            p.payload_len = (l4.len() - 8) as u16;
        }
        ip_proto::ICMP if l4.len() >= 8 => {
            p.icmp_type = l4[0];
            p.icmp_code = l4[1];
            if icmp_type::has_query_id(l4[0]) {
                p.sport = u16::from_be_bytes([l4[4], l4[5]]);
            }
            p.l4_ok = true;
            p.payload_len = (l4.len() - 8) as u16;
        }
        ip_proto::TCP | ip_proto::UDP | ip_proto::ICMP => {}
        _ => p.l4_ok = true,
    }
    Ok(p)
}

/// Loose or strict source routing options (accept_source_route=0 drops them, as the
/// kernel's `ip_rcv_options` does for a router by default). Malformed options count too.
fn source_routed(opts: &[u8]) -> bool {
    let mut i = 0;
    while i < opts.len() {
        match opts[i] {
            0 => return false,
            1 => i += 1,
            t => {
                let Some(&l) = opts.get(i + 1) else {
                    return true;
                };
                if l < 2 || i + l as usize > opts.len() {
                    return true;
                }
                if t == 0x83 || t == 0x89 {
                    return true;
                }
                i += l as usize;
            }
        }
    }
    false
}

fn tuple_of(p: &Pkt) -> Tuple {
    Tuple {
        src: p.src,
        dst: p.dst,
        sport: p.sport,
        dport: if p.proto == ip_proto::ICMP {
            ((p.icmp_type as u16) << 8) | p.icmp_code as u16
        } else {
            p.dport
        },
        proto: p.proto,
    }
}

fn ip4(a: u32) -> Ipv4Addr {
    Ipv4Addr::from(a)
}

/// The connection a packet belongs to, as the stages need it.
enum Conn {
    /// In the table: the handle, our direction, and what the packet must become.
    Known {
        handle: Handle,
        target: Tuple,
        ctmark: u32,
        /// Original direction, no reply seen yet (ctinfo IP_CT_NEW).
        new: bool,
        /// IPS_SRC_NAT | IPS_DST_NAT of the entry.
        nat: u16,
    },
    /// The first packet of a flow: an entry not yet in the table.
    New(Unconfirmed),
    /// An ICMP error about a tracked flow.
    Related {
        handle: Handle,
        dir: Dir,
        /// The flow's tuple in the other direction (see `translate_related`).
        other: Tuple,
        ctmark: u32,
        nat: u16,
    },
    /// INVALID (or untrackable): no NAT, state INVALID for the matches.
    Invalid,
}

impl Conn {
    /// What `-m conntrack --ctstate` sees: the ctinfo bit, plus SNAT/DNAT for entries
    /// with a binding.
    fn state(&self) -> CtState {
        let nat = |bits: u16| {
            let mut s = CtState(0);
            if bits & Status::SRC_NAT != 0 {
                s = s | CtState::SNAT;
            }
            if bits & Status::DST_NAT != 0 {
                s = s | CtState::DNAT;
            }
            s
        };
        match self {
            Conn::Known {
                new: true, nat: n, ..
            } => CtState::NEW | nat(*n),
            Conn::Known { nat: n, .. } => CtState::ESTABLISHED | nat(*n),
            Conn::New(_) => CtState::NEW,
            Conn::Related { nat: n, .. } => CtState::RELATED | nat(*n),
            Conn::Invalid => CtState::INVALID,
        }
    }

    fn ctmark(&self) -> u32 {
        match self {
            Conn::Known { ctmark, .. } | Conn::Related { ctmark, .. } => *ctmark,
            Conn::New(u) => u.mark(),
            Conn::Invalid => 0,
        }
    }
}

fn fmt_tuple(t: &Tuple) -> String {
    match t.proto {
        ip_proto::TCP | ip_proto::UDP => format!(
            "{} {}:{} > {}:{}",
            if t.proto == ip_proto::TCP {
                "tcp"
            } else {
                "udp"
            },
            ip4(t.src),
            t.sport,
            ip4(t.dst),
            t.dport
        ),
        ip_proto::ICMP => format!("icmp {} > {} id {}", ip4(t.src), ip4(t.dst), t.sport),
        p => format!("proto {p} {} > {}", ip4(t.src), ip4(t.dst)),
    }
}

/// Runs one table at one hook, counting and tracing.
fn run_chain(
    snap: &Snapshot,
    ctx: &mut Ctx,
    table: TableId,
    hook: Hook,
    m: &mut Meta,
    trace: &mut Option<&mut Trace>,
) -> NfVerdict {
    match trace.as_deref_mut() {
        Some(t) => {
            let mut cb = |s: ruta_netfilter::TraceStep| {
                t.push("netfilter", s.to_string());
            };
            snap.nf
                .run(table, hook, m, &mut ctx.nf_counters, Some(&mut cb))
        }
        None => snap.nf.run(table, hook, m, &mut ctx.nf_counters, None),
    }
}

/// Processes one frame received on `iif`, at the worker's clock `ctx.now`. `mark` is the
/// packet mark it starts with (0 for real traffic; `ruta trace` lines may set one).
pub fn process(
    snap: &Snapshot,
    ct: &ruta_conntrack::Conntrack,
    ctx: &mut Ctx,
    iif: IfIndex,
    frame: &mut [u8],
    mark: u32,
    mut trace: Option<&mut Trace>,
) -> Verdict {
    let now = ctx.now;
    let v = process_inner(snap, ct, ctx, iif, frame, now, mark, 0, &mut trace);
    ctx.stats.count(&v);
    if let Some(t) = trace {
        let detail = match v {
            Verdict::Forward { oif, nexthop, .. } => {
                t.oif = Some(oif);
                t.gateway = Some(nexthop);
                format!("forward dev {} via {nexthop}", link_name(snap, oif))
            }
            Verdict::Fragments {
                oif,
                nexthop,
                count,
            } => {
                t.oif = Some(oif);
                t.gateway = Some(nexthop);
                format!(
                    "forward dev {} via {nexthop} as {count} fragments",
                    link_name(snap, oif)
                )
            }
            Verdict::Local => "local delivery".into(),
            Verdict::Reply {
                reason, oif, len, ..
            } => {
                t.oif = Some(oif);
                format!(
                    "{} ({}): sent {len} bytes out of {}",
                    reply_word(reason),
                    reason.as_str(),
                    link_name(snap, oif)
                )
            }
            Verdict::Drop(r) => format!("drop ({})", r.as_str()),
        };
        t.push("verdict", detail);
    }
    v
}

/// Most frames [`process_batch`] prefetches for at once.
pub const BATCH: usize = 32;

/// [`process`] for a batch of frames received on one port, with the same verdicts in the
/// same order, but the conntrack lookups' memory loads overlapped: every frame's index
/// bucket is prefetched, then every entry, then each frame runs the pipeline. With a table
/// much larger than the caches that turns the misses of a batch from serial into parallel.
/// Prefetching changes no state.
pub fn process_batch(
    snap: &Snapshot,
    ct: &ruta_conntrack::Conntrack,
    ctx: &mut Ctx,
    iif: IfIndex,
    frames: &mut [&mut [u8]],
    verdicts: &mut [Verdict],
) {
    let tun = snap.port(iif).is_some_and(|p| p.tun);
    for chunk in 0..frames.len().div_ceil(BATCH) {
        let lo = chunk * BATCH;
        let hi = (lo + BATCH).min(frames.len());
        let mut infos = [None; BATCH];
        for (k, f) in frames[lo..hi].iter().enumerate() {
            infos[k] = quick_info(f, tun);
            if let Some(i) = &infos[k] {
                ct.prefetch_packet(i);
            }
        }
        for i in infos[..hi - lo].iter().flatten() {
            ct.prefetch_entry(i);
        }
        for (k, f) in frames[lo..hi].iter_mut().enumerate() {
            let v = process(snap, ct, ctx, iif, f, 0, None);
            if let Some(slot) = verdicts.get_mut(lo + k) {
                *slot = v;
            }
        }
    }
}

/// The conntrack key of a TCP or UDP frame, read without validation (only for prefetching:
/// a wrong guess costs a useless load, never a wrong answer).
fn quick_info(f: &[u8], tun: bool) -> Option<PacketInfo> {
    let l3 = if tun {
        0
    } else {
        if f.get(12..14)? != [0x08, 0x00] {
            return None;
        }
        14
    };
    let ip = f.get(l3..l3 + 20)?;
    let hl = ((ip[0] & 0x0f) as usize) * 4;
    let proto = ip[9];
    if !matches!(proto, ip_proto::TCP | ip_proto::UDP) || ip[6] & 0x3f != 0 || ip[7] != 0 {
        return None;
    }
    let l4 = f.get(l3 + hl..l3 + hl + 4)?;
    // conntrack keys only TCP segments whose flags it accepts
    let tcp_flags = if proto == ip_proto::TCP {
        *f.get(l3 + hl + 13)?
    } else {
        0
    };
    Some(PacketInfo {
        tuple: Tuple {
            src: u32::from_be_bytes([ip[12], ip[13], ip[14], ip[15]]),
            dst: u32::from_be_bytes([ip[16], ip[17], ip[18], ip[19]]),
            sport: u16::from_be_bytes([l4[0], l4[1]]),
            dport: u16::from_be_bytes([l4[2], l4[3]]),
            proto,
        },
        tcp_flags,
        ..PacketInfo::default()
    })
}

fn reply_word(r: Reason) -> &'static str {
    if r.is_arp() {
        "arp reply"
    } else if r == Reason::Rejected {
        "rejected"
    } else {
        "icmp error"
    }
}

pub(crate) fn link_name(snap: &Snapshot, i: IfIndex) -> String {
    snap.port(i)
        .map_or_else(|| format!("if{i}"), |p| p.name.clone())
}

#[allow(clippy::too_many_arguments)]
fn process_inner(
    snap: &Snapshot,
    ct: &ruta_conntrack::Conntrack,
    ctx: &mut Ctx,
    iif: IfIndex,
    frame: &mut [u8],
    now: u32,
    mark: u32,
    frag_max: u16,
    trace: &mut Option<&mut Trace>,
) -> Verdict {
    let Some(port) = snap.port(iif) else {
        return Verdict::Drop(Reason::IifDown);
    };
    if !port.up {
        return Verdict::Drop(Reason::IifDown);
    }
    // ---- L2
    let mut l2_host = true;
    let l3 = if port.tun {
        0
    } else {
        let eth = match EthernetFrame::new_checked(&frame[..]) {
            Ok(e) => e,
            Err(_) => return Verdict::Drop(Reason::EthTruncated),
        };
        if eth.vlan().is_some() {
            return Verdict::Drop(Reason::Vlan);
        }
        let dst = eth.dst();
        if eth.is_broadcast() || eth.is_multicast() {
            l2_host = false;
        } else if dst != port.mac {
            return Verdict::Drop(Reason::OtherHost);
        }
        match eth.ethertype() {
            ethertype::IPV4 => {}
            ethertype::ARP => return arp(snap, ctx, port, frame, trace),
            ethertype::IPV6 => return Verdict::Drop(Reason::Ipv6),
            _ => return Verdict::Drop(Reason::UnknownEthertype),
        }
        eth.header_len()
    };
    // ---- IPv4 sanity
    let mut p = match parse(frame, l3) {
        Ok(p) => p,
        Err(r) => return Verdict::Drop(r),
    };
    p.l2_host = l2_host;
    p.frag_max = frag_max;
    if p.fragment {
        return defragment(snap, ct, ctx, iif, frame, &p, now, mark, trace);
    }
    tr!(
        trace,
        "receive",
        "iif {} {} bytes, {} > {} proto {} ttl {} tos {:#04x}",
        port.name,
        p.total_len,
        ip4(p.src),
        ip4(p.dst),
        p.proto,
        p.ttl,
        p.tos
    );
    // ---- conntrack
    let conn = track(ct, frame, &p, now, trace);
    let mut conn = match conn {
        Ok(c) => c,
        Err(r) => return Verdict::Drop(r),
    };
    let mut m = meta(&p, &conn, Some(iif), None, mark);
    // ---- mangle PREROUTING
    if run_chain(snap, ctx, TableId::Mangle, Hook::Prerouting, &mut m, trace) == NfVerdict::Drop {
        return Verdict::Drop(Reason::DropPrerouting);
    }
    // ---- nat PREROUTING: DNAT of new flows; existing flows take their binding
    match &mut conn {
        Conn::New(u) => {
            match run_chain(snap, ctx, TableId::Nat, Hook::Prerouting, &mut m, trace) {
                NfVerdict::Drop => return Verdict::Drop(Reason::DropPrerouting),
                NfVerdict::Nat(t) => {
                    let range = match t {
                        NatTarget::Dnat(r) => range_of(&r),
                        NatTarget::Netmap { addr, mask } => {
                            single(NatTarget::netmap(addr, mask, p.dst), 0)
                        }
                        _ => None,
                    };
                    if let Some(range) = range {
                        if ct.nat(u, Manip::Dst, &range, now).is_err() {
                            return Verdict::Drop(Reason::NatExhausted);
                        }
                    }
                }
                _ => {}
            }
            let target = u.target();
            rewrite_dst(frame, &mut p, &target, trace, "dnat");
        }
        Conn::Known { target, .. } => {
            let target = *target;
            rewrite_dst(frame, &mut p, &target, trace, "conntrack binding");
        }
        Conn::Related {
            other, dir, nat, ..
        } => {
            translate_related(frame, &mut p, other, *dir, *nat, Manip::Dst, trace);
        }
        Conn::Invalid => {}
    }
    m.dst = p.dst;
    m.dport = p.dport;
    // ---- routing decision
    let q = GetQuery {
        dst: ip4(p.dst),
        src: Some(ip4(p.src)),
        iif: Some(iif),
        oif: None,
        mark: m.mark,
        tos: p.tos,
        proto: p.proto,
        sport: if p.proto == ip_proto::ICMP {
            0
        } else {
            p.sport
        },
        dport: if p.proto == ip_proto::ICMP {
            0
        } else {
            p.dport
        },
        fibmatch: false,
    };
    let decision = snap.router.input_route(&q, iif);
    if trace.is_some() {
        trace_rules(snap, &q, iif, trace);
    }
    let (route, fib) = match decision {
        Ok(d) => d,
        Err(e) => {
            tr!(trace, "route", "no route: {}", e.strerror());
            return route_error(snap, ctx, (ct, now), frame, &p, e, trace);
        }
    };
    if let Some((r, table)) = fib {
        tr!(
            trace,
            "route",
            "{}{}",
            ruta_config::render::route_text(&snap.router, r, table),
            match route.rtype {
                RouteType::Local | RouteType::Broadcast => " (for the router)",
                _ if table == ruta_fib::RT_TABLE_MAIN => " (table main)",
                _ => "",
            }
        );
    }
    match route.rtype {
        RouteType::Local | RouteType::Broadcast if p.frag_max != 0 => {
            // the host stack answers from the received frame; a reassembled datagram
            // for the router is not delivered (docs/PIPELINE.md)
            return Verdict::Drop(Reason::FragmentLocal);
        }
        RouteType::Local | RouteType::Broadcast => {
            return local_in(snap, ct, ctx, &mut conn, &mut m, now, trace);
        }
        RouteType::Unicast | RouteType::Nat => {}
        _ => return Verdict::Drop(Reason::NotForwardable),
    }
    if !l2_host {
        // ip_forward: only frames addressed to us at L2 are forwarded
        return Verdict::Drop(Reason::NotForwardable);
    }
    if let Some(to) = route.nat_to {
        // route NAT, inbound: the destination becomes the inside address
        let t = Tuple {
            dst: u32::from(to),
            dport: p.dport,
            ..tuple_of(&p)
        };
        rewrite_dst(frame, &mut p, &t, trace, "route nat");
        m.dst = p.dst;
    }
    let oif = route.dev;
    let Some(out) = snap.port(oif).filter(|o| o.up) else {
        return Verdict::Drop(Reason::OifDown);
    };
    let nexthop = route.gateway.unwrap_or(ip4(p.dst));
    if route.flags & RTCF_DOREDIRECT != 0 {
        tr!(
            trace,
            "route",
            "same interface in and out: the kernel would send an ICMP redirect (ruta does not)"
        );
    }
    // ---- ip_forward: TTL, MTU, then the FORWARD hook
    if p.ttl <= 1 {
        tr!(trace, "ttl", "ttl {} exhausted", p.ttl);
        return icmp_error(
            snap,
            ctx,
            (ct, now),
            frame,
            &p,
            11,
            0,
            0,
            Reason::TtlExceeded,
            trace,
        );
    }
    if p.total_len as u32 > out.mtu && p.df {
        tr!(
            trace,
            "mtu",
            "{} bytes > mtu {} with DF",
            p.total_len,
            out.mtu
        );
        return icmp_error(
            snap,
            ctx,
            (ct, now),
            frame,
            &p,
            3,
            4,
            out.mtu as u16,
            Reason::FragNeeded,
            trace,
        );
    }
    // without DF, too big: fragmented after POSTROUTING (ip_finish_output), below; a
    // reassembled datagram always leaves cut to its largest original fragment
    let needs_fragments = p.total_len as u32 > out.mtu || p.frag_max != 0;
    {
        let mut ip = Ipv4Packet::new_unchecked(&mut frame[p.l3..p.l3 + p.total_len]);
        let _ = ip.decrement_ttl();
    }
    tr!(trace, "ttl", "ttl {} -> {}", p.ttl, p.ttl - 1);
    p.ttl -= 1;
    m.ttl = p.ttl;
    m.oif = Some(oif as u16);
    if run_chain(snap, ctx, TableId::Mangle, Hook::Forward, &mut m, trace) == NfVerdict::Drop {
        return Verdict::Drop(Reason::DropForward);
    }
    match run_chain(snap, ctx, TableId::Filter, Hook::Forward, &mut m, trace) {
        NfVerdict::Accept => {}
        NfVerdict::Reject(with) => {
            return reject(snap, ctx, (ct, now), frame, &p, with, trace);
        }
        _ => return Verdict::Drop(Reason::DropForward),
    }
    // ---- POSTROUTING
    if run_chain(snap, ctx, TableId::Mangle, Hook::Postrouting, &mut m, trace) == NfVerdict::Drop {
        return Verdict::Drop(Reason::DropPostrouting);
    }
    if let Conn::New(u) = &mut conn {
        match run_chain(snap, ctx, TableId::Nat, Hook::Postrouting, &mut m, trace) {
            NfVerdict::Drop => return Verdict::Drop(Reason::DropPostrouting),
            NfVerdict::Nat(t) => {
                let range = match t {
                    NatTarget::Snat(r) => range_of(&r),
                    NatTarget::Masquerade {
                        ports,
                        random,
                        random_fully,
                    } => match snap.router.select_addr(
                        oif,
                        Some(nexthop),
                        ruta_fib::route::RT_SCOPE_UNIVERSE,
                    ) {
                        Some(a) => {
                            let mut c = CtRange::addr(u32::from(a));
                            if let Some((lo, hi)) = ports {
                                c = c.ports(lo, hi);
                            }
                            Some(c.with_flags(nat_flags(random, random_fully, false)))
                        }
                        // no address on the output interface: the kernel drops
                        None => return Verdict::Drop(Reason::NatExhausted),
                    },
                    NatTarget::Netmap { addr, mask } => {
                        single(NatTarget::netmap(addr, mask, p.src), 0)
                    }
                    NatTarget::Dnat(_) => None,
                };
                if let Some(range) = range {
                    if ct.nat(u, Manip::Src, &range, now).is_err() {
                        return Verdict::Drop(Reason::NatExhausted);
                    }
                }
            }
            _ => {}
        }
    }
    // ---- conntrack confirmation, connmark
    match std::mem::replace(&mut conn, Conn::Invalid) {
        Conn::New(mut u) => {
            u.set_mark(m.ctmark);
            let target = u.target();
            let orig = u.orig();
            match ct.confirm(u, now) {
                Ok(_) => {
                    tr!(trace, "conntrack", "confirmed {}", fmt_tuple(&orig));
                    rewrite_src(frame, &mut p, &target, trace, "snat");
                }
                Err(_) => return Verdict::Drop(Reason::ConntrackInsertFailed),
            }
        }
        Conn::Known {
            handle,
            target,
            ctmark,
            ..
        } => {
            if m.ctmark != ctmark {
                ct.set_mark(handle, m.ctmark);
            }
            rewrite_src(frame, &mut p, &target, trace, "conntrack binding");
        }
        Conn::Related {
            handle,
            other,
            dir,
            ctmark,
            nat,
        } => {
            if m.ctmark != ctmark {
                ct.set_mark(handle, m.ctmark);
            }
            translate_related(frame, &mut p, &other, dir, nat, Manip::Src, trace);
        }
        Conn::Invalid => {}
    }
    // stateless route NAT, outbound: `ip rule ... nat ADDR` rewrites the source
    if let Some(to) = route.snat_to {
        let t = Tuple {
            src: u32::from(to),
            ..tuple_of(&p)
        };
        rewrite_src(frame, &mut p, &t, trace, "route nat");
    }
    if let Some(t) = trace.as_deref_mut() {
        t.out = Some(Out {
            src: ip4(p.src),
            dst: ip4(p.dst),
            proto: p.proto,
            sport: p.sport,
            dport: p.dport,
            mark: m.mark,
            ttl: p.ttl,
        });
    }
    if needs_fragments {
        let pkt = &frame[p.l3..p.l3 + p.total_len];
        let size = match p.frag_max {
            0 => out.mtu as usize,
            m => (m as usize).min(out.mtu as usize),
        };
        return match ctx.fragment(pkt, size) {
            Some(count) => {
                tr!(
                    trace,
                    "mtu",
                    "{} bytes > mtu {}: {count} fragments",
                    p.total_len,
                    out.mtu
                );
                Verdict::Fragments {
                    oif,
                    nexthop,
                    count,
                }
            }
            None => Verdict::Drop(Reason::NeedsFragmentation),
        };
    }
    // the IP packet is frame[l3..l3 + len]; the dataplane puts the L2 header in front
    // (our MAC, the next hop's from the neighbour cache) or sends it bare on a TUN port
    Verdict::Forward {
        oif,
        nexthop,
        l3: p.l3,
        len: p.total_len,
    }
}

/// A fragment: into the shared reassembly table; the fragment that completes its datagram
/// carries the whole datagram through the rest of the pipeline (from `ctx.reasm`, with this
/// frame's L2 header in front).
#[allow(clippy::too_many_arguments)]
fn defragment(
    snap: &Snapshot,
    ct: &ruta_conntrack::Conntrack,
    ctx: &mut Ctx,
    iif: IfIndex,
    frame: &mut [u8],
    p: &Pkt,
    now: u32,
    mark: u32,
    trace: &mut Option<&mut Trace>,
) -> Verdict {
    if p.frag_max != 0 {
        // a reassembled datagram is never a fragment; guard against recursion
        return Verdict::Drop(Reason::FragmentInvalid);
    }
    let mut buf = std::mem::take(&mut ctx.reasm);
    let l3 = p.l3;
    let got = ctx
        .defrag
        .insert(&frame[l3..l3 + p.total_len], now, &mut buf[l3..]);
    let v = match got {
        crate::defrag::Insert::Held => {
            tr!(trace, "defrag", "fragment held for reassembly");
            Verdict::Drop(Reason::FragmentHeld)
        }
        crate::defrag::Insert::Duplicate => Verdict::Drop(Reason::FragmentDuplicate),
        crate::defrag::Insert::Killed => {
            tr!(
                trace,
                "defrag",
                "overlapping or oversized: the datagram is dropped"
            );
            Verdict::Drop(Reason::FragmentInvalid)
        }
        crate::defrag::Insert::Full => Verdict::Drop(Reason::FragmentTableFull),
        crate::defrag::Insert::Done { len, frag_max } => {
            tr!(
                trace,
                "defrag",
                "datagram of {len} bytes reassembled (largest fragment {frag_max})"
            );
            buf[..l3].copy_from_slice(&frame[..l3]);
            process_inner(
                snap,
                ct,
                ctx,
                iif,
                &mut buf[..l3 + len],
                now,
                mark,
                frag_max,
                trace,
            )
        }
    };
    ctx.reasm = buf;
    v
}

/// What the chains see of a packet (`Meta`): its headers, its marks, its connection.
fn meta(p: &Pkt, conn: &Conn, iif: Option<IfIndex>, oif: Option<IfIndex>, mark: u32) -> Meta {
    Meta {
        iif: iif.map(|i| i as u16),
        oif: oif.map(|i| i as u16),
        src: p.src,
        dst: p.dst,
        proto: p.proto,
        // an ICMP query's id rides in `sport` for conntrack; matches never see it as a port
        sport: if p.proto == ip_proto::ICMP {
            0
        } else {
            p.sport
        },
        dport: p.dport,
        icmp_type: p.icmp_type,
        icmp_code: p.icmp_code,
        tcp_flags: p.tcp_flags,
        fragment: false,
        len: p.total_len as u32,
        tos: p.tos,
        ttl: p.ttl,
        mark,
        ctmark: conn.ctmark(),
        ctstate: conn.state(),
    }
}

fn range_of(r: &ruta_netfilter::NatRange) -> Option<CtRange> {
    let mut c = match r.addrs {
        Some((lo, hi)) => CtRange::addrs(lo, hi),
        None => CtRange::default(),
    };
    if let Some((lo, hi)) = r.ports {
        c = c.ports(lo, hi);
    }
    Some(c.with_flags(nat_flags(r.random, r.random_fully, r.persistent)))
}

fn nat_flags(random: bool, fully: bool, persistent: bool) -> u32 {
    let mut f = 0;
    if random {
        f |= CtRange::PROTO_RANDOM;
    }
    if fully {
        f |= CtRange::PROTO_RANDOM_FULLY;
    }
    if persistent {
        f |= CtRange::PERSISTENT;
    }
    f
}

fn single(addr: u32, _port: u16) -> Option<CtRange> {
    Some(CtRange::addr(addr))
}

/// Conntrack lookup: the flow of the packet, or the flow an ICMP error is about.
fn track(
    ct: &ruta_conntrack::Conntrack,
    frame: &[u8],
    p: &Pkt,
    now: u32,
    trace: &mut Option<&mut Trace>,
) -> Result<Conn, Reason> {
    if !p.l4_ok {
        tr!(trace, "conntrack", "INVALID (truncated transport header)");
        return Ok(Conn::Invalid);
    }
    if p.proto == ip_proto::ICMP && icmp_type::is_error(p.icmp_type) {
        let icmp = IcmpPacket::new_checked(&frame[p.l3 + p.ihl..p.l3 + p.total_len]);
        let inner = icmp.ok().and_then(|i| {
            let e = i.embedded().ok()?;
            let (sport, dport) = match e.protocol() {
                ip_proto::TCP | ip_proto::UDP => e.ports()?,
                ip_proto::ICMP => {
                    let l4 = e.l4();
                    if l4.len() < 8 {
                        return None;
                    }
                    (
                        u16::from_be_bytes([l4[4], l4[5]]),
                        ((l4[0] as u16) << 8) | l4[1] as u16,
                    )
                }
                _ => (0, 0),
            };
            Some(Tuple {
                src: u32::from(e.src_addr()),
                dst: u32::from(e.dst_addr()),
                sport,
                dport,
                proto: e.protocol(),
            })
        });
        let Some(inner) = inner else {
            tr!(
                trace,
                "conntrack",
                "INVALID (ICMP error without a usable quote)"
            );
            return Ok(Conn::Invalid);
        };
        return Ok(match ct.related(&inner, p.dst, now) {
            Some(r) => {
                tr!(
                    trace,
                    "conntrack",
                    "RELATED to {} ({:?} direction)",
                    fmt_tuple(&r.orig),
                    r.dir
                );
                Conn::Related {
                    handle: r.handle,
                    dir: r.dir,
                    other: if r.dir == Dir::Original {
                        r.reply
                    } else {
                        r.orig
                    },
                    ctmark: r.mark,
                    nat: r.status.0 & (Status::SRC_NAT | Status::DST_NAT),
                }
            }
            None => {
                tr!(
                    trace,
                    "conntrack",
                    "INVALID (ICMP error about no known flow)"
                );
                Conn::Invalid
            }
        });
    }
    let info = PacketInfo {
        tuple: tuple_of(p),
        tcp_flags: p.tcp_flags,
        seq: p.seq,
        ack: p.ack,
        window: p.window,
        payload_len: p.payload_len,
        icmp_type: p.icmp_type,
        icmp_code: p.icmp_code,
        len: p.total_len as u32,
    };
    match ct.track(&info, now) {
        Track::Known {
            handle,
            dir,
            ctinfo,
            mark,
            target,
            status,
        } => {
            tr!(
                trace,
                "conntrack",
                "{} ({:?} direction)",
                match ctinfo {
                    CtInfo::New => "NEW (no reply seen yet)",
                    _ => "ESTABLISHED",
                },
                dir
            );
            Ok(Conn::Known {
                handle,
                target,
                ctmark: mark,
                // the kernel's ctinfo is IP_CT_NEW until a reply is seen: state NEW for
                // the matches, though the entry (and its NAT binding) exists
                new: ctinfo == CtInfo::New,
                nat: status.0 & (Status::SRC_NAT | Status::DST_NAT),
            })
        }
        Track::New(u) => {
            tr!(trace, "conntrack", "NEW {}", fmt_tuple(&info.tuple));
            Ok(Conn::New(u))
        }
        Track::Invalid(r) => {
            tr!(trace, "conntrack", "INVALID ({r:?})");
            Ok(Conn::Invalid)
        }
        Track::Full => {
            tr!(trace, "conntrack", "table full, early drop found nothing");
            Err(Reason::ConntrackFull)
        }
    }
}

fn ip_mut<'a>(frame: &'a mut [u8], p: &Pkt) -> Ipv4Packet<&'a mut [u8]> {
    Ipv4Packet::new_unchecked(&mut frame[p.l3..p.l3 + p.total_len])
}

/// Rewrites the destination (address and port / ICMP id) to the target's.
fn rewrite_dst(
    frame: &mut [u8],
    p: &mut Pkt,
    t: &Tuple,
    trace: &mut Option<&mut Trace>,
    what: &str,
) {
    let before = (p.dst, p.dport);
    let mut ip = ip_mut(frame, p);
    if t.dst != p.dst {
        ip.set_dst_addr(ip4(t.dst));
        p.dst = t.dst;
    }
    if matches!(p.proto, ip_proto::TCP | ip_proto::UDP) && t.dport != p.dport {
        let _ = ip.set_dst_port(t.dport);
        p.dport = t.dport;
    }
    // an ICMP query's id is one field for both directions (icmp_manip_pkt writes it at
    // either manip)
    if p.proto == ip_proto::ICMP && icmp_type::has_query_id(p.icmp_type) && t.sport != p.sport {
        let _ = ip.set_icmp_query_id(t.sport);
        p.sport = t.sport;
    }
    note_rewrite(
        trace,
        what,
        "destination",
        p.proto,
        before,
        (p.dst, p.dport),
    );
}

/// The trace line of a NAT rewrite: addresses, with ports for TCP/UDP and the id for an
/// ICMP query whose id changed.
fn note_rewrite(
    trace: &mut Option<&mut Trace>,
    what: &str,
    side: &str,
    proto: u8,
    before: (u32, u16),
    after: (u32, u16),
) {
    if before == after {
        return;
    }
    let (b, a) = (ip4(before.0), ip4(after.0));
    match proto {
        ip_proto::TCP | ip_proto::UDP => {
            tr!(
                trace,
                "nat",
                "{what}: {side} {b}:{} -> {a}:{}",
                before.1,
                after.1
            )
        }
        ip_proto::ICMP if before.1 != after.1 => {
            tr!(
                trace,
                "nat",
                "{what}: {side} {b} id {} -> {a} id {}",
                before.1,
                after.1
            )
        }
        _ => tr!(trace, "nat", "{what}: {side} {b} -> {a}"),
    }
}

/// Rewrites the source (address and port / ICMP id) to the target's.
fn rewrite_src(
    frame: &mut [u8],
    p: &mut Pkt,
    t: &Tuple,
    trace: &mut Option<&mut Trace>,
    what: &str,
) {
    let before = (p.src, p.sport);
    let mut ip = ip_mut(frame, p);
    if t.src != p.src {
        ip.set_src_addr(ip4(t.src));
        p.src = t.src;
    }
    match p.proto {
        ip_proto::TCP | ip_proto::UDP if t.sport != p.sport => {
            let _ = ip.set_src_port(t.sport);
            p.sport = t.sport;
        }
        ip_proto::ICMP if t.sport != p.sport && icmp_type::has_query_id(p.icmp_type) => {
            let _ = ip.set_icmp_query_id(t.sport);
            p.sport = t.sport;
        }
        _ => {}
    }
    note_rewrite(trace, what, "source", p.proto, before, (p.src, p.sport));
}

/// `nf_nat_icmp_reply_translation`: an ICMP error about a NATed flow. `other` is the flow's
/// tuple in the direction opposite to the error's (`ct->tuplehash[!dir].tuple`). At the
/// destination-manip hook (PREROUTING) the quoted packet's source is put back and the outer
/// destination follows; at the source-manip hook (POSTROUTING) the quoted destination and
/// the outer source.
fn translate_related(
    frame: &mut [u8],
    p: &mut Pkt,
    other: &Tuple,
    dir: Dir,
    nat: u16,
    manip: Manip,
    trace: &mut Option<&mut Trace>,
) {
    // only where the flow has the binding this hook undoes: DST_NAT at the destination
    // hook, SRC_NAT at the source hook, swapped for errors travelling the reply way
    let mut bit = match manip {
        Manip::Src => Status::SRC_NAT,
        Manip::Dst => Status::DST_NAT,
    };
    if dir == Dir::Reply {
        bit ^= Status::SRC_NAT | Status::DST_NAT;
    }
    if nat & bit == 0 {
        return;
    }
    let mut ip = ip_mut(frame, p);
    let changed = match manip {
        Manip::Dst => {
            // inner: the quoted packet's source becomes other.src; outer dst = other.src
            let _ = ip.icmp_quote_set_src_addr(ip4(other.src));
            match other.proto {
                ip_proto::TCP | ip_proto::UDP => {
                    let _ = ip.icmp_quote_set_src_port(other.sport);
                }
                ip_proto::ICMP => {
                    let _ = ip.icmp_quote_set_query_id(other.sport);
                }
                _ => {}
            }
            if p.dst != other.src {
                ip.set_dst_addr(ip4(other.src));
                p.dst = other.src;
                true
            } else {
                false
            }
        }
        Manip::Src => {
            let _ = ip.icmp_quote_set_dst_addr(ip4(other.dst));
            if matches!(other.proto, ip_proto::TCP | ip_proto::UDP) {
                let _ = ip.icmp_quote_set_dst_port(other.dport);
            }
            if p.src != other.dst {
                ip.set_src_addr(ip4(other.dst));
                p.src = other.dst;
                true
            } else {
                false
            }
        }
    };
    if changed {
        tr!(
            trace,
            "nat",
            "icmp error translated: now {} > {}, quoting {}",
            ip4(p.src),
            ip4(p.dst),
            fmt_tuple(other)
        );
    }
}

/// The rules walked for the routing decision, for the trace.
fn trace_rules(snap: &Snapshot, q: &GetQuery, iif: IfIndex, trace: &mut Option<&mut Trace>) {
    let Some(t) = trace.as_deref_mut() else {
        return;
    };
    let rt = &snap.router;
    if !rt.rules.has_custom_rules() {
        t.push(
            "rules",
            "no custom rules: tables local and main looked up as one".into(),
        );
        return;
    }
    let fl = ruta_fib::Flow4 {
        dst: u32::from(q.dst),
        src: q.src.map_or(0, u32::from),
        iif,
        oif: 0,
        mark: q.mark,
        tos: q.tos,
        proto: q.proto,
        sport: q.sport,
        dport: q.dport,
        scope: 0,
    };
    let mut steps = Vec::new();
    let _ = rt.rules.lookup(&rt.tables, &fl, Some(&mut steps));
    // the steps name priorities; several rules may share one, and the walk only goes
    // forward, so a cursor finds each step's rule
    let rules = rt.rules.rules();
    let cursor = std::cell::Cell::new(0usize);
    let at = |pref: u32| -> String {
        let c = cursor.get().min(rules.len());
        match rules[c..].iter().position(|r| r.pref == pref) {
            Some(i) => {
                cursor.set(c + i + 1);
                ruta_config::render::rule_text(rt, &rules[c + i])
            }
            None => String::new(),
        }
    };
    for s in steps {
        let line = match s {
            ruta_policy::TraceStep::NoMatch { pref } => {
                format!("{pref}: {} - no match", at(pref))
            }
            ruta_policy::TraceStep::Goto { pref, to } => {
                let text = at(pref);
                if let Some(to) = to {
                    if let Some(j) = rules.iter().position(|r| r.pref == to) {
                        cursor.set(j);
                    }
                }
                format!(
                    "{pref}: {text} - goto {}",
                    to.map_or("(unresolved, next rule)".to_string(), |t| t.to_string())
                )
            }
            ruta_policy::TraceStep::Nop { pref } => format!("{pref}: {} - nop", at(pref)),
            ruta_policy::TraceStep::NoRoute { pref, table } => format!(
                "{pref}: {} - no route in table {}, next rule",
                at(pref),
                rt.names.name(table)
            ),
            ruta_policy::TraceStep::Suppressed {
                pref,
                table,
                prefix,
            } => format!(
                "{pref}: {} - {prefix} of table {} suppressed by suppress_prefixlength",
                at(pref),
                rt.names.name(table)
            ),
            ruta_policy::TraceStep::Decided { pref } => {
                format!("{pref}: {} - decided", at(pref))
            }
        };
        t.push("rules", line);
    }
}

/// Routing failed: what `ip_error` does (an ICMP error, or a silent drop).
fn route_error(
    snap: &Snapshot,
    ctx: &mut Ctx,
    env: (&ruta_conntrack::Conntrack, u32),
    frame: &mut [u8],
    p: &Pkt,
    e: GetError,
    trace: &mut Option<&mut Trace>,
) -> Verdict {
    let (t, c, reason) = match e {
        GetError::Invalid => return Verdict::Drop(Reason::Martian),
        GetError::CrossDevice => return Verdict::Drop(Reason::RpFilter),
        GetError::HostUnreachable | GetError::NetUnreachable => {
            return Verdict::Drop(Reason::ForwardingDisabled)
        }
        GetError::NoDevice => return Verdict::Drop(Reason::IifDown),
        GetError::UnsupportedProto => return Verdict::Drop(Reason::NotForwardable),
        GetError::Fib(FibError::Blackhole) => return Verdict::Drop(Reason::Blackhole),
        GetError::Fib(FibError::NetUnreachable) => (3, 0, Reason::NoRoute),
        GetError::Fib(FibError::HostUnreachable) => (3, 1, Reason::Unreachable),
        GetError::Fib(FibError::Prohibited) => (3, 13, Reason::Prohibited),
    };
    icmp_error(snap, ctx, env, frame, p, t, c, 0, reason, trace)
}

/// Builds an ICMP error about the packet in `frame` into `ctx.out` and routes it back, as
/// `icmp_send` does; when the kernel would not send one, the frame is just dropped.
#[allow(clippy::too_many_arguments)]
fn icmp_error(
    snap: &Snapshot,
    ctx: &mut Ctx,
    (ct, now): (&ruta_conntrack::Conntrack, u32),
    frame: &mut [u8],
    p: &Pkt,
    icmp_t: u8,
    code: u8,
    mtu: u16,
    reason: Reason,
    trace: &mut Option<&mut Trace>,
) -> Verdict {
    // the route back to the sender; its source address is the error's (the kernel's
    // icmp_errors_use_inbound_ifaddr=0)
    let q = GetQuery {
        dst: ip4(p.src),
        proto: ip_proto::ICMP,
        tos: (p.tos & ruta_packet::ipv4::IPTOS_TOS_MASK)
            | ruta_packet::ipv4::IPTOS_PREC_INTERNETCONTROL,
        ..GetQuery::default()
    };
    let Ok((back, _)) = snap.router.output_route(&q) else {
        tr!(
            trace,
            "icmp",
            "no route back to {}: no error sent",
            ip4(p.src)
        );
        return Verdict::Drop(reason);
    };
    let Some(src) = back.prefsrc.or_else(|| {
        snap.router.select_addr(
            back.dev,
            Some(ip4(p.src)),
            ruta_fib::route::RT_SCOPE_UNIVERSE,
        )
    }) else {
        return Verdict::Drop(reason);
    };
    let Some(out) = snap.port(back.dev) else {
        return Verdict::Drop(reason);
    };
    let mut spec = IcmpErrorSpec::new(icmp_t, code, src);
    spec.info = mtu as u32;
    spec.ident = ctx.next_ip_id();
    spec.route_mtu = out.mtu.min(65535) as u16;
    spec.not_host_frame = !p.l2_host;
    let offending = Ipv4Packet::new_unchecked(&frame[p.l3..p.l3 + p.total_len]);
    let len = match ruta_packet::build_icmp_error(&mut ctx.out[..], &offending, &spec) {
        Ok(n) => n,
        Err(e) => {
            tr!(trace, "icmp", "no ICMP error sent: {}", e.as_str());
            return Verdict::Drop(reason);
        }
    };
    tr!(
        trace,
        "icmp",
        "ICMP type {icmp_t} code {code} from {src} to {} out of {}",
        ip4(p.src),
        out.name
    );
    if !originate(snap, ct, ctx, back.dev, len, now, trace) {
        return Verdict::Drop(reason);
    }
    Verdict::Reply {
        reason,
        oif: back.dev,
        nexthop: back.gateway.unwrap_or(ip4(p.src)),
        len,
    }
}

/// What the kernel's output path does to a packet the router sends (an ICMP error, a
/// reset): conntrack (an ICMP error about a tracked flow is RELATED to it), mangle and
/// filter OUTPUT, mangle POSTROUTING, and the NAT translation of a RELATED error (so an
/// error about a DNATed connection quotes the address the client used). False when a
/// chain dropped it.
pub(crate) fn originate(
    snap: &Snapshot,
    ct: &ruta_conntrack::Conntrack,
    ctx: &mut Ctx,
    oif: IfIndex,
    len: usize,
    now: u32,
    trace: &mut Option<&mut Trace>,
) -> bool {
    let mut out = std::mem::take(&mut ctx.out);
    let ok = originate_in(snap, ct, ctx, &mut out[..len], oif, now, trace);
    ctx.out = out;
    ok
}

fn originate_in(
    snap: &Snapshot,
    ct: &ruta_conntrack::Conntrack,
    ctx: &mut Ctx,
    pkt: &mut [u8],
    oif: IfIndex,
    now: u32,
    trace: &mut Option<&mut Trace>,
) -> bool {
    let Ok(mut p) = parse(pkt, 0) else {
        return false;
    };
    p.l2_host = true;
    let conn = if p.proto == ip_proto::ICMP && icmp_type::is_error(p.icmp_type) {
        track(ct, pkt, &p, now, trace).unwrap_or(Conn::Invalid)
    } else {
        Conn::Invalid
    };
    let mut m = meta(&p, &conn, None, Some(oif), 0);
    if run_chain(snap, ctx, TableId::Mangle, Hook::Output, &mut m, trace) == NfVerdict::Drop {
        return false;
    }
    if run_chain(snap, ctx, TableId::Filter, Hook::Output, &mut m, trace) != NfVerdict::Accept {
        return false;
    }
    if let Conn::Related {
        other, dir, nat, ..
    } = &conn
    {
        translate_related(pkt, &mut p, other, *dir, *nat, Manip::Dst, trace);
    }
    if run_chain(snap, ctx, TableId::Mangle, Hook::Postrouting, &mut m, trace) == NfVerdict::Drop {
        return false;
    }
    if let Conn::Related {
        other, dir, nat, ..
    } = &conn
    {
        translate_related(pkt, &mut p, other, *dir, *nat, Manip::Src, trace);
    }
    true
}

/// REJECT: the ICMP error or TCP reset `--reject-with` names.
fn reject(
    snap: &Snapshot,
    ctx: &mut Ctx,
    env: (&ruta_conntrack::Conntrack, u32),
    frame: &mut [u8],
    p: &Pkt,
    with: ruta_netfilter::RejectWith,
    trace: &mut Option<&mut Trace>,
) -> Verdict {
    match with.icmp() {
        Some((t, c)) => icmp_error(snap, ctx, env, frame, p, t, c, 0, Reason::Rejected, trace),
        None => {
            // tcp-reset goes back where the segment came from
            let q = GetQuery {
                dst: ip4(p.src),
                proto: ip_proto::TCP,
                ..GetQuery::default()
            };
            let Ok((back, _)) = snap.router.output_route(&q) else {
                return Verdict::Drop(Reason::Rejected);
            };
            if snap.port(back.dev).is_none() {
                return Verdict::Drop(Reason::Rejected);
            }
            let offending = Ipv4Packet::new_unchecked(&frame[p.l3..p.l3 + p.total_len]);
            match ruta_packet::build_tcp_reset(&mut ctx.out[..], &offending, 64, false) {
                Ok(n) => {
                    tr!(trace, "reject", "TCP reset to {}", ip4(p.src));
                    if !originate(snap, env.0, ctx, back.dev, n, env.1, trace) {
                        return Verdict::Drop(Reason::Rejected);
                    }
                    Verdict::Reply {
                        reason: Reason::Rejected,
                        oif: back.dev,
                        nexthop: back.gateway.unwrap_or(ip4(p.src)),
                        len: n,
                    }
                }
                Err(_) => Verdict::Drop(Reason::Rejected),
            }
        }
    }
}

/// Packets for the router: mangle INPUT, filter INPUT, nat INPUT (SNAT of new flows),
/// conntrack confirmation, then the host stack.
#[allow(clippy::too_many_arguments)]
fn local_in(
    snap: &Snapshot,
    ct: &ruta_conntrack::Conntrack,
    ctx: &mut Ctx,
    conn: &mut Conn,
    m: &mut Meta,
    now: u32,
    trace: &mut Option<&mut Trace>,
) -> Verdict {
    if run_chain(snap, ctx, TableId::Mangle, Hook::Input, m, trace) == NfVerdict::Drop {
        return Verdict::Drop(Reason::DropInput);
    }
    match run_chain(snap, ctx, TableId::Filter, Hook::Input, m, trace) {
        NfVerdict::Accept => {}
        NfVerdict::Reject(_) => return Verdict::Drop(Reason::Rejected),
        _ => return Verdict::Drop(Reason::DropInput),
    }
    if let Conn::New(_) = conn {
        if run_chain(snap, ctx, TableId::Nat, Hook::Input, m, trace) == NfVerdict::Drop {
            return Verdict::Drop(Reason::DropInput);
        }
    }
    match std::mem::replace(conn, Conn::Invalid) {
        Conn::New(mut u) => {
            u.set_mark(m.ctmark);
            if ct.confirm(u, now).is_err() {
                return Verdict::Drop(Reason::ConntrackInsertFailed);
            }
        }
        Conn::Known { handle, ctmark, .. } | Conn::Related { handle, ctmark, .. } => {
            if m.ctmark != ctmark {
                ct.set_mark(handle, m.ctmark);
            }
        }
        Conn::Invalid => {}
    }
    Verdict::Local
}

/// ARP: answer requests for our addresses and for route-NAT addresses (proxy ARP);
/// everything else is for the neighbour cache.
fn arp(
    snap: &Snapshot,
    ctx: &mut Ctx,
    port: &Port,
    frame: &mut [u8],
    trace: &mut Option<&mut Trace>,
) -> Verdict {
    let Ok(a) = ArpPacket::new_checked(&frame[14..]) else {
        return Verdict::Drop(Reason::ArpMalformed);
    };
    if a.operation() != ArpOperation::Request {
        return Verdict::Drop(Reason::ArpNotForUs);
    }
    let target = u32::from(a.target_ip());
    let sender = a.sender_ip();
    if sender.is_multicast() || sender.is_loopback() || sender.is_broadcast() {
        return Verdict::Drop(Reason::ArpMalformed);
    }
    if !snap.answers_arp(port, target) {
        return Verdict::Drop(Reason::ArpNotForUs);
    }
    match ruta_packet::build_arp_reply(&mut ctx.out[..], &a, &port.mac) {
        Ok(n) => {
            tr!(
                trace,
                "arp",
                "who-has {} tell {}: answered with {}",
                ip4(target),
                sender,
                fmt_mac(&port.mac)
            );
            Verdict::Reply {
                reason: Reason::ArpAnswered,
                oif: port.index,
                nexthop: sender,
                len: n,
            }
        }
        Err(_) => Verdict::Drop(Reason::ArpMalformed),
    }
}

pub(crate) fn fmt_mac(m: &[u8; 6]) -> String {
    format!(
        "{:02x}:{:02x}:{:02x}:{:02x}:{:02x}:{:02x}",
        m[0], m[1], m[2], m[3], m[4], m[5]
    )
}
