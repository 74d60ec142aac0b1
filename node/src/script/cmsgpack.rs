//! `cmsgpack`: MessagePack for scripts, behaving as the lua-cmsgpack 0.4.0 that Redis 7.0
//! vendors (`deps/lua/src/lua_cmsgpack.c`): `pack(v, ...)`, `unpack(s)`,
//! `unpack_one(s [, offset])`, `unpack_limit(s, limit [, offset])`.
//!
//! Behaviour copied from the C library: a number that is an integer is packed in the
//! smallest integer form, any other as a 32-bit float when that is exact, else a 64-bit one;
//! strings use fixstr/str8/str16/str32; a table whose keys are exactly 1..n is an array, any
//! other a map (in Lua's `next` order); tables nested 16 deep, functions and other values
//! become nil. Unpacking turns integers into Lua numbers (uint64 through a signed cast, as C
//! does), skips nil array elements, and reports `Missing bytes in input.` / `Bad data format
//! in input.`; the `unpack_*` forms answer the next offset (or -1) first.
//!
//! Invariants: unpacked values and the open tables while unpacking live in Lua tables, not as
//! Rust handles, and at most [`MAX_REF_RESULTS`](super::clib::MAX_REF_RESULTS) strings or tables are returned at once
//! (mlua panics when 8000 references are held); the Lua stack slots the C code would use are
//! counted so its `stack overflow (...)` errors come at the same point.

use mlua::{Lua, MultiValue, Table, Value};

use super::clib::{Cx, LUAI_MAXCSTACK, c_i64, c_int};

/// Tables nested deeper are packed as nil (`LUACMSGPACK_MAX_NESTING`).
const MAX_NESTING: u32 = 16;

/// The `cmsgpack` module table.
pub fn module(lua: &Lua) -> mlua::Result<Table> {
    let t = lua.create_table()?;
    t.raw_set(
        "pack",
        lua.create_function(|lua, args: MultiValue| pack(Cx::direct(lua), &args))?,
    )?;
    t.raw_set(
        "unpack",
        lua.create_function(|lua, args: MultiValue| {
            unpack_full(Cx::direct(lua), &args, 0, 0, args.len())
        })?,
    )?;
    t.raw_set(
        "unpack_one",
        lua.create_function(|lua, args: MultiValue| {
            let cx = Cx::direct(lua);
            // `int offset = luaL_optinteger(...)`: the low 32 bits.
            let offset = cx.opt_integer(&args, 2, 0)? as i32;
            unpack_full(cx, &args, 1, offset, 1)
        })?,
    )?;
    t.raw_set(
        "unpack_limit",
        lua.create_function(|lua, args: MultiValue| {
            let cx = Cx::direct(lua);
            let limit = cx.check_integer(&args, 2)? as i32;
            let offset = cx.opt_integer(&args, 3, 0)? as i32;
            unpack_full(cx, &args, limit, offset, 1)
        })?,
    )?;
    t.raw_set("_NAME", "cmsgpack")?;
    t.raw_set("_VERSION", "lua-cmsgpack 0.4.0")?;
    t.raw_set("_COPYRIGHT", "Copyright (C) 2012, Salvatore Sanfilippo")?;
    t.raw_set("_DESCRIPTION", "MessagePack C implementation for Lua")?;
    Ok(t)
}

// ---- packing ----

/// `cmsgpack.pack(v, ...)`: the values' encodings, concatenated.
fn pack(cx: Cx<'_>, args: &MultiValue) -> mlua::Result<mlua::String> {
    let nargs = args.len();
    if nargs == 0 {
        return Err(cx.arg_error(0, "MessagePack pack needs input."));
    }
    if nargs + nargs > LUAI_MAXCSTACK {
        return Err(cx.arg_error(0, "Too many arguments for MessagePack pack."));
    }
    let mut out = Vec::new();
    for (i, v) in args.iter().enumerate() {
        // The arguments, the encodings so far and the copy of this one.
        encode(cx, &mut out, v, 0, nargs + i + 1)?;
    }
    cx.lua.create_string(&out)
}

