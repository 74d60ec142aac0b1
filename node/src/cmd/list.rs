//! List commands (Redis `t_list.c`), including the blocking pops built on
//! [`crate::exec::blocking`].
//!
//! Argument checks run in Redis's order (options and numbers first where Redis parses them
//! first, then the key lookup), so the error a client sees for a bad command matches. A list
//! that loses its last element is deleted (`del` event), as in Redis.

use bytes::Bytes;
use shoal_common::resp::RawArray;
use shoal_common::{Frame, ReplyError};

use super::args;
use super::string::EVENT_GENERIC;
use crate::db::quicklist::QuickList;
use crate::db::{Db, NO_EXPIRE, Value};
use crate::exec::{Ctx, blocking};

/// Keyspace event class for list commands (`l`).
pub const EVENT_LIST: u8 = b'l';

type List = QuickList;

/// `list-max-listpack-size`: the node fill limit new elements are packed under.
fn fill(ctx: &Ctx<'_>) -> i64 {
    ctx.srv.hot.list_max_listpack_size
}

/// Which end of a list.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum End {
    /// LEFT / head.
    Left,
    /// RIGHT / tail.
    Right,
}

impl End {
    fn pop_event(self) -> &'static str {
        match self {
            End::Left => "lpop",
            End::Right => "rpop",
        }
    }

    fn pop_command(self) -> Bytes {
        Bytes::from_static(match self {
            End::Left => b"LPOP",
            End::Right => b"RPOP",
        })
    }

    fn name(self) -> Bytes {
        Bytes::from_static(match self {
            End::Left => b"LEFT",
            End::Right => b"RIGHT",
        })
    }

    fn push_event(self) -> &'static str {
        match self {
            End::Left => "lpush",
            End::Right => "rpush",
        }
    }
}

fn parse_end(arg: &[u8]) -> Result<End, ReplyError> {
    if args::is(arg, "left") {
        Ok(End::Left)
    } else if args::is(arg, "right") {
        Ok(End::Right)
    } else {
        Err(ReplyError::Syntax)
    }
}

fn len_frame(n: usize) -> Frame {
    Frame::Integer(i64::try_from(n).unwrap_or(i64::MAX))
}

/// The list at `key` for writing: `None` if missing, WRONGTYPE for another type.
fn list_mut<'a>(db: &'a mut Db, key: &[u8], now: i64) -> Result<Option<&'a mut List>, ReplyError> {
    match db.get_mut(key, now) {
        None => Ok(None),
        Some(e) => match &mut e.value {
            Value::List(l) => Ok(Some(l)),
            _ => Err(ReplyError::WrongType),
        },
    }
}

/// Read access: same as [`list_mut`] (lookups apply lazy expiry, which needs `&mut`).
fn list_ref<'a>(ctx: &'a mut Ctx<'_>, key: &[u8]) -> Result<Option<&'a List>, ReplyError> {
    let now = ctx.now_ms;
    Ok(list_mut(ctx.db(), key, now)?.map(|l| &*l))
}

/// Deletes `key` if its list is empty, with the `del` event.
fn delete_if_empty(ctx: &mut Ctx<'_>, key: &[u8]) {
    let empty =
        matches!(ctx.db().peek(key), Some(e) if matches!(&e.value, Value::List(l) if l.is_empty()));
    if empty {
        ctx.db().remove(key);
        ctx.notify(EVENT_GENERIC, "del", key);
    }
}

fn push_generic(
    ctx: &mut Ctx<'_>,
    argv: &[Bytes],
    end: End,
    only_existing: bool,
) -> Result<Frame, ReplyError> {
    let key = &argv[1];
    let now = ctx.now_ms;
    let fill = fill(ctx);
    let len = match list_mut(ctx.db(), key, now)? {
        Some(l) => {
            push_all(l, &argv[2..], end, fill);
            l.len()
        }
        None if only_existing => return Ok(Frame::Integer(0)),
        None => {
            let mut l = List::new();
            push_all(&mut l, &argv[2..], end, fill);
            let n = l.len();
            ctx.db().set(key.clone(), Value::List(l), NO_EXPIRE);
            n
        }
    };
    ctx.signal_modified_key(key);
    ctx.notify(EVENT_LIST, end.push_event(), key);
    Ok(len_frame(len))
}

