//! The commands of one client read, grouped per node: the router's hot path.
//!
//! Redis counterpart: none (a node answers its own commands); the idea is Twemproxy's and
//! Envoy's "pipeline per backend": when a client pipelines N commands, the session decodes
//! all of them from one read, appends every single-slot command for node X to X's *group*
//! (one buffer, one [`Upstream::send`], one oneshot for the group), and hands the whole read
//! to the writer as one [`Chunk`]: the writer answers its entries in request order and
//! writes them with one syscall. A command that arrived whole is appended as the client
//! wrote it ([`Wire::Raw`], no decoding into owned arguments), others are encoded again;
//! either way a group keeps only each command's byte range, decoded again in the rare case
//! of a retry. Per command this costs a copy and a push; per group one channel message; per
//! read one wake-up of the writer. A multi-key command whose keys span slots (MGET, MSET,
//! DEL, ...) joins the same groups as its per-slot parts ([`Chunk::add_split`]), with one
//! [`Pending::Merged`] entry that merges their replies when the writer reaches it.
//!
//! Invariants:
//! - Entries of a chunk are answered in the order they were pushed; a [`Pending::Batched`]
//!   entry names its group and its position there, and a group's replies arrive in the
//!   order its commands were encoded.
//! - A group is queued on its connection (see [`Chunk::send_open`]) before any command of
//!   the same client that was decoded after it goes upstream by another path, so the
//!   client's commands reach each node in order.
//! - A batched command whose reply asks for a redirection or a retry (MOVED, ASK,
//!   TRYAGAIN, a lost connection...) continues in [`retry::finish`] from that reply, alone,
//!   with the same rules as an unbatched command.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use bytes::{Bytes, BytesMut};
use shoal_common::Frame;
use shoal_common::resp::Protocol;
use shoal_common::resp::decode::RequestDecoder;
use shoal_common::resp::encode::{encode, encode_request};
use shoal_common::topology::SlotMap;
use tokio::sync::oneshot;

use crate::Router;
use crate::aggregate::merge_split;
use crate::error::RouterError;
use crate::retry::{self, Job, Retry, Via};
use crate::route::ResponsePolicy;
use crate::session::decode_raw;
use crate::split::Part;
use crate::upstream::{self, Answer, Kind, Upstream};

/// Initial capacity of a group's buffer: a few small commands without a reallocation.
const GROUP_WIRE_START: usize = 512;
/// Initial capacity of a group's command list (a pipeline of 16 over three nodes fits).
const GROUP_CMDS_START: usize = 8;

/// A future reply.
pub type ReplyFuture = Pin<Box<dyn Future<Output = Bytes> + Send>>;

/// One reply slot in the client's ordered reply queue.
pub enum Pending {
    /// Encoded and ready.
    Now(Bytes),
    /// Being computed (upstream replies, merges).
    Later(ReplyFuture),
    /// Write this, then close the connection.
    Close(Bytes),
    /// Reply `index` of group `group` of the same chunk.
    Batched {
        /// Index in [`Chunk::groups`].
        group: usize,
        /// Position of the command in its group.
        index: usize,
    },
    /// One reply merged from the replies of a command's per-slot parts, batched in the
    /// chunk's groups like single-slot commands.
    Merged(Box<Merge>),
}

/// A command split by slot ([`crate::split`]) whose parts went into the chunk's groups.
pub struct Merge {
    /// Each part's (group, position in the group), in the order of `positions`.
    parts: Vec<(usize, usize)>,
    /// For each part, the positions of its keys among the client's keys.
    positions: Vec<Vec<usize>>,
    policy: ResponsePolicy,
    /// Keys in the client's command.
    total: usize,
    protocol: Protocol,
}

/// Most connections a session remembers (more nodes than this: the cache starts over).
const CONNS_CACHED_MAX: usize = 64;

/// A session's own memo of the shared connections it used: the pool is a map shared by
/// every lane, whose lock word would bounce between cores on every lookup.
#[derive(Default)]
pub struct Conns(Vec<(String, Kind, Arc<Upstream>)>);

impl Conns {
    /// The live shared connection to `addr` for this lane ([`crate::upstream::Pool::get`]).
    pub fn get(&mut self, router: &Router, addr: &str, kind: Kind) -> Arc<Upstream> {
        if let Some((_, _, c)) = self.0.iter().find(|(a, k, _)| *k == kind && a == addr)
            && !c.is_closed()
        {
            return Arc::clone(c);
        }
        let conn = router.pool.get(addr, kind);
        self.0.retain(|(a, k, _)| !(*k == kind && a == addr));
        if self.0.len() >= CONNS_CACHED_MAX {
            self.0.clear();
        }
        self.0.push((addr.to_string(), kind, Arc::clone(&conn)));
        conn
    }
}

/// A single-slot command sent in a group, kept for a retry: where its bytes are in the
/// group's wire (decoded again only if it must be retried, which is rare).
struct Cmd {
    at: std::ops::Range<usize>,
    slot: u16,
    write: bool,
    replica_ok: bool,
}

