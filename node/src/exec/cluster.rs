//! The executor's side of cluster mode: it owns the [`ClusterState`], feeds it bus messages
//! and ticks, applies what the bus state machine asks for (send messages, delete keys of lost
//! slots), and writes nodes.conf before anything leaves the node.
//!
//! Order after every batch, bus message and tick: (1) apply pending effects to the keyspace,
//! (2) save nodes.conf if the configuration changed (fsync'd), (3) hand outbound messages to
//! the transport. So no peer or client ever sees a configuration that a crash could lose.
//! Steps (2) and (3) run once per event-loop iteration ([`Iteration`]; Redis saves in
//! `beforeSleep`), and replies produced after a change wait for (2) with them.

use std::path::Path;

use bytes::{Bytes, BytesMut};
use rand::Rng;
use tracing::{error, info};

use super::Server;
use super::client::Output;
use crate::cluster::bus::{self, Effects, transport::Inbound};
use crate::cluster::nodes_conf;
use crate::cluster::{ClusterSettings, ClusterState};
use crate::config::Config;

/// The bus port: `cluster-port`, or the client port + 10000 when it is 0.
pub fn bus_port(config: &Config) -> u16 {
    let cport = config.get_i64("cluster-port");
    let port = config.get_i64("port");
    let p = if cport == 0 { port + 10000 } else { cport };
    u16::try_from(p).unwrap_or(0)
}

/// Cluster settings from the configuration.
pub fn settings(config: &Config) -> ClusterSettings {
    ClusterSettings {
        node_timeout_ms: config.get_i64("cluster-node-timeout").max(1),
        require_full_coverage: config.get_bool("cluster-require-full-coverage"),
        allow_reads_when_down: config.get_bool("cluster-allow-reads-when-down"),
        allow_pubsubshard_when_down: config.get_bool("cluster-allow-pubsubshard-when-down"),
        announce_ip: config.get_str("cluster-announce-ip").to_string(),
        announce_hostname: config.get_str("cluster-announce-hostname").to_string(),
        preferred_endpoint: crate::cluster::Endpoint::parse(
            config.get_str("cluster-preferred-endpoint-type"),
        ),
        replica_no_failover: config.get_bool("cluster-replica-no-failover"),
        replica_validity_factor: config.get_i64("cluster-replica-validity-factor"),
        repl_ping_period_ms: config.get_i64("repl-ping-replica-period") * 1000,
        migration_barrier: config.get_i64("cluster-migration-barrier"),
        allow_replica_migration: config.get_bool("cluster-allow-replica-migration"),
    }
}

/// A fresh cluster state for this configuration (random id, no slots).
pub fn fresh_state(config: &Config, rng: &mut impl Rng, now_ms: i64) -> ClusterState {
    let port = u16::try_from(config.get_i64("port")).unwrap_or(6379);
    let mut st = ClusterState::new(rng, port, bus_port(config), now_ms);
    apply_config(&mut st, config);
    st
}

/// Refreshes the settings and what this node announces about itself (Redis
/// `clusterUpdateMyselfAnnouncedPorts`, `clusterUpdateMyselfIp`, `...Hostname`): the
/// `cluster-announce-*` values replace the real ports, IP and hostname in every message and
/// every view (CLUSTER NODES/SLOTS/SHARDS, MOVED). Called at start and on CONFIG SET.
pub fn apply_config(st: &mut ClusterState, config: &Config) {
    st.settings = settings(config);
    let announced = |name: &str, real: u16| match config.get_i64(name) {
        0 => real,
        p => u16::try_from(p).unwrap_or(real),
    };
    let port = announced(
        "cluster-announce-port",
        u16::try_from(config.get_i64("port")).unwrap_or(6379),
    );
    let cport = announced("cluster-announce-bus-port", bus_port(config));
    let ip = st.settings.announce_ip.clone();
    let hostname = st.settings.announce_hostname.clone();
    let me = st.me_mut();
    let before = (me.port, me.cport, me.ip.clone(), me.hostname.clone());
    me.port = port;
    me.cport = cport;
    if !ip.is_empty() {
        me.ip = ip;
    }
    me.hostname = hostname;
    if before != (me.port, me.cport, me.ip.clone(), me.hostname.clone()) {
        st.save_pending = true;
    }
}

