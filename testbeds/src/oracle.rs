//! The kernel oracle: run a [`Scenario`] in a fresh network namespace and in
//! ruta (offline, through its CLI), compare, and shrink mismatches.

use std::collections::HashMap;
use std::io::Read as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use crate::netns::{CmdOutput, Netns};
use crate::scenario::{Read, Scenario};

/// How long one ruta invocation may take before it counts as hung.
const RUTA_TIMEOUT: Duration = Duration::from_secs(10);

/// One side's answers for a scenario.
#[derive(Clone, Debug)]
pub struct SideResult {
    /// Per scenario command: applied without error?
    pub accepted: Vec<bool>,
    /// Per scenario command: the error text ("" when accepted).
    pub messages: Vec<String>,
    /// Per read: stdout, stderr and exit code.
    pub reads: Vec<CmdOutput>,
    /// Problems before the scenario commands (ruta rejecting a link
    /// declaration, crashing, hanging...).
    pub setup_errors: Vec<String>,
}

// ------------------------------------------------------------------ kernel

/// The sysctls of every oracle namespace (before the links exist).
fn base_sysctls() -> Vec<String> {
    [
        "net.ipv4.ip_forward=1",
        "net.ipv4.conf.all.rp_filter=0",
        "net.ipv4.conf.default.rp_filter=0",
        "net.ipv6.conf.all.disable_ipv6=1",
        "net.ipv6.conf.default.disable_ipv6=1",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect()
}

/// Creates the namespace of a scenario: `lo` up, one veth pair `X`/`Xp` per
/// link, both ends up, IPv6 off, forwarding on, rp_filter off.
pub fn kernel_namespace(links: &[String]) -> Result<Netns, String> {
    let ns = Netns::new()?;
    ns.sysctl(&base_sysctls())?;
    let mut batch = String::from("link set lo up\n");
    for l in links {
        batch.push_str(&format!("link add {l} type veth peer name {l}p\n"));
    }
    for l in links {
        batch.push_str(&format!("link set {l}p up\nlink set {l} up\n"));
    }
    let out = ns.ip_batch(&batch, false);
    if !out.ok() {
        return Err(format!(
            "setting up links in {} failed: {}",
            ns.name(),
            out.stderr.trim()
        ));
    }
    let mut per_if = Vec::new();
    for l in links {
        per_if.push(format!("net.ipv4.conf.{l}.rp_filter=0"));
        per_if.push(format!("net.ipv4.conf.{l}p.rp_filter=0"));
    }
    if !per_if.is_empty() {
        ns.sysctl(&per_if)?;
    }
    Ok(ns)
}

/// Applies the commands one by one (`ip -n NS CMD`), then runs the reads.
pub fn run_kernel(sc: &Scenario, reads: &[Read]) -> Result<SideResult, String> {
    let ns = kernel_namespace(&sc.links)?;
    let mut res = SideResult {
        accepted: Vec::new(),
        messages: Vec::new(),
        reads: Vec::new(),
        setup_errors: Vec::new(),
    };
    for c in &sc.commands {
        let out = ns.ip_str(c);
        res.accepted.push(out.ok());
        res.messages.push(if out.ok() {
            String::new()
        } else {
            format!("exit {}: {}", out.code, out.stderr_first_line())
        });
    }
    for r in reads {
        res.reads.push(ns.ip_str(&r.kernel));
    }
    Ok(res)
}

// ------------------------------------------------------------------ ruta

/// The target directory of the workspace (`CARGO_TARGET_DIR` or `<root>/target`).
pub fn target_dir() -> PathBuf {
    if let Some(d) = std::env::var_os("CARGO_TARGET_DIR") {
        let p = PathBuf::from(d);
        if p.is_absolute() {
            return p;
        }
        return workspace_root().join(p);
    }
    workspace_root().join("target")
}

pub fn workspace_root() -> PathBuf {
    let manifest = Path::new(env!("CARGO_MANIFEST_DIR"));
    manifest.parent().unwrap_or(manifest).to_path_buf()
}

/// `RUTA_BIN`, else `target/debug/ruta`, else `target/release/ruta`.
pub fn find_ruta() -> Result<PathBuf, String> {
    if let Some(b) = std::env::var_os("RUTA_BIN") {
        let p = PathBuf::from(b);
        return if p.is_file() {
            Ok(p)
        } else {
            Err(format!("RUTA_BIN={} does not exist", p.display()))
        };
    }
    let t = target_dir();
    let candidates = [t.join("debug").join("ruta"), t.join("release").join("ruta")];
    for c in &candidates {
        if c.is_file() {
            return Ok(c.clone());
        }
    }
    Err(format!(
        "the ruta binary was not found (looked for {} and {}); build it first with \
         `cargo build -p ruta` (or run `cargo test --workspace`), or set RUTA_BIN",
        candidates[0].display(),
        candidates[1].display()
    ))
}

static FILE_COUNTER: AtomicUsize = AtomicUsize::new(0);

/// ruta invocations that hung; after a few the run stops instead of waiting
/// RUTA_TIMEOUT for every remaining read.
static RUTA_HANGS: AtomicUsize = AtomicUsize::new(0);
const MAX_RUTA_HANGS: usize = 3;

/// A temporary ruta config file, removed on drop.
struct TempConfig {
    path: PathBuf,
}

impl TempConfig {
    fn new(text: &str) -> Result<TempConfig, String> {
        let dir = target_dir().join("oracle-tmp");
        std::fs::create_dir_all(&dir).map_err(|e| format!("creating {}: {e}", dir.display()))?;
        let n = FILE_COUNTER.fetch_add(1, Ordering::Relaxed);
        let path = dir.join(format!("ruta-oracle-{}-{n}.conf", std::process::id()));
        std::fs::write(&path, text).map_err(|e| format!("writing {}: {e}", path.display()))?;
        Ok(TempConfig { path })
    }
}

impl Drop for TempConfig {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.path);
    }
}

