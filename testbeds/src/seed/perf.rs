//! Forwarding rate and CPU per packet of masq-gw, the kernel and ruta side by side
//! on the seed topology (binary: `seedperf`).
//!
//! Owns the blasts (prebuilt UDP frames sent from the desktop's namespace with an
//! AF_PACKET socket and `sendmmsg`), the count of what leaves masq-gw on the T1
//! link, the CPU accounting, and the report arithmetic. It builds topologies with
//! [`super::topo`] and drives modes with [`super::run`] / [`super::ruta`]; it changes
//! nothing there and nothing in the root namespace.
//!
//! Traffic: desktop 198.18.99.10, UDP source ports `base_sport..base_sport+flows`, to
//! the far host 198.19.0.10 port 5001. UDP is not marked by the seed (its MARK rules
//! are `-p tcp`), so it takes table main's default route, the T1 line (eth1), and is
//! SNATed to 198.51.100.179. Before each measured blast a warm-up sends every flow
//! twice (conntrack entries, SNAT bindings, ARP for the T1 provider) and a capture on
//! the T1 provider's side checks that the packets arrive there SNATed.
//!
//! Counting: on the T1 provider's link to masq-gw (`eth0` in its namespace) a tc
//! ingress cBPF program drops every non-ARP frame, and the count is that link's
//! `rx_packets` delta (`ip -s -j link`): what masq-gw put on the wire, with nothing
//! downstream (provider forwarding, far-host delivery) adding CPU in either mode.
//! The far host itself is not reached during a blast; `seedbed` covers that path.
//!
//! CPU: the run time (`sum_exec_runtime`, from `schedstat`) of the tasks that carry
//! the traffic: the sender thread, the `ksoftirqd` threads and, in ruta mode, every
//! ruta thread. This kernel has no IRQ time accounting, so softirq work (the bridge,
//! the kernel's forwarding, AF_PACKET ring copies, veth hand-offs) is charged to the
//! task it runs on, which is one of those: the sum is the path's CPU, kernel side
//! included, for both routers alike. Machine-wide busy time from `/proc/stat`, net of
//! the idle rate measured just before the blast, is the cross-check. The "door" blast
//! is the same blast with masq-gw's `eth0` behind a tc drop-all (what ruta's kernel
//! guard installs): sender, bridge and veth cost per offered packet. Router CPU per
//! forwarded packet = (path CPU of the forwarding blast - door cost per offered packet
//! x offered) / forwarded. ruta's own threads per forwarded packet are reported too.

use std::net::{Ipv4Addr, SocketAddrV4};
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
use std::path::PathBuf;
use std::time::{Duration, Instant};

use super::plan::kernel_plan;
use super::run::{self, Mode};
use super::ruta::{self, Daemon};
use super::sys::{inet_checksum, Capture};
use super::topo::{self, Role, Topology};
use super::wire::{self, Link};
use crate::netns::{self, Netns};

/// The far host's UDP port the blasts go to.
pub const DPORT: u16 = 5001;
/// masq-gw's address on the T1 line: the SNAT source of the blasts.
pub const SNAT_SRC: Ipv4Addr = topo::T1_GW_ADDR;
/// Smallest frame [`build_frame`] makes: Ethernet + IPv4 + UDP headers.
pub const MIN_FRAME: usize = 14 + 20 + 8;
/// Largest: a 1500-byte IP packet in an Ethernet frame (no FCS).
pub const MAX_FRAME: usize = 1514;

/// One traffic pattern.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Scenario {
    pub name: &'static str,
    /// Distinct UDP source ports, used round robin.
    pub flows: u16,
    /// Frame length on the veth (Ethernet header included, no FCS).
    pub frame_len: usize,
    /// First source port; each scenario has its own so its flows are new to conntrack.
    pub base_sport: u16,
}

pub const SCENARIOS: [Scenario; 3] = [
    Scenario {
        name: "1 flow, 64 B",
        flows: 1,
        frame_len: 64,
        base_sport: 10000,
    },
    Scenario {
        name: "1000 flows, 64 B",
        flows: 1000,
        frame_len: 64,
        base_sport: 20000,
    },
    Scenario {
        name: "1000 flows, 1400 B",
        flows: 1000,
        frame_len: 1400,
        base_sport: 30000,
    },
];

