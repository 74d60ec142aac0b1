//! Stream commands (Redis `t_stream.c`): XADD, XLEN, XRANGE, XREVRANGE, XDEL, XTRIM,
//! XSETID, XREAD (with BLOCK), XINFO STREAM / HELP.
//!
//! Values live in [`Stream`] (`db/stream.rs`). Unlike other types, a stream emptied by XDEL
//! or XTRIM stays in the keyspace (it keeps its last ID), as in Redis.
//!
//! Propagation: XADD reaches replicas with the concrete ID it generated (never `*` or
//! `<ms>-*`), and an approximate trim (`~`, in XADD or XTRIM) is rewritten to the exact
//! `=` form with the length or first ID it left, so replicas end identical whatever their
//! node layout. A replica applies trims from its primary without the LIMIT default, as
//! Redis's `mustObeyClient` does.

use bytes::Bytes;
use shoal_common::resp::Protocol;
use shoal_common::{Frame, ReplyError};

use super::args;
use crate::db::NO_EXPIRE;
use crate::db::Value;
use crate::db::stream::{Entry, NodeLimits, Stream, StreamId, Trim};
use crate::exec::{Ctx, blocking};

/// Keyspace event class for stream commands (`t`).
pub const EVENT_STREAM: u8 = b't';

pub(super) const INVALID_ID: ReplyError =
    ReplyError::other("ERR Invalid stream ID specified as stream command argument");

pub(super) fn read<'c>(ctx: &'c mut Ctx<'_>, key: &[u8]) -> Result<Option<&'c Stream>, ReplyError> {
    super::read_as(ctx, key, |v| match v {
        Value::Stream(s) => Some(&**s),
        _ => None,
    })
}

/// The stream at `key` for XREAD / XREADGROUP: counted in the keyspace hits and misses as
/// Redis's `lookupKeyRead`, except when the executor re-runs a blocked command (Redis serves
/// those from a lookup that counts nothing).
pub(super) fn read_for_xread<'c>(
    ctx: &'c mut Ctx<'_>,
    key: &[u8],
) -> Result<Option<&'c Stream>, ReplyError> {
    if ctx.client.bstate.ready_key.is_none() {
        return read(ctx, key);
    }
    let now = ctx.now_ms;
    match ctx.db().get(key, now).map(|e| &e.value) {
        Some(Value::Stream(s)) => Ok(Some(&**s)),
        Some(_) => Err(ReplyError::WrongType),
        None => Ok(None),
    }
}

pub(super) fn write<'c>(
    ctx: &'c mut Ctx<'_>,
    key: &[u8],
) -> Result<Option<&'c mut Stream>, ReplyError> {
    super::write_as(ctx, key, |v| match v {
        Value::Stream(s) => Some(&mut **s),
        _ => None,
    })
}

fn write_again<'c>(ctx: &'c mut Ctx<'_>, key: &[u8]) -> Result<Option<&'c mut Stream>, ReplyError> {
    super::write_as_again(ctx, key, |v| match v {
        Value::Stream(s) => Some(&mut **s),
        _ => None,
    })
}

/// Redis `string2ull`: a canonical integer, or what `strtoull` accepts (leading spaces, a
/// sign, leading zeros; a `-` wraps around), without overflow.
fn parse_u64_c(s: &[u8]) -> Option<u64> {
    if let Some(v) = shoal_common::number::parse_i64(s) {
        return u64::try_from(v).ok();
    }
    let mut i = 0;
    while i < s.len() && matches!(s[i], b' ' | b'\t' | b'\n' | 0x0b | 0x0c | b'\r') {
        i += 1;
    }
    let mut negative = false;
    if i < s.len() && (s[i] == b'+' || s[i] == b'-') {
        negative = s[i] == b'-';
        i += 1;
    }
    let digits = &s[i..];
    if digits.is_empty() || !digits.iter().all(u8::is_ascii_digit) {
        return None;
    }
    let mut v: u64 = 0;
    for d in digits {
        v = v.checked_mul(10)?.checked_add(u64::from(d - b'0'))?;
    }
    Some(if negative { v.wrapping_neg() } else { v })
}

