//! `ruta run -c FILE [--socket PATH]`: the live router.
//!
//! Owns start-up (config, ports, kernel guards, rings, threads), the state the threads
//! share ([`Shared`]: the snapshot behind `arc-swap`, conntrack, the neighbour table, the
//! ICMP limits, the capture tap, published counters), reload, `ruta stats`, the control
//! commands that need the live state, signals, `sd_notify`, and clean shutdown. The packet
//! loop itself is in [`crate::worker`], the socket protocol in [`crate::control`].
//!
//! Threads: N workers (N = the most `workers` of any AF_PACKET port, at least 1), the
//! neighbour thread, the control thread (plus one short thread per control connection),
//! and the main thread, which waits for signals and runs conntrack gc every 100 ms.

use crate::afpacket::{
    FanoutMode, KernelGuard, RingVersion, RxConfig, RxOptions, RxRing, Tx, TxConfig, TX_MODE,
};
use crate::capture::{self, Tap};
use crate::clock::Clock;
use crate::control::{self, Answer, Mode, Request, View};
use crate::link::{IfaceInfo, LinkCtl};
use crate::neigh::{IfIndex, Neigh, Params};
use crate::tun::Tun;
use crate::worker::{self, Io, IoCounters, PortCounters, Worker};
use arc_swap::ArcSwap;
use parking_lot::Mutex;
use ruta_config::state::LinkKind;
use ruta_config::{file, Router};
use ruta_conntrack::Conntrack;
use ruta_netfilter::Counters;
use ruta_pipeline::host::{HostReason, HostStats, IcmpLimiter};
use ruta_pipeline::{Reason, Snapshot, Stats};
use std::fmt::Write as _;
use std::os::unix::net::UnixStream;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// `ruta run` options.
#[derive(Clone, Debug)]
pub struct RunOptions {
    pub config: PathBuf,
    pub socket: PathBuf,
}

/// Counters a thread publishes for `ruta stats` and `iptables -L`.
#[derive(Clone, Debug, Default)]
pub struct Published {
    pub stats: Stats,
    pub host: HostStats,
    pub nf: Counters,
    pub io: IoCounters,
    /// The publication request this answers.
    pub gen: u64,
}

/// A port the daemon owns.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PortInfo {
    pub name: String,
    /// ruta's interface index (the config's).
    pub index: IfIndex,
    pub tun: bool,
    /// RX rings (fanout members) of an AF_PACKET port.
    pub workers: usize,
    pub mac: [u8; 6],
    pub mtu: u32,
}

/// What every thread shares.
pub struct Shared {
    pub snap: ArcSwap<Snapshot>,
    pub ct: Conntrack,
    pub neigh: Neigh,
    pub limiter: Mutex<IcmpLimiter>,
    pub clock: Clock,
    pub stop: AtomicBool,
    pub neigh_waker: mio::Waker,
    pub control_waker: Option<mio::Waker>,
    /// One slot per worker, then the neighbour thread's.
    pub published: Vec<Mutex<Published>>,
    pub pub_request: AtomicU64,
    pub tap: Tap,
    pub config: PathBuf,
    pub ports: Vec<PortInfo>,
    /// Kernel ring counters per port (summed by workers at publication): see [`Shared::stats_text`].
    reload_lock: Mutex<()>,
    pub workers: usize,
}

/// Loads `path` into a router with the ports' real MACs and MTUs; errors as FILE:LINE.
pub fn load_router(path: &Path, ports: &[PortInfo]) -> Result<Router, String> {
    let mut rt = match file::load_file(path, false) {
        Ok(rt) => rt,
        Err(e) => {
            let msgs: Vec<String> = e.errors.iter().map(|e| e.to_string()).collect();
            return Err(msgs.join("\n"));
        }
    };
    for p in ports {
        if let Some(i) = rt.index_of(&p.name) {
            if !p.tun {
                let _ = rt.link_set_mac(i, p.mac);
            }
            let _ = rt.link_set_mtu(i, p.mtu);
        }
    }
    Ok(rt)
}

/// The ports a router declares: (name, index, tun, workers).
fn declared_ports(rt: &Router) -> Vec<(String, IfIndex, bool, usize)> {
    rt.links()
        .iter()
        .filter_map(|l| match l.kind {
            LinkKind::AfPacket { workers } => {
                Some((l.name.clone(), l.index, false, (workers as usize).max(1)))
            }
            LinkKind::Tun => Some((l.name.clone(), l.index, true, 1)),
            _ => None,
        })
        .collect()
}

