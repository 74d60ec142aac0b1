//! Stream consumer-group commands (Redis `t_stream.c`): XGROUP, XREADGROUP, XACK, XPENDING,
//! XCLAIM, XAUTOCLAIM, XINFO GROUPS / CONSUMERS.
//!
//! Propagation follows Redis: XREADGROUP, XCLAIM and XAUTOCLAIM never reach replicas as
//! themselves; every pending entry they create, move or drop is sent as
//! `XCLAIM key group consumer 0 id TIME ms RETRYCOUNT n FORCE JUSTID LASTID last-id`, and a
//! moved group last ID as `XGROUP SETID key group id ENTRIESREAD n`, so a replica applies
//! the exact times and counters its primary chose.

use bytes::Bytes;
use shoal_common::{Frame, ReplyError};

use super::args;
use super::stream::{
    EVENT_STREAM, entries_frame, entry_frame, id_frame, info_pairs, info_pairs_in, int_frame,
    parse_id_full, parse_interval_id, parse_read, parse_strict_id, read, read_for_xread,
    read_reply, write,
};
use crate::db::stream::{Stream, StreamId};
use crate::db::stream_cg::{Consumer, Group, Nack};
use crate::db::{NO_EXPIRE, Value};
use crate::exec::{Ctx, blocking};

fn nogroup_for_key(group: &[u8], key: &[u8]) -> ReplyError {
    ReplyError::Other(
        format!(
            "NOGROUP No such consumer group '{}' for key name '{}'",
            String::from_utf8_lossy(group),
            String::from_utf8_lossy(key)
        )
        .into(),
    )
}

fn nogroup_key_or_group(key: &[u8], group: &[u8]) -> ReplyError {
    ReplyError::Other(
        format!(
            "NOGROUP No such key '{}' or consumer group '{}'",
            String::from_utf8_lossy(key),
            String::from_utf8_lossy(group)
        )
        .into(),
    )
}

fn entries_read_frame(n: Option<u64>) -> Frame {
    n.map_or(Frame::Null, int_frame)
}

/// The `XCLAIM ... FORCE JUSTID LASTID` command that replays a pending entry's state.
fn xclaim_propagation(
    key: &Bytes,
    gname: &Bytes,
    id: StreamId,
    nack: &Nack,
    last: StreamId,
) -> Vec<Bytes> {
    let b = |s: String| Bytes::from(s);
    vec![
        Bytes::from_static(b"XCLAIM"),
        key.clone(),
        gname.clone(),
        nack.consumer.clone(),
        Bytes::from_static(b"0"),
        b(id.to_string()),
        Bytes::from_static(b"TIME"),
        b(nack.delivery_time_ms.to_string()),
        Bytes::from_static(b"RETRYCOUNT"),
        b(nack.delivery_count.to_string()),
        Bytes::from_static(b"FORCE"),
        Bytes::from_static(b"JUSTID"),
        Bytes::from_static(b"LASTID"),
        b(last.to_string()),
    ]
}

/// The `XGROUP SETID ... ENTRIESREAD` command that replays a group's position.
fn setid_propagation(key: &Bytes, gname: &Bytes, g: &Group) -> Vec<Bytes> {
    let read = g
        .entries_read
        .map_or(-1, |n| i64::try_from(n).unwrap_or(i64::MAX));
    vec![
        Bytes::from_static(b"XGROUP"),
        Bytes::from_static(b"SETID"),
        key.clone(),
        gname.clone(),
        Bytes::from(g.last_id.to_string()),
        Bytes::from_static(b"ENTRIESREAD"),
        Bytes::from(read.to_string()),
    ]
}

/// Creates `name` in `g` if missing (Redis `streamCreateConsumer`); true if created.
fn ensure_consumer(g: &mut Group, name: &Bytes, now_ms: i64) -> bool {
    if g.consumers.contains_key(name) {
        return false;
    }
    g.consumers.insert(
        name.clone(),
        Consumer {
            seen_time_ms: now_ms,
            ..Consumer::default()
        },
    );
    true
}

/// `XGROUP` without a known subcommand (the gate answers those).
pub fn xgroup(_ctx: &mut Ctx<'_>, argv: &[Bytes]) -> Result<Frame, ReplyError> {
    super::container_unreachable(argv)
}

