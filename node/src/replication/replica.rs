//! The replica side: one task per master link (connect, handshake, PSYNC, snapshot, stream,
//! ACKs), and the executor's handling of what it reports.
//!
//! The task counts the stream bytes it hands to the executor (`read_offset`) and uses that
//! count to continue with `PSYNC <replid> <read_offset+1>` after a broken link: everything it
//! handed over is applied in order, so it never asks for a byte twice. Events carry the link's
//! generation; events of a link replaced by a later REPLICAOF are ignored.

use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};
use std::time::Duration;

use bytes::{Buf, Bytes, BytesMut};
use shoal_common::resp::decode::RequestDecoder;
use shoal_common::resp::encode::encode_request;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::sync::mpsc;
use tracing::{info, warn};

use super::{LinkState, MasterLink, snapshot::EOF_MARK_LEN};
use crate::exec::{Client, Event, Server};

/// How long a connection attempt may take.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);
/// Pause between reconnection attempts.
const RETRY_DELAY: Duration = Duration::from_millis(500);
/// How often the replica acknowledges its offset (Redis: every second).
const ACK_PERIOD: Duration = Duration::from_secs(1);
/// Most commands in one batch handed to the executor.
const APPLY_BATCH_MAX: usize = 1024;

/// Messages from the executor to a link task.
#[derive(Debug)]
pub enum LinkControl {
    /// Send `REPLCONF ACK` now (the master asked with GETACK).
    AckNow,
}

/// What a link task reports to the executor.
#[derive(Debug)]
pub enum ReplEvent {
    /// The link changed state.
    State(LinkState),
    /// A full resync starts: drop all data, adopt `replid` at `offset`.
    FullSync {
        /// The master's replication id.
        replid: String,
        /// The offset the stream continues from.
        offset: i64,
    },
    /// A partial resync was accepted; the master may have a new id.
    Continue {
        /// New id, if the master announced one.
        replid: Option<String>,
    },
    /// Commands to apply. `counted` bytes of stream they came from (0 for snapshot content).
    Apply {
        /// The commands.
        cmds: Vec<Vec<Bytes>>,
        /// Stream bytes they represent.
        counted: usize,
    },
}

/// Parameters of a link task.
#[derive(Debug)]
pub struct LinkParams {
    /// Master host.
    pub host: String,
    /// Master port.
    pub port: u16,
    /// Our client port (REPLCONF listening-port).
    pub my_port: u16,
    /// Generation for events.
    pub generation: u64,
    /// Our replication id to continue from.
    pub replid: String,
    /// Our offset to continue from.
    pub offset: i64,
    /// The offset the executor has applied (for ACKs).
    pub applied: Arc<AtomicI64>,
    /// `masterauth`.
    pub masterauth: Option<String>,
    /// `masteruser`: AUTH names this user with `masterauth`.
    pub masteruser: Option<String>,
    /// `replica-announce-ip`, sent as `REPLCONF ip-address`.
    pub announce_ip: Option<String>,
    /// Events to the executor.
    pub events: mpsc::UnboundedSender<Event>,
    /// `repl-timeout`.
    pub timeout: Duration,
}

struct Link {
    stream: TcpStream,
    buf: BytesMut,
    /// `repl-timeout`: silence from the master this long drops the link.
    timeout: Duration,
}

impl Link {
    async fn read_more(&mut self, timeout: Duration) -> std::io::Result<()> {
        self.buf.reserve(16 * 1024);
        match tokio::time::timeout(timeout, self.stream.read_buf(&mut self.buf)).await {
            Err(_) => Err(std::io::Error::new(
                std::io::ErrorKind::TimedOut,
                "master timed out",
            )),
            Ok(Ok(0)) => Err(std::io::Error::new(
                std::io::ErrorKind::UnexpectedEof,
                "master closed the link",
            )),
            Ok(Ok(_)) => Ok(()),
            Ok(Err(e)) => Err(e),
        }
    }

    async fn line(&mut self) -> std::io::Result<String> {
        loop {
            if let Some(pos) = self.buf.windows(2).position(|w| w == b"\r\n") {
                let line = String::from_utf8_lossy(&self.buf[..pos]).into_owned();
                self.buf.advance(pos + 2);
                return Ok(line);
            }
            self.read_more(self.timeout).await?;
        }
    }

    async fn command(&mut self, args: &[&[u8]]) -> std::io::Result<String> {
        let mut out = BytesMut::new();
        encode_request(args, &mut out);
        self.stream.write_all(&out).await?;
        self.line().await
    }
}

fn io_err(msg: String) -> std::io::Error {
    std::io::Error::other(msg)
}

