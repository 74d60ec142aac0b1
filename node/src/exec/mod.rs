//! The executor: the sole owner of all node state (design §7, model B).
//!
//! Connection tasks do socket I/O and RESP decoding; they send each batch of complete
//! commands here as one [`Event::Batch`]. The executor runs the batch in order, encodes every
//! reply into one buffer and hands it back to the connection, which writes it once. Nothing
//! here awaits while touching state: [`Server::handle`] is synchronous, so the node is a
//! state machine driven by events and a tick, and tests drive it without sockets.

pub mod blocking;
pub mod client;
pub mod cluster;
pub mod evict;
pub mod monitor;
pub mod multi;
pub mod notify;
pub mod pause;
pub mod pipeline;
pub mod pubsub;
pub mod slowlog;

use std::collections::HashMap;
use std::time::{Duration, Instant};

use bytes::{Bytes, BytesMut};
use rand::SeedableRng;
use rand::rngs::SmallRng;
use shoal_common::Frame;
use shoal_common::ReplyError;
use shoal_common::command::CommandSpec;
use shoal_common::resp::ProtocolError;
use shoal_common::resp::encode::encode;
use tokio::sync::mpsc;

use crate::clock::Clock;
use crate::config::Config;
use crate::db::Db;
pub use client::{Client, ClientId, Out, Output};

/// Rehash steps per map per cron tick: finishes a resize of an idle database within seconds
/// while bounding the tick's cost.
const CRON_REHASH_STEPS: usize = 100;

/// Replies longer than this end a chain of shared clock readings (`CmdTimes`): the next
/// command reads the clock itself rather than start before the encoding.
const CHAIN_MAX_REPLY: usize = 16 * 1024;
/// Reply buffer reserved per pending command of a batch (a status, integer or short bulk).
const REPLY_ESTIMATE_BYTES: usize = 16;

/// What connection tasks and timers send to the executor.
#[derive(Debug)]
pub enum Event {
    /// A new connection.
    Connect(Box<Client>),
    /// Complete commands read from a client, in order; `error` is a protocol error that
    /// followed them (reply with it, then close).
    Batch {
        /// The client.
        id: ClientId,
        /// The commands.
        cmds: Vec<Vec<Bytes>>,
        /// A protocol error after the commands.
        error: Option<ProtocolError>,
    },
    /// The connection closed.
    Disconnect(ClientId),
    /// A master link task's report (replica side).
    Repl {
        /// The link generation it belongs to.
        generation: u64,
        /// What happened.
        event: crate::replication::replica::ReplEvent,
    },
    /// A message from the cluster bus (cluster mode).
    Bus(Box<crate::cluster::bus::transport::Inbound>),
    /// A node's inbound cluster bus link closed (cluster mode).
    BusLinkClosed(crate::cluster::NodeId),
    /// A MIGRATE transfer finished (cluster::migrate).
    MigrateDone(Box<crate::cluster::migrate::Done>),
}

/// Per-command statistics (INFO commandstats).
#[derive(Debug, Default, Clone, Copy)]
pub struct CommandStats {
    /// Calls that ran.
    pub calls: u64,
    /// Microseconds spent.
    pub usec: u64,
    /// Rejected before running (arity, auth, redirect...).
    pub rejected_calls: u64,
    /// Ran and replied with an error.
    pub failed_calls: u64,
}

/// Clock readings handed along the command path so that a command costs one clock read
/// (`pipeline.rs`): each field is taken by its one consumer right after it is set.
#[derive(Debug, Default)]
pub struct CmdTimes {
    /// Set by `drain_pending` to the previous command's end: the next command's start.
    pub next_start: Option<Instant>,
    /// Set by `process_one` for the `call` it makes: the start and its Unix ms.
    pub call_start: Option<(Instant, i64)>,
    /// Set by a top-level `call` when it finishes.
    pub last_end: Option<Instant>,
}

