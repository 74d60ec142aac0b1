//! C-library behaviour the Lua libraries of Redis rely on, for their Rust counterparts
//! (`cjson`, `cmsgpack`, `struct`): `luaL_error` / `luaL_argerror` texts with their position
//! prefix, `luaL_check*` argument conversions, C's `strtod` on a prefix, and the x86-64
//! results of C's out-of-range float-to-integer conversions (`cvttsd2si`).
//!
//! Invariant: an error built here is an `mlua::Error::RuntimeError` holding exactly the
//! string `luaL_error` would raise, so the error handler adds `ERR ` and the script's `pcall`
//! sees the bare text, as with Redis's C libraries.

use mlua::{Lua, MultiValue, Value};
use shoal_common::number::format_g;

/// `LUAI_MAXCSTACK`: the most stack slots a C function may use (`lua_checkstack` fails
/// beyond it).
pub const LUAI_MAXCSTACK: usize = 8000;

/// Most values holding an mlua reference (strings, tables) a library function returns at
/// once: mlua keeps one reference per value until they are pushed, and panics when its
/// reference stack (8000 slots in Lua 5.1, shared with every handle the node holds) is full.
/// Past this the function fails as it would past Lua's stack limit.
pub const MAX_REF_RESULTS: usize = 4000;

/// The calling context of a library function (a C function in Redis): the VM.
#[derive(Clone, Copy)]
pub struct Cx<'a> {
    /// The VM.
    pub lua: &'a Lua,
}

impl<'a> Cx<'a> {
    /// A function scripts call.
    pub fn direct(lua: &'a Lua) -> Cx<'a> {
        Cx { lua }
    }

    /// `n` values of `t` (from 1) as the function's results, unless more than
    /// [`MAX_REF_RESULTS`] of them are strings or tables: then `overflow`, raised as
    /// `luaL_error` would.
    pub fn results(&self, t: &mlua::Table, n: usize, overflow: &str) -> mlua::Result<MultiValue> {
        let mut refs = 0;
        for i in 1..=n {
            if matches!(t.raw_get::<Value>(i)?, Value::String(_) | Value::Table(_)) {
                refs += 1;
            }
        }
        if refs > MAX_REF_RESULTS {
            return Err(self.error(overflow));
        }
        let mut out = MultiValue::with_capacity(n);
        for i in 1..=n {
            out.push_back(t.raw_get::<Value>(i)?);
        }
        Ok(out)
    }

    /// `luaL_error`: `msg` with the position of the calling Lua line (`luaL_where(L, 1)`), or
    /// bare when the caller is a C function (such as `pcall`).
    pub fn error(&self, msg: &str) -> mlua::Error {
        let place = self
            .lua
            .inspect_stack(1, |d| {
                let line = d.current_line().filter(|l| *l > 0)?;
                let short = d.source().short_src?.into_owned();
                Some(format!("{short}:{line}: "))
            })
            .flatten()
            .unwrap_or_default();
        mlua::Error::RuntimeError(format!("{place}{msg}"))
    }

    /// `luaL_argerror`: `bad argument #n to 'name' (extramsg)`, the function's name as the
    /// calling instruction knows it (`?` when called from C), one less for a method call.
    pub fn arg_error(&self, narg: i32, extramsg: &str) -> mlua::Error {
        let names = self.lua.inspect_stack(0, |d| {
            let n = d.names();
            (n.name.map(|s| s.into_owned()), n.name_what)
        });
        let Some((name, what)) = names else {
            return self.error(&format!("bad argument #{narg} ({extramsg})"));
        };
        let mut narg = narg;
        let name = name.unwrap_or_else(|| "?".into());
        if what == Some("method") {
            narg -= 1;
            if narg == 0 {
                return self.error(&format!("calling '{name}' on bad self ({extramsg})"));
            }
        }
        self.error(&format!("bad argument #{narg} to '{name}' ({extramsg})"))
    }

    /// `luaL_typerror`: `bad argument #n to 'name' (<expected> expected, got <type>)`.
    pub fn type_error(&self, args: &MultiValue, narg: usize, expected: &str) -> mlua::Error {
        let got = type_name(args.get(narg - 1));
        self.arg_error(
            i32::try_from(narg).unwrap_or(i32::MAX),
            &format!("{expected} expected, got {got}"),
        )
    }

    /// `luaL_checklstring`: a string, or a number converted to its text.
    pub fn check_bytes(&self, args: &MultiValue, narg: usize) -> mlua::Result<Vec<u8>> {
        match args.get(narg - 1) {
            Some(Value::String(s)) => Ok(s.as_bytes().to_vec()),
            Some(Value::Integer(i)) => Ok(number_text(*i as f64).into_bytes()),
            Some(Value::Number(n)) => Ok(number_text(*n).into_bytes()),
            _ => Err(self.type_error(args, narg, "string")),
        }
    }

    /// `luaL_checkinteger` (a `lua_Integer`, truncated as Lua 5.1 does).
    pub fn check_integer(&self, args: &MultiValue, narg: usize) -> mlua::Result<i64> {
        match to_number(args.get(narg - 1)) {
            Some(n) => Ok(c_i64(n)),
            None => Err(self.type_error(args, narg, "number")),
        }
    }

    /// `luaL_optinteger`: `default` when the argument is absent or nil.
    pub fn opt_integer(&self, args: &MultiValue, narg: usize, default: i64) -> mlua::Result<i64> {
        match args.get(narg - 1) {
            None | Some(Value::Nil) => Ok(default),
            Some(_) => self.check_integer(args, narg),
        }
    }

    /// `luaL_checknumber`.
    pub fn check_number(&self, args: &MultiValue, narg: usize) -> mlua::Result<f64> {
        to_number(args.get(narg - 1)).ok_or_else(|| self.type_error(args, narg, "number"))
    }
}

/// `lua_typename(lua_type(v))`.
pub fn type_name(v: Option<&Value>) -> &'static str {
    match v {
        None => "no value",
        Some(Value::Nil) => "nil",
        Some(Value::Boolean(_)) => "boolean",
        Some(Value::Integer(_) | Value::Number(_)) => "number",
        Some(Value::String(_)) => "string",
        Some(Value::Table(_)) => "table",
        Some(Value::Function(_)) => "function",
        Some(Value::Thread(_)) => "thread",
        Some(_) => "userdata",
    }
}