fn send(p: &LinkParams, ev: ReplEvent) -> bool {
    p.events
        .send(Event::Repl {
            generation: p.generation,
            event: ev,
        })
        .is_ok()
}

/// Runs a master link until the executor drops its control channel.
pub async fn run_link(mut p: LinkParams, mut control: mpsc::UnboundedReceiver<LinkControl>) {
    loop {
        if !send(&p, ReplEvent::State(LinkState::Connecting)) {
            return;
        }
        let result = tokio::select! {
            r = sync_once(&mut p, &mut control) => r,
        };
        match result {
            Ok(()) => return,
            Err(e) => warn!(host = %p.host, port = p.port, error = %e, "master link down"),
        }
        if !send(&p, ReplEvent::State(LinkState::Connect)) {
            return;
        }
        tokio::select! {
            () = tokio::time::sleep(RETRY_DELAY) => {}
            msg = control.recv() => if msg.is_none() { return; },
        }
    }
}

/// One connection: handshake, sync, stream until an error. `Ok(())` means stop for good.
async fn sync_once(
    p: &mut LinkParams,
    control: &mut mpsc::UnboundedReceiver<LinkControl>,
) -> std::io::Result<()> {
    let addr = format!("{}:{}", p.host, p.port);
    let stream = tokio::time::timeout(CONNECT_TIMEOUT, TcpStream::connect(&addr))
        .await
        .map_err(|_| io_err(format!("timeout connecting to {addr}")))??;
    let _ = stream.set_nodelay(true);
    let mut link = Link {
        stream,
        buf: BytesMut::new(),
        timeout: p.timeout,
    };
    send(p, ReplEvent::State(LinkState::Handshake));
    let pong = link.command(&[b"PING"]).await?;
    if pong.starts_with('-') && !pong.starts_with("-NOAUTH") {
        return Err(io_err(format!("error reply to PING: {pong}")));
    }
    if let Some(pass) = p.masterauth.clone() {
        let r = match &p.masteruser {
            Some(user) => {
                link.command(&[b"AUTH", user.as_bytes(), pass.as_bytes()])
                    .await?
            }
            None => link.command(&[b"AUTH", pass.as_bytes()]).await?,
        };
        if r.starts_with('-') {
            return Err(io_err(format!("unable to AUTH to MASTER: {r}")));
        }
    }
    let port = p.my_port.to_string();
    link.command(&[b"REPLCONF", b"listening-port", port.as_bytes()])
        .await?;
    if let Some(ip) = &p.announce_ip {
        // A master that does not know the option answers an error; Redis goes on too.
        link.command(&[b"REPLCONF", b"ip-address", ip.as_bytes()])
            .await?;
    }
    link.command(&[b"REPLCONF", b"capa", b"eof", b"capa", b"psync2"])
        .await?;
    let offset = (p.offset + 1).to_string();
    let reply = link
        .command(&[b"PSYNC", p.replid.as_bytes(), offset.as_bytes()])
        .await?;
    let words: Vec<&str> = reply.split(' ').collect();
    match words.as_slice() {
        ["+FULLRESYNC", id, off] => {
            let off: i64 = off
                .parse()
                .map_err(|_| io_err(format!("bad FULLRESYNC: {reply}")))?;
            info!(master = %addr, replid = %id, offset = off, "full resync from master");
            p.replid = (*id).to_string();
            p.offset = off;
            send(
                p,
                ReplEvent::FullSync {
                    replid: p.replid.clone(),
                    offset: off,
                },
            );
            send(p, ReplEvent::State(LinkState::Sync));
            read_snapshot(p, &mut link).await?;
        }
        ["+CONTINUE"] => {
            send(p, ReplEvent::Continue { replid: None });
        }
        ["+CONTINUE", id] => {
            p.replid = (*id).to_string();
            send(
                p,
                ReplEvent::Continue {
                    replid: Some(p.replid.clone()),
                },
            );
        }
        _ => return Err(io_err(format!("unexpected reply to PSYNC: {reply}"))),
    }
    info!(master = %addr, "MASTER <-> REPLICA sync: master accepted, streaming");
    send(p, ReplEvent::State(LinkState::Connected));
    stream_commands(p, &mut link, control).await
}

