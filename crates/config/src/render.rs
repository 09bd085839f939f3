//! Output in iproute2's formats, text and `-j` JSON, byte for byte.
//!
//! Field order, spacing (iproute2 ends every text field with a space) and JSON keys follow
//! `ip/iproute.c` (`print_route`) and `ip/iprule.c` (`print_rule`) of iproute2 6.1, checked
//! against the kernel by the oracle testbed.

use crate::get::{CachedRoute, GetAnswer, CACHE_FLAGS};
use crate::state::Router;
use ruta_fib::route::{
    protocol_name, scope_name, Route, RouteType, RTPROT_BOOT, RT_SCOPE_UNIVERSE,
};
use ruta_fib::{Prefix4, TableId, RT_TABLE_MAIN};
use ruta_policy::{proto, Action, Rule};
use serde_json::{json, Map, Value};
use std::fmt::Write;

/// C's `%#x`: `0` for zero, `0x..` otherwise.
pub fn c_hex(v: u32) -> String {
    if v == 0 {
        "0".into()
    } else {
        format!("{v:#x}")
    }
}

/// iproute2's `rtnl_dsfield_n2a`.
pub fn dsfield_name(v: u8) -> String {
    match v {
        0 => "default".into(),
        0x28 => "AF11".into(),
        0x30 => "AF12".into(),
        0x38 => "AF13".into(),
        0x48 => "AF21".into(),
        0x50 => "AF22".into(),
        0x58 => "AF23".into(),
        0x68 => "AF31".into(),
        0x70 => "AF32".into(),
        0x78 => "AF33".into(),
        0x88 => "AF41".into(),
        0x90 => "AF42".into(),
        0x98 => "AF43".into(),
        0x20 => "CS1".into(),
        0x40 => "CS2".into(),
        0x60 => "CS3".into(),
        0x80 => "CS4".into(),
        0xa0 => "CS5".into(),
        0xc0 => "CS6".into(),
        0xe0 => "CS7".into(),
        0xb8 => "EF".into(),
        v => format!("0x{v:02x}"),
    }
}

/// What `ip route show` filters on; a filtered field is not printed (as iproute2).
#[derive(Clone, Debug, Default)]
pub struct RouteFilter {
    /// None: all tables.
    pub table: Option<TableId>,
    pub dev: Option<u32>,
    pub protocol: Option<u8>,
    pub scope: Option<u8>,
    pub rtype: Option<RouteType>,
}

impl RouteFilter {
    pub fn accepts(&self, table: TableId, r: &Route) -> bool {
        self.table.is_none_or(|t| t == table)
            && self.dev.is_none_or(|d| r.uses_dev(d))
            && self.protocol.is_none_or(|p| p == r.protocol)
            && self.scope.is_none_or(|s| s == r.scope)
            && self.rtype.is_none_or(|t| t == r.rtype)
    }
}

/// A nexthop's flags as `print_rt_flags` names them, in its order.
fn nh_flags(nh: &ruta_fib::Nexthop) -> Vec<&'static str> {
    let mut f = Vec::new();
    if nh.dead {
        f.push("dead");
    }
    if nh.onlink {
        f.push("onlink");
    }
    f
}

