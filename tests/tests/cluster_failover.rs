//! Replication and failover in cluster mode (issue 6), on six `shoal-node` processes formed
//! with the real `redis-cli --cluster create ... --cluster-replicas 1`.

use std::time::{Duration, Instant};

use shoal_tests::cluster::{RedisCluster, ServerKind};
use shoal_tests::{Frame, RawClient, bulk, wait_until};

fn nodes_line_of_myself(c: &mut RawClient) -> String {
    let text = c.cmd(&["CLUSTER", "NODES"]);
    let text = String::from_utf8_lossy(text.as_bytes().expect("bulk")).into_owned();
    text.lines()
        .find(|l| l.contains("myself"))
        .unwrap_or_default()
        .to_string()
}

fn is_master(c: &mut RawClient) -> bool {
    nodes_line_of_myself(c).contains("master")
}

/// Keys with a hash tag that maps to `slot`'s owner; written on `primary` and confirmed with
/// WAIT 1 so they are on the replica too.
fn write_acknowledged(primary: &mut RawClient, tag: &str, n: usize) -> Vec<String> {
    let keys: Vec<String> = (0..n).map(|i| format!("{{{tag}}}k{i}")).collect();
    for k in &keys {
        assert_eq!(primary.cmd(&["SET", k, k]), Frame::ok());
    }
    assert_eq!(primary.cmd(&["WAIT", "1", "5000"]), Frame::Integer(1));
    keys
}

#[test]
fn replicas_sync_kill_a_primary_promotes_its_replica_and_it_rejoins_as_replica() {
    let mut cluster = RedisCluster::start(ServerKind::Shoal);
    // The primary serving the tag's slot, and its replica.
    let slot = 5061; // key "bar"
    let p = cluster.primary_of(slot);
    let mut pc = RawClient::connect(cluster.nodes[p].port).expect("primary");
    let keys = write_acknowledged(&mut pc, "bar", 200);
    let primary_id =
        String::from_utf8_lossy(pc.cmd(&["CLUSTER", "MYID"]).as_bytes().expect("id")).into_owned();
    let Frame::Array(replicas) = pc.cmd(&["CLUSTER", "REPLICAS", &primary_id]) else {
        panic!("REPLICAS")
    };
    assert_eq!(replicas.len(), 1, "one replica per primary");
    let line = String::from_utf8_lossy(replicas[0].as_bytes().expect("line")).into_owned();
    let replica_port: u16 = line
        .split(' ')
        .nth(1)
        .and_then(|a| a.split(['@', ':']).nth(1))
        .and_then(|p| p.parse().ok())
        .expect("port");
    let r = cluster
        .nodes
        .iter()
        .position(|n| n.port == replica_port)
        .expect("replica proc");
    drop(pc);

    // kill -9 the primary: the replica must take over within node timeout + election delay.
    let started = Instant::now();
    cluster.nodes[p].kill();
    let mut rc = RawClient::connect(cluster.nodes[r].port).expect("replica");
    assert!(
        wait_until(Duration::from_secs(20), || is_master(&mut rc)),
        "replica not promoted"
    );
    let took = started.elapsed();
    // The dead primary stays listed (failed, without slots) until it returns, so check
    // coverage rather than full health here.
    let state_ok = |c: &mut RawClient| {
        let info = c.cmd(&["CLUSTER", "INFO"]);
        String::from_utf8_lossy(info.as_bytes().expect("info")).contains("cluster_state:ok")
    };
    assert!(wait_until(Duration::from_secs(20), || state_ok(&mut rc)));
    for k in &keys {
        assert_eq!(rc.cmd(&["GET", k]), bulk(k), "acknowledged write {k} lost");
    }
    assert_eq!(rc.cmd(&["SET", "{bar}after", "1"]), Frame::ok());
    assert!(took < Duration::from_secs(10), "failover took {took:?}");

    // The old primary comes back as a replica of the new one and resyncs.
    cluster.nodes[p].restart();
    let mut old = RawClient::connect(cluster.nodes[p].port).expect("old primary");
    assert!(
        wait_until(Duration::from_secs(15), || nodes_line_of_myself(&mut old)
            .contains("slave")),
        "old primary did not rejoin as replica"
    );
    old.cmd(&["READONLY"]);
    assert!(wait_until(Duration::from_secs(15), || old
        .cmd(&["GET", "{bar}after"])
        == bulk("1")));
    cluster.wait_stable(Duration::from_secs(20));

    // A manual failover on it restores the original layout without losing a write.
    assert_eq!(rc.cmd(&["SET", "{bar}before-manual", "x"]), Frame::ok());
    assert_eq!(old.cmd(&["CLUSTER", "FAILOVER"]), Frame::ok());
    assert!(
        wait_until(Duration::from_secs(15), || is_master(&mut old)),
        "manual failover did not promote"
    );
    cluster.wait_stable(Duration::from_secs(20));
    assert_eq!(old.cmd(&["GET", "{bar}before-manual"]), bulk("x"));
    assert!(wait_until(Duration::from_secs(15), || {
        nodes_line_of_myself(&mut rc).contains("slave")
    }));
}

#[test]
fn cluster_replication_commands_check_their_arguments() {
    let cluster = RedisCluster::start(ServerKind::Shoal);
    let mut c = RawClient::connect(cluster.nodes[0].port).expect("node");
    assert_eq!(
        c.cmd(&[
            "CLUSTER",
            "REPLICATE",
            "0000000000000000000000000000000000000000"
        ]),
        Frame::error("ERR Unknown node 0000000000000000000000000000000000000000")
    );
    let me =
        String::from_utf8_lossy(c.cmd(&["CLUSTER", "MYID"]).as_bytes().expect("id")).into_owned();
    assert_eq!(
        c.cmd(&["CLUSTER", "REPLICATE", &me]),
        Frame::error("ERR Can't replicate myself")
    );
    assert_eq!(
        c.cmd(&["CLUSTER", "FAILOVER"]),
        Frame::error("ERR You should send CLUSTER FAILOVER to a replica")
    );
    assert_eq!(
        c.cmd(&["CLUSTER", "FAILOVER", "SOON"]),
        Frame::error("ERR syntax error")
    );
    assert_eq!(
        c.cmd(&["REPLICAOF", "127.0.0.1", "1"]),
        Frame::error("ERR REPLICAOF not allowed in cluster mode.")
    );
    let Frame::Array(reps) = c.cmd(&["CLUSTER", "SLAVES", &me]) else {
        panic!("SLAVES")
    };
    assert_eq!(reps.len(), 1);
}