/// ```text
/// XGROUP HELP
/// ```
pub fn xgroup_help(_ctx: &mut Ctx<'_>, _argv: &[Bytes]) -> Result<Frame, ReplyError> {
    Ok(super::help_lines(
        "XGROUP",
        &[
            "CREATE <key> <groupname> <id|$> [option]",
            "    Create a new consumer group. Options are:",
            "    * MKSTREAM",
            "      Create the empty stream if it does not exist.",
            "    * ENTRIESREAD entries_read",
            "      Set the group's entries_read counter (internal use).",
            "CREATECONSUMER <key> <groupname> <consumer>",
            "    Create a new consumer in the specified group.",
            "DELCONSUMER <key> <groupname> <consumer>",
            "    Remove the specified consumer.",
            "DESTROY <key> <groupname>",
            "    Remove the specified group.",
            "SETID <key> <groupname> <id|$> [ENTRIESREAD entries_read]",
            "    Set the current group ID and entries_read counter.",
        ],
    ))
}

/// An ENTRIESREAD value: >= 0, or -1 for unknown.
fn parse_entries_read(arg: &[u8]) -> Result<Option<u64>, ReplyError> {
    let n = args::int(arg)?;
    if n == -1 {
        return Ok(None);
    }
    u64::try_from(n)
        .map(Some)
        .map_err(|_| ReplyError::err("value for ENTRIESREAD must be positive or -1"))
}

/// The stream at `key` for an XGROUP subcommand: key must exist unless `mkstream`.
fn xgroup_stream<'c>(
    ctx: &'c mut Ctx<'_>,
    key: &[u8],
    mkstream: bool,
) -> Result<Option<&'c mut Stream>, ReplyError> {
    let s = write(ctx, key)?;
    if s.is_none() && !mkstream {
        return Err(ReplyError::err(
            "The XGROUP subcommand requires the key to exist. Note that for CREATE you may \
             want to use the MKSTREAM option to create an empty stream automatically.",
        ));
    }
    Ok(s)
}

/// ```text
/// XGROUP CREATE key group id|$ [MKSTREAM] [ENTRIESREAD entries-read]
/// ```
pub fn xgroup_create(ctx: &mut Ctx<'_>, argv: &[Bytes]) -> Result<Frame, ReplyError> {
    let mut mkstream = false;
    let mut entries_read = None;
    let mut i = 5;
    while i < argv.len() {
        if args::is(&argv[i], "mkstream") {
            mkstream = true;
            i += 1;
        } else if args::is(&argv[i], "entriesread") && i + 1 < argv.len() {
            entries_read = parse_entries_read(&argv[i + 1])?;
            i += 2;
        } else {
            return Err(super::subcommand_syntax(argv));
        }
    }
    let key = &argv[2];
    let gname = &argv[3];
    let existing = xgroup_stream(ctx, key, mkstream)?.map(|s| s.last_id);
    if argv.len() > 8 {
        return Err(super::subcommand_syntax(argv));
    }
    let id = if &argv[4][..] == b"$" {
        existing.unwrap_or(StreamId::MIN)
    } else {
        parse_strict_id(&argv[4])?
    };
    if existing.is_none() {
        ctx.db()
            .set(key.clone(), Value::Stream(Box::default()), NO_EXPIRE);
        ctx.signal_modified_key(key);
    }
    let s = write(ctx, key)?.expect("invariant: exists or just created");
    if s.groups.contains_key(gname) {
        return Err(ReplyError::other(
            "BUSYGROUP Consumer Group name already exists",
        ));
    }
    s.groups.insert(gname.clone(), Group::new(id, entries_read));
    ctx.notify(EVENT_STREAM, "xgroup-create", key);
    Ok(Frame::ok())
}

/// The group `gname` of the stream at `key` for XGROUP SETID / CREATECONSUMER /
/// DELCONSUMER.
fn xgroup_group<'c>(
    ctx: &'c mut Ctx<'_>,
    key: &[u8],
    gname: &[u8],
) -> Result<(StreamId, &'c mut Group), ReplyError> {
    let s = xgroup_stream(ctx, key, false)?.expect("invariant: checked to exist");
    let last = s.last_id;
    match s.groups.get_mut(gname) {
        Some(g) => Ok((last, g)),
        None => Err(nogroup_for_key(gname, key)),
    }
}

