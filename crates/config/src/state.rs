//! The router's state: links, addresses, tables, rules, table names and sysctls, and
//! every change to it with the kernel's semantics.
//!
//! This is what `ip link`, `ip addr`, `ip route` and `ip rule` change. Changes are typed
//! ([`RouteSpec`], [`AddrSpec`], ...); the words users type are read in `ip.rs`. Each
//! change either applies whole or returns an error and changes nothing.
//!
//! The kernel behaviours reproduced here, each from `net/ipv4/`:
//! - `fib_add_ifaddr`/`fib_del_ifaddr`: an address brings its `local` route (even while
//!   the link is down), and while the link is up its connected route in `main` and the
//!   broadcast routes; secondaries; deleting a primary deletes its secondaries
//!   (`promote_secondaries` 0, the kernel's default).
//! - `fib_create_info`/`fib_check_nh`: route validation, gateways resolved through the
//!   rules with scope link, `onlink`, prefsrc checks.
//! - `fib_sync_down_dev`/`fib_sync_up`: a link going down takes its routes with it (but not
//!   host-scope ones); going up restores only the address routes.

use crate::names::TableNames;
use ruta_fib::route::{
    Nexthop, Route, RouteType, RTPROT_KERNEL, RT_SCOPE_HOST, RT_SCOPE_LINK, RT_SCOPE_NOWHERE,
    RT_SCOPE_UNIVERSE,
};
use ruta_fib::table::{DeleteSpec, InsertMode, TableError};
use ruta_fib::{Flow4, IfIndex, Prefix4, TableId, Tables, RT_TABLE_LOCAL, RT_TABLE_MAIN};
use ruta_policy::{Action, Rpdb, Rule, RuleError};
use std::collections::BTreeMap;
use std::net::Ipv4Addr;

/// How ruta owns a link.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum LinkKind {
    Loopback,
    /// `ip link add NAME type dummy`: a port with no I/O (tests, offline evaluation).
    Dummy,
    /// `port NAME af_packet [workers N]`: a kernel Ethernet interface, read and written
    /// through AF_PACKET rings by the dataplane.
    AfPacket {
        workers: u16,
    },
    /// `port NAME tun`: a TUN device (L3, no Ethernet header).
    Tun,
}

#[derive(Clone, Debug)]
pub struct Link {
    pub index: IfIndex,
    pub name: String,
    pub kind: LinkKind,
    pub up: bool,
    pub mtu: u32,
    pub mac: [u8; 6],
}

/// An IPv4 address on a link (`struct in_ifaddr`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct IfAddr {
    pub local: Ipv4Addr,
    pub plen: u8,
    pub dev: IfIndex,
    pub broadcast: Option<Ipv4Addr>,
    pub scope: u8,
    pub secondary: bool,
    pub noprefixroute: bool,
    pub metric: u32,
    pub label: Option<String>,
}

impl IfAddr {
    pub fn prefix(&self) -> Prefix4 {
        Prefix4::new_truncate(u32::from(self.local), self.plen)
    }
    /// True when `a` is in this address's subnet.
    pub fn on_link(&self, a: u32) -> bool {
        self.prefix().contains(a)
    }
}

/// The sysctls routing depends on. ruta starts as a router: forwarding on, rp_filter off.
#[derive(Clone, Debug)]
pub struct Sysctl {
    /// `net.ipv4.ip_forward` (and `conf.all.forwarding`).
    pub ip_forward: bool,
    /// `net.ipv4.conf.{all,default,IF}.*` values by key (`rp_filter`, `accept_local`,
    /// `send_redirects`, `forwarding`), per interface name or `all`/`default`.
    pub conf: BTreeMap<(String, String), u32>,
}

impl Default for Sysctl {
    fn default() -> Self {
        Sysctl {
            ip_forward: true,
            conf: BTreeMap::new(),
        }
    }
}

/// The conf keys ruta knows, with their defaults.
pub const CONF_KEYS: &[(&str, u32)] = &[
    ("forwarding", 1),
    ("rp_filter", 0),
    ("accept_local", 0),
    ("send_redirects", 1),
    ("proxy_arp", 0),
];

impl Sysctl {
    /// Every key ruta knows with its value, as `sysctl -a` prints them, for `all`,
    /// `default` and each link.
    pub fn dump(&self, links: &[Link]) -> Vec<(String, u32)> {
        let mut out = vec![("net.ipv4.ip_forward".to_string(), self.ip_forward as u32)];
        let devs = ["all", "default"]
            .into_iter()
            .map(String::from)
            .chain(links.iter().map(|l| l.name.clone()));
        for d in devs {
            for (k, _) in CONF_KEYS {
                let v = if d == "all" {
                    self.conf
                        .get(&("all".to_string(), k.to_string()))
                        .copied()
                        .unwrap_or_else(|| {
                            if *k == "forwarding" {
                                self.ip_forward as u32
                            } else {
                                self.conf_value("all", k)
                            }
                        })
                } else {
                    self.conf_value(&d, k)
                };
                out.push((format!("net.ipv4.conf.{d}.{k}"), v));
            }
        }
        out
    }

