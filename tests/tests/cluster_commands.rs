//! CLUSTER subcommands and redirection: exact replies and errors against real Redis (a
//! fresh single cluster node of each), the disabled-mode errors, MOVED/ASK/ASKING/TRYAGAIN
//! during a hand-driven migration with MIGRATE, garbage on the bus port, and a restart from
//! nodes.conf.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::Duration;

use shoal_tests::{Differ, Frame, Proc, RawClient, bulk, wait_until};

const TIMEOUT: Duration = Duration::from_secs(20);

fn text(f: &Frame) -> String {
    String::from_utf8_lossy(f.as_bytes().expect("bulk reply")).into_owned()
}

fn cluster_node() -> Proc {
    Proc::node(&["--cluster-enabled", "yes", "--cluster-node-timeout", "2000"])
}

#[test]
fn fresh_node_replies_match_redis() {
    let mut d = Differ::new(&["--cluster-enabled", "yes"]);
    d.check(&["CLUSTER", "INFO"]);
    for cmd in [
        &["GET", "foo"][..],
        &["SET", "foo", "bar"],
        &["MGET", "a", "b"],
        &["PING"],
        &["SELECT", "1"],
        &["SELECT", "0"],
        &["ASKING"],
        &["READONLY"],
        &["READWRITE"],
        &["CLUSTER", "KEYSLOT", "foo"],
        &["CLUSTER", "KEYSLOT", "{user1000}.following"],
        &["CLUSTER", "KEYSLOT", "foo{}{bar}"],
        &["CLUSTER", "KEYSLOT", ""],
        &["CLUSTER", "KEYSLOT"],
        &["CLUSTER", "COUNTKEYSINSLOT", "5"],
        &["CLUSTER", "COUNTKEYSINSLOT", "16384"],
        &["CLUSTER", "COUNTKEYSINSLOT", "-1"],
        &["CLUSTER", "COUNTKEYSINSLOT", "abc"],
        &["CLUSTER", "GETKEYSINSLOT", "1", "-1"],
        &["CLUSTER", "GETKEYSINSLOT", "x", "1"],
        &["CLUSTER", "GETKEYSINSLOT", "16384", "1"],
        &["CLUSTER", "GETKEYSINSLOT", "1", "10"],
        &["CLUSTER", "ADDSLOTS", "16384"],
        &["CLUSTER", "ADDSLOTS", "-1"],
        &["CLUSTER", "ADDSLOTS", "abc"],
        &["CLUSTER", "ADDSLOTS", "1", "1"],
        &["CLUSTER", "ADDSLOTS"],
        &["CLUSTER", "DELSLOTS", "1"],
        &["CLUSTER", "ADDSLOTSRANGE", "1", "2", "3"],
        &["CLUSTER", "ADDSLOTSRANGE", "5", "3"],
        &["CLUSTER", "ADDSLOTSRANGE", "0", "16384"],
        &["CLUSTER", "DELSLOTSRANGE", "2", "3"],
        &["CLUSTER", "SETSLOT", "1", "foo"],
        &["CLUSTER", "SETSLOT", "1", "node"],
        &["CLUSTER", "SETSLOT", "1", "migrating"],
        &["CLUSTER", "SETSLOT", "1", "migrating", "abc"],
        &["CLUSTER", "SETSLOT", "1", "importing", "abc"],
        &["CLUSTER", "SETSLOT", "99999", "stable"],
        &["CLUSTER", "SETSLOT", "abc", "stable"],
        &["CLUSTER", "SETSLOT", "1", "stable", "x"],
        &["CLUSTER", "SETSLOT", "1", "node", "abc"],
        &["CLUSTER", "SETSLOT", "1", "stable"],
        &["CLUSTER", "FORGET", "abc"],
        &[
            "CLUSTER",
            "FORGET",
            "0000000000000000000000000000000000000000",
        ],
        &["CLUSTER", "COUNT-FAILURE-REPORTS", "abc"],
        &["CLUSTER", "RESET", "foo"],
        &["CLUSTER", "RESET", "hard", "x"],
        &["CLUSTER", "MEET", "1.2.3.4", "5", "6", "7"],
        &["CLUSTER", "MEET", "1.2.3.4", "abc"],
        &["CLUSTER", "MEET", "1.2.3.4", "5", "abc"],
        &["CLUSTER", "MEET", "1.2.3.999", "5"],
        &["CLUSTER", "MEET", "localhost", "5"],
        &["CLUSTER", "MEET", "1.2.3.4", "70000"],
        &["CLUSTER", "SET-CONFIG-EPOCH", "-1"],
        &["CLUSTER", "SET-CONFIG-EPOCH", "abc"],
        &["CLUSTER", "SET-CONFIG-EPOCH", "5"],
        &["CLUSTER", "SET-CONFIG-EPOCH", "6"],
        &["CLUSTER", "BUMPEPOCH"],
        &["CLUSTER", "MYID", "x"],
        &["CLUSTER", "LINKS"],
        &["CLUSTER", "LINKS", "x"],
        &["CLUSTER", "FOO"],
        &["CLUSTER"],
        &["CLUSTER", "SLOTS"],
        &["CLUSTER", "SHARDS", "x"],
        &["CLUSTER", "ADDSLOTS", "7", "8"],
        &["CLUSTER", "ADDSLOTS", "8"],
        &["CLUSTER", "DELSLOTS", "8", "9"],
        &["CLUSTER", "DELSLOTSRANGE", "7", "7"],
        &["CLUSTER", "COUNTKEYSINSLOT", "8"],
        &["CLUSTER", "FLUSHSLOTS"],
        &["CLUSTER", "SAVECONFIG"],
        &["CLUSTER", "ADDSLOTSRANGE", "0", "16383"],
        &["MIGRATE", "127.0.0.1", "1", "k", "0", "100", "keys", "a"],
        &["MIGRATE", "127.0.0.1", "1", "k", "0", "100", "foo"],
        &["MIGRATE", "127.0.0.1", "1", "k", "0", "100", "auth"],
        &["MIGRATE", "127.0.0.1", "1", "k", "x", "100"],
        &["MIGRATE", "127.0.0.1", "1", "k", "0", "100"],
        &[
            "MIGRATE",
            "127.0.0.1",
            "1",
            "",
            "0",
            "100",
            "KEYS",
            "a",
            "b",
        ],
    ] {
        d.check(cmd);
    }
    // Both own every slot now; Redis waits up to 2 s after start before turning ok.
    let ok = |c: &mut RawClient| text(&c.cmd(&["CLUSTER", "INFO"])).starts_with("cluster_state:ok");
    assert!(wait_until(TIMEOUT, || ok(&mut d.a) && ok(&mut d.b)));
    for cmd in [
        &["SET", "foo", "bar"][..],
        &["GET", "foo"],
        &["MSET", "a", "1", "b", "2"],
        &["MSET", "{t}a", "1", "{t}b", "2"],
        &["MGET", "{t}a", "{t}b"],
        &["CLUSTER", "COUNTKEYSINSLOT", "12182"],
        &["CLUSTER", "GETKEYSINSLOT", "12182", "5"],
        &["CLUSTER", "FLUSHSLOTS"],
        &["CLUSTER", "RESET"],
        &["CLUSTER", "SETSLOT", "12182", "importing", "abc"],
        &["CLUSTER", "INFO"],
    ] {
        d.check(cmd);
    }
}

