//! Differential tests for the configuration: CONFIG GET of every parameter Redis 7.0.15
//! lists, CONFIG SET of every mutable one (valid and invalid values), refusals of immutable
//! and protected ones, CONFIG SET port, `replicaof` as a parameter, and Debian's stock
//! `/etc/redis/redis.conf` (it starts our node, and both servers then read the same).
//!
//! Values that legitimately differ between the two processes: `dir` (each has its own
//! temporary directory) and `port` (each its own free port); for those only the names are
//! compared.

use std::time::Duration;

use shoal_tests::{Differ, Frame, Proc, RawClient, bulk, free_port, show, wait_until};

/// Parameters whose values differ between the two processes by construction.
const DIFFER_IN_VALUE: &[&str] = &["dir", "port"];

/// Parameters Redis 7.0.15 hides from patterns; CONFIG GET answers them by exact name.
const HIDDEN: &[&str] = &[
    "use-exit-on-panic",
    "rdb-key-save-delay",
    "key-load-delay",
    "watchdog-period",
    "loading-process-events-interval-bytes",
];

fn text(f: &Frame) -> String {
    match f {
        Frame::Bulk(b) | Frame::Simple(b) | Frame::Error(b) => {
            String::from_utf8_lossy(b).into_owned()
        }
        other => panic!("not a string: {other:?}"),
    }
}

/// A CONFIG GET reply as sorted (name, value) pairs (Redis answers in dict order).
fn pairs(f: Frame) -> Vec<(String, String)> {
    let Frame::Array(items) = f else {
        panic!("CONFIG GET reply is not an array: {f:?}")
    };
    let mut v: Vec<(String, String)> = items
        .chunks(2)
        .map(|p| (text(&p[0]), text(&p[1])))
        .collect();
    v.sort();
    v
}

/// Compares CONFIG GET replies, values only where they can be equal.
fn assert_same_pairs(ours: Frame, theirs: Frame, what: &str) {
    let strip = |v: Vec<(String, String)>| -> Vec<(String, String)> {
        v.into_iter()
            .map(|(n, val)| {
                if DIFFER_IN_VALUE.contains(&n.to_ascii_lowercase().as_str()) {
                    (n, String::new())
                } else {
                    (n, val)
                }
            })
            .collect()
    };
    assert_eq!(strip(pairs(ours)), strip(pairs(theirs)), "{what}");
}

fn names(d: &mut Differ) -> Vec<String> {
    let (ours, theirs) = d.both(&["CONFIG", "GET", "*"]);
    let theirs: Vec<String> = pairs(theirs).into_iter().map(|(n, _)| n).collect();
    let ours: Vec<String> = pairs(ours).into_iter().map(|(n, _)| n).collect();
    assert_eq!(ours, theirs, "CONFIG GET * lists other names");
    assert!(theirs.len() >= 190, "Redis listed {} names", theirs.len());
    theirs
}

#[test]
fn every_parameter_reads_as_redis() {
    let mut d = Differ::new(&["--save", ""]);
    let names = names(&mut d);
    for name in &names {
        let (ours, theirs) = d.both(&["CONFIG", "GET", name]);
        assert_same_pairs(ours, theirs, &format!("CONFIG GET {name}"));
    }
    for name in HIDDEN {
        let reply = d.check(&["CONFIG", "GET", name]);
        assert!(
            matches!(&reply, Frame::Array(a) if a.len() == 2),
            "{name}: {reply:?}"
        );
        let (ours, theirs) = d.both(&["CONFIG", "GET", "*", name]);
        assert_same_pairs(ours, theirs, &format!("CONFIG GET * {name}"));
    }
    for patterns in [
        &["*max-*-entries"][..],
        &["SLAVE-PRIORITY", "replica-priority"],
        &["HZ", "hz", "h?"],
        &["*slave*"],
        &["replicaof", "SLAVEOF"],
        &["tls-*"],
        &["nosuch", "*nosuch*"],
    ] {
        let mut args = vec!["CONFIG", "GET"];
        args.extend_from_slice(patterns);
        let (ours, theirs) = d.both(&args);
        assert_same_pairs(ours, theirs, &show(&args));
    }
}

