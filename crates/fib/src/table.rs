//! One routing table and the set of tables, with the kernel's semantics.
//!
//! A [`Table`] keeps, per prefix, the list of routes ("aliases" in `fib_trie.c`) in the
//! kernel's order: tos descending, then metric ascending, then insertion order as `add`,
//! `append`, `prepend` and `replace` define it. Lookups follow `fib_table_lookup`: the
//! longest matching prefix first; inside it the first alias whose tos, scope and output
//! interface fit; when none fits, the next shorter prefix (backtracking).
//!
//! Mutations keep an ordered map in the `ip route show` order: address, then the longer
//! prefix first (the kernel's trie keeps the aliases of one key by suffix length).
//! [`Table::compile`] builds the [`Lpm4`] that lookups use; a table mutated since its last
//! compile answers by probing each prefix length, which gives the same answer more slowly
//! (the control plane mutates many routes in a row; the data plane only reads compiled
//! tables).

use crate::lpm::Lpm4;
use crate::prefix::mask;
use crate::route::{Route, RouteType, RT_SCOPE_NOWHERE};
use crate::{IfIndex, Prefix4, TableId};
use hashbrown::HashMap;
use std::collections::BTreeMap;
use std::net::Ipv4Addr;

/// The flow a lookup is made for (the kernel's `flowi4`, the fields routing reads).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Flow4 {
    pub dst: u32,
    pub src: u32,
    pub iif: IfIndex,
    pub oif: IfIndex,
    pub mark: u32,
    pub tos: u8,
    pub proto: u8,
    pub sport: u16,
    pub dport: u16,
    /// Narrowest route scope acceptable (`flowi4_scope`); 0 for forwarding.
    pub scope: u8,
}

/// Why a table lookup did not give a route (`fib_props[].error`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LookupError {
    /// No route, or a `throw` route: try the next rule (`-EAGAIN`).
    Again,
    /// `blackhole` (`-EINVAL`).
    Blackhole,
    /// `unreachable` (`-EHOSTUNREACH`).
    Unreachable,
    /// `prohibit` (`-EACCES`).
    Prohibit,
}

/// A successful table lookup: the route and which of its nexthops fits.
#[derive(Clone, Copy, Debug)]
pub struct TableMatch<'a> {
    pub route: &'a Route,
    pub nh: usize,
}

/// How a route is inserted: iproute2's verbs and the netlink flags they send.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum InsertMode {
    /// `ip route add` (CREATE|EXCL).
    Add,
    /// `ip route replace` (CREATE|REPLACE).
    Replace,
    /// `ip route change` (REPLACE).
    Change,
    /// `ip route append` (CREATE|APPEND).
    Append,
    /// `ip route prepend` (CREATE).
    Prepend,
}

/// Why an insert or delete was refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TableError {
    /// EEXIST.
    Exists,
    /// ENOENT (`change` of a route that is not there).
    NotFound,
    /// ESRCH (`del` of a route that is not there).
    NoSuchRoute,
}

/// What `ip route del` matches on; `None` fields match anything.
#[derive(Clone, Debug, Default)]
pub struct DeleteSpec {
    pub prefix: Prefix4,
    pub tos: u8,
    pub rtype: Option<RouteType>,
    /// `RT_SCOPE_NOWHERE` matches any scope.
    pub scope: Option<u8>,
    pub prefsrc: Option<Ipv4Addr>,
    pub protocol: Option<u8>,
    pub metric: Option<u32>,
    pub gateway: Option<Ipv4Addr>,
    pub dev: Option<IfIndex>,
}

#[derive(Clone, Debug, Default)]
struct Compiled {
    lpm: Lpm4,
    /// Prefix of each LPM value.
    prefixes: Vec<Prefix4>,
    /// Index of the nearest enclosing prefix, or `u32::MAX`.
    parent: Vec<u32>,
    /// Slab slot of each prefix's aliases: a lookup reaches the routes without a map search.
    slot: Vec<u32>,
}

