//! The few socket calls std::net lacks: a TCP connect from a chosen local
//! address and port, an ICMP echo over a raw socket, and an AF_PACKET capture
//! socket on one interface.
//!
//! Every socket belongs to the network namespace of the thread that creates it
//! (see [`crate::netns::enter`]). Test-harness code: it allocates freely, but
//! never panics on what it reads from the wire.

use std::io;
use std::net::{Ipv4Addr, SocketAddrV4, TcpStream};
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
use std::time::{Duration, Instant};

fn cvt(rc: libc::c_int) -> io::Result<libc::c_int> {
    if rc < 0 {
        Err(io::Error::last_os_error())
    } else {
        Ok(rc)
    }
}

fn sockaddr_in(a: SocketAddrV4) -> libc::sockaddr_in {
    // SAFETY: all-zero is a valid sockaddr_in.
    let mut sa: libc::sockaddr_in = unsafe { std::mem::zeroed() };
    sa.sin_family = libc::AF_INET as libc::sa_family_t;
    sa.sin_port = a.port().to_be();
    sa.sin_addr.s_addr = u32::from(*a.ip()).to_be();
    sa
}

fn set_timeout(fd: &OwnedFd, opt: libc::c_int, t: Duration) -> io::Result<()> {
    let tv = libc::timeval {
        tv_sec: t.as_secs() as libc::time_t,
        tv_usec: t.subsec_micros() as libc::suseconds_t,
    };
    // SAFETY: valid fd and option buffer.
    cvt(unsafe {
        libc::setsockopt(
            fd.as_raw_fd(),
            libc::SOL_SOCKET,
            opt,
            (&tv as *const libc::timeval).cast(),
            std::mem::size_of::<libc::timeval>() as libc::socklen_t,
        )
    })?;
    Ok(())
}

fn new_socket(domain: libc::c_int, ty: libc::c_int, proto: libc::c_int) -> io::Result<OwnedFd> {
    // SAFETY: plain socket(2); the descriptor is owned right away.
    let fd = cvt(unsafe { libc::socket(domain, ty | libc::SOCK_CLOEXEC, proto) })?;
    // SAFETY: fresh descriptor nobody else owns.
    Ok(unsafe { OwnedFd::from_raw_fd(fd) })
}

/// TCP connect from `local` (address and port) to `remote`, within `timeout`.
pub fn connect_from(
    local: SocketAddrV4,
    remote: SocketAddrV4,
    timeout: Duration,
) -> io::Result<TcpStream> {
    let fd = new_socket(libc::AF_INET, libc::SOCK_STREAM | libc::SOCK_NONBLOCK, 0)?;
    let one: libc::c_int = 1;
    // SAFETY: valid fd and option buffer.
    cvt(unsafe {
        libc::setsockopt(
            fd.as_raw_fd(),
            libc::SOL_SOCKET,
            libc::SO_REUSEADDR,
            (&one as *const libc::c_int).cast(),
            std::mem::size_of::<libc::c_int>() as libc::socklen_t,
        )
    })?;
    let la = sockaddr_in(local);
    // SAFETY: valid fd and address.
    cvt(unsafe {
        libc::bind(
            fd.as_raw_fd(),
            (&la as *const libc::sockaddr_in).cast(),
            std::mem::size_of::<libc::sockaddr_in>() as libc::socklen_t,
        )
    })?;
    let ra = sockaddr_in(remote);
    // SAFETY: valid fd and address.
    let rc = unsafe {
        libc::connect(
            fd.as_raw_fd(),
            (&ra as *const libc::sockaddr_in).cast(),
            std::mem::size_of::<libc::sockaddr_in>() as libc::socklen_t,
        )
    };
    if rc < 0 {
        let e = io::Error::last_os_error();
        if e.raw_os_error() != Some(libc::EINPROGRESS) {
            return Err(e);
        }
        let mut pfd = libc::pollfd {
            fd: fd.as_raw_fd(),
            events: libc::POLLOUT,
            revents: 0,
        };
        // SAFETY: one valid pollfd.
        let n = cvt(unsafe { libc::poll(&mut pfd, 1, timeout.as_millis() as libc::c_int) })?;
        if n == 0 {
            return Err(io::Error::new(io::ErrorKind::TimedOut, "connect timed out"));
        }
        let mut err: libc::c_int = 0;
        let mut len = std::mem::size_of::<libc::c_int>() as libc::socklen_t;
        // SAFETY: valid fd and buffers.
        cvt(unsafe {
            libc::getsockopt(
                fd.as_raw_fd(),
                libc::SOL_SOCKET,
                libc::SO_ERROR,
                (&mut err as *mut libc::c_int).cast(),
                &mut len,
            )
        })?;
        if err != 0 {
            return Err(io::Error::from_raw_os_error(err));
        }
    }
    let s = TcpStream::from(fd);
    s.set_nonblocking(false)?;
    Ok(s)
}

