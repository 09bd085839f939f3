//! The seed testbed end to end: masq-gw run by the kernel must send every flow
//! where the seed says; the same with ruta once `ruta run` exists.
//!
//! Root only (network namespaces); as another user every test prints
//! `skipping: ...` and passes. Each test builds its own `ruta-sb-<pid>-<n>-*`
//! namespaces and checks they are gone afterwards.

use ruta_testbeds::netns;
use ruta_testbeds::seed::run::{self, compare_text, mode_text, Mode, ModeReport};
use ruta_testbeds::seed::wire::Link;
use ruta_testbeds::seed::{ruta, topo};

macro_rules! require_netns {
    () => {
        if let Some(reason) = netns::unavailable_reason() {
            eprintln!("skipping: {reason}");
            return;
        }
    };
}

fn config() -> String {
    run::load_config(&run::default_config()).expect("examples/seed.conf translates")
}

fn run(mode: Mode, config: &str) -> ModeReport {
    let r = run::run_mode(mode, config, &mut |l| eprintln!("{l}"));
    println!("{}", mode_text(&r));
    if !r.run_id.is_empty() {
        let left = netns::list_namespaces_with_prefix(&r.run_id);
        assert!(left.is_empty(), "namespaces left behind: {left:?}");
    }
    r
}

#[test]
fn kernel_mode_sends_every_flow_where_the_seed_says() {
    require_netns!();
    let r = run(Mode::Kernel, &config());
    assert!(r.error.is_none(), "{:?}", r.error);
    assert_eq!(r.flows.len(), 10);
    for f in &r.flows {
        assert_eq!(f.out_links, [f.flow.expect], "{}", f.flow.name);
        assert_eq!(f.back_links, [f.flow.expect], "{}", f.flow.name);
        assert!(f.ok(), "{}: {:?}", f.flow.name, f.problems);
    }
    // the seed's words, spelled out
    let link = |name: &str| {
        r.flows
            .iter()
            .find(|f| f.flow.name == name)
            .unwrap()
            .out_links[0]
    };
    assert_eq!(link("web 80 from desktop"), Link::Dsl);
    assert_eq!(link("web 443 from desktop"), Link::Dsl);
    assert_eq!(link("ssh 22 from desktop"), Link::T1);
    assert_eq!(link("route NAT DSL 203.0.113.10:80"), Link::Dsl);
    assert_eq!(link("DNAT DSL 203.0.113.11:80"), Link::Dsl);
    assert!(r.ok());
}

/// Without section 4.3's `CONNMARK --restore-mark`, answers to the DSL-published
/// server take the T1 default route and T1's ingress filter drops them: the
/// testbed must see that and fail the flow (the seed's "This is the problem!").
#[test]
fn kernel_mode_shows_the_problem_without_the_connmark() {
    require_netns!();
    let broken: String = config()
        .lines()
        .filter(|l| !l.contains("CONNMARK --restore-mark"))
        .map(|l| format!("{l}\n"))
        .collect();
    let r = run(Mode::Kernel, &broken);
    assert!(r.error.is_none(), "{:?}", r.error);
    assert!(!r.ok());
    let f = r
        .flows
        .iter()
        .find(|f| f.flow.name == "DNAT DSL 203.0.113.11:80")
        .unwrap();
    assert!(!f.ok());
    assert!(!f.answer.ok, "T1 must have dropped the answer");
    assert_eq!(f.out_links, [Link::Dsl]);
    assert_eq!(f.back_links, [Link::T1]);
    // the rest is unaffected
    let bad: Vec<&str> = r
        .flows
        .iter()
        .filter(|f| !f.ok())
        .map(|f| f.flow.name)
        .collect();
    assert_eq!(bad, ["DNAT DSL 203.0.113.11:80"]);
}

#[test]
fn ruta_mode_sends_every_flow_where_the_kernel_does() {
    require_netns!();
    let bin = match ruta::find_ruta() {
        Ok(b) => b,
        Err(e) => {
            eprintln!("skipping: {}: {e}", ruta::NOT_AVAILABLE);
            return;
        }
    };
    if let Err(e) = ruta::run_available(&bin) {
        eprintln!("skipping: {e}");
        return;
    }
    let cfg = config();
    let r = run(Mode::Ruta, &cfg);
    assert!(r.error.is_none(), "{:?}", r.error);
    for (name, res) in &r.checks {
        assert!(res.is_ok(), "{name}: {res:?}");
    }
    for f in &r.flows {
        assert!(f.ok(), "{}: {:?}", f.flow.name, f.problems);
    }
    let k = run(Mode::Kernel, &cfg);
    let (text, same) = compare_text(&k, &r);
    println!("{text}");
    assert!(same, "kernel and ruta differ:\n{text}");
}

#[test]
fn the_topology_is_deleted_on_panic() {
    require_netns!();
    let mut prefix = String::new();
    let p = &mut prefix;
    let res = std::panic::catch_unwind(std::panic::AssertUnwindSafe(move || {
        let t = topo::Topology::build(false).expect("builds");
        *p = t.run_id.clone();
        assert_eq!(netns::list_namespaces_with_prefix(&t.run_id).len(), 8);
        panic!("on purpose");
    }));
    assert!(res.is_err());
    assert!(prefix.starts_with(topo::PREFIX));
    assert!(netns::list_namespaces_with_prefix(&prefix).is_empty());
}
