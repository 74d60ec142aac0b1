//! Differential tests for the HyperLogLog commands (PFADD, PFCOUNT, PFMERGE, PFDEBUG,
//! PFSELFTEST): replies and the raw sketch bytes (GET) must equal real Redis 7.0's, sparse and
//! dense, across the sparse-to-dense promotion, for corrupt sketches, every error, keyspace
//! events, the cluster CROSSSLOT rule and random sequences; replicas keep identical bytes.

use std::time::Duration;

use proptest::prelude::*;
use shoal_tests::{Differ, DifferN, Frame, Proc, link_up, offsets_match, wait_until};

/// `PFADD key e<from> .. e<to-1>`.
fn pfadd_range(key: &str, from: u32, to: u32) -> Vec<String> {
    let mut a = vec!["PFADD".to_string(), key.to_string()];
    a.extend((from..to).map(|i| format!("e{i}")));
    a
}

/// A sparse sketch header (cached count `card`, valid unless `stale`) followed by `ops`.
fn sparse(card: u64, stale: bool, ops: &[u8]) -> Vec<u8> {
    let mut v = b"HYLL\x01\0\0\0".to_vec();
    let mut c = card.to_le_bytes();
    if stale {
        c[7] |= 0x80;
    }
    v.extend_from_slice(&c);
    v.extend_from_slice(ops);
    v
}

/// A dense sketch whose registers all hold `reg`.
fn dense_all(reg: u8) -> Vec<u8> {
    let mut v = b"HYLL\x00\0\0\0\0\0\0\0\0\0\0\x80".to_vec();
    // Four 6-bit registers per three bytes, least significant bits first.
    let word = u32::from(reg) * (1 + (1 << 6) + (1 << 12) + (1 << 18));
    for _ in 0..4096 {
        v.extend_from_slice(&word.to_le_bytes()[..3]);
    }
    v
}

#[test]
fn command_info_and_docs_match_redis() {
    let mut d = Differ::new(&[]);
    for name in ["pfadd", "pfcount", "pfmerge", "pfdebug", "pfselftest"] {
        d.check(&["COMMAND", "INFO", name]);
        d.check(&["COMMAND", "DOCS", name]);
    }
}

#[test]
fn small_sketches_match_redis_byte_for_byte() {
    let mut d = Differ::new(&[]);
    d.check_all(&[
        &["PFCOUNT", "h"],
        &["PFADD", "h"],
        &["GET", "h"],
        &["PFADD", "h"],
        &["PFADD", "h", "a", "b", "c"],
        &["GET", "h"],
        &["PFADD", "h", "a", "b", "c"],
        &["PFDEBUG", "DECODE", "h"],
        &["PFDEBUG", "ENCODING", "h"],
        &["OBJECT", "ENCODING", "h"],
        // The count is cached in the header: GET shows it stored and valid.
        &["PFCOUNT", "h"],
        &["GET", "h"],
        &["PFCOUNT", "h"],
        &["PFADD", "h", "d"],
        &["GET", "h"],
        &["PFCOUNT", "h"],
        &["GET", "h"],
        &[
            "PFADD",
            "h",
            "",
            "\u{0}",
            "é",
            "a longer element of more than eight bytes",
        ],
        &["PFCOUNT", "h"],
        &["GET", "h"],
        &["PFDEBUG", "GETREG", "h"],
        &["GET", "h"],
        &["PFDEBUG", "ENCODING", "h"],
        &["PFDEBUG", "TODENSE", "h"],
        &["PFADD", "x", "1"],
        &["PFDEBUG", "TODENSE", "x"],
        &["PFDEBUG", "TODENSE", "x"],
        &["GET", "x"],
        &["PFDEBUG", "getreg", "x"],
        &["PFDEBUG", "Encoding", "x"],
        &["PFCOUNT", "x"],
        &["GET", "x"],
        &["TYPE", "x"],
        &["STRLEN", "x"],
    ]);
}

