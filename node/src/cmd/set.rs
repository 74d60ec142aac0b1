//! Set commands (Redis `t_set.c`).
//!
//! Values live in [`Set`]: an intset while every member is an integer and there are at most
//! `set-max-intset-entries`, a table otherwise. A set that loses its last member is deleted
//! (`del` event). The algebra commands check every key's type before computing, and the
//! STORE forms delete the destination when the result is empty, as Redis does. SPOP reaches
//! replicas as `SREM` (or `DEL` when it empties the set), since its choice is random.

use bytes::Bytes;
use rand::Rng;
use shoal_common::{Frame, ReplyError};

use super::args;
use super::hash::{
    limits, parse_rand_count, parse_scan_options, pick_indices, scan_positions, scan_reply,
};
use super::string::EVENT_GENERIC;
use crate::db::value::Set;
use crate::db::{NO_EXPIRE, Value};
use crate::exec::Ctx;

/// Keyspace event class for set commands (`s`).
pub const EVENT_SET: u8 = b's';

/// The set at `key` for reading (counts keyspace hits and misses).
fn read<'c>(ctx: &'c mut Ctx<'_>, key: &[u8]) -> Result<Option<&'c Set>, ReplyError> {
    super::read_as(ctx, key, |v| match v {
        Value::Set(x) => Some(x),
        _ => None,
    })
}

/// The set at `key` for writing: `None` if missing, WRONGTYPE for another type.
fn write<'c>(ctx: &'c mut Ctx<'_>, key: &[u8]) -> Result<Option<&'c mut Set>, ReplyError> {
    super::write_as(ctx, key, |v| match v {
        Value::Set(x) => Some(x),
        _ => None,
    })
}

/// The Set at `key` for the second step of a command that looked it up already.
fn write_again<'c>(ctx: &'c mut Ctx<'_>, key: &[u8]) -> Result<Option<&'c mut Set>, ReplyError> {
    super::write_as_again(ctx, key, |v| match v {
        Value::Set(x) => Some(x),
        _ => None,
    })
}

fn int(n: usize) -> Frame {
    Frame::Integer(i64::try_from(n).unwrap_or(i64::MAX))
}

/// Deletes `key` if its set is empty, with the `del` event.
fn delete_if_empty(ctx: &mut Ctx<'_>, key: &[u8]) -> bool {
    let empty =
        matches!(ctx.db().peek(key), Some(e) if matches!(&e.value, Value::Set(s) if s.is_empty()));
    if empty {
        ctx.db().remove(key);
        ctx.notify(EVENT_GENERIC, "del", key);
    }
    empty
}

/// ```text
/// SADD key member [member ...]
/// ```
pub fn sadd(ctx: &mut Ctx<'_>, argv: &[Bytes]) -> Result<Frame, ReplyError> {
    let key = &argv[1];
    let l = limits(ctx);
    if write(ctx, key)?.is_none() {
        ctx.db()
            .set(key.clone(), Value::Set(Set::default()), NO_EXPIRE);
    }
    let s = write_again(ctx, key)?.expect("invariant: just created");
    let added = argv[2..].iter().filter(|m| s.add(m, &l)).count();
    if added > 0 {
        ctx.signal_modified_key(key);
        ctx.notify(EVENT_SET, "sadd", key);
    } else {
        delete_if_empty(ctx, key);
    }
    Ok(int(added))
}

/// ```text
/// SREM key member [member ...]
/// ```
pub fn srem(ctx: &mut Ctx<'_>, argv: &[Bytes]) -> Result<Frame, ReplyError> {
    let key = &argv[1];
    let Some(s) = write(ctx, key)? else {
        return Ok(Frame::Integer(0));
    };
    let mut removed = 0;
    for m in &argv[2..] {
        removed += usize::from(s.remove(m));
        if s.is_empty() {
            break;
        }
    }
    if removed > 0 {
        ctx.signal_modified_key(key);
        ctx.notify(EVENT_SET, "srem", key);
        delete_if_empty(ctx, key);
    }
    Ok(int(removed))
}

fn members_frame(members: Vec<Bytes>) -> Frame {
    Frame::Set(members.into_iter().map(Frame::Bulk).collect())
}

