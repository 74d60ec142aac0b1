//! Bitmap commands (Redis `bitops.c`): SETBIT, GETBIT, BITCOUNT, BITPOS, BITOP, BITFIELD,
//! BITFIELD_RO. Bitmaps are plain strings; bit 0 is the most significant bit of byte 0.
//!
//! Invariants: a bit offset never addresses a byte at or past `proto-max-bulk-len`, so a
//! write grows a string to at most that size; writes change the string in place through
//! [`super::string::modify_string`] (no copy of a large bitmap per SETBIT). Every write
//! signals the key and publishes Redis's event (`setbit` for SETBIT and BITFIELD, `set` or
//! `del` for BITOP's destination).

use bytes::Bytes;
use shoal_common::{Frame, ReplyError};

use super::args;
use super::string::{EVENT_GENERIC, EVENT_STRING, get_string, modify_string};
use crate::db::compact::StrEncoding;
use crate::db::{CompactBytes, NO_EXPIRE, Value};
use crate::exec::Ctx;

fn bit_offset_error() -> ReplyError {
    ReplyError::other("ERR bit offset is not an integer or out of range")
}

/// Redis `getBitOffsetFromArgument`: a bit offset, or with `hash_bits` > 0 the `#N` form
/// meaning `N * hash_bits`; its byte must be below `proto-max-bulk-len`.
fn bit_offset(ctx: &Ctx<'_>, arg: &[u8], hash_bits: u32) -> Result<u64, ReplyError> {
    let (hash, digits) = match arg.first() {
        Some(b'#') if hash_bits > 0 => (true, &arg[1..]),
        _ => (false, arg),
    };
    let mut v = shoal_common::number::parse_i64(digits).ok_or_else(bit_offset_error)?;
    if hash {
        // Redis multiplies without an overflow check; a wrapped product is refused below
        // when it turns negative, as there.
        v = v.wrapping_mul(i64::from(hash_bits));
    }
    let max = ctx.srv.hot.proto_max_bulk_len;
    if v < 0 || (v >> 3) >= max {
        return Err(bit_offset_error());
    }
    Ok(u64::try_from(v).expect("invariant: v >= 0"))
}

fn byte_index(bit: u64) -> usize {
    usize::try_from(bit >> 3).expect("invariant: bit offsets are below proto-max-bulk-len")
}

/// ```text
/// SETBIT key offset value
/// ```
pub fn setbit(ctx: &mut Ctx<'_>, argv: &[Bytes]) -> Result<Frame, ReplyError> {
    let key = &argv[1];
    let offset = bit_offset(ctx, &argv[2], 0)?;
    let bad_bit = || ReplyError::other("ERR bit is not an integer or out of range");
    let on = args::int(&argv[3]).map_err(|_| bad_bit())?;
    if on & !1 != 0 {
        return Err(bad_bit());
    }
    let byte = byte_index(offset);
    let mask = 1u8 << (7 - (offset & 7));
    let (old, dirty) = modify_string(ctx, key, byte + 1, |b| {
        let old = b[byte] & mask != 0;
        if on == 1 {
            b[byte] |= mask;
        } else {
            b[byte] &= !mask;
        }
        old
    })?;
    if dirty || old != (on == 1) {
        ctx.signal_modified_key(key);
        ctx.notify(EVENT_STRING, "setbit", key);
    }
    Ok(Frame::Integer(i64::from(old)))
}

/// ```text
/// GETBIT key offset
/// ```
pub fn getbit(ctx: &mut Ctx<'_>, argv: &[Bytes]) -> Result<Frame, ReplyError> {
    let offset = bit_offset(ctx, &argv[2], 0)?;
    let s = get_string(ctx, &argv[1])?.unwrap_or_default();
    let bit = s
        .get(byte_index(offset))
        .is_some_and(|b| b & (1u8 << (7 - (offset & 7))) != 0);
    Ok(Frame::Integer(i64::from(bit)))
}

/// Counts bits (BIT) or bytes (BYTE) in a range.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Unit {
    Byte,
    Bit,
}

fn parse_unit(arg: &[u8]) -> Result<Unit, ReplyError> {
    if args::is(arg, "bit") {
        Ok(Unit::Bit)
    } else if args::is(arg, "byte") {
        Ok(Unit::Byte)
    } else {
        Err(ReplyError::Syntax)
    }
}

