//! Differential tests for hashes and sets: the same commands to real Redis 7.0 and to our
//! node. Replies Redis leaves unordered (hashtable-encoded SMEMBERS, HGETALL...) are sorted
//! before comparison; random replies (SPOP, SRANDMEMBER, HRANDFIELD) are compared by shape.

use proptest::prelude::*;
use shoal_tests::{Differ, Frame, show};

/// Sorts the elements of a top-level array or set (pairs kept together for `pairs`).
fn normalize(f: Frame, pairs: bool) -> Frame {
    let sort = |mut v: Vec<Frame>| {
        if pairs {
            let mut ps: Vec<Vec<Frame>> = v.chunks(2).map(<[Frame]>::to_vec).collect();
            ps.sort_by_key(|p| format!("{p:?}"));
            ps.concat()
        } else {
            v.sort_by_key(|x| format!("{x:?}"));
            v
        }
    };
    match f {
        Frame::Array(v) => Frame::Array(sort(v)),
        Frame::Set(v) => Frame::Set(sort(v)),
        Frame::Map(m) => {
            let mut m = m;
            m.sort_by_key(|p| format!("{p:?}"));
            Frame::Map(m)
        }
        other => other,
    }
}

fn check_unordered(d: &mut Differ, args: &[&str], pairs: bool) {
    let (a, b) = d.both(args);
    assert_eq!(
        normalize(a, pairs),
        normalize(b, pairs),
        "reply differs for {}",
        show(args)
    );
}

/// Compares only the shape: error text, or the number of elements.
fn check_shape(d: &mut Differ, args: &[&str]) {
    let (a, b) = d.both(args);
    let shape = |f: &Frame| match f {
        Frame::Array(v) | Frame::Set(v) => format!("array {}", v.len()),
        Frame::Error(e) => format!("error {e:?}"),
        Frame::Bulk(_) => "bulk".into(),
        other => format!("{other:?}"),
    };
    assert_eq!(shape(&a), shape(&b), "shape differs for {}", show(args));
}

