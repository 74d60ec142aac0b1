//! Deterministic simulation of the cluster bus (design §10, TigerBeetle's VOPR in spirit).
//!
//! N [`ClusterState`]s run the real bus state machine (`cluster::bus`) over a simulated network
//! with virtual time: seeded message loss, random delays (so reordering), duplicates and
//! partitions. Operators act as redis-cli would: ADDSLOTS and SET-CONFIG-EPOCH on fresh nodes,
//! MEET to join, then slot moves (the target bumps its epoch without consensus and takes the
//! slot; the source hears SETSLOT NODE only sometimes, as when a partition cuts redis-cli off).
//!
//! Checked after every step: every node's own invariants; `currentEpoch` and a node's own
//! `configEpoch` never decrease; no two nodes claim one slot with the same config epoch; a
//! primary never changes its shard id. Checked after the network heals: every node agrees on
//! one slot map within [`CONVERGE_BOUND_MS`], then every replica's shard id is its primary's
//! and every node knows every other's (also after failovers, where the winner keeps the
//! shard's id and the old primary takes it back). A failure prints `SIM_SEED=<seed>` so it
//! can be replayed with `sim_one_seed`.

use std::cmp::Reverse;
use std::collections::{BTreeSet, BinaryHeap};

use rand::rngs::SmallRng;
use rand::{Rng, SeedableRng};
use shoal_common::slot::SLOT_COUNT;

use crate::cluster::bus::{self, Effects, Message};
use crate::cluster::{ClusterState, NodeId, ShardId, SlotBitmap, flags};
use crate::cmd::cluster::bump_epoch_without_consensus;

/// Node timeout in the simulation, ms.
const NODE_TIMEOUT_MS: i64 = 1000;
/// Virtual time step, ms.
const STEP_MS: i64 = 10;
/// Cron period (Redis: 100 ms).
const TICK_MS: i64 = 100;
/// After the network heals, all nodes must agree on the slot map within this long.
pub const CONVERGE_BOUND_MS: i64 = 30_000;

struct Node {
    st: ClusterState,
    rng: SmallRng,
    ip: String,
    last_epoch: u64,
    last_config_epoch: u64,
    last_shard_id: ShardId,
    next_tick_ms: i64,
}

struct InFlight {
    to: usize,
    from_ip: String,
    msg: Message,
}

/// Network faults in force.
#[derive(Clone, Copy)]
struct Faults {
    loss: f64,
    dup: f64,
    max_delay_ms: i64,
}

const CALM: Faults = Faults {
    loss: 0.0,
    dup: 0.0,
    max_delay_ms: 5,
};

struct Sim {
    seed: u64,
    now_ms: i64,
    nodes: Vec<Node>,
    rng: SmallRng,
    queue: BinaryHeap<Reverse<(i64, u64, usize)>>,
    in_flight: Vec<Option<InFlight>>,
    seq: u64,
    faults: Faults,
    /// `side[i]`: partition side of node i; messages cross sides only when equal.
    side: Vec<u8>,
    /// `crashed[i]`: node i is dead (kill -9): it neither runs nor receives.
    crashed: Vec<bool>,
    /// Failover winners: (config epoch, node) of every replica that turned master.
    winners: Vec<(u64, usize)>,
    /// Whether each node was a replica at the last step.
    was_replica: Vec<bool>,
}

impl Sim {
    fn new(seed: u64, n: usize) -> Sim {
        let mut rng = SmallRng::seed_from_u64(seed);
        let nodes = (0..n)
            .map(|i| {
                let mut nrng =
                    SmallRng::seed_from_u64(seed.wrapping_mul(31).wrapping_add(i as u64));
                let ip = format!("10.0.0.{}", i + 1);
                let mut st = ClusterState::new(&mut nrng, 7000, 17000, 0);
                st.settings.node_timeout_ms = NODE_TIMEOUT_MS;
                let offset = rng.random_range(0..TICK_MS);
                Node {
                    last_shard_id: st.my_shard_id(),
                    st,
                    rng: nrng,
                    ip,
                    last_epoch: 0,
                    last_config_epoch: 0,
                    next_tick_ms: offset,
                }
            })
            .collect();
        Sim {
            seed,
            now_ms: 0,
            nodes,
            rng,
            queue: BinaryHeap::new(),
            in_flight: Vec::new(),
            seq: 0,
            faults: CALM,
            side: vec![0; n],
            crashed: vec![false; n],
            winners: Vec::new(),
            was_replica: vec![false; n],
        }
    }