/// Runs `prog args` with a time limit (the child is killed by its pid when it
/// overruns).
fn run_with_timeout(prog: &Path, args: &[&str], limit: Duration) -> CmdOutput {
    use std::os::unix::process::CommandExt;
    let mut child = match Command::new(prog)
        .args(args)
        .process_group(0)
        .env("LC_ALL", "C")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
    {
        Ok(c) => c,
        Err(e) => {
            return CmdOutput {
                code: -1,
                stdout: String::new(),
                stderr: format!("cannot run {}: {e}", prog.display()),
            }
        }
    };
    let pid = child.id();
    let mut so = child.stdout.take().expect("piped");
    let mut se = child.stderr.take().expect("piped");
    let t_out = std::thread::spawn(move || {
        let mut b = Vec::new();
        let _ = so.read_to_end(&mut b);
        b
    });
    let t_err = std::thread::spawn(move || {
        let mut b = Vec::new();
        let _ = se.read_to_end(&mut b);
        b
    });
    let (tx, rx) = mpsc::channel();
    let waiter = std::thread::spawn(move || {
        let st = child.wait();
        let _ = tx.send(st);
    });
    let status = match rx.recv_timeout(limit) {
        Ok(st) => st.ok(),
        Err(_) => {
            // The child leads its own process group: end it and whatever it
            // started (their output pipes would keep the readers waiting).
            let _ = Command::new("kill")
                .args(["-9", "--", &format!("-{pid}")])
                .stderr(Stdio::null())
                .status();
            let _ = rx.recv();
            None
        }
    };
    let _ = waiter.join();
    let stdout = String::from_utf8_lossy(&t_out.join().unwrap_or_default()).into_owned();
    let mut stderr = String::from_utf8_lossy(&t_err.join().unwrap_or_default()).into_owned();
    let code = match status {
        Some(s) => s.code().unwrap_or(-1),
        None => {
            stderr.push_str(&format!("[oracle: killed after {}s]\n", limit.as_secs()));
            RUTA_HANGS.fetch_add(1, Ordering::Relaxed);
            -1
        }
    };
    CmdOutput {
        code,
        stdout,
        stderr,
    }
}