/// Builds an Ethernet/IPv4/UDP frame of exactly `len` bytes into `buf` (replacing
/// its contents), with valid IP and UDP checksums, TTL 64, DF set.
#[allow(clippy::too_many_arguments)]
pub fn build_frame(
    buf: &mut Vec<u8>,
    dst_mac: [u8; 6],
    src_mac: [u8; 6],
    src: SocketAddrV4,
    dst: SocketAddrV4,
    len: usize,
    ip_id: u16,
) -> Result<(), String> {
    if !(MIN_FRAME..=MAX_FRAME).contains(&len) {
        return Err(format!(
            "frame length {len} outside {MIN_FRAME}..={MAX_FRAME}"
        ));
    }
    buf.clear();
    buf.resize(len, 0);
    buf[0..6].copy_from_slice(&dst_mac);
    buf[6..12].copy_from_slice(&src_mac);
    buf[12..14].copy_from_slice(&0x0800u16.to_be_bytes());
    let ip_len = (len - 14) as u16;
    let udp_len = ip_len - 20;
    {
        let ip = &mut buf[14..34];
        ip[0] = 0x45;
        ip[2..4].copy_from_slice(&ip_len.to_be_bytes());
        ip[4..6].copy_from_slice(&ip_id.to_be_bytes());
        ip[6..8].copy_from_slice(&0x4000u16.to_be_bytes());
        ip[8] = 64;
        ip[9] = 17;
        ip[12..16].copy_from_slice(&src.ip().octets());
        ip[16..20].copy_from_slice(&dst.ip().octets());
        let c = inet_checksum(ip);
        ip[10..12].copy_from_slice(&c.to_be_bytes());
    }
    for (i, b) in buf[42..].iter_mut().enumerate() {
        *b = (i as u8).wrapping_mul(7).wrapping_add(0x30);
    }
    let udp = &mut buf[34..];
    udp[0..2].copy_from_slice(&src.port().to_be_bytes());
    udp[2..4].copy_from_slice(&dst.port().to_be_bytes());
    udp[4..6].copy_from_slice(&udp_len.to_be_bytes());
    // Pseudo-header + UDP header + payload.
    let mut ph = Vec::with_capacity(12 + udp.len());
    ph.extend_from_slice(&src.ip().octets());
    ph.extend_from_slice(&dst.ip().octets());
    ph.extend_from_slice(&[0, 17]);
    ph.extend_from_slice(&udp_len.to_be_bytes());
    ph.extend_from_slice(udp);
    let c = match inet_checksum(&ph) {
        0 => 0xffff,
        c => c,
    };
    udp[6..8].copy_from_slice(&c.to_be_bytes());
    Ok(())
}

/// The frames of a scenario, one per flow, from the desktop to the far host.
pub fn scenario_frames(
    sc: &Scenario,
    gw_mac: [u8; 6],
    desk_mac: [u8; 6],
) -> Result<Vec<Vec<u8>>, String> {
    (0..sc.flows)
        .map(|i| {
            let sport = sc
                .base_sport
                .checked_add(i)
                .ok_or_else(|| format!("{}: source ports overflow", sc.name))?;
            let mut f = Vec::new();
            build_frame(
                &mut f,
                gw_mac,
                desk_mac,
                SocketAddrV4::new(topo::DESKTOP, sport),
                SocketAddrV4::new(topo::FAR, DPORT),
                sc.frame_len,
                i,
            )?;
            Ok(f)
        })
        .collect()
}

/// What one blast sent.
#[derive(Clone, Copy, Debug, Default)]
pub struct Sent {
    pub packets: u64,
    /// From the first to the last `sendmmsg`.
    pub secs: f64,
    /// The sender thread's run time (`/proc/thread-self/schedstat`), ns: its own
    /// work plus the softirq work (bridge, the kernel router, veth) run on its stack.
    pub thread_cpu_ns: u64,
    /// `sendmmsg` calls that failed with ENOBUFS/EAGAIN and were retried.
    pub retries: u64,
}

const PACKET_QDISC_BYPASS: libc::c_int = 20;
const BATCH: usize = 64;

fn thread_cpu_ns() -> u64 {
    schedstat_ns("/proc/thread-self/schedstat").unwrap_or(0)
}

/// Sends `count` frames (round robin over `frames`) out of interface `ifname` of
/// the calling thread's namespace, as fast as `sendmmsg` on an AF_PACKET socket
/// goes, for at most `limit`.
pub fn blast(
    frames: &[Vec<u8>],
    ifname: &str,
    count: u64,
    limit: Duration,
) -> Result<Sent, String> {
    if frames.is_empty() {
        return Err("no frames to send".into());
    }
    // SAFETY: plain socket(2); owned right away.
    let fd = unsafe { libc::socket(libc::AF_PACKET, libc::SOCK_RAW | libc::SOCK_CLOEXEC, 0) };
    if fd < 0 {
        return Err(format!(
            "AF_PACKET socket: {}",
            std::io::Error::last_os_error()
        ));
    }
    // SAFETY: fresh descriptor nobody else owns.
    let fd = unsafe { OwnedFd::from_raw_fd(fd) };
    let cname = std::ffi::CString::new(ifname).map_err(|_| "bad interface name".to_string())?;
    // SAFETY: valid NUL-terminated name.
    let idx = unsafe { libc::if_nametoindex(cname.as_ptr()) };
    if idx == 0 {
        return Err(format!("no interface {ifname}"));
    }
    // SAFETY: all-zero is a valid sockaddr_ll.
    let mut sll: libc::sockaddr_ll = unsafe { std::mem::zeroed() };
    sll.sll_family = libc::AF_PACKET as u16;
    sll.sll_ifindex = idx as i32;
    // SAFETY: valid fd and address.
    if unsafe {
        libc::bind(
            fd.as_raw_fd(),
            (&sll as *const libc::sockaddr_ll).cast(),
            std::mem::size_of::<libc::sockaddr_ll>() as libc::socklen_t,
        )
    } != 0
    {
        return Err(format!(
            "bind to {ifname}: {}",
            std::io::Error::last_os_error()
        ));
    }
    let one: libc::c_int = 1;
    let sndbuf: libc::c_int = 4 << 20;
    for (level, opt, v) in [
        (libc::SOL_PACKET, PACKET_QDISC_BYPASS, &one),
        (libc::SOL_SOCKET, libc::SO_SNDBUF, &sndbuf),
    ] {
        // SAFETY: valid fd and option buffer (failure only costs speed).
        unsafe {
            libc::setsockopt(
                fd.as_raw_fd(),
                level,
                opt,
                (v as *const libc::c_int).cast(),
                std::mem::size_of::<libc::c_int>() as libc::socklen_t,
            );
        }
    }
    // SAFETY: all-zero iovec / mmsghdr are valid (null pointers, zero lengths).
    let mut iov: [libc::iovec; BATCH] = unsafe { std::mem::zeroed() };
    // SAFETY: as above.
    let mut msgs: [libc::mmsghdr; BATCH] = unsafe { std::mem::zeroed() };
    let cpu0 = thread_cpu_ns();
    let t0 = Instant::now();
    let (mut sent, mut retries, mut next) = (0u64, 0u64, 0usize);
    while sent < count && t0.elapsed() < limit {
        let k = (count - sent).min(BATCH as u64) as usize;
        for j in 0..k {
            let f = &frames[(next + j) % frames.len()];
            iov[j].iov_base = f.as_ptr() as *mut libc::c_void;
            iov[j].iov_len = f.len();
            msgs[j].msg_hdr.msg_iov = &mut iov[j];
            msgs[j].msg_hdr.msg_iovlen = 1;
            msgs[j].msg_len = 0;
        }
        // SAFETY: k initialised headers pointing at live frames.
        let rc = unsafe { libc::sendmmsg(fd.as_raw_fd(), msgs.as_mut_ptr(), k as libc::c_uint, 0) };
        if rc < 0 {
            let e = std::io::Error::last_os_error();
            match e.raw_os_error() {
                Some(libc::ENOBUFS) | Some(libc::EAGAIN) | Some(libc::EINTR) => {
                    retries += 1;
                    std::thread::yield_now();
                    continue;
                }
                _ => return Err(format!("sendmmsg on {ifname}: {e}")),
            }
        }
        sent += rc as u64;
        next = (next + rc as usize) % frames.len();
    }
    let secs = t0.elapsed().as_secs_f64();
    Ok(Sent {
        packets: sent,
        secs,
        thread_cpu_ns: thread_cpu_ns().saturating_sub(cpu0),
        retries,
    })
}

