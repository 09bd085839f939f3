//! ruta: the command line.
//!
//! Puts `ruta` in front of the words an admin already types and answers in the kernel
//! tools' formats. With `-c FILE` a command evaluates the file offline, nothing running;
//! without it, a command will ask the running daemon (which comes with the dataplane).
//!
//! This crate owns argument handling, exit codes and where output goes; all meaning lives
//! in `ruta-config` and the crates below it.

use ruta_config::{file, ip, CmdError, IpOpts, Router};
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