/// The node size settings, from the config.
fn node_limits(ctx: &Ctx<'_>) -> NodeLimits {
    let hot = &ctx.srv.hot;
    NodeLimits {
        max_bytes: hot.stream_node_max_bytes,
        max_entries: hot.stream_node_max_entries,
    }
}

/// A parsed ID argument: the ID, and whether its sequence was given (false for `<ms>-*`).
pub(super) struct ParsedId {
    pub(super) id: StreamId,
    seq_given: bool,
}

/// Redis `streamGenericParseIDOrReply`: `-`, `+` (unless `strict`), `<ms>`,
/// `<ms>-<seq>`, and `<ms>-*` when `allow_auto_seq`.
pub(super) fn parse_id_full(
    arg: &[u8],
    missing_seq: u64,
    strict: bool,
    allow_auto_seq: bool,
) -> Result<ParsedId, ReplyError> {
    if arg.len() > 127 || arg.contains(&0) {
        return Err(INVALID_ID);
    }
    let given = |id| ParsedId {
        id,
        seq_given: true,
    };
    match arg {
        b"-" | b"+" if strict => return Err(INVALID_ID),
        b"-" => return Ok(given(StreamId::MIN)),
        b"+" => return Ok(given(StreamId::MAX)),
        _ => {}
    }
    let (ms_part, seq_part) = match arg.iter().position(|&b| b == b'-') {
        Some(p) => (&arg[..p], Some(&arg[p + 1..])),
        None => (arg, None),
    };
    let ms = parse_u64_c(ms_part).ok_or(INVALID_ID)?;
    match seq_part {
        Some(b"*") if allow_auto_seq => Ok(ParsedId {
            id: StreamId::new(ms, 0),
            seq_given: false,
        }),
        Some(s) => Ok(given(StreamId::new(ms, parse_u64_c(s).ok_or(INVALID_ID)?))),
        None => Ok(given(StreamId::new(ms, missing_seq))),
    }
}

/// A strict ID (no `-` / `+`), missing sequence 0.
pub(super) fn parse_strict_id(arg: &[u8]) -> Result<StreamId, ReplyError> {
    Ok(parse_id_full(arg, 0, true, false)?.id)
}

/// A range bound (Redis `streamParseIntervalIDOrReply`): `(` makes it exclusive.
pub(super) fn parse_interval_id(
    arg: &[u8],
    missing_seq: u64,
) -> Result<(StreamId, bool), ReplyError> {
    if arg.len() > 1 && arg[0] == b'(' {
        Ok((parse_id_full(&arg[1..], missing_seq, true, false)?.id, true))
    } else {
        Ok((parse_id_full(arg, missing_seq, false, false)?.id, false))
    }
}

pub(super) fn id_frame(id: StreamId) -> Frame {
    Frame::Bulk(Bytes::from(id.to_string()))
}

pub(super) fn entry_frame((id, items): Entry) -> Frame {
    Frame::Array(vec![
        id_frame(id),
        Frame::Array(items.into_iter().map(Frame::Bulk).collect()),
    ])
}

pub(super) fn entries_frame(entries: Vec<Entry>) -> Frame {
    Frame::Array(entries.into_iter().map(entry_frame).collect())
}

/// XADD / XTRIM options (Redis `streamAddTrimArgs`).
struct AddTrimArgs {
    trim: Option<Trim>,
    approx: bool,
    /// Argument index of the MAXLEN count / MINID id (for the propagation rewrite).
    trim_arg_idx: usize,
    limit: u64,
    no_mkstream: bool,
    id: Option<ParsedId>,
    /// XADD: index of the ID argument.
    id_idx: usize,
}

const MAXLEN_MINID: ReplyError = ReplyError::other(
    "ERR syntax error, MAXLEN and MINID options at the same time are not compatible",
);

