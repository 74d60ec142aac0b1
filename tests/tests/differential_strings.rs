//! Differential tests for the string commands added on top of GET/SET: GETSET, GETDEL, GETEX,
//! MSETNX, PSETEX, INCRBYFLOAT, GETRANGE, SUBSTR, SETRANGE, LCS. Every option and error
//! path is sent to real Redis 7.0 and to our node; replies must be identical.

use shoal_tests::Differ;

#[test]
fn command_info_matches_redis() {
    let mut d = Differ::new(&[]);
    for name in [
        "getset",
        "getdel",
        "getex",
        "msetnx",
        "psetex",
        "incrbyfloat",
        "getrange",
        "substr",
        "setrange",
        "lcs",
    ] {
        d.check(&["COMMAND", "INFO", name]);
    }
}

#[test]
fn getset_getdel_getex_match_redis() {
    let mut d = Differ::new(&[]);
    d.check_all(&[
        &["GETSET", "k", "a"],
        &["GETSET", "k", "b"],
        &["EXPIRE", "k", "100"],
        &["GETSET", "k", "c"],
        &["TTL", "k"],
        &["GETSET", "k"],
        &["GETDEL", "k"],
        &["GETDEL", "k"],
        &["EXISTS", "k"],
        &["GETDEL"],
        &["GETEX", "nosuch"],
        &["GETEX", "nosuch", "EX", "0"],
        &["SET", "k", "v"],
        &["GETEX", "k"],
        &["GETEX", "k", "EX", "100"],
        &["TTL", "k"],
        &["GETEX", "k", "PX", "200000"],
        &["TTL", "k"],
        &["GETEX", "k", "EXAT", "99999999999"],
        &["EXPIRETIME", "k"],
        &["GETEX", "k", "PXAT", "99999999999999"],
        &["PEXPIRETIME", "k"],
        &["GETEX", "k", "PERSIST"],
        &["TTL", "k"],
        &["GETEX", "k", "PERSIST", "PERSIST"],
        &["GETEX", "k", "EX", "10", "EX", "20"],
        &["TTL", "k"],
        &["GETEX", "k", "EX", "10", "PX", "20"],
        &["GETEX", "k", "EX", "10", "PERSIST"],
        &["GETEX", "k", "PERSIST", "EX", "10"],
        &["GETEX", "k", "EX"],
        &["GETEX", "k", "KEEPTTL"],
        &["GETEX", "k", "NX"],
        &["GETEX", "k", "GET"],
        &["GETEX", "k", "EX", "0"],
        &["GETEX", "k", "EX", "-1"],
        &["GETEX", "k", "EX", "abc"],
        &["GETEX", "k", "EX", "9223372036854775807"],
        &["GETEX", "k", "PX", "9223372036854775807"],
        &["GETEX", "k", "EXAT", "9223372036854775"],
        &["TTL", "k"],
        &["GETEX", "k", "PXAT", "1"],
        &["EXISTS", "k"],
        &["SET", "k", "v"],
        &["GETEX", "k", "EXAT", "1"],
        &["EXISTS", "k"],
        &["GETEX"],
    ]);
}

#[test]
fn msetnx_psetex_match_redis() {
    let mut d = Differ::new(&[]);
    d.check_all(&[
        &["MSETNX", "a", "1", "b", "2"],
        &["MGET", "a", "b"],
        &["MSETNX", "c", "3", "a", "9"],
        &["MGET", "a", "c"],
        &["MSETNX", "c", "3", "d"],
        &["MSETNX", "c"],
        &["MSETNX", "x", "1", "x", "2"],
        &["GET", "x"],
        &["PSETEX", "p", "100000", "v"],
        &["GET", "p"],
        &["TTL", "p"],
        &["PSETEX", "p", "0", "v"],
        &["PSETEX", "p", "-5", "v"],
        &["PSETEX", "p", "abc", "v"],
        &["PSETEX", "p", "9223372036854775807", "v"],
        &["PSETEX", "p", "1"],
        &["SETEX", "q", "9223372036854775807", "v"],
        &["SETEX", "q", "100", "v"],
        &["TTL", "q"],
    ]);
}

