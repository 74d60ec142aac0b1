//! Differential tests for the stream commands (XADD, XLEN, XRANGE, XREVRANGE, XDEL, XTRIM,
//! XSETID, XREAD, XINFO STREAM / HELP): replies must equal real Redis 7.0's, in RESP2 and
//! RESP3, for every option and error; XREAD BLOCK wake-ups and timeouts with two clients;
//! keyspace events; a replica of our node ends identical after `*` IDs and approximate
//! trims; DUMP/RESTORE round trips; random sequences with explicit IDs.

use std::time::Duration;

use proptest::prelude::*;
use shoal_tests::{
    Differ, DifferN, Frame, Proc, info_field, link_up, offsets_match, wait_blocked, wait_until,
};

/// Runs `script` on both servers in RESP2, then again from an empty keyspace in RESP3.
fn run_both_protocols(d: &mut Differ, script: &[&[&str]]) {
    for proto in ["2", "3"] {
        d.check(&["FLUSHALL"]);
        d.both(&["HELLO", proto]);
        d.check_all(script);
    }
}

/// `XADD key id f<i> v<i>` for ids `<from>-1 .. <to-1>-1`.
fn fill(d: &mut Differ, key: &str, from: u64, to: u64) {
    for i in from..to {
        let id = format!("{i}-1");
        let f = format!("f{}", i % 3);
        let v = format!("v{i}");
        d.check(&["XADD", key, &id, &f, &v]);
    }
}

#[test]
fn command_info_matches_redis() {
    let mut d = Differ::new(&[]);
    for name in [
        "xadd",
        "xlen",
        "xrange",
        "xrevrange",
        "xdel",
        "xtrim",
        "xsetid",
        "xread",
        "xinfo|stream",
        "xinfo|help",
        "xinfo|groups",
        "xinfo|consumers",
        "xgroup|create",
        "xgroup|setid",
        "xgroup|destroy",
        "xgroup|createconsumer",
        "xgroup|delconsumer",
        "xgroup|help",
        "xreadgroup",
        "xack",
        "xpending",
        "xclaim",
        "xautoclaim",
    ] {
        d.check(&["COMMAND", "INFO", name]);
    }
    d.check(&[
        "COMMAND", "GETKEYS", "XREAD", "COUNT", "2", "STREAMS", "a", "b", "0", "0",
    ]);
    d.check(&["COMMAND", "GETKEYS", "XADD", "s", "*", "f", "v"]);
}

#[test]
fn xadd_ids_and_errors_match_redis() {
    let mut d = Differ::new(&[]);
    run_both_protocols(
        &mut d,
        &[
            &["XADD", "s", "1-1", "f", "v"],
            &["XADD", "s", "1-1", "f", "v"],
            &["XADD", "s", "1-0", "f", "v"],
            &["XADD", "s", "1", "f", "v"],
            &["XADD", "s", "2", "f", "v"],
            &["XADD", "s", "2-*", "f", "v"],
            &["XADD", "s", "5-*", "f", "v"],
            &["XADD", "s", "1-*", "f", "v"],
            &["XADD", "s", "0-0", "f", "v"],
            &["XADD", "new", "0-0", "f", "v"],
            &["XADD", "new", "0", "f", "v"],
            &["XADD", "new", "0-*", "f", "v"],
            &["XADD", "new", "0-*", "f", "v"],
            &["XADD", "s", "-", "f", "v"],
            &["XADD", "s", "+", "f", "v"],
            &["XADD", "s", "abc", "f", "v"],
            &["XADD", "s", "1-x", "f", "v"],
            &["XADD", "s", "-5", "f", "v"],
            &["XADD", "s", "10-1-1", "f", "v"],
            &[
                "XADD",
                "s",
                "18446744073709551615-18446744073709551614",
                "f",
                "v",
            ],
            &["XADD", "s", "18446744073709551615-*", "f", "v"],
            &[
                "XADD",
                "s",
                "18446744073709551615-18446744073709551615",
                "f",
                "v",
            ],
            &["XADD", "s", "*", "f", "v"],
            &["XADD", "s", "18446744073709551616", "f", "v"],
            &["XADD", "t", "007-+3", "f", "v"],
            &["XADD", "t", " 8", "f", "v"],
            &["XADD", "t", "9-01", "f", "v"],
            &["XRANGE", "t", "-", "+"],
            &["XADD", "s2", "1-1", "f"],
            &["XADD", "s2", "1-1", "f", "v", "g"],
            &["XADD", "s2", "1-1"],
            &["XADD", "s2", "NOMKSTREAM", "1-1"],
            &["XADD", "s2", "NOMKSTREAM", "1-1", "f", "v"],
            &["EXISTS", "s2"],
            &["XADD", "s2", "nomkstream", "maxlen", "5", "1-1", "f", "v"],
            &["XADD", "s2", "MAXLEN", "-1", "1-1", "f", "v"],
            &["XADD", "s2", "MAXLEN", "x", "1-1", "f", "v"],
            &["XADD", "s2", "MAXLEN", "=", "x", "1-1", "f", "v"],
            &["XADD", "s2", "MAXLEN", "1", "MINID", "1", "1-1", "f", "v"],
            &["XADD", "s2", "MINID", "1", "MAXLEN", "1", "1-1", "f", "v"],
            &["XADD", "s2", "MINID", "-", "1-1", "f", "v"],
            &["XADD", "s2", "MINID", "x", "1-1", "f", "v"],
            &["XADD", "s2", "LIMIT", "5", "1-1", "f", "v"],
            &["XADD", "s2", "LIMIT", "0", "1-1", "f", "v"],
            &["XADD", "s2", "MAXLEN", "5", "LIMIT", "5", "1-1", "f", "v"],
            &[
                "XADD", "s2", "MAXLEN", "~", "5", "LIMIT", "-1", "1-1", "f", "v",
            ],
            &[
                "XADD", "s2", "MAXLEN", "~", "5", "LIMIT", "x", "1-1", "f", "v",
            ],
            &[
                "XADD", "s2", "MAXLEN", "~", "5", "LIMIT", "5", "1-1", "f", "v",
            ],
            &["XADD", "s2", "MAXLEN", "=", "1", "2-1", "f", "v"],
            &["XADD", "s2", "MINID", "=", "3", "3-1", "f", "v", "f2", "v2"],
            &["XRANGE", "s2", "-", "+"],
            &["XLEN", "s2"],
            &["SET", "str", "x"],
            &["XADD", "str", "1-1", "f", "v"],
            &["XADD", "str", "NOMKSTREAM", "1-1", "f", "v"],
            &["XLEN", "str"],
            &["XLEN", "nokey"],
            &["XADD", "s"],
            &["XLEN"],
            &["TYPE", "s"],
            &["OBJECT", "ENCODING", "s"],
            &["SCAN", "0", "TYPE", "stream", "MATCH", "s2", "COUNT", "100"],
            &["SCAN", "0", "TYPE", "string", "MATCH", "s*", "COUNT", "100"],
        ],
    );
}

#[test]
fn xadd_star_generates_increasing_ids() {
    let mut d = Differ::new(&[]);
    let first = d.a.cmd(&["XADD", "s", "*", "f", "v"]);
    let second = d.a.cmd(&["XADD", "s", "*", "f", "v"]);
    let (Frame::Bulk(a), Frame::Bulk(b)) = (&first, &second) else {
        panic!("XADD * replied {first:?} {second:?}");
    };
    let parse = |x: &[u8]| {
        let s = std::str::from_utf8(x).expect("utf8");
        let (ms, seq) = s.split_once('-').expect("ms-seq");
        (
            ms.parse::<u64>().expect("ms"),
            seq.parse::<u64>().expect("seq"),
        )
    };
    assert!(parse(a) < parse(b), "{a:?} then {b:?}");
    // Past a far-future last ID, `*` increments the sequence.
    d.check(&["XADD", "f", "99999999999999-5", "f", "v"]);
    d.check(&["XADD", "f", "*", "f", "v"]);
    d.check(&["XADD", "f", "99999999999999-*", "f", "v"]);
    d.check(&[
        "XADD",
        "g",
        "18446744073709551615-18446744073709551615",
        "f",
        "v",
    ]);
    d.check(&["XADD", "g", "*", "f", "v"]);
    d.check(&["XADD", "g", "MAXLEN", "0", "*", "f", "v"]);
}

