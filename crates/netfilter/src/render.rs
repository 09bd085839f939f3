//! Texts, byte for byte as iptables 1.8.9 prints them: `-L` (with `-n -v -x
//! --line-numbers`, one chain, one rule), `-S` and `iptables-save`. The layout follows
//! iptables' `print_header`, `print_rule_details`, `print_ifaces`, `xtables_print_num`
//! and each extension's `print`/`save` function. Read-only over a [`Ruleset`].

use crate::names::{PROTOCOLS, SERVICES};
use crate::parse::{ListFmt, ICMP_NAMES};
use crate::rule::*;
use crate::{kernel, Chain, Counters, CtState, NfError, Ruleset, TableId};
use std::fmt::Write;
use std::net::Ipv4Addr;

pub use crate::parse::ListFmt as Format;

fn ip(a: u32) -> Ipv4Addr {
    Ipv4Addr::from(a)
}

/// `xtables_ipmask_to_numeric`: "" for /32, "/len" for a prefix, "/a.b.c.d" otherwise.
fn mask_text(m: u32) -> String {
    if m == u32::MAX {
        String::new()
    } else if m.leading_ones() + m.trailing_zeros() == 32 {
        format!("/{}", m.leading_ones())
    } else {
        format!("/{}", ip(m))
    }
}

/// Names iptables uses before /etc/protocols (`xtables_chain_protos`).
pub(crate) fn chain_proto_name(p: u8) -> Option<&'static str> {
    Some(match p {
        6 => "tcp",
        17 => "udp",
        136 => "udplite",
        1 => "icmp",
        58 => "icmpv6",
        50 => "esp",
        51 => "ah",
        132 => "sctp",
        135 => "mh",
        0 => "all",
        _ => return None,
    })
}

fn proto_name(p: u8) -> Option<&'static str> {
    chain_proto_name(p).or_else(|| PROTOCOLS.iter().find(|e| e.0 == p).map(|e| e.1))
}

fn service(port: u16, udp: bool, numeric: bool) -> String {
    if !numeric {
        if let Some(s) = SERVICES.iter().find(|s| s.0 == port && s.1 == udp) {
            return s.2.to_string();
        }
    }
    port.to_string()
}

/// The counters of a slot: starting value plus live count (when the generation matches).
pub(crate) fn counts(rs: &Ruleset, slot: u32, base: (u64, u64), ctr: &Counters) -> (u64, u64) {
    let live = rs
        .slots
        .gen
        .get(slot as usize)
        .map(|g| ctr.get_gen(slot, *g))
        .unwrap_or((0, 0));
    (base.0.wrapping_add(live.0), base.1.wrapping_add(live.1))
}

/// `xtables_print_num`.
fn num(out: &mut String, n: u64, kmg: bool, notable: bool) {
    if !kmg {
        if notable {
            let _ = write!(out, "{n} ");
        } else {
            let _ = write!(out, "{n:>8} ");
        }
        return;
    }
    if n <= 99999 {
        if notable {
            let _ = write!(out, "{n} ");
        } else {
            let _ = write!(out, "{n:>5} ");
        }
        return;
    }
    let mut n = n.saturating_add(500) / 1000;
    for suffix in ['K', 'M', 'G'] {
        if n <= 9999 {
            if notable {
                let _ = write!(out, "{n}{suffix} ");
            } else {
                let _ = write!(out, "{n:>4}{suffix} ");
            }
            return;
        }
        n = n.saturating_add(500) / 1000;
    }
    if notable {
        let _ = write!(out, "{n}T ");
    } else {
        let _ = write!(out, "{n:>4}T ");
    }
}

