//! String commands (Redis `t_string.c`).

use bytes::{Bytes, BytesMut};
use shoal_common::{Frame, ReplyError};

use super::args;
use crate::db::compact::{EMBSTR_MAX, StrEncoding};
use crate::db::{CompactBytes, NO_EXPIRE, Value};
use crate::exec::Ctx;

/// Keyspace event class for string commands (`$`).
pub const EVENT_STRING: u8 = b'$';
/// Keyspace event class for generic commands (`g`).
pub const EVENT_GENERIC: u8 = b'g';

/// The string at `key`: `None` if missing, WRONGTYPE if another type. Counts hits/misses.
pub fn get_string(ctx: &mut Ctx<'_>, key: &[u8]) -> Result<Option<Bytes>, ReplyError> {
    let now = ctx.now_ms;
    let found = match ctx.db().get(key, now) {
        None => None,
        Some(e) => match &e.value {
            Value::String(s) => Some(s.to_bytes()),
            #[allow(unreachable_patterns)]
            _ => return Err(ReplyError::WrongType),
        },
    };
    if found.is_some() {
        ctx.srv.stats.keyspace_hits += 1;
    } else {
        ctx.key_miss(key);
    }
    Ok(found)
}

/// Fails with Redis's error when a string would exceed `proto-max-bulk-len`.
pub fn check_string_length(ctx: &Ctx<'_>, len: u64) -> Result<(), ReplyError> {
    let max = u64::try_from(ctx.srv.hot.proto_max_bulk_len).unwrap_or(u64::MAX);
    if len > max {
        return Err(ReplyError::other(
            "ERR string exceeds maximum allowed size (proto-max-bulk-len)",
        ));
    }
    Ok(())
}

/// ```text
/// GET key
/// ```
pub fn get(ctx: &mut Ctx<'_>, argv: &[Bytes]) -> Result<Frame, ReplyError> {
    Ok(get_string(ctx, &argv[1])?.map_or(Frame::Null, Frame::Bulk))
}

/// Options of SET and friends (Redis `parseExtendedStringArgumentsOrReply`).
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct SetOptions {
    /// NX: only if missing.
    pub nx: bool,
    /// XX: only if present.
    pub xx: bool,
    /// GET: reply with the old value.
    pub get: bool,
    /// KEEPTTL.
    pub keep_ttl: bool,
    /// Absolute expire time in ms, if any.
    pub expire_at_ms: Option<i64>,
}

/// Unit of an expire argument.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum ExpireArg {
    Ex,
    Px,
    ExAt,
    PxAt,
}

/// Converts an expire argument to absolute ms (Redis `getExpireMillisecondsOrReply`).
fn expire_ms(ctx: &Ctx<'_>, arg: &[u8], unit: ExpireArg, cmd: &str) -> Result<i64, ReplyError> {
    let v = args::int(arg)?;
    let bad = || ReplyError::InvalidExpireTime(cmd.to_string());
    let seconds = matches!(unit, ExpireArg::Ex | ExpireArg::ExAt);
    if v <= 0 || (seconds && v > i64::MAX / 1000) {
        return Err(bad());
    }
    let mut ms = if seconds { v * 1000 } else { v };
    if matches!(unit, ExpireArg::Ex | ExpireArg::Px) {
        ms = ms.checked_add(ctx.now_ms).ok_or_else(bad)?;
    }
    if ms <= 0 {
        return Err(bad());
    }
    Ok(ms)
}

