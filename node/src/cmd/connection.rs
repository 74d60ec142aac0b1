//! Connection commands: PING, ECHO, HELLO, SELECT, QUIT, CLIENT.

use bytes::Bytes;
use shoal_common::resp::Protocol;
use shoal_common::{Frame, ReplyError};

use super::args;
use crate::exec::Ctx;

/// The Redis version whose behaviour we match; clients decide what to send from it.
pub const REDIS_VERSION: &str = "7.0.15";

/// ```text
/// PING [message]
/// ```
/// A RESP2 client in pub/sub mode gets `["pong", message]` instead (Redis `pingCommand`).
pub fn ping(ctx: &mut Ctx<'_>, argv: &[Bytes]) -> Result<Frame, ReplyError> {
    if ctx.client.pubsub_mode && ctx.client.protocol == Protocol::Resp2 && argv.len() <= 2 {
        return Ok(Frame::Array(vec![
            Frame::bulk_static("pong"),
            argv.get(1)
                .map_or(Frame::bulk_static(""), |m| Frame::Bulk(m.clone())),
        ]));
    }
    match argv.len() {
        1 => Ok(Frame::simple("PONG")),
        2 => Ok(Frame::Bulk(argv[1].clone())),
        _ => Err(ReplyError::WrongArity("ping".into())),
    }
}

/// ```text
/// ECHO message
/// ```
pub fn echo(_ctx: &mut Ctx<'_>, argv: &[Bytes]) -> Result<Frame, ReplyError> {
    Ok(Frame::Bulk(argv[1].clone()))
}

/// True when `password` opens the `default` user (`requirepass`, or no password at all).
pub fn check_password(ctx: &Ctx<'_>, user: &[u8], password: &[u8]) -> bool {
    let required = ctx.srv.config.get_str("requirepass");
    user == b"default" && (required.is_empty() || required.as_bytes() == password)
}

/// Validates a client name (Redis `validateClientName`).
pub fn validate_client_name(name: &[u8]) -> Result<(), ReplyError> {
    if name.iter().all(|&c| (b'!'..=b'~').contains(&c)) {
        Ok(())
    } else {
        Err(ReplyError::other(
            "ERR Client names cannot contain spaces, newlines or special characters.",
        ))
    }
}

/// ```text
/// HELLO [protover [AUTH username password] [SETNAME clientname]]
/// ```
pub fn hello(ctx: &mut Ctx<'_>, argv: &[Bytes]) -> Result<Frame, ReplyError> {
    let mut proto = None;
    let mut j = 1;
    if argv.len() >= 2 {
        let v = shoal_common::number::parse_i64(&argv[1]).ok_or_else(|| {
            ReplyError::other("ERR Protocol version is not an integer or out of range")
        })?;
        if !(2..=3).contains(&v) {
            return Err(ReplyError::other("NOPROTO unsupported protocol version"));
        }
        proto = Some(if v == 3 {
            Protocol::Resp3
        } else {
            Protocol::Resp2
        });
        j = 2;
    }
    let mut auth: Option<(Bytes, Bytes)> = None;
    let mut setname: Option<Bytes> = None;
    while j < argv.len() {
        let more = argv.len() - j - 1;
        if args::is(&argv[j], "auth") && more >= 2 {
            auth = Some((argv[j + 1].clone(), argv[j + 2].clone()));
            j += 3;
        } else if args::is(&argv[j], "setname") && more >= 1 {
            validate_client_name(&argv[j + 1])?;
            setname = Some(argv[j + 1].clone());
            j += 2;
        } else {
            return Err(ReplyError::err(format!(
                "Syntax error in HELLO option '{}'",
                String::from_utf8_lossy(&argv[j])
            )));
        }
    }
    if let Some((user, pass)) = auth {
        if !check_password(ctx, &user, &pass) {
            return Err(ReplyError::WrongPass);
        }
        ctx.client.authenticated = true;
    }
    if !ctx.client.authenticated {
        return Err(ReplyError::other(
            "NOAUTH HELLO must be called with the client already authenticated, otherwise the \
             HELLO <proto> AUTH <user> <pass> option can be used to authenticate the client and \
             select the RESP protocol version at the same time",
        ));
    }
    if let Some(name) = setname {
        ctx.client.name = if name.is_empty() { None } else { Some(name) };
    }
    if let Some(p) = proto {
        ctx.client.protocol = p;
    }
    let proto_num = if ctx.client.protocol == Protocol::Resp3 {
        3
    } else {
        2
    };
    let mode = if ctx.srv.cluster_enabled() {
        "cluster"
    } else {
        "standalone"
    };
    Ok(Frame::Map(vec![
        (Frame::bulk_static("server"), Frame::bulk_static("redis")),
        (
            Frame::bulk_static("version"),
            Frame::bulk_static(REDIS_VERSION),
        ),
        (Frame::bulk_static("proto"), Frame::Integer(proto_num)),
        (
            Frame::bulk_static("id"),
            Frame::Integer(i64::try_from(ctx.client.id).unwrap_or(i64::MAX)),
        ),
        (Frame::bulk_static("mode"), Frame::bulk_static(mode)),
        (Frame::bulk_static("role"), Frame::bulk_static("master")),
        (Frame::bulk_static("modules"), Frame::Array(vec![])),
    ]))
}

/// ```text
/// SELECT index
/// ```
pub fn select(ctx: &mut Ctx<'_>, argv: &[Bytes]) -> Result<Frame, ReplyError> {
    let idx = args::int(&argv[1])?;
    if ctx.srv.cluster_enabled() && idx != 0 {
        return Err(ReplyError::SelectInCluster);
    }
    let idx = usize::try_from(idx)
        .ok()
        .filter(|&i| i < ctx.srv.dbs.len())
        .ok_or(ReplyError::DbIndexOutOfRange)?;
    ctx.client.db = idx;
    Ok(Frame::ok())
}

/// ```text
/// QUIT
/// ```
pub fn quit(ctx: &mut Ctx<'_>, _argv: &[Bytes]) -> Result<Frame, ReplyError> {
    ctx.client.close_after_reply = true;
    Ok(Frame::ok())
}

/// `CLIENT` without a known subcommand never reaches a handler (the gate answers), but the
/// container row needs one.
pub fn container(_ctx: &mut Ctx<'_>, argv: &[Bytes]) -> Result<Frame, ReplyError> {
    super::container_unreachable(argv)
}

/// ```text
/// CLIENT ID
/// ```
pub fn client_id(ctx: &mut Ctx<'_>, _argv: &[Bytes]) -> Result<Frame, ReplyError> {
    Ok(Frame::Integer(
        i64::try_from(ctx.client.id).unwrap_or(i64::MAX),
    ))
}

/// ```text
/// CLIENT SETNAME connection-name
/// ```
pub fn client_setname(ctx: &mut Ctx<'_>, argv: &[Bytes]) -> Result<Frame, ReplyError> {
    validate_client_name(&argv[2])?;
    ctx.client.name = if argv[2].is_empty() {
        None
    } else {
        Some(argv[2].clone())
    };
    Ok(Frame::ok())
}

/// ```text
/// CLIENT GETNAME
/// ```
pub fn client_getname(ctx: &mut Ctx<'_>, _argv: &[Bytes]) -> Result<Frame, ReplyError> {
    Ok(ctx.client.name.clone().map_or(Frame::Null, Frame::Bulk))
}
