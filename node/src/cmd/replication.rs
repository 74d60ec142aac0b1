//! Replication commands: REPLICAOF/SLAVEOF, PSYNC, REPLCONF, WAIT, ROLE.

use bytes::{Bytes, BytesMut};
use shoal_common::{Frame, ReplyError};

use super::args;
use crate::exec::Ctx;
use crate::replication::ReplicaLink;
use crate::replication::replica::LinkControl;
use crate::replication::snapshot;

/// ```text
/// REPLICAOF host port | NO ONE
/// SLAVEOF host port | NO ONE
/// ```
pub fn replicaof(ctx: &mut Ctx<'_>, argv: &[Bytes]) -> Result<Frame, ReplyError> {
    if ctx.srv.cluster_enabled() {
        return Err(ReplyError::other(
            "ERR REPLICAOF not allowed in cluster mode.",
        ));
    }
    if args::is(&argv[1], "no") && args::is(&argv[2], "one") {
        ctx.srv.stop_replication();
        return Ok(Frame::ok());
    }
    let port = args::int(&argv[2])?;
    let port = u16::try_from(port)
        .ok()
        .filter(|p| *p > 0)
        .ok_or_else(|| ReplyError::other("ERR Invalid master port"))?;
    let host = String::from_utf8_lossy(&argv[1]).into_owned();
    if let Some(m) = &ctx.srv.repl.master
        && m.host.eq_ignore_ascii_case(&host)
        && m.port == port
    {
        return Ok(Frame::simple("OK Already connected to specified master"));
    }
    ctx.srv.start_replication(host, port);
    Ok(Frame::ok())
}

/// ```text
/// PSYNC replicationid offset
/// ```
/// Turns the calling connection into a replica: `+CONTINUE` with the backlog tail when the
/// history matches, else `+FULLRESYNC` and a snapshot streamed by a task.
pub fn psync(ctx: &mut Ctx<'_>, argv: &[Bytes]) -> Result<Frame, ReplyError> {
    sync_from(ctx, Some((&argv[1], &argv[2])))
}

/// ```text
/// SYNC
/// ```
/// The pre-PSYNC full synchronisation (`redis-cli --replica`, `--rdb`): the snapshot with no
/// `+FULLRESYNC` line before it, then the stream.
pub fn sync(ctx: &mut Ctx<'_>, _argv: &[Bytes]) -> Result<Frame, ReplyError> {
    sync_from(ctx, None)
}

/// PSYNC (`Some((replid, offset))`) or SYNC (`None`), as Redis's `syncCommand`.
fn sync_from(ctx: &mut Ctx<'_>, psync: Option<(&Bytes, &Bytes)>) -> Result<Frame, ReplyError> {
    if ctx
        .srv
        .repl
        .replicas
        .iter()
        .any(|r| r.client_id == ctx.client.id)
    {
        // Already a replica: ignored, as Redis does (`CLIENT_SLAVE`).
        ctx.no_reply = true;
        return Ok(Frame::Null);
    }
    if ctx.client.is_master {
        return Err(ReplyError::other(
            "ERR Replica can't interact with the keyspace",
        ));
    }
    if let Some(m) = &ctx.srv.repl.master
        && m.state != crate::replication::LinkState::Connected
    {
        return Err(ReplyError::other(
            "NOMASTERLINK Can't SYNC while not connected with my master",
        ));
    }
    let (id, offset) = match psync {
        Some((id, offset)) => (
            id.as_ref(),
            shoal_common::number::parse_i64(offset).unwrap_or(-1),
        ),
        None => (b"?".as_slice(), -1),
    };
    let srv = &mut *ctx.srv;
    srv.ensure_backlog();
    let now = ctx.now_ms;
    // The address the replica announced (`replica-announce-ip`), else its peer address, as
    // Redis shows it in INFO replication and ROLE.
    let ip = ctx.client.repl_announced_ip.clone().unwrap_or_else(|| {
        ctx.client
            .addr
            .rsplit_once(':')
            .map_or(ctx.client.addr.clone(), |(h, _)| h.to_string())
    });
    let listening_port = ctx.client.repl_listening_port;
    let matches_history = id == srv.repl.replid.as_bytes()
        || (id == srv.repl.replid2.as_bytes() && offset <= srv.repl.second_offset);
    let tail = if matches_history && !ctx.client.repl_rdb_only {
        srv.repl.backlog.as_ref().and_then(|b| b.since(offset))
    } else {
        None
    };
    ctx.no_reply = true;
    if let Some(tail) = tail {
        srv.repl.sync_partial_ok += 1;
        let mut out = BytesMut::from(format!("+CONTINUE {}\r\n", srv.repl.replid).as_bytes());
        out.extend_from_slice(&tail);
        ctx.client.raw_out.extend_from_slice(&out);
        srv.repl.replicas.push(ReplicaLink {
            client_id: ctx.client.id,
            ip,
            listening_port,
            buffered: None,
            ack_offset: offset - 1,
            last_ack_ms: now,
        });
        return Ok(Frame::Null);
    }
    if id != b"?" {
        srv.repl.sync_partial_err += 1;
    }
    let waiting = snapshot::Waiting {
        client_id: ctx.client.id,
        ip,
        listening_port,
        psync: psync.is_some(),
    };
    if let Some(filter) = ctx.client.repl_filter {
        let out = srv.full_sync_without_keys(waiting, filter.functions);
        ctx.client.raw_out.extend_from_slice(&out);
        if ctx.client.repl_rdb_only {
            srv.repl.replicas.retain(|r| r.client_id != ctx.client.id);
            ctx.client.close_after_reply = true;
        }
        return Ok(Frame::Null);
    }
    for (_, header) in srv.begin_full_sync(vec![waiting]) {
        ctx.client.raw_out.extend_from_slice(&header);
    }
    Ok(Frame::Null)
}

