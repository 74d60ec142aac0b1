//! Pub/sub through the router: SUBSCRIBE / PSUBSCRIBE on one dedicated link to a primary (a
//! cluster node receives every PUBLISH of the cluster over the bus), SSUBSCRIBE on a link to
//! the primary owning the channel's slot. PUBLISH and SPUBLISH are ordinary routed commands.
//!
//! Redis counterpart: `pubsub.c` as a client sees it. Each link is a task that writes the
//! session's (un)subscribe commands and splits what comes back in two: subscription
//! confirmations answer the command that asked for them (in order, through the session's
//! reply queue), messages go straight to the client's writer as they arrive. Links speak the
//! client's protocol, so RESP2 arrays and RESP3 pushes pass through byte for byte.
//!
//! Keyspace notifications are the exception to "every node hears every PUBLISH": a node
//! publishes the events of its own keys only. So a subscription that can receive them (a
//! `__keyspace@...` / `__keyevent@...` channel, or a pattern that may match one) is also sent
//! on an *echo* link to every other primary, which passes on only keyspace events and
//! swallows the confirmations: the client sees the events of the whole keyspace, as from
//! one server.
//!
//! Messages wait for the client in its [`PushQueue`], bounded like a node's output buffer
//! (`client-output-buffer-limit pubsub`, Redis's defaults): a subscriber that stops reading
//! is disconnected instead of growing the router's memory, since the links keep reading
//! their nodes on its behalf.
//!
//! A link follows a slot: when its node dies, it waits for the cluster's failover (asking the
//! router for a fresh topology) and reconnects to whichever primary serves that slot now,
//! re-subscribing what it carried (the session's channels and patterns on the main link, the
//! shard channels assigned to it, the keyspace subscriptions on an echo link) and re-sending
//! the (un)subscribe commands still waiting for confirmations; the confirmations of the
//! re-subscriptions are swallowed, so the client sees only what it asked for. Messages
//! published while the node was down are lost, as for a client of the dead node.
//!
//! Known limits: echo links go to the primaries of the moment of the subscription (a primary
//! added later is not echoed). A user's own PUBLISH to a keyspace channel name arrives once
//! per primary.

use std::collections::{HashMap, HashSet, VecDeque};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use bytes::{Bytes, BytesMut};
use shoal_common::Frame;
use shoal_common::command::CommandSpec;
use shoal_common::obuf::ObufLimit;
use shoal_common::resp::Protocol;
use shoal_common::resp::decode::reply_len;
use shoal_common::resp::encode::encode_request;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::sync::{Mutex, mpsc, watch};

use crate::Router;
use crate::route;
use crate::session::{ReplyFuture, decode_raw};
use crate::topology::Topology;
use crate::upstream::{ConnOptions, Kind, connect};

/// How long a subscription waits for an echo link's confirmations (a link whose node died
/// re-subscribes on its own; the client need not wait for that).
const ECHO_CONFIRM_WAIT: Duration = Duration::from_secs(5);
/// Longest pause between two attempts of a link to reach its slot's primary again.
const HEAL_BACKOFF_MAX: Duration = Duration::from_secs(1);

const SUBSCRIPTION_KINDS: &[&str] = &[
    "subscribe",
    "unsubscribe",
    "psubscribe",
    "punsubscribe",
    "ssubscribe",
    "sunsubscribe",
];

/// True for the (un)subscribe family.
pub fn is_subscription(spec: &CommandSpec) -> bool {
    SUBSCRIPTION_KINDS.contains(&spec.name)
}

/// Commands a RESP2 client may send while subscribed.
pub fn allowed_when_subscribed(spec: &CommandSpec) -> bool {
    is_subscription(spec) || matches!(spec.name, "ping" | "quit" | "reset")
}

/// The messages on their way to one client: its subscription links push, its writer takes
/// them and reports what it wrote. Past the limit the client is cut off: [`PushQueue::push`]
/// refuses the message and raises the `closed` signal, which the session's reader and
/// writer watch.
pub struct PushQueue {
    tx: mpsc::UnboundedSender<Bytes>,
    /// Bytes pushed and not yet written to the client.
    waiting: AtomicU64,
    limit: ObufLimit,
    /// When `waiting` went over the soft limit (see [`ObufLimit::exceeded`]).
    soft_since_ms: std::sync::Mutex<Option<i64>>,
    /// `soft_since_ms` is set (read without the lock).
    soft_clock: std::sync::atomic::AtomicBool,
    started: Instant,
    closed: watch::Sender<bool>,
}

