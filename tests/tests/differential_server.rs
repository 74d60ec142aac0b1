//! Differential tests for the connection and server commands: AUTH, RESET, CLIENT *, CONFIG,
//! COMMAND DOCS/HELP/GETKEYSANDFLAGS, SLOWLOG, DEBUG, LASTSAVE, with their error cases.
//! Replies that are nondeterministic by nature (ids, addresses, times) are checked for shape.

use std::time::{Duration, Instant};

use shoal_tests::{Differ, Frame, Proc, bulk};

#[test]
fn client_subcommands_and_errors_match_redis() {
    let mut d = Differ::new(&[]);
    d.check_all(&[
        &["CLIENT", "HELP"],
        &["CLIENT", "NO-EVICT"],
        &["CLIENT", "NO-EVICT", "maybe"],
        &["CLIENT", "NO-EVICT", "on"],
        &["CLIENT", "NO-EVICT", "OFF"],
        &["CLIENT", "REPLY"],
        &["CLIENT", "REPLY", "foo"],
        &["CLIENT", "REPLY", "ON"],
        &["CLIENT", "PAUSE"],
        &["CLIENT", "PAUSE", "abc"],
        &["CLIENT", "PAUSE", "10", "foo"],
        &["CLIENT", "PAUSE", "-1"],
        &["CLIENT", "PAUSE", "10", "WRITE", "x"],
        &["CLIENT", "UNPAUSE"],
        &["CLIENT", "UNPAUSE", "x"],
        &["CLIENT", "KILL"],
        &["CLIENT", "KILL", "1.2.3.4:5"],
        &["CLIENT", "KILL", "id", "abc"],
        &["CLIENT", "KILL", "id", "0"],
        &["CLIENT", "KILL", "id", "999"],
        &["CLIENT", "KILL", "foo", "bar"],
        &["CLIENT", "KILL", "id", "1", "laddr"],
        &["CLIENT", "KILL", "type", "foo"],
        &["CLIENT", "KILL", "type", "master"],
        &["CLIENT", "KILL", "skipme", "maybe"],
        &["CLIENT", "KILL", "user", "nobody"],
        &["CLIENT", "KILL", "addr", "1.1.1.1:1"],
        &["CLIENT", "KILL", "addr", "1.1.1.1:1", "skipme", "no"],
        &["CLIENT", "LIST", "foo"],
        &["CLIENT", "LIST", "type", "foo"],
        &["CLIENT", "LIST", "id", "a"],
        &["CLIENT", "LIST", "id", "0"],
        &["CLIENT", "LIST", "id", "-5"],
        &["CLIENT", "LIST", "id", "999999"],
        &["CLIENT", "LIST", "type", "pubsub"],
        &["CLIENT", "LIST", "id"],
        &["CLIENT", "LIST", "type"],
        &["CLIENT", "INFO", "x"],
        &["CLIENT", "ID", "x"],
    ]);
}

#[test]
fn auth_matches_redis_with_and_without_requirepass() {
    let mut d = Differ::new(&[]);
    d.check_all(&[
        &["AUTH", "x"],
        &["AUTH", "a", "b"],
        &["AUTH", "default", "anything"],
        &["AUTH", "a", "b", "c"],
        &["AUTH"],
    ]);
    let mut d = Differ::new(&["--requirepass", "s3cret"]);
    d.check_all(&[
        &["GET", "k"],
        &["PING"],
        &["ECHO", "x"],
        &["CLIENT", "ID"],
        &["NOSUCH"],
        &["GET"],
        &["AUTH", "wrong"],
        &["GET", "k"],
        &["AUTH", "nouser", "s3cret"],
        &["HELLO", "2", "AUTH", "default", "bad"],
        &["AUTH", "s3cret"],
        &["SET", "k", "v"],
        &["GET", "k"],
        &["RESET"],
        &["GET", "k"],
        &["AUTH", "default", "s3cret"],
        &["GET", "k"],
        &["CONFIG", "SET", "requirepass", ""],
    ]);
    // A new connection after requirepass was cleared needs no AUTH.
    let mut a = d.ours.raw();
    let mut b = d.redis.raw();
    assert_eq!(a.cmd(&["GET", "k"]), b.cmd(&["GET", "k"]));
}

