//! seedperf: forwarding rate and CPU per packet of the seed's router, the kernel and
//! ruta side by side on the same topology, in the same run (see `seed::perf`).
//!
//!   seedperf [--runs N] [--count PACKETS] [--mode kernel|ruta|both] [--config FILE]
//!
//! Root only. Each run builds a fresh topology per mode (kernel first, then ruta),
//! measures the door and the forwarding blasts of every scenario, prints a table and
//! the ruta/kernel ratios; after several runs, the spread. Exit codes: 0 every run
//! measured, 1 a run failed, 3 usage or environment.

use std::process::ExitCode;
use std::time::{Duration, Instant};

use ruta_testbeds::netns;
use ruta_testbeds::seed::cleanup;
use ruta_testbeds::seed::perf::{self, Params, Row, SCENARIOS};
use ruta_testbeds::seed::run::{self, Mode};

const USAGE: &str =
    "usage: seedperf [--runs N] [--count PACKETS] [--mode kernel|ruta|both] [--config FILE]\n";

fn machine() -> String {
    let cpu = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|c| {
            c.lines()
                .find(|l| l.starts_with("model name"))
                .and_then(|l| l.split(':').nth(1))
                .map(|s| s.trim().to_string())
        })
        .unwrap_or_default();
    let n = std::thread::available_parallelism().map_or(0, |n| n.get());
    let kernel = std::fs::read_to_string("/proc/sys/kernel/osrelease").unwrap_or_default();
    let load = std::fs::read_to_string("/proc/loadavg").unwrap_or_default();
    format!(
        "{n} CPUs ({cpu}), Linux {}, load average {}",
        kernel.trim(),
        load.split_whitespace()
            .take(3)
            .collect::<Vec<_>>()
            .join(" ")
    )
}

fn main() -> ExitCode {
    let mut runs = 1usize;
    let mut params = Params::default();
    let mut modes = vec![Mode::Kernel, Mode::Ruta];
    let mut config = run::default_config();
    let args: Vec<String> = std::env::args().skip(1).collect();
    let mut i = 0;
    while i < args.len() {
        let val = args.get(i + 1).map(String::as_str);
        match (args[i].as_str(), val) {
            ("--runs", Some(v)) => match v.parse() {
                Ok(n) if (1..=10).contains(&n) => runs = n,
                _ => {
                    eprint!("seedperf: --runs takes 1..10\n{USAGE}");
                    return ExitCode::from(3);
                }
            },
            ("--count", Some(v)) => match v.parse() {
                Ok(n) if (1000..=5_000_000).contains(&n) => params.count = n,
                _ => {
                    eprint!("seedperf: --count takes 1000..5000000\n{USAGE}");
                    return ExitCode::from(3);
                }
            },
            ("--mode", Some(v)) => {
                modes = match v {
                    "kernel" => vec![Mode::Kernel],
                    "ruta" => vec![Mode::Ruta],
                    "both" => vec![Mode::Kernel, Mode::Ruta],
                    _ => {
                        eprint!("{USAGE}");
                        return ExitCode::from(3);
                    }
                }
            }
            ("--config", Some(v)) => config = v.into(),
            ("-h" | "--help", _) => {
                print!("{USAGE}");
                return ExitCode::SUCCESS;
            }
            (other, _) => {
                eprintln!("seedperf: bad argument {other:?}");
                eprint!("{USAGE}");
                return ExitCode::from(3);
            }
        }
        i += 2;
    }
    if let Some(r) = netns::unavailable_reason() {
        eprintln!("seedperf: cannot run: {r}");
        return ExitCode::from(3);
    }
    // The daemon's control socket: our own, so a daemon elsewhere on the machine
    // (default /run/ruta/ruta.sock) is neither disturbed nor asked.
    std::env::set_var(
        "RUTA_SOCKET",
        std::env::temp_dir().join(format!("ruta-seedperf-{}.sock", std::process::id())),
    );
    cleanup::install_signal_teardown();
    let text = match run::load_config(&config) {
        Ok(t) => t,
        Err(e) => {
            eprintln!("seedperf: {e}");
            return ExitCode::from(3);
        }
    };
    println!("== seedperf: {}", config.display());
    println!("machine: {}", machine());
    println!(
        "blast: {} packets per scenario (at most {:.0}s), AF_PACKET sendmmsg from the desktop;",
        params.count,
        params.limit.as_secs_f64()
    );
    println!(
        "  UDP 198.18.99.10 -> 198.19.0.10:{} via table main, T1 line (eth1), SNAT to {};",
        perf::DPORT,
        perf::SNAT_SRC
    );
    println!("  counted as rx_packets of the T1 provider's eth0 (dropped there at tc ingress)");
    let mut all: Vec<Vec<Row>> = Vec::new();
    let mut failed = false;
    for run_no in 1..=runs {
        let t0 = Instant::now();
        let mut samples = Vec::new();
        let mut ok = true;
        for m in &modes {
            match perf::run_mode(*m, &text, &params, &mut |l| eprintln!("{l}")) {
                Ok(s) => samples.extend(s),
                Err(e) => {
                    println!("run {run_no}: {m} mode FAILED: {e}");
                    ok = false;
                    break;
                }
            }
        }
        let rows = perf::rows(&samples);
        println!(
            "\n== run {run_no} ({:.1}s, load average after: {})",
            t0.elapsed().as_secs_f64(),
            std::fs::read_to_string("/proc/loadavg")
                .unwrap_or_default()
                .split_whitespace()
                .next()
                .unwrap_or("?")
        );
        print!("{}", perf::table(&rows));
        for (si, fwd, cpu) in perf::ratios(&rows) {
            println!(
                "ruta/kernel {}: forwarded pps x{}, router CPU per packet x{}",
                SCENARIOS[si].name,
                fwd.map_or("-".into(), |x| format!("{x:.2}")),
                cpu.map_or("-".into(), |x| format!("{x:.2}"))
            );
        }
        failed |= !ok;
        all.push(rows);
        std::thread::sleep(Duration::from_millis(200));
    }
    if runs > 1 {
        println!("\n== spread over {runs} runs (min-max)");
        let f = |v: Option<(f64, f64)>, p: usize| {
            v.map_or("-".into(), |(a, b)| format!("{a:.p$}-{b:.p$}"))
        };
        for m in &modes {
            for (si, sc) in SCENARIOS.iter().enumerate() {
                let rs: Vec<&Row> = all
                    .iter()
                    .flatten()
                    .filter(|r| r.mode == *m && r.scenario == si)
                    .collect();
                println!(
                    "{m} {}: forwarded kpps {}, loss % {}, router ns/pkt {}, machine ns/pkt {}",
                    sc.name,
                    f(
                        perf::spread(rs.iter().map(|r| Some(r.forwarded_pps / 1e3))),
                        0
                    ),
                    f(perf::spread(rs.iter().map(|r| Some(r.loss_pct))), 1),
                    f(perf::spread(rs.iter().map(|r| r.router_ns)), 0),
                    f(perf::spread(rs.iter().map(|r| r.machine_ns)), 0),
                );
            }
        }
        for (si, sc) in SCENARIOS.iter().enumerate() {
            let q: Vec<_> = all
                .iter()
                .flat_map(|rows| perf::ratios(rows))
                .filter(|(s, _, _)| *s == si)
                .collect();
            println!(
                "ruta/kernel {}: forwarded pps x{}, router CPU per packet x{}",
                sc.name,
                f(perf::spread(q.iter().map(|x| x.1)), 2),
                f(perf::spread(q.iter().map(|x| x.2)), 2),
            );
        }
    }
    if failed {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    }
}