/// ```text
/// SMEMBERS key
/// ```
pub fn smembers(ctx: &mut Ctx<'_>, argv: &[Bytes]) -> Result<Frame, ReplyError> {
    Ok(members_frame(
        read(ctx, &argv[1])?.map(Set::members).unwrap_or_default(),
    ))
}

/// ```text
/// SISMEMBER key member
/// ```
pub fn sismember(ctx: &mut Ctx<'_>, argv: &[Bytes]) -> Result<Frame, ReplyError> {
    let found = read(ctx, &argv[1])?.is_some_and(|s| s.contains(&argv[2]));
    Ok(Frame::Integer(i64::from(found)))
}

/// ```text
/// SMISMEMBER key member [member ...]
/// ```
pub fn smismember(ctx: &mut Ctx<'_>, argv: &[Bytes]) -> Result<Frame, ReplyError> {
    let s = read(ctx, &argv[1])?;
    Ok(Frame::Array(
        argv[2..]
            .iter()
            .map(|m| Frame::Integer(i64::from(s.is_some_and(|s| s.contains(m)))))
            .collect(),
    ))
}

/// ```text
/// SCARD key
/// ```
pub fn scard(ctx: &mut Ctx<'_>, argv: &[Bytes]) -> Result<Frame, ReplyError> {
    Ok(int(read(ctx, &argv[1])?.map_or(0, Set::len)))
}

/// ```text
/// SPOP key [count]
/// ```
pub fn spop(ctx: &mut Ctx<'_>, argv: &[Bytes]) -> Result<Frame, ReplyError> {
    if argv.len() > 3 {
        return Err(ReplyError::Syntax);
    }
    let count = match argv.get(2) {
        None => None,
        Some(a) => Some(
            args::int(a)
                .ok()
                .and_then(|c| usize::try_from(c).ok())
                .ok_or_else(|| ReplyError::other("ERR value is out of range, must be positive"))?,
        ),
    };
    let key = &argv[1];
    let Some(s) = write(ctx, key)? else {
        return Ok(if count.is_some() {
            Frame::Set(Vec::new())
        } else {
            Frame::Null
        });
    };
    if count == Some(0) {
        return Ok(Frame::Set(Vec::new()));
    }
    let n = count.unwrap_or(1).min(s.len());
    let mut popped = Vec::with_capacity(n);
    if count.is_some() && n == s.len() {
        // The whole set goes, in storage order (Redis replies the set itself).
        popped = s.members();
        *s = Set::default();
    } else {
        let mut rng = rand::rng();
        for _ in 0..n {
            let i = rng.random_range(0..s.len());
            popped.extend(s.remove_index(i));
        }
    }
    ctx.notify(EVENT_SET, "spop", key);
    let deleted = delete_if_empty(ctx, key);
    ctx.signal_modified_key(key);
    // The SREM/DEL form only matters to a replication stream; without one, skip building it.
    if ctx.srv.replication_active() {
        ctx.propagate_as = Some(vec![if deleted {
            vec![Bytes::from_static(b"DEL"), key.clone()]
        } else {
            [
                vec![Bytes::from_static(b"SREM"), key.clone()],
                popped.clone(),
            ]
            .concat()
        }]);
    }
    Ok(match count {
        None => popped.into_iter().next().map_or(Frame::Null, Frame::Bulk),
        Some(_) => members_frame(popped),
    })
}

/// ```text
/// SRANDMEMBER key [count]
/// ```
pub fn srandmember(ctx: &mut Ctx<'_>, argv: &[Bytes]) -> Result<Frame, ReplyError> {
    if argv.len() > 3 {
        return Err(ReplyError::Syntax);
    }
    let count = argv.get(2).map(|a| parse_rand_count(a)).transpose()?;
    let Some(s) = read(ctx, &argv[1])? else {
        return Ok(if count.is_some() {
            Frame::Array(Vec::new())
        } else {
            Frame::Null
        });
    };
    let mut rng = rand::rng();
    match count {
        None => Ok(s
            .get_index(rng.random_range(0..s.len()))
            .map_or(Frame::Null, Frame::Bulk)),
        Some(c) => Ok(Frame::Array(
            pick_indices(s.len(), c, &mut rng)
                .into_iter()
                .filter_map(|i| s.get_index(i))
                .map(Frame::Bulk)
                .collect(),
        )),
    }
}

