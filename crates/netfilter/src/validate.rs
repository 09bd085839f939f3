//! The checks the kernel (`xt_check_target`, `mark_source_chains`) and iptables make when
//! a rule goes into a table: targets only in the tables and hooks that allow them (also
//! through user chains reachable from those hooks), no loops between chains, `-i`/`-o`
//! only where the hook has that interface, DROP not in nat, `tcp-reset` only for `-p tcp`.
//! Pure functions over a [`Table`]; they never change it.

use crate::{kernel, param, Hook, NfError, RejectWith, Rule, Table, TableId, Target};

fn hook_names(mask: u8) -> String {
    let v: Vec<&str> = Hook::ALL
        .iter()
        .filter(|h| mask & h.bit() != 0)
        .map(|h| h.name())
        .collect();
    v.join("/")
}

/// Checks that need only the rule and the chain it goes into.
pub(crate) fn check_rule_here(t: &Table, ci: usize, r: &Rule) -> Result<(), NfError> {
    let c = &t.chains[ci];
    if c.is_builtin() {
        let h = Hook::from_name(&c.name);
        if r.oif.is_some() && matches!(h, Some(Hook::Prerouting | Hook::Input)) {
            return param(format!("Can't use -o with {}", c.name));
        }
        if r.iif.is_some() && matches!(h, Some(Hook::Output | Hook::Postrouting)) {
            return param(format!("Can't use -i with {}", c.name));
        }
    }
    if t.id == TableId::Nat && r.target == Target::Drop {
        return param(
            "\nThe \"nat\" table is not intended for filtering, the use of DROP is therefore inhibited.\n",
        );
    }
    if let Some((tbl, _)) = r.target.allowed() {
        if tbl != t.id {
            return kernel(format!(
                "Invalid argument. Run `dmesg' for more information. ({} target: only valid in {} table, not {})",
                r.target.name(),
                tbl.name(),
                t.id.name()
            ));
        }
    }
    if r.target == Target::Reject(RejectWith::TcpReset) && (r.proto != 6 || r.proto_inv) {
        return kernel(
            "Invalid argument. Run `dmesg' for more information. (TCP_RESET invalid for non-tcp)",
        );
    }
    if let Target::Jump(name) = &r.target {
        match t.chain(name) {
            Some(tc) if tc.is_builtin() => {
                return kernel("Invalid argument. Run `dmesg' for more information. (cannot jump to a builtin chain)");
            }
            Some(_) => {}
            None => return kernel(crate::NO_CHAIN),
        }
    }
    Ok(())
}

/// Whole-table checks: no loops; every hook-restricted target only in chains reached from
/// hooks that allow it.
pub(crate) fn check_table(t: &Table) -> Result<(), NfError> {
    let n = t.chains.len();
    // Edges: chain index -> chain indices it jumps/goes to.
    let edges: Vec<Vec<usize>> = t
        .chains
        .iter()
        .map(|c| {
            c.rules
                .iter()
                .filter_map(|r| match &r.target {
                    Target::Jump(name) => t.chain_idx(name),
                    _ => None,
                })
                .collect()
        })
        .collect();
    // Loop detection: iterative DFS with colours.
    let mut color = vec![0u8; n];
    for s in 0..n {
        if color[s] != 0 {
            continue;
        }
        let mut stack: Vec<(usize, usize)> = vec![(s, 0)];
        color[s] = 1;
        while let Some(&mut (v, ref mut i)) = stack.last_mut() {
            if *i < edges[v].len() {
                let w = edges[v][*i];
                *i += 1;
                match color[w] {
                    0 => {
                        color[w] = 1;
                        stack.push((w, 0));
                    }
                    1 => return kernel("Too many levels of symbolic links."),
                    _ => {}
                }
            } else {
                color[v] = 2;
                stack.pop();
            }
        }
    }
    // Hooks reaching each chain.
    let mut hooks = vec![0u8; n];
    for (ci, c) in t.chains.iter().enumerate().take(t.n_builtin()) {
        let Some(h) = Hook::from_name(&c.name) else {
            continue;
        };
        let mut todo = vec![ci];
        while let Some(v) = todo.pop() {
            if hooks[v] & h.bit() != 0 {
                continue;
            }
            hooks[v] |= h.bit();
            todo.extend(edges[v].iter().copied());
        }
    }
    for (ci, c) in t.chains.iter().enumerate() {
        for r in &c.rules {
            if let Some((_, ok)) = r.target.allowed() {
                let bad = hooks[ci] & !ok;
                if bad != 0 {
                    return kernel(format!(
                        "Invalid argument. Run `dmesg' for more information. ({} target: used from hooks {}, but only usable from {})",
                        r.target.name(),
                        hook_names(bad),
                        hook_names(ok)
                    ));
                }
            }
        }
    }
    Ok(())
}
