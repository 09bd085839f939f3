//! The `ip` command: iproute2's words for links, addresses, routes and rules.
//!
//! Reads the words as iproute2 6.1 reads them (`ip/iproute.c`, `ip/iprule.c`,
//! `ip/ipaddress.c`, `ip/iplink.c`): verbs and objects may be abbreviated where iproute2
//! allows it, and the defaults it fills in (route type, scope, table, protocol) are the
//! same. Then applies them to a [`Router`] or answers the query.

use crate::get::GetQuery;
use crate::render::{self, RouteFilter};
use crate::state::{default_addr_scope, AddrSpec, LinkKind, NhSpec, RouteSpec, Router};
use ruta_fib::route::{
    parse_u32_any, protocol_from_name, scope_from_name, RouteType, RTPROT_BOOT, RT_SCOPE_HOST,
    RT_SCOPE_LINK, RT_SCOPE_NOWHERE, RT_SCOPE_UNIVERSE,
};
use ruta_fib::table::{DeleteSpec, InsertMode};
use ruta_fib::{
    parse_addr, parse_addr_len, parse_prefix, parse_selector, IfIndex, Prefix4, TableId,
};
use ruta_fib::{RT_TABLE_LOCAL, RT_TABLE_MAIN};
use ruta_policy::{proto, Action, IfSel, Rule};
use std::net::Ipv4Addr;

/// Why a command failed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum CmdError {
    /// The words are wrong (iproute2 would refuse before asking the kernel).
    Usage(String),
    /// The change is refused (where the kernel answers an error).
    Refused(String),
    /// A query answered with an errno: iproute2 prints "RTNETLINK answers: <this>".
    Rtnetlink(&'static str),
    /// A command ruta does not implement (yet).
    Unsupported(String),
    /// Refused after part of the output was printed (as iproute2 prints `[` of a JSON dump
    /// before the kernel's error).
    Partial { out: String, err: String },
}

impl std::fmt::Display for CmdError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            CmdError::Usage(m) | CmdError::Refused(m) | CmdError::Unsupported(m) => f.write_str(m),
            CmdError::Rtnetlink(m) => write!(f, "RTNETLINK answers: {m}"),
            CmdError::Partial { err, .. } => f.write_str(err),
        }
    }
}

/// Global `ip` options.
#[derive(Clone, Debug, Default)]
pub struct IpOpts {
    pub json: bool,
    pub details: bool,
}

type R<T> = Result<T, CmdError>;

fn usage<T>(m: impl Into<String>) -> R<T> {
    Err(CmdError::Usage(m.into()))
}

/// iproute2's `matches`: `word` is a non-empty prefix of `full`.
pub fn matches(word: &str, full: &str) -> bool {
    !word.is_empty() && full.starts_with(word)
}

struct Words<'a> {
    w: &'a [String],
    i: usize,
}

impl<'a> Words<'a> {
    fn new(w: &'a [String]) -> Self {
        Words { w, i: 0 }
    }
    fn next(&mut self) -> Option<&'a str> {
        let r = self.w.get(self.i).map(|s| s.as_str());
        self.i += 1;
        r
    }
    fn peek(&self) -> Option<&'a str> {
        self.w.get(self.i).map(|s| s.as_str())
    }
    /// The argument of keyword `kw`.
    fn arg(&mut self, kw: &str) -> R<&'a str> {
        self.next()
            .ok_or_else(|| CmdError::Usage(format!("\"{kw}\" needs an argument")))
    }
}

fn bad(kw: &str, v: &str, what: &str) -> CmdError {
    CmdError::Usage(format!("invalid {what} \"{v}\" after \"{kw}\""))
}

fn addr_arg(kw: &str, v: &str) -> R<Ipv4Addr> {
    parse_addr(v).ok_or_else(|| bad(kw, v, "IPv4 address"))
}

fn u32_arg(kw: &str, v: &str) -> R<u32> {
    parse_u32_any(v).ok_or_else(|| bad(kw, v, "number"))
}

/// iproute2's `rtnl_dsfield_a2n`: a name from rt_dsfield, or hexadecimal.
pub fn dsfield_arg(kw: &str, v: &str) -> R<u8> {
    for n in 0..=255u8 {
        let name = render::dsfield_name(n);
        if !name.starts_with("0x") && name == v {
            return Ok(n);
        }
    }
    let h = v
        .strip_prefix("0x")
        .or_else(|| v.strip_prefix("0X"))
        .unwrap_or(v);
    if h.is_empty() || h.len() > 2 {
        return Err(bad(kw, v, "TOS value"));
    }
    u8::from_str_radix(h, 16).map_err(|_| bad(kw, v, "TOS value"))
}

