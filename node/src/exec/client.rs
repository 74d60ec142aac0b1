//! The state the executor keeps for each client (Redis `client` struct), and the channel its
//! replies travel through to the connection task.
//!
//! The executor never awaits a slow client: replies are pushed into an unbounded channel and
//! the bytes queued are counted in `out_pending`, which the connection decrements as it writes.
//! Checklist for a new per-client flag: reset it in `RESET` (cmd::connection), show it in
//! `CLIENT LIST` / `CLIENT INFO` if Redis does.

use std::collections::VecDeque;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

use bytes::{Bytes, BytesMut};
use indexmap::IndexSet;
use shoal_common::Frame;
use shoal_common::resp::{Protocol, ProtocolError};
use tokio::sync::{Notify, mpsc};

use super::multi::MultiState;

/// A client's id (`CLIENT ID`), unique for the life of the node.
pub type ClientId = u64;

/// What the executor sends to a connection task.
#[derive(Debug)]
pub enum Out {
    /// Bytes to write, already encoded in the client's protocol.
    Data(BytesMut),
    /// Write what is queued, then close the connection.
    Close,
}

/// One client as the executor sees it.
#[derive(Debug)]
pub struct Client {
    /// `CLIENT ID`.
    pub id: ClientId,
    /// Peer address, `ip:port`.
    pub addr: String,
    /// Local address, `ip:port`.
    pub laddr: String,
    /// `CLIENT SETNAME`.
    pub name: Option<Bytes>,
    /// `CLIENT SETINFO lib-name`.
    pub lib_name: Option<Bytes>,
    /// `CLIENT SETINFO lib-ver`.
    pub lib_ver: Option<Bytes>,
    /// Selected database.
    pub db: usize,
    /// RESP2 or RESP3.
    pub protocol: Protocol,
    /// Passed AUTH (or no password is set).
    pub authenticated: bool,
    /// Creation time, Unix ms.
    pub created_ms: i64,
    /// Last command time, Unix ms.
    pub last_interaction_ms: i64,
    /// Full name of the last command (`CLIENT LIST cmd=`).
    pub last_cmd: &'static str,
    /// Close the connection once the current reply is written (QUIT, protocol error).
    pub close_after_reply: bool,
    /// This is our master's replication link: no replies, no read-only or redirect checks.
    pub is_master: bool,
    /// Master replication offset right after this client's last write (WAIT's target).
    pub woff: i64,
    /// `REPLCONF listening-port` of a replica connection.
    pub repl_listening_port: u16,
    /// `REPLCONF rdb-only 1`: the connection wants the snapshot only, then is closed
    /// (`redis-cli --rdb`).
    pub repl_rdb_only: bool,
    /// Bytes a command wrote that are not a RESP reply (PSYNC's `+FULLRESYNC` and snapshot
    /// header, `+CONTINUE` and the backlog tail): they go out in the command's place in the
    /// pipeline, after the replies before it.
    pub raw_out: BytesMut,
    /// `REPLCONF rdb-filter-only <filters>`: the snapshot leaves out the keys, and the
    /// function libraries too unless `functions` is listed (`redis-cli --replica` sends an
    /// empty filter: the stream only). `None`: no filter.
    pub repl_filter: Option<ReplFilter>,
    /// `REPLCONF ip-address` of a replica connection (its `replica-announce-ip`).
    pub repl_announced_ip: Option<String>,
    /// Inside MULTI: the queued commands (Redis `CLIENT_MULTI` + `mstate`).
    pub multi: Option<MultiState>,
    /// A watched key was touched: the next EXEC fails (Redis `CLIENT_DIRTY_CAS`).
    pub dirty_cas: bool,
    /// Keys this client WATCHes: (db, key, expired when WATCH ran).
    pub watched: Vec<(usize, Bytes, bool)>,
    /// True while EXEC runs this client's queue (Redis `CLIENT_DENY_BLOCKING` during EXEC).
    pub in_exec: bool,
    /// SUBSCRIBE channels.
    pub channels: IndexSet<Bytes>,
    /// PSUBSCRIBE patterns.
    pub patterns: IndexSet<Bytes>,
    /// SSUBSCRIBE shard channels.
    pub shard_channels: IndexSet<Bytes>,
    /// In pub/sub mode (Redis `CLIENT_PUBSUB`): set by any SUBSCRIBE, cleared when the
    /// last subscription goes. RESP2 clients in this mode may run only a few commands.
    pub pubsub_mode: bool,
    /// Unix ms when the output buffer first went past the soft limit, if it is past it.
    pub obuf_soft_limit_since_ms: Option<i64>,
    /// Frames produced for this client while its own command runs (pub/sub replies and
    /// messages to itself), sent before that command's reply.
    pub deferred: Vec<Frame>,
    /// `CLIENT REPLY OFF`: no replies at all until `CLIENT REPLY ON`.
    pub reply_off: bool,
    /// No reply for the command now running (`CLIENT REPLY SKIP` itself, then the next one).
    pub reply_skip: bool,
    /// `CLIENT REPLY SKIP` ran: skip the reply of the next command.
    pub reply_skip_next: bool,
    /// `CLIENT NO-EVICT ON`.
    pub no_evict: bool,
    /// `CLIENT NO-TOUCH ON`.
    pub no_touch: bool,
    /// In MONITOR mode (`flags=O`).
    pub monitor: bool,
    /// Commands read while the client was postponed by `CLIENT PAUSE`, in order, and the
    /// protocol error that followed them; run once the pause ends (exec::pause).
    pub postponed: VecDeque<Vec<Bytes>>,
    /// A protocol error read after `postponed`.
    pub postponed_error: Option<ProtocolError>,
    /// Bytes of the last command's arguments (`CLIENT LIST argv-mem=`... approximated).
    pub last_argv_bytes: usize,
    /// Blocking state (exec::blocking): waiting, pending commands, deny-blocking.
    pub bstate: super::blocking::ClientBlockState,
    /// ASKING was sent: the next command may use an importing slot (one-shot).
    pub asking: bool,
    /// The command now running is ASKING itself (so the flag survives it).
    pub asking_just_set: bool,
    /// READONLY was sent: reads of our master's slots are served by this replica.
    pub readonly: bool,
    out: mpsc::UnboundedSender<Out>,
    out_pending: Arc<AtomicUsize>,
    kill: Option<Arc<Notify>>,
    auth_flag: Option<Arc<AtomicBool>>,
    /// The connection's input flow control: the executor releases what it has run.
    input_gate: Option<Arc<crate::connection::InputGate>>,
}

