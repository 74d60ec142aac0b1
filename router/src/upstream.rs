//! Upstream connections: one pipelined connection per (node, protocol, read-only, lane)
//! shared by every client session of the lane, kept in a [`Pool`] keyed by node address (a
//! `DashMap`, as design §7 suggests: shared state with no transactions). A lane is one
//! runtime thread (see `server::Lanes`): its sessions and its connections never leave it.
//!
//! A connection is two tasks. The writer takes [`Request`]s from a bounded channel (the
//! back-pressure point: a full channel makes sessions wait), batches everything queued into
//! one write, and hands each request to the reader in write order. The reader finds reply
//! boundaries in the byte stream with [`reply_len`] and answers requests in FIFO order, each
//! with its replies cut out as one [`ReplyBatch`], so replies are forwarded byte for byte
//! (no re-encoding, no RESP3 → RESP2 guesswork).
//!
//! Invariants and failure rules:
//! - A request whose bytes were handed to the socket and not answered gets
//!   [`RouterError::Lost`] (its effect is unknown); one never written is dropped, which its
//!   waiter sees as [`RouterError::NotSent`] (safe to resend).
//! - If the oldest unanswered request waits longer than the reply bound, the connection is
//!   declared dead: a hung node fails its own requests and nobody else's.
//! - A closed connection is replaced on the next [`Pool::get`].

use std::collections::VecDeque;
use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::{Bytes, BytesMut};
use dashmap::DashMap;
use shoal_common::resp::Protocol;
use shoal_common::resp::decode::reply_len;
use shoal_common::resp::encode::encode_request;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::net::tcp::{OwnedReadHalf, OwnedWriteHalf};
use tokio::sync::{mpsc, oneshot};

use crate::error::RouterError;

/// Requests queued per connection before senders wait (back-pressure).
const QUEUE_REQUESTS_MAX: usize = 4096;
/// Largest write batch: beyond this the writer flushes and continues.
const WRITE_BATCH_BYTES_MAX: usize = 256 * 1024;

/// The replies of one request, raw, one buffer each.
pub type Replies = Result<Vec<Bytes>, RouterError>;

/// The replies of one request as they came off the connection: one buffer, cut out once.
pub type Answer = Result<ReplyBatch, RouterError>;

/// Replies back to back in one buffer, and where each ends: a request's replies are
/// contiguous on the connection, so the reader cuts them out with one split instead of one
/// per reply.
#[derive(Debug, Clone, Default)]
pub struct ReplyBatch {
    raw: Bytes,
    ends: Vec<usize>,
}

impl ReplyBatch {
    /// Number of replies.
    pub fn len(&self) -> usize {
        self.ends.len()
    }

    /// True when there is none.
    pub fn is_empty(&self) -> bool {
        self.ends.is_empty()
    }

    fn range(&self, i: usize) -> Option<std::ops::Range<usize>> {
        let end = *self.ends.get(i)?;
        let start = if i == 0 { 0 } else { self.ends[i - 1] };
        Some(start..end)
    }

    /// Reply `i`'s bytes.
    pub fn get(&self, i: usize) -> Option<&[u8]> {
        self.raw.get(self.range(i)?)
    }

    /// Reply `i` as its own buffer (shares the batch's memory).
    pub fn bytes(&self, i: usize) -> Option<Bytes> {
        Some(self.raw.slice(self.range(i)?))
    }

    /// One buffer per reply.
    pub fn into_vec(self) -> Vec<Bytes> {
        (0..self.len()).filter_map(|i| self.bytes(i)).collect()
    }
}

/// One or more commands written back to back, answered together.
pub struct Request {
    /// The encoded commands.
    pub wire: Bytes,
    /// How many replies they produce.
    pub replies: usize,
    /// Where the replies go.
    pub done: oneshot::Sender<Answer>,
}

/// How to open connections to nodes.
#[derive(Debug, Clone, Default)]
pub struct ConnOptions {
    /// `AUTH [user] password` sent first when set.
    pub auth: Option<(Option<String>, String)>,
    /// Connect timeout.
    pub connect_timeout: Duration,
    /// Reply bound for shared connections (`None`: wait forever, for blocking commands).
    pub reply_timeout: Option<Duration>,
}

/// What a connection is for; part of the pool key.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Kind {
    /// The protocol the connection speaks (the client's, so replies pass through).
    pub protocol: Protocol,
    /// `READONLY` was sent (replica reads).
    pub readonly: bool,
}