/// ```text
/// XGROUP SETID key group id|$ [ENTRIESREAD entries-read]
/// ```
pub fn xgroup_setid(ctx: &mut Ctx<'_>, argv: &[Bytes]) -> Result<Frame, ReplyError> {
    let key = &argv[2];
    let (last, _) = xgroup_group(ctx, key, &argv[3])?;
    if argv.len() != 5 && argv.len() != 7 {
        return Err(super::subcommand_syntax(argv));
    }
    let id = if &argv[4][..] == b"$" {
        last
    } else {
        parse_id_full(&argv[4], 0, false, false)?.id
    };
    let mut entries_read = None;
    if argv.len() == 7 {
        if !args::is(&argv[5], "entriesread") {
            return Err(super::subcommand_syntax(argv));
        }
        entries_read = parse_entries_read(&argv[6])?;
    }
    let (_, g) = xgroup_group(ctx, key, &argv[3])?;
    g.last_id = id;
    g.entries_read = entries_read;
    ctx.notify(EVENT_STREAM, "xgroup-setid", key);
    Ok(Frame::ok())
}

/// ```text
/// XGROUP DESTROY key group
/// ```
pub fn xgroup_destroy(ctx: &mut Ctx<'_>, argv: &[Bytes]) -> Result<Frame, ReplyError> {
    let key = &argv[2];
    let s = xgroup_stream(ctx, key, false)?.expect("invariant: checked to exist");
    if s.groups.remove(&argv[3]).is_none() {
        ctx.propagate_as = Some(Vec::new());
        return Ok(Frame::Integer(0));
    }
    // Blocked XREADGROUP clients of the group must learn it is gone.
    let db = ctx.client.db;
    ctx.srv.blocking.signal_key_as_ready(db, key);
    ctx.notify(EVENT_STREAM, "xgroup-destroy", key);
    Ok(Frame::Integer(1))
}

/// ```text
/// XGROUP CREATECONSUMER key group consumer
/// ```
pub fn xgroup_createconsumer(ctx: &mut Ctx<'_>, argv: &[Bytes]) -> Result<Frame, ReplyError> {
    let key = &argv[2];
    let now = ctx.now_ms;
    let (_, g) = xgroup_group(ctx, key, &argv[3])?;
    if !ensure_consumer(g, &argv[4], now) {
        ctx.propagate_as = Some(Vec::new());
        return Ok(Frame::Integer(0));
    }
    ctx.notify(EVENT_STREAM, "xgroup-createconsumer", key);
    Ok(Frame::Integer(1))
}

/// ```text
/// XGROUP DELCONSUMER key group consumer
/// ```
pub fn xgroup_delconsumer(ctx: &mut Ctx<'_>, argv: &[Bytes]) -> Result<Frame, ReplyError> {
    let key = &argv[2];
    let (_, g) = xgroup_group(ctx, key, &argv[3])?;
    let Some(pending) = g.delete_consumer(&argv[4]) else {
        ctx.propagate_as = Some(Vec::new());
        return Ok(Frame::Integer(0));
    };
    ctx.notify(EVENT_STREAM, "xgroup-delconsumer", key);
    Ok(int_frame(pending as u64))
}

/// ```text
/// XACK key group id [id ...]
/// ```
pub fn xack(ctx: &mut Ctx<'_>, argv: &[Bytes]) -> Result<Frame, ReplyError> {
    let key = &argv[1];
    let has_group = read(ctx, key)?.is_some_and(|s| s.groups.contains_key(&argv[2]));
    if !has_group {
        ctx.propagate_as = Some(Vec::new());
        return Ok(Frame::Integer(0));
    }
    let ids = argv[3..]
        .iter()
        .map(|a| parse_strict_id(a))
        .collect::<Result<Vec<_>, _>>()?;
    let s = write(ctx, key)?.expect("invariant: checked");
    let g = s.groups.get_mut(&argv[2]).expect("invariant: checked");
    let acked = ids.into_iter().filter(|id| g.ack(*id)).count();
    if acked == 0 {
        ctx.propagate_as = Some(Vec::new());
    }
    Ok(int_frame(acked as u64))
}

/// Parsed extended XPENDING arguments.
struct PendingRange {
    min_idle_ms: i64,
    start: StreamId,
    end: StreamId,
    count: usize,
    consumer: Option<Bytes>,
}

fn parse_pending_range(argv: &[Bytes]) -> Result<PendingRange, ReplyError> {
    let mut start_idx = 3;
    let mut min_idle_ms = 0;
    if args::is(&argv[3], "idle") {
        min_idle_ms = args::int(&argv[4])?;
        if argv.len() < 8 {
            return Err(ReplyError::Syntax);
        }
        start_idx += 2;
    }
    let count = usize::try_from(args::int(&argv[start_idx + 2])?.max(0)).unwrap_or(usize::MAX);
    let (mut start, start_ex) = parse_interval_id(&argv[start_idx], 0)?;
    if start_ex {
        start = start
            .incr()
            .ok_or_else(|| ReplyError::err("invalid start ID for the interval"))?;
    }
    let (mut end, end_ex) = parse_interval_id(&argv[start_idx + 1], u64::MAX)?;
    if end_ex {
        end = end
            .decr()
            .ok_or_else(|| ReplyError::err("invalid end ID for the interval"))?;
    }
    let consumer = argv.get(start_idx + 3).cloned();
    Ok(PendingRange {
        min_idle_ms,
        start,
        end,
        count,
        consumer,
    })
}

