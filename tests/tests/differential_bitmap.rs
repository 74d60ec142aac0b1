//! Differential tests for the bitmap commands (SETBIT, GETBIT, BITCOUNT, BITPOS, BITOP,
//! BITFIELD, BITFIELD_RO), plus random command sequences over strings and bitmaps.

use proptest::prelude::*;
use shoal_tests::Differ;

#[test]
fn command_info_matches_redis() {
    let mut d = Differ::new(&[]);
    for name in [
        "setbit",
        "getbit",
        "bitcount",
        "bitpos",
        "bitop",
        "bitfield",
        "bitfield_ro",
    ] {
        d.check(&["COMMAND", "INFO", name]);
    }
}

#[test]
fn setbit_getbit_match_redis() {
    let mut d = Differ::new(&[]);
    d.check_all(&[
        &["GETBIT", "b", "0"],
        &["SETBIT", "b", "7", "1"],
        &["GET", "b"],
        &["SETBIT", "b", "7", "1"],
        &["SETBIT", "b", "7", "0"],
        &["SETBIT", "b", "100", "1"],
        &["STRLEN", "b"],
        &["GETBIT", "b", "100"],
        &["GETBIT", "b", "101"],
        &["GETBIT", "b", "100000"],
        &["SETBIT", "b", "0", "2"],
        &["SETBIT", "b", "0", "-1"],
        &["SETBIT", "b", "0", "x"],
        &["SETBIT", "b", "-1", "1"],
        &["SETBIT", "b", "x", "1"],
        &["SETBIT", "b", "4294967296", "1"],
        &["SETBIT", "b", "4294967295", "0"],
        &["GETBIT", "b", "-1"],
        &["GETBIT", "b", "4294967296"],
        &["GETBIT", "b", "#1"],
        &["SET", "n", "12"],
        &["GETBIT", "n", "2"],
        &["GETBIT", "n", "3"],
        &["SETBIT", "n", "6", "1"],
        &["GET", "n"],
        &["EXPIRE", "n", "100"],
        &["SETBIT", "n", "100", "1"],
        &["TTL", "n"],
        &["SETBIT", "b", "1"],
        &["GETBIT", "b"],
    ]);
}

