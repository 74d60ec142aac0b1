//! Pub/sub: channel, pattern and shard-channel subscriptions, PUBLISH delivery, and the
//! output buffer limits that cut off slow subscribers (Redis `pubsub.c` and
//! `checkClientOutputBufferLimits` in `networking.c`).
//!
//! Messages are [`Frame::Push`] values: the encoder turns them into arrays for RESP2 clients
//! and `>` pushes for RESP3 clients, exactly as Redis's `addReplyPushLen`. A message for the
//! client whose command is running (a RESP3 client publishing to itself, a keyspace event
//! caused by its own write) goes to its `deferred` list so that it precedes the command's
//! reply in the same write; every other receiver gets the encoded bytes at once through
//! [`Client::send`].
//!
//! Invariants: a client id is in `channels[c]` iff `c` is in that client's `channels` (same for
//! patterns and shard channels); a map entry with no subscribers is removed. Every delivery to
//! another client is followed by an output buffer check, and a client over its limit is
//! dropped (connection killed, subscriptions and watches removed) before the publish returns.
//!
//! Cluster hooks: [`Server::publish_from_bus`] is what the cluster bus calls for a PUBLISH or
//! SPUBLISH arriving from another node (local delivery only); [`Server::propagate_publish`] is
//! the one place where a local PUBLISH/SPUBLISH leaves for the bus (Redis
//! `clusterPropagatePublish`). SSUBSCRIBE/SUNSUBSCRIBE/SPUBLISH declare their channels as
//! `not_key` key specs, so the gate's redirect step hashes them to slots like keys.

use std::collections::HashMap;

use bytes::{Bytes, BytesMut};
use indexmap::{IndexMap, IndexSet};
use shoal_common::Frame;
use shoal_common::glob::glob_match;
pub use shoal_common::obuf::{ObufLimit, ObufLimits};
use shoal_common::resp::Protocol;
use shoal_common::resp::encode::encode;
use shoal_common::slot::{Slot, key_hash_slot};

use super::{Client, ClientId, Server};

/// Which kind of subscription.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// SUBSCRIBE / UNSUBSCRIBE / PUBLISH.
    Channel,
    /// PSUBSCRIBE / PUNSUBSCRIBE.
    Pattern,
    /// SSUBSCRIBE / SUNSUBSCRIBE / SPUBLISH.
    Shard,
}

impl Kind {
    fn subscribe_word(self) -> &'static str {
        match self {
            Kind::Channel => "subscribe",
            Kind::Pattern => "psubscribe",
            Kind::Shard => "ssubscribe",
        }
    }

    fn unsubscribe_word(self) -> &'static str {
        match self {
            Kind::Channel => "unsubscribe",
            Kind::Pattern => "punsubscribe",
            Kind::Shard => "sunsubscribe",
        }
    }

    fn of_client(self, c: &mut Client) -> &mut IndexSet<Bytes> {
        match self {
            Kind::Channel => &mut c.channels,
            Kind::Pattern => &mut c.patterns,
            Kind::Shard => &mut c.shard_channels,
        }
    }

    /// The count a (un)subscribe confirmation reports (Redis: channels + patterns for the
    /// global kinds, shard channels for the shard kind).
    fn count(self, c: &Client) -> i64 {
        let n = match self {
            Kind::Channel | Kind::Pattern => c.subscription_count(),
            Kind::Shard => c.shard_channels.len(),
        };
        i64::try_from(n).unwrap_or(i64::MAX)
    }
}

/// The node's subscriptions: name -> subscribers in subscription order.
#[derive(Debug, Default)]
pub struct PubSub {
    channels: HashMap<Bytes, IndexSet<ClientId>>,
    patterns: IndexMap<Bytes, IndexSet<ClientId>>,
    shard_channels: HashMap<Bytes, IndexSet<ClientId>>,
    limits_cache: Option<(String, ObufLimits)>,
}

