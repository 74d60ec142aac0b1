//! Blocking operations: clients waiting on keys, ready keys, timeouts (Redis `blocked.c`).
//!
//! # How a command blocks (the API for handlers)
//!
//! A blocking handler (BLPOP, BLMOVE, BZPOPMIN, ...) does, in order:
//!
//! 1. `let deadline_ms = blocking::parse_timeout(ctx, &argv[n])?;` — Redis's timeout rules
//!    (fractional seconds, `0` = forever, exact error texts). Parse it where Redis does, so
//!    error precedence matches.
//! 2. `for key in blocking::keys_to_try(ctx, &keys) { ... }` — try to serve from each key (a
//!    missing key is empty; a key of another type is WRONGTYPE, as usual). On a first call
//!    this is every key in argument order; when the executor re-runs the command because key
//!    K became ready, it is just K: Redis 7.0 serves a woken client from the key that became
//!    ready, not from its first non-empty key.
//! 3. If nothing could be served: `return blocking::block(ctx, &keys, deadline_ms, "list");`
//!    with the `TYPE` name of the values that can wake it (`"list"`, `"zset"`). Inside
//!    MULTI/EXEC or a script (`ClientBlockState::deny_blocking`) this answers the timeout
//!    reply at once, as Redis does; otherwise the client blocks and no reply is sent now.
//!
//! That is all: the handler is re-run (with the same argv, in the same database) when one of
//! its keys exists with the right type after a command, and its reply then goes to the
//! client. A re-run that blocks again leaves the client waiting with its original place in
//! the queues and its original deadline. The handler must therefore be a pure function of the
//! keyspace (pop, push, reply), which every blocking command in Redis is.
//!
//! # What the executor guarantees
//!
//! - Clients blocked on a key are served first come, first served (one FIFO per key).
//! - A key made ready by a command is served right after that command (`process_command`
//!   calls [`Server::handle_clients_blocked_on_keys`] after the call, at nesting depth 0), so
//!   no other client's command runs in between and steals the element. A MULTI/EXEC must run
//!   its queued commands below depth 0 (through the handler, not a new top-level
//!   `process_command`), so its wake-ups happen after EXEC as a whole.
//! - A blocked client whose key is deleted, or set to another type, keeps waiting: readiness
//!   is checked at serve time (key exists with the right type), so any write may signal.
//! - Commands a blocked client pipelines after its blocking command wait in
//!   `ClientBlockState::pending` and run, in order, once it is unblocked.
//! - Timeouts fire from the executor's clock: [`Server::handle_blocked_timeouts`] runs from
//!   `Server::cron` and from a timer the executor arms for the nearest deadline.
//! - A disconnecting blocked client is removed from every queue.
//! - `CLIENT UNBLOCK id [TIMEOUT|ERROR]` → [`Server::unblock_client`].
//!
//! # Checklist (as `blocked.c`): a new blocking command must also
//!
//! - reply on timeout: this module sends `Frame::NullArray` (`*-1` in RESP2, `_` in RESP3),
//!   which is what Redis 7.0 sends for list and zset blocking commands;
//! - be served from the ready key only (use [`keys_to_try`]);
//! - signal the keys it writes (`ctx.signal_modified_key`), since its pushes (BLMOVE) can make
//!   another key ready;
//! - nothing for the cluster: [`Server::redirect_blocked_clients`] (from the executor's cron,
//!   as Redis 7.0 runs `clusterRedirectBlockedClientIfNeeded` from `clientsCron`) unblocks a
//!   client whose keys' slot this node no longer serves with `-MOVED slot ip:port`,
//!   `-CLUSTERDOWN Hash slot not served` for an unowned slot, or `-CLUSTERDOWN The cluster is
//!   down` when the cluster state is fail. A slot still owned here but migrating away keeps
//!   its clients waiting (no ASK), and so does a slot being imported, as in Redis.

use std::collections::{BTreeSet, HashMap, HashSet, VecDeque};

use bytes::{Bytes, BytesMut};
use shoal_common::command::{CommandSpec, flags as cf};
use shoal_common::resp::ProtocolError;
use shoal_common::resp::encode::encode;
use shoal_common::slot::key_hash_slot;
use shoal_common::{Frame, ReplyError};

use super::{Client, ClientId, Ctx, Server};
use crate::cluster::{ClusterNode, ClusterState};
use crate::cmd;

