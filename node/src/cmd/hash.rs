//! Hash commands (Redis `t_hash.c`).
//!
//! Values live in [`Hash`]: a listpack while small, a table past `hash-max-listpack-entries`
//! / `hash-max-listpack-value` (read from the config at each write). A hash that loses its
//! last field is deleted (`del` event). HINCRBYFLOAT uses Redis's `long double` arithmetic
//! and reaches replicas as the `HSET` of its result, as in Redis.

use bytes::Bytes;
use rand::Rng;
use shoal_common::glob::glob_match;
use shoal_common::{Frame, ReplyError};

use super::args;
use super::string::EVENT_GENERIC;
use crate::db::value::{Hash, Limits};
use crate::db::{NO_EXPIRE, Value};
use crate::exec::Ctx;

/// Keyspace event class for hash commands (`h`).
pub const EVENT_HASH: u8 = b'h';

/// The conversion thresholds of the compact encodings, from the config.
pub fn limits(ctx: &Ctx<'_>) -> Limits {
    let hot = &ctx.srv.hot;
    Limits {
        hash_entries: hot.hash_max_listpack_entries,
        hash_value: hot.hash_max_listpack_value,
        set_intset_entries: hot.set_max_intset_entries,
    }
}

/// The hash at `key` for reading (counts keyspace hits and misses).
fn read<'c>(ctx: &'c mut Ctx<'_>, key: &[u8]) -> Result<Option<&'c Hash>, ReplyError> {
    super::read_as(ctx, key, |v| match v {
        Value::Hash(x) => Some(x),
        _ => None,
    })
}

/// The hash at `key` for writing: `None` if missing, WRONGTYPE for another type.
fn write<'c>(ctx: &'c mut Ctx<'_>, key: &[u8]) -> Result<Option<&'c mut Hash>, ReplyError> {
    super::write_as(ctx, key, |v| match v {
        Value::Hash(x) => Some(x),
        _ => None,
    })
}

/// The Hash at `key` for the second step of a command that looked it up already.
fn write_again<'c>(ctx: &'c mut Ctx<'_>, key: &[u8]) -> Result<Option<&'c mut Hash>, ReplyError> {
    super::write_as_again(ctx, key, |v| match v {
        Value::Hash(x) => Some(x),
        _ => None,
    })
}

/// The hash at `key`, created empty if missing (Redis `hashTypeLookupWriteOrCreate`).
fn write_or_create<'c>(ctx: &'c mut Ctx<'_>, key: &Bytes) -> Result<&'c mut Hash, ReplyError> {
    if write(ctx, key)?.is_none() {
        ctx.db()
            .set(key.clone(), Value::Hash(Hash::default()), NO_EXPIRE);
    }
    Ok(write_again(ctx, key)?.expect("invariant: just created"))
}

fn int(n: usize) -> Frame {
    Frame::Integer(i64::try_from(n).unwrap_or(i64::MAX))
}

/// HSET/HMSET body: sets the pairs, returns how many fields were new.
fn set_pairs(ctx: &mut Ctx<'_>, argv: &[Bytes], name: &str) -> Result<usize, ReplyError> {
    if !argv.len().is_multiple_of(2) {
        return Err(ReplyError::WrongArity(name.into()));
    }
    let l = limits(ctx);
    let key = &argv[1];
    let h = write_or_create(ctx, key)?;
    let mut created = 0;
    for pair in argv[2..].chunks_exact(2) {
        created += usize::from(h.set(&pair[0], &pair[1], &l));
    }
    ctx.signal_modified_key(key);
    ctx.notify(EVENT_HASH, "hset", key);
    Ok(created)
}

/// ```text
/// HSET key field value [field value ...]
/// ```
pub fn hset(ctx: &mut Ctx<'_>, argv: &[Bytes]) -> Result<Frame, ReplyError> {
    Ok(int(set_pairs(ctx, argv, "hset")?))
}

/// ```text
/// HMSET key field value [field value ...]
/// ```
pub fn hmset(ctx: &mut Ctx<'_>, argv: &[Bytes]) -> Result<Frame, ReplyError> {
    set_pairs(ctx, argv, "hmset")?;
    Ok(Frame::ok())
}

