//! TUN devices: ruta's L3 ports (whole IPv4 packets, no Ethernet header).
//!
//! Owns one `/dev/net/tun` descriptor with `IFF_TUN | IFF_NO_PI`, created or attached by name
//! (`TUNSETIFF`), nonblocking and registrable with mio, and the device's MTU / up state. It must
//! not know about routing or what the packets mean.
//!
//! Cost: TUN has no ring. Every packet is one `read(2)` or one `write(2)`; a batch
//! ([`Tun::recv_batch`]) is a loop of reads until `EAGAIN`, so it saves wake-ups, not system
//! calls. (The kernel's `IFF_NAPI`/`IFF_NAPI_FRAGS` and multi-queue modes are not used.)
//!
//! Lifetime: a device [`Tun::create`] made is not persistent, so the kernel deletes it when
//! its last descriptor closes, i.e. when the `Tun` is dropped (unless another process attached
//! to it meanwhile; and a child forked by another thread holds a copy of the descriptor until
//! its `exec`, `O_CLOEXEC` notwithstanding, which can delay the removal by that long). A device [`Tun::attach`] joined (a persistent one, e.g. made by
//! `ip tuntap add dev NAME mode tun`) stays.

use std::io;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd, RawFd};

use crate::link::{self, LinkCtl};

/// An open TUN device.
#[derive(Debug)]
pub struct Tun {
    fd: OwnedFd,
    name: String,
    created: bool,
    /// Control socket in the device's namespace (MTU / up).
    ctl: LinkCtl,
}

impl Tun {
    /// Creates the TUN device `name` in the calling thread's network namespace. Fails with
    /// `EBUSY` if an interface of that name exists (`IFF_TUN_EXCL`).
    pub fn create(name: &str) -> io::Result<Tun> {
        Self::open(name, true)
    }

    /// Attaches to the existing (persistent) TUN device `name`; fails with `NotFound` when
    /// there is none, and the kernel refuses (`EINVAL`) a TAP or a device created with
    /// other flags.
    pub fn attach(name: &str) -> io::Result<Tun> {
        link::check_name(name)?;
        if link::ifindex(name).is_none() {
            return Err(io::Error::new(
                io::ErrorKind::NotFound,
                format!("no interface {name}"),
            ));
        }
        Self::open(name, false)
    }