/// Internet checksum (RFC 1071) of `b`.
pub fn inet_checksum(b: &[u8]) -> u16 {
    let mut sum: u32 = 0;
    for c in b.chunks(2) {
        let w = if c.len() == 2 {
            u16::from_be_bytes([c[0], c[1]])
        } else {
            u16::from(c[0]) << 8
        };
        sum += u32::from(w);
    }
    while sum >> 16 != 0 {
        sum = (sum & 0xffff) + (sum >> 16);
    }
    !(sum as u16)
}

/// An ICMP echo request (type 8) with this id, sequence and payload.
pub fn echo_request(id: u16, seq: u16, payload: &[u8]) -> Vec<u8> {
    let mut m = vec![8u8, 0, 0, 0];
    m.extend_from_slice(&id.to_be_bytes());
    m.extend_from_slice(&seq.to_be_bytes());
    m.extend_from_slice(payload);
    let c = inet_checksum(&m);
    m[2..4].copy_from_slice(&c.to_be_bytes());
    m
}

/// If `pkt` (an IPv4 packet as a raw ICMP socket delivers it) is an echo reply
/// from `from` with this id, its sequence number.
pub fn parse_echo_reply(pkt: &[u8], from: Ipv4Addr, id: u16) -> Option<u16> {
    let first = *pkt.first()?;
    if first >> 4 != 4 {
        return None;
    }
    let ihl = usize::from(first & 0x0f) * 4;
    if ihl < 20 || pkt.len() < ihl + 8 || pkt[9] != 1 {
        return None;
    }
    let src = Ipv4Addr::new(pkt[12], pkt[13], pkt[14], pkt[15]);
    let icmp = &pkt[ihl..];
    if src != from || icmp[0] != 0 || icmp[1] != 0 || u16::from_be_bytes([icmp[4], icmp[5]]) != id {
        return None;
    }
    Some(u16::from_be_bytes([icmp[6], icmp[7]]))
}

/// Pings `to` from `from` with echo id `id`: up to `count` requests, each
/// waiting up to `wait` for its reply; `Ok(seq)` at the first reply.
pub fn ping(from: Ipv4Addr, to: Ipv4Addr, id: u16, count: u16, wait: Duration) -> io::Result<u16> {
    let fd = new_socket(libc::AF_INET, libc::SOCK_RAW, libc::IPPROTO_ICMP)?;
    let la = sockaddr_in(SocketAddrV4::new(from, 0));
    // SAFETY: valid fd and address.
    cvt(unsafe {
        libc::bind(
            fd.as_raw_fd(),
            (&la as *const libc::sockaddr_in).cast(),
            std::mem::size_of::<libc::sockaddr_in>() as libc::socklen_t,
        )
    })?;
    set_timeout(&fd, libc::SO_RCVTIMEO, Duration::from_millis(50))?;
    let ra = sockaddr_in(SocketAddrV4::new(to, 0));
    let mut buf = [0u8; 2048];
    for seq in 1..=count {
        let m = echo_request(id, seq, b"ruta-seedbed");
        // SAFETY: valid fd, buffer and address.
        cvt(unsafe {
            libc::sendto(
                fd.as_raw_fd(),
                m.as_ptr().cast(),
                m.len(),
                0,
                (&ra as *const libc::sockaddr_in).cast(),
                std::mem::size_of::<libc::sockaddr_in>() as libc::socklen_t,
            ) as libc::c_int
        })?;
        let deadline = Instant::now() + wait;
        while Instant::now() < deadline {
            // SAFETY: valid fd and buffer.
            let n = unsafe { libc::recv(fd.as_raw_fd(), buf.as_mut_ptr().cast(), buf.len(), 0) };
            if n <= 0 {
                continue;
            }
            if let Some(s) = parse_echo_reply(&buf[..n as usize], to, id) {
                return Ok(s);
            }
        }
    }
    Err(io::Error::new(
        io::ErrorKind::TimedOut,
        format!("no echo reply from {to} to {count} requests"),
    ))
}

