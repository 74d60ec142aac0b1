//! Popping and sampling: ZPOPMIN, ZPOPMAX, ZMPOP (`genericZpopCommand`), ZRANDMEMBER and
//! ZSCAN, and the blocking BZPOPMIN, BZPOPMAX and BZMPOP (on `exec::blocking`), which reuse
//! [`pop_generic`] and replicate as ZPOPMIN/ZPOPMAX.

use bytes::Bytes;
use rand::Rng;
use shoal_common::glob::glob_match;
use shoal_common::resp::Protocol;
use shoal_common::{Frame, ReplyError};

use super::{EVENT_GENERIC, EVENT_ZSET, delete_if_empty, entries_reply, write};
use crate::cmd::args;
use crate::exec::{Ctx, blocking};

/// Which end to pop from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Where {
    /// Lowest scores first.
    Min,
    /// Highest scores first.
    Max,
}

/// The reply shape of a pop (the `emitkey` / `use_nested_array` cases of Redis).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PopShape {
    /// ZPOPMIN/ZPOPMAX: flat `[m, s, ...]`, nested pairs in RESP3 when a count was given.
    Plain {
        /// Pairs nested (RESP3 with COUNT).
        nested: bool,
    },
    /// BZPOPMIN/BZPOPMAX: `[key, m, s]`.
    WithKey,
    /// ZMPOP/BZMPOP: `[key, [[m, s], ...]]`.
    Nested,
}

/// Pops up to `count` members from the first non-empty sorted set among `keys` (Redis
/// `genericZpopCommand`). `Ok(None)` when every key is missing (the caller replies with an
/// empty or null array, or blocks).
pub fn pop_generic(
    ctx: &mut Ctx<'_>,
    keys: &[Bytes],
    side: Where,
    count: Option<usize>,
    shape: PopShape,
) -> Result<Option<Frame>, ReplyError> {
    let mut found = None;
    for key in keys {
        if write(ctx, key)?.is_some() {
            found = Some(key);
            break;
        }
    }
    let Some(key) = found else {
        return Ok(None);
    };
    if count == Some(0) {
        return Ok(Some(Frame::Array(Vec::new())));
    }
    let count = count.unwrap_or(1);
    let z = write(ctx, key)?.expect("invariant: found above");
    let len = z.len();
    let n = count.min(len);
    let mut popped = match side {
        Where::Min => z.drain(0, n),
        Where::Max => z.drain(len - n, len),
    };
    if side == Where::Max {
        popped.reverse();
    }
    let gone = delete_if_empty(ctx, key);
    let event = if side == Where::Min {
        "zpopmin"
    } else {
        "zpopmax"
    };
    ctx.notify(EVENT_ZSET, event, key);
    if gone {
        ctx.notify(EVENT_GENERIC, "del", key);
    }
    ctx.signal_modified_key(key);
    let entries = popped.iter().map(|(s, m)| (*s, m.as_ref()));
    Ok(Some(match shape {
        PopShape::Plain { nested } => {
            let proto = if nested {
                Protocol::Resp3
            } else {
                Protocol::Resp2
            };
            entries_reply(proto, entries, true)
        }
        PopShape::WithKey => {
            let mut out = vec![Frame::Bulk(key.clone())];
            if let Frame::Array(items) = entries_reply(Protocol::Resp2, entries, true) {
                out.extend(items);
            }
            Frame::Array(out)
        }
        PopShape::Nested => Frame::Array(vec![
            Frame::Bulk(key.clone()),
            entries_reply(Protocol::Resp3, entries, true),
        ]),
    }))
}

/// A positive count argument (`ERR value is out of range, must be positive`).
pub fn positive(arg: &[u8]) -> Result<usize, ReplyError> {
    let bad = || ReplyError::other("ERR value is out of range, must be positive");
    let v = args::int(arg).map_err(|_| bad())?;
    usize::try_from(v).map_err(|_| bad())
}

fn zpop(ctx: &mut Ctx<'_>, argv: &[Bytes], side: Where) -> Result<Frame, ReplyError> {
    if argv.len() > 3 {
        return Err(ReplyError::Syntax);
    }
    let count = argv.get(2).map(|a| positive(a)).transpose()?;
    let nested = ctx.client.protocol == Protocol::Resp3 && count.is_some();
    let r = pop_generic(ctx, &argv[1..2], side, count, PopShape::Plain { nested })?;
    Ok(r.unwrap_or(Frame::Array(Vec::new())))
}

/// ```text
/// ZPOPMIN key [count]
/// ```
pub fn zpopmin(ctx: &mut Ctx<'_>, argv: &[Bytes]) -> Result<Frame, ReplyError> {
    zpop(ctx, argv, Where::Min)
}

/// ```text
/// ZPOPMAX key [count]
/// ```
pub fn zpopmax(ctx: &mut Ctx<'_>, argv: &[Bytes]) -> Result<Frame, ReplyError> {
    zpop(ctx, argv, Where::Max)
}

