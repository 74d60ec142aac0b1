//! `cjson`: JSON for scripts, behaving as the lua-cjson 2.1.0 that Redis 7.0 vendors
//! (`deps/lua/src/lua_cjson.c`): `encode`, `decode`, `null`, `new` and the settings
//! (`encode_sparse_array`, `encode_max_depth`, `decode_max_depth`, `encode_number_precision`,
//! `encode_keep_buffer`, `encode_invalid_numbers`, `decode_invalid_numbers`).
//!
//! Behaviour copied from the C library: numbers are written with `%.14g` (the precision is a
//! setting), `/` is escaped as `\/` and DEL as `\u007f`, bytes above 127 pass through; a table
//! is an array when every key is a positive integer (holes become `null`, unless the array is
//! "excessively sparse"), an object otherwise, `{}` when empty; objects follow Lua's `next`
//! order. Decoding reads lua-cjson's grammar (C `strtod` numbers, so `0x10`, `inf`, `nan`
//! pass by default), stops at a NUL byte, makes `null` the `cjson.null` light userdata and
//! reports errors with lua-cjson's texts and character positions.
//!
//! Invariants: each module table has its own settings (`cjson.new()` makes another); both
//! walks are iterative and count the Lua stack slots the C code would use, so a nesting too
//! deep for the C library fails with the same message instead of exhausting our stack; the
//! tables (and keys) of open levels live in a Lua work table, never as Rust handles, so the
//! number of mlua references held stays bounded whatever the nesting (mlua panics when its
//! reference stack, 8000 slots in Lua 5.1, is exhausted).

use std::sync::{Arc, Mutex, MutexGuard};

use mlua::{LightUserData, Lua, MultiValue, Table, Value};
use shoal_common::number::format_g;

use super::clib::{Cx, LUAI_MAXCSTACK, c_int, strtod_prefix, type_name};

/// The settings of one `cjson` module table (lua-cjson's `json_config_t`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Config {
    encode_sparse_convert: i32,
    encode_sparse_ratio: i32,
    encode_sparse_safe: i32,
    encode_max_depth: i32,
    decode_max_depth: i32,
    encode_invalid_numbers: i32,
    decode_invalid_numbers: i32,
    encode_keep_buffer: i32,
    encode_number_precision: i32,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            encode_sparse_convert: 0,
            encode_sparse_ratio: 2,
            encode_sparse_safe: 10,
            encode_max_depth: 1000,
            decode_max_depth: 1000,
            encode_invalid_numbers: 0,
            decode_invalid_numbers: 1,
            encode_keep_buffer: 1,
            encode_number_precision: 14,
        }
    }
}

/// The settings of a module table, shared by its functions.
pub type Shared = Arc<Mutex<Config>>;

fn lock(shared: &Shared) -> MutexGuard<'_, Config> {
    shared
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// `cjson.null`: the NULL light userdata.
pub fn null() -> Value {
    Value::LightUserData(LightUserData(std::ptr::null_mut()))
}

