//! MULTI/EXEC/DISCARD/WATCH/UNWATCH against real Redis 7.0, including WATCH races driven
//! from several connections.

use std::time::{Duration, Instant};

use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};
use shoal_tests::{DifferN, Frame};

#[test]
fn transaction_errors_and_replies_match_redis() {
    let mut t = DifferN::new(&[], 1);
    let script: &[&[&str]] = &[
        &["EXEC"],
        &["DISCARD"],
        &["EXEC", "x"],
        &["MULTI", "x"],
        &["MULTI"],
        &["EXEC"],
        // Run-time errors do not stop the rest.
        &["MULTI"],
        &["SET", "s", "abc"],
        &["INCR", "s"],
        &["APPEND", "s", "d"],
        &["GET", "s"],
        &["EXEC"],
        // Nested MULTI and WATCH inside MULTI are errors that do not abort.
        &["MULTI"],
        &["MULTI"],
        &["WATCH", "s"],
        &["SET", "a", "1"],
        &["EXEC"],
        // Queue-time errors abort with EXECABORT.
        &["MULTI"],
        &["SET", "a", "2"],
        &["NOSUCHCOMMAND", "x"],
        &["GET", "a"],
        &["EXEC"],
        &["GET", "a"],
        &["MULTI"],
        &["GET"],
        &["EXEC"],
        &["MULTI"],
        &["CONFIG", "NOSUCH"],
        &["EXEC"],
        // NO_MULTI commands are refused and abort.
        &["MULTI"],
        &["SHUTDOWN"],
        &["EXEC"],
        // EXEC with the wrong arity inside MULTI: EXECABORT with the reason.
        &["MULTI"],
        &["SET", "a", "3"],
        &["EXEC", "extra"],
        &["EXEC"],
        &["GET", "a"],
        // DISCARD drops the queue.
        &["MULTI"],
        &["SET", "a", "4"],
        &["DISCARD"],
        &["GET", "a"],
        &["DISCARD"],
        // SELECT inside a transaction applies to the rest of it.
        &["MULTI"],
        &["SELECT", "2"],
        &["SET", "in2", "x"],
        &["SELECT", "99"],
        &["EXEC"],
        &["GET", "in2"],
        &["SELECT", "0"],
        &["GET", "in2"],
        // Nothing blocks inside EXEC: WAIT answers at once.
        &["MULTI"],
        &["SET", "w", "1"],
        &["WAIT", "1", "0"],
        &["EXEC"],
        // Blocking commands do not block inside EXEC.
        &["MULTI"],
        &["BLPOP", "nolist", "0"],
        &["BZPOPMIN", "nozset", "0"],
        &["EXEC"],
        // Commands that run at once inside MULTI.
        &["MULTI"],
        &["PING"],
        &["UNWATCH"],
        &["QUIT"],
    ];
    for cmd in script {
        t.check(0, cmd);
    }
}

