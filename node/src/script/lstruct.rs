//! `struct`: binary packing for scripts, behaving as the Lua 5.1 struct library (Roberto
//! Ierusalimschy's `struct.c`, with Redis's bounds checks) that Redis 7.0 vendors
//! (`deps/lua/src/lua_struct.c`): `pack(fmt, ...)`, `unpack(fmt, data [, pos])`, `size(fmt)`.
//!
//! Formats: `>` big and `<` little endian (little by default, as x86-64), `![n]` alignment
//! (8 by default), `x` padding, `b/B` `h/H` `l/L` `T` `i[n]/I[n]` integers (1, 2, 8, 8 and
//! n ≤ 32 bytes, default 4), `c[n]` chars (pack: `c0` is the whole string; unpack: `c0` takes
//! the previous number as length), `s` zero-terminated string, `f` float, `d` double, space
//! ignored. C's integer conversions are reproduced (x86-64 results of out-of-range float to
//! integer casts, shift counts masked to 6 bits).
//!
//! Invariant: unpacked values are gathered in a Lua table and at most [`MAX_REF_RESULTS`](super::clib::MAX_REF_RESULTS)
//! strings are returned at once (see `cmsgpack` for why).

use mlua::{Lua, MultiValue, Table, Value};

use super::clib::{Cx, LUAI_MAXCSTACK, c_i64, to_number};

/// Largest integer size (`MAXINTSIZE`).
const MAXINTSIZE: i32 = 32;
/// Default `!` alignment: `max(offsetof(struct {char c; double d;}, d), sizeof(int))`.
const MAXALIGN: i32 = 8;

/// The `struct` module table.
pub fn module(lua: &Lua) -> mlua::Result<Table> {
    let t = lua.create_table()?;
    t.raw_set(
        "pack",
        lua.create_function(|lua, args: MultiValue| pack(Cx::direct(lua), &args))?,
    )?;
    t.raw_set(
        "unpack",
        lua.create_function(|lua, args: MultiValue| unpack(Cx::direct(lua), &args))?,
    )?;
    t.raw_set(
        "size",
        lua.create_function(|lua, args: MultiValue| size(Cx::direct(lua), &args))?,
    )?;
    Ok(t)
}

/// Byte order and alignment (`Header`).
struct Header {
    little: bool,
    align: usize,
}

impl Default for Header {
    fn default() -> Self {
        Header {
            little: true,
            align: 1,
        }
    }
}

/// The format: the C string of argument 1, with a cursor.
struct Format {
    bytes: Vec<u8>,
    pos: usize,
}

impl Format {
    fn new(cx: Cx<'_>, args: &MultiValue) -> mlua::Result<Format> {
        let mut bytes = cx.check_bytes(args, 1)?;
        if let Some(nul) = bytes.iter().position(|b| *b == 0) {
            bytes.truncate(nul);
        }
        Ok(Format { bytes, pos: 0 })
    }

    fn next(&mut self) -> Option<u8> {
        let c = self.bytes.get(self.pos).copied()?;
        self.pos += 1;
        Some(c)
    }

    /// `getnum`: a decimal number at the cursor, or `df`.
    fn num(&mut self, cx: Cx<'_>, df: i32) -> mlua::Result<i32> {
        let digit = |f: &Format| f.bytes.get(f.pos).filter(|c| c.is_ascii_digit()).copied();
        if digit(self).is_none() {
            return Ok(df);
        }
        let mut a: i32 = 0;
        while let Some(c) = digit(self) {
            let d = i32::from(c - b'0');
            if a > i32::MAX / 10 || a * 10 > i32::MAX - d {
                return Err(cx.error("integral size overflow"));
            }
            a = a * 10 + d;
            self.pos += 1;
        }
        Ok(a)
    }

    /// `optsize`: the size of option `opt` (reading its count).
    fn size(&mut self, cx: Cx<'_>, opt: u8) -> mlua::Result<usize> {
        Ok(match opt {
            b'B' | b'b' | b'x' => 1,
            b'H' | b'h' => 2,
            b'L' | b'l' | b'T' | b'd' => 8,
            b'f' => 4,
            b'c' => usize::try_from(self.num(cx, 1)?).unwrap_or(0),
            b'i' | b'I' => {
                let sz = self.num(cx, 4)?;
                if sz > MAXINTSIZE {
                    return Err(cx.error(&format!(
                        "integral size {sz} is larger than limit of {MAXINTSIZE}"
                    )));
                }
                usize::try_from(sz).unwrap_or(0)
            }
            _ => 0,
        })
    }

