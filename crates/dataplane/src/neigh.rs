//! The neighbour (ARP) subsystem, as a protocol core with no I/O.
//!
//! Owns the IPv4 neighbour table of ruta: entries keyed by (ifindex, IPv4 address) with the
//! kernel's NUD states and timers (`net/core/neighbour.c`), what received ARP does to them
//! (`arp_process` in `net/ipv4/arp.c`), the bounded queues of frames waiting for resolution,
//! garbage collection, and `ip neigh show` rendering ([`show`]). It is driven like quinn-proto:
//! the caller feeds it events ([`Neigh::resolve`], [`Neigh::queue`], [`Neigh::on_arp`],
//! [`Neigh::confirm`], [`Neigh::announce`], the `ip neigh` commands) and the clock (`now_ms`,
//! any monotonic millisecond count), and takes [`Action`]s from [`Neigh::poll`] at
//! [`Neigh::next_timeout`]. It must not do I/O, read a clock, build ARP frames, or know about
//! routes and interface names (the caller decides sender addresses and passes names in).
//!
//! # Concurrency
//!
//! Two halves. The state machine (`machine.rs`) is single-threaded code behind one
//! `parking_lot::Mutex`: every state change, timer, queue and action happens there. Workers'
//! per-packet lookups do not take it: every entry whose MAC may be used right now (REACHABLE,
//! DELAY, PROBE, PERMANENT, NOARP) is published into a fixed, lock-free open-addressing array
//! (`fast.rs`) where each slot is a small seqlock over (key, MAC). A hit there costs a hash, one
//! or two cache lines read, and no shared write except the entry's `used` stamp, written
//! only when the millisecond changed. Anything else (miss, STALE, INCOMPLETE, FAILED) takes
//! the mutex and runs the kernel's `neigh_event_send`. A reader can miss a published entry
//! while it is being rewritten, never read a wrong MAC; a miss only means the slow path.
//! This beats an `RwLock` for the common router case of many workers sending to the same
//! one or two gateways: no reader-count cache line bounces between cores. Measured (release,
//! throwaway bench, shared 2-core machine): a hit costs about 3 ns on one thread and 6 ns per
//! thread with two threads hammering the same entries, against 16 / 31 ns for a
//! `parking_lot::RwLock<hashbrown::HashMap>` read; a miss that queues a frame, plus the `poll`
//! that hands out the request, about 100 ns.
//!
//! # What the kernel does that this does not
//!
//! - No proxy ARP, no `arp_ignore`/`arp_filter`/`arp_announce` policy: the caller says in
//!   [`ArpIn::target_is_local`] whether it answers for the target, and picks the sender
//!   address of requests (`src_hint` in [`Action::Solicit`] is the kernel's first choice).
//! - `app_solicit` probes (to a userspace daemon over netlink) are counted but send nothing.
//! - One parameter set for all interfaces (the kernel has one per device plus defaults);
//!   `reachable_time` is re-randomized every 300 s like the kernel's, table-wide.
//! - No reference counts: forced gc spares entries with a running timer (the kernel spares
//!   those too, as the timer holds a reference) but does not know about cached routes.
//!   `ip -s neigh` prints `ref 1` for entries with a pending timer, as the kernel's would show.
//! - `arp_accept` is the boolean form (1); the kernel's "2" (same subnet only) needs routes.
//! - Queued frames are charged `len + 576` bytes against `unres_qlen_bytes` (the kernel's
//!   `SKB_TRUESIZE` overhead for a 1514-byte frame), and all entries share one preallocated
//!   pool of [`Params::pool_frames`] slots: when it is empty the entry's oldest frame makes
//!   room, or the new frame is dropped and counted in [`Stats::pool_exhausted`].
//! - `ip neigh show` lists entries sorted by (ifindex, address) where the kernel prints its
//!   hash order. No `hits`/`lookups` counters: counting on the fast path would put a shared
//!   write back on it.

