//! The listener: binds, accepts with backoff, and starts a connection task per client
//! (mini-redis `Listener`). `run` returns when the executor stops (SHUTDOWN) or `shutdown`
//! resolves (SIGTERM/SIGINT).

use std::future::Future;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use tokio::net::TcpListener;
use tokio::sync::mpsc;
use tracing::{error, info, warn};

use crate::clock::Clock;
use crate::cluster::bus;
use crate::config::Config;
use crate::connection;
use crate::exec::{self, Event, Server};

/// Longest pause between accept retries after errors (EMFILE and the like).
const ACCEPT_BACKOFF_MAX: Duration = Duration::from_secs(1);

/// The address to listen on for a `bind` value: Redis's default `* -::*` means every IPv4 and
/// IPv6 address; we listen on IPv4 only for `*` and on the first address otherwise.
fn listen_host(bind: &str) -> &str {
    let host = bind
        .split_whitespace()
        .next()
        .unwrap_or("*")
        .trim_start_matches('-');
    match host {
        "*" => "0.0.0.0",
        "::*" => "::",
        h => h,
    }
}

/// Binds the addresses `config` names (`bind`, `port`). `port 0` picks a free port.
pub async fn bind(config: &Config) -> std::io::Result<TcpListener> {
    let port = config.get_i64("port");
    let host = listen_host(config.get_str("bind"));
    TcpListener::bind((host, u16::try_from(port).unwrap_or(6379))).await
}

/// Binds a new client listener at once, from the executor (CONFIG SET port/bind), ready for
/// the accept loop's runtime.
pub fn bind_std(bind: &str, port: u16) -> std::io::Result<std::net::TcpListener> {
    let l = std::net::TcpListener::bind((listen_host(bind), port))?;
    l.set_nonblocking(true)?;
    Ok(l)
}

/// Serves clients on `listener` until SHUTDOWN or `shutdown` completes.
pub async fn run(listener: TcpListener, mut config: Config, shutdown: impl Future) {
    if let Ok(addr) = listener.local_addr() {
        // Record the real port when `port 0` asked for any free one.
        let _ = config.set("port", &addr.port().to_string(), true);
        info!(port = addr.port(), "ready to accept connections");
    }
    let requirepass_empty = config.get_str("requirepass").is_empty();
    let mut srv = Server::new(config, Clock::real());
    let limits = srv.limits.clone();
    let (tx, rx) = mpsc::unbounded_channel();
    srv.events = Some(tx.clone());
    let (swap_tx, mut swap_rx) = mpsc::unbounded_channel();
    srv.listener_swap = Some(swap_tx);
    if srv.cluster.is_some()
        && let Err(e) = start_cluster(&mut srv, &tx).await
    {
        error!(error = %e, "can't start cluster mode");
        std::process::exit(1);
    }
    // `replicaof` in the configuration: a replica from the start (Redis connects from its
    // cron; this starts the same link REPLICAOF would).
    if let Some((host, port)) = srv.config.replicaof.clone() {
        info!(%host, port, "replicaof from the configuration");
        srv.start_replication(host, port);
    }
    let executor = tokio::spawn(exec::run(srv, rx));
    let next_id = Arc::new(AtomicU64::new(1));
    let accept = async {
        let mut listener = Some(listener);
        let mut backoff = Duration::from_millis(1);
        loop {
            let accepted = tokio::select! {
                res = accept_on(listener.as_ref()) => res,
                new = swap_rx.recv() => {
                    // CONFIG SET port/bind: the old listener closes when dropped. `None`:
                    // the executor is gone, and so is the node.
                    let Some(new) = new else { return };
                    listener = new.and_then(|l| TcpListener::from_std(l).ok());
                    continue;
                }
            };
            match accepted {
                Ok((socket, peer)) => {
                    backoff = Duration::from_millis(1);
                    let _ = socket.set_nodelay(true);
                    let id = next_id.fetch_add(1, Ordering::Relaxed);
                    let tx = tx.clone();
                    tokio::spawn(connection::serve(
                        socket,
                        peer,
                        id,
                        tx,
                        limits.clone(),
                        requirepass_empty,
                    ));
                }
                Err(e) => {
                    warn!(error = %e, "accept failed");
                    tokio::time::sleep(backoff).await;
                    backoff = (backoff * 2).min(ACCEPT_BACKOFF_MAX);
                }
            }
        }
    };
    tokio::select! {
        () = accept => {}
        _ = shutdown => info!("received shutdown signal"),
        res = executor => {
            if let Err(e) = res
                && e.is_panic()
            {
                std::panic::resume_unwind(e.into_panic());
            }
            info!("shutdown by SHUTDOWN command");
        }
    }
}

/// Accepts on `listener`, or waits forever without one (`port 0` set at runtime).
async fn accept_on(
    listener: Option<&TcpListener>,
) -> std::io::Result<(tokio::net::TcpStream, std::net::SocketAddr)> {
    match listener {
        Some(l) => l.accept().await,
        None => std::future::pending().await,
    }
}

/// Cluster mode: loads nodes.conf, binds the bus port and starts the bus transport.
async fn start_cluster(srv: &mut Server, tx: &mpsc::UnboundedSender<Event>) -> anyhow::Result<()> {
    srv.init_cluster()?;
    let cport = exec::cluster::bus_port(&srv.config);
    let bind = srv.config.get_str("bind").to_string();
    let host = match bind
        .split_whitespace()
        .next()
        .unwrap_or("*")
        .trim_start_matches('-')
    {
        "*" => "0.0.0.0".to_string(),
        "::*" => "::".to_string(),
        h => h.to_string(),
    };
    let listener = TcpListener::bind((host.as_str(), cport))
        .await
        .map_err(|e| anyhow::anyhow!("can't bind the cluster bus port {cport}: {e}"))?;
    info!(cport, "cluster bus listening");
    tokio::spawn(bus::transport::accept_loop(listener, tx.clone()));
    let (btx, brx) = mpsc::unbounded_channel();
    tokio::spawn(bus::transport::dispatch(brx));
    srv.bus_tx = Some(btx);
    Ok(())
}

/// Sends an event to the executor; false if it has stopped.
pub fn send(tx: &mpsc::UnboundedSender<Event>, ev: Event) -> bool {
    tx.send(ev).is_ok()
}
