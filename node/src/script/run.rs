//! Running a script: EVAL / EVALSHA and their `_RO` forms (Redis `evalGenericCommand`,
//! `luaCallFunction`, `scriptCall`).
//!
//! The script's `redis.call` reaches the node through a Lua scope: a Rust closure that
//! borrows the command's [`Ctx`] for exactly the duration of the script. The commands it runs
//! pass the script gate ([`script_command`]: unknown command, arity, `noscript`, writes in a
//! read-only script, cluster ownership, same slot) and then the ordinary [`Server::call`],
//! so statistics, keyspace notifications, WATCH invalidation and replication are those of any
//! command. They run as the caller's client with its database and protocol switched to the
//! script's, and with blocking denied (a blocking command answers at once).
//!
//! Replication is by effects (Redis 7.0): the writes the script made reach replicas, wrapped
//! in MULTI/EXEC when there are several.

use std::cell::RefCell;
use std::time::Instant;

use bytes::Bytes;
use mlua::{
    Function, HookTriggers, IntoLuaMulti, Lua, MultiValue, Table, Value, Variadic, VmState,
};
use shoal_common::command::{self, Resolved, flags};
use shoal_common::number::format_g;
use shoal_common::resp::Protocol;
use shoal_common::slot::key_hash_slot;
use shoal_common::{Frame, ReplyError};

use super::busy::{HOOK_INSTRUCTIONS, KILLED};
use super::convert::{error_table, frame_to_lua, lua_to_frame};
use crate::exec::Ctx;

/// State of the script running now.
#[derive(Debug)]
pub struct Running {
    /// When it started.
    pub started: Instant,
    /// EVAL_RO / EVALSHA_RO: writes are refused.
    pub read_only: bool,
    /// It has run a write command (SCRIPT KILL answers UNKILLABLE).
    pub wrote: bool,
    /// The slot of the keys it declared or first touched (cluster mode).
    pub slot: Option<usize>,
    /// SCRIPT KILL asked to stop it.
    pub kill: bool,
    /// Writes to send to replicas once it ends: (db, argv).
    pub propagated: Vec<(usize, Vec<Bytes>)>,
    /// `redis.set_repl` flags (bit 2: replicas).
    pub repl_flags: i64,
    /// It ran past `busy-reply-threshold`: other clients get BUSY.
    pub timed_out: bool,
    /// The line the last hook call saw.
    pub line: i64,
    /// Sent by our primary (SCRIPT KILL answers UNKILLABLE).
    pub from_master: bool,
    /// The function's name when FCALL runs one.
    pub function: Option<String>,
    /// The command that runs it (FUNCTION STATS).
    pub command: Vec<Bytes>,
    /// Keys of several slots may be touched (EVAL scripts, which run in Redis's
    /// compatibility mode; functions flagged `allow-cross-slot-keys`).
    pub allow_cross_slot: bool,
    /// Flagged `allow-oom`: its writes run over `maxmemory`.
    pub allow_oom: bool,
    /// When the hook last handed the worker's other tasks to another thread (a script
    /// that runs for long; see [`super::busy::release_worker`]).
    pub released_at: Option<Instant>,
}

/// The chunk name of the prelude: its frames are skipped when an error gets its position.
pub const INTERNAL_SOURCE: &str = "=shoal";

/// (what, source, current line) of the function at stack `level`.
fn frame_at(lua: &Lua, level: usize) -> Option<(String, Option<String>, i64)> {
    lua.inspect_stack(level, |d| {
        let s = d.source();
        let line = d
            .current_line()
            .map_or(-1, |l| i64::try_from(l).unwrap_or(-1));
        (s.what.to_string(), s.source.map(|x| x.into_owned()), line)
    })
}