#[test]
fn ranges_match_redis() {
    let mut d = Differ::new(&[]);
    for proto in ["2", "3"] {
        d.check(&["FLUSHALL"]);
        d.both(&["HELLO", proto]);
        fill(&mut d, "s", 1, 30);
        d.check(&["XADD", "s", "30-0", "a", "1", "b", "2"]);
        d.check(&["XADD", "s", "30-5", "a", "1", "b", "2", "c", "3"]);
        for cmd in [
            &["XRANGE", "s", "-", "+"][..],
            &["XRANGE", "s", "-", "+", "COUNT", "3"],
            &["XRANGE", "s", "-", "+", "COUNT", "0"],
            &["XRANGE", "s", "-", "+", "COUNT", "-4"],
            &["XRANGE", "nokey", "-", "+", "COUNT", "0"],
            &["XRANGE", "s", "-", "+", "count", "2", "COUNT", "4"],
            &["XRANGE", "s", "5", "7"],
            &["XRANGE", "s", "5-1", "7-0"],
            &["XRANGE", "s", "(5-1", "(7-1"],
            &["XRANGE", "s", "(5", "(8"],
            &["XRANGE", "s", "30", "30"],
            &["XRANGE", "s", "(30-0", "+"],
            &["XRANGE", "s", "9", "3"],
            &["XRANGE", "s", "(-", "+"],
            &["XRANGE", "s", "-", "(+"],
            &["XRANGE", "s", "(0-0", "+", "COUNT", "1"],
            &[
                "XRANGE",
                "s",
                "(18446744073709551615-18446744073709551615",
                "+",
            ],
            &["XRANGE", "s", "-", "(0-0"],
            &["XRANGE", "s", "(", "+"],
            &["XRANGE", "s", "x", "+"],
            &["XRANGE", "s", "-", "+", "COUNT"],
            &["XRANGE", "s", "-", "+", "COUNT", "x"],
            &["XRANGE", "s", "-", "+", "LIMIT", "1"],
            &["XRANGE", "nokey", "-", "+"],
            &["XRANGE", "s", "-"],
            &["XREVRANGE", "s", "+", "-"],
            &["XREVRANGE", "s", "+", "-", "COUNT", "4"],
            &["XREVRANGE", "s", "+", "-", "COUNT", "0"],
            &["XREVRANGE", "s", "7", "5"],
            &["XREVRANGE", "s", "(7-1", "(5-1"],
            &["XREVRANGE", "s", "5", "7"],
            &["XREVRANGE", "s", "(0-0", "-"],
            &[
                "XREVRANGE",
                "s",
                "+",
                "(18446744073709551615-18446744073709551615",
            ],
            &["XREVRANGE", "s", "y", "x"],
            &["XREVRANGE", "nokey", "+", "-"],
        ] {
            d.check(cmd);
        }
        d.check(&["SET", "str", "x"]);
        d.check(&["XRANGE", "str", "-", "+"]);
        d.check(&["XREVRANGE", "str", "+", "-"]);
    }
}

#[test]
fn xdel_and_xtrim_match_redis() {
    let mut d = Differ::new(&[]);
    for proto in ["2", "3"] {
        d.check(&["FLUSHALL"]);
        d.both(&["HELLO", proto]);
        fill(&mut d, "s", 1, 260);
        for cmd in [
            &["XDEL", "s", "1-1", "2-1", "2-1", "999-1"][..],
            &["XDEL", "s", "3-1", "x"],
            &["XDEL", "s", "-"],
            &["XDEL", "nokey", "x"],
            &["XDEL", "s", "5"],
            &["XDEL", "s", "6-2"],
            &["XLEN", "s"],
            &["XINFO", "STREAM", "s"],
            &["XTRIM", "s", "MAXLEN", "~", "200"],
            &["XINFO", "STREAM", "s"],
            &["XTRIM", "s", "MAXLEN", "~", "100", "LIMIT", "10"],
            &["XTRIM", "s", "MAXLEN", "~", "100", "LIMIT", "100"],
            &["XTRIM", "s", "MAXLEN", "150"],
            &["XTRIM", "s", "MAXLEN", "=", "140"],
            &["XINFO", "STREAM", "s"],
            &["XTRIM", "s", "MINID", "~", "210"],
            &["XTRIM", "s", "MINID", "215"],
            &["XTRIM", "s", "MINID", "=", "215-2"],
            &["XRANGE", "s", "-", "+", "COUNT", "3"],
            &["XINFO", "STREAM", "s"],
            &["XTRIM", "s", "MINID", "~", "0", "LIMIT", "0"],
            &["XTRIM", "s"],
            &["XTRIM", "s", "MAXLEN"],
            &["XTRIM", "s", "FOO", "1"],
            &["XTRIM", "s", "LIMIT", "1"],
            &["XTRIM", "s", "MAXLEN", "1", "LIMIT", "1"],
            &["XTRIM", "s", "MAXLEN", "-1"],
            &["XTRIM", "s", "MAXLEN", "1", "MINID", "1"],
            &["XTRIM", "s", "MINID", "+"],
            &["XTRIM", "nokey", "FOO"],
            &["XTRIM", "s", "MAXLEN", "0"],
            &["XLEN", "s"],
            &["EXISTS", "s"],
            &["XINFO", "STREAM", "s"],
            &["XDEL", "s", "1-1"],
            &["SET", "str", "x"],
            &["XDEL", "str", "1-1"],
            &["XTRIM", "str", "MAXLEN", "1"],
        ] {
            d.check(cmd);
        }
        // Emptying by XDEL keeps the key, its last ID and counters.
        d.check(&["XADD", "e", "1-1", "a", "b"]);
        d.check(&["XADD", "e", "2-1", "a", "b"]);
        d.check(&["XDEL", "e", "2-1", "1-1"]);
        d.check(&["XINFO", "STREAM", "e"]);
        d.check(&["XADD", "e", "2-1", "a", "b"]);
        d.check(&["XADD", "e", "3-1", "a", "b"]);
        d.check(&["XINFO", "STREAM", "e"]);
    }
}

#[test]
fn large_entries_split_nodes_like_redis() {
    let mut d = Differ::new(&[]);
    let big = "x".repeat(700);
    let mid = "12345678901";
    for i in 1..40u64 {
        let id = format!("{i}-0");
        let v = if i % 5 == 0 { big.as_str() } else { mid };
        let f = if i % 7 == 0 { "other" } else { "field" };
        d.check(&["XADD", "s", &id, f, v, "n", &i.to_string()]);
    }
    d.check(&["XINFO", "STREAM", "s"]);
    d.check(&["XTRIM", "s", "MAXLEN", "~", "20"]);
    d.check(&["XINFO", "STREAM", "s"]);
    d.check(&["XTRIM", "s", "MINID", "~", "33"]);
    d.check(&["XINFO", "STREAM", "s", "FULL"]);
}

/// `stream-node-max-entries` / `stream-node-max-bytes` decide where nodes split, which
/// approximate trims and XINFO's counts show.
#[test]
fn node_size_settings_match_redis() {
    let mut d = Differ::new(&[]);
    d.check(&["CONFIG", "GET", "stream-node-max-bytes"]);
    d.check(&["CONFIG", "GET", "stream-node-max-entries"]);
    for (entries, bytes) in [("5", "4096"), ("0", "200"), ("3", "0"), ("100", "1k")] {
        d.check(&["FLUSHALL"]);
        d.check(&["CONFIG", "SET", "stream-node-max-entries", entries]);
        d.check(&["CONFIG", "SET", "stream-node-max-bytes", bytes]);
        d.check(&["CONFIG", "GET", "stream-node-max-bytes"]);
        d.check(&["CONFIG", "GET", "stream-node-max-entries"]);
        fill(&mut d, "s", 1, 40);
        d.check(&["XINFO", "STREAM", "s"]);
        d.check(&["XTRIM", "s", "MAXLEN", "~", "17"]);
        d.check(&["XADD", "s", "MAXLEN", "~", "9", "50-1", "a", "b"]);
        d.check(&["XINFO", "STREAM", "s"]);
        d.check(&["XTRIM", "s", "MINID", "~", "38"]);
        d.check(&["XINFO", "STREAM", "s", "FULL"]);
    }
    d.check(&["CONFIG", "SET", "stream-node-max-entries", "-1"]);
    d.check(&["CONFIG", "SET", "stream-node-max-bytes", "x"]);
}

