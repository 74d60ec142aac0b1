//! The cluster bus as a sans-I/O state machine (Redis `clusterProcessPacket`, `clusterCron`).
//!
//! Inputs: a decoded [`Message`] with the address it came from ([`on_message`]), the passing
//! of time ([`tick`]), and commands (`CLUSTER MEET` → [`meet`]). Outputs, collected in
//! [`Effects`]: messages to send (addressed by `ip:cport`; the transport owns the sockets),
//! slots whose keys must be deleted because another node won them, and pub/sub deliveries.
//! Time is the `now_ms` argument and randomness the `rng` argument, so the simulator
//! (`crate::sim`) drives exactly this code with virtual time and seeded loss.
//!
//! Rules implemented (research §8): MEET/PING/PONG handshake and gossip discovery; epochs
//! (adopt the larger currentEpoch; a sender's configEpoch only grows); slot claims (a claim
//! wins when the slot is free or its owner's configEpoch is smaller, never for an importing
//! slot; a stale claimant gets an UPDATE); configEpoch collisions (the smaller id bumps);
//! failure detection (PFAIL after node timeout without a PONG, FAIL with reports from a
//! majority of slot owners, FAIL broadcast, FAIL cleared when the node is back); FORGET's
//! blacklist; shard ids (Redis 7.2: [`shard_id`]). Elections, manual failover and replica
//! migration live in [`failover`] and [`replica_migration`].
//!
//! Checklist for a new message type: a [`Kind`] number as Redis's, encode/decode in
//! [`message`], a stats label in `cluster::MSG_TYPES`, handling here, a simulation check.

pub mod failover;
pub mod message;
pub mod replica_migration;
pub mod shard_id;
pub mod transport;

use bytes::Bytes;
use rand::Rng;
use rand::seq::IndexedRandom;
use tracing::info;

use super::{BLACKLIST_TTL_MS, ClusterNode, ClusterState, NodeId, SlotBitmap, flags, slots};
pub use message::{Body, Gossip, Header, Kind, Message};

/// A message to send to the node listening on `ip:cport`.
#[derive(Debug, Clone)]
pub struct Outbound {
    /// Destination IP.
    pub ip: String,
    /// Destination bus port.
    pub cport: u16,
    /// The message.
    pub msg: Message,
}

/// What the state machine asks its environment to do.
#[derive(Debug, Default)]
pub struct Effects {
    /// Messages to send.
    pub out: Vec<Outbound>,
    /// Slots this node lost to a higher config epoch: delete their keys.
    pub lost_slots: Vec<u16>,
    /// PUBLISH messages from other nodes to deliver to local subscribers.
    pub publish: Vec<(Bytes, Bytes)>,
    /// SPUBLISH messages from shard peers to deliver locally.
    pub publish_shard: Vec<(Bytes, Bytes)>,
    /// This node's replication role must change (failover, CLUSTER REPLICATE, lost slots).
    pub role: Option<failover::RoleChange>,
    /// Pause client writes until this Unix ms (manual failover; 0 = unpause).
    pub pause_writes_until_ms: Option<i64>,
}

/// Longest gap between PINGs to a healthy node. Redis waits node_timeout/2; pinging at
/// least this often starts the failure timer within this bound of a node dying, so a failed
/// primary is detected about node_timeout after it died rather than up to 1.5x that.
const LIVENESS_PING_MAX_MS: i64 = 500;

/// How often the random-node PING runs (Redis: once per second).
const RANDOM_PING_INTERVAL_MS: i64 = 1000;
/// Candidates sampled for the random PING (Redis samples 5).
const RANDOM_PING_SAMPLE: usize = 5;

/// A tick coming this much after the previous one (ticks run every 100 ms) means this
/// process did not run for a while (a loaded machine descheduled it). PONGs that arrived
/// meanwhile may still be unread in the sockets, so that tick judges no peer silent (no new
/// PFAIL); the next one, 100 ms later, judges with them handled. Redis gets the same from its
/// event loop, which runs the file events a poll returned before the time events.
pub const STALLED_TICK_MS: i64 = 500;

/// This node's header.
pub fn header(st: &ClusterState) -> Header {
    let me = st.me();
    let (config_epoch, slots_of) = match me.master_id.and_then(|m| st.nodes.get(&m)) {
        Some(m) => (m.config_epoch, m.id),
        None => (me.config_epoch, me.id),
    };
    Header {
        sender: st.myself,
        current_epoch: st.current_epoch,
        config_epoch,
        flags: me.flags & !flags::MYSELF,
        master: me.master_id,
        port: me.port,
        cport: me.cport,
        myip: st.settings.announce_ip.clone(),
        hostname: me.hostname.clone(),
        slots: st.slot_bitmap(&slots_of),
        state_ok: st.state_ok,
        offset: st.repl_offset,
        mflags: st.next_mflags | message::MFLAG_EXT_DATA,
        shard_id: Some(st.my_shard_id()),
    }
}

