//! Shoal's router crate: the router (one Redis endpoint in front of a whole cluster, for
//! clients that do not speak cluster: a plain `redis.Redis(host, port)`, Django's cache,
//! redis-cli without `-c`) and the cluster administration tool, which share the
//! cluster-aware client side.
//!
//! # Layout
//!
//! - [`admin`]: `shoal-admin` (create, check, info, fix, reshard, rebalance, add-node,
//!   del-node, failover, call), the counterpart of `redis-cli --cluster`. Its binary is
//!   `src/bin/shoal-admin.rs`; a separate binary keeps the router's `main` a server only.
//! - [`server`]: accept loop with backoff and a connection limit (mini-redis `Listener`).
//! - [`batch`]: the commands of one client read grouped per node, answered in order.
//! - [`session`]: one task per client: decode, route, forward, merge, reply in order;
//!   the local commands (HELLO, AUTH, CLIENT, SELECT, INFO, SCAN's composite cursor) and the
//!   stateful ones (MULTI/EXEC/WATCH pinned to one node, blocking commands on a connection of
//!   their own).
//! - [`pubsub`]: SUBSCRIBE/PSUBSCRIBE/SSUBSCRIBE through dedicated upstream links, RESP2/3.
//! - [`route`]: the routing decision, derived from the command table's key specs and tips.
//! - [`split`] / [`aggregate`]: multi-slot MGET/MSET/DEL/... split per slot, replies merged.
//! - [`topology`]: the slot map snapshot, refreshed on MOVED and on a timer.
//! - [`upstream`]: per-node pipelined connections shared by all sessions (a `DashMap` pool).
//! - [`retry`]: MOVED / ASK / TRYAGAIN / CLUSTERDOWN / LOADING handling, bounded.
//! - [`error`]: operating errors with their source and retry decision.
//!
//! # The life of a request
//!
//! The session decodes every complete request in its buffer. For each, in order, it either
//! answers locally, or appends a single-slot command to the current read's group for the
//! owning node ([`batch`]), or (multi-slot, fan-out, blocking, transactions) first queues
//! the open groups and then *enqueues* the command on its connection at once (so commands
//! of one client to one node keep their order). After the read, every group goes to its
//! node's shared connection as one request, and the writer task gets the read's reply slots
//! as one chunk. The writer answers them in request order and writes them with one syscall,
//! so a client's pipeline is answered in order while its commands to different nodes run in
//! parallel, and a slow node delays only the replies that wait for it.

pub mod admin;
pub mod aggregate;
pub mod batch;
pub mod error;
pub mod pubsub;
pub mod retry;
pub mod route;
pub mod server;
pub mod session;
pub mod split;
pub mod topology;
pub mod upstream;

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use topology::Topology;
use upstream::{ConnOptions, Pool};

/// Which nodes serve reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum ReadFrom {
    /// Every command goes to the slot's primary.
    #[default]
    Primary,
    /// `readonly` commands go to a healthy replica of the slot (connections send READONLY).
    Replicas,
}

/// What EXEC does with a transaction whose commands span slots (without WATCH).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum MultiCrossSlot {
    /// `CROSSSLOT` at the first command naming another slot, then `EXECABORT`: as a cluster
    /// node behaves, and the only choice that keeps MULTI atomic.
    #[default]
    Refuse,
    /// Run the queued commands one by one through the router, in order, and answer their
    /// replies as EXEC's array: not atomic. For clients that wrap unrelated writes in
    /// MULTI (redis-py's default pipeline, hence Django's `set_many`).
    BestEffort,
}