fn table_arg(rt: &Router, kw: &str, v: &str) -> R<TableId> {
    rt.names.parse(v).ok_or_else(|| {
        CmdError::Usage(format!(
            "argument \"{v}\" is wrong: invalid table ID (after \"{kw}\")"
        ))
    })
}

fn dev_arg(rt: &Router, v: &str) -> R<IfIndex> {
    rt.index_of(v)
        .ok_or_else(|| CmdError::Usage(format!("Cannot find device \"{v}\"")))
}

fn port_range(kw: &str, v: &str) -> R<(u16, u16)> {
    let (a, b) = v.split_once('-').unwrap_or((v, v));
    let a: u16 = a.parse().map_err(|_| bad(kw, v, "port or range"))?;
    let b: u16 = b.parse().map_err(|_| bad(kw, v, "port or range"))?;
    Ok((a, b))
}

/// Runs one `ip` command (the words after `ip`). Returns what it prints.
pub fn ip(rt: &mut Router, words: &[String], opts: &mut IpOpts) -> R<String> {
    let mut w = Words::new(words);
    // global options
    while let Some(o) = w.peek() {
        if !o.starts_with('-') {
            break;
        }
        w.next();
        let o = o.trim_start_matches('-');
        match o {
            "j" | "json" => opts.json = true,
            "d" | "details" => opts.details = true,
            "4" | "family=inet" => {}
            "s" | "stats" | "statistics" => {}
            _ => return usage(format!("option \"-{o}\" is not supported by ruta")),
        }
    }
    let obj = w
        .next()
        .ok_or_else(|| CmdError::Usage("ip: missing object (route, rule, addr, link)".into()))?;
    let rest = &words[w.i..];
    if matches(obj, "address") {
        addr_cmd(rt, rest, opts)
    } else if matches(obj, "route") {
        route_cmd(rt, rest, opts)
    } else if obj.len() >= 2 && matches(obj, "rule") {
        rule_cmd(rt, rest, opts)
    } else if matches(obj, "link") {
        link_cmd(rt, rest, opts)
    } else if matches(obj, "neighbour") || matches(obj, "neighbor") {
        Err(CmdError::Unsupported(
            "ip neigh is not a config command yet: ruta run learns neighbours by ARP, and `ruta ip neigh show` (without -c) asks the running daemon".into(),
        ))
    } else {
        usage(format!(
            "Object \"{obj}\" is unknown to ruta (it knows route, rule, address, link)"
        ))
    }
}

// ---- ip route ------------------------------------------------------------------------

fn route_cmd(rt: &mut Router, w: &[String], opts: &IpOpts) -> R<String> {
    let Some(verb) = w.first() else {
        return route_show(rt, &[], opts);
    };
    let rest = &w[1..];
    let v = verb.as_str();
    let mode = if matches(v, "add") {
        Some(InsertMode::Add)
    } else if matches(v, "change") || v == "chg" {
        Some(InsertMode::Change)
    } else if matches(v, "replace") {
        Some(InsertMode::Replace)
    } else if matches(v, "prepend") {
        Some(InsertMode::Prepend)
    } else if matches(v, "append") {
        Some(InsertMode::Append)
    } else {
        None
    };
    if let Some(mode) = mode {
        let spec = parse_route_spec(rt, rest, false)?;
        rt.route_insert(&spec.0, mode).map_err(CmdError::Refused)?;
        return Ok(String::new());
    }
    if matches(v, "delete") {
        let (spec, given) = parse_route_spec(rt, rest, true)?;
        let nh = spec.nexthops.first().cloned().unwrap_or_default();
        let d = DeleteSpec {
            prefix: spec.prefix,
            tos: spec.tos,
            rtype: given.rtype.then_some(spec.rtype),
            scope: Some(if given.scope {
                spec.scope
            } else {
                RT_SCOPE_NOWHERE
            }),
            prefsrc: spec.prefsrc,
            protocol: given.protocol.then_some(spec.protocol),
            metric: given.metric.then_some(spec.metric),
            gateway: nh.gateway,
            dev: nh.dev,
        };
        rt.route_delete(spec.table, &d).map_err(CmdError::Refused)?;
        return Ok(String::new());
    }
    if matches(v, "list") || matches(v, "show") || matches(v, "lst") {
        return route_show(rt, rest, opts);
    }
    if matches(v, "get") {
        return route_get(rt, rest, opts);
    }
    if matches(v, "flush") {
        return route_flush(rt, rest);
    }
    usage(format!(
        "Command \"{v}\" is unknown, try \"ip route help\"."
    ))
}

#[derive(Default)]
struct Given {
    rtype: bool,
    scope: bool,
    protocol: bool,
    metric: bool,
}