/// Events after which `exec::run` saves and flushes even if more are queued.
pub const ITERATION_MAX_EVENTS: usize = 64;

/// One event-loop iteration's cluster bookkeeping (Redis's `clusterBeforeSleep` flags):
/// configuration changes made by any event of the iteration are saved once at its end,
/// before the bus messages and replies that depend on them leave.
#[derive(Default)]
pub struct Iteration {
    /// Inside an iteration (set by `exec::run` while it drains queued events; it flushes
    /// every [`ITERATION_MAX_EVENTS`] events too, so a change never waits long).
    pub active: bool,
    /// Bus effects applied to the node but not sent yet.
    pub unsent: Vec<Effects>,
    /// Replies waiting for the save, in order.
    pub held: Vec<(Output, BytesMut)>,
}

impl std::fmt::Debug for Iteration {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Iteration({} held)", self.held.len())
    }
}

impl Server {
    /// Loads nodes.conf (or keeps the fresh state when there is none) and saves it, as Redis
    /// `clusterInit` does. Called once at startup in cluster mode.
    pub fn init_cluster(&mut self) -> Result<(), nodes_conf::LoadError> {
        let Some(base) = self.cluster.take() else {
            return Ok(());
        };
        let now = self.clock.now_ms();
        let path = self.nodes_conf_path.clone();
        self.nodes_conf_lock = Some(nodes_conf::lock(&path)?);
        let st = match nodes_conf::load(&path, base.clone(), now)? {
            Some(st) => {
                info!(id = %st.myself, "Node configuration loaded");
                st
            }
            None => {
                info!(id = %base.myself, "No cluster configuration found");
                base
            }
        };
        let mut st = st;
        apply_config(&mut st, &self.config);
        let master = st
            .me()
            .master_id
            .and_then(|m| st.nodes.get(&m))
            .map(|m| (m.ip.clone(), m.port));
        self.cluster = Some(st);
        if let Some((ip, port)) = master {
            let fx = Effects {
                role: Some(bus::failover::RoleChange::ReplicaOf { ip, port }),
                ..Effects::default()
            };
            self.pending_bus_effects.push(fx);
        }
        if let Err(e) = self.save_cluster_config() {
            error!(path = %path.display(), error = %e, "can't save the cluster config");
        }
        Ok(())
    }

    /// Writes nodes.conf now (CLUSTER SAVECONFIG, and after every change) unless it would
    /// write what is on disk already. Each write costs a rename, which ext4 turns into a
    /// data flush (`auto_da_alloc`): several milliseconds per SETSLOT on a busy disk.
    pub fn save_cluster_config(&mut self) -> std::io::Result<()> {
        let Some(st) = self.cluster.as_mut() else {
            return Ok(());
        };
        let epochs = st.durable_epochs();
        let fsync = st.fsync_pending || epochs != st.saved_epochs;
        let text = nodes_conf::content(st);
        let key = nodes_conf::stable_key(&text);
        if !fsync && key == st.saved_key {
            st.save_pending = false;
            return Ok(());
        }
        let locked = nodes_conf::write(&text, Path::new(&self.nodes_conf_path), fsync)?;
        st.saved_key = key;
        // The old file's lock goes with the old file; the new one is locked already.
        if let Some(old) = self.nodes_conf_lock.replace(locked) {
            nodes_conf::close_in_background(old);
        }
        st.save_pending = false;
        st.fsync_pending = false;
        st.saved_epochs = epochs;
        Ok(())
    }