#[test]
fn reset_restores_a_new_connection_state() {
    let mut d = Differ::new(&[]);
    d.check_all(&[
        &["SELECT", "3"],
        &["SET", "k", "in3"],
        &["CLIENT", "SETNAME", "me"],
        &["CLIENT", "NO-EVICT", "on"],
        &["RESET"],
        &["RESET", "x"],
        &["CLIENT", "GETNAME"],
        &["GET", "k"],
        &["SELECT", "3"],
        &["GET", "k"],
    ]);
    d.both(&["HELLO", "3"]);
    d.check_all(&[&["RESET"], &["CONFIG", "GET", "maxmemory"]]);
}

#[test]
fn client_reply_off_and_skip_match_redis() {
    let mut d = Differ::new(&[]);
    for c in [&mut d.a, &mut d.b] {
        c.send(&["CLIENT", "REPLY", "OFF"]);
        c.send(&["SET", "a", "1"]);
        c.send(&["NOSUCH"]);
        c.send(&["CLIENT", "REPLY", "SKIP"]);
        c.send(&["CLIENT", "REPLY", "ON"]);
        c.send(&["CLIENT", "REPLY", "SKIP"]);
        c.send(&["GET", "a"]);
        c.send(&["GET", "nosuch", "extra"]);
        c.send(&["CLIENT", "REPLY", "SKIP"]);
        c.send(&["NOSUCH"]);
        c.send(&["INCR", "a"]);
    }
    for _ in 0..3 {
        let (ours, theirs) = (d.a.read(), d.b.read());
        assert_eq!(ours, theirs);
    }
    assert_eq!(d.a.cmd(&["PING"]), Frame::simple("PONG"));
    assert_eq!(d.b.cmd(&["PING"]), Frame::simple("PONG"));
}

#[test]
fn client_list_info_and_kill() {
    let node = Proc::node(&[]);
    let mut a = node.raw();
    let mut b = node.raw();
    assert_eq!(b.cmd(&["CLIENT", "SETNAME", "victim"]), Frame::ok());
    let Frame::Integer(b_id) = b.cmd(&["CLIENT", "ID"]) else {
        panic!("CLIENT ID")
    };
    let list = match a.cmd(&["CLIENT", "LIST"]) {
        Frame::Bulk(s) => String::from_utf8(s.to_vec()).unwrap(),
        other => panic!("CLIENT LIST: {other:?}"),
    };
    let keys: Vec<&str> = list
        .lines()
        .next()
        .unwrap()
        .split(' ')
        .map(|f| f.split('=').next().unwrap())
        .collect();
    assert_eq!(
        keys,
        [
            "id",
            "addr",
            "laddr",
            "fd",
            "name",
            "age",
            "idle",
            "flags",
            "db",
            "sub",
            "psub",
            "ssub",
            "multi",
            "qbuf",
            "qbuf-free",
            "argv-mem",
            "multi-mem",
            "rbs",
            "rbp",
            "obl",
            "oll",
            "omem",
            "tot-mem",
            "events",
            "cmd",
            "user",
            "redir",
            "resp"
        ]
    );
    assert!(list.lines().count() >= 2);
    assert!(list.contains(&format!("id={b_id} ")));
    assert!(list.contains("name=victim "));
    assert!(list.contains("cmd=client|list "));
    let info = match a.cmd(&["CLIENT", "INFO"]) {
        Frame::Bulk(s) => String::from_utf8(s.to_vec()).unwrap(),
        other => panic!("CLIENT INFO: {other:?}"),
    };
    assert!(info.ends_with('\n') && info.contains("cmd=client|info"));
    let only_b = a.cmd(&["CLIENT", "LIST", "ID", &b_id.to_string()]);
    let Frame::Bulk(only_b) = only_b else {
        panic!()
    };
    assert_eq!(String::from_utf8_lossy(&only_b).lines().count(), 1);
    // SKIPME yes (the default) spares the caller.
    let my_addr = info.split(' ').find(|f| f.starts_with("laddr=")).unwrap();
    let killed = a.cmd(&["CLIENT", "KILL", "LADDR", &my_addr[6..]]);
    assert_eq!(killed, Frame::Integer(1));
    assert!(b.is_closed(Duration::from_secs(2)));
    assert_eq!(a.cmd(&["PING"]), Frame::simple("PONG"));
    // Old form on oneself, then the connection closes after the reply.
    let addr = info.split(' ').find(|f| f.starts_with("addr=")).unwrap();
    assert_eq!(a.cmd(&["CLIENT", "KILL", &addr[5..]]), Frame::ok());
    assert!(a.is_closed(Duration::from_secs(2)));
}