/// `iproute_modify`'s argument loop.
fn parse_route_spec(rt: &Router, w: &[String], del: bool) -> R<(RouteSpec, Given)> {
    let mut w = Words::new(w);
    let mut g = Given::default();
    let mut dst: Option<Prefix4> = None;
    let mut rtype = RouteType::Unicast;
    let mut table: Option<TableId> = None;
    let mut scope: Option<u8> = None;
    let mut protocol = if del { 0 } else { RTPROT_BOOT };
    let mut metric = 0;
    let mut tos = 0;
    let mut prefsrc = None;
    let mut nh = NhSpec::default();
    let mut nexthops: Vec<NhSpec> = Vec::new();
    let mut multipath = false;
    while let Some(k) = w.next() {
        match k {
            "src" => prefsrc = Some(addr_arg(k, w.arg(k)?)?),
            "via" => {
                let mut a = w.arg(k)?;
                if a == "inet" {
                    a = w.arg(k)?;
                } else if a == "inet6" {
                    return Err(CmdError::Unsupported(
                        "IPv6 gateways are not supported yet".into(),
                    ));
                }
                nh.gateway = Some(addr_arg(k, a)?);
            }
            "from" => {
                return Err(CmdError::Refused(
                    "source-specific routes (\"from\") are IPv6 only; use \"ip rule\" for IPv4"
                        .into(),
                ))
            }
            "tos" | "dsfield" => tos = dsfield_arg(k, w.arg(k)?)?,
            "metric" | "priority" | "preference" => {
                metric = u32_arg(k, w.arg(k)?)?;
                g.metric = true;
            }
            "scope" => {
                let v = w.arg(k)?;
                scope = Some(scope_from_name(v).ok_or_else(|| bad(k, v, "scope"))?);
                g.scope = true;
            }
            "onlink" => nh.onlink = true,
            "protocol" | "proto" => {
                let v = w.arg(k)?;
                protocol = protocol_from_name(v).ok_or_else(|| bad(k, v, "protocol"))?;
                g.protocol = true;
            }
            "table" => table = Some(table_arg(rt, k, w.arg(k)?)?),
            "dev" | "oif" => nh.dev = Some(dev_arg(rt, w.arg(k)?)?),
            "nexthop" => {
                multipath = true;
                // the words up to the next "nexthop" describe one nexthop
                let mut n = NhSpec {
                    weight: 1,
                    ..Default::default()
                };
                while let Some(x) = w.peek() {
                    if x == "nexthop" {
                        break;
                    }
                    w.next();
                    match x {
                        "via" => {
                            let mut a = w.arg(x)?;
                            if a == "inet" {
                                a = w.arg(x)?;
                            }
                            n.gateway = Some(addr_arg(x, a)?);
                        }
                        "dev" => n.dev = Some(dev_arg(rt, w.arg(x)?)?),
                        "weight" => {
                            let v = w.arg(x)?;
                            let wt = u32_arg(x, v)?;
                            if !(1..=256).contains(&wt) {
                                return Err(bad(x, v, "weight (1..256)"));
                            }
                            n.weight = wt as u16;
                        }
                        "onlink" => n.onlink = true,
                        _ => return usage(format!("\"{x}\" is not understood in a nexthop")),
                    }
                }
                nexthops.push(n);
            }
            "mtu" | "advmss" | "hoplimit" | "reordering" | "rtt" | "rttvar" | "window" | "cwnd"
            | "initcwnd" | "initrwnd" | "features" | "quickack" | "congctl" | "rto_min"
            | "ssthresh" | "realms" | "encap" | "nhid" | "vrf" | "expires" | "pref" | "as"
            | "fastopen_no_cookie" | "ttl-propagate" => {
                return Err(CmdError::Unsupported(format!(
                    "route attribute \"{k}\" is not supported"
                )))
            }
            _ => {
                let mut word = k;
                if word == "to" {
                    word = w.arg(k)?;
                }
                if let Some(t) = route_type(word) {
                    rtype = t;
                    g.rtype = true;
                    word = w.arg(word)?;
                }
                if dst.is_some() {
                    return usage(format!(
                        "either \"to\" is duplicate, or \"{word}\" is a garbage."
                    ));
                }
                dst = Some(parse_prefix(word).map_err(|e| CmdError::Usage(e.to_string()))?);
            }
        }
    }
    let prefix = dst.ok_or_else(|| CmdError::Usage("no destination prefix given".into()))?;
    if multipath {
        if nh.gateway.is_some() || nh.dev.is_some() {
            // iproute2 sends the single-path attributes too; the kernel refuses mixes
            // unless they agree. Keep it simple and clear.
            return usage("give either \"via\"/\"dev\" or \"nexthop ...\", not both");
        }
    } else if nh.gateway.is_some() || nh.dev.is_some() || nh.onlink {
        nh.weight = 1;
        nexthops.push(nh);
    }
    // an explicit `table 0` is main (the kernel's fib_new_table), whatever the type;
    // without `table`, iproute2 sends local-ish types to table local
    let table = table
        .map(|t| if t == 0 { RT_TABLE_MAIN } else { t })
        .unwrap_or(
            if matches!(
                rtype,
                RouteType::Local | RouteType::Broadcast | RouteType::Nat | RouteType::Anycast
            ) {
                RT_TABLE_LOCAL
            } else {
                RT_TABLE_MAIN
            },
        );
    let has_gw = nexthops.iter().any(|n| n.gateway.is_some());
    let scope = scope.unwrap_or(match rtype {
        RouteType::Local | RouteType::Nat => RT_SCOPE_HOST,
        RouteType::Broadcast | RouteType::Multicast | RouteType::Anycast => RT_SCOPE_LINK,
        RouteType::Unicast if del => RT_SCOPE_NOWHERE,
        RouteType::Unicast if !has_gw && !multipath => RT_SCOPE_LINK,
        _ => RT_SCOPE_UNIVERSE,
    });
    Ok((
        RouteSpec {
            table,
            prefix,
            rtype,
            tos,
            metric,
            protocol,
            scope,
            prefsrc,
            nexthops,
        },
        g,
    ))
}

