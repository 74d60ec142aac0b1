//! Cluster state: who the nodes are, which node serves each of the 16384 hash slots, the open
//! (migrating/importing) slots and the epochs (Redis `cluster_legacy.c`'s `clusterState`).
//!
//! The executor owns one [`ClusterState`] in cluster mode. Client commands (`cmd::cluster`)
//! and the bus state machine ([`bus`]) are the only writers; every change that must survive a
//! restart sets [`ClusterState::save_pending`], and the executor writes `nodes.conf`
//! ([`nodes_conf`]) before it answers anything else.
//!
//! Invariants (checked by [`ClusterState::check_invariants`] in debug and simulation builds):
//! - `myself` is in `nodes` and carries the MYSELF flag; no other node does;
//! - every slot owner is a known node;
//! - an open slot (migrating/importing) names a known node other than myself;
//! - `current_epoch` is at least every known config epoch;
//! - myself has a shard id (Redis 7.2's `shard_id`): random when the node is created, kept in
//!   nodes.conf, a replica's is its primary's once it knows it (see [`ShardId`]).

pub mod bus;
pub mod migrate;
pub mod nodes_conf;
pub mod redirect;
pub mod render;
pub mod slots;

use std::collections::{BTreeMap, HashMap};
use std::fmt;

use rand::Rng;
use shoal_common::slot::SLOT_COUNT;

pub use slots::{SlotBitmap, SlotTable};

/// A node id: 40 lowercase hex characters.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct NodeId([u8; 40]);

impl NodeId {
    /// A fresh random id.
    pub fn random(rng: &mut impl Rng) -> NodeId {
        let mut b = [0u8; 40];
        for c in &mut b {
            *c = b"0123456789abcdef"[rng.random_range(0..16)];
        }
        NodeId(b)
    }

    /// Parses 40 hex characters (any case; stored lowercase).
    pub fn parse(s: &[u8]) -> Option<NodeId> {
        if s.len() != 40 || !s.iter().all(u8::is_ascii_hexdigit) {
            return None;
        }
        let mut b = [0u8; 40];
        for (o, c) in b.iter_mut().zip(s) {
            *o = c.to_ascii_lowercase();
        }
        Some(NodeId(b))
    }

    /// The id as text.
    pub fn as_str(&self) -> &str {
        std::str::from_utf8(&self.0).expect("invariant: a NodeId holds ASCII hex")
    }

    /// The raw 40 bytes.
    pub fn as_bytes(&self) -> &[u8; 40] {
        &self.0
    }
}

impl fmt::Display for NodeId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl fmt::Debug for NodeId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.as_str()[..8])
    }
}

/// A shard id (Redis 7.2 `shard_id`, CLUSTER MYSHARDID): 40 hex characters like a node id,
/// random for a new node and independent of its node id. A replica takes its primary's
/// (CLUSTER REPLICATE, following a new primary, learning its primary's by the bus); a promoted
/// replica keeps its own, so a shard's id survives a failover. A primary never takes a
/// replica's. Nodes learn each other's from the bus ([`bus::shard_id`]).
pub type ShardId = NodeId;

/// Node flags (Redis `CLUSTER_NODE_*`), in CLUSTER NODES print order.
pub mod flags {
    /// This node.
    pub const MYSELF: u16 = 1 << 0;
    /// A primary.
    pub const MASTER: u16 = 1 << 1;
    /// A replica.
    pub const SLAVE: u16 = 1 << 2;
    /// Possibly failing (no PONG within node timeout), local opinion.
    pub const PFAIL: u16 = 1 << 3;
    /// Failing, agreed by a majority of masters.
    pub const FAIL: u16 = 1 << 4;
    /// MEET sent, real id not known yet.
    pub const HANDSHAKE: u16 = 1 << 5;
    /// Address unknown.
    pub const NOADDR: u16 = 1 << 6;
    /// Replica that never fails over.
    pub const NOFAILOVER: u16 = 1 << 7;
    /// A master worth giving a spare replica if it is orphaned: it had a replica, or was
    /// one (Redis `CLUSTER_NODE_MIGRATE_TO`; internal, never printed or saved).
    pub const MIGRATE_TO: u16 = 1 << 8;
    /// Its messages say it decodes bus extensions (Redis
    /// `CLUSTER_NODE_EXTENSIONS_SUPPORTED`; internal, never printed or saved).
    pub const EXT_DATA: u16 = 1 << 9;