impl Shared {
    /// Parses the config again and swaps the snapshot; on an error nothing changes.
    pub fn reload(&self) -> Result<String, String> {
        let _g = self.reload_lock.lock();
        let rt = load_router(&self.config, &self.ports)?;
        let now: Vec<(String, IfIndex, bool, usize)> = declared_ports(&rt);
        let was: Vec<(String, IfIndex, bool, usize)> = self
            .ports
            .iter()
            .map(|p| (p.name.clone(), p.index, p.tun, p.workers))
            .collect();
        if now != was {
            let names = |v: &[(String, IfIndex, bool, usize)]| {
                v.iter()
                    .map(|(n, _, t, w)| {
                        if *t {
                            format!("{n} tun")
                        } else {
                            format!("{n} af_packet workers {w}")
                        }
                    })
                    .collect::<Vec<_>>()
                    .join(", ")
            };
            return Err(format!(
                "{}: the ports changed ({} -> {}); changing ports needs a restart, reload refused",
                self.config.display(),
                names(&was),
                names(&now)
            ));
        }
        let snap = Snapshot::new(rt);
        self.snap.store(Arc::new(snap));
        Ok(format!("{}: reloaded", self.config.display()))
    }

    /// Asks every thread to publish its counters, waits (up to 1 s) for them, and returns
    /// every slot.
    pub fn collect(&self) -> Vec<Published> {
        let gen = self.pub_request.fetch_add(1, Ordering::AcqRel) + 1;
        let _ = self.neigh_waker.wake();
        let deadline = Instant::now() + Duration::from_secs(1);
        loop {
            if self.published.iter().all(|p| p.lock().gen >= gen) || Instant::now() > deadline {
                break;
            }
            std::thread::sleep(Duration::from_millis(2));
        }
        self.published.iter().map(|p| p.lock().clone()).collect()
    }

    /// `ruta stats`.
    pub fn stats_text(&self) -> String {
        let all = self.collect();
        let snap = self.snap.load();
        let mut total = Stats::default();
        let mut host = HostStats::default();
        let mut ports =
            vec![PortCounters::default(); all.iter().map(|p| p.io.ports.len()).max().unwrap_or(0)];
        let (mut queued, mut failed, mut sent) = (0, 0, 0);
        for p in &all {
            total.add(&p.stats);
            host.add(&p.host);
            for (a, b) in ports.iter_mut().zip(p.io.ports.iter()) {
                a.add(b);
            }
            queued += p.io.neigh_queued;
            failed += p.io.neigh_failed;
            sent += p.io.originated_sent;
        }
        let mut s = String::new();
        let dropped = total.consumed();
        let _ = writeln!(
            s,
            "received {} forwarded {} local {} dropped {}",
            total.received, total.forwarded, total.local, dropped
        );
        let _ = writeln!(
            s,
            "balance {}",
            if total.received == total.forwarded + total.local + dropped {
                "ok"
            } else {
                "MISMATCH"
            }
        );
        let _ = writeln!(
            s,
            "originated {} sent {} neigh_queued {} neigh_failed {} capture_dropped {}",
            total.originated,
            sent,
            queued,
            failed,
            self.tap.dropped.load(Ordering::Relaxed)
        );
        s.push_str("ports:\n");
        for p in &self.ports {
            let c = ports.get(p.index as usize).copied().unwrap_or_default();
            let _ = writeln!(
                s,
                "  {} rx_packets {} rx_bytes {} tx_packets {} tx_bytes {} tx_dropped {} ring_packets {} ring_drops {}",
                p.name,
                c.rx_packets,
                c.rx_bytes,
                c.tx_packets,
                c.tx_bytes,
                c.tx_dropped,
                c.ring_packets,
                c.ring_drops
            );
        }
        s.push_str("workers:\n");
        for (i, p) in all.iter().enumerate() {
            let name = if i < self.workers {
                format!("worker{i}")
            } else {
                "neigh".to_string()
            };
            let (rx, rxb, tx, txb) = p.io.ports.iter().fold((0, 0, 0, 0), |a, c| {
                (
                    a.0 + c.rx_packets,
                    a.1 + c.rx_bytes,
                    a.2 + c.tx_packets,
                    a.3 + c.tx_bytes,
                )
            });
            let _ = writeln!(
                s,
                "  {name} rx_packets {rx} rx_bytes {rxb} tx_packets {tx} tx_bytes {txb} received {} forwarded {} local {} dropped {}",
                p.stats.received,
                p.stats.forwarded,
                p.stats.local,
                p.stats.consumed()
            );
        }
        s.push_str("drops:\n");
        for r in Reason::ALL {
            let _ = writeln!(s, "  {} {}", r.as_str(), total.reason(*r));
        }
        s.push_str("local:\n");
        for r in HostReason::ALL {
            let _ = writeln!(s, "  {} {}", r.as_str(), host.get(*r));
        }
        let ns = self.neigh.stats();
        let _ = writeln!(
            s,
            "neigh: entries {} queued {} res_failed {} unres_discards {} table_fulls {}",
            self.neigh.len(),
            self.neigh.queued_frames(),
            ns.res_failed,
            ns.unres_discards,
            ns.table_fulls
        );
        let _ = writeln!(s, "conntrack: entries {}", self.ct.len());
        drop(snap);
        s
    }

