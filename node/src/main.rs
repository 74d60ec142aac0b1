//! `shoal-node [redis.conf] [--directive value ...]`: starts a node, as `redis-server` does.

use clap::Parser;
use shoal_node::config::Config;
use tracing_subscriber::EnvFilter;

/// Shoal node: a Redis-Cluster-compatible in-memory data structure server.
#[derive(Parser, Debug)]
#[command(version, about, long_about = None)]
struct Cli {
    /// Optional redis.conf-style configuration file, then `--directive value ...` overrides
    /// (e.g. `--port 7000 --cluster-enabled yes`), exactly as redis-server accepts them.
    #[arg(trailing_var_arg = true, allow_hyphen_values = true)]
    args: Vec<String>,
}

fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    let (file, rest) = match cli.args.first() {
        Some(first) if !first.starts_with("--") => (Some(first.clone()), &cli.args[1..]),
        _ => (None, &cli.args[..]),
    };
    let text = match &file {
        Some(path) => Some(
            std::fs::read_to_string(path)
                .map_err(|e| anyhow::anyhow!("can't read config file {path}: {e}"))?,
        ),
        None => None,
    };
    let mut config = match Config::from_sources(text.as_deref(), rest) {
        Ok(c) => c,
        Err(e) => {
            // Redis's words, on stderr, before any logging is set up.
            use std::io::Write as _;
            let _ = writeln!(
                std::io::stderr(),
                "\n*** FATAL CONFIG FILE ERROR (Redis 7.0.15) ***\n{e}"
            );
            std::process::exit(1);
        }
    };
    // Absolute, because `dir` changes the working directory below.
    config.file = file.map(|f| std::path::absolute(&f).unwrap_or_else(|_| f.into()));
    let filter = match config.get_str("loglevel") {
        "debug" => "debug",
        "verbose" => "info",
        "warning" => "warn",
        _ => "info",
    };
    tracing_subscriber::fmt()
        .with_env_filter(
            EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(filter)),
        )
        .with_writer(std::io::stderr)
        .init();
    let dir = config.get_str("dir").to_string();
    if !dir.is_empty() {
        std::env::set_current_dir(&dir)
            .map_err(|e| anyhow::anyhow!("can't chdir to '{dir}': {e}"))?;
    }
    // `io-threads` (Redis's default 1: one thread does everything) is the number of runtime
    // workers: connections and the executor share them. On a 2-core machine shared with
    // redis-benchmark, one worker served 13-22% more requests/s at -P 16 than two (the idle
    // worker's parking and stealing cost the client its core), and the same at -P 1. A long
    // script moves the other tasks to a new thread (`script::busy::release_worker`), so
    // connections keep being served meanwhile whatever the count.
    let workers = usize::try_from(config.get_i64("io-threads"))
        .unwrap_or(1)
        .max(1);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(workers)
        .enable_all()
        .build()?;
    runtime.block_on(async move {
        let listener = shoal_node::server::bind(&config).await?;
        let shutdown = async {
            let mut term =
                tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
                    .expect("invariant: installing a SIGTERM handler cannot fail at startup");
            tokio::select! {
                _ = tokio::signal::ctrl_c() => {}
                _ = term.recv() => {}
            }
        };
        shoal_node::server::run(listener, config, shutdown).await;
        anyhow::Ok(())
    })
}
