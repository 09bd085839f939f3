//! ruta-policy: the routing policy database (`ip rule`) and the full route lookup.
//!
//! Owns the ordered list of rules with the kernel's semantics (`fib_rules.c`,
//! `fib4_rules.c`): where a rule without `pref` goes, `goto` targets that resolve and
//! unresolve as rules come and go, selectors with `not`, and the walk that each packet's
//! routing decision is: rules in priority order, each `lookup` a longest-prefix match in a
//! [`ruta_fib::Table`], `throw` and failed lookups falling through to the next rule,
//! `suppress_prefixlength`, and reject actions.
//!
//! It must not know about interface names, addresses, or how rules are written in text:
//! `ruta-config` parses and prints; this crate decides.

use ruta_fib::{Flow4, IfIndex, LookupError, Prefix4, Route, Table, TableId, Tables};
use std::net::Ipv4Addr;

pub mod proto;

/// What a rule does when its selectors match (`FR_ACT_*`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Action {
    /// `lookup TABLE` (FR_ACT_TO_TBL).
    Lookup(TableId),
    /// `goto PREF`.
    Goto(u32),
    /// `nop`.
    Nop,
    /// `blackhole`: drop silently (EINVAL).
    Blackhole,
    /// `unreachable` (ENETUNREACH).
    Unreachable,
    /// `prohibit` (EACCES).
    Prohibit,
}

/// An interface selector (`iif`/`oif`): the name the user gave, and its index while an
/// interface of that name exists (`None`: detached, the rule matches nothing).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct IfSel {
    pub name: String,
    pub index: Option<IfIndex>,
}

/// One rule.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Rule {
    pub pref: u32,
    /// `not`: the selectors' result is inverted.
    pub invert: bool,
    pub src: Option<Prefix4>,
    pub dst: Option<Prefix4>,
    /// The `tos`/`dsfield` selector as given (0: any).
    pub tos: u8,
    pub fwmark: u32,
    pub fwmask: u32,
    pub iif: Option<IfSel>,
    pub oif: Option<IfSel>,
    /// IP protocol number (0: any).
    pub ipproto: u8,
    pub sport: Option<(u16, u16)>,
    pub dport: Option<(u16, u16)>,
    pub action: Action,
    /// `suppress_prefixlength N`: refuse a result whose prefix is N bits or shorter.
    pub suppress_prefixlen: Option<u8>,
    /// `suppress_ifgroup G` (every ruta interface is in group 0).
    pub suppress_ifgroup: Option<u32>,
    /// `nat ADDR` (printed `map-to ADDR`): stateless NAT of the source, as the seed's
    /// Example 10.4 uses it.
    pub nat: Option<Ipv4Addr>,
    /// `protocol` of the rule: the kernel's own default rules are `kernel` (2), so a
    /// user's rule is never a duplicate of one of them.
    pub protocol: u8,
    /// Unique id of this rule (goto targets point at a rule, not at a priority).
    pub id: u64,
    /// The rule a `goto` jumps to: the first rule of the target priority when the goto
    /// was added, re-pointed as the kernel does when rules come and go.
    pub target: Option<u64>,
}

impl Rule {
    /// A rule matching everything, with the given action; pref 0.
    pub fn new(action: Action) -> Rule {
        Rule {
            pref: 0,
            invert: false,
            src: None,
            dst: None,
            tos: 0,
            fwmark: 0,
            fwmask: 0,
            iif: None,
            oif: None,
            ipproto: 0,
            sport: None,
            dport: None,
            action,
            suppress_prefixlen: None,
            suppress_ifgroup: None,
            nat: None,
            protocol: 0,
            id: 0,
            target: None,
        }
    }

    /// The table a `lookup` rule reads, if it is one.
    pub fn table(&self) -> Option<TableId> {
        match self.action {
            Action::Lookup(t) => Some(t),
            _ => None,
        }
    }