#[test]
fn bitcount_bitpos_match_redis() {
    let mut d = Differ::new(&[]);
    d.check_all(&[
        &["BITCOUNT", "nosuch"],
        &["BITCOUNT", "nosuch", "x", "y"],
        &["BITCOUNT", "nosuch", "1"],
        &["BITPOS", "nosuch", "1"],
        &["BITPOS", "nosuch", "0"],
        &["BITPOS", "nosuch", "0", "x"],
        &["BITPOS", "nosuch", "2"],
        &["BITPOS", "nosuch", "x"],
        &["SET", "s", "foobar"],
        &["BITCOUNT", "s"],
        &["BITCOUNT", "s", "0", "0"],
        &["BITCOUNT", "s", "1", "1"],
        &["BITCOUNT", "s", "1", "1", "BYTE"],
        &["BITCOUNT", "s", "5", "30", "BIT"],
        &["BITCOUNT", "s", "5", "30", "bit"],
        &["BITCOUNT", "s", "-10", "-1", "BIT"],
        &["BITCOUNT", "s", "0", "-1"],
        &["BITCOUNT", "s", "-100", "100"],
        &["BITCOUNT", "s", "-1", "-5"],
        &["BITCOUNT", "s", "-1", "-5", "FOO"],
        &["BITCOUNT", "s", "3", "2"],
        &["BITCOUNT", "s", "1", "1", "FOO"],
        &["BITCOUNT", "s", "1"],
        &["BITCOUNT", "s", "1", "2", "BIT", "x"],
        &["BITCOUNT", "s", "x", "2"],
        &["BITCOUNT", "s", "1", "x"],
        &["BITCOUNT", "s", "7", "7", "BIT"],
        &["BITCOUNT", "s", "9", "14", "BIT"],
        &["BITCOUNT", "s", "9", "9", "BIT"],
        &["SET", "e", ""],
        &["BITCOUNT", "e"],
        &["BITCOUNT", "e", "0", "-1"],
        &["BITPOS", "e", "0"],
        &["BITPOS", "e", "1"],
        &["SETBIT", "p", "0", "0"],
        &["SETBIT", "p", "17", "1"],
        &["BITPOS", "p", "1"],
        &["BITPOS", "p", "0"],
        &["BITPOS", "p", "1", "1"],
        &["BITPOS", "p", "1", "3"],
        &["BITPOS", "p", "1", "0", "1"],
        &["BITPOS", "p", "1", "0", "-1", "BIT"],
        &["BITPOS", "p", "1", "18", "-1", "BIT"],
        &["BITPOS", "p", "1", "10", "17", "BIT"],
        &["BITPOS", "p", "1", "10", "16", "BIT"],
        &["BITPOS", "p", "0", "17", "17", "BIT"],
        &["BITPOS", "p", "1", "-5", "-1", "BIT"],
        &["BITPOS", "p", "1", "0", "1", "FOO"],
        &["BITPOS", "p", "1", "0", "x", "FOO"],
        &["BITPOS", "p", "1", "x"],
        &["BITPOS", "p", "1", "0", "x"],
        &["BITPOS", "p", "1", "0", "1", "BIT", "x"],
        &["SET", "f", "\u{7f}"],
        &["SET", "ones", "\u{7f}\u{7f}"],
        &["SETBIT", "full", "0", "1"],
        &["SETBIT", "full", "1", "1"],
        &["SETBIT", "full", "2", "1"],
        &["SETBIT", "full", "3", "1"],
        &["SETBIT", "full", "4", "1"],
        &["SETBIT", "full", "5", "1"],
        &["SETBIT", "full", "6", "1"],
        &["SETBIT", "full", "7", "1"],
        &["BITPOS", "full", "0"],
        &["BITPOS", "full", "0", "0"],
        &["BITPOS", "full", "0", "0", "-1"],
        &["BITPOS", "full", "0", "0", "-1", "BIT"],
        &["BITPOS", "full", "0", "0", "3", "BIT"],
        &["BITPOS", "full", "1", "0", "-1", "BIT"],
        &["BITPOS", "full", "1", "3", "2", "BIT"],
        &["BITPOS", "full", "0", "2", "2"],
        &["BITPOS", "full", "0", "-3", "-2"],
    ]);
}

#[test]
fn bitop_matches_redis() {
    let mut d = Differ::new(&[]);
    d.check_all(&[
        &["SET", "a", "abc"],
        &["SET", "b", "zz"],
        &["BITOP", "AND", "dest", "a", "b"],
        &["GET", "dest"],
        &["BITOP", "or", "dest", "a", "b"],
        &["GET", "dest"],
        &["BITOP", "XOR", "dest", "a", "b", "nosuch"],
        &["GET", "dest"],
        &["BITOP", "NOT", "dest", "a"],
        &["GET", "dest"],
        &["BITOP", "AND", "dest", "a", "nosuch"],
        &["GET", "dest"],
        &["EXPIRE", "dest", "100"],
        &["BITOP", "OR", "dest", "a"],
        &["TTL", "dest"],
        &["BITOP", "AND", "dest", "nosuch", "nosuch2"],
        &["EXISTS", "dest"],
        &["BITOP", "AND", "dest", "nosuch"],
        &["BITOP", "NOT", "dest", "a", "b"],
        &["BITOP", "NOT", "dest"],
        &["BITOP", "NAND", "dest", "a"],
        &["BITOP", "AND", "dest"],
        &["SET", "e", ""],
        &["BITOP", "NOT", "dest", "e"],
        &["EXISTS", "dest"],
    ]);
}

