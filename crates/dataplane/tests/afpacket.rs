//! Integration tests of the AF_PACKET rings, the kernel guard and TUN devices, on veth pairs in
//! network namespaces that each test creates and deletes (also on panic).
//!
//! Root only: without root, or when `ip netns add` fails, a test prints why and passes without
//! running. Addresses only from 198.18.0.0/15. Every traffic generator sends a fixed count and
//! every wait has a deadline.
//!
//! `measure_forwarding` (ignored by default) prints the V2 / V3 forwarding numbers, and
//! `measure_tx_paths` the CPU per frame of the two transmit paths (TX ring, `sendmmsg`):
//! `cargo test -p ruta-dataplane --release --test afpacket -- --ignored --nocapture`.

use std::collections::{HashMap, HashSet};
use std::io;
use std::net::{Ipv4Addr, UdpSocket};
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use ruta_dataplane::afpacket::{
    FanoutMode, GuardFilter, KernelGuard, RingVersion, RxConfig, RxOptions, RxRing, Tx, TxBatch,
    TxConfig, TxMode, TxRing,
};
use ruta_dataplane::link::{ifindex, IfaceInfo, LinkCtl};
use ruta_dataplane::tun::Tun;

/// An EtherType from the IEEE "local experimental" range: nothing else sends it.
const TEST_ETHERTYPE: u16 = 0x88b5;
const MAGIC: &[u8; 8] = b"ruta-dp!";

// ---------------------------------------------------------------------------------------------
// Namespaces

mod common;
use common::{run, Ns};

fn ns(tag: &str) -> Option<Ns> {
    Ns::new("dp", tag)
}

/// Waits (up to 2 s) until `ifname` is gone from `ns`. Closing the last descriptor of a TUN
/// removes it, but a `Command` forked by a parallel test holds a copy of every descriptor
/// until its exec, so the removal can lag the drop slightly.
fn gone(ns: &Ns, ifname: &str) -> bool {
    let deadline = Instant::now() + Duration::from_secs(2);
    loop {
        if ns.run(|| ifindex(ifname)).is_none() {
            return true;
        }
        if Instant::now() > deadline {
            return false;
        }
        std::thread::sleep(Duration::from_millis(10));
    }
}

fn is_root() -> bool {
    // SAFETY: no preconditions.
    if unsafe { libc::geteuid() } != 0 {
        eprintln!("skipping: needs root (network namespaces, AF_PACKET)");
        return false;
    }
    true
}

/// Two namespaces joined by a veth pair: `va` in `a`, `vb` in `b`, both up.
fn veth_pair(tag: &str) -> Option<(Ns, Ns)> {
    if !is_root() {
        return None;
    }
    let a = ns(&format!("{tag}a"))?;
    let b = ns(&format!("{tag}b"))?;
    a.ip(&format!(
        "link add va type veth peer name vb netns {}",
        b.name
    ));
    a.ip("link set va up");
    b.ip("link set vb up");
    Some((a, b))
}

// ---------------------------------------------------------------------------------------------
// Frames and plain sockets

fn mac_of(ns: &Ns, ifname: &str) -> [u8; 6] {
    let name = ifname.to_string();
    ns.run(move || IfaceInfo::lookup(&name).unwrap().mac.unwrap())
}

/// A test frame: Ethernet (TEST_ETHERTYPE), MAGIC, seq, then `len` bytes in all, the rest a
/// pattern derived from seq.
fn test_frame(dst: [u8; 6], src: [u8; 6], seq: u32, len: usize) -> Vec<u8> {
    let mut f = Vec::with_capacity(len);
    f.extend_from_slice(&dst);
    f.extend_from_slice(&src);
    f.extend_from_slice(&TEST_ETHERTYPE.to_be_bytes());
    f.extend_from_slice(MAGIC);
    f.extend_from_slice(&seq.to_be_bytes());
    while f.len() < len {
        f.push((seq as usize).wrapping_mul(31).wrapping_add(f.len()) as u8);
    }
    f
}

fn frame_len(seq: u32) -> usize {
    60 + (seq as usize * 37) % 1400
}

/// The seq of a test frame from `src` to `dst` if it is one (and then it must be intact).
fn parse_test_frame(f: &[u8], dst: [u8; 6], src: [u8; 6]) -> Option<u32> {
    if f.len() < 26
        || f[0..6] != dst
        || f[6..12] != src
        || f[12..14] != TEST_ETHERTYPE.to_be_bytes()
        || &f[14..22] != MAGIC
    {
        return None;
    }
    let seq = u32::from_be_bytes(f[22..26].try_into().ok()?);
    let want = test_frame(dst, src, seq, frame_len(seq));
    assert_eq!(f, &want[..], "frame {seq} damaged");
    Some(seq)
}

/// A plain (ringless) AF_PACKET socket bound to `ifname` for `proto` (host order).
fn plain_socket(ifname: &str, proto: u16) -> OwnedFd {
    // SAFETY: plain syscalls; results checked.
    unsafe {
        let fd = libc::socket(
            libc::AF_PACKET,
            libc::SOCK_RAW | libc::SOCK_CLOEXEC,
            i32::from(proto.to_be()),
        );
        assert!(fd >= 0, "socket: {}", io::Error::last_os_error());
        let fd = OwnedFd::from_raw_fd(fd);
        let mut sll: libc::sockaddr_ll = std::mem::zeroed();
        sll.sll_family = libc::AF_PACKET as u16;
        sll.sll_protocol = proto.to_be();
        sll.sll_ifindex = ifindex(ifname).unwrap() as i32;
        let r = libc::bind(
            fd.as_raw_fd(),
            (&sll as *const libc::sockaddr_ll).cast(),
            std::mem::size_of::<libc::sockaddr_ll>() as u32,
        );
        assert_eq!(r, 0, "bind: {}", io::Error::last_os_error());
        let big: libc::c_int = 8 << 20;
        libc::setsockopt(
            fd.as_raw_fd(),
            libc::SOL_SOCKET,
            libc::SO_RCVBUFFORCE,
            (&big as *const libc::c_int).cast(),
            4,
        );
        let tv = libc::timeval {
            tv_sec: 0,
            tv_usec: 200_000,
        };
        libc::setsockopt(
            fd.as_raw_fd(),
            libc::SOL_SOCKET,
            libc::SO_RCVTIMEO,
            (&tv as *const libc::timeval).cast(),
            std::mem::size_of::<libc::timeval>() as u32,
        );
        fd
    }
}