#[test]
fn disabled_mode_replies_match_redis() {
    let mut d = Differ::new(&[]);
    for cmd in [
        &["CLUSTER", "INFO"][..],
        &["CLUSTER", "NODES"],
        &["CLUSTER", "KEYSLOT", "x"],
        &["CLUSTER", "ADDSLOTS", "1"],
        &["ASKING"],
        &["READONLY"],
        &["READWRITE"],
    ] {
        d.check(cmd);
    }
}

/// CLUSTER MYSHARDID (Redis 7.2, absent from 7.0.15 so no differential test): 40 hex
/// characters other than the node id, kept by RESET SOFT, new after RESET HARD; its errors
/// are those of any CLUSTER subcommand (checked against MYID's, which the differential test
/// pins to Redis).
#[test]
fn myshardid_as_redis_72() {
    let node = cluster_node();
    let mut c = node.raw();
    let sid = text(&c.cmd(&["CLUSTER", "MYSHARDID"]));
    assert_eq!(sid.len(), 40);
    assert!(
        sid.bytes()
            .all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase())
    );
    assert_ne!(sid, text(&c.cmd(&["CLUSTER", "MYID"])));
    assert_eq!(text(&c.cmd(&["cluster", "myshardid"])), sid);
    let Frame::Error(myid_err) = c.cmd(&["CLUSTER", "MYID", "x"]) else {
        panic!("CLUSTER MYID x is an error")
    };
    let expected = String::from_utf8_lossy(&myid_err)
        .replace("myid", "myshardid")
        .replace("MYID", "MYSHARDID");
    assert_eq!(
        c.cmd(&["CLUSTER", "MYSHARDID", "x"]),
        Frame::error(expected)
    );
    // COMMAND INFO as Redis 7.2 declares it (`src/commands/cluster-myshardid.json`).
    let info = c.cmd(&["COMMAND", "INFO", "cluster|myshardid"]);
    let Frame::Array(entries) = info else {
        panic!("COMMAND INFO")
    };
    let Frame::Array(f) = &entries[0] else {
        panic!("entry: {entries:?}")
    };
    assert_eq!(f[0], bulk("cluster|myshardid"));
    assert_eq!(f[1], Frame::Integer(2));
    assert_eq!(f[2], Frame::Array(vec![Frame::simple("stale")]));
    assert_eq!(f[6], Frame::Array(vec![Frame::simple("@slow")]));
    assert_eq!(f[7], Frame::Array(vec![bulk("nondeterministic_output")]));
    // A soft reset keeps the shard id; a hard one (new node id) draws a new one, as 7.2.
    assert_eq!(c.cmd(&["CLUSTER", "RESET", "SOFT"]), Frame::ok());
    assert_eq!(text(&c.cmd(&["CLUSTER", "MYSHARDID"])), sid);
    assert_eq!(c.cmd(&["CLUSTER", "RESET", "HARD"]), Frame::ok());
    let after_hard = text(&c.cmd(&["CLUSTER", "MYSHARDID"]));
    assert_eq!(after_hard.len(), 40);
    assert_ne!(after_hard, sid);
    drop(c);
    let plain = Proc::node(&[]);
    assert_eq!(
        plain.raw().cmd(&["CLUSTER", "MYSHARDID"]),
        Frame::error("ERR This instance has cluster support disabled")
    );
}

