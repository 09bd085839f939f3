//! End-to-end tests of the config language on the seed's own examples (in-process, with
//! the seed's addresses: nothing touches a network), and of kernel behaviours the oracle
//! testbed also checks against a live kernel.

use crate::file::{apply_text, Source};
use crate::ip::{ip, CmdError, IpOpts};
use crate::state::Router;

const SEED: &str = include_str!("../../../examples/seed.conf");

fn src() -> Source {
    Source {
        name: "test.conf".into(),
        dir: ".".into(),
    }
}

fn load(text: &str) -> Router {
    let mut rt = Router::new();
    apply_text(&mut rt, text, &src(), false).unwrap_or_else(|e| panic!("{e:?}"));
    rt
}

fn q(rt: &mut Router, cmd: &str) -> Result<String, CmdError> {
    let words: Vec<String> = cmd
        .strip_prefix("ip ")
        .expect("an ip command")
        .split_whitespace()
        .map(String::from)
        .collect();
    ip(rt, &words, &mut IpOpts::default())
}

fn show(rt: &mut Router, cmd: &str) -> String {
    q(rt, cmd).unwrap_or_else(|e| panic!("{cmd}: {e}"))
}

/// The interfaces and addresses of masq-gw, without the seed's routes.
const BASE: &str = "\
port eth0 af_packet
port eth1 af_packet
port eth3 af_packet
port eth4 af_packet
ip addr add 192.168.99.254/24 dev eth0
ip addr add 192.168.100.254/24 dev eth0
ip addr add 205.254.211.179/24 dev eth1
ip addr add 192.168.100.2/30 dev eth3
ip addr add 67.17.28.12/28 dev eth4
ip route add 192.168.98.0/24 via 192.168.99.1 dev eth0
ip route add 10.38.0.0/16 via 192.168.100.1 dev eth3
ip route add default via 205.254.211.254
";

#[test]
fn example_10_1_copy_main_into_table_4_through_show_output() {
    // The seed's loop: `ip route show table main | grep -Ev ^default | while read ROUTE;
    // do ip route add table 4 $ROUTE; done`, fed with ruta's own output.
    let mut rt = load(BASE);
    let main = show(&mut rt, "ip route show table main");
    let mut cfg = String::from(BASE);
    cfg.push_str("ip route flush table 4\n");
    for line in main.lines().filter(|l| !l.starts_with("default")) {
        cfg.push_str(&format!("ip route add table 4 {line}\n"));
    }
    cfg.push_str("ip route add table 4 default via 67.17.28.14\n");
    let mut rt = load(&cfg);
    let t4 = show(&mut rt, "ip route show table 4");
    let main_no_default: Vec<&str> = main.lines().filter(|l| !l.starts_with("default")).collect();
    let t4_lines: Vec<&str> = t4.lines().collect();
    assert_eq!(t4_lines[0], "default via 67.17.28.14 dev eth4 ");
    assert_eq!(
        &t4_lines[1..],
        &main_no_default[..],
        "table 4 is table main without default"
    );
    assert_eq!(t4_lines.len(), 8);
    // and the committed seed config holds the same table 4
    let mut seed = load(SEED);
    assert_eq!(show(&mut seed, "ip route show table 4"), t4);
}

#[test]
fn example_10_3_rule_show_prints_the_kernels_four_lines() {
    let mut rt = load(&format!("{BASE}ip rule add fwmark 4 table 4\n"));
    assert_eq!(
        show(&mut rt, "ip rule show"),
        "0:\tfrom all lookup local\n\
         32765:\tfrom all fwmark 0x4 lookup 4\n\
         32766:\tfrom all lookup main\n\
         32767:\tfrom all lookup default\n"
    );
    assert_eq!(
        show(&mut rt, "ip -j rule show"),
        "[{\"priority\":0,\"src\":\"all\",\"table\":\"local\"},\
         {\"priority\":32765,\"src\":\"all\",\"fwmark\":\"0x4\",\"table\":\"4\"},\
         {\"priority\":32766,\"src\":\"all\",\"table\":\"main\"},\
         {\"priority\":32767,\"src\":\"all\",\"table\":\"default\"}]\n"
    );
}