/// Key of the route map: address, then suffix length (32 - prefix length), so that the
/// map iterates in the kernel's dump order.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Debug)]
struct Key(u32, u8);

impl Key {
    fn of(p: &Prefix4) -> Key {
        Key(p.addr_u32(), 32 - p.len())
    }
    fn prefix(self) -> Prefix4 {
        Prefix4::new_truncate(self.0, 32 - self.1)
    }
}

/// One routing table.
#[derive(Clone, Debug)]
pub struct Table {
    pub id: TableId,
    /// Prefix -> slot in `slab` holding its aliases.
    routes: BTreeMap<Key, u32>,
    slab: Vec<Vec<Route>>,
    /// Free slots of `slab`.
    free: Vec<u32>,
    /// Number of prefixes of each length, to skip empty lengths when probing.
    len_count: [u32; 33],
    nroutes: usize,
    compiled: Option<Compiled>,
}

impl Table {
    pub fn new(id: TableId) -> Table {
        Table {
            id,
            routes: BTreeMap::new(),
            slab: Vec::new(),
            free: Vec::new(),
            len_count: [0; 33],
            nroutes: 0,
            compiled: None,
        }
    }

    /// Number of routes.
    pub fn len(&self) -> usize {
        self.nroutes
    }

    pub fn is_empty(&self) -> bool {
        self.nroutes == 0
    }

    /// Number of distinct prefixes.
    pub fn prefix_count(&self) -> usize {
        self.routes.len()
    }

    /// All routes in `ip route show` order.
    pub fn iter(&self) -> impl Iterator<Item = &Route> {
        self.routes
            .values()
            .flat_map(|&s| self.slab[s as usize].iter())
    }

    /// The routes of exactly this prefix, in alias order.
    pub fn aliases(&self, p: &Prefix4) -> &[Route] {
        self.routes
            .get(&Key::of(p))
            .map(|&s| self.slab[s as usize].as_slice())
            .unwrap_or(&[])
    }

    fn slot_of(&self, p: &Prefix4) -> Option<u32> {
        self.routes.get(&Key::of(p)).copied()
    }

    /// The slot for a new prefix.
    fn alloc_slot(&mut self) -> u32 {
        match self.free.pop() {
            Some(s) => s,
            None => {
                self.slab.push(Vec::new());
                (self.slab.len() - 1) as u32
            }
        }
    }

    fn release_slot(&mut self, s: u32) {
        self.slab[s as usize] = Vec::new();
        self.free.push(s);
    }

    fn touch(&mut self) {
        self.compiled = None;
    }

    /// Inserts `r` as the kernel's `fib_table_insert` does for `mode`.
    pub fn insert(&mut self, r: Route, mode: InsertMode) -> Result<(), TableError> {
        let list = self.aliases(&r.prefix);
        // First alias with a lower tos, or the same tos and a metric >= ours.
        let pos = list
            .iter()
            .position(|a| a.tos < r.tos || (a.tos == r.tos && a.metric >= r.metric));
        let same_key = pos.filter(|&i| list[i].tos == r.tos && list[i].metric == r.metric);
        let insert_at = if let Some(first) = same_key {
            if mode == InsertMode::Add {
                return Err(TableError::Exists);
            }
            let group_end = first
                + list[first..]
                    .iter()
                    .take_while(|a| a.tos == r.tos && a.metric == r.metric)
                    .count();
            let matching =
                (first..group_end).find(|&i| list[i].rtype == r.rtype && list[i].same_info(&r));
            if matches!(mode, InsertMode::Replace | InsertMode::Change) {
                if let Some(m) = matching {
                    return if m == first {
                        Ok(())
                    } else {
                        Err(TableError::Exists)
                    };
                }
                let s = self.slot_of(&r.prefix).expect("prefix present");
                self.slab[s as usize][first] = r;
                self.touch();
                return Ok(());
            }
            if matching.is_some() {
                return Err(TableError::Exists);
            }
            if mode == InsertMode::Append {
                group_end
            } else {
                first
            }
        } else {
            if mode == InsertMode::Change {
                return Err(TableError::NotFound);
            }
            pos.unwrap_or(list.len())
        };
        let p = r.prefix;
        let s = match self.slot_of(&p) {
            Some(s) => s,
            None => {
                let s = self.alloc_slot();
                self.routes.insert(Key::of(&p), s);
                self.len_count[p.len() as usize] += 1;
                s
            }
        };
        self.slab[s as usize].insert(insert_at, r);
        self.nroutes += 1;
        self.touch();
        Ok(())
    }