/// A `cjson` module table with fresh settings (lua-cjson's `lua_cjson_new`), and its
/// settings (SCRIPT FLUSH resets them).
pub fn module(lua: &Lua) -> mlua::Result<(Table, Shared)> {
    let shared: Shared = Arc::new(Mutex::new(Config::default()));
    let t = lua.create_table()?;
    let s = Arc::clone(&shared);
    t.raw_set(
        "encode",
        lua.create_function(move |lua, args: MultiValue| encode(lua, &s, &args))?,
    )?;
    let s = Arc::clone(&shared);
    t.raw_set(
        "decode",
        lua.create_function(move |lua, args: MultiValue| decode(lua, &s, &args))?,
    )?;
    type Setter = fn(Cx<'_>, &mut Config, &MultiValue) -> mlua::Result<MultiValue>;
    let setters: [(&str, Setter); 7] = [
        ("encode_sparse_array", cfg_encode_sparse_array),
        ("encode_max_depth", |l, c, a| {
            cfg_integer(l, a, &mut c.encode_max_depth, 1, i32::MAX)
        }),
        ("decode_max_depth", |l, c, a| {
            cfg_integer(l, a, &mut c.decode_max_depth, 1, i32::MAX)
        }),
        ("encode_number_precision", |l, c, a| {
            cfg_integer(l, a, &mut c.encode_number_precision, 1, 14)
        }),
        ("encode_keep_buffer", |l, c, a| {
            arg_init(l, a, 1)?;
            enum_option(l, a, 1, &mut c.encode_keep_buffer, &BOOL_OPTIONS)
        }),
        ("encode_invalid_numbers", |l, c, a| {
            arg_init(l, a, 1)?;
            enum_option(
                l,
                a,
                1,
                &mut c.encode_invalid_numbers,
                &["off", "on", "null"],
            )
        }),
        ("decode_invalid_numbers", |l, c, a| {
            arg_init(l, a, 1)?;
            enum_option(l, a, 1, &mut c.decode_invalid_numbers, &BOOL_OPTIONS)
        }),
    ];
    for (name, f) in setters {
        let s = Arc::clone(&shared);
        t.raw_set(
            name,
            lua.create_function(move |lua, args: MultiValue| {
                f(Cx::direct(lua), &mut lock(&s), &args)
            })?,
        )?;
    }
    t.raw_set(
        "new",
        lua.create_function(|lua, _: MultiValue| module(lua).map(|(t, _)| t))?,
    )?;
    t.raw_set("null", null())?;
    t.raw_set("_NAME", "cjson")?;
    t.raw_set("_VERSION", "2.1.0")?;
    Ok((t, shared))
}

/// Resets settings to lua-cjson's defaults.
pub fn reset(shared: &Shared) {
    *lock(shared) = Config::default();
}

const BOOL_OPTIONS: [&str; 2] = ["off", "on"];

/// `json_arg_init`: at most `max` arguments.
fn arg_init(cx: Cx<'_>, args: &MultiValue, max: usize) -> mlua::Result<()> {
    if args.len() > max {
        return Err(cx.arg_error(
            i32::try_from(max + 1).unwrap_or(i32::MAX),
            "found too many arguments",
        ));
    }
    Ok(())
}

fn is_nil(args: &MultiValue, narg: usize) -> bool {
    matches!(args.get(narg - 1), None | Some(Value::Nil))
}

/// `json_integer_option`: sets `setting` from argument `narg` when given (range errors name
/// argument #1, as lua-cjson does); answers the setting.
fn integer_option(
    cx: Cx<'_>,
    args: &MultiValue,
    narg: usize,
    setting: &mut i32,
    min: i32,
    max: i32,
) -> mlua::Result<Value> {
    if !is_nil(args, narg) {
        // `int value = luaL_checkinteger(...)`: the low 32 bits.
        let value = cx.check_integer(args, narg)? as i32;
        if value < min || value > max {
            return Err(cx.arg_error(1, &format!("expected integer between {min} and {max}")));
        }
        *setting = value;
    }
    Ok(Value::Integer(i64::from(*setting)))
}

/// A setting that is an integer in `min..=max`, from the only argument.
fn cfg_integer(
    cx: Cx<'_>,
    args: &MultiValue,
    setting: &mut i32,
    min: i32,
    max: i32,
) -> mlua::Result<MultiValue> {
    arg_init(cx, args, 1)?;
    Ok(MultiValue::from_iter([integer_option(
        cx, args, 1, setting, min, max,
    )?]))
}

/// `json_enum_option`: a boolean or one of `options` (by index); answers a boolean while the
/// setting is 0 or 1, else the option's name.
fn enum_option(
    cx: Cx<'_>,
    args: &MultiValue,
    narg: usize,
    setting: &mut i32,
    options: &[&str],
) -> mlua::Result<MultiValue> {
    if !is_nil(args, narg) {
        if let Some(Value::Boolean(b)) = args.get(narg - 1) {
            *setting = i32::from(*b);
        } else {
            let name = cx.check_bytes(args, narg)?;
            let name = name.split(|b| *b == 0).next().unwrap_or_default();
            match options.iter().position(|o| o.as_bytes() == name) {
                Some(i) => *setting = i32::try_from(i).unwrap_or(0),
                None => {
                    let name = String::from_utf8_lossy(name);
                    return Err(cx.arg_error(
                        i32::try_from(narg).unwrap_or(i32::MAX),
                        &format!("invalid option '{name}'"),
                    ));
                }
            }
        }
    }
    let v = if *setting == 0 || *setting == 1 {
        Value::Boolean(*setting == 1)
    } else {
        let name = options
            .get(usize::try_from(*setting).unwrap_or(0))
            .copied()
            .unwrap_or("off");
        Value::String(cx.lua.create_string(name)?)
    };
    Ok(MultiValue::from_iter([v]))
}

/// `cjson.encode_sparse_array([convert [, ratio [, safe]]])`.
fn cfg_encode_sparse_array(
    cx: Cx<'_>,
    c: &mut Config,
    args: &MultiValue,
) -> mlua::Result<MultiValue> {
    arg_init(cx, args, 3)?;
    let mut out = enum_option(cx, args, 1, &mut c.encode_sparse_convert, &BOOL_OPTIONS)?;
    out.push_back(integer_option(
        cx,
        args,
        2,
        &mut c.encode_sparse_ratio,
        0,
        i32::MAX,
    )?);
    out.push_back(integer_option(
        cx,
        args,
        3,
        &mut c.encode_sparse_safe,
        0,
        i32::MAX,
    )?);
    Ok(out)
}

// ---- encoding ----

/// `cjson.encode(value)`.
fn encode(lua: &Lua, shared: &Shared, args: &MultiValue) -> mlua::Result<mlua::String> {
    let cx = Cx::direct(lua);
    if args.len() != 1 {
        return Err(cx.arg_error(1, "expected 1 argument"));
    }
    let cfg = *lock(shared);
    let mut e = Encoder {
        cx,
        cfg,
        out: Vec::new(),
        open: Vec::new(),
        work: lua.create_table()?,
        next: lua.globals().raw_get("next")?,
    };
    e.run(args[0].clone())?;
    lua.create_string(&e.out)
}

/// A table being written; the table is `work[2i+1]` and an object's current key
/// `work[2i+2]` for the `i`th open table.
struct Open {
    /// `Some((len, next index))` for an array, `None` for an object.
    array: Option<(i64, i64)>,
    /// Whether an element was written (a comma precedes the next).
    started: bool,
    depth: i32,
    /// Lua stack slots in use while the table is on top.
    slots: usize,
}

struct Encoder<'a> {
    cx: Cx<'a>,
    cfg: Config,
    out: Vec<u8>,
    open: Vec<Open>,
    work: Table,
    /// Lua's `next`.
    next: mlua::Function,
}

