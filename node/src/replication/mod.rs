//! Replication (Redis `replication.c`): a primary streams the effects of its writes to its
//! replicas; a replica applies them.
//!
//! - The stream is RESP: every executed write (rewritten to be deterministic by
//!   [`propagate`]), with `SELECT` when the database changes, and a `PING` every
//!   `repl-ping-replica-period`. Its byte count is the replication offset.
//! - A full synchronisation sends `+FULLRESYNC <replid> <offset>`, then a snapshot as
//!   `$EOF:<mark>\r\n<RESP commands><mark>`, a point-in-time view of the data as of
//!   `<offset>` walked incrementally by the executor between commands ([`snapshot`]), so the
//!   primary keeps serving while it is produced (no fork, no copy), then the stream from
//!   `<offset>`. A partial one sends `+CONTINUE <replid>` and the backlog tail.
//! - The replica side ([`replica`]) is one task per master link doing the handshake
//!   (`PING`, `REPLCONF listening-port`, `REPLCONF capa eof capa psync2`, `PSYNC`), feeding
//!   the executor, and sending `REPLCONF ACK <offset>` every second.
//! - Replicas never expire keys on their own; the primary's deletes arrive in the stream.
//!
//! Invariants: `offset()` equals the backlog's end offset; a replica in `WaitSnapshot` gets
//! the stream only after its snapshot (buffered until then), so it never sees a write twice
//! or misses one.

pub mod backlog;
pub mod primary;
pub mod propagate;
pub mod replica;
pub mod snapshot;

use std::sync::Arc;
use std::sync::atomic::AtomicI64;

use bytes::BytesMut;
use tokio::sync::mpsc;

use crate::exec::ClientId;
use backlog::Backlog;

/// A primary's view of one replica.
#[derive(Debug)]
pub struct ReplicaLink {
    /// The replica's client connection to us.
    pub client_id: ClientId,
    /// Its IP as seen by us.
    pub ip: String,
    /// `REPLCONF listening-port`.
    pub listening_port: u16,
    /// Stream bytes held back while its snapshot is being sent; `None` once online.
    pub buffered: Option<BytesMut>,
    /// Last offset it acknowledged.
    pub ack_offset: i64,
    /// When it last acknowledged, Unix ms.
    pub last_ack_ms: i64,
}

impl ReplicaLink {
    /// True once the snapshot is through and the live stream flows.
    pub fn online(&self) -> bool {
        self.buffered.is_none()
    }
}

/// State of a replica's link to its master (ROLE's state names).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LinkState {
    /// Must connect.
    Connect,
    /// Connecting.
    Connecting,
    /// Handshake in progress.
    Handshake,
    /// Receiving the snapshot.
    Sync,
    /// Streaming.
    Connected,
}

impl LinkState {
    /// The name ROLE and INFO use.
    pub fn name(self) -> &'static str {
        match self {
            LinkState::Connect => "connect",
            LinkState::Connecting => "connecting",
            LinkState::Handshake => "handshake",
            LinkState::Sync => "sync",
            LinkState::Connected => "connected",
        }
    }
}

/// Our master, when we are a replica.
#[derive(Debug)]
pub struct MasterLink {
    /// Master host.
    pub host: String,
    /// Master port.
    pub port: u16,
    /// Link state.
    pub state: LinkState,
    /// Bumped on every REPLICAOF so events from an old link task are ignored.
    pub generation: u64,
    /// Tells the link task to acknowledge now (REPLCONF GETACK) or stop.
    pub control: mpsc::UnboundedSender<replica::LinkControl>,
    /// Last time we heard from the master, Unix ms.
    pub last_io_ms: i64,
    /// When the link went down, Unix ms (INFO master_link_down_since_seconds).
    pub down_since_ms: i64,
}

/// Replication state of the node.
#[derive(Debug)]
pub struct ReplState {
    /// Our replication id (40 hex).
    pub replid: String,
    /// The previous id after a promotion (zeros if none).
    pub replid2: String,
    /// Offset up to which `replid2` is valid (-1 if none).
    pub second_offset: i64,
    /// The backlog; `None` until the first replica connects (as Redis).
    pub backlog: Option<Backlog>,
    /// Our offset when no backlog exists yet.
    pub base_offset: i64,
    /// Our replicas.
    pub replicas: Vec<ReplicaLink>,
    /// Our master, if we are a replica.
    pub master: Option<MasterLink>,
    /// Database the stream last selected.
    pub last_db: Option<usize>,
    /// The offset as the link task reads it for REPLCONF ACK.
    pub shared_offset: Arc<AtomicI64>,
    /// Full syncs served (INFO sync_full).
    pub sync_full: u64,
    /// Partial syncs accepted (INFO sync_partial_ok).
    pub sync_partial_ok: u64,
    /// Partial syncs refused (INFO sync_partial_err).
    pub sync_partial_err: u64,
    /// Last PING fed to the stream, Unix ms.
    pub last_ping_ms: i64,
    /// Link generations handed out.
    pub generations: u64,
    /// Clients blocked in WAIT.
    pub waits: Vec<Wait>,
    /// The full-sync snapshot being produced.
    pub snapshot: Option<snapshot::SnapshotJob>,
    /// Replicas waiting for the next snapshot.
    pub snapshot_waiting: Vec<snapshot::Waiting>,
}

/// A client blocked in WAIT.
#[derive(Debug, Clone, Copy)]
pub struct Wait {
    /// The client.
    pub client_id: ClientId,
    /// Offset the replicas must reach.
    pub offset: i64,
    /// Replicas needed.
    pub numreplicas: usize,
    /// Deadline, Unix ms (`None` = forever).
    pub deadline_ms: Option<i64>,
}

impl ReplState {
    /// Fresh state with a new replication id.
    pub fn new(replid: String) -> ReplState {
        ReplState {
            replid,
            replid2: "0".repeat(40),
            second_offset: -1,
            backlog: None,
            base_offset: 0,
            replicas: Vec::new(),
            master: None,
            last_db: None,
            shared_offset: Arc::new(AtomicI64::new(0)),
            sync_full: 0,
            sync_partial_ok: 0,
            sync_partial_err: 0,
            last_ping_ms: 0,
            generations: 0,
            waits: Vec::new(),
            snapshot: None,
            snapshot_waiting: Vec::new(),
        }
    }

    /// The replication offset (`master_repl_offset`).
    pub fn offset(&self) -> i64 {
        self.backlog
            .as_ref()
            .map_or(self.base_offset, Backlog::end_offset)
    }

    /// True if we are a replica.
    pub fn is_replica(&self) -> bool {
        self.master.is_some()
    }

    /// Replicas that acknowledged at least `offset`.
    pub fn acked(&self, offset: i64) -> usize {
        self.replicas
            .iter()
            .filter(|r| r.online() && r.ack_offset >= offset)
            .count()
    }
}
