//! One rule as iptables holds it: the IP part (`-s -d -i -o -p -f`), the matches in the
//! order they were loaded, the target, and its counter slot. Parsing is in `parse`,
//! printing in `render`, evaluation in `eval`; this module only holds the data.

/// `-s`/`-d`: address and mask (host bits already cleared), `!`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct Addr {
    pub addr: u32,
    /// 0: any address (no `-s`).
    pub mask: u32,
    pub inv: bool,
}

/// `-i`/`-o`: a name, `+` at the end for a prefix match, `!`.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Iface {
    pub name: String,
    pub inv: bool,
}

impl Iface {
    /// The kernel's `ifname` comparison: exact, or prefix when the pattern ends in `+`.
    pub fn matches_name(&self, dev: &str) -> bool {
        match self.name.strip_suffix('+') {
            Some(p) => dev.starts_with(p),
            None => dev == self.name,
        }
    }
}

/// Which ports `-m multiport` looks at.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum MultiDir {
    Src,
    Dst,
    Any,
}

/// A match (`-m NAME ...`, or the implicit protocol match of `-p tcp --dport`).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Match {
    /// `-m tcp` / `-m udp` (`udp` false for tcp): port ranges, `!` on each.
    Ports {
        udp: bool,
        sport: (u16, u16),
        sinv: bool,
        dport: (u16, u16),
        dinv: bool,
        /// TCP only: `--tcp-flags MASK COMP` / `--syn` as (mask, comp, `!`).
        flags: Option<(u8, u8, bool)>,
    },
    /// `-m icmp --icmp-type`: type (255 = any) and code range.
    Icmp { typ: u8, code: (u8, u8), inv: bool },
    /// `-m multiport` (revision 1): single ports and ranges, at most 15 slots.
    Multiport {
        dir: MultiDir,
        ports: Vec<(u16, u16)>,
        inv: bool,
    },
    /// `-m mark --mark V[/M]`: `(mark & mask) == value`.
    Mark { value: u32, mask: u32, inv: bool },
    /// `-m connmark --mark V[/M]`.
    Connmark { value: u32, mask: u32, inv: bool },
    /// `-m conntrack --ctstate`. `states` is a [`crate::CtState`] bit set.
    Conntrack { states: u16, inv: bool },
    /// `-m state --state`.
    State { states: u16, inv: bool },
}

impl Match {
    pub fn name(&self) -> &'static str {
        match self {
            Match::Ports { udp: false, .. } => "tcp",
            Match::Ports { udp: true, .. } => "udp",
            Match::Icmp { .. } => "icmp",
            Match::Multiport { .. } => "multiport",
            Match::Mark { .. } => "mark",
            Match::Connmark { .. } => "connmark",
            Match::Conntrack { .. } => "conntrack",
            Match::State { .. } => "state",
        }
    }
}

/// `CONNMARK` operations in the kernel's form (`xt_connmark_tginfo1`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ConnmarkOp {
    /// ctmark = (ctmark & !ctmask) ^ ctmark_value
    Set { ctmark: u32, ctmask: u32 },
    /// ctmark = (ctmark & !ctmask) ^ (mark & nfmask)
    Save { nfmask: u32, ctmask: u32 },
    /// mark = (mark & !nfmask) ^ (ctmark & ctmask)
    Restore { nfmask: u32, ctmask: u32 },
}

/// `--to-source`/`--to-destination`: an address range (absent for `:PORT` only), a port
/// range, and flags.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct NatRange {
    /// `Some((min, max))` when addresses were given (NF_NAT_RANGE_MAP_IPS).
    pub addrs: Option<(u32, u32)>,
    /// NF_NAT_RANGE_PROTO_SPECIFIED.
    pub ports: Option<(u16, u16)>,
    pub random: bool,
    pub random_fully: bool,
    pub persistent: bool,
}