fn states_text(bits: u16) -> String {
    let names = [
        (CtState::INVALID, "INVALID"),
        (CtState::NEW, "NEW"),
        (CtState::RELATED, "RELATED"),
        (CtState::ESTABLISHED, "ESTABLISHED"),
        (CtState::UNTRACKED, "UNTRACKED"),
        (CtState::SNAT, "SNAT"),
        (CtState::DNAT, "DNAT"),
    ];
    let v: Vec<&str> = names
        .iter()
        .filter(|(b, _)| bits & b.0 != 0)
        .map(|(_, n)| *n)
        .collect();
    v.join(",")
}

fn print_ports(out: &mut String, name: &str, r: (u16, u16), inv: bool, udp: bool, numeric: bool) {
    if r.0 != 0 || r.1 != 0xffff || inv {
        let i = if inv { "!" } else { "" };
        if r.0 == r.1 {
            let _ = write!(out, " {name}:{i}{}", service(r.0, udp, numeric));
        } else {
            let _ = write!(
                out,
                " {name}s:{i}{}:{}",
                service(r.0, udp, numeric),
                service(r.1, udp, numeric)
            );
        }
    }
}

fn multi_list(ports: &[(u16, u16)], udp: bool, numeric: bool) -> String {
    let mut s = String::new();
    for (i, (a, b)) in ports.iter().enumerate() {
        if i > 0 {
            s.push(',');
        }
        s.push_str(&service(*a, udp, numeric));
        if a != b {
            s.push(':');
            s.push_str(&service(*b, udp, numeric));
        }
    }
    s
}

fn mark_text(v: u32, m: u32) -> String {
    if m == u32::MAX {
        format!("0x{v:x}")
    } else {
        format!("0x{v:x}/0x{m:x}")
    }
}

/// A match as `-L` prints it (each extension's `print`).
fn match_print(out: &mut String, m: &Match, proto: u8, numeric: bool) {
    match m {
        Match::Ports {
            udp,
            sport,
            sinv,
            dport,
            dinv,
            flags,
        } => {
            out.push_str(if *udp { " udp" } else { " tcp" });
            print_ports(out, "spt", *sport, *sinv, *udp, numeric);
            print_ports(out, "dpt", *dport, *dinv, *udp, numeric);
            if let Some((mask, cmp, i)) = flags {
                // libxt_tcp print_flags
                if *mask != 0 || *i {
                    let _ = write!(out, " flags:{}", if *i { "!" } else { "" });
                    if numeric {
                        let _ = write!(out, "0x{mask:02X}/0x{cmp:02X}");
                    } else {
                        let _ = write!(out, "{}/{}", tcp_flag_names(*mask), tcp_flag_names(*cmp));
                    }
                }
            }
        }
        Match::Icmp { typ, code, inv } => {
            out.push_str(" icmp");
            if !numeric {
                if let Some(e) = ICMP_NAMES
                    .iter()
                    .find(|e| e.1 == *typ && e.2 == code.0 && e.3 == code.1)
                {
                    let _ = write!(out, " {}{}", if *inv { "!" } else { "" }, e.0);
                    return;
                }
            }
            if *inv {
                out.push_str(" !");
            }
            let _ = write!(out, "type {typ}");
            if code.0 == code.1 {
                let _ = write!(out, " code {}", code.0);
            } else if code.0 != 0 || code.1 != 0xff {
                let _ = write!(out, " codes {}-{}", code.0, code.1);
            }
        }
        Match::Multiport { dir, ports, inv } => {
            out.push_str(" multiport ");
            out.push_str(match dir {
                MultiDir::Src => "sports ",
                MultiDir::Dst => "dports ",
                MultiDir::Any => "ports ",
            });
            if *inv {
                out.push_str(" !");
            }
            out.push_str(&multi_list(ports, proto == 17, numeric));
        }
        Match::Mark { value, mask, inv } => {
            out.push_str(" mark match");
            if *inv {
                out.push_str(" !");
            }
            let _ = write!(out, " {}", mark_text(*value, *mask));
        }
        Match::Connmark { value, mask, inv } => {
            out.push_str(" connmark match ");
            if *inv {
                out.push('!');
            }
            let _ = write!(out, " {}", mark_text(*value, *mask));
        }
        Match::Conntrack { states, inv } => {
            if *inv {
                out.push_str(" !");
            }
            let _ = write!(out, " ctstate {}", states_text(*states));
        }
        Match::State { states, inv } => {
            if *inv {
                out.push_str(" !");
            }
            let _ = write!(out, " state {}", states_text(*states));
        }
    }
}

