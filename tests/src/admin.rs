//! Harness for the cluster-administration tests: a cluster of real server processes (real
//! `redis-server` or our `shoal-node`, both in cluster mode), the `shoal-admin` binary, the
//! real `redis-cli --cluster check` as the referee, and a key loader/auditor that proves every
//! key is present exactly once, on the primary that owns its slot, with its value.

use std::collections::HashSet;
use std::process::{Command, Output};
use std::time::{Duration, Instant};

use shoal_common::key_hash_slot;

use crate::{Frame, Proc, RawClient, bin, output_within, require_tool};

/// Which server the cluster runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ServerKind {
    /// Real redis-server 7.0.
    Redis,
    /// Our shoal-node.
    Shoal,
}

/// Cluster-mode arguments shared by every node (a short node timeout keeps failovers quick).
pub const CLUSTER_ARGS: &[&str] = &["--cluster-enabled", "yes", "--cluster-node-timeout", "2000"];

/// A running set of cluster-mode nodes.
pub struct TestCluster {
    /// The nodes, in start order.
    pub nodes: Vec<Proc>,
}

/// What a run of a tool printed and returned.
pub struct Run {
    /// Exit code.
    pub code: i32,
    /// Standard output.
    pub stdout: String,
    /// Standard error.
    pub stderr: String,
}

fn run_output(o: Output) -> Run {
    Run {
        code: o.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&o.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&o.stderr).into_owned(),
    }
}

/// Runs `shoal-admin` with `args`.
pub fn admin(args: &[&str]) -> Run {
    let o = output_within(
        Command::new(bin("shoal-admin")).args(args),
        Duration::from_secs(300),
    );
    run_output(o)
}

/// Runs `shoal-admin` and asserts it succeeded; returns its output.
pub fn admin_ok(args: &[&str]) -> String {
    let r = admin(args);
    assert_eq!(
        r.code, 0,
        "shoal-admin {args:?} failed:\n{}\n{}",
        r.stdout, r.stderr
    );
    r.stdout
}

/// Runs the real `redis-cli --cluster check addr`.
pub fn redis_cli_check(addr: &str) -> Run {
    let o = output_within(
        Command::new(require_tool("redis-cli", "redis-tools")).args(["--cluster", "check", addr]),
        Duration::from_secs(120),
    );
    run_output(o)
}

/// Asserts that redis-cli's check and ours both pass on the cluster reached through `addr`.
pub fn assert_both_checks_pass(addr: &str) {
    let r = redis_cli_check(addr);
    assert_eq!(r.code, 0, "redis-cli --cluster check failed:\n{}", r.stdout);
    assert!(
        r.stdout
            .contains("[OK] All nodes agree about slots configuration."),
        "{}",
        r.stdout
    );
    assert!(
        r.stdout.contains("[OK] All 16384 slots covered."),
        "{}",
        r.stdout
    );
    assert!(!r.stdout.contains("[WARNING]"), "{}", r.stdout);
    let ours = admin(&["check", addr]);
    assert_eq!(
        ours.code, 0,
        "shoal-admin check failed:\n{}{}",
        ours.stdout, ours.stderr
    );
}