    /// Deletes the first route that `spec` matches (`fib_table_delete`).
    pub fn delete(&mut self, spec: &DeleteSpec) -> Result<Route, TableError> {
        let key = Key::of(&spec.prefix);
        let s = *self.routes.get(&key).ok_or(TableError::NoSuchRoute)?;
        let list = &mut self.slab[s as usize];
        let idx = list
            .iter()
            .position(|a| {
                a.tos == spec.tos
                    && spec.rtype.is_none_or(|t| t == a.rtype)
                    && spec
                        .scope
                        .is_none_or(|s| s == RT_SCOPE_NOWHERE || s == a.scope)
                    && spec.prefsrc.is_none_or(|s| a.prefsrc == Some(s))
                    && spec.protocol.is_none_or(|p| p == a.protocol)
                    && spec.metric.is_none_or(|m| m == 0 || m == a.metric)
                    && (spec.dev.is_none() && spec.gateway.is_none() || {
                        let nh = a.nh();
                        spec.dev.is_none_or(|d| nh.and_then(|n| n.dev) == Some(d))
                            && spec
                                .gateway
                                .is_none_or(|g| nh.and_then(|n| n.gateway) == Some(g))
                    })
            })
            .ok_or(TableError::NoSuchRoute)?;
        let r = list.remove(idx);
        if list.is_empty() {
            self.routes.remove(&key);
            self.release_slot(s);
            self.len_count[spec.prefix.len() as usize] -= 1;
        }
        self.nroutes -= 1;
        self.touch();
        Ok(r)
    }

    /// Removes every route for which `f` is true; returns how many.
    pub fn retain(&mut self, mut f: impl FnMut(&Route) -> bool) -> usize {
        let before = self.nroutes;
        let mut emptied = Vec::new();
        for (p, &s) in self.routes.iter() {
            let v = &mut self.slab[s as usize];
            let n = v.len();
            v.retain(&mut f);
            self.nroutes -= n - v.len();
            if v.is_empty() {
                emptied.push(*p);
            }
        }
        for k in emptied {
            if let Some(s) = self.routes.remove(&k) {
                self.release_slot(s);
            }
            self.len_count[k.prefix().len() as usize] -= 1;
        }
        let removed = before - self.nroutes;
        if removed > 0 {
            self.touch();
        }
        removed
    }

    /// Applies `f` to every route (for marking nexthops dead or alive).
    pub fn for_each_mut(&mut self, mut f: impl FnMut(&mut Route)) {
        for v in self.slab.iter_mut() {
            v.iter_mut().for_each(&mut f);
        }
        self.touch();
    }