fn push_all(l: &mut List, items: &[Bytes], end: End, fill: i64) {
    for it in items {
        match end {
            End::Left => l.push_front(it, fill),
            End::Right => l.push_back(it, fill),
        }
    }
}

/// ```text
/// LPUSH key element [element ...]
/// ```
pub fn lpush(ctx: &mut Ctx<'_>, argv: &[Bytes]) -> Result<Frame, ReplyError> {
    push_generic(ctx, argv, End::Left, false)
}

/// ```text
/// RPUSH key element [element ...]
/// ```
pub fn rpush(ctx: &mut Ctx<'_>, argv: &[Bytes]) -> Result<Frame, ReplyError> {
    push_generic(ctx, argv, End::Right, false)
}

/// ```text
/// LPUSHX key element [element ...]
/// ```
pub fn lpushx(ctx: &mut Ctx<'_>, argv: &[Bytes]) -> Result<Frame, ReplyError> {
    push_generic(ctx, argv, End::Left, true)
}

/// ```text
/// RPUSHX key element [element ...]
/// ```
pub fn rpushx(ctx: &mut Ctx<'_>, argv: &[Bytes]) -> Result<Frame, ReplyError> {
    push_generic(ctx, argv, End::Right, true)
}

/// Pops up to `count` elements from `key` (which must hold a non-empty list), with events,
/// deletion of the emptied key and the ready signal.
fn pop_n(ctx: &mut Ctx<'_>, key: &Bytes, end: End, count: usize) -> Vec<Bytes> {
    let mut out = Vec::new();
    // The caller looked the key up (and recorded the access) already.
    if let Some(Value::List(l)) = ctx.db().peek_mut(key).map(|e| &mut e.value) {
        let n = count.min(l.len());
        out.reserve(n);
        for _ in 0..n {
            let v = match end {
                End::Left => l.pop_front(),
                End::Right => l.pop_back(),
            };
            out.extend(v);
        }
    }
    ctx.notify(EVENT_LIST, end.pop_event(), key);
    delete_if_empty(ctx, key);
    ctx.signal_modified_key(key);
    out
}

fn pop_command(ctx: &mut Ctx<'_>, argv: &[Bytes], end: End) -> Result<Frame, ReplyError> {
    if argv.len() > 3 {
        return Err(ReplyError::WrongArity(end.pop_event().into()));
    }
    let count = match argv.get(2) {
        Some(a) => Some(
            usize::try_from(args::int(a).map_err(|_| must_be_positive())?)
                .map_err(|_| must_be_positive())?,
        ),
        None => None,
    };
    let key = &argv[1];
    let Some(l) = list_ref(ctx, key)? else {
        return Ok(if count.is_some() {
            Frame::NullArray
        } else {
            Frame::Null
        });
    };
    if l.is_empty() {
        return Ok(Frame::Null);
    }
    match count {
        None => {
            let v = pop_n(ctx, key, end, 1);
            Ok(v.into_iter().next().map_or(Frame::Null, Frame::Bulk))
        }
        Some(0) => Ok(Frame::Array(Vec::new())),
        Some(n) => Ok(Frame::bulks(pop_n(ctx, key, end, n))),
    }
}

fn must_be_positive() -> ReplyError {
    ReplyError::other("ERR value is out of range, must be positive")
}

/// ```text
/// LPOP key [count]
/// ```
pub fn lpop(ctx: &mut Ctx<'_>, argv: &[Bytes]) -> Result<Frame, ReplyError> {
    pop_command(ctx, argv, End::Left)
}

/// ```text
/// RPOP key [count]
/// ```
pub fn rpop(ctx: &mut Ctx<'_>, argv: &[Bytes]) -> Result<Frame, ReplyError> {
    pop_command(ctx, argv, End::Right)
}

/// ```text
/// LLEN key
/// ```
pub fn llen(ctx: &mut Ctx<'_>, argv: &[Bytes]) -> Result<Frame, ReplyError> {
    Ok(len_frame(
        list_ref(ctx, &argv[1])?.map_or(0, QuickList::len),
    ))
}

/// Resolves a Redis list index (negative from the tail) against `len`.
fn resolve_index(index: i64, len: usize) -> Option<usize> {
    let len = i64::try_from(len).ok()?;
    let i = if index < 0 { len + index } else { index };
    (0..len)
        .contains(&i)
        .then(|| usize::try_from(i).ok())
        .flatten()
}

