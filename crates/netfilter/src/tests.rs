//! Unit tests: commands, matches, targets, validation, evaluation, counters, restore.
//! Listing texts compared with the real iptables are in `tests_oracle`.

use crate::*;
use proptest::prelude::*;

fn ok(rs: &mut Ruleset, cmd: &str) -> Output {
    let w: Vec<&str> = cmd.split_whitespace().collect();
    match rs.apply(&w) {
        Ok(o) => o,
        Err(e) => panic!("iptables {cmd}: {e}"),
    }
}

/// Apply a failing command; check that the error text is `want` and nothing changed.
fn err(rs: &mut Ruleset, cmd: &str, want: &str) {
    let before = rs.clone();
    let w: Vec<&str> = cmd.split_whitespace().collect();
    match rs.apply(&w) {
        Ok(o) => panic!("iptables {cmd}: expected an error, got {o:?}"),
        Err(e) => assert_eq!(e.to_string(), want, "iptables {cmd}"),
    }
    assert_eq!(*rs, before, "a failed `iptables {cmd}` changed the ruleset");
}

fn text(rs: &mut Ruleset, cmd: &str) -> String {
    match ok(rs, cmd) {
        Output::Text(t) => t,
        o => panic!("{cmd}: {o:?}"),
    }
}

fn rules_s(rs: &mut Ruleset, t: &str, chain: &str) -> Vec<String> {
    text(rs, &format!("-t {t} -S {chain}"))
        .lines()
        .skip(1)
        .map(String::from)
        .collect()
}

const PORTS: &[&str] = &["eth0", "eth1", "eth4", "ppp0", "lo"];

fn meta() -> Meta {
    Meta {
        iif: Some(0),
        oif: Some(2),
        src: u32::from(std::net::Ipv4Addr::new(192, 168, 99, 7)),
        dst: u32::from(std::net::Ipv4Addr::new(67, 17, 28, 1)),
        proto: 6,
        sport: 40000,
        dport: 80,
        len: 100,
        ctstate: CtState::NEW,
        ..Meta::default()
    }
}

fn ip(s: &str) -> u32 {
    u32::from(s.parse::<std::net::Ipv4Addr>().unwrap())
}

// ---------------------------------------------------------------- commands

#[test]
fn append_insert_delete_replace() {
    let mut rs = Ruleset::new();
    ok(&mut rs, "-A INPUT -s 1.1.1.1 -j ACCEPT");
    ok(&mut rs, "-A INPUT -s 2.2.2.2 -j DROP");
    ok(&mut rs, "-I INPUT -s 3.3.3.3 -j ACCEPT");
    ok(&mut rs, "-I INPUT 3 -s 4.4.4.4 -j ACCEPT");
    assert_eq!(
        rules_s(&mut rs, "filter", "INPUT"),
        [
            "-A INPUT -s 3.3.3.3/32 -j ACCEPT",
            "-A INPUT -s 1.1.1.1/32 -j ACCEPT",
            "-A INPUT -s 4.4.4.4/32 -j ACCEPT",
            "-A INPUT -s 2.2.2.2/32 -j DROP"
        ]
    );
    ok(&mut rs, "-D INPUT 2");
    ok(&mut rs, "-D INPUT -s 2.2.2.2/32 -j DROP");
    ok(&mut rs, "-R INPUT 1 -s 5.5.5.5 -j DROP");
    assert_eq!(
        rules_s(&mut rs, "filter", "INPUT"),
        [
            "-A INPUT -s 5.5.5.5/32 -j DROP",
            "-A INPUT -s 4.4.4.4/32 -j ACCEPT"
        ]
    );
    ok(&mut rs, "-C INPUT -s 4.4.4.4 -j ACCEPT");
    err(
        &mut rs,
        "-C INPUT -s 4.4.4.4 -j DROP",
        "iptables: Bad rule (does a matching rule exist in that chain?).",
    );
    // Insert at N+1 appends, as iptables allows.
    ok(&mut rs, "-I INPUT 3 -j ACCEPT");
    assert_eq!(rules_s(&mut rs, "filter", "INPUT").len(), 3);
}

#[test]
fn chains_new_rename_flush_delete() {
    let mut rs = Ruleset::new();
    ok(&mut rs, "-N b");
    ok(&mut rs, "-N a");
    ok(&mut rs, "-A a -j ACCEPT");
    ok(&mut rs, "-A INPUT -j a");
    assert_eq!(
        text(&mut rs, "-S"),
        "-P INPUT ACCEPT\n-P FORWARD ACCEPT\n-P OUTPUT ACCEPT\n-N a\n-N b\n-A INPUT -j a\n-A a -j ACCEPT\n"
    );
    err(&mut rs, "-X a", "iptables: Too many links.");
    err(&mut rs, "-E a b", "iptables: File exists.");
    ok(&mut rs, "-E a c");
    assert_eq!(
        text(&mut rs, "-S"),
        "-P INPUT ACCEPT\n-P FORWARD ACCEPT\n-P OUTPUT ACCEPT\n-N b\n-N c\n-A INPUT -j c\n-A c -j ACCEPT\n"
    );
    ok(&mut rs, "-D INPUT 1");
    err(&mut rs, "-X c", "iptables: Directory not empty.");
    ok(&mut rs, "-F c");
    ok(&mut rs, "-X c");
    ok(&mut rs, "-X");
    assert_eq!(
        text(&mut rs, "-S"),
        "-P INPUT ACCEPT\n-P FORWARD ACCEPT\n-P OUTPUT ACCEPT\n"
    );
    ok(&mut rs, "-P FORWARD DROP");
    assert_eq!(
        rs.table(TableId::Filter).chains[1].policy,
        Some(Policy::Drop)
    );
    ok(&mut rs, "-A INPUT -j ACCEPT");
    ok(&mut rs, "-A OUTPUT -j ACCEPT");
    ok(&mut rs, "-F");
    assert!(rs
        .table(TableId::Filter)
        .chains
        .iter()
        .all(|c| c.rules.is_empty()));
}

