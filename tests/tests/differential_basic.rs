//! Differential tests: the same commands to real Redis 7.0 and to our node, replies equal.

use proptest::prelude::*;
use shoal_tests::Differ;

#[test]
fn basic_strings_and_errors_match_redis() {
    let mut d = Differ::new(&[]);
    let script: &[&[&str]] = &[
        &["SET", "k", "v"],
        &["GET", "k"],
        &["SET", "k", "v2", "NX"],
        &["SET", "k", "v3", "XX", "GET"],
        &["SET", "k", "v", "EX", "0"],
        &["SET", "k", "v", "EX", "abc"],
        &["SET", "k", "v", "NX", "XX"],
        &["SET", "k", "v", "KEEPTTL", "EX", "10"],
        &["SET", "k", "v", "EX"],
        &["APPEND", "k", "xyz"],
        &["STRLEN", "k"],
        &["INCR", "k"],
        &["INCRBY", "n", "9223372036854775807"],
        &["INCR", "n"],
        &["DECRBY", "m", "-9223372036854775808"],
        &["MSET", "a", "1", "b"],
        &["MSET", "a", "1", "b", "2"],
        &["MGET", "a", "b", "zz"],
        &["EXISTS", "a", "a", "zz"],
        &["DEL", "a", "zz"],
        &["TYPE", "b"],
        &["TYPE", "zz"],
        &["EXPIRE", "b", "100", "NX", "XX"],
        &["EXPIRE", "b", "100", "GT", "LT"],
        &["EXPIRE", "b", "100", "FOO"],
        &["EXPIRE", "b", "abc"],
        &["EXPIRE", "b", "100", "GT"],
        &["EXPIRE", "b", "100", "LT"],
        &["TTL", "b"],
        &["PERSIST", "b"],
        &["TTL", "b"],
        &["PTTL", "zz"],
        &["EXPIRE", "b", "-1"],
        &["EXISTS", "b"],
        &["SETNX", "x", "1"],
        &["SETNX", "x", "2"],
        &["SETEX", "y", "0", "v"],
        &["SELECT", "99"],
        &["SELECT", "x"],
        &["PING", "a", "b"],
        &["ECHO", "hi"],
        &["HELLO", "4"],
        &["HELLO", "x"],
        &["CLIENT", "SETNAME", "bad name"],
        &["CLIENT", "NOSUCH"],
        &["CONFIG"],
        &["CONFIG", "GET", "maxmemory-policy"],
        &["CONFIG", "SET", "nosuchparam", "1"],
        &["COMMAND", "GETKEYS", "MSET", "a", "1", "b", "2"],
        &["COMMAND", "GETKEYS", "PING"],
        &["COMMAND", "GETKEYS", "NOSUCH"],
        &["DBSIZE"],
        &["FLUSHALL", "BAD"],
        &["FLUSHALL"],
        &["DBSIZE"],
    ];
    d.check_all(script);
}

#[derive(Debug, Clone)]
enum Op {
    Set(u8, String),
    Get(u8),
    Incr(u8),
    IncrBy(u8, i64),
    Append(u8, String),
    Del(Vec<u8>),
    Exists(Vec<u8>),
    Strlen(u8),
    Mget(Vec<u8>),
    Setnx(u8, String),
}

fn key(k: u8) -> String {
    format!("key:{}", k % 6)
}

fn op() -> impl Strategy<Value = Op> {
    let val = prop_oneof!["[a-z]{0,5}", "-?[0-9]{1,4}"];
    prop_oneof![
        (any::<u8>(), val.clone()).prop_map(|(k, v)| Op::Set(k, v)),
        any::<u8>().prop_map(Op::Get),
        any::<u8>().prop_map(Op::Incr),
        (any::<u8>(), any::<i64>()).prop_map(|(k, v)| Op::IncrBy(k, v)),
        (any::<u8>(), val.clone()).prop_map(|(k, v)| Op::Append(k, v)),
        proptest::collection::vec(any::<u8>(), 1..4).prop_map(Op::Del),
        proptest::collection::vec(any::<u8>(), 1..4).prop_map(Op::Exists),
        any::<u8>().prop_map(Op::Strlen),
        proptest::collection::vec(any::<u8>(), 1..4).prop_map(Op::Mget),
        (any::<u8>(), val).prop_map(|(k, v)| Op::Setnx(k, v)),
    ]
}

fn args(op: &Op) -> Vec<String> {
    let keys = |ks: &Vec<u8>| ks.iter().map(|k| key(*k)).collect::<Vec<_>>();
    match op {
        Op::Set(k, v) => vec!["SET".into(), key(*k), v.clone()],
        Op::Get(k) => vec!["GET".into(), key(*k)],
        Op::Incr(k) => vec!["INCR".into(), key(*k)],
        Op::IncrBy(k, by) => vec!["INCRBY".into(), key(*k), by.to_string()],
        Op::Append(k, v) => vec!["APPEND".into(), key(*k), v.clone()],
        Op::Del(ks) => [vec!["DEL".into()], keys(ks)].concat(),
        Op::Exists(ks) => [vec!["EXISTS".into()], keys(ks)].concat(),
        Op::Strlen(k) => vec!["STRLEN".into(), key(*k)],
        Op::Mget(ks) => [vec!["MGET".into()], keys(ks)].concat(),
        Op::Setnx(k, v) => vec!["SETNX".into(), key(*k), v.clone()],
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 24, ..ProptestConfig::default() })]
    #[test]
    fn random_string_sequences_match_redis(ops in proptest::collection::vec(op(), 1..60)) {
        let mut d = Differ::new(&[]);
        for op in &ops {
            let a = args(op);
            let (ours, theirs) = d.both(&a);
            prop_assert_eq!(ours, theirs, "after {:?}", a);
        }
    }
}