fn parse_set_options(ctx: &Ctx<'_>, argv: &[Bytes]) -> Result<SetOptions, ReplyError> {
    let mut o = SetOptions::default();
    let mut unit: Option<ExpireArg> = None;
    let mut j = 3;
    while j < argv.len() {
        let a = &argv[j];
        let has_next = j + 1 < argv.len();
        let expire_kind = [
            ("ex", ExpireArg::Ex),
            ("px", ExpireArg::Px),
            ("exat", ExpireArg::ExAt),
            ("pxat", ExpireArg::PxAt),
        ]
        .into_iter()
        .find(|(w, _)| args::is(a, w))
        .map(|(_, k)| k);
        if args::is(a, "nx") && !o.xx {
            o.nx = true;
        } else if args::is(a, "xx") && !o.nx {
            o.xx = true;
        } else if args::is(a, "get") {
            o.get = true;
        } else if args::is(a, "keepttl") && unit.is_none() {
            o.keep_ttl = true;
        } else if let Some(kind) =
            expire_kind.filter(|k| !o.keep_ttl && unit.is_none_or(|u| u == *k) && has_next)
        {
            unit = Some(kind);
            j += 1;
            o.expire_at_ms = Some(j as i64); // resolved below, after syntax is known good
        } else {
            return Err(ReplyError::Syntax);
        }
        j += 1;
    }
    if let (Some(kind), Some(pos)) = (unit, o.expire_at_ms) {
        let pos = usize::try_from(pos).expect("invariant: stored an index");
        o.expire_at_ms = Some(expire_ms(ctx, &argv[pos], kind, "set")?);
    }
    Ok(o)
}

/// ```text
/// SET key value [NX | XX] [GET] [EX seconds | PX milliseconds |
///   EXAT unix-time-seconds | PXAT unix-time-milliseconds | KEEPTTL]
/// ```
pub fn set(ctx: &mut Ctx<'_>, argv: &[Bytes]) -> Result<Frame, ReplyError> {
    let o = parse_set_options(ctx, argv)?;
    set_generic(ctx, &argv[1], &argv[2], o)
}

/// The shared body of SET, SETNX, SETEX, PSETEX (Redis `setGenericCommand`).
pub fn set_generic(
    ctx: &mut Ctx<'_>,
    key: &Bytes,
    value: &Bytes,
    o: SetOptions,
) -> Result<Frame, ReplyError> {
    let old = if o.get { get_string(ctx, key)? } else { None };
    let now = ctx.now_ms;
    let found = ctx.db().contains(key, now);
    if (o.nx && found) || (o.xx && !found) {
        return Ok(if o.get {
            old.map_or(Frame::Null, Frame::Bulk)
        } else {
            Frame::Null
        });
    }
    // Copied from the argument (a clone of the `Bytes` would allocate its shared header
    // and still copy, since the argument keeps a reference).
    let value = Value::String(CompactBytes::from_slice(value));
    if o.keep_ttl {
        ctx.db().set_keep_ttl(key, value);
    } else {
        ctx.db()
            .set(key, value, o.expire_at_ms.unwrap_or(NO_EXPIRE));
    }
    ctx.signal_modified_key(key);
    ctx.notify(EVENT_STRING, "set", key);
    if o.expire_at_ms.is_some() {
        ctx.notify(EVENT_GENERIC, "expire", key);
    }
    Ok(if o.get {
        old.map_or(Frame::Null, Frame::Bulk)
    } else {
        Frame::ok()
    })
}

/// ```text
/// SETNX key value
/// ```
pub fn setnx(ctx: &mut Ctx<'_>, argv: &[Bytes]) -> Result<Frame, ReplyError> {
    let o = SetOptions {
        nx: true,
        ..SetOptions::default()
    };
    let r = set_generic(ctx, &argv[1], &argv[2], o)?;
    Ok(Frame::Integer(i64::from(r == Frame::ok())))
}

/// ```text
/// SETEX key seconds value
/// ```
pub fn setex(ctx: &mut Ctx<'_>, argv: &[Bytes]) -> Result<Frame, ReplyError> {
    set_with_expire(ctx, argv, ExpireArg::Ex, "setex")
}

/// SETEX and PSETEX: `key ttl value`, the TTL in `unit`.
fn set_with_expire(
    ctx: &mut Ctx<'_>,
    argv: &[Bytes],
    unit: ExpireArg,
    name: &str,
) -> Result<Frame, ReplyError> {
    let at = expire_ms(ctx, &argv[2], unit, name)?;
    let o = SetOptions {
        expire_at_ms: Some(at),
        ..SetOptions::default()
    };
    set_generic(ctx, &argv[1], &argv[3], o)
}