    fn conf_value(&self, dev: &str, key: &str) -> u32 {
        let default = CONF_KEYS
            .iter()
            .find(|(k, _)| *k == key)
            .map_or(0, |(_, v)| *v);
        let get = |d: &str| self.conf.get(&(d.to_string(), key.to_string())).copied();
        get(dev).or_else(|| get("default")).unwrap_or(default)
    }

    /// The effective value for an interface, combining `all` as the kernel does for each
    /// key (max for rp_filter, and for forwarding/send_redirects/accept_local "all || dev").
    pub fn conf(&self, dev: &str, key: &str) -> u32 {
        let d = self.conf_value(dev, key);
        let all = self
            .conf
            .get(&("all".to_string(), key.to_string()))
            .copied();
        match key {
            "rp_filter" => d.max(all.unwrap_or(0)),
            "forwarding" => {
                if !self.ip_forward {
                    0
                } else {
                    d
                }
            }
            _ => d.max(all.unwrap_or(0)),
        }
    }
}

/// A route as `ip route add` describes it, before validation.
#[derive(Clone, Debug)]
pub struct RouteSpec {
    pub table: TableId,
    pub prefix: Prefix4,
    pub rtype: RouteType,
    pub tos: u8,
    pub metric: u32,
    pub protocol: u8,
    pub scope: u8,
    pub prefsrc: Option<Ipv4Addr>,
    pub nexthops: Vec<NhSpec>,
}

#[derive(Clone, Debug, Default)]
pub struct NhSpec {
    pub gateway: Option<Ipv4Addr>,
    pub dev: Option<IfIndex>,
    pub weight: u16,
    pub onlink: bool,
}

/// What `ip addr add` describes.
#[derive(Clone, Debug)]
pub struct AddrSpec {
    pub local: Ipv4Addr,
    pub plen: u8,
    pub dev: IfIndex,
    pub broadcast: Option<Ipv4Addr>,
    pub scope: u8,
    pub noprefixroute: bool,
    pub metric: u32,
    pub label: Option<String>,
}

/// The whole routing state of one router.
#[derive(Clone, Debug)]
pub struct Router {
    links: Vec<Link>,
    addrs: Vec<IfAddr>,
    pub tables: Tables,
    pub rules: Rpdb,
    pub names: TableNames,
    pub sysctl: Sysctl,
    /// The iptables tables (mangle, nat, filter).
    pub netfilter: ruta_netfilter::Ruleset,
    /// An `iptables-save` block being read (between `*table` and `COMMIT`).
    pub(crate) nf_restore: ruta_netfilter::SaveState,
    next_index: IfIndex,
    /// What per-packet decisions read, computed by [`Router::commit`] (None before).
    fast: Option<Fast>,
}

/// Per-packet inputs derived from the state at commit time, so that a routing decision
/// neither allocates nor scans tables.
#[derive(Clone, Debug, Default)]
pub(crate) struct Fast {
    /// Effective conf values per interface index, in [`FAST_KEYS`] order.
    conf: Vec<[u32; 4]>,
    pub(crate) custom_local_routes: bool,
    pub(crate) flow_dissect: bool,
}

pub(crate) const FAST_KEYS: [&str; 4] =
    ["forwarding", "rp_filter", "accept_local", "send_redirects"];

impl Default for Router {
    fn default() -> Self {
        Router::new()
    }
}

pub const LOOPBACK: IfIndex = 1;

impl Router {
    /// What a fresh network namespace has once `lo` is up: `lo` with 127.0.0.1/8, the
    /// three default rules, tables main and local.
    pub fn new() -> Router {
        let mut r = Router {
            links: vec![Link {
                index: LOOPBACK,
                name: "lo".into(),
                kind: LinkKind::Loopback,
                up: true,
                mtu: 65536,
                mac: [0; 6],
            }],
            addrs: Vec::new(),
            tables: Tables::new(),
            rules: Rpdb::new(),
            names: TableNames::default(),
            sysctl: Sysctl::default(),
            netfilter: ruta_netfilter::Ruleset::new(),
            nf_restore: ruta_netfilter::SaveState::default(),
            next_index: 2,
            fast: None,
        };
        r.tables.get_or_create(RT_TABLE_LOCAL);
        r.tables.get_or_create(RT_TABLE_MAIN);
        r.addr_add(AddrSpec {
            local: Ipv4Addr::LOCALHOST,
            plen: 8,
            dev: LOOPBACK,
            broadcast: None,
            scope: RT_SCOPE_HOST,
            noprefixroute: false,
            metric: 0,
            label: None,
        })
        .expect("loopback address");
        r
    }

