//! maxmemory, eviction and the per-key access clock: OBJECT FREQ/IDLETIME, RESTORE
//! IDLETIME/FREQ, the eviction directives, `-OOM`, eviction order (LRU, volatile-ttl),
//! `evicted` keyspace events, `evicted_keys`, and evictions reaching replicas as DEL.
//!
//! Scenarios that depend on memory figures run against real Redis too (same function, same
//! assertions), so the test's own assumptions are checked against the reference. Values are
//! 64 KB, past jemalloc's thread caches, so a deletion shows in `used_memory` at once.
//! Sampling is made exhaustive (`maxmemory-samples 64` with fewer keys) so the order is
//! deterministic.

use std::collections::BTreeSet;
use std::time::Duration;

use shoal_tests::{Differ, Frame, Proc, RawClient, bulk, drain_until_pong, info_field, wait_until};

const BIG: usize = 64 * 1024;

fn used_memory(c: &mut RawClient) -> u64 {
    info_field(c, "memory", "used_memory")
        .and_then(|v| v.trim().parse().ok())
        .expect("used_memory")
}

fn evicted_keys(c: &mut RawClient) -> u64 {
    info_field(c, "stats", "evicted_keys")
        .and_then(|v| v.trim().parse().ok())
        .expect("evicted_keys")
}

/// The keys matching each pattern and `evicted_keys`, read in one transaction (nothing is
/// evicted inside EXEC, so they agree even while the node is still settling).
fn snapshot(c: &mut RawClient, patterns: &[&str]) -> (Vec<BTreeSet<String>>, u64) {
    assert_eq!(c.cmd(&["MULTI"]), Frame::ok());
    for p in patterns {
        c.cmd(&["KEYS", p]);
    }
    c.cmd(&["INFO", "stats"]);
    let Frame::Array(mut replies) = c.cmd(&["EXEC"]) else {
        panic!("EXEC")
    };
    let info = replies.pop().expect("INFO reply");
    let info = String::from_utf8_lossy(info.as_bytes().expect("INFO")).into_owned();
    let evicted = info
        .lines()
        .find_map(|l| l.strip_prefix("evicted_keys:"))
        .and_then(|v| v.trim().parse().ok())
        .expect("evicted_keys");
    let keys = replies
        .into_iter()
        .map(|r| {
            let Frame::Array(ks) = r else { panic!("KEYS") };
            ks.iter()
                .map(|k| String::from_utf8_lossy(k.as_bytes().expect("key")).into_owned())
                .collect()
        })
        .collect();
    (keys, evicted)
}

fn exists(c: &mut RawClient, key: &str) -> bool {
    c.cmd(&["EXISTS", key]) == Frame::Integer(1)
}

