//! Differential tests for the geo commands: the same commands to real Redis 7.0 and to our
//! node, replies equal in RESP2 and RESP3 (scores read back with ZRANGE WITHSCORES, search
//! results in Redis's own order), every error path, keyspace events, COMMAND INFO rows,
//! replication of the writes, and random points and searches.

use std::time::Duration;

use proptest::prelude::*;
use shoal_tests::{
    Differ, Frame, Proc, RawClient, events_until_marker, info_field, link_up, offsets_match, show,
    wait_until,
};

/// Runs `script` on fresh servers over RESP2, then again from empty over RESP3.
fn run_resp2_then_resp3(script: &[&[&str]]) {
    let mut d = Differ::new(&[]);
    d.check_all(script);
    d.check(&["FLUSHALL"]);
    d.both(&["HELLO", "3"]);
    d.check_all(script);
}

/// The examples of the Redis documentation pages of every geo command.
#[rustfmt::skip]
const DOCS: &[&[&str]] = &[
    &["GEOADD", "Sicily", "13.361389", "38.115556", "Palermo", "15.087269", "37.502669", "Catania"],
    &["GEODIST", "Sicily", "Palermo", "Catania"],
    &["GEODIST", "Sicily", "Palermo", "Catania", "km"],
    &["GEODIST", "Sicily", "Palermo", "Catania", "MI"],
    &["GEODIST", "Sicily", "Palermo", "Catania", "ft"],
    &["GEODIST", "Sicily", "Foo", "Bar"],
    &["GEODIST", "nokey", "Palermo", "Catania"],
    &["GEORADIUS", "Sicily", "15", "37", "100", "km"],
    &["GEORADIUS", "Sicily", "15", "37", "200", "km", "WITHDIST"],
    &["GEORADIUS", "Sicily", "15", "37", "200", "km", "WITHCOORD"],
    &["GEORADIUS", "Sicily", "15", "37", "200", "km", "WITHDIST", "WITHCOORD"],
    &["GEOHASH", "Sicily", "Palermo", "Catania", "nope"],
    &["GEOHASH", "nokey", "a", "b"],
    &["GEOPOS", "Sicily", "Palermo", "Catania", "NonExisting"],
    &["GEOPOS", "nokey", "a"],
    &["GEOADD", "Sicily", "13.583333", "37.316667", "Agrigento"],
    &["GEORADIUSBYMEMBER", "Sicily", "Agrigento", "100", "km"],
    &["GEOADD", "Sicily", "12.758489", "38.788135", "edge1", "17.241510", "38.788135", "edge2"],
    &["GEORADIUS_RO", "Sicily", "15", "37", "200", "km", "WITHDIST", "ASC"],
    &["GEORADIUSBYMEMBER_RO", "Sicily", "Palermo", "200", "km", "WITHHASH", "DESC"],
    &["GEOSEARCH", "Sicily", "FROMLONLAT", "15", "37", "BYRADIUS", "200", "km", "ASC"],
    &["GEOSEARCH", "Sicily", "FROMLONLAT", "15", "37", "BYBOX", "400", "400", "km", "ASC",
        "WITHCOORD", "WITHDIST"],
    &["GEOSEARCHSTORE", "key1", "Sicily", "FROMLONLAT", "15", "37", "BYBOX", "400", "400", "km",
        "ASC", "COUNT", "3"],
    &["GEOSEARCH", "key1", "FROMLONLAT", "15", "37", "BYBOX", "400", "400", "km", "ASC",
        "WITHCOORD", "WITHDIST", "WITHHASH"],
    &["GEOSEARCHSTORE", "key2", "Sicily", "FROMLONLAT", "15", "37", "BYBOX", "400", "400", "km",
        "ASC", "COUNT", "3", "STOREDIST"],
    &["ZRANGE", "key1", "0", "-1", "WITHSCORES"],
    &["ZRANGE", "key2", "0", "-1", "WITHSCORES"],
    &["ZRANGE", "Sicily", "0", "-1", "WITHSCORES"],
    &["ZSCORE", "Sicily", "Palermo"],
];

#[test]
fn documentation_examples_match_redis_resp2_and_resp3() {
    run_resp2_then_resp3(DOCS);
}