/// What a handler asked for when it decided to block.
#[derive(Debug, Clone)]
pub struct BlockRequest {
    keys: Vec<Bytes>,
    /// The argv to re-run instead of the command's own (XREAD resolves `$` when it blocks).
    argv: Option<Vec<Bytes>>,
    deadline_ms: i64,
    type_name: &'static str,
}

/// Blocking-related state of one client (`Client::bstate`).
#[derive(Debug, Default)]
pub struct ClientBlockState {
    /// Set by [`block`] during a call; consumed by the executor right after it.
    pub request: Option<BlockRequest>,
    /// While the executor re-runs the command: the key that became ready.
    pub ready_key: Option<Bytes>,
    /// True while the client waits.
    pub blocked: bool,
    /// Blocking commands must not block (set by EXEC and scripts): they answer as on
    /// timeout instead (Redis `CLIENT_DENY_BLOCKING`).
    pub deny_blocking: bool,
    /// Commands received (or pipelined) while blocked, run in order once unblocked.
    pub pending: VecDeque<Vec<Bytes>>,
    /// A protocol error that followed the pending commands: reply with it, then close.
    pub pending_error: Option<ProtocolError>,
}

/// A blocked client as the blocking tables see it.
#[derive(Debug)]
struct Blocked {
    db: usize,
    keys: Vec<Bytes>,
    type_name: &'static str,
    deadline_ms: i64,
    cmd: &'static CommandSpec,
    argv: Vec<Bytes>,
}

/// The executor's blocking tables (Redis `db->blocking_keys`, `server.ready_keys`, the
/// timeout radix tree).
#[derive(Debug, Default)]
pub struct Blocking {
    /// Per database: key → clients blocked on it, in blocking order.
    keys: Vec<HashMap<Bytes, VecDeque<ClientId>>>,
    blocked: HashMap<ClientId, Blocked>,
    /// (deadline ms, client) for clients with a timeout.
    timeouts: BTreeSet<(i64, ClientId)>,
    ready: Vec<(usize, Bytes)>,
    ready_set: HashSet<(usize, Bytes)>,
    /// Clients just unblocked whose pending commands must run.
    unblocked: VecDeque<ClientId>,
    serving: bool,
    draining: bool,
    /// Nesting depth of `process_command` calls (EXEC, scripts): wake-ups only at depth 0.
    pub(crate) call_depth: u32,
}

impl Blocking {
    /// Number of blocked clients (INFO `blocked_clients`).
    pub fn blocked_count(&self) -> usize {
        self.blocked.len()
    }

    /// Number of keys with blocked clients (INFO keyspace `blocking_keys`-style counters).
    pub fn blocking_keys_count(&self) -> usize {
        self.keys.iter().map(HashMap::len).sum()
    }

    /// True if `id` is blocked.
    pub fn is_blocked(&self, id: ClientId) -> bool {
        self.blocked.contains_key(&id)
    }

    /// Ids of the clients blocked in database `db` with the keys they wait on (for the
    /// cluster's redirect-on-slot-loss check).
    pub fn clients_blocked_in_db(&self, db: usize) -> Vec<(ClientId, Vec<Bytes>)> {
        self.blocked
            .iter()
            .filter(|(_, b)| b.db == db)
            .map(|(id, b)| (*id, b.keys.clone()))
            .collect()
    }

    /// Marks `key` ready if some client is blocked on it (Redis `signalKeyAsReady`). Cheap
    /// when nobody is blocked, so every write may call it.
    pub fn signal_key_as_ready(&mut self, db: usize, key: &[u8]) {
        let Some(map) = self.keys.get(db) else {
            return;
        };
        let Some((k, _)) = map.get_key_value(key) else {
            return;
        };
        let entry = (db, k.clone());
        if self.ready_set.insert(entry.clone()) {
            self.ready.push(entry);
        }
    }

    /// The nearest timeout, Unix ms.
    pub fn next_deadline_ms(&self) -> Option<i64> {
        self.timeouts.first().map(|(d, _)| *d)
    }

    fn add(&mut self, id: ClientId, b: Blocked) {
        if self.keys.len() <= b.db {
            self.keys.resize_with(b.db + 1, HashMap::new);
        }
        for k in &b.keys {
            let q = self.keys[b.db].entry(k.clone()).or_default();
            if !q.contains(&id) {
                q.push_back(id);
            }
        }
        if b.deadline_ms > 0 {
            self.timeouts.insert((b.deadline_ms, id));
        }
        self.blocked.insert(id, b);
    }

