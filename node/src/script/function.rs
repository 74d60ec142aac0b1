//! Functions: libraries loaded by FUNCTION LOAD and called by FCALL (Redis `functions.c`,
//! `function_lua.c`).
//!
//! A library is Lua code starting with `#!lua name=<lib>`; running it calls
//! `redis.register_function` for each function (by position, or with a table of named
//! arguments: `function_name`, `callback`, `flags`, `description`). While it loads the code
//! sees only that part of the API; its functions later run as scripts do, with `(keys, args)`
//! as arguments. Invariant: `owner` maps every registered function name to the library that
//! holds it, and nothing else.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use bytes::Bytes;
use indexmap::IndexMap;
use mlua::{Function, Lua, MultiValue, Table, Value};
use shoal_common::ReplyError;

use super::api::raise;

/// Script flags (Redis `SCRIPT_FLAG_*`), in Redis's order with their names.
pub const FLAG_NAMES: [(u32, &str); 5] = [
    (NO_WRITES, "no-writes"),
    (ALLOW_OOM, "allow-oom"),
    (ALLOW_STALE, "allow-stale"),
    (NO_CLUSTER, "no-cluster"),
    (ALLOW_CROSS_SLOT, "allow-cross-slot-keys"),
];
/// `allow-cross-slot-keys`.
pub const ALLOW_CROSS_SLOT: u32 = 1 << 4;
/// `no-writes`.
pub const NO_WRITES: u32 = 1;
/// `allow-oom`.
pub const ALLOW_OOM: u32 = 1 << 1;
/// `allow-stale`.
pub const ALLOW_STALE: u32 = 1 << 2;
/// `no-cluster`.
pub const NO_CLUSTER: u32 = 1 << 3;

/// A registered function.
#[derive(Clone)]
pub struct FunctionDef {
    /// Its name.
    pub name: String,
    /// The Lua callback, held in the Lua registry (an mlua `Function` handle would hold one of
    /// the 8000 slots of mlua's reference stack for as long as the library is loaded).
    pub callback: Arc<mlua::RegistryKey>,
    /// `FLAG_NAMES` bits.
    pub flags: u32,
    /// Its description, if given.
    pub description: Option<String>,
}

/// A loaded library.
#[derive(Clone)]
pub struct Library {
    /// Its name.
    pub name: String,
    /// The code, shebang included.
    pub code: Bytes,
    /// Its functions, in registration order.
    pub functions: IndexMap<String, FunctionDef>,
}

/// Every loaded library.
#[derive(Default, Clone)]
pub struct Functions {
    /// Libraries by name, in load order.
    pub libraries: IndexMap<String, Library>,
    /// Function name -> library name.
    pub owner: HashMap<String, String>,
}

impl Functions {
    /// The function called `name`.
    pub fn get(&self, name: &str) -> Option<&FunctionDef> {
        let lib = self.owner.get(name)?;
        self.libraries.get(lib)?.functions.get(name)
    }

    /// Number of functions.
    pub fn count(&self) -> usize {
        self.owner.len()
    }

    /// Removes a library and its functions.
    pub fn remove(&mut self, name: &str) -> Option<Library> {
        let lib = self.libraries.shift_remove(name)?;
        for f in lib.functions.keys() {
            self.owner.remove(f);
        }
        Some(lib)
    }

    /// Adds a library; the caller checked name collisions.
    pub fn insert(&mut self, lib: Library) {
        for f in lib.functions.keys() {
            self.owner.insert(f.clone(), lib.name.clone());
        }
        self.libraries.insert(lib.name.clone(), lib);
    }
}

/// What `redis.register_function` collects while a library loads.
pub type Registry = Arc<Mutex<Option<Vec<FunctionDef>>>>;

/// Letters, digits and underscores, at least one (Redis `functionsVerifyName`).
pub fn valid_name(name: &str) -> bool {
    !name.is_empty() && name.bytes().all(|c| c.is_ascii_alphanumeric() || c == b'_')
}

