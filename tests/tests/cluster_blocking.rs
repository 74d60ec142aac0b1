//! Blocked clients in a cluster (issue 3): a client blocked on a key whose slot stops being
//! served by its node is unblocked with a redirection, as Redis 7.0's
//! `clusterRedirectBlockedClientIfNeeded` does, after a reshard (`CLUSTER SETSLOT ... NODE`)
//! and after a failover (the old primary, now a replica, unblocks its blocked clients with
//! `-UNBLOCKED ...` and closes them, as Redis's `disconnectAllBlockedClients`).
//!
//! Runs on `shoal-node` by default; `SHOAL_CLUSTER_SERVER=redis` runs the same checks on
//! real Redis 7.0.

use std::time::Duration;

use shoal_tests::cluster::{RedisCluster, ServerKind};
use shoal_tests::{Frame, RawClient, bulk, info_field, wait_until};

fn text(f: &Frame) -> String {
    String::from_utf8_lossy(f.as_bytes().expect("bulk or simple string")).into_owned()
}

fn my_id(c: &mut RawClient) -> String {
    text(&c.cmd(&["CLUSTER", "MYID"]))
}

fn blocked_clients(c: &mut RawClient) -> Option<String> {
    info_field(c, "clients", "blocked_clients")
}

fn slot_of(c: &mut RawClient, key: &str) -> u16 {
    match c.cmd(&["CLUSTER", "KEYSLOT", key]) {
        Frame::Integer(n) => u16::try_from(n).expect("slot"),
        other => panic!("KEYSLOT: {other:?}"),
    }
}

#[test]
fn a_client_blocked_on_a_resharded_slot_gets_moved() {
    let cluster = RedisCluster::start(ServerKind::from_env());
    let mut admin = RawClient::connect(cluster.nodes[0].port).expect("node 0");
    let key = "blocked-queue";
    let slot = slot_of(&mut admin, key);
    let src = cluster.primary_of(slot);
    let dst = (0..3)
        .map(|i| cluster.primary_of([0, 5500, 11000][i]))
        .find(|&p| p != src)
        .expect("another primary");
    let (src_port, dst_port) = (cluster.nodes[src].port, cluster.nodes[dst].port);
    let mut s = RawClient::connect(src_port).expect("source");
    let mut d = RawClient::connect(dst_port).expect("destination");
    let (src_id, dst_id) = (my_id(&mut s), my_id(&mut d));

    // One client blocks on the key (with a command pipelined behind it), another on a key
    // of a slot that stays.
    let mut waiter = RawClient::connect(src_port).expect("waiter");
    waiter.send(&["BLPOP", key, "0"]);
    waiter.send(&["PING"]);
    let mut stayer = RawClient::connect(src_port).expect("stayer");
    let other_key = (0..)
        .map(|i| format!("stay{i}"))
        .find(|k| {
            slot_of(&mut admin, k) != slot && cluster.primary_of(slot_of(&mut admin, k)) == src
        })
        .expect("a key served by the source");
    stayer.send(&["BRPOP", &other_key, "0"]);
    assert!(wait_until(Duration::from_secs(30), || blocked_clients(
        &mut s
    )
    .as_deref()
        == Some("2")));

    // While the slot migrates, it is still served here: the client keeps waiting.
    let slot_s = slot.to_string();
    assert_eq!(
        d.cmd(&["CLUSTER", "SETSLOT", &slot_s, "IMPORTING", &src_id]),
        Frame::ok()
    );
    assert_eq!(
        s.cmd(&["CLUSTER", "SETSLOT", &slot_s, "MIGRATING", &dst_id]),
        Frame::ok()
    );
    std::thread::sleep(Duration::from_millis(1500));
    assert_eq!(
        blocked_clients(&mut s).as_deref(),
        Some("2"),
        "migrating: still waiting"
    );

    // The slot now belongs to the destination: MOVED, then the pipelined PING runs.
    assert_eq!(
        d.cmd(&["CLUSTER", "SETSLOT", &slot_s, "NODE", &dst_id]),
        Frame::ok()
    );
    assert_eq!(
        s.cmd(&["CLUSTER", "SETSLOT", &slot_s, "NODE", &dst_id]),
        Frame::ok()
    );
    assert_eq!(
        waiter.read(),
        Frame::error(format!("MOVED {slot} 127.0.0.1:{dst_port}"))
    );
    assert_eq!(waiter.read(), Frame::simple("PONG"));
    assert_eq!(
        blocked_clients(&mut s).as_deref(),
        Some("1"),
        "the other client still waits"
    );

    // Following the redirection works: block on the new owner and get served there.
    let mut follower = RawClient::connect(dst_port).expect("follower");
    follower.send(&["BLPOP", key, "0"]);
    assert!(wait_until(Duration::from_secs(30), || blocked_clients(
        &mut d
    )
    .as_deref()
        == Some("1")));
    assert_eq!(d.cmd(&["RPUSH", key, "v"]), Frame::Integer(1));
    assert_eq!(follower.read(), Frame::Array(vec![bulk(key), bulk("v")]));
    assert_eq!(s.cmd(&["RPUSH", &other_key, "w"]), Frame::Integer(1));
    assert_eq!(
        stayer.read(),
        Frame::Array(vec![bulk(&other_key), bulk("w")])
    );
}

#[test]
fn a_primary_demoted_by_a_failover_unblocks_and_disconnects_its_blocked_clients() {
    let cluster = RedisCluster::start(ServerKind::from_env());
    let mut admin = RawClient::connect(cluster.nodes[0].port).expect("node 0");
    let key = "{fo}queue";
    let slot = slot_of(&mut admin, key);
    let p = cluster.primary_of(slot);
    let mut pc = RawClient::connect(cluster.nodes[p].port).expect("primary");
    let pid = my_id(&mut pc);
    let Frame::Array(reps) = pc.cmd(&["CLUSTER", "REPLICAS", &pid]) else {
        panic!("REPLICAS")
    };
    let line = text(&reps[0]);
    let replica_port: u16 = line
        .split(' ')
        .nth(1)
        .and_then(|a| a.split(['@', ':']).nth(1))
        .and_then(|p| p.parse().ok())
        .expect("replica port");

    let mut waiter = RawClient::connect(cluster.nodes[p].port).expect("waiter");
    waiter.send(&["BZPOPMIN", key, "0"]);
    assert!(wait_until(Duration::from_secs(30), || blocked_clients(
        &mut pc
    )
    .as_deref()
        == Some("1")));

    // Redis's `replicationSetMaster` runs `disconnectAllBlockedClients` as the old primary
    // turns replica: an UNBLOCKED error, then the connection closes.
    waiter.send(&["PING"]);
    let mut rc = RawClient::connect(replica_port).expect("replica");
    assert_eq!(rc.cmd(&["CLUSTER", "FAILOVER"]), Frame::ok());
    assert_eq!(
        waiter.read(),
        Frame::error(
            "UNBLOCKED force unblock from blocking operation, instance state changed \
             (master -> replica?)"
        )
    );
    assert!(
        waiter.is_closed(Duration::from_secs(5)),
        "closed after the reply"
    );
    assert_eq!(blocked_clients(&mut pc).as_deref(), Some("0"));
}