mod fast;
mod machine;
pub mod pool;
pub mod show;
#[cfg(test)]
mod tests;

use std::fmt;
use std::net::Ipv4Addr;
use std::sync::Arc;

use parking_lot::Mutex;

use self::fast::FastCache;
use self::machine::Core;
use self::pool::Pool;
pub use self::pool::{truesize, Frames};
pub use self::show::{render, ShowFilter};

/// An Ethernet address.
pub type Mac = [u8; 6];

/// Interface index, as the kernel's `ifindex`.
pub type IfIndex = u32;

/// NUD ("neighbour unreachability detection") states, with the kernel's bit values.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[repr(u8)]
pub enum Nud {
    None = 0x00,
    Incomplete = 0x01,
    Reachable = 0x02,
    Stale = 0x04,
    Delay = 0x08,
    Probe = 0x10,
    Failed = 0x20,
    Noarp = 0x40,
    Permanent = 0x80,
}

impl Nud {
    /// The bit, as in `ndm_state`.
    pub fn bits(self) -> u16 {
        self as u16
    }

    /// `NUD_VALID`: the entry has a link-layer address.
    pub fn valid(self) -> bool {
        matches!(
            self,
            Nud::Permanent | Nud::Noarp | Nud::Reachable | Nud::Probe | Nud::Stale | Nud::Delay
        )
    }

    /// `NUD_CONNECTED`: the address is known good.
    pub fn connected(self) -> bool {
        matches!(self, Nud::Permanent | Nud::Noarp | Nud::Reachable)
    }

    /// `NUD_IN_TIMER`: the state runs a timer.
    pub fn in_timer(self) -> bool {
        matches!(
            self,
            Nud::Incomplete | Nud::Reachable | Nud::Delay | Nud::Probe
        )
    }

    /// Output may use the address without asking the state machine (the fast path).
    pub(crate) fn usable(self) -> bool {
        self.connected() || matches!(self, Nud::Delay | Nud::Probe)
    }

    /// The name iproute2 prints (`REACHABLE`); empty for NONE.
    pub fn name(self) -> &'static str {
        match self {
            Nud::None => "",
            Nud::Incomplete => "INCOMPLETE",
            Nud::Reachable => "REACHABLE",
            Nud::Stale => "STALE",
            Nud::Delay => "DELAY",
            Nud::Probe => "PROBE",
            Nud::Failed => "FAILED",
            Nud::Noarp => "NOARP",
            Nud::Permanent => "PERMANENT",
        }
    }

    /// Parses an iproute2 `nud` word (`permanent`, `reachable`, ..., `none`), case-insensitive.
    pub fn parse(word: &str) -> Option<Nud> {
        const ALL: [Nud; 9] = [
            Nud::Permanent,
            Nud::Reachable,
            Nud::Noarp,
            Nud::None,
            Nud::Stale,
            Nud::Incomplete,
            Nud::Delay,
            Nud::Probe,
            Nud::Failed,
        ];
        ALL.into_iter().find(|n| {
            let name = if *n == Nud::None { "NONE" } else { n.name() };
            name.eq_ignore_ascii_case(word)
        })
    }
}

