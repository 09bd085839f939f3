//! The per-packet part: a [`Ruleset`] flattened into arrays ([`Compiled`]) and the walk
//! of one table at one hook ([`Compiled::run`]) with the kernel's semantics
//! (`ipt_do_table`): rules in order, jumps push a return point, `-g` does not, RETURN or
//! the end of a user chain pops, an empty stack or the end of a builtin chain applies the
//! policy. No allocation and no string comparison per packet: interfaces are bitmaps
//! over the port list given to [`Ruleset::compile`], chains are indices.
//!
//! Counters: each rule and builtin policy has a slot (see the crate doc); `run` adds
//! (1, `Meta::len`) to the slot of each rule that matches and of a policy that is applied.

use crate::rule::*;
use crate::{Hook, Meta, NatTarget, Policy, RejectWith, Ruleset, TableId, Verdict};
use std::fmt;

/// Per-worker counters: (packets, bytes) per slot, with the slot generation they count
/// for. Plain integers, no atomics: each worker owns one; sum them with [`Counters::add`].
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Counters {
    c: Vec<(u64, u64)>,
    gen: Vec<u32>,
    /// Scratch for the jump stack of [`Compiled::run`]: allocated once, so that a chain
    /// walk neither allocates nor clears a whole array.
    stack: Scratch,
}

/// A jump stack kept between walks; it never takes part in comparisons.
#[derive(Clone, Debug, Default)]
struct Scratch(Vec<(u32, u32)>);

impl PartialEq for Scratch {
    fn eq(&self, _: &Scratch) -> bool {
        true
    }
}

impl Eq for Scratch {}

impl Counters {
    /// (packets, bytes) of a slot.
    pub fn get(&self, slot: u32) -> (u64, u64) {
        self.c.get(slot as usize).copied().unwrap_or((0, 0))
    }

    /// The count of `slot` if it counts for generation `gen`.
    pub(crate) fn get_gen(&self, slot: u32, gen: u32) -> (u64, u64) {
        match self.gen.get(slot as usize) {
            Some(g) if *g == gen => self.get(slot),
            _ => (0, 0),
        }
    }

    /// Number of slots.
    pub fn len(&self) -> usize {
        self.c.len()
    }

    pub fn is_empty(&self) -> bool {
        self.c.is_empty()
    }

    /// Add another worker's counters. Slots counting for different generations (one
    /// worker not yet synced to a new [`Compiled`]) are not mixed: the newer non-zero
    /// count is kept.
    pub fn add(&mut self, o: &Counters) {
        for (i, (v, g)) in o.c.iter().zip(o.gen.iter()).enumerate() {
            if i >= self.c.len() {
                self.c.push(*v);
                self.gen.push(*g);
            } else if self.gen[i] == *g {
                let s = &mut self.c[i];
                s.0 = s.0.wrapping_add(v.0);
                s.1 = s.1.wrapping_add(v.1);
            } else if self.c[i] == (0, 0) {
                self.c[i] = *v;
                self.gen[i] = *g;
            }
        }
    }

    /// Zero these slots (the answer of `-Z`, [`crate::Output::Zero`]).
    pub fn zero(&mut self, slots: &[u32]) {
        for s in slots {
            if let Some(c) = self.c.get_mut(*s as usize) {
                *c = (0, 0);
            }
        }
    }

    /// Adopt a new [`Compiled`]: grow to its slots, and zero slots that now belong to
    /// another rule (generation changed). Counts of rules that stayed are kept.
    pub fn sync(&mut self, c: &Compiled) {
        for (i, g) in c.gens.iter().enumerate() {
            if i >= self.c.len() {
                self.c.push((0, 0));
                self.gen.push(*g);
            } else if self.gen[i] != *g {
                self.c[i] = (0, 0);
                self.gen[i] = *g;
            }
        }
    }

    #[inline]
    fn hit(&mut self, slot: u32, len: u32) {
        if let Some(c) = self.c.get_mut(slot as usize) {
            c.0 = c.0.wrapping_add(1);
            c.1 = c.1.wrapping_add(len as u64);
        }
    }
}

/// What a trace step reports.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TraceKind {
    /// Rule `rule` matched; `target` says what it did.
    Rule,
    /// The end of a user chain was reached (implicit return).
    Return,
    /// The builtin chain's policy was applied.
    Policy,
}