// ---- counters and CPU ------------------------------------------------------------

/// `rx_packets` of `ifname` in `ns` (`ip -s -j link show`).
pub fn rx_packets(ns: &Netns, ifname: &str) -> Result<u64, String> {
    let out = ns.ip(&["-s", "-j", "link", "show", "dev", ifname]);
    if !out.ok() {
        return Err(format!(
            "ip -s link in {}: {}",
            ns.name(),
            out.stderr.trim()
        ));
    }
    let v: serde_json::Value =
        serde_json::from_str(&out.stdout).map_err(|e| format!("ip -s -j link: {e}"))?;
    v.get(0)
        .and_then(|l| l.pointer("/stats64/rx/packets"))
        .and_then(|p| p.as_u64())
        .ok_or_else(|| format!("no rx packets for {ifname} in {}", ns.name()))
}

/// The MAC address of `ifname` in `ns`.
pub fn mac_of(ns: &Netns, ifname: &str) -> Result<[u8; 6], String> {
    let out = ns.ip(&["-j", "link", "show", "dev", ifname]);
    let v: serde_json::Value = serde_json::from_str(&out.stdout)
        .map_err(|e| format!("ip -j link in {}: {e} ({})", ns.name(), out.stderr.trim()))?;
    let s = v
        .get(0)
        .and_then(|l| l.get("address"))
        .and_then(|a| a.as_str())
        .ok_or_else(|| format!("no address for {ifname} in {}", ns.name()))?;
    parse_mac(s).ok_or_else(|| format!("bad MAC {s:?}"))
}

pub fn parse_mac(s: &str) -> Option<[u8; 6]> {
    let mut m = [0u8; 6];
    let mut it = s.split(':');
    for b in &mut m {
        *b = u8::from_str_radix(it.next()?, 16).ok()?;
    }
    it.next().is_none().then_some(m)
}

/// Clock ticks per second of `/proc` times (USER_HZ).
pub fn clk_tck() -> u64 {
    // SAFETY: sysconf has no preconditions.
    let t = unsafe { libc::sysconf(libc::_SC_CLK_TCK) };
    if t > 0 {
        t as u64
    } else {
        100
    }
}

/// Busy ticks of the `cpu` line of a `/proc/stat` text: user + nice + system + irq +
/// softirq (idle, iowait and steal excluded; guest time is inside user).
pub fn busy_ticks(stat: &str) -> Option<u64> {
    let line = stat.lines().find(|l| l.starts_with("cpu "))?;
    let f: Vec<u64> = line
        .split_whitespace()
        .skip(1)
        .map(|x| x.parse().ok())
        .collect::<Option<_>>()?;
    if f.len() < 7 {
        return None;
    }
    Some(f[0] + f[1] + f[2] + f[5] + f[6])
}

/// Machine-wide busy time so far, ns.
pub fn machine_busy_ns() -> Result<f64, String> {
    let s = std::fs::read_to_string("/proc/stat").map_err(|e| format!("/proc/stat: {e}"))?;
    let t = busy_ticks(&s).ok_or("cannot parse /proc/stat")?;
    Ok(t as f64 * 1e9 / clk_tck() as f64)
}

/// The run time (ns) in a `schedstat` text: its first field, the scheduler's
/// `sum_exec_runtime`, which (without IRQ time accounting, as here) includes the
/// softirq work done on the task's stack.
pub fn parse_schedstat(text: &str) -> Option<u64> {
    text.split_whitespace().next()?.parse().ok()
}