/// Parses `[NOMKSTREAM] [MAXLEN|MINID [=|~] threshold [LIMIT count]]` then, for XADD, the ID
/// (Redis `streamParseAddOrTrimArgsOrReply`).
fn parse_add_trim(ctx: &Ctx<'_>, argv: &[Bytes], xadd: bool) -> Result<AddTrimArgs, ReplyError> {
    let mut a = AddTrimArgs {
        trim: None,
        approx: false,
        trim_arg_idx: 0,
        limit: 0,
        no_mkstream: false,
        id: None,
        id_idx: argv.len(),
    };
    let mut limit_given = false;
    let mut i = 2;
    while i < argv.len() {
        let more = argv.len() - 1 - i;
        let opt = &argv[i][..];
        if xadd && opt == b"*" {
            break;
        }
        let is_maxlen = args::is(opt, "maxlen");
        if (is_maxlen || args::is(opt, "minid")) && more > 0 {
            if a.trim.is_some() {
                return Err(MAXLEN_MINID);
            }
            a.approx = false;
            let next = &argv[i + 1][..];
            if more >= 2 && next == b"~" {
                a.approx = true;
                i += 1;
            } else if more >= 2 && next == b"=" {
                i += 1;
            }
            if is_maxlen {
                let n = args::int(&argv[i + 1])?;
                let n = u64::try_from(n)
                    .map_err(|_| ReplyError::other("ERR The MAXLEN argument must be >= 0."))?;
                a.trim = Some(Trim::MaxLen(n));
            } else {
                a.trim = Some(Trim::MinId(parse_strict_id(&argv[i + 1])?));
            }
            i += 1;
            a.trim_arg_idx = i;
        } else if args::is(opt, "limit") && more > 0 {
            let n = args::int(&argv[i + 1])?;
            a.limit = u64::try_from(n)
                .map_err(|_| ReplyError::other("ERR The LIMIT argument must be >= 0."))?;
            limit_given = true;
            i += 1;
        } else if xadd && args::is(opt, "nomkstream") {
            a.no_mkstream = true;
        } else if xadd {
            a.id = Some(parse_id_full(opt, 0, true, true)?);
            break;
        } else {
            return Err(ReplyError::Syntax);
        }
        i += 1;
    }
    a.id_idx = i;
    if a.limit != 0 && a.trim.is_none() {
        return Err(ReplyError::other(
            "ERR syntax error, LIMIT cannot be used without specifying a trimming strategy",
        ));
    }
    if !xadd && a.trim.is_none() {
        return Err(ReplyError::other(
            "ERR syntax error, XTRIM must be called with a trimming strategy",
        ));
    }
    if ctx.client.is_master {
        a.limit = 0;
    } else if limit_given {
        if !a.approx {
            return Err(ReplyError::other(
                "ERR syntax error, LIMIT cannot be used without the special ~ option",
            ));
        }
    } else if a.approx {
        a.limit = node_limits(ctx).default_trim_limit();
    } else {
        a.limit = 0;
    }
    Ok(a)
}

/// The argv an approximate trim reaches replicas as: `=` instead of `~`, and the threshold
/// it actually reached (Redis `streamRewriteApproxSpecifier` / `streamRewriteTrimArgument`).
fn rewrite_trim(argv: &mut [Bytes], a: &AddTrimArgs, s: &Stream) {
    argv[a.trim_arg_idx - 1] = Bytes::from_static(b"=");
    argv[a.trim_arg_idx] = match a.trim {
        Some(Trim::MaxLen(_)) => Bytes::from(s.len().to_string()),
        _ => Bytes::from(s.first_item_id().unwrap_or(StreamId::MAX).to_string()),
    };
}

/// The ID XADD gives a new entry (Redis `streamAppendItem`'s ID rules), or the error.
fn next_id(s: &Stream, given: Option<&ParsedId>, now_ms: i64) -> Result<StreamId, ReplyError> {
    let top = ReplyError::other(
        "ERR The ID specified in XADD is equal or smaller than the target stream top item",
    );
    let id = match given {
        Some(p) if p.seq_given => p.id,
        Some(p) if p.id.ms == s.last_id.ms => {
            if s.last_id.seq == u64::MAX {
                return Err(top);
            }
            StreamId::new(p.id.ms, s.last_id.seq + 1)
        }
        Some(p) => p.id,
        None => {
            let ms = u64::try_from(now_ms).unwrap_or(0);
            if ms > s.last_id.ms {
                StreamId::new(ms, 0)
            } else {
                s.last_id.incr().unwrap_or(StreamId::MAX)
            }
        }
    };
    if id <= s.last_id {
        return Err(top);
    }
    Ok(id)
}