/// Redis's range normalisation for BITCOUNT/BITPOS: negative indexes from the end, clamped
/// to `[0, total - 1]`. Returns an inclusive range in units (bits or bytes), possibly empty
/// (`start > end`).
fn clamp_range(start: i64, end: i64, total: i64) -> (i64, i64) {
    let start = if start < 0 { total + start } else { start }.max(0);
    let end = if end < 0 { total + end } else { end }.max(0);
    (start, end.min(total - 1))
}

/// Bit `i` (MSB first) of `s`.
fn bit_at(s: &[u8], i: i64) -> bool {
    let i = u64::try_from(i).expect("invariant: bit index >= 0");
    s[byte_index(i)] & (1u8 << (7 - (i & 7))) != 0
}

/// ```text
/// BITCOUNT key [start end [BYTE | BIT]]
/// ```
pub fn bitcount(ctx: &mut Ctx<'_>, argv: &[Bytes]) -> Result<Frame, ReplyError> {
    // Redis looks the key up before it parses the range: a missing key counts 0 whatever
    // follows.
    let Some(s) = get_string(ctx, &argv[1])? else {
        return Ok(Frame::Integer(0));
    };
    let len = i64::try_from(s.len()).expect("invariant: strings are below 512 MB");
    let (unit, start, end) = match argv.len() {
        2 => (Unit::Byte, 0, len - 1),
        4 | 5 => {
            let start = args::int(&argv[2])?;
            let end = args::int(&argv[3])?;
            if start < 0 && end < 0 && start > end {
                return Ok(Frame::Integer(0));
            }
            let unit = match argv.get(4) {
                Some(u) => parse_unit(u)?,
                None => Unit::Byte,
            };
            let total = if unit == Unit::Bit { len * 8 } else { len };
            let (start, end) = clamp_range(start, end, total);
            (unit, start, end)
        }
        _ => return Err(ReplyError::Syntax),
    };
    if start > end {
        return Ok(Frame::Integer(0));
    }
    let count = match unit {
        Unit::Byte => {
            let (a, b) = (
                usize::try_from(start).expect("invariant: 0 <= start"),
                usize::try_from(end).expect("invariant: end < len"),
            );
            s[a..=b]
                .iter()
                .map(|b| u64::from(b.count_ones()))
                .sum::<u64>()
        }
        Unit::Bit => count_bits(&s, start, end),
    };
    Ok(Frame::Integer(i64::try_from(count).unwrap_or(i64::MAX)))
}

/// Set bits in the inclusive bit range `[start, end]`: whole bytes by popcount, the partial
/// bytes at the edges bit by bit.
fn count_bits(s: &[u8], start: i64, end: i64) -> u64 {
    let first_full = (start + 7) / 8;
    let last_full = (end + 1) / 8; // exclusive
    if first_full >= last_full {
        return (start..=end).filter(|&i| bit_at(s, i)).count() as u64;
    }
    let head = (start..first_full * 8).filter(|&i| bit_at(s, i)).count() as u64;
    let tail = (last_full * 8..=end).filter(|&i| bit_at(s, i)).count() as u64;
    let (a, b) = (
        usize::try_from(first_full).expect("invariant: >= 0"),
        usize::try_from(last_full).expect("invariant: >= 0"),
    );
    let middle: u64 = s[a..b].iter().map(|b| u64::from(b.count_ones())).sum();
    head + middle + tail
}

/// ```text
/// BITPOS key bit [start [end [BYTE | BIT]]]
/// ```
pub fn bitpos(ctx: &mut Ctx<'_>, argv: &[Bytes]) -> Result<Frame, ReplyError> {
    let bit = args::int(&argv[2])?;
    if bit != 0 && bit != 1 {
        return Err(ReplyError::other("ERR The bit argument must be 1 or 0."));
    }
    let want = bit == 1;
    // A missing key is an infinite run of zeros.
    let Some(s) = get_string(ctx, &argv[1])? else {
        return Ok(Frame::Integer(if want { -1 } else { 0 }));
    };
    let len = i64::try_from(s.len()).expect("invariant: strings are below 512 MB");
    let (start_bit, end_bit, end_given) = match argv.len() {
        3 => (0, len * 8 - 1, false),
        4..=6 => {
            let start = args::int(&argv[3])?;
            // Redis reads the unit before the end index.
            let unit = match argv.get(5) {
                Some(u) => parse_unit(u)?,
                None => Unit::Byte,
            };
            let total = if unit == Unit::Bit { len * 8 } else { len };
            let end = match argv.get(4) {
                Some(e) => args::int(e)?,
                None => total - 1,
            };
            let (start, end) = clamp_range(start, end, total);
            if start > end {
                return Ok(Frame::Integer(-1));
            }
            match unit {
                Unit::Bit => (start, end, argv.len() >= 5),
                Unit::Byte => (start * 8, end * 8 + 7, argv.len() >= 5),
            }
        }
        _ => return Err(ReplyError::Syntax),
    };
    if start_bit > end_bit {
        return Ok(Frame::Integer(-1));
    }
    if let Some(pos) = find_bit(&s, start_bit, end_bit, want) {
        return Ok(Frame::Integer(pos));
    }
    // Looking for a clear bit without an explicit end: the string is zero-padded on the
    // right, so the answer is the first bit after it.
    Ok(Frame::Integer(if want || end_given {
        -1
    } else {
        end_bit + 1
    }))
}

