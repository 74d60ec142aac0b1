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

    #[test]
    fn floats() {
        assert_eq!(parse_f64(b"1.5"), Some(1.5));
        assert_eq!(parse_f64(b"-inf"), Some(f64::NEG_INFINITY));
        assert_eq!(parse_f64(b"nan"), None);
        assert_eq!(parse_f64(b" 1"), None);
        assert_eq!(format_float_human(10.6), "10.6");
        assert_eq!(format_float_human(3.0), "3");
    }
}
