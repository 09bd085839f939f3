//! IPv4 packets: the checked view, fragment fields, and the in-place rewrites of forwarding
//! and NAT, each of which updates every checksum it affects (RFC 1624 eqn. 3).
//!
//! The buffer starts at the IPv4 header and may run past the packet (Ethernet padding):
//! everything here uses the header's total length, never the buffer length, exactly as the
//! kernel trims the skb in `ip_rcv_core` (`pskb_trim_rcsum`).
//!
//! Rewrites covered: TTL decrement, TOS/DSCP, source/destination address (IP header checksum,
//! plus the TCP/UDP checksum through the pseudo-header, except on non-first fragments), TCP/UDP
//! ports, ICMP query ids, and the translation of the IPv4 header quoted in an ICMP error
//! (the kernel's `nf_nat_icmp_reply_translation`). Not covered: DCCP and UDP-Lite checksums
//! (the kernel's NAT updates them; ruta passes those protocols' checksums unchanged), SCTP
//! (its CRC32c does not cover addresses, so only ports would change; not offered).

use std::net::Ipv4Addr;

use crate::checksum::{self, update16, update16_udp, update32, update32_udp};
use crate::{icmp_type, ip_proto, rd16, rd32, wr16, wr32, Malformed, RewriteError};

/// Length of an IPv4 header without options.
pub const HEADER_LEN: usize = 20;
/// Don't Fragment, in the flags/fragment-offset word.
pub const FLAG_DF: u16 = 0x4000;
/// More Fragments, in the flags/fragment-offset word.
pub const FLAG_MF: u16 = 0x2000;
/// Fragment offset mask (units of 8 bytes) in the flags/fragment-offset word.
pub const OFFSET_MASK: u16 = 0x1fff;
/// `IPTOS_TOS_MASK`.
pub const IPTOS_TOS_MASK: u8 = 0x1e;
/// `IPTOS_PREC_INTERNETCONTROL`.
pub const IPTOS_PREC_INTERNETCONTROL: u8 = 0xc0;

/// A view over an IPv4 packet.
#[derive(Clone, Copy, Debug)]
pub struct Ipv4Packet<T> {
    buf: T,
}

impl<T: AsRef<[u8]>> Ipv4Packet<T> {
    /// Validates the header as the kernel's `ip_rcv_core` does, in its order:
    ///
    /// 1. at least 20 bytes (`pskb_may_pull(skb, sizeof(struct iphdr))`) -> `ipv4_too_short`;
    /// 2. version 4 -> `ipv4_bad_version`, then IHL >= 5 -> `ipv4_bad_ihl` (the kernel tests
    ///    both in one `if` and counts both as `InHdrErrors`; ruta names them apart);
    /// 3. IHL * 4 bytes present -> `ipv4_header_truncated`;
    /// 4. header checksum -> `ipv4_bad_checksum` (`InCsumErrors`);
    /// 5. total length <= data -> `ipv4_truncated` (`InTruncatedPkts`);
    /// 6. total length >= IHL * 4 -> `ipv4_bad_total_length`.
    ///
    /// All six are the kernel's checks; nothing extra is tested here. Not done (kernel does,
    /// elsewhere): option parsing and validation (`ip_rcv_options`, which may send a
    /// parameter problem), martian addresses (routing), and L4 checks (conntrack and the
    /// L4 views in this crate).
    #[inline]
    pub fn new_checked(buf: T) -> Result<Self, Malformed> {
        let b = buf.as_ref();
        if b.len() < HEADER_LEN {
            return Err(Malformed::Ipv4TooShort);
        }
        if b[0] >> 4 != 4 {
            return Err(Malformed::Ipv4BadVersion);
        }
        let hl = ((b[0] & 0x0f) as usize) * 4;
        if hl < HEADER_LEN {
            return Err(Malformed::Ipv4BadIhl);
        }
        let Some(header) = b.get(..hl) else {
            return Err(Malformed::Ipv4HeaderTruncated);
        };
        if checksum::checksum(header) != 0 {
            return Err(Malformed::Ipv4BadChecksum);
        }
        let tl = rd16(b, 2) as usize;
        if tl > b.len() {
            return Err(Malformed::Ipv4Truncated);
        }
        if tl < hl {
            return Err(Malformed::Ipv4BadTotalLength);
        }
        Ok(Ipv4Packet { buf })
    }