/// ```text
/// LINDEX key index
/// ```
pub fn lindex(ctx: &mut Ctx<'_>, argv: &[Bytes]) -> Result<Frame, ReplyError> {
    let Some(l) = list_ref(ctx, &argv[1])? else {
        return Ok(Frame::Null);
    };
    let index = args::int(&argv[2])?;
    Ok(resolve_index(index, l.len())
        .and_then(|i| l.get(i))
        .map_or(Frame::Null, |v| Frame::Bulk(Bytes::copy_from_slice(v))))
}

/// ```text
/// LSET key index element
/// ```
pub fn lset(ctx: &mut Ctx<'_>, argv: &[Bytes]) -> Result<Frame, ReplyError> {
    let now = ctx.now_ms;
    let key = &argv[1];
    let fill = fill(ctx);
    let Some(l) = list_mut(ctx.db(), key, now)? else {
        return Err(ReplyError::NoSuchKey);
    };
    let index = args::int(&argv[2])?;
    let i = resolve_index(index, l.len()).ok_or(ReplyError::IndexOutOfRange)?;
    l.set(i, &argv[3], fill);
    ctx.signal_modified_key(key);
    ctx.notify(EVENT_LIST, "lset", key);
    Ok(Frame::ok())
}

/// Redis's range normalisation (LRANGE, LTRIM): `None` for an empty range.
fn normalize_range(start: i64, end: i64, len: usize) -> Option<(usize, usize)> {
    let len = i64::try_from(len).unwrap_or(i64::MAX);
    let mut start = if start < 0 {
        len.saturating_add(start)
    } else {
        start
    };
    let mut end = if end < 0 {
        len.saturating_add(end)
    } else {
        end
    };
    if start < 0 {
        start = 0;
    }
    if start > end || start >= len {
        return None;
    }
    if end >= len {
        end = len - 1;
    }
    Some((
        usize::try_from(start).expect("invariant: start >= 0"),
        usize::try_from(end).expect("invariant: end >= start >= 0"),
    ))
}

/// ```text
/// LRANGE key start stop
/// ```
pub fn lrange(ctx: &mut Ctx<'_>, argv: &[Bytes]) -> Result<Frame, ReplyError> {
    let start = args::int(&argv[2])?;
    let end = args::int(&argv[3])?;
    let Some(l) = list_ref(ctx, &argv[1])? else {
        return Ok(Frame::Array(Vec::new()));
    };
    Ok(match normalize_range(start, end, l.len()) {
        None => Frame::Array(Vec::new()),
        Some((s, e)) => {
            let n = e - s + 1;
            let mut out = RawArray::new(n, 0);
            l.range_into(s, n, &mut out);
            out.finish()
        }
    })
}

/// ```text
/// LTRIM key start stop
/// ```
pub fn ltrim(ctx: &mut Ctx<'_>, argv: &[Bytes]) -> Result<Frame, ReplyError> {
    let start = args::int(&argv[2])?;
    let end = args::int(&argv[3])?;
    let key = &argv[1];
    let now = ctx.now_ms;
    let Some(l) = list_mut(ctx.db(), key, now)? else {
        return Ok(Frame::ok());
    };
    match normalize_range(start, end, l.len()) {
        None => l.clear(),
        Some((s, e)) => l.keep_range(s, e),
    }
    ctx.notify(EVENT_LIST, "ltrim", key);
    delete_if_empty(ctx, key);
    ctx.signal_modified_key(key);
    Ok(Frame::ok())
}

/// ```text
/// LREM key count element
/// ```
pub fn lrem(ctx: &mut Ctx<'_>, argv: &[Bytes]) -> Result<Frame, ReplyError> {
    let count = args::int(&argv[2])?;
    let key = &argv[1];
    let elem = &argv[3];
    let now = ctx.now_ms;
    let Some(l) = list_mut(ctx.db(), key, now)? else {
        return Ok(Frame::Integer(0));
    };
    let limit = if count == 0 {
        u64::MAX
    } else {
        count.unsigned_abs()
    };
    let removed = l.remove_matching(elem, limit, count < 0);
    if removed > 0 {
        ctx.notify(EVENT_LIST, "lrem", key);
        delete_if_empty(ctx, key);
        ctx.signal_modified_key(key);
    }
    Ok(Frame::Integer(i64::try_from(removed).unwrap_or(i64::MAX)))
}

