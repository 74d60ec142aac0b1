//! Sorted-set commands (Redis `t_zset.c`).
//!
//! Layout: this file holds lookups, reply shapes and the single-member commands (ZADD,
//! ZINCRBY, ZREM, ZCARD, ZSCORE, ZMSCORE, ZRANK, ZREVRANK); [`range`] the range parsing and
//! every range command (ZRANGE family, ZCOUNT, ZLEXCOUNT, ZREMRANGEBY*); [`algebra`] ZUNION,
//! ZINTER, ZDIFF, their STORE forms and ZINTERCARD; [`pop`] ZPOPMIN/ZPOPMAX/ZMPOP,
//! ZRANDMEMBER and ZSCAN.
//!
//! Checklist for a writing command (as `t_zset.c` does): delete the key when its last member
//! goes, then `signal_modified_key` and `notify` with Redis's event name (`zadd`, `zincr`,
//! `zrem`, `zremrangebyscore`, ... and `del` when the key went away).

pub mod algebra;
pub mod pop;
pub mod range;

use bytes::Bytes;
use shoal_common::number;
use shoal_common::resp::Protocol;
use shoal_common::{Frame, ReplyError};

use crate::db::Value;
use crate::db::zset::{Limits, ZSet};
use crate::exec::Ctx;

/// Keyspace event class for sorted-set commands (`z`).
pub const EVENT_ZSET: u8 = b'z';
/// Keyspace event class for generic events (`g`).
pub const EVENT_GENERIC: u8 = b'g';

/// The error for a NaN produced by an increment or an aggregate.
pub const NAN_ERROR: ReplyError = ReplyError::other("ERR resulting score is not a number (NaN)");

/// The listpack thresholds from the configuration.
pub fn limits(ctx: &Ctx<'_>) -> Limits {
    let hot = &ctx.srv.hot;
    Limits {
        max_entries: hot.zset_max_listpack_entries,
        max_value: hot.zset_max_listpack_value,
    }
}

/// The sorted set at `key` for reading (counts keyspace hits and misses).
pub fn read<'c>(ctx: &'c mut Ctx<'_>, key: &[u8]) -> Result<Option<&'c ZSet>, ReplyError> {
    super::read_as(ctx, key, |v| match v {
        Value::ZSet(x) => Some(x),
        _ => None,
    })
}

/// The sorted set at `key` for writing: `None` if missing, WRONGTYPE for another type.
pub fn write<'c>(ctx: &'c mut Ctx<'_>, key: &[u8]) -> Result<Option<&'c mut ZSet>, ReplyError> {
    super::write_as(ctx, key, |v| match v {
        Value::ZSet(x) => Some(x),
        _ => None,
    })
}

/// The ZSet at `key` for the second step of a command that looked it up already.
pub fn write_again<'c>(
    ctx: &'c mut Ctx<'_>,
    key: &[u8],
) -> Result<Option<&'c mut ZSet>, ReplyError> {
    super::write_as_again(ctx, key, |v| match v {
        Value::ZSet(x) => Some(x),
        _ => None,
    })
}

/// Deletes `key` if its sorted set is empty; true if it did (callers then notify `del`).
pub fn delete_if_empty(ctx: &mut Ctx<'_>, key: &[u8]) -> bool {
    let empty =
        matches!(ctx.db().peek(key), Some(e) if matches!(&e.value, Value::ZSet(z) if z.is_empty()));
    if empty {
        ctx.db().remove(key);
    }
    empty
}

/// Stores `entries` at `dst` as a whole new set (the STORE commands: TTL dropped, empty
/// result deletes `dst`), signals and notifies `event`. Returns the stored length.
pub fn store(ctx: &mut Ctx<'_>, dst: &Bytes, entries: Vec<(f64, Bytes)>, event: &str) -> i64 {
    let n = entries.len();
    if n == 0 {
        let now = ctx.now_ms;
        ctx.db().expire_if_needed(dst, now);
        if ctx.db().remove(dst).is_some() {
            ctx.signal_modified_key(dst);
            ctx.notify(EVENT_GENERIC, "del", dst);
        }
        return 0;
    }
    let z = ZSet::from_entries(entries, limits(ctx));
    ctx.db()
        .set(dst.clone(), Value::ZSet(z), crate::db::NO_EXPIRE);
    ctx.signal_modified_key(dst);
    ctx.notify(EVENT_ZSET, event, dst);
    i64::try_from(n).unwrap_or(i64::MAX)
}

/// An integer reply from a count.
pub fn int(n: usize) -> Frame {
    Frame::Integer(i64::try_from(n).unwrap_or(i64::MAX))
}

