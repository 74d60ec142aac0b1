//! Standalone replication: full sync, the live stream, partial resync after a cut link,
//! WAIT, read-only replicas, chains, and bad input on the replication path.

use std::collections::BTreeMap;
use std::io::{Read, Write};
use std::net::TcpListener;
use std::time::Duration;

use shoal_tests::{
    Frame, Proc, Proxy, RawClient, bulk, info_field, link_up, offsets_match, wait_until,
};

const SYNC_TIMEOUT: Duration = Duration::from_secs(30);

/// Every key with its value and whether it has a TTL, for comparing two nodes.
fn dump(c: &mut RawClient) -> BTreeMap<String, (Frame, bool)> {
    let Frame::Array(keys) = c.cmd(&["KEYS", "*"]) else {
        panic!("KEYS reply")
    };
    keys.into_iter()
        .map(|k| {
            let k = String::from_utf8_lossy(k.as_bytes().expect("bulk key")).into_owned();
            let v = c.cmd(&["GET", &k]);
            let ttl = c.cmd(&["PTTL", &k]) != Frame::Integer(-1);
            (k, (v, ttl))
        })
        .collect()
}

/// Asserts both nodes hold the same keys, values and TTL presence, naming the differences.
fn assert_same_data(a: &mut RawClient, b: &mut RawClient) {
    let (da, db) = (dump(a), dump(b));
    let diff: Vec<_> = da
        .keys()
        .chain(db.keys())
        .filter(|k| da.get(*k) != db.get(*k))
        .map(|k| format!("{k}: {:?} vs {:?}", da.get(k), db.get(k)))
        .take(10)
        .collect();
    assert!(
        diff.is_empty(),
        "data differs ({} vs {} keys): {diff:?}",
        da.len(),
        db.len()
    );
}

#[test]
fn full_sync_then_stream_then_readonly() {
    let master = Proc::node(&[]);
    let mut m = master.raw();
    for i in 0..500 {
        m.cmd(&["SET", &format!("k{i}"), &format!("v{i}")]);
    }
    m.cmd(&["SET", "ttl", "x", "EX", "1000"]);
    m.cmd(&["SELECT", "3"]);
    m.cmd(&["SET", "in-db3", "1"]);
    m.cmd(&["SELECT", "0"]);
    let replica = Proc::node(&[]);
    let mut r = replica.raw();
    assert_eq!(
        r.cmd(&["REPLICAOF", "127.0.0.1", &master.port.to_string()]),
        Frame::ok()
    );
    assert!(
        wait_until(SYNC_TIMEOUT, || link_up(&mut r)),
        "link never came up"
    );
    // Writes after the sync arrive through the stream, relative TTLs made absolute.
    m.cmd(&["SET", "later", "1", "PX", "100000"]);
    m.cmd(&["INCR", "later"]);
    m.cmd(&["EXPIRE", "k1", "500"]);
    m.cmd(&["DEL", "k2"]);
    assert!(wait_until(SYNC_TIMEOUT, || offsets_match(&mut m, &mut r)));
    assert_same_data(&mut m, &mut r);
    r.cmd(&["SELECT", "3"]);
    assert_eq!(r.cmd(&["GET", "in-db3"]), bulk("1"));
    assert_eq!(
        r.cmd(&["SET", "x", "y"]),
        Frame::error("READONLY You can't write against a read only replica.")
    );
    let Frame::Array(role) = r.cmd(&["ROLE"]) else {
        panic!("ROLE")
    };
    assert_eq!(role[0], bulk("slave"));
    assert_eq!(role[3], bulk("connected"));
    assert_eq!(
        info_field(&mut m, "stats", "sync_full").as_deref(),
        Some("1")
    );
}

#[test]
fn wait_counts_replicas_that_acknowledged() {
    let master = Proc::node(&[]);
    let replica = Proc::node(&[]);
    let mut r = replica.raw();
    r.cmd(&["REPLICAOF", "127.0.0.1", &master.port.to_string()]);
    assert!(wait_until(SYNC_TIMEOUT, || link_up(&mut r)));
    let mut m = master.raw();
    m.cmd(&["SET", "a", "1"]);
    assert_eq!(m.cmd(&["WAIT", "1", "5000"]), Frame::Integer(1));
    // Two replicas wanted, one exists: WAIT times out and reports one.
    m.cmd(&["SET", "a", "2"]);
    assert_eq!(m.cmd(&["WAIT", "2", "300"]), Frame::Integer(1));
    assert!(r.cmd(&["WAIT", "1", "0"]).is_error());
}

