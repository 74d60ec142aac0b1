//! Differential tests for sorted sets: the same commands to real Redis 7.0 and to our node,
//! replies equal (RESP2 and RESP3), including every error path and OBJECT ENCODING.

use proptest::prelude::*;
use shoal_tests::{Differ, Frame, events_until_marker, show};

const SETUP: &[&[&str]] = &[
    &[
        "ZADD", "z", "1", "a", "2", "b", "3", "c", "3", "cc", "-inf", "ninf", "+inf", "pinf",
    ],
    &[
        "ZADD", "lex", "0", "a", "0", "b", "0", "c", "0", "d", "0", "e", "0", "foo", "0", "zap",
    ],
    &["SET", "str", "x"],
];

#[test]
fn zadd_and_single_member_commands_match_redis() {
    let mut d = Differ::new(&[]);
    d.check_all(SETUP);
    d.check_all(&[
        &["ZADD", "z"],
        &["ZADD", "z", "1"],
        &["ZADD", "z", "1", "a", "2"],
        &["ZADD", "z", "NX", "XX", "1", "a"],
        &["ZADD", "z", "NX", "GT", "1", "a"],
        &["ZADD", "z", "GT", "LT", "1", "a"],
        &["ZADD", "z", "INCR", "1", "a", "2", "b"],
        &["ZADD", "z", "nan", "a"],
        &["ZADD", "z", "abc", "a"],
        &["ZADD", "z", " 1", "a"],
        &["ZADD", "z", "1e400", "a"],
        &["ZADD", "z", "0x10", "hex"],
        // Integer scores (the parse fast path) and what falls outside it.
        &["ZADD", "z", "+-1", "a"],
        &["ZADD", "z", "-+1", "a"],
        &["ZADD", "z", "-", "a"],
        &["ZADD", "z", "+", "a"],
        &["ZADD", "z", "1-", "a"],
        &[
            "ZADD",
            "ints",
            "-0",
            "negzero",
            "+7",
            "plus",
            "000000045123",
            "padded",
        ],
        &[
            "ZADD",
            "ints",
            "999999999999999",
            "d15",
            "-999999999999999",
            "nd15",
        ],
        &[
            "ZADD",
            "ints",
            "1234567890123456789",
            "d19",
            "99999999999999999",
            "d17",
        ],
        &["ZADD", "ints", "12345678901234567", "odd17", "1e16", "e16"],
        &["ZRANGE", "ints", "0", "-1", "WITHSCORES"],
        &["ZSCORE", "ints", "negzero"],
        &["ZINCRBY", "ints", "-0", "plus"],
        &["ZPOPMIN", "ints", "3"],
        &["ZPOPMAX", "ints", "3"],
        &["ZADD", "str", "1", "a"],
        &["ZADD", "z", "XX", "10", "a", "10", "new"],
        &["ZADD", "z", "NX", "20", "a", "20", "new2"],
        &["ZADD", "z", "CH", "5", "a", "5", "b", "7", "x"],
        &["ZADD", "z", "GT", "CH", "1", "a", "100", "b"],
        &["ZADD", "z", "LT", "CH", "1", "a", "100", "b"],
        &["ZADD", "z", "GT", "INCR", "-1", "a"],
        &["ZADD", "z", "LT", "INCR", "-1", "a"],
        &["ZADD", "z", "XX", "INCR", "1", "nosuch"],
        &["ZADD", "missing", "XX", "1", "a"],
        &["ZADD", "missing", "XX", "INCR", "1", "a"],
        &["EXISTS", "missing"],
        &["ZADD", "z", "INCR", "0", "a"],
        &["ZADD", "z", "nx", "incr", "1", "a"],
        &["ZINCRBY", "z", "2.5", "a"],
        &["ZINCRBY", "z", "abc", "a"],
        &["ZINCRBY", "z", "-inf", "inc"],
        &["ZINCRBY", "z", "+inf", "inc"],
        &["ZINCRBY", "str", "1", "a"],
        &["ZINCRBY", "z", "0.1", "tenth"],
        &["ZINCRBY", "z", "0.2", "tenth"],
        &["ZINCRBY", "nz", "-0", "m"],
        &["ZSCORE", "nz", "m"],
        &["ZADD", "nz", "-0", "n"],
        &["ZSCORE", "nz", "n"],
        &["ZSCORE", "z", "tenth"],
        &["ZSCORE", "z", "nosuch"],
        &["ZSCORE", "nosuch", "a"],
        &["ZSCORE", "str", "a"],
        &["ZMSCORE", "z", "a", "nosuch", "b"],
        &["ZMSCORE", "nosuch", "a", "b"],
        &["ZMSCORE", "str", "a"],
        &["ZCARD", "z"],
        &["ZCARD", "nosuch"],
        &["ZCARD", "str"],
        &["ZRANK", "z", "a"],
        &["ZRANK", "z", "pinf"],
        &["ZREVRANK", "z", "pinf"],
        &["ZRANK", "z", "nosuch"],
        &["ZRANK", "nosuch", "a"],
        &["ZRANK", "str", "a"],
        &["ZRANK", "z", "a", "WITHSCORE"],
        &["ZREM", "z", "a", "nosuch", "b"],
        &["ZREM", "nosuch", "a"],
        &["ZREM", "str", "a"],
        &["ZREM", "nz", "m", "n"],
        &["EXISTS", "nz"],
        &["ZRANGE", "z", "0", "-1", "WITHSCORES"],
        &["TYPE", "z"],
        &["OBJECT", "ENCODING", "z"],
    ]);
}

