//! ruta: the command line.
//!
//! Puts `ruta` in front of the words an admin already types and answers in the kernel
//! tools' formats. With `-c FILE` a command evaluates the file offline, nothing running;
//! without it, a command will ask the running daemon (which comes with the dataplane).
//!
//! This crate owns argument handling, exit codes and where output goes; all meaning lives
//! in `ruta-config` and the crates below it.

use ruta_config::{file, ip, CmdError, IpOpts, Router};
use ruta_conntrack::{Config as CtConfig, Conntrack};
use ruta_netfilter::{Counters, NfError, Output};
use ruta_pipeline::{trace, Ctx, Snapshot};
use std::path::PathBuf;
use std::process::ExitCode;

const USAGE: &str = "\
usage: ruta [-c FILE] [--force] COMMAND

commands:
  check                                   validate FILE; errors as FILE:LINE: message
  ip [-j] rule show                       as `ip rule show`
  ip [-j] route show [table ID|all] [dev D] [proto P] [scope S] [type T]
  ip [-j] route get [fibmatch] ADDR [from A] [iif D] [oif D] [mark N] [tos T]
                    [ipproto P] [sport N] [dport N]
  sysctl [-a | KEY...]                    the sysctls routing depends on, as sysctl prints them
  iptables [-t TABLE] -L|-S [CHAIN] [-n] [-v] [-x] [--line-numbers]
                                          as iptables lists them (offline: counters from -c)
  iptables-save [-t TABLE] [-c]           as iptables-save prints them
  conntrack -L                            the connection table, as conntrack-tools prints it
  trace [-j] -f PACKETS [--counters] [--conntrack]
                                          run packets through the pipeline and show every step
                                          (--counters: then the iptables -nvL of each table;
                                           --conntrack: then conntrack -L)
  run                                     the router daemon (not in this build yet)

options:
  -c FILE    evaluate FILE offline (the config: ip/port/sysctl/rt_tables lines)
  --force    like `ip -force -batch`: skip failing lines of FILE (each is reported)
  -h         this help;  -V  version
";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match run(&args) {
        Ok(code) => code,
        Err(msg) => {
            eprintln!("ruta: {msg}");
            ExitCode::from(1)
        }
    }
}

fn run(args: &[String]) -> Result<ExitCode, String> {
    let mut config: Option<PathBuf> = None;
    let mut force = false;
    let mut i = 0;
    while i < args.len() {
        match args[i].as_str() {
            "-c" | "--config" => {
                i += 1;
                config = Some(PathBuf::from(args.get(i).ok_or("-c needs a file")?));
            }
            "--force" | "-force" => force = true,
            "-h" | "--help" | "help" => {
                print!("{USAGE}");
                return Ok(ExitCode::SUCCESS);
            }
            "-V" | "--version" => {
                println!("ruta {}", env!("CARGO_PKG_VERSION"));
                return Ok(ExitCode::SUCCESS);
            }
            _ => break,
        }
        i += 1;
    }
    let cmd = &args[i..];
    let Some(first) = cmd.first() else {
        eprint!("{USAGE}");
        return Ok(ExitCode::from(1));
    };
    match first.as_str() {
        "check" => {
            let path = config.ok_or("check needs -c FILE")?;
            Ok(check(&path, force))
        }
        "ip" => {
            let mut rt = state(config, force)?;
            Ok(ip_cmd(&mut rt, &cmd[1..]))
        }
        "sysctl" => {
            let rt = state(config, force)?;
            Ok(sysctl_cmd(&rt, &cmd[1..]))
        }
        "iptables" => {
            let rt = state(config, force)?;
            Ok(iptables_cmd(&rt, &cmd[1..], None))
        }
        "iptables-save" => {
            let rt = state(config, force)?;
            Ok(iptables_save_cmd(&rt, &cmd[1..], None))
        }
        "conntrack" => {
            let rt = state(config, force)?;
            let snap = Snapshot::new(rt);
            let ct = Conntrack::new(CtConfig::default());
            Ok(conntrack_cmd(&snap, &ct, &cmd[1..], trace::TRACE_NOW))
        }
        "trace" => {
            let rt = state(config, force)?;
            trace_cmd(rt, &cmd[1..])
        }
        "run" => Err(
            "the daemon comes with the dataplane; this build evaluates configs offline (-c FILE)"
                .into(),
        ),
        other => Err(format!("unknown command \"{other}\" (try ruta -h)")),
    }
}