#[test]
fn cut_link_resumes_with_partial_resync() {
    let master = Proc::node(&[]);
    let proxy = Proxy::start(master.port);
    let replica = Proc::node(&[]);
    let mut r = replica.raw();
    r.cmd(&["REPLICAOF", "127.0.0.1", &proxy.port.to_string()]);
    assert!(wait_until(SYNC_TIMEOUT, || link_up(&mut r)));
    let mut m = master.raw();
    for i in 0..100 {
        m.cmd(&["SET", &format!("a{i}"), "1"]);
    }
    proxy.cut();
    for i in 0..100 {
        m.cmd(&["SET", &format!("b{i}"), "2"]);
    }
    assert!(wait_until(SYNC_TIMEOUT, || offsets_match(&mut m, &mut r)
        && link_up(&mut r)));
    assert_same_data(&mut m, &mut r);
    assert_eq!(
        info_field(&mut m, "stats", "sync_full").as_deref(),
        Some("1")
    );
    assert_eq!(
        info_field(&mut m, "stats", "sync_partial_ok").as_deref(),
        Some("1")
    );
}

/// A chain a <- b <- c (b started with `b_args`), every link up: the nodes and a client of
/// each.
fn chain(b_args: &[&str]) -> ([Proc; 3], [RawClient; 3]) {
    let nodes = [Proc::node(&[]), Proc::node(b_args), Proc::node(&[])];
    let (a, b) = (nodes[0].port.to_string(), nodes[1].port.to_string());
    let mut clients = [nodes[0].raw(), nodes[1].raw(), nodes[2].raw()];
    for (i, master) in [(1, a), (2, b)] {
        clients[i].cmd(&["REPLICAOF", "127.0.0.1", &master]);
        assert!(wait_until(SYNC_TIMEOUT, || link_up(&mut clients[i])));
    }
    (nodes, clients)
}

#[test]
fn chained_replicas_and_promotion() {
    let (_nodes, [mut ca, mut cb, mut cc]) = chain(&[]);
    for i in 0..50 {
        ca.cmd(&["SET", &format!("k{i}"), &i.to_string()]);
    }
    assert!(wait_until(SYNC_TIMEOUT, || offsets_match(&mut ca, &mut cc)));
    assert_same_data(&mut ca, &mut cc);
    // Promote b: it keeps a's history as its secondary id and accepts writes; c follows it.
    assert_eq!(cb.cmd(&["REPLICAOF", "NO", "ONE"]), Frame::ok());
    assert_eq!(cb.cmd(&["SET", "after-promotion", "1"]), Frame::ok());
    assert!(wait_until(SYNC_TIMEOUT, || cc
        .cmd(&["GET", "after-promotion"])
        == bulk("1")));
}

#[test]
fn unreachable_master_and_self_replication_keep_the_node_serving() {
    let node = Proc::node(&[]);
    let mut c = node.raw();
    let dead = shoal_tests::free_port();
    assert_eq!(
        c.cmd(&["REPLICAOF", "127.0.0.1", &dead.to_string()]),
        Frame::ok()
    );
    assert_eq!(
        c.cmd(&["REPLICAOF", "127.0.0.1", "notaport"]),
        Frame::error("ERR value is not an integer or out of range")
    );
    assert_eq!(
        c.cmd(&["REPLICAOF", "127.0.0.1", "0"]),
        Frame::error("ERR Invalid master port")
    );
    std::thread::sleep(Duration::from_millis(700));
    assert_eq!(
        info_field(&mut c, "replication", "master_link_status").as_deref(),
        Some("down")
    );
    assert_eq!(c.cmd(&["GET", "x"]), Frame::Null);
    assert_eq!(
        c.cmd(&["REPLICAOF", "127.0.0.1", &node.port.to_string()]),
        Frame::ok()
    );
    std::thread::sleep(Duration::from_millis(700));
    assert_eq!(c.cmd(&["PING"]), Frame::simple("PONG"));
    assert_eq!(c.cmd(&["REPLICAOF", "NO", "ONE"]), Frame::ok());
    assert_eq!(c.cmd(&["SET", "x", "1"]), Frame::ok());
}

