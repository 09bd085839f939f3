//! The kernel oracle: the same `ip` commands applied to a fresh network
//! namespace and to ruta must be accepted/rejected alike and give byte-identical
//! `ip rule show`, `ip route show` and `ip route get` answers.
//!
//! Root only (network namespaces); as another user every test prints
//! `skipping: ...` and passes. See docs/TESTING.md for the knobs:
//! RUTA_ORACLE_SCENARIOS, RUTA_ORACLE_SEED, RUTA_ORACLE_THREADS,
//! RUTA_ORACLE_REPLAY, RUTA_ORACLE_MAX_FAILURES, RUTA_ORACLE_SHRINK_SECS, RUTA_BIN.

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::time::Instant;

use ruta_testbeds::gen::generate;
use ruta_testbeds::netns;
use ruta_testbeds::oracle::{
    compare, find_ruta, kernel_namespace, par_map, report, run_kernel, run_ruta, run_scenario,
    shrink, skeleton, target_dir, target_of, CheckKey, Run, Settings, Shrunk, Target,
};
use ruta_testbeds::{Read, Scenario};

macro_rules! require_netns {
    () => {
        if let Some(reason) = netns::unavailable_reason() {
            eprintln!("skipping: {reason}");
            return;
        }
    };
}

fn ruta_bin() -> PathBuf {
    match find_ruta() {
        Ok(b) => {
            let age = std::fs::metadata(&b)
                .and_then(|m| m.modified())
                .ok()
                .and_then(|t| t.elapsed().ok())
                .map(|d| format!("built {}s ago", d.as_secs()))
                .unwrap_or_default();
            eprintln!("oracle: ruta binary {} ({age})", b.display());
            b
        }
        Err(e) => panic!("{e}"),
    }
}

fn failures_dir() -> PathBuf {
    target_dir().join("oracle-failures")
}

fn write_failure(name: &str, sc: &Scenario, comment: &str) -> Option<PathBuf> {
    let dir = failures_dir();
    std::fs::create_dir_all(&dir).ok()?;
    let p = dir.join(name);
    std::fs::write(&p, sc.to_replay(comment)).ok()?;
    Some(p)
}

fn replay(bin: &Path, path: &str) {
    // cargo runs tests in the package directory; accept workspace-relative paths too.
    let mut p = PathBuf::from(path);
    if !p.exists() && p.is_relative() {
        let alt = ruta_testbeds::oracle::workspace_root().join(&p);
        if alt.exists() {
            p = alt;
        }
    }
    let text =
        std::fs::read_to_string(&p).unwrap_or_else(|e| panic!("reading {}: {e}", p.display()));
    let sc = Scenario::parse_replay(path, &text).unwrap_or_else(|e| panic!("{e}"));
    eprintln!(
        "oracle: replaying {path}: {} links, {} commands, {} queries",
        sc.links.len(),
        sc.commands.len(),
        sc.queries.len()
    );
    let run = run_scenario(bin, &sc).unwrap_or_else(|e| panic!("harness error: {e}"));
    for (i, c) in sc.commands.iter().enumerate() {
        eprintln!(
            "  [{}|{}] ip {c}{}",
            if run.kernel.accepted[i] {
                "k:ok "
            } else {
                "k:ERR"
            },
            if run.ruta.accepted[i] {
                "r:ok "
            } else {
                "r:ERR"
            },
            if run.kernel.accepted[i] {
                String::new()
            } else {
                format!("   # kernel {}", run.kernel.messages[i])
            }
        );
    }
    if run.mismatches.is_empty() {
        eprintln!(
            "oracle: kernel and ruta agree on all {} checks",
            sc.commands.len() + run.reads.len()
        );
        return;
    }
    for m in &run.mismatches {
        eprintln!("----\n{}", m.detail);
    }
    panic!("{} mismatches replaying {path}", run.mismatches.len());
}

/// One class of mismatch: how often it occurred, and the instance to minimize.
struct Class {
    name: String,
    accept: bool,
    count: usize,
    scenarios: usize,
    /// (scenario index, target, commands in that scenario, clean?)
    best: (usize, Target, usize, bool),
}

