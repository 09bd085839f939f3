//! One mode of the seed testbed, from building the namespaces to the verdicts,
//! and the report texts.
//!
//! Kernel mode applies the [`super::plan`] of the config with the real tools in
//! masq-gw; ruta mode starts `ruta run -c CONFIG` there. Both then play the same
//! flows against the same servers while the links are captured. The topology
//! is built fresh for each mode and torn down when the mode ends, whatever
//! happens.

use std::fmt;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use super::plan::{kernel_plan, Step};
use super::ruta::{self, Daemon};
use super::topo::{self, Role, Topology};
use super::traffic::{self, Captures, Servers};
use super::wire::{self, Client, FlowResult, Link};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    Kernel,
    Ruta,
}

impl fmt::Display for Mode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Mode::Kernel => "kernel",
            Mode::Ruta => "ruta",
        })
    }
}

/// What a mode produced.
#[derive(Debug)]
pub struct ModeReport {
    pub mode: Mode,
    /// Set when the mode could not run its flows at all.
    pub error: Option<String>,
    /// Is the error "ruta run is not available" (the mode did not run)?
    pub unavailable: bool,
    pub flows: Vec<FlowResult>,
    /// Other checks (daemon readiness, clean exit, no tc leftovers).
    pub checks: Vec<(String, Result<(), String>)>,
    pub seconds: f64,
    /// The namespace prefix of the run (`ruta-sb-<pid>-<n>-`), "" if none was built.
    pub run_id: String,
}

impl ModeReport {
    fn failed(mode: Mode, e: String, t0: Instant) -> ModeReport {
        ModeReport {
            mode,
            run_id: String::new(),
            unavailable: e.starts_with(ruta::NOT_AVAILABLE),
            error: Some(e),
            flows: Vec::new(),
            checks: Vec::new(),
            seconds: t0.elapsed().as_secs_f64(),
        }
    }

    /// Did the mode run and every expectation hold?
    pub fn ok(&self) -> bool {
        self.error.is_none()
            && !self.flows.is_empty()
            && self.flows.iter().all(|f| f.ok())
            && self.checks.iter().all(|(_, r)| r.is_ok())
    }
}

/// Where ruta mode's config and log go: `<target>/seedbed/`.
pub fn work_dir() -> PathBuf {
    crate::oracle::target_dir().join("seedbed")
}

/// The default config: the workspace's `examples/seed.conf`.
pub fn default_config() -> PathBuf {
    crate::oracle::workspace_root()
        .join("examples")
        .join("seed.conf")
}

/// Reads a seed config and translates it to the test addresses.
pub fn load_config(path: &Path) -> Result<String, String> {
    let text =
        std::fs::read_to_string(path).map_err(|e| format!("reading {}: {e}", path.display()))?;
    super::addr::translate_config(&text).map_err(|e| format!("{}: {e}", path.display()))
}

