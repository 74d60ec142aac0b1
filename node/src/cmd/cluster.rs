//! CLUSTER subcommands, ASKING, READONLY, READWRITE (Redis `cluster.c` `clusterCommand`).
//!
//! Every handler first checks cluster mode (`ERR This instance has cluster support
//! disabled`), then validates *all* its arguments before changing anything (ADDSLOTS of 5,462
//! slots is all-or-nothing). Changes set `save_pending`; the executor writes nodes.conf before
//! the reply leaves. Error texts are Redis 7.0.15's, checked against a real server.

use bytes::Bytes;
use shoal_common::slot::{SLOT_COUNT, key_hash_slot};
use shoal_common::{Frame, ReplyError};

use super::args;
use crate::cluster::bus;
use crate::cluster::{ClusterState, NodeId, flags, parse_slot, render};
use crate::exec::Ctx;

const DISABLED: ReplyError = ReplyError::other("ERR This instance has cluster support disabled");

fn state<'a>(ctx: &'a mut Ctx<'_>) -> Result<&'a mut ClusterState, ReplyError> {
    let st = ctx.srv.cluster.as_mut().ok_or(DISABLED)?;
    st.now_ms = ctx.now_ms;
    Ok(st)
}

/// Redis `addReplySubcommandSyntaxError`: the subcommand as the client spelled it.
fn subcommand_syntax(sub: &[u8]) -> ReplyError {
    ReplyError::err(format!(
        "unknown subcommand or wrong number of arguments for '{}'. Try CLUSTER HELP.",
        String::from_utf8_lossy(sub)
    ))
}

fn slot_arg(arg: &[u8]) -> Result<usize, ReplyError> {
    parse_slot(arg).ok_or(ReplyError::other("ERR Invalid or out of range slot"))
}

fn int_reply(n: usize) -> Frame {
    Frame::Integer(i64::try_from(n).unwrap_or(i64::MAX))
}

/// `CLUSTER` container (never reached: the gate resolves subcommands).
pub fn container(_ctx: &mut Ctx<'_>, argv: &[Bytes]) -> Result<Frame, ReplyError> {
    super::container_unreachable(argv)
}

/// ```text
/// ASKING
/// ```
pub fn asking(ctx: &mut Ctx<'_>, _argv: &[Bytes]) -> Result<Frame, ReplyError> {
    state(ctx)?;
    ctx.client.asking = true;
    ctx.client.asking_just_set = true;
    Ok(Frame::ok())
}

/// ```text
/// READONLY
/// ```
pub fn readonly(ctx: &mut Ctx<'_>, _argv: &[Bytes]) -> Result<Frame, ReplyError> {
    state(ctx)?;
    ctx.client.readonly = true;
    Ok(Frame::ok())
}

/// ```text
/// READWRITE
/// ```
pub fn readwrite(ctx: &mut Ctx<'_>, _argv: &[Bytes]) -> Result<Frame, ReplyError> {
    state(ctx)?;
    ctx.client.readonly = false;
    Ok(Frame::ok())
}

/// ```text
/// CLUSTER INFO
/// ```
pub fn info(ctx: &mut Ctx<'_>, _argv: &[Bytes]) -> Result<Frame, ReplyError> {
    let text = render::info(state(ctx)?);
    Ok(Frame::Verbatim(*b"txt", Bytes::from(text)))
}

/// ```text
/// CLUSTER NODES
/// ```
pub fn nodes(ctx: &mut Ctx<'_>, _argv: &[Bytes]) -> Result<Frame, ReplyError> {
    let text = render::nodes(state(ctx)?, false);
    Ok(Frame::Verbatim(*b"txt", Bytes::from(text)))
}

/// ```text
/// CLUSTER SLOTS
/// ```
pub fn slots(ctx: &mut Ctx<'_>, _argv: &[Bytes]) -> Result<Frame, ReplyError> {
    Ok(render::slots(state(ctx)?))
}