    /// Applies effects, persists, then sends: see the module docs for why in this order.
    /// Inside an event-loop iteration the save and the sends wait for its end
    /// ([`Server::flush_cluster_changes`]).
    pub fn after_cluster_change(&mut self) {
        if self.cluster.is_none() {
            return;
        }
        let effects = std::mem::take(&mut self.pending_bus_effects);
        for fx in &effects {
            if let Some(role) = &fx.role {
                self.apply_role_change(role.clone());
            }
            if let Some(until) = fx.pause_writes_until_ms {
                self.manual_failover_pause(until);
            }
            if !fx.lost_slots.is_empty() {
                self.delete_lost_slots(&fx.lost_slots);
                if let Some(st) = self.cluster.as_mut() {
                    st.fsync_pending = true;
                }
            }
        }
        self.cluster_iter.unsent.extend(effects);
        // Only an unsaved change makes messages and replies wait: bus traffic must never
        // queue behind a busy iteration (peers would time us out).
        let dirty = self.cluster.as_ref().is_some_and(|st| st.save_pending);
        if !self.cluster_iter.active || !dirty {
            self.flush_cluster_changes();
        }
    }

    /// Saves nodes.conf if the configuration changed, then sends the bus messages and the
    /// client replies that waited for it.
    pub fn flush_cluster_changes(&mut self) {
        let Some(st) = self.cluster.as_ref() else {
            return;
        };
        let save = st.save_pending;
        if save && let Err(e) = self.save_cluster_config() {
            // Redis exits here: a node that cannot persist its configuration must not
            // pretend it did.
            error!(error = %e, "can't save the cluster config: exiting");
            std::process::exit(1);
        }
        #[cfg(debug_assertions)]
        if save && let Some(st) = self.cluster.as_ref() {
            st.check_invariants();
        }
        for fx in std::mem::take(&mut self.cluster_iter.unsent) {
            self.send_bus(fx);
        }
        for (out, data) in std::mem::take(&mut self.cluster_iter.held) {
            out.send(data);
        }
    }

    /// True when a reply produced now must wait for this iteration's nodes.conf save: the
    /// configuration changed and is not saved yet, or an earlier reply of the iteration
    /// already waits (so each client's replies keep their order). Hold it with
    /// [`Server::hold_reply`].
    pub fn must_hold_reply(&self) -> bool {
        let it = &self.cluster_iter;
        it.active
            && (!it.held.is_empty() || self.cluster.as_ref().is_some_and(|st| st.save_pending))
    }

    /// Keeps a reply until the end of the iteration.
    pub fn hold_reply(&mut self, out: Output, data: BytesMut) {
        self.cluster_iter.held.push((out, data));
    }

    fn send_bus(&mut self, fx: Effects) {
        if let Some(tx) = &self.bus_tx {
            for ob in fx.out {
                let _ = tx.send(ob);
            }
        }
        for (channel, msg) in fx.publish {
            self.publish_from_bus(&channel, &msg, false);
        }
        for (channel, msg) in fx.publish_shard {
            self.publish_from_bus(&channel, &msg, true);
        }
    }

    /// A local PUBLISH goes to every node, an SPUBLISH to the other members of this
    /// node's shard (Redis `clusterPropagatePublish`); sent after the batch like every bus
    /// message.
    pub fn cluster_publish(&mut self, channel: &Bytes, msg: &Bytes, shard: bool) {
        let Some(st) = self.cluster.as_mut() else {
            return;
        };
        let mut fx = Effects::default();
        if shard {
            bus::send_to_shard(
                st,
                &mut fx,
                &bus::Body::PublishShard {
                    channel: channel.clone(),
                    message: msg.clone(),
                },
            );
        } else {
            bus::broadcast(
                st,
                &mut fx,
                &bus::Body::Publish {
                    channel: channel.clone(),
                    message: msg.clone(),
                },
            );
        }
        self.pending_bus_effects.push(fx);
    }