    /// (flag, name) in CLUSTER NODES order.
    pub const NAMES: &[(u16, &str)] = &[
        (MYSELF, "myself"),
        (MASTER, "master"),
        (SLAVE, "slave"),
        (PFAIL, "fail?"),
        (FAIL, "fail"),
        (HANDSHAKE, "handshake"),
        (NOADDR, "noaddr"),
        (NOFAILOVER, "nofailover"),
    ];
}

/// One known node (Redis `clusterNode`).
#[derive(Debug, Clone)]
pub struct ClusterNode {
    /// Its id (a random temporary one while in handshake).
    pub id: NodeId,
    /// Client-facing IP; empty until known.
    pub ip: String,
    /// Client port.
    pub port: u16,
    /// Bus port.
    pub cport: u16,
    /// `flags::*`.
    pub flags: u16,
    /// The primary, for a replica.
    pub master_id: Option<NodeId>,
    /// Unix ms of the PING awaiting a PONG, 0 if none.
    pub ping_sent_ms: i64,
    /// Unix ms of the last PONG.
    pub pong_recv_ms: i64,
    /// Unix ms of the last bus data from it (any message counts as liveness).
    pub data_recv_ms: i64,
    /// Unix ms of the last PING (re)sent, for retries while one is pending.
    pub ping_retry_ms: i64,
    /// Unix ms it was marked FAIL.
    pub fail_time_ms: i64,
    /// Creation time (handshake timeout), Unix ms.
    pub ctime_ms: i64,
    /// Its configuration epoch.
    pub config_epoch: u64,
    /// Whether our outbound bus link to it is up.
    pub link_connected: bool,
    /// Failure reports: reporting master -> Unix ms of the report.
    pub fail_reports: BTreeMap<NodeId, i64>,
    /// Its replication offset, as its last message said (replica ranking).
    pub repl_offset: i64,
    /// Its `cluster-announce-hostname` (empty: none).
    pub hostname: String,
    /// Its shard id; `None` until it tells us (always set for myself).
    pub shard_id: Option<ShardId>,
}

impl ClusterNode {
    /// A node with no slots, epoch 0.
    pub fn new(id: NodeId, ip: String, port: u16, cport: u16, flags: u16, now_ms: i64) -> Self {
        ClusterNode {
            id,
            ip,
            port,
            cport,
            flags,
            master_id: None,
            ping_sent_ms: 0,
            pong_recv_ms: 0,
            data_recv_ms: 0,
            ping_retry_ms: 0,
            fail_time_ms: 0,
            ctime_ms: now_ms,
            config_epoch: 0,
            link_connected: false,
            fail_reports: BTreeMap::new(),
            repl_offset: 0,
            hostname: String::new(),
            shard_id: None,
        }
    }

    /// True if every bit of `f` is set.
    pub fn has(&self, f: u16) -> bool {
        self.flags & f == f
    }

    /// True for a primary.
    pub fn is_master(&self) -> bool {
        self.has(flags::MASTER)
    }

    /// True if PFAIL or FAIL.
    pub fn failing(&self) -> bool {
        self.flags & (flags::PFAIL | flags::FAIL) != 0
    }

    /// `ip:port`.
    pub fn addr(&self) -> String {
        format!("{}:{}", self.ip, self.port)
    }

    /// The address clients are given (Redis `getPreferredEndpoint`): the IP, the hostname
    /// (`?` if none) or nothing.
    pub fn endpoint(&self, kind: Endpoint) -> &str {
        match kind {
            Endpoint::Ip => &self.ip,
            Endpoint::Hostname if self.hostname.is_empty() => "?",
            Endpoint::Hostname => &self.hostname,
            Endpoint::Unknown => "",
        }
    }

