//! `shoal-admin` driving a six-node cluster: create, load keys, reshard 4000 slots, rebalance
//! (also onto an added empty primary), fail over, fix an interrupted move; after each step the
//! real `redis-cli --cluster check` agrees with ours and every key is present exactly once.
//!
//! The scenarios take the server kind as a parameter and run against real redis-server 7.0
//! (proof that the tool speaks the standard protocol) and against our shoal-node. On our nodes
//! the reshard/rebalance scenario is slow (~100 s in a debug build) because each CLUSTER
//! SETSLOT saves nodes.conf on its own; Redis saves once per event-loop iteration.

use std::time::Duration;

use shoal_tests::admin::{
    ServerKind, TestCluster, admin, admin_ok, assert_both_checks_pass, assert_keys_exactly_once,
    load_keys, myself, primaries, redis_cli_check, start_node, wait_until,
};
use shoal_tests::{Frame, RawClient};

const KEYS: usize = 30_000;

/// Primaries a six-node cluster with `replicas` per primary has.
fn masters(replicas: usize) -> usize {
    6 / (replicas + 1)
}

fn scenario_create_reshard_rebalance(kind: ServerKind, replicas: usize) {
    let m = masters(replicas);
    let share = 16384 / m;
    let c = TestCluster::start(kind, 6);
    let out = c.create(replicas);
    assert!(out.contains("[OK] All 16384 slots covered."), "{out}");
    let entry = c.addr(0);
    assert_both_checks_pass(&entry);
    let ports = c.ports();
    let prim = primaries(&ports);
    assert_eq!(prim.len(), m, "{m} primaries");
    for (_, slots) in &prim {
        assert!(
            (share..=share + 1).contains(&slots.len()),
            "even split: {}",
            slots.len()
        );
    }
    for &p in &ports {
        let (_, master, _) = myself(p);
        if !master {
            let mut r = RawClient::connect(p).expect("connect");
            let Frame::Bulk(info) = r.cmd(&["INFO", "replication"]) else {
                panic!("INFO")
            };
            assert!(String::from_utf8_lossy(&info).contains("role:slave"));
        }
    }

    load_keys(&ports, KEYS);
    assert_keys_exactly_once(&ports, KEYS);

    // Reshard 4000 slots from every other primary to the first one.
    let (target_id, _, before) = myself(prim[0].0);
    let out = admin_ok(&[
        "reshard", &entry, "--from", "all", "--to", &target_id, "--slots", "4000", "--yes",
    ]);
    assert!(out.contains("[OK] Moved 4000 slots"), "{out}");
    wait_until(Duration::from_secs(20), "agreement after reshard", || {
        redis_cli_check(&entry).code == 0
    });
    assert_both_checks_pass(&entry);
    assert_eq!(myself(prim[0].0).2.len(), before.len() + 4000);
    assert_keys_exactly_once(&ports, KEYS);

    // Rebalance back to even shares.
    let out = admin_ok(&["rebalance", &entry]);
    assert!(
        out.contains(&format!("Rebalancing across {m} nodes")),
        "{out}"
    );
    wait_until(Duration::from_secs(20), "agreement after rebalance", || {
        redis_cli_check(&entry).code == 0
    });
    assert_both_checks_pass(&entry);
    for (p, _) in primaries(&ports) {
        let n = myself(p).2.len();
        assert!(
            (share - 60..=share + 60).contains(&n),
            "primary {p} has {n} slots after rebalance"
        );
    }
    assert_keys_exactly_once(&ports, KEYS);
    let out = admin_ok(&["rebalance", &entry]);
    assert!(out.contains("No rebalancing needed"), "{out}");

    // A seventh node joins as an empty primary; rebalance gives it its share.
    let extra = start_node(kind);
    let extra_addr = format!("127.0.0.1:{}", extra.port);
    let out = admin_ok(&["add-node", &extra_addr, &entry]);
    assert!(out.contains("[OK] New node added correctly."), "{out}");
    let mut all = ports.clone();
    all.push(extra.port);
    wait_until(Duration::from_secs(20), "the new node is known", || {
        redis_cli_check(&entry).code == 0
    });
    admin_ok(&["rebalance", &entry, "--use-empty-masters"]);
    wait_until(Duration::from_secs(20), "agreement after rebalance", || {
        redis_cli_check(&entry).code == 0
    });
    assert_both_checks_pass(&entry);
    let n = myself(extra.port).2.len();
    let new_share = 16384 / (m + 1);
    assert!(
        (new_share - 100..=new_share + 100).contains(&n),
        "the new primary got {n} slots"
    );
    assert_keys_exactly_once(&all, KEYS);

    // Empty it again (weight 0) and remove it.
    let (extra_id, _, _) = myself(extra.port);
    let w = format!("{extra_id}=0");
    admin_ok(&["rebalance", &entry, "--weight", &w]);
    wait_until(Duration::from_secs(20), "the node is empty", || {
        myself(extra.port).2.is_empty()
    });
    assert_keys_exactly_once(&all, KEYS);
    let out = admin_ok(&["del-node", &entry, &extra_id]);
    assert!(out.contains("CLUSTER RESET SOFT"), "{out}");
    wait_until(Duration::from_secs(20), "agreement after del-node", || {
        redis_cli_check(&entry).code == 0
    });
    assert_both_checks_pass(&entry);
    let info = admin_ok(&["info", &entry]);
    assert!(
        info.contains(&format!("[OK] {KEYS} keys in {m} masters.")),
        "{info}"
    );
    assert_keys_exactly_once(&ports, KEYS);
}

