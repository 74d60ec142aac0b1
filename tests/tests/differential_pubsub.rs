//! Pub/sub and keyspace notifications against real Redis 7.0: several clients per server,
//! RESP2 and RESP3, every reply and every pushed message compared.

use std::time::Duration;

use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};
use shoal_tests::{DifferN, Frame, Proc, bulk};

/// Sorts the elements of an array reply (Redis leaves PUBSUB CHANNELS unordered).
fn sorted(f: Frame) -> Frame {
    match f {
        Frame::Array(mut v) => {
            v.sort_by_key(|x| format!("{x:?}"));
            Frame::Array(v)
        }
        other => other,
    }
}

#[test]
fn publish_subscribe_across_resp2_and_resp3_clients() {
    // 0: RESP2 subscriber, 1: RESP3 subscriber, 2: pattern subscriber, 3: publisher.
    let mut t = DifferN::new(&[], 4);
    let (ours, theirs) = t.both(1, &["HELLO", "3"]);
    assert_eq!(ours.is_error(), theirs.is_error());
    t.check(0, &["SUBSCRIBE", "news", "sport"]);
    t.drain(0);
    t.check(1, &["SUBSCRIBE", "news"]);
    t.check(1, &["SSUBSCRIBE", "shard1", "shard2"]);
    t.drain(1);
    t.check(2, &["PSUBSCRIBE", "n*"]);
    t.check(2, &["PSUBSCRIBE", "n*"]);
    assert_eq!(t.check(3, &["PUBLISH", "news", "hello"]), Frame::Integer(3));
    t.check(3, &["PUBLISH", "sport", "goal"]);
    t.check(3, &["SPUBLISH", "shard1", "m1"]);
    t.check(3, &["SPUBLISH", "news", "not-shard"]);
    t.check(3, &["PUBLISH", "nothing", "x"]);
    t.check(3, &["PUBLISH", "other", "y"]);
    t.check(3, &["PUBLISH", "bin\r\n\0", "\0\u{1}"]);
    assert_eq!(t.drain(0).len(), 2);
    assert_eq!(t.drain(1).len(), 2);
    assert_eq!(t.drain(2).len(), 2);
    // Introspection.
    let (ours, theirs) = t.both(3, &["PUBSUB", "CHANNELS"]);
    assert_eq!(sorted(ours), sorted(theirs));
    let (ours, theirs) = t.both(3, &["PUBSUB", "CHANNELS", "s*"]);
    assert_eq!(sorted(ours), sorted(theirs));
    let (ours, theirs) = t.both(3, &["PUBSUB", "SHARDCHANNELS"]);
    assert_eq!(sorted(ours), sorted(theirs));
    for cmd in [
        &["PUBSUB", "NUMSUB", "news", "sport", "none"][..],
        &["PUBSUB", "NUMSUB"],
        &["PUBSUB", "NUMPAT"],
        &["PUBSUB", "SHARDNUMSUB", "shard1", "news"],
        &["PUBSUB", "SHARDCHANNELS", "x*"],
        &["PUBSUB", "HELP"],
        &["PUBSUB", "HELP", "x"],
        &["PUBSUB", "CHANNELS", "a", "b"],
        &["PUBSUB", "SHARDCHANNELS", "a", "b"],
        &["PUBSUB", "NUMPAT", "x"],
        &["PUBSUB", "FOO"],
        &["PUBSUB"],
        &["PUBLISH", "a"],
        &["SUBSCRIBE"],
        &["SPUBLISH", "a", "b", "c"],
    ] {
        t.check(3, cmd);
    }
    // A RESP3 subscriber may run any command and receives its own messages before the reply.
    t.check(1, &["SET", "k", "v"]);
    t.check(1, &["PUBLISH", "news", "to-myself"]);
    t.drain(1);
    t.drain(0);
    t.drain(2);
    // Unsubscribing one by one, then everything; counts include patterns, not shards.
    t.check(0, &["UNSUBSCRIBE", "news", "nosuch"]);
    t.drain(0);
    t.check(0, &["PSUBSCRIBE", "s*"]);
    t.check(0, &["PUNSUBSCRIBE"]);
    t.check(0, &["UNSUBSCRIBE"]);
    t.check(0, &["UNSUBSCRIBE"]);
    t.check(0, &["PUNSUBSCRIBE"]);
    t.check(0, &["SUNSUBSCRIBE"]);
    t.check(0, &["GET", "k"]);
    t.check(1, &["SUNSUBSCRIBE", "shard2"]);
    t.check(1, &["SUNSUBSCRIBE"]);
    t.drain(1);
    t.check(2, &["PUNSUBSCRIBE", "n*", "m*"]);
    t.drain(2);
    t.check(3, &["PUBSUB", "NUMPAT"]);
    t.check(3, &["PUBSUB", "NUMSUB", "news", "sport"]);
}