/// ```text
/// MGET key [key ...]
/// ```
pub fn mget(ctx: &mut Ctx<'_>, argv: &[Bytes]) -> Result<Frame, ReplyError> {
    let mut out = Vec::with_capacity(argv.len() - 1);
    for key in &argv[1..] {
        out.push(
            get_string(ctx, key)
                .ok()
                .flatten()
                .map_or(Frame::Null, Frame::Bulk),
        );
    }
    Ok(Frame::Array(out))
}

/// ```text
/// MSET key value [key value ...]
/// ```
pub fn mset(ctx: &mut Ctx<'_>, argv: &[Bytes]) -> Result<Frame, ReplyError> {
    if argv.len().is_multiple_of(2) {
        return Err(ReplyError::WrongArity("mset".into()));
    }
    let now = ctx.now_ms;
    for pair in argv[1..].chunks_exact(2) {
        // Redis `setKey` looks the key up for writing first: lazy expiry, and an access
        // that an LFU counter keeps through the overwrite.
        ctx.db().contains(&pair[0], now);
        ctx.db()
            .set(&pair[0], Value::String((&pair[1]).into()), NO_EXPIRE);
        ctx.signal_modified_key(&pair[0]);
        ctx.notify(EVENT_STRING, "set", &pair[0]);
    }
    Ok(Frame::ok())
}

/// INCR/DECR/INCRBY/DECRBY body (Redis `incrDecrCommand`): keeps the key's TTL.
/// The counter is updated in place: one lookup, no allocation (Redis likewise rewrites an
/// unshared integer object in place).
fn incr_by(ctx: &mut Ctx<'_>, key: &Bytes, by: i64) -> Result<Frame, ReplyError> {
    let now = ctx.now_ms;
    let db = ctx.db();
    let access = db.access;
    let new = match db.get_mut(key, now) {
        None => {
            db.set(key, Value::String(CompactBytes::from_i64(by)), NO_EXPIRE);
            by
        }
        Some(e) => {
            let Value::String(s) = &mut e.value else {
                return Err(ReplyError::WrongType);
            };
            let cur = shoal_common::number::parse_i64(s).ok_or(ReplyError::NotInteger)?;
            let new = cur.checked_add(by).ok_or(ReplyError::Overflow)?;
            *s = CompactBytes::from_i64(new);
            // A new value's clock, except that an LFU counter survives (Redis
            // `dbSetValue`), as `Db::set_keep_ttl`.
            if !access.lfu {
                e.lru = access.fresh();
            }
            new
        }
    };
    ctx.signal_modified_key(key);
    ctx.notify(EVENT_STRING, "incrby", key);
    Ok(Frame::Integer(new))
}

/// ```text
/// INCR key
/// ```
pub fn incr(ctx: &mut Ctx<'_>, argv: &[Bytes]) -> Result<Frame, ReplyError> {
    incr_by(ctx, &argv[1], 1)
}

/// ```text
/// DECR key
/// ```
pub fn decr(ctx: &mut Ctx<'_>, argv: &[Bytes]) -> Result<Frame, ReplyError> {
    incr_by(ctx, &argv[1], -1)
}

/// ```text
/// INCRBY key increment
/// ```
pub fn incrby(ctx: &mut Ctx<'_>, argv: &[Bytes]) -> Result<Frame, ReplyError> {
    let by = args::int(&argv[2])?;
    incr_by(ctx, &argv[1], by)
}

/// ```text
/// DECRBY key decrement
/// ```
pub fn decrby(ctx: &mut Ctx<'_>, argv: &[Bytes]) -> Result<Frame, ReplyError> {
    let by = args::int(&argv[2])?;
    if by == i64::MIN {
        return Err(ReplyError::other("ERR decrement would overflow"));
    }
    incr_by(ctx, &argv[1], -by)
}

