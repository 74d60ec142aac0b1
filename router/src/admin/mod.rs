//! Cluster administration: the logic behind `shoal-admin`, the counterpart of
//! `redis-cli --cluster` (redis-cli.c, `clusterManager*`), for our nodes and real Redis alike.
//!
//! # Layout
//!
//! - [`client`]: a blocking RESP2 connection per node (admin work is round trips to a few
//!   nodes; threads give the parallelism where it pays, in [`migrate`]).
//! - [`nodes`]: the `CLUSTER NODES` parser and redis-cli's config signature.
//! - [`cluster`]: the loaded cluster (every node's own view) and the consistency check.
//! - [`migrate`]: moving slots: batched, pipelined, one thread per source.
//! - one module per subcommand: [`create`], [`check`], [`info`], [`fix`], [`reshard`],
//!   [`rebalance`], [`add_node`], [`del_node`], [`failover`], [`call`], and [`status`] (the
//!   live view behind `scripts/cluster status`).
//!
//! Output goes to the writer passed in (stdout in the binary); every error says what to do
//! next. The tool only speaks the standard client protocol, so it drives real Redis 7.0 nodes
//! exactly as it drives ours.

pub mod add_node;
pub mod call;
pub mod check;
pub mod client;
pub mod cluster;
pub mod create;
pub mod del_node;
pub mod failover;
pub mod fix;
pub mod info;
pub mod migrate;
pub mod nodes;
pub mod rebalance;
pub mod reshard;
pub mod status;

use std::io::{BufRead, Write};
use std::net::ToSocketAddrs;

use anyhow::{Context, Result, anyhow};
use clap::{Parser, Subcommand};

/// `shoal-admin`: create, check, reshard, rebalance and repair a Redis Cluster (Shoal nodes or
/// real Redis 7.0 nodes).
#[derive(Parser, Debug)]
#[command(name = "shoal-admin", version, about, long_about = None)]
pub struct Cli {
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// The subcommands, as `redis-cli --cluster` names them.
#[derive(Subcommand, Debug)]
pub enum Command {
    /// Form a new cluster from empty nodes.
    Create(create::Args),
    /// Check slot coverage, agreement and open slots; exits 1 on problems.
    Check(check::Args),
    /// Keys, slots and replicas per primary.
    Info(info::Args),
    /// Close slots left importing/migrating and assign uncovered slots.
    Fix(fix::Args),
    /// Move slots (and their keys) to a primary.
    Reshard(reshard::Args),
    /// Even out slots across primaries by weight.
    Rebalance(rebalance::Args),
    /// Add an empty node as a primary or as a replica.
    AddNode(add_node::Args),
    /// Remove an empty node from the cluster.
    DelNode(del_node::Args),
    /// Promote a replica to primary of its shard (CLUSTER FAILOVER).
    Failover(failover::Args),
    /// Run a command on every node.
    Call(call::Args),
    /// Nodes, roles, slots, keys and ops/s at a glance.
    Status(status::Args),
}

/// Runs a parsed command line; `Ok(false)` means "ran, but found problems" (exit code 1).
pub fn run(cli: &Cli, out: &mut impl Write) -> Result<bool> {
    match &cli.command {
        Command::Create(a) => create::run(a, out),
        Command::Check(a) => check::run(a, out),
        Command::Info(a) => info::run(a, out),
        Command::Fix(a) => fix::run(a, out),
        Command::Reshard(a) => reshard::run(a, out),
        Command::Rebalance(a) => rebalance::run(a, out),
        Command::AddNode(a) => add_node::run(a, out),
        Command::DelNode(a) => del_node::run(a, out),
        Command::Failover(a) => failover::run(a, out),
        Command::Call(a) => call::run(a, out),
        Command::Status(a) => status::run(a, out),
    }
}

/// Asks `question` on stdin unless `yes`; true to proceed.
pub fn confirm(out: &mut impl Write, question: &str, yes: bool) -> Result<bool> {
    if yes {
        return Ok(true);
    }
    write!(out, "{question} (type 'yes' to accept): ")?;
    out.flush()?;
    let mut line = String::new();
    std::io::stdin().lock().read_line(&mut line)?;
    Ok(line.trim() == "yes")
}

/// The IP of `host` (CLUSTER MEET needs an address, not a name).
pub fn resolve_ip(host: &str) -> Result<String> {
    (host, 0)
        .to_socket_addrs()
        .with_context(|| format!("resolve {host}"))?
        .next()
        .map(|a| a.ip().to_string())
        .ok_or_else(|| anyhow!("{host} resolves to no address"))
}

/// Splits `host:port`.
pub fn split_addr(addr: &str) -> Result<(String, u16)> {
    let (h, p) = addr
        .rsplit_once(':')
        .ok_or_else(|| anyhow!("expected host:port, got {addr}"))?;
    let port = p.parse().with_context(|| format!("bad port in {addr}"))?;
    Ok((h.to_string(), port))
}
