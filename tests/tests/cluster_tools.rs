//! Cluster mode driven by the real tools: nodes formed with the unmodified `redis-cli
//! --cluster create`, checked with `check`, resharded with `reshard` while the `redis` crate's
//! cluster client writes, grown with `add-node` + `rebalance`, shrunk with `del-node`.
//! After every move, each key must be present exactly once, on the owner of its slot.

use std::collections::{BTreeMap, BTreeSet};
use std::process::Command;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::Duration;

use shoal_common::slot::key_hash_slot;
use shoal_tests::{Frame, Proc, RawClient, require_tool, wait_until};

const JOIN_TIMEOUT: Duration = Duration::from_secs(40);

fn cluster_node() -> Proc {
    Proc::node(&["--cluster-enabled", "yes", "--cluster-node-timeout", "2000"])
}

/// Runs redis-cli; returns its exit code and combined output.
fn redis_cli(args: &[String]) -> (i32, String) {
    let out = shoal_tests::output_within(
        Command::new(require_tool("redis-cli", "redis-tools")).args(args),
        Duration::from_secs(300),
    );
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.code().unwrap_or(-1), text)
}

fn addr(p: &Proc) -> String {
    format!("127.0.0.1:{}", p.port)
}

fn args(list: &[&str]) -> Vec<String> {
    list.iter().map(|s| (*s).to_string()).collect()
}

fn create(nodes: &[Proc]) {
    let mut a = args(&["--cluster", "create"]);
    a.extend(nodes.iter().map(addr));
    a.extend(args(&["--cluster-replicas", "0", "--cluster-yes"]));
    let (code, out) = redis_cli(&a);
    assert_eq!(code, 0, "create failed:\n{out}");
    assert!(out.contains("[OK] All 16384 slots covered."), "{out}");
    assert!(
        out.contains("[OK] All nodes agree about slots configuration."),
        "{out}"
    );
}

/// `redis-cli --cluster check` passes (exit 0, agreement, coverage, no open slots).
fn check_ok(entry: &Proc) -> Result<(), String> {
    let (code, out) = redis_cli(&args(&["--cluster", "check", &addr(entry)]));
    if code == 0 && out.contains("[OK] All nodes agree") && !out.contains("[WARNING]") {
        Ok(())
    } else {
        Err(out)
    }
}

fn wait_check_ok(entry: &Proc) {
    let mut last = String::new();
    let ok = wait_until(JOIN_TIMEOUT, || match check_ok(entry) {
        Ok(()) => true,
        Err(out) => {
            last = out;
            false
        }
    });
    assert!(ok, "cluster check never passed:\n{last}");
}

/// Every node reports `cluster_state:ok` (a fresh master waits 2 s before turning ok).
fn wait_state_ok(nodes: &[Proc]) {
    let ok = |p: &Proc| {
        let f = p.raw().cmd(&["CLUSTER", "INFO"]);
        String::from_utf8_lossy(f.as_bytes().expect("info")).starts_with("cluster_state:ok")
    };
    assert!(
        wait_until(JOIN_TIMEOUT, || nodes.iter().all(ok)),
        "cluster_state never ok"
    );
}

fn myid(p: &Proc) -> String {
    let f = p.raw().cmd(&["CLUSTER", "MYID"]);
    String::from_utf8_lossy(f.as_bytes().expect("bulk id")).into_owned()
}

/// The port owning each slot, from the node's own `myself` line of CLUSTER NODES.
fn owned_slots(p: &Proc) -> BTreeSet<u16> {
    let f = p.raw().cmd(&["CLUSTER", "NODES"]);
    let text = String::from_utf8_lossy(f.as_bytes().expect("bulk nodes")).into_owned();
    let line = text
        .lines()
        .find(|l| l.contains("myself"))
        .expect("myself line")
        .to_string();
    let mut out = BTreeSet::new();
    for tok in line.split(' ').skip(8).filter(|t| !t.starts_with('[')) {
        let (a, b) = tok.split_once('-').unwrap_or((tok, tok));
        let (a, b): (u16, u16) = (a.parse().expect("slot"), b.parse().expect("slot"));
        out.extend(a..=b);
    }
    out
}