fn schedstat_ns(path: &str) -> Option<u64> {
    parse_schedstat(&std::fs::read_to_string(path).ok()?)
}

/// Run time of every thread of process `pid` (sum of `/proc/PID/task/*/schedstat`), ns.
pub fn process_runtime_ns(pid: u32) -> Result<u64, String> {
    let dir = format!("/proc/{pid}/task");
    let rd = std::fs::read_dir(&dir).map_err(|e| format!("{dir}: {e}"))?;
    let mut sum = 0;
    for e in rd.flatten() {
        let p = e.path().join("schedstat");
        sum += schedstat_ns(&p.to_string_lossy()).unwrap_or(0);
    }
    Ok(sum)
}

/// The `ksoftirqd/N` threads: softirq work the kernel defers off the task that raised it.
pub fn ksoftirqd_pids() -> Vec<u32> {
    let Ok(rd) = std::fs::read_dir("/proc") else {
        return Vec::new();
    };
    rd.flatten()
        .filter_map(|e| e.file_name().to_str()?.parse::<u32>().ok())
        .filter(|pid| {
            std::fs::read_to_string(format!("/proc/{pid}/comm"))
                .is_ok_and(|c| c.starts_with("ksoftirqd/"))
        })
        .collect()
}

fn ksoftirqd_ns(pids: &[u32]) -> u64 {
    pids.iter()
        .filter_map(|p| schedstat_ns(&format!("/proc/{p}/schedstat")))
        .sum()
}

// ---- arithmetic ------------------------------------------------------------------

/// Packets per second; 0 when no time passed.
pub fn pps(packets: u64, secs: f64) -> f64 {
    if secs > 0.0 {
        packets as f64 / secs
    } else {
        0.0
    }
}

/// Share of the offered packets that were not forwarded, percent (never negative:
/// a few extra frames on the link, ARP, count as none lost).
pub fn loss_pct(offered: u64, forwarded: u64) -> f64 {
    if offered == 0 {
        0.0
    } else {
        100.0 * offered.saturating_sub(forwarded) as f64 / offered as f64
    }
}

/// `ns / packets`, `None` for no packets.
pub fn ns_per_packet(ns: f64, packets: u64) -> Option<f64> {
    (packets > 0).then(|| ns / packets as f64)
}

/// Busy time of a window net of the machine's idle-time activity: `busy - rate x
/// secs`, at least 0. `rate` is busy ns per second measured without traffic.
pub fn net_busy(busy_ns: f64, idle_rate_ns_per_s: f64, secs: f64) -> f64 {
    (busy_ns - idle_rate_ns_per_s * secs).max(0.0)
}

/// Router CPU per forwarded packet: the forwarding blast's net busy time minus the
/// door cost (sender, bridge, veth: ns per offered packet, from the door blast) for
/// every offered packet, over the forwarded packets. `None` if nothing was forwarded.
pub fn router_ns_per_packet(
    busy_ns: f64,
    door_ns_per_offered: f64,
    offered: u64,
    forwarded: u64,
) -> Option<f64> {
    ns_per_packet(busy_ns - door_ns_per_offered * offered as f64, forwarded)
}

/// Ratio a / b, `None` when b is not positive.
pub fn ratio(a: f64, b: f64) -> Option<f64> {
    (b > 0.0).then(|| a / b)
}

// ---- one measured blast ----------------------------------------------------------

/// What kind of blast a [`Sample`] is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// masq-gw's eth0 drops everything at tc ingress: the cost of reaching the router.
    Door,
    /// The router forwards.
    Forward,
}

/// One measured blast.
#[derive(Clone, Debug)]
pub struct Sample {
    pub mode: Mode,
    pub kind: Kind,
    pub scenario: usize,
    pub sent: Sent,
    /// Frames that arrived on the T1 provider's side of the link.
    pub forwarded: u64,
    /// CPU of the tasks that carry the traffic over the window, ns: the sender
    /// thread, the `ksoftirqd` threads, and (ruta mode, forwarding) every ruta thread.
    pub own_ns: f64,
    /// ... of which the `ksoftirqd` threads, ns.
    pub softirqd_ns: f64,
    /// Machine busy time over the window (`/proc/stat`), net of the idle rate, ns:
    /// the cross-check, which other users of the machine disturb.
    pub busy_ns: f64,
    /// The idle rate before the blast, in CPUs busy (1.0 = one core).
    pub idle_load: f64,
    /// Window length (sending plus drain), s.
    pub window_secs: f64,
    /// ruta's own utime+stime over the window, ns.
    pub daemon_ns: Option<f64>,
    /// ruta's eth0 ring drops over the blast (from `ruta stats`), if known.
    pub ring_drops: Option<u64>,
}

/// Blast parameters.
#[derive(Clone, Copy, Debug)]
pub struct Params {
    pub count: u64,
    pub limit: Duration,
    pub idle: Duration,
    pub drain: Duration,
}

impl Default for Params {
    fn default() -> Params {
        Params {
            count: 1_000_000,
            limit: Duration::from_secs(4),
            idle: Duration::from_millis(300),
            drain: Duration::from_millis(150),
        }
    }
}

struct Bed<'a> {
    topo: &'a Topology,
    gw_mac: [u8; 6],
    desk_mac: [u8; 6],
}