#[test]
fn resp2_subscribed_mode_allows_only_subscription_commands() {
    let mut t = DifferN::new(&[], 2);
    t.check(0, &["SSUBSCRIBE", "s"]);
    for cmd in [
        &["GET", "k"][..],
        &["SET", "k", "v"],
        &["MULTI"],
        &["EXEC"],
        &["CONFIG", "GET", "port"],
        &["PUBLISH", "a", "b"],
        &["PUBSUB", "NUMPAT"],
        &["HELLO"],
        &["NOSUCH"],
        &["GET"],
        &["PING"],
        &["PING", "hi"],
        &["PING", "a", "b"],
        &["SUBSCRIBE", "c"],
        &["PSUBSCRIBE", "p"],
        &["UNSUBSCRIBE", "c"],
        &["PUNSUBSCRIBE", "p"],
        &["SUNSUBSCRIBE", "s"],
        &["PING"],
        &["GET", "k"],
    ] {
        t.check(0, cmd);
    }
    // QUIT is allowed and closes.
    t.check(1, &["SUBSCRIBE", "c"]);
    t.check(1, &["QUIT"]);
}

#[test]
fn unsubscribe_inside_multi_and_subscribe_in_exec() {
    let mut t = DifferN::new(&[], 2);
    t.check(0, &["MULTI"]);
    t.check(0, &["SUBSCRIBE", "a"]);
    t.check(0, &["SSUBSCRIBE", "b"]);
    t.check(0, &["PUBLISH", "a", "x"]);
    t.check(0, &["EXEC"]);
    t.drain(0);
    t.check(1, &["PUBLISH", "a", "y"]);
    t.drain(0);
}

#[test]
fn notify_keyspace_events_config_reads_back_as_redis() {
    let mut t = DifferN::new(&[], 1);
    for v in [
        "KEA",
        "An",
        "Anm",
        "Ex",
        "Kg$lshzxetd",
        "mK",
        "z$g",
        "KEQ",
        "n",
        "",
        "A",
        "KA",
    ] {
        t.check(0, &["CONFIG", "SET", "notify-keyspace-events", v]);
        t.check(0, &["CONFIG", "GET", "notify-keyspace-events"]);
    }
    for v in [
        "pubsub 1mb 512kb 5",
        "pubsub 1mb 512kb",
        "nope 1 1 1",
        "pubsub x 1 1",
        "replica 1 1 1",
        "normal 1gb 2gb 3 slave 0 0 0",
    ] {
        t.check(0, &["CONFIG", "SET", "client-output-buffer-limit", v]);
        t.check(0, &["CONFIG", "GET", "client-output-buffer-limit"]);
    }
}