fn send(st: &mut ClusterState, fx: &mut Effects, ip: &str, cport: u16, body: Body) {
    if ip.is_empty() {
        return;
    }
    let mut header = header(st);
    if !shard_id::include(st, ip, cport, &body) {
        header.shard_id = None;
    }
    let msg = Message { header, body };
    st.stats_sent[msg.kind().stat_index()] += 1;
    fx.out.push(Outbound {
        ip: ip.to_string(),
        cport,
        msg,
    });
}

/// Gossip about a few random healthy nodes plus every PFAIL node (Redis `clusterSendPing`).
fn gossip(st: &ClusterState, to: Option<&NodeId>, rng: &mut impl Rng) -> Vec<Gossip> {
    let eligible: Vec<&ClusterNode> = st
        .nodes
        .values()
        .filter(|n| {
            n.id != st.myself
                && Some(&n.id) != to
                && n.flags & (flags::HANDSHAKE | flags::NOADDR) == 0
                && !n.ip.is_empty()
        })
        .collect();
    let wanted = (st.nodes.len() / 10).max(3).min(eligible.len());
    let mut picked: Vec<&ClusterNode> = eligible.choose_multiple(rng, wanted).copied().collect();
    for n in &eligible {
        if n.has(flags::PFAIL) && !picked.iter().any(|p| p.id == n.id) {
            picked.push(n);
        }
    }
    picked
        .into_iter()
        .take(message::MAX_GOSSIP)
        .map(|n| Gossip {
            id: n.id,
            ip: n.ip.clone(),
            port: n.port,
            cport: n.cport,
            flags: n.flags,
            ping_sent_ms: n.ping_sent_ms,
            pong_recv_ms: n.pong_recv_ms,
        })
        .collect()
}

fn send_ping(st: &mut ClusterState, fx: &mut Effects, id: NodeId, now_ms: i64, rng: &mut impl Rng) {
    let Some(n) = st.nodes.get(&id) else { return };
    let (ip, cport, handshake) = (n.ip.clone(), n.cport, n.has(flags::HANDSHAKE));
    let g = gossip(st, Some(&id), rng);
    let body = if handshake {
        Body::Meet(g)
    } else {
        Body::Ping(g)
    };
    send(st, fx, &ip, cport, body);
    if let Some(n) = st.nodes.get_mut(&id) {
        if n.ping_sent_ms == 0 {
            n.ping_sent_ms = now_ms;
        }
        n.ping_retry_ms = now_ms;
    }
}

/// Sends a PONG to every known node (after a configuration change, Redis
/// `clusterBroadcastPong`).
pub fn broadcast_pong(st: &mut ClusterState, fx: &mut Effects, rng: &mut impl Rng) {
    let targets = peers(st);
    for id in targets {
        let Some(n) = st.nodes.get(&id) else { continue };
        let (ip, cport) = (n.ip.clone(), n.cport);
        let g = gossip(st, Some(&id), rng);
        send(st, fx, &ip, cport, Body::Pong(g));
    }
}

/// Every known node except myself and handshake nodes.
fn peers(st: &ClusterState) -> Vec<NodeId> {
    st.nodes
        .values()
        .filter(|n| n.id != st.myself && !n.has(flags::HANDSHAKE))
        .map(|n| n.id)
        .collect()
}

/// Sends `body` to every peer.
pub fn broadcast(st: &mut ClusterState, fx: &mut Effects, body: &Body) {
    for id in peers(st) {
        let Some(n) = st.nodes.get(&id) else { continue };
        let (ip, cport) = (n.ip.clone(), n.cport);
        send(st, fx, &ip, cport, body.clone());
    }
}

/// Sends `body` to the other members of this node's shard (its master and that master's
/// replicas), for SPUBLISH.
pub fn send_to_shard(st: &mut ClusterState, fx: &mut Effects, body: &Body) {
    let master = st.me().master_id.unwrap_or(st.myself);
    let members: Vec<NodeId> = peers(st)
        .into_iter()
        .filter(|id| {
            *id == master
                || st
                    .nodes
                    .get(id)
                    .is_some_and(|n| n.master_id == Some(master))
        })
        .collect();
    for id in members {
        let Some(n) = st.nodes.get(&id) else { continue };
        let (ip, cport) = (n.ip.clone(), n.cport);
        send(st, fx, &ip, cport, body.clone());
    }
}

