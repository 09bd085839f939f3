//! Tests of the neighbour subsystem: every NUD transition on a fake clock, queues and their
//! bounds, gc, static entries, received ARP, rendering against captured iproute2 output, and
//! random event sequences.

use std::net::Ipv4Addr;

use super::machine::Core;
use super::*;

const IF: IfIndex = 2;
const OUR_IP: Ipv4Addr = Ipv4Addr::new(198, 18, 1, 1);
const OUR_MAC: Mac = [2, 0, 0, 0, 0, 0xfe];
const GW: Ipv4Addr = Ipv4Addr::new(198, 18, 1, 2);
const MAC_A: Mac = [2, 0, 0, 0, 0, 1];
const MAC_B: Mac = [2, 0, 0, 0, 0, 2];
/// Clock origin: not 0, to catch code that assumes so.
const T0: i64 = 1_000_000;

fn params() -> Params {
    Params {
        seed: 42,
        ..Params::default()
    }
}

fn core() -> Core {
    Core::standalone(params())
}

/// An Ethernet/IPv4 frame from OUR_IP, tagged with `id` in the payload.
fn frame(id: u8, len: usize) -> Vec<u8> {
    let mut f = vec![0u8; len.max(40)];
    f[12] = 0x08;
    f[14] = 0x45;
    f[26..30].copy_from_slice(&OUR_IP.octets());
    f[34] = id;
    f
}

fn arp(op: ArpOp, sip: Ipv4Addr, sha: Mac, tip: Ipv4Addr, to_us: bool) -> ArpIn {
    ArpIn {
        ifindex: IF,
        op,
        sender_ip: sip,
        sender_mac: sha,
        target_ip: tip,
        target_mac: if op == ArpOp::Reply { OUR_MAC } else { [0; 6] },
        target_is_local: tip == OUR_IP,
        sender_is_local: false,
        to_us,
    }
}

fn reply(sip: Ipv4Addr, sha: Mac) -> ArpIn {
    arp(ArpOp::Reply, sip, sha, OUR_IP, true)
}

fn drain(c: &mut Core, now: i64) -> Vec<Action> {
    std::iter::from_fn(|| c.poll(now)).collect()
}

fn solicits(actions: &[Action]) -> Vec<Option<Mac>> {
    actions
        .iter()
        .filter_map(|a| match a {
            Action::Solicit { dst, .. } => Some(*dst),
            _ => None,
        })
        .collect()
}

fn frame_ids(frames: &mut Frames) -> Vec<u8> {
    let mut buf = [0u8; 2048];
    std::iter::from_fn(|| frames.pop_into(&mut buf).map(|_| buf[34])).collect()
}

fn state(c: &Core, ip: Ipv4Addr) -> Option<Nud> {
    c.state_of(IF, ip).map(|s| s.0)
}

/// Brings GW to REACHABLE at T0 (resolve, broadcast, reply).
fn reachable_gw(c: &mut Core) {
    let key = key_of(IF, GW);
    assert_eq!(c.event_send(key, T0, None), Resolve::Queue);
    drain(c, T0);
    assert_eq!(c.on_arp(&reply(GW, MAC_A), T0), None);
    assert_eq!(state(c, GW), Some(Nud::Reachable));
    drain(c, T0);
}

/// Brings GW to STALE at T0 (a request from it for our address).
fn stale_gw(c: &mut Core) {
    let r = c.on_arp(&arp(ArpOp::Request, GW, MAC_A, OUR_IP, false), T0);
    assert!(r.is_some());
    assert_eq!(state(c, GW), Some(Nud::Stale));
}

#[test]
fn incomplete_to_reachable_on_reply_releases_the_queue() {
    let mut c = core();
    let key = key_of(IF, GW);
    assert_eq!(c.event_send(key, T0, None), Resolve::Queue);
    assert_eq!(c.event_send(key, T0, Some(&frame(1, 100))), Resolve::Queue);
    assert_eq!(
        c.event_send(key, T0 + 5, Some(&frame(2, 100))),
        Resolve::Queue
    );
    assert_eq!(
        c.state_of(IF, GW),
        Some((Nud::Incomplete, [0; 6], 4)),
        "probes start at ucast_solicit"
    );
    let acts = drain(&mut c, T0 + 5);
    assert_eq!(acts.len(), 1, "one request per resolution start: {acts:?}");
    match &acts[0] {
        Action::Solicit {
            ifindex,
            target,
            dst,
            src_hint,
        } => {
            assert_eq!((*ifindex, *target, *dst), (IF, GW, None), "broadcast");
            // The hint is taken when the probe goes, from the newest queued frame; the first
            // probe went before any frame was queued.
            assert_eq!(*src_hint, None);
        }
        a => panic!("{a:?}"),
    }
    assert_eq!(
        c.fast_lookup(IF, GW, T0 + 5),
        None,
        "INCOMPLETE is not published"
    );
    assert_eq!(c.on_arp(&reply(GW, MAC_A), T0 + 10), None);
    assert_eq!(state(&c, GW), Some(Nud::Reachable));
    let mut acts = drain(&mut c, T0 + 10);
    assert_eq!(acts.len(), 1);
    match &mut acts[0] {
        Action::Release {
            ifindex,
            ip,
            mac,
            frames,
        } => {
            assert_eq!((*ifindex, *ip, *mac), (IF, GW, MAC_A));
            assert_eq!(frame_ids(frames), vec![1, 2], "oldest first");
        }
        a => panic!("{a:?}"),
    }
    assert_eq!(c.fast_lookup(IF, GW, T0 + 11), Some(MAC_A));
    assert_eq!(
        c.event_send(key, T0 + 11, Some(&frame(3, 100))),
        Resolve::Mac(MAC_A)
    );
    drop(acts);
    assert_eq!(
        c.pool_free(),
        params().pool_frames,
        "frames returned to the pool"
    );
    c.check_invariants();
}