/// Runs `ruta -c FILE --force check` (accept list) and `ruta -c FILE --force ip
/// READ` for each read. `FILE:LINE:` lines are removed from a read's stderr.
pub fn run_ruta(
    bin: &Path,
    sc: &Scenario,
    reads: &[Read],
    with_check: bool,
) -> Result<SideResult, String> {
    if RUTA_HANGS.load(Ordering::Relaxed) >= MAX_RUTA_HANGS {
        return Err(format!(
            "ruta hung {MAX_RUTA_HANGS} times (killed after {}s each); giving up",
            RUTA_TIMEOUT.as_secs()
        ));
    }
    let cfg = TempConfig::new(&sc.ruta_config())?;
    let file = cfg.path.to_string_lossy().into_owned();
    let header = sc.config_header_lines();
    let n = sc.commands.len();
    let mut res = SideResult {
        accepted: vec![true; n],
        messages: vec![String::new(); n],
        reads: Vec::new(),
        setup_errors: Vec::new(),
    };
    let prefix = format!("{file}:");
    if with_check {
        let out = run_with_timeout(bin, &["-c", &file, "--force", "check"], RUTA_TIMEOUT);
        if out.code == -1 && out.stderr.contains("[oracle: killed after") {
            return Err(format!(
                "`ruta --force check` hung (killed after {}s); config:\n{}",
                RUTA_TIMEOUT.as_secs(),
                sc.ruta_config()
            ));
        }
        let mut failed_lines = 0;
        for line in out.stderr.lines() {
            let Some(rest) = line.strip_prefix(&prefix) else {
                continue;
            };
            let num: String = rest.chars().take_while(|c| c.is_ascii_digit()).collect();
            let Ok(lineno) = num.parse::<usize>() else {
                continue;
            };
            failed_lines += 1;
            if lineno > header && lineno <= header + n {
                let i = lineno - header - 1;
                res.accepted[i] = false;
                res.messages[i] = rest[num.len()..].trim_start_matches(':').trim().to_string();
            } else {
                res.setup_errors
                    .push(format!("ruta rejected config line {lineno}: {line}"));
            }
        }
        let expect = if failed_lines > 0 { 1 } else { 0 };
        if out.code != expect {
            res.setup_errors.push(format!(
                "`ruta -c FILE --force check` exited {} with {} failing lines (expected exit {expect}); stderr: {}",
                out.code,
                failed_lines,
                out.stderr.trim()
            ));
        }
    }
    for r in reads {
        let mut args: Vec<&str> = vec!["-c", &file, "--force", "ip"];
        args.extend(r.ruta.split_whitespace());
        let mut out = run_with_timeout(bin, &args, RUTA_TIMEOUT);
        if out.code == -1 && out.stderr.contains("[oracle: killed after") {
            return Err(format!(
                "ruta hung on `ip {}` (killed after {}s); config:\n{}",
                r.ruta,
                RUTA_TIMEOUT.as_secs(),
                sc.ruta_config()
            ));
        }
        out.stderr = out
            .stderr
            .lines()
            .filter(|l| !l.starts_with(&prefix))
            .map(|l| format!("{l}\n"))
            .collect();
        res.reads.push(out);
    }
    Ok(res)
}

// ------------------------------------------------------------------ comparison

/// Which check of a scenario differs.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum CheckKey {
    Setup,
    /// Accepted by one side only (index into the commands).
    Accept(usize),
    /// Output differs (index into the reads).
    Read(usize),
}

#[derive(Clone, Debug)]
pub struct Mismatch {
    pub key: CheckKey,
    /// Rough class, for reporting distinct bugs only once.
    pub class: String,
    /// Human-readable description with the kernel/ruta diff.
    pub detail: String,
}

/// Renders a read's outcome as lines for a diff.
fn render_output(o: &CmdOutput) -> String {
    let mut s = String::new();
    s.push_str(&o.stdout);
    if !o.stdout.is_empty() && !o.stdout.ends_with('\n') {
        s.push_str("\\ (no newline at end of stdout)\n");
    }
    if !o.stderr_first_line().is_empty() {
        s.push_str(&format!("[stderr] {}\n", o.stderr_first_line()));
    }
    s.push_str(&format!("[exit {}]\n", o.code));
    s
}

fn outputs_equal(k: &CmdOutput, r: &CmdOutput) -> bool {
    k.stdout == r.stdout && k.code == r.code && k.stderr_first_line() == r.stderr_first_line()
}

