//! Builders for the packets a router originates, written into the caller's buffer (no
//! allocation); each returns the length written.
//!
//! - ICMP errors about an offending packet, as the kernel's `__icmp_send` builds them, with
//!   its rules for not answering ([`build_icmp_error`]).
//! - TCP resets for `REJECT --reject-with tcp-reset`, as `nf_send_reset` ([`build_tcp_reset`]).
//! - ICMP echo replies, into a buffer or in place ([`build_echo_reply`],
//!   [`echo_reply_in_place`]).
//! - ARP replies, requests and gratuitous ARP, as the kernel's `arp_create` lays them out.
//! - The Ethernet header in front of an IP packet ([`write_ethernet_header`]).
//!
//! IP-level builders write the IPv4 packet only; put the link header in front with
//! [`write_ethernet_header`]. ARP builders write the whole frame (42 bytes, unpadded: the
//! device pads to 60).
//!
//! Not done (the kernel does): echoing the offending packet's IP options in ICMP errors and
//! echo replies (`__ip_options_echo`: record route, timestamps, source routes) — the replies
//! carry no options, so with an options-bearing request the quote still fits the 576-byte
//! budget computed without them; ICMP rate limiting (`icmp_ratelimit`, `icmp_msgs_per_sec`)
//! and choosing the source address, the IP id and the route MTU are the caller's.

use std::net::Ipv4Addr;

use crate::arp::{write_arp, ArpOperation, ArpPacket};
use crate::checksum;
use crate::ethernet::HEADER_LEN as ETH_LEN;
use crate::ipv4::{
    write_header, Ipv4Packet, FLAG_DF, FLAG_MF, HEADER_LEN as IP_LEN, HEADER_LEN,
    IPTOS_PREC_INTERNETCONTROL, IPTOS_TOS_MASK, OFFSET_MASK,
};
use crate::{
    ethertype, icmp_type, ip_proto, rd16, rd32, wr16, wr32, wr_mac, BuildError, MacAddr,
    MAC_BROADCAST,
};

/// The kernel's default TTL (`net.ipv4.ip_default_ttl`).
pub const DEFAULT_TTL: u8 = 64;
/// RFC 1812 4.3.2.3: an ICMP error is at most 576 bytes.
pub const ICMP_ERROR_MAX: usize = 576;

/// What [`build_icmp_error`] sends, and what the caller knows from the route and the device.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct IcmpErrorSpec {
    /// ICMP type (must be an error type).
    pub icmp_type: u8,
    /// ICMP code.
    pub code: u8,
    /// Bytes 4..8 of the ICMP header (`info` of `icmp_send`): the next-hop MTU for
    /// "fragmentation needed", `pointer << 24` for a parameter problem, the gateway of a
    /// redirect, else 0.
    pub info: u32,
    /// Source address of the error (the kernel: the offending packet's destination when it
    /// was for us, else the address of the outgoing interface).
    pub src: Ipv4Addr,
    /// IP identification (the kernel's `ip_select_ident`; DF is clear).
    pub ident: u16,
    /// TTL (default 64).
    pub ttl: u8,
    /// MTU of the route back to the offending source (the quote is cut to fit
    /// `min(route_mtu, 576)`).
    pub route_mtu: u16,
    /// The offending frame was not addressed to our MAC (the kernel's `pkt_type !=
    /// PACKET_HOST`: L2 broadcast, multicast, or promiscuous capture).
    pub not_host_frame: bool,
    /// The offending destination is a broadcast address (the route's `RTCF_BROADCAST`);
    /// 255.255.255.255 is recognised without the flag.
    pub dst_broadcast: bool,
    /// The offending source is a (directed) broadcast address known to the caller;
    /// 255.255.255.255 is recognised without the flag.
    pub src_broadcast: bool,
}

impl IcmpErrorSpec {
    /// An error of `icmp_type`/`code` from `src`, with the kernel's defaults (TTL 64, route
    /// MTU 1500, id 0, no flags).
    pub const fn new(icmp_type: u8, code: u8, src: Ipv4Addr) -> Self {
        IcmpErrorSpec {
            icmp_type,
            code,
            info: 0,
            src,
            ident: 0,
            ttl: DEFAULT_TTL,
            route_mtu: 1500,
            not_host_frame: false,
            dst_broadcast: false,
            src_broadcast: false,
        }
    }