fn plain_send(fd: &OwnedFd, frame: &[u8]) {
    // SAFETY: frame valid for its length; the socket is bound to its interface.
    let r = unsafe { libc::send(fd.as_raw_fd(), frame.as_ptr().cast(), frame.len(), 0) };
    assert_eq!(
        r,
        frame.len() as isize,
        "send: {}",
        io::Error::last_os_error()
    );
}

/// One frame or None after the socket's receive timeout.
fn plain_recv(fd: &OwnedFd, buf: &mut [u8]) -> Option<usize> {
    // SAFETY: buf valid for its length.
    let r = unsafe { libc::recv(fd.as_raw_fd(), buf.as_mut_ptr().cast(), buf.len(), 0) };
    (r >= 0).then_some(r as usize)
}

/// Receives on `rx` until `want` test frames came or `deadline` passed; returns their seqs.
fn drain_ring(rx: &mut RxRing, want: usize, dst: [u8; 6], src: [u8; 6]) -> Vec<u32> {
    let deadline = Instant::now() + Duration::from_secs(5);
    let mut seqs = Vec::new();
    while seqs.len() < want && Instant::now() < deadline {
        if !rx.wait(50).unwrap() {
            continue;
        }
        rx.recv_batch(usize::MAX, |f| {
            assert!(!f.truncated());
            assert_eq!(f.data.len() as u32, f.wire_len);
            if let Some(s) = parse_test_frame(f.data, dst, src) {
                seqs.push(s);
            }
        });
    }
    seqs
}

fn rx_n_frames(version: RingVersion, tag: &str) {
    let Some((a, b)) = veth_pair(tag) else { return };
    let (ma, mb) = (mac_of(&a, "va"), mac_of(&b, "vb"));
    let opts = RxOptions {
        ring: RxConfig {
            version,
            block_size: 1 << 16,
            block_count: 64,
            frame_size: 2048,
            block_timeout_ms: 5,
        },
        ..RxOptions::default()
    };
    let mut rx = a.run(|| RxRing::open("va", &opts)).unwrap();
    assert_eq!(rx.version(), version);

    // mio sees the ring become readable.
    let mut poll = mio::Poll::new().unwrap();
    poll.registry()
        .register(&mut rx, mio::Token(7), mio::Interest::READABLE)
        .unwrap();

    const N: u32 = 1000;
    b.run(|| {
        let s = plain_socket("vb", 0);
        for seq in 0..N {
            plain_send(&s, &test_frame(ma, mb, seq, frame_len(seq)));
        }
    });
    let mut events = mio::Events::with_capacity(4);
    poll.poll(&mut events, Some(Duration::from_secs(2)))
        .unwrap();
    assert!(events
        .iter()
        .any(|e| e.token() == mio::Token(7) && e.is_readable()));

    let seqs = drain_ring(&mut rx, N as usize, ma, mb);
    assert_eq!(
        seqs,
        (0..N).collect::<Vec<_>>(),
        "all frames, in order, once"
    );
    let c = rx.counters();
    assert!(c.frames >= u64::from(N));
    assert_eq!(c.bad_desc, 0);
    assert_eq!(c.truncated, 0);
    if version == RingVersion::V3 {
        assert!(
            c.released < u64::from(N),
            "V3 hands over blocks, not frames: {c:?}"
        );
    } else {
        assert!(c.released >= u64::from(N));
    }
    let st = rx.kernel_stats().unwrap();
    assert!(st.packets >= u64::from(N), "{st:?}");
    assert_eq!(st.drops, 0);
    // Accumulated, not reset by the kernel's read-and-clear.
    assert_eq!(rx.kernel_stats().unwrap().packets, st.packets);
}

#[test]
fn rx_v3_receives_frames_sent_by_the_peer() {
    rx_n_frames(RingVersion::V3, "r3");
}

#[test]
fn rx_v2_receives_frames_sent_by_the_peer() {
    rx_n_frames(RingVersion::V2, "r2");
}

#[test]
fn v3_hands_over_a_lone_frame_after_the_block_timeout() {
    let Some((a, b)) = veth_pair("tmo") else {
        return;
    };
    let (ma, mb) = (mac_of(&a, "va"), mac_of(&b, "vb"));
    let opts = RxOptions {
        ring: RxConfig {
            version: RingVersion::V3,
            block_size: 1 << 16,
            block_count: 4,
            frame_size: 2048,
            block_timeout_ms: 100,
        },
        ..RxOptions::default()
    };
    let mut rx = a.run(|| RxRing::open("va", &opts)).unwrap();
    let s = b.run(|| plain_socket("vb", 0));
    plain_send(&s, &test_frame(ma, mb, 1, frame_len(1)));
    let t = Instant::now();
    let seqs = drain_ring(&mut rx, 1, ma, mb);
    assert_eq!(seqs, vec![1]);
    // The block is not full: only the retire timer hands it over.
    assert!(
        t.elapsed() >= Duration::from_millis(40),
        "{:?}",
        t.elapsed()
    );
}