/// [`CommandStats`] of every row of the command table, indexed by row (`CommandId` is the
/// row number): the per-call update is an index, not a lookup by name.
#[derive(Debug)]
pub struct CommandStatsTable(Vec<CommandStats>);

impl Default for CommandStatsTable {
    fn default() -> Self {
        CommandStatsTable(vec![
            CommandStats::default();
            shoal_common::command::COMMANDS.len()
        ])
    }
}

impl CommandStatsTable {
    /// The statistics of `spec`.
    pub fn get_mut(&mut self, spec: &CommandSpec) -> &mut CommandStats {
        &mut self.0[spec.id as usize]
    }

    /// (full name, statistics) of every command counted since the last reset, in table order.
    pub fn iter(&self) -> impl Iterator<Item = (&'static str, &CommandStats)> {
        shoal_common::command::COMMANDS
            .iter()
            .zip(&self.0)
            .filter(|(_, s)| s.calls + s.rejected_calls + s.failed_calls > 0)
            .map(|(spec, s)| (spec.name, s))
    }
}

/// Server-wide counters (INFO stats).
#[derive(Debug, Default)]
pub struct Stats {
    /// Connections accepted.
    pub total_connections_received: u64,
    /// Commands processed.
    pub total_commands_processed: u64,
    /// Per command (updated on every call).
    pub commands: CommandStatsTable,
    /// Error replies by code (INFO errorstats).
    pub errors: HashMap<String, u64>,
    /// Connections refused over maxclients.
    pub rejected_connections: u64,
    /// Keyspace hits.
    pub keyspace_hits: u64,
    /// Keyspace misses.
    pub keyspace_misses: u64,
}