    /// The selectors alone, before `not` (the kernel's `fib_rule_match` + `fib4_rule_match`).
    fn selectors_match(&self, fl: &Flow4) -> bool {
        if let Some(s) = &self.iif {
            if s.index != Some(fl.iif) {
                return false;
            }
        }
        if let Some(s) = &self.oif {
            if s.index != Some(fl.oif) {
                return false;
            }
        }
        if (self.fwmark ^ fl.mark) & self.fwmask != 0 {
            return false;
        }
        if let Some(p) = self.src {
            if !p.contains(fl.src) {
                return false;
            }
        }
        if let Some(p) = self.dst {
            if !p.contains(fl.dst) {
                return false;
            }
        }
        let dscp = self.tos & 0xfc;
        if dscp != 0 && dscp != fl.tos & 0xfc {
            return false;
        }
        if self.ipproto != 0 && self.ipproto != fl.proto {
            return false;
        }
        if let Some((lo, hi)) = self.sport {
            if fl.sport < lo || fl.sport > hi {
                return false;
            }
        }
        if let Some((lo, hi)) = self.dport {
            if fl.dport < lo || fl.dport > hi {
                return false;
            }
        }
        true
    }

    /// Whether the rule applies to `fl`, `not` included.
    pub fn matches(&self, fl: &Flow4) -> bool {
        self.selectors_match(fl) != self.invert
    }
}

/// Why a lookup through the rules gave no route (the errno `ip route get` reports).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FibError {
    /// No rule gave a route (ESRCH, reported as ENETUNREACH), or an `unreachable` rule.
    NetUnreachable,
    /// An `unreachable` route (EHOSTUNREACH).
    HostUnreachable,
    /// A `prohibit` route or rule (EACCES).
    Prohibited,
    /// A `blackhole` route or rule (EINVAL).
    Blackhole,
}

impl FibError {
    /// The kernel's message for this errno, as iproute2 prints it after "RTNETLINK answers: ".
    pub fn strerror(self) -> &'static str {
        match self {
            FibError::NetUnreachable => "Network is unreachable",
            FibError::HostUnreachable => "No route to host",
            FibError::Prohibited => "Permission denied",
            FibError::Blackhole => "Invalid argument",
        }
    }
}

/// The result of a lookup through the rules: which rule decided, in which table, which
/// route and nexthop.
#[derive(Clone, Copy, Debug)]
pub struct FibResult<'a> {
    /// The rule that decided; `None` while tables local and main are merged (no custom
    /// rules: the kernel does not walk the rules then).
    pub rule: Option<&'a Rule>,
    pub table: TableId,
    pub route: &'a Route,
    pub nh: usize,
}

/// One step of a traced lookup, for `ruta trace` and `ruta ip route get` explanations.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum TraceStep {
    /// The rule's selectors did not match the flow.
    NoMatch { pref: u32 },
    /// `goto` from `pref` to the rule at `to` (None: unresolved, falls through).
    Goto { pref: u32, to: Option<u32> },
    /// `nop`.
    Nop { pref: u32 },
    /// The table had no route for the flow, or a `throw` route: next rule.
    NoRoute { pref: u32, table: TableId },
    /// The route found was refused by `suppress_prefixlength`.
    Suppressed {
        pref: u32,
        table: TableId,
        prefix: Prefix4,
    },
    /// The rule decided (a route, or an error).
    Decided { pref: u32 },
}

/// Errors of rule changes, with the kernel's errno in mind.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RuleError {
    /// EEXIST: an identical rule with the same priority.
    Exists,
    /// ENOENT: `ip rule del` found nothing.
    NotFound,
    /// EINVAL: `goto` to a priority at or before its own.
    BackwardGoto,
    /// EINVAL: the kernel forbids `goto` from priority 0 / other invalid combinations.
    Invalid(&'static str),
}

/// The routing policy database.
#[derive(Clone, Debug)]
pub struct Rpdb {
    rules: Vec<Rule>,
    next_id: u64,
    /// The kernel's `fib_has_custom_rules`: set by any rule change after the defaults, and
    /// never cleared. Until then local and main are one merged trie.
    custom: bool,
}

impl Default for Rpdb {
    fn default() -> Self {
        Rpdb::new()
    }
}

impl Rpdb {
    /// The three rules every Linux namespace starts with.
    pub fn new() -> Rpdb {
        let mut db = Rpdb {
            rules: Vec::new(),
            next_id: 1,
            custom: false,
        };
        for (pref, t) in [
            (0, ruta_fib::RT_TABLE_LOCAL),
            (32766, ruta_fib::RT_TABLE_MAIN),
            (32767, ruta_fib::RT_TABLE_DEFAULT),
        ] {
            let mut r = Rule::new(Action::Lookup(t));
            r.pref = pref;
            r.protocol = 2;
            db.add(r, true).expect("default rules");
        }
        db.custom = false;
        db
    }

