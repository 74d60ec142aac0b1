//! Redis's `long double` arithmetic for INCRBYFLOAT and HINCRBYFLOAT (Redis `util.c`
//! `string2ld` / `ld2string` with `LD_STR_HUMAN`).
//!
//! Redis parses both operands with `strtold`, adds them as x86-64 `long double` (the 80-bit
//! x87 format, 64-bit significand) and prints the sum with `%.17Lf`, trailing zeros trimmed.
//! An `f64` gives different digits as soon as the sum is not tiny (`10000.1 + 0.1` prints
//! `10000.19999999999999929` in Redis), so the arithmetic is done on a software x87 float
//! ([`rustc_apfloat`]) and printed exactly with a small big-integer conversion.
//!
//! Known difference: `strtold` also accepts hexadecimal floats (`0x1p3`); they are refused
//! here as not a valid float.

use rustc_apfloat::ieee::X87DoubleExtended as F80;
use rustc_apfloat::{Float, Round, Status};

/// Redis `MAX_LONG_DOUBLE_CHARS`: longer inputs are not a valid float.
const MAX_LONG_DOUBLE_CHARS: usize = 5 * 1024;

/// An x87 extended-precision value.
#[derive(Debug, Clone, Copy)]
pub struct LongDouble(F80);

impl LongDouble {
    /// Redis `string2ld`: `strtold` rules, no leading space, nothing after the number, no
    /// NaN, no overflow to infinity or underflow to zero. `inf` and `infinity` are accepted.
    pub fn parse(s: &[u8]) -> Option<LongDouble> {
        if s.is_empty() || s.len() >= MAX_LONG_DOUBLE_CHARS {
            return None;
        }
        let text = std::str::from_utf8(s).ok()?;
        let (neg, body) = match text.as_bytes()[0] {
            b'-' => (true, &text[1..]),
            b'+' => (false, &text[1..]),
            _ => (false, text),
        };
        let lower = body.to_ascii_lowercase();
        if lower == "inf" || lower == "infinity" {
            let inf = F80::INFINITY;
            return Some(LongDouble(if neg { -inf } else { inf }));
        }
        if !valid_decimal(body.as_bytes()) {
            return None;
        }
        let parsed = F80::from_str_r(body, Round::NearestTiesToEven).ok()?;
        let v = parsed.value;
        if parsed.status.intersects(Status::OVERFLOW) || v.is_infinite() {
            return None;
        }
        if v.is_zero() && !all_zero_digits(body) {
            // strtold reports ERANGE for an underflow to zero and Redis refuses it.
            return None;
        }
        Some(LongDouble(if neg { -v } else { v }))
    }

    /// The sum, rounded to nearest as the x87 unit does; `None` for NaN or infinity.
    pub fn checked_add(self, other: LongDouble) -> Option<LongDouble> {
        let sum = self.0.add_r(other.0, Round::NearestTiesToEven).value;
        (sum.is_finite()).then_some(LongDouble(sum))
    }

    /// `%.17Lf` with trailing zeros (and a trailing dot) removed, `-0` printed as `0`.
    pub fn to_human_string(self) -> String {
        let bits = self.0.to_bits();
        let negative = (bits >> 79) & 1 == 1;
        let biased_exp = i32::try_from((bits >> 64) & 0x7fff).expect("invariant: 15 bits");
        let sig = u64::try_from(bits & u128::from(u64::MAX)).expect("invariant: 64 bits");
        // value = sig * 2^exp2 (a denormal has biased exponent 0 and scale of exponent 1).
        let exp2 = biased_exp.max(1) - 16383 - 63;
        let digits = scaled_decimal(sig, exp2);
        let mut s = String::with_capacity(digits.len() + 3);
        if negative {
            s.push('-');
        }
        let (int_part, frac) = if digits.len() > 17 {
            digits.split_at(digits.len() - 17)
        } else {
            ("", digits.as_str())
        };
        if int_part.is_empty() {
            s.push('0');
        } else {
            s.push_str(int_part);
        }
        let frac = format!("{frac:0>17}");
        let frac = frac.trim_end_matches('0');
        if !frac.is_empty() {
            s.push('.');
            s.push_str(frac);
        }
        if s == "-0" { "0".to_string() } else { s }
    }
}

/// Digits, at most one dot, an optional exponent with digits: what `strtold` consumes
/// entirely (anything else leaves characters behind, which Redis refuses).
fn valid_decimal(b: &[u8]) -> bool {
    let (mantissa, exponent) = match b.iter().position(|&c| c == b'e' || c == b'E') {
        Some(i) => (&b[..i], Some(&b[i + 1..])),
        None => (b, None),
    };
    let dots = mantissa.iter().filter(|&&c| c == b'.').count();
    let digits = mantissa.iter().filter(|c| c.is_ascii_digit()).count();
    if dots > 1 || digits == 0 || digits + dots != mantissa.len() {
        return false;
    }
    match exponent {
        None => true,
        Some(e) => {
            let e = e.strip_prefix(b"-").or(e.strip_prefix(b"+")).unwrap_or(e);
            !e.is_empty() && e.iter().all(u8::is_ascii_digit)
        }
    }
}