#[test]
fn watch_is_invalidated_by_other_clients() {
    let mut t = DifferN::new(&[], 3);
    let steps: &[(usize, &[&str])] = &[
        (0, &["SET", "k", "1"]),
        // Untouched watch: EXEC runs.
        (0, &["WATCH", "k"]),
        (0, &["MULTI"]),
        (0, &["INCR", "k"]),
        (0, &["EXEC"]),
        // Another client writes the key: EXEC answers nil.
        (0, &["WATCH", "k", "other"]),
        (1, &["INCR", "k"]),
        (0, &["MULTI"]),
        (0, &["INCR", "k"]),
        (0, &["EXEC"]),
        (0, &["GET", "k"]),
        // Writes to another key, a read, or a write in another db do not invalidate.
        (0, &["WATCH", "k"]),
        (1, &["SET", "unrelated", "x"]),
        (1, &["GET", "k"]),
        (2, &["SELECT", "3"]),
        (2, &["SET", "k", "db3"]),
        (0, &["MULTI"]),
        (0, &["INCR", "k"]),
        (0, &["EXEC"]),
        // Deleting a watched key invalidates, deleting a missing one does not.
        (0, &["WATCH", "k", "missing"]),
        (1, &["DEL", "missing"]),
        (0, &["MULTI"]),
        (0, &["GET", "k"]),
        (0, &["EXEC"]),
        (0, &["WATCH", "k"]),
        (1, &["DEL", "k"]),
        (0, &["MULTI"]),
        (0, &["GET", "k"]),
        (0, &["EXEC"]),
        // A failed SET NX is no write; a successful one is.
        (1, &["SET", "k", "v"]),
        (0, &["WATCH", "k"]),
        (1, &["SET", "k", "w", "NX"]),
        (0, &["MULTI"]),
        (0, &["GET", "k"]),
        (0, &["EXEC"]),
        // UNWATCH clears the watch and the dirty flag.
        (0, &["WATCH", "k"]),
        (1, &["APPEND", "k", "z"]),
        (0, &["UNWATCH"]),
        (0, &["MULTI"]),
        (0, &["GET", "k"]),
        (0, &["EXEC"]),
        // DISCARD unwatches too.
        (0, &["WATCH", "k"]),
        (0, &["MULTI"]),
        (0, &["DISCARD"]),
        (1, &["SET", "k", "after-discard"]),
        (0, &["MULTI"]),
        (0, &["GET", "k"]),
        (0, &["EXEC"]),
        // EXPIRE and PERSIST are writes.
        (0, &["WATCH", "k"]),
        (1, &["EXPIRE", "k", "1000"]),
        (0, &["MULTI"]),
        (0, &["TTL", "k"]),
        (0, &["EXEC"]),
        (0, &["WATCH", "k"]),
        (1, &["PERSIST", "k"]),
        (0, &["MULTI"]),
        (0, &["TTL", "k"]),
        (0, &["EXEC"]),
        // A client's own write before MULTI invalidates its watch.
        (0, &["WATCH", "k"]),
        (0, &["SET", "k", "mine"]),
        (0, &["MULTI"]),
        (0, &["GET", "k"]),
        (0, &["EXEC"]),
        // An EXECABORT after a dirty watch still reports EXECABORT.
        (0, &["WATCH", "k"]),
        (1, &["SET", "k", "x"]),
        (0, &["MULTI"]),
        (0, &["NOSUCH"]),
        (0, &["EXEC"]),
    ];
    for (c, cmd) in steps {
        t.check(*c, cmd);
    }
}

#[test]
fn watch_and_flushdb_flushall() {
    let mut t = DifferN::new(&[], 2);
    let steps: &[(usize, &[&str])] = &[
        (0, &["SET", "k", "1"]),
        (0, &["WATCH", "k"]),
        (1, &["FLUSHDB"]),
        (0, &["MULTI"]),
        (0, &["PING"]),
        (0, &["EXEC"]),
        // The watched key did not exist: flushing changes nothing for it.
        (0, &["WATCH", "k"]),
        (1, &["SET", "other", "1"]),
        (1, &["FLUSHDB"]),
        (0, &["MULTI"]),
        (0, &["PING"]),
        (0, &["EXEC"]),
        // FLUSHDB of another database does not touch db 0.
        (0, &["SET", "k", "1"]),
        (0, &["WATCH", "k"]),
        (1, &["SELECT", "1"]),
        (1, &["FLUSHDB"]),
        (0, &["MULTI"]),
        (0, &["PING"]),
        (0, &["EXEC"]),
        (0, &["WATCH", "k"]),
        (1, &["FLUSHALL"]),
        (0, &["MULTI"]),
        (0, &["PING"]),
        (0, &["EXEC"]),
        // SWAPDB: a watched key that exists on either side changes.
        (1, &["SELECT", "0"]),
        (1, &["SET", "k", "1"]),
        (0, &["WATCH", "k"]),
        (1, &["SWAPDB", "0", "1"]),
        (0, &["MULTI"]),
        (0, &["PING"]),
        (0, &["EXEC"]),
        (0, &["WATCH", "k"]),
        (1, &["SWAPDB", "0", "1"]),
        (0, &["MULTI"]),
        (0, &["PING"]),
        (0, &["EXEC"]),
        // Neither database has it: no change.
        (0, &["WATCH", "nokey"]),
        (1, &["SWAPDB", "0", "2"]),
        (1, &["SWAPDB", "0", "0"]),
        (0, &["MULTI"]),
        (0, &["PING"]),
        (0, &["EXEC"]),
        // RENAME touches both the source and the destination.
        (1, &["SET", "src", "v"]),
        (0, &["WATCH", "dst"]),
        (1, &["RENAME", "src", "dst"]),
        (0, &["MULTI"]),
        (0, &["GET", "dst"]),
        (0, &["EXEC"]),
    ];
    for (c, cmd) in steps {
        t.check(*c, cmd);
    }
}

