//! Redis's number rules: strict integer parsing (`string2ll`), float parsing (`strtold` with
//! Redis's extra checks) and `%.17g` formatting (`addReplyDouble` in 7.0).

/// Redis `string2ll`: optional `-`, digits, no `+`, no leading zeros (except `0` itself), no
/// spaces, within `i64`.
pub fn parse_i64(s: &[u8]) -> Option<i64> {
    if s.is_empty() || s.len() > 20 {
        return None;
    }
    let (neg, digits) = match s[0] {
        b'-' => (true, &s[1..]),
        _ => (false, s),
    };
    if digits.is_empty() || (digits[0] == b'0' && (digits.len() > 1 || neg)) {
        return None;
    }
    let mut v: i64 = 0;
    for &c in digits {
        if !c.is_ascii_digit() {
            return None;
        }
        let d = i64::from(c - b'0');
        v = v.checked_mul(10)?;
        v = if neg {
            v.checked_sub(d)?
        } else {
            v.checked_add(d)?
        };
    }
    Some(v)
}

/// Redis `string2ull`-style parsing for non-negative integers.
pub fn parse_u64(s: &[u8]) -> Option<u64> {
    if s.first() == Some(&b'-') {
        return None;
    }
    std::str::from_utf8(s)
        .ok()?
        .parse::<u64>()
        .ok()
        .filter(|_| !s.starts_with(b"+"))
}

/// Redis `string2ld`/`strtod` as used by `getDoubleFromObject`: no leading or trailing
/// space, no NaN; `inf`, `+inf`, `-inf`, `infinity` accepted in any case.
pub fn parse_f64(s: &[u8]) -> Option<f64> {
    if s.is_empty() || s.len() > 5120 {
        return None;
    }
    if s[0].is_ascii_whitespace() || s[s.len() - 1].is_ascii_whitespace() {
        return None;
    }
    let text = std::str::from_utf8(s).ok()?;
    let lower = text.to_ascii_lowercase();
    let body = lower.strip_prefix(['+', '-']).unwrap_or(&lower);
    if body == "inf" || body == "infinity" {
        return Some(if lower.starts_with('-') {
            f64::NEG_INFINITY
        } else {
            f64::INFINITY
        });
    }
    if body.contains("nan") || body.contains("inf") {
        return None;
    }
    // Rust's parser is stricter than strtod on a few exotic forms (hex floats); those are
    // rejected, which is the safe direction.
    let v: f64 = text.parse().ok()?;
    if v.is_nan() { None } else { Some(v) }
}

/// Parses a RESP3 double line (`,1.5`, `,inf`, `,-inf`, `,nan`).
pub fn parse_resp_double(s: &str) -> Option<f64> {
    match s {
        "inf" => Some(f64::INFINITY),
        "-inf" => Some(f64::NEG_INFINITY),
        "nan" => Some(f64::NAN),
        _ => s.parse().ok(),
    }
}

/// C's `printf("%.17g", d)`, which Redis 7.0 uses for double replies (ZSCORE, ZINCRBY, ...).
/// Infinities print as `inf` / `-inf`.
pub fn format_double(d: f64) -> String {
    format_g(d, 17)
}

/// C's `%.{precision}g`.
pub fn format_g(d: f64, precision: usize) -> String {
    if d.is_nan() {
        return "nan".to_string();
    }
    if d.is_infinite() {
        return if d > 0.0 {
            "inf".to_string()
        } else {
            "-inf".to_string()
        };
    }
    if d == 0.0 {
        return if d.is_sign_negative() {
            "-0".to_string()
        } else {
            "0".to_string()
        };
    }
    let p = precision.max(1);
    if p >= 17 && d == d.trunc() && d.abs() < 1e17 {
        // An integral value of at most 17 digits: `%.17g` prints it in fixed form with every
        // digit exact and no fraction, i.e. as the integer (Redis's `d2string` takes the same
        // shortcut). Scores are mostly integers, so this skips the float formatter.
        return itoa::Buffer::new().format(d as i64).to_string();
    }
    // Scientific form with p significant digits tells us the decimal exponent after rounding.
    let sci = format!("{:.*e}", p - 1, d);
    let (mantissa, exp) = sci
        .split_once('e')
        .expect("invariant: {:e} always has an exponent");
    let exp: i32 = exp.parse().expect("invariant: {:e} exponent is an integer");
    let p_i32 = i32::try_from(p).unwrap_or(i32::MAX);
    if exp < -4 || exp >= p_i32 {
        let m = strip_zeros(mantissa);
        let sign = if exp < 0 { '-' } else { '+' };
        format!("{m}e{sign}{:02}", exp.abs())
    } else {
        let decimals = usize::try_from(p_i32 - 1 - exp).unwrap_or(0);
        strip_zeros(&format!("{d:.decimals$}")).to_string()
    }
}

