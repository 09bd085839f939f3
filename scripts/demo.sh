#!/usr/bin/env bash
# The main job: the seed's router (masq-gw, examples/seed.conf).
#  1. ruta evaluates it in-process: its rules, tables and iptables chains, then every flow
#     of the seed traced through the forwarding pipeline (examples/seed.packets), with the
#     counters and the connection table the flows leave. Nothing touches the network.
#  2. As root: the seed's topology in network namespaces with real clients (ping, TCP to
#     80/443/22, UDP, the published servers reached from outside through both providers),
#     run with the kernel as the router and with ruta as the router, captured on the
#     provider links: which uplink each flow used, and the differences. Everything lives in
#     its own namespaces (test addresses only) and is deleted at the end, also on Ctrl-C.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release -q -p ruta -p ruta-testbeds
ruta() { ./target/release/ruta -c examples/seed.conf "$@"; }

echo "== ruta check"; ruta check
echo; echo "== ip rule show"; ruta ip rule show
echo; echo "== ip route show table 4"; ruta ip route show table 4
echo; echo "== ip route show table local | grep ^nat"; ruta ip route show table local | grep ^nat
echo; echo "== iptables -t mangle -S"; ruta iptables -t mangle -S
echo; echo "== iptables -t nat -S"; ruta iptables -t nat -S
echo; echo "== every flow of the seed through ruta's pipeline (ruta trace)"
ruta trace -f examples/seed.packets --counters --conntrack

echo
if [ "$(id -u)" != 0 ]; then
  echo "== the live testbed needs root (network namespaces): skipped"
  exit 0
fi
# what the live testbed needs: ip (iproute2, with tc) and iptables for the kernel side
need=()
command -v ip >/dev/null 2>&1 || need+=(iproute2)
command -v iptables >/dev/null 2>&1 || need+=(iptables)
if [ ${#need[@]} -gt 0 ]; then
  if command -v apt-get >/dev/null 2>&1; then
    echo "== installing ${need[*]}"
    apt-get update -q >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -q "${need[@]}" >/dev/null
  else
    echo "== the live testbed needs ${need[*]}: install them and run again"; exit 1
  fi
fi
echo "== the seed's topology in network namespaces: kernel as the router, then ruta"
set +e
RUTA_BIN=./target/release/ruta ./target/release/seedbed --mode both
rc=$?
set -e
case $rc in
  0) echo "== every flow went where the seed says, with the kernel and with ruta" ;;
  2) echo "== ruta mode could not run (see above); the kernel mode result stands" ;;
  *) echo "== some flow did not go where the seed says (see above)"; exit $rc ;;
esac
