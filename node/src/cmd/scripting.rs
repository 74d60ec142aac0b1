//! Scripting commands: EVAL, EVALSHA, their `_RO` forms and SCRIPT (Redis `eval.c`). The
//! engine is `crate::script`.

use bytes::Bytes;
use shoal_common::{Frame, ReplyError};

use crate::exec::Ctx;
use crate::script::run::eval_command;

/// EVAL: runs a Lua script.
///
/// ```text
/// EVAL script numkeys [key [key ...]] [arg [arg ...]]
/// ```
pub fn eval(ctx: &mut Ctx<'_>, argv: &[Bytes]) -> Result<Frame, ReplyError> {
    eval_command(ctx, argv, false, false)
}

/// EVALSHA: runs a cached script by its SHA-1.
///
/// ```text
/// EVALSHA sha1 numkeys [key [key ...]] [arg [arg ...]]
/// ```
pub fn evalsha(ctx: &mut Ctx<'_>, argv: &[Bytes]) -> Result<Frame, ReplyError> {
    eval_command(ctx, argv, true, false)
}

/// EVAL_RO: EVAL whose script may not write.
///
/// ```text
/// EVAL_RO script numkeys [key [key ...]] [arg [arg ...]]
/// ```
pub fn eval_ro(ctx: &mut Ctx<'_>, argv: &[Bytes]) -> Result<Frame, ReplyError> {
    eval_command(ctx, argv, false, true)
}

/// EVALSHA_RO: EVALSHA whose script may not write.
///
/// ```text
/// EVALSHA_RO sha1 numkeys [key [key ...]] [arg [arg ...]]
/// ```
pub fn evalsha_ro(ctx: &mut Ctx<'_>, argv: &[Bytes]) -> Result<Frame, ReplyError> {
    eval_command(ctx, argv, true, true)
}

/// SCRIPT without a known subcommand (never reached: subcommands have their own rows).
pub fn container(_ctx: &mut Ctx<'_>, argv: &[Bytes]) -> Result<Frame, ReplyError> {
    super::container_unreachable(argv)
}

/// SCRIPT EXISTS: 1 or 0 per SHA-1.
///
/// ```text
/// SCRIPT EXISTS sha1 [sha1 ...]
/// ```
pub fn script_exists(ctx: &mut Ctx<'_>, argv: &[Bytes]) -> Result<Frame, ReplyError> {
    let scripts = &ctx.srv.scripting.scripts;
    Ok(Frame::Array(
        argv[2..]
            .iter()
            .map(|sha| {
                let sha = String::from_utf8_lossy(sha).to_ascii_lowercase();
                Frame::Integer(i64::from(scripts.contains_key(&sha)))
            })
            .collect(),
    ))
}

/// SCRIPT FLUSH: empties the script cache (a new Lua VM).
///
/// ```text
/// SCRIPT FLUSH [ASYNC|SYNC]
/// ```
pub fn script_flush(ctx: &mut Ctx<'_>, argv: &[Bytes]) -> Result<Frame, ReplyError> {
    if !super::args::flush_mode_ok(&argv[2..]) {
        return Err(ReplyError::err(
            "SCRIPT FLUSH only support SYNC|ASYNC option",
        ));
    }
    ctx.srv.scripting.flush();
    Ok(Frame::ok())
}

/// SCRIPT KILL: stops the running script if it has not written yet.
///
/// ```text
/// SCRIPT KILL
/// ```
pub fn script_kill(ctx: &mut Ctx<'_>, _argv: &[Bytes]) -> Result<Frame, ReplyError> {
    crate::script::busy::kill(ctx.srv, false)
}

/// SCRIPT LOAD: compiles and caches a script, returns its SHA-1.
///
/// ```text
/// SCRIPT LOAD script
/// ```
pub fn script_load(ctx: &mut Ctx<'_>, argv: &[Bytes]) -> Result<Frame, ReplyError> {
    let sha = ctx.srv.scripting.create(&argv[2])?;
    Ok(Frame::Bulk(Bytes::from(sha)))
}