/// A match as `-S`/save prints it, after ` -m NAME`.
fn match_save(out: &mut String, m: &Match) {
    let inv = |out: &mut String, i: bool| {
        if i {
            out.push_str(" !");
        }
    };
    let range = |r: (u16, u16)| {
        if r.0 == r.1 {
            r.0.to_string()
        } else {
            format!("{}:{}", r.0, r.1)
        }
    };
    match m {
        Match::Ports {
            sport,
            sinv,
            dport,
            dinv,
            flags,
            ..
        } => {
            if *sport != (0, 0xffff) {
                inv(out, *sinv);
                let _ = write!(out, " --sport {}", range(*sport));
            }
            if *dport != (0, 0xffff) {
                inv(out, *dinv);
                let _ = write!(out, " --dport {}", range(*dport));
            }
            if let Some((mask, cmp, i)) = flags {
                // libxt_tcp save
                if *mask != 0 || *i {
                    inv(out, *i);
                    let _ = write!(
                        out,
                        " --tcp-flags {} {}",
                        tcp_flag_names(*mask),
                        tcp_flag_names(*cmp)
                    );
                }
            }
        }
        Match::Icmp { typ, code, inv: i } => {
            inv(out, *i);
            if *typ == 0xff {
                out.push_str(" --icmp-type any");
            } else {
                let _ = write!(out, " --icmp-type {typ}");
                if code.0 != 0 || code.1 != 0xff {
                    let _ = write!(out, "/{}", code.0);
                }
            }
        }
        Match::Multiport { dir, ports, inv: i } => {
            inv(out, *i);
            out.push_str(match dir {
                MultiDir::Src => " --sports ",
                MultiDir::Dst => " --dports ",
                MultiDir::Any => " --ports ",
            });
            out.push_str(&multi_list(ports, false, true));
        }
        Match::Mark {
            value,
            mask,
            inv: i,
        }
        | Match::Connmark {
            value,
            mask,
            inv: i,
        } => {
            inv(out, *i);
            let _ = write!(out, " --mark {}", mark_text(*value, *mask));
        }
        Match::Conntrack { states, inv: i } => {
            inv(out, *i);
            let _ = write!(out, " --ctstate {}", states_text(*states));
        }
        Match::State { states, inv: i } => {
            inv(out, *i);
            let _ = write!(out, " --state {}", states_text(*states));
        }
    }
}

fn nat_range_text(r: &NatRange) -> String {
    let mut s = String::new();
    if let Some((a, b)) = r.addrs {
        let _ = write!(s, "{}", ip(a));
        if a != b {
            let _ = write!(s, "-{}", ip(b));
        }
    }
    if let Some((a, b)) = r.ports {
        let _ = write!(s, ":{a}");
        if a != b {
            let _ = write!(s, "-{b}");
        }
    }
    s
}

fn xmark_print(out: &mut String, what: &str, v: u32, m: u32) {
    let _ = if v == 0 {
        write!(out, " {what} and 0x{:x}", !m)
    } else if v == m {
        write!(out, " {what} or 0x{v:x}")
    } else if m == 0 {
        write!(out, " {what} xor 0x{v:x}")
    } else if m == u32::MAX {
        write!(out, " {what} set 0x{v:x}")
    } else {
        write!(out, " {what} xset 0x{v:x}/0x{m:x}")
    };
}