/// Points at the limits, the poles' neighbourhood and both sides of the antimeridian.
#[rustfmt::skip]
const LIMITS: &[&[&str]] = &[
    &["GEOADD", "w", "180", "85.05112878", "ne", "-180", "-85.05112878", "sw", "180",
        "-85.05112878", "se", "-180", "85.05112878", "nw", "0", "0", "origin"],
    &["GEOADD", "w", "179.9999", "10", "east", "-179.9999", "10", "west", "179.5", "10.2",
        "east2", "-179.5", "9.8", "west2", "0.0001", "-0.0001", "nearorigin"],
    &[
        "GEOADD", "w", "10", "85", "north", "-170", "84.9", "north2", "10", "-85", "south", "100",
        "-84.5", "south2", "45", "66.5", "arctic", "45", "80.5", "farnorth",
    ],
    &["ZRANGE", "w", "0", "-1", "WITHSCORES"],
    &[
        "GEOPOS", "w", "ne", "sw", "se", "nw", "origin", "east", "west", "north", "south",
    ],
    &[
        "GEOHASH", "w", "ne", "sw", "se", "nw", "origin", "east", "west", "north", "south",
    ],
    &["GEODIST", "w", "east", "west", "m"],
    &["GEODIST", "w", "ne", "sw", "km"],
    &["GEODIST", "w", "origin", "origin"],
    &["GEORADIUS", "w", "180", "10", "100", "km", "WITHDIST", "ASC"],
    &["GEORADIUS", "w", "-180", "10", "100", "km", "WITHDIST"],
    &["GEOSEARCH", "w", "FROMMEMBER", "east", "BYRADIUS", "100", "km", "WITHCOORD"],
    &["GEOSEARCH", "w", "FROMMEMBER", "west", "BYBOX", "200", "200", "km", "WITHDIST"],
    &["GEOSEARCH", "w", "FROMLONLAT", "10", "84", "BYRADIUS", "500", "km", "WITHDIST"],
    &["GEOSEARCH", "w", "FROMLONLAT", "10", "-84", "BYBOX", "1000", "3000", "km", "ASC"],
    &["GEOSEARCH", "w", "FROMLONLAT", "45", "70", "BYRADIUS", "1500", "km", "DESC"],
    &["GEOSEARCH", "w", "FROMMEMBER", "ne", "BYRADIUS", "10", "km", "WITHHASH"],
    &["GEOSEARCH", "w", "FROMMEMBER", "sw", "BYRADIUS", "10000", "km"],
    &["GEOSEARCH", "w", "FROMLONLAT", "0", "0", "BYRADIUS", "0", "m", "WITHDIST"],
    &["GEOSEARCH", "w", "FROMLONLAT", "0", "0", "BYRADIUS", "20", "m", "WITHDIST"],
    &["GEOSEARCH", "w", "FROMLONLAT", "0", "0", "BYBOX", "0", "0", "m"],
    &["GEOSEARCH", "w", "FROMLONLAT", "0", "0", "BYRADIUS", "25000", "km", "WITHDIST"],
    &["GEOSEARCH", "w", "FROMLONLAT", "0", "0", "BYRADIUS", "inf", "km"],
    &["GEOSEARCH", "w", "FROMLONLAT", "0", "0", "BYBOX", "40000", "40000", "km", "ASC"],
    &["GEOSEARCH", "w", "FROMLONLAT", "0", "0", "BYRADIUS", "8000", "mi", "COUNT", "4"],
    &["GEOSEARCH", "w", "FROMLONLAT", "0", "0", "BYRADIUS", "8000", "mi", "COUNT", "4", "ANY"],
    // Scores that are not geohashes decode as Redis decodes them.
    &["ZADD", "odd", "-1", "neg", "1.5", "frac", "1e300", "huge", "4503599627370495", "max52"],
    &["GEOPOS", "odd", "neg", "frac", "huge", "max52"],
    &["GEOHASH", "odd", "neg", "frac", "huge", "max52"],
    &["GEODIST", "odd", "neg", "max52"],
];

#[test]
fn limits_poles_and_antimeridian_match_redis() {
    run_resp2_then_resp3(LIMITS);
}

fn cluster_setup(d: &mut Differ) {
    // A cluster of nearby points, some in the same cells, and a few far ones.
    let mut cmd: Vec<String> = vec!["GEOADD".into(), "g".into()];
    for i in 0..40 {
        let lon = 2.0 + f64::from(i % 7) * 0.031 + f64::from(i) * 0.0007;
        let lat = 48.0 + f64::from(i / 7) * 0.027 - f64::from(i) * 0.0003;
        cmd.extend([format!("{lon:.6}"), format!("{lat:.6}"), format!("p{i}")]);
    }
    cmd.extend(["-73.98".into(), "40.75".into(), "nyc".into()]);
    cmd.extend(["139.69".into(), "35.68".into(), "tokyo".into()]);
    d.check(&cmd);
}

/// Every combination of the reply options, the order and COUNT [ANY].
fn option_sets() -> Vec<Vec<&'static str>> {
    let mut out = Vec::new();
    for with in 0..8u8 {
        for sort in [None, Some("ASC"), Some("DESC")] {
            for count in [
                None,
                Some(("1", false)),
                Some(("5", false)),
                Some(("5", true)),
            ] {
                let mut v = Vec::new();
                if with & 1 != 0 {
                    v.push("WITHCOORD");
                }
                if with & 2 != 0 {
                    v.push("WITHDIST");
                }
                if with & 4 != 0 {
                    v.push("WITHHASH");
                }
                if let Some(s) = sort {
                    v.push(s);
                }
                if let Some((c, any)) = count {
                    v.extend(["COUNT", c]);
                    if any {
                        v.push("ANY");
                    }
                }
                out.push(v);
            }
        }
    }
    out
}

fn all_option_combinations(d: &mut Differ) {
    cluster_setup(d);
    let heads: &[&[&str]] = &[
        &["GEOSEARCH", "g", "FROMMEMBER", "p10", "BYRADIUS", "4", "km"],
        &[
            "GEOSEARCH",
            "g",
            "FROMLONLAT",
            "2.1",
            "48.05",
            "BYBOX",
            "9",
            "6",
            "km",
        ],
        &[
            "GEOSEARCH",
            "g",
            "FROMLONLAT",
            "2.1",
            "48.05",
            "BYRADIUS",
            "3",
            "mi",
        ],
        &["GEORADIUS", "g", "2.1", "48.05", "5000", "m"],
        &["GEORADIUS_RO", "g", "2.05", "48.1", "16000", "ft"],
        &["GEORADIUSBYMEMBER", "g", "p3", "6", "km"],
        &["GEORADIUSBYMEMBER_RO", "g", "p33", "6", "km"],
    ];
    for head in heads {
        for opts in option_sets() {
            let mut cmd: Vec<&str> = head.to_vec();
            cmd.extend(&opts);
            d.check(&cmd);
        }
    }
}