/// `mp_encode_lua_type` for `v` at nesting `level`, on top of a stack `slots` deep.
fn encode(cx: Cx<'_>, out: &mut Vec<u8>, v: &Value, level: u32, slots: usize) -> mlua::Result<()> {
    match v {
        Value::Table(_) if level == MAX_NESTING => out.push(0xc0),
        Value::String(s) => encode_bytes(out, &s.as_bytes()),
        Value::Boolean(b) => out.push(if *b { 0xc3 } else { 0xc2 }),
        Value::Integer(i) => encode_number(out, *i as f64),
        Value::Number(n) => encode_number(out, *n),
        Value::Table(t) => encode_table(cx, out, t, level, slots)?,
        _ => out.push(0xc0),
    }
    Ok(())
}

fn encode_table(
    cx: Cx<'_>,
    out: &mut Vec<u8>,
    t: &Table,
    level: u32,
    slots: usize,
) -> mlua::Result<()> {
    if slots + 2 > LUAI_MAXCSTACK {
        return Err(cx.error("stack overflow (in function table_is_an_array)"));
    }
    if is_array(t)? {
        let len = t.raw_len();
        header(out, len as u64, 0x90, 0xdc, 0xdd);
        for j in 1..=len {
            let v: Value = t.raw_get(j)?;
            encode(cx, out, &v, level + 1, slots + 1)?;
        }
        return Ok(());
    }
    if slots + 3 > LUAI_MAXCSTACK {
        return Err(cx.error("stack overflow (in function mp_encode_lua_table_as_map)"));
    }
    let mut count: u64 = 0;
    for pair in t.pairs::<Value, Value>() {
        pair?;
        count += 1;
    }
    header(out, count, 0x80, 0xde, 0xdf);
    for pair in t.pairs::<Value, Value>() {
        let (k, v) = pair?;
        encode(cx, out, &k, level + 1, slots + 3)?;
        encode(cx, out, &v, level + 1, slots + 2)?;
    }
    Ok(())
}

/// `table_is_an_array`: every key a positive C `int`, and as many keys as the largest.
fn is_array(t: &Table) -> mlua::Result<bool> {
    let (mut count, mut max): (i32, i32) = (0, 0);
    for pair in t.pairs::<Value, Value>() {
        let n = match pair?.0 {
            Value::Integer(i) => i as f64,
            Value::Number(n) => n,
            _ => return Ok(false),
        };
        if n <= 0.0 || n.is_infinite() || f64::from(c_int(n)) != n {
            return Ok(false);
        }
        if n > f64::from(max) {
            max = c_int(n);
        }
        count = count.wrapping_add(1);
    }
    Ok(max == count)
}

/// An array or map header: fix form up to 15, then 16 and 32 bits.
fn header(out: &mut Vec<u8>, n: u64, fix: u8, b16: u8, b32: u8) {
    if n <= 15 {
        out.push(fix | (n as u8 & 0xf));
    } else if n <= 0xffff {
        out.push(b16);
        out.extend_from_slice(&(n as u16).to_be_bytes());
    } else {
        out.push(b32);
        out.extend_from_slice(&(n as u32).to_be_bytes());
    }
}

/// `mp_encode_bytes`.
fn encode_bytes(out: &mut Vec<u8>, s: &[u8]) {
    let len = s.len();
    if len < 32 {
        out.push(0xa0 | len as u8);
    } else if len <= 0xff {
        out.extend_from_slice(&[0xd9, len as u8]);
    } else if len <= 0xffff {
        out.push(0xda);
        out.extend_from_slice(&(len as u16).to_be_bytes());
    } else {
        out.push(0xdb);
        out.extend_from_slice(&(len as u32).to_be_bytes());
    }
    out.extend_from_slice(s);
}

/// `mp_encode_lua_number`: an integer form when the number is an `int64_t`, else a float.
fn encode_number(out: &mut Vec<u8>, n: f64) {
    let i = c_i64(n);
    if !n.is_infinite() && i as f64 == n {
        encode_int(out, i);
        return;
    }
    let f = n as f32;
    if f64::from(f) == n {
        out.push(0xca);
        out.extend_from_slice(&f.to_be_bytes());
    } else {
        out.push(0xcb);
        out.extend_from_slice(&n.to_be_bytes());
    }
}

