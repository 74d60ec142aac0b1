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
    assert_eq!(primary.cmd(&["WAIT", "1", "30000"]), Frame::Integer(1));
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

/// Writes keys with the tag on whichever node owns them (following MOVED), recording every
/// acknowledged one (and counting them in `acks` as they come), until `stop` is set.
fn writer(
    ports: Vec<u16>,
    tag: &'static str,
    stop: std::sync::Arc<std::sync::atomic::AtomicBool>,
    acks: std::sync::Arc<std::sync::atomic::AtomicUsize>,
) -> std::thread::JoinHandle<Vec<String>> {
    std::thread::spawn(move || {
        let mut acked = Vec::new();
        let mut port = ports[0];
        let mut i = 0u64;
        while !stop.load(std::sync::atomic::Ordering::Relaxed) {
            let Ok(mut c) = RawClient::connect(port) else {
                port = ports[(i as usize) % ports.len()];
                i += 1;
                continue;
            };
            loop {
                if stop.load(std::sync::atomic::Ordering::Relaxed) {
                    break;
                }
                let k = format!("{{{tag}}}w{i}");
                c.send(&["SET", &k, "v"]);
                match c.try_read() {
                    Some(Frame::Simple(_)) => {
                        acked.push(k);
                        acks.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                        i += 1;
                    }
                    Some(Frame::Error(e)) if e.starts_with(b"MOVED") => {
                        let text = String::from_utf8_lossy(&e).into_owned();
                        port = text
                            .rsplit(':')
                            .next()
                            .and_then(|p| p.parse().ok())
                            .unwrap_or(port);
                        break;
                    }
                    Some(_) => std::thread::sleep(Duration::from_millis(5)),
                    None => break,
                }
            }
        }
        acked
    })
}

/// The index of the primary serving `slot`, and its replica's client port (from CLUSTER
/// REPLICAS on the primary).
fn primary_and_replica_port(cluster: &RedisCluster, slot: u16) -> (usize, u16) {
    let p = cluster.primary_of(slot);
    let mut pc = RawClient::connect(cluster.nodes[p].port).expect("primary");
    let id =
        String::from_utf8_lossy(pc.cmd(&["CLUSTER", "MYID"]).as_bytes().expect("id")).into_owned();
    let Frame::Array(reps) = pc.cmd(&["CLUSTER", "REPLICAS", &id]) else {
        panic!("REPLICAS")
    };
    let line = String::from_utf8_lossy(reps[0].as_bytes().expect("line")).into_owned();
    let rport = line
        .split(' ')
        .nth(1)
        .and_then(|a| a.split(['@', ':']).nth(1))
        .and_then(|p| p.parse().ok())
        .expect("port");
    (p, rport)
}

#[test]
fn manual_failover_under_write_load_loses_no_acknowledged_write() {
    let cluster = RedisCluster::start(ServerKind::Shoal);
    let (_, rport) = primary_and_replica_port(&cluster, 5061);
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let ports: Vec<u16> = cluster.nodes.iter().map(|n| n.port).collect();
    let acks = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let count = || acks.load(std::sync::atomic::Ordering::SeqCst);
    let w = writer(ports, "bar", stop.clone(), acks.clone());
    // Writes before the failover, and writes on the new primary after it (progress waited
    // for, not a guessed time).
    assert!(
        wait_until(Duration::from_secs(30), || count() > 50),
        "writer made little progress before the failover: {}",
        count()
    );
    let mut rc = RawClient::connect(rport).expect("replica");
    assert_eq!(rc.cmd(&["CLUSTER", "FAILOVER"]), Frame::ok());
    assert!(wait_until(Duration::from_secs(30), || is_master(&mut rc)));
    let at_promotion = count();
    assert!(
        wait_until(Duration::from_secs(30), || count() > at_promotion + 50),
        "writer made little progress after the failover: {}",
        count()
    );
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    let acked = w.join().expect("writer");
    assert!(
        acked.len() > 50,
        "writer made little progress: {}",
        acked.len()
    );
    let missing: Vec<_> = acked
        .iter()
        .filter(|k| rc.cmd(&["GET", k]) != bulk("v"))
        .take(5)
        .collect();
    assert!(
        missing.is_empty(),
        "acknowledged writes lost: {missing:?} of {}",
        acked.len()
    );
}