/// Redis `__redis__err__handler`: a string error becomes `{err='ERR ...'}`, and the error
/// table gets the `source` and `line` of the user code that raised it (the function that
/// raised it, or its caller when that is a C function; prelude frames are skipped).
pub fn err_handler(lua: &Lua, err: Value) -> mlua::Result<Value> {
    // Level 0 is this handler.
    let mut level = 1;
    let mut info = frame_at(lua, level);
    if info.as_ref().is_some_and(|i| i.0 == "C") {
        level = 2;
        info = frame_at(lua, level);
    }
    while info
        .as_ref()
        .is_some_and(|i| i.1.as_deref() == Some(INTERNAL_SOURCE))
    {
        level += 1;
        info = frame_at(lua, level);
        if info.as_ref().is_some_and(|i| i.0 == "C") {
            level += 1;
            info = frame_at(lua, level);
        }
    }
    let t = match err {
        Value::Table(t) => t,
        Value::Error(e) => {
            let text = match super::api::find_lua_err(&e) {
                Some(le) => le.0.clone(),
                None => format!("ERR {}", super::api::innermost_message(&e)),
            };
            let t = lua.create_table()?;
            t.raw_set("err", text)?;
            t
        }
        other => {
            let text: mlua::String = lua.globals().raw_get::<Function>("tostring")?.call(other)?;
            let mut msg = b"ERR ".to_vec();
            msg.extend_from_slice(&text.as_bytes());
            let t = lua.create_table()?;
            t.raw_set("err", lua.create_string(msg)?)?;
            t
        }
    };
    if let Some((_, source, line)) = info {
        t.set("source", source)?;
        t.set("line", line)?;
    }
    Ok(Value::Table(t))
}

/// EVAL, EVALSHA, EVAL_RO, EVALSHA_RO.
pub fn eval_command(
    ctx: &mut Ctx<'_>,
    argv: &[Bytes],
    by_sha: bool,
    read_only: bool,
) -> Result<Frame, ReplyError> {
    let numkeys = shoal_common::number::parse_i64(&argv[2]).ok_or(ReplyError::NotInteger)?;
    if numkeys > i64::try_from(argv.len() - 3).unwrap_or(i64::MAX) {
        return Err(ReplyError::err(
            "Number of keys can't be greater than number of args",
        ));
    }
    let numkeys = usize::try_from(numkeys)
        .map_err(|_| ReplyError::err("Number of keys can't be negative"))?;
    let sha = if by_sha {
        if argv[1].len() != 40 {
            return Err(ReplyError::NoScript);
        }
        String::from_utf8_lossy(&argv[1]).to_ascii_lowercase()
    } else {
        super::sha1_hex(&argv[1])
    };
    let scripting = &mut ctx.srv.scripting;
    if !scripting.scripts.contains_key(&sha) {
        if by_sha {
            return Err(ReplyError::NoScript);
        }
        scripting.create(&argv[1])?;
    }
    let script = &scripting.scripts[&sha];
    let flags = script.flags;
    let func: Function = scripting
        .lua
        .registry_value(&script.func)
        .map_err(|e| ReplyError::err(e.to_string()))?;
    let read_only = match flags {
        // Redis's compatibility mode runs with EVAL's own flags, `stale` among them, but
        // is refused on a replica that must not serve stale data (`scriptPrepareForRun`).
        None if ctx.srv.must_not_serve_stale() => {
            return Err(ReplyError::other(crate::exec::pipeline::MASTERDOWN));
        }
        None => read_only,
        Some(flags) => script_flags_check(ctx, flags, read_only)?,
    };
    run_script(
        ctx,
        &Target::Script(func, flags),
        &sha,
        argv,
        numkeys,
        read_only,
    )
}

/// A flagged script without `allow-stale` on a replica that must not serve stale data (the
/// gate refuses it first; this is `scriptPrepareForRun`'s own check).
const STALE_NOT_ALLOWED: &str = "MASTERDOWN Link with MASTER is down, replica-serve-stale-data \
                                 is set to 'no' and 'allow-stale' flag is not set.";

