//! Differential tests for lists: the same commands to real Redis 7.0 and to our node.

use proptest::prelude::*;
use shoal_tests::Differ;

#[test]
fn list_commands_and_errors_match_redis() {
    let mut d = Differ::new(&[]);
    let script: &[&[&str]] = &[
        &["LPOP", "nokey"],
        &["LPOP", "nokey", "1"],
        &["LPOP", "nokey", "0"],
        &["RPUSH", "l", "a", "b", "c", "b", "a"],
        &["LPUSH", "l", "z"],
        &["LPOP", "l", "0"],
        &["LPOP", "l", "-1"],
        &["LPOP", "l", "abc"],
        &["LPOP", "l", "1", "2"],
        &["LRANGE", "l", "0", "-1"],
        &["LRANGE", "l", "-100", "100"],
        &["LRANGE", "l", "3", "1"],
        &["LRANGE", "l", "a", "1"],
        &["LRANGE", "nokey", "0", "-1"],
        &["LINDEX", "l", "0"],
        &["LINDEX", "l", "-1"],
        &["LINDEX", "l", "99"],
        &["LINDEX", "l", "x"],
        &["LINDEX", "nokey", "x"],
        &["LSET", "nokey", "0", "a"],
        &["LSET", "l", "10", "a"],
        &["LSET", "l", "x", "a"],
        &["LSET", "l", "-1", "last"],
        &["LINSERT", "l", "middle", "a", "x"],
        &["LINSERT", "l", "BEFORE", "zz", "x"],
        &["LINSERT", "l", "after", "b", "x"],
        &["LINSERT", "nokey", "before", "zz", "x"],
        &["LPOS", "l", "b"],
        &["LPOS", "l", "b", "RANK", "-1"],
        &["LPOS", "l", "b", "RANK", "2"],
        &["LPOS", "l", "b", "COUNT", "0"],
        &["LPOS", "l", "b", "COUNT", "1", "RANK", "-1"],
        &["LPOS", "l", "b", "MAXLEN", "2", "COUNT", "0"],
        &["LPOS", "l", "a", "RANK", "0"],
        &["LPOS", "l", "a", "RANK", "-9223372036854775808"],
        &["LPOS", "l", "a", "COUNT", "-1"],
        &["LPOS", "l", "a", "MAXLEN", "-1"],
        &["LPOS", "l", "a", "FOO"],
        &["LPOS", "l", "a", "COUNT"],
        &["LPOS", "l", "zz", "COUNT", "0"],
        &["LPOS", "l", "zz"],
        &["LPOS", "nokey", "zz"],
        &["LPOS", "nokey", "zz", "COUNT", "2"],
        &["LREM", "l", "x", "a"],
        &["LREM", "l", "-1", "b"],
        &["LREM", "l", "0", "x"],
        &["LREM", "nokey", "0", "x"],
        &["LLEN", "l"],
        &["LTRIM", "l", "1", "-2"],
        &["LTRIM", "l", "a", "1"],
        &["LTRIM", "nokey", "0", "1"],
        &["LRANGE", "l", "0", "-1"],
        &["LMPOP", "0", "l", "left"],
        &["LMPOP", "1", "l", "middle"],
        &["LMPOP", "1", "l", "left", "count", "0"],
        &["LMPOP", "1", "l", "left", "count", "-1"],
        &["LMPOP", "2", "l", "left"],
        &["LMPOP", "1", "l", "left", "count", "1", "count", "2"],
        &["LMPOP", "1", "l", "left", "foo"],
        &["LMPOP", "abc", "l", "left"],
        &["LMPOP", "1", "nokey", "left"],
        &["LMPOP", "2", "nokey", "l", "RIGHT", "COUNT", "2"],
        &["BLMPOP", "0", "1", "nokey2", "left", "count", "0"],
        &["BLMPOP", "abc", "1", "l", "left"],
        &["BLMPOP", "0", "0", "l", "left"],
        &["BLMPOP", "0", "1", "l", "left", "COUNT", "100"],
        &["RPUSH", "src", "1", "2", "3"],
        &["LMOVE", "src", "dst", "up", "left"],
        &["LMOVE", "src", "dst", "LEFT", "RIGHT"],
        &["LMOVE", "src", "src", "LEFT", "RIGHT"],
        &["RPOPLPUSH", "src", "dst"],
        &["RPOPLPUSH", "nokey", "dst"],
        &["LRANGE", "src", "0", "-1"],
        &["LRANGE", "dst", "0", "-1"],
        &["BRPOPLPUSH", "src", "dst", "-1"],
        &["BLMOVE", "src", "dst", "left", "left", "abc"],
        &["BLMOVE", "src", "dst", "left", "up", "abc"],
        &["BLMOVE", "src", "dst", "right", "left", "0"],
        &["BLPOP", "nokey", "src", "dst", "0"],
        &["BRPOP", "src", "dst", "0"],
        &["BLPOP", "dst", "-1"],
        &["BLPOP", "dst", "x"],
        &["SET", "s", "v"],
        &["LPUSH", "s", "x"],
        &["RPUSHX", "s", "x"],
        &["LPUSHX", "nokey", "x"],
        &["LPUSHX", "dst", "x", "y"],
        &["RPUSHX", "dst", "z"],
        &["LRANGE", "s", "0", "1"],
        &["LLEN", "s"],
        &["LPOP", "s"],
        &["LMPOP", "2", "nokey", "s", "left"],
        &["BLPOP", "s", "0"],
        &["RPOPLPUSH", "dst", "s"],
        &["LMOVE", "s", "dst", "LEFT", "LEFT"],
        &["TYPE", "dst"],
        &["LPUSH", "l2"],
        &["EXISTS", "l", "src", "dst"],
        &["LRANGE", "dst", "0", "-1"],
    ];
    d.check_all(script);
}

