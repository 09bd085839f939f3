//! NAT bindings, as the kernel's nf_nat_core: `get_unique_tuple` (keep the original tuple when
//! it is in range and free, else pick the address with `find_best_ips_proto` — the kernel's
//! jhash of the source address, and of the destination unless `persistent`, so the choice is
//! the kernel's — then keep the port if free, else `nf_nat_l4proto_unique_tuple`: random
//! offset, up to 128 tries, then ever smaller windows from new random offsets), ICMP id
//! remapping, the default port classes when no range is given (1-511, 600-1023, 1024-65535).
//!
//! Not done: `find_appropriate_src` (reusing the mapping an existing flow from the same
//! source address and port already has; ruta keeps the source port whenever it is free,
//! which gives the same binding unless that port was taken), `NF_NAT_RANGE_PROTO_OFFSET`
//! (port shifting), and NAT helpers. Where the kernel hands a tuple it knows is taken to
//! confirm (a single-port range, or a DNAT port it may not change) and fails there, ruta
//! fails at once with [`NatError::Exhausted`]: the packet is dropped either way.
//!
//! MASQUERADE is SNAT to the one address the pipeline passes; NETMAP is a single-address
//! range the pipeline computes.

use crate::table::Conntrack;
use crate::tuple::{jhash2, Tuple, IPPROTO_ICMP, IPPROTO_TCP, IPPROTO_UDP};
use crate::{Status, Unconfirmed};

/// Which side of the original direction a NAT rule rewrites.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Manip {
    /// SNAT / MASQUERADE (POSTROUTING, INPUT).
    Src,
    /// DNAT / REDIRECT (PREROUTING, OUTPUT).
    Dst,
}

/// `struct nf_nat_range2` for IPv4, host order.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct NatRange {
    pub flags: u32,
    pub min_addr: u32,
    pub max_addr: u32,
    /// Port range (ICMP: id range), used with `PROTO_SPECIFIED`.
    pub min_port: u16,
    pub max_port: u16,
}

impl NatRange {
    pub const MAP_IPS: u32 = 1;
    pub const PROTO_SPECIFIED: u32 = 2;
    /// `--random`
    pub const PROTO_RANDOM: u32 = 4;
    /// `--persistent`
    pub const PERSISTENT: u32 = 8;
    /// `--random-fully`
    pub const PROTO_RANDOM_FULLY: u32 = 16;
    const RANDOM_ALL: u32 = Self::PROTO_RANDOM | Self::PROTO_RANDOM_FULLY;

    /// `--to ADDR`
    pub fn addr(a: u32) -> Self {
        Self::addrs(a, a)
    }

    /// `--to LO-HI`
    pub fn addrs(lo: u32, hi: u32) -> Self {
        NatRange {
            flags: Self::MAP_IPS,
            min_addr: lo.min(hi),
            max_addr: lo.max(hi),
            ..Self::default()
        }
    }

    /// `--to :LO-HI` (ports, or ICMP ids), added to any address range.
    pub fn ports(mut self, lo: u16, hi: u16) -> Self {
        self.flags |= Self::PROTO_SPECIFIED;
        self.min_port = lo.min(hi);
        self.max_port = lo.max(hi);
        self
    }

    /// Adds flags (`PROTO_RANDOM`, `PERSISTENT`, `PROTO_RANDOM_FULLY`).
    pub fn with_flags(mut self, f: u32) -> Self {
        self.flags |= f;
        self
    }
}

/// Why a NAT binding could not be made.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NatError {
    /// This manip was already done for the flow (the kernel warns and drops).
    AlreadyDone,
    /// No free tuple in the range.
    Exhausted,
}

fn l4_in_range(t: &Tuple, manip: Manip, r: &NatRange) -> bool {
    let v = match t.proto {
        IPPROTO_ICMP => t.sport,
        IPPROTO_TCP | IPPROTO_UDP => {
            if manip == Manip::Src {
                t.sport
            } else {
                t.dport
            }
        }
        _ => return true,
    };
    r.min_port <= v && v <= r.max_port
}

fn in_range(t: &Tuple, r: &NatRange) -> bool {
    if r.flags & NatRange::MAP_IPS != 0 && !(r.min_addr <= t.src && t.src <= r.max_addr) {
        return false;
    }
    r.flags & NatRange::PROTO_SPECIFIED == 0 || l4_in_range(t, Manip::Src, r)
}

/// Network-order word as the kernel reads it from the packet.
fn raw(a: u32) -> u32 {
    u32::from_ne_bytes(a.to_be_bytes())
}

