//! HyperLogLog commands (Redis `hyperloglog.c`): PFADD, PFCOUNT, PFMERGE, PFDEBUG,
//! PFSELFTEST. The sketches are plain strings in Redis's byte format ([`crate::db::hll`]).
//!
//! Invariants and Redis's rules kept here:
//! - A string that is not a sketch answers `WRONGTYPE Key is not a valid HyperLogLog string
//!   value.`; a sketch whose sparse opcodes are broken answers `INVALIDOBJ Corrupted HLL
//!   object detected` (edits made before the broken part was reached stay, as in Redis).
//! - Every value these commands touch becomes a `raw` string (`dbUnshareStringValue`).
//! - PFADD and PFMERGE signal the key and publish `pfadd` (class string); PFADD that changes
//!   nothing is not propagated. PFCOUNT is read-only but stores the count it computed in the
//!   value's header: it then signals the key and, on a primary, propagates itself (its
//!   `may_replicate` flag), so replicas keep identical bytes. PFDEBUG GETREG/TODENSE propagate only when
//!   they turned a sparse value dense.

use bytes::Bytes;
use shoal_common::{Frame, ReplyError};

use super::string::EVENT_STRING;
use crate::db::compact::StrEncoding;
use crate::db::hll::{self, Encoding, HDR_LEN, REGISTERS, Registers};
use crate::db::{CompactBytes, NO_EXPIRE, Value};
use crate::exec::Ctx;

/// A string that is not a sketch.
fn not_hll() -> ReplyError {
    ReplyError::other("WRONGTYPE Key is not a valid HyperLogLog string value.")
}

/// A sketch whose sparse opcodes do not cover the registers.
fn corrupt() -> ReplyError {
    ReplyError::other("INVALIDOBJ Corrupted HLL object detected")
}

fn string_of(v: &Value) -> Option<&CompactBytes> {
    match v {
        Value::String(s) => Some(s),
        #[allow(unreachable_patterns)]
        _ => None,
    }
}

fn string_of_mut(v: &mut Value) -> Option<&mut CompactBytes> {
    match v {
        Value::String(s) => Some(s),
        #[allow(unreachable_patterns)]
        _ => None,
    }
}

/// Redis `lookupKeyRead` + `isHLLObjectOrReply`: the sketch at `key`, `None` if missing.
fn read_hll<'c>(ctx: &'c mut Ctx<'_>, key: &[u8]) -> Result<Option<&'c [u8]>, ReplyError> {
    match super::read_as(ctx, key, string_of)? {
        None => Ok(None),
        Some(s) => match hll::check(s) {
            Some(_) => Ok(Some(s.as_slice())),
            None => Err(not_hll()),
        },
    }
}

/// Redis `lookupKeyWrite` + `isHLLObjectOrReply`: true if `key` holds a sketch, false if
/// it is missing.
fn exists_for_write(ctx: &mut Ctx<'_>, key: &[u8]) -> Result<bool, ReplyError> {
    match super::write_as(ctx, key, string_of_mut)? {
        None => Ok(false),
        Some(s) if hll::check(s).is_some() => Ok(true),
        Some(_) => Err(not_hll()),
    }
}

/// The checked sketch at `key` for editing (looked up just before).
fn value_again<'c>(ctx: &'c mut Ctx<'_>, key: &[u8]) -> &'c mut CompactBytes {
    super::write_as_again(ctx, key, string_of_mut)
        .ok()
        .flatten()
        .expect("invariant: the sketch was looked up or created just before")
}

/// Creates an empty sketch at `key` (Redis `createHLLObject` + `dbAdd`).
fn create(ctx: &mut Ctx<'_>, key: &Bytes) {
    let value = CompactBytes::tagged(hll::new_sparse(), StrEncoding::Raw);
    ctx.db().set(key.clone(), Value::String(value), NO_EXPIRE);
}

