//! The packet description language of `ruta trace -f PACKETS`: one packet per line, in
//! words a network engineer reads at a glance, turned into real frames.
//!
//! ```text
//! iif eth0 tcp 192.168.99.10:40000 > 198.51.100.7:80 syn
//! iif eth4 icmp 198.51.100.7 > 67.17.28.10 echo-request id 7
//! iif eth1 udp 198.51.100.9:53 > 205.254.211.179:1024 len 120 ttl 9
//! iif eth4 icmp 203.0.113.1 > 67.17.28.12 time-exceeded about udp 67.17.28.12:1024 > 198.51.100.9:53
//! ```
//!
//! `iif NAME` names the port the frame arrives on; the protocol is `tcp`, `udp`, `icmp` or
//! `proto N`. TCP flags are words (`syn`, `syn-ack`, `ack`, `fin`, `rst`, `psh`, `urg`) or a
//! comma list (`fin,ack`); ICMP takes a type name (`echo-request`, `echo-reply`,
//! `port-unreachable`, `time-exceeded`, `frag-needed mtu N`, ... or `type N code N`), `id N`
//! and `seq N` for queries, and `about PACKET` for errors (the quoted packet, as it was
//! sent). `mark N`, `tos N`, `ttl N`, `len N` (IP total length), `df`, `mf`, `frag N` (fragment
//! offset in bytes), `seq N`/`ack N` (TCP) and `src-mac`/`dst-mac` may follow.
//!
//! This module builds frames with etherparse (not the fast path); it owns no routing or
//! filtering knowledge.

use etherparse::{IpNumber, Ipv4Header, TcpHeader, UdpHeader};
use std::net::Ipv4Addr;

/// One parsed packet line.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PacketSpec {
    pub iif: String,
    pub l4: L4Spec,
    pub src: Ipv4Addr,
    pub dst: Ipv4Addr,
    pub mark: u32,
    pub tos: u8,
    pub ttl: u8,
    /// IP total length wanted (padding payload with zeros), 0 = minimal.
    pub len: u16,
    pub df: bool,
    pub mf: bool,
    /// Fragment offset in bytes (a multiple of 8).
    pub frag_offset: u16,
    pub src_mac: Option<[u8; 6]>,
    pub dst_mac: Option<[u8; 6]>,
}

/// The transport part of a packet line.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum L4Spec {
    Tcp {
        sport: u16,
        dport: u16,
        flags: u8,
        seq: u32,
        ack: u32,
    },
    Udp {
        sport: u16,
        dport: u16,
    },
    Icmp {
        icmp_type: u8,
        code: u8,
        /// id and sequence for queries; unused (0) for errors except frag-needed's MTU.
        id: u16,
        seq: u16,
        mtu: u16,
        /// The quoted packet of an error.
        about: Option<Box<PacketSpec>>,
    },
    Other {
        proto: u8,
    },
}

pub const TCP_FIN: u8 = 0x01;
pub const TCP_SYN: u8 = 0x02;
pub const TCP_RST: u8 = 0x04;
pub const TCP_PSH: u8 = 0x08;
pub const TCP_ACK: u8 = 0x10;
pub const TCP_URG: u8 = 0x20;

/// ICMP type words of the packet language: iptables' names (`ruta_netfilter::icmp_type_named`:
/// `echo-request`, `port-unreachable`, `time-exceeded`, ...), plus these short forms.
pub const ICMP_SHORT_NAMES: &[(&str, u8, u8)] = &[("net-unreachable", 3, 0), ("frag-needed", 3, 4)];

/// The ICMP type and code of a word of the packet language.
pub fn icmp_word(word: &str) -> Option<(u8, u8)> {
    ICMP_SHORT_NAMES
        .iter()
        .find(|(n, _, _)| *n == word)
        .map(|&(_, t, c)| (t, c))
        .or_else(|| ruta_netfilter::icmp_type_named(word))
}

/// Whether an ICMP type is an error (quotes a packet).
pub fn icmp_is_error(t: u8) -> bool {
    matches!(t, 3 | 4 | 5 | 11 | 12)
}

/// The TCP flag words of `flags`, as `ruta trace` prints them (`syn-ack`, `fin,ack`).
pub fn tcp_flags_name(flags: u8) -> String {
    if flags == TCP_SYN | TCP_ACK {
        return "syn-ack".into();
    }
    let mut v = Vec::new();
    for (b, n) in [
        (TCP_SYN, "syn"),
        (TCP_FIN, "fin"),
        (TCP_RST, "rst"),
        (TCP_PSH, "psh"),
        (TCP_URG, "urg"),
        (TCP_ACK, "ack"),
    ] {
        if flags & b != 0 {
            v.push(n);
        }
    }
    if v.is_empty() {
        "none".into()
    } else {
        v.join(",")
    }
}

