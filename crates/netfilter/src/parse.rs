//! The words after `iptables`, parsed as iptables 1.8.9 parses them (getopt-style bundles
//! like `-nvL`, `--opt=value`, `!` before an option, implicit `-m tcp/udp/icmp` when a
//! protocol option appears) into one command. No state is changed here; error texts follow
//! iptables' wording.

use crate::names::{PROTOCOLS, SERVICES};
use crate::rule::*;
use crate::{param, CtState, NfError, Policy, RejectWith, Ruleset, TableId};

/// How `-L` prints.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ListFmt {
    pub numeric: bool,
    pub verbose: bool,
    pub exact: bool,
    pub line_numbers: bool,
}

#[derive(Debug)]
pub(crate) enum Cmd {
    Append {
        chain: String,
        rule: Rule,
    },
    Insert {
        chain: String,
        pos: usize,
        rule: Rule,
    },
    Replace {
        chain: String,
        pos: usize,
        rule: Rule,
    },
    DeleteNum {
        chain: String,
        pos: usize,
    },
    DeleteSpec {
        chain: String,
        rule: Rule,
    },
    Check {
        chain: String,
        rule: Rule,
    },
    NewChain(String),
    DeleteChain(Option<String>),
    Flush(Option<String>),
    Policy {
        chain: String,
        policy: Policy,
        counters: Option<(u64, u64)>,
    },
    Zero {
        chain: Option<String>,
        num: Option<usize>,
    },
    Rename {
        old: String,
        new: String,
    },
    List {
        chain: Option<String>,
        num: Option<usize>,
        fmt: ListFmt,
    },
    ListRules {
        chain: Option<String>,
        num: Option<usize>,
        verbose: bool,
    },
}

#[derive(Debug)]
pub(crate) struct Parsed {
    pub table: TableId,
    pub cmd: Cmd,
}

/// `strtoul`-like parse as `xtables_strtoui` does it: leading blanks, optional `+`,
/// base 0 (0x hex, 0 octal) unless `base` is 10; the whole string must be used.
pub(crate) fn strtoui(s: &str, max: u64) -> Option<u64> {
    let t = s.trim_start_matches([' ', '\t', '\n', '\r', '\x0b', '\x0c']);
    let t = t.strip_prefix('+').unwrap_or(t);
    let (digits, radix) = if let Some(h) = t.strip_prefix("0x").or_else(|| t.strip_prefix("0X")) {
        (h, 16)
    } else if t.len() > 1 && t.starts_with('0') {
        (&t[1..], 8)
    } else {
        (t, 10)
    };
    if digits.is_empty() {
        // "0x" alone parses as 0 with "x" left over: not all used.
        return None;
    }
    let v = u64::from_str_radix(digits, radix).ok()?;
    if digits.starts_with('+') || digits.starts_with('-') {
        return None;
    }
    (v <= max).then_some(v)
}

fn u32_of(s: &str) -> Option<u32> {
    strtoui(s, u32::MAX as u64).map(|v| v as u32)
}

/// `value[/mask]` as xtables parses marks; mask defaults to all ones.
fn mark_mask(s: &str) -> Option<(u32, u32)> {
    match s.split_once('/') {
        Some((v, m)) => Some((u32_of(v)?, u32_of(m)?)),
        None => Some((u32_of(s)?, u32::MAX)),
    }
}

/// `xtables_numeric_to_ipaddr`: 1 to 4 dotted parts, missing trailing parts are 0 unless
/// parsing a mask.
fn ipaddr(s: &str, is_mask: bool) -> Option<u32> {
    if s.len() > 19 {
        return None;
    }
    let parts: Vec<&str> = s.split('.').collect();
    if parts.len() > 4 || (is_mask && parts.len() != 4) {
        return None;
    }
    let mut a = [0u8; 4];
    for (i, p) in parts.iter().enumerate() {
        a[i] = strtoui(p, 255)? as u8;
    }
    Some(u32::from_be_bytes(a))
}

fn len_mask(len: u32) -> u32 {
    if len == 0 {
        0
    } else {
        u32::MAX << (32 - len)
    }
}

/// `-s`/`-d`/NETMAP: `addr[/len|/mask]`, host bits cleared.
fn addr_mask(s: &str) -> Result<(u32, u32), NfError> {
    let (a, m) = match s.split_once('/') {
        Some((a, m)) => {
            let mask = if m.contains('.') {
                match ipaddr(m, true) {
                    Some(v) => v,
                    None => return param(format!("host/network `{m}' not found")),
                }
            } else {
                match strtoui(m, 32) {
                    Some(l) if !m.is_empty() => len_mask(l as u32),
                    _ => return param(format!("invalid mask `{m}' specified")),
                }
            };
            (a, mask)
        }
        None => (s, u32::MAX),
    };
    match ipaddr(a, false) {
        Some(v) => Ok((v & m, m)),
        None => param(format!("host/network `{a}' not found")),
    }
}

/// Protocol name or number, as `xtables_parse_protocol` (after iptables lower-cases it).
fn protocol(s: &str) -> Result<u8, NfError> {
    let l = s.to_ascii_lowercase();
    if let Some(n) = strtoui(&l, 255) {
        return Ok(n as u8);
    }
    if l == "all" {
        return Ok(0);
    }
    // xtables_chain_protos first, as xtables_parse_protocol: the names -L and -S print
    if let Some(n) = (0..=255u8).find(|&n| crate::render::chain_proto_name(n) == Some(l.as_str())) {
        return Ok(n);
    }
    for (n, name, aliases) in PROTOCOLS {
        if *name == l || aliases.contains(&l.as_str()) {
            return Ok(*n);
        }
    }
    param(format!("unknown protocol \"{s}\" specified"))
}

/// `xtables_parse_port`: number or service name of `proto` ("tcp"/"udp").
fn port(s: &str, udp: bool) -> Result<u16, NfError> {
    if let Some(v) = strtoui(s, 65535) {
        return Ok(v as u16);
    }
    for (p, u, name, aliases) in SERVICES {
        if *u == udp && (*name == s || aliases.contains(&s)) {
            return Ok(*p);
        }
    }
    param(format!("invalid port/service `{s}' specified"))
}

/// tcp/udp `--sport`: `a`, `a:b`, `:b`, `a:`.
fn port_range(s: &str, udp: bool) -> Result<(u16, u16), NfError> {
    match s.split_once(':') {
        None => {
            let p = port(s, udp)?;
            Ok((p, p))
        }
        Some((a, b)) => {
            let lo = if a.is_empty() { 0 } else { port(a, udp)? };
            let hi = if b.is_empty() { 65535 } else { port(b, udp)? };
            if lo > hi {
                return param("invalid portrange (min > max)");
            }
            Ok((lo, hi))
        }
    }
}