/// ```text
/// APPEND key value
/// ```
pub fn append(ctx: &mut Ctx<'_>, argv: &[Bytes]) -> Result<Frame, ReplyError> {
    let key = &argv[1];
    let cur = get_string_for_write(ctx, key)?;
    // A new key holds the argument as SET stores it; an appended one becomes `raw`.
    let new = match cur {
        None => CompactBytes::from(&argv[2]),
        Some(old) => {
            check_string_length(ctx, (old.len() + argv[2].len()) as u64)?;
            let mut v = Vec::with_capacity(old.len() + argv[2].len());
            v.extend_from_slice(&old);
            v.extend_from_slice(&argv[2]);
            CompactBytes::tagged(v, StrEncoding::Raw)
        }
    };
    let len = new.len();
    ctx.db().set_keep_ttl(key.clone(), Value::String(new));
    ctx.signal_modified_key(key);
    ctx.notify(EVENT_STRING, "append", key);
    Ok(Frame::Integer(i64::try_from(len).unwrap_or(i64::MAX)))
}

/// ```text
/// STRLEN key
/// ```
pub fn strlen(ctx: &mut Ctx<'_>, argv: &[Bytes]) -> Result<Frame, ReplyError> {
    let len = get_string(ctx, &argv[1])?.map_or(0, |s| s.len());
    Ok(Frame::Integer(i64::try_from(len).unwrap_or(i64::MAX)))
}

/// ```text
/// PSETEX key milliseconds value
/// ```
pub fn psetex(ctx: &mut Ctx<'_>, argv: &[Bytes]) -> Result<Frame, ReplyError> {
    set_with_expire(ctx, argv, ExpireArg::Px, "psetex")
}

/// ```text
/// GETSET key value
/// ```
pub fn getset(ctx: &mut Ctx<'_>, argv: &[Bytes]) -> Result<Frame, ReplyError> {
    let key = &argv[1];
    let old = get_string(ctx, key)?;
    // A second lookup, as Redis's `setKey` does after the read (LFU counts both).
    let now = ctx.now_ms;
    ctx.db().contains(key, now);
    ctx.db()
        .set(key.clone(), Value::String((&argv[2]).into()), NO_EXPIRE);
    ctx.signal_modified_key(key);
    ctx.notify(EVENT_STRING, "set", key);
    Ok(old.map_or(Frame::Null, Frame::Bulk))
}

/// ```text
/// GETDEL key
/// ```
pub fn getdel(ctx: &mut Ctx<'_>, argv: &[Bytes]) -> Result<Frame, ReplyError> {
    let key = &argv[1];
    let Some(old) = get_string(ctx, key)? else {
        return Ok(Frame::Null);
    };
    ctx.db().remove(key);
    ctx.signal_modified_key(key);
    ctx.notify(EVENT_GENERIC, "del", key);
    Ok(Frame::Bulk(old))
}

/// What GETEX does to the TTL.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum GetexAction {
    Keep,
    Persist,
    Expire(ExpireArg, usize),
}

/// GETEX options (Redis `parseExtendedStringArgumentsOrReply` with `COMMAND_GET`): one of
/// EX/PX/EXAT/PXAT (repeating the same one is allowed, the last wins) or PERSIST.
fn parse_getex_options(argv: &[Bytes]) -> Result<GetexAction, ReplyError> {
    let mut action = GetexAction::Keep;
    let mut j = 2;
    while j < argv.len() {
        let a = &argv[j];
        let has_next = j + 1 < argv.len();
        let kind = [
            ("ex", ExpireArg::Ex),
            ("px", ExpireArg::Px),
            ("exat", ExpireArg::ExAt),
            ("pxat", ExpireArg::PxAt),
        ]
        .into_iter()
        .find(|(w, _)| args::is(a, w))
        .map(|(_, k)| k);
        match (action, kind) {
            (GetexAction::Keep, None) if args::is(a, "persist") => action = GetexAction::Persist,
            (GetexAction::Persist, None) if args::is(a, "persist") => {}
            (GetexAction::Keep, Some(k)) if has_next => {
                action = GetexAction::Expire(k, j + 1);
                j += 1;
            }
            (GetexAction::Expire(prev, _), Some(k)) if prev == k && has_next => {
                action = GetexAction::Expire(k, j + 1);
                j += 1;
            }
            _ => return Err(ReplyError::Syntax),
        }
        j += 1;
    }
    Ok(action)
}