#[test]
fn keyspace_and_keyevent_messages_for_each_class_setting() {
    let mut t = DifferN::new(&[], 2);
    t.check(0, &["PSUBSCRIBE", "__key*__:*"]);
    t.check(0, &["SUBSCRIBE", "__keyevent@1__:set"]);
    t.drain(0);
    for flags in ["KEA", "K$", "Eg", "E", "AK", "gE$x", "Kn", "En$", "KEm", ""] {
        t.check(1, &["CONFIG", "SET", "notify-keyspace-events", flags]);
        for cmd in [
            &["SET", "k", "v"][..],
            &["APPEND", "k", "w"],
            &["SET", "n", "1"],
            &["INCR", "n"],
            &["INCRBY", "n", "5"],
            &["EXPIRE", "n", "100"],
            &["PERSIST", "n"],
            &["MSET", "a", "1", "b", "2"],
            &["DEL", "a", "b", "nosuch"],
            &["SET", "k", "x", "EX", "100"],
            &["SELECT", "1"],
            &["SET", "k1", "v"],
            &["SETNX", "k1", "v"],
            &["SETEX", "k2", "10", "v"],
            &["SELECT", "0"],
            // Read misses (`m`): GET, MGET, STRLEN, ZSCORE do; INCR and APPEND (writes) don't.
            &["GET", "missing"],
            &["MGET", "missing", "k", "missing2"],
            &["STRLEN", "missing"],
            &["ZSCORE", "missing", "m"],
            &["EXISTS", "missing", "k1"],
            &["TYPE", "missing"],
            &["TTL", "missing"],
            &["PTTL", "missing"],
            &["TOUCH", "missing"],
            &["INCR", "missing-counter"],
            &["APPEND", "missing-string", "x"],
            &["SET", "missing3", "v", "GET"],
            &["FLUSHALL"],
        ] {
            t.check(1, cmd);
        }
        let msgs = t.drain(0);
        if flags.is_empty() || flags == "E" {
            assert!(msgs.is_empty(), "{flags}: {msgs:?}");
        } else {
            assert!(!msgs.is_empty(), "{flags}: no messages");
        }
    }
}