#[test]
fn hash_commands_and_errors_match_redis() {
    let mut d = Differ::new(&[]);
    let script: &[&[&str]] = &[
        &["HSET", "h", "a", "1", "b"],
        &["HSET", "h", "a", "1", "b", "x"],
        &["HSET", "h", "a", "2", "c", "3"],
        &["HMSET", "h", "d", "4"],
        &["HMSET", "h", "d"],
        &["HSETNX", "h", "a", "9"],
        &["HSETNX", "h", "z", "9"],
        &["HGET", "h", "a"],
        &["HGET", "h", "nope"],
        &["HGET", "nokey", "a"],
        &["HMGET", "h", "a", "nope", "b"],
        &["HMGET", "nokey", "a"],
        &["HGETALL", "h"],
        &["HKEYS", "h"],
        &["HVALS", "h"],
        &["HGETALL", "nokey"],
        &["HLEN", "h"],
        &["HSTRLEN", "h", "b"],
        &["HSTRLEN", "h", "nope"],
        &["HEXISTS", "h", "a"],
        &["HEXISTS", "h", "nope"],
        &["HINCRBY", "h", "a", "10"],
        &["HINCRBY", "h", "new", "-5"],
        &["HINCRBY", "h", "b", "1"],
        &["HINCRBY", "h", "a", "x"],
        &["HINCRBY", "h", "a", "9223372036854775807"],
        &["HINCRBYFLOAT", "h", "a", "1.5"],
        &["HINCRBYFLOAT", "h", "f", "10.1"],
        &["HINCRBYFLOAT", "h", "f", "0.1"],
        &["HINCRBYFLOAT", "h", "a", "inf"],
        &["HINCRBYFLOAT", "h", "b", "1"],
        &["HINCRBYFLOAT", "h", "a", "abc"],
        &["HDEL", "h", "a", "nope", "c"],
        &["HDEL", "nokey", "a"],
        &["HRANDFIELD", "nokey"],
        &["HRANDFIELD", "nokey", "3"],
        &["HRANDFIELD", "h", "abc"],
        &["HRANDFIELD", "h", "-9223372036854775808"],
        &["HRANDFIELD", "h", "-9223372036854775807", "WITHVALUES"],
        &["HRANDFIELD", "h", "1", "withvalue"],
        &["HRANDFIELD", "h", "1", "withvalues", "x"],
        &["HRANDFIELD", "h", "0"],
        &["HRANDFIELD", "h", "100"],
        &["HRANDFIELD", "h", "100", "WITHVALUES"],
        &["HSCAN", "h", "abc"],
        &["HSCAN", "h", "0", "COUNT", "0"],
        &["HSCAN", "h", "0", "COUNT", "x"],
        &["HSCAN", "h", "0", "MATCH"],
        &["HSCAN", "h", "0", "FOO", "bar"],
        &["HSCAN", "h", "0"],
        &["HSCAN", "h", "0", "MATCH", "[a-d]*"],
        &["HSCAN", "nokey", "0"],
        &["SET", "str", "v"],
        &["HSET", "str", "a", "1"],
        &["HGET", "str", "a"],
        &["HGETALL", "str"],
        &["HSCAN", "str", "0"],
        &["HSCAN", "str", "x"],
        &["HDEL", "h", "b", "d", "z", "new", "f"],
        &["EXISTS", "h"],
        &[
            "HSET",
            "big",
            "f",
            "0123456789012345678901234567890123456789012345678901234567890123456789",
        ],
        &["OBJECT", "ENCODING", "big"],
        &["HSET", "small", "f", "v"],
        &["OBJECT", "ENCODING", "small"],
    ];
    d.check_all(script);
    // Fill past hash-max-listpack-entries (512): the encoding and the content must follow.
    for i in 0..520 {
        d.check(&["HSET", "many", &format!("f{i}"), &i.to_string()]);
    }
    d.check(&["OBJECT", "ENCODING", "many"]);
    d.check(&["HLEN", "many"]);
    check_unordered(&mut d, &["HKEYS", "many"], false);
    check_unordered(&mut d, &["HGETALL", "many"], true);
    check_shape(&mut d, &["HRANDFIELD", "many", "5"]);
    check_shape(&mut d, &["HRANDFIELD", "many", "-600", "WITHVALUES"]);
    check_shape(&mut d, &["HRANDFIELD", "many", "-3"]);
    d.check(&["CONFIG", "SET", "hash-max-listpack-entries", "2"]);
    d.check(&["HSET", "conv", "a", "1", "b", "2"]);
    d.check(&["OBJECT", "ENCODING", "conv"]);
    d.check(&["HSET", "conv", "c", "3"]);
    d.check(&["OBJECT", "ENCODING", "conv"]);
}

#[test]
fn hscan_of_a_table_visits_every_field() {
    let mut d = Differ::new(&[]);
    for i in 0..700 {
        d.check(&["HSET", "h", &format!("f{i}"), "v"]);
    }
    let mut c = d.ours.raw();
    let mut seen = std::collections::HashSet::new();
    let mut cursor = "0".to_string();
    for round in 0.. {
        // A cursor that never returns to 0 fails here instead of hanging the suite.
        assert!(round < 10_000, "HSCAN does not terminate");
        let Frame::Array(reply) = c.cmd(&["HSCAN", "h", &cursor, "COUNT", "50"]) else {
            panic!("HSCAN replies with an array");
        };
        let Frame::Bulk(next) = &reply[0] else {
            panic!("cursor is a bulk string")
        };
        cursor = String::from_utf8_lossy(next).into_owned();
        let Frame::Array(items) = &reply[1] else {
            panic!("items are an array")
        };
        for pair in items.chunks(2) {
            seen.insert(format!("{:?}", pair[0]));
        }
        if cursor == "0" {
            break;
        }
    }
    assert_eq!(seen.len(), 700);
}