/// A target as `-L` prints it after the addresses (extension `print`).
pub(crate) fn target_print(out: &mut String, t: &Target) {
    match t {
        Target::Mark { value, mask } => xmark_print(out, "MARK", *value, *mask),
        Target::Connmark(op) => match *op {
            ConnmarkOp::Set { ctmark, ctmask } => xmark_print(out, "CONNMARK", ctmark, ctmask),
            ConnmarkOp::Save { nfmask, ctmask } => {
                let _ = if nfmask == u32::MAX && ctmask == u32::MAX {
                    write!(out, " CONNMARK save")
                } else if nfmask == ctmask {
                    write!(out, " CONNMARK save mask 0x{nfmask:x}")
                } else {
                    write!(
                        out,
                        " CONNMARK save nfmask 0x{nfmask:x} ctmask ~0x{ctmask:x}"
                    )
                };
            }
            ConnmarkOp::Restore { nfmask, ctmask } => {
                let _ = if nfmask == u32::MAX && ctmask == u32::MAX {
                    write!(out, " CONNMARK restore")
                } else if nfmask == ctmask {
                    write!(out, " CONNMARK restore mask 0x{ctmask:x}")
                } else {
                    write!(
                        out,
                        " CONNMARK restore ctmask 0x{ctmask:x} nfmask ~0x{nfmask:x}"
                    )
                };
            }
        },
        Target::Snat(r) | Target::Dnat(r) => {
            let _ = write!(out, " to:{}", nat_range_text(r));
            if r.random {
                out.push_str(" random");
            }
            if r.random_fully {
                out.push_str(" random-fully");
            }
            if r.persistent {
                out.push_str(" persistent");
            }
        }
        Target::Masquerade {
            ports,
            random,
            random_fully,
        } => {
            if let Some((a, b)) = ports {
                let _ = write!(out, " masq ports: {a}");
                if a != b {
                    let _ = write!(out, "-{b}");
                }
            }
            if *random {
                out.push_str(" random");
            }
            if *random_fully {
                out.push_str(" random-fully");
            }
        }
        Target::Netmap { addr, mask } => {
            let _ = write!(out, " to:{}{}", ip(*addr), mask_text_netmap(*mask));
        }
        Target::Reject(w) => {
            let _ = write!(out, " reject-with {}", w.name());
        }
        Target::None | Target::Accept | Target::Drop | Target::Return | Target::Jump(_) => {}
    }
}

/// NETMAP prints its mask always (`/32` too).
fn mask_text_netmap(m: u32) -> String {
    if m.leading_ones() + m.trailing_zeros() == 32 {
        format!("/{}", m.leading_ones())
    } else {
        format!("/{}", ip(m))
    }
}

fn target_save(out: &mut String, t: &Target) {
    match t {
        Target::Mark { value, mask } => {
            let _ = write!(out, " --set-xmark 0x{value:x}/0x{mask:x}");
        }
        Target::Connmark(op) => {
            let _ = match *op {
                ConnmarkOp::Set { ctmark, ctmask } => {
                    write!(out, " --set-xmark 0x{ctmark:x}/0x{ctmask:x}")
                }
                ConnmarkOp::Save { nfmask, ctmask } => write!(
                    out,
                    " --save-mark --nfmask 0x{nfmask:x} --ctmask 0x{ctmask:x}"
                ),
                ConnmarkOp::Restore { nfmask, ctmask } => write!(
                    out,
                    " --restore-mark --nfmask 0x{nfmask:x} --ctmask 0x{ctmask:x}"
                ),
            };
        }
        Target::Snat(r) | Target::Dnat(r) => {
            let o = if matches!(t, Target::Snat(_)) {
                "--to-source"
            } else {
                "--to-destination"
            };
            let _ = write!(out, " {o} {}", nat_range_text(r));
            if r.random {
                out.push_str(" --random");
            }
            if r.random_fully {
                out.push_str(" --random-fully");
            }
            if r.persistent {
                out.push_str(" --persistent");
            }
        }
        Target::Masquerade {
            ports,
            random,
            random_fully,
        } => {
            if let Some((a, b)) = ports {
                let _ = write!(out, " --to-ports {a}");
                if a != b {
                    let _ = write!(out, "-{b}");
                }
            }
            if *random {
                out.push_str(" --random");
            }
            if *random_fully {
                out.push_str(" --random-fully");
            }
        }
        Target::Netmap { addr, mask } => {
            let _ = write!(out, " --to {}{}", ip(*addr), mask_text_netmap(*mask));
        }
        Target::Reject(w) => {
            let _ = write!(out, " --reject-with {}", w.name());
        }
        Target::None | Target::Accept | Target::Drop | Target::Return | Target::Jump(_) => {}
    }
}