    /// Wraps a buffer that already passed [`Self::new_checked`] (the pipeline re-wraps
    /// its frame between stages without testing the header again). Accessors index by the
    /// header's own fields: on a buffer that was never checked they may panic, never read
    /// out of bounds.
    #[inline]
    pub fn new_unchecked(buf: T) -> Self {
        Ipv4Packet { buf }
    }

    /// The wrapped buffer.
    #[inline]
    pub fn into_inner(self) -> T {
        self.buf
    }

    #[inline(always)]
    fn b(&self) -> &[u8] {
        self.buf.as_ref()
    }

    /// Version (always 4 on a checked view).
    #[inline]
    pub fn version(&self) -> u8 {
        self.b()[0] >> 4
    }

    /// Header length in bytes (IHL * 4, 20..=60).
    #[inline]
    pub fn header_len(&self) -> usize {
        ((self.b()[0] & 0x0f) as usize) * 4
    }

    /// The TOS byte (DSCP << 2 | ECN).
    #[inline]
    pub fn tos(&self) -> u8 {
        self.b()[1]
    }

    /// DSCP (upper 6 bits of TOS).
    #[inline]
    pub fn dscp(&self) -> u8 {
        self.b()[1] >> 2
    }

    /// ECN (lower 2 bits of TOS).
    #[inline]
    pub fn ecn(&self) -> u8 {
        self.b()[1] & 3
    }

    /// Total length from the header.
    #[inline]
    pub fn total_len(&self) -> u16 {
        rd16(self.b(), 2)
    }

    /// Identification.
    #[inline]
    pub fn ident(&self) -> u16 {
        rd16(self.b(), 4)
    }

    /// The raw flags/fragment-offset word.
    #[inline]
    pub fn frag_word(&self) -> u16 {
        rd16(self.b(), 6)
    }

    /// DF.
    #[inline]
    pub fn dont_fragment(&self) -> bool {
        self.frag_word() & FLAG_DF != 0
    }

    /// MF.
    #[inline]
    pub fn more_fragments(&self) -> bool {
        self.frag_word() & FLAG_MF != 0
    }

    /// Fragment offset in units of 8 bytes.
    #[inline]
    pub fn frag_offset(&self) -> u16 {
        self.frag_word() & OFFSET_MASK
    }

    /// Fragment offset in bytes.
    #[inline]
    pub fn frag_offset_bytes(&self) -> usize {
        self.frag_offset() as usize * 8
    }

    /// Whether this is a fragment (MF set or offset non-zero).
    #[inline]
    pub fn is_fragment(&self) -> bool {
        self.frag_word() & (FLAG_MF | OFFSET_MASK) != 0
    }

    /// Whether this packet carries the start of the L4 header (offset 0; unfragmented
    /// packets included).
    #[inline]
    pub fn is_first_fragment(&self) -> bool {
        self.frag_offset() == 0
    }

    /// TTL.
    #[inline]
    pub fn ttl(&self) -> u8 {
        self.b()[8]
    }

    /// Protocol.
    #[inline]
    pub fn protocol(&self) -> u8 {
        self.b()[9]
    }

    /// Header checksum as stored.
    #[inline]
    pub fn checksum(&self) -> u16 {
        rd16(self.b(), 10)
    }

    /// Source address.
    #[inline]
    pub fn src_addr(&self) -> Ipv4Addr {
        Ipv4Addr::from(rd32(self.b(), 12))
    }

    /// Destination address.
    #[inline]
    pub fn dst_addr(&self) -> Ipv4Addr {
        Ipv4Addr::from(rd32(self.b(), 16))
    }

    /// The packet: header and payload, up to total length (padding excluded).
    #[inline]
    pub fn packet(&self) -> &[u8] {
        let tl = self.total_len() as usize;
        self.b().get(..tl).unwrap_or(&[])
    }

