//! `ip route get`: what the kernel's `inet_rtm_getroute` answers, as data.
//!
//! Without `iif` the query is an output route (`ip_route_output_key_hash_rcu`: a packet
//! the router itself sends); with `iif` it is an input route (`ip_route_input_slow`: a
//! packet arriving on that interface, forwarded or delivered). Both walk the rules with
//! [`ruta_policy::Rpdb::lookup`] and add what the kernel adds: source address selection,
//! martian checks, source validation (rp_filter), redirects, the on-link assumption for an
//! `oif` the tables do not reach.

use crate::state::{Router, LOOPBACK};
use ruta_fib::route::{Route, RouteType, RT_SCOPE_HOST, RT_SCOPE_LINK};
use ruta_fib::{Flow4, IfIndex, TableId, RT_TABLE_MAIN};
use ruta_policy::FibError;
use std::net::Ipv4Addr;

/// The words of an `ip route get` query (also what the pipeline asks of each packet).
#[derive(Clone, Copy, Debug)]
pub struct GetQuery {
    pub dst: Ipv4Addr,
    pub src: Option<Ipv4Addr>,
    pub iif: Option<IfIndex>,
    pub oif: Option<IfIndex>,
    pub mark: u32,
    pub tos: u8,
    pub proto: u8,
    pub sport: u16,
    pub dport: u16,
    pub fibmatch: bool,
}

impl Default for GetQuery {
    fn default() -> Self {
        GetQuery {
            dst: Ipv4Addr::UNSPECIFIED,
            src: None,
            iif: None,
            oif: None,
            mark: 0,
            tos: 0,
            // the kernel builds a UDP packet for a query without ipproto
            proto: 17,
            sport: 0,
            dport: 0,
            fibmatch: false,
        }
    }
}

/// `RTCF_*` flags that `ip route get` prints after `cache`, in iproute2's order.
pub const CACHE_FLAGS: &[(u32, &str)] = &[
    (0x8000_0000, "local"),
    (0x0020_0000, "reject"),
    (0x2000_0000, "mc"),
    (0x1000_0000, "brd"),
    (0x0080_0000, "dst-nat"),
    (0x0040_0000, "src-nat"),
    (0x0100_0000, "redirect"),
];
pub const RTCF_LOCAL: u32 = 0x8000_0000;
pub const RTCF_BROADCAST: u32 = 0x1000_0000;
pub const RTCF_DNAT: u32 = 0x0080_0000;
pub const RTCF_SNAT: u32 = 0x0040_0000;
pub const RTCF_DOREDIRECT: u32 = 0x0100_0000;

/// The answer to a query.
#[derive(Clone, Debug)]
pub enum GetAnswer {
    Route(CachedRoute),
    /// `fibmatch`: the FIB entry that matched, and its table.
    Fib {
        route: Route,
        table: TableId,
    },
}

/// A route as the kernel's route cache entry prints it.
#[derive(Clone, Copy, Debug)]
pub struct CachedRoute {
    pub rtype: RouteType,
    pub dst: Ipv4Addr,
    pub from: Option<Ipv4Addr>,
    pub gateway: Option<Ipv4Addr>,
    pub dev: IfIndex,
    /// 0 when no table decided (printed as nothing, like main).
    pub table: TableId,
    pub prefsrc: Option<Ipv4Addr>,
    /// The tos of the route that matched (printed when not 0).
    pub tos: u8,
    pub mark: u32,
    /// Output routes print `uid 0`.
    pub output: bool,
    pub flags: u32,
    pub iif: Option<IfIndex>,
    /// For route NAT: the address the destination was mapped to.
    pub nat_to: Option<Ipv4Addr>,
    /// For route NAT outbound (`ip rule ... nat ADDR`): the source is rewritten to this.
    pub snat_to: Option<Ipv4Addr>,
}

/// A routing decision: the cached route, and the FIB entry (with its table) that decided.
pub type Decision<'a> = Result<(CachedRoute, Option<(&'a Route, TableId)>), GetError>;