    fn fail(&self, what: &str) -> ! {
        panic!("SIM_SEED={} t={}ms: {what}", self.seed, self.now_ms);
    }

    fn index_of(&self, ip: &str) -> Option<usize> {
        self.nodes.iter().position(|n| n.ip == ip)
    }

    fn dispatch(&mut self, from: usize, fx: Effects) {
        for ob in fx.out {
            let Some(to) = self.index_of(&ob.ip) else {
                continue;
            };
            if self.side[to] != self.side[from]
                || self.crashed[to]
                || self.rng.random_bool(self.faults.loss)
            {
                continue;
            }
            let copies = if self.rng.random_bool(self.faults.dup) {
                2
            } else {
                1
            };
            for _ in 0..copies {
                let delay = self.rng.random_range(1..=self.faults.max_delay_ms.max(1));
                self.seq += 1;
                self.in_flight.push(Some(InFlight {
                    to,
                    from_ip: self.nodes[from].ip.clone(),
                    msg: ob.msg.clone(),
                }));
                let slot = self.in_flight.len() - 1;
                self.queue
                    .push(Reverse((self.now_ms + delay, self.seq, slot)));
            }
        }
    }

    fn step(&mut self) {
        self.now_ms += STEP_MS;
        while let Some(Reverse((at, _, slot))) = self.queue.peek().copied() {
            if at > self.now_ms {
                break;
            }
            self.queue.pop();
            let Some(m) = self.in_flight[slot].take() else {
                continue;
            };
            if self.crashed[m.to] {
                continue;
            }
            let node = &mut self.nodes[m.to];
            let local_ip = node.ip.clone();
            let mut fx = Effects::default();
            bus::on_message(
                &mut node.st,
                self.now_ms,
                &m.from_ip,
                &local_ip,
                m.msg,
                &mut node.rng,
                &mut fx,
            );
            self.dispatch(m.to, fx);
        }
        if self.queue.is_empty() {
            self.in_flight.clear();
        }
        for i in 0..self.nodes.len() {
            if self.crashed[i] {
                continue;
            }
            if self.nodes[i].next_tick_ms <= self.now_ms {
                self.nodes[i].next_tick_ms += TICK_MS;
                let node = &mut self.nodes[i];
                let mut fx = Effects::default();
                bus::tick(&mut node.st, self.now_ms, &mut node.rng, &mut fx);
                self.dispatch(i, fx);
            }
        }
        self.check_safety();
    }

