//! Scripting beyond single replies: BUSY and SCRIPT KILL against real Redis (same texts),
//! effects replication to a replica, the cluster rules for keys a script touches (compared
//! with a real Redis cluster pair), EVAL through the router, and a blocked client served right
//! after the script that made its key ready.

use std::time::Duration;

use shoal_tests::{Frame, Proc, bulk, info_field, link_up, wait_until};

const TIMEOUT: Duration = Duration::from_secs(20);

/// A script that loops until killed.
const LOOP: &str = "local i = 0 while true do i = i + 1 end";

/// Sends `LOOP` from one client, waits for BUSY on another, kills it with SCRIPT KILL and
/// returns (the BUSY error, SCRIPT KILL's reply, the looping client's reply, an EVAL_RO
/// UNKILLABLE sequence's replies).
fn busy_and_kill(p: &Proc) -> Vec<Frame> {
    let mut admin = p.raw();
    assert_eq!(
        admin.cmd(&["CONFIG", "SET", "busy-reply-threshold", "50"]),
        Frame::ok()
    );
    let mut out = Vec::new();
    let mut looping = p.raw();
    looping.send(&["EVAL", LOOP, "0"]);
    let mut busy = Frame::Null;
    assert!(
        wait_until(TIMEOUT, || {
            busy = admin.cmd(&["PING"]);
            matches!(busy, Frame::Error(_))
        }),
        "never BUSY"
    );
    out.push(busy);
    // Commands flagged allow-busy still run; a transaction may begin.
    out.push(admin.cmd(&["MULTI"]));
    out.push(admin.cmd(&["DISCARD"]));
    out.push(admin.cmd(&["SCRIPT", "KILL"]));
    out.push(looping.read());
    out.push(looping.cmd(&["PING"]));
    out.push(admin.cmd(&["SCRIPT", "KILL"]));
    out
}

#[test]
fn busy_and_script_kill_match_redis() {
    let (ours, redis) = (Proc::node(&[]), Proc::redis(&[]));
    let a = busy_and_kill(&ours);
    let b = busy_and_kill(&redis);
    assert_eq!(a, b);
    assert_eq!(
        a[0],
        Frame::error(
            "BUSY Redis is busy running a script. You can only call SCRIPT KILL or SHUTDOWN NOSAVE."
        )
    );
}

/// A script that wrote cannot be killed: UNKILLABLE, and SHUTDOWN NOSAVE ends the node.
#[test]
fn a_script_that_wrote_is_unkillable_until_shutdown_nosave() {
    for mut p in [Proc::node(&[]), Proc::redis(&[])] {
        let mut admin = p.raw();
        admin.cmd(&["CONFIG", "SET", "busy-reply-threshold", "50"]);
        let mut looping = p.raw();
        looping.send(&["EVAL", "redis.call('set', 'x', '1') while true do end", "0"]);
        assert!(
            wait_until(TIMEOUT, || matches!(
                admin.cmd(&["GET", "x"]),
                Frame::Error(_)
            )),
            "never BUSY"
        );
        assert_eq!(
            admin.cmd(&["SCRIPT", "KILL"]),
            Frame::error(
                "UNKILLABLE Sorry the script already executed write commands against the dataset. \
                 You can either wait the script termination or kill the server in a hard way \
                 using the SHUTDOWN NOSAVE command."
            )
        );
        admin.send(&["SHUTDOWN", "NOSAVE"]);
        assert!(
            p.wait_exit(TIMEOUT).is_some(),
            "SHUTDOWN NOSAVE did not end the node"
        );
    }
}

