//! What the pipeline decides for a frame, why a frame is dropped, and the per-worker
//! counters of both.
//!
//! Every frame ends in exactly one [`Verdict`]; every verdict that consumes the frame
//! without sending it on carries a [`Reason`], and each reason has its own counter, so
//! that received = forwarded + delivered + replied + dropped holds per worker (the ICMP
//! errors and replies the router builds are counted apart, as originated).

use ruta_fib::IfIndex;
use std::net::Ipv4Addr;

/// The decision for one frame.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Verdict {
    /// Send the rewritten IP packet, `frame[l3..l3 + len]`, out of `oif` to `nexthop`
    /// (the dataplane writes the L2 header: the port's MAC, the next hop's from the
    /// neighbour cache; nothing on a TUN port).
    Forward {
        oif: IfIndex,
        nexthop: Ipv4Addr,
        l3: usize,
        len: usize,
    },
    /// Too big for `oif`'s MTU without DF: forwarded as `count` fragments, built in the
    /// worker's context (`Ctx::fragments`), as the kernel's `ip_fragment` does.
    Fragments {
        oif: IfIndex,
        nexthop: Ipv4Addr,
        count: usize,
    },
    /// For the router itself (its host stack).
    Local,
    /// The frame is consumed for `reason`, and the router sends a packet it built in the
    /// worker's output buffer, `Ctx::out[..len]`: an ICMP error or a TCP RST from REJECT
    /// (an IP packet, routed to `nexthop` out of `oif`), or an ARP reply (a whole Ethernet
    /// frame, `reason` [`Reason::ArpAnswered`]).
    Reply {
        reason: Reason,
        oif: IfIndex,
        nexthop: Ipv4Addr,
        len: usize,
    },
    /// Dropped, for `reason`.
    Drop(Reason),
}

impl Verdict {
    /// The word `ruta trace -j` prints.
    pub fn word(&self) -> &'static str {
        match self {
            Verdict::Forward { .. } | Verdict::Fragments { .. } => "forward",
            Verdict::Local => "local",
            Verdict::Reply { reason, .. } if reason.is_arp() => "arp",
            Verdict::Reply { .. } => "icmp",
            Verdict::Drop(_) => "drop",
        }
    }
}

