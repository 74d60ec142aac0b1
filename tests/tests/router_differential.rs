//! The same command sequences through the router (in front of a six-node cluster) and on a
//! single real redis-server: every reply must be identical, byte for byte once decoded.
//! Multi-key commands spanning slots are the interesting part: the router splits and
//! merges them, a single server runs them whole.

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use shoal_tests::cluster::{RedisCluster, ServerKind, start_router};
use shoal_tests::{Proc, RawClient, show};

/// Keys spread over many slots (and so over every primary), plus two sharing a hash tag.
const KEYS: &[&str] = &[
    "a", "b", "c", "d", "foo", "bar", "{t}1", "{t}2", "num", "list", "zs", "h",
];

fn pick<'a>(rng: &mut StdRng, from: &[&'a str]) -> &'a str {
    from[rng.random_range(0..from.len())]
}

/// One random command over [`KEYS`] with deterministic replies.
fn random_command(rng: &mut StdRng) -> Vec<String> {
    let k = |rng: &mut StdRng| pick(rng, KEYS).to_string();
    let n = |rng: &mut StdRng| rng.random_range(-5..50).to_string();
    let keys = |rng: &mut StdRng| {
        let count = rng.random_range(1..6);
        (0..count).map(|_| k(rng)).collect::<Vec<_>>()
    };
    let v = |x: &[&str]| x.iter().map(|a| (*a).to_string()).collect::<Vec<String>>();
    let mut cmd: Vec<String> = match rng.random_range(0..40) {
        0 => vec!["SET".into(), k(rng), n(rng)],
        1 => vec!["GET".into(), k(rng)],
        2 => vec!["INCRBY".into(), k(rng), n(rng)],
        3 => vec!["APPEND".into(), k(rng), "xy".into()],
        4 => [vec!["MGET".into()], keys(rng)].concat(),
        5 => {
            let mut v = vec!["MSET".to_string()];
            for key in keys(rng) {
                v.push(key);
                v.push(n(rng));
            }
            v
        }
        6 => [vec!["DEL".into()], keys(rng)].concat(),
        7 => [vec!["EXISTS".into()], keys(rng)].concat(),
        8 => [vec!["TOUCH".into()], keys(rng)].concat(),
        9 => [vec!["UNLINK".into()], keys(rng)].concat(),
        10 => vec!["TYPE".into(), k(rng)],
        11 => vec!["STRLEN".into(), k(rng)],
        12 => vec!["DBSIZE".into()],
        13 => vec!["ZADD".into(), k(rng), n(rng), k(rng)],
        14 => vec!["ZSCORE".into(), k(rng), k(rng)],
        15 => vec!["SETNX".into(), k(rng), n(rng)],
        // Hashes, lists, sets, sorted sets, HyperLogLog, bitmaps, streams, scripts: each
        // family through the router, type errors included (keys are shared by all).
        16 => vec!["HSET".into(), k(rng), k(rng), n(rng)],
        17 => vec!["HGET".into(), k(rng), k(rng)],
        18 => vec!["HINCRBY".into(), k(rng), k(rng), n(rng)],
        19 => vec!["HGETALL".into(), k(rng)],
        20 => vec!["RPUSH".into(), k(rng), n(rng), n(rng)],
        21 => vec!["LPOP".into(), k(rng)],
        22 => vec!["LRANGE".into(), k(rng), "0".into(), "-1".into()],
        23 => vec!["SADD".into(), k(rng), n(rng)],
        24 => vec!["SISMEMBER".into(), k(rng), n(rng)],
        25 => vec!["SCARD".into(), k(rng)],
        26 => [v(&["ZRANGE"]), vec![k(rng)], v(&["0", "-1", "WITHSCORES"])].concat(),
        27 => vec!["ZINCRBY".into(), k(rng), n(rng), k(rng)],
        28 => vec!["PFADD".into(), k(rng), n(rng), n(rng)],
        29 => vec!["PFCOUNT".into(), k(rng)],
        30 => vec![
            "SETBIT".into(),
            k(rng),
            rng.random_range(0..64).to_string(),
            "1".into(),
        ],
        31 => vec!["BITCOUNT".into(), k(rng)],
        32 => vec![
            "XADD".into(),
            k(rng),
            format!("{}-1", rng.random_range(1..9)),
            "f".into(),
            n(rng),
        ],
        33 => vec!["XLEN".into(), k(rng)],
        34 => [v(&["XRANGE"]), vec![k(rng)], v(&["-", "+"])].concat(),
        35 => [
            v(&["EVAL", "return redis.call('incrby', KEYS[1], ARGV[1])", "1"]),
            vec![k(rng), n(rng)],
        ]
        .concat(),
        36 => [
            v(&["EVAL", "return redis.call('type', KEYS[1])", "1"]),
            vec![k(rng)],
        ]
        .concat(),
        37 => vec!["GETDEL".into(), k(rng)],
        38 => vec!["RENAME".into(), "{t}1".into(), "{t}2".into()],
        _ => vec!["INCR".into(), k(rng)],
    };
    if rng.random_range(0..40) == 0 {
        cmd.truncate(1); // an arity error now and then
    }
    cmd
}