/// CLUSTER MEET: starts a handshake with `ip:port@cport` under a random temporary id. Returns
/// false if a handshake with that address is already in progress.
pub fn meet(
    st: &mut ClusterState,
    ip: &str,
    port: u16,
    cport: u16,
    now_ms: i64,
    rng: &mut impl Rng,
) -> bool {
    let in_progress = st
        .nodes
        .values()
        .any(|n| n.has(flags::HANDSHAKE) && n.ip == ip && n.port == port && n.cport == cport);
    if in_progress {
        return false;
    }
    let id = NodeId::random(rng);
    let node = ClusterNode::new(id, ip.to_string(), port, cport, flags::HANDSHAKE, now_ms);
    st.nodes.insert(id, node);
    true
}

/// Processes one message from `from_ip` that arrived on a connection whose local address is
/// `local_ip`.
pub fn on_message(
    st: &mut ClusterState,
    now_ms: i64,
    from_ip: &str,
    local_ip: &str,
    msg: Message,
    rng: &mut impl Rng,
    fx: &mut Effects,
) {
    st.now_ms = now_ms;
    let kind = msg.kind();
    st.stats_received[kind.stat_index()] += 1;
    let h = &msg.header;
    let sender_ip = if h.myip.is_empty() {
        from_ip.to_string()
    } else {
        h.myip.clone()
    };
    if h.sender == st.myself {
        return;
    }
    learn_my_ip(st, local_ip);
    let known = st
        .nodes
        .get(&h.sender)
        .is_some_and(|n| !n.has(flags::HANDSHAKE));
    if known {
        observe_sender(st, h, &sender_ip, now_ms);
    }
    if kind == Kind::Meet && !known && !st.blacklist.contains_key(&h.sender) {
        let mut n = ClusterNode::new(h.sender, sender_ip.clone(), h.port, h.cport, 0, now_ms);
        n.flags = h.flags & (flags::MASTER | flags::SLAVE);
        st.nodes.insert(h.sender, n);
        st.save_pending = true;
        info!(node = %h.sender, ip = %sender_ip, "met new node");
        observe_sender(st, h, &sender_ip, now_ms);
    }
    match &msg.body {
        Body::Ping(g) | Body::Meet(g) => {
            let g = g.clone();
            let reply = gossip(st, Some(&h.sender), rng);
            send(st, fx, &sender_ip, h.cport, Body::Pong(reply));
            after_ping_or_pong(st, &msg.header, &g, now_ms, fx);
        }
        Body::Pong(g) => {
            let g = g.clone();
            on_pong(st, &msg.header, &sender_ip, now_ms);
            after_ping_or_pong(st, &msg.header, &g, now_ms, fx);
        }
        Body::Fail(id) => on_fail(st, &msg.header, *id, now_ms),
        Body::Update {
            id,
            config_epoch,
            slots,
        } => {
            if known && *id == st.myself {
                on_update_about_me(st, &msg.header, slots);
            } else if known {
                on_update(st, *id, *config_epoch, slots, fx);
            }
        }
        Body::Publish { channel, message } => {
            if known {
                fx.publish.push((channel.clone(), message.clone()));
            }
        }
        Body::PublishShard { channel, message } => {
            if known {
                fx.publish_shard.push((channel.clone(), message.clone()));
            }
        }
        Body::FailoverAuthRequest => {
            if known {
                failover::on_auth_request(st, &msg.header, now_ms, fx);
            }
        }
        Body::FailoverAuthAck => {
            if known {
                failover::on_auth_ack(st, &msg.header);
                failover::try_win(st, fx, rng);
            }
        }
        Body::MfStart => {
            if known {
                failover::on_mfstart(st, &msg.header, now_ms, fx);
            }
        }
    }
    if known && msg.header.mflags & failover::MFLAG_PAUSED != 0 {
        failover::on_paused_master(st, &msg.header);
    }
    flush_fail_broadcasts(st, fx);
    st.update_state();
}

fn learn_my_ip(st: &mut ClusterState, local_ip: &str) {
    if st.me().ip.is_empty() && st.settings.announce_ip.is_empty() && !local_ip.is_empty() {
        st.me_mut().ip = local_ip.to_string();
        st.save_pending = true;
        info!(ip = %local_ip, "IP address for this node updated");
    }
}

