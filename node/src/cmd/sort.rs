//! SORT and SORT_RO (Redis `sort.c`).
//!
//! The elements come from a list, a set or a sorted set; each
//! may be weighted through a `BY` pattern (`weight_*`, or `hash_*->field`) and projected
//! through `GET` patterns (`#` is the element itself). Numeric sorting uses `strtod` and
//! breaks ties by comparing the elements, so the order is deterministic; ALPHA compares
//! bytes. A `BY` pattern without `*` means "don't sort": the source's own order is kept
//! (reversed by DESC) and LIMIT picks straight from it.
//!
//! SORT ... STORE writes the result as a list (event `sortstore`; an empty result deletes
//! the destination). A set sorted with `BY nosort` and STORE is sorted ALPHA instead, so the
//! stored result does not depend on the set's internal order (as Redis does).

use std::cmp::Ordering;

use crate::db::quicklist::QuickList;

use bytes::Bytes;
use shoal_common::number;
use shoal_common::{Frame, ReplyError};

use super::args;
use crate::db::value::Set;
use crate::db::zset::ZSet;
use crate::db::{Db, Value};
use crate::exec::Ctx;

/// What is being sorted.
enum Source<'a> {
    Missing,
    List(&'a QuickList),
    Set(&'a Set),
    Z(&'a ZSet),
}

impl<'a> Source<'a> {
    fn of(v: Option<&'a Value>) -> Result<Source<'a>, ReplyError> {
        match v {
            None => Ok(Source::Missing),
            Some(Value::ZSet(z)) => Ok(Source::Z(z)),
            Some(Value::List(l)) => Ok(Source::List(l)),
            Some(Value::Set(s)) => Ok(Source::Set(s)),
            Some(_) => Err(ReplyError::WrongType),
        }
    }

    fn len(&self) -> usize {
        match self {
            Source::Missing => 0,
            Source::List(l) => l.len(),
            Source::Set(s) => s.len(),
            Source::Z(z) => z.len(),
        }
    }

    /// Elements at positions `start..start + n` in the source's own order, from the end
    /// when `desc` (the "don't sort" path; a set has no ends, so DESC does not apply).
    fn ordered(&self, start: usize, n: usize, desc: bool) -> Vec<Bytes> {
        match self {
            Source::Missing => Vec::new(),
            Source::Set(s) => s.members().into_iter().skip(start).take(n).collect(),
            Source::List(l) => {
                let len = l.len();
                let (lo, hi) = if desc {
                    (len.saturating_sub(start + n), len.saturating_sub(start))
                } else {
                    (start.min(len), (start + n).min(len))
                };
                let it = l.iter_from(lo).take(hi - lo).map(Bytes::copy_from_slice);
                if desc {
                    let mut v: Vec<Bytes> = it.collect();
                    v.reverse();
                    v
                } else {
                    it.collect()
                }
            }
            Source::Z(z) => {
                let len = z.len();
                let (lo, hi) = if desc {
                    (len.saturating_sub(start + n), len.saturating_sub(start))
                } else {
                    (start.min(len), (start + n).min(len))
                };
                let it = z.range(lo, hi).map(|(_, m)| Bytes::copy_from_slice(m));
                if desc {
                    it.rev().collect()
                } else {
                    it.collect()
                }
            }
        }
    }
}

/// Parsed options.
struct SortOpts {
    desc: bool,
    alpha: bool,
    limit_start: i64,
    limit_count: i64,
    by: Option<Bytes>,
    dontsort: bool,
    gets: Vec<Bytes>,
    store: Option<Bytes>,
}

fn parse(ctx: &Ctx<'_>, argv: &[Bytes], readonly: bool) -> Result<SortOpts, ReplyError> {
    let cluster = ctx.srv.cluster_enabled();
    let mut o = SortOpts {
        desc: false,
        alpha: false,
        limit_start: 0,
        limit_count: -1,
        by: None,
        dontsort: false,
        gets: Vec::new(),
        store: None,
    };
    let mut j = 2;
    while j < argv.len() {
        let left = argv.len() - j - 1;
        let a = &argv[j];
        if args::is(a, "asc") {
            o.desc = false;
        } else if args::is(a, "desc") {
            o.desc = true;
        } else if args::is(a, "alpha") {
            o.alpha = true;
        } else if args::is(a, "limit") && left >= 2 {
            o.limit_start = args::int(&argv[j + 1])?;
            o.limit_count = args::int(&argv[j + 2])?;
            j += 2;
        } else if !readonly && args::is(a, "store") && left >= 1 {
            o.store = Some(argv[j + 1].clone());
            j += 1;
        } else if args::is(a, "by") && left >= 1 {
            let p = &argv[j + 1];
            if p.contains(&b'*') {
                if cluster {
                    return Err(ReplyError::err("BY option of SORT denied in Cluster mode."));
                }
                o.dontsort = false;
            } else {
                o.dontsort = true;
            }
            o.by = Some(p.clone());
            j += 1;
        } else if args::is(a, "get") && left >= 1 {
            if cluster {
                return Err(ReplyError::err(
                    "GET option of SORT denied in Cluster mode.",
                ));
            }
            o.gets.push(argv[j + 1].clone());
            j += 1;
        } else {
            return Err(ReplyError::Syntax);
        }
        j += 1;
    }
    Ok(o)
}

/// Redis `lookupKeyByPattern`: `#` is the element; otherwise the first `*` is replaced by
/// the element and the key read as a string, or with `->field` as a hash field. Patterns
/// without `*` find nothing.
fn lookup_by_pattern(db: &Db, now_ms: i64, pattern: &[u8], subst: &Bytes) -> Option<Bytes> {
    if pattern == b"#" {
        return Some(subst.clone());
    }
    let star = pattern.iter().position(|c| *c == b'*')?;
    let after = &pattern[star + 1..];
    let arrow = after
        .windows(2)
        .position(|w| w == b"->")
        .filter(|i| i + 2 < after.len());
    let (postfix, field) = match arrow {
        Some(i) => (&after[..i], Some(&after[i + 2..])),
        None => (after, None),
    };
    let mut key = Vec::with_capacity(star + subst.len() + postfix.len());
    key.extend_from_slice(&pattern[..star]);
    key.extend_from_slice(subst);
    key.extend_from_slice(postfix);
    let e = db.peek(&key)?;
    if e.expire_at_ms != crate::db::NO_EXPIRE && e.expire_at_ms <= now_ms {
        return None;
    }
    match (&e.value, field) {
        (Value::String(s), None) => Some(s.to_bytes()),
        (Value::Hash(h), Some(f)) => h.get(f).map(Bytes::copy_from_slice),
        _ => None,
    }
}

/// One element to sort and its key.
struct Item {
    elem: Bytes,
    score: f64,
    cmp: Option<Bytes>,
}

fn compare(a: &Item, b: &Item, o: &SortOpts) -> Ordering {
    let c = if !o.alpha {
        a.score
            .partial_cmp(&b.score)
            .unwrap_or(Ordering::Equal)
            .then_with(|| a.elem.cmp(&b.elem))
    } else if o.by.is_some() {
        match (&a.cmp, &b.cmp) {
            (None, None) => Ordering::Equal,
            (None, Some(_)) => Ordering::Less,
            (Some(_), None) => Ordering::Greater,
            (Some(x), Some(y)) => x.cmp(y),
        }
    } else {
        a.elem.cmp(&b.elem)
    };
    if o.desc { c.reverse() } else { c }
}

/// Fills the sort keys; false when a numeric key does not parse.
fn weigh(items: &mut [Item], db: &Db, now_ms: i64, o: &SortOpts) -> bool {
    let mut ok = true;
    for it in items.iter_mut() {
        let byval = match &o.by {
            Some(p) => match lookup_by_pattern(db, now_ms, p, &it.elem) {
                Some(v) => v,
                None => continue,
            },
            None => it.elem.clone(),
        };
        if o.alpha {
            if o.by.is_some() {
                it.cmp = Some(byval);
            }
        } else {
            match number::strtod(&byval) {
                Some(r) if !r.erange && !r.value.is_nan() => it.score = r.value,
                _ => ok = false,
            }
        }
    }
    ok
}

/// The LIMIT window `[start, end]` (inclusive, possibly empty) over `len` elements.
fn window(len: usize, limit_start: i64, limit_count: i64) -> (i64, i64) {
    let len = i64::try_from(len).unwrap_or(i64::MAX);
    let mut start = limit_start.max(0);
    let mut end = if limit_count < 0 {
        len - 1
    } else {
        start.saturating_add(limit_count) - 1
    };
    if start >= len {
        start = len - 1;
        end = len - 2;
    }
    end = end.min(len - 1);
    (start, end)
}

/// The sorted (or ordered) window of elements, or the conversion error.
fn sorted_window(
    db: &Db,
    now_ms: i64,
    key: &[u8],
    o: &mut SortOpts,
) -> Result<Vec<Bytes>, ReplyError> {
    let src = Source::of(
        db.peek(key)
            .filter(|e| e.expire_at_ms == crate::db::NO_EXPIRE || e.expire_at_ms > now_ms)
            .map(|e| &e.value),
    )?;
    if o.dontsort && o.store.is_some() && matches!(src, Source::Set(_)) {
        o.dontsort = false;
        o.alpha = true;
        o.by = None;
    }
    let o = &*o;
    let (start, end) = window(src.len(), o.limit_start, o.limit_count);
    if end < start {
        return Ok(Vec::new());
    }
    let s = usize::try_from(start).expect("invariant: start >= 0 when end >= start");
    let n = usize::try_from(end - start + 1).expect("invariant: end >= start");
    if o.dontsort {
        return Ok(src.ordered(s, n, o.desc));
    }
    let mut items: Vec<Item> = src
        .ordered(0, src.len(), false)
        .into_iter()
        .map(|elem| Item {
            elem,
            score: 0.0,
            cmp: None,
        })
        .collect();
    if !weigh(&mut items, db, now_ms, o) {
        return Err(ReplyError::err(
            "One or more scores can't be converted into double",
        ));
    }
    items.sort_by(|a, b| compare(a, b, o));
    Ok(items
        .into_iter()
        .skip(s)
        .take(n)
        .map(|it| it.elem)
        .collect())
}

/// The shared body of SORT and SORT_RO.
fn sort_generic(ctx: &mut Ctx<'_>, argv: &[Bytes], readonly: bool) -> Result<Frame, ReplyError> {
    let mut o = parse(ctx, argv, readonly)?;
    let now = ctx.now_ms;
    // Lazy expiry and the access of Redis's `lookupKeyRead` on the sorted key (BY and GET
    // patterns are read without recording accesses).
    ctx.db().get(&argv[1], now);
    let db = &*ctx.db();
    let elems = sorted_window(db, now, &argv[1], &mut o)?;
    let mut out = Vec::with_capacity(elems.len() * o.gets.len().max(1));
    for e in &elems {
        if o.gets.is_empty() {
            out.push(Some(e.clone()));
        }
        for g in &o.gets {
            out.push(lookup_by_pattern(db, now, g, e));
        }
    }
    let Some(dst) = o.store else {
        return Ok(Frame::Array(
            out.into_iter()
                .map(|v| v.map_or(Frame::Null, Frame::Bulk))
                .collect(),
        ));
    };
    let n = out.len();
    if n == 0 {
        ctx.db().expire_if_needed(&dst, now);
        if ctx.db().remove(&dst).is_some() {
            ctx.signal_modified_key(&dst);
            ctx.notify(b'g', "del", &dst);
        }
    } else {
        let fill = ctx.srv.config.get_i64("list-max-listpack-size");
        let items: Vec<Bytes> = out.into_iter().map(Option::unwrap_or_default).collect();
        let list = QuickList::from_items(items.iter().map(|b| &b[..]), fill);
        ctx.db()
            .set(dst.clone(), Value::List(list), crate::db::NO_EXPIRE);
        ctx.signal_modified_key(&dst);
        ctx.notify(b'l', "sortstore", &dst);
    }
    Ok(Frame::Integer(i64::try_from(n).unwrap_or(i64::MAX)))
}

/// ```text
/// SORT key [BY pattern] [LIMIT offset count] [GET pattern [GET pattern ...]]
///   [ASC | DESC] [ALPHA] [STORE destination]
/// ```
pub fn sort(ctx: &mut Ctx<'_>, argv: &[Bytes]) -> Result<Frame, ReplyError> {
    sort_generic(ctx, argv, false)
}

/// ```text
/// SORT_RO key [BY pattern] [LIMIT offset count] [GET pattern [GET pattern ...]]
///   [ASC | DESC] [ALPHA]
/// ```
pub fn sort_ro(ctx: &mut Ctx<'_>, argv: &[Bytes]) -> Result<Frame, ReplyError> {
    sort_generic(ctx, argv, true)
}
