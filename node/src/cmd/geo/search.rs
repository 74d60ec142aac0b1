//! GEOSEARCH, GEOSEARCHSTORE, GEORADIUS, GEORADIUSBYMEMBER and the `_RO` forms (Redis
//! `georadiusGeneric`): one parser and one search for all six.
//!
//! The search walks the nine cells of [`geohash::areas_for_shape`] in Redis's order, each
//! as a score range of the sorted set, and keeps the points inside the shape. Without ASC,
//! DESC or COUNT the reply keeps that walk order; COUNT without ANY sorts ascending; ANY
//! stops the walk once COUNT points were found. Sorting follows Redis exactly, ties
//! included: see [`sort_points`].
//!
//! Checks run in Redis's order: the type of the source key, the centre and size arguments
//! of GEORADIUS*, the options one by one (each failing as it is read), then the
//! combinations; a missing source key answers after parsing (an empty array, or 0 with the
//! destination deleted for the STORE forms).

use std::cmp::Ordering;

use bytes::Bytes;
use shoal_common::{Frame, ReplyError};

use super::geohash::{self, Kind, Shape};
use super::pqsort::partial_sort;
use super::{coordinate_reply, distance_reply, lon_lat, unit};
use crate::cmd::{args, zset};
use crate::db::zset::ZSet;
use crate::exec::Ctx;

/// Which command runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Variant {
    /// GEORADIUS (`ro`: GEORADIUS_RO, no STORE).
    Radius { ro: bool },
    /// GEORADIUSBYMEMBER (`ro`: the `_RO` form).
    ByMember { ro: bool },
    /// GEOSEARCH.
    Search,
    /// GEOSEARCHSTORE.
    SearchStore,
}

impl Variant {
    fn is_search(self) -> bool {
        matches!(self, Variant::Search | Variant::SearchStore)
    }

    fn accepts_store(self) -> bool {
        matches!(
            self,
            Variant::Radius { ro: false } | Variant::ByMember { ro: false }
        )
    }
}

/// Result order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Sort {
    None,
    Asc,
    Desc,
}

/// A parsed search.
#[derive(Debug)]
struct Query {
    center: (f64, f64),
    shape: Option<Shape>,
    withdist: bool,
    withhash: bool,
    withcoord: bool,
    sort: Sort,
    any: bool,
    count: usize,
    store: Option<Bytes>,
    storedist: bool,
    from_given: bool,
    by_given: bool,
}

/// One point found.
#[derive(Debug)]
struct Point {
    member: Bytes,
    score: f64,
    dist_m: f64,
    lon: f64,
    lat: f64,
}

/// The position of `member`, or Redis's error for a missing one.
fn member_position(z: &ZSet, member: &[u8]) -> Result<(f64, f64), ReplyError> {
    z.score(member)
        .map(geohash::position_of)
        .ok_or_else(|| ReplyError::err("could not decode requested zset member"))
}

/// `radius unit` (Redis `extractDistanceOrReply`).
fn circle(radius: &[u8], u: &[u8]) -> Result<Shape, ReplyError> {
    let radius = args::float(radius).map_err(|_| ReplyError::err("need numeric radius"))?;
    if radius < 0.0 {
        return Err(ReplyError::err("radius cannot be negative"));
    }
    Ok(Shape {
        kind: Kind::Circle { radius },
        conversion: unit(u)?,
    })
}

/// `width height unit` (Redis `extractBoxOrReply`).
fn rectangle(width: &[u8], height: &[u8], u: &[u8]) -> Result<Shape, ReplyError> {
    let width = args::float(width).map_err(|_| ReplyError::err("need numeric width"))?;
    let height = args::float(height).map_err(|_| ReplyError::err("need numeric height"))?;
    if height < 0.0 || width < 0.0 {
        return Err(ReplyError::err("height or width cannot be negative"));
    }
    Ok(Shape {
        kind: Kind::Box { width, height },
        conversion: unit(u)?,
    })
}