fn parse_tcp_flags(w: &str) -> Option<u8> {
    if w == "syn-ack" || w == "synack" {
        return Some(TCP_SYN | TCP_ACK);
    }
    let mut f = 0u8;
    for part in w.split(',') {
        f |= match part {
            "syn" => TCP_SYN,
            "ack" => TCP_ACK,
            "fin" => TCP_FIN,
            "rst" => TCP_RST,
            "psh" => TCP_PSH,
            "urg" => TCP_URG,
            "none" => 0,
            _ => return None,
        };
    }
    Some(f)
}

fn num<T: TryFrom<u64>>(w: Option<&&str>, what: &str) -> Result<T, String> {
    let w = w.ok_or_else(|| format!("\"{what}\" needs a value"))?;
    let v = if let Some(h) = w.strip_prefix("0x") {
        u64::from_str_radix(h, 16).ok()
    } else {
        w.parse::<u64>().ok()
    };
    v.and_then(|v| T::try_from(v).ok())
        .ok_or_else(|| format!("invalid {what} \"{w}\""))
}

fn mac(w: Option<&&str>) -> Result<[u8; 6], String> {
    let w = w.ok_or("a MAC address is needed")?;
    let mut m = [0u8; 6];
    let parts: Vec<&str> = w.split(':').collect();
    if parts.len() != 6 {
        return Err(format!("invalid MAC address \"{w}\""));
    }
    for (i, p) in parts.iter().enumerate() {
        m[i] = u8::from_str_radix(p, 16).map_err(|_| format!("invalid MAC address \"{w}\""))?;
    }
    Ok(m)
}

fn endpoint(w: Option<&&str>, with_port: bool) -> Result<(Ipv4Addr, u16), String> {
    let w = w.ok_or("an address is needed")?;
    let (a, p) = match w.rsplit_once(':') {
        Some((a, p)) if with_port => (a, Some(p)),
        _ => (*w, None),
    };
    let addr: Ipv4Addr = a.parse().map_err(|_| format!("invalid address \"{a}\""))?;
    let port = match p {
        Some(p) => p.parse().map_err(|_| format!("invalid port \"{p}\""))?,
        None if with_port => return Err(format!("\"{w}\" needs a port (ADDR:PORT)")),
        None => 0,
    };
    Ok((addr, port))
}

/// Parses one packet line (without `iif` for a quoted packet).
pub fn parse_line(line: &str) -> Result<PacketSpec, String> {
    let words: Vec<&str> = line.split_whitespace().collect();
    let (spec, used) = parse_words(&words, true)?;
    if used != words.len() {
        return Err(format!("unexpected \"{}\"", words[used]));
    }
    Ok(spec)
}