/// LRANGE replies are written straight from the list's nodes: long ranges across nodes,
/// elements with multi-byte lengths, and the same reply inside MULTI/EXEC, a script (which
/// decodes it) and RESP3 must match Redis byte for byte.
#[test]
fn long_lrange_replies_match_redis_everywhere() {
    for fill in ["-2", "3"] {
        let mut d = Differ::new(&["--list-max-listpack-size", fill]);
        let big = "b".repeat(200);
        let huge = "h".repeat(9000);
        for i in 0..700 {
            let v = match i % 7 {
                0 => big.clone(),
                3 => String::new(),
                _ => format!("e{i}"),
            };
            d.check(&["RPUSH", "l", v.as_str()]);
        }
        d.check(&["LPUSH", "l", huge.as_str()]);
        d.check(&["RPUSH", "l", huge.as_str()]);
        for (a, b) in [
            ("0", "-1"),
            ("100", "399"),
            ("-300", "-1"),
            ("1", "1"),
            ("650", "9999"),
        ] {
            d.check(&["LRANGE", "l", a, b]);
        }
        d.check(&["MULTI"]);
        d.check(&["LRANGE", "l", "0", "99"]);
        d.check(&["LRANGE", "l", "5", "2"]);
        d.check(&["EXEC"]);
        d.check(&[
            "EVAL",
            "return redis.call('lrange', KEYS[1], 0, -1)",
            "1",
            "l",
        ]);
        d.check(&[
            "EVAL",
            "return #redis.call('lrange', KEYS[1], 2, 301)",
            "1",
            "l",
        ]);
        d.check(&[
            "EVAL",
            "return redis.pcall('lrange', KEYS[1], 0, 9)",
            "1",
            "l",
        ]);
        d.both(&["HELLO", "3"]); // server name and version differ; the protocol switch is what counts
        d.check(&["LRANGE", "l", "0", "-1"]);
        d.check(&[
            "EVAL",
            "redis.setresp(3); return redis.call('lrange', KEYS[1], 0, 50)",
            "1",
            "l",
        ]);
    }
}

#[derive(Debug, Clone)]
enum Op {
    Push(bool, u8, Vec<String>),
    Pop(bool, u8, Option<u8>),
    Range(u8, i8, i8),
    Trim(u8, i8, i8),
    Rem(u8, i8, String),
    Insert(u8, bool, String, String),
    Set(u8, i8, String),
    Index(u8, i8),
    Pos(u8, String, i8, Option<u8>, u8),
    Move(u8, u8, bool, bool),
    Mpop(Vec<u8>, bool, u8),
    Len(u8),
}

fn key(k: u8) -> String {
    format!("list:{}", k % 3)
}