#[test]
fn xsetid_matches_redis() {
    let mut d = Differ::new(&[]);
    run_both_protocols(
        &mut d,
        &[
            &["XSETID", "nokey", "5-5"],
            &["XADD", "s", "1-1", "a", "b"],
            &["XADD", "s", "2-1", "a", "b"],
            &["XSETID", "s", "1-1"],
            &["XSETID", "s", "2-1"],
            &["XSETID", "s", "10-1"],
            &["XADD", "s", "5-1", "a", "b"],
            &["XADD", "s", "15-1", "a", "b"],
            &["XSETID", "s", "20", "ENTRIESADDED", "1"],
            &["XSETID", "s", "20", "ENTRIESADDED", "-1"],
            &["XSETID", "s", "20", "ENTRIESADDED", "x"],
            &[
                "XSETID",
                "s",
                "20",
                "ENTRIESADDED",
                "100",
                "MAXDELETEDID",
                "3-0",
            ],
            &["XSETID", "s", "20", "MAXDELETEDID", "30-0"],
            &["XSETID", "s", "20", "MAXDELETEDID", "x"],
            &["XSETID", "s", "20", "MAXDELETEDID", "2-5"],
            &["XSETID", "s", "20", "MAXDELETEDID"],
            &["XSETID", "s", "20", "FOO", "1"],
            &["XSETID", "s", "+"],
            &["XSETID", "s", "x"],
            &["XINFO", "STREAM", "s"],
            &["XDEL", "s", "2-1", "1-1"],
            &["XSETID", "s", "1-5"],
            &["XSETID", "s", "3-0"],
            &["XDEL", "s", "99999999999999999-0"],
            &[
                "XSETID",
                "s",
                "99999999999999999-0",
                "MAXDELETEDID",
                "99999999999999999-1",
            ],
            &["XINFO", "STREAM", "s"],
            &["SET", "str", "x"],
            &["XSETID", "str", "1-1"],
        ],
    );
}

#[test]
fn xinfo_stream_matches_redis() {
    let mut d = Differ::new(&[]);
    for proto in ["2", "3"] {
        d.check(&["FLUSHALL"]);
        d.both(&["HELLO", proto]);
        d.check(&["XINFO", "HELP"]);
        d.check(&["XINFO", "STREAM", "nokey"]);
        d.check(&["XADD", "s", "1-1", "a", "b"]);
        d.check(&["XINFO", "STREAM", "s"]);
        fill(&mut d, "s", 2, 130);
        for cmd in [
            &["XINFO", "STREAM", "s"][..],
            &["XINFO", "STREAM", "s", "FULL"],
            &["XINFO", "STREAM", "s", "FULL", "COUNT", "3"],
            &["XINFO", "STREAM", "s", "FULL", "COUNT", "0"],
            &["XINFO", "STREAM", "s", "FULL", "COUNT", "-1"],
            &["XINFO", "STREAM", "s", "FULL", "COUNT", "x"],
            &["XINFO", "STREAM", "s", "FULL", "COUNT"],
            &["XINFO", "STREAM", "s", "FULL", "LIMIT", "1"],
            &["XINFO", "STREAM", "s", "PARTIAL"],
            &["XINFO", "STREAM", "s", "PARTIAL", "COUNT", "1"],
            &["XINFO", "STREAM", "s", "FULL", "COUNT", "1", "x"],
            &["XINFO", "STREAM", "s", "FULL", "x", "y"],
            &["XINFO", "STREAM", "nokey", "FULL", "COUNT", "x"],
            &["XINFO", "STREAM", "nokey", "FULL", "x"],
            &["XINFO", "STREAM"],
            &["XINFO"],
            &["XINFO", "FOO"],
            &["XINFO", "HELP", "x"],
        ] {
            d.check(cmd);
        }
        d.check(&["SET", "str", "x"]);
        d.check(&["XINFO", "STREAM", "str"]);
    }
}

#[test]
fn xread_matches_redis() {
    let mut d = Differ::new(&[]);
    for proto in ["2", "3"] {
        d.check(&["FLUSHALL"]);
        d.both(&["HELLO", proto]);
        fill(&mut d, "a", 1, 6);
        fill(&mut d, "b", 3, 9);
        for cmd in [
            &["XREAD", "STREAMS", "a", "0"][..],
            &["XREAD", "COUNT", "2", "STREAMS", "a", "b", "0", "4"],
            &["XREAD", "COUNT", "0", "STREAMS", "a", "b", "2-1", "0-0"],
            &["XREAD", "COUNT", "-3", "STREAMS", "a", "1"],
            &["XREAD", "STREAMS", "a", "b", "$", "$"],
            &["XREAD", "STREAMS", "a", "nokey", "5-1", "0"],
            &["XREAD", "STREAMS", "nokey", "0"],
            &["XREAD", "STREAMS", "a", ">"],
            &["XREAD", "STREAMS", "a", "-"],
            &["XREAD", "STREAMS", "a", "+"],
            &["XREAD", "STREAMS", "a", "x"],
            &["XREAD", "STREAMS", "a", "b", "0"],
            &["XREAD", "STREAMS", "a"],
            &["XREAD", "COUNT", "x", "STREAMS", "a", "0"],
            &["XREAD", "BLOCK", "x", "STREAMS", "a", "0"],
            &["XREAD", "BLOCK", "-1", "STREAMS", "a", "0"],
            &["XREAD", "BLOCK", "1.5", "STREAMS", "a", "0"],
            &["XREAD", "BLOCK", "100", "STREAMS", "a", "0"],
            &["XREAD", "FOO", "STREAMS", "a", "0"],
            &["XREAD", "COUNT", "1"],
            &["XREAD", "COUNT", "1", "a", "b"],
            &["XREAD", "STREAMS", "STREAMS", "0"],
            &["MULTI"],
            &["XREAD", "BLOCK", "0", "STREAMS", "a", "$"],
            &["XREAD", "BLOCK", "0", "STREAMS", "a", "0"],
            &["EXEC"],
        ] {
            d.check(cmd);
        }
        d.check(&["SET", "str", "x"]);
        d.check(&["XREAD", "STREAMS", "a", "str", "0", "0"]);
        d.check(&["XDEL", "a", "5-1"]);
        d.check(&["XREAD", "STREAMS", "a", "4-1"]);
        d.check(&[
            "EVAL",
            "return redis.call('XREAD', 'BLOCK', '0', 'STREAMS', KEYS[1], '0')",
            "1",
            "a",
        ]);
    }
}

/// Two clients: one blocks in XREAD, the other writes.
#[test]
fn xread_block_is_woken_by_xadd() {
    for proto in ["2", "3"] {
        let mut t = DifferN::new(&[], 2);
        t.both(0, &["HELLO", proto]);
        t.check(1, &["XADD", "s", "1-1", "a", "b"]);
        send_both(
            &mut t,
            0,
            &["XREAD", "BLOCK", "0", "STREAMS", "s", "other", "$", "$"],
        );
        wait_both_blocked(&mut t, 1);
        // Writes that do not pass the blocked ID leave the client waiting.
        t.check(1, &["XADD", "other", "NOMKSTREAM", "1-1", "a", "b"]);
        t.check(1, &["XDEL", "s", "1-1"]);
        t.check(1, &["SET", "marker", "1"]);
        wait_both_blocked(&mut t, 1);
        t.check(1, &["XADD", "s", "2-1", "c", "d"]);
        read_both(&mut t, 0);
        // COUNT limits what a woken client gets; an entry added in the same MULTI is there.
        send_both(
            &mut t,
            0,
            &["XREAD", "COUNT", "1", "BLOCK", "0", "STREAMS", "s", "2-1"],
        );
        wait_both_blocked(&mut t, 1);
        t.check(1, &["MULTI"]);
        t.check(1, &["XADD", "s", "3-1", "e", "f"]);
        t.check(1, &["XADD", "s", "4-1", "g", "h"]);
        t.check(1, &["EXEC"]);
        read_both(&mut t, 0);
        // XSETID past the blocked ID does not wake the client; the next XADD does.
        send_both(&mut t, 0, &["XREAD", "BLOCK", "0", "STREAMS", "s", "$"]);
        wait_both_blocked(&mut t, 1);
        t.check(1, &["XSETID", "s", "100-0"]);
        t.check(1, &["SET", "marker", "2"]);
        wait_both_blocked(&mut t, 1);
        t.check(1, &["XADD", "s", "101-1", "i", "j"]);
        read_both(&mut t, 0);
        // A timeout answers a null array.
        t.check(0, &["XREAD", "BLOCK", "50", "STREAMS", "s", "$"]);
        // Pipelined commands after a blocked XREAD run once it is served.
        send_both(&mut t, 0, &["XREAD", "BLOCK", "0", "STREAMS", "s", "$"]);
        send_both(&mut t, 0, &["PING"]);
        wait_both_blocked(&mut t, 1);
        unblock_xread_client(&mut t);
        read_both(&mut t, 0);
        read_both(&mut t, 0);
    }
}

