//! Kernel interface facts and settings for the ports ruta owns: index, MAC, MTU, up/down.
//!
//! Owns the control-path view of a kernel network interface: discovery through `pnet_datalink`
//! (index, MAC, flags) plus the `SIOCGIFMTU` / `SIOCSIFMTU` / `SIOCGIFFLAGS` / `SIOCSIFFLAGS`
//! ioctls that `pnet_datalink` 0.35 does not offer (it has no MTU at all).
//!
//! Network namespaces: everything here acts in the network namespace of the *calling thread*
//! (discovery opens a netlink socket, the ioctls go through an `AF_INET` datagram socket, and a
//! socket belongs to the namespace it was created in). [`LinkCtl`] keeps its socket, so one
//! created inside a namespace keeps acting there whatever thread uses it later.
//!
//! It must not touch packets, rings or routing: this is control path, allocation is fine.

use std::ffi::CString;
use std::io;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};

/// Facts about one kernel interface, as `ip link show` would print them.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct IfaceInfo {
    pub name: String,
    /// The kernel's ifindex.
    pub index: u32,
    /// Hardware address; `None` for interfaces without one (TUN, loopback has all zeroes).
    pub mac: Option<[u8; 6]>,
    pub mtu: u32,
    /// Administratively up (`IFF_UP`).
    pub up: bool,
    /// Carrier (`IFF_LOWER_UP`).
    pub lower_up: bool,
}

impl IfaceInfo {
    /// Looks `name` up in the calling thread's network namespace.
    ///
    /// Index, MAC and flags come from `pnet_datalink::interfaces()`, the MTU from `SIOCGIFMTU`.
    pub fn lookup(name: &str) -> io::Result<IfaceInfo> {
        check_name(name)?;
        let iface = pnet_datalink::interfaces()
            .into_iter()
            .find(|i| i.name == name)
            .ok_or_else(|| {
                io::Error::new(io::ErrorKind::NotFound, format!("no interface {name}"))
            })?;
        let mtu = LinkCtl::new()?.mtu(name)?;
        Ok(IfaceInfo {
            name: iface.name.clone(),
            index: iface.index,
            mac: iface.mac.map(|m| m.octets()),
            mtu,
            up: iface.is_up(),
            lower_up: iface.is_lower_up(),
        })
    }
}

/// Checks an interface name the way the kernel's `dev_valid_name` does: 1..=15 bytes, not
/// `.` or `..`, no `/`, `:` or whitespace.
pub fn check_name(name: &str) -> io::Result<()> {
    let ok = !name.is_empty()
        && name.len() < libc::IFNAMSIZ
        && name != "."
        && name != ".."
        && !name
            .bytes()
            .any(|b| b == b'/' || b == b':' || b == 0 || b.is_ascii_whitespace());
    if ok {
        Ok(())
    } else {
        Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            format!("invalid interface name {name:?}"),
        ))
    }
}

/// `if_nametoindex` in the calling thread's namespace; `None` when there is no such interface.
pub fn ifindex(name: &str) -> Option<u32> {
    check_name(name).ok()?;
    let c = CString::new(name).ok()?;
    // SAFETY: c is a valid NUL-terminated string.
    let idx = unsafe { libc::if_nametoindex(c.as_ptr()) };
    (idx != 0).then_some(idx)
}

/// An ioctl control socket bound to the network namespace it was created in.
#[derive(Debug)]
pub struct LinkCtl {
    fd: OwnedFd,
}

impl LinkCtl {
    /// Opens the control socket in the calling thread's network namespace.
    pub fn new() -> io::Result<LinkCtl> {
        // SAFETY: plain socket(2) call.
        let fd = unsafe { libc::socket(libc::AF_INET, libc::SOCK_DGRAM | libc::SOCK_CLOEXEC, 0) };
        if fd < 0 {
            return Err(io::Error::last_os_error());
        }
        // SAFETY: fd is a fresh descriptor we own.
        Ok(LinkCtl {
            fd: unsafe { OwnedFd::from_raw_fd(fd) },
        })
    }