    fn check_safety(&mut self) {
        // At most one failover winner per epoch.
        for i in 0..self.nodes.len() {
            let is_replica = self.nodes[i].st.me().master_id.is_some();
            if self.was_replica[i] && !is_replica {
                let epoch = self.nodes[i].st.me().config_epoch;
                if let Some((_, other)) = self.winners.iter().find(|(e, _)| *e == epoch) {
                    let what =
                        format!("nodes {other} and {i} both won a failover in epoch {epoch}");
                    self.fail(&what);
                }
                self.winners.push((epoch, i));
            }
            self.was_replica[i] = is_replica;
        }
        for i in 0..self.nodes.len() {
            let n = &mut self.nodes[i];
            n.st.check_invariants();
            if n.st.current_epoch < n.last_epoch {
                let what = format!(
                    "node {i} currentEpoch went back from {} to {}",
                    n.last_epoch, n.st.current_epoch
                );
                self.fail(&what);
            }
            n.last_epoch = n.st.current_epoch;
            let config_epoch = n.st.me().config_epoch;
            if config_epoch < n.last_config_epoch {
                let what = format!(
                    "node {i} configEpoch went back from {} to {config_epoch}",
                    n.last_config_epoch
                );
                self.fail(&what);
            }
            n.last_config_epoch = config_epoch;
            let sid = n.st.my_shard_id();
            if sid != n.last_shard_id && n.st.me().master_id.is_none() {
                let what = format!("primary {i} changed its shard id");
                self.fail(&what);
            }
            n.last_shard_id = sid;
        }
        // A node's own claim: the slots its own table gives to itself.
        let claims: Vec<(u64, SlotBitmap)> = self
            .nodes
            .iter()
            .map(|n| (n.st.me().config_epoch, n.st.slot_bitmap(&n.st.myself)))
            .collect();
        for (i, (ei, ci)) in claims.iter().enumerate() {
            for (j, (ej, cj)) in claims.iter().enumerate().skip(i + 1) {
                if ei == ej && ci.intersects(cj) {
                    let what = format!("nodes {i} and {j} claim a slot with config epoch {ei}");
                    self.fail(&what);
                }
            }
        }
    }

    fn run_for(&mut self, ms: i64) {
        let end = self.now_ms + ms;
        while self.now_ms < end {
            self.step();
        }
    }

    /// True when every node knows every node and all slot tables are equal.
    fn converged(&self) -> bool {
        let n = self.nodes.len();
        let first = &self.nodes[0].st.slots;
        self.nodes.iter().all(|x| {
            x.st.nodes.len() == n
                && x.st
                    .nodes
                    .values()
                    .all(|k| !k.has(crate::cluster::flags::HANDSHAKE))
                && &x.st.slots == first
        })
    }

    /// True when every replica has its primary's shard id and every node records every
    /// other node's own shard id.
    fn shard_ids_agree(&self) -> bool {
        let own = |id: NodeId| {
            self.nodes
                .iter()
                .find(|n| n.st.myself == id)
                .map(|n| n.st.my_shard_id())
        };
        self.nodes.iter().all(|x| {
            let primary_ok =
                x.st.me()
                    .master_id
                    .is_none_or(|m| own(m) == Some(x.st.my_shard_id()));
            primary_ok
                && x.st
                    .nodes
                    .values()
                    .all(|k| own(k.id).is_some_and(|sid| k.shard_id == Some(sid)))
        })
    }

    /// Slot maps agree within `bound_ms`, then shard ids within another `bound_ms`.
    fn run_until_converged(&mut self, bound_ms: i64, what: &str) {
        self.run_until(
            bound_ms,
            &format!("no agreement after {what}"),
            Sim::converged,
        );
        for n in &self.nodes {
            n.st.slots.check();
        }
        self.run_until(
            bound_ms,
            &format!("no agreement on shard ids after {what}"),
            Sim::shard_ids_agree,
        );
    }

    /// As `redis-cli --cluster create`: slots split evenly, epochs 1..N, MEET to the first.
    fn create(&mut self) {
        self.create_masters(self.nodes.len());
    }

    /// CLUSTER MEET again on every node that still knows no other node.
    fn remeet_loners(&mut self) {
        let first_ip = self.nodes[0].ip.clone();
        let now = self.now_ms;
        for node in self.nodes.iter_mut().skip(1) {
            if node.st.nodes.len() == 1 {
                bus::meet(&mut node.st, &first_ip, 7000, 17000, now, &mut node.rng);
            }
        }
    }

