//! The command line as a user runs it: exit codes, where output goes, error formats.

use std::path::PathBuf;
use std::process::{Command, Output};

fn ruta(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_ruta"))
        .args(args)
        .output()
        .expect("run ruta")
}

fn seed() -> String {
    let p = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../examples/seed.conf");
    p.to_str().unwrap().to_string()
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

#[test]
fn check_accepts_the_seed() {
    let o = ruta(&["-c", &seed(), "check"]);
    assert!(o.status.success(), "{}", text(&o.stderr));
    assert!(text(&o.stdout).contains(": ok ("));
}

#[test]
fn check_reports_file_and_line_and_exits_1() {
    let dir = std::env::temp_dir().join(format!("ruta-cli-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let f = dir.join("bad.conf");
    std::fs::write(
        &f,
        "ip link add eth0 type dummy\nip link set eth0 up\n\
         ip addr add 198.18.0.1/24 dev eth0\nip route add 198.19.0.0/16 via 198.18.0.2\n\
         ip route add 198.19.0.0/16 via 198.18.0.3\nip route add 10.0.0.1/8 dev eth0\n",
    )
    .unwrap();
    let o = ruta(&["-c", f.to_str().unwrap(), "check"]);
    assert_eq!(o.status.code(), Some(1));
    let err = text(&o.stderr);
    let name = f.display().to_string();
    assert!(
        err.contains(&format!(
            "{name}:5: route 198.19.0.0/16 already exists in table main"
        )),
        "{err}"
    );
    assert!(
        err.contains(&format!("{name}:6: invalid prefix for given prefix length")),
        "{err}"
    );
    // queries on a file with errors refuse to answer from a half-applied state
    let o = ruta(&["-c", f.to_str().unwrap(), "ip", "route", "show"]);
    assert_eq!(o.status.code(), Some(1));
    // --force answers from what did apply, like ip -force -batch
    let o = ruta(&["-c", f.to_str().unwrap(), "--force", "ip", "route", "show"]);
    assert!(o.status.success());
    assert!(text(&o.stdout).contains("198.19.0.0/16 via 198.18.0.2 dev eth0 \n"));
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn route_get_errors_look_like_iproute2() {
    let o = ruta(&[
        "-c",
        &seed(),
        "ip",
        "route",
        "get",
        "127.0.0.1",
        "from",
        "198.51.100.1",
    ]);
    assert_eq!(o.status.code(), Some(2));
    assert_eq!(
        text(&o.stderr),
        "RTNETLINK answers: Network is unreachable\n"
    );
    let o = ruta(&[
        "-c",
        &seed(),
        "ip",
        "route",
        "get",
        "8.8.8.8",
        "iif",
        "nosuch",
    ]);
    assert_eq!(o.status.code(), Some(1));
    assert_eq!(text(&o.stderr), "Cannot find device \"nosuch\"\n");
    let o = ruta(&["-c", &seed(), "ip", "-j", "route", "get", "10.38.1.1"]);
    assert!(o.status.success());
    assert_eq!(
        text(&o.stdout),
        "[{\"dst\":\"10.38.1.1\",\"gateway\":\"192.168.100.1\",\"dev\":\"eth3\",\"prefsrc\":\"192.168.100.2\",\"flags\":[],\"uid\":0,\"cache\":[]}]\n"
    );
}

#[test]
fn offline_mode_refuses_changes_and_unknown_commands() {
    let o = ruta(&[
        "-c",
        &seed(),
        "ip",
        "route",
        "add",
        "198.19.0.0/16",
        "dev",
        "eth0",
    ]);
    assert_eq!(o.status.code(), Some(1));
    assert!(text(&o.stderr).contains("change the config file"));
    let o = ruta(&["frobnicate"]);
    assert_eq!(o.status.code(), Some(1));
    let o = ruta(&["ip", "rule", "show"]);
    assert_eq!(o.status.code(), Some(1), "no daemon yet: says so");
    assert!(text(&o.stderr).contains("-c FILE"));
}

#[test]
fn sysctl_prints_in_sysctls_format() {
    let o = ruta(&[
        "-c",
        &seed(),
        "sysctl",
        "net.ipv4.ip_forward",
        "net.ipv4.conf.eth0.rp_filter",
    ]);
    assert!(o.status.success());
    assert_eq!(
        text(&o.stdout),
        "net.ipv4.ip_forward = 1\nnet.ipv4.conf.eth0.rp_filter = 0\n"
    );
}

fn packets() -> String {
    let p = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../examples/seed.packets");
    p.to_str().unwrap().to_string()
}

/// `ruta trace -j`: one JSON object per packet line with the fields the docs promise, for
/// every packet of examples/seed.packets; the verdicts the seed says.
#[test]
fn trace_json_over_the_seed_packets() {
    let o = ruta(&["-c", &seed(), "trace", "-j", "-f", &packets()]);
    assert!(o.status.success(), "{}", text(&o.stderr));
    let out = text(&o.stdout);
    let lines: Vec<serde_json::Value> = out
        .lines()
        .map(|l| serde_json::from_str(l).expect("a JSON object per line"))
        .collect();
    assert_eq!(lines.len(), 19);
    for v in &lines {
        for k in ["verdict", "oif", "gateway", "drop_reason", "out", "steps"] {
            assert!(v.get(k).is_some(), "{k} missing in {v}");
        }
    }
    // the desktop's web SYN: DSL line, SNATed, mark 4
    assert_eq!(lines[0]["verdict"], "forward");
    assert_eq!(lines[0]["oif"], "eth4");
    assert_eq!(lines[0]["out"]["src"], "67.17.28.12");
    assert_eq!(lines[0]["out"]["mark"], 4);
    // TTL 1: an ICMP error, and why
    let ttl = &lines[17];
    assert_eq!(ttl["verdict"], "icmp");
    assert_eq!(ttl["drop_reason"], "ttl_exceeded");
}

/// A bad packet line is an error naming the file and line, exit 1, nothing printed.
#[test]
fn trace_reports_bad_lines() {
    let dir = std::env::temp_dir().join(format!("ruta-cli-trace-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let f = dir.join("bad.packets");
    std::fs::write(
        &f,
        "iif eth0 tcp 192.168.99.10:1 > 198.51.100.7:80 syn\nbogus\n",
    )
    .unwrap();
    let o = ruta(&["-c", &seed(), "trace", "-f", f.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(1));
    assert!(o.stdout.is_empty());
    assert!(text(&o.stderr).contains("line 2"), "{}", text(&o.stderr));
    let _ = std::fs::remove_dir_all(&dir);
}

/// `iptables -t nat -nvL` prints what iptables prints for Example 10.2's rules; changes are
/// refused offline with iptables' exit code for a usage error.
#[test]
fn iptables_listing_and_errors() {
    let o = ruta(&[
        "-c",
        &seed(),
        "iptables",
        "-t",
        "nat",
        "-nvL",
        "POSTROUTING",
    ]);
    assert!(o.status.success(), "{}", text(&o.stderr));
    assert_eq!(
        text(&o.stdout),
        "Chain POSTROUTING (policy ACCEPT 0 packets, 0 bytes)
 pkts bytes target     prot opt in     out     source               destination         
    0     0 SNAT       0    --  *      eth4    0.0.0.0/0            0.0.0.0/0            to:67.17.28.12
    0     0 SNAT       0    --  *      eth1    0.0.0.0/0            0.0.0.0/0            to:205.254.211.179
"
    );
    let o = ruta(&["-c", &seed(), "iptables", "-t", "nat", "-L", "NOPE"]);
    assert_ne!(o.status.code(), Some(0));
    let o = ruta(&["-c", &seed(), "iptables", "-A", "FORWARD", "-j", "DROP"]);
    assert_eq!(o.status.code(), Some(1));
    let o = ruta(&["-c", &seed(), "iptables-save", "-t", "mangle"]);
    assert!(o.status.success());
    assert!(
        text(&o.stdout).contains("-A PREROUTING -j CONNMARK --restore-mark"),
        "{}",
        text(&o.stdout)
    );
}