impl Bed<'_> {
    fn frames(&self, sc: &Scenario) -> Result<Vec<Vec<u8>>, String> {
        scenario_frames(sc, self.gw_mac, self.desk_mac)
    }

    fn send(&self, frames: Vec<Vec<u8>>, count: u64, limit: Duration) -> Result<Sent, String> {
        netns::run_in(self.topo.name(Role::Desktop), move || {
            blast(&frames, "eth0", count, limit)
        })
    }

    fn delivered(&self) -> Result<u64, String> {
        rx_packets(self.topo.ns(Role::T1), "eth0")
    }

    /// One measured blast of `sc`; `daemon` is ruta's pid (ruta mode).
    fn measure(
        &self,
        mode: Mode,
        kind: Kind,
        si: usize,
        p: &Params,
        daemon: Option<(u32, &std::path::Path)>,
    ) -> Result<Sample, String> {
        let frames = self.frames(&SCENARIOS[si])?;
        let stats0 = daemon.and_then(|(_, bin)| ring_drops(bin));
        let i0 = machine_busy_ns()?;
        let ti = Instant::now();
        std::thread::sleep(p.idle);
        let idle_rate = (machine_busy_ns()? - i0) / ti.elapsed().as_secs_f64();
        let rx0 = self.delivered()?;
        let d0 = match daemon {
            Some((pid, _)) => Some(process_runtime_ns(pid)?),
            None => None,
        };
        let ksd = ksoftirqd_pids();
        let k0 = ksoftirqd_ns(&ksd);
        let b0 = machine_busy_ns()?;
        let t0 = Instant::now();
        let sent = self.send(frames, p.count, p.limit)?;
        std::thread::sleep(p.drain);
        let b1 = machine_busy_ns()?;
        let k1 = ksoftirqd_ns(&ksd);
        let window_secs = t0.elapsed().as_secs_f64();
        let d1 = match daemon {
            Some((pid, _)) => Some(process_runtime_ns(pid)?),
            None => None,
        };
        let daemon_ns = d0.zip(d1).map(|(a, b)| b.saturating_sub(a) as f64);
        let softirqd_ns = k1.saturating_sub(k0) as f64;
        let rx1 = self.delivered()?;
        let stats1 = daemon.and_then(|(_, bin)| ring_drops(bin));
        Ok(Sample {
            mode,
            kind,
            scenario: si,
            sent,
            forwarded: rx1.saturating_sub(rx0),
            own_ns: sent.thread_cpu_ns as f64 + softirqd_ns + daemon_ns.unwrap_or(0.0),
            softirqd_ns,
            busy_ns: net_busy(b1 - b0, idle_rate, window_secs),
            idle_load: idle_rate / 1e9,
            window_secs,
            daemon_ns,
            ring_drops: stats0.zip(stats1).map(|(a, b)| b.saturating_sub(a)),
        })
    }

    /// Sends every flow of `sc` a few times (conntrack, NAT bindings, ARP), then
    /// checks on the T1 provider's side that the flows arrive there SNATed.
    fn warm_and_check(&self, si: usize) -> Result<String, String> {
        let sc = &SCENARIOS[si];
        let n = u64::from(sc.flows);
        self.send(self.frames(sc)?, 2 * n, Duration::from_secs(2))?;
        std::thread::sleep(Duration::from_millis(300));
        let t1 = self.topo.name(Role::T1).to_string();
        let (tx, rx) = std::sync::mpsc::channel();
        let cap = netns::spawn_in(&t1, move || {
            let c = Capture::open("eth0").map_err(|e| format!("capture on T1 eth0: {e}"))?;
            let _ = tx.send(());
            let end = Instant::now() + Duration::from_secs(2);
            while Instant::now() < end {
                let Some(f) = c.next() else { continue };
                let Some(p) = wire::parse_frame(Link::T1, f.pkttype, &f.data) else {
                    continue;
                };
                if p.dst == SocketAddrV4::new(topo::FAR, DPORT) && p.proto == wire::Proto::Udp {
                    return Ok(p.src);
                }
            }
            Err("no blast packet seen on the T1 link".to_string())
        });
        rx.recv_timeout(Duration::from_secs(3))
            .map_err(|_| "the T1 capture did not start".to_string())?;
        self.send(self.frames(sc)?, n.max(64), Duration::from_secs(2))?;
        let src = cap
            .join()
            .map_err(|_| "capture thread panicked".to_string())??;
        if *src.ip() != SNAT_SRC {
            return Err(format!(
                "blast packets leave on T1 from {src}, not SNATed to {SNAT_SRC}"
            ));
        }
        Ok(format!(
            "{}:{}.. -> {} -> {}:{} on the T1 link",
            topo::DESKTOP,
            sc.base_sport,
            src,
            topo::FAR,
            DPORT
        ))
    }
}

/// `ruta stats`'s `ring_drops` of eth0 (the daemon's socket comes from `RUTA_SOCKET`).
fn ring_drops(bin: &std::path::Path) -> Option<u64> {
    let out = netns::run("timeout", &["3", &bin.to_string_lossy(), "stats"], None);
    parse_ring_drops(&out.stdout, "eth0")
}

/// The `ring_drops` value of port `port` in `ruta stats` text.
pub fn parse_ring_drops(stats: &str, port: &str) -> Option<u64> {
    stats.lines().find_map(|l| {
        let w: Vec<&str> = l.split_whitespace().collect();
        if w.first() != Some(&port) {
            return None;
        }
        let i = w.iter().position(|x| *x == "ring_drops")?;
        w.get(i + 1)?.parse().ok()
    })
}

