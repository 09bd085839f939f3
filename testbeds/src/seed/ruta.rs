//! ruta mode: find the binary, tell whether `ruta run` exists, start the daemon
//! inside masq-gw's namespace, wait until it is ready, stop it and check what it
//! left on the interfaces.
//!
//! The daemon is a child process `ip netns exec NS ruta run -c CONFIG` (`ip netns
//! exec` execs ruta in place, so the child's pid is ruta's); its stdout and
//! stderr go to a log file. It is registered with [`super::cleanup`] so Ctrl-C
//! ends it, and killed on drop if it was not stopped.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

use super::cleanup;
use crate::netns::Netns;

/// The start of the message when `ruta run` cannot be used.
pub const NOT_AVAILABLE: &str = "ruta run is not available in this build";

/// What this build's `ruta run` prints when the daemon is missing.
const MISSING_MARKERS: &[&str] = &[
    "this build evaluates configs offline",
    "the daemon comes with the dataplane",
    "unknown command \"run\"",
    "not available in this build",
];

/// `RUTA_BIN`, else `{CARGO_TARGET_DIR,<workspace>/target}/{debug,release}/ruta`.
pub fn find_ruta() -> Result<PathBuf, String> {
    if let Some(b) = std::env::var_os("RUTA_BIN") {
        let p = PathBuf::from(b);
        return if p.is_file() {
            Ok(p)
        } else {
            Err(format!("RUTA_BIN={} does not exist", p.display()))
        };
    }
    let mut dirs = vec![crate::oracle::target_dir()];
    let ws = crate::oracle::workspace_root().join("target");
    if !dirs.contains(&ws) {
        dirs.push(ws);
    }
    let cands: Vec<PathBuf> = dirs
        .iter()
        .flat_map(|d| [d.join("debug").join("ruta"), d.join("release").join("ruta")])
        .collect();
    cands.iter().find(|c| c.is_file()).cloned().ok_or_else(|| {
        format!(
            "the ruta binary was not found (looked in {}); build it with `cargo build -p ruta` or set RUTA_BIN",
            cands.iter().map(|c| c.display().to_string()).collect::<Vec<_>>().join(", ")
        )
    })
}

/// Runs a program with a time limit; (exit status if it finished, stdout+stderr).
fn run_limited(prog: &Path, args: &[&str], limit: Duration) -> (Option<ExitStatus>, String) {
    let out_path = std::env::temp_dir().join(format!("ruta-sb-probe-{}.out", std::process::id()));
    let Ok(f) = std::fs::File::create(&out_path) else {
        return (None, "cannot create a temporary file".into());
    };
    let f2 = f.try_clone();
    let mut cmd = Command::new(prog);
    cmd.args(args)
        .env("LC_ALL", "C")
        .stdin(Stdio::null())
        .stdout(f);
    if let Ok(f2) = f2 {
        cmd.stderr(f2);
    }
    let mut child = match cmd.spawn() {
        Ok(c) => c,
        Err(e) => return (None, format!("cannot run {}: {e}", prog.display())),
    };
    let deadline = Instant::now() + limit;
    let status = loop {
        match child.try_wait() {
            Ok(Some(s)) => break Some(s),
            Ok(None) if Instant::now() < deadline => std::thread::sleep(Duration::from_millis(20)),
            _ => {
                let _ = child.kill();
                let _ = child.wait();
                break None;
            }
        }
    };
    let text = std::fs::read_to_string(&out_path).unwrap_or_default();
    let _ = std::fs::remove_file(&out_path);
    (status, text)
}

/// `Ok` when `ruta run` exists in this binary; otherwise the message
/// `ruta run is not available in this build: ...`.
pub fn run_available(bin: &Path) -> Result<(), String> {
    let (_, text) = run_limited(bin, &["run", "--help"], Duration::from_secs(5));
    if MISSING_MARKERS.iter().any(|m| text.contains(m)) {
        let first = text
            .lines()
            .find(|l| !l.trim().is_empty())
            .unwrap_or("")
            .trim();
        return Err(format!(
            "{NOT_AVAILABLE}: `{} run --help` says: {first}",
            bin.display()
        ));
    }
    Ok(())
}

/// The running daemon.
pub struct Daemon {
    child: Option<Child>,
    pub log: PathBuf,
    ns: String,
    bin: PathBuf,
}

impl Daemon {
    /// Starts `ip netns exec NS BIN run -c CONFIG`, output to `log`.
    pub fn start(bin: &Path, ns: &str, config: &Path, log: &Path) -> Result<Daemon, String> {
        let f =
            std::fs::File::create(log).map_err(|e| format!("creating {}: {e}", log.display()))?;
        let f2 = f.try_clone().map_err(|e| e.to_string())?;
        let cfg = config.to_string_lossy().into_owned();
        let child = Command::new("ip")
            .args(["netns", "exec", ns])
            .arg(bin)
            .args(["run", "-c", &cfg])
            .env("LC_ALL", "C")
            .stdin(Stdio::null())
            .stdout(f)
            .stderr(f2)
            .spawn()
            .map_err(|e| format!("starting ruta: {e}"))?;
        cleanup::register_pid(child.id() as i32);
        Ok(Daemon {
            child: Some(child),
            log: log.to_path_buf(),
            ns: ns.to_string(),
            bin: bin.to_path_buf(),
        })
    }

