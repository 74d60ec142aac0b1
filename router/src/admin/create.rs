//! `create host:port... [--replicas R]`: form a new cluster from empty nodes.
//!
//! Mirrors `clusterManagerCommandCreate`: check every node is an empty cluster node, pick
//! primaries spread over hosts, give them even slot ranges (`ADDSLOTSRANGE`), distinct config
//! epochs (`SET-CONFIG-EPOCH 1..N`), `MEET` everyone with the first node, wait until every
//! node knows every other and all agree on the slots, then `REPLICATE` the replicas and wait
//! for `cluster_state:ok` and the roles to be known everywhere.
//!
//! Unlike redis-cli it does not send REPLICATE before the nodes have met (that fails with
//! `Unknown node` and is retried anyway), and it waits for `cluster_state:ok` itself.

use std::io::Write;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use shoal_common::SLOT_COUNT;

use super::client::info_field;
use super::cluster::{Cluster, Node};
use super::{confirm, resolve_ip, split_addr};

/// Arguments of `create`.
#[derive(clap::Args, Debug)]
pub struct Args {
    /// The nodes, `host:port`, at least 3 × (replicas + 1).
    #[arg(required = true, num_args = 3..)]
    pub nodes: Vec<String>,
    /// Replicas per primary.
    #[arg(long, default_value_t = 0)]
    pub replicas: usize,
    /// Do not ask for confirmation.
    #[arg(long)]
    pub yes: bool,
    /// Seconds to wait for the nodes to agree and reach `cluster_state:ok`.
    #[arg(long, default_value_t = 60)]
    pub timeout: u64,
}

/// The layout `create` sets up: primary indexes and, per node, its primary (if a replica).
#[derive(Debug, Clone, PartialEq)]
pub struct Plan {
    /// Indexes (into the argument list) of the primaries, in slot order.
    pub masters: Vec<usize>,
    /// (replica index, primary index).
    pub replicas: Vec<(usize, usize)>,
    /// Slot range per primary, inclusive.
    pub ranges: Vec<(u16, u16)>,
    /// True if some replica had to share its primary's host.
    pub same_host: bool,
}

/// Computes the layout for `addrs` with `replicas` per primary.
pub fn plan(addrs: &[String], replicas: usize) -> Result<Plan> {
    let n = addrs.len();
    let m = n / (replicas + 1);
    if m < 3 {
        bail!(
            "a cluster needs at least 3 primaries: {n} nodes with {replicas} replica(s) each \
             give {m}; add nodes or lower --replicas"
        );
    }
    let hosts: Vec<String> = addrs
        .iter()
        .map(|a| split_addr(a).map(|(h, _)| h))
        .collect::<Result<_>>()?;
    // Interleave by host so primaries land on as many hosts as possible.
    let mut groups: Vec<(String, Vec<usize>)> = Vec::new();
    for (i, h) in hosts.iter().enumerate() {
        match groups.iter_mut().find(|(g, _)| g == h) {
            Some((_, v)) => v.push(i),
            None => groups.push((h.clone(), vec![i])),
        }
    }
    let mut order = Vec::with_capacity(n);
    for round in 0.. {
        let before = order.len();
        order.extend(groups.iter().filter_map(|(_, v)| v.get(round).copied()));
        if order.len() == before {
            break;
        }
    }
    let masters: Vec<usize> = order[..m].to_vec();
    let mut left: Vec<usize> = order[m..].to_vec();
    let mut pairs = Vec::new();
    // Each round gives every primary one more replica; leftovers go round-robin.
    let mut k = 0;
    while !left.is_empty() {
        let master = masters[k % m];
        let pos = left
            .iter()
            .position(|&r| hosts[r] != hosts[master])
            .unwrap_or(0);
        let r = left.remove(pos);
        pairs.push((r, master));
        k += 1;
    }
    anti_affinity(&mut pairs, &hosts);
    let same_host = pairs.iter().any(|&(r, m)| hosts[r] == hosts[m]);
    Ok(Plan {
        ranges: slot_ranges(m),
        masters,
        replicas: pairs,
        same_host,
    })
}

/// Swaps replicas between primaries until no replica shares its primary's host where a swap
/// can avoid it (redis-cli's `clusterManagerOptimizeAntiAffinity`, made deterministic).
fn anti_affinity(pairs: &mut [(usize, usize)], hosts: &[String]) {
    for i in 0..pairs.len() {
        let (r, m) = pairs[i];
        if hosts[r] != hosts[m] {
            continue;
        }
        let swap = (0..pairs.len()).find(|&j| {
            let (r2, m2) = pairs[j];
            j != i && hosts[r] != hosts[m2] && hosts[r2] != hosts[m]
        });
        if let Some(j) = swap {
            let r2 = pairs[j].0;
            pairs[j].0 = r;
            pairs[i].0 = r2;
        }
    }
}