/// SCRIPT HELP.
///
/// ```text
/// SCRIPT HELP
/// ```
pub fn script_help(_ctx: &mut Ctx<'_>, _argv: &[Bytes]) -> Result<Frame, ReplyError> {
    Ok(super::help_lines(
        "SCRIPT",
        &[
            "EXISTS <sha1> [<sha1> ...]",
            "    Return information about the existence of the scripts in the script cache.",
            "FLUSH [ASYNC|SYNC]",
            "    Flush the Lua scripts cache. Very dangerous on replicas.",
            "    When called without the optional mode argument, the behavior is determined by the",
            "    lazyfree-lazy-user-flush configuration directive. Valid modes are:",
            "    * ASYNC: Asynchronously flush the scripts cache.",
            "    * SYNC: Synchronously flush the scripts cache.",
            "KILL",
            "    Kill the currently executing Lua script.",
            "LOAD <script>",
            "    Load a script into the scripts cache without executing it.",
        ],
    ))
}

/// FCALL: calls a function.
///
/// ```text
/// FCALL function numkeys [key [key ...]] [arg [arg ...]]
/// ```
pub fn fcall(ctx: &mut Ctx<'_>, argv: &[Bytes]) -> Result<Frame, ReplyError> {
    crate::script::run::fcall_command(ctx, argv, false)
}

/// FCALL_RO: calls a function flagged `no-writes`.
///
/// ```text
/// FCALL_RO function numkeys [key [key ...]] [arg [arg ...]]
/// ```
pub fn fcall_ro(ctx: &mut Ctx<'_>, argv: &[Bytes]) -> Result<Frame, ReplyError> {
    crate::script::run::fcall_command(ctx, argv, true)
}

/// FUNCTION LOAD: loads a library; its name is the reply.
///
/// ```text
/// FUNCTION LOAD [REPLACE] function-code
/// ```
pub fn function_load(ctx: &mut Ctx<'_>, argv: &[Bytes]) -> Result<Frame, ReplyError> {
    let mut replace = false;
    for opt in &argv[2..argv.len() - 1] {
        if opt.eq_ignore_ascii_case(b"replace") {
            replace = true;
        } else {
            return Err(ReplyError::err(format!(
                "Unknown option given: {}",
                String::from_utf8_lossy(opt)
            )));
        }
    }
    let code = &argv[argv.len() - 1];
    let name = ctx.srv.scripting.load_library(code, replace)?;
    Ok(Frame::Bulk(Bytes::from(name)))
}

/// FUNCTION DELETE: removes a library.
///
/// ```text
/// FUNCTION DELETE library-name
/// ```
pub fn function_delete(ctx: &mut Ctx<'_>, argv: &[Bytes]) -> Result<Frame, ReplyError> {
    let name = String::from_utf8_lossy(&argv[2]);
    match ctx.srv.scripting.functions.remove(&name) {
        Some(_) => Ok(Frame::ok()),
        None => Err(ReplyError::err("Library not found")),
    }
}

/// FUNCTION FLUSH: removes every library.
///
/// ```text
/// FUNCTION FLUSH [ASYNC|SYNC]
/// ```
pub fn function_flush(ctx: &mut Ctx<'_>, argv: &[Bytes]) -> Result<Frame, ReplyError> {
    if !super::args::flush_mode_ok(&argv[2..]) {
        return Err(ReplyError::err(
            "FUNCTION FLUSH only supports SYNC|ASYNC option",
        ));
    }
    ctx.srv.scripting.functions = Default::default();
    // The callbacks' registry slots are freed now, not when a later load reuses them.
    ctx.srv.scripting.lua.expire_registry_values();
    Ok(Frame::ok())
}

fn library_entry(lib: &crate::script::function::Library, with_code: bool) -> Frame {
    use crate::script::function::FLAG_NAMES;
    let functions = lib
        .functions
        .values()
        .map(|f| {
            let flags = FLAG_NAMES
                .iter()
                .filter(|(bit, _)| f.flags & bit != 0)
                .map(|(_, n)| Frame::Simple(Bytes::from_static(n.as_bytes())))
                .collect();
            Frame::Map(vec![
                (Frame::bulk_static("name"), Frame::bulk(&f.name)),
                (
                    Frame::bulk_static("description"),
                    f.description.as_ref().map_or(Frame::Null, Frame::bulk),
                ),
                (Frame::bulk_static("flags"), Frame::Set(flags)),
            ])
        })
        .collect();
    let mut entry = vec![
        (Frame::bulk_static("library_name"), Frame::bulk(&lib.name)),
        (Frame::bulk_static("engine"), Frame::bulk_static("LUA")),
        (Frame::bulk_static("functions"), Frame::Array(functions)),
    ];
    if with_code {
        entry.push((
            Frame::bulk_static("library_code"),
            Frame::Bulk(lib.code.clone()),
        ));
    }
    Frame::Map(entry)
}