/// `CLIENT UNBLOCK <id> TIMEOUT` for the client blocked in XREAD, on each server with its
/// own id (ids may differ between the servers); the replies must match.
fn unblock_xread_client(t: &mut DifferN) {
    let (ours, theirs) = t.clients(1);
    let mut replies = Vec::new();
    for c in [ours, theirs] {
        let list = c.cmd(&["CLIENT", "LIST"]);
        let text = String::from_utf8_lossy(list.as_bytes().expect("bulk")).into_owned();
        let id = text
            .lines()
            .find(|l| l.contains("cmd=xread"))
            .and_then(|l| l.split(' ').next())
            .and_then(|f| f.strip_prefix("id="))
            .expect("a client in xread")
            .to_string();
        replies.push(c.cmd(&["CLIENT", "UNBLOCK", &id, "TIMEOUT"]));
    }
    assert_eq!(replies[0], replies[1], "CLIENT UNBLOCK replies differ");
}

/// Sends `args` from client `i` on both servers without reading the reply (a command that
/// blocks, or one queued behind it).
fn send_both<S: AsRef<[u8]>>(t: &mut DifferN, i: usize, args: &[S]) {
    let (ours, theirs) = t.clients(i);
    ours.send(args);
    theirs.send(args);
}

fn wait_both_blocked(t: &mut DifferN, n: usize) {
    let (ours, theirs) = t.clients(1);
    wait_blocked(ours, n);
    wait_blocked(theirs, n);
}

fn read_both(t: &mut DifferN, i: usize) {
    let (ours, theirs) = t.clients(i);
    let a = ours.read();
    let b = theirs.read();
    assert_eq!(a, b, "client {i}: served reply differs");
}

#[test]
fn keyspace_events_match_redis() {
    let mut t = DifferN::new(&[], 2);
    t.check(0, &["CONFIG", "SET", "notify-keyspace-events", "KEA"]);
    t.check(0, &["PSUBSCRIBE", "__key*__:*"]);
    for cmd in [
        &["XADD", "s", "1-1", "a", "b"][..],
        &["XADD", "s", "MAXLEN", "1", "2-1", "a", "b"],
        &["XADD", "s", "MAXLEN", "5", "3-1", "a", "b"],
        &["XDEL", "s", "9-9"],
        &["XDEL", "s", "2-1"],
        &["XTRIM", "s", "MAXLEN", "5"],
        &["XTRIM", "s", "MAXLEN", "0"],
        &["XSETID", "s", "10-1"],
        &["XADD", "s", "NOMKSTREAM", "11-1", "a", "b"],
        &["XADD", "x", "NOMKSTREAM", "11-1", "a", "b"],
    ] {
        t.check(1, cmd);
        t.drain(0);
    }
}

#[test]
fn dump_and_restore_round_trip_on_our_node() {
    let mut d = Differ::new(&[]);
    fill(&mut d, "s", 1, 150);
    d.check(&["XDEL", "s", "7-1", "149-1"]);
    d.check(&[
        "XSETID",
        "s",
        "500-0",
        "ENTRIESADDED",
        "900",
        "MAXDELETEDID",
        "300-0",
    ]);
    let payload = d.a.cmd(&["DUMP", "s"]);
    let Frame::Bulk(p) = payload else {
        panic!("DUMP: {payload:?}")
    };
    assert_eq!(
        d.a.cmd(&[b"RESTORE".as_slice(), b"copy", b"0", &p]),
        Frame::ok()
    );
    d.b.cmd(&["COPY", "s", "copy"]);
    d.check(&["XRANGE", "copy", "-", "+"]);
    d.check(&["XINFO", "STREAM", "copy"]);
    d.check(&["XADD", "copy", "900-*", "a", "b"]);
    // The node layout and tombstones travel too: an approximate trim of the copy cuts where
    // Redis's copy (which keeps its listpacks) cuts.
    d.check(&["XINFO", "STREAM", "copy"]);
    d.check(&["XTRIM", "copy", "MAXLEN", "~", "47"]);
    d.check(&["XINFO", "STREAM", "copy"]);
    let mut bad = p.to_vec();
    let n = bad.len();
    bad[n - 12] ^= 1;
    assert_eq!(
        d.a.cmd(&[b"RESTORE".as_slice(), b"bad", b"0", &bad]),
        Frame::error("ERR DUMP payload version or checksum are wrong")
    );
    // Memory usage grows with the stream.
    let small = d.a.cmd(&["MEMORY", "USAGE", "s"]);
    fill(&mut d, "s", 600, 900);
    let big = d.a.cmd(&["MEMORY", "USAGE", "s"]);
    let (Frame::Integer(x), Frame::Integer(y)) = (small, big) else {
        panic!("MEMORY USAGE replies");
    };
    assert!(y > x + 300 * 4, "{x} then {y}");
}

/// A replica of our node ends identical after `*` IDs, approximate trims and deletions, both
/// through the replication stream and through a full sync of an existing stream.
#[test]
fn replicas_end_identical() {
    let primary = Proc::node(&[]);
    let mut p = primary.raw();
    for i in 0..300 {
        p.cmd(&["XADD", "pre", "*", "n", &i.to_string()]);
    }
    let replica = Proc::node(&[]);
    let mut r = replica.raw();
    r.cmd(&["REPLICAOF", "127.0.0.1", &primary.port.to_string()]);
    let sync = Duration::from_secs(60);
    assert!(wait_until(sync, || link_up(&mut r)), "link never came up");
    for i in 0..350 {
        p.cmd(&["XADD", "s", "*", "n", &i.to_string()]);
    }
    p.cmd(&["XADD", "s", "MAXLEN", "~", "120", "*", "n", "x"]);
    p.cmd(&["XADD", "m", "1-*", "a", "b"]);
    p.cmd(&["XADD", "m", "1-*", "a", "b"]);
    p.cmd(&["XADD", "m", "*", "a", "b"]);
    p.cmd(&["XTRIM", "pre", "MINID", "~", "+0"]);
    p.cmd(&["XTRIM", "pre", "MAXLEN", "~", "50", "LIMIT", "100"]);
    let first = p.cmd(&["XRANGE", "s", "-", "+", "COUNT", "3"]);
    if let Frame::Array(items) = &first
        && let Some(Frame::Array(e)) = items.get(1)
        && let Some(Frame::Bulk(id)) = e.first()
    {
        p.cmd(&[b"XDEL".as_slice(), b"s", id]);
    }
    p.cmd(&["XSETID", "m", "99999999999999-0"]);
    assert!(wait_until(sync, || offsets_match(&mut p, &mut r)));
    for key in ["s", "m", "pre"] {
        for cmd in [&["XRANGE", key, "-", "+"][..], &["XINFO", "STREAM", key]] {
            let a = p.cmd(cmd);
            assert_eq!(r.cmd(cmd), a, "replica's {cmd:?}");
        }
    }
}

/// One random operation with explicit IDs over two keys.
#[derive(Debug, Clone)]
enum Op {
    Add(u8, u8, u8, u8),
    AddTrim(u8, u8, bool, u8),
    Del(u8, Vec<u8>),
    Trim(u8, bool, bool, u8),
    Range(u8, u8, u8, bool, u8),
    Info(u8),
}

fn key(k: u8) -> String {
    format!("k{}", k % 2)
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        8 => (any::<u8>(), any::<u8>(), 0u8..3, 0u8..4).prop_map(|(k, ms, seq, f)| Op::Add(k, ms, seq, f)),
        2 => (any::<u8>(), any::<u8>(), any::<bool>(), any::<u8>())
            .prop_map(|(k, ms, approx, t)| Op::AddTrim(k, ms, approx, t)),
        3 => (any::<u8>(), proptest::collection::vec(any::<u8>(), 1..4)).prop_map(|(k, v)| Op::Del(k, v)),
        2 => (any::<u8>(), any::<bool>(), any::<bool>(), any::<u8>())
            .prop_map(|(k, minid, approx, t)| Op::Trim(k, minid, approx, t)),
        3 => (any::<u8>(), any::<u8>(), any::<u8>(), any::<bool>(), 0u8..5)
            .prop_map(|(k, a, b, rev, c)| Op::Range(k, a, b, rev, c)),
        1 => any::<u8>().prop_map(Op::Info),
    ]
}