    /// An empty database (no rules at all), for tests.
    pub fn empty() -> Rpdb {
        Rpdb {
            rules: Vec::new(),
            next_id: 1,
            custom: true,
        }
    }

    /// Rules in priority order.
    pub fn rules(&self) -> &[Rule] {
        &self.rules
    }

    pub fn rules_mut(&mut self) -> &mut [Rule] {
        &mut self.rules
    }

    /// True when there is any rule beyond the three defaults (the kernel's
    /// `fib4_has_custom_rules`, which decides how strictly sources are validated).
    pub fn has_custom_rules(&self) -> bool {
        self.custom
    }

    /// The priority the kernel gives a rule added without `pref`
    /// (`fib_default_rule_pref`): one less than the second rule's, or 0.
    pub fn default_pref(&self) -> u32 {
        match self.rules.get(1) {
            Some(r) if r.pref != 0 => r.pref - 1,
            _ => 0,
        }
    }

    /// Adds a rule. `has_pref` is false when the user gave no `pref`: the kernel's default
    /// applies. The rule goes after every rule of the same or lower priority.
    pub fn add(&mut self, mut rule: Rule, has_pref: bool) -> Result<u32, RuleError> {
        if !has_pref {
            rule.pref = self.default_pref();
        }
        if let Action::Goto(t) = rule.action {
            if t <= rule.pref {
                return Err(RuleError::BackwardGoto);
            }
        }
        // An identical rule with the same priority (given or the default one) is EEXIST.
        if self.rules.iter().any(|r| same_rule(r, &rule)) {
            return Err(RuleError::Exists);
        }
        rule.id = self.next_id;
        self.next_id += 1;
        rule.target = match rule.action {
            Action::Goto(t) => self.rules.iter().find(|r| r.pref == t).map(|r| r.id),
            _ => None,
        };
        let pos = self
            .rules
            .iter()
            .position(|r| r.pref > rule.pref)
            .unwrap_or(self.rules.len());
        let (pref, id) = (rule.pref, rule.id);
        self.rules.insert(pos, rule);
        self.custom = true;
        // Unresolved gotos to this priority now point here.
        for r in self.rules.iter_mut() {
            if r.action == Action::Goto(pref) && r.target.is_none() {
                r.target = Some(id);
            }
        }
        Ok(pref)
    }

    /// Deletes the first rule that `spec` matches (the kernel's `rule_find`): every field
    /// set in `spec` must be equal. `has_pref` says whether `pref` was given.
    pub fn delete(
        &mut self,
        spec: &Rule,
        has_pref: bool,
        action_given: bool,
    ) -> Result<Rule, RuleError> {
        let idx = self
            .rules
            .iter()
            .position(|r| delete_matches(r, spec, has_pref, action_given))
            .ok_or(RuleError::NotFound)?;
        let gone = self.rules.remove(idx);
        self.custom = true;
        // Gotos that pointed at it move to the next rule of the same priority, if any.
        let next = self
            .rules
            .get(idx)
            .filter(|n| n.pref == gone.pref)
            .map(|n| n.id);
        for r in self.rules.iter_mut() {
            if r.target == Some(gone.id) {
                r.target = next;
            }
        }
        Ok(gone)
    }

    /// Re-resolves `iif`/`oif` names to indexes (after links are added or removed).
    pub fn resolve_interfaces(&mut self, mut index_of: impl FnMut(&str) -> Option<IfIndex>) {
        for r in self.rules.iter_mut() {
            for s in [&mut r.iif, &mut r.oif].into_iter().flatten() {
                s.index = index_of(&s.name);
            }
        }
    }

    fn position_of(&self, id: u64) -> Option<usize> {
        self.rules.iter().position(|r| r.id == id)
    }