fn strip_zeros(s: &str) -> &str {
    if s.contains('.') {
        s.trim_end_matches('0').trim_end_matches('.')
    } else {
        s
    }
}

/// The shortest text that reads back as `d` (used where Redis prints a long double with
/// `%.17Lf` and trims zeros: INCRBYFLOAT, HINCRBYFLOAT). Integral values print without a
/// decimal point; large and tiny magnitudes print in plain decimal, as `%Lf` does.
pub fn format_float_human(d: f64) -> String {
    if d.is_infinite() {
        return if d > 0.0 {
            "inf".to_string()
        } else {
            "-inf".to_string()
        };
    }
    if d == d.trunc() && d.abs() < 1e17 {
        // `{}` prints integral floats without a fraction.
        return format!("{d}");
    }
    let s = format!("{d}");
    if s.contains('e') {
        format!("{d:.17}").trim_end_matches('0').to_string()
    } else {
        s
    }
}

/// The result of [`strtod`]: the value and whether C's `strtod` would set `ERANGE`
/// (overflow to infinity or underflow to zero).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Strtod {
    /// The value (may be infinite; NaN only for a `nan` text).
    pub value: f64,
    /// Overflow to infinity or underflow to zero.
    pub erange: bool,
}

/// C's `strtod` over the whole of `s` (Redis checks that `eptr` reaches the end): leading
/// whitespace skipped, decimal and hexadecimal (`0x1.8p3`) forms, `inf`/`infinity`/`nan` in
/// any case. The empty string converts to 0 with nothing consumed, which Redis's full-length
/// check accepts; `None` when any byte is left unconverted.
pub fn strtod(s: &[u8]) -> Option<Strtod> {
    if s.is_empty() {
        return Some(Strtod {
            value: 0.0,
            erange: false,
        });
    }
    let start = s
        .iter()
        .position(|c| !matches!(c, b' ' | b'\t' | b'\n' | 0x0b | 0x0c | b'\r'))?;
    let text = std::str::from_utf8(&s[start..]).ok()?;
    let (neg, body) = match text.as_bytes().first() {
        Some(b'-') => (true, &text[1..]),
        Some(b'+') => (false, &text[1..]),
        _ => (false, text),
    };
    if body.starts_with(['+', '-']) {
        // One sign only: C's strtod stops at "+-1" (Rust's parser would read "-1").
        return None;
    }
    let magnitude = if body.len() > 2 && (body.starts_with("0x") || body.starts_with("0X")) {
        parse_hex_float(&body[2..])?
    } else {
        let lower = body.to_ascii_lowercase();
        if lower.starts_with("inf") || lower.starts_with("nan") {
            match lower.as_str() {
                "inf" | "infinity" => f64::INFINITY,
                "nan" => f64::NAN,
                _ => return None,
            }
        } else {
            // Rust's grammar is C's decimal grammar without the inf/nan words handled above.
            if !body
                .bytes()
                .all(|c| c.is_ascii_digit() || matches!(c, b'.' | b'e' | b'E' | b'+' | b'-'))
            {
                return None;
            }
            body.parse::<f64>().ok()?
        }
    };
    let value = if neg { -magnitude } else { magnitude };
    let word = body
        .as_bytes()
        .first()
        .is_some_and(|c| c.is_ascii_alphabetic());
    let mantissa_nonzero = body
        .bytes()
        .take_while(|c| !matches!(c, b'e' | b'E' | b'p' | b'P'))
        .any(|c| matches!(c, b'1'..=b'9'));
    let erange = !word && (magnitude.is_infinite() || (magnitude == 0.0 && mantissa_nonzero));
    Some(Strtod { value, erange })
}