#[test]
fn ttls_and_string_encodings_match_redis() {
    let mut d = Differ::new(&[]);
    d.check_all(&[
        &["PFADD", "h", "a"],
        &["EXPIRE", "h", "1000"],
        &["PFADD", "h", "b"],
        &["TTL", "h"],
        &["PFMERGE", "h", "nosuch"],
        &["TTL", "h"],
        &["PFCOUNT", "h"],
        &["TTL", "h"],
    ]);
    // A sketch copied with SET is a short `embstr` string: the commands make it `raw`.
    let Frame::Bulk(bytes) = d.check(&["GET", "h"]) else {
        panic!("GET h")
    };
    for cmd in ["PFCOUNT", "PFADD", "PFDEBUG", "PFMERGE"] {
        d.check(&[b"SET".as_slice(), b"c", &bytes]);
        d.check(&["OBJECT", "ENCODING", "c"]);
        match cmd {
            "PFDEBUG" => d.check(&["PFDEBUG", "ENCODING", "c"]),
            "PFMERGE" => d.check(&["PFMERGE", "c"]),
            _ => d.check(&[cmd, "c"]),
        };
        d.check(&["OBJECT", "ENCODING", "c"]);
        d.check(&["GET", "c"]);
    }
}

#[test]
fn large_sketches_cross_the_promotion_like_redis() {
    let mut d = Differ::new(&[]);
    // 10k elements in batches of 100: the sketch turns dense on the way.
    for b in 0..100 {
        d.check(&pfadd_range("big", b * 100, b * 100 + 100));
        d.check(&["PFDEBUG", "ENCODING", "big"]);
        d.check(&["PFCOUNT", "big"]);
        if b % 5 == 0 || b < 30 {
            d.check(&["GET", "big"]);
        }
    }
    // Up to 100k in batches of 1000, re-adding some old elements.
    for b in 10..100 {
        d.check(&pfadd_range("big", b * 1000 - 500, b * 1000 + 1000));
        d.check(&["PFCOUNT", "big"]);
    }
    d.check(&["GET", "big"]);
    d.check(&["PFADD", "big", "e1", "e2"]);
    d.check(&["STRLEN", "big"]);
}

#[test]
fn merges_match_redis() {
    let mut d = Differ::new(&[]);
    d.check(&pfadd_range("s1", 0, 50));
    d.check(&pfadd_range("s2", 25, 120));
    d.check(&pfadd_range("dense", 0, 4000));
    d.check(&["PFDEBUG", "ENCODING", "dense"]);
    d.check_all(&[
        // Several keys: counted as a union, no key changes (GET before and after).
        &["GET", "s1"],
        &["PFCOUNT", "s1", "s2"],
        &["PFCOUNT", "s1", "s2", "nosuch"],
        &["PFCOUNT", "nosuch", "nosuch2"],
        &["GET", "s1"],
        &["PFCOUNT", "s1", "dense", "s2"],
        &["GET", "s2"],
        &["PFMERGE", "m1", "s1", "s2"],
        &["GET", "m1"],
        &["PFDEBUG", "ENCODING", "m1"],
        &["PFCOUNT", "m1"],
        &["PFMERGE", "m2", "s1", "dense"],
        &["PFDEBUG", "ENCODING", "m2"],
        &["GET", "m2"],
        &["PFCOUNT", "m2"],
        &["PFMERGE", "s1", "s2"],
        &["GET", "s1"],
        &["PFMERGE", "s2", "nosuch"],
        &["GET", "s2"],
        &["PFMERGE", "only"],
        &["GET", "only"],
        &["PFCOUNT", "only"],
        &["PFMERGE", "only"],
        &["GET", "only"],
        &["PFMERGE", "dense", "s1"],
        &["GET", "dense"],
        &["PFMERGE", "m3", "m1", "m1", "m1"],
        &["GET", "m3"],
    ]);
    // A merge into a sparse destination may cross hll-sparse-max-bytes.
    d.check(&["CONFIG", "SET", "hll-sparse-max-bytes", "200"]);
    d.check(&["PFMERGE", "m4", "s1", "s2"]);
    d.check(&["PFDEBUG", "ENCODING", "m4"]);
    d.check(&["GET", "m4"]);
}