impl PushQueue {
    /// A queue bounded by `limit`, its receiving end, and the `closed` signal's receiver.
    pub fn new(limit: ObufLimit) -> (Arc<PushQueue>, PushRx, watch::Receiver<bool>) {
        let (tx, rx) = mpsc::unbounded_channel();
        let (closed, closed_rx) = watch::channel(false);
        let q = PushQueue {
            tx,
            waiting: AtomicU64::new(0),
            limit,
            soft_since_ms: std::sync::Mutex::new(None),
            soft_clock: std::sync::atomic::AtomicBool::new(false),
            started: Instant::now(),
            closed,
        };
        let rx = PushRx { rx, taken: 0 };
        (Arc::new(q), rx, closed_rx)
    }

    /// Queues a message for the client; false when the client is over its limit (it is
    /// being closed, and nothing more is queued) or gone.
    pub fn push(&self, msg: Bytes) -> bool {
        if *self.closed.borrow() {
            return false;
        }
        let len = msg.len() as u64;
        let waiting = self.waiting.fetch_add(len, Ordering::Relaxed) + len;
        // Under both limits with no soft-limit clock running (the usual case): nothing to
        // check, no clock read, no lock.
        let under = |limit: u64| limit == 0 || waiting < limit;
        let quiet = under(self.limit.hard_bytes) && under(self.limit.soft_bytes);
        let over = if quiet && !self.soft_clock.load(Ordering::Relaxed) {
            false
        } else {
            let now_ms = i64::try_from(self.started.elapsed().as_millis()).unwrap_or(i64::MAX);
            let mut since = self
                .soft_since_ms
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            let over = self.limit.exceeded(waiting, &mut since, now_ms);
            self.soft_clock.store(since.is_some(), Ordering::Relaxed);
            over
        };
        if over {
            tracing::debug!(waiting, "closing subscriber over its output buffer limit");
            self.closed.send_replace(true);
            return false;
        }
        self.tx.send(msg).is_ok()
    }

    /// True once the client was cut off or its writer is gone.
    pub fn is_closed(&self) -> bool {
        *self.closed.borrow() || self.tx.is_closed()
    }

    /// The writer wrote `n` bytes of pushed messages to the client.
    pub fn written(&self, n: usize) {
        self.waiting.fetch_sub(n as u64, Ordering::Relaxed);
    }
}

/// The writer's end of a [`PushQueue`]: counts the bytes it takes, which the writer reports
/// with [`PushQueue::written`] once they are on the socket.
pub struct PushRx {
    rx: mpsc::UnboundedReceiver<Bytes>,
    taken: usize,
}

impl PushRx {
    /// The next message; `None` once every link is gone.
    pub async fn recv(&mut self) -> Option<Bytes> {
        let m = self.rx.recv().await?;
        self.taken += m.len();
        Some(m)
    }

    /// A message already waiting, if any.
    pub fn try_recv(&mut self) -> Option<Bytes> {
        let m = self.rx.try_recv().ok()?;
        self.taken += m.len();
        Some(m)
    }

    /// Bytes taken since the last call.
    pub fn take_count(&mut self) -> usize {
        std::mem::take(&mut self.taken)
    }
}

struct Link {
    /// Commands to write, each with the number of confirmations the session waits for.
    tx: mpsc::UnboundedSender<(Bytes, usize)>,
    acks: Arc<Mutex<mpsc::UnboundedReceiver<Bytes>>>,
}

/// A session's subscriptions and links.
pub struct PubSub {
    push: Arc<PushQueue>,
    /// Links by the address of the node they were opened to (their key, kept when a link
    /// moves to the node that took over its slot).
    links: HashMap<String, Link>,
    /// Echo links (keyspace events only), by node address.
    echoes: HashMap<String, Link>,
    /// What the client subscribes to, shared with the links: an event that comes late
    /// through an echo link for a subscription the client has dropped is not passed on, and
    /// a link that reconnects re-subscribes from it.
    active: Arc<std::sync::Mutex<Active>>,
}