/// The digits after `0x` of a C hexadecimal float: `h[.h][p[+-]d]`.
fn parse_hex_float(s: &str) -> Option<f64> {
    let (mant, exp) = match s.find(['p', 'P']) {
        Some(i) => (&s[..i], Some(&s[i + 1..])),
        None => (s, None),
    };
    let (int, frac) = mant.split_once('.').unwrap_or((mant, ""));
    if int.is_empty() && frac.is_empty() {
        return None;
    }
    let mut v = 0f64;
    for c in int.chars() {
        v = v * 16.0 + f64::from(c.to_digit(16)?);
    }
    let mut scale = 1.0 / 16.0;
    for c in frac.chars() {
        v += f64::from(c.to_digit(16)?) * scale;
        scale /= 16.0;
    }
    if let Some(e) = exp {
        let digits = e.strip_prefix(['+', '-']).unwrap_or(e);
        if digits.is_empty() || !digits.bytes().all(|c| c.is_ascii_digit()) {
            return None;
        }
        let e: i32 = e.parse().unwrap_or(if e.starts_with('-') {
            -100_000
        } else {
            100_000
        });
        v *= 2f64.powi(e);
    }
    Some(v)
}

/// Redis `getDoubleFromObject` (ZADD scores, ZINCRBY, WEIGHTS): `strtod` over the whole
/// argument, refusing the empty string, leading whitespace, overflow, underflow to zero and
/// NaN.
pub fn parse_score(s: &[u8]) -> Option<f64> {
    if s.is_empty() || s[0].is_ascii_whitespace() || s[0] == 0x0b {
        return None;
    }
    if let Some(v) = parse_small_decimal(s) {
        return Some(v);
    }
    let r = strtod(s)?;
    if r.erange || r.value.is_nan() {
        return None;
    }
    Some(r.value)
}