#[test]
fn retries_then_failed_reports_queued_frames_unreachable() {
    // As captured from the kernel: broadcasts at 0, 1 s, 2 s; FAILED at 3 s.
    let mut c = core();
    let key = key_of(IF, GW);
    c.event_send(key, T0, Some(&frame(1, 60)));
    c.event_send(key, T0 + 100, Some(&frame(2, 60)));
    assert_eq!(solicits(&drain(&mut c, T0 + 100)), vec![None]);
    assert!(drain(&mut c, T0 + 999).is_empty());
    assert_eq!(c.next_timeout(), Some((T0 + 1000) as u64));
    let acts = drain(&mut c, T0 + 1000);
    assert_eq!(solicits(&acts), vec![None]);
    match &acts[0] {
        Action::Solicit { src_hint, .. } => assert_eq!(*src_hint, Some(OUR_IP)),
        a => panic!("{a:?}"),
    }
    assert_eq!(solicits(&drain(&mut c, T0 + 2000)), vec![None]);
    assert_eq!(state(&c, GW), Some(Nud::Incomplete));
    let mut acts = drain(&mut c, T0 + 3000);
    assert_eq!(acts.len(), 1);
    match &mut acts[0] {
        Action::Unreachable {
            ifindex,
            ip,
            frames,
        } => {
            assert_eq!((*ifindex, *ip), (IF, GW));
            assert_eq!(frame_ids(frames), vec![1, 2]);
        }
        a => panic!("{a:?}"),
    }
    assert_eq!(c.state_of(IF, GW), Some((Nud::Failed, [0; 6], 6)));
    assert_eq!(c.stats().res_failed, 1);
    assert!(
        drain(&mut c, T0 + 10_000).is_empty(),
        "FAILED runs no timer"
    );
    // The next packet starts over (FAILED -> INCOMPLETE), as __neigh_event_send does.
    assert_eq!(
        c.event_send(key, T0 + 10_000, Some(&frame(3, 60))),
        Resolve::Queue
    );
    assert_eq!(solicits(&drain(&mut c, T0 + 10_000)), vec![None]);
    assert_eq!(state(&c, GW), Some(Nud::Incomplete));
    c.check_invariants();
}

#[test]
fn reachable_time_is_randomized_in_half_to_three_halves() {
    for seed in 0..200 {
        let c = Core::standalone(Params {
            seed,
            ..Params::default()
        });
        let rt = c.reachable_time();
        assert!((15_000..45_000).contains(&rt), "{rt}");
    }
    let a = Core::standalone(Params {
        seed: 1,
        ..Params::default()
    })
    .reachable_time();
    let differ = (2..20).any(|s| {
        Core::standalone(Params {
            seed: s,
            ..Params::default()
        })
        .reachable_time()
            != a
    });
    assert!(differ);
}

#[test]
fn reachable_to_stale_after_reachable_time() {
    let mut c = core();
    reachable_gw(&mut c);
    let rt = c.reachable_time() as i64;
    drain(&mut c, T0 + rt - 1);
    // Periodic work runs every base_reachable_time / 2 from the first event.
    let periodic = T0 + ((rt - 1) / 15_000 + 1) * 15_000;
    assert_eq!(c.next_timeout(), Some((T0 + rt).min(periodic) as u64));
    drain(&mut c, T0 + rt);
    assert_eq!(
        state(&c, GW),
        Some(Nud::Reachable),
        "still alive at confirmed + reachable_time"
    );
    drain(&mut c, T0 + rt + 10);
    assert_eq!(state(&c, GW), Some(Nud::Stale));
    assert_eq!(
        c.fast_lookup(IF, GW, T0 + rt + 10),
        None,
        "STALE goes to the slow path"
    );
    assert!(drain(&mut c, T0 + rt + 100_000)
        .iter()
        .all(|a| !matches!(a, Action::Solicit { .. })));
    c.check_invariants();
}

#[test]
fn reachable_used_recently_goes_to_delay_then_reachable_on_confirm() {
    let mut c = core();
    reachable_gw(&mut c);
    let rt = c.reachable_time() as i64;
    // Used through the fast path shortly before the timer.
    assert_eq!(c.fast_lookup(IF, GW, T0 + rt - 1000), Some(MAC_A));
    drain(&mut c, T0 + rt + 10);
    assert_eq!(state(&c, GW), Some(Nud::Delay));
    assert_eq!(
        c.fast_lookup(IF, GW, T0 + rt + 20),
        Some(MAC_A),
        "DELAY sends with the MAC"
    );
    c.confirm(key_of(IF, GW), T0 + rt + 2000);
    drain(&mut c, T0 + rt + 10 + 5000);
    assert_eq!(state(&c, GW), Some(Nud::Reachable));
    c.check_invariants();
}

#[test]
fn stale_to_delay_on_use_then_reachable_on_confirmation() {
    let mut c = core();
    stale_gw(&mut c);
    let key = key_of(IF, GW);
    assert_eq!(
        c.event_send(key, T0 + 100, None),
        Resolve::Mac(MAC_A),
        "STALE sends, moves to DELAY"
    );
    assert_eq!(state(&c, GW), Some(Nud::Delay));
    assert!(drain(&mut c, T0 + 100).is_empty(), "no probe in DELAY");
    c.confirm(key, T0 + 3000);
    drain(&mut c, T0 + 5100);
    assert_eq!(state(&c, GW), Some(Nud::Reachable));
    let rt = c.reachable_time() as i64;
    // next = confirmed + reachable_time
    drain(&mut c, T0 + 3000 + rt - 1);
    assert_eq!(state(&c, GW), Some(Nud::Reachable));
    drain(&mut c, T0 + 3000 + rt + 10);
    assert_eq!(state(&c, GW), Some(Nud::Stale));
}

#[test]
fn stale_delay_probe_failed() {
    // As captured from the kernel: DELAY for delay_first_probe_time, then 3 unicast probes
    // one retrans_time apart, then FAILED.
    let mut c = core();
    stale_gw(&mut c);
    let key = key_of(IF, GW);
    assert_eq!(c.event_send(key, T0, None), Resolve::Mac(MAC_A));
    assert!(drain(&mut c, T0 + 4999).is_empty());
    assert_eq!(solicits(&drain(&mut c, T0 + 5000)), vec![Some(MAC_A)]);
    assert_eq!(c.state_of(IF, GW), Some((Nud::Probe, MAC_A, 1)));
    assert_eq!(
        c.fast_lookup(IF, GW, T0 + 5001),
        Some(MAC_A),
        "PROBE still sends"
    );
    assert_eq!(solicits(&drain(&mut c, T0 + 6000)), vec![Some(MAC_A)]);
    assert_eq!(solicits(&drain(&mut c, T0 + 7000)), vec![Some(MAC_A)]);
    let acts = drain(&mut c, T0 + 8000);
    assert!(acts.is_empty(), "nothing queued in PROBE: {acts:?}");
    assert_eq!(state(&c, GW), Some(Nud::Failed));
    assert_eq!(c.fast_lookup(IF, GW, T0 + 8001), None);
    assert_eq!(c.event_send(key, T0 + 8001, None), Resolve::Queue);
    c.check_invariants();
}

#[test]
fn probe_to_reachable_on_unicast_reply() {
    let mut c = core();
    stale_gw(&mut c);
    c.event_send(key_of(IF, GW), T0, None);
    drain(&mut c, T0 + 5000);
    assert_eq!(state(&c, GW), Some(Nud::Probe));
    c.on_arp(&reply(GW, MAC_A), T0 + 5100);
    assert_eq!(state(&c, GW), Some(Nud::Reachable));
    assert!(drain(&mut c, T0 + 9000).is_empty(), "no more probes");
}