#[test]
fn expired_events_from_lazy_and_active_expiry() {
    let mut t = DifferN::new(&[], 2);
    t.check(1, &["CONFIG", "SET", "notify-keyspace-events", "KEA"]);
    t.check(0, &["PSUBSCRIBE", "__key*__:*"]);
    t.drain(0);
    t.check(1, &["SET", "lazy", "v", "PX", "30"]);
    t.check(1, &["SET", "active", "v", "PX", "30"]);
    std::thread::sleep(Duration::from_millis(80));
    // Lazy: the access finds it expired (unless the active cycle got there first: the
    // event stream is the same either way).
    t.check(1, &["GET", "lazy"]);
    t.check(1, &["SET", "lazy", "again"]);
    let (ours, theirs) = t.clients(0);
    let want = |c: &mut shoal_tests::RawClient| {
        let mut got = Vec::new();
        let deadline = std::time::Instant::now() + Duration::from_secs(30);
        while std::time::Instant::now() < deadline {
            got.extend(shoal_tests::drain_until_pong(c));
            let expired = got
                .iter()
                .filter(|f| format!("{f:?}").contains("expired"))
                .count();
            if expired == 4 {
                break;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        got
    };
    let mut a = want(ours);
    let mut b = want(theirs);
    // The active cycle's timing differs between servers; compare the messages as sets.
    a.sort_by_key(|x| format!("{x:?}"));
    b.sort_by_key(|x| format!("{x:?}"));
    assert_eq!(a, b);
    let text = format!("{a:?}");
    assert!(text.contains("__keyevent@0__:expired"), "{text}");
    assert!(text.contains("active"), "{text}");
}

#[derive(Debug, Clone)]
enum Op {
    Set(u8, Option<u16>),
    Incr(u8),
    Append(u8),
    Del(Vec<u8>),
    Expire(u8, i16),
    Persist(u8),
    Mset(Vec<u8>),
    Setnx(u8),
    Get(u8),
    Select(u8),
    Rename(u8, u8),
    Renamenx(u8, u8),
    Copy(u8, u8),
    Move(u8),
    Pexpireat(u8, bool),
    Swapdb,
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        (any::<u8>(), proptest::option::of(1u16..10_000)).prop_map(|(k, ex)| Op::Set(k, ex)),
        any::<u8>().prop_map(Op::Incr),
        any::<u8>().prop_map(Op::Append),
        proptest::collection::vec(any::<u8>(), 1..4).prop_map(Op::Del),
        (any::<u8>(), -5i16..1000).prop_map(|(k, s)| Op::Expire(k, s)),
        any::<u8>().prop_map(Op::Persist),
        proptest::collection::vec(any::<u8>(), 1..3).prop_map(Op::Mset),
        any::<u8>().prop_map(Op::Setnx),
        any::<u8>().prop_map(Op::Get),
        (0u8..3).prop_map(Op::Select),
        (any::<u8>(), any::<u8>()).prop_map(|(a, b)| Op::Rename(a, b)),
        (any::<u8>(), any::<u8>()).prop_map(|(a, b)| Op::Renamenx(a, b)),
        (any::<u8>(), any::<u8>()).prop_map(|(a, b)| Op::Copy(a, b)),
        any::<u8>().prop_map(Op::Move),
        (any::<u8>(), any::<bool>()).prop_map(|(k, past)| Op::Pexpireat(k, past)),
        Just(Op::Swapdb),
    ]
}

fn args(op: &Op) -> Vec<String> {
    let key = |k: &u8| format!("k{}", k % 5);
    match op {
        Op::Set(k, None) => vec!["SET".into(), key(k), "1".into()],
        Op::Set(k, Some(ex)) => vec![
            "SET".into(),
            key(k),
            "1".into(),
            "EX".into(),
            ex.to_string(),
        ],
        Op::Incr(k) => vec!["INCR".into(), key(k)],
        Op::Append(k) => vec!["APPEND".into(), key(k), "x".into()],
        Op::Del(ks) => std::iter::once("DEL".to_string())
            .chain(ks.iter().map(key))
            .collect(),
        Op::Expire(k, s) => vec!["EXPIRE".into(), key(k), s.to_string()],
        Op::Persist(k) => vec!["PERSIST".into(), key(k)],
        Op::Mset(ks) => std::iter::once("MSET".to_string())
            .chain(ks.iter().flat_map(|k| [key(k), "2".into()]))
            .collect(),
        Op::Setnx(k) => vec!["SETNX".into(), key(k), "3".into()],
        Op::Get(k) => vec!["GET".into(), key(k)],
        Op::Select(db) => vec!["SELECT".into(), db.to_string()],
        Op::Rename(a, b) => vec!["RENAME".into(), key(a), key(b)],
        Op::Renamenx(a, b) => vec!["RENAMENX".into(), key(a), key(b)],
        Op::Copy(a, b) => vec!["COPY".into(), key(a), key(b), "REPLACE".into()],
        Op::Move(k) => vec!["MOVE".into(), key(k), "2".into()],
        // In the past: the key is deleted at once (a `del` event); far future: `expire`.
        Op::Pexpireat(k, past) => {
            let at = if *past { "1" } else { "99999999999999" };
            vec!["PEXPIREAT".into(), key(k), at.into()]
        }
        Op::Swapdb => vec!["SWAPDB".into(), "0".into(), "1".into()],
    }
}

#[test]
fn notification_streams_for_random_command_mixes_match_redis() {
    // Servers are started once; each case starts from FLUSHALL.
    let mut t = DifferN::new(&[], 3);
    let (ours, theirs) = t.both(2, &["HELLO", "3"]);
    assert_eq!(ours.is_error(), theirs.is_error());
    // Every class these commands emit, and `n` (not part of `A`) for new keys.
    t.check(1, &["CONFIG", "SET", "notify-keyspace-events", "KEg$xn"]);
    t.check(0, &["PSUBSCRIBE", "__key*__:*"]);
    t.check(
        2,
        &["SUBSCRIBE", "__keyevent@0__:del", "__keyevent@0__:new"],
    );
    t.drain(0);
    t.drain(2);
    let mut runner = TestRunner::new(Config {
        cases: 24,
        ..Config::default()
    });
    let t = std::cell::RefCell::new(t);
    runner
        .run(&proptest::collection::vec(op(), 1..40), |ops| {
            let mut t = t.borrow_mut();
            t.check(1, &["SELECT", "0"]);
            t.check(1, &["FLUSHALL"]);
            for op in &ops {
                let a = args(op);
                let (ours, theirs) = t.both(1, &a);
                prop_assert_eq!(ours, theirs, "after {:?}", a);
            }
            t.drain(0);
            t.drain(2);
            Ok(())
        })
        .expect("notification streams match");
}

#[test]
fn slow_subscriber_is_disconnected_and_node_stays_healthy() {
    let node = Proc::node(&["--client-output-buffer-limit", "pubsub 1mb 256kb 60"]);
    let mut sub = node.raw();
    assert_eq!(
        sub.cmd(&["SUBSCRIBE", "firehose"]),
        Frame::Array(vec![bulk("subscribe"), bulk("firehose"), Frame::Integer(1)])
    );
    // The subscriber never reads; the publisher pipelines 32 MB of messages.
    let mut publisher = node.raw();
    let payload = "x".repeat(16 * 1024);
    let rounds = 2048;
    for _ in 0..rounds {
        publisher.send(&["PUBLISH", "firehose", payload.as_str()]);
    }
    let mut delivered = 0;
    for _ in 0..rounds {
        match publisher.read() {
            Frame::Integer(n) => delivered += n,
            other => panic!("unexpected PUBLISH reply {other:?}"),
        }
    }
    assert!(delivered < rounds, "the subscriber was never cut off");
    assert_eq!(
        publisher.cmd(&["PUBSUB", "NUMSUB", "firehose"]),
        Frame::Array(vec![bulk("firehose"), Frame::Integer(0)])
    );
    // The subscriber's connection ends after what the kernel had already buffered.
    let mut read_bytes = 0usize;
    while let Some(f) = sub.try_read() {
        read_bytes += format!("{f:?}").len();
        assert!(read_bytes < 40 << 20, "subscriber still receiving");
    }
    assert_eq!(publisher.cmd(&["PING"]), Frame::simple("PONG"));
    assert_eq!(node.raw().cmd(&["SET", "k", "v"]), Frame::ok());
}

#[test]
fn replicas_deliver_the_primarys_publishes_and_apply_transactions() {
    let primary = Proc::node(&[]);
    let replica = Proc::node(&[]);
    let mut r = replica.raw();
    assert_eq!(
        r.cmd(&["REPLICAOF", "127.0.0.1", &primary.port.to_string()]),
        Frame::ok()
    );
    let link_up = |c: &mut shoal_tests::RawClient| {
        shoal_tests::info_field(c, "replication", "master_link_status").as_deref() == Some("up")
    };
    assert!(shoal_tests::wait_until(
        Duration::from_secs(10),
        || link_up(&mut r)
    ));
    let mut sub = replica.raw();
    sub.cmd(&["SUBSCRIBE", "news"]);
    let mut p = primary.raw();
    // No subscriber on the primary itself.
    assert_eq!(p.cmd(&["PUBLISH", "news", "hello"]), Frame::Integer(0));
    assert_eq!(
        sub.read(),
        Frame::Array(vec![bulk("message"), bulk("news"), bulk("hello")])
    );
    p.cmd(&["MULTI"]);
    p.cmd(&["SET", "a", "1"]);
    p.cmd(&["INCR", "a"]);
    p.cmd(&["SET", "b", "x"]);
    assert_eq!(
        p.cmd(&["EXEC"]),
        Frame::Array(vec![Frame::ok(), Frame::Integer(2), Frame::ok()])
    );
    assert!(shoal_tests::wait_until(Duration::from_secs(30), || {
        r.cmd(&["MGET", "a", "b"]) == Frame::Array(vec![bulk("2"), bulk("x")])
    }));
}

#[test]
fn soft_output_limit_disconnects_only_after_its_time() {
    // Soft limit 256 kB for more than 1 s, no hard limit.
    let node = Proc::node(&["--client-output-buffer-limit", "pubsub 0 256kb 1"]);
    let mut sub = node.raw();
    sub.cmd(&["SUBSCRIBE", "slow"]);
    let mut publisher = node.raw();
    let numsub = |p: &mut shoal_tests::RawClient| p.cmd(&["PUBSUB", "NUMSUB", "slow"]);
    let subscribed = Frame::Array(vec![bulk("slow"), Frame::Integer(1)]);
    let gone = Frame::Array(vec![bulk("slow"), Frame::Integer(0)]);
    let payload = "y".repeat(16 * 1024);
    let started = std::time::Instant::now();
    for _ in 0..1024 {
        publisher.send(&["PUBLISH", "slow", payload.as_str()]);
    }
    for _ in 0..1024 {
        publisher.read();
    }
    let state = numsub(&mut publisher);
    if started.elapsed() < Duration::from_millis(900) {
        assert_eq!(state, subscribed, "cut off before the soft limit's time");
    }
    // Still over the soft limit once the time has passed: the next message cuts it off.
    // The limit was first crossed during the burst at the latest; time is counted in whole
    // seconds (as Redis's `unixtime`), so "more than 1 s" means 2 s on that clock.
    std::thread::sleep(Duration::from_millis(2200));
    publisher.cmd(&["PUBLISH", "slow", payload.as_str()]);
    assert_eq!(numsub(&mut publisher), gone);
    assert_eq!(publisher.cmd(&["PING"]), Frame::simple("PONG"));
}

#[test]
fn subscription_pushes_ignore_client_reply_off() {
    let mut t = DifferN::new(&[], 2);
    for i in 0..2 {
        // Both servers get the same raw commands; the replies are read by `drain` below.
        let (ours, theirs) = t.clients(0);
        let c = if i == 0 { ours } else { theirs };
        c.send(&["CLIENT", "REPLY", "OFF"]);
        c.send(&["SUBSCRIBE", "c", "d"]);
        c.send(&["GET", "refused-and-silent"]);
    }
    // The two confirmations arrive despite REPLY OFF (and show the subscriptions are in
    // place before anyone publishes).
    let (ours, theirs) = t.clients(0);
    let confirmations = |c: &mut shoal_tests::RawClient| [c.read(), c.read()];
    assert_eq!(confirmations(ours), confirmations(theirs));
    t.check(1, &["PUBLISH", "c", "x"]);
    for i in 0..2 {
        let (ours, theirs) = t.clients(0);
        let c = if i == 0 { ours } else { theirs };
        c.send(&["UNSUBSCRIBE", "c", "d"]);
        c.send(&["CLIENT", "REPLY", "ON"]);
    }
    let frames = t.drain(0);
    assert_eq!(frames.len(), 4, "{frames:?}");
}

/// `A` with `n`: CONFIG GET shows `A` (Redis hides `n`), yet new-key events still fire.
#[test]
fn all_classes_with_new_keeps_new_key_events() {
    let mut d = shoal_tests::Differ::new(&[]);
    d.check(&["CONFIG", "SET", "notify-keyspace-events", "AnE"]);
    d.check(&["CONFIG", "GET", "notify-keyspace-events"]);
    let mut subs = [d.ours.raw(), d.redis.raw()];
    for s in &mut subs {
        s.cmd(&["SUBSCRIBE", "__keyevent@0__:new"]);
    }
    d.check(&["SET", "fresh", "1"]);
    let [a, b] = &mut subs;
    assert_eq!(a.read(), b.read(), "new-key event");
}
