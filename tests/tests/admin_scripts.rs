//! `scripts/cluster` run as a new user would, end to end: up, up again (harmless), load
//! 100k keys, reshard 4000 slots, rebalance, fail over a shard, kill and restart a primary,
//! status, stop, down, down again (harmless). After each step both `shoal-admin check` and the
//! real `redis-cli --cluster check` pass and every key is present exactly once.
//!
//! It runs twice: with `SERVER=shoal` (our own nodes, what `scripts/cluster up` starts by
//! default) and with `SERVER=redis` (real redis-server 7.0 nodes, proof that the scripts and
//! the admin tool speak the standard protocol). Keys are written and finally read back through
//! the router (`shoal-router` on the base port), as a client that does not speak cluster
//! would.

use std::path::PathBuf;
use std::process::Command;
use std::time::Duration;

use shoal_tests::admin::{
    Run, assert_both_checks_pass, assert_keys_exactly_once, key_value, myself, redis_cli_check,
    wait_until,
};
use shoal_tests::{Frame, RawClient, bin, free_ports};

const KEYS: usize = 100_000;
const NODES: u16 = 6;

/// A base port: the router's, then the NODES nodes' (each with its bus port +10000 free).
fn free_base() -> u16 {
    free_ports(NODES + 1)
}

/// The cluster started by the script; `scripts/cluster down` on drop, even on panic.
struct Script {
    base: u16,
    root: PathBuf,
    bin_dir: PathBuf,
    /// `SERVER` for scripts/cluster: `shoal` or `redis`.
    server: &'static str,
}

impl Script {
    fn run(&self, args: &[&str]) -> Run {
        let o = shoal_tests::output_within(
            Command::new(self.root.join("scripts/cluster"))
                .args(args)
                .env("PORT", self.base.to_string())
                .env("NODES", NODES.to_string())
                .env("SERVER", self.server)
                .env("SHOAL_BIN_DIR", &self.bin_dir),
            Duration::from_secs(600),
        );
        Run {
            code: o.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&o.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&o.stderr).into_owned(),
        }
    }

    fn ok(&self, args: &[&str]) -> String {
        let r = self.run(args);
        assert_eq!(
            r.code, 0,
            "scripts/cluster {args:?} failed:\n{}\n{}",
            r.stdout, r.stderr
        );
        r.stdout
    }

    fn ports(&self) -> Vec<u16> {
        (1..=NODES).map(|i| self.base + i).collect()
    }

    fn entry(&self) -> String {
        format!("127.0.0.1:{}", self.base + 1)
    }

    /// Waits for both checks to pass and every live node to say `cluster_state:ok` (the
    /// checks read slot tables, not the state a node answers clients with), then audits
    /// the keys on the live nodes.
    fn settle(&self, live: &[u16], what: &str) {
        let entry = format!("127.0.0.1:{}", live[0]);
        wait_until(Duration::from_secs(30), what, || {
            redis_cli_check(&entry).code == 0 && live.iter().all(|&p| state_ok(p))
        });
        assert_both_checks_pass(&entry);
        assert_keys_exactly_once(live, KEYS);
    }
}

impl Drop for Script {
    /// `scripts/cluster down`; when the test is failing, the end of every node's log first
    /// (down removes them).
    #[allow(clippy::print_stderr)] // shown by the test harness for failing tests only
    fn drop(&mut self) {
        if std::thread::panicking() {
            let run = self.root.join("scripts/.run").join(self.base.to_string());
            for i in 1..=NODES {
                let log = std::fs::read_to_string(run.join(format!("node-{i}/node.log")))
                    .unwrap_or_default();
                let lines: Vec<&str> = log.lines().collect();
                let tail = lines[lines.len().saturating_sub(40)..].join("\n");
                eprintln!("--- last lines of node {i}'s log ---\n{tail}");
            }
        }
        let _ = self.run(&["down"]);
    }
}

/// True when the node on `port` answers `cluster_state:ok` to CLUSTER INFO.
fn state_ok(port: u16) -> bool {
    RawClient::connect(port).is_ok_and(|mut c| {
        c.cmd(&["CLUSTER", "INFO"])
            .as_bytes()
            .is_some_and(|b| String::from_utf8_lossy(b).contains("cluster_state:ok"))
    })
}