/// Liveness, epochs, address and role of a known sender.
fn observe_sender(st: &mut ClusterState, h: &Header, ip: &str, now_ms: i64) {
    if h.current_epoch > st.current_epoch {
        st.current_epoch = h.current_epoch;
        st.save_pending = true;
    }
    let Some(n) = st.nodes.get_mut(&h.sender) else {
        return;
    };
    n.data_recv_ms = now_ms;
    n.link_connected = true;
    n.repl_offset = h.offset;
    if h.mflags & message::MFLAG_EXT_DATA != 0 {
        n.flags |= flags::EXT_DATA;
    } else {
        n.flags &= !flags::EXT_DATA;
    }
    let mut changed = false;
    if n.master_id.is_none() && h.config_epoch > n.config_epoch && h.flags & flags::MASTER != 0 {
        n.config_epoch = h.config_epoch;
        changed = true;
    }
    if n.ip != ip || n.port != h.port || n.cport != h.cport {
        n.ip = ip.to_string();
        n.port = h.port;
        n.cport = h.cport;
        changed = true;
    }
    let role = h.flags & (flags::MASTER | flags::SLAVE);
    if role != 0 && n.flags & (flags::MASTER | flags::SLAVE) != role {
        if n.has(flags::SLAVE) && role == flags::MASTER {
            n.flags |= flags::MIGRATE_TO;
        }
        n.flags = (n.flags & !(flags::MASTER | flags::SLAVE)) | role;
        changed = true;
    }
    if n.master_id != h.master {
        n.master_id = h.master;
        changed = true;
    }
    if n.hostname != h.hostname {
        n.hostname.clone_from(&h.hostname);
        changed = true;
    }
    st.save_pending |= changed;
    if let Some(m) = h.master.and_then(|m| st.nodes.get_mut(&m)) {
        m.flags |= flags::MIGRATE_TO;
    }
}

/// A PONG: completes a handshake (the temporary id becomes the real one) and clears
/// PFAIL/FAIL when appropriate.
fn on_pong(st: &mut ClusterState, h: &Header, ip: &str, now_ms: i64) {
    let hs = st
        .nodes
        .values()
        .find(|n| n.has(flags::HANDSHAKE) && n.ip == ip && n.cport == h.cport)
        .map(|n| n.id);
    if let Some(tmp) = hs {
        st.nodes.remove(&tmp);
        if let std::collections::btree_map::Entry::Vacant(v) = st.nodes.entry(h.sender) {
            let mut n = ClusterNode::new(h.sender, ip.to_string(), h.port, h.cport, 0, now_ms);
            n.flags = h.flags & (flags::MASTER | flags::SLAVE);
            v.insert(n);
            info!(node = %h.sender, "handshake completed");
        }
        st.save_pending = true;
        observe_sender(st, h, ip, now_ms);
    }
    let node_timeout = st.settings.node_timeout_ms;
    let Some(n) = st.nodes.get_mut(&h.sender) else {
        return;
    };
    n.pong_recv_ms = now_ms;
    n.ping_sent_ms = 0;
    if n.has(flags::PFAIL) {
        n.flags &= !flags::PFAIL;
    } else if n.has(flags::FAIL) {
        let has_slots = st.slot_count(&h.sender) > 0;
        let n = st
            .nodes
            .get_mut(&h.sender)
            .expect("invariant: looked up above");
        if !n.is_master() || !has_slots || now_ms - n.fail_time_ms > 2 * node_timeout {
            n.flags &= !flags::FAIL;
            st.save_pending = true;
            info!(node = %h.sender, "clear FAIL state: node is reachable again");
        }
    }
}

/// PING/PONG/MEET from a known node: slot claims, epoch collisions, gossip.
fn after_ping_or_pong(
    st: &mut ClusterState,
    h: &Header,
    g: &[Gossip],
    now_ms: i64,
    fx: &mut Effects,
) {
    let Some(sender) = st.nodes.get(&h.sender) else {
        return;
    };
    if sender.has(flags::HANDSHAKE) {
        return;
    }
    let sender_master = h.flags & flags::MASTER != 0;
    if sender_master {
        update_slots(st, h.sender, h.config_epoch, &h.slots, fx);
        send_updates_for_stale_claims(st, h, fx);
        send_update_for_unclaimed(st, h, fx);
        epoch_collision(st, h);
    }
    shard_id::on_ping(st, h);
    for e in g {
        process_gossip(st, h, e, sender_master, now_ms);
    }
}