/// The fixed arguments before the options: where the options start.
fn parse_head(
    argv: &[Bytes],
    v: Variant,
    z: Option<&ZSet>,
    q: &mut Query,
) -> Result<usize, ReplyError> {
    match v {
        Variant::Radius { .. } => {
            q.center = lon_lat(&argv[2], &argv[3])?;
            q.shape = Some(circle(&argv[4], &argv[5])?);
            Ok(6)
        }
        Variant::ByMember { .. } => {
            if let Some(z) = z {
                q.center = member_position(z, &argv[2])?;
                q.shape = Some(circle(&argv[3], &argv[4])?);
            }
            Ok(5)
        }
        Variant::Search => Ok(2),
        Variant::SearchStore => {
            q.store = Some(argv[1].clone());
            Ok(3)
        }
    }
}

/// Parses the arguments (Redis's option loop); `z` is the source set if it exists.
fn parse(argv: &[Bytes], v: Variant, z: Option<&ZSet>) -> Result<Query, ReplyError> {
    let mut q = Query {
        center: (0.0, 0.0),
        shape: None,
        withdist: false,
        withhash: false,
        withcoord: false,
        sort: Sort::None,
        any: false,
        count: 0,
        store: None,
        storedist: false,
        from_given: false,
        by_given: false,
    };
    let base = parse_head(argv, v, z, &mut q)?;
    let opts = &argv[base..];
    let n = opts.len();
    let (mut frommember, mut fromloc, mut byradius, mut bybox) = (false, false, false, false);
    let mut i = 0;
    while i < n {
        let a = &opts[i];
        let is = |w: &str| args::is(a, w);
        if is("withdist") {
            q.withdist = true;
        } else if is("withhash") {
            q.withhash = true;
        } else if is("withcoord") {
            q.withcoord = true;
        } else if is("any") {
            q.any = true;
        } else if is("asc") {
            q.sort = Sort::Asc;
        } else if is("desc") {
            q.sort = Sort::Desc;
        } else if is("count") && i + 1 < n {
            let c = args::int(&opts[i + 1])?;
            if c <= 0 {
                return Err(ReplyError::err("COUNT must be > 0"));
            }
            q.count = usize::try_from(c).unwrap_or(usize::MAX);
            i += 1;
        } else if (is("store") || is("storedist")) && i + 1 < n && v.accepts_store() {
            q.store = Some(opts[i + 1].clone());
            q.storedist = is("storedist");
            i += 1;
        } else if is("storedist") && v == Variant::SearchStore {
            q.storedist = true;
        } else if is("frommember") && i + 1 < n && v.is_search() && !fromloc {
            if let Some(z) = z {
                q.center = member_position(z, &opts[i + 1])?;
            }
            frommember = true;
            i += 1;
        } else if is("fromlonlat") && i + 2 < n && v.is_search() && !frommember {
            q.center = lon_lat(&opts[i + 1], &opts[i + 2])?;
            fromloc = true;
            i += 2;
        } else if is("byradius") && i + 2 < n && v.is_search() && !bybox {
            q.shape = Some(circle(&opts[i + 1], &opts[i + 2])?);
            byradius = true;
            i += 2;
        } else if is("bybox") && i + 3 < n && v.is_search() && !byradius {
            q.shape = Some(rectangle(&opts[i + 1], &opts[i + 2], &opts[i + 3])?);
            bybox = true;
            i += 3;
        } else {
            return Err(ReplyError::Syntax);
        }
        i += 1;
    }
    q.from_given = frommember || fromloc;
    q.by_given = byradius || bybox;
    check_combinations(argv, v, &q)?;
    Ok(q)
}

/// The checks on the options together, in Redis's order.
fn check_combinations(argv: &[Bytes], v: Variant, q: &Query) -> Result<(), ReplyError> {
    if q.store.is_some() && (q.withdist || q.withhash || q.withcoord) {
        let who = if v == Variant::SearchStore {
            "GEOSEARCHSTORE"
        } else {
            "STORE option in GEORADIUS"
        };
        return Err(ReplyError::err(format!(
            "{who} is not compatible with WITHDIST, WITHHASH and WITHCOORD options"
        )));
    }
    let name = String::from_utf8_lossy(&argv[0]);
    if v.is_search() && !q.from_given {
        return Err(ReplyError::err(format!(
            "exactly one of FROMMEMBER or FROMLONLAT can be specified for {name}"
        )));
    }
    if v.is_search() && !q.by_given {
        return Err(ReplyError::err(format!(
            "exactly one of BYRADIUS and BYBOX can be specified for {name}"
        )));
    }
    if q.any && q.count == 0 {
        return Err(ReplyError::err("the ANY argument requires COUNT argument"));
    }
    Ok(())
}

