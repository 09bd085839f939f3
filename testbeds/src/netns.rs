//! Network-namespace helpers: a create/teardown guard, `ip -n NS ...`, and the
//! "are we root and do network namespaces work here" check.
//!
//! Safety rules (see DESIGN.md, "Testbeds and network safety"): every namespace
//! created here is named `ruta-oracle-<pid>-<n>`, everything is configured inside
//! it, nothing is added to the root namespace, and the namespace is deleted when
//! its [`Netns`] guard is dropped (also while unwinding from a panic). Namespaces
//! left behind by a killed process are removed by [`cleanup_stale`].
//!
//! Other testbeds name their namespaces with their own prefix ([`Netns::create`],
//! [`cleanup_stale_with_prefix`], e.g. the seed testbed's `ruta-sb-`), and run
//! code inside a namespace on a thread of their own ([`enter`], [`spawn_in`],
//! [`run_in`]: a thread's sockets stay in the namespace it was in).

use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::OnceLock;

/// Prefix of every namespace this crate creates.
pub const NETNS_PREFIX: &str = "ruta-oracle-";

static COUNTER: AtomicUsize = AtomicUsize::new(0);

/// What a finished command left behind.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CmdOutput {
    /// Exit code (`-1` if killed by a signal or not started).
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl CmdOutput {
    pub fn ok(&self) -> bool {
        self.code == 0
    }

    /// First line of stderr (without the newline), or "".
    pub fn stderr_first_line(&self) -> &str {
        self.stderr.lines().next().unwrap_or("")
    }
}

/// Runs a program to completion and captures its output.
pub fn run(prog: &str, args: &[&str], stdin: Option<&str>) -> CmdOutput {
    let mut cmd = Command::new(prog);
    cmd.args(args)
        .env("LC_ALL", "C")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    cmd.stdin(if stdin.is_some() {
        Stdio::piped()
    } else {
        Stdio::null()
    });
    let mut child = match cmd.spawn() {
        Ok(c) => c,
        Err(e) => {
            return CmdOutput {
                code: -1,
                stdout: String::new(),
                stderr: format!("cannot run {prog}: {e}"),
            }
        }
    };
    if let Some(input) = stdin {
        use std::io::Write;
        let mut pipe = child.stdin.take().expect("stdin piped");
        // A command that exits early closes the pipe; that is its answer.
        let _ = pipe.write_all(input.as_bytes());
    }
    match child.wait_with_output() {
        Ok(out) => CmdOutput {
            code: out.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        },
        Err(e) => CmdOutput {
            code: -1,
            stdout: String::new(),
            stderr: format!("waiting for {prog}: {e}"),
        },
    }
}

/// Is the effective user id 0? (Read from /proc, no libc needed.)
pub fn is_root() -> bool {
    effective_uid() == Some(0)
}

fn effective_uid() -> Option<u32> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("Uid:"))?;
    // Uid: real effective saved fs
    line.split_whitespace().nth(2)?.parse().ok()
}

/// `None` when namespaced tests can run here; otherwise why not (for a
/// `skipping: ...` message). Computed once per process: it creates and deletes
/// one probe namespace, and removes stale namespaces of dead processes.
pub fn unavailable_reason() -> Option<String> {
    static REASON: OnceLock<Option<String>> = OnceLock::new();
    REASON
        .get_or_init(|| {
            if !cfg!(target_os = "linux") {
                return Some("network namespaces need Linux".into());
            }
            match effective_uid() {
                Some(0) => {}
                Some(uid) => {
                    return Some(format!(
                        "not root (effective uid {uid}); network namespaces need root"
                    ))
                }
                None => return Some("cannot read the effective uid from /proc".into()),
            }
            let v = run("ip", &["-V"], None);
            if !v.ok() {
                return Some(format!("iproute2 `ip` is not usable: {}", v.stderr.trim()));
            }
            cleanup_stale();
            match Netns::new() {
                Ok(ns) => {
                    let lo = ns.ip(&["link", "set", "lo", "up"]);
                    if !lo.ok() {
                        return Some(format!(
                            "cannot configure a network namespace: {}",
                            lo.stderr.trim()
                        ));
                    }
                    None
                }
                Err(e) => Some(e),
            }
        })
        .clone()
}

