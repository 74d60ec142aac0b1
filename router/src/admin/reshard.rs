//! `reshard host:port --from <ids|all> --to <id> --slots N`: move N slots (and their keys)
//! to one primary.
//!
//! Mirrors `clusterManagerCommandReshard`: take `N × src_slots / total` slots from each
//! source, lowest slot numbers first (the largest source rounded up, the others down), and
//! move each with the sequence in [`super::migrate`], which batches slots, pipelines MIGRATE
//! and drives the sources in parallel.
//!
//! Resumable: slots left open by an interrupted move are finished first (as `fix` does), so
//! re-running the same command completes the job.

use std::io::Write;

use anyhow::{Result, bail};

use super::cluster::Cluster;
use super::confirm;
use super::migrate::{Endpoint, Job, MoveOpts, run_jobs};

/// Arguments of `reshard`.
#[derive(clap::Args, Debug)]
pub struct Args {
    /// Any node of the cluster, `host:port`.
    pub addr: String,
    /// Source node ids (or unique prefixes), comma separated, or `all`.
    #[arg(long)]
    pub from: String,
    /// Target node id (or unique prefix).
    #[arg(long)]
    pub to: String,
    /// Number of slots to move.
    #[arg(long)]
    pub slots: usize,
    /// Do not ask for confirmation.
    #[arg(long)]
    pub yes: bool,
    /// Keys per MIGRATE.
    #[arg(long, default_value_t = 100)]
    pub pipeline: usize,
    /// MIGRATE timeout in milliseconds.
    #[arg(long, default_value_t = 60_000)]
    pub timeout: u64,
    /// Overwrite keys that already exist on the target.
    #[arg(long)]
    pub replace: bool,
}

impl Args {
    fn opts(&self) -> MoveOpts {
        MoveOpts {
            pipeline: self.pipeline,
            timeout_ms: self.timeout,
            replace: self.replace,
        }
    }
}

/// The endpoint of node `i`.
pub fn endpoint(c: &Cluster, i: usize) -> Endpoint {
    Endpoint {
        addr: c.nodes[i].addr().to_string(),
        id: c.nodes[i].me.id.clone(),
    }
}

/// Addresses of every primary (each learns every new owner).
pub fn master_addrs(c: &Cluster) -> Vec<String> {
    c.masters()
        .iter()
        .map(|&i| c.nodes[i].addr().to_string())
        .collect()
}

/// Takes `n` slots from `sources` proportionally to what each owns, lowest slots first.
pub fn plan(c: &Cluster, sources: &[usize], dst: usize, n: usize) -> Result<Vec<Job>> {
    let mut srcs: Vec<usize> = sources.to_vec();
    srcs.sort_by_key(|&i| std::cmp::Reverse(c.nodes[i].me.slot_count()));
    let total: usize = srcs.iter().map(|&i| c.nodes[i].me.slot_count()).sum();
    if n > total {
        bail!("the sources own {total} slots in all; ask for at most that many");
    }
    let mut jobs = Vec::new();
    let mut left = n;
    for (k, &i) in srcs.iter().enumerate() {
        let owned = c.nodes[i].me.slot_count();
        let share = n as f64 * owned as f64 / total as f64;
        let take = if k == 0 { share.ceil() } else { share.floor() } as usize;
        let take = take.min(left).min(owned);
        left -= take;
        if take > 0 {
            jobs.push(Job {
                src: endpoint(c, i),
                dst: endpoint(c, dst),
                slots: c.nodes[i].me.slots().take(take).collect(),
            });
        }
    }
    Ok(jobs)
}

/// Runs `reshard`.
pub fn run(a: &Args, out: &mut impl Write) -> Result<bool> {
    let mut c = Cluster::load(&a.addr)?;
    if !c.open_slots().is_empty() {
        writeln!(
            out,
            ">>> Resuming: finishing slots left open by an interrupted move"
        )?;
        super::fix::fix_open_slots(&mut c, a.opts(), out)?;
        c = Cluster::load(&a.addr)?;
    }
    let p = c.check(out, false)?;
    if !p.is_clean() {
        bail!("please fix the cluster's problems before resharding: see `shoal-admin fix`");
    }
    let dst = c.find(&a.to)?;
    if !c.nodes[dst].me.is_master() {
        bail!(
            "the target {} is a replica: pick a primary",
            c.nodes[dst].addr()
        );
    }
    let sources: Vec<usize> = if a.from == "all" {
        c.masters()
            .into_iter()
            .filter(|&i| i != dst && c.nodes[i].me.slot_count() > 0)
            .collect()
    } else {
        a.from
            .split(',')
            .map(|id| c.find(id.trim()))
            .collect::<Result<_>>()?
    };
    if sources.contains(&dst) {
        bail!("the target cannot also be a source");
    }
    let jobs = plan(&c, &sources, dst, a.slots)?;
    writeln!(out, "Ready to move {} slots.", a.slots)?;
    for j in &jobs {
        writeln!(
            out,
            "  {} slots from {} ({})",
            j.slots.len(),
            j.src.addr,
            j.src.id
        )?;
    }
    writeln!(out, "  to {} ({})", c.nodes[dst].addr(), c.nodes[dst].me.id)?;
    if !confirm(
        out,
        "Do you want to proceed with the proposed reshard plan?",
        a.yes,
    )? {
        bail!("aborted: nothing was moved");
    }
    let (slots, keys, t) = run_jobs(&jobs, &master_addrs(&c), a.opts(), out)?;
    writeln!(
        out,
        "[OK] Moved {slots} slots and {keys} keys in {:.2}s ({:.0} keys/s).",
        t.as_secs_f64(),
        keys as f64 / t.as_secs_f64().max(0.001)
    )?;
    Ok(true)
}
