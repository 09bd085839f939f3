//! Ethernet II frames, with at most one 802.1Q tag read.
//!
//! Owns the 14-byte (or 18-byte, tagged) link header: addresses, EtherType, VLAN tag. A second
//! tag (QinQ) is not parsed: the EtherType reported is then 0x8100 / 0x88a8 and the caller
//! drops the frame as an unknown protocol. Frames shorter than 60 bytes are accepted (the
//! kernel does the same for what AF_PACKET hands it); padding is the IP layer's business.

use crate::{ethertype, rd16, rd_mac, wr16, wr_mac, MacAddr, Malformed};

/// Length of an untagged Ethernet II header.
pub const HEADER_LEN: usize = 14;
/// Length of a header with one 802.1Q tag.
pub const VLAN_HEADER_LEN: usize = 18;

/// An 802.1Q tag control information field.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct VlanTag {
    /// Priority code point (3 bits).
    pub pcp: u8,
    /// Drop eligible indicator.
    pub dei: bool,
    /// VLAN id (12 bits).
    pub vid: u16,
}

/// A view over an Ethernet II frame.
#[derive(Clone, Copy, Debug)]
pub struct EthernetFrame<T> {
    buf: T,
    header_len: usize,
}

impl<T: AsRef<[u8]>> EthernetFrame<T> {
    /// Checks that the header (and the tag, when EtherType is 0x8100) is all there.
    #[inline]
    pub fn new_checked(buf: T) -> Result<Self, Malformed> {
        let b = buf.as_ref();
        if b.len() < HEADER_LEN {
            return Err(Malformed::EthernetTooShort);
        }
        let header_len = if rd16(b, 12) == ethertype::VLAN {
            if b.len() < VLAN_HEADER_LEN {
                return Err(Malformed::VlanTooShort);
            }
            VLAN_HEADER_LEN
        } else {
            HEADER_LEN
        };
        Ok(EthernetFrame { buf, header_len })
    }

    /// The wrapped buffer.
    #[inline]
    pub fn into_inner(self) -> T {
        self.buf
    }

    /// Destination MAC.
    #[inline]
    pub fn dst(&self) -> MacAddr {
        rd_mac(self.buf.as_ref(), 0)
    }

    /// Source MAC.
    #[inline]
    pub fn src(&self) -> MacAddr {
        rd_mac(self.buf.as_ref(), 6)
    }

    /// The EtherType of the payload (after the VLAN tag, if any).
    #[inline]
    pub fn ethertype(&self) -> u16 {
        rd16(self.buf.as_ref(), self.header_len - 2)
    }

    /// The 802.1Q tag, if the frame carries one.
    #[inline]
    pub fn vlan(&self) -> Option<VlanTag> {
        if self.header_len == VLAN_HEADER_LEN {
            let tci = rd16(self.buf.as_ref(), 14);
            Some(VlanTag {
                pcp: (tci >> 13) as u8,
                dei: tci & 0x1000 != 0,
                vid: tci & 0x0fff,
            })
        } else {
            None
        }
    }

    /// 14, or 18 with a VLAN tag.
    #[inline]
    pub fn header_len(&self) -> usize {
        self.header_len
    }

    /// Whether the destination is the broadcast address.
    #[inline]
    pub fn is_broadcast(&self) -> bool {
        self.dst() == crate::MAC_BROADCAST
    }

    /// Whether the destination is a group address (multicast or broadcast).
    #[inline]
    pub fn is_multicast(&self) -> bool {
        self.buf.as_ref()[0] & 1 != 0
    }

    /// Everything after the link header (including any padding).
    #[inline]
    pub fn payload(&self) -> &[u8] {
        self.buf.as_ref().get(self.header_len..).unwrap_or(&[])
    }
}

impl<T: AsRef<[u8]> + AsMut<[u8]>> EthernetFrame<T> {
    /// Sets the destination MAC.
    #[inline]
    pub fn set_dst(&mut self, mac: &MacAddr) {
        wr_mac(self.buf.as_mut(), 0, mac);
    }

    /// Sets the source MAC.
    #[inline]
    pub fn set_src(&mut self, mac: &MacAddr) {
        wr_mac(self.buf.as_mut(), 6, mac);
    }

    /// Sets the payload EtherType (after the tag, if any).
    #[inline]
    pub fn set_ethertype(&mut self, t: u16) {
        let off = self.header_len - 2;
        wr16(self.buf.as_mut(), off, t);
    }

    /// The payload, writable.
    #[inline]
    pub fn payload_mut(&mut self) -> &mut [u8] {
        let hl = self.header_len;
        self.buf.as_mut().get_mut(hl..).unwrap_or(&mut [])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn untagged_and_tagged() {
        let mut f = [0u8; 64];
        f[0..6].copy_from_slice(&[2, 2, 3, 4, 5, 6]);
        f[6..12].copy_from_slice(&[7, 8, 9, 10, 11, 12]);
        f[12..14].copy_from_slice(&0x0800u16.to_be_bytes());
        let e = EthernetFrame::new_checked(&f[..]).unwrap();
        assert_eq!(e.dst(), [2, 2, 3, 4, 5, 6]);
        assert_eq!(e.src(), [7, 8, 9, 10, 11, 12]);
        assert_eq!(e.ethertype(), 0x0800);
        assert_eq!(e.vlan(), None);
        assert_eq!(e.payload().len(), 50);
        assert!(!e.is_multicast());

        f[12..14].copy_from_slice(&0x8100u16.to_be_bytes());
        f[14..16].copy_from_slice(&0xb00au16.to_be_bytes());
        f[16..18].copy_from_slice(&0x0806u16.to_be_bytes());
        let e = EthernetFrame::new_checked(&f[..]).unwrap();
        assert_eq!(e.ethertype(), 0x0806);
        assert_eq!(
            e.vlan(),
            Some(VlanTag {
                pcp: 5,
                dei: true,
                vid: 10
            })
        );
        assert_eq!(e.header_len(), 18);
        assert_eq!(
            EthernetFrame::new_checked(&f[..17]).unwrap_err(),
            Malformed::VlanTooShort
        );
        assert_eq!(
            EthernetFrame::new_checked(&f[..13]).unwrap_err(),
            Malformed::EthernetTooShort
        );
    }

    #[test]
    fn setters() {
        let mut f = [0u8; 20];
        let mut e = EthernetFrame::new_checked(&mut f[..]).unwrap();
        e.set_dst(&crate::MAC_BROADCAST);
        e.set_src(&[2, 0, 0, 0, 0, 1]);
        e.set_ethertype(0x0806);
        e.payload_mut()[0] = 9;
        assert!(e.is_broadcast() && e.is_multicast());
        assert_eq!(e.ethertype(), 0x0806);
        assert_eq!(f[14], 9);
    }
}