#[test]
fn every_option_combination_matches_redis_resp2() {
    let mut d = Differ::new(&[]);
    all_option_combinations(&mut d);
}

#[test]
fn every_option_combination_matches_redis_resp3_and_skiplist() {
    let mut d = Differ::new(&["--zset-max-listpack-entries", "8"]);
    d.both(&["HELLO", "3"]);
    all_option_combinations(&mut d);
    d.check(&["OBJECT", "ENCODING", "g"]);
}

#[rustfmt::skip]
#[test]
fn store_forms_match_redis() {
    let mut d = Differ::new(&[]);
    cluster_setup(&mut d);
    let script: &[&[&str]] = &[
        &["GEORADIUS", "g", "2.1", "48.05", "5", "km", "STORE", "s1"],
        &["ZRANGE", "s1", "0", "-1", "WITHSCORES"],
        &["GEORADIUS", "g", "2.1", "48.05", "5", "km", "STOREDIST", "s2", "COUNT", "4"],
        &["ZRANGE", "s2", "0", "-1", "WITHSCORES"],
        &["GEORADIUS", "g", "2.1", "48.05", "5", "mi", "STOREDIST", "s2", "DESC", "COUNT", "3"],
        &["ZRANGE", "s2", "0", "-1", "WITHSCORES"],
        &["GEORADIUSBYMEMBER", "g", "p5", "3", "km", "store", "s3", "COUNT", "2", "ANY"],
        &["ZRANGE", "s3", "0", "-1", "WITHSCORES"],
        &["GEORADIUSBYMEMBER", "g", "p5", "3", "km", "STORE", "a", "STOREDIST", "b"],
        &["EXISTS", "a", "b"],
        &["ZRANGE", "b", "0", "-1", "WITHSCORES"],
        &["GEOSEARCHSTORE", "s4", "g", "FROMMEMBER", "p1", "BYBOX", "5", "5", "km"],
        &["ZRANGE", "s4", "0", "-1", "WITHSCORES"],
        &["GEOSEARCHSTORE", "s5", "g", "FROMMEMBER", "p1", "BYBOX", "5", "5", "km", "STOREDIST",
            "DESC"],
        &["ZRANGE", "s5", "0", "-1", "WITHSCORES"],
        &["GEOSEARCHSTORE", "s5", "g", "FROMLONLAT", "2", "48", "BYRADIUS", "2", "ft", "STOREDIST"],
        &["ZRANGE", "s5", "0", "-1", "WITHSCORES"],
        // An empty result deletes the destination; so does a missing source.
        &["SET", "s6", "string"],
        &["EXPIRE", "s4", "100"],
        &["GEOSEARCHSTORE", "s4", "g", "FROMLONLAT", "50", "0", "BYRADIUS", "1", "m"],
        &["EXISTS", "s4"],
        &["GEOSEARCHSTORE", "s6", "nokey", "FROMLONLAT", "50", "0", "BYRADIUS", "1", "m"],
        &["EXISTS", "s6"],
        &["GEOSEARCHSTORE", "s7", "nokey", "FROMMEMBER", "x", "BYRADIUS", "1", "m"],
        &["GEORADIUS", "nokey", "1", "1", "1", "km", "STORE", "s1"],
        &["EXISTS", "s1"],
        &["GEORADIUSBYMEMBER", "nokey", "x", "1", "parsec", "STORE", "s2"],
        &["EXISTS", "s2"],
        &["SET", "s8", "string"],
        &["GEORADIUS", "g", "2.1", "48.05", "5", "km", "STORE", "s8"],
        &["TYPE", "s8"],
        &["TTL", "s8"],
        &["GEOSEARCHSTORE", "g", "g", "FROMMEMBER", "p1", "BYRADIUS", "1", "km", "STOREDIST"],
        &["ZRANGE", "g", "0", "-1", "WITHSCORES"],
    ];
    d.check_all(script);
}

#[rustfmt::skip]
#[test]
fn geoadd_options_match_redis() {
    let mut d = Differ::new(&[]);
    let script: &[&[&str]] = &[
        &["GEOADD", "k", "10", "20", "a", "11", "21", "b"],
        &["GEOADD", "k", "NX", "12", "22", "a", "13", "23", "c"],
        &["GEOADD", "k", "XX", "12", "22", "a", "13", "23", "d"],
        &["GEOADD", "k", "XX", "CH", "14", "24", "a", "13", "23", "e"],
        &[
            "GEOADD", "k", "CH", "14", "24", "a", "15", "25", "b", "1", "1", "f",
        ],
        &["GEOADD", "k", "ch", "nx", "14", "24", "a", "16", "26", "g"],
        &["GEOADD", "k", "14", "24", "a"],
        &["GEOADD", "xx", "XX", "1", "1", "a"],
        &["EXISTS", "xx"],
        &["ZRANGE", "k", "0", "-1", "WITHSCORES"],
        &["GEOPOS", "k", "a", "b", "c", "d", "e", "f", "g"],
    ];
    d.check_all(script);
}