/// `find_best_ips_proto`: the address, as the kernel picks it.
fn best_ip(t: &mut Tuple, r: &NatRange, manip: Manip) {
    if r.flags & NatRange::MAP_IPS == 0 {
        return;
    }
    let v = if r.min_addr == r.max_addr {
        r.min_addr
    } else {
        let initval = if r.flags & NatRange::PERSISTENT != 0 {
            0
        } else {
            raw(t.dst)
        };
        let j = jhash2(&[raw(t.src), 0, 0, 0], initval);
        let dist = r.max_addr.wrapping_sub(r.min_addr).wrapping_add(1);
        r.min_addr
            .wrapping_add(((u64::from(j) * u64::from(dist)) >> 32) as u32)
    };
    match manip {
        Manip::Src => t.src = v,
        Manip::Dst => t.dst = v,
    }
}

impl Conntrack {
    fn used(&self, t: &Tuple, now: u32) -> bool {
        match t.invert() {
            Some(r) => self.tuple_taken(&r, now),
            None => true,
        }
    }

    /// `nf_nat_l4proto_unique_tuple`: true when `t` was made unique.
    fn l4_unique(&self, t: &mut Tuple, r: &NatRange, manip: Manip, now: u32) -> bool {
        let specified = r.flags & NatRange::PROTO_SPECIFIED != 0;
        let (min, size, key_is_src): (u32, u32, bool) = match t.proto {
            IPPROTO_ICMP => {
                if specified {
                    (
                        u32::from(r.min_port),
                        u32::from(r.max_port) - u32::from(r.min_port) + 1,
                        true,
                    )
                } else {
                    (0, 65536, true)
                }
            }
            IPPROTO_TCP | IPPROTO_UDP => {
                let is_src = manip == Manip::Src;
                if !specified {
                    if !is_src {
                        // A DNAT without ports may not change the port.
                        return !self.used(t, now);
                    }
                    let cur = t.sport;
                    if cur < 1024 {
                        if cur < 512 {
                            (1, 511, true)
                        } else {
                            (600, 1023 - 600 + 1, true)
                        }
                    } else {
                        (1024, 65535 - 1024 + 1, true)
                    }
                } else {
                    (
                        u32::from(r.min_port),
                        u32::from(r.max_port) - u32::from(r.min_port) + 1,
                        is_src,
                    )
                }
            }
            _ => return !self.used(t, now),
        };
        let mut off: u16 = if r.flags & NatRange::RANDOM_ALL != 0 || manip != Manip::Dst {
            self.rand16()
        } else {
            0
        };
        let mut attempts = size.min(128);
        loop {
            for _ in 0..attempts {
                let v = (min + u32::from(off) % size) as u16;
                if key_is_src {
                    t.sport = v;
                } else {
                    t.dport = v;
                }
                if !self.used(t, now) {
                    return true;
                }
                off = off.wrapping_add(1);
            }
            if attempts >= size || attempts < 16 {
                return false;
            }
            attempts /= 2;
            off = self.rand16();
        }
    }

    /// `get_unique_tuple`: the tuple the original direction should become under `range`.
    pub(crate) fn unique_tuple(
        &self,
        orig: &Tuple,
        r: &NatRange,
        manip: Manip,
        now: u32,
    ) -> Result<Tuple, NatError> {
        let random = r.flags & NatRange::RANDOM_ALL != 0;
        if manip == Manip::Src && !random && in_range(orig, r) && !self.used(orig, now) {
            return Ok(*orig);
        }
        let mut t = *orig;
        best_ip(&mut t, r, manip);
        if !random {
            let keep = if r.flags & NatRange::PROTO_SPECIFIED != 0 {
                l4_in_range(&t, manip, r)
            } else {
                true
            };
            if keep && !self.used(&t, now) {
                return Ok(t);
            }
        }
        if self.l4_unique(&mut t, r, manip, now) {
            Ok(t)
        } else {
            Err(NatError::Exhausted)
        }
    }

    /// `nf_nat_setup_info`: binds a new flow's `manip` side into `range`, changing its reply
    /// tuple so replies are recognised. Each manip may be done once per flow.
    pub fn nat(
        &self,
        u: &mut Unconfirmed,
        manip: Manip,
        range: &NatRange,
        now: u32,
    ) -> Result<(), NatError> {
        let (done, changed) = match manip {
            Manip::Src => (Status::SRC_NAT_DONE, Status::SRC_NAT),
            Manip::Dst => (Status::DST_NAT_DONE, Status::DST_NAT),
        };
        if u.status & done != 0 {
            return Err(NatError::AlreadyDone);
        }
        let curr = u.reply.invert().ok_or(NatError::Exhausted)?;
        let new = self.unique_tuple(&curr, range, manip, now)?;
        if new != curr {
            u.reply = new.invert().ok_or(NatError::Exhausted)?;
            u.status |= changed;
        }
        u.status |= done;
        u.nat_retry = Some((manip, *range, curr));
        Ok(())
    }
}