#[test]
fn bitfield_matches_redis() {
    let mut d = Differ::new(&[]);
    d.check_all(&[
        &["BITFIELD", "bf"],
        &["EXISTS", "bf"],
        &["BITFIELD", "bf", "GET", "u8", "0"],
        &["EXISTS", "bf"],
        &["BITFIELD", "bf", "SET", "i8", "0", "-100", "GET", "u4", "0"],
        &["GET", "bf"],
        &[
            "BITFIELD", "bf", "INCRBY", "i5", "100", "1", "GET", "u4", "0",
        ],
        &[
            "BITFIELD", "bf", "INCRBY", "u2", "100", "1", "OVERFLOW", "SAT", "INCRBY", "u2", "102",
            "1",
        ],
        &[
            "BITFIELD", "bf", "INCRBY", "u2", "100", "1", "OVERFLOW", "SAT", "INCRBY", "u2", "102",
            "1",
        ],
        &[
            "BITFIELD", "bf", "INCRBY", "u2", "100", "1", "OVERFLOW", "SAT", "INCRBY", "u2", "102",
            "1",
        ],
        &[
            "BITFIELD", "bf", "OVERFLOW", "FAIL", "INCRBY", "u2", "102", "1",
        ],
        &[
            "BITFIELD", "bf", "SET", "u8", "#1", "255", "GET", "u8", "#1", "GET", "i8", "#1",
        ],
        &[
            "BITFIELD",
            "bf",
            "SET",
            "i64",
            "0",
            "9223372036854775807",
            "INCRBY",
            "i64",
            "0",
            "1",
        ],
        &[
            "BITFIELD",
            "bf",
            "OVERFLOW",
            "SAT",
            "INCRBY",
            "i64",
            "0",
            "1",
            "INCRBY",
            "i64",
            "0",
            "-9223372036854775808",
        ],
        &[
            "BITFIELD",
            "bf",
            "OVERFLOW",
            "SAT",
            "SET",
            "i64",
            "0",
            "-9223372036854775808",
            "INCRBY",
            "i64",
            "0",
            "-1",
        ],
        &[
            "BITFIELD", "bf", "OVERFLOW", "FAIL", "INCRBY", "i64", "0", "-1", "GET", "i64", "0",
        ],
        &[
            "BITFIELD", "bf", "OVERFLOW", "WRAP", "INCRBY", "i64", "0", "-1", "GET", "i64", "0",
        ],
        &[
            "BITFIELD",
            "bf",
            "SET",
            "u63",
            "3",
            "9223372036854775807",
            "GET",
            "u63",
            "3",
        ],
        &[
            "BITFIELD", "bf", "OVERFLOW", "SAT", "SET", "u8", "0", "300", "SET", "u8", "0", "-1",
            "GET", "u8", "0",
        ],
        &[
            "BITFIELD", "bf", "OVERFLOW", "WRAP", "SET", "u8", "0", "300", "SET", "u8", "0", "-1",
        ],
        &[
            "BITFIELD", "bf", "OVERFLOW", "FAIL", "SET", "u8", "0", "300", "SET", "i8", "0",
            "-129", "GET", "u8", "0",
        ],
        &[
            "BITFIELD", "bf", "OVERFLOW", "SAT", "SET", "i8", "0", "200", "SET", "i8", "0", "-200",
            "GET", "i8", "0",
        ],
        &[
            "BITFIELD", "bf", "OVERFLOW", "WRAP", "SET", "i8", "0", "200", "SET", "i8", "0",
            "-200", "GET", "i8", "0",
        ],
        &[
            "BITFIELD", "bf", "OVERFLOW", "SAT", "INCRBY", "u8", "0", "-1000", "INCRBY", "u8", "0",
            "1000",
        ],
        &[
            "BITFIELD", "bf", "OVERFLOW", "WRAP", "INCRBY", "u8", "0", "-1000", "INCRBY", "u8",
            "0", "1000",
        ],
        &[
            "BITFIELD", "bf", "OVERFLOW", "SAT", "INCRBY", "i1", "0", "1", "INCRBY", "i1", "0",
            "-5", "INCRBY", "u1", "0", "9",
        ],
        &["BITFIELD", "bf", "GET", "i64", "1000", "GET", "u1", "7"],
        &["BITFIELD", "bf", "SET", "u16", "#1000", "1"],
        &["STRLEN", "bf"],
        &[
            "BITFIELD", "fresh", "OVERFLOW", "FAIL", "INCRBY", "u2", "64", "100",
        ],
        &["STRLEN", "fresh"],
        &["BITFIELD", "bf", "GET", "i65", "0"],
        &["BITFIELD", "bf", "GET", "u64", "0"],
        &["BITFIELD", "bf", "GET", "u0", "0"],
        &["BITFIELD", "bf", "GET", "I8", "0"],
        &["BITFIELD", "bf", "GET", "x8", "0"],
        &["BITFIELD", "bf", "GET", "i8", "-1"],
        &["BITFIELD", "bf", "GET", "i8", "x"],
        &["BITFIELD", "bf", "GET", "i8", "#-1"],
        &["BITFIELD", "bf", "GET", "i8", "##1"],
        &["BITFIELD", "bf", "GET", "i8", "4294967296"],
        &["BITFIELD", "bf", "GET", "i64", "#67108864"],
        &["BITFIELD", "bf", "GET", "i64", "#9223372036854775807"],
        &["BITFIELD", "bf", "SET", "i8", "0"],
        &["BITFIELD", "bf", "SET", "i8", "0", "x"],
        &["BITFIELD", "bf", "INCRBY", "i8", "0", "1.5"],
        &["BITFIELD", "bf", "GET", "i8"],
        &["BITFIELD", "bf", "OVERFLOW"],
        &["BITFIELD", "bf", "OVERFLOW", "FOO", "GET", "i8", "0"],
        &["BITFIELD", "bf", "FOO", "i8", "0"],
        &[
            "BITFIELD", "bf", "GET", "i8", "0", "SET", "i8", "0", "1", "GET", "x", "0",
        ],
        &["GET", "bf"],
        &["BITFIELD_RO", "bf", "GET", "i8", "0", "GET", "u4", "#3"],
        &["BITFIELD_RO", "bf", "SET", "i8", "0", "1"],
        &["BITFIELD_RO", "bf", "INCRBY", "i8", "0", "1"],
        &["BITFIELD_RO", "bf", "OVERFLOW", "SAT", "GET", "i8", "0"],
        &["BITFIELD_RO", "bf", "GET", "i99", "0"],
        &["BITFIELD_RO", "nosuch", "GET", "i8", "0"],
        &["BITFIELD_RO", "bf"],
        &["BITFIELD"],
        &["BITFIELD_RO"],
    ]);
}

