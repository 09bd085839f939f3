//! The scenario generator: random but meaningful `ip addr` / `ip route` /
//! `ip rule` command lists and `ip route get` queries, reproducible from a seed.
//!
//! Only addresses from 198.18.0.0/15, 198.51.100.0/24 and 203.0.113.0/24 (and
//! 127.0.0.0/8, which exists on `lo` anyway) are used. Route prefixes are built
//! from an address in those ranges, so a prefix shorter than /15 is a supernet of
//! a test range (unavoidable to cover all lengths 0..=32); nothing is ever sent.
//! No `nat` routes or rules are generated (see docs/TESTING.md).

use std::collections::BTreeSet;

use rand::rngs::SmallRng;
use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};

use crate::scenario::Scenario;

/// The test ranges: (network, prefix length, weight when picking).
const RANGES: [(u32, u8, u32); 3] = [
    (0xC612_0000, 15, 50), // 198.18.0.0/15
    (0xC633_6400, 24, 25), // 198.51.100.0/24
    (0xCB00_7100, 24, 25), // 203.0.113.0/24
];

pub fn mask(len: u8) -> u32 {
    if len == 0 {
        0
    } else {
        u32::MAX << (32 - len as u32)
    }
}

pub fn fmt_ip(a: u32) -> String {
    let b = a.to_be_bytes();
    format!("{}.{}.{}.{}", b[0], b[1], b[2], b[3])
}

/// Is `a` inside one of the three test ranges?
pub fn in_test_ranges(a: u32) -> bool {
    RANGES.iter().any(|&(n, l, _)| a & mask(l) == n)
}