/// Error texts as iptables 1.8.9 (legacy) printed them, captured with
/// `ip netns exec ruta-h-nfl iptables-legacy <words>` (first line of the message).
#[test]
fn error_texts_like_iptables() {
    let mut rs = Ruleset::new();
    ok(&mut rs, "-N web");
    ok(&mut rs, "-A web -j ACCEPT");
    ok(&mut rs, "-A INPUT -j web");
    for (cmd, want) in [
        ("-A INPUT -j FOO", "Couldn't load target `FOO':No such file or directory\n"),
        ("-A INPUT --foo", "unknown option \"--foo\""),
        ("-A INPUT foo", "Bad argument `foo'"),
        ("-A NOPE -j ACCEPT", "iptables: No chain/target/match by that name."),
        ("-X web", "iptables: Too many links."),
        ("-N web", "iptables: Chain already exists."),
        ("-D INPUT 99", "iptables: Index of deletion too big."),
        ("-D INPUT -j NOPE", "Couldn't load target `NOPE':No such file or directory\n"),
        (
            "-D INPUT -p tcp -j ACCEPT",
            "iptables: Bad rule (does a matching rule exist in that chain?).",
        ),
        ("-R INPUT 99 -j ACCEPT", "iptables: Index of replacement too big."),
        ("-I INPUT 99 -j ACCEPT", "iptables: Index of insertion too big."),
        ("-P web DROP", "iptables: Bad built-in chain name."),
        (
            "-P INPUT RETURN",
            "iptables: Bad policy name. Run `dmesg' for more information.",
        ),
        ("-E web INPUT", "iptables: File exists."),
        ("-E nope x", "iptables: No chain/target/match by that name."),
        ("-A INPUT -s 1.2.3.400 -j ACCEPT", "host/network `1.2.3.400' not found"),
        ("-A INPUT -p foo", "unknown protocol \"foo\" specified"),
        ("-A INPUT ! -p all", "rule would never match protocol"),
        ("-A INPUT --dport 80", "unknown option \"--dport\""),
        ("-A INPUT -p tcp --dport 99999", "invalid port/service `99999' specified"),
        ("-A INPUT -p tcp --dport 5:3", "invalid portrange (min > max)"),
        ("-A INPUT -m state --state FOO", "Bad state \"FOO\""),
        ("-A INPUT -m state --state SNAT", "Bad state \"SNAT\""),
        (
            "-A INPUT -p tcp -m multiport --dports 1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16",
            "too many ports specified",
        ),
        (
            "-A INPUT -m multiport --dports 1",
            "multiport needs `-p tcp', `-p udp', `-p udplite', `-p sctp' or `-p dccp'",
        ),
        ("-L nope", "iptables: No chain/target/match by that name."),
        ("-F nope", "iptables: No chain/target/match by that name."),
        ("-Z nope", "iptables: No chain/target/match by that name."),
        ("-A INPUT -i eth0 -i eth1", "multiple -i flags not allowed"),
        ("-A INPUT -s 1.2.3.4/33", "invalid mask `33' specified"),
        ("-A INPUT -m mark", "mark: option \"--mark\" must be specified\n"),
        ("-A INPUT -p icmp --icmp-type foo", "Unknown ICMP type `foo'"),
        ("-A INPUT -p tcp --dport", "option \"--dport\" requires an argument"),
        ("-N a b", "Bad argument `b'"),
        ("-A", "option \"-A\" requires an argument"),
        ("", "no command specified"),
        ("-L -n -v INPUT web", "Bad argument `INPUT'"),
        ("-N INPUT", "iptables: Chain already exists."),
        ("-N ACCEPT", "chain name may not clash with target name"),
        ("-N -x", "chain name not allowed to start with `-'"),
        ("-N \"a", "Invalid chain name `\"a'"),
        ("-A FORWARD -i \"eth+", "Invalid interface name `\"eth+'"),
        ("-I INPUT 0 -j ACCEPT", "Invalid rule number `0'"),
        ("-A INPUT -j ACCEPT -j DROP", "multiple -j flags not allowed"),
        (
            "-N aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
            "chain name `aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa' too long (must be under 29 chars)",
        ),
        ("-A INPUT ! ! -s 1.2.3.4", "multiple consecutive ! not allowed"),
        ("-A INPUT -s ! 1.2.3.4", "host/network `!' not found"),
        ("-A INPUT -j ACCEPT -c 1", "-c requires packet and byte counter"),
        ("-A INPUT -p tcp -j REJECT --reject-with foo", "unknown reject type \"foo\""),
        ("-A INPUT -m foo", "Couldn't load match `foo':No such file or directory\n"),
        ("-A INPUT -m conntrack", "conntrack: At least one option is required"),
        ("-A INPUT -m state", "state: option \"--state\" must be specified\n"),
        ("-A INPUT -m multiport -p tcp", "multiport expection an option"),
        ("-A INPUT -p tcp -m multiport --dports 5:3", "invalid portrange specified"),
        ("-A INPUT -p tcp -m multiport --dports 5:5", "invalid portrange specified"),
        ("-A INPUT -p tcp --dport 80 --dport 81", "Only one `--destination-port' allowed"),
        (
            "-A INPUT -p tcp -j MARK",
            "MARK: One of the --set-xmark, --{and,or,xor,set}-mark options is required",
        ),
        ("-A INPUT -j CONNMARK", "CONNMARK target: No operation specified"),
        (
            "-t nat -A POSTROUTING -j SNAT",
            "SNAT: option \"--to-source\" must be specified\n",
        ),
        ("-t nat -A POSTROUTING -j NETMAP", "NETMAP: option \"--to\" must be specified\n"),
        (
            "-t nat -A POSTROUTING -j DNAT",
            "DNAT: option \"--to-destination\" must be specified\n",
        ),
        (
            "-t nat -A POSTROUTING -j SNAT --to-source 1.2.3.4:80",
            "Need TCP, UDP, SCTP or DCCP with port specification",
        ),
        (
            "-t nat -A PREROUTING -j DROP",
            "\nThe \"nat\" table is not intended for filtering, the use of DROP is therefore inhibited.\n",
        ),
        ("-A INPUT -o eth0 -j ACCEPT", "Can't use -o with INPUT"),
        ("-A OUTPUT -i eth0 -j ACCEPT", "Can't use -i with OUTPUT"),
        (
            "-t foo -L",
            "can't initialize iptables table `foo': Table does not exist (do you need to insmod?)\nPerhaps iptables or your kernel needs to be upgraded.",
        ),
    ] {
        err(&mut rs, cmd, want);
    }
}