/// Every error reply, including the precedence between them.
#[rustfmt::skip]
const ERRORS: &[&[&str]] = &[
    &["SET", "str", "x"],
    &["GEOADD", "g", "13.361389", "38.115556", "Palermo", "15.087269", "37.502669", "Catania"],
    &["GEOADD", "g"],
    &["GEOADD", "g", "1", "2"],
    &["GEOADD", "g", "1", "2", "a", "3"],
    &["GEOADD", "g", "NX", "XX", "1", "2", "a"],
    &["GEOADD", "g", "GT", "1", "2", "a"],
    &["GEOADD", "g", "CH", "CH", "CH"],
    &["GEOADD", "g", "200", "100", "a"],
    &["GEOADD", "g", "-180.0001", "0", "a"],
    &["GEOADD", "g", "0", "85.05112879", "a"],
    &["GEOADD", "g", "0", "-85.05112879", "a"],
    &["GEOADD", "g", "1", "2", "ok", "1", "nan", "a"],
    &["GEOADD", "g", "abc", "2", "a"],
    &["GEOADD", "g", "inf", "2", "a"],
    &["GEOADD", "g", "1", "2", "a", "1", "95", "b"],
    &["EXISTS", "ok"],
    &["GEOADD", "str", "1", "2", "a"],
    &["GEOADD", "str", "1", "200", "a"],
    &["GEOPOS", "str", "a"],
    &["GEOPOS", "g"],
    &["GEOHASH", "str", "a"],
    &["GEOHASH", "g"],
    &["GEODIST", "str", "a", "b"],
    &["GEODIST", "g", "a"],
    &["GEODIST", "g", "a", "b", "km", "x"],
    &["GEODIST", "g", "Palermo", "Catania", "parsec"],
    &["GEODIST", "nokey", "a", "b", "parsec"],
    &["GEODIST", "str", "a", "b", "parsec"],
    &["GEORADIUS", "g", "1", "2", "3"],
    &["GEORADIUS", "str", "1", "2", "3", "km"],
    &["GEORADIUS", "str", "1", "200", "3", "km"],
    &["GEORADIUS", "g", "1", "200", "3", "km"],
    &["GEORADIUS", "g", "x", "2", "3", "km"],
    &["GEORADIUS", "g", "1", "2", "-3", "km"],
    &["GEORADIUS", "g", "1", "2", "-3", "parsec"],
    &["GEORADIUS", "g", "1", "2", "abc", "km"],
    &["GEORADIUS", "g", "1", "2", "3", "parsec"],
    &["GEORADIUS", "nokey", "1", "2", "3", "parsec"],
    &["GEORADIUS", "g", "1", "2", "3", "km", "COUNT"],
    &["GEORADIUS", "g", "1", "2", "3", "km", "COUNT", "0"],
    &["GEORADIUS", "g", "1", "2", "3", "km", "COUNT", "-5"],
    &["GEORADIUS", "g", "1", "2", "3", "km", "COUNT", "x"],
    &["GEORADIUS", "g", "1", "2", "3", "km", "ANY"],
    &["GEORADIUS", "g", "1", "2", "3", "km", "BOGUS"],
    &["GEORADIUS", "g", "1", "2", "3", "km", "STORE"],
    &["GEORADIUS", "g", "1", "2", "3", "km", "STORE", "d", "WITHDIST"],
    &["GEORADIUS", "g", "1", "2", "3", "km", "WITHHASH", "STOREDIST", "d"],
    &["GEORADIUS", "g", "1", "2", "3", "km", "FROMLONLAT", "1", "2"],
    &["GEORADIUS_RO", "g", "1", "2", "3", "km", "STORE", "d"],
    &["GEORADIUS_RO", "g", "1", "2", "3", "km", "STOREDIST", "d"],
    &["GEORADIUSBYMEMBER", "g", "nope", "3", "km"],
    &["GEORADIUSBYMEMBER", "g", "nope", "3", "parsec"],
    &["GEORADIUSBYMEMBER", "g", "Palermo", "3", "parsec"],
    &["GEORADIUSBYMEMBER", "g", "Palermo", "-3", "km"],
    &["GEORADIUSBYMEMBER", "nokey", "nope", "-3", "parsec", "COUNT", "0"],
    &["GEORADIUSBYMEMBER", "nokey", "nope", "-3", "parsec", "ANY"],
    &["GEORADIUSBYMEMBER", "str", "nope", "3", "km"],
    &["GEORADIUSBYMEMBER_RO", "g", "Palermo", "3", "km", "STORE", "x"],
    &["GEOSEARCH", "g", "FROMLONLAT", "1", "2"],
    &["GEOSEARCH", "g", "BYRADIUS", "1", "km"],
    &["GEOSEARCH", "g", "FROMLONLAT", "1", "2", "BYRADIUS", "1", "km", "WITHDIST", "x"],
    &["GEOSEARCH", "g", "FROMLONLAT", "1", "2", "FROMMEMBER", "Palermo", "BYRADIUS", "1", "km"],
    &["GEOSEARCH", "g", "FROMMEMBER", "Palermo", "FROMLONLAT", "1", "2", "BYRADIUS", "1", "km"],
    &["GEOSEARCH", "g", "FROMMEMBER", "Palermo", "FROMMEMBER", "Catania", "BYRADIUS", "200", "km"],
    &["GEOSEARCH", "g", "FROMLONLAT", "1", "2", "BYRADIUS", "1", "km", "BYBOX", "1", "1", "km"],
    &["GEOSEARCH", "g", "FROMLONLAT", "1", "2", "BYBOX", "1", "1", "km", "BYRADIUS", "1", "km"],
    &["GEOSEARCH", "g", "FROMLONLAT", "1", "2", "BYRADIUS", "1", "km", "BYRADIUS", "2", "km"],
    &["GEOSEARCH", "g", "FROMLONLAT", "1", "2", "BYRADIUS", "1"],
    &["GEOSEARCH", "g", "FROMLONLAT", "1", "2", "BYBOX", "1", "1"],
    &["GEOSEARCH", "g", "FROMLONLAT", "1", "2", "BYBOX", "-1", "1", "km"],
    &["GEOSEARCH", "g", "FROMLONLAT", "1", "2", "BYBOX", "1", "-1", "parsec"],
    &["GEOSEARCH", "g", "FROMLONLAT", "1", "2", "BYBOX", "x", "1", "km"],
    &["GEOSEARCH", "g", "FROMLONLAT", "1", "2", "BYBOX", "1", "x", "km"],
    &["GEOSEARCH", "g", "FROMLONLAT", "1", "2", "BYBOX", "1", "1", "parsec"],
    &["GEOSEARCH", "g", "FROMLONLAT", "1", "200", "BYBOX", "1", "1", "km"],
    &["GEOSEARCH", "g", "FROMLONLAT", "1", "2", "BYRADIUS", "x", "km"],
    &["GEOSEARCH", "g", "FROMMEMBER", "nope", "BYRADIUS", "1", "km"],
    &["GEOSEARCH", "nokey", "FROMMEMBER", "nope", "BYRADIUS", "1", "km"],
    &["GEOSEARCH", "nokey", "FROMMEMBER", "nope", "BYRADIUS", "1", "parsec"],
    &["GEOSEARCH", "nokey", "FROMMEMBER", "nope"],
    &["geosearch", "nokey", "byradius", "1", "km", "asc"],
    &["GeoSearch", "nokey", "FROMMEMBER", "nope", "COUNT", "3", "ASC"],
    &["GEOSEARCH", "g", "FROMLONLAT", "1", "2", "BYRADIUS", "1", "km", "ANY"],
    &["GEOSEARCH", "g", "FROMLONLAT", "1", "2", "BYRADIUS", "1", "km", "STORE", "d"],
    &["GEOSEARCH", "g", "FROMLONLAT", "1", "2", "BYRADIUS", "1", "km", "STOREDIST"],
    &["GEOSEARCH", "str", "FROMLONLAT", "1", "2", "BYRADIUS", "1", "km"],
    &["GEOSEARCH", "str", "FROMLONLAT", "1", "200", "BYRADIUS", "1", "km"],
    &["GEOSEARCHSTORE", "d", "g", "FROMLONLAT", "1", "2", "BYRADIUS", "1", "km", "WITHDIST"],
    &["GEOSEARCHSTORE", "d", "g", "FROMLONLAT", "1", "2", "BYRADIUS", "1", "km", "WITHCOORD"],
    &["GEOSEARCHSTORE", "d", "g", "FROMLONLAT", "1", "2", "BYRADIUS", "1", "km", "STORE", "x"],
    &["GEOSEARCHSTORE", "d", "g", "FROMLONLAT", "1", "2", "BYRADIUS", "1", "km", "STOREDIST", "x"],
    &["GEOSEARCHSTORE", "d", "g", "FROMLONLAT", "1", "2"],
    &["GEOSEARCHSTORE", "d", "g", "BYRADIUS", "1", "km", "ANY"],
    &["geosearchstore", "d", "g", "FROMLONLAT", "1", "2", "COUNT", "1"],
    &["GEOSEARCHSTORE", "d", "str", "FROMLONLAT", "1", "2", "BYRADIUS", "1", "km"],
    &["GEOSEARCHSTORE", "str", "g", "FROMLONLAT", "1", "2", "BYRADIUS", "1", "km"],
    &["GET", "str"],
];

