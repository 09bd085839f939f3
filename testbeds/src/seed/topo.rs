//! The seed's network as namespaces: masq-gw and everything around it, with
//! test addresses only (see [`super::addr`]).
//!
//! ```text
//!  desktop 198.18.99.10,.11 ─┐                      ┌─ eth0 T1 provider 198.51.100.254 ─ eth1 ─┐
//!                            ├─ lan (bridge) ─ eth0 ┤                                           ├─ internet
//!  isolde 198.18.100.10,.17,.20┘        masq-gw     ├─ eth4 DSL provider 203.0.113.14 ─ eth1 ──┘  198.19.0.10
//!                                                   └─ eth3 branch 198.18.100.1, 198.18.38.1       198.19.0.20
//! ```
//!
//! Owns the namespaces (named `ruta-sb-<pid>-<n>-<role>`, deleted on drop and on
//! SIGINT/SIGTERM through [`super::cleanup`]), their links, addresses and routes, and the
//! providers' ingress filters. It configures nothing on masq-gw beyond its links
//! being up (the modes do that), and nothing at all in the root namespace: every
//! command is `ip -n NS ...` or runs in a namespace.

use std::net::Ipv4Addr;
use std::sync::atomic::{AtomicUsize, Ordering};

use super::cleanup::NsGuard;
use crate::netns::Netns;

/// Prefix of every namespace of this testbed.
pub const PREFIX: &str = "ruta-sb-";

pub const DESKTOP: Ipv4Addr = Ipv4Addr::new(198, 18, 99, 10);
pub const DESKTOP2: Ipv4Addr = Ipv4Addr::new(198, 18, 99, 11);
pub const GW_INSIDE: Ipv4Addr = Ipv4Addr::new(198, 18, 99, 254);
/// isolde's address published through DSL by route NAT (Example 10.4).
pub const ISOLDE_DSL: Ipv4Addr = Ipv4Addr::new(198, 18, 100, 10);
/// isolde's address published through T1 by route NAT (Example 10.4).
pub const ISOLDE_T1: Ipv4Addr = Ipv4Addr::new(198, 18, 100, 17);
/// isolde's one address behind section 4.3's DNAT.
pub const ISOLDE_WEB: Ipv4Addr = Ipv4Addr::new(198, 18, 100, 20);
pub const T1_GW_ADDR: Ipv4Addr = Ipv4Addr::new(198, 51, 100, 179);
pub const T1_PROVIDER: Ipv4Addr = Ipv4Addr::new(198, 51, 100, 254);
pub const PUB_T1_ROUTE_NAT: Ipv4Addr = Ipv4Addr::new(198, 51, 100, 17);
pub const PUB_T1_DNAT: Ipv4Addr = Ipv4Addr::new(198, 51, 100, 18);
pub const DSL_GW_ADDR: Ipv4Addr = Ipv4Addr::new(203, 0, 113, 12);
pub const DSL_PROVIDER: Ipv4Addr = Ipv4Addr::new(203, 0, 113, 14);
pub const PUB_DSL_ROUTE_NAT: Ipv4Addr = Ipv4Addr::new(203, 0, 113, 10);
pub const PUB_DSL_DNAT: Ipv4Addr = Ipv4Addr::new(203, 0, 113, 11);
pub const BRANCH_HOST: Ipv4Addr = Ipv4Addr::new(198, 18, 38, 1);
/// The far web/ssh/dns server.
pub const FAR: Ipv4Addr = Ipv4Addr::new(198, 19, 0, 10);
/// The outside client.
pub const OUTSIDE: Ipv4Addr = Ipv4Addr::new(198, 19, 0, 20);

/// masq-gw's interfaces, as the seed names them.
pub const GW_IFACES: [&str; 4] = ["eth0", "eth1", "eth3", "eth4"];

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Role {
    Gw,
    Lan,
    Desktop,
    Isolde,
    Branch,
    T1,
    Dsl,
    Internet,
}

impl Role {
    pub const ALL: [Role; 8] = [
        Role::Gw,
        Role::Lan,
        Role::Desktop,
        Role::Isolde,
        Role::Branch,
        Role::T1,
        Role::Dsl,
        Role::Internet,
    ];

    pub fn short(self) -> &'static str {
        match self {
            Role::Gw => "gw",
            Role::Lan => "lan",
            Role::Desktop => "desk",
            Role::Isolde => "isolde",
            Role::Branch => "branch",
            Role::T1 => "t1",
            Role::Dsl => "dsl",
            Role::Internet => "inet",
        }
    }
}

