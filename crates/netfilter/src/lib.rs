//! ruta-netfilter: iptables for ruta — the tables `mangle`, `nat` and `filter`, their
//! chains and rules, the admin's words that change them, the texts that show them, and
//! the per-packet evaluation.
//!
//! What this crate owns:
//! - [`Ruleset`]: the tables as `iptables` keeps them (builtin chains with policies, user
//!   chains sorted by name, rules in order). [`Ruleset::apply`] takes the words after
//!   `iptables` (`-A -I -D -R -C -N -X -F -P -Z -E -L -S` with `-t -n -v -x
//!   --line-numbers -c`), [`Ruleset::apply_save_line`] takes `iptables-save` text one line
//!   at a time, applying a table at `COMMIT` like `iptables-restore` does.
//! - Rendering ([`render`]): `-L` in all its forms (`-n`, `-v`, `-x`, `--line-numbers`, one
//!   chain, one rule), `-S`, and `iptables-save`, byte for byte as **iptables 1.8.9** prints
//!   them (captured from the real tool in a network namespace; the expected texts are
//!   literals in the tests). The seed document shows an older iptables (e.g. `all` in the
//!   `prot` column of `-nvL`); 1.8.9 prints the protocol number there with `-n`, and ruta
//!   follows 1.8.9.
//! - Evaluation ([`eval`]): [`Ruleset::compile`] turns the tables into a [`Compiled`] form
//!   with interface names resolved to port bitmaps; [`Compiled::run`] walks one hook of one
//!   table for one packet's [`Meta`] without allocating and without comparing strings.
//!
//! It must not know about frames, sockets, threads, routing or conntrack internals: the
//! pipeline fills a [`Meta`] and acts on the [`Verdict`].
//!
//! ## Counters
//! Counters live outside the ruleset, per worker, in [`Counters`] (a plain vector of
//! (packets, bytes), no atomics), created by [`Compiled::counters`] and summed with
//! [`Counters::add`] for display. Every rule and every builtin chain policy owns a
//! *counter slot* allocated by the ruleset when the rule is created; the slot stays with
//! the rule when other rules are inserted or deleted (as iptables keeps counters across
//! `-A`/`-D` of other rules), and is released when the rule goes. A released slot that is
//! reused gets a new *generation*; [`Counters`] remember the generation of each slot, so
//! counts of a deleted rule never show up on the rule that reuses its slot
//! ([`Counters::sync`] zeroes such slots when a worker adopts a new [`Compiled`]).
//! `-c PKTS BYTES` (and `[p:b]` in `iptables-save` text, and `:CHAIN POLICY [p:b]`) sets a
//! rule's *starting* counters: they are kept in the ruleset and added to the live counters
//! when listing, exactly as if the kernel had counted them. `-Z` clears those starting
//! values and answers [`Output::Zero`] with the slots whose live counters the caller must
//! zero in every worker's [`Counters`] ([`Counters::zero`]).
//!
//! ## Differences from the kernel (on purpose or not yet)
//! - Loops between user chains are refused when the jump is added even if no builtin chain
//!   reaches them (the kernel only refuses loops reachable from a hook).
//! - `-s`/`-d` take numeric addresses only (no DNS; `a.b.c.d`, partial forms like `10/8`
//!   and `0/0` as iptables accepts them), one address per rule (no comma lists). Listing
//!   without `-n` prints `anywhere` and names of protocols, services and ICMP types like
//!   iptables, but addresses stay numeric (iptables would try reverse DNS).
//! - Not implemented: `LOG`, `QUEUE`, `-L -Z` together, getopt's
//!   abbreviations of long options, CONNMARK shifts, NAT port offsets (`/N`).
//! - The evaluation stack holds 64 nested jumps; deeper nesting drops the packet (the
//!   kernel sizes its stack to the table instead).

pub mod eval;
mod names;
mod parse;
pub mod render;
mod restore;
mod rule;
mod validate;

#[cfg(test)]
mod tests;
#[cfg(test)]
mod tests_oracle;