    fn delete_lost_slots(&mut self, slots: &[u16]) {
        for &s in slots {
            // Sharded pub/sub lives with its slot (Redis `removeChannelsInSlot`).
            if let Some(slot) = shoal_common::slot::Slot::new(i64::from(s)) {
                self.unsubscribe_shard_channels_in_slot(slot);
            }
        }
        let db = &mut self.dbs[0];
        for &s in slots {
            let keys = db.slot_keys(usize::from(s), usize::MAX);
            if !keys.is_empty() {
                info!(
                    slot = s,
                    keys = keys.len(),
                    "deleting keys of a slot this node lost"
                );
            }
            for k in keys {
                db.remove(&k);
            }
        }
    }

    /// Starts or stops replication after a role change decided by the bus or CLUSTER
    /// REPLICATE (nodes.conf is saved right after, before any message leaves).
    fn apply_role_change(&mut self, role: bus::failover::RoleChange) {
        match role {
            bus::failover::RoleChange::Master => self.stop_replication(),
            bus::failover::RoleChange::ReplicaOf { ip, port } => {
                let same = self
                    .repl
                    .master
                    .as_ref()
                    .is_some_and(|m| m.host == ip && m.port == port);
                if !same {
                    info!(master = %format!("{ip}:{port}"), "replicating from the cluster master");
                    self.start_replication(ip, port);
                }
            }
        }
    }

    /// A message from the bus.
    pub fn handle_bus(&mut self, inbound: Inbound) {
        let now = self.clock.now_ms();
        let offset = self.repl.offset();
        let Some(st) = self.cluster.as_mut() else {
            return;
        };
        st.repl_offset = offset;
        let mut fx = Effects::default();
        bus::on_message(
            st,
            now,
            &inbound.from_ip,
            &inbound.local_ip,
            inbound.msg,
            &mut self.rng,
            &mut fx,
        );
        self.pending_bus_effects.push(fx);
        self.after_cluster_change();
    }

    /// A node closed its bus link to us: time its silence from now (see
    /// [`bus::on_link_closed`]).
    pub fn bus_link_closed(&mut self, id: crate::cluster::NodeId) {
        let now = self.clock.now_ms();
        let Some(st) = self.cluster.as_mut() else {
            return;
        };
        let mut fx = Effects::default();
        bus::on_link_closed(st, id, now, &mut self.rng, &mut fx);
        self.pending_bus_effects.push(fx);
    }

    /// The bus's periodic work (Redis `clusterCron`), from the executor's tick.
    pub fn cluster_cron(&mut self) {
        let now = self.clock.now_ms();
        let offset = self.repl.offset();
        let age = self.repl_data_age_ms(now);
        let Some(st) = self.cluster.as_mut() else {
            return;
        };
        apply_config(st, &self.config);
        st.repl_offset = offset;
        st.repl_data_age_ms = age;
        let no_failover = st.settings.replica_no_failover;
        let me = st.me_mut();
        if no_failover {
            me.flags |= crate::cluster::flags::NOFAILOVER;
        } else {
            me.flags &= !crate::cluster::flags::NOFAILOVER;
        }
        let mut fx = Effects::default();
        bus::tick(st, now, &mut self.rng, &mut fx);
        self.pending_bus_effects.push(fx);
        self.after_cluster_change();
    }
}

impl Server {
    /// The master's side of a manual failover: pause client writes until `until_ms` (0 ends
    /// the pause).
    fn manual_failover_pause(&mut self, until_ms: i64) {
        if until_ms == 0 {
            self.unpause_clients();
        } else {
            // Writes wait (postponed, not refused) while the replica catches up; the pause ends
            // by itself at the manual failover deadline, as Redis's `pauseClients`.
            self.pause_clients(crate::exec::pause::PauseMode::Write, until_ms);
        }
    }
}

impl Server {
    /// How stale our copy of the master's data is (Redis's `data_age` in
    /// `clusterHandleSlaveFailover`): since the link went down, else since the master last
    /// sent anything.
    fn repl_data_age_ms(&self, now_ms: i64) -> i64 {
        match &self.repl.master {
            None => 0,
            Some(m) if m.state == crate::replication::LinkState::Connected => now_ms - m.last_io_ms,
            Some(m) => now_ms - m.down_since_ms,
        }
    }
}