impl Encoder<'_> {
    fn run(&mut self, root: Value) -> mlua::Result<()> {
        // The argument is the C function's only stack slot.
        self.value(root, 0, 1)?;
        while let Some(last) = self.open.len().checked_sub(1) {
            let top = &mut self.open[last];
            let (depth, slots) = (top.depth, top.slots);
            let i = i64::try_from(last).unwrap_or(i64::MAX);
            let table: Table = self.work.raw_get(2 * i + 1)?;
            let child = match &mut top.array {
                Some((len, next)) => {
                    if *next > *len {
                        None
                    } else {
                        let v: Value = table.raw_get(*next)?;
                        *next += 1;
                        // lua_rawgeti pushed the element.
                        Some((None, v, slots + 1))
                    }
                }
                None => {
                    let key: Value = self.work.raw_get(2 * i + 2)?;
                    let (k, v): (Value, Value) = self.next.call((table, key))?;
                    if k.is_nil() {
                        None
                    } else {
                        self.work.raw_set(2 * i + 2, k.clone())?;
                        // lua_next pushed the key and the value.
                        Some((Some(k), v, slots + 2))
                    }
                }
            };
            let Some((key, v, child_slots)) = child else {
                let closing = if top.array.is_some() { b']' } else { b'}' };
                self.out.push(closing);
                self.open.pop();
                self.work.raw_set(2 * i + 1, Value::Nil)?;
                self.work.raw_set(2 * i + 2, Value::Nil)?;
                continue;
            };
            if top.started {
                self.out.push(b',');
            }
            top.started = true;
            if let Some(k) = key {
                self.key(&k)?;
            }
            self.value(v, depth, child_slots)?;
        }
        Ok(())
    }

    /// `json_append_data` for the value on top of a stack `slots` deep, inside tables
    /// `depth` deep: scalars are written, a table is opened.
    fn value(&mut self, v: Value, depth: i32, slots: usize) -> mlua::Result<()> {
        match v {
            Value::String(s) => escape_string(&mut self.out, &s.as_bytes()),
            Value::Integer(i) => self.number(i as f64)?,
            Value::Number(n) => self.number(n)?,
            Value::Boolean(true) => self.out.extend_from_slice(b"true"),
            Value::Boolean(false) => self.out.extend_from_slice(b"false"),
            Value::Nil => self.out.extend_from_slice(b"null"),
            Value::LightUserData(p) if p.0.is_null() => self.out.extend_from_slice(b"null"),
            Value::Table(t) => {
                let depth = depth + 1;
                // json_check_encode_depth: lua_checkstack(l, 3).
                if depth > self.cfg.encode_max_depth || slots + 3 > LUAI_MAXCSTACK {
                    return Err(self
                        .cx
                        .error(&format!("Cannot serialise, excessive nesting ({depth})")));
                }
                let len = self.array_length(&t)?;
                self.out.push(if len > 0 { b'[' } else { b'{' });
                let i = i64::try_from(self.open.len()).unwrap_or(i64::MAX);
                self.work.raw_set(2 * i + 1, t)?;
                self.open.push(Open {
                    array: (len > 0).then_some((i64::from(len), 1)),
                    started: false,
                    depth,
                    slots,
                });
            }
            other => {
                let t = type_name(Some(&other));
                return Err(self
                    .cx
                    .error(&format!("Cannot serialise {t}: type not supported")));
            }
        }
        Ok(())
    }

    /// An object key and its colon.
    fn key(&mut self, k: &Value) -> mlua::Result<()> {
        match k {
            Value::Integer(_) | Value::Number(_) => {
                let n = match k {
                    Value::Integer(i) => *i as f64,
                    Value::Number(n) => *n,
                    _ => 0.0,
                };
                self.out.push(b'"');
                self.number(n)?;
                self.out.extend_from_slice(b"\":");
            }
            Value::String(s) => {
                escape_string(&mut self.out, &s.as_bytes());
                self.out.push(b':');
            }
            other => {
                let t = type_name(Some(other));
                return Err(self.cx.error(&format!(
                    "Cannot serialise {t}: table key must be a number or string"
                )));
            }
        }
        Ok(())
    }

    /// `lua_array_length`: the array length when every key is an integer >= 1 (as C's
    /// `int max`, including its overflow), -1 for an object.
    fn array_length(&self, t: &Table) -> mlua::Result<i32> {
        let mut max: i32 = 0;
        let mut items: i32 = 0;
        for pair in t.pairs::<Value, Value>() {
            let k = match pair?.0 {
                Value::Integer(i) => i as f64,
                Value::Number(n) => n,
                _ => return Ok(-1),
            };
            if k == 0.0 || k.floor() != k || k < 1.0 {
                return Ok(-1);
            }
            if k > f64::from(max) {
                max = c_int(k);
            }
            items = items.wrapping_add(1);
        }
        let c = &self.cfg;
        if c.encode_sparse_ratio > 0
            && max > items.wrapping_mul(c.encode_sparse_ratio)
            && max > c.encode_sparse_safe
        {
            if c.encode_sparse_convert == 0 {
                return Err(self
                    .cx
                    .error("Cannot serialise table: excessively sparse array"));
            }
            return Ok(-1);
        }
        Ok(max)
    }

    /// `json_append_number`.
    fn number(&mut self, n: f64) -> mlua::Result<()> {
        match self.cfg.encode_invalid_numbers {
            0 if !n.is_finite() => {
                return Err(self
                    .cx
                    .error("Cannot serialise number: must not be NaN or Inf"));
            }
            1 if n.is_nan() => self.out.extend_from_slice(b"nan"),
            2 if !n.is_finite() => self.out.extend_from_slice(b"null"),
            _ => {
                let p = usize::try_from(self.cfg.encode_number_precision).unwrap_or(14);
                self.out.extend_from_slice(format_g(n, p).as_bytes());
            }
        }
        Ok(())
    }
}