#[test]
fn seed_routes_marked_traffic_to_the_dsl_line() {
    let mut rt = load(SEED);
    // web traffic marked 4 by mangle (issue 4) leaves via the DSL provider on eth4
    assert_eq!(
        show(&mut rt, "ip route get 198.51.100.7 from 192.168.99.10 iif eth0 mark 4"),
        "198.51.100.7 from 192.168.99.10 via 67.17.28.14 dev eth4 table 4 mark 4 \n    cache iif eth0 \n"
    );
    // everything else via the T1 line on eth1
    assert_eq!(
        show(
            &mut rt,
            "ip route get 198.51.100.7 from 192.168.99.10 iif eth0"
        ),
        "198.51.100.7 from 192.168.99.10 via 205.254.211.254 dev eth1 \n    cache iif eth0 \n"
    );
    // the router's own traffic
    assert_eq!(
        show(&mut rt, "ip route get 10.38.1.1"),
        "10.38.1.1 via 192.168.100.1 dev eth3 src 192.168.100.2 uid 0 \n    cache \n"
    );
}

#[test]
fn example_10_4_route_nat_both_directions() {
    let mut rt = load(SEED);
    let local = show(&mut rt, "ip route show table local");
    let nat: Vec<&str> = local.lines().filter(|l| l.starts_with("nat")).collect();
    assert_eq!(
        nat,
        vec![
            "nat 67.17.28.10 via 192.168.100.10 scope host ",
            "nat 205.254.211.17 via 192.168.100.17 scope host ",
        ]
    );
    let rules = show(&mut rt, "ip rule show");
    assert!(
        rules.contains("\tfrom 192.168.100.10 lookup 4 map-to 67.17.28.10\n"),
        "{rules}"
    );
    assert!(
        rules.contains("\tfrom 192.168.100.17 lookup main map-to 205.254.211.17\n"),
        "{rules}"
    );
    // inbound to the DSL address: mapped to isolde's .10 and sent out eth0
    assert_eq!(
        show(&mut rt, "ip route get 67.17.28.10 from 64.70.12.210 iif eth4"),
        "nat 67.17.28.10 from 64.70.12.210 via 192.168.100.10 dev eth0 \n    cache <dst-nat> iif eth4 \n"
    );
    // isolde answering from .10 leaves by table 4, the DSL line, with the source mapped
    assert_eq!(
        show(&mut rt, "ip route get 64.70.12.210 from 192.168.100.10 iif eth0"),
        "64.70.12.210 from 192.168.100.10 via 67.17.28.14 dev eth4 table 4 \n    cache <src-nat> iif eth0 \n"
    );
    // and from .17 by main, the T1 line
    assert_eq!(
        show(&mut rt, "ip route get 64.70.12.210 from 192.168.100.17 iif eth0"),
        "64.70.12.210 from 192.168.100.17 via 205.254.211.254 dev eth1 \n    cache <src-nat> iif eth0 \n"
    );
}

#[test]
fn errors_name_file_and_line_and_change_nothing() {
    let mut rt = Router::new();
    let before = format!(
        "{:?}",
        rt.tables
            .in_dump_order()
            .iter()
            .map(|t| t.len())
            .collect::<Vec<_>>()
    );
    let text =
        "ip link add eth0 type dummy\nip link set eth0 up\nip addr add 10.0.0.1/24 dev eth0\n\
                ip route add 10.38.0.0/16 via 10.0.0.2\nip route add 10.38.0.0/16 via 10.0.0.3\n";
    let errs = apply_text(&mut rt, text, &src(), false).unwrap_err();
    assert_eq!(errs.len(), 1);
    assert_eq!(
        errs[0].to_string(),
        "test.conf:5: route 10.38.0.0/16 already exists in table main"
    );
    let after = format!(
        "{:?}",
        rt.tables
            .in_dump_order()
            .iter()
            .map(|t| t.len())
            .collect::<Vec<_>>()
    );
    assert_eq!(before, after);
    assert!(rt.link_by_name("eth0").is_none(), "nothing applied");
    // --force applies what it can, like ip -force -batch
    apply_text(&mut rt, text, &src(), true).unwrap_err();
    assert!(rt.link_by_name("eth0").is_some());
}