/// iproute2's `rtnl_rtntype_a2n` for the words that name a route type.
fn route_type(w: &str) -> Option<RouteType> {
    match w {
        "brd" => Some(RouteType::Broadcast),
        _ => RouteType::from_name(w),
    }
}

fn route_filter(rt: &Router, w: &[String]) -> R<RouteFilter> {
    let mut f = RouteFilter {
        table: Some(RT_TABLE_MAIN),
        ..Default::default()
    };
    let mut w = Words::new(w);
    while let Some(k) = w.next() {
        match k {
            "table" => {
                let v = w.arg(k)?;
                f.table = if v == "all" || v == "0" {
                    None
                } else if v == "cache" {
                    Some(u32::MAX - 1) // no route cache: shows nothing
                } else {
                    Some(table_arg(rt, k, v)?)
                };
            }
            "dev" | "oif" => f.dev = Some(dev_arg(rt, w.arg(k)?)?),
            "proto" | "protocol" => {
                let v = w.arg(k)?;
                f.protocol = Some(protocol_from_name(v).ok_or_else(|| bad(k, v, "protocol"))?);
            }
            "scope" => {
                let v = w.arg(k)?;
                f.scope = Some(scope_from_name(v).ok_or_else(|| bad(k, v, "scope"))?);
            }
            "type" => {
                let v = w.arg(k)?;
                f.rtype = Some(route_type(v).ok_or_else(|| bad(k, v, "route type"))?);
            }
            _ => {
                return Err(CmdError::Unsupported(format!(
                    "\"ip route show {k}\": ruta filters by table, dev, proto, scope and type"
                )))
            }
        }
    }
    Ok(f)
}

fn route_show(rt: &Router, w: &[String], opts: &IpOpts) -> R<String> {
    let f = route_filter(rt, w)?;
    if let Some(t) = f.table {
        if rt.tables.get(t).is_none() && t != u32::MAX - 1 {
            // iproute2 has opened its JSON array before the kernel answers
            return Err(CmdError::Partial {
                out: if opts.json { "[".into() } else { String::new() },
                err: "ipv4: FIB table does not exist.".into(),
            });
        }
    }
    Ok(render::route_show(rt, &f, opts.json))
}

fn route_flush(rt: &mut Router, w: &[String]) -> R<String> {
    if w.is_empty() {
        return usage("\"ip route flush\" requires arguments.");
    }
    if w.len() == 1 && w[0] == "cache" {
        // ruta has no route cache: every packet is looked up in the tables.
        return Ok(String::new());
    }
    let f = route_filter(rt, w)?;
    // The kernel answers "FIB table does not exist" for a table that never had a route;
    // ruta flushes nothing and succeeds, so that a config can start with the seed's
    // `ip route flush table 4` (docs/SEMANTICS.md).
    let sel = RouteFilter {
        table: None,
        ..f.clone()
    };
    rt.route_flush(f.table, |r| !sel.accepts(0, r));
    Ok(String::new())
}