/// Replaces addresses, numbers and device names by placeholders.
pub fn skeleton(line: &str) -> String {
    line.split_whitespace()
        .map(|w| {
            let w = w.trim_end_matches(':');
            if w.starts_with("eth") && w[3..].chars().all(|c| c.is_ascii_alphanumeric()) {
                "D".to_string()
            } else if w.contains('.')
                && w.chars()
                    .all(|c| c.is_ascii_digit() || c == '.' || c == '/')
            {
                "A".to_string()
            } else if w.contains('/')
                && w.chars()
                    .all(|c| c.is_ascii_hexdigit() || c == '/' || c == 'x')
            {
                "N/N".to_string()
            } else if w.len() > 2
                && w.starts_with("0x")
                && w[2..].chars().all(|c| c.is_ascii_hexdigit())
            {
                "0xN".to_string()
            } else if !w.is_empty() && w.chars().all(|c| c.is_ascii_digit() || c == '-') {
                "N".to_string()
            } else {
                w.to_string()
            }
        })
        .collect::<Vec<_>>()
        .join(" ")
}

/// The first line where two texts differ (kernel's, ruta's).
fn first_difference(a: &str, b: &str) -> (String, String) {
    let la: Vec<&str> = a.lines().collect();
    let lb: Vec<&str> = b.lines().collect();
    for i in 0..la.len().max(lb.len()) {
        let x = la.get(i).copied().unwrap_or("");
        let y = lb.get(i).copied().unwrap_or("");
        if x != y {
            return (x.to_string(), y.to_string());
        }
    }
    (String::new(), String::new())
}

/// JSON pretty-printed (for readable diffs), or the text as is.
fn pretty_if_json(s: &str) -> String {
    let t = s.trim();
    if t.starts_with('[') || t.starts_with('{') {
        if let Ok(v) = serde_json::from_str::<serde_json::Value>(t) {
            if let Ok(p) = serde_json::to_string_pretty(&v) {
                return p + "\n";
            }
        }
    }
    s.to_string()
}

pub fn describe_read_mismatch(read: &Read, k: &CmdOutput, r: &CmdOutput) -> String {
    let mut d = String::new();
    d.push_str(&format!("read:   {}\n", read.display()));
    if read.kernel != read.ruta {
        d.push_str(&format!("        (kernel side: ip {})\n", read.kernel));
    }
    let kp = pretty_if_json(&k.stdout);
    let rp = pretty_if_json(&r.stdout);
    let json = kp != k.stdout || rp != r.stdout;
    if json && kp == rp {
        // Same JSON value, different bytes: show the raw lines.
        d.push_str("--- kernel\n+++ ruta\n");
        d.push_str(&line_diff(&render_output(k), &render_output(r)));
        return d;
    }
    let kt = render_output(&CmdOutput {
        stdout: kp,
        ..k.clone()
    });
    let rt = render_output(&CmdOutput {
        stdout: rp,
        ..r.clone()
    });
    if json {
        d.push_str("(JSON stdout pretty-printed for the diff)\n");
    }
    d.push_str("--- kernel\n+++ ruta\n");
    d.push_str(&line_diff(&kt, &rt));
    d
}

/// Class of an accept/reject difference: the verb, the route type, and the
/// rejecting side's message (ruta's with addresses and numbers elided).
fn accept_class(dir: &str, cmd: &str, kmsg: &str, rmsg: &str, kernel_accepted: bool) -> String {
    let w: Vec<&str> = cmd.split_whitespace().collect();
    let verb = w.iter().take(2).copied().collect::<Vec<_>>().join(" ");
    let ty = w
        .iter()
        .find(|x| {
            matches!(
                **x,
                "unicast" | "local" | "blackhole" | "unreachable" | "prohibit" | "throw"
            )
        })
        .map(|t| format!(" {t}"))
        .unwrap_or_default();
    let why = if kernel_accepted {
        // ruta's message names the reason; the route type adds nothing
        return format!("{dir}: ip {verb} :: ruta: {}", skeleton(rmsg));
    } else {
        let m = kmsg.split_once(": ").map(|x| x.1).unwrap_or(kmsg);
        format!("kernel: {m}")
    };
    format!("{dir}: ip {verb}{ty} :: {why}")
}