    /// Destination unreachable with `code`.
    pub const fn dest_unreachable(code: u8, src: Ipv4Addr) -> Self {
        Self::new(icmp_type::DEST_UNREACH, code, src)
    }

    /// Fragmentation needed and DF set, announcing `mtu` (RFC 1191).
    pub const fn frag_needed(mtu: u16, src: Ipv4Addr) -> Self {
        let mut s = Self::new(icmp_type::DEST_UNREACH, icmp_type::FRAG_NEEDED, src);
        s.info = mtu as u32;
        s
    }

    /// Time exceeded in transit (TTL).
    pub const fn time_exceeded(src: Ipv4Addr) -> Self {
        Self::new(icmp_type::TIME_EXCEEDED, icmp_type::EXC_TTL, src)
    }

    /// Parameter problem, pointing at byte `pointer` of the offending header.
    pub const fn param_problem(pointer: u8, src: Ipv4Addr) -> Self {
        let mut s = Self::new(icmp_type::PARAMETERPROB, 0, src);
        s.info = (pointer as u32) << 24;
        s
    }
}

#[inline]
fn is_multicast(a: Ipv4Addr) -> bool {
    a.octets()[0] & 0xf0 == 0xe0
}

/// Builds, into `out`, the ICMP error the kernel's `__icmp_send` would send about `orig`
/// (an IPv4 packet as received, before any TTL decrement).
///
/// Refusals, in this order (all but the source check are `__icmp_send`'s own):
/// `not_an_error_type` (ruta's guard), `not_host_frame`, `dst_broadcast` / `dst_multicast`,
/// `non_first_fragment`, `icmp_error_about_icmp_error` (the offending packet is an ICMP
/// error, or an ICMP type above 18, which the kernel also treats as an error), `truncated`
/// (its ICMP type byte is missing), `src_invalid` (source in 0.0.0.0/8, 255.255.255.255,
/// multicast, or flagged broadcast: the kernel drops those earlier, as martian sources in
/// `ip_route_input_slow`, so it never answers them), `mtu_too_small` (`room <= 20`), and
/// `buffer_too_small`.
///
/// The packet: IPv4 header without options, TOS `(orig.tos & IPTOS_TOS_MASK) |
/// IPTOS_PREC_INTERNETCONTROL`, id from the spec, DF clear (the ICMP socket is
/// `IP_PMTUDISC_DONT`), TTL from the spec, destination the offending source; ICMP header
/// with `info` in bytes 4..8; then as much of the offending packet (from its IP header,
/// to its total length) as fits in `min(route_mtu, 576)` bytes.
pub fn build_icmp_error<T: AsRef<[u8]>>(
    out: &mut [u8],
    orig: &Ipv4Packet<T>,
    spec: &IcmpErrorSpec,
) -> Result<usize, BuildError> {
    if !icmp_type::is_error(spec.icmp_type) {
        return Err(BuildError::NotAnErrorType);
    }
    if spec.not_host_frame {
        return Err(BuildError::NotHostFrame);
    }
    let dst = orig.dst_addr();
    if spec.dst_broadcast || dst == Ipv4Addr::BROADCAST {
        return Err(BuildError::DstBroadcast);
    }
    if is_multicast(dst) {
        return Err(BuildError::DstMulticast);
    }
    if !orig.is_first_fragment() {
        return Err(BuildError::NonFirstFragment);
    }
    if orig.protocol() == ip_proto::ICMP {
        let Some(&t) = orig.payload().first() else {
            return Err(BuildError::Truncated);
        };
        if t > icmp_type::NR_ICMP_TYPES || icmp_type::is_error(t) {
            return Err(BuildError::IcmpErrorAboutIcmpError);
        }
    }
    let src = orig.src_addr();
    if spec.src_broadcast || src == Ipv4Addr::BROADCAST || src.octets()[0] == 0 || is_multicast(src)
    {
        return Err(BuildError::SrcInvalid);
    }
    let room = (spec.route_mtu as usize).min(ICMP_ERROR_MAX) as isize - (IP_LEN + 8) as isize;
    if room <= IP_LEN as isize {
        return Err(BuildError::MtuTooSmall);
    }
    let quote = orig.packet();
    let data_len = quote.len().min(room as usize);
    let total = IP_LEN + 8 + data_len;
    let Some(out) = out.get_mut(..total) else {
        return Err(BuildError::BufferTooSmall);
    };
    let tos = (orig.tos() & IPTOS_TOS_MASK) | IPTOS_PREC_INTERNETCONTROL;
    write_header(
        out,
        tos,
        total as u16,
        spec.ident,
        0,
        spec.ttl,
        ip_proto::ICMP,
        spec.src,
        src,
    )
    .ok_or(BuildError::BufferTooSmall)?;
    let icmp = &mut out[IP_LEN..];
    icmp[0] = spec.icmp_type;
    icmp[1] = spec.code;
    wr16(icmp, 2, 0);
    wr32(icmp, 4, spec.info);
    icmp[8..].copy_from_slice(&quote[..data_len]);
    let c = checksum::checksum(icmp);
    wr16(icmp, 2, c);
    Ok(total)
}