fn route_get(rt: &Router, w: &[String], opts: &IpOpts) -> R<String> {
    let mut q = GetQuery::default();
    let mut dst = None;
    let mut w = Words::new(w);
    while let Some(k) = w.next() {
        match k {
            "tos" | "dsfield" => q.tos = dsfield_arg(k, w.arg(k)?)?,
            "from" => {
                let v = w.arg(k)?;
                q.src = Some(
                    parse_addr_len(v)
                        .map_err(|e| CmdError::Usage(e.to_string()))?
                        .0,
                );
            }
            "iif" => q.iif = Some(dev_arg(rt, w.arg(k)?)?),
            "oif" | "dev" => q.oif = Some(dev_arg(rt, w.arg(k)?)?),
            "mark" => q.mark = u32_arg(k, w.arg(k)?)?,
            "fibmatch" => q.fibmatch = true,
            "ipproto" => {
                let v = w.arg(k)?;
                q.proto = proto::parse(v).ok_or_else(|| bad(k, v, "protocol"))?;
            }
            "sport" => {
                let v = w.arg(k)?;
                q.sport = v.parse().map_err(|_| bad(k, v, "port"))?;
            }
            "dport" => {
                let v = w.arg(k)?;
                q.dport = v.parse().map_err(|_| bad(k, v, "port"))?;
            }
            "uid" => {
                w.arg(k)?;
            }
            "connected" | "vrf" | "as" => {
                return Err(CmdError::Unsupported(format!(
                    "\"route get {k}\" is not supported"
                )))
            }
            _ => {
                let v = if k == "to" { w.arg(k)? } else { k };
                if dst.is_some() {
                    return usage(format!(
                        "either \"to\" is duplicate, or \"{v}\" is a garbage."
                    ));
                }
                let a = parse_addr_len(v).map_err(|_| {
                    CmdError::Usage(format!("any valid prefix is expected rather than \"{v}\"."))
                })?;
                dst = Some(a.0);
            }
        }
    }
    q.dst = dst.ok_or_else(|| CmdError::Usage("need at least a destination address".into()))?;
    let a = rt.route_get(&q).map_err(|e| match e {
        crate::get::GetError::UnsupportedProto => CmdError::Refused("Unsupported ip proto.".into()),
        e => CmdError::Rtnetlink(e.strerror()),
    })?;
    Ok(render::route_get(rt, &a, opts.json))
}

// ---- ip rule -------------------------------------------------------------------------

fn rule_cmd(rt: &mut Router, w: &[String], opts: &IpOpts) -> R<String> {
    let Some(verb) = w.first() else {
        return Ok(render::rule_show(rt, opts.json));
    };
    let v = verb.as_str();
    let rest = &w[1..];
    if (matches(v, "add") || matches(v, "delete")) && rest.is_empty() {
        let verb = if matches(v, "add") { "add" } else { "delete" };
        return usage(format!("\"ip rule {verb}\" requires arguments."));
    }
    if matches(v, "add") {
        let (r, has_pref, _) = parse_rule(rt, rest, false)?;
        rt.rule_add(r, has_pref).map_err(CmdError::Refused)?;
        Ok(String::new())
    } else if matches(v, "delete") {
        let (r, has_pref, action_given) = parse_rule(rt, rest, true)?;
        // the kernel validates a goto of a del as of an add (fib_nl2rule)
        if let Action::Goto(t) = r.action {
            let pref = if has_pref {
                r.pref
            } else {
                rt.rules.default_pref()
            };
            if t <= pref {
                return Err(CmdError::Refused(
                    "goto must jump to a higher priority (backward goto is not supported)".into(),
                ));
            }
        }
        rt.rule_del(&r, has_pref, action_given)
            .map_err(CmdError::Refused)?;
        Ok(String::new())
    } else if matches(v, "list") || matches(v, "show") || matches(v, "lst") {
        if !rest.is_empty() {
            return Err(CmdError::Unsupported(
                "\"ip rule show\" takes no selectors in ruta".into(),
            ));
        }
        Ok(render::rule_show(rt, opts.json))
    } else if matches(v, "flush") {
        // as the kernel: every rule but priority 0 goes; the defaults are not restored
        let keep: Vec<Rule> = rt
            .rules
            .rules()
            .iter()
            .filter(|r| r.pref == 0)
            .cloned()
            .collect();
        let all: Vec<Rule> = rt.rules.rules().to_vec();
        for r in all {
            if r.pref != 0 {
                let _ = rt.rules.delete(&r, true, true);
            }
        }
        let _ = keep;
        Ok(String::new())
    } else {
        usage(format!("Command \"{v}\" is unknown, try \"ip rule help\"."))
    }
}