fn parse_words(w: &[&str], need_iif: bool) -> Result<(PacketSpec, usize), String> {
    let mut i = 0;
    let mut iif = String::new();
    if w.first() == Some(&"iif") {
        iif = w.get(1).ok_or("\"iif\" needs a port name")?.to_string();
        i = 2;
    } else if need_iif {
        return Err("a packet starts with \"iif PORT\"".into());
    }
    let proto_word = *w
        .get(i)
        .ok_or("a protocol is needed (tcp, udp, icmp, proto N)")?;
    i += 1;
    let other_proto = if proto_word == "proto" {
        let p: u8 = num(w.get(i), "protocol")?;
        i += 1;
        Some(p)
    } else {
        None
    };
    let ports = matches!(proto_word, "tcp" | "udp");
    if !ports && other_proto.is_none() && proto_word != "icmp" {
        return Err(format!(
            "unknown protocol \"{proto_word}\" (tcp, udp, icmp or proto N)"
        ));
    }
    let (src, sport) = endpoint(w.get(i), ports)?;
    if w.get(i + 1) != Some(&">") {
        return Err("\"SRC > DST\" expected".into());
    }
    let (dst, dport) = endpoint(w.get(i + 2), ports)?;
    i += 3;
    let mut spec = PacketSpec {
        iif,
        l4: match (proto_word, other_proto) {
            ("tcp", _) => L4Spec::Tcp {
                sport,
                dport,
                flags: 0,
                seq: 1000,
                ack: 0,
            },
            ("udp", _) => L4Spec::Udp { sport, dport },
            ("icmp", _) => L4Spec::Icmp {
                icmp_type: 8,
                code: 0,
                id: 0,
                seq: 1,
                mtu: 0,
                about: None,
            },
            (_, Some(p)) => L4Spec::Other { proto: p },
            _ => unreachable!("checked above"),
        },
        src,
        dst,
        mark: 0,
        tos: 0,
        ttl: 64,
        len: 0,
        df: false,
        mf: false,
        frag_offset: 0,
        src_mac: None,
        dst_mac: None,
    };
    let mut tcp_flags_seen = false;
    while i < w.len() {
        let word = w[i];
        match word {
            "mark" => spec.mark = num(w.get(i + 1), "mark")?,
            "tos" => spec.tos = num(w.get(i + 1), "tos")?,
            "ttl" => spec.ttl = num(w.get(i + 1), "ttl")?,
            "len" => spec.len = num(w.get(i + 1), "len")?,
            "frag" => {
                let off: u16 = num(w.get(i + 1), "fragment offset")?;
                if !off.is_multiple_of(8) {
                    return Err(format!("fragment offset {off} is not a multiple of 8"));
                }
                spec.frag_offset = off;
            }
            "src-mac" => spec.src_mac = Some(mac(w.get(i + 1))?),
            "dst-mac" => spec.dst_mac = Some(mac(w.get(i + 1))?),
            "df" => {
                spec.df = true;
                i += 1;
                continue;
            }
            "mf" => {
                spec.mf = true;
                i += 1;
                continue;
            }
            "about" => {
                let L4Spec::Icmp {
                    icmp_type, about, ..
                } = &mut spec.l4
                else {
                    return Err("\"about\" is for ICMP errors".into());
                };
                if !icmp_is_error(*icmp_type) {
                    return Err("\"about\" is for ICMP errors".into());
                }
                let (inner, used) = parse_words(&w[i + 1..], false)?;
                *about = Some(Box::new(inner));
                i += 1 + used;
                continue;
            }
            _ => {
                let consumed = match &mut spec.l4 {
                    L4Spec::Tcp {
                        flags, seq, ack, ..
                    } => match word {
                        "seq" => {
                            *seq = num(w.get(i + 1), "seq")?;
                            2
                        }
                        "ack" if w.get(i + 1).is_some_and(|n| n.parse::<u32>().is_ok()) => {
                            *ack = num(w.get(i + 1), "ack")?;
                            *flags |= TCP_ACK;
                            2
                        }
                        _ => match parse_tcp_flags(word) {
                            Some(f) if !tcp_flags_seen => {
                                tcp_flags_seen = true;
                                *flags = f;
                                if f & TCP_ACK != 0 && *ack == 0 {
                                    *ack = 1;
                                }
                                1
                            }
                            _ => return Err(format!("unknown word \"{word}\"")),
                        },
                    },
                    L4Spec::Icmp {
                        icmp_type,
                        code,
                        id,
                        seq,
                        mtu,
                        ..
                    } => match word {
                        "id" => {
                            *id = num(w.get(i + 1), "id")?;
                            2
                        }
                        "seq" => {
                            *seq = num(w.get(i + 1), "seq")?;
                            2
                        }
                        "mtu" => {
                            *mtu = num(w.get(i + 1), "mtu")?;
                            2
                        }
                        "type" => {
                            *icmp_type = num(w.get(i + 1), "type")?;
                            2
                        }
                        "code" => {
                            *code = num(w.get(i + 1), "code")?;
                            2
                        }
                        _ => match icmp_word(word) {
                            Some((t, c)) => {
                                *icmp_type = t;
                                *code = c;
                                1
                            }
                            None => return Err(format!("unknown word \"{word}\"")),
                        },
                    },
                    _ => return Err(format!("unknown word \"{word}\"")),
                };
                i += consumed;
                continue;
            }
        }
        i += 2;
        if i > w.len() {
            return Err(format!("\"{word}\" needs a value"));
        }
    }
    if let L4Spec::Icmp {
        icmp_type, about, ..
    } = &spec.l4
    {
        if icmp_is_error(*icmp_type) && about.is_none() {
            return Err("an ICMP error needs \"about PACKET\" (the packet it quotes)".into());
        }
    }
    Ok((spec, i))
}