/// ```text
/// SMOVE source destination member
/// ```
pub fn smove(ctx: &mut Ctx<'_>, argv: &[Bytes]) -> Result<Frame, ReplyError> {
    let (src, dst, m) = (&argv[1], &argv[2], &argv[3]);
    let now = ctx.now_ms;
    if ctx.db().get(src, now).is_none() {
        return Ok(Frame::Integer(0));
    }
    write(ctx, src)?;
    write(ctx, dst)?;
    if src == dst {
        let found = read(ctx, src)?.is_some_and(|s| s.contains(m));
        return Ok(Frame::Integer(i64::from(found)));
    }
    if !write(ctx, src)?.is_some_and(|s| s.remove(m)) {
        return Ok(Frame::Integer(0));
    }
    ctx.notify(EVENT_SET, "srem", src);
    delete_if_empty(ctx, src);
    let l = limits(ctx);
    if write(ctx, dst)?.is_none() {
        ctx.db()
            .set(dst.clone(), Value::Set(Set::default()), NO_EXPIRE);
    }
    if write_again(ctx, dst)?
        .expect("invariant: just created")
        .add(m, &l)
    {
        ctx.notify(EVENT_SET, "sadd", dst);
    }
    ctx.signal_modified_key(src);
    ctx.signal_modified_key(dst);
    Ok(Frame::Integer(1))
}

/// The sets at `keys` (`None` for missing keys), after checking every type.
fn load_sets(ctx: &mut Ctx<'_>, keys: &[Bytes]) -> Result<Vec<Option<Set>>, ReplyError> {
    let mut out = Vec::with_capacity(keys.len());
    for k in keys {
        out.push(read(ctx, k)?.cloned());
    }
    Ok(out)
}

/// Intersection, iterating the smallest set (its order is the reply's order, as in Redis);
/// stops at `limit` members when given (SINTERCARD).
fn intersect(sets: &[Option<Set>], limit: Option<usize>) -> Vec<Bytes> {
    let mut refs: Vec<&Set> = Vec::with_capacity(sets.len());
    for s in sets {
        match s {
            Some(s) => refs.push(s),
            None => return Vec::new(),
        }
    }
    refs.sort_by_key(|s| s.len());
    let Some((first, rest)) = refs.split_first() else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for m in first.members() {
        if limit.is_some_and(|l| l != 0 && out.len() >= l) {
            break;
        }
        if rest.iter().all(|s| s.contains(&m)) {
            out.push(m);
        }
    }
    out
}

fn union(sets: &[Option<Set>]) -> Set {
    let l = crate::db::value::Limits::default();
    let mut out = Set::default();
    for s in sets.iter().flatten() {
        for m in s.members() {
            out.add(&m, &l);
        }
    }
    out
}

fn diff(sets: &[Option<Set>]) -> Vec<Bytes> {
    let Some(Some(first)) = sets.first() else {
        return Vec::new();
    };
    first
        .members()
        .into_iter()
        .filter(|m| !sets[1..].iter().flatten().any(|s| s.contains(m)))
        .collect()
}

/// ```text
/// SINTER key [key ...]
/// ```
pub fn sinter(ctx: &mut Ctx<'_>, argv: &[Bytes]) -> Result<Frame, ReplyError> {
    let sets = load_sets(ctx, &argv[1..])?;
    Ok(members_frame(intersect(&sets, None)))
}

/// ```text
/// SUNION key [key ...]
/// ```
pub fn sunion(ctx: &mut Ctx<'_>, argv: &[Bytes]) -> Result<Frame, ReplyError> {
    let sets = load_sets(ctx, &argv[1..])?;
    Ok(members_frame(union(&sets).members()))
}

/// ```text
/// SDIFF key [key ...]
/// ```
pub fn sdiff(ctx: &mut Ctx<'_>, argv: &[Bytes]) -> Result<Frame, ReplyError> {
    let sets = load_sets(ctx, &argv[1..])?;
    Ok(members_frame(diff(&sets)))
}