/// Adds `elements` to the sketch `s`: the number of elements that changed a register, and
/// whether a corrupt sparse part stopped it.
fn add_elements(s: &mut CompactBytes, elements: &[Bytes], max_bytes: usize) -> (u64, bool) {
    let mut changed = 0;
    let mut rest = elements;
    if hll::encoding(s.raw_mut()) == Encoding::Sparse {
        let mut v = s.take_vec();
        while let Some((e, tail)) = rest.split_first() {
            if hll::encoding(&v) == Encoding::Dense {
                break;
            }
            match hll::sparse_add(&mut v, e, max_bytes) {
                Ok(hit) => changed += u64::from(hit),
                Err(hll::Corrupt) => {
                    *s = CompactBytes::tagged(v, StrEncoding::Raw);
                    return (changed, true);
                }
            }
            rest = tail;
        }
        *s = CompactBytes::tagged(v, StrEncoding::Raw);
    }
    let regs = &mut s.raw_mut()[HDR_LEN..];
    for e in rest {
        changed += u64::from(hll::dense_add(regs, e));
    }
    (changed, false)
}

/// ```text
/// PFADD key [element [element ...]]
/// ```
pub fn pfadd(ctx: &mut Ctx<'_>, argv: &[Bytes]) -> Result<Frame, ReplyError> {
    let key = &argv[1];
    let max_bytes = ctx.srv.hot.hll_sparse_max_bytes;
    let mut updated = 0;
    if !exists_for_write(ctx, key)? {
        create(ctx, key);
        updated = 1;
    }
    let s = value_again(ctx, key);
    let (changed, broken) = add_elements(s, &argv[2..], max_bytes);
    if broken {
        return Err(corrupt());
    }
    updated += changed;
    if updated == 0 {
        // Nothing changed: Redis does not propagate it.
        ctx.propagate_as = Some(Vec::new());
        return Ok(Frame::Integer(0));
    }
    hll::invalidate_cache(s.raw_mut());
    ctx.signal_modified_key(key);
    ctx.notify(EVENT_STRING, "pfadd", key);
    Ok(Frame::Integer(1))
}

/// ```text
/// PFCOUNT key [key ...]
/// ```
pub fn pfcount(ctx: &mut Ctx<'_>, argv: &[Bytes]) -> Result<Frame, ReplyError> {
    if argv.len() > 2 {
        let mut max: Registers = [0; REGISTERS];
        for key in &argv[1..] {
            if let Some(s) = read_hll(ctx, key)? {
                hll::merge_into(&mut max, s).map_err(|_| corrupt())?;
            }
        }
        return Ok(reply_count(hll::count_registers(&max)));
    }
    let key = &argv[1];
    if read_hll(ctx, key)?.is_none() {
        return Ok(Frame::Integer(0));
    }
    let s = value_again(ctx, key).raw_mut();
    if let Some(cached) = hll::cached_count(s) {
        return Ok(reply_count(cached));
    }
    let count = hll::count(s).map_err(|_| corrupt())?;
    hll::set_cached_count(s, count);
    ctx.signal_modified_key(key);
    // The stored count changed the value: replicas run the same PFCOUNT to match. A
    // replica keeps its own count to itself (Redis's replicas feed only their primary's
    // stream on): its stream offset must stay the primary's.
    if ctx.srv.repl.master.is_none() {
        ctx.propagate_as = Some(vec![argv.to_vec()]);
    }
    Ok(reply_count(count))
}

/// A count as Redis replies it: a C cast of the unsigned value to `long long`.
fn reply_count(count: u64) -> Frame {
    Frame::Integer(count as i64)
}