/// The first bit equal to `want` in the inclusive range, skipping whole bytes that cannot
/// hold it.
fn find_bit(s: &[u8], start: i64, end: i64, want: bool) -> Option<i64> {
    let skip = if want { 0x00 } else { 0xff };
    let mut i = start;
    while i <= end {
        if i % 8 == 0 && i + 7 <= end {
            let byte = s[byte_index(u64::try_from(i).expect("invariant: >= 0"))];
            if byte == skip {
                i += 8;
                continue;
            }
        }
        if bit_at(s, i) == want {
            return Some(i);
        }
        i += 1;
    }
    None
}

/// ```text
/// BITOP <AND | OR | XOR | NOT> destkey key [key ...]
/// ```
pub fn bitop(ctx: &mut Ctx<'_>, argv: &[Bytes]) -> Result<Frame, ReplyError> {
    let op = argv[1].to_ascii_lowercase();
    if !matches!(op.as_slice(), b"and" | b"or" | b"xor" | b"not") {
        return Err(ReplyError::Syntax);
    }
    if op == b"not" && argv.len() != 4 {
        return Err(ReplyError::other(
            "ERR BITOP NOT must be called with a single source key.",
        ));
    }
    let mut srcs = Vec::with_capacity(argv.len() - 3);
    for key in &argv[3..] {
        srcs.push(get_string(ctx, key)?.unwrap_or_default());
    }
    let maxlen = srcs.iter().map(Bytes::len).max().unwrap_or(0);
    let dest = &argv[2];
    if maxlen == 0 {
        if ctx.db().remove(dest).is_some() {
            ctx.signal_modified_key(dest);
            ctx.notify(EVENT_GENERIC, "del", dest);
        }
        return Ok(Frame::Integer(0));
    }
    let byte = |s: &Bytes, i: usize| s.get(i).copied().unwrap_or(0);
    let out: Vec<u8> = (0..maxlen)
        .map(|i| {
            let mut it = srcs.iter().map(|s| byte(s, i));
            let first = it.next().unwrap_or(0);
            match op.as_slice() {
                b"and" => it.fold(first, |a, b| a & b),
                b"or" => it.fold(first, |a, b| a | b),
                b"xor" => it.fold(first, |a, b| a ^ b),
                _ => !first,
            }
        })
        .collect();
    ctx.db().set(
        dest.clone(),
        Value::String(CompactBytes::tagged(out, StrEncoding::Raw)),
        NO_EXPIRE,
    );
    ctx.signal_modified_key(dest);
    ctx.notify(EVENT_STRING, "set", dest);
    Ok(Frame::Integer(i64::try_from(maxlen).unwrap_or(i64::MAX)))
}

/// What BITFIELD does when a value does not fit its type.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Overflow {
    Wrap,
    Sat,
    Fail,
}

/// A BITFIELD operation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum FieldOp {
    Get,
    Set(i64),
    Incrby(i64),
}

/// One parsed BITFIELD operation (Redis `struct bitfieldOp`).
#[derive(Debug, Clone, Copy)]
struct Field {
    op: FieldOp,
    offset: u64,
    bits: u32,
    signed: bool,
    overflow: Overflow,
}

/// Redis `getBitfieldTypeFromArgument`: `i1`..`i64` or `u1`..`u63` (lower case only).
fn field_type(arg: &[u8]) -> Result<(bool, u32), ReplyError> {
    let err = || {
        ReplyError::other(
            "ERR Invalid bitfield type. Use something like i16 u8. Note that u64 is not \
             supported but i64 is.",
        )
    };
    let signed = match arg.first() {
        Some(b'i') => true,
        Some(b'u') => false,
        _ => return Err(err()),
    };
    let bits = shoal_common::number::parse_i64(&arg[1..]).ok_or_else(err)?;
    let max = if signed { 64 } else { 63 };
    if !(1..=max).contains(&bits) {
        return Err(err());
    }
    Ok((signed, u32::try_from(bits).expect("invariant: 1..=64")))
}