    /// The sum of every thread's netfilter counters.
    fn nf_sum(&self) -> Counters {
        let all = self.collect();
        let mut c = self.snap.load().nf.counters();
        for p in &all {
            c.add(&p.nf);
        }
        c
    }

    /// Answers one control request.
    pub fn answer(&self, req: &Request, stream: &UnixStream) -> Answer {
        let Some(first) = req.words.first() else {
            return Answer::fail("ruta: empty request", 1);
        };
        match first.as_str() {
            "stats" => Answer::ok(self.stats_text()),
            "reload" => match self.reload() {
                Ok(m) => Answer::ok(m + "\n"),
                Err(e) => {
                    eprintln!("ruta: reload failed, still running the previous config:\n{e}");
                    Answer::fail(e, 1)
                }
            },
            "capture" => self.capture(&req.words[1..], stream),
            "ip" | "sysctl" | "iptables" | "iptables-save" | "conntrack" | "trace" => {
                let snap = self.snap.load_full();
                let nf = if matches!(first.as_str(), "iptables" | "iptables-save") {
                    Some(self.nf_sum())
                } else {
                    None
                };
                let now_ms = self.clock.now_ms();
                let v = View {
                    snap: &snap,
                    nf: nf.as_ref(),
                    ct: &self.ct,
                    now: (now_ms / 1000) as u32,
                    neigh: Some((&self.neigh, now_ms)),
                    mode: Mode::Live,
                };
                control::query(&v, &req.words, &req.input)
            }
            other => Answer::fail(format!("ruta: unknown command \"{other}\""), 1),
        }
    }

    /// `capture PORT -w FILE [-c N]`: runs until N frames, the client goes away, or shutdown.
    fn capture(&self, words: &[String], stream: &UnixStream) -> Answer {
        let usage = "usage: ruta capture PORT -w FILE.pcap [-c N]";
        let (mut port, mut file, mut count) = (None, None, None);
        let mut i = 0;
        while i < words.len() {
            match words[i].as_str() {
                "-w" => {
                    i += 1;
                    file = words.get(i).cloned();
                }
                "-c" => {
                    i += 1;
                    match words.get(i).and_then(|c| c.parse::<u64>().ok()) {
                        Some(c) if c > 0 => count = Some(c),
                        _ => {
                            return Answer::fail(
                                format!("ruta: capture: -c needs a count\n{usage}"),
                                1,
                            )
                        }
                    }
                }
                p if port.is_none() && !p.starts_with('-') => port = Some(p.to_string()),
                w => {
                    return Answer::fail(
                        format!("ruta: capture: unknown argument \"{w}\"\n{usage}"),
                        1,
                    )
                }
            }
            i += 1;
        }
        let (Some(port), Some(file)) = (port, file) else {
            return Answer::fail(usage, 1);
        };
        let Some(p) = self.ports.iter().find(|p| p.name == port) else {
            return Answer::fail(
                format!("ruta: capture: {port} is not a port of this router"),
                1,
            );
        };
        let linktype = if p.tun {
            capture::LINKTYPE_RAW
        } else {
            capture::LINKTYPE_ETHERNET
        };
        let f = match std::fs::File::create(&file) {
            Ok(f) => f,
            Err(e) => return Answer::fail(format!("ruta: capture: {file}: {e}"), 1),
        };
        let rx = match self.tap.start(p.index) {
            Ok(rx) => rx,
            Err(e) => return Answer::fail(format!("ruta: capture: {e}"), 1),
        };
        let mut w = std::io::BufWriter::new(f);
        let mut alive = || !self.stop.load(Ordering::Relaxed) && client_alive(stream);
        let r = capture::write_pcap(&mut w, linktype, &rx, count, &mut alive);
        self.tap.stop();
        match r {
            Ok(n) => Answer {
                out: String::new(),
                err: format!(
                    "{n} packets captured\n{} packets dropped by ruta\n",
                    self.tap.dropped.load(Ordering::Relaxed)
                ),
                code: 0,
            },
            Err(e) => Answer::fail(format!("ruta: capture: {file}: {e}"), 1),
        }
    }
}

