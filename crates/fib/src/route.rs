//! Routes and nexthops, with the kernel's numbers and names for types, scopes and protocols.
//!
//! Values are the kernel's (`RTN_*`, `RT_SCOPE_*`, `RTPROT_*`) so that what a user types
//! and what `ip route show` prints map one to one.

use crate::{IfIndex, Prefix4};
use std::net::Ipv4Addr;

pub const RT_SCOPE_UNIVERSE: u8 = 0;
pub const RT_SCOPE_SITE: u8 = 200;
pub const RT_SCOPE_LINK: u8 = 253;
pub const RT_SCOPE_HOST: u8 = 254;
pub const RT_SCOPE_NOWHERE: u8 = 255;

/// Kernel route type numbers (`RTN_*`).
pub mod rtn {
    pub const UNSPEC: u8 = 0;
    pub const UNICAST: u8 = 1;
    pub const LOCAL: u8 = 2;
    pub const BROADCAST: u8 = 3;
    pub const ANYCAST: u8 = 4;
    pub const MULTICAST: u8 = 5;
    pub const BLACKHOLE: u8 = 6;
    pub const UNREACHABLE: u8 = 7;
    pub const PROHIBIT: u8 = 8;
    pub const THROW: u8 = 9;
    pub const NAT: u8 = 10;
}

/// The type of a route: what happens to a packet that matches it.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug, Default)]
pub enum RouteType {
    /// Forward via the nexthop(s).
    #[default]
    Unicast,
    /// Deliver to this host.
    Local,
    /// Broadcast address of a local subnet: deliver locally (and never forward).
    Broadcast,
    Anycast,
    Multicast,
    /// Drop silently.
    Blackhole,
    /// Drop with ICMP host unreachable (EHOSTUNREACH).
    Unreachable,
    /// Drop with ICMP communication administratively prohibited (EACCES).
    Prohibit,
    /// Continue with the next policy rule, as if this table had no match.
    Throw,
    /// Stateless NAT (route NAT, removed from Linux in 2.6; ruta keeps it): the destination
    /// is rewritten to the nexthop's gateway address.
    Nat,
}

impl RouteType {
    pub const ALL: [RouteType; 10] = [
        RouteType::Unicast,
        RouteType::Local,
        RouteType::Broadcast,
        RouteType::Anycast,
        RouteType::Multicast,
        RouteType::Blackhole,
        RouteType::Unreachable,
        RouteType::Prohibit,
        RouteType::Throw,
        RouteType::Nat,
    ];

    /// The word iproute2 uses.
    pub fn name(self) -> &'static str {
        match self {
            RouteType::Unicast => "unicast",
            RouteType::Local => "local",
            RouteType::Broadcast => "broadcast",
            RouteType::Anycast => "anycast",
            RouteType::Multicast => "multicast",
            RouteType::Blackhole => "blackhole",
            RouteType::Unreachable => "unreachable",
            RouteType::Prohibit => "prohibit",
            RouteType::Throw => "throw",
            RouteType::Nat => "nat",
        }
    }

    pub fn from_name(s: &str) -> Option<RouteType> {
        RouteType::ALL.into_iter().find(|t| t.name() == s)
    }

    pub fn number(self) -> u8 {
        match self {
            RouteType::Unicast => rtn::UNICAST,
            RouteType::Local => rtn::LOCAL,
            RouteType::Broadcast => rtn::BROADCAST,
            RouteType::Anycast => rtn::ANYCAST,
            RouteType::Multicast => rtn::MULTICAST,
            RouteType::Blackhole => rtn::BLACKHOLE,
            RouteType::Unreachable => rtn::UNREACHABLE,
            RouteType::Prohibit => rtn::PROHIBIT,
            RouteType::Throw => rtn::THROW,
            RouteType::Nat => rtn::NAT,
        }
    }

    /// Types whose lookup ends in an error rather than a nexthop (the kernel's `fib_props`
    /// error column): they carry no nexthop.
    pub fn is_reject(self) -> bool {
        matches!(
            self,
            RouteType::Blackhole | RouteType::Unreachable | RouteType::Prohibit | RouteType::Throw
        )
    }

    /// The narrowest scope the kernel allows for this type (`fib_props[type].scope`).
    pub fn min_scope(self) -> u8 {
        match self {
            RouteType::Local => RT_SCOPE_HOST,
            RouteType::Broadcast | RouteType::Anycast => RT_SCOPE_LINK,
            // The kernel's RTN_NAT has scope NOWHERE (it refuses the type); ruta accepts it
            // with scope host, as 2.4 kernels did.
            RouteType::Nat => RT_SCOPE_HOST,
            _ => RT_SCOPE_UNIVERSE,
        }
    }
}

/// Scope names as in iproute2's `rt_scopes`.
pub fn scope_name(scope: u8) -> String {
    match scope {
        RT_SCOPE_UNIVERSE => "global".into(),
        RT_SCOPE_SITE => "site".into(),
        RT_SCOPE_LINK => "link".into(),
        RT_SCOPE_HOST => "host".into(),
        RT_SCOPE_NOWHERE => "nowhere".into(),
        n => n.to_string(),
    }
}

pub fn scope_from_name(s: &str) -> Option<u8> {
    match s {
        "global" | "universe" => Some(RT_SCOPE_UNIVERSE),
        "site" => Some(RT_SCOPE_SITE),
        "link" => Some(RT_SCOPE_LINK),
        "host" => Some(RT_SCOPE_HOST),
        "nowhere" => Some(RT_SCOPE_NOWHERE),
        _ => parse_u8_any(s),
    }
}

pub const RTPROT_UNSPEC: u8 = 0;
pub const RTPROT_KERNEL: u8 = 2;
pub const RTPROT_BOOT: u8 = 3;
pub const RTPROT_STATIC: u8 = 4;