fn multiports(s: &str, udp: bool) -> Result<Vec<(u16, u16)>, NfError> {
    let mut v = Vec::new();
    let mut slots = 0;
    for item in s.split(',') {
        match item.split_once(':') {
            Some((a, b)) => {
                if slots >= 14 {
                    return param("too many ports specified");
                }
                let lo = port(a, udp)?;
                let hi = port(b, udp)?;
                if lo >= hi {
                    return param("invalid portrange specified");
                }
                v.push((lo, hi));
                slots += 2;
            }
            None => {
                if slots >= 15 {
                    return param("too many ports specified");
                }
                let p = port(item, udp)?;
                v.push((p, p));
                slots += 1;
            }
        }
    }
    Ok(v)
}

/// The ICMP names libxt_icmp knows: (name, type, code min, code max).
pub(crate) static ICMP_NAMES: &[(&str, u8, u8, u8)] = &[
    ("any", 255, 0, 255),
    ("echo-reply", 0, 0, 255),
    ("pong", 0, 0, 255),
    ("destination-unreachable", 3, 0, 255),
    ("network-unreachable", 3, 0, 0),
    ("host-unreachable", 3, 1, 1),
    ("protocol-unreachable", 3, 2, 2),
    ("port-unreachable", 3, 3, 3),
    ("fragmentation-needed", 3, 4, 4),
    ("source-route-failed", 3, 5, 5),
    ("network-unknown", 3, 6, 6),
    ("host-unknown", 3, 7, 7),
    ("network-prohibited", 3, 9, 9),
    ("host-prohibited", 3, 10, 10),
    ("TOS-network-unreachable", 3, 11, 11),
    ("TOS-host-unreachable", 3, 12, 12),
    ("communication-prohibited", 3, 13, 13),
    ("host-precedence-violation", 3, 14, 14),
    ("precedence-cutoff", 3, 15, 15),
    ("source-quench", 4, 0, 255),
    ("redirect", 5, 0, 255),
    ("network-redirect", 5, 0, 0),
    ("host-redirect", 5, 1, 1),
    ("TOS-network-redirect", 5, 2, 2),
    ("TOS-host-redirect", 5, 3, 3),
    ("echo-request", 8, 0, 255),
    ("ping", 8, 0, 255),
    ("router-advertisement", 9, 0, 255),
    ("router-solicitation", 10, 0, 255),
    ("time-exceeded", 11, 0, 255),
    ("ttl-exceeded", 11, 0, 255),
    ("ttl-zero-during-transit", 11, 0, 0),
    ("ttl-zero-during-reassembly", 11, 1, 1),
    ("parameter-problem", 12, 0, 255),
    ("ip-header-bad", 12, 0, 0),
    ("required-option-missing", 12, 1, 1),
    ("timestamp-request", 13, 0, 255),
    ("timestamp-reply", 14, 0, 255),
    ("address-mask-request", 17, 0, 255),
    ("address-mask-reply", 18, 0, 255),
];

/// The ICMP type and code an exact libxt_icmp name stands for (the lowest code of a
/// name that covers several, e.g. 0 for `echo-request`), for tools that build packets.
pub fn icmp_type_named(name: &str) -> Option<(u8, u8)> {
    ICMP_NAMES
        .iter()
        .find(|e| e.0.eq_ignore_ascii_case(name) && e.1 != 255)
        .map(|e| (e.1, e.2))
}

fn icmp_type(s: &str) -> Result<(u8, (u8, u8)), NfError> {
    if s.starts_with(|c: char| c.is_ascii_digit()) {
        let (t, c) = match s.split_once('/') {
            Some((t, c)) => (t, Some(c)),
            None => (s, None),
        };
        let Some(t) = strtoui(t, 255) else {
            return param(format!("Invalid ICMP type `{t}'"));
        };
        let code = match c {
            Some(c) => match strtoui(c, 255) {
                Some(c) => (c as u8, c as u8),
                None => return param(format!("Invalid ICMP code `{c}'")),
            },
            None => (0, 255),
        };
        return Ok((t as u8, code));
    }
    if let Some(e) = ICMP_NAMES.iter().find(|e| e.0.eq_ignore_ascii_case(s)) {
        return Ok((e.1, (e.2, e.3)));
    }
    let mut found: Option<&(&str, u8, u8, u8)> = None;
    for e in ICMP_NAMES {
        if s.len() <= e.0.len() && e.0[..s.len()].eq_ignore_ascii_case(s) {
            if let Some(f) = found {
                return param(format!(
                    "Ambiguous ICMP type `{s}': `{}' or `{}'?",
                    f.0, e.0
                ));
            }
            found = Some(e);
        }
    }
    match found {
        Some(e) if !s.is_empty() => Ok((e.1, (e.2, e.3))),
        _ => param(format!("Unknown ICMP type `{s}'")),
    }
}

fn states(s: &str, allow_nat: bool, what: &str) -> Result<u16, NfError> {
    let mut bits = 0u16;
    for w in s.split(',') {
        let b = match w.to_ascii_uppercase().as_str() {
            "INVALID" => CtState::INVALID,
            "NEW" => CtState::NEW,
            "ESTABLISHED" => CtState::ESTABLISHED,
            "RELATED" => CtState::RELATED,
            "UNTRACKED" => CtState::UNTRACKED,
            "SNAT" if allow_nat => CtState::SNAT,
            "DNAT" if allow_nat => CtState::DNAT,
            _ => return param(format!("Bad {what} \"{w}\"")),
        };
        bits |= b.0;
    }
    Ok(bits)
}

/// Address range and port range of a NAT target.
type NatSpec = (Option<(u32, u32)>, Option<(u16, u16)>);

