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

pub mod defrag;
pub mod host;
pub mod packets;
pub mod path;
pub mod snapshot;
pub mod trace;
pub mod verdict;

#[cfg(test)]
mod tests;

pub use path::{process, process_batch, Out, Step, Trace};
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
    /// Where a packet too big for its output MTU is cut into fragments
    /// (`Verdict::Fragments`); see [`Ctx::fragments`].
    frags: Box<[u8]>,
    frag_ends: Box<[usize]>,
    frag_count: usize,
    /// The reassembly table: shared by the workers of one daemon (set it to the same
    /// `Arc`); its own in a fresh `Ctx`.
    pub defrag: std::sync::Arc<defrag::Defrag>,
    /// Where a datagram is reassembled to run through the pipeline.
    reasm: Box<[u8]>,
    ip_id: u16,
}

/// Most fragments one packet may be cut into (a 64 KiB packet over a 576-byte MTU needs 118).
pub const MAX_FRAGMENTS: usize = 192;

/// Room for the packets the router builds: an ICMP error is at most 576 bytes of IP.
pub const OUT_BUFFER: usize = 2048;

impl Ctx {
    pub fn new(snap: &Snapshot) -> Ctx {
        Ctx {
            stats: Stats::default(),
            nf_counters: snap.nf.counters(),
            out: vec![0u8; OUT_BUFFER].into_boxed_slice(),
            now: 0,
            // the packet's bytes plus a header of up to 60 bytes per fragment
            frags: vec![0u8; 65_536 + 60 * MAX_FRAGMENTS].into_boxed_slice(),
            frag_ends: vec![0usize; MAX_FRAGMENTS].into_boxed_slice(),
            frag_count: 0,
            defrag: std::sync::Arc::new(defrag::Defrag::new()),
            reasm: vec![0u8; 18 + 65_535].into_boxed_slice(),
            ip_id: 1,
        }
    }

    /// The fragments of the last `Verdict::Fragments`, in order: IP packets to send out
    /// of its port to its next hop.
    pub fn fragments(&self) -> impl Iterator<Item = &[u8]> {
        let ends = &self.frag_ends[..self.frag_count];
        (0..ends.len()).map(move |i| {
            let start = if i == 0 { 0 } else { ends[i - 1] };
            &self.frags[start..ends[i]]
        })
    }

    /// Cuts `pkt` into fragments of at most `mtu` bytes (`ruta_packet::build_fragments`).
    pub(crate) fn fragment(&mut self, pkt: &[u8], mtu: usize) -> Option<usize> {
        let ip = ruta_packet::Ipv4Packet::new_unchecked(pkt);
        match ruta_packet::build_fragments(&mut self.frags, &ip, mtu, &mut self.frag_ends) {
            Ok(n) => {
                self.frag_count = n;
                Some(n)
            }
            Err(_) => {
                self.frag_count = 0;
                None
            }
        }
    }

    /// The IP id of the next packet the router originates.
    pub(crate) fn next_ip_id(&mut self) -> u16 {
        self.ip_id = self.ip_id.wrapping_add(1);
        self.ip_id
    }
}