#[test]
fn kernel_refusals_name_the_reason() {
    let mut rs = Ruleset::new();
    let e = |rs: &mut Ruleset, c: &str| {
        let before = rs.clone();
        let w: Vec<&str> = c.split_whitespace().collect();
        let e = rs.apply(&w).unwrap_err();
        assert_eq!(*rs, before);
        e.to_string()
    };
    assert!(
        e(&mut rs, "-A INPUT -p udp -j REJECT --reject-with tcp-reset")
            .contains("TCP_RESET invalid for non-tcp")
    );
    assert!(e(&mut rs, "-A INPUT -j SNAT --to-source 1.2.3.4")
        .contains("SNAT target: only valid in nat table, not filter"));
    assert!(e(&mut rs, "-t mangle -A INPUT -j REJECT")
        .contains("REJECT target: only valid in filter table, not mangle"));
    assert!(e(
        &mut rs,
        "-t nat -A POSTROUTING -j DNAT --to-destination 1.2.3.4"
    )
    .starts_with("iptables: Invalid argument. Run `dmesg' for more information."));
    assert!(e(&mut rs, "-t nat -A PREROUTING -j MASQUERADE").contains("POSTROUTING"));
    // Through a user chain: the jump is refused...
    ok(&mut rs, "-t nat -N y");
    ok(&mut rs, "-t nat -A y -j SNAT --to-source 1.1.1.1");
    assert!(
        e(&mut rs, "-t nat -A PREROUTING -j y").contains("SNAT target: used from hooks PREROUTING")
    );
    ok(&mut rs, "-t nat -A POSTROUTING -j y");
    // ...and so is a rule added to a chain already reachable from the wrong hook.
    ok(&mut rs, "-t nat -N z");
    ok(&mut rs, "-t nat -A PREROUTING -j z");
    assert!(e(&mut rs, "-t nat -A z -j SNAT --to-source 1.1.1.1").contains("SNAT target"));
    ok(&mut rs, "-t nat -A z -j DNAT --to-destination 1.1.1.1");
    // -R too.
    assert!(e(&mut rs, "-t nat -R z 1 -j MASQUERADE").contains("MASQUERADE"));
    // tcp-reset is fine with -p tcp.
    ok(&mut rs, "-A INPUT -p tcp -j REJECT --reject-with tcp-reset");
}

#[test]
fn loops_are_refused() {
    let mut rs = Ruleset::new();
    ok(&mut rs, "-N l1");
    ok(&mut rs, "-N l2");
    ok(&mut rs, "-N l3");
    ok(&mut rs, "-A l1 -j l2");
    ok(&mut rs, "-A l2 -j l3");
    err(
        &mut rs,
        "-A l3 -j l1",
        "iptables: Too many levels of symbolic links.",
    );
    err(
        &mut rs,
        "-A l3 -g l1",
        "iptables: Too many levels of symbolic links.",
    );
    err(
        &mut rs,
        "-A l1 -j l1",
        "iptables: Too many levels of symbolic links.",
    );
    err(
        &mut rs,
        "-I l3 -j l2",
        "iptables: Too many levels of symbolic links.",
    );
    ok(&mut rs, "-A l3 -j ACCEPT");
    err(
        &mut rs,
        "-R l3 1 -j l1",
        "iptables: Too many levels of symbolic links.",
    );
    ok(&mut rs, "-A INPUT -j l1");
}

#[test]
fn addresses_masks_and_forms() {
    let mut rs = Ruleset::new();
    ok(&mut rs, "-A INPUT -s 192.168.99.77/24 -d 10/8");
    ok(&mut rs, "-A INPUT -s 10.1.2.3/255.255.0.0 ! -d 0/0");
    ok(&mut rs, "-A INPUT --source 0x0a.010.1.1 --dst 1.2.3.4/0");
    ok(&mut rs, "-A INPUT --src=1.2.3.4/255.0.255.0");
    assert_eq!(
        rules_s(&mut rs, "filter", "INPUT"),
        [
            "-A INPUT -s 192.168.99.0/24 -d 10.0.0.0/8",
            "-A INPUT -s 10.1.0.0/16 ! -d 0.0.0.0/0",
            "-A INPUT -s 10.8.1.1/32",
            "-A INPUT -s 1.0.3.0/255.0.255.0",
        ]
    );
}

#[test]
fn bundles_long_options_and_order() {
    let mut rs = Ruleset::new();
    ok(
        &mut rs,
        "-tmangle -A PREROUTING -p tcp --dport=80 -jMARK --set-mark 4",
    );
    ok(
        &mut rs,
        "--table mangle --append PREROUTING --protocol udp --jump MARK --or-mark 1",
    );
    ok(&mut rs, "-p tcp -A FORWARD --in-interface eth0 -j ACCEPT");
    assert_eq!(
        rules_s(&mut rs, "mangle", "PREROUTING"),
        [
            "-A PREROUTING -p tcp -m tcp --dport 80 -j MARK --set-xmark 0x4/0xffffffff",
            "-A PREROUTING -p udp -j MARK --set-xmark 0x1/0x1"
        ]
    );
    assert_eq!(
        rules_s(&mut rs, "filter", "FORWARD"),
        ["-A FORWARD -i eth0 -p tcp -j ACCEPT"]
    );
    // -L options need -L; rule options are refused with -L.
    err(
        &mut rs,
        "-A INPUT -n -j ACCEPT",
        "Illegal option `-n' with this command\n",
    );
    err(
        &mut rs,
        "-L -s 1.2.3.4",
        "Illegal option `-s' with this command\n",
    );
    err(&mut rs, "-A INPUT -D INPUT 1", "Cannot use -D with -A\n");
}

#[test]
fn protocols_services_and_icmp_names() {
    let mut rs = Ruleset::new();
    ok(&mut rs, "-A INPUT -p TCP --dport http:https");
    ok(&mut rs, "-A INPUT -p udp --sport domain");
    ok(&mut rs, "-A INPUT -p 17 --sport :99");
    ok(&mut rs, "-A INPUT -p icmp --icmp-type echo-req");
    ok(
        &mut rs,
        "-A INPUT -p icmp --icmp-type TTL-ZERO-DURING-TRANSIT",
    );
    ok(&mut rs, "-A INPUT -p ipencap");
    ok(&mut rs, "-A INPUT -p ipv6-icmp");
    err(
        &mut rs,
        "-A INPUT -p icmp --icmp-type echo",
        "Ambiguous ICMP type `echo': `echo-reply' or `echo-request'?",
    );
    assert_eq!(
        rules_s(&mut rs, "filter", "INPUT"),
        [
            "-A INPUT -p tcp -m tcp --dport 80:443",
            "-A INPUT -p udp -m udp --sport 53",
            "-A INPUT -p udp -m udp --sport 0:99",
            "-A INPUT -p icmp -m icmp --icmp-type 8",
            "-A INPUT -p icmp -m icmp --icmp-type 11/0",
            "-A INPUT -p ipencap",
            "-A INPUT -p icmpv6",
        ]
    );
    // the names -S prints are read back (xtables_chain_protos: icmpv6, mh, ...)
    let mut again = Ruleset::new();
    ok(&mut again, "-A INPUT -p icmpv6");
    ok(&mut again, "-A INPUT -p mh");
    assert_eq!(
        rules_s(&mut again, "filter", "INPUT"),
        ["-A INPUT -p icmpv6", "-A INPUT -p mh"]
    );
}

// ---------------------------------------------------------------- evaluation

