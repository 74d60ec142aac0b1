//! One client session: decode requests, answer or route each, reply in request order.
//!
//! Redis counterpart: what `networking.c` + `processCommand` are to a node, for a proxy. The
//! checks run in Redis's order (lookup, arity, auth, pub/sub context, MULTI queueing), so
//! errors take the same precedence.
//!
//! Ordering invariant: every reply slot of a client goes into one ordered queue (the
//! current [`Chunk`], handed to the writer task after each read), and the writer answers
//! the slots in order. Single-slot commands are grouped per node (see [`crate::batch`]);
//! a group is queued on its upstream connection before any later command of the client
//! goes upstream another way ([`Session::send_open`]), so each node sees the client's
//! commands in order. Commands answered locally become ready slots in the same queue, so
//! they never overtake earlier routed replies.
//!
//! Checklist for a new stateful command: transactions queue it (or refuse it) here; a
//! blocking command is awaited inline so the client's later commands run after it, as on a
//! node.

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::Ordering;

use bytes::{Buf, Bytes, BytesMut};
use shoal_common::command::{self, CommandSpec, Group, Resolved, flags, reply};
use shoal_common::resp::Protocol;
use shoal_common::resp::decode::{FAST_PATH_ARGS, RequestDecoder, decode_reply, whole_command};
use shoal_common::resp::encode::encode;
use shoal_common::{Frame, ReplyError};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::net::tcp::{OwnedReadHalf, OwnedWriteHalf};
use tokio::sync::{mpsc, watch};

use crate::aggregate::{merge_fanout, merge_split};
use crate::batch::{Chunk, Wire};
pub use crate::batch::{Pending, ReplyFuture};
use crate::pubsub::{PubSub, PushQueue, PushRx};
use crate::retry::{self, Job, Via};
use crate::route::{self, ResponsePolicy, Route};
use crate::upstream::Upstream;
use crate::{MultiCrossSlot, Router, Stats, split};

/// Replies per chunk: a read that decodes more commands hands them to the writer in
/// chunks of this many.
const CHUNK_REPLIES_MAX: usize = 128;
/// Chunks waiting to be written per client: past this the session stops reading its
/// socket (back-pressure on a client that pipelines without reading); with
/// [`CHUNK_REPLIES_MAX`], at most 1024 replies wait.
const PENDING_CHUNKS_MAX: usize = 8;
/// Bytes written to a client in one go before flushing.
const WRITE_BATCH_BYTES_MAX: usize = 64 * 1024;
/// Largest query buffer (Redis `client-query-buffer-limit` default: 1 GB; a router holding
/// requests for many clients is stricter).
const QUERY_BUFFER_BYTES_MAX: usize = 512 * 1024 * 1024;
/// The Redis version the router presents (HELLO, INFO), that of the nodes it fronts.
pub const REDIS_VERSION: &str = "7.0.15";

/// A transaction being queued by the router (MULTI ... EXEC).
#[derive(Default)]
struct Multi {
    cmds: Vec<Vec<Bytes>>,
    /// Commands span slots (only with `--multi-cross-slot best-effort`).
    cross: bool,
    slot: Option<u16>,
    failed: bool,
    write: bool,
}

/// WATCH state: the pinned connection where WATCH ran, and the slot it watches.
struct Watch {
    conn: Arc<Upstream>,
    slot: u16,
}

/// Per-client state.
pub struct Session {
    router: Arc<Router>,
    /// Client id (CLIENT ID, HELLO).
    pub id: u64,
    peer: SocketAddr,
    name: Option<Bytes>,
    /// RESP2 or RESP3.
    pub protocol: Protocol,
    authed: bool,
    multi: Option<Multi>,
    watch: Option<Watch>,
    pubsub: PubSub,
    out: mpsc::Sender<Chunk>,
    /// Reply slots (and node groups) of the commands decoded since the last flush.
    chunk: Chunk,
    /// The slot map snapshot used for the current chunk's groups.
    map: Option<Arc<shoal_common::topology::SlotMap>>,
    /// Commands counted since the last flush (added to the shared counter per chunk).
    commands: u64,
    /// Scratch key positions for routing.
    keys: Vec<usize>,
    /// Shared connections this session used.
    conns: crate::batch::Conns,
    /// The client's socket and unread input while a command is handled, so that a blocking
    /// command can notice the client leaving (see [`Session::await_blocked`]).
    input: Option<(OwnedReadHalf, BytesMut)>,
}

/// Serves one client until it disconnects.
pub async fn serve(router: Arc<Router>, socket: TcpStream, peer: SocketAddr) {
    Stats::bump(&router.stats.connections);
    router.stats.connected.fetch_add(1, Ordering::Relaxed);
    let id = router.next_client_id.fetch_add(1, Ordering::Relaxed);
    let span = tracing::debug_span!("client", client_id = id, %peer);
    let _enter = span.enter();
    let (rd, wr) = socket.into_split();
    let (tx, rx) = mpsc::channel(PENDING_CHUNKS_MAX);
    let (push, push_rx, closed) = PushQueue::new(router.config.pubsub_limit);
    let writer = tokio::spawn(write_loop(
        Arc::clone(&router),
        wr,
        rx,
        (Arc::clone(&push), push_rx),
        closed.clone(),
    ));
    let mut session = Session {
        authed: router.config.requirepass.is_none(),
        router: Arc::clone(&router),
        id,
        peer,
        name: None,
        protocol: Protocol::Resp2,
        multi: None,
        watch: None,
        pubsub: PubSub::new(push),
        out: tx,
        chunk: Chunk::default(),
        map: None,
        commands: 0,
        keys: Vec::new(),
        conns: crate::batch::Conns::default(),
        input: None,
    };
    session.read_loop(rd, closed).await;
    session.flush().await;
    drop(session);
    let _ = writer.await;
    router.stats.connected.fetch_sub(1, Ordering::Relaxed);
}

/// Answers a client over `maxclients` and closes it, as Redis does.
pub async fn refuse(mut socket: TcpStream) {
    let _ = socket
        .write_all(b"-ERR max number of clients reached\r\n")
        .await;
}

