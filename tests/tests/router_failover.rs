//! Faults under load through the router: a `kill -9` of a primary (its replica takes over)
//! and a live reshard. A single client keeps writing and reading; every answer must be
//! right, errors are allowed only where a write's fate is unknown (or a read during the
//! failover window), and the pause is bounded.

use std::collections::{BTreeMap, HashMap};
use std::thread;
use std::time::{Duration, Instant};

use shoal_common::key_hash_slot;
use shoal_tests::cluster::{NODE_TIMEOUT_MS, RedisCluster, ServerKind, start_router};
use shoal_tests::{Frame, RawClient, bulk};

/// What the client may see for a key.
#[derive(Debug, Clone)]
enum Known {
    /// The last acknowledged value (`None`: never written).
    Value(Option<String>),
    /// A write failed: either the previous value or the attempted one.
    Either(Option<String>, String),
}

#[derive(Default)]
struct Load {
    model: HashMap<String, Known>,
    write_errors: usize,
    read_errors: usize,
    slowest: Duration,
    ops: usize,
    /// End of the last successful operation.
    last_ok: Option<Instant>,
    /// Longest time between two successful operations: the pause the client sees, failed
    /// operations in between included.
    pause: Duration,
    /// Error replies seen, by text with node addresses blanked.
    errors: BTreeMap<String, usize>,
}

/// An error text with `host:port` blanked, so errors group by kind.
fn error_kind(text: &str) -> String {
    text.split(' ')
        .map(|w| {
            if w.contains(':')
                && w.rsplit(':')
                    .next()
                    .is_some_and(|p| p.parse::<u16>().is_ok())
            {
                "<addr>"
            } else {
                w
            }
        })
        .collect::<Vec<_>>()
        .join(" ")
}

impl Load {
    fn outcome(&mut self, r: &Frame) {
        let now = Instant::now();
        match r {
            Frame::Error(e) => {
                *self
                    .errors
                    .entry(error_kind(&String::from_utf8_lossy(e)))
                    .or_default() += 1;
            }
            _ => {
                if let Some(t) = self.last_ok {
                    self.pause = self.pause.max(now - t);
                }
                self.last_ok = Some(now);
            }
        }
    }

    fn step(&mut self, c: &mut RawClient, keys: &[String], i: usize) {
        let key = &keys[i % keys.len()];
        let value = format!("v{i}");
        if i % 5 == 4 {
            // Every fifth write is an MSET over three slots (split by the router).
            let other = &keys[(i * 11 + 5) % keys.len()];
            let third = &keys[(i * 17 + 9) % keys.len()];
            if other != key && third != key && other != third {
                self.mset(c, &[key, other, third], &value);
                self.mget(c, keys, i);
                return;
            }
        }
        let t = Instant::now();
        let r = c.cmd(&["SET", key, &value]);
        self.slowest = self.slowest.max(t.elapsed());
        self.outcome(&r);
        self.wrote(key, &value, r == Frame::ok());
        let probe = &keys[(i * 7 + 3) % keys.len()];
        let t = Instant::now();
        let got = c.cmd(&["GET", probe]);
        self.slowest = self.slowest.max(t.elapsed());
        self.outcome(&got);
        self.ops += 2;
        match got {
            Frame::Error(_) => self.read_errors += 1,
            got => self.read(probe, &got),
        }
    }

    /// Records a write of `value` to `key` (acknowledged or not).
    fn wrote(&mut self, key: &str, value: &str, ok: bool) {
        if !ok {
            self.write_errors += 1;
        }
        self.remember(key, value, ok);
    }

    /// The model after a write: its value, or (failed) either the previous or its value.
    fn remember(&mut self, key: &str, value: &str, ok: bool) {
        let known = if ok {
            Known::Value(Some(value.to_string()))
        } else {
            let prev = match self.model.get(key) {
                Some(Known::Value(v)) => v.clone(),
                Some(Known::Either(..)) | None => None,
            };
            Known::Either(prev, value.to_string())
        };
        self.model.insert(key.to_string(), known);
    }

    fn mset(&mut self, c: &mut RawClient, keys: &[&String], value: &str) {
        let mut argv = vec!["MSET"];
        for k in keys {
            argv.extend([k.as_str(), value]);
        }
        let t = Instant::now();
        let r = c.cmd(&argv);
        self.slowest = self.slowest.max(t.elapsed());
        self.outcome(&r);
        self.ops += 1;
        let ok = r == Frame::ok();
        if !ok {
            self.write_errors += 1;
        }
        for k in keys {
            self.remember(k, value, ok);
        }
    }