/// ```text
/// CLUSTER SHARDS
/// ```
pub fn shards(ctx: &mut Ctx<'_>, _argv: &[Bytes]) -> Result<Frame, ReplyError> {
    Ok(render::shards(state(ctx)?))
}

/// ```text
/// CLUSTER MYID
/// ```
pub fn myid(ctx: &mut Ctx<'_>, _argv: &[Bytes]) -> Result<Frame, ReplyError> {
    Ok(Frame::bulk(state(ctx)?.myself.as_str()))
}

/// ```text
/// CLUSTER MYSHARDID
/// ```
///
/// Redis 7.2 (7.0 lacks it): this node's shard id, shared by a primary and its replicas.
pub fn myshardid(ctx: &mut Ctx<'_>, _argv: &[Bytes]) -> Result<Frame, ReplyError> {
    Ok(Frame::bulk(state(ctx)?.my_shard_id().as_str()))
}

/// ```text
/// CLUSTER KEYSLOT key
/// ```
pub fn keyslot(ctx: &mut Ctx<'_>, argv: &[Bytes]) -> Result<Frame, ReplyError> {
    state(ctx)?;
    Ok(Frame::Integer(i64::from(key_hash_slot(&argv[2]).get())))
}

/// ```text
/// CLUSTER COUNTKEYSINSLOT slot
/// ```
pub fn countkeysinslot(ctx: &mut Ctx<'_>, argv: &[Bytes]) -> Result<Frame, ReplyError> {
    state(ctx)?;
    let slot = args::int(&argv[2])?;
    let slot = usize::try_from(slot)
        .ok()
        .filter(|&s| s < SLOT_COUNT)
        .ok_or(ReplyError::other("ERR Invalid slot"))?;
    Ok(int_reply(ctx.srv.dbs[0].slot_len(slot)))
}

/// ```text
/// CLUSTER GETKEYSINSLOT slot count
/// ```
pub fn getkeysinslot(ctx: &mut Ctx<'_>, argv: &[Bytes]) -> Result<Frame, ReplyError> {
    state(ctx)?;
    let slot = args::int(&argv[2])?;
    let count = args::int(&argv[3])?;
    let bad = || ReplyError::other("ERR Invalid slot or number of keys");
    let slot = usize::try_from(slot)
        .ok()
        .filter(|&s| s < SLOT_COUNT)
        .ok_or_else(bad)?;
    let count = usize::try_from(count).map_err(|_| bad())?;
    let keys = ctx.srv.dbs[0].slot_keys(slot, count);
    Ok(Frame::Array(keys.into_iter().map(Frame::Bulk).collect()))
}

/// Validates slot assignments: every slot parsed, none twice, each busy (`del`) or free.
fn check_slots(st: &ClusterState, slots: &[usize], del: bool) -> Result<(), ReplyError> {
    let mut seen = vec![false; SLOT_COUNT];
    for &s in slots {
        if std::mem::replace(&mut seen[s], true) {
            return Err(ReplyError::err(format!(
                "Slot {s} specified multiple times"
            )));
        }
        match (del, st.slots[s].is_some()) {
            (false, true) => return Err(ReplyError::err(format!("Slot {s} is already busy"))),
            (true, false) => {
                return Err(ReplyError::err(format!("Slot {s} is already unassigned")));
            }
            _ => {}
        }
    }
    Ok(())
}

fn assign(st: &mut ClusterState, slots: &[usize], del: bool) {
    let me = st.myself;
    for &s in slots {
        let s16 = u16::try_from(s).expect("invariant: slot < 16384");
        if del {
            st.set_slot(s, None);
        } else {
            // ADDSLOTS closes an importing state on the slot (Redis clusterAddSlot path).
            st.importing.remove(&s16);
            st.set_slot(s, Some(me));
        }
    }
    st.save_pending = true;
    st.update_state();
}

fn slot_list(argv: &[Bytes]) -> Result<Vec<usize>, ReplyError> {
    argv[2..].iter().map(|a| slot_arg(a)).collect()
}

