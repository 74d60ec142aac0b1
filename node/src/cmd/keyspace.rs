//! Keyspace commands (Redis `db.c` and `expire.c` commands): DEL, EXISTS, TYPE, KEYS,
//! EXPIRE family, TTL family, PERSIST.

use bytes::Bytes;
use shoal_common::glob::glob_match;
use shoal_common::{Frame, ReplyError};

use super::args;
use super::string::EVENT_GENERIC;
use crate::db::NO_EXPIRE;
use crate::exec::Ctx;

fn count(n: usize) -> Frame {
    Frame::Integer(i64::try_from(n).unwrap_or(i64::MAX))
}

/// ```text
/// DEL key [key ...]
/// UNLINK key [key ...]
/// ```
pub fn del(ctx: &mut Ctx<'_>, argv: &[Bytes]) -> Result<Frame, ReplyError> {
    let now = ctx.now_ms;
    let mut n = 0;
    for key in &argv[1..] {
        if ctx.db().expire_if_needed(key, now) {
            continue;
        }
        if ctx.db().remove(key).is_some() {
            n += 1;
            ctx.signal_modified_key(key);
            ctx.notify(EVENT_GENERIC, "del", key);
        }
    }
    Ok(count(n))
}

/// ```text
/// EXISTS key [key ...]
/// ```
pub fn exists(ctx: &mut Ctx<'_>, argv: &[Bytes]) -> Result<Frame, ReplyError> {
    let now = ctx.now_ms;
    let n = argv[1..]
        .iter()
        .filter(|k| ctx.db().contains(k, now))
        .count();
    Ok(count(n))
}

/// ```text
/// TYPE key
/// ```
pub fn type_(ctx: &mut Ctx<'_>, argv: &[Bytes]) -> Result<Frame, ReplyError> {
    let now = ctx.now_ms;
    let name = ctx
        .db()
        .get(&argv[1], now)
        .map_or("none", |e| e.value.type_name());
    Ok(Frame::simple(name))
}

/// ```text
/// KEYS pattern
/// ```
pub fn keys(ctx: &mut Ctx<'_>, argv: &[Bytes]) -> Result<Frame, ReplyError> {
    let now = ctx.now_ms;
    let pattern = &argv[1];
    let all = pattern.as_ref() == b"*";
    let db = ctx.db();
    let out: Vec<Frame> = db
        .iter()
        .filter(|(_, e)| e.expire_at_ms == NO_EXPIRE || e.expire_at_ms > now)
        .filter(|(k, _)| all || glob_match(pattern, k, false))
        .map(|(k, _)| Frame::Bulk(k.clone()))
        .collect();
    Ok(Frame::Array(out))
}

/// EXPIRE condition flags.
#[derive(Debug, Default, Clone, Copy)]
struct ExpireFlags {
    nx: bool,
    xx: bool,
    gt: bool,
    lt: bool,
}

fn parse_expire_flags(argv: &[Bytes]) -> Result<ExpireFlags, ReplyError> {
    let mut f = ExpireFlags::default();
    for a in argv {
        if args::is(a, "nx") {
            f.nx = true;
        } else if args::is(a, "xx") {
            f.xx = true;
        } else if args::is(a, "gt") {
            f.gt = true;
        } else if args::is(a, "lt") {
            f.lt = true;
        } else {
            return Err(ReplyError::err(format!(
                "Unsupported option {}",
                String::from_utf8_lossy(a)
            )));
        }
    }
    if f.nx && (f.xx || f.gt || f.lt) {
        return Err(ReplyError::other(
            "ERR NX and XX, GT or LT options at the same time are not compatible",
        ));
    }
    if f.gt && f.lt {
        return Err(ReplyError::other(
            "ERR GT and LT options at the same time are not compatible",
        ));
    }
    Ok(f)
}

