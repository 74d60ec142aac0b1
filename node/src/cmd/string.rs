//! String commands (Redis `t_string.c`).

use bytes::Bytes;
use shoal_common::{Frame, ReplyError};

use super::args;
use crate::db::{NO_EXPIRE, Value};
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
            Value::String(s) => Some(s.clone()),
            #[allow(unreachable_patterns)]
            _ => return Err(ReplyError::WrongType),
        },
    };
    if found.is_some() {
        ctx.srv.stats.keyspace_hits += 1;
    } else {
        ctx.srv.stats.keyspace_misses += 1;
    }
    Ok(found)
}

/// Fails with Redis's error when a string would exceed `proto-max-bulk-len`.
pub fn check_string_length(ctx: &Ctx<'_>, len: u64) -> Result<(), ReplyError> {
    let max = u64::try_from(ctx.srv.config.get_i64("proto-max-bulk-len")).unwrap_or(u64::MAX);
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
    set_generic(ctx, argv[1].clone(), argv[2].clone(), o)
}

/// The shared body of SET, SETNX, SETEX, PSETEX (Redis `setGenericCommand`).
pub fn set_generic(
    ctx: &mut Ctx<'_>,
    key: Bytes,
    value: Bytes,
    o: SetOptions,
) -> Result<Frame, ReplyError> {
    let old = if o.get { get_string(ctx, &key)? } else { None };
    let now = ctx.now_ms;
    let found = ctx.db().contains(&key, now);
    if (o.nx && found) || (o.xx && !found) {
        return Ok(if o.get {
            old.map_or(Frame::Null, Frame::Bulk)
        } else {
            Frame::Null
        });
    }
    let value = Value::String(value);
    if o.keep_ttl {
        ctx.db().set_keep_ttl(key.clone(), value);
    } else {
        ctx.db()
            .set(key.clone(), value, o.expire_at_ms.unwrap_or(NO_EXPIRE));
    }
    ctx.signal_modified_key(&key);
    ctx.notify(EVENT_STRING, "set", &key);
    if o.expire_at_ms.is_some() {
        ctx.notify(EVENT_GENERIC, "expire", &key);
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
    let r = set_generic(ctx, argv[1].clone(), argv[2].clone(), o)?;
    Ok(Frame::Integer(i64::from(r == Frame::ok())))
}

/// ```text
/// SETEX key seconds value
/// ```
pub fn setex(ctx: &mut Ctx<'_>, argv: &[Bytes]) -> Result<Frame, ReplyError> {
    let at = expire_ms(ctx, &argv[2], ExpireArg::Ex, "setex")?;
    let o = SetOptions {
        expire_at_ms: Some(at),
        ..SetOptions::default()
    };
    set_generic(ctx, argv[1].clone(), argv[3].clone(), o)
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
    for pair in argv[1..].chunks_exact(2) {
        ctx.db()
            .set(pair[0].clone(), Value::String(pair[1].clone()), NO_EXPIRE);
        ctx.signal_modified_key(&pair[0]);
        ctx.notify(EVENT_STRING, "set", &pair[0]);
    }
    Ok(Frame::ok())
}

/// INCR/DECR/INCRBY/DECRBY body (Redis `incrDecrCommand`): keeps the key's TTL.
fn incr_by(ctx: &mut Ctx<'_>, key: &Bytes, by: i64) -> Result<Frame, ReplyError> {
    let cur = match get_string(ctx, key)? {
        None => 0,
        Some(s) => shoal_common::number::parse_i64(&s).ok_or(ReplyError::NotInteger)?,
    };
    let new = cur.checked_add(by).ok_or(ReplyError::Overflow)?;
    ctx.db().set_keep_ttl(
        key.clone(),
        Value::String(Frame::bulk_i64(new).as_bytes().cloned().unwrap_or_default()),
    );
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
    let cur = get_string(ctx, key)?;
    let new = match cur {
        None => argv[2].clone(),
        Some(old) => {
            check_string_length(ctx, (old.len() + argv[2].len()) as u64)?;
            let mut v = Vec::with_capacity(old.len() + argv[2].len());
            v.extend_from_slice(&old);
            v.extend_from_slice(&argv[2]);
            Bytes::from(v)
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