/// Class of an output difference: what kind of read, and how it differs
/// (error vs success, line order only, or which words differ).
fn read_class(read: &Read, k: &CmdOutput, r: &CmdOutput) -> String {
    let w: Vec<&str> = read.ruta.split_whitespace().collect();
    let json = if w.contains(&"-j") { " -j" } else { "" };
    let kind: Vec<&str> = w.iter().filter(|x| **x != "-j").take(2).copied().collect();
    let kind = format!("ip{json} {}", kind.join(" "));
    let status = |o: &CmdOutput| {
        if o.code == 0 {
            "ok".to_string()
        } else {
            format!("{} (exit {})", o.stderr_first_line(), o.code)
        }
    };
    if k.code != r.code || k.stdout == r.stdout {
        let plain = format!(
            "ip {}",
            w.iter()
                .filter(|x| **x != "-j")
                .take(2)
                .copied()
                .collect::<Vec<_>>()
                .join(" ")
        );
        return format!("{plain} :: kernel {} vs ruta {}", status(k), status(r));
    }
    let kp = pretty_if_json(&k.stdout);
    let rp = pretty_if_json(&r.stdout);
    let mut ks: Vec<&str> = kp.lines().collect();
    let mut rs: Vec<&str> = rp.lines().collect();
    ks.sort();
    rs.sort();
    if ks == rs {
        return format!("{kind} :: same lines, different order");
    }
    let (kl, rl) = first_difference(&kp, &rp);
    let kt: Vec<&str> = kl.split_whitespace().collect();
    let rt: Vec<&str> = rl.split_whitespace().collect();
    let only = |a: &[&str], b: &[&str]| -> String {
        let mut out: Vec<String> = Vec::new();
        for t in a.iter().filter(|t| !b.contains(t)) {
            let sk = skeleton(t.trim_matches(|c| c == '"' || c == ',' || c == ':'));
            if !out.contains(&sk) {
                out.push(sk);
            }
        }
        out.truncate(6);
        out.join(" ")
    };
    format!(
        "{kind} :: kernel [{}] vs ruta [{}]",
        only(&kt, &rt),
        only(&rt, &kt)
    )
}

pub fn compare(sc: &Scenario, reads: &[Read], k: &SideResult, r: &SideResult) -> Vec<Mismatch> {
    let mut v = Vec::new();
    if !r.setup_errors.is_empty() || !k.setup_errors.is_empty() {
        v.push(Mismatch {
            key: CheckKey::Setup,
            class: "setup".into(),
            detail: r
                .setup_errors
                .iter()
                .chain(k.setup_errors.iter())
                .map(|e| format!("{e}\n"))
                .collect(),
        });
    }
    let header = sc.config_header_lines();
    for i in 0..sc.commands.len() {
        let (ka, ra) = (k.accepted[i], r.accepted[i]);
        if ka != ra {
            let dir = if ka {
                "kernel-accepts"
            } else {
                "kernel-rejects"
            };
            v.push(Mismatch {
                key: CheckKey::Accept(i),
                class: accept_class(dir, &sc.commands[i], &k.messages[i], &r.messages[i], ka),
                detail: format!(
                    "command (config line {}): ip {}\nkernel: {}\nruta:   {}\n",
                    header + i + 1,
                    sc.commands[i],
                    if ka {
                        "accepted".to_string()
                    } else {
                        format!("rejected ({})", k.messages[i])
                    },
                    if ra {
                        "accepted".to_string()
                    } else {
                        format!("rejected ({})", r.messages[i])
                    },
                ),
            });
        }
    }
    for (i, read) in reads.iter().enumerate() {
        let (ko, ro) = (&k.reads[i], &r.reads[i]);
        if !outputs_equal(ko, ro) {
            v.push(Mismatch {
                key: CheckKey::Read(i),
                class: read_class(read, ko, ro),
                detail: describe_read_mismatch(read, ko, ro),
            });
        }
    }
    v
}

// ------------------------------------------------------------------ diff