/// The library name from the `#!<engine> name=<lib>` first line (Redis
/// `functionExtractLibMetaData`).
pub fn parse_metadata(code: &[u8]) -> Result<String, ReplyError> {
    if !code.starts_with(b"#!") {
        return Err(ReplyError::err("Missing library metadata"));
    }
    let Some(end) = code.iter().position(|&c| c == b'\n') else {
        return Err(ReplyError::err("Invalid library metadata"));
    };
    let parts = shoal_common::resp::decode::split_args(&code[..end])
        .filter(|p| !p.is_empty())
        .ok_or_else(|| ReplyError::err("Invalid library metadata"))?;
    let engine = String::from_utf8_lossy(&parts[0][2..]).into_owned();
    let mut name = None;
    for p in &parts[1..] {
        match p.strip_prefix(b"name=") {
            Some(_) if name.is_some() => {
                return Err(ReplyError::err(
                    "Invalid metadata value, name argument was given multiple times",
                ));
            }
            Some(n) => name = Some(String::from_utf8_lossy(n).into_owned()),
            None => {
                return Err(ReplyError::err(format!(
                    "Invalid metadata value given: {}",
                    String::from_utf8_lossy(p)
                )));
            }
        }
    }
    let Some(name) = name else {
        return Err(ReplyError::err("Library name was not given"));
    };
    if !engine.eq_ignore_ascii_case("lua") {
        return Err(ReplyError::err(format!("Engine '{engine}' not found")));
    }
    Ok(name)
}

fn read_flags(v: &Value) -> Result<u32, String> {
    let Value::Table(t) = v else {
        return Err(
            "flags argument to redis.register_function must be a table representing function flags"
                .into(),
        );
    };
    let mut flags = 0;
    for pair in t.pairs::<Value, Value>() {
        let known = match pair {
            Ok((_, Value::String(s))) => {
                let s = s.to_string_lossy();
                FLAG_NAMES
                    .iter()
                    .find(|(_, n)| *n == s)
                    .map(|(bit, _)| *bit)
            }
            _ => None,
        };
        flags |= known.ok_or("unknown flag given")?;
    }
    Ok(flags)
}

fn named_args(lua: &Lua, t: &Table) -> Result<FunctionDef, String> {
    let (mut name, mut callback, mut flags, mut description) = (None, None, 0, None);
    for pair in t.pairs::<Value, Value>() {
        let (k, v) = pair.map_err(|e| e.to_string())?;
        let Value::String(k) = k else {
            return Err(
                "named argument key given to redis.register_function is not a string".into(),
            );
        };
        match (k.to_string_lossy().as_str(), v) {
            ("function_name", Value::String(s)) => name = Some(s.to_string_lossy()),
            ("function_name", _) => {
                return Err(
                    "function_name argument given to redis.register_function must be a string"
                        .into(),
                );
            }
            ("description", Value::String(s)) => description = Some(s.to_string_lossy()),
            ("description", _) => {
                return Err(
                    "description argument given to redis.register_function must be a string".into(),
                );
            }
            ("callback", Value::Function(f)) => callback = Some(f),
            ("callback", _) => {
                return Err(
                    "callback argument given to redis.register_function must be a function".into(),
                );
            }
            ("flags", v) => flags = read_flags(&v)?,
            _ => return Err("unknown argument given to redis.register_function".into()),
        }
    }
    let name = name.ok_or("redis.register_function must get a function name argument")?;
    let callback = callback.ok_or("redis.register_function must get a callback argument")?;
    Ok(FunctionDef {
        name,
        callback: hold(lua, callback)?,
        flags,
        description,
    })
}

/// `f` kept in the Lua registry.
fn hold(lua: &Lua, f: Function) -> Result<Arc<mlua::RegistryKey>, String> {
    lua.create_registry_value(f)
        .map(Arc::new)
        .map_err(|e| e.to_string())
}

fn register_args(lua: &Lua, args: &MultiValue) -> Result<FunctionDef, String> {
    match args.len() {
        1 => match &args[0] {
            Value::Table(t) => named_args(lua, t),
            _ => Err("calling redis.register_function with a single argument is only applicable to Lua table (representing named arguments).".into()),
        },
        2 => {
            let name = match &args[0] {
                Value::String(s) => s.to_string_lossy(),
                Value::Integer(i) => i.to_string(),
                _ => return Err("first argument to redis.register_function must be a string".into()),
            };
            let Value::Function(f) = &args[1] else {
                return Err("second argument to redis.register_function must be a function".into());
            };
            Ok(FunctionDef {
                name,
                callback: hold(lua, f.clone())?,
                flags: 0,
                description: None,
            })
        }
        _ => Err("wrong number of arguments to redis.register_function".into()),
    }
}

