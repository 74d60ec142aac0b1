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

/// ```text
/// AUTH [username] password
/// ```
pub fn auth(ctx: &mut Ctx<'_>, argv: &[Bytes]) -> Result<Frame, ReplyError> {
    let (user, pass): (&[u8], &[u8]) = match argv.len() {
        2 => {
            if ctx.srv.config.get_str("requirepass").is_empty() {
                return Err(ReplyError::other(
                    "ERR AUTH <password> called without any password configured for the \
                     default user. Are you sure your configuration is correct?",
                ));
            }
            (b"default", &argv[1])
        }
        3 => (&argv[1], &argv[2]),
        _ => return Err(ReplyError::Syntax),
    };
    if !check_password(ctx, user, pass) {
        return Err(ReplyError::WrongPass);
    }
    ctx.client.authenticated = true;
    Ok(Frame::ok())
}

/// ```text
/// RESET
/// ```
/// Checklist (Redis `clearClientConnectionState`): every per-client mode goes back to a new
/// connection's state here (MULTI, WATCH, subscriptions; tracking once it exists).
pub fn reset(ctx: &mut Ctx<'_>, _argv: &[Bytes]) -> Result<Frame, ReplyError> {
    ctx.srv.discard_transaction(ctx.client);
    ctx.srv.forget_subscriptions(ctx.client);
    let c = &mut *ctx.client;
    c.db = 0;
    c.protocol = Protocol::Resp2;
    c.name = None;
    c.reply_off = false;
    c.reply_skip = false;
    c.reply_skip_next = false;
    c.no_evict = false;
    c.no_touch = false;
    if c.monitor {
        c.monitor = false;
        let id = c.id;
        ctx.srv.monitors.retain(|m| *m != id);
    }
    ctx.client.authenticated = ctx.srv.config.get_str("requirepass").is_empty();
    Ok(Frame::simple("RESET"))
}

/// The `CLIENT LIST` / `CLIENT INFO` line of one client (Redis `catClientInfoString`, 7.0
/// field set and order). Fields we do not track get the values an idle Redis client shows.
pub fn client_info_line(c: &crate::exec::Client, now_ms: i64) -> String {
    let mut flags = String::new();
    if c.is_master {
        flags.push('M');
    }
    if c.pubsub_mode {
        flags.push('P');
    }
    if c.multi.is_some() {
        flags.push('x');
    }
    if c.dirty_cas {
        flags.push('d');
    }
    if c.monitor {
        flags.push('O');
    }
    if c.addr.starts_with('/') {
        // A unix-socket client (its address is the socket path).
        flags.push('U');
    }
    if c.no_evict {
        flags.push('e');
    }
    if c.no_touch {
        flags.push('T');
    }
    if flags.is_empty() {
        flags.push('N');
    }
    let omem = c.out_pending();
    let argv_mem = c.last_argv_bytes;
    let resp = if c.protocol == Protocol::Resp3 { 3 } else { 2 };
    format!(
        "id={} addr={} laddr={} fd={} name={} age={} idle={} flags={flags} db={} sub={} psub={} \
         ssub={} multi={} qbuf=0 qbuf-free=0 argv-mem={argv_mem} multi-mem=0 rbs=16384 rbp=0 \
         obl=0 oll=0 omem={omem} tot-mem={} events=r cmd={} user=default redir=-1 resp={resp}",
        c.id,
        c.addr,
        c.laddr,
        c.id + 7,
        String::from_utf8_lossy(c.name.as_deref().unwrap_or_default()),
        (now_ms - c.created_ms).max(0) / 1000,
        (now_ms - c.last_interaction_ms).max(0) / 1000,
        c.db,
        c.channels.len(),
        c.patterns.len(),
        c.shard_channels.len(),
        c.multi
            .as_ref()
            .map_or(-1, |m| i64::try_from(m.queued.len()).unwrap_or(i64::MAX)),
        16384 + argv_mem + omem,
        c.last_cmd,
    )
}

/// A client type name (Redis `getClientTypeByName`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum ClientType {
    Normal,
    Replica,
    Master,
    Pubsub,
}

fn client_type(name: &[u8]) -> Result<ClientType, ReplyError> {
    let t = if args::is(name, "normal") {
        ClientType::Normal
    } else if args::is(name, "slave") || args::is(name, "replica") {
        ClientType::Replica
    } else if args::is(name, "master") {
        ClientType::Master
    } else if args::is(name, "pubsub") {
        ClientType::Pubsub
    } else {
        return Err(ReplyError::err(format!(
            "Unknown client type '{}'",
            String::from_utf8_lossy(name)
        )));
    };
    Ok(t)
}

