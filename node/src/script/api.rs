//! The `redis` functions that may raise errors, and `math.random`, written in Rust so that
//! an error they raise carries the position of the user's line: a C function keeps its
//! caller's frame even in a tail call (`return redis.call(...)`), a Lua wrapper would not.
//!
//! Their errors are [`LuaErr`] values (the text of Redis's `{err=...}` table); the error
//! handler and the prelude's `pcall` turn them into that table.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use mlua::{Function, Lua, MultiValue, Table, Value};

use super::libs;

/// An error raised by a Redis library function: the `err` text of its table.
#[derive(Debug)]
pub struct LuaErr(pub String);

impl std::fmt::Display for LuaErr {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for LuaErr {}

/// The Lua error for an `err` text.
pub fn raise(text: impl Into<String>) -> mlua::Error {
    mlua::Error::external(LuaErr(text.into()))
}

/// A `luaL_error` from a C function: the message gets the position of the calling Lua line
/// (`luaL_where(L, 1)`), then, as every string error, `ERR `.
pub fn raise_located(lua: &Lua, msg: &str) -> mlua::Error {
    let place = lua
        .inspect_stack(1, |d| {
            let line = d.current_line()?;
            let src = d.source();
            let short = src.short_src?.into_owned();
            Some(format!("{short}:{line}: "))
        })
        .flatten()
        .unwrap_or_default();
    raise(format!("ERR {place}{msg}"))
}

/// The [`LuaErr`] inside an error raised from Rust, if it is one.
pub fn find_lua_err(e: &mlua::Error) -> Option<&LuaErr> {
    match e {
        mlua::Error::ExternalError(x) => x.downcast_ref::<LuaErr>(),
        mlua::Error::CallbackError { cause, .. } | mlua::Error::WithContext { cause, .. } => {
            find_lua_err(cause)
        }
        _ => None,
    }
}

/// The innermost message of an mlua error (without callback tracebacks).
pub fn innermost_message(e: &mlua::Error) -> String {
    match e {
        mlua::Error::CallbackError { cause, .. } | mlua::Error::WithContext { cause, .. } => {
            innermost_message(cause)
        }
        mlua::Error::RuntimeError(m) => m.clone(),
        other => other.to_string(),
    }
}

/// Lua's `lua_tonumber`: numbers, and strings that read as numbers.
pub fn to_number(v: &Value) -> Option<f64> {
    match v {
        Value::Integer(i) => Some(*i as f64),
        Value::Number(n) => Some(*n),
        Value::String(s) => {
            let t = s.to_string_lossy();
            let t = t.trim();
            if let Some(hex) = t.strip_prefix("0x").or_else(|| t.strip_prefix("0X")) {
                return u64::from_str_radix(hex, 16).ok().map(|n| n as f64);
            }
            t.parse::<f64>().ok().filter(|_| !t.is_empty())
        }
        _ => None,
    }
}

/// C's `(int)` of a Lua number (truncation).
fn c_int(n: f64) -> i64 {
    n.trunc() as i64
}

fn lua_type_name(v: Option<&Value>) -> &'static str {
    match v {
        None => "no value",
        Some(v) => v.type_name(),
    }
}

/// `luaL_checkint` for argument `i` (1-based) of `func`.
fn check_int(lua: &Lua, args: &MultiValue, i: usize, func: &str) -> mlua::Result<i64> {
    let v = args.get(i - 1);
    match v.and_then(to_number) {
        Some(n) => Ok(c_int(n)),
        None => Err(raise_located(
            lua,
            &format!(
                "bad argument #{i} to '{func}' (number expected, got {})",
                lua_type_name(v)
            ),
        )),
    }
}

/// `redis.call` (`pcall == false`) or `redis.pcall`: runs the scope's `hooks.call`, which
/// answers `(ok, value)`; `redis.call` raises the error table's text.
pub fn redis_call(lua: &Lua, hooks: &Table, pcall: bool) -> mlua::Result<Function> {
    let hooks = hooks.clone();
    lua.create_function(move |_, args: MultiValue| {
        let Ok(f) = hooks.raw_get::<Function>("call") else {
            return Err(raise(
                "ERR redis.call can only be called inside a script invocation",
            ));
        };
        let (ok, v): (bool, Value) = f.call(args)?;
        if ok || pcall {
            return Ok(v);
        }
        let text = match &v {
            Value::Table(t) => t.raw_get::<String>("err").unwrap_or_default(),
            _ => String::new(),
        };
        Err(raise(text))
    })
}

