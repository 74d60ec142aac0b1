//! The router in front of a real six-node cluster, driven by a non-cluster client (the
//! `redis` crate's plain client, as redis-py's `redis.Redis(host, port)` would be).

use std::time::Duration;

use redis::Commands;
use shoal_tests::cluster::{RedisCluster, ServerKind, keys_on_every_primary, start_router};
use shoal_tests::{Frame, bulk};

fn setup() -> (RedisCluster, shoal_tests::Proc) {
    let cluster = RedisCluster::start(ServerKind::from_env());
    let router = start_router(&cluster.seeds(), &[]);
    (cluster, router)
}

#[test]
fn basic_commands_multi_key_and_fan_out() {
    let (cluster, router) = setup();
    let mut con = router.client().get_connection().expect("connect to router");
    // The seed document's example: set, get, delete, flushdb.
    let _: () = con.set("foo", "bar").unwrap();
    let v: String = con.get("foo").unwrap();
    assert_eq!(v, "bar");
    let n: i64 = con.del("foo").unwrap();
    assert_eq!(n, 1);
    let v: Option<String> = con.get("foo").unwrap();
    assert_eq!(v, None);

    // Multi-key across slots: split, sent in parallel, merged in the client's order.
    let keys = keys_on_every_primary(&cluster, 12);
    let pairs: Vec<(String, String)> = keys.iter().map(|k| (k.clone(), format!("v-{k}"))).collect();
    let _: () = con.mset(&pairs).unwrap();
    let mut ask: Vec<String> = keys.clone();
    ask.insert(3, "missing".into());
    let got: Vec<Option<String>> = con.mget(&ask).unwrap();
    for (k, v) in ask.iter().zip(&got) {
        if k == "missing" {
            assert_eq!(*v, None);
        } else {
            assert_eq!(v.as_deref(), Some(format!("v-{k}").as_str()));
        }
    }
    let n: i64 = redis::cmd("EXISTS").arg(&ask).query(&mut con).unwrap();
    assert_eq!(n, i64::try_from(keys.len()).unwrap());
    let n: i64 = redis::cmd("DBSIZE").query(&mut con).unwrap();
    assert_eq!(n, i64::try_from(keys.len()).unwrap());
    let mut all: Vec<String> = con.keys("*").unwrap();
    all.sort();
    let mut want = keys.clone();
    want.sort();
    assert_eq!(all, want);
    // Every key is really on its slot's owner: read each straight from the node.
    for k in &keys {
        let slot = shoal_common::key_hash_slot(k.as_bytes()).get();
        let owner = cluster.primary_of(slot);
        let mut direct = cluster.nodes[owner].raw();
        assert_eq!(direct.cmd(&["GET", k]), bulk(&format!("v-{k}")));
    }
    let n: i64 = con.del(&keys[..5]).unwrap();
    assert_eq!(n, 5);
    let _: () = redis::cmd("FLUSHDB").query(&mut con).unwrap();
    let n: i64 = redis::cmd("DBSIZE").query(&mut con).unwrap();
    assert_eq!(n, 0);
}

