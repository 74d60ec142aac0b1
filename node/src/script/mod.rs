//! Lua scripting: the embedded Lua 5.1 VM, the script cache and EVAL (Redis `eval.c`,
//! `script_lua.c`, `script.c`).
//!
//! One VM per node, owned by the executor ([`Scripting`] lives in `Server`), so a script runs
//! atomically: nothing else touches the node until it returns. The VM is built as Redis
//! builds its own: base, table, string, math and coroutine libraries, plus `bit` ([`libs`]),
//! `cjson` ([`cjson`]), `cmsgpack` ([`cmsgpack`]), `struct` ([`lstruct`]), the `redis` table and a read-only global view (`prelude.lua`): creating globals or
//! changing a library fails with `Attempt to modify a readonly table`, reading a missing
//! global fails with `Script attempted to access nonexistent global variable`.
//!
//! Invariants: every cached script was compiled in the current VM (SCRIPT FLUSH replaces the
//! VM and empties the cache together); `running` is `Some` only while a script runs.

pub mod api;
pub mod busy;
pub mod cjson;
pub mod clib;
pub mod cmsgpack;
pub mod convert;
pub mod function;
pub mod libs;
pub mod lstruct;
pub mod run;

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::AtomicU64;

use bytes::Bytes;
use mlua::{Function, Lua, LuaOptions, StdLib, Table};
use shoal_common::ReplyError;
use shoal_common::command::CommandSpec;

/// The prelude that builds the `redis` table and the sandbox.
const PRELUDE: &str = include_str!("prelude.lua");

/// A compiled script.
pub struct Script {
    /// The compiled body (run in the read-only environment), held in the Lua registry: an
    /// mlua `Function` handle would take one of the 8000 slots of mlua's reference stack for
    /// as long as the script is cached, and the VM panics once they run out.
    pub func: mlua::RegistryKey,
    /// The source, as given to EVAL or SCRIPT LOAD.
    pub body: Bytes,
    /// The `#!lua flags=...` of its shebang line (`function::FLAG_NAMES` bits); `None`
    /// without a shebang (Redis's compatibility mode).
    pub flags: Option<u32>,
}

/// The scripting engine of one node.
pub struct Scripting {
    /// The VM.
    pub lua: Lua,
    /// Compiled scripts by lowercase SHA-1 hex.
    pub scripts: HashMap<String, Script>,
    /// Total size of the cached bodies (INFO `used_memory_scripts_eval`).
    pub bodies_bytes: usize,
    /// The read-only global view scripts run in.
    env: Table,
    /// `xpcall(f, __redis__err__handler)`.
    runner: Function,
    /// The table the prelude's `redis.call` wrappers look their Rust side up in.
    hooks: Table,
    /// The script running now, if any.
    pub running: Option<run::Running>,
    /// The loaded function libraries.
    pub functions: function::Functions,
    /// The view functions run in.
    fenv: Table,
    /// Runs a library body with the load API in view.
    load_runner: Function,
    /// Calls a function with `(keys, args)` under the error handler.
    fn_runner: Function,
    /// What `redis.register_function` collects during FUNCTION LOAD.
    registry: function::Registry,
    /// The settings of the `cjson` scripts see (SCRIPT FLUSH resets them, as Redis's new
    /// VM would have them).
    cjson_config: cjson::Shared,
}

impl std::fmt::Debug for Scripting {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Scripting")
            .field("scripts", &self.scripts.len())
            .field("running", &self.running.is_some())
            .finish_non_exhaustive()
    }
}

impl Default for Scripting {
    fn default() -> Self {
        Scripting::new()
    }
}

/// What the prelude returns.
struct Views {
    env: Table,
    runner: Function,
    hooks: Table,
    fenv: Table,
    load_runner: Function,
    fn_runner: Function,
    cjson_config: cjson::Shared,
}

impl Scripting {
    /// `spec`'s flags for this call (Redis `getCommandFlags`): for EVAL*, EVALSHA* and
    /// FCALL* of a script that declared flags (a shebang, or any function), the command's
    /// write / deny-oom / stale flags come from the script's ([`flags_as_command`]); a script
    /// without a shebang, or one not loaded, keeps the command's own.
    pub fn command_flags(&self, spec: &CommandSpec, argv: &[Bytes]) -> u64 {
        use shoal_common::command::CommandId;
        let own = spec.flags.0;
        let declared = match spec.id {
            // The flags come from the body itself, loaded or not (no hashing needed).
            CommandId::Eval | CommandId::EvalRo => {
                shebang_flags(&argv[1]).ok().and_then(|(f, _)| f)
            }
            CommandId::Evalsha | CommandId::EvalshaRo if argv[1].len() == 40 => {
                let sha = String::from_utf8_lossy(&argv[1]).to_ascii_lowercase();
                self.scripts.get(&sha).and_then(|s| s.flags)
            }
            CommandId::Fcall | CommandId::FcallRo => self
                .functions
                .get(&String::from_utf8_lossy(&argv[1]))
                .map(|d| d.flags),
            _ => None,
        };
        declared.map_or(own, |d| flags_as_command(own, d))
    }
}