    fn ifreq(name: &str) -> io::Result<libc::ifreq> {
        check_name(name)?;
        // SAFETY: ifreq is plain old data; all zeroes is a valid value.
        let mut req: libc::ifreq = unsafe { std::mem::zeroed() };
        for (d, s) in req.ifr_name.iter_mut().zip(name.bytes()) {
            *d = s as libc::c_char;
        }
        Ok(req)
    }

    fn ioctl(&self, op: libc::Ioctl, req: &mut libc::ifreq) -> io::Result<()> {
        // SAFETY: req is a valid ifreq for the SIOC[GS]IF* requests used in this module.
        let r = unsafe { libc::ioctl(self.fd.as_raw_fd(), op, req as *mut libc::ifreq) };
        if r < 0 {
            Err(io::Error::last_os_error())
        } else {
            Ok(())
        }
    }

    /// The interface's MTU (`SIOCGIFMTU`).
    pub fn mtu(&self, name: &str) -> io::Result<u32> {
        let mut req = Self::ifreq(name)?;
        self.ioctl(libc::SIOCGIFMTU as libc::Ioctl, &mut req)?;
        // SAFETY: SIOCGIFMTU filled the ifru_mtu member.
        let mtu = unsafe { req.ifr_ifru.ifru_mtu };
        u32::try_from(mtu).map_err(|_| io::Error::other("negative MTU"))
    }

    /// Sets the MTU (`SIOCSIFMTU`, what `ip link set dev NAME mtu N` does).
    pub fn set_mtu(&self, name: &str, mtu: u32) -> io::Result<()> {
        let mut req = Self::ifreq(name)?;
        req.ifr_ifru.ifru_mtu = i32::try_from(mtu)
            .map_err(|_| io::Error::new(io::ErrorKind::InvalidInput, "MTU out of range"))?;
        self.ioctl(libc::SIOCSIFMTU as libc::Ioctl, &mut req)
    }

    /// The interface flags (`IFF_*`, `SIOCGIFFLAGS`).
    pub fn flags(&self, name: &str) -> io::Result<u32> {
        let mut req = Self::ifreq(name)?;
        self.ioctl(libc::SIOCGIFFLAGS as libc::Ioctl, &mut req)?;
        // SAFETY: SIOCGIFFLAGS filled the ifru_flags member.
        Ok(u32::from(unsafe { req.ifr_ifru.ifru_flags } as u16))
    }

    /// Administratively up?
    pub fn is_up(&self, name: &str) -> io::Result<bool> {
        Ok(self.flags(name)? & libc::IFF_UP as u32 != 0)
    }

    /// `ip link set dev NAME up|down`.
    pub fn set_up(&self, name: &str, up: bool) -> io::Result<()> {
        let mut req = Self::ifreq(name)?;
        self.ioctl(libc::SIOCGIFFLAGS as libc::Ioctl, &mut req)?;
        // SAFETY: SIOCGIFFLAGS filled the ifru_flags member.
        let mut flags = unsafe { req.ifr_ifru.ifru_flags };
        if up {
            flags |= libc::IFF_UP as libc::c_short;
        } else {
            flags &= !(libc::IFF_UP as libc::c_short);
        }
        req.ifr_ifru.ifru_flags = flags;
        self.ioctl(libc::SIOCSIFFLAGS as libc::Ioctl, &mut req)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_checked_like_dev_valid_name() {
        assert!(check_name("eth0").is_ok());
        assert!(check_name("a").is_ok());
        assert!(check_name("123456789012345").is_ok());
        for bad in [
            "",
            ".",
            "..",
            "a/b",
            "a:b",
            "a b",
            "1234567890123456",
            "x\0",
        ] {
            assert!(check_name(bad).is_err(), "{bad:?}");
        }
        assert_eq!(ifindex("no/such"), None);
    }

    #[test]
    fn loopback_facts() {
        // `lo` exists in every namespace; its MTU is 65536 unless someone changed it.
        let ctl = LinkCtl::new().unwrap();
        assert!(ctl.mtu("lo").unwrap() >= 1280);
        assert!(ctl.mtu("no-such-if0").is_err());
        let info = IfaceInfo::lookup("lo").unwrap();
        assert_eq!(Some(info.index), ifindex("lo"));
        assert_eq!(info.mtu, ctl.mtu("lo").unwrap());
        assert!(IfaceInfo::lookup("no-such-if0").is_err());
    }
}
