//! IP protocol names as iproute2 prints and reads them (`ipproto tcp`): its own names for
//! tcp, udp, sctp, dccp, icmp and ipv6-icmp, then the system's protocol list (netbase's
//! `/etc/protocols`, embedded so that output does not depend on the machine).

const NAMES: &[(u8, &str)] = &[
    (0, "ip"),
    (1, "icmp"),
    (2, "igmp"),
    (3, "ggp"),
    (4, "ipencap"),
    (5, "st"),
    (6, "tcp"),
    (8, "egp"),
    (9, "igp"),
    (12, "pup"),
    (17, "udp"),
    (20, "hmp"),
    (22, "xns-idp"),
    (27, "rdp"),
    (29, "iso-tp4"),
    (33, "dccp"),
    (36, "xtp"),
    (37, "ddp"),
    (38, "idpr-cmtp"),
    (41, "ipv6"),
    (43, "ipv6-route"),
    (44, "ipv6-frag"),
    (45, "idrp"),
    (46, "rsvp"),
    (47, "gre"),
    (50, "esp"),
    (51, "ah"),
    (57, "skip"),
    (58, "ipv6-icmp"),
    (59, "ipv6-nonxt"),
    (60, "ipv6-opts"),
    (73, "rspf"),
    (81, "vmtp"),
    (88, "eigrp"),
    (89, "ospf"),
    (93, "ax.25"),
    (94, "ipip"),
    (97, "etherip"),
    (98, "encap"),
    (103, "pim"),
    (108, "ipcomp"),
    (112, "vrrp"),
    (115, "l2tp"),
    (124, "isis"),
    (132, "sctp"),
    (133, "fc"),
    (135, "mobility-header"),
    (136, "udplite"),
    (137, "mpls-in-ip"),
    (138, "manet"),
    (139, "hip"),
    (140, "shim6"),
    (141, "wesp"),
    (142, "rohc"),
    (143, "ethernet"),
];

/// The name iproute2's `inet_proto_n2a` prints for protocol `p`.
pub fn name(p: u8) -> String {
    NAMES
        .iter()
        .find(|(n, _)| *n == p)
        .map(|(_, s)| s.to_string())
        .unwrap_or_else(|| p.to_string())
}

/// The protocol number for a name or a number (`inet_proto_a2n`).
pub fn parse(s: &str) -> Option<u8> {
    if let Some(&(n, _)) = NAMES.iter().find(|(_, name)| *name == s) {
        return Some(n);
    }
    ruta_fib::route::parse_u8_any(s)
}

#[cfg(test)]
mod tests {
    #[test]
    fn names() {
        assert_eq!(super::name(6), "tcp");
        assert_eq!(super::name(58), "ipv6-icmp");
        assert_eq!(super::parse("udp"), Some(17));
        assert_eq!(super::parse("47"), Some(47));
        assert_eq!(super::parse("nosuch"), None);
    }
}