impl PubSub {
    /// No subscriptions; messages will go to `push`.
    pub fn new(push: Arc<PushQueue>) -> PubSub {
        PubSub {
            push,
            links: HashMap::new(),
            echoes: HashMap::new(),
            active: Arc::default(),
        }
    }

    /// Drops every subscription (RESET): closing the links unsubscribes on the nodes.
    pub fn reset(&mut self) {
        self.links.clear();
        self.echoes.clear();
        *self.active() = Active::default();
    }

    /// True while any subscription is active (RESP2 then restricts commands).
    pub fn subscribed(&self) -> bool {
        let a = self.active();
        !(a.channels.is_empty() && a.patterns.is_empty() && a.shard.is_empty())
    }

    /// Channel subscriptions.
    pub fn channels(&self) -> usize {
        self.active().channels.len()
    }

    /// Pattern subscriptions.
    pub fn patterns(&self) -> usize {
        self.active().patterns.len()
    }

    /// Shard channel subscriptions.
    pub fn shard_channels(&self) -> usize {
        self.active().shard.len()
    }

    fn active(&self) -> std::sync::MutexGuard<'_, Active> {
        self.active
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    fn link(&mut self, router: &Router, addr: &str, protocol: Protocol) -> &Link {
        let dead = self.links.get(addr).is_some_and(|l| l.tx.is_closed());
        if dead {
            self.links.remove(addr);
        }
        if !self.links.contains_key(addr) {
            let (ack_tx, ack_rx) = mpsc::unbounded_channel();
            let link = self.spawn_link(router, addr, protocol, Forward::All(ack_tx), ack_rx);
            self.links.insert(addr.to_string(), link);
        }
        self.links
            .get(addr)
            .expect("invariant: the link was just inserted")
    }

    /// Starts a link task to `addr`, following the first slot `addr` serves now.
    fn spawn_link(
        &self,
        router: &Router,
        addr: &str,
        protocol: Protocol,
        forward: Forward,
        ack_rx: mpsc::UnboundedReceiver<Bytes>,
    ) -> Link {
        let (tx, rx) = mpsc::unbounded_channel();
        let home = router
            .topology
            .current()
            .shards
            .iter()
            .find(|s| s.primary.addr == addr)
            .and_then(|s| s.slots.first().map(|r| r.0));
        let task = LinkTask {
            key: addr.to_string(),
            protocol,
            opts: router.pool.options().clone(),
            forward,
            push: Arc::clone(&self.push),
            active: Arc::clone(&self.active),
            heal: home.map(|slot| (slot, Arc::clone(&router.topology))),
        };
        tokio::spawn(run_link(task, rx));
        Link {
            tx,
            acks: Arc::new(Mutex::new(ack_rx)),
        }
    }

    /// Sends `argv` on the link to `addr` and returns the future of its `expected`
    /// confirmations.
    fn send(
        &mut self,
        router: &Router,
        addr: &str,
        argv: &[Bytes],
        expected: usize,
        protocol: Protocol,
    ) -> ReplyFuture {
        let link = self.link(router, addr, protocol);
        let mut wire = BytesMut::new();
        encode_request(argv, &mut wire);
        let _ = link.tx.send((wire.freeze(), expected));
        let acks = Arc::clone(&link.acks);
        let addr = addr.to_string();
        Box::pin(async move {
            let mut rx = acks.lock().await;
            let mut out = BytesMut::new();
            for _ in 0..expected {
                match rx.recv().await {
                    Some(b) => out.extend_from_slice(&b),
                    None => {
                        let e = format!("-ERR router: pub/sub link to node {addr} lost\r\n");
                        out.extend_from_slice(e.as_bytes());
                        break;
                    }
                }
            }
            out.freeze()
        })
    }

