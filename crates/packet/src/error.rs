//! Error values of this crate: why bytes were refused ([`Malformed`]), why a rewrite could not
//! be applied ([`RewriteError`]), and why a builder produced nothing ([`BuildError`]).
//!
//! Each has a stable snake_case name (`as_str`) for drop counters and traces.

use std::fmt;

macro_rules! named_enum {
    ($(#[$m:meta])* $name:ident { $($(#[$vm:meta])* $v:ident => $s:literal,)* }) => {
        $(#[$m])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
        pub enum $name {
            $($(#[$vm])* $v,)*
        }

        impl $name {
            /// Every value, in declaration order (for counter tables).
            pub const ALL: &'static [$name] = &[$($name::$v,)*];

            /// Stable snake_case name, for counters and traces.
            pub const fn as_str(self) -> &'static str {
                match self {
                    $($name::$v => $s,)*
                }
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl std::error::Error for $name {}
    };
}

named_enum! {
    /// Why bytes are not a valid packet of the expected kind.
    ///
    /// IPv4 reasons are listed in the order `new_checked` tests them, which is the order of
    /// the kernel's `ip_rcv_core` (see [`crate::ipv4::Ipv4Packet::new_checked`]).
    Malformed {
        /// Fewer than 14 bytes.
        EthernetTooShort => "ethernet_too_short",
        /// EtherType 0x8100 but fewer than 18 bytes.
        VlanTooShort => "vlan_too_short",
        /// Fewer than 28 bytes of ARP.
        ArpTooShort => "arp_too_short",
        /// Hardware length not 6 or protocol length not 4.
        ArpBadLengths => "arp_bad_lengths",
        /// Hardware type neither Ethernet (1) nor IEEE 802 (6).
        ArpBadHardwareType => "arp_bad_hardware_type",
        /// Protocol type not IPv4.
        ArpBadProtocolType => "arp_bad_protocol_type",
        /// Operation neither request (1) nor reply (2).
        ArpBadOperation => "arp_bad_operation",
        /// Fewer than 20 bytes.
        Ipv4TooShort => "ipv4_too_short",
        /// Version field not 4.
        Ipv4BadVersion => "ipv4_bad_version",
        /// IHL below 5.
        Ipv4BadIhl => "ipv4_bad_ihl",
        /// IHL * 4 longer than the data.
        Ipv4HeaderTruncated => "ipv4_header_truncated",
        /// Header checksum does not verify.
        Ipv4BadChecksum => "ipv4_bad_checksum",
        /// Total length longer than the data (the kernel's `IPSTATS_MIB_INTRUNCATEDPKTS`).
        Ipv4Truncated => "ipv4_truncated",
        /// Total length shorter than the header.
        Ipv4BadTotalLength => "ipv4_bad_total_length",
        /// Fewer than 20 bytes of TCP header.
        TcpTruncated => "tcp_truncated",
        /// Data offset below 5 or beyond the segment.
        TcpBadDataOffset => "tcp_bad_data_offset",
        /// Fewer than 8 bytes of UDP header.
        UdpTruncated => "udp_truncated",
        /// UDP length field below 8 or beyond the datagram.
        UdpBadLength => "udp_bad_length",
        /// Fewer than 8 bytes of ICMP header.
        IcmpTruncated => "icmp_truncated",
        /// Asked for the embedded header of an ICMP message that is not an error.
        IcmpNotError => "icmp_not_error",
        /// The embedded IPv4 header is cut short.
        IcmpInnerTruncated => "icmp_inner_truncated",
        /// The embedded IPv4 header has a bad version or IHL.
        IcmpInnerBadHeader => "icmp_inner_bad_header",
    }
}

named_enum! {
    /// Why an in-place rewrite was refused (the packet is left unchanged).
    RewriteError {
        /// The IPv4 packet is a fragment other than the first: it carries no L4 header.
        NotFirstFragment => "not_first_fragment",
        /// The protocol has no such field (ports on ICMP, an ICMP id on TCP, ...).
        WrongProtocol => "wrong_protocol",
        /// The L4 header needed is not all there (first fragment cut short, 8-byte quote).
        L4Truncated => "l4_truncated",
        /// The ICMP message is not a query with an identifier.
        NotIcmpQuery => "not_icmp_query",
        /// The ICMP message is not an error quoting an IPv4 header.
        NotIcmpError => "not_icmp_error",
        /// The IPv4 header quoted in the ICMP error is cut short or invalid.
        InnerMalformed => "inner_malformed",
        /// TTL already 0: nothing to decrement.
        TtlZero => "ttl_zero",
    }
}

named_enum! {
    /// Why a builder produced no packet: the kernel's rules for not answering, or no room.
    BuildError {
        /// The output buffer is too small.
        BufferTooSmall => "buffer_too_small",
        /// The offending frame was not addressed to us at L2 (broadcast/multicast MAC:
        /// the kernel's `skb->pkt_type != PACKET_HOST`).
        NotHostFrame => "not_host_frame",
        /// The offending packet's destination is a broadcast address (`RTCF_BROADCAST`).
        DstBroadcast => "dst_broadcast",
        /// The offending packet's destination is multicast (`RTCF_MULTICAST`).
        DstMulticast => "dst_multicast",
        /// The offending packet's source is 0.0.0.0/8, broadcast or multicast.
        SrcInvalid => "src_invalid",
        /// The offending packet is a non-first fragment.
        NonFirstFragment => "non_first_fragment",
        /// The offending packet is itself an ICMP error (or of unknown ICMP type).
        IcmpErrorAboutIcmpError => "icmp_error_about_icmp_error",
        /// The offending packet is too short to read what the rule needs.
        Truncated => "truncated",
        /// The route MTU leaves no room to quote one IPv4 header.
        MtuTooSmall => "mtu_too_small",
        /// The asked ICMP type is not an error type.
        NotAnErrorType => "not_an_error_type",
        /// TCP reset asked for a packet that is not TCP.
        NotTcp => "not_tcp",
        /// No RST in answer to a RST.
        IsRst => "is_rst",
        /// The L4 (TCP, ICMP) checksum of the packet answered does not verify.
        BadChecksum => "bad_checksum",
        /// Echo reply asked for a packet that is not an ICMP echo request.
        NotEchoRequest => "not_echo_request",
        /// In-place echo reply asked for a packet with IP options.
        HasOptions => "has_options",
        /// ARP reply asked for an ARP packet that is not a request.
        NotArpRequest => "not_arp_request",
        /// Fragmentation asked for a packet with DF set.
        DontFragment => "dont_fragment",
        /// The MTU leaves no room for 8 bytes of data after the header (RFC 791: 68).
        MtuTooSmallToFragment => "mtu_too_small_to_fragment",
        /// More fragments than the caller has room for.
        TooManyFragments => "too_many_fragments",
    }
}