/// The type of a client (Redis `getClientType`); replicas' links are `normal` here until
/// replication marks them.
fn type_of(c: &crate::exec::Client) -> ClientType {
    if c.is_master {
        ClientType::Master
    } else if c.pubsub_mode {
        ClientType::Pubsub
    } else {
        ClientType::Normal
    }
}

/// ```text
/// CLIENT LIST [TYPE <NORMAL | MASTER | REPLICA | PUBSUB>] [ID client-id [client-id ...]]
/// ```
pub fn client_list(ctx: &mut Ctx<'_>, argv: &[Bytes]) -> Result<Frame, ReplyError> {
    let mut want_type = None;
    let mut ids: Option<Vec<u64>> = None;
    if argv.len() == 4 && args::is(&argv[2], "type") {
        want_type = Some(client_type(&argv[3])?);
    } else if argv.len() > 3 && args::is(&argv[2], "id") {
        let mut v = Vec::new();
        for a in &argv[3..] {
            let id = shoal_common::number::parse_i64(a)
                .ok_or(ReplyError::other("ERR Invalid client ID"))?;
            v.push(id.unsigned_abs());
        }
        ids = Some(v);
    } else if argv.len() != 2 {
        return Err(ReplyError::Syntax);
    }
    let now = ctx.now_ms;
    let mut all: Vec<&crate::exec::Client> = ctx.srv.clients.values().map(|c| &**c).collect();
    all.push(ctx.client);
    all.sort_by_key(|c| c.id);
    let mut out = String::new();
    for c in all {
        if want_type.is_some_and(|t| t != type_of(c)) {
            continue;
        }
        if ids.as_ref().is_some_and(|ids| !ids.contains(&c.id)) {
            continue;
        }
        out.push_str(&client_info_line(c, now));
        out.push('\n');
    }
    Ok(Frame::Verbatim(*b"txt", Bytes::from(out)))
}

/// ```text
/// CLIENT INFO
/// ```
pub fn client_info(ctx: &mut Ctx<'_>, _argv: &[Bytes]) -> Result<Frame, ReplyError> {
    let mut line = client_info_line(ctx.client, ctx.now_ms);
    line.push('\n');
    Ok(Frame::Verbatim(*b"txt", Bytes::from(line)))
}

/// The filters of `CLIENT KILL`.
#[derive(Default)]
struct KillFilter {
    id: Option<u64>,
    addr: Option<Bytes>,
    laddr: Option<Bytes>,
    ctype: Option<ClientType>,
    skipme: bool,
}

impl KillFilter {
    fn matches(&self, c: &crate::exec::Client) -> bool {
        self.id.is_none_or(|id| id == c.id)
            && self.addr.as_ref().is_none_or(|a| a == c.addr.as_bytes())
            && self.laddr.as_ref().is_none_or(|a| a == c.laddr.as_bytes())
            && self.ctype.is_none_or(|t| t == type_of(c))
    }
}

fn parse_kill_filter(argv: &[Bytes]) -> Result<KillFilter, ReplyError> {
    let mut f = KillFilter {
        skipme: true,
        ..KillFilter::default()
    };
    let mut i = 2;
    while i < argv.len() {
        let Some(value) = argv.get(i + 1) else {
            return Err(ReplyError::Syntax);
        };
        let opt = &argv[i];
        if args::is(opt, "id") {
            let id = shoal_common::number::parse_i64(value)
                .filter(|&i| i >= 1)
                .ok_or(ReplyError::other("ERR client-id should be greater than 0"))?;
            f.id = Some(id.unsigned_abs());
        } else if args::is(opt, "type") {
            f.ctype = Some(client_type(value)?);
        } else if args::is(opt, "addr") {
            f.addr = Some(value.clone());
        } else if args::is(opt, "laddr") {
            f.laddr = Some(value.clone());
        } else if args::is(opt, "user") {
            if value.as_ref() != b"default" {
                return Err(ReplyError::err(format!(
                    "No such user '{}'",
                    String::from_utf8_lossy(value)
                )));
            }
        } else if args::is(opt, "skipme") {
            if args::is(value, "yes") {
                f.skipme = true;
            } else if args::is(value, "no") {
                f.skipme = false;
            } else {
                return Err(ReplyError::Syntax);
            }
        } else {
            return Err(ReplyError::Syntax);
        }
        i += 2;
    }
    Ok(f)
}