enum State {
    /// Collecting commands; nothing sent yet.
    Open(BytesMut),
    /// Queued on the connection (kept alive until answered).
    Sent(oneshot::Receiver<Answer>, Arc<Upstream>),
    /// Answered (or failed).
    Done(Answer),
}

/// The commands of one chunk for one node connection.
struct Group {
    /// Index of the node's shard in the slot map the chunk's open groups were built from
    /// (the session keeps one map until it sends them): compared instead of the address.
    shard: usize,
    addr: String,
    kind: Kind,
    cmds: Vec<Cmd>,
    state: State,
    /// The bytes sent, once sent (the commands' [`Cmd::at`] ranges point into them).
    sent: Bytes,
}

/// A command to add to a group: decoded, or the client's own bytes of a command that
/// arrived whole (forwarded as they are).
pub enum Wire<'a> {
    /// Decoded arguments, encoded again.
    Argv(Vec<Bytes>),
    /// A whole multibulk command, verbatim.
    Raw(&'a [u8]),
}

/// The replies owed for one client read, in request order.
#[derive(Default)]
pub struct Chunk {
    entries: Vec<Pending>,
    groups: Vec<Group>,
    /// Groups still [`State::Open`].
    open: usize,
    /// Commands sent for [`Pending::Merged`] entries beyond one per entry.
    extra_parts: usize,
}

impl Chunk {
    /// An empty chunk with room for `replies` replies: a session sizes the next chunk by the
    /// last, so a steady pipeline fills it without regrowing.
    pub fn with_capacity(replies: usize) -> Chunk {
        Chunk {
            entries: Vec::with_capacity(replies),
            ..Chunk::default()
        }
    }

    /// Number of replies owed.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Replies owed plus the extra commands split parts send: what bounds a chunk's size.
    pub fn weight(&self) -> usize {
        self.entries.len() + self.extra_parts
    }

    /// True when no reply is owed.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Appends a reply slot.
    pub fn push(&mut self, p: Pending) {
        self.entries.push(p);
    }

