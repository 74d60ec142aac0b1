//! Cluster-aware client libraries used unmodified against a six-node cluster formed with
//! `redis-cli --cluster create` (issue 5): redis-py's `RedisCluster` (tests/python) and
//! ioredis's `Cluster` (tests/node). Each runs a set/get, MSET/MGET-by-tag, cross-slot and
//! pipeline scenario and prints `ok`. `scripts/test` installs both libraries (pip, and
//! `npm ci` into tests/node); a missing python3, node or library fails the test loudly.
//! `SHOAL_CLUSTER_SERVER=redis` runs the same scenarios against real Redis.

use std::path::{Path, PathBuf};
use std::process::Command;

use shoal_tests::cluster::{RedisCluster, ServerKind};
use shoal_tests::require_tool;

fn here() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn run(program: PathBuf, script: &Path, port: u16, hint: &str) {
    let out = shoal_tests::output_within(
        Command::new(&program).arg(script).arg(port.to_string()),
        std::time::Duration::from_secs(300),
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success() && stdout.trim_end().ends_with("ok"),
        "{} failed ({hint}):\n{stdout}\n{}",
        script.display(),
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn redis_py_cluster_client() {
    let python = require_tool("python3", "python3");
    let has_redis = Command::new(&python)
        .args(["-c", "import redis.cluster"])
        .status()
        .is_ok_and(|s| s.success());
    assert!(
        has_redis,
        "redis-py is missing: scripts/test installs it (python3 -m pip install redis)"
    );
    let cluster = RedisCluster::start(ServerKind::from_env());
    let script = here().join("python/cluster_client.py");
    run(
        python,
        &script,
        cluster.nodes[1].port,
        "redis-py RedisCluster",
    );
}

#[test]
fn ioredis_cluster_client() {
    let node = require_tool("node", "nodejs");
    require_tool("npm", "npm");
    let module = here().join("node/node_modules/ioredis");
    assert!(
        module.is_dir(),
        "ioredis is missing: scripts/test installs it (npm ci --prefix tests/node)"
    );
    let cluster = RedisCluster::start(ServerKind::from_env());
    let script = here().join("node/cluster_client.js");
    run(node, &script, cluster.nodes[2].port, "ioredis Cluster");
}