#[test]
fn client_pause_defers_writes_until_unpause() {
    let node = Proc::node(&[]);
    let mut admin = node.raw();
    let mut writer = node.raw();
    assert_eq!(
        admin.cmd(&["CLIENT", "PAUSE", "100000", "WRITE"]),
        Frame::ok()
    );
    writer.send(&["SET", "k", "v"]);
    writer.send(&["GET", "k"]);
    // Reads from other clients go through; the writer's commands wait, in order.
    assert_eq!(admin.cmd(&["GET", "k"]), Frame::Null);
    std::thread::sleep(Duration::from_millis(200));
    assert_eq!(admin.cmd(&["EXISTS", "k"]), Frame::Integer(0));
    assert_eq!(admin.cmd(&["CLIENT", "UNPAUSE"]), Frame::ok());
    assert_eq!(writer.read(), Frame::ok());
    assert_eq!(writer.read(), bulk("v"));
    // ALL pauses every command, the caller's too, until the timeout.
    let started = Instant::now();
    admin.send(&["CLIENT", "PAUSE", "300", "ALL"]);
    admin.send(&["PING"]);
    assert_eq!(admin.read(), Frame::ok());
    assert_eq!(admin.read(), Frame::simple("PONG"));
    assert!(started.elapsed() >= Duration::from_millis(250));
}