    /// The header, options included.
    #[inline]
    pub fn header(&self) -> &[u8] {
        self.b().get(..self.header_len()).unwrap_or(&[])
    }

    /// The options (empty when IHL is 5).
    #[inline]
    pub fn options(&self) -> &[u8] {
        self.b().get(HEADER_LEN..self.header_len()).unwrap_or(&[])
    }

    /// The payload, up to total length (for a fragment: this fragment's part only).
    #[inline]
    pub fn payload(&self) -> &[u8] {
        let tl = self.total_len() as usize;
        self.b().get(self.header_len()..tl).unwrap_or(&[])
    }

    /// Whether source and destination ports can be read: a first fragment (or whole
    /// packet) of TCP, UDP, UDP-Lite, SCTP or DCCP with at least 4 payload bytes.
    #[inline]
    pub fn has_l4_ports(&self) -> bool {
        self.is_first_fragment()
            && matches!(
                self.protocol(),
                ip_proto::TCP | ip_proto::UDP | ip_proto::UDPLITE | ip_proto::SCTP | ip_proto::DCCP
            )
            && self.payload().len() >= 4
    }

    /// (source port, destination port) when [`Self::has_l4_ports`].
    #[inline]
    pub fn l4_ports(&self) -> Option<(u16, u16)> {
        if self.has_l4_ports() {
            let p = self.payload();
            Some((rd16(p, 0), rd16(p, 2)))
        } else {
            None
        }
    }

    /// (ICMP type, code, query id) of a first fragment of ICMP with its 8-byte header; the
    /// id is `Some` only for the query types that carry one (echo, timestamp, ...).
    #[inline]
    pub fn icmp_type_code_id(&self) -> Option<(u8, u8, Option<u16>)> {
        if !self.is_first_fragment() || self.protocol() != ip_proto::ICMP {
            return None;
        }
        let p = self.payload();
        if p.len() < 8 {
            return None;
        }
        let t = p[0];
        let id = if icmp_type::has_query_id(t) {
            Some(rd16(p, 4))
        } else {
            None
        };
        Some((t, p[1], id))
    }

    /// Verifies the L4 checksum of a whole (unfragmented) packet: TCP and UDP with the
    /// pseudo-header (UDP checksum 0 means none and verifies), ICMP over its message.
    /// `None` when it cannot be verified here: a fragment, or another protocol.
    pub fn l4_checksum_ok(&self) -> Option<bool> {
        if self.is_fragment() {
            return None;
        }
        let p = self.payload();
        let (s, d) = (self.src_addr(), self.dst_addr());
        match self.protocol() {
            ip_proto::TCP => Some(checksum::l4_checksum(s, d, ip_proto::TCP, p) == 0),
            ip_proto::UDP => {
                if p.len() >= 8 && rd16(p, 6) == 0 {
                    Some(true)
                } else {
                    Some(checksum::l4_checksum(s, d, ip_proto::UDP, p) == 0)
                }
            }
            ip_proto::ICMP => Some(checksum::checksum(p) == 0),
            _ => None,
        }
    }
}

/// Where the parts of an ICMP error's quoted packet are, as offsets in the outer packet.
#[derive(Clone, Copy, Debug)]
struct Quote {
    /// Offset of the outer ICMP checksum.
    outer_ck: usize,
    /// Offset of the quoted IPv4 header.
    ip: usize,
    /// Offset of the quoted L4 header.
    l4: usize,
    /// Quoted protocol.
    proto: u8,
    /// Whether the quoted packet is a first fragment (carries L4 header).
    first: bool,
    /// End of the outer packet (total length).
    end: usize,
}

/// Writes a 16-bit word inside an ICMP message and updates the message's checksum.
#[inline(always)]
fn put16_icmp(b: &mut [u8], off: usize, new: u16, outer_ck: usize) {
    let old = rd16(b, off);
    if old != new {
        wr16(b, off, new);
        let c = rd16(b, outer_ck);
        wr16(b, outer_ck, update16(c, old, new));
    }
}