fn slot_ranges(argv: &[Bytes]) -> Result<Vec<usize>, ReplyError> {
    if argv.len() % 2 == 1 {
        let name = argv[1].to_ascii_lowercase();
        return Err(ReplyError::WrongArity(format!(
            "cluster|{}",
            String::from_utf8_lossy(&name)
        )));
    }
    let mut out = Vec::new();
    for pair in argv[2..].chunks(2) {
        let (a, b) = (slot_arg(&pair[0])?, slot_arg(&pair[1])?);
        if a > b {
            return Err(ReplyError::err(format!(
                "start slot number {a} is greater than end slot number {b}"
            )));
        }
        out.extend(a..=b);
    }
    Ok(out)
}

/// ```text
/// CLUSTER ADDSLOTS slot [slot ...]
/// ```
pub fn addslots(ctx: &mut Ctx<'_>, argv: &[Bytes]) -> Result<Frame, ReplyError> {
    let st = state(ctx)?;
    let slots = slot_list(argv)?;
    check_slots(st, &slots, false)?;
    assign(st, &slots, false);
    Ok(Frame::ok())
}

/// ```text
/// CLUSTER ADDSLOTSRANGE start end [start end ...]
/// ```
pub fn addslotsrange(ctx: &mut Ctx<'_>, argv: &[Bytes]) -> Result<Frame, ReplyError> {
    let st = state(ctx)?;
    let slots = slot_ranges(argv)?;
    check_slots(st, &slots, false)?;
    assign(st, &slots, false);
    Ok(Frame::ok())
}

/// ```text
/// CLUSTER DELSLOTS slot [slot ...]
/// ```
pub fn delslots(ctx: &mut Ctx<'_>, argv: &[Bytes]) -> Result<Frame, ReplyError> {
    let st = state(ctx)?;
    let slots = slot_list(argv)?;
    check_slots(st, &slots, true)?;
    assign(st, &slots, true);
    Ok(Frame::ok())
}

/// ```text
/// CLUSTER DELSLOTSRANGE start end [start end ...]
/// ```
pub fn delslotsrange(ctx: &mut Ctx<'_>, argv: &[Bytes]) -> Result<Frame, ReplyError> {
    let st = state(ctx)?;
    let slots = slot_ranges(argv)?;
    check_slots(st, &slots, true)?;
    assign(st, &slots, true);
    Ok(Frame::ok())
}

/// ```text
/// CLUSTER FLUSHSLOTS
/// ```
pub fn flushslots(ctx: &mut Ctx<'_>, _argv: &[Bytes]) -> Result<Frame, ReplyError> {
    state(ctx)?;
    if !ctx.srv.dbs[0].is_empty() {
        return Err(ReplyError::other(
            "ERR DB must be empty to perform CLUSTER FLUSHSLOTS.",
        ));
    }
    let st = state(ctx)?;
    let me = st.myself;
    let mine: Vec<usize> = st.slots.bitmap(&me).iter().collect();
    assign(st, &mine, true);
    Ok(Frame::ok())
}

fn parse_port(arg: &[u8], what: &str) -> Result<i64, ReplyError> {
    shoal_common::number::parse_i64(arg).ok_or_else(|| {
        ReplyError::err(format!(
            "Invalid TCP {what} port specified: {}",
            String::from_utf8_lossy(arg)
        ))
    })
}

