//! seedbed: the seed's router (examples/seed.conf) in network namespaces, run by
//! the kernel and by ruta, the same flows through both, compared.
//!
//!   seedbed [--mode kernel|ruta|both] [--config FILE]
//!
//! Root only. Exit codes: 0 every expectation held in every mode that ran,
//! 1 an expectation failed (or the modes differ), 2 a requested mode could not
//! run (e.g. `ruta run is not available in this build`), 3 usage or environment.

use std::path::PathBuf;
use std::process::ExitCode;

use ruta_testbeds::netns;
use ruta_testbeds::seed::cleanup;
use ruta_testbeds::seed::run::{self, compare_text, mode_text, Mode};

const USAGE: &str = "usage: seedbed [--mode kernel|ruta|both] [--config FILE]\n";

fn main() -> ExitCode {
    let mut modes = vec![Mode::Kernel, Mode::Ruta];
    let mut config = run::default_config();
    let args: Vec<String> = std::env::args().skip(1).collect();
    let mut i = 0;
    while i < args.len() {
        match args[i].as_str() {
            "--mode" | "-m" => {
                i += 1;
                modes = match args.get(i).map(String::as_str) {
                    Some("kernel") => vec![Mode::Kernel],
                    Some("ruta") => vec![Mode::Ruta],
                    Some("both") => vec![Mode::Kernel, Mode::Ruta],
                    _ => {
                        eprint!("{USAGE}");
                        return ExitCode::from(3);
                    }
                };
            }
            "--config" | "-c" => {
                i += 1;
                let Some(p) = args.get(i) else {
                    eprint!("{USAGE}");
                    return ExitCode::from(3);
                };
                config = PathBuf::from(p);
            }
            "-h" | "--help" => {
                print!("{USAGE}");
                return ExitCode::SUCCESS;
            }
            other => {
                eprintln!("seedbed: unknown argument {other:?}");
                eprint!("{USAGE}");
                return ExitCode::from(3);
            }
        }
        i += 1;
    }
    if let Some(r) = netns::unavailable_reason() {
        eprintln!("seedbed: cannot run: {r}");
        return ExitCode::from(3);
    }
    cleanup::install_signal_teardown();
    let text = match run::load_config(&config) {
        Ok(t) => t,
        Err(e) => {
            eprintln!("seedbed: {e}");
            return ExitCode::from(3);
        }
    };
    print!("{}", run::plan_text(&config, &text));
    println!(
        "== modes: {}",
        modes
            .iter()
            .map(|m| m.to_string())
            .collect::<Vec<_>>()
            .join(", ")
    );
    let mut reports = Vec::new();
    for m in &modes {
        let r = run::run_mode(*m, &text, &mut |l| eprintln!("{l}"));
        print!("{}", mode_text(&r));
        reports.push(r);
    }
    let mut code = 0u8;
    for r in &reports {
        if r.unavailable {
            code = code.max(2);
        } else if !r.ok() {
            code = code.max(1);
        }
    }
    let ran: Vec<_> = reports.iter().filter(|r| r.error.is_none()).collect();
    if ran.len() == 2 {
        let (t, same) = compare_text(ran[0], ran[1]);
        print!("{t}");
        if !same {
            code = code.max(1);
        }
    } else if reports.len() == 2 {
        println!("== comparison: skipped (only one mode ran)");
    }
    println!(
        "== result: {}",
        match code {
            0 => "OK",
            1 => "FAIL",
            _ => "FAIL (a mode could not run)",
        }
    );
    ExitCode::from(code)
}