impl PubSub {
    fn map(&mut self, kind: Kind) -> &mut dyn SubMap {
        match kind {
            Kind::Channel => &mut self.channels,
            Kind::Pattern => &mut self.patterns,
            Kind::Shard => &mut self.shard_channels,
        }
    }

    /// Active channels (at least one subscriber), optionally filtered by a glob pattern.
    pub fn channel_names(&self, shard: bool, pattern: Option<&[u8]>) -> Vec<Bytes> {
        let map = if shard {
            &self.shard_channels
        } else {
            &self.channels
        };
        map.keys()
            .filter(|c| pattern.is_none_or(|p| glob_match(p, c, false)))
            .cloned()
            .collect()
    }

    /// Subscribers of one channel (PUBSUB NUMSUB / SHARDNUMSUB).
    pub fn subscribers(&self, shard: bool, channel: &[u8]) -> usize {
        let map = if shard {
            &self.shard_channels
        } else {
            &self.channels
        };
        map.get(channel).map_or(0, IndexSet::len)
    }

    /// Number of distinct patterns (PUBSUB NUMPAT).
    pub fn pattern_count(&self) -> usize {
        self.patterns.len()
    }

    /// Active channels, patterns and shard channels (INFO stats `pubsub_*`).
    pub fn counts(&self) -> (usize, usize, usize) {
        (
            self.channels.len(),
            self.patterns.len(),
            self.shard_channels.len(),
        )
    }
}

/// The map operations subscribe/unsubscribe need, over HashMap and IndexMap alike.
trait SubMap {
    fn add(&mut self, name: Bytes, id: ClientId);
    fn del(&mut self, name: &[u8], id: ClientId);
}

impl SubMap for HashMap<Bytes, IndexSet<ClientId>> {
    fn add(&mut self, name: Bytes, id: ClientId) {
        self.entry(name).or_default().insert(id);
    }
    fn del(&mut self, name: &[u8], id: ClientId) {
        if let Some(ids) = self.get_mut(name) {
            ids.shift_remove(&id);
            if ids.is_empty() {
                self.remove(name);
            }
        }
    }
}

impl SubMap for IndexMap<Bytes, IndexSet<ClientId>> {
    fn add(&mut self, name: Bytes, id: ClientId) {
        self.entry(name).or_default().insert(id);
    }
    fn del(&mut self, name: &[u8], id: ClientId) {
        if let Some(ids) = self.get_mut(name) {
            ids.shift_remove(&id);
            if ids.is_empty() {
                self.shift_remove(name);
            }
        }
    }
}

/// The `client-output-buffer-limit` canonicalizer for the config table: merges `new` into
/// `old` and renders the result.
pub fn canonical_obuf_limits(old: &str, new: &str) -> Result<String, String> {
    let base = ObufLimits::parse(ObufLimits::default(), old).unwrap_or_default();
    Ok(ObufLimits::parse(base, new)?.render())
}

/// A message frame for one receiver kind.
fn message(kind: Kind, pattern: Option<&Bytes>, channel: &Bytes, msg: &Bytes) -> Frame {
    match (kind, pattern) {
        (_, Some(p)) => Frame::Push(vec![
            Frame::bulk_static("pmessage"),
            Frame::Bulk(p.clone()),
            Frame::Bulk(channel.clone()),
            Frame::Bulk(msg.clone()),
        ]),
        (Kind::Shard, None) => Frame::Push(vec![
            Frame::bulk_static("smessage"),
            Frame::Bulk(channel.clone()),
            Frame::Bulk(msg.clone()),
        ]),
        _ => Frame::Push(vec![
            Frame::bulk_static("message"),
            Frame::Bulk(channel.clone()),
            Frame::Bulk(msg.clone()),
        ]),
    }
}

/// A frame encoded once per protocol, on demand.
struct Encoded<'a> {
    frame: &'a Frame,
    resp2: Option<BytesMut>,
    resp3: Option<BytesMut>,
}