/// ```text
/// XADD key [NOMKSTREAM] [MAXLEN|MINID [=|~] threshold [LIMIT count]] *|id field value
///     [field value ...]
/// ```
pub fn xadd(ctx: &mut Ctx<'_>, argv: &[Bytes]) -> Result<Frame, ReplyError> {
    let a = parse_add_trim(ctx, argv, true)?;
    let field_pos = a.id_idx + 1;
    let nfields = argv.len().saturating_sub(field_pos);
    if nfields < 2 || nfields % 2 == 1 {
        return Err(ReplyError::WrongArity("xadd".into()));
    }
    if let Some(p) = &a.id
        && p.seq_given
        && p.id == StreamId::MIN
    {
        return Err(ReplyError::other(
            "ERR The ID specified in XADD must be greater than 0-0",
        ));
    }
    let key = &argv[1];
    if write(ctx, key)?.is_none() {
        if a.no_mkstream {
            ctx.propagate_as = Some(Vec::new());
            return Ok(Frame::Null);
        }
        ctx.db()
            .set(key.clone(), Value::Stream(Box::default()), NO_EXPIRE);
    }
    let now_ms = ctx.now_ms;
    let limits = node_limits(ctx);
    let s = write_again(ctx, key)?.expect("invariant: looked up or created");
    if s.last_id == StreamId::MAX {
        return Err(ReplyError::other(
            "ERR The stream has exhausted the last possible ID, unable to add more items",
        ));
    }
    let id = next_id(s, a.id.as_ref(), now_ms)?;
    s.append(id, &argv[field_pos..], limits);
    s.entries_added += 1;
    let mut prop = argv.to_vec();
    let mut trimmed = false;
    if let Some(how) = a.trim {
        trimmed = s.trim(how, a.approx, a.limit) > 0;
        if a.approx {
            rewrite_trim(&mut prop, &a, s);
        }
    }
    prop[a.id_idx] = Bytes::from(id.to_string());
    ctx.propagate_as = Some(vec![prop]);
    ctx.signal_modified_key(key);
    ctx.notify(EVENT_STREAM, "xadd", key);
    if trimmed {
        ctx.notify(EVENT_STREAM, "xtrim", key);
    }
    Ok(id_frame(id))
}

/// ```text
/// XLEN key
/// ```
pub fn xlen(ctx: &mut Ctx<'_>, argv: &[Bytes]) -> Result<Frame, ReplyError> {
    let n = read(ctx, &argv[1])?.map_or(0, Stream::len);
    Ok(Frame::Integer(i64::try_from(n).unwrap_or(i64::MAX)))
}

/// XRANGE / XREVRANGE body; `start_arg` / `end_arg` are the argument indexes of the lower
/// and upper bounds.
fn range_generic(ctx: &mut Ctx<'_>, argv: &[Bytes], rev: bool) -> Result<Frame, ReplyError> {
    let (start_arg, end_arg) = if rev { (3, 2) } else { (2, 3) };
    let (mut start, start_ex) = parse_interval_id(&argv[start_arg], 0)?;
    if start_ex {
        start = start
            .incr()
            .ok_or_else(|| ReplyError::other("ERR invalid start ID for the interval"))?;
    }
    let (mut end, end_ex) = parse_interval_id(&argv[end_arg], u64::MAX)?;
    if end_ex {
        end = end
            .decr()
            .ok_or_else(|| ReplyError::other("ERR invalid end ID for the interval"))?;
    }
    let mut count: i64 = -1;
    let mut j = 4;
    while j < argv.len() {
        if args::is(&argv[j], "count") && j + 1 < argv.len() {
            count = args::int(&argv[j + 1])?.max(0);
            j += 2;
        } else {
            return Err(ReplyError::Syntax);
        }
    }
    let Some(s) = read(ctx, &argv[1])? else {
        return Ok(Frame::Array(Vec::new()));
    };
    if count == 0 {
        return Ok(Frame::NullArray);
    }
    let limit = usize::try_from(count).unwrap_or(usize::MAX);
    Ok(entries_frame(s.range(start, end, rev, limit)))
}