#[test]
fn incrbyfloat_matches_redis() {
    let mut d = Differ::new(&[]);
    d.check_all(&[
        &["INCRBYFLOAT", "f", "1.5"],
        &["INCRBYFLOAT", "f", "0.1"],
        &["INCRBYFLOAT", "f", "0.1"],
        &["INCRBYFLOAT", "f", "-1.7"],
        &["SET", "f", "10.50"],
        &["INCRBYFLOAT", "f", "0.1"],
        &["INCRBYFLOAT", "f", "-5"],
        &["SET", "f", "5.0e3"],
        &["INCRBYFLOAT", "f", "2.0e2"],
        &["SET", "f", "10000.1"],
        &["INCRBYFLOAT", "f", "0.1"],
        &["SET", "f", "1e30"],
        &["INCRBYFLOAT", "f", "1"],
        &["SET", "f", "0"],
        &["INCRBYFLOAT", "f", "1.5e-20"],
        &["INCRBYFLOAT", "f", "-1.5e-20"],
        &["INCRBYFLOAT", "f", "123456789.123456789"],
        &["INCRBYFLOAT", "f", "3.0e3"],
        &["INCRBYFLOAT", "f", ".5"],
        &["INCRBYFLOAT", "f", "5."],
        &["INCRBYFLOAT", "f", "+2"],
        &["INCRBYFLOAT", "f", "1E2"],
        &["INCRBYFLOAT", "f", "-0.00001"],
        &["INCRBYFLOAT", "g", "1e308"],
        &["INCRBYFLOAT", "g", "1e308"],
        &["INCRBYFLOAT", "g", "1e4000"],
        &["INCRBYFLOAT", "g", "1e5000"],
        &["INCRBYFLOAT", "g", "1e-5000"],
        &["INCRBYFLOAT", "g", "inf"],
        &["INCRBYFLOAT", "g", "-inf"],
        &["INCRBYFLOAT", "g", "nan"],
        &["INCRBYFLOAT", "g", "abc"],
        &["INCRBYFLOAT", "g", " 1"],
        &["INCRBYFLOAT", "g", "1 "],
        &["INCRBYFLOAT", "g", ""],
        &["INCRBYFLOAT", "g", "1e"],
        &["SET", "t", "x"],
        &["INCRBYFLOAT", "t", "1"],
        &["SET", "t", "1.5"],
        &["EXPIRE", "t", "100"],
        &["INCRBYFLOAT", "t", "1"],
        &["TTL", "t"],
        &["SET", "i", "9223372036854775807"],
        &["INCRBYFLOAT", "i", "1"],
        &["INCRBYFLOAT", "i"],
    ]);
}