#[test]
fn tx_ring_sends_frames_received_intact_at_the_peer() {
    let Some((a, b)) = veth_pair("tx") else {
        return;
    };
    let (ma, mb) = (mac_of(&a, "va"), mac_of(&b, "vb"));
    let rxs = b.run(|| plain_socket("vb", TEST_ETHERTYPE));
    let cfg = TxConfig {
        frame_size: 2048,
        frame_count: 64,
        qdisc_bypass: true,
    };
    let mut tx = a.run(|| TxRing::open("va", &cfg)).unwrap();
    assert_eq!(tx.slot_capacity(), 2048 - 32);

    // Nothing reserved: a commit is refused.
    assert!(!tx.tx_commit(60));

    const N: u32 = 500;
    let receiver = std::thread::scope(|s| {
        let h = s.spawn(|| {
            let mut got = Vec::new();
            let mut buf = vec![0u8; 4096];
            let deadline = Instant::now() + Duration::from_secs(5);
            while got.len() < N as usize && Instant::now() < deadline {
                if let Some(n) = plain_recv(&rxs, &mut buf) {
                    if let Some(seq) = parse_test_frame(&buf[..n], mb, ma) {
                        got.push(seq);
                    }
                }
            }
            got
        });
        let deadline = Instant::now() + Duration::from_secs(5);
        let mut seq = 0;
        while seq < N && Instant::now() < deadline {
            // Batches of 32, one kick each.
            for _ in 0..32 {
                if seq == N {
                    break;
                }
                let f = test_frame(mb, ma, seq, frame_len(seq));
                let Some(slot) = tx.tx_slot() else { break };
                slot[..f.len()].copy_from_slice(&f);
                // Too long is refused, the right length accepted.
                assert!(tx.tx_commit(f.len()));
                seq += 1;
            }
            tx.flush().unwrap();
            if tx.pending() == 0 && tx.tx_slot().is_none() {
                std::thread::sleep(Duration::from_millis(1));
            }
        }
        assert_eq!(seq, N, "the ring never freed up");
        h.join().unwrap()
    });
    assert_eq!(receiver, (0..N).collect::<Vec<_>>());
    let c = tx.counters();
    assert_eq!(c.committed, u64::from(N));
    assert!(
        c.kicks >= u64::from(N) / 32 && c.kicks <= u64::from(N),
        "{c:?}"
    );
    assert_eq!(c.kick_errors, 0);
    let deadline = Instant::now() + Duration::from_secs(2);
    while tx.in_flight() > 0 && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(5));
    }
    assert_eq!(tx.in_flight(), 0);
}

#[test]
fn tx_ring_full_returns_none_and_counts() {
    let Some((a, _b)) = veth_pair("txf") else {
        return;
    };
    let cfg = TxConfig {
        frame_size: 2048,
        frame_count: 8,
        qdisc_bypass: true,
    };
    let mut tx = a.run(|| TxRing::open("va", &cfg)).unwrap();
    // A down link refuses the kick (ENETDOWN), so committed frames stay in the ring.
    a.ip("link set va down");
    let f = test_frame([0xff; 6], [2, 0, 0, 0, 0, 1], 0, 60);
    let mut ok = 0;
    while tx.send_frame(&f) {
        ok += 1;
        assert!(ok <= 64, "ring never filled");
    }
    assert_eq!(ok, 8);
    let c = tx.counters();
    assert_eq!(c.full, 1);
    assert!(c.kick_errors >= 1, "{c:?}");
    assert!(!tx.send_frame(&[]), "empty frame refused");
    assert!(!tx.send_frame(&vec![0u8; 4000]), "oversized frame refused");
    // Link up again: one kick sends the lot and frees the ring.
    a.ip("link set va up");
    assert_eq!(tx.flush().unwrap(), 8);
    let deadline = Instant::now() + Duration::from_secs(2);
    while tx.in_flight() > 0 && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(5));
    }
    assert!(tx.send_frame(&f));
}

#[test]
fn fanout_splits_flows_between_two_sockets() {
    let Some((a, b)) = veth_pair("fan") else {
        return;
    };
    let (ma, mb) = (mac_of(&a, "va"), mac_of(&b, "vb"));
    let opts = RxOptions::default();
    let mut rings = a
        .run(|| RxRing::open_group("va", 2, FanoutMode::Hash, &opts))
        .unwrap();
    const FLOWS: u16 = 64;
    const PER_FLOW: usize = 4;
    b.run(|| {
        let s = plain_socket("vb", 0);
        for i in 0..PER_FLOW {
            for flow in 0..FLOWS {
                let mut f = Vec::new();
                etherparse::PacketBuilder::ethernet2(mb, ma)
                    .ipv4([198, 18, 1, 2], [198, 18, 1, 1], 64)
                    .udp(10000 + flow, 7000)
                    .write(&mut f, &[i as u8; 18])
                    .unwrap();
                plain_send(&s, &f);
            }
        }
    });
    let mut by_flow: HashMap<u16, HashSet<usize>> = HashMap::new();
    let mut per_socket = [0usize; 2];
    let deadline = Instant::now() + Duration::from_secs(3);
    while per_socket.iter().sum::<usize>() < FLOWS as usize * PER_FLOW && Instant::now() < deadline
    {
        for (k, rx) in rings.iter_mut().enumerate() {
            rx.wait(10).unwrap();
            rx.recv_batch(usize::MAX, |f| {
                let Ok(p) = etherparse::SlicedPacket::from_ethernet(f.data) else {
                    return;
                };
                if let Some(etherparse::TransportSlice::Udp(u)) = p.transport {
                    if u.destination_port() == 7000 {
                        by_flow.entry(u.source_port()).or_default().insert(k);
                        per_socket[k] += 1;
                    }
                }
            });
        }
    }
    assert_eq!(per_socket.iter().sum::<usize>(), FLOWS as usize * PER_FLOW);
    assert!(per_socket[0] > 0 && per_socket[1] > 0, "{per_socket:?}");
    assert_eq!(by_flow.len(), FLOWS as usize);
    for (flow, socks) in &by_flow {
        assert_eq!(socks.len(), 1, "flow {flow} went to both sockets");
    }
}

#[test]
fn promiscuous_membership_and_packet_types() {
    let Some((a, b)) = veth_pair("pr") else {
        return;
    };
    let (ma, mb) = (mac_of(&a, "va"), mac_of(&b, "vb"));
    let opts = RxOptions {
        promiscuous: true,
        ..RxOptions::default()
    };
    let mut rx = a.run(|| RxRing::open("va", &opts)).unwrap();
    // Membership promiscuity is a count (`ip -d link`), not the IFF_PROMISC flag users set.
    let promiscuity = || {
        let out = run("ip", &["-n", &a.name, "-d", "link", "show", "va"]);
        let w: Vec<&str> = out.split_whitespace().collect();
        let i = w
            .iter()
            .position(|x| *x == "promiscuity")
            .expect("promiscuity");
        w[i + 1].parse::<u32>().unwrap()
    };
    assert_eq!(promiscuity(), 1);
    let other = [0x02, 0x11, 0x22, 0x33, 0x44, 0x55];
    b.run(|| {
        let s = plain_socket("vb", 0);
        plain_send(&s, &test_frame(ma, mb, 0, frame_len(0)));
        plain_send(&s, &test_frame([0xff; 6], mb, 1, frame_len(1)));
        plain_send(&s, &test_frame(other, mb, 2, frame_len(2)));
    });
    let mut types = Vec::new();
    let deadline = Instant::now() + Duration::from_secs(2);
    while types.len() < 3 && Instant::now() < deadline {
        rx.wait(50).unwrap();
        rx.recv_batch(usize::MAX, |f| {
            if f.data.len() > 26 && f.data[12..14] == TEST_ETHERTYPE.to_be_bytes() {
                types.push((f.data[25], f.pkt_type, f.vlan_tci));
            }
        });
    }
    assert_eq!(
        types,
        vec![
            (0, libc::PACKET_HOST, None),
            (1, libc::PACKET_BROADCAST, None),
            (2, libc::PACKET_OTHERHOST, None)
        ]
    );
    // The kernel drops the membership when the socket closes.
    drop(rx);
    assert_eq!(promiscuity(), 0);
}