/// The points of `z` inside `shape` around `center`, in Redis's walk order; with `limit`
/// (ANY) the walk stops once that many were found.
fn collect(z: &ZSet, shape: Shape, center: (f64, f64), limit: usize) -> Vec<Point> {
    let cells = geohash::areas_for_shape(shape, center.0, center.1).0;
    let full = |out: &Vec<Point>| limit != 0 && out.len() >= limit;
    let mut out = Vec::new();
    let mut last = 0;
    for (i, cell) in cells.iter().enumerate() {
        if cell.is_zero() || (last != 0 && *cell == cells[last]) {
            continue;
        }
        if full(&out) {
            break;
        }
        let (min, max) = cell.score_range();
        let start = z.partition_point(|s, _| s < min);
        for (score, member) in z.range(start, z.len()) {
            if score >= max {
                break;
            }
            let (lon, lat) = geohash::position_of(score);
            if let Some(dist_m) = shape.contains(center.0, center.1, lon, lat) {
                out.push(Point {
                    member: Bytes::copy_from_slice(member),
                    score,
                    dist_m,
                    lon,
                    lat,
                });
            }
            if full(&out) {
                break;
            }
        }
        last = i;
    }
    out
}

/// The shared body of the six commands.
fn search_generic(ctx: &mut Ctx<'_>, argv: &[Bytes], v: Variant) -> Result<Frame, ReplyError> {
    let reply = search(ctx, argv, v);
    if v.accepts_store() && matches!(reply, Ok(Frame::Array(_))) {
        // GEORADIUS without STORE read nothing into the data set: Redis propagates nothing.
        ctx.propagate_as = Some(Vec::new());
    }
    reply
}

/// Parses, searches, replies or stores.
fn search(ctx: &mut Ctx<'_>, argv: &[Bytes], v: Variant) -> Result<Frame, ReplyError> {
    let src = if v == Variant::SearchStore {
        &argv[2]
    } else {
        &argv[1]
    };
    let proto = ctx.client.protocol;
    let z = zset::read(ctx, src)?;
    let q = parse(argv, v, z)?;
    let (Some(z), Some(shape)) = (z, q.shape) else {
        return Ok(match &q.store {
            Some(dst) => Frame::Integer(zset::store(ctx, dst, Vec::new(), store_event(v))),
            None => Frame::Array(Vec::new()),
        });
    };
    let sort = if q.count != 0 && q.sort == Sort::None && !q.any {
        Sort::Asc
    } else {
        q.sort
    };
    let mut points = collect(z, shape, q.center, if q.any { q.count } else { 0 });
    let returned = if q.count == 0 {
        points.len()
    } else {
        points.len().min(q.count)
    };
    sort_points(&mut points, sort, returned);
    points.truncate(returned);
    let conversion = shape.conversion;
    if let Some(dst) = &q.store {
        let entries = points
            .into_iter()
            .map(|p| {
                let score = if q.storedist {
                    p.dist_m / conversion
                } else {
                    p.score
                };
                (score, p.member)
            })
            .collect();
        return Ok(Frame::Integer(zset::store(
            ctx,
            dst,
            entries,
            store_event(v),
        )));
    }
    let with = q.withdist || q.withhash || q.withcoord;
    let out = points
        .into_iter()
        .map(|p| {
            if !with {
                return Frame::Bulk(p.member);
            }
            let mut item = vec![Frame::Bulk(p.member)];
            if q.withdist {
                item.push(distance_reply(p.dist_m / conversion));
            }
            if q.withhash {
                item.push(Frame::Integer(p.score as i64));
            }
            if q.withcoord {
                item.push(Frame::Array(vec![
                    coordinate_reply(proto, p.lon),
                    coordinate_reply(proto, p.lat),
                ]));
            }
            Frame::Array(item)
        })
        .collect();
    Ok(Frame::Array(out))
}