    /// Sends `argv` on an echo link to every serving primary but `home` (whose own link
    /// carries it already); their confirmations are dropped.
    /// Sends `argv` on an echo link to every serving primary but `home` (whose own link
    /// carries it already). For a subscription, the returned future waits until every echo
    /// node confirmed it, so that events from the moment the client is answered reach it.
    fn echo(
        &mut self,
        router: &Router,
        argv: &[Bytes],
        protocol: Protocol,
        home: &str,
        subscribing: bool,
    ) -> impl std::future::Future<Output = ()> + Send + 'static {
        let mut wire = BytesMut::new();
        encode_request(argv, &mut wire);
        let wire = wire.freeze();
        let map = router.topology.current();
        let mut waits = Vec::new();
        for node in map.serving_primaries().filter(|n| n.addr != home) {
            let live = self
                .echoes
                .get(&node.addr)
                .is_some_and(|l| !l.tx.is_closed());
            if !live {
                let (ack_tx, ack_rx) = mpsc::unbounded_channel();
                let forward = Forward::Keyspace(ack_tx);
                let link = self.spawn_link(router, &node.addr, protocol, forward, ack_rx);
                self.echoes.insert(node.addr.clone(), link);
            }
            if let Some(link) = self.echoes.get(&node.addr) {
                let _ = link.tx.send((wire.clone(), 0));
                if subscribing {
                    waits.push(Arc::clone(&link.acks));
                }
            }
        }
        let confirmations = argv.len() - 1;
        async move {
            let all = async {
                for acks in waits {
                    let mut rx = acks.lock().await;
                    for _ in 0..confirmations {
                        if rx.recv().await.is_none() {
                            break; // the session is gone: nothing to wait for
                        }
                    }
                }
            };
            // A node that died meanwhile confirms once its link has healed; don't wait.
            let _ = tokio::time::timeout(ECHO_CONFIRM_WAIT, all).await;
        }
    }

    fn global_addr(&mut self, router: &Router) -> Option<String> {
        let map = router.topology.current();
        let current = self.active().global.clone();
        let alive = current
            .as_ref()
            .is_some_and(|g| self.links.get(g).is_some_and(|l| !l.tx.is_closed()));
        if alive {
            return current;
        }
        let next = map.serving_primaries().next().map(|n| n.addr.clone());
        self.active().global.clone_from(&next);
        next
    }

    /// Runs one (un)subscribe command: the future of its confirmations, or an error reply.
    pub fn command(
        &mut self,
        router: &Router,
        spec: &CommandSpec,
        argv: Vec<Bytes>,
        protocol: Protocol,
    ) -> Result<ReplyFuture, Frame> {
        let down = || Frame::error("CLUSTERDOWN Hash slot not served");
        let args = &argv[1..];
        match spec.name {
            "subscribe" | "psubscribe" | "unsubscribe" | "punsubscribe" => {
                let patterns = spec.name.contains("psub") || spec.name.contains("punsub");
                // Keyspace events come from every primary (see the module header).
                let keyspace = if args.is_empty() {
                    !self.echoes.is_empty()
                } else if patterns {
                    args.iter().any(|p| may_match_keyspace(p))
                } else {
                    args.iter().any(|c| is_keyspace_channel(c))
                };
                let mut active = self.active();
                let set = if patterns {
                    &mut active.patterns
                } else {
                    &mut active.channels
                };
                let expected = if spec.name.contains("unsub") {
                    let n = if args.is_empty() {
                        set.len()
                    } else {
                        args.len()
                    };
                    if args.is_empty() {
                        set.clear();
                    }
                    for a in args {
                        set.remove(a);
                    }
                    n.max(1)
                } else {
                    set.extend(args.iter().cloned());
                    args.len()
                };
                drop(active);
                let addr = self.global_addr(router).ok_or_else(down)?;
                let reply = self.send(router, &addr, &argv, expected, protocol);
                if !keyspace {
                    return Ok(reply);
                }
                let subscribing = !spec.name.contains("unsub");
                let echoed = self.echo(router, &argv, protocol, &addr, subscribing);
                Ok(Box::pin(async move {
                    echoed.await;
                    reply.await
                }))
            }
            "ssubscribe" => {
                let slot = match route::common_slot(spec, &argv) {
                    Ok(Some(s)) => s,
                    _ => {
                        return Err(Frame::error(
                            "CROSSSLOT Keys in request don't hash to the same slot",
                        ));
                    }
                };
                let map = router.topology.current();
                let addr = map.shard_of(slot).ok_or_else(down)?.primary.addr.clone();
                let mut active = self.active();
                for a in args {
                    active.shard.insert(a.clone(), addr.clone());
                }
                drop(active);
                Ok(self.send(router, &addr, &argv, args.len(), protocol))
            }
            _ => self.sunsubscribe(router, argv, protocol),
        }
    }

    fn sunsubscribe(
        &mut self,
        router: &Router,
        argv: Vec<Bytes>,
        protocol: Protocol,
    ) -> Result<ReplyFuture, Frame> {
        let mut plan: Vec<(String, Vec<Bytes>, usize)> = Vec::new();
        let mut active = self.active();
        if argv.len() == 1 {
            let mut by_addr: HashMap<String, usize> = HashMap::new();
            for addr in active.shard.values() {
                *by_addr.entry(addr.clone()).or_default() += 1;
            }
            active.shard.clear();
            for (addr, n) in by_addr {
                plan.push((addr, argv.clone(), n));
            }
        } else {
            let map = router.topology.current();
            for ch in &argv[1..] {
                let addr = match active.shard.remove(ch) {
                    Some(a) => a,
                    None => match map.shard_of(shoal_common::key_hash_slot(ch).get()) {
                        Some(s) => s.primary.addr.clone(),
                        None => continue,
                    },
                };
                plan.push((addr, vec![argv[0].clone(), ch.clone()], 1));
            }
        }
        drop(active);
        if plan.is_empty() {
            let mut b = BytesMut::new();
            let f = Frame::Push(vec![
                Frame::bulk_static("sunsubscribe"),
                Frame::Null,
                Frame::Integer(0),
            ]);
            shoal_common::resp::encode::encode(&f, protocol, &mut b);
            let b = b.freeze();
            return Ok(Box::pin(async move { b }));
        }
        let futs: Vec<ReplyFuture> = plan
            .into_iter()
            .map(|(addr, a, n)| self.send(router, &addr, &a, n, protocol))
            .collect();
        Ok(Box::pin(async move {
            let mut out = BytesMut::new();
            for f in futs {
                out.extend_from_slice(&f.await);
            }
            out.freeze()
        }))
    }
}