/// All state of one node.
#[derive(Debug)]
pub struct Server {
    /// Configuration (CONFIG GET/SET).
    pub config: Config,
    /// The directives read per command, parsed; kept current by `config_changed`.
    pub hot: crate::config::Hot,
    /// Logical databases (16 standalone, 1 in cluster mode).
    pub dbs: Vec<Db>,
    /// Every connected client except the one whose command is running.
    /// (foldhash: looked up twice per batch.)
    pub clients: HashMap<ClientId, Box<Client>, foldhash::fast::RandomState>,
    /// Counters.
    pub stats: Stats,
    /// Time.
    pub clock: Clock,
    /// Randomness (RANDOMKEY, expiry sampling).
    pub rng: SmallRng,
    /// Start time, Unix ms.
    pub started_ms: i64,
    /// Memory at startup and at its peak (INFO memory, MEMORY STATS).
    pub mem_track: crate::memory::Track,
    /// 40 hex characters, new at every start (INFO run_id).
    pub run_id: String,
    /// The port clients connect to.
    pub port: u16,
    /// The client listener (CONFIG SET port/bind move it). `None` when there is no accept
    /// loop (tests).
    pub listener: Option<std::sync::Arc<crate::server::ListenerSlot>>,
    /// Set by SHUTDOWN: the executor stops after the current batch.
    pub shutdown_requested: bool,
    /// Last time the stats were reset (CONFIG RESETSTAT), Unix ms.
    pub stat_reset_ms: i64,
    /// Active expiry on or off (DEBUG SET-ACTIVE-EXPIRE).
    pub active_expire_enabled: bool,
    /// Replication state (both roles).
    pub repl: crate::replication::ReplState,
    /// The pseudo-client our master's stream runs as, when we are a replica.
    pub master_client: Option<Box<Client>>,
    /// The executor's own event channel, for tasks that report back (replication links,
    /// snapshot senders). `None` when the executor is driven directly (unit tests).
    pub events: Option<mpsc::UnboundedSender<Event>>,
    /// WATCHed keys (`multi.rs`).
    pub watches: multi::Watches,
    /// Pub/sub subscriptions (`pubsub.rs`).
    pub pubsub: pubsub::PubSub,
    /// Connection limits shared with the connection tasks; kept current by `config_changed`.
    pub limits: std::sync::Arc<crate::connection::Limits>,
    /// `notify-keyspace-events` parsed (`notify.rs`); kept current by `config_changed`.
    pub notify_flags: u32,
    /// `CLIENT PAUSE` in force, if any (exec::pause).
    pub pause: Option<pause::Pause>,
    /// Set when a pause ended: postponed clients run after the current batch.
    pub resume_postponed: bool,
    /// Set by `process_command` when it postponed the command instead of running it.
    pub postponed_current: bool,
    /// Clients in MONITOR mode (exec::monitor).
    pub monitors: Vec<ClientId>,
    /// The slow log (exec::slowlog).
    pub slowlog: slowlog::SlowLog,
    /// Clock readings shared along the command path (see [`CmdTimes`]).
    pub cmd_times: CmdTimes,
    /// Time of the last successful save, Unix seconds (`LASTSAVE`; the start time until
    /// persistence exists).
    pub lastsave_s: i64,
    /// Clients blocked on keys, ready keys, timeouts ([`blocking`]).
    pub blocking: blocking::Blocking,
    /// Cluster state, in cluster mode (`cluster-enabled yes`).
    pub cluster: Option<crate::cluster::ClusterState>,
    /// Where nodes.conf lives (cluster mode).
    pub nodes_conf_path: std::path::PathBuf,
    /// The open, `flock`ed nodes.conf (cluster::nodes_conf::lock), held for the process's life.
    pub nodes_conf_lock: Option<std::fs::File>,
    /// Bus effects produced by commands, applied after the command (see `exec::cluster`).
    pub pending_bus_effects: Vec<crate::cluster::bus::Effects>,
    /// Cluster persistence batching (exec::cluster::Iteration): one nodes.conf save per
    /// event-loop iteration, with the replies and bus messages that must wait for it.
    pub cluster_iter: cluster::Iteration,
    /// Outbound bus messages go to the transport through this channel (None in tests and
    /// standalone mode: messages are dropped).
    pub bus_tx: Option<mpsc::UnboundedSender<crate::cluster::bus::Outbound>>,
    /// Cached connections to MIGRATE targets.
    pub migrate_pool: crate::cluster::migrate::Pool,
    /// Keys a MIGRATE is moving right now: commands on them get TRYAGAIN.
    pub keys_in_flight: std::collections::HashSet<Bytes>,
    /// `maxmemory` enforcement (exec::evict).
    pub evict: evict::Eviction,
    /// Access-clock rules from the configuration; each command adds its time and client.
    pub access_base: crate::db::access::AccessClock,
    /// The Lua VM and the script cache (`crate::script`).
    pub scripting: crate::script::Scripting,
    /// The executor's event receiver while [`run`] owns the node (a long script serves
    /// events through it, `script::busy`).
    pub inbox: Option<mpsc::UnboundedReceiver<Event>>,
}

/// What a command handler gets: the node and the calling client.
pub struct Ctx<'a> {
    /// The node.
    pub srv: &'a mut Server,
    /// The caller.
    pub client: &'a mut Client,
    /// Time of the command, Unix ms (one snapshot per command, as Redis's
    /// `commandTimeSnapshot`).
    pub now_ms: i64,
    /// Set by a handler that answers later or never (PSYNC, REPLCONF ACK, WAIT).
    pub no_reply: bool,
    /// Set by a handler whose effect must reach replicas in another form than its own argv
    /// (empty: nothing to propagate). A read-only command that changed a value anyway
    /// (PFCOUNT storing its count, flagged `may_replicate`) is propagated when it sets it.
    pub propagate_as: Option<Vec<Vec<Bytes>>>,
}

