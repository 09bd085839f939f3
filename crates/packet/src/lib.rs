//! ruta-packet: typed views over frame bytes, in-place rewrites, and incremental checksums.
//!
//! Owns the wire formats ruta forwards: Ethernet II with one optional 802.1Q tag
//! ([`ethernet`]), ARP for Ethernet/IPv4 ([`arp`]), IPv4 ([`ipv4`]), TCP ([`tcp`]), UDP
//! ([`udp`]) and ICMP ([`icmp`]); the Internet checksum and its RFC 1624 incremental update
//! ([`checksum`]); the in-place rewrites NAT and forwarding need (TTL, addresses, ports, ICMP
//! ids, TOS, and the translation of the IPv4 header quoted inside an ICMP error), each one
//! updating every checksum it touches; and the builders for the packets a router originates
//! (ICMP errors, TCP resets, echo replies, ARP) ([`build`]).
//!
//! The model is smoltcp's `wire` module: a view `Xxx<T: AsRef<[u8]>>` wraps a buffer, checks
//! its bounds once in `new_checked`, then reads fields with cheap getters; setters exist where
//! `T: AsMut<[u8]>`. Tuned for a router fast path: nothing here allocates, and nothing panics
//! on any input (malformed bytes are an `Err` with a named reason, see [`Malformed`]).
//!
//! It must not know about routing, conntrack, rules, interfaces, sockets or threads: the
//! caller tells it whatever the kernel would learn from the route or the device (for example
//! whether a destination is a broadcast address).

pub mod arp;
pub mod build;
pub mod checksum;
mod error;
pub mod ethernet;
pub mod icmp;
pub mod ipv4;
pub mod tcp;
pub mod udp;

#[cfg(test)]
mod oracle_vectors;
#[cfg(test)]
mod tests;

pub use arp::{ArpOperation, ArpPacket};
pub use build::{
    build_arp_reply, build_arp_request, build_echo_reply, build_fragments, build_gratuitous_arp,
    build_icmp_error, build_tcp_reset, echo_reply_in_place, write_ethernet_header, IcmpErrorSpec,
};
pub use error::{BuildError, Malformed, RewriteError};
pub use ethernet::{EthernetFrame, VlanTag};
pub use icmp::{EmbeddedIpv4, IcmpPacket};
pub use ipv4::Ipv4Packet;
pub use tcp::TcpPacket;
pub use udp::UdpPacket;

/// An Ethernet (EUI-48) address.
pub type MacAddr = [u8; 6];

/// The Ethernet broadcast address.
pub const MAC_BROADCAST: MacAddr = [0xff; 6];

/// EtherType values ruta reads (the kernel's `ETH_P_*`).
pub mod ethertype {
    /// `ETH_P_IP`.
    pub const IPV4: u16 = 0x0800;
    /// `ETH_P_ARP`.
    pub const ARP: u16 = 0x0806;
    /// `ETH_P_8021Q`: one VLAN tag follows.
    pub const VLAN: u16 = 0x8100;
    /// `ETH_P_IPV6`.
    pub const IPV6: u16 = 0x86dd;
}

/// IP protocol numbers (the kernel's `IPPROTO_*`).
pub mod ip_proto {
    pub const ICMP: u8 = 1;
    pub const TCP: u8 = 6;
    pub const UDP: u8 = 17;
    pub const DCCP: u8 = 33;
    pub const GRE: u8 = 47;
    pub const SCTP: u8 = 132;
    pub const UDPLITE: u8 = 136;
}

/// ICMP types and codes (the kernel's `include/uapi/linux/icmp.h`).
pub mod icmp_type {
    pub const ECHO_REPLY: u8 = 0;
    pub const DEST_UNREACH: u8 = 3;
    pub const SOURCE_QUENCH: u8 = 4;
    pub const REDIRECT: u8 = 5;
    pub const ECHO: u8 = 8;
    pub const TIME_EXCEEDED: u8 = 11;
    pub const PARAMETERPROB: u8 = 12;
    pub const TIMESTAMP: u8 = 13;
    pub const TIMESTAMPREPLY: u8 = 14;
    pub const INFO_REQUEST: u8 = 15;
    pub const INFO_REPLY: u8 = 16;
    pub const ADDRESS: u8 = 17;
    pub const ADDRESSREPLY: u8 = 18;
    /// `NR_ICMP_TYPES`: the highest type the kernel knows.
    pub const NR_ICMP_TYPES: u8 = 18;