fn all_zero_digits(body: &str) -> bool {
    body.split(['e', 'E'])
        .next()
        .is_some_and(|m| m.bytes().all(|c| c == b'0' || c == b'.'))
}

/// The decimal digits of `round(sig * 2^exp2 * 10^17)`, ties to even (glibc's `printf`
/// rounding), without leading zeros ("0" for zero).
fn scaled_decimal(sig: u64, exp2: i32) -> String {
    const TEN17: u128 = 100_000_000_000_000_000;
    if exp2 < 0 {
        let n = u128::from(sig) * TEN17; // < 2^121
        let shift = exp2.unsigned_abs();
        if shift >= 128 {
            return "0".to_string();
        }
        let q = n >> shift;
        let rem = n & ((1u128 << shift) - 1);
        let half = 1u128 << (shift - 1);
        let round_up = rem > half || (rem == half && q & 1 == 1);
        return (q + u128::from(round_up)).to_string();
    }
    // sig * 2^exp2 is an integer: build it in base 2^32 limbs, then scale and print.
    let mut limbs: Vec<u64> = vec![sig & 0xffff_ffff, sig >> 32];
    for _ in 0..exp2 {
        mul_small(&mut limbs, 2);
    }
    mul_small(&mut limbs, 100_000_000);
    mul_small(&mut limbs, 1_000_000_000);
    to_decimal(limbs)
}

fn mul_small(limbs: &mut Vec<u64>, m: u64) {
    let mut carry = 0u64;
    for l in limbs.iter_mut() {
        let v = *l * m + carry;
        *l = v & 0xffff_ffff;
        carry = v >> 32;
    }
    while carry > 0 {
        limbs.push(carry & 0xffff_ffff);
        carry >>= 32;
    }
}

fn to_decimal(mut limbs: Vec<u64>) -> String {
    let mut chunks = Vec::new();
    while limbs.iter().any(|&l| l != 0) {
        let mut rem = 0u64;
        for l in limbs.iter_mut().rev() {
            let v = (rem << 32) | *l;
            *l = v / 1_000_000_000;
            rem = v % 1_000_000_000;
        }
        chunks.push(rem);
        while limbs.last() == Some(&0) {
            limbs.pop();
        }
    }
    let mut s = chunks
        .pop()
        .map_or_else(|| "0".to_string(), |c| c.to_string());
    for c in chunks.iter().rev() {
        s.push_str(&format!("{c:09}"));
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    fn incr(a: &str, b: &str) -> Option<String> {
        let a = LongDouble::parse(a.as_bytes())?;
        let b = LongDouble::parse(b.as_bytes())?;
        Some(a.checked_add(b)?.to_human_string())
    }

    #[test]
    fn matches_redis_outputs() {
        // Outputs taken from Redis 7.0.15 on x86-64.
        assert_eq!(incr("10.50", "0.1").as_deref(), Some("10.6"));
        assert_eq!(
            incr("10000.1", "0.1").as_deref(),
            Some("10000.19999999999999929")
        );
        assert_eq!(incr("0.2", "0.1").as_deref(), Some("0.3"));
        assert_eq!(incr("5.0e3", "2.0e2").as_deref(), Some("5200"));
        assert_eq!(
            incr("1e30", "1").as_deref(),
            Some("1000000000000000000024696061952")
        );
        assert_eq!(incr("0", "1.5e-20").as_deref(), Some("0"));
        assert_eq!(incr("0", "-1.5e-20").as_deref(), Some("0"));
        assert_eq!(
            incr("0", "123456789.123456789").as_deref(),
            Some("123456789.12345678899873747")
        );
        assert_eq!(incr("1", "-3").as_deref(), Some("-2"));
    }

    #[test]
    fn parse_rules() {
        for bad in [
            "", " 1", "1 ", "abc", "1e", "1e+", "nan", "-nan", "1..2", ".", "e5", "1e99999",
            "1e-99999", "0x10",
        ] {
            assert!(LongDouble::parse(bad.as_bytes()).is_none(), "{bad:?}");
        }
        for good in [
            "1",
            "-1.5",
            "+2",
            ".5",
            "5.",
            "1E5",
            "1e-5",
            "inf",
            "-Infinity",
            "0e999",
        ] {
            assert!(LongDouble::parse(good.as_bytes()).is_some(), "{good:?}");
        }
        assert!(incr("inf", "1").is_none());
    }
}