/// Applies an address change to the L4 checksum found at `l4` (pseudo-header), when the
/// bytes hold it: TCP only with its full 20-byte header (as the kernel's `tcp_manip_pkt`),
/// UDP with its 8 bytes and a non-zero checksum. `put` writes the new checksum.
#[inline(always)]
fn pseudo_update(
    b: &mut [u8],
    l4: usize,
    end: usize,
    proto: u8,
    old: u32,
    new: u32,
    mut put: impl FnMut(&mut [u8], usize, u16),
) {
    match proto {
        ip_proto::TCP if l4 + 20 <= end => {
            let c = rd16(b, l4 + 16);
            put(b, l4 + 16, update32(c, old, new));
        }
        ip_proto::UDP if l4 + 8 <= end => {
            let c = rd16(b, l4 + 6);
            put(b, l4 + 6, update32_udp(c, old, new));
        }
        _ => {}
    }
}

impl<T: AsRef<[u8]> + AsMut<[u8]>> Ipv4Packet<T> {
    /// The whole buffer, writable (crate-internal: callers could break the checked header).
    #[inline(always)]
    pub(crate) fn raw_mut(&mut self) -> &mut [u8] {
        self.buf.as_mut()
    }

    /// The packet bytes (to total length), writable.
    #[inline(always)]
    fn pkt_mut(&mut self) -> &mut [u8] {
        let tl = rd16(self.buf.as_ref(), 2) as usize;
        self.buf.as_mut().get_mut(..tl).unwrap_or(&mut [])
    }

    /// Writes a 16-bit header word and updates the header checksum.
    #[inline(always)]
    fn put_header16(&mut self, off: usize, new: u16) {
        let b = self.pkt_mut();
        let old = rd16(b, off);
        wr16(b, off, new);
        let c = rd16(b, 10);
        wr16(b, 10, update16(c, old, new));
    }

    /// Decrements the TTL and updates the header checksum (the kernel's `ip_decrease_ttl`).
    /// Returns the new TTL. The caller checks `ttl() <= 1` first (time exceeded); a TTL of 0
    /// is refused and left alone.
    #[inline]
    pub fn decrement_ttl(&mut self) -> Result<u8, RewriteError> {
        let ttl = self.ttl();
        if ttl == 0 {
            return Err(RewriteError::TtlZero);
        }
        let w = rd16(self.buf.as_ref(), 8);
        self.put_header16(8, w - 0x0100);
        Ok(ttl - 1)
    }

    /// Sets the TTL (header checksum updated).
    #[inline]
    pub fn set_ttl(&mut self, ttl: u8) {
        let proto = self.protocol();
        self.put_header16(8, u16::from_be_bytes([ttl, proto]));
    }

    /// Sets the TOS byte (header checksum updated).
    #[inline]
    pub fn set_tos(&mut self, tos: u8) {
        let b0 = self.buf.as_ref()[0];
        self.put_header16(0, u16::from_be_bytes([b0, tos]));
    }

    /// Sets the DSCP (low 6 bits of `dscp`), keeping ECN (the kernel's `ipv4_change_dsfield`
    /// with mask 0x03).
    #[inline]
    pub fn set_dscp(&mut self, dscp: u8) {
        let tos = ((dscp & 0x3f) << 2) | self.ecn();
        self.set_tos(tos);
    }

    /// Sets the identification (header checksum updated).
    #[inline]
    pub fn set_ident(&mut self, id: u16) {
        self.put_header16(4, id);
    }

    /// Recomputes the header checksum from scratch.
    #[inline]
    pub fn fill_checksum(&mut self) {
        let hl = self.header_len();
        let b = self.buf.as_mut();
        wr16(b, 10, 0);
        let c = checksum::checksum(b.get(..hl).unwrap_or(&[]));
        wr16(b, 10, c);
    }