/// A valid value other than `current` for a mutable parameter (`None`: tested apart).
fn new_value(name: &str, current: &str) -> Option<String> {
    let fixed = match name {
        "port" | "bind" | "requirepass" => return None,
        "loglevel" => "warning",
        "maxmemory-policy" => "allkeys-lru",
        "appendfsync" => "always",
        "oom-score-adj" => "relative",
        "acl-pubsub-default" => "allchannels",
        "sanitize-dump-payload" => "clients",
        "cluster-preferred-endpoint-type" => "hostname",
        "propagation-error-behavior" => "panic-on-replicas",
        "repl-diskless-load" => "swapdb",
        "tls-auth-clients" => "optional",
        "shutdown-on-sigint" => "save now",
        "shutdown-on-sigterm" => "NOW force",
        "save" => "100 10 200 20",
        "client-output-buffer-limit" => "pubsub 1mb 512kb 5",
        "oom-score-adj-values" => "-10 300 900",
        "latency-tracking-info-percentiles" => "50.5 99.990 100",
        "notify-keyspace-events" => "KEA",
        "proc-title-template" => "{title} {port}",
        // Small enough for any open-files limit, long enough for an idle test connection.
        "maxclients" => "100",
        "timeout" => "3600",
        "maxmemory" => "1gb",
        "maxmemory-clients" => "10%",
        _ => "",
    };
    if !fixed.is_empty() {
        return Some(fixed.to_string());
    }
    Some(match current {
        "yes" => "no".to_string(),
        "no" => "yes".to_string(),
        "" => "x1".to_string(),
        n => {
            let v: i64 = n
                .parse()
                .unwrap_or_else(|_| panic!("no test value for {name} (now {n:?})"));
            (v * 2 + 1).to_string()
        }
    })
}

/// Values every rule refuses or accepts the same way in both servers.
const ODD_VALUES: &[&str] = &[
    "zzz",
    "-99999999999",
    "99999999999999999",
    "99999999999999999999",
    "",
    "1 2",
    "yes no",
    "+5",
    "007",
    "-0",
    " 5",
    "5kb",
    "10%",
    "101%",
    "0x10",
    "1.5",
    "NO",
];

#[test]
fn every_mutable_parameter_sets_as_redis() {
    let mut d = Differ::new(&["--save", ""]);
    let names = names(&mut d);
    let current: Vec<(String, String)> = pairs(d.b.cmd(&["CONFIG", "GET", "*"]));
    let mut mutable = 0;
    for (name, value) in &current {
        if DIFFER_IN_VALUE.contains(&name.as_str()) {
            continue;
        }
        // Setting the current value: OK when mutable, Redis's refusal otherwise (immutable,
        // protected).
        let reply = d.check(&["CONFIG", "SET", name, value]);
        if reply != Frame::ok() {
            continue;
        }
        mutable += 1;
        let Some(new) = new_value(name, value) else {
            continue;
        };
        d.check(&["CONFIG", "SET", name, &new]);
        let (ours, theirs) = d.both(&["CONFIG", "GET", name]);
        assert_same_pairs(ours, theirs, &format!("CONFIG GET {name} after {new:?}"));
        for odd in ODD_VALUES {
            d.check(&["CONFIG", "SET", name, odd]);
            let (ours, theirs) = d.both(&["CONFIG", "GET", name]);
            assert_same_pairs(ours, theirs, &format!("CONFIG GET {name} after {odd:?}"));
        }
        d.check(&["CONFIG", "SET", name, value]);
    }
    assert!(mutable > 150, "only {mutable} of {} mutable", names.len());
    // Several pairs: names are checked first, then values in order; all or nothing.
    for args in [
        &["CONFIG", "SET", "maxmemory", "abc", "nosuch", "x"][..],
        &["CONFIG", "SET", "daemonize", "no", "nosuch", "1"],
        &["CONFIG", "SET", "maxmemory", "1mb", "maxmemory"],
        &["CONFIG", "SET", "hz", "5", "maxmemory", "abc"],
        &["CONFIG", "GET", "hz"],
        &["CONFIG", "SET", "Hz", "5", "HZ", "6"],
        &[
            "CONFIG",
            "SET",
            "replica-priority",
            "1",
            "slave-priority",
            "2",
        ],
        &["CONFIG", "GET", "replica-priority"],
        &["CONFIG", "SET", "SLAVE-PRIORITY", "abc"],
        &["CONFIG", "SET", "hz", "1000"],
        &["CONFIG", "GET", "hz"],
        &["CONFIG", "SET", "hz", "0"],
        &["CONFIG", "GET", "hz"],
        &["CONFIG", "SET", "shutdown-on-sigterm", "save nosave"],
        &["CONFIG", "SET", "tls-port", "6390"],
        &["CONFIG", "SET", "tls-replication", "yes"],
        &["CONFIG", "SET", "dir", "/tmp"],
        &["CONFIG", "SET", "dbfilename", "x.rdb"],
        &["CONFIG", "SET", "unixsocket", "/tmp/x.sock"],
        &["CONFIG", "SET", "replicaof", "127.0.0.1 6379"],
        &["CONFIG", "SET", "bind", "10.255.255.1"],
    ] {
        d.check(args);
    }
    // requirepass: set, a new client must AUTH, cleared again.
    d.check(&["CONFIG", "SET", "requirepass", "pw"]);
    let (mut a, mut b) = (d.ours.raw(), d.redis.raw());
    for args in [&["PING"][..], &["AUTH", "pw"], &["PING"]] {
        assert_eq!(a.cmd(args), b.cmd(args), "{}", show(args));
    }
    d.check(&["CONFIG", "SET", "requirepass", ""]);
    let (ours, theirs) = d.both(&["CONFIG", "GET", "requirepass"]);
    assert_same_pairs(ours, theirs, "requirepass");
}

