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

/// The addresses of a `bind` value, each with whether it is optional (a leading `-`: Redis
/// skips it when it cannot be bound). `*` is every IPv4 address, `::*` every IPv6 one (which
/// Linux refuses beside `*` on the same port unless IPv6-only: Redis's default `* -::*` then
/// listens on IPv4).
fn listen_hosts(bind: &str) -> Vec<(&str, bool)> {
    let hosts: Vec<(&str, bool)> = bind
        .split_whitespace()
        .map(|w| {
            let host = w.trim_start_matches('-');
            let host = match host {
                "*" => "0.0.0.0",
                "::*" => "::",
                h => h,
            };
            (host, w.starts_with('-'))
        })
        .collect();
    if hosts.is_empty() {
        vec![("0.0.0.0", false)]
    } else {
        hosts
    }
}

/// Listens on every address of `bind` at `port` (Redis `listenToPort`): an address that
/// cannot be bound fails the whole unless it is optional; `port 0` takes a free port for the
/// first address and the same one for the others. No listener at all is an error too.
fn bind_all(bind: &str, port: u16) -> std::io::Result<Vec<TcpListener>> {
    let mut port = port;
    let mut out = Vec::new();
    for (host, optional) in listen_hosts(bind) {
        let l = match std::net::TcpListener::bind((host, port)) {
            Ok(l) => l,
            Err(e) if optional => {
                tracing::debug!(%host, port, error = %e, "skipping an optional bind address");
                continue;
            }
            Err(e) => {
                return Err(std::io::Error::new(
                    e.kind(),
                    format!("Could not create server TCP listening socket {host}:{port}: {e}"),
                ));
            }
        };
        l.set_nonblocking(true)?;
        port = l.local_addr()?.port();
        out.push(TcpListener::from_std(l)?);
    }
    if out.is_empty() {
        return Err(std::io::Error::new(
            std::io::ErrorKind::AddrNotAvailable,
            format!("Failed listening on port {port} (tcp), aborting."),
        ));
    }
    Ok(out)
}

/// Binds the addresses `config` names (`bind`, `port`). `port 0` picks a free port.
pub async fn bind(config: &Config) -> std::io::Result<Vec<TcpListener>> {
    let port = u16::try_from(config.get_i64("port")).unwrap_or(6379);
    bind_all(config.get_str("bind"), port)
}

/// The client listener, shared by the accept loop and the executor so CONFIG SET port/bind
/// can close it and bind another at once (Redis `changeListenPort`/`changeBindAddr`), with the
/// old one restored when the new address can't be bound.
#[derive(Debug, Default)]
pub struct ListenerSlot {
    listener: std::sync::Mutex<Vec<TcpListener>>,
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
        slot.clear();
        let bound = Self::bind_now(new);
        let result = match bound {
            Ok(l) => {
                *slot = l;
                Ok(())
            }
            Err(e) => {
                *slot = Self::bind_now(old).unwrap_or_else(|e2| {
                    error!(error = %e2, "can't listen on the previous address again");
                    Vec::new()
                });
                Err(e)
            }
        };
        self.changed.notify_one();
        result
    }

    fn bind_now((bind, port): (&str, u16)) -> std::io::Result<Vec<TcpListener>> {
        if port == 0 {
            return Ok(Vec::new());
        }
        bind_all(bind, port)
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
                // Every address in turn; each registers this task for its next client.
                for l in slot.iter() {
                    if let std::task::Poll::Ready(r) = l.poll_accept(cx) {
                        return std::task::Poll::Ready(r);
                    }
                }
                std::task::Poll::Pending
            });
            tokio::select! {
                res = polled => return res,
                () = changed => {}
            }
        }
    }
}

/// Serves clients on `listeners` until SHUTDOWN or `shutdown` completes.
pub async fn run(listeners: Vec<TcpListener>, mut config: Config, shutdown: impl Future) {
    if let Some(Ok(addr)) = listeners.first().map(TcpListener::local_addr) {
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
        .unwrap_or_else(std::sync::PoisonError::into_inner) = listeners;
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
    // The bus listens on the first address of `bind`.
    let host = listen_hosts(srv.config.get_str("bind"))[0].0.to_string();
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