    /// `endpoint:port`, as MOVED and ASK print it.
    pub fn endpoint_addr(&self, kind: Endpoint) -> String {
        format!("{}:{}", self.endpoint(kind), self.port)
    }
}

/// Message type labels, in CLUSTER INFO order (Redis `clusterGetMessageTypeString`).
pub const MSG_TYPES: [&str; 11] = [
    "ping",
    "pong",
    "meet",
    "fail",
    "publish",
    "auth-req",
    "auth-ack",
    "update",
    "mfstart",
    "module",
    "publishshard",
];

/// Settings the cluster logic reads (from the config, refreshed on CONFIG SET).
#[derive(Debug, Clone)]
pub struct ClusterSettings {
    /// `cluster-node-timeout`, ms.
    pub node_timeout_ms: i64,
    /// `cluster-require-full-coverage`.
    pub require_full_coverage: bool,
    /// `cluster-allow-reads-when-down`.
    pub allow_reads_when_down: bool,
    /// `cluster-allow-pubsubshard-when-down`.
    pub allow_pubsubshard_when_down: bool,
    /// `cluster-announce-ip` (empty: learn from the bus).
    pub announce_ip: String,
    /// `cluster-announce-hostname` (empty: none).
    pub announce_hostname: String,
    /// `cluster-preferred-endpoint-type`.
    pub preferred_endpoint: Endpoint,
    /// `cluster-replica-no-failover`.
    pub replica_no_failover: bool,
    /// `cluster-replica-validity-factor` (0: any data age may fail over).
    pub replica_validity_factor: i64,
    /// `repl-ping-replica-period`, ms.
    pub repl_ping_period_ms: i64,
    /// `cluster-migration-barrier`.
    pub migration_barrier: i64,
    /// `cluster-allow-replica-migration`.
    pub allow_replica_migration: bool,
}

impl Default for ClusterSettings {
    fn default() -> Self {
        ClusterSettings {
            node_timeout_ms: 15000,
            require_full_coverage: true,
            allow_reads_when_down: false,
            allow_pubsubshard_when_down: true,
            announce_ip: String::new(),
            announce_hostname: String::new(),
            preferred_endpoint: Endpoint::Ip,
            replica_no_failover: false,
            replica_validity_factor: 10,
            repl_ping_period_ms: 10_000,
            migration_barrier: 1,
            allow_replica_migration: true,
        }
    }
}

/// `cluster-preferred-endpoint-type`: what MOVED, ASK, CLUSTER SLOTS and SHARDS give
/// clients as a node's address.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Endpoint {
    /// The IP (default).
    Ip,
    /// The announced hostname, `?` for a node without one.
    Hostname,
    /// Nothing: clients reuse the address they already connected to.
    Unknown,
}

impl Endpoint {
    /// From the configuration value.
    pub fn parse(s: &str) -> Endpoint {
        match s {
            "hostname" => Endpoint::Hostname,
            "unknown-endpoint" => Endpoint::Unknown,
            _ => Endpoint::Ip,
        }
    }
}

/// How long FORGET keeps a node from being re-added by gossip (Redis
/// `CLUSTER_BLACKLIST_TTL`).
pub const BLACKLIST_TTL_MS: i64 = 60_000;