#[test]
fn ranges_match_redis() {
    let mut d = Differ::new(&[]);
    d.check_all(SETUP);
    let script: &[&[&str]] = &[
        &["ZRANGE", "z", "0", "-1"],
        &["ZRANGE", "z", "0", "-1", "WITHSCORES"],
        &["ZRANGE", "z", "-3", "-2", "withscores"],
        &["ZRANGE", "z", "5", "1"],
        &["ZRANGE", "z", "100", "200"],
        &["ZRANGE", "z", "-100", "100"],
        &["ZRANGE", "z", "0", "-1", "REV"],
        &["ZRANGE", "z", "0", "1", "REV", "WITHSCORES"],
        &["ZRANGE", "z", "x", "1"],
        &["ZRANGE", "z", "0", "-1", "LIMIT", "0", "1"],
        &["ZRANGE", "z", "0", "-1", "LIMIT", "0"],
        &["ZRANGE", "z", "0", "-1", "BYSCORE", "BYLEX"],
        &["ZRANGE", "z", "0", "-1", "REV", "REV"],
        &["ZRANGE", "z", "0", "-1", "FOO"],
        &["ZRANGE", "z", "(1", "3", "BYSCORE"],
        &["ZRANGE", "z", "(1", "(3", "BYSCORE", "WITHSCORES"],
        &["ZRANGE", "z", "-inf", "+inf", "BYSCORE", "LIMIT", "1", "2"],
        &["ZRANGE", "z", "-inf", "+inf", "BYSCORE", "LIMIT", "-1", "2"],
        &["ZRANGE", "z", "-inf", "+inf", "BYSCORE", "LIMIT", "1", "-1"],
        &["ZRANGE", "z", "-inf", "+inf", "BYSCORE", "LIMIT", "1", "0"],
        &["ZRANGE", "z", "-inf", "+inf", "BYSCORE", "LIMIT", "6", "1"],
        &["ZRANGE", "z", "-inf", "+inf", "BYSCORE", "LIMIT", "x", "1"],
        &[
            "ZRANGE",
            "z",
            "+inf",
            "-inf",
            "BYSCORE",
            "REV",
            "WITHSCORES",
        ],
        &["ZRANGE", "z", "3", "1", "BYSCORE", "REV", "LIMIT", "1", "5"],
        &["ZRANGE", "z", "a", "1", "BYSCORE"],
        &["ZRANGE", "z", "(", "1", "BYSCORE"],
        &["ZRANGE", "z", "nan", "1", "BYSCORE"],
        &["ZRANGE", "z", "", "1", "BYSCORE"],
        &["ZRANGE", "z", " 1", "0x3", "BYSCORE"],
        &["ZRANGE", "lex", "-", "+", "BYLEX"],
        &["ZRANGE", "lex", "[b", "(e", "BYLEX"],
        &["ZRANGE", "lex", "+", "-", "BYLEX", "REV", "LIMIT", "1", "2"],
        &["ZRANGE", "lex", "-", "+", "BYLEX", "WITHSCORES"],
        &["ZRANGE", "lex", "b", "e", "BYLEX"],
        &["ZRANGE", "lex", "+x", "e", "BYLEX"],
        &["ZRANGE", "lex", "", "e", "BYLEX"],
        &["ZRANGE", "nosuch", "0", "-1"],
        &["ZRANGE", "str", "0", "-1"],
        &["ZRANGE", "str", "0", "-1", "LIMIT", "0", "1"],
        &["ZREVRANGE", "z", "0", "-1", "WITHSCORES"],
        &["ZREVRANGE", "z", "0", "-1", "REV"],
        &["ZREVRANGE", "z", "0", "-1", "LIMIT", "0", "1"],
        &["ZRANGEBYSCORE", "z", "1", "3"],
        &[
            "ZRANGEBYSCORE",
            "z",
            "-inf",
            "+inf",
            "WITHSCORES",
            "LIMIT",
            "2",
            "3",
        ],
        &["ZRANGEBYSCORE", "z", "1", "3", "REV"],
        &["ZRANGEBYSCORE", "z", "1", "3", "BYSCORE"],
        &["ZRANGEBYSCORE", "z", "1", "3", "LIMIT", "0"],
        &["ZRANGEBYSCORE", "z", "3", "1"],
        &["ZRANGEBYSCORE", "z", "(3", "3"],
        &["ZREVRANGEBYSCORE", "z", "3", "1", "WITHSCORES"],
        &["ZREVRANGEBYSCORE", "z", "+inf", "(1", "LIMIT", "1", "1"],
        &["ZRANGEBYLEX", "lex", "[aaa", "(g"],
        &["ZRANGEBYLEX", "lex", "-", "+", "LIMIT", "2", "3"],
        &["ZRANGEBYLEX", "lex", "-", "+", "WITHSCORES"],
        &["ZRANGEBYLEX", "lex", "-", "-"],
        &["ZRANGEBYLEX", "lex", "+", "+"],
        &["ZRANGEBYLEX", "lex", "[e", "[b"],
        &["ZREVRANGEBYLEX", "lex", "[g", "[aaa"],
        &["ZREVRANGEBYLEX", "lex", "+", "-", "LIMIT", "0", "2"],
        &["ZCOUNT", "z", "-inf", "+inf"],
        &["ZCOUNT", "z", "(1", "3"],
        &["ZCOUNT", "z", "3", "(3"],
        &["ZCOUNT", "z", "x", "3"],
        &["ZCOUNT", "nosuch", "1", "2"],
        &["ZCOUNT", "str", "1", "2"],
        &["ZLEXCOUNT", "lex", "-", "+"],
        &["ZLEXCOUNT", "lex", "[b", "[f"],
        &["ZLEXCOUNT", "lex", "b", "[f"],
        &["ZLEXCOUNT", "nosuch", "-", "+"],
        &["ZLEXCOUNT", "str", "-", "+"],
        &["ZRANGESTORE", "dst", "z", "0", "-1"],
        &["ZRANGE", "dst", "0", "-1", "WITHSCORES"],
        &[
            "ZRANGESTORE",
            "dst",
            "z",
            "1",
            "3",
            "BYSCORE",
            "LIMIT",
            "0",
            "2",
        ],
        &["ZRANGE", "dst", "0", "-1", "WITHSCORES"],
        &["ZRANGESTORE", "dst", "z", "0", "-1", "WITHSCORES"],
        &["ZRANGESTORE", "dst", "lex", "[c", "-", "BYLEX", "REV"],
        &["ZRANGE", "dst", "0", "-1"],
        &["ZRANGESTORE", "dst", "z", "5", "1"],
        &["EXISTS", "dst"],
        &["ZRANGESTORE", "str", "nosuch", "0", "-1"],
        &["EXISTS", "str"],
        &["SET", "str", "x"],
        &["ZRANGESTORE", "dst", "str", "0", "-1"],
        &["ZRANGESTORE", "str", "z", "0", "0"],
        &["TYPE", "str"],
        &["SET", "str", "x"],
        &["ZREMRANGEBYRANK", "z", "x", "1"],
        &["ZREMRANGEBYRANK", "nosuch", "0", "1"],
        &["ZREMRANGEBYRANK", "str", "0", "1"],
        &["ZREMRANGEBYRANK", "z", "5", "1"],
        &["ZREMRANGEBYRANK", "z", "0", "0"],
        &["ZREMRANGEBYSCORE", "z", "x", "1"],
        &["ZREMRANGEBYSCORE", "z", "(2", "3"],
        &["ZREMRANGEBYLEX", "lex", "x", "1"],
        &["ZREMRANGEBYLEX", "lex", "[b", "(e"],
        &["ZRANGE", "lex", "0", "-1"],
        &["ZRANGE", "z", "0", "-1", "WITHSCORES"],
        &["ZREMRANGEBYRANK", "z", "0", "-1"],
        &["EXISTS", "z"],
        &["ZREMRANGEBYLEX", "lex", "-", "+"],
        &["EXISTS", "lex"],
    ];
    d.check_all(script);
}