/// The channels a node publishes its keyspace events on.
const KEYSPACE_PREFIXES: [&[u8]; 2] = [b"__keyspace@", b"__keyevent@"];

/// A keyspace or keyevent notification channel.
fn is_keyspace_channel(channel: &[u8]) -> bool {
    KEYSPACE_PREFIXES.iter().any(|p| channel.starts_with(p))
}

/// Whether a glob pattern may match a keyspace channel: its literal start (up to the first
/// `*`, `?`, `[` or `\`) and a keyspace prefix agree as far as both go. Errs towards yes.
fn may_match_keyspace(pattern: &[u8]) -> bool {
    let literal = pattern
        .iter()
        .position(|c| matches!(c, b'*' | b'?' | b'[' | b'\\'))
        .map_or(pattern, |i| &pattern[..i]);
    KEYSPACE_PREFIXES.iter().any(|p| {
        let n = p.len().min(literal.len());
        p[..n] == literal[..n]
    })
}

/// The subscriptions a client holds now, and which link carries them.
#[derive(Default)]
pub struct Active {
    channels: HashSet<Bytes>,
    patterns: HashSet<Bytes>,
    /// Shard channels, with the key of the link carrying each.
    shard: HashMap<Bytes, String>,
    /// The key of the link carrying the channels and patterns.
    global: Option<String>,
}

/// What a link passes on.
enum Forward {
    /// Everything: confirmations to the session's command replies, messages to the client.
    All(mpsc::UnboundedSender<Bytes>),
    /// An echo link: keyspace events the client is still subscribed to; its subscribe and
    /// psubscribe confirmations to the given channel, for the command to wait on.
    Keyspace(mpsc::UnboundedSender<Bytes>),
}

/// Whether an echo link passes `raw` on: a keyspace event on a channel, or through a
/// pattern, that the client still subscribes to.
fn wanted_event(raw: &[u8], active: &std::sync::Mutex<Active>) -> bool {
    let (Frame::Array(items) | Frame::Push(items)) = decode_raw(raw) else {
        return false;
    };
    let word = |i: usize| items.get(i).and_then(Frame::as_bytes);
    let active = active
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    match word(0) {
        Some(k) if k.eq_ignore_ascii_case(b"message") => {
            word(1).is_some_and(|c| is_keyspace_channel(c) && active.channels.contains(c))
        }
        Some(k) if k.eq_ignore_ascii_case(b"pmessage") => {
            word(1).is_some_and(|p| active.patterns.contains(p))
                && word(2).is_some_and(|c| is_keyspace_channel(c))
        }
        _ => false,
    }
}