/// A line diff (LCS): ` ` common, `-` kernel only, `+` ruta only; runs of
/// more than 3 common lines away from a change are elided.
pub fn line_diff(a: &str, b: &str) -> String {
    let la: Vec<&str> = a.lines().collect();
    let lb: Vec<&str> = b.lines().collect();
    let (n, m) = (la.len(), lb.len());
    let mut lcs = vec![vec![0u32; m + 1]; n + 1];
    for i in (0..n).rev() {
        for j in (0..m).rev() {
            lcs[i][j] = if la[i] == lb[j] {
                lcs[i + 1][j + 1] + 1
            } else {
                lcs[i + 1][j].max(lcs[i][j + 1])
            };
        }
    }
    let mut ops: Vec<(char, &str)> = Vec::new();
    let (mut i, mut j) = (0, 0);
    while i < n || j < m {
        if i < n && j < m && la[i] == lb[j] {
            ops.push((' ', la[i]));
            i += 1;
            j += 1;
        } else if i < n && (j == m || lcs[i + 1][j] >= lcs[i][j + 1]) {
            ops.push(('-', la[i]));
            i += 1;
        } else {
            ops.push(('+', lb[j]));
            j += 1;
        }
    }
    const CONTEXT: usize = 3;
    let changed: Vec<usize> = (0..ops.len()).filter(|&x| ops[x].0 != ' ').collect();
    let near = |x: usize| changed.iter().any(|&c| c.abs_diff(x) <= CONTEXT);
    let mut out = String::new();
    let mut skipped = 0;
    for (x, (op, line)) in ops.iter().enumerate() {
        if *op == ' ' && !near(x) {
            skipped += 1;
            continue;
        }
        if skipped > 0 {
            out.push_str(&format!("@@ {skipped} identical lines @@\n"));
            skipped = 0;
        }
        out.push_str(&format!("{op}{line}\n"));
    }
    if skipped > 0 {
        out.push_str(&format!("@@ {skipped} identical lines @@\n"));
    }
    out
}

// ------------------------------------------------------------------ running

/// Everything about one scenario run.
pub struct Run {
    pub reads: Vec<Read>,
    pub kernel: SideResult,
    pub ruta: SideResult,
    pub mismatches: Vec<Mismatch>,
}

pub fn run_scenario(bin: &Path, sc: &Scenario) -> Result<Run, String> {
    let reads = sc.all_reads();
    let kernel = run_kernel(sc, &reads)?;
    let ruta = run_ruta(bin, sc, &reads, true)?;
    let mismatches = compare(sc, &reads, &kernel, &ruta);
    Ok(Run {
        reads,
        kernel,
        ruta,
        mismatches,
    })
}

// ------------------------------------------------------------------ shrinking

/// What a shrink keeps failing.
#[derive(Clone, Debug)]
pub enum Target {
    /// The command at this index is accepted by one side only.
    Accept(usize),
    /// This read differs.
    Read(Read),
    /// ruta's setup (links) fails: nothing to shrink.
    Setup,
}

pub fn target_of(run: &Run, m: &Mismatch) -> Target {
    match &m.key {
        CheckKey::Setup => Target::Setup,
        CheckKey::Accept(i) => Target::Accept(*i),
        CheckKey::Read(i) => Target::Read(run.reads[*i].clone()),
    }
}

fn class_matches(wanted: Option<&str>, class: &str) -> bool {
    match wanted {
        Some(w) => w == class,
        None => true,
    }
}

/// Does the mismatch still show (of the same class, when one is given)?
/// Returns its description when it does. `strict`: and it is the first
/// divergence (no earlier accept/reject difference; for a read, both sides
/// accepted the same commands).
pub fn check_target(
    bin: &Path,
    sc: &Scenario,
    target: &Target,
    class: Option<&str>,
    strict: bool,
) -> Result<Option<String>, String> {
    match target {
        Target::Setup => Ok(None),
        Target::Accept(i) => {
            let k = run_kernel(sc, &[])?;
            let r = run_ruta(bin, sc, &[], true)?;
            let ms = compare(sc, &[], &k, &r);
            if strict
                && ms
                    .iter()
                    .any(|m| matches!(m.key, CheckKey::Accept(j) if j < *i))
            {
                return Ok(None);
            }
            Ok(ms
                .into_iter()
                .find(|m| m.key == CheckKey::Accept(*i) && class_matches(class, &m.class))
                .map(|m| m.detail))
        }
        Target::Read(read) => {
            let reads = [read.clone()];
            let k = run_kernel(sc, &reads)?;
            let r = run_ruta(bin, sc, &reads, strict)?;
            if strict && (k.accepted != r.accepted || !r.setup_errors.is_empty()) {
                return Ok(None);
            }
            let (ko, ro) = (&k.reads[0], &r.reads[0]);
            if outputs_equal(ko, ro) || !class_matches(class, &read_class(read, ko, ro)) {
                Ok(None)
            } else {
                Ok(Some(describe_read_mismatch(read, ko, ro)))
            }
        }
    }
}

