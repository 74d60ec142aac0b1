//! Replica elections, votes, promotion and manual failover (Redis `clusterHandleSlaveFailover`,
//! `clusterSendFailoverAuthIfNeeded`, `clusterFailoverReplaceYourMaster`, the manual failover
//! state machine), on the sans-I/O bus.
//!
//! Rules (research §8.4–8.5):
//! - A replica whose master is FAIL (and owns slots) schedules an election at
//!   `now + 500 ms + random(0..500) ms + rank × 1 s`, rank = number of sibling replicas with a
//!   larger replication offset (re-evaluated until the request is sent). At that time it bumps
//!   `currentEpoch` and asks every master for a vote (FAILOVER_AUTH_REQUEST). The attempt
//!   expires after `auth_timeout = max(2 × node_timeout, 2 s)`; the next may start after
//!   `2 × auth_timeout`.
//! - A master that owns slots votes at most once per epoch (`last_vote_epoch`, persisted and
//!   fsync'd before the ACK leaves), only for a replica whose master is FAIL (unless the
//!   request carries FORCEACK), not twice for replicas of the same master within
//!   `2 × node_timeout`, and only if no claimed slot has an owner with a newer config epoch.
//! - With `size/2 + 1` ACKs the replica becomes master: it takes the election epoch as its
//!   config epoch, claims its master's slots and broadcasts a PONG. Others learn it through
//!   slot claims; the old master, finding all its slots taken, becomes a replica of the winner
//!   (see `update_slots` in the parent module).
//! - Manual failover (CLUSTER FAILOVER): the replica sends MFSTART; the master pauses writes
//!   and pings the replica with the PAUSED flag and its offset; once the replica has processed
//!   that offset it runs an immediate election with FORCEACK. FORCE skips the handshake;
//!   TAKEOVER skips the election too (a new config epoch without consensus). An attempt that
//!   does not finish within 5 s is aborted.
//!
//! Invariants: a node grants at most one vote per epoch; a node's config epoch only grows.

use std::collections::BTreeMap;

use rand::Rng;
use tracing::{info, warn};

use super::{Body, Effects, send};
use crate::cluster::{ClusterState, NodeId, flags};

/// Header `mflags`: the sender (a master in manual failover) paused its clients.
pub const MFLAG_PAUSED: u8 = 1;
/// Header `mflags`: vote even though the master is not failing (manual failover).
pub const MFLAG_FORCEACK: u8 = 2;

/// How long a manual failover may take (Redis `CLUSTER_MF_TIMEOUT`).
pub const MF_TIMEOUT_MS: i64 = 5000;
/// Fixed part of the election delay.
const ELECTION_DELAY_MS: i64 = 500;
/// Random part of the election delay (exclusive bound).
const ELECTION_JITTER_MS: i64 = 500;
/// Extra delay per rank.
const RANK_DELAY_MS: i64 = 1000;

/// What this node's role must become, for the executor to apply to replication.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RoleChange {
    /// Replicate from this master.
    ReplicaOf {
        /// Master IP.
        ip: String,
        /// Master client port.
        port: u16,
    },
    /// Stop replicating: we are a master now.
    Master,
}

/// Election and manual-failover state of one node.
#[derive(Debug, Clone, Default)]
pub struct FailoverState {
    /// When the current election may send its request, Unix ms (0: none scheduled).
    pub auth_time_ms: i64,
    /// The vote request was sent.
    pub auth_sent: bool,
    /// Votes received for `auth_epoch`.
    pub auth_count: usize,
    /// The epoch of the current election.
    pub auth_epoch: u64,
    /// Our rank when the election was scheduled.
    pub auth_rank: usize,
    /// Per master: when we last voted for one of its replicas, Unix ms.
    pub voted_time_ms: BTreeMap<NodeId, i64>,
    /// Manual failover deadline, Unix ms (0: none in progress).
    pub mf_end_ms: i64,
    /// Replica side: the election may start (offset reached, or FORCE).
    pub mf_can_start: bool,
    /// Replica side: the master's offset announced with PAUSED (-1: not yet).
    pub mf_master_offset: i64,
    /// Master side: the replica that asked (MFSTART).
    pub mf_replica: Option<NodeId>,
    /// Replica side: how the election was requested is logged once.
    pub logged_reason: bool,
    /// Orphaned masters and since when (replica migration), Unix ms.
    pub orphaned_since: BTreeMap<NodeId, i64>,
}