#[test]
fn bit_offsets_respect_proto_max_bulk_len() {
    let mut d = Differ::new(&["--proto-max-bulk-len", "1048576"]);
    d.check_all(&[
        &["SETBIT", "b", "8388607", "1"],
        &["STRLEN", "b"],
        &["SETBIT", "b", "8388608", "1"],
        &["GETBIT", "b", "8388608"],
        &["BITFIELD", "b", "SET", "u8", "8388600", "255"],
        &["BITFIELD", "b", "SET", "u8", "8388608", "255"],
        &["BITFIELD", "b", "GET", "u8", "#1048575"],
        &["BITFIELD", "b", "GET", "u8", "#1048576"],
        &["BITCOUNT", "b"],
        &["BITCOUNT", "b", "-1", "-1"],
        &["BITPOS", "b", "1", "-2"],
    ]);
}

/// A random operation over a few keys of strings and bitmaps.
#[derive(Debug, Clone)]
enum Op {
    Set(u8, String),
    Append(u8, String),
    Setrange(u8, u8, String),
    Getrange(u8, i8, i8),
    Setbit(u8, u16, bool),
    Getbit(u8, u16),
    Bitcount(u8, Option<(i8, i8, bool)>),
    Bitpos(u8, bool, Option<i8>, Option<(i8, bool)>),
    Bitop(u8, u8, u8, u8),
    Bitfield(u8, bool, u8, u16, i64, u8),
    IncrByFloat(u8, String),
    Getex(u8),
    Getdel(u8),
    Lcs(u8, u8),
}