/// ```text
/// REPLCONF <option> <value> [<option> <value> ...]
/// ```
pub fn replconf(ctx: &mut Ctx<'_>, argv: &[Bytes]) -> Result<Frame, ReplyError> {
    if argv.len().is_multiple_of(2) {
        return Err(ReplyError::Syntax);
    }
    for pair in argv[1..].chunks_exact(2) {
        let (opt, val) = (&pair[0], &pair[1]);
        if args::is(opt, "listening-port") {
            let port = args::int(val)?;
            ctx.client.repl_listening_port = u16::try_from(port).unwrap_or(0);
        } else if args::is(opt, "ack") {
            let offset = shoal_common::number::parse_i64(val).unwrap_or(0);
            let now = ctx.now_ms;
            let id = ctx.client.id;
            if let Some(r) = ctx.srv.repl.replicas.iter_mut().find(|r| r.client_id == id) {
                r.ack_offset = r.ack_offset.max(offset);
                r.last_ack_ms = now;
            }
            ctx.srv.serve_waits();
            ctx.no_reply = true;
            return Ok(Frame::Null);
        } else if args::is(opt, "getack") {
            if let Some(m) = &ctx.srv.repl.master {
                let _ = m.control.send(LinkControl::AckNow);
            }
            ctx.no_reply = true;
            return Ok(Frame::Null);
        } else if args::is(opt, "ip-address") {
            ctx.client.repl_announced_ip = Some(String::from_utf8_lossy(val).into_owned());
        } else if args::is(opt, "capa") {
            // Capabilities: we always send the EOF framing our replicas understand.
        } else if args::is(opt, "rdb-only") {
            let v = args::int(val)?;
            if v != 0 && v != 1 {
                return Err(ReplyError::other(
                    "ERR value is out of range, value must between 0 and 1",
                ));
            }
            ctx.client.repl_rdb_only = v == 1;
        } else if args::is(opt, "rdb-filter-only") {
            ctx.client.repl_filter = Some(parse_filter(val)?);
        } else {
            return Err(ReplyError::err(format!(
                "Unrecognized REPLCONF option: {}",
                String::from_utf8_lossy(opt)
            )));
        }
    }
    Ok(Frame::ok())
}

/// The filters of `REPLCONF rdb-filter-only` (space-separated, quotes allowed): only
/// `functions` exists.
fn parse_filter(val: &[u8]) -> Result<crate::exec::client::ReplFilter, ReplyError> {
    let words = shoal_common::resp::decode::split_args(val)
        .ok_or_else(|| ReplyError::other("ERR Missing rdb-filter-only values"))?;
    let mut filter = crate::exec::client::ReplFilter { functions: false };
    for w in words {
        if args::is(&w, "functions") {
            filter.functions = true;
        } else {
            return Err(ReplyError::err(format!(
                "Unsupported rdb-filter-only option: {}",
                String::from_utf8_lossy(&w)
            )));
        }
    }
    Ok(filter)
}

/// ```text
/// WAIT numreplicas timeout
/// ```
pub fn wait(ctx: &mut Ctx<'_>, argv: &[Bytes]) -> Result<Frame, ReplyError> {
    if ctx.srv.repl.is_replica() {
        return Err(ReplyError::other(
            "ERR WAIT cannot be used with replica instances. Please also note that since Redis 4.0 \
             if a replica is configured to be writable (which is not the default) writes to \
             replicas are just local and are not propagated.",
        ));
    }
    let numreplicas = args::int(&argv[1])?;
    let timeout = args::int(&argv[2])?;
    if timeout < 0 {
        return Err(ReplyError::other("ERR timeout is negative"));
    }
    let target = ctx.client.woff;
    let acked = ctx.srv.repl.acked(target);
    let needed = usize::try_from(numreplicas).unwrap_or(0);
    // Inside EXEC nothing blocks: WAIT answers at once (Redis `CLIENT_DENY_BLOCKING`).
    if acked >= needed || ctx.srv.repl.replicas.is_empty() && needed == 0 || ctx.client.in_exec {
        return Ok(Frame::Integer(i64::try_from(acked).unwrap_or(0)));
    }
    ctx.srv.repl.waits.push(crate::replication::Wait {
        client_id: ctx.client.id,
        offset: target,
        numreplicas: needed,
        deadline_ms: (timeout > 0).then(|| ctx.now_ms + timeout),
    });
    ctx.srv.request_acks();
    ctx.no_reply = true;
    Ok(Frame::Null)
}

/// ```text
/// ROLE
/// ```
pub fn role(ctx: &mut Ctx<'_>, _argv: &[Bytes]) -> Result<Frame, ReplyError> {
    let r = &ctx.srv.repl;
    if let Some(m) = &r.master {
        let offset = if m.state == crate::replication::LinkState::Connected {
            r.offset()
        } else {
            -1
        };
        return Ok(Frame::Array(vec![
            Frame::bulk_static("slave"),
            Frame::bulk(&m.host),
            Frame::Integer(i64::from(m.port)),
            Frame::bulk(m.state.name()),
            Frame::Integer(offset),
        ]));
    }
    let replicas = r
        .replicas
        .iter()
        .filter(|x| x.online())
        .map(|x| {
            Frame::Array(vec![
                Frame::bulk(&x.ip),
                Frame::bulk(x.listening_port.to_string()),
                Frame::bulk(x.ack_offset.to_string()),
            ])
        })
        .collect();
    Ok(Frame::Array(vec![
        Frame::bulk_static("master"),
        Frame::Integer(r.offset()),
        Frame::Array(replicas),
    ]))
}