/// The first element of an array or push reply when it is a bulk string (the kind word of a
/// pub/sub reply: `message`, `subscribe`, ...), read in place.
fn kind_word(raw: &[u8]) -> Option<&[u8]> {
    if !matches!(raw.first(), Some(b'*' | b'>')) {
        return None;
    }
    let header_end = raw.windows(2).position(|w| w == b"\r\n")? + 2;
    let rest = &raw[header_end..];
    if rest.first() != Some(&b'$') {
        return None;
    }
    let len_end = rest.windows(2).position(|w| w == b"\r\n")?;
    let len: usize = std::str::from_utf8(&rest[1..len_end]).ok()?.parse().ok()?;
    rest.get(len_end + 2..len_end + 2 + len)
}

/// True for a `subscribe` or `psubscribe` confirmation.
fn is_subscribe_ack(raw: &[u8]) -> bool {
    kind_word(raw).is_some_and(|k| {
        k.eq_ignore_ascii_case(b"subscribe") || k.eq_ignore_ascii_case(b"psubscribe")
    })
}

/// True when `raw` confirms a (un)subscription rather than carrying a message.
fn is_ack(raw: &[u8]) -> bool {
    kind_word(raw).is_some_and(|k| {
        SUBSCRIPTION_KINDS
            .iter()
            .any(|s| k.eq_ignore_ascii_case(s.as_bytes()))
    })
}

/// Everything a link task needs.
struct LinkTask {
    /// The address it was opened to (its key in the session's maps).
    key: String,
    protocol: Protocol,
    opts: ConnOptions,
    forward: Forward,
    push: Arc<PushQueue>,
    active: Arc<std::sync::Mutex<Active>>,
    /// The slot whose primary it follows when its node goes, and where to look it up;
    /// `None`: the link ends with its connection.
    heal: Option<(u16, Arc<Topology>)>,
}

/// A command written on a link and the confirmations still due for it, in order.
struct Due {
    /// The command (`None` for a re-subscription, which is not re-sent again).
    wire: Option<Bytes>,
    /// Confirmations the session waits for.
    expected: usize,
    /// Confirmations to drop first (re-subscriptions, or ones the session already got).
    swallow: usize,
    /// Confirmations still to pass on.
    forward: usize,
}

/// How serving a connection ended.
enum Ended {
    /// The session is gone (or its client cut off): the link ends.
    Session,
    /// The connection broke.
    Broken,
}

async fn run_link(t: LinkTask, mut cmds: mpsc::UnboundedReceiver<(Bytes, usize)>) {
    let kind = Kind {
        protocol: t.protocol,
        readonly: false,
    };
    let mut due: VecDeque<Due> = VecDeque::new();
    let mut first = true;
    loop {
        let healed = !first;
        let stream = if first {
            first = false;
            match connect(&t.key, kind, &t.opts).await {
                Ok(s) => s,
                Err(_) if t.heal.is_some() => continue,
                Err(_) => {
                    tracing::debug!(addr = %t.key, "pub/sub link connect failed");
                    return;
                }
            }
        } else {
            match reconnect(&t, kind, &mut cmds, &mut due).await {
                Some(s) => s,
                None => return,
            }
        };
        let (rd, mut wr) = stream.into_split();
        if healed {
            // Re-subscribe what this link carries, then re-send what still waits for
            // confirmations.
            let mut wire = BytesMut::new();
            let mut next = VecDeque::new();
            for (w, n) in replay(&t) {
                wire.extend_from_slice(&w);
                next.push_back(Due {
                    wire: None,
                    expected: n,
                    swallow: n,
                    forward: 0,
                });
            }
            for d in due.drain(..) {
                if let Some(w) = d.wire.filter(|_| d.forward > 0) {
                    wire.extend_from_slice(&w);
                    next.push_back(Due {
                        wire: Some(w),
                        expected: d.expected,
                        swallow: d.expected - d.forward,
                        forward: d.forward,
                    });
                }
            }
            due = next;
            if !wire.is_empty() && wr.write_all(&wire).await.is_err() {
                continue;
            }
        }
        match serve_link(&t, rd, wr, &mut cmds, &mut due).await {
            Ended::Session => return,
            Ended::Broken if t.heal.is_none() => return,
            Ended::Broken => {
                tracing::debug!(addr = %t.key, "pub/sub link broke; following its slot");
            }
        }
    }
}

