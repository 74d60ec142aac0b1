//! `check host:port`: every slot covered, every node agrees about the slots, no open slots.
//!
//! Mirrors `clusterManagerCommandCheck`: the `info` summary, then the check. Exits non-zero
//! on any problem, as redis-cli does.

use std::io::Write;

use anyhow::Result;

use super::cluster::Cluster;

/// Arguments of `check`.
#[derive(clap::Args, Debug)]
pub struct Args {
    /// Any node of the cluster, `host:port`.
    pub addr: String,
}

/// Runs `check`; false if a problem was found.
pub fn run(a: &Args, out: &mut impl Write) -> Result<bool> {
    let mut cluster = Cluster::load(&a.addr)?;
    super::info::summary(&mut cluster, out)?;
    let p = cluster.check(out, false)?;
    Ok(p.is_clean())
}