/// `--to-source`/`--to-destination` text.
fn nat_range(s: &str) -> Result<NatSpec, NfError> {
    let (addr_part, ports) = match s.split_once(':') {
        Some((a, p)) => {
            if p.contains(':') {
                return param("Invalid port:port syntax - use dash");
            }
            let (lo, hi) = match p.split_once('-') {
                Some((a, b)) => (a, Some(b)),
                None => (p, None),
            };
            let lo = match strtoui(lo, 65535) {
                Some(v) if v > 0 => v as u16,
                _ => return param(format!("Port `{p}' not valid")),
            };
            let hi = match hi {
                Some(h) => match strtoui(h, 65535) {
                    Some(v) if v > 0 => v as u16,
                    _ => return param(format!("Port `{h}' not valid")),
                },
                None => lo,
            };
            if hi < lo {
                return param(format!("Port range `{p}' funky"));
            }
            (a, Some((lo, hi)))
        }
        None => (s, None),
    };
    if addr_part.is_empty() && ports.is_some() {
        return Ok((None, ports));
    }
    let (a, b) = match addr_part.split_once('-') {
        Some((a, b)) => (a, Some(b)),
        None => (addr_part, None),
    };
    let Some(min) = ipaddr(a, false).filter(|_| a.contains('.')) else {
        return param(format!("Bad IP address \"{a}\""));
    };
    let max = match b {
        Some(b) => match ipaddr(b, false).filter(|_| b.contains('.')) {
            Some(v) => v,
            None => return param(format!("Bad IP address \"{b}\"")),
        },
        None => min,
    };
    Ok((Some((min, max)), ports))
}

fn masq_ports(s: &str) -> Result<(u16, u16), NfError> {
    let (lo, hi) = match s.split_once('-') {
        Some((a, b)) => (a, Some(b)),
        None => (s, None),
    };
    let Some(lo) = strtoui(lo, 65535) else {
        return param(format!("Port \"{s}\" not valid"));
    };
    let hi = match hi {
        Some(h) => match strtoui(h, 65535) {
            Some(v) => v,
            None => return param(format!("Port \"{s}\" not valid")),
        },
        None => lo,
    };
    if hi < lo {
        return param(format!("Port range \"{s}\" funky"));
    }
    Ok((lo as u16, hi as u16))
}

/// Names a chain may not take (standard verdicts and well-known extension targets).
const RESERVED: &[&str] = &[
    "ACCEPT",
    "DROP",
    "RETURN",
    "QUEUE",
    "MARK",
    "CONNMARK",
    "SNAT",
    "DNAT",
    "MASQUERADE",
    "NETMAP",
    "REJECT",
    "LOG",
    "NFLOG",
    "TRACE",
    "CT",
    "NOTRACK",
    "TCPMSS",
    "DSCP",
    "TOS",
    "TTL",
    "CLASSIFY",
    "REDIRECT",
    "NFQUEUE",
    "AUDIT",
    "CHECKSUM",
    "CONNSECMARK",
    "SECMARK",
    "TEE",
    "TPROXY",
    "IDLETIMER",
    "LED",
    "RATEEST",
    "SET",
    "SYNPROXY",
    "ULOG",
    "CLUSTERIP",
    "ECN",
    "HMARK",
    "TCPOPTSTRIP",
];

fn check_chain_name(n: &str) -> Result<(), NfError> {
    if n.len() > 28 {
        return param(format!(
            "chain name `{n}' too long (must be under 29 chars)"
        ));
    }
    if n.is_empty() || n.starts_with('-') {
        return param("chain name not allowed to start with `-'");
    }
    if RESERVED.contains(&n) {
        return param("chain name may not clash with target name");
    }
    // quotes and control characters too: iptables accepts them, then its own
    // iptables-restore cannot read back the `iptables-save` line that names the chain
    if n.chars()
        .any(|c| c.is_whitespace() || c.is_control() || matches!(c, '!' | '"' | '\''))
    {
        return param(format!("Invalid chain name `{n}'"));
    }
    Ok(())
}

/// A target while its options are being read.
enum TgtState {
    Std(Target),
    Chain(String),
    Mark(Option<(u32, u32)>),
    Connmark {
        op: Option<u8>, // 0 set, 1 save, 2 restore
        ctmark: u32,
        ctmask: u32,
        nfmask: Option<u32>,
        ctmask_opt: Option<u32>,
    },
    Nat {
        dnat: bool,
        range: Option<NatSpec>,
        random: bool,
        random_fully: bool,
        persistent: bool,
    },
    Masq {
        ports: Option<(u16, u16)>,
        random: bool,
        random_fully: bool,
    },
    Netmap(Option<(u32, u32)>),
    Reject(Option<RejectWith>),
}

/// A match while its options are being read.
enum MState {
    Ports {
        udp: bool,
        sport: Option<((u16, u16), bool)>,
        dport: Option<((u16, u16), bool)>,
        flags: Option<(u8, u8, bool)>,
    },
    Icmp(Option<(u8, (u8, u8), bool)>),
    Multi(Option<(MultiDir, String, bool)>),
    Mark(bool, Option<(u32, u32, bool)>),
    Conntrack(Option<(u16, bool)>),
    State(Option<(u16, bool)>),
}

fn mstate_for(name: &str) -> Option<MState> {
    Some(match name {
        "tcp" => MState::Ports {
            udp: false,
            sport: None,
            dport: None,
            flags: None,
        },
        "udp" => MState::Ports {
            udp: true,
            sport: None,
            dport: None,
            flags: None,
        },
        "icmp" => MState::Icmp(None),
        "multiport" => MState::Multi(None),
        "mark" => MState::Mark(false, None),
        "connmark" => MState::Mark(true, None),
        "conntrack" => MState::Conntrack(None),
        "state" => MState::State(None),
        _ => return None,
    })
}

fn mname(m: &MState) -> &'static str {
    match m {
        MState::Ports { udp: false, .. } => "tcp",
        MState::Ports { udp: true, .. } => "udp",
        MState::Icmp(_) => "icmp",
        MState::Multi(_) => "multiport",
        MState::Mark(false, _) => "mark",
        MState::Mark(true, _) => "connmark",
        MState::Conntrack(_) => "conntrack",
        MState::State(_) => "state",
    }
}

/// Whether the match takes option `o` (long name without dashes).
fn match_has(m: &MState, o: &str) -> bool {
    match m {
        MState::Ports { udp, .. } => {
            matches!(o, "sport" | "source-port" | "dport" | "destination-port")
                || (!udp && matches!(o, "tcp-flags" | "syn"))
        }
        MState::Icmp(_) => o == "icmp-type",
        MState::Multi(_) => matches!(
            o,
            "sports" | "source-ports" | "dports" | "destination-ports" | "ports"
        ),
        MState::Mark(..) => o == "mark",
        MState::Conntrack(_) => o == "ctstate",
        MState::State(_) => o == "state",
    }
}