async fn read_snapshot(p: &LinkParams, link: &mut Link) -> std::io::Result<()> {
    let header = link.line().await?;
    let Some(mark) = header.strip_prefix("$EOF:") else {
        return Err(io_err(format!("unsupported snapshot framing: {header}")));
    };
    if mark.len() != EOF_MARK_LEN {
        return Err(io_err("bad EOF mark".into()));
    }
    let mark = mark.as_bytes().to_vec();
    let mut decoder = RequestDecoder::new(i64::MAX);
    loop {
        let mut cmds = Vec::new();
        loop {
            if decoder.is_idle()
                && link.buf.len() >= mark.len()
                && link.buf[..mark.len()] == mark[..]
            {
                link.buf.advance(mark.len());
                if !cmds.is_empty() {
                    send(p, ReplEvent::Apply { cmds, counted: 0 });
                }
                return Ok(());
            }
            if decoder.is_idle() && link.buf.len() < mark.len() && mark.starts_with(&link.buf) {
                break; // maybe the mark, partly arrived
            }
            match decoder
                .decode(&mut link.buf)
                .map_err(|e| io_err(format!("bad snapshot: {e}")))?
            {
                Some(cmd) => {
                    cmds.push(cmd);
                    if cmds.len() >= APPLY_BATCH_MAX {
                        break;
                    }
                }
                None => break,
            }
        }
        if !cmds.is_empty() {
            send(p, ReplEvent::Apply { cmds, counted: 0 });
            continue;
        }
        link.read_more(link.timeout).await?;
    }
}

async fn send_ack(link: &mut Link, applied: i64) -> std::io::Result<()> {
    let mut out = BytesMut::new();
    let off = applied.to_string();
    encode_request(&[b"REPLCONF".as_slice(), b"ACK", off.as_bytes()], &mut out);
    link.stream.write_all(&out).await
}

async fn stream_commands(
    p: &mut LinkParams,
    link: &mut Link,
    control: &mut mpsc::UnboundedReceiver<LinkControl>,
) -> std::io::Result<()> {
    let mut decoder = RequestDecoder::new(i64::MAX);
    let mut ack = tokio::time::interval(ACK_PERIOD);
    loop {
        // Hand over every complete command, counting the bytes they took.
        loop {
            let before = link.buf.len();
            let mut cmds = Vec::new();
            while cmds.len() < APPLY_BATCH_MAX {
                match decoder
                    .decode(&mut link.buf)
                    .map_err(|e| io_err(format!("bad stream: {e}")))?
                {
                    Some(cmd) => cmds.push(cmd),
                    None => break,
                }
            }
            let consumed = before - link.buf.len();
            if cmds.is_empty() && consumed == 0 {
                break;
            }
            // Bytes of a partly read command count once that command completes; the decoder
            // consumed them already, so count them now and hand over with the next batch.
            p.offset += i64::try_from(consumed).unwrap_or(0);
            if !send(
                p,
                ReplEvent::Apply {
                    cmds,
                    counted: consumed,
                },
            ) {
                return Ok(());
            }
            if link.buf.is_empty() {
                break;
            }
        }
        tokio::select! {
            r = link.read_more(link.timeout) => r?,
            _ = ack.tick() => send_ack(link, p.applied.load(Ordering::Relaxed)).await?,
            msg = control.recv() => match msg {
                None => return Ok(()),
                Some(LinkControl::AckNow) => send_ack(link, p.applied.load(Ordering::Relaxed)).await?,
            },
        }
    }
}

impl Server {
    /// Makes this node a replica of `host:port` (REPLICAOF), replacing any previous link.
    pub fn start_replication(&mut self, host: String, port: u16) {
        // Clients blocked in the master we were, now a replica (Redis `replicationSetMaster`).
        self.disconnect_all_blocked_clients();
        self.repl.generations += 1;
        let generation = self.repl.generations;
        let (control_tx, control_rx) = mpsc::unbounded_channel();
        let now = self.clock.now_ms();
        if let Some(events) = self.events.clone() {
            let setting =
                |name: &str| Some(self.config.get_str(name).to_string()).filter(|s| !s.is_empty());
            let masterauth = setting("masterauth");
            let masteruser = setting("masteruser");
            let announce_ip = setting("replica-announce-ip");
            // `replica-announce-port`, when set, is the port the master shows for us.
            let my_port = match u16::try_from(self.config.get_i64("replica-announce-port")) {
                Ok(p) if p != 0 => p,
                _ => self.port,
            };
            let params = LinkParams {
                host: host.clone(),
                port,
                my_port,
                generation,
                replid: self.repl.replid.clone(),
                offset: self.repl.offset(),
                applied: self.repl.shared_offset.clone(),
                masterauth,
                masteruser,
                announce_ip,
                events,
                timeout: Duration::from_secs(
                    u64::try_from(self.config.get_i64("repl-timeout"))
                        .unwrap_or(60)
                        .max(1),
                ),
            };
            tokio::spawn(run_link(params, control_rx));
        }
        let (out, _) = mpsc::unbounded_channel();
        let mut master_client = Client::new(
            0,
            format!("{host}:{port}"),
            String::new(),
            out,
            Arc::default(),
            now,
            true,
        );
        master_client.is_master = true;
        self.master_client = Some(Box::new(master_client));
        self.repl.master = Some(MasterLink {
            host,
            port,
            state: LinkState::Connect,
            generation,
            control: control_tx,
            last_io_ms: now,
            down_since_ms: now,
        });
    }

