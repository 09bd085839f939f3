//! ICMP messages (RFC 792): type, code, checksum, echo id/sequence, next-hop MTU, parameter
//! problem pointer, and the IPv4 header quoted by error messages.

use std::net::Ipv4Addr;

use crate::checksum;
use crate::ipv4::{HEADER_LEN as IPV4_HEADER_LEN, OFFSET_MASK};
use crate::{icmp_type, ip_proto, rd16, rd32, wr16, Malformed};

/// Length of the ICMP header.
pub const HEADER_LEN: usize = 8;

/// Whether type `t` quotes the offending packet after its 8-byte header (destination
/// unreachable, source quench, redirect, time exceeded, parameter problem).
#[inline]
pub const fn carries_quote(t: u8) -> bool {
    matches!(
        t,
        icmp_type::DEST_UNREACH
            | icmp_type::SOURCE_QUENCH
            | icmp_type::REDIRECT
            | icmp_type::TIME_EXCEEDED
            | icmp_type::PARAMETERPROB
    )
}

/// A view over an ICMP message.
#[derive(Clone, Copy, Debug)]
pub struct IcmpPacket<T> {
    buf: T,
}

impl<T: AsRef<[u8]>> IcmpPacket<T> {
    /// Checks the 8-byte header is there. The quoted header of an error is checked by
    /// [`Self::embedded`], the checksum by [`Self::verify_checksum`].
    #[inline]
    pub fn new_checked(buf: T) -> Result<Self, Malformed> {
        if buf.as_ref().len() < HEADER_LEN {
            return Err(Malformed::IcmpTruncated);
        }
        Ok(IcmpPacket { buf })
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

    /// Type.
    #[inline]
    pub fn msg_type(&self) -> u8 {
        self.b()[0]
    }
    /// Code.
    #[inline]
    pub fn code(&self) -> u8 {
        self.b()[1]
    }
    /// Checksum as stored.
    #[inline]
    pub fn checksum(&self) -> u16 {
        rd16(self.b(), 2)
    }
    /// Bytes 4..8 ("rest of header": id/seq, gateway, MTU, pointer).
    #[inline]
    pub fn rest_of_header(&self) -> u32 {
        rd32(self.b(), 4)
    }
    /// Echo (or other query) identifier.
    #[inline]
    pub fn echo_ident(&self) -> u16 {
        rd16(self.b(), 4)
    }
    /// Echo (or other query) sequence number.
    #[inline]
    pub fn echo_seq(&self) -> u16 {
        rd16(self.b(), 6)
    }
    /// Next-hop MTU of a "fragmentation needed" (RFC 1191).
    #[inline]
    pub fn next_hop_mtu(&self) -> u16 {
        rd16(self.b(), 6)
    }
    /// Pointer of a parameter problem.
    #[inline]
    pub fn pointer(&self) -> u8 {
        self.b()[4]
    }
    /// Gateway address of a redirect.
    #[inline]
    pub fn gateway(&self) -> Ipv4Addr {
        Ipv4Addr::from(rd32(self.b(), 4))
    }
    /// Whether the kernel counts this type as an error (see [`icmp_type::is_error`]).
    #[inline]
    pub fn is_error(&self) -> bool {
        icmp_type::is_error(self.msg_type())
    }
    /// Everything after the 8-byte header.
    #[inline]
    pub fn payload(&self) -> &[u8] {
        self.b().get(HEADER_LEN..).unwrap_or(&[])
    }
    /// Whether the checksum over the whole message verifies.
    #[inline]
    pub fn verify_checksum(&self) -> bool {
        checksum::checksum(self.b()) == 0
    }

    /// The IPv4 header quoted by an error message, with whatever follows it.
    ///
    /// Checks: the type quotes a packet (`icmp_not_error`), 20 bytes are there
    /// (`icmp_inner_truncated`), version 4 and IHL >= 5 (`icmp_inner_bad_header`), and the
    /// whole quoted header is there (`icmp_inner_truncated`). The quoted header checksum and
    /// total length are not checked: routers quote what they received, possibly cut.
    pub fn embedded(&self) -> Result<EmbeddedIpv4<'_>, Malformed> {
        if !carries_quote(self.msg_type()) {
            return Err(Malformed::IcmpNotError);
        }
        let q = self.payload();
        if q.len() < IPV4_HEADER_LEN {
            return Err(Malformed::IcmpInnerTruncated);
        }
        let hl = ((q[0] & 0x0f) as usize) * 4;
        if q[0] >> 4 != 4 || hl < IPV4_HEADER_LEN {
            return Err(Malformed::IcmpInnerBadHeader);
        }
        if hl > q.len() {
            return Err(Malformed::IcmpInnerTruncated);
        }
        Ok(EmbeddedIpv4 { bytes: q, hl })
    }
}

