//! ruta-conntrack: connection tracking and NAT bindings, after the kernel's nf_conntrack and
//! nf_nat_core.
//!
//! Owns the flow table (one entry per flow, keyed by both its original and its reply tuple),
//! the per-protocol state (TCP state machine, UDP / GRE stream detection, ICMP queries and
//! RELATED ICMP errors, a generic tracker for everything else), timeouts and expiry, the
//! table limit with early drop, the NAT bindings (unique-tuple allocation of addresses, ports
//! and ICMP ids) and the `conntrack -L` / `-S` text.
//!
//! It must not parse or rewrite packets (the pipeline hands it a [`PacketInfo`] and rewrites
//! the packet to the [`Track::Known::target`] tuple), evaluate rules, or know about sockets
//! and threads: the table is shared by reference and its clock is the caller's `now`
//! (seconds).
//!
//! The packet path is: [`Conntrack::track`] → `Known` (existing flow, state updated) or `New`
//! ([`Unconfirmed`], not in the table) → the pipeline runs its hooks, may call
//! [`Conntrack::nat`] → [`Conntrack::confirm`] puts it in the table. Dropping an
//! `Unconfirmed` needs no undo.
//!
//! Concurrency, layout and memory are described in [`table`].

mod index;
pub mod list;
pub mod nat;
pub mod table;
pub mod tcp;
pub mod tuple;

#[cfg(test)]
mod tests;

pub use list::{render_list, render_stats, Listing};
pub use nat::{Manip, NatError, NatRange};
pub use table::{Conntrack, Related};
pub use tcp::{TcpInvalid, TcpState};
pub use tuple::{Tuple, IPPROTO_GRE, IPPROTO_ICMP, IPPROTO_TCP, IPPROTO_UDP};

/// Timeouts in seconds, named and defaulted as the kernel's
/// `net.netfilter.nf_conntrack_*_timeout*` sysctls.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Timeouts {
    pub tcp_syn_sent: u32,
    pub tcp_syn_recv: u32,
    pub tcp_established: u32,
    pub tcp_fin_wait: u32,
    pub tcp_close_wait: u32,
    pub tcp_last_ack: u32,
    pub tcp_time_wait: u32,
    pub tcp_close: u32,
    pub tcp_syn_sent2: u32,
    /// `nf_conntrack_tcp_timeout_max_retrans`: after `tcp_max_retrans` retransmissions, and
    /// with a zero window.
    pub tcp_max_retrans: u32,
    /// `nf_conntrack_tcp_timeout_unacknowledged`: while data is unacknowledged, and for a
    /// picked-up flow until its first reply.
    pub tcp_unacknowledged: u32,
    pub udp: u32,
    pub udp_stream: u32,
    pub icmp: u32,
    pub gre: u32,
    pub gre_stream: u32,
    pub generic: u32,
}

impl Default for Timeouts {
    fn default() -> Self {
        Timeouts {
            tcp_syn_sent: 120,
            tcp_syn_recv: 60,
            tcp_established: 432_000,
            tcp_fin_wait: 120,
            tcp_close_wait: 60,
            tcp_last_ack: 30,
            tcp_time_wait: 120,
            tcp_close: 10,
            tcp_syn_sent2: 120,
            tcp_max_retrans: 300,
            tcp_unacknowledged: 300,
            udp: 30,
            udp_stream: 120,
            icmp: 30,
            gre: 30,
            gre_stream: 180,
            generic: 600,
        }
    }
}

impl Timeouts {
    /// Timeout of a TCP state (by the kernel's numbering).
    pub fn tcp(&self, state: u8) -> u32 {
        match state {
            1 => self.tcp_syn_sent,
            2 => self.tcp_syn_recv,
            3 => self.tcp_established,
            4 => self.tcp_fin_wait,
            5 => self.tcp_close_wait,
            6 => self.tcp_last_ack,
            7 => self.tcp_time_wait,
            8 => self.tcp_close,
            9 => self.tcp_syn_sent2,
            _ => self.tcp_close,
        }
    }
}

/// Table configuration.
#[derive(Clone, Copy, Debug)]
pub struct Config {
    /// `nf_conntrack_max`: most flows at once (at least 1).
    pub max: u32,
    /// `nf_conntrack_buckets`: total key positions of the index over all shards, a floor: it
    /// is raised so that the index holds both keys of `max` flows at most 80% full (see
    /// [`table`]). Nothing is ever reallocated.
    pub buckets: u32,
    /// Number of shards (locks); rounded to at least 1.
    pub shards: usize,
    pub timeouts: Timeouts,
    /// `nf_conntrack_tcp_loose`: pick up TCP flows from a mid-stream ACK.
    pub tcp_loose: bool,
    /// `nf_conntrack_tcp_max_retrans`.
    pub tcp_max_retrans: u8,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            max: 262_144,
            buckets: 0,
            shards: 64,
            timeouts: Timeouts::default(),
            tcp_loose: true,
            tcp_max_retrans: 3,
        }
    }
}

impl Config {
    /// Defaults with the given `nf_conntrack_max`.
    pub fn with_max(max: u32) -> Self {
        Config {
            max,
            ..Config::default()
        }
    }
}