/// CONFIG SET port moves the listener in both servers; a port in use is refused alike.
#[test]
fn config_set_port_moves_the_listener() {
    let mut d = Differ::new(&[]);
    // Each to the other's port: taken.
    let ours =
        d.a.cmd(&["CONFIG", "SET", "port", &d.redis.port.to_string()]);
    let theirs =
        d.b.cmd(&["CONFIG", "SET", "port", &d.ours.port.to_string()]);
    let want = "ERR CONFIG SET failed (possibly related to argument 'port') - Unable to listen \
                on this port. Check server logs.";
    assert_eq!(theirs, Frame::error(want));
    assert_eq!(ours, Frame::error(want));
    assert_eq!(d.a.cmd(&["PING"]), Frame::Simple("PONG".into()));
    // A port found free may be taken by another test's server before we bind it: try again.
    let new = (0..5)
        .map(|_| free_port())
        .find(|p| d.a.cmd(&["CONFIG", "SET", "port", &p.to_string()]) == Frame::ok())
        .expect("no free port could be bound in five tries");
    assert_eq!(
        d.a.cmd(&["CONFIG", "GET", "port"]),
        Frame::Array(vec![bulk("port"), bulk(&new.to_string())])
    );
    let mut moved = RawClient::connect(new).expect("connect to the new port");
    assert_eq!(moved.cmd(&["PING"]), Frame::Simple("PONG".into()));
    assert!(
        wait_until(Duration::from_secs(30), || RawClient::connect(d.ours.port)
            .is_err()),
        "the old port still accepts"
    );
    assert_eq!(
        moved.cmd(&["CONFIG", "SET", "bind", "0.0.0.0"]),
        Frame::ok()
    );
    let mut again = RawClient::connect(new).expect("connect after CONFIG SET bind");
    assert_eq!(again.cmd(&["PING"]), Frame::Simple("PONG".into()));
}

/// `replicaof`/`slaveof` as parameters: `<host> <port>` on a replica, empty on a master,
/// immutable.
#[test]
fn replicaof_is_a_parameter_as_in_redis() {
    // Both point at a port nobody listens on: CONFIG GET shows the configured master whether
    // or not the link is up.
    let dead = free_port().to_string();
    let mut d = Differ::new(&["--replicaof", "127.0.0.1", &dead]);
    for args in [
        &["CONFIG", "GET", "replicaof"][..],
        &["CONFIG", "GET", "slaveof"],
        &["CONFIG", "GET", "REPLICAOF"],
        &["CONFIG", "SET", "replicaof", "no one"],
        &["CONFIG", "SET", "slaveof", "127.0.0.1 1"],
        &["REPLICAOF", "NO", "ONE"],
        &["CONFIG", "GET", "replicaof"],
        &["CONFIG", "GET", "slaveof"],
    ] {
        d.check(args);
    }
    let (ours, theirs) = d.both(&["CONFIG", "GET", "*of"]);
    assert_same_pairs(ours, theirs, "CONFIG GET *of");
}