/// `json_append_string`: lua-cjson's escape table.
fn escape_string(out: &mut Vec<u8>, s: &[u8]) {
    out.reserve(s.len() + 2);
    out.push(b'"');
    for &b in s {
        match b {
            b'"' => out.extend_from_slice(b"\\\""),
            b'\\' => out.extend_from_slice(b"\\\\"),
            b'/' => out.extend_from_slice(b"\\/"),
            8 => out.extend_from_slice(b"\\b"),
            9 => out.extend_from_slice(b"\\t"),
            10 => out.extend_from_slice(b"\\n"),
            12 => out.extend_from_slice(b"\\f"),
            13 => out.extend_from_slice(b"\\r"),
            0..=31 | 127 => {
                const HEX: &[u8; 16] = b"0123456789abcdef";
                out.extend_from_slice(b"\\u00");
                out.push(HEX[usize::from(b >> 4)]);
                out.push(HEX[usize::from(b & 15)]);
            }
            _ => out.push(b),
        }
    }
    out.push(b'"');
}

// ---- decoding ----

/// `cjson.decode(text)`.
fn decode(lua: &Lua, shared: &Shared, args: &MultiValue) -> mlua::Result<Value> {
    let cx = Cx::direct(lua);
    if args.len() != 1 {
        return Err(cx.arg_error(1, "expected 1 argument"));
    }
    let cfg = *lock(shared);
    let data = cx.check_bytes(args, 1)?;
    if data.len() >= 2 && (data[0] == 0 || data[1] == 0) {
        return Err(cx.error("JSON parser does not support UTF-16 or UTF-32"));
    }
    Parser {
        cx,
        cfg,
        data: &data,
        ptr: 0,
        depth: 0,
    }
    .run()
}