/// ```text
/// XRANGE key start end [COUNT count]
/// ```
pub fn xrange(ctx: &mut Ctx<'_>, argv: &[Bytes]) -> Result<Frame, ReplyError> {
    range_generic(ctx, argv, false)
}

/// ```text
/// XREVRANGE key end start [COUNT count]
/// ```
pub fn xrevrange(ctx: &mut Ctx<'_>, argv: &[Bytes]) -> Result<Frame, ReplyError> {
    range_generic(ctx, argv, true)
}

/// ```text
/// XDEL key id [id ...]
/// ```
pub fn xdel(ctx: &mut Ctx<'_>, argv: &[Bytes]) -> Result<Frame, ReplyError> {
    let key = &argv[1];
    if write(ctx, key)?.is_none() {
        return Ok(Frame::Integer(0));
    }
    let ids = argv[2..]
        .iter()
        .map(|a| parse_strict_id(a))
        .collect::<Result<Vec<_>, _>>()?;
    let s = write_again(ctx, key)?.expect("invariant: looked up");
    let deleted = ids.into_iter().filter(|id| s.delete(*id)).count();
    if deleted > 0 {
        ctx.signal_modified_key(key);
        ctx.notify(EVENT_STREAM, "xdel", key);
    } else {
        ctx.propagate_as = Some(Vec::new());
    }
    Ok(Frame::Integer(i64::try_from(deleted).unwrap_or(i64::MAX)))
}

/// ```text
/// XTRIM key MAXLEN|MINID [=|~] threshold [LIMIT count]
/// ```
pub fn xtrim(ctx: &mut Ctx<'_>, argv: &[Bytes]) -> Result<Frame, ReplyError> {
    let key = &argv[1];
    if write(ctx, key)?.is_none() {
        return Ok(Frame::Integer(0));
    }
    let a = parse_add_trim(ctx, argv, false)?;
    let s = write_again(ctx, key)?.expect("invariant: looked up");
    let how = a.trim.expect("invariant: XTRIM parse requires a strategy");
    let removed = s.trim(how, a.approx, a.limit);
    if removed == 0 {
        ctx.propagate_as = Some(Vec::new());
    } else {
        if a.approx {
            let mut prop = argv.to_vec();
            rewrite_trim(&mut prop, &a, s);
            ctx.propagate_as = Some(vec![prop]);
        }
        ctx.notify(EVENT_STREAM, "xtrim", key);
        ctx.signal_modified_key(key);
    }
    Ok(Frame::Integer(i64::try_from(removed).unwrap_or(i64::MAX)))
}