/// ```text
/// GETEX key [EX seconds | PX milliseconds | EXAT unix-time-seconds |
///   PXAT unix-time-milliseconds | PERSIST]
/// ```
pub fn getex(ctx: &mut Ctx<'_>, argv: &[Bytes]) -> Result<Frame, ReplyError> {
    let action = parse_getex_options(argv)?;
    let key = &argv[1];
    let Some(value) = get_string(ctx, key)? else {
        return Ok(Frame::Null);
    };
    match action {
        GetexAction::Keep => {}
        GetexAction::Persist => {
            let now = ctx.now_ms;
            let had = ctx
                .db()
                .get(key, now)
                .is_some_and(|e| e.expire_at_ms != NO_EXPIRE);
            if had {
                ctx.db().set_expire(key, NO_EXPIRE);
                ctx.signal_modified_key(key);
                ctx.notify(EVENT_GENERIC, "persist", key);
            }
        }
        GetexAction::Expire(kind, pos) => {
            let at = expire_ms(ctx, &argv[pos], kind, "getex")?;
            let absolute = matches!(kind, ExpireArg::ExAt | ExpireArg::PxAt);
            if absolute && at <= ctx.now_ms {
                ctx.db().remove(key);
                ctx.signal_modified_key(key);
                ctx.notify(EVENT_GENERIC, "del", key);
            } else {
                ctx.db().set_expire(key, at);
                ctx.signal_modified_key(key);
                ctx.notify(EVENT_GENERIC, "expire", key);
            }
        }
    }
    Ok(Frame::Bulk(value))
}

/// ```text
/// MSETNX key value [key value ...]
/// ```
pub fn msetnx(ctx: &mut Ctx<'_>, argv: &[Bytes]) -> Result<Frame, ReplyError> {
    if argv.len().is_multiple_of(2) {
        return Err(ReplyError::WrongArity("msetnx".into()));
    }
    let now = ctx.now_ms;
    for pair in argv[1..].chunks_exact(2) {
        if ctx.db().contains(&pair[0], now) {
            return Ok(Frame::Integer(0));
        }
    }
    mset(ctx, argv)?;
    Ok(Frame::Integer(1))
}

/// ```text
/// INCRBYFLOAT key increment
/// ```
pub fn incrbyfloat(ctx: &mut Ctx<'_>, argv: &[Bytes]) -> Result<Frame, ReplyError> {
    use super::long_double::LongDouble;
    let key = &argv[1];
    let now = ctx.now_ms;
    let cur = match ctx.db().get(key, now) {
        None => None,
        Some(e) => match &e.value {
            Value::String(s) => Some(s.to_bytes()),
            #[allow(unreachable_patterns)]
            _ => return Err(ReplyError::WrongType),
        },
    };
    let cur = match cur {
        None => LongDouble::parse(b"0"),
        Some(s) => LongDouble::parse(&s),
    }
    .ok_or(ReplyError::NotFloat)?;
    let by = LongDouble::parse(&argv[2]).ok_or(ReplyError::NotFloat)?;
    let sum = cur
        .checked_add(by)
        .ok_or_else(|| ReplyError::other("ERR increment would produce NaN or Infinity"))?;
    let text = Bytes::from(sum.to_human_string());
    // Redis stores the result without trying the integer encoding: `embstr` when short.
    let value = if text.len() <= EMBSTR_MAX {
        CompactBytes::tagged(&text[..], StrEncoding::Embstr)
    } else {
        CompactBytes::from(&text)
    };
    ctx.db().set_keep_ttl(key.clone(), Value::String(value));
    ctx.signal_modified_key(key);
    ctx.notify(EVENT_STRING, "incrbyfloat", key);
    Ok(Frame::Bulk(text))
}