/// `iprule_modify`'s argument loop. Returns the rule, whether `pref` was given, and
/// whether an action was given (for `del`).
fn parse_rule(rt: &Router, w: &[String], del: bool) -> R<(Rule, bool, bool)> {
    let mut r = Rule::new(Action::Lookup(0));
    let mut has_pref = false;
    let mut action_given = false;
    let mut table: Option<TableId> = None;
    let mut w = Words::new(w);
    while let Some(k) = w.next() {
        match k {
            "not" => r.invert = true,
            "from" => {
                let v = w.arg(k)?;
                r.src = Some(parse_selector(v).map_err(|e| CmdError::Usage(e.to_string()))?);
            }
            "to" => {
                let v = w.arg(k)?;
                r.dst = Some(parse_selector(v).map_err(|e| CmdError::Usage(e.to_string()))?);
            }
            "preference" | "order" | "priority" | "pref" | "prio" => {
                r.pref = u32_arg(k, w.arg(k)?)?;
                has_pref = true;
            }
            "tos" | "dsfield" => r.tos = dsfield_arg(k, w.arg(k)?)?,
            "fwmark" => {
                let v = w.arg(k)?;
                let (m, mask) = match v.split_once('/') {
                    Some((m, mask)) => (u32_arg(k, m)?, Some(u32_arg(k, mask)?)),
                    None => (u32_arg(k, v)?, None),
                };
                r.fwmark = m;
                r.fwmask = mask.unwrap_or(if m != 0 { u32::MAX } else { 0 });
            }
            "table" | "lookup" => {
                table = Some(table_arg(rt, k, w.arg(k)?)?);
            }
            "suppress_prefixlength" => {
                let v = w.arg(k)?;
                let n: i64 = v.parse().map_err(|_| bad(k, v, "prefix length"))?;
                if n >= 0 {
                    r.suppress_prefixlen = Some(n.min(255) as u8);
                }
            }
            "suppress_ifgroup" => r.suppress_ifgroup = Some(u32_arg(k, w.arg(k)?)?),
            "dev" | "iif" => {
                r.iif = Some(IfSel {
                    name: w.arg(k)?.to_string(),
                    index: None,
                })
            }
            "oif" => {
                r.oif = Some(IfSel {
                    name: w.arg(k)?.to_string(),
                    index: None,
                })
            }
            "nat" | "map-to" => r.nat = Some(addr_arg(k, w.arg(k)?)?),
            "goto" => {
                r.action = Action::Goto(u32_arg(k, w.arg(k)?)?);
                action_given = true;
            }
            "nop" => {
                r.action = Action::Nop;
                action_given = true;
            }
            "ipproto" => {
                let v = w.arg(k)?;
                r.ipproto = proto::parse(v).ok_or_else(|| bad(k, v, "protocol"))?;
            }
            "sport" => r.sport = Some(port_range(k, w.arg(k)?)?),
            "dport" => r.dport = Some(port_range(k, w.arg(k)?)?),
            "blackhole" | "unreachable" | "prohibit" => {
                r.action = match k {
                    "blackhole" => Action::Blackhole,
                    "unreachable" => Action::Unreachable,
                    _ => Action::Prohibit,
                };
                action_given = true;
            }
            "type" => {
                let v = w.arg(k)?;
                r.action = match v {
                    "blackhole" => Action::Blackhole,
                    "unreachable" => Action::Unreachable,
                    "prohibit" => Action::Prohibit,
                    "unicast" => Action::Lookup(0),
                    _ => return Err(bad(k, v, "rule type")),
                };
                action_given = true;
            }
            "realms" | "uidrange" | "tun_id" | "l3mdev" | "protocol" | "proto" => {
                return Err(CmdError::Unsupported(format!(
                    "rule selector \"{k}\" is not supported"
                )))
            }
            _ => return usage(format!("rule: \"{k}\" is not understood")),
        }
    }
    for (kw, p) in [("sport", r.sport), ("dport", r.dport)] {
        if let Some((a, b)) = p {
            if a == 0 || b == 0 || b == 0xffff || a > b {
                return Err(CmdError::Refused(format!("invalid {kw} range")));
            }
        }
    }
    if let Some(t) = table {
        if matches!(r.action, Action::Lookup(_)) {
            r.action = Action::Lookup(t);
        }
    } else if !del && r.action == Action::Lookup(0) {
        r.action = Action::Lookup(RT_TABLE_MAIN);
    }
    if del {
        if let Some(t) = table {
            if t != 0 {
                // a table given for del selects on it
                r.action = if action_given {
                    r.action
                } else {
                    Action::Lookup(t)
                };
            }
        }
    }
    Ok((r, has_pref, action_given))
}

// ---- ip addr -------------------------------------------------------------------------

