//! ZUNION, ZINTER, ZDIFF, their STORE forms and ZINTERCARD (Redis
//! `zunionInterDiffGenericCommand`).
//!
//! Sources may be sorted sets or sets (members of a set score 1). Inputs of union and
//! intersection are processed smallest first (a stable sort by cardinality, as glibc's
//! merge-sort `qsort` does), which fixes the order in which floating-point sums are taken.
//! `weight * score` that is NaN (0 * inf) counts as 0, and so does a NaN sum (inf + -inf).

use std::borrow::Cow;
use std::collections::HashMap;

use bytes::Bytes;
use shoal_common::{Frame, ReplyError};

use super::{entries_reply, int, score_arg, store};
use crate::cmd::args;
use crate::db::Value;
use crate::db::value::Set;
use crate::db::zset::{ZSet, cmp_entry};
use crate::exec::Ctx;

/// The operation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SetOp {
    /// ZUNION.
    Union,
    /// ZINTER.
    Inter,
    /// ZDIFF.
    Diff,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Aggregate {
    Sum,
    Min,
    Max,
}

/// Redis `zunionInterAggregate`.
fn aggregate(target: &mut f64, val: f64, agg: Aggregate) {
    match agg {
        Aggregate::Sum => {
            *target += val;
            if target.is_nan() {
                *target = 0.0;
            }
        }
        Aggregate::Min => {
            if val < *target {
                *target = val;
            }
        }
        Aggregate::Max => {
            if val > *target {
                *target = val;
            }
        }
    }
}