/// A Lua number as `lua_tostring` prints it (`%.14g`).
pub fn number_text(n: f64) -> String {
    format_g(n, 14)
}

/// `lua_tonumber`: numbers, and strings that read as numbers (`luaO_str2d`).
pub fn to_number(v: Option<&Value>) -> Option<f64> {
    match v? {
        Value::Integer(i) => Some(*i as f64),
        Value::Number(n) => Some(*n),
        Value::String(s) => str2d(&s.as_bytes()),
        _ => None,
    }
}

/// Lua 5.1's `luaO_str2d`: `strtod` over the C string (up to the first NUL), hexadecimal
/// integers through `strtoul`, trailing whitespace allowed.
pub fn str2d(s: &[u8]) -> Option<f64> {
    let s = s.split(|b| *b == 0).next().unwrap_or_default();
    let (mut value, mut end) = strtod_prefix(s);
    if end == 0 {
        return None;
    }
    if matches!(s.get(end), Some(b'x' | b'X')) {
        let (v, e) = strtoul16(s);
        value = v;
        end = e;
    }
    if s[end..]
        .iter()
        .all(|c| matches!(c, b' ' | b'\t' | b'\n' | 0x0b | 0x0c | b'\r'))
    {
        Some(value)
    } else {
        None
    }
}

/// `strtoul(s, &end, 16)` as a double (saturating at `ULONG_MAX`).
fn strtoul16(s: &[u8]) -> (f64, usize) {
    let mut i = 0;
    while matches!(s.get(i), Some(b' ' | b'\t' | b'\n' | 0x0b | 0x0c | b'\r')) {
        i += 1;
    }
    let neg = match s.get(i) {
        Some(b'-') => {
            i += 1;
            true
        }
        Some(b'+') => {
            i += 1;
            false
        }
        _ => false,
    };
    if s.get(i) == Some(&b'0')
        && matches!(s.get(i + 1), Some(b'x' | b'X'))
        && s.get(i + 2).is_some_and(u8::is_ascii_hexdigit)
    {
        i += 2;
    }
    let start = i;
    let mut v: u64 = 0;
    let mut overflow = false;
    while let Some(d) = s.get(i).and_then(|c| (*c as char).to_digit(16)) {
        match v.checked_mul(16).and_then(|x| x.checked_add(u64::from(d))) {
            Some(x) => v = x,
            None => overflow = true,
        }
        i += 1;
    }
    if i == start {
        return (0.0, 0);
    }
    if overflow {
        v = u64::MAX;
    } else if neg {
        v = v.wrapping_neg();
    }
    (v as f64, i)
}