impl Client {
    /// A new client whose replies go to `out`.
    pub fn new(
        id: ClientId,
        addr: String,
        laddr: String,
        out: mpsc::UnboundedSender<Out>,
        out_pending: Arc<AtomicUsize>,
        now_ms: i64,
        authenticated: bool,
    ) -> Client {
        Client {
            id,
            addr,
            laddr,
            name: None,
            lib_name: None,
            lib_ver: None,
            db: 0,
            protocol: Protocol::Resp2,
            authenticated,
            created_ms: now_ms,
            last_interaction_ms: now_ms,
            last_cmd: "NULL",
            close_after_reply: false,
            is_master: false,
            woff: 0,
            repl_listening_port: 0,
            repl_rdb_only: false,
            raw_out: BytesMut::new(),
            repl_filter: None,
            repl_announced_ip: None,
            multi: None,
            dirty_cas: false,
            watched: Vec::new(),
            in_exec: false,
            channels: IndexSet::new(),
            patterns: IndexSet::new(),
            shard_channels: IndexSet::new(),
            pubsub_mode: false,
            obuf_soft_limit_since_ms: None,
            deferred: Vec::new(),
            reply_off: false,
            reply_skip: false,
            reply_skip_next: false,
            no_evict: false,
            no_touch: false,
            monitor: false,
            postponed: VecDeque::new(),
            postponed_error: None,
            last_argv_bytes: 0,
            bstate: super::blocking::ClientBlockState::default(),
            asking: false,
            asking_just_set: false,
            readonly: false,
            out,
            out_pending,
            kill: None,
            auth_flag: None,
            input_gate: None,
        }
    }