#[test]
fn mcast_resolicit_adds_broadcasts_after_unicast_probes() {
    let mut c = Core::standalone(Params {
        mcast_resolicit: 2,
        ..params()
    });
    stale_gw(&mut c);
    c.event_send(key_of(IF, GW), T0, None);
    let mut all = Vec::new();
    for t in (5000..=10_000).step_by(1000) {
        all.extend(solicits(&drain(&mut c, T0 + t)));
    }
    assert_eq!(all, vec![Some(MAC_A), Some(MAC_A), Some(MAC_A), None, None]);
    assert_eq!(state(&c, GW), Some(Nud::Failed));
}

#[test]
fn no_solicits_configured_fails_at_once() {
    let mut c = Core::standalone(Params {
        mcast_solicit: 0,
        app_solicit: 0,
        ..params()
    });
    assert_eq!(
        c.event_send(key_of(IF, GW), T0, Some(&frame(1, 60))),
        Resolve::Failed
    );
    assert_eq!(state(&c, GW), Some(Nud::Failed));
    assert!(drain(&mut c, T0).is_empty());
}

#[test]
fn app_solicit_probes_send_nothing() {
    let mut c = Core::standalone(Params {
        app_solicit: 1,
        ..params()
    });
    c.event_send(key_of(IF, GW), T0, None);
    assert!(
        solicits(&drain(&mut c, T0)).is_empty(),
        "first INCOMPLETE probe is the app's"
    );
    assert_eq!(solicits(&drain(&mut c, T0 + 1000)), vec![None]);
    assert_eq!(c.stats().app_probes, 1);
}

#[test]
fn queue_drops_oldest_over_unres_qlen_bytes() {
    let mut p = params();
    p.set_unres_qlen(3);
    assert_eq!(p.unres_qlen(), 3);
    assert_eq!(Params::default().unres_qlen(), 101, "the kernel's default");
    let mut c = Core::standalone(p);
    let key = key_of(IF, GW);
    for id in 1..=5 {
        assert_eq!(
            c.event_send(key, T0, Some(&frame(id, 1514))),
            Resolve::Queue
        );
        c.check_invariants();
    }
    assert_eq!(c.stats().unres_discards, 2);
    assert_eq!(c.queued_frames(), 3);
    drain(&mut c, T0);
    c.on_arp(&reply(GW, MAC_A), T0 + 1);
    let mut acts = drain(&mut c, T0 + 1);
    match &mut acts[0] {
        Action::Release { frames, .. } => assert_eq!(frame_ids(frames), vec![3, 4, 5]),
        a => panic!("{a:?}"),
    }
}

#[test]
fn small_frames_fit_more_and_one_oversized_frame_is_still_queued() {
    let mut p = params();
    p.set_unres_qlen(2);
    let mut c = Core::standalone(p);
    let key = key_of(IF, GW);
    for id in 1..=8 {
        c.event_send(key, T0, Some(&frame(id, 64)));
    }
    // 2 * (1514 + 576) bytes hold 6 frames of 64 + 576.
    assert_eq!(c.queued_frames(), 6);
    assert_eq!(c.stats().unres_discards, 2);
    let mut c = Core::standalone(Params {
        unres_qlen_bytes: 100,
        ..params()
    });
    c.event_send(key, T0, Some(&frame(1, 64)));
    c.event_send(key, T0, Some(&frame(2, 64)));
    assert_eq!(
        c.queued_frames(),
        1,
        "the kernel keeps the newest even when it alone is over"
    );
}

#[test]
fn shared_pool_is_bounded() {
    let mut c = Core::standalone(Params {
        pool_frames: 4,
        ..params()
    });
    let (a, b) = (key_of(IF, GW), key_of(IF, Ipv4Addr::new(198, 18, 1, 3)));
    for id in 0..4 {
        c.event_send(a, T0, Some(&frame(id, 60)));
    }
    assert_eq!(c.event_send(b, T0, Some(&frame(9, 60))), Resolve::Queue);
    assert_eq!(c.stats().pool_exhausted, 1, "b has nothing to give back");
    c.event_send(a, T0, Some(&frame(5, 60)));
    assert_eq!(
        c.stats().unres_discards,
        1,
        "a makes room from its own queue"
    );
    assert_eq!(c.queued_frames(), 4);
    assert_eq!(c.pool_free(), 0);
    let too_long = vec![0u8; params().max_frame_len + 1];
    c.event_send(b, T0, Some(&too_long));
    assert_eq!(c.stats().too_long, 1);
    c.check_invariants();
}

#[test]
fn periodic_gc_collects_unused_entries_above_gc_thresh1() {
    let mut c = Core::standalone(Params {
        gc_thresh1: 4,
        ..params()
    });
    let n = |i: u8| Ipv4Addr::new(198, 18, 1, i);
    for i in 10..16u8 {
        c.on_arp(&arp(ArpOp::Request, n(i), MAC_B, OUR_IP, false), T0);
    }
    assert_eq!(c.len(), 6);
    drain(&mut c, T0 + 29_999);
    assert_eq!(c.len(), 6);
    // .10 is sent to: DELAY, PROBE (no answer), FAILED at +38 s.
    c.event_send(key_of(IF, n(10)), T0 + 30_000, None);
    for t in (30_000..45_000).step_by(1000) {
        drain(&mut c, T0 + t);
    }
    assert_eq!(state(&c, n(10)), Some(Nud::Failed));
    // Periodic work at +45 s (every base_reachable_time / 2): FAILED goes, the rest is younger
    // than gc_stale_time.
    drain(&mut c, T0 + 45_000);
    assert_eq!(c.len(), 5);
    assert_eq!(state(&c, n(10)), None);
    // .11 is confirmed (an upper layer saw progress): `used` catches up with `confirmed`.
    c.confirm(key_of(IF, n(11)), T0 + 50_000);
    drain(&mut c, T0 + 60_000);
    let left: Vec<Ipv4Addr> = c.entries(T0 + 60_000).iter().map(|e| e.dst).collect();
    assert_eq!(
        left,
        vec![n(11)],
        "unused for gc_stale_time (60 s): collected"
    );
    // Below gc_thresh1 nothing more is collected, however old.
    for t in (60_000..=600_000).step_by(15_000) {
        drain(&mut c, T0 + t);
    }
    assert_eq!(c.len(), 1);
    assert!(c.stats().periodic_gc_runs >= 5);
    c.check_invariants();
}

#[test]
fn periodic_gc_keeps_everything_below_gc_thresh1() {
    let mut c = core();
    for n in 10..16u8 {
        c.on_arp(
            &arp(
                ArpOp::Request,
                Ipv4Addr::new(198, 18, 1, n),
                MAC_B,
                OUR_IP,
                false,
            ),
            T0,
        );
    }
    for t in (0..=600_000).step_by(15_000) {
        drain(&mut c, T0 + t);
    }
    assert_eq!(c.len(), 6);
}