fn args(op: &Op) -> Vec<String> {
    let s = |v: &str| v.to_string();
    match op {
        Op::Add(k, ms, seq, f) => {
            let mut a = vec![s("XADD"), key(*k), format!("{ms}-{seq}")];
            for i in 0..=*f {
                a.push(format!("f{i}"));
                a.push(format!("v{ms}"));
            }
            a
        }
        Op::AddTrim(k, ms, approx, t) => vec![
            s("XADD"),
            key(*k),
            s("MAXLEN"),
            s(if *approx { "~" } else { "=" }),
            (t % 20).to_string(),
            format!("{ms}-*"),
            s("f"),
            s("v"),
        ],
        Op::Del(k, ids) => {
            let mut a = vec![s("XDEL"), key(*k)];
            a.extend(ids.iter().map(|i| format!("{i}-{}", i % 3)));
            a
        }
        Op::Trim(k, minid, approx, t) => vec![
            s("XTRIM"),
            key(*k),
            s(if *minid { "MINID" } else { "MAXLEN" }),
            s(if *approx { "~" } else { "=" }),
            if *minid {
                t.to_string()
            } else {
                (t % 30).to_string()
            },
        ],
        Op::Range(k, a, b, rev, c) => {
            let mut v = vec![
                s(if *rev { "XREVRANGE" } else { "XRANGE" }),
                key(*k),
                a.to_string(),
                format!("({b}"),
            ];
            if *c > 0 {
                v.push(s("COUNT"));
                v.push(c.to_string());
            }
            v
        }
        Op::Info(k) => vec![s("XINFO"), s("STREAM"), key(*k)],
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 16, ..ProptestConfig::default() })]
    #[test]
    fn random_stream_sequences_match_redis(ops in proptest::collection::vec(op(), 1..120)) {
        let mut d = Differ::new(&[]);
        for op in &ops {
            let a = args(op);
            let (ours, theirs) = d.both(&a);
            prop_assert_eq!(ours, theirs, "after {:?}", a);
        }
        for k in 0..2u8 {
            for cmd in [vec!["XRANGE".to_string(), key(k), "-".into(), "+".into()],
                        vec!["XINFO".to_string(), "STREAM".into(), key(k), "FULL".into()]] {
                let (ours, theirs) = d.both(&cmd);
                prop_assert_eq!(ours, theirs, "final {:?}", cmd);
            }
        }
    }
}

/// Replaces what depends on the clock (delivery and seen times, idle times) with 0.
fn masked(f: &Frame) -> Frame {
    match f {
        Frame::Integer(n) if *n >= 1_000_000_000_000 => Frame::Integer(0),
        Frame::Array(items) | Frame::Set(items) | Frame::Push(items) => {
            let mut out: Vec<Frame> = items.iter().map(masked).collect();
            // XPENDING's extended entries: [id, consumer, idle, count].
            if out.len() == 4
                && matches!(out[0], Frame::Bulk(_))
                && matches!(out[1], Frame::Bulk(_))
                && matches!(out[2], Frame::Integer(_))
                && matches!(out[3], Frame::Integer(_))
            {
                out[2] = Frame::Integer(0);
            }
            for i in 1..out.len() {
                if out[i - 1] == Frame::bulk("idle") {
                    out[i] = Frame::Integer(0);
                }
            }
            Frame::Array(out)
        }
        Frame::Map(pairs) => Frame::Map(
            pairs
                .iter()
                .map(|(k, v)| {
                    let v = if *k == Frame::bulk("idle") {
                        Frame::Integer(0)
                    } else {
                        masked(v)
                    };
                    (masked(k), v)
                })
                .collect(),
        ),
        other => other.clone(),
    }
}

/// Sends `cmd` to both servers and compares the replies with times masked.
fn check_masked(d: &mut Differ, cmd: &[&str]) {
    let (ours, theirs) = d.both(cmd);
    assert_eq!(masked(&ours), masked(&theirs), "reply differs for {cmd:?}");
}

#[test]
fn consumer_groups_match_redis() {
    let mut d = Differ::new(&[]);
    for proto in ["2", "3"] {
        d.check(&["FLUSHALL"]);
        d.both(&["HELLO", proto]);
        fill(&mut d, "s", 1, 12);
        for cmd in [
            &["XGROUP", "CREATE", "nokey", "g", "$"][..],
            &["XGROUP", "CREATE", "nokey", "g", "$", "MKSTREAM"],
            &["XGROUP", "CREATE", "nokey", "g", "$", "MKSTREAM"],
            &["XGROUP", "CREATE", "s", "g", "0"],
            &["XGROUP", "CREATE", "s", "g", "0"],
            &["XGROUP", "CREATE", "s", "g2", "$", "ENTRIESREAD", "3"],
            &["XGROUP", "CREATE", "s", "g3", "5-1", "ENTRIESREAD", "-2"],
            &["XGROUP", "CREATE", "s", "g3", "5-1", "ENTRIESREAD", "x"],
            &["XGROUP", "CREATE", "s", "g3", "5-1", "FOO"],
            &["XGROUP", "CREATE", "s", "g3", "-"],
            &["XGROUP", "CREATE", "s", "g3", "x"],
            &[
                "XGROUP",
                "CREATE",
                "s",
                "g3",
                "5-1",
                "MKSTREAM",
                "ENTRIESREAD",
                "-1",
                "MKSTREAM",
            ],
            &["XGROUP", "CREATE", "s", "g4", "4", "ENTRIESREAD", "-1"],
            &["XGROUP", "SETID", "s", "nog", "0"],
            &["XGROUP", "SETID", "nokey", "g", "0"],
            &["XGROUP", "SETID", "s", "g4", "-"],
            &["XGROUP", "SETID", "s", "g4", "x"],
            &["XGROUP", "SETID", "s", "g4", "$", "ENTRIESREAD", "11"],
            &["XGROUP", "SETID", "s", "g4", "$", "ENTRIESREAD", "-3"],
            &["XGROUP", "SETID", "s", "g4", "$", "FOO", "1"],
            &["XGROUP", "SETID", "s", "g4", "$", "ENTRIESREAD"],
            &["XGROUP", "CREATECONSUMER", "s", "g4", "c"],
            &["XGROUP", "CREATECONSUMER", "s", "g4", "c"],
            &["XGROUP", "CREATECONSUMER", "s", "nog", "c"],
            &["XGROUP", "DELCONSUMER", "s", "g4", "c"],
            &["XGROUP", "DELCONSUMER", "s", "g4", "c"],
            &["XGROUP", "DESTROY", "s", "g4"],
            &["XGROUP", "DESTROY", "s", "g4"],
            &["XGROUP", "DESTROY", "nokey", "g4"],
            &["XGROUP", "HELP"],
            &["XGROUP", "FOO"],
            &["XGROUP"],
            &["XINFO", "GROUPS", "s"],
            &["XINFO", "GROUPS", "nokey"],
            &["XINFO", "STREAM", "s"],
            // Reads.
            &[
                "XREADGROUP",
                "GROUP",
                "g",
                "alice",
                "COUNT",
                "3",
                "STREAMS",
                "s",
                ">",
            ],
            &[
                "XREADGROUP",
                "GROUP",
                "g",
                "bob",
                "COUNT",
                "2",
                "STREAMS",
                "s",
                ">",
            ],
            &["XREADGROUP", "GROUP", "g", "alice", "STREAMS", "s", "0"],
            &[
                "XREADGROUP",
                "GROUP",
                "g",
                "alice",
                "COUNT",
                "1",
                "STREAMS",
                "s",
                "1-1",
            ],
            &[
                "XREADGROUP",
                "GROUP",
                "g",
                "carol",
                "NOACK",
                "COUNT",
                "2",
                "STREAMS",
                "s",
                ">",
            ],
            &["XREADGROUP", "GROUP", "g", "dave", "STREAMS", "s", "0"],
            &["XREADGROUP", "GROUP", "g", "alice", "STREAMS", "s", "$"],
            &["XREADGROUP", "GROUP", "nog", "alice", "STREAMS", "s", ">"],
            &["XREADGROUP", "GROUP", "g", "alice", "STREAMS", "nokey", ">"],
            &["XREADGROUP", "GROUP", "g", "alice", "STREAMS", "s", "x"],
            &[
                "XREADGROUP",
                "GROUP",
                "g",
                "alice",
                "STREAMS",
                "s",
                "s",
                ">",
            ],
            &["XREADGROUP", "COUNT", "1", "NOACK", "STREAMS", "s", ">"],
            &["XREAD", "GROUP", "g", "alice", "STREAMS", "s", ">"],
            &["XREAD", "NOACK", "STREAMS", "s", "0"],
            &["XINFO", "GROUPS", "s"],
            &["XINFO", "CONSUMERS", "s", "g"],
            &["XINFO", "CONSUMERS", "s", "nog"],
            &["XINFO", "CONSUMERS", "nokey", "g"],
            &["XINFO", "STREAM", "s", "FULL"],
            &["XINFO", "STREAM", "s", "FULL", "COUNT", "1"],
            // Pending.
            &["XPENDING", "s", "g"],
            &["XPENDING", "s", "g2"],
            &["XPENDING", "s", "nog"],
            &["XPENDING", "nokey", "g"],
            &["XPENDING", "s", "g", "-", "+", "10"],
            &["XPENDING", "s", "g", "-", "+", "2"],
            &["XPENDING", "s", "g", "(1-1", "(5-1", "10"],
            &["XPENDING", "s", "g", "-", "+", "10", "bob"],
            &["XPENDING", "s", "g", "-", "+", "10", "nobody"],
            &["XPENDING", "s", "g", "IDLE", "3600000", "-", "+", "10"],
            &["XPENDING", "s", "g", "IDLE", "0", "-", "+", "10"],
            &["XPENDING", "s", "g", "IDLE", "0", "-", "+"],
            &["XPENDING", "s", "g", "IDLE", "x", "-", "+", "10"],
            &["XPENDING", "s", "g", "-", "+"],
            &["XPENDING", "s", "g", "-", "+", "x"],
            &["XPENDING", "s", "g", "x", "+", "1"],
            &["XPENDING", "s", "g", "-", "+", "-5"],
            // Acks.
            &["XACK", "s", "g", "1-1", "1-1", "9-9"],
            &["XACK", "s", "g", "x"],
            &["XACK", "s", "nog", "x"],
            &["XACK", "nokey", "g", "1-1"],
            &["XPENDING", "s", "g"],
        ] {
            check_masked(&mut d, cmd);
        }
        d.check(&["SET", "str", "x"]);
        for cmd in [
            &["XGROUP", "CREATE", "str", "g", "$"][..],
            &["XREADGROUP", "GROUP", "g", "c", "STREAMS", "str", ">"],
            &["XACK", "str", "g", "1-1"],
            &["XPENDING", "str", "g"],
            &["XCLAIM", "str", "g", "c", "0", "1-1"],
            &["XAUTOCLAIM", "str", "g", "c", "0", "0"],
            &["XINFO", "GROUPS", "str"],
        ] {
            d.check(cmd);
        }
    }
}