pub use eval::{Compiled, Counters, TraceKind, TraceStep};
pub use parse::{icmp_type_named, ListFmt};
pub use restore::SaveState;
pub use rule::{Addr, ConnmarkOp, Iface, Match, MultiDir, NatRange, Rule, Target};

use std::fmt;

/// The three tables. The discriminant is the index used in [`Compiled`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum TableId {
    Mangle = 0,
    Nat = 1,
    Filter = 2,
}

impl TableId {
    pub const ALL: [TableId; 3] = [TableId::Mangle, TableId::Nat, TableId::Filter];

    pub fn name(self) -> &'static str {
        match self {
            TableId::Mangle => "mangle",
            TableId::Nat => "nat",
            TableId::Filter => "filter",
        }
    }

    pub fn from_name(s: &str) -> Option<TableId> {
        match s {
            "mangle" => Some(TableId::Mangle),
            "nat" => Some(TableId::Nat),
            "filter" => Some(TableId::Filter),
            _ => None,
        }
    }

    /// The builtin chains of this table, in the order iptables lists them.
    pub fn hooks(self) -> &'static [Hook] {
        use Hook::*;
        match self {
            TableId::Mangle => &[Prerouting, Input, Forward, Output, Postrouting],
            TableId::Nat => &[Prerouting, Input, Output, Postrouting],
            TableId::Filter => &[Input, Forward, Output],
        }
    }
}

impl fmt::Display for TableId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// The netfilter hooks (NF_INET_*), named as iptables names the builtin chains.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Hook {
    Prerouting = 0,
    Input = 1,
    Forward = 2,
    Output = 3,
    Postrouting = 4,
}

impl Hook {
    pub const ALL: [Hook; 5] = [
        Hook::Prerouting,
        Hook::Input,
        Hook::Forward,
        Hook::Output,
        Hook::Postrouting,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Hook::Prerouting => "PREROUTING",
            Hook::Input => "INPUT",
            Hook::Forward => "FORWARD",
            Hook::Output => "OUTPUT",
            Hook::Postrouting => "POSTROUTING",
        }
    }

    pub fn from_name(s: &str) -> Option<Hook> {
        Hook::ALL.into_iter().find(|h| h.name() == s)
    }

    pub(crate) fn bit(self) -> u8 {
        1 << (self as u8)
    }
}

impl fmt::Display for Hook {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// Connection tracking state bits, as `xt_conntrack` numbers them
/// (`XT_CONNTRACK_STATE_BIT(ctinfo)`, UNTRACKED/SNAT/DNAT flags).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct CtState(pub u16);

impl CtState {
    pub const INVALID: CtState = CtState(1 << 0);
    pub const ESTABLISHED: CtState = CtState(1 << 1);
    pub const RELATED: CtState = CtState(1 << 2);
    pub const NEW: CtState = CtState(1 << 3);
    pub const UNTRACKED: CtState = CtState(1 << 8);
    /// The connection has a source NAT binding (IPS_SRC_NAT).
    pub const SNAT: CtState = CtState(1 << 9);
    /// The connection has a destination NAT binding (IPS_DST_NAT).
    pub const DNAT: CtState = CtState(1 << 10);

    pub fn contains(self, o: CtState) -> bool {
        self.0 & o.0 == o.0
    }
}

impl std::ops::BitOr for CtState {
    type Output = CtState;
    fn bitor(self, o: CtState) -> CtState {
        CtState(self.0 | o.0)
    }
}

/// What the pipeline knows about a packet at a hook. Filled without allocation.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Meta {
    /// Input port index (in the list given to [`Ruleset::compile`]); `None` for locally
    /// generated packets.
    pub iif: Option<u16>,
    /// Output port index; `None` before routing.
    pub oif: Option<u16>,
    pub src: u32,
    pub dst: u32,
    pub proto: u8,
    pub sport: u16,
    pub dport: u16,
    pub icmp_type: u8,
    pub icmp_code: u8,
    pub tcp_flags: u8,
    /// Non-first fragment: port and ICMP matches never match, as in the kernel.
    pub fragment: bool,
    /// IP total length, for byte counters.
    pub len: u32,
    pub tos: u8,
    pub ttl: u8,
    /// skb mark; MARK changes it.
    pub mark: u32,
    /// Connection mark; CONNMARK changes it.
    pub ctmark: u32,
    pub ctstate: CtState,
}

