//! Value rules of the directives: how a value is parsed, range-checked and normalised into the
//! text CONFIG GET shows, with Redis's error texts (Redis `config.c`: `boolConfigSet`,
//! `numericParseString`, `numericBoundaryCheck`, `enumConfigSet`, the special setters).
//!
//! Invariant: every function here returns the canonical text (what CONFIG GET answers) or the
//! error text Redis puts after `CONFIG SET failed (possibly related to argument '...') - `.

/// How a number is written (Redis's `INTEGER_CONFIG`, `MEMORY_CONFIG`, `PERCENT_CONFIG`,
/// `OCTAL_CONFIG`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unit {
    /// A plain integer (`string2ll`: no sign `+`, no leading zero, no spaces).
    Plain,
    /// Bytes with an optional unit (`1gb`, `100k`).
    Memory,
    /// Bytes, or a percentage (`10%`, kept negative as in Redis).
    MemoryPercent,
    /// An octal number (`unixsocketperm`).
    Octal,
}

/// A numeric directive: bounds, whether Redis keeps it in an unsigned C type (the value is
/// then compared as unsigned, so `-1` is "between 0 and ..."), and its unit.
#[derive(Debug, Clone, Copy)]
pub struct Num {
    /// Lower bound.
    pub min: i128,
    /// Upper bound.
    pub max: i128,
    /// Kept in an unsigned type (`unsigned int`, `size_t`, `unsigned long long`).
    pub unsigned: bool,
    /// How it is written.
    pub unit: Unit,
}

/// Redis `memtoull` (7.0): digits and an optional unit; the digits saturate and the product
/// wraps, as the C code does; an empty string is 0.
pub fn memtoull(s: &str) -> Option<u64> {
    let b = s.as_bytes();
    if b.first() == Some(&b'-') {
        return None;
    }
    let digits = b.iter().take_while(|c| c.is_ascii_digit()).count();
    let mul = shoal_common::obuf::memory_unit(&s[digits..].to_ascii_lowercase())?;
    let mut val: u64 = 0;
    for c in &b[..digits] {
        val = val
            .checked_mul(10)
            .and_then(|v| v.checked_add(u64::from(c - b'0')))
            .unwrap_or(u64::MAX);
    }
    Some(val.wrapping_mul(mul))
}

/// Redis `string2ll`: an optional `-`, then digits without a leading zero (`0` alone is fine).
pub fn string2ll(s: &str) -> Option<i64> {
    let b = s.as_bytes();
    let digits = b.strip_prefix(b"-").unwrap_or(b);
    match digits {
        [b'0'] if digits.len() == b.len() => return Some(0),
        [b'1'..=b'9', rest @ ..] if rest.iter().all(u8::is_ascii_digit) => {}
        _ => return None,
    }
    s.parse().ok()
}

/// C `strtoll(s, &end, base)` with `*end == '\0'` required: leading spaces and a sign are
/// accepted, an empty string is 0, out of range saturates (`None` for Redis's ERANGE checks is
/// not needed where this is used).
fn strtoll_full(s: &str, base: u32) -> Option<i64> {
    let t = s.trim_start_matches([' ', '\t', '\n', '\r', '\x0b', '\x0c']);
    if t.is_empty() {
        return if s.is_empty() { Some(0) } else { None };
    }
    let (neg, digits) = match t.as_bytes()[0] {
        b'-' => (true, &t[1..]),
        b'+' => (false, &t[1..]),
        _ => (false, t),
    };
    if digits.is_empty() || !digits.chars().all(|c| c.is_digit(base)) {
        return None;
    }
    let v = i128::from_str_radix(digits, base).unwrap_or(i128::MAX);
    let v = if neg { -v } else { v };
    Some(i64::try_from(v).unwrap_or(if neg { i64::MIN } else { i64::MAX }))
}

/// Parses and range-checks a number; returns the text CONFIG GET shows.
pub fn number(n: &Num, value: &str) -> Result<String, String> {
    let raw = parse_number(n, value)?;
    let percent = n.unit == Unit::MemoryPercent && raw < 0;
    let v: i128 = if n.unsigned {
        i128::from(raw as u64)
    } else {
        i128::from(raw)
    };
    if percent {
        if v < n.min {
            return Err(format!(
                "percentage argument must be less or equal to {}",
                -n.min
            ));
        }
    } else if v < n.min || v > n.max {
        return Err(if n.unit == Unit::Octal {
            format!(
                "argument must be between {:o} and {:o} inclusive",
                n.min, n.max
            )
        } else {
            format!("argument must be between {} and {} inclusive", n.min, n.max)
        });
    }
    Ok(match n.unit {
        _ if percent => format!("{}%", -v),
        Unit::Octal => format!("{v:o}"),
        _ => v.to_string(),
    })
}

