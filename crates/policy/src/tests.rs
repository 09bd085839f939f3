//! Tests of the rule database: default rules, priorities, goto, the lookup walk and its trace.

use super::*;
use ruta_fib::route::{Nexthop, RT_SCOPE_UNIVERSE};
use ruta_fib::table::InsertMode;
use ruta_fib::{parse_addr, parse_prefix, RouteType};

fn a(s: &str) -> u32 {
    u32::from(parse_addr(s).unwrap())
}

fn route(p: &str, t: RouteType, dev: u32) -> Route {
    Route {
        prefix: parse_prefix(p).unwrap(),
        rtype: t,
        tos: 0,
        metric: 0,
        protocol: 3,
        scope: RT_SCOPE_UNIVERSE,
        prefsrc: None,
        nexthops: if t.is_reject() {
            vec![]
        } else {
            vec![Nexthop::dev(dev)]
        },
    }
}

fn lookup_rule(t: TableId) -> Rule {
    Rule::new(Action::Lookup(t))
}

fn prefs(db: &Rpdb) -> Vec<u32> {
    db.rules().iter().map(|r| r.pref).collect()
}

#[test]
fn default_rules_and_default_pref() {
    let mut db = Rpdb::new();
    assert_eq!(prefs(&db), vec![0, 32766, 32767]);
    assert!(!db.has_custom_rules());
    // merged mode: the lookup reports table main and no rule
    let mut tables = Tables::new();
    tables
        .get_or_create(255)
        .insert(route("10.0.0.1/32", RouteType::Local, 1), InsertMode::Add)
        .unwrap();
    let res = db
        .lookup(
            &tables,
            &Flow4 {
                dst: a("10.0.0.1"),
                ..Default::default()
            },
            None,
        )
        .unwrap();
    assert_eq!(res.table, 254);
    assert!(res.rule.is_none());
    let mut r = lookup_rule(4);
    r.fwmark = 4;
    r.fwmask = u32::MAX;
    assert_eq!(db.add(r.clone(), false), Ok(32765));
    // the same rule again without pref: a new priority, as the kernel
    assert_eq!(db.add(r.clone(), false), Ok(32764));
    // with an explicit, taken priority and identical selectors: EEXIST
    r.pref = 32764;
    assert_eq!(db.add(r, true), Err(RuleError::Exists));
    assert!(db.has_custom_rules());
    // a rule at pref 0 goes after the local rule; then the default pref is 0
    let mut z = lookup_rule(8);
    z.dst = Some(parse_prefix("198.18.0.0/15").unwrap());
    db.add(z, true).unwrap();
    assert_eq!(db.default_pref(), 0);
    assert_eq!(db.rules()[1].table(), Some(8));
}

#[test]
fn goto_resolution() {
    let mut db = Rpdb::new();
    let mut g = Rule::new(Action::Goto(200));
    g.pref = 50;
    db.add(g, true).unwrap();
    assert_eq!(db.rules()[1].target, None);
    let mut back = Rule::new(Action::Goto(40));
    back.pref = 60;
    assert_eq!(db.add(back, true), Err(RuleError::BackwardGoto));
    let mut t1 = lookup_rule(5);
    t1.pref = 200;
    db.add(t1.clone(), true).unwrap();
    let id200 = db.rules().iter().find(|r| r.pref == 200).unwrap().id;
    assert_eq!(db.rules()[1].target, Some(id200));
    let mut t2 = lookup_rule(6);
    t2.pref = 200;
    db.add(t2, true).unwrap();
    // deleting the target moves the goto to the next rule of the same pref
    db.delete(&t1, true, true).unwrap();
    let id6 = db.rules().iter().find(|r| r.table() == Some(6)).unwrap().id;
    assert_eq!(db.rules()[1].target, Some(id6));
    let mut spec = Rule::new(Action::Lookup(0));
    spec.pref = 200;
    db.delete(&spec, true, false).unwrap();
    assert_eq!(db.rules()[1].target, None);
    assert_eq!(db.delete(&spec, true, false), Err(RuleError::NotFound));
}

#[test]
fn walk_throw_suppress_not_marks_ports() {
    let mut tables = Tables::new();
    tables
        .get_or_create(254)
        .insert(route("0.0.0.0/0", RouteType::Unicast, 2), InsertMode::Add)
        .unwrap();
    let t4 = tables.get_or_create(4);
    t4.insert(route("0.0.0.0/0", RouteType::Unicast, 4), InsertMode::Add)
        .unwrap();
    t4.insert(route("10.5.0.0/16", RouteType::Throw, 0), InsertMode::Add)
        .unwrap();
    t4.insert(
        route("10.6.0.0/16", RouteType::Prohibit, 0),
        InsertMode::Add,
    )
    .unwrap();
    let mut db = Rpdb::new();
    let mut r = lookup_rule(4);
    r.fwmark = 4;
    r.fwmask = 0xff;
    db.add(r, false).unwrap();
    let fl = |dst: &str, mark: u32| Flow4 {
        dst: a(dst),
        mark,
        ..Default::default()
    };
    let dev = |res: FibResult| res.route.nexthops[res.nh].dev.unwrap();
    assert_eq!(dev(db.lookup(&tables, &fl("8.8.8.8", 0), None).unwrap()), 2);
    assert_eq!(
        dev(db.lookup(&tables, &fl("8.8.8.8", 0x104), None).unwrap()),
        4
    );
    // throw falls through to main
    let mut tr = Vec::new();
    let res = db
        .lookup(&tables, &fl("10.5.1.1", 4), Some(&mut tr))
        .unwrap();
    assert_eq!(dev(res), 2);
    assert!(tr.contains(&TraceStep::NoRoute {
        pref: 32765,
        table: 4
    }));
    assert_eq!(
        db.lookup(&tables, &fl("10.6.1.1", 4), None).unwrap_err(),
        FibError::Prohibited
    );
    // suppress_prefixlength 0 refuses default routes of a table
    let mut s = lookup_rule(4);
    s.pref = 10;
    s.suppress_prefixlen = Some(0);
    db.add(s, true).unwrap();
    assert_eq!(dev(db.lookup(&tables, &fl("8.8.8.8", 0), None).unwrap()), 2);
    // not + ports
    let mut n = Rule::new(Action::Unreachable);
    n.pref = 5;
    n.invert = true;
    n.ipproto = 6;
    n.dport = Some((80, 90));
    db.add(n, true).unwrap();
    let mut f = fl("8.8.8.8", 0);
    assert_eq!(
        db.lookup(&tables, &f, None).unwrap_err(),
        FibError::NetUnreachable
    );
    f.proto = 6;
    f.dport = 85;
    assert!(db.lookup(&tables, &f, None).is_ok());
    f.dport = 91;
    assert!(db.lookup(&tables, &f, None).is_err());
}

#[test]
fn no_rules_is_net_unreachable() {
    let db = Rpdb::empty();
    let t = Tables::new();
    assert_eq!(
        db.lookup(&t, &Flow4::default(), None).unwrap_err(),
        FibError::NetUnreachable
    );
}