/// Rebinds the slots `claimant` claims with `epoch` (Redis `clusterUpdateSlotsConfigWith`).
///
/// One addition to Redis: a slot whose recorded owner sends a slot map without it is marked
/// *disowned*, and any claim then wins it. Redis keeps such a slot bound to the old owner
/// until someone claims it with a greater epoch, which never happens when the new owner's
/// epoch was bumped without consensus below the old owner's (the simulation found this:
/// `crate::sim`); the nodes would then disagree forever.
fn update_slots(
    st: &mut ClusterState,
    claimant: NodeId,
    epoch: u64,
    bm: &SlotBitmap,
    fx: &mut Effects,
) {
    if claimant == st.myself {
        return;
    }
    // Our shard's master: ourselves, or the master we replicate.
    let my_master = if st.me().is_master() {
        Some(st.myself)
    } else {
        st.me().master_id
    };
    let had_slots = my_master.is_some_and(|m| st.slot_count(&m) > 0);
    let mut moved_from_my_shard = false;
    let owned = st.slot_bitmap(&claimant);
    // Word by word: only slots where the claim and our table differ need a look.
    let (claim, have) = (bm.words(), owned.words());
    for s in slots::ones(claim.iter().zip(have.iter()).map(|(c, o)| o & !c)) {
        st.disowned.set(s, true);
    }
    for s in slots::ones(claim.iter().zip(have.iter()).map(|(c, o)| c & !o)) {
        let s16 = u16::try_from(s).expect("invariant: slot < 16384");
        if st.importing.contains_key(&s16) {
            continue;
        }
        let cur = st.slots[s];
        let cur_epoch = cur.and_then(|c| st.nodes.get(&c)).map(|n| n.config_epoch);
        let stale = st.disowned.get(s) && cur != Some(st.myself);
        if stale || cur_epoch.is_none_or(|e| e < epoch) {
            if cur.is_some() && cur == my_master {
                moved_from_my_shard = true;
            }
            st.set_slot(s, Some(claimant));
            if cur == Some(st.myself) {
                fx.lost_slots.push(s16);
                st.lost_to.insert(s16, claimant);
                info!(slot = s, to = %claimant, epoch, "slot taken by a newer configuration");
            }
        }
    }
    let emptied = had_slots && my_master.is_some_and(|m| st.slot_count(&m) == 0);
    if moved_from_my_shard && emptied {
        become_replica_of(st, claimant, fx);
    }
}

/// Our shard lost its last slot to `master` (a failover elsewhere, or our old master came
/// back to find its slots taken): follow the new owner, as Redis's `clusterSetMaster`.
pub fn become_replica_of(st: &mut ClusterState, master: NodeId, fx: &mut Effects) {
    let Some(m) = st.nodes.get(&master) else {
        return;
    };
    let (ip, port) = (m.ip.clone(), m.port);
    let me = st.me_mut();
    if me.master_id == Some(master) {
        return;
    }
    me.flags = (me.flags & !flags::MASTER) | flags::SLAVE;
    me.master_id = Some(master);
    st.adopt_master_shard_id();
    st.failover.reset_manual();
    st.save_pending = true;
    st.fsync_pending = true;
    info!(master = %master, "configuration change detected: this node is now a replica");
    fx.role = Some(failover::RoleChange::ReplicaOf { ip, port });
}

/// The sender claims slots whose owner has a greater config epoch: tell it (UPDATE).
fn send_updates_for_stale_claims(st: &mut ClusterState, h: &Header, fx: &mut Effects) {
    let mut owner_to_tell = None;
    let sender_owns = st.slot_bitmap(&h.sender);
    let (claim, have) = (h.slots.words(), sender_owns.words());
    for s in slots::ones(claim.iter().zip(have.iter()).map(|(c, o)| c & !o)) {
        let Some(owner) = st.slots[s] else { continue };
        if st
            .nodes
            .get(&owner)
            .is_some_and(|o| o.config_epoch > h.config_epoch)
        {
            owner_to_tell = Some(owner);
            break;
        }
    }
    let Some(owner) = owner_to_tell else { return };
    let Some(o) = st.nodes.get(&owner) else {
        return;
    };
    let body = Body::Update {
        id: owner,
        config_epoch: o.config_epoch,
        slots: st.slot_bitmap(&owner),
    };
    let Some(sender) = st.nodes.get(&h.sender) else {
        return;
    };
    let (ip, cport) = (sender.ip.clone(), sender.cport);
    send(st, fx, &ip, cport, body);
}

/// The sender does not claim slots that our table gives it: tell it what we think it owns
/// (an UPDATE about itself; see [`on_update_about_me`]).
fn send_update_for_unclaimed(st: &mut ClusterState, h: &Header, fx: &mut Effects) {
    let ours = st.slot_bitmap(&h.sender);
    let unclaimed = ours
        .words()
        .iter()
        .zip(h.slots.words().iter())
        .any(|(o, c)| o & !c != 0);
    let Some(sender) = st.nodes.get(&h.sender) else {
        return;
    };
    if !unclaimed {
        return;
    }
    let body = Body::Update {
        id: h.sender,
        config_epoch: sender.config_epoch,
        slots: ours,
    };
    let (ip, cport) = (sender.ip.clone(), sender.cport);
    send(st, fx, &ip, cport, body);
}