/// ```text
/// LINSERT key <BEFORE | AFTER> pivot element
/// ```
pub fn linsert(ctx: &mut Ctx<'_>, argv: &[Bytes]) -> Result<Frame, ReplyError> {
    let after = if args::is(&argv[2], "after") {
        true
    } else if args::is(&argv[2], "before") {
        false
    } else {
        return Err(ReplyError::Syntax);
    };
    let key = &argv[1];
    let now = ctx.now_ms;
    let fill = fill(ctx);
    let Some(l) = list_mut(ctx.db(), key, now)? else {
        return Ok(Frame::Integer(0));
    };
    let Some(pos) = l.iter().position(|v| *v == argv[3]) else {
        return Ok(Frame::Integer(-1));
    };
    l.insert(pos + usize::from(after), &argv[4], fill);
    let n = l.len();
    ctx.signal_modified_key(key);
    ctx.notify(EVENT_LIST, "linsert", key);
    Ok(len_frame(n))
}

/// LPOS options.
struct LposOptions {
    rank: i64,
    count: Option<i64>,
    maxlen: i64,
}

fn parse_lpos(argv: &[Bytes]) -> Result<LposOptions, ReplyError> {
    let mut o = LposOptions {
        rank: 1,
        count: None,
        maxlen: 0,
    };
    let mut j = 3;
    while j < argv.len() {
        let more = j + 1 < argv.len();
        let a = &argv[j];
        if args::is(a, "rank") && more {
            j += 1;
            o.rank = args::int(&argv[j])?;
            if o.rank == 0 {
                return Err(ReplyError::other(
                    "ERR RANK can't be zero: use 1 to start from the first match, 2 from the \
                     second ... or use negative to start from the end of the list",
                ));
            }
        } else if args::is(a, "count") && more {
            j += 1;
            let err = || ReplyError::other("ERR COUNT can't be negative");
            o.count = Some(
                args::int(&argv[j])
                    .ok()
                    .filter(|c| *c >= 0)
                    .ok_or_else(err)?,
            );
        } else if args::is(a, "maxlen") && more {
            j += 1;
            let err = || ReplyError::other("ERR MAXLEN can't be negative");
            o.maxlen = args::int(&argv[j])
                .ok()
                .filter(|c| *c >= 0)
                .ok_or_else(err)?;
        } else {
            return Err(ReplyError::Syntax);
        }
        j += 1;
    }
    Ok(o)
}

/// ```text
/// LPOS key element [RANK rank] [COUNT num-matches] [MAXLEN len]
/// ```
pub fn lpos(ctx: &mut Ctx<'_>, argv: &[Bytes]) -> Result<Frame, ReplyError> {
    let o = parse_lpos(argv)?;
    let Some(l) = list_ref(ctx, &argv[1])? else {
        return Ok(if o.count.is_some() {
            Frame::Array(Vec::new())
        } else {
            Frame::Null
        });
    };
    // A negative rank scans from the tail; C's `-LLONG_MIN` stays negative, so wrap too.
    let from_tail = o.rank < 0;
    let rank = if from_tail {
        o.rank.wrapping_neg()
    } else {
        o.rank
    };
    let len = i64::try_from(l.len()).unwrap_or(i64::MAX);
    let mut matches: i64 = 0;
    let mut found = Vec::new();
    let elems: Box<dyn Iterator<Item = &[u8]>> = if from_tail {
        Box::new(l.iter_rev())
    } else {
        Box::new(l.iter())
    };
    for (index, elem) in (0..len).zip(elems) {
        if o.maxlen != 0 && index >= o.maxlen {
            break;
        }
        let pos = if from_tail { len - index - 1 } else { index };
        if *elem != argv[2][..] {
            continue;
        }
        matches += 1;
        if matches >= rank {
            found.push(pos);
            match o.count {
                None => break,
                Some(c) if c != 0 && matches - rank + 1 >= c => break,
                Some(_) => {}
            }
        }
    }
    Ok(match o.count {
        Some(_) => Frame::Array(found.into_iter().map(Frame::Integer).collect()),
        None => found.first().map_or(Frame::Null, |p| Frame::Integer(*p)),
    })
}