/// ```text
/// HSETNX key field value
/// ```
pub fn hsetnx(ctx: &mut Ctx<'_>, argv: &[Bytes]) -> Result<Frame, ReplyError> {
    let key = &argv[1];
    if write(ctx, key)?.is_some_and(|h| h.contains(&argv[2])) {
        return Ok(Frame::Integer(0));
    }
    let l = limits(ctx);
    write_or_create(ctx, key)?.set(&argv[2], &argv[3], &l);
    ctx.signal_modified_key(key);
    ctx.notify(EVENT_HASH, "hset", key);
    Ok(Frame::Integer(1))
}

/// ```text
/// HGET key field
/// ```
pub fn hget(ctx: &mut Ctx<'_>, argv: &[Bytes]) -> Result<Frame, ReplyError> {
    Ok(read(ctx, &argv[1])?
        .and_then(|h| h.get(&argv[2]))
        .map_or(Frame::Null, Frame::bulk))
}

/// ```text
/// HMGET key field [field ...]
/// ```
pub fn hmget(ctx: &mut Ctx<'_>, argv: &[Bytes]) -> Result<Frame, ReplyError> {
    let h = read(ctx, &argv[1])?;
    Ok(Frame::Array(
        argv[2..]
            .iter()
            .map(|f| h.and_then(|h| h.get(f)).map_or(Frame::Null, Frame::bulk))
            .collect(),
    ))
}

/// ```text
/// HDEL key field [field ...]
/// ```
pub fn hdel(ctx: &mut Ctx<'_>, argv: &[Bytes]) -> Result<Frame, ReplyError> {
    let key = &argv[1];
    let Some(h) = write(ctx, key)? else {
        return Ok(Frame::Integer(0));
    };
    let mut deleted = 0;
    for f in &argv[2..] {
        deleted += usize::from(h.remove(f));
        if h.is_empty() {
            break;
        }
    }
    let empty = h.is_empty();
    if deleted > 0 {
        ctx.signal_modified_key(key);
        ctx.notify(EVENT_HASH, "hdel", key);
        if empty {
            ctx.db().remove(key);
            ctx.notify(EVENT_GENERIC, "del", key);
        }
    }
    Ok(int(deleted))
}

/// ```text
/// HLEN key
/// ```
pub fn hlen(ctx: &mut Ctx<'_>, argv: &[Bytes]) -> Result<Frame, ReplyError> {
    Ok(int(read(ctx, &argv[1])?.map_or(0, Hash::len)))
}

/// ```text
/// HSTRLEN key field
/// ```
pub fn hstrlen(ctx: &mut Ctx<'_>, argv: &[Bytes]) -> Result<Frame, ReplyError> {
    Ok(int(read(ctx, &argv[1])?
        .and_then(|h| h.get(&argv[2]))
        .map_or(0, <[u8]>::len)))
}

/// ```text
/// HEXISTS key field
/// ```
pub fn hexists(ctx: &mut Ctx<'_>, argv: &[Bytes]) -> Result<Frame, ReplyError> {
    let found = read(ctx, &argv[1])?.is_some_and(|h| h.contains(&argv[2]));
    Ok(Frame::Integer(i64::from(found)))
}

/// ```text
/// HKEYS key
/// ```
pub fn hkeys(ctx: &mut Ctx<'_>, argv: &[Bytes]) -> Result<Frame, ReplyError> {
    let h = read(ctx, &argv[1])?;
    Ok(Frame::Array(
        h.into_iter()
            .flat_map(Hash::iter)
            .map(|(f, _)| Frame::bulk(f))
            .collect(),
    ))
}

/// ```text
/// HVALS key
/// ```
pub fn hvals(ctx: &mut Ctx<'_>, argv: &[Bytes]) -> Result<Frame, ReplyError> {
    let h = read(ctx, &argv[1])?;
    Ok(Frame::Array(
        h.into_iter()
            .flat_map(Hash::iter)
            .map(|(_, v)| Frame::bulk(v))
            .collect(),
    ))
}

/// ```text
/// HGETALL key
/// ```
pub fn hgetall(ctx: &mut Ctx<'_>, argv: &[Bytes]) -> Result<Frame, ReplyError> {
    let h = read(ctx, &argv[1])?;
    Ok(Frame::Map(
        h.into_iter()
            .flat_map(Hash::iter)
            .map(|(f, v)| (Frame::bulk(f), Frame::bulk(v)))
            .collect(),
    ))
}