/// What the pipeline knows about a packet. For ICMP, `tuple.sport` is the query id and
/// `tuple.dport` is ignored: `track` builds it from `icmp_type` / `icmp_code`. For protocols
/// other than TCP, UDP and ICMP the ports are ignored. `len` is not used (accounting,
/// `nf_conntrack_acct`, is off as by default in the kernel).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct PacketInfo {
    pub tuple: Tuple,
    pub tcp_flags: u8,
    pub seq: u32,
    pub ack: u32,
    pub window: u16,
    pub payload_len: u16,
    pub icmp_type: u8,
    pub icmp_code: u8,
    pub len: u32,
}

/// Direction of a packet relative to its flow.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Dir {
    Original,
    Reply,
}

impl Dir {
    pub(crate) fn from_index(i: usize) -> Dir {
        if i == 0 {
            Dir::Original
        } else {
            Dir::Reply
        }
    }
}

/// `ctinfo` as netfilter matches it (`-m conntrack --ctstate`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CtInfo {
    /// Original direction, no reply seen yet.
    New,
    /// Reply direction, or original direction once a reply was seen.
    Established,
    /// An ICMP error about a tracked flow.
    Related,
}

/// Entry status bits, numbered as the kernel's `IPS_*`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Status(pub u16);

impl Status {
    pub const EXPECTED: u16 = 1 << 0;
    pub const SEEN_REPLY: u16 = 1 << 1;
    pub const ASSURED: u16 = 1 << 2;
    pub const CONFIRMED: u16 = 1 << 3;
    pub const SRC_NAT: u16 = 1 << 4;
    pub const DST_NAT: u16 = 1 << 5;
    pub const SRC_NAT_DONE: u16 = 1 << 7;
    pub const DST_NAT_DONE: u16 = 1 << 8;
    pub const DYING: u16 = 1 << 9;

    pub fn contains(self, bits: u16) -> bool {
        self.0 & bits == bits
    }
}

/// A reference to a table entry. Carries the slot's generation: once the entry expires and
/// the slot is reused, operations through an old handle do nothing.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Handle {
    pub(crate) id: u32,
    pub(crate) gen: u32,
}

/// Why a packet is INVALID (kernel: no conntrack attached, `--ctstate INVALID`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum InvalidReason {
    /// TCP flags, state transition, or a packet that cannot start a TCP flow.
    Tcp(TcpInvalid),
    /// An ICMP type that neither starts a flow nor answers one (or an answer without a flow).
    IcmpType,
    /// An ICMP error: these are looked up with [`Conntrack::related`] from their embedded
    /// header, not tracked themselves.
    IcmpError,
}

/// A flow not yet in the table (kernel: unconfirmed conntrack).
#[derive(Clone, Copy, Debug)]
pub struct Unconfirmed {
    pub(crate) orig: Tuple,
    pub(crate) reply: Tuple,
    pub(crate) status: u16,
    pub(crate) mark: u32,
    /// Relative timeout (seconds), made absolute at confirm.
    pub(crate) timeout: u32,
    pub(crate) tcp: tcp::TcpCt,
    /// The last NAT manip, to allocate again if confirm finds the reply tuple taken.
    pub(crate) nat_retry: Option<(Manip, NatRange, Tuple)>,
}

impl Unconfirmed {
    pub fn orig(&self) -> Tuple {
        self.orig
    }
    pub fn reply(&self) -> Tuple {
        self.reply
    }
    /// What this (original-direction) packet must become: the inverse of the reply tuple.
    pub fn target(&self) -> Tuple {
        // Tuples in an Unconfirmed always invert (checked when it was made).
        self.reply.invert().unwrap_or(self.orig)
    }
    pub fn status(&self) -> Status {
        Status(self.status)
    }
    pub fn mark(&self) -> u32 {
        self.mark
    }
    /// CONNMARK on a new flow.
    pub fn set_mark(&mut self, mark: u32) {
        self.mark = mark;
    }
}

/// The result of tracking one packet.
#[derive(Clone, Copy, Debug)]
pub enum Track {
    Known {
        handle: Handle,
        dir: Dir,
        ctinfo: CtInfo,
        mark: u32,
        status: Status,
        /// What this packet's tuple must become after NAT: for Original the inverse of the
        /// reply tuple, for Reply the inverse of the original tuple.
        target: Tuple,
    },
    /// Not in the table yet; the pipeline runs its hooks, may call `nat`, then `confirm` (or
    /// drops it: nothing to undo).
    New(Unconfirmed),
    /// INVALID; nothing changed.
    Invalid(InvalidReason),
    /// Table full and early drop found nothing: the kernel drops the packet ("table full,
    /// dropping packet").
    Full,
}

/// Why confirm failed. The kernel drops the packet in both cases.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ConfirmError {
    /// Another flow holds the original or reply tuple (`insert_failed`).
    Clash,
    /// Table full (`drop`).
    Full,
}

/// Counters as `conntrack -S` shows them (summed over shards), plus `new` (flows started,
/// an older kernel counter).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Stats {
    pub found: u64,
    pub new: u64,
    pub invalid: u64,
    pub insert: u64,
    pub insert_failed: u64,
    pub drop: u64,
    pub early_drop: u64,
    pub error: u64,
    pub search_restart: u64,
    pub clash_resolve: u64,
}