impl Ctx<'_> {
    /// The caller's selected database.
    pub fn db(&mut self) -> &mut Db {
        &mut self.srv.dbs[self.client.db]
    }

    /// Records that `key` in the caller's database was modified (Redis
    /// `signalModifiedKey`): invalidates WATCH (`multi.rs`); blocking wake-ups hang here too.
    pub fn signal_modified_key(&mut self, key: &[u8]) {
        let db = self.client.db;
        self.signal_modified_key_in(db, key);
    }

    /// [`Ctx::signal_modified_key`] for a key in database `db` (MOVE, COPY ... DB).
    pub fn signal_modified_key_in(&mut self, db: usize, key: &[u8]) {
        self.srv.touch_watched_key(self.client, db, key);
        self.srv.blocking.signal_key_as_ready(db, key);
    }

    /// Publishes a keyspace event of class `class` (the letter of `notify-keyspace-events`:
    /// `b'g'`, `b'$'`, `b'l'`, ...) for `key` in the caller's database (Redis
    /// `notifyKeyspaceEvent`, see `notify.rs`). Pending `expired` events go first.
    pub fn notify(&mut self, class: u8, event: &str, key: &[u8]) {
        let db = self.client.db;
        self.notify_in(db, class, event, key);
    }

    /// [`Ctx::notify`] for a key in database `db` (MOVE, COPY ... DB).
    pub fn notify_in(&mut self, db: usize, class: u8, event: &str, key: &[u8]) {
        let flag = notify::class_flag(class);
        if self.srv.notify_flags & flag == 0 {
            // Nothing to publish; the expiry log is drained after the command anyway.
            return;
        }
        self.srv.drain_expired(self.client);
        self.srv
            .notify_keyspace_event(Some(self.client), flag, event, key, db);
    }

    /// FLUSHDB/FLUSHALL/SWAPDB hook: call before database `db` is emptied (or swapped with
    /// `replaced_with`); invalidates the WATCHes it affects (Redis `signalFlushedDb`).
    pub fn signal_flushed_db(&mut self, db: usize, replaced_with: Option<usize>) {
        let now = self.now_ms;
        self.srv
            .touch_all_watched_keys_in_db(self.client, db, replaced_with, now);
    }
}

/// 40 random lowercase hex characters (run ids, replication ids, EOF marks).
pub fn random_hex40(rng: &mut impl rand::Rng) -> String {
    (0..40)
        .map(|_| char::from_digit(rng.random_range(0..16), 16).unwrap_or('0'))
        .collect()
}

impl Server {
    /// A node with `config`, its databases empty.
    pub fn new(config: Config, clock: Clock) -> Server {
        let cluster = config.get_bool("cluster-enabled");
        let ndb = if cluster {
            1
        } else {
            usize::try_from(config.get_i64("databases")).unwrap_or(16)
        };
        let mut rng = SmallRng::from_os_rng();
        let now = clock.now_ms();
        let port = u16::try_from(config.get_i64("port")).unwrap_or(6379);
        let replid = random_hex40(&mut rng);
        let cluster_state = cluster.then(|| cluster::fresh_state(&config, &mut rng, now));
        let nodes_conf_path = std::path::PathBuf::from(config.get_str("cluster-config-file"));
        let mut srv = Server {
            cluster: cluster_state,
            nodes_conf_path,
            nodes_conf_lock: None,
            pending_bus_effects: Vec::new(),
            cluster_iter: cluster::Iteration::default(),
            bus_tx: None,
            migrate_pool: crate::cluster::migrate::Pool::default(),
            keys_in_flight: std::collections::HashSet::new(),
            evict: evict::Eviction::default(),
            access_base: crate::db::access::AccessClock::default(),
            scripting: crate::script::Scripting::new(),
            inbox: None,
            dbs: (0..ndb).map(|_| Db::new(cluster)).collect(),
            clients: HashMap::default(),
            stats: Stats::default(),
            repl: crate::replication::ReplState::new(replid),
            master_client: None,
            events: None,
            run_id: random_hex40(&mut rng),
            rng,
            started_ms: now,
            port,
            listener: None,
            shutdown_requested: false,
            stat_reset_ms: now,
            active_expire_enabled: true,
            watches: multi::Watches::default(),
            pubsub: pubsub::PubSub::default(),
            notify_flags: 0,
            limits: std::sync::Arc::new(crate::connection::Limits::from_config(&config)),
            pause: None,
            resume_postponed: false,
            postponed_current: false,
            monitors: Vec::new(),
            slowlog: slowlog::SlowLog::default(),
            cmd_times: CmdTimes::default(),
            lastsave_s: now / 1000,
            blocking: blocking::Blocking::default(),
            clock,
            hot: crate::config::Hot::from_config(&config),
            config,
            mem_track: crate::memory::Track::default(),
        };
        let log_signal = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
        for db in &mut srv.dbs {
            db.share_log_signal(log_signal.clone());
        }
        srv.config_changed();
        srv.mem_track.startup = srv.used_memory();
        srv
    }