/// The whole cluster view of one node.
#[derive(Debug, Clone)]
pub struct ClusterState {
    /// This node's id.
    pub myself: NodeId,
    /// Every known node, myself included (ordered so output and simulation are
    /// deterministic).
    pub nodes: BTreeMap<NodeId, ClusterNode>,
    /// Owner of each slot (read `slots[s]`; write through [`ClusterState::set_slot`]).
    pub slots: SlotTable,
    /// Slots whose recorded owner has since sent a slot map without them (bus::update_slots).
    pub disowned: SlotBitmap,
    /// Slots this node lost to another node's greater epoch (bus::update_slots): slot ->
    /// that node. Cleared when the slot is assigned again.
    pub lost_to: BTreeMap<u16, NodeId>,
    /// Slots migrating from here: slot -> target.
    pub migrating: BTreeMap<u16, NodeId>,
    /// Slots importing into here: slot -> source.
    pub importing: BTreeMap<u16, NodeId>,
    /// The cluster's logical clock as this node knows it.
    pub current_epoch: u64,
    /// Last epoch this node voted in (failover, issue 6).
    pub last_vote_epoch: u64,
    /// `cluster_state:ok`.
    pub state_ok: bool,
    /// Forgotten nodes: id -> Unix ms until which gossip may not re-add them.
    pub blacklist: HashMap<NodeId, i64>,
    /// Messages sent, by type index of [`MSG_TYPES`].
    pub stats_sent: [u64; 11],
    /// Messages received, by type index of [`MSG_TYPES`].
    pub stats_received: [u64; 11],
    /// The configuration changed and must be written to nodes.conf.
    pub save_pending: bool,
    /// The next save must also fsync (RESET, lost slots; epoch changes are detected).
    pub fsync_pending: bool,
    /// (currentEpoch, my configEpoch, lastVoteEpoch) at the last save: a change forces fsync.
    pub saved_epochs: (u64, u64, u64),
    /// `nodes_conf::stable_key` of the last save: an unchanged configuration is not
    /// written again.
    pub saved_key: String,
    /// Settings.
    pub settings: ClusterSettings,
    /// Unix ms of the last once-a-second random ping.
    pub last_random_ping_ms: i64,
    /// Unix ms of the last bus tick (0 before the first): a late tick means this process
    /// was stalled (`bus::STALLED_TICK_MS`).
    pub last_tick_ms: i64,
    /// Nodes just marked FAIL whose FAIL message is still to be broadcast.
    pub pending_fail_broadcast: Vec<NodeId>,
    /// Elections, votes and manual failover (issue 6).
    pub failover: bus::failover::FailoverState,
    /// Our replication offset, refreshed by the executor before every bus call.
    pub repl_offset: i64,
    /// How old our copy of the master's data is, ms (time since the link went down, or since
    /// the master last spoke), refreshed by the executor like `repl_offset`.
    pub repl_data_age_ms: i64,
    /// `mflags` for the next message built (PAUSED / FORCEACK), reset after sending.
    pub next_mflags: u8,
    /// Latest time the state was given (bus tick, message or command), Unix ms.
    pub now_ms: i64,
    /// When this node started, Unix ms (the writable delay counts from here).
    pub start_ms: i64,
    /// `cluster_size` as last computed by [`ClusterState::update_state`] (Redis caches it
    /// too: it starts at 1 and is not recomputed during the writable delay).
    pub reported_size: usize,
}

/// A master stays `fail` this long after start (Redis `CLUSTER_WRITABLE_DELAY`), so it can
/// learn a newer configuration before serving writes.
pub const WRITABLE_DELAY_MS: i64 = 2000;

impl ClusterState {
    /// A fresh node: a random id, no slots, epoch 0, not knowing its own IP yet.
    pub fn new(rng: &mut impl Rng, port: u16, cport: u16, now_ms: i64) -> ClusterState {
        let myself = NodeId::random(rng);
        let mut nodes = BTreeMap::new();
        let mut me = ClusterNode::new(
            myself,
            String::new(),
            port,
            cport,
            flags::MYSELF | flags::MASTER,
            now_ms,
        );
        me.shard_id = Some(ShardId::random(rng));
        nodes.insert(myself, me);
        ClusterState {
            myself,
            nodes,
            slots: SlotTable::default(),
            disowned: SlotBitmap::default(),
            lost_to: BTreeMap::new(),
            migrating: BTreeMap::new(),
            importing: BTreeMap::new(),
            current_epoch: 0,
            last_vote_epoch: 0,
            state_ok: false,
            blacklist: HashMap::new(),
            stats_sent: [0; 11],
            stats_received: [0; 11],
            save_pending: true,
            fsync_pending: true,
            saved_epochs: (0, 0, 0),
            saved_key: String::new(),
            settings: ClusterSettings::default(),
            last_random_ping_ms: 0,
            last_tick_ms: 0,
            failover: bus::failover::FailoverState::default(),
            repl_offset: 0,
            repl_data_age_ms: 0,
            next_mflags: 0,
            pending_fail_broadcast: Vec::new(),
            now_ms,
            start_ms: now_ms,
            reported_size: 1,
        }
    }