/// What a trace prints for a rule's target: "MARK set 0x4", "ACCEPT", "web".
pub(crate) fn target_describe(t: &Target) -> String {
    let mut s = String::new();
    target_print(&mut s, t);
    let s = s.trim_start();
    if s.is_empty() {
        t.name().to_string()
    } else if s.starts_with(t.name()) {
        s.to_string()
    } else {
        format!("{} {s}", t.name())
    }
}

/// The rule in `-S`/save form after `-A CHAIN` (and after `-c p b` when given).
pub(crate) fn rule_spec(out: &mut String, r: &Rule) {
    for (letter, a) in [('s', &r.src), ('d', &r.dst)] {
        if a.mask == 0 && !a.inv {
            continue;
        }
        let _ = write!(
            out,
            "{} -{letter} {}",
            if a.inv { " !" } else { "" },
            ip(a.addr)
        );
        if a.mask.leading_ones() + a.mask.trailing_zeros() == 32 {
            let _ = write!(out, "/{}", a.mask.leading_ones());
        } else {
            let _ = write!(out, "/{}", ip(a.mask));
        }
    }
    for (letter, f) in [('i', &r.iif), ('o', &r.oif)] {
        if let Some(f) = f {
            let _ = write!(
                out,
                "{} -{letter} {}",
                if f.inv { " !" } else { "" },
                f.name
            );
        }
    }
    if r.proto > 0 {
        if r.proto_inv {
            out.push_str(" !");
        }
        match proto_name(r.proto) {
            Some(n) => {
                let _ = write!(out, " -p {n}");
            }
            None => {
                let _ = write!(out, " -p {}", r.proto);
            }
        }
    }
    if let Some(f) = r.frag {
        out.push_str(if f { " -f" } else { " ! -f" });
    }
    for m in &r.matches {
        let _ = write!(out, " -m {}", m.name());
        match_save(out, m);
    }
    if r.target != Target::None {
        let _ = write!(
            out,
            " {} {}",
            if r.goto { "-g" } else { "-j" },
            r.target.name()
        );
        target_save(out, &r.target);
    }
}

fn header(out: &mut String, rs: &Ruleset, t: TableId, c: &Chain, f: ListFmt, ctr: &Counters) {
    let _ = write!(out, "Chain {}", c.name);
    match c.policy {
        Some(p) => {
            let _ = write!(out, " (policy {}", p.name());
            if f.verbose {
                let (pk, by) = counts(rs, c.slot, c.base, ctr);
                out.push(' ');
                num(out, pk, !f.exact, true);
                out.push_str("packets, ");
                num(out, by, !f.exact, true);
                out.push_str("bytes");
            }
            out.push_str(")\n");
        }
        None => {
            let _ = writeln!(out, " ({} references)", rs.table(t).references(&c.name));
        }
    }
    if f.line_numbers {
        let _ = write!(out, "{:<4} ", "num");
    }
    if f.verbose {
        if !f.exact {
            let _ = write!(out, "{:>5} {:>5} ", "pkts", "bytes");
        } else {
            let _ = write!(out, "{:>8} {:>10} ", "pkts", "bytes");
        }
    }
    let _ = write!(out, "{:<9} ", "target");
    out.push_str(" prot ");
    out.push_str("opt");
    if f.verbose {
        let _ = write!(out, " {:<6} {:<6} ", "in", "out");
    }
    let _ = write!(out, " {:<19} ", "source");
    let _ = writeln!(out, " {:<19} ", "destination");
}