/// Members, optionally with scores: RESP2 flat `[m, s, ...]`, RESP3 `[[m, s], ...]` with
/// WITHSCORES (Redis's `zrangeResultEmitCBufferToClient`).
pub fn entries_reply<'a>(
    proto: Protocol,
    entries: impl Iterator<Item = (f64, &'a [u8])>,
    withscores: bool,
) -> Frame {
    let mut out = Vec::new();
    for (s, m) in entries {
        let m = Bytes::copy_from_slice(m);
        if !withscores {
            out.push(Frame::Bulk(m));
        } else if proto == Protocol::Resp3 {
            out.push(Frame::Array(vec![Frame::Bulk(m), Frame::Double(s)]));
        } else {
            out.push(Frame::Bulk(m));
            out.push(Frame::Double(s));
        }
    }
    Frame::Array(out)
}

/// Parses a score argument (`ERR value is not a valid float`).
pub fn score_arg(arg: &[u8]) -> Result<f64, ReplyError> {
    number::parse_score(arg).ok_or(ReplyError::NotFloat)
}

/// ZADD's input flags.
#[derive(Debug, Default, Clone, Copy)]
struct AddFlags {
    nx: bool,
    xx: bool,
    gt: bool,
    lt: bool,
    ch: bool,
    incr: bool,
}

/// What [`add_one`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum AddOutcome {
    Added,
    Updated,
    /// Present, score unchanged but the element was processed (reply counts it).
    Same,
    Nop,
}

/// Redis `zsetAdd` for one member: the new score and what happened.
fn add_one(
    z: &mut ZSet,
    mut score: f64,
    member: &[u8],
    f: AddFlags,
    limits: Limits,
) -> Result<(AddOutcome, f64), ReplyError> {
    match z.score(member) {
        Some(cur) => {
            if f.nx {
                return Ok((AddOutcome::Nop, cur));
            }
            if f.incr {
                score += cur;
                if score.is_nan() {
                    return Err(NAN_ERROR);
                }
            }
            if (f.lt && score >= cur) || (f.gt && score <= cur) {
                return Ok((AddOutcome::Nop, cur));
            }
            if score == cur {
                return Ok((AddOutcome::Same, score));
            }
            z.update(member, cur, score);
            Ok((AddOutcome::Updated, score))
        }
        None if f.xx => Ok((AddOutcome::Nop, score)),
        None => {
            z.insert_new(score, member, limits);
            Ok((AddOutcome::Added, score))
        }
    }
}

fn parse_add_flags(argv: &[Bytes], incr_cmd: bool) -> (AddFlags, usize) {
    let mut f = AddFlags {
        incr: incr_cmd,
        ..AddFlags::default()
    };
    let mut i = 2;
    if !incr_cmd {
        while i < argv.len() {
            let a = &argv[i];
            let flag = match a.to_ascii_lowercase().as_slice() {
                b"nx" => &mut f.nx,
                b"xx" => &mut f.xx,
                b"gt" => &mut f.gt,
                b"lt" => &mut f.lt,
                b"ch" => &mut f.ch,
                b"incr" => &mut f.incr,
                _ => break,
            };
            *flag = true;
            i += 1;
        }
    }
    (f, i)
}

/// ```text
/// ZADD key [NX | XX] [GT | LT] [CH] [INCR] score member [score member ...]
/// ```
pub fn zadd(ctx: &mut Ctx<'_>, argv: &[Bytes]) -> Result<Frame, ReplyError> {
    zadd_generic(ctx, argv, false)
}

/// ```text
/// ZINCRBY key increment member
/// ```
pub fn zincrby(ctx: &mut Ctx<'_>, argv: &[Bytes]) -> Result<Frame, ReplyError> {
    zadd_generic(ctx, argv, true)
}