/// What [`Topology::build`] makes, for printing at start.
pub fn describe() -> Vec<String> {
    [
        "namespaces ruta-sb-<pid>-<n>-{gw,lan,desk,isolde,branch,t1,dsl,inet}; nothing in the root namespace",
        "gw (masq-gw): eth0 -> lan, eth1 -> t1, eth4 -> dsl, eth3 -> branch (configured by the mode)",
        "lan: bridge br0 joining gw eth0, desk, isolde",
        "desk: eth0 198.18.99.10/24 and .11/24, default via 198.18.99.254",
        "isolde: eth0 198.18.100.10/24, .17/24, .20/24, default via 198.18.100.254; web on :80 of each",
        "branch: eth0 198.18.100.1/30, 198.18.38.1/32 on lo, default via 198.18.100.2",
        "t1 (T1 provider): eth0 198.51.100.254/24 to gw, eth1 198.18.201.1/30 to inet;",
        "   198.51.100.17/32 via 198.51.100.179 (the route-NAT address is routed to the customer);",
        "   drops what comes from gw with a source outside 198.51.100.0/24 (iptables FORWARD)",
        "dsl (DSL provider): eth0 203.0.113.14/28 to gw, eth1 198.18.202.1/30 to inet;",
        "   203.0.113.10/32 via 203.0.113.12; drops sources outside 203.0.113.0/28 from gw",
        "inet: 198.19.0.10 (tcp 80, 443, 22; udp 53) and 198.19.0.20 (outside client) on lo,",
        "   198.51.100.0/24 via t1, 203.0.113.0/28 via dsl",
        "captures: AF_PACKET on eth0 of t1, dsl and branch (the links to gw)",
        "every namespace: IPv6 off, rp_filter 0; forwarding on in t1, dsl, inet (and gw in kernel mode)",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect()
}

static RUN: AtomicUsize = AtomicUsize::new(0);

/// The namespaces of one run, deleted on drop (in reverse creation order).
pub struct Topology {
    /// `ruta-sb-<pid>-<n>-`
    pub run_id: String,
    ns: Vec<(Role, NsGuard)>,
}

fn step(ns: &Netns, what: &str, out: crate::netns::CmdOutput) -> Result<(), String> {
    if out.ok() {
        Ok(())
    } else {
        Err(format!("{} in {}: {}", what, ns.name(), out.stderr.trim()))
    }
}

impl Topology {
    /// Builds every namespace, link, address and route. `gw_forwards` turns on
    /// the kernel's forwarding in masq-gw (kernel mode); in ruta mode it stays off.
    pub fn build(gw_forwards: bool) -> Result<Topology, String> {
        crate::netns::cleanup_stale_with_prefix(PREFIX);
        let n = RUN.fetch_add(1, Ordering::Relaxed);
        let run_id = format!("{PREFIX}{}-{n}-", std::process::id());
        let mut t = Topology {
            run_id,
            ns: Vec::new(),
        };
        for r in Role::ALL {
            let name = format!("{}{}", t.run_id, r.short());
            t.ns.push((r, NsGuard::create(&name)?));
        }
        for r in Role::ALL {
            let fwd = match r {
                Role::T1 | Role::Dsl | Role::Internet => true,
                Role::Gw => gw_forwards,
                _ => false,
            };
            t.ns(r).sysctl(&[
                "net.ipv6.conf.all.disable_ipv6=1".into(),
                "net.ipv6.conf.default.disable_ipv6=1".into(),
                "net.ipv4.conf.all.rp_filter=0".into(),
                "net.ipv4.conf.default.rp_filter=0".into(),
                format!("net.ipv4.ip_forward={}", u8::from(fwd)),
            ])?;
        }
        t.links()?;
        t.addresses()?;
        t.filters()?;
        Ok(t)
    }

    pub fn ns(&self, r: Role) -> &Netns {
        self.ns
            .iter()
            .find(|(x, _)| *x == r)
            .map(|(_, g)| g.ns())
            .expect("every role is built")
    }

    pub fn name(&self, r: Role) -> &str {
        self.ns(r).name()
    }

    fn batch(&self, r: Role, what: &str, lines: &str) -> Result<(), String> {
        let ns = self.ns(r);
        step(ns, what, ns.ip_batch(lines, false))
    }

    fn links(&self) -> Result<(), String> {
        let n = |r: Role| self.name(r).to_string();
        self.batch(
            Role::Gw,
            "gw links",
            &format!(
                "link set lo up\n\
                 link add eth0 type veth peer name gw0 netns {lan}\n\
                 link add eth1 type veth peer name eth0 netns {t1}\n\
                 link add eth4 type veth peer name eth0 netns {dsl}\n\
                 link add eth3 type veth peer name eth0 netns {br}\n\
                 link set eth0 up\nlink set eth1 up\nlink set eth3 up\nlink set eth4 up\n",
                lan = n(Role::Lan),
                t1 = n(Role::T1),
                dsl = n(Role::Dsl),
                br = n(Role::Branch)
            ),
        )?;
        self.batch(
            Role::Lan,
            "lan bridge",
            &format!(
                "link set lo up\n\
                 link add br0 type bridge\n\
                 link add desk0 type veth peer name eth0 netns {desk}\n\
                 link add srv0 type veth peer name eth0 netns {isolde}\n\
                 link set gw0 master br0\nlink set desk0 master br0\nlink set srv0 master br0\n\
                 link set br0 up\nlink set gw0 up\nlink set desk0 up\nlink set srv0 up\n",
                desk = n(Role::Desktop),
                isolde = n(Role::Isolde)
            ),
        )?;
        self.batch(
            Role::T1,
            "t1 links",
            &format!(
                "link add eth1 type veth peer name t1 netns {}\n",
                n(Role::Internet)
            ),
        )?;
        self.batch(
            Role::Dsl,
            "dsl links",
            &format!(
                "link add eth1 type veth peer name dsl netns {}\n",
                n(Role::Internet)
            ),
        )?;
        Ok(())
    }

    fn addresses(&self) -> Result<(), String> {
        self.batch(
            Role::Desktop,
            "desktop addresses",
            "link set lo up\nlink set eth0 up\n\
             addr add 198.18.99.10/24 dev eth0\naddr add 198.18.99.11/24 dev eth0\n\
             route add default via 198.18.99.254\n",
        )?;
        self.batch(
            Role::Isolde,
            "isolde addresses",
            "link set lo up\nlink set eth0 up\n\
             addr add 198.18.100.10/24 dev eth0\naddr add 198.18.100.17/24 dev eth0\n\
             addr add 198.18.100.20/24 dev eth0\nroute add default via 198.18.100.254\n",
        )?;
        self.batch(
            Role::Branch,
            "branch addresses",
            "link set lo up\nlink set eth0 up\naddr add 198.18.38.1/32 dev lo\n\
             addr add 198.18.100.1/30 dev eth0\nroute add default via 198.18.100.2\n",
        )?;
        self.batch(
            Role::T1,
            "T1 provider addresses",
            "link set lo up\nlink set eth0 up\nlink set eth1 up\n\
             addr add 198.51.100.254/24 dev eth0\naddr add 198.18.201.1/30 dev eth1\n\
             route add 198.19.0.0/24 via 198.18.201.2\n\
             route add 198.51.100.17/32 via 198.51.100.179\n",
        )?;
        self.batch(
            Role::Dsl,
            "DSL provider addresses",
            "link set lo up\nlink set eth0 up\nlink set eth1 up\n\
             addr add 203.0.113.14/28 dev eth0\naddr add 198.18.202.1/30 dev eth1\n\
             route add 198.19.0.0/24 via 198.18.202.2\n\
             route add 203.0.113.10/32 via 203.0.113.12\n",
        )?;
        self.batch(
            Role::Internet,
            "internet addresses",
            "link set lo up\nlink set t1 up\nlink set dsl up\n\
             addr add 198.19.0.10/32 dev lo\naddr add 198.19.0.20/32 dev lo\n\
             addr add 198.18.201.2/30 dev t1\naddr add 198.18.202.2/30 dev dsl\n\
             route add 198.51.100.0/24 via 198.18.201.1\n\
             route add 203.0.113.0/28 via 198.18.202.1\n",
        )?;
        Ok(())
    }

    /// The providers' ingress filtering (the seed's "This is the problem!").
    fn filters(&self) -> Result<(), String> {
        for (r, range) in [(Role::T1, "198.51.100.0/24"), (Role::Dsl, "203.0.113.0/28")] {
            let ns = self.ns(r);
            let out = ns.exec(
                "iptables",
                &[
                    "-w", "-A", "FORWARD", "-i", "eth0", "!", "-s", range, "-j", "DROP",
                ],
            );
            step(ns, "ingress filter (iptables)", out)?;
        }
        Ok(())
    }
}

impl Drop for Topology {
    fn drop(&mut self) {
        while let Some((_, g)) = self.ns.pop() {
            drop(g);
        }
    }
}
