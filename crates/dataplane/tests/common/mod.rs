//! Network namespaces for the dataplane's integration tests: created per test, deleted on
//! drop (also when a test panics), with IPv6 off so that no chatter reaches the test links.

use std::io;
use std::os::fd::AsRawFd;
use std::process::Command;

/// A network namespace deleted on drop.
pub struct Ns {
    pub name: String,
}

impl Ns {
    /// `ruta-h-PREFIX-TAG-PID`; None (with the reason printed) when not root or when
    /// `ip netns add` fails: the test then passes without running.
    pub fn new(prefix: &str, tag: &str) -> Option<Ns> {
        // SAFETY: geteuid has no preconditions.
        if unsafe { libc::geteuid() } != 0 {
            eprintln!("skipping: not root");
            return None;
        }
        let name = format!("ruta-h-{prefix}-{tag}-{}", std::process::id());
        let _ = Command::new("ip").args(["netns", "del", &name]).output();
        let out = Command::new("ip")
            .args(["netns", "add", &name])
            .output()
            .ok()?;
        if !out.status.success() {
            eprintln!(
                "skipping: ip netns add {name}: {}",
                String::from_utf8_lossy(&out.stderr).trim()
            );
            return None;
        }
        let ns = Ns { name };
        // No IPv6 chatter (router solicitations, MLD, DAD) on the test links.
        ns.sh(&["sysctl", "-qw", "net.ipv6.conf.all.disable_ipv6=1"]);
        ns.sh(&["sysctl", "-qw", "net.ipv6.conf.default.disable_ipv6=1"]);
        ns.ip("link set lo up");
        Some(ns)
    }

    /// `ip -n NS ARGS`, which must succeed.
    pub fn ip(&self, args: &str) {
        let mut a = vec!["-n", self.name.as_str()];
        a.extend(args.split_whitespace());
        run("ip", &a);
    }

    /// `ip netns exec NS CMD...`, which must succeed.
    pub fn sh(&self, cmd: &[&str]) -> String {
        let mut a = vec!["netns", "exec", self.name.as_str()];
        a.extend(cmd);
        run("ip", &a)
    }

    /// Runs `f` on a thread that entered this namespace (sockets it creates live there).
    pub fn run<T: Send, F: FnOnce() -> T + Send>(&self, f: F) -> T {
        let path = format!("/run/netns/{}", self.name);
        std::thread::scope(|s| {
            let h = s.spawn(move || {
                let file = std::fs::File::open(&path).expect("open netns");
                // SAFETY: setns on this thread only, with a namespace fd.
                let r = unsafe { libc::setns(file.as_raw_fd(), libc::CLONE_NEWNET) };
                assert_eq!(r, 0, "setns {path}: {}", io::Error::last_os_error());
                f()
            });
            match h.join() {
                Ok(v) => v,
                Err(p) => std::panic::resume_unwind(p),
            }
        })
    }
}

impl Drop for Ns {
    fn drop(&mut self) {
        let _ = Command::new("ip")
            .args(["netns", "del", &self.name])
            .output();
    }
}

/// Runs a command that must succeed; its stdout.
pub fn run(prog: &str, args: &[&str]) -> String {
    let out = Command::new(prog).args(args).output().expect(prog);
    assert!(
        out.status.success(),
        "{prog} {}: {}",
        args.join(" "),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}