    /// This node.
    pub fn me(&self) -> &ClusterNode {
        self.nodes
            .get(&self.myself)
            .expect("invariant: myself is always in the node table")
    }

    /// This node, mutable.
    pub fn me_mut(&mut self) -> &mut ClusterNode {
        self.nodes
            .get_mut(&self.myself)
            .expect("invariant: myself is always in the node table")
    }

    /// This node's shard id (CLUSTER MYSHARDID).
    pub fn my_shard_id(&self) -> ShardId {
        self.me()
            .shard_id
            .expect("invariant: myself always has a shard id")
    }

    /// After this node became a replica (or learned its primary's shard id): takes the
    /// primary's shard id if known and different (Redis `updateShardId` on myself, from
    /// `clusterSetMaster` and the PING extension). Returns true if it changed.
    pub fn adopt_master_shard_id(&mut self) -> bool {
        let Some(master) = self.me().master_id.and_then(|m| self.nodes.get(&m)) else {
            return false;
        };
        let Some(sid) = master.shard_id.filter(|s| Some(*s) != self.me().shard_id) else {
            return false;
        };
        self.me_mut().shard_id = Some(sid);
        self.save_pending = true;
        self.fsync_pending = true;
        tracing::info!(shard_id = %sid, "took my primary's shard id");
        true
    }

    /// The owner of `slot`.
    pub fn owner(&self, slot: usize) -> Option<&ClusterNode> {
        self.slots[slot].and_then(|id| self.nodes.get(&id))
    }

    /// Slots owned by `id` (the bus's `myslots`).
    pub fn slot_bitmap(&self, id: &NodeId) -> SlotBitmap {
        self.slots.bitmap(id)
    }

    /// Number of slots owned by `id`.
    pub fn slot_count(&self, id: &NodeId) -> usize {
        self.slots.count(id)
    }

    /// Maximal runs of consecutive slots with the same owner: `(first, last, owner)`,
    /// ascending. One pass over the slot table; every view (NODES, SLOTS, owners) uses it.
    pub fn slot_runs(&self) -> Vec<(usize, usize, NodeId)> {
        self.slots.runs()
    }

    /// The distinct slot owners.
    pub fn owners(&self) -> Vec<NodeId> {
        self.slots.owned().map(|(id, _)| id).collect()
    }

    /// Masters that own at least one slot (`cluster_size`).
    pub fn size(&self) -> usize {
        self.owners().len()
    }

    /// The epochs whose change must reach the disk before anyone sees it.
    pub fn durable_epochs(&self) -> (u64, u64, u64) {
        (
            self.current_epoch,
            self.me().config_epoch,
            self.last_vote_epoch,
        )
    }

    /// Largest epoch known: current epoch and every node's config epoch.
    pub fn max_epoch(&self) -> u64 {
        self.nodes
            .values()
            .map(|n| n.config_epoch)
            .max()
            .unwrap_or(0)
            .max(self.current_epoch)
    }

    /// Looks a node up by its id text.
    pub fn lookup(&self, id: &[u8]) -> Option<&ClusterNode> {
        NodeId::parse(id).and_then(|id| self.nodes.get(&id))
    }

    /// Assigns `slot` to `owner` (or unassigns it).
    pub fn set_slot(&mut self, slot: usize, owner: Option<NodeId>) {
        self.disowned.set(slot, false);
        if let Ok(s16) = u16::try_from(slot) {
            self.lost_to.remove(&s16);
        }
        if self.slots.set(slot, owner) {
            self.save_pending = true;
        }
    }