impl<T: AsRef<[u8]> + AsMut<[u8]>> IcmpPacket<T> {
    /// Sets type and code (checksum not updated; see [`Self::fill_checksum`]).
    #[inline]
    pub fn set_type_code(&mut self, t: u8, code: u8) {
        let b = self.buf.as_mut();
        b[0] = t;
        b[1] = code;
    }
    /// Recomputes the checksum over the whole message.
    #[inline]
    pub fn fill_checksum(&mut self) {
        let b = self.buf.as_mut();
        wr16(b, 2, 0);
        let c = checksum::checksum(b);
        wr16(b, 2, c);
    }
}

/// The IPv4 header (and following bytes) quoted inside an ICMP error.
#[derive(Clone, Copy, Debug)]
pub struct EmbeddedIpv4<'a> {
    bytes: &'a [u8],
    hl: usize,
}

impl<'a> EmbeddedIpv4<'a> {
    /// All quoted bytes.
    #[inline]
    pub fn bytes(&self) -> &'a [u8] {
        self.bytes
    }
    /// Quoted header length.
    #[inline]
    pub fn header_len(&self) -> usize {
        self.hl
    }
    /// TOS.
    #[inline]
    pub fn tos(&self) -> u8 {
        self.bytes[1]
    }
    /// Total length as claimed by the quoted header (the quote is usually shorter).
    #[inline]
    pub fn total_len(&self) -> u16 {
        rd16(self.bytes, 2)
    }
    /// Identification.
    #[inline]
    pub fn ident(&self) -> u16 {
        rd16(self.bytes, 4)
    }
    /// Fragment offset (8-byte units).
    #[inline]
    pub fn frag_offset(&self) -> u16 {
        rd16(self.bytes, 6) & OFFSET_MASK
    }
    /// TTL.
    #[inline]
    pub fn ttl(&self) -> u8 {
        self.bytes[8]
    }
    /// Protocol.
    #[inline]
    pub fn protocol(&self) -> u8 {
        self.bytes[9]
    }
    /// Header checksum as quoted.
    #[inline]
    pub fn checksum(&self) -> u16 {
        rd16(self.bytes, 10)
    }
    /// Source address.
    #[inline]
    pub fn src_addr(&self) -> Ipv4Addr {
        Ipv4Addr::from(rd32(self.bytes, 12))
    }
    /// Destination address.
    #[inline]
    pub fn dst_addr(&self) -> Ipv4Addr {
        Ipv4Addr::from(rd32(self.bytes, 16))
    }
    /// The quoted L4 bytes (usually 8, possibly more).
    #[inline]
    pub fn l4(&self) -> &'a [u8] {
        self.bytes.get(self.hl..).unwrap_or(&[])
    }
    /// Quoted ports, for a first fragment of TCP/UDP/UDP-Lite/SCTP/DCCP with 4 bytes quoted.
    #[inline]
    pub fn ports(&self) -> Option<(u16, u16)> {
        let l4 = self.l4();
        let has = self.frag_offset() == 0
            && l4.len() >= 4
            && matches!(
                self.protocol(),
                ip_proto::TCP | ip_proto::UDP | ip_proto::UDPLITE | ip_proto::SCTP | ip_proto::DCCP
            );
        has.then(|| (rd16(l4, 0), rd16(l4, 2)))
    }
    /// (type, code, id) of a quoted ICMP query with its 8 bytes quoted.
    #[inline]
    pub fn icmp_query(&self) -> Option<(u8, u8, u16)> {
        let l4 = self.l4();
        let has = self.frag_offset() == 0
            && l4.len() >= 8
            && self.protocol() == ip_proto::ICMP
            && icmp_type::has_query_id(l4[0]);
        has.then(|| (l4[0], l4[1], rd16(l4, 4)))
    }
}