    /// Removes `id` from every table; true if it was blocked.
    pub fn forget(&mut self, id: ClientId) -> bool {
        let Some(b) = self.blocked.remove(&id) else {
            return false;
        };
        for k in &b.keys {
            if let Some(q) = self.keys[b.db].get_mut(&k[..]) {
                q.retain(|c| *c != id);
                if q.is_empty() {
                    self.keys[b.db].remove(&k[..]);
                }
            }
        }
        self.timeouts.remove(&(b.deadline_ms, id));
        true
    }
}

/// Parses a blocking timeout in seconds (Redis `getTimeoutFromObjectOrReply`): a float,
/// truncated to milliseconds, `0` meaning forever. Returns the absolute deadline in Unix ms,
/// or 0 for none.
pub fn parse_timeout(ctx: &Ctx<'_>, arg: &[u8]) -> Result<i64, ReplyError> {
    let secs = shoal_common::number::parse_f64(arg)
        .ok_or_else(|| ReplyError::other("ERR timeout is not a float or out of range"))?;
    let ms = secs * 1000.0;
    // C's (long long) cast on x86 turns out-of-range values (and inf) into LLONG_MIN, which
    // Redis then reports as negative.
    // `as` saturates and maps NaN to 0; C gives LLONG_MIN for all of those instead.
    const LIMIT: f64 = 9.223_372_036_854_776e18;
    #[allow(clippy::cast_possible_truncation)]
    let ms = if (-LIMIT..LIMIT).contains(&ms) {
        ms as i64
    } else {
        i64::MIN
    };
    if ms < 0 {
        return Err(ReplyError::other("ERR timeout is negative"));
    }
    Ok(if ms == 0 {
        0
    } else {
        ctx.now_ms.saturating_add(ms)
    })
}

/// The keys a blocking handler should try, in order: all of `keys` on a first call, only
/// the ready key when the executor re-runs the command for it.
pub fn keys_to_try(ctx: &Ctx<'_>, keys: &[Bytes]) -> Vec<Bytes> {
    match &ctx.client.bstate.ready_key {
        Some(k) => vec![k.clone()],
        None => keys.to_vec(),
    }
}

/// False when a blocking command must answer at once instead of blocking: inside EXEC,
/// scripts (`deny_blocking`) and our primary's replication stream (Redis
/// `CLIENT_DENY_BLOCKING`).
pub fn may_block(ctx: &Ctx<'_>) -> bool {
    let c = &ctx.client;
    c.bstate.ready_key.is_some() || !(c.bstate.deny_blocking || c.in_exec || c.is_master)
}

/// Blocks the caller on `keys` until one exists with type `type_name`, or `deadline_ms`
/// passes (0 = never). Returns the reply to give now: nothing (a placeholder the executor
/// drops) when the client blocks, the timeout reply when it may not block (MULTI, scripts).
pub fn block(
    ctx: &mut Ctx<'_>,
    keys: &[Bytes],
    deadline_ms: i64,
    type_name: &'static str,
) -> Result<Frame, ReplyError> {
    if !may_block(ctx) {
        ctx.propagate_as = Some(Vec::new());
        return Ok(Frame::NullArray);
    }
    ctx.client.bstate.request = Some(BlockRequest {
        keys: keys.to_vec(),
        argv: None,
        deadline_ms,
        type_name,
    });
    Ok(Frame::NullArray)
}

/// [`block`], re-running `argv` instead of the command's own arguments when a key becomes
/// ready (XREAD blocks on the IDs it resolved `$` to, as Redis stores them in the client).
pub fn block_with_argv(
    ctx: &mut Ctx<'_>,
    keys: &[Bytes],
    deadline_ms: i64,
    type_name: &'static str,
    argv: Vec<Bytes>,
) -> Result<Frame, ReplyError> {
    let reply = block(ctx, keys, deadline_ms, type_name)?;
    if let Some(req) = ctx.client.bstate.request.as_mut() {
        req.argv = Some(argv);
    }
    Ok(reply)
}

