//! `shoal-router --port P --nodes host:port[,host:port...]`: one Redis endpoint in front of
//! a cluster. Settings come from the command line or from `--config FILE` (redis.conf-style
//! `name value` lines using the long option names; the command line wins).
//!
//! Threads: `--threads N` lanes (thread per core, see `server`); lane 0 is this thread.

use std::time::Duration;

use clap::Parser;
use shoal_router::{Config, MultiCrossSlot, ReadFrom, Router};
use tracing_subscriber::EnvFilter;

/// jemalloc as the process allocator, as on the node: every routed command allocates a few
/// small objects (argument buffers, reply slots, futures) freed soon after, and glibc's
/// malloc spent about a quarter of the router's CPU on them at `-P 16`.
#[global_allocator]
static GLOBAL: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;

/// Shoal router: one Redis endpoint in front of a whole cluster.
#[derive(Parser, Debug, Default)]
#[command(version, about, long_about = None)]
struct Cli {
    /// Config file: lines `name value` (port, bind, nodes, requirepass, node-user,
    /// node-password, read-from, timeout-ms, refresh-ms, maxclients, multi-cross-slot,
    /// threads, client-output-buffer-limit);
    /// `#` comments.
    #[arg(long)]
    config: Option<String>,
    /// Port to listen on (default 7777; 0 = any free port).
    #[arg(long)]
    port: Option<u16>,
    /// Address to listen on (default 127.0.0.1).
    #[arg(long)]
    bind: Option<String>,
    /// Seed nodes, host:port[,host:port...].
    #[arg(long, value_delimiter = ',')]
    nodes: Vec<String>,
    /// Password clients must give (AUTH / HELLO AUTH).
    #[arg(long)]
    requirepass: Option<String>,
    /// Username for the nodes (ACL).
    #[arg(long)]
    node_user: Option<String>,
    /// Password for the nodes.
    #[arg(long)]
    node_password: Option<String>,
    /// Where readonly commands go.
    #[arg(long, value_enum)]
    read_from: Option<ReadFrom>,
    /// Bound on a node's answer, and on the retries of a command while its slot has no
    /// reachable owner (a failover), in milliseconds (default 5000).
    #[arg(long)]
    timeout_ms: Option<u64>,
    /// Topology refresh period, in milliseconds (default 5000).
    #[arg(long)]
    refresh_ms: Option<u64>,
    /// Most clients at once (default 10000).
    #[arg(long)]
    maxclients: Option<usize>,
    /// Transactions spanning slots: refuse (CROSSSLOT, the default) or best-effort (run the
    /// commands in order, not atomically).
    #[arg(long, value_enum)]
    multi_cross_slot: Option<MultiCrossSlot>,
    /// Threads serving clients (default: the number of CPUs); each runs its own event loop
    /// and upstream connections.
    #[arg(long)]
    threads: Option<usize>,
    /// Redis's directive, e.g. "pubsub 32mb 8mb 60": a subscriber with more than the hard
    /// limit of messages unread, or more than the soft one for longer than its seconds, is
    /// disconnected (the pubsub class is the one the router applies; default Redis's).
    #[arg(long)]
    client_output_buffer_limit: Option<String>,
}

