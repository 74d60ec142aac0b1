//! `add-node new:port existing:port [--replica-of <id> | --replica]`: join an empty node to a
//! cluster, as an empty primary or as a replica.
//!
//! Mirrors `clusterManagerCommandAddNode`: the cluster must check clean, the new node must be
//! empty; the new node MEETs the existing one; a replica waits until everyone knows it, then
//! `CLUSTER REPLICATE`s its primary (the given one, or the primary with the fewest replicas).
//! A new primary owns no slots: move some to it with `reshard` or `rebalance
//! --use-empty-masters`.

use std::io::Write;
use std::time::{Duration, Instant};

use anyhow::{Result, bail};

use super::cluster::{Cluster, Node};
use super::create::{ensure_empty, replicate, wait_join};
use super::resolve_ip;

/// Arguments of `add-node`.
#[derive(clap::Args, Debug)]
pub struct Args {
    /// The new node, `host:port`.
    pub new: String,
    /// Any node of the cluster, `host:port`.
    pub existing: String,
    /// Make the new node a replica of this primary (id or unique prefix).
    #[arg(long)]
    pub replica_of: Option<String>,
    /// Make the new node a replica of the primary with the fewest replicas.
    #[arg(long, conflicts_with = "replica_of")]
    pub replica: bool,
    /// Seconds to wait for the node to join.
    #[arg(long, default_value_t = 60)]
    pub timeout: u64,
}

/// Runs `add-node`.
pub fn run(a: &Args, out: &mut impl Write) -> Result<bool> {
    let c = Cluster::load(&a.existing)?;
    let mut sink = Vec::new();
    if !c.check(&mut sink, true)?.is_clean() {
        out.write_all(&sink)?;
        bail!("please fix the cluster's problems before adding a node: see `shoal-admin fix`");
    }
    let master = match (&a.replica_of, a.replica) {
        (Some(id), _) => Some(c.find(id)?),
        (None, true) => c
            .masters()
            .into_iter()
            .min_by_key(|&i| c.replica_count(&c.nodes[i].me.id)),
        (None, false) => None,
    };
    let master_id = master.map(|i| c.nodes[i].me.id.clone());
    let mut new = Node::open(&a.new)?;
    ensure_empty(&mut new)?;
    writeln!(out, ">>> Adding node {} to cluster {}", a.new, a.existing)?;
    let entry = &c.nodes[0];
    let ip = resolve_ip(entry.host())?;
    new.conn.ok(&[
        "CLUSTER",
        "MEET",
        &ip,
        &entry.port().to_string(),
        &entry.me.cport.to_string(),
    ])?;
    let mut nodes: Vec<Node> = c.nodes.into_iter().collect();
    nodes.push(new);
    let deadline = Instant::now() + Duration::from_secs(a.timeout);
    write!(out, "Waiting for the cluster to join")?;
    wait_join(&mut nodes, deadline, out)?;
    writeln!(out)?;
    if let Some(id) = master_id {
        writeln!(out, ">>> Configuring node as replica of {id}")?;
        let last = nodes.len() - 1;
        replicate(&mut nodes[last], &id, deadline)?;
    }
    let mut c = Cluster::load(&a.existing)?;
    write!(out, "Waiting for cluster_state:ok")?;
    c.wait_consistent(out, deadline.saturating_duration_since(Instant::now()))?;
    writeln!(out)?;
    writeln!(out, "[OK] New node added correctly.")?;
    Ok(true)
}