impl Server {
    /// Registers `client` as blocked after its command asked to block (called by
    /// `process_command`).
    pub(crate) fn block_client(
        &mut self,
        client: &mut Client,
        cmd: &'static CommandSpec,
        argv: &[Bytes],
    ) {
        let Some(req) = client.bstate.request.take() else {
            return;
        };
        client.bstate.blocked = true;
        self.blocking.add(
            client.id,
            Blocked {
                db: client.db,
                keys: req.keys,
                type_name: req.type_name,
                deadline_ms: req.deadline_ms,
                cmd,
                argv: req.argv.unwrap_or_else(|| argv.to_vec()),
            },
        );
    }

    /// Serves clients blocked on keys made ready since the last call (Redis
    /// `handleClientsBlockedOnKeys`), repeating while serving makes more keys ready, then
    /// runs the pending commands of the clients it unblocked.
    pub fn handle_clients_blocked_on_keys(&mut self) {
        if self.blocking.serving {
            return;
        }
        self.blocking.serving = true;
        while !self.blocking.ready.is_empty() {
            let batch = std::mem::take(&mut self.blocking.ready);
            self.blocking.ready_set.clear();
            for (db, key) in batch {
                self.serve_key(db, &key);
            }
        }
        self.blocking.serving = false;
        self.process_unblocked_clients();
    }

    /// Serves, in FIFO order, the clients blocked on `key` while it exists with their type.
    fn serve_key(&mut self, db: usize, key: &Bytes) {
        let Some(queue) = self.blocking.keys.get(db).and_then(|m| m.get(key)) else {
            return;
        };
        let waiting: Vec<ClientId> = queue.iter().copied().collect();
        for id in waiting {
            let Some(type_name) = self.blocking.blocked.get(&id).map(|b| b.type_name) else {
                continue;
            };
            let now = self.clock.now_ms();
            match self.dbs[db].get(key, now) {
                None => break,
                Some(e) if e.value.type_name() != type_name => continue,
                Some(_) => self.rerun_blocked(id, key),
            }
        }
    }

    /// Re-runs the blocked command of `id` for the ready `key`; unblocks it unless it blocks
    /// again.
    fn rerun_blocked(&mut self, id: ClientId, key: &Bytes) {
        let Some(mut client) = self.clients.remove(&id) else {
            self.blocking.forget(id);
            return;
        };
        let (cmd, argv) = {
            let b = self
                .blocking
                .blocked
                .get(&id)
                .expect("invariant: caller checked");
            (b.cmd, b.argv.clone())
        };
        client.bstate.ready_key = Some(key.clone());
        let now_ms = self.clock.now_ms();
        self.blocking.call_depth += 1;
        let (result, propagate_as) = {
            let mut ctx = Ctx {
                srv: self,
                client: &mut client,
                now_ms,
                no_reply: false,
                propagate_as: None,
            };
            let r = cmd::handler(cmd.id)(&mut ctx, &argv);
            (r, ctx.propagate_as)
        };
        self.blocking.call_depth -= 1;
        client.bstate.ready_key = None;
        if client.bstate.request.take().is_some() {
            self.clients.insert(id, client);
            return;
        }
        if result.is_ok() {
            self.propagate_write(&mut client, cmd, &argv, propagate_as, now_ms);
        }
        let reply = result.unwrap_or_else(|e| Frame::error(e.to_string()));
        self.finish_unblock(client, &reply);
    }

    fn finish_unblock(&mut self, mut client: Box<Client>, reply: &Frame) {
        self.blocking.forget(client.id);
        client.bstate.blocked = false;
        let mut out = BytesMut::new();
        encode(reply, client.protocol, &mut out);
        client.send(out);
        self.blocking.unblocked.push_back(client.id);
        self.clients.insert(client.id, client);
    }

    /// Unblocks `id` with `reply` (timeouts, `CLIENT UNBLOCK`, cluster redirections). Returns
    /// false if it was not blocked. Its pending commands run at the next drain point.
    pub fn unblock_client(&mut self, id: ClientId, reply: &Frame) -> bool {
        if !self.blocking.is_blocked(id) {
            return false;
        }
        match self.clients.remove(&id) {
            Some(client) => self.finish_unblock(client, reply),
            None => {
                self.blocking.forget(id);
            }
        }
        true
    }

