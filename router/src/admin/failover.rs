//! `failover host:port [--force|--takeover]`: promote a replica to primary of its shard.
//!
//! Sends `CLUSTER FAILOVER` to the replica (the manual failover of the cluster spec: the
//! primary pauses writes until the replica has caught up, then the replica wins an election
//! with the primaries' votes) and waits until the replica reports itself as primary.

use std::io::Write;
use std::time::{Duration, Instant};

use anyhow::{Result, bail};

use super::cluster::{Cluster, Node};

/// Arguments of `failover`.
#[derive(clap::Args, Debug)]
pub struct Args {
    /// The replica to promote, `host:port`; or a primary, whose first replica is promoted.
    pub addr: String,
    /// Do not wait for the primary (it is down): `CLUSTER FAILOVER FORCE`.
    #[arg(long, conflicts_with = "takeover")]
    pub force: bool,
    /// No election at all: `CLUSTER FAILOVER TAKEOVER`.
    #[arg(long)]
    pub takeover: bool,
    /// Seconds to wait for the promotion.
    #[arg(long, default_value_t = 30)]
    pub timeout: u64,
}

/// Runs `failover`.
pub fn run(a: &Args, out: &mut impl Write) -> Result<bool> {
    let mut n = Node::open(&a.addr)?;
    if n.me.master_id.is_none() {
        let c = Cluster::load(&a.addr)?;
        let id = n.me.id.clone();
        let Some(r) = c
            .nodes
            .iter()
            .find(|x| x.me.master_id.as_deref() == Some(id.as_str()))
        else {
            bail!(
                "{} is a primary without replicas: there is nothing to fail over to",
                a.addr
            );
        };
        writeln!(
            out,
            ">>> {} is a primary; promoting its replica {}",
            a.addr,
            r.addr()
        )?;
        n = Node::open(r.addr())?;
    }
    let addr = n.addr().to_string();
    let Some(old) = n.me.master_id.clone() else {
        bail!("{addr} is no longer a replica: run `shoal-admin check` and retry");
    };
    let mut c = vec!["CLUSTER", "FAILOVER"];
    if a.force {
        c.push("FORCE");
    } else if a.takeover {
        c.push("TAKEOVER");
    }
    n.conn.ok(&c)?;
    writeln!(out, ">>> {addr} is taking over from {old}")?;
    let deadline = Instant::now() + Duration::from_secs(a.timeout);
    while Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(100));
        n.refresh()?;
        if n.me.is_master() {
            writeln!(
                out,
                "[OK] {addr} ({}) is now a primary with {} slots.",
                n.short_id(),
                n.me.slot_count()
            )?;
            return Ok(true);
        }
    }
    bail!(
        "{addr} is still a replica after {}s: if its primary is down use --force, and check \
         the node's log",
        a.timeout
    )
}