/// `mp_encode_int`: the smallest form.
fn encode_int(out: &mut Vec<u8>, n: i64) {
    if n >= 0 {
        if n <= 127 {
            out.push(n as u8);
        } else if n <= 0xff {
            out.extend_from_slice(&[0xcc, n as u8]);
        } else if n <= 0xffff {
            out.push(0xcd);
            out.extend_from_slice(&(n as u16).to_be_bytes());
        } else if n <= 0xffff_ffff {
            out.push(0xce);
            out.extend_from_slice(&(n as u32).to_be_bytes());
        } else {
            out.push(0xcf);
            out.extend_from_slice(&(n as u64).to_be_bytes());
        }
    } else if n >= -32 {
        out.push(n as i8 as u8);
    } else if n >= -128 {
        out.extend_from_slice(&[0xd0, n as i8 as u8]);
    } else if n >= -32768 {
        out.push(0xd1);
        out.extend_from_slice(&(n as i16).to_be_bytes());
    } else if n >= -2_147_483_648 {
        out.push(0xd2);
        out.extend_from_slice(&(n as i32).to_be_bytes());
    } else {
        out.push(0xd3);
        out.extend_from_slice(&n.to_be_bytes());
    }
}

// ---- unpacking ----

/// `mp_unpack_full`: up to `limit` values from `offset` (all when both are 0), with the
/// argument string and `base - 1` more values on the C stack; the next offset first unless
/// decoding all.
fn unpack_full(
    cx: Cx<'_>,
    args: &MultiValue,
    limit: i32,
    offset: i32,
    base: usize,
) -> mlua::Result<MultiValue> {
    let s = cx.check_bytes(args, 1)?;
    let len = s.len();
    let decode_all = limit == 0 && offset == 0;
    if offset < 0 || limit < 0 {
        return Err(cx.error(&format!(
            "Invalid request to unpack with offset of {offset} and limit of {}.",
            len as i32
        )));
    }
    let start = usize::try_from(offset).unwrap_or(0);
    if start > len {
        return Err(cx.error(&format!(
            "Start offset {offset} greater than input length {}.",
            len as i32
        )));
    }
    let limit = if decode_all { i32::MAX } else { limit };
    let out = cx.lua.create_table()?;
    let first = if decode_all { 1 } else { 2 };
    let mut d = Decoder {
        cx,
        data: &s[start..],
        pos: 0,
        work: cx.lua.create_table()?,
    };
    let mut cnt: i32 = 0;
    while d.left() > 0 && cnt < limit {
        let used = base + usize::try_from(cnt).unwrap_or(0);
        match d.value(used)? {
            Ok(v) => out.raw_set(i64::from(cnt) + first, v)?,
            Err(Fail::Eof) => return Err(cx.error("Missing bytes in input.")),
            Err(Fail::BadFmt) => return Err(cx.error("Bad data format in input.")),
        }
        cnt += 1;
    }
    let mut n = i64::from(cnt);
    if !decode_all {
        if base + usize::try_from(cnt).unwrap_or(0) + 1 > LUAI_MAXCSTACK {
            return Err(cx.error("stack overflow (in function mp_unpack_full)"));
        }
        let next = if d.left() == 0 {
            -1
        } else {
            i64::from((len - d.left()) as i32)
        };
        out.raw_set(1, next)?;
        n += 1;
    }
    cx.results(&out, usize::try_from(n).unwrap_or(0), TOO_MANY)
}

/// The error past Lua's stack limit.
const TOO_MANY: &str =
    "stack overflow (too many return values at once; use unpack_one or unpack_limit instead.)";

/// Why a value could not be read (lua-cmsgpack's cursor errors).
enum Fail {
    Eof,
    BadFmt,
}

/// What the first bytes of a value say.
enum Item {
    Value(Value),
    /// An array (or map) of this many elements (or pairs).
    Open {
        array: bool,
        count: u64,
    },
}