/// A network namespace `ruta-oracle-<pid>-<n>`, deleted on drop.
#[derive(Debug)]
pub struct Netns {
    name: String,
}

impl Netns {
    /// Creates a fresh namespace (loopback still down, as the kernel makes it).
    pub fn new() -> Result<Netns, String> {
        let n = COUNTER.fetch_add(1, Ordering::Relaxed);
        let name = format!("{NETNS_PREFIX}{}-{n}", std::process::id());
        let out = run("ip", &["netns", "add", &name], None);
        if !out.ok() {
            // `ip netns add` may have created the mount point before failing.
            let _ = run("ip", &["netns", "del", &name], None);
            return Err(format!(
                "`ip netns add {name}` failed (exit {}): {}",
                out.code,
                out.stderr.trim()
            ));
        }
        Ok(Netns { name })
    }

    /// Creates a namespace with exactly this name (for testbeds that use their
    /// own prefix, e.g. `ruta-sb-`); deleted on drop like the others. The name
    /// must be a plain file name (letters, digits, `-`, `_`, `.`).
    pub fn create(name: &str) -> Result<Netns, String> {
        if name.is_empty()
            || name.len() > 200
            || name.starts_with('.')
            || !name
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_' || c == '.')
        {
            return Err(format!("refusing odd namespace name {name:?}"));
        }
        let out = run("ip", &["netns", "add", name], None);
        if !out.ok() {
            let _ = run("ip", &["netns", "del", name], None);
            return Err(format!(
                "`ip netns add {name}` failed (exit {}): {}",
                out.code,
                out.stderr.trim()
            ));
        }
        Ok(Netns {
            name: name.to_string(),
        })
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    /// `ip -n NS ARGS...`
    pub fn ip(&self, args: &[&str]) -> CmdOutput {
        let mut v: Vec<&str> = vec!["-n", &self.name];
        v.extend_from_slice(args);
        run("ip", &v, None)
    }

    /// `ip -n NS ARGS...` where ARGS is split on whitespace (the harness only
    /// generates tokens without quoting needs).
    pub fn ip_str(&self, args: &str) -> CmdOutput {
        let v: Vec<&str> = args.split_whitespace().collect();
        self.ip(&v)
    }

    /// `ip -n NS -batch -` with the given lines on stdin.
    pub fn ip_batch(&self, lines: &str, force: bool) -> CmdOutput {
        let mut v: Vec<&str> = vec!["-n", &self.name];
        if force {
            v.push("-force");
        }
        v.extend_from_slice(&["-batch", "-"]);
        run("ip", &v, Some(lines))
    }

    /// `ip netns exec NS PROG ARGS...`
    pub fn exec(&self, prog: &str, args: &[&str]) -> CmdOutput {
        let mut v: Vec<&str> = vec!["netns", "exec", &self.name, prog];
        v.extend_from_slice(args);
        run("ip", &v, None)
    }

    /// Sets sysctls (`net.ipv4.ip_forward=1` style) inside the namespace, by
    /// writing /proc/sys from a shell in it (no procps needed).
    pub fn sysctl(&self, settings: &[String]) -> Result<(), String> {
        let mut script = String::from("set -e\n");
        for s in settings {
            let (k, v) = s
                .split_once('=')
                .ok_or_else(|| format!("bad sysctl setting {s:?}"))?;
            if !k
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '.' || c == '_' || c == '-')
                || !v.chars().all(|c| c.is_ascii_digit())
            {
                return Err(format!("refusing odd sysctl setting {s:?}"));
            }
            script.push_str(&format!("echo {v} > /proc/sys/{}\n", k.replace('.', "/")));
        }
        let out = self.exec("sh", &["-c", &script]);
        if out.ok() {
            Ok(())
        } else {
            Err(format!(
                "setting sysctls in {} failed: {}",
                self.name,
                out.stderr.trim()
            ))
        }
    }
}

