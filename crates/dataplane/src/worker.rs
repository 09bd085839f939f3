//! The worker loop and the neighbour thread: frames in, [`ruta_pipeline::process`], frames
//! out.
//!
//! A worker owns one RX ring per AF_PACKET port (a member of the port's fanout group), one
//! transmit path ([`Tx`]) per AF_PACKET port, its [`Ctx`] and its counters; worker 0 also reads
//! the TUN ports. Per batch: load the snapshot (one `ArcSwap` load), read the coarse clock,
//! drain every ring holding its frames ([`RxRing::recv_batch_held`]: a forwarded frame gets
//! its new Ethernet header in place and is sent from the RX ring by address, no copy in user
//! space), flush every transmit path that was written, then give the RX frames back; publish
//! counters when asked or every ~100 ms. When the rings run dry it polls, or under dense
//! traffic naps [`NAP_US`] (fewer wake-ups). Per frame: no allocation, no system call (TUN
//! ports: one `write` per packet, TUN has no ring).
//!
//! The neighbour thread ([`neigh_loop`]) runs the ARP state machine's actions: requests,
//! the frames waiting for a resolution, ICMP host unreachable for those that failed, the
//! gratuitous ARP at start. It has TX rings of its own.
//!
//! It must not parse config text, nor decide what happens to a packet (the pipeline's job).

use crate::afpacket::{RxRing, Tx};
use crate::daemon::{Published, Shared};
use crate::neigh::IfIndex;
use crate::neigh::{Action, ArpIn, ArpOp, Resolve};
use crate::tun::Tun;
use ruta_packet::{ethertype, ArpOperation, ArpPacket};
use ruta_pipeline::host::{self, HostStats, HostVerdict};
use ruta_pipeline::{process, Ctx, Snapshot, Stats, Verdict};
use std::net::Ipv4Addr;
use std::os::fd::AsRawFd;
use std::sync::atomic::Ordering;
use std::sync::Arc;

/// Frames taken from one ring before moving on to the next.
pub const BATCH: usize = 64;

/// When the rings run dry after at least this many frames since the worker last slept, the
/// traffic is dense: the worker naps [`NAP_US`] instead of polling (see [`worker_loop`]).
pub const NAP_MIN_FRAMES: u64 = 8;

/// The nap: how long a worker under dense traffic lets frames gather before it looks again.
pub const NAP_US: u64 = 50;

/// Per-port counters of one thread, indexed by ruta ifindex.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct PortCounters {
    pub rx_packets: u64,
    pub rx_bytes: u64,
    pub tx_packets: u64,
    pub tx_bytes: u64,
    /// Frames that could not be written (TX ring full, TUN queue full or error).
    pub tx_dropped: u64,
    /// The kernel's `PACKET_STATISTICS` of this thread's RX ring: frames it queued, and
    /// frames it dropped because the ring was full.
    pub ring_packets: u64,
    pub ring_drops: u64,
}

impl PortCounters {
    pub fn add(&mut self, o: &PortCounters) {
        self.rx_packets += o.rx_packets;
        self.rx_bytes += o.rx_bytes;
        self.tx_packets += o.tx_packets;
        self.tx_bytes += o.tx_bytes;
        self.tx_dropped += o.tx_dropped;
        self.ring_packets += o.ring_packets;
        self.ring_drops += o.ring_drops;
    }
}

/// What a thread counts besides the pipeline's [`Stats`].
#[derive(Clone, Debug, Default)]
pub struct IoCounters {
    pub ports: Vec<PortCounters>,
    /// Frames handed to the neighbour queue (next hop not resolved yet).
    pub neigh_queued: u64,
    /// Frames dropped because the next hop could not be resolved at all.
    pub neigh_failed: u64,
    /// Replies and errors the router built that went out.
    pub originated_sent: u64,
}

