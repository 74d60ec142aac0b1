//! A six-node cluster for tests (3 primaries, 3 replicas), formed exactly as a user forms
//! one: processes started with `--cluster-enabled yes`, then `redis-cli --cluster create
//! ... --cluster-replicas 1 --cluster-yes`. Parametrised by [`ServerKind`], so the same
//! tests run against real Redis 7.0 and, once it speaks cluster, against `shoal-node`.
//! Also starts `shoal-router` processes in front of a cluster.
//!
//! Every process is a [`Proc`]: killed on drop, so a failing test leaks nothing.

use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use shoal_common::topology::SlotMap;

use crate::{Frame, Proc, RawClient, bin, output_within, require_tool};

/// Which server binary forms the cluster.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ServerKind {
    /// Real `redis-server` (7.0).
    Redis,
    /// Our `shoal-node`.
    Shoal,
}

impl ServerKind {
    /// From `SHOAL_CLUSTER_SERVER` (`redis` or `shoal`); our own `shoal-node` by default,
    /// real Redis 7.0 with `SHOAL_CLUSTER_SERVER=redis` (to compare the two).
    pub fn from_env() -> ServerKind {
        match std::env::var("SHOAL_CLUSTER_SERVER").as_deref() {
            Ok("redis") => ServerKind::Redis,
            _ => ServerKind::Shoal,
        }
    }
}

/// Cluster node timeout used by tests: failover within a few seconds.
pub const NODE_TIMEOUT_MS: u64 = 2000;

/// One shard as a node sees it: sorted slot ranges and the primary's address.
type View = (Vec<(u16, u16)>, String);

/// A running cluster.
pub struct RedisCluster {
    /// The server kind.
    pub kind: ServerKind,
    /// The processes, in creation order (`redis-cli --cluster create` makes the first three
    /// primaries).
    pub nodes: Vec<Proc>,
}

fn start_node(kind: ServerKind) -> Proc {
    let timeout = NODE_TIMEOUT_MS.to_string();
    let args = [
        "--cluster-enabled",
        "yes",
        "--cluster-config-file",
        "nodes.conf",
        "--cluster-node-timeout",
        &timeout,
    ];
    match kind {
        ServerKind::Redis => Proc::redis(&args),
        ServerKind::Shoal => Proc::node(&args),
    }
}

impl RedisCluster {
    /// Starts six nodes and forms the cluster; returns when every node reports
    /// `cluster_state:ok` and every replica has synced.
    pub fn start(kind: ServerKind) -> RedisCluster {
        let nodes: Vec<Proc> = (0..6).map(|_| start_node(kind)).collect();
        let cli = require_tool("redis-cli", "redis-tools");
        let mut cmd = Command::new(cli);
        cmd.arg("--cluster").arg("create");
        for n in &nodes {
            cmd.arg(format!("127.0.0.1:{}", n.port));
        }
        cmd.args(["--cluster-replicas", "1", "--cluster-yes"]);
        let out = output_within(&mut cmd, Duration::from_secs(120));
        assert!(
            out.status.success(),
            "cluster create failed: {}",
            String::from_utf8_lossy(&out.stdout)
        );
        let c = RedisCluster { kind, nodes };
        c.wait_stable(Duration::from_secs(30));
        c
    }

    /// `host:port,host:port,...` of every node (the router's `--nodes`).
    pub fn seeds(&self) -> String {
        self.nodes
            .iter()
            .map(|n| format!("127.0.0.1:{}", n.port))
            .collect::<Vec<_>>()
            .join(",")
    }

    /// The slot map as node `i` sees it.
    pub fn slot_map(&self, i: usize) -> Option<SlotMap> {
        let mut c = RawClient::connect(self.nodes[i].port).ok()?;
        SlotMap::from_shards(&c.cmd(&["CLUSTER", "SHARDS"])).ok()
    }

    /// Index in [`RedisCluster::nodes`] of the node listening on `port`.
    pub fn index_of(&self, addr: &str) -> Option<usize> {
        let port: u16 = addr.rsplit(':').next()?.parse().ok()?;
        self.nodes.iter().position(|n| n.port == port)
    }

    /// Index of the primary serving `slot`, as the first live node sees it.
    pub fn primary_of(&self, slot: u16) -> usize {
        let i = self.live().next().expect("a live node");
        let map = self.slot_map(i).expect("slot map");
        let addr = &map.shard_of(slot).expect("slot assigned").primary.addr;
        self.index_of(addr).expect("known node")
    }