/// One step of a traced walk: enough for "mangle PREROUTING rule 1: MARK set 0x4".
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TraceStep<'a> {
    pub table: TableId,
    pub chain: &'a str,
    /// 1-based rule number in `chain`; 0 for policy and return steps.
    pub rule: u32,
    pub kind: TraceKind,
    /// The target as `-L` shows it ("MARK set 0x4", "ACCEPT", a chain name); the policy
    /// name for [`TraceKind::Policy`].
    pub target: &'a str,
}

impl fmt::Display for TraceStep<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.kind {
            TraceKind::Rule => write!(
                f,
                "{} {} rule {}: {}",
                self.table, self.chain, self.rule, self.target
            ),
            TraceKind::Return => write!(f, "{} {} return", self.table, self.chain),
            TraceKind::Policy => write!(f, "{} {} policy: {}", self.table, self.chain, self.target),
        }
    }
}

#[derive(Clone, Copy, Debug)]
enum CMatch {
    Ports {
        sport: (u16, u16),
        sinv: bool,
        dport: (u16, u16),
        dinv: bool,
        /// (mask, comp, invert) of `--tcp-flags`; (0, 0, false) matches everything.
        flags: (u8, u8, bool),
    },
    Icmp {
        typ: u8,
        code: (u8, u8),
        inv: bool,
    },
    Multi {
        dir: MultiDir,
        n: u8,
        ports: [(u16, u16); 15],
        inv: bool,
    },
    Mark {
        value: u32,
        mask: u32,
        inv: bool,
        ct: bool,
    },
    State {
        bits: u16,
        inv: bool,
    },
}

#[derive(Clone, Copy, Debug)]
enum CTarget {
    None,
    Accept,
    Drop,
    Return,
    Jump(u32),
    Goto(u32),
    Mark { value: u32, mask: u32 },
    Connmark(ConnmarkOp),
    Reject(RejectWith),
    Nat(NatTarget),
}

/// Interface selector: no selector, or a bitmap (offset into `ifbits`) with `!`; `all` for
/// the pattern `+` (matches even a packet without that interface, as the kernel does).
#[derive(Clone, Copy, Debug)]
struct IfSel {
    on: bool,
    inv: bool,
    all: bool,
    off: u32,
}

#[derive(Clone, Copy, Debug)]
struct CRule {
    src: u32,
    smask: u32,
    dst: u32,
    dmask: u32,
    sinv: bool,
    dinv: bool,
    proto: u8,
    pinv: bool,
    /// 0: any, 1: only non-first fragments (-f), 2: not them (! -f).
    frag: u8,
    iif: IfSel,
    oif: IfSel,
    m_start: u32,
    m_end: u32,
    target: CTarget,
    slot: u32,
    /// Index into `descs`.
    desc: u32,
}

#[derive(Clone, Debug)]
struct CChain {
    table: TableId,
    start: u32,
    end: u32,
    policy: Option<Policy>,
    slot: u32,
    name: String,
}

/// The tables ready for evaluation. Immutable; share it behind an `Arc`.
#[derive(Clone, Debug)]
pub struct Compiled {
    rules: Vec<CRule>,
    matches: Vec<CMatch>,
    chains: Vec<CChain>,
    /// Builtin chain index per table and hook (`u32::MAX`: the table has no such chain).
    entry: [[u32; 5]; 3],
    ifbits: Vec<u64>,
    descs: Vec<String>,
    gens: Vec<u32>,
    nports: usize,
}

const STACK: usize = 64;

fn ifsel(f: &Option<Iface>, ports: &[&str], ifbits: &mut Vec<u64>) -> IfSel {
    match f {
        None => IfSel {
            on: false,
            inv: false,
            all: false,
            off: 0,
        },
        Some(f) => {
            let off = ifbits.len() as u32;
            let words = ports.len().div_ceil(64).max(1);
            ifbits.resize(ifbits.len() + words, 0);
            for (i, p) in ports.iter().enumerate() {
                if f.matches_name(p) {
                    ifbits[off as usize + i / 64] |= 1 << (i % 64);
                }
            }
            IfSel {
                on: true,
                inv: f.inv,
                all: f.name == "+",
                off,
            }
        }
    }
}