    /// A reshard step for one slot, as redis-cli runs it (target first, then source, then the
    /// other masters, over client connections): the target takes it with a new epoch bumped
    /// without consensus and tells everyone by PONG.
    ///
    /// A round's moves start from a converged cluster, as redis-cli's check requires, and
    /// follow each other as a rebalance's do, without waiting for the bus to settle. Not
    /// modelled, because Redis cannot converge there either: moves during a partition or
    /// an operator that stops half-way. A bump without consensus by a target that has not
    /// heard a higher epoch can lose its new slot to a late message of the old owner, after
    /// which no node claims the slot; Redis leaves that to `redis-cli --cluster fix`, we
    /// repair it on the bus (`bus::on_update_about_me`; seeds 16, 22, 36, 42, 86, 96).
    fn move_slot(&mut self) {
        let n = self.nodes.len();
        let src = self.rng.random_range(0..n);
        let me = self.nodes[src].st.myself;
        let owned: Vec<usize> = self.nodes[src].st.slot_bitmap(&me).iter().collect();
        let Some(&slot) = owned.get(self.rng.random_range(0..owned.len().max(1))) else {
            return;
        };
        let dst = (src + 1 + self.rng.random_range(0..n - 1)) % n;
        if self.side[src] != self.side[dst] {
            return;
        }
        let target: NodeId = self.nodes[dst].st.myself;
        if !self.nodes[src].st.nodes.contains_key(&target) {
            return;
        }
        let t = &mut self.nodes[dst].st;
        bump_epoch_without_consensus(t);
        t.set_slot(slot, Some(target));
        let mut fx = Effects::default();
        let node = &mut self.nodes[dst];
        bus::broadcast_pong(&mut node.st, &mut fx, &mut node.rng);
        self.dispatch(dst, fx);
        for i in 0..n {
            if i != dst && self.nodes[i].st.nodes.contains_key(&target) {
                self.nodes[i].st.set_slot(slot, Some(target));
            }
        }
    }

    fn partition(&mut self) {
        for s in &mut self.side {
            *s = self.rng.random_range(0..2);
        }
    }

    fn heal(&mut self) {
        self.side.iter_mut().for_each(|s| *s = 0);
        self.faults = CALM;
    }
}

/// How long a failover may take once a majority of primaries and the replica can talk
/// (no message lost; delays, reordering and duplicates allowed): detection (a PING within
/// half a node timeout, PFAIL a node timeout later, the FAIL quorum by gossip), the election
/// delay (≤ 1 s at rank 0), the vote round trip, propagation of the new owner.
const FAILOVER_BOUND_MS: i64 = 3 * NODE_TIMEOUT_MS + 2000;
/// A primary cut off in a minority must refuse writes (cluster state fail) within node
/// timeout plus this (its PING to each peer is sent within half a second, PFAIL follows a
/// node timeout later, the state is recomputed every cron tick).
const MINORITY_SLACK_MS: i64 = 1000;

impl Sim {
    /// As `redis-cli --cluster create --cluster-replicas 1`: the first `masters` nodes split
    /// the slots (epochs 1..masters), every node meets the first.
    fn create_masters(&mut self, masters: usize) {
        for (i, node) in self.nodes.iter_mut().enumerate().take(masters) {
            let (a, b) = (i * SLOT_COUNT / masters, (i + 1) * SLOT_COUNT / masters);
            let me = node.st.myself;
            for s in a..b {
                node.st.set_slot(s, Some(me));
            }
            node.st.me_mut().config_epoch = i as u64 + 1;
            node.st.current_epoch = i as u64 + 1;
        }
        let first_ip = self.nodes[0].ip.clone();
        let now = self.now_ms;
        for node in self.nodes.iter_mut().skip(1) {
            bus::meet(&mut node.st, &first_ip, 7000, 17000, now, &mut node.rng);
        }
    }

    /// CLUSTER REPLICATE on node `masters + i` for master `i`, announced by PONG.
    fn attach_replicas(&mut self, masters: usize) {
        for r in masters..self.nodes.len() {
            let target = self.nodes[r - masters].st.myself;
            let node = &mut self.nodes[r];
            let me = node.st.me_mut();
            me.flags = (me.flags & !flags::MASTER) | flags::SLAVE;
            me.master_id = Some(target);
            node.st.adopt_master_shard_id();
            node.st.update_state();
            let mut fx = Effects::default();
            bus::broadcast_pong(&mut node.st, &mut fx, &mut node.rng);
            self.dispatch(r, fx);
            self.was_replica[r] = true;
        }
    }