fn is_allowed_addr(a: u32) -> bool {
    in_test_ranges(a) || a >> 24 == 127
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
struct Pfx {
    net: u32,
    len: u8,
}

impl Pfx {
    fn new(addr: u32, len: u8) -> Pfx {
        Pfx {
            net: addr & mask(len),
            len,
        }
    }
    fn last(self) -> u32 {
        self.net | !mask(self.len)
    }
    fn contains(self, a: u32) -> bool {
        a & mask(self.len) == self.net
    }
}

#[derive(Clone, Debug)]
struct Addr {
    addr: u32,
    len: u8,
    link: usize,
}

/// A route command that was generated with `add` (for later del/change/...).
#[derive(Clone, Debug)]
struct RouteSpec {
    ty: Option<&'static str>,
    prefix: String,
    table: Option<String>,
    nexthop: Vec<String>,
    metric: Option<String>,
    tos: Option<String>,
    full: String,
}

struct Gen {
    rng: SmallRng,
    links: Vec<String>,
    addrs: Vec<Addr>,
    pool: Vec<Pfx>,
    routes: Vec<RouteSpec>,
    used_prefixes: Vec<Pfx>,
    gateways: Vec<u32>,
    rule_prefs: Vec<u32>,
    rule_bodies: Vec<String>,
    marks: Vec<String>,
    ports: Vec<u16>,
    protos: Vec<String>,
    toses: Vec<String>,
    commands: Vec<String>,
    adds: Vec<String>,
}

/// Generates scenario `index` of the run with `seed`.
pub fn generate(seed: u64, index: u64) -> Scenario {
    let mut g = Gen {
        rng: SmallRng::seed_from_u64(mix(seed, index)),
        links: Vec::new(),
        addrs: Vec::new(),
        pool: Vec::new(),
        routes: Vec::new(),
        used_prefixes: Vec::new(),
        gateways: Vec::new(),
        rule_prefs: Vec::new(),
        rule_bodies: Vec::new(),
        marks: Vec::new(),
        ports: Vec::new(),
        protos: Vec::new(),
        toses: Vec::new(),
        commands: Vec::new(),
        adds: Vec::new(),
    };
    g.run();
    let queries = g.queries();
    Scenario {
        title: format!("seed {seed:#x} index {index}"),
        links: g.links.clone(),
        commands: g.commands.clone(),
        queries,
    }
}

/// splitmix64 of seed and index: independent streams per scenario.
fn mix(seed: u64, index: u64) -> u64 {
    let mut z = seed
        ^ index
            .wrapping_mul(0x9E37_79B9_7F4A_7C15)
            .wrapping_add(0x632B_E59B_D9B4_E019);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

impl Gen {
    fn pct(&mut self, p: u32) -> bool {
        self.rng.gen_range(0..100) < p
    }

    fn pick<T: Clone>(&mut self, v: &[T]) -> T {
        v.choose(&mut self.rng).expect("non-empty").clone()
    }

    /// Picks an index by weight.
    fn weighted(&mut self, weights: &[u32]) -> usize {
        let total: u32 = weights.iter().sum();
        let mut x = self.rng.gen_range(0..total);
        for (i, &w) in weights.iter().enumerate() {
            if x < w {
                return i;
            }
            x -= w;
        }
        weights.len() - 1
    }

    fn random_test_addr(&mut self) -> u32 {
        let i = self.weighted(&RANGES.map(|r| r.2));
        let (net, len, _) = RANGES[i];
        net | (self.rng.gen::<u32>() & !mask(len))
    }

    fn push(&mut self, cmd: String) {
        self.commands.push(cmd.trim_end().to_string());
    }

    fn run(&mut self) {
        let nlinks = self.rng.gen_range(2..=4);
        self.links = (0..nlinks).map(|i| format!("eth{i}")).collect();
        self.gen_addresses();
        self.gen_pool();

        let n = self.rng.gen_range(10..=30);
        let down_at = if self.pct(15) {
            Some(self.rng.gen_range(n / 3..n))
        } else {
            None
        };
        let mut down_link = None;
        for i in 0..n {
            if Some(i) == down_at {
                let l = self.rng.gen_range(0..self.links.len());
                let cmd = format!("link set {} down", self.links[l]);
                self.push(cmd);
                down_link = Some(l);
                continue;
            }
            if let Some(l) = down_link {
                if self.pct(15) {
                    let cmd = format!("link set {} up", self.links[l]);
                    self.push(cmd);
                    down_link = None;
                    continue;
                }
            }
            match self.weighted(&[64, 26, 4, 3]) {
                0 => self.route_cmd(),
                1 => self.rule_cmd(),
                2 => {
                    // An exact duplicate of an earlier add (kernel: File exists).
                    if self.adds.is_empty() {
                        self.route_cmd();
                    } else {
                        let c = self.pick(&self.adds.clone());
                        self.push(c);
                    }
                }
                _ => self.late_addr(),
            }
        }
    }

    // ---------------------------------------------------------------- addresses

    fn link_subnet(&mut self, i: usize) -> Pfx {
        match self.weighted(&[40, 15, 10, 8, 10, 7, 10]) {
            0 => {
                let second = if self.pct(50) { 18 } else { 19 };
                let third = self.rng.gen_range(0..=255u32);
                Pfx::new(0xC600_0000 | (second << 16) | (third << 8), 24)
            }
            1 => Pfx::new(0xC633_6400 | (self.rng.gen_range(0..64u32) * 4), 30),
            2 => Pfx::new(0xC633_6400 | (self.rng.gen_range(0..128u32) * 2), 31),
            3 => Pfx::new(self.random_test_addr(), 32),
            4 => Pfx::new(0xCB00_7100 | (self.rng.gen_range(0..16u32) * 16), 28),
            5 => Pfx::new(0xC612_0000 | ((i as u32 % 2) << 16), 16),
            _ => {
                // the same subnet as another link (the kernel allows it)
                if let Some(a) = self.addrs.first().cloned() {
                    Pfx::new(a.addr, a.len)
                } else {
                    Pfx::new(0xCB00_7100, 24)
                }
            }
        }
    }

    fn host_in(&mut self, p: Pfx) -> u32 {
        match p.len {
            32 => p.net,
            31 => p.net | self.rng.gen_range(0..2),
            _ => {
                if self.pct(4) {
                    // network or broadcast address as the local address
                    if self.pct(50) {
                        p.net
                    } else {
                        p.last()
                    }
                } else {
                    let size = !mask(p.len);
                    p.net | self.rng.gen_range(1..size)
                }
            }
        }
    }

    fn addr_cmd(&mut self, a: u32, len: u8, link: usize) -> String {
        let dev = self.links[link].clone();
        if len == 32 && self.pct(30) {
            format!("addr add {} dev {dev}", fmt_ip(a))
        } else {
            format!("addr add {}/{len} dev {dev}", fmt_ip(a))
        }
    }

    fn add_address(&mut self, a: u32, len: u8, link: usize) {
        let cmd = self.addr_cmd(a, len, link);
        self.push(cmd);
        self.addrs.push(Addr { addr: a, len, link });
        let p = Pfx::new(a, len);
        self.pool.push(p);
        // a few gateway candidates in the subnet
        if len < 31 {
            for _ in 0..2 {
                let g = self.host_in(p);
                if g != a {
                    self.gateways.push(g);
                }
            }
        } else if len == 31 {
            self.gateways.push(a ^ 1);
        }
    }

    fn gen_addresses(&mut self) {
        for i in 0..self.links.len() {
            if self.pct(8) {
                continue;
            }
            let p = self.link_subnet(i);
            let a = self.host_in(p);
            self.add_address(a, p.len, i);
            if p.len <= 30 && self.pct(30) {
                // a secondary address in the same subnet
                let b = self.host_in(p);
                if b != a {
                    self.add_address(b, p.len, i);
                }
            }
            if self.pct(15) {
                let q = self.link_subnet(i);
                let c = self.host_in(q);
                self.add_address(c, q.len, i);
            }
        }
    }

    fn late_addr(&mut self) {
        let l = self.rng.gen_range(0..self.links.len());
        let p = if self.pct(60) || self.addrs.is_empty() {
            self.link_subnet(l)
        } else {
            let a = self.pick(&self.addrs.clone());
            Pfx::new(a.addr, a.len)
        };
        let a = self.host_in(p);
        self.add_address(a, p.len, l);
    }

    // ---------------------------------------------------------------- prefixes

    /// Nested chains (/8 ⊃ /16 ⊃ /24 ⊃ /32 and the like) and siblings.
    fn gen_pool(&mut self) {
        let chains = self.rng.gen_range(2..=5);
        for _ in 0..chains {
            let base = if self.pct(40) && !self.addrs.is_empty() {
                let a = self.pick(&self.addrs.clone()).addr;
                // somewhere near an own address
                a ^ (self.rng.gen::<u32>() & 0xff)
            } else {
                self.random_test_addr()
            };
            let mut lens: Vec<u8> = (0..self.rng.gen_range(2..=5))
                .map(|_| self.rng.gen_range(0..=32))
                .collect();
            lens.sort();
            lens.dedup();
            for &l in &lens {
                let p = Pfx::new(base, l);
                self.pool.push(p);
                if l > 0 && self.pct(30) {
                    let sib = Pfx::new(p.net ^ (1 << (32 - l as u32)), l);
                    if in_test_ranges(sib.net) && in_test_ranges(sib.last()) {
                        self.pool.push(sib);
                    }
                }
            }
        }
        self.pool.push(Pfx::new(0, 0));
    }

    fn pick_prefix(&mut self) -> Pfx {
        let p = match self.weighted(&[22, 48, 10, 12, 8]) {
            0 if !self.addrs.is_empty() => {
                let a = self.pick(&self.addrs.clone());
                let sub = Pfx::new(a.addr, a.len);
                match self.rng.gen_range(0..4) {
                    0 => sub,
                    1 => Pfx::new(a.addr, sub.len.saturating_sub(self.rng.gen_range(1..=8))),
                    2 if sub.len < 32 => {
                        let l = self.rng.gen_range(sub.len + 1..=32);
                        let h = self.host_in(sub);
                        Pfx::new(h, l)
                    }
                    _ => Pfx::new(self.host_in(sub), 32),
                }
            }
            1 => self.pick(&self.pool.clone()),
            2 => Pfx::new(0, 0),
            3 if !self.used_prefixes.is_empty() => self.pick(&self.used_prefixes.clone()),
            _ => {
                let a = self.random_test_addr();
                let l = self.rng.gen_range(15..=32);
                Pfx::new(a, l)
            }
        };
        self.used_prefixes.push(p);
        p
    }

    /// iproute2 spellings: `default`, `0/0`, short forms (`198.18/15`), host
    /// routes without `/32`; now and then host bits set (invalid).
    fn prefix_text(&mut self, p: Pfx) -> String {
        if p.len == 0 {
            return match self.weighted(&[75, 15, 10]) {
                0 => "default".into(),
                1 => "0.0.0.0/0".into(),
                _ => "0/0".into(),
            };
        }
        if p.len < 32 && self.pct(4) {
            // host bits set (invalid), kept inside the test ranges
            let bit = self.rng.gen_range(0..(32 - p.len as u32));
            let a = p.net | (1 << bit);
            if in_test_ranges(a) {
                return format!("{}/{}", fmt_ip(a), p.len);
            }
        }
        if p.len == 32 && self.pct(40) {
            return fmt_ip(p.net);
        }
        let octets = p.net.to_be_bytes();
        let zeros = octets.iter().rev().take_while(|&&o| o == 0).count().min(3);
        if zeros > 0 && self.pct(25) {
            let drop = self.rng.gen_range(1..=zeros);
            let keep: Vec<String> = octets[..4 - drop].iter().map(|o| o.to_string()).collect();
            return format!("{}/{}", keep.join("."), p.len);
        }
        format!("{}/{}", fmt_ip(p.net), p.len)
    }

    fn pick_table(&mut self) -> Option<String> {
        let t = match self.weighted(&[47, 15, 10, 12, 9, 3, 3, 1]) {
            0 => {
                return match self.weighted(&[85, 10, 5]) {
                    0 => None,
                    1 => Some("main".into()),
                    _ => Some("254".into()),
                }
            }
            1 => "4",
            2 => "5",
            3 => "100",
            4 => *["7", "42", "200", "1000", "65536", "4294967295"]
                .choose(&mut self.rng)
                .unwrap(),
            5 => *["local", "255"].choose(&mut self.rng).unwrap(),
            6 => *["default", "253"].choose(&mut self.rng).unwrap(),
            _ => "0",
        };
        Some(t.to_string())
    }

    fn own_addr(&mut self) -> Option<u32> {
        if self.addrs.is_empty() {
            None
        } else {
            Some(self.pick(&self.addrs.clone()).addr)
        }
    }

    fn pick_gateway(&mut self) -> (u32, Option<usize>) {
        match self.weighted(&[80, 5, 7, 8]) {
            0 if !self.gateways.is_empty() => {
                let g = self.pick(&self.gateways.clone());
                let link = self
                    .addrs
                    .iter()
                    .find(|a| Pfx::new(a.addr, a.len).contains(g))
                    .map(|a| a.link);
                (g, link)
            }
            1 if !self.addrs.is_empty() => {
                let a = self.pick(&self.addrs.clone());
                (a.addr, Some(a.link))
            }
            2 if !self.used_prefixes.is_empty() => {
                // a gateway reachable (maybe) through an earlier route
                let p = self.pick(&self.used_prefixes.clone());
                let g = p.net | (self.rng.gen::<u32>() & !mask(p.len));
                if is_allowed_addr(g) && g >> 24 != 127 {
                    (g, None)
                } else {
                    (self.random_test_addr(), None)
                }
            }
            _ => (self.random_test_addr(), None),
        }
    }

    fn pick_dev(&mut self) -> String {
        match self.weighted(&[92, 4, 4]) {
            0 => self.pick(&self.links.clone()),
            1 => "lo".into(),
            _ => "eth9".into(),
        }
    }

    fn unicast_nexthop(&mut self) -> Vec<String> {
        let mut v = Vec::new();
        match self.weighted(&[40, 26, 20, 8, 3]) {
            0 => {
                let (g, _) = self.pick_gateway();
                v.extend(["via".into(), fmt_ip(g)]);
            }
            1 => {
                let d = self.pick_dev();
                v.extend(["dev".into(), d]);
            }
            2 => {
                let (g, l) = self.pick_gateway();
                let d = match l {
                    Some(l) if self.pct(85) => self.links[l].clone(),
                    _ => self.pick_dev(),
                };
                v.extend(["via".into(), fmt_ip(g), "dev".into(), d]);
            }
            3 => {
                let g = if self.pct(50) {
                    self.random_test_addr()
                } else {
                    self.pick_gateway().0
                };
                let d = self.pick(&self.links.clone());
                v.extend(["via".into(), fmt_ip(g), "dev".into(), d, "onlink".into()]);
            }
            _ => {}
        }
        v
    }

    fn route_cmd(&mut self) {
        const OPS: [&str; 6] = ["add", "replace", "append", "prepend", "change", "del"];
        let op = OPS[self.weighted(&[58, 10, 6, 5, 7, 14])];
        let reuse = matches!(op, "del" | "change" | "replace" | "append" | "prepend")
            && !self.routes.is_empty()
            && self.pct(70);
        if reuse {
            let r = self.pick(&self.routes.clone());
            let mut parts: Vec<String> = Vec::new();
            if op == "del" {
                match self.rng.gen_range(0..5) {
                    0 => {
                        let rest = r.full.splitn(3, ' ').nth(2).unwrap_or("").to_string();
                        self.push(format!("route del {rest}"));
                        return;
                    }
                    1 => {
                        parts.push(r.prefix.clone());
                    }
                    _ => {
                        if let Some(t) = r.ty {
                            if self.pct(70) {
                                parts.push(t.into());
                            }
                        }
                        parts.push(r.prefix.clone());
                        if let Some(m) = &r.metric {
                            if self.pct(70) {
                                parts.extend(["metric".into(), m.clone()]);
                            }
                        }
                        if let Some(t) = &r.tos {
                            if self.pct(70) {
                                parts.extend(["tos".into(), t.clone()]);
                            }
                        }
                        if self.pct(40) {
                            parts.extend(r.nexthop.iter().cloned());
                        }
                    }
                }
                if let Some(t) = &r.table {
                    if self.pct(90) {
                        parts.extend(["table".into(), t.clone()]);
                    }
                }
                self.push(format!("route del {}", parts.join(" ")));
                return;
            }
            // change/replace/append/prepend of an existing key with a new nexthop
            let ty = if self.pct(80) { r.ty } else { self.pick_type() };
            let spec = self.build_route(
                op,
                ty,
                r.prefix.clone(),
                r.table.clone(),
                r.metric.clone(),
                r.tos.clone(),
            );
            self.push(spec.full);
            return;
        }
        let ty = self.pick_type();
        let p = self.pick_prefix();
        let text = self.prefix_text(p);
        let table = self.pick_table();
        let metric = if self.pct(30) {
            Some(
                self.pick(&["0", "1", "5", "10", "100", "1024", "4294967295"])
                    .to_string(),
            )
        } else {
            None
        };
        let tos = if self.pct(3) {
            Some(self.pick(&["0x10", "0x08", "0x04", "0x03"]).to_string())
        } else {
            None
        };
        let spec = self.build_route(op, ty, text, table, metric, tos);
        self.push(spec.full.clone());
        if op != "del" {
            self.adds.push(spec.full.clone());
            self.routes.push(spec);
        }
    }

    fn pick_type(&mut self) -> Option<&'static str> {
        match self.weighted(&[52, 8, 8, 8, 6, 8, 7]) {
            0 => None,
            1 => Some("unicast"),
            2 => Some("blackhole"),
            3 => Some("unreachable"),
            4 => Some("prohibit"),
            5 => Some("throw"),
            _ => Some("local"),
        }
    }

    fn build_route(
        &mut self,
        op: &str,
        ty: Option<&'static str>,
        prefix: String,
        table: Option<String>,
        metric: Option<String>,
        tos: Option<String>,
    ) -> RouteSpec {
        let nexthop: Vec<String> = match ty {
            None | Some("unicast") => self.unicast_nexthop(),
            Some("local") => match self.weighted(&[80, 10, 10]) {
                0 => vec!["dev".into(), self.pick(&self.links.clone())],
                1 => vec!["dev".into(), "lo".into()],
                _ => vec![],
            },
            _ => {
                if self.pct(6) {
                    vec!["dev".into(), self.pick(&self.links.clone())]
                } else {
                    vec![]
                }
            }
        };
        let mut opts: Vec<Vec<String>> = Vec::new();
        if let Some(t) = &table {
            opts.push(vec!["table".into(), t.clone()]);
        }
        if !nexthop.is_empty() {
            opts.push(nexthop.clone());
        }
        if let Some(m) = &metric {
            let kw = ["metric", "metric", "metric", "priority", "preference"];
            opts.push(vec![self.pick(&kw).into(), m.clone()]);
        }
        if let Some(t) = &tos {
            opts.push(vec!["tos".into(), t.clone()]);
        }
        if self.pct(10) {
            let src = match self.own_addr() {
                Some(a) if self.pct(75) => a,
                _ => self.random_test_addr(),
            };
            opts.push(vec!["src".into(), fmt_ip(src)]);
        }
        if self.pct(15) {
            let p = [
                "static", "boot", "kernel", "dhcp", "99", "42", "4", "200", "zebra",
            ];
            opts.push(vec!["proto".into(), self.pick(&p).into()]);
        }
        if self.pct(8) {
            let s = ["link", "host", "global", "site", "link"];
            opts.push(vec!["scope".into(), self.pick(&s).into()]);
        }
        if self.pct(25) {
            opts.shuffle(&mut self.rng);
        }
        let mut words: Vec<String> = vec!["route".into(), op.into()];
        if let Some(t) = ty {
            words.push(t.into());
        }
        if self.pct(3) {
            words.push("to".into());
        }
        words.push(prefix.clone());
        for o in opts {
            words.extend(o);
        }
        RouteSpec {
            ty,
            prefix,
            table,
            nexthop,
            metric,
            tos,
            full: words.join(" "),
        }
    }

    // ---------------------------------------------------------------- rules

    fn pick_pref(&mut self) -> u32 {
        match self.weighted(&[50, 25, 15, 5, 5]) {
            0 => self.rng.gen_range(1..=40) * 100,
            1 if !self.rule_prefs.is_empty() => {
                let p = self.pick(&self.rule_prefs.clone());
                let d: i64 = self.rng.gen_range(-3..=3);
                (p as i64 + d).clamp(1, 40000) as u32
            }
            2 => self.rng.gen_range(1..32766),
            3 => *[32765, 32766, 32767, 32768].choose(&mut self.rng).unwrap(),
            _ => 0,
        }
    }

    fn rule_prefix(&mut self) -> String {
        match self.weighted(&[30, 40, 15, 15]) {
            0 => match self.own_addr() {
                Some(a) => fmt_ip(a),
                None => "all".into(),
            },
            1 => {
                let p = self.pick_prefix();
                self.prefix_text(p)
            }
            2 => "all".into(),
            _ => {
                let a = self.random_test_addr();
                let l = *[24u8, 28, 32, 16].choose(&mut self.rng).unwrap();
                let p = Pfx::new(a, l);
                self.prefix_text(p)
            }
        }
    }

    fn port_spec(&mut self) -> String {
        let a: u16 = *[22u16, 53, 80, 443, 1000, 8080, 65535, 1]
            .choose(&mut self.rng)
            .unwrap();
        match self.weighted(&[55, 35, 10]) {
            0 => {
                self.ports.push(a);
                a.to_string()
            }
            1 => {
                let b = a.saturating_add(self.rng.gen_range(0..=100));
                self.ports.extend([a, b]);
                format!("{a}-{b}")
            }
            _ => {
                // a reversed (invalid) range
                let b = a.saturating_sub(self.rng.gen_range(1..=50)).max(1);
                if b == a {
                    format!("{a}-0")
                } else {
                    format!("{a}-{b}")
                }
            }
        }
    }

    fn rule_cmd(&mut self) {
        if !self.rule_prefs.is_empty() && self.pct(15) {
            // delete by pref or by selector
            match self.rng.gen_range(0..4) {
                0 | 1 => {
                    let p = self.pick(&self.rule_prefs.clone());
                    self.push(format!("rule del pref {p}"));
                }
                2 if !self.rule_bodies.is_empty() => {
                    let b = self.pick(&self.rule_bodies.clone());
                    self.push(format!("rule del {b}"));
                }
                _ => {
                    let p = self.pick_pref();
                    self.push(format!("rule del pref {p}"));
                }
            }
            return;
        }
        let mut sel: Vec<Vec<String>> = Vec::new();
        if self.pct(40) {
            sel.push(vec!["from".into(), self.rule_prefix()]);
        }
        if self.pct(20) {
            sel.push(vec!["to".into(), self.rule_prefix()]);
        }
        if self.pct(22) {
            let v = *["1", "2", "4", "0x10", "0x1f", "100", "0x4"]
                .choose(&mut self.rng)
                .unwrap();
            let spec = if self.pct(40) {
                let m = *["0xff", "0xf", "0xffffffff", "0x4", "0x6"]
                    .choose(&mut self.rng)
                    .unwrap();
                format!("{v}/{m}")
            } else {
                v.to_string()
            };
            self.marks.push(v.to_string());
            sel.push(vec!["fwmark".into(), spec]);
        }
        if self.pct(12) {
            let d = match self.weighted(&[85, 10, 5]) {
                0 => self.pick(&self.links.clone()),
                1 => "lo".into(),
                _ => "eth9".into(),
            };
            sel.push(vec!["iif".into(), d]);
        }
        if self.pct(8) {
            let d = if self.pct(90) {
                self.pick(&self.links.clone())
            } else {
                "eth9".into()
            };
            sel.push(vec!["oif".into(), d]);
        }
        if self.pct(8) {
            let t = *["0x10", "0x08", "0x04", "0x18", "0x28", "0x11", "0x1c"]
                .choose(&mut self.rng)
                .unwrap();
            self.toses.push(t.to_string());
            let kw = if self.pct(70) { "tos" } else { "dsfield" };
            sel.push(vec![kw.into(), t.into()]);
        }
        if self.pct(12) {
            let p = *["tcp", "udp", "icmp", "6", "17", "47"]
                .choose(&mut self.rng)
                .unwrap();
            self.protos.push(p.to_string());
            sel.push(vec!["ipproto".into(), p.into()]);
        }
        if self.pct(9) {
            let s = self.port_spec();
            sel.push(vec!["sport".into(), s]);
        }
        if self.pct(11) {
            let s = self.port_spec();
            sel.push(vec!["dport".into(), s]);
        }
        if self.pct(25) {
            sel.shuffle(&mut self.rng);
        }
        let pref = if self.pct(60) {
            Some(self.pick_pref())
        } else {
            None
        };
        let action: Vec<String> = match self.weighted(&[60, 9, 5, 6, 6, 5, 4]) {
            0 => {
                let t = match self.pick_table() {
                    Some(t) => t,
                    None => "main".into(),
                };
                let kw = if self.pct(60) { "lookup" } else { "table" };
                let mut a = vec![kw.to_string(), t];
                if self.pct(12) {
                    let n = *["0", "8", "16", "24", "32"].choose(&mut self.rng).unwrap();
                    a.extend(["suppress_prefixlength".into(), n.into()]);
                }
                a
            }
            1 => {
                let target = match (pref, self.weighted(&[50, 30, 20])) {
                    (Some(p), 0) if self.rule_prefs.iter().any(|&q| q > p) => {
                        let c: Vec<u32> =
                            self.rule_prefs.iter().copied().filter(|&q| q > p).collect();
                        self.pick(&c)
                    }
                    (Some(p), 0 | 1) => p.saturating_add(self.rng.gen_range(1..=500)),
                    (Some(p), _) => p.saturating_sub(self.rng.gen_range(0..=50)),
                    (None, _) => self.pick_pref(),
                };
                vec!["goto".into(), target.to_string()]
            }
            2 => vec!["nop".into()],
            3 => vec!["blackhole".into()],
            4 => vec!["unreachable".into()],
            5 => vec!["prohibit".into()],
            _ => vec![],
        };
        let mut words: Vec<String> = Vec::new();
        if self.pct(8) {
            words.push("not".into());
        }
        for s in sel {
            words.extend(s);
        }
        let body_no_pref = {
            let mut w = words.clone();
            w.extend(action.iter().cloned());
            w.join(" ")
        };
        if let Some(p) = pref {
            let kw = *["pref", "pref", "priority", "order"]
                .choose(&mut self.rng)
                .unwrap();
            words.extend([kw.to_string(), p.to_string()]);
            self.rule_prefs.push(p);
        }
        words.extend(action);
        let cmd = format!("rule add {}", words.join(" "))
            .trim_end()
            .to_string();
        self.rule_bodies.push(body_no_pref);
        self.adds.push(cmd.clone());
        self.push(cmd);
    }

    // ---------------------------------------------------------------- queries

    fn query_dst(&mut self) -> u32 {
        for _ in 0..8 {
            let a = match self.weighted(&[32, 15, 8, 10, 5, 30]) {
                0 => {
                    let p = if !self.used_prefixes.is_empty() && self.pct(70) {
                        self.pick(&self.used_prefixes.clone())
                    } else {
                        self.pick(&self.pool.clone())
                    };
                    match self.rng.gen_range(0..5) {
                        0 => p.net,
                        1 => p.last(),
                        2 => p.net | (self.rng.gen::<u32>() & !mask(p.len)),
                        3 => p.net.wrapping_sub(1),
                        _ => p.last().wrapping_add(1),
                    }
                }
                1 => match self.own_addr() {
                    Some(a) => a,
                    None => continue,
                },
                2 => {
                    if self.addrs.is_empty() {
                        continue;
                    }
                    let a = self.pick(&self.addrs.clone());
                    let p = Pfx::new(a.addr, a.len);
                    if self.pct(60) {
                        p.last()
                    } else {
                        p.net
                    }
                }
                3 => {
                    if self.gateways.is_empty() {
                        continue;
                    }
                    self.pick(&self.gateways.clone())
                }
                4 => {
                    if self.pct(50) {
                        0x7F00_0001
                    } else {
                        0x7F00_0000 | (self.rng.gen::<u32>() & 0x00FF_FFFF)
                    }
                }
                _ => self.random_test_addr(),
            };
            if is_allowed_addr(a) {
                return a;
            }
        }
        self.random_test_addr()
    }

    fn queries(&mut self) -> Vec<String> {
        let n = self.rng.gen_range(20..=40);
        let mut out = BTreeSet::new();
        let mut list = Vec::new();
        for _ in 0..n * 2 {
            if list.len() >= n {
                break;
            }
            let q = self.query();
            if out.insert(q.clone()) {
                list.push(q);
            }
        }
        // A few filtered dumps (`ip route show ... dev|proto|scope|type X`).
        for _ in 0..self.rng.gen_range(0..=2) {
            let q = self.filtered_dump();
            if out.insert(q.clone()) {
                list.push(q);
            }
        }
        list
    }

    fn filtered_dump(&mut self) -> String {
        let mut w: Vec<String> = Vec::new();
        if self.pct(30) {
            w.push("-j".into());
        }
        w.extend(["route".into(), "show".into()]);
        match self.weighted(&[40, 25, 20, 15]) {
            0 => {}
            1 => w.extend(["table".into(), "all".into()]),
            2 => {
                let t = self.pick(&["4", "5", "100", "local", "main"]);
                w.extend(["table".into(), t.into()]);
            }
            _ => {}
        }
        match self.rng.gen_range(0..4) {
            0 => {
                let d = self.pick(&self.links.clone());
                w.extend(["dev".into(), d]);
            }
            1 => {
                let p = self.pick(&["kernel", "static", "boot", "dhcp", "99"]);
                w.extend(["proto".into(), p.into()]);
            }
            2 => {
                let sc = self.pick(&["link", "host", "global"]);
                w.extend(["scope".into(), sc.into()]);
            }
            _ => {
                let t = self.pick(&[
                    "unicast",
                    "local",
                    "broadcast",
                    "blackhole",
                    "unreachable",
                    "prohibit",
                    "throw",
                ]);
                w.extend(["type".into(), t.into()]);
            }
        }
        w.join(" ")
    }

    fn query(&mut self) -> String {
        let mut w: Vec<String> = vec!["route".into(), "get".into()];
        if self.pct(10) {
            w.push("fibmatch".into());
        }
        let dst = self.query_dst();
        w.push(fmt_ip(dst));
        let mut from = None;
        if self.pct(35) {
            from = Some(match self.weighted(&[45, 45, 10]) {
                0 => self.own_addr().unwrap_or_else(|| self.random_test_addr()),
                1 => self.random_test_addr(),
                _ => {
                    if self.gateways.is_empty() {
                        self.random_test_addr()
                    } else {
                        self.pick(&self.gateways.clone())
                    }
                }
            });
        }
        let iif = self.pct(18);
        if iif && from.is_none() && self.pct(85) {
            from = Some(self.random_test_addr());
        }
        if let Some(f) = from {
            w.extend(["from".into(), fmt_ip(f)]);
        }
        if iif {
            let d = if self.pct(95) {
                self.pick(&self.links.clone())
            } else {
                "lo".into()
            };
            w.extend(["iif".into(), d]);
        } else if self.pct(12) {
            let d = self.pick(&self.links.clone());
            w.extend(["oif".into(), d]);
        }
        if self.pct(22) {
            let m = if !self.marks.is_empty() && self.pct(70) {
                self.pick(&self.marks.clone())
            } else {
                self.pick(&["1", "4", "5", "0x14", "7"]).to_string()
            };
            w.extend(["mark".into(), m]);
        }
        if self.pct(10) {
            let t = if !self.toses.is_empty() && self.pct(60) {
                self.pick(&self.toses.clone())
            } else {
                "0x10".to_string()
            };
            w.extend(["tos".into(), t]);
        }
        if self.pct(15) {
            let p = if !self.protos.is_empty() && self.pct(60) {
                self.pick(&self.protos.clone())
            } else {
                self.pick(&["tcp", "udp"]).to_string()
            };
            w.extend(["ipproto".into(), p]);
            let port = |g: &mut Gen| -> String {
                if !g.ports.is_empty() && g.pct(70) {
                    let p = g.pick(&g.ports.clone());
                    let d: i32 = g.rng.gen_range(-1..=1);
                    ((p as i32 + d).clamp(1, 65535)).to_string()
                } else {
                    g.rng.gen_range(1..=65535u32).to_string()
                }
            };
            if self.pct(50) {
                let s = port(self);
                w.extend(["sport".into(), s]);
            }
            if self.pct(70) {
                let d = port(self);
                w.extend(["dport".into(), d]);
            }
        }
        if self.pct(50) {
            // the JSON form of the same query
            w.insert(0, "-j".into());
        }
        w.join(" ")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_addresses_stay_in_test_ranges() {
        for i in 0..300 {
            let s = generate(7, i);
            for line in s.commands.iter().chain(s.queries.iter()) {
                for tok in line.split([' ', '/']) {
                    let parts: Vec<&str> = tok.split('.').collect();
                    if parts.len() == 4 && parts.iter().all(|p| p.parse::<u8>().is_ok()) {
                        let b: Vec<u8> = parts.iter().map(|p| p.parse().unwrap()).collect();
                        let a = u32::from_be_bytes([b[0], b[1], b[2], b[3]]);
                        // full addresses: in the test ranges, loopback, or the
                        // network address of a short supernet of a test range
                        let ok = is_allowed_addr(a)
                            || RANGES
                                .iter()
                                .any(|&(n, _, _)| (0..24).any(|l| Pfx::new(n, l).net == a))
                            || a == 0;
                        assert!(ok, "{line}: {tok}");
                        assert_ne!(a & 0xFFFF_FF00, 0xC000_0200, "{line}");
                    }
                }
            }
        }
    }

    #[test]
    fn generation_is_deterministic() {
        assert_eq!(generate(1, 2), generate(1, 2));
        assert_ne!(generate(1, 2), generate(1, 3));
    }
}