/// The checks of a script that declared flags (Redis `scriptPrepareForRun`); answers whether
/// it runs read-only.
fn script_flags_check(ctx: &Ctx<'_>, flags: u32, read_only: bool) -> Result<bool, ReplyError> {
    use super::function::{ALLOW_STALE, NO_CLUSTER, NO_WRITES};
    if flags & NO_CLUSTER != 0 && ctx.srv.cluster_enabled() {
        return Err(ReplyError::err(
            "Can not run script on cluster, 'no-cluster' flag is set.",
        ));
    }
    if flags & ALLOW_STALE == 0 && ctx.srv.must_not_serve_stale() {
        return Err(ReplyError::other(STALE_NOT_ALLOWED));
    }
    let writes = flags & NO_WRITES == 0;
    if writes {
        if !ctx.client.is_master
            && ctx.srv.repl.is_replica()
            && ctx.srv.config.get_bool("replica-read-only")
        {
            return Err(ReplyError::other(
                "READONLY Can not run script with write flag on readonly replica",
            ));
        }
        if read_only {
            return Err(ReplyError::err(
                "Can not execute a script with write flag using *_ro command.",
            ));
        }
    }
    Ok(read_only || !writes)
}

/// FCALL and FCALL_RO (Redis `fcallCommandGeneric`).
pub fn fcall_command(
    ctx: &mut Ctx<'_>,
    argv: &[Bytes],
    read_only: bool,
) -> Result<Frame, ReplyError> {
    let name = String::from_utf8_lossy(&argv[1]).into_owned();
    let Some(def) = ctx.srv.scripting.functions.get(&name) else {
        return Err(ReplyError::err("Function not found"));
    };
    let flags = def.flags;
    let callback: Function = ctx
        .srv
        .scripting
        .lua
        .registry_value(&def.callback)
        .map_err(|e| ReplyError::err(e.to_string()))?;
    let numkeys = shoal_common::number::parse_i64(&argv[2])
        .ok_or_else(|| ReplyError::err("Bad number of keys provided"))?;
    if numkeys > i64::try_from(argv.len() - 3).unwrap_or(i64::MAX) {
        return Err(ReplyError::err(
            "Number of keys can't be greater than number of args",
        ));
    }
    let numkeys = usize::try_from(numkeys)
        .map_err(|_| ReplyError::err("Number of keys can't be negative"))?;
    let read_only = script_flags_check(ctx, flags, read_only)?;
    let target = Target::Function(callback, name.clone());
    run_script(ctx, &target, &name, argv, numkeys, read_only)
}

/// What the caller's client had before the script switched it.
struct Saved {
    db: usize,
    protocol: Protocol,
    deny_blocking: bool,
    last_cmd: &'static str,
}

/// What the runner is called with.
enum CallArgs<'a> {
    /// An EVAL script, its key count, then its keys and arguments, all valid UTF-8 (nearly
    /// always): pushed onto the Lua stack directly, and the prelude's runner builds KEYS and
    /// ARGV from them in Lua, with no mlua handle per value.
    Text(Function, usize, Variadic<&'a str>),
    /// Anything else, as values.
    Values(MultiValue),
}

/// `t[i] = b` as a Lua string. Valid UTF-8 (nearly every key and argument) goes onto the Lua
/// stack directly; other bytes need an mlua string handle, which costs a reference-slot
/// round trip (a lock, a registry write and its release).
fn set_bytes(lua: &Lua, t: &Table, i: usize, b: &[u8]) -> mlua::Result<()> {
    match std::str::from_utf8(b) {
        Ok(s) => t.raw_set(i, s),
        Err(_) => t.raw_set(i, lua.create_string(b)?),
    }
}

/// What a run calls.
pub enum Target {
    /// An EVAL script: KEYS and ARGV are globals; the flags its shebang declared (`None`:
    /// none, Redis's compatibility mode, which may touch keys of several slots).
    Script(Function, Option<u32>),
    /// A function (FCALL), named: called with `(keys, args)`.
    Function(Function, String),
}