/// The drop-everything-but-ARP program for the T1 provider's ingress, and the
/// drop-everything door program (ruta's kernel guard does the same).
const BPF_DROP_NON_ARP: &str = "4,40 0 0 12,21 0 1 2054,6 0 0 0,6 0 0 2";
const BPF_DROP_ALL: &str = "1,6 0 0 2";

fn tc(ns: &Netns, args: &[&str]) -> Result<(), String> {
    let out = ns.exec("tc", args);
    if out.ok() {
        Ok(())
    } else {
        Err(format!(
            "tc {} in {}: {}",
            args.join(" "),
            ns.name(),
            out.stderr.trim()
        ))
    }
}

fn drop_ingress(ns: &Netns, dev: &str, prog: &str) -> Result<(), String> {
    tc(ns, &["qdisc", "add", "dev", dev, "clsact"])?;
    tc(
        ns,
        &[
            "filter", "add", "dev", dev, "ingress", "pref", "1", "protocol", "all", "bpf",
            "bytecode", prog, "da",
        ],
    )
}

fn clear_ingress(ns: &Netns, dev: &str) -> Result<(), String> {
    tc(ns, &["qdisc", "del", "dev", dev, "clsact"])
}

/// Common preparation of a fresh topology: static bridge entry for masq-gw's MAC
/// (no flooding to isolde), the T1 provider's counting drop.
fn prepare(topo: &Topology) -> Result<([u8; 6], [u8; 6]), String> {
    let gw_mac = mac_of(topo.ns(Role::Gw), "eth0")?;
    let desk_mac = mac_of(topo.ns(Role::Desktop), "eth0")?;
    let mac = gw_mac
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect::<Vec<_>>()
        .join(":");
    let lan = topo.ns(Role::Lan);
    let out = lan.exec(
        "bridge",
        &["fdb", "replace", &mac, "dev", "gw0", "master", "static"],
    );
    if !out.ok() {
        return Err(format!(
            "bridge fdb in {}: {}",
            lan.name(),
            out.stderr.trim()
        ));
    }
    drop_ingress(topo.ns(Role::T1), "eth0", BPF_DROP_NON_ARP)?;
    Ok((gw_mac, desk_mac))
}

fn door_samples(bed: &Bed, mode: Mode, p: &Params) -> Result<Vec<Sample>, String> {
    let gw = bed.topo.ns(Role::Gw);
    drop_ingress(gw, "eth0", BPF_DROP_ALL)?;
    let mut v = Vec::new();
    let r = (0..SCENARIOS.len()).try_for_each(|si| {
        v.push(bed.measure(mode, Kind::Door, si, p, None)?);
        Ok::<(), String>(())
    });
    clear_ingress(gw, "eth0")?;
    r.map(|()| v)
}

/// Runs one mode on a fresh topology: the door blasts, then the forwarding blasts.
/// `progress` gets a line per stage.
pub fn run_mode(
    mode: Mode,
    config: &str,
    p: &Params,
    progress: &mut dyn FnMut(&str),
) -> Result<Vec<Sample>, String> {
    let bin = match mode {
        Mode::Ruta => {
            let b = ruta::find_ruta()?;
            ruta::run_available(&b)?;
            Some(b)
        }
        Mode::Kernel => None,
    };
    let plan = kernel_plan(config).map_err(|e| format!("config: {e}"))?;
    progress(&format!("[{mode}] building the namespaces"));
    let topo = Topology::build(mode == Mode::Kernel)?;
    let (gw_mac, desk_mac) = prepare(&topo)?;
    let bed = Bed {
        topo: &topo,
        gw_mac,
        desk_mac,
    };
    if mode == Mode::Kernel {
        run::apply_plan(&topo, &plan)?;
    }
    progress(&format!(
        "[{mode}] door blasts (masq-gw eth0 drops at tc ingress)"
    ));
    let mut samples = door_samples(&bed, mode, p)?;
    let mut daemon = None;
    let mut files: Vec<PathBuf> = Vec::new();
    if let Some(bin) = &bin {
        let dir = run::work_dir();
        std::fs::create_dir_all(&dir).map_err(|e| format!("{}: {e}", dir.display()))?;
        let cfg = dir.join(format!("{}perf.conf", topo.run_id));
        let log = dir.join(format!("{}perf.log", topo.run_id));
        std::fs::write(&cfg, config).map_err(|e| format!("{}: {e}", cfg.display()))?;
        files.push(cfg.clone());
        progress(&format!(
            "[{mode}] starting {} run -c {}",
            bin.display(),
            cfg.display()
        ));
        let mut d = Daemon::start(bin, topo.name(Role::Gw), &cfg, &log)?;
        let desk = topo.name(Role::Desktop).to_string();
        let how = ruta::wait_ready(
            &mut d,
            &mut |d| run::ready_probe(d, &desk),
            Duration::from_secs(15),
        )
        .map_err(|e| format!("{e} (log {})", log.display()))?;
        progress(&format!("[{mode}] ready: {how}"));
        files.push(log);
        daemon = Some(d);
    }
    for (si, sc) in SCENARIOS.iter().enumerate() {
        let path = bed.warm_and_check(si)?;
        progress(&format!("[{mode}] {}: {path}", sc.name));
        let dm = match (&daemon, &bin) {
            (Some(d), Some(b)) => Some((d.pid().ok_or("ruta is gone")?, b.as_path())),
            _ => None,
        };
        samples.push(bed.measure(mode, Kind::Forward, si, p, dm)?);
    }
    if let Some(d) = daemon {
        d.stop(Duration::from_secs(5))?;
        for f in files {
            let _ = std::fs::remove_file(f);
        }
    }
    Ok(samples)
}