/// Sets `key` with a short TTL and WATCHes it on both servers, making sure both WATCHes ran
/// while the key was still live (a busy machine can let a short TTL pass between the two
/// commands: then UNWATCH, and again with twice the TTL); returns once the key has expired on
/// both servers (nothing touched it meanwhile).
fn set_and_watch_live_key(t: &mut DifferN, key: &str) {
    let mut ttl = Duration::from_millis(40);
    loop {
        let before = Instant::now();
        t.check(0, &["SET", key, "v", "PX", &ttl.as_millis().to_string()]);
        let set_done = Instant::now();
        t.check(0, &["WATCH", key]);
        // Both SETs ran after `before`, so neither key expires before `before + ttl`
        // (5 ms for the servers' millisecond clocks).
        if before.elapsed() + Duration::from_millis(5) < ttl {
            let expired = set_done + ttl + Duration::from_millis(30);
            std::thread::sleep(expired.saturating_duration_since(Instant::now()));
            return;
        }
        t.check(0, &["UNWATCH"]);
        ttl *= 2;
    }
}

#[test]
fn watched_key_that_expires_counts_as_modified() {
    let mut t = DifferN::new(&[], 1);
    set_and_watch_live_key(&mut t, "soon");
    t.check(0, &["MULTI"]);
    t.check(0, &["PING"]);
    // Expired before EXEC, even though nothing deleted it yet: nil.
    t.check(0, &["EXEC"]);
    // Already expired when watched: its deletion is no change.
    t.check(0, &["SET", "gone", "v", "PX", "10"]);
    std::thread::sleep(Duration::from_millis(40));
    t.check(0, &["WATCH", "gone"]);
    t.check(0, &["GET", "gone"]);
    t.check(0, &["MULTI"]);
    t.check(0, &["PING"]);
    t.check(0, &["EXEC"]);
    // Lazy expiry by another access deletes a live-watched key: nil.
    set_and_watch_live_key(&mut t, "lazy");
    t.check(0, &["EXISTS", "lazy"]);
    t.check(0, &["MULTI"]);
    t.check(0, &["PING"]);
    t.check(0, &["EXEC"]);
}

/// One step of a random transaction race: which client, which command.
#[derive(Debug, Clone)]
struct Step {
    client: usize,
    cmd: Vec<String>,
}

fn step() -> impl Strategy<Value = Step> {
    let key = prop_oneof![Just("a"), Just("b"), Just("c")].prop_map(str::to_string);
    let cmd = prop_oneof![
        3 => proptest::collection::vec(key.clone(), 1..3)
            .prop_map(|ks| [vec!["WATCH".to_string()], ks].concat()),
        1 => Just(vec!["UNWATCH".to_string()]),
        3 => Just(vec!["MULTI".to_string()]),
        3 => Just(vec!["EXEC".to_string()]),
        1 => Just(vec!["DISCARD".to_string()]),
        4 => key.clone().prop_map(|k| vec!["INCR".into(), k]),
        2 => key.clone().prop_map(|k| vec!["SET".into(), k, "v".into()]),
        2 => key.clone().prop_map(|k| vec!["GET".into(), k]),
        1 => key.clone().prop_map(|k| vec!["DEL".into(), k]),
        1 => key.prop_map(|k| vec!["EXPIRE".into(), k, "100".into()]),
        1 => Just(vec!["NOSUCH".to_string()]),
        1 => Just(vec!["FLUSHDB".to_string()]),
        1 => (0u8..2).prop_map(|db| vec!["SELECT".into(), db.to_string()]),
    ];
    (0usize..3, cmd).prop_map(|(client, cmd)| Step { client, cmd })
}

