//! Differential tests for the keyspace commands: RENAME, RENAMENX, COPY, MOVE, SWAPDB, SCAN,
//! RANDOMKEY, TOUCH, OBJECT, EXPIREAT, PEXPIREAT, EXPIRETIME, PEXPIRETIME, DUMP, RESTORE.
//!
//! SCAN cursors differ from Redis's by design, so SCAN is compared as the set of keys a full
//! iteration returns. DUMP payloads differ by design too (our own format), so DUMP/RESTORE
//! is tested by round trips on our node; only the payload-independent errors are compared.

use std::collections::BTreeSet;

use shoal_tests::{Differ, Frame, Proc, RawClient, bulk};

/// `COMMAND INFO` of each command, with subcommands compared as a set (Redis lists them in
/// hash-table order).
fn normalise_info(f: Frame) -> Frame {
    match f {
        Frame::Array(mut items) => {
            for item in &mut items {
                if let Frame::Array(fields) = item
                    && let Some(Frame::Array(subs)) = fields.get_mut(9)
                {
                    subs.sort_by_key(|s| format!("{s:?}"));
                }
            }
            Frame::Array(items)
        }
        other => other,
    }
}

#[test]
fn command_info_matches_redis() {
    let mut d = Differ::new(&[]);
    for name in [
        "expireat",
        "pexpireat",
        "expiretime",
        "pexpiretime",
        "rename",
        "renamenx",
        "copy",
        "move",
        "swapdb",
        "scan",
        "randomkey",
        "touch",
        "object",
        "dump",
        "restore",
    ] {
        let (ours, theirs) = d.both(&["COMMAND", "INFO", name]);
        assert_eq!(normalise_info(ours), normalise_info(theirs), "{name}");
    }
}

#[test]
fn rename_and_renamenx_match_redis() {
    let mut d = Differ::new(&[]);
    d.check_all(&[
        &["RENAME", "nosuch", "b"],
        &["RENAMENX", "nosuch", "b"],
        &["SET", "a", "1"],
        &["RENAME", "a", "a"],
        &["RENAMENX", "a", "a"],
        &["PEXPIREAT", "a", "99999999999999"],
        &["RENAME", "a", "b"],
        &["EXISTS", "a"],
        &["GET", "b"],
        &["PEXPIRETIME", "b"],
        &["SET", "c", "3"],
        &["RENAMENX", "b", "c"],
        &["RENAME", "b", "c"],
        &["GET", "c"],
        &["PEXPIRETIME", "c"],
        &["RENAMENX", "c", "d"],
        &["GET", "d"],
        &["RENAME", "d"],
        &["RENAMENX", "d", "e", "f"],
    ]);
}

#[test]
fn copy_move_swapdb_match_redis() {
    let mut d = Differ::new(&[]);
    d.check_all(&[
        &["SET", "a", "1"],
        &["PEXPIREAT", "a", "99999999999999"],
        &["COPY", "a", "b"],
        &["PEXPIRETIME", "b"],
        &["COPY", "a", "b"],
        &["SET", "a", "2"],
        &["COPY", "a", "b", "REPLACE"],
        &["GET", "b"],
        &["PEXPIRETIME", "b"],
        &["COPY", "a", "a"],
        &["COPY", "a", "a", "DB", "0"],
        &["COPY", "a", "a", "DB", "1"],
        &["COPY", "nosuch", "x"],
        &["COPY", "a", "x", "DB", "16"],
        &["COPY", "a", "x", "DB", "-1"],
        &["COPY", "a", "x", "DB", "abc"],
        &["COPY", "a", "x", "DB", "4294967296"],
        &["COPY", "a", "x", "DB"],
        &["COPY", "a", "x", "FOO"],
        &["COPY", "a", "x", "REPLACE", "REPLACE"],
        &["SELECT", "1"],
        &["GET", "a"],
        &["SELECT", "0"],
        &["MOVE", "a", "0"],
        &["MOVE", "a", "16"],
        &["MOVE", "a", "x"],
        &["MOVE", "a", "4294967296"],
        &["SWAPDB", "0", "4294967296"],
        &["MOVE", "nosuch", "2"],
        &["MOVE", "b", "2"],
        &["EXISTS", "b"],
        &["SET", "b", "again"],
        &["MOVE", "b", "2"],
        &["SELECT", "2"],
        &["GET", "b"],
        &["PEXPIRETIME", "b"],
        &["SELECT", "0"],
        &["SWAPDB", "0", "2"],
        &["GET", "b"],
        &["SWAPDB", "x", "2"],
        &["SWAPDB", "0", "x"],
        &["SWAPDB", "0", "16"],
        &["SWAPDB", "-1", "0"],
        &["SWAPDB", "3", "3"],
        &["SWAPDB", "0"],
        &["MOVE", "a"],
    ]);
}