/// Waits for the primary of the link's slot (after a failover, the replica that took over)
/// to accept a connection; commands arriving meanwhile wait in `due`. `None` when the
/// session went away.
async fn reconnect(
    t: &LinkTask,
    kind: Kind,
    cmds: &mut mpsc::UnboundedReceiver<(Bytes, usize)>,
    due: &mut VecDeque<Due>,
) -> Option<tokio::net::TcpStream> {
    let (slot, topology) = t.heal.as_ref()?;
    let mut delay = Duration::from_millis(50);
    loop {
        topology.request_refresh();
        let pause = tokio::time::sleep(delay);
        tokio::pin!(pause);
        loop {
            tokio::select! {
                () = &mut pause => break,
                c = cmds.recv() => match c {
                    Some((wire, expected)) if expected > 0 => due.push_back(Due {
                        wire: Some(wire),
                        expected,
                        swallow: 0,
                        forward: expected,
                    }),
                    // An echo link's command: the re-subscription covers it.
                    Some(_) => {}
                    None => return None,
                },
            }
        }
        if t.push.is_closed() {
            return None;
        }
        delay = (delay * 2).min(HEAL_BACKOFF_MAX);
        let map = topology.current();
        let Some(addr) = map.shard_of(*slot).map(|s| s.primary.addr.clone()) else {
            continue;
        };
        if let Ok(s) = connect(&addr, kind, &t.opts).await {
            tracing::debug!(key = %t.key, %addr, "pub/sub link reconnected");
            return Some(s);
        }
    }
}

/// The (un)subscribe commands that re-create what the link carries, each with the number of
/// confirmations it brings: the main link the channels and patterns, a shard link the shard
/// channels assigned to it, an echo link the keyspace subscriptions.
fn replay(t: &LinkTask) -> Vec<(Bytes, usize)> {
    let a = t
        .active
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    let echo = matches!(t.forward, Forward::Keyspace(_));
    let mut out = Vec::new();
    let mut add = |name: &'static [u8], args: Vec<&Bytes>| {
        if args.is_empty() {
            return;
        }
        let mut argv: Vec<&[u8]> = vec![name];
        argv.extend(args.iter().map(|b| b.as_ref()));
        let mut wire = BytesMut::new();
        encode_request(&argv, &mut wire);
        out.push((wire.freeze(), args.len()));
    };
    if echo || a.global.as_deref() == Some(t.key.as_str()) {
        add(
            b"SUBSCRIBE",
            a.channels
                .iter()
                .filter(|c| !echo || is_keyspace_channel(c))
                .collect(),
        );
        add(
            b"PSUBSCRIBE",
            a.patterns
                .iter()
                .filter(|p| !echo || may_match_keyspace(p))
                .collect(),
        );
    }
    if !echo {
        for (ch, key) in &a.shard {
            if *key == t.key {
                add(b"SSUBSCRIBE", vec![ch]);
            }
        }
    }
    out
}

/// Serves one connection of a link until it breaks or the session goes.
async fn serve_link(
    t: &LinkTask,
    mut rd: tokio::net::tcp::OwnedReadHalf,
    mut wr: tokio::net::tcp::OwnedWriteHalf,
    cmds: &mut mpsc::UnboundedReceiver<(Bytes, usize)>,
    due: &mut VecDeque<Due>,
) -> Ended {
    let mut buf = BytesMut::with_capacity(4096);
    loop {
        tokio::select! {
            c = cmds.recv() => match c {
                Some((wire, expected)) => {
                    // (An echo link's commands wait for nothing: nothing to track.)
                    if expected > 0 {
                        due.push_back(Due {
                            wire: Some(wire.clone()),
                            expected,
                            swallow: 0,
                            forward: expected,
                        });
                    }
                    if wr.write_all(&wire).await.is_err() {
                        return Ended::Broken;
                    }
                }
                None => return Ended::Session,
            },
            r = rd.read_buf(&mut buf) => {
                if !matches!(r, Ok(n) if n > 0) {
                    return Ended::Broken;
                }
                while let Ok(Some(len)) = reply_len(&buf) {
                    let raw = buf.split_to(len).freeze();
                    if !pass_on(t, raw, due) {
                        return Ended::Session;
                    }
                }
            }
        }
    }
}