/// ```text
/// XPENDING key group [[IDLE min-idle-time] start end count [consumer]]
/// ```
pub fn xpending(ctx: &mut Ctx<'_>, argv: &[Bytes]) -> Result<Frame, ReplyError> {
    if argv.len() != 3 && !(6..=9).contains(&argv.len()) {
        return Err(ReplyError::Syntax);
    }
    let range = if argv.len() >= 6 {
        Some(parse_pending_range(argv)?)
    } else {
        None
    };
    let now = ctx.now_ms;
    let key = &argv[1];
    let Some(g) = read(ctx, key)?.and_then(|s| s.groups.get(&argv[2])) else {
        return Err(nogroup_key_or_group(key, &argv[2]));
    };
    let Some(r) = range else {
        return Ok(pending_summary(g));
    };
    let ids: Vec<StreamId> = match &r.consumer {
        Some(name) => match g.consumers.get(name) {
            Some(c) => c.pel.range(r.start..).copied().collect(),
            None => return Ok(Frame::Array(Vec::new())),
        },
        None => g.pel.range(r.start..).map(|(id, _)| *id).collect(),
    };
    let mut out = Vec::new();
    for id in ids {
        if out.len() >= r.count || id > r.end {
            break;
        }
        let nack = &g.pel[&id];
        let idle = now - nack.delivery_time_ms;
        if r.min_idle_ms != 0 && idle < r.min_idle_ms {
            continue;
        }
        out.push(Frame::Array(vec![
            id_frame(id),
            Frame::Bulk(nack.consumer.clone()),
            Frame::Integer(idle.max(0)),
            int_frame(nack.delivery_count),
        ]));
    }
    Ok(Frame::Array(out))
}

fn pending_summary(g: &Group) -> Frame {
    let (Some((first, _)), Some((last, _))) = (g.pel.first_key_value(), g.pel.last_key_value())
    else {
        return Frame::Array(vec![
            Frame::Integer(0),
            Frame::Null,
            Frame::Null,
            Frame::NullArray,
        ]);
    };
    let consumers = g
        .consumers
        .iter()
        .filter(|(_, c)| !c.pel.is_empty())
        .map(|(name, c)| {
            Frame::Array(vec![
                Frame::Bulk(name.clone()),
                Frame::Bulk(Bytes::from(c.pel.len().to_string())),
            ])
        })
        .collect();
    Frame::Array(vec![
        int_frame(g.pel.len() as u64),
        id_frame(*first),
        id_frame(*last),
        Frame::Array(consumers),
    ])
}

/// What one stream of an XREADGROUP call asks for.
enum ReadFrom {
    /// `>`: new entries.
    New,
    /// The consumer's pending entries after this ID.
    History(StreamId),
}