    // ---- links -------------------------------------------------------------------

    pub fn links(&self) -> &[Link] {
        &self.links
    }

    pub fn link(&self, index: IfIndex) -> Option<&Link> {
        self.links.iter().find(|l| l.index == index)
    }

    pub fn link_by_name(&self, name: &str) -> Option<&Link> {
        self.links.iter().find(|l| l.name == name)
    }

    pub fn index_of(&self, name: &str) -> Option<IfIndex> {
        self.link_by_name(name).map(|l| l.index)
    }

    /// The name of an interface index ("lo" for 1), or `ifN` when unknown.
    pub fn link_name(&self, index: IfIndex) -> String {
        self.link(index)
            .map(|l| l.name.clone())
            .unwrap_or_else(|| format!("if{index}"))
    }

    /// Adds a link (down, as the kernel creates it; ports are brought up by `ruta run`).
    pub fn link_add(&mut self, name: &str, kind: LinkKind, up: bool) -> Result<IfIndex, String> {
        validate_ifname(name)?;
        if self.link_by_name(name).is_some() {
            return Err(format!("link {name} already exists"));
        }
        let index = self.next_index;
        self.next_index += 1;
        let mac = [0x02, 0x72, 0x75, 0x74, (index >> 8) as u8, index as u8];
        self.links.push(Link {
            index,
            name: name.to_string(),
            kind,
            up: false,
            mtu: 1500,
            mac,
        });
        self.resolve_rule_interfaces();
        if up {
            self.link_set_up(index, true)?;
        }
        Ok(index)
    }

    /// Removes a link and everything that used it.
    pub fn link_del(&mut self, index: IfIndex) -> Result<(), String> {
        if index == LOOPBACK {
            return Err("cannot delete lo".into());
        }
        self.link(index).ok_or("no such link")?;
        for t in self.tables.iter_mut() {
            t.retain(|r| !r.uses_dev(index));
        }
        let gone: Vec<IfAddr> = self
            .addrs
            .iter()
            .filter(|a| a.dev == index)
            .cloned()
            .collect();
        self.addrs.retain(|a| a.dev != index);
        for a in gone {
            self.sync_down_addr(a.local);
        }
        self.links.retain(|l| l.index != index);
        self.resolve_rule_interfaces();
        Ok(())
    }

    /// Points the `iif`/`oif` of every rule at the link of that name, or detaches it.
    fn resolve_rule_interfaces(&mut self) {
        let links = &self.links;
        self.rules
            .resolve_interfaces(|n| links.iter().find(|l| l.name == n).map(|l| l.index));
    }

    /// `ip link set DEV up|down`.
    pub fn link_set_up(&mut self, index: IfIndex, up: bool) -> Result<(), String> {
        let link = self
            .links
            .iter_mut()
            .find(|l| l.index == index)
            .ok_or("no such link")?;
        if link.up == up {
            return Ok(());
        }
        if index == LOOPBACK && !up {
            return Err("ruta keeps lo up".into());
        }
        link.up = up;
        if up {
            // fib_sync_up: nothing of ours is dead-but-kept; re-add the address routes.
            let addrs: Vec<IfAddr> = self
                .addrs
                .iter()
                .filter(|a| a.dev == index)
                .cloned()
                .collect();
            for a in &addrs {
                self.add_ifaddr_routes(a);
            }
        } else {
            // fib_sync_down_dev(NETDEV_DOWN): every nexthop on the link dies except those
            // of host scope (local routes); a route with no live nexthop is flushed.
            for t in self.tables.iter_mut() {
                t.for_each_mut(|r| {
                    for nh in r.nexthops.iter_mut() {
                        if nh.dev == Some(index) && nh.nh_scope != RT_SCOPE_NOWHERE {
                            nh.dead = true;
                        }
                    }
                });
                t.retain(|r| r.nexthops.is_empty() || r.nexthops.iter().any(|n| !n.dead));
            }
        }
        Ok(())
    }

    pub fn link_set_mtu(&mut self, index: IfIndex, mtu: u32) -> Result<(), String> {
        if !(68..=65535).contains(&mtu) {
            return Err(format!("mtu {mtu} out of range 68..65535"));
        }
        let link = self
            .links
            .iter_mut()
            .find(|l| l.index == index)
            .ok_or("no such link")?;
        link.mtu = mtu;
        Ok(())
    }

