//! ruta-fib: the routing tables of ruta.
//!
//! Owns what `ip route` manipulates: prefixes ([`Prefix4`]), routes and their nexthops
//! ([`Route`], [`Nexthop`], [`RouteType`]), one routing table ([`Table`]) with the kernel's
//! alias ordering and lookup semantics, the set of tables ([`Tables`]), and the compiled
//! longest-prefix-match structure ([`lpm::Lpm4`]) that lookups run on.
//!
//! It must not know about rules (`ruta-policy`), interfaces' names or addresses
//! (`ruta-config`), sockets or threads: interfaces are plain indexes here.

pub mod lpm;
pub mod prefix;
pub mod route;
pub mod table;

pub use prefix::{parse_addr, parse_addr_len, parse_prefix, parse_selector, Prefix4, PrefixError};
pub use route::{
    protocol_name, rtn, scope_name, Nexthop, Route, RouteType, RT_SCOPE_HOST, RT_SCOPE_LINK,
    RT_SCOPE_NOWHERE, RT_SCOPE_SITE, RT_SCOPE_UNIVERSE,
};
pub use table::{Flow4, LookupError, Table, TableMatch, Tables};

/// Interface index, as the kernel's `ifindex` (1 is `lo`).
pub type IfIndex = u32;
/// Routing table id (0..=2^32-1; 253 default, 254 main, 255 local).
pub type TableId = u32;

pub const RT_TABLE_UNSPEC: TableId = 0;
pub const RT_TABLE_DEFAULT: TableId = 253;
pub const RT_TABLE_MAIN: TableId = 254;
pub const RT_TABLE_LOCAL: TableId = 255;