fn val() -> impl Strategy<Value = String> {
    "[a-c]{1,2}"
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        (
            any::<bool>(),
            any::<u8>(),
            proptest::collection::vec(val(), 1..4)
        )
            .prop_map(|(l, k, v)| Op::Push(l, k, v)),
        (any::<bool>(), any::<u8>(), proptest::option::of(0u8..4))
            .prop_map(|(l, k, c)| Op::Pop(l, k, c)),
        (any::<u8>(), -6i8..6, -6i8..6).prop_map(|(k, a, b)| Op::Range(k, a, b)),
        (any::<u8>(), -6i8..6, -6i8..6).prop_map(|(k, a, b)| Op::Trim(k, a, b)),
        (any::<u8>(), -3i8..3, val()).prop_map(|(k, c, v)| Op::Rem(k, c, v)),
        (any::<u8>(), any::<bool>(), val(), val()).prop_map(|(k, a, p, v)| Op::Insert(k, a, p, v)),
        (any::<u8>(), -6i8..6, val()).prop_map(|(k, i, v)| Op::Set(k, i, v)),
        (any::<u8>(), -6i8..6).prop_map(|(k, i)| Op::Index(k, i)),
        (
            any::<u8>(),
            val(),
            -3i8..3,
            proptest::option::of(0u8..3),
            0u8..4
        )
            .prop_map(|(k, v, r, c, m)| Op::Pos(k, v, r, c, m)),
        (any::<u8>(), any::<u8>(), any::<bool>(), any::<bool>())
            .prop_map(|(a, b, l, r)| Op::Move(a, b, l, r)),
        (
            proptest::collection::vec(any::<u8>(), 1..3),
            any::<bool>(),
            1u8..4
        )
            .prop_map(|(k, l, c)| Op::Mpop(k, l, c)),
        any::<u8>().prop_map(Op::Len),
    ]
}

fn side(left: bool) -> String {
    if left { "LEFT".into() } else { "RIGHT".into() }
}

fn args(op: &Op) -> Vec<String> {
    let s = |x: &str| x.to_string();
    match op {
        Op::Push(l, k, vs) => [
            vec![s(if *l { "LPUSH" } else { "RPUSH" }), key(*k)],
            vs.clone(),
        ]
        .concat(),
        Op::Pop(l, k, c) => {
            let mut v = vec![s(if *l { "LPOP" } else { "RPOP" }), key(*k)];
            v.extend(c.map(|c| c.to_string()));
            v
        }
        Op::Range(k, a, b) => vec![s("LRANGE"), key(*k), a.to_string(), b.to_string()],
        Op::Trim(k, a, b) => vec![s("LTRIM"), key(*k), a.to_string(), b.to_string()],
        Op::Rem(k, c, v) => vec![s("LREM"), key(*k), c.to_string(), v.clone()],
        Op::Insert(k, a, p, v) => {
            vec![
                s("LINSERT"),
                key(*k),
                s(if *a { "AFTER" } else { "BEFORE" }),
                p.clone(),
                v.clone(),
            ]
        }
        Op::Set(k, i, v) => vec![s("LSET"), key(*k), i.to_string(), v.clone()],
        Op::Index(k, i) => vec![s("LINDEX"), key(*k), i.to_string()],
        Op::Pos(k, v, r, c, m) => {
            let mut a = vec![s("LPOS"), key(*k), v.clone()];
            if *r != 0 {
                a.extend([s("RANK"), r.to_string()]);
            }
            if let Some(c) = c {
                a.extend([s("COUNT"), c.to_string()]);
            }
            a.extend([s("MAXLEN"), m.to_string()]);
            a
        }
        Op::Move(a, b, l, r) => vec![s("LMOVE"), key(*a), key(*b), side(*l), side(*r)],
        Op::Mpop(ks, l, c) => {
            let mut a = vec![s("LMPOP"), ks.len().to_string()];
            a.extend(ks.iter().map(|k| key(*k)));
            a.extend([side(*l), s("COUNT"), c.to_string()]);
            a
        }
        Op::Len(k) => vec![s("LLEN"), key(*k)],
    }
}

fn run_sequence(ops: &[Op], extra: &[&str]) -> Result<(), TestCaseError> {
    let mut d = Differ::new(extra);
    for op in ops {
        let a = args(op);
        let (ours, theirs) = d.both(&a);
        prop_assert_eq!(ours, theirs, "after {:?}", a);
    }
    for k in 0..3u8 {
        let a = vec!["LRANGE".to_string(), key(k), "0".into(), "-1".into()];
        let (ours, theirs) = d.both(&a);
        prop_assert_eq!(ours, theirs, "final {:?}", a);
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 16, ..ProptestConfig::default() })]
    #[test]
    fn random_list_sequences_match_redis(ops in proptest::collection::vec(op(), 1..80)) {
        run_sequence(&ops, &[])?;
    }

    /// Nodes of at most two elements: every list spans several nodes, so inserts, trims,
    /// removals and ranges cross node boundaries (our quicklist, db/quicklist.rs).
    #[test]
    fn random_list_sequences_match_redis_with_two_element_nodes(
        ops in proptest::collection::vec(op(), 1..80),
    ) {
        run_sequence(&ops, &["--list-max-listpack-size", "2"])?;
    }
}
