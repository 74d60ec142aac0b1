//! Cluster mode driven by the real tools: nodes formed with the unmodified `redis-cli
//! --cluster create`, checked with `check`, resharded with `reshard` while the `redis` crate's
//! cluster client writes, grown with `add-node` + `rebalance`, shrunk with `del-node`.
//! After every move, each key must be present exactly once, on the owner of its slot.
//! Also `info`, `call`, `set-timeout`, `fix` (an open slot, uncovered slots) and `redis-cli -c`.
//! `SHOAL_CLUSTER_SERVER=redis` runs the same tests on real Redis 7.0.

use std::collections::{BTreeMap, BTreeSet};
use std::process::Command;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::Duration;

use shoal_common::slot::key_hash_slot;
use shoal_tests::cluster::ServerKind;
use shoal_tests::{Frame, Proc, RawClient, require_tool, wait_until};

const JOIN_TIMEOUT: Duration = Duration::from_secs(40);

/// A cluster node started with a config file, as an operator runs one (so `CONFIG REWRITE`,
/// which `--cluster set-timeout` sends, has a file to write).
fn cluster_node() -> Proc {
    let args = ["--cluster-enabled", "yes", "--cluster-node-timeout", "2000"];
    match ServerKind::from_env() {
        ServerKind::Redis => Proc::redis_with_config_file(&args),
        ServerKind::Shoal => Proc::node_with_config_file(&args),
    }
}

/// Runs redis-cli; returns its exit code and combined output.
fn redis_cli(args: &[String]) -> (i32, String) {
    redis_cli_answering(args, "")
}