impl fmt::Display for Nud {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// The table's tunables, with the kernel's defaults (`/proc/sys/net/ipv4/neigh/default/*`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Params {
    /// `base_reachable_time_ms`: REACHABLE lasts a random time in [0.5, 1.5) x this.
    pub base_reachable_time_ms: u64,
    /// `delay_first_probe_time` (in ms here): DELAY before the first unicast probe.
    pub delay_first_probe_time_ms: u64,
    /// `retrans_time_ms`: interval between probes.
    pub retrans_time_ms: u64,
    /// `ucast_solicit`: unicast probes in PROBE.
    pub ucast_solicit: u32,
    /// `mcast_solicit`: broadcast probes in INCOMPLETE.
    pub mcast_solicit: u32,
    /// `app_solicit`: probes for a userspace daemon (counted, nothing sent).
    pub app_solicit: u32,
    /// `mcast_resolicit`: broadcast probes in PROBE after the unicast ones.
    pub mcast_resolicit: u32,
    /// `gc_stale_time` (ms): unused entries older than this are collected.
    pub gc_stale_time_ms: u64,
    /// `gc_thresh1`: below this many entries the periodic gc does nothing.
    pub gc_thresh1: usize,
    /// `gc_thresh2`: above this, a new entry forces a gc if none ran in the last 5 s.
    pub gc_thresh2: usize,
    /// `gc_thresh3`: hard limit of (non-permanent) entries.
    pub gc_thresh3: usize,
    /// `unres_qlen_bytes`: bytes of frames queued per unresolved entry (see [`truesize`]).
    pub unres_qlen_bytes: usize,
    /// `locktime` (ms): after an update, a different address is ignored for this long.
    pub locktime_ms: u64,
    /// `arp_accept` = 1: unsolicited ARP (gratuitous, or replies) may create entries.
    pub arp_accept: bool,
    /// Longest frame a queue slot holds (longer frames are dropped, counted).
    pub max_frame_len: usize,
    /// Frames in the shared, preallocated queue pool.
    pub pool_frames: usize,
    /// Seed for `reachable_time` randomization and key hashing.
    pub seed: u64,
}

impl Default for Params {
    fn default() -> Params {
        use std::hash::{BuildHasher, Hasher};
        let seed = std::collections::hash_map::RandomState::new()
            .build_hasher()
            .finish();
        Params {
            base_reachable_time_ms: 30_000,
            delay_first_probe_time_ms: 5_000,
            retrans_time_ms: 1_000,
            ucast_solicit: 3,
            mcast_solicit: 3,
            app_solicit: 0,
            mcast_resolicit: 0,
            gc_stale_time_ms: 60_000,
            gc_thresh1: 128,
            gc_thresh2: 512,
            gc_thresh3: 1024,
            unres_qlen_bytes: 212_992,
            locktime_ms: 1_000,
            arp_accept: false,
            max_frame_len: 2048,
            pool_frames: 2048,
            seed,
        }
    }
}

/// Longest timer value accepted (ms, about 35 years): keeps the clock arithmetic in range.
const MAX_MS: u64 = 1 << 40;

impl Params {
    /// The parameters with every value brought into a range the table can work with (times up
    /// to 2^40 ms, frames up to 65535 bytes, at most 256 MiB of pool, 2^20 `gc_thresh3`), so
    /// that no configuration can overflow the clock or exhaust memory at start.
    pub fn sanitized(&self) -> Params {
        let max_frame_len = self.max_frame_len.clamp(64, 65_535);
        Params {
            base_reachable_time_ms: self.base_reachable_time_ms.min(MAX_MS),
            delay_first_probe_time_ms: self.delay_first_probe_time_ms.min(MAX_MS),
            retrans_time_ms: self.retrans_time_ms.min(MAX_MS),
            gc_stale_time_ms: self.gc_stale_time_ms.min(MAX_MS),
            locktime_ms: self.locktime_ms.min(MAX_MS),
            gc_thresh3: self.gc_thresh3.min(1 << 20),
            max_frame_len,
            pool_frames: self.pool_frames.min((1 << 28) / max_frame_len),
            ..self.clone()
        }
    }

    /// `unres_qlen`: the packet-count view of `unres_qlen_bytes` (101 by default).
    pub fn unres_qlen(&self) -> usize {
        self.unres_qlen_bytes / truesize(1514)
    }

    /// Sets `unres_qlen` as the kernel does: `unres_qlen_bytes = n * SKB_TRUESIZE(1514)`.
    pub fn set_unres_qlen(&mut self, n: usize) {
        self.unres_qlen_bytes = n.saturating_mul(truesize(1514));
    }
}