/// Even slot ranges for `m` primaries, with redis-cli's float-cursor rounding.
pub fn slot_ranges(m: usize) -> Vec<(u16, u16)> {
    let per = SLOT_COUNT as f64 / m as f64;
    let mut cursor = 0.0f64;
    let mut first = 0i64;
    let mut out = Vec::with_capacity(m);
    for i in 0..m {
        let mut last = (cursor + per - 1.0).round() as i64;
        if last > SLOT_COUNT as i64 - 1 || i == m - 1 {
            last = SLOT_COUNT as i64 - 1;
        }
        last = last.max(first);
        out.push((first as u16, last as u16));
        first = last + 1;
        cursor += per;
    }
    out
}

/// Runs `create`.
pub fn run(a: &Args, out: &mut impl Write) -> Result<bool> {
    let p = plan(&a.nodes, a.replicas)?;
    let mut nodes: Vec<Node> = a
        .nodes
        .iter()
        .map(|x| Node::open(x))
        .collect::<Result<_>>()?;
    for n in &mut nodes {
        ensure_empty(n)?;
    }
    print_plan(out, &a.nodes, &p, &nodes)?;
    if !confirm(out, "Can I set the above configuration?", a.yes)? {
        bail!("aborted: nothing was changed");
    }
    for (k, &mi) in p.masters.iter().enumerate() {
        let (lo, hi) = p.ranges[k];
        nodes[mi]
            .conn
            .ok(&["CLUSTER", "ADDSLOTSRANGE", &lo.to_string(), &hi.to_string()])?;
    }
    for (i, n) in nodes.iter_mut().enumerate() {
        // Distinct epochs avoid the collision-resolution dance; a node that already has an
        // epoch refuses, which is harmless.
        let _ = n
            .conn
            .call(&["CLUSTER", "SET-CONFIG-EPOCH", &(i + 1).to_string()])?;
    }
    writeln!(out, ">>> Sending CLUSTER MEET messages to join the cluster")?;
    let ip = resolve_ip(nodes[0].host())?;
    let (port, cport) = (nodes[0].port().to_string(), nodes[0].me.cport.to_string());
    for n in nodes.iter_mut().skip(1) {
        n.conn.ok(&["CLUSTER", "MEET", &ip, &port, &cport])?;
    }
    let deadline = Instant::now() + Duration::from_secs(a.timeout);
    write!(out, "Waiting for the cluster to join")?;
    wait_join(&mut nodes, deadline, out)?;
    writeln!(out)?;
    for &(r, m) in &p.replicas {
        let master_id = nodes[m].me.id.clone();
        replicate(&mut nodes[r], &master_id, deadline)?;
    }
    let mut cluster = Cluster::load(&a.nodes[p.masters[0]])?;
    write!(out, "Waiting for cluster_state:ok")?;
    cluster.wait_consistent(out, deadline.saturating_duration_since(Instant::now()))?;
    wait_roles(&mut cluster, &p, &nodes, deadline)?;
    writeln!(out)?;
    let problems = cluster.check(out, false)?;
    Ok(problems.is_clean())
}

/// Refuses nodes that already know others or hold keys (as redis-cli does).
pub fn ensure_empty(n: &mut Node) -> Result<()> {
    let ci = n.conn.text(&["CLUSTER", "INFO"])?;
    let known = info_field(&ci, "cluster_known_nodes").unwrap_or("0");
    let ks = n.conn.text(&["INFO", "keyspace"])?;
    if known != "1" || info_field(&ks, "db0").is_some() {
        bail!(
            "node {} is not empty: it knows other nodes (CLUSTER NODES) or holds keys in db0; \
             use a fresh node, or run CLUSTER RESET HARD and FLUSHALL on it",
            n.addr()
        );
    }
    Ok(())
}

fn print_plan(out: &mut impl Write, addrs: &[String], p: &Plan, nodes: &[Node]) -> Result<()> {
    writeln!(
        out,
        ">>> Performing hash slots allocation on {} nodes...",
        addrs.len()
    )?;
    for (k, &mi) in p.masters.iter().enumerate() {
        let (lo, hi) = p.ranges[k];
        writeln!(out, "Master[{k}] -> Slots {lo} - {hi}")?;
        for &(r, _) in p.replicas.iter().filter(|(_, m)| *m == mi) {
            writeln!(out, "Adding replica {} to {}", addrs[r], addrs[mi])?;
        }
    }
    if p.same_host {
        writeln!(
            out,
            "[WARNING] Some replicas are in the same host as their primary"
        )?;
    }
    for (k, &mi) in p.masters.iter().enumerate() {
        let (lo, hi) = p.ranges[k];
        writeln!(
            out,
            "M: {} {}\n   slots:{lo}-{hi}",
            nodes[mi].me.id, addrs[mi]
        )?;
    }
    for &(r, m) in &p.replicas {
        writeln!(
            out,
            "S: {} {}\n   replicates {}",
            nodes[r].me.id, addrs[r], nodes[m].me.id
        )?;
    }
    Ok(())
}

