//! ARP for Ethernet and IPv4 (RFC 826), requests and replies only.
//!
//! Validation follows the kernel's `arp_rcv` and `arp_process`, in their order: the
//! 28-byte body is all there, hardware length 6 and protocol length 4, hardware type
//! Ethernet or IEEE 802 (`ARPHRD_ETHER`, `ARPHRD_IEEE802`), protocol IPv4, operation request
//! or reply. Which addresses to answer (ours, proxy ARP) is the neighbour code's decision.

use std::net::Ipv4Addr;

use crate::{ethertype, rd16, rd32, rd_mac, wr16, wr32, wr_mac, MacAddr, Malformed};

/// Length of an Ethernet/IPv4 ARP body.
pub const PACKET_LEN: usize = 28;

/// ARP operation.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ArpOperation {
    /// `ARPOP_REQUEST` (1).
    Request,
    /// `ARPOP_REPLY` (2).
    Reply,
}

impl ArpOperation {
    /// The wire value.
    pub const fn code(self) -> u16 {
        match self {
            ArpOperation::Request => 1,
            ArpOperation::Reply => 2,
        }
    }
}

/// A view over an ARP body (after the Ethernet header).
#[derive(Clone, Copy, Debug)]
pub struct ArpPacket<T> {
    buf: T,
}

impl<T: AsRef<[u8]>> ArpPacket<T> {
    /// Checks length, hardware/protocol types and lengths, and the operation.
    #[inline]
    pub fn new_checked(buf: T) -> Result<Self, Malformed> {
        let b = buf.as_ref();
        if b.len() < PACKET_LEN {
            return Err(Malformed::ArpTooShort);
        }
        if b[4] != 6 || b[5] != 4 {
            return Err(Malformed::ArpBadLengths);
        }
        let hrd = rd16(b, 0);
        if hrd != 1 && hrd != 6 {
            return Err(Malformed::ArpBadHardwareType);
        }
        if rd16(b, 2) != ethertype::IPV4 {
            return Err(Malformed::ArpBadProtocolType);
        }
        let op = rd16(b, 6);
        if op != 1 && op != 2 {
            return Err(Malformed::ArpBadOperation);
        }
        Ok(ArpPacket { buf })
    }

    /// The wrapped buffer.
    #[inline]
    pub fn into_inner(self) -> T {
        self.buf
    }

    /// Hardware type (1 Ethernet, or 6 IEEE 802).
    #[inline]
    pub fn hardware_type(&self) -> u16 {
        rd16(self.buf.as_ref(), 0)
    }

    /// Request or reply.
    #[inline]
    pub fn operation(&self) -> ArpOperation {
        if rd16(self.buf.as_ref(), 6) == 1 {
            ArpOperation::Request
        } else {
            ArpOperation::Reply
        }
    }

    /// Sender hardware address.
    #[inline]
    pub fn sender_mac(&self) -> MacAddr {
        rd_mac(self.buf.as_ref(), 8)
    }

    /// Sender protocol address.
    #[inline]
    pub fn sender_ip(&self) -> Ipv4Addr {
        Ipv4Addr::from(rd32(self.buf.as_ref(), 14))
    }

    /// Target hardware address.
    #[inline]
    pub fn target_mac(&self) -> MacAddr {
        rd_mac(self.buf.as_ref(), 18)
    }

    /// Target protocol address.
    #[inline]
    pub fn target_ip(&self) -> Ipv4Addr {
        Ipv4Addr::from(rd32(self.buf.as_ref(), 24))
    }

    /// A gratuitous ARP: sender and target protocol addresses equal.
    #[inline]
    pub fn is_gratuitous(&self) -> bool {
        self.sender_ip() == self.target_ip()
    }
}