#[test]
fn mixed_score_lex_ranges_follow_redis_walks() {
    let mut d = Differ::new(&[]);
    d.check(&[
        "ZADD", "m", "1", "d", "2", "a", "3", "c", "4", "b", "5", "e",
    ]);
    for r in [
        &["ZRANGEBYLEX", "m", "[b", "[d"][..],
        &["ZREVRANGEBYLEX", "m", "[d", "[b"],
        &["ZLEXCOUNT", "m", "[b", "[d"],
        &["ZRANGEBYLEX", "m", "-", "[c"],
        &["ZREMRANGEBYLEX", "m", "[a", "[c"],
        &["ZRANGE", "m", "0", "-1"],
    ] {
        d.check(r);
    }
}

#[test]
fn set_algebra_matches_redis() {
    let mut d = Differ::new(&[]);
    d.check_all(&[
        &["ZADD", "a", "1", "x", "2", "y", "3", "z", "inf", "i"],
        &["ZADD", "b", "10", "y", "20", "z", "30", "w", "-inf", "i"],
        &["ZADD", "c", "0", "z", "0", "zero"],
        &["SET", "str", "v"],
        &["ZUNION", "2", "a", "b"],
        &["ZUNION", "2", "a", "b", "WITHSCORES"],
        &[
            "ZUNION",
            "3",
            "a",
            "b",
            "c",
            "WEIGHTS",
            "1",
            "2",
            "3",
            "WITHSCORES",
        ],
        &["ZUNION", "2", "a", "b", "AGGREGATE", "MIN", "WITHSCORES"],
        &["ZUNION", "2", "a", "b", "AGGREGATE", "max", "WITHSCORES"],
        &["ZUNION", "2", "a", "b", "AGGREGATE", "avg"],
        &["ZUNION", "2", "a", "b", "WEIGHTS", "1"],
        &["ZUNION", "2", "a", "b", "WEIGHTS", "1", "x"],
        &["ZUNION", "1", "c", "WEIGHTS", "-1", "WITHSCORES"],
        &["ZUNION", "2", "a", "c", "WEIGHTS", "0", "1", "WITHSCORES"],
        &["ZUNION", "0", "a"],
        &["ZUNION", "-1", "a"],
        &["ZUNION", "x", "a"],
        &["ZUNION", "3", "a", "b"],
        &["ZUNION", "2", "a", "str"],
        &["ZUNION", "2", "a", "nosuch", "WITHSCORES"],
        &["ZUNION", "2", "a", "b", "WITHSCORES", "FOO"],
        &["ZINTER", "2", "a", "b", "WITHSCORES"],
        &["ZINTER", "2", "a", "b", "AGGREGATE", "MIN", "WITHSCORES"],
        &["ZINTER", "2", "a", "b", "WEIGHTS", "2", "0.5", "WITHSCORES"],
        &["ZINTER", "3", "a", "b", "c"],
        &["ZINTER", "2", "a", "nosuch"],
        &["ZINTER", "2", "str", "a"],
        &["ZINTER", "0", "a"],
        &["ZDIFF", "2", "a", "b", "WITHSCORES"],
        &["ZDIFF", "1", "a"],
        &["ZDIFF", "2", "nosuch", "a"],
        &["ZDIFF", "2", "a", "b", "WEIGHTS", "1", "1"],
        &["ZDIFF", "2", "a", "b", "AGGREGATE", "SUM"],
        &["ZUNIONSTORE", "out", "2", "a", "b", "WEIGHTS", "1", "2"],
        &["ZRANGE", "out", "0", "-1", "WITHSCORES"],
        &["OBJECT", "ENCODING", "out"],
        &["ZUNIONSTORE", "out", "2", "a", "b", "WITHSCORES"],
        &["ZINTERSTORE", "out", "2", "a", "b", "AGGREGATE", "MAX"],
        &["ZRANGE", "out", "0", "-1", "WITHSCORES"],
        &["ZINTERSTORE", "out", "2", "a", "nosuch"],
        &["EXISTS", "out"],
        &["ZDIFFSTORE", "out", "2", "a", "b"],
        &["ZRANGE", "out", "0", "-1", "WITHSCORES"],
        &["ZDIFFSTORE", "out", "0", "a"],
        &["ZDIFFSTORE", "str", "1", "a"],
        &["TYPE", "str"],
        &["ZINTERCARD", "2", "a", "b"],
        &["ZINTERCARD", "2", "a", "b", "LIMIT", "1"],
        &["ZINTERCARD", "2", "a", "b", "LIMIT", "0"],
        &["ZINTERCARD", "2", "a", "b", "LIMIT", "-1"],
        &["ZINTERCARD", "2", "a", "b", "LIMIT", "x"],
        &["ZINTERCARD", "2", "a", "b", "WITHSCORES"],
        &["ZINTERCARD", "0", "a"],
        &["ZINTERCARD", "3", "a", "b"],
    ]);
}