/// The transmit side of one thread: TX rings and TUN devices by ruta ifindex.
pub struct Io {
    pub tx: Vec<Option<Tx>>,
    pub tuns: Vec<Option<Arc<Tun>>>,
    pub c: IoCounters,
    /// The neighbour thread must be woken at the end of the batch.
    pub wake: bool,
}

/// How a send went.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Sent {
    Ok,
    Queued,
    /// The next hop cannot be resolved (table full / no resolution possible).
    Unresolved,
    Dropped,
}

impl Io {
    pub fn new(ports: usize) -> Io {
        Io {
            tx: (0..ports).map(|_| None).collect(),
            tuns: (0..ports).map(|_| None).collect(),
            c: IoCounters {
                ports: vec![PortCounters::default(); ports],
                ..IoCounters::default()
            },
            wake: false,
        }
    }

    fn port_c(&mut self, i: IfIndex) -> Option<&mut PortCounters> {
        self.c.ports.get_mut(i as usize)
    }

    /// Sends a whole Ethernet frame (an ARP reply or request) out of `oif`.
    pub fn send_frame(&mut self, sh: &Shared, oif: IfIndex, frame: &[u8]) -> Sent {
        let ok = match self.tx.get_mut(oif as usize).and_then(|t| t.as_mut()) {
            Some(tx) => tx.send_frame(frame),
            None => false,
        };
        self.count_tx(oif, frame.len(), ok);
        if ok {
            sh.tap.offer(oif, frame);
            Sent::Ok
        } else {
            Sent::Dropped
        }
    }

    fn count_tx(&mut self, oif: IfIndex, len: usize, ok: bool) {
        if let Some(c) = self.port_c(oif) {
            if ok {
                c.tx_packets += 1;
                c.tx_bytes += len as u64;
            } else {
                c.tx_dropped += 1;
            }
        }
    }

    /// Writes an IP packet with `mac` as destination into `oif`'s TX ring.
    pub fn send_ip_to(
        &mut self,
        sh: &Shared,
        port_mac: &[u8; 6],
        oif: IfIndex,
        mac: &[u8; 6],
        ip: &[u8],
    ) -> Sent {
        let capturing = sh.tap.port() == oif;
        let mut ok = false;
        let mut n = 0;
        if let Some(tx) = self.tx.get_mut(oif as usize).and_then(|t| t.as_mut()) {
            if let Some(slot) = tx.tx_slot() {
                n = 14 + ip.len();
                if n <= slot.len() {
                    let _ =
                        ruta_packet::write_ethernet_header(slot, mac, port_mac, ethertype::IPV4);
                    slot[14..n].copy_from_slice(ip);
                    if capturing {
                        sh.tap.offer(oif, &slot[..n]);
                    }
                    ok = tx.tx_commit(n);
                }
            }
        }
        self.count_tx(oif, n, ok);
        if ok {
            Sent::Ok
        } else {
            Sent::Dropped
        }
    }

    /// Sends the IP packet `ip` out of `oif` towards `nexthop`: on a TUN port as is; on an
    /// Ethernet port with the neighbour's MAC, or queued while it resolves.
    pub fn send_ip(
        &mut self,
        sh: &Shared,
        snap: &Snapshot,
        oif: IfIndex,
        nexthop: Ipv4Addr,
        ip: &[u8],
        now_ms: u64,
    ) -> Sent {
        let Some(port) = snap.port(oif) else {
            self.count_tx(oif, 0, false);
            return Sent::Dropped;
        };
        if port.tun {
            let ok = match self.tuns.get(oif as usize).and_then(|t| t.as_ref()) {
                Some(t) => matches!(t.send(ip), Ok(true)),
                None => false,
            };
            self.count_tx(oif, ip.len(), ok);
            if ok {
                sh.tap.offer(oif, ip);
                return Sent::Ok;
            }
            return Sent::Dropped;
        }
        let mac = port.mac;
        let r = sh.neigh.resolve(oif, nexthop, now_ms);
        self.send_resolved(sh, &mac, oif, nexthop, ip, now_ms, r)
    }