impl Meta {
    /// Whether the packet has a conntrack entry (`nf_ct_get` not NULL): not for INVALID
    /// or UNTRACKED packets. CONNMARK and `-m connmark` do nothing without one.
    #[inline]
    pub fn has_conntrack(&self) -> bool {
        self.ctstate.0 & (CtState::INVALID.0 | CtState::UNTRACKED.0) == 0
    }
}

/// `--reject-with` types (ipt_REJECT).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum RejectWith {
    NetUnreachable,
    HostUnreachable,
    PortUnreachable,
    ProtoUnreachable,
    NetProhibited,
    HostProhibited,
    AdminProhibited,
    TcpReset,
}

impl RejectWith {
    pub const ALL: [RejectWith; 8] = [
        RejectWith::NetUnreachable,
        RejectWith::HostUnreachable,
        RejectWith::PortUnreachable,
        RejectWith::ProtoUnreachable,
        RejectWith::NetProhibited,
        RejectWith::HostProhibited,
        RejectWith::AdminProhibited,
        RejectWith::TcpReset,
    ];

    pub fn name(self) -> &'static str {
        match self {
            RejectWith::NetUnreachable => "icmp-net-unreachable",
            RejectWith::HostUnreachable => "icmp-host-unreachable",
            RejectWith::PortUnreachable => "icmp-port-unreachable",
            RejectWith::ProtoUnreachable => "icmp-proto-unreachable",
            RejectWith::NetProhibited => "icmp-net-prohibited",
            RejectWith::HostProhibited => "icmp-host-prohibited",
            RejectWith::AdminProhibited => "icmp-admin-prohibited",
            RejectWith::TcpReset => "tcp-reset",
        }
    }

    fn alias(self) -> &'static str {
        match self {
            RejectWith::NetUnreachable => "net-unreach",
            RejectWith::HostUnreachable => "host-unreach",
            RejectWith::PortUnreachable => "port-unreach",
            RejectWith::ProtoUnreachable => "proto-unreach",
            RejectWith::NetProhibited => "net-prohib",
            RejectWith::HostProhibited => "host-prohib",
            RejectWith::AdminProhibited => "admin-prohib",
            RejectWith::TcpReset => "tcp-rst",
        }
    }

    pub fn from_name(s: &str) -> Option<RejectWith> {
        RejectWith::ALL
            .into_iter()
            .find(|r| r.name() == s || r.alias() == s)
    }

    /// ICMP (type, code) sent, `None` for a TCP reset.
    pub fn icmp(self) -> Option<(u8, u8)> {
        Some(match self {
            RejectWith::NetUnreachable => (3, 0),
            RejectWith::HostUnreachable => (3, 1),
            RejectWith::ProtoUnreachable => (3, 2),
            RejectWith::PortUnreachable => (3, 3),
            RejectWith::NetProhibited => (3, 9),
            RejectWith::HostProhibited => (3, 10),
            RejectWith::AdminProhibited => (3, 13),
            RejectWith::TcpReset => return None,
        })
    }
}

/// A NAT decision (from table nat only). The pipeline records the binding in conntrack.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum NatTarget {
    /// `SNAT --to-source`.
    Snat(NatRange),
    /// `DNAT --to-destination`.
    Dnat(NatRange),
    /// `MASQUERADE`: source becomes the output interface's address.
    Masquerade {
        ports: Option<(u16, u16)>,
        random: bool,
        random_fully: bool,
    },
    /// `NETMAP --to addr/mask`: the address's network part is replaced, host part kept;
    /// the source at POSTROUTING/INPUT, the destination at PREROUTING/OUTPUT.
    Netmap { addr: u32, mask: u32 },
}