/// The body of LMOVE, RPOPLPUSH and their blocking forms once the source holds a list
/// (Redis `lmoveGenericCommand`).
fn lmove_generic(
    ctx: &mut Ctx<'_>,
    src: &Bytes,
    dst: &Bytes,
    from: End,
    to: End,
) -> Result<Frame, ReplyError> {
    let now = ctx.now_ms;
    let fill = fill(ctx);
    match list_ref(ctx, src)? {
        None => return Ok(Frame::Null),
        Some(l) if l.is_empty() => return Ok(Frame::Null),
        Some(_) => {}
    }
    list_mut(ctx.db(), dst, now)?;
    // Both keys were looked up (and their accesses recorded) above: no second access.
    let Some(Value::List(l)) = ctx.db().peek_mut(src).map(|e| &mut e.value) else {
        unreachable!("invariant: src holds a non-empty list, checked above")
    };
    let value = match from {
        End::Left => l.pop_front(),
        End::Right => l.pop_back(),
    }
    .expect("invariant: non-empty");
    match ctx.db().peek_mut(dst).map(|e| &mut e.value) {
        Some(Value::List(d)) => push_all(d, std::slice::from_ref(&value), to, fill),
        Some(_) => unreachable!("invariant: dst type checked above"),
        None => {
            let d = QuickList::from_items([&value[..]], fill);
            ctx.db().set(dst.clone(), Value::List(d), NO_EXPIRE);
        }
    }
    ctx.signal_modified_key(dst);
    ctx.notify(EVENT_LIST, to.push_event(), dst);
    ctx.notify(EVENT_LIST, from.pop_event(), src);
    delete_if_empty(ctx, src);
    ctx.signal_modified_key(src);
    Ok(Frame::Bulk(value))
}

/// ```text
/// LMOVE source destination <LEFT | RIGHT> <LEFT | RIGHT>
/// ```
pub fn lmove(ctx: &mut Ctx<'_>, argv: &[Bytes]) -> Result<Frame, ReplyError> {
    let from = parse_end(&argv[3])?;
    let to = parse_end(&argv[4])?;
    lmove_generic(ctx, &argv[1], &argv[2], from, to)
}

/// ```text
/// RPOPLPUSH source destination
/// ```
pub fn rpoplpush(ctx: &mut Ctx<'_>, argv: &[Bytes]) -> Result<Frame, ReplyError> {
    lmove_generic(ctx, &argv[1], &argv[2], End::Right, End::Left)
}

/// Parsed `numkeys key... LEFT|RIGHT [COUNT n]` of LMPOP/BLMPOP, starting at `at`.
fn parse_mpop(argv: &[Bytes], at: usize) -> Result<(Vec<Bytes>, End, usize), ReplyError> {
    let numkeys_err = || ReplyError::other("ERR numkeys should be greater than 0");
    let numkeys = args::int(&argv[at])
        .ok()
        .filter(|n| *n >= 1)
        .ok_or_else(numkeys_err)?;
    let numkeys = usize::try_from(numkeys).map_err(|_| numkeys_err())?;
    let where_idx = at
        .checked_add(numkeys)
        .and_then(|i| i.checked_add(1))
        .filter(|i| *i < argv.len())
        .ok_or(ReplyError::Syntax)?;
    let end = parse_end(&argv[where_idx])?;
    let mut count = None;
    let mut j = where_idx + 1;
    while j < argv.len() {
        if count.is_none() && args::is(&argv[j], "count") && j + 1 < argv.len() {
            j += 1;
            let err = || ReplyError::other("ERR count should be greater than 0");
            let c = args::int(&argv[j])
                .ok()
                .filter(|c| *c >= 1)
                .ok_or_else(err)?;
            count = Some(usize::try_from(c).map_err(|_| err())?);
        } else {
            return Err(ReplyError::Syntax);
        }
        j += 1;
    }
    Ok((argv[at + 1..where_idx].to_vec(), end, count.unwrap_or(1)))
}

/// Pops from the first non-empty list among `keys`: `[key, [elements]]`, or `None`. The
/// effect reaches replicas as `LPOP|RPOP key count`, as Redis rewrites it.
fn mpop_first(
    ctx: &mut Ctx<'_>,
    keys: &[Bytes],
    end: End,
    count: usize,
) -> Result<Option<Frame>, ReplyError> {
    for key in keys {
        match list_ref(ctx, key)? {
            Some(l) if !l.is_empty() => {
                let items = pop_n(ctx, key, end, count);
                let n = Bytes::from(items.len().to_string());
                ctx.propagate_as = Some(vec![vec![end.pop_command(), key.clone(), n]]);
                return Ok(Some(Frame::Array(vec![
                    Frame::Bulk(key.clone()),
                    Frame::bulks(items),
                ])));
            }
            _ => {}
        }
    }
    Ok(None)
}

