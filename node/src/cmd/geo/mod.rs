//! Geo commands (Redis `geo.c`): positions kept in a sorted set whose scores are 52-bit
//! geohashes, so ZRANGE, ZSCORE and every other sorted-set command work on a geo key.
//!
//! Layout: [`geohash`] holds the arithmetic (encoding, decoding, distances, the nine search
//! cells); this file the argument helpers, reply shapes and GEOADD, GEOPOS, GEODIST,
//! GEOHASH; [`search`] GEOSEARCH, GEOSEARCHSTORE and the GEORADIUS family; [`pqsort`] the
//! partial quicksort that decides the order of equally distant points under COUNT.
//!
//! Checklist (as `geo.c`): GEOADD runs as the ZADD it is equivalent to (same events, `zadd`,
//! and the replicas receive that ZADD); the STORE forms replace the destination as the
//! sorted-set STORE commands do and emit `georadiusstore` / `geosearchstore`, or `del` when
//! an empty result removes the destination.

pub mod geohash;
pub mod pqsort;
pub mod search;

use bytes::Bytes;
use shoal_common::resp::Protocol;
use shoal_common::{Frame, ReplyError};

use super::args;
use super::zset;
use crate::exec::Ctx;

/// Parses a longitude and a latitude and checks the limits (Redis
/// `extractLongLatOrReply`).
pub fn lon_lat(lon: &[u8], lat: &[u8]) -> Result<(f64, f64), ReplyError> {
    let lon = args::float(lon)?;
    let lat = args::float(lat)?;
    if !(geohash::LONG_MIN..=geohash::LONG_MAX).contains(&lon)
        || !(geohash::LAT_MIN..=geohash::LAT_MAX).contains(&lat)
    {
        return Err(ReplyError::err(format!(
            "invalid longitude,latitude pair {lon:.6},{lat:.6}"
        )));
    }
    Ok((lon, lat))
}

/// Metres per unit (`m`, `km`, `ft`, `mi`, any case) (Redis `extractUnitOrReply`).
pub fn unit(arg: &[u8]) -> Result<f64, ReplyError> {
    match arg.to_ascii_lowercase().as_slice() {
        b"m" => Ok(1.0),
        b"km" => Ok(1000.0),
        b"ft" => Ok(0.3048),
        b"mi" => Ok(1609.34),
        _ => Err(ReplyError::err(
            "unsupported unit provided. please use M, KM, FT, MI",
        )),
    }
}

/// A distance as Redis prints it: a bulk string with four decimals.
pub fn distance_reply(d: f64) -> Frame {
    Frame::Bulk(Bytes::from(format!("{d:.4}")))
}

/// A coordinate as Redis prints it (`addReplyHumanLongDouble`): `%.17Lf` with trailing
/// zeros trimmed, a bulk string in RESP2 and a double with that same text in RESP3.
pub fn coordinate_reply(proto: Protocol, v: f64) -> Frame {
    let mut text = format!("{v:.17}");
    if text.contains('.') {
        let trimmed = text.trim_end_matches('0').trim_end_matches('.').len();
        text.truncate(trimmed);
    }
    if text == "-0" {
        text = "0".to_string();
    }
    match proto {
        Protocol::Resp2 => Frame::Bulk(Bytes::from(text)),
        Protocol::Resp3 => Frame::Raw(Bytes::from(format!(",{text}\r\n"))),
    }
}

/// `[longitude, latitude]` of a stored score.
pub fn position_reply(proto: Protocol, score: f64) -> Frame {
    let (lon, lat) = geohash::position_of(score);
    Frame::Array(vec![
        coordinate_reply(proto, lon),
        coordinate_reply(proto, lat),
    ])
}

/// ```text
/// GEOADD key [NX | XX] [CH] longitude latitude member [longitude latitude member ...]
/// ```
///
/// Runs as `ZADD key [options] score member ...` and reaches the replicas in that form.
pub fn geoadd(ctx: &mut Ctx<'_>, argv: &[Bytes]) -> Result<Frame, ReplyError> {
    let (mut nx, mut xx) = (false, false);
    let mut first = 2;
    while first < argv.len() {
        let a = &argv[first];
        if args::is(a, "nx") {
            nx = true;
        } else if args::is(a, "xx") {
            xx = true;
        } else if !args::is(a, "ch") {
            break;
        }
        first += 1;
    }
    if !(argv.len() - first).is_multiple_of(3) || (nx && xx) {
        return Err(ReplyError::Syntax);
    }
    let mut zadd: Vec<Bytes> = Vec::with_capacity(first + (argv.len() - first) / 3 * 2);
    zadd.push(Bytes::from_static(b"ZADD"));
    zadd.extend_from_slice(&argv[1..first]);
    for triple in argv[first..].chunks_exact(3) {
        let (lon, lat) = lon_lat(&triple[0], &triple[1])?;
        let score = geohash::score_of(lon, lat).expect("invariant: limits checked");
        zadd.push(Bytes::from(score.to_string()));
        zadd.push(triple[2].clone());
    }
    let reply = zset::zadd(ctx, &zadd)?;
    ctx.propagate_as = Some(vec![zadd]);
    Ok(reply)
}

/// ```text
/// GEOPOS key [member [member ...]]
/// ```
pub fn geopos(ctx: &mut Ctx<'_>, argv: &[Bytes]) -> Result<Frame, ReplyError> {
    let proto = ctx.client.protocol;
    let z = zset::read(ctx, &argv[1])?;
    let out = argv[2..]
        .iter()
        .map(|m| match z.and_then(|z| z.score(m)) {
            Some(score) => position_reply(proto, score),
            None => Frame::NullArray,
        })
        .collect();
    Ok(Frame::Array(out))
}

/// ```text
/// GEOHASH key [member [member ...]]
/// ```
pub fn geohash_cmd(ctx: &mut Ctx<'_>, argv: &[Bytes]) -> Result<Frame, ReplyError> {
    let z = zset::read(ctx, &argv[1])?;
    let out = argv[2..]
        .iter()
        .map(|m| match z.and_then(|z| z.score(m)) {
            Some(score) => {
                let (lon, lat) = geohash::position_of(score);
                let text = geohash::standard_geohash(lon, lat);
                Frame::Bulk(Bytes::copy_from_slice(&text))
            }
            None => Frame::Null,
        })
        .collect();
    Ok(Frame::Array(out))
}

/// ```text
/// GEODIST key member1 member2 [M | KM | FT | MI]
/// ```
pub fn geodist(ctx: &mut Ctx<'_>, argv: &[Bytes]) -> Result<Frame, ReplyError> {
    let to_m = match argv.len() {
        4 => 1.0,
        5 => unit(&argv[4])?,
        _ => return Err(ReplyError::Syntax),
    };
    let Some(z) = zset::read(ctx, &argv[1])? else {
        return Ok(Frame::Null);
    };
    let (Some(a), Some(b)) = (z.score(&argv[2]), z.score(&argv[3])) else {
        return Ok(Frame::Null);
    };
    let (lon1, lat1) = geohash::position_of(a);
    let (lon2, lat2) = geohash::position_of(b);
    Ok(distance_reply(
        geohash::distance(lon1, lat1, lon2, lat2) / to_m,
    ))
}