#[test]
fn script_writes_reach_the_replica() {
    let master = Proc::node(&[]);
    let replica = Proc::node(&[]);
    let (mut m, mut r) = (master.raw(), replica.raw());
    r.cmd(&["REPLICAOF", "127.0.0.1", &master.port.to_string()]);
    assert!(
        wait_until(TIMEOUT, || link_up(&mut r)),
        "link never came up"
    );
    let script = "redis.call('set', KEYS[1], ARGV[1]) \
                  redis.call('incrby', KEYS[2], 5) \
                  redis.set_repl(redis.REPL_NONE) \
                  redis.call('set', KEYS[3], 'local only') \
                  redis.set_repl(redis.REPL_ALL) \
                  redis.call('rpush', KEYS[4], math.random(1000)) \
                  return redis.call('get', KEYS[1])";
    assert_eq!(
        m.cmd(&["EVAL", script, "4", "a", "n", "hidden", "l", "va"]),
        bulk("va")
    );
    // One write alone; in another database.
    m.cmd(&[
        "EVAL",
        "redis.call('select', 2) return redis.call('set', 'db2', 'x')",
        "0",
    ]);
    let synced = || {
        let mut r = replica.raw();
        r.cmd(&["SELECT", "2"]);
        r.cmd(&["GET", "db2"]) == bulk("x")
    };
    assert!(wait_until(TIMEOUT, synced), "writes never arrived");
    assert_eq!(r.cmd(&["GET", "a"]), bulk("va"));
    assert_eq!(r.cmd(&["GET", "n"]), bulk("5"));
    assert_eq!(r.cmd(&["GET", "hidden"]), Frame::Null);
    assert_eq!(m.cmd(&["GET", "hidden"]), bulk("local only"));
    // The random number the script pushed is the primary's: effects, not the script, travel.
    assert_eq!(
        r.cmd(&["LRANGE", "l", "0", "-1"]),
        m.cmd(&["LRANGE", "l", "0", "-1"])
    );
    // A replica refuses scripts that write.
    assert_eq!(
        r.cmd(&["EVAL", "return redis.call('set', 'z', 1)", "0"]),
        Frame::error(
            "READONLY You can't write against a read only replica. script: \
             d39a6a32eb4eddeac2b3cef5d90cb631014bd81a, on @user_script:1."
        )
    );
}

#[test]
fn a_blocked_client_is_served_right_after_the_script() {
    let p = Proc::node(&[]);
    let mut blocked = p.raw();
    blocked.send(&["BLPOP", "q", "0"]);
    let mut c = p.raw();
    assert!(
        wait_until(TIMEOUT, || info_field(&mut c, "clients", "blocked_clients")
            .as_deref()
            == Some("1")),
        "never blocked"
    );
    // The script pushes then pops one of two: the blocked client gets what is left after it.
    let script = "redis.call('rpush', 'q', 'a', 'b') redis.call('lpop', 'q') return 1";
    assert_eq!(c.cmd(&["EVAL", script, "0"]), Frame::Integer(1));
    assert_eq!(blocked.read(), Frame::Array(vec![bulk("q"), bulk("b")]));
    // Inside a script a blocking command answers at once.
    assert_eq!(
        c.cmd(&[
            "EVAL",
            "return redis.call('blmpop', 0, 1, 'empty', 'LEFT')",
            "0"
        ]),
        Frame::Null
    );
}

/// Two cluster nodes of one kind (ours or real Redis), A with slots 0-8191, B the rest.
fn cluster_pair(redis: bool) -> (Proc, Proc) {
    let args = ["--cluster-enabled", "yes", "--cluster-node-timeout", "2000"];
    let start = || {
        if redis {
            Proc::redis(&args)
        } else {
            Proc::node(&args)
        }
    };
    let (a, b) = (start(), start());
    a.raw().cmd(&["CLUSTER", "ADDSLOTSRANGE", "0", "8191"]);
    b.raw().cmd(&["CLUSTER", "ADDSLOTSRANGE", "8192", "16383"]);
    a.raw().cmd(&["CLUSTER", "SET-CONFIG-EPOCH", "1"]);
    b.raw().cmd(&["CLUSTER", "SET-CONFIG-EPOCH", "2"]);
    a.raw()
        .cmd(&["CLUSTER", "MEET", "127.0.0.1", &b.port.to_string()]);
    let ready = |p: &Proc| {
        let Frame::Bulk(info) = p.raw().cmd(&["CLUSTER", "INFO"]) else {
            return false;
        };
        let info = String::from_utf8_lossy(&info).into_owned();
        info.contains("cluster_state:ok") && info.contains("cluster_known_nodes:2\r\n")
    };
    assert!(
        wait_until(TIMEOUT, || ready(&a) && ready(&b)),
        "pair never formed"
    );
    (a, b)
}