#[test]
fn pops_match_redis() {
    let mut d = Differ::new(&[]);
    d.check_all(&[
        &["ZADD", "z", "1", "a", "2", "b", "3", "c", "4", "d"],
        &["SET", "str", "v"],
        &["ZPOPMIN", "z"],
        &["ZPOPMAX", "z"],
        &["ZPOPMIN", "z", "0"],
        &["ZPOPMIN", "z", "-1"],
        &["ZPOPMIN", "z", "x"],
        &["ZPOPMIN", "z", "1", "2"],
        &["ZPOPMIN", "nosuch"],
        &["ZPOPMIN", "nosuch", "0"],
        &["ZPOPMIN", "str"],
        &["ZPOPMAX", "z", "10"],
        &["EXISTS", "z"],
        &["ZADD", "z", "1", "a", "2", "b", "3", "c", "4", "d"],
        &["ZMPOP", "2", "nosuch", "z", "MIN"],
        &["ZMPOP", "2", "nosuch", "z", "MAX", "COUNT", "2"],
        &["ZMPOP", "1", "nosuch", "MAX"],
        &["ZMPOP", "1", "str", "MAX"],
        &["ZMPOP", "0", "z", "MAX"],
        &["ZMPOP", "x", "z", "MAX"],
        &["ZMPOP", "1", "z", "MED"],
        &["ZMPOP", "2", "z", "MIN"],
        &["ZMPOP", "1", "z", "MIN", "COUNT", "0"],
        &["ZMPOP", "1", "z", "MIN", "COUNT", "x"],
        &["ZMPOP", "1", "z", "MIN", "COUNT", "1", "COUNT", "1"],
        &["ZMPOP", "1", "z", "MIN", "FOO"],
        &["ZMPOP", "1", "z", "MIN", "COUNT", "10"],
        &["EXISTS", "z"],
        &["ZRANDMEMBER", "nosuch"],
        &["ZRANDMEMBER", "nosuch", "5"],
        &["ZRANDMEMBER", "str"],
        &["ZRANDMEMBER", "str", "1"],
        &["ZRANDMEMBER", "str", "x"],
        &["ZRANDMEMBER", "str", "1", "FOO"],
        &["ZRANDMEMBER", "nosuch", "-9223372036854775808"],
        &["ZRANDMEMBER", "nosuch", "9223372036854775807", "WITHSCORES"],
        &["ZRANDMEMBER", "nosuch", "1", "WITHSCORES", "x"],
    ]);
    // Random choices differ; check shapes and membership instead.
    d.check(&["ZADD", "r", "1", "a", "2", "b", "3", "c"]);
    d.check(&["ZRANDMEMBER", "r", "0"]);
    d.check(&["ZRANDMEMBER", "r", "3", "WITHSCORES"]);
    d.check(&["ZRANDMEMBER", "r", "10"]);
    for args in [
        &["ZRANDMEMBER", "r", "-5", "WITHSCORES"][..],
        &["ZRANDMEMBER", "r", "2"],
    ] {
        let (ours, theirs) = d.both(args);
        let (Frame::Array(a), Frame::Array(b)) = (&ours, &theirs) else {
            panic!("arrays expected for {}: {ours:?} {theirs:?}", show(args));
        };
        assert_eq!(a.len(), b.len(), "{}", show(args));
    }
    let one = d.a.cmd(&["ZRANDMEMBER", "r"]);
    assert!([Frame::bulk("a"), Frame::bulk("b"), Frame::bulk("c")].contains(&one));
}