/// The IPv4 packet (no Ethernet header) a spec describes.
pub fn build_ip(spec: &PacketSpec) -> Result<Vec<u8>, String> {
    let mut l4: Vec<u8> = Vec::new();
    let proto = match &spec.l4 {
        L4Spec::Tcp {
            sport,
            dport,
            flags,
            seq,
            ack,
        } => {
            let mut h = TcpHeader::new(*sport, *dport, *seq, 64240);
            h.fin = flags & TCP_FIN != 0;
            h.syn = flags & TCP_SYN != 0;
            h.rst = flags & TCP_RST != 0;
            h.psh = flags & TCP_PSH != 0;
            h.ack = flags & TCP_ACK != 0;
            h.urg = flags & TCP_URG != 0;
            h.acknowledgment_number = *ack;
            h.write(&mut l4).map_err(|e| e.to_string())?;
            IpNumber::TCP
        }
        L4Spec::Udp { sport, dport } => {
            let h = UdpHeader {
                source_port: *sport,
                destination_port: *dport,
                length: 8,
                checksum: 0,
            };
            h.write(&mut l4).map_err(|e| e.to_string())?;
            IpNumber::UDP
        }
        L4Spec::Icmp {
            icmp_type,
            code,
            id,
            seq,
            mtu,
            about,
        } => {
            l4.extend_from_slice(&[*icmp_type, *code, 0, 0]);
            if *icmp_type == 3 && *code == 4 {
                l4.extend_from_slice(&[0, 0]);
                l4.extend_from_slice(&mtu.to_be_bytes());
            } else if icmp_is_error(*icmp_type) {
                l4.extend_from_slice(&[0, 0, 0, 0]);
            } else {
                l4.extend_from_slice(&id.to_be_bytes());
                l4.extend_from_slice(&seq.to_be_bytes());
            }
            if let Some(inner) = about {
                let quoted = build_ip(inner)?;
                let ihl = ((quoted[0] & 0x0f) as usize) * 4;
                // as routers quote: the header and 8 bytes of data
                l4.extend_from_slice(&quoted[..quoted.len().min(ihl + 8)]);
            }
            IpNumber::ICMP
        }
        L4Spec::Other { proto } => IpNumber(*proto),
    };
    let min = 20 + l4.len();
    let total = (spec.len as usize).max(min);
    if total > 65535 {
        return Err("packet too long".into());
    }
    l4.resize(total - 20, 0);
    let mut ip = Ipv4Header::new(
        (total - 20) as u16,
        spec.ttl,
        proto,
        spec.src.octets(),
        spec.dst.octets(),
    )
    .map_err(|e| e.to_string())?;
    ip.dscp = etherparse::IpDscp::try_new(spec.tos >> 2).map_err(|e| e.to_string())?;
    ip.ecn = etherparse::IpEcn::try_new(spec.tos & 3).map_err(|e| e.to_string())?;
    ip.dont_fragment = spec.df;
    ip.more_fragments = spec.mf;
    ip.fragment_offset =
        etherparse::IpFragOffset::try_new(spec.frag_offset / 8).map_err(|e| e.to_string())?;
    ip.identification = 0x1234;
    ip.header_checksum = ip.calc_header_checksum();
    // transport checksums over the pseudo header (first fragments only)
    if spec.frag_offset == 0 {
        match proto {
            IpNumber::TCP => {
                let c = ruta_packet::checksum::l4_checksum(spec.src, spec.dst, 6, &l4);
                l4[16..18].copy_from_slice(&c.to_be_bytes());
            }
            IpNumber::UDP => {
                let len = l4.len() as u16;
                l4[4..6].copy_from_slice(&len.to_be_bytes());
                let c = ruta_packet::checksum::udp_checksum(spec.src, spec.dst, &l4);
                l4[6..8].copy_from_slice(&c.to_be_bytes());
            }
            IpNumber::ICMP => {
                let c = ruta_packet::checksum::checksum(&l4);
                l4[2..4].copy_from_slice(&c.to_be_bytes());
            }
            _ => {}
        }
    }
    let mut out = Vec::with_capacity(total);
    ip.write(&mut out).map_err(|e| e.to_string())?;
    out.extend_from_slice(&l4);
    Ok(out)
}

/// The Ethernet frame of a spec, sent to `dst_mac` (the port's) from `src_mac` unless the
/// spec names them.
pub fn build_frame(spec: &PacketSpec, port_mac: [u8; 6]) -> Result<Vec<u8>, String> {
    let ip = build_ip(spec)?;
    let mut f = Vec::with_capacity(14 + ip.len());
    f.extend_from_slice(&spec.dst_mac.unwrap_or(port_mac));
    f.extend_from_slice(&spec.src_mac.unwrap_or(PEER_MAC));
    f.extend_from_slice(&[0x08, 0x00]);
    f.extend_from_slice(&ip);
    Ok(f)
}