#[test]
fn claims_match_redis() {
    let mut d = Differ::new(&[]);
    for proto in ["2", "3"] {
        d.check(&["FLUSHALL"]);
        d.both(&["HELLO", proto]);
        fill(&mut d, "s", 1, 20);
        d.check(&["XGROUP", "CREATE", "s", "g", "0"]);
        d.check(&[
            "XREADGROUP",
            "GROUP",
            "g",
            "alice",
            "COUNT",
            "8",
            "STREAMS",
            "s",
            ">",
        ]);
        d.check(&["XDEL", "s", "3-1", "6-1"]);
        for cmd in [
            &["XCLAIM", "s", "g", "bob", "0", "1-1", "2-1"][..],
            &["XCLAIM", "s", "g", "bob", "3600000", "4-1"],
            &["XCLAIM", "s", "g", "bob", "0", "3-1", "4-1", "JUSTID"],
            &["XCLAIM", "s", "g", "bob", "0", "15-1"],
            &[
                "XCLAIM",
                "s",
                "g",
                "bob",
                "0",
                "15-1",
                "FORCE",
                "RETRYCOUNT",
                "7",
            ],
            &[
                "XCLAIM",
                "s",
                "g",
                "carol",
                "0",
                "5-1",
                "IDLE",
                "5000",
                "RETRYCOUNT",
                "2",
            ],
            &[
                "XCLAIM", "s", "g", "carol", "0", "7-1", "TIME", "1000", "LASTID", "19-1",
            ],
            &["XCLAIM", "s", "g", "carol", "0", "-", "+", "JUSTID"],
            &["XCLAIM", "s", "g", "carol", "x", "1-1"],
            &["XCLAIM", "s", "g", "carol", "0", "1-1", "FOO"],
            &["XCLAIM", "s", "g", "carol", "0", "1-1", "IDLE", "x"],
            &["XCLAIM", "s", "g", "carol", "0", "1-1", "TIME", "x"],
            &["XCLAIM", "s", "g", "carol", "0", "1-1", "RETRYCOUNT", "x"],
            &["XCLAIM", "s", "g", "carol", "0", "1-1", "LASTID", "x"],
            &["XCLAIM", "s", "nog", "carol", "x", "1-1"],
            &["XCLAIM", "nokey", "g", "carol", "0", "1-1"],
            &["XPENDING", "s", "g", "-", "+", "20"],
            &["XINFO", "GROUPS", "s"],
            &["XINFO", "CONSUMERS", "s", "g"],
            &["XAUTOCLAIM", "s", "g", "dave", "0", "0", "COUNT", "2"],
            &[
                "XAUTOCLAIM",
                "s",
                "g",
                "dave",
                "0",
                "(2-1",
                "COUNT",
                "3",
                "JUSTID",
            ],
            &["XAUTOCLAIM", "s", "g", "dave", "3600000", "0"],
            &["XAUTOCLAIM", "s", "g", "erin", "0", "0"],
            &["XAUTOCLAIM", "s", "g", "erin", "0", "0", "COUNT", "0"],
            &["XAUTOCLAIM", "s", "g", "erin", "0", "0", "COUNT", "x"],
            &["XAUTOCLAIM", "s", "g", "erin", "0", "0", "FOO"],
            &["XAUTOCLAIM", "s", "g", "erin", "x", "0"],
            &["XAUTOCLAIM", "s", "g", "erin", "0", "x"],
            &["XAUTOCLAIM", "s", "nog", "erin", "0", "0"],
            &["XAUTOCLAIM", "nokey", "g", "erin", "0", "0"],
            &["XDEL", "s", "7-1", "8-1"],
            &["XAUTOCLAIM", "s", "g", "erin", "0", "0", "COUNT", "1"],
            &["XAUTOCLAIM", "s", "g", "erin", "0", "0"],
            &["XPENDING", "s", "g"],
            &["XINFO", "STREAM", "s", "FULL"],
            &["XGROUP", "DELCONSUMER", "s", "g", "erin"],
            &["XPENDING", "s", "g"],
        ] {
            check_masked(&mut d, cmd);
        }
    }
}

/// Lag and entries-read follow Redis's counters through deletions and SETID.
#[test]
fn group_lag_matches_redis() {
    let mut d = Differ::new(&[]);
    fill(&mut d, "s", 1, 10);
    for cmd in [
        &["XGROUP", "CREATE", "s", "a", "0"][..],
        &["XGROUP", "CREATE", "s", "b", "$"],
        &["XGROUP", "CREATE", "s", "c", "4-1"],
        &["XINFO", "GROUPS", "s"],
        &[
            "XREADGROUP",
            "GROUP",
            "a",
            "x",
            "COUNT",
            "2",
            "STREAMS",
            "s",
            ">",
        ],
        &["XINFO", "GROUPS", "s"],
        &["XDEL", "s", "5-1"],
        &["XINFO", "GROUPS", "s"],
        &[
            "XREADGROUP",
            "GROUP",
            "a",
            "x",
            "COUNT",
            "4",
            "STREAMS",
            "s",
            ">",
        ],
        &["XINFO", "GROUPS", "s"],
        &["XREADGROUP", "GROUP", "c", "x", "STREAMS", "s", ">"],
        &["XINFO", "GROUPS", "s"],
        &["XADD", "s", "20-1", "f", "v"],
        &["XINFO", "GROUPS", "s"],
        &["XGROUP", "SETID", "s", "a", "2-1", "ENTRIESREAD", "2"],
        &["XINFO", "GROUPS", "s"],
        &["XTRIM", "s", "MAXLEN", "0"],
        &["XINFO", "GROUPS", "s"],
        &["XGROUP", "SETID", "s", "b", "0"],
        &["XINFO", "GROUPS", "s"],
        &["XADD", "s", "21-1", "f", "v"],
        &["XGROUP", "SETID", "s", "b", "$", "ENTRIESREAD", "1000"],
        &["XINFO", "GROUPS", "s"],
    ] {
        check_masked(&mut d, cmd);
    }
}