#[test]
fn resp3_shapes_match_redis() {
    let mut d = Differ::new(&[]);
    d.both(&["HELLO", "3"]);
    d.check_all(&[
        &["ZADD", "z", "1.5", "a", "2", "b", "inf", "c"],
        &["ZADD", "z", "INCR", "1", "a"],
        &["ZSCORE", "z", "c"],
        &["ZMSCORE", "z", "a", "x"],
        &["ZRANGE", "z", "0", "-1", "WITHSCORES"],
        &["ZRANGEBYSCORE", "z", "-inf", "+inf", "WITHSCORES"],
        &["ZUNION", "1", "z", "WITHSCORES"],
        &["ZSCAN", "z", "0"],
        &["ZPOPMIN", "z"],
        &["ZPOPMIN", "z", "1"],
        &["ZMPOP", "1", "z", "MAX"],
        &["ZMPOP", "1", "nosuch", "MAX"],
        &["ZRANDMEMBER", "nosuch"],
        &["ZRANK", "nosuch", "a"],
    ]);
}

#[test]
fn encodings_and_conversions_match_redis() {
    let mut d = Differ::new(&[
        "--zset-max-listpack-entries",
        "4",
        "--zset-max-listpack-value",
        "8",
    ]);
    d.check_all(&[
        &["ZADD", "s", "1", "a", "2", "b", "3", "c", "4", "d"],
        &["OBJECT", "ENCODING", "s"],
        &["ZADD", "s", "5", "e"],
        &["OBJECT", "ENCODING", "s"],
        &["ZREM", "s", "a", "b", "c"],
        &["OBJECT", "ENCODING", "s"],
        &["ZADD", "l", "1", "123456789"],
        &["OBJECT", "ENCODING", "l"],
        &["ZADD", "m", "1", "a"],
        &["ZADD", "m", "1", "123456789"],
        &["OBJECT", "ENCODING", "m"],
        &["ZADD", "n", "-0", "x"],
        &["ZADD", "n", "1", "y", "2", "z", "3", "w", "4", "v"],
        &["ZADD", "n", "-0", "u"],
        &["ZRANGE", "n", "0", "-1", "WITHSCORES"],
        &["ZRANGESTORE", "d", "s", "0", "0"],
        &["OBJECT", "ENCODING", "d"],
        &["ZUNIONSTORE", "d", "2", "s", "n"],
        &["OBJECT", "ENCODING", "d"],
        &["ZRANGE", "d", "0", "-1", "WITHSCORES"],
        &["CONFIG", "SET", "zset-max-listpack-entries", "0"],
        &["ZADD", "zero", "1", "a"],
        &["OBJECT", "ENCODING", "zero"],
        &["CONFIG", "GET", "zset-max-ziplist-entries"],
        &["CONFIG", "SET", "zset-max-ziplist-entries", "128"],
        &["CONFIG", "GET", "zset-max-listpack-entries"],
    ]);
}