/// A token (lua-cjson's `json_token_t`).
enum Tok {
    ObjBegin,
    ObjEnd,
    ArrBegin,
    ArrEnd,
    Str(Vec<u8>),
    Num(f64),
    Bool(bool),
    Null,
    Colon,
    Comma,
    End,
    /// A lexical error: its description.
    Error(&'static str),
}

impl Tok {
    /// What "found ..." says about it.
    fn name(&self) -> &'static str {
        match self {
            Tok::ObjBegin => "T_OBJ_BEGIN",
            Tok::ObjEnd => "T_OBJ_END",
            Tok::ArrBegin => "T_ARR_BEGIN",
            Tok::ArrEnd => "T_ARR_END",
            Tok::Str(_) => "T_STRING",
            Tok::Num(_) => "T_NUMBER",
            Tok::Bool(_) => "T_BOOLEAN",
            Tok::Null => "T_NULL",
            Tok::Colon => "T_COLON",
            Tok::Comma => "T_COMMA",
            Tok::End => "T_END",
            Tok::Error(e) => e,
        }
    }
}

/// A table being read (the table itself is in the work table, at its level).
enum Building {
    Array { next: i64 },
    Object { key: Vec<u8> },
}

struct Parser<'a> {
    cx: Cx<'a>,
    cfg: Config,
    /// The text; reading past its end gives the C string's terminating NUL.
    data: &'a [u8],
    ptr: usize,
    depth: i32,
}