/// ```text
/// CLUSTER MEET ip port [cluster-bus-port]
/// ```
pub fn meet(ctx: &mut Ctx<'_>, argv: &[Bytes]) -> Result<Frame, ReplyError> {
    state(ctx)?;
    if argv.len() > 5 {
        return Err(subcommand_syntax(&argv[1]));
    }
    let port = parse_port(&argv[3], "base")?;
    let cport = match argv.get(4) {
        Some(a) => parse_port(a, "bus")?,
        None => port + 10000,
    };
    let ip = String::from_utf8_lossy(&argv[2]).into_owned();
    let invalid = || {
        ReplyError::err(format!(
            "Invalid node address specified: {ip}:{}",
            String::from_utf8_lossy(&argv[3])
        ))
    };
    let addr: std::net::IpAddr = ip.parse().map_err(|_| invalid())?;
    let (Ok(port), Ok(cport)) = (u16::try_from(port), u16::try_from(cport)) else {
        return Err(invalid());
    };
    if port == 0 || cport == 0 {
        return Err(invalid());
    }
    let now = ctx.now_ms;
    let srv = &mut *ctx.srv;
    let st = srv.cluster.as_mut().ok_or(DISABLED)?;
    bus::meet(st, &addr.to_string(), port, cport, now, &mut srv.rng);
    Ok(Frame::ok())
}

fn known_node(st: &ClusterState, arg: &[u8], msg: &str) -> Result<NodeId, ReplyError> {
    st.lookup(arg)
        .map(|n| n.id)
        .ok_or_else(|| ReplyError::err(format!("{msg} {}", String::from_utf8_lossy(arg))))
}

/// ```text
/// CLUSTER FORGET node-id
/// ```
pub fn forget(ctx: &mut Ctx<'_>, argv: &[Bytes]) -> Result<Frame, ReplyError> {
    let now = ctx.now_ms;
    let st = state(ctx)?;
    let id = known_node(st, &argv[2], "Unknown node")?;
    if id == st.myself {
        return Err(ReplyError::other(
            "ERR I tried hard but I can't forget myself...",
        ));
    }
    if st.me().master_id == Some(id) {
        return Err(ReplyError::other("ERR Can't forget my master!"));
    }
    bus::forget(st, &id, now);
    st.update_state();
    Ok(Frame::ok())
}

/// ```text
/// CLUSTER COUNT-FAILURE-REPORTS node-id
/// ```
pub fn count_failure_reports(ctx: &mut Ctx<'_>, argv: &[Bytes]) -> Result<Frame, ReplyError> {
    let now = ctx.now_ms;
    let st = state(ctx)?;
    let id = known_node(st, &argv[2], "Unknown node")?;
    let validity = 2 * st.settings.node_timeout_ms;
    let n = st.nodes.get(&id).map_or(0, |n| {
        n.fail_reports
            .values()
            .filter(|t| now - **t <= validity)
            .count()
    });
    Ok(int_reply(n))
}

/// ```text
/// CLUSTER LINKS
/// ```
pub fn links(ctx: &mut Ctx<'_>, _argv: &[Bytes]) -> Result<Frame, ReplyError> {
    let st = state(ctx)?;
    let mut out = Vec::new();
    for n in st.nodes.values() {
        if n.id == st.myself || n.has(flags::HANDSHAKE) || !n.link_connected {
            continue;
        }
        out.push(Frame::Map(vec![
            (Frame::bulk("direction"), Frame::bulk("to")),
            (Frame::bulk("node"), Frame::bulk(n.id.as_str())),
            (Frame::bulk("create-time"), Frame::Integer(n.ctime_ms)),
            (Frame::bulk("events"), Frame::bulk("rw")),
            (Frame::bulk("send-buffer-allocated"), Frame::Integer(0)),
            (Frame::bulk("send-buffer-used"), Frame::Integer(0)),
        ]));
    }
    Ok(Frame::Array(out))
}

/// ```text
/// CLUSTER SAVECONFIG
/// ```
pub fn saveconfig(ctx: &mut Ctx<'_>, _argv: &[Bytes]) -> Result<Frame, ReplyError> {
    // Written and fsync'd now, even if unchanged (Redis `clusterSaveConfig(1)`).
    state(ctx)?.fsync_pending = true;
    ctx.srv
        .save_cluster_config()
        .map_err(|e| ReplyError::err(format!("error saving the cluster node config: {e}")))?;
    Ok(Frame::ok())
}

