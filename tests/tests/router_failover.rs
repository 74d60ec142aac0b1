//! Faults under load through the router: a `kill -9` of a primary (its replica takes over)
//! and a live reshard. A single client keeps writing and reading; every answer must be
//! right, errors are allowed only where a write's fate is unknown (or a read during the
//! failover window), and the pause is bounded.

use std::collections::HashMap;
use std::thread;
use std::time::{Duration, Instant};

use shoal_tests::cluster::{RedisCluster, ServerKind, start_router};
use shoal_tests::{Frame, RawClient};

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
}

impl Load {
    fn step(&mut self, c: &mut RawClient, keys: &[String], i: usize) {
        let key = &keys[i % keys.len()];
        let value = format!("v{i}");
        let t = Instant::now();
        let r = c.cmd(&["SET", key, &value]);
        self.slowest = self.slowest.max(t.elapsed());
        let prev = match self.model.get(key) {
            Some(Known::Value(v)) => v.clone(),
            Some(Known::Either(..)) | None => None,
        };
        if r == Frame::ok() {
            self.model.insert(key.clone(), Known::Value(Some(value)));
        } else {
            self.write_errors += 1;
            self.model.insert(key.clone(), Known::Either(prev, value));
        }
        let probe = &keys[(i * 7 + 3) % keys.len()];
        let t = Instant::now();
        let got = c.cmd(&["GET", probe]);
        self.slowest = self.slowest.max(t.elapsed());
        self.ops += 2;
        let got = match got {
            Frame::Bulk(b) => Some(String::from_utf8_lossy(&b).into_owned()),
            Frame::Null => None,
            Frame::Error(_) => {
                self.read_errors += 1;
                return;
            }
            other => panic!("unexpected reply {other:?}"),
        };
        match self.model.get(probe).cloned() {
            None => assert_eq!(got, None, "{probe} was never written"),
            Some(Known::Value(v)) => assert_eq!(got, v, "wrong value for {probe}"),
            Some(Known::Either(prev, attempted)) => {
                assert!(
                    got == prev || got.as_deref() == Some(attempted.as_str()),
                    "{probe}: {got:?} is neither {prev:?} nor {attempted}"
                );
                self.model.insert(probe.clone(), Known::Value(got));
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
    let router = start_router(
        &cluster.seeds(),
        &["--refresh-ms", "500", "--timeout-ms", "2000"],
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
    thread::sleep(Duration::from_millis(500));
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
        "failover: {} ops, {} write errors, slowest op {:?}",
        load.ops, load.write_errors, load.slowest
    );
    assert!(
        load.slowest < Duration::from_secs(10),
        "pause {:?}",
        load.slowest
    );
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
    let reshard = thread::spawn(move || {
        std::process::Command::new("redis-cli")
            .args(["--cluster", "reshard", &seed, "--cluster-from", &from_id])
            .args([
                "--cluster-to",
                &to_id,
                "--cluster-slots",
                "300",
                "--cluster-yes",
            ])
            .args(["--cluster-pipeline", "5"])
            .output()
            .expect("redis-cli reshard")
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