/// FUNCTION LIST: the libraries and their functions.
///
/// ```text
/// FUNCTION LIST [LIBRARYNAME library-name-pattern] [WITHCODE]
/// ```
pub fn function_list(ctx: &mut Ctx<'_>, argv: &[Bytes]) -> Result<Frame, ReplyError> {
    let (mut with_code, mut pattern) = (false, None);
    let mut i = 2;
    while i < argv.len() {
        let a = &argv[i];
        if !with_code && a.eq_ignore_ascii_case(b"withcode") {
            with_code = true;
        } else if pattern.is_none() && a.eq_ignore_ascii_case(b"libraryname") {
            if i + 1 >= argv.len() {
                return Err(ReplyError::err("library name argument was not given"));
            }
            i += 1;
            pattern = Some(argv[i].clone());
        } else {
            return Err(ReplyError::err(format!(
                "Unknown argument {}",
                String::from_utf8_lossy(a)
            )));
        }
        i += 1;
    }
    let libs = ctx.srv.scripting.functions.libraries.values();
    Ok(Frame::Array(
        libs.filter(|l| {
            pattern
                .as_ref()
                .is_none_or(|p| shoal_common::glob::glob_match(p, l.name.as_bytes(), false))
        })
        .map(|l| library_entry(l, with_code))
        .collect(),
    ))
}

/// FUNCTION STATS: the running function, and the engine's counts.
///
/// ```text
/// FUNCTION STATS
/// ```
pub fn function_stats(ctx: &mut Ctx<'_>, _argv: &[Bytes]) -> Result<Frame, ReplyError> {
    let sc = &ctx.srv.scripting;
    let running = match &sc.running {
        None => Frame::Null,
        Some(run) => Frame::Map(vec![
            (
                Frame::bulk_static("name"),
                Frame::bulk(run.function.as_deref().unwrap_or("")),
            ),
            (
                Frame::bulk_static("command"),
                Frame::Array(run.command.iter().cloned().map(Frame::Bulk).collect()),
            ),
            (
                Frame::bulk_static("duration_ms"),
                Frame::Integer(i64::try_from(run.started.elapsed().as_millis()).unwrap_or(0)),
            ),
        ]),
    };
    let lua = Frame::Map(vec![
        (
            Frame::bulk_static("libraries_count"),
            Frame::Integer(i64::try_from(sc.functions.libraries.len()).unwrap_or(0)),
        ),
        (
            Frame::bulk_static("functions_count"),
            Frame::Integer(i64::try_from(sc.functions.count()).unwrap_or(0)),
        ),
    ]);
    Ok(Frame::Map(vec![
        (Frame::bulk_static("running_script"), running),
        (
            Frame::bulk_static("engines"),
            Frame::Map(vec![(Frame::bulk_static("LUA"), lua)]),
        ),
    ]))
}

/// FUNCTION KILL: stops the running function if it has not written yet.
///
/// ```text
/// FUNCTION KILL
/// ```
pub fn function_kill(ctx: &mut Ctx<'_>, _argv: &[Bytes]) -> Result<Frame, ReplyError> {
    crate::script::busy::kill(ctx.srv, true)
}

/// FUNCTION DUMP: the libraries as a payload for FUNCTION RESTORE.
///
/// ```text
/// FUNCTION DUMP
/// ```
pub fn function_dump(ctx: &mut Ctx<'_>, _argv: &[Bytes]) -> Result<Frame, ReplyError> {
    Ok(Frame::Bulk(libraries_payload(&ctx.srv.scripting.functions)))
}

/// Every loaded library as a FUNCTION RESTORE payload.
pub fn libraries_payload(functions: &crate::script::function::Functions) -> Bytes {
    let mut w = crate::db::dump::Writer::default();
    for lib in functions.libraries.values() {
        w.put_u8(FUNCTION_OPCODE);
        w.put_bytes(&lib.code);
    }
    w.finish()
}

/// The payload tag of one library (Redis `RDB_OPCODE_FUNCTION2`).
const FUNCTION_OPCODE: u8 = 245;