/// ```text
/// XREADGROUP GROUP group consumer [COUNT count] [BLOCK milliseconds] [NOACK]
///     STREAMS key [key ...] id [id ...]
/// ```
pub fn xreadgroup(ctx: &mut Ctx<'_>, argv: &[Bytes]) -> Result<Frame, ReplyError> {
    let r = parse_read(ctx, argv, true)?;
    let (gname, cname) = r.group.clone().expect("invariant: parse requires GROUP");
    let keys = &argv[r.streams_arg..r.streams_arg + r.nstreams];
    let mut from = Vec::with_capacity(r.nstreams);
    for (k, arg) in keys.iter().zip(&argv[r.streams_arg + r.nstreams..]) {
        let has_group = read_for_xread(ctx, k)?.is_some_and(|s| s.groups.contains_key(&gname));
        if !has_group && ctx.client.bstate.ready_key.is_some() {
            return Err(ReplyError::other(
                "NOGROUP the consumer group this client was blocked on no longer exists",
            ));
        }
        if !has_group {
            return Err(ReplyError::Other(
                format!(
                    "NOGROUP No such key '{}' or consumer group '{}' in XREADGROUP with GROUP \
                     option",
                    String::from_utf8_lossy(k),
                    String::from_utf8_lossy(&gname)
                )
                .into(),
            ));
        }
        if &arg[..] == b"$" {
            return Err(ReplyError::err(
                "The $ ID is meaningless in the context of XREADGROUP: you want to read the \
                 history of this consumer by specifying a proper ID, or use the > ID to get \
                 new messages. The $ ID would just return an empty result set.",
            ));
        }
        from.push(if &arg[..] == b">" {
            ReadFrom::New
        } else {
            ReadFrom::History(parse_strict_id(arg)?)
        });
    }
    let woken = ctx.client.bstate.ready_key.clone();
    let mut out = Vec::new();
    let mut prop = Vec::new();
    for (k, f) in keys.iter().zip(&from) {
        if woken.as_ref().is_some_and(|w| w != k) {
            continue;
        }
        let now = ctx.now_ms;
        // Counted as Redis's second lookupKeyRead, then taken for writing.
        read_for_xread(ctx, k)?;
        let Some(s) = write(ctx, k)? else {
            continue;
        };
        let Some(g) = s.groups.get(&gname) else {
            return Err(ReplyError::other(
                "NOGROUP the consumer group this client was blocked on no longer exists",
            ));
        };
        let served = match f {
            ReadFrom::History(after) => Some(read_history(s, &gname, &cname, *after, r.count, now)),
            ReadFrom::New => {
                let top = if woken.is_some() {
                    Some(s.last_id)
                } else {
                    s.last_entry_id()
                };
                if top.is_some_and(|t| t > g.last_id) {
                    Some(read_new(s, k, &gname, &cname, &r, now, &mut prop))
                } else {
                    None
                }
            }
        };
        if let Some((entries, created)) = served {
            if created {
                ctx.notify(EVENT_STREAM, "xgroup-createconsumer", k);
            }
            out.push((Frame::Bulk(k.clone()), entries));
        }
    }
    ctx.propagate_as = Some(prop);
    if !out.is_empty() {
        return Ok(read_reply(ctx, out));
    }
    match r.block {
        Some(deadline) => blocking::block(ctx, keys, deadline, "stream"),
        None => Ok(Frame::NullArray),
    }
}

/// Serves `>`: entries after the group's last ID, added to the PELs unless NOACK; returns
/// the entries frame and whether the consumer was created.
fn read_new(
    s: &mut Stream,
    key: &Bytes,
    gname: &Bytes,
    cname: &Bytes,
    r: &super::stream::ReadArgs,
    now: i64,
    prop: &mut Vec<Vec<Bytes>>,
) -> (Frame, bool) {
    let mut g = s.groups.remove(gname).expect("invariant: caller checked");
    let created = ensure_consumer(&mut g, cname, now);
    if let Some(c) = g.consumers.get_mut(cname) {
        c.seen_time_ms = now;
    }
    let start = g.last_id.incr().unwrap_or(StreamId::MIN);
    let count = if r.count == 0 { usize::MAX } else { r.count };
    let entries = s.range(start, StreamId::MAX, false, count);
    let moved = entries.last().is_some_and(|(id, _)| *id > g.last_id);
    for (id, _) in &entries {
        s.advance_group(&mut g, *id);
        if !r.noack {
            let nack = g.assign(
                *id,
                cname,
                Nack {
                    delivery_time_ms: now,
                    delivery_count: 1,
                    consumer: cname.clone(),
                },
            );
            nack.delivery_time_ms = now;
            nack.delivery_count = 1;
            let nack = nack.clone();
            prop.push(xclaim_propagation(key, gname, *id, &nack, g.last_id));
        }
    }
    if moved {
        prop.push(setid_propagation(key, gname, &g));
    }
    s.groups.insert(gname.clone(), g);
    (entries_frame(entries), created)
}

/// Serves a history read: the consumer's pending entries after `after` (deleted ones as
/// `[id, nil]`), each delivered once more.
fn read_history(
    s: &mut Stream,
    gname: &Bytes,
    cname: &Bytes,
    after: StreamId,
    count: usize,
    now: i64,
) -> (Frame, bool) {
    let mut g = s.groups.remove(gname).expect("invariant: caller checked");
    let created = ensure_consumer(&mut g, cname, now);
    let c = g.consumers.get_mut(cname).expect("invariant: ensured");
    c.seen_time_ms = now;
    let start = after.incr().unwrap_or(StreamId::MIN);
    let limit = if count == 0 { usize::MAX } else { count };
    let ids: Vec<StreamId> = c.pel.range(start..).take(limit).copied().collect();
    let mut out = Vec::with_capacity(ids.len());
    for id in ids {
        match s.range(id, id, false, 1).pop() {
            Some(entry) => {
                if let Some(n) = g.pel.get_mut(&id) {
                    n.delivery_time_ms = now;
                    n.delivery_count += 1;
                }
                out.push(entry_frame(entry));
            }
            None => out.push(Frame::Array(vec![id_frame(id), Frame::NullArray])),
        }
    }
    s.groups.insert(gname.clone(), g);
    (Frame::Array(out), created)
}