/// What the fast path does with a packet for a next hop.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Resolve {
    /// Send now to this MAC.
    Mac(Mac),
    /// Resolution is under way: give the frame to [`Neigh::queue`] (after `resolve`), or it
    /// was queued (after `queue`). Call [`Neigh::poll`] soon: a request may be waiting.
    Queue,
    /// Drop the packet: the entry could not be created (table full) or resolution is
    /// impossible (`mcast_solicit` + `app_solicit` = 0). The kernel drops silently here.
    Failed,
}

/// What the caller must do, from [`Neigh::poll`].
#[derive(Debug)]
pub enum Action {
    /// Send an ARP request for `target` on `ifindex`: unicast to `dst` (a PROBE's probe of the
    /// known address) or broadcast when `None`. The sender IP is the caller's choice; the
    /// kernel's (`arp_announce` 0) is `src_hint`, the source of the newest queued frame, when
    /// that is one of the interface's addresses, else the primary address of the interface.
    Solicit {
        ifindex: IfIndex,
        target: Ipv4Addr,
        dst: Option<Mac>,
        src_hint: Option<Ipv4Addr>,
    },
    /// Send a gratuitous ARP request for our own `ip` (sender = target = `ip`, broadcast).
    Announce { ifindex: IfIndex, ip: Ipv4Addr },
    /// `ip` on `ifindex` resolved to `mac`: send these queued frames now, with `mac` as the
    /// destination.
    Release {
        ifindex: IfIndex,
        ip: Ipv4Addr,
        mac: Mac,
        frames: Frames,
    },
    /// Resolution of `ip` failed: answer each frame with ICMP host unreachable, as the
    /// kernel's `arp_error_report` does, and drop it.
    Unreachable {
        ifindex: IfIndex,
        ip: Ipv4Addr,
        frames: Frames,
    },
}

/// ARP operation.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ArpOp {
    Request,
    Reply,
}

/// A received ARP packet (Ethernet/IPv4, already checked by the caller's parser), and what
/// only the caller knows about it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ArpIn {
    pub ifindex: IfIndex,
    pub op: ArpOp,
    pub sender_ip: Ipv4Addr,
    pub sender_mac: Mac,
    pub target_ip: Ipv4Addr,
    pub target_mac: Mac,
    /// The target address is ours on this interface and we answer for it (the kernel's
    /// route lookup giving RTN_LOCAL, after `arp_ignore`).
    pub target_is_local: bool,
    /// The sender address is one of ours (then it is not a unicast neighbour).
    pub sender_is_local: bool,
    /// The frame was addressed to our MAC (`PACKET_HOST`), not broadcast: only such replies
    /// prove reachability.
    pub to_us: bool,
}

/// An ARP reply the caller must send (from its MAC on `ifindex`, to `dst_mac`):
/// "`sender_ip` is at (our MAC)", addressed to `target_ip`/`target_mac`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ArpReply {
    pub ifindex: IfIndex,
    pub dst_mac: Mac,
    pub sender_ip: Ipv4Addr,
    pub target_ip: Ipv4Addr,
    pub target_mac: Mac,
}

/// How `ip neigh add/replace/change` treat an existing entry.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AddMode {
    /// `ip neigh add`: create; an existing entry is an error (EEXIST).
    Add,
    /// `ip neigh replace`: create or override.
    Replace,
    /// `ip neigh change`: override an existing entry; none is an error (ENOENT).
    Change,
}

/// Errors of the `ip neigh` commands, with the kernel's messages.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NeighError {
    /// EEXIST.
    Exists,
    /// ENOENT.
    NotFound,
    /// EINVAL: a valid state needs an address.
    NoLladdr,
    /// ENOBUFS: `gc_thresh3` reached and nothing to collect.
    TableFull,
    /// EINVAL: the address cannot be a neighbour (multicast, broadcast, 0.0.0.0).
    BadAddress,
}

impl fmt::Display for NeighError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            NeighError::Exists => "File exists",
            NeighError::NotFound => "No such file or directory",
            NeighError::NoLladdr => "No link layer address given",
            NeighError::TableFull => "No buffer space available",
            NeighError::BadAddress => "Invalid argument",
        })
    }
}

