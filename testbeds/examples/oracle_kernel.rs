//! Shows what the kernel answers for generated oracle scenarios (no ruta).
//!
//!   cargo run -p ruta-testbeds --example oracle_kernel -- SEED INDEX      one scenario, in full
//!   cargo run -p ruta-testbeds --example oracle_kernel -- SEED 0 COUNT    statistics over COUNT scenarios
//!   cargo run -p ruta-testbeds --example oracle_kernel -- FILE            a replay file, in full
//!
//! Root only (it creates `ruta-oracle-*` network namespaces).

use std::collections::BTreeMap;

use ruta_testbeds::gen::generate;
use ruta_testbeds::oracle::run_kernel;
use ruta_testbeds::{unavailable_reason, Scenario};

fn num(s: &str) -> u64 {
    match s.strip_prefix("0x") {
        Some(h) => u64::from_str_radix(h, 16).expect("hex number"),
        None => s.parse().expect("number"),
    }
}

fn main() {
    if let Some(r) = unavailable_reason() {
        eprintln!("cannot run: {r}");
        std::process::exit(1);
    }
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.len() == 1 {
        let text = std::fs::read_to_string(&args[0]).expect("readable file");
        let sc = Scenario::parse_replay(&args[0], &text).expect("replay file");
        show(&sc);
        return;
    }
    let seed = args
        .first()
        .map(|s| num(s))
        .unwrap_or(ruta_testbeds::oracle::DEFAULT_SEED);
    let index = args.get(1).map(|s| num(s)).unwrap_or(0);
    match args.get(2).map(|s| num(s)) {
        None => show(&generate(seed, index)),
        Some(count) => stats(seed, index, count),
    }
}

fn show(sc: &Scenario) {
    let reads = sc.all_reads();
    let k = run_kernel(sc, &reads).expect("kernel run");
    println!("# {}\n# links: {}", sc.title, sc.links.join(" "));
    for (i, c) in sc.commands.iter().enumerate() {
        if k.accepted[i] {
            println!("ip {c}");
        } else {
            println!("ip {c}    # REJECTED {}", k.messages[i]);
        }
    }
    for (r, o) in reads.iter().zip(k.reads.iter()) {
        println!("\n$ ip {}   [exit {}]", r.kernel, o.code);
        print!("{}", o.stdout);
        if !o.stderr.is_empty() {
            print!("[stderr] {}", o.stderr);
        }
    }
}

fn stats(seed: u64, first: u64, count: u64) {
    let mut errs: BTreeMap<String, usize> = BTreeMap::new();
    let mut read_errs: BTreeMap<String, usize> = BTreeMap::new();
    let (mut cmds, mut rejected, mut reads_n, mut read_err) = (0, 0, 0, 0);
    for i in first..first + count {
        let sc = generate(seed, i);
        let reads = sc.all_reads();
        let k = run_kernel(&sc, &reads).expect("kernel run");
        for (j, c) in sc.commands.iter().enumerate() {
            cmds += 1;
            if !k.accepted[j] {
                rejected += 1;
                let verb: Vec<&str> = c.split_whitespace().take(2).collect();
                *errs
                    .entry(format!("{} :: {}", verb.join(" "), k.messages[j]))
                    .or_default() += 1;
            }
        }
        for (r, o) in reads.iter().zip(k.reads.iter()) {
            reads_n += 1;
            if o.code != 0 {
                read_err += 1;
                let verb: Vec<&str> = r
                    .kernel
                    .split_whitespace()
                    .filter(|w| *w != "-j" && *w != "-4")
                    .take(2)
                    .collect();
                *read_errs
                    .entry(format!("{} :: {}", verb.join(" "), o.stderr_first_line()))
                    .or_default() += 1;
            }
        }
    }
    println!(
        "{cmds} commands, {rejected} rejected; {reads_n} reads, {read_err} with an error exit"
    );
    println!("\ncommand errors:");
    for (e, n) in &errs {
        println!("{n:6}  {e}");
    }
    println!("\nread errors:");
    for (e, n) in &read_errs {
        println!("{n:6}  {e}");
    }
}