    /// `controloptions`: endianness, alignment, spaces; anything else is invalid.
    fn control(&mut self, cx: Cx<'_>, opt: u8, h: &mut Header) -> mlua::Result<()> {
        match opt {
            b' ' => {}
            b'>' => h.little = false,
            b'<' => h.little = true,
            b'!' => {
                let a = self.num(cx, MAXALIGN)?;
                if a <= 0 || a & (a - 1) != 0 {
                    return Err(cx.error(&format!("alignment {a} is not a power of 2")));
                }
                h.align = usize::try_from(a).unwrap_or(1);
            }
            _ => {
                let c = String::from_utf8_lossy(&[opt]).into_owned();
                return Err(cx.arg_error(1, &format!("invalid format option '{c}'")));
            }
        }
        Ok(())
    }
}

/// `gettoalign`: padding before an item of `size` at `len`.
fn to_align(len: usize, h: &Header, opt: u8, size: usize) -> usize {
    if size == 0 || opt == b'c' {
        return 0;
    }
    let size = size.min(h.align);
    size.wrapping_sub(len & size.wrapping_sub(1)) & size.wrapping_sub(1)
}

/// C's `(unsigned long)d` as gcc compiles it on x86-64 (negative numbers wrap).
fn c_u64(d: f64) -> u64 {
    const TWO63: f64 = 9_223_372_036_854_775_808.0;
    if d.is_nan() || d < TWO63 {
        c_i64(d) as u64
    } else {
        (c_i64(d - TWO63) as u64) ^ (1 << 63)
    }
}

fn is_integer_option(opt: u8) -> bool {
    matches!(
        opt,
        b'b' | b'B' | b'h' | b'H' | b'l' | b'L' | b'T' | b'i' | b'I'
    )
}

/// `struct.pack(fmt, ...)`.
fn pack(cx: Cx<'_>, args: &MultiValue) -> mlua::Result<mlua::String> {
    let mut fmt = Format::new(cx, args)?;
    // b_pack pushes a nil mark after its arguments: the first missing one is "nil".
    let mut args = args.clone();
    args.push_back(Value::Nil);
    let args = &args;
    let mut h = Header::default();
    let mut arg = 2;
    let mut total: usize = 0;
    let mut out = Vec::new();
    while let Some(opt) = fmt.next() {
        let mut size = fmt.size(cx, opt)?;
        let pad = to_align(total, &h, opt, size);
        total = total.wrapping_add(pad);
        out.resize(out.len() + pad, 0);
        match opt {
            _ if is_integer_option(opt) => {
                let n = cx.check_number(args, arg)?;
                arg += 1;
                let mut value = if n < 0.0 { c_i64(n) as u64 } else { c_u64(n) };
                let mut buf = vec![0u8; size];
                for i in 0..size {
                    let at = if h.little { i } else { size - 1 - i };
                    buf[at] = (value & 0xff) as u8;
                    value >>= 8;
                }
                out.extend_from_slice(&buf);
            }
            b'x' => out.push(0),
            b'f' => {
                let f = cx.check_number(args, arg)? as f32;
                arg += 1;
                out.extend_from_slice(&if h.little {
                    f.to_le_bytes()
                } else {
                    f.to_be_bytes()
                });
            }
            b'd' => {
                let d = cx.check_number(args, arg)?;
                arg += 1;
                out.extend_from_slice(&if h.little {
                    d.to_le_bytes()
                } else {
                    d.to_be_bytes()
                });
            }
            b'c' | b's' => {
                let s = cx.check_bytes(args, arg)?;
                arg += 1;
                if size == 0 {
                    size = s.len();
                }
                if s.len() < size {
                    let narg = i32::try_from(arg).unwrap_or(i32::MAX);
                    return Err(cx.arg_error(narg, "string too short"));
                }
                out.extend_from_slice(&s[..size]);
                if opt == b's' {
                    out.push(0);
                    size += 1;
                }
            }
            _ => fmt.control(cx, opt, &mut h)?,
        }
        total = total.wrapping_add(size);
    }
    cx.lua.create_string(&out)
}