/// ```text
/// GETRANGE key start end
/// ```
pub fn getrange(ctx: &mut Ctx<'_>, argv: &[Bytes]) -> Result<Frame, ReplyError> {
    let start = args::int(&argv[2])?;
    let end = args::int(&argv[3])?;
    let s = get_string(ctx, &argv[1])?.unwrap_or_default();
    Ok(Frame::Bulk(byte_range(&s, start, end)))
}

/// Redis `getrangeCommand`'s index rules: negative indexes count from the end, both are
/// clamped, an empty range gives an empty string.
fn byte_range(s: &Bytes, start: i64, end: i64) -> Bytes {
    let len = i64::try_from(s.len()).unwrap_or(i64::MAX);
    if (start < 0 && end < 0 && start > end) || len == 0 {
        return Bytes::new();
    }
    let start = if start < 0 { len + start } else { start }.max(0);
    let end = if end < 0 { len + end } else { end }.max(0).min(len - 1);
    if start > end {
        return Bytes::new();
    }
    let (a, b) = (
        usize::try_from(start).expect("invariant: 0 <= start <= end < len"),
        usize::try_from(end).expect("invariant: 0 <= end < len"),
    );
    s.slice(a..=b)
}

/// ```text
/// SUBSTR key start end
/// ```
pub fn substr(ctx: &mut Ctx<'_>, argv: &[Bytes]) -> Result<Frame, ReplyError> {
    getrange(ctx, argv)
}

/// ```text
/// SETRANGE key offset value
/// ```
pub fn setrange(ctx: &mut Ctx<'_>, argv: &[Bytes]) -> Result<Frame, ReplyError> {
    let key = &argv[1];
    let value = &argv[3];
    let offset = args::int(&argv[2])?;
    if offset < 0 {
        return Err(ReplyError::other("ERR offset is out of range"));
    }
    let offset = u64::try_from(offset).expect("invariant: offset >= 0");
    // The lookup that counts as the access is modify_string's; this one only measures.
    let now = ctx.now_ms;
    let cur_len = match ctx.db().get_untouched(key, now) {
        None => 0,
        Some(e) => match &e.value {
            Value::String(s) => s.len(),
            #[allow(unreachable_patterns)]
            _ => return Err(ReplyError::WrongType),
        },
    };
    if value.is_empty() {
        // Nothing to write: the current length (0 for a missing key, which stays missing).
        return Ok(len_frame(cur_len));
    }
    let end = offset.saturating_add(value.len() as u64);
    check_string_length(ctx, end)?;
    let start = usize::try_from(offset).expect("invariant: checked against proto-max-bulk-len");
    let end = usize::try_from(end).expect("invariant: checked against proto-max-bulk-len");
    let (len, _) = modify_string(ctx, key, end, |b| {
        b[start..end].copy_from_slice(value);
        b.len()
    })?;
    ctx.signal_modified_key(key);
    ctx.notify(EVENT_STRING, "setrange", key);
    Ok(len_frame(len))
}

fn len_frame(len: usize) -> Frame {
    Frame::Integer(i64::try_from(len).unwrap_or(i64::MAX))
}

/// The string at `key` for a write (no hit/miss counting, as `lookupKeyWrite`).
pub fn get_string_for_write(ctx: &mut Ctx<'_>, key: &[u8]) -> Result<Option<Bytes>, ReplyError> {
    let now = ctx.now_ms;
    match ctx.db().get(key, now) {
        None => Ok(None),
        Some(e) => match &e.value {
            Value::String(s) => Ok(Some(s.to_bytes())),
            #[allow(unreachable_patterns)]
            _ => Err(ReplyError::WrongType),
        },
    }
}

/// LCS options.
#[derive(Debug, Default)]
struct LcsOptions {
    len: bool,
    idx: bool,
    with_match_len: bool,
    min_match_len: u64,
}

