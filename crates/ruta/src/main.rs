//! ruta: the command line.
//!
//! Puts `ruta` in front of the words an admin already types and answers in the kernel
//! tools' formats. With `-c FILE` a command evaluates the file offline, nothing running;
//! without it, it asks the running daemon over its control socket (`--socket PATH`,
//! `$RUTA_SOCKET`, or /run/ruta/ruta.sock) and prints its answer with its exit code.
//! `ruta run -c FILE` is the daemon.
//!
//! This crate owns argument handling, exit codes and where output goes; all meaning lives
//! in `ruta-config` and the crates below it.

use ruta_config::{file, Router};
use ruta_conntrack::{Config as CtConfig, Conntrack};
use ruta_dataplane::control::{self, Answer, Mode, Request, View};
use ruta_dataplane::daemon::{self, RunOptions};
use ruta_pipeline::{trace, Snapshot};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

const USAGE: &str = "\
usage: ruta [-c FILE] [--force] COMMAND

commands:
  check                                   validate FILE; errors as FILE:LINE: message
  ip [-j] rule show                       as `ip rule show`
  ip [-j] route show [table ID|all] [dev D] [proto P] [scope S] [type T]
  ip [-j] route get [fibmatch] ADDR [from A] [iif D] [oif D] [mark N] [tos T]
                    [ipproto P] [sport N] [dport N]
  ip [-j] neigh show [dev D]              the neighbour (ARP) table, as ip neigh prints it (daemon)
  sysctl [-a | KEY...]                    the sysctls routing depends on, as sysctl prints them
  iptables [-t TABLE] -L|-S [CHAIN] [-n] [-v] [-x] [--line-numbers]
                                          as iptables lists them (offline: counters from -c)
  iptables-save [-t TABLE] [-c]           as iptables-save prints them
  conntrack -L                            the connection table, as conntrack-tools prints it
  trace [-j] -f PACKETS [--counters] [--conntrack]
                                          run packets through the pipeline and show every step
                                          (--counters: then the iptables -nvL of each table;
                                           --conntrack: then conntrack -L)
  run                                     the router daemon (needs -c FILE; see docs/DAEMON.md)
  stats                                   per port / per worker counters, drops by reason (daemon)
  capture PORT -w FILE.pcap [-c N]        write what PORT receives and sends as pcap (daemon)
  reload                                  re-read the daemon's config file (as SIGHUP)