/// Groups the mismatches by class; picks the classes worth minimizing, the most
/// frequent first, alternating accept/reject and output differences. The
/// instance minimized is preferably one from a scenario where both sides
/// accepted the same commands (elsewhere an output difference is often just a
/// consequence), and a short one.
fn pick_candidates(runs: &[(usize, &Run)], scenarios: &[Scenario], max: usize) -> Vec<Class> {
    let mut classes: HashMap<String, Class> = HashMap::new();
    for &(i, run) in runs {
        let first_accept = run.mismatches.iter().find_map(|m| match m.key {
            CheckKey::Setup => Some(0),
            CheckKey::Accept(j) => Some(j),
            CheckKey::Read(_) => None,
        });
        let mut seen_here = HashSet::new();
        for m in &run.mismatches {
            // the first divergence of its scenario?
            let clean = match m.key {
                CheckKey::Setup => true,
                CheckKey::Accept(j) => first_accept == Some(j),
                CheckKey::Read(_) => first_accept.is_none(),
            };
            let accept = !matches!(m.key, CheckKey::Read(_));
            let len = scenarios[i].commands.len();
            let c = classes.entry(m.class.clone()).or_insert_with(|| Class {
                name: m.class.clone(),
                accept,
                count: 0,
                scenarios: 0,
                best: (i, target_of(run, m), len, clean),
            });
            c.count += 1;
            if seen_here.insert(m.class.clone()) {
                c.scenarios += 1;
            }
            let better = (clean && !c.best.3) || (clean == c.best.3 && len < c.best.2);
            if better {
                c.best = (i, target_of(run, m), len, clean);
            }
        }
    }
    let mut acc: Vec<Class> = Vec::new();
    let mut out: Vec<Class> = Vec::new();
    for c in classes.into_values() {
        if c.accept {
            acc.push(c);
        } else {
            out.push(c);
        }
    }
    let order = |v: &mut Vec<Class>| {
        v.sort_by(|a, b| {
            b.best
                .3
                .cmp(&a.best.3)
                .then(b.scenarios.cmp(&a.scenarios))
                .then(a.name.cmp(&b.name))
        })
    };
    order(&mut acc);
    order(&mut out);
    let mut picked = Vec::new();
    let (mut a, mut o) = (acc.into_iter(), out.into_iter());
    while picked.len() < max {
        let (x, y) = (a.next(), o.next());
        if x.is_none() && y.is_none() {
            break;
        }
        picked.extend(x);
        if picked.len() < max {
            picked.extend(y);
        }
    }
    picked
}