#[test]
fn corrupt_snapshot_from_a_fake_master_is_refused_and_retried() {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = listener.local_addr().expect("addr").port();
    let fake = std::thread::spawn(move || {
        // Serve two handshakes with a garbage snapshot each: the replica must survive both.
        for _ in 0..2 {
            let (mut s, _) = listener.accept().expect("accept");
            s.set_read_timeout(Some(Duration::from_secs(5)))
                .expect("timeout");
            let mut got = Vec::new();
            let mut buf = [0u8; 4096];
            while !String::from_utf8_lossy(&got).contains("PSYNC") {
                let n = s.read(&mut buf).expect("read");
                assert!(n > 0, "replica hung up during handshake");
                got.extend_from_slice(&buf[..n]);
                let replies = String::from_utf8_lossy(&got).matches("\r\n*").count();
                let _ = replies;
                s.write_all(b"+OK\r\n").expect("write");
            }
            s.write_all(
                b"+FULLRESYNC 0123456789012345678901234567890123456789 0\r\n$EOF:short\r\n",
            )
            .expect("write");
            std::thread::sleep(Duration::from_millis(100));
        }
    });
    let node = Proc::node(&[]);
    let mut c = node.raw();
    c.cmd(&["REPLICAOF", "127.0.0.1", &port.to_string()]);
    fake.join().expect("fake master");
    assert_eq!(c.cmd(&["PING"]), Frame::simple("PONG"));
    assert_eq!(
        info_field(&mut c, "replication", "master_link_status").as_deref(),
        Some("down")
    );
}

#[test]
fn random_writes_reach_the_replica_identically() {
    use rand::{Rng, SeedableRng};
    let master = Proc::node(&[]);
    let replica = Proc::node(&[]);
    let (mut m, mut r) = (master.raw(), replica.raw());
    r.cmd(&["REPLICAOF", "127.0.0.1", &master.port.to_string()]);
    assert!(wait_until(SYNC_TIMEOUT, || link_up(&mut r)));
    let mut rng = rand::rngs::StdRng::seed_from_u64(7);
    for _ in 0..2000 {
        let k = format!("k{}", rng.random_range(0..40));
        let k2 = format!("k{}", rng.random_range(0..40));
        let n = rng.random_range(1..1000).to_string();
        let cmd: Vec<&str> = match rng.random_range(0..9) {
            0 => vec!["SET", &k, &n],
            1 => vec!["SET", &k, &n, "EX", "1000"],
            2 => vec!["INCRBY", &k, &n],
            3 => vec!["APPEND", &k, &n],
            4 => vec!["DEL", &k, &k2],
            5 => vec!["EXPIRE", &k, "500"],
            6 => vec!["PERSIST", &k],
            7 => vec!["RENAME", &k, &k2],
            _ => vec!["SETEX", &k, "100", &n],
        };
        m.cmd(&cmd);
    }
    assert!(wait_until(SYNC_TIMEOUT, || offsets_match(&mut m, &mut r)));
    assert_same_data(&mut m, &mut r);
}

/// Every key and its string value, read with one pipeline.
fn strings(c: &mut RawClient) -> BTreeMap<Vec<u8>, Frame> {
    let Frame::Array(keys) = c.cmd(&["KEYS", "*"]) else {
        panic!("KEYS reply")
    };
    let keys: Vec<Vec<u8>> = keys
        .into_iter()
        .map(|k| k.as_bytes().expect("bulk key").to_vec())
        .collect();
    for k in &keys {
        c.send(&[b"GET".as_slice(), k]);
    }
    keys.into_iter().map(|k| (k, c.read())).collect()
}