#[test]
fn sparse_max_bytes_setting_matches_redis() {
    let mut d = Differ::new(&[]);
    d.check_all(&[
        &["CONFIG", "GET", "hll-sparse-max-bytes"],
        &["CONFIG", "SET", "hll-sparse-max-bytes", "-1"],
        &["CONFIG", "SET", "hll-sparse-max-bytes", "1k"],
        &["CONFIG", "GET", "hll-sparse-max-bytes"],
        &["CONFIG", "SET", "hll-sparse-max-bytes", "0"],
        &["PFADD", "z", "a"],
        &["PFDEBUG", "ENCODING", "z"],
        &["PFADD", "z2"],
        &["PFDEBUG", "ENCODING", "z2"],
        &["CONFIG", "SET", "hll-sparse-max-bytes", "60"],
    ]);
    for b in 0..20 {
        d.check(&pfadd_range("small", b * 3, b * 3 + 3));
        d.check(&["GET", "small"]);
    }
    d.check(&["CONFIG", "SET", "hll-sparse-max-bytes", "20000"]);
    for b in 0..20 {
        d.check(&pfadd_range("roomy", b * 500, b * 500 + 500));
        d.check(&["PFDEBUG", "ENCODING", "roomy"]);
    }
    d.check(&["GET", "roomy"]);
}

#[test]
fn errors_match_redis() {
    let mut d = Differ::new(&[]);
    d.check_all(&[
        &["PFADD"],
        &["PFCOUNT"],
        &["PFMERGE"],
        &["PFDEBUG"],
        &["PFDEBUG", "GETREG"],
        &["PFDEBUG", "GETREG", "a", "b"],
        &["PFSELFTEST", "x"],
        &["LPUSH", "list", "a"],
        &["PFADD", "list", "a"],
        &["PFCOUNT", "list"],
        &["PFCOUNT", "nosuch", "list"],
        &["PFMERGE", "list", "nosuch"],
        &["PFMERGE", "dest", "list"],
        &["EXISTS", "dest"],
        &["PFDEBUG", "ENCODING", "list"],
        &["SET", "plain", "hello"],
        &["PFADD", "plain", "a"],
        &["PFCOUNT", "plain"],
        &["PFCOUNT", "plain", "list"],
        &["PFMERGE", "plain"],
        &["PFDEBUG", "GETREG", "plain"],
        &["SET", "int", "12345"],
        &["PFADD", "int", "a"],
        &["SET", "bad", "HYLLxxxxxxxxxxxxxxxxxxxxx"],
        &["PFADD", "bad", "a"],
        &["PFCOUNT", "bad"],
        &["SET", "short", "HYLL\u{1}"],
        &["PFADD", "short", "a"],
        &["PFDEBUG", "GETREG", "nosuch"],
        &["PFDEBUG", "FOO", "nosuch"],
        &["PFADD", "h", "a"],
        &["PFDEBUG", "FOO", "h"],
        &["PFDEBUG", "FOO", "list"],
        &["PFDEBUG", "TODENSE", "h"],
        &["PFDEBUG", "DECODE", "h"],
        &["GET", "nosuch"],
    ]);
    // A dense header on a string of the wrong length is not a sketch.
    let mut short_dense = dense_all(1);
    short_dense.pop();
    d.check(&[b"SET".as_slice(), b"sd", &short_dense]);
    d.check(&["PFCOUNT", "sd"]);
}

#[test]
fn corrupt_sketches_match_redis() {
    let mut d = Differ::new(&[]);
    let cases: Vec<(&str, Vec<u8>)> = vec![
        // Covers 8000 registers only.
        (
            "few",
            sparse(
                0,
                true,
                &[0x40 | (7999u16 >> 8) as u8, (7999u16 & 0xff) as u8],
            ),
        ),
        // One register too many after a full XZERO.
        ("many", sparse(0, true, &[0x7f, 0xff, 0x00])),
        // A VAL run past the last register.
        ("over", sparse(0, true, &[0x7f, 0xfe, 0x83])),
        // Only the header.
        ("empty", sparse(0, true, &[])),
        // A valid cached count is trusted as it is.
        ("cached", sparse(12345, false, &[0x7f, 0xff])),
        ("forged", dense_all(63)),
        ("high", dense_all(40)),
    ];
    for (key, value) in &cases {
        d.check(&[b"SET".as_slice(), key.as_bytes(), value]);
    }
    for (key, _) in &cases {
        d.check(&["PFCOUNT", key]);
        d.check(&["GET", key]);
        d.check(&["PFCOUNT", key, "nosuch"]);
        d.check(&["PFDEBUG", "DECODE", key]);
        d.check(&["PFDEBUG", "GETREG", key]);
        // Edits made before the broken part is reached stay, as in Redis.
        d.check(&pfadd_range(key, 0, 40));
        d.check(&["GET", key]);
        d.check(&["PFMERGE", "dst", key]);
        d.check(&["PFMERGE", key, "dst"]);
        d.check(&["GET", key]);
        d.check(&["PFDEBUG", "TODENSE", key]);
        d.check(&["GET", key]);
        d.check(&["PFCOUNT", key]);
    }
    d.check(&["GET", "dst"]);
    // A truncated XZERO at the end: its missing byte reads as zero in a fresh string. After
    // an edit Redis leaves a byte of the replacement past the string's end and reads it
    // back later (known difference: we read zero), so only the first edit is compared.
    d.check(&[b"SET".as_slice(), b"cut", &sparse(0, true, &[0x7f])]);
    for cmd in [
        &["PFCOUNT", "cut"][..],
        &["PFDEBUG", "DECODE", "cut"],
        &["PFADD", "cut", "e0"],
        &["GET", "cut"],
    ] {
        d.check(cmd);
    }
}