/// LFU counters with `lfu-log-factor 0` grow by exactly one per access and never decay
/// (`lfu-decay-time 0`), so OBJECT FREQ after each command shows which commands record an
/// access, exactly as Redis decides it. `maxmemory` is set so that Redis does not share
/// small integer objects between keys.
#[test]
fn lfu_access_counts_match_redis() {
    let mut d = Differ::new(&[
        "--maxmemory",
        "1gb",
        "--maxmemory-policy",
        "allkeys-lfu",
        "--lfu-log-factor",
        "0",
        "--lfu-decay-time",
        "0",
    ]);
    let f: &[&str] = &["OBJECT", "FREQ", "s"];
    d.check_all(&[
        &["SET", "s", "abc"],
        f,
        &["GET", "s"],
        f,
        // No access: EXISTS, TYPE, the TTL family, OBJECT, SCAN, KEYS, RANDOMKEY.
        &["EXISTS", "s"],
        &["TYPE", "s"],
        &["TTL", "s"],
        &["PTTL", "s"],
        &["EXPIRETIME", "s"],
        &["OBJECT", "ENCODING", "s"],
        &["SCAN", "0", "TYPE", "string"],
        &["KEYS", "*"],
        &["RANDOMKEY"],
        f,
        &["TOUCH", "s", "nosuch"],
        f,
        // Overwrites keep an LFU counter, after the lookup's own increment.
        &["SET", "s", "x"],
        f,
        &["MSET", "s", "y", "t", "z"],
        f,
        &["GETSET", "s", "w"],
        f,
        &["APPEND", "s", "z"],
        f,
        &["STRLEN", "s"],
        &["GETRANGE", "s", "0", "1"],
        &["SETRANGE", "s", "0", "a"],
        f,
        &["EXPIRE", "s", "1000"],
        &["PERSIST", "s"],
        f,
        &["SET", "n", "12345"],
        &["INCR", "n"],
        &["INCRBY", "n", "10"],
        &["OBJECT", "FREQ", "n"],
        // COPY makes a new object; RENAME and MOVE carry the clock along.
        &["COPY", "s", "s2"],
        &["OBJECT", "FREQ", "s2"],
        f,
        &["RENAME", "s", "s3"],
        &["OBJECT", "FREQ", "s3"],
        &["MOVE", "s3", "1"],
        &["SELECT", "1"],
        &["OBJECT", "FREQ", "s3"],
        &["SELECT", "0"],
        &["OBJECT", "FREQ", "nosuch"],
        &["OBJECT", "IDLETIME", "s2"],
        // Collections.
        &["HSET", "h", "a", "1"],
        &["HGET", "h", "a"],
        &["HGETALL", "h"],
        &["OBJECT", "FREQ", "h"],
        &["RPUSH", "l", "a", "b"],
        &["LRANGE", "l", "0", "-1"],
        &["LPOP", "l"],
        &["OBJECT", "FREQ", "l"],
        &["RPUSH", "m", "c", "b", "a"],
        &["LMOVE", "m", "m2", "LEFT", "RIGHT"],
        &["LMOVE", "m", "m2", "LEFT", "RIGHT"],
        &["LMOVE", "m", "m", "LEFT", "RIGHT"],
        &["OBJECT", "FREQ", "m"],
        &["OBJECT", "FREQ", "m2"],
        &["SORT", "m2", "ALPHA"],
        &["OBJECT", "FREQ", "m2"],
        &["SADD", "st", "a"],
        &["SISMEMBER", "st", "a"],
        &["OBJECT", "FREQ", "st"],
        &["ZADD", "z", "1", "a"],
        &["ZSCORE", "z", "a"],
        &["ZRANGE", "z", "0", "-1"],
        &["OBJECT", "FREQ", "z"],
        // Switching policy: the same field now reads as an LRU clock.
        &["CONFIG", "SET", "maxmemory-policy", "allkeys-lru"],
        &["OBJECT", "FREQ", "s2"],
        &["CONFIG", "SET", "maxmemory-policy", "volatile-lfu"],
        &["OBJECT", "FREQ", "s2"],
    ]);
}

/// `CLIENT NO-TOUCH` (Redis 7.2, not in 7.0): lookups stop counting, except TOUCH.
#[test]
fn client_no_touch_stops_counting_except_touch() {
    let node = Proc::node(&[
        "--maxmemory-policy",
        "allkeys-lfu",
        "--lfu-log-factor",
        "0",
        "--lfu-decay-time",
        "0",
    ]);
    let mut c = node.raw();
    c.cmd(&["SET", "k", "v"]);
    assert_eq!(c.cmd(&["CLIENT", "NO-TOUCH", "ON"]), Frame::ok());
    c.cmd(&["GET", "k"]);
    assert_eq!(c.cmd(&["OBJECT", "FREQ", "k"]), Frame::Integer(5));
    c.cmd(&["TOUCH", "k"]);
    assert_eq!(c.cmd(&["OBJECT", "FREQ", "k"]), Frame::Integer(6));
    let mut other = node.raw();
    other.cmd(&["GET", "k"]);
    assert_eq!(c.cmd(&["OBJECT", "FREQ", "k"]), Frame::Integer(7));
}

/// RESTORE IDLETIME sets the LRU clock, FREQ the LFU counter; each option is ignored under
/// the other kind of policy. Payloads are each server's own DUMP.
fn restore_sets_the_clock(p: &Proc) {
    let mut c = p.raw();
    c.cmd(&["CONFIG", "SET", "lfu-decay-time", "0"]);
    c.cmd(&["SET", "src", "value"]);
    let payload = c.cmd(&["DUMP", "src"]).as_bytes().expect("DUMP").clone();
    let restore = |c: &mut RawClient, key: &str, opt: &str, v: &str| {
        let args: Vec<&[u8]> = vec![
            b"RESTORE",
            key.as_bytes(),
            b"0",
            &payload,
            opt.as_bytes(),
            v.as_bytes(),
        ];
        assert_eq!(c.cmd(&args), Frame::ok());
    };
    restore(&mut c, "idle", "IDLETIME", "1000");
    restore(&mut c, "lfu-ignored", "FREQ", "100");
    let Frame::Integer(idle) = c.cmd(&["OBJECT", "IDLETIME", "idle"]) else {
        panic!("IDLETIME")
    };
    assert!((1000..=1001).contains(&idle), "{idle}");
    let Frame::Integer(idle) = c.cmd(&["OBJECT", "IDLETIME", "lfu-ignored"]) else {
        panic!("IDLETIME")
    };
    assert!(idle <= 1, "{idle}");
    c.cmd(&["CONFIG", "SET", "maxmemory-policy", "allkeys-lfu"]);
    restore(&mut c, "freq", "FREQ", "100");
    restore(&mut c, "lru-ignored", "IDLETIME", "1000");
    assert_eq!(c.cmd(&["OBJECT", "FREQ", "freq"]), Frame::Integer(100));
    assert_eq!(c.cmd(&["OBJECT", "FREQ", "lru-ignored"]), Frame::Integer(5));
}