async fn write_loop(
    router: Arc<Router>,
    mut wr: OwnedWriteHalf,
    mut rx: mpsc::Receiver<Chunk>,
    (queue, mut push): (Arc<PushQueue>, PushRx),
    mut closed: watch::Receiver<bool>,
) {
    let mut out = BytesMut::new();
    let mut push_open = true;
    // One receiver for the select below, one for the writes inside its arms.
    let mut closed_in_write = closed.clone();
    loop {
        let first = tokio::select! {
            p = rx.recv() => match p {
                Some(p) => p,
                None => break,
            },
            m = push.recv(), if push_open => {
                match m {
                    Some(m) => {
                        // Everything already waiting goes out in the same write.
                        out.extend_from_slice(&m);
                        while out.len() < WRITE_BATCH_BYTES_MAX
                            && let Some(m) = push.try_recv()
                        {
                            out.extend_from_slice(&m);
                        }
                    }
                    None => push_open = false,
                }
                if !out.is_empty()
                    && !write_unless_closed(&mut wr, &out, &mut closed_in_write).await
                {
                    return;
                }
                queue.written(push.take_count());
                out.clear();
                continue;
            }
            () = cut_off(&mut closed) => return,
        };
        let mut next = Some(first);
        let mut close = false;
        while let Some(chunk) = next.take() {
            // Messages pushed meanwhile go out between replies, as a node interleaves them.
            if chunk.answer(&router, &mut out, &mut push).await {
                close = true;
                break;
            }
            if out.len() < WRITE_BATCH_BYTES_MAX {
                next = rx.try_recv().ok();
            }
        }
        if !write_unless_closed(&mut wr, &out, &mut closed).await || close {
            let _ = wr.shutdown().await;
            return;
        }
        queue.written(push.take_count());
        out.clear();
    }
}

/// Resolves once the client is being cut off (over its output buffer limit).
async fn cut_off(closed: &mut watch::Receiver<bool>) {
    let _ = closed.wait_for(|c| *c).await;
}

/// Writes `out` to the client; false when that failed or the client was cut off meanwhile
/// (over its output buffer limit: a client that stopped reading must not hold the writer).
async fn write_unless_closed(
    wr: &mut OwnedWriteHalf,
    out: &[u8],
    closed: &mut watch::Receiver<bool>,
) -> bool {
    tokio::select! {
        r = wr.write_all(out) => r.is_ok(),
        () = cut_off(closed) => false,
    }
}

/// True for the commands [`Session::dispatch`] answers itself or refuses (its named arms and
/// guards below); every other command is routed from the table. The batching hot path
/// ([`Session::batch_whole`]) asks the same question, so both agree by construction.
fn is_local(spec: &CommandSpec) -> bool {
    matches!(
        spec.name,
        "auth"
            | "quit"
            | "ping"
            | "echo"
            | "hello"
            | "select"
            | "command"
            | "info"
            | "scan"
            | "multi"
            | "exec"
            | "discard"
            | "watch"
            | "unwatch"
            | "reset"
    ) || spec.name.starts_with("command|")
        || spec.name.starts_with("client|")
        || (spec.has(flags::PUBSUB) && crate::pubsub::is_subscription(spec))
        || (spec.has(flags::ADMIN) && route::request_policy(spec) == route::RequestPolicy::Default)
        || spec.group == Group::Cluster
}

/// A write whose answer is about all keys together (MSETNX: agg_min) is atomic on a node;
/// split across nodes it would not be, so it is refused like in cluster mode.
fn all_or_nothing(policy: ResponsePolicy) -> bool {
    matches!(
        policy,
        ResponsePolicy::AggMin
            | ResponsePolicy::AggMax
            | ResponsePolicy::AggLogicalAnd
            | ResponsePolicy::AggLogicalOr
    )
}

fn err_frame(e: &ReplyError) -> Frame {
    Frame::error(e.to_string())
}

/// Decodes one raw reply (for merges).
pub fn decode_raw(raw: &[u8]) -> Frame {
    match decode_reply(&mut BytesMut::from(raw)) {
        Ok(Some(f)) => f,
        _ => Frame::error("ERR router: undecodable reply from node"),
    }
}

impl Session {
    async fn read_loop(&mut self, mut rd: OwnedReadHalf, mut closed: watch::Receiver<bool>) {
        let mut buf = BytesMut::with_capacity(16 * 1024);
        let mut decoder = RequestDecoder::default();
        let mut spans = [(0usize, 0usize); FAST_PATH_ARGS];
        loop {
            loop {
                // Whole commands the session batches go upstream as the client wrote them.
                if decoder.is_idle()
                    && self.plain()
                    && let Some((n, len)) = whole_command(
                        &buf,
                        FAST_PATH_ARGS as i64,
                        decoder.max_bulk_len,
                        &mut spans,
                    )
                {
                    let mut args: [&[u8]; FAST_PATH_ARGS] = [&[]; FAST_PATH_ARGS];
                    for (a, &(s, l)) in args.iter_mut().zip(&spans[..n]) {
                        *a = &buf[s..s + l];
                    }
                    if self.batch_whole(&buf[..len], &args[..n]) {
                        buf.advance(len);
                        if !self.flush_if_full().await {
                            return;
                        }
                        continue;
                    }
                }
                match decoder.decode(&mut buf) {
                    Ok(Some(argv)) => {
                        self.input = Some((rd, std::mem::take(&mut buf)));
                        let ok = self.handle(argv).await;
                        (rd, buf) = self
                            .input
                            .take()
                            .expect("invariant: handling a command gives the input back");
                        if !ok {
                            return;
                        }
                    }
                    Ok(None) => break,
                    Err(e) => {
                        let mut b = BytesMut::new();
                        encode(&Frame::error(e.reply_text()), self.protocol, &mut b);
                        self.chunk.push(Pending::Close(b.freeze()));
                        return;
                    }
                }
            }
            // Everything decoded from this read goes upstream and to the writer now.
            if !self.flush().await {
                return;
            }
            if buf.len() > QUERY_BUFFER_BYTES_MAX {
                return;
            }
            let read = tokio::select! {
                r = rd.read_buf(&mut buf) => r,
                () = cut_off(&mut closed) => return,
            };
            match read {
                Ok(0) | Err(_) => return,
                Ok(_) => {}
            }
        }
    }