#[test]
fn config_and_command_help_and_docs_match_redis() {
    let mut d = Differ::new(&["--enable-debug-command", "yes"]);
    d.check_all(&[
        &["CONFIG", "HELP"],
        &["COMMAND", "HELP"],
        &["SLOWLOG", "HELP"],
        &["CONFIG", "REWRITE"],
        &["CONFIG", "HELP", "x"],
        &["COMMAND", "GETKEYSANDFLAGS", "GET", "k"],
        &["COMMAND", "GETKEYSANDFLAGS", "MSET", "a", "1", "b", "2"],
        &["COMMAND", "GETKEYSANDFLAGS", "DEL", "a", "b"],
        &["COMMAND", "GETKEYSANDFLAGS", "PING"],
        &["COMMAND", "GETKEYSANDFLAGS", "NOSUCH", "x"],
        &["COMMAND", "GETKEYSANDFLAGS", "GET"],
        &["CONFIG", "SET", "maxmemory", "abc"],
        &["CONFIG", "SET", "maxmemory", "-1"],
        &["CONFIG", "SET", "hz", "abc"],
        &["CONFIG", "SET", "databases", "4"],
        &["CONFIG", "SET", "daemonize", "yes"],
        &["CONFIG", "SET", "maxmemory-policy", "bogus"],
        &["CONFIG", "SET", "protected-mode", "maybe"],
        &["CONFIG", "SET", "maxmemory", "1mb", "maxmemory", "2mb"],
        &["CONFIG", "SET", "maxmemory"],
        &["CONFIG", "SET", "maxmemory", "10mb"],
        &["CONFIG", "GET", "maxmemory"],
        &["CONFIG", "SET", "maxmemory", "0"],
        &["CONFIG", "GET", "nosuch*"],
        &["LASTSAVE", "x"],
        &["DEBUG"],
        &["DEBUG", "NOSUCH"],
        &["DEBUG", "SET-ACTIVE-EXPIRE", "0"],
        &["DEBUG", "SET-ACTIVE-EXPIRE", "1"],
        &["DEBUG", "SLEEP", "0"],
        &["DEBUG", "OBJECT", "missing"],
        &["MONITOR", "x"],
        &["SLOWLOG"],
        &["SLOWLOG", "NOSUCH"],
        &["SLOWLOG", "GET", "x"],
        &["SLOWLOG", "GET", "-2"],
        &["SLOWLOG", "GET", "1", "2"],
        &["SLOWLOG", "LEN", "x"],
        &["SLOWLOG", "RESET"],
    ]);
    // CONFIG GET answers in Redis's dict order: compare the pairs as a set.
    let pairs = |f: Frame| -> Vec<Frame> {
        let Frame::Array(items) = f else { panic!() };
        let mut v: Vec<Frame> = items.chunks(2).map(|p| Frame::Array(p.to_vec())).collect();
        v.sort_by_key(|f| format!("{f:?}"));
        v
    };
    for pattern in ["slowlog-*", "maxmemory-p*", "SLOWLOG-MAX-LEN", "hz"] {
        let (ours, theirs) = d.both(&["CONFIG", "GET", pattern]);
        assert_eq!(pairs(ours), pairs(theirs), "CONFIG GET {pattern}");
    }
    let (ours, theirs) = d.both(&["CONFIG", "GET", "hz", "slowlog-max-len", "h?"]);
    assert_eq!(pairs(ours), pairs(theirs));
    // COMMAND DOCS: one entry per known name, in request order (entries are compared field by
    // field, arguments included, in command_info_compat.rs; containers there too).
    let (ours, theirs) = d.both(&["COMMAND", "DOCS", "get", "config", "client", "nosuch"]);
    let (Frame::Array(ours), Frame::Array(theirs)) = (ours, theirs) else {
        panic!("COMMAND DOCS is not an array")
    };
    assert_eq!(ours.len(), 6);
    assert_eq!(theirs.len(), 6);
    assert_eq!(ours[..2], theirs[..2]);
    assert_eq!(ours[2], theirs[2]);
    assert_eq!(ours[4], theirs[4]);
}

#[test]
fn debug_is_refused_unless_enabled() {
    let mut d = Differ::new(&[]);
    d.check_all(&[&["DEBUG", "SLEEP", "0"], &["DEBUG"]]);
}

#[test]
fn slowlog_records_slow_commands() {
    let mut d = Differ::new(&["--slowlog-log-slower-than", "0", "--slowlog-max-len", "3"]);
    let long = "x".repeat(200);
    let many: Vec<String> = std::iter::once("DEL".to_string())
        .chain((0..40).map(|i| format!("k{i}")))
        .collect();
    d.check(&["SLOWLOG", "RESET"]);
    d.check(&["SET", "a", &long]);
    d.check(&many);
    d.check(&["CLIENT", "SETNAME", "slowpoke"]);
    d.check(&["SLOWLOG", "LEN"]);
    let (ours, theirs) = d.both(&["SLOWLOG", "GET", "-1"]);
    let args_of = |f: &Frame| -> Vec<Frame> {
        let Frame::Array(entries) = f else { panic!() };
        entries
            .iter()
            .map(|e| {
                let Frame::Array(fields) = e else { panic!() };
                assert_eq!(fields.len(), 6);
                Frame::Array(vec![fields[3].clone(), fields[5].clone()])
            })
            .collect()
    };
    assert_eq!(args_of(&ours), args_of(&theirs));
    d.check(&["SLOWLOG", "LEN"]);
}