    /// Cluster: unblocks, with a redirection, every client blocked on keys of a slot this
    /// node no longer serves, or every blocked client when the cluster is down (Redis 7.0
    /// `clusterRedirectBlockedClientIfNeeded`, which `clientsCron` runs for each blocked
    /// client). Otherwise a client whose slot moved (resharding, failover, UPDATE from the
    /// bus) would wait for a write that can no longer happen here.
    pub fn redirect_blocked_clients(&mut self) {
        let Some(st) = self.cluster.as_ref() else {
            return;
        };
        if self.blocking.blocked.is_empty() {
            return;
        }
        let mut redirects = Vec::new();
        for (id, b) in &self.blocking.blocked {
            let readonly = self.clients.get(id).is_some_and(|c| c.readonly);
            if let Some(err) = blocked_redirect(st, b, readonly) {
                redirects.push((*id, err));
            }
        }
        // Deterministic order (the table is a hash map): oldest client id first.
        redirects.sort_unstable_by_key(|(id, _)| *id);
        for (id, err) in redirects {
            self.record_error(&err);
            self.unblock_client(id, &Frame::error(err.to_string()));
        }
        self.process_unblocked_clients();
    }

    /// Unblocks every blocked client with `-UNBLOCKED ...` and closes its connection after
    /// the reply (Redis `disconnectAllBlockedClients`, run by `replicationSetMaster` when this
    /// node starts replicating from a new master: a master's blocked pop can never be served
    /// once it is a replica). Commands pipelined behind the blocking one are dropped.
    pub fn disconnect_all_blocked_clients(&mut self) {
        let mut ids: Vec<ClientId> = self.blocking.blocked.keys().copied().collect();
        ids.sort_unstable();
        let err = ReplyError::other(
            "UNBLOCKED force unblock from blocking operation, instance state changed \
             (master -> replica?)",
        );
        for id in ids {
            self.blocking.forget(id);
            let Some(mut client) = self.clients.remove(&id) else {
                continue;
            };
            self.record_error(&err);
            client.bstate.blocked = false;
            let mut out = BytesMut::new();
            encode(&Frame::error(err.to_string()), client.protocol, &mut out);
            client.send(out);
            client.close();
            self.forget_client(&mut client);
            self.monitors.retain(|m| *m != id);
        }
    }

    /// Answers every blocked client whose deadline has passed with the timeout reply.
    pub fn handle_blocked_timeouts(&mut self) {
        let now = self.clock.now_ms();
        while let Some(&(deadline, id)) = self.blocking.timeouts.first() {
            if deadline > now {
                break;
            }
            self.blocking.timeouts.pop_first();
            self.unblock_client(id, &Frame::NullArray);
        }
        self.process_unblocked_clients();
    }

    /// Runs the pending commands of clients unblocked since the last drain (Redis
    /// `processUnblockedClients`).
    pub fn process_unblocked_clients(&mut self) {
        if self.blocking.draining {
            return;
        }
        self.blocking.draining = true;
        while let Some(id) = self.blocking.unblocked.pop_front() {
            let Some(mut client) = self.clients.remove(&id) else {
                continue;
            };
            let out = self.drain_pending(&mut client);
            self.finish_client_run(client, out);
        }
        self.blocking.draining = false;
    }
}