    fn encode(&self, f: &Frame) -> Bytes {
        let mut b = BytesMut::new();
        encode(f, self.protocol, &mut b);
        b.freeze()
    }

    async fn reply(&mut self, f: Frame) -> bool {
        let b = self.encode(&f);
        self.emit(Pending::Now(b)).await
    }

    async fn later(&mut self, f: ReplyFuture) -> bool {
        self.emit(Pending::Later(f)).await
    }

    /// Appends a reply slot to the current chunk (flushed when full).
    async fn emit(&mut self, p: Pending) -> bool {
        self.chunk.push(p);
        if self.chunk.len() >= CHUNK_REPLIES_MAX {
            return self.flush().await;
        }
        true
    }

    /// Queues the open node groups on their connections: called before a command goes
    /// upstream any other way, so that each node sees this client's commands in order.
    async fn send_open(&mut self) {
        self.chunk.send_open(&self.router, &mut self.conns).await;
        self.map = None;
    }

    /// Sends the open groups upstream and hands the chunk to the writer; false when the
    /// writer is gone.
    async fn flush(&mut self) -> bool {
        self.send_open().await;
        if self.commands > 0 {
            self.router
                .stats
                .commands
                .fetch_add(self.commands, Ordering::Relaxed);
            self.commands = 0;
        }
        if self.chunk.is_empty() {
            return true;
        }
        let next = Chunk::with_capacity(self.chunk.len());
        let chunk = std::mem::replace(&mut self.chunk, next);
        self.out.send(chunk).await.is_ok()
    }

    /// Handles one request; false when the connection must close.
    async fn handle(&mut self, argv: Vec<Bytes>) -> bool {
        self.commands += 1;
        if argv.is_empty() {
            return true;
        }
        if argv[0].eq_ignore_ascii_case(b"auth") {
            let f = self.auth(&argv);
            return self.reply(f).await;
        }
        let spec = match command::resolve(&argv) {
            Resolved::Found(s) => s,
            Resolved::Unknown => {
                return self
                    .reject(err_frame(&ReplyError::unknown_command(&argv)))
                    .await;
            }
            Resolved::UnknownSub => {
                return self
                    .reject(err_frame(&ReplyError::unknown_subcommand(&argv)))
                    .await;
            }
            Resolved::NoSub(top) => {
                return self
                    .reject(err_frame(&ReplyError::WrongArity(top.name.to_string())))
                    .await;
            }
        };
        if !spec.arity_ok(argv.len()) {
            let e = ReplyError::WrongArity(spec.name.to_string());
            return self.reject(err_frame(&e)).await;
        }
        if !self.authed && !spec.has(flags::NO_AUTH) {
            return self.reject(err_frame(&ReplyError::NoAuth)).await;
        }
        if self.protocol == Protocol::Resp2
            && self.pubsub.subscribed()
            && !crate::pubsub::allowed_when_subscribed(spec)
        {
            let e = format!(
                "ERR Can't execute '{}': only (P|S)SUBSCRIBE / (P|S)UNSUBSCRIBE / PING / QUIT / \
                 RESET are allowed in this context",
                spec.name
            );
            return self.reply(Frame::error(e)).await;
        }
        if self.multi.is_some() && !matches!(spec.name, "exec" | "discard" | "multi" | "watch") {
            let f = self.queue(spec, argv);
            return self.reply(f).await;
        }
        self.dispatch(spec, argv).await
    }

    /// An error before execution: inside MULTI it also dooms the transaction (EXECABORT).
    async fn reject(&mut self, f: Frame) -> bool {
        if let Some(m) = &mut self.multi {
            m.failed = true;
        }
        self.reply(f).await
    }

    /// Commands with local meaning are matched by name here, like the node's handler match;
    /// everything else is routed from the table. A new arm below must be named in
    /// [`is_local`] too, or its command goes upstream (and through the batching hot path).
    async fn dispatch(&mut self, spec: &'static CommandSpec, argv: Vec<Bytes>) -> bool {
        if !is_local(spec) {
            return self.route(spec, argv).await;
        }
        match spec.name {
            "quit" => {
                let b = self.encode(&Frame::ok());
                self.chunk.push(Pending::Close(b));
                false
            }
            "ping" => {
                let f = self.ping(&argv);
                self.reply(f).await
            }
            "echo" => self.reply(Frame::Bulk(argv[1].clone())).await,
            "hello" => {
                let f = self.hello(&argv);
                self.reply(f).await
            }
            "select" => self.reply(select(&argv[1])).await,
            "client|id" => self.reply(Frame::Integer(self.client_id())).await,
            "client|getname" => {
                let f = self.name.clone().map_or(Frame::Null, Frame::Bulk);
                self.reply(f).await
            }
            "client|setname" => {
                let f = self.setname(&argv[2]);
                self.reply(f).await
            }
            "client|setinfo" => {
                let attr = &argv[2];
                let f = if attr.eq_ignore_ascii_case(b"lib-name")
                    || attr.eq_ignore_ascii_case(b"lib-ver")
                {
                    Frame::ok()
                } else {
                    Frame::error(format!(
                        "ERR Unrecognized option '{}'",
                        String::from_utf8_lossy(attr)
                    ))
                };
                self.reply(f).await
            }
            "client|info" => {
                let f = Frame::Verbatim(*b"txt", Bytes::from(self.client_info()));
                self.reply(f).await
            }
            // COMMAND is derived from the table the router routes with: answered here, it
            // is what a node answers (shared code), and costs no upstream round trip.
            "command" => self.reply(reply::all()).await,
            "command|count" => self.reply(reply::count()).await,
            "command|info" => self.reply(reply::info(&argv)).await,
            "command|docs" => self.reply(reply::docs(&argv)).await,
            "command|help" => self.reply(reply::help()).await,
            "command|list" | "command|getkeys" | "command|getkeysandflags" => {
                let r = match spec.name {
                    "command|list" => reply::list(&argv),
                    "command|getkeys" => reply::getkeys(&argv),
                    _ => reply::getkeysandflags(&argv),
                };
                self.reply(r.unwrap_or_else(|e| err_frame(&e))).await
            }
            "info" => {
                let fut = crate::server::info(Arc::clone(&self.router), argv, self.protocol);
                self.later(fut).await
            }
            "scan" => self.scan(argv).await,
            "multi" => self.multi_start().await,
            "exec" => self.exec().await,
            "discard" => self.discard().await,
            "watch" => self.watch_keys(spec, argv).await,
            "unwatch" => {
                self.watch = None;
                self.reply(Frame::ok()).await
            }
            _ if spec.has(flags::PUBSUB) && crate::pubsub::is_subscription(spec) => {
                self.send_open().await;
                let fut = self.pubsub.command(&self.router, spec, argv, self.protocol);
                match fut {
                    Ok(f) => self.later(f).await,
                    Err(f) => self.reply(f).await,
                }
            }
            "reset" => {
                self.reset();
                self.reply(Frame::simple("RESET")).await
            }
            // Administrative commands without a fan-out tip (SHUTDOWN, MONITOR, DEBUG,
            // CONFIG GET, ...) would act on one arbitrary node, or turn a connection shared
            // by every client into something else: they are for the nodes themselves.
            _ if spec.has(flags::ADMIN)
                && route::request_policy(spec) == route::RequestPolicy::Default =>
            {
                let e = format!(
                    "ERR router: '{}' is an administrative command; send it to a node directly",
                    spec.name.replace('|', " ")
                );
                self.reply(Frame::error(e)).await
            }
            _ if spec.group == Group::Cluster || spec.name.starts_with("client|") => {
                let what = spec.name.replace('|', " ").to_ascii_uppercase();
                let f = if spec.group == Group::Cluster {
                    Frame::error("ERR This instance has cluster support disabled")
                } else {
                    Frame::error(format!(
                        "ERR router: {what} is not available through the router"
                    ))
                };
                self.reply(f).await
            }
            _ => self.route(spec, argv).await,
        }
    }