/// Parses every operation first, as Redis does, so an error anywhere changes nothing.
fn parse_fields(ctx: &Ctx<'_>, argv: &[Bytes]) -> Result<Vec<Field>, ReplyError> {
    let mut fields = Vec::new();
    let mut overflow = Overflow::Wrap;
    let mut j = 2;
    while j < argv.len() {
        let rest = argv.len() - j - 1;
        let sub = &argv[j];
        let is_get = args::is(sub, "get") && rest >= 2;
        let is_set = args::is(sub, "set") && rest >= 3;
        let is_incr = args::is(sub, "incrby") && rest >= 3;
        if args::is(sub, "overflow") && rest >= 1 {
            let t = &argv[j + 1];
            overflow = if args::is(t, "wrap") {
                Overflow::Wrap
            } else if args::is(t, "sat") {
                Overflow::Sat
            } else if args::is(t, "fail") {
                Overflow::Fail
            } else {
                return Err(ReplyError::other("ERR Invalid OVERFLOW type specified"));
            };
            j += 2;
            continue;
        }
        if !(is_get || is_set || is_incr) {
            return Err(ReplyError::Syntax);
        }
        let (signed, bits) = field_type(&argv[j + 1])?;
        let offset = bit_offset(ctx, &argv[j + 2], bits)?;
        let op = if is_get {
            FieldOp::Get
        } else {
            let v = args::int(&argv[j + 3])?;
            if is_set {
                FieldOp::Set(v)
            } else {
                FieldOp::Incrby(v)
            }
        };
        fields.push(Field {
            op,
            offset,
            bits,
            signed,
            overflow,
        });
        j += if is_get { 3 } else { 4 };
    }
    Ok(fields)
}

/// ```text
/// BITFIELD key [GET encoding offset | [OVERFLOW <WRAP | SAT | FAIL>]
///   <SET encoding offset value | INCRBY encoding offset increment> [...]]
/// ```
pub fn bitfield(ctx: &mut Ctx<'_>, argv: &[Bytes]) -> Result<Frame, ReplyError> {
    bitfield_generic(ctx, argv, false)
}

/// ```text
/// BITFIELD_RO key [GET encoding offset [GET encoding offset ...]]
/// ```
pub fn bitfield_ro(ctx: &mut Ctx<'_>, argv: &[Bytes]) -> Result<Frame, ReplyError> {
    bitfield_generic(ctx, argv, true)
}

/// The body of BITFIELD and BITFIELD_RO (Redis `bitfieldGeneric`).
fn bitfield_generic(ctx: &mut Ctx<'_>, argv: &[Bytes], ro: bool) -> Result<Frame, ReplyError> {
    let key = &argv[1];
    let fields = parse_fields(ctx, argv)?;
    let highest = fields
        .iter()
        .filter(|f| f.op != FieldOp::Get)
        .map(|f| f.offset + u64::from(f.bits) - 1)
        .max();
    let Some(highest) = highest else {
        // Read-only: a missing key reads as zeros.
        let s = get_string(ctx, key)?.unwrap_or_default();
        let out = fields
            .iter()
            .map(|f| Frame::Integer(read_field(&s, f)))
            .collect();
        return Ok(Frame::Array(out));
    };
    if ro {
        return Err(ReplyError::other(
            "ERR BITFIELD_RO only supports the GET subcommand",
        ));
    }
    let (out, _) = modify_string(ctx, key, byte_index(highest) + 1, |b| {
        fields.iter().map(|f| apply_field(b, f)).collect::<Vec<_>>()
    })?;
    let changes = fields.iter().any(|f| f.op != FieldOp::Get);
    if changes {
        ctx.signal_modified_key(key);
        ctx.notify(EVENT_STRING, "setbit", key);
    }
    Ok(Frame::Array(out))
}

/// Reads a field (zero past the end of the string).
fn read_field(s: &[u8], f: &Field) -> i64 {
    let raw = get_unsigned(s, f.offset, f.bits);
    if f.signed {
        to_signed(raw, f.bits)
    } else {
        i64::try_from(raw).expect("invariant: unsigned fields have at most 63 bits")
    }
}

