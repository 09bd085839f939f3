//! Listings captured from the real iptables 1.8.9 (nf_tables backend) in a network
//! namespace, compared byte for byte with ruta's. The setup commands below were run as
//! `ip netns exec ruta-h-nf iptables-nft <words>` in this order, then each listing command
//! as `ip netns exec ruta-h-nf iptables-nft <words>` (the comment above each case), and
//! `iptables-nft-save`.

use crate::Ruleset;

/// The commands given to the real iptables (words after `iptables`).
pub(crate) const SETUP: &[&str] = &[
    "-N cnt",
    "-A cnt -c 999 99999 -j ACCEPT",
    "-A cnt -c 100000 123456789 -p tcp -j DROP",
    "-A cnt -c 99999999 9999999999 -j RETURN",
    "-A cnt -c 1234567890123 98765432109876 -j ACCEPT",
    "-A OUTPUT -c 5 500 -j cnt",
    "-t mangle -A PREROUTING -p tcp --dport 80 -s 192.168.99.0/24 -j MARK --set-mark 4",
    "-t mangle -A PREROUTING -p tcp --dport 443 -s 192.168.99.0/24 -j MARK --set-mark 4",
    "-t nat -A POSTROUTING -o eth4 -j SNAT --to-source 67.17.28.12",
    "-t nat -A POSTROUTING -o eth1 -j SNAT --to-source 205.254.211.179",
    "-N web",
    "-N LOGDROP",
    "-A INPUT -i lo -j ACCEPT",
    "-A INPUT -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT",
    "-A INPUT -m state --state INVALID -j DROP",
    "-A INPUT -p icmp --icmp-type echo-request -j ACCEPT",
    "-A INPUT -p icmp --icmp-type 3/4 -j ACCEPT",
    "-A INPUT -p icmp ! --icmp-type 8 -j ACCEPT",
    "-A INPUT -p icmp --icmp-type any -j ACCEPT",
    "-A INPUT -p tcp -m multiport --dports 22,80,443,8000:8080 -j web",
    "-A INPUT -p udp -m multiport ! --sports 53,123 -j DROP",
    "-A INPUT -p tcp -m multiport --ports 1:1023 -j ACCEPT",
    "-A INPUT ! -s 10.0.0.0/255.0.0.0 -d 198.51.100.7 -p udp --dport 1000:2000 -j REJECT",
    "-A INPUT -p tcp --sport :1023 --dport 1024: -j REJECT --reject-with tcp-reset",
    "-A INPUT -p tcp ! --sport 5 ! --dport 7 -j REJECT --reject-with icmp-host-prohibited",
    "-A FORWARD -i eth+ ! -o ppp0 -j LOGDROP",
    "-A INPUT -f -j DROP",
    "-A INPUT ! -f -p 47 -j ACCEPT",
    "-A INPUT -p all -s 1.2.3.4/32 -j RETURN",
    "-A INPUT -p 6 -d 10.1.2.3/8 -j ACCEPT",
    "-A INPUT -p gre -j ACCEPT",
    "-A INPUT -p 200 -j ACCEPT",
    "-A INPUT -p icmp -j REJECT --reject-with icmp-net-unreachable",
    "-A INPUT -p icmp -j REJECT --reject-with icmp-host-unreachable",
    "-A INPUT -p icmp -j REJECT --reject-with icmp-proto-unreachable",
    "-A INPUT -p icmp -j REJECT --reject-with icmp-net-prohibited",
    "-A INPUT -p icmp -j REJECT --reject-with icmp-admin-prohibited",
    "-A INPUT -p icmp -j REJECT --reject-with icmp-port-unreachable",
    "-A INPUT -m mark --mark 0x4 -j ACCEPT",
    "-A INPUT -m mark ! --mark 4/0xff -j ACCEPT",
    "-A INPUT -m connmark --mark 1/1 -j ACCEPT",
    "-A INPUT -m connmark ! --mark 7 -j ACCEPT",
    "-A INPUT -m conntrack ! --ctstate NEW,UNTRACKED,SNAT,DNAT -j ACCEPT",
    "-A INPUT -m state --state NEW,RELATED,UNTRACKED -j ACCEPT",
    "-A INPUT -g web",
    "-A INPUT -p udp -j web",
    "-A web -p tcp --dport 80 -j ACCEPT",
    "-A web -j RETURN",
    "-A LOGDROP -j DROP",
    "-A FORWARD -i eth0 -o eth4 -j ACCEPT",
    "-P FORWARD DROP",
    "-t mangle -N mk",
    "-t mangle -A PREROUTING -j mk",
    "-t mangle -A mk -j MARK --set-mark 4",
    "-t mangle -A mk -j MARK --set-mark 4/0xff",
    "-t mangle -A mk -j MARK --set-xmark 0x4/0xff",
    "-t mangle -A mk -j MARK --set-xmark 5",
    "-t mangle -A mk -j MARK --and-mark 0xf0",
    "-t mangle -A mk -j MARK --or-mark 0x3",
    "-t mangle -A mk -j MARK --xor-mark 0x1",
    "-t mangle -A mk -j CONNMARK --save-mark",
    "-t mangle -A mk -j CONNMARK --restore-mark",
    "-t mangle -A mk -j CONNMARK --save-mark --nfmask 0xff --ctmask 0xf0",
    "-t mangle -A mk -j CONNMARK --restore-mark --mask 0xff",
    "-t mangle -A mk -j CONNMARK --set-mark 3",
    "-t mangle -A mk -j CONNMARK --set-mark 3/0xf",
    "-t mangle -A mk -j CONNMARK --set-xmark 3/0xf",
    "-t mangle -A mk -j CONNMARK --set-xmark 3",
    "-t mangle -A FORWARD -o eth4 -j ACCEPT",
    "-t nat -A PREROUTING -d 67.17.28.10 -j DNAT --to-destination 192.168.100.17",
    "-t nat -A PREROUTING -d 67.17.28.11 -p tcp --dport 80 -j DNAT --to-destination 192.168.100.17:8080",
    "-t nat -A PREROUTING -d 67.17.28.11 -p tcp --dport 81 -j DNAT --to-destination 192.168.100.17-192.168.100.20:8080-8090 --random --persistent",
    "-t nat -A PREROUTING -d 67.17.28.0/24 -j NETMAP --to 192.168.100.0/24",
    "-t nat -A POSTROUTING -s 192.168.100.0/24 -j NETMAP --to 67.17.28.0/24",
    "-t nat -A POSTROUTING -o eth4 -j MASQUERADE",
    "-t nat -A POSTROUTING -o eth5 -p tcp -j MASQUERADE --to-ports 1024-2000 --random",
    "-t nat -A POSTROUTING -o eth6 -p udp -j MASQUERADE --to-ports 1024",
    "-t nat -A POSTROUTING -o eth7 -j SNAT --to-source 1.2.3.4-1.2.3.10 --random-fully",
    "-t nat -A POSTROUTING -o eth7 -p tcp -j SNAT --to-source 1.2.3.4:1000-2000 --random --persistent",
    "-t nat -A POSTROUTING -o eth7 -p tcp -j SNAT --to-source :1000",
    "-t nat -A INPUT -p udp -j SNAT --to-source 1.2.3.4",
    "-t nat -A OUTPUT -p udp -j DNAT --to-destination 1.2.3.4",
    "-N st",
    "-A st -m state ! --state NEW",
    "-A st -m conntrack --ctstate ESTABLISHED,RELATED,INVALID",
    "-A st -p icmp --icmp-type ping",
    "-A st -p icmp --icmp-type 200/3",
    "-A st -p icmp --icmp-type 0",
    "-A st -p icmp --icmp-type 11",
    "-A st -p icmp --icmp-type host-redirect",
    "-A st -p icmp ! --icmp-type 3/13",
    "-A st -p icmp --icmp-type 3",
    "-A st -p tcp -m multiport --dports http,20:21",
    "-A st -p tcp --dport 0:65535",
    "-A st -s 10.1.2.3/255.0.255.0 -d 0/0",
    "-A st -j MARK --set-mark 0",
    "-A st -j CONNMARK --save-mark --mask 0xff",
    "-A st -j CONNMARK --restore-mark --nfmask 1 --ctmask 2",
    "-A st -j CONNMARK --and-mark 0xf",
    "-A st -j CONNMARK --or-mark 0xf",
    "-A st -p tcp ! --dport 1:5 --sport 7:7",
    "-A st -i eth0 ! -o eth1 -p udp -m multiport --ports 5,6:7 -j ACCEPT",
    "-A st -p tcp -m multiport ! --dports 1",
    "-A st -p udp --sport 53 --dport 1024:",
    "-A st -p udp -m udp ! --sport 53",
    "-A st ! -p tcp -s 198.18.0.0/15",
    "-A st -p esp",
    "-A st -p udplite",
    "-A st -p sctp",
    "-A st -i ppp+ -m mark --mark 0x10/0x10 -m connmark --mark 0 -g LOGDROP",
    "-A st -p tcp -m tcp --dport ssh -m multiport --sports 1,2,3 -m conntrack --ctstate NEW -j ACCEPT",
    "-A st -c 7 8",
    "-A st -p tcp -m multiport --dports 1,2,3,4,5,6,7,8,9,10,11,12,13,14,15",
    "-t nat -A PREROUTING -j NETMAP --to 1.2.3.4",
    "-t nat -A POSTROUTING -p udp -j MASQUERADE --random-fully",
    "-t nat -A POSTROUTING -p udp -j SNAT --to-source 1.2.3.4:5-6",
    "-t nat -A PREROUTING -p tcp -j DNAT --to-destination :8080",
];