#[test]
fn iptables_lines_and_save_text_apply_all_or_nothing() {
    let mut rt = Router::new();
    apply_text(
        &mut rt,
        "iptables -t nat -A POSTROUTING -o eth4 -j SNAT --to-source 67.17.28.12\n\
         *mangle\n:PREROUTING ACCEPT [0:0]\n-A PREROUTING -p tcp --dport 80 -j MARK --set-mark 4\nCOMMIT\n",
        &src(),
        false,
    )
    .unwrap();
    let save = rt.netfilter.save(None, false, "X");
    assert!(
        save.contains("-A POSTROUTING -o eth4 -j SNAT --to-source 67.17.28.12"),
        "{save}"
    );
    assert!(
        save.contains("-A PREROUTING -p tcp -m tcp --dport 80 -j MARK --set-xmark 0x4/0xffffffff"),
        "{save}"
    );
    // a bad iptables line: FILE:LINE and nothing applied, not even the good lines before it
    let before = rt.netfilter.clone();
    let e = apply_text(
        &mut rt,
        "iptables -A FORWARD -j ACCEPT\niptables -t nat -A PREROUTING -j SNAT --to-source 1.2.3.4\n",
        &src(),
        false,
    )
    .unwrap_err();
    assert_eq!(e[0].line, 2, "{}", e[0]);
    assert_eq!(rt.netfilter, before);
    // a table block without COMMIT
    let e = apply_text(
        &mut rt,
        "*nat\n-A POSTROUTING -j MASQUERADE\n",
        &src(),
        false,
    )
    .unwrap_err();
    assert!(e[0].msg.contains("no COMMIT"), "{}", e[0]);
    assert_eq!(rt.netfilter, before);
    let e = apply_text(&mut rt, "ip6tables -A FORWARD -j DROP\n", &src(), false).unwrap_err();
    assert!(e[0].msg.contains("IPv4 only"), "{}", e[0]);
    let e = apply_text(&mut rt, "bogus words\n", &src(), false).unwrap_err();
    assert_eq!(e[0].to_string(), "test.conf:1: unknown command \"bogus\"");
}

#[test]
fn fresh_router_is_a_fresh_namespace_with_lo_up() {
    let mut rt = Router::new();
    assert_eq!(
        show(&mut rt, "ip route show table all"),
        "local 127.0.0.0/8 dev lo table local proto kernel scope host src 127.0.0.1 \n\
         local 127.0.0.1 dev lo table local proto kernel scope host src 127.0.0.1 \n\
         broadcast 127.255.255.255 dev lo table local proto kernel scope link src 127.0.0.1 \n"
    );
    assert_eq!(show(&mut rt, "ip route show"), "");
    assert_eq!(show(&mut rt, "ip -j route show"), "[]\n");
    assert_eq!(
        q(&mut rt, "ip route get 198.51.100.1"),
        Err(CmdError::Rtnetlink("Network is unreachable"))
    );
}