/// XCLAIM options after the IDs.
struct ClaimOpts {
    delivery_time_ms: Option<i64>,
    retry_count: Option<u64>,
    force: bool,
    justid: bool,
    last_id: Option<StreamId>,
}

fn parse_claim_opts(argv: &[Bytes], mut j: usize, now: i64) -> Result<ClaimOpts, ReplyError> {
    let mut o = ClaimOpts {
        delivery_time_ms: None,
        retry_count: None,
        force: false,
        justid: false,
        last_id: None,
    };
    let int_or = |a: &[u8], what: &str| {
        shoal_common::number::parse_i64(a)
            .ok_or_else(|| ReplyError::err(format!("Invalid {what} option argument for XCLAIM")))
    };
    while j < argv.len() {
        let more = argv.len() - 1 - j;
        let opt = &argv[j];
        if args::is(opt, "force") {
            o.force = true;
        } else if args::is(opt, "justid") {
            o.justid = true;
        } else if args::is(opt, "idle") && more > 0 {
            j += 1;
            o.delivery_time_ms = Some(now.wrapping_sub(int_or(&argv[j], "IDLE")?));
        } else if args::is(opt, "time") && more > 0 {
            j += 1;
            o.delivery_time_ms = Some(int_or(&argv[j], "TIME")?);
        } else if args::is(opt, "retrycount") && more > 0 {
            j += 1;
            // A negative count means "not given", as Redis's -1 sentinel.
            o.retry_count = u64::try_from(int_or(&argv[j], "RETRYCOUNT")?).ok();
        } else if args::is(opt, "lastid") && more > 0 {
            j += 1;
            o.last_id = Some(parse_strict_id(&argv[j])?);
        } else {
            return Err(ReplyError::err(format!(
                "Unrecognized XCLAIM option '{}'",
                String::from_utf8_lossy(opt)
            )));
        }
        j += 1;
    }
    Ok(o)
}

/// ```text
/// XCLAIM key group consumer min-idle-time id [id ...] [IDLE ms] [TIME unix-time-ms]
///     [RETRYCOUNT count] [FORCE] [JUSTID] [LASTID lastid]
/// ```
pub fn xclaim(ctx: &mut Ctx<'_>, argv: &[Bytes]) -> Result<Frame, ReplyError> {
    let (key, gname, cname) = (&argv[1], &argv[2], &argv[3]);
    if !read(ctx, key)?.is_some_and(|s| s.groups.contains_key(gname)) {
        return Err(nogroup_key_or_group(key, gname));
    }
    let min_idle = shoal_common::number::parse_i64(&argv[4])
        .ok_or_else(|| ReplyError::err("Invalid min-idle-time argument for XCLAIM"))?
        .max(0);
    let mut ids = Vec::new();
    let mut j = 5;
    while j < argv.len() {
        match parse_strict_id(&argv[j]) {
            Ok(id) => ids.push(id),
            Err(_) => break,
        }
        j += 1;
    }
    let now = ctx.now_ms;
    let o = parse_claim_opts(argv, j, now)?;
    let delivery = match o.delivery_time_ms {
        Some(t) if (0..=now).contains(&t) => t,
        _ => now,
    };
    let s = write(ctx, key)?.expect("invariant: checked");
    let mut g = s.groups.remove(gname).expect("invariant: checked");
    let mut propagate_last = false;
    if let Some(l) = o.last_id
        && l > g.last_id
    {
        g.last_id = l;
        propagate_last = true;
    }
    let mut out = Vec::new();
    let mut prop = Vec::new();
    let mut created = false;
    for id in ids {
        let entry = s.range(id, id, false, 1).pop();
        if entry.is_none() {
            if let Some(nack) = g.pel.get(&id).cloned() {
                prop.push(xclaim_propagation(key, gname, id, &nack, g.last_id));
                propagate_last = false;
                g.ack(id);
            }
            continue;
        }
        let fresh = !g.pel.contains_key(&id);
        if fresh && !o.force {
            continue;
        }
        if !fresh && min_idle != 0 && now - g.pel[&id].delivery_time_ms < min_idle {
            continue;
        }
        created |= ensure_consumer(&mut g, cname, now);
        if let Some(c) = g.consumers.get_mut(cname) {
            c.seen_time_ms = now;
        }
        let nack = g.assign(
            id,
            cname,
            Nack {
                delivery_time_ms: delivery,
                delivery_count: 0,
                consumer: cname.clone(),
            },
        );
        nack.delivery_time_ms = delivery;
        match o.retry_count {
            Some(n) => nack.delivery_count = n,
            None if !o.justid => nack.delivery_count += 1,
            None => {}
        }
        let nack = nack.clone();
        out.push(match (o.justid, entry) {
            (true, _) | (false, None) => id_frame(id),
            (false, Some(e)) => entry_frame(e),
        });
        prop.push(xclaim_propagation(key, gname, id, &nack, g.last_id));
        propagate_last = false;
    }
    if propagate_last {
        prop.push(setid_propagation(key, gname, &g));
    }
    s.groups.insert(gname.clone(), g);
    ctx.propagate_as = Some(prop);
    if created {
        ctx.notify(EVENT_STREAM, "xgroup-createconsumer", key);
    }
    Ok(Frame::Array(out))
}

