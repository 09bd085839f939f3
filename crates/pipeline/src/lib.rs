//! ruta-pipeline: the per-packet function of ruta.
//!
//! A frame comes in on a port; [`process`] returns what the Linux kernel would do with it,
//! with the frame rewritten in place: forward it (egress port, next hop), deliver it to the
//! router itself, answer it (an ICMP error, a TCP reset, an ARP reply, built in the worker's
//! output buffer), or drop it for a named [`Reason`]. The stages run in the kernel's order
//! (see [`path`]); their state is an immutable [`Snapshot`] (router, compiled netfilter
//! tables, ports) plus the shared [`ruta_conntrack::Conntrack`], plus one [`Ctx`] per worker
//! (counters, output buffer).
//!
//! Sans-IO: no sockets, no threads, no clocks (the caller passes `now`). No allocation per
//! packet unless a [`Trace`] is asked for. [`trace`] runs `ruta trace` packet files.
//!
//! It must not know how frames arrive or leave (the dataplane's job), nor parse config text
//! (ruta-config's).

pub mod host;
pub mod packets;
pub mod path;
pub mod snapshot;
pub mod trace;
pub mod verdict;

#[cfg(test)]
mod tests;

pub use path::{process, Out, Step, Trace};
pub use snapshot::{Port, Snapshot};
pub use verdict::{Reason, Stats, Verdict};

/// Per-worker mutable state: counters and the buffer for packets the router builds.
pub struct Ctx {
    pub stats: Stats,
    /// netfilter rule and policy counters of this worker (summed for `iptables -nvL`).
    pub nf_counters: ruta_netfilter::Counters,
    /// Where ICMP errors, resets and ARP replies are built (`Verdict::Reply`).
    pub out: Box<[u8]>,
    /// The clock in seconds (conntrack timeouts), set by the worker once per batch.
    pub now: u32,
    ip_id: u16,
}

/// Room for the packets the router builds: an ICMP error is at most 576 bytes of IP.
pub const OUT_BUFFER: usize = 2048;

impl Ctx {
    pub fn new(snap: &Snapshot) -> Ctx {
        Ctx {
            stats: Stats::default(),
            nf_counters: snap.nf.counters(),
            out: vec![0u8; OUT_BUFFER].into_boxed_slice(),
            now: 0,
            ip_id: 1,
        }
    }

    /// The IP id of the next packet the router originates.
    pub(crate) fn next_ip_id(&mut self) -> u16 {
        self.ip_id = self.ip_id.wrapping_add(1);
        self.ip_id
    }
}
