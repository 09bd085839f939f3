//! Fuzz target: any bytes as lines of iptables words (or iptables-save text), applied to
//! a ruleset. Nothing may panic; a failed command must leave the ruleset untouched; the
//! result must list, save, restore to the same text, compile and evaluate.
#![no_main]

use libfuzzer_sys::fuzz_target;
use ruta_netfilter::{Hook, Meta, Ruleset, SaveState, TableId};

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let mut rs = Ruleset::new();
    let mut st = SaveState::new();
    for line in text.lines() {
        let before = rs.clone();
        let t = line.trim_start();
        let failed = if t.starts_with('*')
            || t.starts_with(':')
            || t == "COMMIT"
            || st.pending_table().is_some()
        {
            rs.apply_save_line(&mut st, line).is_err()
        } else {
            let words: Vec<&str> = line.split_whitespace().collect();
            rs.apply(&words).is_err()
        };
        if failed {
            assert_eq!(rs, before, "a failed line changed the ruleset: {line:?}");
        }
    }
    for q in ["-nvL", "-L", "-vxnL --line-numbers", "-S", "-S -v"] {
        for t in ["filter", "nat", "mangle"] {
            let mut w = vec!["-t", t];
            w.extend(q.split_whitespace());
            let _ = rs.clone().apply(&w);
        }
    }
    let save = rs.save(None, true, "fuzz");
    let mut again = Ruleset::new();
    let mut st = SaveState::new();
    for l in save.lines() {
        again
            .apply_save_line(&mut st, l)
            .unwrap_or_else(|e| panic!("own save text refused: {e} on {l:?}"));
    }
    assert_eq!(again.save(None, true, "fuzz"), save);
    let c = rs.compile(&["eth0", "eth1", "ppp0"]);
    let mut ctr = c.counters();
    for t in TableId::ALL {
        for h in Hook::ALL {
            let mut m = Meta {
                iif: Some(0),
                oif: Some(1),
                src: 0xc0a8_6307,
                dst: 0x4311_1c01,
                proto: 6,
                sport: 40000,
                dport: 80,
                len: 60,
                ..Meta::default()
            };
            let _ = c.run(t, h, &mut m, &mut ctr, None);
        }
    }
});