    /// RESET: back to a fresh connection's state (RESP2, no name, no transaction, no watch,
    /// no subscriptions, authenticated only if no password is required).
    fn reset(&mut self) {
        self.multi = None;
        self.watch = None;
        self.name = None;
        self.protocol = Protocol::Resp2;
        self.authed = self.router.config.requirepass.is_none();
        self.pubsub.reset();
    }

    fn client_id(&self) -> i64 {
        i64::try_from(self.id).unwrap_or(i64::MAX)
    }

    fn job(&self, spec: &CommandSpec, cmds: Vec<Vec<Bytes>>, slot: Option<u16>) -> Job {
        Job {
            cmds,
            slot,
            node: None,
            write: spec.has(flags::WRITE) || !spec.has(flags::READONLY),
            replica_ok: spec.has(flags::READONLY),
            protocol: self.protocol,
            via: if spec.has(flags::BLOCKING) {
                Via::Dedicated
            } else {
                Via::Shared
            },
        }
    }

    /// An error reply as a ready future.
    fn ready(&self, f: &Frame) -> ReplyFuture {
        let b = self.encode(f);
        Box::pin(async move { b })
    }

    /// Queues one job on its connection now; the future is its (single) reply.
    async fn forward(&mut self, job: Job) -> ReplyFuture {
        let router = Arc::clone(&self.router);
        let sent = retry::start(&router, &job).await;
        let protocol = self.protocol;
        Box::pin(async move {
            match retry::finish(router, job, sent).await {
                Ok(mut r) => r.pop().unwrap_or_default(),
                Err(e) => encoded_error(&e.reply_text(), protocol),
            }
        })
    }

    async fn route(&mut self, spec: &'static CommandSpec, argv: Vec<Bytes>) -> bool {
        let decision = route::route_in(spec, &argv, &mut self.keys);
        let argv = match decision {
            Route::Slot(slot) => match self.batch(spec, Wire::Argv(argv), slot) {
                Ok(()) => return self.flush_if_full().await,
                Err(Wire::Argv(argv)) => argv,
                Err(Wire::Raw(_)) => unreachable!("invariant: batch gives back what it got"),
            },
            Route::Split { ref keys, policy } if self.batch_split(spec, &argv, keys, policy) => {
                return self.flush_if_full().await;
            }
            _ => argv,
        };
        self.send_open().await;
        if spec.has(flags::BLOCKING) {
            // A blocked client runs nothing else until it is served, as on a node: what
            // came before it is answered first.
            if !self.flush().await {
                return false;
            }
            let fut = self.routed_as(spec, argv, decision).await;
            let Some(b) = self.await_blocked(fut).await else {
                return false;
            };
            return self.emit(Pending::Now(b)).await;
        }
        let fut = self.routed_as(spec, argv, decision).await;
        self.later(fut).await
    }

    /// Waits for a blocking command's reply while reading what the client sends meanwhile
    /// (kept for after it); `None` when the client left first. The reply future is then
    /// dropped with its dedicated upstream connection, so the node unblocks and frees that
    /// client, as Redis does for a client that disconnects: an element pushed later is not
    /// popped for nobody.
    async fn await_blocked(&mut self, fut: ReplyFuture) -> Option<Bytes> {
        let Some((mut rd, mut buf)) = self.input.take() else {
            return Some(fut.await);
        };
        tokio::pin!(fut);
        let reply = loop {
            if buf.len() > QUERY_BUFFER_BYTES_MAX {
                // Enough queued behind the blocked command: stop reading (back-pressure).
                break Some(fut.as_mut().await);
            }
            tokio::select! {
                b = fut.as_mut() => break Some(b),
                r = rd.read_buf(&mut buf) => {
                    if !matches!(r, Ok(n) if n > 0) {
                        break None;
                    }
                }
            }
        };
        self.input = Some((rd, buf));
        reply
    }