    fn set_addr(&mut self, off: usize, new: Ipv4Addr) {
        let new = u32::from(new);
        let hl = self.header_len();
        let proto = self.protocol();
        let first = self.is_first_fragment();
        let b = self.pkt_mut();
        let old = rd32(b, off);
        if old == new {
            return;
        }
        wr32(b, off, new);
        let c = rd16(b, 10);
        wr16(b, 10, update32(c, old, new));
        if first {
            let end = b.len();
            pseudo_update(b, hl, end, proto, old, new, wr16);
        }
    }

    /// Completes the TCP or UDP checksum over the whole segment, as the kernel's
    /// `skb_checksum_help` does for a `CHECKSUM_PARTIAL` packet: frames a local stack sent
    /// through a veth or virtio device with checksum offload carry only the pseudo-header
    /// sum (AF_PACKET marks them `TP_STATUS_CSUMNOTREADY`), and must be finished before
    /// they leave by another interface. A UDP checksum of 0 (none) stays 0. Not for
    /// fragments (offload never splits them) or other protocols: those are left alone.
    pub fn fill_l4_checksum(&mut self) {
        if self.is_fragment() {
            return;
        }
        let (src, dst, proto, hl) = (
            self.src_addr(),
            self.dst_addr(),
            self.protocol(),
            self.header_len(),
        );
        let seg = &mut self.pkt_mut()[hl..];
        match proto {
            ip_proto::TCP if seg.len() >= 20 => {
                wr16(seg, 16, 0);
                let c = checksum::l4_checksum(src, dst, ip_proto::TCP, seg);
                wr16(seg, 16, c);
            }
            ip_proto::UDP if seg.len() >= 8 => {
                if rd16(seg, 6) == 0 {
                    return;
                }
                let len = (rd16(seg, 4) as usize).clamp(8, seg.len());
                wr16(seg, 6, 0);
                let c = checksum::udp_checksum(src, dst, &seg[..len]);
                wr16(seg, 6, c);
            }
            _ => {}
        }
    }

    /// Sets the source address: header checksum, and the TCP/UDP checksum through the
    /// pseudo-header when this packet holds it (not on non-first fragments; TCP only when
    /// its 20-byte header is present; UDP only when its checksum is non-zero).
    #[inline]
    pub fn set_src_addr(&mut self, a: Ipv4Addr) {
        self.set_addr(12, a);
    }

    /// Sets the destination address (checksums as [`Self::set_src_addr`]).
    #[inline]
    pub fn set_dst_addr(&mut self, a: Ipv4Addr) {
        self.set_addr(16, a);
    }

    fn set_port(&mut self, which: usize, port: u16) -> Result<(), RewriteError> {
        if !self.is_first_fragment() {
            return Err(RewriteError::NotFirstFragment);
        }
        let proto = self.protocol();
        if proto != ip_proto::TCP && proto != ip_proto::UDP {
            return Err(RewriteError::WrongProtocol);
        }
        let l4 = self.header_len();
        let b = self.pkt_mut();
        let end = b.len();
        if l4 + 8 > end {
            return Err(RewriteError::L4Truncated);
        }
        let old = rd16(b, l4 + which);
        wr16(b, l4 + which, port);
        if proto == ip_proto::TCP {
            if l4 + 20 <= end {
                let c = rd16(b, l4 + 16);
                wr16(b, l4 + 16, update16(c, old, port));
            }
        } else {
            let c = rd16(b, l4 + 6);
            wr16(b, l4 + 6, update16_udp(c, old, port));
        }
        Ok(())
    }

    /// Sets the TCP/UDP source port, updating the L4 checksum (TCP: when its 20-byte header
    /// is present; UDP: unless 0). Needs a first fragment with 8 bytes of L4 header.
    #[inline]
    pub fn set_src_port(&mut self, port: u16) -> Result<(), RewriteError> {
        self.set_port(0, port)
    }

    /// Sets the TCP/UDP destination port (as [`Self::set_src_port`]).
    #[inline]
    pub fn set_dst_port(&mut self, port: u16) -> Result<(), RewriteError> {
        self.set_port(2, port)
    }