#[test]
fn set_commands_and_errors_match_redis() {
    let mut d = Differ::new(&[]);
    let script: &[&[&str]] = &[
        &["SADD", "s", "3", "1", "2", "1"],
        &["SMEMBERS", "s"],
        &["OBJECT", "ENCODING", "s"],
        &["SADD", "t", "2", "3", "4"],
        &["SINTER", "s", "t"],
        &["SINTER", "s", "nokey"],
        &["SUNION", "s", "t", "nokey"],
        &["SDIFF", "s", "t"],
        &["SDIFF", "nokey", "s"],
        &["SINTERSTORE", "d", "s", "t"],
        &["SMEMBERS", "d"],
        &["SINTERSTORE", "d", "s", "nokey"],
        &["EXISTS", "d"],
        &["SUNIONSTORE", "d", "s", "t"],
        &["SMEMBERS", "d"],
        &["OBJECT", "ENCODING", "d"],
        &["SDIFFSTORE", "d", "s", "t"],
        &["SMEMBERS", "d"],
        &["SDIFFSTORE", "d", "s", "s"],
        &["EXISTS", "d"],
        &["SINTERCARD", "2", "s", "t"],
        &["SINTERCARD", "2", "s", "t", "LIMIT", "1"],
        &["SINTERCARD", "0", "s"],
        &["SINTERCARD", "2", "s"],
        &["SINTERCARD", "1", "s", "limit", "-1"],
        &["SINTERCARD", "1", "s", "limit", "x"],
        &["SINTERCARD", "1", "s", "foo"],
        &["SINTERCARD", "abc", "s"],
        &["SISMEMBER", "s", "1"],
        &["SISMEMBER", "s", "01"],
        &["SISMEMBER", "nokey", "1"],
        &["SMISMEMBER", "s", "1", "9", "2"],
        &["SCARD", "s"],
        &["SCARD", "nokey"],
        &["SREM", "s", "1", "9"],
        &["SREM", "nokey", "1"],
        &["SMOVE", "s", "t", "2"],
        &["SMOVE", "s", "t", "9"],
        &["SMOVE", "s", "s", "3"],
        &["SMOVE", "nokey", "s", "1"],
        &["SMOVE", "s", "moved", "3"],
        &["EXISTS", "s"],
        &["SMEMBERS", "moved"],
        &["SPOP", "t", "-1"],
        &["SPOP", "t", "abc"],
        &["SPOP", "t", "1", "2"],
        &["SPOP", "nokey"],
        &["SPOP", "nokey", "2"],
        &["SPOP", "t", "0"],
        &["SPOP", "t", "100"],
        &["EXISTS", "t"],
        &["SRANDMEMBER", "moved", "abc"],
        &["SRANDMEMBER", "moved", "-9223372036854775808"],
        &["SRANDMEMBER", "moved", "1", "2"],
        &["SRANDMEMBER", "nokey"],
        &["SRANDMEMBER", "nokey", "5"],
        &["SRANDMEMBER", "moved"],
        &["SRANDMEMBER", "moved", "-3"],
        &["SRANDMEMBER", "moved", "5"],
        &["SADD", "w", "a", "1"],
        &["OBJECT", "ENCODING", "w"],
        &["SSCAN", "w", "abc"],
        &["SSCAN", "w", "0", "COUNT", "0"],
        &["SSCAN", "moved", "0"],
        &["SSCAN", "nokey", "0"],
        &["SET", "str", "v"],
        &["SADD", "str", "a"],
        &["SMEMBERS", "str"],
        &["SINTER", "moved", "str"],
        &["SINTER", "nokey", "str"],
        &["SUNION", "str"],
        &["SDIFF", "nokey", "str"],
        &["SINTERSTORE", "x", "str"],
        &["SMOVE", "moved", "str", "3"],
        &["SMOVE", "nokey", "str", "3"],
        &["SMOVE", "str", "moved", "3"],
        &["SINTERCARD", "1", "str"],
    ];
    d.check_all(script);
    for i in 0..515 {
        d.check(&["SADD", "ints", &i.to_string()]);
    }
    d.check(&["OBJECT", "ENCODING", "ints"]);
    check_unordered(&mut d, &["SMEMBERS", "ints"], false);
    check_unordered(&mut d, &["SMEMBERS", "w"], false);
    check_unordered(&mut d, &["SUNION", "w", "ints"], false);
    check_shape(&mut d, &["SPOP", "ints", "10"]);
    check_shape(&mut d, &["SRANDMEMBER", "ints", "-600"]);
    check_shape(&mut d, &["SRANDMEMBER", "ints", "20"]);
    d.check(&["SCARD", "ints"]);
    d.both(&["HELLO", "3"]); // client ids differ between the servers
    d.check(&["SMEMBERS", "moved"]);
    check_shape(&mut d, &["SPOP", "moved", "1"]);
    d.check(&["HSET", "h3", "a", "1"]);
    d.check(&["HGETALL", "h3"]);
    d.check(&["HRANDFIELD", "h3", "-2", "WITHVALUES"]);
}