/// Redis `numericParseString`: the value as the C code holds it in a `long long`.
fn parse_number(n: &Num, value: &str) -> Result<i64, String> {
    if matches!(n.unit, Unit::Memory | Unit::MemoryPercent)
        && let Some(v) = memtoull(value)
    {
        return Ok(v as i64);
    }
    if n.unit == Unit::MemoryPercent
        && value.len() > 1
        && let Some(p) = value.strip_suffix('%').and_then(string2ll)
        && p >= 0
    {
        return Ok(-p);
    }
    if n.unit == Unit::Octal
        && let Some(v) = strtoll_full(value, 8)
    {
        return Ok(v);
    }
    if n.unit == Unit::Plain
        && let Some(v) = string2ll(value)
    {
        return Ok(v);
    }
    Err(match n.unit {
        Unit::MemoryPercent => "argument must be a memory or percent value",
        Unit::Memory => "argument must be a memory value",
        Unit::Octal => "argument couldn't be parsed as an octal number",
        Unit::Plain => "argument couldn't be parsed into an integer",
    }
    .to_string())
}

/// `yes`/`no` in any case.
pub fn boolean(value: &str) -> Result<String, String> {
    match value.to_ascii_lowercase().as_str() {
        "yes" => Ok("yes".into()),
        "no" => Ok("no".into()),
        _ => Err("argument must be 'yes' or 'no'".into()),
    }
}

/// One of `words` (name, value); the shown name is the first word with the same value
/// (`oom-score-adj relative` shows `yes`, as Redis's `configEnumGetName`).
pub fn enumeration(words: &[(&str, u32)], value: &str) -> Result<String, String> {
    let v = words
        .iter()
        .find(|(w, _)| w.eq_ignore_ascii_case(value))
        .map(|(_, v)| *v)
        .ok_or_else(|| enum_error(words))?;
    Ok(words
        .iter()
        .find(|(_, x)| *x == v)
        .map(|(w, _)| (*w).to_string())
        .unwrap_or_default())
}

fn enum_error(words: &[(&str, u32)]) -> String {
    let names: Vec<&str> = words.iter().map(|(w, _)| *w).collect();
    format!(
        "argument(s) must be one of the following: {}",
        names.join(", ")
    )
}

/// Several words of a flags enum OR-ed together (`shutdown-on-sigterm save now`); shown as
/// the set flags in table order, or the zero word.
pub fn flags(words: &[(&str, u32)], args: &[String]) -> Result<String, String> {
    if args.is_empty() {
        return Err(enum_error(words));
    }
    let mut bits = 0;
    for a in args {
        let (_, v) = words
            .iter()
            .find(|(w, _)| w.eq_ignore_ascii_case(a))
            .ok_or_else(|| enum_error(words))?;
        bits |= v;
    }
    Ok(flags_text(words, bits))
}

fn flags_text(words: &[(&str, u32)], bits: u32) -> String {
    if bits == 0 {
        return words
            .iter()
            .find(|(_, v)| *v == 0)
            .map(|(w, _)| (*w).to_string())
            .unwrap_or_default();
    }
    let set: Vec<&str> = words
        .iter()
        .filter(|(_, v)| *v != 0 && bits & v == *v)
        .map(|(w, _)| *w)
        .collect();
    set.join(" ")
}

/// The `shutdown-on-sigint`/`shutdown-on-sigterm` flags, with Redis's check that `save` and
/// `nosave` exclude each other.
pub fn shutdown_flags(args: &[String]) -> Result<String, String> {
    let text = flags(SHUTDOWN_FLAGS, args)?;
    let words: Vec<&str> = text.split(' ').collect();
    if words.contains(&"save") && words.contains(&"nosave") {
        return Err("shutdown options SAVE and NOSAVE can't be used simultaneously".into());
    }
    Ok(text)
}

/// Words of `shutdown-on-sig*`.
pub const SHUTDOWN_FLAGS: &[(&str, u32)] = &[
    ("default", 0),
    ("save", 1),
    ("nosave", 2),
    ("now", 4),
    ("force", 8),
];

/// `save <seconds> <changes> ...` (Redis `setConfigSaveOption`): `""` alone empties it.
pub fn save(args: &[String]) -> Result<String, String> {
    let args: &[String] = if args.len() == 1 && args[0].is_empty() {
        &[]
    } else {
        args
    };
    let invalid = || "Invalid save parameters".to_string();
    if args.len() % 2 == 1 {
        return Err(invalid());
    }
    let mut out: Vec<String> = Vec::new();
    for (j, a) in args.iter().enumerate() {
        let v = strtoll_full(a, 10).ok_or_else(invalid)?;
        if (j % 2 == 0 && v < 1) || (j % 2 == 1 && v < 0) {
            return Err(invalid());
        }
        // Seconds are a `time_t`, changes an `int`.
        out.push(if j % 2 == 0 {
            v.to_string()
        } else {
            (v as i32).to_string()
        });
    }
    Ok(out.join(" "))
}