impl FailoverState {
    /// Clears a manual failover.
    pub fn reset_manual(&mut self) {
        self.mf_end_ms = 0;
        self.mf_can_start = false;
        self.mf_master_offset = -1;
        self.mf_replica = None;
    }
}

/// `max(2 × node_timeout, 2000)`.
fn auth_timeout_ms(st: &ClusterState) -> i64 {
    (2 * st.settings.node_timeout_ms).max(2000)
}

/// Sibling replicas with a larger replication offset than ours (Redis
/// `clusterGetSlaveRank`).
fn rank(st: &ClusterState, master: NodeId) -> usize {
    let mine = st.repl_offset;
    st.nodes
        .values()
        .filter(|n| n.id != st.myself && n.master_id == Some(master) && n.has(flags::SLAVE))
        .filter(|n| n.repl_offset > mine)
        .count()
}

/// Replica side of the periodic work: manual failover progress and elections.
pub fn tick(st: &mut ClusterState, now_ms: i64, rng: &mut impl Rng, fx: &mut Effects) {
    manual_failover_tick(st, now_ms, fx);
    let me = st.me();
    if me.is_master() {
        return;
    }
    let Some(master_id) = me.master_id else {
        return;
    };
    let Some(master) = st.nodes.get(&master_id) else {
        return;
    };
    let manual = st.failover.mf_end_ms != 0 && st.failover.mf_can_start;
    let master_failed = master.has(flags::FAIL);
    if (!master_failed && !manual) || st.slot_count(&master_id) == 0 {
        return;
    }
    if me.has(flags::NOFAILOVER) && !manual {
        return;
    }
    // Too old a copy of the master's data must not win (cluster-replica-validity-factor).
    let factor = st.settings.replica_validity_factor;
    let data_age = st.repl_data_age_ms - st.settings.node_timeout_ms;
    let max_age = st.settings.repl_ping_period_ms + st.settings.node_timeout_ms * factor;
    if !manual && factor > 0 && data_age > max_age {
        if !st.failover.logged_reason {
            st.failover.logged_reason = true;
            warn!(
                data_age_ms = data_age,
                max_age_ms = max_age,
                "disconnected from master for longer than allowed: no failover"
            );
        }
        return;
    }
    let auth_timeout = auth_timeout_ms(st);
    let since = now_ms - st.failover.auth_time_ms;
    if since > 2 * auth_timeout {
        let fs = &mut st.failover;
        fs.auth_sent = false;
        fs.auth_count = 0;
        if manual {
            fs.auth_time_ms = now_ms;
            fs.auth_rank = 0;
        } else {
            let r = rank(st, master_id);
            let delay = ELECTION_DELAY_MS
                + rng.random_range(0..ELECTION_JITTER_MS)
                + RANK_DELAY_MS * i64::try_from(r).unwrap_or(0);
            st.failover.auth_time_ms = now_ms + delay;
            st.failover.auth_rank = r;
        }
        info!(
            delay_ms = st.failover.auth_time_ms - now_ms,
            rank = st.failover.auth_rank,
            manual,
            "start of election delayed"
        );
        // Tell siblings our offset now so their ranks are accurate.
        send_pong_to_siblings(st, master_id, fx, rng);
        return;
    }
    if !st.failover.auth_sent && !manual {
        let r = rank(st, master_id);
        if r > st.failover.auth_rank {
            let added = i64::try_from(r - st.failover.auth_rank).unwrap_or(0) * RANK_DELAY_MS;
            st.failover.auth_time_ms += added;
            st.failover.auth_rank = r;
        }
    }
    if now_ms < st.failover.auth_time_ms {
        return;
    }
    if now_ms - st.failover.auth_time_ms > auth_timeout {
        return; // this attempt expired; the next one starts after the retry window
    }
    if !st.failover.auth_sent {
        st.current_epoch += 1;
        st.failover.auth_epoch = st.current_epoch;
        st.failover.auth_sent = true;
        st.save_pending = true;
        st.fsync_pending = true;
        info!(epoch = st.current_epoch, "starting a failover election");
        let mflags = if manual { MFLAG_FORCEACK } else { 0 };
        st.next_mflags = mflags;
        super::broadcast(st, fx, &Body::FailoverAuthRequest);
        st.next_mflags = 0;
        return;
    }
    try_win(st, fx, rng);
}