    /// Adds a single-slot command to the group of the node that serves `slot` in `map`;
    /// gives the command back when no node serves it (the caller takes the slow path,
    /// whose retries wait for an owner). `map` must be the map the open groups were built
    /// from: the session keeps one until [`Chunk::send_open`].
    pub fn add<'a>(
        &mut self,
        map: &SlotMap,
        cmd: Wire<'a>,
        slot: u16,
        kind: Kind,
        write: bool,
        replica_ok: bool,
    ) -> Result<(), Wire<'a>> {
        let Some(shard) = map.shard_index(slot) else {
            return Err(cmd);
        };
        let at = self.place(map, shard, cmd, slot, kind, write, replica_ok);
        self.entries.push(Pending::Batched {
            group: at.0,
            index: at.1,
        });
        Ok(())
    }

    /// Adds the per-slot parts of one split command to their nodes' groups, and one entry
    /// whose reply merges theirs by `policy`; gives the parts back, adding nothing, when a
    /// slot has no node in `map` (as [`Chunk::add`]).
    #[allow(clippy::too_many_arguments)]
    pub fn add_split(
        &mut self,
        map: &SlotMap,
        parts: Vec<Part>,
        kind: Kind,
        write: bool,
        replica_ok: bool,
        policy: ResponsePolicy,
        total: usize,
    ) -> Result<(), Vec<Part>> {
        let mut shards = Vec::with_capacity(parts.len());
        for p in &parts {
            match map.shard_index(p.slot) {
                Some(s) => shards.push(s),
                None => return Err(parts),
            }
        }
        let mut merge = Merge {
            parts: Vec::with_capacity(parts.len()),
            positions: Vec::with_capacity(parts.len()),
            policy,
            total,
            protocol: kind.protocol,
        };
        self.extra_parts += parts.len().saturating_sub(1);
        for (part, shard) in parts.into_iter().zip(shards) {
            let at = self.place(
                map,
                shard,
                Wire::Argv(part.argv),
                part.slot,
                kind,
                write,
                replica_ok,
            );
            merge.parts.push(at);
            merge.positions.push(part.positions);
        }
        self.entries.push(Pending::Merged(Box::new(merge)));
        Ok(())
    }

    /// Appends a command to the open group for `shard` (made if need be); its (group,
    /// position in the group).
    #[allow(clippy::too_many_arguments)]
    fn place(
        &mut self,
        map: &SlotMap,
        shard: usize,
        cmd: Wire<'_>,
        slot: u16,
        kind: Kind,
        write: bool,
        replica_ok: bool,
    ) -> (usize, usize) {
        let open_for =
            |g: &Group| g.shard == shard && g.kind == kind && matches!(g.state, State::Open(_));
        let found = self.groups.iter().rposition(open_for);
        let group = match found {
            Some(i) => i,
            None => {
                self.groups.push(Group {
                    shard,
                    addr: map.shards[shard].primary.addr.clone(),
                    kind,
                    cmds: Vec::with_capacity(GROUP_CMDS_START),
                    state: State::Open(BytesMut::with_capacity(GROUP_WIRE_START)),
                    sent: Bytes::new(),
                });
                self.open += 1;
                self.groups.len() - 1
            }
        };
        let g = &mut self.groups[group];
        let State::Open(wire) = &mut g.state else {
            unreachable!("invariant: the group was found or made open above");
        };
        let start = wire.len();
        match cmd {
            Wire::Argv(argv) => encode_request(&argv, wire),
            Wire::Raw(raw) => wire.extend_from_slice(raw),
        }
        let index = g.cmds.len();
        g.cmds.push(Cmd {
            at: start..wire.len(),
            slot,
            write,
            replica_ok,
        });
        (group, index)
    }

    /// Queues every open group on its node's shared connection (one request per group).
    pub async fn send_open(&mut self, router: &Router, conns: &mut Conns) {
        if self.open == 0 {
            return;
        }
        self.open = 0;
        for g in &mut self.groups {
            if let State::Open(wire) = &mut g.state {
                let wire = std::mem::take(wire).freeze();
                g.sent = wire.clone();
                let conn = conns.get(router, &g.addr, g.kind);
                let rx = conn.send(wire, g.cmds.len()).await;
                g.state = State::Sent(rx, conn);
            }
        }
    }

    /// Answers every entry in order into `out`, with the push messages that arrive
    /// meanwhile interleaved between replies; true when the connection must close after.
    pub async fn answer(
        mut self,
        router: &Arc<Router>,
        out: &mut BytesMut,
        push: &mut crate::pubsub::PushRx,
    ) -> bool {
        let entries = std::mem::take(&mut self.entries);
        for p in entries {
            match p {
                Pending::Now(b) => out.extend_from_slice(&b),
                Pending::Later(f) => out.extend_from_slice(&f.await),
                Pending::Close(b) => {
                    out.extend_from_slice(&b);
                    return true;
                }
                Pending::Batched { group, index } => self.batched(router, group, index, out).await,
                Pending::Merged(m) => self.merged(router, &m, out).await,
            }
            while let Some(m) = push.try_recv() {
                out.extend_from_slice(&m);
            }
        }
        false
    }

    /// Writes the merge of a split command's part replies (each retried alone if it must,
    /// as a single-slot command).
    async fn merged(&mut self, router: &Arc<Router>, m: &Merge, out: &mut BytesMut) {
        let mut replies = Vec::with_capacity(m.parts.len());
        let mut raw = BytesMut::new();
        for &(group, index) in &m.parts {
            raw.clear();
            self.batched(router, group, index, &mut raw).await;
            replies.push(decode_raw(&raw));
        }
        let merged = merge_split(m.policy, &m.positions, replies, m.total);
        encode(&merged, m.protocol, out);
    }

    /// Writes reply `index` of group `group`, retrying the command alone if it must.
    async fn batched(
        &mut self,
        router: &Arc<Router>,
        group: usize,
        index: usize,
        out: &mut BytesMut,
    ) {
        let g = &mut self.groups[group];
        if matches!(g.state, State::Sent(..)) {
            let prev = std::mem::replace(&mut g.state, State::Done(Ok(Default::default())));
            if let State::Sent(rx, _conn) = prev {
                g.state = State::Done(upstream::wait(&g.addr, rx).await);
            }
        }
        let outcome = match &g.state {
            State::Done(Ok(replies)) => match replies.get(index) {
                Some(raw) if retry::classify(raw) == Retry::No => {
                    out.extend_from_slice(raw);
                    return;
                }
                Some(raw) => Ok(vec![Bytes::copy_from_slice(raw)]),
                None => Err(RouterError::Protocol {
                    addr: g.addr.clone(),
                    reason: "missing reply".into(),
                }),
            },
            State::Done(Err(e)) => Err(e.clone()),
            State::Open(_) | State::Sent(..) => Err(RouterError::NotSent {
                addr: g.addr.clone(),
            }),
        };
        let cmd = &g.cmds[index];
        // The command's bytes: in the sent wire, or still in the open one if never sent.
        let wire: &[u8] = match &g.state {
            State::Open(w) => w,
            _ => &g.sent,
        };
        let bytes = wire.get(cmd.at.clone()).unwrap_or_default();
        let argv = match RequestDecoder::default().decode(&mut BytesMut::from(bytes)) {
            Ok(Some(argv)) => argv,
            _ => {
                let e = RouterError::Protocol {
                    addr: g.addr.clone(),
                    reason: "undecodable command kept for a retry".into(),
                };
                encode(&Frame::error(e.reply_text()), g.kind.protocol, out);
                return;
            }
        };
        let job = Job {
            cmds: vec![argv],
            slot: Some(cmd.slot),
            node: None,
            write: cmd.write,
            replica_ok: cmd.replica_ok,
            protocol: g.kind.protocol,
            via: Via::Shared,
        };
        let protocol = g.kind.protocol;
        let sent = retry::Sent::answered(g.addr.clone(), outcome);
        match retry::finish(Arc::clone(router), job, sent).await {
            Ok(mut r) => out.extend_from_slice(&r.pop().unwrap_or_default()),
            Err(e) => encode(&Frame::error(e.reply_text()), protocol, out),
        }
    }
}