#[test]
fn restore_idletime_and_freq_set_the_clock_as_redis() {
    restore_sets_the_clock(&Proc::redis(&[]));
    restore_sets_the_clock(&Proc::node(&[]));
}

#[test]
fn eviction_directives_match_redis() {
    let mut d = Differ::new(&[]);
    d.check_all(&[
        &["CONFIG", "GET", "maxmemory"],
        &["CONFIG", "GET", "maxmemory-policy"],
        &["CONFIG", "GET", "maxmemory-samples"],
        &["CONFIG", "GET", "maxmemory-eviction-tenacity"],
        &["CONFIG", "GET", "lfu-log-factor"],
        &["CONFIG", "GET", "lfu-decay-time"],
        &["CONFIG", "GET", "replica-ignore-maxmemory"],
        &["CONFIG", "GET", "slave-ignore-maxmemory"],
        &["CONFIG", "GET", "lazyfree-lazy-eviction"],
        &["CONFIG", "SET", "maxmemory", "100mb"],
        &["CONFIG", "GET", "maxmemory"],
        &["CONFIG", "SET", "maxmemory", "1GB"],
        &["CONFIG", "GET", "maxmemory"],
        &["CONFIG", "SET", "maxmemory", "0"],
        &["CONFIG", "SET", "maxmemory-samples", "10"],
        &["CONFIG", "SET", "maxmemory-samples", "0"],
        &["CONFIG", "SET", "maxmemory-samples", "65"],
        &["CONFIG", "SET", "maxmemory-samples", "x"],
        &["CONFIG", "SET", "maxmemory-eviction-tenacity", "100"],
        &["CONFIG", "SET", "maxmemory-eviction-tenacity", "101"],
        &["CONFIG", "SET", "lfu-log-factor", "-1"],
        &["CONFIG", "SET", "lfu-log-factor", "100"],
        &["CONFIG", "SET", "lfu-decay-time", "5"],
        &["CONFIG", "SET", "slave-ignore-maxmemory", "no"],
        &["CONFIG", "SET", "lazyfree-lazy-eviction", "yes"],
        &["CONFIG", "SET", "maxmemory-policy", "lru"],
        &["CONFIG", "SET", "maxmemory-policy", "VOLATILE-TTL"],
        &["CONFIG", "GET", "maxmemory"],
        &["CONFIG", "GET", "maxmemory-policy"],
        &["CONFIG", "GET", "maxmemory-samples"],
        &["CONFIG", "GET", "maxmemory-eviction-tenacity"],
        &["CONFIG", "GET", "lfu-log-factor"],
        &["CONFIG", "GET", "lfu-decay-time"],
        &["CONFIG", "GET", "replica-ignore-maxmemory"],
        &["CONFIG", "GET", "lazyfree-lazy-eviction"],
    ]);
    let (ours, theirs) = d.both(&["INFO", "memory"]);
    for reply in [ours, theirs] {
        let text = String::from_utf8_lossy(reply.as_bytes().expect("INFO")).into_owned();
        for field in [
            "maxmemory:0",
            "maxmemory_human:0B",
            "maxmemory_policy:volatile-ttl",
            "mem_not_counted_for_evict:0",
        ] {
            assert!(text.contains(field), "{field} missing in {text}");
        }
    }
}