fn parse_lcs_options(argv: &[Bytes]) -> Result<LcsOptions, ReplyError> {
    let mut o = LcsOptions::default();
    let mut j = 3;
    while j < argv.len() {
        let a = &argv[j];
        if args::is(a, "idx") {
            o.idx = true;
        } else if args::is(a, "len") {
            o.len = true;
        } else if args::is(a, "withmatchlen") {
            o.with_match_len = true;
        } else if args::is(a, "minmatchlen") && j + 1 < argv.len() {
            o.min_match_len = u64::try_from(args::int(&argv[j + 1])?.max(0)).unwrap_or(0);
            j += 1;
        } else {
            return Err(ReplyError::Syntax);
        }
        j += 1;
    }
    if o.idx && o.len {
        return Err(ReplyError::other(
            "ERR If you want both the length and indexes, please just use IDX.",
        ));
    }
    Ok(o)
}

/// ```text
/// LCS key1 key2 [LEN] [IDX] [MINMATCHLEN min-match-len] [WITHMATCHLEN]
/// ```
pub fn lcs(ctx: &mut Ctx<'_>, argv: &[Bytes]) -> Result<Frame, ReplyError> {
    let not_strings = || ReplyError::other("ERR The specified keys must contain string values");
    let a = get_string(ctx, &argv[1]).map_err(|_| not_strings())?;
    let b = get_string(ctx, &argv[2]).map_err(|_| not_strings())?;
    let o = parse_lcs_options(argv)?;
    let (a, b) = (a.unwrap_or_default(), b.unwrap_or_default());
    let cells = (a.len() as u64 + 1).saturating_mul(b.len() as u64 + 1);
    let max = u64::try_from(ctx.srv.hot.proto_max_bulk_len).unwrap_or(0);
    if cells.saturating_mul(4) > max {
        return Err(ReplyError::other(
            "ERR Insufficient memory, transient memory for LCS exceeds proto-max-bulk-len",
        ));
    }
    let table = LcsTable::build(&a, &b).ok_or_else(|| {
        ReplyError::other("ERR Insufficient memory, failed allocating transient memory for LCS")
    })?;
    let total = table.at(a.len(), b.len());
    if o.len {
        return Ok(Frame::Integer(i64::from(total)));
    }
    let (text, ranges) = table.walk(&a, &b);
    if !o.idx {
        return Ok(Frame::Bulk(text));
    }
    let matches = ranges
        .into_iter()
        .filter(|r| o.min_match_len == 0 || u64::from(r.len) >= o.min_match_len)
        .map(|r| {
            let int = |v: u32| Frame::Integer(i64::from(v));
            let mut m = vec![
                Frame::Array(vec![int(r.a_start), int(r.a_end)]),
                Frame::Array(vec![int(r.b_start), int(r.b_end)]),
            ];
            if o.with_match_len {
                m.push(int(r.len));
            }
            Frame::Array(m)
        })
        .collect();
    Ok(Frame::Map(vec![
        (Frame::bulk("matches"), Frame::Array(matches)),
        (Frame::bulk("len"), Frame::Integer(i64::from(total))),
    ]))
}

/// One matching range of an LCS (inclusive indexes).
struct LcsRange {
    a_start: u32,
    a_end: u32,
    b_start: u32,
    b_end: u32,
    len: u32,
}

/// The dynamic-programming table of Redis `lcsCommand`: `at(i, j)` is the LCS length of
/// `a[..i]` and `b[..j]`.
struct LcsTable {
    cells: Vec<u32>,
    width: usize,
}

impl LcsTable {
    fn build(a: &[u8], b: &[u8]) -> Option<LcsTable> {
        let width = b.len() + 1;
        let n = (a.len() + 1).checked_mul(width)?;
        let mut cells = Vec::new();
        cells.try_reserve_exact(n).ok()?;
        cells.resize(n, 0u32);
        for i in 1..=a.len() {
            for j in 1..=b.len() {
                cells[i * width + j] = if a[i - 1] == b[j - 1] {
                    cells[(i - 1) * width + j - 1] + 1
                } else {
                    cells[(i - 1) * width + j].max(cells[i * width + j - 1])
                };
            }
        }
        Some(LcsTable { cells, width })
    }