    /// An MGET over four slots (split by the router), each value checked.
    fn mget(&mut self, c: &mut RawClient, keys: &[String], i: usize) {
        let probes: Vec<&String> = [3, 13, 29, 57]
            .iter()
            .map(|d| &keys[(i * 7 + d) % keys.len()])
            .collect();
        let mut argv = vec!["MGET"];
        argv.extend(probes.iter().map(|k| k.as_str()));
        let t = Instant::now();
        let got = c.cmd(&argv);
        self.slowest = self.slowest.max(t.elapsed());
        self.outcome(&got);
        self.ops += 1;
        match got {
            Frame::Error(_) => self.read_errors += 1,
            Frame::Array(items) => {
                assert_eq!(items.len(), probes.len(), "MGET reply length");
                for (k, item) in probes.iter().zip(&items) {
                    self.read(k, item);
                }
            }
            other => panic!("unexpected MGET reply {other:?}"),
        }
    }

    /// Checks a read of `key` against the model.
    fn read(&mut self, key: &str, got: &Frame) {
        let got = match got {
            Frame::Bulk(b) => Some(String::from_utf8_lossy(b).into_owned()),
            Frame::Null => None,
            other => panic!("unexpected reply for {key}: {other:?}"),
        };
        match self.model.get(key).cloned() {
            None => assert_eq!(got, None, "{key} was never written"),
            Some(Known::Value(v)) => assert_eq!(got, v, "wrong value for {key}"),
            Some(Known::Either(prev, attempted)) => {
                assert!(
                    got == prev || got.as_deref() == Some(attempted.as_str()),
                    "{key}: {got:?} is neither {prev:?} nor {attempted}"
                );
                self.model.insert(key.to_string(), Known::Value(got));
            }
        }
    }
}

fn keys_in_slots(lo: u16, hi: u16, n: usize) -> Vec<String> {
    (0..)
        .map(|i| format!("key:{i}"))
        .filter(|k| (lo..=hi).contains(&shoal_common::key_hash_slot(k.as_bytes()).get()))
        .take(n)
        .collect()
}

#[test]
#[allow(clippy::print_stderr)] // the pause and error counts are measurements for the issue note
fn kill_a_primary_under_load() {
    let cluster = RedisCluster::start(ServerKind::from_env());
    // --timeout-ms bounds the retries: the failover (node timeout 2 s, failure detection,
    // the election: 3-5 s here) must fit in it for unsent commands to wait for the new
    // primary instead of failing; 8 s leaves room on a busy test machine.
    let router = start_router(
        &cluster.seeds(),
        &["--refresh-ms", "500", "--timeout-ms", "8000"],
    );
    let mut c = router.raw();
    // Keys everywhere, so the load touches the victim's shard and the others.
    let keys: Vec<String> = (0..300).map(|i| format!("key:{i}")).collect();
    let mut load = Load::default();
    for i in 0..600 {
        load.step(&mut c, &keys, i);
    }
    // Let replication catch up, so a failover loses no acknowledged write (Redis replication
    // is asynchronous; that loss would be Redis's, not the router's).
    cluster.wait_replicas_caught_up(Duration::from_secs(30));
    let victim = cluster.primary_of(0);
    let mut cluster = cluster;
    cluster.nodes[victim].kill();
    let t = Instant::now();
    let mut i = 600;
    // Keep going through the failover until the replica has taken over and a while after.
    while t.elapsed() < Duration::from_secs(30) {
        load.step(&mut c, &keys, i);
        i += 1;
        let survivor = (0..6).find(|&n| n != victim).expect("a survivor");
        if i % 100 == 0
            && let Some(map) = cluster.slot_map(survivor)
            && map
                .shard_of(0)
                .is_some_and(|s| cluster.index_of(&s.primary.addr) != Some(victim))
            && load.ops > 4000
        {
            break;
        }
    }
    assert!(
        cluster.slot_map((victim + 1) % 6).is_some_and(|m| m
            .shard_of(0)
            .is_some_and(|s| cluster.index_of(&s.primary.addr) != Some(victim))),
        "no replica took over"
    );
    // After the failover every key reads back right, with no error.
    load.read_errors = 0;
    for (n, _) in keys.iter().enumerate() {
        load.step(&mut c, &keys, i + n);
    }
    assert_eq!(load.read_errors, 0, "reads fail after the failover");
    eprintln!(
        "failover: {} ops, {} write errors, {} read errors, slowest op {:?}, longest pause \
         between successes {:?}, errors {:?}",
        load.ops, load.write_errors, load.read_errors, load.slowest, load.pause, load.errors
    );
    // The pause is the cluster's failure detection (node timeout) plus the election, plus
    // the router noticing; generous, the machine running the tests is shared.
    let bound = Duration::from_millis(NODE_TIMEOUT_MS) + Duration::from_secs(5);
    assert!(load.pause < bound, "pause {:?} over {bound:?}", load.pause);
    assert!(load.slowest < bound, "slowest op {:?}", load.slowest);
    // The only errors: a write whose connection died with it in flight (its fate unknown).
    // Commands not yet sent wait for the new primary; reads lost in flight are resent.
    for kind in load.errors.keys() {
        assert!(
            kind.ends_with("its outcome is unknown"),
            "unexpected error during the failover: {kind}"
        );
    }
}