#[test]
fn periodic_gc_spares_recently_used_and_permanent() {
    let mut c = Core::standalone(Params {
        gc_thresh1: 1,
        ..params()
    });
    let used = Ipv4Addr::new(198, 18, 1, 20);
    let perm = Ipv4Addr::new(198, 18, 1, 21);
    c.admin_add(
        key_of(IF, perm),
        Some(MAC_B),
        Nud::Permanent,
        AddMode::Add,
        T0,
    )
    .unwrap();
    c.admin_add(key_of(IF, used), Some(MAC_B), Nud::Stale, AddMode::Add, T0)
        .unwrap();
    for t in (0..=300_000).step_by(15_000) {
        // A STALE entry that is looked at (without being sent to) counts as used through
        // `confirmed` only; keep it alive by confirming.
        c.confirm(key_of(IF, used), T0 + t);
        drain(&mut c, T0 + t);
    }
    assert_eq!(state(&c, used), Some(Nud::Stale));
    assert_eq!(state(&c, perm), Some(Nud::Permanent));
}

#[test]
fn forced_gc_above_gc_thresh2_and_table_full_at_gc_thresh3() {
    let p = Params {
        gc_thresh1: 1,
        gc_thresh2: 4,
        gc_thresh3: 6,
        ..params()
    };
    let mut c = Core::standalone(p);
    for n in 10..16u8 {
        c.on_arp(
            &arp(
                ArpOp::Request,
                Ipv4Addr::new(198, 18, 1, n),
                MAC_B,
                OUR_IP,
                false,
            ),
            T0,
        );
    }
    assert_eq!(c.len(), 6);
    // Young entries (updated < 5 s ago) are not collected: the table is full.
    assert_eq!(
        c.event_send(key_of(IF, GW), T0 + 1000, None),
        Resolve::Failed
    );
    assert_eq!(c.stats().table_fulls, 1);
    // Once they are older than 5 s, a new entry evicts the oldest down to gc_thresh2.
    assert_eq!(
        c.event_send(key_of(IF, GW), T0 + 6000, None),
        Resolve::Queue
    );
    assert_eq!(c.len(), 4 + 1);
    assert_eq!(
        state(&c, Ipv4Addr::new(198, 18, 1, 10)),
        None,
        "oldest first"
    );
    assert_eq!(state(&c, Ipv4Addr::new(198, 18, 1, 11)), None);
    assert_eq!(state(&c, Ipv4Addr::new(198, 18, 1, 15)), Some(Nud::Stale));
    // Entries with a running timer are never forced out: fill with INCOMPLETE entries.
    let mut c = Core::standalone(Params {
        gc_thresh1: 1,
        gc_thresh2: 4,
        gc_thresh3: 6,
        ..params()
    });
    for n in 30..36u8 {
        assert_eq!(
            c.event_send(key_of(IF, Ipv4Addr::new(198, 18, 1, n)), T0, None),
            Resolve::Queue
        );
    }
    assert_eq!(
        c.event_send(key_of(IF, GW), T0 + 2500, None),
        Resolve::Failed
    );
    // Permanent entries do not count against the thresholds.
    c.admin_add(
        key_of(IF, GW),
        Some(MAC_A),
        Nud::Permanent,
        AddMode::Add,
        T0 + 2500,
    )
    .unwrap();
    c.check_invariants();
}

#[test]
fn permanent_entries_are_static() {
    let mut c = core();
    let key = key_of(IF, GW);
    assert_eq!(
        c.admin_add(key, None, Nud::Permanent, AddMode::Add, T0),
        Err(NeighError::NoLladdr)
    );
    c.admin_add(key, Some(MAC_A), Nud::Permanent, AddMode::Add, T0)
        .unwrap();
    assert_eq!(
        c.admin_add(key, Some(MAC_B), Nud::Permanent, AddMode::Add, T0),
        Err(NeighError::Exists)
    );
    assert_eq!(c.fast_lookup(IF, GW, T0), Some(MAC_A));
    assert_eq!(
        c.next_timeout(),
        Some((T0 + 15_000) as u64),
        "only the periodic work"
    );
    // ARP cannot change it, even a gratuitous one.
    c.on_arp(&arp(ArpOp::Request, GW, MAC_B, GW, false), T0 + 5000);
    c.on_arp(&reply(GW, MAC_B), T0 + 5000);
    assert_eq!(c.state_of(IF, GW), Some((Nud::Permanent, MAC_A, 0)));
    for t in (0..=1_000_000).step_by(15_000) {
        assert!(drain(&mut c, T0 + t).is_empty());
    }
    assert_eq!(c.event_send(key, T0 + 1_000_000, None), Resolve::Mac(MAC_A));
    // The admin can replace it.
    c.admin_add(
        key,
        Some(MAC_B),
        Nud::Permanent,
        AddMode::Replace,
        T0 + 1_000_001,
    )
    .unwrap();
    assert_eq!(c.fast_lookup(IF, GW, T0 + 1_000_002), Some(MAC_B));
    assert_eq!(c.admin_del(key, T0), Ok(()));
    assert_eq!(c.admin_del(key, T0), Err(NeighError::NotFound));
    assert_eq!(c.fast_lookup(IF, GW, T0 + 1_000_002), None);
    assert_eq!(
        c.admin_add(key, Some(MAC_B), Nud::Reachable, AddMode::Change, T0),
        Err(NeighError::NotFound)
    );
    assert_eq!(
        c.admin_add(
            key_of(IF, Ipv4Addr::BROADCAST),
            Some(MAC_B),
            Nud::Permanent,
            AddMode::Add,
            T0
        ),
        Err(NeighError::BadAddress)
    );
    c.check_invariants();
}

#[test]
fn noarp_entries_and_admin_states() {
    let mut c = core();
    c.admin_add(key_of(IF, GW), Some(MAC_A), Nud::Noarp, AddMode::Add, T0)
        .unwrap();
    assert_eq!(c.event_send(key_of(IF, GW), T0, None), Resolve::Mac(MAC_A));
    c.on_arp(&reply(GW, MAC_B), T0 + 5000);
    assert_eq!(c.state_of(IF, GW).unwrap().1, MAC_A);
    // `nud delay` set by the admin runs its timer at once and goes to PROBE, as the kernel
    // showed (`ip neigh add ... nud delay` lists as PROBE right away).
    let d = Ipv4Addr::new(198, 18, 1, 54);
    c.admin_add(key_of(IF, d), Some(MAC_B), Nud::Delay, AddMode::Add, T0)
        .unwrap();
    assert_eq!(solicits(&drain(&mut c, T0)), vec![Some(MAC_B)]);
    assert_eq!(state(&c, d), Some(Nud::Probe));
    // `nud failed` / `nud incomplete` without lladdr are accepted.
    c.admin_add(
        key_of(IF, Ipv4Addr::new(198, 18, 1, 56)),
        None,
        Nud::Failed,
        AddMode::Add,
        T0,
    )
    .unwrap();
    c.admin_add(
        key_of(IF, Ipv4Addr::new(198, 18, 1, 57)),
        None,
        Nud::Incomplete,
        AddMode::Add,
        T0,
    )
    .unwrap();
    c.check_invariants();
}