/// An UPDATE about ourselves: the sender's table gives us `slots`. We take back each such
/// slot that we lost to the sender's greater epoch, while the sender does not claim it.
///
/// An addition to Redis, closing a hole the simulation found (seed 16): a reshard target
/// bumps its epoch without consensus but below a source epoch it has not heard of yet; a
/// source PING sent before the source's SETSLOT NODE arrives late and, having the greater
/// epoch, takes the slot back at the target; the source's table gives it to the target.
/// Then no node claims the slot and both point clients at each other forever (Redis leaves
/// this to `redis-cli --cluster fix`). The only node whose claim made us give the slot up
/// now says it is ours, so taking it back restores the operator's assignment. Only slots lost
/// to the sender's claim qualify (`lost_to`): a late UPDATE must not undo a slot we gave
/// away ourselves. A wrong retake (an UPDATE older than the sender's claim) is undone by the
/// sender's next PING, whose epoch is the greater one.
fn on_update_about_me(st: &mut ClusterState, h: &Header, slots: &SlotBitmap) {
    if !st.me().is_master() {
        return;
    }
    let mine = st.slot_bitmap(&st.myself);
    let offered = slots::ones(
        slots
            .words()
            .iter()
            .zip(mine.words().iter())
            .map(|(o, m)| o & !m),
    );
    let retake: Vec<usize> = offered
        .filter(|&s| st.slots[s] == Some(h.sender) && !h.slots.get(s))
        .filter(|&s| {
            let s16 = u16::try_from(s).expect("invariant: slot < 16384");
            st.lost_to.get(&s16) == Some(&h.sender) && !st.importing.contains_key(&s16)
        })
        .collect();
    for &s in &retake {
        st.set_slot(s, Some(st.myself));
    }
    if let (Some(&first), n) = (retake.first(), retake.len()) {
        info!(node = %h.sender, first, slots = n, "took back slots its former owner says are ours");
    }
}

/// Two masters with the same config epoch: the one with the smaller id takes a new epoch
/// (Redis `clusterHandleConfigEpochCollision`).
fn epoch_collision(st: &mut ClusterState, h: &Header) {
    let me = st.me();
    if !me.is_master() || h.config_epoch != me.config_epoch || h.sender <= st.myself {
        return;
    }
    st.current_epoch += 1;
    let e = st.current_epoch;
    st.me_mut().config_epoch = e;
    st.save_pending = true;
    info!(
        epoch = e,
        "configEpoch collision resolved: took a new config epoch"
    );
}

fn process_gossip(st: &mut ClusterState, h: &Header, g: &Gossip, from_master: bool, now_ms: i64) {
    if g.id == st.myself {
        return;
    }
    if st.nodes.contains_key(&g.id) {
        if from_master {
            let failing = g.flags & (flags::PFAIL | flags::FAIL) != 0;
            if let Some(n) = st.nodes.get_mut(&g.id) {
                if failing {
                    n.fail_reports.insert(h.sender, now_ms);
                } else {
                    n.fail_reports.remove(&h.sender);
                }
            }
            if failing {
                mark_failing_if_needed(st, g.id, now_ms);
            }
        }
        return;
    }
    let usable = g.flags & (flags::NOADDR | flags::HANDSHAKE) == 0 && !g.ip.is_empty();
    if usable && !st.blacklist.contains_key(&g.id) {
        let mut n = ClusterNode::new(g.id, g.ip.clone(), g.port, g.cport, 0, now_ms);
        n.flags = g.flags & (flags::MASTER | flags::SLAVE);
        st.nodes.insert(g.id, n);
        st.save_pending = true;
        info!(node = %g.id, "discovered node through gossip");
    }
}

/// PFAIL plus failure reports from a majority of slot owners → FAIL, broadcast
/// (Redis `markNodeAsFailingIfNeeded`).
fn mark_failing_if_needed(st: &mut ClusterState, id: NodeId, now_ms: i64) {
    let needed = st.size() / 2 + 1;
    let validity = 2 * st.settings.node_timeout_ms;
    let i_am_master = st.me().is_master();
    let Some(n) = st.nodes.get_mut(&id) else {
        return;
    };
    if !n.has(flags::PFAIL) || n.has(flags::FAIL) {
        return;
    }
    n.fail_reports.retain(|_, t| now_ms - *t <= validity);
    let failures = n.fail_reports.len() + usize::from(i_am_master);
    if failures < needed {
        return;
    }
    n.flags = (n.flags & !flags::PFAIL) | flags::FAIL;
    n.fail_time_ms = now_ms;
    st.save_pending = true;
    st.pending_fail_broadcast.push(id);
    info!(node = %id, "marking node as failing (quorum reached)");
}