    /// What [`Io::send_ip`] does once the neighbour lookup answered `r`.
    #[allow(clippy::too_many_arguments)]
    fn send_resolved(
        &mut self,
        sh: &Shared,
        mac: &[u8; 6],
        oif: IfIndex,
        nexthop: Ipv4Addr,
        ip: &[u8],
        now_ms: u64,
        r: Resolve,
    ) -> Sent {
        match r {
            Resolve::Mac(m) => self.send_ip_to(sh, mac, oif, &m, ip),
            Resolve::Queue => match sh.neigh.queue(oif, nexthop, ip, now_ms) {
                Resolve::Mac(m) => self.send_ip_to(sh, mac, oif, &m, ip),
                Resolve::Queue => {
                    self.c.neigh_queued += 1;
                    self.wake = true;
                    Sent::Queued
                }
                Resolve::Failed => {
                    self.c.neigh_failed += 1;
                    Sent::Unresolved
                }
            },
            Resolve::Failed => {
                self.c.neigh_failed += 1;
                Sent::Unresolved
            }
        }
    }

    /// [`Io::send_ip`] for the IP packet at `frame[l3..l3 + len]` of a received frame whose
    /// bytes stay valid and unchanged until the next [`Io::flush`] (a frame of an RX ring held
    /// by [`RxRing::recv_batch_held`], released after the flush): when the next hop is known
    /// and the port sends with `sendmmsg`, the Ethernet header is written in place in front
    /// of the packet and the frame is queued by address, not copied (the kernel copies it
    /// once, from the RX ring into the skb). Otherwise as `send_ip`.
    ///
    /// # Safety
    ///
    /// `frame`'s bytes must stay valid and unchanged until the next [`Io::flush`] returns.
    #[allow(clippy::too_many_arguments)]
    unsafe fn send_ip_held(
        &mut self,
        sh: &Shared,
        snap: &Snapshot,
        oif: IfIndex,
        nexthop: Ipv4Addr,
        frame: &mut [u8],
        l3: usize,
        len: usize,
        now_ms: u64,
    ) -> Sent {
        let Some(end) = l3.checked_add(len).filter(|e| *e <= frame.len()) else {
            self.count_tx(oif, 0, false);
            return Sent::Dropped;
        };
        let port = match snap.port(oif) {
            Some(p) if !p.tun && l3 >= 14 => p,
            _ => return self.send_ip(sh, snap, oif, nexthop, &frame[l3..end], now_ms),
        };
        let mac = port.mac;
        let r = sh.neigh.resolve(oif, nexthop, now_ms);
        let Resolve::Mac(m) = r else {
            return self.send_resolved(sh, &mac, oif, nexthop, &frame[l3..end], now_ms, r);
        };
        let Some(Some(Tx::Batch(tx))) = self.tx.get_mut(oif as usize) else {
            return self.send_ip_to(sh, &mac, oif, &m, &frame[l3..end]);
        };
        let f = &mut frame[l3 - 14..end];
        let _ = ruta_packet::write_ethernet_header(f, &m, &mac, ethertype::IPV4);
        // SAFETY: the caller holds the frame until the flush (this function's contract).
        let ok = unsafe { tx.send_borrowed(f) };
        let n = f.len();
        if ok {
            sh.tap.offer(oif, f);
        }
        self.count_tx(oif, n, ok);
        if ok {
            Sent::Ok
        } else {
            Sent::Dropped
        }
    }

    /// Kicks every TX ring with frames waiting.
    pub fn flush(&mut self) {
        for t in self.tx.iter_mut().flatten() {
            if t.pending() > 0 {
                let _ = t.flush();
            }
        }
    }
}