const PROTOS: &[(u8, &str)] = &[
    (0, "unspec"),
    (1, "redirect"),
    (2, "kernel"),
    (3, "boot"),
    (4, "static"),
    (8, "gated"),
    (9, "ra"),
    (10, "mrt"),
    (11, "zebra"),
    (12, "bird"),
    (13, "dnrouted"),
    (14, "xorp"),
    (15, "ntk"),
    (16, "dhcp"),
    (18, "keepalived"),
    (42, "babel"),
    (99, "openr"),
    (186, "bgp"),
    (187, "isis"),
    (188, "ospf"),
    (189, "rip"),
    (192, "eigrp"),
];

/// Protocol names as in iproute2's `rt_protos`.
pub fn protocol_name(p: u8) -> String {
    PROTOS
        .iter()
        .find(|(n, _)| *n == p)
        .map(|(_, s)| s.to_string())
        .unwrap_or_else(|| p.to_string())
}

pub fn protocol_from_name(s: &str) -> Option<u8> {
    PROTOS
        .iter()
        .find(|(_, n)| *n == s)
        .map(|(p, _)| *p)
        .or_else(|| parse_u8_any(s))
}

/// Parses a number the way iproute2's `get_u8`/`get_unsigned` do (decimal, 0x hex, 0 octal).
pub fn parse_u8_any(s: &str) -> Option<u8> {
    parse_u32_any(s).and_then(|v| u8::try_from(v).ok())
}

/// strtoul(s, 0) without sign or trailing garbage.
pub fn parse_u32_any(s: &str) -> Option<u32> {
    if s.is_empty() || s.starts_with('+') || s.starts_with('-') {
        return None;
    }
    if let Some(h) = s.strip_prefix("0x").or_else(|| s.strip_prefix("0X")) {
        if h.is_empty() {
            return None;
        }
        u32::from_str_radix(h, 16).ok()
    } else if s.len() > 1 && s.starts_with('0') {
        u32::from_str_radix(&s[1..], 8).ok()
    } else {
        s.parse().ok()
    }
}

/// One nexthop of a route.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Nexthop {
    pub gateway: Option<Ipv4Addr>,
    /// Output interface; for a gateway without `dev`, resolved at insert time from the route
    /// to the gateway, as the kernel does.
    pub dev: Option<IfIndex>,
    /// `weight` (1..=256), for multipath.
    pub weight: u16,
    pub onlink: bool,
    /// The nexthop's own scope (`fib_nh_scope`): host for a device route, the scope of the
    /// route through which the gateway was found otherwise. A gateway counts as a gateway
    /// (printed `via` by `route get`) only when this is link.
    pub nh_scope: u8,
    /// Set when the interface went down; a dead nexthop is skipped by lookups.
    pub dead: bool,
}

impl Nexthop {
    pub fn dev(dev: IfIndex) -> Nexthop {
        Nexthop {
            gateway: None,
            dev: Some(dev),
            weight: 1,
            onlink: false,
            nh_scope: RT_SCOPE_HOST,
            dead: false,
        }
    }

    /// True when `route get` shows the gateway (the kernel's `rt_uses_gateway`).
    pub fn uses_gateway(&self) -> bool {
        self.gateway.is_some() && self.nh_scope == RT_SCOPE_LINK
    }
}

/// One route (the kernel's fib_alias + fib_info).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Route {
    pub prefix: Prefix4,
    pub rtype: RouteType,
    pub tos: u8,
    /// `metric` / `preference` / `priority`.
    pub metric: u32,
    pub protocol: u8,
    pub scope: u8,
    pub prefsrc: Option<Ipv4Addr>,
    /// Empty for reject types (blackhole, unreachable, prohibit, throw). Nat routes carry
    /// their map-to address as the gateway of the single nexthop.
    pub nexthops: Vec<Nexthop>,
}

impl Route {
    /// The first nexthop, where there is one.
    pub fn nh(&self) -> Option<&Nexthop> {
        self.nexthops.first()
    }

    /// True when the route uses interface `dev` in any nexthop.
    pub fn uses_dev(&self, dev: IfIndex) -> bool {
        self.nexthops.iter().any(|n| n.dev == Some(dev))
    }

    /// The kernel's notion of "the same fib_info": everything except the prefix, type and tos.
    pub fn same_info(&self, o: &Route) -> bool {
        self.metric == o.metric
            && self.protocol == o.protocol
            && self.scope == o.scope
            && self.prefsrc == o.prefsrc
            && self.nexthops.len() == o.nexthops.len()
            && self.nexthops.iter().zip(&o.nexthops).all(|(a, b)| {
                a.gateway == b.gateway
                    && a.dev == b.dev
                    && a.weight == b.weight
                    && a.onlink == b.onlink
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        for t in RouteType::ALL {
            assert_eq!(RouteType::from_name(t.name()), Some(t));
        }
        assert_eq!(protocol_name(99), "openr");
        assert_eq!(protocol_name(77), "77");
        assert_eq!(protocol_from_name("static"), Some(4));
        assert_eq!(protocol_from_name("0x10"), Some(16));
        assert_eq!(scope_from_name("link"), Some(RT_SCOPE_LINK));
        assert_eq!(scope_name(RT_SCOPE_HOST), "host");
    }

    #[test]
    fn numbers() {
        assert_eq!(parse_u32_any("010"), Some(8));
        assert_eq!(parse_u32_any("0x1f"), Some(31));
        assert_eq!(parse_u32_any("0"), Some(0));
        assert_eq!(parse_u32_any("-1"), None);
        assert_eq!(parse_u32_any("4294967296"), None);
        assert_eq!(parse_u8_any("256"), None);
    }
}