/// The parsed arguments of ZMPOP/BZMPOP after `numkeys`.
pub struct MpopArgs {
    /// The keys.
    pub keys: Vec<Bytes>,
    /// MIN or MAX.
    pub side: Where,
    /// COUNT (1 when absent).
    pub count: usize,
}

/// Parses `numkeys key [key ...] MIN | MAX [COUNT count]` with numkeys at `argv[at]`
/// (Redis `zmpopGenericCommand`).
pub fn parse_mpop(argv: &[Bytes], at: usize) -> Result<MpopArgs, ReplyError> {
    let bad_numkeys = || ReplyError::err("numkeys should be greater than 0");
    let numkeys = args::int(&argv[at]).map_err(|_| bad_numkeys())?;
    let numkeys = usize::try_from(numkeys)
        .ok()
        .filter(|n| *n > 0)
        .ok_or_else(bad_numkeys)?;
    let where_at = at
        .checked_add(numkeys)
        .and_then(|x| x.checked_add(1))
        .filter(|w| *w < argv.len())
        .ok_or(ReplyError::Syntax)?;
    let side = if args::is(&argv[where_at], "min") {
        Where::Min
    } else if args::is(&argv[where_at], "max") {
        Where::Max
    } else {
        return Err(ReplyError::Syntax);
    };
    let mut count = None;
    let mut j = where_at + 1;
    while j < argv.len() {
        if count.is_none() && args::is(&argv[j], "count") && j + 1 < argv.len() {
            let bad = || ReplyError::err("count should be greater than 0");
            let c = args::int(&argv[j + 1]).map_err(|_| bad())?;
            count = Some(usize::try_from(c).ok().filter(|c| *c > 0).ok_or_else(bad)?);
            j += 2;
        } else {
            return Err(ReplyError::Syntax);
        }
    }
    Ok(MpopArgs {
        keys: argv[at + 1..where_at].to_vec(),
        side,
        count: count.unwrap_or(1),
    })
}

/// ```text
/// ZMPOP numkeys key [key ...] MIN | MAX [COUNT count]
/// ```
pub fn zmpop(ctx: &mut Ctx<'_>, argv: &[Bytes]) -> Result<Frame, ReplyError> {
    let a = parse_mpop(argv, 1)?;
    let r = pop_generic(ctx, &a.keys, a.side, Some(a.count), PopShape::Nested)?;
    Ok(r.unwrap_or(Frame::NullArray))
}

/// ```text
/// ZRANDMEMBER key [count [WITHSCORES]]
/// ```
pub fn zrandmember(ctx: &mut Ctx<'_>, argv: &[Bytes]) -> Result<Frame, ReplyError> {
    if argv.len() < 3 {
        let Some(len) = super::read(ctx, &argv[1])?.map(|z| z.len()) else {
            return Ok(Frame::Null);
        };
        let i = ctx.srv.rng.random_range(0..len);
        let z = super::read(ctx, &argv[1])?.expect("invariant: present above");
        return Ok(z
            .get(i)
            .map_or(Frame::Null, |(_, m)| Frame::Bulk(Bytes::copy_from_slice(m))));
    }
    let l = args::int(&argv[2])?;
    if l == i64::MIN {
        return Err(ReplyError::err(
            "value is out of range, value must between -9223372036854775807 and \
             9223372036854775807",
        ));
    }
    let withscores = match argv.len() {
        3 => false,
        4 if args::is(&argv[3], "withscores") => {
            if !(-(i64::MAX / 2)..=i64::MAX / 2).contains(&l) {
                return Err(ReplyError::err("value is out of range"));
            }
            true
        }
        _ => return Err(ReplyError::Syntax),
    };
    let proto = ctx.client.protocol;
    let Some(len) = super::read(ctx, &argv[1])?.map(|z| z.len()) else {
        return Ok(Frame::Array(Vec::new()));
    };
    let picks: Vec<usize> = if l == 0 {
        Vec::new()
    } else if l < 0 {
        let n = usize::try_from(l.unsigned_abs()).unwrap_or(usize::MAX);
        (0..n).map(|_| ctx.srv.rng.random_range(0..len)).collect()
    } else {
        let n = usize::try_from(l).unwrap_or(usize::MAX);
        if n >= len {
            // Redis walks the whole set from its tail in this case.
            (0..len).rev().collect()
        } else {
            let mut idx = rand::seq::index::sample(&mut ctx.srv.rng, len, n).into_vec();
            if n * 2 > len {
                idx.sort_unstable();
            }
            idx
        }
    };
    let z = super::read(ctx, &argv[1])?.expect("invariant: present above");
    let entries = picks.iter().filter_map(|i| z.get(*i));
    Ok(entries_reply(proto, entries, withscores))
}

/// The argv a served blocking pop replicates as (Redis rewrites BZPOPMIN to ZPOPMIN and
/// BZMPOP to ZPOPMIN/ZPOPMAX with a count).
fn pop_propagation(key: &Bytes, side: Where, count: Option<usize>) -> Vec<Bytes> {
    let name = if side == Where::Min {
        "ZPOPMIN"
    } else {
        "ZPOPMAX"
    };
    let mut v = vec![Bytes::from_static(name.as_bytes()), key.clone()];
    if let Some(c) = count {
        v.push(Bytes::from(c.to_string()));
    }
    v
}

