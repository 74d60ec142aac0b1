//! COMMAND and its subcommands: thin handlers over `shoal_common::command::reply`, which
//! derives every reply from the command table (the router answers COMMAND with it too).

use bytes::Bytes;
use shoal_common::command::reply;
use shoal_common::{Frame, ReplyError};

use crate::exec::Ctx;

/// ```text
/// COMMAND
/// ```
pub fn command(_ctx: &mut Ctx<'_>, _argv: &[Bytes]) -> Result<Frame, ReplyError> {
    Ok(reply::all())
}

/// ```text
/// COMMAND COUNT
/// ```
pub fn count(_ctx: &mut Ctx<'_>, _argv: &[Bytes]) -> Result<Frame, ReplyError> {
    Ok(reply::count())
}

/// ```text
/// COMMAND INFO [command-name [command-name ...]]
/// ```
pub fn info(_ctx: &mut Ctx<'_>, argv: &[Bytes]) -> Result<Frame, ReplyError> {
    Ok(reply::info(argv))
}

/// ```text
/// COMMAND LIST [FILTERBY <MODULE module-name | ACLCAT category | PATTERN pattern>]
/// ```
pub fn list(_ctx: &mut Ctx<'_>, argv: &[Bytes]) -> Result<Frame, ReplyError> {
    reply::list(argv)
}

/// ```text
/// COMMAND GETKEYS command [arg [arg ...]]
/// ```
pub fn getkeys(_ctx: &mut Ctx<'_>, argv: &[Bytes]) -> Result<Frame, ReplyError> {
    reply::getkeys(argv)
}

/// ```text
/// COMMAND GETKEYSANDFLAGS command [arg [arg ...]]
/// ```
pub fn getkeysandflags(_ctx: &mut Ctx<'_>, argv: &[Bytes]) -> Result<Frame, ReplyError> {
    reply::getkeysandflags(argv)
}

/// ```text
/// COMMAND DOCS [command-name [command-name ...]]
/// ```
pub fn docs(_ctx: &mut Ctx<'_>, argv: &[Bytes]) -> Result<Frame, ReplyError> {
    Ok(reply::docs(argv))
}

/// ```text
/// COMMAND HELP
/// ```
pub fn help(_ctx: &mut Ctx<'_>, _argv: &[Bytes]) -> Result<Frame, ReplyError> {
    Ok(reply::help())
}