fn apply_file(cli: &mut Cli, text: &str) -> anyhow::Result<()> {
    for (n, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let (name, value) = line
            .split_once(char::is_whitespace)
            .map(|(a, b)| (a, b.trim()))
            .ok_or_else(|| anyhow::anyhow!("line {}: expected `name value`", n + 1))?;
        let bad = |e: &dyn std::fmt::Display| anyhow::anyhow!("line {}: {name}: {e}", n + 1);
        match name {
            "port" => cli.port = cli.port.or(Some(value.parse().map_err(|e| bad(&e))?)),
            "bind" => cli.bind = cli.bind.take().or(Some(value.into())),
            "nodes" => {
                if cli.nodes.is_empty() {
                    cli.nodes = value.split(',').map(|s| s.trim().to_string()).collect();
                }
            }
            "requirepass" => cli.requirepass = cli.requirepass.take().or(Some(value.into())),
            "node-user" => cli.node_user = cli.node_user.take().or(Some(value.into())),
            "node-password" => {
                cli.node_password = cli.node_password.take().or(Some(value.into()));
            }
            "read-from" => {
                let v =
                    <ReadFrom as clap::ValueEnum>::from_str(value, true).map_err(|e| bad(&e))?;
                cli.read_from = cli.read_from.or(Some(v));
            }
            "timeout-ms" => {
                cli.timeout_ms = cli.timeout_ms.or(Some(value.parse().map_err(|e| bad(&e))?));
            }
            "refresh-ms" => {
                cli.refresh_ms = cli.refresh_ms.or(Some(value.parse().map_err(|e| bad(&e))?));
            }
            "maxclients" => {
                cli.maxclients = cli.maxclients.or(Some(value.parse().map_err(|e| bad(&e))?));
            }
            "multi-cross-slot" => {
                let v = <MultiCrossSlot as clap::ValueEnum>::from_str(value, true)
                    .map_err(|e| bad(&e))?;
                cli.multi_cross_slot = cli.multi_cross_slot.or(Some(v));
            }
            "threads" => {
                cli.threads = cli.threads.or(Some(value.parse().map_err(|e| bad(&e))?));
            }
            "client-output-buffer-limit" => {
                let v = value.trim_matches('"').to_string();
                cli.client_output_buffer_limit = cli.client_output_buffer_limit.take().or(Some(v));
            }
            other => anyhow::bail!("line {}: unknown setting '{other}'", n + 1),
        }
    }
    Ok(())
}

fn config(mut cli: Cli) -> anyhow::Result<Config> {
    if let Some(path) = cli.config.clone() {
        let text = std::fs::read_to_string(&path)
            .map_err(|e| anyhow::anyhow!("can't read config file {path}: {e}"))?;
        apply_file(&mut cli, &text)?;
    }
    let d = Config::default();
    if cli.nodes.is_empty() {
        anyhow::bail!("no seed nodes: pass --nodes host:port[,host:port...]");
    }
    let limits = match &cli.client_output_buffer_limit {
        Some(text) => {
            shoal_common::obuf::ObufLimits::parse(shoal_router::redis_default_limits(), text)
                .map_err(|e| anyhow::anyhow!("client-output-buffer-limit: {e}"))?
        }
        None => shoal_router::redis_default_limits(),
    };
    Ok(Config {
        bind: cli.bind.unwrap_or(d.bind),
        port: cli.port.unwrap_or(d.port),
        nodes: cli.nodes,
        requirepass: cli.requirepass.filter(|p| !p.is_empty()),
        node_user: cli.node_user,
        node_password: cli.node_password,
        read_from: cli.read_from.unwrap_or(d.read_from),
        timeout: cli.timeout_ms.map_or(d.timeout, Duration::from_millis),
        refresh_interval: cli
            .refresh_ms
            .map_or(d.refresh_interval, Duration::from_millis),
        maxclients: cli.maxclients.unwrap_or(d.maxclients),
        multi_cross_slot: cli.multi_cross_slot.unwrap_or(d.multi_cross_slot),
        threads: cli.threads.unwrap_or(d.threads).max(1),
        pubsub_limit: limits.pubsub,
    })
}

fn main() -> anyhow::Result<()> {
    let config = config(Cli::parse())?;
    tracing_subscriber::fmt()
        .with_env_filter(
            EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info")),
        )
        .with_writer(std::io::stderr)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .init();
    let lanes = shoal_router::server::Lanes::start(config.threads)?;
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    runtime.block_on(async move {
        let router = Router::new(config);
        let listener = shoal_router::server::bind(&router).await?;
        let shutdown = async {
            let mut term =
                tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
                    .expect("invariant: installing a SIGTERM handler cannot fail at startup");
            tokio::select! {
                _ = tokio::signal::ctrl_c() => {}
                _ = term.recv() => {}
            }
        };
        shoal_router::server::run(listener, router, lanes, shutdown).await;
        anyhow::Ok(())
    })
}