impl<'a> Encoded<'a> {
    fn new(frame: &'a Frame) -> Self {
        Encoded {
            frame,
            resp2: None,
            resp3: None,
        }
    }

    fn bytes(&mut self, proto: Protocol) -> BytesMut {
        let slot = match proto {
            Protocol::Resp2 => &mut self.resp2,
            Protocol::Resp3 => &mut self.resp3,
        };
        slot.get_or_insert_with(|| {
            let mut b = BytesMut::new();
            encode(self.frame, proto, &mut b);
            b
        })
        .clone()
    }
}

impl Server {
    /// Subscribes `client` to `name`; returns the confirmation frame.
    pub fn subscribe(&mut self, client: &mut Client, kind: Kind, name: &Bytes) -> Frame {
        if kind.of_client(client).insert(name.clone()) {
            self.pubsub.map(kind).add(name.clone(), client.id);
        }
        client.pubsub_mode = true;
        Frame::Push(vec![
            Frame::bulk_static(kind.subscribe_word()),
            Frame::Bulk(name.clone()),
            Frame::Integer(kind.count(client)),
        ])
    }

    /// Unsubscribes `client` from `name`; returns the confirmation frame (`name` None: the
    /// "subscribed to nothing" confirmation with a null name).
    pub fn unsubscribe(&mut self, client: &mut Client, kind: Kind, name: Option<&Bytes>) -> Frame {
        if let Some(n) = name
            && kind.of_client(client).shift_remove(n)
        {
            self.pubsub.map(kind).del(n, client.id);
        }
        if client.subscription_count() + client.shard_channels.len() == 0 {
            client.pubsub_mode = false;
        }
        Frame::Push(vec![
            Frame::bulk_static(kind.unsubscribe_word()),
            name.map_or(Frame::Null, |n| Frame::Bulk(n.clone())),
            Frame::Integer(kind.count(client)),
        ])
    }

    /// UNSUBSCRIBE / PUNSUBSCRIBE / SUNSUBSCRIBE without arguments: one confirmation per
    /// subscription, or one with a null name when there was none.
    pub fn unsubscribe_all(&mut self, client: &mut Client, kind: Kind) -> Vec<Frame> {
        let names: Vec<Bytes> = kind.of_client(client).iter().cloned().collect();
        if names.is_empty() {
            return vec![self.unsubscribe(client, kind, None)];
        }
        names
            .iter()
            .map(|n| self.unsubscribe(client, kind, Some(n)))
            .collect()
    }

    /// Drops every subscription of a client that is going away (no confirmations).
    pub fn forget_subscriptions(&mut self, client: &mut Client) {
        for kind in [Kind::Channel, Kind::Pattern, Kind::Shard] {
            for n in std::mem::take(kind.of_client(client)) {
                self.pubsub.map(kind).del(&n, client.id);
            }
        }
        client.pubsub_mode = false;
    }

    /// PUBLISH / SPUBLISH from a client: local delivery, then the cluster bus. Returns the
    /// number of receivers on this node.
    pub fn publish(
        &mut self,
        current: &mut Client,
        channel: &Bytes,
        msg: &Bytes,
        shard: bool,
    ) -> usize {
        let n = self.deliver(Some(current), channel, msg, shard);
        if self.cluster_enabled() {
            self.propagate_publish(channel, msg, shard);
        } else if !current.is_master {
            // Standalone, replicas' subscribers hear the primary's messages (Redis
            // `forceCommandPropagation(c, PROPAGATE_REPL)`).
            let name: &'static [u8] = if shard { b"SPUBLISH" } else { b"PUBLISH" };
            let argv = [Bytes::from_static(name), channel.clone(), msg.clone()];
            self.propagate(current.db, &argv);
        }
        n
    }

    /// A PUBLISH / SPUBLISH received from another node over the cluster bus: delivered to
    /// this node's subscribers only (never propagated again).
    pub fn publish_from_bus(&mut self, channel: &Bytes, msg: &Bytes, shard: bool) -> usize {
        self.deliver(None, channel, msg, shard)
    }

