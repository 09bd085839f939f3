//! The seed's addresses and the testbed's: a prefix-to-prefix map and the
//! translation of a config text through it.
//!
//! Owns only the mapping (what [`SEED_TO_TEST`] says) and token rewriting; it does not
//! know about commands. An address inside a seed prefix keeps its host part
//! (`192.168.100.17` -> `198.18.100.17`); the seed's branch `10.38.0.0/16` becomes
//! `198.18.38.0/24`, so only its hosts `10.38.0.x` have test twins. Any other
//! address in a command is refused unless it is already a test address (198.18.0.0/15,
//! 198.51.100.0/24, 203.0.113.0/24), the unspecified address or loopback: the
//! testbed must never put a real network's address on a link.

use std::net::Ipv4Addr;

/// (seed prefix, test prefix), one line per network of the seed.
pub const SEED_TO_TEST: &[(&str, &str)] = &[
    ("192.168.99.0/24", "198.18.99.0/24"),   // desktops
    ("192.168.100.0/24", "198.18.100.0/24"), // servers (and the /30 to the branch)
    ("192.168.98.0/24", "198.18.98.0/24"),   // behind 192.168.99.1
    ("205.254.211.0/24", "198.51.100.0/24"), // T1 provider
    ("67.17.28.0/28", "203.0.113.0/28"),     // DSL provider
    ("10.38.0.0/16", "198.18.38.0/24"),      // branch behind eth3
    ("64.70.12.0/24", "198.19.0.0/24"), // the seed's client 64.70.12.210: beyond both providers
];

/// Ranges an address may already be in to pass through unchanged.
const TEST_RANGES: &[(&str, &str)] = &[
    ("198.18.0.0/15", "benchmarking"),
    ("198.51.100.0/24", "TEST-NET-2"),
    ("203.0.113.0/24", "TEST-NET-3"),
    ("127.0.0.0/8", "loopback"),
];

/// An IPv4 prefix (address bits beyond the length are kept as given).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Prefix {
    pub addr: Ipv4Addr,
    pub len: u8,
}

impl Prefix {
    pub fn parse(s: &str) -> Option<Prefix> {
        let (a, l) = s.split_once('/')?;
        let addr: Ipv4Addr = a.parse().ok()?;
        let len: u8 = l.parse().ok()?;
        (len <= 32).then_some(Prefix { addr, len })
    }

    fn mask(len: u8) -> u32 {
        if len == 0 {
            0
        } else {
            u32::MAX << (32 - u32::from(len))
        }
    }

    pub fn contains(&self, a: Ipv4Addr) -> bool {
        let m = Self::mask(self.len);
        u32::from(a) & m == u32::from(self.addr) & m
    }
}

fn table() -> Vec<(Prefix, Prefix)> {
    SEED_TO_TEST
        .iter()
        .filter_map(|(s, t)| Some((Prefix::parse(s)?, Prefix::parse(t)?)))
        .collect()
}

/// The test twin of a seed address, `None` if it is in no seed prefix or its host
/// part does not fit the test prefix (`10.38.1.1`).
pub fn map_addr(a: Ipv4Addr) -> Option<Ipv4Addr> {
    let (seed, test) = table()
        .into_iter()
        .filter(|(s, _)| s.contains(a))
        .max_by_key(|(s, _)| s.len)?;
    let host = u32::from(a) & !Prefix::mask(seed.len);
    if host & Prefix::mask(test.len) != 0 {
        return None;
    }
    Some(Ipv4Addr::from(
        (u32::from(test.addr) & Prefix::mask(test.len)) | host,
    ))
}

/// Is `a` allowed to appear unchanged (already a test address, 0.0.0.0, loopback)?
pub fn is_test_addr(a: Ipv4Addr) -> bool {
    a.is_unspecified()
        || TEST_RANGES
            .iter()
            .filter_map(|(p, _)| Prefix::parse(p))
            .any(|p| p.contains(a))
}

