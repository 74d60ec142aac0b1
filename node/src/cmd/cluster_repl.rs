//! The replication side of CLUSTER: REPLICATE, REPLICAS/SLAVES, FAILOVER (issue 6; Redis
//! `cluster.c`). Role changes are handed to the executor as bus effects, which starts or stops
//! the replication link after nodes.conf is saved.

use bytes::Bytes;
use shoal_common::{Frame, ReplyError};

use super::args;
use crate::cluster::bus::failover::{self, RoleChange};
use crate::cluster::bus::{self, Effects};
use crate::cluster::{ClusterState, flags, render};
use crate::exec::Ctx;

const DISABLED: ReplyError = ReplyError::other("ERR This instance has cluster support disabled");

fn state<'a>(ctx: &'a mut Ctx<'_>) -> Result<&'a mut ClusterState, ReplyError> {
    let st = ctx.srv.cluster.as_mut().ok_or(DISABLED)?;
    st.now_ms = ctx.now_ms;
    Ok(st)
}

/// ```text
/// CLUSTER REPLICATE node-id
/// ```
pub fn replicate(ctx: &mut Ctx<'_>, argv: &[Bytes]) -> Result<Frame, ReplyError> {
    let keys = ctx.srv.dbs.first().map_or(0, |d| d.len());
    let now = ctx.now_ms;
    let srv = &mut *ctx.srv;
    let st = srv.cluster.as_mut().ok_or(DISABLED)?;
    st.now_ms = now;
    let Some(target) = st.lookup(&argv[2]).map(|n| n.id) else {
        return Err(ReplyError::err(format!(
            "Unknown node {}",
            String::from_utf8_lossy(&argv[2])
        )));
    };
    if target == st.myself {
        return Err(ReplyError::other("ERR Can't replicate myself"));
    }
    if st.nodes.get(&target).is_some_and(|n| n.has(flags::SLAVE)) {
        return Err(ReplyError::other(
            "ERR I can only replicate a master, not a replica.",
        ));
    }
    if st.me().is_master() && (st.slot_count(&st.myself) > 0 || keys > 0) {
        return Err(ReplyError::other(
            "ERR To set a master the node must be empty and without assigned slots.",
        ));
    }
    let mut fx = Effects::default();
    // A master leaving its role keeps no slots; become_replica_of needs the shard view, so
    // set the role directly.
    let (ip, port) = st
        .nodes
        .get(&target)
        .map(|n| (n.ip.clone(), n.port))
        .unwrap_or_default();
    let me = st.me_mut();
    me.flags = (me.flags & !flags::MASTER) | flags::SLAVE;
    me.master_id = Some(target);
    st.adopt_master_shard_id();
    st.failover.reset_manual();
    st.save_pending = true;
    st.fsync_pending = true;
    st.update_state();
    // Tell everyone at once, so tools waiting for the new role see it without waiting for
    // the next periodic PING.
    bus::broadcast_pong(st, &mut fx, &mut srv.rng);
    fx.role = Some(RoleChange::ReplicaOf { ip, port });
    srv.pending_bus_effects.push(fx);
    Ok(Frame::ok())
}

/// ```text
/// CLUSTER REPLICAS node-id
/// CLUSTER SLAVES node-id
/// ```
pub fn replicas(ctx: &mut Ctx<'_>, argv: &[Bytes]) -> Result<Frame, ReplyError> {
    let st = state(ctx)?;
    let Some(node) = st.lookup(&argv[2]) else {
        return Err(ReplyError::err(format!(
            "Unknown node {}",
            String::from_utf8_lossy(&argv[2])
        )));
    };
    if !node.is_master() {
        return Err(ReplyError::other("ERR The specified node is not a master"));
    }
    let id = node.id;
    let lines = st
        .nodes
        .values()
        .filter(|n| n.master_id == Some(id))
        .map(|n| Frame::bulk(render::node_line(st, n).trim_end_matches('\n')))
        .collect();
    Ok(Frame::Array(lines))
}

/// ```text
/// CLUSTER FAILOVER [FORCE | TAKEOVER]
/// ```
pub fn failover_cmd(ctx: &mut Ctx<'_>, argv: &[Bytes]) -> Result<Frame, ReplyError> {
    let (force, takeover) = match argv.get(2) {
        None => (false, false),
        Some(a) if argv.len() == 3 && args::is(a, "force") => (true, false),
        Some(a) if argv.len() == 3 && args::is(a, "takeover") => (false, true),
        Some(_) => return Err(ReplyError::Syntax),
    };
    let link_up = ctx
        .srv
        .repl
        .master
        .as_ref()
        .is_some_and(|m| m.state == crate::replication::LinkState::Connected);
    let now = ctx.now_ms;
    let srv = &mut *ctx.srv;
    let st = srv.cluster.as_mut().ok_or(DISABLED)?;
    st.now_ms = now;
    if st.me().is_master() {
        return Err(ReplyError::other(
            "ERR You should send CLUSTER FAILOVER to a replica",
        ));
    }
    let Some(master) = st.me().master_id.and_then(|m| st.nodes.get(&m)) else {
        return Err(ReplyError::other(
            "ERR I'm a replica but my master is unknown to me",
        ));
    };
    if !force && !takeover && (master.failing() || !link_up) {
        return Err(ReplyError::other(
            "ERR Master is down or failed, please use CLUSTER FAILOVER FORCE",
        ));
    }
    let mut fx = Effects::default();
    if takeover {
        failover::takeover(st, &mut fx, &mut srv.rng);
    } else {
        failover::start_manual(st, force, now, &mut fx);
    }
    srv.pending_bus_effects.push(fx);
    Ok(Frame::ok())
}