/// Feeds an ARP frame to the neighbour table (learning; the pipeline builds the replies).
fn learn_arp(sh: &Shared, snap: &Snapshot, iif: IfIndex, frame: &[u8], now_ms: u64) -> bool {
    if frame.len() < 42 || u16::from_be_bytes([frame[12], frame[13]]) != ethertype::ARP {
        return false;
    }
    let Ok(a) = ArpPacket::new_checked(&frame[14..]) else {
        return false;
    };
    let Some(port) = snap.port(iif) else {
        return false;
    };
    let op = match a.operation() {
        ArpOperation::Request => ArpOp::Request,
        ArpOperation::Reply => ArpOp::Reply,
    };
    let target = a.target_ip();
    let arp = ArpIn {
        ifindex: iif,
        op,
        sender_ip: a.sender_ip(),
        sender_mac: a.sender_mac(),
        target_ip: target,
        target_mac: a.target_mac(),
        target_is_local: snap.answers_arp(port, u32::from(target)),
        sender_is_local: snap.router.is_local_addr(a.sender_ip()),
        to_us: frame[..6] == port.mac,
    };
    let _ = sh.neigh.on_arp(&arp, now_ms);
    true
}

/// What one frame became, and its answer sent: shared by workers and tests. `held`: the
/// frame is an RX ring frame that stays user space's until the loop's TX flush (then a
/// forwarded frame is sent from the ring itself, see [`Io::send_ip_held`]); false for a
/// frame in a buffer that the next packet reuses (TUN).
#[allow(clippy::too_many_arguments)]
fn handle(
    sh: &Shared,
    snap: &Snapshot,
    ctx: &mut Ctx,
    hs: &mut HostStats,
    io: &mut Io,
    iif: IfIndex,
    frame: &mut [u8],
    held: bool,
    now_ms: u64,
) {
    if let Some(c) = io.port_c(iif) {
        c.rx_packets += 1;
        c.rx_bytes += frame.len() as u64;
    }
    sh.tap.offer(iif, frame);
    if learn_arp(sh, snap, iif, frame, now_ms) {
        io.wake = true;
    }
    let v = process(snap, &sh.ct, ctx, iif, frame, 0, None);
    match v {
        Verdict::Forward {
            oif,
            nexthop,
            l3,
            len,
        } => {
            let Some(end) = l3.checked_add(len).filter(|e| *e <= frame.len()) else {
                return;
            };
            let sent = if held {
                // SAFETY: `held` frames are RX ring frames the worker loop releases only
                // after its flush.
                unsafe { io.send_ip_held(sh, snap, oif, nexthop, frame, l3, len, now_ms) }
            } else {
                io.send_ip(sh, snap, oif, nexthop, &frame[l3..end], now_ms)
            };
            if sent == Sent::Unresolved {
                let ip = &frame[l3..end];
                let h = {
                    let mut lim = sh.limiter.lock();
                    host::host_unreachable(snap, &sh.ct, ctx, &mut lim, ip, now_ms)
                };
                hs.count(&h);
                if let HostVerdict::Reply {
                    oif, nexthop, len, ..
                } = h
                {
                    if io.send_ip(sh, snap, oif, nexthop, &ctx.out[..len], now_ms) == Sent::Ok {
                        io.c.originated_sent += 1;
                    }
                }
            }
        }
        Verdict::Fragments { oif, nexthop, .. } => {
            // every fragment to the same next hop; a failed resolution answers once, about
            // the first fragment (the one that carries the transport header)
            let mut unresolved = false;
            for f in ctx.fragments() {
                if io.send_ip(sh, snap, oif, nexthop, f, now_ms) == Sent::Unresolved {
                    unresolved = true;
                }
            }
            if unresolved {
                let first = ctx
                    .fragments()
                    .next()
                    .map(|f| f.to_vec())
                    .unwrap_or_default();
                let h = {
                    let mut lim = sh.limiter.lock();
                    host::host_unreachable(snap, &sh.ct, ctx, &mut lim, &first, now_ms)
                };
                hs.count(&h);
                if let HostVerdict::Reply {
                    oif, nexthop, len, ..
                } = h
                {
                    if io.send_ip(sh, snap, oif, nexthop, &ctx.out[..len], now_ms) == Sent::Ok {
                        io.c.originated_sent += 1;
                    }
                }
            }
        }
        Verdict::Reply {
            reason,
            oif,
            nexthop,
            len,
        } => {
            if reason.is_arp() {
                if io.send_frame(sh, oif, &ctx.out[..len]) == Sent::Ok {
                    io.c.originated_sent += 1;
                }
                return;
            }
            let allowed = {
                let mut lim = sh.limiter.lock();
                host::reply_allowed(&mut lim, &ctx.out[..len], now_ms)
            };
            if !allowed {
                hs.bump(host::HostReason::RateLimited);
                return;
            }
            if io.send_ip(sh, snap, oif, nexthop, &ctx.out[..len], now_ms) == Sent::Ok {
                io.c.originated_sent += 1;
            }
        }
        Verdict::Local => {
            let h = {
                let mut lim = sh.limiter.lock();
                host::answer(snap, &sh.ct, ctx, &mut lim, iif, frame, now_ms)
            };
            hs.count(&h);
            if let HostVerdict::Reply {
                oif, nexthop, len, ..
            } = h
            {
                if io.send_ip(sh, snap, oif, nexthop, &ctx.out[..len], now_ms) == Sent::Ok {
                    io.c.originated_sent += 1;
                }
            }
        }
        Verdict::Drop(_) => {}
    }
}