#[test]
#[allow(clippy::print_stderr)] // the redirect counts are measurements for the issue note
fn reshard_under_load() {
    let cluster = RedisCluster::start(ServerKind::from_env());
    let router = start_router(&cluster.seeds(), &["--refresh-ms", "500"]);
    let from = cluster.primary_of(0);
    let to = cluster.primary_of(16383);
    let id = |i: usize| {
        let mut c = cluster.nodes[i].raw();
        match c.cmd(&["CLUSTER", "MYID"]) {
            Frame::Bulk(b) => String::from_utf8_lossy(&b).into_owned(),
            other => panic!("{other:?}"),
        }
    };
    let (from_id, to_id) = (id(from), id(to));
    // Keys in the slots that move (redis-cli moves the source's lowest slots first).
    let keys = keys_in_slots(0, 299, 200);
    let mut c = router.raw();
    let mut load = Load::default();
    for i in 0..400 {
        load.step(&mut c, &keys, i);
    }
    let seed = format!("127.0.0.1:{}", cluster.nodes[0].port);
    // A reshard that hangs is killed and fails the test (output_within's deadline).
    let reshard = thread::spawn(move || {
        shoal_tests::output_within(
            std::process::Command::new("redis-cli")
                .args(["--cluster", "reshard", &seed, "--cluster-from", &from_id])
                .args([
                    "--cluster-to",
                    &to_id,
                    "--cluster-slots",
                    "300",
                    "--cluster-yes",
                ])
                .args(["--cluster-pipeline", "5"]),
            Duration::from_secs(300),
        )
    });
    let mut i = 400;
    while !reshard.is_finished() {
        load.step(&mut c, &keys, i);
        i += 1;
    }
    let out = reshard.join().expect("reshard thread");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    for n in 0..keys.len() {
        load.step(&mut c, &keys, i + n);
    }
    assert_eq!(load.write_errors, 0, "writes failed during a reshard");
    assert_eq!(load.read_errors, 0, "reads failed during a reshard");
    // The slots really moved, and the router followed.
    let map = cluster.slot_map(to).expect("map");
    assert_eq!(
        cluster.index_of(&map.shard_of(0).expect("slot 0").primary.addr),
        Some(to)
    );
    let mut info = router.raw();
    let text = match info.cmd(&["INFO", "stats"]) {
        Frame::Bulk(b) => String::from_utf8_lossy(&b).into_owned(),
        other => panic!("{other:?}"),
    };
    eprintln!("reshard: {} ops; {text}", load.ops);
    assert!(load.ops > 800);
}

/// `cmdstat_<name>` calls on node `i` (0 when the command never ran there).
fn calls(cluster: &RedisCluster, i: usize, name: &str) -> u64 {
    let Ok(mut c) = RawClient::connect(cluster.nodes[i].port) else {
        return 0;
    };
    shoal_tests::info_field(&mut c, "commandstats", &format!("cmdstat_{name}"))
        .and_then(|v| {
            v.split(',')
                .find_map(|f| f.strip_prefix("calls=").and_then(|n| n.parse().ok()))
        })
        .unwrap_or(0)
}

/// FAIL messages every node has sent so far (CLUSTER INFO; Redis omits a zero count).
fn fail_messages(cluster: &RedisCluster) -> u64 {
    cluster
        .nodes
        .iter()
        .filter_map(|n| RawClient::connect(n.port).ok())
        .map(|mut c| {
            let info = c.cmd(&["CLUSTER", "INFO"]);
            let text = info
                .as_bytes()
                .map(|b| String::from_utf8_lossy(b).into_owned())
                .unwrap_or_default();
            text.lines()
                .find_map(|l| l.strip_prefix("cluster_stats_messages_fail_sent:"))
                .and_then(|v| v.trim().parse::<u64>().ok())
                .unwrap_or(0)
        })
        .sum()
}