#[test]
fn ignore_outgoing_hides_our_own_tx() {
    let Some((a, b)) = veth_pair("io") else {
        return;
    };
    let (ma, mb) = (mac_of(&a, "va"), mac_of(&b, "vb"));
    // Returns (seqs sent by us, seqs sent by the peer) that the RX ring saw.
    let seen = |ignore: bool| {
        let opts = RxOptions {
            ignore_outgoing: ignore,
            ..RxOptions::default()
        };
        // Through the qdisc layer, so dev_queue_xmit_nit shows the frames to the taps (with
        // PACKET_QDISC_BYPASS, __dev_direct_xmit never calls it).
        let tcfg = TxConfig {
            qdisc_bypass: false,
            ..TxConfig::default()
        };
        let (mut rx, mut tx) = a.run(|| {
            (
                RxRing::open("va", &opts).unwrap(),
                TxRing::open("va", &tcfg).unwrap(),
            )
        });
        for seq in 0..10 {
            assert!(tx.send_frame(&test_frame(mb, ma, seq, frame_len(seq))));
        }
        assert_eq!(tx.flush().unwrap(), 10);
        b.run(|| {
            plain_send(
                &plain_socket("vb", 0),
                &test_frame(ma, mb, 99, frame_len(99)),
            )
        });
        let (mut ours, mut theirs) = (Vec::new(), Vec::new());
        let deadline = Instant::now() + Duration::from_millis(500);
        while Instant::now() < deadline {
            rx.wait(20).unwrap();
            rx.recv_batch(usize::MAX, |f| {
                if let Some(seq) = parse_test_frame(f.data, mb, ma) {
                    assert_eq!(f.pkt_type, libc::PACKET_OUTGOING);
                    ours.push(seq);
                }
                if let Some(seq) = parse_test_frame(f.data, ma, mb) {
                    theirs.push(seq);
                }
            });
        }
        (ours, theirs)
    };
    assert_eq!(seen(true), (vec![], vec![99]));
    assert_eq!(seen(false), ((0..10).collect(), vec![99]));
}

// ---------------------------------------------------------------------------------------------
// Kernel guard

fn checksum(data: &[u8]) -> u16 {
    let mut sum: u32 = 0;
    for c in data.chunks(2) {
        let w = if c.len() == 2 {
            u16::from_be_bytes([c[0], c[1]])
        } else {
            u16::from_be_bytes([c[0], 0])
        };
        sum += u32::from(w);
    }
    while sum > 0xffff {
        sum = (sum & 0xffff) + (sum >> 16);
    }
    !(sum as u16)
}

/// One ICMP echo from a raw socket: did a reply come within 300 ms?
fn ping(dst: Ipv4Addr, id: u16, seq: u16) -> bool {
    // SAFETY: plain syscalls, results checked.
    unsafe {
        let fd = libc::socket(
            libc::AF_INET,
            libc::SOCK_RAW | libc::SOCK_CLOEXEC,
            libc::IPPROTO_ICMP,
        );
        assert!(fd >= 0);
        let fd = OwnedFd::from_raw_fd(fd);
        let tv = libc::timeval {
            tv_sec: 0,
            tv_usec: 100_000,
        };
        libc::setsockopt(
            fd.as_raw_fd(),
            libc::SOL_SOCKET,
            libc::SO_RCVTIMEO,
            (&tv as *const libc::timeval).cast(),
            std::mem::size_of::<libc::timeval>() as u32,
        );
        let mut msg = vec![8u8, 0, 0, 0];
        msg.extend_from_slice(&id.to_be_bytes());
        msg.extend_from_slice(&seq.to_be_bytes());
        msg.extend_from_slice(b"ruta-dp ping");
        let c = checksum(&msg);
        msg[2..4].copy_from_slice(&c.to_be_bytes());
        let mut sin: libc::sockaddr_in = std::mem::zeroed();
        sin.sin_family = libc::AF_INET as u16;
        sin.sin_addr.s_addr = u32::from_ne_bytes(dst.octets());
        let r = libc::sendto(
            fd.as_raw_fd(),
            msg.as_ptr().cast(),
            msg.len(),
            0,
            (&sin as *const libc::sockaddr_in).cast(),
            std::mem::size_of::<libc::sockaddr_in>() as u32,
        );
        assert_eq!(r, msg.len() as isize, "{}", io::Error::last_os_error());
        let deadline = Instant::now() + Duration::from_millis(300);
        let mut buf = [0u8; 1500];
        while Instant::now() < deadline {
            let n = libc::recv(fd.as_raw_fd(), buf.as_mut_ptr().cast(), buf.len(), 0);
            if n < 28 {
                continue;
            }
            let ihl = usize::from(buf[0] & 0xf) * 4;
            let icmp = &buf[ihl..n as usize];
            if icmp.len() >= 8
                && icmp[0] == 0
                && icmp[4..6] == id.to_be_bytes()
                && icmp[6..8] == seq.to_be_bytes()
            {
                return true;
            }
        }
        false
    }
}

/// Sends one ARP request for `target` out of `ifname`; did a reply come within 300 ms?
fn arp_answered(ifname: &str, mac: [u8; 6], sender: Ipv4Addr, target: Ipv4Addr) -> bool {
    let s = plain_socket(ifname, 0x0806);
    let mut f = Vec::new();
    f.extend_from_slice(&[0xff; 6]);
    f.extend_from_slice(&mac);
    f.extend_from_slice(&[0x08, 0x06, 0, 1, 0x08, 0, 6, 4, 0, 1]);
    f.extend_from_slice(&mac);
    f.extend_from_slice(&sender.octets());
    f.extend_from_slice(&[0; 6]);
    f.extend_from_slice(&target.octets());
    f.resize(60, 0);
    plain_send(&s, &f);
    let deadline = Instant::now() + Duration::from_millis(300);
    let mut buf = [0u8; 1500];
    while Instant::now() < deadline {
        if let Some(n) = plain_recv(&s, &mut buf) {
            if n >= 42 && buf[20..22] == [0, 2] && buf[28..32] == target.octets() {
                return true;
            }
        }
    }
    false
}