// ---- report ----------------------------------------------------------------------

/// One row of the report: a forwarding blast with its door.
#[derive(Clone, Debug)]
pub struct Row {
    pub mode: Mode,
    pub scenario: usize,
    pub offered_pps: f64,
    pub forwarded_pps: f64,
    pub loss_pct: f64,
    /// The traffic's tasks (sender, ksoftirqd, ruta) per forwarded packet.
    pub own_ns: Option<f64>,
    /// Whole machine, net of idle, per forwarded packet (cross-check).
    pub machine_ns: Option<f64>,
    /// The door's cost per offered packet.
    pub door_ns: Option<f64>,
    pub router_ns: Option<f64>,
    pub daemon_ns: Option<f64>,
    pub idle_load: f64,
    pub ring_drops: Option<u64>,
}

/// Pairs every forwarding sample with the door sample of the same mode and scenario.
pub fn rows(samples: &[Sample]) -> Vec<Row> {
    samples
        .iter()
        .filter(|s| s.kind == Kind::Forward)
        .map(|s| {
            let door = samples
                .iter()
                .find(|d| d.kind == Kind::Door && d.mode == s.mode && d.scenario == s.scenario)
                .and_then(|d| ns_per_packet(d.own_ns, d.sent.packets));
            Row {
                mode: s.mode,
                scenario: s.scenario,
                offered_pps: pps(s.sent.packets, s.sent.secs),
                forwarded_pps: pps(s.forwarded, s.sent.secs),
                loss_pct: loss_pct(s.sent.packets, s.forwarded),
                machine_ns: ns_per_packet(s.busy_ns, s.forwarded),
                door_ns: door,
                router_ns: door
                    .and_then(|d| router_ns_per_packet(s.own_ns, d, s.sent.packets, s.forwarded)),
                own_ns: ns_per_packet(s.own_ns, s.forwarded),
                daemon_ns: s.daemon_ns.and_then(|n| ns_per_packet(n, s.forwarded)),
                idle_load: s.idle_load,
                ring_drops: s.ring_drops,
            }
        })
        .collect()
}

fn opt(v: Option<f64>, prec: usize) -> String {
    v.map_or("-".into(), |x| format!("{x:.prec$}"))
}

/// The table of one run (markdown).
pub fn table(rows: &[Row]) -> String {
    let mut s = String::from(
        "| mode | scenario | offered kpps | forwarded kpps | loss % | path ns/pkt | door ns/pkt | router ns/pkt | daemon ns/pkt | machine ns/pkt | idle load | ring drops |\n\
         |---|---|---|---|---|---|---|---|---|---|---|---|\n",
    );
    for r in rows {
        s.push_str(&format!(
            "| {} | {} | {:.0} | {:.0} | {:.1} | {} | {} | {} | {} | {} | {:.2} | {} |\n",
            r.mode,
            SCENARIOS[r.scenario].name,
            r.offered_pps / 1e3,
            r.forwarded_pps / 1e3,
            r.loss_pct,
            opt(r.own_ns, 0),
            opt(r.door_ns, 0),
            opt(r.router_ns, 0),
            opt(r.daemon_ns, 0),
            opt(r.machine_ns, 0),
            r.idle_load,
            r.ring_drops.map_or("-".into(), |d| d.to_string()),
        ));
    }
    s
}

/// ruta / kernel ratios per scenario: (scenario, forwarded pps ratio, router ns ratio).
pub fn ratios(rows: &[Row]) -> Vec<(usize, Option<f64>, Option<f64>)> {
    (0..SCENARIOS.len())
        .filter_map(|si| {
            let k = rows
                .iter()
                .find(|r| r.mode == Mode::Kernel && r.scenario == si)?;
            let r = rows
                .iter()
                .find(|r| r.mode == Mode::Ruta && r.scenario == si)?;
            Some((
                si,
                ratio(r.forwarded_pps, k.forwarded_pps),
                r.router_ns.zip(k.router_ns).and_then(|(a, b)| ratio(a, b)),
            ))
        })
        .collect()
}