/// A handle on one upstream connection.
pub struct Upstream {
    /// The node.
    pub addr: String,
    tx: mpsc::Sender<Request>,
}

impl Upstream {
    /// Opens a connection (lazily: the connect runs in the spawned task).
    pub fn spawn(addr: &str, kind: Kind, opts: &ConnOptions) -> Arc<Upstream> {
        let (tx, rx) = mpsc::channel(QUEUE_REQUESTS_MAX);
        tokio::spawn(run(addr.to_string(), kind, opts.clone(), rx));
        Arc::new(Upstream {
            addr: addr.to_string(),
            tx,
        })
    }

    /// True once the connection has died.
    pub fn is_closed(&self) -> bool {
        self.tx.is_closed()
    }

    /// Queues encoded commands; waits for room in the queue (back-pressure), not for replies.
    pub async fn send(&self, wire: Bytes, replies: usize) -> oneshot::Receiver<Answer> {
        let (done, rx) = oneshot::channel();
        // A send error drops `done`, which the waiter reads as NotSent: exactly right.
        let _ = self
            .tx
            .send(Request {
                wire,
                replies,
                done,
            })
            .await;
        rx
    }

    /// Sends one command and waits for its raw reply.
    pub async fn call<S: AsRef<[u8]>>(&self, argv: &[S]) -> Result<Bytes, RouterError> {
        let mut wire = BytesMut::new();
        encode_request(argv, &mut wire);
        let rx = self.send(wire.freeze(), 1).await;
        let replies = wait(&self.addr, rx).await?;
        replies.bytes(0).ok_or_else(|| RouterError::Protocol {
            addr: self.addr.clone(),
            reason: "missing reply".into(),
        })
    }
}

/// Waits for the replies of a request sent to `addr`.
pub async fn wait(addr: &str, rx: oneshot::Receiver<Answer>) -> Answer {
    rx.await.unwrap_or_else(|_| {
        Err(RouterError::NotSent {
            addr: addr.to_string(),
        })
    })
}

thread_local! {
    /// The lane (runtime thread) this thread serves; see [`set_lane`].
    static LANE: std::cell::Cell<usize> = const { std::cell::Cell::new(0) };
}

/// Marks the current thread as serving `lane`: [`Pool::get`] then hands out that lane's own
/// connections, so a session, its upstream connections and their tasks share one thread and
/// a request never crosses threads (no cross-thread wake-ups on the hot path).
pub fn set_lane(lane: usize) {
    LANE.with(|l| l.set(lane));
}

/// The current thread's lane.
pub fn lane() -> usize {
    LANE.with(std::cell::Cell::get)
}

/// One lane's connection of one kind to a node.
type Slot = ((Kind, usize), Arc<Upstream>);

/// Shared connections, one per (address, kind, lane).
#[derive(Default)]
pub struct Pool {
    /// Keyed by address alone so that a lookup borrows the caller's `&str` (no allocation
    /// per request); the few (kind, lane) slots of a node are scanned.
    conns: DashMap<String, Vec<Slot>>,
    opts: ConnOptions,
}

impl Pool {
    /// An empty pool opening connections with `opts`.
    pub fn new(opts: ConnOptions) -> Pool {
        Pool {
            conns: DashMap::new(),
            opts,
        }
    }

    /// The live shared connection to `addr` for this thread's lane, opened if needed.
    pub fn get(&self, addr: &str, kind: Kind) -> Arc<Upstream> {
        let key = (kind, lane());
        if let Some(slots) = self.conns.get(addr)
            && let Some((_, u)) = slots.iter().find(|(k, _)| *k == key)
            && !u.is_closed()
        {
            return Arc::clone(u);
        }
        let mut slots = self.conns.entry(addr.to_string()).or_default();
        match slots.iter_mut().find(|(k, _)| *k == key) {
            Some((_, u)) if !u.is_closed() => Arc::clone(u),
            Some((_, u)) => {
                *u = Upstream::spawn(addr, kind, &self.opts);
                Arc::clone(u)
            }
            None => {
                let u = Upstream::spawn(addr, kind, &self.opts);
                slots.push((key, Arc::clone(&u)));
                u
            }
        }
    }

    /// A new connection of its own (blocking commands, transactions, subscriptions), with no
    /// reply bound.
    pub fn dedicated(&self, addr: &str, kind: Kind) -> Arc<Upstream> {
        let mut opts = self.opts.clone();
        opts.reply_timeout = None;
        Upstream::spawn(addr, kind, &opts)
    }