/// Books one confirmation against the oldest command still due one; true when it is to be
/// swallowed (a re-subscription's, or one the session already had before a reconnect). A
/// confirmation nobody waits for is passed on.
fn settle(due: &mut VecDeque<Due>) -> bool {
    let Some(d) = due.front_mut() else {
        return false;
    };
    let swallow = d.swallow > 0;
    if swallow {
        d.swallow -= 1;
    } else {
        d.forward = d.forward.saturating_sub(1);
    }
    if d.swallow == 0 && d.forward == 0 {
        due.pop_front();
    }
    swallow
}

/// Routes one reply of a link: a confirmation to the command waiting for it (unless it is
/// due to be swallowed), a message to the client. False when the session or client is gone.
fn pass_on(t: &LinkTask, raw: Bytes, due: &mut VecDeque<Due>) -> bool {
    if !is_ack(&raw) {
        return match &t.forward {
            Forward::All(_) => t.push.push(raw),
            Forward::Keyspace(_) => !wanted_event(&raw, &t.active) || t.push.push(raw),
        };
    }
    // Echo links count only subscribe confirmations (their unsubscribes are not awaited).
    let counted = match &t.forward {
        Forward::All(_) => true,
        Forward::Keyspace(_) => is_subscribe_ack(&raw),
    };
    let swallow = counted && settle(due);
    match &t.forward {
        _ if swallow => true,
        Forward::All(acks) => acks.send(raw).is_ok(),
        Forward::Keyspace(acks) => !is_subscribe_ack(&raw) || acks.send(raw).is_ok(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_kind_of_a_pubsub_reply_is_read_in_place() {
        let msg = b"*3\r\n$7\r\nmessage\r\n$1\r\nc\r\n$2\r\nhi\r\n";
        assert_eq!(kind_word(msg), Some(&b"message"[..]));
        assert!(!is_ack(msg));
        let ack = b">3\r\n$9\r\nSUBSCRIBE\r\n$1\r\nc\r\n:1\r\n";
        assert!(is_ack(ack) && is_subscribe_ack(ack));
        let unsub = b"*3\r\n$12\r\npunsubscribe\r\n$1\r\np\r\n:0\r\n";
        assert!(is_ack(unsub) && !is_subscribe_ack(unsub));
        for other in [&b"+OK\r\n"[..], b"*1\r\n:1\r\n", b"*2\r\n$9\r\nsubscr", b""] {
            assert!(!is_ack(other), "{}", String::from_utf8_lossy(other));
        }
    }

    #[test]
    fn confirmations_after_a_reconnect_are_swallowed_or_passed_on_in_order() {
        let due = |wire: Option<&'static [u8]>, expected, swallow, forward| Due {
            wire: wire.map(Bytes::from_static),
            expected,
            swallow,
            forward,
        };
        // Re-subscribing two channels, then a SUBSCRIBE of three whose first confirmation
        // reached the session before the connection broke, then one of one.
        let mut q = VecDeque::from([
            due(None, 2, 2, 0),
            due(Some(b"a"), 3, 1, 2),
            due(Some(b"b"), 1, 0, 1),
        ]);
        let got: Vec<bool> = (0..7).map(|_| settle(&mut q)).collect();
        assert_eq!(got, [true, true, true, false, false, false, false]);
        assert!(q.is_empty(), "the last is one nobody waited for");
    }

    #[test]
    fn which_subscriptions_can_receive_keyspace_events() {
        assert!(is_keyspace_channel(b"__keyspace@0__:foo"));
        assert!(is_keyspace_channel(b"__keyevent@3__:del"));
        assert!(!is_keyspace_channel(b"__keys"));
        assert!(!is_keyspace_channel(b"news"));
        for p in [
            &b"*"[..],
            b"__key*",
            b"__keyspace@0__:*",
            b"__keyevent@*",
            b"_?keyspace*",
            b"[_]*",
            b"__keyspace@0__:exact",
        ] {
            assert!(may_match_keyspace(p), "{}", String::from_utf8_lossy(p));
        }
        for p in [&b"news*"[..], b"__kex*", b"k*", b"__keyspacex*", b"news"] {
            assert!(!may_match_keyspace(p), "{}", String::from_utf8_lossy(p));
        }
    }
}