/// BZPOPMIN/BZPOPMAX body (Redis `blockingGenericZpopCommand`).
fn bzpop(ctx: &mut Ctx<'_>, argv: &[Bytes], side: Where) -> Result<Frame, ReplyError> {
    let deadline = blocking::parse_timeout(ctx, &argv[argv.len() - 1])?;
    let keys = &argv[1..argv.len() - 1];
    for key in blocking::keys_to_try(ctx, keys) {
        let one = std::slice::from_ref(&key);
        if let Some(reply) = pop_generic(ctx, one, side, None, PopShape::WithKey)? {
            ctx.propagate_as = Some(vec![pop_propagation(&key, side, None)]);
            return Ok(reply);
        }
    }
    blocking::block(ctx, keys, deadline, "zset")
}

/// ```text
/// BZPOPMIN key [key ...] timeout
/// ```
pub fn bzpopmin(ctx: &mut Ctx<'_>, argv: &[Bytes]) -> Result<Frame, ReplyError> {
    bzpop(ctx, argv, Where::Min)
}

/// ```text
/// BZPOPMAX key [key ...] timeout
/// ```
pub fn bzpopmax(ctx: &mut Ctx<'_>, argv: &[Bytes]) -> Result<Frame, ReplyError> {
    bzpop(ctx, argv, Where::Max)
}

/// ```text
/// BZMPOP timeout numkeys key [key ...] MIN | MAX [COUNT count]
/// ```
pub fn bzmpop(ctx: &mut Ctx<'_>, argv: &[Bytes]) -> Result<Frame, ReplyError> {
    let a = parse_mpop(argv, 2)?;
    let deadline = blocking::parse_timeout(ctx, &argv[1])?;
    for key in blocking::keys_to_try(ctx, &a.keys) {
        let one = std::slice::from_ref(&key);
        if let Some(reply) = pop_generic(ctx, one, a.side, Some(a.count), PopShape::Nested)? {
            ctx.propagate_as = Some(vec![pop_propagation(&key, a.side, Some(a.count))]);
            return Ok(reply);
        }
    }
    blocking::block(ctx, &a.keys, deadline, "zset")
}

/// Parses a SCAN cursor as `strtoul` does (`ERR invalid cursor`): no leading space,
/// an optional sign (a negative value wraps), decimal digits.
pub fn parse_cursor(arg: &[u8]) -> Result<u64, ReplyError> {
    let bad = || ReplyError::other("ERR invalid cursor");
    let (neg, digits) = match arg.first() {
        Some(b'-') => (true, &arg[1..]),
        Some(b'+') => (false, &arg[1..]),
        Some(c) if c.is_ascii_whitespace() => return Err(bad()),
        _ => (false, arg),
    };
    if digits.is_empty() {
        return if arg.is_empty() { Ok(0) } else { Err(bad()) };
    }
    let v: u64 = std::str::from_utf8(digits)
        .ok()
        .filter(|d| d.bytes().all(|c| c.is_ascii_digit()))
        .and_then(|d| d.parse().ok())
        .ok_or_else(bad)?;
    Ok(if neg { v.wrapping_neg() } else { v })
}

/// ```text
/// ZSCAN key cursor [MATCH pattern] [COUNT count]
/// ```
pub fn zscan(ctx: &mut Ctx<'_>, argv: &[Bytes]) -> Result<Frame, ReplyError> {
    let cursor = parse_cursor(&argv[2])?;
    let empty = || Frame::Array(vec![Frame::bulk("0"), Frame::Array(Vec::new())]);
    let Some(z) = super::read(ctx, &argv[1])? else {
        return Ok(empty());
    };
    let (mut count, mut pattern) = (10usize, None);
    let mut i = 3;
    while i < argv.len() {
        let left = argv.len() - i;
        if args::is(&argv[i], "count") && left >= 2 {
            let c = args::int(&argv[i + 1])?;
            count = usize::try_from(c)
                .ok()
                .filter(|c| *c >= 1)
                .ok_or(ReplyError::Syntax)?;
            i += 2;
        } else if args::is(&argv[i], "match") && left >= 2 {
            pattern = Some(&argv[i + 1]).filter(|p| p.as_ref() != b"*");
            i += 2;
        } else {
            return Err(ReplyError::Syntax);
        }
    }
    let mut found = Vec::new();
    let next = z.scan(cursor, count, &mut found);
    let mut out = Vec::with_capacity(found.len() * 2);
    for (s, m) in found {
        if pattern.is_some_and(|p| !glob_match(p, &m, false)) {
            continue;
        }
        out.push(Frame::Bulk(m));
        out.push(Frame::bulk(shoal_common::number::format_double(s)));
    }
    Ok(Frame::Array(vec![
        Frame::bulk(next.to_string()),
        Frame::Array(out),
    ]))
}