fn key(k: u8) -> String {
    format!("k{}", k % 4)
}

fn op() -> impl Strategy<Value = Op> {
    let val = "[a-c0-9\u{7f}]{0,6}";
    prop_oneof![
        (any::<u8>(), val).prop_map(|(k, v)| Op::Set(k, v)),
        (any::<u8>(), val).prop_map(|(k, v)| Op::Append(k, v)),
        (any::<u8>(), 0u8..12, val).prop_map(|(k, o, v)| Op::Setrange(k, o, v)),
        (any::<u8>(), any::<i8>(), any::<i8>()).prop_map(|(k, a, b)| Op::Getrange(k, a, b)),
        (any::<u8>(), 0u16..80, any::<bool>()).prop_map(|(k, o, b)| Op::Setbit(k, o, b)),
        (any::<u8>(), 0u16..80).prop_map(|(k, o)| Op::Getbit(k, o)),
        (
            any::<u8>(),
            proptest::option::of((any::<i8>(), any::<i8>(), any::<bool>()))
        )
            .prop_map(|(k, r)| Op::Bitcount(k, r)),
        (
            any::<u8>(),
            any::<bool>(),
            proptest::option::of(-20i8..20),
            proptest::option::of((-20i8..20, any::<bool>()))
        )
            .prop_map(|(k, b, s, e)| Op::Bitpos(k, b, s, e)),
        (any::<u8>(), 0u8..4, any::<u8>(), any::<u8>())
            .prop_map(|(d, o, a, b)| Op::Bitop(d, o, a, b)),
        (
            any::<u8>(),
            any::<bool>(),
            1u8..=64,
            0u16..80,
            any::<i64>(),
            0u8..9
        )
            .prop_map(|(k, s, bits, off, v, how)| Op::Bitfield(k, s, bits, off, v, how)),
        (
            any::<u8>(),
            prop_oneof!["-?[0-9]{1,3}(\\.[0-9]{1,3})?", "[0-9]e[0-9]"]
        )
            .prop_map(|(k, v)| Op::IncrByFloat(k, v)),
        any::<u8>().prop_map(Op::Getex),
        any::<u8>().prop_map(Op::Getdel),
        (any::<u8>(), any::<u8>()).prop_map(|(a, b)| Op::Lcs(a, b)),
    ]
}

fn bitfield_args(k: u8, signed: bool, bits: u8, off: u16, v: i64, how: u8) -> Vec<String> {
    let bits = if signed { bits } else { bits.min(63) };
    let ty = format!("{}{bits}", if signed { 'i' } else { 'u' });
    let overflow = ["WRAP", "SAT", "FAIL"][usize::from(how % 3)];
    let mut a = vec![
        "BITFIELD".into(),
        key(k),
        "OVERFLOW".into(),
        overflow.into(),
    ];
    let sub = match how / 3 {
        0 => vec!["SET".into(), ty.clone(), off.to_string(), v.to_string()],
        1 => vec![
            "INCRBY".into(),
            ty.clone(),
            off.to_string(),
            (v % 1000).to_string(),
        ],
        _ => vec!["INCRBY".into(), ty.clone(), off.to_string(), v.to_string()],
    };
    a.extend(sub);
    a.extend(["GET".into(), ty, off.to_string()]);
    a
}