/// `redis.setresp(2|3)`.
pub fn setresp(lua: &Lua, hooks: &Table) -> mlua::Result<Function> {
    let hooks = hooks.clone();
    lua.create_function(move |_, args: MultiValue| {
        if args.len() != 1 {
            return Err(raise("ERR redis.setresp() requires one argument."));
        }
        let resp = args.front().and_then(to_number).map_or(0, c_int);
        if resp != 2 && resp != 3 {
            return Err(raise("ERR RESP version must be 2 or 3."));
        }
        hooks.raw_set("resp", resp)
    })
}

/// `redis.set_repl(flags)`.
pub fn set_repl(lua: &Lua, hooks: &Table) -> mlua::Result<Function> {
    let hooks = hooks.clone();
    lua.create_function(move |_, args: MultiValue| {
        if args.len() != 1 {
            return Err(raise("ERR redis.set_repl() requires two arguments."));
        }
        let flags = args.front().and_then(to_number).map_or(0, c_int);
        if flags & !3 != 0 {
            return Err(raise(
                "ERR Invalid replication flags. Use REPL_AOF, REPL_REPLICA, REPL_ALL or REPL_NONE.",
            ));
        }
        hooks.raw_set("repl", flags)
    })
}

/// `redis.log(level, message, ...)`.
pub fn log(lua: &Lua) -> mlua::Result<Function> {
    lua.create_function(|lua, args: MultiValue| {
        if args.len() < 2 {
            return Err(raise("ERR redis.log() requires two arguments or more."));
        }
        let Some(level) = args.front().and_then(to_number) else {
            return Err(raise("ERR First argument must be a number (log level)."));
        };
        if !(0..=3).contains(&c_int(level)) {
            return Err(raise("ERR Invalid debug level."));
        }
        libs::log(lua, args)
    })
}

/// `redis.sha1hex(string)`.
pub fn sha1hex(lua: &Lua) -> mlua::Result<Function> {
    lua.create_function(|lua, args: MultiValue| {
        if args.len() != 1 {
            return Err(raise("ERR wrong number of arguments"));
        }
        let bytes = match args.front() {
            Some(Value::String(s)) => s.as_bytes().to_vec(),
            Some(v @ (Value::Integer(_) | Value::Number(_))) => {
                let s: mlua::String = lua.globals().raw_get::<Function>("tostring")?.call(v)?;
                s.as_bytes().to_vec()
            }
            _ => Vec::new(),
        };
        lua.create_string(super::sha1_hex(&bytes))
    })
}

/// Redis's `math.random([m [, n]])` on its lrand48.
pub fn random(lua: &Lua, rand: &Arc<AtomicU64>) -> mlua::Result<Function> {
    let rand = Arc::clone(rand);
    lua.create_function(move |lua, args: MultiValue| {
        const MAX: i64 = 2_147_483_647;
        let r = (libs::lrand48(&rand) % MAX) as f64 / MAX as f64;
        match args.len() {
            0 => Ok(Value::Number(r)),
            1 => {
                let u = check_int(lua, &args, 1, "random")?;
                if u < 1 {
                    return Err(raise_located(
                        lua,
                        "bad argument #1 to 'random' (interval is empty)",
                    ));
                }
                Ok(Value::Number((r * u as f64).floor() + 1.0))
            }
            2 => {
                let l = check_int(lua, &args, 1, "random")?;
                let u = check_int(lua, &args, 2, "random")?;
                if l > u {
                    return Err(raise_located(
                        lua,
                        "bad argument #2 to 'random' (interval is empty)",
                    ));
                }
                Ok(Value::Number((r * (u - l + 1) as f64).floor() + l as f64))
            }
            _ => Err(raise_located(lua, "wrong number of arguments")),
        }
    })
}

/// `math.randomseed(n)`.
pub fn randomseed(lua: &Lua, rand: &Arc<AtomicU64>) -> mlua::Result<Function> {
    let rand = Arc::clone(rand);
    lua.create_function(move |lua, args: MultiValue| {
        let seed = check_int(lua, &args, 1, "randomseed")?;
        // Redis casts the seed to `int32_t`.
        rand.store(libs::srand48_state(seed as i32), Ordering::Relaxed);
        Ok(())
    })
}

/// What Redis's `pcall` (`luaRedisPcall`) gives for a caught error: the `err` text of an
/// error table or of an error raised from Rust, any other value as is.
pub fn pcall_error_value(lua: &Lua) -> mlua::Result<Function> {
    lua.create_function(|lua, v: Value| match &v {
        Value::Error(e) => {
            let text = match find_lua_err(e) {
                Some(LuaErr(text)) => text.clone(),
                None => innermost_message(e),
            };
            Ok(Value::String(lua.create_string(text)?))
        }
        Value::Table(t) => match t.raw_get::<Value>("err") {
            Ok(s @ Value::String(_)) => Ok(s),
            _ => Ok(v),
        },
        _ => Ok(v),
    })
}