/// Runs one mode on the translated config `config`. `progress` gets a line per stage.
pub fn run_mode(mode: Mode, config: &str, progress: &mut dyn FnMut(&str)) -> ModeReport {
    let t0 = Instant::now();
    // ruta mode needs the binary and its daemon before any namespace exists.
    let bin = if mode == Mode::Ruta {
        match ruta::find_ruta() {
            Ok(b) => match ruta::run_available(&b) {
                Ok(()) => Some(b),
                Err(e) => return ModeReport::failed(mode, e, t0),
            },
            Err(e) => return ModeReport::failed(mode, format!("{}: {e}", ruta::NOT_AVAILABLE), t0),
        }
    } else {
        None
    };
    let plan = match kernel_plan(config) {
        Ok(p) => p,
        Err(e) => return ModeReport::failed(mode, format!("config: {e}"), t0),
    };
    progress(&format!("[{mode}] building the namespaces"));
    let topo = match Topology::build(mode == Mode::Kernel) {
        Ok(t) => t,
        Err(e) => return ModeReport::failed(mode, format!("building the testbed: {e}"), t0),
    };
    let mut checks = Vec::new();
    let mut daemon = None;
    let mut files = Vec::new();
    match mode {
        Mode::Kernel => {
            progress(&format!(
                "[{mode}] applying {} config lines with ip/iptables in {}",
                plan.len(),
                topo.name(Role::Gw)
            ));
            if let Err(e) = apply_plan(&topo, &plan) {
                return fail(&topo, mode, e, t0);
            }
        }
        Mode::Ruta => {
            let Some(bin) = bin else {
                return fail(&topo, mode, "no ruta binary".into(), t0);
            };
            let dir = work_dir();
            if let Err(e) = std::fs::create_dir_all(&dir) {
                return fail(&topo, mode, format!("creating {}: {e}", dir.display()), t0);
            }
            let cfg = dir.join(format!("{}ruta.conf", topo.run_id));
            let log = dir.join(format!("{}ruta.log", topo.run_id));
            if let Err(e) = std::fs::write(&cfg, config) {
                return fail(&topo, mode, format!("writing {}: {e}", cfg.display()), t0);
            }
            files.push(cfg.clone());
            progress(&format!(
                "[{mode}] starting {} run -c {} in {}",
                bin.display(),
                cfg.display(),
                topo.name(Role::Gw)
            ));
            let mut d = match Daemon::start(&bin, topo.name(Role::Gw), &cfg, &log) {
                Ok(d) => d,
                Err(e) => return fail(&topo, mode, e, t0),
            };
            let desk = topo.name(Role::Desktop).to_string();
            let ready = ruta::wait_ready(
                &mut d,
                &mut |d| ready_probe(d, &desk),
                Duration::from_secs(15),
            );
            match ready {
                Ok(how) => {
                    progress(&format!("[{mode}] ready: {how}"));
                    checks.push(("ruta run becomes ready".to_string(), Ok(())));
                }
                Err(e) => {
                    let kept = format!(
                        "{e}\n(config and log kept: {}, {})",
                        cfg.display(),
                        log.display()
                    );
                    return fail(&topo, mode, kept, t0);
                }
            }
            files.push(log);
            daemon = Some(d);
        }
    }
    let flows = match play(&topo) {
        Ok(f) => f,
        Err(e) => return fail(&topo, mode, e, t0),
    };
    if let Some(d) = daemon {
        checks.push((
            "ruta exits 0 on SIGTERM".into(),
            d.stop(Duration::from_secs(5)),
        ));
        checks.push((
            "ruta left no qdisc/filter".into(),
            ruta::check_clean(topo.ns(Role::Gw)),
        ));
    }
    let ok = flows.iter().all(|f| f.ok()) && checks.iter().all(|(_, r)| r.is_ok());
    if ok {
        for f in files {
            let _ = std::fs::remove_file(f);
        }
    }
    let run_id = topo.run_id.clone();
    drop(topo);
    ModeReport {
        mode,
        error: None,
        unavailable: false,
        flows,
        checks,
        seconds: t0.elapsed().as_secs_f64(),
        run_id,
    }
}

fn fail(topo: &Topology, mode: Mode, e: String, t0: Instant) -> ModeReport {
    ModeReport {
        run_id: topo.run_id.clone(),
        ..ModeReport::failed(mode, e, t0)
    }
}

/// Readiness: `ruta stats` answers, or masq-gw answers a ping from the desktop.
pub fn ready_probe(d: &Daemon, desktop_ns: &str) -> Option<String> {
    if d.stats_answer() {
        return Some("`ruta stats` answers".into());
    }
    let pinged = crate::netns::run_in(desktop_ns, || {
        Ok(super::sys::ping(
            topo::DESKTOP,
            topo::GW_INSIDE,
            0x5300,
            1,
            Duration::from_millis(300),
        )
        .is_ok())
    });
    (pinged == Ok(true)).then(|| format!("{} answers ping from the desktop", topo::GW_INSIDE))
}

/// Applies a kernel plan in masq-gw with the real tools (kernel mode).
pub fn apply_plan(topo: &Topology, plan: &[super::plan::PlanLine]) -> Result<(), String> {
    let gw = topo.ns(Role::Gw);
    for l in plan {
        for s in &l.steps {
            let out = match s {
                Step::Ip(a) => gw.ip(&a.iter().map(String::as_str).collect::<Vec<_>>()),
                Step::Iptables(a) => {
                    let mut v = vec!["-w"];
                    v.extend(a.iter().map(String::as_str));
                    gw.exec("iptables", &v)
                }
                Step::Sysctl(kv) => gw.exec("sysctl", &["-w", kv]),
            };
            if !out.ok() && !l.tolerate.is_some_and(|t| out.stderr.contains(t)) {
                return Err(format!(
                    "config line {}: `{s}` failed in {}: {}",
                    l.line,
                    gw.name(),
                    out.stderr.trim()
                ));
            }
        }
    }
    Ok(())
}