/// Stores `members` at `dst` (deleting it when empty) and replies with the cardinality.
fn store(ctx: &mut Ctx<'_>, dst: &Bytes, members: &[Bytes], event: &str) -> Frame {
    let now = ctx.now_ms;
    if members.is_empty() {
        if ctx.db().get(dst, now).is_some() {
            ctx.db().remove(dst);
            ctx.signal_modified_key(dst);
            ctx.notify(EVENT_GENERIC, "del", dst);
        }
        return Frame::Integer(0);
    }
    let l = limits(ctx);
    let mut set = Set::default();
    for m in members {
        set.add(m, &l);
    }
    let n = set.len();
    ctx.db().set(dst.clone(), Value::Set(set), NO_EXPIRE);
    ctx.signal_modified_key(dst);
    ctx.notify(EVENT_SET, event, dst);
    int(n)
}

/// ```text
/// SINTERSTORE destination key [key ...]
/// ```
pub fn sinterstore(ctx: &mut Ctx<'_>, argv: &[Bytes]) -> Result<Frame, ReplyError> {
    let sets = load_sets(ctx, &argv[2..])?;
    let members = intersect(&sets, None);
    Ok(store(ctx, &argv[1], &members, "sinterstore"))
}

/// ```text
/// SUNIONSTORE destination key [key ...]
/// ```
pub fn sunionstore(ctx: &mut Ctx<'_>, argv: &[Bytes]) -> Result<Frame, ReplyError> {
    let sets = load_sets(ctx, &argv[2..])?;
    let members = union(&sets).members();
    Ok(store(ctx, &argv[1], &members, "sunionstore"))
}

/// ```text
/// SDIFFSTORE destination key [key ...]
/// ```
pub fn sdiffstore(ctx: &mut Ctx<'_>, argv: &[Bytes]) -> Result<Frame, ReplyError> {
    let sets = load_sets(ctx, &argv[2..])?;
    let members = diff(&sets);
    Ok(store(ctx, &argv[1], &members, "sdiffstore"))
}

/// ```text
/// SINTERCARD numkeys key [key ...] [LIMIT limit]
/// ```
pub fn sintercard(ctx: &mut Ctx<'_>, argv: &[Bytes]) -> Result<Frame, ReplyError> {
    let numkeys_err = || ReplyError::other("ERR numkeys should be greater than 0");
    let numkeys = args::int(&argv[1])
        .ok()
        .filter(|n| *n >= 1)
        .and_then(|n| usize::try_from(n).ok())
        .ok_or_else(numkeys_err)?;
    if numkeys > argv.len() - 2 {
        return Err(ReplyError::other(
            "ERR Number of keys can't be greater than number of args",
        ));
    }
    let mut limit = 0usize;
    let mut j = 2 + numkeys;
    while j < argv.len() {
        if args::is(&argv[j], "limit") && j + 1 < argv.len() {
            j += 1;
            limit = args::int(&argv[j])
                .ok()
                .and_then(|l| usize::try_from(l).ok())
                .ok_or_else(|| ReplyError::other("ERR LIMIT can't be negative"))?;
        } else {
            return Err(ReplyError::Syntax);
        }
        j += 1;
    }
    let sets = load_sets(ctx, &argv[2..2 + numkeys])?;
    Ok(int(intersect(&sets, Some(limit)).len()))
}

/// ```text
/// SSCAN key cursor [MATCH pattern] [COUNT count]
/// ```
pub fn sscan(ctx: &mut Ctx<'_>, argv: &[Bytes]) -> Result<Frame, ReplyError> {
    let cursor = super::zset::pop::parse_cursor(&argv[2])?;
    let Some(s) = read(ctx, &argv[1])? else {
        return Ok(scan_reply(0, Vec::new(), None));
    };
    let o = parse_scan_options(argv, 3)?;
    let (items, next) = match s {
        Set::Intset(_) => (s.members().into_iter().map(|m| (m, None)).collect(), 0),
        Set::Table(_) => {
            let (positions, next) = scan_positions(s.len(), cursor, o.count);
            let items = positions
                .into_iter()
                .filter_map(|i| s.get_index(i))
                .map(|m| (m, None))
                .collect();
            (items, next)
        }
    };
    Ok(scan_reply(next, items, o.pattern.as_ref()))
}