#[test]
fn addresses_down_links_and_secondaries_as_the_kernel() {
    let mut rt = load(
        "ip link add v0 type dummy\n\
         ip addr add 198.18.1.1/24 dev v0\n",
    );
    // link down: only the local route exists
    let all = show(&mut rt, "ip route show table all");
    assert!(all
        .contains("local 198.18.1.1 dev v0 table local proto kernel scope host src 198.18.1.1 \n"));
    assert!(!all.contains("198.18.1.0/24"));
    let text = "ip link set v0 up\n\
                ip addr add 198.18.1.2/24 dev v0\n\
                ip addr add 198.18.2.1/31 dev v0\n\
                ip addr add 198.18.1.1/25 dev v0\n\
                ip route add 198.18.9.0/24 via 198.18.1.7\n";
    apply_text(&mut rt, text, &src(), false).unwrap();
    let all = show(&mut rt, "ip route show table all");
    assert!(
        all.contains(
            "local 198.18.1.2 dev v0 table local proto kernel scope host src 198.18.1.1 \n"
        ),
        "{all}"
    );
    assert!(
        !all.contains("broadcast 198.18.2.1"),
        "no broadcast for /31"
    );
    // deleting the primary takes its secondary along; 198.18.1.1 stays local via the /25
    apply_text(&mut rt, "ip addr del 198.18.1.1/24 dev v0\n", &src(), false).unwrap();
    let all = show(&mut rt, "ip route show table all");
    assert!(!all.contains("198.18.1.2"), "{all}");
    assert!(!all.contains("198.18.1.0/24"), "{all}");
    assert!(
        all.contains("198.18.9.0/24 via 198.18.1.7 dev v0 \n"),
        "{all}"
    );
    // link down removes every route through it but the local ones
    apply_text(&mut rt, "ip link set v0 down\n", &src(), false).unwrap();
    let all = show(&mut rt, "ip route show table all");
    assert!(!all.contains("198.18.9.0/24"), "{all}");
    assert!(!all.contains("broadcast 198.18.1.127"), "{all}");
    assert!(all.contains("local 198.18.2.1 dev v0"), "{all}");
}

#[test]
fn gateway_validation_walks_the_rules() {
    let base =
        "ip link add v0 type dummy\nip link set v0 up\nip addr add 198.18.99.254/24 dev v0\n";
    // a gateway outside every connected subnet is refused
    let mut rt = Router::new();
    let e = apply_text(
        &mut rt,
        &format!("{base}ip route add 198.18.5.0/24 via 198.18.7.1\n"),
        &src(),
        false,
    )
    .unwrap_err();
    assert!(e[0].msg.contains("invalid gateway"), "{}", e[0]);
    // a rule that answers unreachable first makes even a connected gateway invalid
    let e = apply_text(
        &mut rt,
        &format!(
            "{base}ip rule add unreachable pref 5\nip route add 198.18.5.0/24 via 198.18.99.1\n"
        ),
        &src(),
        false,
    )
    .unwrap_err();
    assert_eq!(e[0].line, 5);
    // onlink skips the lookup; a broadcast gateway is refused
    load(&format!(
        "{base}ip route add 198.18.5.0/24 via 198.51.100.9 dev v0 onlink\n"
    ));
    let e = apply_text(
        &mut rt,
        &format!("{base}ip route add 198.18.5.0/24 via 198.18.99.255\n"),
        &src(),
        false,
    )
    .unwrap_err();
    assert!(e[0].msg.contains("broadcast"));
}

#[test]
fn rule_add_table_0_allocates_a_free_table() {
    let mut rt = load("ip rule add lookup 0 pref 7\nip route add table 1 blackhole 198.18.0.0/15\nip rule add lookup 0 pref 8\n");
    let rules = show(&mut rt, "ip rule show");
    assert!(rules.contains("7:\tfrom all lookup 1\n"), "{rules}");
    assert!(rules.contains("8:\tfrom all lookup 2\n"), "{rules}");
}

#[test]
fn oif_lookup_failure_assumes_on_link() {
    let mut rt =
        load("ip link add v1 type dummy\nip link set v1 up\nip addr add 198.18.100.1/30 dev v1\n");
    assert_eq!(
        show(&mut rt, "ip route get 198.51.100.9 oif v1"),
        "198.51.100.9 dev v1 src 198.18.100.1 uid 0 \n    cache \n"
    );
}

mod no_panic {
    //! The same property as the cargo-fuzz target `config`, run by `cargo test`: any text
    //! (random words from the language's vocabulary, or arbitrary characters) is either
    //! applied or refused with errors, a refusal changes nothing, and queries never panic.
    use super::*;
    use proptest::prelude::*;

