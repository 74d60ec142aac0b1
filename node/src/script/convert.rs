//! Reply conversions between Redis and Lua, both ways (Redis `redisProtocolToLuaType*` and
//! `luaReplyToRedisReply`).
//!
//! Redis → Lua depends on the script's `redis.setresp` (2 by default): in RESP2 a null is
//! `false`, a status `{ok=...}`, an error `{err=...}`; RESP3 adds `{map=...}`, `{set=...}`,
//! `{double=...}`, `{big_number=...}`, `{verbatim_string=...}`, booleans and `nil`.
//! Lua → Redis: numbers are truncated to integers, `true` is 1 (RESP3 scripts: a boolean),
//! `false` a null, tables are errors / statuses / RESP3 types by field or arrays up to their
//! first nil.

use bytes::Bytes;
use mlua::{Lua, Table, Value};
use shoal_common::Frame;
use shoal_common::number::format_double;

/// Deepest table nesting converted to a reply.
const MAX_DEPTH: usize = 1000;

/// Redis `luaPushErrorBuff`: the `{err="CODE msg"}` table for an error text; a text starting
/// with `-` keeps its code, any other gets `ERR`.
pub fn error_table(lua: &Lua, text: &str) -> mlua::Result<Table> {
    let (code, msg) = match text.strip_prefix('-') {
        Some(rest) => match rest.split_once(' ') {
            Some((code, msg)) => (code, msg),
            None => ("ERR", rest),
        },
        None => ("ERR", text),
    };
    let msg = msg.trim_matches(|c| c == '\r' || c == '\n');
    let t = lua.create_table()?;
    t.raw_set("err", format!("{code} {msg}"))?;
    Ok(t)
}

fn single(lua: &Lua, field: &str, v: impl mlua::IntoLua) -> mlua::Result<Value> {
    let t = lua.create_table()?;
    t.raw_set(field, v)?;
    Ok(Value::Table(t))
}

fn bytes(lua: &Lua, b: &[u8]) -> mlua::Result<Value> {
    Ok(Value::String(lua.create_string(b)?))
}

fn array(lua: &Lua, items: Vec<Frame>, resp3: bool) -> mlua::Result<Value> {
    let t = lua.create_table_with_capacity(items.len(), 0)?;
    for (i, f) in items.into_iter().enumerate() {
        t.raw_set(i + 1, frame_to_lua(lua, f, resp3)?)?;
    }
    Ok(Value::Table(t))
}

/// A command's reply as the script sees it.
pub fn frame_to_lua(lua: &Lua, f: Frame, resp3: bool) -> mlua::Result<Value> {
    match f {
        Frame::Simple(s) => single(lua, "ok", lua.create_string(&s)?),
        Frame::Error(e) => {
            let t = error_table(lua, &format!("-{}", String::from_utf8_lossy(&e)))?;
            // Already counted in errorstats when the command failed.
            t.raw_set("ignore_err_stats_update", true)?;
            Ok(Value::Table(t))
        }
        Frame::Integer(i) => Ok(Value::Integer(i)),
        Frame::Bulk(b) => bytes(lua, &b),
        Frame::Null | Frame::NullArray => Ok(if resp3 {
            Value::Nil
        } else {
            Value::Boolean(false)
        }),
        Frame::Array(items) | Frame::Push(items) => array(lua, items, resp3),
        Frame::Map(pairs) if resp3 => {
            let t = lua.create_table()?;
            for (k, v) in pairs {
                t.raw_set(frame_to_lua(lua, k, true)?, frame_to_lua(lua, v, true)?)?;
            }
            single(lua, "map", t)
        }
        Frame::Map(pairs) => array(
            lua,
            pairs.into_iter().flat_map(|(k, v)| [k, v]).collect(),
            false,
        ),
        Frame::Set(items) if resp3 => {
            let t = lua.create_table()?;
            for k in items {
                t.raw_set(frame_to_lua(lua, k, true)?, true)?;
            }
            single(lua, "set", t)
        }
        Frame::Set(items) => array(lua, items, false),
        Frame::Double(d) if resp3 => single(lua, "double", d),
        Frame::Double(d) => bytes(lua, format_double(d).as_bytes()),
        Frame::Boolean(b) if resp3 => Ok(Value::Boolean(b)),
        Frame::Boolean(b) => Ok(Value::Integer(i64::from(b))),
        Frame::BigNumber(n) if resp3 => single(lua, "big_number", lua.create_string(&n)?),
        Frame::BigNumber(n) => bytes(lua, &n),
        Frame::Verbatim(format, text) if resp3 => {
            let t = lua.create_table()?;
            t.raw_set("format", lua.create_string(format)?)?;
            t.raw_set("string", lua.create_string(&text)?)?;
            single(lua, "verbatim_string", t)
        }
        Frame::Verbatim(_, text) => bytes(lua, &text),
        raw @ Frame::Raw(_) => frame_to_lua(lua, raw.unraw(), resp3),
    }
}