/// Length of the reset [`build_tcp_reset`] writes.
pub const TCP_RESET_LEN: usize = IP_LEN + 20;

/// Builds, into `out`, the TCP RST the kernel's `nf_send_reset` sends for
/// `REJECT --reject-with tcp-reset` about `orig`.
///
/// Refusals, in the kernel's order: `non_first_fragment`, `not_tcp`, `truncated` (no
/// 20-byte TCP header), `is_rst`, `bad_checksum` (the TCP checksum over the whole segment:
/// a first fragment, which the kernel would have reassembled, fails here), then
/// `dst_broadcast` / `dst_multicast` (`RTCF_BROADCAST | RTCF_MULTICAST`; 255.255.255.255
/// and 224.0.0.0/4 recognised without the flag), `buffer_too_small`.
///
/// The packet: IPv4 header TOS 0, id 0, DF, `ttl` (the route's hop limit, default 64),
/// addresses swapped; TCP ports swapped, data offset 5, window 0, and: if the offending
/// segment has ACK, `seq = its ack_seq` and flags RST; else `seq = 0`,
/// `ack_seq = its seq + SYN + FIN + payload length` and flags RST|ACK.
pub fn build_tcp_reset<T: AsRef<[u8]>>(
    out: &mut [u8],
    orig: &Ipv4Packet<T>,
    ttl: u8,
    dst_broadcast: bool,
) -> Result<usize, BuildError> {
    if !orig.is_first_fragment() {
        return Err(BuildError::NonFirstFragment);
    }
    if orig.protocol() != ip_proto::TCP {
        return Err(BuildError::NotTcp);
    }
    let seg = orig.payload();
    if seg.len() < 20 {
        return Err(BuildError::Truncated);
    }
    let flags = seg[13];
    if flags & 0x04 != 0 {
        return Err(BuildError::IsRst);
    }
    let (osrc, odst) = (orig.src_addr(), orig.dst_addr());
    if checksum::l4_checksum(osrc, odst, ip_proto::TCP, seg) != 0 {
        return Err(BuildError::BadChecksum);
    }
    if dst_broadcast || odst == Ipv4Addr::BROADCAST {
        return Err(BuildError::DstBroadcast);
    }
    if is_multicast(odst) {
        return Err(BuildError::DstMulticast);
    }
    let Some(out) = out.get_mut(..TCP_RESET_LEN) else {
        return Err(BuildError::BufferTooSmall);
    };
    write_header(
        out,
        0,
        TCP_RESET_LEN as u16,
        0,
        FLAG_DF,
        ttl,
        ip_proto::TCP,
        odst,
        osrc,
    )
    .ok_or(BuildError::BufferTooSmall)?;
    let t = &mut out[IP_LEN..];
    t.fill(0);
    wr16(t, 0, rd16(seg, 2));
    wr16(t, 2, rd16(seg, 0));
    t[12] = 5 << 4;
    if flags & 0x10 != 0 {
        wr32(t, 4, rd32(seg, 8));
        t[13] = 0x04;
    } else {
        let doff = ((seg[12] >> 4) as u32) * 4;
        let ack = rd32(seg, 4)
            .wrapping_add((flags & 0x02 != 0) as u32)
            .wrapping_add((flags & 0x01 != 0) as u32)
            .wrapping_add(seg.len() as u32)
            .wrapping_sub(doff);
        wr32(t, 8, ack);
        t[13] = 0x14;
    }
    let c = checksum::l4_checksum(odst, osrc, ip_proto::TCP, t);
    wr16(t, 16, c);
    Ok(TCP_RESET_LEN)
}

