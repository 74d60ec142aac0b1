//! `del-node host:port <id>`: remove an empty node from the cluster.
//!
//! Mirrors `clusterManagerCommandDeleteNode`: refuse a node that owns slots; re-point its
//! replicas to the primary with the fewest replicas; `CLUSTER FORGET` it on every other node
//! (which also keeps gossip from re-adding it for a minute); `CLUSTER RESET SOFT` on the node
//! itself so it forgets the cluster.

use std::io::Write;

use anyhow::{Result, bail};

use super::cluster::Cluster;

/// Arguments of `del-node`.
#[derive(clap::Args, Debug)]
pub struct Args {
    /// Any node of the cluster, `host:port`.
    pub addr: String,
    /// The id (or unique prefix) of the node to remove.
    pub id: String,
}

/// Runs `del-node`.
pub fn run(a: &Args, out: &mut impl Write) -> Result<bool> {
    let mut c = Cluster::load(&a.addr)?;
    let victim = c.find(&a.id)?;
    let vid = c.nodes[victim].me.id.clone();
    let owned = c.nodes[victim].me.slot_count();
    if owned > 0 {
        bail!(
            "node {} owns {owned} slots: move them away first, e.g. `shoal-admin reshard {} \
             --from {vid} --to <other-id> --slots {owned}`, then retry",
            c.nodes[victim].addr(),
            a.addr
        );
    }
    writeln!(out, ">>> Removing node {vid} from cluster {}", a.addr)?;
    let new_master = c
        .masters()
        .into_iter()
        .filter(|&i| i != victim)
        .min_by_key(|&i| c.replica_count(&c.nodes[i].me.id))
        .map(|i| c.nodes[i].me.id.clone());
    writeln!(out, ">>> Sending CLUSTER FORGET messages to the cluster...")?;
    for (i, n) in c.nodes.iter_mut().enumerate() {
        if i == victim {
            continue;
        }
        if n.me.master_id.as_deref() == Some(vid.as_str())
            && let Some(m) = &new_master
        {
            writeln!(out, ">>> {} as replica of {m}", n.addr())?;
            n.conn.ok(&["CLUSTER", "REPLICATE", m])?;
        }
        n.conn.ok(&["CLUSTER", "FORGET", &vid])?;
    }
    writeln!(out, ">>> Sending CLUSTER RESET SOFT to the deleted node.")?;
    c.nodes[victim].conn.ok(&["CLUSTER", "RESET", "SOFT"])?;
    Ok(true)
}
