//! `ruta run` on a line of three network namespaces, h1 -- router -- h2, over veth pairs:
//! forwarding, the router's own answers, ARP, ICMP errors, reload under traffic, SIGTERM
//! cleanup, `stats` balance, and malformed frames.
//!
//! Root only: without root, or when `ip netns add` fails, a test prints why and passes
//! without running. It needs the `ruta` binary: `cargo build -p ruta` first (or set
//! RUTA_BIN). Addresses only from 198.18.0.0/15; every generator sends a bounded count and
//! every wait has a deadline. Namespaces are deleted on drop (also when a test panics), and
//! the daemon is killed on drop.

use std::io;
use std::net::Ipv4Addr;
use std::os::fd::AsRawFd;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

// ---------------------------------------------------------------------------------------------
// Namespaces

mod common;
use common::{run, Ns};

fn ns(tag: &str) -> Option<Ns> {
    Ns::new("dm", tag)
}

// ---------------------------------------------------------------------------------------------
// The ruta binary

fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .canonicalize()
        .expect("workspace root")
}

fn find_ruta() -> PathBuf {
    if let Some(b) = std::env::var_os("RUTA_BIN") {
        return PathBuf::from(b);
    }
    let t = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .map(|p| {
            if p.is_absolute() {
                p
            } else {
                workspace_root().join(p)
            }
        })
        .unwrap_or_else(|| workspace_root().join("target"));
    for c in [t.join("debug/ruta"), t.join("release/ruta")] {
        if c.is_file() {
            return c;
        }
    }
    panic!(
        "the ruta binary was not found under {}: build it first with `cargo build -p ruta` \
         (same CARGO_TARGET_DIR), or set RUTA_BIN",
        t.display()
    );
}

const CONF: &str = "\
port r1 af_packet
port r2 af_packet workers 2
ip addr add 198.18.1.1/24 dev r1
ip addr add 198.18.2.1/24 dev r2
";

/// h1 (198.18.1.2) -- r1 [ruta] r2 -- h2 (198.18.2.2)
struct Line {
    h1: Ns,
    r: Ns,
    h2: Ns,
    dir: PathBuf,
    sock: PathBuf,
    conf: PathBuf,
    ruta: Option<Child>,
    bin: PathBuf,
}