/// ```text
/// CLIENT KILL ip:port
/// CLIENT KILL <ID client-id | TYPE <NORMAL | MASTER | SLAVE | REPLICA | PUBSUB> |
///     USER username | ADDR ip:port | LADDR ip:port | SKIPME <YES | NO>> [...]
/// ```
pub fn client_kill(ctx: &mut Ctx<'_>, argv: &[Bytes]) -> Result<Frame, ReplyError> {
    let old_style = argv.len() == 3;
    let filter = if old_style {
        KillFilter {
            addr: Some(argv[2].clone()),
            ..KillFilter::default()
        }
    } else {
        parse_kill_filter(argv)?
    };
    let victims: Vec<u64> = ctx
        .srv
        .clients
        .values()
        .filter(|c| filter.matches(c))
        .map(|c| c.id)
        .collect();
    let mut killed = victims.len();
    for id in victims {
        if let Some(mut c) = ctx.srv.clients.remove(&id) {
            c.close();
            ctx.srv.forget_client(&mut c);
        }
        ctx.srv.monitors.retain(|m| *m != id);
    }
    if !filter.skipme && filter.matches(ctx.client) {
        ctx.client.close_after_reply = true;
        killed += 1;
    }
    if old_style {
        return if killed == 0 {
            Err(ReplyError::other("ERR No such client"))
        } else {
            Ok(Frame::ok())
        };
    }
    Ok(Frame::Integer(i64::try_from(killed).unwrap_or(i64::MAX)))
}

/// Parses `ON` / `OFF`, else a syntax error.
fn on_off(arg: &[u8]) -> Result<bool, ReplyError> {
    if args::is(arg, "on") {
        Ok(true)
    } else if args::is(arg, "off") {
        Ok(false)
    } else {
        Err(ReplyError::Syntax)
    }
}

/// ```text
/// CLIENT NO-EVICT <ON | OFF>
/// ```
pub fn client_no_evict(ctx: &mut Ctx<'_>, argv: &[Bytes]) -> Result<Frame, ReplyError> {
    ctx.client.no_evict = on_off(&argv[2])?;
    Ok(Frame::ok())
}

/// ```text
/// CLIENT NO-TOUCH <ON | OFF>
/// ```
/// A Redis 7.2 command (7.0.15 answers `unknown subcommand`); we follow 7.2. The flag is
/// shown in `CLIENT LIST` (`T`); commands other than TOUCH then leave a key's access time.
pub fn client_no_touch(ctx: &mut Ctx<'_>, argv: &[Bytes]) -> Result<Frame, ReplyError> {
    ctx.client.no_touch = on_off(&argv[2])?;
    Ok(Frame::ok())
}

/// ```text
/// CLIENT SETINFO <LIB-NAME libname | LIB-VER libver>
/// ```
/// A Redis 7.2 command that client libraries send on connect; we follow 7.2.
pub fn client_setinfo(ctx: &mut Ctx<'_>, argv: &[Bytes]) -> Result<Frame, ReplyError> {
    let attr = String::from_utf8_lossy(&argv[2]).into_owned();
    let value = &argv[3];
    let is_name = attr.eq_ignore_ascii_case("lib-name");
    if !is_name && !attr.eq_ignore_ascii_case("lib-ver") {
        return Err(ReplyError::err(format!("Unrecognized option '{attr}'")));
    }
    if !value.iter().all(|&c| (b'!'..=b'~').contains(&c)) {
        return Err(ReplyError::err(format!(
            "{attr} cannot contain spaces, newlines or special characters."
        )));
    }
    let v = if value.is_empty() {
        None
    } else {
        Some(value.clone())
    };
    if is_name {
        ctx.client.lib_name = v;
    } else {
        ctx.client.lib_ver = v;
    }
    Ok(Frame::ok())
}

/// ```text
/// CLIENT REPLY <ON | OFF | SKIP>
/// ```
pub fn client_reply(ctx: &mut Ctx<'_>, argv: &[Bytes]) -> Result<Frame, ReplyError> {
    let c = &mut *ctx.client;
    if args::is(&argv[2], "on") {
        c.reply_off = false;
        c.reply_skip = false;
        Ok(Frame::ok())
    } else if args::is(&argv[2], "off") {
        c.reply_off = true;
        Ok(Frame::ok())
    } else if args::is(&argv[2], "skip") {
        if !c.reply_off {
            c.reply_skip = true;
            c.reply_skip_next = true;
        }
        Ok(Frame::ok())
    } else {
        Err(ReplyError::Syntax)
    }
}