    /// Where a local publish leaves for the cluster bus (Redis `clusterPropagatePublish`):
    /// in cluster mode PUBLISH goes to every node and SPUBLISH to the shard's replicas. The
    /// cluster bus (issue: cluster) sends from here; standalone there is nothing to do.
    pub fn propagate_publish(&mut self, channel: &Bytes, msg: &Bytes, shard: bool) {
        self.cluster_publish(channel, msg, shard);
    }

    /// Cluster hook: this node no longer serves `slot`, so every shard channel hashing to it
    /// loses its subscribers, each told with a `sunsubscribe` message (Redis
    /// `removeChannelsInSlot` / `pubsubShardUnsubscribeAllClients`). Returns how many
    /// channels were dropped.
    pub fn unsubscribe_shard_channels_in_slot(&mut self, slot: Slot) -> usize {
        let channels: Vec<Bytes> = self
            .pubsub
            .shard_channels
            .keys()
            .filter(|c| key_hash_slot(c) == slot)
            .cloned()
            .collect();
        for ch in &channels {
            let ids = self.pubsub.shard_channels.remove(ch).unwrap_or_default();
            for id in ids {
                let Some(c) = self.clients.get_mut(&id) else {
                    continue;
                };
                c.shard_channels.shift_remove(ch);
                if c.subscription_count() + c.shard_channels.len() == 0 {
                    c.pubsub_mode = false;
                }
                let frame = Frame::Push(vec![
                    Frame::bulk_static(Kind::Shard.unsubscribe_word()),
                    Frame::Bulk(ch.clone()),
                    Frame::Integer(Kind::Shard.count(c)),
                ]);
                let mut out = BytesMut::new();
                encode(&frame, c.protocol, &mut out);
                c.send(out);
            }
        }
        channels.len()
    }

    /// Sends a message to the subscribers of `channel` (and, unless `shard`, of the matching
    /// patterns); returns how many received it (Redis `pubsubPublishMessage`).
    pub fn deliver(
        &mut self,
        mut current: Option<&mut Client>,
        channel: &Bytes,
        msg: &Bytes,
        shard: bool,
    ) -> usize {
        let kind = if shard { Kind::Shard } else { Kind::Channel };
        let mut targets: Vec<(ClientId, Option<Bytes>)> = Vec::new();
        let direct = if shard {
            self.pubsub.shard_channels.get(channel)
        } else {
            self.pubsub.channels.get(channel)
        };
        if let Some(ids) = direct {
            targets.extend(ids.iter().map(|&id| (id, None)));
        }
        if !shard {
            for (pat, ids) in &self.pubsub.patterns {
                if glob_match(pat, channel, false) {
                    targets.extend(ids.iter().map(|&id| (id, Some(pat.clone()))));
                }
            }
        }
        let plain = message(kind, None, channel, msg);
        let mut plain_enc = Encoded::new(&plain);
        let limits = self.obuf_limits();
        let now_ms = self.clock.now_ms();
        let mut over_limit = Vec::new();
        let mut receivers = 0;
        for (id, pattern) in &targets {
            if let Some(cur) = current.as_deref_mut()
                && cur.id == *id
            {
                cur.deferred
                    .push(message(kind, pattern.as_ref(), channel, msg));
                receivers += 1;
                continue;
            }
            // A client not in the map right now (being served elsewhere, or killed and not yet
            // forgotten) misses the message and is not counted.
            let Some(c) = self.clients.get_mut(id) else {
                continue;
            };
            receivers += 1;
            let data = match pattern {
                None => plain_enc.bytes(c.protocol),
                Some(p) => {
                    let mut b = BytesMut::new();
                    encode(&message(kind, Some(p), channel, msg), c.protocol, &mut b);
                    b
                }
            };
            c.send(data);
            if over_obuf_limit(c, &limits, now_ms) {
                over_limit.push(*id);
            }
        }
        for id in over_limit {
            self.drop_client_over_limit(id);
        }
        receivers
    }