    pub fn link_set_mac(&mut self, index: IfIndex, mac: [u8; 6]) -> Result<(), String> {
        if mac[0] & 1 == 1 {
            return Err("a multicast address cannot be a link address".into());
        }
        let link = self
            .links
            .iter_mut()
            .find(|l| l.index == index)
            .ok_or("no such link")?;
        link.mac = mac;
        Ok(())
    }

    fn is_up(&self, index: IfIndex) -> bool {
        self.link(index).is_some_and(|l| l.up)
    }

    // ---- addresses ---------------------------------------------------------------

    /// Addresses in the kernel's order (per link: primaries, then secondaries).
    pub fn addrs(&self) -> &[IfAddr] {
        &self.addrs
    }

    pub fn addrs_of(&self, dev: IfIndex) -> impl Iterator<Item = &IfAddr> {
        self.addrs.iter().filter(move |a| a.dev == dev)
    }

    /// True when `a` is one of the router's own addresses (`__ip_dev_find`).
    pub fn is_local_addr(&self, a: Ipv4Addr) -> bool {
        self.addrs.iter().any(|x| x.local == a)
    }

    /// `ip addr add`.
    pub fn addr_add(&mut self, s: AddrSpec) -> Result<(), String> {
        if self.link(s.dev).is_none() {
            return Err("no such link".into());
        }
        let pfx = Prefix4::new_truncate(u32::from(s.local), s.plen);
        let mut secondary = false;
        for a in self.addrs_of(s.dev) {
            if a.plen == s.plen && a.prefix() == pfx {
                if a.local == s.local {
                    return Err(format!(
                        "address {}/{} is already assigned to {}",
                        s.local,
                        s.plen,
                        self.link_name(s.dev)
                    ));
                }
                if a.scope != s.scope {
                    return Err("an address in the same subnet has another scope".into());
                }
                secondary = true;
            }
        }
        let a = IfAddr {
            local: s.local,
            plen: s.plen,
            dev: s.dev,
            broadcast: s.broadcast,
            scope: s.scope,
            secondary,
            noprefixroute: s.noprefixroute,
            metric: s.metric,
            label: s.label,
        };
        // Position: a primary after the last primary of this link whose scope is <= its
        // own; a secondary at the end of the link's list.
        let last_of_dev = self.addrs.iter().rposition(|x| x.dev == s.dev);
        let pos = if secondary {
            last_of_dev.map_or(self.addrs.len(), |p| p + 1)
        } else {
            match self
                .addrs
                .iter()
                .rposition(|x| x.dev == s.dev && !x.secondary && x.scope <= a.scope)
            {
                Some(p) => p + 1,
                None => self
                    .addrs
                    .iter()
                    .position(|x| x.dev == s.dev)
                    .unwrap_or(self.addrs.len()),
            }
        };
        self.addrs.insert(pos, a.clone());
        self.add_ifaddr_routes(&a);
        Ok(())
    }

    /// The primary address that a secondary hangs off (itself for a primary).
    fn primary_of(&self, a: &IfAddr) -> IfAddr {
        if !a.secondary {
            return a.clone();
        }
        self.addrs_of(a.dev)
            .find(|p| !p.secondary && p.plen == a.plen && p.prefix() == a.prefix())
            .cloned()
            .unwrap_or_else(|| a.clone())
    }

    fn kernel_route(
        &self,
        prefix: Prefix4,
        rtype: RouteType,
        dev: IfIndex,
        src: Ipv4Addr,
        metric: u32,
    ) -> Route {
        let scope = if rtype == RouteType::Local {
            RT_SCOPE_HOST
        } else {
            RT_SCOPE_LINK
        };
        let mut nh = Nexthop::dev(dev);
        nh.nh_scope = if scope == RT_SCOPE_HOST {
            RT_SCOPE_NOWHERE
        } else {
            RT_SCOPE_HOST
        };
        Route {
            prefix,
            rtype,
            tos: 0,
            metric,
            protocol: RTPROT_KERNEL,
            scope,
            prefsrc: Some(src),
            nexthops: vec![nh],
        }
    }

    /// `fib_magic(RTM_NEWROUTE, ...)`: add with CREATE|APPEND, an identical route is fine.
    /// The route is validated as any route: in particular its `src` must be a local
    /// address (an address that is also another subnet's broadcast address is not, and
    /// the kernel then silently adds no connected route for it).
    fn magic_add(&mut self, r: Route) {
        let table = if r.rtype == RouteType::Unicast {
            RT_TABLE_MAIN
        } else {
            RT_TABLE_LOCAL
        };
        if let Some(src) = r.prefsrc {
            let own = r.rtype == RouteType::Local && r.prefix == Prefix4::host(src);
            if !own && self.addr_type_in(src, RT_TABLE_LOCAL, None) != RouteType::Local {
                return;
            }
        }
        let _ = self
            .tables
            .get_or_create(table)
            .insert(r, InsertMode::Append);
    }