    /// Adds a single-slot command to its node's group in the current chunk (the hot path);
    /// gives it back when it must take the general path (blocking, replica reads, no owner).
    fn batch<'a>(
        &mut self,
        spec: &'static CommandSpec,
        cmd: Wire<'a>,
        slot: u16,
    ) -> Result<(), Wire<'a>> {
        let Some((kind, write, replica_ok)) = self.batchable(spec) else {
            return Err(cmd);
        };
        let map = self
            .map
            .get_or_insert_with(|| self.router.topology.current());
        self.chunk.add(map, cmd, slot, kind, write, replica_ok)
    }

    /// A multi-key command whose keys span slots, batched as its per-slot parts (each in its
    /// node's group) with one merged reply; false when it must take the general path
    /// ([`Session::split`], which also gives the errors: keys that do not tile, an
    /// all-or-nothing write).
    fn batch_split(
        &mut self,
        spec: &'static CommandSpec,
        argv: &[Bytes],
        keys: &[usize],
        policy: ResponsePolicy,
    ) -> bool {
        if spec.has(flags::WRITE) && all_or_nothing(policy) {
            return false;
        }
        let Some((kind, write, replica_ok)) = self.batchable(spec) else {
            return false;
        };
        let Some(parts) = split::split(argv, keys) else {
            return false;
        };
        let map = self
            .map
            .get_or_insert_with(|| self.router.topology.current());
        self.chunk
            .add_split(map, parts, kind, write, replica_ok, policy, keys.len())
            .is_ok()
    }

    /// How a command is batched (connection kind, write, replica-readable), or `None` when
    /// it must take the general path: blocking commands, and reads sent to replicas.
    fn batchable(&self, spec: &'static CommandSpec) -> Option<(crate::upstream::Kind, bool, bool)> {
        let replica_ok = spec.has(flags::READONLY);
        if spec.has(flags::BLOCKING)
            || (replica_ok && self.router.config.read_from == crate::ReadFrom::Replicas)
        {
            return None;
        }
        let kind = crate::upstream::Kind {
            protocol: self.protocol,
            readonly: false,
        };
        Some((kind, spec.has(flags::WRITE) || !replica_ok, replica_ok))
    }

    /// The client is in the state [`Session::batch_whole`] serves: authenticated, no
    /// transaction or WATCH, not subscribed in RESP2 (what `handle` checks before `dispatch`).
    fn plain(&self) -> bool {
        self.authed
            && self.multi.is_none()
            && self.watch.is_none()
            && !(self.protocol == Protocol::Resp2 && self.pubsub.subscribed())
    }

    /// The hot path for a command that arrived whole (`raw` is its wire form, `argv` its
    /// arguments, borrowed from the read buffer): when [`Session::handle`] would batch it,
    /// adds its bytes to its node's group as they are, with no decoding into owned
    /// arguments, and returns true; false sends it down the general path.
    /// Called in the [`Session::plain`] state only.
    fn batch_whole(&mut self, raw: &[u8], argv: &[&[u8]]) -> bool {
        let Resolved::Found(spec) = command::resolve(argv) else {
            return false;
        };
        if !spec.arity_ok(argv.len()) || is_local(spec) {
            return false;
        }
        let Route::Slot(slot) = route::route_in(spec, argv, &mut self.keys) else {
            return false;
        };
        if self.batch(spec, Wire::Raw(raw), slot).is_err() {
            return false;
        }
        self.commands += 1;
        true
    }

    async fn flush_if_full(&mut self) -> bool {
        if self.chunk.weight() >= CHUNK_REPLIES_MAX {
            return self.flush().await;
        }
        true
    }

    /// Sends a command where the table says (one slot, a split, a fan-out); the future is
    /// the client's reply.
    async fn routed(&mut self, spec: &'static CommandSpec, argv: Vec<Bytes>) -> ReplyFuture {
        let decision = route::route(spec, &argv);
        self.routed_as(spec, argv, decision).await
    }

    /// [`Session::routed`] with the routing decision already made.
    async fn routed_as(
        &mut self,
        spec: &'static CommandSpec,
        argv: Vec<Bytes>,
        decision: Route,
    ) -> ReplyFuture {
        match decision {
            Route::Slot(slot) => self.forward(self.job(spec, vec![argv], Some(slot))).await,
            Route::AnyPrimary => self.forward(self.job(spec, vec![argv], None)).await,
            Route::CrossSlot => self.ready(&err_frame(&ReplyError::CrossSlot)),
            Route::Split { keys, policy } => self.split(spec, argv, &keys, policy).await,
            Route::FanOut { all_nodes, policy } => {
                self.fan_out(spec, argv, all_nodes, policy).await
            }
        }
    }

    async fn split(
        &mut self,
        spec: &'static CommandSpec,
        argv: Vec<Bytes>,
        keys: &[usize],
        policy: ResponsePolicy,
    ) -> ReplyFuture {
        let parts = match split::split(&argv, keys) {
            // Keys that do not tile the arguments (MSET with a key and no value): the
            // command's own arity error, as a single server gives it.
            None => {
                let e = ReplyError::WrongArity(spec.name.to_string());
                return self.ready(&err_frame(&e));
            }
            Some(p) if !(spec.has(flags::WRITE) && all_or_nothing(policy)) => p,
            Some(_) => {
                let e = format!(
                    "CROSSSLOT Keys in request don't hash to the same slot ('{}' cannot be \
                     split across slots atomically; use a {{hash tag}})",
                    spec.name
                );
                return self.ready(&Frame::error(e));
            }
        };
        let router = Arc::clone(&self.router);
        let mut started = Vec::with_capacity(parts.len());
        let mut positions = Vec::with_capacity(parts.len());
        for part in parts {
            let job = self.job(spec, vec![part.argv], Some(part.slot));
            let sent = retry::start(&router, &job).await;
            started.push((job, sent));
            positions.push(part.positions);
        }
        let protocol = self.protocol;
        let total = keys.len();
        Box::pin(async move {
            let replies = collect(router, started).await;
            let merged = merge_split(policy, &positions, replies, total);
            encode_frame(&merged, protocol)
        })
    }

    async fn fan_out(
        &mut self,
        spec: &'static CommandSpec,
        argv: Vec<Bytes>,
        all_nodes: bool,
        policy: ResponsePolicy,
    ) -> ReplyFuture {
        let map = self.router.topology.current();
        let mut nodes: Vec<String> = map.serving_primaries().map(|n| n.addr.clone()).collect();
        if all_nodes {
            for s in &map.shards {
                nodes.extend(
                    s.replicas
                        .iter()
                        .filter(|r| r.healthy)
                        .map(|r| r.addr.clone()),
                );
            }
        }
        if nodes.is_empty() {
            return self.ready(&Frame::error("CLUSTERDOWN Hash slot not served"));
        }
        let router = Arc::clone(&self.router);
        let mut started = Vec::with_capacity(nodes.len());
        for node in nodes {
            let mut job = self.job(spec, vec![argv.clone()], None);
            job.node = Some(node);
            let sent = retry::start(&router, &job).await;
            started.push((job, sent));
        }
        let protocol = self.protocol;
        Box::pin(async move {
            let replies = collect(router, started).await;
            encode_frame(&merge_fanout(policy, replies), protocol)
        })
    }

    // ---- connection commands answered by the router ----------------------------------

    fn ping(&self, argv: &[Bytes]) -> Frame {
        if self.protocol == Protocol::Resp2 && self.pubsub.subscribed() {
            let msg = argv.get(1).cloned().unwrap_or_default();
            return Frame::Array(vec![Frame::bulk_static("pong"), Frame::Bulk(msg)]);
        }
        match argv.get(1) {
            Some(m) if argv.len() == 2 => Frame::Bulk(m.clone()),
            Some(_) => err_frame(&ReplyError::WrongArity("ping".into())),
            None => Frame::simple("PONG"),
        }
    }

    fn check_password(&self, user: &[u8], pass: &[u8]) -> bool {
        match &self.router.config.requirepass {
            Some(p) => user == b"default" && pass == p.as_bytes(),
            None => user == b"default",
        }
    }

    /// ```text
    /// AUTH [username] password
    /// ```
    fn auth(&mut self, argv: &[Bytes]) -> Frame {
        let (user, pass) = match argv.len() {
            2 => (&b"default"[..], &argv[1]),
            3 => (&argv[1][..], &argv[2]),
            _ => return Frame::error("ERR syntax error"),
        };
        if argv.len() == 2 && self.router.config.requirepass.is_none() {
            return Frame::error(
                "ERR AUTH <password> called without any password configured for the default \
                 user. Are you sure your configuration is correct?",
            );
        }
        if self.check_password(user, pass) {
            self.authed = true;
            Frame::ok()
        } else {
            err_frame(&ReplyError::WrongPass)
        }
    }

    /// ```text
    /// HELLO [protover [AUTH username password] [SETNAME clientname]]
    /// ```
    fn hello(&mut self, argv: &[Bytes]) -> Frame {
        let mut proto = None;
        let mut j = 1;
        if argv.len() >= 2 {
            match shoal_common::number::parse_i64(&argv[1]) {
                Some(2) => proto = Some(Protocol::Resp2),
                Some(3) => proto = Some(Protocol::Resp3),
                Some(_) => return Frame::error("NOPROTO unsupported protocol version"),
                None => {
                    return Frame::error("ERR Protocol version is not an integer or out of range");
                }
            }
            j = 2;
        }
        let mut auth = None;
        let mut setname = None;
        while j < argv.len() {
            let more = argv.len() - j - 1;
            if argv[j].eq_ignore_ascii_case(b"auth") && more >= 2 {
                auth = Some((argv[j + 1].clone(), argv[j + 2].clone()));
                j += 3;
            } else if argv[j].eq_ignore_ascii_case(b"setname") && more >= 1 {
                if !valid_name(&argv[j + 1]) {
                    return bad_name();
                }
                setname = Some(argv[j + 1].clone());
                j += 2;
            } else {
                return Frame::error(format!(
                    "ERR Syntax error in HELLO option '{}'",
                    String::from_utf8_lossy(&argv[j])
                ));
            }
        }
        if let Some((user, pass)) = auth {
            if !self.check_password(&user, &pass) {
                return err_frame(&ReplyError::WrongPass);
            }
            self.authed = true;
        }
        if !self.authed {
            return Frame::error(
                "NOAUTH HELLO must be called with the client already authenticated, otherwise \
                 the HELLO <proto> AUTH <user> <pass> option can be used to authenticate the \
                 client and select the RESP protocol version at the same time",
            );
        }
        if let Some(name) = setname {
            self.name = (!name.is_empty()).then_some(name);
        }
        if let Some(p) = proto {
            self.protocol = p;
        }
        let proto_num = if self.protocol == Protocol::Resp3 {
            3
        } else {
            2
        };
        Frame::Map(vec![
            (Frame::bulk_static("server"), Frame::bulk_static("redis")),
            (
                Frame::bulk_static("version"),
                Frame::bulk_static(REDIS_VERSION),
            ),
            (Frame::bulk_static("proto"), Frame::Integer(proto_num)),
            (Frame::bulk_static("id"), Frame::Integer(self.client_id())),
            (Frame::bulk_static("mode"), Frame::bulk_static("standalone")),
            (Frame::bulk_static("role"), Frame::bulk_static("master")),
            (Frame::bulk_static("modules"), Frame::Array(vec![])),
        ])
    }

    fn setname(&mut self, name: &Bytes) -> Frame {
        if !valid_name(name) {
            return bad_name();
        }
        self.name = (!name.is_empty()).then(|| name.clone());
        Frame::ok()
    }

    fn client_info(&self) -> String {
        let name = self
            .name
            .as_ref()
            .map(|n| String::from_utf8_lossy(n).into_owned())
            .unwrap_or_default();
        let flags = if self.multi.is_some() { "x" } else { "N" };
        let resp = if self.protocol == Protocol::Resp3 {
            3
        } else {
            2
        };
        format!(
            "id={} addr={} laddr=? fd=-1 name={name} age=0 idle=0 flags={flags} db=0 sub={} \
             psub={} ssub={} multi={} qbuf=0 qbuf-free=0 argv-mem=0 multi-mem=0 rbs=0 rbp=0 \
             obl=0 oll=0 omem=0 tot-mem=0 events=r cmd=client|info user=default redir=-1 \
             resp={resp}\n",
            self.id,
            self.peer,
            self.pubsub.channels(),
            self.pubsub.patterns(),
            self.pubsub.shard_channels(),
            self.multi
                .as_ref()
                .map_or(-1, |m| i64::try_from(m.cmds.len()).unwrap_or(0)),
        )
    }

    // ---- SCAN over every primary with one cursor ----------------------------------------

    /// ```text
    /// SCAN cursor [MATCH pattern] [COUNT count] [TYPE type]
    /// ```
    ///
    /// The router's cursor is `node_cursor << 10 | node_index` over the serving primaries in
    /// address order: the walk visits each primary in turn, so every key present for the
    /// whole walk is returned, as SCAN guarantees.
    async fn scan(&mut self, argv: Vec<Bytes>) -> bool {
        let Some(cursor) = std::str::from_utf8(&argv[1])
            .ok()
            .and_then(|s| s.parse::<u64>().ok())
        else {
            return self.reply(Frame::error("ERR invalid cursor")).await;
        };
        let mut nodes: Vec<String> = self
            .router
            .topology
            .current()
            .serving_primaries()
            .map(|n| n.addr.clone())
            .collect();
        nodes.sort();
        let index = usize::try_from(cursor & SCAN_INDEX_MASK).unwrap_or(usize::MAX);
        let node_cursor = cursor >> SCAN_INDEX_BITS;
        let Some(node) = nodes.get(index).cloned() else {
            let f = Frame::Array(vec![Frame::bulk_static("0"), Frame::Array(vec![])]);
            return self.reply(f).await;
        };
        let mut sub = argv.clone();
        sub[1] = Bytes::from(node_cursor.to_string());
        let spec = command::lookup(b"scan").expect("invariant: dispatch matched scan");
        let mut job = self.job(spec, vec![sub], None);
        job.node = Some(node);
        let router = Arc::clone(&self.router);
        let protocol = self.protocol;
        let count = nodes.len();
        let fut = async move {
            let reply = match retry::run(router, job).await {
                Ok(mut r) => decode_raw(&r.pop().unwrap_or_default()),
                Err(e) => return encoded_error(&e.reply_text(), protocol),
            };
            encode_frame(&scan_reply(reply, index, count), protocol)
        };
        self.later(Box::pin(fut)).await
    }

    // ---- transactions ---------------------------------------------------------------

    async fn multi_start(&mut self) -> bool {
        if self.multi.is_some() {
            return self
                .reply(Frame::error("ERR MULTI calls can not be nested"))
                .await;
        }
        self.multi = Some(Multi {
            slot: self.watch.as_ref().map(|w| w.slot),
            ..Multi::default()
        });
        self.reply(Frame::ok()).await
    }

    /// Queues a command inside MULTI, checking that its keys stay in the transaction's slot.
    fn queue(&mut self, spec: &'static CommandSpec, argv: Vec<Bytes>) -> Frame {
        let best_effort = self.watch.is_none()
            && self.router.config.multi_cross_slot == MultiCrossSlot::BestEffort;
        let m = self
            .multi
            .as_mut()
            .expect("invariant: queue is called inside MULTI");
        if spec.has(flags::NO_MULTI) {
            m.failed = true;
            return Frame::error("ERR Command not allowed inside a transaction");
        }
        let fan_out = route::request_policy(spec) != route::RequestPolicy::Default;
        match route::common_slot(spec, &argv) {
            Ok(Some(s)) if m.slot.is_none_or(|t| t == s) => m.slot = Some(s),
            Ok(None) if !fan_out => {}
            _ if best_effort => m.cross = true,
            Ok(None) => {
                m.failed = true;
                let e = format!(
                    "ERR router: '{}' runs on every node and cannot be part of a transaction",
                    spec.name
                );
                return Frame::error(e);
            }
            Ok(Some(_)) | Err(route::CrossSlot) => {
                m.failed = true;
                return err_frame(&ReplyError::CrossSlot);
            }
        }
        m.write |= !spec.has(flags::READONLY);
        m.cmds.push(argv);
        Frame::simple("QUEUED")
    }

    /// EXEC of a cross-slot transaction in best-effort mode: each command routed in order
    /// (pipelined), the replies gathered into EXEC's array.
    async fn exec_best_effort(&mut self, cmds: Vec<Vec<Bytes>>) -> bool {
        let mut futs = Vec::with_capacity(cmds.len());
        for argv in cmds {
            let fut = match command::resolve(&argv) {
                Resolved::Found(spec) => self.routed(spec, argv).await,
                _ => self.ready(&err_frame(&ReplyError::unknown_command(&argv))),
            };
            futs.push(fut);
        }
        let protocol = self.protocol;
        self.later(Box::pin(async move {
            let mut items = Vec::with_capacity(futs.len());
            for f in futs {
                items.push(decode_raw(&f.await));
            }
            encode_frame(&Frame::Array(items), protocol)
        }))
        .await
    }

    async fn discard(&mut self) -> bool {
        if self.multi.take().is_none() {
            return self.reply(Frame::error("ERR DISCARD without MULTI")).await;
        }
        self.watch = None;
        self.reply(Frame::ok()).await
    }

    async fn exec(&mut self) -> bool {
        let Some(m) = self.multi.take() else {
            return self.reply(Frame::error("ERR EXEC without MULTI")).await;
        };
        self.send_open().await;
        let watch = self.watch.take();
        if m.failed {
            return self.reply(err_frame(&ReplyError::ExecAbort)).await;
        }
        if m.cross {
            return self.exec_best_effort(m.cmds).await;
        }
        let n = m.cmds.len();
        let mut cmds = Vec::with_capacity(n + 2);
        cmds.push(vec![Bytes::from_static(b"MULTI")]);
        cmds.extend(m.cmds);
        cmds.push(vec![Bytes::from_static(b"EXEC")]);
        let job = Job {
            cmds,
            slot: m.slot,
            node: None,
            write: m.write,
            replica_ok: false,
            protocol: self.protocol,
            via: watch.map_or(Via::Shared, |w| Via::Pinned(w.conn)),
        };
        let router = Arc::clone(&self.router);
        let sent = retry::start(&router, &job).await;
        let protocol = self.protocol;
        let fut = async move {
            match retry::finish(router, job, sent).await {
                Ok(mut r) => r.pop().unwrap_or_default(),
                Err(e) => encoded_error(&e.reply_text(), protocol),
            }
        };
        self.later(Box::pin(fut)).await
    }

    /// WATCH pins a connection to the keys' node; the transaction then runs on it.
    async fn watch_keys(&mut self, spec: &'static CommandSpec, argv: Vec<Bytes>) -> bool {
        if self.multi.is_some() {
            return self
                .reply(Frame::error("ERR WATCH inside MULTI is not allowed"))
                .await;
        }
        // WATCH is awaited here: what came before it goes out (and is answered) first.
        if !self.flush().await {
            return false;
        }
        let slot = match route::common_slot(spec, &argv) {
            Ok(Some(s)) if self.watch.as_ref().is_none_or(|w| w.slot == s) => s,
            _ => return self.reply(err_frame(&ReplyError::CrossSlot)).await,
        };
        let conn = match &self.watch {
            Some(w) => Arc::clone(&w.conn),
            None => {
                let map = self.router.topology.current();
                let Some(shard) = map.shard_of(slot) else {
                    let e = crate::error::RouterError::NoOwner { slot };
                    return self.reply(Frame::error(e.reply_text())).await;
                };
                let kind = crate::upstream::Kind {
                    protocol: self.protocol,
                    readonly: false,
                };
                self.router.pool.dedicated(&shard.primary.addr, kind)
            }
        };
        let job = Job {
            cmds: vec![argv],
            slot: Some(slot),
            node: None,
            write: false,
            replica_ok: false,
            protocol: self.protocol,
            via: Via::Pinned(Arc::clone(&conn)),
        };
        match retry::run(Arc::clone(&self.router), job).await {
            Ok(mut r) => {
                let raw = r.pop().unwrap_or_default();
                if raw.first() != Some(&b'-') {
                    self.watch = Some(Watch { conn, slot });
                }
                self.emit(Pending::Now(raw)).await
            }
            Err(e) => self.reply(Frame::error(e.reply_text())).await,
        }
    }
}

