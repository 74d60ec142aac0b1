//! Differential tests for SORT_RO (and SORT once lists and sets exist): the same commands to
//! real Redis 7.0 and to our node, replies equal.

use shoal_tests::Differ;

#[test]
fn sort_ro_on_sorted_sets_matches_redis() {
    let mut d = Differ::new(&[]);
    let script: &[&[&str]] = &[
        &[
            "ZADD", "s", "3", "10", "1", "2", "2", "3.5", "4", "-1", "5", "0x10",
        ],
        &["ZADD", "w", "1", "c", "2", "a", "3", "b", "4", "d"],
        &["ZADD", "bad", "1", "x", "2", "1"],
        &["SET", "weight_a", "3"],
        &["SET", "weight_b", "1"],
        &["SET", "weight_c", "2"],
        &["SET", "weight_d", "notanumber"],
        &["SET", "obj_a", "A"],
        &["SET", "obj_c", "C"],
        &["SET", "str", "v"],
        &["SORT_RO", "s"],
        &["SORT_RO", "s", "DESC"],
        &["SORT_RO", "s", "ALPHA"],
        &["SORT_RO", "s", "ALPHA", "DESC", "LIMIT", "1", "2"],
        &["SORT_RO", "s", "LIMIT", "0", "0"],
        &["SORT_RO", "s", "LIMIT", "-5", "2"],
        &["SORT_RO", "s", "LIMIT", "3", "-1"],
        &["SORT_RO", "s", "LIMIT", "10", "2"],
        &["SORT_RO", "s", "LIMIT", "1"],
        &["SORT_RO", "s", "LIMIT", "a", "1"],
        &["SORT_RO", "s", "BY", "nosort"],
        &["SORT_RO", "s", "BY", "nosort", "DESC", "LIMIT", "1", "2"],
        &["SORT_RO", "s", "BY", "nosort", "LIMIT", "2", "10"],
        &["SORT_RO", "w"],
        &["SORT_RO", "w", "ALPHA"],
        &["SORT_RO", "w", "BY", "weight_*", "LIMIT", "0", "3"],
        &["SORT_RO", "w", "BY", "weight_*", "ALPHA", "LIMIT", "0", "3"],
        &["SORT_RO", "w", "BY", "weight_*"],
        &[
            "SORT_RO", "w", "BY", "nosort", "GET", "#", "GET", "obj_*", "GET", "weight_*",
        ],
        &[
            "SORT_RO", "w", "ALPHA", "GET", "obj_*", "GET", "nosuch", "GET", "#",
        ],
        &["SORT_RO", "w", "ALPHA", "GET", "obj_*->field"],
        &["SORT_RO", "w", "ALPHA", "GET", "str"],
        &["SORT_RO", "bad"],
        &["SORT_RO", "bad", "ALPHA"],
        &["SORT_RO", "nosuch"],
        &["SORT_RO", "nosuch", "GET", "#"],
        &["SORT_RO", "str"],
        &["SORT_RO", "w", "STORE", "dst"],
        &["SORT_RO", "w", "FOO"],
        &["SORT_RO", "w", "BY"],
        &["SORT_RO", "w", "GET"],
        &["SORT_RO", "w", "asc", "desc", "ALPHA"],
    ];
    d.check_all(script);
}

#[test]
fn sort_on_lists_and_store_match_redis() {
    let mut d = Differ::new(&[]);
    let script: &[&[&str]] = &[
        &["RPUSH", "l", "3", "1", "2", "10", "1"],
        &["SET", "w_1", "100"],
        &["SET", "w_2", "50"],
        &["SORT", "l"],
        &["SORT", "l", "DESC", "LIMIT", "1", "3"],
        &["SORT", "l", "BY", "nosort"],
        &["SORT", "l", "BY", "nosort", "DESC", "LIMIT", "1", "2"],
        &["SORT", "l", "BY", "w_*"],
        &[
            "SORT",
            "l",
            "GET",
            "h_*->f",
            "GET",
            "h_*->nosuch",
            "GET",
            "w_*->f",
        ],
        &["SORT", "l", "STORE", "dst"],
        &["LRANGE", "dst", "0", "-1"],
        &["TYPE", "dst"],
        &["SORT", "l", "GET", "h_*->f", "STORE", "dst"],
        &["LRANGE", "dst", "0", "-1"],
        &["LRANGE", "dst", "0", "-1"],
        &["SORT", "l", "LIMIT", "0", "0", "STORE", "dst"],
        &["EXISTS", "dst"],
        &["SORT", "nosuch", "STORE", "dst"],
        &["SORT", "l", "STORE"],
        &["SORT_RO", "l", "STORE", "dst"],
        &["SET", "str", "v"],
        &["SORT", "str"],
        &[
            "SORT", "l", "BY", "w_*", "GET", "w_*", "GET", "#", "LIMIT", "1", "10",
        ],
    ];
    d.check_all(script);
}

#[test]
fn command_getkeys_finds_the_store_destination_as_redis_does() {
    let mut d = Differ::new(&[]);
    for cmd in [
        &["COMMAND", "GETKEYS", "SORT", "k", "STORE", "d", "BY", "w_*"][..],
        &[
            "COMMAND", "GETKEYS", "SORT", "k", "STORE", "d", "STORE", "e",
        ],
        &[
            "COMMAND", "GETKEYS", "SORT", "k", "LIMIT", "store", "x", "GET", "store",
        ],
        &["COMMAND", "GETKEYS", "SORT", "k", "STORE"],
        &["COMMAND", "GETKEYS", "SORT_RO", "k", "BY", "x"],
        &["COMMAND", "GETKEYSANDFLAGS", "SORT", "k", "STORE", "d"],
    ] {
        d.check(cmd);
    }
}