/// Debian's stock redis.conf (port, dir, daemonize, logfile and pidfile adjusted) starts our
/// node, which then reads every parameter as redis-server started from the same file does;
/// CONFIG REWRITE on it succeeds and the rewritten file starts the node again.
#[test]
fn stock_redis_conf_starts_the_node() {
    let stock = std::fs::read_to_string("/etc/redis/redis.conf").unwrap_or_else(|e| {
        panic!("/etc/redis/redis.conf is missing ({e}): install Debian's redis-server package")
    });
    let mut ours = Proc::node_with_config_file(&["--save", ""]);
    let mut redis = Proc::redis_with_config_file(&[]);
    for p in [&mut ours, &mut redis] {
        let dir = p.dir.path().display().to_string();
        let conf: String = stock
            .lines()
            .map(|l| {
                let word = l.split_whitespace().next().unwrap_or("");
                match word {
                    "port" => format!("port {}", p.port),
                    "daemonize" => "daemonize no".to_string(),
                    "logfile" => "logfile \"\"".to_string(),
                    "pidfile" => format!("pidfile {dir}/redis.pid"),
                    "dir" => format!("dir {dir}"),
                    _ => l.to_string(),
                }
            })
            .map(|l| l + "\n")
            .collect();
        std::fs::write(p.dir.path().join("node.conf"), conf).expect("write node.conf");
        p.restart();
    }
    let (mut a, mut b) = (ours.raw(), redis.raw());
    assert_eq!(a.cmd(&["PING"]), Frame::Simple("PONG".into()));
    let before = a.cmd(&["CONFIG", "GET", "*"]);
    let differ_here = ["dir", "port", "pidfile"];
    let strip = |f: Frame| -> Vec<(String, String)> {
        pairs(f)
            .into_iter()
            .filter(|(n, _)| !differ_here.contains(&n.as_str()))
            .collect()
    };
    assert_eq!(
        strip(before),
        strip(b.cmd(&["CONFIG", "GET", "*"])),
        "the stock file reads differently"
    );
    // The same changes, then CONFIG REWRITE on both: the same file, but for the order of the
    // appended lines (Redis's dict order) and Redis's ACL `user` line.
    let changes: &[&str] = &[
        "CONFIG",
        "SET",
        "maxmemory",
        "100mb",
        "save",
        "100 10 200 20",
        "slave-priority",
        "5",
        "masterauth",
        "a b",
        "notify-keyspace-events",
        "KEA",
        "client-output-buffer-limit",
        "pubsub 1mb 512kb 5",
        "maxmemory-clients",
        "5%",
        "hz",
        "1000",
        "oom-score-adj-values",
        "1 2 3",
        "latency-tracking-info-percentiles",
        "",
        "shutdown-on-sigterm",
        "save now",
        "lua-time-limit",
        "100",
    ];
    assert_eq!(a.cmd(changes), b.cmd(changes));
    assert_eq!(a.cmd(&["CONFIG", "REWRITE"]), Frame::ok());
    assert_eq!(b.cmd(&["CONFIG", "REWRITE"]), Frame::ok());
    let read = |p: &Proc| -> (String, Vec<String>) {
        let text = std::fs::read_to_string(p.dir.path().join("node.conf")).expect("read");
        let text = text
            .replace(&p.dir.path().display().to_string(), "DIR")
            .replace(&p.port.to_string(), "PORT");
        let (head, tail) = text
            .split_once("# Generated by CONFIG REWRITE\n")
            .expect("signature");
        let mut tail: Vec<String> = tail
            .lines()
            .filter(|l| !l.starts_with("user "))
            .map(str::to_string)
            .collect();
        tail.sort();
        (head.to_string(), tail)
    };
    assert_eq!(
        read(&ours),
        read(&redis),
        "CONFIG REWRITE wrote another file"
    );
    assert_eq!(a.cmd(&["CONFIG", "SET", "maxmemory", "2gb"]), Frame::ok());
    assert_eq!(a.cmd(&["CONFIG", "REWRITE"]), Frame::ok());
    let rewritten = std::fs::read_to_string(ours.dir.path().join("node.conf")).expect("read");
    assert!(rewritten.contains("\nmaxmemory 2gb\n"), "{rewritten}");
    ours.restart();
    let mut a = ours.raw();
    assert_eq!(a.cmd(&["PING"]), Frame::Simple("PONG".into()));
    assert_eq!(
        a.cmd(&["CONFIG", "GET", "maxmemory"]),
        Frame::Array(vec![bulk("maxmemory"), bulk("2147483648")])
    );
}