/// Bits of the SCAN cursor that hold the node index (up to 1024 primaries).
const SCAN_INDEX_BITS: u32 = 10;
const SCAN_INDEX_MASK: u64 = (1 << SCAN_INDEX_BITS) - 1;

/// Turns one node's SCAN reply into the router's: the cursor re-encoded, moving on to the
/// next node when this one is done.
fn scan_reply(reply: Frame, index: usize, nodes: usize) -> Frame {
    let Frame::Array(mut items) = reply else {
        return reply;
    };
    if items.len() != 2 {
        return Frame::Array(items);
    }
    let keys = items.pop().expect("invariant: two items");
    let node_cursor = items
        .pop()
        .and_then(|c| {
            c.as_bytes()
                .and_then(|b| std::str::from_utf8(b).ok()?.parse::<u64>().ok())
        })
        .unwrap_or(0);
    let index = u64::try_from(index).unwrap_or(0);
    let next = if node_cursor != 0 {
        match node_cursor.checked_shl(SCAN_INDEX_BITS) {
            Some(c) if c >> SCAN_INDEX_BITS == node_cursor => c | index,
            _ => return Frame::error("ERR router: node cursor too large to encode"),
        }
    } else if index + 1 < u64::try_from(nodes).unwrap_or(0) {
        index + 1
    } else {
        0
    };
    Frame::Array(vec![Frame::Bulk(Bytes::from(next.to_string())), keys])
}