impl std::error::Error for NeighError {}

/// Table counters, named as in `ip -s ntable` (`res_failed`, `unres_discards`, ...).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Stats {
    pub allocs: u64,
    pub destroys: u64,
    pub res_failed: u64,
    pub periodic_gc_runs: u64,
    pub forced_gc_runs: u64,
    pub unres_discards: u64,
    pub table_fulls: u64,
    /// Frames dropped because the shared pool had no free slot.
    pub pool_exhausted: u64,
    /// Frames dropped because they were longer than [`Params::max_frame_len`].
    pub too_long: u64,
    /// Probes that would go to a userspace daemon (`app_solicit`).
    pub app_probes: u64,
    /// Actions dropped because nobody polled (the queue holds 4 x `gc_thresh3` + 64).
    pub actions_dropped: u64,
}

/// One entry as `ip neigh show` sees it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct NeighInfo {
    pub ifindex: IfIndex,
    pub dst: Ipv4Addr,
    /// Present in valid states only (the kernel sends NDA_LLADDR only then).
    pub lladdr: Option<Mac>,
    pub state: Nud,
    pub probes: u32,
    /// ms since last used / confirmed / updated.
    pub used_ago_ms: u64,
    pub confirmed_ago_ms: u64,
    pub updated_ago_ms: u64,
    /// A timer is pending (the kernel's timer reference: `ref 1`).
    pub timer: bool,
    /// Frames waiting in the unresolved queue.
    pub queued: usize,
}

/// The key of an entry: ifindex in the high half, address in the low half.
#[inline]
pub(crate) fn key_of(ifindex: IfIndex, ip: Ipv4Addr) -> u64 {
    (u64::from(ifindex) << 32) | u64::from(u32::from(ip))
}

/// The clock as the core keeps it (signed, so "2 x base_reachable_time ago" is fine at 0).
#[inline]
fn ms(now_ms: u64) -> i64 {
    now_ms.min(i64::MAX as u64 / 4) as i64
}

/// The neighbour table shared by workers and the neighbour thread (see the module doc).
pub struct Neigh {
    fast: Arc<FastCache>,
    core: Mutex<Core>,
    max_frame_len: usize,
}

impl Neigh {
    /// A table with `params` (after [`Params::sanitized`]).
    pub fn new(params: Params) -> Neigh {
        let params = params.sanitized();
        let pool = Arc::new(Mutex::new(Pool::new(
            params.pool_frames,
            params.max_frame_len,
        )));
        let fast = Arc::new(FastCache::new(
            params.gc_thresh3.saturating_mul(4),
            params.seed,
        ));
        let max_frame_len = params.max_frame_len;
        Neigh {
            core: Mutex::new(Core::new(params, pool, fast.clone())),
            fast,
            max_frame_len,
        }
    }

    /// The fast path of output (`neigh_output`): the MAC for `ip` on `ifindex` if it may be used
    /// now (REACHABLE, DELAY, PROBE, PERMANENT, NOARP, and STALE which moves to DELAY),
    /// marking the entry used. On a miss, creates the entry and starts resolution.
    #[inline]
    pub fn resolve(&self, ifindex: IfIndex, ip: Ipv4Addr, now_ms: u64) -> Resolve {
        let key = key_of(ifindex, ip);
        let now = ms(now_ms);
        if let Some(mac) = self.fast.lookup(key, now) {
            return Resolve::Mac(mac);
        }
        self.core.lock().event_send(key, now, None)
    }

