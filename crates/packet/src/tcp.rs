//! TCP segments (RFC 9293 header): ports, sequence numbers, flags, window, checksum.
//!
//! The view covers the L4 bytes of an unfragmented packet (`Ipv4Packet::payload`). For a
//! first fragment, read ports with `Ipv4Packet::l4_ports` instead.

use std::net::Ipv4Addr;

use crate::checksum;
use crate::{ip_proto, rd16, rd32, wr16, Malformed};

/// Length of a TCP header without options.
pub const HEADER_LEN: usize = 20;

/// FIN.
pub const FIN: u16 = 0x001;
/// SYN.
pub const SYN: u16 = 0x002;
/// RST.
pub const RST: u16 = 0x004;
/// PSH.
pub const PSH: u16 = 0x008;
/// ACK.
pub const ACK: u16 = 0x010;
/// URG.
pub const URG: u16 = 0x020;
/// ECE.
pub const ECE: u16 = 0x040;
/// CWR.
pub const CWR: u16 = 0x080;

/// A view over a TCP segment.
#[derive(Clone, Copy, Debug)]
pub struct TcpPacket<T> {
    buf: T,
}

impl<T: AsRef<[u8]>> TcpPacket<T> {
    /// Checks the 20-byte header is there and the data offset is within 5..=len/4 (the
    /// checks of the kernel's `tcp_v4_rcv` and conntrack's `tcp_error`: "truncated packet",
    /// "bad header length"). The checksum is not verified here: see [`Self::verify_checksum`].
    #[inline]
    pub fn new_checked(buf: T) -> Result<Self, Malformed> {
        let b = buf.as_ref();
        if b.len() < HEADER_LEN {
            return Err(Malformed::TcpTruncated);
        }
        let doff = ((b[12] >> 4) as usize) * 4;
        if doff < HEADER_LEN || doff > b.len() {
            return Err(Malformed::TcpBadDataOffset);
        }
        Ok(TcpPacket { buf })
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
    /// Sequence number.
    #[inline]
    pub fn seq(&self) -> u32 {
        rd32(self.b(), 4)
    }
    /// Acknowledgment number.
    #[inline]
    pub fn ack_seq(&self) -> u32 {
        rd32(self.b(), 8)
    }
    /// Header length in bytes (data offset * 4).
    #[inline]
    pub fn header_len(&self) -> usize {
        ((self.b()[12] >> 4) as usize) * 4
    }
    /// The 9 flag bits (NS in bit 8, then CWR ECE URG ACK PSH RST SYN FIN).
    #[inline]
    pub fn flags(&self) -> u16 {
        rd16(self.b(), 12) & 0x01ff
    }
    /// FIN.
    #[inline]
    pub fn fin(&self) -> bool {
        self.flags() & FIN != 0
    }
    /// SYN.
    #[inline]
    pub fn syn(&self) -> bool {
        self.flags() & SYN != 0
    }
    /// RST.
    #[inline]
    pub fn rst(&self) -> bool {
        self.flags() & RST != 0
    }
    /// PSH.
    #[inline]
    pub fn psh(&self) -> bool {
        self.flags() & PSH != 0
    }
    /// ACK.
    #[inline]
    pub fn ack(&self) -> bool {
        self.flags() & ACK != 0
    }
    /// URG.
    #[inline]
    pub fn urg(&self) -> bool {
        self.flags() & URG != 0
    }
    /// ECE.
    #[inline]
    pub fn ece(&self) -> bool {
        self.flags() & ECE != 0
    }
    /// CWR.
    #[inline]
    pub fn cwr(&self) -> bool {
        self.flags() & CWR != 0
    }
    /// Window.
    #[inline]
    pub fn window(&self) -> u16 {
        rd16(self.b(), 14)
    }
    /// Checksum as stored.
    #[inline]
    pub fn checksum(&self) -> u16 {
        rd16(self.b(), 16)
    }
    /// Urgent pointer.
    #[inline]
    pub fn urgent(&self) -> u16 {
        rd16(self.b(), 18)
    }
    /// Options bytes.
    #[inline]
    pub fn options(&self) -> &[u8] {
        self.b().get(HEADER_LEN..self.header_len()).unwrap_or(&[])
    }
    /// Payload.
    #[inline]
    pub fn payload(&self) -> &[u8] {
        self.b().get(self.header_len()..).unwrap_or(&[])
    }
    /// Whether the checksum verifies with this pseudo-header.
    #[inline]
    pub fn verify_checksum(&self, src: Ipv4Addr, dst: Ipv4Addr) -> bool {
        checksum::l4_checksum(src, dst, ip_proto::TCP, self.b()) == 0
    }
}

impl<T: AsRef<[u8]> + AsMut<[u8]>> TcpPacket<T> {
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
    /// Recomputes the checksum over the whole segment.
    #[inline]
    pub fn fill_checksum(&mut self, src: Ipv4Addr, dst: Ipv4Addr) {
        let b = self.buf.as_mut();
        wr16(b, 16, 0);
        let c = checksum::l4_checksum(src, dst, ip_proto::TCP, b);
        wr16(b, 16, c);
    }
}