/// `XREADGROUP GROUP g <consumer> BLOCK <ms> STREAMS s >`.
fn blocking_group_read(consumer: &str, ms: &str) -> Vec<String> {
    [
        "XREADGROUP",
        "GROUP",
        "g",
        consumer,
        "BLOCK",
        ms,
        "STREAMS",
        "s",
        ">",
    ]
    .map(String::from)
    .to_vec()
}

#[test]
fn xreadgroup_block_is_woken_by_xadd() {
    let mut t = DifferN::new(&[], 2);
    t.check(1, &["XGROUP", "CREATE", "s", "g", "$", "MKSTREAM"]);
    send_both(&mut t, 0, &blocking_group_read("c", "0"));
    wait_both_blocked(&mut t, 1);
    t.check(1, &["XADD", "s", "1-1", "a", "b"]);
    read_both(&mut t, 0);
    t.check(1, &["XPENDING", "s", "g"]);
    // A timeout answers a null array and creates no consumer.
    t.check(0, &blocking_group_read("late", "30"));
    t.check(1, &["XINFO", "GROUPS", "s"]);
    // Destroying the group answers a blocked reader with NOGROUP.
    send_both(&mut t, 0, &blocking_group_read("c", "0"));
    wait_both_blocked(&mut t, 1);
    t.check(1, &["XGROUP", "DESTROY", "s", "g"]);
    read_both(&mut t, 0);
}

#[test]
fn group_keyspace_events_match_redis() {
    let mut t = DifferN::new(&[], 2);
    t.check(0, &["CONFIG", "SET", "notify-keyspace-events", "KEA"]);
    t.check(0, &["PSUBSCRIBE", "__key*__:*"]);
    for cmd in [
        &["XGROUP", "CREATE", "s", "g", "$", "MKSTREAM"][..],
        &["XADD", "s", "1-1", "a", "b"],
        &["XGROUP", "CREATECONSUMER", "s", "g", "c"],
        &["XGROUP", "CREATECONSUMER", "s", "g", "c"],
        &["XREADGROUP", "GROUP", "g", "d", "STREAMS", "s", ">"],
        &["XACK", "s", "g", "1-1"],
        &["XCLAIM", "s", "g", "e", "0", "1-1", "FORCE"],
        &["XAUTOCLAIM", "s", "g", "f", "0", "0"],
        &["XGROUP", "SETID", "s", "g", "0"],
        &["XGROUP", "DELCONSUMER", "s", "g", "c"],
        &["XGROUP", "DELCONSUMER", "s", "g", "nobody"],
        &["XGROUP", "DESTROY", "s", "g"],
    ] {
        t.check(1, cmd);
        t.drain(0);
    }
}

/// A replica of our node ends with the same groups, pending entries, delivery times and
/// counters, from the replication stream and from a full sync.
#[test]
fn replicas_keep_identical_groups() {
    let primary = Proc::node(&[]);
    let mut p = primary.raw();
    for i in 1..30 {
        p.cmd(&["XADD", "pre", &format!("{i}-1"), "n", "v"]);
    }
    p.cmd(&["XGROUP", "CREATE", "pre", "g", "0"]);
    p.cmd(&[
        "XREADGROUP",
        "GROUP",
        "g",
        "a",
        "COUNT",
        "5",
        "STREAMS",
        "pre",
        ">",
    ]);
    let replica = Proc::node(&[]);
    let mut r = replica.raw();
    r.cmd(&["REPLICAOF", "127.0.0.1", &primary.port.to_string()]);
    let sync = Duration::from_secs(60);
    assert!(wait_until(sync, || link_up(&mut r)), "link never came up");
    for i in 1..40 {
        p.cmd(&["XADD", "s", "*", "n", &i.to_string()]);
    }
    for cmd in [
        &["XGROUP", "CREATE", "s", "g", "0"][..],
        &["XGROUP", "CREATE", "s", "h", "$"],
        &[
            "XREADGROUP",
            "GROUP",
            "g",
            "a",
            "COUNT",
            "5",
            "STREAMS",
            "s",
            ">",
        ],
        &[
            "XREADGROUP",
            "GROUP",
            "g",
            "b",
            "NOACK",
            "COUNT",
            "3",
            "STREAMS",
            "s",
            ">",
        ],
        &[
            "XREADGROUP",
            "GROUP",
            "g",
            "b",
            "COUNT",
            "4",
            "STREAMS",
            "s",
            "pre",
            ">",
            ">",
        ],
        &[
            "XCLAIM",
            "pre",
            "g",
            "z",
            "0",
            "2-1",
            "3-1",
            "RETRYCOUNT",
            "9",
        ],
        &["XAUTOCLAIM", "s", "g", "y", "0", "0", "COUNT", "3"],
        &["XDEL", "pre", "4-1"],
        &["XAUTOCLAIM", "pre", "g", "y", "0", "0"],
        &["XACK", "pre", "g", "1-1"],
        &["XGROUP", "DELCONSUMER", "s", "g", "b"],
        &["XGROUP", "CREATECONSUMER", "s", "h", "idle"],
    ] {
        p.cmd(cmd);
    }
    assert!(wait_until(sync, || offsets_match(&mut p, &mut r)));
    for key in ["s", "pre"] {
        for cmd in [
            &["XINFO", "STREAM", key, "FULL"][..],
            &["XINFO", "GROUPS", key],
            &["XPENDING", key, "g"],
        ] {
            // A consumer's seen-time is the replica's own clock when it applies a claim, in
            // Redis too; everything else (delivery times and counts included) is identical.
            let a = seen_time_masked(&p.cmd(cmd));
            assert_eq!(seen_time_masked(&r.cmd(cmd)), a, "replica's {cmd:?}");
        }
    }
}

fn seen_time_masked(f: &Frame) -> Frame {
    match f {
        Frame::Array(items) => {
            let mut out: Vec<Frame> = items.iter().map(seen_time_masked).collect();
            for i in 1..out.len() {
                if out[i - 1] == Frame::bulk("seen-time") {
                    out[i] = Frame::Integer(0);
                }
            }
            Frame::Array(out)
        }
        other => other.clone(),
    }
}

#[test]
fn groups_survive_dump_and_restore() {
    let mut d = Differ::new(&[]);
    fill(&mut d, "s", 1, 10);
    d.check(&["XGROUP", "CREATE", "s", "g", "0"]);
    d.check(&["XGROUP", "CREATE", "s", "h", "$", "ENTRIESREAD", "-1"]);
    d.check(&[
        "XREADGROUP",
        "GROUP",
        "g",
        "a",
        "COUNT",
        "4",
        "STREAMS",
        "s",
        ">",
    ]);
    d.check(&["XGROUP", "CREATECONSUMER", "s", "h", "b"]);
    let payload = d.a.cmd(&["DUMP", "s"]);
    let Frame::Bulk(p) = payload else {
        panic!("DUMP: {payload:?}")
    };
    assert_eq!(
        d.a.cmd(&[b"RESTORE".as_slice(), b"copy", b"0", &p]),
        Frame::ok()
    );
    d.b.cmd(&["COPY", "s", "copy"]);
    check_masked(&mut d, &["XINFO", "STREAM", "copy", "FULL"]);
    check_masked(&mut d, &["XINFO", "GROUPS", "copy"]);
    check_masked(&mut d, &["XPENDING", "copy", "g", "-", "+", "10"]);
    let mine = d.a.cmd(&["XINFO", "STREAM", "s", "FULL"]);
    assert_eq!(d.a.cmd(&["XINFO", "STREAM", "copy", "FULL"]), mine);
}

/// One random consumer-group operation with explicit IDs on one stream.
#[derive(Debug, Clone)]
enum GroupOp {
    Add(u8),
    Del(u8),
    Read(u8, u8, bool),
    History(u8, u8),
    Ack(Vec<u8>),
    Claim(u8, Vec<u8>, bool),
    AutoClaim(u8, u8, u8),
    SetId(u8),
    DelConsumer(u8),
    Pending(Option<u8>),
    Info,
}