/// The client is still connected (no EOF / hang-up on its stream).
fn client_alive(s: &UnixStream) -> bool {
    use std::os::fd::AsRawFd;
    let mut p = libc::pollfd {
        fd: s.as_raw_fd(),
        events: libc::POLLIN | libc::POLLRDHUP,
        revents: 0,
    };
    // SAFETY: one valid pollfd, no wait.
    let r = unsafe { libc::poll(&mut p, 1, 0) };
    r == 0 || p.revents & (libc::POLLHUP | libc::POLLRDHUP | libc::POLLERR | libc::POLLIN) == 0
}

/// `sd_notify`: one datagram to `$NOTIFY_SOCKET` (a path or an abstract `@name`).
pub fn sd_notify(msg: &str) {
    let Some(p) = std::env::var_os("NOTIFY_SOCKET") else {
        return;
    };
    let Ok(sock) = std::os::unix::net::UnixDatagram::unbound() else {
        return;
    };
    let b = p.as_encoded_bytes();
    if let Some(name) = b.strip_prefix(b"@") {
        use std::os::linux::net::SocketAddrExt;
        if let Ok(a) = std::os::unix::net::SocketAddr::from_abstract_name(name) {
            let _ = sock.send_to_addr(msg.as_bytes(), &a);
        }
    } else {
        let _ = sock.send_to(msg.as_bytes(), &p);
    }
}

/// The socket file, removed on drop.
struct SocketFile(PathBuf);

impl Drop for SocketFile {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

fn bind_socket(path: &Path) -> Result<(mio::net::UnixListener, SocketFile), String> {
    use std::os::unix::fs::PermissionsExt;
    if let Some(dir) = path.parent() {
        if !dir.as_os_str().is_empty() {
            std::fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
        }
    }
    if path.exists() {
        if UnixStream::connect(path).is_ok() {
            return Err(format!(
                "{}: a daemon already answers on this socket",
                path.display()
            ));
        }
        let _ = std::fs::remove_file(path);
    }
    let l = mio::net::UnixListener::bind(path).map_err(|e| format!("{}: {e}", path.display()))?;
    let f = SocketFile(path.to_path_buf());
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600))
        .map_err(|e| format!("{}: {e}", path.display()))?;
    Ok((l, f))
}

fn signal_set() -> libc::sigset_t {
    // SAFETY: sigset manipulation on a local.
    unsafe {
        let mut s: libc::sigset_t = std::mem::zeroed();
        libc::sigemptyset(&mut s);
        libc::sigaddset(&mut s, libc::SIGTERM);
        libc::sigaddset(&mut s, libc::SIGINT);
        libc::sigaddset(&mut s, libc::SIGHUP);
        s
    }
}

/// Waits up to `ms` for SIGTERM/SIGINT/SIGHUP (blocked in every thread).
fn wait_signal(set: &libc::sigset_t, ms: u64) -> Option<i32> {
    let ts = libc::timespec {
        tv_sec: (ms / 1000) as libc::time_t,
        tv_nsec: ((ms % 1000) * 1_000_000) as libc::c_long,
    };
    // SAFETY: valid set and timeout; no siginfo wanted.
    let r = unsafe { libc::sigtimedwait(set, std::ptr::null_mut(), &ts) };
    (r > 0).then_some(r)
}

/// The opened I/O of one port.
struct Opened {
    info: PortInfo,
    guard: Option<KernelGuard>,
    rx: Vec<RxRing>,
    tun: Option<Arc<Tun>>,
}

