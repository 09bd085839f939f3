//! Config files: lines of commands, applied in order, all or nothing.
//!
//! A line is a command as an admin types it (`ip ...`, and ruta's own `port`, `sysctl`,
//! `rt_tables`, `rt_table`). `#` starts a comment (at the start of a line or after a
//! blank), `\` at the end of a line continues it, double quotes group words. Errors name
//! the file and the line where the command starts: `seed.conf:12: route 10.38.0.0/16
//! already exists in table main`.

use crate::ip::{self, CmdError, IpOpts};
use crate::state::{LinkKind, Router, CONF_KEYS};
use std::fmt;
use std::path::{Path, PathBuf};

/// One error in a config file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ConfigError {
    pub file: String,
    pub line: usize,
    pub msg: String,
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}: {}", self.file, self.line, self.msg)
    }
}

impl std::error::Error for ConfigError {}

/// One command of a file, with the line it starts on.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Line {
    pub line: usize,
    pub words: Vec<String>,
}

/// Splits a text into commands: comments, continuations, quotes. Streams: one command's
/// words at a time, so a million-route config never holds all its words at once.
pub fn lines(text: &str) -> impl Iterator<Item = Result<Line, (usize, String)>> + '_ {
    let mut raw = text.lines().enumerate();
    std::iter::from_fn(move || loop {
        let (i, first) = raw.next()?;
        let start = i + 1;
        let mut acc = String::new();
        let mut body = first.strip_suffix('\r').unwrap_or(first);
        while let Some(b) = body.strip_suffix('\\') {
            acc.push_str(b);
            acc.push(' ');
            match raw.next() {
                Some((_, next)) => body = next.strip_suffix('\r').unwrap_or(next),
                None => {
                    body = "";
                    break;
                }
            }
        }
        acc.push_str(body);
        match split_words(&acc) {
            Ok(words) if words.is_empty() => continue,
            Ok(words) => return Some(Ok(Line { line: start, words })),
            Err(m) => return Some(Err((start, m))),
        }
    })
}

/// All commands of a text at once (see [`lines`]).
pub fn split_lines(text: &str) -> Result<Vec<Line>, (usize, String)> {
    lines(text).collect()
}

/// Words of one command; `#` after a blank ends it.
pub fn split_words(s: &str) -> Result<Vec<String>, String> {
    let mut words = Vec::new();
    let mut cur = String::new();
    let mut in_word = false;
    let mut quoted = false;
    for c in s.chars() {
        if quoted {
            if c == '"' {
                quoted = false;
            } else {
                cur.push(c);
            }
            continue;
        }
        match c {
            '"' => {
                quoted = true;
                in_word = true;
            }
            '#' if !in_word => break,
            c if c.is_whitespace() => {
                if in_word {
                    words.push(std::mem::take(&mut cur));
                    in_word = false;
                }
            }
            c if c.is_control() => return Err(format!("control character {:?} in line", c)),
            c => {
                cur.push(c);
                in_word = true;
            }
        }
    }
    if quoted {
        return Err("unterminated quote".into());
    }
    if in_word {
        words.push(cur);
    }
    Ok(words)
}

/// Where a config's lines come from, for errors and relative paths.
#[derive(Clone, Debug, Default)]
pub struct Source {
    pub name: String,
    pub dir: PathBuf,
}

impl Source {
    pub fn from_path(p: &Path) -> Source {
        Source {
            name: p.display().to_string(),
            dir: p.parent().map(|d| d.to_path_buf()).unwrap_or_default(),
        }
    }
}