/// Waits for every started job; one frame per job, errors as error frames.
async fn collect(router: Arc<Router>, started: Vec<(Job, retry::Sent)>) -> Vec<Frame> {
    let mut handles = Vec::with_capacity(started.len());
    for (job, sent) in started {
        handles.push(tokio::spawn(retry::finish(Arc::clone(&router), job, sent)));
    }
    let mut out = Vec::with_capacity(handles.len());
    for h in handles {
        out.push(match h.await {
            Ok(Ok(mut r)) => decode_raw(&r.pop().unwrap_or_default()),
            Ok(Err(e)) => Frame::error(e.reply_text()),
            Err(_) => Frame::error("ERR router: internal task failed"),
        });
    }
    out
}

fn encode_frame(f: &Frame, protocol: Protocol) -> Bytes {
    let mut b = BytesMut::new();
    encode(f, protocol, &mut b);
    b.freeze()
}

fn encoded_error(text: &str, protocol: Protocol) -> Bytes {
    encode_frame(&Frame::error(text.to_string()), protocol)
}

fn select(arg: &[u8]) -> Frame {
    match shoal_common::number::parse_i64(arg) {
        None => err_frame(&ReplyError::NotInteger),
        Some(0) => Frame::ok(),
        Some(_) => err_frame(&ReplyError::SelectInCluster),
    }
}