/// With `maxmemory 1` every server is over its limit: `noeviction` refuses `denyoom`
/// commands (and anything queued in MULTI) with Redis's exact error; the evicting policies
/// delete every key they may before the next command runs, in every database.
#[test]
fn oom_and_total_eviction_match_redis() {
    let mut d = Differ::new(&["--maxmemory-eviction-tenacity", "100"]);
    let fill: &[&[&str]] = &[
        &["SELECT", "3"],
        &["MSET", "a", "1", "b", "2"],
        &["SET", "v3", "x", "EX", "1000"],
        &["SELECT", "0"],
        &["MSET", "c", "1", "d", "2", "e", "3"],
        &["SET", "v0", "x", "EX", "1000"],
        &["RPUSH", "l", "a"],
    ];
    d.check_all(fill);
    d.check_all(&[
        &["CONFIG", "SET", "maxmemory", "1"],
        &["SET", "k", "v"],
        &["RPUSH", "l", "b"],
        &["APPEND", "c", "x"],
        &["GET", "c"],
        &["DEL", "d"],
        &["EXPIRE", "c", "100"],
        &["MULTI"],
        &["GET", "c"],
        &["SET", "x", "y"],
        &["EXEC"],
        &["MULTI"],
        &["DISCARD"],
        &["DBSIZE"],
    ]);
    // volatile-*: only keys with a TTL go; what stays still gets OOM.
    d.check_all(&[
        &["CONFIG", "SET", "maxmemory-policy", "volatile-lru"],
        &["DBSIZE"],
        &["EXISTS", "v0"],
        &["SELECT", "3"],
        &["EXISTS", "v3", "a"],
        &["SELECT", "0"],
        &["SET", "k", "v"],
        &["CONFIG", "SET", "maxmemory-policy", "allkeys-random"],
        &["DBSIZE"],
        &["SELECT", "3"],
        &["DBSIZE"],
        &["SET", "k", "v"],
        &["SELECT", "0"],
        &["CONFIG", "SET", "maxmemory", "0"],
        &["SET", "k", "v"],
    ]);
    let (a, b) = (evicted_keys(&mut d.a), evicted_keys(&mut d.b));
    assert_eq!((a, b), (b, 7));
}

fn big_value() -> String {
    "x".repeat(BIG)
}

/// allkeys-lru: cold keys (RESTOREd with a large IDLETIME) go first; keys touched since
/// survive; each eviction is an `evicted` event and counts in `evicted_keys`.
fn lru_keeps_touched_keys(p: &Proc, name: &str) {
    let mut c = p.raw();
    c.cmd(&["CONFIG", "SET", "maxmemory-policy", "allkeys-lru"]);
    c.cmd(&["CONFIG", "SET", "maxmemory-samples", "64"]);
    c.cmd(&["CONFIG", "SET", "notify-keyspace-events", "Ee"]);
    let mut sub = p.raw();
    sub.cmd(&["SUBSCRIBE", "__keyevent@0__:evicted"]);
    c.cmd(&["SET", "src", &big_value()]);
    let payload = c.cmd(&["DUMP", "src"]).as_bytes().expect("DUMP").clone();
    c.cmd(&["DEL", "src"]);
    for name in (0..30)
        .map(|i| format!("cold:{i}"))
        .chain((0..5).map(|i| format!("hot:{i}")))
    {
        let args: Vec<&[u8]> = vec![
            b"RESTORE",
            name.as_bytes(),
            b"0",
            &payload,
            b"IDLETIME",
            b"10000",
        ];
        assert_eq!(c.cmd(&args), Frame::ok());
    }
    for i in 0..5 {
        assert_eq!(
            c.cmd(&["GET", &format!("hot:{i}")])
                .as_bytes()
                .map(|b| b.len()),
            Some(BIG)
        );
    }
    let limit = used_memory(&mut c) + 4 * BIG as u64;
    assert_eq!(
        c.cmd(&["CONFIG", "SET", "maxmemory", &limit.to_string()]),
        Frame::ok()
    );
    for i in 0..15 {
        assert_eq!(
            c.cmd(&["SET", &format!("new:{i}"), &big_value()]),
            Frame::ok()
        );
    }
    let (keys, evicted) = snapshot(&mut c, &["cold:*", "hot:*", "new:*"]);
    assert!((5..=30).contains(&evicted), "{name}: evicted {evicted}");
    assert_eq!(
        30 - keys[0].len() as u64,
        evicted,
        "{name}: only cold keys go"
    );
    assert_eq!((keys[1].len(), keys[2].len()), (5, 15), "{name}: {keys:?}");
    // Events for every key evicted so far (the cron may have evicted more since).
    let events = drain_until_pong(&mut sub);
    let mut named = BTreeSet::new();
    for e in events {
        let Frame::Array(parts) = e else {
            panic!("{e:?}")
        };
        assert_eq!(parts[1], bulk("__keyevent@0__:evicted"));
        let key = String::from_utf8_lossy(parts[2].as_bytes().expect("key")).into_owned();
        assert!(
            key.starts_with("cold:") && named.insert(key.clone()),
            "{name}: {key}"
        );
    }
    for i in 0..30 {
        let key = format!("cold:{i}");
        if !keys[0].contains(&key) {
            assert!(named.contains(&key), "{name}: no event for {key}");
        }
    }
}

