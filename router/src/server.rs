//! The listener: binds, learns the topology, accepts with backoff and starts a session per
//! client (the node's `server.rs` pattern, copied rather than abstracted, as design §4 says).
//!
//! Threading: the router runs one single-threaded tokio runtime per lane (thread per core,
//! `--threads`). The accept loop deals clients to the lanes in turn; a session, the upstream
//! connections it uses and their tasks all live on its lane, so a request hops between tasks
//! of one thread only (cheap local wake-ups, no futexes, no work stealing) and commands of the
//! lane's clients that arrive together leave in one upstream write.

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use tokio::net::TcpListener;
use tracing::{info, warn};

use crate::{Router, session};

/// Longest pause between accept retries after errors (EMFILE and the like).
const ACCEPT_BACKOFF_MAX: Duration = Duration::from_secs(1);

/// Binds `config.bind:config.port`.
pub async fn bind(router: &Router) -> std::io::Result<TcpListener> {
    TcpListener::bind((router.config.bind.as_str(), router.config.port)).await
}

/// The runtimes that serve sessions: lane 0 is the caller's (it also accepts), the others
/// each run on a thread of their own.
pub struct Lanes {
    others: Vec<tokio::runtime::Handle>,
    next: std::sync::atomic::AtomicUsize,
}

impl Lanes {
    /// Starts `threads - 1` extra lanes (threads with a single-threaded runtime each).
    pub fn start(threads: usize) -> std::io::Result<Lanes> {
        let mut others = Vec::new();
        for lane in 1..threads.max(1) {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()?;
            others.push(rt.handle().clone());
            std::thread::Builder::new()
                .name(format!("router-lane-{lane}"))
                .spawn(move || {
                    crate::upstream::set_lane(lane);
                    rt.block_on(std::future::pending::<()>());
                })?;
        }
        Ok(Lanes {
            others,
            next: std::sync::atomic::AtomicUsize::new(0),
        })
    }

    /// Serves `socket` on the next lane in turn.
    fn serve(&self, router: Arc<Router>, socket: tokio::net::TcpStream, peer: SocketAddr) {
        let n = self.others.len() + 1;
        let lane = self.next.fetch_add(1, std::sync::atomic::Ordering::Relaxed) % n;
        if lane == 0 {
            tokio::spawn(serve_one(router, socket, peer));
            return;
        }
        // A socket belongs to the runtime that registered it: move it over as a std socket.
        let Ok(std_socket) = socket.into_std() else {
            return;
        };
        self.others[lane - 1].spawn(async move {
            if let Ok(socket) = tokio::net::TcpStream::from_std(std_socket) {
                serve_one(router, socket, peer).await;
            }
        });
    }
}

async fn serve_one(router: Arc<Router>, socket: tokio::net::TcpStream, peer: SocketAddr) {
    let permit = Arc::clone(&router.clients).try_acquire_owned();
    match permit {
        Ok(_permit) => session::serve(router, socket, peer).await,
        Err(_) => session::refuse(socket).await,
    }
}