#[test]
fn random_scenarios_match_the_kernel() {
    require_netns!();
    let bin = ruta_bin();
    if let Ok(path) = std::env::var("RUTA_ORACLE_REPLAY") {
        replay(&bin, &path);
        return;
    }
    let st = Settings::from_env();
    eprintln!(
        "oracle: seed {:#x}, {} scenarios, {} threads (reproduce: RUTA_ORACLE_SEED={:#x} RUTA_ORACLE_SCENARIOS={})",
        st.seed, st.scenarios, st.threads, st.seed, st.scenarios
    );
    let started = Instant::now();
    if let Ok(entries) = std::fs::read_dir(failures_dir()) {
        for e in entries.flatten() {
            if e.file_name().to_string_lossy().starts_with("scenario-") {
                let _ = std::fs::remove_file(e.path());
            }
        }
    }
    let scenarios: Vec<Scenario> = (0..st.scenarios).map(|i| generate(st.seed, i)).collect();
    let results = par_map(&scenarios, st.threads, |sc| run_scenario(&bin, sc));
    let mut runs = Vec::new();
    for (i, r) in results.iter().enumerate() {
        match r {
            Ok(run) => runs.push((i, run)),
            Err(e) => panic!("harness error in {}: {e}", scenarios[i].title),
        }
    }
    let checks: usize = runs
        .iter()
        .map(|(i, r)| scenarios[*i].commands.len() + r.reads.len())
        .sum();
    let kernel_rejects: usize = runs
        .iter()
        .map(|(_, r)| r.kernel.accepted.iter().filter(|a| !**a).count())
        .sum();
    let commands: usize = scenarios.iter().map(|s| s.commands.len()).sum();
    let route_get_errors: usize = runs
        .iter()
        .map(|(_, r)| r.kernel.reads.iter().filter(|o| o.code != 0).count())
        .sum();
    eprintln!(
        "oracle: ran {} scenarios in {:.1}s: {checks} checks, {commands} commands ({kernel_rejects} rejected by the kernel), {route_get_errors} reads with an error exit",
        scenarios.len(),
        started.elapsed().as_secs_f64()
    );
    let failing: Vec<(usize, &Run)> = runs
        .iter()
        .filter(|(_, r)| !r.mismatches.is_empty())
        .map(|&(i, r)| (i, r))
        .collect();
    if failing.is_empty() {
        eprintln!("oracle: kernel and ruta agree on every check");
        return;
    }

    // Counts per class, for the summary.
    let mut classes: HashMap<String, usize> = HashMap::new();
    let (mut n_acc, mut n_read, mut n_setup) = (0, 0, 0);
    for (_, r) in &failing {
        for m in &r.mismatches {
            *classes.entry(m.class.clone()).or_default() += 1;
            match m.key {
                CheckKey::Setup => n_setup += 1,
                CheckKey::Accept(_) => n_acc += 1,
                CheckKey::Read(_) => n_read += 1,
            }
        }
    }

    let candidates = pick_candidates(&failing, &scenarios, st.max_failures + st.max_failures / 2);
    let deadline = Instant::now() + st.shrink_budget;
    eprintln!(
        "oracle: {} of {} scenarios differ ({n_acc} accept/reject, {n_read} outputs, {n_setup} setup; {} classes); minimizing {} classes",
        failing.len(),
        scenarios.len(),
        classes.len(),
        candidates.len()
    );
    let shrunk: Vec<Shrunk> = par_map(&candidates, st.threads, |c| {
        shrink(
            &bin,
            &scenarios[c.best.0],
            &c.best.1,
            Some(&c.name),
            deadline,
        )
    });

    // Distinct after minimization.
    let mut seen = HashSet::new();
    let mut reports = Vec::new();
    for (c, sh) in candidates.iter().zip(shrunk.iter()) {
        let key: Vec<String> = sh
            .scenario
            .commands
            .iter()
            .map(|c| skeleton(c))
            .chain(std::iter::once(match &sh.target {
                Target::Read(r) => skeleton(&r.ruta),
                Target::Accept(j) => format!("accept {j}"),
                Target::Setup => "setup".into(),
            }))
            .collect();
        if reports.len() >= st.max_failures || !seen.insert(key) {
            continue;
        }
        reports.push((c, sh));
    }
    let total = reports.len();
    for (n, (c, sh)) in reports.iter().enumerate() {
        let i = c.best.0;
        let name = format!("scenario-{:02}-index-{i}.txt", n + 1);
        let mut minimized = sh.scenario.clone();
        minimized.title = format!("{} (minimized)", scenarios[i].title);
        let file = write_failure(&name, &minimized, &format!("class: {}", c.name));
        let r = report(n + 1, total, sh, &scenarios[i], file.as_deref());
        let r = format!(
            "{}class:    {} ({} times in {} scenarios)\n{}",
            &r[..r.find('\n').map(|x| x + 1).unwrap_or(0)],
            c.name,
            c.count,
            c.scenarios,
            &r[r.find('\n').map(|x| x + 1).unwrap_or(0)..]
        );
        eprintln!("{r}");
    }
    let mut top: Vec<(&String, &usize)> = classes.iter().collect();
    top.sort_by(|a, b| b.1.cmp(a.1).then(a.0.cmp(b.0)));
    eprintln!("==================== most frequent mismatch classes (count: class)");
    for (c, n) in top.iter().take(40) {
        eprintln!("{n:5}: {c}");
    }
    panic!(
        "{} of {} scenarios differ from the kernel (seed {:#x}); {} minimized mismatches above, replay files in {}",
        failing.len(),
        scenarios.len(),
        st.seed,
        total,
        failures_dir().display()
    );
}