#[test]
fn kernel_guard_silences_the_kernel_but_not_the_taps() {
    let Some((a, b)) = veth_pair("kg") else {
        return;
    };
    let (ma, mb) = (mac_of(&a, "va"), mac_of(&b, "vb"));
    a.ip("addr add 198.18.0.1/24 dev va");
    b.ip("addr add 198.18.0.2/24 dev vb");
    let (ip_a, ip_b) = (Ipv4Addr::new(198, 18, 0, 1), Ipv4Addr::new(198, 18, 0, 2));
    let mac_a = ma
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect::<Vec<_>>()
        .join(":");
    // A static neighbour, so the ICMP check does not depend on ARP.
    b.ip(&format!(
        "neigh replace 198.18.0.1 lladdr {mac_a} dev vb nud permanent"
    ));

    assert!(
        b.run(|| ping(ip_a, 77, 1)),
        "the kernel answers before the guard"
    );
    assert!(b.run(|| arp_answered("vb", mb, ip_b, ip_a)));

    let (guard, mut rx) = a.run(|| {
        let g = match KernelGuard::install("va") {
            Ok(g) => g,
            Err(e) => panic!("install: {e}"),
        };
        (g, RxRing::open("va", &RxOptions::default()).unwrap())
    });
    assert_eq!(guard.ifname(), "va");
    let shown = a.sh(&["tc", "filter", "show", "dev", "va", "ingress"]);
    match guard.filter() {
        Some(GuardFilter::Matchall) => assert!(shown.contains("matchall"), "{shown}"),
        Some(GuardFilter::CbpfShot) => assert!(shown.contains("direct-action"), "{shown}"),
        None => panic!("installed guard without a filter"),
    }

    assert!(!b.run(|| ping(ip_a, 77, 2)), "no echo reply while guarded");
    assert!(
        !b.run(|| arp_answered("vb", mb, ip_b, ip_a)),
        "no ARP reply while guarded"
    );

    // ...but the AF_PACKET tap saw both the echo request and the ARP request.
    let (mut echo, mut arp) = (0, 0);
    rx.recv_batch(usize::MAX, |f| {
        let d = &*f.data;
        if d.len() >= 42
            && d[12..14] == [0x08, 0x00]
            && d[23] == 1
            && d[30..34] == ip_a.octets()
            && d[34] == 8
        {
            echo += 1;
        }
        if d.len() >= 42
            && d[12..14] == [0x08, 0x06]
            && d[20..22] == [0, 1]
            && d[38..42] == ip_a.octets()
        {
            arp += 1;
        }
    });
    assert!(echo >= 1 && arp >= 1, "echo {echo} arp {arp}");

    // Dropped on another thread than the one that installed it: still acts in `a`.
    guard.uninstall().unwrap();
    let qd = a.sh(&["tc", "qdisc", "show", "dev", "va"]);
    assert!(!qd.contains("clsact"), "{qd}");
    assert!(b.run(|| ping(ip_a, 77, 3)), "answers again after removal");
    assert!(b.run(|| arp_answered("vb", mb, ip_b, ip_a)));

    // Drop also removes it; a clsact qdisc that was already there is left alone.
    a.ip("link set va up");
    run(
        "ip",
        &[
            "netns", "exec", &a.name, "tc", "qdisc", "add", "dev", "va", "clsact",
        ],
    );
    let g = a.run(|| KernelGuard::install("va")).unwrap();
    assert!(!b.run(|| ping(ip_a, 77, 4)));
    drop(g);
    assert!(b.run(|| ping(ip_a, 77, 5)));
    assert!(a
        .sh(&["tc", "qdisc", "show", "dev", "va"])
        .contains("clsact"));
    assert!(a.run(|| KernelGuard::install("no-such-if0")).is_err());
}

// ---------------------------------------------------------------------------------------------
// TUN