#[test]
fn getrange_setrange_substr_match_redis() {
    let mut d = Differ::new(&[]);
    d.check_all(&[
        &["GETRANGE", "nosuch", "0", "-1"],
        &["SET", "s", "This is a string"],
        &["GETRANGE", "s", "0", "3"],
        &["GETRANGE", "s", "-3", "-1"],
        &["GETRANGE", "s", "0", "-1"],
        &["GETRANGE", "s", "10", "100"],
        &["GETRANGE", "s", "5", "3"],
        &["GETRANGE", "s", "-1", "-5"],
        &["GETRANGE", "s", "-100", "-50"],
        &["GETRANGE", "s", "-100", "2"],
        &["GETRANGE", "s", "100", "200"],
        &[
            "GETRANGE",
            "s",
            "-9223372036854775808",
            "9223372036854775807",
        ],
        &["GETRANGE", "s", "x", "1"],
        &["GETRANGE", "s", "1", "x"],
        &["SUBSTR", "s", "0", "3"],
        &["SUBSTR", "s", "-3", "-1"],
        &["SET", "n", "12345"],
        &["GETRANGE", "n", "1", "2"],
        &["SET", "e", ""],
        &["GETRANGE", "e", "0", "-1"],
        &["SETRANGE", "r", "0", ""],
        &["EXISTS", "r"],
        &["SETRANGE", "r", "5", "abc"],
        &["GET", "r"],
        &["SETRANGE", "r", "1", "XY"],
        &["GET", "r"],
        &["SETRANGE", "r", "0", ""],
        &["SETRANGE", "r", "-1", "x"],
        &["SETRANGE", "r", "x", "x"],
        &["SETRANGE", "r", "536870912", "x"],
        &["SETRANGE", "r", "536870911", ""],
        &["SETRANGE", "r", "9223372036854775807", "x"],
        &["EXPIRE", "r", "100"],
        &["SETRANGE", "r", "0", "Z"],
        &["TTL", "r"],
        &["SETRANGE", "n", "0", "9"],
        &["GET", "n"],
        &["SETRANGE", "r", "1"],
        &["GETRANGE", "r", "1"],
    ]);
}

#[test]
fn lcs_matches_redis() {
    let mut d = Differ::new(&[]);
    d.check_all(&[
        &["MSET", "key1", "ohmytext", "key2", "mynewtext"],
        &["LCS", "key1", "key2"],
        &["LCS", "key1", "key2", "LEN"],
        &["LCS", "key1", "key2", "IDX"],
        &["LCS", "key1", "key2", "IDX", "MINMATCHLEN", "4"],
        &[
            "LCS",
            "key1",
            "key2",
            "IDX",
            "MINMATCHLEN",
            "4",
            "WITHMATCHLEN",
        ],
        &["LCS", "key1", "key2", "IDX", "WITHMATCHLEN"],
        &["LCS", "key1", "key2", "IDX", "MINMATCHLEN", "-5"],
        &["LCS", "key1", "key2", "MINMATCHLEN", "2"],
        &["LCS", "key1", "key2", "WITHMATCHLEN"],
        &["LCS", "key1", "key2", "LEN", "IDX"],
        &["LCS", "key1", "key2", "MINMATCHLEN"],
        &["LCS", "key1", "key2", "MINMATCHLEN", "x"],
        &["LCS", "key1", "key2", "FOO"],
        &["LCS", "key1", "nosuch"],
        &["LCS", "nosuch", "nosuch2", "IDX"],
        &["LCS", "key1", "key1", "IDX", "WITHMATCHLEN"],
        &["MSET", "a", "abcabcabc", "b", "cbacbacba"],
        &["LCS", "a", "b"],
        &["LCS", "a", "b", "IDX", "WITHMATCHLEN"],
        &["MSET", "c", "aaaaaaa", "e", "aaa"],
        &["LCS", "c", "e", "IDX", "WITHMATCHLEN"],
        &["LCS", "e", "c", "IDX"],
        &["LCS", "key1"],
    ]);
    // RESP3: IDX replies with a map.
    d.both(&["HELLO", "3"]);
    d.check(&["LCS", "key1", "key2", "IDX", "WITHMATCHLEN"]);
}

#[test]
fn string_wrong_types_and_limits_match_redis() {
    let mut d = Differ::new(&["--proto-max-bulk-len", "1048576"]);
    d.check_all(&[
        &["SET", "s", "abc"],
        &["SETRANGE", "s", "1048573", "xyz"],
        &["SETRANGE", "s", "1048574", "xyz"],
        &["SETRANGE", "new", "1048576", "x"],
        &["APPEND", "s", "x"],
        &["STRLEN", "s"],
        &["MSET", "x", "0123456789", "y", "0123456789"],
        &["LCS", "x", "y", "LEN"],
    ]);
}