/// The body of EXPIRE, PEXPIRE, EXPIREAT, PEXPIREAT (Redis `expireGenericCommand`).
/// `unit_ms` is 1000 for seconds; `base_ms` is now for relative forms, 0 for absolute ones.
pub fn expire_generic(
    ctx: &mut Ctx<'_>,
    argv: &[Bytes],
    base_ms: i64,
    unit_ms: i64,
    name: &str,
) -> Result<Frame, ReplyError> {
    let key = &argv[1];
    let flags = parse_expire_flags(&argv[3..])?;
    let when = args::int(&argv[2])?;
    let bad = || ReplyError::InvalidExpireTime(name.to_string());
    let when = when.checked_mul(unit_ms).ok_or_else(bad)?;
    let when = when.checked_add(base_ms).ok_or_else(bad)?;
    let now = ctx.now_ms;
    let Some(entry) = ctx.db().get(key, now) else {
        return Ok(Frame::Integer(0));
    };
    let current = entry.expire_at_ms;
    let has_ttl = current != NO_EXPIRE;
    if (flags.nx && has_ttl)
        || (flags.xx && !has_ttl)
        || (flags.gt && (!has_ttl || when <= current))
        || (flags.lt && has_ttl && when >= current)
    {
        return Ok(Frame::Integer(0));
    }
    if when <= now {
        // Already expired: delete now, as Redis's `checkAlreadyExpired` does.
        ctx.db().remove(key);
        ctx.signal_modified_key(key);
        ctx.notify(EVENT_GENERIC, "del", key);
        return Ok(Frame::Integer(1));
    }
    ctx.db().set_expire(key, when);
    ctx.signal_modified_key(key);
    ctx.notify(EVENT_GENERIC, "expire", key);
    Ok(Frame::Integer(1))
}

/// ```text
/// EXPIRE key seconds [NX | XX | GT | LT]
/// ```
pub fn expire(ctx: &mut Ctx<'_>, argv: &[Bytes]) -> Result<Frame, ReplyError> {
    let now = ctx.now_ms;
    expire_generic(ctx, argv, now, 1000, "expire")
}

/// ```text
/// PEXPIRE key milliseconds [NX | XX | GT | LT]
/// ```
pub fn pexpire(ctx: &mut Ctx<'_>, argv: &[Bytes]) -> Result<Frame, ReplyError> {
    let now = ctx.now_ms;
    expire_generic(ctx, argv, now, 1, "pexpire")
}

/// Remaining TTL in ms: -2 missing, -1 no TTL.
fn ttl_ms(ctx: &mut Ctx<'_>, key: &[u8]) -> i64 {
    let now = ctx.now_ms;
    match ctx.db().get(key, now) {
        None => -2,
        Some(e) if e.expire_at_ms == NO_EXPIRE => -1,
        Some(e) => (e.expire_at_ms - now).max(0),
    }
}

/// ```text
/// TTL key
/// ```
pub fn ttl(ctx: &mut Ctx<'_>, argv: &[Bytes]) -> Result<Frame, ReplyError> {
    let ms = ttl_ms(ctx, &argv[1]);
    Ok(Frame::Integer(if ms < 0 { ms } else { (ms + 500) / 1000 }))
}

/// ```text
/// PTTL key
/// ```
pub fn pttl(ctx: &mut Ctx<'_>, argv: &[Bytes]) -> Result<Frame, ReplyError> {
    Ok(Frame::Integer(ttl_ms(ctx, &argv[1])))
}

/// ```text
/// PERSIST key
/// ```
pub fn persist(ctx: &mut Ctx<'_>, argv: &[Bytes]) -> Result<Frame, ReplyError> {
    let now = ctx.now_ms;
    let key = &argv[1];
    let had = ctx
        .db()
        .get(key, now)
        .is_some_and(|e| e.expire_at_ms != NO_EXPIRE);
    if !had {
        return Ok(Frame::Integer(0));
    }
    ctx.db().set_expire(key, NO_EXPIRE);
    ctx.signal_modified_key(key);
    ctx.notify(EVENT_GENERIC, "persist", key);
    Ok(Frame::Integer(1))
}
