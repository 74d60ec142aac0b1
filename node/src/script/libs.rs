//! The Rust side of the libraries Redis adds to Lua: `bit` (LuaBitOp 1.0, as Redis vendors
//! it), the lrand48 generator behind `math.random` (Redis `rand.c`), `redis.log`.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use mlua::{Lua, MultiValue, Number, Value, Variadic};

/// lrand48's multiplier and addend (the 48-bit LCG of `rand48`).
const A: u64 = 0x5_DEEC_E66D;
const C: u64 = 0xB;
const MASK48: u64 = (1 << 48) - 1;

/// The generator state before any seeding (Redis `rand.c`'s static `x`): scripts see this
/// sequence from startup until a `math.randomseed`.
pub const LRAND48_INITIAL: u64 = 0x1234_ABCD_330E;

/// The generator state after `srand48(seed)` (Redis `redisSrand48`).
pub fn srand48_state(seed: i32) -> u64 {
    // The seed is reinterpreted as its 32 bits.
    (u64::from(seed as u32) << 16) | 0x330E
}

/// The next lrand48 value, 0..2^31 (Redis `redisLrand48`).
pub fn lrand48(state: &Arc<AtomicU64>) -> i64 {
    let x = state.load(Ordering::Relaxed);
    let next = (A.wrapping_mul(x).wrapping_add(C)) & MASK48;
    state.store(next, Ordering::Relaxed);
    i64::try_from(next >> 17).expect("invariant: 31 bits")
}

/// `REDIS_VERSION_NUM`: 0x00MMmmpp.
pub fn version_num() -> i64 {
    let mut n = 0;
    for part in crate::cmd::connection::REDIS_VERSION.split('.') {
        n = (n << 8) | part.parse::<i64>().unwrap_or(0);
    }
    n
}

/// `redis.log(level, ...)`: the arguments after the level, joined by spaces, to the node's
/// log (the prelude checked the level).
pub fn log(_: &Lua, args: MultiValue) -> mlua::Result<()> {
    let mut it = args.into_iter();
    let level = match it.next() {
        Some(Value::Integer(i)) => i,
        Some(Value::Number(n)) => n as i64,
        _ => 2,
    };
    let mut text = String::new();
    for v in it {
        let piece = match v {
            Value::String(s) => s.to_string_lossy(),
            Value::Integer(i) => i.to_string(),
            Value::Number(n) => n.to_string(),
            _ => continue,
        };
        if !text.is_empty() {
            text.push(' ');
        }
        text.push_str(&piece);
    }
    match level {
        0 => tracing::debug!(target: "script", "{text}"),
        1 => tracing::trace!(target: "script", "{text}"),
        2 => tracing::info!(target: "script", "{text}"),
        _ => tracing::warn!(target: "script", "{text}"),
    }
    Ok(())
}

/// LuaBitOp's `tobit`: the number rounded to an integer, modulo 2^32, as a signed 32-bit value
/// (the 2^52+2^51 addition trick of `barg`).
fn tobit(n: Number) -> i32 {
    let t = n + 6_755_399_441_055_744.0;
    // The low 32 bits of the mantissa hold the rounded value.
    t.to_bits() as u32 as i32
}

fn first(args: &Variadic<Number>) -> mlua::Result<i32> {
    args.first()
        .map(|n| tobit(*n))
        .ok_or_else(|| mlua::Error::runtime("bad argument #1 (number expected, got no value)"))
}

fn fold(args: &Variadic<Number>, op: fn(i32, i32) -> i32) -> mlua::Result<i32> {
    let mut acc = first(args)?;
    for n in args.iter().skip(1) {
        acc = op(acc, tobit(*n));
    }
    Ok(acc)
}

fn shift(args: &Variadic<Number>, op: fn(i32, u32) -> i32) -> mlua::Result<i32> {
    let x = first(args)?;
    let n = args.get(1).map_or(0, |n| tobit(*n)) as u32 & 31;
    Ok(op(x, n))
}

/// Registers the `bit` library (LuaBitOp: tobit, tohex, bnot, band, bor, bxor, lshift,
/// rshift, arshift, rol, ror, bswap).
pub fn load_bit(lua: &Lua) -> mlua::Result<()> {
    let bit = lua.create_table()?;
    type F = fn(&Variadic<Number>) -> mlua::Result<i32>;
    let fns: [(&str, F); 11] = [
        ("tobit", first),
        ("bnot", |a| first(a).map(|x| !x)),
        ("band", |a| fold(a, |x, y| x & y)),
        ("bor", |a| fold(a, |x, y| x | y)),
        ("bxor", |a| fold(a, |x, y| x ^ y)),
        ("lshift", |a| shift(a, |x, n| ((x as u32) << n) as i32)),
        ("rshift", |a| shift(a, |x, n| ((x as u32) >> n) as i32)),
        ("arshift", |a| shift(a, |x, n| x >> n)),
        ("rol", |a| shift(a, |x, n| (x as u32).rotate_left(n) as i32)),
        ("ror", |a| {
            shift(a, |x, n| (x as u32).rotate_right(n) as i32)
        }),
        ("bswap", |a| first(a).map(i32::swap_bytes)),
    ];
    for (name, f) in fns {
        bit.raw_set(
            name,
            lua.create_function(move |_, args: Variadic<Number>| f(&args))?,
        )?;
    }
    bit.raw_set(
        "tohex",
        lua.create_function(|_, args: Variadic<Number>| {
            let x = first(&args)? as u32;
            let n = args.get(1).map_or(8, |n| tobit(*n));
            let upper = n < 0;
            let width = n.unsigned_abs().min(8) as usize;
            let mask = if width == 8 {
                u32::MAX
            } else {
                (1u32 << (width * 4)) - 1
            };
            let v = x & mask;
            Ok(if upper {
                format!("{v:0width$X}")
            } else {
                format!("{v:0width$x}")
            })
        })?,
    )?;
    lua.globals().raw_set("bit", bit)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lrand48_matches_the_c_library() {
        // glibc: srand48(0); lrand48() x3.
        let st = Arc::new(AtomicU64::new(srand48_state(0)));
        let got: Vec<i64> = (0..3).map(|_| lrand48(&st)).collect();
        assert_eq!(got, vec![366_850_414, 1_610_402_240, 206_956_554]);
    }

    #[test]
    fn tobit_wraps_and_rounds() {
        assert_eq!(tobit(4_294_967_295.0), -1);
        assert_eq!(tobit(2_147_483_648.0), i32::MIN);
        assert_eq!(tobit(1.5), 2);
        assert_eq!(tobit(-1.0), -1);
    }
}