/// One input: a sorted set, a set, or nothing (missing key).
#[derive(Clone, Copy)]
enum Src<'a> {
    Empty,
    Z(&'a ZSet),
    Set(&'a Set),
}

impl<'a> Src<'a> {
    /// The source for a value, or WRONGTYPE.
    fn of(v: Option<&'a Value>) -> Result<Src<'a>, ReplyError> {
        match v {
            None => Ok(Src::Empty),
            Some(Value::ZSet(z)) => Ok(Src::Z(z)),
            Some(Value::Set(s)) => Ok(Src::Set(s)),
            Some(_) => Err(ReplyError::WrongType),
        }
    }

    fn len(&self) -> usize {
        match self {
            Src::Empty => 0,
            Src::Z(z) => z.len(),
            Src::Set(s) => s.len(),
        }
    }

    /// Members with their scores (1 for a set's members).
    fn iter(&self) -> Box<dyn Iterator<Item = (f64, Cow<'a, [u8]>)> + 'a> {
        match *self {
            Src::Empty => Box::new(std::iter::empty()),
            Src::Z(z) => Box::new(z.iter().map(|(s, m)| (s, Cow::Borrowed(m)))),
            Src::Set(set) => Box::new(
                set.members()
                    .into_iter()
                    .map(|m| (1.0, Cow::Owned(m.to_vec()))),
            ),
        }
    }

    fn score(&self, member: &[u8]) -> Option<f64> {
        match self {
            Src::Empty => None,
            Src::Z(z) => z.score(member),
            Src::Set(s) => s.contains(member).then_some(1.0),
        }
    }
}

/// Parsed options.
struct Opts {
    weights: Vec<f64>,
    agg: Aggregate,
    withscores: bool,
    limit: usize,
}

fn parse_opts(
    argv: &[Bytes],
    mut j: usize,
    n: usize,
    op: SetOp,
    store: bool,
    card: bool,
) -> Result<Opts, ReplyError> {
    let mut o = Opts {
        weights: vec![1.0; n],
        agg: Aggregate::Sum,
        withscores: false,
        limit: 0,
    };
    while j < argv.len() {
        let remaining = argv.len() - j;
        let a = &argv[j];
        if op != SetOp::Diff && !card && remaining > n && args::is(a, "weights") {
            for i in 0..n {
                o.weights[i] = score_arg(&argv[j + 1 + i])
                    .map_err(|_| ReplyError::err("weight value is not a float"))?;
            }
            j += 1 + n;
        } else if op != SetOp::Diff && !card && remaining >= 2 && args::is(a, "aggregate") {
            let w = &argv[j + 1];
            o.agg = if args::is(w, "sum") {
                Aggregate::Sum
            } else if args::is(w, "min") {
                Aggregate::Min
            } else if args::is(w, "max") {
                Aggregate::Max
            } else {
                return Err(ReplyError::Syntax);
            };
            j += 2;
        } else if !store && !card && args::is(a, "withscores") {
            o.withscores = true;
            j += 1;
        } else if card && remaining >= 2 && args::is(a, "limit") {
            let bad = || ReplyError::err("LIMIT can't be negative");
            let l = args::int(&argv[j + 1]).map_err(|_| bad())?;
            o.limit = usize::try_from(l).map_err(|_| bad())?;
            j += 2;
        } else {
            return Err(ReplyError::Syntax);
        }
    }
    Ok(o)
}

/// The result of an operation: entries (unsorted) or a cardinality.
fn compute(
    srcs: &mut [(Src<'_>, f64)],
    op: SetOp,
    o: &Opts,
    card: bool,
) -> (Vec<(f64, Bytes)>, usize) {
    if op != SetOp::Diff {
        srcs.sort_by_key(|(s, _)| s.len());
    }
    match op {
        SetOp::Inter => inter(srcs, o, card),
        SetOp::Union => {
            let mut acc: HashMap<Bytes, f64> = HashMap::new();
            for (src, w) in srcs.iter() {
                for (s, m) in src.iter() {
                    let mut score = w * s;
                    if score.is_nan() {
                        score = 0.0;
                    }
                    match acc.get_mut(m.as_ref()) {
                        Some(t) => aggregate(t, score, o.agg),
                        None => {
                            acc.insert(Bytes::copy_from_slice(&m), score);
                        }
                    }
                }
            }
            (acc.into_iter().map(|(m, s)| (s, m)).collect(), 0)
        }
        SetOp::Diff => {
            let (first, rest) = srcs.split_first().expect("invariant: at least one input");
            let out = first
                .0
                .iter()
                .filter(|(_, m)| rest.iter().all(|(r, _)| r.score(m).is_none()))
                .map(|(s, m)| (s, Bytes::copy_from_slice(&m)))
                .collect();
            (out, 0)
        }
    }
}

fn inter(srcs: &[(Src<'_>, f64)], o: &Opts, card: bool) -> (Vec<(f64, Bytes)>, usize) {
    let mut out = Vec::new();
    let mut count = 0;
    let (first, rest) = srcs.split_first().expect("invariant: at least one input");
    'members: for (s, m) in first.0.iter() {
        let mut score = first.1 * s;
        if score.is_nan() {
            score = 0.0;
        }
        for (src, w) in rest {
            let Some(v) = src.score(&m) else {
                continue 'members;
            };
            aggregate(&mut score, v * w, o.agg);
        }
        if card {
            count += 1;
            if o.limit > 0 && count >= o.limit {
                break;
            }
        } else {
            out.push((score, Bytes::copy_from_slice(&m)));
        }
    }
    (out, count)
}

/// The shared body; `numkeys` at `argv[numkeys_at]`, `dst` for the STORE forms.
fn generic(
    ctx: &mut Ctx<'_>,
    argv: &[Bytes],
    numkeys_at: usize,
    dst: Option<&Bytes>,
    op: SetOp,
    card: bool,
) -> Result<Frame, ReplyError> {
    let setnum = args::int(&argv[numkeys_at])?;
    if setnum < 1 {
        let name = String::from_utf8_lossy(&argv[0]).to_ascii_lowercase();
        return Err(ReplyError::err(format!(
            "at least 1 input key is needed for '{name}' command"
        )));
    }
    let n = usize::try_from(setnum).unwrap_or(usize::MAX);
    if n > argv.len() - (numkeys_at + 1) {
        return Err(ReplyError::Syntax);
    }
    let keys = &argv[numkeys_at + 1..numkeys_at + 1 + n];
    let now = ctx.now_ms;
    for k in keys {
        ctx.db().expire_if_needed(k, now);
    }
    let db = &*ctx.db();
    let mut srcs = Vec::with_capacity(n);
    for k in keys {
        srcs.push(Src::of(db.peek(k).map(|e| &e.value))?);
    }
    let o = parse_opts(argv, numkeys_at + 1 + n, n, op, dst.is_some(), card)?;
    let mut srcs: Vec<(Src<'_>, f64)> = srcs.into_iter().zip(o.weights.iter().copied()).collect();
    let (mut entries, count) = compute(&mut srcs, op, &o, card);
    if card {
        return Ok(int(count));
    }
    if let Some(dst) = dst {
        let event = match op {
            SetOp::Union => "zunionstore",
            SetOp::Inter => "zinterstore",
            SetOp::Diff => "zdiffstore",
        };
        return Ok(Frame::Integer(store(ctx, dst, entries, event)));
    }
    entries.sort_by(|a, b| cmp_entry(a.0, &a.1, b.0, &b.1));
    let proto = ctx.client.protocol;
    Ok(entries_reply(
        proto,
        entries.iter().map(|(s, m)| (*s, m.as_ref())),
        o.withscores,
    ))
}

/// ```text
/// ZUNION numkeys key [key ...] [WEIGHTS weight [weight ...]] [AGGREGATE SUM | MIN | MAX]
///   [WITHSCORES]
/// ```
pub fn zunion(ctx: &mut Ctx<'_>, argv: &[Bytes]) -> Result<Frame, ReplyError> {
    generic(ctx, argv, 1, None, SetOp::Union, false)
}

/// ```text
/// ZINTER numkeys key [key ...] [WEIGHTS weight [weight ...]] [AGGREGATE SUM | MIN | MAX]
///   [WITHSCORES]
/// ```
pub fn zinter(ctx: &mut Ctx<'_>, argv: &[Bytes]) -> Result<Frame, ReplyError> {
    generic(ctx, argv, 1, None, SetOp::Inter, false)
}

/// ```text
/// ZDIFF numkeys key [key ...] [WITHSCORES]
/// ```
pub fn zdiff(ctx: &mut Ctx<'_>, argv: &[Bytes]) -> Result<Frame, ReplyError> {
    generic(ctx, argv, 1, None, SetOp::Diff, false)
}

/// ```text
/// ZUNIONSTORE destination numkeys key [key ...] [WEIGHTS weight [weight ...]]
///   [AGGREGATE SUM | MIN | MAX]
/// ```
pub fn zunionstore(ctx: &mut Ctx<'_>, argv: &[Bytes]) -> Result<Frame, ReplyError> {
    let dst = argv[1].clone();
    generic(ctx, argv, 2, Some(&dst), SetOp::Union, false)
}

/// ```text
/// ZINTERSTORE destination numkeys key [key ...] [WEIGHTS weight [weight ...]]
///   [AGGREGATE SUM | MIN | MAX]
/// ```
pub fn zinterstore(ctx: &mut Ctx<'_>, argv: &[Bytes]) -> Result<Frame, ReplyError> {
    let dst = argv[1].clone();
    generic(ctx, argv, 2, Some(&dst), SetOp::Inter, false)
}

/// ```text
/// ZDIFFSTORE destination numkeys key [key ...]
/// ```
pub fn zdiffstore(ctx: &mut Ctx<'_>, argv: &[Bytes]) -> Result<Frame, ReplyError> {
    let dst = argv[1].clone();
    generic(ctx, argv, 2, Some(&dst), SetOp::Diff, false)
}

/// ```text
/// ZINTERCARD numkeys key [key ...] [LIMIT limit]
/// ```
pub fn zintercard(ctx: &mut Ctx<'_>, argv: &[Bytes]) -> Result<Frame, ReplyError> {
    generic(ctx, argv, 1, None, SetOp::Inter, true)
}