pub(crate) fn compile(rs: &Ruleset, ports: &[&str]) -> Compiled {
    let mut c = Compiled {
        rules: Vec::new(),
        matches: Vec::new(),
        chains: Vec::new(),
        entry: [[u32::MAX; 5]; 3],
        ifbits: Vec::new(),
        descs: Vec::new(),
        gens: rs.slots.gen.clone(),
        nports: ports.len(),
    };
    // Chain indices first, so jumps can be resolved.
    let mut base = Vec::new();
    for t in &rs.tables {
        base.push(c.chains.len() as u32);
        for (ci, ch) in t.chains.iter().enumerate() {
            if ch.is_builtin() {
                if let Some(h) = Hook::from_name(&ch.name) {
                    c.entry[t.id as usize][h as usize] = c.chains.len() as u32;
                }
            }
            let _ = ci;
            c.chains.push(CChain {
                table: t.id,
                start: 0,
                end: 0,
                policy: ch.policy,
                slot: ch.slot,
                name: ch.name.clone(),
            });
        }
    }
    let mut k = 0usize;
    for (ti, t) in rs.tables.iter().enumerate() {
        for ch in &t.chains {
            c.chains[k].start = c.rules.len() as u32;
            for r in &ch.rules {
                let m_start = c.matches.len() as u32;
                for m in &r.matches {
                    c.matches.push(match m {
                        Match::Ports {
                            sport,
                            sinv,
                            dport,
                            dinv,
                            flags,
                            ..
                        } => CMatch::Ports {
                            sport: *sport,
                            sinv: *sinv,
                            dport: *dport,
                            dinv: *dinv,
                            flags: flags.unwrap_or((0, 0, false)),
                        },
                        Match::Icmp { typ, code, inv } => CMatch::Icmp {
                            typ: *typ,
                            code: *code,
                            inv: *inv,
                        },
                        Match::Multiport { dir, ports, inv } => {
                            let mut a = [(0u16, 0u16); 15];
                            for (d, s) in a.iter_mut().zip(ports.iter()) {
                                *d = *s;
                            }
                            CMatch::Multi {
                                dir: *dir,
                                n: ports.len().min(15) as u8,
                                ports: a,
                                inv: *inv,
                            }
                        }
                        Match::Mark { value, mask, inv } => CMatch::Mark {
                            value: *value,
                            mask: *mask,
                            inv: *inv,
                            ct: false,
                        },
                        Match::Connmark { value, mask, inv } => CMatch::Mark {
                            value: *value,
                            mask: *mask,
                            inv: *inv,
                            ct: true,
                        },
                        Match::Conntrack { states, inv } | Match::State { states, inv } => {
                            CMatch::State {
                                bits: *states,
                                inv: *inv,
                            }
                        }
                    });
                }
                let jump = |n: &str| -> u32 {
                    t.chain_idx(n)
                        .map(|i| base[ti] + i as u32)
                        .unwrap_or(u32::MAX)
                };
                let target = match &r.target {
                    Target::None => CTarget::None,
                    Target::Accept => CTarget::Accept,
                    Target::Drop => CTarget::Drop,
                    Target::Return => CTarget::Return,
                    Target::Jump(n) => {
                        let j = jump(n);
                        if j == u32::MAX {
                            CTarget::Drop
                        } else if r.goto {
                            CTarget::Goto(j)
                        } else {
                            CTarget::Jump(j)
                        }
                    }
                    Target::Mark { value, mask } => CTarget::Mark {
                        value: *value,
                        mask: *mask,
                    },
                    Target::Connmark(op) => CTarget::Connmark(*op),
                    Target::Reject(w) => CTarget::Reject(*w),
                    Target::Snat(r) => CTarget::Nat(NatTarget::Snat(*r)),
                    Target::Dnat(r) => CTarget::Nat(NatTarget::Dnat(*r)),
                    Target::Masquerade {
                        ports,
                        random,
                        random_fully,
                    } => CTarget::Nat(NatTarget::Masquerade {
                        ports: *ports,
                        random: *random,
                        random_fully: *random_fully,
                    }),
                    Target::Netmap { addr, mask } => CTarget::Nat(NatTarget::Netmap {
                        addr: *addr,
                        mask: *mask,
                    }),
                };
                let iif = ifsel(&r.iif, ports, &mut c.ifbits);
                let oif = ifsel(&r.oif, ports, &mut c.ifbits);
                c.descs.push(crate::render::target_describe(&r.target));
                c.rules.push(CRule {
                    src: r.src.addr,
                    smask: r.src.mask,
                    dst: r.dst.addr,
                    dmask: r.dst.mask,
                    sinv: r.src.inv,
                    dinv: r.dst.inv,
                    proto: r.proto,
                    pinv: r.proto_inv,
                    frag: match r.frag {
                        None => 0,
                        Some(true) => 1,
                        Some(false) => 2,
                    },
                    iif,
                    oif,
                    m_start,
                    m_end: c.matches.len() as u32,
                    target,
                    slot: r.slot,
                    desc: (c.descs.len() - 1) as u32,
                });
            }
            c.chains[k].end = c.rules.len() as u32;
            k += 1;
        }
    }
    c
}