fn target_has(t: &TgtState, o: &str) -> bool {
    match t {
        TgtState::Std(_) | TgtState::Chain(_) => false,
        TgtState::Mark(_) => matches!(
            o,
            "set-mark" | "set-xmark" | "and-mark" | "or-mark" | "xor-mark"
        ),
        TgtState::Connmark { .. } => matches!(
            o,
            "set-mark"
                | "set-xmark"
                | "and-mark"
                | "or-mark"
                | "xor-mark"
                | "save-mark"
                | "restore-mark"
                | "nfmask"
                | "ctmask"
                | "mask"
        ),
        TgtState::Nat { dnat: false, .. } => {
            matches!(o, "to-source" | "random" | "random-fully" | "persistent")
        }
        TgtState::Nat { dnat: true, .. } => {
            matches!(o, "to-destination" | "random" | "persistent")
        }
        TgtState::Masq { .. } => matches!(o, "to-ports" | "random" | "random-fully"),
        TgtState::Netmap(_) => o == "to",
        TgtState::Reject(_) => o == "reject-with",
    }
}

fn target_flag_only(o: &str) -> bool {
    matches!(
        o,
        "save-mark" | "restore-mark" | "random" | "random-fully" | "persistent"
    )
}

fn once<T>(slot: &Option<T>, m: &str, o: &str) -> Result<(), NfError> {
    if slot.is_some() {
        return param(format!("{m}: option \"--{o}\" can only be used once."));
    }
    Ok(())
}

fn apply_match_opt(m: &mut MState, o: &str, v: &str, inv: bool) -> Result<(), NfError> {
    let name = mname(m);
    match m {
        MState::Ports { flags, .. } if o == "syn" || o == "tcp-flags" => {
            if flags.is_some() {
                return param("Only one of `--syn' or `--tcp-flags'  allowed");
            }
            *flags = Some(if o == "syn" {
                // FIN,SYN,RST,ACK SYN
                (0x17, 0x02, inv)
            } else {
                let (mask, comp) = v.split_once(' ').unwrap_or((v, ""));
                (tcp_flag_list(mask)?, tcp_flag_list(comp)?, inv)
            });
        }
        MState::Ports {
            udp, sport, dport, ..
        } => {
            let r = port_range(v, *udp)?;
            if o == "sport" || o == "source-port" {
                if sport.is_some() {
                    return param("Only one `--source-port' allowed");
                }
                *sport = Some((r, inv));
            } else {
                if dport.is_some() {
                    return param("Only one `--destination-port' allowed");
                }
                *dport = Some((r, inv));
            }
        }
        MState::Icmp(s) => {
            if s.is_some() {
                return param("icmp match: only use --icmp-type once!");
            }
            let (t, c) = icmp_type(v)?;
            *s = Some((t, c, inv));
        }
        MState::Multi(s) => {
            if s.is_some() {
                return param("multiport can only have one option");
            }
            let dir = match o {
                "sports" | "source-ports" => MultiDir::Src,
                "dports" | "destination-ports" => MultiDir::Dst,
                _ => MultiDir::Any,
            };
            *s = Some((dir, v.to_string(), inv));
        }
        MState::Mark(_, s) => {
            once(s, name, o)?;
            match mark_mask(v) {
                Some((a, b)) => *s = Some((a, b, inv)),
                None => {
                    return param(format!(
                        "{name}: bad value for option \"--mark\", or out of range (0-4294967295)."
                    ))
                }
            }
        }
        MState::Conntrack(s) => {
            once(s, name, o)?;
            *s = Some((states(v, true, "ctstate")?, inv));
        }
        MState::State(s) => {
            once(s, name, o)?;
            *s = Some((states(v, false, "state")?, inv));
        }
    }
    Ok(())
}

fn apply_target_opt(t: &mut TgtState, o: &str, v: &str) -> Result<(), NfError> {
    let bad_mark = |v: &str| -> NfError { NfError::Param(format!("Bad MARK value \"{v}\"")) };
    match t {
        TgtState::Mark(s) => {
            if s.is_some() {
                return param("MARK target: Can't specify --set-mark twice");
            }
            let (val, mask) = if o == "set-mark" || o == "set-xmark" {
                mark_mask(v).ok_or_else(|| bad_mark(v))?
            } else {
                (u32_of(v).ok_or_else(|| bad_mark(v))?, u32::MAX)
            };
            *s = Some(match o {
                "set-mark" => (val, val | mask),
                "set-xmark" => (val, mask),
                "and-mark" => (0, !val),
                "or-mark" => (val, val),
                _ => (val, 0),
            });
        }
        TgtState::Connmark {
            op,
            ctmark,
            ctmask,
            nfmask,
            ctmask_opt,
        } => match o {
            "nfmask" | "ctmask" | "mask" => {
                let m = u32_of(v).ok_or_else(|| bad_mark(v))?;
                if o != "ctmask" {
                    *nfmask = Some(m);
                }
                if o != "nfmask" {
                    *ctmask_opt = Some(m);
                }
            }
            _ => {
                if op.is_some() {
                    return param("CONNMARK target: Can't specify more than one operation");
                }
                match o {
                    "save-mark" => *op = Some(1),
                    "restore-mark" => *op = Some(2),
                    _ => {
                        let (val, mask) = if o == "set-mark" || o == "set-xmark" {
                            mark_mask(v).ok_or_else(|| bad_mark(v))?
                        } else {
                            (u32_of(v).ok_or_else(|| bad_mark(v))?, u32::MAX)
                        };
                        let (a, b) = match o {
                            "set-mark" => (val, val | mask),
                            "set-xmark" => (val, mask),
                            "and-mark" => (0, !val),
                            "or-mark" => (val, val),
                            _ => (val, 0),
                        };
                        *op = Some(0);
                        *ctmark = a;
                        *ctmask = b;
                    }
                }
            }
        },
        TgtState::Nat {
            range,
            random,
            random_fully,
            persistent,
            dnat,
        } => match o {
            "random" => *random = true,
            "random-fully" => *random_fully = true,
            "persistent" => *persistent = true,
            _ => {
                if range.is_some() {
                    let n = if *dnat { "DNAT" } else { "SNAT" };
                    return param(format!("{n}: Multiple --{o} not supported"));
                }
                *range = Some(nat_range(v)?);
            }
        },
        TgtState::Masq {
            ports,
            random,
            random_fully,
        } => match o {
            "random" => *random = true,
            "random-fully" => *random_fully = true,
            _ => *ports = Some(masq_ports(v)?),
        },
        TgtState::Netmap(s) => {
            let (a, m) = match addr_mask(v) {
                Ok(x) => x,
                Err(_) => return param(format!("Bad network address \"{v}\"")),
            };
            *s = Some((a, m));
        }
        TgtState::Reject(s) => match RejectWith::from_name(v) {
            Some(r) => *s = Some(r),
            None => return param(format!("unknown reject type \"{v}\"")),
        },
        TgtState::Std(_) | TgtState::Chain(_) => {}
    }
    Ok(())
}