/// Errno answers, with the text iproute2 prints after "RTNETLINK answers: ".
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum GetError {
    Fib(FibError),
    /// EINVAL (martian source or destination, loopback source off lo, ...).
    Invalid,
    /// EHOSTUNREACH (forwarding disabled on the input interface).
    HostUnreachable,
    /// ENETUNREACH.
    NetUnreachable,
    /// EXDEV (rp_filter strict mode).
    CrossDevice,
    /// ENODEV.
    NoDevice,
    /// EOPNOTSUPP: `ipproto` other than tcp, udp, icmp (extack "Unsupported ip proto").
    UnsupportedProto,
}

impl GetError {
    pub fn strerror(self) -> &'static str {
        match self {
            GetError::Fib(e) => e.strerror(),
            GetError::Invalid => "Invalid argument",
            GetError::HostUnreachable => "No route to host",
            GetError::NetUnreachable => "Network is unreachable",
            GetError::CrossDevice => "Invalid cross-device link",
            GetError::NoDevice => "No such device",
            GetError::UnsupportedProto => "Operation not supported",
        }
    }
}

fn is_lbcast(a: Ipv4Addr) -> bool {
    a == Ipv4Addr::BROADCAST
}
fn is_zeronet(a: Ipv4Addr) -> bool {
    a.octets()[0] == 0
}
fn is_loopback(a: Ipv4Addr) -> bool {
    a.octets()[0] == 127
}

impl Router {
    /// `inet_select_addr`: the source address for sending out `dev` towards `dst`.
    pub fn select_addr(&self, dev: IfIndex, dst: Option<Ipv4Addr>, scope: u8) -> Option<Ipv4Addr> {
        let mut first = None;
        for a in self.addrs_of(dev) {
            if a.secondary || a.scope > scope {
                continue;
            }
            if dst.is_none_or(|d| a.on_link(u32::from(d))) {
                return Some(a.local);
            }
            first.get_or_insert(a.local);
        }
        if first.is_some() {
            return first;
        }
        // Any primary address of a suitable scope on any link, in ifindex order.
        for l in self.links() {
            for a in self.addrs_of(l.index) {
                if !a.secondary && a.scope != RT_SCOPE_LINK && a.scope <= scope {
                    return Some(a.local);
                }
            }
        }
        None
    }

    /// The ports an input packet of query `q` carries: the kernel builds the packet, with
    /// ports for TCP and UDP and an ICMP echo header (no ports) for ICMP.
    fn packet_ports(&self, q: &GetQuery) -> (u16, u16) {
        if q.proto == 1 {
            (0, 0)
        } else {
            (q.sport, q.dport)
        }
    }

    /// The kernel's `fib_rules_require_fldissect`: a rule (not `iif lo`) selects on the
    /// protocol or ports.
    pub(crate) fn rules_need_flow_dissect(&self) -> bool {
        if let Some(f) = self.fast() {
            return f.flow_dissect;
        }
        self.rules.rules().iter().any(|r| {
            r.iif.as_ref().is_none_or(|i| i.index != Some(LOOPBACK))
                && (r.ipproto != 0 || r.sport.is_some() || r.dport.is_some())
        })
    }

    /// `__ip_dev_find`: one of our addresses, or an address a `local` route in table local
    /// covers.
    pub fn is_local_source(&self, a: Ipv4Addr) -> bool {
        self.is_local_addr(a)
            || self.addr_type_in(a, ruta_fib::RT_TABLE_LOCAL, None) == RouteType::Local
    }

    /// The source address of a route result (`fib_result_prefsrc`).
    fn result_prefsrc(&self, route: &Route, nh: usize) -> Option<Ipv4Addr> {
        if route.prefsrc.is_some() {
            return route.prefsrc;
        }
        let n = route.nexthops.get(nh)?;
        self.select_addr(n.dev?, n.gateway, route.scope)
    }