    /// Like [`Neigh::resolve`] with the frame to queue while the entry is INCOMPLETE (copied
    /// into the pool; when the entry's queue is over `unres_qlen_bytes` the oldest frames go,
    /// counted in `unres_discards`). `Mac` means the entry resolved meanwhile: send the frame
    /// yourself; `Failed` means it was dropped.
    pub fn queue(&self, ifindex: IfIndex, ip: Ipv4Addr, frame: &[u8], now_ms: u64) -> Resolve {
        let key = key_of(ifindex, ip);
        let now = ms(now_ms);
        if let Some(mac) = self.fast.lookup(key, now) {
            return Resolve::Mac(mac);
        }
        self.core.lock().event_send(key, now, Some(frame))
    }

    /// A received ARP packet (`arp_process`): updates or creates the sender's entry, and
    /// returns the reply to send when the packet asks for one of our addresses.
    pub fn on_arp(&self, arp: &ArpIn, now_ms: u64) -> Option<ArpReply> {
        self.core.lock().on_arp(arp, ms(now_ms))
    }

    /// Upper-layer proof of forward progress (`neigh_confirm`, `dst_confirm_neigh`).
    pub fn confirm(&self, ifindex: IfIndex, ip: Ipv4Addr, now_ms: u64) {
        self.core.lock().confirm(key_of(ifindex, ip), ms(now_ms))
    }

    /// Queues a gratuitous ARP for our own `ip` (the kernel sends one when an address comes up).
    pub fn announce(&self, ifindex: IfIndex, ip: Ipv4Addr) {
        self.core.lock().announce(ifindex, ip)
    }

    /// Runs the timers due at `now_ms` and returns the next action, if any. Call until `None`
    /// after every event, and at [`Neigh::next_timeout`].
    pub fn poll(&self, now_ms: u64) -> Option<Action> {
        self.core.lock().poll(ms(now_ms))
    }

    /// When [`Neigh::poll`] must run next (ms, same clock); `Some(0)` if actions are waiting.
    pub fn next_timeout(&self) -> Option<u64> {
        self.core.lock().next_timeout()
    }

    /// `ip neigh add|replace|change IP lladdr MAC dev IFINDEX nud STATE`
    /// (iproute2's default state is PERMANENT).
    pub fn add(
        &self,
        ifindex: IfIndex,
        ip: Ipv4Addr,
        lladdr: Option<Mac>,
        state: Nud,
        mode: AddMode,
        now_ms: u64,
    ) -> Result<(), NeighError> {
        self.core
            .lock()
            .admin_add(key_of(ifindex, ip), lladdr, state, mode, ms(now_ms))
    }

    /// `ip neigh del IP dev IFINDEX`: frames still queued are reported [`Action::Unreachable`].
    pub fn del(&self, ifindex: IfIndex, ip: Ipv4Addr, now_ms: u64) -> Result<(), NeighError> {
        self.core.lock().admin_del(key_of(ifindex, ip), ms(now_ms))
    }

    /// `ip neigh flush [dev IFINDEX]`: deletes entries of `filter`'s states (by default all but
    /// PERMANENT and NOARP, as iproute2's flush); returns how many.
    pub fn flush(&self, filter: &ShowFilter, now_ms: u64) -> usize {
        self.core.lock().flush(filter, ms(now_ms))
    }

    /// The interface went down (`neigh_ifdown`): every entry of it goes, PERMANENT too.
    pub fn ifdown(&self, ifindex: IfIndex, now_ms: u64) {
        self.core.lock().ifdown(ifindex, ms(now_ms))
    }

    /// All entries (for `ip neigh show`), sorted by (ifindex, address).
    pub fn entries(&self, now_ms: u64) -> Vec<NeighInfo> {
        self.core.lock().entries(ms(now_ms))
    }

    /// Number of entries.
    pub fn len(&self) -> usize {
        self.core.lock().len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    pub fn stats(&self) -> Stats {
        self.core.lock().stats()
    }

    /// Frames queued in all entries (bounded by [`Params::pool_frames`]).
    pub fn queued_frames(&self) -> usize {
        self.core.lock().queued_frames()
    }

    /// A buffer this long holds any frame of an action.
    pub fn max_frame_len(&self) -> usize {
        self.max_frame_len
    }
}
