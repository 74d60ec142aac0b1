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

/// The client listener, shared by the accept loop and the executor so CONFIG SET port/bind
/// can close it and bind another at once (Redis `changeListenPort`/`changeBindAddr`), with the
/// old one restored when the new address can't be bound.
#[derive(Debug, Default)]
pub struct ListenerSlot {
    listener: std::sync::Mutex<Option<TcpListener>>,
    changed: tokio::sync::Notify,
}

impl ListenerSlot {
    /// Listens on `bind`/`port` instead (`port 0`: no listener). Must run inside the runtime.
    /// On failure the previous address is bound again and the error returned.
    pub fn rebind(&self, old: (&str, u16), new: (&str, u16)) -> std::io::Result<()> {
        let mut slot = self
            .listener
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        // Close first: the new address may overlap the old one (`*` -> `127.0.0.1`).
        drop(slot.take());
        let bound = Self::bind_now(new);
        let result = match bound {
            Ok(l) => {
                *slot = l;
                Ok(())
            }
            Err(e) => {
                *slot = Self::bind_now(old).unwrap_or_else(|e2| {
                    error!(error = %e2, "can't listen on the previous address again");
                    None
                });
                Err(e)
            }
        };
        self.changed.notify_one();
        result
    }

    fn bind_now((bind, port): (&str, u16)) -> std::io::Result<Option<TcpListener>> {
        if port == 0 {
            return Ok(None);
        }
        let l = std::net::TcpListener::bind((listen_host(bind), port))?;
        l.set_nonblocking(true)?;
        TcpListener::from_std(l).map(Some)
    }

    /// The next connection (waits while there is no listener).
    async fn accept(&self) -> std::io::Result<(tokio::net::TcpStream, std::net::SocketAddr)> {
        loop {
            let changed = self.changed.notified();
            let polled = std::future::poll_fn(|cx| {
                let slot = self
                    .listener
                    .lock()
                    .unwrap_or_else(std::sync::PoisonError::into_inner);
                match slot.as_ref() {
                    Some(l) => l.poll_accept(cx),
                    None => std::task::Poll::Pending,
                }
            });
            tokio::select! {
                res = polled => return res,
                () = changed => {}
            }
        }
    }
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
    let slot = Arc::new(ListenerSlot::default());
    *slot
        .listener
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner) = Some(listener);
    srv.listener = Some(slot.clone());
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
    let unix = match unix_listener(&srv.config) {
        Ok(u) => u,
        Err(e) => {
            error!(error = %e, "Failed opening Unix socket");
            std::process::exit(1);
        }
    };
    let executor = tokio::spawn(exec::run(srv, rx));
    let next_id = Arc::new(AtomicU64::new(1));
    if let Some((listener, path)) = &unix {
        info!(path = %path, "the server is now ready to accept connections at the unix socket");
        tokio::spawn(accept_unix(
            listener.clone(),
            path.clone(),
            next_id.clone(),
            tx.clone(),
            limits.clone(),
            requirepass_empty,
        ));
    }
    let accept = async {
        let mut backoff = Duration::from_millis(1);
        loop {
            match slot.accept().await {
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
    if let Some((_, path)) = unix {
        let _ = std::fs::remove_file(&*path);
    }
}

/// The `unixsocket` listener, if one is configured: a stale socket file is removed first and
/// `unixsocketperm` (octal, 0: leave the umask's) applied, as Redis does.
fn unix_listener(
    config: &Config,
) -> std::io::Result<Option<(Arc<tokio::net::UnixListener>, Arc<str>)>> {
    let path = config.get_str("unixsocket");
    if path.is_empty() {
        return Ok(None);
    }
    let _ = std::fs::remove_file(path);
    let listener = tokio::net::UnixListener::bind(path)?;
    let perm = u32::from_str_radix(config.get_str("unixsocketperm"), 8).unwrap_or(0);
    if perm != 0 {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(perm))?;
    }
    Ok(Some((Arc::new(listener), Arc::from(path))))
}

/// Accepts unix-socket clients until the node stops.
async fn accept_unix(
    listener: Arc<tokio::net::UnixListener>,
    path: Arc<str>,
    next_id: Arc<AtomicU64>,
    tx: mpsc::UnboundedSender<Event>,
    limits: Arc<connection::Limits>,
    authenticated: bool,
) {
    let mut backoff = Duration::from_millis(1);
    loop {
        match listener.accept().await {
            Ok((socket, _)) => {
                backoff = Duration::from_millis(1);
                let id = next_id.fetch_add(1, Ordering::Relaxed);
                tokio::spawn(connection::serve_unix(
                    socket,
                    path.clone(),
                    id,
                    tx.clone(),
                    limits.clone(),
                    authenticated,
                ));
            }
            Err(e) => {
                warn!(error = %e, "unix socket accept failed");
                tokio::time::sleep(backoff).await;
                backoff = (backoff * 2).min(ACCEPT_BACKOFF_MAX);
            }
        }
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