    /// Removes a node: its slots become unassigned, open slots naming it close, and
    /// failure reports it made are dropped (Redis `clusterDelNode`).
    pub fn del_node(&mut self, id: &NodeId) {
        self.slots.remove_owner(id);
        self.migrating.retain(|_, t| t != id);
        self.importing.retain(|_, t| t != id);
        for n in self.nodes.values_mut() {
            n.fail_reports.remove(id);
            if n.master_id == Some(*id) {
                n.master_id = None;
            }
        }
        self.nodes.remove(id);
        self.save_pending = true;
    }

    /// Recomputes `cluster_state` (Redis `clusterUpdateState`, without the rejoin delays).
    pub fn update_state(&mut self) {
        let in_delay = self.now_ms - self.start_ms < WRITABLE_DELAY_MS;
        if self.me().is_master() && !self.state_ok && in_delay {
            return;
        }
        let owners = self.owners();
        self.reported_size = owners.len();
        let node = |id: &NodeId| self.nodes.get(id);
        let mut ok = true;
        if self.settings.require_full_coverage {
            ok = self.slots.assigned() == SLOT_COUNT
                && owners
                    .iter()
                    .all(|id| node(id).is_some_and(|n| !n.has(flags::FAIL)));
        }
        if ok {
            let reachable = owners
                .iter()
                .filter(|id| node(id).is_some_and(|n| !n.failing()))
                .count();
            ok = !owners.is_empty() && reachable > owners.len() / 2;
        }
        self.state_ok = ok;
    }

    /// Panics if the state is inconsistent (design §9: corruption is a crash, not a reply).
    pub fn check_invariants(&self) {
        let me = self.me();
        assert!(me.has(flags::MYSELF), "myself lacks the MYSELF flag");
        assert!(me.shard_id.is_some(), "myself has no shard id");
        for n in self.nodes.values() {
            assert!(
                n.id == self.myself || !n.has(flags::MYSELF),
                "two nodes flagged myself"
            );
            assert!(
                n.config_epoch <= self.current_epoch,
                "config epoch {} above current epoch {}",
                n.config_epoch,
                self.current_epoch
            );
        }
        for o in self.owners() {
            assert!(
                self.nodes.contains_key(&o),
                "a slot is owned by unknown node {o:?}"
            );
        }
        for t in self.migrating.values().chain(self.importing.values()) {
            assert!(
                self.nodes.contains_key(t),
                "open slot names an unknown node"
            );
        }
    }
}

/// Parses a slot argument: `ERR Invalid or out of range slot` unless `0..16384`.
pub fn parse_slot(arg: &[u8]) -> Option<usize> {
    let n = shoal_common::number::parse_i64(arg)?;
    usize::try_from(n).ok().filter(|&s| s < SLOT_COUNT)
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;

    #[test]
    fn node_id_parse() {
        let mut rng = rand::rngs::SmallRng::seed_from_u64(1);
        let id = NodeId::random(&mut rng);
        assert_eq!(NodeId::parse(id.as_str().as_bytes()), Some(id));
        let upper = id.as_str().to_ascii_uppercase();
        assert_eq!(NodeId::parse(upper.as_bytes()), Some(id));
        assert!(NodeId::parse(b"abc").is_none());
        assert!(NodeId::parse(&[b'g'; 40]).is_none());
    }

    #[test]
    fn fresh_state_is_fail_and_consistent() {
        let mut rng = rand::rngs::SmallRng::seed_from_u64(2);
        let mut st = ClusterState::new(&mut rng, 7000, 17000, 0);
        st.update_state();
        assert!(!st.state_ok);
        assert_eq!(
            st.reported_size, 1,
            "not recomputed during the writable delay"
        );
        st.now_ms = WRITABLE_DELAY_MS;
        st.check_invariants();
        for s in 0..SLOT_COUNT {
            st.set_slot(s, Some(st.myself));
        }
        st.update_state();
        assert!(st.state_ok);
        assert_eq!(st.size(), 1);
    }
}