fn rule_line(out: &mut String, rs: &Ruleset, r: &Rule, n: usize, f: ListFmt, ctr: &Counters) {
    if f.line_numbers {
        let _ = write!(out, "{n:<4} ");
    }
    if f.verbose {
        let (pk, by) = counts(rs, r.slot, r.base, ctr);
        num(out, pk, !f.exact, false);
        num(out, by, !f.exact, false);
    }
    let _ = write!(out, "{:<9} ", r.target.name());
    out.push(if r.proto_inv { '!' } else { ' ' });
    match (f.numeric, proto_name(r.proto)) {
        (false, Some(n)) => {
            let _ = write!(out, "{n:<4} ");
        }
        _ => {
            let _ = write!(out, "{:<4} ", r.proto);
        }
    }
    // print_fragment
    match r.frag {
        None => out.push_str("--"),
        Some(true) => out.push_str("-f"),
        Some(false) => out.push_str("!f"),
    }
    out.push(' ');
    if f.verbose {
        let any = if f.numeric { "*" } else { "any" };
        let name = |i: &Option<Iface>| match i {
            Some(i) => format!("{}{}", if i.inv { "!" } else { "" }, i.name),
            None => any.to_string(),
        };
        let _ = write!(out, " {:<6} ", name(&r.iif));
        let _ = write!(out, "{:<6} ", name(&r.oif));
    }
    for a in [&r.src, &r.dst] {
        out.push(if a.inv { '!' } else { ' ' });
        let s = if a.mask == 0 && !f.numeric {
            "anywhere".to_string()
        } else {
            format!("{}{}", ip(a.addr), mask_text(a.mask))
        };
        let _ = write!(out, "{s:<19} ");
    }
    if r.goto {
        out.push_str("[goto] ");
    }
    for m in &r.matches {
        match_print(out, m, r.proto, f.numeric);
    }
    target_print(out, &r.target);
    out.push('\n');
}

/// `iptables [-t T] -L [CHAIN [N]]` with the format flags.
pub fn list(
    rs: &Ruleset,
    t: TableId,
    chain: Option<&str>,
    rulenum: Option<usize>,
    f: ListFmt,
    ctr: &Counters,
) -> Result<String, NfError> {
    let tb = rs.table(t);
    let mut out = String::new();
    let chains: Vec<&Chain> = match chain {
        Some(n) => match tb.chain(n) {
            Some(c) => vec![c],
            None => return kernel(crate::NO_CHAIN),
        },
        None => tb.chains.iter().collect(),
    };
    if let Some(n) = rulenum {
        let c = chains[0];
        match c.rules.get(n.wrapping_sub(1)) {
            Some(r) => rule_line(&mut out, rs, r, n, f, ctr),
            None => return kernel("Index of deletion too big."),
        }
        return Ok(out);
    }
    for (i, c) in chains.iter().enumerate() {
        if i > 0 {
            out.push('\n');
        }
        header(&mut out, rs, t, c, f, ctr);
        for (j, r) in c.rules.iter().enumerate() {
            rule_line(&mut out, rs, r, j + 1, f, ctr);
        }
    }
    Ok(out)
}

fn s_rule(out: &mut String, rs: &Ruleset, chain: &str, r: &Rule, verbose: bool, ctr: &Counters) {
    let _ = write!(out, "-A {chain}");
    if verbose {
        let (p, b) = counts(rs, r.slot, r.base, ctr);
        let _ = write!(out, " -c {p} {b}");
    }
    rule_spec(out, r);
    out.push('\n');
}