impl Drop for Netns {
    fn drop(&mut self) {
        let out = run("ip", &["netns", "del", &self.name], None);
        if !out.ok() {
            eprintln!(
                "warning: `ip netns del {}` failed: {}",
                self.name,
                out.stderr.trim()
            );
        }
    }
}

/// Deletes `ruta-oracle-<pid>-*` namespaces whose process no longer exists.
pub fn cleanup_stale() {
    cleanup_stale_with_prefix(NETNS_PREFIX);
}

/// Deletes `<prefix><pid>-*` namespaces whose process no longer exists.
pub fn cleanup_stale_with_prefix(prefix: &str) {
    let me = std::process::id();
    for name in list_namespaces_with_prefix(prefix) {
        let Some(pid) = name
            .strip_prefix(prefix)
            .and_then(|rest| rest.split('-').next())
            .and_then(|p| p.parse::<u32>().ok())
        else {
            continue;
        };
        if pid != me && !Path::new(&format!("/proc/{pid}")).exists() {
            let _ = run("ip", &["netns", "del", &name], None);
        }
    }
}

/// Names of all namespaces starting with [`NETNS_PREFIX`].
pub fn list_own_namespaces() -> Vec<String> {
    list_namespaces_with_prefix(NETNS_PREFIX)
}

/// Names of all namespaces starting with `prefix`.
pub fn list_namespaces_with_prefix(prefix: &str) -> Vec<String> {
    let out = run("ip", &["netns", "list"], None);
    out.stdout
        .lines()
        .filter_map(|l| l.split_whitespace().next())
        .filter(|n| n.starts_with(prefix))
        .map(str::to_string)
        .collect()
}

/// Moves the calling thread into the named network namespace
/// (`/var/run/netns/NAME`, as `ip netns exec` does). Only this thread changes
/// namespace; sockets it creates afterwards belong to that namespace for good,
/// whichever thread uses them later.
pub fn enter(name: &str) -> Result<(), String> {
    use std::os::fd::AsRawFd;
    let path = format!("/var/run/netns/{name}");
    let f = std::fs::File::open(&path).map_err(|e| format!("opening {path}: {e}"))?;
    // SAFETY: a valid descriptor we own for the duration of the call.
    let rc = unsafe { libc::setns(f.as_raw_fd(), libc::CLONE_NEWNET) };
    if rc != 0 {
        return Err(format!(
            "setns into {name}: {}",
            std::io::Error::last_os_error()
        ));
    }
    Ok(())
}

/// Runs `f` on a new thread that first enters namespace `name`.
pub fn spawn_in<T, F>(name: &str, f: F) -> std::thread::JoinHandle<Result<T, String>>
where
    T: Send + 'static,
    F: FnOnce() -> Result<T, String> + Send + 'static,
{
    let name = name.to_string();
    std::thread::spawn(move || {
        enter(&name)?;
        f()
    })
}

/// Runs `f` inside namespace `name` (on a helper thread) and waits for it.
pub fn run_in<T, F>(name: &str, f: F) -> Result<T, String>
where
    T: Send + 'static,
    F: FnOnce() -> Result<T, String> + Send + 'static,
{
    spawn_in(name, f)
        .join()
        .map_err(|_| format!("a thread in namespace {name} panicked"))?
}

/// Namespaces of this process that are still present (for leak checks).
pub fn leaked_namespaces_of_this_process() -> Vec<String> {
    let mine = format!("{NETNS_PREFIX}{}-", std::process::id());
    list_own_namespaces()
        .into_iter()
        .filter(|n| n.starts_with(&mine))
        .collect()
}