#[test]
fn replica_no_failover_keeps_the_replica_a_replica() {
    let mut cluster = RedisCluster::start(ServerKind::Shoal);
    let (p, rport) = primary_and_replica_port(&cluster, 5061);
    let mut rc = RawClient::connect(rport).expect("replica");
    assert_eq!(
        rc.cmd(&["CONFIG", "SET", "cluster-replica-no-failover", "yes"]),
        Frame::ok()
    );
    std::thread::sleep(Duration::from_millis(300));
    assert!(nodes_line_of_myself(&mut rc).contains("nofailover"));
    cluster.nodes[p].kill();
    // Well past node timeout (2 s) + election delay: still a replica, slots unserved (the
    // state turns to fail once the primary's failure is agreed on: waited for, not assumed).
    std::thread::sleep(Duration::from_secs(6));
    assert!(!is_master(&mut rc), "a nofailover replica was promoted");
    let failed = wait_until(Duration::from_secs(30), || {
        let info = rc.cmd(&["CLUSTER", "INFO"]);
        String::from_utf8_lossy(info.as_bytes().expect("info")).contains("cluster_state:fail")
    });
    assert!(failed, "the cluster never noticed the dead primary");
    assert!(!is_master(&mut rc), "a nofailover replica was promoted");
}

fn my_id(port: u16) -> String {
    let mut c = RawClient::connect(port).expect("node");
    String::from_utf8_lossy(c.cmd(&["CLUSTER", "MYID"]).as_bytes().expect("id")).into_owned()
}

/// `CLUSTER REPLICAS id` as `node`'s view: (client port, failing) per replica.
fn replicas_of(node: u16, id: &str) -> Vec<(u16, bool)> {
    let Ok(mut c) = RawClient::connect(node) else {
        return Vec::new();
    };
    let Frame::Array(lines) = c.cmd(&["CLUSTER", "REPLICAS", id]) else {
        return Vec::new();
    };
    lines
        .iter()
        .filter_map(|l| {
            let l = String::from_utf8_lossy(l.as_bytes()?).into_owned();
            let f: Vec<&str> = l.split(' ').collect();
            let port = f.get(1)?.split(['@', ':']).nth(1)?.parse().ok()?;
            Some((port, f.get(2)?.contains("fail")))
        })
        .collect()
}

/// Replica migration (cluster-migration-barrier 1, cluster-allow-replica-migration yes): one
/// primary has two replicas, another loses its only one; a spare replica moves to the orphan
/// (after the orphan stayed orphaned 5 s, as Redis), and the donor keeps one.
/// `SHOAL_CLUSTER_SERVER=redis` runs it against real Redis 7.0.
#[test]
fn an_orphaned_primary_receives_a_spare_replica() {
    let kind = ServerKind::from_env();
    let mut cluster = RedisCluster::start(kind);
    let (a, _) = primary_and_replica_port(&cluster, 0);
    let (b, b_replica) = primary_and_replica_port(&cluster, 16383);
    let (a_port, b_port) = (cluster.nodes[a].port, cluster.nodes[b].port);
    let (a_id, b_id) = (my_id(a_port), my_id(b_port));
    let timeout = shoal_tests::cluster::NODE_TIMEOUT_MS.to_string();
    let args = [
        "--cluster-enabled",
        "yes",
        "--cluster-config-file",
        "nodes.conf",
        "--cluster-node-timeout",
        &timeout,
    ];
    let extra = match kind {
        ServerKind::Redis => shoal_tests::Proc::redis(&args),
        ServerKind::Shoal => shoal_tests::Proc::node(&args),
    };
    let extra_port = extra.port;
    cluster.cli_cluster(&[
        "add-node",
        &format!("127.0.0.1:{extra_port}"),
        &format!("127.0.0.1:{a_port}"),
        "--cluster-slave",
        "--cluster-master-id",
        &a_id,
    ]);
    cluster.nodes.push(extra);
    assert!(
        wait_until(Duration::from_secs(20), || {
            let r = replicas_of(a_port, &a_id);
            r.len() == 2 && r.iter().all(|(_, failing)| !failing)
        }),
        "the new node did not become A's second replica"
    );
    let donors: Vec<u16> = replicas_of(a_port, &a_id).iter().map(|r| r.0).collect();
    let b_replica_index = cluster
        .nodes
        .iter()
        .position(|n| n.port == b_replica)
        .expect("B's replica");
    cluster.nodes[b_replica_index].kill();
    assert!(
        wait_until(Duration::from_secs(40), || replicas_of(b_port, &b_id)
            .iter()
            .any(|(port, failing)| !failing && donors.contains(port))),
        "no spare replica migrated to the orphaned primary: {:?}",
        replicas_of(b_port, &b_id)
    );
    // The donor kept one; the moved replica replicates its new primary's data.
    let left: Vec<_> = replicas_of(a_port, &a_id)
        .into_iter()
        .filter(|r| !r.1)
        .collect();
    assert_eq!(left.len(), 1, "{left:?}");
    let moved = donors
        .iter()
        .find(|p| !left.iter().any(|l| l.0 == **p))
        .copied()
        .expect("the moved replica");
    // A key in slot 16383, which B serves (found by hashing, no cluster round trip).
    let key = (0..)
        .map(|i| format!("migrated{i}"))
        .find(|k| shoal_common::slot::key_hash_slot(k.as_bytes()).index() == 16383)
        .expect("a key of B");
    let mut bc = RawClient::connect(b_port).expect("B");
    assert_eq!(bc.cmd(&["SET", &key, "yes"]), Frame::ok());
    assert_eq!(bc.cmd(&["WAIT", "1", "30000"]), Frame::Integer(1));
    let mut mc = RawClient::connect(moved).expect("moved replica");
    assert_eq!(mc.cmd(&["READONLY"]), Frame::ok());
    assert!(wait_until(Duration::from_secs(20), || mc
        .cmd(&["GET", &key])
        == bulk("yes")));
}