impl NatTarget {
    /// NETMAP's mapping of one address: `(orig & !mask) | (addr & mask)`.
    pub fn netmap(addr: u32, mask: u32, orig: u32) -> u32 {
        (orig & !mask) | (addr & mask)
    }
}

/// The outcome of one table at one hook.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Verdict {
    Accept,
    Drop,
    Reject(RejectWith),
    /// Only from table nat.
    Nat(NatTarget),
}

/// A builtin chain's policy.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Policy {
    Accept,
    Drop,
}

impl Policy {
    pub fn name(self) -> &'static str {
        match self {
            Policy::Accept => "ACCEPT",
            Policy::Drop => "DROP",
        }
    }
}

/// An error; nothing was changed. `Display` gives the text iptables would print.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum NfError {
    /// A command-line problem (iptables' PARAMETER_PROBLEM; it prints
    /// "iptables v1.8.9: MSG" and a hint to try `iptables -h`).
    Param(String),
    /// What the kernel refused (iptables prints "iptables: MSG").
    Kernel(String),
}

impl fmt::Display for NfError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            NfError::Param(m) => f.write_str(m),
            NfError::Kernel(m) => write!(f, "iptables: {m}"),
        }
    }
}

impl std::error::Error for NfError {}

pub(crate) fn param<T>(m: impl Into<String>) -> Result<T, NfError> {
    Err(NfError::Param(m.into()))
}

pub(crate) fn kernel<T>(m: impl Into<String>) -> Result<T, NfError> {
    Err(NfError::Kernel(m.into()))
}

pub(crate) const NO_CHAIN: &str = "No chain/target/match by that name.";

/// What a command answers.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Output {
    /// A change was made (or `-C` found the rule).
    Done,
    /// Listing text (`-L`, `-S`), exactly as iptables prints it.
    Text(String),
    /// `-Z`: these counter slots must be zeroed in every [`Counters`]
    /// ([`Counters::zero`]); the ruleset's starting values are already cleared.
    Zero(Vec<u32>),
}

/// A chain: builtin (with a policy) or user-defined.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Chain {
    pub name: String,
    /// `Some` for builtin chains.
    pub policy: Option<Policy>,
    pub rules: Vec<Rule>,
    /// Counter slot of the policy (builtin chains).
    pub(crate) slot: u32,
    /// Starting counters of the policy (`[p:b]` in save text).
    pub(crate) base: (u64, u64),
}

impl Chain {
    pub fn is_builtin(&self) -> bool {
        self.policy.is_some()
    }
}

/// One table: builtin chains first (hook order), then user chains sorted by name.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Table {
    pub id: TableId,
    pub chains: Vec<Chain>,
}

impl Table {
    pub(crate) fn new(id: TableId, slots: &mut Slots) -> Table {
        Table {
            id,
            chains: id
                .hooks()
                .iter()
                .map(|h| Chain {
                    name: h.name().to_string(),
                    policy: Some(Policy::Accept),
                    rules: Vec::new(),
                    slot: slots.alloc(),
                    base: (0, 0),
                })
                .collect(),
        }
    }

    pub fn chain(&self, name: &str) -> Option<&Chain> {
        self.chains.iter().find(|c| c.name == name)
    }

    pub(crate) fn chain_idx(&self, name: &str) -> Option<usize> {
        self.chains.iter().position(|c| c.name == name)
    }

    pub(crate) fn n_builtin(&self) -> usize {
        self.id.hooks().len()
    }

    /// Number of rules jumping or going to `name`.
    pub fn references(&self, name: &str) -> u32 {
        self.chains
            .iter()
            .flat_map(|c| c.rules.iter())
            .filter(|r| matches!(&r.target, Target::Jump(t) if t == name))
            .count() as u32
    }

    /// Where a new user chain goes to keep user chains sorted.
    pub(crate) fn user_insert_pos(&self, name: &str) -> usize {
        let nb = self.n_builtin();
        nb + self.chains[nb..]
            .iter()
            .take_while(|c| c.name.as_str() < name)
            .count()
    }
}

/// Counter slot allocator: a generation per slot and a free list.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct Slots {
    pub(crate) gen: Vec<u32>,
    free: Vec<u32>,
}