/// Every key of every node is the expected one, present exactly once, on its slot's owner,
/// with the expected value.
fn assert_placement(nodes: &[&Proc], expected: &BTreeMap<String, String>) {
    let mut seen = BTreeMap::new();
    for p in nodes {
        let owned = owned_slots(p);
        let mut c = p.raw();
        let Frame::Array(keys) = c.cmd(&["KEYS", "*"]) else {
            panic!("KEYS")
        };
        for k in keys {
            let k = String::from_utf8_lossy(k.as_bytes().expect("key")).into_owned();
            let slot = key_hash_slot(k.as_bytes()).get();
            assert!(
                owned.contains(&slot),
                "{k} (slot {slot}) on {} which does not own it",
                p.port
            );
            assert!(seen.insert(k.clone(), p.port).is_none(), "{k} on two nodes");
            let v = c.cmd(&["GET", &k]);
            assert_eq!(
                v.as_bytes().map(|b| b.to_vec()),
                expected.get(&k).map(|v| v.as_bytes().to_vec()),
                "{k}"
            );
        }
    }
    for k in expected.keys() {
        assert!(seen.contains_key(k), "{k} lost");
    }
}

/// Every node's CLUSTER NODES, for failure messages.
fn views(nodes: &[Proc]) -> String {
    let mut out = String::new();
    for p in nodes {
        let f = p.raw().cmd(&["CLUSTER", "NODES"]);
        out.push_str(&format!(
            "== {}\n{}",
            p.port,
            String::from_utf8_lossy(f.as_bytes().expect("nodes"))
        ));
    }
    out
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime")
}

async fn cluster_conn(entry: u16) -> redis::cluster_async::ClusterConnection {
    let client = redis::cluster::ClusterClient::new(vec![format!("redis://127.0.0.1:{entry}/")])
        .expect("cluster client");
    client
        .get_async_connection()
        .await
        .expect("cluster connection")
}

#[test]
fn create_check_reshard_while_writing() {
    let nodes: Vec<Proc> = (0..3).map(|_| cluster_node()).collect();
    create(&nodes);
    wait_check_ok(&nodes[0]);
    wait_state_ok(&nodes);
    // Redirection from a node that does not own the key.
    let owner_of_foo = nodes
        .iter()
        .find(|p| owned_slots(p).contains(&12182))
        .expect("someone owns slot 12182");
    let other = nodes
        .iter()
        .find(|p| p.port != owner_of_foo.port)
        .expect("another node");
    assert_eq!(
        other.raw().cmd(&["GET", "foo"]),
        Frame::error(format!("MOVED 12182 127.0.0.1:{}", owner_of_foo.port))
    );

    let rt = runtime();
    let mut expected = BTreeMap::new();
    rt.block_on(async {
        let mut con = cluster_conn(nodes[0].port).await;
        for i in 0..400 {
            let (k, v) = (format!("key:{i}"), format!("v{i}"));
            let () = redis::cmd("SET")
                .arg(&k)
                .arg(&v)
                .query_async(&mut con)
                .await
                .expect("SET");
            expected.insert(k, v);
        }
    });
    // Writer running during the reshard: every acknowledged write must survive.
    let stop = Arc::new(AtomicBool::new(false));
    let acked = Arc::new(AtomicU64::new(0));
    let writer = {
        let (stop, acked) = (stop.clone(), acked.clone());
        let port = nodes[1].port;
        rt.spawn(async move {
            let mut con = cluster_conn(port).await;
            let mut i = 0u64;
            while !stop.load(Ordering::Relaxed) {
                let k = format!("live:{i}");
                let r: redis::RedisResult<()> =
                    redis::cmd("SET").arg(&k).arg(i).query_async(&mut con).await;
                r.unwrap_or_else(|e| panic!("SET {k} during reshard: {e}"));
                let got: Option<String> = redis::cmd("GET")
                    .arg(&k)
                    .query_async(&mut con)
                    .await
                    .expect("GET");
                assert_eq!(got, Some(i.to_string()));
                i += 1;
                acked.store(i, Ordering::Relaxed);
            }
        })
    };
    let (from, to) = (myid(&nodes[0]), myid(&nodes[1]));
    let (code, out) = redis_cli(&args(&[
        "--cluster",
        "reshard",
        &addr(&nodes[2]),
        "--cluster-from",
        &from,
        "--cluster-to",
        &to,
        "--cluster-slots",
        "300",
        "--cluster-yes",
    ]));
    assert_eq!(code, 0, "reshard failed:\n{out}");
    std::thread::sleep(Duration::from_millis(300));
    stop.store(true, Ordering::Relaxed);
    rt.block_on(writer).expect("writer task");
    let n = acked.load(Ordering::Relaxed);
    assert!(n > 10, "the writer made too little progress: {n}");
    for i in 0..n {
        expected.insert(format!("live:{i}"), i.to_string());
    }
    wait_check_ok(&nodes[0]);
    assert!(
        owned_slots(&nodes[1]).contains(&0),
        "slot 0 moved to the target"
    );
    assert_placement(&nodes.iter().collect::<Vec<_>>(), &expected);
}