    /// `fib_lookup`: walks the rules for `fl` and returns the decision.
    pub fn lookup<'a>(
        &'a self,
        tables: &'a Tables,
        fl: &Flow4,
        mut trace: Option<&mut Vec<TraceStep>>,
    ) -> Result<FibResult<'a>, FibError> {
        if !self.custom {
            return merged_lookup(tables, fl);
        }
        let mut i = 0;
        // A goto always jumps forward, so the walk is bounded by the number of rules;
        // the counter guards against a corrupted list all the same.
        let mut budget = self.rules.len() * 2 + 2;
        while i < self.rules.len() && budget > 0 {
            budget -= 1;
            let rule = &self.rules[i];
            if !rule.matches(fl) {
                if let Some(t) = trace.as_deref_mut() {
                    t.push(TraceStep::NoMatch { pref: rule.pref });
                }
                i += 1;
                continue;
            }
            let table = match rule.action {
                Action::Goto(_) => {
                    match rule.target.and_then(|id| self.position_of(id)) {
                        Some(j) => {
                            if let Some(t) = trace.as_deref_mut() {
                                t.push(TraceStep::Goto {
                                    pref: rule.pref,
                                    to: Some(self.rules[j].pref),
                                });
                            }
                            i = j;
                        }
                        None => {
                            if let Some(t) = trace.as_deref_mut() {
                                t.push(TraceStep::Goto {
                                    pref: rule.pref,
                                    to: None,
                                });
                            }
                            i += 1;
                        }
                    }
                    continue;
                }
                Action::Nop => {
                    if let Some(t) = trace.as_deref_mut() {
                        t.push(TraceStep::Nop { pref: rule.pref });
                    }
                    i += 1;
                    continue;
                }
                Action::Blackhole | Action::Unreachable | Action::Prohibit => {
                    if let Some(t) = trace.as_deref_mut() {
                        t.push(TraceStep::Decided { pref: rule.pref });
                    }
                    return Err(match rule.action {
                        Action::Blackhole => FibError::Blackhole,
                        Action::Unreachable => FibError::NetUnreachable,
                        _ => FibError::Prohibited,
                    });
                }
                Action::Lookup(t) => t,
            };
            let res = match tables.get(table) {
                Some(tb) => tb.lookup(fl),
                None => Err(LookupError::Again),
            };
            match res {
                Ok(m) => {
                    if let Some(pl) = rule.suppress_prefixlen {
                        if m.route.prefix.len() <= pl {
                            if let Some(t) = trace.as_deref_mut() {
                                t.push(TraceStep::Suppressed {
                                    pref: rule.pref,
                                    table,
                                    prefix: m.route.prefix,
                                });
                            }
                            i += 1;
                            continue;
                        }
                    }
                    if rule.suppress_ifgroup == Some(0) && !m.route.nexthops.is_empty() {
                        i += 1;
                        continue;
                    }
                    if let Some(t) = trace.as_deref_mut() {
                        t.push(TraceStep::Decided { pref: rule.pref });
                    }
                    return Ok(FibResult {
                        rule: Some(rule),
                        table,
                        route: m.route,
                        nh: m.nh,
                    });
                }
                Err(LookupError::Again) => {
                    if let Some(t) = trace.as_deref_mut() {
                        t.push(TraceStep::NoRoute {
                            pref: rule.pref,
                            table,
                        });
                    }
                    i += 1;
                }
                Err(e) => {
                    if let Some(t) = trace.as_deref_mut() {
                        t.push(TraceStep::Decided { pref: rule.pref });
                    }
                    return Err(match e {
                        LookupError::Blackhole => FibError::Blackhole,
                        LookupError::Unreachable => FibError::HostUnreachable,
                        LookupError::Prohibit => FibError::Prohibited,
                        LookupError::Again => unreachable!("handled above"),
                    });
                }
            }
        }
        Err(FibError::NetUnreachable)
    }
}

fn map_err(e: LookupError) -> FibError {
    match e {
        LookupError::Again => FibError::NetUnreachable,
        LookupError::Blackhole => FibError::Blackhole,
        LookupError::Unreachable => FibError::HostUnreachable,
        LookupError::Prohibit => FibError::Prohibited,
    }
}