/// `redis.register_function`, available while a library loads.
pub fn register_function(lua: &Lua, registry: &Registry) -> mlua::Result<Function> {
    let registry = Arc::clone(registry);
    lua.create_function(move |lua, args: MultiValue| {
        let mut guard = registry.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        let Some(list) = guard.as_mut() else {
            return Err(raise(
                "ERR redis.register_function can only be called on FUNCTION LOAD command",
            ));
        };
        let def = register_args(lua, &args).map_err(|e| raise(format!("ERR {e}")))?;
        if !valid_name(&def.name) {
            // Redis 7.0 says "Library names" here too.
            return Err(raise("ERR Library names can only contain letters, numbers, or underscores(_) and must be at least one character long"));
        }
        if list.iter().any(|f| f.name == def.name) {
            return Err(raise("ERR Function already exists in the library"));
        }
        list.push(def);
        Ok(())
    })
}

impl super::Scripting {
    /// FUNCTION LOAD: compiles and runs a library, keeping the functions it registers
    /// (Redis `functionsCreateWithLibraryCtx`). Returns the library name.
    pub fn load_library(&mut self, code: &Bytes, replace: bool) -> Result<String, ReplyError> {
        let name = parse_metadata(code)?;
        if !valid_name(&name) {
            return Err(ReplyError::err(
                "Library names can only contain letters, numbers, or underscores(_) and must be at least one character long",
            ));
        }
        if !replace && self.functions.libraries.contains_key(&name) {
            return Err(ReplyError::err(format!("Library '{name}' already exists")));
        }
        // The shebang line is skipped but its line feed kept, so line numbers stay the user's.
        let newline = code.iter().position(|&c| c == b'\n').unwrap_or(code.len());
        let body = self
            .lua
            .load(&code[newline..])
            .set_name("@user_function")
            .set_environment(self.fenv.clone())
            .into_function()
            .map_err(|e| {
                let msg = match e {
                    mlua::Error::SyntaxError { message, .. } => message,
                    other => other.to_string(),
                };
                ReplyError::err(format!("Error compiling function: {msg}"))
            })?;
        *self
            .registry
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner) = Some(Vec::new());
        let started = std::time::Instant::now();
        let hook = self.lua.set_hook(
            mlua::HookTriggers::new().every_nth_instruction(super::busy::HOOK_INSTRUCTIONS),
            move |_, _| {
                if started.elapsed() > LOAD_TIMEOUT {
                    return Err(raise("ERR FUNCTION LOAD timeout"));
                }
                Ok(mlua::VmState::Continue)
            },
        );
        let ran = self.load_runner.call::<(bool, Value)>(body);
        if hook.is_ok() {
            super::run::install_hook(&self.lua, &self.hooks);
        }
        let defs = self
            .registry
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .take()
            .unwrap_or_default();
        let failure = match ran {
            Err(e) => Some(super::api::innermost_message(&e)),
            Ok((false, Value::Table(t))) => Some(t.raw_get::<String>("err").unwrap_or_default()),
            Ok((false, _)) => Some(String::new()),
            Ok((true, _)) => None,
        };
        if let Some(msg) = failure {
            return Err(ReplyError::err(format!(
                "Error registering functions: {msg}"
            )));
        }
        if defs.is_empty() {
            return Err(ReplyError::err("No functions registered"));
        }
        for d in &defs {
            if self
                .functions
                .owner
                .get(&d.name)
                .is_some_and(|lib| *lib != name)
            {
                return Err(ReplyError::err(format!(
                    "Function {} already exists",
                    d.name
                )));
            }
        }
        self.functions.remove(&name);
        self.functions.insert(Library {
            name: name.clone(),
            code: code.clone(),
            functions: defs.into_iter().map(|d| (d.name.clone(), d)).collect(),
        });
        Ok(name)
    }
}

/// How long a library body may run while it loads (Redis: 500 ms).
const LOAD_TIMEOUT: std::time::Duration = std::time::Duration::from_millis(500);
