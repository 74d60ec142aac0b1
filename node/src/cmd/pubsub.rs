//! Pub/sub commands (Redis `pubsub.c` commands): SUBSCRIBE, UNSUBSCRIBE, PSUBSCRIBE,
//! PUNSUBSCRIBE, SSUBSCRIBE, SUNSUBSCRIBE, PUBLISH, SPUBLISH, PUBSUB.
//!
//! The mechanism (subscriptions, delivery, output buffer limits) lives in `exec::pubsub`.
//! A (un)subscribe command answers with one confirmation per channel, all sent as the
//! client's `deferred` frames (the command itself has `no_reply`), so they reach the client in
//! order and regardless of `CLIENT REPLY OFF`, as Redis 7.0's pushes do.

use bytes::Bytes;
use shoal_common::{Frame, ReplyError};

use crate::exec::Ctx;
use crate::exec::pubsub::Kind;

fn count(n: usize) -> Frame {
    Frame::Integer(i64::try_from(n).unwrap_or(i64::MAX))
}

/// Sends the confirmations as pushes: they are the command's reply, and like Redis's
/// `CLIENT_PUSHING` replies they go out even under `CLIENT REPLY OFF`.
fn replies(ctx: &mut Ctx<'_>, frames: Vec<Frame>) -> Frame {
    ctx.client.deferred.extend(frames);
    ctx.no_reply = true;
    Frame::Null
}

fn subscribe_generic(ctx: &mut Ctx<'_>, argv: &[Bytes], kind: Kind) -> Frame {
    let frames = argv[1..]
        .iter()
        .map(|name| ctx.srv.subscribe(ctx.client, kind, name))
        .collect();
    replies(ctx, frames)
}

fn unsubscribe_generic(ctx: &mut Ctx<'_>, argv: &[Bytes], kind: Kind) -> Frame {
    let frames = if argv.len() == 1 {
        ctx.srv.unsubscribe_all(ctx.client, kind)
    } else {
        argv[1..]
            .iter()
            .map(|name| ctx.srv.unsubscribe(ctx.client, kind, Some(name)))
            .collect()
    };
    replies(ctx, frames)
}

/// ```text
/// SUBSCRIBE channel [channel ...]
/// ```
pub fn subscribe(ctx: &mut Ctx<'_>, argv: &[Bytes]) -> Result<Frame, ReplyError> {
    Ok(subscribe_generic(ctx, argv, Kind::Channel))
}

/// ```text
/// UNSUBSCRIBE [channel [channel ...]]
/// ```
pub fn unsubscribe(ctx: &mut Ctx<'_>, argv: &[Bytes]) -> Result<Frame, ReplyError> {
    Ok(unsubscribe_generic(ctx, argv, Kind::Channel))
}

/// ```text
/// PSUBSCRIBE pattern [pattern ...]
/// ```
pub fn psubscribe(ctx: &mut Ctx<'_>, argv: &[Bytes]) -> Result<Frame, ReplyError> {
    Ok(subscribe_generic(ctx, argv, Kind::Pattern))
}

/// ```text
/// PUNSUBSCRIBE [pattern [pattern ...]]
/// ```
pub fn punsubscribe(ctx: &mut Ctx<'_>, argv: &[Bytes]) -> Result<Frame, ReplyError> {
    Ok(unsubscribe_generic(ctx, argv, Kind::Pattern))
}

/// ```text
/// SSUBSCRIBE shardchannel [shardchannel ...]
/// ```
/// Refused inside EXEC, as Redis refuses it for a client that must get one reply per command.
pub fn ssubscribe(ctx: &mut Ctx<'_>, argv: &[Bytes]) -> Result<Frame, ReplyError> {
    if ctx.client.in_exec {
        return Err(ReplyError::other(
            "ERR SSUBSCRIBE isn't allowed for a DENY BLOCKING client",
        ));
    }
    Ok(subscribe_generic(ctx, argv, Kind::Shard))
}

/// ```text
/// SUNSUBSCRIBE [shardchannel [shardchannel ...]]
/// ```
pub fn sunsubscribe(ctx: &mut Ctx<'_>, argv: &[Bytes]) -> Result<Frame, ReplyError> {
    Ok(unsubscribe_generic(ctx, argv, Kind::Shard))
}