    /// `fib_add_ifaddr`.
    fn add_ifaddr_routes(&mut self, a: &IfAddr) {
        let prim = self.primary_of(a);
        let dev = a.dev;
        let loopback = dev == LOOPBACK;
        self.magic_add(self.kernel_route(
            Prefix4::host(a.local),
            RouteType::Local,
            dev,
            prim.local,
            0,
        ));
        if !self.is_up(dev) {
            return;
        }
        if let Some(b) = a.broadcast {
            if b != Ipv4Addr::BROADCAST {
                self.magic_add(self.kernel_route(
                    Prefix4::host(b),
                    RouteType::Broadcast,
                    dev,
                    prim.local,
                    0,
                ));
            }
        }
        let pfx = a.prefix();
        if pfx.addr_u32() != 0 && !a.secondary && (pfx.addr() != a.local || a.plen < 32) {
            if !a.noprefixroute {
                let t = if loopback {
                    RouteType::Local
                } else {
                    RouteType::Unicast
                };
                self.magic_add(self.kernel_route(pfx, t, dev, prim.local, a.metric));
            }
            if a.plen < 31 {
                self.magic_add(self.kernel_route(
                    Prefix4::host(Ipv4Addr::from(pfx.last())),
                    RouteType::Broadcast,
                    dev,
                    prim.local,
                    0,
                ));
            }
        }
    }

    /// `ip addr del A/N dev D`.
    pub fn addr_del(
        &mut self,
        local: Ipv4Addr,
        plen: Option<u8>,
        dev: IfIndex,
    ) -> Result<(), String> {
        let idx = self
            .addrs
            .iter()
            .position(|a| a.dev == dev && a.local == local && plen.is_none_or(|p| p == a.plen))
            .ok_or_else(|| format!("address {local} is not assigned to {}", self.link_name(dev)))?;
        let a = self.addrs.remove(idx);
        let mut gone = vec![a.clone()];
        if !a.secondary {
            // promote_secondaries = 0: the secondaries of a deleted primary go with it.
            let pfx = a.prefix();
            let (sec, keep): (Vec<IfAddr>, Vec<IfAddr>) =
                std::mem::take(&mut self.addrs).into_iter().partition(|x| {
                    x.dev == dev && x.secondary && x.plen == a.plen && x.prefix() == pfx
                });
            self.addrs = keep;
            gone.extend(sec);
        }
        for g in &gone {
            self.del_ifaddr_routes(g, &a);
        }
        Ok(())
    }

    /// `ip addr flush dev D`.
    pub fn addr_flush(&mut self, dev: IfIndex) {
        while let Some(a) = self.addrs.iter().rev().find(|a| a.dev == dev).cloned() {
            let _ = self.addr_del(a.local, Some(a.plen), dev);
        }
    }

    /// `fib_del_ifaddr`, for address `g` (gone with primary `prim`).
    fn del_ifaddr_routes(&mut self, g: &IfAddr, prim: &IfAddr) {
        let dev = g.dev;
        let src = if g.secondary { prim.local } else { g.local };
        let del = |tables: &mut Tables, table: TableId, prefix: Prefix4, t: RouteType| {
            if let Some(tb) = tables.get_mut(table) {
                let _ = tb.delete(&DeleteSpec {
                    prefix,
                    rtype: Some(t),
                    protocol: Some(RTPROT_KERNEL),
                    dev: Some(dev),
                    prefsrc: Some(src),
                    scope: Some(RT_SCOPE_NOWHERE),
                    ..Default::default()
                });
            }
        };
        if !g.secondary {
            let t = if dev == LOOPBACK {
                RouteType::Local
            } else {
                RouteType::Unicast
            };
            let table = if dev == LOOPBACK {
                RT_TABLE_LOCAL
            } else {
                RT_TABLE_MAIN
            };
            del(&mut self.tables, table, g.prefix(), t);
        }
        // Broadcast routes nobody else on the link still gives.
        let mut brds = Vec::new();
        if let Some(b) = g.broadcast {
            brds.push(b);
        }
        if !g.secondary && g.plen < 31 {
            brds.push(Ipv4Addr::from(g.prefix().last()));
        }
        for b in brds {
            let still = self.addrs_of(dev).any(|x| {
                x.broadcast == Some(b)
                    || (!x.secondary && x.plen < 31 && Ipv4Addr::from(x.prefix().last()) == b)
            });
            if !still {
                del(
                    &mut self.tables,
                    RT_TABLE_LOCAL,
                    Prefix4::host(b),
                    RouteType::Broadcast,
                );
            }
        }
        if !self.addrs_of(dev).any(|x| x.local == g.local) {
            del(
                &mut self.tables,
                RT_TABLE_LOCAL,
                Prefix4::host(g.local),
                RouteType::Local,
            );
        }
        self.sync_down_addr(g.local);
    }