/// The kernel's `fib_lookup` fast path, without custom rules: tables local and main as
/// one merged trie (reported as main), then on any error table default.
fn merged_lookup<'a>(tables: &'a Tables, fl: &Flow4) -> Result<FibResult<'a>, FibError> {
    let local = tables.get(ruta_fib::RT_TABLE_LOCAL);
    let main = tables.get(ruta_fib::RT_TABLE_MAIN);
    let mut err = match Table::lookup_merged(local, main, fl) {
        Ok(m) => {
            return Ok(FibResult {
                rule: None,
                table: ruta_fib::RT_TABLE_MAIN,
                route: m.route,
                nh: m.nh,
            })
        }
        Err(e) => e,
    };
    // only "nothing found" goes on to table default; an error of main stands
    if let (LookupError::Again, Some(t)) = (err, tables.get(ruta_fib::RT_TABLE_DEFAULT)) {
        match t.lookup(fl) {
            Ok(m) => {
                return Ok(FibResult {
                    rule: None,
                    table: ruta_fib::RT_TABLE_DEFAULT,
                    route: m.route,
                    nh: m.nh,
                })
            }
            Err(e) => err = e,
        }
    }
    Err(map_err(err))
}

/// The kernel's `rule_exists` (with `fib4_rule_compare`): `new` duplicates `r` when
/// priority, action, interfaces, marks, ports, protocols and suppressors are equal, and
/// `from`/`to`/`tos` are equal where `new` sets them. `not` is not compared.
fn same_rule(r: &Rule, new: &Rule) -> bool {
    let set = |p: &Option<Prefix4>| p.filter(|p| p.len() != 0);
    // the goto target is not compared: two gotos of one priority are duplicates
    let same_action = match (r.action, new.action) {
        (Action::Goto(_), Action::Goto(_)) => true,
        (a, b) => a == b,
    };
    r.pref == new.pref
        && same_action
        && r.iif.as_ref().map(|s| &s.name) == new.iif.as_ref().map(|s| &s.name)
        && r.oif.as_ref().map(|s| &s.name) == new.oif.as_ref().map(|s| &s.name)
        && r.fwmark == new.fwmark
        && r.fwmask == new.fwmask
        && r.suppress_prefixlen == new.suppress_prefixlen
        && r.suppress_ifgroup == new.suppress_ifgroup
        && r.ipproto == new.ipproto
        && r.protocol == new.protocol
        && r.sport == new.sport
        && r.dport == new.dport
        && set(&new.src).is_none_or(|p| set(&r.src) == Some(p))
        && set(&new.dst).is_none_or(|p| set(&r.dst) == Some(p))
        && (new.tos == 0 || r.tos == new.tos)
        && (new.nat.is_none() || r.nat == new.nat)
}

/// The kernel's `rule_find` for deletion: only the fields the user gave must agree.
fn delete_matches(r: &Rule, s: &Rule, has_pref: bool, action_given: bool) -> bool {
    if action_given {
        let same_kind = std::mem::discriminant(&r.action) == std::mem::discriminant(&s.action);
        if !same_kind {
            return false;
        }
        // as rule_find: the goto target is not compared
    }
    if let Action::Lookup(t) = s.action {
        if t != 0 && r.table() != Some(t) {
            return false;
        }
    }
    if has_pref && r.pref != s.pref {
        return false;
    }
    if let Some(i) = &s.iif {
        if r.iif.as_ref().map(|x| &x.name) != Some(&i.name) {
            return false;
        }
    }
    if let Some(i) = &s.oif {
        if r.oif.as_ref().map(|x| &x.name) != Some(&i.name) {
            return false;
        }
    }
    if s.fwmark != 0 && r.fwmark != s.fwmark {
        return false;
    }
    if s.fwmask != 0 && r.fwmask != s.fwmask {
        return false;
    }
    if s.suppress_prefixlen.is_some() && r.suppress_prefixlen != s.suppress_prefixlen {
        return false;
    }
    if s.suppress_ifgroup.is_some() && r.suppress_ifgroup != s.suppress_ifgroup {
        return false;
    }
    if s.ipproto != 0 && r.ipproto != s.ipproto {
        return false;
    }
    if s.sport.is_some() && r.sport != s.sport {
        return false;
    }
    if s.dport.is_some() && r.dport != s.dport {
        return false;
    }
    if let Some(p) = s.src {
        if p.len() != 0 && r.src != Some(p) {
            return false;
        }
    }
    if let Some(p) = s.dst {
        if p.len() != 0 && r.dst != Some(p) {
            return false;
        }
    }
    if s.tos != 0 && r.tos != s.tos {
        return false;
    }
    if s.nat.is_some() && r.nat != s.nat {
        return false;
    }
    true
}

#[cfg(test)]
mod tests;