/// The RX side of a worker: (ruta ifindex, ring).
pub struct Worker {
    pub id: usize,
    pub rx: Vec<(IfIndex, RxRing)>,
    /// TUN ports this worker reads (worker 0 only).
    pub tun_rx: Vec<(IfIndex, Arc<Tun>)>,
    pub io: Io,
}

/// The reassembly table the workers of this process share (one daemon per process).
static DEFRAG: std::sync::OnceLock<Arc<ruta_pipeline::defrag::Defrag>> = std::sync::OnceLock::new();

/// The worker loop: runs until `sh.stop`.
pub fn worker_loop(sh: &Shared, mut w: Worker) {
    let mut snap_arc: Arc<Snapshot> = sh.snap.load_full();
    let mut ctx = Ctx::new(&snap_arc);
    // one reassembly table for every worker: the fragments of a datagram may reach several
    ctx.defrag = Arc::clone(DEFRAG.get_or_init(Default::default));
    let mut hs = HostStats::default();
    let mut tun_buf = vec![0u8; 65536];
    let mut pfds: Vec<libc::pollfd> =
        w.rx.iter()
            .map(|(_, r)| r.as_raw_fd())
            .chain(w.tun_rx.iter().map(|(_, t)| t.as_raw_fd()))
            .map(|fd| libc::pollfd {
                fd,
                events: libc::POLLIN,
                revents: 0,
            })
            .collect();
    let mut last_pub_ms = 0u64;
    let mut last_req = 0u64;
    // frames handled since the worker last slept (napped or polled)
    let mut since_sleep = 0u64;
    // the nap's timer may fire this late (the default slack is 50 us)
    // SAFETY: prctl(PR_SET_TIMERSLACK) only changes this thread's timer slack.
    unsafe { libc::prctl(libc::PR_SET_TIMERSLACK, 5_000 as libc::c_ulong, 0, 0, 0) };
    while !sh.stop.load(Ordering::Relaxed) {
        // the snapshot: one load per batch; a new one re-syncs the netfilter counters
        {
            let cur = sh.snap.load();
            if !Arc::ptr_eq(&cur, &snap_arc) {
                snap_arc = Arc::clone(&cur);
                ctx.nf_counters.sync(&snap_arc.nf);
            }
        }
        let snap: &Snapshot = &snap_arc;
        let now_ms = sh.clock.now_ms();
        ctx.now = (now_ms / 1000) as u32;
        let mut got = 0;
        let Worker { rx, tun_rx, io, .. } = &mut w;
        for (iif, ring) in rx.iter_mut() {
            let iif = *iif;
            // held until the flush below: forwarded frames are sent from the ring itself
            got += ring.recv_batch_held(BATCH, |f| {
                if f.status & libc::TP_STATUS_CSUMNOTREADY != 0 {
                    finish_checksum(f.data);
                }
                handle(sh, snap, &mut ctx, &mut hs, io, iif, f.data, true, now_ms);
            });
        }
        for (iif, tun) in tun_rx.iter() {
            let iif = *iif;
            // tun_buf is reused per packet: not held
            if let Ok(n) = tun.recv_batch(&mut tun_buf, BATCH, |pkt| {
                handle(sh, snap, &mut ctx, &mut hs, io, iif, pkt, false, now_ms);
            }) {
                got += n;
            }
        }
        io.flush();
        // only now may the kernel write over the frames the flush sent from the rings
        for (_, ring) in rx.iter_mut() {
            ring.release_held();
        }
        if io.wake {
            io.wake = false;
            let _ = sh.neigh_waker.wake();
        }
        let req = sh.pub_request.load(Ordering::Acquire);
        if req != last_req || now_ms >= last_pub_ms + 100 {
            for (iif, ring) in w.rx.iter_mut() {
                if let (Ok(k), Some(c)) = (ring.kernel_stats(), w.io.c.ports.get_mut(*iif as usize))
                {
                    c.ring_packets = k.packets;
                    c.ring_drops = k.drops;
                }
            }
            publish(
                &sh.published[w.id],
                &ctx.stats,
                &hs,
                &ctx.nf_counters,
                &w.io.c,
                req,
            );
            last_req = req;
            last_pub_ms = now_ms;
        }
        since_sleep += got as u64;
        if got == 0 && since_sleep >= NAP_MIN_FRAMES {
            // Dense traffic ran dry for a moment: nap instead of polling. A poll would be
            // woken by the very next frame and cost a context switch (and the kernel a
            // wake-up) per handful of frames; the nap lets a batch gather, the way NAPI
            // defers interrupts. Costs at most NAP_US of latency, and only under load.
            since_sleep = 0;
            std::thread::sleep(std::time::Duration::from_micros(NAP_US));
        } else if got == 0 && !pfds.is_empty() {
            // idle: one poll over every ring (no syscall while frames keep coming)
            since_sleep = 0;
            for p in pfds.iter_mut() {
                p.revents = 0;
            }
            // SAFETY: pfds is a valid array of pollfd.
            unsafe { libc::poll(pfds.as_mut_ptr(), pfds.len() as libc::nfds_t, 20) };
        } else if got == 0 {
            std::thread::sleep(std::time::Duration::from_millis(20));
        }
    }
    publish(
        &sh.published[w.id],
        &ctx.stats,
        &hs,
        &ctx.nf_counters,
        &w.io.c,
        sh.pub_request.load(Ordering::Acquire),
    );
}