impl Compiled {
    /// Fresh zero counters with a slot for every rule and policy.
    pub fn counters(&self) -> Counters {
        Counters {
            c: vec![(0, 0); self.gens.len()],
            gen: self.gens.clone(),
            stack: Scratch(Vec::with_capacity(STACK)),
        }
    }

    /// Number of ports the interface bitmaps were built for.
    pub fn ports(&self) -> usize {
        self.nports
    }

    #[inline]
    fn if_ok(&self, s: &IfSel, port: Option<u16>) -> bool {
        if !s.on {
            return true;
        }
        let hit = s.all
            || match port {
                Some(p) if (p as usize) < self.nports => {
                    let w = self.ifbits[s.off as usize + p as usize / 64];
                    w & (1u64 << (p % 64)) != 0
                }
                _ => false,
            };
        hit != s.inv
    }

    #[inline]
    fn rule_matches(&self, r: &CRule, m: &Meta) -> bool {
        if ((m.src & r.smask) != r.src) != r.sinv {
            return false;
        }
        if ((m.dst & r.dmask) != r.dst) != r.dinv {
            return false;
        }
        if !self.if_ok(&r.iif, m.iif) || !self.if_ok(&r.oif, m.oif) {
            return false;
        }
        if r.proto != 0 && ((m.proto != r.proto) != r.pinv) {
            return false;
        }
        match r.frag {
            1 if !m.fragment => return false,
            2 if m.fragment => return false,
            _ => {}
        }
        for cm in &self.matches[r.m_start as usize..r.m_end as usize] {
            let ok = match *cm {
                CMatch::Ports {
                    sport,
                    sinv,
                    dport,
                    dinv,
                    flags: (fmask, fcmp, finv),
                } => {
                    !m.fragment
                        && ((m.sport >= sport.0 && m.sport <= sport.1) != sinv)
                        && ((m.dport >= dport.0 && m.dport <= dport.1) != dinv)
                        && (((m.tcp_flags & fmask) == fcmp) != finv)
                }
                CMatch::Icmp { typ, code, inv } => {
                    !m.fragment
                        && ((typ == 0xff
                            || (m.icmp_type == typ
                                && m.icmp_code >= code.0
                                && m.icmp_code <= code.1))
                            != inv)
                }
                CMatch::Multi {
                    dir,
                    n,
                    ref ports,
                    inv,
                } => {
                    if m.fragment {
                        false
                    } else {
                        let mut hit = false;
                        for &(a, b) in &ports[..n as usize] {
                            let s = m.sport >= a && m.sport <= b;
                            let d = m.dport >= a && m.dport <= b;
                            if match dir {
                                MultiDir::Src => s,
                                MultiDir::Dst => d,
                                MultiDir::Any => s || d,
                            } {
                                hit = true;
                                break;
                            }
                        }
                        hit != inv
                    }
                }
                CMatch::Mark {
                    value,
                    mask,
                    inv,
                    ct,
                } => {
                    if ct && !m.has_conntrack() {
                        // connmark_mt: no conntrack entry, no match (even with `!`)
                        return false;
                    }
                    let v = if ct { m.ctmark } else { m.mark };
                    ((v & mask) == value) != inv
                }
                CMatch::State { bits, inv } => ((m.ctstate.0 & bits) != 0) != inv,
            };
            if !ok {
                return false;
            }
        }
        true
    }

