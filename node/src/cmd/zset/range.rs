//! Ranges over a sorted set: score and lex bounds parsed as Redis parses them
//! (`zslParseRange`, `zslParseLexRange`), and every command that takes a range: the ZRANGE
//! family and ZRANGESTORE (`zrangeGenericCommand`), ZCOUNT, ZLEXCOUNT and ZREMRANGEBY*.
//!
//! A range resolves to a span of ascending ranks `[start, end)`, found by binary search on
//! the set's order, so a range of `m` members costs O(log n + m) in either encoding. Lex
//! ranges on a listpack are found by Redis's linear walk instead, which gives the same
//! answer on sets whose members share a score and Redis's exact answer when they do not.

use std::cmp::Ordering;

use bytes::Bytes;
use shoal_common::number;
use shoal_common::{Frame, ReplyError};

use super::{EVENT_GENERIC, EVENT_ZSET, delete_if_empty, entries_reply, int, read, store, write};
use crate::cmd::args;
use crate::db::zset::ZSet;
use crate::exec::Ctx;

/// A score interval (Redis `zrangespec`).
#[derive(Debug, Clone, Copy)]
pub struct ScoreRange {
    /// Lower bound.
    pub min: f64,
    /// Upper bound.
    pub max: f64,
    /// Lower bound excluded.
    pub minex: bool,
    /// Upper bound excluded.
    pub maxex: bool,
}

impl ScoreRange {
    /// `value` is at or above the lower bound.
    pub fn gte_min(&self, v: f64) -> bool {
        if self.minex {
            v > self.min
        } else {
            v >= self.min
        }
    }

    /// `value` is at or below the upper bound.
    pub fn lte_max(&self, v: f64) -> bool {
        if self.maxex {
            v < self.max
        } else {
            v <= self.max
        }
    }

    /// Parses `min` and `max` (`ERR min or max is not a float`).
    pub fn parse(min: &[u8], max: &[u8]) -> Result<ScoreRange, ReplyError> {
        let bad = || ReplyError::err("min or max is not a float");
        let (min, minex) = parse_score_bound(min).ok_or_else(bad)?;
        let (max, maxex) = parse_score_bound(max).ok_or_else(bad)?;
        Ok(ScoreRange {
            min,
            max,
            minex,
            maxex,
        })
    }

    /// The ascending rank span `[start, end)` of the members inside the range.
    pub fn span(&self, z: &ZSet) -> (usize, usize) {
        let start = z.partition_point(|s, _| !self.gte_min(s));
        let end = z.partition_point(|s, _| self.lte_max(s));
        (start, end.max(start))
    }
}

/// One bound: `(`-prefixed is exclusive; the number is read by `strtod` (no NaN).
fn parse_score_bound(arg: &[u8]) -> Option<(f64, bool)> {
    let (text, ex) = match arg.first() {
        Some(b'(') => (&arg[1..], true),
        _ => (arg, false),
    };
    let r = number::strtod(text)?;
    (!r.value.is_nan()).then_some((r.value, ex))
}

/// One end of a lex range.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LexBound {
    /// `-`
    Min,
    /// `+`
    Max,
    /// `[value`
    Incl(Bytes),
    /// `(value`
    Excl(Bytes),
}

/// A lex interval (Redis `zlexrangespec`).
#[derive(Debug, Clone)]
pub struct LexRange {
    /// Lower bound.
    pub min: LexBound,
    /// Upper bound.
    pub max: LexBound,
}

impl LexBound {
    fn parse(arg: &Bytes) -> Option<LexBound> {
        match arg.first()? {
            b'+' if arg.len() == 1 => Some(LexBound::Max),
            b'-' if arg.len() == 1 => Some(LexBound::Min),
            b'(' => Some(LexBound::Excl(arg.slice(1..))),
            b'[' => Some(LexBound::Incl(arg.slice(1..))),
            _ => None,
        }
    }

    /// Compares `v` with this bound as a point (`sdscmplex`).
    fn cmp_value(&self, v: &[u8]) -> Ordering {
        match self {
            LexBound::Min => Ordering::Greater,
            LexBound::Max => Ordering::Less,
            LexBound::Incl(b) | LexBound::Excl(b) => v.cmp(b),
        }
    }

    fn exclusive(&self) -> bool {
        !matches!(self, LexBound::Incl(_))
    }
}