    /// A client with no connection (id `u64::MAX`): what the executor passes as the
    /// "current client" for work no client caused, such as active expiry.
    pub fn detached() -> Client {
        let (tx, _rx) = mpsc::unbounded_channel();
        Client::new(
            ClientId::MAX,
            String::new(),
            String::new(),
            tx,
            Arc::new(AtomicUsize::new(0)),
            0,
            true,
        )
    }

    /// Shares `authenticated` with the connection task, whose decoder applies Redis's small
    /// limits to clients that must still AUTH.
    pub fn set_auth_flag(&mut self, flag: Arc<AtomicBool>) {
        flag.store(self.authenticated, Ordering::Relaxed);
        self.auth_flag = Some(flag);
    }

    /// Publishes `authenticated` to the connection task (after each batch).
    pub fn publish_auth(&self) {
        if let Some(f) = &self.auth_flag {
            f.store(self.authenticated, Ordering::Relaxed);
        }
    }

    /// Gives the client a way to drop its connection at once, without writing what is
    /// queued (output buffer limits). The connection task waits on `kill`.
    /// Connects the client to its connection's input flow control.
    pub fn set_input_gate(&mut self, gate: Arc<crate::connection::InputGate>) {
        self.input_gate = Some(gate);
    }

    /// Tells the connection that commands costing `cost` in total have run, so it may read
    /// more ([`crate::connection::InputGate`]).
    pub fn release_input(&self, cost: usize) {
        if let Some(g) = &self.input_gate {
            g.release(cost);
        }
    }

    pub fn set_kill(&mut self, kill: Arc<Notify>) {
        self.kill = Some(kill);
    }

    /// Drops the connection now, discarding queued output (Redis `freeClientAsync` for a
    /// client over its output buffer limit). Falls back to [`Client::close`] without a
    /// kill handle.
    pub fn kill(&self) {
        match &self.kill {
            Some(k) => k.notify_one(),
            None => self.close(),
        }
    }

    /// Number of channel + pattern subscriptions (Redis `clientSubscriptionsCount`).
    pub fn subscription_count(&self) -> usize {
        self.channels.len() + self.patterns.len()
    }

    /// Queues encoded bytes for the connection. Returns false if the connection is gone.
    pub fn send(&self, data: BytesMut) -> bool {
        if data.is_empty() {
            return true;
        }
        self.out_pending.fetch_add(data.len(), Ordering::Relaxed);
        self.out.send(Out::Data(data)).is_ok()
    }

    /// A handle that sends to this client's connection from another task (replication
    /// snapshots are streamed from a task while the executor keeps serving).
    pub fn output(&self) -> Output {
        Output {
            out: self.out.clone(),
            pending: self.out_pending.clone(),
        }
    }

    /// Asks the connection to close after writing what is queued.
    pub fn close(&self) {
        let _ = self.out.send(Out::Close);
    }

    /// Bytes queued and not yet written (`CLIENT LIST omem=`, output buffer limits).
    pub fn out_pending(&self) -> usize {
        self.out_pending.load(Ordering::Relaxed)
    }
}

/// A clonable sender to one client's connection.
#[derive(Debug, Clone)]
pub struct Output {
    out: mpsc::UnboundedSender<Out>,
    pending: Arc<AtomicUsize>,
}

impl Output {
    /// Queues bytes; false if the connection is gone.
    pub fn send(&self, data: BytesMut) -> bool {
        self.pending.fetch_add(data.len(), Ordering::Relaxed);
        self.out.send(Out::Data(data)).is_ok()
    }

    /// Bytes queued and not yet written.
    pub fn pending(&self) -> usize {
        self.pending.load(Ordering::Relaxed)
    }
}

/// What a `REPLCONF rdb-filter-only` snapshot includes (Redis `SLAVE_REQ_RDB_EXCLUDE_*`):
/// never the keys; the function libraries when asked for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ReplFilter {
    /// `functions` was listed.
    pub functions: bool,
}