/// ```text
/// PUBLISH channel message
/// ```
pub fn publish(ctx: &mut Ctx<'_>, argv: &[Bytes]) -> Result<Frame, ReplyError> {
    Ok(count(
        ctx.srv.publish(ctx.client, &argv[1], &argv[2], false),
    ))
}

/// ```text
/// SPUBLISH shardchannel message
/// ```
pub fn spublish(ctx: &mut Ctx<'_>, argv: &[Bytes]) -> Result<Frame, ReplyError> {
    Ok(count(ctx.srv.publish(ctx.client, &argv[1], &argv[2], true)))
}

/// `PUBSUB` container (never reached: the gate resolves subcommands).
pub fn container(_ctx: &mut Ctx<'_>, argv: &[Bytes]) -> Result<Frame, ReplyError> {
    super::container_unreachable(argv)
}

fn channel_list(ctx: &Ctx<'_>, argv: &[Bytes], shard: bool) -> Result<Frame, ReplyError> {
    if argv.len() > 3 {
        return Err(ReplyError::err(format!(
            "unknown subcommand or wrong number of arguments for '{}'. Try PUBSUB HELP.",
            String::from_utf8_lossy(&argv[1])
        )));
    }
    let pattern = argv.get(2).map(|p| &p[..]);
    Ok(Frame::Array(
        ctx.srv
            .pubsub
            .channel_names(shard, pattern)
            .into_iter()
            .map(Frame::Bulk)
            .collect(),
    ))
}

fn numsub(ctx: &Ctx<'_>, argv: &[Bytes], shard: bool) -> Frame {
    let mut out = Vec::with_capacity((argv.len() - 2) * 2);
    for ch in &argv[2..] {
        out.push(Frame::Bulk(ch.clone()));
        out.push(count(ctx.srv.pubsub.subscribers(shard, ch)));
    }
    Frame::Array(out)
}

/// ```text
/// PUBSUB CHANNELS [pattern]
/// ```
pub fn channels(ctx: &mut Ctx<'_>, argv: &[Bytes]) -> Result<Frame, ReplyError> {
    channel_list(ctx, argv, false)
}

/// ```text
/// PUBSUB SHARDCHANNELS [pattern]
/// ```
pub fn shardchannels(ctx: &mut Ctx<'_>, argv: &[Bytes]) -> Result<Frame, ReplyError> {
    channel_list(ctx, argv, true)
}

/// ```text
/// PUBSUB NUMSUB [channel [channel ...]]
/// ```
pub fn numsub_cmd(ctx: &mut Ctx<'_>, argv: &[Bytes]) -> Result<Frame, ReplyError> {
    Ok(numsub(ctx, argv, false))
}

/// ```text
/// PUBSUB SHARDNUMSUB [shardchannel [shardchannel ...]]
/// ```
pub fn shardnumsub(ctx: &mut Ctx<'_>, argv: &[Bytes]) -> Result<Frame, ReplyError> {
    Ok(numsub(ctx, argv, true))
}

/// ```text
/// PUBSUB NUMPAT
/// ```
pub fn numpat(ctx: &mut Ctx<'_>, _argv: &[Bytes]) -> Result<Frame, ReplyError> {
    Ok(count(ctx.srv.pubsub.pattern_count()))
}

/// ```text
/// PUBSUB HELP
/// ```
pub fn help(_ctx: &mut Ctx<'_>, _argv: &[Bytes]) -> Result<Frame, ReplyError> {
    const LINES: &[&str] = &[
        "PUBSUB <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
        "CHANNELS [<pattern>]",
        "    Return the currently active channels matching a <pattern> (default: '*').",
        "NUMPAT",
        "    Return number of subscriptions to patterns.",
        "NUMSUB [<channel> ...]",
        "    Return the number of subscribers for the specified channels, excluding",
        "    pattern subscriptions(default: no channels).",
        "SHARDCHANNELS [<pattern>]",
        "    Return the currently active shard level channels matching a <pattern> (default: '*').",
        "SHARDNUMSUB [<shardchannel> ...]",
        "    Return the number of subscribers for the specified shard level channel(s)",
        "HELP",
        "    Prints this help.",
    ];
    Ok(Frame::Array(
        LINES.iter().map(|l| Frame::simple(l)).collect(),
    ))
}
