//! IPv4 addresses and prefixes as iproute2 reads and prints them.
//!
//! iproute2 accepts short dotted forms (`10.38/16` is `10.38.0.0/16`, `10` is `10.0.0.0`),
//! `default`/`any`/`all` for `0.0.0.0/0`, and prints host routes without `/32`.

use std::fmt;
use std::net::Ipv4Addr;

/// An IPv4 prefix; the address has no bits set beyond the length (checked on parse).
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Debug, Default)]
pub struct Prefix4 {
    addr: u32,
    len: u8,
}

/// Why an address or prefix was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PrefixError {
    BadAddress(String),
    BadLength(String),
    /// Host bits set beyond the prefix length (the kernel's "Invalid prefix for given prefix length").
    HostBits(String),
}

impl fmt::Display for PrefixError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PrefixError::BadAddress(s) => write!(f, "invalid address \"{s}\""),
            PrefixError::BadLength(s) => write!(f, "invalid prefix length in \"{s}\""),
            PrefixError::HostBits(s) => {
                write!(f, "invalid prefix for given prefix length: \"{s}\"")
            }
        }
    }
}

impl std::error::Error for PrefixError {}

/// Mask with the top `len` bits set.
#[inline]
pub const fn mask(len: u8) -> u32 {
    if len == 0 {
        0
    } else {
        u32::MAX << (32 - len as u32)
    }
}

// `len` is the prefix length, not a size: there is no "empty" prefix.
#[allow(clippy::len_without_is_empty)]
impl Prefix4 {
    /// The default route, 0.0.0.0/0.
    pub const DEFAULT: Prefix4 = Prefix4 { addr: 0, len: 0 };

    /// A prefix from an address and a length; host bits are cleared.
    pub fn new_truncate(addr: u32, len: u8) -> Prefix4 {
        let len = len.min(32);
        Prefix4 {
            addr: addr & mask(len),
            len,
        }
    }

    /// A prefix that must already be canonical (no host bits set).
    pub fn new(addr: u32, len: u8) -> Option<Prefix4> {
        if len > 32 || addr & !mask(len) != 0 {
            None
        } else {
            Some(Prefix4 { addr, len })
        }
    }

    /// A selector that keeps host bits as given (rule `from 10.1.2.3/8` prints as typed,
    /// as the kernel keeps it); matching still uses only the top `len` bits.
    pub fn new_raw(addr: u32, len: u8) -> Prefix4 {
        Prefix4 {
            addr,
            len: len.min(32),
        }
    }

    pub fn host(addr: Ipv4Addr) -> Prefix4 {
        Prefix4 {
            addr: u32::from(addr),
            len: 32,
        }
    }

    #[inline]
    pub fn addr_u32(&self) -> u32 {
        self.addr
    }
    #[inline]
    pub fn addr(&self) -> Ipv4Addr {
        Ipv4Addr::from(self.addr)
    }
    #[inline]
    pub fn len(&self) -> u8 {
        self.len
    }
    #[inline]
    pub fn is_default(&self) -> bool {
        self.len == 0
    }
    #[inline]
    pub fn mask(&self) -> u32 {
        mask(self.len)
    }
    /// True when `a` lies inside this prefix.
    #[inline]
    pub fn contains(&self, a: u32) -> bool {
        (a ^ self.addr) & mask(self.len) == 0
    }
    /// True when `other` is this prefix or nested inside it.
    pub fn covers(&self, other: &Prefix4) -> bool {
        other.len >= self.len && self.contains(other.addr)
    }
    /// The last address of the prefix (the subnet broadcast).
    pub fn last(&self) -> u32 {
        self.addr | !mask(self.len)
    }
}

/// Prints as iproute2 does in routes: `default`, `10.0.0.0/8`, host routes without `/32`.
impl fmt::Display for Prefix4 {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.len == 0 && self.addr == 0 {
            f.write_str("default")
        } else if self.len == 32 {
            write!(f, "{}", self.addr())
        } else {
            write!(f, "{}/{}", self.addr(), self.len)
        }
    }
}

/// Parses an IPv4 address the way iproute2's `get_addr_ipv4` does: one to four dotted
/// decimal parts, missing trailing parts are zero (`10.38` is `10.38.0.0`).
pub fn parse_addr(s: &str) -> Option<Ipv4Addr> {
    if s.is_empty() || s.len() > 15 {
        return None;
    }
    let mut out = [0u8; 4];
    let mut n = 0;
    for (i, part) in s.split('.').enumerate() {
        if i == 4 || part.is_empty() || part.len() > 3 || !part.bytes().all(|b| b.is_ascii_digit())
        {
            return None;
        }
        let v: u32 = part.parse().ok()?;
        if v > 255 {
            return None;
        }
        out[i] = v as u8;
        n = i + 1;
    }
    let _ = n;
    Some(Ipv4Addr::from(out))
}