/// ```text
/// CLUSTER SET-CONFIG-EPOCH config-epoch
/// ```
pub fn set_config_epoch(ctx: &mut Ctx<'_>, argv: &[Bytes]) -> Result<Frame, ReplyError> {
    let st = state(ctx)?;
    let epoch = args::int(&argv[2])?;
    let Ok(epoch) = u64::try_from(epoch) else {
        return Err(ReplyError::err(format!(
            "Invalid config epoch specified: {epoch}"
        )));
    };
    if st.nodes.len() > 1 {
        return Err(ReplyError::other(
            "ERR The user can assign a config epoch only when the node does not know any other node.",
        ));
    }
    if st.me().config_epoch != 0 {
        return Err(ReplyError::other(
            "ERR Node config epoch is already non-zero",
        ));
    }
    st.me_mut().config_epoch = epoch;
    st.current_epoch = st.current_epoch.max(epoch);
    st.save_pending = true;
    Ok(Frame::ok())
}

/// ```text
/// CLUSTER BUMPEPOCH
/// ```
pub fn bumpepoch(ctx: &mut Ctx<'_>, _argv: &[Bytes]) -> Result<Frame, ReplyError> {
    let st = state(ctx)?;
    let bumped = bump_epoch_without_consensus(st);
    let word = if bumped { "BUMPED" } else { "STILL" };
    Ok(Frame::Simple(Bytes::from(format!(
        "{word} {}",
        st.me().config_epoch
    ))))
}

/// Takes a new config epoch if ours is 0 or not the greatest known (Redis
/// `clusterBumpConfigEpochWithoutConsensus`). True if it bumped.
pub fn bump_epoch_without_consensus(st: &mut ClusterState) -> bool {
    let max = st.max_epoch();
    let mine = st.me().config_epoch;
    if mine == 0 || mine != max {
        st.current_epoch += 1;
        let e = st.current_epoch;
        st.me_mut().config_epoch = e;
        st.save_pending = true;
        tracing::info!(epoch = e, "configEpoch set without consensus");
        true
    } else {
        false
    }
}

/// ```text
/// CLUSTER RESET [HARD | SOFT]
/// ```
pub fn reset(ctx: &mut Ctx<'_>, argv: &[Bytes]) -> Result<Frame, ReplyError> {
    state(ctx)?;
    let hard = match argv.get(2) {
        None => false,
        Some(a) if argv.len() == 3 && args::is(a, "hard") => true,
        Some(a) if argv.len() == 3 && args::is(a, "soft") => false,
        Some(_) if argv.len() > 3 => return Err(subcommand_syntax(&argv[1])),
        Some(_) => return Err(ReplyError::Syntax),
    };
    let srv = &mut *ctx.srv;
    let st = srv.cluster.as_mut().ok_or(DISABLED)?;
    if st.me().is_master() && !srv.dbs[0].is_empty() {
        return Err(ReplyError::other(
            "ERR CLUSTER RESET can't be called with master nodes containing keys",
        ));
    }
    if !st.me().is_master() {
        srv.dbs[0].clear();
    }
    let me = st.myself;
    let others: Vec<NodeId> = st.nodes.keys().copied().filter(|id| *id != me).collect();
    for id in others {
        st.del_node(&id);
    }
    st.slots.clear();
    st.disowned = crate::cluster::SlotBitmap::default();
    st.lost_to.clear();
    st.migrating.clear();
    st.importing.clear();
    let node = st.me_mut();
    node.flags = flags::MYSELF | flags::MASTER;
    node.master_id = None;
    if hard {
        st.current_epoch = 0;
        st.last_vote_epoch = 0;
        st.me_mut().config_epoch = 0;
        let old = st.myself;
        let new_id = NodeId::random(&mut srv.rng);
        if let Some(mut n) = st.nodes.remove(&old) {
            n.id = new_id;
            // Redis 7.2: a hard reset makes a new shard too.
            n.shard_id = Some(NodeId::random(&mut srv.rng));
            st.nodes.insert(new_id, n);
        }
        st.myself = new_id;
    }
    st.save_pending = true;
    st.fsync_pending = true;
    st.update_state();
    Ok(Frame::ok())
}