/// The redirection owed to a client blocked on `b`'s keys, if any (Redis
/// `clusterRedirectBlockedClientIfNeeded`; all keys share one slot, so the first decides).
fn blocked_redirect(st: &ClusterState, b: &Blocked, readonly: bool) -> Option<ReplyError> {
    if !st.state_ok {
        return Some(ReplyError::ClusterDown);
    }
    let key = b.keys.first()?;
    let slot = key_hash_slot(key);
    let owner = st.slots[slot.index()];
    // A READONLY client's read may stay on the replica of the slot's owner (every blocking
    // command is a write, so this is Redis's rule kept for completeness).
    let me = st.me();
    if readonly && !b.cmd.has(cf::WRITE) && owner.is_some() && me.master_id == owner {
        return None;
    }
    let slot16 = u16::try_from(slot.index()).expect("invariant: slot < 16384");
    if owner == Some(st.myself) || st.importing.contains_key(&slot16) {
        return None;
    }
    Some(match owner {
        None => ReplyError::ClusterDownUnbound,
        Some(id) => ReplyError::Moved {
            slot,
            addr: st.nodes.get(&id).map(ClusterNode::addr).unwrap_or_default(),
        },
    })
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;
    use std::sync::atomic::AtomicUsize;

    use bytes::Bytes;
    use shoal_common::resp::decode::decode_reply;
    use tokio::sync::mpsc;

    use super::*;
    use crate::clock::Clock;
    use crate::config::Config;
    use crate::exec::{Event, Out};

    struct Harness {
        srv: Server,
        rx: HashMap<ClientId, mpsc::UnboundedReceiver<Out>>,
    }

    impl Harness {
        fn new() -> Harness {
            Harness {
                srv: Server::new(Config::default(), Clock::manual(1_000_000)),
                rx: HashMap::new(),
            }
        }

        fn connect(&mut self, id: ClientId) {
            let (tx, rx) = mpsc::unbounded_channel();
            let c = Client::new(
                id,
                String::new(),
                String::new(),
                tx,
                Arc::new(AtomicUsize::new(0)),
                0,
                true,
            );
            self.srv.handle(Event::Connect(Box::new(c)));
            self.rx.insert(id, rx);
        }

        fn send(&mut self, id: ClientId, cmds: &[&[&str]]) {
            let cmds = cmds
                .iter()
                .map(|c| {
                    c.iter()
                        .map(|a| Bytes::copy_from_slice(a.as_bytes()))
                        .collect()
                })
                .collect();
            self.srv.handle(Event::Batch {
                id,
                cmds,
                error: None,
            });
        }

        /// Every reply the client has received so far.
        fn replies(&mut self, id: ClientId) -> Vec<Frame> {
            let rx = self.rx.get_mut(&id).expect("connected");
            let mut buf = BytesMut::new();
            while let Ok(Out::Data(d)) = rx.try_recv() {
                buf.extend_from_slice(&d);
            }
            let mut out = Vec::new();
            while let Some(f) = decode_reply(&mut buf).expect("valid reply") {
                out.push(f);
            }
            out
        }
    }

    fn pair(k: &str, v: &str) -> Frame {
        Frame::Array(vec![Frame::bulk(k), Frame::bulk(v)])
    }

    #[test]
    fn clients_are_served_first_come_first_served() {
        let mut h = Harness::new();
        for id in 1..=4 {
            h.connect(id);
        }
        h.send(1, &[&["BLPOP", "q", "0"]]);
        h.send(2, &[&["BRPOP", "other", "q", "0"]]);
        h.send(3, &[&["BLPOP", "q", "0"]]);
        assert_eq!(h.srv.blocking.blocked_count(), 3);
        h.send(4, &[&["RPUSH", "q", "a", "b"]]);
        assert_eq!(h.replies(4), vec![Frame::Integer(2)]);
        assert_eq!(h.replies(1), vec![pair("q", "a")]);
        assert_eq!(h.replies(2), vec![pair("q", "b")]);
        assert_eq!(h.replies(3), vec![]);
        assert_eq!(h.srv.blocking.blocked_count(), 1);
        assert_eq!(
            h.srv.blocking.blocking_keys_count(),
            1,
            "client 2 left `other` too"
        );
    }

    #[test]
    fn timeout_follows_the_executor_clock() {
        let mut h = Harness::new();
        h.connect(1);
        h.send(1, &[&["BLPOP", "q", "1.5"], &["PING"]]);
        h.srv.clock.advance(1499);
        h.srv.cron();
        assert_eq!(h.replies(1), vec![], "not yet, and PING waits behind BLPOP");
        h.srv.clock.advance(1);
        h.srv.cron();
        assert_eq!(h.replies(1), vec![Frame::NullArray, Frame::simple("PONG")]);
        assert_eq!(h.srv.blocking.blocked_count(), 0);
    }

    #[test]
    fn wrong_type_or_deleted_key_keeps_the_client_waiting() {
        let mut h = Harness::new();
        h.connect(1);
        h.connect(2);
        h.send(1, &[&["BLPOP", "q", "0"]]);
        h.send(
            2,
            &[&["SET", "q", "str"], &["DEL", "q"], &["LPUSH", "q", "v"]],
        );
        assert_eq!(h.replies(1), vec![pair("q", "v")]);
        assert_eq!(h.replies(2).len(), 3);
    }

    #[test]
    fn served_from_the_key_that_became_ready_and_chained_through_blmove() {
        let mut h = Harness::new();
        for id in 1..=3 {
            h.connect(id);
        }
        h.send(1, &[&["BLPOP", "a", "b", "0"]]);
        h.send(2, &[&["BLMOVE", "src", "b", "RIGHT", "LEFT", "0"]]);
        h.send(3, &[&["RPUSH", "a", "x"], &["RPUSH", "src", "y"]]);
        assert_eq!(h.replies(1), vec![pair("a", "x")]);
        assert_eq!(h.replies(2), vec![Frame::bulk("y")]);
        h.send(1, &[&["BLPOP", "a", "b", "0"]]);
        assert_eq!(h.replies(1), vec![pair("b", "y")]);
    }

    #[test]
    fn unblock_and_disconnect_clean_up() {
        let mut h = Harness::new();
        h.connect(1);
        h.connect(2);
        h.send(1, &[&["BLPOP", "q", "0"]]);
        h.send(
            2,
            &[
                &["CLIENT", "UNBLOCK", "1", "ERROR"],
                &["CLIENT", "UNBLOCK", "1"],
            ],
        );
        assert_eq!(h.replies(2), vec![Frame::Integer(1), Frame::Integer(0)]);
        assert_eq!(
            h.replies(1),
            vec![Frame::error(
                "UNBLOCKED client unblocked via CLIENT UNBLOCK"
            )]
        );
        h.send(1, &[&["BLPOP", "q", "10"]]);
        h.srv.handle(Event::Disconnect(1));
        assert_eq!(h.srv.blocking.blocked_count(), 0);
        assert_eq!(h.srv.blocking.blocking_keys_count(), 0);
        assert_eq!(h.srv.blocking.next_deadline_ms(), None);
        h.send(2, &[&["RPUSH", "q", "v"], &["LLEN", "q"]]);
        assert_eq!(h.replies(2), vec![Frame::Integer(1), Frame::Integer(1)]);
    }

    /// A cluster view where this node serves every slot and `other` (7001) is known.
    fn cluster_of_one(h: &mut Harness) -> crate::cluster::NodeId {
        use crate::cluster::{NodeId, WRITABLE_DELAY_MS, flags};
        use rand::SeedableRng;
        let mut rng = rand::rngs::SmallRng::seed_from_u64(3);
        let mut st = ClusterState::new(&mut rng, 7000, 17000, 0);
        st.now_ms = WRITABLE_DELAY_MS;
        let other = NodeId::random(&mut rng);
        st.nodes.insert(
            other,
            ClusterNode::new(other, "10.0.0.2".into(), 7001, 17001, flags::MASTER, 0),
        );
        for s in 0..shoal_common::slot::SLOT_COUNT {
            let me = st.myself;
            st.slots.set(s, Some(me));
        }
        st.update_state();
        assert!(st.state_ok);
        // Tests edit `slots` directly, so nothing asks the executor to write nodes.conf.
        st.save_pending = false;
        h.srv.cluster = Some(st);
        other
    }

    fn cluster(h: &mut Harness) -> &mut ClusterState {
        h.srv.cluster.as_mut().expect("cluster set up")
    }

    #[test]
    fn cluster_redirects_clients_blocked_on_a_slot_that_moved_away() {
        let mut h = Harness::new();
        let other = cluster_of_one(&mut h);
        for id in 1..=3 {
            h.connect(id);
        }
        let slot = key_hash_slot(b"q").index();
        let slot16 = u16::try_from(slot).expect("slot");
        h.send(1, &[&["BLPOP", "q", "0"], &["PING"]]);
        h.send(2, &[&["BZPOPMIN", "{q}z", "0"]]);
        h.send(3, &[&["BLPOP", "elsewhere", "0"]]);
        assert_eq!(h.srv.blocking.blocked_count(), 3);
        // Migrating away, still owned here: everybody keeps waiting.
        cluster(&mut h).migrating.insert(slot16, other);
        h.srv.redirect_blocked_clients();
        assert_eq!(h.srv.blocking.blocked_count(), 3);
        // SETSLOT NODE other: MOVED, then the pipelined PING runs.
        cluster(&mut h).migrating.clear();
        cluster(&mut h).slots.set(slot, Some(other));
        h.srv.redirect_blocked_clients();
        let moved = Frame::error(format!("MOVED {slot} 10.0.0.2:7001"));
        assert_eq!(h.replies(1), vec![moved.clone(), Frame::simple("PONG")]);
        assert_eq!(h.replies(2), vec![moved]);
        assert_eq!(h.replies(3), vec![]);
        assert_eq!(h.srv.blocking.blocked_count(), 1);
        assert_eq!(h.srv.stats.errors.get("MOVED"), Some(&2));
    }

    #[test]
    fn cluster_keeps_importing_slots_and_reports_unowned_slots_and_cluster_down() {
        let mut h = Harness::new();
        let other = cluster_of_one(&mut h);
        h.connect(1);
        h.connect(2);
        let slot = key_hash_slot(b"q").index();
        h.send(1, &[&["BLPOP", "q", "0"]]);
        // Another node owns it but we are importing it: keep waiting.
        cluster(&mut h).slots.set(slot, Some(other));
        cluster(&mut h)
            .importing
            .insert(u16::try_from(slot).expect("slot"), other);
        h.srv.redirect_blocked_clients();
        assert_eq!(h.replies(1), vec![]);
        cluster(&mut h).importing.clear();
        cluster(&mut h).slots.set(slot, None);
        h.srv.redirect_blocked_clients();
        assert_eq!(
            h.replies(1),
            vec![Frame::error("CLUSTERDOWN Hash slot not served")]
        );
        cluster(&mut h).slots.set(slot, Some(other));
        h.send(2, &[&["BLPOP", "elsewhere", "0"]]);
        cluster(&mut h).state_ok = false;
        h.srv.redirect_blocked_clients();
        assert_eq!(
            h.replies(2),
            vec![Frame::error("CLUSTERDOWN The cluster is down")]
        );
        assert_eq!(h.srv.blocking.blocked_count(), 0);
    }

    #[test]
    fn turning_replica_unblocks_and_closes_blocked_clients() {
        let mut h = Harness::new();
        h.connect(1);
        h.connect(2);
        h.send(1, &[&["BLPOP", "q", "0"], &["PING"]]);
        h.srv.disconnect_all_blocked_clients();
        let rx = h.rx.get_mut(&1).expect("connected");
        let mut data = BytesMut::new();
        let mut closed = false;
        while let Ok(o) = rx.try_recv() {
            match o {
                Out::Data(d) => data.extend_from_slice(&d),
                Out::Close => closed = true,
            }
        }
        assert_eq!(
            decode_reply(&mut data).expect("valid"),
            Some(Frame::error(
                "UNBLOCKED force unblock from blocking operation, instance state changed \
                 (master -> replica?)"
            ))
        );
        assert!(data.is_empty(), "the pipelined PING is dropped");
        assert!(closed);
        assert!(!h.srv.clients.contains_key(&1));
        assert_eq!(h.srv.blocking.blocked_count(), 0);
    }

    #[test]
    fn deny_blocking_answers_at_once() {
        let mut h = Harness::new();
        h.connect(1);
        let mut c = h.srv.clients.remove(&1).expect("connected");
        c.bstate.deny_blocking = true;
        assert_eq!(
            h.srv.run_for_test(&mut c, &["BLPOP", "q", "0"]),
            Frame::NullArray
        );
        assert_eq!(
            h.srv
                .run_for_test(&mut c, &["BLMOVE", "q", "d", "LEFT", "LEFT", "0"]),
            Frame::Null
        );
        assert!(!c.bstate.blocked);
    }

    #[test]
    fn timeout_parsing_matches_redis() {
        let mut h = Harness::new();
        h.connect(1);
        let mut c = h.srv.clients.remove(&1).expect("connected");
        let err = |s: &str| Frame::error(s.to_string());
        for (t, want) in [
            ("-1", err("ERR timeout is negative")),
            ("inf", err("ERR timeout is negative")),
            ("1e30", err("ERR timeout is negative")),
            ("abc", err("ERR timeout is not a float or out of range")),
            (" 1", err("ERR timeout is not a float or out of range")),
        ] {
            assert_eq!(h.srv.run_for_test(&mut c, &["BLPOP", "q", t]), want, "{t}");
        }
        c.bstate.deny_blocking = true;
        // -0.0001 truncates to 0 ms: block forever (here: answer at once).
        assert_eq!(
            h.srv.run_for_test(&mut c, &["BLPOP", "q", "-0.0001"]),
            Frame::NullArray
        );
    }
}