    fn open(name: &str, create: bool) -> io::Result<Tun> {
        link::check_name(name)?;
        let ctl = LinkCtl::new()?;
        let path = c"/dev/net/tun";
        // SAFETY: valid path string.
        let fd = unsafe {
            libc::open(
                path.as_ptr(),
                libc::O_RDWR | libc::O_NONBLOCK | libc::O_CLOEXEC,
            )
        };
        if fd < 0 {
            return Err(io::Error::last_os_error());
        }
        // SAFETY: fresh descriptor we own.
        let fd = unsafe { OwnedFd::from_raw_fd(fd) };
        // SAFETY: ifreq is plain old data.
        let mut req: libc::ifreq = unsafe { std::mem::zeroed() };
        for (d, s) in req.ifr_name.iter_mut().zip(name.bytes()) {
            *d = s as libc::c_char;
        }
        let mut flags = libc::IFF_TUN | libc::IFF_NO_PI;
        if create {
            flags |= libc::IFF_TUN_EXCL;
        }
        req.ifr_ifru.ifru_flags = flags as libc::c_short;
        // SAFETY: TUNSETIFF takes a struct ifreq.
        let r = unsafe {
            libc::ioctl(
                fd.as_raw_fd(),
                libc::TUNSETIFF,
                &mut req as *mut libc::ifreq,
            )
        };
        if r < 0 {
            return Err(io::Error::last_os_error());
        }
        // The kernel writes back the name it used (same as asked: no %d templates here).
        let got: Vec<u8> = req
            .ifr_name
            .iter()
            .take_while(|c| **c != 0)
            .map(|c| *c as u8)
            .collect();
        Ok(Tun {
            fd,
            name: String::from_utf8_lossy(&got).into_owned(),
            created: create,
            ctl,
        })
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    /// Did this `Tun` create the device (so it goes away when the `Tun` is dropped)?
    pub fn created(&self) -> bool {
        self.created
    }

    pub fn mtu(&self) -> io::Result<u32> {
        self.ctl.mtu(&self.name)
    }

    pub fn set_mtu(&self, mtu: u32) -> io::Result<()> {
        self.ctl.set_mtu(&self.name, mtu)
    }

    pub fn is_up(&self) -> io::Result<bool> {
        self.ctl.is_up(&self.name)
    }

    pub fn set_up(&self, up: bool) -> io::Result<()> {
        self.ctl.set_up(&self.name, up)
    }

    /// Reads one packet into `buf`: `Ok(Some(len))`, or `Ok(None)` when none is waiting
    /// (`EAGAIN`). A packet longer than `buf` is cut to `buf.len()` (size `buf` for the MTU).
    pub fn recv(&self, buf: &mut [u8]) -> io::Result<Option<usize>> {
        loop {
            // SAFETY: buf is valid for buf.len() bytes.
            let r = unsafe { libc::read(self.fd.as_raw_fd(), buf.as_mut_ptr().cast(), buf.len()) };
            if r >= 0 {
                return Ok(Some(r as usize));
            }
            let e = io::Error::last_os_error();
            match e.kind() {
                io::ErrorKind::WouldBlock => return Ok(None),
                io::ErrorKind::Interrupted => continue,
                _ => return Err(e),
            }
        }
    }

    /// Reads packets into `buf` until none is waiting or `budget` were read, handing each to
    /// `f` (writable in place). One `read` per packet plus the final `EAGAIN` one.
    pub fn recv_batch<F: FnMut(&mut [u8])>(
        &self,
        buf: &mut [u8],
        budget: usize,
        mut f: F,
    ) -> io::Result<usize> {
        let mut n = 0;
        while n < budget {
            match self.recv(buf)? {
                Some(len) => {
                    f(&mut buf[..len]);
                    n += 1;
                }
                None => break,
            }
        }
        Ok(n)
    }

    /// Writes one whole IP packet. `Ok(false)` when the device queue is full (`EAGAIN`);
    /// the kernel rejects packets that are not IP with `EINVAL`.
    pub fn send(&self, pkt: &[u8]) -> io::Result<bool> {
        loop {
            // SAFETY: pkt is valid for pkt.len() bytes.
            let r = unsafe { libc::write(self.fd.as_raw_fd(), pkt.as_ptr().cast(), pkt.len()) };
            if r >= 0 {
                return Ok(true);
            }
            let e = io::Error::last_os_error();
            match e.kind() {
                io::ErrorKind::WouldBlock => return Ok(false),
                io::ErrorKind::Interrupted => continue,
                _ => return Err(e),
            }
        }
    }
}

impl AsRawFd for Tun {
    fn as_raw_fd(&self) -> RawFd {
        self.fd.as_raw_fd()
    }
}

impl mio::event::Source for Tun {
    fn register(
        &mut self,
        registry: &mio::Registry,
        token: mio::Token,
        interests: mio::Interest,
    ) -> io::Result<()> {
        mio::unix::SourceFd(&self.fd.as_raw_fd()).register(registry, token, interests)
    }
    fn reregister(
        &mut self,
        registry: &mio::Registry,
        token: mio::Token,
        interests: mio::Interest,
    ) -> io::Result<()> {
        mio::unix::SourceFd(&self.fd.as_raw_fd()).reregister(registry, token, interests)
    }
    fn deregister(&mut self, registry: &mio::Registry) -> io::Result<()> {
        mio::unix::SourceFd(&self.fd.as_raw_fd()).deregister(registry)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bad_names_fail_before_any_syscall() {
        for bad in ["", "a/b", "0123456789abcdef", ".."] {
            assert_eq!(
                Tun::create(bad).unwrap_err().kind(),
                io::ErrorKind::InvalidInput
            );
        }
        assert_eq!(
            Tun::attach("no-such-tun9").unwrap_err().kind(),
            io::ErrorKind::NotFound
        );
    }
}