/// A full sync while writers keep changing the keys being snapshotted (appends and
/// increments, which would show a write applied twice or lost, deletions, new keys), with a
/// second replica asking while the first snapshot is still running: both end identical to the
/// primary, so the snapshot is point-in-time and the stream after it applies each write once.
#[test]
fn full_sync_under_writes_is_point_in_time() {
    use rand::{Rng, SeedableRng};
    use std::sync::atomic::{AtomicBool, Ordering};
    let master = Proc::node(&[]);
    let (r1, r2) = (Proc::node(&[]), Proc::node(&[]));
    let mut m = master.raw();
    for chunk in (0..30_000).collect::<Vec<_>>().chunks(1000) {
        let mut cmd = vec!["MSET".to_string()];
        for i in chunk {
            cmd.extend([format!("k{i}"), format!("v{i}")]);
        }
        assert_eq!(m.cmd(&cmd), Frame::ok());
    }
    let stop = std::sync::Arc::new(AtomicBool::new(false));
    let writer = {
        let (stop, mut w) = (stop.clone(), master.raw());
        std::thread::spawn(move || {
            let mut rng = rand::rngs::StdRng::seed_from_u64(11);
            let mut batches = 0;
            while !stop.load(Ordering::Relaxed) || batches < 20 {
                let cmds: Vec<Vec<String>> = (0..100)
                    .map(|i| {
                        let k = format!("k{}", rng.random_range(0..40_000));
                        match i % 4 {
                            0 => vec!["APPEND".into(), k, "+".into()],
                            1 => vec!["INCR".into(), format!("c{}", rng.random_range(0..500))],
                            2 => vec!["DEL".into(), k],
                            _ => vec!["SET".into(), k, format!("n{batches}")],
                        }
                    })
                    .collect();
                for c in &cmds {
                    w.send(c);
                }
                for _ in &cmds {
                    w.read();
                }
                batches += 1;
            }
            batches
        })
    };
    let (mut c1, mut c2) = (r1.raw(), r2.raw());
    let port = master.port.to_string();
    c1.cmd(&["REPLICAOF", "127.0.0.1", &port]);
    c2.cmd(&["REPLICAOF", "127.0.0.1", &port]);
    assert!(wait_until(SYNC_TIMEOUT * 3, || link_up(&mut c1) && link_up(&mut c2)));
    stop.store(true, Ordering::Relaxed);
    let batches = writer.join().expect("writer thread");
    assert!(batches >= 20);
    let expected = strings(&mut m);
    assert!(expected.len() > 20_000);
    for c in [&mut c1, &mut c2] {
        assert!(wait_until(SYNC_TIMEOUT, || offsets_match(&mut m, c)));
        let got = strings(c);
        let diff: Vec<_> = expected
            .iter()
            .filter(|(k, v)| got.get(*k) != Some(v))
            .take(5)
            .collect();
        assert!(diff.is_empty() && got.len() == expected.len(), "{diff:?}");
    }
    assert_eq!(
        info_field(&mut m, "stats", "sync_full").as_deref(),
        Some("2")
    );
}

/// Replicas do not expire keys themselves (Redis `expireIfNeeded` on a replica): a key whose
/// TTL passed reads as missing on the replica but still counts in DBSIZE until the primary's
/// DEL arrives. Checked against real Redis 7.0 (same replies, same counts).
#[test]
fn replica_hides_expired_keys_until_the_primary_deletes_them() {
    let master = Proc::node(&["--enable-debug-command", "yes"]);
    let replica = Proc::node(&[]);
    let (mut m, mut r) = (master.raw(), replica.raw());
    r.cmd(&["REPLICAOF", "127.0.0.1", &master.port.to_string()]);
    assert!(wait_until(SYNC_TIMEOUT, || link_up(&mut r)));
    assert_eq!(m.cmd(&["DEBUG", "SET-ACTIVE-EXPIRE", "0"]), Frame::ok());
    m.cmd(&["SET", "k", "v", "PX", "100"]);
    m.cmd(&["SET", "k2", "v"]);
    m.cmd(&["SET", "k3", "v", "PX", "100"]);
    assert!(wait_until(SYNC_TIMEOUT, || offsets_match(&mut m, &mut r)));
    std::thread::sleep(Duration::from_millis(150));
    assert_eq!(r.cmd(&["GET", "k"]), Frame::Null);
    assert_eq!(r.cmd(&["EXISTS", "k"]), Frame::Integer(0));
    assert_eq!(r.cmd(&["TTL", "k"]), Frame::Integer(-2));
    assert_eq!(r.cmd(&["TYPE", "k"]), Frame::simple("none"));
    assert_eq!(r.cmd(&["STRLEN", "k"]), Frame::Integer(0));
    assert_eq!(r.cmd(&["KEYS", "*"]), Frame::Array(vec![bulk("k2")]));
    assert_eq!(r.cmd(&["RANDOMKEY"]), bulk("k2"));
    // Still there: the replica deleted nothing.
    assert_eq!(r.cmd(&["DBSIZE"]), Frame::Integer(3));
    assert_eq!(
        info_field(&mut r, "keyspace", "db0").as_deref(),
        Some("keys=3,expires=2,avg_ttl=0")
    );
    assert_eq!(
        info_field(&mut r, "stats", "expired_keys").as_deref(),
        Some("0")
    );
    // The primary's lazy expiry of k sends a DEL; k3 stays until the primary touches it.
    assert_eq!(m.cmd(&["GET", "k"]), Frame::Null);
    assert!(wait_until(SYNC_TIMEOUT, || r.cmd(&["DBSIZE"]) == Frame::Integer(2)));
    assert_eq!(m.cmd(&["DBSIZE"]), Frame::Integer(2));
}