#[test]
fn zscan_matches_redis_on_listpacks_and_covers_skiplists() {
    let mut d = Differ::new(&[]);
    d.check_all(&[
        &["ZADD", "z", "1", "a", "2.5", "b", "-inf", "c", "3", "ab"],
        &["SET", "str", "v"],
        &["ZSCAN", "z", "0"],
        &["ZSCAN", "z", "0", "MATCH", "a*"],
        &["ZSCAN", "z", "0", "COUNT", "1"],
        &["ZSCAN", "z", "0", "COUNT", "0"],
        &["ZSCAN", "z", "0", "COUNT", "x"],
        &["ZSCAN", "z", "0", "FOO", "x"],
        &["ZSCAN", "z", "x"],
        &["ZSCAN", "z", "-1"],
        &["ZSCAN", "z", "18446744073709551616"],
        &["ZSCAN", "nosuch", "0"],
        &["ZSCAN", "nosuch", "0", "COUNT", "0"],
        &["ZSCAN", "str", "0"],
    ]);
    // A skiplist: the order differs from Redis's hash order, the full set must not.
    let mut args = vec!["ZADD".to_string(), "big".to_string()];
    for i in 0..300 {
        args.push(i.to_string());
        args.push(format!("m{i}"));
    }
    d.check(&args);
    let mut seen = std::collections::BTreeSet::new();
    let mut cursor = "0".to_string();
    for round in 0.. {
        // A cursor that never returns to 0 fails here instead of hanging the suite.
        assert!(round < 10_000, "ZSCAN does not terminate");
        let reply = d.a.cmd(&["ZSCAN", "big", &cursor, "COUNT", "7"]);
        let Frame::Array(parts) = reply else {
            panic!("array")
        };
        let Frame::Bulk(next) = &parts[0] else {
            panic!("cursor")
        };
        let Frame::Array(items) = &parts[1] else {
            panic!("items")
        };
        for pair in items.chunks(2) {
            seen.insert(format!("{:?}", pair[0]));
        }
        cursor = String::from_utf8_lossy(next).to_string();
        if cursor == "0" {
            break;
        }
    }
    assert_eq!(seen.len(), 300);
}

#[test]
fn dump_restore_round_trips_sorted_sets() {
    let mut d = Differ::new(&[]);
    d.check(&["ZADD", "z", "1", "a", "2", "b", "-inf", "c"]);
    let Frame::Bulk(payload) = d.a.cmd(&["DUMP", "z"]) else {
        panic!("payload")
    };
    let restore = |k: &str| {
        let mut v: Vec<Vec<u8>> = vec![b"RESTORE".to_vec(), k.as_bytes().to_vec(), b"0".to_vec()];
        v.push(payload.to_vec());
        v
    };
    assert_eq!(d.a.cmd(&restore("copy")), Frame::ok());
    assert_eq!(
        d.a.cmd(&["ZRANGE", "copy", "0", "-1", "WITHSCORES"]),
        d.b.cmd(&["ZRANGE", "z", "0", "-1", "WITHSCORES"])
    );
    assert_eq!(
        d.a.cmd(&["OBJECT", "ENCODING", "copy"]),
        Frame::bulk("listpack")
    );
}

#[derive(Debug, Clone)]
enum Op {
    Add(u8, Vec<(i8, u8)>, u8),
    Incr(u8, i8, u8),
    Rem(u8, Vec<u8>),
    Range(u8, i8, i8, bool, bool),
    ByScore(u8, i8, i8, bool, Option<(i8, i8)>),
    ByLex(u8, u8, u8, bool),
    RemRange(u8, u8, i8, i8),
    Pop(u8, bool, Option<u8>),
    Store(u8, u8, Vec<u8>, u8),
    Rank(u8, u8, bool),
    Count(u8, i8, i8),
    LexAdd(u8, Vec<u8>),
}

/// Keys for lex commands: every member has score 0 (Redis leaves lex ranges over mixed
/// scores unspecified, and its skiplist answer depends on random node levels).
fn lkey(k: u8) -> String {
    format!("L{}", k % 2)
}

fn key(k: u8) -> String {
    format!("z{}", k % 4)
}

fn member(m: u8) -> String {
    format!("m{}", m % 12)
}