/// What scripts touching keys of either node get from node A, B's port written as `PORT`.
fn cluster_script_replies(a: &Proc, b: &Proc) -> Vec<Frame> {
    // Slots: bar 5061, b 3300, c 7365 on A; foo 12182 on B.
    let cases: &[&[&str]] = &[
        &["EVAL", "return redis.call('get', KEYS[1])", "1", "foo"],
        &["EVAL", "return redis.call('get', 'foo')", "0"],
        &["EVAL", "return redis.pcall('get', 'foo')['err']", "0"],
        &["EVAL", "return redis.call('get', 'bar')", "0"],
        &["EVAL", "return redis.call('get', KEYS[1])", "1", "bar"],
        &["EVAL", "return redis.call('get', 'b')", "1", "bar"],
        &[
            "EVAL",
            "redis.call('set', 'bar', 1) return redis.call('get', 'b')",
            "0",
        ],
        &[
            "EVAL",
            "redis.call('get', 'bar') return redis.call('set', '{bar}z', 1)",
            "0",
        ],
        &["EVAL", "return 1", "2", "bar", "b"],
        &["EVAL", "return redis.call('mget', 'bar', 'c')", "0"],
        &["EVAL", "return redis.call('select', 1)", "0"],
        &[
            "EVAL_RO",
            "return redis.call('get', KEYS[1])",
            "1",
            "{bar}z",
        ],
        &["SCRIPT", "LOAD", "return 'loaded'"],
        &[
            "EVALSHA",
            "f6e4a6a5e4e4ad4ee9c4d8a2a1f5e8b0c0d6f3a1",
            "1",
            "foo",
        ],
    ];
    let mut c = a.raw();
    let port = b.port.to_string();
    cases
        .iter()
        .map(|cmd| match c.cmd(cmd) {
            Frame::Error(e) => {
                Frame::error(String::from_utf8_lossy(&e).replace(port.as_str(), "PORT"))
            }
            other => other,
        })
        .collect()
}

#[test]
fn cluster_key_rules_match_redis() {
    let (a, b) = cluster_pair(false);
    let ours = cluster_script_replies(&a, &b);
    let (ra, rb) = cluster_pair(true);
    let theirs = cluster_script_replies(&ra, &rb);
    for (i, (x, y)) in ours.iter().zip(&theirs).enumerate() {
        assert_eq!(x, y, "case {i} differs");
    }
    assert!(
        matches!(&ours[1], Frame::Error(e) if e.starts_with(b"ERR Script attempted to access a non local key"))
    );
}