/// Two nodes, each with half the slots, met over the bus.
fn pair() -> (Proc, Proc) {
    let (a, b) = (cluster_node(), cluster_node());
    assert_eq!(
        a.raw().cmd(&["CLUSTER", "ADDSLOTSRANGE", "0", "8191"]),
        Frame::ok()
    );
    assert_eq!(
        b.raw().cmd(&["CLUSTER", "ADDSLOTSRANGE", "8192", "16383"]),
        Frame::ok()
    );
    a.raw().cmd(&["CLUSTER", "SET-CONFIG-EPOCH", "1"]);
    b.raw().cmd(&["CLUSTER", "SET-CONFIG-EPOCH", "2"]);
    let port = b.port.to_string();
    assert_eq!(
        a.raw().cmd(&["CLUSTER", "MEET", "127.0.0.1", &port]),
        Frame::ok()
    );
    let ready = |p: &Proc| {
        let info = text(&p.raw().cmd(&["CLUSTER", "INFO"]));
        info.contains("cluster_state:ok") && info.contains("cluster_known_nodes:2\r\n")
    };
    assert!(
        wait_until(TIMEOUT, || ready(&a) && ready(&b)),
        "pair never formed"
    );
    (a, b)
}

fn id(p: &Proc) -> String {
    text(&p.raw().cmd(&["CLUSTER", "MYID"]))
}