/// Loads the config (offline) or, without -c, would ask the daemon.
fn state(config: Option<PathBuf>, force: bool) -> Result<Router, String> {
    let Some(path) = config else {
        return Err(
            "no running daemon to ask in this build: use -c FILE to evaluate a config".into(),
        );
    };
    match file::load_file(&path, force) {
        Ok(rt) => Ok(rt),
        Err(file::LoadError {
            partial: Some(rt),
            errors,
        }) => {
            for e in errors {
                eprintln!("{e}");
            }
            Ok(*rt)
        }
        Err(file::LoadError { errors, .. }) => {
            let msgs: Vec<String> = errors.iter().map(|e| e.to_string()).collect();
            Err(format!(
                "{} has errors, nothing applied:\n{}",
                path.display(),
                msgs.join("\n")
            ))
        }
    }
}

fn check(path: &std::path::Path, force: bool) -> ExitCode {
    match file::load_file(path, force) {
        Ok(rt) => {
            let routes: usize = rt.tables.in_dump_order().iter().map(|t| t.len()).sum();
            println!(
                "{}: ok ({} links, {} routes in {} tables, {} rules)",
                path.display(),
                rt.links().len(),
                routes,
                rt.tables.in_dump_order().len(),
                rt.rules.rules().len()
            );
            ExitCode::SUCCESS
        }
        Err(file::LoadError { errors, .. }) => {
            for e in errors {
                eprintln!("{e}");
            }
            ExitCode::from(1)
        }
    }
}

/// `sysctl -a` / `sysctl KEY...` for the keys routing depends on, in sysctl's format.
fn sysctl_cmd(rt: &Router, words: &[String]) -> ExitCode {
    let all = rt.sysctl.dump(rt.links());
    let keys: Vec<&String> = words.iter().filter(|w| !w.starts_with('-')).collect();
    if keys.is_empty() {
        for (k, v) in &all {
            println!("{k} = {v}");
        }
        return ExitCode::SUCCESS;
    }
    let mut code = ExitCode::SUCCESS;
    for k in keys {
        let k2 = k.replace('/', ".");
        match all.iter().find(|(n, _)| *n == k2) {
            Some((n, v)) => println!("{n} = {v}"),
            None => {
                eprintln!(
                    "sysctl: cannot stat /proc/sys/{}: No such file or directory",
                    k2.replace('.', "/")
                );
                code = ExitCode::from(255);
            }
        }
    }
    code
}

fn ip_cmd(rt: &mut Router, words: &[String]) -> ExitCode {
    let mut opts = IpOpts::default();
    let is_query = words
        .iter()
        .skip_while(|w| w.starts_with('-'))
        .nth(1)
        .is_none_or(|v| {
            ["show", "list", "lst", "get"]
                .iter()
                .any(|q| ip::matches(v, q))
        });
    if !is_query {
        eprintln!("ruta: offline (-c) evaluation answers queries only (show, get); change the config file instead");
        return ExitCode::from(1);
    }
    match ip::ip(rt, words, &mut opts) {
        Ok(out) => {
            print!("{out}");
            ExitCode::SUCCESS
        }
        Err(CmdError::Rtnetlink(m)) => {
            eprintln!("RTNETLINK answers: {m}");
            ExitCode::from(2)
        }
        Err(CmdError::Refused(m)) => {
            eprintln!("Error: {m}");
            ExitCode::from(2)
        }
        Err(CmdError::Partial { out, err }) => {
            print!("{out}");
            eprintln!("Error: {err}");
            ExitCode::from(2)
        }
        Err(e) => {
            eprintln!("{e}");
            ExitCode::from(1)
        }
    }
}

/// `iptables ...`: listings only (offline), printed and exiting as iptables does.
fn iptables_cmd(rt: &Router, words: &[String], ctr: Option<&Counters>) -> ExitCode {
    let args: Vec<&str> = words.iter().map(|s| s.as_str()).collect();
    let listing = args.iter().any(|a| {
        matches!(*a, "-L" | "--list" | "-S" | "--list-rules")
            || (a.starts_with('-') && !a.starts_with("--") && (a.contains('L') || a.contains('S')))
    });
    if !listing {
        eprintln!("ruta: offline (-c) evaluation answers queries only (-L, -S); change the config file instead");
        return ExitCode::from(1);
    }
    let mut rs = rt.netfilter.clone();
    match rs.apply_with(&args, ctr) {
        Ok(Output::Text(t)) => {
            print!("{t}");
            ExitCode::SUCCESS
        }
        Ok(_) => ExitCode::SUCCESS,
        Err(e) => nf_error(&e),
    }
}

/// Prints an iptables error the way iptables 1.8.9 does, with its exit code.
fn nf_error(e: &NfError) -> ExitCode {
    match e {
        NfError::Param(m) => {
            eprintln!("iptables v1.8.9 (nf_tables): {m}");
            eprintln!("Try `iptables -h' or 'iptables --help' for more information.");
            ExitCode::from(2)
        }
        NfError::Kernel(_) => {
            eprintln!("{e}");
            ExitCode::from(1)
        }
    }
}