/// Applies one config command to `rt`.
pub fn apply_words(rt: &mut Router, words: &[String], src: &Source) -> Result<(), CmdError> {
    let cmd = words[0].as_str();
    let args = &words[1..];
    match cmd {
        "ip" => {
            // queries are not configuration
            if let Some(v) = args.iter().find(|w| !w.starts_with('-')).and_then(|obj| {
                let i = args.iter().position(|w| w == obj)?;
                args.get(i + 1)
            }) {
                if ["show", "list", "lst", "get"]
                    .iter()
                    .any(|q| ip::matches(v, q))
                {
                    return Err(CmdError::Usage(format!(
                        "\"ip ... {v}\" is a query, not configuration"
                    )));
                }
            }
            let mut o = IpOpts::default();
            ip::ip(rt, args, &mut o)?;
            Ok(())
        }
        "port" => port(rt, args),
        "sysctl" => sysctl(rt, args),
        "rt_tables" => {
            let [path] = args else {
                return Err(CmdError::Usage("usage: rt_tables PATH".into()));
            };
            let p = src.dir.join(path);
            let text = std::fs::read_to_string(&p)
                .map_err(|e| CmdError::Refused(format!("cannot read {}: {e}", p.display())))?;
            rt.names
                .load(&text)
                .map_err(|(l, m)| CmdError::Refused(format!("{}:{l}: {m}", p.display())))
        }
        "rt_table" => {
            let [id, name] = args else {
                return Err(CmdError::Usage("usage: rt_table ID NAME".into()));
            };
            let id = ruta_fib::route::parse_u32_any(id)
                .ok_or_else(|| CmdError::Usage(format!("invalid table id \"{id}\"")))?;
            rt.names.add(id, name).map_err(CmdError::Refused)
        }
        "iptables" => {
            let args: Vec<&str> = args.iter().map(|s| s.as_str()).collect();
            match rt.netfilter.apply(&args) {
                Ok(ruta_netfilter::Output::Text(_)) => Err(CmdError::Usage(
                    "\"iptables -L/-S\" is a query, not configuration".into(),
                )),
                Ok(_) => Ok(()),
                Err(e) => Err(CmdError::Refused(e.to_string())),
            }
        }
        "ip6tables" => Err(CmdError::Unsupported(
            "ip6tables is not supported by ruta (IPv4 only in this version)".into(),
        )),
        "iptables-restore" | "iptables-save" | "conntrack" => Err(CmdError::Unsupported(format!(
            "{cmd} is not a config command (iptables-save text itself is: paste the \
                 *table ... COMMIT blocks)"
        ))),
        c if c.starts_with('*') || c.starts_with(':') || c == "COMMIT" || c.starts_with('-') => {
            // iptables-save text, one line at a time
            let line = words
                .iter()
                .map(|w| {
                    if w.contains(char::is_whitespace) {
                        format!("\"{w}\"")
                    } else {
                        w.clone()
                    }
                })
                .collect::<Vec<_>>()
                .join(" ");
            let mut st = std::mem::take(&mut rt.nf_restore);
            let r = rt.netfilter.apply_save_line(&mut st, &line);
            rt.nf_restore = st;
            r.map_err(|e| CmdError::Refused(e.to_string()))
        }
        "ip6" | "nft" | "tc" | "bridge" => Err(CmdError::Unsupported(format!(
            "{cmd} is not supported by ruta"
        ))),
        _ => Err(CmdError::Usage(format!("unknown command \"{cmd}\""))),
    }
}

/// `port NAME af_packet [workers N]` / `port NAME tun`: an interface ruta owns.
fn port(rt: &mut Router, args: &[String]) -> Result<(), CmdError> {
    let (Some(name), Some(kind)) = (args.first(), args.get(1)) else {
        return Err(CmdError::Usage(
            "usage: port NAME af_packet [workers N] | port NAME tun".into(),
        ));
    };
    let mut workers = 1u16;
    let mut rest = args[2..].iter();
    while let Some(k) = rest.next() {
        match k.as_str() {
            "workers" => {
                let v = rest
                    .next()
                    .ok_or_else(|| CmdError::Usage("\"workers\" needs a number".into()))?;
                workers = v
                    .parse()
                    .ok()
                    .filter(|n| (1..=64).contains(n))
                    .ok_or_else(|| {
                        CmdError::Usage(format!("invalid worker count \"{v}\" (1..64)"))
                    })?;
            }
            w => return Err(CmdError::Usage(format!("port: \"{w}\" is not understood"))),
        }
    }
    let kind = match kind.as_str() {
        "af_packet" => LinkKind::AfPacket { workers },
        "tun" => LinkKind::Tun,
        "af_xdp" => {
            return Err(CmdError::Unsupported(
                "af_xdp ports are not supported yet".into(),
            ))
        }
        k => {
            return Err(CmdError::Usage(format!(
                "port kind \"{k}\": af_packet or tun"
            )))
        }
    };
    // A port is up: ruta brings the interfaces it owns up when it opens them.
    rt.link_add(name, kind, true).map_err(CmdError::Refused)?;
    Ok(())
}