/// Checks an echo request as `icmp_rcv`/`icmp_echo` would before answering; returns the
/// ICMP message.
fn echo_request<T: AsRef<[u8]>>(req: &Ipv4Packet<T>) -> Result<&[u8], BuildError> {
    if !req.is_first_fragment() {
        return Err(BuildError::NonFirstFragment);
    }
    if req.more_fragments() {
        // The kernel answers the reassembled datagram; ruta does not reassemble here.
        return Err(BuildError::Truncated);
    }
    if req.protocol() != ip_proto::ICMP {
        return Err(BuildError::NotEchoRequest);
    }
    let m = req.payload();
    if m.len() < 8 {
        return Err(BuildError::Truncated);
    }
    if m[0] != icmp_type::ECHO {
        return Err(BuildError::NotEchoRequest);
    }
    if checksum::checksum(m) != 0 {
        return Err(BuildError::BadChecksum);
    }
    Ok(m)
}

/// Builds, into `out`, the echo reply to `req` as the kernel's `icmp_echo`/`icmp_reply`:
/// IPv4 header with the request's TOS, `ident`, DF clear, `ttl`, from `src` (the kernel's
/// `fib_compute_spec_dst`: the request's destination when it was unicast to us) to the
/// request's source; ICMP type 0, the request's code, id, sequence and data.
///
/// Refusals: `non_first_fragment`, `truncated` (a first fragment, or under 8 bytes),
/// `not_echo_request`, `bad_checksum` (the kernel drops those in `icmp_rcv`),
/// `buffer_too_small`. Whether to answer at all (broadcast, `icmp_echo_ignore_*`) is the
/// caller's.
pub fn build_echo_reply<T: AsRef<[u8]>>(
    out: &mut [u8],
    req: &Ipv4Packet<T>,
    src: Ipv4Addr,
    ident: u16,
    ttl: u8,
) -> Result<usize, BuildError> {
    let m = echo_request(req)?;
    let total = IP_LEN + m.len();
    if total > u16::MAX as usize {
        return Err(BuildError::Truncated);
    }
    let Some(out) = out.get_mut(..total) else {
        return Err(BuildError::BufferTooSmall);
    };
    write_header(
        out,
        req.tos(),
        total as u16,
        ident,
        0,
        ttl,
        ip_proto::ICMP,
        src,
        req.src_addr(),
    )
    .ok_or(BuildError::BufferTooSmall)?;
    let icmp = &mut out[IP_LEN..];
    icmp.copy_from_slice(m);
    icmp[0] = icmp_type::ECHO_REPLY;
    let c = rd16(icmp, 2);
    wr16(
        icmp,
        2,
        checksum::update16(c, (icmp_type::ECHO as u16) << 8 | m[1] as u16, m[1] as u16),
    );
    Ok(total)
}

/// Turns the echo request in `pkt` into its reply in place (as [`build_echo_reply`], with
/// the source being the request's destination). Refuses a request with IP options
/// (`has_options`): use [`build_echo_reply`], which drops them. Returns the packet length
/// (the request's total length; padding after it is left as is).
pub fn echo_reply_in_place<T: AsRef<[u8]> + AsMut<[u8]>>(
    pkt: &mut Ipv4Packet<T>,
    ident: u16,
    ttl: u8,
) -> Result<usize, BuildError> {
    let code = echo_request(pkt)?[1];
    if pkt.header_len() != IP_LEN {
        return Err(BuildError::HasOptions);
    }
    let (src, dst) = (pkt.src_addr(), pkt.dst_addr());
    let tos = pkt.tos();
    let total = pkt.total_len();
    let buf = pkt_bytes_mut(pkt);
    write_header(buf, tos, total, ident, 0, ttl, ip_proto::ICMP, dst, src)
        .ok_or(BuildError::BufferTooSmall)?;
    let icmp = &mut buf[IP_LEN..];
    icmp[0] = icmp_type::ECHO_REPLY;
    let c = rd16(icmp, 2);
    wr16(
        icmp,
        2,
        checksum::update16(c, (icmp_type::ECHO as u16) << 8 | code as u16, code as u16),
    );
    Ok(total as usize)
}