    fn live(&self) -> impl Iterator<Item = usize> + '_ {
        (0..self.nodes.len()).filter(|&i| RawClient::connect(self.nodes[i].port).is_ok())
    }

    /// Waits until every live node says `cluster_state:ok`, agrees on a complete slot map
    /// with no failed primary, lists every live node (as a primary or a replica: a replica
    /// that its primary does not know yet is not settled) and sees every listed replica
    /// healthy.
    pub fn wait_stable(&self, timeout: Duration) {
        let deadline = Instant::now() + timeout;
        while Instant::now() < deadline {
            if self.is_stable() {
                return;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        panic!("cluster did not become stable within {timeout:?}");
    }

    fn is_stable(&self) -> bool {
        let mut first: Option<Vec<View>> = None;
        let live: Vec<usize> = self.live().collect();
        for &i in &live {
            let Ok(mut c) = RawClient::connect(self.nodes[i].port) else {
                return false;
            };
            let info = c.cmd(&["CLUSTER", "INFO"]);
            let ok = info
                .as_bytes()
                .is_some_and(|b| String::from_utf8_lossy(b).contains("cluster_state:ok"));
            let Some(map) = self.slot_map(i) else {
                return false;
            };
            let healthy = map
                .shards
                .iter()
                .all(|s| s.primary.healthy && s.replicas.iter().all(|r| r.healthy));
            let known: Vec<Option<usize>> = map
                .shards
                .iter()
                .flat_map(|s| std::iter::once(&s.primary).chain(&s.replicas))
                .map(|n| self.index_of(&n.addr))
                .collect();
            let knows_all = live.iter().all(|&j| known.contains(&Some(j)));
            if !ok || !healthy || !knows_all || !map.is_complete() {
                return false;
            }
            let mut view: Vec<_> = map
                .shards
                .iter()
                .filter(|s| !s.slots.is_empty())
                .map(|s| {
                    let mut slots = s.slots.clone();
                    slots.sort_unstable();
                    (slots, s.primary.addr.clone())
                })
                .collect();
            view.sort();
            match &first {
                None => first = Some(view),
                Some(f) if *f != view => return false,
                Some(_) => {}
            }
        }
        first.is_some()
    }

    /// Waits until, on every live primary, every replica has acknowledged the whole
    /// replication stream (INFO replication: each `slaveN` `offset=` equals
    /// `master_repl_offset`), so a failover that follows loses no acknowledged write.
    /// Panics after `timeout`.
    pub fn wait_replicas_caught_up(&self, timeout: Duration) {
        let caught_up = |port: u16| {
            let Ok(mut c) = RawClient::connect(port) else {
                return true;
            };
            let info = c.cmd(&["INFO", "replication"]);
            let text = info
                .as_bytes()
                .map(|b| String::from_utf8_lossy(b).into_owned())
                .unwrap_or_default();
            let field = |name: &str| {
                text.lines()
                    .find_map(|l| l.strip_prefix(&format!("{name}:")).map(str::to_string))
            };
            if field("role").as_deref() != Some("master") {
                return true;
            }
            let Some(offset) = field("master_repl_offset") else {
                return false;
            };
            let want = format!("offset={offset},");
            text.lines()
                .filter(|l| l.starts_with("slave") && l.contains("ip="))
                .all(|l| l.contains(&want))
        };
        let ok = crate::wait_until(timeout, || self.nodes.iter().all(|n| caught_up(n.port)));
        assert!(ok, "replicas did not catch up within {timeout:?}");
    }

    /// `redis-cli --cluster <args...>` against node 0; panics on failure.
    pub fn cli_cluster(&self, args: &[&str]) -> String {
        let cli = require_tool("redis-cli", "redis-tools");
        let out = output_within(
            Command::new(cli).arg("--cluster").args(args),
            Duration::from_secs(300),
        );
        let text = String::from_utf8_lossy(&out.stdout).into_owned();
        assert!(
            out.status.success(),
            "redis-cli --cluster {args:?} failed: {text}"
        );
        text
    }
}

/// Starts `shoal-router` in front of `seeds`, with extra arguments; returns when it answers
/// PING. The router binds port 0 and the port is read from its log, so two tests starting
/// routers at once can never race for one port.
pub fn start_router(seeds: &str, extra: &[&str]) -> Proc {
    let exe: PathBuf = bin("shoal-router");
    let dir = tempfile::tempdir().expect("temp dir");
    let log_path = dir.path().join("server.log");
    let log = std::fs::File::create(&log_path).expect("log file");
    let mut args: Vec<String> = ["--port", "0", "--bind", "127.0.0.1", "--nodes", seeds]
        .iter()
        .map(|s| (*s).to_string())
        .collect();
    args.extend(extra.iter().map(|s| (*s).to_string()));
    let mut child = Command::new(&exe)
        .args(&args)
        .env("RUST_LOG", "warn,shoal_router::server=info")
        .stdout(Stdio::null())
        .stderr(log)
        .spawn()
        .unwrap_or_else(|e| panic!("start {}: {e}", exe.display()));
    crate::watchdog::register(child.id(), &exe);
    let deadline = Instant::now() + Duration::from_secs(20);
    let port = loop {
        let text = std::fs::read_to_string(&log_path).unwrap_or_default();
        if let Some(port) = text
            .split("port=")
            .nth(1)
            .and_then(|rest| rest.split(|c: char| !c.is_ascii_digit()).next())
            .and_then(|p| p.parse::<u16>().ok())
        {
            break port;
        }
        if Instant::now() > deadline || matches!(child.try_wait(), Ok(Some(_))) {
            let _ = child.kill();
            panic!("shoal-router did not start; log:\n{text}");
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    let mut p = Proc {
        port,
        dir,
        child,
        exe,
        args,
    };
    p.wait_ready();
    p
}

/// At least `n` keys (`key:0`, `key:1`, ...) covering every serving primary.
pub fn keys_on_every_primary(cluster: &RedisCluster, n: usize) -> Vec<String> {
    let map = cluster.slot_map(0).expect("slot map");
    let primaries = map.serving_primaries().count();
    let mut seen = std::collections::HashSet::new();
    let mut out = Vec::new();
    while out.len() < n || seen.len() < primaries {
        let k = format!("key:{}", out.len());
        let slot = shoal_common::key_hash_slot(k.as_bytes()).get();
        seen.insert(map.shard_of(slot).expect("assigned").primary.addr.clone());
        out.push(k);
    }
    out
}

/// True when a frame is `+OK`.
pub fn is_ok(f: &Frame) -> bool {
    *f == Frame::ok()
}
