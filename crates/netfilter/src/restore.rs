//! `iptables-save` text as input, one line at a time, as `iptables-restore` (without
//! `--noflush`) applies it: `*table` starts a table built from scratch, `:CHAIN POLICY
//! [p:b]` declares builtin policies and user chains, rule lines (`[p:b] -A ...` or any other
//! non-listing command) go into it, and `COMMIT` replaces the whole table at once. Lines
//! starting with `#` are comments. Until `COMMIT` the live ruleset is untouched; a failed
//! `COMMIT` leaves it as it was.

use crate::{param, parse, validate, NfError, Output, Policy, Ruleset, TableId};

/// The state between lines: the table being built.
#[derive(Clone, Debug, Default)]
pub struct SaveState {
    pending: Option<(TableId, Ruleset)>,
}

impl SaveState {
    pub fn new() -> SaveState {
        SaveState::default()
    }

    /// The table started by `*table` and not yet committed.
    pub fn pending_table(&self) -> Option<TableId> {
        self.pending.as_ref().map(|p| p.0)
    }
}

/// Split a line into words; double quotes group words (iptables-restore does the same
/// for `--comment "..."`).
fn words(line: &str) -> Result<Vec<String>, NfError> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut in_q = false;
    let mut has = false;
    for ch in line.chars() {
        match ch {
            '"' => {
                in_q = !in_q;
                has = true;
            }
            c if c.is_whitespace() && !in_q => {
                if has {
                    out.push(std::mem::take(&mut cur));
                    has = false;
                }
            }
            c => {
                cur.push(c);
                has = true;
            }
        }
    }
    if in_q {
        return param("Bad argument: unterminated quote");
    }
    if has {
        out.push(cur);
    }
    Ok(out)
}

fn counters(s: &str) -> Option<(u64, u64)> {
    let inner = s.strip_prefix('[')?.strip_suffix(']')?;
    let (a, b) = inner.split_once(':')?;
    Some((parse::strtoui(a, u64::MAX)?, parse::strtoui(b, u64::MAX)?))
}

pub(crate) fn apply_line(rs: &mut Ruleset, st: &mut SaveState, line: &str) -> Result<(), NfError> {
    let line = line.trim();
    if line.is_empty() || line.starts_with('#') {
        return Ok(());
    }
    if let Some(name) = line.strip_prefix('*') {
        if let Some((t, _)) = &st.pending {
            return param(format!(
                "iptables-restore: table `{}' not committed before `*{name}'",
                t.name()
            ));
        }
        let Some(t) = TableId::from_name(name.trim()) else {
            return param(format!(
                "can't initialize iptables table `{}': Table does not exist (do you need to insmod?)",
                name.trim()
            ));
        };
        st.pending = Some((t, Ruleset::new()));
        return Ok(());
    }
    let Some((tid, scratch)) = st.pending.as_mut() else {
        return param("iptables-restore: no table specified (a line before `*table')");
    };
    let tid = *tid;
    if line == "COMMIT" {
        commit(rs, tid, scratch)?;
        st.pending = None;
        return Ok(());
    }
    if let Some(decl) = line.strip_prefix(':') {
        let w = words(decl)?;
        if w.len() < 2 {
            return param(format!("iptables-restore: bad chain line `{line}'"));
        }
        let name = &w[0];
        let ctr = match w.get(2) {
            Some(c) => match counters(c) {
                Some(c) => Some(c),
                None => return param(format!("iptables-restore: bad counters `{c}'")),
            },
            None => None,
        };
        let t = &mut scratch.tables[tid as usize];
        if let Some(ci) = t.chain_idx(name) {
            let c = &mut t.chains[ci];
            if !c.is_builtin() {
                return param(format!("iptables-restore: chain `{name}' declared twice"));
            }
            c.policy = Some(match w[1].as_str() {
                "ACCEPT" => Policy::Accept,
                "DROP" => Policy::Drop,
                p => {
                    return param(format!(
                        "Can't set policy `{p}' on `{name}': Bad policy name"
                    ))
                }
            });
            if let Some(b) = ctr {
                c.base = b;
            }
            return Ok(());
        }
        if w[1] != "-" {
            return param(format!(
                "Can't set policy `{}' on `{name}': Bad built-in chain name",
                w[1]
            ));
        }
        scratch.apply(&["-t", tid.name(), "-N", name])?;
        return Ok(());
    }
    let mut w = words(line)?;
    let mut ctr = None;
    if w.first().is_some_and(|x| x.starts_with('[')) {
        match counters(&w[0]) {
            Some(c) => ctr = Some(c),
            None => return param(format!("iptables-restore: bad counters `{}'", w[0])),
        }
        w.remove(0);
    }
    if w.iter().any(|x| x == "-t" || x == "--table") {
        return param("The -t option cannot be used in iptables-restore.");
    }
    let mut args: Vec<&str> = vec!["-t", tid.name()];
    args.extend(w.iter().map(|s| s.as_str()));
    let (cs_p, cs_b);
    if let Some((p, b)) = ctr {
        cs_p = p.to_string();
        cs_b = b.to_string();
        args.push("-c");
        args.push(&cs_p);
        args.push(&cs_b);
    }
    let parsed = parse::parse(&args, scratch)?;
    if matches!(
        parsed.cmd,
        parse::Cmd::List { .. } | parse::Cmd::ListRules { .. }
    ) {
        return param("iptables-restore: listing commands are not allowed here");
    }
    match scratch.apply(&args)? {
        Output::Done | Output::Zero(_) | Output::Text(_) => Ok(()),
    }
}

fn commit(rs: &mut Ruleset, tid: TableId, scratch: &Ruleset) -> Result<(), NfError> {
    let mut t = scratch.tables[tid as usize].clone();
    validate::check_table(&t)?;
    let ti = tid as usize;
    let old = std::mem::take(&mut rs.tables[ti].chains);
    for c in &old {
        if c.is_builtin() {
            rs.slots.release(c.slot);
        }
        for r in &c.rules {
            rs.slots.release(r.slot);
        }
    }
    for c in t.chains.iter_mut() {
        if c.is_builtin() {
            c.slot = rs.slots.alloc();
        }
        for r in c.rules.iter_mut() {
            r.slot = rs.slots.alloc();
        }
    }
    rs.tables[ti] = t;
    Ok(())
}
