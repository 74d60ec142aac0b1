//! The state the executor keeps for each client (Redis `client` struct), and the channel its
//! replies travel through to the connection task.
//!
//! The executor never awaits a slow client: replies are pushed into an unbounded channel and
//! the bytes queued are counted in `out_pending`, which the connection decrements as it writes.
//! Checklist for a new per-client flag: reset it in `RESET` (cmd::connection), show it in
//! `CLIENT LIST` / `CLIENT INFO` if Redis does.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use bytes::{Bytes, BytesMut};
use shoal_common::resp::Protocol;
use tokio::sync::mpsc;

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
    out: mpsc::UnboundedSender<Out>,
    out_pending: Arc<AtomicUsize>,
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
            out,
            out_pending,
        }
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
