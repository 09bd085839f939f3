//! The traffic of a run: the servers (far host and isolde), the captures on the
//! links of masq-gw, and the clients that play the flows.
//!
//! Servers are std::net sockets created by a thread that entered the server's
//! namespace; each answers one line `TAG LOCAL PEER` (its own address and the
//! peer it saw) and closes, so the client learns what NAT did. Everything is
//! bounded: clients give up after a few seconds, servers and captures stop when
//! their handle is stopped or dropped.

use std::io::{Read, Write};
use std::net::{SocketAddrV4, TcpListener, UdpSocket};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{mpsc, Arc};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use super::sys::{self, Capture};
use super::wire::{self, Answer, Flow, Kind, Link, WirePkt};
use crate::netns::{run_in, spawn_in};

/// Running servers; stopped on drop.
pub struct Servers {
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl Servers {
    /// Binds TCP listeners and UDP sockets in namespace `ns` and serves them
    /// from one thread.
    pub fn start(
        ns: &str,
        tag: &'static str,
        tcp: &[SocketAddrV4],
        udp: &[SocketAddrV4],
    ) -> Result<Servers, String> {
        let (tcp, udp) = (tcp.to_vec(), udp.to_vec());
        let (listeners, sockets) = run_in(ns, move || {
            let mut l = Vec::new();
            for a in &tcp {
                let s = TcpListener::bind(a).map_err(|e| format!("listening on {a}: {e}"))?;
                s.set_nonblocking(true).map_err(|e| e.to_string())?;
                l.push(s);
            }
            let mut u = Vec::new();
            for a in &udp {
                let s = UdpSocket::bind(a).map_err(|e| format!("binding udp {a}: {e}"))?;
                s.set_nonblocking(true).map_err(|e| e.to_string())?;
                u.push(s);
            }
            Ok((l, u))
        })?;
        let stop = Arc::new(AtomicBool::new(false));
        let st = stop.clone();
        let thread = std::thread::spawn(move || {
            let mut buf = [0u8; 512];
            while !st.load(Ordering::Relaxed) {
                let mut busy = false;
                for l in &listeners {
                    if let Ok((mut c, peer)) = l.accept() {
                        busy = true;
                        let local = c.local_addr().map(|a| a.to_string()).unwrap_or_default();
                        let _ = c.set_nonblocking(false);
                        let _ = c.set_write_timeout(Some(Duration::from_secs(1)));
                        let _ = writeln!(c, "{tag} {local} {peer}");
                    }
                }
                for u in &sockets {
                    if let Ok((_, peer)) = u.recv_from(&mut buf) {
                        busy = true;
                        let local = u.local_addr().map(|a| a.to_string()).unwrap_or_default();
                        let _ = u.send_to(format!("{tag} {local} {peer}\n").as_bytes(), peer);
                    }
                }
                if !busy {
                    std::thread::sleep(Duration::from_millis(5));
                }
            }
        });
        Ok(Servers {
            stop,
            thread: Some(thread),
        })
    }
}

impl Drop for Servers {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

/// A capture running on one link; [`Captures::finish`] returns what it saw.
pub struct Captures {
    stop: Arc<AtomicBool>,
    threads: Vec<JoinHandle<Result<Vec<WirePkt>, String>>>,
}

impl Captures {
    /// Opens one AF_PACKET socket per `(namespace, interface, link)` and returns
    /// once all of them are receiving.
    pub fn start(points: &[(String, &'static str, Link)]) -> Result<Captures, String> {
        let stop = Arc::new(AtomicBool::new(false));
        let mut threads = Vec::new();
        let (tx, rx) = mpsc::channel::<Result<(), String>>();
        for (ns, ifname, link) in points {
            let (st, tx, ifname, link) = (stop.clone(), tx.clone(), *ifname, *link);
            let nsn = ns.clone();
            threads.push(spawn_in(ns, move || {
                let cap = match Capture::open(ifname) {
                    Ok(c) => c,
                    Err(e) => {
                        let m = format!("capture on {ifname} in {nsn}: {e}");
                        let _ = tx.send(Err(m.clone()));
                        return Err(m);
                    }
                };
                let _ = tx.send(Ok(()));
                let mut seen = Vec::new();
                while !st.load(Ordering::Relaxed) {
                    if let Some(f) = cap.next() {
                        if let Some(p) = wire::parse_frame(link, f.pkttype, &f.data) {
                            seen.push(p);
                        }
                    }
                }
                // Drain what is already queued.
                while let Some(f) = cap.next() {
                    if let Some(p) = wire::parse_frame(link, f.pkttype, &f.data) {
                        seen.push(p);
                    }
                }
                Ok(seen)
            }));
        }
        drop(tx);
        let c = Captures { stop, threads };
        for _ in 0..points.len() {
            match rx.recv_timeout(Duration::from_secs(5)) {
                Ok(Ok(())) => {}
                Ok(Err(e)) => return Err(e),
                Err(_) => {
                    c.stop.store(true, Ordering::Relaxed);
                    return Err("a capture did not start (a setns failed?)".into());
                }
            }
        }
        Ok(c)
    }

    /// Stops the captures and returns every packet they decoded.
    pub fn finish(mut self) -> Result<Vec<WirePkt>, String> {
        self.stop.store(true, Ordering::Relaxed);
        let mut all = Vec::new();
        for t in self.threads.drain(..) {
            all.extend(
                t.join()
                    .map_err(|_| "a capture thread panicked".to_string())??,
            );
        }
        Ok(all)
    }
}

impl Drop for Captures {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        for t in self.threads.drain(..) {
            let _ = t.join();
        }
    }
}

const CONNECT: Duration = Duration::from_secs(2);
const READ: Duration = Duration::from_secs(2);

/// Plays one flow from the calling thread's namespace.
pub fn play(flow: &Flow) -> Answer {
    let r: Result<String, String> = match flow.kind {
        Kind::Ping => sys::ping(
            *flow.local.ip(),
            *flow.target.ip(),
            flow.local.port(),
            3,
            Duration::from_millis(700),
        )
        .map(|seq| format!("echo reply seq {seq}"))
        .map_err(|e| e.to_string()),
        Kind::Tcp => (|| {
            let mut s = sys::connect_from(flow.local, flow.target, CONNECT)
                .map_err(|e| format!("connect: {e}"))?;
            s.set_read_timeout(Some(READ)).map_err(|e| e.to_string())?;
            let mut buf = Vec::new();
            let mut chunk = [0u8; 256];
            let deadline = Instant::now() + READ;
            while !buf.contains(&b'\n') && Instant::now() < deadline && buf.len() < 1024 {
                match s.read(&mut chunk) {
                    Ok(0) => break,
                    Ok(n) => buf.extend_from_slice(&chunk[..n]),
                    Err(e)
                        if matches!(
                            e.kind(),
                            std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
                        ) =>
                    {
                        return Err(format!(
                            "connected, but no answer within {}s",
                            READ.as_secs()
                        ))
                    }
                    Err(e) => return Err(format!("read: {e}")),
                }
            }
            line_of(&buf)
        })(),
        Kind::Udp => (|| {
            let s = UdpSocket::bind(flow.local).map_err(|e| format!("bind: {e}"))?;
            s.set_read_timeout(Some(Duration::from_millis(700)))
                .map_err(|e| e.to_string())?;
            let mut buf = [0u8; 512];
            let mut last = String::from("no reply");
            for _ in 0..3 {
                s.send_to(b"query\n", flow.target)
                    .map_err(|e| format!("send: {e}"))?;
                match s.recv_from(&mut buf) {
                    Ok((n, from)) if from == std::net::SocketAddr::V4(flow.target) => {
                        return line_of(&buf[..n])
                    }
                    Ok((_, from)) => last = format!("reply from unexpected {from}"),
                    Err(e)
                        if matches!(
                            e.kind(),
                            std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
                        ) =>
                    {
                        last = "no reply to 3 queries (0.7s each)".into()
                    }
                    Err(e) => last = format!("recv: {e}"),
                }
            }
            Err(last)
        })(),
    };
    match r {
        Ok(text) => Answer { ok: true, text },
        Err(text) => Answer { ok: false, text },
    }
}

fn line_of(b: &[u8]) -> Result<String, String> {
    let s = String::from_utf8_lossy(b);
    let l = s.lines().next().unwrap_or("").trim().to_string();
    if l.is_empty() {
        Err("empty answer".into())
    } else {
        Ok(l)
    }
}

/// Plays every flow at once, each from its client's namespace; answers in flow order.
pub fn play_all(flows: &[Flow], ns_of: impl Fn(&Flow) -> String) -> Vec<Answer> {
    let handles: Vec<_> = flows
        .iter()
        .map(|f| {
            let f2 = f.clone();
            spawn_in(&ns_of(f), move || Ok(play(&f2)))
        })
        .collect();
    handles
        .into_iter()
        .map(|h| match h.join() {
            Ok(Ok(a)) => a,
            Ok(Err(e)) => Answer { ok: false, text: e },
            Err(_) => Answer {
                ok: false,
                text: "client thread panicked".into(),
            },
        })
        .collect()
}