    /// Walk `table` at `hook` for one packet. MARK/CONNMARK change `m`; counters of
    /// matching rules and applied policies are bumped in `ctr`; `trace` is told each step.
    /// A table without that hook accepts.
    pub fn run(
        &self,
        table: TableId,
        hook: Hook,
        m: &mut Meta,
        ctr: &mut Counters,
        trace: Option<&mut dyn FnMut(TraceStep<'_>)>,
    ) -> Verdict {
        let entry = self.entry[table as usize][hook as usize];
        if entry == u32::MAX {
            return Verdict::Accept;
        }
        let mut stack = std::mem::take(&mut ctr.stack.0);
        stack.clear();
        let v = self.walk(table, entry, m, ctr, &mut stack, trace);
        ctr.stack.0 = stack;
        v
    }

    fn walk(
        &self,
        table: TableId,
        entry: u32,
        m: &mut Meta,
        ctr: &mut Counters,
        stack: &mut Vec<(u32, u32)>,
        mut trace: Option<&mut dyn FnMut(TraceStep<'_>)>,
    ) -> Verdict {
        let mut sp = 0usize;
        let mut chain = entry;
        let mut i = self.chains[chain as usize].start;
        loop {
            let ch = &self.chains[chain as usize];
            if i >= ch.end {
                if chain != entry && sp > 0 {
                    if let Some(t) = trace.as_deref_mut() {
                        t(TraceStep {
                            table,
                            chain: &ch.name,
                            rule: 0,
                            kind: TraceKind::Return,
                            target: "",
                        });
                    }
                    sp -= 1;
                    (chain, i) = stack.pop().unwrap_or((entry, u32::MAX));
                    continue;
                }
                if chain != entry {
                    if let Some(t) = trace.as_deref_mut() {
                        t(TraceStep {
                            table,
                            chain: &ch.name,
                            rule: 0,
                            kind: TraceKind::Return,
                            target: "",
                        });
                    }
                }
                return self.policy(table, entry, m, ctr, &mut trace);
            }
            let r = &self.rules[i as usize];
            if !self.rule_matches(r, m) {
                i += 1;
                continue;
            }
            ctr.hit(r.slot, m.len);
            if let Some(t) = trace.as_deref_mut() {
                t(TraceStep {
                    table,
                    chain: &ch.name,
                    rule: i - ch.start + 1,
                    kind: TraceKind::Rule,
                    target: &self.descs[r.desc as usize],
                });
            }
            match r.target {
                CTarget::None => i += 1,
                CTarget::Accept => return Verdict::Accept,
                CTarget::Drop => return Verdict::Drop,
                CTarget::Reject(w) => return Verdict::Reject(w),
                CTarget::Nat(n) => return Verdict::Nat(n),
                CTarget::Mark { value, mask } => {
                    m.mark = (m.mark & !mask) ^ value;
                    i += 1;
                }
                CTarget::Connmark(_) if !m.has_conntrack() => {
                    // connmark_tg: without a conntrack entry there is nothing to change
                    i += 1;
                }
                CTarget::Connmark(op) => {
                    match op {
                        ConnmarkOp::Set { ctmark, ctmask } => {
                            m.ctmark = (m.ctmark & !ctmask) ^ ctmark;
                        }
                        ConnmarkOp::Save { nfmask, ctmask } => {
                            m.ctmark = (m.ctmark & !ctmask) ^ (m.mark & nfmask);
                        }
                        ConnmarkOp::Restore { nfmask, ctmask } => {
                            m.mark = (m.mark & !nfmask) ^ (m.ctmark & ctmask);
                        }
                    }
                    i += 1;
                }
                CTarget::Return => {
                    if sp == 0 {
                        return self.policy(table, entry, m, ctr, &mut trace);
                    }
                    sp -= 1;
                    (chain, i) = stack.pop().unwrap_or((entry, u32::MAX));
                }
                CTarget::Jump(j) => {
                    if sp >= STACK {
                        return Verdict::Drop;
                    }
                    stack.push((chain, i + 1));
                    sp += 1;
                    chain = j;
                    i = self.chains[j as usize].start;
                }
                CTarget::Goto(j) => {
                    chain = j;
                    i = self.chains[j as usize].start;
                }
            }
        }
    }

    fn policy(
        &self,
        table: TableId,
        entry: u32,
        m: &Meta,
        ctr: &mut Counters,
        trace: &mut Option<&mut dyn FnMut(TraceStep<'_>)>,
    ) -> Verdict {
        let ch = &self.chains[entry as usize];
        debug_assert_eq!(ch.table, table);
        ctr.hit(ch.slot, m.len);
        let p = ch.policy.unwrap_or(Policy::Accept);
        if let Some(t) = trace.as_deref_mut() {
            t(TraceStep {
                table,
                chain: &ch.name,
                rule: 0,
                kind: TraceKind::Policy,
                target: p.name(),
            });
        }
        match p {
            Policy::Accept => Verdict::Accept,
            Policy::Drop => Verdict::Drop,
        }
    }
}