/// `CLUSTER MYSHARDID` of the node on `port` (Redis 7.2; 7.0 lacks it).
fn my_shard_id(port: u16) -> String {
    let mut c = RawClient::connect(port).expect("node");
    let reply = c.cmd(&["CLUSTER", "MYSHARDID"]);
    String::from_utf8_lossy(reply.as_bytes().expect("shard id")).into_owned()
}

/// Shard ids as Redis 7.2 keeps them: a primary and its replica report one MYSHARDID, the
/// three shards three distinct ones; nodes.conf keeps it across a restart; a manual failover
/// leaves the promoted replica's unchanged and the old primary, now its replica, has the same.
#[test]
fn shard_ids_are_shared_by_a_shard_and_survive_restart_and_failover() {
    let mut cluster = RedisCluster::start(ServerKind::Shoal);
    let shards: Vec<(usize, u16)> = [0, 8192, 16383]
        .iter()
        .map(|&slot| primary_and_replica_port(&cluster, slot))
        .collect();
    let mut ids = std::collections::BTreeSet::new();
    for &(p, rport) in &shards {
        let pport = cluster.nodes[p].port;
        // The replica takes its primary's id when it hears it on the bus: waited for.
        assert!(
            wait_until(Duration::from_secs(30), || my_shard_id(pport)
                == my_shard_id(rport)),
            "replica {rport} never took primary {pport}'s shard id"
        );
        let sid = my_shard_id(pport);
        assert_eq!(sid.len(), 40, "{sid}");
        assert!(
            sid.bytes()
                .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b)),
            "{sid}"
        );
        assert_ne!(sid, my_id(pport), "a shard id is not a node id");
        ids.insert(sid);
    }
    assert_eq!(ids.len(), 3, "three shards, three shard ids: {ids:?}");
    // CLUSTER NODES keeps Redis 7.0's format; nodes.conf has the aux field, as 7.2 writes it.
    let (p0, _) = shards[0];
    let port0 = cluster.nodes[p0].port;
    let sid0 = my_shard_id(port0);
    let mut c0 = RawClient::connect(port0).expect("node");
    let nodes = c0.cmd(&["CLUSTER", "NODES"]);
    assert!(!String::from_utf8_lossy(nodes.as_bytes().expect("nodes")).contains("shard-id"));
    drop(c0);
    let conf = std::fs::read_to_string(cluster.nodes[p0].dir.path().join("nodes.conf"))
        .expect("nodes.conf");
    assert!(
        conf.contains(&format!(",shard-id={sid0} myself,")),
        "{conf}"
    );
    // A restarted node reloads its shard id (a fresh node would draw a new random one).
    cluster.nodes[p0].restart();
    assert_eq!(my_shard_id(port0), sid0, "shard id lost across a restart");
    cluster.wait_stable(Duration::from_secs(60));
    // Manual failover in the second shard.
    let (p1, r1) = shards[1];
    let (p1port, sid1) = (cluster.nodes[p1].port, my_shard_id(r1));
    let mut rc = RawClient::connect(r1).expect("replica");
    // A manual failover gives up after 5 s (as Redis's): on a starved machine, ask again.
    let promoted = (0..3).any(|_| {
        let reply = rc.cmd(&["CLUSTER", "FAILOVER"]);
        // Not OK only if the previous attempt promoted it just after we stopped waiting.
        assert!(reply == Frame::ok() || is_master(&mut rc), "{reply:?}");
        wait_until(Duration::from_secs(20), || is_master(&mut rc))
    });
    assert!(promoted, "manual failover did not promote");
    assert_eq!(
        my_shard_id(r1),
        sid1,
        "the promoted replica changed its shard id"
    );
    let mut old = RawClient::connect(p1port).expect("old primary");
    assert!(
        wait_until(Duration::from_secs(30), || nodes_line_of_myself(&mut old)
            .contains("slave")),
        "the old primary did not become a replica"
    );
    assert_eq!(my_shard_id(p1port), sid1);
    cluster.wait_stable(Duration::from_secs(60));
    let after: std::collections::BTreeSet<String> =
        cluster.nodes.iter().map(|n| my_shard_id(n.port)).collect();
    assert_eq!(after, ids, "shard ids changed");
}