/// ```text
/// XSETID key last-id [ENTRIESADDED entries-added] [MAXDELETEDID max-deleted-id]
/// ```
pub fn xsetid(ctx: &mut Ctx<'_>, argv: &[Bytes]) -> Result<Frame, ReplyError> {
    let id = parse_strict_id(&argv[2])?;
    let mut entries_added: Option<u64> = None;
    let mut max_deleted = StreamId::MIN;
    let mut i = 3;
    while i < argv.len() {
        let more = argv.len() - 1 - i;
        if args::is(&argv[i], "entriesadded") && more > 0 {
            let n = args::int(&argv[i + 1])?;
            entries_added = Some(
                u64::try_from(n)
                    .map_err(|_| ReplyError::other("ERR entries_added must be positive"))?,
            );
        } else if args::is(&argv[i], "maxdeletedid") && more > 0 {
            max_deleted = parse_strict_id(&argv[i + 1])?;
            if id < max_deleted {
                return Err(ReplyError::other(
                    "ERR The ID specified in XSETID is smaller than the provided \
                     max_deleted_entry_id",
                ));
            }
        } else {
            return Err(ReplyError::Syntax);
        }
        i += 2;
    }
    let key = &argv[1];
    // Redis 7.0 does not compare the new last ID with the stream's own max deleted ID.
    let s = write(ctx, key)?.ok_or(ReplyError::NoSuchKey)?;
    if !s.is_empty() {
        let top = s.last_entry_id().unwrap_or(StreamId::MIN);
        if id < top {
            return Err(ReplyError::other(
                "ERR The ID specified in XSETID is smaller than the target stream top item",
            ));
        }
        if entries_added.is_some_and(|n| s.len() > n) {
            return Err(ReplyError::other(
                "ERR The entries_added specified in XSETID is smaller than the target \
                 stream length",
            ));
        }
    }
    s.last_id = id;
    if let Some(n) = entries_added {
        s.entries_added = n;
    }
    if max_deleted != StreamId::MIN {
        s.max_deleted_id = max_deleted;
    }
    // Redis's XSETID invalidates WATCH but does not make the key ready: a client blocked in
    // XREAD keeps waiting for the next XADD even though the last ID moved past its own.
    let db = ctx.client.db;
    ctx.srv.touch_watched_key(ctx.client, db, key);
    ctx.notify(EVENT_STREAM, "xsetid", key);
    Ok(Frame::ok())
}

/// Parsed XREAD arguments.
pub(super) struct ReadArgs {
    /// Absolute deadline (ms, 0 = forever) when BLOCK was given.
    pub(super) block: Option<i64>,
    pub(super) count: usize,
    /// XREADGROUP: group and consumer names.
    pub(super) group: Option<(Bytes, Bytes)>,
    pub(super) noack: bool,
    pub(super) streams_arg: usize,
    pub(super) nstreams: usize,
}

/// Parses XREAD / XREADGROUP options (Redis `xreadCommand`'s loop).
pub(super) fn parse_read(
    ctx: &Ctx<'_>,
    argv: &[Bytes],
    xreadgroup: bool,
) -> Result<ReadArgs, ReplyError> {
    let mut r = ReadArgs {
        block: None,
        count: 0,
        group: None,
        noack: false,
        streams_arg: 0,
        nstreams: 0,
    };
    let mut i = 1;
    while i < argv.len() {
        let more = argv.len() - i - 1;
        let o = &argv[i];
        if args::is(o, "block") && more > 0 {
            if ctx.client.bstate.deny_blocking && !ctx.client.in_exec {
                return Err(ReplyError::err(format!(
                    "{} command is not allowed with BLOCK option from scripts",
                    String::from_utf8_lossy(&argv[0])
                )));
            }
            i += 1;
            r.block = Some(parse_timeout_ms(ctx, &argv[i])?);
        } else if args::is(o, "count") && more > 0 {
            i += 1;
            r.count = usize::try_from(args::int(&argv[i])?.max(0)).unwrap_or(usize::MAX);
        } else if args::is(o, "streams") && more > 0 {
            r.streams_arg = i + 1;
            let n = argv.len() - r.streams_arg;
            if !n.is_multiple_of(2) {
                return Err(ReplyError::err(
                    "Unbalanced XREAD list of streams: for each stream key an ID or '$' must \
                     be specified.",
                ));
            }
            r.nstreams = n / 2;
            break;
        } else if args::is(o, "group") && more >= 2 {
            if !xreadgroup {
                return Err(ReplyError::err(
                    "The GROUP option is only supported by XREADGROUP. You called XREAD instead.",
                ));
            }
            r.group = Some((argv[i + 1].clone(), argv[i + 2].clone()));
            i += 2;
        } else if args::is(o, "noack") {
            if !xreadgroup {
                return Err(ReplyError::err(
                    "The NOACK option is only supported by XREADGROUP. You called XREAD instead.",
                ));
            }
            r.noack = true;
        } else {
            return Err(ReplyError::Syntax);
        }
        i += 1;
    }
    if r.streams_arg == 0 {
        return Err(ReplyError::Syntax);
    }
    if xreadgroup && r.group.is_none() {
        return Err(ReplyError::err("Missing GROUP option for XREADGROUP"));
    }
    Ok(r)
}