/// What a matching rule does.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Target {
    /// No `-j`: the rule only counts.
    None,
    Accept,
    Drop,
    Return,
    /// `-j CHAIN` / `-g CHAIN` (see [`Rule::goto`]).
    Jump(String),
    /// MARK in the kernel's xmark form: mark = (mark & !mask) ^ value.
    Mark {
        value: u32,
        mask: u32,
    },
    Connmark(ConnmarkOp),
    Snat(NatRange),
    Dnat(NatRange),
    Masquerade {
        ports: Option<(u16, u16)>,
        random: bool,
        random_fully: bool,
    },
    Netmap {
        addr: u32,
        mask: u32,
    },
    Reject(crate::RejectWith),
}

impl Target {
    /// The name in the `target` column and after `-j`.
    pub fn name(&self) -> &str {
        match self {
            Target::None => "",
            Target::Accept => "ACCEPT",
            Target::Drop => "DROP",
            Target::Return => "RETURN",
            Target::Jump(c) => c,
            Target::Mark { .. } => "MARK",
            Target::Connmark(_) => "CONNMARK",
            Target::Snat(_) => "SNAT",
            Target::Dnat(_) => "DNAT",
            Target::Masquerade { .. } => "MASQUERADE",
            Target::Netmap { .. } => "NETMAP",
            Target::Reject(_) => "REJECT",
        }
    }

    /// Tables and hooks where xtables allows this target: (table, hook bit mask).
    pub(crate) fn allowed(&self) -> Option<(crate::TableId, u8)> {
        use crate::{Hook::*, TableId};
        Some(match self {
            Target::Snat(_) => (TableId::Nat, Postrouting.bit() | Input.bit()),
            Target::Dnat(_) => (TableId::Nat, Prerouting.bit() | Output.bit()),
            Target::Masquerade { .. } => (TableId::Nat, Postrouting.bit()),
            Target::Netmap { .. } => (
                TableId::Nat,
                Prerouting.bit() | Postrouting.bit() | Output.bit() | Input.bit(),
            ),
            Target::Reject(_) => (TableId::Filter, Input.bit() | Forward.bit() | Output.bit()),
            _ => return None,
        })
    }

    /// Whether adding a rule with this target can create a loop or a target used from a
    /// hook that does not allow it.
    pub(crate) fn needs_table_check(&self) -> bool {
        matches!(self, Target::Jump(_)) || self.allowed().is_some()
    }
}

/// A rule. Two rules are the same rule for `-D`/`-C` when everything but the counters
/// is equal ([`Rule::same_spec`]).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Rule {
    pub src: Addr,
    pub dst: Addr,
    pub iif: Option<Iface>,
    pub oif: Option<Iface>,
    /// 0: all protocols.
    pub proto: u8,
    pub proto_inv: bool,
    /// `Some(true)`: `-f` (non-first fragments only); `Some(false)`: `! -f`.
    pub frag: Option<bool>,
    pub matches: Vec<Match>,
    pub target: Target,
    /// `-g` rather than `-j`.
    pub goto: bool,
    /// Counter slot (see the crate doc).
    pub(crate) slot: u32,
    /// Starting counters (`-c`).
    pub(crate) base: (u64, u64),
}

impl Default for Rule {
    fn default() -> Self {
        Rule {
            src: Addr::default(),
            dst: Addr::default(),
            iif: None,
            oif: None,
            proto: 0,
            proto_inv: false,
            frag: None,
            matches: Vec::new(),
            target: Target::None,
            goto: false,
            slot: u32::MAX,
            base: (0, 0),
        }
    }
}

impl Rule {
    pub fn same_spec(&self, o: &Rule) -> bool {
        self.src == o.src
            && self.dst == o.dst
            && self.iif == o.iif
            && self.oif == o.oif
            && self.proto == o.proto
            && self.proto_inv == o.proto_inv
            && self.frag == o.frag
            && self.matches == o.matches
            && self.target == o.target
            && self.goto == o.goto
    }

    /// The counter slot of this rule.
    pub fn slot(&self) -> u32 {
        self.slot
    }
}
