#!/usr/bin/env bash
# The seed's router (masq-gw) evaluated by ruta offline: its rules and tables, and where
# each of the seed's flows goes. No packet is sent; nothing touches the network.
# (The live netns testbed with real clients arrives with the dataplane.)
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release -q -p ruta
ruta() { ./target/release/ruta -c examples/seed.conf "$@"; }

echo "== ruta check"; ruta check
echo; echo "== ip rule show"; ruta ip rule show
echo; echo "== ip route show table main"; ruta ip route show table main
echo; echo "== ip route show table 4"; ruta ip route show table 4
echo; echo "== ip route show table local | grep ^nat"; ruta ip route show table local | grep ^nat

flow() { # description, then ip route get arguments
  local what=$1; shift
  printf '\n-- %s\n   ip route get %s\n' "$what" "$*"
  ruta ip route get "$@" | sed 's/^/   /'
}
echo; echo "== what goes where (Example 10.2's mangle rule marks web traffic 4; iptables comes next)"
flow "desktop web traffic, marked 4: DSL line (eth4, table 4)" 198.51.100.7 from 192.168.99.10 iif eth0 mark 4
flow "desktop ssh, unmarked: T1 line (eth1, main)"             198.51.100.7 from 192.168.99.10 iif eth0
flow "client -> isolde via DSL address (Example 10.4)"          67.17.28.10 from 64.70.12.210 iif eth4
flow "isolde .10 answering: back out the DSL line"              64.70.12.210 from 192.168.100.10 iif eth0
flow "client -> isolde via T1 address"                          205.254.211.17 from 64.70.12.210 iif eth1
flow "isolde .17 answering: back out the T1 line"               64.70.12.210 from 192.168.100.17 iif eth0
flow "the router itself to the branch network"                  10.38.1.1
flow "ping to the router's own address"                         192.168.99.254 from 192.168.99.10 iif eth0