#[test]
fn pipelines_errors_and_local_commands() {
    let (_cluster, router) = setup();
    let mut con = router.client().get_connection().expect("connect to router");
    let mut pipe = redis::pipe();
    for i in 0..200 {
        pipe.set(format!("p{i}"), i).ignore();
        pipe.incr("counter", 1);
        pipe.get(format!("p{i}"));
    }
    let out: Vec<i64> = pipe.query(&mut con).unwrap();
    for i in 0..200 {
        assert_eq!(out[2 * i], i64::try_from(i + 1).unwrap());
        assert_eq!(out[2 * i + 1], i64::try_from(i).unwrap());
    }
    let mut raw = router.raw();
    assert_eq!(raw.cmd(&["PING"]), Frame::simple("PONG"));
    assert_eq!(raw.cmd(&["ECHO", "hi"]), bulk("hi"));
    assert_eq!(raw.cmd(&["SELECT", "0"]), Frame::ok());
    assert_eq!(
        raw.cmd(&["SELECT", "1"]),
        Frame::error("ERR SELECT is not allowed in cluster mode")
    );
    assert_eq!(
        raw.cmd(&["NOSUCHCMD", "a"]),
        Frame::error("ERR unknown command 'NOSUCHCMD', with args beginning with: 'a' ")
    );
    assert_eq!(
        raw.cmd(&["GET"]),
        Frame::error("ERR wrong number of arguments for 'get' command")
    );
    assert_eq!(raw.cmd(&["CLIENT", "SETNAME", "me"]), Frame::ok());
    assert_eq!(raw.cmd(&["CLIENT", "GETNAME"]), bulk("me"));
    assert!(matches!(raw.cmd(&["CLIENT", "ID"]), Frame::Integer(_)));
    assert_eq!(raw.cmd(&["SET", "s", "x"]), Frame::ok());
    assert_eq!(
        raw.cmd(&["INCR", "s"]),
        Frame::error("ERR value is not an integer or out of range")
    );
    let e = raw.cmd(&["SHUTDOWN"]);
    assert!(
        matches!(&e, Frame::Error(t) if t.starts_with(b"ERR router: 'shutdown'")),
        "{e:?}"
    );
    let e = raw.cmd(&["MONITOR"]);
    assert!(e.is_error(), "{e:?}");
    let info = raw.cmd(&["INFO"]);
    let text = String::from_utf8_lossy(info.as_bytes().expect("bulk")).into_owned();
    assert!(text.contains("cluster_enabled:0"), "{text}");
    assert!(text.contains("router_cluster_state:ok"), "{text}");
    assert!(text.contains("db0:keys="), "{text}");
    // HELLO 3 switches the client to RESP3; replies pass through in RESP3.
    let hello = raw.cmd(&["HELLO", "3"]);
    assert!(matches!(hello, Frame::Map(_)), "{hello:?}");
    assert_eq!(raw.cmd(&["GET", "nope"]), Frame::Null);
    // RESET: back to RESP2 and no name; the shared upstream connections are untouched.
    assert_eq!(raw.cmd(&["RESET"]), Frame::simple("RESET"));
    assert_eq!(raw.cmd(&["CLIENT", "GETNAME"]), Frame::Null);
    let mut resp3 = router.raw();
    assert!(matches!(resp3.cmd(&["HELLO", "3"]), Frame::Map(_)));
    assert_eq!(resp3.cmd(&["GET", "nope"]), Frame::Null);
    // A malformed request closes only that connection.
    let mut bad = router.raw();
    bad.send_raw(b"*1\r\n$600000000\r\n");
    assert_eq!(
        bad.read(),
        Frame::error("ERR Protocol error: invalid bulk length")
    );
    assert!(bad.is_closed(Duration::from_secs(2)));
    assert_eq!(raw.cmd(&["GET", "s"]), bulk("x"));
}

#[test]
fn scan_walks_every_primary() {
    let (cluster, router) = setup();
    let mut con = router.client().get_connection().expect("connect to router");
    let keys = keys_on_every_primary(&cluster, 300);
    for k in &keys {
        let _: () = con.set(k, 1).unwrap();
    }
    let mut seen = std::collections::HashSet::new();
    let mut cursor: u64 = 0;
    let mut rounds = 0;
    loop {
        let (next, batch): (u64, Vec<String>) = redis::cmd("SCAN")
            .arg(cursor)
            .arg("COUNT")
            .arg(50)
            .query(&mut con)
            .unwrap();
        seen.extend(batch);
        rounds += 1;
        if next == 0 {
            break;
        }
        cursor = next;
        assert!(rounds < 1000, "SCAN does not terminate");
    }
    assert_eq!(seen.len(), keys.len());
    let (_, only): (u64, Vec<String>) = redis::cmd("SCAN")
        .arg(0)
        .arg("MATCH")
        .arg("nomatch*")
        .query(&mut con)
        .unwrap();
    assert!(only.is_empty());
}