/// ```text
/// CLIENT PAUSE timeout [WRITE | ALL]
/// ```
pub fn client_pause(ctx: &mut Ctx<'_>, argv: &[Bytes]) -> Result<Frame, ReplyError> {
    use crate::exec::pause::PauseMode;
    if argv.len() > 4 {
        return Err(super::subcommand_syntax(argv));
    }
    let mut mode = PauseMode::All;
    if let Some(m) = argv.get(3) {
        mode = if args::is(m, "write") {
            PauseMode::Write
        } else if args::is(m, "all") {
            PauseMode::All
        } else {
            return Err(ReplyError::other(
                "ERR CLIENT PAUSE mode must be WRITE or ALL",
            ));
        };
    }
    let ms = shoal_common::number::parse_i64(&argv[2]).ok_or(ReplyError::other(
        "ERR timeout is not an integer or out of range",
    ))?;
    if ms < 0 {
        return Err(ReplyError::other("ERR timeout is negative"));
    }
    let end = ms
        .checked_add(ctx.now_ms)
        .ok_or(ReplyError::other("ERR timeout is out of range"))?;
    ctx.srv.pause_clients(mode, end);
    Ok(Frame::ok())
}

/// ```text
/// CLIENT UNPAUSE
/// ```
pub fn client_unpause(ctx: &mut Ctx<'_>, _argv: &[Bytes]) -> Result<Frame, ReplyError> {
    ctx.srv.unpause_clients();
    Ok(Frame::ok())
}

/// ```text
/// CLIENT HELP
/// ```
pub fn client_help(_ctx: &mut Ctx<'_>, _argv: &[Bytes]) -> Result<Frame, ReplyError> {
    Ok(super::help_lines(
        "CLIENT",
        &[
            "CACHING (YES|NO)",
            "    Enable/disable tracking of the keys for next command in OPTIN/OPTOUT modes.",
            "GETREDIR",
            "    Return the client ID we are redirecting to when tracking is enabled.",
            "GETNAME",
            "    Return the name of the current connection.",
            "ID",
            "    Return the ID of the current connection.",
            "INFO",
            "    Return information about the current client connection.",
            "KILL <ip:port>",
            "    Kill connection made from <ip:port>.",
            "KILL <option> <value> [<option> <value> [...]]",
            "    Kill connections. Options are:",
            "    * ADDR (<ip:port>|<unixsocket>:0)",
            "      Kill connections made from the specified address",
            "    * LADDR (<ip:port>|<unixsocket>:0)",
            "      Kill connections made to specified local address",
            "    * TYPE (NORMAL|MASTER|REPLICA|PUBSUB)",
            "      Kill connections by type.",
            "    * USER <username>",
            "      Kill connections authenticated by <username>.",
            "    * SKIPME (YES|NO)",
            "      Skip killing current connection (default: yes).",
            "LIST [options ...]",
            "    Return information about client connections. Options:",
            "    * TYPE (NORMAL|MASTER|REPLICA|PUBSUB)",
            "      Return clients of specified type.",
            "UNPAUSE",
            "    Stop the current client pause, resuming traffic.",
            "PAUSE <timeout> [WRITE|ALL]",
            "    Suspend all, or just write, clients for <timeout> milliseconds.",
            "REPLY (ON|OFF|SKIP)",
            "    Control the replies sent to the current connection.",
            "SETNAME <name>",
            "    Assign the name <name> to the current connection.",
            "UNBLOCK <clientid> [TIMEOUT|ERROR]",
            "    Unblock the specified blocked client.",
            "TRACKING (ON|OFF) [REDIRECT <id>] [BCAST] [PREFIX <prefix> [...]]",
            "         [OPTIN] [OPTOUT] [NOLOOP]",
            "    Control server assisted client side caching.",
            "TRACKINGINFO",
            "    Report tracking status for the current connection.",
            "NO-EVICT (ON|OFF)",
            "    Protect current client connection from eviction.",
        ],
    ))
}

/// ```text
/// CLIENT UNBLOCK client-id [TIMEOUT | ERROR]
/// ```
pub fn client_unblock(ctx: &mut Ctx<'_>, argv: &[Bytes]) -> Result<Frame, ReplyError> {
    if argv.len() > 4 {
        return Err(ReplyError::other(
            "ERR unknown subcommand or wrong number of arguments for 'unblock'. Try CLIENT HELP.",
        ));
    }
    let mut error = false;
    if let Some(reason) = argv.get(3) {
        if args::is(reason, "timeout") {
            error = false;
        } else if args::is(reason, "error") {
            error = true;
        } else {
            return Err(ReplyError::other(
                "ERR CLIENT UNBLOCK reason should be TIMEOUT or ERROR",
            ));
        }
    }
    let id = args::int(&argv[2])?;
    let Ok(id) = crate::exec::ClientId::try_from(id) else {
        return Ok(Frame::Integer(0));
    };
    let reply = if error {
        Frame::error("UNBLOCKED client unblocked via CLIENT UNBLOCK")
    } else {
        Frame::NullArray
    };
    Ok(Frame::Integer(i64::from(
        ctx.srv.unblock_client(id, &reply),
    )))
}