/// The seed's Example 10.2: mark web traffic from the office, SNAT per uplink.
#[test]
fn seed_example_10_2_marks_and_snat() {
    let mut rs = Ruleset::new();
    ok(
        &mut rs,
        "-t mangle -A PREROUTING -p tcp --dport 80 -s 192.168.99.0/24 -j MARK --set-mark 4",
    );
    ok(
        &mut rs,
        "-t mangle -A PREROUTING -p tcp --dport 443 -s 192.168.99.0/24 -j MARK --set-mark 4",
    );
    ok(
        &mut rs,
        "-t nat -A POSTROUTING -o eth4 -j SNAT --to-source 67.17.28.12",
    );
    ok(
        &mut rs,
        "-t nat -A POSTROUTING -o eth1 -j SNAT --to-source 205.254.211.179",
    );
    let c = rs.compile(PORTS);
    let mut ctr = c.counters();
    let mut m = meta();
    let mut steps = Vec::new();
    let mut tr = |s: TraceStep<'_>| steps.push(s.to_string());
    let v = c.run(
        TableId::Mangle,
        Hook::Prerouting,
        &mut m,
        &mut ctr,
        Some(&mut tr),
    );
    assert_eq!(v, Verdict::Accept);
    assert_eq!(m.mark, 4);
    assert_eq!(
        steps,
        [
            "mangle PREROUTING rule 1: MARK set 0x4",
            "mangle PREROUTING policy: ACCEPT"
        ]
    );
    // https too; ssh not; another source not.
    for (dport, src, want) in [
        (443, "192.168.99.1", 4),
        (22, "192.168.99.1", 0),
        (80, "192.168.100.1", 0),
    ] {
        let mut m = meta();
        m.dport = dport;
        m.src = ip(src);
        c.run(TableId::Mangle, Hook::Prerouting, &mut m, &mut ctr, None);
        assert_eq!(m.mark, want, "{dport} {src}");
    }
    // SNAT by output interface.
    let mut m = meta();
    m.oif = Some(2); // eth4
    let v = c.run(TableId::Nat, Hook::Postrouting, &mut m, &mut ctr, None);
    let Verdict::Nat(NatTarget::Snat(r)) = v else {
        panic!("{v:?}")
    };
    assert_eq!(r.addrs, Some((ip("67.17.28.12"), ip("67.17.28.12"))));
    m.oif = Some(1); // eth1
    let v = c.run(TableId::Nat, Hook::Postrouting, &mut m, &mut ctr, None);
    assert!(
        matches!(v, Verdict::Nat(NatTarget::Snat(r)) if r.addrs == Some((ip("205.254.211.179"), ip("205.254.211.179"))))
    );
    m.oif = Some(3); // ppp0: no rule
    assert_eq!(
        c.run(TableId::Nat, Hook::Postrouting, &mut m, &mut ctr, None),
        Verdict::Accept
    );
    // Counters: rule 1 saw 1 packet (the first), rule 2 one (443).
    let out = rs
        .apply_with(&["-t", "mangle", "-nvxL", "PREROUTING"], Some(&ctr))
        .unwrap();
    let Output::Text(t) = out else { panic!() };
    assert_eq!(
        t,
        "Chain PREROUTING (policy ACCEPT 4 packets, 400 bytes)\n    pkts      bytes target     prot opt in     out     source               destination         \n       1      100 MARK       6    --  *      *       192.168.99.0/24      0.0.0.0/0            tcp dpt:80 MARK set 0x4\n       1      100 MARK       6    --  *      *       192.168.99.0/24      0.0.0.0/0            tcp dpt:443 MARK set 0x4\n"
    );
}

#[test]
fn jumps_returns_goto_and_policies() {
    let mut rs = Ruleset::new();
    ok(&mut rs, "-N a");
    ok(&mut rs, "-N b");
    ok(&mut rs, "-A a -p udp -j RETURN");
    ok(&mut rs, "-A a -j b");
    ok(&mut rs, "-A a -p tcp --dport 22 -j DROP");
    ok(&mut rs, "-A b -p tcp --dport 80 -j ACCEPT");
    ok(&mut rs, "-A FORWARD -s 10.0.0.0/8 -g a");
    ok(&mut rs, "-A FORWARD -j a");
    ok(&mut rs, "-A FORWARD -p tcp --dport 23 -j REJECT");
    ok(&mut rs, "-P FORWARD DROP");
    let c = rs.compile(PORTS);
    let mut ctr = c.counters();
    let run = |m: &mut Meta, ctr: &mut Counters| {
        let mut steps = Vec::new();
        let mut tr = |s: TraceStep<'_>| steps.push(s.to_string());
        let v = c.run(TableId::Filter, Hook::Forward, m, ctr, Some(&mut tr));
        (v, steps)
    };
    // tcp 80 -> a -> b -> ACCEPT
    let (v, s) = run(&mut meta(), &mut ctr);
    assert_eq!(v, Verdict::Accept);
    assert_eq!(
        s,
        [
            "filter FORWARD rule 2: a",
            "filter a rule 2: b",
            "filter b rule 1: ACCEPT"
        ]
    );
    // tcp 22 -> a -> b (falls off, returns) -> DROP in a
    let mut m = meta();
    m.dport = 22;
    let (v, s) = run(&mut m, &mut ctr);
    assert_eq!(v, Verdict::Drop);
    assert_eq!(
        s,
        [
            "filter FORWARD rule 2: a",
            "filter a rule 2: b",
            "filter b return",
            "filter a rule 3: DROP"
        ]
    );
    // tcp 23 -> a -> b -> back -> back in FORWARD -> REJECT
    m.dport = 23;
    let (v, _) = run(&mut m, &mut ctr);
    assert_eq!(v, Verdict::Reject(RejectWith::PortUnreachable));
    // udp: RETURN from a, then nothing matches in FORWARD: policy DROP
    m.proto = 17;
    let (v, s) = run(&mut m, &mut ctr);
    assert_eq!(v, Verdict::Drop);
    assert_eq!(
        s,
        [
            "filter FORWARD rule 2: a",
            "filter a rule 1: RETURN",
            "filter FORWARD policy: DROP"
        ]
    );
    // goto from FORWARD: RETURN in a goes to the policy, not back to FORWARD rule 2.
    m.src = ip("10.1.1.1");
    let (v, s) = run(&mut m, &mut ctr);
    assert_eq!(v, Verdict::Drop);
    assert_eq!(
        s,
        [
            "filter FORWARD rule 1: a",
            "filter a rule 1: RETURN",
            "filter FORWARD policy: DROP"
        ]
    );
    // goto and fall off the end of the chain: policy.
    m.proto = 6;
    m.dport = 9;
    let (v, s) = run(&mut m, &mut ctr);
    assert_eq!(v, Verdict::Drop);
    assert_eq!(s.last().unwrap(), "filter FORWARD policy: DROP");
    // A table without the hook accepts.
    assert_eq!(
        c.run(
            TableId::Filter,
            Hook::Prerouting,
            &mut meta(),
            &mut ctr,
            None
        ),
        Verdict::Accept
    );
    // RETURN in a builtin chain applies the policy.
    let mut rs2 = Ruleset::new();
    ok(&mut rs2, "-P INPUT DROP");
    ok(&mut rs2, "-A INPUT -j RETURN");
    ok(&mut rs2, "-A INPUT -j ACCEPT");
    let c2 = rs2.compile(PORTS);
    let mut ctr2 = c2.counters();
    assert_eq!(
        c2.run(TableId::Filter, Hook::Input, &mut meta(), &mut ctr2, None),
        Verdict::Drop
    );
}