/// `iptables-save [-t TABLE] [-c]`.
fn iptables_save_cmd(rt: &Router, words: &[String], ctr: Option<&Counters>) -> ExitCode {
    let mut table = None;
    let mut counters = false;
    let mut i = 0;
    while i < words.len() {
        match words[i].as_str() {
            "-c" | "--counters" => counters = true,
            "-t" | "--table" => {
                i += 1;
                match words
                    .get(i)
                    .and_then(|t| ruta_netfilter::TableId::from_name(t))
                {
                    Some(t) => table = Some(t),
                    None => {
                        eprintln!(
                            "iptables-save: table '{}' does not exist",
                            words.get(i).map_or("", |s| s)
                        );
                        return ExitCode::from(1);
                    }
                }
            }
            w => {
                eprintln!("iptables-save: unknown option \"{w}\"");
                return ExitCode::from(1);
            }
        }
        i += 1;
    }
    let ts = ctime_now();
    let text = match table {
        Some(t) => rt.netfilter.save_table(t, ctr, counters, &ts),
        None => rt.netfilter.save(ctr, counters, &ts),
    };
    print!("{text}");
    ExitCode::SUCCESS
}

/// `conntrack -L` (also `-L conntrack`); other conntrack commands need the daemon.
fn conntrack_cmd(snap: &Snapshot, ct: &Conntrack, words: &[String], now: u32) -> ExitCode {
    let _ = snap;
    let list = words.iter().any(|w| matches!(w.as_str(), "-L" | "--dump"));
    if !list {
        eprintln!("ruta: offline (-c) evaluation answers conntrack -L only");
        return ExitCode::from(1);
    }
    let mut entries = Vec::new();
    ct.list(now, &mut entries);
    let (mut out, mut err) = (String::new(), String::new());
    ruta_conntrack::render_list(&entries, &mut out, &mut err);
    print!("{out}");
    eprint!("{err}");
    ExitCode::SUCCESS
}

/// `trace [-j] -f PACKETS [--counters] [--conntrack]`.
fn trace_cmd(rt: Router, words: &[String]) -> Result<ExitCode, String> {
    let mut json = false;
    let mut file = None;
    let mut counters = false;
    let mut conntrack = false;
    let mut i = 0;
    while i < words.len() {
        match words[i].as_str() {
            "-j" | "-json" | "--json" => json = true,
            "-f" | "--file" => {
                i += 1;
                file = Some(words.get(i).ok_or("-f needs a file")?.clone());
            }
            "--counters" => counters = true,
            "--conntrack" => conntrack = true,
            w => return Err(format!("trace: unknown argument \"{w}\"")),
        }
        i += 1;
    }
    let file = file.ok_or("trace needs -f PACKETS (one packet per line, see docs/TRACE.md)")?;
    let text = if file == "-" {
        let mut s = String::new();
        std::io::Read::read_to_string(&mut std::io::stdin(), &mut s)
            .map_err(|e| format!("stdin: {e}"))?;
        s
    } else {
        std::fs::read_to_string(&file).map_err(|e| format!("{file}: {e}"))?
    };
    let snap = Snapshot::new(rt);
    let ct = Conntrack::new(CtConfig::default());
    let mut ctx = Ctx::new(&snap);
    let res = trace::run(&snap, &ct, &mut ctx, &text).map_err(|e| format!("{file}: {e}"))?;
    if json {
        print!("{}", trace::render_json(&snap, &res));
    } else {
        print!("{}", trace::render_text(&snap, &res));
    }
    if counters {
        for t in ["mangle", "nat", "filter"] {
            println!("\n# iptables -t {t} -nvL");
            let words: Vec<String> = ["-t", t, "-nvL"].iter().map(|s| s.to_string()).collect();
            iptables_cmd(&snap.router, &words, Some(&ctx.nf_counters));
        }
    }
    if conntrack {
        println!("\n# conntrack -L");
        conntrack_cmd(&snap, &ct, &["-L".to_string()], trace::TRACE_NOW);
    }
    Ok(ExitCode::SUCCESS)
}

/// The local time as `ctime` prints it (UTC here), for iptables-save's comments.
fn ctime_now() -> String {
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    let days = (secs / 86400) as i64;
    let rem = secs % 86400;
    let (h, m, s) = (rem / 3600, (rem % 3600) / 60, rem % 60);
    // civil from days (Howard Hinnant's algorithm)
    let z = days + 719468;
    let era = z.div_euclid(146097);
    let doe = z - era * 146097;
    let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let mo = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(mo <= 2);
    let wd = (days + 4).rem_euclid(7) as usize;
    const WD: [&str; 7] = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"];
    const MO: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    format!(
        "{} {} {:2} {:02}:{:02}:{:02} {}",
        WD[wd],
        MO[(mo - 1) as usize],
        d,
        h,
        m,
        s,
        y
    )
}
