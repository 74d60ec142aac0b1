//! `status host:port`: a one-screen view of the cluster: per node its role, slots, keys and
//! operations per second (`INFO stats` `instantaneous_ops_per_sec`), and `cluster_state`.
//! With `--watch SECS` it repeats until interrupted. No redis-cli counterpart; it is what
//! `scripts/cluster status` shows.

use std::io::Write;
use std::time::Duration;

use anyhow::Result;

use super::client::info_field;
use super::cluster::Cluster;

/// Arguments of `status`.
#[derive(clap::Args, Debug)]
pub struct Args {
    /// Any node of the cluster, `host:port`.
    pub addr: String,
    /// Refresh every SECS seconds until interrupted.
    #[arg(long)]
    pub watch: Option<u64>,
}

/// Runs `status`.
pub fn run(a: &Args, out: &mut impl Write) -> Result<bool> {
    loop {
        let mut c = Cluster::load(&a.addr)?;
        print(&mut c, out)?;
        let Some(secs) = a.watch else {
            return Ok(true);
        };
        std::thread::sleep(Duration::from_secs(secs.max(1)));
        writeln!(out)?;
    }
}

fn print(c: &mut Cluster, out: &mut impl Write) -> Result<()> {
    let state = c.nodes[0].conn.text(&["CLUSTER", "INFO"])?;
    let state = info_field(&state, "cluster_state")
        .unwrap_or("?")
        .to_string();
    writeln!(
        out,
        "cluster_state:{state}  ({} nodes reachable)",
        c.nodes.len()
    )?;
    writeln!(
        out,
        "{:<21} {:<10} {:<8} {:>6} {:>10} {:>8}  replicates",
        "address", "id", "role", "slots", "keys", "ops/s"
    )?;
    let mut order: Vec<usize> = (0..c.nodes.len()).collect();
    order.sort_by_key(|&i| c.nodes[i].port());
    for i in order {
        let n = &mut c.nodes[i];
        let keys = n.conn.int(&["DBSIZE"])?;
        let stats = n.conn.text(&["INFO", "stats"])?;
        let ops = info_field(&stats, "instantaneous_ops_per_sec")
            .unwrap_or("-")
            .to_string();
        let role = if n.me.is_master() {
            "primary"
        } else {
            "replica"
        };
        let master =
            n.me.master_id
                .as_deref()
                .map_or("-", |m| &m[..m.len().min(8)]);
        writeln!(
            out,
            "{:<21} {:<10} {:<8} {:>6} {:>10} {:>8}  {master}",
            n.addr(),
            n.short_id(),
            role,
            n.me.slot_count(),
            keys,
            ops
        )?;
    }
    for m in &c.unreachable_masters {
        writeln!(out, "{m:<21} unreachable or failed primary")?;
    }
    Ok(())
}