/// Redis `getTimeoutFromObjectOrReply` in milliseconds: the absolute deadline, 0 = forever.
fn parse_timeout_ms(ctx: &Ctx<'_>, arg: &[u8]) -> Result<i64, ReplyError> {
    let ms = shoal_common::number::parse_i64(arg)
        .ok_or_else(|| ReplyError::err("timeout is not an integer or out of range"))?;
    if ms < 0 {
        return Err(ReplyError::err("timeout is negative"));
    }
    if ms == 0 {
        return Ok(0);
    }
    ms.checked_add(ctx.now_ms)
        .ok_or_else(|| ReplyError::err("timeout is out of range"))
}

/// ```text
/// XREAD [COUNT count] [BLOCK milliseconds] STREAMS key [key ...] id [id ...]
/// ```
pub fn xread(ctx: &mut Ctx<'_>, argv: &[Bytes]) -> Result<Frame, ReplyError> {
    let r = parse_read(ctx, argv, false)?;
    let keys = &argv[r.streams_arg..r.streams_arg + r.nstreams];
    let mut ids = Vec::with_capacity(r.nstreams);
    for (k, arg) in keys.iter().zip(&argv[r.streams_arg + r.nstreams..]) {
        let last = read_for_xread(ctx, k)?.map(|s| s.last_id);
        if &arg[..] == b"$" {
            ids.push(last.unwrap_or(StreamId::MIN));
        } else if &arg[..] == b">" {
            return Err(ReplyError::err(
                "The > ID can be specified only when calling XREADGROUP using the GROUP \
                 <group> <consumer> option.",
            ));
        } else {
            ids.push(parse_strict_id(arg)?);
        }
    }
    let woken = ctx.client.bstate.ready_key.clone();
    let mut out = Vec::new();
    for (k, gt) in keys.iter().zip(&ids) {
        if woken.as_ref().is_some_and(|w| w != k) {
            continue;
        }
        let Some(s) = read_for_xread(ctx, k)? else {
            continue;
        };
        // A first call serves a stream with a live entry after the ID; a woken client is
        // served once the stream's last ID passed it (Redis's two rules).
        let serve = if woken.is_some() {
            s.last_id > *gt
        } else {
            s.last_entry_id().is_some_and(|top| top > *gt)
        };
        if serve {
            let start = gt.incr().unwrap_or(StreamId::MIN);
            let count = if r.count == 0 { usize::MAX } else { r.count };
            let entries = entries_frame(s.range(start, StreamId::MAX, false, count));
            out.push((Frame::Bulk(k.clone()), entries));
        }
    }
    if !out.is_empty() {
        return Ok(read_reply(ctx, out));
    }
    match r.block {
        Some(deadline) => {
            // Block on the IDs resolved now: a `$` must keep meaning "after the last ID
            // when the client blocked" when the command is re-run.
            let mut resolved = argv.to_vec();
            for (slot, id) in resolved[r.streams_arg + r.nstreams..].iter_mut().zip(&ids) {
                *slot = Bytes::from(id.to_string());
            }
            blocking::block_with_argv(ctx, keys, deadline, "stream", resolved)
        }
        None => Ok(Frame::NullArray),
    }
}

/// XREAD's reply: an array of [key, entries] pairs in RESP2, a map in RESP3.
pub(super) fn read_reply(ctx: &Ctx<'_>, streams: Vec<(Frame, Frame)>) -> Frame {
    if ctx.client.protocol == Protocol::Resp3 {
        Frame::Map(streams)
    } else {
        Frame::Array(
            streams
                .into_iter()
                .map(|(k, v)| Frame::Array(vec![k, v]))
                .collect(),
        )
    }
}

/// `XINFO` without a known subcommand (the gate answers those; kept for the exhaustive
/// match).
pub fn xinfo(_ctx: &mut Ctx<'_>, argv: &[Bytes]) -> Result<Frame, ReplyError> {
    super::container_unreachable(argv)
}