fn publish(
    slot: &parking_lot::Mutex<Published>,
    stats: &Stats,
    hs: &HostStats,
    nf: &ruta_netfilter::Counters,
    io: &IoCounters,
    gen: u64,
) {
    let mut p = slot.lock();
    p.stats = stats.clone();
    p.host = hs.clone();
    p.nf.clone_from(nf);
    p.io.clone_from(io);
    p.gen = gen;
}

/// The neighbour thread: executes [`Action`]s at the table's timers and when woken.
pub fn neigh_loop(sh: &Shared, mut io: Io, mut poll: mio::Poll, slot: usize) {
    let snap0 = sh.snap.load_full();
    let mut ctx = Ctx::new(&snap0);
    drop(snap0);
    let mut hs = HostStats::default();
    let mut events = mio::Events::with_capacity(8);
    let mut buf = vec![0u8; sh.neigh.max_frame_len().max(2048)];
    let mut frame = vec![0u8; 2048];
    loop {
        let now = sh.clock.now_ms();
        let timeout = match sh.neigh.next_timeout() {
            Some(t) => t.saturating_sub(now).min(100),
            None => 100,
        };
        let _ = poll.poll(&mut events, Some(std::time::Duration::from_millis(timeout)));
        if sh.stop.load(Ordering::Relaxed) {
            break;
        }
        let snap = sh.snap.load_full();
        let now = sh.clock.now_ms();
        ctx.now = (now / 1000) as u32;
        while let Some(a) = sh.neigh.poll(now) {
            match a {
                Action::Solicit {
                    ifindex,
                    target,
                    dst,
                    src_hint,
                } => {
                    let Some(port) = snap.port(ifindex) else {
                        continue;
                    };
                    let src = src_hint
                        .filter(|s| snap.router.addrs_of(ifindex).any(|a| a.local == *s))
                        .or_else(|| snap.router.addrs_of(ifindex).next().map(|a| a.local));
                    let Some(src) = src else { continue };
                    if let Ok(n) = ruta_packet::build_arp_request(
                        &mut frame,
                        &port.mac,
                        src,
                        target,
                        dst.as_ref(),
                    ) {
                        io.send_frame(sh, ifindex, &frame[..n]);
                    }
                }
                Action::Announce { ifindex, ip } => {
                    let Some(port) = snap.port(ifindex) else {
                        continue;
                    };
                    if let Ok(n) = ruta_packet::build_gratuitous_arp(&mut frame, &port.mac, ip) {
                        io.send_frame(sh, ifindex, &frame[..n]);
                    }
                }
                Action::Release {
                    ifindex,
                    mac,
                    mut frames,
                    ..
                } => {
                    let Some(port) = snap.port(ifindex) else {
                        continue;
                    };
                    let pmac = port.mac;
                    while let Some(n) = frames.pop_into(&mut buf) {
                        let n = n.min(buf.len());
                        io.send_ip_to(sh, &pmac, ifindex, &mac, &buf[..n]);
                    }
                }
                Action::Unreachable { mut frames, .. } => {
                    while let Some(n) = frames.pop_into(&mut buf) {
                        let n = n.min(buf.len());
                        let h = {
                            let mut lim = sh.limiter.lock();
                            host::host_unreachable(
                                &snap,
                                &sh.ct,
                                &mut ctx,
                                &mut lim,
                                &buf[..n],
                                now,
                            )
                        };
                        hs.count(&h);
                        if let HostVerdict::Reply {
                            oif, nexthop, len, ..
                        } = h
                        {
                            if io.send_ip(sh, &snap, oif, nexthop, &ctx.out[..len], now) == Sent::Ok
                            {
                                io.c.originated_sent += 1;
                            }
                        }
                    }
                }
            }
        }
        io.flush();
        let req = sh.pub_request.load(Ordering::Acquire);
        publish(
            &sh.published[slot],
            &ctx.stats,
            &hs,
            &ctx.nf_counters,
            &io.c,
            req,
        );
    }
}

/// A frame a local stack sent with checksum offload (veth, virtio: `TP_STATUS_CSUMNOTREADY`)
/// carries a partial TCP/UDP checksum; the kernel would complete it before forwarding
/// (`skb_checksum_help`), and so does ruta, before NAT updates it incrementally.
fn finish_checksum(frame: &mut [u8]) {
    if frame.len() < 14 + 20 || frame[12..14] != [0x08, 0x00] {
        return;
    }
    if let Ok(mut ip) = ruta_packet::Ipv4Packet::new_checked(&mut frame[14..]) {
        ip.fill_l4_checksum();
    }
}