#[derive(Debug, Clone)]
enum Op {
    Sadd(u8, Vec<String>),
    Srem(u8, Vec<String>),
    Sismember(u8, String),
    Scard(u8),
    Smembers(u8),
    Algebra(u8, u8, u8),
    Store(u8, u8, u8, u8),
    Smove(u8, u8, String),
    Hset(u8, Vec<(String, String)>),
    Hdel(u8, Vec<String>),
    Hget(u8, String),
    Hincrby(u8, String, i8),
    Hgetall(u8),
    Hlen(u8),
    Encoding(u8),
}

fn member() -> impl Strategy<Value = String> {
    prop_oneof!["-?[0-9]{1,2}", "[a-c]{1,2}"]
}

fn op() -> impl Strategy<Value = Op> {
    let members = || proptest::collection::vec(member(), 1..4);
    prop_oneof![
        (0u8..3, members()).prop_map(|(k, m)| Op::Sadd(k, m)),
        (0u8..3, members()).prop_map(|(k, m)| Op::Srem(k, m)),
        (0u8..3, member()).prop_map(|(k, m)| Op::Sismember(k, m)),
        (0u8..3).prop_map(Op::Scard),
        (0u8..3).prop_map(Op::Smembers),
        (0u8..3, 0u8..3, 0u8..3).prop_map(|(a, b, c)| Op::Algebra(a, b, c)),
        (0u8..3, 0u8..3, 0u8..3, 0u8..3).prop_map(|(a, b, c, d)| Op::Store(a, b, c, d)),
        (0u8..3, 0u8..3, member()).prop_map(|(a, b, m)| Op::Smove(a, b, m)),
        (
            3u8..5,
            proptest::collection::vec((member(), member()), 1..3)
        )
            .prop_map(|(k, p)| Op::Hset(k, p)),
        (3u8..5, members()).prop_map(|(k, f)| Op::Hdel(k, f)),
        (3u8..5, member()).prop_map(|(k, f)| Op::Hget(k, f)),
        (3u8..5, member(), any::<i8>()).prop_map(|(k, f, n)| Op::Hincrby(k, f, n)),
        (3u8..5).prop_map(Op::Hgetall),
        (0u8..5).prop_map(Op::Hlen),
        (0u8..5).prop_map(Op::Encoding),
    ]
}

fn key(k: u8) -> String {
    format!("k{k}")
}