#[test]
fn errors_match_redis() {
    run_resp2_then_resp3(ERRORS);
}

#[rustfmt::skip]
#[test]
fn command_info_and_getkeys_match_redis() {
    let mut d = Differ::new(&[]);
    for name in [
        "geoadd",
        "geopos",
        "geodist",
        "geohash",
        "geosearch",
        "geosearchstore",
        "georadius",
        "georadius_ro",
        "georadiusbymember",
        "georadiusbymember_ro",
    ] {
        d.check(&["COMMAND", "INFO", name]);
    }
    let script: &[&[&str]] = &[
        &["COMMAND", "GETKEYS", "GEORADIUS", "src", "1", "2", "3", "km", "STORE", "dst"],
        &["COMMAND", "GETKEYS", "GEORADIUS", "src", "1", "2", "3", "km", "STOREDIST", "dst"],
        &["COMMAND", "GETKEYS", "GEORADIUS", "src", "1", "2", "3", "km", "ASC"],
        &["COMMAND", "GETKEYS", "GEORADIUSBYMEMBER", "src", "m", "3", "km", "STORE", "dst"],
        &["COMMAND", "GETKEYS", "GEOSEARCHSTORE", "dst", "src", "FROMMEMBER", "m", "BYRADIUS",
            "1", "km"],
        &["COMMAND", "GETKEYS", "GEOADD", "k", "1", "2", "m"],
    ];
    d.check_all(script);
}