/// `oom-score-adj-values <master> <replica> <bgchild>`.
pub fn oom_score_adj_values(args: &[String]) -> Result<String, String> {
    if args.len() != 3 {
        return Err("wrong number of arguments".into());
    }
    let mut out = Vec::with_capacity(3);
    for a in args {
        let v = strtoll_full(a, 10)
            .filter(|v| (-2000..=2000).contains(v))
            .ok_or_else(|| {
                "Invalid oom-score-adj-values, elements must be between -2000 and 2000.".to_string()
            })?;
        out.push(v.to_string());
    }
    Ok(out.join(" "))
}

/// `bind <addr> ...` (at most 16; `""` alone means none).
pub fn bind(args: &[String]) -> Result<String, String> {
    if args.len() > 16 {
        return Err("Too many bind addresses specified.".into());
    }
    if args.len() == 1 && args[0].is_empty() {
        return Ok(String::new());
    }
    Ok(args.join(" "))
}

/// `latency-tracking-info-percentiles <p> ...`, each a double in [0, 100], shown as `%f`
/// without trailing zeros.
pub fn percentiles(args: &[String]) -> Result<String, String> {
    if args.len() == 1 && args[0].is_empty() {
        return Ok(String::new());
    }
    let mut out = Vec::with_capacity(args.len());
    for a in args {
        let p = string2d(a)
            .ok_or_else(|| "Invalid latency-tracking-info-percentiles parameters".to_string())?;
        if !(0.0..=100.0).contains(&p) {
            return Err(
                "latency-tracking-info-percentiles parameters should sit between [0.0,100.0]"
                    .into(),
            );
        }
        let s = format!("{p:.6}");
        out.push(s.trim_end_matches('0').trim_end_matches('.').to_string());
    }
    Ok(out.join(" "))
}

/// Redis `string2d`: a whole C double (`strtod`: decimal, hexadecimal, `inf`), no leading
/// or trailing space, not NaN, no overflow or underflow.
fn string2d(s: &str) -> Option<f64> {
    let space = |c: &u8| matches!(c, b' ' | b'\t' | b'\n' | 0x0b | 0x0c | b'\r');
    let b = s.as_bytes();
    if b.first().is_none_or(space) || b.last().is_some_and(space) {
        return None;
    }
    let r = shoal_common::number::strtod(b)?;
    (!r.erange && !r.value.is_nan()).then_some(r.value)
}

/// `dbfilename`: Redis's `pathIsBaseName`.
pub fn dbfilename(v: &str) -> Result<(), &'static str> {
    if v.contains(['/', '\\']) {
        return Err("dbfilename can't be a path, just a filename");
    }
    Ok(())
}

/// `appendfilename`.
pub fn appendfilename(v: &str) -> Result<(), &'static str> {
    if v.is_empty() {
        return Err("appendfilename can't be empty");
    }
    if v.contains(['/', '\\']) {
        return Err("appendfilename can't be a path, just a filename");
    }
    Ok(())
}

/// `appenddirname`.
pub fn appenddirname(v: &str) -> Result<(), &'static str> {
    if v.is_empty() {
        return Err("appenddirname can't be empty");
    }
    if v.contains(['/', '\\']) {
        return Err("appenddirname can't be a path, just a dirname");
    }
    Ok(())
}

/// `cluster-announce-hostname` (Redis `isValidAnnouncedHostname`).
pub fn hostname(v: &str) -> Result<(), &'static str> {
    if v.len() >= 256 {
        return Err("Hostnames must be less than 256 characters");
    }
    if !v
        .bytes()
        .all(|c| c.is_ascii_alphanumeric() || c == b'-' || c == b'.')
    {
        return Err("Hostnames may only contain alphanumeric characters, hyphens or dots");
    }
    Ok(())
}