/// A command's flags with a script's declared flags in place of its write / deny-oom /
/// stale ones (Redis `scriptFlagsToCmdFlags`): `no-writes` makes it a read (which implies
/// `allow-oom`), `allow-stale` lets it run on a replica with stale data; and it is no longer
/// `may-replicate`, since the flags tell whether it writes.
pub fn flags_as_command(cmd_flags: u64, script_flags: u32) -> u64 {
    use shoal_common::command::flags::{DENYOOM, MAY_REPLICATE, STALE, WRITE};
    let mut f = cmd_flags & !(STALE | DENYOOM | WRITE | MAY_REPLICATE);
    if script_flags & (function::ALLOW_OOM | function::NO_WRITES) == 0 {
        f |= DENYOOM;
    }
    if script_flags & function::NO_WRITES == 0 {
        f |= WRITE;
    }
    if script_flags & function::ALLOW_STALE != 0 {
        f |= STALE;
    }
    f
}

/// Lowercase SHA-1 hex of `body` (Redis `sha1hex`).
pub fn sha1_hex(body: &[u8]) -> String {
    sha1_smol::Sha1::from(body).digest().to_string()
}

/// The flags of an EVAL script's `#!lua flags=a,b` first line and that line's length
/// (without its newline); `(None, 0)` without a shebang (Redis `evalExtractShebangFlags`).
pub fn shebang_flags(body: &[u8]) -> Result<(Option<u32>, usize), ReplyError> {
    if !body.starts_with(b"#!") {
        return Ok((None, 0));
    }
    let Some(end) = body.iter().position(|&c| c == b'\n') else {
        return Err(ReplyError::err("Invalid script shebang"));
    };
    let lossy = |b: &[u8]| String::from_utf8_lossy(b).into_owned();
    let parts = shoal_common::resp::decode::split_args(&body[..end])
        .filter(|p| !p.is_empty())
        .ok_or_else(|| ReplyError::err("Invalid engine in script shebang"))?;
    if parts[0].as_ref() != b"#!lua" {
        return Err(ReplyError::err(format!(
            "Unexpected engine in script shebang: {}",
            lossy(&parts[0])
        )));
    }
    let mut flags = 0;
    for p in &parts[1..] {
        let Some(list) = p.strip_prefix(b"flags=") else {
            return Err(ReplyError::err(format!(
                "Unknown lua shebang option: {}",
                lossy(p)
            )));
        };
        if list.is_empty() {
            continue;
        }
        for name in list.split(|c| *c == b',') {
            let Some((bit, _)) = function::FLAG_NAMES
                .iter()
                .find(|(_, n)| n.as_bytes() == name)
            else {
                return Err(ReplyError::err(format!(
                    "Unexpected flag in script shebang: {}",
                    lossy(name)
                )));
            };
            flags |= bit;
        }
    }
    Ok((Some(flags), end))
}

impl Scripting {
    /// A fresh VM with an empty cache.
    pub fn new() -> Scripting {
        // lrand48 state of `math.random`: Redis never reseeds it per script or on SCRIPT FLUSH.
        let rand = Arc::new(AtomicU64::new(libs::LRAND48_INITIAL));
        let libs = StdLib::TABLE | StdLib::STRING | StdLib::MATH;
        let lua = Lua::new_with(libs, LuaOptions::new())
            .expect("invariant: the Lua VM and its standard libraries load");
        let registry = function::Registry::default();
        let v = Self::init(&lua, &rand, &registry).expect("invariant: the scripting prelude runs");
        run::install_hook(&lua, &v.hooks);
        Scripting {
            lua,
            scripts: HashMap::new(),
            bodies_bytes: 0,
            env: v.env,
            runner: v.runner,
            hooks: v.hooks,
            running: None,
            functions: function::Functions::default(),
            fenv: v.fenv,
            load_runner: v.load_runner,
            fn_runner: v.fn_runner,
            registry,
            cjson_config: v.cjson_config,
        }
    }