fn finish_match(m: MState, proto: u8, proto_inv: bool) -> Result<Match, NfError> {
    let need = |p: u8, n: &str| -> Result<(), NfError> {
        if proto != p || proto_inv {
            return crate::kernel(format!(
                "Invalid argument. Run `dmesg' for more information. ({n} match: only valid for protocol {p})"
            ));
        }
        Ok(())
    };
    Ok(match m {
        MState::Ports {
            udp,
            sport,
            dport,
            flags,
        } => {
            need(if udp { 17 } else { 6 }, if udp { "udp" } else { "tcp" })?;
            let (sport, sinv) = sport.unwrap_or(((0, 65535), false));
            let (dport, dinv) = dport.unwrap_or(((0, 65535), false));
            Match::Ports {
                udp,
                sport,
                sinv,
                dport,
                dinv,
                flags,
            }
        }
        MState::Icmp(s) => {
            need(1, "icmp")?;
            let (typ, code, inv) = match s {
                Some(s) => s,
                None => return param("icmp: option \"--icmp-type\" must be specified"),
            };
            Match::Icmp { typ, code, inv }
        }
        MState::Multi(s) => {
            let udp =
                match (proto, proto_inv) {
                    (6, false) => false,
                    (17, false) => true,
                    _ => return param(
                        "multiport needs `-p tcp', `-p udp', `-p udplite', `-p sctp' or `-p dccp'",
                    ),
                };
            let Some((dir, text, inv)) = s else {
                return param("multiport expection an option");
            };
            Match::Multiport {
                dir,
                ports: multiports(&text, udp)?,
                inv,
            }
        }
        MState::Mark(cm, s) => {
            let n = if cm { "connmark" } else { "mark" };
            let Some((value, mask, inv)) = s else {
                return param(format!("{n}: option \"--mark\" must be specified\n"));
            };
            if cm {
                Match::Connmark { value, mask, inv }
            } else {
                Match::Mark { value, mask, inv }
            }
        }
        MState::Conntrack(s) => {
            let Some((states, inv)) = s else {
                return param("conntrack: At least one option is required");
            };
            Match::Conntrack { states, inv }
        }
        MState::State(s) => {
            let Some((states, inv)) = s else {
                return param("state: option \"--state\" must be specified\n");
            };
            Match::State { states, inv }
        }
    })
}

fn portok(proto: u8, inv: bool) -> bool {
    !inv && matches!(proto, 1 | 6 | 17 | 33 | 132)
}

fn finish_target(t: TgtState, proto: u8, proto_inv: bool) -> Result<Target, NfError> {
    let need_port = || -> Result<(), NfError> {
        if !portok(proto, proto_inv) {
            return param("Need TCP, UDP, SCTP or DCCP with port specification");
        }
        Ok(())
    };
    Ok(match t {
        TgtState::Std(t) => t,
        TgtState::Chain(c) => Target::Jump(c),
        TgtState::Mark(s) => match s {
            Some((value, mask)) => Target::Mark { value, mask },
            None => {
                return param(
                    "MARK: One of the --set-xmark, --{and,or,xor,set}-mark options is required",
                )
            }
        },
        TgtState::Connmark {
            op,
            ctmark,
            ctmask,
            nfmask,
            ctmask_opt,
        } => match op {
            None => return param("CONNMARK target: No operation specified"),
            Some(0) => {
                if nfmask.is_some() || ctmask_opt.is_some() {
                    return param("CONNMARK target: --mask/--nfmask/--ctmask are only valid with --save-mark or --restore-mark");
                }
                Target::Connmark(ConnmarkOp::Set { ctmark, ctmask })
            }
            Some(1) => Target::Connmark(ConnmarkOp::Save {
                nfmask: nfmask.unwrap_or(u32::MAX),
                ctmask: ctmask_opt.unwrap_or(u32::MAX),
            }),
            Some(_) => Target::Connmark(ConnmarkOp::Restore {
                nfmask: nfmask.unwrap_or(u32::MAX),
                ctmask: ctmask_opt.unwrap_or(u32::MAX),
            }),
        },
        TgtState::Nat {
            dnat,
            range,
            random,
            random_fully,
            persistent,
        } => {
            let Some((addrs, ports)) = range else {
                let (n, o) = if dnat {
                    ("DNAT", "to-destination")
                } else {
                    ("SNAT", "to-source")
                };
                return param(format!("{n}: option \"--{o}\" must be specified\n"));
            };
            if ports.is_some() {
                need_port()?;
            }
            let r = NatRange {
                addrs,
                ports,
                random,
                random_fully,
                persistent,
            };
            if dnat {
                Target::Dnat(r)
            } else {
                Target::Snat(r)
            }
        }
        TgtState::Masq {
            ports,
            random,
            random_fully,
        } => {
            if ports.is_some() {
                need_port()?;
            }
            Target::Masquerade {
                ports,
                random,
                random_fully,
            }
        }
        TgtState::Netmap(s) => match s {
            Some((addr, mask)) => Target::Netmap { addr, mask },
            None => return param("NETMAP: option \"--to\" must be specified\n"),
        },
        TgtState::Reject(s) => Target::Reject(s.unwrap_or(RejectWith::PortUnreachable)),
    })
}

/// Command letters, for messages.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum C {
    A,
    I,
    D,
    R,
    Cc,
    N,
    X,
    F,
    P,
    Z,
    E,
    L,
    S,
}

fn cletter(c: C) -> char {
    match c {
        C::A => 'A',
        C::I => 'I',
        C::D => 'D',
        C::R => 'R',
        C::Cc => 'C',
        C::N => 'N',
        C::X => 'X',
        C::F => 'F',
        C::P => 'P',
        C::Z => 'Z',
        C::E => 'E',
        C::L => 'L',
        C::S => 'S',
    }
}

fn long_to_short(o: &str) -> Option<char> {
    Some(match o {
        "append" => 'A',
        "insert" => 'I',
        "delete" => 'D',
        "replace" => 'R',
        "check" => 'C',
        "new-chain" | "new" => 'N',
        "delete-chain" => 'X',
        "flush" => 'F',
        "policy" => 'P',
        "zero" => 'Z',
        "rename-chain" => 'E',
        "list" => 'L',
        "list-rules" => 'S',
        "table" => 't',
        "jump" => 'j',
        "goto" => 'g',
        "protocol" => 'p',
        "source" | "src" => 's',
        "destination" | "dst" => 'd',
        "in-interface" => 'i',
        "out-interface" => 'o',
        "match" => 'm',
        "numeric" => 'n',
        "verbose" => 'v',
        "exact" => 'x',
        "set-counters" => 'c',
        "fragment" => 'f',
        "wait" => 'w',
        "ipv4" => '4',
        "ipv6" => '6',
        "help" => 'h',
        "version" => 'V',
        "wait-interval" => 'W',
        _ => return None,
    })
}

