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
    let owned: Vec<(Endpoint, Vec<u16>)> = sources
        .iter()
        .map(|&i| (endpoint(c, i), c.nodes[i].me.slots().collect()))
        .collect();
    split(owned, &endpoint(c, dst), n)
}

/// redis-cli's reshard plan: each source gives `n × owned / total` of its lowest slots, the
/// largest source rounded up and the others down. Unlike redis-cli, the rounding shortfall
/// (e.g. 3999 of 4000 across five sources) is made up one slot per source, so exactly `n`
/// slots move.
pub fn split(mut sources: Vec<(Endpoint, Vec<u16>)>, dst: &Endpoint, n: usize) -> Result<Vec<Job>> {
    sources.sort_by_key(|(_, slots)| std::cmp::Reverse(slots.len()));
    let total: usize = sources.iter().map(|(_, s)| s.len()).sum();
    if n > total {
        bail!("the sources own {total} slots in all; ask for at most that many");
    }
    let mut takes: Vec<usize> = sources
        .iter()
        .enumerate()
        .map(|(k, (_, slots))| {
            let share = n as f64 * slots.len() as f64 / total as f64;
            let take = if k == 0 { share.ceil() } else { share.floor() } as usize;
            take.min(slots.len())
        })
        .collect();
    // The first source's ceil can overshoot by one when the others floor exactly.
    let mut sum: usize = takes.iter().sum();
    for t in takes.iter_mut() {
        while sum > n && *t > 0 {
            *t -= 1;
            sum -= 1;
        }
    }
    while sum < n {
        for (t, (_, slots)) in takes.iter_mut().zip(&sources) {
            if sum < n && *t < slots.len() {
                *t += 1;
                sum += 1;
            }
        }
    }
    let mut jobs = Vec::new();
    for (take, (src, mut slots)) in takes.into_iter().zip(sources) {
        if take > 0 {
            slots.sort_unstable();
            slots.truncate(take);
            jobs.push(Job {
                src,
                dst: dst.clone(),
                slots,
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

#[cfg(test)]
mod tests {
    use super::*;

    fn ep(id: &str) -> Endpoint {
        Endpoint {
            addr: format!("h:{id}"),
            id: id.to_string(),
        }
    }

    #[test]
    fn split_is_proportional_lowest_slots_first() {
        let a = (ep("a"), (0..5461).collect::<Vec<u16>>());
        let b = (ep("b"), (5461..10923).collect::<Vec<u16>>());
        let jobs = split(vec![a, b], &ep("c"), 4000).expect("plan");
        assert_eq!(jobs.len(), 2);
        // b owns one slot more, so it is the first source and is rounded up.
        assert_eq!((jobs[0].src.id.as_str(), jobs[0].slots.len()), ("b", 2001));
        assert_eq!((jobs[1].src.id.as_str(), jobs[1].slots.len()), ("a", 1999));
        assert_eq!(jobs[0].slots[0], 5461);
        assert_eq!(jobs[1].slots[..3], [0, 1, 2]);
        assert!(jobs.iter().all(|j| j.dst.id == "c"));
    }

    #[test]
    fn split_moves_exactly_n_across_many_sources() {
        let sizes = [2731u16, 2731, 2731, 2730, 2730];
        let mut start = 0u16;
        let mut sources = Vec::new();
        for (i, &len) in sizes.iter().enumerate() {
            sources.push((
                ep(&i.to_string()),
                (start..start + len).collect::<Vec<u16>>(),
            ));
            start += len;
        }
        for n in [1, 4, 4000, 13653] {
            let jobs = split(sources.clone(), &ep("t"), n).expect("plan");
            assert_eq!(
                jobs.iter().map(|j| j.slots.len()).sum::<usize>(),
                n,
                "n = {n}"
            );
        }
    }

    #[test]
    fn split_refuses_more_than_the_sources_own() {
        let a = (ep("a"), vec![1, 2, 3]);
        assert!(split(vec![a.clone()], &ep("c"), 4).is_err());
        let jobs = split(vec![a], &ep("c"), 3).expect("plan");
        assert_eq!(jobs[0].slots, vec![1, 2, 3]);
    }
}