#[test]
fn moved_ask_asking_tryagain_and_migrate() {
    let (a, b) = pair();
    let (mut ca, mut cb) = (a.raw(), b.raw());
    // "bar" is slot 5061 (a's), "foo" is 12182 (b's).
    assert_eq!(
        ca.cmd(&["GET", "foo"]),
        Frame::error(format!("MOVED 12182 127.0.0.1:{}", b.port))
    );
    assert_eq!(
        ca.cmd(&["MGET", "foo", "bar"]),
        Frame::error("CROSSSLOT Keys in request don't hash to the same slot")
    );
    assert_eq!(ca.cmd(&["SET", "bar", "1"]), Frame::ok());
    assert_eq!(ca.cmd(&["SET", "{bar}2", "2", "PX", "100000"]), Frame::ok());
    // Open slot 5061 from a to b.
    assert_eq!(
        cb.cmd(&["CLUSTER", "SETSLOT", "5061", "importing", &id(&a)]),
        Frame::ok()
    );
    assert_eq!(
        ca.cmd(&["CLUSTER", "SETSLOT", "5061", "migrating", &id(&b)]),
        Frame::ok()
    );
    let nodes = text(&ca.cmd(&["CLUSTER", "NODES"]));
    assert!(nodes.contains(&format!("[5061->-{}]", id(&b))), "{nodes}");
    let ask = Frame::error(format!("ASK 5061 127.0.0.1:{}", b.port));
    assert_eq!(ca.cmd(&["GET", "{bar}missing"]), ask);
    assert_eq!(ca.cmd(&["GET", "bar"]), bulk("1"));
    assert_eq!(
        ca.cmd(&["MGET", "bar", "{bar}missing"]),
        Frame::error("TRYAGAIN Multiple keys request during rehashing of slot")
    );
    // The importing side serves only after ASKING, once.
    assert_eq!(
        cb.cmd(&["GET", "bar"]),
        Frame::error(format!("MOVED 5061 127.0.0.1:{}", a.port))
    );
    assert_eq!(cb.cmd(&["ASKING"]), Frame::ok());
    assert_eq!(cb.cmd(&["GET", "bar"]), Frame::Null);
    assert!(matches!(cb.cmd(&["GET", "bar"]), Frame::Error(_)));
    // Move the keys; TTLs travel.
    let port = b.port.to_string();
    assert_eq!(
        ca.cmd(&[
            "MIGRATE",
            "127.0.0.1",
            &port,
            "",
            "0",
            "5000",
            "KEYS",
            "bar",
            "{bar}2"
        ]),
        Frame::ok()
    );
    assert_eq!(
        ca.cmd(&["MIGRATE", "127.0.0.1", &port, "bar", "0", "5000"]),
        Frame::simple("NOKEY")
    );
    assert_eq!(
        ca.cmd(&["CLUSTER", "COUNTKEYSINSLOT", "5061"]),
        Frame::Integer(0)
    );
    assert_eq!(ca.cmd(&["GET", "bar"]), ask);
    assert_eq!(cb.cmd(&["ASKING"]), Frame::ok());
    assert_eq!(cb.cmd(&["GET", "bar"]), bulk("1"));
    assert_eq!(cb.cmd(&["ASKING"]), Frame::ok());
    let Frame::Integer(ttl) = cb.cmd(&["PTTL", "{bar}2"]) else {
        panic!("PTTL")
    };
    assert!((90_000..=100_000).contains(&ttl), "ttl {ttl}");
    // Writes of missing keys in the migrating slot are redirected too.
    assert_eq!(ca.cmd(&["SET", "{bar}3", "x"]), ask);
    // RESTORE-ASKING is served by the importing node without a separate ASKING.
    assert_eq!(
        cb.cmd(&["RESTORE-ASKING", "{bar}3", "0", "junk"]),
        Frame::error("ERR DUMP payload version or checksum are wrong")
    );
    // Finish: target first, then source.
    assert_eq!(
        cb.cmd(&["CLUSTER", "SETSLOT", "5061", "node", &id(&b)]),
        Frame::ok()
    );
    assert_eq!(
        ca.cmd(&["CLUSTER", "SETSLOT", "5061", "node", &id(&b)]),
        Frame::ok()
    );
    assert_eq!(
        ca.cmd(&["GET", "bar"]),
        Frame::error(format!("MOVED 5061 127.0.0.1:{}", b.port))
    );
    assert_eq!(cb.cmd(&["GET", "bar"]), bulk("1"));
    // The target already had the greatest config epoch, so the import did not bump it
    // (Redis `clusterBumpConfigEpochWithoutConsensus`); both views agree.
    let epoch_line = |c: &mut RawClient| {
        text(&c.cmd(&["CLUSTER", "NODES"]))
            .lines()
            .find(|l| l.starts_with(&id(&b)))
            .map(|l| l.split(' ').nth(6).unwrap_or("").to_string())
    };
    assert!(wait_until(TIMEOUT, || epoch_line(&mut ca) == epoch_line(&mut cb)));
    assert_eq!(epoch_line(&mut cb).as_deref(), Some("2"));
}