#[test]
fn expireat_and_expiretime_match_redis() {
    let mut d = Differ::new(&[]);
    d.check_all(&[
        &["EXPIRETIME", "k"],
        &["PEXPIRETIME", "k"],
        &["SET", "k", "v"],
        &["EXPIRETIME", "k"],
        &["PEXPIRETIME", "k"],
        &["EXPIREAT", "k", "99999999999"],
        &["EXPIRETIME", "k"],
        &["PEXPIRETIME", "k"],
        &["PEXPIREAT", "k", "99999999999499"],
        &["EXPIRETIME", "k"],
        &["PEXPIREAT", "k", "99999999999500"],
        &["EXPIRETIME", "k"],
        &["EXPIREAT", "k", "99999999998", "GT"],
        &["EXPIREAT", "k", "99999999998", "LT"],
        &["EXPIREAT", "k", "99999999999", "NX"],
        &["EXPIREAT", "k", "99999999999", "XX"],
        &["PEXPIREAT", "k", "99999999999999", "NX", "XX"],
        &["PEXPIREAT", "k", "99999999999999", "GT", "LT"],
        &["PEXPIREAT", "k", "99999999999999", "BAD"],
        &["EXPIREAT", "k", "9223372036854775807"],
        &["EXPIREAT", "k", "-9223372036854775808"],
        &["EXPIREAT", "k", "abc"],
        &["PEXPIREAT", "nosuch", "1"],
        &["EXPIREAT", "k", "1"],
        &["EXISTS", "k"],
        &["SET", "k", "v"],
        &["PEXPIREAT", "k", "0"],
        &["EXISTS", "k"],
        &["EXPIRETIME"],
        &["PEXPIREAT", "k"],
    ]);
}

#[test]
fn touch_randomkey_object_match_redis() {
    let mut d = Differ::new(&[]);
    d.check_all(&[
        &["RANDOMKEY"],
        &["TOUCH", "a", "b"],
        &["SET", "only", "1"],
        &["RANDOMKEY"],
        &["TOUCH", "only", "only", "nosuch"],
        &["SET", "int", "12345"],
        &["SET", "big", "123456789012"],
        &["SET", "neg", "-5"],
        &["SET", "emb", "hello"],
        &[
            "SET",
            "raw",
            "0123456789012345678901234567890123456789abcdefgh",
        ],
        &["SET", "lead0", "0123"],
        &["OBJECT", "ENCODING", "int"],
        &["OBJECT", "ENCODING", "big"],
        &["OBJECT", "ENCODING", "emb"],
        &["OBJECT", "ENCODING", "raw"],
        &["OBJECT", "ENCODING", "lead0"],
        &["OBJECT", "ENCODING", "nosuch"],
        &["OBJECT", "REFCOUNT", "int"],
        &["OBJECT", "REFCOUNT", "big"],
        &["OBJECT", "REFCOUNT", "neg"],
        &["OBJECT", "REFCOUNT", "emb"],
        &["OBJECT", "REFCOUNT", "nosuch"],
        &["OBJECT", "IDLETIME", "emb"],
        &["OBJECT", "IDLETIME", "nosuch"],
        &["OBJECT", "FREQ", "emb"],
        &["OBJECT", "FREQ", "nosuch"],
        &["OBJECT", "HELP"],
        &["OBJECT", "help"],
        &["OBJECT"],
        &["OBJECT", "NOSUCH"],
        &["OBJECT", "ENCODING"],
        &["OBJECT", "ENCODING", "a", "b"],
        &["OBJECT", "HELP", "x"],
        &["TOUCH"],
        &["RANDOMKEY", "x"],
        &["CONFIG", "SET", "maxmemory-policy", "allkeys-lfu"],
        &["SET", "f", "v"],
        &["OBJECT", "FREQ", "f"],
        &["OBJECT", "IDLETIME", "f"],
    ]);
}

