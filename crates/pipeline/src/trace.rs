//! `ruta trace [-j] -f PACKETS`: packets described in words ([`crate::packets`]) run through
//! the real pipeline, in order, against one conntrack table, so that a reply line sees the
//! flow an earlier line created. Each packet is shown with every step it went through.

use crate::packets;
use crate::path::{self, Trace};
use crate::snapshot::Snapshot;
use crate::verdict::Verdict;
use crate::Ctx;
use ruta_conntrack::Conntrack;
use serde_json::{json, Map, Value};

/// One traced packet.
#[derive(Clone, Debug)]
pub struct Traced {
    /// Line number in the packets file.
    pub line: usize,
    /// The line as written.
    pub text: String,
    pub verdict: Verdict,
    pub trace: Trace,
}

/// The clock the trace runs at (seconds): every packet of a file arrives at the same time.
pub const TRACE_NOW: u32 = 1000;

/// Parses every line of `text` first (an error names its line and nothing runs), then runs
/// them in order.
pub fn run(
    snap: &Snapshot,
    ct: &Conntrack,
    ctx: &mut Ctx,
    text: &str,
) -> Result<Vec<Traced>, String> {
    let mut specs = Vec::new();
    for (i, raw) in text.lines().enumerate() {
        let line = raw.split('#').next().unwrap_or("").trim();
        if line.is_empty() {
            continue;
        }
        let spec = packets::parse_line(line).map_err(|e| format!("line {}: {e}", i + 1))?;
        let port = snap
            .port_by_name(&spec.iif)
            .ok_or_else(|| format!("line {}: no port \"{}\"", i + 1, spec.iif))?;
        let frame = if port.tun {
            packets::build_ip(&spec)
        } else {
            packets::build_frame(&spec, port.mac)
        }
        .map_err(|e| format!("line {}: {e}", i + 1))?;
        specs.push((i + 1, line.to_string(), port.index, spec, frame));
    }
    let mut out = Vec::new();
    ctx.now = TRACE_NOW;
    for (line, text, iif, spec, mut frame) in specs {
        let mut t = Trace::default();
        let v = path::process(snap, ct, ctx, iif, &mut frame, spec.mark, Some(&mut t));
        out.push(Traced {
            line,
            text,
            verdict: v,
            trace: t,
        });
    }
    Ok(out)
}

fn proto_name(p: u8) -> String {
    match p {
        1 => "icmp".into(),
        6 => "tcp".into(),
        17 => "udp".into(),
        n => n.to_string(),
    }
}

/// The text report: per packet, its line, its steps, and how it left.
pub fn render_text(snap: &Snapshot, r: &[Traced]) -> String {
    let mut s = String::new();
    for (n, p) in r.iter().enumerate() {
        if n > 0 {
            s.push('\n');
        }
        s.push_str(&format!("packet {} (line {}): {}\n", n + 1, p.line, p.text));
        for st in &p.trace.steps {
            s.push_str(&format!("  {:<10} {}\n", st.stage, st.detail));
        }
        let out_oif = match p.verdict {
            Verdict::Forward { oif, .. } | Verdict::Fragments { oif, .. } => Some(oif),
            _ => None,
        };
        if let (Some(oif), Some(o)) = (out_oif, &p.trace.out) {
            let ports = if matches!(o.proto, 6 | 17) {
                format!("{}:{} > {}:{}", o.src, o.sport, o.dst, o.dport)
            } else {
                format!("{} > {}", o.src, o.dst)
            };
            s.push_str(&format!(
                "  {:<10} {} {} ttl {} mark {:#x} out of {}\n",
                "leaves",
                proto_name(o.proto),
                ports,
                o.ttl,
                o.mark,
                path::link_name(snap, oif)
            ));
        }
    }
    s
}

/// `-j`: one JSON object per packet, one per line.
pub fn render_json(snap: &Snapshot, r: &[Traced]) -> String {
    let mut s = String::new();
    for p in r {
        let mut j = Map::new();
        j.insert("line".into(), json!(p.line));
        j.insert("packet".into(), json!(p.text));
        j.insert("verdict".into(), json!(p.verdict.word()));
        let (oif, gw, reason) = match p.verdict {
            Verdict::Forward { oif, nexthop, .. } | Verdict::Fragments { oif, nexthop, .. } => {
                (Some(oif), Some(nexthop), None)
            }
            Verdict::Reply {
                oif,
                nexthop,
                reason,
                ..
            } => (Some(oif), Some(nexthop), Some(reason)),
            Verdict::Local => (None, None, None),
            Verdict::Drop(r) => (None, None, Some(r)),
        };
        j.insert(
            "oif".into(),
            oif.map_or(Value::Null, |i| json!(path::link_name(snap, i))),
        );
        j.insert(
            "gateway".into(),
            gw.map_or(Value::Null, |g| json!(g.to_string())),
        );
        j.insert(
            "drop_reason".into(),
            reason.map_or(Value::Null, |r| json!(r.as_str())),
        );
        j.insert(
            "out".into(),
            match &p.trace.out {
                Some(o) => json!({
                    "src": o.src.to_string(),
                    "dst": o.dst.to_string(),
                    "proto": proto_name(o.proto),
                    "sport": o.sport,
                    "dport": o.dport,
                    "mark": o.mark,
                    "ttl": o.ttl,
                }),
                None => Value::Null,
            },
        );
        j.insert(
            "steps".into(),
            Value::Array(
                p.trace
                    .steps
                    .iter()
                    .map(|st| json!({"stage": st.stage, "detail": st.detail}))
                    .collect(),
            ),
        );
        s.push_str(&Value::Object(j).to_string());
        s.push('\n');
    }
    s
}