impl Slots {
    pub(crate) fn alloc(&mut self) -> u32 {
        if let Some(s) = self.free.pop() {
            let g = &mut self.gen[s as usize];
            *g = g.wrapping_add(1);
            s
        } else {
            self.gen.push(0);
            (self.gen.len() - 1) as u32
        }
    }

    pub(crate) fn release(&mut self, s: u32) {
        if (s as usize) < self.gen.len() {
            self.free.push(s);
        }
    }
}

/// The three tables, and the counter slots of their rules.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Ruleset {
    pub(crate) tables: [Table; 3],
    pub(crate) slots: Slots,
}

impl Default for Ruleset {
    fn default() -> Self {
        Self::new()
    }
}

impl Ruleset {
    /// All tables with their builtin chains, policy ACCEPT, no rules.
    pub fn new() -> Ruleset {
        let mut slots = Slots::default();
        let tables = [
            Table::new(TableId::Mangle, &mut slots),
            Table::new(TableId::Nat, &mut slots),
            Table::new(TableId::Filter, &mut slots),
        ];
        Ruleset { tables, slots }
    }

    pub fn table(&self, t: TableId) -> &Table {
        &self.tables[t as usize]
    }

    /// Apply the words after `iptables`. Listing commands print counters as the ruleset
    /// knows them alone (starting values from `-c`); use [`Ruleset::apply_with`] to show
    /// live counters. On error nothing changes.
    pub fn apply(&mut self, args: &[&str]) -> Result<Output, NfError> {
        self.apply_with(args, None)
    }

    /// As [`Ruleset::apply`], listing with the given (summed) live counters.
    pub fn apply_with(&mut self, args: &[&str], ctr: Option<&Counters>) -> Result<Output, NfError> {
        let cmd = parse::parse(args, self)?;
        self.exec(cmd, ctr)
    }