    /// Bytes allocated now (a jemalloc reading, about 40 µs), noted for the peak.
    pub fn used_memory(&mut self) -> u64 {
        let used = crate::memory::used_bytes();
        self.mem_track.peak = self.mem_track.peak.max(used);
        used
    }

    /// Re-reads the directives the running node caches (call after CONFIG SET):
    /// [`crate::config::Hot`], connection limits, `notify-keyspace-events`.
    pub fn config_changed(&mut self) {
        self.hot = crate::config::Hot::from_config(&self.config);
        self.limits.update(&self.config);
        let flags = notify::parse_flags(self.config.get_str("notify-keyspace-events")).unwrap_or(0);
        self.notify_flags = flags;
        for db in &mut self.dbs {
            db.log_new_keys = flags & notify::NOTIFY_NEW != 0;
        }
        self.eviction_config_changed();
        if let Some(st) = self.cluster.as_mut() {
            cluster::apply_config(st, &self.config);
        }
    }

    /// True in cluster mode.
    pub fn cluster_enabled(&self) -> bool {
        self.config.get_bool("cluster-enabled")
    }

    /// Handles one event.
    pub fn handle(&mut self, ev: Event) {
        match ev {
            Event::Connect(mut client) => {
                self.stats.total_connections_received += 1;
                // `requirepass` as it is now, not as it was when the listener started.
                client.authenticated = self.config.get_str("requirepass").is_empty();
                client.publish_auth();
                let maxclients =
                    usize::try_from(self.config.get_i64("maxclients")).unwrap_or(10000);
                if self.clients.len() >= maxclients {
                    self.stats.rejected_connections += 1;
                    let mut out = BytesMut::new();
                    encode(
                        &Frame::error("ERR max number of clients reached"),
                        client.protocol,
                        &mut out,
                    );
                    client.send(out);
                    client.close();
                    return;
                }
                self.clients.insert(client.id, client);
            }
            Event::Disconnect(id) => {
                if let Some(mut c) = self.clients.remove(&id) {
                    self.forget_client(&mut c);
                }
                self.repl.replicas.retain(|r| r.client_id != id);
                self.repl.waits.retain(|w| w.client_id != id);
                self.monitors.retain(|m| *m != id);
            }
            Event::Batch { id, cmds, error } => self.handle_batch(id, cmds, error),
            Event::Repl { generation, event } => self.handle_repl_event(generation, event),
            Event::Bus(inbound) => self.handle_bus(*inbound),
            Event::BusLinkClosed(id) => self.bus_link_closed(id),
            Event::MigrateDone(done) => self.migrate_done(*done),
        }
    }