/// ```text
/// HINCRBY key field increment
/// ```
pub fn hincrby(ctx: &mut Ctx<'_>, argv: &[Bytes]) -> Result<Frame, ReplyError> {
    let by = args::int(&argv[3])?;
    let key = &argv[1];
    let cur = match write(ctx, key)?.and_then(|h| h.get(&argv[2])) {
        None => 0,
        Some(v) => shoal_common::number::parse_i64(v)
            .ok_or_else(|| ReplyError::other("ERR hash value is not an integer"))?,
    };
    let new = cur.checked_add(by).ok_or(ReplyError::Overflow)?;
    let l = limits(ctx);
    let text = itoa::Buffer::new().format(new).to_owned();
    write_or_create(ctx, key)?.set(&argv[2], text.as_bytes(), &l);
    ctx.signal_modified_key(key);
    ctx.notify(EVENT_HASH, "hincrby", key);
    Ok(Frame::Integer(new))
}

/// ```text
/// HINCRBYFLOAT key field increment
/// ```
pub fn hincrbyfloat(ctx: &mut Ctx<'_>, argv: &[Bytes]) -> Result<Frame, ReplyError> {
    use super::long_double::LongDouble;
    if shoal_common::number::parse_f64(&argv[3]).is_some_and(f64::is_infinite) {
        return Err(ReplyError::other("ERR value is NaN or Infinity"));
    }
    let by = LongDouble::parse(&argv[3]).ok_or(ReplyError::NotFloat)?;
    let key = &argv[1];
    let cur = match write(ctx, key)?.and_then(|h| h.get(&argv[2])) {
        None => LongDouble::parse(b"0").expect("invariant: zero parses"),
        Some(v) => LongDouble::parse(v)
            .ok_or_else(|| ReplyError::other("ERR hash value is not a float"))?,
    };
    let sum = cur
        .checked_add(by)
        .ok_or_else(|| ReplyError::other("ERR increment would produce NaN or Infinity"))?;
    let text = Bytes::from(sum.to_human_string());
    let l = limits(ctx);
    write_or_create(ctx, key)?.set(&argv[2], &text, &l);
    ctx.signal_modified_key(key);
    ctx.notify(EVENT_HASH, "hincrbyfloat", key);
    ctx.propagate_as = Some(vec![vec![
        Bytes::from_static(b"HSET"),
        key.clone(),
        argv[2].clone(),
        text.clone(),
    ]]);
    Ok(Frame::Bulk(text))
}

/// HRANDFIELD's count argument (Redis `getRangeLongFromObjectOrReply(-LONG_MAX, LONG_MAX)`).
pub fn parse_rand_count(arg: &[u8]) -> Result<i64, ReplyError> {
    let n = args::int(arg)?;
    if n == i64::MIN {
        return Err(ReplyError::other(
            "ERR value is out of range, value must between -9223372036854775807 and \
             9223372036854775807",
        ));
    }
    Ok(n)
}

/// ```text
/// HRANDFIELD key [count [WITHVALUES]]
/// ```
pub fn hrandfield(ctx: &mut Ctx<'_>, argv: &[Bytes]) -> Result<Frame, ReplyError> {
    if argv.len() == 2 {
        let Some(h) = read(ctx, &argv[1])? else {
            return Ok(Frame::Null);
        };
        let i = rand::rng().random_range(0..h.len());
        return Ok(h.get_index(i).map_or(Frame::Null, |(f, _)| Frame::bulk(f)));
    }
    let count = parse_rand_count(&argv[2])?;
    let with_values = match argv.get(3) {
        None => false,
        Some(a) if argv.len() == 4 && args::is(a, "withvalues") => true,
        Some(_) => return Err(ReplyError::Syntax),
    };
    if with_values && count.unsigned_abs() > (i64::MAX as u64) / 2 {
        return Err(ReplyError::other("ERR value is out of range"));
    }
    let resp3 = ctx.client.protocol == shoal_common::resp::Protocol::Resp3;
    let Some(h) = read(ctx, &argv[1])? else {
        return Ok(Frame::Array(Vec::new()));
    };
    let picked = pick_indices(h.len(), count, &mut rand::rng());
    let mut out = Vec::with_capacity(picked.len() * (1 + usize::from(with_values)));
    for i in picked {
        let (f, v) = h.get_index(i).expect("invariant: index < len");
        if !with_values {
            out.push(Frame::bulk(f));
        } else if resp3 {
            out.push(Frame::Array(vec![Frame::bulk(f), Frame::bulk(v)]));
        } else {
            out.push(Frame::bulk(f));
            out.push(Frame::bulk(v));
        }
    }
    Ok(Frame::Array(out))
}

