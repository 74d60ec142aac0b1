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
//! Known limits: a link that breaks (its node died) drops its subscriptions; the client is
//! not told, as with a node failure in cluster mode. Echo links go to the primaries of the
//! moment of the subscription. A user's own PUBLISH to a keyspace channel name arrives once
//! per primary.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;

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
use crate::upstream::{ConnOptions, Kind, connect};

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
    tx: mpsc::UnboundedSender<Bytes>,
    acks: Arc<Mutex<mpsc::UnboundedReceiver<Bytes>>>,
}

/// A session's subscriptions and links.
pub struct PubSub {
    push: Arc<PushQueue>,
    links: HashMap<String, Link>,
    /// Echo links (keyspace events only), by node address.
    echoes: HashMap<String, Link>,
    global: Option<String>,
    /// Channel and pattern subscriptions, shared with the echo links: an event that comes
    /// late through an echo link for a subscription the client has dropped is not passed on.
    active: Arc<std::sync::Mutex<Active>>,
    shard: HashMap<Bytes, String>,
}

impl PubSub {
    /// No subscriptions; messages will go to `push`.
    pub fn new(push: Arc<PushQueue>) -> PubSub {
        PubSub {
            push,
            links: HashMap::new(),
            echoes: HashMap::new(),
            global: None,
            active: Arc::default(),
            shard: HashMap::new(),
        }
    }

    /// Drops every subscription (RESET): closing the links unsubscribes on the nodes.
    pub fn reset(&mut self) {
        self.links.clear();
        self.echoes.clear();
        self.global = None;
        *self.active() = Active::default();
        self.shard.clear();
    }

    /// True while any subscription is active (RESP2 then restricts commands).
    pub fn subscribed(&self) -> bool {
        let a = self.active();
        !(a.channels.is_empty() && a.patterns.is_empty() && self.shard.is_empty())
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
        self.shard.len()
    }

    fn active(&self) -> std::sync::MutexGuard<'_, Active> {
        self.active
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    fn link(&mut self, addr: &str, protocol: Protocol, opts: &ConnOptions) -> &Link {
        let dead = self.links.get(addr).is_some_and(|l| l.tx.is_closed());
        if dead {
            self.links.remove(addr);
        }
        self.links.entry(addr.to_string()).or_insert_with(|| {
            let (tx, rx) = mpsc::unbounded_channel();
            let (ack_tx, ack_rx) = mpsc::unbounded_channel();
            tokio::spawn(run_link(
                addr.to_string(),
                protocol,
                opts.clone(),
                rx,
                Forward::All(ack_tx),
                Arc::clone(&self.push),
            ));
            Link {
                tx,
                acks: Arc::new(Mutex::new(ack_rx)),
            }
        })
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
        let link = self.link(addr, protocol, router.pool.options());
        let mut wire = BytesMut::new();
        encode_request(argv, &mut wire);
        let _ = link.tx.send(wire.freeze());
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
                let (tx, rx) = mpsc::unbounded_channel();
                let (ack_tx, ack_rx) = mpsc::unbounded_channel();
                tokio::spawn(run_link(
                    node.addr.clone(),
                    protocol,
                    router.pool.options().clone(),
                    rx,
                    Forward::Keyspace(Arc::clone(&self.active), ack_tx),
                    Arc::clone(&self.push),
                ));
                let link = Link {
                    tx,
                    acks: Arc::new(Mutex::new(ack_rx)),
                };
                self.echoes.insert(node.addr.clone(), link);
            }
            if let Some(link) = self.echoes.get(&node.addr) {
                let _ = link.tx.send(wire.clone());
                if subscribing {
                    waits.push(Arc::clone(&link.acks));
                }
            }
        }
        let confirmations = argv.len() - 1;
        async move {
            for acks in waits {
                let mut rx = acks.lock().await;
                for _ in 0..confirmations {
                    if rx.recv().await.is_none() {
                        break; // the node went away: nothing to wait for
                    }
                }
            }
        }
    }

    fn global_addr(&mut self, router: &Router) -> Option<String> {
        let map = router.topology.current();
        let alive = self
            .global
            .as_ref()
            .is_some_and(|g| self.links.get(g).is_some_and(|l| !l.tx.is_closed()));
        if !alive {
            self.global = map.serving_primaries().next().map(|n| n.addr.clone());
        }
        self.global.clone()
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
                for a in args {
                    self.shard.insert(a.clone(), addr.clone());
                }
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
        if argv.len() == 1 {
            let mut by_addr: HashMap<String, usize> = HashMap::new();
            for addr in self.shard.values() {
                *by_addr.entry(addr.clone()).or_default() += 1;
            }
            self.shard.clear();
            for (addr, n) in by_addr {
                plan.push((addr, argv.clone(), n));
            }
        } else {
            let map = router.topology.current();
            for ch in &argv[1..] {
                let addr = match self.shard.remove(ch) {
                    Some(a) => a,
                    None => match map.shard_of(shoal_common::key_hash_slot(ch).get()) {
                        Some(s) => s.primary.addr.clone(),
                        None => continue,
                    },
                };
                plan.push((addr, vec![argv[0].clone(), ch.clone()], 1));
            }
        }
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

/// The subscriptions a client holds now.
#[derive(Default)]
pub struct Active {
    channels: HashSet<Bytes>,
    patterns: HashSet<Bytes>,
}

/// What a link passes on.
enum Forward {
    /// Everything: confirmations to the session's command replies, messages to the client.
    All(mpsc::UnboundedSender<Bytes>),
    /// An echo link: keyspace events the client is still subscribed to; its subscribe and
    /// psubscribe confirmations to the given channel, for the command to wait on.
    Keyspace(Arc<std::sync::Mutex<Active>>, mpsc::UnboundedSender<Bytes>),
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

async fn run_link(
    addr: String,
    protocol: Protocol,
    opts: ConnOptions,
    mut cmds: mpsc::UnboundedReceiver<Bytes>,
    forward: Forward,
    push: Arc<PushQueue>,
) {
    let kind = Kind {
        protocol,
        readonly: false,
    };
    let Ok(stream) = connect(&addr, kind, &opts).await else {
        tracing::debug!(%addr, "pub/sub link connect failed");
        return;
    };
    let (mut rd, mut wr) = stream.into_split();
    let mut buf = BytesMut::with_capacity(4096);
    loop {
        tokio::select! {
            c = cmds.recv() => match c {
                Some(wire) => {
                    if wr.write_all(&wire).await.is_err() {
                        return;
                    }
                }
                None => return,
            },
            r = rd.read_buf(&mut buf) => {
                if !matches!(r, Ok(n) if n > 0) {
                    return;
                }
                while let Ok(Some(len)) = reply_len(&buf) {
                    let raw = buf.split_to(len).freeze();
                    let sent = match &forward {
                        Forward::All(acks) if is_ack(&raw) => acks.send(raw).is_ok(),
                        Forward::All(_) => push.push(raw),
                        Forward::Keyspace(_, acks) if is_ack(&raw) => {
                            !is_subscribe_ack(&raw) || acks.send(raw).is_ok()
                        }
                        Forward::Keyspace(active, _) => {
                            !wanted_event(&raw, active) || push.push(raw)
                        }
                    };
                    if !sent {
                        return;
                    }
                }
            }
        }
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