    /// Steps until `done` holds, failing after `bound_ms`.
    fn run_until(&mut self, bound_ms: i64, what: &str, done: impl Fn(&Sim) -> bool) {
        let end = self.now_ms + bound_ms;
        while !done(self) {
            if self.now_ms >= end {
                let views: Vec<String> = self
                    .nodes
                    .iter()
                    .map(|n| crate::cluster::render::nodes(&n.st, false))
                    .collect();
                self.fail(&format!(
                    "{what}: not within {bound_ms} ms\n{}",
                    views.join("--\n")
                ));
            }
            self.step();
        }
    }

    /// True if every node in `who` sees `owner` serving `slot`.
    fn all_see_owner(&self, who: &[usize], slot: usize, owner: NodeId) -> bool {
        who.iter()
            .all(|&i| self.nodes[i].st.owner(slot).map(|n| n.id) == Some(owner))
    }
}

/// One failover seed: 3 primaries and 3 replicas under a lossy network; then one of: the
/// primary of a shard crashes (its replica must win, alone in its epoch, within
/// [`FAILOVER_BOUND_MS`]); its replica is cut off alone (no failover while the primary is
/// reachable by a majority); the primary is cut off alone (it must stop accepting writes
/// within node timeout, and the majority side fails over). Then everything heals and the
/// old primary must come back as a replica of the winner.
pub fn run_failover_seed(seed: u64) {
    let mut rng = SmallRng::seed_from_u64(seed ^ 0xfa11);
    let masters = 3;
    let mut sim = Sim::new(seed, 2 * masters);
    sim.create_masters(masters);
    sim.run_until_converged(CONVERGE_BOUND_MS, "formation");
    sim.attach_replicas(masters);
    sim.run_until_converged(CONVERGE_BOUND_MS, "attaching replicas");
    sim.run_for(2000);
    let shards: BTreeSet<ShardId> = sim.nodes.iter().map(|n| n.st.my_shard_id()).collect();
    if shards.len() != masters {
        sim.fail(&format!("{} shard ids for {masters} shards", shards.len()));
    }
    // Lost messages make a failover's time unbounded (an election whose votes are lost is
    // retried after 2 × auth timeout, as Redis): the bound is checked on a network that
    // delays, reorders and duplicates but delivers.
    sim.faults = Faults {
        loss: 0.0,
        dup: rng.random_range(0.0..0.05),
        max_delay_ms: rng.random_range(1..100),
    };
    let p = rng.random_range(0..masters);
    let r = p + masters;
    let (p_id, r_id) = (sim.nodes[p].st.myself, sim.nodes[r].st.myself);
    let slot = p * SLOT_COUNT / masters;
    let others: Vec<usize> = (0..sim.nodes.len()).filter(|&i| i != p).collect();
    let failed_over = match rng.random_range(0..3) {
        0 => {
            sim.crashed[p] = true;
            sim.run_until(FAILOVER_BOUND_MS, "failover after a primary crash", |s| {
                s.all_see_owner(&others, slot, r_id)
            });
            true
        }
        1 => {
            sim.side[r] = 1;
            sim.run_for(4 * NODE_TIMEOUT_MS);
            if sim.nodes[r].st.me().master_id != Some(p_id)
                || !sim.all_see_owner(&others, slot, p_id)
            {
                sim.fail("failover while the primary was reachable by a majority");
            }
            false
        }
        _ => {
            sim.side[p] = 1;
            sim.run_until(
                NODE_TIMEOUT_MS + MINORITY_SLACK_MS,
                "a primary in a minority stops accepting writes",
                |s| !s.nodes[p].st.state_ok,
            );
            sim.run_until(FAILOVER_BOUND_MS, "failover on the majority side", |s| {
                s.all_see_owner(&others, slot, r_id)
            });
            true
        }
    };
    sim.heal();
    sim.crashed.iter_mut().for_each(|c| *c = false);
    sim.run_until_converged(CONVERGE_BOUND_MS, "heal after failover");
    if failed_over {
        sim.run_until(
            CONVERGE_BOUND_MS,
            "old primary rejoins as a replica of the winner",
            |s| s.nodes[p].st.me().master_id == Some(r_id),
        );
        sim.run_until_converged(CONVERGE_BOUND_MS, "the old primary's return");
    }
    // The shard's id survived: the winner kept it and the old primary took it back.
    let after: BTreeSet<ShardId> = sim.nodes.iter().map(|n| n.st.my_shard_id()).collect();
    if after != shards || sim.nodes[r].st.my_shard_id() != sim.nodes[p].st.my_shard_id() {
        sim.fail("shard ids changed across the failover");
    }
}