#[test]
fn garbage_on_the_bus_port_closes_the_link() {
    let (a, b) = pair();
    for junk in [
        &b"GET / HTTP/1.1\r\nHost: x\r\n\r\n"[..],
        b"SHB1\xff\xff\xff\xff",
        b"SHB1\x00\x00\x00\x20\x63garbage-type-and-then-some-bytes",
    ] {
        let mut s = TcpStream::connect(("127.0.0.1", a.port + 10000)).expect("bus port");
        s.set_read_timeout(Some(Duration::from_secs(5)))
            .expect("timeout");
        s.write_all(junk).expect("write");
        let mut buf = [0u8; 16];
        assert!(
            matches!(s.read(&mut buf), Ok(0) | Err(_)),
            "link not closed"
        );
    }
    assert_eq!(a.raw().cmd(&["PING"]), Frame::simple("PONG"));
    let info = text(&a.raw().cmd(&["CLUSTER", "INFO"]));
    assert!(info.contains("cluster_state:ok"), "{info}");
    assert!(info.contains("cluster_known_nodes:2\r\n"), "{info}");
    assert_eq!(b.raw().cmd(&["PING"]), Frame::simple("PONG"));
}

#[test]
fn restart_keeps_id_epochs_and_slots() {
    let (mut a, b) = pair();
    let before_id = id(&a);
    let myself = |p: &Proc| {
        text(&p.raw().cmd(&["CLUSTER", "NODES"]))
            .lines()
            .find(|l| l.contains("myself"))
            .map(|l| {
                let f: Vec<&str> = l.split(' ').collect();
                format!("{} {} {}", f[0], f[6], f[8..].join(" "))
            })
            .expect("myself line")
    };
    let before = myself(&a);
    let conf = std::fs::read_to_string(a.dir.path().join("nodes.conf")).expect("nodes.conf");
    assert!(conf.contains("myself,master"), "{conf}");
    assert!(
        conf.ends_with("vars currentEpoch 2 lastVoteEpoch 0\n"),
        "{conf}"
    );
    a.restart();
    assert_eq!(id(&a), before_id);
    assert_eq!(myself(&a), before);
    let ok = |p: &Proc| text(&p.raw().cmd(&["CLUSTER", "INFO"])).contains("cluster_state:ok");
    assert!(
        wait_until(TIMEOUT, || ok(&a) && ok(&b)),
        "cluster not ok after restart"
    );
    assert!(a.log().contains("Node configuration loaded"));
}

#[test]
fn publish_reaches_subscribers_on_other_nodes() {
    let (a, b) = pair();
    let mut sub = b.raw();
    assert!(matches!(sub.cmd(&["SUBSCRIBE", "news"]), Frame::Array(_)));
    // The reply counts local receivers only (research §5.2).
    assert_eq!(
        a.raw().cmd(&["PUBLISH", "news", "hello"]),
        Frame::Integer(0)
    );
    assert_eq!(
        sub.read(),
        Frame::Array(vec![bulk("message"), bulk("news"), bulk("hello")])
    );
}