/// C's `strtod` (glibc, C locale) on a prefix of `s`: the value and the number of bytes it
/// read (0 when no number starts `s`). Decimal and hexadecimal forms, `inf`, `infinity`,
/// `nan` and `nan(chars)` in any case, after optional whitespace and sign.
pub fn strtod_prefix(s: &[u8]) -> (f64, usize) {
    let at = |i: usize| s.get(i).copied().unwrap_or(0);
    let mut i = 0;
    while matches!(at(i), b' ' | b'\t' | b'\n' | 0x0b | 0x0c | b'\r') {
        i += 1;
    }
    let neg = at(i) == b'-';
    if matches!(at(i), b'-' | b'+') {
        i += 1;
    }
    let sign = |v: f64| if neg { -v } else { v };
    let word =
        |i: usize, w: &[u8]| s.len() >= i + w.len() && s[i..i + w.len()].eq_ignore_ascii_case(w);
    if word(i, b"inf") {
        let end = if word(i, b"infinity") { i + 8 } else { i + 3 };
        return (sign(f64::INFINITY), end);
    }
    if word(i, b"nan") {
        let mut end = i + 3;
        if at(end) == b'(' {
            let mut j = end + 1;
            while at(j).is_ascii_alphanumeric() || at(j) == b'_' {
                j += 1;
            }
            if at(j) == b')' {
                end = j + 1;
            }
        }
        return (sign(f64::NAN), end);
    }
    if at(i) == b'0' && matches!(at(i + 1), b'x' | b'X') {
        if let Some((v, end)) = hex_float(s, i + 2) {
            return (sign(v), end);
        }
        // "0x" without hex digits: the "0" alone.
        return (sign(0.0), i + 1);
    }
    let start = i;
    let mut digits = 0;
    while at(i).is_ascii_digit() {
        i += 1;
        digits += 1;
    }
    if at(i) == b'.' {
        i += 1;
        while at(i).is_ascii_digit() {
            i += 1;
            digits += 1;
        }
    }
    if digits == 0 {
        return (0.0, 0);
    }
    let mantissa_end = i;
    if matches!(at(i), b'e' | b'E') {
        let mut j = i + 1;
        if matches!(at(j), b'+' | b'-') {
            j += 1;
        }
        if at(j).is_ascii_digit() {
            while at(j).is_ascii_digit() {
                j += 1;
            }
            i = j;
        }
    }
    let text = decimal_text(&s[start..mantissa_end], &s[mantissa_end..i]);
    let v = text.parse::<f64>().unwrap_or(0.0);
    (sign(v), i)
}

/// The mantissa and exponent of a decimal number as text Rust parses (`1.5e3`), with an
/// exponent clamped where it no longer changes the result.
fn decimal_text(mantissa: &[u8], exp: &[u8]) -> String {
    let mut text = String::with_capacity(mantissa.len() + 8);
    if mantissa.first() == Some(&b'.') {
        text.push('0');
    }
    text.push_str(&String::from_utf8_lossy(mantissa));
    if text.ends_with('.') {
        text.push('0');
    }
    if exp.len() > 1 {
        let body = &exp[1..];
        let (neg, digits) = match body.first() {
            Some(b'-') => (true, &body[1..]),
            Some(b'+') => (false, &body[1..]),
            _ => (false, body),
        };
        let digits = String::from_utf8_lossy(digits);
        let digits = digits.trim_start_matches('0');
        // Beyond any mantissa length, an exponent this large saturates either way.
        let e: i64 = if digits.len() > 12 {
            999_999_999_999
        } else {
            digits.parse().unwrap_or(0)
        };
        text.push('e');
        if neg {
            text.push('-');
        }
        text.push_str(&e.to_string());
    }
    text
}

/// A hexadecimal float after `0x` at `i`: `h[.h][p[+-]d]`; `None` when no hex digit follows.
fn hex_float(s: &[u8], mut i: usize) -> Option<(f64, usize)> {
    let at = |i: usize| s.get(i).copied().unwrap_or(0);
    let hex = |c: u8| (c as char).to_digit(16);
    // Up to 30 significant hex digits in a u128, the rest only as a sticky bit.
    let mut m: u128 = 0;
    let mut exp: i64 = 0;
    let mut any = false;
    let mut sticky = false;
    let mut push = |d: u32, frac: bool, m: &mut u128, exp: &mut i64| {
        if *m >> 116 == 0 {
            *m = (*m << 4) | u128::from(d);
            if frac {
                *exp -= 4;
            }
        } else {
            sticky |= d != 0;
            if !frac {
                *exp += 4;
            }
        }
    };
    while let Some(d) = hex(at(i)) {
        push(d, false, &mut m, &mut exp);
        any = true;
        i += 1;
    }
    if at(i) == b'.' {
        let mut j = i + 1;
        let mut frac_any = false;
        while let Some(d) = hex(at(j)) {
            push(d, true, &mut m, &mut exp);
            frac_any = true;
            j += 1;
        }
        if any || frac_any {
            any = true;
            i = j;
        }
    }
    if !any {
        return None;
    }
    if matches!(at(i), b'p' | b'P') {
        let mut j = i + 1;
        let neg = at(j) == b'-';
        if matches!(at(j), b'+' | b'-') {
            j += 1;
        }
        if at(j).is_ascii_digit() {
            let mut e: i64 = 0;
            while at(j).is_ascii_digit() {
                e = (e * 10 + i64::from(at(j) - b'0')).min(1 << 40);
                j += 1;
            }
            exp += if neg { -e } else { e };
            i = j;
        }
    }
    if sticky {
        m |= 1;
    }
    Some((scale2(m, exp), i))
}