/// (min, max) of the values present.
pub fn spread(v: impl IntoIterator<Item = Option<f64>>) -> Option<(f64, f64)> {
    v.into_iter().flatten().fold(None, |acc, x| match acc {
        None => Some((x, x)),
        Some((a, b)) => Some((a.min(x), b.max(x))),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use etherparse::{NetSlice, SlicedPacket, TransportSlice};

    #[test]
    fn frames_have_the_length_and_valid_checksums() {
        let sc = SCENARIOS[1];
        let frames = scenario_frames(&sc, [2, 0, 0, 0, 0, 1], [2, 0, 0, 0, 0, 2]).unwrap();
        assert_eq!(frames.len(), 1000);
        for (i, f) in frames.iter().enumerate().step_by(97) {
            assert_eq!(f.len(), 64);
            let p = SlicedPacket::from_ethernet(f).unwrap();
            let Some(NetSlice::Ipv4(ip)) = &p.net else {
                panic!("not ipv4")
            };
            let h = ip.header().to_header();
            assert_eq!(h.header_checksum, h.calc_header_checksum());
            assert_eq!(h.source, topo::DESKTOP.octets());
            assert_eq!(h.destination, topo::FAR.octets());
            let Some(TransportSlice::Udp(u)) = &p.transport else {
                panic!("not udp")
            };
            assert_eq!(u.source_port(), 20000 + i as u16);
            assert_eq!(u.destination_port(), DPORT);
            let uh = u.to_header();
            assert_eq!(uh.checksum, uh.calc_checksum_ipv4(&h, u.payload()).unwrap());
        }
        let big = scenario_frames(&SCENARIOS[2], [0; 6], [0; 6]).unwrap();
        assert!(big.iter().all(|f| f.len() == 1400));
        let mut b = Vec::new();
        let a = SocketAddrV4::new(topo::DESKTOP, 1);
        assert!(build_frame(&mut b, [0; 6], [0; 6], a, a, MIN_FRAME - 1, 0).is_err());
        assert!(build_frame(&mut b, [0; 6], [0; 6], a, a, MAX_FRAME + 1, 0).is_err());
        assert!(build_frame(&mut b, [0; 6], [0; 6], a, a, MIN_FRAME, 0).is_ok());
    }

    #[test]
    fn arithmetic() {
        assert_eq!(pps(500_000, 2.0), 250_000.0);
        assert_eq!(pps(5, 0.0), 0.0);
        assert_eq!(loss_pct(1000, 900), 10.0);
        assert_eq!(loss_pct(1000, 1003), 0.0);
        assert_eq!(loss_pct(0, 0), 0.0);
        assert_eq!(ns_per_packet(1e9, 400_000), Some(2500.0));
        assert_eq!(ns_per_packet(1e9, 0), None);
        assert_eq!(net_busy(3e9, 0.5e9, 2.0), 2e9);
        assert_eq!(net_busy(1e9, 1e9, 2.0), 0.0);
        // 1.0 s busy for 400k offered, door 1000 ns each = 0.4 s; 300k forwarded.
        assert_eq!(
            router_ns_per_packet(1e9, 1000.0, 400_000, 300_000),
            Some(2000.0)
        );
        assert_eq!(router_ns_per_packet(1e9, 1000.0, 400_000, 0), None);
        assert_eq!(ratio(1.0, 4.0), Some(0.25));
        assert_eq!(ratio(1.0, 0.0), None);
        assert_eq!(
            spread([Some(3.0), None, Some(1.0), Some(2.0)]),
            Some((1.0, 3.0))
        );
        assert_eq!(spread([None]), None);
    }

    #[test]
    fn proc_parsing() {
        let stat = "cpu  772989 0 155518 1878405 3673 0 1397 176 0 0\ncpu0 1 2 3 4 5 6 7 8 9 10\n";
        assert_eq!(busy_ticks(stat), Some(772989 + 155518 + 1397));
        assert_eq!(busy_ticks("cpu  1 2\n"), None);
        assert_eq!(busy_ticks("cpu0 1 2 3 4 5 6 7\n"), None);
        assert_eq!(
            parse_mac("02:0a:ff:00:10:9b"),
            Some([2, 10, 255, 0, 16, 155])
        );
        assert_eq!(parse_mac("02:0a:ff:00:10"), None);
        assert_eq!(parse_mac("02:0a:ff:00:10:9b:00"), None);
        let stats = "ports:\n  eth0 rx_packets 5 rx_bytes 300 ring_packets 9 ring_drops 17\n  eth1 ring_drops 2\n";
        assert_eq!(parse_ring_drops(stats, "eth0"), Some(17));
        assert_eq!(parse_ring_drops(stats, "eth1"), Some(2));
        assert_eq!(parse_ring_drops(stats, "eth4"), None);
        assert_eq!(
            parse_schedstat("12483055497 40355478780 573942\n"),
            Some(12483055497)
        );
        assert_eq!(parse_schedstat(""), None);
        assert_eq!(parse_schedstat("x 1"), None);
    }

    #[test]
    fn rows_pair_forwarding_with_its_door() {
        let mk = |mode, kind, scenario, packets, forwarded, own_ns| Sample {
            mode,
            kind,
            scenario,
            sent: Sent {
                packets,
                secs: 1.0,
                thread_cpu_ns: 0,
                retries: 0,
            },
            forwarded,
            own_ns,
            softirqd_ns: 0.0,
            busy_ns: own_ns * 2.0,
            idle_load: 0.0,
            window_secs: 1.2,
            daemon_ns: None,
            ring_drops: None,
        };
        let s = vec![
            mk(Mode::Kernel, Kind::Door, 0, 100_000, 0, 50e6),
            mk(Mode::Kernel, Kind::Forward, 0, 100_000, 100_000, 250e6),
            mk(Mode::Ruta, Kind::Door, 0, 200_000, 0, 100e6),
            mk(Mode::Ruta, Kind::Forward, 0, 200_000, 150_000, 175e6),
        ];
        let r = rows(&s);
        assert_eq!(r.len(), 2);
        assert_eq!(r[0].door_ns, Some(500.0));
        assert_eq!(r[0].router_ns, Some(2000.0));
        assert_eq!(r[1].router_ns, Some(500.0));
        assert_eq!(r[1].loss_pct, 25.0);
        assert_eq!(r[1].own_ns, Some(175e6 / 150_000.0));
        assert_eq!(r[1].machine_ns, Some(350e6 / 150_000.0));
        let q = ratios(&r);
        assert_eq!(q, vec![(0, Some(1.5), Some(0.25))]);
        assert!(table(&r).contains("| ruta | 1 flow, 64 B | 200 | 150 | 25.0 |"));
    }
}