#[test]
fn create_reshard_rebalance_add_del_on_real_redis() {
    scenario_create_reshard_rebalance(ServerKind::Redis, 1);
}

fn scenario_fix_interrupted_move(kind: ServerKind, replicas: usize) {
    let c = TestCluster::start(kind, 6);
    c.create(replicas);
    let entry = c.addr(0);
    let ports = c.ports();
    load_keys(&ports, 5_000);
    let prim = primaries(&ports);
    let (a_port, a_slots) = (prim[0].0, prim[0].1.clone());
    let b_port = prim[1].0;
    let (a_id, _, _) = myself(a_port);
    let (b_id, _, _) = myself(b_port);
    let mut a = RawClient::connect(a_port).expect("connect");
    let mut b = RawClient::connect(b_port).expect("connect");
    // A slot of A with keys, left half moved to B.
    let slot = a_slots
        .iter()
        .copied()
        .find(|s| {
            matches!(a.cmd(&["CLUSTER", "COUNTKEYSINSLOT", &s.to_string()]),
                Frame::Integer(n) if n >= 2)
        })
        .expect("a slot with keys");
    let s = slot.to_string();
    assert_eq!(
        b.cmd(&["CLUSTER", "SETSLOT", &s, "IMPORTING", &a_id]),
        Frame::ok()
    );
    assert_eq!(
        a.cmd(&["CLUSTER", "SETSLOT", &s, "MIGRATING", &b_id]),
        Frame::ok()
    );
    let Frame::Array(keys) = a.cmd(&["CLUSTER", "GETKEYSINSLOT", &s, "1"]) else {
        panic!("GETKEYSINSLOT")
    };
    let key = shoal_tests::admin::text(&keys[0]);
    let m = a.cmd(&[
        "MIGRATE",
        "127.0.0.1",
        &b_port.to_string(),
        "",
        "0",
        "5000",
        "KEYS",
        &key,
    ]);
    assert_eq!(m, Frame::ok());
    // A stale importing state with no keys on a third primary.
    let c_port = prim[2].0;
    let mut cc = RawClient::connect(c_port).expect("connect");
    let other = (slot + 1).to_string();
    let (other_owner, _) = prim
        .iter()
        .find(|(_, sl)| sl.contains(&(slot + 1)))
        .expect("owner");
    if *other_owner != c_port {
        let (oid, _, _) = myself(*other_owner);
        assert_eq!(
            cc.cmd(&["CLUSTER", "SETSLOT", &other, "IMPORTING", &oid]),
            Frame::ok()
        );
    }

    let r = admin(&["check", &entry]);
    assert_eq!(r.code, 1, "check must fail on open slots:\n{}", r.stdout);
    assert!(
        r.stdout.contains("The following slots are open"),
        "{}",
        r.stdout
    );
    assert_ne!(
        redis_cli_check(&entry).code,
        0,
        "redis-cli sees the open slot too"
    );

    let out = admin_ok(&["fix", &entry]);
    assert!(
        out.contains(&format!(">>> Fixing open slot {slot}")),
        "{out}"
    );
    wait_until(Duration::from_secs(20), "agreement after fix", || {
        redis_cli_check(&entry).code == 0
    });
    assert_both_checks_pass(&entry);
    assert!(
        myself(b_port).2.contains(&slot),
        "the interrupted move was finished"
    );
    assert_keys_exactly_once(&ports, 5_000);

    // Interrupt another move; a new reshard resumes (finishes) it before its own plan.
    let slot = myself(a_port).2[0];
    let s = slot.to_string();
    assert_eq!(
        b.cmd(&["CLUSTER", "SETSLOT", &s, "IMPORTING", &a_id]),
        Frame::ok()
    );
    assert_eq!(
        a.cmd(&["CLUSTER", "SETSLOT", &s, "MIGRATING", &b_id]),
        Frame::ok()
    );
    let out = admin_ok(&[
        "reshard", &entry, "--from", &a_id, "--to", &b_id, "--slots", "10", "--yes",
    ]);
    assert!(out.contains("Resuming"), "{out}");
    assert!(out.contains("[OK] Moved 10 slots"), "{out}");
    wait_until(Duration::from_secs(20), "agreement after reshard", || {
        redis_cli_check(&entry).code == 0
    });
    assert_both_checks_pass(&entry);
    assert!(
        myself(b_port).2.contains(&slot),
        "the interrupted move was resumed"
    );
    assert_keys_exactly_once(&ports, 5_000);
}