    /// Sets the identifier of an ICMP query (echo, timestamp, info, address mask, and their
    /// replies), updating the ICMP checksum (the kernel's `icmp_manip_pkt`).
    pub fn set_icmp_query_id(&mut self, id: u16) -> Result<(), RewriteError> {
        if !self.is_first_fragment() {
            return Err(RewriteError::NotFirstFragment);
        }
        if self.protocol() != ip_proto::ICMP {
            return Err(RewriteError::WrongProtocol);
        }
        let l4 = self.header_len();
        let b = self.pkt_mut();
        if l4 + 8 > b.len() {
            return Err(RewriteError::L4Truncated);
        }
        if !icmp_type::has_query_id(b[l4]) {
            return Err(RewriteError::NotIcmpQuery);
        }
        put16_icmp(b, l4 + 4, id, l4 + 2);
        Ok(())
    }

    /// Locates the packet quoted by an ICMP error (destination unreachable, source quench,
    /// redirect, time exceeded, parameter problem).
    fn quote(&self) -> Result<Quote, RewriteError> {
        if !self.is_first_fragment() {
            return Err(RewriteError::NotFirstFragment);
        }
        if self.protocol() != ip_proto::ICMP {
            return Err(RewriteError::WrongProtocol);
        }
        let o = self.header_len();
        let b = self.packet();
        let end = b.len();
        if o + 8 > end {
            return Err(RewriteError::L4Truncated);
        }
        if !crate::icmp::carries_quote(b[o]) {
            return Err(RewriteError::NotIcmpError);
        }
        let ip = o + 8;
        if ip + HEADER_LEN > end || b[ip] >> 4 != 4 {
            return Err(RewriteError::InnerMalformed);
        }
        let ihl = ((b[ip] & 0x0f) as usize) * 4;
        if ihl < HEADER_LEN || ip + ihl > end {
            return Err(RewriteError::InnerMalformed);
        }
        Ok(Quote {
            outer_ck: o + 2,
            ip,
            l4: ip + ihl,
            proto: b[ip + 9],
            first: rd16(b, ip + 6) & OFFSET_MASK == 0,
            end,
        })
    }

    fn quote_set_addr(&mut self, field: usize, a: Ipv4Addr) -> Result<(), RewriteError> {
        let q = self.quote()?;
        if q.first
            && matches!(q.proto, ip_proto::TCP | ip_proto::UDP | ip_proto::ICMP)
            && q.l4 + 8 > q.end
        {
            // The kernel's l4proto_manip_pkt cannot make 8 L4 bytes writable: it drops.
            return Err(RewriteError::L4Truncated);
        }
        let b = self.pkt_mut();
        let off = q.ip + field;
        let old = rd32(b, off);
        let new = u32::from(a);
        if old == new {
            return Ok(());
        }
        put16_icmp(b, off, (new >> 16) as u16, q.outer_ck);
        put16_icmp(b, off + 2, new as u16, q.outer_ck);
        let c = rd16(b, q.ip + 10);
        put16_icmp(b, q.ip + 10, update32(c, old, new), q.outer_ck);
        if q.first {
            pseudo_update(b, q.l4, q.end, q.proto, old, new, |b, o, v| {
                put16_icmp(b, o, v, q.outer_ck)
            });
        }
        Ok(())
    }

    /// In an ICMP error, sets the source address of the quoted IPv4 header, updating the
    /// quoted header's checksum, the quoted TCP/UDP checksum when the quote holds it (TCP:
    /// its whole 20-byte header quoted, as the kernel's `tcp_manip_pkt`; UDP: non-zero), and
    /// the outer ICMP checksum. Refused, with nothing changed, when the quote holds fewer
    /// than 8 bytes of a quoted TCP/UDP/ICMP first fragment (`l4_truncated`: the kernel
    /// drops such a packet). The outer IPv4 header is left to [`Self::set_src_addr`] /
    /// [`Self::set_dst_addr`]. Unlike the kernel, which recomputes the outer ICMP checksum
    /// over the whole message after verifying it, this updates it incrementally: the same
    /// result for a message whose checksum was right.
    #[inline]
    pub fn icmp_quote_set_src_addr(&mut self, a: Ipv4Addr) -> Result<(), RewriteError> {
        self.quote_set_addr(12, a)
    }