#[test]
fn keyspace_events_match_redis() {
    let mut t = DifferN::new(&[], 2);
    t.check(0, &["CONFIG", "SET", "notify-keyspace-events", "KEA"]);
    t.check(0, &["PSUBSCRIBE", "__key*__:*"]);
    for cmd in [
        &["PFADD", "h", "a"][..],
        &["PFADD", "h", "a"],
        &["PFCOUNT", "h"],
        &["PFMERGE", "h2", "h"],
        &["PFMERGE", "h3"],
        &["PFCOUNT", "h", "h2"],
        &["PFDEBUG", "TODENSE", "h"],
        &["PFDEBUG", "GETREG", "h2"],
        &["PFADD", "h", "b", "c"],
    ] {
        t.check(1, cmd);
        t.drain(0);
    }
}

#[test]
fn dump_and_restore_keep_the_sketch() {
    let mut d = Differ::new(&[]);
    d.check(&pfadd_range("s", 0, 100));
    d.check(&pfadd_range("big", 0, 5000));
    d.check(&["PFCOUNT", "s"]);
    for key in ["s", "big"] {
        let payload = d.a.cmd(&["DUMP", key]);
        let Frame::Bulk(p) = payload else {
            panic!("DUMP {key}: {payload:?}")
        };
        let copy = format!("{key}-copy");
        assert_eq!(
            d.a.cmd(&[b"RESTORE".as_slice(), copy.as_bytes(), b"0", &p]),
            Frame::ok()
        );
        d.b.cmd(&["COPY", key, &copy]);
        d.check(&["GET", &copy]);
        d.check(&["PFADD", &copy, "more"]);
        d.check(&["PFCOUNT", &copy]);
        d.check(&["GET", &copy]);
    }
}

#[test]
fn crossslot_in_cluster_mode() {
    let mut d = Differ::new(&["--cluster-enabled", "yes"]);
    d.check(&["CLUSTER", "ADDSLOTSRANGE", "0", "16383"]);
    d.check_all(&[
        &["PFCOUNT", "a", "b"],
        &["PFMERGE", "a", "b"],
        &["PFCOUNT", "{t}a", "b"],
    ]);
}

#[test]
fn self_test_passes_like_redis() {
    let mut d = Differ::new(&[]);
    d.check(&["PFSELFTEST"]);
}