impl Parser<'_> {
    fn at(&self, i: usize) -> u8 {
        self.data.get(i).copied().unwrap_or(0)
    }

    fn error(&self, expected: &str, tok: &Tok, index: usize) -> mlua::Error {
        self.cx.error(&format!(
            "Expected {expected} but found {} at character {}",
            tok.name(),
            index + 1
        ))
    }

    /// `json_decode_descend`: one level deeper, with `slots` free stack slots needed on top of
    /// the `used` ones.
    fn descend(&mut self, used: usize, slots: usize) -> mlua::Result<()> {
        self.depth += 1;
        if self.depth <= self.cfg.decode_max_depth && used + slots <= LUAI_MAXCSTACK {
            return Ok(());
        }
        Err(self.cx.error(&format!(
            "Found too many nested data structures ({}) at character {}",
            self.depth, self.ptr
        )))
    }

    fn run(mut self) -> mlua::Result<Value> {
        let lua = self.cx.lua;
        // Open tables, by level from 1, in a Lua table (see the module's invariants).
        let work = lua.create_table()?;
        let mut stack: Vec<Building> = Vec::new();
        // Stack slots in use: the argument, each open array's table, each open object's
        // table and pending key.
        let mut used: usize = 1;
        let (mut tok, mut index) = self.next_token();
        'value: loop {
            let mut value = match tok {
                Tok::Str(s) => Value::String(lua.create_string(&s)?),
                Tok::Num(n) => Value::Number(n),
                Tok::Bool(b) => Value::Boolean(b),
                Tok::Null => null(),
                Tok::ArrBegin | Tok::ObjBegin => {
                    let array = matches!(tok, Tok::ArrBegin);
                    self.descend(used, if array { 2 } else { 3 })?;
                    let table = lua.create_table()?;
                    (tok, index) = self.next_token();
                    if matches!(tok, Tok::ArrEnd | Tok::ObjEnd)
                        && matches!(tok, Tok::ArrEnd) == array
                    {
                        self.depth -= 1;
                        Value::Table(table)
                    } else {
                        work.raw_set(stack.len() + 1, table)?;
                        if array {
                            stack.push(Building::Array { next: 1 });
                            used += 1;
                        } else {
                            let key = self.object_key(tok, index)?;
                            stack.push(Building::Object { key });
                            used += 2;
                            (tok, index) = self.next_token();
                        }
                        continue 'value;
                    }
                }
                other => return Err(self.error("value", &other, index)),
            };
            // Store the finished value in its container; close the containers that end.
            loop {
                let level = stack.len();
                let Some(top) = stack.last_mut() else {
                    let (tok, index) = self.next_token();
                    if !matches!(tok, Tok::End) {
                        return Err(self.error("the end", &tok, index));
                    }
                    return Ok(value);
                };
                let table: Table = work.raw_get(level)?;
                let (end, what) = match top {
                    Building::Array { next } => {
                        table.raw_set(*next, value)?;
                        *next += 1;
                        (Tok::ArrEnd, "comma or array end")
                    }
                    Building::Object { key } => {
                        table.raw_set(lua.create_string(&*key)?, value)?;
                        (Tok::ObjEnd, "comma or object end")
                    }
                };
                let (t, i) = self.next_token();
                if std::mem::discriminant(&t) == std::mem::discriminant(&end) {
                    self.depth -= 1;
                    used -= if matches!(top, Building::Array { .. }) {
                        1
                    } else {
                        2
                    };
                    work.raw_set(level, Value::Nil)?;
                    stack.pop();
                    value = Value::Table(table);
                    continue;
                }
                if !matches!(t, Tok::Comma) {
                    return Err(self.error(what, &t, i));
                }
                (tok, index) = self.next_token();
                if let Building::Object { key } = top {
                    *key = self.object_key(tok, index)?;
                    (tok, index) = self.next_token();
                }
                continue 'value;
            }
        }
    }

    /// An object's key and the colon after it.
    fn object_key(&mut self, tok: Tok, index: usize) -> mlua::Result<Vec<u8>> {
        let Tok::Str(key) = tok else {
            return Err(self.error("object key string", &tok, index));
        };
        let (colon, i) = self.next_token();
        if !matches!(colon, Tok::Colon) {
            return Err(self.error("colon", &colon, i));
        }
        Ok(key)
    }

    /// `json_next_token`: the next token and its index.
    fn next_token(&mut self) -> (Tok, usize) {
        while matches!(self.at(self.ptr), b' ' | b'\t' | b'\n' | b'\r') {
            self.ptr += 1;
        }
        let index = self.ptr;
        let c = self.at(self.ptr);
        let single = match c {
            b'{' => Some(Tok::ObjBegin),
            b'}' => Some(Tok::ObjEnd),
            b'[' => Some(Tok::ArrBegin),
            b']' => Some(Tok::ArrEnd),
            b',' => Some(Tok::Comma),
            b':' => Some(Tok::Colon),
            _ => None,
        };
        if let Some(t) = single {
            self.ptr += 1;
            return (t, index);
        }
        match c {
            0 => (Tok::End, index),
            b'"' => self.string_token(),
            b'-' | b'0'..=b'9' => {
                if self.cfg.decode_invalid_numbers == 0 && self.invalid_number() {
                    return (Tok::Error("invalid number"), index);
                }
                self.number_token()
            }
            b'f' | b'i' | b'I' | b'n' | b'N' | b't' | b'+' => {
                for (word, tok) in [
                    (&b"true"[..], Tok::Bool(true)),
                    (b"false", Tok::Bool(false)),
                    (b"null", Tok::Null),
                ] {
                    if self.data[self.ptr..].starts_with(word) {
                        self.ptr += word.len();
                        return (tok, index);
                    }
                }
                if self.cfg.decode_invalid_numbers != 0 && self.invalid_number() {
                    return self.number_token();
                }
                (Tok::Error("invalid token"), index)
            }
            _ => (Tok::Error("invalid token"), index),
        }
    }

    /// `json_is_invalid_number`: a number JSON forbids (leading `+` or zeros, hex, inf, nan).
    fn invalid_number(&self) -> bool {
        let mut p = self.ptr;
        if self.at(p) == b'+' {
            return true;
        }
        if self.at(p) == b'-' {
            p += 1;
        }
        let c = self.at(p);
        if c == b'0' {
            let c2 = self.at(p + 1);
            return (c2 | 0x20) == b'x' || c2.is_ascii_digit();
        }
        if c <= b'9' {
            return false;
        }
        let word = |w: &[u8]| (0..3).all(|i| self.at(p + i).eq_ignore_ascii_case(&w[i]));
        word(b"inf") || word(b"nan")
    }

    fn number_token(&mut self) -> (Tok, usize) {
        let index = self.ptr;
        let (v, n) = strtod_prefix(&self.data[self.ptr..]);
        if n == 0 {
            return (Tok::Error("invalid number"), index);
        }
        self.ptr += n;
        (Tok::Num(v), index)
    }

    /// `json_next_string_token`, at the opening quote.
    fn string_token(&mut self) -> (Tok, usize) {
        let index = self.ptr;
        self.ptr += 1;
        let mut buf = Vec::new();
        loop {
            let mut ch = self.at(self.ptr);
            if ch == b'"' {
                break;
            }
            if ch == 0 {
                return (Tok::Error("unexpected end of string"), self.ptr);
            }
            if ch == b'\\' {
                ch = match self.at(self.ptr + 1) {
                    b'"' => b'"',
                    b'\\' => b'\\',
                    b'/' => b'/',
                    b'b' => 8,
                    b't' => 9,
                    b'n' => 10,
                    b'f' => 12,
                    b'r' => 13,
                    b'u' => {
                        if self.unicode_escape(&mut buf) {
                            continue;
                        }
                        return (Tok::Error("invalid unicode escape code"), self.ptr);
                    }
                    _ => return (Tok::Error("invalid escape code"), self.ptr),
                };
                self.ptr += 1;
            }
            buf.push(ch);
            self.ptr += 1;
        }
        self.ptr += 1;
        (Tok::Str(buf), index)
    }

    fn hex4(&self, at: usize) -> Option<u32> {
        let mut v = 0;
        for i in 0..4 {
            v = (v << 4) | (self.at(at + i) as char).to_digit(16)?;
        }
        Some(v)
    }

    /// `json_append_unicode_escape` at `\u`: appends the UTF-8 of the escape (a surrogate
    /// pair takes two); false when invalid.
    fn unicode_escape(&mut self, buf: &mut Vec<u8>) -> bool {
        let Some(mut cp) = self.hex4(self.ptr + 2) else {
            return false;
        };
        let mut escape_len = 6;
        if cp & 0xF800 == 0xD800 {
            if cp & 0x400 != 0 {
                return false;
            }
            if self.at(self.ptr + 6) != b'\\' || self.at(self.ptr + 7) != b'u' {
                return false;
            }
            let Some(low) = self.hex4(self.ptr + 8) else {
                return false;
            };
            if low & 0xFC00 != 0xDC00 {
                return false;
            }
            cp = (((cp & 0x3FF) << 10) | (low & 0x3FF)) + 0x10000;
            escape_len = 12;
        }
        // codepoint_to_utf8, without validation beyond its ranges.
        let b = |x: u32| u8::try_from(x & 0xFF).unwrap_or(0);
        if cp <= 0x7F {
            buf.push(b(cp));
        } else if cp <= 0x7FF {
            buf.extend_from_slice(&[b((cp >> 6) | 0xC0), b((cp & 0x3F) | 0x80)]);
        } else if cp <= 0xFFFF {
            buf.extend_from_slice(&[
                b((cp >> 12) | 0xE0),
                b(((cp >> 6) & 0x3F) | 0x80),
                b((cp & 0x3F) | 0x80),
            ]);
        } else {
            buf.extend_from_slice(&[
                b((cp >> 18) | 0xF0),
                b(((cp >> 12) & 0x3F) | 0x80),
                b(((cp >> 6) & 0x3F) | 0x80),
                b((cp & 0x3F) | 0x80),
            ]);
        }
        self.ptr += escape_len;
        true
    }
}