#[test]
fn del_and_flush_report_queued_frames_unreachable() {
    let mut c = core();
    let key = key_of(IF, GW);
    c.event_send(key, T0, Some(&frame(7, 60)));
    drain(&mut c, T0);
    c.admin_del(key, T0 + 1).unwrap();
    let mut acts = drain(&mut c, T0 + 1);
    match &mut acts[..] {
        [Action::Unreachable { frames, .. }] => assert_eq!(frame_ids(frames), vec![7]),
        a => panic!("{a:?}"),
    }
    assert_eq!(c.len(), 0);
    c.admin_add(key, Some(MAC_A), Nud::Permanent, AddMode::Add, T0)
        .unwrap();
    stale_gw_at(&mut c, Ipv4Addr::new(198, 18, 1, 9));
    assert_eq!(
        c.flush(&ShowFilter::flush().dev(IF), T0),
        1,
        "flush spares PERMANENT"
    );
    assert_eq!(c.len(), 1);
    assert_eq!(c.flush(&ShowFilter::flush().nud("all").unwrap(), T0), 1);
    assert_eq!(c.len(), 0);
    c.admin_add(key, Some(MAC_A), Nud::Permanent, AddMode::Add, T0)
        .unwrap();
    c.ifdown(IF, T0);
    assert_eq!(c.len(), 0, "link down drops permanent entries too");
    c.check_invariants();
}

fn stale_gw_at(c: &mut Core, ip: Ipv4Addr) {
    c.on_arp(&arp(ArpOp::Request, ip, MAC_B, OUR_IP, false), T0);
}

#[test]
fn arp_request_for_us_creates_stale_and_answers() {
    let mut c = core();
    let r = c
        .on_arp(&arp(ArpOp::Request, GW, MAC_A, OUR_IP, false), T0)
        .unwrap();
    assert_eq!(
        r,
        ArpReply {
            ifindex: IF,
            dst_mac: MAC_A,
            sender_ip: OUR_IP,
            target_ip: GW,
            target_mac: MAC_A
        }
    );
    assert_eq!(c.state_of(IF, GW), Some((Nud::Stale, MAC_A, 0)));
    // A request for someone else from an unknown sender creates nothing, answers nothing.
    let other = Ipv4Addr::new(198, 18, 1, 77);
    assert_eq!(
        c.on_arp(&arp(ArpOp::Request, other, MAC_B, GW, false), T0),
        None
    );
    assert_eq!(state(&c, other), None);
    // ... but updates a known sender (STALE, the MAC changes once locktime has passed).
    c.on_arp(&arp(ArpOp::Request, GW, MAC_B, other, false), T0 + 500);
    assert_eq!(
        c.state_of(IF, GW).unwrap().1,
        MAC_A,
        "within locktime: first answer wins"
    );
    c.on_arp(&arp(ArpOp::Request, GW, MAC_B, other, false), T0 + 1001);
    assert_eq!(c.state_of(IF, GW), Some((Nud::Stale, MAC_B, 0)));
    // Requests with a martian sender get no answer.
    let mut m = arp(
        ArpOp::Request,
        Ipv4Addr::new(127, 0, 0, 1),
        MAC_A,
        OUR_IP,
        false,
    );
    assert_eq!(c.on_arp(&m, T0), None);
    m.sender_ip = Ipv4Addr::new(224, 0, 0, 1);
    assert_eq!(c.on_arp(&m, T0), None);
    // Requests for multicast targets are dropped.
    let mut m = arp(
        ArpOp::Request,
        GW,
        MAC_A,
        Ipv4Addr::new(224, 0, 0, 5),
        false,
    );
    m.target_is_local = true;
    assert_eq!(c.on_arp(&m, T0), None);
}

#[test]
fn dad_probe_gets_an_answer_and_creates_nothing() {
    let mut c = core();
    let r = c
        .on_arp(
            &arp(ArpOp::Request, Ipv4Addr::UNSPECIFIED, MAC_A, OUR_IP, false),
            T0,
        )
        .unwrap();
    assert_eq!(
        (r.target_ip, r.sender_ip, r.dst_mac),
        (Ipv4Addr::UNSPECIFIED, OUR_IP, MAC_A)
    );
    assert_eq!(c.len(), 0);
}

#[test]
fn unsolicited_replies_need_an_entry_or_arp_accept() {
    let mut c = core();
    c.on_arp(&reply(GW, MAC_A), T0);
    assert_eq!(c.len(), 0, "arp_accept=0 ignores unknown senders");
    let mut c = Core::standalone(Params {
        arp_accept: true,
        ..params()
    });
    c.on_arp(&reply(GW, MAC_A), T0);
    assert_eq!(state(&c, GW), Some(Nud::Reachable));
    // A gratuitous request creates a STALE entry under arp_accept.
    let g = Ipv4Addr::new(198, 18, 1, 40);
    c.on_arp(&arp(ArpOp::Request, g, MAC_B, g, false), T0);
    assert_eq!(state(&c, g), Some(Nud::Stale));
    // A gratuitous ARP from our own address never creates anything.
    let mut own = arp(ArpOp::Request, OUR_IP, MAC_B, OUR_IP, false);
    own.sender_is_local = true;
    own.target_is_local = false;
    c.on_arp(&own, T0);
    assert_eq!(state(&c, OUR_IP), None);
}

#[test]
fn broadcast_reply_only_makes_stale_and_garp_overrides_locktime() {
    let mut c = core();
    let key = key_of(IF, GW);
    c.event_send(key, T0, None);
    c.on_arp(&arp(ArpOp::Reply, GW, MAC_A, OUR_IP, false), T0 + 1);
    assert_eq!(
        state(&c, GW),
        Some(Nud::Stale),
        "a broadcast reply does not prove reachability"
    );
    c.on_arp(&reply(GW, MAC_A), T0 + 2);
    assert_eq!(state(&c, GW), Some(Nud::Reachable));
    // Another MAC within locktime is ignored...
    c.on_arp(&reply(GW, MAC_B), T0 + 3);
    assert_eq!(c.state_of(IF, GW).unwrap().1, MAC_A);
    // ...unless gratuitous.
    c.on_arp(&arp(ArpOp::Request, GW, MAC_B, GW, false), T0 + 4);
    // (probes keep the INCOMPLETE count, as the kernel's `ip -s neigh` shows: "probes 4")
    assert_eq!(c.state_of(IF, GW), Some((Nud::Stale, MAC_B, 4)));
    assert_eq!(c.fast_lookup(IF, GW, T0 + 5), None);
    // Same MAC as STALE keeps a REACHABLE entry REACHABLE.
    c.on_arp(&reply(GW, MAC_B), T0 + 2000);
    c.on_arp(&arp(ArpOp::Request, GW, MAC_B, OUR_IP, false), T0 + 2001);
    assert_eq!(state(&c, GW), Some(Nud::Reachable));
}