#[test]
fn allkeys_lru_keeps_touched_keys_like_redis() {
    lru_keeps_touched_keys(&Proc::redis(&[]), "redis");
    lru_keeps_touched_keys(&Proc::node(&[]), "shoal");
}

/// volatile-ttl: the keys with the nearest expire times go first; keys without a TTL stay.
fn volatile_ttl_order(p: &Proc, name: &str) {
    let mut c = p.raw();
    c.cmd(&["CONFIG", "SET", "maxmemory-policy", "volatile-ttl"]);
    c.cmd(&["CONFIG", "SET", "maxmemory-samples", "64"]);
    for i in 0..20 {
        let ttl = (1000 + i * 100).to_string();
        c.cmd(&["SET", &format!("v:{i:02}"), &big_value(), "EX", &ttl]);
    }
    for i in 0..10 {
        c.cmd(&["SET", &format!("p:{i}"), &big_value()]);
    }
    let limit = used_memory(&mut c) + 2 * BIG as u64;
    c.cmd(&["CONFIG", "SET", "maxmemory", &limit.to_string()]);
    for i in 0..8 {
        assert_eq!(
            c.cmd(&["SET", &format!("n:{i}"), &big_value()]),
            Frame::ok()
        );
    }
    let (keys, evicted) = snapshot(&mut c, &["v:*", "p:*"]);
    assert!((4..20).contains(&evicted), "{name}: evicted {evicted}");
    for i in 0..20u64 {
        let gone = !keys[0].contains(&format!("v:{i:02}"));
        assert_eq!(gone, i < evicted, "{name}: v:{i:02} (evicted {evicted})");
    }
    assert_eq!(keys[1].len(), 10, "{name}: keys without a TTL stay");
}

#[test]
fn volatile_ttl_evicts_nearest_expiry_first_like_redis() {
    volatile_ttl_order(&Proc::redis(&[]), "redis");
    volatile_ttl_order(&Proc::node(&[]), "shoal");
}

/// A primary's evictions reach its replica as deletions; the replica itself ignores its
/// own `maxmemory` (replica-ignore-maxmemory yes) and keeps every key its primary sends.
#[test]
fn replicas_receive_evictions_and_ignore_maxmemory() {
    let primary = Proc::node(&["--maxmemory-eviction-tenacity", "100"]);
    let replica = Proc::node(&["--maxmemory", "1", "--maxmemory-policy", "allkeys-random"]);
    let (mut m, mut r) = (primary.raw(), replica.raw());
    for i in 0..20 {
        let ttl = if i % 2 == 0 { "1000" } else { "0" };
        m.cmd(&["SET", &format!("k{i}"), "v"]);
        if ttl != "0" {
            m.cmd(&["EXPIRE", &format!("k{i}"), ttl]);
        }
    }
    r.cmd(&["REPLICAOF", "127.0.0.1", &primary.port.to_string()]);
    let synced = |m: &mut RawClient, r: &mut RawClient| {
        info_field(r, "replication", "master_link_status").as_deref() == Some("up")
            && info_field(m, "replication", "master_repl_offset")
                == info_field(r, "replication", "master_repl_offset")
    };
    assert!(wait_until(Duration::from_secs(30), || synced(
        &mut m, &mut r
    )));
    assert_eq!(r.cmd(&["DBSIZE"]), Frame::Integer(20));
    assert_eq!(evicted_keys(&mut r), 0);
    m.cmd(&["CONFIG", "SET", "maxmemory-policy", "volatile-random"]);
    m.cmd(&["CONFIG", "SET", "maxmemory", "1"]);
    assert_eq!(m.cmd(&["DBSIZE"]), Frame::Integer(10));
    assert_eq!(evicted_keys(&mut m), 10);
    assert!(wait_until(Duration::from_secs(30), || synced(
        &mut m, &mut r
    )));
    assert_eq!(r.cmd(&["DBSIZE"]), Frame::Integer(10));
    for i in 0..20 {
        assert_eq!(exists(&mut r, &format!("k{i}")), i % 2 == 1, "k{i}");
    }
    assert_eq!(evicted_keys(&mut r), 0);
}