    /// `fib_sync_down_addr`: once an address is gone from every link, the routes that
    /// used it as their source go too.
    fn sync_down_addr(&mut self, local: Ipv4Addr) {
        if self.is_local_addr(local) {
            return;
        }
        for t in self.tables.iter_mut() {
            t.retain(|r| r.prefsrc != Some(local));
        }
    }

    // ---- routes ------------------------------------------------------------------

    /// The address type of `a` as the kernel's `inet_addr_type_table` sees it: the type of
    /// the route `a` hits in `table` (unicast when there is none).
    pub fn addr_type_in(&self, a: Ipv4Addr, table: TableId, dev: Option<IfIndex>) -> RouteType {
        let x = u32::from(a);
        if x == 0 || x == u32::MAX {
            return RouteType::Broadcast;
        }
        if a.is_multicast() {
            return RouteType::Multicast;
        }
        let fl = Flow4 {
            dst: x,
            ..Default::default()
        };
        let Some(res) = self.table_lookup(table, &fl) else {
            return RouteType::Unicast;
        };
        match res {
            Ok(m) => {
                if dev.is_none_or(|d| m.route.uses_dev(d)) {
                    m.route.rtype
                } else {
                    RouteType::Unicast
                }
            }
            Err(_) => RouteType::Unicast,
        }
    }