fn addr_cmd(rt: &mut Router, w: &[String], opts: &IpOpts) -> R<String> {
    let Some(verb) = w.first() else {
        return Err(CmdError::Unsupported(
            "\"ip addr show\" is not supported yet; use \"ip route show table local\"".into(),
        ));
    };
    let v = verb.as_str();
    let rest = &w[1..];
    let _ = opts;
    if matches(v, "add") || matches(v, "replace") || matches(v, "change") {
        let mut s = parse_addr_spec(rt, rest)?;
        if matches(v, "add") {
            let dev = s.dev.ok_or_else(|| {
                CmdError::Usage("Not enough information: \"dev\" argument is required.".into())
            })?;
            s.spec.dev = dev;
            rt.addr_add(s.spec).map_err(CmdError::Refused)?;
        } else {
            let dev = s.dev.ok_or_else(|| {
                CmdError::Usage("Not enough information: \"dev\" argument is required.".into())
            })?;
            s.spec.dev = dev;
            let _ = rt.addr_del(s.spec.local, Some(s.spec.plen), dev);
            rt.addr_add(s.spec).map_err(CmdError::Refused)?;
        }
        Ok(String::new())
    } else if matches(v, "delete") {
        let s = parse_addr_spec(rt, rest)?;
        let dev = s.dev.ok_or_else(|| {
            CmdError::Usage("Not enough information: \"dev\" argument is required.".into())
        })?;
        rt.addr_del(s.spec.local, s.plen_given.then_some(s.spec.plen), dev)
            .map_err(CmdError::Refused)?;
        Ok(String::new())
    } else if matches(v, "flush") {
        let mut ww = Words::new(rest);
        let mut dev = None;
        while let Some(k) = ww.next() {
            let name = if k == "dev" { ww.arg(k)? } else { k };
            dev = Some(dev_arg(rt, name)?);
        }
        let dev = dev.ok_or_else(|| CmdError::Usage("Flush requires arguments.".into()))?;
        rt.addr_flush(dev);
        Ok(String::new())
    } else if matches(v, "show") || matches(v, "list") || matches(v, "lst") {
        Err(CmdError::Unsupported(
            "\"ip addr show\" is not supported yet; use \"ip route show table local\"".into(),
        ))
    } else {
        usage(format!(
            "Command \"{v}\" is unknown, try \"ip address help\"."
        ))
    }
}

struct ParsedAddr {
    spec: AddrSpec,
    dev: Option<IfIndex>,
    plen_given: bool,
}

fn parse_addr_spec(rt: &Router, w: &[String]) -> R<ParsedAddr> {
    let mut w = Words::new(w);
    let mut local: Option<(Ipv4Addr, u8, bool)> = None;
    let mut dev = None;
    let mut brd: Option<String> = None;
    let mut scope = None;
    let mut label = None;
    let mut metric = 0;
    let mut noprefixroute = false;
    while let Some(k) = w.next() {
        match k {
            "dev" => dev = Some(dev_arg(rt, w.arg(k)?)?),
            "broadcast" | "brd" => brd = Some(w.arg(k)?.to_string()),
            "scope" => {
                let v = w.arg(k)?;
                scope = Some(scope_from_name(v).ok_or_else(|| bad(k, v, "scope"))?);
            }
            "label" => label = Some(w.arg(k)?.to_string()),
            "metric" | "priority" | "preference" => metric = u32_arg(k, w.arg(k)?)?,
            "noprefixroute" => noprefixroute = true,
            "valid_lft" | "preferred_lft" => {
                let v = w.arg(k)?;
                if v != "forever" {
                    return Err(CmdError::Unsupported(
                        "address lifetimes are not supported".into(),
                    ));
                }
            }
            "peer" | "remote" | "anycast" | "home" | "nodad" | "mngtmpaddr" | "autojoin" => {
                return Err(CmdError::Unsupported(format!(
                    "address attribute \"{k}\" is not supported"
                )))
            }
            _ => {
                let v = if k == "local" { w.arg(k)? } else { k };
                if local.is_some() {
                    return usage(format!(
                        "either \"local\" is duplicate, or \"{v}\" is a garbage."
                    ));
                }
                let (a, l) = parse_addr_len(v).map_err(|e| CmdError::Usage(e.to_string()))?;
                local = Some((a, l, v.contains('/')));
            }
        }
    }
    let (a, plen, plen_given) = local.ok_or_else(|| CmdError::Usage("no address given".into()))?;
    let pfx = Prefix4::new_truncate(u32::from(a), plen);
    let broadcast = match brd.as_deref() {
        None => None,
        Some("+") => (plen < 31).then(|| Ipv4Addr::from(pfx.last())),
        Some("-") => (plen < 31).then(|| pfx.addr()),
        Some(b) => Some(addr_arg("broadcast", b)?),
    };
    Ok(ParsedAddr {
        spec: AddrSpec {
            local: a,
            plen,
            dev: 0,
            broadcast,
            scope: scope.unwrap_or_else(|| default_addr_scope(a)),
            noprefixroute,
            metric,
            label,
        },
        dev,
        plen_given,
    })
}

// ---- ip link -------------------------------------------------------------------------