/// A minimized mismatch.
pub struct Shrunk {
    pub scenario: Scenario,
    pub target: Target,
    pub detail: String,
    pub runs: usize,
    pub complete: bool,
    /// No earlier accept/reject difference in the minimized scenario.
    pub first_divergence: bool,
}

/// Delta debugging: drops chunks of commands (halves, quarters, ... single
/// commands) while the mismatch persists; keeps only the failing read; drops
/// unused links. Stops refining at `deadline`.
pub fn shrink(
    bin: &Path,
    sc: &Scenario,
    target: &Target,
    class: Option<&str>,
    deadline: Instant,
) -> Shrunk {
    let mut runs = 0;
    let mut cur = sc.clone();
    let mut target = target.clone();
    cur.queries = match &target {
        Target::Read(r) => vec![r.ruta.clone()],
        _ => Vec::new(),
    };
    // Strict first (the mismatch is the first divergence), else lax.
    let mut strict = true;
    let first = match check_target(bin, &cur, &target, class, true).ok().flatten() {
        Some(d) => Some(d),
        None => {
            strict = false;
            runs += 1;
            check_target(bin, &cur, &target, class, false)
                .ok()
                .flatten()
        }
    };
    runs += 1;
    let still = |s: &Scenario, t: &Target, runs: &mut usize| -> Option<String> {
        *runs += 1;
        check_target(bin, s, t, class, strict).ok().flatten()
    };
    let mut detail = match first {
        Some(d) => d,
        None => {
            // Not reproducible on its own (should not happen: the harness is
            // deterministic); report the scenario as it is.
            return Shrunk {
                scenario: sc.clone(),
                target,
                detail: "(the mismatch did not reproduce in isolation)\n".into(),
                runs,
                complete: false,
                first_divergence: false,
            };
        }
    };
    let mut complete = true;
    // Commands after an accept-mismatch cannot matter.
    if let Target::Accept(i) = target {
        if i + 1 < cur.commands.len() {
            let mut c = cur.clone();
            c.commands.truncate(i + 1);
            if let Some(d) = still(&c, &target, &mut runs) {
                cur = c;
                detail = d;
            }
        }
    }
    let mut chunk = (cur.commands.len() / 2).max(1);
    loop {
        let mut progress = false;
        let mut start = 0;
        while start < cur.commands.len() {
            if Instant::now() > deadline {
                complete = false;
                break;
            }
            let end = (start + chunk).min(cur.commands.len());
            let pinned = match target {
                Target::Accept(i) => Some(i),
                _ => None,
            };
            if pinned.is_some_and(|p| p >= start && p < end) {
                start = end;
                continue;
            }
            let mut c = cur.clone();
            c.commands.drain(start..end);
            let t = match target {
                Target::Accept(i) if i >= end => Target::Accept(i - (end - start)),
                ref t => t.clone(),
            };
            if let Some(d) = still(&c, &t, &mut runs) {
                cur = c;
                target = t;
                detail = d;
                progress = true;
            } else {
                start = end;
            }
        }
        if !complete {
            break;
        }
        if chunk == 1 {
            if !progress {
                break;
            }
        } else {
            chunk = (chunk / 2).max(1);
        }
    }
    // Unused links.
    if complete {
        for l in cur.links.clone() {
            if cur.links.len() <= 1 {
                break;
            }
            let used = cur
                .commands
                .iter()
                .chain(cur.queries.iter())
                .any(|c| c.split_whitespace().any(|w| w == l));
            if used {
                continue;
            }
            let mut c = cur.clone();
            c.links.retain(|x| *x != l);
            if let Some(d) = still(&c, &target, &mut runs) {
                cur = c;
                detail = d;
            }
        }
    }
    Shrunk {
        scenario: cur,
        target,
        detail,
        runs,
        complete,
        first_divergence: strict,
    }
}