impl<T: AsRef<[u8]> + AsMut<[u8]>> ArpPacket<T> {
    /// Sets the operation.
    #[inline]
    pub fn set_operation(&mut self, op: ArpOperation) {
        wr16(self.buf.as_mut(), 6, op.code());
    }
    /// Sets the sender hardware address.
    #[inline]
    pub fn set_sender_mac(&mut self, m: &MacAddr) {
        wr_mac(self.buf.as_mut(), 8, m);
    }
    /// Sets the sender protocol address.
    #[inline]
    pub fn set_sender_ip(&mut self, a: Ipv4Addr) {
        wr32(self.buf.as_mut(), 14, a.into());
    }
    /// Sets the target hardware address.
    #[inline]
    pub fn set_target_mac(&mut self, m: &MacAddr) {
        wr_mac(self.buf.as_mut(), 18, m);
    }
    /// Sets the target protocol address.
    #[inline]
    pub fn set_target_ip(&mut self, a: Ipv4Addr) {
        wr32(self.buf.as_mut(), 24, a.into());
    }
}

/// Writes a 28-byte Ethernet/IPv4 ARP body into `out[..28]`; `None` if `out` is shorter.
pub(crate) fn write_arp(
    out: &mut [u8],
    op: ArpOperation,
    sha: &MacAddr,
    spa: Ipv4Addr,
    tha: &MacAddr,
    tpa: Ipv4Addr,
) -> Option<()> {
    let b = out.get_mut(..PACKET_LEN)?;
    wr16(b, 0, 1);
    wr16(b, 2, ethertype::IPV4);
    b[4] = 6;
    b[5] = 4;
    wr16(b, 6, op.code());
    wr_mac(b, 8, sha);
    wr32(b, 14, spa.into());
    wr_mac(b, 18, tha);
    wr32(b, 24, tpa.into());
    Some(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> [u8; 28] {
        let mut b = [0u8; 28];
        write_arp(
            &mut b,
            ArpOperation::Request,
            &[2, 0, 0, 0, 0, 1],
            Ipv4Addr::new(192, 168, 99, 1),
            &[0; 6],
            Ipv4Addr::new(192, 168, 99, 254),
        )
        .unwrap();
        b
    }

    #[test]
    fn fields() {
        let b = sample();
        let a = ArpPacket::new_checked(&b[..]).unwrap();
        assert_eq!(a.operation(), ArpOperation::Request);
        assert_eq!(a.sender_mac(), [2, 0, 0, 0, 0, 1]);
        assert_eq!(a.sender_ip(), Ipv4Addr::new(192, 168, 99, 1));
        assert_eq!(a.target_ip(), Ipv4Addr::new(192, 168, 99, 254));
        assert_eq!(a.target_mac(), [0; 6]);
        assert!(!a.is_gratuitous());
    }

    #[test]
    fn reasons_in_kernel_order() {
        let b = sample();
        assert_eq!(
            ArpPacket::new_checked(&b[..27]).unwrap_err(),
            Malformed::ArpTooShort
        );
        let mut x = b;
        x[4] = 8;
        x[0] = 9; // both wrong: lengths are checked first (arp_rcv before arp_process)
        assert_eq!(
            ArpPacket::new_checked(&x[..]).unwrap_err(),
            Malformed::ArpBadLengths
        );
        let mut x = b;
        x[1] = 9;
        assert_eq!(
            ArpPacket::new_checked(&x[..]).unwrap_err(),
            Malformed::ArpBadHardwareType
        );
        x[1] = 6; // IEEE 802 is accepted, as the kernel does
        assert!(ArpPacket::new_checked(&x[..]).is_ok());
        let mut x = b;
        x[2] = 0x86;
        assert_eq!(
            ArpPacket::new_checked(&x[..]).unwrap_err(),
            Malformed::ArpBadProtocolType
        );
        let mut x = b;
        x[7] = 3;
        assert_eq!(
            ArpPacket::new_checked(&x[..]).unwrap_err(),
            Malformed::ArpBadOperation
        );
    }

    #[test]
    fn setters() {
        let mut b = sample();
        let mut a = ArpPacket::new_checked(&mut b[..]).unwrap();
        a.set_operation(ArpOperation::Reply);
        a.set_sender_ip(Ipv4Addr::new(1, 2, 3, 4));
        a.set_target_ip(Ipv4Addr::new(1, 2, 3, 4));
        a.set_sender_mac(&[9; 6]);
        a.set_target_mac(&[8; 6]);
        assert_eq!(a.operation(), ArpOperation::Reply);
        assert!(a.is_gratuitous());
        assert_eq!(a.sender_mac(), [9; 6]);
        assert_eq!(a.target_mac(), [8; 6]);
    }
}