/// A full sync carries the function libraries, as Redis's RDB does: the replica ends with
/// exactly the primary's (its own are dropped), and later loads follow on the stream.
#[test]
fn full_sync_carries_the_function_libraries() {
    let lib = |name: &str, f: &str, n: u32| {
        format!(
            "#!lua name={name}\nredis.register_function{{function_name='{f}', \
             callback=function() return {n} end, flags={{'no-writes'}}}}"
        )
    };
    let master = Proc::node(&[]);
    let replica = Proc::node(&[]);
    let (mut m, mut r) = (master.raw(), replica.raw());
    assert_eq!(
        m.cmd(&["FUNCTION", "LOAD", &lib("kept", "one", 1)]),
        bulk("kept")
    );
    assert_eq!(
        r.cmd(&["FUNCTION", "LOAD", &lib("own", "mine", 9)]),
        bulk("own")
    );
    let port = master.port.to_string();
    assert_eq!(r.cmd(&["REPLICAOF", "127.0.0.1", &port]), Frame::ok());
    assert!(
        wait_until(SYNC_TIMEOUT, || link_up(&mut r)),
        "replica never synced"
    );
    assert_eq!(r.cmd(&["FCALL", "one", "0"]), Frame::Integer(1));
    assert_eq!(
        r.cmd(&["FCALL", "mine", "0"]),
        Frame::error("ERR Function not found")
    );
    assert_eq!(
        m.cmd(&["FUNCTION", "LOAD", &lib("later", "two", 2)]),
        bulk("later")
    );
    assert!(
        wait_until(SYNC_TIMEOUT, || r.cmd(&["FCALL", "two", "0"])
            == Frame::Integer(2)),
        "a library loaded after the sync did not arrive"
    );
    assert_eq!(m.cmd(&["FUNCTION", "DUMP"]), r.cmd(&["FUNCTION", "DUMP"]));
}

/// A write made on a writable replica stays there, as in Redis: the replica's stream is its
/// primary's, so its offset does not move and its own replicas do not get the write.
#[test]
fn writes_on_a_writable_replica_stay_local() {
    let (_nodes, [mut ca, mut cb, mut cc]) = chain(&["--replica-read-only", "no"]);
    ca.cmd(&["SET", "from-primary", "1"]);
    assert!(wait_until(SYNC_TIMEOUT, || offsets_match(&mut ca, &mut cc)));
    assert_eq!(cb.cmd(&["SET", "local", "1"]), Frame::ok());
    assert_eq!(cb.cmd(&["GET", "local"]), bulk("1"));
    ca.cmd(&["SET", "later", "2"]);
    assert!(wait_until(SYNC_TIMEOUT, || cc.cmd(&["GET", "later"]) == bulk("2")));
    assert!(
        offsets_match(&mut ca, &mut cb),
        "the replica's offset left its primary's"
    );
    assert!(offsets_match(&mut ca, &mut cc));
    assert_eq!(cc.cmd(&["GET", "local"]), Frame::Null);
}