/// Servers up, captures on, every flow played, captures off, verdicts.
fn play(topo: &Topology) -> Result<Vec<FlowResult>, String> {
    use std::net::SocketAddrV4;
    let far = |p| SocketAddrV4::new(topo::FAR, p);
    let _far = Servers::start(
        topo.name(Role::Internet),
        "far",
        &[far(80), far(443), far(22)],
        &[far(53)],
    )?;
    let web = |a| SocketAddrV4::new(a, 80);
    let _isolde = Servers::start(
        topo.name(Role::Isolde),
        "isolde",
        &[
            web(topo::ISOLDE_DSL),
            web(topo::ISOLDE_T1),
            web(topo::ISOLDE_WEB),
        ],
        &[],
    )?;
    let caps = Captures::start(&[
        (topo.name(Role::T1).to_string(), "eth0", Link::T1),
        (topo.name(Role::Dsl).to_string(), "eth0", Link::Dsl),
        (topo.name(Role::Branch).to_string(), "eth0", Link::Branch),
    ])?;
    let flows = wire::seed_flows();
    let desk = topo.name(Role::Desktop).to_string();
    let inet = topo.name(Role::Internet).to_string();
    let answers = traffic::play_all(&flows, |f| match f.client {
        Client::Desktop => desk.clone(),
        Client::Outside => inet.clone(),
    });
    std::thread::sleep(Duration::from_millis(200));
    let pkts = caps.finish()?;
    Ok(flows
        .iter()
        .zip(answers)
        .map(|(f, a)| wire::evaluate(f, a, &pkts))
        .collect())
}

/// The report section of a mode.
pub fn mode_text(r: &ModeReport) -> String {
    let mut s = format!("== {} mode ({:.1}s)\n", r.mode, r.seconds);
    if let Some(e) = &r.error {
        s.push_str(&format!("FAIL: {e}\n"));
        return s;
    }
    for f in &r.flows {
        s.push_str(&wire::flow_line(f));
        s.push('\n');
    }
    for (name, res) in &r.checks {
        match res {
            Ok(()) => s.push_str(&format!("{name:<31} OK\n")),
            Err(e) => s.push_str(&format!("{name:<31} FAIL: {e}\n")),
        }
    }
    let bad = r.flows.iter().filter(|f| !f.ok()).count();
    s.push_str(&format!(
        "{} mode: {} flows, {} OK, {} FAIL{}\n",
        r.mode,
        r.flows.len(),
        r.flows.len() - bad,
        bad,
        if r.ok() { "" } else { " -- FAILED" }
    ));
    s
}

/// Flow-by-flow comparison of two modes that ran; (text, all the same?).
pub fn compare_text(a: &ModeReport, b: &ModeReport) -> (String, bool) {
    let mut s = format!(
        "== comparison {} vs {} (NAT-chosen ports shown as *)\n",
        a.mode, b.mode
    );
    let mut same = true;
    for fa in &a.flows {
        let Some(fb) = b.flows.iter().find(|f| f.flow.name == fa.flow.name) else {
            same = false;
            s.push_str(&format!(
                "{:<31} DIFF: missing in {}\n",
                fa.flow.name, b.mode
            ));
            continue;
        };
        let (sa, sb) = (wire::signature(fa), wire::signature(fb));
        if sa == sb {
            s.push_str(&format!("{:<31} same  {sa}\n", fa.flow.name));
        } else {
            same = false;
            s.push_str(&format!(
                "{:<31} DIFF  {}: {sa}\n{:<31}       {}: {sb}\n",
                fa.flow.name, a.mode, "", b.mode
            ));
        }
    }
    (s, same)
}

/// The start-of-run description: topology, the translation, and what kernel mode
/// runs for each config line (substitutions marked).
pub fn plan_text(config_path: &Path, config: &str) -> String {
    let mut s = String::from("== seed testbed\n");
    for l in topo::describe() {
        s.push_str(&format!("  {l}\n"));
    }
    s.push_str(&format!(
        "== config: {} translated to test addresses:\n",
        config_path.display()
    ));
    for (seed, test) in super::addr::SEED_TO_TEST {
        s.push_str(&format!("  {seed:<17} -> {test}\n"));
    }
    s.push_str("== kernel mode runs in masq-gw (plus ip_forward=1, rp_filter=0):\n");
    match kernel_plan(config) {
        Ok(plan) => {
            for l in &plan {
                let note = match (&l.note, l.tolerate) {
                    (Some(n), _) => Some(n.clone()),
                    (None, Some(t)) => {
                        Some(format!("the error \"{t}\" of an empty table is ignored"))
                    }
                    (None, None) => None,
                };
                match &note {
                    None => s.push_str(&format!(
                        "  {:>3}: {}\n",
                        l.line,
                        l.steps
                            .iter()
                            .map(|x| x.to_string())
                            .collect::<Vec<_>>()
                            .join("; ")
                    )),
                    Some(n) => {
                        s.push_str(&format!("  {:>3}: {}   [{n}]\n", l.line, l.text));
                        for st in &l.steps {
                            s.push_str(&format!("         -> {st}\n"));
                        }
                    }
                }
            }
        }
        Err(e) => s.push_str(&format!("  cannot plan: {e}\n")),
    }
    s
}