/// Bad config lines stop both servers with the same three lines of explanation; TLS, which we
/// cannot provide, stops our node with a clear reason.
#[test]
fn bad_config_lines_are_fatal_as_in_redis() {
    let dir = tempfile::tempdir().expect("temp dir");
    let run = |exe: &std::path::Path, conf: &str| -> (bool, String) {
        let path = dir.path().join("bad.conf");
        std::fs::write(&path, conf).expect("write");
        let out = shoal_tests::output_within(
            std::process::Command::new(exe)
                .arg(&path)
                .args(["--port", "0", "--save", ""]),
            Duration::from_secs(30),
        );
        let err = String::from_utf8_lossy(&out.stderr).into_owned();
        (out.status.success(), err)
    };
    let redis = shoal_tests::require_tool("redis-server", "redis-server");
    let node = shoal_tests::bin("shoal-node");
    for conf in [
        "# x\nalways-show-logo no\nnosuch-directive 1\n",
        "maxmemory 1 2\n",
        "hz abc\n",
        "maxmemory-policy bogus\n",
        "save 1\n",
        "bind \"unbalanced\n",
        "logfile /nonexistent-shoal-dir/x.log\n",
    ] {
        let (ok_r, err_r) = run(&redis, conf);
        let (ok_o, err_o) = run(&node, conf);
        assert!(!ok_r && !ok_o, "{conf:?} was accepted");
        let tail = |e: &str| -> Vec<String> {
            let lines: Vec<&str> = e.lines().filter(|l| !l.trim().is_empty()).collect();
            lines[lines.len().saturating_sub(3)..]
                .iter()
                .map(|l| (*l).to_string())
                .collect()
        };
        assert_eq!(
            tail(&err_o),
            tail(&err_r),
            "{conf:?}:\nours: {err_o}\nredis: {err_r}"
        );
        assert!(err_o.contains("*** FATAL CONFIG FILE ERROR (Redis 7.0.15) ***"));
    }
    for conf in [
        "tls-port 6390\n",
        "tls-replication yes\n",
        "tls-cluster yes\n",
    ] {
        let (ok, err) = run(&node, conf);
        assert!(
            !ok && err.contains("not supported by Shoal"),
            "{conf:?}: {err}"
        );
    }
    // The old names Redis 7.0 skips silently still start the node.
    let (ok, err) = run(
        &node,
        "list-max-ziplist-entries 512\nlua-replicate-commands yes\nport 0\nshutdown-timeout x\n",
    );
    assert!(!ok && err.contains("line 4"), "{err}");
}