fn open_port(name: &str, index: IfIndex, tun: bool, workers: usize) -> Result<Opened, String> {
    let err = |what: &str, e: std::io::Error| format!("port {name}: {what}: {e}");
    if tun {
        let t = if crate::link::ifindex(name).is_some() {
            Tun::attach(name).map_err(|e| err("attach TUN", e))?
        } else {
            Tun::create(name).map_err(|e| err("create TUN", e))?
        };
        t.set_up(true).map_err(|e| err("set up", e))?;
        let mtu = t.mtu().map_err(|e| err("mtu", e))?;
        return Ok(Opened {
            info: PortInfo {
                name: name.into(),
                index,
                tun: true,
                workers: 1,
                mac: [0; 6],
                mtu,
            },
            guard: None,
            rx: Vec::new(),
            tun: Some(Arc::new(t)),
        });
    }
    let info = IfaceInfo::lookup(name).map_err(|e| err("lookup", e))?;
    let mac = info
        .mac
        .filter(|m| *m != [0; 6])
        .ok_or_else(|| format!("port {name}: has no Ethernet address"))?;
    if !info.up {
        LinkCtl::new()
            .and_then(|c| c.set_up(name, true))
            .map_err(|e| err("set up", e))?;
    }
    let guard = KernelGuard::install(name).map_err(|e| err("kernel guard (tc)", e))?;
    let opts = RxOptions {
        ring: RxConfig::for_mtu(RingVersion::V2, info.mtu, 4 << 20),
        ..RxOptions::default()
    };
    let rx = RxRing::open_group(name, workers, FanoutMode::Hash, &opts)
        .map_err(|e| err("RX ring", e))?;
    Ok(Opened {
        info: PortInfo {
            name: name.into(),
            index,
            tun: false,
            workers,
            mac,
            mtu: info.mtu,
        },
        guard: Some(guard),
        rx,
        tun: None,
    })
}

fn tx_ring(p: &PortInfo) -> Result<Tx, String> {
    Tx::open(&p.name, TX_MODE, &TxConfig::default())
        .map_err(|e| format!("port {}: TX ({:?}): {e}", p.name, TX_MODE))
}