/// INCR/DECR/INCRBY/DECRBY update the stored counter in place: every path of that update
/// (missing key, bounds, a TTL kept, wrong type, strings that are not Redis integers, a
/// value written by SET/APPEND/SETRANGE/MSET before, DUMP/RESTORE round trips, LFU clock).
#[test]
fn counters_match_redis() {
    let mut d = Differ::new(&[]);
    d.check_all(&[
        &["INCR", "n"],
        &["GET", "n"],
        &["INCRBY", "n", "41"],
        &["DECR", "n"],
        &["DECRBY", "n", "-10"],
        &["GET", "n"],
        &["OBJECT", "ENCODING", "n"],
        &["SET", "max", "9223372036854775806"],
        &["INCR", "max"],
        &["INCR", "max"],
        &["GET", "max"],
        &["INCRBY", "max", "-9223372036854775807"],
        &["GET", "max"],
        &["SET", "min", "-9223372036854775807"],
        &["DECR", "min"],
        &["DECR", "min"],
        &["GET", "min"],
        &["DECRBY", "min", "-1"],
        &["INCRBY", "min", "9223372036854775807"],
        &["GET", "min"],
        &["DECRBY", "min", "-9223372036854775808"],
        &["INCRBY", "fresh", "-9223372036854775808"],
        &["GET", "fresh"],
        &["SET", "big", "9223372036854775808"],
        &["INCR", "big"],
        &["SET", "lead", "0123"],
        &["INCR", "lead"],
        &["SET", "neg0", "-0"],
        &["INCR", "neg0"],
        &["SET", "sp", " 1"],
        &["INCR", "sp"],
        &["SET", "dot", "1.0"],
        &["INCR", "dot"],
        &["SET", "empty", ""],
        &["INCR", "empty"],
        &[
            "SET",
            "long",
            "1234567890123456789012345678901234567890123456789",
        ],
        &["INCR", "long"],
        &["GET", "long"],
        &["RPUSH", "list", "1"],
        &["INCR", "list"],
        &["DECRBY", "list", "1"],
        &["TYPE", "list"],
        &["SET", "ttl", "5", "EX", "1000"],
        &["INCR", "ttl"],
        &["TTL", "ttl"],
        &["GET", "ttl"],
        &["SET", "ap", "12"],
        &["APPEND", "ap", "3"],
        &["INCR", "ap"],
        &["GET", "ap"],
        &["SET", "sr", "100"],
        &["SETRANGE", "sr", "0", "2"],
        &["INCR", "sr"],
        &["GET", "sr"],
        &["MSET", "m1", "7", "m2", "x"],
        &["INCR", "m1"],
        &["INCR", "m2"],
        &["MGET", "m1", "m2"],
        &["INCR", "c"],
        &["STRLEN", "c"],
        &["GETRANGE", "c", "0", "-1"],
        &["APPEND", "c", "0"],
        &["INCRBYFLOAT", "c", "0.5"],
        &["INCR", "c"],
    ]);
    // A counter's DUMP restores to the same value on both (the payloads differ: Redis writes
    // its RDB integer encoding), and the restored value counts on.
    for target in ["max", "min", "n"] {
        let dump = d.a.cmd(&["DUMP", target]);
        let shoal_tests::Frame::Bulk(payload) = dump else {
            panic!("DUMP {target}: {dump:?}");
        };
        let restored = format!("{target}-restored");
        let args: [&[u8]; 4] = [b"RESTORE", restored.as_bytes(), b"0", &payload];
        assert_eq!(d.a.cmd(&args), shoal_tests::Frame::Simple("OK".into()));
        d.b.cmd(&args);
        d.check(&["GET", &restored]);
        d.check(&["INCRBY", &restored, "-1"]);
    }
}