    /// Runs a batch of commands from one client and sends the replies in one buffer.
    /// Commands of a client postponed by `CLIENT PAUSE` wait in `Client::postponed`; a
    /// blocked client's commands wait in its pending queue until it is unblocked
    /// (exec::blocking).
    pub fn handle_batch(
        &mut self,
        id: ClientId,
        cmds: Vec<Vec<Bytes>>,
        error: Option<ProtocolError>,
    ) {
        let Some(mut client) = self.clients.remove(&id) else {
            return;
        };
        if !client.postponed.is_empty() {
            client.postponed.extend(cmds);
            if error.is_some() {
                client.postponed_error = error;
            }
            self.clients.insert(id, client);
            return;
        }
        let pending = &mut client.bstate.pending;
        if pending.is_empty() {
            *pending = cmds.into();
        } else {
            pending.extend(cmds);
        }
        if error.is_some() {
            client.bstate.pending_error = error;
        }
        if client.bstate.blocked {
            self.clients.insert(id, client);
            return;
        }
        let out = self.drain_pending(&mut client);
        self.finish_client_run(client, out);
        if self.resume_postponed {
            let now = self.clock.now_ms();
            self.check_pause(now);
        }
    }

    /// Runs `client`'s pending commands until they are done, one blocks or one is
    /// postponed by `CLIENT PAUSE`; returns the encoded replies.
    fn drain_pending(&mut self, client: &mut Client) -> BytesMut {
        // Sized for the batch's small replies up front: growing from empty would reallocate
        // a handful of times per batch.
        let mut out = BytesMut::with_capacity(
            (client.bstate.pending.len() * REPLY_ESTIMATE_BYTES).clamp(64, CHAIN_MAX_REPLY),
        );
        // Each command starts when the previous one of this run ended (one clock read per
        // command); only an end recorded in this loop is used, never a stale one.
        self.cmd_times.last_end = None;
        let mut ran_cost = 0;
        while !client.bstate.blocked {
            let Some(argv) = client.bstate.pending.pop_front() else {
                break;
            };
            self.cmd_times.next_start = self.cmd_times.last_end.take();
            let out_before = out.len();
            let reply = self.process_command(client, &argv);
            if std::mem::take(&mut self.postponed_current) {
                client.postponed.push_back(argv);
                let rest = std::mem::take(&mut client.bstate.pending);
                pause::postpone_rest(client, rest);
                client.postponed_error = client.bstate.pending_error.take();
                break;
            }
            ran_cost += crate::connection::command_cost(&argv);
            // Pushes produced during the command (its own messages) precede its reply.
            for f in client.deferred.drain(..) {
                encode(&f, client.protocol, &mut out);
            }
            // CLIENT REPLY OFF / SKIP (Redis `prepareClientToWrite`, `resetClient`).
            if let Some(reply) = reply
                && !client.reply_off
                && !client.reply_skip
            {
                encode(&reply, client.protocol, &mut out);
            }
            if !client.raw_out.is_empty() {
                out.extend_from_slice(&client.raw_out);
                client.raw_out.clear();
            }
            if out.len() - out_before > CHAIN_MAX_REPLY {
                // Encoding a big reply takes time the next command must not be charged.
                self.cmd_times.last_end = None;
            }
            client.reply_skip = std::mem::take(&mut client.reply_skip_next);
            if client.close_after_reply || self.shutdown_requested {
                client.bstate.pending.clear();
                break;
            }
        }
        if !client.bstate.blocked
            && client.bstate.pending.is_empty()
            && let Some(err) = client.bstate.pending_error.take()
        {
            encode(&Frame::error(err.reply_text()), client.protocol, &mut out);
            client.close_after_reply = true;
        }
        client.release_input(ran_cost);
        out
    }

    /// Sends `out` to `client` and puts it back in the table (or closes it).
    fn finish_client_run(&mut self, mut client: Box<Client>, out: BytesMut) {
        // Cluster changes are persisted before any reply leaves (design §8): inside an
        // event-loop iteration the reply waits for the iteration's save.
        self.after_cluster_change();
        if client.close_after_reply {
            self.flush_cluster_changes();
        }
        if self.must_hold_reply() {
            self.hold_reply(client.output(), out);
        } else {
            client.send(out);
        }
        client.publish_auth();
        if client.close_after_reply {
            client.close();
            self.forget_client(&mut client);
            let id = client.id;
            self.monitors.retain(|m| *m != id);
        } else {
            self.clients.insert(client.id, client);
        }
    }