fn args(op: &Op) -> Vec<String> {
    let s = |v: &str| v.to_string();
    match op {
        Op::Set(k, v) => vec![s("SET"), key(*k), v.clone()],
        Op::Append(k, v) => vec![s("APPEND"), key(*k), v.clone()],
        Op::Setrange(k, o, v) => vec![s("SETRANGE"), key(*k), o.to_string(), v.clone()],
        Op::Getrange(k, a, b) => vec![s("GETRANGE"), key(*k), a.to_string(), b.to_string()],
        Op::Setbit(k, o, b) => vec![
            s("SETBIT"),
            key(*k),
            o.to_string(),
            u8::from(*b).to_string(),
        ],
        Op::Getbit(k, o) => vec![s("GETBIT"), key(*k), o.to_string()],
        Op::Bitcount(k, None) => vec![s("BITCOUNT"), key(*k)],
        Op::Bitcount(k, Some((a, b, bit))) => vec![
            s("BITCOUNT"),
            key(*k),
            a.to_string(),
            b.to_string(),
            s(if *bit { "BIT" } else { "BYTE" }),
        ],
        Op::Bitpos(k, b, start, end) => {
            let mut a = vec![s("BITPOS"), key(*k), u8::from(*b).to_string()];
            if let Some(start) = start {
                a.push(start.to_string());
                if let Some((end, bit)) = end {
                    a.push(end.to_string());
                    a.push(s(if *bit { "BIT" } else { "BYTE" }));
                }
            }
            a
        }
        Op::Bitop(d, o, a, b) => {
            let name = ["AND", "OR", "XOR", "NOT"][usize::from(*o)];
            let mut v = vec![s("BITOP"), s(name), key(*d), key(*a)];
            if *o != 3 {
                v.push(key(*b));
            }
            v
        }
        Op::Bitfield(k, signed, bits, off, v, how) => {
            bitfield_args(*k, *signed, *bits, *off, *v, *how)
        }
        Op::IncrByFloat(k, v) => vec![s("INCRBYFLOAT"), key(*k), v.clone()],
        Op::Getex(k) => vec![s("GETEX"), key(*k), s("PERSIST")],
        Op::Getdel(k) => vec![s("GETDEL"), key(*k)],
        Op::Lcs(a, b) => vec![s("LCS"), key(*a), key(*b), s("IDX"), s("WITHMATCHLEN")],
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 24, ..ProptestConfig::default() })]
    #[test]
    fn random_string_and_bitmap_sequences_match_redis(
        ops in proptest::collection::vec(op(), 1..80)
    ) {
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

#[test]
fn wrong_types_match_redis() {
    let mut d = Differ::new(&[]);
    d.check_all(&[
        &["LPUSH", "l", "a", "b"],
        &["SET", "s", "abc"],
        &["GETSET", "l", "x"],
        &["GETDEL", "l"],
        &["GETEX", "l", "PERSIST"],
        &["GETEX", "l", "EX", "0"],
        &["INCRBYFLOAT", "l", "1"],
        &["GETRANGE", "l", "0", "-1"],
        &["SUBSTR", "l", "0", "-1"],
        &["SETRANGE", "l", "0", "x"],
        &["SETRANGE", "l", "0", ""],
        &["LCS", "l", "s"],
        &["LCS", "s", "l", "LEN"],
        &["MSETNX", "l", "x", "new", "y"],
        &["SETBIT", "l", "0", "1"],
        &["SETBIT", "l", "x", "1"],
        &["GETBIT", "l", "0"],
        &["BITCOUNT", "l"],
        &["BITCOUNT", "l", "x", "y"],
        &["BITPOS", "l", "1"],
        &["BITPOS", "l", "2"],
        &["BITOP", "AND", "d", "s", "l"],
        &["BITFIELD", "l", "GET", "u8", "0"],
        &["BITFIELD", "l", "SET", "u8", "0", "1"],
        &["BITFIELD", "l", "GET", "x", "0"],
        &["BITFIELD_RO", "l", "GET", "u8", "0"],
        &["OBJECT", "ENCODING", "l"],
        &["OBJECT", "REFCOUNT", "l"],
        &["COPY", "l", "l2"],
        &["LRANGE", "l2", "0", "-1"],
        &["RENAME", "l2", "l3"],
        &["LRANGE", "l3", "0", "-1"],
        &["EXISTS", "new"],
        // BITOP overwrites a destination of any type.
        &["BITOP", "AND", "l", "s"],
        &["TYPE", "l"],
        &["GET", "l"],
    ]);
}