/// Promotes us if the election in progress has its majority (Redis checks right after each
/// vote, `CLUSTER_TODO_HANDLE_FAILOVER`, rather than at the next cron).
pub fn try_win(st: &mut ClusterState, fx: &mut Effects, rng: &mut impl Rng) {
    let needed = st.size() / 2 + 1;
    if st.failover.auth_sent && st.failover.auth_count >= needed && !st.me().is_master() {
        info!(
            votes = st.failover.auth_count,
            needed, "failover election won"
        );
        let epoch = st.failover.auth_epoch;
        promote(st, epoch, fx, rng);
    }
}

fn send_pong_to_siblings(
    st: &mut ClusterState,
    master: NodeId,
    fx: &mut Effects,
    rng: &mut impl Rng,
) {
    let siblings: Vec<(String, u16)> = st
        .nodes
        .values()
        .filter(|n| n.id != st.myself && n.master_id == Some(master) && !n.failing())
        .map(|n| (n.ip.clone(), n.cport))
        .collect();
    for (ip, cport) in siblings {
        let g = super::gossip(st, None, rng);
        send(st, fx, &ip, cport, Body::Pong(g));
    }
}

/// Takes over our master's slots with `epoch` as our config epoch (Redis
/// `clusterFailoverReplaceYourMaster`).
pub fn promote(st: &mut ClusterState, epoch: u64, fx: &mut Effects, rng: &mut impl Rng) {
    let me_id = st.myself;
    let Some(old) = st.me().master_id else {
        return;
    };
    {
        let me = st.me_mut();
        me.flags = (me.flags & !flags::SLAVE) | flags::MASTER;
        me.master_id = None;
        if epoch > me.config_epoch {
            me.config_epoch = epoch;
        }
    }
    for s in st.slot_bitmap(&old).iter() {
        st.set_slot(s, Some(me_id));
    }
    st.failover = FailoverState {
        voted_time_ms: std::mem::take(&mut st.failover.voted_time_ms),
        ..FailoverState::default()
    };
    st.failover.reset_manual();
    st.save_pending = true;
    st.fsync_pending = true;
    st.update_state();
    info!(epoch, old_master = %old, "failover: this node is now a master");
    super::broadcast_pong(st, fx, rng);
    fx.role = Some(RoleChange::Master);
}

/// CLUSTER FAILOVER TAKEOVER: a new config epoch without agreement, then promotion.
pub fn takeover(st: &mut ClusterState, fx: &mut Effects, rng: &mut impl Rng) {
    st.current_epoch += 1;
    let epoch = st.current_epoch;
    warn!(
        epoch,
        "failover by TAKEOVER: config epoch bumped without consensus"
    );
    promote(st, epoch, fx, rng);
}

/// A vote request from `sender` (Redis `clusterSendFailoverAuthIfNeeded`).
pub fn on_auth_request(st: &mut ClusterState, h: &super::Header, now_ms: i64, fx: &mut Effects) {
    let me = st.me();
    if !me.is_master() || st.slot_count(&st.myself) == 0 {
        return;
    }
    if h.current_epoch < st.current_epoch {
        info!(node = %h.sender, req = h.current_epoch, cur = st.current_epoch, "failover auth denied: request epoch is old");
        return;
    }
    if st.last_vote_epoch == st.current_epoch {
        info!(node = %h.sender, epoch = st.current_epoch, "failover auth denied: already voted for epoch");
        return;
    }
    let Some(requester) = st.nodes.get(&h.sender) else {
        return;
    };
    let Some(master_id) = requester.master_id.or(h.master) else {
        return;
    };
    let force = h.mflags & MFLAG_FORCEACK != 0;
    let master_failed = st.nodes.get(&master_id).is_some_and(|m| m.has(flags::FAIL));
    if !requester.has(flags::SLAVE) && h.flags & flags::SLAVE == 0 {
        return;
    }
    if !master_failed && !force {
        info!(node = %h.sender, "failover auth denied: its master is up");
        return;
    }
    let window = 2 * st.settings.node_timeout_ms;
    if let Some(&t) = st.failover.voted_time_ms.get(&master_id)
        && now_ms - t < window
    {
        info!(node = %h.sender, wait_ms = window - (now_ms - t), "failover auth denied: can't vote about this master yet");
        return;
    }
    for s in h.slots.iter() {
        let newer = st.slots[s]
            .and_then(|o| st.nodes.get(&o))
            .is_some_and(|o| o.config_epoch > h.config_epoch);
        if newer {
            info!(node = %h.sender, slot = s, "failover auth denied: a claimed slot has a newer config");
            return;
        }
    }
    st.last_vote_epoch = st.current_epoch;
    st.failover.voted_time_ms.insert(master_id, now_ms);
    st.save_pending = true;
    st.fsync_pending = true;
    let (ip, cport) = (requester.ip.clone(), requester.cport);
    info!(node = %h.sender, epoch = st.current_epoch, "failover auth granted");
    send(st, fx, &ip, cport, Body::FailoverAuthAck);
}