/// `sysctl [-w] KEY=VALUE` for the keys routing depends on.
fn sysctl(rt: &mut Router, args: &[String]) -> Result<(), CmdError> {
    let args: Vec<&String> = args
        .iter()
        .filter(|a| a.as_str() != "-w" && a.as_str() != "-q")
        .collect();
    if args.is_empty() {
        return Err(CmdError::Usage("usage: sysctl [-w] KEY=VALUE".into()));
    }
    for a in args {
        let (k, v) = a
            .split_once('=')
            .ok_or_else(|| CmdError::Usage(format!("\"{a}\": expected KEY=VALUE")))?;
        let k = k.trim().replace('/', ".");
        let v: u32 = v
            .trim()
            .parse()
            .map_err(|_| CmdError::Usage(format!("\"{a}\": the value must be a number")))?;
        if k == "net.ipv4.ip_forward" {
            rt.sysctl.ip_forward = v != 0;
            continue;
        }
        let parts: Vec<&str> = k.split('.').collect();
        match parts.as_slice() {
            ["net", "ipv4", "conf", dev, key] if CONF_KEYS.iter().any(|(c, _)| c == key) => {
                if !matches!(*dev, "all" | "default") && rt.index_of(dev).is_none() {
                    return Err(CmdError::Refused(format!("sysctl {k}: no interface {dev}")));
                }
                if *key == "rp_filter" && v > 2 {
                    return Err(CmdError::Refused("rp_filter is 0, 1 or 2".into()));
                }
                rt.sysctl.conf.insert((dev.to_string(), key.to_string()), v);
            }
            _ => {
                return Err(CmdError::Unsupported(format!(
                "sysctl {k} is not one ruta knows (net.ipv4.ip_forward, net.ipv4.conf.*.{{{}}})",
                CONF_KEYS
                    .iter()
                    .map(|(k, _)| *k)
                    .collect::<Vec<_>>()
                    .join(",")
            )))
            }
        }
    }
    Ok(())
}

/// Applies a whole text to `rt`. Without `force`, the first error stops and `rt` is left
/// unchanged (all or nothing); with `force` (like `ip -force -batch`), failing lines are
/// skipped and every error is returned.
pub fn apply_text(
    rt: &mut Router,
    text: &str,
    src: &Source,
    force: bool,
) -> Result<(), Vec<ConfigError>> {
    let mut work = rt.clone();
    let mut errors = Vec::new();
    let mut last_line = 0;
    for l in lines(text) {
        if let Ok(l) = &l {
            last_line = l.line;
        }
        let result = match l {
            Ok(l) => apply_words(&mut work, &l.words, src).map_err(|e| (l.line, e.to_string())),
            Err(e) => Err(e),
        };
        // on an error keep going, on a state that skips the bad line, to report every
        // error at once; without `force` none of it is kept
        if let Err((line, msg)) = result {
            errors.push(ConfigError {
                file: src.name.clone(),
                line,
                msg,
            });
        }
    }
    if let Some(t) = work.nf_restore.pending_table() {
        // iptables-restore: a table block must end with COMMIT
        errors.push(ConfigError {
            file: src.name.clone(),
            line: last_line,
            msg: format!("iptables-save text: table {} has no COMMIT", t.name()),
        });
        work.nf_restore = ruta_netfilter::SaveState::new();
    }
    work.commit();
    if errors.is_empty() || force {
        *rt = work;
    }
    if errors.is_empty() {
        Ok(())
    } else {
        Err(errors)
    }
}

/// A config that did not load: its errors, and with `force` the state of the lines that
/// did apply.
#[derive(Debug)]
pub struct LoadError {
    pub partial: Option<Box<Router>>,
    pub errors: Vec<ConfigError>,
}

/// Loads a config file into a fresh router.
pub fn load_file(path: &Path, force: bool) -> Result<Router, LoadError> {
    let text = std::fs::read_to_string(path).map_err(|e| LoadError {
        partial: None,
        errors: vec![ConfigError {
            file: path.display().to_string(),
            line: 0,
            msg: format!("cannot read: {e}"),
        }],
    })?;
    let mut rt = Router::new();
    match apply_text(&mut rt, &text, &Source::from_path(path), force) {
        Ok(()) => Ok(rt),
        Err(errors) => Err(LoadError {
            partial: force.then(|| Box::new(rt)),
            errors,
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lexer() {
        let l = split_lines("# c\nip route add \\\n  10/8 dev lo # x\n\n\"a b\" c\n").unwrap();
        assert_eq!(l.len(), 2);
        assert_eq!(l[0].line, 2);
        assert_eq!(l[0].words, vec!["ip", "route", "add", "10/8", "dev", "lo"]);
        assert_eq!(l[1].words, vec!["a b", "c"]);
        assert!(split_lines("ip \"x\n").is_err());
        // a # inside a word is part of it
        assert_eq!(split_words("a#b").unwrap(), vec!["a#b"]);
    }
}