    /// Stops replicating and becomes a master (REPLICAOF NO ONE): the old id becomes the
    /// secondary one so our own replicas can continue partially.
    pub fn stop_replication(&mut self) {
        if self.repl.master.take().is_none() {
            return;
        }
        self.master_client = None;
        let offset = self.repl.offset();
        self.repl.replid2 = std::mem::replace(
            &mut self.repl.replid,
            crate::exec::random_hex40(&mut self.rng),
        );
        self.repl.second_offset = offset + 1;
        info!(new_replid = %self.repl.replid, second_offset = offset + 1, "promoted to master");
    }

    /// Sets how the command about to run treats expired keys (Redis `expireIfNeeded`): a
    /// primary deletes them; a replica hides them from its clients without deleting (the
    /// primary's DEL follows), except for writes on a writable replica, which delete; the
    /// master's own stream sees them until it deletes them.
    pub fn set_expiry_mode(
        &mut self,
        client: &crate::exec::Client,
        spec: &shoal_common::command::CommandSpec,
    ) {
        use crate::db::ExpiryMode;
        let mode = if !self.repl.is_replica() {
            ExpiryMode::Delete
        } else if client.is_master {
            ExpiryMode::Keep
        } else if spec.has(shoal_common::command::flags::WRITE)
            && !self.config.get_bool("replica-read-only")
        {
            ExpiryMode::Delete
        } else {
            ExpiryMode::Hide
        };
        if self.dbs.first().is_some_and(|db| db.expiry_mode != mode) {
            for db in &mut self.dbs {
                db.expiry_mode = mode;
            }
        }
    }

    /// Handles a link task's report.
    pub fn handle_repl_event(&mut self, generation: u64, event: ReplEvent) {
        let Some(master) = self.repl.master.as_mut() else {
            return;
        };
        if master.generation != generation {
            return;
        }
        let now = self.clock.now_ms();
        master.last_io_ms = now;
        match event {
            ReplEvent::State(state) => {
                if state != LinkState::Connected && master.state == LinkState::Connected {
                    master.down_since_ms = now;
                }
                master.state = state;
            }
            ReplEvent::FullSync { replid, offset } => {
                for db in &mut self.dbs {
                    db.clear();
                }
                self.repl.replid = replid;
                self.repl.replid2 = "0".repeat(40);
                self.repl.second_offset = -1;
                self.repl.base_offset = offset;
                self.repl.backlog = None;
                self.ensure_backlog();
                self.repl.last_db = None;
                self.repl.shared_offset.store(offset, Ordering::Relaxed);
                // Our own replicas hold data we just dropped: they must resync.
                for r in std::mem::take(&mut self.repl.replicas) {
                    if let Some(c) = self.clients.remove(&r.client_id) {
                        c.close();
                    }
                }
                if let Some(mc) = self.master_client.as_mut() {
                    mc.db = 0;
                }
            }
            ReplEvent::Continue { replid } => {
                if let Some(id) = replid.filter(|id| *id != self.repl.replid) {
                    self.repl.replid2 = std::mem::replace(&mut self.repl.replid, id);
                    self.repl.second_offset = self.repl.offset() + 1;
                }
            }
            ReplEvent::Apply { cmds, counted } => self.apply_from_master(cmds, counted),
        }
    }

    fn apply_from_master(&mut self, cmds: Vec<Vec<Bytes>>, counted: usize) {
        let Some(mut mc) = self.master_client.take() else {
            return;
        };
        let mut raw = BytesMut::new();
        for argv in &cmds {
            let _ = self.process_command(&mut mc, argv);
            if counted > 0 {
                encode_request(argv, &mut raw);
            }
        }
        self.master_client = Some(mc);
        if counted > 0 {
            self.ensure_backlog();
            // Forward the stream verbatim to our own replicas and keep it for partial resyncs.
            // Commands that were split across reads are re-encoded whole, which gives the same
            // bytes for the canonical multibulk a master sends.
            self.feed_stream(&raw);
        }
    }
}