/// The runner and its arguments for `target`.
fn prepare<'a>(
    lua: &Lua,
    sc: &super::Scripting,
    target: &Target,
    keys: &'a [Bytes],
    args: &'a [Bytes],
) -> mlua::Result<(Function, CallArgs<'a>)> {
    match target {
        Target::Script(f, _) => {
            let all = || keys.iter().chain(args);
            let text: Option<Vec<&str>> = all().map(|b| std::str::from_utf8(b).ok()).collect();
            let call_args = match text {
                Some(t) => CallArgs::Text(f.clone(), keys.len(), Variadic::from(t)),
                None => {
                    let mut values = vec![
                        Value::Function(f.clone()),
                        Value::Integer(keys.len() as i64),
                    ];
                    for b in all() {
                        values.push(Value::String(lua.create_string(b)?));
                    }
                    CallArgs::Values(MultiValue::from_vec(values))
                }
            };
            Ok((sc.runner.clone(), call_args))
        }
        Target::Function(f, _) => {
            let table = |items: &[Bytes]| -> mlua::Result<Table> {
                let t = lua.create_table_with_capacity(items.len(), 0)?;
                for (i, b) in items.iter().enumerate() {
                    set_bytes(lua, &t, i + 1, b)?;
                }
                Ok(t)
            };
            let call_args = (f.clone(), table(keys)?, table(args)?).into_lua_multi(lua)?;
            Ok((sc.fn_runner.clone(), CallArgs::Values(call_args)))
        }
    }
}

/// Runs a script or function with `keys` and `args` (Redis `luaCallFunction`); `name` is
/// what errors say it was (the SHA-1, or the function name).
fn run_script(
    ctx: &mut Ctx<'_>,
    target: &Target,
    name: &str,
    argv: &[Bytes],
    numkeys: usize,
    read_only: bool,
) -> Result<Frame, ReplyError> {
    let (keys, args) = argv[3..].split_at(numkeys);
    use super::function::{ALLOW_CROSS_SLOT, ALLOW_OOM};
    let declared = match target {
        Target::Script(_, flags) => *flags,
        Target::Function(_, n) => ctx.srv.scripting.functions.get(n).map(|d| d.flags),
    };
    let allow_cross_slot = declared.is_none_or(|f| f & ALLOW_CROSS_SLOT != 0);
    let allow_oom = declared.is_some_and(|f| f & ALLOW_OOM != 0);
    let lua = ctx.srv.scripting.lua.clone();
    let hooks = ctx.srv.scripting.hooks.clone();
    let (runner, call_args) = prepare(&lua, &ctx.srv.scripting, target, keys, args)
        .map_err(|e| ReplyError::err(format!("Error running script: {e}")))?;
    ctx.srv.scripting.running = Some(Running {
        started: Instant::now(),
        read_only,
        wrote: false,
        slot: keys.first().map(|k| key_hash_slot(k).index()),
        kill: false,
        propagated: Vec::new(),
        repl_flags: 3,
        timed_out: false,
        line: 0,
        from_master: ctx.client.is_master,
        function: match target {
            Target::Script(..) => None,
            Target::Function(_, n) => Some(n.clone()),
        },
        command: argv.to_vec(),
        allow_cross_slot,
        allow_oom,
        released_at: None,
    });
    let saved = Saved {
        db: ctx.client.db,
        protocol: ctx.client.protocol,
        deny_blocking: ctx.client.bstate.deny_blocking,
        last_cmd: ctx.client.last_cmd,
    };
    ctx.client.bstate.deny_blocking = true;
    let outcome = call_in_scope(ctx, &lua, &runner, &hooks, call_args);
    ctx.client.db = saved.db;
    ctx.client.protocol = saved.protocol;
    ctx.client.bstate.deny_blocking = saved.deny_blocking;
    ctx.client.last_cmd = saved.last_cmd;
    let killed_at = finish_run(ctx);
    let resp3 = hooks.raw_get::<i64>("resp").unwrap_or(2) == 3;
    let _ = hooks.raw_set("call", Value::Nil);
    let _ = hooks.raw_set("busy", Value::Nil);
    let source = match target {
        Target::Script(..) => "@user_script",
        Target::Function(..) => "@user_function",
    };
    if let Some(line) = killed_at {
        // Stopped by SCRIPT KILL (or SHUTDOWN) from the hook.
        let text = format!(
            "{} script: {name}, on {source}:{line}.",
            super::busy::KILLED
        );
        return Err(ReplyError::Other(text.into()));
    }
    match outcome {
        Ok(values) => script_outcome(&values, name, resp3),
        Err(e) => Err(ReplyError::err(format!(
            "Error running script {name}, {}",
            super::api::innermost_message(&e)
        ))),
    }
}