    /// The daemon's process id (`ip netns exec` execs ruta in place), while it runs.
    pub fn pid(&self) -> Option<u32> {
        self.child.as_ref().map(Child::id)
    }

    /// Has it exited (and how)?
    pub fn exited(&mut self) -> Option<ExitStatus> {
        self.child
            .as_mut()
            .and_then(|c| c.try_wait().ok().flatten())
    }

    /// The last lines of its log.
    pub fn log_tail(&self, n: usize) -> String {
        let t = std::fs::read_to_string(&self.log).unwrap_or_default();
        let lines: Vec<&str> = t.lines().collect();
        lines[lines.len().saturating_sub(n)..].join("\n")
    }

    /// Does `ruta stats` (run in the daemon's namespace) answer?
    pub fn stats_answer(&self) -> bool {
        let (st, _) = run_limited(
            Path::new("ip"),
            &[
                "netns",
                "exec",
                &self.ns,
                &self.bin.to_string_lossy(),
                "stats",
            ],
            Duration::from_secs(2),
        );
        st.is_some_and(|s| s.success())
    }

    /// Sends SIGTERM and waits up to `grace` for the exit; `Ok` only for exit code 0.
    pub fn stop(mut self, grace: Duration) -> Result<(), String> {
        let Some(mut child) = self.child.take() else {
            return Err("ruta was already gone".into());
        };
        let pid = child.id() as i32;
        if let Ok(Some(s)) = child.try_wait() {
            cleanup::unregister_pid(pid);
            return Err(format!(
                "ruta exited on its own before SIGTERM ({s}); log: {}",
                self.log_tail(10)
            ));
        }
        // SAFETY: signalling our own child by its id.
        unsafe {
            libc::kill(pid, libc::SIGTERM);
        }
        let deadline = Instant::now() + grace;
        let status = loop {
            match child.try_wait() {
                Ok(Some(s)) => break Some(s),
                Ok(None) if Instant::now() < deadline => {
                    std::thread::sleep(Duration::from_millis(20))
                }
                _ => {
                    let _ = child.kill();
                    let _ = child.wait();
                    break None;
                }
            }
        };
        cleanup::unregister_pid(pid);
        match status {
            Some(s) if s.code() == Some(0) => Ok(()),
            Some(s) => Err(format!(
                "ruta exited with {s} after SIGTERM; log: {}",
                self.log_tail(10)
            )),
            None => Err(format!(
                "ruta did not exit within {}s of SIGTERM (killed)",
                grace.as_secs()
            )),
        }
    }
}

impl Drop for Daemon {
    fn drop(&mut self) {
        if let Some(mut c) = self.child.take() {
            let pid = c.id() as i32;
            let _ = c.kill();
            let _ = c.wait();
            cleanup::unregister_pid(pid);
        }
    }
}

/// Polls until the daemon is ready: `probe` answers true (e.g. `ruta stats`
/// works, or masq-gw answers a ping). Fails if the daemon exits or `timeout` passes.
pub fn wait_ready(
    d: &mut Daemon,
    probe: &mut dyn FnMut(&Daemon) -> Option<String>,
    timeout: Duration,
) -> Result<String, String> {
    let deadline = Instant::now() + timeout;
    loop {
        if let Some(s) = d.exited() {
            return Err(format!(
                "ruta run exited during start-up ({s}); log:\n{}",
                d.log_tail(20)
            ));
        }
        if let Some(how) = probe(d) {
            return Ok(how);
        }
        if Instant::now() >= deadline {
            return Err(format!(
                "ruta run did not become ready within {}s; log:\n{}",
                timeout.as_secs(),
                d.log_tail(20)
            ));
        }
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// Qdiscs other than the default and tc filters left on `ifaces` (empty when clean).
pub fn leftover_tc(ns: &Netns, ifaces: &[&str]) -> Vec<String> {
    let mut left = Vec::new();
    for i in ifaces {
        let q = ns.exec("tc", &["qdisc", "show", "dev", i]);
        for l in q.stdout.lines() {
            if l.contains("ingress") || l.contains("clsact") {
                left.push(format!("{i}: {l}"));
            }
        }
        for dir in ["ingress", "egress"] {
            let f = ns.exec("tc", &["filter", "show", "dev", i, dir]);
            if f.ok() {
                left.extend(
                    f.stdout
                        .lines()
                        .filter(|l| !l.trim().is_empty())
                        .map(|l| format!("{i} {dir}: {l}")),
                );
            }
        }
    }
    left
}

/// Leftover check on masq-gw's four interfaces, as a result.
pub fn check_clean(ns: &Netns) -> Result<(), String> {
    let left = leftover_tc(ns, &super::topo::GW_IFACES);
    if left.is_empty() {
        Ok(())
    } else {
        Err(format!("left on the interfaces: {}", left.join(" | ")))
    }
}