#[test]
fn monitor_streams_commands_in_redis_format() {
    let node = Proc::node(&[]);
    let mut mon = node.raw();
    assert_eq!(mon.cmd(&["MONITOR"]), Frame::ok());
    let mut c = node.raw();
    c.cmd(&["SET", "k", "a \"b\"\n"]);
    c.cmd(&["AUTH", "default", "pw"]);
    c.cmd(&["CONFIG", "GET", "port"]);
    c.cmd(&["SELECT", "2"]);
    c.cmd(&["GET", "k"]);
    let line = |f: Frame| match f {
        Frame::Simple(s) => String::from_utf8(s.to_vec()).unwrap(),
        other => panic!("monitor line: {other:?}"),
    };
    let l1 = line(mon.read());
    let (ts, rest) = l1.split_once(' ').unwrap();
    let (secs, usecs) = ts.split_once('.').unwrap();
    assert!(secs.parse::<u64>().unwrap() > 1_600_000_000);
    assert_eq!(usecs.len(), 6);
    assert!(rest.starts_with("[0 127.0.0.1:"), "{rest}");
    assert!(
        rest.ends_with("] \"SET\" \"k\" \"a \\\"b\\\"\\n\""),
        "{rest}"
    );
    assert!(line(mon.read()).ends_with("\"AUTH\" \"(redacted)\" \"(redacted)\""));
    // CONFIG is admin: not shown.
    assert!(line(mon.read()).contains("] \"SELECT\" \"2\""));
    assert!(line(mon.read()).starts_with_timestamp_db(2));
}

trait DbPrefix {
    fn starts_with_timestamp_db(&self, db: usize) -> bool;
}

impl DbPrefix for String {
    fn starts_with_timestamp_db(&self, db: usize) -> bool {
        self.contains(&format!(" [{db} 127.0.0.1:")) && self.ends_with("\"GET\" \"k\"")
    }
}

fn info_text(f: Frame) -> String {
    match f {
        Frame::Bulk(b) | Frame::Verbatim(_, b) => String::from_utf8(b.to_vec()).unwrap(),
        other => panic!("INFO reply: {other:?}"),
    }
}

fn headers(info: &str) -> Vec<String> {
    info.split("\r\n")
        .filter(|l| l.starts_with("# ") && *l != "# Latencystats")
        .map(str::to_string)
        .collect()
}

#[test]
fn info_sections_and_fields_match_redis() {
    let mut d = Differ::new(&[]);
    d.check(&["SET", "k", "v"]);
    d.check(&["GET", "nosuch", "x"]);
    for args in [
        &["INFO"][..],
        &["INFO", "all"],
        &["INFO", "everything"],
        &["INFO", "default"],
        &["INFO", "CPU"],
        &["INFO", "keyspace", "server"],
        &["INFO", "nosuch"],
        &["INFO", "commandstats"],
    ] {
        let (ours, theirs) = d.both(args);
        let (ours, theirs) = (info_text(ours), info_text(theirs));
        assert_eq!(headers(&ours), headers(&theirs), "{args:?}");
        assert!(ours.is_empty() || ours.ends_with("\r\n"), "{args:?}");
        assert!(!ours.contains("\r\n\r\n\r\n"), "{args:?}");
    }
    let ours = info_text(d.a.cmd(&["INFO", "everything"]));
    let theirs = info_text(d.b.cmd(&["INFO", "everything"]));
    let field = |info: &str, name: &str| -> Option<String> {
        info.split("\r\n")
            .find_map(|l| l.strip_prefix(&format!("{name}:")).map(str::to_string))
    };
    // Fields clients and redis-cli read: present in both, equal where deterministic.
    for name in [
        "redis_version",
        "redis_mode",
        "tcp_port",
        "uptime_in_seconds",
        "process_id",
        "run_id",
        "connected_clients",
        "blocked_clients",
        "maxclients",
        "used_memory",
        "used_memory_human",
        "allocator_allocated",
        "allocator_active",
        "allocator_resident",
        "allocator_frag_ratio",
        "allocator_rss_bytes",
        "rss_overhead_ratio",
        "maxmemory",
        "maxmemory_policy",
        "loading",
        "rdb_last_save_time",
        "aof_enabled",
        "total_connections_received",
        "total_commands_processed",
        "expired_keys",
        "keyspace_hits",
        "total_error_replies",
        "role",
        "connected_slaves",
        "master_repl_offset",
        "used_cpu_sys",
        "used_cpu_user",
        "cluster_enabled",
        "db0",
        "cmdstat_set",
        "errorstat_ERR",
    ] {
        let (o, t) = (field(&ours, name), field(&theirs, name));
        assert!(
            o.is_some() && t.is_some(),
            "{name}: ours {o:?}, redis {t:?}"
        );
    }
    for name in [
        "redis_version",
        "redis_mode",
        "maxclients",
        "maxmemory_policy",
        "loading",
        "role",
        "cluster_enabled",
        "db0",
        "errorstat_ERR",
    ] {
        assert_eq!(field(&ours, name), field(&theirs, name), "{name}");
    }
    let cpu: f64 = field(&ours, "used_cpu_user").unwrap().parse().unwrap();
    assert!(cpu >= 0.0);
    let cmdstat = field(&ours, "cmdstat_set").unwrap();
    assert!(cmdstat.starts_with("calls=1,usec="), "{cmdstat}");
    // The fragmentation ratio is measured (RSS over allocated), not a constant.
    let num = |name: &str| -> f64 { field(&ours, name).unwrap().parse().unwrap() };
    let (used, rss) = (num("used_memory"), num("used_memory_rss"));
    let ratio = num("mem_fragmentation_ratio");
    assert!((ratio - rss / used).abs() < 0.01, "{ratio} vs {rss}/{used}");
    assert_eq!(num("mem_fragmentation_bytes"), rss - used);
    // The allocator breakdown is jemalloc's own: active pages hold what was handed out,
    // resident pages hold the active ones, and each pair's bytes are its difference.
    let (allocated, active, resident) = (
        num("allocator_allocated"),
        num("allocator_active"),
        num("allocator_resident"),
    );
    assert!(allocated > 0.0 && allocated <= active && active <= resident);
    assert_eq!(num("allocator_frag_bytes"), active - allocated);
    assert_eq!(num("allocator_rss_bytes"), resident - active);
}