fn pkt_bytes_mut<T: AsRef<[u8]> + AsMut<[u8]>>(pkt: &mut Ipv4Packet<T>) -> &mut [u8] {
    let tl = pkt.total_len() as usize;
    pkt.raw_mut().get_mut(..tl).unwrap_or(&mut [])
}

/// Length of an ARP frame as written here (Ethernet header + 28-byte body, unpadded).
pub const ARP_FRAME_LEN: usize = ETH_LEN + 28;

/// Writes an Ethernet II header (`dst`, `src`, `ethertype`) into `out[..14]`, e.g. in the
/// headroom in front of an IP packet. Returns 14.
#[inline]
pub fn write_ethernet_header(
    out: &mut [u8],
    dst: &MacAddr,
    src: &MacAddr,
    ethertype: u16,
) -> Result<usize, BuildError> {
    let Some(h) = out.get_mut(..ETH_LEN) else {
        return Err(BuildError::BufferTooSmall);
    };
    wr_mac(h, 0, dst);
    wr_mac(h, 6, src);
    wr16(h, 12, ethertype);
    Ok(ETH_LEN)
}

#[allow(clippy::too_many_arguments)]
fn arp_frame(
    out: &mut [u8],
    eth_dst: &MacAddr,
    eth_src: &MacAddr,
    op: ArpOperation,
    sha: &MacAddr,
    spa: Ipv4Addr,
    tha: &MacAddr,
    tpa: Ipv4Addr,
) -> Result<usize, BuildError> {
    let Some(f) = out.get_mut(..ARP_FRAME_LEN) else {
        return Err(BuildError::BufferTooSmall);
    };
    write_ethernet_header(f, eth_dst, eth_src, ethertype::ARP)?;
    write_arp(&mut f[ETH_LEN..], op, sha, spa, tha, tpa).ok_or(BuildError::BufferTooSmall)?;
    Ok(ARP_FRAME_LEN)
}

/// Builds the ARP reply to `req` from `our_mac` (for one of our addresses or a proxied one:
/// the caller decides that the target is answered), as the kernel's `arp_send(ARPOP_REPLY,
/// ..)`: Ethernet to the requester's sender hardware address, sender = (`our_mac`, the
/// requested address), target = the requester. Refuses a reply (`not_arp_request`).
pub fn build_arp_reply<T: AsRef<[u8]>>(
    out: &mut [u8],
    req: &ArpPacket<T>,
    our_mac: &MacAddr,
) -> Result<usize, BuildError> {
    if req.operation() != ArpOperation::Request {
        return Err(BuildError::NotArpRequest);
    }
    let sha = req.sender_mac();
    arp_frame(
        out,
        &sha,
        our_mac,
        ArpOperation::Reply,
        our_mac,
        req.target_ip(),
        &sha,
        req.sender_ip(),
    )
}

/// Builds an ARP request for `target_ip` from (`our_mac`, `our_ip`), as the kernel's
/// `arp_solicit`: target hardware address zero; broadcast, or unicast to `unicast_to` when
/// re-confirming a known neighbour (the kernel's unicast probes).
pub fn build_arp_request(
    out: &mut [u8],
    our_mac: &MacAddr,
    our_ip: Ipv4Addr,
    target_ip: Ipv4Addr,
    unicast_to: Option<&MacAddr>,
) -> Result<usize, BuildError> {
    arp_frame(
        out,
        unicast_to.unwrap_or(&MAC_BROADCAST),
        our_mac,
        ArpOperation::Request,
        our_mac,
        our_ip,
        &[0; 6],
        target_ip,
    )
}