/// `replicaof <host> <port>` (and `slaveof`) in the configuration, on the command line or in
/// the file: the node starts as a replica. CONFIG REWRITE writes the master the node has now
/// (and drops the line once it is a master again), so a restart keeps the role; cluster mode
/// refuses the directive at startup, as Redis does.
#[test]
fn replicaof_in_the_configuration() {
    let master = Proc::node(&[]);
    let mut m = master.raw();
    for i in 0..100 {
        m.cmd(&["SET", &format!("k{i}"), &format!("v{i}")]);
    }
    let mport = master.port.to_string();
    let from_cli = Proc::node(&["--replicaof", "127.0.0.1", &mport]);
    let mut r = from_cli.raw();
    assert!(
        wait_until(SYNC_TIMEOUT, || link_up(&mut r)),
        "link never came up"
    );
    assert!(wait_until(SYNC_TIMEOUT, || offsets_match(&mut m, &mut r)));
    assert_same_data(&mut m, &mut r);

    // From the file: REPLICAOF, CONFIG REWRITE, restart.
    let mut from_file = Proc::node_with_config_file(&[]);
    let conf = from_file.dir.path().join("node.conf");
    std::fs::write(
        &conf,
        "# mine\nslaveof 10.0.0.1 7000\nslaveof 10.0.0.2 7001\n",
    )
    .expect("conf");
    let mut r = from_file.raw();
    assert_eq!(r.cmd(&["REPLICAOF", "127.0.0.1", &mport]), Frame::ok());
    assert_eq!(r.cmd(&["CONFIG", "REWRITE"]), Frame::ok());
    let text = std::fs::read_to_string(&conf).expect("conf");
    let lines: Vec<&str> = text.lines().filter(|l| l.contains("of ")).collect();
    assert_eq!(lines, [format!("replicaof 127.0.0.1 {mport}")], "{text}");
    assert!(text.starts_with("# mine\n"), "{text}");
    from_file.restart();
    let mut r = from_file.raw();
    assert!(
        wait_until(SYNC_TIMEOUT, || link_up(&mut r)),
        "no link after restart"
    );
    m.cmd(&["SET", "after", "restart"]);
    assert!(wait_until(SYNC_TIMEOUT, || offsets_match(&mut m, &mut r)));
    assert_same_data(&mut m, &mut r);
    // CONFIG GET shows the live master, as Redis 7.0 (compared with redis-server in
    // differential_config.rs).
    assert_eq!(
        r.cmd(&["CONFIG", "GET", "replicaof"]),
        Frame::Array(vec![bulk("replicaof"), bulk(&format!("127.0.0.1 {mport}"))])
    );
    // A master again: the line goes, and CONFIG GET shows an empty value.
    assert_eq!(r.cmd(&["REPLICAOF", "NO", "ONE"]), Frame::ok());
    assert_eq!(
        r.cmd(&["CONFIG", "GET", "slaveof"]),
        Frame::Array(vec![bulk("slaveof"), bulk("")])
    );
    assert_eq!(r.cmd(&["CONFIG", "REWRITE"]), Frame::ok());
    let text = std::fs::read_to_string(&conf).expect("conf");
    assert!(
        !text.contains("replicaof") && !text.contains("slaveof"),
        "{text}"
    );

    // Refused at startup: in cluster mode, with a bad port, with a missing port.
    for (args, why) in [
        (
            vec![
                "--cluster-enabled",
                "yes",
                "--replicaof",
                "127.0.0.1",
                "7000",
            ],
            "replicaof directive not allowed in cluster mode",
        ),
        (
            vec!["--replicaof", "127.0.0.1", "abc"],
            "Invalid master port",
        ),
        (
            vec!["--replicaof", "127.0.0.1"],
            "wrong number of arguments",
        ),
    ] {
        let out = shoal_tests::output_within(
            std::process::Command::new(shoal_tests::bin("shoal-node"))
                .args(["--port", "0"])
                .args(&args),
            Duration::from_secs(30),
        );
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(
            !out.status.success() && err.contains(why),
            "{args:?}: {err}"
        );
    }
}

/// Reads from `s` until `pred` holds for everything read so far (or 30 s pass).
fn read_until(s: &mut std::net::TcpStream, pred: impl Fn(&[u8]) -> bool) -> Vec<u8> {
    s.set_read_timeout(Some(Duration::from_millis(200)))
        .expect("timeout");
    let mut got = Vec::new();
    let mut buf = [0u8; 65536];
    let deadline = std::time::Instant::now() + SYNC_TIMEOUT;
    while !pred(&got) && std::time::Instant::now() < deadline {
        if let Ok(n) = s.read(&mut buf) {
            assert!(n > 0, "closed after {:?}", String::from_utf8_lossy(&got));
            got.extend_from_slice(&buf[..n]);
        }
    }
    got
}

fn contains(hay: &[u8], needle: &[u8]) -> bool {
    hay.windows(needle.len()).any(|w| w == needle)
}