/// ```text
/// CLUSTER SETSLOT slot <IMPORTING node-id | MIGRATING node-id | NODE node-id | STABLE>
/// ```
pub fn setslot(ctx: &mut Ctx<'_>, argv: &[Bytes]) -> Result<Frame, ReplyError> {
    state(ctx)?;
    let st = ctx.srv.cluster.as_ref().ok_or(DISABLED)?;
    if !st.me().is_master() {
        return Err(ReplyError::other(
            "ERR Please use SETSLOT only with masters.",
        ));
    }
    let slot = slot_arg(&argv[2])?;
    let s16 = u16::try_from(slot).expect("invariant: slot < 16384");
    let action = &argv[3];
    let bad = || {
        ReplyError::other(
            "ERR Invalid CLUSTER SETSLOT action or number of arguments. Try CLUSTER HELP",
        )
    };
    let with_node = argv.len() == 5;
    if args::is(action, "migrating") && with_node {
        if st.slots[slot] != Some(st.myself) {
            return Err(ReplyError::err(format!(
                "I'm not the owner of hash slot {slot}"
            )));
        }
        let id = known_node(st, &argv[4], "I don't know about node")?;
        if !st.nodes.get(&id).is_some_and(|n| n.is_master()) {
            return Err(ReplyError::other("ERR Target node is not a master"));
        }
        let st = state(ctx)?;
        st.migrating.insert(s16, id);
        st.save_pending = true;
    } else if args::is(action, "importing") && with_node {
        if st.slots[slot] == Some(st.myself) {
            return Err(ReplyError::err(format!(
                "I'm already the owner of hash slot {slot}"
            )));
        }
        let id = known_node(st, &argv[4], "I don't know about node")?;
        if !st.nodes.get(&id).is_some_and(|n| n.is_master()) {
            return Err(ReplyError::other("ERR Target node is not a master"));
        }
        let st = state(ctx)?;
        st.importing.insert(s16, id);
        st.save_pending = true;
    } else if args::is(action, "stable") && argv.len() == 4 {
        let st = state(ctx)?;
        st.migrating.remove(&s16);
        st.importing.remove(&s16);
        st.save_pending = true;
    } else if args::is(action, "node") && with_node {
        setslot_node(ctx, slot, &argv[4])?;
    } else {
        return Err(bad());
    }
    Ok(Frame::ok())
}

/// SETSLOT <slot> NODE <id>: binds the slot, closing open states; importing into myself
/// bumps our config epoch without consensus and tells everyone at once.
fn setslot_node(ctx: &mut Ctx<'_>, slot: usize, arg: &[u8]) -> Result<(), ReplyError> {
    let keys_here = ctx.srv.dbs[0].slot_len(slot);
    let srv = &mut *ctx.srv;
    let st = srv.cluster.as_mut().ok_or(DISABLED)?;
    let id = known_node(st, arg, "Unknown node")?;
    let s16 = u16::try_from(slot).expect("invariant: slot < 16384");
    if st.slots[slot] == Some(st.myself) && id != st.myself && keys_here > 0 {
        return Err(ReplyError::err(format!(
            "Can't assign hashslot {slot} to a different node while I still hold keys for this hash slot."
        )));
    }
    if keys_here == 0 {
        st.migrating.remove(&s16);
    }
    let mut bumped = false;
    if id == st.myself && st.importing.remove(&s16).is_some() {
        bumped = bump_epoch_without_consensus(st);
        if bumped {
            tracing::info!(slot, "configEpoch updated after importing slot");
        }
    }
    st.set_slot(slot, Some(id));
    st.save_pending = true;
    st.update_state();
    if bumped {
        let mut fx = bus::Effects::default();
        bus::broadcast_pong(st, &mut fx, &mut srv.rng);
        srv.pending_bus_effects.push(fx);
    }
    Ok(())
}