    /// Removes what the node keeps for a client that is going away: subscriptions and
    /// watched keys (its MULTI state goes with the `Client`).
    pub fn forget_client(&mut self, client: &mut Client) {
        self.blocking.forget(client.id);
        self.forget_subscriptions(client);
        self.unwatch_all(client);
    }

    /// Sends the reply of a command that ran off the executor (MIGRATE: the client was
    /// marked blocked without a blocking-table entry) and runs the commands that waited in
    /// its pending queue.
    pub fn resume_client(&mut self, id: ClientId, reply: Frame) {
        let Some(client) = self.clients.get_mut(&id) else {
            return;
        };
        client.bstate.blocked = false;
        let mut out = BytesMut::new();
        encode(&reply, client.protocol, &mut out);
        let output = client.output();
        if self.must_hold_reply() {
            self.hold_reply(output, out);
        } else {
            output.send(out);
        }
        self.handle_batch(id, Vec::new(), None);
    }

    /// Periodic work (Redis `serverCron`): active expiry (primaries only: replicas get the
    /// primary's deletes), replication pings and WAIT timeouts.
    pub fn cron(&mut self) {
        self.handle_blocked_timeouts();
        self.replication_cron();
        for db in &mut self.dbs {
            db.rehash_steps(CRON_REHASH_STEPS);
        }
        self.cluster_cron();
        self.redirect_blocked_clients();
        let now = self.clock.now_ms();
        self.check_pause(now);
        self.eviction_cron();
        self.used_memory();
        if !self.active_expire_enabled || self.repl.is_replica() || self.writes_paused(now) {
            return;
        }
        let deadline = Instant::now() + crate::db::expire::ACTIVE_EXPIRE_BUDGET;
        for db in &mut self.dbs {
            // The deleted keys are in each db's expired log: drained (and propagated) below.
            crate::db::expire::active_expire_cycle(db, now, &mut self.rng, deadline);
        }
        if self.dbs.iter().any(|db| !db.expired_log.is_empty()) {
            // No client runs a command here; a detached placeholder stands in as "current".
            let mut none = Client::detached();
            self.drain_expired(&mut none);
        }
    }

    /// Runs one command for a client with no connection (tests, replication apply).
    pub fn run_for_test(&mut self, client: &mut Client, argv: &[&str]) -> Frame {
        let argv: Vec<Bytes> = argv
            .iter()
            .map(|a| Bytes::copy_from_slice(a.as_bytes()))
            .collect();
        self.process_command(client, &argv).unwrap_or(Frame::Null)
    }

    /// Counts an error reply in INFO errorstats.
    pub(crate) fn record_error(&mut self, err: &ReplyError) {
        *self.stats.errors.entry(err.code()).or_default() += 1;
    }
}

/// Sleeps until the nearest blocked client's deadline (forever if there is none).
async fn blocking_timer(srv: &Server) {
    match srv.blocking.next_deadline_ms() {
        Some(deadline) => {
            let wait_ms = u64::try_from(deadline - srv.clock.now_ms()).unwrap_or(0);
            tokio::time::sleep(Duration::from_millis(wait_ms)).await;
        }
        None => std::future::pending().await,
    }
}

/// Ready at once while a full-sync snapshot can take its next slice, in a millisecond while
/// its replicas' connections drain.
async fn snapshot_pacer(srv: &Server) {
    if !srv.snapshot_ready() {
        tokio::time::sleep(Duration::from_millis(1)).await;
    }
}