/// Runs one operation on a string already grown to hold every written field.
fn apply_field(b: &mut [u8], f: &Field) -> Frame {
    let old = read_field(b, f);
    let (value, incr, is_incr) = match f.op {
        FieldOp::Get => return Frame::Integer(old),
        FieldOp::Set(v) => (v, 0, false),
        FieldOp::Incrby(by) => (old, by, true),
    };
    let (new, overflowed) = if f.signed {
        signed_overflow(value, incr, f.bits, f.overflow)
    } else {
        unsigned_overflow(value as u64, incr, f.bits, f.overflow)
    };
    if overflowed && f.overflow == Overflow::Fail {
        return Frame::Null;
    }
    set_unsigned(b, f.offset, f.bits, new as u64);
    Frame::Integer(if is_incr {
        if f.signed {
            new
        } else {
            i64::try_from(new as u64 & mask(f.bits)).unwrap_or(i64::MAX)
        }
    } else {
        old
    })
}

fn mask(bits: u32) -> u64 {
    if bits == 64 {
        u64::MAX
    } else {
        (1u64 << bits) - 1
    }
}

fn to_signed(raw: u64, bits: u32) -> i64 {
    if bits < 64 && raw & (1u64 << (bits - 1)) != 0 {
        (raw | !mask(bits)) as i64
    } else {
        raw as i64
    }
}

/// Redis `checkSignedBitfieldOverflow`: the value to store for `value + incr` in a signed
/// field of `bits` bits, and whether it overflowed.
fn signed_overflow(value: i64, incr: i64, bits: u32, how: Overflow) -> (i64, bool) {
    let max: i64 = if bits == 64 {
        i64::MAX
    } else {
        (1i64 << (bits - 1)) - 1
    };
    let min = -max - 1;
    let max_incr = (max as u64).wrapping_sub(value as u64) as i64;
    let min_incr = min.wrapping_sub(value);
    let wrap = || {
        let mut c = (value as u64).wrapping_add(incr as u64);
        if bits < 64 {
            if c & (1u64 << (bits - 1)) != 0 {
                c |= !mask(bits);
            } else {
                c &= mask(bits);
            }
        }
        c as i64
    };
    let high = value > max
        || (bits != 64 && incr > max_incr)
        || (value >= 0 && incr > 0 && incr > max_incr);
    let low = value < min
        || (bits != 64 && incr < min_incr)
        || (value < 0 && incr < 0 && incr < min_incr);
    match (high, low, how) {
        (true, _, Overflow::Sat) => (max, true),
        (false, true, Overflow::Sat) => (min, true),
        (true, _, _) | (_, true, _) => (wrap(), true),
        _ => (value.wrapping_add(incr), false),
    }
}

/// Redis `checkUnsignedBitfieldOverflow` (fields of at most 63 bits).
fn unsigned_overflow(value: u64, incr: i64, bits: u32, how: Overflow) -> (i64, bool) {
    let max = mask(bits);
    let max_incr = max.wrapping_sub(value) as i64;
    let min_incr = value.wrapping_neg() as i64;
    let wrapped = || (value.wrapping_add(incr as u64) & max) as i64;
    if value > max || (incr > 0 && incr > max_incr) {
        let v = if how == Overflow::Sat {
            max as i64
        } else {
            wrapped()
        };
        return (v, true);
    }
    if incr < 0 && incr < min_incr {
        let v = if how == Overflow::Sat { 0 } else { wrapped() };
        return (v, true);
    }
    (value.wrapping_add(incr as u64) as i64, false)
}

/// Redis `getUnsignedBitfield`: `bits` bits from bit `offset`, MSB first; bytes past the end
/// of `s` read as zero.
fn get_unsigned(s: &[u8], offset: u64, bits: u32) -> u64 {
    let mut v = 0u64;
    for i in 0..u64::from(bits) {
        let pos = offset + i;
        let byte = usize::try_from(pos >> 3)
            .ok()
            .and_then(|b| s.get(b))
            .copied();
        let bit = byte.map_or(0, |b| (b >> (7 - (pos & 7))) & 1);
        v = (v << 1) | u64::from(bit);
    }
    v
}

/// Redis `setUnsignedBitfield`: writes the low `bits` bits of `value` at bit `offset`.
fn set_unsigned(s: &mut [u8], offset: u64, bits: u32, value: u64) {
    for i in 0..u64::from(bits) {
        let pos = offset + i;
        let bit = (value >> (u64::from(bits) - 1 - i)) & 1;
        let byte = byte_index(pos);
        let m = 1u8 << (7 - (pos & 7));
        if bit == 1 {
            s[byte] |= m;
        } else {
            s[byte] &= !m;
        }
    }
}