/// Ends the run: its writes go to replicas. Returns the line it was stopped at when SCRIPT
/// KILL (or SHUTDOWN) stopped it.
fn finish_run(ctx: &mut Ctx<'_>) -> Option<i64> {
    let run = ctx.srv.scripting.running.take()?;
    let killed = run.kill || (run.timed_out && ctx.srv.shutdown_requested);
    flush_propagation(ctx, run.propagated);
    killed.then_some(run.line)
}

/// The count hook (Redis `luaMaskCountHook`): every [`HOOK_INSTRUCTIONS`] instructions it
/// calls the run's `busy` function, and stops the script when that says so. Installed once,
/// when the VM is made (and again after FUNCTION LOAD used its own hook); outside a run
/// `hooks.busy` is unset and the hook does nothing.
pub fn install_hook(lua: &Lua, hooks: &Table) {
    let hooks = hooks.clone();
    let triggers = HookTriggers::new().every_nth_instruction(HOOK_INSTRUCTIONS);
    let r = lua.set_hook(triggers, move |_, debug| {
        let line = debug
            .current_line()
            .map_or(0, |l| i64::try_from(l).unwrap_or(0));
        let Ok(busy) = hooks.raw_get::<Function>("busy") else {
            return Ok(VmState::Continue);
        };
        if busy.call::<bool>(line)? {
            Err(mlua::Error::runtime(KILLED))
        } else {
            Ok(VmState::Continue)
        }
    });
    if let Err(e) = r {
        tracing::warn!("cannot install the script time hook: {e}");
    }
}

/// Calls `func` through the error-handling runner with `redis.call` bound to `ctx`.
fn call_in_scope(
    ctx: &mut Ctx<'_>,
    lua: &Lua,
    runner: &Function,
    hooks: &Table,
    call_args: CallArgs<'_>,
) -> mlua::Result<MultiValue> {
    let cell = RefCell::new(ctx);
    let redis: Table = hooks.raw_get("redis")?;
    let outside: (Value, Value) = (redis.raw_get("call")?, redis.raw_get("pcall")?);
    let result = lua.scope(|scope| {
        // redis.call / redis.pcall bound to this run, called by the script directly. (Not
        // through a Lua wrapper: a script's `return redis.call(...)` would then be a Lua tail
        // call, which drops the script's frame, and errors would lose their line.)
        let bound = |pcall: bool| {
            let cell = &cell;
            scope.create_function(move |lua, args: Variadic<Value>| {
                let Ok(mut ctx) = cell.try_borrow_mut() else {
                    return Err(super::api::raise("ERR redis.call re-entered"));
                };
                let (ok, v) = redis_call(lua, &mut ctx, hooks, &args)?;
                if ok || pcall {
                    return Ok(v);
                }
                let text = match &v {
                    Value::Table(t) => t.raw_get::<String>("err").unwrap_or_default(),
                    _ => String::new(),
                };
                Err(super::api::raise(text))
            })
        };
        redis.raw_set("call", bound(false)?)?;
        redis.raw_set("pcall", bound(true)?)?;
        let busy = scope.create_function(|_, line: i64| {
            let Ok(mut ctx) = cell.try_borrow_mut() else {
                return Ok(false);
            };
            let id = ctx.client.id;
            Ok(ctx.srv.script_busy_tick(id, line))
        })?;
        hooks.raw_set("busy", busy)?;
        match call_args {
            CallArgs::Text(f, nkeys, items) => runner.call::<MultiValue>((f, nkeys, items)),
            CallArgs::Values(values) => runner.call::<MultiValue>(values),
        }
    });
    // Outside the run they answer that they only work inside a script again.
    redis.raw_set("call", outside.0)?;
    redis.raw_set("pcall", outside.1)?;
    result
}