#[rustfmt::skip]
#[test]
fn keyspace_events_match_redis() {
    let mut d = Differ::new(&["--notify-keyspace-events", "KEA"]);
    let mut subs = [
        RawClient::connect(d.ours.port).expect("connect"),
        RawClient::connect(d.redis.port).expect("connect"),
    ];
    for s in &mut subs {
        s.cmd(&["PSUBSCRIBE", "__key*__:*"]);
    }
    d.check_all(&[
            &["GEOADD", "g", "1", "2", "a", "1.001", "2.001", "b"],
            &["GEOADD", "g", "NX", "1", "2", "a"],
            &["GEOADD", "g", "XX", "CH", "1.0001", "2", "a"],
            &["GEORADIUS", "g", "1", "2", "10", "km"],
            &["GEORADIUS", "g", "1", "2", "10", "km", "STORE", "s"],
            &["GEORADIUSBYMEMBER", "g", "a", "10", "km", "STOREDIST", "s"],
            &["GEOSEARCHSTORE", "t", "g", "FROMMEMBER", "a", "BYRADIUS", "10", "km"],
            &["GEOSEARCHSTORE", "t", "g", "FROMLONLAT", "50", "50", "BYRADIUS", "10", "km"],
            &["GEORADIUS", "g", "50", "50", "10", "km", "STORE", "s"],
            &["GEORADIUS", "g", "50", "50", "10", "km", "STORE", "s"],
            &["GEOSEARCHSTORE", "t", "nokey", "FROMLONLAT", "50", "50", "BYRADIUS", "10", "km"],
            &["SET", "marker", "1"],
        ],
    );
    let ours = events_until_marker(&mut subs[0]);
    let theirs = events_until_marker(&mut subs[1]);
    assert_eq!(ours, theirs);
}

#[test]
fn equal_distances_come_out_in_redis_order() {
    let mut d = Differ::new(&[]);
    // 70 members on five spots: many equal distances, arrays past the 7 and 40 element
    // thresholds of the partial quicksort.
    let spots = [
        ("10", "10"),
        ("10.01", "10"),
        ("10", "10.01"),
        ("9.99", "10"),
        ("10.02", "10"),
    ];
    let mut add: Vec<String> = vec!["GEOADD".into(), "t".into()];
    for i in 0..70 {
        let (lon, lat) = spots[(i * 7) % spots.len()];
        add.extend([lon.to_string(), lat.to_string(), format!("m{i:02}")]);
    }
    d.check(&add);
    for count in [1, 2, 3, 5, 6, 7, 8, 9, 13, 20, 40, 41, 42, 55, 69, 70, 71] {
        let c = count.to_string();
        let search = |from: &'static str| ["GEOSEARCH", "t", "FROMLONLAT", from, "10", "BYRADIUS"];
        for order in ["ASC", "DESC"] {
            let tail = ["10", "km", order, "COUNT", &c];
            d.check(&[&search("10")[..], &tail].concat());
            d.check(&[&search("10.004")[..], &tail, &["WITHDIST"]].concat());
            d.check(&[&["GEORADIUS", "t", "10", "10"][..], &tail, &["STORE", "s"]].concat());
            d.check(&["ZRANGE", "s", "0", "-1"]);
        }
        d.check(&[&search("10")[..], &["10", "km", "COUNT", &c]].concat());
    }
}

#[rustfmt::skip]
#[test]
fn writes_reach_replicas_and_reads_are_not_propagated() {
    let timeout = Duration::from_secs(60);
    let primary = Proc::node(&[]);
    let replica = Proc::node(&[]);
    let mut m = primary.raw();
    let mut r = replica.raw();
    r.cmd(&["REPLICAOF", "127.0.0.1", &primary.port.to_string()]);
    assert!(
        wait_until(timeout, || link_up(&mut r)),
        "link never came up"
    );
    let script: &[&[&str]] = &[
        &["GEOADD", "g", "CH", "13.361389", "38.115556", "Palermo", "15.087269", "37.502669",
            "Catania"],
        &[
            "GEOADD", "g", "XX", "13.4", "38.1", "Palermo", "1", "1", "ignored",
        ],
        &["GEORADIUS", "g", "15", "37", "200", "km", "STORE", "r1"],
        &["GEORADIUSBYMEMBER", "g", "Palermo", "200", "km", "STOREDIST", "r2"],
        &["GEOSEARCHSTORE", "r3", "g", "FROMLONLAT", "15", "37", "BYBOX", "400", "400", "km",
            "STOREDIST"],
    ];
    for cmd in script {
        m.cmd(cmd);
    }
    assert!(wait_until(timeout, || offsets_match(&mut m, &mut r)));
    for key in ["g", "r1", "r2", "r3"] {
        let q = ["ZRANGE", key, "0", "-1", "WITHSCORES"];
        assert_eq!(m.cmd(&q), r.cmd(&q), "{key} differs on the replica");
    }
    // A GEORADIUS without STORE reads only: the stream does not grow.
    let before = info_field(&mut m, "replication", "master_repl_offset");
    let reply = m.cmd(&["GEORADIUS", "g", "15", "37", "200", "km"]);
    assert!(
        matches!(reply, Frame::Array(ref v) if v.len() == 2),
        "{reply:?}"
    );
    m.cmd(&["GEORADIUSBYMEMBER", "g", "Palermo", "200", "km", "WITHDIST"]);
    assert_eq!(
        info_field(&mut m, "replication", "master_repl_offset"),
        before
    );
}

