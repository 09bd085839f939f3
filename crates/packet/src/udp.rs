//! UDP datagrams (RFC 768): ports, length, checksum (0 means none).
//!
//! The view covers the L4 bytes of an unfragmented packet. For a first fragment the length
//! field describes the whole datagram, so `new_checked` refuses it (`udp_bad_length`): read
//! ports with `Ipv4Packet::l4_ports` instead.

use std::net::Ipv4Addr;

use crate::checksum;
use crate::{ip_proto, rd16, wr16, Malformed};

/// Length of the UDP header.
pub const HEADER_LEN: usize = 8;

/// A view over a UDP datagram.
#[derive(Clone, Copy, Debug)]
pub struct UdpPacket<T> {
    buf: T,
}

impl<T: AsRef<[u8]>> UdpPacket<T> {
    /// Checks the 8-byte header and that the length field is within 8..=data (conntrack's
    /// `udp_error`: "short packet", "truncated/malformed packet"). Bytes past the length
    /// field are ignored, as the kernel trims them.
    #[inline]
    pub fn new_checked(buf: T) -> Result<Self, Malformed> {
        let b = buf.as_ref();
        if b.len() < HEADER_LEN {
            return Err(Malformed::UdpTruncated);
        }
        let len = rd16(b, 4) as usize;
        if len < HEADER_LEN || len > b.len() {
            return Err(Malformed::UdpBadLength);
        }
        Ok(UdpPacket { buf })
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

    /// Source port.
    #[inline]
    pub fn src_port(&self) -> u16 {
        rd16(self.b(), 0)
    }
    /// Destination port.
    #[inline]
    pub fn dst_port(&self) -> u16 {
        rd16(self.b(), 2)
    }
    /// Length field (header and payload).
    #[inline]
    pub fn len(&self) -> u16 {
        rd16(self.b(), 4)
    }
    /// Whether the payload is empty.
    #[inline]
    pub fn is_empty(&self) -> bool {
        self.len() as usize == HEADER_LEN
    }
    /// Checksum as stored (0: none).
    #[inline]
    pub fn checksum(&self) -> u16 {
        rd16(self.b(), 6)
    }
    /// The datagram, to its length field.
    #[inline]
    pub fn datagram(&self) -> &[u8] {
        self.b().get(..self.len() as usize).unwrap_or(&[])
    }
    /// Payload, to the length field.
    #[inline]
    pub fn payload(&self) -> &[u8] {
        self.b().get(HEADER_LEN..self.len() as usize).unwrap_or(&[])
    }
    /// Whether the checksum verifies (a checksum of 0 means none, and verifies).
    #[inline]
    pub fn verify_checksum(&self, src: Ipv4Addr, dst: Ipv4Addr) -> bool {
        self.checksum() == 0 || checksum::l4_checksum(src, dst, ip_proto::UDP, self.datagram()) == 0
    }
}

impl<T: AsRef<[u8]> + AsMut<[u8]>> UdpPacket<T> {
    /// Sets the source port (no checksum update; use `Ipv4Packet::set_src_port` for NAT).
    #[inline]
    pub fn set_src_port(&mut self, p: u16) {
        wr16(self.buf.as_mut(), 0, p);
    }
    /// Sets the destination port (no checksum update).
    #[inline]
    pub fn set_dst_port(&mut self, p: u16) {
        wr16(self.buf.as_mut(), 2, p);
    }
    /// Recomputes the checksum (a computed 0 is stored as `0xffff`).
    #[inline]
    pub fn fill_checksum(&mut self, src: Ipv4Addr, dst: Ipv4Addr) {
        let len = self.len() as usize;
        let b = self.buf.as_mut();
        wr16(b, 6, 0);
        let c = checksum::udp_checksum(src, dst, b.get(..len).unwrap_or(&[]));
        wr16(b, 6, c);
    }
}