/// Positions for a random-members reply of `count` over `len` elements (HRANDFIELD,
/// SRANDMEMBER): negative counts repeat, positive counts are distinct, and a count of at
/// least `len` is everything in storage order, as Redis replies it.
pub fn pick_indices(len: usize, count: i64, rng: &mut impl Rng) -> Vec<usize> {
    if len == 0 || count == 0 {
        return Vec::new();
    }
    if count < 0 {
        let n = usize::try_from(count.unsigned_abs()).unwrap_or(usize::MAX);
        return (0..n).map(|_| rng.random_range(0..len)).collect();
    }
    let n = usize::try_from(count).unwrap_or(usize::MAX);
    if n >= len {
        return (0..len).collect();
    }
    rand::seq::index::sample(rng, len, n).into_vec()
}

/// Parsed `[MATCH pattern] [COUNT count]` of the SCAN family (Redis `scanGenericCommand`).
pub struct ScanOptions {
    /// COUNT (default 10).
    pub count: usize,
    /// MATCH, unless `*`.
    pub pattern: Option<Bytes>,
}

/// Parses SCAN options from `argv[from..]`.
pub fn parse_scan_options(argv: &[Bytes], from: usize) -> Result<ScanOptions, ReplyError> {
    let mut o = ScanOptions {
        count: 10,
        pattern: None,
    };
    let mut i = from;
    while i < argv.len() {
        let more = i + 1 < argv.len();
        if args::is(&argv[i], "count") && more {
            let c = args::int(&argv[i + 1])?;
            o.count = usize::try_from(c)
                .ok()
                .filter(|c| *c >= 1)
                .ok_or(ReplyError::Syntax)?;
        } else if args::is(&argv[i], "match") && more {
            o.pattern = Some(argv[i + 1].clone()).filter(|p| p.as_ref() != b"*");
        } else {
            return Err(ReplyError::Syntax);
        }
        i += 2;
    }
    Ok(o)
}

/// One step of a positional scan over `len` entries (tables): positions are visited
/// downwards, so `swap_remove` (which moves the last entry down) never hides an entry
/// present for the whole scan. Returns the positions to visit and the next cursor.
pub fn scan_positions(len: usize, cursor: u64, count: usize) -> (Vec<usize>, u64) {
    let len64 = len as u64;
    let rem = if cursor == 0 {
        len64
    } else {
        (cursor - 1).min(len64)
    };
    let take = (count as u64).min(rem);
    let positions = (rem - take..rem)
        .rev()
        .map(|p| usize::try_from(p).expect("invariant: p < len"))
        .collect();
    let left = rem - take;
    (positions, if left == 0 { 0 } else { left + 1 })
}

/// Keeps the items whose key matches `pattern` and builds the `[cursor, items]` reply.
pub fn scan_reply(next: u64, items: Vec<(Bytes, Option<Bytes>)>, pattern: Option<&Bytes>) -> Frame {
    let mut out = Vec::with_capacity(items.len() * 2);
    for (k, v) in items {
        if pattern.is_some_and(|p| !glob_match(p, &k, false)) {
            continue;
        }
        out.push(Frame::Bulk(k));
        if let Some(v) = v {
            out.push(Frame::Bulk(v));
        }
    }
    Frame::Array(vec![Frame::bulk(next.to_string()), Frame::Array(out)])
}

/// ```text
/// HSCAN key cursor [MATCH pattern] [COUNT count]
/// ```
pub fn hscan(ctx: &mut Ctx<'_>, argv: &[Bytes]) -> Result<Frame, ReplyError> {
    let cursor = super::zset::pop::parse_cursor(&argv[2])?;
    let Some(h) = read(ctx, &argv[1])? else {
        return Ok(scan_reply(0, Vec::new(), None));
    };
    let o = parse_scan_options(argv, 3)?;
    let pair =
        |(f, v): (&[u8], &[u8])| (Bytes::copy_from_slice(f), Some(Bytes::copy_from_slice(v)));
    let (items, next) = match h {
        Hash::Listpack(_) => (h.iter().map(pair).collect(), 0),
        Hash::Table(_) => {
            let (positions, next) = scan_positions(h.len(), cursor, o.count);
            let items = positions
                .into_iter()
                .filter_map(|i| h.get_index(i))
                .map(pair)
                .collect();
            (items, next)
        }
    };
    Ok(scan_reply(next, items, o.pattern.as_ref()))
}