/// Translates one token: an address or `address/len` in a seed prefix is mapped,
/// anything that is not an IPv4 address is returned unchanged, and an address
/// that is neither mapped nor a test address is an error.
pub fn map_token(tok: &str) -> Result<String, String> {
    if let Ok(a) = tok.parse::<Ipv4Addr>() {
        return match map_addr(a) {
            Some(t) => Ok(t.to_string()),
            None if is_test_addr(a) => Ok(tok.to_string()),
            None => Err(format!("address {a} has no test twin")),
        };
    }
    if let Some(p) = Prefix::parse(tok) {
        if p.len == 0 && p.addr.is_unspecified() {
            return Ok(tok.to_string());
        }
        let Some((seed, test)) = table()
            .into_iter()
            .filter(|(s, _)| s.contains(p.addr) && p.len >= s.len)
            .max_by_key(|(s, _)| s.len)
        else {
            return if is_test_addr(p.addr) && p.len >= 8 {
                Ok(tok.to_string())
            } else {
                Err(format!("prefix {tok} has no test twin"))
            };
        };
        // The whole seed network maps to the whole test network; a longer prefix
        // keeps its length, and must fit inside the test network.
        let len = if p.len == seed.len {
            test.len
        } else if p.len >= test.len {
            p.len
        } else {
            return Err(format!(
                "prefix {tok} is wider than {}/{} can hold (its twin is {}/{})",
                test.addr, test.len, test.addr, test.len
            ));
        };
        let addr = map_addr(p.addr).ok_or_else(|| format!("prefix {tok} has no test twin"))?;
        return Ok(format!("{addr}/{len}"));
    }
    Ok(tok.to_string())
}

/// Translates a config text line by line. In the command part every
/// whitespace-separated token goes through [`map_token`] (errors carry the line
/// number); in a `#` comment, addresses are translated where they can be and
/// left alone otherwise. Line structure and spacing are kept.
pub fn translate_config(text: &str) -> Result<String, String> {
    let mut out = String::with_capacity(text.len());
    for (i, line) in text.lines().enumerate() {
        let (code, comment) = match line.find('#') {
            Some(p) => (&line[..p], Some(&line[p..])),
            None => (line, None),
        };
        out.push_str(&map_spaced(code, true).map_err(|e| format!("line {}: {e}", i + 1))?);
        if let Some(c) = comment {
            out.push_str(&map_spaced(c, false).unwrap_or_else(|_| c.to_string()));
        }
        out.push('\n');
    }
    Ok(out)
}