/// The body of ZADD and ZINCRBY (Redis `zaddGenericCommand`).
fn zadd_generic(ctx: &mut Ctx<'_>, argv: &[Bytes], incr_cmd: bool) -> Result<Frame, ReplyError> {
    let (f, first) = parse_add_flags(argv, incr_cmd);
    let elements = argv.len() - first;
    if elements == 0 || !elements.is_multiple_of(2) {
        return Err(ReplyError::Syntax);
    }
    if f.nx && f.xx {
        return Err(ReplyError::err(
            "XX and NX options at the same time are not compatible",
        ));
    }
    if ((f.gt || f.lt) && f.nx) || (f.gt && f.lt) {
        return Err(ReplyError::err(
            "GT, LT, and/or NX options at the same time are not compatible",
        ));
    }
    if f.incr && elements > 2 {
        return Err(ReplyError::err(
            "INCR option supports a single increment-element pair",
        ));
    }
    let pairs = argv[first..]
        .chunks_exact(2)
        .map(|p| Ok((score_arg(&p[0])?, &p[1])))
        .collect::<Result<Vec<_>, ReplyError>>()?;
    let key = &argv[1];
    let limits = limits(ctx);
    let missing = write(ctx, key)?.is_none();
    let none = |f: AddFlags| {
        if f.incr {
            Frame::Null
        } else {
            Frame::Integer(0)
        }
    };
    if missing {
        if f.xx {
            return Ok(none(f));
        }
        let z = ZSet::new_for(limits, pairs[0].1.len());
        ctx.db()
            .set(key.clone(), Value::ZSet(z), crate::db::NO_EXPIRE);
    }
    let z = write_again(ctx, key)?.expect("invariant: created above");
    let (mut added, mut updated, mut processed) = (0, 0, 0);
    let mut last = 0.0;
    let mut result = Ok(());
    for (score, member) in pairs {
        match add_one(z, score, member, f, limits) {
            Ok((outcome, s)) => {
                last = s;
                match outcome {
                    AddOutcome::Added => added += 1,
                    AddOutcome::Updated => updated += 1,
                    AddOutcome::Same | AddOutcome::Nop => {}
                }
                if outcome != AddOutcome::Nop {
                    processed += 1;
                }
            }
            Err(e) => {
                result = Err(e);
                break;
            }
        }
    }
    if added + updated > 0 {
        ctx.signal_modified_key(key);
        ctx.notify(EVENT_ZSET, if f.incr { "zincr" } else { "zadd" }, key);
    }
    result?;
    Ok(if f.incr {
        if processed > 0 {
            Frame::Double(last)
        } else {
            Frame::Null
        }
    } else {
        Frame::Integer(if f.ch { added + updated } else { added })
    })
}

/// ```text
/// ZREM key member [member ...]
/// ```
pub fn zrem(ctx: &mut Ctx<'_>, argv: &[Bytes]) -> Result<Frame, ReplyError> {
    let key = &argv[1];
    let Some(z) = write(ctx, key)? else {
        return Ok(Frame::Integer(0));
    };
    let mut deleted = 0;
    for m in &argv[2..] {
        if z.remove(m).is_some() {
            deleted += 1;
            if z.is_empty() {
                break;
            }
        }
    }
    if deleted > 0 {
        let gone = delete_if_empty(ctx, key);
        ctx.notify(EVENT_ZSET, "zrem", key);
        if gone {
            ctx.notify(EVENT_GENERIC, "del", key);
        }
        ctx.signal_modified_key(key);
    }
    Ok(Frame::Integer(deleted))
}

/// ```text
/// ZCARD key
/// ```
pub fn zcard(ctx: &mut Ctx<'_>, argv: &[Bytes]) -> Result<Frame, ReplyError> {
    Ok(int(read(ctx, &argv[1])?.map_or(0, ZSet::len)))
}

/// ```text
/// ZSCORE key member
/// ```
pub fn zscore(ctx: &mut Ctx<'_>, argv: &[Bytes]) -> Result<Frame, ReplyError> {
    let score = read(ctx, &argv[1])?.and_then(|z| z.score(&argv[2]));
    Ok(score.map_or(Frame::Null, Frame::Double))
}

/// ```text
/// ZMSCORE key member [member ...]
/// ```
pub fn zmscore(ctx: &mut Ctx<'_>, argv: &[Bytes]) -> Result<Frame, ReplyError> {
    let z = read(ctx, &argv[1])?;
    let out = argv[2..]
        .iter()
        .map(|m| {
            z.and_then(|z| z.score(m))
                .map_or(Frame::Null, Frame::Double)
        })
        .collect();
    Ok(Frame::Array(out))
}

/// ```text
/// ZRANK key member
/// ```
pub fn zrank(ctx: &mut Ctx<'_>, argv: &[Bytes]) -> Result<Frame, ReplyError> {
    rank_generic(ctx, argv, false)
}

/// ```text
/// ZREVRANK key member
/// ```
pub fn zrevrank(ctx: &mut Ctx<'_>, argv: &[Bytes]) -> Result<Frame, ReplyError> {
    rank_generic(ctx, argv, true)
}

fn rank_generic(ctx: &mut Ctx<'_>, argv: &[Bytes], rev: bool) -> Result<Frame, ReplyError> {
    let Some(z) = read(ctx, &argv[1])? else {
        return Ok(Frame::Null);
    };
    let len = z.len();
    Ok(match z.rank(&argv[2]) {
        None => Frame::Null,
        Some((r, _)) => int(if rev { len - 1 - r } else { r }),
    })
}