/// A vote for us.
pub fn on_auth_ack(st: &mut ClusterState, h: &super::Header) {
    let voter_is_owner =
        st.nodes.get(&h.sender).is_some_and(|n| n.is_master()) && st.slot_count(&h.sender) > 0;
    if voter_is_owner && h.current_epoch >= st.failover.auth_epoch && st.failover.auth_sent {
        st.failover.auth_count += 1;
        info!(voter = %h.sender, votes = st.failover.auth_count, "failover auth ack received");
    }
}

/// CLUSTER FAILOVER (default or FORCE) on a replica: start a manual failover.
pub fn start_manual(st: &mut ClusterState, force: bool, now_ms: i64, fx: &mut Effects) {
    st.failover.reset_manual();
    st.failover.mf_end_ms = now_ms + MF_TIMEOUT_MS;
    st.failover.auth_time_ms = 0;
    if force {
        st.failover.mf_can_start = true;
        info!("forced manual failover: starting the election");
        return;
    }
    let Some(master) = st.me().master_id.and_then(|m| st.nodes.get(&m)) else {
        return;
    };
    let (ip, cport) = (master.ip.clone(), master.cport);
    info!("manual failover requested: asking the master to pause writes");
    send(st, fx, &ip, cport, Body::MfStart);
}

/// MFSTART from one of our replicas: pause writes and tell it our offset.
pub fn on_mfstart(st: &mut ClusterState, h: &super::Header, now_ms: i64, fx: &mut Effects) {
    let from_my_replica = st
        .nodes
        .get(&h.sender)
        .is_some_and(|n| n.master_id == Some(st.myself));
    if !st.me().is_master() || !from_my_replica {
        return;
    }
    st.failover.reset_manual();
    st.failover.mf_end_ms = now_ms + MF_TIMEOUT_MS;
    st.failover.mf_replica = Some(h.sender);
    fx.pause_writes_until_ms = Some(st.failover.mf_end_ms);
    info!(replica = %h.sender, "manual failover requested by replica: writes paused");
    ping_mf_replica(st, fx);
}

fn ping_mf_replica(st: &mut ClusterState, fx: &mut Effects) {
    let Some(r) = st.failover.mf_replica.and_then(|id| st.nodes.get(&id)) else {
        return;
    };
    let (ip, cport) = (r.ip.clone(), r.cport);
    st.next_mflags = MFLAG_PAUSED;
    send(st, fx, &ip, cport, Body::Ping(Vec::new()));
    st.next_mflags = 0;
}

/// A message from our master with the PAUSED flag: remember its offset.
pub fn on_paused_master(st: &mut ClusterState, h: &super::Header) {
    if st.failover.mf_end_ms != 0
        && st.me().master_id == Some(h.sender)
        && st.failover.mf_master_offset < 0
    {
        st.failover.mf_master_offset = h.offset;
        info!(
            offset = h.offset,
            "received the master's replication offset for manual failover"
        );
    }
}

fn manual_failover_tick(st: &mut ClusterState, now_ms: i64, fx: &mut Effects) {
    if st.failover.mf_end_ms == 0 {
        return;
    }
    if now_ms > st.failover.mf_end_ms {
        warn!("manual failover timed out");
        if st.me().is_master() {
            fx.pause_writes_until_ms = Some(0);
        }
        st.failover.reset_manual();
        return;
    }
    if st.me().is_master() {
        ping_mf_replica(st, fx);
        return;
    }
    if !st.failover.mf_can_start
        && st.failover.mf_master_offset >= 0
        && st.repl_offset >= st.failover.mf_master_offset
    {
        st.failover.mf_can_start = true;
        info!(
            offset = st.repl_offset,
            "all of the master's data processed: starting the manual failover election"
        );
    }
}