    /// Connection options (dedicated pub/sub links reuse them).
    pub fn options(&self) -> &ConnOptions {
        &self.opts
    }

    /// Number of open shared connections (INFO).
    pub fn len(&self) -> usize {
        self.conns
            .iter()
            .map(|e| e.iter().filter(|(_, u)| !u.is_closed()).count())
            .sum()
    }

    /// True when no shared connection is open.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// The commands sent when a connection opens: AUTH, HELLO 3, READONLY as needed.
pub fn handshake(kind: Kind, opts: &ConnOptions) -> (BytesMut, usize) {
    let mut wire = BytesMut::new();
    let mut n = 0;
    if let Some((user, pass)) = &opts.auth {
        match user {
            Some(u) => encode_request(&["AUTH", u, pass], &mut wire),
            None => encode_request(&["AUTH", pass], &mut wire),
        }
        n += 1;
    }
    if kind.protocol == Protocol::Resp3 {
        encode_request(&["HELLO", "3"], &mut wire);
        n += 1;
    }
    if kind.readonly {
        encode_request(&["READONLY"], &mut wire);
        n += 1;
    }
    (wire, n)
}

/// Connects and runs the handshake; the stream is ready for requests.
pub async fn connect(addr: &str, kind: Kind, opts: &ConnOptions) -> Result<TcpStream, RouterError> {
    let fail = |reason: String| RouterError::Connect {
        addr: addr.to_string(),
        reason,
    };
    let mut stream = tokio::time::timeout(opts.connect_timeout, TcpStream::connect(addr))
        .await
        .map_err(|_| fail("connect timed out".into()))?
        .map_err(|e| fail(e.to_string()))?;
    let _ = stream.set_nodelay(true);
    let (wire, n) = handshake(kind, opts);
    if n == 0 {
        return Ok(stream);
    }
    stream
        .write_all(&wire)
        .await
        .map_err(|e| fail(e.to_string()))?;
    let mut buf = BytesMut::new();
    let mut got = 0;
    let read = async {
        while got < n {
            match reply_len(&buf) {
                Ok(Some(len)) => {
                    let reply = buf.split_to(len);
                    if reply.first() == Some(&b'-') {
                        return Err(fail(String::from_utf8_lossy(&reply).trim().to_string()));
                    }
                    got += 1;
                }
                Ok(None) => {
                    if stream
                        .read_buf(&mut buf)
                        .await
                        .map_err(|e| fail(e.to_string()))?
                        == 0
                    {
                        return Err(fail("closed during handshake".into()));
                    }
                }
                Err(e) => return Err(fail(e.to_string())),
            }
        }
        Ok(())
    };
    tokio::time::timeout(opts.connect_timeout, read)
        .await
        .map_err(|_| fail("handshake timed out".into()))??;
    Ok(stream)
}

async fn run(addr: String, kind: Kind, opts: ConnOptions, mut rx: mpsc::Receiver<Request>) {
    let stream = match connect(&addr, kind, &opts).await {
        Ok(s) => s,
        Err(e) => {
            tracing::debug!(%addr, error = %e, "upstream connect failed");
            rx.close();
            while let Ok(req) = rx.try_recv() {
                let _ = req.done.send(Err(e.clone()));
            }
            return;
        }
    };
    let (rd, wr) = stream.into_split();
    let (pending_tx, pending_rx) = mpsc::unbounded_channel();
    let reader = tokio::spawn(read_loop(addr.clone(), rd, pending_rx, opts.reply_timeout));
    write_loop(&addr, wr, rx, pending_tx).await;
    let _ = reader.await;
}

struct Pending {
    req: Request,
    /// Where each reply received so far ends, from the start of the reader's buffer.
    ends: Vec<usize>,
    since: Instant,
}

async fn write_loop(
    addr: &str,
    mut wr: OwnedWriteHalf,
    mut rx: mpsc::Receiver<Request>,
    pending: mpsc::UnboundedSender<Pending>,
) {
    let mut out = BytesMut::new();
    let mut batch = Vec::new();
    while let Some(first) = rx.recv().await {
        let mut size = first.wire.len();
        batch.push(first);
        while size < WRITE_BATCH_BYTES_MAX {
            match rx.try_recv() {
                Ok(r) => {
                    size += r.wire.len();
                    batch.push(r);
                }
                Err(_) => break,
            }
        }
        out.clear();
        let now = Instant::now();
        for req in batch.drain(..) {
            out.extend_from_slice(&req.wire);
            let p = Pending {
                ends: Vec::with_capacity(req.replies),
                req,
                since: now,
            };
            if let Err(mpsc::error::SendError(p)) = pending.send(p) {
                // The reader is gone: the connection is dead; this request was not written.
                drop(p);
                return;
            }
        }
        if let Err(e) = wr.write_all(&out).await {
            tracing::debug!(%addr, error = %e, "upstream write failed");
            return;
        }
    }
}

fn fail_all(
    addr: &str,
    queue: &mut VecDeque<Pending>,
    rx: &mut mpsc::UnboundedReceiver<Pending>,
    e: &RouterError,
) {
    rx.close();
    while let Ok(p) = rx.try_recv() {
        queue.push_back(p);
    }
    for p in queue.drain(..) {
        let _ = p.req.done.send(Err(e.clone()));
    }
    tracing::debug!(%addr, error = %e, "upstream connection closed");
}

async fn read_loop(
    addr: String,
    mut rd: OwnedReadHalf,
    mut rx: mpsc::UnboundedReceiver<Pending>,
    reply_timeout: Option<Duration>,
) {
    let mut queue: VecDeque<Pending> = VecDeque::new();
    let mut buf = BytesMut::with_capacity(16 * 1024);
    let lost = RouterError::Lost { addr: addr.clone() };
    let mut rx_done = false;
    // Bytes at the buffer's front holding the oldest request's replies so far: cut out in
    // one piece when the last one arrives.
    let mut parsed = 0;
    loop {
        // Deliver every complete reply in the buffer.
        loop {
            match reply_len(&buf[parsed..]) {
                Ok(Some(len)) => {
                    while queue.is_empty() {
                        match rx.try_recv() {
                            Ok(p) => queue.push_back(p),
                            Err(_) => break,
                        }
                    }
                    let Some(front) = queue.front_mut() else {
                        let e = RouterError::Protocol {
                            addr: addr.clone(),
                            reason: "reply without a request".into(),
                        };
                        return fail_all(&addr, &mut queue, &mut rx, &e);
                    };
                    parsed += len;
                    front.ends.push(parsed);
                    if front.ends.len() >= front.req.replies {
                        let p = queue.pop_front().expect("invariant: front exists");
                        let raw = buf.split_to(parsed).freeze();
                        parsed = 0;
                        let _ = p.req.done.send(Ok(ReplyBatch { raw, ends: p.ends }));
                    }
                }
                Ok(None) => break,
                Err(e) => {
                    let e = RouterError::Protocol {
                        addr: addr.clone(),
                        reason: e.to_string(),
                    };
                    return fail_all(&addr, &mut queue, &mut rx, &e);
                }
            }
        }
        let deadline = match (reply_timeout, queue.front()) {
            (Some(t), Some(p)) => Some(p.since + t),
            _ => None,
        };
        tokio::select! {
            r = rd.read_buf(&mut buf) => match r {
                Ok(0) | Err(_) => return fail_all(&addr, &mut queue, &mut rx, &lost),
                Ok(_) => {}
            },
            p = rx.recv(), if !rx_done && (deadline.is_none() || queue.is_empty()) => match p {
                Some(p) => queue.push_back(p),
                None if queue.is_empty() => return,
                None => rx_done = true,
            },
            () = sleep_until(deadline) => {
                let e = RouterError::Timeout {
                    addr: addr.clone(),
                    timeout_ms: reply_timeout.map_or(0, |t| u64::try_from(t.as_millis()).unwrap_or(u64::MAX)),
                };
                return fail_all(&addr, &mut queue, &mut rx, &e);
            }
        }
    }
}

async fn sleep_until(deadline: Option<Instant>) {
    match deadline {
        Some(d) => tokio::time::sleep_until(d.into()).await,
        None => std::future::pending().await,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_reply_batch_gives_each_reply_back() {
        let raw = Bytes::from_static(b"+OK\r\n$3\r\nabc\r\n:7\r\n");
        let b = ReplyBatch {
            raw,
            ends: vec![5, 14, 18],
        };
        assert_eq!(b.len(), 3);
        assert_eq!(b.get(0), Some(&b"+OK\r\n"[..]));
        assert_eq!(b.get(1), Some(&b"$3\r\nabc\r\n"[..]));
        assert_eq!(b.bytes(2).as_deref(), Some(&b":7\r\n"[..]));
        assert_eq!(b.get(3), None);
        let v = b.into_vec();
        assert_eq!(v.concat(), b"+OK\r\n$3\r\nabc\r\n:7\r\n");
        assert!(ReplyBatch::default().is_empty());
    }
}