fn op() -> impl Strategy<Value = Op> {
    let k = any::<u8>();
    prop_oneof![
        4 => (k, proptest::collection::vec((any::<i8>(), any::<u8>()), 1..4), 0u8..8)
            .prop_map(|(k, p, f)| Op::Add(k, p, f)),
        1 => (k, any::<i8>(), any::<u8>()).prop_map(|(k, s, m)| Op::Incr(k, s, m)),
        1 => (k, proptest::collection::vec(any::<u8>(), 1..3)).prop_map(|(k, m)| Op::Rem(k, m)),
        1 => (k, -6i8..6, -6i8..6, any::<bool>(), any::<bool>())
            .prop_map(|(k, a, b, r, w)| Op::Range(k, a, b, r, w)),
        1 => (k, -20i8..20, -20i8..20, any::<bool>(), proptest::option::of((-2i8..4, -2i8..4)))
            .prop_map(|(k, a, b, r, l)| Op::ByScore(k, a, b, r, l)),
        1 => (k, any::<u8>(), any::<u8>(), any::<bool>()).prop_map(|(k, a, b, r)| Op::ByLex(k, a, b, r)),
        1 => (k, 0u8..3, -5i8..5, -5i8..5).prop_map(|(k, t, a, b)| Op::RemRange(k, t, a, b)),
        1 => (k, any::<bool>(), proptest::option::of(0u8..4)).prop_map(|(k, m, c)| Op::Pop(k, m, c)),
        1 => (k, 0u8..3, proptest::collection::vec(any::<u8>(), 1..3), 0u8..3)
            .prop_map(|(d, o, s, a)| Op::Store(d, o, s, a)),
        1 => (k, any::<u8>(), any::<bool>()).prop_map(|(k, m, r)| Op::Rank(k, m, r)),
        1 => (k, -20i8..20, -20i8..20).prop_map(|(k, a, b)| Op::Count(k, a, b)),
        2 => (k, proptest::collection::vec(any::<u8>(), 1..5)).prop_map(|(k, m)| Op::LexAdd(k, m)),
    ]
}

fn bound(v: i8) -> String {
    match v {
        -20 => "-inf".into(),
        19 => "+inf".into(),
        v if v % 3 == 0 => format!("({v}"),
        v => v.to_string(),
    }
}

fn lex(v: u8) -> String {
    match v % 8 {
        0 => "-".into(),
        1 => "+".into(),
        2..=4 => format!("[{}", member(v / 8)),
        _ => format!("({}", member(v / 8)),
    }
}

fn args(op: &Op) -> Vec<String> {
    let s = |x: &str| x.to_string();
    match op {
        Op::Add(k, pairs, f) => {
            let mut v = vec![s("ZADD"), key(*k)];
            let flags: &[&str] = match f {
                1 => &["NX"],
                2 => &["XX", "CH"],
                3 => &["GT"],
                4 => &["LT", "CH"],
                5 => &["INCR"],
                _ => &[],
            };
            v.extend(flags.iter().map(|x| s(x)));
            for (sc, m) in pairs {
                v.push((f64::from(*sc) / 4.0).to_string());
                v.push(member(*m));
            }
            v
        }
        Op::Incr(k, by, m) => vec![s("ZINCRBY"), key(*k), by.to_string(), member(*m)],
        Op::Rem(k, ms) => [
            vec![s("ZREM"), key(*k)],
            ms.iter().map(|m| member(*m)).collect(),
        ]
        .concat(),
        Op::Range(k, a, b, rev, ws) => {
            let mut v = vec![s("ZRANGE"), key(*k), a.to_string(), b.to_string()];
            if *rev {
                v.push(s("REV"));
            }
            if *ws {
                v.push(s("WITHSCORES"));
            }
            v
        }
        Op::ByScore(k, a, b, rev, limit) => {
            let name = if *rev {
                "ZREVRANGEBYSCORE"
            } else {
                "ZRANGEBYSCORE"
            };
            let mut v = vec![s(name), key(*k), bound(*a), bound(*b), s("WITHSCORES")];
            if let Some((o, c)) = limit {
                v.extend([s("LIMIT"), o.to_string(), c.to_string()]);
            }
            v
        }
        Op::ByLex(k, a, b, rev) => {
            let name = if *rev {
                "ZREVRANGEBYLEX"
            } else {
                "ZRANGEBYLEX"
            };
            vec![s(name), lkey(*k), lex(*a), lex(*b)]
        }
        Op::RemRange(k, t, a, b) => match t {
            0 => vec![s("ZREMRANGEBYRANK"), key(*k), a.to_string(), b.to_string()],
            1 => vec![s("ZREMRANGEBYSCORE"), key(*k), bound(*a), bound(*b)],
            _ => vec![s("ZREMRANGEBYLEX"), lkey(*k), lex(*a as u8), lex(*b as u8)],
        },
        Op::Pop(k, max, c) => {
            let mut v = vec![s(if *max { "ZPOPMAX" } else { "ZPOPMIN" }), key(*k)];
            if let Some(c) = c {
                v.push(c.to_string());
            }
            v
        }
        Op::Store(d, o, srcs, agg) => {
            let name = ["ZUNIONSTORE", "ZINTERSTORE", "ZDIFFSTORE"][usize::from(*o)];
            let mut v = vec![s(name), key(*d), srcs.len().to_string()];
            v.extend(srcs.iter().map(|k| key(*k)));
            if *o < 2 {
                v.extend([s("AGGREGATE"), s(["SUM", "MIN", "MAX"][usize::from(*agg)])]);
            }
            v
        }
        Op::Rank(k, m, rev) => vec![
            s(if *rev { "ZREVRANK" } else { "ZRANK" }),
            key(*k),
            member(*m),
        ],
        Op::Count(k, a, b) => vec![s("ZCOUNT"), key(*k), bound(*a), bound(*b)],
        Op::LexAdd(k, ms) => {
            let mut v = vec![s("ZADD"), lkey(*k)];
            for m in ms {
                v.extend([s("0"), member(*m)]);
            }
            v
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 24, ..ProptestConfig::default() })]
    #[test]
    fn random_zset_sequences_match_redis(ops in proptest::collection::vec(op(), 1..80)) {
        let mut d = Differ::new(&["--zset-max-listpack-entries", "6"]);
        for op in &ops {
            let a = args(op);
            let (ours, theirs) = d.both(&a);
            prop_assert_eq!(ours, theirs, "after {:?}", a);
        }
        for k in ["z0", "z1", "z2", "z3", "L0", "L1"] {
            let k = k.to_string();
            let a = ["ZRANGE".to_string(), k.clone(), "0".into(), "-1".into(), "WITHSCORES".into()];
            let (ours, theirs) = d.both(&a);
            prop_assert_eq!(ours, theirs);
            let e = ["OBJECT".to_string(), "ENCODING".into(), k];
            let (ours, theirs) = d.both(&e);
            prop_assert_eq!(ours, theirs);
        }
    }
}