    /// Builds the LPM structure; lookups are fast from here until the next mutation.
    pub fn compile(&mut self) {
        if self.compiled.is_some() {
            return;
        }
        let prefixes: Vec<Prefix4> = self.routes.keys().map(|k| k.prefix()).collect();
        let slot: Vec<u32> = self.routes.values().copied().collect();
        let mut parent = vec![u32::MAX; prefixes.len()];
        // In (address, shorter first) order enclosing prefixes come before the prefixes
        // they enclose: a stack of open prefixes gives each one its parent.
        let mut order: Vec<u32> = (0..prefixes.len() as u32).collect();
        order.sort_unstable_by_key(|&i| prefixes[i as usize]);
        let mut stack: Vec<u32> = Vec::new();
        for &i in &order {
            let p = &prefixes[i as usize];
            while let Some(&top) = stack.last() {
                if prefixes[top as usize].covers(p) {
                    break;
                }
                stack.pop();
            }
            if let Some(&top) = stack.last() {
                parent[i as usize] = top;
            }
            stack.push(i);
        }
        let input: Vec<(u32, u8, u32)> = prefixes
            .iter()
            .enumerate()
            .map(|(i, p)| (p.addr_u32(), p.len(), i as u32))
            .collect();
        self.compiled = Some(Compiled {
            lpm: Lpm4::build(&input),
            prefixes,
            parent,
            slot,
        });
    }

    pub fn is_compiled(&self) -> bool {
        self.compiled.is_some()
    }

    /// Heap bytes of the compiled LPM (0 when not compiled).
    pub fn lpm_bytes(&self) -> usize {
        self.compiled.as_ref().map_or(0, |c| c.lpm.memory_bytes())
    }

    /// The longest prefix containing `addr` that is strictly shorter than `below`.
    fn probe(&self, addr: u32, below: u8) -> Option<(Prefix4, u32)> {
        (0..below.min(33))
            .rev()
            .filter(|&l| self.len_count[l as usize] > 0)
            .map(|l| Prefix4::new_truncate(addr, l))
            .find_map(|p| Some((p, self.slot_of(&p)?)))
    }

    /// Walks the prefixes containing `addr`, longest first, with the slab slot of each.
    fn covering(&self, addr: u32) -> impl Iterator<Item = (Prefix4, u32)> + '_ {
        let mut state: Option<Result<u32, Prefix4>> = None; // compiled index or probed prefix
        let mut started = false;
        std::iter::from_fn(move || {
            if let Some(c) = &self.compiled {
                let idx = if !started {
                    started = true;
                    c.lpm.lookup(addr)
                } else {
                    match state {
                        Some(Ok(i)) => c.parent[i as usize],
                        _ => u32::MAX,
                    }
                };
                if idx == u32::MAX || idx == Lpm4::NONE {
                    state = None;
                    return None;
                }
                state = Some(Ok(idx));
                Some((c.prefixes[idx as usize], c.slot[idx as usize]))
            } else {
                let below = if !started {
                    started = true;
                    33
                } else {
                    match state {
                        Some(Err(p)) => p.len(),
                        _ => return None,
                    }
                };
                let (p, s) = self.probe(addr, below)?;
                state = Some(Err(p));
                Some((p, s))
            }
        })
    }

    /// The aliases of prefix `p` that `fl` may use: `Some` when they decide (a route or a
    /// reject type), `None` to backtrack to a shorter prefix.
    #[inline]
    fn decide(&self, slot: u32, fl: &Flow4) -> Option<Result<TableMatch<'_>, LookupError>> {
        for r in &self.slab[slot as usize] {
            // dscp compare: a route's tos never has ECN bits; a flow's may
            if r.tos != 0 && r.tos != fl.tos & 0xfc {
                continue;
            }
            if r.scope < fl.scope {
                continue;
            }
            match r.rtype {
                RouteType::Blackhole => return Some(Err(LookupError::Blackhole)),
                RouteType::Unreachable => return Some(Err(LookupError::Unreachable)),
                RouteType::Prohibit => return Some(Err(LookupError::Prohibit)),
                RouteType::Throw => return Some(Err(LookupError::Again)),
                _ => {}
            }
            for (i, nh) in r.nexthops.iter().enumerate() {
                if nh.dead {
                    continue;
                }
                if fl.oif != 0 && nh.dev != Some(fl.oif) {
                    continue;
                }
                return Some(Ok(TableMatch { route: r, nh: i }));
            }
        }
        None
    }

    /// `fib_table_lookup`: the route for `fl`, or why there is none.
    pub fn lookup(&self, fl: &Flow4) -> Result<TableMatch<'_>, LookupError> {
        if let Some(c) = &self.compiled {
            // the per-packet path: the LPM, then up the parents, no iterator state
            let mut idx = c.lpm.lookup(fl.dst);
            while idx != Lpm4::NONE && idx != u32::MAX {
                let i = idx as usize;
                if let Some(d) = self.decide(c.slot[i], fl) {
                    return d;
                }
                idx = c.parent[i];
            }
            return Err(LookupError::Again);
        }
        for (_, s) in self.covering(fl.dst) {
            if let Some(d) = self.decide(s, fl) {
                return d;
            }
        }
        Err(LookupError::Again)
    }

    /// A lookup over several tables merged into one trie, as the kernel keeps tables local
    /// and main while no custom rule exists: the longest prefix of any of them first; for
    /// one prefix, `first` first (the kernel's order: higher id first, local before main).
    /// No allocation: this is the forwarding path while no custom rule exists.
    pub fn lookup_merged<'a>(
        first: Option<&'a Table>,
        second: Option<&'a Table>,
        fl: &Flow4,
    ) -> Result<TableMatch<'a>, LookupError> {
        let mut a = first
            .into_iter()
            .flat_map(|t| t.covering(fl.dst).map(move |c| (t, c)));
        let mut b = second
            .into_iter()
            .flat_map(|t| t.covering(fl.dst).map(move |c| (t, c)));
        let (mut na, mut nb) = (a.next(), b.next());
        loop {
            // the longer prefix first; for one prefix, the first table first
            let take_a = match (&na, &nb) {
                (None, None) => return Err(LookupError::Again),
                (Some(_), None) => true,
                (None, Some(_)) => false,
                (Some((_, (pa, _))), Some((_, (pb, _)))) => pa.len() >= pb.len(),
            };
            let (t, (_, slot)) = if take_a {
                let x = na.take().expect("checked");
                na = a.next();
                x
            } else {
                let x = nb.take().expect("checked");
                nb = b.next();
                x
            };
            if let Some(d) = t.decide(slot, fl) {
                return d;
            }
        }
    }

    /// `ip route get fibmatch` / the prefix a lookup of `addr` lands on first (no filtering).
    pub fn longest_match(&self, addr: u32) -> Option<Prefix4> {
        self.covering(addr).next().map(|(p, _)| p)
    }
}