    /// A lookup in one table (`fib_table_lookup`), `None` when the table does not exist.
    /// While no custom rule exists, tables local and main are one merged trie, so a
    /// lookup in either sees the routes of both.
    pub fn table_lookup(
        &self,
        table: TableId,
        fl: &Flow4,
    ) -> Option<Result<ruta_fib::TableMatch<'_>, ruta_fib::LookupError>> {
        if (table == RT_TABLE_LOCAL || table == RT_TABLE_MAIN) && !self.rules.has_custom_rules() {
            return Some(ruta_fib::Table::lookup_merged(
                self.tables.get(RT_TABLE_LOCAL),
                self.tables.get(RT_TABLE_MAIN),
                fl,
            ));
        }
        Some(self.tables.get(table)?.lookup(fl))
    }

    /// Validates `s` as `fib_create_info` does and builds the route.
    pub fn build_route(&self, s: &RouteSpec) -> Result<Route, String> {
        if s.scope > RT_SCOPE_HOST {
            return Err("invalid scope".into());
        }
        if s.rtype.min_scope() > s.scope {
            return Err(format!(
                "invalid scope {} for a {} route",
                ruta_fib::scope_name(s.scope),
                s.rtype.name()
            ));
        }
        if s.tos & 0x03 != 0 {
            return Err(format!("invalid tos 0x{:02x}: ECN bits must be 0", s.tos));
        }
        let mut nexthops = Vec::new();
        if s.rtype.is_reject() {
            if s.nexthops
                .iter()
                .any(|n| n.gateway.is_some() || n.dev.is_some())
                || s.nexthops.len() > 1
            {
                return Err(format!(
                    "a {} route takes no gateway, device or nexthops",
                    s.rtype.name()
                ));
            }
        } else if s.rtype == RouteType::Nat {
            let nh = s
                .nexthops
                .first()
                .filter(|n| n.gateway.is_some() && s.nexthops.len() == 1);
            let nh = nh.ok_or("a nat route needs \"via ADDRESS\", the address it maps to")?;
            if nh.dev.is_some() {
                return Err("a nat route takes no device".into());
            }
            nexthops.push(Nexthop {
                gateway: nh.gateway,
                dev: None,
                weight: 1,
                onlink: false,
                nh_scope: RT_SCOPE_NOWHERE,
                dead: false,
            });
        } else if s.scope == RT_SCOPE_HOST {
            if s.nexthops.len() != 1 {
                return Err("a route with host scope cannot have multiple nexthops".into());
            }
            let nh = &s.nexthops[0];
            if nh.gateway.is_some() {
                return Err("a route with host scope cannot have a gateway".into());
            }
            let dev = nh.dev.ok_or("a route with host scope needs a device")?;
            let mut n = Nexthop::dev(dev);
            n.nh_scope = RT_SCOPE_NOWHERE;
            nexthops.push(n);
        } else {
            if s.nexthops.is_empty() {
                return Err("no gateway or device given".into());
            }
            for nh in &s.nexthops {
                nexthops.push(self.check_nh(nh, s.table, s.scope)?);
            }
        }
        if let Some(src) = s.prefsrc.filter(|_| !s.rtype.is_reject()) {
            let own_dst =
                s.rtype == RouteType::Local && s.prefix.len() == 32 && s.prefix.addr() == src;
            if !own_dst {
                let tb = if s.table == RT_TABLE_MAIN {
                    RT_TABLE_LOCAL
                } else {
                    s.table
                };
                let mut t = self.addr_type_in(src, tb, None);
                if t != RouteType::Local && tb != RT_TABLE_LOCAL {
                    t = self.addr_type_in(src, RT_TABLE_LOCAL, None);
                }
                if t != RouteType::Local {
                    return Err(format!(
                        "invalid source address {src}: not an address of this router"
                    ));
                }
            }
        }
        Ok(Route {
            prefix: s.prefix,
            rtype: s.rtype,
            tos: s.tos,
            metric: s.metric,
            protocol: s.protocol,
            scope: s.scope,
            prefsrc: s.prefsrc,
            nexthops,
        })
    }

    /// `fib_check_nh`: a device nexthop needs its link up; a gateway must be reachable
    /// through a route of scope link (a connected subnet) or be one of our addresses,
    /// looked up in the route's own table first and then through the rules.
    fn check_nh(&self, nh: &NhSpec, table: TableId, scope: u8) -> Result<Nexthop, String> {
        let weight = if nh.weight == 0 { 1 } else { nh.weight };
        let Some(gw) = nh.gateway else {
            if nh.onlink {
                return Err("onlink needs a gateway".into());
            }
            let dev = nh.dev.ok_or("no gateway or device given")?;
            if !self.is_up(dev) {
                return Err(format!("device {} is down", self.link_name(dev)));
            }
            let mut n = Nexthop::dev(dev);
            n.weight = weight;
            return Ok(n);
        };
        if nh.onlink {
            if scope >= RT_SCOPE_LINK {
                return Err("an onlink nexthop cannot have scope link or host".into());
            }
            let dev = nh.dev.ok_or("onlink needs a device")?;
            if !self.is_up(dev) {
                return Err(format!("device {} is down", self.link_name(dev)));
            }
            // inet_addr_type_dev_table: the local table, whatever the device
            let t = self.addr_type_in(gw, RT_TABLE_LOCAL, None);
            if t != RouteType::Unicast {
                return Err(format!(
                    "invalid gateway {gw}: it is a {} address",
                    t.name()
                ));
            }
            return Ok(Nexthop {
                gateway: Some(gw),
                dev: Some(dev),
                weight,
                onlink: true,
                nh_scope: RT_SCOPE_LINK,
                dead: false,
            });
        }
        let fl = Flow4 {
            dst: u32::from(gw),
            oif: nh.dev.unwrap_or(0),
            iif: LOOPBACK,
            scope: (scope.saturating_add(1)).max(RT_SCOPE_LINK),
            ..Default::default()
        };
        let mut found: Option<(RouteType, u8, Option<IfIndex>)> = None;
        if table != RT_TABLE_MAIN {
            if let Some(Ok(m)) = self.table_lookup(table, &fl) {
                found = Some((m.route.rtype, m.route.scope, m.route.nexthops[m.nh].dev));
            }
        }
        if found.is_none() {
            if let Ok(r) = self.rules.lookup(&self.tables, &fl, None) {
                found = Some((r.route.rtype, r.route.scope, r.route.nexthops[r.nh].dev));
            }
        }
        let (rtype, rscope, dev) = found.ok_or_else(|| {
            format!(
                "invalid gateway {gw}: not in a connected subnet (no route of scope link to it)"
            )
        })?;
        if rtype != RouteType::Unicast && rtype != RouteType::Local {
            return Err(format!(
                "invalid gateway {gw}: it is a {} address",
                rtype.name()
            ));
        }
        let dev = dev.ok_or_else(|| format!("no egress device for gateway {gw}"))?;
        if !self.is_up(dev) {
            return Err(format!("device {} is down", self.link_name(dev)));
        }
        Ok(Nexthop {
            gateway: Some(gw),
            dev: Some(dev),
            weight,
            onlink: false,
            nh_scope: rscope,
            dead: false,
        })
    }

    /// `ip route add|replace|change|append|prepend`.
    pub fn route_insert(&mut self, s: &RouteSpec, mode: InsertMode) -> Result<(), String> {
        if s.tos & 0x03 != 0 {
            return Err(format!("invalid tos 0x{:02x}: ECN bits must be 0", s.tos));
        }
        // The kernel creates the table before it validates the route (inet_rtm_newroute):
        // a refused add still leaves the table existing.
        self.tables.get_or_create(s.table);
        let r = self.build_route(s)?;
        let tname = self.names.name(s.table);
        let table = self.tables.get_or_create(s.table);
        table.insert(r, mode).map_err(|e| match e {
            TableError::Exists => format!("route {} already exists in table {tname}", s.prefix),
            TableError::NotFound | TableError::NoSuchRoute => {
                format!("no route {} in table {tname}", s.prefix)
            }
        })
    }

    /// `ip route del`.
    pub fn route_delete(&mut self, table: TableId, spec: &DeleteSpec) -> Result<Route, String> {
        let tname = self.names.name(table);
        self.tables
            .get_mut(table)
            .ok_or_else(|| format!("no route {} in table {tname}", spec.prefix))?
            .delete(spec)
            .map_err(|_| format!("no route {} in table {tname} matches", spec.prefix))
    }

    /// `ip route flush table T` (with the same filters as show); returns how many went.
    pub fn route_flush(
        &mut self,
        table: Option<TableId>,
        mut keep: impl FnMut(&Route) -> bool,
    ) -> usize {
        let mut n = 0;
        for t in self.tables.iter_mut() {
            if table.is_none_or(|id| id == t.id) {
                n += t.retain(&mut keep);
            }
        }
        n
    }

    /// A table id not used yet, as the kernel's `fib_empty_table` (for `ip rule add table 0`).
    pub fn empty_table(&mut self) -> TableId {
        let id = (1..)
            .find(|id| self.tables.get(*id).is_none())
            .expect("some free id");
        self.tables.get_or_create(id);
        id
    }

    // ---- rules -------------------------------------------------------------------

    /// `ip rule add`.
    pub fn rule_add(&mut self, mut r: Rule, has_pref: bool) -> Result<u32, String> {
        if r.tos & !0x1e != 0 {
            return Err(format!("invalid tos 0x{:02x}", r.tos));
        }
        if r.action == Action::Lookup(0) {
            r.action = Action::Lookup(self.empty_table());
        }
        for s in [&mut r.iif, &mut r.oif].into_iter().flatten() {
            s.index = self
                .links
                .iter()
                .find(|l| l.name == s.name)
                .map(|l| l.index);
        }
        self.rules.add(r, has_pref).map_err(|e| match e {
            RuleError::Exists => "an identical rule with the same priority exists".to_string(),
            RuleError::BackwardGoto => {
                "goto must jump to a higher priority (backward goto is not supported)".to_string()
            }
            RuleError::NotFound => "no such rule".to_string(),
            RuleError::Invalid(m) => m.to_string(),
        })
    }

    /// `ip rule del`.
    pub fn rule_del(
        &mut self,
        spec: &Rule,
        has_pref: bool,
        action_given: bool,
    ) -> Result<(), String> {
        self.rules
            .delete(spec, has_pref, action_given)
            .map(|_| ())
            .map_err(|_| "no rule matches".to_string())
    }

    /// Compiles every table's LPM (call once a batch of changes is complete).
    pub fn commit(&mut self) {
        self.tables.compile_all();
        self.fast = None;
        let mut conf = vec![[0u32; 4]; self.next_index as usize];
        for l in &self.links {
            for (i, k) in FAST_KEYS.iter().enumerate() {
                conf[l.index as usize][i] = self.sysctl.conf(&l.name, k);
            }
        }
        let custom_local_routes = self.has_custom_local_routes();
        let flow_dissect = self.rules_need_flow_dissect();
        self.fast = Some(Fast {
            conf,
            custom_local_routes,
            flow_dissect,
        });
    }

    pub(crate) fn fast(&self) -> Option<&Fast> {
        self.fast.as_ref()
    }

    /// A conf value from the commit-time cache, by its index in [`FAST_KEYS`] (None: not
    /// committed).
    #[inline]
    pub(crate) fn fast_conf_at(&self, dev: IfIndex, k: usize) -> Option<u32> {
        let f = self.fast.as_ref()?;
        f.conf.get(dev as usize).and_then(|c| c.get(k)).copied()
    }
}

/// The kernel's `dev_valid_name`.
pub fn validate_ifname(name: &str) -> Result<(), String> {
    if name.is_empty() || name.len() >= 16 || name == "." || name == ".." {
        return Err(format!("invalid interface name \"{name}\""));
    }
    if name
        .chars()
        .any(|c| c == '/' || c == ':' || c.is_whitespace() || c.is_control())
    {
        return Err(format!("invalid interface name \"{name}\""));
    }
    Ok(())
}

/// The scope iproute2 gives an address without `scope`: host for 127/8, global otherwise.
pub fn default_addr_scope(a: Ipv4Addr) -> u8 {
    if a.octets()[0] == 127 {
        RT_SCOPE_HOST
    } else {
        RT_SCOPE_UNIVERSE
    }
}