    fn at(&self, i: usize, j: usize) -> u32 {
        self.cells[i * self.width + j]
    }

    /// The LCS string and its ranges, walking back from the end exactly as Redis does (so
    /// ties between equal-length paths resolve the same way).
    fn walk(&self, a: &[u8], b: &[u8]) -> (Bytes, Vec<LcsRange>) {
        let total = self.at(a.len(), b.len()) as usize;
        let mut text = vec![0u8; total];
        let mut idx = total;
        let mut ranges = Vec::new();
        let (mut i, mut j) = (a.len(), b.len());
        let u = |v: usize| u32::try_from(v).expect("invariant: LCS inputs are < 4 GiB");
        // `None`: no range being tracked (Redis uses arange_start == alen for that).
        let mut cur: Option<(usize, usize, usize, usize)> = None;
        while i > 0 && j > 0 {
            let mut emit = false;
            if a[i - 1] == b[j - 1] {
                text[idx - 1] = a[i - 1];
                cur = match cur {
                    None => Some((i - 1, i - 1, j - 1, j - 1)),
                    Some((a_s, a_e, b_s, b_e)) if a_s == i && b_s == j => {
                        Some((a_s - 1, a_e, b_s - 1, b_e))
                    }
                    Some(r) => {
                        emit = true;
                        Some(r)
                    }
                };
                if cur.is_some_and(|(a_s, _, b_s, _)| a_s == 0 || b_s == 0) {
                    emit = true;
                }
                idx -= 1;
                i -= 1;
                j -= 1;
            } else {
                if self.at(i - 1, j) > self.at(i, j - 1) {
                    i -= 1;
                } else {
                    j -= 1;
                }
                emit = cur.is_some();
            }
            if emit && let Some((a_s, a_e, b_s, b_e)) = cur.take() {
                ranges.push(LcsRange {
                    a_start: u(a_s),
                    a_end: u(a_e),
                    b_start: u(b_s),
                    b_end: u(b_e),
                    len: u(a_e - a_s + 1),
                });
            }
        }
        (Bytes::from(text), ranges)
    }
}

/// Changes the string at `key` in place (Redis `lookupStringForBitCommand` +
/// `dbUnshareStringValue`): creates it empty if missing, zero-pads it to at least `min_len`
/// bytes, then runs `f` on its bytes. The bytes are reused without a copy when nothing else
/// holds them, so SETBIT on a large bitmap costs O(1). Returns `f`'s result and whether the
/// key was created or grew. The TTL is kept.
pub fn modify_string<R>(
    ctx: &mut Ctx<'_>,
    key: &Bytes,
    min_len: usize,
    f: impl FnOnce(&mut BytesMut) -> R,
) -> Result<(R, bool), ReplyError> {
    let now = ctx.now_ms;
    let db = ctx.db();
    let created = match db.get(key, now) {
        None => {
            db.set(key.clone(), Value::String(CompactBytes::new()), NO_EXPIRE);
            true
        }
        Some(e) if matches!(e.value, Value::String(_)) => false,
        Some(_) => return Err(ReplyError::WrongType),
    };
    let entry = db
        .peek_mut(key)
        .expect("invariant: the key was found or created above");
    let Value::String(s) = &mut entry.value else {
        return Err(ReplyError::WrongType);
    };
    let mut buf = s.take_mut();
    let grew = buf.len() < min_len;
    if grew {
        buf.resize(min_len, 0);
    }
    let r = f(&mut buf);
    // Redis's `dbUnshareStringValue` leaves a `raw` string, whatever its length.
    *s = CompactBytes::tagged(buf, StrEncoding::Raw);
    Ok((r, created || grew))
}