/// Every key a full SCAN iteration returns (cursor followed to 0).
fn scan_all(c: &mut RawClient, opts: &[&str]) -> BTreeSet<Vec<u8>> {
    let mut seen = BTreeSet::new();
    let mut cursor = b"0".to_vec();
    for _ in 0..100_000 {
        let mut args: Vec<&[u8]> = vec![b"SCAN", &cursor];
        args.extend(opts.iter().map(|o| o.as_bytes()));
        let Frame::Array(reply) = c.cmd(&args) else {
            panic!("SCAN reply is not an array");
        };
        let [Frame::Bulk(next), Frame::Array(keys)] = &reply[..] else {
            panic!("SCAN reply shape: {reply:?}");
        };
        for k in keys {
            let Frame::Bulk(k) = k else {
                panic!("SCAN key is not a bulk: {k:?}")
            };
            seen.insert(k.to_vec());
        }
        if next.as_ref() == b"0" {
            return seen;
        }
        cursor = next.to_vec();
    }
    panic!("SCAN did not finish");
}

#[test]
fn scan_iteration_sets_match_redis() {
    let mut d = Differ::new(&[]);
    for i in 0..300 {
        let k = format!("key:{i}");
        d.check(&["SET", &k, "v"]);
        if i % 3 == 0 {
            d.check(&["SET", &format!("other:{i}"), "1"]);
        }
    }
    for opts in [
        &[][..],
        &["COUNT", "1"],
        &["COUNT", "1000"],
        &["MATCH", "key:1*"],
        &["MATCH", "*", "COUNT", "7"],
        &["MATCH", "other:*", "COUNT", "3", "TYPE", "string"],
        &["TYPE", "STRING"],
        &["TYPE", "list"],
        &["TYPE", "nosuchtype"],
        &["MATCH", "nomatch*"],
    ] {
        let ours = scan_all(&mut d.a, opts);
        let theirs = scan_all(&mut d.b, opts);
        assert_eq!(ours, theirs, "SCAN {opts:?}");
    }
    for bad in [
        &["SCAN", "abc"][..],
        &["SCAN", " 1"],
        &["SCAN", "1x"],
        &["SCAN", "-"],
        &["SCAN", "99999999999999999999999"],
        &["SCAN", "0", "COUNT", "0"],
        &["SCAN", "0", "COUNT", "-1"],
        &["SCAN", "0", "COUNT", "x"],
        &["SCAN", "0", "COUNT"],
        &["SCAN", "0", "MATCH"],
        &["SCAN", "0", "TYPE"],
        &["SCAN", "0", "FOO", "bar"],
        &["SCAN"],
    ] {
        d.check(bad);
    }
    // An empty database ends at once on both.
    d.check(&["FLUSHALL"]);
    d.check(&["SCAN", "0"]);
    d.check(&["SCAN", ""]);
}

#[test]
fn scan_skips_expired_keys() {
    let node = Proc::node(&[]);
    let mut c = node.raw();
    for i in 0..50 {
        c.cmd(&["SET", &format!("live:{i}"), "v"]);
        c.cmd(&["SET", &format!("dead:{i}"), "v"]);
        c.cmd(&["PEXPIREAT", &format!("dead:{i}"), "1"]);
    }
    let keys = scan_all(&mut c, &[]);
    assert_eq!(keys.len(), 50, "{keys:?}");
    assert!(keys.iter().all(|k| k.starts_with(b"live:")));
}

#[test]
fn dump_restore_errors_match_redis() {
    let mut d = Differ::new(&[]);
    d.check_all(&[
        &["DUMP", "nosuch"],
        &["RESTORE", "k", "0", "garbage"],
        &["RESTORE", "k", "0", ""],
        &["RESTORE", "k", "-1", "garbage"],
        &["RESTORE", "k", "x", "garbage"],
        &["RESTORE", "k", "0", "garbage", "FOO"],
        &["RESTORE", "k", "0", "garbage", "IDLETIME", "-1"],
        &["RESTORE", "k", "0", "garbage", "IDLETIME", "x"],
        &["RESTORE", "k", "0", "garbage", "IDLETIME"],
        &["RESTORE", "k", "0", "garbage", "FREQ", "256"],
        &["RESTORE", "k", "0", "garbage", "FREQ", "-1"],
        &["RESTORE", "k", "0", "garbage", "FREQ", "1", "IDLETIME", "1"],
        &["RESTORE", "k", "0", "garbage", "IDLETIME", "1", "FREQ", "1"],
        &[
            "RESTORE", "k", "0", "garbage", "REPLACE", "ABSTTL", "FREQ", "1",
        ],
        &["SET", "k", "v"],
        &["RESTORE", "k", "0", "garbage"],
        &["RESTORE", "k", "-1", "garbage"],
        &["RESTORE", "k", "0", "garbage", "REPLACE"],
        &["GET", "k"],
        &["RESTORE", "k", "0"],
        &["DUMP"],
    ]);
}

