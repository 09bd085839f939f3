//! Fuzz target: the whole pipeline. Any bytes on any port of the seed router (with a
//! stateful filter), against one small conntrack table that the inputs fill: a verdict
//! every time, never a panic, and the counters always balance.
#![no_main]

use libfuzzer_sys::fuzz_target;
use ruta_config::{apply_text, Router, Source};
use ruta_conntrack::{Config, Conntrack};
use ruta_pipeline::{path, Ctx, Snapshot};
use std::sync::{Mutex, OnceLock};

const FILTER: &str = "
iptables -P FORWARD DROP
iptables -A FORWARD -m conntrack --ctstate ESTABLISHED,RELATED -j ACCEPT
iptables -A FORWARD -p tcp --dport 23 -j REJECT --reject-with tcp-reset
iptables -A FORWARD -p udp --dport 69 -j REJECT
iptables -A FORWARD -i eth0 -j ACCEPT
";

struct State {
    snap: Snapshot,
    ct: Conntrack,
    ctx: Mutex<Ctx>,
}

fn state() -> &'static State {
    static S: OnceLock<State> = OnceLock::new();
    S.get_or_init(|| {
        let text = String::from(include_str!("../../examples/seed.conf")) + FILTER;
        let mut rt = Router::new();
        apply_text(&mut rt, &text, &Source::default(), false).expect("seed config");
        let snap = Snapshot::new(rt);
        let ctx = Mutex::new(Ctx::new(&snap));
        State {
            snap,
            ct: Conntrack::new(Config::with_max(256)),
            ctx,
        }
    })
}

fuzz_target!(|data: &[u8]| {
    let Some((&port, rest)) = data.split_first() else {
        return;
    };
    let s = state();
    let mut ctx = s.ctx.lock().unwrap();
    // the clock moves with the input so that entries expire too
    ctx.now = ctx.now.wrapping_add(u32::from(port >> 4));
    let mut frame = rest.to_vec();
    let _ = path::process(&s.snap, &s.ct, &mut ctx, u32::from(port & 7), &mut frame, 0, None);
    let st = &ctx.stats;
    assert_eq!(st.received, st.forwarded + st.local + st.consumed());
});