#[test]
fn fix_finishes_an_interrupted_move_on_real_redis() {
    scenario_fix_interrupted_move(ServerKind::Redis, 1);
}

fn scenario_failover_and_call(kind: ServerKind) {
    let c = TestCluster::start(kind, 6);
    c.create(1);
    let entry = c.addr(0);
    let ports = c.ports();
    load_keys(&ports, 2_000);
    let replica = ports
        .iter()
        .copied()
        .find(|&p| !myself(p).1)
        .expect("a replica");
    let addr = format!("127.0.0.1:{replica}");
    let out = admin_ok(&["failover", &addr]);
    assert!(out.contains("is now a primary"), "{out}");
    assert!(myself(replica).1, "promoted");
    wait_until(Duration::from_secs(20), "agreement after failover", || {
        redis_cli_check(&entry).code == 0
    });
    assert_both_checks_pass(&entry);
    assert_keys_exactly_once(&ports, 2_000);

    let out = admin_ok(&["call", &entry, "DBSIZE"]);
    assert_eq!(
        out.lines().filter(|l| l.starts_with("127.0.0.1:")).count(),
        6,
        "{out}"
    );
    let r = admin(&[
        "failover",
        &format!("127.0.0.1:{}", ports[0]),
        "--timeout",
        "0",
    ]);
    assert_ne!(r.code, 0, "a zero timeout cannot see the promotion");
}

#[test]
fn failover_and_call_on_real_redis() {
    scenario_failover_and_call(ServerKind::Redis);
}

#[test]
fn create_refuses_bad_layouts_and_non_empty_nodes() {
    let c = TestCluster::start(ServerKind::Redis, 4);
    let addrs = c.addrs();
    let mut args = vec!["create"];
    args.extend(addrs.iter().map(String::as_str));
    args.extend(["--replicas", "1", "--yes"]);
    let r = admin(&args);
    assert_ne!(r.code, 0);
    assert!(r.stderr.contains("at least 3 primaries"), "{}", r.stderr);
    let mut n = RawClient::connect(c.nodes[0].port).expect("connect");
    let port1 = c.nodes[1].port.to_string();
    assert_eq!(
        n.cmd(&["CLUSTER", "MEET", "127.0.0.1", &port1]),
        Frame::ok()
    );
    let r = admin(&["create", &addrs[0], &addrs[2], &addrs[3], "--yes"]);
    assert_ne!(r.code, 0);
    assert!(r.stderr.contains("is not empty"), "{}", r.stderr);
    let plain = shoal_tests::Proc::redis(&[]);
    let plain_addr = format!("127.0.0.1:{}", plain.port);
    let r = admin(&["create", &plain_addr, &addrs[2], &addrs[3], "--yes"]);
    assert_ne!(r.code, 0);
    assert!(r.stderr.contains("--cluster-enabled yes"), "{}", r.stderr);
}

#[test]
fn create_reshard_rebalance_add_del_on_shoal_nodes() {
    scenario_create_reshard_rebalance(ServerKind::Shoal, 1);
}

#[test]
fn fix_finishes_an_interrupted_move_on_shoal_nodes() {
    scenario_fix_interrupted_move(ServerKind::Shoal, 1);
}

#[test]
fn failover_and_call_on_shoal_nodes() {
    scenario_failover_and_call(ServerKind::Shoal);
}
