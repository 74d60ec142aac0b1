//! One task per client: read, decode every complete command in the buffer, send them to the
//! executor as one batch, and write whatever the executor sends back. It never touches the
//! keyspace.
//!
//! Limits enforced here: `proto-max-bulk-len` (in the decoder) and
//! `client-query-buffer-limit` (a client whose unparsed input grows past it is closed, as
//! Redis does).

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicI64, AtomicUsize, Ordering};

use bytes::BytesMut;
use shoal_common::resp::decode::RequestDecoder;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::sync::{Notify, mpsc};
use tracing::debug;

use crate::clock::unix_ms;
use crate::exec::{Client, ClientId, Event, Out};

/// Read buffer growth step.
const READ_CHUNK: usize = 16 * 1024;
/// Most commands sent to the executor in one batch; bounds the executor's time per batch so
/// one pipelining client cannot starve the others.
const BATCH_MAX: usize = 1024;
/// Capacity a batch starts with (a pipeline of 16 fills it without regrowing).
const BATCH_START: usize = 16;

/// Decoded input the executor has not run yet, in bytes ([`command_cost`]), above which the
/// reader stops reading the socket. Without it a client that sends faster than the executor
/// runs (`redis-cli --pipe`, a big pipeline) piles decoded commands up in the executor's
/// queue without bound; with it the backlog stays in the kernel's socket buffers and TCP
/// slows the sender, as Redis's single loop does by reading only when it has processed.
const INPUT_HIGH: usize = 1 << 20;
/// The reader resumes once the unexecuted input has fallen to this.
const INPUT_LOW: usize = INPUT_HIGH / 4;

/// What a decoded command counts against [`INPUT_HIGH`]: its argument bytes plus a fixed
/// charge per argument for the allocation holding it.
pub fn command_cost(argv: &[bytes::Bytes]) -> usize {
    argv.iter().map(|a| a.len() + 16).sum()
}

/// Input flow control between one connection's reader and the executor: the reader adds
/// each command's [`command_cost`] as it queues it, the executor subtracts it once the
/// command has run (a blocked or paused client's commands keep counting until they run).
#[derive(Debug, Default)]
pub struct InputGate {
    queued: AtomicUsize,
    room: Notify,
}

impl InputGate {
    /// Called by the executor for commands that have run, `cost` in total.
    pub fn release(&self, cost: usize) {
        if cost == 0 {
            return;
        }
        let before = self.queued.fetch_sub(cost, Ordering::AcqRel);
        if before > INPUT_LOW && before - cost <= INPUT_LOW {
            self.room.notify_one();
        }
    }

    /// Counts `cost` more queued bytes.
    fn add(&self, cost: usize) -> usize {
        self.queued.fetch_add(cost, Ordering::AcqRel) + cost
    }

    /// Waits until the executor has worked the queue down to [`INPUT_LOW`]. Meanwhile the
    /// socket is not read, so a client that disconnects while blocked behind a megabyte of
    /// its own commands is noticed when it is served (or its command times out).
    async fn wait_for_room(&self) {
        loop {
            let notified = self.room.notified();
            tokio::pin!(notified);
            notified.as_mut().enable();
            if self.queued.load(Ordering::Acquire) <= INPUT_LOW {
                return;
            }
            notified.await;
        }
    }
}

/// Per-connection limits from the configuration, shared by every connection task and kept
/// current by the executor (`Server::config_changed`), so `CONFIG SET` applies at once.
#[derive(Debug, Default)]
pub struct Limits {
    /// `proto-max-bulk-len`.
    pub max_bulk_len: AtomicI64,
    /// `client-query-buffer-limit`.
    pub query_buffer_limit: AtomicI64,
}

impl Limits {
    /// Limits read from `config`.
    pub fn from_config(config: &crate::config::Config) -> Limits {
        let l = Limits::default();
        l.update(config);
        l
    }

    /// Re-reads the limits from `config`.
    pub fn update(&self, config: &crate::config::Config) {
        self.max_bulk_len
            .store(config.get_i64("proto-max-bulk-len"), Ordering::Relaxed);
        self.query_buffer_limit.store(
            config.get_i64("client-query-buffer-limit"),
            Ordering::Relaxed,
        );
    }
}

/// Serves one TCP client until it disconnects or the executor closes it.
pub async fn serve(
    socket: TcpStream,
    peer: SocketAddr,
    id: ClientId,
    tx: mpsc::UnboundedSender<Event>,
    limits: Arc<Limits>,
    authenticated: bool,
) {
    let laddr = socket
        .local_addr()
        .map(|a| a.to_string())
        .unwrap_or_default();
    let (rd, wr) = socket.into_split();
    let conn = Conn {
        addr: peer.to_string(),
        laddr,
        id,
        tx,
        limits,
        authenticated,
    };
    serve_halves(rd, wr, conn).await;
}

/// Serves one unix-socket client (`unixsocket`); its address is `<path>:0`, as in Redis.
pub async fn serve_unix(
    socket: tokio::net::UnixStream,
    path: Arc<str>,
    id: ClientId,
    tx: mpsc::UnboundedSender<Event>,
    limits: Arc<Limits>,
    authenticated: bool,
) {
    let (rd, wr) = socket.into_split();
    let conn = Conn {
        addr: format!("{path}:0"),
        laddr: format!("{path}:0"),
        id,
        tx,
        limits,
        authenticated,
    };
    serve_halves(rd, wr, conn).await;
}