/// (words after `iptables`, what iptables 1.8.9 printed).
const CASES: &[(&str, &str)] = &[
    // ip netns exec ruta-h-nf iptables-nft -t filter -nvL
    (
        "-t filter -nvL",
        r##"Chain INPUT (policy ACCEPT 0 packets, 0 bytes)
 pkts bytes target     prot opt in     out     source               destination         
    0     0 ACCEPT     0    --  lo     *       0.0.0.0/0            0.0.0.0/0           
    0     0 ACCEPT     0    --  *      *       0.0.0.0/0            0.0.0.0/0            ctstate RELATED,ESTABLISHED
    0     0 DROP       0    --  *      *       0.0.0.0/0            0.0.0.0/0            state INVALID
    0     0 ACCEPT     1    --  *      *       0.0.0.0/0            0.0.0.0/0            icmptype 8
    0     0 ACCEPT     1    --  *      *       0.0.0.0/0            0.0.0.0/0            icmptype 3 code 4
    0     0 ACCEPT     1    --  *      *       0.0.0.0/0            0.0.0.0/0            icmp !type 8
    0     0 ACCEPT     1    --  *      *       0.0.0.0/0            0.0.0.0/0            icmptype 255
    0     0 web        6    --  *      *       0.0.0.0/0            0.0.0.0/0            multiport dports 22,80,443,8000:8080
    0     0 DROP       17   --  *      *       0.0.0.0/0            0.0.0.0/0            multiport sports  !53,123
    0     0 ACCEPT     6    --  *      *       0.0.0.0/0            0.0.0.0/0            multiport ports 1:1023
    0     0 REJECT     17   --  *      *      !10.0.0.0/8           198.51.100.7         udp dpts:1000:2000 reject-with icmp-port-unreachable
    0     0 REJECT     6    --  *      *       0.0.0.0/0            0.0.0.0/0            tcp spts:0:1023 dpts:1024:65535 reject-with tcp-reset
    0     0 REJECT     6    --  *      *       0.0.0.0/0            0.0.0.0/0            tcp spt:!5 dpt:!7 reject-with icmp-host-prohibited
    0     0 DROP       0    -f  *      *       0.0.0.0/0            0.0.0.0/0           
    0     0 ACCEPT     47   !f  *      *       0.0.0.0/0            0.0.0.0/0           
    0     0 RETURN     0    --  *      *       1.2.3.4              0.0.0.0/0           
    0     0 ACCEPT     6    --  *      *       0.0.0.0/0            10.0.0.0/8          
    0     0 ACCEPT     47   --  *      *       0.0.0.0/0            0.0.0.0/0           
    0     0 ACCEPT     200  --  *      *       0.0.0.0/0            0.0.0.0/0           
    0     0 REJECT     1    --  *      *       0.0.0.0/0            0.0.0.0/0            reject-with icmp-net-unreachable
    0     0 REJECT     1    --  *      *       0.0.0.0/0            0.0.0.0/0            reject-with icmp-host-unreachable
    0     0 REJECT     1    --  *      *       0.0.0.0/0            0.0.0.0/0            reject-with icmp-proto-unreachable
    0     0 REJECT     1    --  *      *       0.0.0.0/0            0.0.0.0/0            reject-with icmp-net-prohibited
    0     0 REJECT     1    --  *      *       0.0.0.0/0            0.0.0.0/0            reject-with icmp-admin-prohibited
    0     0 REJECT     1    --  *      *       0.0.0.0/0            0.0.0.0/0            reject-with icmp-port-unreachable
    0     0 ACCEPT     0    --  *      *       0.0.0.0/0            0.0.0.0/0            mark match 0x4
    0     0 ACCEPT     0    --  *      *       0.0.0.0/0            0.0.0.0/0            mark match ! 0x4/0xff
    0     0 ACCEPT     0    --  *      *       0.0.0.0/0            0.0.0.0/0            connmark match  0x1/0x1
    0     0 ACCEPT     0    --  *      *       0.0.0.0/0            0.0.0.0/0            connmark match ! 0x7
    0     0 ACCEPT     0    --  *      *       0.0.0.0/0            0.0.0.0/0            ! ctstate NEW,UNTRACKED,SNAT,DNAT
    0     0 ACCEPT     0    --  *      *       0.0.0.0/0            0.0.0.0/0            state NEW,RELATED,UNTRACKED
    0     0 web        0    --  *      *       0.0.0.0/0            0.0.0.0/0           [goto] 
    0     0 web        17   --  *      *       0.0.0.0/0            0.0.0.0/0           

Chain FORWARD (policy DROP 0 packets, 0 bytes)
 pkts bytes target     prot opt in     out     source               destination         
    0     0 LOGDROP    0    --  eth+   !ppp0   0.0.0.0/0            0.0.0.0/0           
    0     0 ACCEPT     0    --  eth0   eth4    0.0.0.0/0            0.0.0.0/0           

Chain OUTPUT (policy ACCEPT 0 packets, 0 bytes)
 pkts bytes target     prot opt in     out     source               destination         
    5   500 cnt        0    --  *      *       0.0.0.0/0            0.0.0.0/0           

Chain LOGDROP (2 references)
 pkts bytes target     prot opt in     out     source               destination         
    0     0 DROP       0    --  *      *       0.0.0.0/0            0.0.0.0/0           

Chain cnt (1 references)
 pkts bytes target     prot opt in     out     source               destination         
  999 99999 ACCEPT     0    --  *      *       0.0.0.0/0            0.0.0.0/0           
 100K  123M DROP       6    --  *      *       0.0.0.0/0            0.0.0.0/0           
 100M   10G RETURN     0    --  *      *       0.0.0.0/0            0.0.0.0/0           
1235G   99T ACCEPT     0    --  *      *       0.0.0.0/0            0.0.0.0/0           

Chain st (0 references)
 pkts bytes target     prot opt in     out     source               destination         
    0     0            0    --  *      *       0.0.0.0/0            0.0.0.0/0            ! state NEW
    0     0            0    --  *      *       0.0.0.0/0            0.0.0.0/0            ctstate INVALID,RELATED,ESTABLISHED
    0     0            1    --  *      *       0.0.0.0/0            0.0.0.0/0            icmptype 8
    0     0            1    --  *      *       0.0.0.0/0            0.0.0.0/0            icmptype 200 code 3
    0     0            1    --  *      *       0.0.0.0/0            0.0.0.0/0            icmptype 0
    0     0            1    --  *      *       0.0.0.0/0            0.0.0.0/0            icmptype 11
    0     0            1    --  *      *       0.0.0.0/0            0.0.0.0/0            icmptype 5 code 1
    0     0            1    --  *      *       0.0.0.0/0            0.0.0.0/0            icmp !type 3 code 13
    0     0            1    --  *      *       0.0.0.0/0            0.0.0.0/0            icmptype 3
    0     0            6    --  *      *       0.0.0.0/0            0.0.0.0/0            multiport dports 80,20:21
    0     0            6    --  *      *       0.0.0.0/0            0.0.0.0/0            tcp
    0     0            0    --  *      *       10.0.2.0/255.0.255.0  0.0.0.0/0           
    0     0 MARK       0    --  *      *       0.0.0.0/0            0.0.0.0/0            MARK and 0x0
    0     0 CONNMARK   0    --  *      *       0.0.0.0/0            0.0.0.0/0            CONNMARK save mask 0xff
    0     0 CONNMARK   0    --  *      *       0.0.0.0/0            0.0.0.0/0            CONNMARK restore ctmask 0x2 nfmask ~0x1
    0     0 CONNMARK   0    --  *      *       0.0.0.0/0            0.0.0.0/0            CONNMARK and 0xf
    0     0 CONNMARK   0    --  *      *       0.0.0.0/0            0.0.0.0/0            CONNMARK or 0xf
    0     0            6    --  *      *       0.0.0.0/0            0.0.0.0/0            tcp spt:7 dpts:!1:5
    0     0 ACCEPT     17   --  eth0   !eth1   0.0.0.0/0            0.0.0.0/0            multiport ports 5,6:7
    0     0            6    --  *      *       0.0.0.0/0            0.0.0.0/0            multiport dports  !1
    0     0            17   --  *      *       0.0.0.0/0            0.0.0.0/0            udp spt:53 dpts:1024:65535
    0     0            17   --  *      *       0.0.0.0/0            0.0.0.0/0            udp spt:!53
    0     0           !6    --  *      *       198.18.0.0/15        0.0.0.0/0           
    0     0            50   --  *      *       0.0.0.0/0            0.0.0.0/0           
    0     0            136  --  *      *       0.0.0.0/0            0.0.0.0/0           
    0     0            132  --  *      *       0.0.0.0/0            0.0.0.0/0           
    0     0 LOGDROP    0    --  ppp+   *       0.0.0.0/0            0.0.0.0/0           [goto]  mark match 0x10/0x10 connmark match  0x0
    0     0 ACCEPT     6    --  *      *       0.0.0.0/0            0.0.0.0/0            tcp dpt:22 multiport sports 1,2,3 ctstate NEW
    7     8            0    --  *      *       0.0.0.0/0            0.0.0.0/0           
    0     0            6    --  *      *       0.0.0.0/0            0.0.0.0/0            multiport dports 1,2,3,4,5,6,7,8,9,10,11,12,13,14,15

Chain web (3 references)
 pkts bytes target     prot opt in     out     source               destination         
    0     0 ACCEPT     6    --  *      *       0.0.0.0/0            0.0.0.0/0            tcp dpt:80
    0     0 RETURN     0    --  *      *       0.0.0.0/0            0.0.0.0/0           
"##,
    ),
    // ip netns exec ruta-h-nf iptables-nft -t filter -nvL --line-numbers
    (
        "-t filter -nvL --line-numbers",
        r##"Chain INPUT (policy ACCEPT 0 packets, 0 bytes)
num   pkts bytes target     prot opt in     out     source               destination         
1        0     0 ACCEPT     0    --  lo     *       0.0.0.0/0            0.0.0.0/0           
2        0     0 ACCEPT     0    --  *      *       0.0.0.0/0            0.0.0.0/0            ctstate RELATED,ESTABLISHED
3        0     0 DROP       0    --  *      *       0.0.0.0/0            0.0.0.0/0            state INVALID
4        0     0 ACCEPT     1    --  *      *       0.0.0.0/0            0.0.0.0/0            icmptype 8
5        0     0 ACCEPT     1    --  *      *       0.0.0.0/0            0.0.0.0/0            icmptype 3 code 4
6        0     0 ACCEPT     1    --  *      *       0.0.0.0/0            0.0.0.0/0            icmp !type 8
7        0     0 ACCEPT     1    --  *      *       0.0.0.0/0            0.0.0.0/0            icmptype 255
8        0     0 web        6    --  *      *       0.0.0.0/0            0.0.0.0/0            multiport dports 22,80,443,8000:8080
9        0     0 DROP       17   --  *      *       0.0.0.0/0            0.0.0.0/0            multiport sports  !53,123
10       0     0 ACCEPT     6    --  *      *       0.0.0.0/0            0.0.0.0/0            multiport ports 1:1023
11       0     0 REJECT     17   --  *      *      !10.0.0.0/8           198.51.100.7         udp dpts:1000:2000 reject-with icmp-port-unreachable
12       0     0 REJECT     6    --  *      *       0.0.0.0/0            0.0.0.0/0            tcp spts:0:1023 dpts:1024:65535 reject-with tcp-reset
13       0     0 REJECT     6    --  *      *       0.0.0.0/0            0.0.0.0/0            tcp spt:!5 dpt:!7 reject-with icmp-host-prohibited
14       0     0 DROP       0    -f  *      *       0.0.0.0/0            0.0.0.0/0           
15       0     0 ACCEPT     47   !f  *      *       0.0.0.0/0            0.0.0.0/0           
16       0     0 RETURN     0    --  *      *       1.2.3.4              0.0.0.0/0           
17       0     0 ACCEPT     6    --  *      *       0.0.0.0/0            10.0.0.0/8          
18       0     0 ACCEPT     47   --  *      *       0.0.0.0/0            0.0.0.0/0           
19       0     0 ACCEPT     200  --  *      *       0.0.0.0/0            0.0.0.0/0           
20       0     0 REJECT     1    --  *      *       0.0.0.0/0            0.0.0.0/0            reject-with icmp-net-unreachable
21       0     0 REJECT     1    --  *      *       0.0.0.0/0            0.0.0.0/0            reject-with icmp-host-unreachable
22       0     0 REJECT     1    --  *      *       0.0.0.0/0            0.0.0.0/0            reject-with icmp-proto-unreachable
23       0     0 REJECT     1    --  *      *       0.0.0.0/0            0.0.0.0/0            reject-with icmp-net-prohibited
24       0     0 REJECT     1    --  *      *       0.0.0.0/0            0.0.0.0/0            reject-with icmp-admin-prohibited
25       0     0 REJECT     1    --  *      *       0.0.0.0/0            0.0.0.0/0            reject-with icmp-port-unreachable
26       0     0 ACCEPT     0    --  *      *       0.0.0.0/0            0.0.0.0/0            mark match 0x4
27       0     0 ACCEPT     0    --  *      *       0.0.0.0/0            0.0.0.0/0            mark match ! 0x4/0xff
28       0     0 ACCEPT     0    --  *      *       0.0.0.0/0            0.0.0.0/0            connmark match  0x1/0x1
29       0     0 ACCEPT     0    --  *      *       0.0.0.0/0            0.0.0.0/0            connmark match ! 0x7
30       0     0 ACCEPT     0    --  *      *       0.0.0.0/0            0.0.0.0/0            ! ctstate NEW,UNTRACKED,SNAT,DNAT
31       0     0 ACCEPT     0    --  *      *       0.0.0.0/0            0.0.0.0/0            state NEW,RELATED,UNTRACKED
32       0     0 web        0    --  *      *       0.0.0.0/0            0.0.0.0/0           [goto] 
33       0     0 web        17   --  *      *       0.0.0.0/0            0.0.0.0/0           

Chain FORWARD (policy DROP 0 packets, 0 bytes)
num   pkts bytes target     prot opt in     out     source               destination         
1        0     0 LOGDROP    0    --  eth+   !ppp0   0.0.0.0/0            0.0.0.0/0           
2        0     0 ACCEPT     0    --  eth0   eth4    0.0.0.0/0            0.0.0.0/0           

Chain OUTPUT (policy ACCEPT 0 packets, 0 bytes)
num   pkts bytes target     prot opt in     out     source               destination         
1        5   500 cnt        0    --  *      *       0.0.0.0/0            0.0.0.0/0           

Chain LOGDROP (2 references)
num   pkts bytes target     prot opt in     out     source               destination         
1        0     0 DROP       0    --  *      *       0.0.0.0/0            0.0.0.0/0           

Chain cnt (1 references)
num   pkts bytes target     prot opt in     out     source               destination         
1      999 99999 ACCEPT     0    --  *      *       0.0.0.0/0            0.0.0.0/0           
2     100K  123M DROP       6    --  *      *       0.0.0.0/0            0.0.0.0/0           
3     100M   10G RETURN     0    --  *      *       0.0.0.0/0            0.0.0.0/0           
4    1235G   99T ACCEPT     0    --  *      *       0.0.0.0/0            0.0.0.0/0           

Chain st (0 references)
num   pkts bytes target     prot opt in     out     source               destination         
1        0     0            0    --  *      *       0.0.0.0/0            0.0.0.0/0            ! state NEW
2        0     0            0    --  *      *       0.0.0.0/0            0.0.0.0/0            ctstate INVALID,RELATED,ESTABLISHED
3        0     0            1    --  *      *       0.0.0.0/0            0.0.0.0/0            icmptype 8
4        0     0            1    --  *      *       0.0.0.0/0            0.0.0.0/0            icmptype 200 code 3
5        0     0            1    --  *      *       0.0.0.0/0            0.0.0.0/0            icmptype 0
6        0     0            1    --  *      *       0.0.0.0/0            0.0.0.0/0            icmptype 11
7        0     0            1    --  *      *       0.0.0.0/0            0.0.0.0/0            icmptype 5 code 1
8        0     0            1    --  *      *       0.0.0.0/0            0.0.0.0/0            icmp !type 3 code 13
9        0     0            1    --  *      *       0.0.0.0/0            0.0.0.0/0            icmptype 3
10       0     0            6    --  *      *       0.0.0.0/0            0.0.0.0/0            multiport dports 80,20:21
11       0     0            6    --  *      *       0.0.0.0/0            0.0.0.0/0            tcp
12       0     0            0    --  *      *       10.0.2.0/255.0.255.0  0.0.0.0/0           
13       0     0 MARK       0    --  *      *       0.0.0.0/0            0.0.0.0/0            MARK and 0x0
14       0     0 CONNMARK   0    --  *      *       0.0.0.0/0            0.0.0.0/0            CONNMARK save mask 0xff
15       0     0 CONNMARK   0    --  *      *       0.0.0.0/0            0.0.0.0/0            CONNMARK restore ctmask 0x2 nfmask ~0x1
16       0     0 CONNMARK   0    --  *      *       0.0.0.0/0            0.0.0.0/0            CONNMARK and 0xf
17       0     0 CONNMARK   0    --  *      *       0.0.0.0/0            0.0.0.0/0            CONNMARK or 0xf
18       0     0            6    --  *      *       0.0.0.0/0            0.0.0.0/0            tcp spt:7 dpts:!1:5
19       0     0 ACCEPT     17   --  eth0   !eth1   0.0.0.0/0            0.0.0.0/0            multiport ports 5,6:7
20       0     0            6    --  *      *       0.0.0.0/0            0.0.0.0/0            multiport dports  !1
21       0     0            17   --  *      *       0.0.0.0/0            0.0.0.0/0            udp spt:53 dpts:1024:65535
22       0     0            17   --  *      *       0.0.0.0/0            0.0.0.0/0            udp spt:!53
23       0     0           !6    --  *      *       198.18.0.0/15        0.0.0.0/0           
24       0     0            50   --  *      *       0.0.0.0/0            0.0.0.0/0           
25       0     0            136  --  *      *       0.0.0.0/0            0.0.0.0/0           
26       0     0            132  --  *      *       0.0.0.0/0            0.0.0.0/0           
27       0     0 LOGDROP    0    --  ppp+   *       0.0.0.0/0            0.0.0.0/0           [goto]  mark match 0x10/0x10 connmark match  0x0
28       0     0 ACCEPT     6    --  *      *       0.0.0.0/0            0.0.0.0/0            tcp dpt:22 multiport sports 1,2,3 ctstate NEW
29       7     8            0    --  *      *       0.0.0.0/0            0.0.0.0/0           
30       0     0            6    --  *      *       0.0.0.0/0            0.0.0.0/0            multiport dports 1,2,3,4,5,6,7,8,9,10,11,12,13,14,15

Chain web (3 references)
num   pkts bytes target     prot opt in     out     source               destination         
1        0     0 ACCEPT     6    --  *      *       0.0.0.0/0            0.0.0.0/0            tcp dpt:80
2        0     0 RETURN     0    --  *      *       0.0.0.0/0            0.0.0.0/0           
"##,
    ),
    // ip netns exec ruta-h-nf iptables-nft -t filter -nL
    (
        "-t filter -nL",
        r##"Chain INPUT (policy ACCEPT)
target     prot opt source               destination         
ACCEPT     0    --  0.0.0.0/0            0.0.0.0/0           
ACCEPT     0    --  0.0.0.0/0            0.0.0.0/0            ctstate RELATED,ESTABLISHED
DROP       0    --  0.0.0.0/0            0.0.0.0/0            state INVALID
ACCEPT     1    --  0.0.0.0/0            0.0.0.0/0            icmptype 8
ACCEPT     1    --  0.0.0.0/0            0.0.0.0/0            icmptype 3 code 4
ACCEPT     1    --  0.0.0.0/0            0.0.0.0/0            icmp !type 8
ACCEPT     1    --  0.0.0.0/0            0.0.0.0/0            icmptype 255
web        6    --  0.0.0.0/0            0.0.0.0/0            multiport dports 22,80,443,8000:8080
DROP       17   --  0.0.0.0/0            0.0.0.0/0            multiport sports  !53,123
ACCEPT     6    --  0.0.0.0/0            0.0.0.0/0            multiport ports 1:1023
REJECT     17   -- !10.0.0.0/8           198.51.100.7         udp dpts:1000:2000 reject-with icmp-port-unreachable
REJECT     6    --  0.0.0.0/0            0.0.0.0/0            tcp spts:0:1023 dpts:1024:65535 reject-with tcp-reset
REJECT     6    --  0.0.0.0/0            0.0.0.0/0            tcp spt:!5 dpt:!7 reject-with icmp-host-prohibited
DROP       0    -f  0.0.0.0/0            0.0.0.0/0           
ACCEPT     47   !f  0.0.0.0/0            0.0.0.0/0           
RETURN     0    --  1.2.3.4              0.0.0.0/0           
ACCEPT     6    --  0.0.0.0/0            10.0.0.0/8          
ACCEPT     47   --  0.0.0.0/0            0.0.0.0/0           
ACCEPT     200  --  0.0.0.0/0            0.0.0.0/0           
REJECT     1    --  0.0.0.0/0            0.0.0.0/0            reject-with icmp-net-unreachable
REJECT     1    --  0.0.0.0/0            0.0.0.0/0            reject-with icmp-host-unreachable
REJECT     1    --  0.0.0.0/0            0.0.0.0/0            reject-with icmp-proto-unreachable
REJECT     1    --  0.0.0.0/0            0.0.0.0/0            reject-with icmp-net-prohibited
REJECT     1    --  0.0.0.0/0            0.0.0.0/0            reject-with icmp-admin-prohibited
REJECT     1    --  0.0.0.0/0            0.0.0.0/0            reject-with icmp-port-unreachable
ACCEPT     0    --  0.0.0.0/0            0.0.0.0/0            mark match 0x4
ACCEPT     0    --  0.0.0.0/0            0.0.0.0/0            mark match ! 0x4/0xff
ACCEPT     0    --  0.0.0.0/0            0.0.0.0/0            connmark match  0x1/0x1
ACCEPT     0    --  0.0.0.0/0            0.0.0.0/0            connmark match ! 0x7
ACCEPT     0    --  0.0.0.0/0            0.0.0.0/0            ! ctstate NEW,UNTRACKED,SNAT,DNAT
ACCEPT     0    --  0.0.0.0/0            0.0.0.0/0            state NEW,RELATED,UNTRACKED
web        0    --  0.0.0.0/0            0.0.0.0/0           [goto] 
web        17   --  0.0.0.0/0            0.0.0.0/0           

Chain FORWARD (policy DROP)
target     prot opt source               destination         
LOGDROP    0    --  0.0.0.0/0            0.0.0.0/0           
ACCEPT     0    --  0.0.0.0/0            0.0.0.0/0           

Chain OUTPUT (policy ACCEPT)
target     prot opt source               destination         
cnt        0    --  0.0.0.0/0            0.0.0.0/0           

Chain LOGDROP (2 references)
target     prot opt source               destination         
DROP       0    --  0.0.0.0/0            0.0.0.0/0           

Chain cnt (1 references)
target     prot opt source               destination         
ACCEPT     0    --  0.0.0.0/0            0.0.0.0/0           
DROP       6    --  0.0.0.0/0            0.0.0.0/0           
RETURN     0    --  0.0.0.0/0            0.0.0.0/0           
ACCEPT     0    --  0.0.0.0/0            0.0.0.0/0           

Chain st (0 references)
target     prot opt source               destination         
           0    --  0.0.0.0/0            0.0.0.0/0            ! state NEW
           0    --  0.0.0.0/0            0.0.0.0/0            ctstate INVALID,RELATED,ESTABLISHED
           1    --  0.0.0.0/0            0.0.0.0/0            icmptype 8
           1    --  0.0.0.0/0            0.0.0.0/0            icmptype 200 code 3
           1    --  0.0.0.0/0            0.0.0.0/0            icmptype 0
           1    --  0.0.0.0/0            0.0.0.0/0            icmptype 11
           1    --  0.0.0.0/0            0.0.0.0/0            icmptype 5 code 1
           1    --  0.0.0.0/0            0.0.0.0/0            icmp !type 3 code 13
           1    --  0.0.0.0/0            0.0.0.0/0            icmptype 3
           6    --  0.0.0.0/0            0.0.0.0/0            multiport dports 80,20:21
           6    --  0.0.0.0/0            0.0.0.0/0            tcp
           0    --  10.0.2.0/255.0.255.0  0.0.0.0/0           
MARK       0    --  0.0.0.0/0            0.0.0.0/0            MARK and 0x0
CONNMARK   0    --  0.0.0.0/0            0.0.0.0/0            CONNMARK save mask 0xff
CONNMARK   0    --  0.0.0.0/0            0.0.0.0/0            CONNMARK restore ctmask 0x2 nfmask ~0x1
CONNMARK   0    --  0.0.0.0/0            0.0.0.0/0            CONNMARK and 0xf
CONNMARK   0    --  0.0.0.0/0            0.0.0.0/0            CONNMARK or 0xf
           6    --  0.0.0.0/0            0.0.0.0/0            tcp spt:7 dpts:!1:5
ACCEPT     17   --  0.0.0.0/0            0.0.0.0/0            multiport ports 5,6:7
           6    --  0.0.0.0/0            0.0.0.0/0            multiport dports  !1
           17   --  0.0.0.0/0            0.0.0.0/0            udp spt:53 dpts:1024:65535
           17   --  0.0.0.0/0            0.0.0.0/0            udp spt:!53
          !6    --  198.18.0.0/15        0.0.0.0/0           
           50   --  0.0.0.0/0            0.0.0.0/0           
           136  --  0.0.0.0/0            0.0.0.0/0           
           132  --  0.0.0.0/0            0.0.0.0/0           
LOGDROP    0    --  0.0.0.0/0            0.0.0.0/0           [goto]  mark match 0x10/0x10 connmark match  0x0
ACCEPT     6    --  0.0.0.0/0            0.0.0.0/0            tcp dpt:22 multiport sports 1,2,3 ctstate NEW
           0    --  0.0.0.0/0            0.0.0.0/0           
           6    --  0.0.0.0/0            0.0.0.0/0            multiport dports 1,2,3,4,5,6,7,8,9,10,11,12,13,14,15

Chain web (3 references)
target     prot opt source               destination         
ACCEPT     6    --  0.0.0.0/0            0.0.0.0/0            tcp dpt:80
RETURN     0    --  0.0.0.0/0            0.0.0.0/0           
"##,
    ),
    // ip netns exec ruta-h-nf iptables-nft -t filter -vxnL
    (
        "-t filter -vxnL",
        r##"Chain INPUT (policy ACCEPT 0 packets, 0 bytes)
    pkts      bytes target     prot opt in     out     source               destination         
       0        0 ACCEPT     0    --  lo     *       0.0.0.0/0            0.0.0.0/0           
       0        0 ACCEPT     0    --  *      *       0.0.0.0/0            0.0.0.0/0            ctstate RELATED,ESTABLISHED
       0        0 DROP       0    --  *      *       0.0.0.0/0            0.0.0.0/0            state INVALID
       0        0 ACCEPT     1    --  *      *       0.0.0.0/0            0.0.0.0/0            icmptype 8
       0        0 ACCEPT     1    --  *      *       0.0.0.0/0            0.0.0.0/0            icmptype 3 code 4
       0        0 ACCEPT     1    --  *      *       0.0.0.0/0            0.0.0.0/0            icmp !type 8
       0        0 ACCEPT     1    --  *      *       0.0.0.0/0            0.0.0.0/0            icmptype 255
       0        0 web        6    --  *      *       0.0.0.0/0            0.0.0.0/0            multiport dports 22,80,443,8000:8080
       0        0 DROP       17   --  *      *       0.0.0.0/0            0.0.0.0/0            multiport sports  !53,123
       0        0 ACCEPT     6    --  *      *       0.0.0.0/0            0.0.0.0/0            multiport ports 1:1023
       0        0 REJECT     17   --  *      *      !10.0.0.0/8           198.51.100.7         udp dpts:1000:2000 reject-with icmp-port-unreachable
       0        0 REJECT     6    --  *      *       0.0.0.0/0            0.0.0.0/0            tcp spts:0:1023 dpts:1024:65535 reject-with tcp-reset
       0        0 REJECT     6    --  *      *       0.0.0.0/0            0.0.0.0/0            tcp spt:!5 dpt:!7 reject-with icmp-host-prohibited
       0        0 DROP       0    -f  *      *       0.0.0.0/0            0.0.0.0/0           
       0        0 ACCEPT     47   !f  *      *       0.0.0.0/0            0.0.0.0/0           
       0        0 RETURN     0    --  *      *       1.2.3.4              0.0.0.0/0           
       0        0 ACCEPT     6    --  *      *       0.0.0.0/0            10.0.0.0/8          
       0        0 ACCEPT     47   --  *      *       0.0.0.0/0            0.0.0.0/0           
       0        0 ACCEPT     200  --  *      *       0.0.0.0/0            0.0.0.0/0           
       0        0 REJECT     1    --  *      *       0.0.0.0/0            0.0.0.0/0            reject-with icmp-net-unreachable
       0        0 REJECT     1    --  *      *       0.0.0.0/0            0.0.0.0/0            reject-with icmp-host-unreachable
       0        0 REJECT     1    --  *      *       0.0.0.0/0            0.0.0.0/0            reject-with icmp-proto-unreachable
       0        0 REJECT     1    --  *      *       0.0.0.0/0            0.0.0.0/0            reject-with icmp-net-prohibited
       0        0 REJECT     1    --  *      *       0.0.0.0/0            0.0.0.0/0            reject-with icmp-admin-prohibited
       0        0 REJECT     1    --  *      *       0.0.0.0/0            0.0.0.0/0            reject-with icmp-port-unreachable
       0        0 ACCEPT     0    --  *      *       0.0.0.0/0            0.0.0.0/0            mark match 0x4
       0        0 ACCEPT     0    --  *      *       0.0.0.0/0            0.0.0.0/0            mark match ! 0x4/0xff
       0        0 ACCEPT     0    --  *      *       0.0.0.0/0            0.0.0.0/0            connmark match  0x1/0x1
       0        0 ACCEPT     0    --  *      *       0.0.0.0/0            0.0.0.0/0            connmark match ! 0x7
       0        0 ACCEPT     0    --  *      *       0.0.0.0/0            0.0.0.0/0            ! ctstate NEW,UNTRACKED,SNAT,DNAT
       0        0 ACCEPT     0    --  *      *       0.0.0.0/0            0.0.0.0/0            state NEW,RELATED,UNTRACKED
       0        0 web        0    --  *      *       0.0.0.0/0            0.0.0.0/0           [goto] 
       0        0 web        17   --  *      *       0.0.0.0/0            0.0.0.0/0           

Chain FORWARD (policy DROP 0 packets, 0 bytes)
    pkts      bytes target     prot opt in     out     source               destination         
       0        0 LOGDROP    0    --  eth+   !ppp0   0.0.0.0/0            0.0.0.0/0           
       0        0 ACCEPT     0    --  eth0   eth4    0.0.0.0/0            0.0.0.0/0           

Chain OUTPUT (policy ACCEPT 0 packets, 0 bytes)
    pkts      bytes target     prot opt in     out     source               destination         
       5      500 cnt        0    --  *      *       0.0.0.0/0            0.0.0.0/0           

Chain LOGDROP (2 references)
    pkts      bytes target     prot opt in     out     source               destination         
       0        0 DROP       0    --  *      *       0.0.0.0/0            0.0.0.0/0           

Chain cnt (1 references)
    pkts      bytes target     prot opt in     out     source               destination         
     999    99999 ACCEPT     0    --  *      *       0.0.0.0/0            0.0.0.0/0           
  100000 123456789 DROP       6    --  *      *       0.0.0.0/0            0.0.0.0/0           
99999999 9999999999 RETURN     0    --  *      *       0.0.0.0/0            0.0.0.0/0           
1234567890123 98765432109876 ACCEPT     0    --  *      *       0.0.0.0/0            0.0.0.0/0           

Chain st (0 references)
    pkts      bytes target     prot opt in     out     source               destination         
       0        0            0    --  *      *       0.0.0.0/0            0.0.0.0/0            ! state NEW
       0        0            0    --  *      *       0.0.0.0/0            0.0.0.0/0            ctstate INVALID,RELATED,ESTABLISHED
       0        0            1    --  *      *       0.0.0.0/0            0.0.0.0/0            icmptype 8
       0        0            1    --  *      *       0.0.0.0/0            0.0.0.0/0            icmptype 200 code 3
       0        0            1    --  *      *       0.0.0.0/0            0.0.0.0/0            icmptype 0
       0        0            1    --  *      *       0.0.0.0/0            0.0.0.0/0            icmptype 11
       0        0            1    --  *      *       0.0.0.0/0            0.0.0.0/0            icmptype 5 code 1
       0        0            1    --  *      *       0.0.0.0/0            0.0.0.0/0            icmp !type 3 code 13
       0        0            1    --  *      *       0.0.0.0/0            0.0.0.0/0            icmptype 3
       0        0            6    --  *      *       0.0.0.0/0            0.0.0.0/0            multiport dports 80,20:21
       0        0            6    --  *      *       0.0.0.0/0            0.0.0.0/0            tcp
       0        0            0    --  *      *       10.0.2.0/255.0.255.0  0.0.0.0/0           
       0        0 MARK       0    --  *      *       0.0.0.0/0            0.0.0.0/0            MARK and 0x0
       0        0 CONNMARK   0    --  *      *       0.0.0.0/0            0.0.0.0/0            CONNMARK save mask 0xff
       0        0 CONNMARK   0    --  *      *       0.0.0.0/0            0.0.0.0/0            CONNMARK restore ctmask 0x2 nfmask ~0x1
       0        0 CONNMARK   0    --  *      *       0.0.0.0/0            0.0.0.0/0            CONNMARK and 0xf
       0        0 CONNMARK   0    --  *      *       0.0.0.0/0            0.0.0.0/0            CONNMARK or 0xf
       0        0            6    --  *      *       0.0.0.0/0            0.0.0.0/0            tcp spt:7 dpts:!1:5
       0        0 ACCEPT     17   --  eth0   !eth1   0.0.0.0/0            0.0.0.0/0            multiport ports 5,6:7
       0        0            6    --  *      *       0.0.0.0/0            0.0.0.0/0            multiport dports  !1
       0        0            17   --  *      *       0.0.0.0/0            0.0.0.0/0            udp spt:53 dpts:1024:65535
       0        0            17   --  *      *       0.0.0.0/0            0.0.0.0/0            udp spt:!53
       0        0           !6    --  *      *       198.18.0.0/15        0.0.0.0/0           
       0        0            50   --  *      *       0.0.0.0/0            0.0.0.0/0           
       0        0            136  --  *      *       0.0.0.0/0            0.0.0.0/0           
       0        0            132  --  *      *       0.0.0.0/0            0.0.0.0/0           
       0        0 LOGDROP    0    --  ppp+   *       0.0.0.0/0            0.0.0.0/0           [goto]  mark match 0x10/0x10 connmark match  0x0
       0        0 ACCEPT     6    --  *      *       0.0.0.0/0            0.0.0.0/0            tcp dpt:22 multiport sports 1,2,3 ctstate NEW
       7        8            0    --  *      *       0.0.0.0/0            0.0.0.0/0           
       0        0            6    --  *      *       0.0.0.0/0            0.0.0.0/0            multiport dports 1,2,3,4,5,6,7,8,9,10,11,12,13,14,15

Chain web (3 references)
    pkts      bytes target     prot opt in     out     source               destination         
       0        0 ACCEPT     6    --  *      *       0.0.0.0/0            0.0.0.0/0            tcp dpt:80
       0        0 RETURN     0    --  *      *       0.0.0.0/0            0.0.0.0/0           
"##,
    ),
    // ip netns exec ruta-h-nf iptables-nft -t filter -S
    (
        "-t filter -S",
        r##"-P INPUT ACCEPT
-P FORWARD DROP
-P OUTPUT ACCEPT
-N LOGDROP
-N cnt
-N st
-N web
-A INPUT -i lo -j ACCEPT
-A INPUT -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT
-A INPUT -m state --state INVALID -j DROP
-A INPUT -p icmp -m icmp --icmp-type 8 -j ACCEPT
-A INPUT -p icmp -m icmp --icmp-type 3/4 -j ACCEPT
-A INPUT -p icmp -m icmp ! --icmp-type 8 -j ACCEPT
-A INPUT -p icmp -m icmp --icmp-type any -j ACCEPT
-A INPUT -p tcp -m multiport --dports 22,80,443,8000:8080 -j web
-A INPUT -p udp -m multiport ! --sports 53,123 -j DROP
-A INPUT -p tcp -m multiport --ports 1:1023 -j ACCEPT
-A INPUT ! -s 10.0.0.0/8 -d 198.51.100.7/32 -p udp -m udp --dport 1000:2000 -j REJECT --reject-with icmp-port-unreachable
-A INPUT -p tcp -m tcp --sport 0:1023 --dport 1024:65535 -j REJECT --reject-with tcp-reset
-A INPUT -p tcp -m tcp ! --sport 5 ! --dport 7 -j REJECT --reject-with icmp-host-prohibited
-A INPUT -f -j DROP
-A INPUT -p gre ! -f -j ACCEPT
-A INPUT -s 1.2.3.4/32 -j RETURN
-A INPUT -d 10.0.0.0/8 -p tcp -j ACCEPT
-A INPUT -p gre -j ACCEPT
-A INPUT -p 200 -j ACCEPT
-A INPUT -p icmp -j REJECT --reject-with icmp-net-unreachable
-A INPUT -p icmp -j REJECT --reject-with icmp-host-unreachable
-A INPUT -p icmp -j REJECT --reject-with icmp-proto-unreachable
-A INPUT -p icmp -j REJECT --reject-with icmp-net-prohibited
-A INPUT -p icmp -j REJECT --reject-with icmp-admin-prohibited
-A INPUT -p icmp -j REJECT --reject-with icmp-port-unreachable
-A INPUT -m mark --mark 0x4 -j ACCEPT
-A INPUT -m mark ! --mark 0x4/0xff -j ACCEPT
-A INPUT -m connmark --mark 0x1/0x1 -j ACCEPT
-A INPUT -m connmark ! --mark 0x7 -j ACCEPT
-A INPUT -m conntrack ! --ctstate NEW,UNTRACKED,SNAT,DNAT -j ACCEPT
-A INPUT -m state --state NEW,RELATED,UNTRACKED -j ACCEPT
-A INPUT -g web
-A INPUT -p udp -j web
-A FORWARD -i eth+ ! -o ppp0 -j LOGDROP
-A FORWARD -i eth0 -o eth4 -j ACCEPT
-A OUTPUT -j cnt
-A LOGDROP -j DROP
-A cnt -j ACCEPT
-A cnt -p tcp -j DROP
-A cnt -j RETURN
-A cnt -j ACCEPT
-A st -m state ! --state NEW
-A st -m conntrack --ctstate INVALID,RELATED,ESTABLISHED
-A st -p icmp -m icmp --icmp-type 8
-A st -p icmp -m icmp --icmp-type 200/3
-A st -p icmp -m icmp --icmp-type 0
-A st -p icmp -m icmp --icmp-type 11
-A st -p icmp -m icmp --icmp-type 5/1
-A st -p icmp -m icmp ! --icmp-type 3/13
-A st -p icmp -m icmp --icmp-type 3
-A st -p tcp -m multiport --dports 80,20:21
-A st -p tcp -m tcp
-A st -s 10.0.2.0/255.0.255.0
-A st -j MARK --set-xmark 0x0/0xffffffff
-A st -j CONNMARK --save-mark --nfmask 0xff --ctmask 0xff
-A st -j CONNMARK --restore-mark --nfmask 0x1 --ctmask 0x2
-A st -j CONNMARK --set-xmark 0x0/0xfffffff0
-A st -j CONNMARK --set-xmark 0xf/0xf
-A st -p tcp -m tcp --sport 7 ! --dport 1:5
-A st -i eth0 ! -o eth1 -p udp -m multiport --ports 5,6:7 -j ACCEPT
-A st -p tcp -m multiport ! --dports 1
-A st -p udp -m udp --sport 53 --dport 1024:65535
-A st -p udp -m udp ! --sport 53
-A st -s 198.18.0.0/15 ! -p tcp
-A st -p esp
-A st -p udplite
-A st -p sctp
-A st -i ppp+ -m mark --mark 0x10/0x10 -m connmark --mark 0x0 -g LOGDROP
-A st -p tcp -m tcp --dport 22 -m multiport --sports 1,2,3 -m conntrack --ctstate NEW -j ACCEPT
-A st
-A st -p tcp -m multiport --dports 1,2,3,4,5,6,7,8,9,10,11,12,13,14,15
-A web -p tcp -m tcp --dport 80 -j ACCEPT
-A web -j RETURN
"##,
    ),
    // ip netns exec ruta-h-nf iptables-nft -t filter -nL --line-numbers
    (
        "-t filter -nL --line-numbers",
        r##"Chain INPUT (policy ACCEPT)
num  target     prot opt source               destination         
1    ACCEPT     0    --  0.0.0.0/0            0.0.0.0/0           
2    ACCEPT     0    --  0.0.0.0/0            0.0.0.0/0            ctstate RELATED,ESTABLISHED
3    DROP       0    --  0.0.0.0/0            0.0.0.0/0            state INVALID
4    ACCEPT     1    --  0.0.0.0/0            0.0.0.0/0            icmptype 8
5    ACCEPT     1    --  0.0.0.0/0            0.0.0.0/0            icmptype 3 code 4
6    ACCEPT     1    --  0.0.0.0/0            0.0.0.0/0            icmp !type 8
7    ACCEPT     1    --  0.0.0.0/0            0.0.0.0/0            icmptype 255
8    web        6    --  0.0.0.0/0            0.0.0.0/0            multiport dports 22,80,443,8000:8080
9    DROP       17   --  0.0.0.0/0            0.0.0.0/0            multiport sports  !53,123
10   ACCEPT     6    --  0.0.0.0/0            0.0.0.0/0            multiport ports 1:1023
11   REJECT     17   -- !10.0.0.0/8           198.51.100.7         udp dpts:1000:2000 reject-with icmp-port-unreachable
12   REJECT     6    --  0.0.0.0/0            0.0.0.0/0            tcp spts:0:1023 dpts:1024:65535 reject-with tcp-reset
13   REJECT     6    --  0.0.0.0/0            0.0.0.0/0            tcp spt:!5 dpt:!7 reject-with icmp-host-prohibited
14   DROP       0    -f  0.0.0.0/0            0.0.0.0/0           
15   ACCEPT     47   !f  0.0.0.0/0            0.0.0.0/0           
16   RETURN     0    --  1.2.3.4              0.0.0.0/0           
17   ACCEPT     6    --  0.0.0.0/0            10.0.0.0/8          
18   ACCEPT     47   --  0.0.0.0/0            0.0.0.0/0           
19   ACCEPT     200  --  0.0.0.0/0            0.0.0.0/0           
20   REJECT     1    --  0.0.0.0/0            0.0.0.0/0            reject-with icmp-net-unreachable
21   REJECT     1    --  0.0.0.0/0            0.0.0.0/0            reject-with icmp-host-unreachable
22   REJECT     1    --  0.0.0.0/0            0.0.0.0/0            reject-with icmp-proto-unreachable
23   REJECT     1    --  0.0.0.0/0            0.0.0.0/0            reject-with icmp-net-prohibited
24   REJECT     1    --  0.0.0.0/0            0.0.0.0/0            reject-with icmp-admin-prohibited
25   REJECT     1    --  0.0.0.0/0            0.0.0.0/0            reject-with icmp-port-unreachable
26   ACCEPT     0    --  0.0.0.0/0            0.0.0.0/0            mark match 0x4
27   ACCEPT     0    --  0.0.0.0/0            0.0.0.0/0            mark match ! 0x4/0xff
28   ACCEPT     0    --  0.0.0.0/0            0.0.0.0/0            connmark match  0x1/0x1
29   ACCEPT     0    --  0.0.0.0/0            0.0.0.0/0            connmark match ! 0x7
30   ACCEPT     0    --  0.0.0.0/0            0.0.0.0/0            ! ctstate NEW,UNTRACKED,SNAT,DNAT
31   ACCEPT     0    --  0.0.0.0/0            0.0.0.0/0            state NEW,RELATED,UNTRACKED
32   web        0    --  0.0.0.0/0            0.0.0.0/0           [goto] 
33   web        17   --  0.0.0.0/0            0.0.0.0/0           

Chain FORWARD (policy DROP)
num  target     prot opt source               destination         
1    LOGDROP    0    --  0.0.0.0/0            0.0.0.0/0           
2    ACCEPT     0    --  0.0.0.0/0            0.0.0.0/0           

Chain OUTPUT (policy ACCEPT)
num  target     prot opt source               destination         
1    cnt        0    --  0.0.0.0/0            0.0.0.0/0           

Chain LOGDROP (2 references)
num  target     prot opt source               destination         
1    DROP       0    --  0.0.0.0/0            0.0.0.0/0           

Chain cnt (1 references)
num  target     prot opt source               destination         
1    ACCEPT     0    --  0.0.0.0/0            0.0.0.0/0           
2    DROP       6    --  0.0.0.0/0            0.0.0.0/0           
3    RETURN     0    --  0.0.0.0/0            0.0.0.0/0           
4    ACCEPT     0    --  0.0.0.0/0            0.0.0.0/0           

Chain st (0 references)
num  target     prot opt source               destination         
1               0    --  0.0.0.0/0            0.0.0.0/0            ! state NEW
2               0    --  0.0.0.0/0            0.0.0.0/0            ctstate INVALID,RELATED,ESTABLISHED
3               1    --  0.0.0.0/0            0.0.0.0/0            icmptype 8
4               1    --  0.0.0.0/0            0.0.0.0/0            icmptype 200 code 3
5               1    --  0.0.0.0/0            0.0.0.0/0            icmptype 0
6               1    --  0.0.0.0/0            0.0.0.0/0            icmptype 11
7               1    --  0.0.0.0/0            0.0.0.0/0            icmptype 5 code 1
8               1    --  0.0.0.0/0            0.0.0.0/0            icmp !type 3 code 13
9               1    --  0.0.0.0/0            0.0.0.0/0            icmptype 3
10              6    --  0.0.0.0/0            0.0.0.0/0            multiport dports 80,20:21
11              6    --  0.0.0.0/0            0.0.0.0/0            tcp
12              0    --  10.0.2.0/255.0.255.0  0.0.0.0/0           
13   MARK       0    --  0.0.0.0/0            0.0.0.0/0            MARK and 0x0
14   CONNMARK   0    --  0.0.0.0/0            0.0.0.0/0            CONNMARK save mask 0xff
15   CONNMARK   0    --  0.0.0.0/0            0.0.0.0/0            CONNMARK restore ctmask 0x2 nfmask ~0x1
16   CONNMARK   0    --  0.0.0.0/0            0.0.0.0/0            CONNMARK and 0xf
17   CONNMARK   0    --  0.0.0.0/0            0.0.0.0/0            CONNMARK or 0xf
18              6    --  0.0.0.0/0            0.0.0.0/0            tcp spt:7 dpts:!1:5
19   ACCEPT     17   --  0.0.0.0/0            0.0.0.0/0            multiport ports 5,6:7
20              6    --  0.0.0.0/0            0.0.0.0/0            multiport dports  !1
21              17   --  0.0.0.0/0            0.0.0.0/0            udp spt:53 dpts:1024:65535
22              17   --  0.0.0.0/0            0.0.0.0/0            udp spt:!53
23             !6    --  198.18.0.0/15        0.0.0.0/0           
24              50   --  0.0.0.0/0            0.0.0.0/0           
25              136  --  0.0.0.0/0            0.0.0.0/0           
26              132  --  0.0.0.0/0            0.0.0.0/0           
27   LOGDROP    0    --  0.0.0.0/0            0.0.0.0/0           [goto]  mark match 0x10/0x10 connmark match  0x0
28   ACCEPT     6    --  0.0.0.0/0            0.0.0.0/0            tcp dpt:22 multiport sports 1,2,3 ctstate NEW
29              0    --  0.0.0.0/0            0.0.0.0/0           
30              6    --  0.0.0.0/0            0.0.0.0/0            multiport dports 1,2,3,4,5,6,7,8,9,10,11,12,13,14,15

Chain web (3 references)
num  target     prot opt source               destination         
1    ACCEPT     6    --  0.0.0.0/0            0.0.0.0/0            tcp dpt:80
2    RETURN     0    --  0.0.0.0/0            0.0.0.0/0           
"##,
    ),
    // ip netns exec ruta-h-nf iptables-nft -t filter -vnxL --line-numbers
    (
        "-t filter -vnxL --line-numbers",
        r##"Chain INPUT (policy ACCEPT 0 packets, 0 bytes)
num      pkts      bytes target     prot opt in     out     source               destination         
1           0        0 ACCEPT     0    --  lo     *       0.0.0.0/0            0.0.0.0/0           
2           0        0 ACCEPT     0    --  *      *       0.0.0.0/0            0.0.0.0/0            ctstate RELATED,ESTABLISHED
3           0        0 DROP       0    --  *      *       0.0.0.0/0            0.0.0.0/0            state INVALID
4           0        0 ACCEPT     1    --  *      *       0.0.0.0/0            0.0.0.0/0            icmptype 8
5           0        0 ACCEPT     1    --  *      *       0.0.0.0/0            0.0.0.0/0            icmptype 3 code 4
6           0        0 ACCEPT     1    --  *      *       0.0.0.0/0            0.0.0.0/0            icmp !type 8
7           0        0 ACCEPT     1    --  *      *       0.0.0.0/0            0.0.0.0/0            icmptype 255
8           0        0 web        6    --  *      *       0.0.0.0/0            0.0.0.0/0            multiport dports 22,80,443,8000:8080
9           0        0 DROP       17   --  *      *       0.0.0.0/0            0.0.0.0/0            multiport sports  !53,123
10          0        0 ACCEPT     6    --  *      *       0.0.0.0/0            0.0.0.0/0            multiport ports 1:1023
11          0        0 REJECT     17   --  *      *      !10.0.0.0/8           198.51.100.7         udp dpts:1000:2000 reject-with icmp-port-unreachable
12          0        0 REJECT     6    --  *      *       0.0.0.0/0            0.0.0.0/0            tcp spts:0:1023 dpts:1024:65535 reject-with tcp-reset
13          0        0 REJECT     6    --  *      *       0.0.0.0/0            0.0.0.0/0            tcp spt:!5 dpt:!7 reject-with icmp-host-prohibited
14          0        0 DROP       0    -f  *      *       0.0.0.0/0            0.0.0.0/0           
15          0        0 ACCEPT     47   !f  *      *       0.0.0.0/0            0.0.0.0/0           
16          0        0 RETURN     0    --  *      *       1.2.3.4              0.0.0.0/0           
17          0        0 ACCEPT     6    --  *      *       0.0.0.0/0            10.0.0.0/8          
18          0        0 ACCEPT     47   --  *      *       0.0.0.0/0            0.0.0.0/0           
19          0        0 ACCEPT     200  --  *      *       0.0.0.0/0            0.0.0.0/0           
20          0        0 REJECT     1    --  *      *       0.0.0.0/0            0.0.0.0/0            reject-with icmp-net-unreachable
21          0        0 REJECT     1    --  *      *       0.0.0.0/0            0.0.0.0/0            reject-with icmp-host-unreachable
22          0        0 REJECT     1    --  *      *       0.0.0.0/0            0.0.0.0/0            reject-with icmp-proto-unreachable
23          0        0 REJECT     1    --  *      *       0.0.0.0/0            0.0.0.0/0            reject-with icmp-net-prohibited
24          0        0 REJECT     1    --  *      *       0.0.0.0/0            0.0.0.0/0            reject-with icmp-admin-prohibited
25          0        0 REJECT     1    --  *      *       0.0.0.0/0            0.0.0.0/0            reject-with icmp-port-unreachable
26          0        0 ACCEPT     0    --  *      *       0.0.0.0/0            0.0.0.0/0            mark match 0x4
27          0        0 ACCEPT     0    --  *      *       0.0.0.0/0            0.0.0.0/0            mark match ! 0x4/0xff
28          0        0 ACCEPT     0    --  *      *       0.0.0.0/0            0.0.0.0/0            connmark match  0x1/0x1
29          0        0 ACCEPT     0    --  *      *       0.0.0.0/0            0.0.0.0/0            connmark match ! 0x7
30          0        0 ACCEPT     0    --  *      *       0.0.0.0/0            0.0.0.0/0            ! ctstate NEW,UNTRACKED,SNAT,DNAT
31          0        0 ACCEPT     0    --  *      *       0.0.0.0/0            0.0.0.0/0            state NEW,RELATED,UNTRACKED
32          0        0 web        0    --  *      *       0.0.0.0/0            0.0.0.0/0           [goto] 
33          0        0 web        17   --  *      *       0.0.0.0/0            0.0.0.0/0           

Chain FORWARD (policy DROP 0 packets, 0 bytes)
num      pkts      bytes target     prot opt in     out     source               destination         
1           0        0 LOGDROP    0    --  eth+   !ppp0   0.0.0.0/0            0.0.0.0/0           
2           0        0 ACCEPT     0    --  eth0   eth4    0.0.0.0/0            0.0.0.0/0           

Chain OUTPUT (policy ACCEPT 0 packets, 0 bytes)
num      pkts      bytes target     prot opt in     out     source               destination         
1           5      500 cnt        0    --  *      *       0.0.0.0/0            0.0.0.0/0           

Chain LOGDROP (2 references)
num      pkts      bytes target     prot opt in     out     source               destination         
1           0        0 DROP       0    --  *      *       0.0.0.0/0            0.0.0.0/0           

Chain cnt (1 references)
num      pkts      bytes target     prot opt in     out     source               destination         
1         999    99999 ACCEPT     0    --  *      *       0.0.0.0/0            0.0.0.0/0           
2      100000 123456789 DROP       6    --  *      *       0.0.0.0/0            0.0.0.0/0           
3    99999999 9999999999 RETURN     0    --  *      *       0.0.0.0/0            0.0.0.0/0           
4    1234567890123 98765432109876 ACCEPT     0    --  *      *       0.0.0.0/0            0.0.0.0/0           

Chain st (0 references)
num      pkts      bytes target     prot opt in     out     source               destination         
1           0        0            0    --  *      *       0.0.0.0/0            0.0.0.0/0            ! state NEW
2           0        0            0    --  *      *       0.0.0.0/0            0.0.0.0/0            ctstate INVALID,RELATED,ESTABLISHED
3           0        0            1    --  *      *       0.0.0.0/0            0.0.0.0/0            icmptype 8
4           0        0            1    --  *      *       0.0.0.0/0            0.0.0.0/0            icmptype 200 code 3
5           0        0            1    --  *      *       0.0.0.0/0            0.0.0.0/0            icmptype 0
6           0        0            1    --  *      *       0.0.0.0/0            0.0.0.0/0            icmptype 11
7           0        0            1    --  *      *       0.0.0.0/0            0.0.0.0/0            icmptype 5 code 1
8           0        0            1    --  *      *       0.0.0.0/0            0.0.0.0/0            icmp !type 3 code 13
9           0        0            1    --  *      *       0.0.0.0/0            0.0.0.0/0            icmptype 3
10          0        0            6    --  *      *       0.0.0.0/0            0.0.0.0/0            multiport dports 80,20:21
11          0        0            6    --  *      *       0.0.0.0/0            0.0.0.0/0            tcp
12          0        0            0    --  *      *       10.0.2.0/255.0.255.0  0.0.0.0/0           
13          0        0 MARK       0    --  *      *       0.0.0.0/0            0.0.0.0/0            MARK and 0x0
14          0        0 CONNMARK   0    --  *      *       0.0.0.0/0            0.0.0.0/0            CONNMARK save mask 0xff
15          0        0 CONNMARK   0    --  *      *       0.0.0.0/0            0.0.0.0/0            CONNMARK restore ctmask 0x2 nfmask ~0x1
16          0        0 CONNMARK   0    --  *      *       0.0.0.0/0            0.0.0.0/0            CONNMARK and 0xf
17          0        0 CONNMARK   0    --  *      *       0.0.0.0/0            0.0.0.0/0            CONNMARK or 0xf
18          0        0            6    --  *      *       0.0.0.0/0            0.0.0.0/0            tcp spt:7 dpts:!1:5
19          0        0 ACCEPT     17   --  eth0   !eth1   0.0.0.0/0            0.0.0.0/0            multiport ports 5,6:7
20          0        0            6    --  *      *       0.0.0.0/0            0.0.0.0/0            multiport dports  !1
21          0        0            17   --  *      *       0.0.0.0/0            0.0.0.0/0            udp spt:53 dpts:1024:65535
22          0        0            17   --  *      *       0.0.0.0/0            0.0.0.0/0            udp spt:!53
23          0        0           !6    --  *      *       198.18.0.0/15        0.0.0.0/0           
24          0        0            50   --  *      *       0.0.0.0/0            0.0.0.0/0           
25          0        0            136  --  *      *       0.0.0.0/0            0.0.0.0/0           
26          0        0            132  --  *      *       0.0.0.0/0            0.0.0.0/0           
27          0        0 LOGDROP    0    --  ppp+   *       0.0.0.0/0            0.0.0.0/0           [goto]  mark match 0x10/0x10 connmark match  0x0
28          0        0 ACCEPT     6    --  *      *       0.0.0.0/0            0.0.0.0/0            tcp dpt:22 multiport sports 1,2,3 ctstate NEW
29          7        8            0    --  *      *       0.0.0.0/0            0.0.0.0/0           
30          0        0            6    --  *      *       0.0.0.0/0            0.0.0.0/0            multiport dports 1,2,3,4,5,6,7,8,9,10,11,12,13,14,15

Chain web (3 references)
num      pkts      bytes target     prot opt in     out     source               destination         
1           0        0 ACCEPT     6    --  *      *       0.0.0.0/0            0.0.0.0/0            tcp dpt:80
2           0        0 RETURN     0    --  *      *       0.0.0.0/0            0.0.0.0/0           
"##,
    ),
    // ip netns exec ruta-h-nf iptables-nft -t filter -L
    (
        "-t filter -L",
        r##"Chain INPUT (policy ACCEPT)
target     prot opt source               destination         
ACCEPT     all  --  anywhere             anywhere            
ACCEPT     all  --  anywhere             anywhere             ctstate RELATED,ESTABLISHED
DROP       all  --  anywhere             anywhere             state INVALID
ACCEPT     icmp --  anywhere             anywhere             icmp echo-request
ACCEPT     icmp --  anywhere             anywhere             icmp fragmentation-needed
ACCEPT     icmp --  anywhere             anywhere             icmp !echo-request
ACCEPT     icmp --  anywhere             anywhere             icmp any
web        tcp  --  anywhere             anywhere             multiport dports ssh,http,https,8000:http-alt
DROP       udp  --  anywhere             anywhere             multiport sports  !domain,ntp
ACCEPT     tcp  --  anywhere             anywhere             multiport ports tcpmux:1023
REJECT     udp  -- !10.0.0.0/8           198.51.100.7         udp dpts:1000:2000 reject-with icmp-port-unreachable
REJECT     tcp  --  anywhere             anywhere             tcp spts:0:1023 dpts:1024:65535 reject-with tcp-reset
REJECT     tcp  --  anywhere             anywhere             tcp spt:!5 dpt:!echo reject-with icmp-host-prohibited
DROP       all  -f  anywhere             anywhere            
ACCEPT     gre  !f  anywhere             anywhere            
RETURN     all  --  1.2.3.4              anywhere            
ACCEPT     tcp  --  anywhere             10.0.0.0/8          
ACCEPT     gre  --  anywhere             anywhere            
ACCEPT     200  --  anywhere             anywhere            
REJECT     icmp --  anywhere             anywhere             reject-with icmp-net-unreachable
REJECT     icmp --  anywhere             anywhere             reject-with icmp-host-unreachable
REJECT     icmp --  anywhere             anywhere             reject-with icmp-proto-unreachable
REJECT     icmp --  anywhere             anywhere             reject-with icmp-net-prohibited
REJECT     icmp --  anywhere             anywhere             reject-with icmp-admin-prohibited
REJECT     icmp --  anywhere             anywhere             reject-with icmp-port-unreachable
ACCEPT     all  --  anywhere             anywhere             mark match 0x4
ACCEPT     all  --  anywhere             anywhere             mark match ! 0x4/0xff
ACCEPT     all  --  anywhere             anywhere             connmark match  0x1/0x1
ACCEPT     all  --  anywhere             anywhere             connmark match ! 0x7
ACCEPT     all  --  anywhere             anywhere             ! ctstate NEW,UNTRACKED,SNAT,DNAT
ACCEPT     all  --  anywhere             anywhere             state NEW,RELATED,UNTRACKED
web        all  --  anywhere             anywhere            [goto] 
web        udp  --  anywhere             anywhere            

Chain FORWARD (policy DROP)
target     prot opt source               destination         
LOGDROP    all  --  anywhere             anywhere            
ACCEPT     all  --  anywhere             anywhere            

Chain OUTPUT (policy ACCEPT)
target     prot opt source               destination         
cnt        all  --  anywhere             anywhere            

Chain LOGDROP (2 references)
target     prot opt source               destination         
DROP       all  --  anywhere             anywhere            

Chain cnt (1 references)
target     prot opt source               destination         
ACCEPT     all  --  anywhere             anywhere            
DROP       tcp  --  anywhere             anywhere            
RETURN     all  --  anywhere             anywhere            
ACCEPT     all  --  anywhere             anywhere            

Chain st (0 references)
target     prot opt source               destination         
           all  --  anywhere             anywhere             ! state NEW
           all  --  anywhere             anywhere             ctstate INVALID,RELATED,ESTABLISHED
           icmp --  anywhere             anywhere             icmp echo-request
           icmp --  anywhere             anywhere             icmptype 200 code 3
           icmp --  anywhere             anywhere             icmp echo-reply
           icmp --  anywhere             anywhere             icmp time-exceeded
           icmp --  anywhere             anywhere             icmp host-redirect
           icmp --  anywhere             anywhere             icmp !communication-prohibited
           icmp --  anywhere             anywhere             icmp destination-unreachable
           tcp  --  anywhere             anywhere             multiport dports http,ftp-data:ftp
           tcp  --  anywhere             anywhere             tcp
           all  --  10.0.2.0/255.0.255.0  anywhere            
MARK       all  --  anywhere             anywhere             MARK and 0x0
CONNMARK   all  --  anywhere             anywhere             CONNMARK save mask 0xff
CONNMARK   all  --  anywhere             anywhere             CONNMARK restore ctmask 0x2 nfmask ~0x1
CONNMARK   all  --  anywhere             anywhere             CONNMARK and 0xf
CONNMARK   all  --  anywhere             anywhere             CONNMARK or 0xf
           tcp  --  anywhere             anywhere             tcp spt:echo dpts:!tcpmux:5
ACCEPT     udp  --  anywhere             anywhere             multiport ports 5,6:echo
           tcp  --  anywhere             anywhere             multiport dports  !tcpmux
           udp  --  anywhere             anywhere             udp spt:domain dpts:1024:65535
           udp  --  anywhere             anywhere             udp spt:!domain
          !tcp  --  198.18.0.0/15        anywhere            
           esp  --  anywhere             anywhere            
           udplite --  anywhere             anywhere            
           sctp --  anywhere             anywhere            
LOGDROP    all  --  anywhere             anywhere            [goto]  mark match 0x10/0x10 connmark match  0x0
ACCEPT     tcp  --  anywhere             anywhere             tcp dpt:ssh multiport sports tcpmux,2,3 ctstate NEW
           all  --  anywhere             anywhere            
           tcp  --  anywhere             anywhere             multiport dports tcpmux,2,3,4,5,6,echo,8,discard,10,systat,12,daytime,14,netstat

Chain web (3 references)
target     prot opt source               destination         
ACCEPT     tcp  --  anywhere             anywhere             tcp dpt:http
RETURN     all  --  anywhere             anywhere            
"##,
    ),
    // ip netns exec ruta-h-nf iptables-nft -t filter -vL
    (
        "-t filter -vL",
        r##"Chain INPUT (policy ACCEPT 0 packets, 0 bytes)
 pkts bytes target     prot opt in     out     source               destination         
    0     0 ACCEPT     all  --  lo     any     anywhere             anywhere            
    0     0 ACCEPT     all  --  any    any     anywhere             anywhere             ctstate RELATED,ESTABLISHED
    0     0 DROP       all  --  any    any     anywhere             anywhere             state INVALID
    0     0 ACCEPT     icmp --  any    any     anywhere             anywhere             icmp echo-request
    0     0 ACCEPT     icmp --  any    any     anywhere             anywhere             icmp fragmentation-needed
    0     0 ACCEPT     icmp --  any    any     anywhere             anywhere             icmp !echo-request
    0     0 ACCEPT     icmp --  any    any     anywhere             anywhere             icmp any
    0     0 web        tcp  --  any    any     anywhere             anywhere             multiport dports ssh,http,https,8000:http-alt
    0     0 DROP       udp  --  any    any     anywhere             anywhere             multiport sports  !domain,ntp
    0     0 ACCEPT     tcp  --  any    any     anywhere             anywhere             multiport ports tcpmux:1023
    0     0 REJECT     udp  --  any    any    !10.0.0.0/8           198.51.100.7         udp dpts:1000:2000 reject-with icmp-port-unreachable
    0     0 REJECT     tcp  --  any    any     anywhere             anywhere             tcp spts:0:1023 dpts:1024:65535 reject-with tcp-reset
    0     0 REJECT     tcp  --  any    any     anywhere             anywhere             tcp spt:!5 dpt:!echo reject-with icmp-host-prohibited
    0     0 DROP       all  -f  any    any     anywhere             anywhere            
    0     0 ACCEPT     gre  !f  any    any     anywhere             anywhere            
    0     0 RETURN     all  --  any    any     1.2.3.4              anywhere            
    0     0 ACCEPT     tcp  --  any    any     anywhere             10.0.0.0/8          
    0     0 ACCEPT     gre  --  any    any     anywhere             anywhere            
    0     0 ACCEPT     200  --  any    any     anywhere             anywhere            
    0     0 REJECT     icmp --  any    any     anywhere             anywhere             reject-with icmp-net-unreachable
    0     0 REJECT     icmp --  any    any     anywhere             anywhere             reject-with icmp-host-unreachable
    0     0 REJECT     icmp --  any    any     anywhere             anywhere             reject-with icmp-proto-unreachable
    0     0 REJECT     icmp --  any    any     anywhere             anywhere             reject-with icmp-net-prohibited
    0     0 REJECT     icmp --  any    any     anywhere             anywhere             reject-with icmp-admin-prohibited
    0     0 REJECT     icmp --  any    any     anywhere             anywhere             reject-with icmp-port-unreachable
    0     0 ACCEPT     all  --  any    any     anywhere             anywhere             mark match 0x4
    0     0 ACCEPT     all  --  any    any     anywhere             anywhere             mark match ! 0x4/0xff
    0     0 ACCEPT     all  --  any    any     anywhere             anywhere             connmark match  0x1/0x1
    0     0 ACCEPT     all  --  any    any     anywhere             anywhere             connmark match ! 0x7
    0     0 ACCEPT     all  --  any    any     anywhere             anywhere             ! ctstate NEW,UNTRACKED,SNAT,DNAT
    0     0 ACCEPT     all  --  any    any     anywhere             anywhere             state NEW,RELATED,UNTRACKED
    0     0 web        all  --  any    any     anywhere             anywhere            [goto] 
    0     0 web        udp  --  any    any     anywhere             anywhere            

Chain FORWARD (policy DROP 0 packets, 0 bytes)
 pkts bytes target     prot opt in     out     source               destination         
    0     0 LOGDROP    all  --  eth+   !ppp0   anywhere             anywhere            
    0     0 ACCEPT     all  --  eth0   eth4    anywhere             anywhere            

Chain OUTPUT (policy ACCEPT 0 packets, 0 bytes)
 pkts bytes target     prot opt in     out     source               destination         
    5   500 cnt        all  --  any    any     anywhere             anywhere            

Chain LOGDROP (2 references)
 pkts bytes target     prot opt in     out     source               destination         
    0     0 DROP       all  --  any    any     anywhere             anywhere            

Chain cnt (1 references)
 pkts bytes target     prot opt in     out     source               destination         
  999 99999 ACCEPT     all  --  any    any     anywhere             anywhere            
 100K  123M DROP       tcp  --  any    any     anywhere             anywhere            
 100M   10G RETURN     all  --  any    any     anywhere             anywhere            
1235G   99T ACCEPT     all  --  any    any     anywhere             anywhere            

Chain st (0 references)
 pkts bytes target     prot opt in     out     source               destination         
    0     0            all  --  any    any     anywhere             anywhere             ! state NEW
    0     0            all  --  any    any     anywhere             anywhere             ctstate INVALID,RELATED,ESTABLISHED
    0     0            icmp --  any    any     anywhere             anywhere             icmp echo-request
    0     0            icmp --  any    any     anywhere             anywhere             icmptype 200 code 3
    0     0            icmp --  any    any     anywhere             anywhere             icmp echo-reply
    0     0            icmp --  any    any     anywhere             anywhere             icmp time-exceeded
    0     0            icmp --  any    any     anywhere             anywhere             icmp host-redirect
    0     0            icmp --  any    any     anywhere             anywhere             icmp !communication-prohibited
    0     0            icmp --  any    any     anywhere             anywhere             icmp destination-unreachable
    0     0            tcp  --  any    any     anywhere             anywhere             multiport dports http,ftp-data:ftp
    0     0            tcp  --  any    any     anywhere             anywhere             tcp
    0     0            all  --  any    any     10.0.2.0/255.0.255.0  anywhere            
    0     0 MARK       all  --  any    any     anywhere             anywhere             MARK and 0x0
    0     0 CONNMARK   all  --  any    any     anywhere             anywhere             CONNMARK save mask 0xff
    0     0 CONNMARK   all  --  any    any     anywhere             anywhere             CONNMARK restore ctmask 0x2 nfmask ~0x1
    0     0 CONNMARK   all  --  any    any     anywhere             anywhere             CONNMARK and 0xf
    0     0 CONNMARK   all  --  any    any     anywhere             anywhere             CONNMARK or 0xf
    0     0            tcp  --  any    any     anywhere             anywhere             tcp spt:echo dpts:!tcpmux:5
    0     0 ACCEPT     udp  --  eth0   !eth1   anywhere             anywhere             multiport ports 5,6:echo
    0     0            tcp  --  any    any     anywhere             anywhere             multiport dports  !tcpmux
    0     0            udp  --  any    any     anywhere             anywhere             udp spt:domain dpts:1024:65535
    0     0            udp  --  any    any     anywhere             anywhere             udp spt:!domain
    0     0           !tcp  --  any    any     198.18.0.0/15        anywhere            
    0     0            esp  --  any    any     anywhere             anywhere            
    0     0            udplite --  any    any     anywhere             anywhere            
    0     0            sctp --  any    any     anywhere             anywhere            
    0     0 LOGDROP    all  --  ppp+   any     anywhere             anywhere            [goto]  mark match 0x10/0x10 connmark match  0x0
    0     0 ACCEPT     tcp  --  any    any     anywhere             anywhere             tcp dpt:ssh multiport sports tcpmux,2,3 ctstate NEW
    7     8            all  --  any    any     anywhere             anywhere            
    0     0            tcp  --  any    any     anywhere             anywhere             multiport dports tcpmux,2,3,4,5,6,echo,8,discard,10,systat,12,daytime,14,netstat

Chain web (3 references)
 pkts bytes target     prot opt in     out     source               destination         
    0     0 ACCEPT     tcp  --  any    any     anywhere             anywhere             tcp dpt:http
    0     0 RETURN     all  --  any    any     anywhere             anywhere            
"##,
    ),
    // ip netns exec ruta-h-nf iptables-nft -t mangle -nvL
    (
        "-t mangle -nvL",
        r##"Chain PREROUTING (policy ACCEPT 0 packets, 0 bytes)
 pkts bytes target     prot opt in     out     source               destination         
    0     0 MARK       6    --  *      *       192.168.99.0/24      0.0.0.0/0            tcp dpt:80 MARK set 0x4
    0     0 MARK       6    --  *      *       192.168.99.0/24      0.0.0.0/0            tcp dpt:443 MARK set 0x4
    0     0 mk         0    --  *      *       0.0.0.0/0            0.0.0.0/0           

Chain INPUT (policy ACCEPT 0 packets, 0 bytes)
 pkts bytes target     prot opt in     out     source               destination         

Chain FORWARD (policy ACCEPT 0 packets, 0 bytes)
 pkts bytes target     prot opt in     out     source               destination         
    0     0 ACCEPT     0    --  *      eth4    0.0.0.0/0            0.0.0.0/0           

Chain OUTPUT (policy ACCEPT 0 packets, 0 bytes)
 pkts bytes target     prot opt in     out     source               destination         

Chain POSTROUTING (policy ACCEPT 0 packets, 0 bytes)
 pkts bytes target     prot opt in     out     source               destination         

Chain mk (1 references)
 pkts bytes target     prot opt in     out     source               destination         
    0     0 MARK       0    --  *      *       0.0.0.0/0            0.0.0.0/0            MARK set 0x4
    0     0 MARK       0    --  *      *       0.0.0.0/0            0.0.0.0/0            MARK xset 0x4/0xff
    0     0 MARK       0    --  *      *       0.0.0.0/0            0.0.0.0/0            MARK xset 0x4/0xff
    0     0 MARK       0    --  *      *       0.0.0.0/0            0.0.0.0/0            MARK set 0x5
    0     0 MARK       0    --  *      *       0.0.0.0/0            0.0.0.0/0            MARK and 0xf0
    0     0 MARK       0    --  *      *       0.0.0.0/0            0.0.0.0/0            MARK or 0x3
    0     0 MARK       0    --  *      *       0.0.0.0/0            0.0.0.0/0            MARK xor 0x1
    0     0 CONNMARK   0    --  *      *       0.0.0.0/0            0.0.0.0/0            CONNMARK save
    0     0 CONNMARK   0    --  *      *       0.0.0.0/0            0.0.0.0/0            CONNMARK restore
    0     0 CONNMARK   0    --  *      *       0.0.0.0/0            0.0.0.0/0            CONNMARK save nfmask 0xff ctmask ~0xf0
    0     0 CONNMARK   0    --  *      *       0.0.0.0/0            0.0.0.0/0            CONNMARK restore mask 0xff
    0     0 CONNMARK   0    --  *      *       0.0.0.0/0            0.0.0.0/0            CONNMARK set 0x3
    0     0 CONNMARK   0    --  *      *       0.0.0.0/0            0.0.0.0/0            CONNMARK xset 0x3/0xf
    0     0 CONNMARK   0    --  *      *       0.0.0.0/0            0.0.0.0/0            CONNMARK xset 0x3/0xf
    0     0 CONNMARK   0    --  *      *       0.0.0.0/0            0.0.0.0/0            CONNMARK set 0x3
"##,
    ),
    // ip netns exec ruta-h-nf iptables-nft -t mangle -nvL --line-numbers
    (
        "-t mangle -nvL --line-numbers",
        r##"Chain PREROUTING (policy ACCEPT 0 packets, 0 bytes)
num   pkts bytes target     prot opt in     out     source               destination         
1        0     0 MARK       6    --  *      *       192.168.99.0/24      0.0.0.0/0            tcp dpt:80 MARK set 0x4
2        0     0 MARK       6    --  *      *       192.168.99.0/24      0.0.0.0/0            tcp dpt:443 MARK set 0x4
3        0     0 mk         0    --  *      *       0.0.0.0/0            0.0.0.0/0           

Chain INPUT (policy ACCEPT 0 packets, 0 bytes)
num   pkts bytes target     prot opt in     out     source               destination         

Chain FORWARD (policy ACCEPT 0 packets, 0 bytes)
num   pkts bytes target     prot opt in     out     source               destination         
1        0     0 ACCEPT     0    --  *      eth4    0.0.0.0/0            0.0.0.0/0           

Chain OUTPUT (policy ACCEPT 0 packets, 0 bytes)
num   pkts bytes target     prot opt in     out     source               destination         

Chain POSTROUTING (policy ACCEPT 0 packets, 0 bytes)
num   pkts bytes target     prot opt in     out     source               destination         

Chain mk (1 references)
num   pkts bytes target     prot opt in     out     source               destination         
1        0     0 MARK       0    --  *      *       0.0.0.0/0            0.0.0.0/0            MARK set 0x4
2        0     0 MARK       0    --  *      *       0.0.0.0/0            0.0.0.0/0            MARK xset 0x4/0xff
3        0     0 MARK       0    --  *      *       0.0.0.0/0            0.0.0.0/0            MARK xset 0x4/0xff
4        0     0 MARK       0    --  *      *       0.0.0.0/0            0.0.0.0/0            MARK set 0x5
5        0     0 MARK       0    --  *      *       0.0.0.0/0            0.0.0.0/0            MARK and 0xf0
6        0     0 MARK       0    --  *      *       0.0.0.0/0            0.0.0.0/0            MARK or 0x3
7        0     0 MARK       0    --  *      *       0.0.0.0/0            0.0.0.0/0            MARK xor 0x1
8        0     0 CONNMARK   0    --  *      *       0.0.0.0/0            0.0.0.0/0            CONNMARK save
9        0     0 CONNMARK   0    --  *      *       0.0.0.0/0            0.0.0.0/0            CONNMARK restore
10       0     0 CONNMARK   0    --  *      *       0.0.0.0/0            0.0.0.0/0            CONNMARK save nfmask 0xff ctmask ~0xf0
11       0     0 CONNMARK   0    --  *      *       0.0.0.0/0            0.0.0.0/0            CONNMARK restore mask 0xff
12       0     0 CONNMARK   0    --  *      *       0.0.0.0/0            0.0.0.0/0            CONNMARK set 0x3
13       0     0 CONNMARK   0    --  *      *       0.0.0.0/0            0.0.0.0/0            CONNMARK xset 0x3/0xf
14       0     0 CONNMARK   0    --  *      *       0.0.0.0/0            0.0.0.0/0            CONNMARK xset 0x3/0xf
15       0     0 CONNMARK   0    --  *      *       0.0.0.0/0            0.0.0.0/0            CONNMARK set 0x3
"##,
    ),
    // ip netns exec ruta-h-nf iptables-nft -t mangle -nL
    (
        "-t mangle -nL",
        r##"Chain PREROUTING (policy ACCEPT)
target     prot opt source               destination         
MARK       6    --  192.168.99.0/24      0.0.0.0/0            tcp dpt:80 MARK set 0x4
MARK       6    --  192.168.99.0/24      0.0.0.0/0            tcp dpt:443 MARK set 0x4
mk         0    --  0.0.0.0/0            0.0.0.0/0           

Chain INPUT (policy ACCEPT)
target     prot opt source               destination         

Chain FORWARD (policy ACCEPT)
target     prot opt source               destination         
ACCEPT     0    --  0.0.0.0/0            0.0.0.0/0           

Chain OUTPUT (policy ACCEPT)
target     prot opt source               destination         

Chain POSTROUTING (policy ACCEPT)
target     prot opt source               destination         

Chain mk (1 references)
target     prot opt source               destination         
MARK       0    --  0.0.0.0/0            0.0.0.0/0            MARK set 0x4
MARK       0    --  0.0.0.0/0            0.0.0.0/0            MARK xset 0x4/0xff
MARK       0    --  0.0.0.0/0            0.0.0.0/0            MARK xset 0x4/0xff
MARK       0    --  0.0.0.0/0            0.0.0.0/0            MARK set 0x5
MARK       0    --  0.0.0.0/0            0.0.0.0/0            MARK and 0xf0
MARK       0    --  0.0.0.0/0            0.0.0.0/0            MARK or 0x3
MARK       0    --  0.0.0.0/0            0.0.0.0/0            MARK xor 0x1
CONNMARK   0    --  0.0.0.0/0            0.0.0.0/0            CONNMARK save
CONNMARK   0    --  0.0.0.0/0            0.0.0.0/0            CONNMARK restore
CONNMARK   0    --  0.0.0.0/0            0.0.0.0/0            CONNMARK save nfmask 0xff ctmask ~0xf0
CONNMARK   0    --  0.0.0.0/0            0.0.0.0/0            CONNMARK restore mask 0xff
CONNMARK   0    --  0.0.0.0/0            0.0.0.0/0            CONNMARK set 0x3
CONNMARK   0    --  0.0.0.0/0            0.0.0.0/0            CONNMARK xset 0x3/0xf
CONNMARK   0    --  0.0.0.0/0            0.0.0.0/0            CONNMARK xset 0x3/0xf
CONNMARK   0    --  0.0.0.0/0            0.0.0.0/0            CONNMARK set 0x3
"##,
    ),
    // ip netns exec ruta-h-nf iptables-nft -t mangle -vxnL
    (
        "-t mangle -vxnL",
        r##"Chain PREROUTING (policy ACCEPT 0 packets, 0 bytes)
    pkts      bytes target     prot opt in     out     source               destination         
       0        0 MARK       6    --  *      *       192.168.99.0/24      0.0.0.0/0            tcp dpt:80 MARK set 0x4
       0        0 MARK       6    --  *      *       192.168.99.0/24      0.0.0.0/0            tcp dpt:443 MARK set 0x4
       0        0 mk         0    --  *      *       0.0.0.0/0            0.0.0.0/0           

Chain INPUT (policy ACCEPT 0 packets, 0 bytes)
    pkts      bytes target     prot opt in     out     source               destination         

Chain FORWARD (policy ACCEPT 0 packets, 0 bytes)
    pkts      bytes target     prot opt in     out     source               destination         
       0        0 ACCEPT     0    --  *      eth4    0.0.0.0/0            0.0.0.0/0           

Chain OUTPUT (policy ACCEPT 0 packets, 0 bytes)
    pkts      bytes target     prot opt in     out     source               destination         

Chain POSTROUTING (policy ACCEPT 0 packets, 0 bytes)
    pkts      bytes target     prot opt in     out     source               destination         

Chain mk (1 references)
    pkts      bytes target     prot opt in     out     source               destination         
       0        0 MARK       0    --  *      *       0.0.0.0/0            0.0.0.0/0            MARK set 0x4
       0        0 MARK       0    --  *      *       0.0.0.0/0            0.0.0.0/0            MARK xset 0x4/0xff
       0        0 MARK       0    --  *      *       0.0.0.0/0            0.0.0.0/0            MARK xset 0x4/0xff
       0        0 MARK       0    --  *      *       0.0.0.0/0            0.0.0.0/0            MARK set 0x5
       0        0 MARK       0    --  *      *       0.0.0.0/0            0.0.0.0/0            MARK and 0xf0
       0        0 MARK       0    --  *      *       0.0.0.0/0            0.0.0.0/0            MARK or 0x3
       0        0 MARK       0    --  *      *       0.0.0.0/0            0.0.0.0/0            MARK xor 0x1
       0        0 CONNMARK   0    --  *      *       0.0.0.0/0            0.0.0.0/0            CONNMARK save
       0        0 CONNMARK   0    --  *      *       0.0.0.0/0            0.0.0.0/0            CONNMARK restore
       0        0 CONNMARK   0    --  *      *       0.0.0.0/0            0.0.0.0/0            CONNMARK save nfmask 0xff ctmask ~0xf0
       0        0 CONNMARK   0    --  *      *       0.0.0.0/0            0.0.0.0/0            CONNMARK restore mask 0xff
       0        0 CONNMARK   0    --  *      *       0.0.0.0/0            0.0.0.0/0            CONNMARK set 0x3
       0        0 CONNMARK   0    --  *      *       0.0.0.0/0            0.0.0.0/0            CONNMARK xset 0x3/0xf
       0        0 CONNMARK   0    --  *      *       0.0.0.0/0            0.0.0.0/0            CONNMARK xset 0x3/0xf
       0        0 CONNMARK   0    --  *      *       0.0.0.0/0            0.0.0.0/0            CONNMARK set 0x3
"##,
    ),
    // ip netns exec ruta-h-nf iptables-nft -t mangle -S
    (
        "-t mangle -S",
        r##"-P PREROUTING ACCEPT
-P INPUT ACCEPT
-P FORWARD ACCEPT
-P OUTPUT ACCEPT
-P POSTROUTING ACCEPT
-N mk
-A PREROUTING -s 192.168.99.0/24 -p tcp -m tcp --dport 80 -j MARK --set-xmark 0x4/0xffffffff
-A PREROUTING -s 192.168.99.0/24 -p tcp -m tcp --dport 443 -j MARK --set-xmark 0x4/0xffffffff
-A PREROUTING -j mk
-A FORWARD -o eth4 -j ACCEPT
-A mk -j MARK --set-xmark 0x4/0xffffffff
-A mk -j MARK --set-xmark 0x4/0xff
-A mk -j MARK --set-xmark 0x4/0xff
-A mk -j MARK --set-xmark 0x5/0xffffffff
-A mk -j MARK --set-xmark 0x0/0xffffff0f
-A mk -j MARK --set-xmark 0x3/0x3
-A mk -j MARK --set-xmark 0x1/0x0
-A mk -j CONNMARK --save-mark --nfmask 0xffffffff --ctmask 0xffffffff
-A mk -j CONNMARK --restore-mark --nfmask 0xffffffff --ctmask 0xffffffff
-A mk -j CONNMARK --save-mark --nfmask 0xff --ctmask 0xf0
-A mk -j CONNMARK --restore-mark --nfmask 0xff --ctmask 0xff
-A mk -j CONNMARK --set-xmark 0x3/0xffffffff
-A mk -j CONNMARK --set-xmark 0x3/0xf
-A mk -j CONNMARK --set-xmark 0x3/0xf
-A mk -j CONNMARK --set-xmark 0x3/0xffffffff
"##,
    ),
    // ip netns exec ruta-h-nf iptables-nft -t mangle -nL --line-numbers
    (
        "-t mangle -nL --line-numbers",
        r##"Chain PREROUTING (policy ACCEPT)
num  target     prot opt source               destination         
1    MARK       6    --  192.168.99.0/24      0.0.0.0/0            tcp dpt:80 MARK set 0x4
2    MARK       6    --  192.168.99.0/24      0.0.0.0/0            tcp dpt:443 MARK set 0x4
3    mk         0    --  0.0.0.0/0            0.0.0.0/0           

Chain INPUT (policy ACCEPT)
num  target     prot opt source               destination         

Chain FORWARD (policy ACCEPT)
num  target     prot opt source               destination         
1    ACCEPT     0    --  0.0.0.0/0            0.0.0.0/0           

Chain OUTPUT (policy ACCEPT)
num  target     prot opt source               destination         

Chain POSTROUTING (policy ACCEPT)
num  target     prot opt source               destination         

Chain mk (1 references)
num  target     prot opt source               destination         
1    MARK       0    --  0.0.0.0/0            0.0.0.0/0            MARK set 0x4
2    MARK       0    --  0.0.0.0/0            0.0.0.0/0            MARK xset 0x4/0xff
3    MARK       0    --  0.0.0.0/0            0.0.0.0/0            MARK xset 0x4/0xff
4    MARK       0    --  0.0.0.0/0            0.0.0.0/0            MARK set 0x5
5    MARK       0    --  0.0.0.0/0            0.0.0.0/0            MARK and 0xf0
6    MARK       0    --  0.0.0.0/0            0.0.0.0/0            MARK or 0x3
7    MARK       0    --  0.0.0.0/0            0.0.0.0/0            MARK xor 0x1
8    CONNMARK   0    --  0.0.0.0/0            0.0.0.0/0            CONNMARK save
9    CONNMARK   0    --  0.0.0.0/0            0.0.0.0/0            CONNMARK restore
10   CONNMARK   0    --  0.0.0.0/0            0.0.0.0/0            CONNMARK save nfmask 0xff ctmask ~0xf0
11   CONNMARK   0    --  0.0.0.0/0            0.0.0.0/0            CONNMARK restore mask 0xff
12   CONNMARK   0    --  0.0.0.0/0            0.0.0.0/0            CONNMARK set 0x3
13   CONNMARK   0    --  0.0.0.0/0            0.0.0.0/0            CONNMARK xset 0x3/0xf
14   CONNMARK   0    --  0.0.0.0/0            0.0.0.0/0            CONNMARK xset 0x3/0xf
15   CONNMARK   0    --  0.0.0.0/0            0.0.0.0/0            CONNMARK set 0x3
"##,
    ),
    // ip netns exec ruta-h-nf iptables-nft -t mangle -vnxL --line-numbers
    (
        "-t mangle -vnxL --line-numbers",
        r##"Chain PREROUTING (policy ACCEPT 0 packets, 0 bytes)
num      pkts      bytes target     prot opt in     out     source               destination         
1           0        0 MARK       6    --  *      *       192.168.99.0/24      0.0.0.0/0            tcp dpt:80 MARK set 0x4
2           0        0 MARK       6    --  *      *       192.168.99.0/24      0.0.0.0/0            tcp dpt:443 MARK set 0x4
3           0        0 mk         0    --  *      *       0.0.0.0/0            0.0.0.0/0           

Chain INPUT (policy ACCEPT 0 packets, 0 bytes)
num      pkts      bytes target     prot opt in     out     source               destination         

Chain FORWARD (policy ACCEPT 0 packets, 0 bytes)
num      pkts      bytes target     prot opt in     out     source               destination         
1           0        0 ACCEPT     0    --  *      eth4    0.0.0.0/0            0.0.0.0/0           

Chain OUTPUT (policy ACCEPT 0 packets, 0 bytes)
num      pkts      bytes target     prot opt in     out     source               destination         

Chain POSTROUTING (policy ACCEPT 0 packets, 0 bytes)
num      pkts      bytes target     prot opt in     out     source               destination         

Chain mk (1 references)
num      pkts      bytes target     prot opt in     out     source               destination         
1           0        0 MARK       0    --  *      *       0.0.0.0/0            0.0.0.0/0            MARK set 0x4
2           0        0 MARK       0    --  *      *       0.0.0.0/0            0.0.0.0/0            MARK xset 0x4/0xff
3           0        0 MARK       0    --  *      *       0.0.0.0/0            0.0.0.0/0            MARK xset 0x4/0xff
4           0        0 MARK       0    --  *      *       0.0.0.0/0            0.0.0.0/0            MARK set 0x5
5           0        0 MARK       0    --  *      *       0.0.0.0/0            0.0.0.0/0            MARK and 0xf0
6           0        0 MARK       0    --  *      *       0.0.0.0/0            0.0.0.0/0            MARK or 0x3
7           0        0 MARK       0    --  *      *       0.0.0.0/0            0.0.0.0/0            MARK xor 0x1
8           0        0 CONNMARK   0    --  *      *       0.0.0.0/0            0.0.0.0/0            CONNMARK save
9           0        0 CONNMARK   0    --  *      *       0.0.0.0/0            0.0.0.0/0            CONNMARK restore
10          0        0 CONNMARK   0    --  *      *       0.0.0.0/0            0.0.0.0/0            CONNMARK save nfmask 0xff ctmask ~0xf0
11          0        0 CONNMARK   0    --  *      *       0.0.0.0/0            0.0.0.0/0            CONNMARK restore mask 0xff
12          0        0 CONNMARK   0    --  *      *       0.0.0.0/0            0.0.0.0/0            CONNMARK set 0x3
13          0        0 CONNMARK   0    --  *      *       0.0.0.0/0            0.0.0.0/0            CONNMARK xset 0x3/0xf
14          0        0 CONNMARK   0    --  *      *       0.0.0.0/0            0.0.0.0/0            CONNMARK xset 0x3/0xf
15          0        0 CONNMARK   0    --  *      *       0.0.0.0/0            0.0.0.0/0            CONNMARK set 0x3
"##,
    ),
    // ip netns exec ruta-h-nf iptables-nft -t mangle -L
    (
        "-t mangle -L",
        r##"Chain PREROUTING (policy ACCEPT)
target     prot opt source               destination         
MARK       tcp  --  192.168.99.0/24      anywhere             tcp dpt:http MARK set 0x4
MARK       tcp  --  192.168.99.0/24      anywhere             tcp dpt:https MARK set 0x4
mk         all  --  anywhere             anywhere            

Chain INPUT (policy ACCEPT)
target     prot opt source               destination         

Chain FORWARD (policy ACCEPT)
target     prot opt source               destination         
ACCEPT     all  --  anywhere             anywhere            

Chain OUTPUT (policy ACCEPT)
target     prot opt source               destination         

Chain POSTROUTING (policy ACCEPT)
target     prot opt source               destination         

Chain mk (1 references)
target     prot opt source               destination         
MARK       all  --  anywhere             anywhere             MARK set 0x4
MARK       all  --  anywhere             anywhere             MARK xset 0x4/0xff
MARK       all  --  anywhere             anywhere             MARK xset 0x4/0xff
MARK       all  --  anywhere             anywhere             MARK set 0x5
MARK       all  --  anywhere             anywhere             MARK and 0xf0
MARK       all  --  anywhere             anywhere             MARK or 0x3
MARK       all  --  anywhere             anywhere             MARK xor 0x1
CONNMARK   all  --  anywhere             anywhere             CONNMARK save
CONNMARK   all  --  anywhere             anywhere             CONNMARK restore
CONNMARK   all  --  anywhere             anywhere             CONNMARK save nfmask 0xff ctmask ~0xf0
CONNMARK   all  --  anywhere             anywhere             CONNMARK restore mask 0xff
CONNMARK   all  --  anywhere             anywhere             CONNMARK set 0x3
CONNMARK   all  --  anywhere             anywhere             CONNMARK xset 0x3/0xf
CONNMARK   all  --  anywhere             anywhere             CONNMARK xset 0x3/0xf
CONNMARK   all  --  anywhere             anywhere             CONNMARK set 0x3
"##,
    ),
    // ip netns exec ruta-h-nf iptables-nft -t mangle -vL
    (
        "-t mangle -vL",
        r##"Chain PREROUTING (policy ACCEPT 0 packets, 0 bytes)
 pkts bytes target     prot opt in     out     source               destination         
    0     0 MARK       tcp  --  any    any     192.168.99.0/24      anywhere             tcp dpt:http MARK set 0x4
    0     0 MARK       tcp  --  any    any     192.168.99.0/24      anywhere             tcp dpt:https MARK set 0x4
    0     0 mk         all  --  any    any     anywhere             anywhere            

Chain INPUT (policy ACCEPT 0 packets, 0 bytes)
 pkts bytes target     prot opt in     out     source               destination         

Chain FORWARD (policy ACCEPT 0 packets, 0 bytes)
 pkts bytes target     prot opt in     out     source               destination         
    0     0 ACCEPT     all  --  any    eth4    anywhere             anywhere            

Chain OUTPUT (policy ACCEPT 0 packets, 0 bytes)
 pkts bytes target     prot opt in     out     source               destination         

Chain POSTROUTING (policy ACCEPT 0 packets, 0 bytes)
 pkts bytes target     prot opt in     out     source               destination         

Chain mk (1 references)
 pkts bytes target     prot opt in     out     source               destination         
    0     0 MARK       all  --  any    any     anywhere             anywhere             MARK set 0x4
    0     0 MARK       all  --  any    any     anywhere             anywhere             MARK xset 0x4/0xff
    0     0 MARK       all  --  any    any     anywhere             anywhere             MARK xset 0x4/0xff
    0     0 MARK       all  --  any    any     anywhere             anywhere             MARK set 0x5
    0     0 MARK       all  --  any    any     anywhere             anywhere             MARK and 0xf0
    0     0 MARK       all  --  any    any     anywhere             anywhere             MARK or 0x3
    0     0 MARK       all  --  any    any     anywhere             anywhere             MARK xor 0x1
    0     0 CONNMARK   all  --  any    any     anywhere             anywhere             CONNMARK save
    0     0 CONNMARK   all  --  any    any     anywhere             anywhere             CONNMARK restore
    0     0 CONNMARK   all  --  any    any     anywhere             anywhere             CONNMARK save nfmask 0xff ctmask ~0xf0
    0     0 CONNMARK   all  --  any    any     anywhere             anywhere             CONNMARK restore mask 0xff
    0     0 CONNMARK   all  --  any    any     anywhere             anywhere             CONNMARK set 0x3
    0     0 CONNMARK   all  --  any    any     anywhere             anywhere             CONNMARK xset 0x3/0xf
    0     0 CONNMARK   all  --  any    any     anywhere             anywhere             CONNMARK xset 0x3/0xf
    0     0 CONNMARK   all  --  any    any     anywhere             anywhere             CONNMARK set 0x3
"##,
    ),
    // ip netns exec ruta-h-nf iptables-nft -t nat -nvL
    (
        "-t nat -nvL",
        r##"Chain PREROUTING (policy ACCEPT 0 packets, 0 bytes)
 pkts bytes target     prot opt in     out     source               destination         
    0     0 DNAT       0    --  *      *       0.0.0.0/0            67.17.28.10          to:192.168.100.17
    0     0 DNAT       6    --  *      *       0.0.0.0/0            67.17.28.11          tcp dpt:80 to:192.168.100.17:8080
    0     0 DNAT       6    --  *      *       0.0.0.0/0            67.17.28.11          tcp dpt:81 to:192.168.100.17-192.168.100.20:8080-8090 random persistent
    0     0 NETMAP     0    --  *      *       0.0.0.0/0            67.17.28.0/24        to:192.168.100.0/24
    0     0 NETMAP     0    --  *      *       0.0.0.0/0            0.0.0.0/0            to:1.2.3.4/32
    0     0 DNAT       6    --  *      *       0.0.0.0/0            0.0.0.0/0            to::8080

Chain INPUT (policy ACCEPT 0 packets, 0 bytes)
 pkts bytes target     prot opt in     out     source               destination         
    0     0 SNAT       17   --  *      *       0.0.0.0/0            0.0.0.0/0            to:1.2.3.4

Chain OUTPUT (policy ACCEPT 0 packets, 0 bytes)
 pkts bytes target     prot opt in     out     source               destination         
    0     0 DNAT       17   --  *      *       0.0.0.0/0            0.0.0.0/0            to:1.2.3.4

Chain POSTROUTING (policy ACCEPT 0 packets, 0 bytes)
 pkts bytes target     prot opt in     out     source               destination         
    0     0 SNAT       0    --  *      eth4    0.0.0.0/0            0.0.0.0/0            to:67.17.28.12
    0     0 SNAT       0    --  *      eth1    0.0.0.0/0            0.0.0.0/0            to:205.254.211.179
    0     0 NETMAP     0    --  *      *       192.168.100.0/24     0.0.0.0/0            to:67.17.28.0/24
    0     0 MASQUERADE  0    --  *      eth4    0.0.0.0/0            0.0.0.0/0           
    0     0 MASQUERADE  6    --  *      eth5    0.0.0.0/0            0.0.0.0/0            masq ports: 1024-2000 random
    0     0 MASQUERADE  17   --  *      eth6    0.0.0.0/0            0.0.0.0/0            masq ports: 1024
    0     0 SNAT       0    --  *      eth7    0.0.0.0/0            0.0.0.0/0            to:1.2.3.4-1.2.3.10 random-fully
    0     0 SNAT       6    --  *      eth7    0.0.0.0/0            0.0.0.0/0            to:1.2.3.4:1000-2000 random persistent
    0     0 SNAT       6    --  *      eth7    0.0.0.0/0            0.0.0.0/0            to::1000
    0     0 MASQUERADE  17   --  *      *       0.0.0.0/0            0.0.0.0/0            random-fully
    0     0 SNAT       17   --  *      *       0.0.0.0/0            0.0.0.0/0            to:1.2.3.4:5-6
"##,
    ),
    // ip netns exec ruta-h-nf iptables-nft -t nat -nvL --line-numbers
    (
        "-t nat -nvL --line-numbers",
        r##"Chain PREROUTING (policy ACCEPT 0 packets, 0 bytes)
num   pkts bytes target     prot opt in     out     source               destination         
1        0     0 DNAT       0    --  *      *       0.0.0.0/0            67.17.28.10          to:192.168.100.17
2        0     0 DNAT       6    --  *      *       0.0.0.0/0            67.17.28.11          tcp dpt:80 to:192.168.100.17:8080
3        0     0 DNAT       6    --  *      *       0.0.0.0/0            67.17.28.11          tcp dpt:81 to:192.168.100.17-192.168.100.20:8080-8090 random persistent
4        0     0 NETMAP     0    --  *      *       0.0.0.0/0            67.17.28.0/24        to:192.168.100.0/24
5        0     0 NETMAP     0    --  *      *       0.0.0.0/0            0.0.0.0/0            to:1.2.3.4/32
6        0     0 DNAT       6    --  *      *       0.0.0.0/0            0.0.0.0/0            to::8080

Chain INPUT (policy ACCEPT 0 packets, 0 bytes)
num   pkts bytes target     prot opt in     out     source               destination         
1        0     0 SNAT       17   --  *      *       0.0.0.0/0            0.0.0.0/0            to:1.2.3.4

Chain OUTPUT (policy ACCEPT 0 packets, 0 bytes)
num   pkts bytes target     prot opt in     out     source               destination         
1        0     0 DNAT       17   --  *      *       0.0.0.0/0            0.0.0.0/0            to:1.2.3.4

Chain POSTROUTING (policy ACCEPT 0 packets, 0 bytes)
num   pkts bytes target     prot opt in     out     source               destination         
1        0     0 SNAT       0    --  *      eth4    0.0.0.0/0            0.0.0.0/0            to:67.17.28.12
2        0     0 SNAT       0    --  *      eth1    0.0.0.0/0            0.0.0.0/0            to:205.254.211.179
3        0     0 NETMAP     0    --  *      *       192.168.100.0/24     0.0.0.0/0            to:67.17.28.0/24
4        0     0 MASQUERADE  0    --  *      eth4    0.0.0.0/0            0.0.0.0/0           
5        0     0 MASQUERADE  6    --  *      eth5    0.0.0.0/0            0.0.0.0/0            masq ports: 1024-2000 random
6        0     0 MASQUERADE  17   --  *      eth6    0.0.0.0/0            0.0.0.0/0            masq ports: 1024
7        0     0 SNAT       0    --  *      eth7    0.0.0.0/0            0.0.0.0/0            to:1.2.3.4-1.2.3.10 random-fully
8        0     0 SNAT       6    --  *      eth7    0.0.0.0/0            0.0.0.0/0            to:1.2.3.4:1000-2000 random persistent
9        0     0 SNAT       6    --  *      eth7    0.0.0.0/0            0.0.0.0/0            to::1000
10       0     0 MASQUERADE  17   --  *      *       0.0.0.0/0            0.0.0.0/0            random-fully
11       0     0 SNAT       17   --  *      *       0.0.0.0/0            0.0.0.0/0            to:1.2.3.4:5-6
"##,
    ),
    // ip netns exec ruta-h-nf iptables-nft -t nat -nL
    (
        "-t nat -nL",
        r##"Chain PREROUTING (policy ACCEPT)
target     prot opt source               destination         
DNAT       0    --  0.0.0.0/0            67.17.28.10          to:192.168.100.17
DNAT       6    --  0.0.0.0/0            67.17.28.11          tcp dpt:80 to:192.168.100.17:8080
DNAT       6    --  0.0.0.0/0            67.17.28.11          tcp dpt:81 to:192.168.100.17-192.168.100.20:8080-8090 random persistent
NETMAP     0    --  0.0.0.0/0            67.17.28.0/24        to:192.168.100.0/24
NETMAP     0    --  0.0.0.0/0            0.0.0.0/0            to:1.2.3.4/32
DNAT       6    --  0.0.0.0/0            0.0.0.0/0            to::8080

Chain INPUT (policy ACCEPT)
target     prot opt source               destination         
SNAT       17   --  0.0.0.0/0            0.0.0.0/0            to:1.2.3.4

Chain OUTPUT (policy ACCEPT)
target     prot opt source               destination         
DNAT       17   --  0.0.0.0/0            0.0.0.0/0            to:1.2.3.4

Chain POSTROUTING (policy ACCEPT)
target     prot opt source               destination         
SNAT       0    --  0.0.0.0/0            0.0.0.0/0            to:67.17.28.12
SNAT       0    --  0.0.0.0/0            0.0.0.0/0            to:205.254.211.179
NETMAP     0    --  192.168.100.0/24     0.0.0.0/0            to:67.17.28.0/24
MASQUERADE  0    --  0.0.0.0/0            0.0.0.0/0           
MASQUERADE  6    --  0.0.0.0/0            0.0.0.0/0            masq ports: 1024-2000 random
MASQUERADE  17   --  0.0.0.0/0            0.0.0.0/0            masq ports: 1024
SNAT       0    --  0.0.0.0/0            0.0.0.0/0            to:1.2.3.4-1.2.3.10 random-fully
SNAT       6    --  0.0.0.0/0            0.0.0.0/0            to:1.2.3.4:1000-2000 random persistent
SNAT       6    --  0.0.0.0/0            0.0.0.0/0            to::1000
MASQUERADE  17   --  0.0.0.0/0            0.0.0.0/0            random-fully
SNAT       17   --  0.0.0.0/0            0.0.0.0/0            to:1.2.3.4:5-6
"##,
    ),
    // ip netns exec ruta-h-nf iptables-nft -t nat -vxnL
    (
        "-t nat -vxnL",
        r##"Chain PREROUTING (policy ACCEPT 0 packets, 0 bytes)
    pkts      bytes target     prot opt in     out     source               destination         
       0        0 DNAT       0    --  *      *       0.0.0.0/0            67.17.28.10          to:192.168.100.17
       0        0 DNAT       6    --  *      *       0.0.0.0/0            67.17.28.11          tcp dpt:80 to:192.168.100.17:8080
       0        0 DNAT       6    --  *      *       0.0.0.0/0            67.17.28.11          tcp dpt:81 to:192.168.100.17-192.168.100.20:8080-8090 random persistent
       0        0 NETMAP     0    --  *      *       0.0.0.0/0            67.17.28.0/24        to:192.168.100.0/24
       0        0 NETMAP     0    --  *      *       0.0.0.0/0            0.0.0.0/0            to:1.2.3.4/32
       0        0 DNAT       6    --  *      *       0.0.0.0/0            0.0.0.0/0            to::8080

Chain INPUT (policy ACCEPT 0 packets, 0 bytes)
    pkts      bytes target     prot opt in     out     source               destination         
       0        0 SNAT       17   --  *      *       0.0.0.0/0            0.0.0.0/0            to:1.2.3.4

Chain OUTPUT (policy ACCEPT 0 packets, 0 bytes)
    pkts      bytes target     prot opt in     out     source               destination         
       0        0 DNAT       17   --  *      *       0.0.0.0/0            0.0.0.0/0            to:1.2.3.4

Chain POSTROUTING (policy ACCEPT 0 packets, 0 bytes)
    pkts      bytes target     prot opt in     out     source               destination         
       0        0 SNAT       0    --  *      eth4    0.0.0.0/0            0.0.0.0/0            to:67.17.28.12
       0        0 SNAT       0    --  *      eth1    0.0.0.0/0            0.0.0.0/0            to:205.254.211.179
       0        0 NETMAP     0    --  *      *       192.168.100.0/24     0.0.0.0/0            to:67.17.28.0/24
       0        0 MASQUERADE  0    --  *      eth4    0.0.0.0/0            0.0.0.0/0           
       0        0 MASQUERADE  6    --  *      eth5    0.0.0.0/0            0.0.0.0/0            masq ports: 1024-2000 random
       0        0 MASQUERADE  17   --  *      eth6    0.0.0.0/0            0.0.0.0/0            masq ports: 1024
       0        0 SNAT       0    --  *      eth7    0.0.0.0/0            0.0.0.0/0            to:1.2.3.4-1.2.3.10 random-fully
       0        0 SNAT       6    --  *      eth7    0.0.0.0/0            0.0.0.0/0            to:1.2.3.4:1000-2000 random persistent
       0        0 SNAT       6    --  *      eth7    0.0.0.0/0            0.0.0.0/0            to::1000
       0        0 MASQUERADE  17   --  *      *       0.0.0.0/0            0.0.0.0/0            random-fully
       0        0 SNAT       17   --  *      *       0.0.0.0/0            0.0.0.0/0            to:1.2.3.4:5-6
"##,
    ),
    // ip netns exec ruta-h-nf iptables-nft -t nat -S
    (
        "-t nat -S",
        r##"-P PREROUTING ACCEPT
-P INPUT ACCEPT
-P OUTPUT ACCEPT
-P POSTROUTING ACCEPT
-A PREROUTING -d 67.17.28.10/32 -j DNAT --to-destination 192.168.100.17
-A PREROUTING -d 67.17.28.11/32 -p tcp -m tcp --dport 80 -j DNAT --to-destination 192.168.100.17:8080
-A PREROUTING -d 67.17.28.11/32 -p tcp -m tcp --dport 81 -j DNAT --to-destination 192.168.100.17-192.168.100.20:8080-8090 --random --persistent
-A PREROUTING -d 67.17.28.0/24 -j NETMAP --to 192.168.100.0/24
-A PREROUTING -j NETMAP --to 1.2.3.4/32
-A PREROUTING -p tcp -j DNAT --to-destination :8080
-A INPUT -p udp -j SNAT --to-source 1.2.3.4
-A OUTPUT -p udp -j DNAT --to-destination 1.2.3.4
-A POSTROUTING -o eth4 -j SNAT --to-source 67.17.28.12
-A POSTROUTING -o eth1 -j SNAT --to-source 205.254.211.179
-A POSTROUTING -s 192.168.100.0/24 -j NETMAP --to 67.17.28.0/24
-A POSTROUTING -o eth4 -j MASQUERADE
-A POSTROUTING -o eth5 -p tcp -j MASQUERADE --to-ports 1024-2000 --random
-A POSTROUTING -o eth6 -p udp -j MASQUERADE --to-ports 1024
-A POSTROUTING -o eth7 -j SNAT --to-source 1.2.3.4-1.2.3.10 --random-fully
-A POSTROUTING -o eth7 -p tcp -j SNAT --to-source 1.2.3.4:1000-2000 --random --persistent
-A POSTROUTING -o eth7 -p tcp -j SNAT --to-source :1000
-A POSTROUTING -p udp -j MASQUERADE --random-fully
-A POSTROUTING -p udp -j SNAT --to-source 1.2.3.4:5-6
"##,
    ),
    // ip netns exec ruta-h-nf iptables-nft -t nat -nL --line-numbers
    (
        "-t nat -nL --line-numbers",
        r##"Chain PREROUTING (policy ACCEPT)
num  target     prot opt source               destination         
1    DNAT       0    --  0.0.0.0/0            67.17.28.10          to:192.168.100.17
2    DNAT       6    --  0.0.0.0/0            67.17.28.11          tcp dpt:80 to:192.168.100.17:8080
3    DNAT       6    --  0.0.0.0/0            67.17.28.11          tcp dpt:81 to:192.168.100.17-192.168.100.20:8080-8090 random persistent
4    NETMAP     0    --  0.0.0.0/0            67.17.28.0/24        to:192.168.100.0/24
5    NETMAP     0    --  0.0.0.0/0            0.0.0.0/0            to:1.2.3.4/32
6    DNAT       6    --  0.0.0.0/0            0.0.0.0/0            to::8080

Chain INPUT (policy ACCEPT)
num  target     prot opt source               destination         
1    SNAT       17   --  0.0.0.0/0            0.0.0.0/0            to:1.2.3.4

Chain OUTPUT (policy ACCEPT)
num  target     prot opt source               destination         
1    DNAT       17   --  0.0.0.0/0            0.0.0.0/0            to:1.2.3.4

Chain POSTROUTING (policy ACCEPT)
num  target     prot opt source               destination         
1    SNAT       0    --  0.0.0.0/0            0.0.0.0/0            to:67.17.28.12
2    SNAT       0    --  0.0.0.0/0            0.0.0.0/0            to:205.254.211.179
3    NETMAP     0    --  192.168.100.0/24     0.0.0.0/0            to:67.17.28.0/24
4    MASQUERADE  0    --  0.0.0.0/0            0.0.0.0/0           
5    MASQUERADE  6    --  0.0.0.0/0            0.0.0.0/0            masq ports: 1024-2000 random
6    MASQUERADE  17   --  0.0.0.0/0            0.0.0.0/0            masq ports: 1024
7    SNAT       0    --  0.0.0.0/0            0.0.0.0/0            to:1.2.3.4-1.2.3.10 random-fully
8    SNAT       6    --  0.0.0.0/0            0.0.0.0/0            to:1.2.3.4:1000-2000 random persistent
9    SNAT       6    --  0.0.0.0/0            0.0.0.0/0            to::1000
10   MASQUERADE  17   --  0.0.0.0/0            0.0.0.0/0            random-fully
11   SNAT       17   --  0.0.0.0/0            0.0.0.0/0            to:1.2.3.4:5-6
"##,
    ),
    // ip netns exec ruta-h-nf iptables-nft -t nat -vnxL --line-numbers
    (
        "-t nat -vnxL --line-numbers",
        r##"Chain PREROUTING (policy ACCEPT 0 packets, 0 bytes)
num      pkts      bytes target     prot opt in     out     source               destination         
1           0        0 DNAT       0    --  *      *       0.0.0.0/0            67.17.28.10          to:192.168.100.17
2           0        0 DNAT       6    --  *      *       0.0.0.0/0            67.17.28.11          tcp dpt:80 to:192.168.100.17:8080
3           0        0 DNAT       6    --  *      *       0.0.0.0/0            67.17.28.11          tcp dpt:81 to:192.168.100.17-192.168.100.20:8080-8090 random persistent
4           0        0 NETMAP     0    --  *      *       0.0.0.0/0            67.17.28.0/24        to:192.168.100.0/24
5           0        0 NETMAP     0    --  *      *       0.0.0.0/0            0.0.0.0/0            to:1.2.3.4/32
6           0        0 DNAT       6    --  *      *       0.0.0.0/0            0.0.0.0/0            to::8080

Chain INPUT (policy ACCEPT 0 packets, 0 bytes)
num      pkts      bytes target     prot opt in     out     source               destination         
1           0        0 SNAT       17   --  *      *       0.0.0.0/0            0.0.0.0/0            to:1.2.3.4

Chain OUTPUT (policy ACCEPT 0 packets, 0 bytes)
num      pkts      bytes target     prot opt in     out     source               destination         
1           0        0 DNAT       17   --  *      *       0.0.0.0/0            0.0.0.0/0            to:1.2.3.4

Chain POSTROUTING (policy ACCEPT 0 packets, 0 bytes)
num      pkts      bytes target     prot opt in     out     source               destination         
1           0        0 SNAT       0    --  *      eth4    0.0.0.0/0            0.0.0.0/0            to:67.17.28.12
2           0        0 SNAT       0    --  *      eth1    0.0.0.0/0            0.0.0.0/0            to:205.254.211.179
3           0        0 NETMAP     0    --  *      *       192.168.100.0/24     0.0.0.0/0            to:67.17.28.0/24
4           0        0 MASQUERADE  0    --  *      eth4    0.0.0.0/0            0.0.0.0/0           
5           0        0 MASQUERADE  6    --  *      eth5    0.0.0.0/0            0.0.0.0/0            masq ports: 1024-2000 random
6           0        0 MASQUERADE  17   --  *      eth6    0.0.0.0/0            0.0.0.0/0            masq ports: 1024
7           0        0 SNAT       0    --  *      eth7    0.0.0.0/0            0.0.0.0/0            to:1.2.3.4-1.2.3.10 random-fully
8           0        0 SNAT       6    --  *      eth7    0.0.0.0/0            0.0.0.0/0            to:1.2.3.4:1000-2000 random persistent
9           0        0 SNAT       6    --  *      eth7    0.0.0.0/0            0.0.0.0/0            to::1000
10          0        0 MASQUERADE  17   --  *      *       0.0.0.0/0            0.0.0.0/0            random-fully
11          0        0 SNAT       17   --  *      *       0.0.0.0/0            0.0.0.0/0            to:1.2.3.4:5-6
"##,
    ),
    // ip netns exec ruta-h-nf iptables-nft -t nat -L
    (
        "-t nat -L",
        r##"Chain PREROUTING (policy ACCEPT)
target     prot opt source               destination         
DNAT       all  --  anywhere             67.17.28.10          to:192.168.100.17
DNAT       tcp  --  anywhere             67.17.28.11          tcp dpt:http to:192.168.100.17:8080
DNAT       tcp  --  anywhere             67.17.28.11          tcp dpt:81 to:192.168.100.17-192.168.100.20:8080-8090 random persistent
NETMAP     all  --  anywhere             67.17.28.0/24        to:192.168.100.0/24
NETMAP     all  --  anywhere             anywhere             to:1.2.3.4/32
DNAT       tcp  --  anywhere             anywhere             to::8080

Chain INPUT (policy ACCEPT)
target     prot opt source               destination         
SNAT       udp  --  anywhere             anywhere             to:1.2.3.4

Chain OUTPUT (policy ACCEPT)
target     prot opt source               destination         
DNAT       udp  --  anywhere             anywhere             to:1.2.3.4

Chain POSTROUTING (policy ACCEPT)
target     prot opt source               destination         
SNAT       all  --  anywhere             anywhere             to:67.17.28.12
SNAT       all  --  anywhere             anywhere             to:205.254.211.179
NETMAP     all  --  192.168.100.0/24     anywhere             to:67.17.28.0/24
MASQUERADE  all  --  anywhere             anywhere            
MASQUERADE  tcp  --  anywhere             anywhere             masq ports: 1024-2000 random
MASQUERADE  udp  --  anywhere             anywhere             masq ports: 1024
SNAT       all  --  anywhere             anywhere             to:1.2.3.4-1.2.3.10 random-fully
SNAT       tcp  --  anywhere             anywhere             to:1.2.3.4:1000-2000 random persistent
SNAT       tcp  --  anywhere             anywhere             to::1000
MASQUERADE  udp  --  anywhere             anywhere             random-fully
SNAT       udp  --  anywhere             anywhere             to:1.2.3.4:5-6
"##,
    ),
    // ip netns exec ruta-h-nf iptables-nft -t nat -vL
    (
        "-t nat -vL",
        r##"Chain PREROUTING (policy ACCEPT 0 packets, 0 bytes)
 pkts bytes target     prot opt in     out     source               destination         
    0     0 DNAT       all  --  any    any     anywhere             67.17.28.10          to:192.168.100.17
    0     0 DNAT       tcp  --  any    any     anywhere             67.17.28.11          tcp dpt:http to:192.168.100.17:8080
    0     0 DNAT       tcp  --  any    any     anywhere             67.17.28.11          tcp dpt:81 to:192.168.100.17-192.168.100.20:8080-8090 random persistent
    0     0 NETMAP     all  --  any    any     anywhere             67.17.28.0/24        to:192.168.100.0/24
    0     0 NETMAP     all  --  any    any     anywhere             anywhere             to:1.2.3.4/32
    0     0 DNAT       tcp  --  any    any     anywhere             anywhere             to::8080

Chain INPUT (policy ACCEPT 0 packets, 0 bytes)
 pkts bytes target     prot opt in     out     source               destination         
    0     0 SNAT       udp  --  any    any     anywhere             anywhere             to:1.2.3.4

Chain OUTPUT (policy ACCEPT 0 packets, 0 bytes)
 pkts bytes target     prot opt in     out     source               destination         
    0     0 DNAT       udp  --  any    any     anywhere             anywhere             to:1.2.3.4

Chain POSTROUTING (policy ACCEPT 0 packets, 0 bytes)
 pkts bytes target     prot opt in     out     source               destination         
    0     0 SNAT       all  --  any    eth4    anywhere             anywhere             to:67.17.28.12
    0     0 SNAT       all  --  any    eth1    anywhere             anywhere             to:205.254.211.179
    0     0 NETMAP     all  --  any    any     192.168.100.0/24     anywhere             to:67.17.28.0/24
    0     0 MASQUERADE  all  --  any    eth4    anywhere             anywhere            
    0     0 MASQUERADE  tcp  --  any    eth5    anywhere             anywhere             masq ports: 1024-2000 random
    0     0 MASQUERADE  udp  --  any    eth6    anywhere             anywhere             masq ports: 1024
    0     0 SNAT       all  --  any    eth7    anywhere             anywhere             to:1.2.3.4-1.2.3.10 random-fully
    0     0 SNAT       tcp  --  any    eth7    anywhere             anywhere             to:1.2.3.4:1000-2000 random persistent
    0     0 SNAT       tcp  --  any    eth7    anywhere             anywhere             to::1000
    0     0 MASQUERADE  udp  --  any    any     anywhere             anywhere             random-fully
    0     0 SNAT       udp  --  any    any     anywhere             anywhere             to:1.2.3.4:5-6
"##,
    ),
    // ip netns exec ruta-h-nf iptables-nft -nL INPUT
    (
        "-nL INPUT",
        r##"Chain INPUT (policy ACCEPT)
target     prot opt source               destination         
ACCEPT     0    --  0.0.0.0/0            0.0.0.0/0           
ACCEPT     0    --  0.0.0.0/0            0.0.0.0/0            ctstate RELATED,ESTABLISHED
DROP       0    --  0.0.0.0/0            0.0.0.0/0            state INVALID
ACCEPT     1    --  0.0.0.0/0            0.0.0.0/0            icmptype 8
ACCEPT     1    --  0.0.0.0/0            0.0.0.0/0            icmptype 3 code 4
ACCEPT     1    --  0.0.0.0/0            0.0.0.0/0            icmp !type 8
ACCEPT     1    --  0.0.0.0/0            0.0.0.0/0            icmptype 255
web        6    --  0.0.0.0/0            0.0.0.0/0            multiport dports 22,80,443,8000:8080
DROP       17   --  0.0.0.0/0            0.0.0.0/0            multiport sports  !53,123
ACCEPT     6    --  0.0.0.0/0            0.0.0.0/0            multiport ports 1:1023
REJECT     17   -- !10.0.0.0/8           198.51.100.7         udp dpts:1000:2000 reject-with icmp-port-unreachable
REJECT     6    --  0.0.0.0/0            0.0.0.0/0            tcp spts:0:1023 dpts:1024:65535 reject-with tcp-reset
REJECT     6    --  0.0.0.0/0            0.0.0.0/0            tcp spt:!5 dpt:!7 reject-with icmp-host-prohibited
DROP       0    -f  0.0.0.0/0            0.0.0.0/0           
ACCEPT     47   !f  0.0.0.0/0            0.0.0.0/0           
RETURN     0    --  1.2.3.4              0.0.0.0/0           
ACCEPT     6    --  0.0.0.0/0            10.0.0.0/8          
ACCEPT     47   --  0.0.0.0/0            0.0.0.0/0           
ACCEPT     200  --  0.0.0.0/0            0.0.0.0/0           
REJECT     1    --  0.0.0.0/0            0.0.0.0/0            reject-with icmp-net-unreachable
REJECT     1    --  0.0.0.0/0            0.0.0.0/0            reject-with icmp-host-unreachable
REJECT     1    --  0.0.0.0/0            0.0.0.0/0            reject-with icmp-proto-unreachable
REJECT     1    --  0.0.0.0/0            0.0.0.0/0            reject-with icmp-net-prohibited
REJECT     1    --  0.0.0.0/0            0.0.0.0/0            reject-with icmp-admin-prohibited
REJECT     1    --  0.0.0.0/0            0.0.0.0/0            reject-with icmp-port-unreachable
ACCEPT     0    --  0.0.0.0/0            0.0.0.0/0            mark match 0x4
ACCEPT     0    --  0.0.0.0/0            0.0.0.0/0            mark match ! 0x4/0xff
ACCEPT     0    --  0.0.0.0/0            0.0.0.0/0            connmark match  0x1/0x1
ACCEPT     0    --  0.0.0.0/0            0.0.0.0/0            connmark match ! 0x7
ACCEPT     0    --  0.0.0.0/0            0.0.0.0/0            ! ctstate NEW,UNTRACKED,SNAT,DNAT
ACCEPT     0    --  0.0.0.0/0            0.0.0.0/0            state NEW,RELATED,UNTRACKED
web        0    --  0.0.0.0/0            0.0.0.0/0           [goto] 
web        17   --  0.0.0.0/0            0.0.0.0/0           
"##,
    ),
    // ip netns exec ruta-h-nf iptables-nft -L INPUT
    (
        "-L INPUT",
        r##"Chain INPUT (policy ACCEPT)
target     prot opt source               destination         
ACCEPT     all  --  anywhere             anywhere            
ACCEPT     all  --  anywhere             anywhere             ctstate RELATED,ESTABLISHED
DROP       all  --  anywhere             anywhere             state INVALID
ACCEPT     icmp --  anywhere             anywhere             icmp echo-request
ACCEPT     icmp --  anywhere             anywhere             icmp fragmentation-needed
ACCEPT     icmp --  anywhere             anywhere             icmp !echo-request
ACCEPT     icmp --  anywhere             anywhere             icmp any
web        tcp  --  anywhere             anywhere             multiport dports ssh,http,https,8000:http-alt
DROP       udp  --  anywhere             anywhere             multiport sports  !domain,ntp
ACCEPT     tcp  --  anywhere             anywhere             multiport ports tcpmux:1023
REJECT     udp  -- !10.0.0.0/8           198.51.100.7         udp dpts:1000:2000 reject-with icmp-port-unreachable
REJECT     tcp  --  anywhere             anywhere             tcp spts:0:1023 dpts:1024:65535 reject-with tcp-reset
REJECT     tcp  --  anywhere             anywhere             tcp spt:!5 dpt:!echo reject-with icmp-host-prohibited
DROP       all  -f  anywhere             anywhere            
ACCEPT     gre  !f  anywhere             anywhere            
RETURN     all  --  1.2.3.4              anywhere            
ACCEPT     tcp  --  anywhere             10.0.0.0/8          
ACCEPT     gre  --  anywhere             anywhere            
ACCEPT     200  --  anywhere             anywhere            
REJECT     icmp --  anywhere             anywhere             reject-with icmp-net-unreachable
REJECT     icmp --  anywhere             anywhere             reject-with icmp-host-unreachable
REJECT     icmp --  anywhere             anywhere             reject-with icmp-proto-unreachable
REJECT     icmp --  anywhere             anywhere             reject-with icmp-net-prohibited
REJECT     icmp --  anywhere             anywhere             reject-with icmp-admin-prohibited
REJECT     icmp --  anywhere             anywhere             reject-with icmp-port-unreachable
ACCEPT     all  --  anywhere             anywhere             mark match 0x4
ACCEPT     all  --  anywhere             anywhere             mark match ! 0x4/0xff
ACCEPT     all  --  anywhere             anywhere             connmark match  0x1/0x1
ACCEPT     all  --  anywhere             anywhere             connmark match ! 0x7
ACCEPT     all  --  anywhere             anywhere             ! ctstate NEW,UNTRACKED,SNAT,DNAT
ACCEPT     all  --  anywhere             anywhere             state NEW,RELATED,UNTRACKED
web        all  --  anywhere             anywhere            [goto] 
web        udp  --  anywhere             anywhere            
"##,
    ),
    // ip netns exec ruta-h-nf iptables-nft -S INPUT
    (
        "-S INPUT",
        r##"-P INPUT ACCEPT
-A INPUT -i lo -j ACCEPT
-A INPUT -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT
-A INPUT -m state --state INVALID -j DROP
-A INPUT -p icmp -m icmp --icmp-type 8 -j ACCEPT
-A INPUT -p icmp -m icmp --icmp-type 3/4 -j ACCEPT
-A INPUT -p icmp -m icmp ! --icmp-type 8 -j ACCEPT
-A INPUT -p icmp -m icmp --icmp-type any -j ACCEPT
-A INPUT -p tcp -m multiport --dports 22,80,443,8000:8080 -j web
-A INPUT -p udp -m multiport ! --sports 53,123 -j DROP
-A INPUT -p tcp -m multiport --ports 1:1023 -j ACCEPT
-A INPUT ! -s 10.0.0.0/8 -d 198.51.100.7/32 -p udp -m udp --dport 1000:2000 -j REJECT --reject-with icmp-port-unreachable
-A INPUT -p tcp -m tcp --sport 0:1023 --dport 1024:65535 -j REJECT --reject-with tcp-reset
-A INPUT -p tcp -m tcp ! --sport 5 ! --dport 7 -j REJECT --reject-with icmp-host-prohibited
-A INPUT -f -j DROP
-A INPUT -p gre ! -f -j ACCEPT
-A INPUT -s 1.2.3.4/32 -j RETURN
-A INPUT -d 10.0.0.0/8 -p tcp -j ACCEPT
-A INPUT -p gre -j ACCEPT
-A INPUT -p 200 -j ACCEPT
-A INPUT -p icmp -j REJECT --reject-with icmp-net-unreachable
-A INPUT -p icmp -j REJECT --reject-with icmp-host-unreachable
-A INPUT -p icmp -j REJECT --reject-with icmp-proto-unreachable
-A INPUT -p icmp -j REJECT --reject-with icmp-net-prohibited
-A INPUT -p icmp -j REJECT --reject-with icmp-admin-prohibited
-A INPUT -p icmp -j REJECT --reject-with icmp-port-unreachable
-A INPUT -m mark --mark 0x4 -j ACCEPT
-A INPUT -m mark ! --mark 0x4/0xff -j ACCEPT
-A INPUT -m connmark --mark 0x1/0x1 -j ACCEPT
-A INPUT -m connmark ! --mark 0x7 -j ACCEPT
-A INPUT -m conntrack ! --ctstate NEW,UNTRACKED,SNAT,DNAT -j ACCEPT
-A INPUT -m state --state NEW,RELATED,UNTRACKED -j ACCEPT
-A INPUT -g web
-A INPUT -p udp -j web
"##,
    ),
    // ip netns exec ruta-h-nf iptables-nft -nvL INPUT
    (
        "-nvL INPUT",
        r##"Chain INPUT (policy ACCEPT 0 packets, 0 bytes)
 pkts bytes target     prot opt in     out     source               destination         
    0     0 ACCEPT     0    --  lo     *       0.0.0.0/0            0.0.0.0/0           
    0     0 ACCEPT     0    --  *      *       0.0.0.0/0            0.0.0.0/0            ctstate RELATED,ESTABLISHED
    0     0 DROP       0    --  *      *       0.0.0.0/0            0.0.0.0/0            state INVALID
    0     0 ACCEPT     1    --  *      *       0.0.0.0/0            0.0.0.0/0            icmptype 8
    0     0 ACCEPT     1    --  *      *       0.0.0.0/0            0.0.0.0/0            icmptype 3 code 4
    0     0 ACCEPT     1    --  *      *       0.0.0.0/0            0.0.0.0/0            icmp !type 8
    0     0 ACCEPT     1    --  *      *       0.0.0.0/0            0.0.0.0/0            icmptype 255
    0     0 web        6    --  *      *       0.0.0.0/0            0.0.0.0/0            multiport dports 22,80,443,8000:8080
    0     0 DROP       17   --  *      *       0.0.0.0/0            0.0.0.0/0            multiport sports  !53,123
    0     0 ACCEPT     6    --  *      *       0.0.0.0/0            0.0.0.0/0            multiport ports 1:1023
    0     0 REJECT     17   --  *      *      !10.0.0.0/8           198.51.100.7         udp dpts:1000:2000 reject-with icmp-port-unreachable
    0     0 REJECT     6    --  *      *       0.0.0.0/0            0.0.0.0/0            tcp spts:0:1023 dpts:1024:65535 reject-with tcp-reset
    0     0 REJECT     6    --  *      *       0.0.0.0/0            0.0.0.0/0            tcp spt:!5 dpt:!7 reject-with icmp-host-prohibited
    0     0 DROP       0    -f  *      *       0.0.0.0/0            0.0.0.0/0           
    0     0 ACCEPT     47   !f  *      *       0.0.0.0/0            0.0.0.0/0           
    0     0 RETURN     0    --  *      *       1.2.3.4              0.0.0.0/0           
    0     0 ACCEPT     6    --  *      *       0.0.0.0/0            10.0.0.0/8          
    0     0 ACCEPT     47   --  *      *       0.0.0.0/0            0.0.0.0/0           
    0     0 ACCEPT     200  --  *      *       0.0.0.0/0            0.0.0.0/0           
    0     0 REJECT     1    --  *      *       0.0.0.0/0            0.0.0.0/0            reject-with icmp-net-unreachable
    0     0 REJECT     1    --  *      *       0.0.0.0/0            0.0.0.0/0            reject-with icmp-host-unreachable
    0     0 REJECT     1    --  *      *       0.0.0.0/0            0.0.0.0/0            reject-with icmp-proto-unreachable
    0     0 REJECT     1    --  *      *       0.0.0.0/0            0.0.0.0/0            reject-with icmp-net-prohibited
    0     0 REJECT     1    --  *      *       0.0.0.0/0            0.0.0.0/0            reject-with icmp-admin-prohibited
    0     0 REJECT     1    --  *      *       0.0.0.0/0            0.0.0.0/0            reject-with icmp-port-unreachable
    0     0 ACCEPT     0    --  *      *       0.0.0.0/0            0.0.0.0/0            mark match 0x4
    0     0 ACCEPT     0    --  *      *       0.0.0.0/0            0.0.0.0/0            mark match ! 0x4/0xff
    0     0 ACCEPT     0    --  *      *       0.0.0.0/0            0.0.0.0/0            connmark match  0x1/0x1
    0     0 ACCEPT     0    --  *      *       0.0.0.0/0            0.0.0.0/0            connmark match ! 0x7
    0     0 ACCEPT     0    --  *      *       0.0.0.0/0            0.0.0.0/0            ! ctstate NEW,UNTRACKED,SNAT,DNAT
    0     0 ACCEPT     0    --  *      *       0.0.0.0/0            0.0.0.0/0            state NEW,RELATED,UNTRACKED
    0     0 web        0    --  *      *       0.0.0.0/0            0.0.0.0/0           [goto] 
    0     0 web        17   --  *      *       0.0.0.0/0            0.0.0.0/0           
"##,
    ),
    // ip netns exec ruta-h-nf iptables-nft -vxnL INPUT
    (
        "-vxnL INPUT",
        r##"Chain INPUT (policy ACCEPT 0 packets, 0 bytes)
    pkts      bytes target     prot opt in     out     source               destination         
       0        0 ACCEPT     0    --  lo     *       0.0.0.0/0            0.0.0.0/0           
       0        0 ACCEPT     0    --  *      *       0.0.0.0/0            0.0.0.0/0            ctstate RELATED,ESTABLISHED
       0        0 DROP       0    --  *      *       0.0.0.0/0            0.0.0.0/0            state INVALID
       0        0 ACCEPT     1    --  *      *       0.0.0.0/0            0.0.0.0/0            icmptype 8
       0        0 ACCEPT     1    --  *      *       0.0.0.0/0            0.0.0.0/0            icmptype 3 code 4
       0        0 ACCEPT     1    --  *      *       0.0.0.0/0            0.0.0.0/0            icmp !type 8
       0        0 ACCEPT     1    --  *      *       0.0.0.0/0            0.0.0.0/0            icmptype 255
       0        0 web        6    --  *      *       0.0.0.0/0            0.0.0.0/0            multiport dports 22,80,443,8000:8080
       0        0 DROP       17   --  *      *       0.0.0.0/0            0.0.0.0/0            multiport sports  !53,123
       0        0 ACCEPT     6    --  *      *       0.0.0.0/0            0.0.0.0/0            multiport ports 1:1023
       0        0 REJECT     17   --  *      *      !10.0.0.0/8           198.51.100.7         udp dpts:1000:2000 reject-with icmp-port-unreachable
       0        0 REJECT     6    --  *      *       0.0.0.0/0            0.0.0.0/0            tcp spts:0:1023 dpts:1024:65535 reject-with tcp-reset
       0        0 REJECT     6    --  *      *       0.0.0.0/0            0.0.0.0/0            tcp spt:!5 dpt:!7 reject-with icmp-host-prohibited
       0        0 DROP       0    -f  *      *       0.0.0.0/0            0.0.0.0/0           
       0        0 ACCEPT     47   !f  *      *       0.0.0.0/0            0.0.0.0/0           
       0        0 RETURN     0    --  *      *       1.2.3.4              0.0.0.0/0           
       0        0 ACCEPT     6    --  *      *       0.0.0.0/0            10.0.0.0/8          
       0        0 ACCEPT     47   --  *      *       0.0.0.0/0            0.0.0.0/0           
       0        0 ACCEPT     200  --  *      *       0.0.0.0/0            0.0.0.0/0           
       0        0 REJECT     1    --  *      *       0.0.0.0/0            0.0.0.0/0            reject-with icmp-net-unreachable
       0        0 REJECT     1    --  *      *       0.0.0.0/0            0.0.0.0/0            reject-with icmp-host-unreachable
       0        0 REJECT     1    --  *      *       0.0.0.0/0            0.0.0.0/0            reject-with icmp-proto-unreachable
       0        0 REJECT     1    --  *      *       0.0.0.0/0            0.0.0.0/0            reject-with icmp-net-prohibited
       0        0 REJECT     1    --  *      *       0.0.0.0/0            0.0.0.0/0            reject-with icmp-admin-prohibited
       0        0 REJECT     1    --  *      *       0.0.0.0/0            0.0.0.0/0            reject-with icmp-port-unreachable
       0        0 ACCEPT     0    --  *      *       0.0.0.0/0            0.0.0.0/0            mark match 0x4
       0        0 ACCEPT     0    --  *      *       0.0.0.0/0            0.0.0.0/0            mark match ! 0x4/0xff
       0        0 ACCEPT     0    --  *      *       0.0.0.0/0            0.0.0.0/0            connmark match  0x1/0x1
       0        0 ACCEPT     0    --  *      *       0.0.0.0/0            0.0.0.0/0            connmark match ! 0x7
       0        0 ACCEPT     0    --  *      *       0.0.0.0/0            0.0.0.0/0            ! ctstate NEW,UNTRACKED,SNAT,DNAT
       0        0 ACCEPT     0    --  *      *       0.0.0.0/0            0.0.0.0/0            state NEW,RELATED,UNTRACKED
       0        0 web        0    --  *      *       0.0.0.0/0            0.0.0.0/0           [goto] 
       0        0 web        17   --  *      *       0.0.0.0/0            0.0.0.0/0           
"##,
    ),
    // ip netns exec ruta-h-nf iptables-nft -nvL INPUT --line-numbers
    (
        "-nvL INPUT --line-numbers",
        r##"Chain INPUT (policy ACCEPT 0 packets, 0 bytes)
num   pkts bytes target     prot opt in     out     source               destination         
1        0     0 ACCEPT     0    --  lo     *       0.0.0.0/0            0.0.0.0/0           
2        0     0 ACCEPT     0    --  *      *       0.0.0.0/0            0.0.0.0/0            ctstate RELATED,ESTABLISHED
3        0     0 DROP       0    --  *      *       0.0.0.0/0            0.0.0.0/0            state INVALID
4        0     0 ACCEPT     1    --  *      *       0.0.0.0/0            0.0.0.0/0            icmptype 8
5        0     0 ACCEPT     1    --  *      *       0.0.0.0/0            0.0.0.0/0            icmptype 3 code 4
6        0     0 ACCEPT     1    --  *      *       0.0.0.0/0            0.0.0.0/0            icmp !type 8
7        0     0 ACCEPT     1    --  *      *       0.0.0.0/0            0.0.0.0/0            icmptype 255
8        0     0 web        6    --  *      *       0.0.0.0/0            0.0.0.0/0            multiport dports 22,80,443,8000:8080
9        0     0 DROP       17   --  *      *       0.0.0.0/0            0.0.0.0/0            multiport sports  !53,123
10       0     0 ACCEPT     6    --  *      *       0.0.0.0/0            0.0.0.0/0            multiport ports 1:1023
11       0     0 REJECT     17   --  *      *      !10.0.0.0/8           198.51.100.7         udp dpts:1000:2000 reject-with icmp-port-unreachable
12       0     0 REJECT     6    --  *      *       0.0.0.0/0            0.0.0.0/0            tcp spts:0:1023 dpts:1024:65535 reject-with tcp-reset
13       0     0 REJECT     6    --  *      *       0.0.0.0/0            0.0.0.0/0            tcp spt:!5 dpt:!7 reject-with icmp-host-prohibited
14       0     0 DROP       0    -f  *      *       0.0.0.0/0            0.0.0.0/0           
15       0     0 ACCEPT     47   !f  *      *       0.0.0.0/0            0.0.0.0/0           
16       0     0 RETURN     0    --  *      *       1.2.3.4              0.0.0.0/0           
17       0     0 ACCEPT     6    --  *      *       0.0.0.0/0            10.0.0.0/8          
18       0     0 ACCEPT     47   --  *      *       0.0.0.0/0            0.0.0.0/0           
19       0     0 ACCEPT     200  --  *      *       0.0.0.0/0            0.0.0.0/0           
20       0     0 REJECT     1    --  *      *       0.0.0.0/0            0.0.0.0/0            reject-with icmp-net-unreachable
21       0     0 REJECT     1    --  *      *       0.0.0.0/0            0.0.0.0/0            reject-with icmp-host-unreachable
22       0     0 REJECT     1    --  *      *       0.0.0.0/0            0.0.0.0/0            reject-with icmp-proto-unreachable
23       0     0 REJECT     1    --  *      *       0.0.0.0/0            0.0.0.0/0            reject-with icmp-net-prohibited
24       0     0 REJECT     1    --  *      *       0.0.0.0/0            0.0.0.0/0            reject-with icmp-admin-prohibited
25       0     0 REJECT     1    --  *      *       0.0.0.0/0            0.0.0.0/0            reject-with icmp-port-unreachable
26       0     0 ACCEPT     0    --  *      *       0.0.0.0/0            0.0.0.0/0            mark match 0x4
27       0     0 ACCEPT     0    --  *      *       0.0.0.0/0            0.0.0.0/0            mark match ! 0x4/0xff
28       0     0 ACCEPT     0    --  *      *       0.0.0.0/0            0.0.0.0/0            connmark match  0x1/0x1
29       0     0 ACCEPT     0    --  *      *       0.0.0.0/0            0.0.0.0/0            connmark match ! 0x7
30       0     0 ACCEPT     0    --  *      *       0.0.0.0/0            0.0.0.0/0            ! ctstate NEW,UNTRACKED,SNAT,DNAT
31       0     0 ACCEPT     0    --  *      *       0.0.0.0/0            0.0.0.0/0            state NEW,RELATED,UNTRACKED
32       0     0 web        0    --  *      *       0.0.0.0/0            0.0.0.0/0           [goto] 
33       0     0 web        17   --  *      *       0.0.0.0/0            0.0.0.0/0           
"##,
    ),
    // ip netns exec ruta-h-nf iptables-nft -nL web
    (
        "-nL web",
        r##"Chain web (3 references)
target     prot opt source               destination         
ACCEPT     6    --  0.0.0.0/0            0.0.0.0/0            tcp dpt:80
RETURN     0    --  0.0.0.0/0            0.0.0.0/0           
"##,
    ),
    // ip netns exec ruta-h-nf iptables-nft -L web
    (
        "-L web",
        r##"Chain web (3 references)
target     prot opt source               destination         
ACCEPT     tcp  --  anywhere             anywhere             tcp dpt:http
RETURN     all  --  anywhere             anywhere            
"##,
    ),
    // ip netns exec ruta-h-nf iptables-nft -S web
    (
        "-S web",
        r##"-N web
-A web -p tcp -m tcp --dport 80 -j ACCEPT
-A web -j RETURN
"##,
    ),
    // ip netns exec ruta-h-nf iptables-nft -nvL web
    (
        "-nvL web",
        r##"Chain web (3 references)
 pkts bytes target     prot opt in     out     source               destination         
    0     0 ACCEPT     6    --  *      *       0.0.0.0/0            0.0.0.0/0            tcp dpt:80
    0     0 RETURN     0    --  *      *       0.0.0.0/0            0.0.0.0/0           
"##,
    ),
    // ip netns exec ruta-h-nf iptables-nft -vxnL web
    (
        "-vxnL web",
        r##"Chain web (3 references)
    pkts      bytes target     prot opt in     out     source               destination         
       0        0 ACCEPT     6    --  *      *       0.0.0.0/0            0.0.0.0/0            tcp dpt:80
       0        0 RETURN     0    --  *      *       0.0.0.0/0            0.0.0.0/0           
"##,
    ),
    // ip netns exec ruta-h-nf iptables-nft -nvL web --line-numbers
    (
        "-nvL web --line-numbers",
        r##"Chain web (3 references)
num   pkts bytes target     prot opt in     out     source               destination         
1        0     0 ACCEPT     6    --  *      *       0.0.0.0/0            0.0.0.0/0            tcp dpt:80
2        0     0 RETURN     0    --  *      *       0.0.0.0/0            0.0.0.0/0           
"##,
    ),
    // ip netns exec ruta-h-nf iptables-nft -nL cnt
    (
        "-nL cnt",
        r##"Chain cnt (1 references)
target     prot opt source               destination         
ACCEPT     0    --  0.0.0.0/0            0.0.0.0/0           
DROP       6    --  0.0.0.0/0            0.0.0.0/0           
RETURN     0    --  0.0.0.0/0            0.0.0.0/0           
ACCEPT     0    --  0.0.0.0/0            0.0.0.0/0           
"##,
    ),
    // ip netns exec ruta-h-nf iptables-nft -L cnt
    (
        "-L cnt",
        r##"Chain cnt (1 references)
target     prot opt source               destination         
ACCEPT     all  --  anywhere             anywhere            
DROP       tcp  --  anywhere             anywhere            
RETURN     all  --  anywhere             anywhere            
ACCEPT     all  --  anywhere             anywhere            
"##,
    ),
    // ip netns exec ruta-h-nf iptables-nft -S cnt
    (
        "-S cnt",
        r##"-N cnt
-A cnt -j ACCEPT
-A cnt -p tcp -j DROP
-A cnt -j RETURN
-A cnt -j ACCEPT
"##,
    ),
    // ip netns exec ruta-h-nf iptables-nft -nvL cnt
    (
        "-nvL cnt",
        r##"Chain cnt (1 references)
 pkts bytes target     prot opt in     out     source               destination         
  999 99999 ACCEPT     0    --  *      *       0.0.0.0/0            0.0.0.0/0           
 100K  123M DROP       6    --  *      *       0.0.0.0/0            0.0.0.0/0           
 100M   10G RETURN     0    --  *      *       0.0.0.0/0            0.0.0.0/0           
1235G   99T ACCEPT     0    --  *      *       0.0.0.0/0            0.0.0.0/0           
"##,
    ),
    // ip netns exec ruta-h-nf iptables-nft -vxnL cnt
    (
        "-vxnL cnt",
        r##"Chain cnt (1 references)
    pkts      bytes target     prot opt in     out     source               destination         
     999    99999 ACCEPT     0    --  *      *       0.0.0.0/0            0.0.0.0/0           
  100000 123456789 DROP       6    --  *      *       0.0.0.0/0            0.0.0.0/0           
99999999 9999999999 RETURN     0    --  *      *       0.0.0.0/0            0.0.0.0/0           
1234567890123 98765432109876 ACCEPT     0    --  *      *       0.0.0.0/0            0.0.0.0/0           
"##,
    ),
    // ip netns exec ruta-h-nf iptables-nft -nvL cnt --line-numbers
    (
        "-nvL cnt --line-numbers",
        r##"Chain cnt (1 references)
num   pkts bytes target     prot opt in     out     source               destination         
1      999 99999 ACCEPT     0    --  *      *       0.0.0.0/0            0.0.0.0/0           
2     100K  123M DROP       6    --  *      *       0.0.0.0/0            0.0.0.0/0           
3     100M   10G RETURN     0    --  *      *       0.0.0.0/0            0.0.0.0/0           
4    1235G   99T ACCEPT     0    --  *      *       0.0.0.0/0            0.0.0.0/0           
"##,
    ),
    // ip netns exec ruta-h-nf iptables-nft -nL LOGDROP
    (
        "-nL LOGDROP",
        r##"Chain LOGDROP (2 references)
target     prot opt source               destination         
DROP       0    --  0.0.0.0/0            0.0.0.0/0           
"##,
    ),
    // ip netns exec ruta-h-nf iptables-nft -L LOGDROP
    (
        "-L LOGDROP",
        r##"Chain LOGDROP (2 references)
target     prot opt source               destination         
DROP       all  --  anywhere             anywhere            
"##,
    ),
    // ip netns exec ruta-h-nf iptables-nft -S LOGDROP
    (
        "-S LOGDROP",
        r##"-N LOGDROP
-A LOGDROP -j DROP
"##,
    ),
    // ip netns exec ruta-h-nf iptables-nft -nvL LOGDROP
    (
        "-nvL LOGDROP",
        r##"Chain LOGDROP (2 references)
 pkts bytes target     prot opt in     out     source               destination         
    0     0 DROP       0    --  *      *       0.0.0.0/0            0.0.0.0/0           
"##,
    ),
    // ip netns exec ruta-h-nf iptables-nft -vxnL LOGDROP
    (
        "-vxnL LOGDROP",
        r##"Chain LOGDROP (2 references)
    pkts      bytes target     prot opt in     out     source               destination         
       0        0 DROP       0    --  *      *       0.0.0.0/0            0.0.0.0/0           
"##,
    ),
    // ip netns exec ruta-h-nf iptables-nft -nvL LOGDROP --line-numbers
    (
        "-nvL LOGDROP --line-numbers",
        r##"Chain LOGDROP (2 references)
num   pkts bytes target     prot opt in     out     source               destination         
1        0     0 DROP       0    --  *      *       0.0.0.0/0            0.0.0.0/0           
"##,
    ),
    // ip netns exec ruta-h-nf iptables-nft -t mangle -S mk
    (
        "-t mangle -S mk",
        r##"-N mk
-A mk -j MARK --set-xmark 0x4/0xffffffff
-A mk -j MARK --set-xmark 0x4/0xff
-A mk -j MARK --set-xmark 0x4/0xff
-A mk -j MARK --set-xmark 0x5/0xffffffff
-A mk -j MARK --set-xmark 0x0/0xffffff0f
-A mk -j MARK --set-xmark 0x3/0x3
-A mk -j MARK --set-xmark 0x1/0x0
-A mk -j CONNMARK --save-mark --nfmask 0xffffffff --ctmask 0xffffffff
-A mk -j CONNMARK --restore-mark --nfmask 0xffffffff --ctmask 0xffffffff
-A mk -j CONNMARK --save-mark --nfmask 0xff --ctmask 0xf0
-A mk -j CONNMARK --restore-mark --nfmask 0xff --ctmask 0xff
-A mk -j CONNMARK --set-xmark 0x3/0xffffffff
-A mk -j CONNMARK --set-xmark 0x3/0xf
-A mk -j CONNMARK --set-xmark 0x3/0xf
-A mk -j CONNMARK --set-xmark 0x3/0xffffffff
"##,
    ),
    // ip netns exec ruta-h-nf iptables-nft -t mangle -nvL mk
    (
        "-t mangle -nvL mk",
        r##"Chain mk (1 references)
 pkts bytes target     prot opt in     out     source               destination         
    0     0 MARK       0    --  *      *       0.0.0.0/0            0.0.0.0/0            MARK set 0x4
    0     0 MARK       0    --  *      *       0.0.0.0/0            0.0.0.0/0            MARK xset 0x4/0xff
    0     0 MARK       0    --  *      *       0.0.0.0/0            0.0.0.0/0            MARK xset 0x4/0xff
    0     0 MARK       0    --  *      *       0.0.0.0/0            0.0.0.0/0            MARK set 0x5
    0     0 MARK       0    --  *      *       0.0.0.0/0            0.0.0.0/0            MARK and 0xf0
    0     0 MARK       0    --  *      *       0.0.0.0/0            0.0.0.0/0            MARK or 0x3
    0     0 MARK       0    --  *      *       0.0.0.0/0            0.0.0.0/0            MARK xor 0x1
    0     0 CONNMARK   0    --  *      *       0.0.0.0/0            0.0.0.0/0            CONNMARK save
    0     0 CONNMARK   0    --  *      *       0.0.0.0/0            0.0.0.0/0            CONNMARK restore
    0     0 CONNMARK   0    --  *      *       0.0.0.0/0            0.0.0.0/0            CONNMARK save nfmask 0xff ctmask ~0xf0
    0     0 CONNMARK   0    --  *      *       0.0.0.0/0            0.0.0.0/0            CONNMARK restore mask 0xff
    0     0 CONNMARK   0    --  *      *       0.0.0.0/0            0.0.0.0/0            CONNMARK set 0x3
    0     0 CONNMARK   0    --  *      *       0.0.0.0/0            0.0.0.0/0            CONNMARK xset 0x3/0xf
    0     0 CONNMARK   0    --  *      *       0.0.0.0/0            0.0.0.0/0            CONNMARK xset 0x3/0xf
    0     0 CONNMARK   0    --  *      *       0.0.0.0/0            0.0.0.0/0            CONNMARK set 0x3
"##,
    ),
    // ip netns exec ruta-h-nf iptables-nft -nvL st
    (
        "-nvL st",
        r##"Chain st (0 references)
 pkts bytes target     prot opt in     out     source               destination         
    0     0            0    --  *      *       0.0.0.0/0            0.0.0.0/0            ! state NEW
    0     0            0    --  *      *       0.0.0.0/0            0.0.0.0/0            ctstate INVALID,RELATED,ESTABLISHED
    0     0            1    --  *      *       0.0.0.0/0            0.0.0.0/0            icmptype 8
    0     0            1    --  *      *       0.0.0.0/0            0.0.0.0/0            icmptype 200 code 3
    0     0            1    --  *      *       0.0.0.0/0            0.0.0.0/0            icmptype 0
    0     0            1    --  *      *       0.0.0.0/0            0.0.0.0/0            icmptype 11
    0     0            1    --  *      *       0.0.0.0/0            0.0.0.0/0            icmptype 5 code 1
    0     0            1    --  *      *       0.0.0.0/0            0.0.0.0/0            icmp !type 3 code 13
    0     0            1    --  *      *       0.0.0.0/0            0.0.0.0/0            icmptype 3
    0     0            6    --  *      *       0.0.0.0/0            0.0.0.0/0            multiport dports 80,20:21
    0     0            6    --  *      *       0.0.0.0/0            0.0.0.0/0            tcp
    0     0            0    --  *      *       10.0.2.0/255.0.255.0  0.0.0.0/0           
    0     0 MARK       0    --  *      *       0.0.0.0/0            0.0.0.0/0            MARK and 0x0
    0     0 CONNMARK   0    --  *      *       0.0.0.0/0            0.0.0.0/0            CONNMARK save mask 0xff
    0     0 CONNMARK   0    --  *      *       0.0.0.0/0            0.0.0.0/0            CONNMARK restore ctmask 0x2 nfmask ~0x1
    0     0 CONNMARK   0    --  *      *       0.0.0.0/0            0.0.0.0/0            CONNMARK and 0xf
    0     0 CONNMARK   0    --  *      *       0.0.0.0/0            0.0.0.0/0            CONNMARK or 0xf
    0     0            6    --  *      *       0.0.0.0/0            0.0.0.0/0            tcp spt:7 dpts:!1:5
    0     0 ACCEPT     17   --  eth0   !eth1   0.0.0.0/0            0.0.0.0/0            multiport ports 5,6:7
    0     0            6    --  *      *       0.0.0.0/0            0.0.0.0/0            multiport dports  !1
    0     0            17   --  *      *       0.0.0.0/0            0.0.0.0/0            udp spt:53 dpts:1024:65535
    0     0            17   --  *      *       0.0.0.0/0            0.0.0.0/0            udp spt:!53
    0     0           !6    --  *      *       198.18.0.0/15        0.0.0.0/0           
    0     0            50   --  *      *       0.0.0.0/0            0.0.0.0/0           
    0     0            136  --  *      *       0.0.0.0/0            0.0.0.0/0           
    0     0            132  --  *      *       0.0.0.0/0            0.0.0.0/0           
    0     0 LOGDROP    0    --  ppp+   *       0.0.0.0/0            0.0.0.0/0           [goto]  mark match 0x10/0x10 connmark match  0x0
    0     0 ACCEPT     6    --  *      *       0.0.0.0/0            0.0.0.0/0            tcp dpt:22 multiport sports 1,2,3 ctstate NEW
    7     8            0    --  *      *       0.0.0.0/0            0.0.0.0/0           
    0     0            6    --  *      *       0.0.0.0/0            0.0.0.0/0            multiport dports 1,2,3,4,5,6,7,8,9,10,11,12,13,14,15
"##,
    ),
    // ip netns exec ruta-h-nf iptables-nft -vL st
    (
        "-vL st",
        r##"Chain st (0 references)
 pkts bytes target     prot opt in     out     source               destination         
    0     0            all  --  any    any     anywhere             anywhere             ! state NEW
    0     0            all  --  any    any     anywhere             anywhere             ctstate INVALID,RELATED,ESTABLISHED
    0     0            icmp --  any    any     anywhere             anywhere             icmp echo-request
    0     0            icmp --  any    any     anywhere             anywhere             icmptype 200 code 3
    0     0            icmp --  any    any     anywhere             anywhere             icmp echo-reply
    0     0            icmp --  any    any     anywhere             anywhere             icmp time-exceeded
    0     0            icmp --  any    any     anywhere             anywhere             icmp host-redirect
    0     0            icmp --  any    any     anywhere             anywhere             icmp !communication-prohibited
    0     0            icmp --  any    any     anywhere             anywhere             icmp destination-unreachable
    0     0            tcp  --  any    any     anywhere             anywhere             multiport dports http,ftp-data:ftp
    0     0            tcp  --  any    any     anywhere             anywhere             tcp
    0     0            all  --  any    any     10.0.2.0/255.0.255.0  anywhere            
    0     0 MARK       all  --  any    any     anywhere             anywhere             MARK and 0x0
    0     0 CONNMARK   all  --  any    any     anywhere             anywhere             CONNMARK save mask 0xff
    0     0 CONNMARK   all  --  any    any     anywhere             anywhere             CONNMARK restore ctmask 0x2 nfmask ~0x1
    0     0 CONNMARK   all  --  any    any     anywhere             anywhere             CONNMARK and 0xf
    0     0 CONNMARK   all  --  any    any     anywhere             anywhere             CONNMARK or 0xf
    0     0            tcp  --  any    any     anywhere             anywhere             tcp spt:echo dpts:!tcpmux:5
    0     0 ACCEPT     udp  --  eth0   !eth1   anywhere             anywhere             multiport ports 5,6:echo
    0     0            tcp  --  any    any     anywhere             anywhere             multiport dports  !tcpmux
    0     0            udp  --  any    any     anywhere             anywhere             udp spt:domain dpts:1024:65535
    0     0            udp  --  any    any     anywhere             anywhere             udp spt:!domain
    0     0           !tcp  --  any    any     198.18.0.0/15        anywhere            
    0     0            esp  --  any    any     anywhere             anywhere            
    0     0            udplite --  any    any     anywhere             anywhere            
    0     0            sctp --  any    any     anywhere             anywhere            
    0     0 LOGDROP    all  --  ppp+   any     anywhere             anywhere            [goto]  mark match 0x10/0x10 connmark match  0x0
    0     0 ACCEPT     tcp  --  any    any     anywhere             anywhere             tcp dpt:ssh multiport sports tcpmux,2,3 ctstate NEW
    7     8            all  --  any    any     anywhere             anywhere            
    0     0            tcp  --  any    any     anywhere             anywhere             multiport dports tcpmux,2,3,4,5,6,echo,8,discard,10,systat,12,daytime,14,netstat
"##,
    ),
    // ip netns exec ruta-h-nf iptables-nft -S st
    (
        "-S st",
        r##"-N st
-A st -m state ! --state NEW
-A st -m conntrack --ctstate INVALID,RELATED,ESTABLISHED
-A st -p icmp -m icmp --icmp-type 8
-A st -p icmp -m icmp --icmp-type 200/3
-A st -p icmp -m icmp --icmp-type 0
-A st -p icmp -m icmp --icmp-type 11
-A st -p icmp -m icmp --icmp-type 5/1
-A st -p icmp -m icmp ! --icmp-type 3/13
-A st -p icmp -m icmp --icmp-type 3
-A st -p tcp -m multiport --dports 80,20:21
-A st -p tcp -m tcp
-A st -s 10.0.2.0/255.0.255.0
-A st -j MARK --set-xmark 0x0/0xffffffff
-A st -j CONNMARK --save-mark --nfmask 0xff --ctmask 0xff
-A st -j CONNMARK --restore-mark --nfmask 0x1 --ctmask 0x2
-A st -j CONNMARK --set-xmark 0x0/0xfffffff0
-A st -j CONNMARK --set-xmark 0xf/0xf
-A st -p tcp -m tcp --sport 7 ! --dport 1:5
-A st -i eth0 ! -o eth1 -p udp -m multiport --ports 5,6:7 -j ACCEPT
-A st -p tcp -m multiport ! --dports 1
-A st -p udp -m udp --sport 53 --dport 1024:65535
-A st -p udp -m udp ! --sport 53
-A st -s 198.18.0.0/15 ! -p tcp
-A st -p esp
-A st -p udplite
-A st -p sctp
-A st -i ppp+ -m mark --mark 0x10/0x10 -m connmark --mark 0x0 -g LOGDROP
-A st -p tcp -m tcp --dport 22 -m multiport --sports 1,2,3 -m conntrack --ctstate NEW -j ACCEPT
-A st
-A st -p tcp -m multiport --dports 1,2,3,4,5,6,7,8,9,10,11,12,13,14,15
"##,
    ),
    // ip netns exec ruta-h-nf iptables-nft -nL st
    (
        "-nL st",
        r##"Chain st (0 references)
target     prot opt source               destination         
           0    --  0.0.0.0/0            0.0.0.0/0            ! state NEW
           0    --  0.0.0.0/0            0.0.0.0/0            ctstate INVALID,RELATED,ESTABLISHED
           1    --  0.0.0.0/0            0.0.0.0/0            icmptype 8
           1    --  0.0.0.0/0            0.0.0.0/0            icmptype 200 code 3
           1    --  0.0.0.0/0            0.0.0.0/0            icmptype 0
           1    --  0.0.0.0/0            0.0.0.0/0            icmptype 11
           1    --  0.0.0.0/0            0.0.0.0/0            icmptype 5 code 1
           1    --  0.0.0.0/0            0.0.0.0/0            icmp !type 3 code 13
           1    --  0.0.0.0/0            0.0.0.0/0            icmptype 3
           6    --  0.0.0.0/0            0.0.0.0/0            multiport dports 80,20:21
           6    --  0.0.0.0/0            0.0.0.0/0            tcp
           0    --  10.0.2.0/255.0.255.0  0.0.0.0/0           
MARK       0    --  0.0.0.0/0            0.0.0.0/0            MARK and 0x0
CONNMARK   0    --  0.0.0.0/0            0.0.0.0/0            CONNMARK save mask 0xff
CONNMARK   0    --  0.0.0.0/0            0.0.0.0/0            CONNMARK restore ctmask 0x2 nfmask ~0x1
CONNMARK   0    --  0.0.0.0/0            0.0.0.0/0            CONNMARK and 0xf
CONNMARK   0    --  0.0.0.0/0            0.0.0.0/0            CONNMARK or 0xf
           6    --  0.0.0.0/0            0.0.0.0/0            tcp spt:7 dpts:!1:5
ACCEPT     17   --  0.0.0.0/0            0.0.0.0/0            multiport ports 5,6:7
           6    --  0.0.0.0/0            0.0.0.0/0            multiport dports  !1
           17   --  0.0.0.0/0            0.0.0.0/0            udp spt:53 dpts:1024:65535
           17   --  0.0.0.0/0            0.0.0.0/0            udp spt:!53
          !6    --  198.18.0.0/15        0.0.0.0/0           
           50   --  0.0.0.0/0            0.0.0.0/0           
           136  --  0.0.0.0/0            0.0.0.0/0           
           132  --  0.0.0.0/0            0.0.0.0/0           
LOGDROP    0    --  0.0.0.0/0            0.0.0.0/0           [goto]  mark match 0x10/0x10 connmark match  0x0
ACCEPT     6    --  0.0.0.0/0            0.0.0.0/0            tcp dpt:22 multiport sports 1,2,3 ctstate NEW
           0    --  0.0.0.0/0            0.0.0.0/0           
           6    --  0.0.0.0/0            0.0.0.0/0            multiport dports 1,2,3,4,5,6,7,8,9,10,11,12,13,14,15
"##,
    ),
    // ip netns exec ruta-h-nf iptables-nft -L st
    (
        "-L st",
        r##"Chain st (0 references)
target     prot opt source               destination         
           all  --  anywhere             anywhere             ! state NEW
           all  --  anywhere             anywhere             ctstate INVALID,RELATED,ESTABLISHED
           icmp --  anywhere             anywhere             icmp echo-request
           icmp --  anywhere             anywhere             icmptype 200 code 3
           icmp --  anywhere             anywhere             icmp echo-reply
           icmp --  anywhere             anywhere             icmp time-exceeded
           icmp --  anywhere             anywhere             icmp host-redirect
           icmp --  anywhere             anywhere             icmp !communication-prohibited
           icmp --  anywhere             anywhere             icmp destination-unreachable
           tcp  --  anywhere             anywhere             multiport dports http,ftp-data:ftp
           tcp  --  anywhere             anywhere             tcp
           all  --  10.0.2.0/255.0.255.0  anywhere            
MARK       all  --  anywhere             anywhere             MARK and 0x0
CONNMARK   all  --  anywhere             anywhere             CONNMARK save mask 0xff
CONNMARK   all  --  anywhere             anywhere             CONNMARK restore ctmask 0x2 nfmask ~0x1
CONNMARK   all  --  anywhere             anywhere             CONNMARK and 0xf
CONNMARK   all  --  anywhere             anywhere             CONNMARK or 0xf
           tcp  --  anywhere             anywhere             tcp spt:echo dpts:!tcpmux:5
ACCEPT     udp  --  anywhere             anywhere             multiport ports 5,6:echo
           tcp  --  anywhere             anywhere             multiport dports  !tcpmux
           udp  --  anywhere             anywhere             udp spt:domain dpts:1024:65535
           udp  --  anywhere             anywhere             udp spt:!domain
          !tcp  --  198.18.0.0/15        anywhere            
           esp  --  anywhere             anywhere            
           udplite --  anywhere             anywhere            
           sctp --  anywhere             anywhere            
LOGDROP    all  --  anywhere             anywhere            [goto]  mark match 0x10/0x10 connmark match  0x0
ACCEPT     tcp  --  anywhere             anywhere             tcp dpt:ssh multiport sports tcpmux,2,3 ctstate NEW
           all  --  anywhere             anywhere            
           tcp  --  anywhere             anywhere             multiport dports tcpmux,2,3,4,5,6,echo,8,discard,10,systat,12,daytime,14,netstat
"##,
    ),
    // ip netns exec ruta-h-nf iptables-nft -vxnL st --line-numbers
    (
        "-vxnL st --line-numbers",
        r##"Chain st (0 references)
num      pkts      bytes target     prot opt in     out     source               destination         
1           0        0            0    --  *      *       0.0.0.0/0            0.0.0.0/0            ! state NEW
2           0        0            0    --  *      *       0.0.0.0/0            0.0.0.0/0            ctstate INVALID,RELATED,ESTABLISHED
3           0        0            1    --  *      *       0.0.0.0/0            0.0.0.0/0            icmptype 8
4           0        0            1    --  *      *       0.0.0.0/0            0.0.0.0/0            icmptype 200 code 3
5           0        0            1    --  *      *       0.0.0.0/0            0.0.0.0/0            icmptype 0
6           0        0            1    --  *      *       0.0.0.0/0            0.0.0.0/0            icmptype 11
7           0        0            1    --  *      *       0.0.0.0/0            0.0.0.0/0            icmptype 5 code 1
8           0        0            1    --  *      *       0.0.0.0/0            0.0.0.0/0            icmp !type 3 code 13
9           0        0            1    --  *      *       0.0.0.0/0            0.0.0.0/0            icmptype 3
10          0        0            6    --  *      *       0.0.0.0/0            0.0.0.0/0            multiport dports 80,20:21
11          0        0            6    --  *      *       0.0.0.0/0            0.0.0.0/0            tcp
12          0        0            0    --  *      *       10.0.2.0/255.0.255.0  0.0.0.0/0           
13          0        0 MARK       0    --  *      *       0.0.0.0/0            0.0.0.0/0            MARK and 0x0
14          0        0 CONNMARK   0    --  *      *       0.0.0.0/0            0.0.0.0/0            CONNMARK save mask 0xff
15          0        0 CONNMARK   0    --  *      *       0.0.0.0/0            0.0.0.0/0            CONNMARK restore ctmask 0x2 nfmask ~0x1
16          0        0 CONNMARK   0    --  *      *       0.0.0.0/0            0.0.0.0/0            CONNMARK and 0xf
17          0        0 CONNMARK   0    --  *      *       0.0.0.0/0            0.0.0.0/0            CONNMARK or 0xf
18          0        0            6    --  *      *       0.0.0.0/0            0.0.0.0/0            tcp spt:7 dpts:!1:5
19          0        0 ACCEPT     17   --  eth0   !eth1   0.0.0.0/0            0.0.0.0/0            multiport ports 5,6:7
20          0        0            6    --  *      *       0.0.0.0/0            0.0.0.0/0            multiport dports  !1
21          0        0            17   --  *      *       0.0.0.0/0            0.0.0.0/0            udp spt:53 dpts:1024:65535
22          0        0            17   --  *      *       0.0.0.0/0            0.0.0.0/0            udp spt:!53
23          0        0           !6    --  *      *       198.18.0.0/15        0.0.0.0/0           
24          0        0            50   --  *      *       0.0.0.0/0            0.0.0.0/0           
25          0        0            136  --  *      *       0.0.0.0/0            0.0.0.0/0           
26          0        0            132  --  *      *       0.0.0.0/0            0.0.0.0/0           
27          0        0 LOGDROP    0    --  ppp+   *       0.0.0.0/0            0.0.0.0/0           [goto]  mark match 0x10/0x10 connmark match  0x0
28          0        0 ACCEPT     6    --  *      *       0.0.0.0/0            0.0.0.0/0            tcp dpt:22 multiport sports 1,2,3 ctstate NEW
29          7        8            0    --  *      *       0.0.0.0/0            0.0.0.0/0           
30          0        0            6    --  *      *       0.0.0.0/0            0.0.0.0/0            multiport dports 1,2,3,4,5,6,7,8,9,10,11,12,13,14,15
"##,
    ),
    // ip netns exec ruta-h-nf iptables-nft -t nat -nvL PREROUTING
    (
        "-t nat -nvL PREROUTING",
        r##"Chain PREROUTING (policy ACCEPT 0 packets, 0 bytes)
 pkts bytes target     prot opt in     out     source               destination         
    0     0 DNAT       0    --  *      *       0.0.0.0/0            67.17.28.10          to:192.168.100.17
    0     0 DNAT       6    --  *      *       0.0.0.0/0            67.17.28.11          tcp dpt:80 to:192.168.100.17:8080
    0     0 DNAT       6    --  *      *       0.0.0.0/0            67.17.28.11          tcp dpt:81 to:192.168.100.17-192.168.100.20:8080-8090 random persistent
    0     0 NETMAP     0    --  *      *       0.0.0.0/0            67.17.28.0/24        to:192.168.100.0/24
    0     0 NETMAP     0    --  *      *       0.0.0.0/0            0.0.0.0/0            to:1.2.3.4/32
    0     0 DNAT       6    --  *      *       0.0.0.0/0            0.0.0.0/0            to::8080
"##,
    ),
    // ip netns exec ruta-h-nf iptables-nft -t nat -S
    (
        "-t nat -S",
        r##"-P PREROUTING ACCEPT
-P INPUT ACCEPT
-P OUTPUT ACCEPT
-P POSTROUTING ACCEPT
-A PREROUTING -d 67.17.28.10/32 -j DNAT --to-destination 192.168.100.17
-A PREROUTING -d 67.17.28.11/32 -p tcp -m tcp --dport 80 -j DNAT --to-destination 192.168.100.17:8080
-A PREROUTING -d 67.17.28.11/32 -p tcp -m tcp --dport 81 -j DNAT --to-destination 192.168.100.17-192.168.100.20:8080-8090 --random --persistent
-A PREROUTING -d 67.17.28.0/24 -j NETMAP --to 192.168.100.0/24
-A PREROUTING -j NETMAP --to 1.2.3.4/32
-A PREROUTING -p tcp -j DNAT --to-destination :8080
-A INPUT -p udp -j SNAT --to-source 1.2.3.4
-A OUTPUT -p udp -j DNAT --to-destination 1.2.3.4
-A POSTROUTING -o eth4 -j SNAT --to-source 67.17.28.12
-A POSTROUTING -o eth1 -j SNAT --to-source 205.254.211.179
-A POSTROUTING -s 192.168.100.0/24 -j NETMAP --to 67.17.28.0/24
-A POSTROUTING -o eth4 -j MASQUERADE
-A POSTROUTING -o eth5 -p tcp -j MASQUERADE --to-ports 1024-2000 --random
-A POSTROUTING -o eth6 -p udp -j MASQUERADE --to-ports 1024
-A POSTROUTING -o eth7 -j SNAT --to-source 1.2.3.4-1.2.3.10 --random-fully
-A POSTROUTING -o eth7 -p tcp -j SNAT --to-source 1.2.3.4:1000-2000 --random --persistent
-A POSTROUTING -o eth7 -p tcp -j SNAT --to-source :1000
-A POSTROUTING -p udp -j MASQUERADE --random-fully
-A POSTROUTING -p udp -j SNAT --to-source 1.2.3.4:5-6
"##,
    ),
    // ip netns exec ruta-h-nf iptables-nft -t nat -nvL POSTROUTING
    (
        "-t nat -nvL POSTROUTING",
        r##"Chain POSTROUTING (policy ACCEPT 0 packets, 0 bytes)
 pkts bytes target     prot opt in     out     source               destination         
    0     0 SNAT       0    --  *      eth4    0.0.0.0/0            0.0.0.0/0            to:67.17.28.12
    0     0 SNAT       0    --  *      eth1    0.0.0.0/0            0.0.0.0/0            to:205.254.211.179
    0     0 NETMAP     0    --  *      *       192.168.100.0/24     0.0.0.0/0            to:67.17.28.0/24
    0     0 MASQUERADE  0    --  *      eth4    0.0.0.0/0            0.0.0.0/0           
    0     0 MASQUERADE  6    --  *      eth5    0.0.0.0/0            0.0.0.0/0            masq ports: 1024-2000 random
    0     0 MASQUERADE  17   --  *      eth6    0.0.0.0/0            0.0.0.0/0            masq ports: 1024
    0     0 SNAT       0    --  *      eth7    0.0.0.0/0            0.0.0.0/0            to:1.2.3.4-1.2.3.10 random-fully
    0     0 SNAT       6    --  *      eth7    0.0.0.0/0            0.0.0.0/0            to:1.2.3.4:1000-2000 random persistent
    0     0 SNAT       6    --  *      eth7    0.0.0.0/0            0.0.0.0/0            to::1000
    0     0 MASQUERADE  17   --  *      *       0.0.0.0/0            0.0.0.0/0            random-fully
    0     0 SNAT       17   --  *      *       0.0.0.0/0            0.0.0.0/0            to:1.2.3.4:5-6
"##,
    ),
];

