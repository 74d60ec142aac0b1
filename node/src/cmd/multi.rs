//! Transaction commands (Redis `multi.c` commands): MULTI, EXEC, DISCARD, WATCH, UNWATCH.
//!
//! Queueing happens in the gate (`exec::pipeline`, step 9); the transaction machinery (watch
//! bookkeeping, running the queue) lives in `exec::multi`.

use bytes::Bytes;
use shoal_common::{Frame, ReplyError};

use crate::exec::Ctx;
use crate::exec::multi::MultiState;

/// ```text
/// MULTI
/// ```
pub fn multi(ctx: &mut Ctx<'_>, _argv: &[Bytes]) -> Result<Frame, ReplyError> {
    if ctx.client.multi.is_some() {
        return Err(ReplyError::other("ERR MULTI calls can not be nested"));
    }
    ctx.client.multi = Some(MultiState::default());
    Ok(Frame::ok())
}

/// ```text
/// EXEC
/// ```
pub fn exec(ctx: &mut Ctx<'_>, _argv: &[Bytes]) -> Result<Frame, ReplyError> {
    if ctx.client.multi.is_none() {
        return Err(ReplyError::other("ERR EXEC without MULTI"));
    }
    let now = ctx.now_ms;
    Ok(ctx.srv.exec_transaction(ctx.client, now))
}

/// ```text
/// DISCARD
/// ```
pub fn discard(ctx: &mut Ctx<'_>, _argv: &[Bytes]) -> Result<Frame, ReplyError> {
    if ctx.client.multi.is_none() {
        return Err(ReplyError::other("ERR DISCARD without MULTI"));
    }
    ctx.srv.discard_transaction(ctx.client);
    Ok(Frame::ok())
}

/// ```text
/// WATCH key [key ...]
/// ```
pub fn watch(ctx: &mut Ctx<'_>, argv: &[Bytes]) -> Result<Frame, ReplyError> {
    if ctx.client.multi.is_some() {
        return Err(ReplyError::other("ERR WATCH inside MULTI is not allowed"));
    }
    // A client already dirty has nothing left to watch for (Redis 7.0 skips the keys).
    if ctx.client.dirty_cas {
        return Ok(Frame::ok());
    }
    let now = ctx.now_ms;
    for key in &argv[1..] {
        ctx.srv.watch_key(ctx.client, key, now);
    }
    Ok(Frame::ok())
}

/// ```text
/// UNWATCH
/// ```
pub fn unwatch(ctx: &mut Ctx<'_>, _argv: &[Bytes]) -> Result<Frame, ReplyError> {
    ctx.srv.unwatch_all(ctx.client);
    ctx.client.dirty_cas = false;
    Ok(Frame::ok())
}