/// ```text
/// XINFO HELP
/// ```
pub fn xinfo_help(_ctx: &mut Ctx<'_>, _argv: &[Bytes]) -> Result<Frame, ReplyError> {
    Ok(super::help_lines(
        "XINFO",
        &[
            "CONSUMERS <key> <groupname>",
            "    Show consumers of <groupname>.",
            "GROUPS <key>",
            "    Show the stream consumer groups.",
            "STREAM <key> [FULL [COUNT <count>]",
            "    Show information about the stream.",
        ],
    ))
}

pub(super) fn info_pairs(ctx: &Ctx<'_>, pairs: Vec<(&'static str, Frame)>) -> Frame {
    info_pairs_in(ctx.client.protocol == Protocol::Resp3, pairs)
}

/// [`info_pairs`] for a known protocol: a map in RESP3, a flat array in RESP2.
pub(super) fn info_pairs_in(resp3: bool, pairs: Vec<(&'static str, Frame)>) -> Frame {
    if resp3 {
        Frame::Map(
            pairs
                .into_iter()
                .map(|(k, v)| (Frame::Bulk(Bytes::from_static(k.as_bytes())), v))
                .collect(),
        )
    } else {
        Frame::Array(
            pairs
                .into_iter()
                .flat_map(|(k, v)| [Frame::Bulk(Bytes::from_static(k.as_bytes())), v])
                .collect(),
        )
    }
}

pub(super) fn int_frame(n: u64) -> Frame {
    Frame::Integer(i64::try_from(n).unwrap_or(i64::MAX))
}

/// ```text
/// XINFO STREAM key [FULL [COUNT count]]
/// ```
pub fn xinfo_stream(ctx: &mut Ctx<'_>, argv: &[Bytes]) -> Result<Frame, ReplyError> {
    read(ctx, &argv[2])?.ok_or(ReplyError::NoSuchKey)?;
    let mut full = false;
    let mut count: i64 = 10;
    if argv.len() > 3 {
        let shape_ok = (argv.len() == 4 || argv.len() == 6)
            && args::is(&argv[3], "full")
            && (argv.len() == 4 || args::is(&argv[4], "count"));
        if !shape_ok {
            return Err(super::subcommand_syntax(argv));
        }
        full = true;
        if argv.len() == 6 {
            count = args::int(&argv[5])?;
            if count < 0 {
                count = 10;
            }
        }
    }
    let resp3 = ctx.client.protocol == Protocol::Resp3;
    // Looked up (and counted) above; peek sees the same value without counting again.
    let Some(Value::Stream(s)) = ctx.db().peek(&argv[2]).map(|e| &e.value) else {
        return Err(ReplyError::NoSuchKey);
    };
    let mut pairs = vec![
        ("length", int_frame(s.len())),
        ("radix-tree-keys", int_frame(s.node_count() as u64)),
        ("radix-tree-nodes", int_frame(s.rax_nodes() as u64)),
        ("last-generated-id", id_frame(s.last_id)),
        ("max-deleted-entry-id", id_frame(s.max_deleted_id)),
        ("entries-added", int_frame(s.entries_added)),
        ("recorded-first-entry-id", id_frame(s.first_id)),
    ];
    if full {
        let limit = if count == 0 {
            usize::MAX
        } else {
            usize::try_from(count).unwrap_or(usize::MAX)
        };
        let entries = s.range(StreamId::MIN, StreamId::MAX, false, limit);
        pairs.push(("entries", entries_frame(entries)));
        let groups = super::stream_cg::full_groups(resp3, s, limit);
        pairs.push(("groups", groups));
    } else {
        let edge = |rev| {
            s.range(StreamId::MIN, StreamId::MAX, rev, 1)
                .pop()
                .map_or(Frame::Null, entry_frame)
        };
        let (first, last) = (edge(false), edge(true));
        pairs.push(("groups", int_frame(s.groups.len() as u64)));
        pairs.push(("first-entry", first));
        pairs.push(("last-entry", last));
    }
    Ok(info_pairs_in(resp3, pairs))
}