/// ```text
/// PFMERGE destkey [sourcekey [sourcekey ...]]
/// ```
pub fn pfmerge(ctx: &mut Ctx<'_>, argv: &[Bytes]) -> Result<Frame, ReplyError> {
    let dest = &argv[1];
    let max_bytes = ctx.srv.hot.hll_sparse_max_bytes;
    let mut max: Registers = [0; REGISTERS];
    let mut use_dense = false;
    // The destination is read as a source too (it is argv[1]).
    for key in &argv[1..] {
        if let Some(s) = read_hll(ctx, key)? {
            use_dense |= hll::encoding(s) == Encoding::Dense;
            hll::merge_into(&mut max, s).map_err(|_| corrupt())?;
        }
    }
    if !exists_for_write(ctx, dest)? {
        create(ctx, dest);
    }
    let s = value_again(ctx, dest);
    s.raw_mut();
    let mut v = s.take_vec();
    if use_dense && hll::encoding(&v) == Encoding::Sparse {
        match hll::sparse_to_dense(&v) {
            Ok(dense) => v = dense,
            Err(hll::Corrupt) => {
                *s = CompactBytes::tagged(v, StrEncoding::Raw);
                return Err(corrupt());
            }
        }
    }
    for (i, &m) in max.iter().enumerate().filter(|(_, m)| **m != 0) {
        match hll::encoding(&v) {
            Encoding::Dense => {
                hll::dense_raise(&mut v[HDR_LEN..], i, m);
            }
            Encoding::Sparse => {
                // Every source was checked whole above, the destination included.
                let _ = hll::sparse_raise(&mut v, i, m, max_bytes);
            }
        }
    }
    hll::invalidate_cache(&mut v);
    *s = CompactBytes::tagged(v, StrEncoding::Raw);
    ctx.signal_modified_key(dest);
    // Redis publishes `pfadd` for a merge: it is a mass add.
    ctx.notify(EVENT_STRING, "pfadd", dest);
    Ok(Frame::ok())
}

/// Turns the sketch at `key` dense if it is sparse; true if it did.
fn to_dense(ctx: &mut Ctx<'_>, key: &[u8]) -> Result<bool, ReplyError> {
    let s = value_again(ctx, key);
    if hll::encoding(s.raw_mut()) == Encoding::Dense {
        return Ok(false);
    }
    let dense = hll::sparse_to_dense(s.as_slice()).map_err(|_| corrupt())?;
    *s = CompactBytes::tagged(dense, StrEncoding::Raw);
    Ok(true)
}

/// ```text
/// PFDEBUG GETREG|DECODE|ENCODING|TODENSE key
/// ```
pub fn pfdebug(ctx: &mut Ctx<'_>, argv: &[Bytes]) -> Result<Frame, ReplyError> {
    let (sub, key) = (&argv[1], &argv[2]);
    if !exists_for_write(ctx, key)? {
        return Err(ReplyError::other("ERR The specified key does not exist"));
    }
    let is = |w: &str| sub.eq_ignore_ascii_case(w.as_bytes());
    // Only a conversion to dense changes the value (and is propagated, as Redis does).
    let mut converted = false;
    let reply = if is("getreg") {
        converted = to_dense(ctx, key)?;
        let s = value_again(ctx, key).as_slice();
        let regs = hll::registers(s).map_err(|_| corrupt())?;
        Frame::Array(regs.into_iter().map(|r| Frame::Integer(r.into())).collect())
    } else if is("decode") {
        let s = value_again(ctx, key).raw_mut();
        if hll::encoding(s) != Encoding::Sparse {
            return Err(ReplyError::other("ERR HLL encoding is not sparse"));
        }
        Frame::bulk(hll::decode_sparse(s))
    } else if is("encoding") {
        Frame::simple(hll::encoding(value_again(ctx, key).raw_mut()).name())
    } else if is("todense") {
        converted = to_dense(ctx, key)?;
        Frame::Integer(i64::from(converted))
    } else {
        value_again(ctx, key).raw_mut();
        return Err(ReplyError::err(format!(
            "Unknown PFDEBUG subcommand '{}'",
            String::from_utf8_lossy(sub)
        )));
    };
    if !converted {
        ctx.propagate_as = Some(Vec::new());
    }
    Ok(reply)
}

/// Register-access cycles of PFSELFTEST's first test (Redis `HLL_TEST_CYCLES`).
const SELF_TEST_CYCLES: usize = 1000;
/// Elements PFSELFTEST adds in its second test.
const SELF_TEST_ELEMENTS: u64 = 10_000_000;

/// ```text
/// PFSELFTEST
/// ```
pub fn pfselftest(ctx: &mut Ctx<'_>, _argv: &[Bytes]) -> Result<Frame, ReplyError> {
    let max_bytes = ctx.srv.hot.hll_sparse_max_bytes;
    hll::self_test(
        &mut ctx.srv.rng,
        SELF_TEST_CYCLES,
        SELF_TEST_ELEMENTS,
        max_bytes,
    )
    .map(|()| Frame::ok())
    .map_err(ReplyError::err)
}