/// Runs the daemon until SIGTERM/SIGINT. Errors before anything ran are returned (the
/// caller prints them and exits 1); everything opened is closed again.
pub fn run(opts: &RunOptions) -> Result<(), String> {
    // every thread inherits the blocked set; the main thread takes them with sigtimedwait
    let set = signal_set();
    // SAFETY: blocking signals of this thread, before any other thread exists.
    unsafe { libc::pthread_sigmask(libc::SIG_BLOCK, &set, std::ptr::null_mut()) };
    // the config first: an error starts nothing
    let rt0 = load_router(&opts.config, &[])?;
    let declared = declared_ports(&rt0);
    if declared.is_empty() {
        return Err(format!(
            "{}: declares no port with I/O (only dummy links): nothing to run; \
             evaluate it offline with ruta -c FILE",
            opts.config.display()
        ));
    }
    let (listener, sockfile) = bind_socket(&opts.socket)?;
    let mut opened = Vec::new();
    for (name, index, tun, workers) in &declared {
        opened.push(open_port(name, *index, *tun, *workers)?);
    }
    let ports: Vec<PortInfo> = opened.iter().map(|o| o.info.clone()).collect();
    let rt = load_router(&opts.config, &ports)?;
    let snap = Snapshot::new(rt);
    let nworkers = ports
        .iter()
        .filter(|p| !p.tun)
        .map(|p| p.workers)
        .max()
        .unwrap_or(1)
        .max(1);
    let maxidx = ports.iter().map(|p| p.index as usize).max().unwrap_or(0) + 1;
    let nslots = snap
        .ports()
        .map(|p| p.index as usize)
        .max()
        .unwrap_or(0)
        .max(maxidx)
        + 1;

    let neigh_poll = mio::Poll::new().map_err(|e| format!("mio: {e}"))?;
    let neigh_waker =
        mio::Waker::new(neigh_poll.registry(), mio::Token(0)).map_err(|e| format!("mio: {e}"))?;
    let ctl_poll = mio::Poll::new().map_err(|e| format!("mio: {e}"))?;
    let ctl_waker = mio::Waker::new(ctl_poll.registry(), control::WAKER).ok();

    // per-thread TX side
    let mut ios: Vec<Io> = Vec::new();
    for _ in 0..=nworkers {
        let mut io = Io::new(nslots);
        for (p, o) in ports.iter().zip(opened.iter()) {
            if p.tun {
                io.tuns[p.index as usize] = o.tun.clone();
            } else {
                io.tx[p.index as usize] = Some(tx_ring(p)?);
            }
        }
        ios.push(io);
    }
    let sh = Arc::new(Shared {
        snap: ArcSwap::from_pointee(snap),
        ct: Conntrack::new(ruta_conntrack::Config::default()),
        neigh: Neigh::new(Params::default()),
        limiter: Mutex::new(IcmpLimiter::new()),
        clock: Clock::new(),
        stop: AtomicBool::new(false),
        neigh_waker,
        control_waker: ctl_waker,
        published: (0..=nworkers)
            .map(|_| Mutex::new(Published::default()))
            .collect(),
        pub_request: AtomicU64::new(0),
        tap: Tap::new(),
        config: opts.config.clone(),
        ports: ports.clone(),
        reload_lock: Mutex::new(()),
        workers: nworkers,
    });
    // workers: worker w gets ring w of every port with more than w rings
    let mut rings: Vec<std::vec::IntoIter<RxRing>> = opened
        .iter_mut()
        .map(|o| std::mem::take(&mut o.rx).into_iter())
        .collect();
    let neigh_io = ios.pop().unwrap_or_else(|| Io::new(nslots));
    let mut handles = Vec::new();
    for (w, io) in ios.into_iter().enumerate() {
        let mut rx = Vec::new();
        for (p, it) in ports.iter().zip(rings.iter_mut()) {
            if let Some(r) = it.next() {
                rx.push((p.index, r));
            }
        }
        let tun_rx = if w == 0 {
            ports
                .iter()
                .zip(opened.iter())
                .filter_map(|(p, o)| o.tun.clone().map(|t| (p.index, t)))
                .collect()
        } else {
            Vec::new()
        };
        let worker = Worker {
            id: w,
            rx,
            tun_rx,
            io,
        };
        let s = sh.clone();
        handles.push(
            std::thread::Builder::new()
                .name(format!("ruta-w{w}"))
                .spawn(move || worker::worker_loop(&s, worker))
                .map_err(|e| format!("thread: {e}"))?,
        );
    }
    {
        let s = sh.clone();
        handles.push(
            std::thread::Builder::new()
                .name("ruta-neigh".into())
                .spawn(move || worker::neigh_loop(&s, neigh_io, neigh_poll, nworkers))
                .map_err(|e| format!("thread: {e}"))?,
        );
    }
    {
        let s = sh.clone();
        let s2 = sh.clone();
        handles.push(
            std::thread::Builder::new()
                .name("ruta-ctl".into())
                .spawn(move || {
                    let stop = || s.stop.load(Ordering::Relaxed);
                    control::serve(listener, ctl_poll, &stop, move |stream| {
                        let s3 = s2.clone();
                        control::answer_one(stream, &|req, st| s3.answer(req, st));
                    })
                })
                .map_err(|e| format!("thread: {e}"))?,
        );
    }
    // gratuitous ARP for every address of every Ethernet port
    {
        let snap = sh.snap.load();
        for p in ports.iter().filter(|p| !p.tun) {
            for a in snap.router.addrs_of(p.index) {
                sh.neigh.announce(p.index, a.local);
            }
        }
        let _ = sh.neigh_waker.wake();
    }
    eprintln!(
        "ruta: running {} with {} worker(s); ports: {}; control socket {}",
        opts.config.display(),
        nworkers,
        ports
            .iter()
            .map(|p| if p.tun {
                format!("{} (tun)", p.name)
            } else {
                format!("{} (af_packet, {} ring(s))", p.name, p.workers)
            })
            .collect::<Vec<_>>()
            .join(", "),
        opts.socket.display()
    );
    sd_notify("READY=1");
    // main thread: signals and conntrack gc
    let budget = (sh.ct.buckets() / 100).max(64);
    loop {
        match wait_signal(&set, 100) {
            Some(libc::SIGHUP) => match sh.reload() {
                Ok(m) => eprintln!("ruta: {m}"),
                Err(e) => eprintln!("ruta: reload failed, still running the previous config:\n{e}"),
            },
            Some(_) => break,
            None => {}
        }
        sh.ct.gc(sh.clock.now_s(), budget);
    }
    eprintln!("ruta: stopping");
    sd_notify("STOPPING=1");
    sh.stop.store(true, Ordering::SeqCst);
    let _ = sh.neigh_waker.wake();
    if let Some(w) = &sh.control_waker {
        let _ = w.wake();
    }
    for h in handles {
        let _ = h.join();
    }
    let mut code = Ok(());
    for o in opened.iter_mut() {
        if let Some(g) = o.guard.take() {
            if let Err(e) = g.uninstall() {
                eprintln!("ruta: port {}: removing the kernel guard: {e}", o.info.name);
                code = Err(format!(
                    "port {}: kernel guard not removed: {e}",
                    o.info.name
                ));
            }
        }
    }
    drop(opened);
    drop(sockfile);
    code
}