/// Every key written (`SET`) or read back and compared (`GET`) through the router, pipelined.
fn through_router(port: u16, verb: &str) {
    let mut c = RawClient::connect(port).expect("connect to the router");
    for chunk in (0..KEYS).collect::<Vec<_>>().chunks(1000) {
        for &i in chunk {
            let (k, v) = key_value(i);
            if verb == "SET" {
                c.send(&["SET", &k, &v]);
            } else {
                c.send(&["GET", &k]);
            }
        }
        for &i in chunk {
            let want = if verb == "SET" {
                Frame::ok()
            } else {
                Frame::bulk(key_value(i).1)
            };
            assert_eq!(c.read(), want, "{verb} key:{i} through the router");
        }
    }
}

#[test]
fn scripts_cluster_end_to_end_on_shoal_nodes() {
    end_to_end("shoal");
}

#[test]
fn scripts_cluster_end_to_end_on_real_redis_nodes() {
    end_to_end("redis");
}

fn end_to_end(server: &'static str) {
    let bin_dir = bin("shoal-admin").parent().expect("bin dir").to_path_buf();
    let s = Script {
        base: free_base(),
        root: PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(".."),
        bin_dir,
        server,
    };
    let out = s.ok(&["up"]);
    assert!(out.contains("Cluster ready"), "{out}");
    assert!(out.contains(&format!("router on port {}", s.base)), "{out}");
    let again = s.ok(&["up"]);
    assert!(again.contains("already running"), "{again}");
    let ports = s.ports();
    through_router(s.base, "SET");
    s.settle(&ports, "cluster after up");

    let to = s.entry();
    let out = s.ok(&["reshard", "--from", "all", "--to", &to, "--slots", "4000"]);
    assert!(out.contains("[OK] Moved 4000 slots"), "{out}");
    s.settle(&ports, "cluster after reshard");
    assert_eq!(myself(s.base + 1).2.len(), 5461 + 4000);

    s.ok(&["rebalance"]);
    s.settle(&ports, "cluster after rebalance");

    let out = s.ok(&["failover", "1"]);
    assert!(out.contains("is now a primary"), "{out}");
    assert!(
        !myself(s.base + 1).1,
        "node 1 is a replica after its shard failed over"
    );
    s.settle(&ports, "cluster after failover");

    // Kill a primary: its replica takes over.
    let victim = (2..=NODES)
        .find(|&i| myself(s.base + i).1)
        .expect("a primary");
    s.ok(&["kill", &victim.to_string()]);
    let live: Vec<u16> = ports
        .iter()
        .copied()
        .filter(|&p| p != s.base + victim)
        .collect();
    wait_until(Duration::from_secs(30), "a replica to take over", || {
        let r = redis_cli_check(&format!("127.0.0.1:{}", live[0]));
        r.code == 0 && r.stdout.contains("[OK] All 16384 slots covered.")
    });
    s.settle(&live, "cluster after killing a primary");

    s.ok(&["restart", &victim.to_string()]);
    wait_until(
        Duration::from_secs(30),
        "the old primary to rejoin as a replica",
        || !myself(s.base + victim).1,
    );
    s.settle(&ports, "cluster after restart");
    let status = s.ok(&["status"]);
    assert!(status.contains("cluster_state:ok"), "{status}");
    assert_eq!(status.matches("primary").count(), 3, "{status}");

    through_router(s.base, "GET");

    let stop = s.ok(&["stop"]);
    assert!(stop.contains("stopped 7 process(es)"), "{stop}");
    let down = s.ok(&["down"]);
    assert!(down.contains("nothing running"), "{down}");
    let down = s.ok(&["down"]);
    assert!(
        down.contains("nothing running") && down.contains("nothing to clean"),
        "{down}"
    );
    let r = s.run(&["status"]);
    assert_ne!(r.code, 0, "status with nothing running fails and says so");
    assert!(r.stderr.contains("scripts/cluster up"), "{}", r.stderr);
}