    const WORDS: &[&str] = &[
        "ip",
        "route",
        "rule",
        "addr",
        "link",
        "add",
        "del",
        "replace",
        "append",
        "prepend",
        "change",
        "flush",
        "show",
        "get",
        "table",
        "4",
        "main",
        "local",
        "default",
        "all",
        "via",
        "dev",
        "lo",
        "v0",
        "src",
        "metric",
        "proto",
        "scope",
        "link",
        "host",
        "onlink",
        "nexthop",
        "weight",
        "from",
        "to",
        "fwmark",
        "0x4/0xff",
        "iif",
        "oif",
        "pref",
        "goto",
        "nop",
        "blackhole",
        "unreachable",
        "prohibit",
        "throw",
        "nat",
        "map-to",
        "suppress_prefixlength",
        "ipproto",
        "tcp",
        "sport",
        "dport",
        "80-90",
        "not",
        "tos",
        "0x10",
        "198.18.0.0/15",
        "198.18.1.1",
        "198.18.1.0/24",
        "10/8",
        "0/0",
        "1.2.3.4/33",
        "255.255.255.255",
        "type",
        "dummy",
        "set",
        "up",
        "down",
        "mtu",
        "9000",
        "port",
        "af_packet",
        "tun",
        "sysctl",
        "net.ipv4.ip_forward=0",
        "rt_table",
        "dsl",
        "\\",
        "#",
        "\"",
        "broadcast",
        "+",
        "32767",
        "0",
        "4294967295",
        "cache",
        "local",
        "unicast",
    ];

    fn line() -> impl Strategy<Value = String> {
        prop::collection::vec(prop::sample::select(WORDS), 0..12).prop_map(|w| w.join(" "))
    }

    fn check(text: &str) {
        let mut rt = Router::new();
        let before = crate::render::route_show(&rt, &Default::default(), false);
        if apply_text(&mut rt, text, &src(), false).is_err() {
            assert_eq!(
                before,
                crate::render::route_show(&rt, &Default::default(), false)
            );
        }
        let mut forced = Router::new();
        let _ = apply_text(&mut forced, text, &src(), true);
        for qy in [
            "ip rule show",
            "ip -j route show table all",
            "ip route get 198.18.1.1 from 198.18.2.2 iif v0 mark 4",
            "ip route get 198.18.1.1 oif v0",
            "ip route get fibmatch 198.18.1.1",
        ] {
            let _ = q(&mut forced, qy);
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(400))]
        #[test]
        fn vocabulary(lines in prop::collection::vec(line(), 1..30)) {
            let text = format!("ip link add v0 type dummy\nip link set v0 up\nip addr add 198.18.1.1/24 dev v0\n{}", lines.join("\n"));
            check(&text);
        }

        #[test]
        fn arbitrary(text in "\\PC{0,300}") {
            check(&text);
        }
    }
}

#[test]
fn sysctls_decide_input_routes() {
    let base = "port eth0 af_packet\nport eth1 af_packet\n\
                ip addr add 198.18.99.254/24 dev eth0\nip addr add 198.51.100.179/24 dev eth1\n\
                ip route add default via 198.51.100.254\n";
    let get = "ip route get 198.19.0.7 from 203.0.113.5 iif eth0";
    // rp_filter off (ruta's default): forwarded
    let mut rt = load(base);
    assert!(
        show(&mut rt, get).starts_with("198.19.0.7 from 203.0.113.5 via 198.51.100.254 dev eth1 ")
    );
    // strict rp_filter: the way back to 203.0.113.5 is eth1, not eth0
    let mut rt = load(&format!("{base}sysctl -w net.ipv4.conf.eth0.rp_filter=1\n"));
    assert_eq!(
        q(&mut rt, get),
        Err(CmdError::Rtnetlink("Invalid cross-device link"))
    );
    // loose rp_filter: any way back will do
    let mut rt = load(&format!("{base}sysctl net.ipv4.conf.all.rp_filter=2\n"));
    assert!(q(&mut rt, get).is_ok());
    // forwarding off: the kernel's EHOSTUNREACH
    let mut rt = load(&format!("{base}sysctl net.ipv4.ip_forward=0\n"));
    assert_eq!(
        q(&mut rt, get),
        Err(CmdError::Rtnetlink("No route to host"))
    );
    // unknown keys are refused, not ignored
    let mut rt = Router::new();
    assert!(apply_text(&mut rt, "sysctl net.ipv4.tcp_syncookies=1\n", &src(), false).is_err());
}