/// One seed: form a cluster under faults, then partitions and slot moves, then heal.
pub fn run_seed(seed: u64) {
    let mut rng = SmallRng::seed_from_u64(seed ^ 0x5eed);
    let n = rng.random_range(3..=5);
    let mut sim = Sim::new(seed, n);
    sim.faults = Faults {
        loss: rng.random_range(0.0..0.2),
        dup: rng.random_range(0.0..0.05),
        max_delay_ms: rng.random_range(1..200),
    };
    sim.create();
    // A handshake can time out when its MEETs are lost; the operator then meets again, as
    // someone running `redis-cli --cluster create` by hand would.
    for _ in 0..4 {
        sim.run_for(1000);
        sim.remeet_loners();
    }
    sim.heal();
    sim.remeet_loners();
    sim.run_until_converged(CONVERGE_BOUND_MS, "formation");
    let epochs: BTreeSet<u64> = sim.nodes.iter().map(|x| x.st.me().config_epoch).collect();
    if epochs.len() != n {
        sim.fail("config epochs are not distinct after create");
    }
    for round in 0..3 {
        sim.faults = Faults {
            loss: rng.random_range(0.0..0.3),
            dup: rng.random_range(0.0..0.05),
            max_delay_ms: rng.random_range(1..300),
        };
        // The operator reshards a converged cluster (redis-cli checks agreement first),
        // over a lossy, reordering network; then a partition may cut the cluster.
        for _ in 0..rng.random_range(1..6) {
            sim.move_slot();
            sim.run_for(rng.random_range(0..500));
        }
        if rng.random_bool(0.7) {
            sim.partition();
        }
        sim.run_for(rng.random_range(0..3000));
        sim.heal();
        sim.run_until_converged(CONVERGE_BOUND_MS, &format!("heal {round}"));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env_u64(name: &str, default: u64) -> u64 {
        std::env::var(name)
            .ok()
            .and_then(|s| s.parse().ok())
            .unwrap_or(default)
    }

    /// Many seeds on every `cargo test` (`SIM_BASE_SEED`, `SIM_SEEDS` pick others; about
    /// 0.1 s per seed in a debug build).
    #[test]
    fn sim_seeds() {
        let base = env_u64("SIM_BASE_SEED", 1);
        for seed in base..base + env_u64("SIM_SEEDS", 64) {
            run_seed(seed);
        }
    }

    /// Failover scenarios on every `cargo test` (`SIM_FAILOVER_SEEDS` for more).
    #[test]
    fn sim_failover_seeds() {
        let base = env_u64("SIM_BASE_SEED", 1);
        for seed in base..base + env_u64("SIM_FAILOVER_SEEDS", 24) {
            run_failover_seed(seed);
        }
    }

    /// Replays one seed: `SIM_SEED=123 cargo test -p shoal-node sim_one_seed -- --ignored`.
    #[test]
    #[ignore = "replay helper: set SIM_SEED"]
    fn sim_one_seed() {
        run_seed(env_u64("SIM_SEED", 1));
    }

    /// Thousands of seeds, for a nightly run.
    #[test]
    #[ignore = "long: thousands of seeds"]
    fn sim_many_seeds() {
        for seed in 1000..4000 {
            run_seed(seed);
        }
    }
}