/// `proc-title-template` (Redis `validateProcTitleTemplate`): known `{variables}` only, `{{`
/// for a brace, and something left once expanded (with an empty `{title}`).
pub fn proc_title_template(v: &str) -> Result<(), &'static str> {
    const ERR: &str = "template format is invalid or contains unknown variables";
    let mut expanded = String::new();
    let mut rest = v;
    while let Some(start) = rest.find('{') {
        expanded.push_str(&rest[..start]);
        let after = &rest[start + 1..];
        if after.is_empty() {
            return Err(ERR);
        }
        if let Some(r) = after.strip_prefix('{') {
            expanded.push('{');
            rest = r;
            continue;
        }
        let end = after.find('}').ok_or(ERR)?;
        expanded.push_str(match &after[..end] {
            "title" | "server-mode" | "unixsocket" | "config-file" => "",
            "listen-addr" | "port" | "tls-port" => "x",
            _ => return Err(ERR),
        });
        rest = &after[end + 1..];
    }
    expanded.push_str(rest);
    if expanded.trim_matches(' ').is_empty() {
        return Err(ERR);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(v: &[&str]) -> Vec<String> {
        v.iter().map(|x| (*x).to_string()).collect()
    }

    #[test]
    fn numbers_as_redis() {
        let mem = Num {
            min: 0,
            max: i128::from(u64::MAX),
            unsigned: true,
            unit: Unit::Memory,
        };
        assert_eq!(number(&mem, "").unwrap(), "0");
        assert_eq!(number(&mem, "007").unwrap(), "7");
        assert_eq!(number(&mem, "5KB").unwrap(), "5120");
        assert_eq!(
            number(&mem, "18446744073709551616").unwrap(),
            "18446744073709551615"
        );
        assert_eq!(
            number(&mem, "99999999999999999999gb").unwrap(),
            "18446744072635809792"
        );
        assert!(number(&mem, "-0").is_err());
        assert!(number(&mem, "+5").is_err());
        let int = Num {
            min: 0,
            max: i128::from(i32::MAX),
            unsigned: false,
            unit: Unit::Plain,
        };
        for bad in [
            "+5",
            "007",
            "-0",
            " 5",
            "5 ",
            "0x10",
            "99999999999999999999",
        ] {
            assert_eq!(
                number(&int, bad).unwrap_err(),
                "argument couldn't be parsed into an integer"
            );
        }
        assert_eq!(
            number(&int, "-1").unwrap_err(),
            "argument must be between 0 and 2147483647 inclusive"
        );
        let uint = Num {
            min: 1,
            max: i128::from(u32::MAX),
            unsigned: true,
            unit: Unit::Plain,
        };
        assert_eq!(
            number(&uint, "-1").unwrap_err(),
            "argument must be between 1 and 4294967295 inclusive"
        );
        let pct = Num {
            min: -100,
            max: i128::from(i64::MAX),
            unsigned: false,
            unit: Unit::MemoryPercent,
        };
        assert_eq!(number(&pct, "10%").unwrap(), "10%");
        assert_eq!(
            number(&pct, "101%").unwrap_err(),
            "percentage argument must be less or equal to 100"
        );
        assert_eq!(
            number(&pct, "-5").unwrap_err(),
            "argument must be a memory or percent value"
        );
        let oct = Num {
            min: 0,
            max: 0o777,
            unsigned: true,
            unit: Unit::Octal,
        };
        assert_eq!(number(&oct, "700").unwrap(), "700");
        assert_eq!(
            number(&oct, "1000").unwrap_err(),
            "argument must be between 0 and 777 inclusive"
        );
    }

    #[test]
    fn special_values() {
        assert_eq!(
            save(&s(&["900", "1", "300", "10"])).unwrap(),
            "900 1 300 10"
        );
        assert_eq!(save(&s(&[""])).unwrap(), "");
        assert!(save(&s(&["900", "", "1"])).is_err());
        assert!(save(&s(&["0", "1"])).is_err());
        assert_eq!(shutdown_flags(&s(&["NOW", "FORCE"])).unwrap(), "now force");
        assert_eq!(shutdown_flags(&s(&["default", "save"])).unwrap(), "save");
        assert_eq!(shutdown_flags(&s(&["default"])).unwrap(), "default");
        assert!(shutdown_flags(&s(&["save", "nosave"])).is_err());
        assert_eq!(
            percentiles(&s(&["50", "99.90", "100"])).unwrap(),
            "50 99.9 100"
        );
        assert!(percentiles(&s(&["101"])).is_err());
        assert_eq!(
            percentiles(&s(&["0x10", "1e1", "0x1.8p1"])).unwrap(),
            "16 10 3"
        );
        assert!(
            percentiles(&s(&["1e999"]))
                .unwrap_err()
                .starts_with("Invalid")
        );
        assert!(oom_score_adj_values(&s(&["a", "b", "c"])).is_err());
        assert!(oom_score_adj_values(&s(&["1", "2"])).is_err());
        assert!(proc_title_template("{title}").is_err());
        assert!(proc_title_template("{foo}").is_err());
        assert!(proc_title_template("{title} {listen-addr} {server-mode}").is_ok());
        assert!(hostname("a_b").is_err());
        let oom: &[(&str, u32)] = &[("no", 0), ("yes", 1), ("relative", 1), ("absolute", 2)];
        assert_eq!(enumeration(oom, "RELATIVE").unwrap(), "yes");
    }
}