fn s_head(out: &mut String, rs: &Ruleset, c: &Chain, verbose: bool, ctr: &Counters) {
    match c.policy {
        Some(p) => {
            let _ = write!(out, "-P {} {}", c.name, p.name());
            if verbose {
                let (pk, by) = counts(rs, c.slot, c.base, ctr);
                let _ = write!(out, " -c {pk} {by}");
            }
            out.push('\n');
        }
        None => {
            let _ = writeln!(out, "-N {}", c.name);
        }
    }
}

/// `iptables [-t T] -S [CHAIN [N]]`.
pub fn list_rules(
    rs: &Ruleset,
    t: TableId,
    chain: Option<&str>,
    rulenum: Option<usize>,
    verbose: bool,
    ctr: &Counters,
) -> Result<String, NfError> {
    let tb = rs.table(t);
    let mut out = String::new();
    match chain {
        Some(n) => {
            let Some(c) = tb.chain(n) else {
                return kernel(crate::NO_CHAIN);
            };
            if let Some(k) = rulenum {
                match c.rules.get(k.wrapping_sub(1)) {
                    Some(r) => s_rule(&mut out, rs, &c.name, r, verbose, ctr),
                    None => return kernel("Index of deletion too big."),
                }
                return Ok(out);
            }
            s_head(&mut out, rs, c, verbose, ctr);
            for r in &c.rules {
                s_rule(&mut out, rs, &c.name, r, verbose, ctr);
            }
        }
        None => {
            for c in &tb.chains {
                s_head(&mut out, rs, c, verbose, ctr);
            }
            for c in &tb.chains {
                for r in &c.rules {
                    s_rule(&mut out, rs, &c.name, r, verbose, ctr);
                }
            }
        }
    }
    Ok(out)
}

/// `iptables-save` text (`-c` puts `[p:b]` before each rule).
pub fn save(
    rs: &Ruleset,
    only: Option<TableId>,
    ctr: &Counters,
    with_counters: bool,
    ts: &str,
) -> String {
    let mut out = String::new();
    for t in [TableId::Mangle, TableId::Filter, TableId::Nat] {
        if only.is_some_and(|o| o != t) {
            continue;
        }
        let tb = rs.table(t);
        let _ = writeln!(
            out,
            "# Generated by iptables-save v1.8.9 (nf_tables) on {ts}"
        );
        let _ = writeln!(out, "*{}", t.name());
        for c in &tb.chains {
            let (p, b) = if c.is_builtin() {
                counts(rs, c.slot, c.base, ctr)
            } else {
                (0, 0)
            };
            let pol = c.policy.map(|p| p.name()).unwrap_or("-");
            let _ = writeln!(out, ":{} {pol} [{p}:{b}]", c.name);
        }
        for c in &tb.chains {
            for r in &c.rules {
                if with_counters {
                    let (p, b) = counts(rs, r.slot, r.base, ctr);
                    let _ = write!(out, "[{p}:{b}] ");
                }
                let _ = write!(out, "-A {}", c.name);
                rule_spec(&mut out, r);
                out.push('\n');
            }
        }
        out.push_str("COMMIT\n");
        let _ = writeln!(out, "# Completed on {ts}");
    }
    out
}

/// libxt_tcp's print_tcpf: flag names in FIN SYN RST PSH ACK URG order, or NONE.
fn tcp_flag_names(mut f: u8) -> String {
    const NAMES: [(&str, u8); 6] = [
        ("FIN", 0x01),
        ("SYN", 0x02),
        ("RST", 0x04),
        ("PSH", 0x08),
        ("ACK", 0x10),
        ("URG", 0x20),
    ];
    let mut v = Vec::new();
    for (n, b) in NAMES {
        if f & b != 0 {
            v.push(n);
            f &= !b;
        }
    }
    if v.is_empty() {
        "NONE".into()
    } else {
        v.join(",")
    }
}