/// `masteruser` (the replica AUTHs as that user), `replica-announce-ip`/`-port` (what the
/// primary shows in INFO replication and ROLE), `replica-priority` and `replica-announced`
/// (the replica's INFO): the same in a pair of redis-servers and a pair of our nodes.
#[test]
fn replica_settings_as_redis() {
    let check = |master: Proc, mk_replica: &dyn Fn(&[&str]) -> Proc| {
        let mport = master.port.to_string();
        let replica = mk_replica(&[
            "--replicaof",
            "127.0.0.1",
            &mport,
            "--masteruser",
            "default",
            "--masterauth",
            "pw",
            "--replica-announce-ip",
            "10.1.2.3",
            "--slave-announce-port",
            "4242",
            "--replica-priority",
            "7",
            "--replica-announced",
            "no",
        ]);
        let (mut m, mut r) = (master.raw(), replica.raw());
        assert_eq!(m.cmd(&["AUTH", "pw"]), Frame::ok());
        assert!(
            wait_until(Duration::from_secs(60), || shoal_tests::link_up(&mut r)),
            "the replica never authenticated as masteruser"
        );
        let slave0 = |m: &mut RawClient| shoal_tests::info_field(m, "replication", "slave0");
        assert!(
            wait_until(Duration::from_secs(60), || slave0(&mut m)
                .is_some_and(|s| s.contains("state=online"))),
            "{:?}",
            slave0(&mut m)
        );
        let s = slave0(&mut m).expect("slave0");
        let role = m.cmd(&["ROLE"]);
        let Frame::Array(role) = role else {
            panic!("ROLE: {role:?}")
        };
        let Frame::Array(replicas) = &role[2] else {
            panic!("ROLE replicas: {:?}", role[2])
        };
        let Frame::Array(first) = &replicas[0] else {
            panic!("ROLE replica: {:?}", replicas[0])
        };
        (
            s.split(',').take(2).collect::<Vec<_>>().join(","),
            first[..2].to_vec(),
            shoal_tests::info_field(&mut r, "replication", "slave_priority"),
            shoal_tests::info_field(&mut r, "replication", "replica_announced"),
        )
    };
    let theirs = check(Proc::redis(&["--requirepass", "pw"]), &|a| Proc::redis(a));
    let ours = check(Proc::node(&["--requirepass", "pw"]), &|a| Proc::node(a));
    assert_eq!(ours, theirs);
    assert_eq!(theirs.0, "ip=10.1.2.3,port=4242");
    assert_eq!(theirs.2.as_deref(), Some("7"));
}

/// Command-line values as redis-server reads them: one quoted argument of a multi-word
/// directive is split on spaces; save lines add up; hz is capped.
#[test]
fn command_line_values_as_redis() {
    let mut d = Differ::new(&[
        "--save",
        "100 1",
        "--save",
        "200 2",
        "--client-output-buffer-limit",
        "pubsub 0 256kb 1",
        "--oom-score-adj-values",
        "1 2 3",
        "--maxmemory-clients",
        "5%",
        "--hz",
        "1000",
        "--shutdown-on-sigterm",
        "save now",
        "--slave-priority",
        "3",
        "--list-max-ziplist-entries",
        "7",
    ]);
    let names = names(&mut d);
    for name in &names {
        let (ours, theirs) = d.both(&["CONFIG", "GET", name]);
        assert_same_pairs(ours, theirs, &format!("CONFIG GET {name}"));
    }
}

/// One request over a unix socket, the raw reply bytes back.
fn unix_request(path: &std::path::Path, request: &[u8]) -> Vec<u8> {
    use std::io::{Read, Write};
    let mut s = std::os::unix::net::UnixStream::connect(path)
        .unwrap_or_else(|e| panic!("connect {}: {e}", path.display()));
    s.set_read_timeout(Some(Duration::from_secs(30)))
        .expect("timeout");
    s.write_all(request).expect("write");
    let mut buf = vec![0u8; 4096];
    let n = s.read(&mut buf).expect("read");
    buf.truncate(n);
    buf
}

/// `unixsocket` and `unixsocketperm`: both servers listen on the socket with the mode asked
/// for, serve commands there, mark such clients `U`, and remove the socket when they stop.
#[test]
fn unix_socket_listener_as_redis() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().expect("temp dir");
    let ours_sock = dir.path().join("ours.sock");
    let redis_sock = dir.path().join("redis.sock");
    let ours_s = ours_sock.display().to_string();
    let redis_s = redis_sock.display().to_string();
    let mut ours = Proc::node(&["--unixsocket", &ours_s, "--unixsocketperm", "700"]);
    let mut redis = Proc::redis(&["--unixsocket", &redis_s, "--unixsocketperm", "700"]);
    for (p, sock) in [(&ours, &ours_sock), (&redis, &redis_sock)] {
        let mode = std::fs::metadata(sock)
            .expect("socket file")
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o700, "{}", sock.display());
        assert_eq!(unix_request(sock, b"PING\r\n"), b"+PONG\r\n");
        assert_eq!(
            unix_request(sock, b"*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$1\r\nv\r\n"),
            b"+OK\r\n"
        );
        assert_eq!(p.raw().cmd(&["GET", "k"]), bulk("v"));
        let info = unix_request(sock, b"CLIENT INFO\r\n");
        let info = String::from_utf8_lossy(&info).into_owned();
        let want = format!("addr={}:0 laddr={}:0 ", sock.display(), sock.display());
        assert!(info.contains(&want), "{info}");
        assert!(info.contains(" flags=U "), "{info}");
    }
    let (a, b) = (
        ours.raw().cmd(&["CONFIG", "GET", "unixsocket*"]),
        redis.raw().cmd(&["CONFIG", "GET", "unixsocket*"]),
    );
    let rename = |v: Vec<(String, String)>, from: &str| -> Vec<(String, String)> {
        v.into_iter()
            .map(|(n, val)| (n, val.replace(from, "SOCK")))
            .collect()
    };
    assert_eq!(rename(pairs(a), &ours_s), rename(pairs(b), &redis_s));
    for (p, sock) in [(&mut ours, &ours_sock), (&mut redis, &redis_sock)] {
        p.raw().send(&["SHUTDOWN", "NOSAVE"]);
        assert!(p.wait_exit(Duration::from_secs(30)).is_some(), "no exit");
        assert!(!sock.exists(), "{} left behind", sock.display());
    }
}