/// A second node started with a nodes.conf another node uses exits with Redis's message,
/// also after the first node rewrote the file (our saves rename a new file into place and
/// move the lock with it).
#[test]
fn nodes_conf_is_locked_like_redis() {
    let ours = cluster_node();
    let redis = Proc::redis(&["--cluster-enabled", "yes"]);
    for (first, exe) in [
        (&ours, shoal_tests::bin("shoal-node")),
        (
            &redis,
            shoal_tests::require_tool("redis-server", "redis-server"),
        ),
    ] {
        let mut c = first.raw();
        assert_eq!(c.cmd(&["CLUSTER", "ADDSLOTS", "1", "2"]), Frame::ok());
        assert_eq!(c.cmd(&["CLUSTER", "SAVECONFIG"]), Frame::ok());
        let conf = first.dir.path().join("nodes.conf");
        let dir = tempfile::tempdir().expect("temp dir");
        let port = shoal_tests::free_port().to_string();
        let log_path = dir.path().join("second.log");
        let log_file = std::fs::File::create(&log_path).expect("log file");
        let mut second = std::process::Command::new(&exe)
            .args([
                "--port",
                &port,
                "--bind",
                "127.0.0.1",
                "--cluster-enabled",
                "yes",
            ])
            .args(["--save", "", "--cluster-config-file"])
            .arg(&conf)
            .arg("--dir")
            .arg(dir.path())
            .stdout(log_file.try_clone().expect("log file"))
            .stderr(log_file)
            .spawn()
            .expect("start a second node");
        let mut status = None;
        let exited = wait_until(Duration::from_secs(10), || {
            status = second.try_wait().expect("wait").and_then(|s| s.code());
            status.is_some()
        });
        if !exited {
            let _ = second.kill();
            let _ = second.wait();
        }
        let log = std::fs::read_to_string(&log_path).unwrap_or_default();
        assert_eq!(status, Some(1), "{}: {log}", exe.display());
        let msg = format!(
            "Sorry, the cluster configuration file {} is already used by a different Redis Cluster node. Please make sure that different nodes use different cluster configuration files.",
            conf.display()
        );
        assert!(log.contains(&msg), "{}: {log}", exe.display());
        // The first node is unharmed.
        assert_eq!(c.cmd(&["PING"]), Frame::simple("PONG"));
    }
}

/// Sharded pub/sub while the cluster is down follows `cluster-allow-pubsubshard-when-down`
/// (default yes), key commands get CLUSTERDOWN: same replies as Redis.
#[test]
fn sharded_pubsub_when_down_matches_redis() {
    let mut d = Differ::new(&["--cluster-enabled", "yes"]);
    let Frame::Integer(slot) = d.check(&["CLUSTER", "KEYSLOT", "news"]) else {
        panic!("KEYSLOT reply");
    };
    // Only the channel's slot is served: not every slot is covered, so the cluster is down.
    d.check(&["CLUSTER", "ADDSLOTS", &slot.to_string()]);
    d.check(&["SPUBLISH", "news", "hi"]);
    d.check(&["GET", "news"]);
    d.check(&["SET", "news", "v"]);
    d.check(&["CONFIG", "SET", "cluster-allow-pubsubshard-when-down", "no"]);
    d.check(&["SPUBLISH", "news", "hi"]);
    d.check(&["SSUBSCRIBE", "news"]);
    d.check(&[
        "CONFIG",
        "SET",
        "cluster-allow-pubsubshard-when-down",
        "yes",
    ]);
    d.check(&["CONFIG", "GET", "cluster-allow-pubsubshard-when-down"]);
    d.check(&["SSUBSCRIBE", "news"]);
}

/// nodes.conf is rewritten only when the configuration changes (each rewrite is a rename,
/// which ext4 flushes to disk), and always on CLUSTER SAVECONFIG.
#[test]
fn nodes_conf_rewritten_only_on_change() {
    use std::os::unix::fs::MetadataExt;
    let (a, _b) = pair();
    let conf = a.dir.path().join("nodes.conf");
    let inode = || std::fs::metadata(&conf).expect("nodes.conf").ino();
    let mut c = a.raw();
    let me = id(&a);
    let before = inode();
    // Slot 0 is a's already: nothing changes, nothing is written.
    assert_eq!(
        c.cmd(&["CLUSTER", "SETSLOT", "0", "NODE", &me]),
        Frame::ok()
    );
    assert_eq!(c.cmd(&["PING"]), Frame::simple("PONG"));
    assert_eq!(inode(), before);
    assert_eq!(c.cmd(&["CLUSTER", "SAVECONFIG"]), Frame::ok());
    let saved = inode();
    assert_ne!(saved, before);
    // A real change is written before the reply.
    let b_id = text(&c.cmd(&["CLUSTER", "NODES"]))
        .lines()
        .find(|l| !l.contains("myself"))
        .and_then(|l| l.split(' ').next().map(str::to_string))
        .expect("b's line");
    assert_eq!(
        c.cmd(&["CLUSTER", "SETSLOT", "1", "MIGRATING", &b_id]),
        Frame::ok()
    );
    let text_now = std::fs::read_to_string(&conf).expect("nodes.conf");
    assert!(text_now.contains(&format!("[1->-{b_id}]")), "{text_now}");
    assert_ne!(inode(), saved);
}