/// `getinteger`: `size` bytes as an integer, sign-extended when `signed`.
fn get_integer(buf: &[u8], little: bool, signed: bool) -> f64 {
    let size = buf.len();
    let mut l: u64 = 0;
    for i in 0..size {
        let at = if little { size - 1 - i } else { i };
        l = (l << 8) | u64::from(buf[at]);
    }
    if !signed {
        return l as f64;
    }
    // `~0 << (size*8 - 1)`: x86 masks the shift count to 6 bits.
    let shift = (size.wrapping_mul(8).wrapping_sub(1) & 63) as u32;
    let mask = u64::MAX << shift;
    if l & mask != 0 {
        l |= mask;
    }
    l as i64 as f64
}

/// `struct.unpack(fmt, data [, pos])`: the values, then the next position.
fn unpack(cx: Cx<'_>, args: &MultiValue) -> mlua::Result<MultiValue> {
    let mut fmt = Format::new(cx, args)?;
    let data = cx.check_bytes(args, 2)?;
    let ld = data.len();
    // `size_t pos = luaL_optinteger(...)`.
    let mut pos = cx.opt_integer(args, 3, 1)? as u64 as usize;
    if pos == 0 {
        return Err(cx.arg_error(3, "offset must be 1 or greater"));
    }
    pos -= 1;
    let out = cx.lua.create_table()?;
    let mut n: usize = 0;
    let mut h = Header::default();
    let too_short = || cx.arg_error(2, "data string too short");
    while let Some(opt) = fmt.next() {
        let mut size = fmt.size(cx, opt)?;
        pos = pos.wrapping_add(to_align(pos, &h, opt, size));
        if size > ld || pos > ld - size {
            return Err(too_short());
        }
        if args.len() + n + 2 > LUAI_MAXCSTACK {
            return Err(cx.error("stack overflow (too many results)"));
        }
        let mut push = |v: Value| -> mlua::Result<()> {
            n += 1;
            out.raw_set(n, v)
        };
        match opt {
            _ if is_integer_option(opt) => {
                let v = get_integer(&data[pos..pos + size], h.little, opt.is_ascii_lowercase());
                push(Value::Number(v))?;
            }
            b'x' => {}
            b'f' => {
                let b: [u8; 4] = data[pos..pos + 4].try_into().unwrap_or_default();
                let f = if h.little {
                    f32::from_le_bytes(b)
                } else {
                    f32::from_be_bytes(b)
                };
                push(Value::Number(f64::from(f)))?;
            }
            b'd' => {
                let b: [u8; 8] = data[pos..pos + 8].try_into().unwrap_or_default();
                let d = if h.little {
                    f64::from_le_bytes(b)
                } else {
                    f64::from_be_bytes(b)
                };
                push(Value::Number(d))?;
            }
            b'c' => {
                if size == 0 {
                    let prev = if n == 0 {
                        None
                    } else {
                        to_number(Some(&out.raw_get::<Value>(n)?))
                    };
                    let Some(len) = prev else {
                        return Err(cx.error("format 'c0' needs a previous size"));
                    };
                    size = c_u64(len) as usize;
                    out.raw_set(n, Value::Nil)?;
                    n -= 1;
                    if size > ld || pos > ld - size {
                        return Err(too_short());
                    }
                }
                let s = cx.lua.create_string(&data[pos..pos + size])?;
                n += 1;
                out.raw_set(n, s)?;
            }
            b's' => {
                let Some(e) = data[pos..].iter().position(|b| *b == 0) else {
                    return Err(cx.error("unfinished string in data"));
                };
                size = e + 1;
                let s = cx.lua.create_string(&data[pos..pos + e])?;
                n += 1;
                out.raw_set(n, s)?;
            }
            _ => fmt.control(cx, opt, &mut h)?,
        }
        pos = pos.wrapping_add(size);
    }
    out.raw_set(n + 1, (pos.wrapping_add(1)) as i64)?;
    cx.results(&out, n + 1, "stack overflow (too many results)")
}

/// `struct.size(fmt)`.
fn size(cx: Cx<'_>, args: &MultiValue) -> mlua::Result<i64> {
    let mut fmt = Format::new(cx, args)?;
    let mut h = Header::default();
    let mut pos: usize = 0;
    while let Some(opt) = fmt.next() {
        let size = fmt.size(cx, opt)?;
        pos = pos.wrapping_add(to_align(pos, &h, opt, size));
        if opt == b's' {
            return Err(cx.arg_error(1, "option 's' has no fixed size"));
        }
        if opt == b'c' && size == 0 {
            return Err(cx.arg_error(1, "option 'c0' has no fixed size"));
        }
        if !opt.is_ascii_alphanumeric() {
            fmt.control(cx, opt, &mut h)?;
        }
        pos = pos.wrapping_add(size);
    }
    Ok(pos as i64)
}