#[test]
fn eval_and_script_through_the_router() {
    use shoal_tests::cluster::{RedisCluster, ServerKind, keys_on_every_primary, start_router};
    let cluster = RedisCluster::start(ServerKind::from_env());
    let router = start_router(&cluster.seeds(), &[]);
    let mut c = router.raw();
    let keys = keys_on_every_primary(&cluster, 6);
    let script = "redis.call('set', KEYS[1], ARGV[1]) return redis.call('get', KEYS[1])";
    for k in &keys {
        assert_eq!(
            c.cmd(&["EVAL", script, "1", k, &format!("v-{k}")]),
            bulk(&format!("v-{k}"))
        );
        // The write is on the key's owner.
        let owner = cluster.primary_of(shoal_common::key_hash_slot(k.as_bytes()).get());
        assert_eq!(
            cluster.nodes[owner].raw().cmd(&["GET", k]),
            bulk(&format!("v-{k}"))
        );
    }
    // SCRIPT LOAD goes to every node: EVALSHA then works for keys of every primary.
    let Frame::Bulk(sha) = c.cmd(&["SCRIPT", "LOAD", "return redis.call('get', KEYS[1])"]) else {
        panic!("SCRIPT LOAD reply")
    };
    let sha = String::from_utf8_lossy(&sha).into_owned();
    for k in &keys {
        assert_eq!(c.cmd(&["EVALSHA", &sha, "1", k]), bulk(&format!("v-{k}")));
    }
    let missing = "0000000000000000000000000000000000000000";
    assert_eq!(
        c.cmd(&["SCRIPT", "EXISTS", &sha, missing]),
        Frame::Array(vec![Frame::Integer(1), Frame::Integer(0)])
    );
    assert_eq!(c.cmd(&["SCRIPT", "FLUSH"]), Frame::ok());
    assert_eq!(
        c.cmd(&["SCRIPT", "EXISTS", &sha]),
        Frame::Array(vec![Frame::Integer(0)])
    );
    assert_eq!(
        c.cmd(&["EVALSHA", &sha, "1", &keys[0]]),
        Frame::error("NOSCRIPT No matching script. Please use EVAL.")
    );
    // Declared keys in two slots: CROSSSLOT from the router itself.
    let cross = c.cmd(&["EVAL", "return 1", "2", "bar", "foo"]);
    assert!(
        matches!(&cross, Frame::Error(e) if e.starts_with(b"CROSSSLOT")),
        "{cross:?}"
    );
}

/// Many cached scripts (more than the 8000 references an mlua VM can hold at once) stay
/// callable, and SCRIPT FLUSH frees them for as many more: the cache is not bounded by the
/// VM's reference stack (it used to panic the node at about 8000 scripts).
#[test]
fn twenty_thousand_cached_scripts_stay_callable() {
    let p = Proc::node(&[]);
    let mut c = p.raw();
    for round in 0..2 {
        let n = 10_000;
        for i in 0..n {
            c.send(&["SCRIPT", "LOAD", &format!("return {i} + {round}")]);
        }
        let mut shas = Vec::new();
        for _ in 0..n {
            match c.read() {
                Frame::Bulk(sha) => shas.push(String::from_utf8(sha.to_vec()).expect("hex")),
                other => panic!("SCRIPT LOAD answered {other:?}"),
            }
        }
        for i in [0, 7_999, 8_000, n - 1] {
            assert_eq!(
                c.cmd(&["EVALSHA", &shas[i], "0"]),
                Frame::Integer((i + round) as i64)
            );
        }
        assert_eq!(
            c.cmd(&["EVAL", "return 'still here'", "0"]),
            bulk("still here")
        );
        if round == 0 {
            assert_eq!(c.cmd(&["SCRIPT", "FLUSH"]), Frame::ok());
        }
    }
    assert_eq!(p.raw().cmd(&["PING"]), Frame::Simple("PONG".into()));
}

/// Function libraries are not bounded by the VM's reference stack either: 9000 libraries of
/// one function each load, and the first and last stay callable.
#[test]
fn nine_thousand_function_libraries_stay_callable() {
    let p = Proc::node(&[]);
    let mut c = p.raw();
    let n = 9_000;
    for i in 0..n {
        c.send(&[
            "FUNCTION",
            "LOAD",
            &format!(
                "#!lua name=lib{i}\nredis.register_function('f{i}', function() return {i} end)"
            ),
        ]);
    }
    for i in 0..n {
        assert_eq!(c.read(), bulk(&format!("lib{i}")));
    }
    for i in [0, 7_999, n - 1] {
        assert_eq!(
            c.cmd(&["FCALL", &format!("f{i}"), "0"]),
            Frame::Integer(i as i64)
        );
    }
    assert_eq!(c.cmd(&["FUNCTION", "FLUSH"]), Frame::ok());
    assert_eq!(c.cmd(&["PING"]), Frame::Simple("PONG".into()));
}