/// Waits until every node knows all the others (no handshake) and all agree on the slots.
pub fn wait_join(nodes: &mut [Node], deadline: Instant, out: &mut impl Write) -> Result<()> {
    let count = nodes.len();
    loop {
        let mut ok = true;
        for n in nodes.iter_mut() {
            n.refresh()?;
            ok &= n.view.len() == count && n.view.iter().all(|e| !e.has_flag("handshake"));
        }
        let sig = super::nodes::signature(&nodes[0].view);
        ok &= nodes
            .iter()
            .all(|n| super::nodes::signature(&n.view) == sig);
        if ok {
            return Ok(());
        }
        if Instant::now() > deadline {
            bail!(
                "the nodes did not all meet in time: check that every node's cluster bus port \
                 (port + 10000 by default) is reachable from the others, then run \
                 `shoal-admin check`"
            );
        }
        write!(out, ".")?;
        out.flush()?;
        std::thread::sleep(Duration::from_millis(200));
    }
}

/// `CLUSTER REPLICATE`, retried while the node has not yet learned about its primary.
pub fn replicate(n: &mut Node, master_id: &str, deadline: Instant) -> Result<()> {
    loop {
        let r = n.conn.call(&["CLUSTER", "REPLICATE", master_id])?;
        match super::client::error_text(&r) {
            None => return Ok(()),
            Some(e) if Instant::now() > deadline => {
                return Err(anyhow::anyhow!("{e}")).with_context(|| {
                    format!("{}: CLUSTER REPLICATE {master_id} kept failing", n.addr())
                });
            }
            Some(_) => std::thread::sleep(Duration::from_millis(100)),
        }
    }
}

/// Waits until every node sees every replica attached to its primary.
fn wait_roles(cluster: &mut Cluster, p: &Plan, nodes: &[Node], deadline: Instant) -> Result<()> {
    let want: Vec<(String, String)> = p
        .replicas
        .iter()
        .map(|&(r, m)| (nodes[r].me.id.clone(), nodes[m].me.id.clone()))
        .collect();
    loop {
        cluster.refresh()?;
        let ok = cluster.nodes.iter().all(|n| {
            want.iter().all(|(r, m)| {
                n.view
                    .iter()
                    .any(|e| e.id == *r && e.master_id.as_deref() == Some(m))
            })
        });
        if ok {
            return Ok(());
        }
        if Instant::now() > deadline {
            bail!("replicas were not seen by every node in time: run `shoal-admin check`");
        }
        std::thread::sleep(Duration::from_millis(100));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn addrs(v: &[&str]) -> Vec<String> {
        v.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn three_masters_get_redis_cli_ranges() {
        assert_eq!(
            slot_ranges(3),
            vec![(0, 5460), (5461, 10922), (10923, 16383)]
        );
        let r = slot_ranges(7);
        assert_eq!(r[0].0, 0);
        assert_eq!(r[6].1, 16383);
        assert!(r.windows(2).all(|w| w[0].1 + 1 == w[1].0));
    }

    #[test]
    fn replicas_avoid_their_primary_host() {
        let a = addrs(&["a:1", "a:2", "b:1", "b:2", "c:1", "c:2"]);
        let p = plan(&a, 1).expect("plan");
        assert_eq!(p.masters.len(), 3);
        assert!(!p.same_host);
        for (r, m) in &p.replicas {
            assert_ne!(a[*r].split(':').next(), a[*m].split(':').next());
        }
    }

    #[test]
    fn one_host_is_allowed_but_flagged() {
        let a = addrs(&["h:1", "h:2", "h:3", "h:4", "h:5", "h:6"]);
        let p = plan(&a, 1).expect("plan");
        assert_eq!(p.masters, vec![0, 1, 2]);
        assert_eq!(p.replicas, vec![(3, 0), (4, 1), (5, 2)]);
        assert!(p.same_host);
    }

    #[test]
    fn too_few_masters_is_refused() {
        assert!(plan(&addrs(&["h:1", "h:2", "h:3", "h:4"]), 1).is_err());
    }
}