/// `ip netns exec ruta-h-nf iptables-nft-save` after the setup.
const SAVE: &str = r##"# Generated by iptables-save v1.8.9 (nf_tables) on Wed Nov 25 08:28:00 2026
*mangle
:PREROUTING ACCEPT [0:0]
:INPUT ACCEPT [0:0]
:FORWARD ACCEPT [0:0]
:OUTPUT ACCEPT [0:0]
:POSTROUTING ACCEPT [0:0]
:mk - [0:0]
-A PREROUTING -s 192.168.99.0/24 -p tcp -m tcp --dport 80 -j MARK --set-xmark 0x4/0xffffffff
-A PREROUTING -s 192.168.99.0/24 -p tcp -m tcp --dport 443 -j MARK --set-xmark 0x4/0xffffffff
-A PREROUTING -j mk
-A FORWARD -o eth4 -j ACCEPT
-A mk -j MARK --set-xmark 0x4/0xffffffff
-A mk -j MARK --set-xmark 0x4/0xff
-A mk -j MARK --set-xmark 0x4/0xff
-A mk -j MARK --set-xmark 0x5/0xffffffff
-A mk -j MARK --set-xmark 0x0/0xffffff0f
-A mk -j MARK --set-xmark 0x3/0x3
-A mk -j MARK --set-xmark 0x1/0x0
-A mk -j CONNMARK --save-mark --nfmask 0xffffffff --ctmask 0xffffffff
-A mk -j CONNMARK --restore-mark --nfmask 0xffffffff --ctmask 0xffffffff
-A mk -j CONNMARK --save-mark --nfmask 0xff --ctmask 0xf0
-A mk -j CONNMARK --restore-mark --nfmask 0xff --ctmask 0xff
-A mk -j CONNMARK --set-xmark 0x3/0xffffffff
-A mk -j CONNMARK --set-xmark 0x3/0xf
-A mk -j CONNMARK --set-xmark 0x3/0xf
-A mk -j CONNMARK --set-xmark 0x3/0xffffffff
COMMIT
# Completed on Wed Nov 25 08:28:00 2026
# Generated by iptables-save v1.8.9 (nf_tables) on Wed Nov 25 08:28:00 2026
*filter
:INPUT ACCEPT [0:0]
:FORWARD DROP [0:0]
:OUTPUT ACCEPT [0:0]
:LOGDROP - [0:0]
:cnt - [0:0]
:st - [0:0]
:web - [0:0]
-A INPUT -i lo -j ACCEPT
-A INPUT -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT
-A INPUT -m state --state INVALID -j DROP
-A INPUT -p icmp -m icmp --icmp-type 8 -j ACCEPT
-A INPUT -p icmp -m icmp --icmp-type 3/4 -j ACCEPT
-A INPUT -p icmp -m icmp ! --icmp-type 8 -j ACCEPT
-A INPUT -p icmp -m icmp --icmp-type any -j ACCEPT
-A INPUT -p tcp -m multiport --dports 22,80,443,8000:8080 -j web
-A INPUT -p udp -m multiport ! --sports 53,123 -j DROP
-A INPUT -p tcp -m multiport --ports 1:1023 -j ACCEPT
-A INPUT ! -s 10.0.0.0/8 -d 198.51.100.7/32 -p udp -m udp --dport 1000:2000 -j REJECT --reject-with icmp-port-unreachable
-A INPUT -p tcp -m tcp --sport 0:1023 --dport 1024:65535 -j REJECT --reject-with tcp-reset
-A INPUT -p tcp -m tcp ! --sport 5 ! --dport 7 -j REJECT --reject-with icmp-host-prohibited
-A INPUT -f -j DROP
-A INPUT -p gre ! -f -j ACCEPT
-A INPUT -s 1.2.3.4/32 -j RETURN
-A INPUT -d 10.0.0.0/8 -p tcp -j ACCEPT
-A INPUT -p gre -j ACCEPT
-A INPUT -p 200 -j ACCEPT
-A INPUT -p icmp -j REJECT --reject-with icmp-net-unreachable
-A INPUT -p icmp -j REJECT --reject-with icmp-host-unreachable
-A INPUT -p icmp -j REJECT --reject-with icmp-proto-unreachable
-A INPUT -p icmp -j REJECT --reject-with icmp-net-prohibited
-A INPUT -p icmp -j REJECT --reject-with icmp-admin-prohibited
-A INPUT -p icmp -j REJECT --reject-with icmp-port-unreachable
-A INPUT -m mark --mark 0x4 -j ACCEPT
-A INPUT -m mark ! --mark 0x4/0xff -j ACCEPT
-A INPUT -m connmark --mark 0x1/0x1 -j ACCEPT
-A INPUT -m connmark ! --mark 0x7 -j ACCEPT
-A INPUT -m conntrack ! --ctstate NEW,UNTRACKED,SNAT,DNAT -j ACCEPT
-A INPUT -m state --state NEW,RELATED,UNTRACKED -j ACCEPT
-A INPUT -g web
-A INPUT -p udp -j web
-A FORWARD -i eth+ ! -o ppp0 -j LOGDROP
-A FORWARD -i eth0 -o eth4 -j ACCEPT
-A OUTPUT -j cnt
-A LOGDROP -j DROP
-A cnt -j ACCEPT
-A cnt -p tcp -j DROP
-A cnt -j RETURN
-A cnt -j ACCEPT
-A st -m state ! --state NEW
-A st -m conntrack --ctstate INVALID,RELATED,ESTABLISHED
-A st -p icmp -m icmp --icmp-type 8
-A st -p icmp -m icmp --icmp-type 200/3
-A st -p icmp -m icmp --icmp-type 0
-A st -p icmp -m icmp --icmp-type 11
-A st -p icmp -m icmp --icmp-type 5/1
-A st -p icmp -m icmp ! --icmp-type 3/13
-A st -p icmp -m icmp --icmp-type 3
-A st -p tcp -m multiport --dports 80,20:21
-A st -p tcp -m tcp
-A st -s 10.0.2.0/255.0.255.0
-A st -j MARK --set-xmark 0x0/0xffffffff
-A st -j CONNMARK --save-mark --nfmask 0xff --ctmask 0xff
-A st -j CONNMARK --restore-mark --nfmask 0x1 --ctmask 0x2
-A st -j CONNMARK --set-xmark 0x0/0xfffffff0
-A st -j CONNMARK --set-xmark 0xf/0xf
-A st -p tcp -m tcp --sport 7 ! --dport 1:5
-A st -i eth0 ! -o eth1 -p udp -m multiport --ports 5,6:7 -j ACCEPT
-A st -p tcp -m multiport ! --dports 1
-A st -p udp -m udp --sport 53 --dport 1024:65535
-A st -p udp -m udp ! --sport 53
-A st -s 198.18.0.0/15 ! -p tcp
-A st -p esp
-A st -p udplite
-A st -p sctp
-A st -i ppp+ -m mark --mark 0x10/0x10 -m connmark --mark 0x0 -g LOGDROP
-A st -p tcp -m tcp --dport 22 -m multiport --sports 1,2,3 -m conntrack --ctstate NEW -j ACCEPT
-A st
-A st -p tcp -m multiport --dports 1,2,3,4,5,6,7,8,9,10,11,12,13,14,15
-A web -p tcp -m tcp --dport 80 -j ACCEPT
-A web -j RETURN
COMMIT
# Completed on Wed Nov 25 08:28:00 2026
# Generated by iptables-save v1.8.9 (nf_tables) on Wed Nov 25 08:28:00 2026
*nat
:PREROUTING ACCEPT [0:0]
:INPUT ACCEPT [0:0]
:OUTPUT ACCEPT [0:0]
:POSTROUTING ACCEPT [0:0]
-A PREROUTING -d 67.17.28.10/32 -j DNAT --to-destination 192.168.100.17
-A PREROUTING -d 67.17.28.11/32 -p tcp -m tcp --dport 80 -j DNAT --to-destination 192.168.100.17:8080
-A PREROUTING -d 67.17.28.11/32 -p tcp -m tcp --dport 81 -j DNAT --to-destination 192.168.100.17-192.168.100.20:8080-8090 --random --persistent
-A PREROUTING -d 67.17.28.0/24 -j NETMAP --to 192.168.100.0/24
-A PREROUTING -j NETMAP --to 1.2.3.4/32
-A PREROUTING -p tcp -j DNAT --to-destination :8080
-A INPUT -p udp -j SNAT --to-source 1.2.3.4
-A OUTPUT -p udp -j DNAT --to-destination 1.2.3.4
-A POSTROUTING -o eth4 -j SNAT --to-source 67.17.28.12
-A POSTROUTING -o eth1 -j SNAT --to-source 205.254.211.179
-A POSTROUTING -s 192.168.100.0/24 -j NETMAP --to 67.17.28.0/24
-A POSTROUTING -o eth4 -j MASQUERADE
-A POSTROUTING -o eth5 -p tcp -j MASQUERADE --to-ports 1024-2000 --random
-A POSTROUTING -o eth6 -p udp -j MASQUERADE --to-ports 1024
-A POSTROUTING -o eth7 -j SNAT --to-source 1.2.3.4-1.2.3.10 --random-fully
-A POSTROUTING -o eth7 -p tcp -j SNAT --to-source 1.2.3.4:1000-2000 --random --persistent
-A POSTROUTING -o eth7 -p tcp -j SNAT --to-source :1000
-A POSTROUTING -p udp -j MASQUERADE --random-fully
-A POSTROUTING -p udp -j SNAT --to-source 1.2.3.4:5-6
COMMIT
# Completed on Wed Nov 25 08:28:00 2026
"##;
const SAVE_TS: &str = "Wed Nov 25 08:28:00 2026";