#[test]
fn matches_evaluate_like_the_kernel() {
    type Case = (&'static str, fn(&mut Meta), bool);
    let cases: &[Case] = &[
        ("-p tcp --dport 80", |_| {}, true),
        ("-p tcp ! --dport 80", |_| {}, false),
        ("-p tcp --sport 1024:", |_| {}, true),
        ("-p tcp --sport :1023", |_| {}, false),
        ("-p tcp --dport 80", |m| m.fragment = true, false),
        ("-p tcp ! --dport 81", |m| m.fragment = true, false),
        ("-p udp", |_| {}, false),
        ("! -p udp", |_| {}, true),
        ("-p all", |_| {}, true),
        ("-p tcp -m multiport --dports 22,79:81", |_| {}, true),
        ("-p tcp -m multiport ! --dports 22,79:81", |_| {}, false),
        ("-p tcp -m multiport --sports 22,79:81", |_| {}, false),
        ("-p tcp -m multiport --ports 40000", |_| {}, true),
        (
            "-p tcp -m multiport --ports 80",
            |m| m.fragment = true,
            false,
        ),
        ("-i eth+", |_| {}, true),
        ("-i eth1", |_| {}, false),
        ("! -i eth1", |_| {}, true),
        ("-i ppp+", |_| {}, false),
        ("-i eth0", |m| m.iif = None, false),
        ("! -i eth0", |m| m.iif = None, true),
        ("-i +", |m| m.iif = None, true),
        ("-i nosuch", |_| {}, false),
        ("-o eth4", |_| {}, true),
        ("-s 192.168.99.0/24", |_| {}, true),
        ("! -s 192.168.99.0/24", |_| {}, false),
        ("-d 67.17.28.0/255.255.255.0", |_| {}, true),
        ("-f", |_| {}, false),
        ("-f", |m| m.fragment = true, true),
        ("! -f", |m| m.fragment = true, false),
        ("-m mark --mark 4", |m| m.mark = 4, true),
        ("-m mark --mark 4/0xff", |m| m.mark = 0x104, true),
        ("-m mark ! --mark 4/0xff", |m| m.mark = 0x104, false),
        ("-m mark --mark 4", |m| m.mark = 0x104, false),
        ("-m connmark --mark 1/1", |m| m.ctmark = 3, true),
        ("-m connmark --mark 1/1", |m| m.mark = 3, false),
        ("-m conntrack --ctstate NEW", |_| {}, true),
        ("-m conntrack --ctstate RELATED,ESTABLISHED", |_| {}, false),
        ("-m conntrack ! --ctstate RELATED,ESTABLISHED", |_| {}, true),
        (
            "-m conntrack --ctstate SNAT",
            |m| m.ctstate = CtState::ESTABLISHED | CtState::SNAT,
            true,
        ),
        (
            "-m state --state ESTABLISHED",
            |m| m.ctstate = CtState::ESTABLISHED,
            true,
        ),
        (
            "-m state --state INVALID",
            |m| m.ctstate = CtState::INVALID,
            true,
        ),
        (
            "-p icmp --icmp-type echo-request",
            |m| {
                m.proto = 1;
                m.icmp_type = 8
            },
            true,
        ),
        (
            "-p icmp --icmp-type 3/4",
            |m| {
                m.proto = 1;
                m.icmp_type = 3;
                m.icmp_code = 4
            },
            true,
        ),
        (
            "-p icmp --icmp-type 3/4",
            |m| {
                m.proto = 1;
                m.icmp_type = 3;
                m.icmp_code = 3
            },
            false,
        ),
        (
            "-p icmp --icmp-type destination-unreachable",
            |m| {
                m.proto = 1;
                m.icmp_type = 3;
                m.icmp_code = 9
            },
            true,
        ),
        (
            "-p icmp --icmp-type any",
            |m| {
                m.proto = 1;
                m.icmp_type = 42
            },
            true,
        ),
        (
            "-p icmp ! --icmp-type 8",
            |m| {
                m.proto = 1;
                m.icmp_type = 0
            },
            true,
        ),
        (
            "-p icmp --icmp-type any",
            |m| {
                m.proto = 1;
                m.fragment = true
            },
            false,
        ),
    ];
    for (spec, f, want) in cases {
        let mut rs = Ruleset::new();
        ok(&mut rs, &format!("-t mangle -A FORWARD {spec} -j DROP"));
        let c = rs.compile(PORTS);
        let mut ctr = c.counters();
        let mut m = meta();
        f(&mut m);
        let v = c.run(TableId::Mangle, Hook::Forward, &mut m, &mut ctr, None);
        assert_eq!(v == Verdict::Drop, *want, "{spec}");
    }
}

#[test]
fn mark_and_connmark_arithmetic() {
    // (target words, mark, ctmark) -> (mark, ctmark)
    let cases: &[(&str, u32, u32, u32, u32)] = &[
        ("MARK --set-mark 4", 0xff00, 0, 4, 0),
        ("MARK --set-mark 4/0xff", 0xff0f, 0, 0xff04, 0),
        ("MARK --set-xmark 4/0xff", 0xff0f, 0, 0xff04, 0),
        ("MARK --set-xmark 0x5", 0x3, 0, 5, 0),
        ("MARK --and-mark 0xf0", 0xff, 0, 0xf0, 0),
        ("MARK --or-mark 0x3", 0x10, 0, 0x13, 0),
        ("MARK --xor-mark 0x1", 0x11, 0, 0x10, 0),
        ("CONNMARK --set-mark 3", 0, 0xf0, 0, 3),
        ("CONNMARK --set-mark 3/0xf", 0, 0xf0, 0, 0xf3),
        ("CONNMARK --set-xmark 3/0xf", 0, 0xf1, 0, 0xf3),
        ("CONNMARK --save-mark", 0x12, 0x34, 0x12, 0x12),
        ("CONNMARK --save-mark --mask 0xf", 0x12, 0x34, 0x12, 0x32),
        (
            "CONNMARK --save-mark --nfmask 0xff --ctmask 0xf0",
            0x12,
            0x34,
            0x12,
            0x12 ^ 0x4,
        ),
        ("CONNMARK --restore-mark", 0x12, 0x34, 0x34, 0x34),
        ("CONNMARK --restore-mark --mask 0xf", 0x12, 0x35, 0x15, 0x35),
        (
            "CONNMARK --restore-mark --nfmask 0xf0 --ctmask 0xff",
            0x12,
            0x35,
            0x02 ^ 0x35,
            0x35,
        ),
        ("CONNMARK --or-mark 0x8", 0, 0x1, 0, 0x9),
        ("CONNMARK --and-mark 0x8", 0, 0xf, 0, 0x8),
        ("CONNMARK --xor-mark 0x8", 0, 0xf, 0, 0x7),
    ];
    for (t, mark, ctmark, wm, wc) in cases {
        let mut rs = Ruleset::new();
        ok(&mut rs, &format!("-t mangle -A PREROUTING -j {t}"));
        let c = rs.compile(PORTS);
        let mut ctr = c.counters();
        let mut m = meta();
        m.mark = *mark;
        m.ctmark = *ctmark;
        assert_eq!(
            c.run(TableId::Mangle, Hook::Prerouting, &mut m, &mut ctr, None),
            Verdict::Accept
        );
        assert_eq!((m.mark, m.ctmark), (*wm, *wc), "{t}");
    }
}

#[test]
fn nat_targets_and_netmap() {
    let mut rs = Ruleset::new();
    ok(
        &mut rs,
        "-t nat -A PREROUTING -d 67.17.28.0/24 -j NETMAP --to 192.168.100.0/24",
    );
    ok(&mut rs, "-t nat -A OUTPUT -p tcp -j DNAT --to-destination 10.0.0.1-10.0.0.3:8080-8090 --random --persistent");
    ok(
        &mut rs,
        "-t nat -A POSTROUTING -p udp -j MASQUERADE --to-ports 1024-2000 --random-fully",
    );
    let c = rs.compile(PORTS);
    let mut ctr = c.counters();
    let mut m = meta();
    m.dst = ip("67.17.28.10");
    let v = c.run(TableId::Nat, Hook::Prerouting, &mut m, &mut ctr, None);
    let Verdict::Nat(NatTarget::Netmap { addr, mask }) = v else {
        panic!("{v:?}")
    };
    assert_eq!(NatTarget::netmap(addr, mask, m.dst), ip("192.168.100.10"));
    let v = c.run(TableId::Nat, Hook::Output, &mut m, &mut ctr, None);
    assert_eq!(
        v,
        Verdict::Nat(NatTarget::Dnat(NatRange {
            addrs: Some((ip("10.0.0.1"), ip("10.0.0.3"))),
            ports: Some((8080, 8090)),
            random: true,
            random_fully: false,
            persistent: true
        }))
    );
    m.proto = 17;
    let v = c.run(TableId::Nat, Hook::Postrouting, &mut m, &mut ctr, None);
    assert_eq!(
        v,
        Verdict::Nat(NatTarget::Masquerade {
            ports: Some((1024, 2000)),
            random: false,
            random_fully: true
        })
    );
}

// ---------------------------------------------------------------- counters

#[test]
fn counters_keep_identity_and_zero() {
    let mut rs = Ruleset::new();
    ok(&mut rs, "-A INPUT -p tcp -j ACCEPT"); // rule A
    let c1 = rs.compile(PORTS);
    let mut w1 = c1.counters();
    let mut w2 = c1.counters();
    for _ in 0..3 {
        c1.run(TableId::Filter, Hook::Input, &mut meta(), &mut w1, None);
    }
    c1.run(TableId::Filter, Hook::Input, &mut meta(), &mut w2, None);
    // Insert and delete other rules: A keeps its counters.
    ok(&mut rs, "-I INPUT -p udp -j ACCEPT");
    ok(&mut rs, "-A INPUT -j DROP");
    ok(&mut rs, "-D INPUT 3");
    let c2 = rs.compile(PORTS);
    w1.sync(&c2);
    w2.sync(&c2);
    let mut sum = Counters::default();
    sum.add(&w1);
    sum.add(&w2);
    let t = match rs.apply_with(&["-vxnL", "INPUT"], Some(&sum)).unwrap() {
        Output::Text(t) => t,
        o => panic!("{o:?}"),
    };
    assert!(t.contains("       0        0 ACCEPT     17"), "{t}");
    assert!(t.contains("       4      400 ACCEPT     6"), "{t}");
    // A deleted rule's slot reused by a new rule does not inherit its counts.
    ok(&mut rs, "-D INPUT 2"); // delete A
    ok(&mut rs, "-A INPUT -p tcp -j DROP");
    let c3 = rs.compile(PORTS);
    w1.sync(&c3);
    let t = match rs.apply_with(&["-vxnL", "INPUT"], Some(&w1)).unwrap() {
        Output::Text(t) => t,
        o => panic!("{o:?}"),
    };
    assert!(t.contains("       0        0 DROP       6"), "{t}");
    // -c starting values, then -Z.
    ok(&mut rs, "-A INPUT -c 10 1000 -j ACCEPT");
    ok(&mut rs, "-P INPUT DROP -c 7 70");
    let c4 = rs.compile(PORTS);
    w1.sync(&c4);
    c4.run(TableId::Filter, Hook::Input, &mut meta(), &mut w1, None);
    let t = match rs.apply_with(&["-vxnL", "INPUT"], Some(&w1)).unwrap() {
        Output::Text(t) => t,
        o => panic!("{o:?}"),
    };
    assert!(t.contains("(policy DROP 7 packets, 70 bytes)"), "{t}");
    assert!(t.contains("       1      100 DROP       6"), "{t}");
    assert!(t.contains("      10     1000 ACCEPT     0"), "{t}");
    let Output::Zero(slots) = ok(&mut rs, "-Z INPUT") else {
        panic!()
    };
    w1.zero(&slots);
    let t = match rs.apply_with(&["-vxnL", "INPUT"], Some(&w1)).unwrap() {
        Output::Text(t) => t,
        o => panic!("{o:?}"),
    };
    assert!(
        !t.lines()
            .skip(2)
            .any(|l| !l.starts_with("       0        0")),
        "{t}"
    );
    assert!(t.contains("(policy DROP 0 packets, 0 bytes)"), "{t}");
}

#[test]
fn kmg_abbreviations() {
    let mut rs = Ruleset::new();
    for (p, b) in [(99999u64, 100000u64), (9999499, 9999500), (u64::MAX, 0)] {
        ok(&mut rs, &format!("-A INPUT -c {p} {b}"));
    }
    let t = text(&mut rs, "-nvL INPUT");
    let lines: Vec<&str> = t.lines().skip(2).collect();
    assert!(lines[0].starts_with("99999  100K "), "{t}");
    assert!(lines[1].starts_with("9999K   10M "), "{t}");
    assert!(lines[2].starts_with("18446744T     0 "), "{t}");
}

// ---------------------------------------------------------------- restore

#[test]
fn restore_replaces_a_table_at_commit() {
    let mut rs = Ruleset::new();
    ok(&mut rs, "-A INPUT -j DROP");
    ok(&mut rs, "-t nat -A POSTROUTING -o eth4 -j MASQUERADE");
    let text = "# a comment\n*filter\n:INPUT DROP [5:500]\n:FORWARD ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\n:web - [0:0]\n[3:300] -A INPUT -p tcp -m tcp --dport 80 -j web\n-A web -j ACCEPT\n";
    let mut st = SaveState::new();
    for l in text.lines() {
        rs.apply_save_line(&mut st, l).unwrap();
        // Nothing visible before COMMIT.
        assert_eq!(rs.table(TableId::Filter).chains.len(), 3);
    }
    assert_eq!(st.pending_table(), Some(TableId::Filter));
    rs.apply_save_line(&mut st, "COMMIT").unwrap();
    assert_eq!(
        text_of(&mut rs, "-S"),
        "-P INPUT DROP\n-P FORWARD ACCEPT\n-P OUTPUT ACCEPT\n-N web\n-A INPUT -p tcp -m tcp --dport 80 -j web\n-A web -j ACCEPT\n"
    );
    assert!(text_of(&mut rs, "-vnL INPUT").contains("(policy DROP 5 packets, 500 bytes)"));
    assert!(text_of(&mut rs, "-vnL INPUT").contains("    3   300 web"));
    // nat untouched.
    assert_eq!(rules_s(&mut rs, "nat", "POSTROUTING").len(), 1);
    // A failing table leaves the ruleset unchanged.
    let before = rs.clone();
    let mut st = SaveState::new();
    for l in [
        "*nat",
        ":PREROUTING ACCEPT [0:0]",
        "-A PREROUTING -j MASQUERADE",
    ] {
        let _ = rs.apply_save_line(&mut st, l);
    }
    assert!(rs
        .apply_save_line(&mut st, "-A PREROUTING -j NOPE")
        .is_err());
    assert!(rs
        .apply_save_line(&mut st, "-t nat -A PREROUTING -j ACCEPT")
        .is_err());
    assert!(rs.apply_save_line(&mut st, ":x ACCEPT [0:0]").is_err());
    assert_eq!(rs, before);
    rs.apply_save_line(&mut st, "COMMIT").unwrap();
    assert_eq!(rules_s(&mut rs, "nat", "POSTROUTING").len(), 0);
    assert!(rs
        .apply_save_line(&mut SaveState::new(), "-A INPUT -j ACCEPT")
        .is_err());
    assert!(rs.apply_save_line(&mut SaveState::new(), "*raw").is_err());
}

fn text_of(rs: &mut Ruleset, cmd: &str) -> String {
    text(rs, cmd)
}

#[test]
fn save_with_counters() {
    let mut rs = Ruleset::new();
    ok(&mut rs, "-A INPUT -c 3 300 -j ACCEPT");
    let s = rs.save_table(TableId::Filter, None, true, "TS");
    assert_eq!(
        s,
        "# Generated by iptables-save v1.8.9 (nf_tables) on TS\n*filter\n:INPUT ACCEPT [0:0]\n:FORWARD ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\n[3:300] -A INPUT -j ACCEPT\nCOMMIT\n# Completed on TS\n"
    );
    let mut again = Ruleset::new();
    let mut st = SaveState::new();
    for l in s.lines() {
        again.apply_save_line(&mut st, l).unwrap();
    }
    assert_eq!(again.save_table(TableId::Filter, None, true, "TS"), s);
}

// ---------------------------------------------------------------- properties

const VOCAB: &[&str] = &[
    "-A",
    "-I",
    "-D",
    "-R",
    "-C",
    "-N",
    "-X",
    "-F",
    "-P",
    "-Z",
    "-E",
    "-L",
    "-S",
    "-nvL",
    "-t",
    "nat",
    "mangle",
    "filter",
    "raw",
    "INPUT",
    "FORWARD",
    "OUTPUT",
    "PREROUTING",
    "POSTROUTING",
    "web",
    "x",
    "1",
    "2",
    "0",
    "99",
    "-j",
    "-g",
    "ACCEPT",
    "DROP",
    "RETURN",
    "MARK",
    "CONNMARK",
    "SNAT",
    "DNAT",
    "MASQUERADE",
    "NETMAP",
    "REJECT",
    "!",
    "-s",
    "-d",
    "-p",
    "tcp",
    "udp",
    "icmp",
    "all",
    "--dport",
    "--sport",
    "80",
    "1:2",
    ":5",
    "6:",
    "-m",
    "multiport",
    "--dports",
    "1,2:3",
    "mark",
    "--mark",
    "0x4/0xff",
    "connmark",
    "conntrack",
    "--ctstate",
    "NEW,ESTABLISHED",
    "state",
    "--state",
    "--icmp-type",
    "echo-request",
    "3/4",
    "-i",
    "-o",
    "eth+",
    "eth0",
    "--set-mark",
    "--set-xmark",
    "--and-mark",
    "--or-mark",
    "--xor-mark",
    "--save-mark",
    "--restore-mark",
    "--mask",
    "--nfmask",
    "--ctmask",
    "--to-source",
    "--to-destination",
    "1.2.3.4",
    "1.2.3.4:80",
    "1.2.3.4-1.2.3.9:1-2",
    "--random",
    "--random-fully",
    "--persistent",
    "--to-ports",
    "--to",
    "10.0.0.0/8",
    "--reject-with",
    "tcp-reset",
    "-f",
    "-c",
    "-n",
    "-v",
    "-x",
    "--line-numbers",
    "-tnat",
    "--dport=1",
];

fn words() -> impl Strategy<Value = Vec<String>> {
    prop::collection::vec(
        prop_oneof![
            4 => prop::sample::select(VOCAB).prop_map(String::from),
            1 => "[-!a-zA-Z0-9.:/,=+]{0,8}",
        ],
        0..14,
    )
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    /// Random command lines never panic; a failed one changes nothing; whatever state
    /// results can be listed, saved, restored and evaluated.
    #[test]
    fn random_commands(cmds in prop::collection::vec(words(), 1..8)) {
        let mut rs = Ruleset::new();
        ok(&mut rs, "-N web");
        ok(&mut rs, "-t nat -N x");
        for c in &cmds {
            let w: Vec<&str> = c.iter().map(|s| s.as_str()).collect();
            let before = rs.clone();
            if rs.apply(&w).is_err() {
                prop_assert_eq!(&rs, &before);
            }
        }
        let save = rs.save(None, true, "T");
        let mut again = Ruleset::new();
        let mut st = SaveState::new();
        for l in save.lines() {
            let r = again.apply_save_line(&mut st, l);
            prop_assert!(r.is_ok(), "{:?} on {}", r, l);
        }
        prop_assert_eq!(again.save(None, true, "T"), save);
        let c = rs.compile(&["eth0", "eth1"]);
        let mut ctr = c.counters();
        for t in TableId::ALL {
            for h in Hook::ALL {
                let mut m = meta();
                let _ = c.run(t, h, &mut m, &mut ctr, None);
            }
        }
    }

    #[test]
    fn random_save_lines_never_panic(lines in prop::collection::vec(words(), 0..10)) {
        let mut rs = Ruleset::new();
        let mut st = SaveState::new();
        let _ = rs.apply_save_line(&mut st, "*filter");
        for l in &lines {
            let before = rs.clone();
            let line = l.join(" ");
            if rs.apply_save_line(&mut st, &line).is_err() {
                prop_assert_eq!(&rs, &before);
            }
        }
        let _ = rs.apply_save_line(&mut st, "COMMIT");
    }
}

/// `--syn` / `--tcp-flags`: texts captured from iptables 1.8.9 (nf_tables) in a netns:
/// `iptables -A FORWARD -p tcp --syn -j ACCEPT; iptables -A FORWARD -p tcp ! --syn --dport
/// 80 -j DROP; iptables -A FORWARD -p tcp --tcp-flags ALL NONE -j DROP; iptables -A FORWARD
/// -p tcp --tcp-flags SYN,ACK SYN,ACK -j ACCEPT`, then `-nvL FORWARD`, `-L FORWARD`,
/// `-S FORWARD`.
#[test]
fn tcp_flags_and_syn() {
    let mut rs = Ruleset::new();
    for l in [
        "-A FORWARD -p tcp --syn -j ACCEPT",
        "-A FORWARD -p tcp ! --syn --dport 80 -j DROP",
        "-A FORWARD -p tcp --tcp-flags ALL NONE -j DROP",
        "-A FORWARD -p tcp --tcp-flags SYN,ACK SYN,ACK -j ACCEPT",
    ] {
        let w: Vec<&str> = l.split_whitespace().collect();
        rs.apply(&w).unwrap();
    }
    let text = |rs: &mut Ruleset, l: &str| {
        let w: Vec<&str> = l.split_whitespace().collect();
        match rs.apply(&w).unwrap() {
            Output::Text(t) => t,
            o => panic!("{o:?}"),
        }
    };
    assert_eq!(
        text(&mut rs, "-nvL FORWARD"),
        "Chain FORWARD (policy ACCEPT 0 packets, 0 bytes)
 pkts bytes target     prot opt in     out     source               destination         
    0     0 ACCEPT     6    --  *      *       0.0.0.0/0            0.0.0.0/0            tcp flags:0x17/0x02
    0     0 DROP       6    --  *      *       0.0.0.0/0            0.0.0.0/0            tcp dpt:80 flags:!0x17/0x02
    0     0 DROP       6    --  *      *       0.0.0.0/0            0.0.0.0/0            tcp flags:0x3F/0x00
    0     0 ACCEPT     6    --  *      *       0.0.0.0/0            0.0.0.0/0            tcp flags:0x12/0x12
"
    );
    assert_eq!(
        text(&mut rs, "-L FORWARD"),
        "Chain FORWARD (policy ACCEPT)
target     prot opt source               destination         
ACCEPT     tcp  --  anywhere             anywhere             tcp flags:FIN,SYN,RST,ACK/SYN
DROP       tcp  --  anywhere             anywhere             tcp dpt:http flags:!FIN,SYN,RST,ACK/SYN
DROP       tcp  --  anywhere             anywhere             tcp flags:FIN,SYN,RST,PSH,ACK,URG/NONE
ACCEPT     tcp  --  anywhere             anywhere             tcp flags:SYN,ACK/SYN,ACK
"
    );
    assert_eq!(
        text(&mut rs, "-S FORWARD"),
        "-P FORWARD ACCEPT
-A FORWARD -p tcp -m tcp --tcp-flags FIN,SYN,RST,ACK SYN -j ACCEPT
-A FORWARD -p tcp -m tcp --dport 80 ! --tcp-flags FIN,SYN,RST,ACK SYN -j DROP
-A FORWARD -p tcp -m tcp --tcp-flags FIN,SYN,RST,PSH,ACK,URG NONE -j DROP
-A FORWARD -p tcp -m tcp --tcp-flags SYN,ACK SYN,ACK -j ACCEPT
"
    );
    // evaluation: a SYN is accepted by rule 1, an ACK to port 80 dropped by rule 2, a
    // null scan by rule 3
    let c = rs.compile(&[]);
    let mut ctr = c.counters();
    let mut m = Meta {
        proto: 6,
        sport: 1000,
        dport: 80,
        tcp_flags: 0x02,
        ..Meta::default()
    };
    assert_eq!(
        c.run(TableId::Filter, Hook::Forward, &mut m, &mut ctr, None),
        Verdict::Accept
    );
    m.tcp_flags = 0x10;
    assert_eq!(
        c.run(TableId::Filter, Hook::Forward, &mut m, &mut ctr, None),
        Verdict::Drop
    );
    m.dport = 81;
    m.tcp_flags = 0;
    assert_eq!(
        c.run(TableId::Filter, Hook::Forward, &mut m, &mut ctr, None),
        Verdict::Drop
    );
    m.tcp_flags = 0x12;
    assert_eq!(
        c.run(TableId::Filter, Hook::Forward, &mut m, &mut ctr, None),
        Verdict::Accept
    );
    // --tcp-flags needs two words; --syn is tcp only
    assert!(rs
        .apply(&["-A", "FORWARD", "-p", "tcp", "--tcp-flags", "SYN"])
        .is_err());
    assert!(rs.apply(&["-A", "FORWARD", "-p", "udp", "--syn"]).is_err());
    assert!(rs
        .apply(&["-A", "FORWARD", "-p", "tcp", "--tcp-flags", "BOGUS", "SYN"])
        .is_err());
}

/// connmark_tg / connmark_mt: a packet without a conntrack entry (INVALID or UNTRACKED)
/// keeps its mark through CONNMARK --restore-mark, and `-m connmark` never matches it, not
/// even with `!`.
#[test]
fn connmark_needs_a_conntrack_entry() {
    let mut rs = Ruleset::new();
    ok(
        &mut rs,
        "-t mangle -A PREROUTING -j CONNMARK --restore-mark",
    );
    ok(
        &mut rs,
        "-t mangle -A PREROUTING -m connmark ! --mark 9 -j MARK --set-mark 7",
    );
    let c = rs.compile(&[]);
    let mut ctr = c.counters();
    let mut m = Meta {
        mark: 4,
        ctmark: 0,
        ctstate: CtState::INVALID,
        ..Meta::default()
    };
    c.run(TableId::Mangle, Hook::Prerouting, &mut m, &mut ctr, None);
    assert_eq!(
        m.mark, 4,
        "no entry: restore does nothing, ! --mark does not match"
    );
    let mut m = Meta {
        mark: 4,
        ctmark: 0,
        ctstate: CtState::ESTABLISHED,
        ..Meta::default()
    };
    c.run(TableId::Mangle, Hook::Prerouting, &mut m, &mut ctr, None);
    assert_eq!(
        m.mark, 7,
        "with an entry: restored to 0, then ! --mark 9 matches"
    );
}