#[test]
fn announce_is_an_action() {
    let mut c = core();
    c.announce(IF, OUR_IP);
    assert_eq!(c.pending_actions(), 1);
    assert_eq!(c.next_timeout(), Some(0));
    match drain(&mut c, T0).as_slice() {
        [Action::Announce { ifindex, ip }] => assert_eq!((*ifindex, *ip), (IF, OUR_IP)),
        a => panic!("{a:?}"),
    }
}

#[test]
fn bad_destinations_fail() {
    let mut c = core();
    for ip in [
        Ipv4Addr::UNSPECIFIED,
        Ipv4Addr::BROADCAST,
        Ipv4Addr::new(224, 0, 0, 1),
    ] {
        assert_eq!(c.event_send(key_of(IF, ip), T0, None), Resolve::Failed);
    }
    assert_eq!(c.len(), 0);
}

#[test]
fn neigh_handle_end_to_end() {
    let n = Neigh::new(params());
    let now = 5u64; // a clock that starts near 0 must work too
    assert_eq!(n.resolve(IF, GW, now), Resolve::Queue);
    assert_eq!(n.queue(IF, GW, &frame(1, 60), now), Resolve::Queue);
    assert!(matches!(
        n.poll(now),
        Some(Action::Solicit { dst: None, .. })
    ));
    assert!(n.poll(now).is_none());
    assert_eq!(n.on_arp(&reply(GW, MAC_A), now + 1), None);
    match n.poll(now + 1) {
        Some(Action::Release {
            mut frames, mac, ..
        }) => {
            assert_eq!(mac, MAC_A);
            assert_eq!(frame_ids(&mut frames), vec![1]);
        }
        a => panic!("{a:?}"),
    }
    assert_eq!(n.resolve(IF, GW, now + 2), Resolve::Mac(MAC_A));
    assert_eq!(n.queue(IF, GW, &frame(2, 60), now + 2), Resolve::Mac(MAC_A));
    assert_eq!(n.len(), 1);
    assert_eq!(n.queued_frames(), 0);
    n.add(IF, OUR_IP, Some(OUR_MAC), Nud::Permanent, AddMode::Add, now)
        .unwrap();
    let names = |i: IfIndex| {
        if i == IF {
            "eth0".to_string()
        } else {
            format!("if{i}")
        }
    };
    let text = render(
        &n.entries(now + 3),
        &ShowFilter::show(),
        &names,
        false,
        false,
    );
    assert_eq!(
        text,
        "198.18.1.1 dev eth0 lladdr 02:00:00:00:00:fe PERMANENT \n\
         198.18.1.2 dev eth0 lladdr 02:00:00:00:00:01 REACHABLE \n"
    );
    n.del(IF, OUR_IP, now).unwrap();
    let rt = Core::standalone(params()).reachable_time();
    while let Some(t) = n.next_timeout() {
        if t > now + 3 * rt {
            break;
        }
        while n.poll(t).is_some() {}
    }
    assert_eq!(
        n.resolve(IF, GW, now + 3 * rt),
        Resolve::Mac(MAC_A),
        "STALE -> DELAY sends"
    );
    assert_eq!(n.stats().allocs, 2);
}

#[test]
fn workers_resolve_while_the_table_changes() {
    use std::sync::Arc;
    let n = Arc::new(Neigh::new(params()));
    let ips: Vec<Ipv4Addr> = (10..20u8).map(|i| Ipv4Addr::new(198, 18, 1, i)).collect();
    let mac_of = |ip: Ipv4Addr| [2, 0, 0, 0, 0, ip.octets()[3]];
    let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let workers: Vec<_> = (0..2)
        .map(|_| {
            let (n, ips, stop) = (n.clone(), ips.clone(), stop.clone());
            std::thread::spawn(move || {
                let mut t = 0;
                while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                    for &ip in &ips {
                        if let Resolve::Mac(m) = n.resolve(IF, ip, T0 as u64 + t) {
                            assert_eq!(m, mac_of(ip));
                        }
                    }
                    t += 1;
                }
            })
        })
        .collect();
    for round in 0..300u64 {
        for &ip in &ips {
            n.on_arp(&reply(ip, mac_of(ip)), T0 as u64 + round * 100);
        }
        while n.poll(T0 as u64 + round * 100).is_some() {}
        if round % 50 == 0 {
            n.flush(&ShowFilter::flush(), T0 as u64 + round * 100);
        }
    }
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    for w in workers {
        w.join().unwrap();
    }
}

// ---- rendering, against iproute2 6.1 output captured in a network namespace -----------

fn info(dst: [u8; 4], lladdr: Option<Mac>, state: Nud) -> NeighInfo {
    NeighInfo {
        ifindex: 3,
        dst: Ipv4Addr::from(dst),
        lladdr,
        state,
        probes: 0,
        used_ago_ms: 0,
        confirmed_ago_ms: 0,
        updated_ago_ms: 0,
        timer: false,
        queued: 0,
    }
}

fn captured() -> Vec<NeighInfo> {
    let m = |b: u8| Some([2, 0, 0, 0, 0, b]);
    vec![
        NeighInfo {
            probes: 1,
            timer: true,
            confirmed_ago_ms: 60_400,
            ..info([198, 18, 1, 55], m(0x55), Nud::Probe)
        },
        NeighInfo {
            confirmed_ago_ms: 60_000,
            ..info([198, 18, 1, 57], None, Nud::Incomplete)
        },
        NeighInfo {
            confirmed_ago_ms: 60_000,
            ..info([198, 18, 1, 51], m(0x51), Nud::Stale)
        },
        NeighInfo {
            timer: true,
            ..info([198, 18, 1, 53], m(0x53), Nud::Reachable)
        },
        NeighInfo {
            confirmed_ago_ms: 60_000,
            ..info([198, 18, 1, 56], None, Nud::Failed)
        },
        info([198, 18, 1, 50], m(0x50), Nud::Permanent),
        info([198, 18, 1, 52], m(0x52), Nud::Noarp),
        info([198, 18, 1, 58], None, Nud::None),
    ]
}

fn v0(_: IfIndex) -> String {
    "v0".to_string()
}