#[test]
fn transactions_pin_to_one_slot() {
    let (_cluster, router) = setup();
    let mut c = router.raw();
    assert_eq!(c.cmd(&["MULTI"]), Frame::ok());
    assert_eq!(c.cmd(&["SET", "{u1}a", "1"]), Frame::simple("QUEUED"));
    assert_eq!(c.cmd(&["INCR", "{u1}b"]), Frame::simple("QUEUED"));
    assert_eq!(c.cmd(&["GET", "{u1}a"]), Frame::simple("QUEUED"));
    assert_eq!(
        c.cmd(&["EXEC"]),
        Frame::Array(vec![Frame::ok(), Frame::Integer(1), bulk("1")])
    );
    // A later command naming another slot: CROSSSLOT, and EXEC aborts.
    assert_eq!(c.cmd(&["MULTI"]), Frame::ok());
    assert_eq!(c.cmd(&["SET", "{u1}a", "2"]), Frame::simple("QUEUED"));
    assert_eq!(
        c.cmd(&["SET", "{u2}a", "2"]),
        Frame::error("CROSSSLOT Keys in request don't hash to the same slot")
    );
    assert_eq!(
        c.cmd(&["EXEC"]),
        Frame::error("EXECABORT Transaction discarded because of previous errors.")
    );
    assert_eq!(c.cmd(&["GET", "{u1}a"]), bulk("1"));
    assert_eq!(c.cmd(&["EXEC"]), Frame::error("ERR EXEC without MULTI"));
    assert_eq!(
        c.cmd(&["DISCARD"]),
        Frame::error("ERR DISCARD without MULTI")
    );
    // WATCH: a concurrent write by another client makes EXEC return a null array.
    let mut other = router.raw();
    assert_eq!(c.cmd(&["WATCH", "{u1}a"]), Frame::ok());
    assert_eq!(other.cmd(&["SET", "{u1}a", "changed"]), Frame::ok());
    assert_eq!(c.cmd(&["MULTI"]), Frame::ok());
    assert_eq!(c.cmd(&["SET", "{u1}a", "mine"]), Frame::simple("QUEUED"));
    assert_eq!(c.cmd(&["EXEC"]), Frame::NullArray);
    assert_eq!(c.cmd(&["GET", "{u1}a"]), bulk("changed"));
    // WATCH without interference: EXEC runs.
    assert_eq!(c.cmd(&["WATCH", "{u1}a"]), Frame::ok());
    assert_eq!(c.cmd(&["MULTI"]), Frame::ok());
    assert_eq!(c.cmd(&["SET", "{u1}a", "mine"]), Frame::simple("QUEUED"));
    assert_eq!(c.cmd(&["EXEC"]), Frame::Array(vec![Frame::ok()]));
    assert_eq!(c.cmd(&["GET", "{u1}a"]), bulk("mine"));
    // MSETNX across slots is refused; within one slot it works.
    let e = c.cmd(&["MSETNX", "x1", "1", "x2", "2"]);
    assert!(
        matches!(&e, Frame::Error(t) if t.starts_with(b"CROSSSLOT")),
        "{e:?}"
    );
    assert_eq!(
        c.cmd(&["MSETNX", "{x}1", "1", "{x}2", "2"]),
        Frame::Integer(1)
    );
    // The redis crate's atomic pipeline is MULTI/EXEC too.
    let mut con = router.client().get_connection().unwrap();
    let (a, b): (i64, i64) = redis::pipe()
        .atomic()
        .incr("{t}n", 5)
        .incr("{t}n", 1)
        .query(&mut con)
        .unwrap();
    assert_eq!((a, b), (5, 6));
}

fn read_push(c: &mut shoal_tests::RawClient) -> Vec<Frame> {
    match c.read() {
        Frame::Array(v) | Frame::Push(v) => v,
        other => panic!("not a message: {other:?}"),
    }
}