/// One FIB entry as `ip route show table all` prints it, on one line (for traces).
pub fn route_text(rt: &Router, r: &Route, table: TableId) -> String {
    let f = RouteFilter::default();
    let (s, _) = route_entry(rt, r, table, true, &f);
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// One rule as `ip rule show` prints it, without the priority (for traces).
pub fn rule_text(rt: &Router, r: &Rule) -> String {
    let (s, _) = rule_entry(rt, r);
    let s = s.split_once(':').map_or(s.as_str(), |(_, b)| b);
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// One FIB entry: text line(s) and JSON object.
fn route_entry(
    rt: &Router,
    r: &Route,
    table: TableId,
    show_table: bool,
    f: &RouteFilter,
) -> (String, Value) {
    let mut s = String::new();
    let mut j = Map::new();
    if r.rtype != RouteType::Unicast {
        let _ = write!(s, "{} ", r.rtype.name());
        j.insert("type".into(), json!(r.rtype.name()));
    }
    let _ = write!(s, "{} ", r.prefix);
    j.insert("dst".into(), json!(r.prefix.to_string()));
    if r.tos != 0 {
        let _ = write!(s, "tos {} ", dsfield_name(r.tos));
        j.insert("tos".into(), json!(dsfield_name(r.tos)));
    }
    let single = r.nexthops.len() == 1;
    if single {
        let nh = &r.nexthops[0];
        if let Some(g) = nh.gateway {
            let _ = write!(s, "via {g} ");
            j.insert("gateway".into(), json!(g.to_string()));
        }
        if let Some(d) = nh.dev {
            if f.dev.is_none() {
                let _ = write!(s, "dev {} ", rt.link_name(d));
                j.insert("dev".into(), json!(rt.link_name(d)));
            }
        }
    }
    if show_table && table != RT_TABLE_MAIN {
        let n = rt.names.name(table);
        let _ = write!(s, "table {n} ");
        j.insert("table".into(), json!(n));
    }
    if r.protocol != RTPROT_BOOT && f.protocol.is_none() {
        let p = protocol_name(r.protocol);
        let _ = write!(s, "proto {p} ");
        j.insert("protocol".into(), json!(p));
    }
    if r.scope != RT_SCOPE_UNIVERSE && f.scope.is_none() {
        let sc = scope_name(r.scope);
        let _ = write!(s, "scope {sc} ");
        j.insert("scope".into(), json!(sc));
    }
    if let Some(p) = r.prefsrc {
        let _ = write!(s, "src {p} ");
        j.insert("prefsrc".into(), json!(p.to_string()));
    }
    if r.metric != 0 {
        let _ = write!(s, "metric {} ", r.metric);
        j.insert("metric".into(), json!(r.metric));
    }
    let flags = if single {
        nh_flags(&r.nexthops[0])
    } else {
        Vec::new()
    };
    for fl in &flags {
        let _ = write!(s, "{fl} ");
    }
    j.insert("flags".into(), json!(flags));
    if r.nexthops.len() > 1 {
        let mut arr = Vec::new();
        for nh in &r.nexthops {
            let mut m = Map::new();
            s.push_str("\n\tnexthop ");
            if let Some(g) = nh.gateway {
                let _ = write!(s, "via {g} ");
                m.insert("gateway".into(), json!(g.to_string()));
            }
            if let Some(d) = nh.dev {
                let _ = write!(s, "dev {} ", rt.link_name(d));
                m.insert("dev".into(), json!(rt.link_name(d)));
            }
            let _ = write!(s, "weight {} ", nh.weight);
            m.insert("weight".into(), json!(nh.weight));
            let nf = nh_flags(nh);
            for fl in &nf {
                let _ = write!(s, "{fl} ");
            }
            m.insert("flags".into(), json!(nf));
            arr.push(Value::Object(m));
        }
        j.insert("nexthops".into(), Value::Array(arr));
    }
    s.push('\n');
    (s, Value::Object(j))
}

/// `ip route show [table T|all] [dev D] [proto P] [scope S] [type T]`.
pub fn route_show(rt: &Router, f: &RouteFilter, json: bool) -> String {
    let mut text = String::new();
    let mut arr = Vec::new();
    for t in rt.tables.in_dump_order() {
        if f.table.is_some_and(|id| id != t.id) {
            continue;
        }
        for r in t.iter() {
            if !f.accepts(t.id, r) {
                continue;
            }
            let (s, j) = route_entry(rt, r, t.id, f.table.is_none(), f);
            text.push_str(&s);
            arr.push(j);
        }
    }
    if json {
        format!("{}\n", Value::Array(arr))
    } else {
        text
    }
}

/// `ip rule show`.
pub fn rule_show(rt: &Router, json: bool) -> String {
    let mut text = String::new();
    let mut arr = Vec::new();
    for r in rt.rules.rules() {
        let (s, j) = rule_entry(rt, r);
        text.push_str(&s);
        arr.push(j);
    }
    if json {
        format!("{}\n", Value::Array(arr))
    } else {
        text
    }
}

fn selector(s: &mut String, j: &mut Map<String, Value>, word: &str, key: &str, p: &Prefix4) {
    if p.len() == 32 {
        let _ = write!(s, "{word} {}", p.addr());
        j.insert(key.into(), json!(p.addr().to_string()));
    } else {
        let _ = write!(s, "{word} {}/{}", p.addr(), p.len());
        j.insert(key.into(), json!(p.addr().to_string()));
        j.insert(format!("{key}len"), json!(p.len()));
    }
}

fn port_range(s: &mut String, j: &mut Map<String, Value>, word: &str, r: (u16, u16)) {
    if r.0 == r.1 {
        let _ = write!(s, " {word} {}", r.0);
        j.insert(word.into(), json!(r.0));
    } else {
        let _ = write!(s, " {word} {}-{}", r.0, r.1);
        j.insert(format!("{word}_start"), json!(r.0));
        j.insert(format!("{word}_end"), json!(r.1));
    }
}

/// One rule, as `print_rule`.
pub fn rule_entry(rt: &Router, r: &Rule) -> (String, Value) {
    let mut s = format!("{}:\t", r.pref);
    let mut j = Map::new();
    j.insert("priority".into(), json!(r.pref));
    if r.invert {
        s.push_str("not ");
        j.insert("not".into(), Value::Null);
    }
    match &r.src {
        Some(p) if p.len() != 0 => selector(&mut s, &mut j, "from", "src", p),
        _ => {
            s.push_str("from all");
            j.insert("src".into(), json!("all"));
        }
    }
    if let Some(p) = &r.dst {
        if p.len() != 0 {
            selector(&mut s, &mut j, " to", "dst", p);
        }
    }
    if r.tos != 0 {
        let _ = write!(s, " tos {}", dsfield_name(r.tos));
        j.insert("tos".into(), json!(dsfield_name(r.tos)));
    }
    if r.fwmark != 0 || r.fwmask != 0 {
        if r.fwmask != u32::MAX {
            let _ = write!(s, " fwmark {}/{}", c_hex(r.fwmark), c_hex(r.fwmask));
            j.insert("fwmark".into(), json!(c_hex(r.fwmark)));
            j.insert("fwmask".into(), json!(c_hex(r.fwmask)));
        } else {
            let _ = write!(s, " fwmark {}", c_hex(r.fwmark));
            j.insert("fwmark".into(), json!(c_hex(r.fwmark)));
        }
    }
    for (word, sel) in [("iif", &r.iif), ("oif", &r.oif)] {
        if let Some(sel) = sel {
            let _ = write!(s, " {word} {}", sel.name);
            j.insert(word.into(), json!(sel.name));
            if sel.index.is_none() {
                s.push_str(" [detached]");
                j.insert(format!("{word}_detached"), Value::Null);
            }
        }
    }
    if r.ipproto != 0 {
        let _ = write!(s, " ipproto {}", proto::name(r.ipproto));
        j.insert("ipproto".into(), json!(proto::name(r.ipproto)));
    }
    if let Some(p) = r.sport {
        port_range(&mut s, &mut j, "sport", p);
    }
    if let Some(p) = r.dport {
        port_range(&mut s, &mut j, "dport", p);
    }
    match r.action {
        Action::Lookup(t) => {
            let n = rt.names.name(t);
            let _ = write!(s, " lookup {n}");
            j.insert("table".into(), json!(n));
            if let Some(pl) = r.suppress_prefixlen {
                let _ = write!(s, " suppress_prefixlength {pl}");
                j.insert("suppress_prefixlen".into(), json!(pl));
            }
            if let Some(g) = r.suppress_ifgroup {
                let _ = write!(s, " suppress_ifgroup {g}");
                j.insert("suppress_ifgroup".into(), json!(g.to_string()));
            }
            if let Some(n) = r.nat {
                let _ = write!(s, " map-to {n}");
                j.insert("map-to".into(), json!(n.to_string()));
            }
        }
        Action::Goto(t) => {
            let _ = write!(s, " goto {t}");
            j.insert("goto".into(), json!(t));
            if r.target.is_none() {
                s.push_str(" [unresolved]");
                j.insert("unresolved".into(), Value::Null);
            }
        }
        Action::Nop => {
            s.push_str(" nop");
            j.insert("nop".into(), Value::Null);
        }
        Action::Blackhole | Action::Unreachable | Action::Prohibit => {
            let w = match r.action {
                Action::Blackhole => "blackhole",
                Action::Unreachable => "unreachable",
                _ => "prohibit",
            };
            let _ = write!(s, " {w}");
            j.insert("action".into(), json!(w));
        }
    }
    s.push('\n');
    (s, Value::Object(j))
}

/// `ip route get` answers.
pub fn route_get(rt: &Router, a: &GetAnswer, json: bool) -> String {
    match a {
        GetAnswer::Fib { route, table } => {
            let (s, j) = route_entry(rt, route, *table, true, &RouteFilter::default());
            if json {
                format!("{}\n", Value::Array(vec![j]))
            } else {
                s
            }
        }
        GetAnswer::Route(c) => cached_route(rt, c, json),
    }
}

fn cached_route(rt: &Router, c: &CachedRoute, json: bool) -> String {
    let mut s = String::new();
    let mut j = Map::new();
    if c.rtype != RouteType::Unicast {
        let _ = write!(s, "{} ", c.rtype.name());
        j.insert("type".into(), json!(c.rtype.name()));
    }
    let _ = write!(s, "{} ", c.dst);
    j.insert("dst".into(), json!(c.dst.to_string()));
    if let Some(f) = c.from {
        let _ = write!(s, "from {f} ");
        j.insert("from".into(), json!(f.to_string()));
    }
    if c.tos != 0 {
        let _ = write!(s, "tos {} ", dsfield_name(c.tos));
        j.insert("tos".into(), json!(dsfield_name(c.tos)));
    }
    if let Some(g) = c.gateway {
        let _ = write!(s, "via {g} ");
        j.insert("gateway".into(), json!(g.to_string()));
    }
    let dev = rt.link_name(c.dev);
    let _ = write!(s, "dev {dev} ");
    j.insert("dev".into(), json!(dev));
    if c.table != 0 && c.table != RT_TABLE_MAIN {
        let n = rt.names.name(c.table);
        let _ = write!(s, "table {n} ");
        j.insert("table".into(), json!(n));
    }
    if let Some(p) = c.prefsrc {
        let _ = write!(s, "src {p} ");
        j.insert("prefsrc".into(), json!(p.to_string()));
    }
    j.insert("flags".into(), json!([] as [&str; 0]));
    if c.mark != 0 {
        // iproute2 prints marks from 16 on in hex
        if c.mark >= 16 {
            let _ = write!(s, "mark {:#x} ", c.mark);
        } else {
            let _ = write!(s, "mark {} ", c.mark);
        }
        j.insert("mark".into(), json!(c.mark));
    }
    if c.output {
        s.push_str("uid 0 ");
        j.insert("uid".into(), json!(0));
    }
    s.push_str("\n    cache ");
    let names: Vec<&str> = CACHE_FLAGS
        .iter()
        .filter(|(b, _)| c.flags & b != 0)
        .map(|(_, n)| *n)
        .collect();
    if !names.is_empty() {
        let _ = write!(s, "<{}> ", names.join(","));
    }
    j.insert("cache".into(), json!(names));
    if let Some(i) = c.iif {
        let n = rt.link_name(i);
        let _ = write!(s, "iif {n} ");
        j.insert("iif".into(), json!(n));
    }
    if let Some(to) = c.nat_to {
        j.insert("map-to".into(), json!(to.to_string()));
    }
    s.push('\n');
    if json {
        format!("{}\n", Value::Array(vec![Value::Object(j)]))
    } else {
        s
    }
}