#[test]
fn render_matches_ip_neigh_show() {
    let e = captured();
    assert_eq!(
        render(&e, &ShowFilter::show(), &v0, false, false),
        "198.18.1.55 dev v0 lladdr 02:00:00:00:00:55 PROBE \n\
         198.18.1.57 dev v0 INCOMPLETE \n\
         198.18.1.51 dev v0 lladdr 02:00:00:00:00:51 STALE \n\
         198.18.1.53 dev v0 lladdr 02:00:00:00:00:53 REACHABLE \n\
         198.18.1.56 dev v0 FAILED \n\
         198.18.1.50 dev v0 lladdr 02:00:00:00:00:50 PERMANENT \n"
    );
    assert_eq!(
        render(&e, &ShowFilter::show().dev(3), &v0, false, false),
        "198.18.1.55 lladdr 02:00:00:00:00:55 PROBE \n\
         198.18.1.57 INCOMPLETE \n\
         198.18.1.51 lladdr 02:00:00:00:00:51 STALE \n\
         198.18.1.53 lladdr 02:00:00:00:00:53 REACHABLE \n\
         198.18.1.56 FAILED \n\
         198.18.1.50 lladdr 02:00:00:00:00:50 PERMANENT \n"
    );
    assert_eq!(
        render(
            &e,
            &ShowFilter::show().nud("all").unwrap(),
            &v0,
            false,
            false
        ),
        "198.18.1.55 dev v0 lladdr 02:00:00:00:00:55 PROBE \n\
         198.18.1.57 dev v0 INCOMPLETE \n\
         198.18.1.51 dev v0 lladdr 02:00:00:00:00:51 STALE \n\
         198.18.1.53 dev v0 lladdr 02:00:00:00:00:53 REACHABLE \n\
         198.18.1.56 dev v0 FAILED \n\
         198.18.1.50 dev v0 lladdr 02:00:00:00:00:50 PERMANENT \n\
         198.18.1.52 dev v0 lladdr 02:00:00:00:00:52 NOARP \n\
         198.18.1.58 dev v0 \n"
    );
    assert_eq!(
        render(
            &e,
            &ShowFilter::show().dev(3).nud("none").unwrap(),
            &v0,
            false,
            false
        ),
        "198.18.1.58 \n"
    );
    let f = ShowFilter::show()
        .nud("stale")
        .unwrap()
        .nud("failed")
        .unwrap();
    assert_eq!(
        render(&e, &f, &v0, false, false),
        "198.18.1.51 dev v0 lladdr 02:00:00:00:00:51 STALE \n198.18.1.56 dev v0 FAILED \n"
    );
    let f = ShowFilter::show().to(Ipv4Addr::new(198, 18, 1, 50), 32);
    assert_eq!(
        render(&e, &f, &v0, false, false),
        "198.18.1.50 dev v0 lladdr 02:00:00:00:00:50 PERMANENT \n"
    );
    let f = ShowFilter::show()
        .to(Ipv4Addr::new(198, 18, 1, 0), 24)
        .nud("permanent")
        .unwrap();
    assert_eq!(
        render(&e, &f, &v0, false, false),
        "198.18.1.50 dev v0 lladdr 02:00:00:00:00:50 PERMANENT \n"
    );
    assert_eq!(
        render(&e, &ShowFilter::show().dev(9), &v0, false, false),
        ""
    );
    assert!(ShowFilter::show().nud("bogus").is_err());
}

#[test]
fn render_matches_ip_j_neigh_show() {
    let e = captured();
    assert_eq!(
        render(&e, &ShowFilter::show(), &v0, true, false),
        concat!(
            r#"[{"dst":"198.18.1.55","dev":"v0","lladdr":"02:00:00:00:00:55","state":["PROBE"]},"#,
            r#"{"dst":"198.18.1.57","dev":"v0","state":["INCOMPLETE"]},"#,
            r#"{"dst":"198.18.1.51","dev":"v0","lladdr":"02:00:00:00:00:51","state":["STALE"]},"#,
            r#"{"dst":"198.18.1.53","dev":"v0","lladdr":"02:00:00:00:00:53","state":["REACHABLE"]},"#,
            r#"{"dst":"198.18.1.56","dev":"v0","state":["FAILED"]},"#,
            r#"{"dst":"198.18.1.50","dev":"v0","lladdr":"02:00:00:00:00:50","state":["PERMANENT"]}]"#,
            "\n"
        )
    );
    assert_eq!(
        render(
            &e,
            &ShowFilter::show().dev(3).nud("failed").unwrap(),
            &v0,
            true,
            false
        ),
        "[{\"dst\":\"198.18.1.56\",\"state\":[\"FAILED\"]}]\n"
    );
    assert_eq!(
        render(
            &e,
            &ShowFilter::show().nud("none").unwrap(),
            &v0,
            true,
            false
        ),
        "[{\"dst\":\"198.18.1.58\",\"dev\":\"v0\"}]\n"
    );
    assert_eq!(
        render(
            &e,
            &ShowFilter::show().to(Ipv4Addr::new(10, 0, 0, 0), 8),
            &v0,
            true,
            false
        ),
        "[]\n"
    );
}

#[test]
fn render_matches_ip_s_neigh_show() {
    let e = captured();
    let f = ShowFilter::show()
        .nud("probe")
        .unwrap()
        .nud("incomplete")
        .unwrap()
        .nud("reachable")
        .unwrap();
    assert_eq!(
        render(&e, &f, &v0, false, true),
        "198.18.1.55 dev v0 lladdr 02:00:00:00:00:55  ref 1 used 0/60/0probes 1 PROBE \n\
         198.18.1.57 dev v0  used 0/60/0probes 0 INCOMPLETE \n\
         198.18.1.53 dev v0 lladdr 02:00:00:00:00:53  ref 1 used 0/0/0probes 0 REACHABLE \n"
    );
    assert_eq!(
        render(&e, &f, &v0, true, true),
        concat!(
            r#"[{"dst":"198.18.1.55","dev":"v0","lladdr":"02:00:00:00:00:55","refcnt":1,"used":0,"confirmed":60,"updated":0,"probes":1,"state":["PROBE"]},"#,
            r#"{"dst":"198.18.1.57","dev":"v0","used":0,"confirmed":60,"updated":0,"probes":0,"state":["INCOMPLETE"]},"#,
            r#"{"dst":"198.18.1.53","dev":"v0","lladdr":"02:00:00:00:00:53","refcnt":1,"used":0,"confirmed":0,"updated":0,"probes":0,"state":["REACHABLE"]}]"#,
            "\n"
        )
    );
}

#[test]
fn entries_snapshot_feeds_render() {
    let mut c = core();
    reachable_gw(&mut c);
    c.event_send(key_of(IF, Ipv4Addr::new(198, 18, 1, 9)), T0, None);
    drain(&mut c, T0);
    let e = c.entries(T0 + 2000);
    let s = render(&e, &ShowFilter::show(), &|_| "eth0".into(), false, true);
    assert_eq!(
        s,
        "198.18.1.2 dev eth0 lladdr 02:00:00:00:00:01  ref 1 used 2/2/2probes 4 REACHABLE \n\
         198.18.1.9 dev eth0  ref 1 used 2/62/2probes 4 INCOMPLETE \n"
    );
}