/// Maps the tokens of `s`, keeping the whitespace between them.
fn map_spaced(s: &str, strict: bool) -> Result<String, String> {
    let mut out = String::with_capacity(s.len());
    let mut tok = String::new();
    let flush = |tok: &mut String, out: &mut String| -> Result<(), String> {
        if !tok.is_empty() {
            if strict {
                out.push_str(&map_token(tok)?);
            } else {
                // prose: "(192.168.100.10)," keeps its punctuation
                let p = |c: char| matches!(c, ',' | '.' | ';' | ':' | '(' | ')' | '"' | '\'');
                let core = tok.trim_matches(p);
                let start = tok.len() - tok.trim_start_matches(p).len();
                match map_token(core) {
                    Ok(t) if !core.is_empty() => {
                        out.push_str(&tok[..start]);
                        out.push_str(&t);
                        out.push_str(&tok[start + core.len()..]);
                    }
                    _ => out.push_str(tok),
                }
            }
            tok.clear();
        }
        Ok(())
    };
    for c in s.chars() {
        if c.is_whitespace() {
            flush(&mut tok, &mut out)?;
            out.push(c);
        } else {
            tok.push(c);
        }
    }
    flush(&mut tok, &mut out)?;
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn a(s: &str) -> Ipv4Addr {
        s.parse().unwrap()
    }

    #[test]
    fn addresses_keep_their_host_part() {
        assert_eq!(map_addr(a("192.168.99.254")), Some(a("198.18.99.254")));
        assert_eq!(map_addr(a("192.168.100.17")), Some(a("198.18.100.17")));
        assert_eq!(map_addr(a("205.254.211.179")), Some(a("198.51.100.179")));
        assert_eq!(map_addr(a("67.17.28.14")), Some(a("203.0.113.14")));
        assert_eq!(map_addr(a("10.38.0.1")), Some(a("198.18.38.1")));
        assert_eq!(map_addr(a("64.70.12.210")), Some(a("198.19.0.210")));
        // outside the branch's /24 twin, or in no seed network
        assert_eq!(map_addr(a("10.38.1.1")), None);
        assert_eq!(map_addr(a("67.17.28.16")), None);
        assert_eq!(map_addr(a("8.8.8.8")), None);
    }

    #[test]
    fn tokens_and_prefixes() {
        assert_eq!(map_token("192.168.100.2/30").unwrap(), "198.18.100.2/30");
        assert_eq!(map_token("67.17.28.0/28").unwrap(), "203.0.113.0/28");
        assert_eq!(map_token("10.38.0.0/16").unwrap(), "198.18.38.0/24");
        assert_eq!(map_token("10.38.0.128/25").unwrap(), "198.18.38.128/25");
        assert!(map_token("10.38.0.0/20").is_err());
        assert_eq!(map_token("0.0.0.0/0").unwrap(), "0.0.0.0/0");
        assert_eq!(map_token("198.51.100.7").unwrap(), "198.51.100.7");
        assert_eq!(map_token("default").unwrap(), "default");
        assert_eq!(map_token("0x4/0xffffffff").unwrap(), "0x4/0xffffffff");
        assert_eq!(map_token("--to-source").unwrap(), "--to-source");
        assert!(map_token("8.8.8.8").is_err());
        assert!(map_token("192.0.2.1").is_err());
        assert!(map_token("192.0.2.0/24").is_err());
        assert!(map_token("10.0.0.0/8").is_err());
    }

    #[test]
    fn config_lines_keep_their_shape() {
        let t = translate_config(
            "ip route add nat 67.17.28.10 via 192.168.100.10   # isolde 192.168.100.10, x\n\
             iptables -t nat -A POSTROUTING -o eth4 -j SNAT --to-source 67.17.28.12\n",
        )
        .unwrap();
        assert_eq!(
            t,
            "ip route add nat 203.0.113.10 via 198.18.100.10   # isolde 198.18.100.10, x\n\
             iptables -t nat -A POSTROUTING -o eth4 -j SNAT --to-source 203.0.113.12\n"
        );
        let e = translate_config("port eth0 af_packet\nip route add 8.8.8.0/24 dev eth0\n");
        assert!(e.unwrap_err().starts_with("line 2:"));
        // comments may mention anything
        assert_eq!(
            translate_config("# 8.8.8.8 and 192.0.2.1 (10.38.0.0/16), 67.17.28.12.\n").unwrap(),
            "# 8.8.8.8 and 192.0.2.1 (198.18.38.0/24), 203.0.113.12.\n"
        );
    }

    #[test]
    fn the_seed_config_translates_to_test_addresses_only() {
        let seed = include_str!("../../../examples/seed.conf");
        let t = translate_config(seed).unwrap();
        for line in t.lines() {
            let code = line.split('#').next().unwrap();
            for tok in code.split_whitespace() {
                let addr = tok.split('/').next().unwrap();
                if let Ok(x) = addr.parse::<Ipv4Addr>() {
                    assert!(is_test_addr(x), "{x} in {line:?}");
                }
            }
        }
        assert!(t.contains("ip addr add 198.18.99.254/24 dev eth0"));
        assert!(t.contains("ip route add 198.18.38.0/24 via 198.18.100.1 dev eth3"));
        assert!(t.contains("ip rule add nat 203.0.113.10 from 198.18.100.10 table 4"));
        assert_eq!(t.lines().count(), seed.lines().count());
    }
}