/// FUNCTION RESTORE: loads the libraries of a FUNCTION DUMP payload.
///
/// ```text
/// FUNCTION RESTORE serialized-value [FLUSH|APPEND|REPLACE]
/// ```
pub fn function_restore(ctx: &mut Ctx<'_>, argv: &[Bytes]) -> Result<Frame, ReplyError> {
    let policy = match argv.get(3) {
        None => b"append".as_slice(),
        Some(p) if argv.len() == 4 => p.as_ref(),
        Some(_) => b"".as_slice(),
    };
    let policy = policy.to_ascii_lowercase();
    if !matches!(policy.as_slice(), b"flush" | b"append" | b"replace") {
        return Err(ReplyError::err(
            "Wrong restore policy given, value should be either FLUSH, APPEND or REPLACE.",
        ));
    }
    // A payload without libraries (FUNCTION DUMP of an empty node: what `redis-cli --cluster
    // add-node` copies) is only the trailer.
    let empty = crate::db::dump::Writer::default().finish();
    let body = if argv[2] == empty {
        &[][..]
    } else {
        crate::db::dump::verify(&argv[2])
            .map_err(|_| ReplyError::err("DUMP payload version or checksum are wrong"))?
    };
    let mut r = crate::db::dump::Reader::new(body);
    let mut codes = Vec::new();
    while r.remaining() > 0 {
        if r.u8() != Some(FUNCTION_OPCODE) {
            return Err(ReplyError::err("given type is not a function"));
        }
        codes.push(
            r.bytes()
                .ok_or_else(|| ReplyError::err("Bad data format"))?,
        );
    }
    let sc = &mut ctx.srv.scripting;
    let saved = std::mem::take(&mut sc.functions);
    if policy != b"flush" {
        // Loaded into the current set; undone below on any failure.
        sc.functions = saved.clone();
    }
    for code in &codes {
        let name = crate::script::function::parse_metadata(code)?;
        if policy == b"append" && sc.functions.libraries.contains_key(&name) {
            sc.functions = saved;
            return Err(ReplyError::err(format!("Library {name} already exists")));
        }
        if let Err(e) = sc.load_library(code, true) {
            sc.functions = saved;
            return Err(e);
        }
    }
    Ok(Frame::ok())
}

/// FUNCTION HELP.
///
/// ```text
/// FUNCTION HELP
/// ```
pub fn function_help(_ctx: &mut Ctx<'_>, _argv: &[Bytes]) -> Result<Frame, ReplyError> {
    Ok(super::help_lines(
        "FUNCTION",
        &[
            "LOAD [REPLACE] <FUNCTION CODE>",
            "    Create a new library with the given library name and code.",
            "DELETE <LIBRARY NAME>",
            "    Delete the given library.",
            "LIST [LIBRARYNAME PATTERN] [WITHCODE]",
            "    Return general information on all the libraries:",
            "    * Library name",
            "    * The engine used to run the Library",
            "    * Library description",
            "    * Functions list",
            "    * Library code (if WITHCODE is given)",
            "    It also possible to get only function that matches a pattern using LIBRARYNAME argument.",
            "STATS",
            "    Return information about the current function running:",
            "    * Function name",
            "    * Command used to run the function",
            "    * Duration in MS that the function is running",
            "    If no function is running, return nil",
            "    In addition, returns a list of available engines.",
            "KILL",
            "    Kill the current running function.",
            "FLUSH [ASYNC|SYNC]",
            "    Delete all the libraries.",
            "    When called without the optional mode argument, the behavior is determined by the",
            "    lazyfree-lazy-user-flush configuration directive. Valid modes are:",
            "    * ASYNC: Asynchronously flush the libraries.",
            "    * SYNC: Synchronously flush the libraries.",
            "DUMP",
            "    Return a serialized payload representing the current libraries, can be restored using FUNCTION RESTORE command",
            "RESTORE <PAYLOAD> [FLUSH|APPEND|REPLACE]",
            "    Restore the libraries represented by the given payload, it is possible to give a restore policy to",
            "    control how to handle existing libraries (default APPEND):",
            "    * FLUSH: delete all existing libraries.",
            "    * APPEND: appends the restored libraries to the existing libraries. On collision, abort.",
            "    * REPLACE: appends the restored libraries to the existing libraries, On collision, replace the old",
            "      libraries with the new libraries (notice that even on this option there is a chance of failure",
            "      in case of functions name collision with another library).",
        ],
    ))
}