    fn init(
        lua: &Lua,
        rand: &Arc<AtomicU64>,
        registry: &function::Registry,
    ) -> mlua::Result<Views> {
        libs::load_bit(lua)?;
        // Scripts and functions have their own `cjson` (Redis runs them in two VMs).
        let (eval_cjson, cjson_config) = cjson::module(lua)?;
        lua.globals().raw_set("cjson", eval_cjson)?;
        lua.globals().raw_set("cmsgpack", cmsgpack::module(lua)?)?;
        lua.globals().raw_set("struct", lstruct::module(lua)?)?;
        let hooks = lua.create_table()?;
        hooks.raw_set("version", crate::cmd::connection::REDIS_VERSION)?;
        hooks.raw_set("version_num", libs::version_num())?;
        hooks.raw_set("resp", 2)?;
        hooks.raw_set("repl", 3)?;
        let rust = lua.create_table()?;
        rust.raw_set("err_handler", lua.create_function(run::err_handler)?)?;
        rust.raw_set("call", api::redis_call(lua, &hooks, false)?)?;
        rust.raw_set("pcall", api::redis_call(lua, &hooks, true)?)?;
        rust.raw_set("setresp", api::setresp(lua, &hooks)?)?;
        rust.raw_set("set_repl", api::set_repl(lua, &hooks)?)?;
        rust.raw_set("log", api::log(lua)?)?;
        rust.raw_set("sha1hex", api::sha1hex(lua)?)?;
        rust.raw_set("random", api::random(lua, rand)?)?;
        rust.raw_set("randomseed", api::randomseed(lua, rand)?)?;
        rust.raw_set("pcall_error", api::pcall_error_value(lua)?)?;
        rust.raw_set(
            "register_function",
            function::register_function(lua, registry)?,
        )?;
        rust.raw_set("fn_cjson", cjson::module(lua)?.0)?;
        let (env, runner, fenv, load_runner, fn_runner) = lua
            .load(PRELUDE)
            .set_name(run::INTERNAL_SOURCE)
            .call((hooks.clone(), rust))?;
        Ok(Views {
            env,
            runner,
            hooks,
            fenv,
            load_runner,
            fn_runner,
            cjson_config,
        })
    }

    /// Compiles `body` and caches it under its SHA-1 (Redis `luaCreateFunction`); returns the
    /// SHA-1. A body already cached is not compiled again.
    pub fn create(&mut self, body: &Bytes) -> Result<String, ReplyError> {
        let sha = sha1_hex(body);
        if self.scripts.contains_key(&sha) {
            return Ok(sha);
        }
        let (flags, shebang_len) = shebang_flags(body)?;
        // The shebang line is skipped, its newline kept (line numbers stay the user's).
        let func = self
            .lua
            .load(&body[shebang_len..])
            .set_name("@user_script")
            .set_environment(self.env.clone())
            .into_function()
            .map_err(|e| {
                let msg = match e {
                    mlua::Error::SyntaxError { message, .. } => message,
                    other => other.to_string(),
                };
                ReplyError::err(format!("Error compiling script (new function): {msg}"))
            })?;
        let func = self
            .lua
            .create_registry_value(func)
            .map_err(|e| ReplyError::err(format!("Error compiling script (new function): {e}")))?;
        self.bodies_bytes += body.len();
        self.scripts.insert(
            sha.clone(),
            Script {
                func,
                body: body.clone(),
                flags,
            },
        );
        Ok(sha)
    }

    /// SCRIPT FLUSH: an empty script cache (the compiled scripts are collected; functions
    /// stay) and the scripts' `cjson` settings back to their defaults.
    pub fn flush(&mut self) {
        self.scripts.clear();
        self.lua.expire_registry_values();
        self.bodies_bytes = 0;
        cjson::reset(&self.cjson_config);
        let _ = self.lua.gc_collect();
    }

    /// Bytes the VM uses (INFO `used_memory_lua`).
    pub fn used_memory(&self) -> usize {
        self.lua.used_memory()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_vm_builds_and_caches_scripts() {
        let mut s = Scripting::new();
        let sha = s
            .create(&Bytes::from_static(b"return 1"))
            .expect("compiles");
        assert_eq!(sha, "e0e1f9fabfc9d4800c877a703b823ac0578ff8db");
        assert!(s.scripts.contains_key(&sha));
        let err = s
            .create(&Bytes::from_static(b"return ("))
            .expect_err("syntax error");
        assert!(
            err.to_string()
                .starts_with("ERR Error compiling script (new function): user_script:1:"),
            "{err}"
        );
        s.flush();
        assert!(s.scripts.is_empty());
    }

    #[test]
    fn shebang_flags_are_parsed_as_redis() {
        assert_eq!(shebang_flags(b"return 1").ok(), Some((None, 0)));
        assert_eq!(shebang_flags(b"#!lua\nreturn 1").ok(), Some((Some(0), 5)));
        assert_eq!(
            shebang_flags(b"#!lua flags=no-writes,allow-cross-slot-keys\n").ok(),
            Some((Some(function::NO_WRITES | function::ALLOW_CROSS_SLOT), 43))
        );
        let err = |b: &[u8]| shebang_flags(b).expect_err("refused").to_string();
        assert_eq!(err(b"#!lua"), "ERR Invalid script shebang");
        assert_eq!(
            err(b"#!lua flags=x\n"),
            "ERR Unexpected flag in script shebang: x"
        );
        assert_eq!(
            err(b"#!py\n"),
            "ERR Unexpected engine in script shebang: #!py"
        );
        assert_eq!(err(b"#!lua a=b\n"), "ERR Unknown lua shebang option: a=b");
    }
}