/// `pidfile` (written with the process id, removed at exit) and `logfile` (the log goes to
/// that file, relative to `dir`), in both servers.
#[test]
fn pidfile_and_logfile_as_redis() {
    let dir = tempfile::tempdir().expect("temp dir");
    let run = |name: &str, start: &dyn Fn(&[&str]) -> Proc| {
        let pid_path = dir.path().join(format!("{name}.pid"));
        let pid_s = pid_path.display().to_string();
        let mut p = start(&["--pidfile", &pid_s, "--logfile", "server.log"]);
        let written = std::fs::read_to_string(&pid_path).expect("pid file");
        assert_eq!(written.trim(), p.pid().to_string(), "{name}");
        let log = p.dir.path().join("server.log");
        assert!(
            wait_until(Duration::from_secs(30), || std::fs::metadata(&log)
                .is_ok_and(|m| m.len() > 0)),
            "{name}: nothing logged to {}",
            log.display()
        );
        p.raw().send(&["SHUTDOWN", "NOSAVE"]);
        assert!(
            p.wait_exit(Duration::from_secs(30)).is_some(),
            "{name}: no exit"
        );
        assert!(!pid_path.exists(), "{name}: pid file left behind");
    };
    run("redis", &|a| Proc::redis(a));
    run("ours", &|a| Proc::node(a));
}

/// `include` (a file, or every file a pattern matches, applied where the line stands): both
/// servers read the same values.
#[test]
fn include_as_redis() {
    let inc = tempfile::tempdir().expect("temp dir");
    std::fs::write(
        inc.path().join("a.conf"),
        "hz 20\nsave 5 5\nslave-priority 9\n",
    )
    .expect("write");
    std::fs::write(inc.path().join("b.conf"), "maxmemory 1mb\n").expect("write");
    std::fs::write(inc.path().join("one.txt"), "maxmemory-policy allkeys-lru\n").expect("write");
    let text = format!(
        "save 1 1\ninclude {0}/*.conf\ninclude {0}/one.txt\nhz 30\ninclude {0}/none-*.conf\n",
        inc.path().display()
    );
    let mut ours = Proc::node_with_config_file(&[]);
    let mut redis = Proc::redis_with_config_file(&[]);
    for p in [&mut ours, &mut redis] {
        std::fs::write(p.dir.path().join("node.conf"), &text).expect("write node.conf");
        p.restart();
    }
    let (ours, theirs) = (
        ours.raw().cmd(&["CONFIG", "GET", "*"]),
        redis.raw().cmd(&["CONFIG", "GET", "*"]),
    );
    // Redis also got `--save ""` from the harness, after the file: compare the file's values.
    let keep = ["hz", "maxmemory", "replica-priority", "maxmemory-policy"];
    let pick = |f: Frame| -> Vec<(String, String)> {
        pairs(f)
            .into_iter()
            .filter(|(n, _)| keep.contains(&n.as_str()))
            .collect()
    };
    let ours = pick(ours);
    assert_eq!(ours, pick(theirs));
    assert_eq!(ours.len(), 4);
    assert!(
        ours.contains(&("hz".to_string(), "30".to_string())),
        "{ours:?}"
    );
}