/// Parses `ADDR[/LEN]`, `default`, `any` or `all`. Without a length the prefix is a host
/// route (/32). Host bits beyond the length are refused, as the kernel refuses them.
pub fn parse_prefix(s: &str) -> Result<Prefix4, PrefixError> {
    if matches!(s, "default" | "any" | "all") {
        return Ok(Prefix4::DEFAULT);
    }
    let (a, l) = match s.split_once('/') {
        Some((a, l)) => (a, Some(l)),
        None => (s, None),
    };
    let addr = parse_addr(a).ok_or_else(|| PrefixError::BadAddress(s.to_string()))?;
    let len = match l {
        None => 32,
        Some(l) => {
            if l.is_empty() || l.len() > 2 || !l.bytes().all(|b| b.is_ascii_digit()) {
                return Err(PrefixError::BadLength(s.to_string()));
            }
            let v: u8 = l
                .parse()
                .map_err(|_| PrefixError::BadLength(s.to_string()))?;
            if v > 32 {
                return Err(PrefixError::BadLength(s.to_string()));
            }
            v
        }
    };
    Prefix4::new(u32::from(addr), len).ok_or_else(|| PrefixError::HostBits(s.to_string()))
}

/// Parses a rule selector: like [`parse_prefix`] but host bits are kept, as the kernel
/// keeps them in rules.
pub fn parse_selector(s: &str) -> Result<Prefix4, PrefixError> {
    if matches!(s, "default" | "any" | "all") {
        return Ok(Prefix4::DEFAULT);
    }
    let (a, l) = parse_addr_len(s)?;
    Ok(Prefix4::new_raw(u32::from(a), l))
}

/// Parses `ADDR[/LEN]` keeping the host part (for `ip addr add 10.0.0.1/24`).
pub fn parse_addr_len(s: &str) -> Result<(Ipv4Addr, u8), PrefixError> {
    let (a, l) = match s.split_once('/') {
        Some((a, l)) => (a, Some(l)),
        None => (s, None),
    };
    let addr = parse_addr(a).ok_or_else(|| PrefixError::BadAddress(s.to_string()))?;
    let len = match l {
        None => 32,
        Some(l) => match l.parse::<u8>() {
            Ok(v) if v <= 32 && !l.is_empty() && l.len() <= 2 => v,
            _ => return Err(PrefixError::BadLength(s.to_string())),
        },
    };
    Ok((addr, len))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_forms() {
        assert_eq!(
            parse_prefix("10.38/16").unwrap().to_string(),
            "10.38.0.0/16"
        );
        assert_eq!(parse_prefix("10/8").unwrap().to_string(), "10.0.0.0/8");
        assert_eq!(parse_prefix("default").unwrap(), Prefix4::DEFAULT);
        assert_eq!(parse_prefix("0/0").unwrap().to_string(), "default");
        assert_eq!(parse_prefix("1.2.3.4").unwrap().to_string(), "1.2.3.4");
        assert_eq!(parse_prefix("1.2.3.4/32").unwrap().to_string(), "1.2.3.4");
        assert_eq!(parse_addr("10"), Some(Ipv4Addr::new(10, 0, 0, 0)));
    }

    #[test]
    fn refusals() {
        assert!(matches!(
            parse_prefix("10.0.0.1/8"),
            Err(PrefixError::HostBits(_))
        ));
        assert!(parse_prefix("10.0.0.0/33").is_err());
        assert!(parse_prefix("256.0.0.0/8").is_err());
        assert!(parse_prefix("1.2.3.4.5").is_err());
        assert!(parse_prefix("").is_err());
        assert!(parse_prefix("1..2").is_err());
        assert!(parse_prefix("a.b.c.d").is_err());
        assert!(parse_prefix("10/").is_err());
        assert!(parse_prefix("+1").is_err());
    }

    #[test]
    fn containment() {
        let p = parse_prefix("10.38.0.0/16").unwrap();
        assert!(p.contains(u32::from(Ipv4Addr::new(10, 38, 200, 1))));
        assert!(!p.contains(u32::from(Ipv4Addr::new(10, 39, 0, 1))));
        assert!(Prefix4::DEFAULT.covers(&p));
        assert_eq!(Ipv4Addr::from(p.last()), Ipv4Addr::new(10, 38, 255, 255));
        // ordering: by address, then shorter first (the kernel's dump order)
        let a = parse_prefix("10.0.0.0/8").unwrap();
        let b = parse_prefix("10.0.0.0/16").unwrap();
        let c = parse_prefix("9.0.0.0/8").unwrap();
        let mut v = vec![b, a, c];
        v.sort();
        assert_eq!(v, vec![c, a, b]);
    }
}