/// Orders the points by distance as Redis does: a stable sort (glibc's merge-sort `qsort`)
/// when every point is returned, the partial quicksort when COUNT cuts the list, so points
/// at equal distances come out in Redis's order in both cases.
fn sort_points(points: &mut [Point], sort: Sort, returned: usize) {
    let asc = |a: &Point, b: &Point| a.dist_m.partial_cmp(&b.dist_m).unwrap_or(Ordering::Equal);
    let desc = |a: &Point, b: &Point| asc(b, a);
    match sort {
        Sort::None => {}
        Sort::Asc if returned == points.len() => points.sort_by(asc),
        Sort::Desc if returned == points.len() => points.sort_by(desc),
        Sort::Asc if returned > 0 => partial_sort(points, returned - 1, &asc),
        Sort::Desc if returned > 0 => partial_sort(points, returned - 1, &desc),
        Sort::Asc | Sort::Desc => {}
    }
}

/// The keyspace event of a STORE form.
fn store_event(v: Variant) -> &'static str {
    if v.is_search() {
        "geosearchstore"
    } else {
        "georadiusstore"
    }
}

/// ```text
/// GEORADIUS key longitude latitude radius M | KM | FT | MI [WITHCOORD] [WITHDIST]
///   [WITHHASH] [COUNT count [ANY]] [ASC | DESC] [STORE key | STOREDIST key]
/// ```
pub fn georadius(ctx: &mut Ctx<'_>, argv: &[Bytes]) -> Result<Frame, ReplyError> {
    search_generic(ctx, argv, Variant::Radius { ro: false })
}

/// ```text
/// GEORADIUS_RO key longitude latitude radius M | KM | FT | MI [WITHCOORD] [WITHDIST]
///   [WITHHASH] [COUNT count [ANY]] [ASC | DESC]
/// ```
pub fn georadius_ro(ctx: &mut Ctx<'_>, argv: &[Bytes]) -> Result<Frame, ReplyError> {
    search_generic(ctx, argv, Variant::Radius { ro: true })
}

/// ```text
/// GEORADIUSBYMEMBER key member radius M | KM | FT | MI [WITHCOORD] [WITHDIST] [WITHHASH]
///   [COUNT count [ANY]] [ASC | DESC] [STORE key | STOREDIST key]
/// ```
pub fn georadiusbymember(ctx: &mut Ctx<'_>, argv: &[Bytes]) -> Result<Frame, ReplyError> {
    search_generic(ctx, argv, Variant::ByMember { ro: false })
}

/// ```text
/// GEORADIUSBYMEMBER_RO key member radius M | KM | FT | MI [WITHCOORD] [WITHDIST]
///   [WITHHASH] [COUNT count [ANY]] [ASC | DESC]
/// ```
pub fn georadiusbymember_ro(ctx: &mut Ctx<'_>, argv: &[Bytes]) -> Result<Frame, ReplyError> {
    search_generic(ctx, argv, Variant::ByMember { ro: true })
}

/// ```text
/// GEOSEARCH key FROMMEMBER member | FROMLONLAT longitude latitude
///   BYRADIUS radius M | KM | FT | MI | BYBOX width height M | KM | FT | MI
///   [ASC | DESC] [COUNT count [ANY]] [WITHCOORD] [WITHDIST] [WITHHASH]
/// ```
pub fn geosearch(ctx: &mut Ctx<'_>, argv: &[Bytes]) -> Result<Frame, ReplyError> {
    search_generic(ctx, argv, Variant::Search)
}

/// ```text
/// GEOSEARCHSTORE destination source FROMMEMBER member | FROMLONLAT longitude latitude
///   BYRADIUS radius M | KM | FT | MI | BYBOX width height M | KM | FT | MI
///   [ASC | DESC] [COUNT count [ANY]] [STOREDIST]
/// ```
pub fn geosearchstore(ctx: &mut Ctx<'_>, argv: &[Bytes]) -> Result<Frame, ReplyError> {
    search_generic(ctx, argv, Variant::SearchStore)
}
