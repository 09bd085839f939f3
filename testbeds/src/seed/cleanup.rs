//! Teardown on every exit path: a process-wide registry of the namespaces and
//! child processes a seed testbed created, and a SIGINT/SIGTERM handler that ends
//! the children and deletes the namespaces before the process exits.
//!
//! Normal exits and panics are covered by the guards' `Drop` ([`NsGuard`],
//! the daemon handle), which also unregister; the signal path covers Ctrl-C and
//! `kill`. The handler itself only writes the signal number to a pipe
//! (async-signal-safe); a watcher thread does the work and exits with 128+signal.
//! It must not touch anything it did not register.

use std::sync::atomic::{AtomicI32, Ordering};
use std::sync::{Mutex, Once};

use crate::netns::{self, Netns};

#[derive(Default)]
struct Registry {
    namespaces: Vec<String>,
    pids: Vec<i32>,
}

static REGISTRY: Mutex<Registry> = Mutex::new(Registry {
    namespaces: Vec::new(),
    pids: Vec::new(),
});
static PIPE_W: AtomicI32 = AtomicI32::new(-1);
static INSTALL: Once = Once::new();

fn with<R>(f: impl FnOnce(&mut Registry) -> R) -> R {
    let mut g = REGISTRY.lock().unwrap_or_else(|p| p.into_inner());
    f(&mut g)
}

/// Records a child process id to end on a signal.
pub fn register_pid(pid: i32) {
    with(|r| r.pids.push(pid));
}

pub fn unregister_pid(pid: i32) {
    with(|r| r.pids.retain(|p| *p != pid));
}

/// A namespace that is deleted on drop and, until then, on SIGINT/SIGTERM.
#[derive(Debug)]
pub struct NsGuard {
    ns: Option<Netns>,
}

impl NsGuard {
    /// Creates namespace `name` and registers it.
    pub fn create(name: &str) -> Result<NsGuard, String> {
        install_signal_teardown();
        // Registered before it exists, so a signal right after creation finds it
        // (deleting a missing namespace is harmless).
        with(|r| r.namespaces.push(name.to_string()));
        match Netns::create(name) {
            Ok(ns) => Ok(NsGuard { ns: Some(ns) }),
            Err(e) => {
                with(|r| r.namespaces.retain(|n| n != name));
                Err(e)
            }
        }
    }

    pub fn ns(&self) -> &Netns {
        self.ns.as_ref().expect("present until drop")
    }

    pub fn name(&self) -> &str {
        self.ns().name()
    }
}

impl Drop for NsGuard {
    fn drop(&mut self) {
        if let Some(ns) = self.ns.take() {
            let name = ns.name().to_string();
            drop(ns); // `ip netns del`
            with(|r| r.namespaces.retain(|n| *n != name));
        }
    }
}

extern "C" fn on_signal(sig: libc::c_int) {
    let fd = PIPE_W.load(Ordering::Relaxed);
    if fd >= 0 {
        let b = [sig as u8];
        // SAFETY: write(2) is async-signal-safe; the buffer is valid.
        unsafe {
            libc::write(fd, b.as_ptr().cast(), 1);
        }
    }
}

/// Installs the SIGINT/SIGTERM teardown (once per process).
pub fn install_signal_teardown() {
    INSTALL.call_once(|| {
        let mut fds = [0i32; 2];
        // SAFETY: fds is a valid array of two ints.
        if unsafe { libc::pipe2(fds.as_mut_ptr(), libc::O_CLOEXEC) } != 0 {
            eprintln!(
                "seedbed: warning: no signal teardown (pipe: {})",
                std::io::Error::last_os_error()
            );
            return;
        }
        PIPE_W.store(fds[1], Ordering::Relaxed);
        let rfd = fds[0];
        std::thread::spawn(move || {
            let mut b = [0u8; 1];
            loop {
                // SAFETY: reading into a valid one-byte buffer from our pipe.
                let n = unsafe { libc::read(rfd, b.as_mut_ptr().cast(), 1) };
                if n == 1 {
                    break;
                }
                if n < 0
                    && std::io::Error::last_os_error().kind() == std::io::ErrorKind::Interrupted
                {
                    continue;
                }
                return;
            }
            let sig = i32::from(b[0]);
            eprintln!("seedbed: signal {sig}: tearing down");
            teardown_all();
            std::process::exit(128 + sig);
        });
        for sig in [libc::SIGINT, libc::SIGTERM] {
            // SAFETY: installing a handler that only calls write(2).
            unsafe {
                let mut sa: libc::sigaction = std::mem::zeroed();
                sa.sa_sigaction = on_signal as extern "C" fn(libc::c_int) as usize;
                sa.sa_flags = libc::SA_RESTART;
                libc::sigemptyset(&mut sa.sa_mask);
                libc::sigaction(sig, &sa, std::ptr::null_mut());
            }
        }
    });
}

/// Ends every registered child (SIGTERM, then SIGKILL after a second) and deletes
/// every registered namespace. Used by the signal path; safe to call twice.
pub fn teardown_all() {
    let (pids, names) = with(|r| {
        (
            std::mem::take(&mut r.pids),
            std::mem::take(&mut r.namespaces),
        )
    });
    for &p in &pids {
        // SAFETY: signalling a child we started, by its id.
        unsafe {
            libc::kill(p, libc::SIGTERM);
        }
    }
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(1);
    for &p in &pids {
        while std::path::Path::new(&format!("/proc/{p}")).exists()
            && std::time::Instant::now() < deadline
        {
            std::thread::sleep(std::time::Duration::from_millis(20));
        }
        if std::path::Path::new(&format!("/proc/{p}")).exists() {
            // SAFETY: as above.
            unsafe {
                libc::kill(p, libc::SIGKILL);
            }
        }
    }
    for n in names {
        let _ = netns::run("ip", &["netns", "del", &n], None);
    }
}