#[test]
fn add_node_rebalance_del_node() {
    let mut nodes: Vec<Proc> = (0..3).map(|_| cluster_node()).collect();
    create(&nodes);
    wait_check_ok(&nodes[0]);
    wait_state_ok(&nodes);
    let mut expected = BTreeMap::new();
    {
        let mut c = RawClient::connect(nodes[0].port).expect("connect");
        for i in 0..200 {
            let k = format!("{{n0}}k{i}");
            // Keys hashed with a tag so they can be written through one node after a MOVED.
            let _ = c.cmd(&["SET", &k, "x"]);
        }
    }
    let rt = runtime();
    rt.block_on(async {
        let mut con = cluster_conn(nodes[0].port).await;
        for i in 0..200 {
            let (k, v) = (format!("r:{i}"), format!("v{i}"));
            let () = redis::cmd("SET")
                .arg(&k)
                .arg(&v)
                .query_async(&mut con)
                .await
                .expect("SET");
            expected.insert(k, v);
        }
        for i in 0..200 {
            let k = format!("{{n0}}k{i}");
            let v: Option<String> = redis::cmd("GET")
                .arg(&k)
                .query_async(&mut con)
                .await
                .expect("GET");
            if let Some(v) = v {
                expected.insert(k, v);
            }
        }
    });
    let newbie = cluster_node();
    let (code, out) = redis_cli(&args(&[
        "--cluster",
        "add-node",
        &addr(&newbie),
        &addr(&nodes[0]),
    ]));
    assert_eq!(code, 0, "add-node failed:\n{out}");
    assert!(out.contains("[OK] New node added correctly."), "{out}");
    nodes.push(newbie);
    // Gossip makes every node meet the newcomer; moving slots to it needs that first.
    let all_known = |p: &Proc| {
        let f = p.raw().cmd(&["CLUSTER", "INFO"]);
        String::from_utf8_lossy(f.as_bytes().expect("info")).contains("cluster_known_nodes:4\r\n")
    };
    assert!(
        wait_until(JOIN_TIMEOUT, || nodes.iter().all(all_known)),
        "{}",
        views(&nodes)
    );
    wait_check_ok(&nodes[0]);
    wait_state_ok(&nodes);
    // A small weight keeps the test fast (each slot move is ~7 round trips): the new node
    // should get 16384 * 0.1 / 3.1 = 528 slots.
    let id = myid(&nodes[3]);
    let small = format!("{id}=0.1");
    let (code, out) = redis_cli(&args(&[
        "--cluster",
        "rebalance",
        &addr(&nodes[0]),
        "--cluster-use-empty-masters",
        "--cluster-weight",
        &small,
    ]));
    assert_eq!(code, 0, "rebalance failed:\n{out}\n{}", views(&nodes));
    wait_check_ok(&nodes[3]);
    let got = owned_slots(&nodes[3]).len();
    assert!((500..=560).contains(&got), "new node got {got} slots");
    assert_placement(&nodes.iter().collect::<Vec<_>>(), &expected);

    // Shrink: empty the new node, then remove it.
    let weight = format!("{id}=0");
    let (code, out) = redis_cli(&args(&[
        "--cluster",
        "rebalance",
        &addr(&nodes[0]),
        "--cluster-weight",
        &weight,
    ]));
    assert_eq!(code, 0, "rebalance to empty failed:\n{out}");
    assert!(owned_slots(&nodes[3]).is_empty());
    wait_check_ok(&nodes[0]);
    let (code, out) = redis_cli(&args(&["--cluster", "del-node", &addr(&nodes[0]), &id]));
    assert_eq!(code, 0, "del-node failed:\n{out}");
    assert!(
        out.contains("Sending CLUSTER RESET SOFT to the deleted node"),
        "{out}"
    );
    let gone = nodes.pop().expect("the new node");
    let known = |p: &Proc| {
        let f = p.raw().cmd(&["CLUSTER", "INFO"]);
        String::from_utf8_lossy(f.as_bytes().expect("info")).contains("cluster_known_nodes:3\r\n")
    };
    assert!(
        wait_until(JOIN_TIMEOUT, || nodes.iter().all(known)),
        "the node was not forgotten"
    );
    let f = gone.raw().cmd(&["CLUSTER", "INFO"]);
    assert!(
        String::from_utf8_lossy(f.as_bytes().expect("info")).contains("cluster_known_nodes:1\r\n")
    );
    wait_check_ok(&nodes[1]);
    assert_placement(&nodes.iter().collect::<Vec<_>>(), &expected);
}