    /// Codes of `DEST_UNREACH`.
    pub const NET_UNREACH: u8 = 0;
    pub const HOST_UNREACH: u8 = 1;
    pub const PROT_UNREACH: u8 = 2;
    pub const PORT_UNREACH: u8 = 3;
    pub const FRAG_NEEDED: u8 = 4;
    pub const NET_UNKNOWN: u8 = 6;
    pub const HOST_UNKNOWN: u8 = 7;
    pub const NET_ANO: u8 = 9;
    pub const HOST_ANO: u8 = 10;
    pub const PKT_FILTERED: u8 = 13;
    /// Codes of `TIME_EXCEEDED`.
    pub const EXC_TTL: u8 = 0;
    pub const EXC_FRAGTIME: u8 = 1;

    /// Whether the kernel treats `t` as an error message (`icmp_pointers[t].error`), which
    /// must never be answered with another error. As in `__icmp_send`, a type above
    /// `NR_ICMP_TYPES` counts as an error; note that Linux also marks the unassigned types
    /// 1, 2, 6, 7 and router advertisement/solicitation (9, 10) as errors.
    #[inline]
    pub const fn is_error(t: u8) -> bool {
        !matches!(
            t,
            ECHO_REPLY
                | ECHO
                | TIMESTAMP
                | TIMESTAMPREPLY
                | INFO_REQUEST
                | INFO_REPLY
                | ADDRESS
                | ADDRESSREPLY
        )
    }

    /// Whether `t` is a query carrying an identifier in bytes 4..6 (the types conntrack tracks
    /// by id: echo, timestamp, info, address mask, and their replies).
    #[inline]
    pub const fn has_query_id(t: u8) -> bool {
        matches!(
            t,
            ECHO_REPLY
                | ECHO
                | TIMESTAMP
                | TIMESTAMPREPLY
                | INFO_REQUEST
                | INFO_REPLY
                | ADDRESS
                | ADDRESSREPLY
        )
    }
}

/// Big-endian 16-bit read at `off`; `0` when out of bounds (callers check bounds first).
#[inline(always)]
pub(crate) fn rd16(b: &[u8], off: usize) -> u16 {
    match b.get(off..off + 2) {
        Some(s) => u16::from_be_bytes([s[0], s[1]]),
        None => 0,
    }
}

/// Big-endian 32-bit read at `off`; `0` when out of bounds (callers check bounds first).
#[inline(always)]
pub(crate) fn rd32(b: &[u8], off: usize) -> u32 {
    match b.get(off..off + 4) {
        Some(s) => u32::from_be_bytes([s[0], s[1], s[2], s[3]]),
        None => 0,
    }
}

/// Big-endian 16-bit write at `off`; nothing when out of bounds (callers check bounds first).
#[inline(always)]
pub(crate) fn wr16(b: &mut [u8], off: usize, v: u16) {
    if let Some(s) = b.get_mut(off..off + 2) {
        s.copy_from_slice(&v.to_be_bytes());
    }
}

/// Big-endian 32-bit write at `off`; nothing when out of bounds (callers check bounds first).
#[inline(always)]
pub(crate) fn wr32(b: &mut [u8], off: usize, v: u32) {
    if let Some(s) = b.get_mut(off..off + 4) {
        s.copy_from_slice(&v.to_be_bytes());
    }
}

/// Six bytes at `off` as a MAC address; zeros when out of bounds.
#[inline(always)]
pub(crate) fn rd_mac(b: &[u8], off: usize) -> MacAddr {
    let mut m = [0u8; 6];
    if let Some(s) = b.get(off..off + 6) {
        m.copy_from_slice(s);
    }
    m
}

/// Writes a MAC address at `off`; nothing when out of bounds.
#[inline(always)]
pub(crate) fn wr_mac(b: &mut [u8], off: usize, m: &MacAddr) {
    if let Some(s) = b.get_mut(off..off + 6) {
        s.copy_from_slice(m);
    }
}
