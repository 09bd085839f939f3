//! A scenario: links, `ip` commands applied in order, and read-only queries.
//! Also its replay-file format and the ruta config file derived from it.

use std::collections::BTreeSet;

/// One oracle scenario. Commands and queries are the words after `ip`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Scenario {
    /// Where it came from (`seed 0x.. index N`, a file name, ...).
    pub title: String,
    /// Links `X`; each is a veth pair `X`/`Xp` in the kernel namespace and two
    /// up dummies in ruta's config.
    pub links: Vec<String>,
    /// e.g. `route add 198.18.0.0/24 dev eth0 table 4`.
    pub commands: Vec<String>,
    /// e.g. `route get 198.18.0.9 from 203.0.113.5 iif eth0` or `-j route get ...`.
    pub queries: Vec<String>,
}

/// A read-only command run on both sides after the commands.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Read {
    /// Arguments after `ip` for the kernel (`-4` added to route dumps).
    pub kernel: String,
    /// Arguments after `ip` for ruta (IPv4 only already).
    pub ruta: String,
}

impl Read {
    pub fn same(args: &str) -> Read {
        Read {
            kernel: args.to_string(),
            ruta: args.to_string(),
        }
    }

    /// A route dump: the kernel gets `-4` (ruta is IPv4-only).
    pub fn route_dump(json: bool, rest: &str) -> Read {
        let j = if json { "-j " } else { "" };
        Read {
            kernel: format!("-4 {j}route show{rest}"),
            ruta: format!("{j}route show{rest}"),
        }
    }

    /// A query line: route dumps get `-4` on the kernel side, the rest runs as is.
    pub fn from_query(q: &str) -> Read {
        let words: Vec<&str> = q.split_whitespace().collect();
        let rest: Vec<&str> = words.iter().copied().filter(|w| *w != "-j").collect();
        if rest.len() >= 2 && rest[0] == "route" && (rest[1] == "show" || rest[1] == "list") {
            return Read {
                kernel: format!("-4 {}", words.join(" ")),
                ruta: words.join(" "),
            };
        }
        Read::same(q.trim())
    }

    /// What a developer types (the ruta form, with `ip` in front).
    pub fn display(&self) -> String {
        format!("ip {}", self.ruta)
    }
}

impl Scenario {
    /// The dumps compared after every scenario: rules, all routes, main, and
    /// each table the commands mention.
    pub fn show_reads(&self) -> Vec<Read> {
        let mut v = vec![
            Read::same("rule show"),
            Read::same("-j rule show"),
            Read::route_dump(false, " table all"),
            Read::route_dump(true, " table all"),
            Read::route_dump(false, ""),
        ];
        for t in self.tables() {
            v.push(Read::route_dump(false, &format!(" table {t}")));
        }
        v
    }

    /// Tables named by `table`/`lookup` words in the commands, in first-seen order.
    pub fn tables(&self) -> Vec<String> {
        let mut seen = BTreeSet::new();
        let mut out = Vec::new();
        for c in &self.commands {
            let w: Vec<&str> = c.split_whitespace().collect();
            for i in 0..w.len().saturating_sub(1) {
                if (w[i] == "table" || w[i] == "lookup") && seen.insert(w[i + 1].to_string()) {
                    out.push(w[i + 1].to_string());
                }
            }
        }
        out
    }

    /// Dumps plus queries.
    pub fn all_reads(&self) -> Vec<Read> {
        let mut v = self.show_reads();
        v.extend(self.queries.iter().map(|q| Read::from_query(q)));
        v
    }

    /// Number of lines in ruta's config before the first scenario command.
    pub fn config_header_lines(&self) -> usize {
        2 + 4 * self.links.len() + 1
    }

    /// ruta's config file: the links as dummies (peer first, so interface
    /// indexes match the kernel's veth pairs), then the commands.
    pub fn ruta_config(&self) -> String {
        let mut s = String::new();
        s.push_str("# ruta kernel-oracle scenario\n");
        s.push_str(&format!("# {}\n", self.title.replace('\n', " ")));
        for l in &self.links {
            s.push_str(&format!("ip link add {l}p type dummy\n"));
            s.push_str(&format!("ip link set {l}p up\n"));
            s.push_str(&format!("ip link add {l} type dummy\n"));
            s.push_str(&format!("ip link set {l} up\n"));
        }
        s.push_str("# scenario commands\n");
        for c in &self.commands {
            s.push_str(&format!("ip {c}\n"));
        }
        debug_assert_eq!(
            s.lines().count(),
            self.config_header_lines() + self.commands.len()
        );
        s
    }

    /// Replay file: `link X`, `ip ...` (a command), `query ip ...` lines.
    pub fn to_replay(&self, comment: &str) -> String {
        let mut s = String::new();
        s.push_str("# ruta kernel-oracle scenario (replay with RUTA_ORACLE_REPLAY=<this file>)\n");
        s.push_str(&format!("# {}\n", self.title.replace('\n', " ")));
        for line in comment.lines() {
            s.push_str(&format!("# {line}\n"));
        }
        for l in &self.links {
            s.push_str(&format!("link {l}\n"));
        }
        for c in &self.commands {
            s.push_str(&format!("ip {c}\n"));
        }
        for q in &self.queries {
            s.push_str(&format!("query ip {q}\n"));
        }
        s
    }

    pub fn parse_replay(title: &str, text: &str) -> Result<Scenario, String> {
        let mut sc = Scenario {
            title: title.to_string(),
            links: Vec::new(),
            commands: Vec::new(),
            queries: Vec::new(),
        };
        for (i, raw) in text.lines().enumerate() {
            let line = raw.trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            if let Some(l) = line.strip_prefix("link ") {
                sc.links.push(l.trim().to_string());
            } else if let Some(q) = line.strip_prefix("query ") {
                let q = q.trim();
                sc.queries
                    .push(q.strip_prefix("ip ").unwrap_or(q).trim().to_string());
            } else if let Some(c) = line.strip_prefix("ip ") {
                sc.commands.push(c.trim().to_string());
            } else {
                return Err(format!(
                    "{title}:{}: expected `link X`, `ip ...` or `query ip ...`",
                    i + 1
                ));
            }
        }
        Ok(sc)
    }
}