impl LexRange {
    /// Parses `min` and `max` (`ERR min or max not valid string range item`).
    pub fn parse(min: &Bytes, max: &Bytes) -> Result<LexRange, ReplyError> {
        let bad = || ReplyError::err("min or max not valid string range item");
        Ok(LexRange {
            min: LexBound::parse(min).ok_or_else(bad)?,
            max: LexBound::parse(max).ok_or_else(bad)?,
        })
    }

    /// `v` is at or above the lower bound.
    pub fn gte_min(&self, v: &[u8]) -> bool {
        let c = self.min.cmp_value(v);
        if self.min.exclusive() {
            c.is_gt()
        } else {
            c.is_ge()
        }
    }

    /// `v` is at or below the upper bound.
    pub fn lte_max(&self, v: &[u8]) -> bool {
        let c = self.max.cmp_value(v);
        if self.max.exclusive() {
            c.is_lt()
        } else {
            c.is_le()
        }
    }

    /// The ascending rank span `[start, end)` of the members inside the range, walking
    /// from the end `rev` says on a listpack as Redis does.
    pub fn span(&self, z: &ZSet, rev: bool) -> (usize, usize) {
        if let ZSet::Listpack(p) = z {
            let v: Vec<(f64, &[u8])> = p.iter().collect();
            // zzlIsInLexRange: the last member must reach min and the first stay under max.
            let reaches = v.last().is_some_and(|(_, m)| self.gte_min(m))
                && v.first().is_some_and(|(_, m)| self.lte_max(m));
            if !reaches {
                return (0, 0);
            }
            if rev {
                let Some(last) = v.iter().rposition(|(_, m)| self.lte_max(m)) else {
                    return (0, 0);
                };
                let n = v[..=last]
                    .iter()
                    .rev()
                    .take_while(|(_, m)| self.gte_min(m))
                    .count();
                return (last + 1 - n, last + 1);
            }
            let Some(first) = v.iter().position(|(_, m)| self.gte_min(m)) else {
                return (0, 0);
            };
            let n = v[first..]
                .iter()
                .take_while(|(_, m)| self.lte_max(m))
                .count();
            return (first, first + n);
        }
        let start = z.partition_point(|_, m| !self.gte_min(m));
        let end = z.partition_point(|_, m| self.lte_max(m));
        (start, end.max(start))
    }
}

/// ```text
/// ZCOUNT key min max
/// ```
pub fn zcount(ctx: &mut Ctx<'_>, argv: &[Bytes]) -> Result<Frame, ReplyError> {
    let r = ScoreRange::parse(&argv[2], &argv[3])?;
    let n = read(ctx, &argv[1])?.map_or(0, |z| {
        let (s, e) = r.span(z);
        e - s
    });
    Ok(int(n))
}

/// ```text
/// ZLEXCOUNT key min max
/// ```
pub fn zlexcount(ctx: &mut Ctx<'_>, argv: &[Bytes]) -> Result<Frame, ReplyError> {
    let r = LexRange::parse(&argv[2], &argv[3])?;
    let n = read(ctx, &argv[1])?.map_or(0, |z| {
        let (s, e) = r.span(z, false);
        e - s
    });
    Ok(int(n))
}

/// How a ZRANGE-family command reads its range.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum RangeType {
    Auto,
    Rank,
    Score,
    Lex,
}

/// Direction, `Auto` until REV is seen (only ZRANGE/ZRANGESTORE accept REV).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Direction {
    Auto,
    Forward,
    Reverse,
}

/// A parsed range of one of the three kinds.
enum Parsed {
    Rank(i64, i64),
    Score(ScoreRange),
    Lex(LexRange),
}

/// Options after `key min max`.
struct RangeOpts {
    withscores: bool,
    offset: i64,
    limit: i64,
    rangetype: RangeType,
    direction: Direction,
}

fn parse_range_opts(
    argv: &[Bytes],
    first: usize,
    store: bool,
    mut rangetype: RangeType,
    mut direction: Direction,
) -> Result<RangeOpts, ReplyError> {
    let (mut withscores, mut offset, mut limit) = (false, 0, -1);
    let mut j = first;
    while j < argv.len() {
        let left = argv.len() - j - 1;
        let a = &argv[j];
        if !store && args::is(a, "withscores") {
            withscores = true;
        } else if args::is(a, "limit") && left >= 2 {
            offset = args::int(&argv[j + 1])?;
            limit = args::int(&argv[j + 2])?;
            j += 2;
        } else if direction == Direction::Auto && args::is(a, "rev") {
            direction = Direction::Reverse;
        } else if rangetype == RangeType::Auto && args::is(a, "bylex") {
            rangetype = RangeType::Lex;
        } else if rangetype == RangeType::Auto && args::is(a, "byscore") {
            rangetype = RangeType::Score;
        } else {
            return Err(ReplyError::Syntax);
        }
        j += 1;
    }
    if direction == Direction::Auto {
        direction = Direction::Forward;
    }
    if rangetype == RangeType::Auto {
        rangetype = RangeType::Rank;
    }
    if limit != -1 && rangetype == RangeType::Rank {
        return Err(ReplyError::err(
            "syntax error, LIMIT is only supported in combination with either BYSCORE or BYLEX",
        ));
    }
    if withscores && rangetype == RangeType::Lex {
        return Err(ReplyError::err(
            "syntax error, WITHSCORES not supported in combination with BYLEX",
        ));
    }
    Ok(RangeOpts {
        withscores,
        offset,
        limit,
        rangetype,
        direction,
    })
}