/// The reply of a finished script: its return value, or its error with the position
/// (`<msg> script: <sha>, on @user_script:<line>.`).
fn script_outcome(values: &MultiValue, sha: &str, resp3: bool) -> Result<Frame, ReplyError> {
    let ok = matches!(values.front(), Some(Value::Boolean(true)));
    let v = values.get(1).cloned().unwrap_or(Value::Nil);
    if ok {
        return Ok(lua_to_frame(&v, resp3));
    }
    let Value::Table(t) = v else {
        return Err(ReplyError::err(format!(
            "Error running script {sha}, execution failure"
        )));
    };
    let msg = match t.raw_get::<Value>("err") {
        Ok(Value::String(s)) => s.to_string_lossy(),
        _ => String::new(),
    };
    let source = t.raw_get::<Option<String>>("source").ok().flatten();
    let line = match t.raw_get::<Value>("line") {
        Ok(Value::Integer(i)) => Some(i.to_string()),
        Ok(Value::Number(n)) => Some(format_g(n, 14)),
        Ok(Value::String(s)) => Some(s.to_string_lossy()),
        _ => None,
    };
    let mut text = msg.replace(['\r', '\n'], " ");
    if let (Some(source), Some(line)) = (source, line) {
        text.push_str(&format!(" script: {sha}, on {source}:{line}."));
    }
    Err(ReplyError::Other(text.into()))
}

/// `redis.call` / `redis.pcall` (their prelude wrappers raise or return): `(true, reply)`, or
/// `(false, {err=...})`.
fn redis_call(
    lua: &Lua,
    ctx: &mut Ctx<'_>,
    hooks: &Table,
    args: &[Value],
) -> mlua::Result<(bool, Value)> {
    let fail = |text: &str| -> mlua::Result<(bool, Value)> {
        Ok((false, Value::Table(error_table(lua, text)?)))
    };
    if args.is_empty() {
        return fail("Please specify at least one argument for this redis lib call");
    }
    let mut argv = Vec::with_capacity(args.len());
    for a in args {
        match a {
            Value::String(s) => argv.push(Bytes::copy_from_slice(&s.as_bytes())),
            // Numbers travel as "%.17g" (Redis `luaArgsToRedisArgv`).
            Value::Integer(i) => argv.push(Bytes::from(format_g(*i as f64, 17))),
            Value::Number(n) => argv.push(Bytes::from(format_g(*n, 17))),
            _ => return fail("Lua redis lib command arguments must be strings or integers"),
        }
    }
    let resp3 = hooks.raw_get::<i64>("resp").unwrap_or(2) == 3;
    let repl = hooks.raw_get::<i64>("repl").unwrap_or(3);
    if let Some(run) = ctx.srv.scripting.running.as_mut() {
        run.repl_flags = repl;
    }
    match script_command(ctx, &argv, resp3) {
        Err(text) => fail(&text),
        Ok(frame) => {
            let is_err = matches!(frame, Frame::Error(_));
            Ok((!is_err, frame_to_lua(lua, frame, resp3)?))
        }
    }
}