#[test]
fn random_transaction_races_from_three_clients_match_redis() {
    let t = std::cell::RefCell::new(DifferN::new(&[], 3));
    let mut runner = TestRunner::new(Config {
        cases: 32,
        ..Config::default()
    });
    runner
        .run(&proptest::collection::vec(step(), 1..60), |steps| {
            let mut t = t.borrow_mut();
            for c in 0..3 {
                // Leave any transaction and watch from the previous case.
                t.both(c, &["DISCARD"]);
                t.check(c, &["UNWATCH"]);
                t.check(c, &["SELECT", "0"]);
            }
            t.check(0, &["FLUSHALL"]);
            for s in &steps {
                let (ours, theirs) = t.both(s.client, &s.cmd);
                prop_assert_eq!(&ours, &theirs, "client {} after {:?}", s.client, s.cmd);
            }
            Ok(())
        })
        .expect("transaction races match");
}

#[test]
fn exec_is_atomic_for_other_clients() {
    // A transaction's writes appear together: another client never sees half of them.
    let mut t = DifferN::new(&[], 2);
    let (ours, _) = t.clients(0);
    ours.send(&["MULTI"]);
    for i in 0..200 {
        ours.send(&["SET", &format!("k{i}"), "x"]);
    }
    ours.send(&["EXEC"]);
    let (_, _) = t.clients(1);
    let (reader, _) = t.clients(1);
    let mut seen = Vec::new();
    for _ in 0..20 {
        seen.push(reader.cmd(&["EXISTS", "k0", "k199"]));
    }
    for f in seen {
        assert!(
            f == Frame::Integer(0) || f == Frame::Integer(2),
            "half a transaction visible: {f:?}"
        );
    }
    let (ours, _) = t.clients(0);
    assert_eq!(ours.read(), Frame::ok());
    for _ in 0..200 {
        assert_eq!(ours.read(), Frame::simple("QUEUED"));
    }
    match ours.read() {
        Frame::Array(v) => assert_eq!(v.len(), 200),
        other => panic!("EXEC reply {other:?}"),
    }
}

#[test]
fn exec_is_refused_when_the_node_became_a_read_only_replica() {
    let mut t = DifferN::new(&[], 2);
    // A primary that is not there: the node is a read-only replica with its link down.
    let nowhere = shoal_tests::free_port().to_string();
    let steps: &[(usize, &[&str])] = &[
        (0, &["MULTI"]),
        (0, &["SET", "k", "v"]),
        (0, &["GET", "k"]),
        (1, &["REPLICAOF", "127.0.0.1", &nowhere]),
        (0, &["EXEC"]),
        // A read-only transaction still runs.
        (0, &["MULTI"]),
        (0, &["GET", "k"]),
        (0, &["EXEC"]),
        // Stale data refused: EXEC carries the queued commands' missing `stale` flag.
        (1, &["CONFIG", "SET", "replica-serve-stale-data", "no"]),
        (0, &["MULTI"]),
        (0, &["PING"]),
        (0, &["EXEC"]),
        (0, &["MULTI"]),
        (0, &["GET", "k"]),
        (0, &["EXEC"]),
        (1, &["CONFIG", "SET", "replica-serve-stale-data", "yes"]),
        (1, &["REPLICAOF", "NO", "ONE"]),
    ];
    for (c, cmd) in steps {
        t.check(*c, cmd);
    }
}
