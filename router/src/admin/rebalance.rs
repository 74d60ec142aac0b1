//! `rebalance host:port [--weight id=w]... [--threshold P] [--use-empty-masters]`: move slots
//! so every primary owns a share proportional to its weight.
//!
//! Mirrors `clusterManagerCommandRebalance`: expected = 16384 / total_weight × weight; nothing
//! is moved unless some primary deviates by more than the threshold (percent); rounding
//! leftovers go to primaries short of slots; then the most-starved receiver takes from the
//! most-loaded giver until both balances are met. Primaries without slots take part only with
//! `--use-empty-masters`; weight 0 empties a primary.

use std::io::Write;

use anyhow::{Context, Result, bail};
use shoal_common::SLOT_COUNT;

use super::cluster::Cluster;
use super::migrate::{Job, MoveOpts, run_jobs};
use super::reshard::{endpoint, master_addrs};

/// Arguments of `rebalance`.
#[derive(clap::Args, Debug)]
pub struct Args {
    /// Any node of the cluster, `host:port`.
    pub addr: String,
    /// `<id-prefix>=<weight>` (default weight 1); repeat for several nodes.
    #[arg(long = "weight")]
    pub weights: Vec<String>,
    /// Percentage a primary may deviate from its share before slots move.
    #[arg(long, default_value_t = 2.0)]
    pub threshold: f64,
    /// Give slots to primaries that have none.
    #[arg(long)]
    pub use_empty_masters: bool,
    /// Print the moves without doing them.
    #[arg(long)]
    pub simulate: bool,
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

/// One primary's part in the plan.
#[derive(Debug, Clone, PartialEq)]
pub struct Share {
    /// Index into the cluster's nodes.
    pub node: usize,
    /// Slots owned now.
    pub slots: usize,
    /// Weight.
    pub weight: f64,
    /// Slots to give away (positive) or receive (negative).
    pub balance: i64,
}

/// Computes the balances; `None` if every primary is within the threshold.
pub fn balances(shares: &mut [Share], threshold: f64) -> bool {
    let total_weight: f64 = shares.iter().map(|s| s.weight).sum();
    let mut needed = false;
    let mut total_balance = 0i64;
    for s in shares.iter_mut() {
        let expected = (SLOT_COUNT as f64 / total_weight * s.weight).floor() as i64;
        s.balance = s.slots as i64 - expected;
        total_balance += s.balance;
        if threshold > 0.0 {
            let dev = if s.slots == 0 {
                if expected > 0 { 100.0 } else { 0.0 }
            } else {
                (100.0 - 100.0 * expected as f64 / s.slots as f64).abs()
            };
            needed |= dev > threshold;
        }
    }
    // Rounding leaves slots unaccounted for: receivers keep them.
    while total_balance > 0 {
        for s in shares.iter_mut() {
            if s.balance <= 0 && total_balance > 0 {
                s.balance -= 1;
                total_balance -= 1;
            }
        }
    }
    needed || threshold <= 0.0
}

/// Pairs receivers with givers: (giver, receiver, count).
pub fn moves(shares: &mut [Share]) -> Vec<(usize, usize, usize)> {
    shares.sort_by_key(|s| s.balance);
    let mut out = Vec::new();
    let (mut d, mut s) = (0usize, shares.len().saturating_sub(1));
    while d < s {
        let n = shares[d].balance.abs().min(shares[s].balance.abs());
        if n > 0 {
            out.push((shares[s].node, shares[d].node, n as usize));
            shares[d].balance += n;
            shares[s].balance -= n;
        }
        if shares[d].balance == 0 {
            d += 1;
        }
        if shares[s].balance == 0 {
            s -= 1;
        }
        if n == 0 && shares[d].balance != 0 && shares[s].balance != 0 {
            break;
        }
    }
    out
}

fn weight_of(weights: &[(usize, f64)], i: usize) -> f64 {
    weights
        .iter()
        .find(|(n, _)| *n == i)
        .map_or(1.0, |(_, w)| *w)
}

/// Runs `rebalance`.
pub fn run(a: &Args, out: &mut impl Write) -> Result<bool> {
    let c = Cluster::load(&a.addr)?;
    let mut sink = Vec::new();
    if !c.check(&mut sink, true)?.is_clean() {
        out.write_all(&sink)?;
        bail!("please fix the cluster's problems before rebalancing: see `shoal-admin fix`");
    }
    let mut weights = Vec::new();
    for w in &a.weights {
        let (id, v) = w
            .split_once('=')
            .context("--weight wants <id-prefix>=<weight>")?;
        let v: f64 = v.parse().with_context(|| format!("bad weight in {w}"))?;
        weights.push((c.find(id)?, v));
    }
    let mut shares: Vec<Share> = c
        .masters()
        .into_iter()
        .filter(|&i| a.use_empty_masters || c.nodes[i].me.slot_count() > 0)
        .map(|i| Share {
            node: i,
            slots: c.nodes[i].me.slot_count(),
            weight: weight_of(&weights, i),
            balance: 0,
        })
        .collect();
    let total_weight: f64 = shares.iter().map(|s| s.weight).sum();
    if !balances(&mut shares, a.threshold) {
        writeln!(
            out,
            "*** No rebalancing needed! All nodes are within the {:.2}% threshold.",
            a.threshold
        )?;
        return Ok(true);
    }
    writeln!(
        out,
        ">>> Rebalancing across {} nodes. Total weight = {total_weight:.2}",
        shares.len()
    )?;
    let mut taken: Vec<usize> = vec![0; c.nodes.len()];
    let mut jobs = Vec::new();
    for (src, dst, n) in moves(&mut shares) {
        writeln!(
            out,
            "Moving {n} slots from {} to {}",
            c.nodes[src].addr(),
            c.nodes[dst].addr()
        )?;
        let slots: Vec<u16> = c.nodes[src].me.slots().skip(taken[src]).take(n).collect();
        taken[src] += n;
        jobs.push(Job {
            src: endpoint(&c, src),
            dst: endpoint(&c, dst),
            slots,
        });
    }
    if a.simulate {
        return Ok(true);
    }
    let opts = MoveOpts {
        pipeline: a.pipeline,
        timeout_ms: a.timeout,
        replace: a.replace,
    };
    let (slots, keys, t) = run_jobs(&jobs, &master_addrs(&c), opts, out)?;
    writeln!(
        out,
        "[OK] Moved {slots} slots and {keys} keys in {:.2}s.",
        t.as_secs_f64()
    )?;
    Ok(true)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn share(node: usize, slots: usize, weight: f64) -> Share {
        Share {
            node,
            slots,
            weight,
            balance: 0,
        }
    }

    #[test]
    fn an_empty_master_gets_a_quarter() {
        let mut s = vec![
            share(0, 5461, 1.0),
            share(1, 5462, 1.0),
            share(2, 5461, 1.0),
            share(3, 0, 1.0),
        ];
        assert!(balances(&mut s, 2.0));
        let m = moves(&mut s);
        let received: usize = m
            .iter()
            .filter(|(_, d, _)| *d == 3)
            .map(|(_, _, n)| n)
            .sum();
        assert_eq!(received, 4096);
        assert!(m.iter().all(|(src, _, _)| *src != 3));
    }

    #[test]
    fn balanced_cluster_needs_nothing() {
        let mut s = vec![
            share(0, 5461, 1.0),
            share(1, 5462, 1.0),
            share(2, 5461, 1.0),
        ];
        assert!(!balances(&mut s, 2.0));
    }

    #[test]
    fn weight_zero_empties_a_master() {
        let mut s = vec![
            share(0, 5461, 1.0),
            share(1, 5462, 1.0),
            share(2, 5461, 0.0),
        ];
        assert!(balances(&mut s, 2.0));
        let m = moves(&mut s);
        let given: usize = m
            .iter()
            .filter(|(src, _, _)| *src == 2)
            .map(|(_, _, n)| n)
            .sum();
        assert_eq!(given, 5461);
    }
}