    /// In an ICMP error, sets the destination address of the quoted IPv4 header (checksums
    /// as [`Self::icmp_quote_set_src_addr`]).
    #[inline]
    pub fn icmp_quote_set_dst_addr(&mut self, a: Ipv4Addr) -> Result<(), RewriteError> {
        self.quote_set_addr(16, a)
    }

    fn quote_set_port(&mut self, which: usize, port: u16) -> Result<(), RewriteError> {
        let q = self.quote()?;
        if !q.first {
            return Err(RewriteError::NotFirstFragment);
        }
        if q.proto != ip_proto::TCP && q.proto != ip_proto::UDP {
            return Err(RewriteError::WrongProtocol);
        }
        if q.l4 + 8 > q.end {
            return Err(RewriteError::L4Truncated);
        }
        let b = self.pkt_mut();
        let old = rd16(b, q.l4 + which);
        put16_icmp(b, q.l4 + which, port, q.outer_ck);
        if q.proto == ip_proto::TCP {
            if q.l4 + 20 <= q.end {
                let c = rd16(b, q.l4 + 16);
                put16_icmp(b, q.l4 + 16, update16(c, old, port), q.outer_ck);
            }
        } else {
            let c = rd16(b, q.l4 + 6);
            put16_icmp(b, q.l4 + 6, update16_udp(c, old, port), q.outer_ck);
        }
        Ok(())
    }

    /// In an ICMP error, sets the source port of the quoted TCP/UDP header (quoted L4
    /// checksum when quoted in full for TCP, or non-zero for UDP; outer ICMP checksum).
    #[inline]
    pub fn icmp_quote_set_src_port(&mut self, port: u16) -> Result<(), RewriteError> {
        self.quote_set_port(0, port)
    }

    /// In an ICMP error, sets the destination port of the quoted TCP/UDP header.
    #[inline]
    pub fn icmp_quote_set_dst_port(&mut self, port: u16) -> Result<(), RewriteError> {
        self.quote_set_port(2, port)
    }

    /// In an ICMP error quoting an ICMP query (e.g. time exceeded about an echo request),
    /// sets the quoted query id (quoted ICMP checksum and outer ICMP checksum updated).
    pub fn icmp_quote_set_query_id(&mut self, id: u16) -> Result<(), RewriteError> {
        let q = self.quote()?;
        if !q.first {
            return Err(RewriteError::NotFirstFragment);
        }
        if q.proto != ip_proto::ICMP {
            return Err(RewriteError::WrongProtocol);
        }
        if q.l4 + 8 > q.end {
            return Err(RewriteError::L4Truncated);
        }
        let b = self.pkt_mut();
        if !icmp_type::has_query_id(b[q.l4]) {
            return Err(RewriteError::NotIcmpQuery);
        }
        let old = rd16(b, q.l4 + 4);
        put16_icmp(b, q.l4 + 4, id, q.outer_ck);
        let c = rd16(b, q.l4 + 2);
        put16_icmp(b, q.l4 + 2, update16(c, old, id), q.outer_ck);
        Ok(())
    }
}

/// Writes a 20-byte IPv4 header (no options) with its checksum into `out[..20]`.
#[allow(clippy::too_many_arguments)]
pub(crate) fn write_header(
    out: &mut [u8],
    tos: u8,
    total_len: u16,
    ident: u16,
    frag_word: u16,
    ttl: u8,
    proto: u8,
    src: Ipv4Addr,
    dst: Ipv4Addr,
) -> Option<()> {
    let h = out.get_mut(..HEADER_LEN)?;
    h[0] = 0x45;
    h[1] = tos;
    wr16(h, 2, total_len);
    wr16(h, 4, ident);
    wr16(h, 6, frag_word);
    h[8] = ttl;
    h[9] = proto;
    wr16(h, 10, 0);
    wr32(h, 12, src.into());
    wr32(h, 16, dst.into());
    let c = checksum::checksum(h);
    wr16(h, 10, c);
    Some(())
}
