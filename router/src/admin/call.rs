//! `call host:port CMD [ARG...]`: run one command on every node and print each reply.
//!
//! Mirrors `clusterManagerCommandCall`, including `--only-masters` / `--only-replicas`.

use std::io::Write;

use anyhow::Result;

use super::client::render;
use super::cluster::Cluster;

/// Arguments of `call`.
#[derive(clap::Args, Debug)]
pub struct Args {
    /// Any node of the cluster, `host:port`.
    pub addr: String,
    /// Only primaries.
    #[arg(long, conflicts_with = "only_replicas")]
    pub only_masters: bool,
    /// Only replicas.
    #[arg(long)]
    pub only_replicas: bool,
    /// The command and its arguments.
    #[arg(required = true, trailing_var_arg = true, allow_hyphen_values = true)]
    pub command: Vec<String>,
}

/// Runs `call`; false if some node replied with an error.
pub fn run(a: &Args, out: &mut impl Write) -> Result<bool> {
    let mut cluster = Cluster::load(&a.addr)?;
    writeln!(out, ">>> Calling {}", a.command.join(" "))?;
    let mut all_ok = true;
    for n in &mut cluster.nodes {
        let master = n.me.is_master();
        if (a.only_masters && !master) || (a.only_replicas && master) {
            continue;
        }
        let reply = n.conn.call(&a.command)?;
        all_ok &= !reply.is_error();
        writeln!(out, "{}: {}", n.conn.addr, render(&reply))?;
    }
    Ok(all_ok)
}