#[test]
fn keyspace_events_match_redis() {
    let mut d = Differ::new(&["--notify-keyspace-events", "KEA"]);
    let mut subs = [
        shoal_tests::RawClient::connect(d.ours.port).expect("connect"),
        shoal_tests::RawClient::connect(d.redis.port).expect("connect"),
    ];
    for s in &mut subs {
        s.cmd(&["PSUBSCRIBE", "__key*__:*"]);
    }
    d.check_all(&[
        &["ZADD", "z", "1", "a", "2", "b", "3", "c"],
        &["ZADD", "z", "NX", "1", "a"],
        &["ZINCRBY", "z", "1", "a"],
        &["ZREM", "z", "nosuch"],
        &["ZREM", "z", "a"],
        &["ZREMRANGEBYSCORE", "z", "2", "2"],
        &["ZADD", "y", "1", "q", "2", "r"],
        &["ZUNIONSTORE", "u", "2", "z", "y"],
        &["ZINTERSTORE", "u", "2", "z", "y"],
        &["ZRANGESTORE", "r", "y", "0", "0"],
        &["ZPOPMIN", "y"],
        &["ZMPOP", "1", "y", "MAX"],
        &["ZREMRANGEBYRANK", "z", "0", "-1"],
        &["SET", "marker", "1"],
    ]);
    let ours = events_until_marker(&mut subs[0]);
    let theirs = events_until_marker(&mut subs[1]);
    assert_eq!(ours, theirs);
}

/// Pops from both ends of a large (skiplist) set whose blocks fill, split and empty: the
/// popped members, their scores and what is left match Redis.
#[test]
fn pops_across_skiplist_blocks_match_redis() {
    let mut d = Differ::new(&[]);
    for i in 0..3000u32 {
        // Scores collide (ties order by member) and mix integers with fractions.
        let score = if i % 5 == 0 {
            format!("{}.25", i % 97)
        } else {
            (i % 97).to_string()
        };
        d.check(&["ZADD", "big", score.as_str(), format!("m{i}").as_str()]);
    }
    for round in 0..40 {
        let n = (round * 37 % 150 + 1).to_string();
        d.check(&["ZPOPMIN", "big", n.as_str()]);
        d.check(&["ZPOPMAX", "big"]);
        d.check(&["ZPOPMIN", "big"]);
        d.check(&["ZADD", "big", "50", format!("new{round}").as_str()]);
        d.check(&["ZRANGE", "big", "1000", "1010", "WITHSCORES"]);
        d.check(&["ZRANK", "big", "m1500"]);
    }
    d.check(&["ZCARD", "big"]);
    d.check(&["ZPOPMIN", "big", "100000"]);
    d.check(&["EXISTS", "big"]);
}