    fn exec(&mut self, p: parse::Parsed, ctr: Option<&Counters>) -> Result<Output, NfError> {
        use parse::Cmd;
        let ti = p.table as usize;
        let empty = Counters::default();
        let ctr = ctr.unwrap_or(&empty);
        match p.cmd {
            Cmd::List { chain, num, fmt } => {
                render::list(self, p.table, chain.as_deref(), num, fmt, ctr).map(Output::Text)
            }
            Cmd::ListRules {
                chain,
                num,
                verbose,
            } => render::list_rules(self, p.table, chain.as_deref(), num, verbose, ctr)
                .map(Output::Text),
            Cmd::Append { chain, rule } => {
                let ci = self.need_chain(ti, &chain)?;
                validate::check_rule_here(&self.tables[ti], ci, &rule)?;
                let pos = self.tables[ti].chains[ci].rules.len();
                self.insert_checked(ti, ci, pos, rule)
            }
            Cmd::Insert { chain, pos, rule } => {
                let ci = self.need_chain(ti, &chain)?;
                let n = self.tables[ti].chains[ci].rules.len();
                if pos == 0 || pos > n + 1 {
                    return kernel("Index of insertion too big.");
                }
                validate::check_rule_here(&self.tables[ti], ci, &rule)?;
                self.insert_checked(ti, ci, pos - 1, rule)
            }
            Cmd::Replace { chain, pos, rule } => {
                let ci = self.need_chain(ti, &chain)?;
                let n = self.tables[ti].chains[ci].rules.len();
                if pos == 0 || pos > n {
                    return kernel("Index of replacement too big.");
                }
                validate::check_rule_here(&self.tables[ti], ci, &rule)?;
                // The replaced rule's counters go with it (iptables -R resets them,
                // unless -c is given).
                let needs = rule.target.needs_table_check();
                let old = std::mem::replace(&mut self.tables[ti].chains[ci].rules[pos - 1], rule);
                if needs {
                    if let Err(e) = validate::check_table(&self.tables[ti]) {
                        self.tables[ti].chains[ci].rules[pos - 1] = old;
                        return Err(e);
                    }
                }
                self.slots.release(old.slot);
                self.tables[ti].chains[ci].rules[pos - 1].slot = self.slots.alloc();
                Ok(Output::Done)
            }
            Cmd::DeleteNum { chain, pos } => {
                let ci = self.need_chain(ti, &chain)?;
                let n = self.tables[ti].chains[ci].rules.len();
                if pos == 0 || pos > n {
                    return kernel("Index of deletion too big.");
                }
                let r = self.tables[ti].chains[ci].rules.remove(pos - 1);
                self.slots.release(r.slot);
                Ok(Output::Done)
            }
            Cmd::DeleteSpec { chain, rule } => {
                let ci = self.need_chain(ti, &chain)?;
                let c = &mut self.tables[ti].chains[ci];
                match c.rules.iter().position(|r| r.same_spec(&rule)) {
                    Some(i) => {
                        let r = c.rules.remove(i);
                        self.slots.release(r.slot);
                        Ok(Output::Done)
                    }
                    None => kernel("Bad rule (does a matching rule exist in that chain?)."),
                }
            }
            Cmd::Check { chain, rule } => {
                let ci = self.need_chain(ti, &chain)?;
                if self.tables[ti].chains[ci]
                    .rules
                    .iter()
                    .any(|r| r.same_spec(&rule))
                {
                    Ok(Output::Done)
                } else {
                    kernel("Bad rule (does a matching rule exist in that chain?).")
                }
            }
            Cmd::NewChain(name) => {
                if self.tables[ti].chain(&name).is_some() {
                    return kernel("Chain already exists.");
                }
                let t = &mut self.tables[ti];
                let pos = t.user_insert_pos(&name);
                t.chains.insert(
                    pos,
                    Chain {
                        name,
                        policy: None,
                        rules: Vec::new(),
                        slot: u32::MAX,
                        base: (0, 0),
                    },
                );
                Ok(Output::Done)
            }
            Cmd::DeleteChain(name) => {
                let t = &self.tables[ti];
                match name {
                    Some(name) => {
                        let ci = self.need_chain(ti, &name)?;
                        let c = &t.chains[ci];
                        if c.is_builtin() {
                            return kernel("Invalid argument.");
                        }
                        if t.references(&name) > 0 {
                            return kernel("Too many links.");
                        }
                        if !c.rules.is_empty() {
                            return kernel("Directory not empty.");
                        }
                        self.tables[ti].chains.remove(ci);
                    }
                    None => {
                        // Every user chain; refused if a builtin chain still jumps to one,
                        // or any is non-empty (iptables -X deletes empty unreferenced
                        // chains one by one and stops at the first failure; ruta refuses
                        // the whole command so that an error changes nothing).
                        let nb = t.n_builtin();
                        for c in &t.chains[nb..] {
                            if !c.rules.is_empty() {
                                return kernel("Directory not empty.");
                            }
                        }
                        for c in &t.chains[..nb] {
                            if c.rules.iter().any(|r| matches!(r.target, Target::Jump(_))) {
                                return kernel("Too many links.");
                            }
                        }
                        self.tables[ti].chains.truncate(nb);
                    }
                }
                Ok(Output::Done)
            }
            Cmd::Flush(name) => {
                let idx: Vec<usize> = match name {
                    Some(n) => vec![self.need_chain(ti, &n)?],
                    None => (0..self.tables[ti].chains.len()).collect(),
                };
                for ci in idx {
                    let rules = std::mem::take(&mut self.tables[ti].chains[ci].rules);
                    for r in rules {
                        self.slots.release(r.slot);
                    }
                }
                Ok(Output::Done)
            }
            Cmd::Policy {
                chain,
                policy,
                counters,
            } => {
                let ci = self.need_chain(ti, &chain)?;
                let c = &mut self.tables[ti].chains[ci];
                if !c.is_builtin() {
                    return kernel("Bad built-in chain name.");
                }
                c.policy = Some(policy);
                if let Some(b) = counters {
                    c.base = b;
                }
                Ok(Output::Done)
            }
            Cmd::Zero { chain, num } => {
                let idx: Vec<usize> = match &chain {
                    Some(n) => vec![self.need_chain(ti, n)?],
                    None => (0..self.tables[ti].chains.len()).collect(),
                };
                let mut out = Vec::new();
                if let Some(num) = num {
                    let c = &mut self.tables[ti].chains[idx[0]];
                    if num == 0 || num > c.rules.len() {
                        return kernel("Index of counter too big.");
                    }
                    let r = &mut c.rules[num - 1];
                    r.base = (0, 0);
                    out.push(r.slot);
                    return Ok(Output::Zero(out));
                }
                for ci in idx {
                    let c = &mut self.tables[ti].chains[ci];
                    if c.is_builtin() {
                        c.base = (0, 0);
                        out.push(c.slot);
                    }
                    for r in &mut c.rules {
                        r.base = (0, 0);
                        out.push(r.slot);
                    }
                }
                Ok(Output::Zero(out))
            }
            Cmd::Rename { old, new } => {
                let ci = self.need_chain(ti, &old)?;
                if self.tables[ti].chain(&new).is_some() {
                    return kernel("File exists.");
                }
                let t = &mut self.tables[ti];
                if t.chains[ci].is_builtin() {
                    return kernel("Invalid argument.");
                }
                let mut c = t.chains.remove(ci);
                for ch in t.chains.iter_mut() {
                    for r in ch.rules.iter_mut() {
                        if let Target::Jump(n) = &mut r.target {
                            if *n == old {
                                *n = new.clone();
                            }
                        }
                    }
                }
                for r in c.rules.iter_mut() {
                    if let Target::Jump(n) = &mut r.target {
                        if *n == old {
                            *n = new.clone();
                        }
                    }
                }
                c.name = new;
                let pos = t.user_insert_pos(&c.name);
                t.chains.insert(pos, c);
                Ok(Output::Done)
            }
        }
    }