impl Line {
    fn new(tag: &str) -> Option<Line> {
        let h1 = ns(&format!("{tag}-h1"))?;
        let r = ns(&format!("{tag}-r"))?;
        let h2 = ns(&format!("{tag}-h2"))?;
        let bin = find_ruta();
        run(
            "ip",
            &[
                "link", "add", "a1", "netns", &h1.name, "type", "veth", "peer", "r1", "netns",
                &r.name,
            ],
        );
        run(
            "ip",
            &[
                "link", "add", "a2", "netns", &h2.name, "type", "veth", "peer", "r2", "netns",
                &r.name,
            ],
        );
        h1.ip("addr add 198.18.1.2/24 dev a1");
        h1.ip("link set a1 up");
        h1.ip("route add default via 198.18.1.1");
        h2.ip("addr add 198.18.2.2/24 dev a2");
        h2.ip("link set a2 up");
        h2.ip("route add default via 198.18.2.1");
        r.ip("link set r1 up");
        r.ip("link set r2 up");
        let dir = std::env::temp_dir().join(format!("ruta-h-dm-{tag}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        let conf = dir.join("router.conf");
        std::fs::write(&conf, CONF).unwrap();
        let sock = dir.join("ruta.sock");
        Some(Line {
            h1,
            r,
            h2,
            dir,
            sock,
            conf,
            ruta: None,
            bin,
        })
    }

    fn start(&mut self) {
        let child = Command::new("ip")
            .args(["netns", "exec", &self.r.name])
            .arg(&self.bin)
            .args(["run", "-c"])
            .arg(&self.conf)
            .arg("--socket")
            .arg(&self.sock)
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn ruta");
        self.ruta = Some(child);
        let deadline = Instant::now() + Duration::from_secs(10);
        while Instant::now() < deadline {
            if self.sock.exists() && self.ctl(&["stats"]).0 == 0 {
                return;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        panic!("ruta did not start: {}", self.stop_output());
    }

    fn ctl(&self, args: &[&str]) -> (i32, String, String) {
        let o = Command::new(&self.bin)
            .arg("--socket")
            .arg(&self.sock)
            .args(args)
            .output()
            .expect("ruta client");
        (
            o.status.code().unwrap_or(-1),
            String::from_utf8_lossy(&o.stdout).into_owned(),
            String::from_utf8_lossy(&o.stderr).into_owned(),
        )
    }

    /// SIGTERM, wait (5 s), and return stderr; the exit code is asserted 0.
    fn stop_output(&mut self) -> String {
        let Some(mut c) = self.ruta.take() else {
            return String::new();
        };
        // SAFETY: kill on our own child's pid.
        unsafe { libc::kill(c.id() as i32, libc::SIGTERM) };
        let deadline = Instant::now() + Duration::from_secs(5);
        loop {
            if let Ok(Some(st)) = c.try_wait() {
                let mut err = String::new();
                if let Some(mut e) = c.stderr.take() {
                    let _ = io::Read::read_to_string(&mut e, &mut err);
                }
                assert!(st.success(), "ruta exited with {st}: {err}");
                return err;
            }
            if Instant::now() > deadline {
                let _ = c.kill();
                let _ = c.wait();
                panic!("ruta did not stop within 5 s of SIGTERM");
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    fn stats(&self) -> Stats {
        let (code, out, err) = self.ctl(&["stats"]);
        assert_eq!(code, 0, "{err}");
        Stats(out)
    }
}

impl Drop for Line {
    fn drop(&mut self) {
        if let Some(mut c) = self.ruta.take() {
            // SAFETY: kill on our own child's pid.
            unsafe { libc::kill(c.id() as i32, libc::SIGTERM) };
            let deadline = Instant::now() + Duration::from_secs(5);
            while Instant::now() < deadline {
                if let Ok(Some(_)) = c.try_wait() {
                    break;
                }
                std::thread::sleep(Duration::from_millis(20));
            }
            let _ = c.kill();
            let _ = c.wait();
        }
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

struct Stats(String);

impl Stats {
    /// The number after `key` on the line starting with `line` (trimmed).
    fn get(&self, line: &str, key: &str) -> u64 {
        for l in self.0.lines() {
            let t = l.trim_start();
            if t.starts_with(line) {
                let w: Vec<&str> = t.split_whitespace().collect();
                if let Some(i) = w.iter().position(|x| *x == key) {
                    return w.get(i + 1).and_then(|v| v.parse().ok()).unwrap_or(0);
                }
            }
        }
        panic!("no {line}/{key} in stats:\n{}", self.0)
    }

    fn reason(&self, name: &str) -> u64 {
        self.get(name, name)
    }

    fn assert_balance(&self) {
        let r = self.get("received", "received");
        let f = self.get("received", "forwarded");
        let l = self.get("received", "local");
        let d = self.get("received", "dropped");
        assert_eq!(r, f + l + d, "{}", self.0);
        let sum: u64 = self
            .0
            .lines()
            .skip_while(|l| *l != "drops:")
            .skip(1)
            .take_while(|l| l.starts_with("  "))
            .filter_map(|l| l.split_whitespace().nth(1)?.parse::<u64>().ok())
            .sum();
        assert_eq!(sum, d, "{}", self.0);
        assert!(self.0.contains("balance ok"));
    }
}

// ---------------------------------------------------------------------------------------------
// ICMP from a namespace (no ping binary needed: a raw socket)

/// What came back for an echo request.
#[derive(Clone, Debug, PartialEq, Eq)]
struct IcmpIn {
    from: Ipv4Addr,
    icmp_type: u8,
    code: u8,
    /// id/seq of the echo (for replies) or of the quoted echo (for errors).
    id: u16,
    seq: u16,
}

fn csum(b: &[u8]) -> u16 {
    let mut s: u32 = 0;
    for c in b.chunks(2) {
        s += u32::from(u16::from_be_bytes([c[0], *c.get(1).unwrap_or(&0)]));
    }
    while s > 0xffff {
        s = (s & 0xffff) + (s >> 16);
    }
    !(s as u16)
}

/// Sends `count` echo requests to `dst` (`gap` apart, with `ttl`), and collects every ICMP
/// that arrives for them until `wait` after the last one.
fn ping(ns: &Ns, dst: Ipv4Addr, count: u16, ttl: u8, gap: Duration, wait: Duration) -> Vec<IcmpIn> {
    let id = (std::process::id() as u16) ^ (u16::from(ttl) << 8) ^ count;
    ns.run(move || {
        // SAFETY: plain socket calls with valid arguments and buffers.
        unsafe {
            let fd = libc::socket(libc::AF_INET, libc::SOCK_RAW, libc::IPPROTO_ICMP);
            assert!(fd >= 0, "raw socket: {}", io::Error::last_os_error());
            let t: libc::c_int = ttl.into();
            libc::setsockopt(
                fd,
                libc::IPPROTO_IP,
                libc::IP_TTL,
                (&t as *const libc::c_int).cast(),
                4,
            );
            let tv = libc::timeval {
                tv_sec: 0,
                tv_usec: 20_000,
            };
            libc::setsockopt(
                fd,
                libc::SOL_SOCKET,
                libc::SO_RCVTIMEO,
                (&tv as *const libc::timeval).cast(),
                std::mem::size_of::<libc::timeval>() as u32,
            );
            let mut sa: libc::sockaddr_in = std::mem::zeroed();
            sa.sin_family = libc::AF_INET as u16;
            sa.sin_addr.s_addr = u32::from(dst).to_be();
            let mut got = Vec::new();
            let mut buf = [0u8; 2048];
            let recv_until = |until: Instant, got: &mut Vec<IcmpIn>, buf: &mut [u8; 2048]| {
                while Instant::now() < until {
                    let n = libc::recv(fd, buf.as_mut_ptr().cast(), buf.len(), 0);
                    if n <= 0 {
                        continue;
                    }
                    let p = &buf[..n as usize];
                    let ihl = usize::from(p[0] & 15) * 4;
                    if p.len() < ihl + 8 {
                        continue;
                    }
                    let from = Ipv4Addr::new(p[12], p[13], p[14], p[15]);
                    let m = &p[ihl..];
                    let (t, c) = (m[0], m[1]);
                    let (qid, qseq) = if t == 0 {
                        (
                            u16::from_be_bytes([m[4], m[5]]),
                            u16::from_be_bytes([m[6], m[7]]),
                        )
                    } else if t == 3 || t == 11 {
                        let q = &m[8..];
                        if q.len() < 28 {
                            continue;
                        }
                        let qihl = usize::from(q[0] & 15) * 4;
                        let qm = &q[qihl..];
                        if qm.len() < 8 {
                            continue;
                        }
                        (
                            u16::from_be_bytes([qm[4], qm[5]]),
                            u16::from_be_bytes([qm[6], qm[7]]),
                        )
                    } else {
                        continue;
                    };
                    if qid == id {
                        got.push(IcmpIn {
                            from,
                            icmp_type: t,
                            code: c,
                            id: qid,
                            seq: qseq,
                        });
                    }
                }
            };
            for seq in 0..count {
                let mut m = [0u8; 64];
                m[0] = 8;
                m[4..6].copy_from_slice(&id.to_be_bytes());
                m[6..8].copy_from_slice(&seq.to_be_bytes());
                m[8..16].copy_from_slice(b"ruta-dm!");
                let c = csum(&m);
                m[2..4].copy_from_slice(&c.to_be_bytes());
                libc::sendto(
                    fd,
                    m.as_ptr().cast(),
                    m.len(),
                    0,
                    (&sa as *const libc::sockaddr_in).cast(),
                    std::mem::size_of::<libc::sockaddr_in>() as u32,
                );
                recv_until(Instant::now() + gap, &mut got, &mut buf);
            }
            recv_until(Instant::now() + wait, &mut got, &mut buf);
            libc::close(fd);
            got
        }
    })
}

fn replies(v: &[IcmpIn], from: Ipv4Addr) -> usize {
    let mut seqs: Vec<u16> = v
        .iter()
        .filter(|i| i.icmp_type == 0 && i.from == from)
        .map(|i| i.seq)
        .collect();
    seqs.sort_unstable();
    seqs.dedup();
    seqs.len()
}

const H1: Ipv4Addr = Ipv4Addr::new(198, 18, 1, 2);
const H2: Ipv4Addr = Ipv4Addr::new(198, 18, 2, 2);
const R1: Ipv4Addr = Ipv4Addr::new(198, 18, 1, 1);
const R2: Ipv4Addr = Ipv4Addr::new(198, 18, 2, 1);

// ---------------------------------------------------------------------------------------------
// Tests

#[test]
fn forwards_answers_resolves_and_balances() {
    let Some(mut l) = Line::new("fwd") else {
        return;
    };
    l.start();
    let ms = Duration::from_millis;
    // through the router, both ways
    let got = ping(&l.h1, H2, 5, 64, ms(50), ms(500));
    assert_eq!(replies(&got, H2), 5, "h1 -> h2: {got:?}\n{}", l.stats().0);
    let got = ping(&l.h2, H1, 3, 64, ms(50), ms(300));
    assert_eq!(replies(&got, H1), 3, "h2 -> h1: {got:?}");
    // the router's own addresses, also the far one
    let got = ping(&l.h1, R1, 3, 64, ms(30), ms(300));
    assert_eq!(replies(&got, R1), 3, "h1 -> router: {got:?}");
    let got = ping(&l.h1, R2, 2, 64, ms(30), ms(300));
    assert_eq!(replies(&got, R2), 2, "h1 -> router's r2 address: {got:?}");
    // ARP both ways: the router learnt h1 and h2, and they learnt the router
    let (code, out, err) = l.ctl(&["ip", "neigh", "show"]);
    assert_eq!(code, 0, "{err}");
    assert!(
        out.contains("198.18.1.2 dev r1 lladdr ") && out.contains("REACHABLE"),
        "{out}"
    );
    assert!(out.contains("198.18.2.2 dev r2 lladdr "), "{out}");
    let n1 = l.h1.sh(&["ip", "neigh", "show", "198.18.1.1"]);
    assert!(n1.contains("lladdr"), "h1's neighbour table: {n1}");
    // TTL 1 through the router: time exceeded from the router's r1 address
    let got = ping(&l.h1, H2, 2, 1, ms(30), ms(300));
    assert!(
        got.iter()
            .any(|i| i.icmp_type == 11 && i.code == 0 && i.from == R1),
        "{got:?}"
    );
    assert_eq!(replies(&got, H2), 0);
    // the queries over the socket
    let (code, out, _) = l.ctl(&["ip", "route", "show"]);
    assert_eq!(code, 0);
    assert!(
        out.contains("198.18.2.0/24 dev r2 proto kernel scope link src 198.18.2.1"),
        "{out}"
    );
    let (code, out, _) = l.ctl(&["conntrack", "-L"]);
    assert_eq!(code, 0);
    assert!(out.contains("src=198.18.1.2 dst=198.18.2.2"), "{out}");
    let (code, _, err) = l.ctl(&["iptables", "-nvL"]);
    assert_eq!(code, 0, "{err}");
    let s = l.stats();
    s.assert_balance();
    assert!(s.get("received", "forwarded") >= 16, "{}", s.0);
    assert!(s.reason("ttl_exceeded") >= 2, "{}", s.0);
    assert!(s.reason("host_echo_reply") >= 5, "{}", s.0);
    assert!(
        s.get("r1", "rx_packets") > 0 && s.get("r2", "tx_packets") > 0,
        "{}",
        s.0
    );
    let err = l.stop_output();
    assert!(err.contains("stopping"), "{err}");
}

#[test]
fn reload_under_traffic_loses_nothing_and_bad_reload_is_refused() {
    let Some(mut l) = Line::new("rld") else {
        return;
    };
    l.start();
    let ms = Duration::from_millis;
    // warm ARP up
    let got = ping(&l.h1, H2, 2, 64, ms(30), ms(300));
    assert_eq!(replies(&got, H2), 2, "{got:?}");
    let conf = l.conf.clone();
    let sock = l.sock.clone();
    let bin = l.bin.clone();
    let reloader = std::thread::spawn(move || {
        let mut codes = Vec::new();
        for i in 0..5 {
            std::thread::sleep(Duration::from_millis(60));
            // a harmless change each time: a route to a test prefix
            std::fs::write(
                &conf,
                format!("{CONF}ip route add 198.19.{i}.0/24 via 198.18.2.2\n"),
            )
            .unwrap();
            let o = Command::new(&bin)
                .arg("--socket")
                .arg(&sock)
                .arg("reload")
                .output()
                .unwrap();
            codes.push((
                o.status.code(),
                String::from_utf8_lossy(&o.stderr).into_owned(),
            ));
        }
        codes
    });
    let got = ping(&l.h1, H2, 200, 64, ms(2), ms(500));
    let codes = reloader.join().unwrap();
    for (c, e) in &codes {
        assert_eq!(*c, Some(0), "reload: {e}");
    }
    assert_eq!(replies(&got, H2), 200, "lost replies while reloading");
    let (_, out, _) = l.ctl(&["ip", "route", "show"]);
    assert!(out.contains("198.19.4.0/24 via 198.18.2.2 dev r2"), "{out}");
    // a bad config: refused with FILE:LINE, the old one keeps running
    std::fs::write(
        &l.conf,
        format!("{CONF}ip route add 198.19.9.0/24 via 10.0.0.1\n"),
    )
    .unwrap();
    let (code, _, err) = l.ctl(&["reload"]);
    assert_eq!(code, 1);
    let want = format!("{}:5:", l.conf.display());
    assert!(err.contains(&want), "{err}");
    // a port change: refused too
    std::fs::write(&l.conf, CONF.replace("workers 2", "workers 1")).unwrap();
    let (code, _, err) = l.ctl(&["reload"]);
    assert_eq!(code, 1);
    assert!(err.contains("ports changed"), "{err}");
    let (_, out, _) = l.ctl(&["ip", "route", "show"]);
    assert!(out.contains("198.19.4.0/24"), "{out}");
    let got = ping(&l.h1, H2, 3, 64, ms(20), ms(300));
    assert_eq!(replies(&got, H2), 3);
    // SIGHUP reloads too
    std::fs::write(&l.conf, CONF).unwrap();
    let pid = l.ruta.as_ref().unwrap().id();
    // the child is `ip netns exec`, which execs ruta: same pid
    // SAFETY: kill on our own child's pid.
    unsafe { libc::kill(pid as i32, libc::SIGHUP) };
    let deadline = Instant::now() + Duration::from_secs(3);
    loop {
        let (_, out, _) = l.ctl(&["ip", "route", "show"]);
        if !out.contains("198.19.4.0/24") {
            break;
        }
        assert!(Instant::now() < deadline, "SIGHUP did not reload: {out}");
        std::thread::sleep(Duration::from_millis(50));
    }
    l.stats().assert_balance();
}

#[test]
fn sigterm_cleans_up() {
    let Some(mut l) = Line::new("term") else {
        return;
    };
    let before = l.r.sh(&["tc", "qdisc", "show", "dev", "r1"]);
    l.start();
    let during = l.r.sh(&["tc", "filter", "show", "dev", "r1", "ingress"]);
    assert!(!during.trim().is_empty(), "no guard filter while running");
    let got = ping(
        &l.h1,
        R1,
        1,
        64,
        Duration::from_millis(10),
        Duration::from_millis(300),
    );
    assert_eq!(replies(&got, R1), 1);
    l.stop_output();
    assert!(!l.sock.exists(), "socket left behind");
    for dev in ["r1", "r2"] {
        let f = l.r.sh(&["tc", "filter", "show", "dev", dev, "ingress"]);
        assert!(f.trim().is_empty(), "filters left on {dev}: {f}");
        let q = l.r.sh(&["tc", "qdisc", "show", "dev", dev]);
        assert!(!q.contains("clsact"), "clsact left on {dev}: {q}");
    }
    assert_eq!(before, l.r.sh(&["tc", "qdisc", "show", "dev", "r1"]));
    // nothing answers any more (the kernel has no address on r1)
    let got = ping(
        &l.h1,
        R1,
        1,
        64,
        Duration::from_millis(10),
        Duration::from_millis(200),
    );
    assert_eq!(replies(&got, R1), 0);
}

/// Sends raw Ethernet frames out of `ifname` in `ns` (AF_PACKET, SOCK_RAW).
fn send_raw(ns: &Ns, ifname: &str, frames: Vec<Vec<u8>>) {
    let ifname = ifname.to_string();
    ns.run(move || {
        let idx = ruta_dataplane::link::ifindex(&ifname).expect("ifindex");
        // SAFETY: plain socket calls with valid arguments and buffers.
        unsafe {
            let fd = libc::socket(libc::AF_PACKET, libc::SOCK_RAW, 0);
            assert!(fd >= 0, "packet socket: {}", io::Error::last_os_error());
            let mut sa: libc::sockaddr_ll = std::mem::zeroed();
            sa.sll_family = libc::AF_PACKET as u16;
            sa.sll_ifindex = idx as i32;
            sa.sll_halen = 6;
            for f in &frames {
                let r = libc::sendto(
                    fd,
                    f.as_ptr().cast(),
                    f.len(),
                    0,
                    (&sa as *const libc::sockaddr_ll).cast(),
                    std::mem::size_of::<libc::sockaddr_ll>() as u32,
                );
                assert!(r > 0, "sendto: {}", io::Error::last_os_error());
                std::thread::sleep(Duration::from_millis(2));
            }
            libc::close(fd);
        }
    })
}

fn mac_of(ns: &Ns, ifname: &str) -> [u8; 6] {
    let ifname = ifname.to_string();
    ns.run(move || {
        ruta_dataplane::link::IfaceInfo::lookup(&ifname)
            .expect("lookup")
            .mac
            .expect("mac")
    })
}

fn ip_udp(ttl: u8, frag: u16, options: &[u8]) -> Vec<u8> {
    let ihl = 20 + options.len();
    let payload = 8 + 12;
    let total = ihl + payload;
    let mut p = vec![0u8; total];
    p[0] = 0x40 | (ihl / 4) as u8;
    p[2..4].copy_from_slice(&(total as u16).to_be_bytes());
    p[4..6].copy_from_slice(&0x1234u16.to_be_bytes());
    p[6..8].copy_from_slice(&frag.to_be_bytes());
    p[8] = ttl;
    p[9] = 17;
    p[12..16].copy_from_slice(&H1.octets());
    p[16..20].copy_from_slice(&H2.octets());
    p[20..ihl].copy_from_slice(options);
    let c = csum(&p[..ihl]);
    p[10..12].copy_from_slice(&c.to_be_bytes());
    let u = &mut p[ihl..];
    u[0..2].copy_from_slice(&4000u16.to_be_bytes());
    u[2..4].copy_from_slice(&4001u16.to_be_bytes());
    u[4..6].copy_from_slice(&(payload as u16).to_be_bytes());
    p
}

#[test]
fn malformed_traffic_is_counted_by_reason_and_forwarding_goes_on() {
    let Some(mut l) = Line::new("bad") else {
        return;
    };
    l.start();
    let ms = Duration::from_millis;
    assert_eq!(replies(&ping(&l.h1, H2, 2, 64, ms(20), ms(300)), H2), 2);
    let s0 = l.stats();
    let rmac = mac_of(&l.r, "r1");
    let hmac = mac_of(&l.h1, "a1");
    let eth = |ip: &[u8]| {
        let mut f = Vec::with_capacity(14 + ip.len());
        f.extend_from_slice(&rmac);
        f.extend_from_slice(&hmac);
        f.extend_from_slice(&[0x08, 0x00]);
        f.extend_from_slice(ip);
        while f.len() < 60 {
            f.push(0);
        }
        f
    };
    let good = ip_udp(64, 0, &[]);
    let mut frames = Vec::new();
    // truncated: an IPv4 ethertype with 10 bytes of header (padded frame, so version/ihl
    // of zeroes): ip header length or truncated
    frames.push({
        let mut f = eth(&good[..10]);
        f.truncate(24);
        f
    });
    // bad checksum
    frames.push({
        let mut p = good.clone();
        p[10] ^= 0xff;
        eth(&p)
    });
    // bad total length (beyond the frame)
    frames.push({
        let mut p = good.clone();
        p[2..4].copy_from_slice(&1400u16.to_be_bytes());
        p[10..12].copy_from_slice(&[0, 0]);
        let c = csum(&p[..20]);
        p[10..12].copy_from_slice(&c.to_be_bytes());
        eth(&p)
    });
    // a fragment (MF set)
    frames.push(eth(&ip_udp(64, 0x2000, &[])));
    // options: loose source route (accept_source_route=0 drops it)
    frames.push(eth(&ip_udp(64, 0, &[0x83, 7, 4, 198, 18, 2, 2, 0])));
    let n = frames.len() as u64;
    send_raw(&l.h1, "a1", frames);
    // forwarding goes on
    assert_eq!(replies(&ping(&l.h1, H2, 3, 64, ms(20), ms(300)), H2), 3);
    let s = l.stats();
    s.assert_balance();
    let d = |name: &str| s.reason(name) - s0.reason(name);
    assert!(
        d("ip_header_length") + d("ip_truncated") + d("eth_truncated") >= 1,
        "{}",
        s.0
    );
    assert_eq!(d("ip_checksum"), 1, "{}", s.0);
    assert_eq!(d("ip_total_length"), 1, "{}", s.0);
    // held for reassembly; its datagram never completes (and expires)
    assert_eq!(d("fragment_held"), 1, "{}", s.0);
    assert_eq!(d("ip_options"), 1, "{}", s.0);
    assert!(s.get("received", "received") >= s0.get("received", "received") + n);
}

#[test]
fn capture_writes_pcap() {
    let Some(mut l) = Line::new("cap") else {
        return;
    };
    l.start();
    let file = l.dir.join("r1.pcap");
    let sock = l.sock.clone();
    let bin = l.bin.clone();
    let f2 = file.clone();
    let cap = std::thread::spawn(move || {
        Command::new(&bin)
            .arg("--socket")
            .arg(&sock)
            .args(["capture", "r1", "-w"])
            .arg(&f2)
            .args(["-c", "4"])
            .output()
            .unwrap()
    });
    std::thread::sleep(Duration::from_millis(200));
    let got = ping(
        &l.h1,
        H2,
        3,
        64,
        Duration::from_millis(30),
        Duration::from_millis(300),
    );
    assert_eq!(replies(&got, H2), 3);
    let o = cap.join().unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert!(String::from_utf8_lossy(&o.stderr).contains("4 packets captured"));
    let b = std::fs::read(&file).unwrap();
    assert_eq!(&b[..4], &[0xd4, 0xc3, 0xb2, 0xa1]);
    assert_eq!(b[20], 1, "LINKTYPE_ETHERNET");
    // 4 records of IPv4 Ethernet frames (requests in, replies out)
    let mut off = 24;
    let mut n = 0;
    while off + 16 <= b.len() {
        let len = u32::from_le_bytes(b[off + 8..off + 12].try_into().unwrap()) as usize;
        let f = &b[off + 16..off + 16 + len];
        assert!(f.len() >= 14);
        off += 16 + len;
        n += 1;
    }
    assert_eq!(n, 4);
    assert_eq!(off, b.len());
}

/// A bounded UDP blast through the router (debug or release build, whichever `ruta` is
/// found): `cargo build -p ruta --release && RUTA_BIN=target/release/ruta cargo test -p
/// ruta-dataplane --release --test daemon -- --ignored --nocapture measure`.
#[test]
#[ignore]
fn measure_forwarding_rate() {
    let Some(mut l) = Line::new("rate") else {
        return;
    };
    l.start();
    assert_eq!(
        replies(
            &ping(
                &l.h1,
                H2,
                2,
                64,
                Duration::from_millis(20),
                Duration::from_millis(300)
            ),
            H2
        ),
        2
    );
    let rmac = mac_of(&l.r, "r1");
    let hmac = mac_of(&l.h1, "a1");
    // UDP checksum 0 (none), so no offload question on the veth
    let mut f = Vec::new();
    f.extend_from_slice(&rmac);
    f.extend_from_slice(&hmac);
    f.extend_from_slice(&[0x08, 0x00]);
    f.extend_from_slice(&ip_udp(64, 0, &[]));
    const N: u64 = 200_000;
    let rx = {
        let ns_name = l.h2.name.clone();
        std::thread::spawn(move || {
            let path = format!("/run/netns/{ns_name}");
            let file = std::fs::File::open(&path).unwrap();
            // SAFETY: setns on this thread only.
            unsafe { libc::setns(file.as_raw_fd(), libc::CLONE_NEWNET) };
            let s = std::net::UdpSocket::bind("198.18.2.2:4001").unwrap();
            s.set_read_timeout(Some(Duration::from_millis(500)))
                .unwrap();
            let mut n = 0u64;
            let mut buf = [0u8; 2048];
            let mut first = None;
            let mut last = Instant::now();
            while s.recv(&mut buf).is_ok() {
                first.get_or_insert_with(Instant::now);
                last = Instant::now();
                n += 1;
            }
            (n, first.map(|f| last - f))
        })
    };
    std::thread::sleep(Duration::from_millis(100));
    let t0 = Instant::now();
    l.h1.run(move || {
        let idx = ruta_dataplane::link::ifindex("a1").unwrap();
        // SAFETY: plain socket calls with valid arguments.
        unsafe {
            let fd = libc::socket(libc::AF_PACKET, libc::SOCK_RAW, 0);
            let mut sa: libc::sockaddr_ll = std::mem::zeroed();
            sa.sll_family = libc::AF_PACKET as u16;
            sa.sll_ifindex = idx as i32;
            sa.sll_halen = 6;
            for _ in 0..N {
                libc::sendto(
                    fd,
                    f.as_ptr().cast(),
                    f.len(),
                    0,
                    (&sa as *const libc::sockaddr_ll).cast(),
                    std::mem::size_of::<libc::sockaddr_ll>() as u32,
                );
            }
            libc::close(fd);
        }
    });
    let send = t0.elapsed();
    let (got, span) = rx.join().unwrap();
    let s = l.stats();
    s.assert_balance();
    eprintln!(
        "sent {N} in {:?} ({:.0} pps offered); received at h2 {got} ({:.1}%) over {:?}: {:.0} pps\n{}",
        send,
        N as f64 / send.as_secs_f64(),
        got as f64 * 100.0 / N as f64,
        span,
        got as f64 / span.map_or(1.0, |d| d.as_secs_f64().max(1e-6)),
        s.0
    );
}