/// `m * 2^exp`, rounded once.
fn scale2(m: u128, exp: i64) -> f64 {
    if m == 0 {
        return 0.0;
    }
    // Normalise to 64 significant bits with a sticky bit, so the single rounding happens in
    // the final multiplication (exact powers of two never round, except into subnormals).
    let lead = 128 - i64::from(m.leading_zeros());
    let (m64, exp) = if lead > 64 {
        let drop = (lead - 64) as u32;
        let sticky = u64::from(m & ((1u128 << drop) - 1) != 0);
        (((m >> drop) as u64) | sticky, exp + i64::from(drop))
    } else {
        (m as u64, exp)
    };
    let base = m64 as f64;
    let mut e = exp.clamp(-3000, 3000) as i32;
    let mut v = base;
    while e > 0 {
        let step = e.min(1000);
        v *= 2f64.powi(step);
        e -= step;
    }
    while e < 0 {
        let step = (-e).min(1000);
        v /= 2f64.powi(step);
        e += step;
    }
    v
}

/// C's `(int)d` on x86-64: truncation, `INT_MIN` when out of range or NaN.
pub fn c_int(d: f64) -> i32 {
    let t = d.trunc();
    if (-2_147_483_648.0..=2_147_483_647.0).contains(&t) {
        t as i32
    } else {
        i32::MIN
    }
}

/// C's `(int64_t)d` on x86-64: truncation, `INT64_MIN` when out of range or NaN.
pub fn c_i64(d: f64) -> i64 {
    if (-9_223_372_036_854_775_808.0..9_223_372_036_854_775_808.0).contains(&d) {
        d as i64
    } else {
        i64::MIN
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strtod_reads_prefixes_as_glibc() {
        assert_eq!(strtod_prefix(b"1.5e2xyz"), (150.0, 5));
        assert_eq!(strtod_prefix(b"-.5"), (-0.5, 3));
        assert_eq!(strtod_prefix(b"1e"), (1.0, 1));
        assert_eq!(strtod_prefix(b"1e+"), (1.0, 1));
        assert_eq!(strtod_prefix(b"0x10"), (16.0, 4));
        assert_eq!(strtod_prefix(b"0x"), (0.0, 1));
        assert_eq!(strtod_prefix(b"0x1p3"), (8.0, 5));
        assert_eq!(strtod_prefix(b"0x.8"), (0.5, 4));
        assert_eq!(strtod_prefix(b"-Infinity"), (f64::NEG_INFINITY, 9));
        assert_eq!(strtod_prefix(b"infinit"), (f64::INFINITY, 3));
        assert_eq!(strtod_prefix(b"1e400").0, f64::INFINITY);
        assert_eq!(strtod_prefix(b"1e-400").0, 0.0);
        assert_eq!(strtod_prefix(b"1e99999999999999999999").0, f64::INFINITY);
        assert_eq!(strtod_prefix(b"0.1").0, 0.1);
        assert_eq!(strtod_prefix(b"-"), (0.0, 0));
        assert_eq!(strtod_prefix(b"."), (0.0, 0));
        let (nan, n) = strtod_prefix(b"nan(abc)x");
        assert!(nan.is_nan());
        assert_eq!(n, 8);
        assert_eq!(strtod_prefix(b"nan(abc").1, 3);
    }

    #[test]
    fn str2d_is_lua_tonumber() {
        assert_eq!(str2d(b" 10 "), Some(10.0));
        assert_eq!(str2d(b"0x1F"), Some(31.0));
        assert_eq!(str2d(b"5\0abc"), Some(5.0));
        assert_eq!(str2d(b"5a"), None);
        assert_eq!(str2d(b""), None);
    }

    #[test]
    fn c_casts_follow_x86() {
        assert_eq!(c_int(2_147_483_648.0), i32::MIN);
        assert_eq!(c_int(-3.9), -3);
        assert_eq!(c_i64(f64::NAN), i64::MIN);
        assert_eq!(c_i64(1e19), i64::MIN);
        assert_eq!(c_i64(-9_223_372_036_854_775_808.0), i64::MIN);
    }
}