#[test]
fn pub_sub_resp2_and_resp3() {
    let (_cluster, router) = setup();
    let mut sub = router.raw();
    sub.send(&["SUBSCRIBE", "news", "sport"]);
    assert_eq!(
        read_push(&mut sub),
        vec![bulk("subscribe"), bulk("news"), Frame::Integer(1)]
    );
    assert_eq!(
        read_push(&mut sub),
        vec![bulk("subscribe"), bulk("sport"), Frame::Integer(2)]
    );
    assert_eq!(
        sub.cmd(&["GET", "x"]),
        Frame::error(
            "ERR Can't execute 'get': only (P|S)SUBSCRIBE / (P|S)UNSUBSCRIBE / PING / QUIT / \
             RESET are allowed in this context"
        )
    );
    assert_eq!(
        sub.cmd(&["PING"]),
        Frame::Array(vec![bulk("pong"), bulk("")])
    );
    sub.send(&["PSUBSCRIBE", "n*"]);
    assert_eq!(
        read_push(&mut sub),
        vec![bulk("psubscribe"), bulk("n*"), Frame::Integer(3)]
    );
    // PUBLISH through another router connection reaches the subscriber whatever node it
    // lands on (cluster PUBLISH is broadcast over the bus).
    let mut publisher = router.raw();
    let mut got = Vec::new();
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    while got.len() < 2 && std::time::Instant::now() < deadline {
        publisher.cmd(&["PUBLISH", "news", "hello"]);
        got.push(read_push(&mut sub));
        got.push(read_push(&mut sub));
    }
    assert!(
        got.contains(&vec![bulk("message"), bulk("news"), bulk("hello")]),
        "{got:?}"
    );
    assert!(
        got.contains(&vec![
            bulk("pmessage"),
            bulk("n*"),
            bulk("news"),
            bulk("hello")
        ]),
        "{got:?}"
    );
    sub.send(&["UNSUBSCRIBE"]);
    let mut left = [read_push(&mut sub), read_push(&mut sub)];
    left.sort_by_key(|m| format!("{m:?}"));
    assert_eq!(left[0][0], bulk("unsubscribe"));
    sub.send(&["PUNSUBSCRIBE"]);
    assert_eq!(
        read_push(&mut sub),
        vec![bulk("punsubscribe"), bulk("n*"), Frame::Integer(0)]
    );
    // Out of subscribed mode: ordinary commands again.
    assert_eq!(sub.cmd(&["GET", "nothing"]), Frame::Null);

    // RESP3: pushes, and ordinary commands while subscribed; sharded pub/sub by slot.
    let mut s3 = router.raw();
    assert!(matches!(s3.cmd(&["HELLO", "3"]), Frame::Map(_)));
    s3.send(&["SSUBSCRIBE", "{shard}ch"]);
    assert_eq!(
        read_push(&mut s3),
        vec![bulk("ssubscribe"), bulk("{shard}ch"), Frame::Integer(1)]
    );
    assert_eq!(s3.cmd(&["SET", "k3", "v"]), Frame::ok());
    assert_eq!(
        publisher.cmd(&["SPUBLISH", "{shard}ch", "hi"]),
        Frame::Integer(1)
    );
    let msg = s3.read();
    assert_eq!(
        msg,
        Frame::Push(vec![bulk("smessage"), bulk("{shard}ch"), bulk("hi")])
    );
    assert_eq!(s3.cmd(&["GET", "k3"]), bulk("v"));
}

#[test]
fn django_cache_through_the_router() {
    // redis-py pipelines are MULTI/EXEC by default, and Django's set_many puts a cross-slot
    // MSET in one: the router must run such transactions best-effort (not atomically).
    let cluster = RedisCluster::start(ServerKind::from_env());
    let router = start_router(&cluster.seeds(), &["--multi-cross-slot", "best-effort"]);
    let mut c = router.raw();
    assert_eq!(c.cmd(&["MULTI"]), Frame::ok());
    assert_eq!(c.cmd(&["SET", "{u1}a", "1"]), Frame::simple("QUEUED"));
    assert_eq!(
        c.cmd(&["MSET", "{u2}a", "2", "{u3}a", "3"]),
        Frame::simple("QUEUED")
    );
    assert_eq!(c.cmd(&["INCR", "{u2}a"]), Frame::simple("QUEUED"));
    assert_eq!(c.cmd(&["DBSIZE"]), Frame::simple("QUEUED"));
    assert_eq!(
        c.cmd(&["EXEC"]),
        Frame::Array(vec![
            Frame::ok(),
            Frame::ok(),
            Frame::Integer(3),
            Frame::Integer(3)
        ])
    );
    django(router.port, &[]);
    // With the defaults, everything but a cross-slot set_many works (set_many's transaction
    // is refused, atomically: nothing written).
    let plain = start_router(&cluster.seeds(), &[]);
    django(plain.port, &["defaults"]);
}

