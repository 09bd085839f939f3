//! Flow tuples: what identifies one direction of a flow, its inverse, and the keyed hash the
//! table shards and probes by.
//!
//! What fills [`Tuple::sport`] / [`Tuple::dport`] depends on the protocol, as in the kernel's
//! `nf_conntrack_tuple`:
//!
//! * TCP, UDP: the source and destination ports.
//! * ICMP queries (echo, timestamp, information, address mask): `sport` is the query id
//!   (`src.u.icmp.id`), `dport` is `type << 8 | code` (`dst.u.icmp.type/code`). The inverse
//!   tuple keeps the id and code and carries the reply type (echo 8 <-> echo reply 0, 13 <-> 14,
//!   15 <-> 16, 17 <-> 18).
//! * Every other protocol (GRE, SCTP, ...): tracked as the kernel's generic tracker does, by
//!   addresses only: both ports are 0.
//!
//! Nothing here touches the table or locks.

/// IP protocol numbers ruta's conntrack treats specially.
pub const IPPROTO_ICMP: u8 = 1;
pub const IPPROTO_TCP: u8 = 6;
pub const IPPROTO_UDP: u8 = 17;
pub const IPPROTO_GRE: u8 = 47;

/// ICMP types.
pub const ICMP_ECHOREPLY: u8 = 0;
pub const ICMP_DEST_UNREACH: u8 = 3;
pub const ICMP_SOURCE_QUENCH: u8 = 4;
pub const ICMP_REDIRECT: u8 = 5;
pub const ICMP_ECHO: u8 = 8;
pub const ICMP_TIME_EXCEEDED: u8 = 11;
pub const ICMP_PARAMETERPROB: u8 = 12;
pub const ICMP_TIMESTAMP: u8 = 13;
pub const ICMP_TIMESTAMPREPLY: u8 = 14;
pub const ICMP_INFO_REQUEST: u8 = 15;
pub const ICMP_INFO_REPLY: u8 = 16;
pub const ICMP_ADDRESS: u8 = 17;
pub const ICMP_ADDRESSREPLY: u8 = 18;

/// One direction of a flow. Addresses are host-order IPv4. See the module doc for what the
/// ports mean per protocol.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug, Default)]
pub struct Tuple {
    pub src: u32,
    pub dst: u32,
    pub sport: u16,
    pub dport: u16,
    pub proto: u8,
}

/// The reply type of an ICMP query type (the kernel's `invmap`), both ways.
pub fn icmp_inverse_type(t: u8) -> Option<u8> {
    match t {
        ICMP_ECHO => Some(ICMP_ECHOREPLY),
        ICMP_ECHOREPLY => Some(ICMP_ECHO),
        ICMP_TIMESTAMP => Some(ICMP_TIMESTAMPREPLY),
        ICMP_TIMESTAMPREPLY => Some(ICMP_TIMESTAMP),
        ICMP_INFO_REQUEST => Some(ICMP_INFO_REPLY),
        ICMP_INFO_REPLY => Some(ICMP_INFO_REQUEST),
        ICMP_ADDRESS => Some(ICMP_ADDRESSREPLY),
        ICMP_ADDRESSREPLY => Some(ICMP_ADDRESS),
        _ => None,
    }
}

/// ICMP types that may start a flow (the kernel's `valid_new`).
pub fn icmp_is_request(t: u8) -> bool {
    matches!(
        t,
        ICMP_ECHO | ICMP_TIMESTAMP | ICMP_INFO_REQUEST | ICMP_ADDRESS
    )
}

/// ICMP error types: these are RELATED to the flow of the header they embed.
pub fn icmp_is_error(t: u8) -> bool {
    matches!(
        t,
        ICMP_DEST_UNREACH
            | ICMP_SOURCE_QUENCH
            | ICMP_REDIRECT
            | ICMP_TIME_EXCEEDED
            | ICMP_PARAMETERPROB
    )
}

impl Tuple {
    /// A TCP / UDP / other tuple from its five fields.
    pub fn new(proto: u8, src: u32, sport: u16, dst: u32, dport: u16) -> Tuple {
        Tuple {
            src,
            dst,
            sport,
            dport,
            proto,
        }
    }

    /// An ICMP query tuple: `sport` = id, `dport` = `type << 8 | code`.
    pub fn icmp(src: u32, dst: u32, id: u16, icmp_type: u8, code: u8) -> Tuple {
        Tuple {
            src,
            dst,
            sport: id,
            dport: u16::from(icmp_type) << 8 | u16::from(code),
            proto: IPPROTO_ICMP,
        }
    }

    /// ICMP type of an ICMP tuple.
    pub fn icmp_type(&self) -> u8 {
        (self.dport >> 8) as u8
    }

    /// ICMP code of an ICMP tuple.
    pub fn icmp_code(&self) -> u8 {
        self.dport as u8
    }

    /// ICMP id of an ICMP tuple.
    pub fn icmp_id(&self) -> u16 {
        self.sport
    }

    /// True when the protocol has ports (or an ICMP id) in the tuple.
    pub fn has_ports(&self) -> bool {
        matches!(self.proto, IPPROTO_TCP | IPPROTO_UDP | IPPROTO_ICMP)
    }

    /// The tuple with the fields the tracker does not key on cleared (generic protocols have
    /// no ports).
    pub fn normalized(mut self) -> Tuple {
        if !self.has_ports() {
            self.sport = 0;
            self.dport = 0;
        }
        self
    }