/// Writes and cached counts reach a replica of our node: its bytes equal the primary's,
/// which equal Redis's for the same commands.
#[test]
fn replicas_keep_identical_bytes() {
    let mut d = Differ::new(&[]);
    let replica = Proc::node(&[]);
    let mut r = replica.raw();
    r.cmd(&["REPLICAOF", "127.0.0.1", &d.ours.port.to_string()]);
    let sync = Duration::from_secs(60);
    assert!(wait_until(sync, || link_up(&mut r)), "link never came up");
    let mut script: Vec<Vec<String>> = vec![
        pfadd_range("s", 0, 30),
        pfadd_range("d", 0, 3000),
        vec!["PFADD".into(), "s".into(), "e1".into()],
    ];
    for cmd in [
        &["PFCOUNT", "s"][..],
        &["PFCOUNT", "d"],
        &["PFCOUNT", "s", "d"],
        &["PFMERGE", "m", "s", "d"],
        &["PFMERGE", "m2", "s"],
        &["PFCOUNT", "m2"],
        &["PFDEBUG", "TODENSE", "m2"],
        &["PFDEBUG", "ENCODING", "s"],
        &["PFADD", "s2", "x"],
        &["PFDEBUG", "GETREG", "s2"],
        &["PFCOUNT", "m"],
    ] {
        script.push(cmd.iter().map(|s| (*s).to_string()).collect());
    }
    for cmd in &script {
        d.check(cmd);
    }
    assert!(wait_until(sync, || offsets_match(&mut d.a, &mut r)));
    for key in ["s", "d", "m", "m2", "s2"] {
        let primary = d.check(&["GET", key]);
        assert_eq!(r.cmd(&["GET", key]), primary, "replica's {key}");
    }
    // A replica counting a stale sketch stores the count for itself: its stream offset stays
    // the primary's, and the primary's own PFCOUNT later brings the same bytes.
    d.check(&["PFADD", "s", "late"]);
    assert!(wait_until(sync, || offsets_match(&mut d.a, &mut r)));
    let counted = r.cmd(&["PFCOUNT", "s"]);
    d.check(&["SET", "marker", "1"]);
    assert!(wait_until(sync, || r.cmd(&["GET", "marker"]) == Frame::bulk("1")));
    // (Waited for, not read once: the primary's periodic PING moves both offsets.)
    assert!(
        wait_until(sync, || offsets_match(&mut d.a, &mut r)),
        "the replica's offset moved"
    );
    assert_eq!(d.check(&["PFCOUNT", "s"]), counted);
    assert!(wait_until(sync, || offsets_match(&mut d.a, &mut r)));
    let primary = d.check(&["GET", "s"]);
    assert_eq!(r.cmd(&["GET", "s"]), primary, "replica's s after PFCOUNT");
}

/// One random operation over four keys.
#[derive(Debug, Clone)]
enum Op {
    Add(u8, Vec<u16>),
    Count(Vec<u8>),
    Merge(u8, Vec<u8>),
    Get(u8),
    Debug(u8, u8),
    SparseMax(u16),
}

fn key(k: u8) -> String {
    format!("k{}", k % 4)
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        6 => (any::<u8>(), proptest::collection::vec(any::<u16>(), 0..60))
            .prop_map(|(k, e)| Op::Add(k, e)),
        3 => proptest::collection::vec(any::<u8>(), 1..4).prop_map(Op::Count),
        2 => (any::<u8>(), proptest::collection::vec(any::<u8>(), 0..3))
            .prop_map(|(d, s)| Op::Merge(d, s)),
        2 => any::<u8>().prop_map(Op::Get),
        1 => (any::<u8>(), 0u8..4).prop_map(|(k, s)| Op::Debug(k, s)),
        1 => prop_oneof![Just(3000u16), Just(300), Just(40)].prop_map(Op::SparseMax),
    ]
}

fn args(op: &Op) -> Vec<String> {
    let s = |v: &str| v.to_string();
    match op {
        Op::Add(k, elements) => {
            let mut a = vec![s("PFADD"), key(*k)];
            a.extend(elements.iter().map(|e| format!("e{e}")));
            a
        }
        Op::Count(keys) => {
            let mut a = vec![s("PFCOUNT")];
            a.extend(keys.iter().map(|k| key(*k)));
            a
        }
        Op::Merge(dest, sources) => {
            let mut a = vec![s("PFMERGE"), key(*dest)];
            a.extend(sources.iter().map(|k| key(*k)));
            a
        }
        Op::Get(k) => vec![s("GET"), key(*k)],
        Op::Debug(k, sub) => {
            let sub = ["ENCODING", "DECODE", "TODENSE", "GETREG"][usize::from(*sub)];
            vec![s("PFDEBUG"), s(sub), key(*k)]
        }
        Op::SparseMax(n) => vec![
            s("CONFIG"),
            s("SET"),
            s("hll-sparse-max-bytes"),
            n.to_string(),
        ],
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 16, ..ProptestConfig::default() })]
    #[test]
    fn random_hll_sequences_match_redis(ops in proptest::collection::vec(op(), 1..60)) {
        let mut d = Differ::new(&[]);
        for op in &ops {
            let a = args(op);
            let (ours, theirs) = d.both(&a);
            prop_assert_eq!(ours, theirs, "after {:?}", a);
        }
        for k in 0..4u8 {
            let (ours, theirs) = d.both(&["GET", &key(k)]);
            prop_assert_eq!(ours, theirs, "final value of {}", key(k));
        }
    }
}