/// Router settings (command line or config file).
#[derive(Debug, Clone)]
pub struct Config {
    /// Address to listen on.
    pub bind: String,
    /// Port to listen on (0: any free port).
    pub port: u16,
    /// Seed nodes, `host:port`.
    pub nodes: Vec<String>,
    /// The router's own password (`AUTH`, `HELLO AUTH`); empty: none.
    pub requirepass: Option<String>,
    /// Username for the nodes.
    pub node_user: Option<String>,
    /// Password for the nodes.
    pub node_password: Option<String>,
    /// Where reads go.
    pub read_from: ReadFrom,
    /// Bound on a node's answer before the router gives up on it, and on the retries of one
    /// command (TRYAGAIN, CLUSTERDOWN, an unreachable node: a failover in progress).
    pub timeout: Duration,
    /// Topology refresh period.
    pub refresh_interval: Duration,
    /// Most clients served at once.
    pub maxclients: usize,
    /// Cross-slot transactions.
    pub multi_cross_slot: MultiCrossSlot,
    /// Lanes: threads, each with a single-threaded runtime and its own upstream connections.
    pub threads: usize,
    /// The `pubsub` class of `client-output-buffer-limit`: how much a subscriber may leave
    /// unread before it is disconnected.
    pub pubsub_limit: shoal_common::obuf::ObufLimit,
}

/// Redis's default `client-output-buffer-limit` classes.
pub fn redis_default_limits() -> shoal_common::obuf::ObufLimits {
    use shoal_common::obuf::{ObufLimits, REDIS_DEFAULT};
    ObufLimits::parse(ObufLimits::default(), REDIS_DEFAULT)
        .expect("invariant: the default directive parses")
}

impl Default for Config {
    fn default() -> Self {
        Config {
            bind: "127.0.0.1".into(),
            port: 7777,
            nodes: Vec::new(),
            requirepass: None,
            node_user: None,
            node_password: None,
            read_from: ReadFrom::Primary,
            timeout: Duration::from_secs(5),
            refresh_interval: Duration::from_secs(5),
            maxclients: 10_000,
            multi_cross_slot: MultiCrossSlot::Refuse,
            threads: std::thread::available_parallelism().map_or(1, std::num::NonZero::get),
            pubsub_limit: redis_default_limits().pubsub,
        }
    }
}

/// Counters shown by INFO.
#[derive(Debug, Default)]
pub struct Stats {
    /// Client connections accepted.
    pub connections: AtomicU64,
    /// Clients connected now.
    pub connected: AtomicU64,
    /// Commands processed.
    pub commands: AtomicU64,
    /// MOVED replies seen.
    pub moved: AtomicU64,
    /// ASK replies seen.
    pub ask: AtomicU64,
    /// TRYAGAIN / CLUSTERDOWN / LOADING retries.
    pub retries: AtomicU64,
    /// Upstream errors turned into client errors.
    pub upstream_errors: AtomicU64,
}

impl Stats {
    /// Adds one to a counter.
    pub fn bump(c: &AtomicU64) {
        c.fetch_add(1, Ordering::Relaxed);
    }
}

/// State shared by every session.
pub struct Router {
    /// Settings.
    pub config: Config,
    /// The slot map.
    pub topology: Arc<Topology>,
    /// Shared upstream connections.
    pub pool: Arc<Pool>,
    /// Counters.
    pub stats: Stats,
    /// Next client id.
    pub next_client_id: AtomicU64,
    /// Start time (INFO uptime).
    pub started: Instant,
    /// Client slots (`maxclients`).
    pub clients: Arc<tokio::sync::Semaphore>,
}

impl Router {
    /// Builds the shared state (no I/O yet).
    pub fn new(config: Config) -> Arc<Router> {
        let auth = config
            .node_password
            .clone()
            .map(|p| (config.node_user.clone(), p));
        let pool = Arc::new(Pool::new(ConnOptions {
            auth,
            connect_timeout: config.timeout.min(Duration::from_secs(2)),
            reply_timeout: Some(config.timeout),
        }));
        Arc::new(Router {
            topology: Arc::new(Topology::new(config.nodes.clone())),
            pool,
            stats: Stats::default(),
            next_client_id: AtomicU64::new(1),
            started: Instant::now(),
            clients: Arc::new(tokio::sync::Semaphore::new(config.maxclients)),
            config,
        })
    }
}
