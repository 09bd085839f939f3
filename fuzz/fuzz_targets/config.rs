//! Fuzz target: any bytes as a config file, applied all-or-nothing and with --force,
//! then queried. Nothing may panic; a failed apply must leave the router untouched.
#![no_main]

use libfuzzer_sys::fuzz_target;
use ruta_config::{apply_text, ip, IpOpts, Router, Source};

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let src = Source {
        name: "fuzz.conf".into(),
        dir: std::env::temp_dir(),
    };
    let mut rt = Router::new();
    let before = ruta_config::render::route_show(&rt, &Default::default(), false);
    if apply_text(&mut rt, &text, &src, false).is_err() {
        let after = ruta_config::render::route_show(&rt, &Default::default(), false);
        assert_eq!(before, after, "a failed config changed the state");
    }
    let mut forced = Router::new();
    let _ = apply_text(&mut forced, &text, &src, true);
    for q in [
        "rule show",
        "-j rule show",
        "route show table all",
        "-j route show table all",
        "route get 198.18.1.1",
        "route get 198.18.1.1 from 198.18.2.2 iif lo mark 4",
        "route get fibmatch 10.0.0.1 oif lo",
    ] {
        let words: Vec<String> = q.split_whitespace().map(String::from).collect();
        let _ = ip(&mut forced, &words, &mut IpOpts::default());
    }
});