/// The ascending rank span of a rank range (`start`/`end` may be negative), `None` when
/// empty (Redis's index sanitising).
pub fn rank_span(len: usize, start: i64, end: i64) -> Option<(usize, usize)> {
    let llen = i64::try_from(len).unwrap_or(i64::MAX);
    let mut start = if start < 0 {
        llen.saturating_add(start)
    } else {
        start
    };
    let mut end = if end < 0 {
        llen.saturating_add(end)
    } else {
        end
    };
    start = start.max(0);
    if start > end || start >= llen {
        return None;
    }
    end = end.min(llen - 1);
    let s = usize::try_from(start).ok()?;
    let e = usize::try_from(end).ok()?;
    Some((s, e + 1))
}

/// The selected entries of `z` in reply order.
fn select(z: &ZSet, parsed: &Parsed, o: &RangeOpts) -> Vec<(f64, Bytes)> {
    let rev = o.direction == Direction::Reverse;
    let (start, end) = match parsed {
        Parsed::Rank(s, e) => {
            let len = z.len();
            let Some((a, b)) = rank_span(len, *s, *e) else {
                return Vec::new();
            };
            if rev { (len - b, len - a) } else { (a, b) }
        }
        Parsed::Score(r) => r.span(z),
        Parsed::Lex(r) => r.span(z, rev),
    };
    let (skip, take) = if matches!(parsed, Parsed::Rank(..)) {
        (0, usize::MAX)
    } else {
        if o.offset < 0 || (o.offset > 0 && usize::try_from(o.offset).is_ok_and(|x| x >= z.len())) {
            return Vec::new();
        }
        let skip = usize::try_from(o.offset).unwrap_or(usize::MAX);
        (skip, usize::try_from(o.limit).unwrap_or(usize::MAX))
    };
    let it = z.range(start, end);
    let owned = |(s, m): (f64, &[u8])| (s, Bytes::copy_from_slice(m));
    if rev {
        it.rev().skip(skip).take(take).map(owned).collect()
    } else {
        it.skip(skip).take(take).map(owned).collect()
    }
}

/// Redis `zrangeGenericCommand`: `key` at `argv[first]`, then min, max and options;
/// `dst` for ZRANGESTORE.
fn zrange_generic(
    ctx: &mut Ctx<'_>,
    argv: &[Bytes],
    first: usize,
    dst: Option<&Bytes>,
    rangetype: RangeType,
    direction: Direction,
) -> Result<Frame, ReplyError> {
    let o = parse_range_opts(argv, first + 3, dst.is_some(), rangetype, direction)?;
    let (mut lo, mut hi) = (&argv[first + 1], &argv[first + 2]);
    if o.direction == Direction::Reverse && o.rangetype != RangeType::Rank {
        std::mem::swap(&mut lo, &mut hi);
    }
    let parsed = match o.rangetype {
        RangeType::Score => Parsed::Score(ScoreRange::parse(lo, hi)?),
        RangeType::Lex => Parsed::Lex(LexRange::parse(lo, hi)?),
        RangeType::Rank | RangeType::Auto => Parsed::Rank(args::int(lo)?, args::int(hi)?),
    };
    let entries = match read(ctx, &argv[first])? {
        None => Vec::new(),
        Some(z) => select(z, &parsed, &o),
    };
    if let Some(dst) = dst {
        return Ok(Frame::Integer(store(ctx, dst, entries, "zrangestore")));
    }
    let proto = ctx.client.protocol;
    Ok(entries_reply(
        proto,
        entries.iter().map(|(s, m)| (*s, m.as_ref())),
        o.withscores,
    ))
}