/// The pre-PSYNC `SYNC` and the REPLCONF options of Redis 7.0's tools: `redis-cli
/// --replica` (`rdb-filter-only ""`: a snapshot with no keys, then the live stream) and
/// `redis-cli --rdb` (`rdb-only 1`: the snapshot, then the connection closes).
#[test]
fn sync_rdb_only_and_filtered_snapshots() {
    let master = Proc::node(&[]);
    let mut m = master.raw();
    m.cmd(&["SET", "old", "value"]);
    // rdb-filter-only "": no keys, no libraries; then the stream (SYNC: no +FULLRESYNC).
    let mut s = std::net::TcpStream::connect(("127.0.0.1", master.port)).expect("connect");
    s.write_all(
        b"*3\r\n$8\r\nREPLCONF\r\n$15\r\nrdb-filter-only\r\n$0\r\n\r\n*1\r\n$4\r\nSYNC\r\n",
    )
    .expect("write");
    // "+OK\r\n" "$EOF:" <mark> "\r\n" <mark>
    let got = read_until(&mut s, |g| g.len() >= 5 + 5 + 40 + 2 + 40);
    assert!(
        got.starts_with(b"+OK\r\n$EOF:"),
        "{:?}",
        String::from_utf8_lossy(&got)
    );
    let mark = &got[10..50];
    assert_eq!(
        &got[52..92],
        mark,
        "an empty snapshot: {:?}",
        String::from_utf8_lossy(&got)
    );
    m.cmd(&["SET", "new", "value"]);
    let got = read_until(&mut s, |g| contains(g, b"new"));
    assert!(
        contains(&got, b"SET") && !contains(&got, b"old"),
        "{:?}",
        String::from_utf8_lossy(&got)
    );
    assert_eq!(
        info_field(&mut m, "replication", "connected_slaves").as_deref(),
        Some("1")
    );
    drop(s);

    // rdb-only: the whole snapshot with its keys, then EOF.
    let mut s = std::net::TcpStream::connect(("127.0.0.1", master.port)).expect("connect");
    s.write_all(b"*3\r\n$8\r\nREPLCONF\r\n$8\r\nrdb-only\r\n$1\r\n1\r\n*3\r\n$5\r\nPSYNC\r\n$1\r\n?\r\n$2\r\n-1\r\n")
        .expect("write");
    s.set_read_timeout(Some(SYNC_TIMEOUT)).expect("timeout");
    let mut all = Vec::new();
    s.read_to_end(&mut all)
        .expect("the master closes the connection");
    let text = String::from_utf8_lossy(&all);
    assert!(text.starts_with("+OK\r\n+FULLRESYNC "), "{text}");
    assert!(contains(&all, b"old") && contains(&all, b"new"), "{text}");
    assert!(
        wait_until(SYNC_TIMEOUT, || info_field(
            &mut m,
            "replication",
            "connected_slaves"
        )
        .as_deref()
            == Some("0")),
        "the rdb-only replica is gone"
    );
    // redis-cli --rdb, the tool itself.
    let path = master.dir.path().join("snapshot.out");
    let out = shoal_tests::output_within(
        std::process::Command::new(shoal_tests::require_tool("redis-cli", "redis-tools"))
            .args(["-p", &master.port.to_string(), "--rdb"])
            .arg(&path),
        SYNC_TIMEOUT,
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let file = std::fs::read(&path).expect("snapshot file");
    assert!(
        contains(&file, b"RESTORE") && contains(&file, b"old"),
        "{}",
        String::from_utf8_lossy(&file)
    );

    // The option errors, with Redis's texts.
    for (args, err) in [
        (
            ["REPLCONF", "rdb-only", "2"],
            "ERR value is out of range, value must between 0 and 1",
        ),
        (
            ["REPLCONF", "rdb-filter-only", "functions bogus"],
            "ERR Unsupported rdb-filter-only option: bogus",
        ),
        (
            ["REPLCONF", "rdb-filter-only", "\"open"],
            "ERR Missing rdb-filter-only values",
        ),
    ] {
        assert_eq!(m.cmd(&args), Frame::error(err));
    }
    assert_eq!(
        m.cmd(&["SYNC", "x"]),
        Frame::error("ERR wrong number of arguments for 'sync' command")
    );
}