/// Runs redis-cli with `answers` on its standard input (for the prompts `--cluster-yes` does
/// not answer, such as fix's slot coverage questions).
fn redis_cli_answering(args: &[String], answers: &str) -> (i32, String) {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("answers");
    std::fs::write(&path, answers).expect("write answers");
    let stdin = std::fs::File::open(&path).expect("open answers");
    let out = shoal_tests::output_within_stdin(
        Command::new(require_tool("redis-cli", "redis-tools")).args(args),
        stdin.into(),
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

/// The owner of `slot` among `nodes`.
fn owner_of(nodes: &[Proc], slot: u16) -> &Proc {
    nodes
        .iter()
        .find(|p| owned_slots(p).contains(&slot))
        .unwrap_or_else(|| panic!("nobody owns slot {slot}"))
}

/// A key of `slot` with the given prefix (searched by hashing).
fn key_in_slot(prefix: &str, slot: u16) -> String {
    (0u64..)
        .map(|i| format!("{prefix}{i}"))
        .find(|k| key_hash_slot(k.as_bytes()).get() == slot)
        .expect("a key for every slot")
}

/// Sets `key` on the owner of its slot.
fn set_on_owner(nodes: &[Proc], key: &str, value: &str, expected: &mut BTreeMap<String, String>) {
    let owner = owner_of(nodes, key_hash_slot(key.as_bytes()).get());
    assert_eq!(owner.raw().cmd(&["SET", key, value]), Frame::ok());
    expected.insert(key.to_string(), value.to_string());
}

fn node_lines(out: &str) -> Vec<&str> {
    out.lines()
        .filter(|l| l.starts_with("127.0.0.1:"))
        .collect()
}

/// The operator's other tools: `redis-cli -c` follows MOVED, `--cluster info` counts keys and
/// slots per primary, `--cluster call` runs a command on every node, `--cluster set-timeout`
/// reconfigures every node, and `--cluster fix` closes a slot left open by an interrupted move
/// and covers slots nobody serves (one empty, one whose keys sit on a node). Afterwards
/// `check` passes and every key is present exactly once on its slot's owner.
#[test]
fn info_call_set_timeout_fix_and_cli_follow() {
    let nodes: Vec<Proc> = (0..3).map(|_| cluster_node()).collect();
    create(&nodes);
    wait_check_ok(&nodes[0]);
    wait_state_ok(&nodes);
    let mut expected = BTreeMap::new();

    // redis-cli -c: asked on a node that does not own slot 12182 ("foo"), it follows the MOVED.
    let other = nodes
        .iter()
        .find(|p| !owned_slots(p).contains(&12182))
        .expect("a node without slot 12182");
    let port = other.port.to_string();
    let (code, out) = redis_cli(&args(&["-c", "-p", &port, "SET", "foo", "bar"]));
    assert_eq!(
        (code, out.trim_end().lines().last()),
        (0, Some("OK")),
        "{out}"
    );
    let (code, out) = redis_cli(&args(&["-c", "-p", &port, "GET", "foo"]));
    assert_eq!(
        (code, out.trim_end().lines().last()),
        (0, Some("bar")),
        "{out}"
    );
    let (_, out) = redis_cli(&args(&["-p", &port, "GET", "foo"]));
    assert!(
        out.contains("MOVED 12182"),
        "without -c the MOVED is shown: {out}"
    );
    expected.insert("foo".to_string(), "bar".to_string());
    for i in 0..99 {
        set_on_owner(&nodes, &format!("k:{i}"), &format!("v{i}"), &mut expected);
    }

    // info: one line per primary (keys, slots, replicas), then the totals.
    let (code, out) = redis_cli(&args(&["--cluster", "info", &addr(&nodes[0])]));
    assert_eq!(code, 0, "{out}");
    let lines = node_lines(&out);
    assert_eq!(lines.len(), 3, "{out}");
    let mut keys = 0;
    let mut slots = 0;
    for l in &lines {
        // 127.0.0.1:7000 (0123abcd...) -> 33 keys | 5461 slots | 0 slaves.
        let rest = l.split(" -> ").nth(1).unwrap_or_else(|| panic!("{l}"));
        let nums: Vec<u64> = rest
            .split(" | ")
            .map(|f| f.split(' ').next().expect("count").parse().expect("number"))
            .collect();
        assert_eq!(nums.len(), 3, "{l}");
        keys += nums[0];
        slots += nums[1];
        assert_eq!(nums[2], 0, "{l}");
    }
    assert_eq!((keys, slots), (100, 16384), "{out}");
    assert!(out.contains("[OK] 100 keys in 3 masters."), "{out}");

    // call: DBSIZE on every node, summing to the key count.
    let (code, out) = redis_cli(&args(&["--cluster", "call", &addr(&nodes[0]), "DBSIZE"]));
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("Calling") && out.contains("DBSIZE"), "{out}");
    let sizes: Vec<u64> = node_lines(&out)
        .iter()
        .map(|l| {
            l.rsplit(": ")
                .next()
                .expect("size")
                .trim()
                .parse()
                .expect("number")
        })
        .collect();
    assert_eq!((sizes.len(), sizes.iter().sum::<u64>()), (3, 100), "{out}");

    // set-timeout: CONFIG SET cluster-node-timeout on every node.
    let (code, out) = redis_cli(&args(&[
        "--cluster",
        "set-timeout",
        &addr(&nodes[0]),
        "3000",
    ]));
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("New node timeout set. 3 OK, 0 ERR."), "{out}");
    for p in &nodes {
        let conf = std::fs::read_to_string(p.dir.path().join("node.conf")).expect("config file");
        assert!(
            conf.contains("cluster-node-timeout 3000"),
            "rewritten:\n{conf}"
        );
        assert_eq!(
            p.raw().cmd(&["CONFIG", "GET", "cluster-node-timeout"]),
            Frame::Array(vec![
                Frame::bulk("cluster-node-timeout"),
                Frame::bulk("3000")
            ])
        );
    }

    // fix, open slot: a move from A to B interrupted after some of the slot's keys went over.
    let open = 100u16;
    let a = owner_of(&nodes, open);
    let b = nodes
        .iter()
        .find(|p| p.port != a.port)
        .expect("another node");
    let moving: Vec<String> = (0..10)
        .map(|i| format!("{{{}}}m{i}", key_in_slot("t", open)))
        .collect();
    for k in &moving {
        set_on_owner(&nodes, k, "moving", &mut expected);
    }
    let (ida, idb) = (myid(a), myid(b));
    let ok = Frame::ok();
    assert_eq!(
        b.raw()
            .cmd(&["CLUSTER", "SETSLOT", &open.to_string(), "IMPORTING", &ida]),
        ok
    );
    assert_eq!(
        a.raw()
            .cmd(&["CLUSTER", "SETSLOT", &open.to_string(), "MIGRATING", &idb]),
        ok
    );
    let bport = b.port.to_string();
    let mut migrate = args(&["MIGRATE", "127.0.0.1", &bport, "", "0", "5000", "KEYS"]);
    migrate.extend(moving[..4].iter().cloned());
    assert_eq!(a.raw().cmd(&migrate), ok);
    assert!(check_ok(a).is_err(), "check sees the open slot");
    // redis-cli counts a node holding keys of the slot as an owner too; with two it picks the
    // one with more keys (A kept 6 of 10) and moves the importer's keys back to it.
    let (code, out) = redis_cli(&args(&[
        "--cluster",
        "fix",
        &addr(&nodes[0]),
        "--cluster-yes",
    ]));
    assert_eq!(code, 0, "fix failed:\n{out}\n{}", views(&nodes));
    assert!(out.contains("Fixing open slot 100"), "{out}");
    wait_check_ok(&nodes[0]);
    assert_eq!(
        owner_of(&nodes, open).port,
        a.port,
        "the open slot stays with A"
    );
    assert_placement(&nodes.iter().collect::<Vec<_>>(), &expected);

    // fix, uncovered slots: nobody serves `empty`; `keyed` still has keys on its old owner.
    let (empty, keyed) = (200u16, 5000u16);
    let kept: Vec<String> = (0..5)
        .map(|i| format!("{{{}}}u{i}", key_in_slot("w", keyed)))
        .collect();
    for k in &kept {
        set_on_owner(&nodes, k, "kept", &mut expected);
    }
    let keyed_owner = owner_of(&nodes, keyed).port;
    for p in &nodes {
        for s in [empty, keyed] {
            assert_eq!(
                p.raw().cmd(&["CLUSTER", "DELSLOTS", &s.to_string()]),
                ok,
                "{}",
                p.port
            );
        }
    }
    let (code, out) = redis_cli(&args(&["--cluster", "check", &addr(&nodes[0])]));
    assert!(
        code != 0 && out.contains("[ERR] Not all 16384 slots are covered by nodes."),
        "{out}"
    );

    // Each coverage question is answered even with --cluster-yes: read 4 bytes at a time.
    let fix = args(&["--cluster", "fix", &addr(&nodes[0]), "--cluster-yes"]);
    let (code, out) = redis_cli_answering(&fix, "yes\nyes\n");
    assert_eq!(code, 0, "fix failed:\n{out}\n{}", views(&nodes));
    assert!(out.contains("Fixing slots coverage"), "{out}");
    wait_check_ok(&nodes[0]);
    wait_state_ok(&nodes);
    assert_eq!(
        owner_of(&nodes, keyed).port,
        keyed_owner,
        "covered by the node with its keys"
    );
    owner_of(&nodes, empty);
    assert_placement(&nodes.iter().collect::<Vec<_>>(), &expected);
}