#[test]
fn hostile_params_and_clock_do_not_panic() {
    let p = Params {
        base_reachable_time_ms: u64::MAX,
        delay_first_probe_time_ms: u64::MAX,
        retrans_time_ms: u64::MAX,
        gc_stale_time_ms: u64::MAX,
        locktime_ms: u64::MAX,
        ucast_solicit: u32::MAX,
        mcast_solicit: u32::MAX,
        app_solicit: u32::MAX,
        mcast_resolicit: u32::MAX,
        gc_thresh1: usize::MAX,
        gc_thresh2: usize::MAX,
        gc_thresh3: usize::MAX,
        unres_qlen_bytes: usize::MAX,
        max_frame_len: 0,
        pool_frames: usize::MAX,
        ..params()
    };
    let s = p.sanitized();
    assert_eq!(s.max_frame_len, 64);
    assert_eq!(s.pool_frames, (1 << 28) / 64);
    let n = Neigh::new(p);
    for now in [0, 1, u64::MAX / 2, u64::MAX] {
        let _ = n.resolve(IF, GW, now);
        let _ = n.queue(IF, GW, &frame(1, 64), now);
        let _ = n.queue(IF, GW, &frame(1, 100_000), now);
        let _ = n.on_arp(&reply(GW, MAC_A), now);
        n.confirm(IF, GW, now);
        while n.poll(now).is_some() {}
        let _ = n.next_timeout();
    }
    let mut zero = Params {
        base_reachable_time_ms: 0,
        delay_first_probe_time_ms: 0,
        retrans_time_ms: 0,
        gc_thresh1: 0,
        gc_thresh2: 0,
        gc_thresh3: 0,
        pool_frames: 0,
        ..params()
    };
    zero.set_unres_qlen(0);
    let n = Neigh::new(zero);
    for now in 0..50 {
        let _ = n.queue(IF, GW, &frame(1, 64), now);
        let _ = n.on_arp(&arp(ArpOp::Request, GW, MAC_A, OUR_IP, false), now);
        while n.poll(now).is_some() {}
    }
}

mod prop {
    use super::*;
    use proptest::prelude::*;

    #[derive(Clone, Debug)]
    enum Ev {
        Send {
            ip: u8,
            len: u16,
        },
        Arp {
            op: bool,
            ip: u8,
            tip: u8,
            mac: u8,
            to_us: bool,
            local: bool,
        },
        Confirm(u8),
        Add {
            ip: u8,
            mac: u8,
            state: u8,
            mode: u8,
        },
        Del(u8),
        Flush,
        Tick(u16),
        Poll,
    }

    fn ev() -> impl Strategy<Value = Ev> {
        prop_oneof![
            (0u8..12, 0u16..3000).prop_map(|(ip, len)| Ev::Send { ip, len }),
            (
                any::<bool>(),
                0u8..12,
                0u8..12,
                0u8..3,
                any::<bool>(),
                any::<bool>()
            )
                .prop_map(|(op, ip, tip, mac, to_us, local)| Ev::Arp {
                    op,
                    ip,
                    tip,
                    mac,
                    to_us,
                    local
                }),
            (0u8..12).prop_map(Ev::Confirm),
            (0u8..12, 0u8..3, 0u8..9, 0u8..3).prop_map(|(ip, mac, state, mode)| Ev::Add {
                ip,
                mac,
                state,
                mode
            }),
            (0u8..12).prop_map(Ev::Del),
            Just(Ev::Flush),
            (0u16..20_000).prop_map(Ev::Tick),
            Just(Ev::Poll),
        ]
    }

    fn addr(i: u8) -> Ipv4Addr {
        // 0 and 255 exercise the refused addresses.
        match i {
            0 => Ipv4Addr::UNSPECIFIED,
            11 => Ipv4Addr::BROADCAST,
            i => Ipv4Addr::new(198, 18, 1, i),
        }
    }

    const STATES: [Nud; 9] = [
        Nud::None,
        Nud::Incomplete,
        Nud::Reachable,
        Nud::Stale,
        Nud::Delay,
        Nud::Probe,
        Nud::Failed,
        Nud::Noarp,
        Nud::Permanent,
    ];

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(300))]
        #[test]
        fn random_events_never_panic_or_exceed_bounds(
            evs in proptest::collection::vec(ev(), 1..120),
            qlen in 1usize..5,
            pool in 1usize..12,
            thresh in 2usize..8,
        ) {
            let mut p = Params {
                pool_frames: pool,
                gc_thresh1: thresh / 2,
                gc_thresh2: thresh,
                gc_thresh3: thresh + 2,
                ..params()
            };
            p.set_unres_qlen(qlen);
            let mut c = Core::standalone(p.clone());
            let mut now = T0;
            let mut held = Vec::new();
            for e in evs {
                match e {
                    Ev::Send { ip, len } => {
                        let r = c.event_send(key_of(IF, addr(ip)), now, Some(&frame(ip, len as usize)));
                        if let Resolve::Mac(m) = r {
                            prop_assert!(c.state_of(IF, addr(ip)).is_some_and(|s| s.1 == m));
                        }
                    }
                    Ev::Arp { op, ip, tip, mac, to_us, local } => {
                        let mut a = arp(if op { ArpOp::Reply } else { ArpOp::Request }, addr(ip), [2, 0, 0, 0, 1, mac], addr(tip), to_us);
                        a.target_is_local = local;
                        c.on_arp(&a, now);
                    }
                    Ev::Confirm(ip) => c.confirm(key_of(IF, addr(ip)), now),
                    Ev::Add { ip, mac, state, mode } => {
                        let mode = [AddMode::Add, AddMode::Replace, AddMode::Change][mode as usize];
                        let ll = (mac > 0).then_some([2, 0, 0, 0, 2, mac]);
                        let _ = c.admin_add(key_of(IF, addr(ip)), ll, STATES[state as usize], mode, now);
                    }
                    Ev::Del(ip) => { let _ = c.admin_del(key_of(IF, addr(ip)), now); }
                    Ev::Flush => { c.flush(&ShowFilter::flush(), now); }
                    Ev::Tick(ms) => now += i64::from(ms),
                    Ev::Poll => {
                        while let Some(a) = c.poll(now) {
                            // Hold some actions (and their frames) for a while.
                            if held.len() < 3 { held.push(a) } else { held.clear() }
                        }
                    }
                }
                c.check_invariants();
                prop_assert!(c.queued_frames() <= pool);
                // The fast path agrees with the state machine.
                for i in 1..11u8 {
                    if let Some(m) = c.fast_lookup(IF, addr(i), now) {
                        let s = c.state_of(IF, addr(i));
                        prop_assert!(s.is_some_and(|s| s.1 == m && s.0.usable()), "{:?} vs {:?}", m, s);
                    }
                }
            }
            drop(held);
            while c.poll(now).is_some() {}
            let _ = render(&c.entries(now), &ShowFilter::show().nud("all").unwrap(), &v0, true, true);
            c.flush(&ShowFilter::flush().nud("all").unwrap(), now);
            c.ifdown(IF, now);
            while c.poll(now).is_some() {}
            prop_assert_eq!(c.len(), 0);
            prop_assert_eq!(c.pool_free(), pool, "every frame went back to the pool");
        }
    }
}