#[test]
fn tun_create_read_write_and_attach() {
    if !is_root() {
        return;
    }
    let Some(t) = ns("tun") else { return };
    let tun0 = t.run(|| {
        let tun = Tun::create("rtun0").unwrap();
        assert!(tun.created());
        assert_eq!(tun.name(), "rtun0");
        assert!(Tun::create("rtun0").is_err(), "name taken");
        tun.set_mtu(1400).unwrap();
        assert_eq!(tun.mtu().unwrap(), 1400);
        tun.set_up(true).unwrap();
        assert!(tun.is_up().unwrap());
        let info = IfaceInfo::lookup("rtun0").unwrap();
        assert_eq!(info.mtu, 1400);
        assert!(info.up);
        assert_eq!(info.mac, None, "a TUN has no MAC");
        tun
    });
    t.ip("addr add 198.18.5.1/24 dev rtun0");
    // A single-queue device with its queue taken cannot be attached to (EBUSY).
    assert!(t.run(|| Tun::attach("rtun0")).is_err());
    // Used from this thread (outside the namespace), it still acts on its own device.
    assert_eq!(tun0.mtu().unwrap(), 1400);
    drop(tun0);
    assert!(gone(&t, "rtun0"), "created device removed on drop");

    t.run(|| {
        let mut tun = Tun::create("rtun1").unwrap();
        tun.set_up(true).unwrap();
        let ctl = LinkCtl::new().unwrap();
        assert!(ctl.is_up("rtun1").unwrap());
        run("ip", &["addr", "add", "198.18.5.1/24", "dev", "rtun1"]);

        // Kernel -> TUN: a UDP datagram routed out of rtun1 is read as a whole IP packet.
        let sock = UdpSocket::bind("198.18.5.1:0").unwrap();
        sock.set_read_timeout(Some(Duration::from_secs(1))).unwrap();
        let mut poll = mio::Poll::new().unwrap();
        poll.registry()
            .register(&mut tun, mio::Token(1), mio::Interest::READABLE)
            .unwrap();
        for i in 0..3u8 {
            sock.send_to(&[b'h', b'i', i], "198.18.5.2:9999").unwrap();
        }
        let mut events = mio::Events::with_capacity(4);
        let mut got = Vec::new();
        let mut buf = vec![0u8; 2048];
        let deadline = Instant::now() + Duration::from_secs(3);
        while got.len() < 3 && Instant::now() < deadline {
            poll.poll(&mut events, Some(Duration::from_millis(100)))
                .unwrap();
            tun.recv_batch(&mut buf, 64, |p| {
                let Ok(s) = etherparse::SlicedPacket::from_ip(p) else {
                    return;
                };
                let Some(etherparse::NetSlice::Ipv4(ip)) = &s.net else {
                    return;
                };
                if ip.header().destination() != [198, 18, 5, 2] {
                    return;
                }
                if let Some(etherparse::TransportSlice::Udp(u)) = &s.transport {
                    if u.destination_port() == 9999 {
                        got.push(u.payload().to_vec());
                    }
                }
            })
            .unwrap();
        }
        assert_eq!(
            got,
            vec![b"hi\0".to_vec(), b"hi\x01".to_vec(), b"hi\x02".to_vec()]
        );
        assert_eq!(tun.recv(&mut buf).unwrap(), None, "EAGAIN is None");

        // TUN -> kernel: a packet written to rtun1 reaches the socket.
        let port = sock.local_addr().unwrap().port();
        let mut pkt = Vec::new();
        etherparse::PacketBuilder::ipv4([198, 18, 5, 2], [198, 18, 5, 1], 64)
            .udp(9999, port)
            .write(&mut pkt, b"from-tun")
            .unwrap();
        assert!(tun.send(&pkt).unwrap());
        let mut rb = [0u8; 64];
        let (n, from) = sock.recv_from(&mut rb).unwrap();
        assert_eq!(&rb[..n], b"from-tun");
        assert_eq!(from.to_string(), "198.18.5.2:9999");
        // Not IP: the kernel refuses it.
        assert!(tun.send(&[0x00; 20]).is_err());
    });
    assert!(gone(&t, "rtun1"));

    // A persistent device made by iproute2: attach, and it stays after drop.
    t.ip("tuntap add dev rtunp mode tun");
    t.ip("tuntap add dev rtapx mode tap");
    t.run(|| {
        let tun = Tun::attach("rtunp").unwrap();
        assert!(!tun.created());
        assert!(Tun::create("rtunp").is_err());
        assert!(Tun::attach("rtapx").is_err(), "a TAP is not a TUN");
        drop(tun);
        assert!(ifindex("rtunp").is_some(), "persistent device stays");
    });
}

// ---------------------------------------------------------------------------------------------
// Measurement: ns0 --veth-- fwd --veth-- ns1, V2 vs V3.

struct Topo {
    n0: Ns,
    fw: Ns,
    n1: Ns,
}

fn forwarding_topo() -> Option<Topo> {
    if !is_root() {
        return None;
    }
    let n0 = ns("m0")?;
    let fw = ns("mf")?;
    let n1 = ns("m1")?;
    n0.ip(&format!(
        "link add g0 type veth peer name p0 netns {}",
        fw.name
    ));
    n1.ip(&format!(
        "link add g1 type veth peer name p1 netns {}",
        fw.name
    ));
    n0.ip("link set g0 up");
    n1.ip("link set g1 up");
    fw.ip("link set p0 up");
    fw.ip("link set p1 up");
    Some(Topo { n0, fw, n1 })
}

/// The copy loop: every frame from `rx` into `tx`, one kick per batch. Stops when `stop`.
fn forward(rx: &mut RxRing, tx: &mut TxRing, stop: &AtomicBool, fwd: &AtomicU64) {
    while !stop.load(Ordering::Relaxed) {
        if !rx.wait(10).unwrap() {
            continue;
        }
        let n = rx.recv_batch(256, |f| {
            if let Some(slot) = tx.tx_slot() {
                let len = f.data.len().min(slot.len());
                slot[..len].copy_from_slice(&f.data[..len]);
                tx.tx_commit(len);
            }
        });
        let _ = tx.flush();
        fwd.fetch_add(n as u64, Ordering::Relaxed);
    }
}

struct Measured {
    pps: f64,
    offered_pps: f64,
    drops: u64,
    polls_per_frame: f64,
    tx_full: u64,
    lat: Vec<Duration>,
}

fn measure(topo: &Topo, ring: RxConfig) -> Measured {
    let opts = RxOptions {
        ring: ring.clone(),
        ..RxOptions::default()
    };
    let tcfg = TxConfig {
        frame_size: 2048,
        frame_count: 4096,
        qdisc_bypass: true,
    };
    let (mut rx, mut tx) = topo.fw.run(|| {
        (
            RxRing::open("p0", &opts).unwrap(),
            TxRing::open("p1", &tcfg).unwrap(),
        )
    });
    let mut gen = topo.n0.run(|| TxRing::open("g0", &tcfg).unwrap());
    let sink = topo.n1.run(|| plain_socket("g1", TEST_ETHERTYPE));
    let m0 = mac_of(&topo.n0, "g0");
    let stop = AtomicBool::new(false);
    let fwd = AtomicU64::new(0);
    std::thread::scope(|s| {
        let (stop, fwd) = (&stop, &fwd);
        let h = s.spawn(move || {
            forward(&mut rx, &mut tx, stop, fwd);
            (rx, tx)
        });
        // Throughput: 64-byte frames as fast as the generator goes, for 2 s.
        let frame = test_frame([0xff; 6], m0, 0, 64);
        let t0 = Instant::now();
        let start = fwd.load(Ordering::Relaxed);
        let mut sent = 0u64;
        while t0.elapsed() < Duration::from_secs(2) {
            for _ in 0..64 {
                if gen.send_frame(&frame) {
                    sent += 1;
                }
            }
            let _ = gen.flush();
        }
        std::thread::sleep(Duration::from_millis(50));
        let secs = t0.elapsed().as_secs_f64();
        let pps = (fwd.load(Ordering::Relaxed) - start) as f64 / secs;
        let offered_pps = sent as f64 / secs;
        // Latency: one frame at a time, generator to sink through the forwarder.
        let mut buf = vec![0u8; 2048];
        while plain_recv(&sink, &mut buf).is_some() {}
        let mut lat = Vec::new();
        for seq in 1..=200u32 {
            let f = test_frame([0xff; 6], m0, seq, 64);
            let t = Instant::now();
            assert!(gen.send_frame(&f));
            gen.flush().unwrap();
            let deadline = t + Duration::from_millis(500);
            while Instant::now() < deadline {
                if let Some(n) = plain_recv(&sink, &mut buf) {
                    if n >= 26 && buf[22..26] == seq.to_be_bytes() {
                        lat.push(t.elapsed());
                        break;
                    }
                }
            }
            std::thread::sleep(Duration::from_millis(2));
        }
        stop.store(true, Ordering::Relaxed);
        lat.sort();
        let (mut rx, tx) = h.join().unwrap();
        let drops = rx.kernel_stats().map(|s| s.drops).unwrap_or(0);
        let c = rx.counters();
        Measured {
            pps,
            offered_pps,
            drops,
            polls_per_frame: c.polls as f64 / c.frames.max(1) as f64,
            tx_full: tx.counters().full,
            lat,
        }
    })
}