/// The MAC address trace frames come from unless a line says otherwise.
pub const PEER_MAC: [u8; 6] = [0x02, 0x00, 0x5e, 0x00, 0x00, 0x01];

#[cfg(test)]
mod tests {
    use super::*;
    use etherparse::{NetSlice, SlicedPacket, TransportSlice};

    #[test]
    fn issue_examples_parse_and_build() {
        let s = parse_line("iif eth0 tcp 192.168.99.10:40000 > 198.51.100.7:80 syn").unwrap();
        assert_eq!(s.iif, "eth0");
        let f = build_frame(&s, [2, 0, 0, 0, 0, 9]).unwrap();
        let p = SlicedPacket::from_ethernet(&f).unwrap();
        let Some(NetSlice::Ipv4(ip)) = p.net else {
            panic!("not ipv4")
        };
        assert_eq!(ip.header().source_addr(), Ipv4Addr::new(192, 168, 99, 10));
        let Some(TransportSlice::Tcp(t)) = p.transport else {
            panic!("not tcp")
        };
        assert!(t.syn() && !t.ack());
        assert_eq!(t.destination_port(), 80);
        assert_eq!(
            t.calc_checksum_ipv4(
                ip.header().source_addr().octets(),
                ip.header().destination_addr().octets()
            )
            .unwrap(),
            t.checksum()
        );

        let s = parse_line("iif eth4 icmp 198.51.100.7 > 67.17.28.10 echo-request id 7").unwrap();
        assert!(matches!(
            s.l4,
            L4Spec::Icmp {
                icmp_type: 8,
                id: 7,
                ..
            }
        ));
        build_frame(&s, [0; 6]).unwrap();
    }

    #[test]
    fn options_and_flags() {
        let s = parse_line(
            "iif eth0 tcp 10.0.0.1:1 > 10.0.0.2:2 fin,ack mark 4 tos 0x10 ttl 1 len 200 df",
        )
        .unwrap();
        assert_eq!((s.mark, s.tos, s.ttl, s.len, s.df), (4, 0x10, 1, 200, true));
        assert!(matches!(s.l4, L4Spec::Tcp { flags, .. } if flags == TCP_FIN | TCP_ACK));
        let ip = build_ip(&s).unwrap();
        assert_eq!(ip.len(), 200);
        assert_eq!(ip[1], 0x10);
        assert_eq!(tcp_flags_name(TCP_FIN | TCP_ACK), "fin,ack");
        assert_eq!(tcp_flags_name(TCP_SYN | TCP_ACK), "syn-ack");
    }

    #[test]
    fn icmp_error_quotes_packet() {
        let s = parse_line(
            "iif eth4 icmp 203.0.113.1 > 67.17.28.12 time-exceeded about udp 67.17.28.12:1024 > 198.51.100.9:53",
        )
        .unwrap();
        let ip = build_ip(&s).unwrap();
        assert_eq!(ip.len(), 20 + 8 + 20 + 8);
        assert_eq!(ip[20], 11);
        assert_eq!(&ip[20 + 8 + 12..20 + 8 + 16], &[67, 17, 28, 12]);
        assert_eq!(ruta_packet::checksum::checksum(&ip[20..]), 0);
        assert!(parse_line("iif eth4 icmp 1.1.1.1 > 2.2.2.2 time-exceeded").is_err());
    }

    #[test]
    fn bad_lines_are_errors() {
        for l in [
            "",
            "tcp 1.1.1.1:1 > 2.2.2.2:2",
            "iif eth0 tcp 1.1.1.1 > 2.2.2.2:2",
            "iif eth0 tcp 1.1.1.1:1 2.2.2.2:2",
            "iif eth0 gre 1.1.1.1 > 2.2.2.2",
            "iif eth0 udp 1.1.1.1:1 > 2.2.2.2:2 syn",
            "iif eth0 udp 1.1.1.1:1 > 2.2.2.2:2 mark",
            "iif eth0 udp 1.1.1.1:1 > 2.2.2.2:70000",
            "iif eth0 icmp 1.1.1.1 > 2.2.2.2 frag 3",
        ] {
            assert!(parse_line(l).is_err(), "{l}");
        }
    }
}