    fn flow(
        &self,
        q: &GetQuery,
        dst: Ipv4Addr,
        src: Ipv4Addr,
        iif: IfIndex,
        oif: IfIndex,
    ) -> Flow4 {
        Flow4 {
            dst: u32::from(dst),
            src: u32::from(src),
            iif,
            oif,
            mark: q.mark,
            tos: q.tos,
            proto: q.proto,
            sport: q.sport,
            dport: q.dport,
            scope: 0,
        }
    }

    /// Answers `ip route get`.
    pub fn route_get(&self, q: &GetQuery) -> Result<GetAnswer, GetError> {
        if !matches!(q.proto, 1 | 6 | 17) {
            return Err(GetError::UnsupportedProto);
        }
        let r = match q.iif {
            Some(iif) => self.input_route(q, iif)?,
            None => self.output_route(q)?,
        };
        if q.fibmatch {
            return match r.1 {
                Some((route, table)) => Ok(GetAnswer::Fib {
                    route: route.clone(),
                    table,
                }),
                None => Err(GetError::HostUnreachable),
            };
        }
        Ok(GetAnswer::Route(r.0))
    }

    /// `ip_route_output_key_hash_rcu`.
    pub fn output_route(&self, q: &GetQuery) -> Decision<'_> {
        let mut saddr = q.src.unwrap_or(Ipv4Addr::UNSPECIFIED);
        let mut daddr = q.dst;
        let mut dev_out: Option<IfIndex> = None;
        let oif = q.oif.unwrap_or(0);
        let mk = |rtype, dev, table, gateway, saddr: Ipv4Addr, flags| CachedRoute {
            rtype,
            dst: q.dst,
            from: q.src,
            gateway,
            dev,
            table,
            // the kernel adds RTA_PREFSRC when the source differs from the asked one
            prefsrc: if q.src.unwrap_or(Ipv4Addr::UNSPECIFIED) != saddr {
                Some(saddr)
            } else {
                None
            },
            tos: 0,
            mark: q.mark,
            output: true,
            flags,
            iif: None,
            nat_to: None,
            snat_to: None,
        };
        if let Some(s) = q.src {
            if s.is_multicast() || is_lbcast(s) || is_zeronet(s) {
                return Err(GetError::Invalid);
            }
            if oif == 0 && (daddr.is_multicast() || is_lbcast(daddr)) {
                let d = self
                    .addrs()
                    .iter()
                    .find(|a| a.local == s)
                    .ok_or(GetError::NetUnreachable)?;
                dev_out = Some(d.dev);
            } else if !self.is_local_source(s) {
                return Err(GetError::NetUnreachable);
            }
        }
        if let Some(d) = dev_out {
            // a broadcast or multicast from one of our addresses leaves by its link
            return self.finish_output(q, mk(RouteType::Unicast, d, 0, None, saddr, 0), None);
        }
        if oif != 0 {
            let l = self.link(oif).ok_or(GetError::NoDevice)?;
            if !l.up {
                return Err(GetError::NetUnreachable);
            }
            let local_mc = u32::from(daddr) & 0xffff_ff00 == 0xe000_0000;
            if local_mc || is_lbcast(daddr) {
                if saddr.is_unspecified() {
                    saddr = self
                        .select_addr(oif, None, RT_SCOPE_LINK)
                        .unwrap_or(Ipv4Addr::UNSPECIFIED);
                }
                return self.finish_output(q, mk(RouteType::Unicast, oif, 0, None, saddr, 0), None);
            }
            if saddr.is_unspecified() && daddr.is_unspecified() {
                saddr = self
                    .select_addr(oif, None, RT_SCOPE_HOST)
                    .unwrap_or(Ipv4Addr::UNSPECIFIED);
            }
        }
        if daddr.is_unspecified() {
            daddr = saddr;
            if daddr.is_unspecified() {
                daddr = Ipv4Addr::LOCALHOST;
                saddr = Ipv4Addr::LOCALHOST;
            }
            let _ = daddr;
            return self.finish_output(
                q,
                mk(RouteType::Local, LOOPBACK, 0, None, saddr, RTCF_LOCAL),
                None,
            );
        }
        let fl = self.flow(q, daddr, saddr, LOOPBACK, oif);
        let res = match self.rules.lookup(&self.tables, &fl, None) {
            Ok(r) => r,
            Err(e) => {
                if oif != 0 {
                    // "Apparently, routing tables are wrong. Assume, that the destination is on link."
                    if saddr.is_unspecified() {
                        saddr = self
                            .select_addr(oif, None, RT_SCOPE_LINK)
                            .unwrap_or(Ipv4Addr::UNSPECIFIED);
                    }
                    return self.finish_output(
                        q,
                        mk(RouteType::Unicast, oif, 0, None, saddr, 0),
                        None,
                    );
                }
                return Err(GetError::Fib(e));
            }
        };
        let fib = Some((res.route, res.table));
        let nh = &res.route.nexthops[res.nh];
        match res.route.rtype {
            RouteType::Local => {
                if saddr.is_unspecified() {
                    saddr = res.route.prefsrc.unwrap_or(daddr);
                }
                let mut c = mk(
                    RouteType::Local,
                    LOOPBACK,
                    res.table,
                    None,
                    saddr,
                    RTCF_LOCAL,
                );
                c.tos = res.route.tos;
                self.finish_output(q, c, fib)
            }
            RouteType::Nat => {
                let to = nh.gateway.unwrap_or(daddr);
                let mut inner = *q;
                inner.dst = to;
                let (mut c, _) = self.output_route(&inner)?;
                c.dst = q.dst;
                c.rtype = RouteType::Nat;
                c.flags |= RTCF_DNAT;
                c.nat_to = Some(to);
                // as 2.4 kernels printed a NATed route: the mapped address is the next hop
                c.gateway = c.gateway.or(Some(to));
                Ok((c, fib))
            }
            _ => {
                if saddr.is_unspecified() {
                    saddr = self
                        .result_prefsrc(res.route, res.nh)
                        .unwrap_or(Ipv4Addr::UNSPECIFIED);
                }
                let dev = nh.dev.unwrap_or(LOOPBACK);
                let gw = if nh.uses_gateway() { nh.gateway } else { None };
                let mut c = mk(res.route.rtype, dev, res.table, gw, saddr, 0);
                c.tos = res.route.tos;
                if res.rule.is_some_and(|r| r.nat.is_some()) {
                    c.flags |= RTCF_SNAT;
                }
                self.finish_output(q, c, fib)
            }
        }
    }

    /// `__mkroute_output`.
    fn finish_output<'a>(
        &'a self,
        q: &GetQuery,
        mut c: CachedRoute,
        fib: Option<(&'a Route, TableId)>,
    ) -> Decision<'a> {
        let saddr = c.prefsrc.or(q.src).unwrap_or(Ipv4Addr::UNSPECIFIED);
        if is_loopback(saddr) && c.dev != LOOPBACK {
            return Err(GetError::Invalid);
        }
        if is_lbcast(q.dst) {
            c.rtype = RouteType::Broadcast;
        } else if q.dst.is_multicast() {
            c.rtype = RouteType::Multicast;
        } else if is_zeronet(q.dst) && c.rtype != RouteType::Local {
            return Err(GetError::Invalid);
        }
        if c.dev == LOOPBACK {
            c.flags |= RTCF_LOCAL;
        }
        if c.rtype == RouteType::Broadcast {
            c.flags |= RTCF_BROADCAST | RTCF_LOCAL;
            c.gateway = None;
        } else if c.rtype == RouteType::Multicast {
            c.flags |= 0x2000_0000 | RTCF_LOCAL;
            c.gateway = None;
        }
        Ok((c, fib))
    }

    /// A conf value by its index in the commit-time cache (`state::FAST_KEYS` order:
    /// forwarding, rp_filter, accept_local, send_redirects), or by name before commit.
    #[inline]
    fn conf_fast(&self, dev: IfIndex, k: usize, key: &str) -> u32 {
        debug_assert_eq!(crate::state::FAST_KEYS[k], key);
        if let Some(v) = self.fast_conf_at(dev, k) {
            return v;
        }
        self.sysctl.conf(&self.link_name(dev), key)
    }

    /// `fib_validate_source`: Ok(true) when the source is directly connected through the
    /// input interface (a redirect candidate), Err on a martian or rp_filter failure.
    fn validate_source(
        &self,
        q: &GetQuery,
        src: Ipv4Addr,
        dst: Ipv4Addr,
        oif: IfIndex,
        dev: IfIndex,
    ) -> Result<bool, GetError> {
        let rpf = self.conf_fast(dev, 1, "rp_filter");
        let accept_local = self.conf_fast(dev, 2, "accept_local") != 0;
        if rpf == 0 && (dev != oif || self.conf_fast(dev, 3, "send_redirects") == 0) {
            if accept_local {
                return Ok(false);
            }
            if !self.rules.has_custom_rules() && !self.has_custom_local_routes() {
                return if self.is_local_addr(src) {
                    Err(GetError::Invalid)
                } else {
                    Ok(false)
                };
            }
        }
        let mut fl = Flow4 {
            dst: u32::from(src),
            src: u32::from(dst),
            iif: if oif != 0 { oif } else { LOOPBACK },
            tos: q.tos,
            mark: 0,
            ..Default::default()
        };
        // the reverse flow carries protocol and (swapped) ports only when some rule
        // selects on them (the kernel's fib_rules_require_fldissect)
        if self.rules_need_flow_dissect() {
            let (sport, dport) = self.packet_ports(q);
            fl.proto = q.proto;
            fl.sport = dport;
            fl.dport = sport;
        }
        let no_addr = self.addrs_of(dev).next().is_none();
        let res = match self.rules.lookup(&self.tables, &fl, None) {
            Ok(r) => r,
            Err(_) => {
                return if rpf != 0 {
                    Err(GetError::CrossDevice)
                } else {
                    Ok(false)
                }
            }
        };
        if res.route.rtype != RouteType::Unicast
            && !(res.route.rtype == RouteType::Local && accept_local)
        {
            return Err(GetError::Invalid);
        }
        if res.route.uses_dev(dev) {
            return Ok(res.route.nexthops[res.nh].nh_scope >= RT_SCOPE_HOST);
        }
        if no_addr {
            return if rpf != 0 {
                Err(GetError::CrossDevice)
            } else {
                Ok(false)
            };
        }
        if rpf == 1 {
            return Err(GetError::CrossDevice);
        }
        fl.oif = dev;
        Ok(match self.rules.lookup(&self.tables, &fl, None) {
            Ok(r) if r.route.rtype == RouteType::Unicast => {
                r.route.nexthops[r.nh].nh_scope >= RT_SCOPE_HOST
            }
            _ => false,
        })
    }

    /// The kernel's `fib_has_custom_local_routes`: a local route added by hand.
    pub(crate) fn has_custom_local_routes(&self) -> bool {
        if let Some(f) = self.fast() {
            return f.custom_local_routes;
        }
        self.tables.in_dump_order().iter().any(|t| {
            t.iter().any(|r| {
                r.rtype == RouteType::Local && r.protocol != ruta_fib::route::RTPROT_KERNEL
            })
        })
    }

    /// `ip_route_input_slow`: the routing decision for a packet received on `iif` (the
    /// pipeline's, for every forwarded packet, and `ip route get ... iif`'s). Allocation
    /// free on a committed router; the route is the FIB entry that decided, if any.
    pub fn input_route(&self, q: &GetQuery, iif: IfIndex) -> Decision<'_> {
        self.link(iif).ok_or(GetError::NoDevice)?;
        let saddr = q.src.unwrap_or(Ipv4Addr::UNSPECIFIED);
        let daddr = q.dst;
        let base = CachedRoute {
            rtype: RouteType::Unicast,
            dst: daddr,
            from: q.src,
            gateway: None,
            dev: LOOPBACK,
            table: 0,
            prefsrc: None,
            tos: 0,
            mark: q.mark,
            output: false,
            flags: 0,
            iif: Some(iif),
            nat_to: None,
            snat_to: None,
        };
        if saddr.is_multicast() || is_lbcast(saddr) {
            return Err(GetError::Invalid);
        }
        if is_lbcast(daddr) || (saddr.is_unspecified() && daddr.is_unspecified()) {
            if !is_zeronet(saddr) {
                self.validate_source(q, saddr, Ipv4Addr::UNSPECIFIED, 0, iif)?;
            }
            return Ok((
                CachedRoute {
                    rtype: RouteType::Broadcast,
                    flags: RTCF_BROADCAST | RTCF_LOCAL,
                    ..base
                },
                None,
            ));
        }
        if is_zeronet(saddr) || is_zeronet(daddr) || is_loopback(daddr) || is_loopback(saddr) {
            return Err(GetError::Invalid);
        }
        let forwarding = self.conf_fast(iif, 0, "forwarding") != 0;
        let mut fl = self.flow(q, daddr, saddr, iif, 0);
        (fl.sport, fl.dport) = self.packet_ports(q);
        let res = match self.rules.lookup(&self.tables, &fl, None) {
            Ok(r) => r,
            Err(e) => {
                return Err(if !forwarding {
                    GetError::HostUnreachable
                } else {
                    GetError::Fib(e)
                })
            }
        };
        let fib = Some((res.route, res.table));
        match res.route.rtype {
            RouteType::Broadcast => {
                self.validate_source(q, saddr, Ipv4Addr::UNSPECIFIED, 0, iif)?;
                Ok((
                    CachedRoute {
                        rtype: RouteType::Broadcast,
                        table: res.table,
                        tos: res.route.tos,
                        flags: RTCF_BROADCAST | RTCF_LOCAL,
                        ..base
                    },
                    fib,
                ))
            }
            RouteType::Local => {
                self.validate_source(q, saddr, daddr, 0, iif)?;
                Ok((
                    CachedRoute {
                        rtype: RouteType::Local,
                        table: res.table,
                        tos: res.route.tos,
                        flags: RTCF_LOCAL,
                        ..base
                    },
                    fib,
                ))
            }
            RouteType::Nat => {
                // Route NAT: the destination is rewritten, then routed again.
                let to = res.route.nexthops[0].gateway.unwrap_or(daddr);
                let mut inner = *q;
                inner.dst = to;
                let (mut c, _) = self.input_route(&inner, iif)?;
                c.dst = daddr;
                c.rtype = RouteType::Nat;
                c.flags |= RTCF_DNAT;
                c.nat_to = Some(to);
                // as 2.4 kernels printed a NATed route: the mapped address is the next hop
                c.gateway = c.gateway.or(Some(to));
                Ok((c, fib))
            }
            RouteType::Unicast => {
                if !forwarding {
                    return Err(GetError::HostUnreachable);
                }
                let nh = &res.route.nexthops[res.nh];
                let out = nh.dev.ok_or(GetError::Invalid)?;
                let connected = self.validate_source(q, saddr, daddr, out, iif)?;
                let mut flags = 0;
                if out == iif && connected && self.conf_fast(out, 3, "send_redirects") != 0 {
                    flags |= RTCF_DOREDIRECT;
                }
                let snat_to = res.rule.and_then(|r| r.nat);
                if snat_to.is_some() {
                    flags |= RTCF_SNAT;
                }
                Ok((
                    CachedRoute {
                        rtype: RouteType::Unicast,
                        gateway: if nh.uses_gateway() { nh.gateway } else { None },
                        dev: out,
                        tos: res.route.tos,
                        table: if res.table == RT_TABLE_MAIN {
                            RT_TABLE_MAIN
                        } else {
                            res.table
                        },
                        flags,
                        snat_to,
                        ..base
                    },
                    fib,
                ))
            }
            _ => Err(GetError::Invalid),
        }
    }
}