fn link_cmd(rt: &mut Router, w: &[String], _opts: &IpOpts) -> R<String> {
    let Some(verb) = w.first() else {
        return Err(CmdError::Unsupported(
            "\"ip link show\" is not supported yet".into(),
        ));
    };
    let v = verb.as_str();
    let mut ww = Words::new(&w[1..]);
    if matches(v, "add") {
        let mut name = None;
        let mut kind = None;
        let mut up = false;
        while let Some(k) = ww.next() {
            match k {
                "name" | "dev" => name = Some(ww.arg(k)?.to_string()),
                "type" => kind = Some(ww.arg(k)?.to_string()),
                "up" => up = true,
                "mtu" | "address" | "txqueuelen" | "link" => {
                    return Err(CmdError::Unsupported(format!(
                        "\"ip link add ... {k}\": set it with \"ip link set\" after adding"
                    )))
                }
                _ => {
                    if name.is_some() {
                        return usage(format!(
                            "either \"dev\" is duplicate, or \"{k}\" is a garbage."
                        ));
                    }
                    name = Some(k.to_string());
                }
            }
        }
        let name = name.ok_or_else(|| CmdError::Usage("\"ip link add\" needs a name".into()))?;
        match kind.as_deref() {
            Some("dummy") => {}
            Some(t) => {
                return Err(CmdError::Unsupported(format!(
                    "link type \"{t}\": ruta declares test links with \"type dummy\" and real interfaces with \"port NAME af_packet|tun\""
                )))
            }
            None => return usage("\"ip link add\" needs \"type dummy\""),
        }
        rt.link_add(&name, LinkKind::Dummy, up)
            .map_err(CmdError::Refused)?;
        Ok(String::new())
    } else if matches(v, "delete") {
        let mut name = ww.arg("delete")?;
        if name == "dev" {
            name = ww.arg("dev")?;
        }
        let i = dev_arg(rt, name)?;
        rt.link_del(i).map_err(CmdError::Refused)?;
        Ok(String::new())
    } else if matches(v, "set") || matches(v, "change") {
        let mut name = ww.arg("set")?;
        if name == "dev" {
            name = ww.arg("dev")?;
        }
        let i = dev_arg(rt, name)?;
        // check all words first: a command applies whole or not at all
        let mut ops: Vec<(&str, Option<&str>)> = Vec::new();
        while let Some(k) = ww.next() {
            match k {
                "up" | "down" => ops.push((k, None)),
                "mtu" | "address" => ops.push((k, Some(ww.arg(k)?))),
                "promisc" | "arp" | "multicast" | "allmulticast" => {
                    let v = ww.arg(k)?;
                    if v != "on" && v != "off" {
                        return Err(bad(k, v, "on/off"));
                    }
                }
                _ => {
                    return Err(CmdError::Unsupported(format!(
                        "\"ip link set ... {k}\" is not supported"
                    )))
                }
            }
        }
        // validate every value first: a command applies whole or not at all
        let mut plan: Vec<(&str, u32, [u8; 6])> = Vec::new();
        for (k, v) in ops {
            let v = v.unwrap_or("");
            match k {
                "down" if i == crate::state::LOOPBACK => {
                    return Err(CmdError::Refused("ruta keeps lo up".into()))
                }
                "mtu" => {
                    let m = u32_arg(k, v)?;
                    if !(68..=65535).contains(&m) {
                        return Err(CmdError::Refused(format!("mtu {m} out of range 68..65535")));
                    }
                    plan.push((k, m, [0; 6]));
                }
                "address" => {
                    let mac = parse_mac(v).ok_or_else(|| bad(k, v, "MAC address"))?;
                    if mac[0] & 1 == 1 {
                        return Err(CmdError::Refused(
                            "a multicast address cannot be a link address".into(),
                        ));
                    }
                    plan.push((k, 0, mac));
                }
                _ => plan.push((k, 0, [0; 6])),
            }
        }
        for (k, m, mac) in plan {
            match k {
                "up" => rt.link_set_up(i, true),
                "down" => rt.link_set_up(i, false),
                "mtu" => rt.link_set_mtu(i, m),
                _ => rt.link_set_mac(i, mac),
            }
            .map_err(CmdError::Refused)?;
        }
        Ok(String::new())
    } else if matches(v, "show") || matches(v, "list") || matches(v, "lst") {
        Err(CmdError::Unsupported(
            "\"ip link show\" is not supported yet".into(),
        ))
    } else {
        usage(format!("Command \"{v}\" is unknown, try \"ip link help\"."))
    }
}

/// `aa:bb:cc:dd:ee:ff`.
pub fn parse_mac(s: &str) -> Option<[u8; 6]> {
    let mut out = [0u8; 6];
    let mut n = 0;
    for p in s.split(':') {
        if n == 6 || p.is_empty() || p.len() > 2 {
            return None;
        }
        out[n] = u8::from_str_radix(p, 16).ok()?;
        n += 1;
    }
    (n == 6).then_some(out)
}
