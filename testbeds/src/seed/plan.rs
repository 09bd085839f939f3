//! Kernel mode: what the real tools run inside the router namespace for each
//! line of a (translated) ruta config.
//!
//! Owns the line-to-commands plan and the one substitution the kernel forces:
//! route NAT (`ip route add nat`, `ip rule add ... nat`/`map-to`), gone from Linux
//! since 2.6. Its nearest kernel equivalent, used here, is per published address
//! a DNAT in nat PREROUTING (`-d PUBLIC -j DNAT --to-destination INSIDE`) and an
//! SNAT in nat POSTROUTING (`-s INSIDE -j SNAT --to-source PUBLIC`), keeping the
//! rule's routing part (`ip rule add from INSIDE [table T]`). Unlike route NAT this
//! is stateful (conntrack) and only rewrites connections, not every packet alike.
//! `port` lines (ruta's own keyword) are skipped; `sysctl` lines become
//! `sysctl -w`. It runs nothing itself.

/// One command for the kernel side.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Step {
    /// `ip ARGS` inside the router namespace.
    Ip(Vec<String>),
    /// `iptables ARGS` inside the router namespace.
    Iptables(Vec<String>),
    /// `sysctl -w KEY=VALUE` inside the router namespace.
    Sysctl(String),
}

impl std::fmt::Display for Step {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Step::Ip(a) => write!(f, "ip {}", a.join(" ")),
            Step::Iptables(a) => write!(f, "iptables {}", a.join(" ")),
            Step::Sysctl(s) => write!(f, "sysctl -w {s}"),
        }
    }
}

/// A config line and what the kernel side does for it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PlanLine {
    /// 1-based line number in the config.
    pub line: usize,
    /// The command part of the line (comment removed, trimmed).
    pub text: String,
    pub steps: Vec<Step>,
    /// Set when the steps are not the line itself (skipped or substituted).
    pub note: Option<String>,
    /// A failure whose stderr contains this text is no failure (see [`FLUSH_EMPTY`]).
    pub tolerate: Option<&'static str>,
}

/// `ip route flush table T` of a table that does not exist yet fails on today's
/// kernels ("Error: ipv4: FIB table does not exist."); on the seed's kernel it
/// flushed nothing. Kernel mode ignores exactly that error.
pub const FLUSH_EMPTY: &str = "FIB table does not exist";

fn strs(v: &[&str]) -> Vec<String> {
    v.iter().map(|s| s.to_string()).collect()
}

/// Plans a whole config; errors name the line.
pub fn kernel_plan(config: &str) -> Result<Vec<PlanLine>, String> {
    let mut plan = Vec::new();
    for (i, raw) in config.lines().enumerate() {
        let text = raw.split('#').next().unwrap_or("").trim();
        if text.is_empty() {
            continue;
        }
        let toks: Vec<&str> = text.split_whitespace().collect();
        let (steps, note) = plan_line(&toks).map_err(|e| format!("line {}: {e}", i + 1))?;
        let tolerate = (matches!(toks.as_slice(), ["ip", "route" | "r" | "ro", "flush", ..])
            && toks.contains(&"table"))
        .then_some(FLUSH_EMPTY);
        plan.push(PlanLine {
            line: i + 1,
            text: text.to_string(),
            steps,
            note,
            tolerate,
        });
    }
    Ok(plan)
}

type Planned = (Vec<Step>, Option<String>);

fn plan_line(toks: &[&str]) -> Result<Planned, String> {
    match toks[0] {
        "port" => Ok((
            Vec::new(),
            Some("skipped: ruta's own keyword (the veth is the kernel's already)".into()),
        )),
        "ip" => plan_ip(&toks[1..]),
        "iptables" => Ok((vec![Step::Iptables(strs(&toks[1..]))], None)),
        "sysctl" => {
            let rest: Vec<&str> = toks[1..].iter().copied().filter(|t| *t != "-w").collect();
            match rest.as_slice() {
                [kv] if kv.contains('=') => Ok((vec![Step::Sysctl(kv.to_string())], None)),
                [k, "=", v] => Ok((vec![Step::Sysctl(format!("{k}={v}"))], None)),
                _ => Err(format!("cannot read sysctl line {:?}", toks.join(" "))),
            }
        }
        other => Err(format!(
            "no kernel equivalent for a line starting {other:?}"
        )),
    }
}

const ROUTE_NAT_NOTE: &str = "route NAT has no kernel equivalent since 2.6";