/// A random geo command over a small region around (lon0, lat0) with a few members.
#[derive(Debug, Clone)]
enum Op {
    Add(u8, i32, i32),
    /// A member on one of three shared spots: equal distances.
    AddSpot(u8, u8),
    Search {
        from_member: Option<u8>,
        lon: i32,
        lat: i32,
        by_box: Option<(u32, u32)>,
        radius: u32,
        unit: u8,
        opts: u8,
        count: Option<(u8, bool)>,
        store: Option<bool>,
    },
    Radius(u8, i32, i32, u32, u8, u8),
    Dist(u8, u8, u8),
    Pos(u8, u8),
}

fn op() -> impl Strategy<Value = Op> {
    let off = -200_000i32..200_000;
    prop_oneof![
        4 => (0u8..24, off.clone(), off.clone()).prop_map(|(m, x, y)| Op::Add(m, x, y)),
        2 => (0u8..24, 0u8..3).prop_map(|(m, spot)| Op::AddSpot(m, spot)),
        4 => (
            proptest::option::of(0u8..24),
            off.clone(),
            off.clone(),
            proptest::option::of((1u32..400, 1u32..400)),
            1u32..300,
            0u8..4,
            0u8..32,
            proptest::option::of((1u8..8, any::<bool>())),
            proptest::option::of(any::<bool>()),
        )
            .prop_map(|(from_member, lon, lat, by_box, radius, unit, opts, count, store)| {
                Op::Search { from_member, lon, lat, by_box, radius, unit, opts, count, store }
            }),
        2 => (0u8..24, off.clone(), off, 1u32..300, 0u8..4, 0u8..32)
            .prop_map(|(m, x, y, r, u, o)| Op::Radius(m, x, y, r, u, o)),
        1 => (0u8..24, 0u8..24, 0u8..4).prop_map(|(a, b, u)| Op::Dist(a, b, u)),
        1 => (0u8..24, 0u8..24).prop_map(|(a, b)| Op::Pos(a, b)),
    ]
}

/// Centres of the random regions: near the antimeridian and north of 66 degrees (the
/// wrap-around and the polar step adjustment), across the equator and the prime meridian,
/// the southern mid-latitudes, and past 80 degrees south.
const REGIONS: [(f64, f64); 4] = [(179.0, 67.0), (0.0, 0.0), (-60.0, -40.0), (100.0, -80.5)];

fn coord(region: usize, lon: i32, lat: i32) -> [String; 2] {
    let (lon0, lat0) = REGIONS[region];
    let mut x = lon0 + f64::from(lon) / 100_000.0;
    if x > 180.0 {
        x -= 360.0;
    }
    [
        format!("{x:.5}"),
        format!("{:.5}", lat0 + f64::from(lat) / 200_000.0),
    ]
}

fn unit_name(u: u8) -> String {
    ["m", "km", "ft", "mi"][usize::from(u % 4)].to_string()
}

fn scale(u: u8, v: u32) -> String {
    // Sizes in a range that covers the region in every unit.
    match u % 4 {
        0 => (v * 500).to_string(),
        1 => format!("{:.1}", f64::from(v) / 2.0),
        2 => (v * 1600).to_string(),
        _ => format!("{:.2}", f64::from(v) / 3.0),
    }
}

fn push_opts(v: &mut Vec<String>, opts: u8, store: bool) {
    if !store {
        for (bit, name) in [(1, "WITHCOORD"), (2, "WITHDIST"), (4, "WITHHASH")] {
            if opts & bit != 0 {
                v.push(name.to_string());
            }
        }
    }
    match (opts >> 3) % 3 {
        1 => v.push("ASC".into()),
        2 => v.push("DESC".into()),
        _ => {}
    }
}