/// Builds a gratuitous ARP announcing (`our_mac`, `our_ip`): a broadcast request with sender
/// and target protocol address both `our_ip` and target hardware address zero, as the
/// kernel sends on `arp_notify` / address changes.
pub fn build_gratuitous_arp(
    out: &mut [u8],
    our_mac: &MacAddr,
    our_ip: Ipv4Addr,
) -> Result<usize, BuildError> {
    build_arp_request(out, our_mac, our_ip, our_ip, None)
}

/// Splits `pkt` (a whole IPv4 packet, DF clear, longer than `mtu`) into fragments of at most
/// `mtu` bytes, as the kernel's `ip_do_fragment` (slow path) does for a forwarded packet:
/// every fragment's data is a multiple of 8 bytes but the last; the first fragment keeps
/// all IP options, the others only the options whose "copied" bit is set (padded with
/// end-of-list to a multiple of 4); MF is set on all but the last (and on the last too if
/// `pkt` was itself a non-last fragment); offsets continue `pkt`'s own; every header gets a
/// fresh checksum. The fragments are written back to back into `out`; `ends[i]` receives
/// the end offset of fragment `i`. Returns the number of fragments.
pub fn build_fragments<T: AsRef<[u8]>>(
    out: &mut [u8],
    pkt: &Ipv4Packet<T>,
    mtu: usize,
    ends: &mut [usize],
) -> Result<usize, BuildError> {
    if pkt.dont_fragment() {
        return Err(BuildError::DontFragment);
    }
    let p = pkt.packet();
    let hl = pkt.header_len();
    let data = pkt.payload();
    // the options later fragments carry: only those with the copied flag (0x80)
    let mut copied = [0u8; 40];
    let mut clen = 0;
    let opts = pkt.options();
    let mut i = 0;
    while i < opts.len() {
        match opts[i] {
            0 => break,
            1 => i += 1,
            t => {
                let l = opts.get(i + 1).copied().unwrap_or(0) as usize;
                if l < 2 || i + l > opts.len() {
                    break;
                }
                if t & 0x80 != 0 {
                    copied[clen..clen + l].copy_from_slice(&opts[i..i + l]);
                    clen += l;
                }
                i += l;
            }
        }
    }
    let later_hl = HEADER_LEN + clen.div_ceil(4) * 4;
    if mtu < hl + 8 || mtu < later_hl + 8 {
        return Err(BuildError::MtuTooSmallToFragment);
    }
    let base_off = pkt.frag_offset_bytes();
    let last_mf = pkt.more_fragments();
    let mut at = 0usize; // into data
    let mut w = 0usize; // into out
    let mut n = 0usize;
    while at < data.len() {
        let h = if n == 0 { hl } else { later_hl };
        // the last piece may end anywhere; the others carry a multiple of 8 bytes
        let rest = data.len() - at;
        let take = if rest <= mtu - h {
            rest
        } else {
            (mtu - h) & !7
        };
        let last = at + take == data.len();
        let total = h + take;
        let Some(f) = out.get_mut(w..w + total) else {
            return Err(BuildError::BufferTooSmall);
        };
        let Some(end) = ends.get_mut(n) else {
            return Err(BuildError::TooManyFragments);
        };
        if n == 0 {
            f[..hl].copy_from_slice(&p[..hl]);
        } else {
            f[..HEADER_LEN].copy_from_slice(&p[..HEADER_LEN]);
            f[HEADER_LEN..HEADER_LEN + clen].copy_from_slice(&copied[..clen]);
            f[HEADER_LEN + clen..h].fill(0);
            f[0] = 0x40 | (h / 4) as u8;
        }
        wr16(f, 2, total as u16);
        let off = (base_off + at) / 8;
        let mf = if last { last_mf } else { true };
        wr16(
            f,
            6,
            (off as u16 & OFFSET_MASK) | if mf { FLAG_MF } else { 0 },
        );
        wr16(f, 10, 0);
        let c = checksum::checksum(&f[..h]);
        wr16(f, 10, c);
        f[h..].copy_from_slice(&data[at..at + take]);
        at += take;
        w += total;
        *end = w;
        n += 1;
    }
    Ok(n)
}