/// The script gate, then the command (Redis `scriptCall`). `Err` is a gate refusal, as the
/// text `luaPushError` takes (`-CODE msg`, or a message that gets `ERR`).
fn script_command(ctx: &mut Ctx<'_>, argv: &[Bytes], resp3: bool) -> Result<Frame, String> {
    let spec = match command::resolve(argv) {
        Resolved::Found(spec) => spec,
        Resolved::NoSub(_) => {
            return Err("Wrong number of args calling Redis command from script".into());
        }
        Resolved::Unknown | Resolved::UnknownSub => {
            return Err("Unknown Redis command called from script".into());
        }
    };
    if !spec.arity_ok(argv.len()) {
        return Err("Wrong number of args calling Redis command from script".into());
    }
    if spec.has(flags::NOSCRIPT) {
        return Err("This Redis command is not allowed from script".into());
    }
    let run = ctx
        .srv
        .scripting
        .running
        .as_ref()
        .expect("invariant: redis.call runs inside a script");
    let (read_only, wrote, allow_oom) = (run.read_only, run.wrote, run.allow_oom);
    if read_only && spec.flags.0 & (flags::WRITE | flags::MAY_REPLICATE) != 0 {
        return Err("Write commands are not allowed from read-only scripts.".into());
    }
    // Once the script has written it cannot fail half-way on the server's state; before,
    // a write is refused as the gate would (Redis `scriptVerifyWriteCommandAllow`).
    let write = spec.has(flags::WRITE);
    if write && !wrote && !ctx.client.is_master {
        if ctx.srv.repl.is_replica() && ctx.srv.config.get_bool("replica-read-only") {
            return Err("-READONLY You can't write against a read only replica.".into());
        }
        if !ctx.srv.enough_good_replicas() {
            return Err(format!("-{}", crate::exec::pipeline::NOREPLICAS));
        }
    }
    // Over maxmemory when the script started, its first write that grows memory is refused;
    // after one, it cannot stop half-way (Redis `scriptVerifyOOM`).
    if !allow_oom
        && ctx.srv.evict.maxmemory != 0
        && !ctx.client.is_master
        && !wrote
        && ctx.srv.evict.pre_command_oom
        && spec.has(flags::DENYOOM)
    {
        return Err(format!("-{}", ReplyError::Oom));
    }
    if write && let Some(run) = ctx.srv.scripting.running.as_mut() {
        run.wrote = true;
    }
    script_cluster_check(ctx, spec, argv)?;
    ctx.client.protocol = if resp3 {
        Protocol::Resp3
    } else {
        Protocol::Resp2
    };
    Ok(ctx.srv.call(ctx.client, spec, argv).unwrap_or(Frame::Null))
}

/// Cluster mode: the command's keys must be served here and share the script's slot (Redis
/// `scriptVerifyClusterState`).
fn script_cluster_check(
    ctx: &mut Ctx<'_>,
    spec: &'static command::CommandSpec,
    argv: &[Bytes],
) -> Result<(), String> {
    if !ctx.srv.cluster_enabled() || ctx.client.is_master {
        return Ok(());
    }
    if let Err(e) = ctx.srv.cluster_redirect(ctx.client, &[(spec, argv)]) {
        let text = e.to_string();
        return Err(if text.starts_with("CLUSTERDOWN") {
            if text.contains("only accepts read") {
                "Script attempted to execute a write command while the cluster is down and readonly"
            } else {
                "Script attempted to execute a command while the cluster is down"
            }
        } else {
            "Script attempted to access a non local key in a cluster node"
        }
        .into());
    }
    let mut idx = Vec::new();
    let _ = crate::cluster::redirect::command_keys(spec, argv, &mut idx);
    let Some(&first) = idx.first() else {
        return Ok(());
    };
    let slot = key_hash_slot(&argv[first]).index();
    let run = ctx
        .srv
        .scripting
        .running
        .as_mut()
        .expect("invariant: redis.call runs inside a script");
    match run.slot {
        _ if run.allow_cross_slot => {}
        None => run.slot = Some(slot),
        Some(s) if s != slot => {
            return Err("Script attempted to access keys that do not hash to the same slot".into());
        }
        Some(_) => {}
    }
    Ok(())
}

/// Sends the script's writes to replicas: as they are when there is one, wrapped in
/// MULTI/EXEC when there are several (unless EXEC already wraps them).
fn flush_propagation(ctx: &mut Ctx<'_>, ops: Vec<(usize, Vec<Bytes>)>) {
    if ops.is_empty() {
        return;
    }
    let wrap = ops.len() > 1 && !ctx.client.in_exec;
    let db = ops[0].0;
    if wrap {
        ctx.srv.propagate(db, &[Bytes::from_static(b"MULTI")]);
    }
    let last_db = ops.last().map_or(db, |o| o.0);
    for (db, argv) in ops {
        ctx.srv.propagate(db, &argv);
    }
    if wrap {
        ctx.srv.propagate(last_db, &[Bytes::from_static(b"EXEC")]);
    }
    ctx.client.woff = ctx.srv.repl.offset();
}