/// With `enable-protected-configs yes`, CONFIG SET `dir` moves the working directory (a
/// missing one is refused with the system's words) and `dbfilename` is checked, as in Redis.
#[test]
fn protected_configs_when_enabled() {
    let mut d = Differ::new(&["--enable-protected-configs", "yes"]);
    let target = tempfile::tempdir().expect("temp dir");
    let target_s = target.path().display().to_string();
    for args in [
        &["CONFIG", "SET", "dir", "/nonexistent-shoal-dir"][..],
        &["CONFIG", "SET", "dir", &target_s],
        &["CONFIG", "GET", "dir"],
        &["CONFIG", "SET", "dbfilename", "a/b.rdb"],
        &["CONFIG", "SET", "dbfilename", "b.rdb"],
        &["CONFIG", "GET", "dbfilename"],
    ] {
        d.check(args);
    }
}

/// The values of sensitive parameters (`masterauth`, `masteruser`, `requirepass`) are
/// redacted from the slow log, as in Redis.
#[test]
fn sensitive_values_are_redacted() {
    let mut d = Differ::new(&[]);
    d.check(&["CONFIG", "SET", "slowlog-log-slower-than", "0"]);
    d.check(&["SLOWLOG", "RESET"]);
    d.check(&[
        "CONFIG",
        "SET",
        "masterauth",
        "secret",
        "hz",
        "11",
        "MASTERUSER",
        "me",
    ]);
    d.check(&["CONFIG", "SET", "masterauth", "x", "nosuch", "1"]);
    let argv = |f: Frame| -> Vec<Frame> {
        let Frame::Array(entries) = f else {
            panic!("SLOWLOG GET: {f:?}")
        };
        entries
            .into_iter()
            .map(|e| match e {
                Frame::Array(fields) => fields[3].clone(),
                other => panic!("entry: {other:?}"),
            })
            .collect()
    };
    let (ours, theirs) = d.both(&["SLOWLOG", "GET", "3"]);
    let ours = argv(ours);
    assert_eq!(ours, argv(theirs));
    assert!(format!("{ours:?}").contains("redacted"), "{ours:?}");
}

/// Kills a child process on drop.
struct Killed(std::process::Child);

impl Drop for Killed {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Under `ulimit -n 200` both servers reduce `maxclients` to what the limit leaves (168) and
/// refuse a CONFIG SET above it with the same words (Redis `adjustOpenFilesLimit`).
#[test]
fn maxclients_follows_the_open_files_limit() {
    let redis = shoal_tests::require_tool("redis-server", "redis-server");
    let node = shoal_tests::bin("shoal-node");
    let dir = tempfile::tempdir().expect("temp dir");
    let mut replies = Vec::new();
    for exe in [&redis, &node] {
        let port = free_port();
        let script = format!(
            "ulimit -n 200 && exec '{}' --port {port} --bind 127.0.0.1 --save '' --dir '{}'",
            exe.display(),
            dir.path().display()
        );
        let _child = Killed(
            std::process::Command::new("sh")
                .args(["-c", &script])
                .stdout(std::process::Stdio::null())
                .stderr(std::process::Stdio::null())
                .spawn()
                .expect("spawn"),
        );
        let mut c = None;
        assert!(
            wait_until(Duration::from_secs(30), || {
                c = RawClient::connect(port).ok();
                c.is_some()
            }),
            "{} did not start",
            exe.display()
        );
        let mut c = c.expect("connected");
        replies.push((
            c.cmd(&["CONFIG", "GET", "maxclients"]),
            c.cmd(&["CONFIG", "SET", "maxclients", "5000"]),
            c.cmd(&["CONFIG", "SET", "maxclients", "100"]),
        ));
    }
    assert_eq!(replies[0], replies[1]);
    // 168 where the limit holds; a process allowed to raise its hard limit (root with
    // CAP_SYS_RESOURCE) keeps 10000, and then both must have done so.
    let shown = &replies[0].0;
    assert!(
        [bulk("168"), bulk("10000")]
            .iter()
            .any(|v| *shown == Frame::Array(vec![bulk("maxclients"), v.clone()])),
        "{shown:?}"
    );
}
