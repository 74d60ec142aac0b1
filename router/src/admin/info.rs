//! `info host:port`: keys, slots and replicas per primary.
//!
//! Mirrors `clusterManagerCommandInfo` (`DBSIZE` on each primary).

use std::io::Write;

use anyhow::Result;
use shoal_common::SLOT_COUNT;

use super::cluster::Cluster;

/// Arguments of `info`.
#[derive(clap::Args, Debug)]
pub struct Args {
    /// Any node of the cluster, `host:port`.
    pub addr: String,
}

/// Runs `info`.
pub fn run(a: &Args, out: &mut impl Write) -> Result<bool> {
    let mut cluster = Cluster::load(&a.addr)?;
    summary(&mut cluster, out)?;
    Ok(true)
}

/// Prints one line per primary and the totals; returns the total number of keys.
pub fn summary(cluster: &mut Cluster, out: &mut impl Write) -> Result<i64> {
    let mut total = 0;
    let masters = cluster.masters();
    for &i in &masters {
        let replicas = cluster.replica_count(&cluster.nodes[i].me.id);
        let n = &mut cluster.nodes[i];
        let keys = n.conn.int(&["DBSIZE"])?;
        total += keys;
        writeln!(
            out,
            "{} ({}...) -> {keys} keys | {} slots | {replicas} slaves.",
            n.addr(),
            n.short_id(),
            n.me.slot_count()
        )?;
    }
    writeln!(out, "[OK] {total} keys in {} masters.", masters.len())?;
    writeln!(
        out,
        "{:.2} keys per slot on average.",
        total as f64 / SLOT_COUNT as f64
    )?;
    Ok(total)
}