fn plan_ip(args: &[&str]) -> Result<Planned, String> {
    // ip route add nat PUBLIC via INSIDE
    if let ["route", "add" | "append" | "replace", "nat", public, rest @ ..] = args {
        let inside = match rest {
            ["via", inside] | ["gw", inside] => *inside,
            _ => {
                return Err(format!(
                    "cannot read route NAT line `ip {}`",
                    args.join(" ")
                ))
            }
        };
        let public = single_addr(public)?;
        let inside = single_addr(inside)?;
        let steps = vec![
            Step::Iptables(strs(&[
                "-t",
                "nat",
                "-A",
                "PREROUTING",
                "-d",
                &public,
                "-j",
                "DNAT",
                "--to-destination",
                &inside,
            ])),
            Step::Iptables(strs(&[
                "-t",
                "nat",
                "-A",
                "POSTROUTING",
                "-s",
                &inside,
                "-j",
                "SNAT",
                "--to-source",
                &public,
            ])),
        ];
        return Ok((
            steps,
            Some(format!("{ROUTE_NAT_NOTE}: DNAT + SNAT instead")),
        ));
    }
    // ip rule add ... nat|map-to PUBLIC ...
    if let ["rule", "add", rest @ ..] = args {
        if let Some(p) = rest.iter().position(|t| *t == "nat" || *t == "map-to") {
            if p + 1 >= rest.len() {
                return Err("`nat` needs an address".into());
            }
            let mut v = strs(&["rule", "add"]);
            v.extend(
                rest.iter()
                    .enumerate()
                    .filter(|(i, _)| *i != p && *i != p + 1)
                    .map(|(_, t)| t.to_string()),
            );
            return Ok((
                vec![Step::Ip(v)],
                Some(format!(
                    "{ROUTE_NAT_NOTE}: the rule without `{} {}` (the NAT is done by iptables)",
                    rest[p],
                    rest[p + 1]
                )),
            ));
        }
    }
    Ok((vec![Step::Ip(strs(args))], None))
}

/// `A` or `A/32` as a plain address.
fn single_addr(s: &str) -> Result<String, String> {
    let a = s.strip_suffix("/32").unwrap_or(s);
    a.parse::<std::net::Ipv4Addr>()
        .map(|x| x.to_string())
        .map_err(|_| format!("route NAT of {s:?}: only single addresses are substituted"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn line(s: &str) -> PlanLine {
        let p = kernel_plan(s).unwrap();
        assert_eq!(p.len(), 1);
        p.into_iter().next().unwrap()
    }

    #[test]
    fn plain_lines_pass_through() {
        let l = line("ip route add default via 198.51.100.254   # main");
        assert_eq!(
            l.steps,
            vec![Step::Ip(strs(&[
                "route",
                "add",
                "default",
                "via",
                "198.51.100.254"
            ]))]
        );
        assert_eq!(l.note, None);
        let l = line("iptables -t mangle -I PREROUTING 1 -j CONNMARK --restore-mark");
        assert_eq!(
            l.steps[0].to_string(),
            "iptables -t mangle -I PREROUTING 1 -j CONNMARK --restore-mark"
        );
        assert_eq!(
            line("sysctl -w net.ipv4.ip_forward=1").steps,
            vec![Step::Sysctl("net.ipv4.ip_forward=1".into())]
        );
        assert_eq!(
            line("sysctl net.ipv4.ip_forward = 1").steps,
            vec![Step::Sysctl("net.ipv4.ip_forward=1".into())]
        );
        assert!(line("port eth0 af_packet").steps.is_empty());
        assert_eq!(line("ip route flush table 4").tolerate, Some(FLUSH_EMPTY));
        assert_eq!(line("ip route flush cache").tolerate, None);
        assert_eq!(
            line("ip route add table 4 default via 203.0.113.14").tolerate,
            None
        );
    }

    #[test]
    fn route_nat_becomes_dnat_and_snat() {
        let l = line("ip route add nat 203.0.113.10 via 198.18.100.10");
        let s: Vec<String> = l.steps.iter().map(|s| s.to_string()).collect();
        assert_eq!(
            s,
            [
                "iptables -t nat -A PREROUTING -d 203.0.113.10 -j DNAT --to-destination 198.18.100.10",
                "iptables -t nat -A POSTROUTING -s 198.18.100.10 -j SNAT --to-source 203.0.113.10",
            ]
        );
        assert!(l.note.unwrap().contains("no kernel equivalent"));
        let l = line("ip rule add nat 203.0.113.10 from 198.18.100.10 table 4");
        assert_eq!(
            l.steps[0].to_string(),
            "ip rule add from 198.18.100.10 table 4"
        );
        let l = line("ip rule add from 198.18.100.17 map-to 198.51.100.17");
        assert_eq!(l.steps[0].to_string(), "ip rule add from 198.18.100.17");
    }

    #[test]
    fn odd_lines_are_errors() {
        assert!(kernel_plan("ip route add nat 203.0.113.0/28 via 198.18.100.0").is_err());
        assert!(kernel_plan("ip rule add nat").is_err());
        assert!(kernel_plan("tc qdisc add dev eth0 root noqueue")
            .unwrap_err()
            .starts_with("line 1:"));
        assert!(kernel_plan("sysctl -w").is_err());
    }

    #[test]
    fn the_seed_plan() {
        let t = crate::seed::addr::translate_config(include_str!("../../../examples/seed.conf"))
            .unwrap();
        let p = kernel_plan(&t).unwrap();
        let notes = p.iter().filter(|l| l.note.is_some()).count();
        // 4 port lines + 2 route NAT + 2 rule NAT
        assert_eq!(notes, 8);
        let all: Vec<String> = p
            .iter()
            .flat_map(|l| l.steps.iter().map(|s| s.to_string()))
            .collect();
        assert!(all.contains(&"iptables -t nat -A PREROUTING -d 198.51.100.17 -j DNAT --to-destination 198.18.100.17".to_string()));
        assert!(all.contains(&"ip rule add from 198.18.100.17".to_string()));
    }
}