    /// The other direction's tuple (`nf_ct_invert_tuple`). `None` for an ICMP type that has no
    /// reply type, as the kernel refuses to invert those.
    pub fn invert(&self) -> Option<Tuple> {
        match self.proto {
            IPPROTO_ICMP => {
                let rt = icmp_inverse_type(self.icmp_type())?;
                Some(Tuple::icmp(
                    self.dst,
                    self.src,
                    self.sport,
                    rt,
                    self.icmp_code(),
                ))
            }
            _ => Some(Tuple {
                src: self.dst,
                dst: self.src,
                sport: self.dport,
                dport: self.sport,
                proto: self.proto,
            }),
        }
    }

    /// `sport << 16 | dport`, the packed word the table stores.
    #[inline]
    pub(crate) fn ports(&self) -> u32 {
        u32::from(self.sport) << 16 | u32::from(self.dport)
    }
}

#[inline]
fn fold(a: u64, b: u64) -> u64 {
    let p = u128::from(a) * u128::from(b);
    (p as u64) ^ ((p >> 64) as u64)
}

/// Keyed hash of a tuple: two folded multiplies (as foldhash / wyhash) over the 13 key bytes,
/// keyed with a per-table random seed so remote hosts cannot aim flows at one bucket.
#[inline]
pub(crate) fn hash_tuple(t: &Tuple, k: &[u64; 4]) -> u64 {
    let a = (u64::from(t.src) << 32 | u64::from(t.dst)) ^ k[0];
    let b = (u64::from(t.ports()) << 8 | u64::from(t.proto)) ^ k[1];
    let h = fold(a, b);
    fold(h ^ k[2], k[3])
}

#[inline]
fn rol(x: u32, k: u32) -> u32 {
    x.rotate_left(k)
}

/// The kernel's `jhash2` (lookup3 over u32 words), used where ruta reproduces the kernel's
/// choice exactly (NAT address selection).
pub fn jhash2(k: &[u32], initval: u32) -> u32 {
    let mut a = 0xdead_beef_u32
        .wrapping_add((k.len() as u32) << 2)
        .wrapping_add(initval);
    let mut b = a;
    let mut c = a;
    let mut k = k;
    while k.len() > 3 {
        a = a.wrapping_add(k[0]);
        b = b.wrapping_add(k[1]);
        c = c.wrapping_add(k[2]);
        // __jhash_mix
        a = a.wrapping_sub(c);
        a ^= rol(c, 4);
        c = c.wrapping_add(b);
        b = b.wrapping_sub(a);
        b ^= rol(a, 6);
        a = a.wrapping_add(c);
        c = c.wrapping_sub(b);
        c ^= rol(b, 8);
        b = b.wrapping_add(a);
        a = a.wrapping_sub(c);
        a ^= rol(c, 16);
        c = c.wrapping_add(b);
        b = b.wrapping_sub(a);
        b ^= rol(a, 19);
        a = a.wrapping_add(c);
        c = c.wrapping_sub(b);
        c ^= rol(b, 4);
        b = b.wrapping_add(a);
        k = &k[3..];
    }
    if k.is_empty() {
        return c;
    }
    if k.len() == 3 {
        c = c.wrapping_add(k[2]);
    }
    if k.len() >= 2 {
        b = b.wrapping_add(k[1]);
    }
    a = a.wrapping_add(k[0]);
    // __jhash_final
    c ^= b;
    c = c.wrapping_sub(rol(b, 14));
    a ^= c;
    a = a.wrapping_sub(rol(c, 11));
    b ^= a;
    b = b.wrapping_sub(rol(a, 25));
    c ^= b;
    c = c.wrapping_sub(rol(b, 16));
    a ^= c;
    a = a.wrapping_sub(rol(c, 4));
    b ^= a;
    b = b.wrapping_sub(rol(a, 14));
    c ^= b;
    c = c.wrapping_sub(rol(b, 24));
    c
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn invert_tcp_and_icmp() {
        let t = Tuple::new(IPPROTO_TCP, 1, 1000, 2, 80);
        assert_eq!(t.invert().unwrap(), Tuple::new(IPPROTO_TCP, 2, 80, 1, 1000));
        let e = Tuple::icmp(1, 2, 77, ICMP_ECHO, 0);
        let r = e.invert().unwrap();
        assert_eq!(
            (r.src, r.dst, r.icmp_id(), r.icmp_type(), r.icmp_code()),
            (2, 1, 77, ICMP_ECHOREPLY, 0)
        );
        assert_eq!(r.invert().unwrap(), e);
        assert!(Tuple::icmp(1, 2, 0, ICMP_DEST_UNREACH, 1)
            .invert()
            .is_none());
    }

    #[test]
    fn generic_has_no_ports() {
        let t = Tuple::new(IPPROTO_GRE, 1, 5, 2, 6).normalized();
        assert_eq!((t.sport, t.dport), (0, 0));
    }

    #[test]
    fn jhash2_known_values() {
        // lookup3 hashword() of the empty key is the initial c: 0xdeadbeef + initval.
        assert_eq!(jhash2(&[], 0), 0xdead_beef);
        // Distinct inputs hash differently and deterministically.
        assert_ne!(jhash2(&[1, 0, 0, 0], 0), jhash2(&[2, 0, 0, 0], 0));
        assert_eq!(jhash2(&[1, 2, 3, 4], 9), jhash2(&[1, 2, 3, 4], 9));
    }
}