/// `[+-]digits` with at most 15 digits (leading zeros allowed, as `strtod` allows them):
/// the value is an integer below 2^53, so converting it is exact and equals what `strtod`
/// returns (`-0` gives `-0.0`). Scores are mostly such integers; this skips `strtod`.
fn parse_small_decimal(s: &[u8]) -> Option<f64> {
    let (neg, digits) = match s.first()? {
        b'-' => (true, &s[1..]),
        b'+' => (false, &s[1..]),
        _ => (false, s),
    };
    if digits.is_empty() || digits.len() > 15 {
        return None;
    }
    let mut v: u64 = 0;
    for &c in digits {
        if !c.is_ascii_digit() {
            return None;
        }
        v = v * 10 + u64::from(c - b'0');
    }
    let f = v as f64;
    Some(if neg { -f } else { f })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strict_integers() {
        assert_eq!(parse_i64(b"123"), Some(123));
        assert_eq!(parse_i64(b"-9223372036854775808"), Some(i64::MIN));
        for bad in [
            &b""[..],
            b"+1",
            b"01",
            b"-0",
            b" 1",
            b"1 ",
            b"9223372036854775808",
            b"1a",
        ] {
            assert_eq!(parse_i64(bad), None, "{bad:?}");
        }
        assert_eq!(parse_i64(b"0"), Some(0));
    }

    #[test]
    fn g17_matches_printf() {
        assert_eq!(format_double(1.5), "1.5");
        assert_eq!(format_double(0.1), "0.10000000000000001");
        assert_eq!(format_double(3.0), "3");
        assert_eq!(format_double(1e20), "1e+20");
        assert_eq!(format_double(1.0e-5), "1.0000000000000001e-05");
        assert_eq!(format_double(123456789.0), "123456789");
        assert_eq!(format_double(f64::INFINITY), "inf");
    }

    /// The integral fast path of `format_g` against the general path it skips.
    fn g17_general(d: f64) -> String {
        let sci = format!("{d:.16e}");
        let (_, exp) = sci.split_once('e').expect("exponent");
        let exp: i32 = exp.parse().expect("integer exponent");
        assert!((-4..17).contains(&exp), "fixed form expected for {d}");
        let decimals = usize::try_from(16 - exp).expect("non-negative");
        strip_zeros(&format!("{d:.decimals$}")).to_string()
    }

    #[test]
    fn g17_integral_fast_path_matches_the_general_path() {
        let mut cases = vec![
            1.0,
            -1.0,
            9.0,
            10.0,
            12345.0,
            -99999.0,
            2f64.powi(53),
            -2f64.powi(53),
        ];
        cases.extend([
            99_999_999_999_999_984.0,
            -99_999_999_999_999_984.0,
            1e16,
            123_456_789_012_345_680.0 / 10.0,
        ]);
        let mut x = 1.0f64;
        for _ in 0..56 {
            cases.push(x);
            cases.push(-x - 1.0);
            x *= 2.0;
        }
        for d in cases {
            if d.abs() < 1e17 {
                assert_eq!(format_double(d), g17_general(d), "{d}");
            }
        }
        assert_eq!(format_double(1e17), "1e+17");
        assert_eq!(format_double(-1e17), "-1e+17");
        assert_eq!(format_double(12345.0), "12345");
        assert_eq!(format_double(-0.0), "-0");
        assert_eq!(format_g(12345.0, 3), "1.23e+04");
    }

    #[test]
    fn score_integer_fast_path_matches_strtod() {
        let slow = |s: &str| {
            let r = strtod(s.as_bytes()).expect("parses");
            r.value
        };
        for s in [
            "0",
            "-0",
            "+0",
            "7",
            "-7",
            "+7",
            "000000045123",
            "-000000045123",
            "999999999999999",
            "-999999999999999",
            "123456789012345",
        ] {
            let fast = parse_small_decimal(s.as_bytes()).expect("fast path");
            assert_eq!(fast.to_bits(), slow(s).to_bits(), "{s}");
            assert_eq!(
                parse_score(s.as_bytes()).map(f64::to_bits),
                Some(fast.to_bits())
            );
        }
        // Outside the fast path: strtod decides.
        for s in [
            "1234567890123456",
            "-",
            "+",
            "",
            "1.5",
            "1e3",
            "0x10",
            "12a",
            "--1",
            "+-1",
        ] {
            assert_eq!(parse_small_decimal(s.as_bytes()), None, "{s}");
        }
        assert_eq!(
            parse_score(b"1234567890123456789"),
            Some(1234567890123456789.0)
        );
        assert_eq!(parse_score(b"-"), None);
        assert_eq!(parse_score(b"+-1"), None);
        assert_eq!(parse_score(b"-0").map(f64::is_sign_negative), Some(true));
    }

    #[test]
    fn floats() {
        assert_eq!(parse_f64(b"1.5"), Some(1.5));
        assert_eq!(parse_f64(b"-inf"), Some(f64::NEG_INFINITY));
        assert_eq!(parse_f64(b"nan"), None);
        assert_eq!(parse_f64(b" 1"), None);
        assert_eq!(format_float_human(10.6), "10.6");
        assert_eq!(format_float_human(3.0), "3");
    }

    #[test]
    fn strtod_like_c() {
        let v = |s: &str| strtod(s.as_bytes()).map(|r| r.value);
        assert_eq!(v(""), Some(0.0));
        assert_eq!(v(" 1.5"), Some(1.5));
        assert_eq!(v("1.5 "), None);
        assert_eq!(v("0x10"), Some(16.0));
        assert_eq!(v("-0x1.8p1"), Some(-3.0));
        assert_eq!(v("0x"), None);
        assert_eq!(v("-INF"), Some(f64::NEG_INFINITY));
        assert_eq!(v("1e"), None);
        assert!(strtod(b"1e400").is_some_and(|r| r.erange));
        assert!(strtod(b"1e-400").is_some_and(|r| r.erange));
        assert!(strtod(b"1e-320").is_some_and(|r| !r.erange));
        assert_eq!(parse_score(b"1e400"), None);
        assert_eq!(parse_score(b" 1"), None);
        assert_eq!(parse_score(b""), None);
        assert_eq!(parse_score(b"nan"), None);
        assert_eq!(parse_score(b"0x10"), Some(16.0));
        assert_eq!(parse_score(b"-inf"), Some(f64::NEG_INFINITY));
    }
}