fn django(port: u16, extra: &[&str]) {
    let script = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("python/django_cache.py");
    let python = shoal_tests::require_tool("python3", "python3");
    let out = shoal_tests::output_within(
        std::process::Command::new(python)
            .arg(&script)
            .arg(port.to_string())
            .args(extra),
        std::time::Duration::from_secs(300),
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success() && stdout.contains("ok"),
        "django cache test {extra:?} failed (scripts/test installs django and redis with \
         pip):\n{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn blpop_blocks_only_its_own_client() {
    let (cluster, router) = setup();
    let mut blocked = router.raw();
    let mut other = router.raw();
    // Keys on the same slot as the list, so they share the node and its shared connection.
    // BLPOP without a timeout, blocked on its node before the others start: if the others
    // waited for it, they would never be answered (the push that frees it comes after them).
    blocked.send(&["BLPOP", "{q}list", "0"]);
    let owner = cluster.primary_of(shoal_common::key_hash_slot(b"{q}list").get());
    shoal_tests::wait_blocked(&mut cluster.nodes[owner].raw(), 1);
    for i in 0..50 {
        assert_eq!(other.cmd(&["SET", &format!("{{q}}k{i}"), "v"]), Frame::ok());
        assert_eq!(other.cmd(&["GET", &format!("k{i}")]), Frame::Null);
    }
    assert_eq!(other.cmd(&["RPUSH", "{q}list", "job"]), Frame::Integer(1));
    assert_eq!(
        blocked.read(),
        Frame::Array(vec![bulk("{q}list"), bulk("job")])
    );
    // A timeout answers the null array; the client's next command runs after it.
    blocked.send(&["BLPOP", "{q}empty", "0.2"]);
    blocked.send(&["PING"]);
    assert_eq!(blocked.read(), Frame::NullArray);
    assert_eq!(blocked.read(), Frame::simple("PONG"));
    // Commands pipelined behind a blocked one wait for it and run after it.
    blocked.send(&["BLPOP", "{q}list", "0"]);
    blocked.send(&["INCR", "{q}after"]);
    shoal_tests::wait_blocked(&mut cluster.nodes[owner].raw(), 1);
    assert_eq!(other.cmd(&["GET", "{q}after"]), Frame::Null);
    assert_eq!(other.cmd(&["RPUSH", "{q}list", "two"]), Frame::Integer(1));
    assert_eq!(
        blocked.read(),
        Frame::Array(vec![bulk("{q}list"), bulk("two")])
    );
    assert_eq!(blocked.read(), Frame::Integer(1));

    // A client that leaves while blocked is forgotten by the node at once, as a client of
    // the node would be: what is pushed later stays in the list instead of being popped for
    // nobody.
    let mut leaving = router.raw();
    leaving.send(&["BLPOP", "{q}jobs", "0"]);
    let mut node = cluster.nodes[owner].raw();
    shoal_tests::wait_blocked(&mut node, 1);
    drop(leaving);
    assert!(
        shoal_tests::wait_until(std::time::Duration::from_secs(30), || {
            shoal_tests::info_field(&mut node, "clients", "blocked_clients").as_deref() == Some("0")
        }),
        "the node still has the departed client blocked"
    );
    assert_eq!(other.cmd(&["RPUSH", "{q}jobs", "job"]), Frame::Integer(1));
    assert_eq!(other.cmd(&["LLEN", "{q}jobs"]), Frame::Integer(1));
}

/// A subscriber that stops reading is disconnected at its `client-output-buffer-limit
/// pubsub`, as a node would: the router does not buffer what it cannot deliver (its memory
/// stays flat while 48 MB are published), the other clients carry on, and the node forgets
/// the subscription.
#[test]
fn a_subscriber_that_stops_reading_is_cut_off_at_its_output_limit() {
    use std::io::{Read, Write};
    let cluster = RedisCluster::start(ServerKind::from_env());
    let router = start_router(
        &cluster.seeds(),
        &["--client-output-buffer-limit", "pubsub 1mb 512kb 60"],
    );
    let mut sub = std::net::TcpStream::connect(("127.0.0.1", router.port)).expect("connect");
    sub.write_all(b"*2\r\n$9\r\nSUBSCRIBE\r\n$4\r\nnews\r\n")
        .expect("subscribe");
    let confirm = b"*3\r\n$9\r\nsubscribe\r\n$4\r\nnews\r\n:1\r\n";
    let mut got = vec![0u8; confirm.len()];
    sub.read_exact(&mut got).expect("confirmation");
    assert_eq!(&got[..], &confirm[..]);
    // The subscriber reads nothing more from here on.
    let mut publisher = router.raw();
    let before = router.rss_bytes();
    let msg = "m".repeat(16 * 1024);
    let mut wire = bytes::BytesMut::new();
    shoal_common::resp::encode::encode_request(&["PUBLISH", "news", msg.as_str()], &mut wire);
    let rounds = 30;
    let per_round = 100; // 30 x 100 x 16 KB = 48 MB
    let mut receivers = Vec::new();
    for _ in 0..rounds {
        for _ in 0..per_round {
            publisher.send_raw(&wire);
        }
        for _ in 0..per_round {
            match publisher.read() {
                Frame::Integer(n) => receivers.push(n),
                other => panic!("PUBLISH reply {other:?}"),
            }
        }
    }
    let grown = router.rss_bytes().saturating_sub(before);
    assert!(
        grown < 24 << 20,
        "the router grew by {grown} bytes holding messages for a client that does not read"
    );
    assert_eq!(
        receivers.first(),
        Some(&1),
        "the subscriber was reached at first"
    );
    assert_eq!(
        receivers.last(),
        Some(&0),
        "the node still counts a cut-off subscriber"
    );
    // The subscriber finds its connection closed after what had been sent before the cut.
    sub.set_read_timeout(Some(Duration::from_secs(10)))
        .expect("timeout");
    let mut total = 0usize;
    let mut buf = vec![0u8; 1 << 16];
    loop {
        match sub.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => total += n,
            Err(e) if e.kind() == std::io::ErrorKind::ConnectionReset => break,
            Err(e) => {
                panic!("the router never closed the slow subscriber ({total} bytes read): {e}")
            }
        }
    }
    assert!(
        total < 24 << 20,
        "{total} bytes reached the cut-off subscriber"
    );
    // Everyone else is served, and a new subscriber gets messages.
    assert_eq!(publisher.cmd(&["PING"]), Frame::simple("PONG"));
    let mut fresh = router.raw();
    fresh.cmd(&["SUBSCRIBE", "news"]);
    assert_eq!(publisher.cmd(&["PUBLISH", "news", "hi"]), Frame::Integer(1));
    assert_eq!(
        fresh.read(),
        Frame::Array(vec![bulk("message"), bulk("news"), bulk("hi")])
    );
}