#[test]
#[ignore = "measurement: run with --ignored --nocapture"]
fn measure_forwarding() {
    let Some(topo) = forwarding_topo() else {
        return;
    };
    let mut base = RxConfig::for_mtu(RingVersion::V2, 1500, 8 << 20);
    base.block_size = 1 << 16;
    let cases = [
        ("V2", RxConfig { ..base.clone() }),
        (
            "V3 tov=1ms",
            RxConfig {
                version: RingVersion::V3,
                block_timeout_ms: 1,
                ..base.clone()
            },
        ),
        (
            "V3 tov=8ms",
            RxConfig {
                version: RingVersion::V3,
                block_timeout_ms: 8,
                ..base.clone()
            },
        ),
    ];
    for round in 0..2 {
        for (name, cfg) in &cases {
            let m = measure(&topo, cfg.clone());
            let lat = &m.lat;
            let pct = |p: usize| lat.get(lat.len() * p / 100).copied().unwrap_or_default();
            println!(
                "#{round} {name:11} fwd {:>7.0} pps (offered {:>7.0}) rx drops {:>7} polls/frame {:.3} \
                 tx full {}  one-way latency n={} p50 {:?} p90 {:?} p99 {:?}",
                m.pps,
                m.offered_pps,
                m.drops,
                m.polls_per_frame,
                m.tx_full,
                lat.len(),
                pct(50),
                pct(90),
                pct(99)
            );
        }
    }
}

#[test]
fn rx_ring_held_frames_stay_until_released() {
    let Some((a, b)) = veth_pair("rh") else {
        return;
    };
    let (ma, mb) = (mac_of(&a, "va"), mac_of(&b, "vb"));
    // 4 frame slots: 2 blocks of one page, 2 frames each
    let opts = RxOptions {
        ring: RxConfig {
            version: RingVersion::V2,
            block_size: 4096,
            block_count: 2,
            frame_size: 2048,
            block_timeout_ms: 1,
        },
        ..RxOptions::default()
    };
    let mut rx = a.run(|| RxRing::open("va", &opts)).unwrap();
    let s = b.run(|| plain_socket("vb", 0));
    let send = |seqs: std::ops::Range<u32>| {
        for seq in seqs {
            plain_send(&s, &test_frame(ma, mb, seq, frame_len(seq)));
        }
    };
    let take = |rx: &mut RxRing| {
        let mut seqs = Vec::new();
        rx.recv_batch_held(64, |f| {
            let seq = u32::from_be_bytes(f.data[22..26].try_into().unwrap());
            assert_eq!(f.data, &test_frame(ma, mb, seq, frame_len(seq))[..]);
            seqs.push(seq);
        });
        seqs
    };
    // 6 frames into 4 slots: the kernel keeps 0..4 and drops 2
    send(0..6);
    assert!(rx.wait(1000).unwrap());
    // all but one slot may be held: 0, 1, 2; then nothing more, no frame twice
    assert_eq!(take(&mut rx), vec![0, 1, 2]);
    assert_eq!(rx.held(), 3);
    assert_eq!(take(&mut rx), Vec::<u32>::new());
    // held slots are not the kernel's: frames sent now find the ring full
    send(6..9);
    assert_eq!(rx.counters().released, 0);
    rx.release_held();
    assert_eq!((rx.held(), rx.counters().released), (0, 3));
    // frame 3 waited in its slot, untouched
    assert_eq!(take(&mut rx), vec![3]);
    rx.release_held();
    send(9..12);
    assert!(rx.wait(1000).unwrap());
    assert_eq!(take(&mut rx), vec![9, 10, 11]);
    rx.release_held();
    let st = rx.kernel_stats().unwrap();
    assert_eq!(st.drops, 5, "{st:?}");
    // the plain path still works after held batches
    send(12..13);
    assert_eq!(drain_ring(&mut rx, 1, ma, mb), vec![12]);
}

// ---------------------------------------------------------------------------------------------
// The sendmmsg transmit path

#[test]
fn tx_batch_sends_frames_received_intact_at_the_peer() {
    let Some((a, b)) = veth_pair("tb") else {
        return;
    };
    let (ma, mb) = (mac_of(&a, "va"), mac_of(&b, "vb"));
    let rxs = b.run(|| plain_socket("vb", TEST_ETHERTYPE));
    // 16 slots: batches of 40 make tx_slot flush a full batch by itself.
    let cfg = TxConfig {
        frame_size: 2048,
        frame_count: 16,
        qdisc_bypass: true,
    };
    let mut tx = a.run(|| Tx::open("va", TxMode::Mmsg, &cfg)).unwrap();
    assert_eq!(tx.mode(), TxMode::Mmsg);
    assert_eq!(tx.slot_capacity(), 2048 - 32);
    assert!(!tx.tx_commit(60), "nothing reserved: refused");
    assert_eq!(tx.flush().unwrap(), 0, "nothing pending: no syscall");
    assert_eq!(tx.counters().kicks, 0);

    const N: u32 = 400;
    let receiver = std::thread::scope(|s| {
        let h = s.spawn(|| {
            let mut got = Vec::new();
            let mut buf = vec![0u8; 4096];
            let deadline = Instant::now() + Duration::from_secs(5);
            while got.len() < N as usize && Instant::now() < deadline {
                if let Some(n) = plain_recv(&rxs, &mut buf) {
                    if let Some(seq) = parse_test_frame(&buf[..n], mb, ma) {
                        got.push(seq);
                    }
                }
            }
            got
        });
        let mut seq = 0;
        while seq < N {
            for _ in 0..40 {
                if seq == N {
                    break;
                }
                let f = test_frame(mb, ma, seq, frame_len(seq));
                let slot = tx.tx_slot().expect("a batch always has a slot");
                slot[..f.len()].copy_from_slice(&f);
                assert!(!tx.tx_commit(slot_len_too_long()), "too long is refused");
                assert!(tx.tx_commit(f.len()));
                assert!(tx.pending() <= 16);
                seq += 1;
                // the receiver reads one frame at a time: do not overrun its socket buffer
                if seq % 100 == 0 {
                    std::thread::sleep(Duration::from_millis(20));
                }
            }
            tx.flush().unwrap();
            assert_eq!(tx.pending(), 0);
        }
        h.join().unwrap()
    });
    assert_eq!(receiver, (0..N).collect::<Vec<_>>());
    let c = tx.counters();
    assert_eq!(c.committed, u64::from(N));
    assert_eq!((c.kick_errors, c.dropped, c.full), (0, 0, 0), "{c:?}");
    // 10 batches of 40 on 16 slots: two full flushes and one at the end of each batch
    assert_eq!(c.kicks, 30, "{c:?}");
}