/// ```text
/// XAUTOCLAIM key group consumer min-idle-time start [COUNT count] [JUSTID]
/// ```
pub fn xautoclaim(ctx: &mut Ctx<'_>, argv: &[Bytes]) -> Result<Frame, ReplyError> {
    let (key, gname, cname) = (&argv[1], &argv[2], &argv[3]);
    let min_idle = shoal_common::number::parse_i64(&argv[4])
        .ok_or_else(|| ReplyError::err("Invalid min-idle-time argument for XAUTOCLAIM"))?
        .max(0);
    let (mut start, start_ex) = parse_interval_id(&argv[5], 0)?;
    if start_ex {
        start = start
            .incr()
            .ok_or_else(|| ReplyError::err("invalid start ID for the interval"))?;
    }
    let mut count: u64 = 100;
    let mut justid = false;
    let mut j = 6;
    while j < argv.len() {
        if args::is(&argv[j], "count") && j + 1 < argv.len() {
            let max = (i64::MAX / 16) as u64;
            count = shoal_common::number::parse_i64(&argv[j + 1])
                .and_then(|n| u64::try_from(n).ok())
                .filter(|n| (1..=max).contains(n))
                .ok_or_else(|| ReplyError::err("COUNT must be > 0"))?;
            j += 1;
        } else if args::is(&argv[j], "justid") {
            justid = true;
        } else {
            return Err(ReplyError::Syntax);
        }
        j += 1;
    }
    if !read(ctx, key)?.is_some_and(|s| s.groups.contains_key(gname)) {
        return Err(nogroup_key_or_group(key, gname));
    }
    let now = ctx.now_ms;
    let s = write(ctx, key)?.expect("invariant: checked");
    let mut g = s.groups.remove(gname).expect("invariant: checked");
    let mut attempts = count.saturating_mul(10);
    let (mut claimed, mut deleted, mut prop) = (Vec::new(), Vec::new(), Vec::new());
    let mut created = false;
    let mut next = g.pel.range(start..).next().map(|(id, _)| *id);
    while attempts > 0 && count > 0 {
        attempts -= 1;
        let Some(id) = next else { break };
        next = g.pel.range(id..).nth(1).map(|(id, _)| *id);
        let Some(entry) = s.range(id, id, false, 1).pop() else {
            let nack = g.pel[&id].clone();
            prop.push(xclaim_propagation(key, gname, id, &nack, g.last_id));
            g.ack(id);
            deleted.push(id_frame(id));
            count -= 1;
            continue;
        };
        if min_idle != 0 && now - g.pel[&id].delivery_time_ms < min_idle {
            continue;
        }
        created |= ensure_consumer(&mut g, cname, now);
        if let Some(c) = g.consumers.get_mut(cname) {
            c.seen_time_ms = now;
        }
        let old = g.pel[&id].clone();
        let nack = g.assign(id, cname, old);
        nack.delivery_time_ms = now;
        if !justid {
            nack.delivery_count += 1;
        }
        let nack = nack.clone();
        claimed.push(if justid {
            id_frame(id)
        } else {
            entry_frame(entry)
        });
        count -= 1;
        prop.push(xclaim_propagation(key, gname, id, &nack, g.last_id));
    }
    s.groups.insert(gname.clone(), g);
    ctx.propagate_as = Some(prop);
    if created {
        ctx.notify(EVENT_STREAM, "xgroup-createconsumer", key);
    }
    Ok(Frame::Array(vec![
        id_frame(next.unwrap_or(StreamId::MIN)),
        Frame::Array(claimed),
        Frame::Array(deleted),
    ]))
}