/// Index of every node that is a replica in node `from`'s view.
fn replicas(cluster: &RedisCluster, from: usize) -> Vec<usize> {
    let map = cluster.slot_map(from).expect("slot map");
    map.shards
        .iter()
        .flat_map(|s| s.replicas.iter())
        .filter_map(|r| cluster.index_of(&r.addr))
        .collect()
}

/// GETs of `keys` through the router, each retried until it reads `want(key)` (replication
/// is asynchronous; during a failover the slot is briefly unserved).
fn read_all(c: &mut RawClient, keys: &[String], want: impl Fn(&str) -> String) {
    for k in keys {
        let ok = shoal_tests::wait_until(Duration::from_secs(20), || {
            c.cmd(&["GET", k]) == bulk(&want(k))
        });
        assert!(ok, "{k} never read back {}", want(k));
    }
}

#[test]
fn read_from_replicas_sends_reads_to_replicas_and_survives_a_failover() {
    let mut cluster = RedisCluster::start(ServerKind::from_env());
    let router = start_router(
        &cluster.seeds(),
        &["--read-from", "replicas", "--refresh-ms", "300"],
    );
    let mut c = router.raw();
    let keys = shoal_tests::cluster::keys_on_every_primary(&cluster, 30);
    for k in &keys {
        assert_eq!(c.cmd(&["SET", k, &format!("a-{k}")]), Frame::ok());
    }
    read_all(&mut c, &keys, |k| format!("a-{k}"));
    // The measurement holds while every node is healthy. A node a loaded machine stalls
    // past node timeout is briefly flagged FAIL (its shard's reads then rightly go to the
    // primary, and a flagged primary may even fail over): a window in which any FAIL
    // message went out is measured again, on the layout as it then is.
    let mut attempt = 0;
    let prims = loop {
        attempt += 1;
        cluster.wait_stable(Duration::from_secs(30));
        let fails_before = fail_messages(&cluster);
        let reps = replicas(&cluster, 0);
        assert_eq!(reps.len(), 3);
        let prims: Vec<usize> = (0..6).filter(|i| !reps.contains(i)).collect();
        let sets_before: Vec<u64> = (0..6).map(|i| calls(&cluster, i, "set")).collect();
        for k in &keys {
            assert_eq!(c.cmd(&["SET", k, &format!("b-{k}")]), Frame::ok());
            assert_eq!(c.cmd(&["SET", k, &format!("a-{k}")]), Frame::ok());
        }
        read_all(&mut c, &keys, |k| format!("a-{k}"));
        let gets_before: Vec<u64> = (0..6).map(|i| calls(&cluster, i, "get")).collect();
        for _ in 0..5 {
            for k in &keys {
                assert_eq!(c.cmd(&["GET", k]), bulk(&format!("a-{k}")));
            }
        }
        let gets: Vec<u64> = (0..6)
            .map(|i| calls(&cluster, i, "get") - gets_before[i])
            .collect();
        let sets: Vec<u64> = (0..6)
            .map(|i| calls(&cluster, i, "set") - sets_before[i])
            .collect();
        if fail_messages(&cluster) != fails_before && attempt < 3 {
            continue;
        }
        // Every read on a replica (each replica served some), every write on a primary.
        let n = u64::try_from(keys.len()).expect("small");
        assert_eq!(
            prims.iter().map(|&i| gets[i]).sum::<u64>(),
            0,
            "reads on primaries"
        );
        assert_eq!(reps.iter().map(|&i| gets[i]).sum::<u64>(), 5 * n);
        assert!(
            reps.iter().all(|&i| gets[i] > 0),
            "a replica served no read"
        );
        assert_eq!(prims.iter().map(|&i| sets[i]).sum::<u64>(), 2 * n);
        break prims;
    };

    // kill -9 a primary: its replica takes over; reads and writes keep working (the shard
    // has no replica left, so its reads go to the new primary).
    let victim = prims[0];
    cluster.nodes[victim].kill();
    let survivor = prims[1];
    let promoted = shoal_tests::wait_until(Duration::from_secs(30), || {
        cluster.slot_map(survivor).is_some_and(|m| {
            m.shards
                .iter()
                .filter(|s| !s.slots.is_empty())
                .all(|s| cluster.index_of(&s.primary.addr) != Some(victim))
        })
    });
    assert!(promoted, "no replica took over");
    for k in &keys {
        let ok = shoal_tests::wait_until(Duration::from_secs(20), || {
            c.cmd(&["SET", k, &format!("c-{k}")]) == Frame::ok()
        });
        assert!(ok, "SET {k} never succeeded after the failover");
    }
    read_all(&mut c, &keys, |k| format!("c-{k}"));

    // The old primary comes back as a replica of the new one, and serves reads again.
    cluster.nodes[victim].restart();
    cluster.wait_stable(Duration::from_secs(30));
    assert!(replicas(&cluster, survivor).contains(&victim));
    let base = calls(&cluster, victim, "get");
    let back = shoal_tests::wait_until(Duration::from_secs(20), || {
        for k in &keys {
            let _ = c.cmd(&["GET", k]);
        }
        calls(&cluster, victim, "get") > base
    });
    assert!(back, "the rejoined replica never served a read");
    read_all(&mut c, &keys, |k| format!("c-{k}"));
}

