//! `ip neigh show` / `ip -j neigh show` / `ip -s neigh show` rendering, and the filter that
//! `show` and `flush` share.
//!
//! Owns the exact text iproute2 6.1 prints (every field followed by one space, so lines end
//! with a space; `dev NAME` omitted when the listing is filtered by device; `lladdr` only
//! in valid states; no state word for NONE) and its JSON. It reads [`NeighInfo`] snapshots
//! only: no table access, no interface names of its own (the caller passes a name function).

use std::fmt::Write;
use std::net::Ipv4Addr;

use super::{IfIndex, Mac, NeighInfo, Nud};

/// iproute2's `0x100` filter bit: "entries in state NONE too".
const NUD_NONE_BIT: u32 = 0x100;

/// Which entries `ip neigh show|flush [to PREFIX] [dev DEV] [nud STATE]...` selects.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ShowFilter {
    /// `dev DEV`; also drops the `dev` field from the output, as iproute2 does.
    pub dev: Option<IfIndex>,
    /// `to PREFIX` (or a bare address: /32).
    pub to: Option<(Ipv4Addr, u8)>,
    state: u32,
    state_given: bool,
    flush: bool,
}

impl ShowFilter {
    /// `ip neigh show`: every state but NOARP (and not NONE).
    pub fn show() -> ShowFilter {
        ShowFilter {
            dev: None,
            to: None,
            state: 0xFF & !u32::from(Nud::Noarp.bits()),
            state_given: false,
            flush: false,
        }
    }

    /// `ip neigh flush`: every state but PERMANENT and NOARP.
    pub fn flush() -> ShowFilter {
        ShowFilter {
            state: !u32::from(Nud::Permanent.bits() | Nud::Noarp.bits()),
            flush: true,
            ..ShowFilter::show()
        }
    }

    pub fn dev(mut self, ifindex: IfIndex) -> ShowFilter {
        self.dev = Some(ifindex);
        self
    }

    pub fn to(mut self, addr: Ipv4Addr, len: u8) -> ShowFilter {
        self.to = Some((addr, len.min(32)));
        self
    }

    /// One `nud WORD` argument: the first replaces the default set, later ones add to it;
    /// `all` is every state (for flush: but NOARP). Unknown words are the error iproute2
    /// reports as "nud state is bad".
    pub fn nud(mut self, word: &str) -> Result<ShowFilter, String> {
        if !self.state_given {
            self.state_given = true;
            self.state = 0;
        }
        let mut bits = match Nud::parse(word) {
            Some(n) => u32::from(n.bits()),
            None if word == "all" => {
                if self.flush {
                    !u32::from(Nud::Noarp.bits())
                } else {
                    !0
                }
            }
            None => {
                return Err(format!(
                    "Error: argument \"{word}\" is wrong: nud state is bad"
                ))
            }
        };
        if bits == 0 {
            bits = NUD_NONE_BIT;
        }
        self.state |= bits;
        Ok(self)
    }

    fn matches_state(&self, state: Nud) -> bool {
        let s = u32::from(state.bits());
        self.state & s != 0 || (s == 0 && self.state & NUD_NONE_BIT != 0)
    }

    fn matches_addr(&self, ifindex: IfIndex, dst: Ipv4Addr) -> bool {
        if self.dev.is_some_and(|d| d != ifindex) {
            return false;
        }
        match self.to {
            Some((a, len)) => {
                let mask = if len == 0 {
                    0
                } else {
                    u32::MAX << (32 - u32::from(len))
                };
                u32::from(dst) & mask == u32::from(a) & mask
            }
            None => true,
        }
    }

    pub fn matches(&self, n: &NeighInfo) -> bool {
        self.matches_addr(n.ifindex, n.dst) && self.matches_state(n.state)
    }

    pub(crate) fn matches_flush(&self, ifindex: IfIndex, dst: Ipv4Addr, state: Nud) -> bool {
        self.matches_addr(ifindex, dst) && self.matches_state(state)
    }
}

fn mac_str(m: &Mac) -> String {
    format!(
        "{:02x}:{:02x}:{:02x}:{:02x}:{:02x}:{:02x}",
        m[0], m[1], m[2], m[3], m[4], m[5]
    )
}

fn json_str(out: &mut String, s: &str) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c if (c as u32) < 0x20 => {
                let _ = write!(out, "\\u{:04x}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

/// Renders `entries` as `ip [-s] [-j] neigh show` would, with `name` giving interface names.
pub fn render(
    entries: &[NeighInfo],
    filter: &ShowFilter,
    name: &dyn Fn(IfIndex) -> String,
    json: bool,
    stats: bool,
) -> String {
    let mut out = String::new();
    if json {
        out.push('[');
    }
    let mut first = true;
    for n in entries.iter().filter(|n| filter.matches(n)) {
        let secs = |ms: u64| ms / 1000;
        if json {
            if !first {
                out.push(',');
            }
            out.push_str("{\"dst\":");
            json_str(&mut out, &n.dst.to_string());
            if filter.dev.is_none() {
                out.push_str(",\"dev\":");
                json_str(&mut out, &name(n.ifindex));
            }
            if let Some(m) = &n.lladdr {
                out.push_str(",\"lladdr\":");
                json_str(&mut out, &mac_str(m));
            }
            if stats {
                if n.timer {
                    out.push_str(",\"refcnt\":1");
                }
                let _ = write!(
                    out,
                    ",\"used\":{},\"confirmed\":{},\"updated\":{},\"probes\":{}",
                    secs(n.used_ago_ms),
                    secs(n.confirmed_ago_ms),
                    secs(n.updated_ago_ms),
                    n.probes
                );
            }
            if n.state != Nud::None {
                let _ = write!(out, ",\"state\":[\"{}\"]", n.state.name());
            }
            out.push('}');
        } else {
            let _ = write!(out, "{} ", n.dst);
            if filter.dev.is_none() {
                let _ = write!(out, "dev {} ", name(n.ifindex));
            }
            if let Some(m) = &n.lladdr {
                let _ = write!(out, "lladdr {} ", mac_str(m));
            }
            if stats {
                if n.timer {
                    out.push_str(" ref 1");
                }
                let _ = write!(
                    out,
                    " used {}/{}/{}probes {} ",
                    secs(n.used_ago_ms),
                    secs(n.confirmed_ago_ms),
                    secs(n.updated_ago_ms),
                    n.probes
                );
            }
            if n.state != Nud::None {
                let _ = write!(out, "{} ", n.state.name());
            }
            out.push('\n');
        }
        first = false;
    }
    if json {
        out.push_str("]\n");
    }
    out
}