/// An enum of named counters: each variant has a stable snake_case name (`as_str`) and an
/// index (`as usize`) into a counter array; `ALL` lists them in counter order. Used for
/// [`Reason`] and for the host stack's `HostReason`.
macro_rules! named_counters {
    ($(#[$doc:meta])* $name:ident { $( $(#[$m:meta])* $v:ident = $s:literal, )* }) => {
        $(#[$doc])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
        #[repr(u8)]
        pub enum $name { $( $(#[$m])* $v, )* }

        impl $name {
            /// Every value, in counter order.
            pub const ALL: &'static [$name] = &[$($name::$v,)*];

            pub fn as_str(self) -> &'static str {
                match self { $($name::$v => $s,)* }
            }
        }
    };
}
pub(crate) use named_counters;

named_counters! {
    /// Why a frame was not forwarded or delivered: each has a counter and a stable
    /// snake_case name (`ruta stats`, `ruta trace`).
    Reason {
    // ---- L2
    /// Arrived on an interface that is down or not a port.
    IifDown = "iif_down",
    /// Shorter than an Ethernet header.
    EthTruncated = "eth_truncated",
    /// Unicast to another MAC address (PACKET_OTHERHOST).
    OtherHost = "other_host",
    /// An 802.1Q tag on a port without VLANs.
    Vlan = "vlan_tagged",
    /// IPv6 (not routed by this version).
    Ipv6 = "ipv6",
    /// Neither IPv4 nor ARP nor IPv6.
    UnknownEthertype = "unknown_ethertype",
    /// A malformed ARP packet.
    ArpMalformed = "arp_malformed",
    /// An ARP packet for nobody we answer for, or an ARP reply (handed to the neighbour
    /// cache, not forwarded).
    ArpNotForUs = "arp_other",
    /// An ARP request we answered (the reply is originated).
    ArpAnswered = "arp_answered",
    // ---- IPv4 sanity (ip_rcv_core)
    /// Too short for an IPv4 header.
    IpTruncated = "ip_truncated",
    /// Version is not 4.
    IpVersion = "ip_version",
    /// IHL below 5 or beyond the packet.
    IpHeaderLength = "ip_header_length",
    /// Header checksum wrong.
    IpChecksum = "ip_checksum",
    /// Total length below the header or beyond the frame.
    IpTotalLength = "ip_total_length",
    /// Options that are malformed, or source routing (accept_source_route=0).
    IpOptions = "ip_options",
    /// A fragment held for reassembly (not a loss: its datagram leaves with the last one).
    FragmentHeld = "fragment_held",
    /// An exact duplicate of a fragment already held.
    FragmentDuplicate = "fragment_duplicate",
    /// Fragments overlapping, or a datagram beyond 65535 bytes: the whole datagram dropped.
    FragmentInvalid = "fragment_invalid",
    /// Every reassembly queue in use (the kernel's ipfrag_high_thresh).
    FragmentTableFull = "fragment_table_full",
    /// A reassembled datagram for the router itself: not delivered.
    FragmentLocal = "fragment_local",
    /// A TCP/UDP/ICMP header shorter than its protocol needs.
    L4Truncated = "l4_truncated",
    // ---- routing (ip_route_input_slow)
    /// Martian source or destination (loopback, zeronet, multicast or broadcast source).
    Martian = "martian",
    /// Reverse path filter (rp_filter) refused the source.
    RpFilter = "rp_filter",
    /// No route (ICMP net unreachable sent).
    NoRoute = "no_route",
    /// An `unreachable` route (ICMP host unreachable sent).
    Unreachable = "unreachable",
    /// A `prohibit` route or rule (ICMP communication prohibited sent).
    Prohibited = "prohibited",
    /// A `blackhole` route or rule: dropped silently.
    Blackhole = "blackhole",
    /// Forwarding is disabled on the input interface.
    ForwardingDisabled = "forwarding_disabled",
    /// Addressed to a broadcast or multicast MAC but not to us at L3.
    NotForwardable = "not_forwardable",
    /// The output interface is down or not a port.
    OifDown = "oif_down",
    // ---- forwarding
    /// TTL exhausted (ICMP time exceeded sent).
    TtlExceeded = "ttl_exceeded",
    /// Too big for the output MTU with DF set (ICMP fragmentation needed sent).
    FragNeeded = "frag_needed",
    /// Too big for the output MTU without DF, and more fragments than
    /// [`crate::MAX_FRAGMENTS`] (an MTU below 576 for a 64 KiB packet).
    NeedsFragmentation = "too_many_fragments",
    // ---- netfilter
    /// DROP (a rule or a policy) in a PREROUTING chain.
    DropPrerouting = "netfilter_prerouting",
    /// DROP in an INPUT chain.
    DropInput = "netfilter_input",
    /// DROP in a FORWARD chain.
    DropForward = "netfilter_forward",
    /// DROP in a POSTROUTING chain.
    DropPostrouting = "netfilter_postrouting",
    /// REJECT (the ICMP error or RST is sent).
    Rejected = "netfilter_reject",
    // ---- conntrack / NAT
    /// The conntrack table is full and no entry could be evicted.
    ConntrackFull = "conntrack_full",
    /// No free tuple in the NAT range.
    NatExhausted = "nat_no_free_tuple",
    /// Another worker inserted a clashing flow first.
    ConntrackInsertFailed = "conntrack_insert_failed",
    }
}

impl Reason {
    /// True for ARP outcomes (not IPv4 drops).
    pub fn is_arp(self) -> bool {
        matches!(
            self,
            Reason::ArpAnswered | Reason::ArpMalformed | Reason::ArpNotForUs
        )
    }
}

/// Counters of one worker: verdicts, reasons, originated packets. Summed on read.
#[derive(Clone, Debug)]
pub struct Stats {
    pub received: u64,
    pub forwarded: u64,
    /// Of `forwarded`, the packets that left as fragments.
    pub fragmented: u64,
    pub local: u64,
    /// Packets the router built (ICMP errors, RSTs, ARP replies).
    pub originated: u64,
    /// Per [`Reason`], in [`Reason::ALL`] order.
    pub reasons: [u64; Reason::ALL.len()],
}

impl Default for Stats {
    fn default() -> Self {
        Stats {
            received: 0,
            forwarded: 0,
            fragmented: 0,
            local: 0,
            originated: 0,
            reasons: [0; Reason::ALL.len()],
        }
    }
}

impl Stats {
    /// Counts one verdict.
    #[inline]
    pub fn count(&mut self, v: &Verdict) {
        self.received += 1;
        match v {
            Verdict::Forward { .. } => self.forwarded += 1,
            Verdict::Fragments { .. } => {
                self.forwarded += 1;
                self.fragmented += 1;
            }
            Verdict::Local => self.local += 1,
            Verdict::Reply { reason, .. } => {
                self.reasons[*reason as usize] += 1;
                self.originated += 1;
            }
            Verdict::Drop(r) => self.reasons[*r as usize] += 1,
        }
    }

    /// Adds another worker's counters.
    pub fn add(&mut self, o: &Stats) {
        self.received += o.received;
        self.forwarded += o.forwarded;
        self.fragmented += o.fragmented;
        self.local += o.local;
        self.originated += o.originated;
        for (a, b) in self.reasons.iter_mut().zip(o.reasons.iter()) {
            *a += b;
        }
    }

    /// Frames consumed without being forwarded or delivered, all reasons.
    pub fn consumed(&self) -> u64 {
        self.reasons.iter().sum()
    }

    pub fn reason(&self, r: Reason) -> u64 {
        self.reasons[r as usize]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_unique_and_counters_balance() {
        let mut names: Vec<&str> = Reason::ALL.iter().map(|r| r.as_str()).collect();
        names.sort();
        names.dedup();
        assert_eq!(names.len(), Reason::ALL.len());
        for (i, r) in Reason::ALL.iter().enumerate() {
            assert_eq!(*r as usize, i);
        }
        let mut s = Stats::default();
        s.count(&Verdict::Drop(Reason::Martian));
        s.count(&Verdict::Local);
        s.count(&Verdict::Forward {
            oif: 2,
            nexthop: Ipv4Addr::LOCALHOST,
            l3: 14,
            len: 60,
        });
        s.count(&Verdict::Reply {
            reason: Reason::TtlExceeded,
            oif: 2,
            nexthop: Ipv4Addr::LOCALHOST,
            len: 70,
        });
        assert_eq!(s.received, s.forwarded + s.local + s.consumed());
        assert_eq!(s.reason(Reason::TtlExceeded), 1);
    }
}