/// Keyspace notifications through the router cover the whole keyspace, as on one server: a
/// node publishes only its own keys' events, so the router hears every primary for the
/// subscriptions that can receive them; each event arrives once, ordinary messages once,
/// and unsubscribing stops them all.
#[test]
fn keyspace_notifications_come_from_every_primary_once() {
    let (cluster, router) = setup();
    for node in &cluster.nodes {
        node.raw()
            .cmd(&["CONFIG", "SET", "notify-keyspace-events", "KEA"]);
    }
    let keys = keys_on_every_primary(&cluster, 12);
    let mut sub = router.raw();
    sub.send(&["PSUBSCRIBE", "__keyspace@0__:key:*"]);
    assert_eq!(read_push(&mut sub)[0], bulk("psubscribe"));
    sub.send(&["SUBSCRIBE", "__keyevent@0__:set", "news"]);
    assert_eq!(read_push(&mut sub)[0], bulk("subscribe"));
    assert_eq!(read_push(&mut sub)[0], bulk("subscribe"));
    let mut c = router.raw();
    for k in &keys {
        assert_eq!(c.cmd(&["SET", k, "1"]), Frame::ok());
    }
    assert_eq!(c.cmd(&["PUBLISH", "news", "hello"]), Frame::Integer(1));
    // Two events per key (keyspace, keyevent) and the message: no more, no fewer.
    let mut keyspace = std::collections::BTreeMap::<String, usize>::new();
    let mut keyevent = std::collections::BTreeMap::<String, usize>::new();
    let mut news = 0;
    for _ in 0..keys.len() * 2 + 1 {
        let m = read_push(&mut sub);
        let text = |f: &Frame| String::from_utf8_lossy(f.as_bytes().expect("bulk")).into_owned();
        match text(&m[0]).as_str() {
            "pmessage" => *keyspace.entry(text(&m[2])).or_default() += 1,
            "message" if text(&m[1]) == "news" => news += 1,
            "message" => *keyevent.entry(text(&m[2])).or_default() += 1,
            other => panic!("unexpected {other}: {m:?}"),
        }
    }
    assert_eq!(news, 1);
    assert_eq!(keyevent.len(), keys.len(), "{keyevent:?}");
    assert!(keyevent.values().all(|&n| n == 1), "{keyevent:?}");
    assert_eq!(keyspace.len(), keys.len(), "{keyspace:?}");
    assert!(keyspace.values().all(|&n| n == 1), "{keyspace:?}");
    // Nothing else was on its way, and after unsubscribing nothing more comes.
    sub.send(&["UNSUBSCRIBE"]);
    read_push(&mut sub);
    read_push(&mut sub);
    sub.send(&["PUNSUBSCRIBE"]);
    assert_eq!(
        read_push(&mut sub),
        vec![
            bulk("punsubscribe"),
            bulk("__keyspace@0__:key:*"),
            Frame::Integer(0)
        ]
    );
    for k in &keys {
        c.cmd(&["SET", k, "2"]);
    }
    assert_eq!(sub.cmd(&["PING"]), Frame::simple("PONG"));
}