/// ```text
/// XINFO GROUPS key
/// ```
pub fn xinfo_groups(ctx: &mut Ctx<'_>, argv: &[Bytes]) -> Result<Frame, ReplyError> {
    let s = read(ctx, &argv[2])?.ok_or(ReplyError::NoSuchKey)?;
    let groups: Vec<(Bytes, Vec<(&'static str, Frame)>)> = s
        .groups
        .iter()
        .map(|(name, g)| {
            (
                name.clone(),
                vec![
                    ("name", Frame::Bulk(name.clone())),
                    ("consumers", int_frame(g.consumers.len() as u64)),
                    ("pending", int_frame(g.pel.len() as u64)),
                    ("last-delivered-id", id_frame(g.last_id)),
                    ("entries-read", entries_read_frame(g.entries_read)),
                    ("lag", s.lag(g).map_or(Frame::Null, Frame::Integer)),
                ],
            )
        })
        .collect();
    Ok(Frame::Array(
        groups
            .into_iter()
            .map(|(_, pairs)| info_pairs(ctx, pairs))
            .collect(),
    ))
}

/// ```text
/// XINFO CONSUMERS key group
/// ```
pub fn xinfo_consumers(ctx: &mut Ctx<'_>, argv: &[Bytes]) -> Result<Frame, ReplyError> {
    let now = ctx.now_ms;
    let s = read(ctx, &argv[2])?.ok_or(ReplyError::NoSuchKey)?;
    let g = s
        .groups
        .get(&argv[3])
        .ok_or_else(|| nogroup_for_key(&argv[3], &argv[2]))?;
    let consumers: Vec<Vec<(&'static str, Frame)>> = g
        .consumers
        .iter()
        .map(|(name, c)| {
            vec![
                ("name", Frame::Bulk(name.clone())),
                ("pending", int_frame(c.pel.len() as u64)),
                ("idle", Frame::Integer((now - c.seen_time_ms).max(0))),
            ]
        })
        .collect();
    Ok(Frame::Array(
        consumers
            .into_iter()
            .map(|pairs| info_pairs(ctx, pairs))
            .collect(),
    ))
}

/// The `groups` part of `XINFO STREAM key FULL`: each group with up to `limit` pending
/// entries, and its consumers with up to `limit` of theirs.
pub fn full_groups(resp3: bool, s: &Stream, limit: usize) -> Frame {
    let groups = s
        .groups
        .iter()
        .map(|(name, g)| {
            let pending = g
                .pel
                .iter()
                .take(limit)
                .map(|(id, n)| {
                    Frame::Array(vec![
                        id_frame(*id),
                        Frame::Bulk(n.consumer.clone()),
                        Frame::Integer(n.delivery_time_ms),
                        int_frame(n.delivery_count),
                    ])
                })
                .collect();
            let consumers = g
                .consumers
                .iter()
                .map(|(cname, c)| {
                    let pending = c
                        .pel
                        .iter()
                        .take(limit)
                        .map(|id| {
                            let n = &g.pel[id];
                            Frame::Array(vec![
                                id_frame(*id),
                                Frame::Integer(n.delivery_time_ms),
                                int_frame(n.delivery_count),
                            ])
                        })
                        .collect();
                    info_pairs_in(
                        resp3,
                        vec![
                            ("name", Frame::Bulk(cname.clone())),
                            ("seen-time", Frame::Integer(c.seen_time_ms)),
                            ("pel-count", int_frame(c.pel.len() as u64)),
                            ("pending", Frame::Array(pending)),
                        ],
                    )
                })
                .collect();
            info_pairs_in(
                resp3,
                vec![
                    ("name", Frame::Bulk(name.clone())),
                    ("last-delivered-id", id_frame(g.last_id)),
                    ("entries-read", entries_read_frame(g.entries_read)),
                    ("lag", s.lag(g).map_or(Frame::Null, Frame::Integer)),
                    ("pel-count", int_frame(g.pel.len() as u64)),
                    ("pending", Frame::Array(pending)),
                    ("consumers", Frame::Array(consumers)),
                ],
            )
        })
        .collect();
    Frame::Array(groups)
}
