//! The immutable state every packet reads: the committed router (interfaces, addresses,
//! tables, rules, sysctls), the compiled netfilter tables, and per-port facts resolved once
//! (MAC, MTU, addresses to answer ARP for). Built when a config is applied; swapped whole
//! on reload. Nothing in here changes while packets run.

use ruta_config::state::LinkKind;
use ruta_config::Router;
use ruta_fib::route::RouteType;
use ruta_fib::IfIndex;
use ruta_netfilter::Compiled;
use std::net::Ipv4Addr;

/// One interface as the packet path sees it.
#[derive(Clone, Debug)]
pub struct Port {
    pub index: IfIndex,
    pub name: String,
    pub mac: [u8; 6],
    pub mtu: u32,
    pub up: bool,
    /// An L3 port (TUN): frames are IP packets, no Ethernet header.
    pub tun: bool,
    /// Subnets configured on the port: (address, prefix length).
    pub nets: Vec<(u32, u8)>,
}

impl Port {
    /// True when `a` is inside one of the port's subnets (on-link here).
    pub fn on_link(&self, a: u32) -> bool {
        self.nets.iter().any(|&(n, l)| {
            let m = ruta_fib::table::prefix_mask(l);
            n & m == a & m
        })
    }
}

/// Everything a packet reads.
pub struct Snapshot {
    pub router: Router,
    pub nf: Compiled,
    ports: Vec<Option<Port>>,
    /// Addresses of `nat` routes (route NAT): answered by proxy ARP on the port whose subnet
    /// holds them.
    nat_addrs: Vec<u32>,
}

/// The MAC ruta gives a port that has none of its own (offline evaluation, `dummy`
/// links): locally administered, the interface index in the last bytes.
pub fn offline_mac(index: IfIndex) -> [u8; 6] {
    let i = index.to_be_bytes();
    [0x02, 0x72, i[0], i[1], i[2], i[3]]
}

impl Snapshot {
    /// Builds the snapshot of a router (committing it first).
    pub fn new(mut router: Router) -> Snapshot {
        router.commit();
        let max = router.links().iter().map(|l| l.index).max().unwrap_or(0) as usize;
        let mut ports: Vec<Option<Port>> = vec![None; max + 1];
        for l in router.links() {
            let nets = router
                .addrs_of(l.index)
                .map(|a| (u32::from(a.local), a.plen))
                .collect();
            let mac = if l.mac == [0; 6] && !matches!(l.kind, LinkKind::Loopback) {
                offline_mac(l.index)
            } else {
                l.mac
            };
            ports[l.index as usize] = Some(Port {
                index: l.index,
                name: l.name.clone(),
                mac,
                mtu: l.mtu,
                up: l.up,
                tun: matches!(l.kind, LinkKind::Tun),
                nets,
            });
        }
        // netfilter's port indices are interface indices
        let names: Vec<&str> = ports
            .iter()
            .map(|p| p.as_ref().map_or("", |p| p.name.as_str()))
            .collect();
        let nf = router.netfilter.compile(&names);
        let mut nat_addrs: Vec<u32> = router
            .tables
            .in_dump_order()
            .iter()
            .flat_map(|t| t.iter())
            .filter(|r| r.rtype == RouteType::Nat)
            .map(|r| r.prefix.addr_u32())
            .collect();
        nat_addrs.sort_unstable();
        nat_addrs.dedup();
        Snapshot {
            router,
            nf,
            ports,
            nat_addrs,
        }
    }

    #[inline]
    pub fn port(&self, index: IfIndex) -> Option<&Port> {
        self.ports.get(index as usize)?.as_ref()
    }

    pub fn port_by_name(&self, name: &str) -> Option<&Port> {
        self.ports.iter().flatten().find(|p| p.name == name)
    }

    pub fn ports(&self) -> impl Iterator<Item = &Port> {
        self.ports.iter().flatten()
    }

    /// Whether ARP requests for `target` arriving on `port` are answered: one of the
    /// router's addresses (arp_ignore=0 answers for any local address), or a route-NAT
    /// address inside the port's subnets (the proxy ARP route NAT needs).
    pub fn answers_arp(&self, port: &Port, target: u32) -> bool {
        if self.router.is_local_addr(Ipv4Addr::from(target)) {
            return true;
        }
        self.nat_addrs.binary_search(&target).is_ok() && port.on_link(target)
    }
}