/// A table being filled; the table is `work[2i+1]` and a map's pending key `work[2i+2]`
/// for the `i`th open one.
struct Level {
    array: bool,
    /// The next array index.
    next: i64,
    /// A map's key is read, its value is next.
    has_key: bool,
    remaining: u64,
    /// Stack slots in use when the table was pushed.
    slots: usize,
}

struct Decoder<'a> {
    cx: Cx<'a>,
    data: &'a [u8],
    pos: usize,
    work: Table,
}

impl Decoder<'_> {
    fn left(&self) -> usize {
        self.data.len() - self.pos
    }

    fn need(&self, n: usize) -> Result<(), Fail> {
        if self.left() < n {
            Err(Fail::Eof)
        } else {
            Ok(())
        }
    }

    fn byte(&self, i: usize) -> u8 {
        self.data[self.pos + i]
    }

    fn be(&self, from: usize, n: usize) -> u64 {
        (0..n).fold(0, |acc, i| (acc << 8) | u64::from(self.byte(from + i)))
    }

    /// `mp_decode_to_lua_type` for a value pushed on a stack `used` slots deep.
    fn value(&mut self, used: usize) -> mlua::Result<Result<Value, Fail>> {
        let lua = self.cx.lua;
        let mut levels: Vec<Level> = Vec::new();
        let mut slots = used;
        loop {
            let mut v = match self.item(slots)? {
                Err(f) => return Ok(Err(f)),
                Ok(Item::Value(v)) => v,
                Ok(Item::Open { array, count }) => {
                    let t = lua.create_table()?;
                    if array && slots + 2 > LUAI_MAXCSTACK {
                        return Err(self
                            .cx
                            .error("stack overflow (in function mp_decode_to_lua_array)"));
                    }
                    if count == 0 {
                        Value::Table(t)
                    } else {
                        self.work.raw_set(2 * levels.len() + 1, t)?;
                        levels.push(Level {
                            array,
                            next: 1,
                            has_key: false,
                            remaining: count,
                            slots,
                        });
                        slots += if array { 2 } else { 1 };
                        continue;
                    }
                }
            };
            // Store the value in the open tables; close those that are complete.
            loop {
                let i = levels.len();
                let Some(top) = levels.last_mut() else {
                    return Ok(Ok(v));
                };
                let (tslot, kslot) = (2 * i - 1, 2 * i);
                let table: Table = self.work.raw_get(tslot)?;
                if top.array {
                    // As lua_settable, a nil value still makes the key's node.
                    table.raw_set(top.next, v)?;
                    top.next += 1;
                } else if !top.has_key {
                    self.work.raw_set(kslot, v)?;
                    top.has_key = true;
                    slots = top.slots + 2;
                    break;
                } else {
                    let k: Value = self.work.raw_get(kslot)?;
                    match &k {
                        Value::Nil => return Err(mlua::Error::runtime("table index is nil")),
                        Value::Number(n) if n.is_nan() => {
                            return Err(mlua::Error::runtime("table index is NaN"));
                        }
                        _ => {}
                    }
                    table.raw_set(k, v)?;
                    self.work.raw_set(kslot, Value::Nil)?;
                    top.has_key = false;
                }
                top.remaining -= 1;
                if top.remaining == 0 {
                    self.work.raw_set(tslot, Value::Nil)?;
                    levels.pop();
                    v = Value::Table(table);
                    continue;
                }
                slots = top.slots + if top.array { 2 } else { 1 };
                break;
            }
        }
    }

    /// The value or table header at the cursor, consumed.
    fn item(&mut self, used: usize) -> mlua::Result<Result<Item, Fail>> {
        if self.left() < 1 {
            return Ok(Err(Fail::Eof));
        }
        if used + 1 > LUAI_MAXCSTACK {
            return Err(self.cx.error(TOO_MANY));
        }
        let pending = match self.decode_item() {
            Ok(Some(p)) => p,
            Ok(None) => return Ok(Err(Fail::BadFmt)),
            Err(f) => return Ok(Err(f)),
        };
        Ok(Ok(match pending {
            Pending::Num(n) => Item::Value(Value::Number(n)),
            Pending::Str(from, len) => Item::Value(Value::String(
                self.cx.lua.create_string(&self.data[from..from + len])?,
            )),
            Pending::Other(v) => Item::Value(v),
            Pending::Open(array, count) => Item::Open { array, count },
        }))
    }

    /// Decodes the header at the cursor and consumes it (`None`: bad format).
    fn decode_item(&mut self) -> Result<Option<Pending>, Fail> {
        let b = self.byte(0);
        let fixed = |this: &mut Self, n: usize, v: f64| -> Result<Option<Pending>, Fail> {
            this.need(n)?;
            this.pos += n;
            Ok(Some(Pending::Num(v)))
        };
        let at = |this: &Self, n: usize, len: usize| {
            if this.left() < n { 0 } else { this.be(1, len) }
        };
        match b {
            0xcc => fixed(self, 2, at(self, 2, 1) as f64),
            0xd0 => fixed(self, 2, f64::from(at(self, 2, 1) as u8 as i8)),
            0xcd => fixed(self, 3, at(self, 3, 2) as f64),
            0xd1 => fixed(self, 3, f64::from(at(self, 3, 2) as u16 as i16)),
            0xce => fixed(self, 5, at(self, 5, 4) as f64),
            0xd2 => fixed(self, 5, f64::from(at(self, 5, 4) as u32 as i32)),
            // lua_pushunsigned is lua_pushinteger: a signed cast.
            0xcf => fixed(self, 9, at(self, 9, 8) as i64 as f64),
            0xd3 => fixed(self, 9, at(self, 9, 8) as i64 as f64),
            0xca => {
                let bits = at(self, 5, 4) as u32;
                fixed(self, 5, f64::from(f32::from_bits(bits)))
            }
            0xcb => fixed(self, 9, f64::from_bits(at(self, 9, 8))),
            0xc0 | 0xc2 | 0xc3 => {
                self.pos += 1;
                Ok(Some(Pending::Other(match b {
                    0xc0 => Value::Nil,
                    b => Value::Boolean(b == 0xc3),
                })))
            }
            0xd9..=0xdb => {
                let hdr = match b {
                    0xd9 => 2,
                    0xda => 3,
                    _ => 5,
                };
                self.need(hdr)?;
                let len = usize::try_from(self.be(1, hdr - 1)).unwrap_or(usize::MAX);
                self.need(hdr.saturating_add(len))?;
                self.pos += hdr;
                self.string(len)
            }
            0xdc..=0xdf => {
                let hdr = if matches!(b, 0xdc | 0xde) { 3 } else { 5 };
                self.need(hdr)?;
                let count = self.be(1, hdr - 1);
                self.pos += hdr;
                Ok(Some(Pending::Open(matches!(b, 0xdc | 0xdd), count)))
            }
            _ if b & 0x80 == 0 => fixed(self, 1, f64::from(b)),
            _ if b & 0xe0 == 0xe0 => fixed(self, 1, f64::from(b as i8)),
            _ if b & 0xe0 == 0xa0 => {
                let len = usize::from(b & 0x1f);
                self.need(1 + len)?;
                self.pos += 1;
                self.string(len)
            }
            _ if b & 0xf0 == 0x90 || b & 0xf0 == 0x80 => {
                self.pos += 1;
                Ok(Some(Pending::Open(b & 0xf0 == 0x90, u64::from(b & 0xf))))
            }
            _ => Ok(None),
        }
    }

    /// A string of `len` bytes at the cursor (already checked present), consumed.
    fn string(&mut self, len: usize) -> Result<Option<Pending>, Fail> {
        let from = self.pos;
        self.pos += len;
        Ok(Some(Pending::Str(from, len)))
    }
}

/// A decoded header before its Lua value is made.
enum Pending {
    Num(f64),
    /// `(offset, length)` in the data.
    Str(usize, usize),
    Other(Value),
    Open(bool, u64),
}