struct Pair {
    router: RawClient,
    redis: RawClient,
}

impl Pair {
    fn check(&mut self, args: &[String]) {
        let ours = self.router.cmd(args);
        let theirs = self.redis.cmd(args);
        assert_eq!(ours, theirs, "reply differs for {}", show(args));
    }
}

impl Pair {
    /// Sends `cmds` in one write to each side, then compares the replies in order.
    fn check_pipelined(&mut self, cmds: &[Vec<String>]) {
        let mut wire = bytes::BytesMut::new();
        for c in cmds {
            shoal_common::resp::encode::encode_request(c, &mut wire);
        }
        self.router.send_raw(&wire);
        self.redis.send_raw(&wire);
        for c in cmds {
            let (ours, theirs) = (self.router.read(), self.redis.read());
            assert_eq!(ours, theirs, "pipelined reply differs for {}", show(c));
        }
    }
}

fn in_table(cmd: &[String]) -> bool {
    shoal_common::command::lookup(cmd[0].as_bytes()).is_some()
}

#[test]
fn random_sequences_match_a_single_redis() {
    let cluster = RedisCluster::start(ServerKind::from_env());
    let router = start_router(&cluster.seeds(), &[]);
    let single = Proc::redis(&[]);
    let mut p = Pair {
        router: router.raw(),
        redis: single.raw(),
    };
    let s = |v: &[&str]| v.iter().map(|x| x.to_string()).collect::<Vec<_>>();
    // Fixed cases first: errors and edge cases, exact texts.
    for c in [
        s(&["SET", "a", "1"]),
        s(&["LPUSH_NOT_A_COMMAND", "a"]),
        s(&["INCR", "a"]),
        s(&["SET", "a", "x"]),
        s(&["INCR", "a"]),
        s(&["ZADD", "a", "1", "m"]),
        s(&["MGET", "a", "nope", "b", "{t}1"]),
        s(&["MSET", "a", "1", "b"]),
        s(&["DEL"]),
        s(&["GET", "a", "b"]),
        s(&["SET", "a", "1", "EX", "notanumber"]),
        s(&["SET", "a", "1", "EX", "0"]),
        s(&["ECHO", "hello"]),
        s(&["PING", "msg"]),
        s(&["EXISTS", "a", "a", "a"]),
        s(&["DEL", "a", "a", "b"]),
    ] {
        if in_table(&c) || c[0].ends_with("NOT_A_COMMAND") {
            p.check(&c);
        }
    }
    for seed in 0..3u64 {
        let mut rng = StdRng::seed_from_u64(seed);
        for _ in 0..400 {
            let c = random_command(&mut rng);
            if in_table(&c) {
                p.check(&c);
            }
        }
        // A whole sequence as one pipeline: the router batches it per node, splits and
        // merges the multi-key commands in place, and must answer in order.
        let mut rng = StdRng::seed_from_u64(1000 + seed);
        let cmds: Vec<Vec<String>> = (0..300)
            .map(|_| random_command(&mut rng))
            .filter(|c| in_table(c))
            .collect();
        p.check_pipelined(&cmds);
        // The same sequence in RESP3.
        if seed == 2 {
            p.router.cmd(&["HELLO", "3"]);
            p.redis.cmd(&["HELLO", "3"]);
            let mut rng = StdRng::seed_from_u64(99);
            for _ in 0..300 {
                let c = random_command(&mut rng);
                if in_table(&c) {
                    p.check(&c);
                }
            }
        }
    }
}