    /// The parsed `client-output-buffer-limit`, cached until the directive changes.
    pub fn obuf_limits(&mut self) -> ObufLimits {
        let text = self.config.get_str("client-output-buffer-limit");
        if let Some((cached, limits)) = &self.pubsub.limits_cache
            && cached == text
        {
            return *limits;
        }
        let limits = ObufLimits::parse(ObufLimits::default(), text).unwrap_or_default();
        self.pubsub.limits_cache = Some((text.to_string(), limits));
        limits
    }

    /// Kills a client over its output buffer limit and forgets its state at once, so no
    /// more messages are queued for it (Redis `freeClientAsync`).
    pub fn drop_client_over_limit(&mut self, id: ClientId) {
        let Some(mut c) = self.clients.remove(&id) else {
            return;
        };
        tracing::debug!(
            client = id,
            "closing client for overcoming of output buffer limits"
        );
        c.kill();
        self.forget_client(&mut c);
    }
}

/// Checks a client's queued output against its class's limits (Redis
/// `checkClientOutputBufferLimits`); true when it must be disconnected.
pub fn over_obuf_limit(c: &mut Client, limits: &ObufLimits, now_ms: i64) -> bool {
    let l = if c.pubsub_mode {
        &limits.pubsub
    } else {
        &limits.normal
    };
    l.exceeded(
        c.out_pending() as u64,
        &mut c.obuf_soft_limit_since_ms,
        now_ms,
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clock::Clock;
    use crate::config::Config;
    use std::sync::Arc;
    use std::sync::atomic::AtomicUsize;
    use tokio::sync::mpsc;

    #[test]
    fn losing_a_slot_unsubscribes_its_shard_channels() {
        let mut srv = Server::new(Config::default(), Clock::manual(1_000));
        let (tx, mut rx) = mpsc::unbounded_channel();
        let mut c = Client::new(
            7,
            String::new(),
            String::new(),
            tx,
            Arc::new(AtomicUsize::new(0)),
            0,
            true,
        );
        let a = Bytes::from_static(b"{x}a");
        let b = Bytes::from_static(b"other");
        srv.subscribe(&mut c, Kind::Shard, &a);
        srv.subscribe(&mut c, Kind::Shard, &b);
        srv.clients.insert(7, Box::new(c));
        assert_eq!(
            srv.unsubscribe_shard_channels_in_slot(key_hash_slot(b"x")),
            1
        );
        assert_eq!(srv.pubsub.channel_names(true, None), vec![b.clone()]);
        let c = srv.clients.get(&7).expect("client");
        assert!(c.pubsub_mode);
        assert_eq!(c.shard_channels.len(), 1);
        match rx.try_recv() {
            Ok(super::super::Out::Data(d)) => {
                assert_eq!(&d[..], b"*3\r\n$12\r\nsunsubscribe\r\n$4\r\n{x}a\r\n:1\r\n");
            }
            other => panic!("expected a sunsubscribe message, got {other:?}"),
        }
    }

    #[test]
    fn obuf_limits_parse_merge_and_render() {
        let default = "normal 0 0 0 slave 268435456 67108864 60 pubsub 33554432 8388608 60";
        let l = ObufLimits::parse(ObufLimits::default(), default).unwrap();
        assert_eq!(l.pubsub.hard_bytes, 32 << 20);
        assert_eq!(l.render(), default);
        assert_eq!(
            canonical_obuf_limits(default, "pubsub 1mb 512kb 5").unwrap(),
            "normal 0 0 0 slave 268435456 67108864 60 pubsub 1048576 524288 5"
        );
        assert!(canonical_obuf_limits(default, "pubsub 1mb 512kb").is_err());
        assert!(canonical_obuf_limits(default, "nope 1 1 1").is_err());
        assert!(canonical_obuf_limits(default, "pubsub x 1 1").is_err());
    }
}