options:
  -c FILE    evaluate FILE offline (the config: ip/port/sysctl/rt_tables lines);
             without -c the commands ask the running daemon
  --socket PATH  the daemon's control socket (default $RUTA_SOCKET or /run/ruta/ruta.sock)
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
    let mut socket: Option<PathBuf> = None;
    let mut force = false;
    let mut i = 0;
    while i < args.len() {
        match args[i].as_str() {
            "-c" | "--config" => {
                i += 1;
                config = Some(PathBuf::from(args.get(i).ok_or("-c needs a file")?));
            }
            "--socket" | "-socket" => {
                i += 1;
                socket = Some(PathBuf::from(args.get(i).ok_or("--socket needs a path")?));
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
    let mut cmd: Vec<String> = args[i..].to_vec();
    // `ruta run -c FILE --socket P`: options after `run` too
    if cmd.first().map(|s| s.as_str()) == Some("run") {
        let mut j = 1;
        while j < cmd.len() {
            match cmd[j].as_str() {
                "-c" | "--config" => {
                    config = Some(PathBuf::from(cmd.get(j + 1).ok_or("-c needs a file")?));
                    j += 2;
                }
                "--socket" | "-socket" => {
                    socket = Some(PathBuf::from(
                        cmd.get(j + 1).ok_or("--socket needs a path")?,
                    ));
                    j += 2;
                }
                w => return Err(format!("run: unknown argument \"{w}\"")),
            }
        }
        cmd.truncate(1);
    }
    let socket = socket
        .or_else(|| std::env::var_os("RUTA_SOCKET").map(PathBuf::from))
        .unwrap_or_else(|| PathBuf::from(control::DEFAULT_SOCKET));
    let Some(first) = cmd.first() else {
        eprint!("{USAGE}");
        return Ok(ExitCode::from(1));
    };
    match first.as_str() {
        "check" => {
            let path = config.ok_or("check needs -c FILE")?;
            Ok(check(&path, force))
        }
        "run" => {
            let path = config.ok_or("run needs -c FILE")?;
            if force {
                return Err(
                    "run does not take --force: the daemon starts from a config without errors"
                        .into(),
                );
            }
            daemon::run(&RunOptions {
                config: path,
                socket,
            })?;
            Ok(ExitCode::SUCCESS)
        }
        "stats" | "reload" | "capture" => {
            if config.is_some() {
                return Err(format!("{first} asks the running daemon: drop -c FILE"));
            }
            ask_daemon(&socket, &cmd)
        }
        "ip" | "sysctl" | "iptables" | "iptables-save" | "conntrack" | "trace" => match config {
            Some(path) => offline(&path, force, &cmd),
            None => ask_daemon(&socket, &cmd),
        },
        other => Err(format!("unknown command \"{other}\" (try ruta -h)")),
    }
}

/// The packet text of `trace -f FILE` (`-` is stdin), read here, on the client side.
fn trace_input(cmd: &[String]) -> Result<String, String> {
    if cmd.first().map(|s| s.as_str()) != Some("trace") {
        return Ok(String::new());
    }
    let Some(pos) = cmd.iter().position(|w| w == "-f" || w == "--file") else {
        return Ok(String::new());
    };
    let file = cmd.get(pos + 1).ok_or("-f needs a file")?;
    if file == "-" {
        let mut s = String::new();
        std::io::Read::read_to_string(&mut std::io::stdin(), &mut s)
            .map_err(|e| format!("stdin: {e}"))?;
        Ok(s)
    } else {
        std::fs::read_to_string(file).map_err(|e| format!("{file}: {e}"))
    }
}

fn print_answer(a: &Answer) -> ExitCode {
    let mut o = std::io::stdout().lock();
    let _ = o.write_all(a.out.as_bytes());
    let _ = o.flush();
    eprint!("{}", a.err);
    ExitCode::from(a.code)
}

/// Evaluates a query against the config file, nothing running.
fn offline(path: &Path, force: bool, cmd: &[String]) -> Result<ExitCode, String> {
    let input = trace_input(cmd)?;
    let rt = state(path, force)?;
    let snap = Snapshot::new(rt);
    let ct = Conntrack::new(CtConfig::default());
    let v = View {
        snap: &snap,
        nf: None,
        ct: &ct,
        now: trace::TRACE_NOW,
        neigh: None,
        mode: Mode::Offline,
    };
    Ok(print_answer(&control::query(&v, cmd, &input)))
}

/// Sends the command to the daemon and prints its answer with its exit code.
fn ask_daemon(socket: &Path, cmd: &[String]) -> Result<ExitCode, String> {
    let input = trace_input(cmd)?;
    let mut words = cmd.to_vec();
    let mut timeout = Some(std::time::Duration::from_secs(30));
    if words[0] == "capture" {
        // the daemon writes the file: make its path absolute here
        if let Some(p) = words.iter().position(|w| w == "-w") {
            if let Some(f) = words.get_mut(p + 1) {
                let path = Path::new(f.as_str());
                if path.is_relative() {
                    if let Ok(cwd) = std::env::current_dir() {
                        *f = cwd.join(path).display().to_string();
                    }
                }
            }
        }
        timeout = None;
    }
    let req = Request { words, input };
    match control::ask(socket, &req, timeout) {
        Ok(a) => Ok(print_answer(&a)),
        Err(e) => Err(format!(
            "cannot reach the daemon at {}: {e} (is `ruta run -c FILE` running? \
             or evaluate a config offline with -c FILE)",
            socket.display()
        )),
    }
}

/// Loads the config (offline).
fn state(path: &Path, force: bool) -> Result<Router, String> {
    match file::load_file(path, force) {
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