/// ```text
/// ZRANGE key start stop [BYSCORE | BYLEX] [REV] [LIMIT offset count] [WITHSCORES]
/// ```
pub fn zrange(ctx: &mut Ctx<'_>, argv: &[Bytes]) -> Result<Frame, ReplyError> {
    zrange_generic(ctx, argv, 1, None, RangeType::Auto, Direction::Auto)
}

/// ```text
/// ZRANGESTORE dst src min max [BYSCORE | BYLEX] [REV] [LIMIT offset count]
/// ```
pub fn zrangestore(ctx: &mut Ctx<'_>, argv: &[Bytes]) -> Result<Frame, ReplyError> {
    let dst = argv[1].clone();
    zrange_generic(ctx, argv, 2, Some(&dst), RangeType::Auto, Direction::Auto)
}

/// ```text
/// ZREVRANGE key start stop [WITHSCORES]
/// ```
pub fn zrevrange(ctx: &mut Ctx<'_>, argv: &[Bytes]) -> Result<Frame, ReplyError> {
    zrange_generic(ctx, argv, 1, None, RangeType::Rank, Direction::Reverse)
}

/// ```text
/// ZRANGEBYSCORE key min max [WITHSCORES] [LIMIT offset count]
/// ```
pub fn zrangebyscore(ctx: &mut Ctx<'_>, argv: &[Bytes]) -> Result<Frame, ReplyError> {
    zrange_generic(ctx, argv, 1, None, RangeType::Score, Direction::Forward)
}

/// ```text
/// ZREVRANGEBYSCORE key max min [WITHSCORES] [LIMIT offset count]
/// ```
pub fn zrevrangebyscore(ctx: &mut Ctx<'_>, argv: &[Bytes]) -> Result<Frame, ReplyError> {
    zrange_generic(ctx, argv, 1, None, RangeType::Score, Direction::Reverse)
}

/// ```text
/// ZRANGEBYLEX key min max [LIMIT offset count]
/// ```
pub fn zrangebylex(ctx: &mut Ctx<'_>, argv: &[Bytes]) -> Result<Frame, ReplyError> {
    zrange_generic(ctx, argv, 1, None, RangeType::Lex, Direction::Forward)
}

/// ```text
/// ZREVRANGEBYLEX key max min [LIMIT offset count]
/// ```
pub fn zrevrangebylex(ctx: &mut Ctx<'_>, argv: &[Bytes]) -> Result<Frame, ReplyError> {
    zrange_generic(ctx, argv, 1, None, RangeType::Lex, Direction::Reverse)
}

/// ```text
/// ZREMRANGEBYRANK key start stop
/// ```
pub fn zremrangebyrank(ctx: &mut Ctx<'_>, argv: &[Bytes]) -> Result<Frame, ReplyError> {
    let parsed = Parsed::Rank(args::int(&argv[2])?, args::int(&argv[3])?);
    zremrange(ctx, &argv[1], &parsed, "zremrangebyrank")
}

/// ```text
/// ZREMRANGEBYSCORE key min max
/// ```
pub fn zremrangebyscore(ctx: &mut Ctx<'_>, argv: &[Bytes]) -> Result<Frame, ReplyError> {
    let parsed = Parsed::Score(ScoreRange::parse(&argv[2], &argv[3])?);
    zremrange(ctx, &argv[1], &parsed, "zremrangebyscore")
}

/// ```text
/// ZREMRANGEBYLEX key min max
/// ```
pub fn zremrangebylex(ctx: &mut Ctx<'_>, argv: &[Bytes]) -> Result<Frame, ReplyError> {
    let parsed = Parsed::Lex(LexRange::parse(&argv[2], &argv[3])?);
    zremrange(ctx, &argv[1], &parsed, "zremrangebylex")
}

/// Redis `zremrangeGenericCommand` after parsing.
fn zremrange(
    ctx: &mut Ctx<'_>,
    key: &Bytes,
    parsed: &Parsed,
    event: &str,
) -> Result<Frame, ReplyError> {
    let Some(z) = write(ctx, key)? else {
        return Ok(Frame::Integer(0));
    };
    let (start, end) = match parsed {
        Parsed::Rank(s, e) => rank_span(z.len(), *s, *e).unwrap_or((0, 0)),
        Parsed::Score(r) => r.span(z),
        Parsed::Lex(r) => r.span(z, false),
    };
    let deleted = z.drain(start, end).len();
    if deleted > 0 {
        let gone = delete_if_empty(ctx, key);
        ctx.signal_modified_key(key);
        ctx.notify(EVENT_ZSET, event, key);
        if gone {
            ctx.notify(EVENT_GENERIC, "del", key);
        }
    }
    Ok(int(deleted))
}
