//! Replica migration (Redis `clusterHandleSlaveMigration`): a master that owns slots and has
//! no working replica left (orphaned) receives a spare replica from the master with the most
//! working replicas, so one more failure elsewhere does not leave its slots uncovered.
//!
//! Rules, as Redis: only with `cluster-allow-replica-migration yes` and the cluster state ok;
//! only a replica of a master with the most non-failing replicas (at least 2) moves, and only
//! if its master keeps more than `cluster-migration-barrier` working replicas; among the
//! replicas of all such masters the one with the smallest node id moves; a master counts as
//! orphaned only if it is worth covering (it had a replica or was one: `MIGRATE_TO`) and
//! only after it stayed orphaned for 5 s, so that a failover had its chance first.
//!
//! Invariant: at most one replica (the candidate, the same on every node that sees the same
//! view) moves per orphaned master and round.

use rand::Rng;
use tracing::info;

use super::Effects;
use crate::cluster::{ClusterState, NodeId, flags};

/// How long a master must stay orphaned before a replica migrates to it (Redis
/// `CLUSTER_SLAVE_MIGRATION_DELAY`).
pub const MIGRATION_DELAY_MS: i64 = 5000;

/// Replicas of `master` not flagged FAIL (Redis `clusterCountNonFailingSlaves`).
fn non_failing_replicas(st: &ClusterState, master: NodeId) -> usize {
    st.nodes
        .values()
        .filter(|n| n.master_id == Some(master) && n.has(flags::SLAVE) && !n.has(flags::FAIL))
        .count()
}

/// Masters not flagged FAIL (and not in handshake): the census Redis's cron takes.
fn live_masters(st: &ClusterState) -> Vec<NodeId> {
    st.nodes
        .values()
        .filter(|n| n.is_master() && !n.has(flags::FAIL) && !n.has(flags::HANDSHAKE))
        .map(|n| n.id)
        .collect()
}

/// Replica-side periodic check; moves this replica to an orphaned master when it is the one
/// that should (see the module header).
pub fn tick(st: &mut ClusterState, now_ms: i64, rng: &mut impl Rng, fx: &mut Effects) {
    let me = st.me();
    let Some(my_master) = me.master_id.filter(|_| !me.is_master()) else {
        return;
    };
    // Redis's clusterCron census.
    let masters = live_masters(st);
    let mut orphaned = false;
    let mut max_replicas = 0;
    let mut mine = 0;
    for &m in &masters {
        let ok = non_failing_replicas(st, m);
        let worth = st.nodes.get(&m).is_some_and(|n| n.has(flags::MIGRATE_TO));
        orphaned |= ok == 0 && worth && st.slot_count(&m) > 0;
        max_replicas = max_replicas.max(ok);
        if m == my_master {
            mine = ok;
        }
    }
    let allowed = st.settings.allow_replica_migration && st.state_ok;
    if !(allowed && orphaned && max_replicas >= 2 && mine == max_replicas) {
        return;
    }
    // My master must keep more than the barrier in working (neither FAIL nor PFAIL) replicas.
    let working = st
        .nodes
        .values()
        .filter(|n| n.master_id == Some(my_master) && n.has(flags::SLAVE) && !n.failing())
        .count();
    if i64::try_from(working).unwrap_or(0) <= st.settings.migration_barrier {
        return;
    }
    let mut target = None;
    let mut candidate = st.myself;
    for &m in &masters {
        let ok = non_failing_replicas(st, m);
        let worth = st.nodes.get(&m).is_some_and(|n| n.has(flags::MIGRATE_TO));
        if ok == 0 && worth {
            if target.is_none() && st.slot_count(&m) > 0 {
                target = Some(m);
            }
            st.failover.orphaned_since.entry(m).or_insert(now_ms);
        } else {
            st.failover.orphaned_since.remove(&m);
        }
        if ok == max_replicas {
            let smallest = st
                .nodes
                .values()
                .filter(|n| n.master_id == Some(m) && n.has(flags::SLAVE))
                .map(|n| n.id)
                .min();
            if let Some(id) = smallest.filter(|id| *id < candidate) {
                candidate = id;
            }
        }
    }
    let Some(target) = target else {
        return;
    };
    let since = st
        .failover
        .orphaned_since
        .get(&target)
        .copied()
        .unwrap_or(now_ms);
    if candidate != st.myself || now_ms - since <= MIGRATION_DELAY_MS {
        return;
    }
    info!(master = %target, "migrating to orphaned master");
    super::become_replica_of(st, target, fx);
    st.update_state();
    super::broadcast_pong(st, fx, rng);
}
