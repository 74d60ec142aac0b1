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
        Err(e) => fatal_config_error(&e),
    };
    // Absolute, because `dir` changes the working directory below.
    config.file = file.map(|f| std::path::absolute(&f).unwrap_or_else(|_| f.into()));
    let filter = match config.get_str("loglevel") {
        "debug" => "debug",
        "verbose" => "info",
        "warning" => "warn",
        _ => "info",
    };
    let dir = config.get_str("dir").to_string();
    if !dir.is_empty() {
        std::env::set_current_dir(&dir)
            .map_err(|e| anyhow::anyhow!("can't chdir to '{dir}': {e}"))?;
    }
    let env_filter =
        || EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(filter));
    // `logfile`: appended to (relative to `dir`, as Redis opens it), else stderr.
    match config.get_str("logfile") {
        "" => tracing_subscriber::fmt()
            .with_env_filter(env_filter())
            .with_writer(std::io::stderr)
            .init(),
        path => {
            let file = std::fs::OpenOptions::new()
                .create(true)
                .append(true)
                .open(path)
                .unwrap_or_else(|e| {
                    fatal_config_error(&format!("Can't open the log file: {}", os_error(&e)))
                });
            tracing_subscriber::fmt()
                .with_env_filter(env_filter())
                .with_ansi(false)
                .with_writer(std::sync::Mutex::new(file))
                .init();
        }
    }
    // Enough open files for `maxclients`, or fewer clients (Redis `adjustOpenFilesLimit`).
    let requested = u64::try_from(config.get_i64("maxclients")).unwrap_or(10000);
    match shoal_node::fdlimit::adjust(requested) {
        Ok(a) if a.maxclients < requested => {
            tracing::warn!(
                "Current maximum open files is {}. maxclients has been reduced to {} to \
                 compensate for low ulimit. If you need higher maxclients increase 'ulimit -n'.",
                a.limit,
                a.maxclients
            );
            let _ = config.set("maxclients", &a.maxclients.to_string(), true);
        }
        Ok(_) => {}
        Err(e) => {
            tracing::error!("{e}");
            std::process::exit(1);
        }
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
        // `pidfile`: written once listening, removed at exit (Redis `createPidFile`).
        let pidfile = config.get_str("pidfile").to_string();
        if !pidfile.is_empty()
            && let Err(e) = std::fs::write(&pidfile, format!("{}\n", std::process::id()))
        {
            tracing::warn!(error = %e, path = %pidfile, "Failed to write PID file");
        }
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
        if !pidfile.is_empty() {
            let _ = std::fs::remove_file(&pidfile);
        }
        anyhow::Ok(())
    })
}

/// Stops with Redis's fatal configuration error, on stderr (logging may not be set up).
fn fatal_config_error(e: &str) -> ! {
    use std::io::Write as _;
    let _ = writeln!(
        std::io::stderr(),
        "\n*** FATAL CONFIG FILE ERROR (Redis 7.0.15) ***\n{e}"
    );
    std::process::exit(1);
}

/// An I/O error as C's `strerror` words it ("No such file or directory").
fn os_error(e: &std::io::Error) -> String {
    let text = e.to_string();
    text.split(" (os error").next().unwrap_or(&text).to_string()
}