/// ```text
/// LMPOP numkeys key [key ...] <LEFT | RIGHT> [COUNT count]
/// ```
pub fn lmpop(ctx: &mut Ctx<'_>, argv: &[Bytes]) -> Result<Frame, ReplyError> {
    let (keys, end, count) = parse_mpop(argv, 1)?;
    Ok(mpop_first(ctx, &keys, end, count)?.unwrap_or(Frame::NullArray))
}

/// BLPOP/BRPOP body (Redis `blockingPopGenericCommand` without COUNT).
fn bpop(ctx: &mut Ctx<'_>, argv: &[Bytes], end: End) -> Result<Frame, ReplyError> {
    let deadline = blocking::parse_timeout(ctx, &argv[argv.len() - 1])?;
    let keys = &argv[1..argv.len() - 1];
    for key in blocking::keys_to_try(ctx, keys) {
        match list_ref(ctx, &key)? {
            Some(l) if !l.is_empty() => {
                let v = pop_n(ctx, &key, end, 1);
                let v = v.into_iter().next().expect("invariant: non-empty list");
                ctx.propagate_as = Some(vec![vec![end.pop_command(), key.clone()]]);
                return Ok(Frame::Array(vec![Frame::Bulk(key), Frame::Bulk(v)]));
            }
            _ => {}
        }
    }
    blocking::block(ctx, keys, deadline, "list")
}

/// ```text
/// BLPOP key [key ...] timeout
/// ```
pub fn blpop(ctx: &mut Ctx<'_>, argv: &[Bytes]) -> Result<Frame, ReplyError> {
    bpop(ctx, argv, End::Left)
}

/// ```text
/// BRPOP key [key ...] timeout
/// ```
pub fn brpop(ctx: &mut Ctx<'_>, argv: &[Bytes]) -> Result<Frame, ReplyError> {
    bpop(ctx, argv, End::Right)
}

/// ```text
/// BLMPOP timeout numkeys key [key ...] <LEFT | RIGHT> [COUNT count]
/// ```
pub fn blmpop(ctx: &mut Ctx<'_>, argv: &[Bytes]) -> Result<Frame, ReplyError> {
    let deadline = blocking::parse_timeout(ctx, &argv[1])?;
    let (keys, end, count) = parse_mpop(argv, 2)?;
    let to_try = blocking::keys_to_try(ctx, &keys);
    if let Some(reply) = mpop_first(ctx, &to_try, end, count)? {
        return Ok(reply);
    }
    blocking::block(ctx, &keys, deadline, "list")
}

/// BLMOVE/BRPOPLPUSH body (Redis `blmoveGenericCommand`).
fn blmove_generic(
    ctx: &mut Ctx<'_>,
    argv: &[Bytes],
    from: End,
    to: End,
    deadline: i64,
) -> Result<Frame, ReplyError> {
    let src = &argv[1];
    if list_ref(ctx, src)?.is_some() {
        let reply = lmove_generic(ctx, src, &argv[2], from, to)?;
        ctx.propagate_as = Some(vec![vec![
            Bytes::from_static(b"LMOVE"),
            src.clone(),
            argv[2].clone(),
            from.name(),
            to.name(),
        ]]);
        return Ok(reply);
    }
    if !blocking::may_block(ctx) {
        ctx.propagate_as = Some(Vec::new());
        return Ok(Frame::Null);
    }
    blocking::block(ctx, std::slice::from_ref(src), deadline, "list")
}

/// ```text
/// BLMOVE source destination <LEFT | RIGHT> <LEFT | RIGHT> timeout
/// ```
pub fn blmove(ctx: &mut Ctx<'_>, argv: &[Bytes]) -> Result<Frame, ReplyError> {
    let from = parse_end(&argv[3])?;
    let to = parse_end(&argv[4])?;
    let deadline = blocking::parse_timeout(ctx, &argv[5])?;
    blmove_generic(ctx, argv, from, to, deadline)
}

/// ```text
/// BRPOPLPUSH source destination timeout
/// ```
pub fn brpoplpush(ctx: &mut Ctx<'_>, argv: &[Bytes]) -> Result<Frame, ReplyError> {
    let deadline = blocking::parse_timeout(ctx, &argv[3])?;
    blmove_generic(ctx, argv, End::Right, End::Left, deadline)
}