/// Under an LFU policy INCR counts as an access of the counter and keeps its frequency
/// across the update, as Redis (`lfu-log-factor 0`: every access increments, no dice).
#[test]
fn counter_access_clock_matches_redis() {
    // The LFU counter decays by one per whole minute of the Unix clock between accesses
    // (lfu-decay-time 1): a minute boundary falling between our node's access and Redis's
    // decays one and not the other. Start 10 s or more before a boundary (a run takes ~1 s).
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("clock after 1970")
        .as_secs();
    if secs % 60 >= 50 {
        std::thread::sleep(std::time::Duration::from_secs(61 - secs % 60));
    }
    let mut d = Differ::new(&["--maxmemory-policy", "allkeys-lfu", "--lfu-log-factor", "0"]);
    d.check_all(&[&["SET", "k", "1"], &["OBJECT", "FREQ", "k"]]);
    for _ in 0..3 {
        d.check(&["INCR", "k"]);
    }
    d.check(&["OBJECT", "FREQ", "k"]);
    d.check(&["GET", "k"]);
}

/// OBJECT ENCODING follows how a string was written, not only what it holds: SET and friends
/// try `int`, then `embstr` up to 44 bytes; in-place edits leave `raw` whatever the length;
/// INCRBYFLOAT stores `embstr` even for an integer-looking result; COPY and RENAME keep the
/// encoding; a new write starts over.
#[test]
fn string_encodings_match_redis() {
    let mut d = Differ::new(&[]);
    let long = "x".repeat(50);
    let mid = "y".repeat(30);
    let enc = |k: &'static str| -> [&'static str; 3] { ["OBJECT", "ENCODING", k] };
    let script: Vec<Vec<&str>> = vec![
        vec!["SET", "i", "12345"],
        enc("i").to_vec(),
        vec!["SET", "e", "hello"],
        enc("e").to_vec(),
        vec!["SET", "m", &mid],
        enc("m").to_vec(),
        vec!["SET", "r", &long],
        enc("r").to_vec(),
        vec!["SET", "neg0", "-0"],
        enc("neg0").to_vec(),
        vec!["MSET", "mi", "7", "me", "seven"],
        enc("mi").to_vec(),
        enc("me").to_vec(),
        vec!["APPEND", "newapp", "42"],
        enc("newapp").to_vec(),
        vec!["APPEND", "i", "6"],
        enc("i").to_vec(),
        vec!["GET", "i"],
        vec!["INCR", "i"],
        enc("i").to_vec(),
        vec!["APPEND", "e", ""],
        enc("e").to_vec(),
        vec!["SET", "sr", "abc"],
        vec!["SETRANGE", "sr", "0", ""],
        enc("sr").to_vec(),
        vec!["SETRANGE", "sr", "1", "Z"],
        enc("sr").to_vec(),
        vec!["SETRANGE", "srnew", "2", "1"],
        enc("srnew").to_vec(),
        vec!["SETBIT", "b", "3", "1"],
        enc("b").to_vec(),
        vec!["SET", "bf", "1"],
        vec!["BITFIELD", "bf", "GET", "u8", "0"],
        enc("bf").to_vec(),
        vec!["BITFIELD", "bf", "INCRBY", "u8", "0", "1"],
        enc("bf").to_vec(),
        vec!["BITOP", "OR", "bo", "e", "bf"],
        enc("bo").to_vec(),
        vec!["SET", "f", "1.5"],
        vec!["INCRBYFLOAT", "f", "1.5"],
        vec!["GET", "f"],
        enc("f").to_vec(),
        vec!["INCRBYFLOAT", "f", "1e30"],
        enc("f").to_vec(),
        vec!["INCRBYFLOAT", "f", "1e300"],
        enc("f").to_vec(),
        vec!["COPY", "sr", "sr2"],
        enc("sr2").to_vec(),
        vec!["RENAME", "srnew", "srnew2"],
        enc("srnew2").to_vec(),
        vec!["SET", "sr", "99"],
        enc("sr").to_vec(),
        vec!["GETSET", "b", "5"],
        enc("b").to_vec(),
    ];
    for cmd in &script {
        d.check(cmd);
    }
}