/// Every routing table, by id, remembering the order the kernel dumps them in.
#[derive(Clone, Debug, Default)]
pub struct Tables {
    tables: HashMap<TableId, Table>,
    /// Creation sequence of each table (the kernel dumps hash bucket `id & 255` in
    /// ascending order, and inside a bucket the newest table first).
    created: HashMap<TableId, u64>,
    seq: u64,
}

impl Tables {
    pub fn new() -> Tables {
        Tables::default()
    }

    pub fn get(&self, id: TableId) -> Option<&Table> {
        self.tables.get(&id)
    }

    pub fn get_mut(&mut self, id: TableId) -> Option<&mut Table> {
        self.tables.get_mut(&id)
    }

    /// The table, created empty if it does not exist yet (as a route add creates it).
    pub fn get_or_create(&mut self, id: TableId) -> &mut Table {
        if !self.tables.contains_key(&id) {
            self.seq += 1;
            self.created.insert(id, self.seq);
        }
        self.tables.entry(id).or_insert_with(|| Table::new(id))
    }

    /// Tables in the kernel's dump order (`ip route show table all`).
    pub fn in_dump_order(&self) -> Vec<&Table> {
        let mut v: Vec<&Table> = self.tables.values().collect();
        v.sort_by_key(|t| (t.id & 255, std::cmp::Reverse(self.created[&t.id])));
        v
    }

    pub fn iter_mut(&mut self) -> impl Iterator<Item = &mut Table> {
        self.tables.values_mut()
    }