fn dump_of(c: &mut RawClient, key: &str) -> Vec<u8> {
    match c.cmd(&["DUMP", key]) {
        Frame::Bulk(b) => b.to_vec(),
        other => panic!("DUMP {key}: {other:?}"),
    }
}

#[test]
fn dump_restore_round_trips_on_our_node() {
    let node = Proc::node(&[]);
    let mut c = node.raw();
    let binary: &[u8] = &[0, 1, 2, 255, b'\r', b'\n'];
    c.cmd(&[&b"SET"[..], b"bin", binary]);
    c.cmd(&["SET", "n", "12345"]);
    c.cmd(&["SET", "e", ""]);
    for key in ["bin", "n", "e"] {
        let payload = dump_of(&mut c, key);
        let target = format!("{key}:copy");
        let r = c.cmd(&[b"RESTORE", target.as_bytes(), b"0", &payload[..]]);
        assert_eq!(r, Frame::ok(), "RESTORE {key}");
        assert_eq!(c.cmd(&["GET", key]), c.cmd(&["GET", &target]));
        assert_eq!(c.cmd(&["PTTL", &target]), Frame::Integer(-1));
        // BUSYKEY without REPLACE, then REPLACE works.
        let busy = c.cmd(&[b"RESTORE", target.as_bytes(), b"0", &payload[..]]);
        assert_eq!(
            busy,
            Frame::error("BUSYKEY Target key name already exists.")
        );
        let r = c.cmd(&[
            b"RESTORE",
            target.as_bytes(),
            b"0",
            &payload[..],
            b"REPLACE",
        ]);
        assert_eq!(r, Frame::ok());
    }
    let payload = dump_of(&mut c, "n");

    // A relative TTL, and an absolute one with ABSTTL.
    assert_eq!(
        c.cmd(&[&b"RESTORE"[..], b"t1", b"100000", &payload]),
        Frame::ok()
    );
    let Frame::Integer(pttl) = c.cmd(&["PTTL", "t1"]) else {
        panic!("PTTL")
    };
    assert!((90_000..=100_000).contains(&pttl), "{pttl}");
    let r = c.cmd(&[
        &b"RESTORE"[..],
        b"t2",
        b"99999999999999",
        &payload,
        b"ABSTTL",
        b"IDLETIME",
        b"10",
    ]);
    assert_eq!(r, Frame::ok());
    assert_eq!(
        c.cmd(&["PEXPIRETIME", "t2"]),
        Frame::Integer(99_999_999_999_999)
    );
    // An absolute TTL in the past: OK, and the key is not created (an old one is deleted).
    let r = c.cmd(&[
        &b"RESTORE"[..],
        b"t2",
        b"1",
        &payload,
        b"ABSTTL",
        b"REPLACE",
    ]);
    assert_eq!(r, Frame::ok());
    assert_eq!(c.cmd(&["EXISTS", "t2"]), Frame::Integer(0));

    // Every single-bit corruption and every truncation is refused.
    let wrong = Frame::error("ERR DUMP payload version or checksum are wrong");
    for i in 0..payload.len() {
        let mut bad = payload.clone();
        bad[i] ^= 0x10;
        assert_eq!(
            c.cmd(&[&b"RESTORE"[..], b"bad", b"0", &bad]),
            wrong,
            "byte {i}"
        );
        let cut = &payload[..i];
        assert_eq!(
            c.cmd(&[&b"RESTORE"[..], b"bad", b"0", cut]),
            wrong,
            "cut {i}"
        );
    }
    assert_eq!(c.cmd(&["EXISTS", "bad"]), Frame::Integer(0));
    assert_eq!(c.cmd(&["GET", "n:copy"]), bulk("12345"));
}

#[test]
fn redis_payloads_are_refused_by_our_node() {
    let redis = Proc::redis(&[]);
    let node = Proc::node(&[]);
    let (mut r, mut c) = (redis.raw(), node.raw());
    r.cmd(&["SET", "k", "hello"]);
    let payload = dump_of(&mut r, "k");
    assert_eq!(
        c.cmd(&[&b"RESTORE"[..], b"k", b"0", &payload]),
        Frame::error("ERR DUMP payload version or checksum are wrong")
    );
}

#[test]
fn swapdb_in_cluster_mode_matches_redis() {
    let mut d = Differ::new(&["--cluster-enabled", "yes"]);
    d.check(&["SWAPDB", "0", "1"]);
    d.check(&["SWAPDB", "x", "1"]);
}