/// The command, and whether its reply is unordered.
fn args(op: &Op) -> (Vec<String>, bool) {
    let s = |x: &str| x.to_string();
    let cmd = |name: &str, k: u8, rest: &[String]| [vec![s(name), key(k)], rest.to_vec()].concat();
    match op {
        Op::Sadd(k, m) => (cmd("SADD", *k, m), false),
        Op::Srem(k, m) => (cmd("SREM", *k, m), false),
        Op::Sismember(k, m) => (cmd("SISMEMBER", *k, std::slice::from_ref(m)), false),
        Op::Scard(k) => (cmd("SCARD", *k, &[]), false),
        Op::Smembers(k) => (cmd("SMEMBERS", *k, &[]), true),
        Op::Algebra(which, a, b) => {
            let name = ["SINTER", "SUNION", "SDIFF"][usize::from(*which)];
            (vec![s(name), key(*a), key(*b)], true)
        }
        Op::Store(which, d, a, b) => {
            let name = ["SINTERSTORE", "SUNIONSTORE", "SDIFFSTORE"][usize::from(*which % 3)];
            (vec![s(name), key(*d), key(*a), key(*b)], false)
        }
        Op::Smove(a, b, m) => (vec![s("SMOVE"), key(*a), key(*b), m.clone()], false),
        Op::Hset(k, p) => {
            let flat: Vec<String> = p.iter().flat_map(|(f, v)| [f.clone(), v.clone()]).collect();
            (cmd("HSET", *k, &flat), false)
        }
        Op::Hdel(k, f) => (cmd("HDEL", *k, f), false),
        Op::Hget(k, f) => (cmd("HGET", *k, std::slice::from_ref(f)), false),
        Op::Hincrby(k, f, n) => (cmd("HINCRBY", *k, &[f.clone(), n.to_string()]), false),
        Op::Hgetall(k) => (cmd("HGETALL", *k, &[]), false),
        Op::Hlen(k) => (cmd("HLEN", *k, &[]), false),
        Op::Encoding(k) => (vec![s("OBJECT"), s("ENCODING"), key(*k)], false),
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 16, ..ProptestConfig::default() })]
    #[test]
    fn random_set_and_hash_sequences_match_redis(ops in proptest::collection::vec(op(), 1..80)) {
        let mut d = Differ::new(&[]);
        for op in &ops {
            let (a, unordered) = args(op);
            let (ours, theirs) = d.both(&a);
            if unordered {
                prop_assert_eq!(normalize(ours, false), normalize(theirs, false), "after {:?}", a);
            } else {
                prop_assert_eq!(ours, theirs, "after {:?}", a);
            }
        }
    }
}

#[test]
fn restore_uses_this_nodes_thresholds() {
    let mut d = Differ::new(&[]);
    d.check(&["HSET", "h", "a", "1", "b", "2", "c", "3"]);
    d.check(&["SADD", "s", "1", "2", "3"]);
    let dump_h = (d.a.cmd(&["DUMP", "h"]), d.b.cmd(&["DUMP", "h"]));
    let dump_s = (d.a.cmd(&["DUMP", "s"]), d.b.cmd(&["DUMP", "s"]));
    d.check(&["CONFIG", "SET", "hash-max-listpack-entries", "2"]);
    d.check(&["CONFIG", "SET", "set-max-intset-entries", "2"]);
    for (key, (ours, theirs)) in [("h2", dump_h), ("s2", dump_s)] {
        let (Some(ours), Some(theirs)) = (ours.as_bytes(), theirs.as_bytes()) else {
            panic!("DUMP returns a payload");
        };
        assert_eq!(
            d.a.cmd(&[&b"RESTORE"[..], key.as_bytes(), b"0", ours]),
            Frame::ok()
        );
        assert_eq!(
            d.b.cmd(&[&b"RESTORE"[..], key.as_bytes(), b"0", theirs]),
            Frame::ok()
        );
        d.check(&["OBJECT", "ENCODING", key]);
    }
    check_unordered(&mut d, &["HGETALL", "h2"], true);
    check_unordered(&mut d, &["SMEMBERS", "s2"], false);
}