/// Who a connection is and where it reports.
struct Conn {
    addr: String,
    laddr: String,
    id: ClientId,
    tx: mpsc::UnboundedSender<Event>,
    limits: Arc<Limits>,
    authenticated: bool,
}

/// The read and write loops of one connection, whatever the socket type.
async fn serve_halves<R, W>(mut rd: R, mut wr: W, conn: Conn)
where
    R: tokio::io::AsyncRead + Unpin + Send + 'static,
    W: tokio::io::AsyncWrite + Unpin,
{
    let Conn {
        addr,
        laddr,
        id,
        tx,
        limits,
        authenticated,
    } = conn;
    let (out_tx, mut out_rx) = mpsc::unbounded_channel::<Out>();
    let pending = Arc::new(AtomicUsize::new(0));
    let kill = Arc::new(Notify::new());
    let mut client = Client::new(
        id,
        addr,
        laddr,
        out_tx,
        pending.clone(),
        unix_ms(),
        authenticated,
    );
    client.set_kill(kill.clone());
    let auth_flag = Arc::new(AtomicBool::new(authenticated));
    client.set_auth_flag(auth_flag.clone());
    let gate = Arc::new(InputGate::default());
    client.set_input_gate(gate.clone());
    if tx.send(Event::Connect(Box::new(client))).is_err() {
        return;
    }
    let reader_tx = tx.clone();
    let mut reader = tokio::spawn(async move {
        let mut buf = BytesMut::with_capacity(READ_CHUNK);
        let mut decoder = RequestDecoder::new(limits.max_bulk_len.load(Ordering::Relaxed));
        loop {
            decoder.max_bulk_len = limits.max_bulk_len.load(Ordering::Relaxed);
            decoder.unauthenticated = !auth_flag.load(Ordering::Relaxed);
            buf.reserve(READ_CHUNK);
            match rd.read_buf(&mut buf).await {
                Ok(0) | Err(_) => break,
                Ok(_) => {}
            }
            let mut queued;
            loop {
                let mut cmds = Vec::with_capacity(BATCH_START);
                let mut error = None;
                let mut cost = 0;
                while cmds.len() < BATCH_MAX {
                    match decoder.decode(&mut buf) {
                        Ok(Some(cmd)) => {
                            cost += command_cost(&cmd);
                            cmds.push(cmd);
                        }
                        Ok(None) => break,
                        Err(e) => {
                            error = Some(e);
                            break;
                        }
                    }
                }
                let more = cmds.len() == BATCH_MAX;
                let fatal = error.is_some();
                // Counted before the executor can run (and release) them.
                queued = gate.add(cost);
                if (!cmds.is_empty() || fatal)
                    && reader_tx.send(Event::Batch { id, cmds, error }).is_err()
                {
                    return;
                }
                if fatal {
                    return;
                }
                if !more {
                    break;
                }
            }
            if queued > INPUT_HIGH {
                gate.wait_for_room().await;
            }
            let limit = usize::try_from(limits.query_buffer_limit.load(Ordering::Relaxed))
                .unwrap_or(usize::MAX);
            if buf.len() > limit {
                debug!(
                    client = id,
                    "closing client that reached max query buffer length"
                );
                break;
            }
        }
        let _ = reader_tx.send(Event::Disconnect(id));
    });
    // Writer: drain the executor's output, coalescing what is already queued into one write.
    loop {
        tokio::select! {
            msg = out_rx.recv() => {
                let Some(msg) = msg else { break };
                let mut close = false;
                let mut data = match msg {
                    Out::Data(d) => d,
                    Out::Close => { close = true; BytesMut::new() }
                };
                while !close {
                    match out_rx.try_recv() {
                        Ok(Out::Data(more)) => data.extend_from_slice(&more),
                        Ok(Out::Close) => close = true,
                        Err(_) => break,
                    }
                }
                if !data.is_empty() {
                    let n = data.len();
                    // A kill (output buffer limit) must not wait for a slow reader.
                    tokio::select! {
                        res = wr.write_all(&data) => if res.is_err() { break },
                        () = kill.notified() => break,
                    }
                    pending.fetch_sub(n.min(pending.load(Ordering::Relaxed)), Ordering::Relaxed);
                }
                if close {
                    break;
                }
            }
            () = kill.notified() => break,
            _ = &mut reader => {
                // The reader ended (EOF or fatal error): it already told the executor. Keep
                // writing until the executor drops our channel, so the final replies (e.g.
                // the protocol error) still go out.
                while let Some(msg) = out_rx.recv().await {
                    match msg {
                        Out::Data(d) => { if wr.write_all(&d).await.is_err() { break; } }
                        Out::Close => break,
                    }
                }
                let _ = wr.shutdown().await;
                return;
            }
        }
    }
    let _ = wr.shutdown().await;
    reader.abort();
    let _ = tx.send(Event::Disconnect(id));
}