/// A frame seen by a capture socket.
#[derive(Clone, Debug)]
pub struct Frame {
    /// `sll_pkttype` (`PACKET_OUTGOING` = 4 for frames this host sent).
    pub pkttype: u8,
    pub data: Vec<u8>,
}

/// An AF_PACKET `ETH_P_ALL` socket bound to one interface of the calling
/// thread's namespace.
pub struct Capture {
    fd: OwnedFd,
}

impl Capture {
    pub fn open(ifname: &str) -> io::Result<Capture> {
        let proto = (libc::ETH_P_ALL as u16).to_be();
        let fd = new_socket(libc::AF_PACKET, libc::SOCK_RAW, libc::c_int::from(proto))?;
        let cname = std::ffi::CString::new(ifname)
            .map_err(|_| io::Error::from(io::ErrorKind::InvalidInput))?;
        // SAFETY: valid NUL-terminated name.
        let idx = unsafe { libc::if_nametoindex(cname.as_ptr()) };
        if idx == 0 {
            return Err(io::Error::last_os_error());
        }
        // SAFETY: all-zero is a valid sockaddr_ll.
        let mut sll: libc::sockaddr_ll = unsafe { std::mem::zeroed() };
        sll.sll_family = libc::AF_PACKET as u16;
        sll.sll_protocol = proto;
        sll.sll_ifindex = idx as i32;
        // SAFETY: valid fd and address.
        cvt(unsafe {
            libc::bind(
                fd.as_raw_fd(),
                (&sll as *const libc::sockaddr_ll).cast(),
                std::mem::size_of::<libc::sockaddr_ll>() as libc::socklen_t,
            )
        })?;
        set_timeout(&fd, libc::SO_RCVTIMEO, Duration::from_millis(50))?;
        Ok(Capture { fd })
    }

    /// The next frame, or `None` after the receive timeout (50 ms).
    pub fn next(&self) -> Option<Frame> {
        let mut buf = [0u8; 2048];
        // SAFETY: all-zero is a valid sockaddr_ll.
        let mut sll: libc::sockaddr_ll = unsafe { std::mem::zeroed() };
        let mut len = std::mem::size_of::<libc::sockaddr_ll>() as libc::socklen_t;
        // SAFETY: valid fd, buffers and lengths.
        let n = unsafe {
            libc::recvfrom(
                self.fd.as_raw_fd(),
                buf.as_mut_ptr().cast(),
                buf.len(),
                0,
                (&mut sll as *mut libc::sockaddr_ll).cast(),
                &mut len,
            )
        };
        if n <= 0 {
            return None;
        }
        Some(Frame {
            pkttype: sll.sll_pkttype,
            data: buf[..n as usize].to_vec(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn echo_request_checksums_to_zero() {
        let m = echo_request(0x1234, 7, b"abc");
        assert_eq!(inet_checksum(&m), 0);
        assert_eq!(&m[4..8], &[0x12, 0x34, 0, 7]);
    }

    #[test]
    fn echo_reply_parsing() {
        let mut icmp = echo_request(0x5301, 2, b"x");
        icmp[0] = 0;
        let mut p = vec![
            0x45, 0, 0, 0, 0, 0, 0, 0, 64, 1, 0, 0, 198, 19, 0, 10, 198, 18, 99, 10,
        ];
        p.extend_from_slice(&icmp);
        let far = Ipv4Addr::new(198, 19, 0, 10);
        assert_eq!(parse_echo_reply(&p, far, 0x5301), Some(2));
        assert_eq!(parse_echo_reply(&p, far, 0x5302), None);
        assert_eq!(
            parse_echo_reply(&p, Ipv4Addr::new(198, 19, 0, 11), 0x5301),
            None
        );
        for n in 0..p.len() {
            let _ = parse_echo_reply(&p[..n], far, 0x5301);
        }
        p[0] = 0x4f; // ihl beyond the packet
        assert_eq!(parse_echo_reply(&p, far, 0x5301), None);
    }
}