    /// Compiles every table mutated since its last compile.
    pub fn compile_all(&mut self) {
        for t in self.tables.values_mut() {
            t.compile();
        }
    }
}

/// Helper for tests and tools: the mask of a prefix length.
pub fn prefix_mask(len: u8) -> u32 {
    mask(len)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::parse_prefix;
    use crate::route::{Nexthop, RT_SCOPE_LINK, RT_SCOPE_UNIVERSE};

    fn r(p: &str, metric: u32, dev: u32) -> Route {
        Route {
            prefix: parse_prefix(p).unwrap(),
            rtype: RouteType::Unicast,
            tos: 0,
            metric,
            protocol: 3,
            scope: RT_SCOPE_LINK,
            prefsrc: None,
            nexthops: vec![Nexthop::dev(dev)],
        }
    }

    fn rej(p: &str, t: RouteType) -> Route {
        Route {
            prefix: parse_prefix(p).unwrap(),
            rtype: t,
            tos: 0,
            metric: 0,
            protocol: 3,
            scope: RT_SCOPE_UNIVERSE,
            prefsrc: None,
            nexthops: vec![],
        }
    }

    fn fl(dst: &str) -> Flow4 {
        Flow4 {
            dst: u32::from(crate::parse_addr(dst).unwrap()),
            ..Default::default()
        }
    }

    #[test]
    fn add_exists_append_prepend_replace() {
        let mut t = Table::new(254);
        t.insert(r("10.0.0.0/8", 0, 2), InsertMode::Add).unwrap();
        assert_eq!(
            t.insert(r("10.0.0.0/8", 0, 3), InsertMode::Add),
            Err(TableError::Exists)
        );
        t.insert(r("10.0.0.0/8", 0, 3), InsertMode::Append).unwrap();
        assert_eq!(
            t.insert(r("10.0.0.0/8", 0, 3), InsertMode::Append),
            Err(TableError::Exists)
        );
        t.insert(r("10.0.0.0/8", 0, 4), InsertMode::Prepend)
            .unwrap();
        t.insert(r("10.0.0.0/8", 5, 5), InsertMode::Add).unwrap();
        let devs: Vec<_> = t.iter().map(|r| r.nexthops[0].dev.unwrap()).collect();
        assert_eq!(devs, vec![4, 2, 3, 5]);
        t.insert(r("10.0.0.0/8", 0, 9), InsertMode::Replace)
            .unwrap();
        let devs: Vec<_> = t.iter().map(|r| r.nexthops[0].dev.unwrap()).collect();
        assert_eq!(devs, vec![9, 2, 3, 5]);
        assert_eq!(
            t.insert(r("10.1.0.0/16", 0, 9), InsertMode::Change),
            Err(TableError::NotFound)
        );
        // replace with an identical route that is not first: EEXIST, as the kernel
        assert_eq!(
            t.insert(r("10.0.0.0/8", 0, 3), InsertMode::Replace),
            Err(TableError::Exists)
        );
        assert_eq!(t.len(), 4);
    }

    #[test]
    fn lowest_metric_wins_and_delete() {
        let mut t = Table::new(254);
        t.insert(r("10.0.0.0/8", 20, 2), InsertMode::Add).unwrap();
        t.insert(r("10.0.0.0/8", 10, 3), InsertMode::Add).unwrap();
        assert_eq!(t.lookup(&fl("10.1.1.1")).unwrap().route.metric, 10);
        let spec = DeleteSpec {
            prefix: parse_prefix("10.0.0.0/8").unwrap(),
            ..Default::default()
        };
        assert_eq!(t.delete(&spec).unwrap().metric, 10);
        assert_eq!(t.lookup(&fl("10.1.1.1")).unwrap().route.metric, 20);
        t.delete(&spec).unwrap();
        assert_eq!(t.delete(&spec), Err(TableError::NoSuchRoute));
        assert!(t.is_empty());
    }

    #[test]
    fn backtracking_on_oif_compiled_and_not() {
        for compiled in [false, true] {
            let mut t = Table::new(254);
            t.insert(r("10.0.0.0/8", 0, 2), InsertMode::Add).unwrap();
            t.insert(r("10.1.0.0/16", 0, 3), InsertMode::Add).unwrap();
            t.insert(r("10.1.1.0/24", 0, 4), InsertMode::Add).unwrap();
            if compiled {
                t.compile();
            }
            let mut f = fl("10.1.1.1");
            assert_eq!(t.lookup(&f).unwrap().route.prefix.len(), 24);
            f.oif = 3;
            assert_eq!(t.lookup(&f).unwrap().route.prefix.len(), 16);
            f.oif = 2;
            assert_eq!(t.lookup(&f).unwrap().route.prefix.len(), 8);
            f.oif = 7;
            assert_eq!(t.lookup(&f).unwrap_err(), LookupError::Again);
            assert_eq!(t.longest_match(f.dst).unwrap().len(), 24);
            assert!(t.lookup(&fl("11.0.0.1")).is_err());
        }
    }

    #[test]
    fn reject_types_and_scope() {
        let mut t = Table::new(4);
        t.insert(rej("10.0.0.0/8", RouteType::Throw), InsertMode::Add)
            .unwrap();
        t.insert(rej("10.1.0.0/16", RouteType::Prohibit), InsertMode::Add)
            .unwrap();
        t.insert(rej("10.2.0.0/16", RouteType::Unreachable), InsertMode::Add)
            .unwrap();
        t.insert(rej("10.3.0.0/16", RouteType::Blackhole), InsertMode::Add)
            .unwrap();
        assert_eq!(t.lookup(&fl("10.9.0.1")).unwrap_err(), LookupError::Again);
        assert_eq!(
            t.lookup(&fl("10.1.0.1")).unwrap_err(),
            LookupError::Prohibit
        );
        assert_eq!(
            t.lookup(&fl("10.2.0.1")).unwrap_err(),
            LookupError::Unreachable
        );
        assert_eq!(
            t.lookup(&fl("10.3.0.1")).unwrap_err(),
            LookupError::Blackhole
        );
        // scope filter: a reject route of scope universe is skipped for scope-link lookups
        let mut f = fl("10.1.0.1");
        f.scope = RT_SCOPE_LINK;
        assert_eq!(t.lookup(&f).unwrap_err(), LookupError::Again);
    }

    #[test]
    fn dump_order_longer_prefix_first_for_one_address() {
        // as the kernel's trie: same key, the longer prefix is listed first
        let mut t = Table::new(254);
        for p in ["10.0.0.0/8", "10.0.0.0/16", "9.0.0.0/8", "10.0.0.0/30"] {
            t.insert(r(p, 0, 2), InsertMode::Add).unwrap();
        }
        let order: Vec<String> = t.iter().map(|r| r.prefix.to_string()).collect();
        assert_eq!(
            order,
            ["9.0.0.0/8", "10.0.0.0/30", "10.0.0.0/16", "10.0.0.0/8"]
        );
        t.compile();
        let mut f = fl("10.0.0.1");
        f.oif = 2;
        assert_eq!(t.lookup(&f).unwrap().route.prefix.len(), 30);
        assert_eq!(t.lookup(&fl("10.0.1.1")).unwrap().route.prefix.len(), 16);
        assert_eq!(t.lookup(&fl("10.1.1.1")).unwrap().route.prefix.len(), 8);
    }

    #[test]
    fn dump_order_of_tables() {
        let mut ts = Tables::new();
        ts.get_or_create(255);
        ts.get_or_create(254);
        ts.get_or_create(4);
        ts.get_or_create(260); // same bucket as 4, newer: first
        let ids: Vec<_> = ts.in_dump_order().iter().map(|t| t.id).collect();
        assert_eq!(ids, vec![260, 4, 254, 255]);
    }
}