/// Serves clients until `shutdown` completes.
pub async fn run(listener: TcpListener, router: Arc<Router>, lanes: Lanes, shutdown: impl Future) {
    if !router.topology.refresh(&router.pool).await {
        warn!(nodes = ?router.config.nodes, "no seed node answered; retrying in the background");
    }
    tokio::spawn(
        Arc::clone(&router.topology)
            .run_refresher(Arc::clone(&router.pool), router.config.refresh_interval),
    );
    if let Ok(addr) = listener.local_addr() {
        info!(port = addr.port(), "router ready to accept connections");
    }
    let accept = async {
        let mut backoff = Duration::from_millis(1);
        loop {
            match listener.accept().await {
                Ok((socket, peer)) => {
                    backoff = Duration::from_millis(1);
                    let _ = socket.set_nodelay(true);
                    lanes.serve(Arc::clone(&router), socket, peer);
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
        _ = shutdown => info!("router shutting down"),
    }
}

/// `INFO [section ...]`: the router's own sections, a cluster summary and the keyspace
/// (DBSIZE summed over the primaries). `cluster_enabled:0`: clients see one server.
pub fn info(
    router: Arc<Router>,
    argv: Vec<bytes::Bytes>,
    protocol: shoal_common::resp::Protocol,
) -> crate::session::ReplyFuture {
    Box::pin(async move {
        let wanted: Vec<String> = argv[1..]
            .iter()
            .map(|a| String::from_utf8_lossy(a).to_ascii_lowercase())
            .collect();
        let all = wanted.is_empty()
            || wanted
                .iter()
                .any(|w| matches!(w.as_str(), "all" | "everything" | "default"));
        let want = |s: &str| all || wanted.iter().any(|w| w == s);
        let mut text = String::new();
        if want("server") {
            text.push_str(&server_section(&router));
        }
        if want("clients") {
            let n = router
                .stats
                .connected
                .load(std::sync::atomic::Ordering::Relaxed);
            text.push_str(&format!("# Clients\r\nconnected_clients:{n}\r\n\r\n"));
        }
        if want("stats") {
            text.push_str(&stats_section(&router));
        }
        if want("cluster") {
            text.push_str(&cluster_section(&router));
        }
        if want("keyspace") {
            text.push_str("# Keyspace\r\n");
            let keys = keyspace(&router).await;
            if keys > 0 {
                text.push_str(&format!("db0:keys={keys},expires=0,avg_ttl=0\r\n"));
            }
            text.push_str("\r\n");
        }
        let text = text.trim_end_matches("\r\n").to_string() + "\r\n";
        let mut out = bytes::BytesMut::new();
        let f = shoal_common::Frame::Verbatim(*b"txt", bytes::Bytes::from(text));
        shoal_common::resp::encode::encode(&f, protocol, &mut out);
        out.freeze()
    })
}

fn server_section(router: &Router) -> String {
    format!(
        "# Server\r\nredis_version:{}\r\nredis_mode:standalone\r\nshoal_router:1\r\n\
         process_id:{}\r\ntcp_port:{}\r\nuptime_in_seconds:{}\r\n\r\n",
        crate::session::REDIS_VERSION,
        std::process::id(),
        router.config.port,
        router.started.elapsed().as_secs(),
    )
}

fn stats_section(router: &Router) -> String {
    let s = &router.stats;
    let g = |c: &std::sync::atomic::AtomicU64| c.load(std::sync::atomic::Ordering::Relaxed);
    format!(
        "# Stats\r\ntotal_connections_received:{}\r\ntotal_commands_processed:{}\r\n\
         router_moved:{}\r\nrouter_ask:{}\r\nrouter_retries:{}\r\nrouter_upstream_errors:{}\r\n\
         router_topology_refreshes:{}\r\nrouter_upstream_connections:{}\r\n\r\n",
        g(&s.connections),
        g(&s.commands),
        g(&s.moved),
        g(&s.ask),
        g(&s.retries),
        g(&s.upstream_errors),
        g(&router.topology.refreshes),
        router.pool.len(),
    )
}

fn cluster_section(router: &Router) -> String {
    let map = router.topology.current();
    let state = if map.is_complete() { "ok" } else { "fail" };
    let mut text = format!(
        "# Cluster\r\ncluster_enabled:0\r\nrouter_cluster_state:{state}\r\n\
         router_cluster_slots_assigned:{}\r\nrouter_cluster_primaries:{}\r\n",
        map.assigned_slots(),
        map.serving_primaries().count(),
    );
    for (i, shard) in map
        .shards
        .iter()
        .filter(|s| !s.slots.is_empty())
        .enumerate()
    {
        let slots: usize = shard
            .slots
            .iter()
            .map(|&(a, b)| usize::from(b - a) + 1)
            .sum();
        let replicas: Vec<&str> = shard.replicas.iter().map(|r| r.addr.as_str()).collect();
        text.push_str(&format!(
            "router_shard{i}:primary={},slots={slots},replicas={}\r\n",
            shard.primary.addr,
            replicas.join("|"),
        ));
    }
    text.push_str("\r\n");
    text
}

async fn keyspace(router: &Arc<Router>) -> i64 {
    let kind = crate::upstream::Kind {
        protocol: shoal_common::resp::Protocol::Resp2,
        readonly: false,
    };
    let nodes: Vec<String> = router
        .topology
        .current()
        .serving_primaries()
        .map(|n| n.addr.clone())
        .collect();
    let mut total = 0;
    for n in nodes {
        if let Ok(raw) = router.pool.get(&n, kind).call(&["DBSIZE"]).await
            && let shoal_common::Frame::Integer(k) = crate::session::decode_raw(&raw)
        {
            total += k;
        }
    }
    total
}