pub(crate) fn oracle_ruleset() -> Ruleset {
    let mut rs = Ruleset::new();
    for c in SETUP {
        let w: Vec<&str> = c.split_whitespace().collect();
        if let Err(e) = rs.apply(&w) {
            panic!("setup `iptables {c}` failed: {e}");
        }
    }
    rs
}

#[test]
fn listings_match_iptables_1_8_9() {
    let mut rs = oracle_ruleset();
    let mut bad = Vec::new();
    for (args, want) in CASES {
        let w: Vec<&str> = args.split_whitespace().collect();
        match rs.apply(&w) {
            Ok(crate::Output::Text(got)) => {
                if got != *want {
                    bad.push(format!("iptables {args}\n--- want\n{want}--- got\n{got}"));
                }
            }
            other => bad.push(format!("iptables {args}: {other:?}")),
        }
    }
    assert!(
        bad.is_empty(),
        "{} of {} listings differ:\n{}",
        bad.len(),
        CASES.len(),
        bad.join("\n")
    );
}

#[test]
fn save_matches_iptables_save_1_8_9() {
    let rs = oracle_ruleset();
    let got = rs.save(None, false, SAVE_TS);
    assert_eq!(got, SAVE);
}

#[test]
fn save_text_restores_to_the_same_ruleset() {
    let rs = oracle_ruleset();
    let mut again = Ruleset::new();
    let mut st = crate::SaveState::new();
    for line in SAVE.lines() {
        again.apply_save_line(&mut st, line).unwrap();
    }
    assert_eq!(st.pending_table(), None);
    assert_eq!(again.save(None, false, SAVE_TS), SAVE);
    for (args, _) in CASES {
        if args.contains("-S") {
            let w: Vec<&str> = args.split_whitespace().collect();
            let a = rs.clone().apply(&w).unwrap();
            let b = again.clone().apply(&w).unwrap();
            assert_eq!(a, b, "{args}");
        }
    }
}