/// C's `(long long)` of a double on x86-64: truncation, and `i64::MIN` when out of range.
pub fn lua_number_to_integer(n: f64) -> i64 {
    if !(-9_223_372_036_854_775_808.0..9_223_372_036_854_775_808.0).contains(&n) {
        i64::MIN
    } else {
        n.trunc() as i64
    }
}

/// Status and error texts go on one line: CR and LF become spaces (Redis `sdsmapchars`).
fn one_line(s: &mlua::String) -> Bytes {
    let b: Vec<u8> = s
        .as_bytes()
        .iter()
        .map(|&c| if c == b'\r' || c == b'\n' { b' ' } else { c })
        .collect();
    Bytes::from(b)
}

/// A script's return value as a reply; `resp3` is the script's `redis.setresp` (booleans).
pub fn lua_to_frame(v: &Value, resp3: bool) -> Frame {
    to_frame(v, resp3, 0)
}

fn to_frame(v: &Value, resp3: bool, depth: usize) -> Frame {
    match v {
        Value::String(s) => Frame::Bulk(Bytes::copy_from_slice(&s.as_bytes())),
        Value::Boolean(b) if resp3 => Frame::Boolean(*b),
        Value::Boolean(true) => Frame::Integer(1),
        Value::Integer(i) => Frame::Integer(*i),
        Value::Number(n) => Frame::Integer(lua_number_to_integer(*n)),
        Value::Table(t) if depth >= MAX_DEPTH => {
            let _ = t;
            Frame::error("ERR reached lua stack limit")
        }
        Value::Table(t) => table_to_frame(t, resp3, depth),
        _ => Frame::Null,
    }
}

fn table_to_frame(t: &Table, resp3: bool, depth: usize) -> Frame {
    if let Ok(Value::String(e)) = t.raw_get::<Value>("err") {
        return Frame::Error(one_line(&e));
    }
    if let Ok(Value::String(s)) = t.raw_get::<Value>("ok") {
        return Frame::Simple(one_line(&s));
    }
    match t.raw_get::<Value>("double") {
        Ok(Value::Number(n)) => return Frame::Double(n),
        Ok(Value::Integer(i)) => return Frame::Double(i as f64),
        _ => {}
    }
    if let Ok(Value::String(s)) = t.raw_get::<Value>("big_number") {
        return Frame::BigNumber(one_line(&s));
    }
    if let Ok(Value::Table(vt)) = t.raw_get::<Value>("verbatim_string")
        && let (Ok(Value::String(format)), Ok(Value::String(text))) =
            (vt.raw_get::<Value>("format"), vt.raw_get::<Value>("string"))
    {
        let f = format.as_bytes();
        let mut fmt = *b"txt";
        if f.len() == 3 {
            fmt.copy_from_slice(&f);
        }
        return Frame::Verbatim(fmt, Bytes::copy_from_slice(&text.as_bytes()));
    }
    if let Ok(Value::Table(m)) = t.raw_get::<Value>("map") {
        let pairs = m
            .pairs::<Value, Value>()
            .filter_map(Result::ok)
            .map(|(k, v)| {
                (
                    to_frame(&k, resp3, depth + 1),
                    to_frame(&v, resp3, depth + 1),
                )
            })
            .collect();
        return Frame::Map(pairs);
    }
    if let Ok(Value::Table(s)) = t.raw_get::<Value>("set") {
        let items = s
            .pairs::<Value, Value>()
            .filter_map(Result::ok)
            .map(|(k, _)| to_frame(&k, resp3, depth + 1))
            .collect();
        return Frame::Set(items);
    }
    let mut items = Vec::new();
    for i in 1.. {
        match t.raw_get::<Value>(i) {
            Ok(Value::Nil) | Err(_) => break,
            Ok(v) => items.push(to_frame(&v, resp3, depth + 1)),
        }
    }
    Frame::Array(items)
}