/// Short options that take a required argument.
fn needs_arg(c: char) -> bool {
    matches!(
        c,
        'A' | 'I'
            | 'D'
            | 'R'
            | 'C'
            | 'N'
            | 'P'
            | 'E'
            | 't'
            | 'j'
            | 'g'
            | 'p'
            | 's'
            | 'd'
            | 'i'
            | 'o'
            | 'm'
            | 'c'
            | 'W'
    )
}

struct P<'a> {
    args: &'a [&'a str],
    pos: usize,
}

impl<'a> P<'a> {
    /// The next word if it is not an option (iptables: does not start with `-` or `!`).
    fn optional(&mut self) -> Option<&'a str> {
        let w = *self.args.get(self.pos)?;
        if w.starts_with('-') || w.starts_with('!') {
            return None;
        }
        self.pos += 1;
        Some(w)
    }
}

fn rulenum(s: &str) -> Result<usize, NfError> {
    match strtoui(s, i32::MAX as u64) {
        Some(n) if n > 0 => Ok(n as usize),
        _ => param(format!("Invalid rule number `{s}'")),
    }
}

/// Parse one command line. `rs` resolves `-j NAME` against the chains of the table.
pub(crate) fn parse(args: &[&str], rs: &Ruleset) -> Result<Parsed, NfError> {
    let mut p = P { args, pos: 0 };
    let mut table = TableId::Filter;
    let mut table_set = false;
    let mut cmd: Option<C> = None;
    let mut chain: Option<String> = None;
    let mut arg2: Option<&str> = None; // rule number, policy, new name
    let mut arg3: Option<&str> = None;
    let mut fmt = ListFmt::default();
    let mut inv = false;
    let mut rule = Rule::default();
    let mut seen: Vec<char> = Vec::new();
    let mut mstates: Vec<MState> = Vec::new();
    let mut proto_used = false;
    let mut tgt: Option<TgtState> = None;
    let mut counters: Option<(u64, u64)> = None;

    while p.pos < args.len() {
        let w = args[p.pos];
        p.pos += 1;
        if w == "!" {
            if inv {
                return param("multiple consecutive ! not allowed");
            }
            inv = true;
            continue;
        }
        // Collect (option char or long name, inline value) items from this word.
        let mut items: Vec<(Option<char>, Option<String>, Option<String>)> = Vec::new(); // (short, long, inline value)
        if let Some(long) = w.strip_prefix("--") {
            if long.is_empty() {
                return param(format!("Bad argument `{w}'"));
            }
            let (name, val) = match long.split_once('=') {
                Some((n, v)) => (n, Some(v.to_string())),
                None => (long, None),
            };
            if name == "line-numbers" {
                if inv {
                    return param("cannot have ! before --line-numbers");
                }
                fmt.line_numbers = true;
                if !seen.contains(&'0') {
                    seen.push('0');
                }
                continue;
            }
            match long_to_short(name) {
                Some(c) => items.push((Some(c), None, val)),
                None => items.push((None, Some(name.to_string()), val)),
            }
        } else if let Some(sh) = w.strip_prefix('-') {
            if sh.is_empty() {
                return param(format!("Bad argument `{w}'"));
            }
            let chars: Vec<char> = sh.chars().collect();
            let mut i = 0;
            while i < chars.len() {
                let c = chars[i];
                if needs_arg(c) && i + 1 < chars.len() {
                    let rest: String = chars[i + 1..].iter().collect();
                    items.push((Some(c), None, Some(rest)));
                    break;
                }
                items.push((Some(c), None, None));
                i += 1;
            }
        } else {
            return param(format!("Bad argument `{w}'"));
        }

        for (short, long, inline) in items {
            let this_inv = std::mem::take(&mut inv);
            if let Some(c) = short {
                let req =
                    |p: &mut P, c: char, inline: &Option<String>| -> Result<String, NfError> {
                        if let Some(v) = inline {
                            return Ok(v.clone());
                        }
                        match p.args.get(p.pos) {
                            Some(v) => {
                                p.pos += 1;
                                Ok(v.to_string())
                            }
                            None => param(format!("option \"-{c}\" requires an argument")),
                        }
                    };
                let newcmd = match c {
                    'A' => Some(C::A),
                    'I' => Some(C::I),
                    'D' => Some(C::D),
                    'R' => Some(C::R),
                    'C' => Some(C::Cc),
                    'N' => Some(C::N),
                    'X' => Some(C::X),
                    'F' => Some(C::F),
                    'P' => Some(C::P),
                    'Z' => Some(C::Z),
                    'E' => Some(C::E),
                    'L' => Some(C::L),
                    'S' => Some(C::S),
                    _ => None,
                };
                if let Some(nc) = newcmd {
                    if this_inv {
                        return param("unexpected '!' flag");
                    }
                    if let Some(old) = cmd {
                        if (old == C::L && nc == C::Z) || (old == C::Z && nc == C::L) {
                            return param("ruta: -L together with -Z is not supported; run them one after the other");
                        }
                        return param(format!(
                            "Cannot use -{} with -{}\n",
                            cletter(nc),
                            cletter(old)
                        ));
                    }
                    cmd = Some(nc);
                    match nc {
                        C::A | C::Cc | C::N => chain = Some(req(&mut p, c, &inline)?),
                        C::I | C::D => {
                            chain = Some(req(&mut p, c, &inline)?);
                            arg2 = p.optional();
                        }
                        C::R => {
                            chain = Some(req(&mut p, c, &inline)?);
                            arg2 = p.optional();
                            if arg2.is_none() {
                                return param("-R requires a rule number");
                            }
                        }
                        C::P => {
                            chain = Some(req(&mut p, c, &inline)?);
                            arg2 = p.optional();
                            if arg2.is_none() {
                                return param("-P requires a chain and a policy");
                            }
                        }
                        C::E => {
                            chain = Some(req(&mut p, c, &inline)?);
                            arg2 = p.optional();
                            if arg2.is_none() {
                                return param("-E requires old-chain-name and new-chain-name");
                            }
                        }
                        C::X | C::F => {
                            chain = inline.clone().or_else(|| p.optional().map(String::from));
                        }
                        C::L | C::S | C::Z => {
                            chain = inline.clone().or_else(|| p.optional().map(String::from));
                            if chain.is_some() {
                                arg3 = p.optional();
                            }
                        }
                    }
                    continue;
                }
                // Non-command short options.
                let dup = |seen: &mut Vec<char>, c: char| -> Result<(), NfError> {
                    if seen.contains(&c) {
                        return param(format!("multiple -{c} flags not allowed"));
                    }
                    seen.push(c);
                    Ok(())
                };
                match c {
                    't' => {
                        if this_inv {
                            return param("unexpected ! flag before --table");
                        }
                        if table_set {
                            return param("multiple -t flags not allowed");
                        }
                        let v = req(&mut p, c, &inline)?;
                        table = match TableId::from_name(&v) {
                            Some(t) => t,
                            None => {
                                return param(format!(
                                "can't initialize iptables table `{v}': Table does not exist (do you need to insmod?)\nPerhaps iptables or your kernel needs to be upgraded."
                            ))
                            }
                        };
                        table_set = true;
                    }
                    'n' | 'v' | 'x' => {
                        if this_inv {
                            return param(format!("cannot have ! before -{c}"));
                        }
                        match c {
                            'n' => fmt.numeric = true,
                            'v' => fmt.verbose = true,
                            _ => fmt.exact = true,
                        }
                        if c != 'v' && !seen.contains(&c) {
                            seen.push(c);
                        }
                    }
                    '4' => {}
                    '6' => return param("This is the IPv4 version of iptables."),
                    'h' => return param("ruta: iptables help is not available"),
                    'V' => return param("ruta: iptables -V is not available"),
                    'w' => {
                        // Ignored, as there is no lock; an optional number of seconds.
                        if inline.is_none() {
                            if let Some(n) = args.get(p.pos) {
                                if strtoui(n, u32::MAX as u64).is_some() {
                                    p.pos += 1;
                                }
                            }
                        }
                    }
                    'W' => {
                        req(&mut p, c, &inline)?;
                    }
                    'c' => {
                        if this_inv {
                            return param("cannot have ! before -c");
                        }
                        dup(&mut seen, 'c')?;
                        let a = req(&mut p, c, &inline)?;
                        let Some(b) = p.optional() else {
                            return param("-c requires packet and byte counter");
                        };
                        let Some(pk) = strtoui(&a, u64::MAX) else {
                            return param("-c packet counter not numeric");
                        };
                        let Some(by) = strtoui(b, u64::MAX) else {
                            return param("-c byte counter not numeric");
                        };
                        counters = Some((pk, by));
                    }
                    'f' => {
                        dup(&mut seen, 'f')?;
                        rule.frag = Some(!this_inv);
                    }
                    's' | 'd' => {
                        dup(&mut seen, c)?;
                        let v = req(&mut p, c, &inline)?;
                        let (a, m) = addr_mask(&v)?;
                        let ad = Addr {
                            addr: a,
                            mask: m,
                            inv: this_inv,
                        };
                        if c == 's' {
                            rule.src = ad;
                        } else {
                            rule.dst = ad;
                        }
                    }
                    'i' | 'o' => {
                        dup(&mut seen, c)?;
                        let v = req(&mut p, c, &inline)?;
                        if v.len() >= 16 {
                            return param(format!(
                                "interface name `{v}' must be shorter than IFNAMSIZ (16)"
                            ));
                        }
                        // the kernel's dev_valid_name, and no quotes: an iptables-save line
                        // naming it could not be read back
                        if v.is_empty()
                            || v.chars().any(|c| {
                                c.is_whitespace()
                                    || c.is_control()
                                    || matches!(c, '/' | ':' | '"' | '\'')
                            })
                        {
                            return param(format!("Invalid interface name `{v}'"));
                        }
                        let f = Iface {
                            name: v,
                            inv: this_inv,
                        };
                        if c == 'i' {
                            rule.iif = Some(f);
                        } else {
                            rule.oif = Some(f);
                        }
                    }
                    'p' => {
                        dup(&mut seen, 'p')?;
                        let v = req(&mut p, c, &inline)?;
                        rule.proto = protocol(&v)?;
                        rule.proto_inv = this_inv;
                        if rule.proto == 0 && this_inv {
                            return param("rule would never match protocol");
                        }
                    }
                    'm' => {
                        if this_inv {
                            return param("unexpected ! flag before --match");
                        }
                        let v = req(&mut p, c, &inline)?;
                        match mstate_for(&v) {
                            Some(m) => mstates.push(m),
                            None => {
                                return param(format!(
                                    "Couldn't load match `{v}':No such file or directory\n"
                                ))
                            }
                        }
                    }
                    'j' | 'g' => {
                        if this_inv {
                            return param(format!("cannot have ! before -{c}"));
                        }
                        if seen.contains(&'j') || seen.contains(&'g') {
                            return param(format!("multiple -{c} flags not allowed"));
                        }
                        seen.push(c);
                        let v = req(&mut p, c, &inline)?;
                        rule.goto = c == 'g';
                        tgt = Some(match v.as_str() {
                            "ACCEPT" => TgtState::Std(Target::Accept),
                            "DROP" => TgtState::Std(Target::Drop),
                            "RETURN" => TgtState::Std(Target::Return),
                            "MARK" => TgtState::Mark(None),
                            "CONNMARK" => TgtState::Connmark {
                                op: None,
                                ctmark: 0,
                                ctmask: 0,
                                nfmask: None,
                                ctmask_opt: None,
                            },
                            "SNAT" | "DNAT" => TgtState::Nat {
                                dnat: v == "DNAT",
                                range: None,
                                random: false,
                                random_fully: false,
                                persistent: false,
                            },
                            "MASQUERADE" => TgtState::Masq {
                                ports: None,
                                random: false,
                                random_fully: false,
                            },
                            "NETMAP" => TgtState::Netmap(None),
                            "REJECT" => TgtState::Reject(None),
                            _ => TgtState::Chain(v),
                        });
                        if c == 'g' && !matches!(tgt, Some(TgtState::Chain(_))) {
                            return param("goto '--goto' only allowed to a user-defined chain");
                        }
                    }
                    _ => return param(format!("unknown option \"-{c}\"")),
                }
                continue;
            }
            // A long option of a match or target.
            let Some(o) = long else { continue };
            if let Some(t) = tgt.as_mut() {
                if target_has(t, &o) {
                    let v = if target_flag_only(&o) {
                        if inline.is_some() {
                            return param(format!("option \"--{o}\" doesn't allow an argument"));
                        }
                        String::new()
                    } else {
                        match inline.clone().or_else(|| {
                            args.get(p.pos).map(|s| {
                                p.pos += 1;
                                s.to_string()
                            })
                        }) {
                            Some(v) => v,
                            None => return param(format!("option \"--{o}\" requires an argument")),
                        }
                    };
                    if this_inv {
                        return param(format!("cannot have ! before --{o}"));
                    }
                    apply_target_opt(t, &o, &v)?;
                    continue;
                }
            }
            let mut idx = mstates.iter().rposition(|m| match_has(m, &o));
            if idx.is_none() && !proto_used && !rule.proto_inv {
                let implicit = match rule.proto {
                    6 => mstate_for("tcp"),
                    17 => mstate_for("udp"),
                    1 => mstate_for("icmp"),
                    _ => None,
                };
                if let Some(m) = implicit {
                    if match_has(&m, &o) {
                        proto_used = true;
                        mstates.push(m);
                        idx = Some(mstates.len() - 1);
                    }
                }
            }
            let Some(idx) = idx else {
                return param(format!("unknown option \"--{o}\""));
            };
            let v = if o == "syn" {
                String::new()
            } else if o == "tcp-flags" {
                // two arguments: the flags to examine, and those that must be set
                match (args.get(p.pos), args.get(p.pos + 1)) {
                    (Some(a), Some(b)) => {
                        p.pos += 2;
                        format!("{a} {b}")
                    }
                    _ => return param("--tcp-flags requires two args."),
                }
            } else {
                match inline.clone().or_else(|| {
                    args.get(p.pos).map(|s| {
                        p.pos += 1;
                        s.to_string()
                    })
                }) {
                    Some(v) => v,
                    None => return param(format!("option \"--{o}\" requires an argument")),
                }
            };
            apply_match_opt(&mut mstates[idx], &o, &v, this_inv)?;
        }
    }
    if inv {
        return param("Bad argument `!'");
    }
    let Some(cmd) = cmd else {
        return param("no command specified");
    };
    let rule_cmd = matches!(cmd, C::A | C::I | C::R | C::Cc) || (cmd == C::D && arg2.is_none());
    let rule_opts = ['s', 'd', 'i', 'o', 'p', 'f', 'j', 'g'];
    if !rule_cmd {
        for c in &seen {
            if rule_opts.contains(c) || (*c == 'c' && cmd != C::P) {
                return param(format!("Illegal option `-{c}' with this command\n"));
            }
        }
        if !mstates.is_empty() {
            return param("Illegal option `-m' with this command\n");
        }
    }
    if cmd != C::L {
        for c in ['n', 'x', '0'] {
            if seen.contains(&c) && !(c == 'n' && cmd == C::S) {
                let o = if c == '0' {
                    "--line-numbers".to_string()
                } else {
                    format!("-{c}")
                };
                return param(format!("Illegal option `{o}' with this command\n"));
            }
        }
    }
    let chain_s = chain.clone().unwrap_or_default();
    let t = rs.table(table);
    let mk_rule =
        |mut rule: Rule, mstates: Vec<MState>, tgt: Option<TgtState>| -> Result<Rule, NfError> {
            for m in mstates {
                let m = finish_match(m, rule.proto, rule.proto_inv)?;
                rule.matches.push(m);
            }
            if let Some(tg) = tgt {
                rule.target = finish_target(tg, rule.proto, rule.proto_inv)?;
            }
            if let Target::Jump(n) = &rule.target {
                if t.chain(n).is_none() {
                    return param(format!(
                        "Couldn't load target `{n}':No such file or directory\n"
                    ));
                }
            }
            if let Some(c) = counters {
                rule.base = c;
            }
            Ok(rule)
        };
    let cmd = match cmd {
        C::A => Cmd::Append {
            chain: chain_s,
            rule: mk_rule(rule, mstates, tgt)?,
        },
        C::Cc => Cmd::Check {
            chain: chain_s,
            rule: mk_rule(rule, mstates, tgt)?,
        },
        C::I => {
            let pos = match arg2 {
                Some(n) => rulenum(n)?,
                None => 1,
            };
            Cmd::Insert {
                chain: chain_s,
                pos,
                rule: mk_rule(rule, mstates, tgt)?,
            }
        }
        C::R => {
            let pos = rulenum(arg2.unwrap_or(""))?;
            Cmd::Replace {
                chain: chain_s,
                pos,
                rule: mk_rule(rule, mstates, tgt)?,
            }
        }
        C::D => match arg2 {
            Some(n) => Cmd::DeleteNum {
                chain: chain_s,
                pos: rulenum(n)?,
            },
            None => Cmd::DeleteSpec {
                chain: chain_s,
                rule: mk_rule(rule, mstates, tgt)?,
            },
        },
        C::N => {
            check_chain_name(&chain_s)?;
            Cmd::NewChain(chain_s)
        }
        C::X => Cmd::DeleteChain(chain),
        C::F => Cmd::Flush(chain),
        C::P => {
            let pol = match arg2.unwrap_or("") {
                "ACCEPT" => Policy::Accept,
                "DROP" => Policy::Drop,
                _ => return crate::kernel("Bad policy name. Run `dmesg' for more information."),
            };
            Cmd::Policy {
                chain: chain_s,
                policy: pol,
                counters,
            }
        }
        C::Z => Cmd::Zero {
            chain,
            num: arg3.map(rulenum).transpose()?,
        },
        C::E => {
            let new = arg2.unwrap_or("").to_string();
            check_chain_name(&new)?;
            Cmd::Rename { old: chain_s, new }
        }
        C::L => Cmd::List {
            chain,
            num: arg3.map(rulenum).transpose()?,
            fmt,
        },
        C::S => Cmd::ListRules {
            chain,
            num: arg3.map(rulenum).transpose()?,
            verbose: fmt.verbose,
        },
    };
    if p.pos < args.len() {
        return param(format!("Bad argument `{}'", args[p.pos]));
    }
    Ok(Parsed { table, cmd })
}

/// TCP flag names as libxt_tcp knows them: `FIN,SYN,...`, `ALL`, `NONE`.
fn tcp_flag_list(s: &str) -> Result<u8, NfError> {
    let mut f = 0u8;
    for w in s.split(',') {
        f |= match w.to_ascii_uppercase().as_str() {
            "FIN" => 0x01,
            "SYN" => 0x02,
            "RST" => 0x04,
            "PSH" => 0x08,
            "ACK" => 0x10,
            "URG" => 0x20,
            "ALL" => 0x3f,
            "NONE" => 0,
            _ => return param(format!("Unknown TCP flag `{w}'")),
        };
    }
    Ok(f)
}