fn valid_name(name: &[u8]) -> bool {
    name.iter().all(|&c| (b'!'..=b'~').contains(&c))
}

fn bad_name() -> Frame {
    Frame::error("ERR Client names cannot contain spaces, newlines or special characters.")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scan_cursor_walks_nodes() {
        let reply = |c: &str| Frame::Array(vec![Frame::bulk(c), Frame::bulks(["k"])]);
        let f = scan_reply(reply("17"), 2, 3);
        assert_eq!(
            f,
            Frame::Array(vec![
                Frame::bulk((17u64 << 10 | 2).to_string()),
                Frame::bulks(["k"])
            ])
        );
        assert_eq!(
            scan_reply(reply("0"), 0, 3),
            Frame::Array(vec![Frame::bulk("1"), Frame::bulks(["k"])])
        );
        assert_eq!(
            scan_reply(reply("0"), 2, 3),
            Frame::Array(vec![Frame::bulk("0"), Frame::bulks(["k"])])
        );
        assert!(scan_reply(reply(&u64::MAX.to_string()), 0, 1).is_error());
    }

    #[test]
    fn local_commands_are_not_routed() {
        let spec =
            |name: &str| shoal_common::command::lookup_full(name.as_bytes()).expect("a table row");
        for name in [
            "get", "set", "mget", "incr", "hset", "zadd", "publish", "spublish", "eval",
        ] {
            assert!(!is_local(spec(name)), "{name}");
        }
        for name in [
            "auth",
            "ping",
            "echo",
            "select",
            "multi",
            "exec",
            "watch",
            "scan",
            "info",
            "quit",
            "reset",
            "command",
            "command|info",
            "client|id",
            "client|kill",
            "subscribe",
            "ssubscribe",
            "config|get",
            "cluster|slots",
            "debug",
        ] {
            assert!(is_local(spec(name)), "{name}");
        }
    }

    #[test]
    fn select_only_zero() {
        assert_eq!(select(b"0"), Frame::ok());
        assert!(select(b"1").is_error());
        assert_eq!(
            select(b"x"),
            Frame::error("ERR value is not an integer or out of range")
        );
    }
}
