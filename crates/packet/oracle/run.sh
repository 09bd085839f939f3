#!/bin/bash
# Kernel oracle for ruta-packet's builders: three network namespaces (host, router, far side),
# addresses from 198.51.100.0/24 and 203.0.113.0/24 only, nothing touches the root namespace;
# all are deleted on exit. Prints: case, offending packet (hex), the router's answer (hex).
# The output was pasted into src/oracle_vectors.rs. Run as root: bash oracle/run.sh
set -e
A=ruta-h-pk; B=ruta-h-pk-h; C=ruta-h-pk-f
ip netns add $A; ip netns add $B; ip netns add $C
trap 'ip netns del $A; ip netns del $B; ip netns del $C' EXIT
ip link add r0 netns $A type veth peer name h0 netns $B
ip -n $A link set lo up; ip -n $B link set lo up
ip -n $A addr add 198.51.100.1/24 dev r0; ip -n $A link set r0 up
ip -n $B addr add 198.51.100.2/24 dev h0; ip -n $B link set h0 up
ip link add dm0 netns $A mtu 1280 type veth peer name f0 netns $C mtu 1280
ip -n $A addr add 203.0.113.1/24 dev dm0; ip -n $A link set dm0 up
ip -n $C addr add 203.0.113.5/24 dev f0; ip -n $C link set f0 up; ip -n $C link set lo up
ip netns exec $A sysctl -qw net.ipv4.ip_forward=1
ip netns exec $A sysctl -qw net.ipv4.icmp_ratelimit=0
ip netns exec $A iptables -A FORWARD -p tcp --dport 80 -j REJECT --reject-with tcp-reset
sleep 1
RMAC=$(ip netns exec $A cat /sys/class/net/r0/address)
# static neighbours both ways (the capture socket bypasses ARP)
ip -n $B neigh add 198.51.100.1 lladdr $RMAC dev h0 nud permanent; HMAC=$(ip netns exec $B cat /sys/class/net/h0/address); ip -n $A neigh add 198.51.100.2 lladdr $HMAC dev r0 nud permanent
ip netns exec $B python3 "$(dirname "$0")/capture.py" $RMAC
uname -r