fn on_fail(st: &mut ClusterState, h: &Header, id: NodeId, now_ms: i64) {
    let known = st
        .nodes
        .get(&h.sender)
        .is_some_and(|n| !n.has(flags::HANDSHAKE));
    if !known || id == st.myself {
        return;
    }
    if let Some(n) = st.nodes.get_mut(&id)
        && !n.has(flags::FAIL)
    {
        n.flags = (n.flags & !flags::PFAIL) | flags::FAIL;
        n.fail_time_ms = now_ms;
        st.save_pending = true;
        info!(node = %id, "node marked as failing by a FAIL message");
    }
}

fn on_update(st: &mut ClusterState, id: NodeId, epoch: u64, bm: &SlotBitmap, fx: &mut Effects) {
    let Some(n) = st.nodes.get_mut(&id) else {
        return;
    };
    if n.config_epoch >= epoch {
        return;
    }
    n.config_epoch = epoch;
    st.current_epoch = st.current_epoch.max(epoch);
    st.save_pending = true;
    update_slots(st, id, epoch, bm, fx);
}

/// `id` closed its link to us (a crashed process closes all its sockets at once): unless a
/// PING is already pending, PING it now, so its silence is timed from this moment rather
/// than from our next scheduled PING (up to half a node timeout later). PFAIL still needs a
/// whole node timeout without an answer; a live node answers the PING and nothing changes.
pub fn on_link_closed(
    st: &mut ClusterState,
    id: NodeId,
    now_ms: i64,
    rng: &mut impl Rng,
    fx: &mut Effects,
) {
    st.now_ms = now_ms;
    let known = st
        .nodes
        .get(&id)
        .is_some_and(|n| id != st.myself && n.ping_sent_ms == 0 && !n.has(flags::HANDSHAKE));
    if known {
        send_ping(st, fx, id, now_ms, rng);
    }
}

/// Periodic work (Redis `clusterCron`, run every 100 ms).
pub fn tick(st: &mut ClusterState, now_ms: i64, rng: &mut impl Rng, fx: &mut Effects) {
    st.now_ms = now_ms;
    let stalled = st.last_tick_ms != 0 && now_ms - st.last_tick_ms > STALLED_TICK_MS;
    st.last_tick_ms = now_ms;
    let timeout = st.settings.node_timeout_ms;
    st.blacklist.retain(|_, until| *until > now_ms);
    let handshake_ttl = timeout.max(1000);
    let expired: Vec<NodeId> = st
        .nodes
        .values()
        .filter(|n| n.has(flags::HANDSHAKE) && now_ms - n.ctime_ms > handshake_ttl)
        .map(|n| n.id)
        .collect();
    for id in expired {
        st.del_node(&id);
    }
    random_ping(st, now_ms, rng, fx);
    let mut new_pfail = false;
    let ids: Vec<NodeId> = st.nodes.keys().copied().collect();
    for id in ids {
        if id == st.myself {
            continue;
        }
        let Some(n) = st.nodes.get(&id) else { continue };
        let retry_due = now_ms - n.ping_retry_ms > (timeout / 2).max(100);
        let should_ping = if n.has(flags::HANDSHAKE) {
            retry_due
        } else if n.ping_sent_ms == 0 {
            now_ms - n.pong_recv_ms > (timeout / 2).min(LIVENESS_PING_MAX_MS)
        } else {
            retry_due
        };
        if should_ping {
            send_ping(st, fx, id, now_ms, rng);
        }
        let Some(n) = st.nodes.get_mut(&id) else {
            continue;
        };
        let pending = n.ping_sent_ms != 0 && now_ms - n.ping_sent_ms > timeout;
        if pending
            && !stalled
            && now_ms - n.data_recv_ms > timeout
            && !n.failing()
            && !n.has(flags::HANDSHAKE)
        {
            n.flags |= flags::PFAIL;
            n.link_connected = false;
            new_pfail = true;
            info!(node = %id, "node possibly failing (no PONG within node timeout)");
        }
    }
    if new_pfail {
        // Our report travels in PING gossip: send it to everyone now rather than with the
        // next scheduled PINGs, so the other masters reach the FAIL quorum sooner.
        for id in peers(st) {
            if st.nodes.get(&id).is_some_and(|n| !n.failing()) {
                send_ping(st, fx, id, now_ms, rng);
            }
        }
    }
    let pfail: Vec<NodeId> = st
        .nodes
        .values()
        .filter(|n| n.has(flags::PFAIL))
        .map(|n| n.id)
        .collect();
    for id in pfail {
        mark_failing_if_needed(st, id, now_ms);
    }
    flush_fail_broadcasts(st, fx);
    failover::tick(st, now_ms, rng, fx);
    replica_migration::tick(st, now_ms, rng, fx);
    st.update_state();
}

