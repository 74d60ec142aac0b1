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
    let ok = match argv.len() {
        2 => true,
        3 => argv[2].eq_ignore_ascii_case(b"sync") || argv[2].eq_ignore_ascii_case(b"async"),
        _ => false,
    };
    if !ok {
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
    crate::script::busy::kill(ctx.srv)
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