/// Polls `f` every 100 ms until it is true or `timeout` passes.
pub fn wait_until(timeout: Duration, what: &str, mut f: impl FnMut() -> bool) {
    let deadline = Instant::now() + timeout;
    while Instant::now() < deadline {
        if f() {
            return;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    panic!("timed out waiting for {what}");
}

/// The text of a string reply.
pub fn text(f: &Frame) -> String {
    String::from_utf8_lossy(
        f.as_bytes()
            .unwrap_or_else(|| panic!("not a string: {f:?}")),
    )
    .into_owned()
}

/// One node's own line of CLUSTER NODES: (id, is_master, owned slots).
pub fn myself(port: u16) -> (String, bool, Vec<u16>) {
    let mut c = RawClient::connect(port).expect("connect");
    let nodes = text(&c.cmd(&["CLUSTER", "NODES"]));
    let line = nodes
        .lines()
        .find(|l| l.split(' ').nth(2).is_some_and(|f| f.contains("myself")))
        .expect("myself line");
    let tok: Vec<&str> = line.split(' ').collect();
    let mut slots = Vec::new();
    for t in tok.iter().skip(8).filter(|t| !t.starts_with('[')) {
        let (a, b) = t.split_once('-').unwrap_or((t, t));
        let (a, b): (u16, u16) = (a.parse().expect("slot"), b.parse().expect("slot"));
        slots.extend(a..=b);
    }
    (tok[0].to_string(), tok[2].contains("master"), slots)
}

/// The key and value of key number `i`.
pub fn key_value(i: usize) -> (String, String) {
    (format!("key:{i}"), format!("value-{i}"))
}

/// Ports of the primaries among `ports`, with their slots.
pub fn primaries(ports: &[u16]) -> Vec<(u16, Vec<u16>)> {
    ports
        .iter()
        .filter_map(|&p| {
            let (_, master, slots) = myself(p);
            master.then_some((p, slots))
        })
        .collect()
}

/// Writes keys `0..n` (see [`key_value`]) to their owners, pipelined.
pub fn load_keys(ports: &[u16], n: usize) {
    let mut owner = vec![0u16; 16384];
    for (p, slots) in primaries(ports) {
        for s in slots {
            owner[usize::from(s)] = p;
        }
    }
    let mut by_port: Vec<(u16, Vec<usize>)> = Vec::new();
    for i in 0..n {
        let p = owner[key_hash_slot(key_value(i).0.as_bytes()).index()];
        assert_ne!(p, 0, "slot of key {i} has no owner");
        match by_port.iter_mut().find(|(q, _)| *q == p) {
            Some((_, v)) => v.push(i),
            None => by_port.push((p, vec![i])),
        }
    }
    for (p, keys) in by_port {
        let mut c = RawClient::connect(p).expect("connect");
        for chunk in keys.chunks(1000) {
            for &i in chunk {
                let (k, v) = key_value(i);
                c.send(&["SET", &k, &v]);
            }
            for _ in chunk {
                assert_eq!(c.read(), Frame::ok());
            }
        }
    }
}

/// Asserts keys `0..n` are each on exactly one primary, the owner of their slot, with their
/// value, and that no other key exists.
pub fn assert_keys_exactly_once(ports: &[u16], n: usize) {
    let mut seen: HashSet<String> = HashSet::new();
    for (p, slots) in primaries(ports) {
        let owned: HashSet<u16> = slots.into_iter().collect();
        let mut c = RawClient::connect(p).expect("connect");
        let Frame::Array(keys) = c.cmd(&["KEYS", "*"]) else {
            panic!("KEYS did not return an array")
        };
        let keys: Vec<String> = keys.iter().map(text).collect();
        for chunk in keys.chunks(1000) {
            // One GET per key, pipelined: MGET across slots is CROSSSLOT in cluster mode.
            for k in chunk {
                c.send(&["GET", k]);
            }
            let vals: Vec<Frame> = chunk.iter().map(|_| c.read()).collect();
            for (k, v) in chunk.iter().zip(vals) {
                let i: usize = k
                    .strip_prefix("key:")
                    .expect("our key")
                    .parse()
                    .expect("index");
                assert!(i < n, "unexpected key {k}");
                assert_eq!(text(&v), key_value(i).1, "value of {k} on port {p}");
                let slot = key_hash_slot(k.as_bytes()).get();
                assert!(
                    owned.contains(&slot),
                    "{k} (slot {slot}) is on {p}, not its owner"
                );
                assert!(seen.insert(k.clone()), "{k} is on two primaries");
            }
        }
    }
    assert_eq!(seen.len(), n, "{} of {n} keys are missing", n - seen.len());
}

impl TestCluster {
    /// Starts `n` empty cluster-mode nodes of `kind`.
    pub fn start(kind: ServerKind, n: usize) -> TestCluster {
        let nodes = (0..n).map(|_| start_node(kind)).collect();
        TestCluster { nodes }
    }

    /// Client ports.
    pub fn ports(&self) -> Vec<u16> {
        self.nodes.iter().map(|p| p.port).collect()
    }

    /// `127.0.0.1:port` of every node.
    pub fn addrs(&self) -> Vec<String> {
        self.ports()
            .iter()
            .map(|p| format!("127.0.0.1:{p}"))
            .collect()
    }

    /// `127.0.0.1:port` of node `i`.
    pub fn addr(&self, i: usize) -> String {
        format!("127.0.0.1:{}", self.nodes[i].port)
    }

    /// Runs `shoal-admin create` over every node with `replicas` per primary.
    pub fn create(&self, replicas: usize) -> String {
        let addrs = self.addrs();
        let replicas = replicas.to_string();
        let mut args = vec!["create"];
        args.extend(addrs.iter().map(String::as_str));
        args.extend(["--replicas", &replicas, "--yes"]);
        admin_ok(&args)
    }
}

/// Starts one empty cluster-mode node of `kind`.
pub fn start_node(kind: ServerKind) -> Proc {
    match kind {
        ServerKind::Redis => Proc::redis(CLUSTER_ARGS),
        ServerKind::Shoal => Proc::node(CLUSTER_ARGS),
    }
}