fn flush_fail_broadcasts(st: &mut ClusterState, fx: &mut Effects) {
    let ids = std::mem::take(&mut st.pending_fail_broadcast);
    for id in ids {
        broadcast(st, fx, &Body::Fail(id));
    }
}

/// Once a second, PING the node with the oldest PONG among a few random ones.
fn random_ping(st: &mut ClusterState, now_ms: i64, rng: &mut impl Rng, fx: &mut Effects) {
    if now_ms - st.last_random_ping_ms < RANDOM_PING_INTERVAL_MS {
        return;
    }
    st.last_random_ping_ms = now_ms;
    let candidates: Vec<&ClusterNode> = st
        .nodes
        .values()
        .filter(|n| {
            n.id != st.myself
                && n.ping_sent_ms == 0
                && n.flags & (flags::HANDSHAKE | flags::PFAIL) == 0
        })
        .collect();
    let sample: Vec<&&ClusterNode> = candidates
        .choose_multiple(rng, RANDOM_PING_SAMPLE)
        .collect();
    let target = sample.iter().min_by_key(|n| n.pong_recv_ms).map(|n| n.id);
    if let Some(id) = target {
        send_ping(st, fx, id, now_ms, rng);
    }
}

/// CLUSTER FORGET: drops the node and blacklists it against gossip for a minute.
pub fn forget(st: &mut ClusterState, id: &NodeId, now_ms: i64) {
    st.del_node(id);
    st.blacklist.insert(*id, now_ms + BLACKLIST_TTL_MS);
}

#[cfg(test)]
mod tests {
    use rand::SeedableRng;
    use rand::rngs::SmallRng;

    use super::*;

    /// A state knowing one master peer that was last heard from at 1 ms and whose PING
    /// (sent at 1 ms) is unanswered; node timeout 2000 ms.
    fn with_silent_peer() -> (ClusterState, NodeId, SmallRng) {
        let mut rng = SmallRng::seed_from_u64(3);
        let mut st = ClusterState::new(&mut rng, 7000, 17000, 0);
        st.settings.node_timeout_ms = 2000;
        let id = NodeId::random(&mut rng);
        let mut n = ClusterNode::new(id, "127.0.0.1".into(), 7001, 17001, flags::MASTER, 0);
        n.ping_sent_ms = 1;
        n.pong_recv_ms = 1;
        n.data_recv_ms = 1;
        st.nodes.insert(id, n);
        (st, id, rng)
    }

    /// PFAIL, or already FAIL (alone, we are the whole quorum).
    fn pfail(st: &ClusterState, id: NodeId) -> bool {
        st.nodes.get(&id).is_some_and(ClusterNode::failing)
    }

    #[test]
    fn regular_ticks_flag_a_peer_silent_for_node_timeout() {
        let (mut st, id, mut rng) = with_silent_peer();
        let mut fx = Effects::default();
        let mut now = 1900;
        tick(&mut st, now, &mut rng, &mut fx);
        assert!(!pfail(&st, id), "not silent for node timeout yet");
        now += 100;
        tick(&mut st, now, &mut rng, &mut fx);
        assert!(!pfail(&st, id), "exactly node timeout is not more than it");
        now += 100;
        tick(&mut st, now, &mut rng, &mut fx);
        assert!(pfail(&st, id));
    }

    #[test]
    fn a_tick_after_a_stall_judges_nobody_the_next_one_does() {
        let (mut st, id, mut rng) = with_silent_peer();
        let mut fx = Effects::default();
        tick(&mut st, 100, &mut rng, &mut fx);
        // This process did not run for 5 s: the peer's PONG may be unread in its socket.
        tick(&mut st, 5100, &mut rng, &mut fx);
        assert!(!pfail(&st, id), "judged right after our own stall");
        // The PONG arrived while we were stalled: handled before the next tick.
        st.nodes.get_mut(&id).expect("peer").ping_sent_ms = 0;
        st.nodes.get_mut(&id).expect("peer").data_recv_ms = 5150;
        tick(&mut st, 5200, &mut rng, &mut fx);
        assert!(!pfail(&st, id));
        // Really silent: the next regular tick flags it.
        let (mut st, id, mut rng) = with_silent_peer();
        tick(&mut st, 100, &mut rng, &mut fx);
        tick(&mut st, 5100, &mut rng, &mut fx);
        assert!(!pfail(&st, id));
        tick(&mut st, 5200, &mut rng, &mut fx);
        assert!(
            pfail(&st, id),
            "a silent peer is flagged one tick after the stall"
        );
    }
}