/// The report of one minimized mismatch, ready to paste.
pub fn report(
    n: usize,
    total: usize,
    sh: &Shrunk,
    original: &Scenario,
    replay_file: Option<&Path>,
) -> String {
    let mut s = String::new();
    let what = match &sh.target {
        Target::Accept(_) => "accept/reject differs",
        Target::Read(r) if r.ruta.contains("route get") => "route get output differs",
        Target::Read(_) => "dump output differs",
        Target::Setup => "ruta setup failed",
    };
    s.push_str(&format!(
        "==================== mismatch {n}/{total}: {what}\nscenario: {} — minimized from {} commands to {} ({} runs{})\n",
        original.title,
        original.commands.len(),
        sh.scenario.commands.len(),
        sh.runs,
        if sh.complete { "" } else { ", shrinking stopped early" }
    ));
    if let Some(f) = replay_file {
        s.push_str(&format!(
            "replay:   RUTA_ORACLE_REPLAY={} cargo test -p ruta-testbeds --test oracle -- --nocapture\n",
            f.display()
        ));
    }
    s.push_str(
        "ruta config (the kernel side runs the same commands with `ip -n NS`, each link a veth pair X/Xp, both up):\n",
    );
    for line in sh
        .scenario
        .ruta_config()
        .lines()
        .filter(|l| !l.starts_with('#'))
    {
        s.push_str(&format!("  {line}\n"));
    }
    if !sh.first_divergence {
        s.push_str(
            "note:     an earlier command is also accepted by one side only (another class)\n",
        );
    }
    s.push_str(&sh.detail);
    s
}

// ------------------------------------------------------------------ settings

fn env_u64(name: &str) -> Option<u64> {
    let v = std::env::var(name).ok()?;
    let v = v.trim();
    if let Some(h) = v.strip_prefix("0x") {
        u64::from_str_radix(h, 16).ok()
    } else {
        v.parse().ok()
    }
}

/// Knobs from the environment.
#[derive(Clone, Debug)]
pub struct Settings {
    pub scenarios: u64,
    pub seed: u64,
    pub threads: usize,
    pub max_failures: usize,
    pub shrink_budget: Duration,
}

pub const DEFAULT_SEED: u64 = 0x005e_ed0f_4a7e;

impl Settings {
    pub fn from_env() -> Settings {
        Settings {
            scenarios: env_u64("RUTA_ORACLE_SCENARIOS").unwrap_or(300),
            seed: env_u64("RUTA_ORACLE_SEED").unwrap_or(DEFAULT_SEED),
            threads: env_u64("RUTA_ORACLE_THREADS").unwrap_or(2).max(1) as usize,
            max_failures: env_u64("RUTA_ORACLE_MAX_FAILURES").unwrap_or(10).max(1) as usize,
            shrink_budget: Duration::from_secs(env_u64("RUTA_ORACLE_SHRINK_SECS").unwrap_or(90)),
        }
    }
}

/// Runs `f` over `items` on `threads` threads, keeping the order of results.
pub fn par_map<T: Sync, R: Send>(
    items: &[T],
    threads: usize,
    f: impl Fn(&T) -> R + Sync,
) -> Vec<R> {
    let next = AtomicUsize::new(0);
    let results: std::sync::Mutex<HashMap<usize, R>> = std::sync::Mutex::new(HashMap::new());
    std::thread::scope(|s| {
        for _ in 0..threads.min(items.len()).max(1) {
            s.spawn(|| loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                if i >= items.len() {
                    break;
                }
                let r = f(&items[i]);
                results.lock().unwrap().insert(i, r);
            });
        }
    });
    let mut m = results.into_inner().unwrap();
    (0..items.len())
        .map(|i| m.remove(&i).expect("every item ran"))
        .collect()
}