/// Example 10.1 and 10.3 of the seed document, translated to test addresses:
/// 192.168.0.0/16 -> 198.18.0.0/16, 10.38.0.0/16 -> 198.19.0.0/16,
/// 205.254.211.0/24 -> 198.51.100.0/24, 67.17.28.0/28 -> 203.0.113.0/28.
#[test]
fn seed_examples_10_1_and_10_3() {
    require_netns!();
    let bin = ruta_bin();
    let links: Vec<String> = ["eth0", "eth1", "eth3", "eth4"]
        .iter()
        .map(|s| s.to_string())
        .collect();
    let base: Vec<String> = [
        "addr add 198.18.100.2/30 dev eth3",
        "addr add 203.0.113.12/28 dev eth4",
        "addr add 198.51.100.179/24 dev eth1",
        "addr add 198.18.100.254/24 dev eth0",
        "addr add 198.18.99.254/24 dev eth0",
        "route add 198.18.98.0/24 via 198.18.99.1",
        "route add 198.19.0.0/16 via 198.18.100.1 dev eth3",
        "route add default via 198.51.100.254",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    let sc1 = Scenario {
        title: "seed example 10.1 (stage 1)".into(),
        links: links.clone(),
        commands: base.clone(),
        queries: Vec::new(),
    };
    let show_main = Read::same("route show table main");
    let k1 = run_kernel(&sc1, std::slice::from_ref(&show_main)).expect("kernel side");
    assert!(
        k1.accepted.iter().all(|a| *a),
        "harness bug: the kernel rejected part of example 10.1: {:?}",
        k1.messages
    );
    let r1 = run_ruta(&bin, &sc1, std::slice::from_ref(&show_main), true).expect("ruta side");
    let mut problems = Vec::new();
    for m in compare(&sc1, std::slice::from_ref(&show_main), &k1, &r1) {
        problems.push(format!("[10.1 stage 1]\n{}", m.detail));
    }

    // Each side copies its own `ip route show table main` into table 4.
    let copy = |out: &str| -> Vec<String> {
        let mut v = base.clone();
        for line in out.lines() {
            let line = line.trim();
            if line.is_empty() || line.starts_with("default") {
                continue;
            }
            v.push(format!("route add table 4 {line}"));
        }
        v.push("route add table 4 default via 203.0.113.14".into());
        // Example 10.3
        v.push("rule add fwmark 4 table 4".into());
        v
    };
    let kc = copy(&k1.reads[0].stdout);
    let rc = copy(&r1.reads[0].stdout);
    let queries: Vec<String> = [
        "route get 203.0.113.200",
        "route get 203.0.113.200 mark 4",
        "-j route get 203.0.113.200 mark 4",
        "route get 198.19.5.5 mark 4",
        "route get 198.18.98.7 mark 4",
        "route get 198.18.100.1 mark 4",
        "route get 198.18.100.9 mark 4",
        "route get 198.18.100.9",
        "route get 203.0.113.200 from 198.18.99.7 iif eth0",
        "route get 203.0.113.200 from 198.18.99.7 iif eth0 mark 4",
        "-j route get 203.0.113.200 from 198.18.99.7 iif eth0 mark 4 ipproto tcp dport 80",
        "route get fibmatch 203.0.113.200 mark 4",
        "route get 203.0.113.12 mark 4",
        "route get 198.51.100.255 mark 4",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    let mk = |title: &str, commands: Vec<String>| Scenario {
        title: title.into(),
        links: links.clone(),
        commands,
        queries: queries.clone(),
    };
    let sk = mk("seed examples 10.1 + 10.3 (kernel's copy)", kc);
    let sr = mk("seed examples 10.1 + 10.3 (ruta's copy)", rc);
    let reads = sk.all_reads();
    let table4 = reads
        .iter()
        .position(|r| r.ruta == "route show table 4")
        .expect("table 4 is shown");
    let k2 = run_kernel(&sk, &reads).expect("kernel side");
    assert!(
        k2.accepted.iter().all(|a| *a),
        "harness bug: the kernel rejected part of examples 10.1/10.3: {:?}\n{:?}",
        sk.commands,
        k2.messages
    );
    let r2 = run_ruta(&bin, &sr, &reads, true).expect("ruta side");
    eprintln!(
        "oracle: example 10.3, kernel `ip rule show`:\n{}",
        k2.reads[0].stdout
    );
    eprintln!(
        "oracle: example 10.1, kernel `ip route show table 4`:\n{}",
        k2.reads[table4].stdout
    );
    if sk.commands == sr.commands {
        for m in compare(&sk, &reads, &k2, &r2) {
            problems.push(format!("[10.1 + 10.3]\n{}", m.detail));
        }
    } else {
        // Stage 1 differed already; still compare the answers.
        let mut r2b = r2.clone();
        r2b.accepted = k2.accepted.clone();
        for m in compare(&sk, &reads, &k2, &r2b) {
            problems.push(format!(
                "[10.1 + 10.3, ruta fed its own table copy]\n{}",
                m.detail
            ));
        }
        for (i, ok) in r2.accepted.iter().enumerate() {
            if !ok {
                problems.push(format!(
                    "[10.1 + 10.3] ruta rejected its own copy line: ip {} ({})",
                    sr.commands[i], r2.messages[i]
                ));
            }
        }
    }
    if !problems.is_empty() {
        let mut sc = sk.clone();
        sc.title = "seed examples 10.1 + 10.3".into();
        let file = write_failure("example-10.1-10.3.txt", &sc, "seed examples 10.1 + 10.3");
        for p in &problems {
            eprintln!("{p}");
        }
        panic!(
            "{} mismatches in seed examples 10.1/10.3{}",
            problems.len(),
            file.map(|f| format!(" (replay file {})", f.display()))
                .unwrap_or_default()
        );
    }
}

/// The kernel side alone: the same scenario twice in two namespaces gives the
/// same answers (no timing effects), and the generator makes mostly valid
/// commands. Needs no ruta binary.
#[test]
fn kernel_side_is_deterministic() {
    require_netns!();
    let st = Settings::from_env();
    let idx: Vec<u64> = (0..6).map(|i| 1000 + i).collect();
    let res = par_map(&idx, st.threads, |&i| {
        let sc = generate(st.seed, i);
        let reads = sc.all_reads();
        let a = run_kernel(&sc, &reads).expect("kernel run");
        let b = run_kernel(&sc, &reads).expect("kernel run");
        (sc, reads, a, b)
    });
    let (mut cmds, mut rejected, mut reads_n, mut read_err) = (0, 0, 0, 0);
    for (sc, reads, a, b) in &res {
        assert_eq!(
            a.accepted, b.accepted,
            "{}: accept lists differ between two runs",
            sc.title
        );
        for (i, r) in reads.iter().enumerate() {
            assert_eq!(
                a.reads[i], b.reads[i],
                "{}: `ip {}` differs between two runs",
                sc.title, r.kernel
            );
        }
        cmds += sc.commands.len();
        rejected += a.accepted.iter().filter(|x| !**x).count();
        reads_n += reads.len();
        read_err += a.reads.iter().filter(|o| o.code != 0).count();
    }
    eprintln!("oracle: kernel alone: {cmds} commands, {rejected} rejected; {reads_n} reads, {read_err} with an error exit");
    assert!(
        rejected * 2 < cmds,
        "the generator makes too many invalid commands"
    );
}

/// Namespace guard: created, usable, gone after drop.
#[test]
fn netns_guard_cleans_up() {
    require_netns!();
    let name;
    {
        let ns = kernel_namespace(&["eth0".to_string()]).expect("namespace");
        name = ns.name().to_string();
        let out = ns.ip(&["-br", "link", "show", "eth0"]);
        assert!(out.ok() && out.stdout.contains("UP"), "{out:?}");
        for (f, v) in [
            ("/proc/sys/net/ipv4/ip_forward", "1"),
            ("/proc/sys/net/ipv4/conf/all/rp_filter", "0"),
            ("/proc/sys/net/ipv4/conf/eth0/rp_filter", "0"),
            ("/proc/sys/net/ipv6/conf/eth0/disable_ipv6", "1"),
        ] {
            let got = ns.exec("cat", &[f]);
            assert_eq!(got.stdout.trim(), v, "{f} in {name}");
        }
    }
    assert!(
        !netns::list_own_namespaces().contains(&name),
        "namespace {name} survived its guard"
    );
}