fn group_op() -> impl Strategy<Value = GroupOp> {
    prop_oneof![
        6 => any::<u8>().prop_map(GroupOp::Add),
        2 => any::<u8>().prop_map(GroupOp::Del),
        4 => (0u8..3, 0u8..4, any::<bool>()).prop_map(|(c, n, a)| GroupOp::Read(c, n, a)),
        2 => (0u8..3, any::<u8>()).prop_map(|(c, a)| GroupOp::History(c, a)),
        2 => proptest::collection::vec(any::<u8>(), 1..4).prop_map(GroupOp::Ack),
        2 => (0u8..3, proptest::collection::vec(any::<u8>(), 1..4), any::<bool>())
            .prop_map(|(c, ids, j)| GroupOp::Claim(c, ids, j)),
        2 => (0u8..3, any::<u8>(), 0u8..4).prop_map(|(c, s, n)| GroupOp::AutoClaim(c, s, n)),
        1 => any::<u8>().prop_map(GroupOp::SetId),
        1 => (0u8..3).prop_map(GroupOp::DelConsumer),
        2 => proptest::option::of(0u8..3).prop_map(GroupOp::Pending),
        2 => Just(GroupOp::Info),
    ]
}

fn group_args(op: &GroupOp) -> Vec<String> {
    let s = |v: &str| v.to_string();
    let c = |n: u8| format!("c{n}");
    match op {
        GroupOp::Add(ms) => vec![s("XADD"), s("s"), format!("{ms}-*"), s("f"), ms.to_string()],
        GroupOp::Del(ms) => vec![s("XDEL"), s("s"), format!("{ms}-0")],
        GroupOp::Read(cn, n, noack) => {
            let mut a = vec![s("XREADGROUP"), s("GROUP"), s("g"), c(*cn)];
            if *n > 0 {
                a.extend([s("COUNT"), n.to_string()]);
            }
            if *noack {
                a.push(s("NOACK"));
            }
            a.extend([s("STREAMS"), s("s"), s(">")]);
            a
        }
        GroupOp::History(cn, after) => {
            let a = format!("{after}-0");
            vec![
                s("XREADGROUP"),
                s("GROUP"),
                s("g"),
                c(*cn),
                s("STREAMS"),
                s("s"),
                a,
            ]
        }
        GroupOp::Ack(ids) => {
            let mut a = vec![s("XACK"), s("s"), s("g")];
            a.extend(ids.iter().map(|i| format!("{i}-0")));
            a
        }
        GroupOp::Claim(cn, ids, justid) => {
            let mut a = vec![s("XCLAIM"), s("s"), s("g"), c(*cn), s("0")];
            a.extend(ids.iter().map(|i| format!("{i}-0")));
            if *justid {
                a.push(s("JUSTID"));
            }
            a
        }
        GroupOp::AutoClaim(cn, start, n) => vec![
            s("XAUTOCLAIM"),
            s("s"),
            s("g"),
            c(*cn),
            s("0"),
            format!("{start}-0"),
            s("COUNT"),
            (n + 1).to_string(),
        ],
        GroupOp::SetId(ms) => vec![s("XGROUP"), s("SETID"), s("s"), s("g"), format!("{ms}-0")],
        GroupOp::DelConsumer(cn) => vec![s("XGROUP"), s("DELCONSUMER"), s("s"), s("g"), c(*cn)],
        GroupOp::Pending(None) => vec![s("XPENDING"), s("s"), s("g")],
        GroupOp::Pending(Some(cn)) => {
            vec![
                s("XPENDING"),
                s("s"),
                s("g"),
                s("-"),
                s("+"),
                s("100"),
                c(*cn),
            ]
        }
        GroupOp::Info => vec![s("XINFO"), s("STREAM"), s("s"), s("FULL")],
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 12, ..ProptestConfig::default() })]
    #[test]
    fn random_group_sequences_match_redis(ops in proptest::collection::vec(group_op(), 1..80)) {
        let mut d = Differ::new(&[]);
        d.check(&["XGROUP", "CREATE", "s", "g", "0", "MKSTREAM"]);
        for op in &ops {
            let a = group_args(op);
            let (ours, theirs) = d.both(&a);
            prop_assert_eq!(masked(&ours), masked(&theirs), "after {:?}", a);
        }
        for cmd in [&["XINFO", "GROUPS", "s"][..], &["XINFO", "CONSUMERS", "s", "g"]] {
            let (ours, theirs) = d.both(cmd);
            prop_assert_eq!(masked(&ours), masked(&theirs), "final {:?}", cmd);
        }
    }
}

/// Generic key commands carry streams whole (entries, counters, groups).
#[test]
fn generic_key_commands_carry_streams() {
    let mut d = Differ::new(&[]);
    fill(&mut d, "s", 1, 8);
    d.check(&["XGROUP", "CREATE", "s", "g", "0"]);
    d.check(&[
        "XREADGROUP",
        "GROUP",
        "g",
        "a",
        "COUNT",
        "2",
        "STREAMS",
        "s",
        ">",
    ]);
    for cmd in [
        &["COPY", "s", "c"][..],
        &["RENAME", "c", "r"],
        &["XINFO", "GROUPS", "r"],
        &["XPENDING", "r", "g"],
        &["XRANGE", "r", "-", "+"],
        &["MOVE", "r", "1"],
        &["EXISTS", "r"],
        &["TYPE", "s"],
        &["EXPIRE", "s", "100"],
        &["TTL", "s"],
        &["DEL", "s"],
        &["XLEN", "s"],
    ] {
        check_masked(&mut d, cmd);
    }
}

/// XREAD / XREADGROUP keys come from their STREAMS keyword: cluster mode refuses keys of
/// different slots, as Redis does.
#[test]
fn crossslot_in_cluster_mode() {
    let mut d = Differ::new(&["--cluster-enabled", "yes"]);
    d.check(&["CLUSTER", "ADDSLOTSRANGE", "0", "16383"]);
    for cmd in [
        &["XREAD", "STREAMS", "a", "b", "0", "0"][..],
        &["XREAD", "COUNT", "1", "STREAMS", "{t}a", "{t}b", "0", "0"],
        &["XADD", "{t}a", "1-1", "f", "v"],
        &["XGROUP", "CREATE", "{t}a", "g", "0"],
        &[
            "XREADGROUP",
            "GROUP",
            "g",
            "c",
            "STREAMS",
            "a",
            "b",
            ">",
            ">",
        ],
        &["XREADGROUP", "GROUP", "g", "c", "STREAMS", "{t}a", ">"],
    ] {
        d.check(cmd);
    }
}

/// Keyspace hits and misses count stream lookups as Redis's read lookups do (XREAD and
/// XREADGROUP look each key up twice; writes count nothing).
#[test]
fn keyspace_hits_and_misses_match_redis() {
    let mut t = DifferN::new(&[], 2);
    t.check(1, &["XADD", "s", "1-1", "a", "b"]);
    t.check(1, &["XGROUP", "CREATE", "s", "g", "0"]);
    t.check(1, &["CONFIG", "RESETSTAT"]);
    for cmd in [
        &["XADD", "s", "2-1", "a", "b"][..],
        &["XLEN", "s"],
        &["XLEN", "nokey"],
        &["XRANGE", "s", "-", "+"],
        &["XREVRANGE", "nokey", "+", "-"],
        &["XREAD", "STREAMS", "s", "nokey", "0", "0"],
        &["XREAD", "STREAMS", "s", "$"],
        &["XREADGROUP", "GROUP", "g", "c", "STREAMS", "s", ">"],
        &["XREADGROUP", "GROUP", "g", "c", "STREAMS", "s", "0"],
        &["XPENDING", "s", "g"],
        &["XACK", "s", "g", "1-1"],
        &["XCLAIM", "s", "g", "d", "0", "2-1"],
        &["XAUTOCLAIM", "s", "g", "d", "0", "0"],
        &["XINFO", "STREAM", "s"],
        &["XINFO", "GROUPS", "s"],
        &["XDEL", "s", "1-1"],
        &["XTRIM", "s", "MAXLEN", "5"],
        &["XSETID", "s", "9-9"],
    ] {
        t.check(1, cmd);
    }
    // Idle times differ by a millisecond or so: only the lookup counts matter here.
    t.both(1, &["XINFO", "CONSUMERS", "s", "g"]);
    // A client woken from XREAD BLOCK is served without counting.
    send_both(&mut t, 0, &["XREAD", "BLOCK", "0", "STREAMS", "s", "$"]);
    wait_both_blocked(&mut t, 1);
    t.check(1, &["XADD", "s", "10-1", "a", "b"]);
    read_both(&mut t, 0);
    let (ours, theirs) = t.clients(1);
    for field in ["keyspace_hits", "keyspace_misses"] {
        assert_eq!(
            info_field(ours, "stats", field),
            info_field(theirs, "stats", field),
            "{field}"
        );
    }
}