fn args(region: usize, op: &Op) -> Vec<String> {
    let s = |x: &str| x.to_string();
    let member = |m: u8| format!("m{m}");
    match op {
        Op::Add(m, x, y) => {
            let [lon, lat] = coord(region, *x, *y);
            vec![s("GEOADD"), s("g"), lon, lat, member(*m)]
        }
        Op::AddSpot(m, spot) => {
            let (x, y) = [(0, 0), (1_000, 2_000), (-3_000, 500)][usize::from(*spot)];
            let [lon, lat] = coord(region, x, y);
            vec![s("GEOADD"), s("g"), lon, lat, member(*m)]
        }
        Op::Search {
            from_member,
            lon,
            lat,
            by_box,
            radius,
            unit,
            opts,
            count,
            store,
        } => {
            let mut v = match store {
                Some(dist) => {
                    let mut v = vec![s("GEOSEARCHSTORE"), s("dst"), s("g")];
                    if *dist {
                        v.push(s("STOREDIST"));
                    }
                    v
                }
                None => vec![s("GEOSEARCH"), s("g")],
            };
            match from_member {
                Some(m) => v.extend([s("FROMMEMBER"), member(*m)]),
                None => {
                    let [x, y] = coord(region, *lon, *lat);
                    v.extend([s("FROMLONLAT"), x, y]);
                }
            }
            match by_box {
                Some((w, h)) => v.extend([
                    s("BYBOX"),
                    scale(*unit, *w),
                    scale(*unit, *h),
                    unit_name(*unit),
                ]),
                None => v.extend([s("BYRADIUS"), scale(*unit, *radius), unit_name(*unit)]),
            }
            push_opts(&mut v, *opts, store.is_some());
            if let Some((c, any)) = count {
                v.extend([s("COUNT"), c.to_string()]);
                if *any {
                    v.push(s("ANY"));
                }
            }
            v
        }
        Op::Radius(m, x, y, r, u, o) => {
            let mut v = if o & 16 != 0 {
                vec![s("GEORADIUSBYMEMBER_RO"), s("g"), member(*m)]
            } else {
                let [lon, lat] = coord(region, *x, *y);
                vec![s("GEORADIUS_RO"), s("g"), lon, lat]
            };
            v.extend([scale(*u, *r), unit_name(*u)]);
            push_opts(&mut v, *o, false);
            v
        }
        Op::Dist(a, b, u) => vec![s("GEODIST"), s("g"), member(*a), member(*b), unit_name(*u)],
        Op::Pos(a, b) => vec![s("GEOPOS"), s("g"), member(*a), member(*b)],
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 24, ..ProptestConfig::default() })]
    #[test]
    fn random_points_and_searches_match_redis(
        region in 0..REGIONS.len(),
        ops in proptest::collection::vec(op(), 1..60),
    ) {
        let mut d = Differ::new(&["--zset-max-listpack-entries", "10"]);
        for op in &ops {
            let a = args(region, op);
            let (ours, theirs) = d.both(&a);
            prop_assert_eq!(ours, theirs, "after {}", show(&a));
            if a[0] == "GEOSEARCHSTORE" {
                let q = ["ZRANGE", "dst", "0", "-1", "WITHSCORES"];
                let (ours, theirs) = d.both(&q);
                prop_assert_eq!(ours, theirs, "dst after {}", show(&a));
            }
        }
        let q = ["ZRANGE", "g", "0", "-1", "WITHSCORES"];
        let (ours, theirs) = d.both(&q);
        prop_assert_eq!(ours, theirs);
    }
}

/// Sends `HELLO 3`, then `cmds`, then `PING geo-end` on a fresh connection and returns the
/// bytes of every reply after HELLO's (which names the server), up to the PING's.
fn resp3_bytes(port: u16, cmds: &[&[&str]]) -> Vec<u8> {
    use std::io::{Read, Write};
    let mut req = Vec::new();
    let mut all: Vec<&[&str]> = vec![&["HELLO", "3"]];
    all.extend_from_slice(cmds);
    all.push(&["PING", "geo-end"]);
    for cmd in all {
        req.extend(format!("*{}\r\n", cmd.len()).into_bytes());
        for a in cmd {
            req.extend(format!("${}\r\n{a}\r\n", a.len()).into_bytes());
        }
    }
    let mut s = std::net::TcpStream::connect(("127.0.0.1", port)).expect("connect");
    s.set_read_timeout(Some(Duration::from_secs(30)))
        .expect("timeout");
    s.write_all(&req).expect("write");
    let mut got = Vec::new();
    let mut buf = [0u8; 4096];
    while !got.ends_with(b"$7\r\ngeo-end\r\n") {
        let n = s.read(&mut buf).expect("read before the deadline");
        assert!(n > 0, "connection closed");
        got.extend_from_slice(&buf[..n]);
    }
    let hello_end = b"modules\r\n*0\r\n";
    let at = got
        .windows(hello_end.len())
        .position(|w| w == hello_end)
        .expect("HELLO reply");
    got.split_off(at + hello_end.len())
}

#[test]
fn resp3_coordinates_are_the_same_bytes_as_redis() {
    let d = Differ::new(&[]);
    let cmds: &[&[&str]] = &[
        &[
            "GEOADD",
            "g",
            "13.361389",
            "38.115556",
            "Palermo",
            "180",
            "85.05112878",
            "top",
        ],
        &["GEOPOS", "g", "Palermo", "top", "missing"],
        &[
            "GEOSEARCH",
            "g",
            "FROMLONLAT",
            "13",
            "38",
            "BYRADIUS",
            "100",
            "km",
            "WITHCOORD",
            "WITHDIST",
            "WITHHASH",
        ],
        &["GEODIST", "g", "Palermo", "top", "mi"],
        &["MULTI"],
        &["GEOPOS", "g", "Palermo"],
        &["EXEC"],
        &[
            "EVAL",
            "redis.setresp(3); return redis.call('GEOPOS', KEYS[1], 'Palermo')",
            "1",
            "g",
        ],
        &[
            "EVAL",
            "return redis.call('GEOPOS', KEYS[1], 'Palermo')",
            "1",
            "g",
        ],
    ];
    let ours = resp3_bytes(d.ours.port, cmds);
    let theirs = resp3_bytes(d.redis.port, cmds);
    assert!(
        ours.windows(4).any(|w| w == b",13."),
        "a RESP3 double is expected"
    );
    assert_eq!(
        String::from_utf8_lossy(&ours),
        String::from_utf8_lossy(&theirs)
    );
}