/// Kills the child on drop.
struct ChildGuard(std::process::Child);

impl Drop for ChildGuard {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[test]
fn config_rewrite_keeps_comments_and_updates_directives() {
    let dir = tempfile::tempdir().unwrap();
    let port = shoal_tests::free_port();
    let conf = dir.path().join("node.conf");
    let original = format!(
        "# Shoal test config\n\nport {port}\nbind 127.0.0.1\n  # indented comment\n\
         maxmemory 100mb\nhz 10\nmaxmemory 200mb\n"
    );
    std::fs::write(&conf, &original).unwrap();
    let _child = ChildGuard(
        std::process::Command::new(shoal_tests::bin("shoal-node"))
            .arg(&conf)
            .arg("--dir")
            .arg(dir.path())
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap(),
    );
    let deadline = Instant::now() + Duration::from_secs(10);
    let mut c = loop {
        if let Ok(c) = shoal_tests::RawClient::connect(port) {
            break c;
        }
        assert!(Instant::now() < deadline, "node did not start");
        std::thread::sleep(Duration::from_millis(20));
    };
    assert_eq!(
        c.cmd(&["CONFIG", "GET", "maxmemory"])
            .to_string_lossy_pairs(),
        [("maxmemory".to_string(), "209715200".to_string())]
    );
    assert_eq!(c.cmd(&["CONFIG", "SET", "maxmemory", "1gb"]), Frame::ok());
    assert_eq!(c.cmd(&["CONFIG", "SET", "hz", "20"]), Frame::ok());
    assert_eq!(
        c.cmd(&["CONFIG", "SET", "maxmemory-policy", "allkeys-lru"]),
        Frame::ok()
    );
    assert_eq!(c.cmd(&["CONFIG", "REWRITE"]), Frame::ok());
    let text = std::fs::read_to_string(&conf).unwrap();
    // What redis-server 7.0.15 writes for the same file and commands: lines trimmed, the
    // second maxmemory line blanked, blank runs collapsed, then the appended directives
    // (save, the percentiles and dir are always written; Redis appends in its dict's order,
    // we in table order, so those are compared as a set; Redis also adds its `user` line).
    let (head, tail) = text
        .split_once("# Generated by CONFIG REWRITE\n")
        .expect("signature");
    assert_eq!(
        head,
        format!(
            "# Shoal test config\n\nport {port}\nbind 127.0.0.1\n# indented comment\n\
             maxmemory 1gb\nhz 20\n\n"
        )
    );
    let mut appended: Vec<&str> = tail.lines().collect();
    appended.sort_unstable();
    let dir_line = format!("dir \"{}\"", dir.path().canonicalize().unwrap().display());
    let mut want = vec![
        "maxmemory-policy allkeys-lru",
        "save 3600 1",
        "save 300 100",
        "save 60 10000",
        "latency-tracking-info-percentiles 50 99 99.9",
        &dir_line,
    ];
    want.sort_unstable();
    assert_eq!(appended, want);
    // Rewriting again adds the blank line Redis reads after the final newline, then nothing.
    assert_eq!(c.cmd(&["CONFIG", "REWRITE"]), Frame::ok());
    assert_eq!(std::fs::read_to_string(&conf).unwrap(), format!("{text}\n"));
    assert_eq!(c.cmd(&["CONFIG", "REWRITE"]), Frame::ok());
    assert_eq!(std::fs::read_to_string(&conf).unwrap(), format!("{text}\n"));
}

trait Pairs {
    fn to_string_lossy_pairs(&self) -> Vec<(String, String)>;
}

impl Pairs for Frame {
    fn to_string_lossy_pairs(&self) -> Vec<(String, String)> {
        let Frame::Array(items) = self else {
            panic!("not an array: {self:?}")
        };
        items
            .chunks(2)
            .map(|p| match p {
                [Frame::Bulk(k), Frame::Bulk(v)] => (
                    String::from_utf8_lossy(k).into_owned(),
                    String::from_utf8_lossy(v).into_owned(),
                ),
                other => panic!("pair {other:?}"),
            })
            .collect()
    }
}

/// RESP for a batch of commands, to send them in one write (one executor batch).
fn resp_batch(cmds: &[&[&str]]) -> Vec<u8> {
    let mut out = Vec::new();
    for cmd in cmds {
        out.extend_from_slice(format!("*{}\r\n", cmd.len()).as_bytes());
        for a in *cmd {
            out.extend_from_slice(format!("${}\r\n{a}\r\n", a.len()).as_bytes());
        }
    }
    out
}

#[test]
fn pipelined_commands_get_their_own_time_and_duration() {
    // The executor reads the clock once per command (a command starts when the previous one
    // of its batch ended): a slow command inside a pipeline is logged alone, with its own
    // duration, and the commands after it see the time after it (lazy expiry).
    let node = Proc::node(&["--enable-debug-command", "yes"]);
    let mut c = node.raw();
    assert_eq!(c.cmd(&["SLOWLOG", "RESET"]), Frame::ok());
    c.send_raw(&resp_batch(&[
        &["SET", "k", "v", "PX", "50"],
        &["PING"],
        &["DEBUG", "SLEEP", "0.1"],
        &["GET", "k"],
        &["PING"],
        &["PING"],
    ]));
    let replies: Vec<Frame> = (0..6).map(|_| c.read()).collect();
    assert_eq!(replies[0], Frame::ok());
    assert_eq!(replies[2], Frame::ok());
    assert_eq!(replies[3], Frame::Null, "k expired during DEBUG SLEEP");
    let Frame::Array(entries) = c.cmd(&["SLOWLOG", "GET", "-1"]) else {
        panic!("SLOWLOG GET");
    };
    assert_eq!(entries.len(), 1, "only DEBUG SLEEP is slow: {entries:?}");
    let Frame::Array(fields) = &entries[0] else {
        panic!("entry");
    };
    let Frame::Integer(us) = fields[2] else {
        panic!("duration");
    };
    assert!((100_000..5_000_000).contains(&us), "duration {us}");
    assert_eq!(
        fields[3],
        Frame::Array(vec![bulk("DEBUG"), bulk("SLEEP"), bulk("0.1")])
    );
}