    fn need_chain(&self, ti: usize, name: &str) -> Result<usize, NfError> {
        match self.tables[ti].chain_idx(name) {
            Some(i) => Ok(i),
            None => kernel(NO_CHAIN),
        }
    }

    /// Insert, then check the whole table (loops, target hooks) if the rule can affect
    /// them; undo on failure.
    fn insert_checked(
        &mut self,
        ti: usize,
        ci: usize,
        pos: usize,
        rule: Rule,
    ) -> Result<Output, NfError> {
        let needs = rule.target.needs_table_check();
        self.tables[ti].chains[ci].rules.insert(pos, rule);
        if needs {
            if let Err(e) = validate::check_table(&self.tables[ti]) {
                self.tables[ti].chains[ci].rules.remove(pos);
                return Err(e);
            }
        }
        self.tables[ti].chains[ci].rules[pos].slot = self.slots.alloc();
        Ok(Output::Done)
    }

    /// Resolve interface names against `ports` and flatten the tables for
    /// [`Compiled::run`].
    pub fn compile(&self, ports: &[&str]) -> Compiled {
        eval::compile(self, ports)
    }

    /// `iptables-save` text of all tables (mangle, filter, nat: the order iptables-nft-save
    /// uses), with `ts` as the timestamp in the header and footer comments. `counters`:
    /// `iptables-save -c` (rule counters as `[p:b]` prefixes).
    pub fn save(&self, ctr: Option<&Counters>, counters: bool, ts: &str) -> String {
        let empty = Counters::default();
        render::save(self, None, ctr.unwrap_or(&empty), counters, ts)
    }

    /// `iptables-save -t TABLE`.
    pub fn save_table(
        &self,
        t: TableId,
        ctr: Option<&Counters>,
        counters: bool,
        ts: &str,
    ) -> String {
        let empty = Counters::default();
        render::save(self, Some(t), ctr.unwrap_or(&empty), counters, ts)
    }

    /// Feed one line of `iptables-save` text (see [`SaveState`]).
    pub fn apply_save_line(&mut self, st: &mut SaveState, line: &str) -> Result<(), NfError> {
        restore::apply_line(self, st, line)
    }
}