/// What woke the executor loop.
enum Wake {
    Event(Option<Event>),
    Tick,
    Timer,
    Snapshot,
}

/// One iteration over queued events (`first` already taken off the queue, then up to `more`
/// from it): they run before the timer is looked at again, and cluster changes are saved once
/// at the end (Redis `beforeSleep`).
fn handle_queued(srv: &mut Server, first: Option<Event>, more: usize) {
    srv.cluster_iter.active = true;
    let mut handled = 0;
    if let Some(ev) = first {
        srv.handle(ev);
        handled += 1;
    }
    let mut taken = 0;
    while !srv.shutdown_requested
        && taken < more
        && let Some(ev) = srv.inbox.as_mut().and_then(|rx| rx.try_recv().ok())
    {
        taken += 1;
        srv.handle(ev);
        handled += 1;
        if handled % cluster::ITERATION_MAX_EVENTS == 0 {
            srv.flush_cluster_changes();
        }
    }
    srv.cluster_iter.active = false;
    srv.flush_cluster_changes();
}

/// The executor task: owns `srv` and serves events until every sender is gone or SHUTDOWN.
/// The receiver lives in `srv.inbox` so that a long script can serve events while it runs
/// (`script::busy`).
pub async fn run(mut srv: Server, rx: mpsc::UnboundedReceiver<Event>) -> Server {
    let hz = u64::try_from(srv.config.get_i64("hz").clamp(1, 500)).unwrap_or(10);
    let mut tick = tokio::time::interval(Duration::from_millis(1000 / hz));
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    srv.inbox = Some(rx);
    let mut snapshot_turn = false;
    loop {
        let Some(mut rx) = srv.inbox.take() else {
            break;
        };
        // While a snapshot runs its tick is always ready: it alternates with the clients'
        // events (each turn serves everything queued), so a command waits for at most one
        // tick and the snapshot still progresses under any load. The cron and blocked-client
        // timers go first whenever they are due.
        let snapshot = srv.repl.snapshot.is_some();
        let snapshot_first = std::mem::take(&mut snapshot_turn);
        let wake = tokio::select! {
            biased;
            _ = tick.tick() => Wake::Tick,
            () = blocking_timer(&srv) => Wake::Timer,
            () = snapshot_pacer(&srv), if snapshot && snapshot_first => Wake::Snapshot,
            ev = rx.recv() => Wake::Event(ev),
            () = snapshot_pacer(&srv), if snapshot && !snapshot_first => Wake::Snapshot,
        };
        srv.inbox = Some(rx);
        match wake {
            Wake::Event(None) => break,
            Wake::Event(Some(ev)) => {
                handle_queued(&mut srv, Some(ev), usize::MAX);
                if srv.repl.snapshot.is_some() {
                    snapshot_turn = true;
                    // Let the connections write these replies before the next tick.
                    tokio::task::yield_now().await;
                }
            }
            Wake::Tick => {
                // As Redis's event loop runs the file events a poll returned before the
                // time events: what arrived while this task waited (a cluster PONG after the
                // process was descheduled for a while) is handled before the cron judges how
                // long a peer has been silent.
                // Only what is queued now: a steady stream of events cannot starve the cron.
                let queued = srv.inbox.as_ref().map_or(0, mpsc::UnboundedReceiver::len);
                handle_queued(&mut srv, None, queued);
                if !srv.shutdown_requested {
                    srv.cron();
                }
            }
            Wake::Timer => srv.handle_blocked_timeouts(),
            Wake::Snapshot => {
                srv.snapshot_tick();
                // The snapshot is always ready for another tick: without a yield this task
                // would keep the worker until tokio's budget runs out, and connections on the
                // same worker (clients, the replica's writer) would wait milliseconds.
                tokio::task::yield_now().await;
            }
        }
        if srv.shutdown_requested {
            break;
        }
    }
    for client in srv.clients.values() {
        client.close();
    }
    srv
}