/// Subscriptions through the router outlive the node carrying them: after a `kill -9` of
/// that primary and the failover, its replacement delivers the channel, pattern and shard
/// channel messages again, and the client sees no confirmation it did not ask for.
#[test]
fn subscriptions_follow_their_slot_through_a_failover() {
    let cluster = RedisCluster::start(ServerKind::from_env());
    let router = start_router(
        &cluster.seeds(),
        &["--refresh-ms", "500", "--timeout-ms", "8000"],
    );
    let mut sub = router.raw();
    assert_eq!(
        sub.cmd(&["SUBSCRIBE", "news"]),
        Frame::Array(vec![bulk("subscribe"), bulk("news"), Frame::Integer(1)])
    );
    assert_eq!(
        sub.cmd(&["PSUBSCRIBE", "n*"]),
        Frame::Array(vec![bulk("psubscribe"), bulk("n*"), Frame::Integer(2)])
    );
    // The node carrying the link: the one primary with a local subscriber of "news".
    let numsub = |i: usize| {
        let mut c = RawClient::connect(cluster.nodes[i].port).expect("connect");
        c.cmd(&["PUBSUB", "NUMSUB", "news"])
    };
    let victim = (0..6)
        .find(|&i| numsub(i) == Frame::Array(vec![bulk("news"), Frame::Integer(1)]))
        .expect("a node carries the subscription");
    // A shard channel served by the same node.
    let shard = (0..)
        .map(|i| format!("shard{i}"))
        .find(|c| cluster.primary_of(key_hash_slot(c.as_bytes()).get()) == victim)
        .expect("a channel on the victim");
    assert_eq!(
        sub.cmd(&["SSUBSCRIBE", &shard]),
        Frame::Array(vec![bulk("ssubscribe"), bulk(&shard), Frame::Integer(1)])
    );
    cluster.wait_replicas_caught_up(Duration::from_secs(30));
    let mut cluster = cluster;
    cluster.nodes[victim].kill();
    let mut publisher = router.raw();
    let (mut message, mut pmessage, mut smessage) = (false, false, false);
    let mut seen = Vec::new();
    let t = Instant::now();
    let mut i = 0;
    while !(message && pmessage && smessage) && t.elapsed() < Duration::from_secs(60) {
        i += 1;
        let m = format!("m{i}");
        let _ = publisher.cmd(&["PUBLISH", "news", &m]);
        let _ = publisher.cmd(&["SPUBLISH", &shard, &m]);
        thread::sleep(Duration::from_millis(100));
        for f in shoal_tests::drain_until_pong(&mut sub) {
            let Frame::Array(v) = &f else {
                panic!("unexpected {f:?}")
            };
            match v.first().and_then(Frame::as_bytes).map(|b| b.as_ref()) {
                Some(b"message") => message = true,
                Some(b"pmessage") => pmessage = true,
                Some(b"smessage") => smessage = true,
                _ => panic!("a confirmation the client did not ask for: {f:?}"),
            }
            seen.push(f);
        }
    }
    assert!(
        message && pmessage && smessage,
        "after the failover: message {message}, pmessage {pmessage}, smessage {smessage} \
         ({} publishes, {:?} since the kill): {seen:?}",
        i,
        t.elapsed()
    );
    // The subscriptions are still the client's own: unsubscribing answers with its counts.
    assert_eq!(
        sub.cmd(&["UNSUBSCRIBE", "news"]),
        Frame::Array(vec![bulk("unsubscribe"), bulk("news"), Frame::Integer(1)])
    );
}