/// One byte more than a 2048-byte slot holds.
fn slot_len_too_long() -> usize {
    2048 - 32 + 1
}

#[test]
fn tx_batch_drops_and_counts_what_the_kernel_refuses() {
    let Some((a, b)) = veth_pair("tbd") else {
        return;
    };
    let (ma, mb) = (mac_of(&a, "va"), mac_of(&b, "vb"));
    let rxs = b.run(|| plain_socket("vb", TEST_ETHERTYPE));
    let cfg = TxConfig {
        frame_size: 4096,
        frame_count: 8,
        qdisc_bypass: true,
    };
    let mut tx = a.run(|| TxBatch::open("va", &cfg)).unwrap();
    assert!(!tx.send_frame(&[]), "empty frame refused");
    assert!(!tx.send_frame(&vec![0u8; 4096]), "oversized frame refused");
    assert_eq!(tx.counters().bad_commit, 2);
    // A down link refuses the batch (ENETDOWN): the frames are dropped, not kept.
    a.ip("link set va down");
    let f = test_frame(mb, ma, 0, 60);
    for _ in 0..5 {
        assert!(tx.send_frame(&f));
    }
    assert!(tx.flush().is_err());
    let c = tx.counters();
    assert_eq!((c.dropped, c.kick_errors, tx.pending()), (5, 1, 0), "{c:?}");
    a.ip("link set va up");
    // A frame longer than the MTU (EMSGSIZE) is dropped alone; the others of its batch go.
    let big = test_frame(mb, ma, 1, 3000);
    assert!(tx.send_frame(&test_frame(mb, ma, 2, frame_len(2))));
    assert!(tx.send_frame(&big));
    assert!(tx.send_frame(&test_frame(mb, ma, 3, frame_len(3))));
    let e = tx.flush().unwrap_err();
    assert_eq!(e.raw_os_error(), Some(libc::EMSGSIZE), "{e}");
    let c = tx.counters();
    assert_eq!((c.dropped, c.kick_errors), (6, 2), "{c:?}");
    let mut buf = vec![0u8; 4096];
    let mut got = Vec::new();
    let deadline = Instant::now() + Duration::from_secs(2);
    while got.len() < 2 && Instant::now() < deadline {
        if let Some(n) = plain_recv(&rxs, &mut buf) {
            if let Some(seq) = parse_test_frame(&buf[..n], mb, ma) {
                got.push(seq);
            }
        }
    }
    assert_eq!(got, vec![2, 3]);
}

fn thread_cpu_ns() -> u64 {
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: valid out pointer.
    unsafe { libc::clock_gettime(libc::CLOCK_THREAD_CPUTIME_ID, &mut ts) };
    ts.tv_sec as u64 * 1_000_000_000 + ts.tv_nsec as u64
}

/// CPU per frame of the sending thread for each transmit path: batches of 64 frames copied
/// into the path's slots and sent with one kick / `sendmmsg`, on a veth whose peer (in another
/// namespace) drops everything at tc ingress, as seedperf's counting end does. The peer's
/// receive runs in the sender's softirq, so it is included, for every path alike.
#[test]
#[ignore = "measurement: run with --ignored --nocapture"]
fn measure_tx_paths() {
    let Some((a, b)) = veth_pair("mt") else {
        return;
    };
    let (ma, mb) = (mac_of(&a, "va"), mac_of(&b, "vb"));
    let _guard = b.run(|| KernelGuard::install("vb")).unwrap();
    const N: usize = 200_000;
    for round in 0..3 {
        for ifname in ["va"] {
            for len in [64usize, 1400] {
                for (mode, bypass) in [
                    (TxMode::Ring, true),
                    (TxMode::Mmsg, true),
                    (TxMode::Mmsg, false),
                ] {
                    let cfg = TxConfig {
                        qdisc_bypass: bypass,
                        ..TxConfig::default()
                    };
                    let frame = test_frame(mb, ma, 0, len);
                    let (cpu, wall, sent, c) = a.run(|| {
                        let mut tx = Tx::open(ifname, mode, &cfg).unwrap();
                        let blast = |tx: &mut Tx, n: usize| {
                            let mut sent = 0usize;
                            for _ in 0..n / 64 {
                                for _ in 0..64 {
                                    if tx.send_frame(&frame) {
                                        sent += 1;
                                    }
                                }
                                let _ = tx.flush();
                            }
                            sent
                        };
                        blast(&mut tx, 20_000);
                        let (c0, w0) = (thread_cpu_ns(), Instant::now());
                        let sent = blast(&mut tx, N);
                        (thread_cpu_ns() - c0, w0.elapsed(), sent, tx.counters())
                    });
                    println!(
                        "#{round} {ifname} {len:>4} B {mode:?} bypass {bypass:5}: {:>5.0} ns CPU/frame, \
                         {:>5.0} kpps, sent {sent}, kicks {} full {} dropped {}",
                        cpu as f64 / sent.max(1) as f64,
                        sent as f64 / wall.as_secs_f64() / 1e3,
                        c.kicks,
                        c.full,
                        c.dropped
                    );
                }
            }
        }
    }
}
