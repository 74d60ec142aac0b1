//! `process_command`: the one ordered gate every command passes (Redis `processCommand`).
//!
//! The checks run in Redis's order so that error precedence matches: lookup, arity, auth,
//! cluster redirect, OOM, read-only replica, pub/sub context, loading, MULTI queueing, then
//! the call itself. Each check is a small step returning `Result<(), ReplyError>`; the ifs stay
//! here. Checklist for a new check: put it at Redis's position, count a rejection in
//! `rejected_calls`, and add a test that pins which error wins when two apply.

use std::time::Instant;

use bytes::Bytes;
use shoal_common::command::{self, CommandSpec, Resolved};
use shoal_common::resp::Protocol;
use shoal_common::{Frame, ReplyError};

use super::{Client, Ctx, Server};
use crate::cmd;

/// The refusal of a write while `min-replicas-to-write` is not met (`shared.noreplicaserr`).
pub const NOREPLICAS: &str = "NOREPLICAS Not enough good replicas to write.";

/// The refusal of a command that would serve stale data (Redis `shared.masterdownerr`).
pub const MASTERDOWN: &str =
    "MASTERDOWN Link with MASTER is down and replica-serve-stale-data is set to 'no'.";

/// What the gate decided for a command that passed every check.
enum Pass {
    /// Run it now.
    Call(&'static CommandSpec),
    /// Inside MULTI: queue it and reply `+QUEUED`.
    Queue(&'static CommandSpec),
}

/// Commands that run at once inside MULTI instead of being queued (Redis `processCommand`).
fn runs_inside_multi(spec: &CommandSpec) -> bool {
    matches!(
        spec.name,
        "exec" | "discard" | "multi" | "watch" | "quit" | "reset"
    )
}

/// Errors of the cluster redirect step (Redis `clusterRedirectClient`).
fn is_redirect(err: &ReplyError) -> bool {
    matches!(
        err,
        ReplyError::Moved { .. }
            | ReplyError::Ask { .. }
            | ReplyError::CrossSlot
            | ReplyError::TryAgain
            | ReplyError::ClusterDown
            | ReplyError::ClusterDownUnbound
    ) || err.to_string().starts_with("CLUSTERDOWN ")
}

/// Refused over `maxmemory` when nothing can be evicted (Redis `processCommand`): `denyoom`
/// commands (EXEC with one queued), and inside MULTI anything queued, since the queue
/// itself grows memory.
fn denied_on_oom(spec: &CommandSpec, flags: u64, client: &Client) -> bool {
    if flags & command::flags::DENYOOM != 0 {
        return true;
    }
    client.multi.is_some() && !matches!(spec.name, "exec" | "discard" | "quit" | "reset")
}

/// Commands a RESP2 client in pub/sub mode may run.
fn allowed_in_pubsub_context(spec: &CommandSpec) -> bool {
    matches!(
        spec.name,
        "ping"
            | "subscribe"
            | "ssubscribe"
            | "unsubscribe"
            | "sunsubscribe"
            | "psubscribe"
            | "punsubscribe"
            | "quit"
            | "reset"
    )
}

impl Server {
    /// Runs one command; `None` when there is no reply to send now.
    pub fn process_command(&mut self, client: &mut Client, argv: &[Bytes]) -> Option<Frame> {
        let reply = self.process_one(client, argv);
        // ASKING is one-shot: it covers the next command only (rejected or not), or a whole
        // transaction when sent before MULTI (Redis `resetClient`).
        if !std::mem::take(&mut client.asking_just_set) && client.multi.is_none() {
            client.asking = false;
        }
        reply
    }

    fn process_one(&mut self, client: &mut Client, argv: &[Bytes]) -> Option<Frame> {
        // The one clock read of this command (or the previous command's end, see
        // `Server::drain_pending`): its duration starts here and its Unix time derives from it.
        let start = self
            .cmd_times
            .next_start
            .take()
            .unwrap_or_else(Instant::now);
        let now_ms = self.clock.ms_at(start);
        client.last_interaction_ms = now_ms;
        let pass = self.gate(client, argv);
        if let Ok(Pass::Call(spec) | Pass::Queue(spec)) = pass
            && self.pause.is_some()
            && !client.is_master
            && self.must_postpone(client, spec, now_ms)
        {
            // Redis `blockPostponeClient`: run it when the pause ends (exec::pause).
            self.postponed_current = true;
            return None;
        }
        let spec = match pass {
            Ok(Pass::Call(spec)) => spec,
            Ok(Pass::Queue(spec)) => {
                // Step 9: queue inside MULTI.
                if let Some(m) = client.multi.as_mut() {
                    m.queued.push((spec, argv.to_vec()));
                }
                return (!client.is_master).then(|| Frame::simple("QUEUED"));
            }
            Err((spec, err)) => {
                if let Some(spec) = spec {
                    self.stats.commands.get_mut(spec).rejected_calls += 1;
                }
                // A command rejected inside MULTI aborts the transaction (Redis
                // `flagTransaction`).
                if let Some(m) = client.multi.as_mut() {
                    m.aborted = true;
                }
                let err = if spec.is_some_and(|s| s.name == "exec") {
                    if is_redirect(&err) {
                        // A redirected EXEC is discarded and answers the redirect itself.
                        self.discard_transaction(client);
                        err
                    } else {
                        self.exec_abort(client, &err)
                    }
                } else {
                    err
                };
                self.record_error(&err);
                return Some(Frame::error(err.to_string()));
            }
        };
        self.cmd_times.call_start = Some((start, now_ms));
        let reply = self.call(client, spec, argv);
        // Step 12: serve the clients a key made ready by this command (or transaction),
        // before any other client's next command. Nested calls (EXEC) wait for the outer one.
        if self.blocking.call_depth == 0 {
            self.handle_clients_blocked_on_keys();
        }
        reply
    }

    /// A rejected EXEC discards the transaction and says why (Redis `execCommandAbort`);
    /// the `ERR ` of a formatted error is dropped.
    fn exec_abort(&mut self, client: &mut Client, err: &ReplyError) -> ReplyError {
        self.discard_transaction(client);
        let text = err.to_string();
        let why = text.strip_prefix("ERR ").unwrap_or(&text);
        ReplyError::Other(format!("EXECABORT Transaction discarded because of: {why}").into())
    }

    /// Runs a command that passed the gate (Redis `call`): the handler, statistics,
    /// replication, then the keyspace work its lookups left behind (expired keys). EXEC
    /// calls this for each queued command. `None` when there is no reply to send now.
    pub fn call(
        &mut self,
        client: &mut Client,
        spec: &'static CommandSpec,
        argv: &[Bytes],
    ) -> Option<Frame> {
        let (started, now_ms) = match self.cmd_times.call_start.take() {
            Some(given) => given,
            None => {
                let t = Instant::now();
                (t, self.clock.ms_at(t))
            }
        };
        client.last_cmd = spec.name;
        client.last_argv_bytes = argv.iter().map(Bytes::len).sum();
        let handler = cmd::handler(spec.id);
        // Lookups age keys unless the client asked not to (TOUCH always does).
        let touch = !client.no_touch || spec.id == command::CommandId::Touch;
        self.prepare_access_clock(now_ms, touch);
        self.set_expiry_mode(client, spec);
        self.blocking.call_depth += 1;
        let (result, no_reply, propagate_as) = {
            let mut ctx = Ctx {
                srv: self,
                client,
                now_ms,
                no_reply: false,
                propagate_as: None,
            };
            let r = handler(&mut ctx, argv);
            (r, ctx.no_reply, ctx.propagate_as)
        };
        self.blocking.call_depth -= 1;
        self.drain_expired(client);
        if client.bstate.request.is_some() {
            // The command blocked: no reply, no propagation until it is served.
            self.block_client(client, spec, argv);
            return None;
        }
        let ended = Instant::now();
        if self.blocking.call_depth == 0 {
            self.cmd_times.last_end = Some(ended);
        }
        let usec =
            u64::try_from(ended.saturating_duration_since(started).as_micros()).unwrap_or(u64::MAX);
        self.stats.total_commands_processed += 1;
        let st = self.stats.commands.get_mut(spec);
        st.calls += 1;
        st.usec += usec;
        self.slowlog_record(client, spec, argv, usec, now_ms);
        self.feed_monitors(client, spec, argv, now_ms);
        // A read-only command that changed a value anyway (PFCOUNT storing its count) says
        // what to propagate through `propagate_as`.
        let propagates = spec.has(command::flags::WRITE) || propagate_as.is_some();
        if result.is_ok() && propagates && !client.is_master {
            self.propagate_write(client, spec, argv, propagate_as, now_ms);
        }
        if client.is_master || (no_reply && result.is_ok()) {
            return None;
        }
        match result {
            Ok(frame) => Some(frame),
            Err(err) => {
                self.stats.commands.get_mut(spec).failed_calls += 1;
                self.record_error(&err);
                Some(Frame::error(err.to_string()))
            }
        }
    }

    /// `enable-debug-command`: `yes`, or `local` for a loopback client (Redis
    /// `allowProtectedAction`).
    fn debug_allowed(&self, client: &Client) -> bool {
        match self.config.get_str("enable-debug-command") {
            "yes" => true,
            "local" => client.addr.starts_with("127.") || client.addr.starts_with("[::1]"),
            _ => false,
        }
    }

    /// The checks before the call, in Redis's order.
    #[allow(clippy::type_complexity)]
    fn gate(
        &mut self,
        client: &mut Client,
        argv: &[Bytes],
    ) -> Result<Pass, (Option<&'static CommandSpec>, ReplyError)> {
        let spec = match command::resolve(argv) {
            Resolved::Found(spec) => spec,
            Resolved::Unknown => return Err((None, ReplyError::unknown_command(argv))),
            Resolved::UnknownSub => return Err((None, ReplyError::unknown_subcommand(argv))),
            Resolved::NoSub(spec) => {
                return Err((Some(spec), ReplyError::WrongArity(spec.name.into())));
            }
        };
        if !spec.arity_ok(argv.len()) {
            return Err((Some(spec), ReplyError::WrongArity(spec.name.into())));
        }
        if spec.id == command::CommandId::Debug && !self.debug_allowed(client) {
            return Err((
                Some(spec),
                ReplyError::other(
                    "ERR DEBUG command not allowed. If the enable-debug-command option is set \
                     to \"local\", you can run it from a local connection, otherwise you need to \
                     set this option in the configuration file, and then restart the server.",
                ),
            ));
        }
        if !client.is_master {
            if !client.authenticated && !spec.has(command::flags::NO_AUTH) {
                return Err((Some(spec), ReplyError::NoAuth));
            }
            if client.multi.is_some() && spec.has(command::flags::NO_MULTI) {
                return Err((
                    Some(spec),
                    ReplyError::other("ERR Command not allowed inside a transaction"),
                ));
            }
            // Step 4: cluster redirect; EXEC checks the keys of every queued command, as
            // Redis's `getNodeByQuery` does.
            let redirect = match client.multi.as_ref() {
                Some(m) if spec.id == command::CommandId::Exec => {
                    let queued: Vec<(&'static CommandSpec, &[Bytes])> =
                        m.queued.iter().map(|(s, a)| (*s, &a[..])).collect();
                    self.cluster_redirect(client, &queued)
                }
                _ => self.cluster_redirect(client, &[(spec, argv)]),
            };
            redirect.map_err(|e| (Some(spec), e))?;
            // EXEC is checked with the flags of what it will run (a write, deny-oom, ...), a
            // script with the flags its shebang or function declared.
            let flags = super::multi::gate_flags(spec, argv, client, &self.scripting);
            // Step 5: evict down to maxmemory, or refuse what would grow memory.
            if self.evict.maxmemory != 0 {
                let oom = self.perform_evictions(client) == super::evict::Outcome::Fail;
                self.evict.pre_command_oom = oom;
                if oom && denied_on_oom(spec, flags, client) {
                    return Err((Some(spec), ReplyError::Oom));
                }
                if flags & command::flags::DENYOOM != 0 {
                    self.evict.note_write(argv.iter().map(Bytes::len).sum());
                }
            }
            self.replication_gate(flags).map_err(|e| (Some(spec), e))?;
            // Step 7: a RESP2 client in pub/sub mode runs only (un)subscribe commands.
            if client.pubsub_mode
                && client.protocol == Protocol::Resp2
                && !allowed_in_pubsub_context(spec)
            {
                return Err((
                    Some(spec),
                    ReplyError::err(format!(
                        "Can't execute '{}': only (P|S)SUBSCRIBE / (P|S)UNSUBSCRIBE / PING / \
                         QUIT / RESET are allowed in this context",
                        spec.name
                    )),
                ));
            }
        }
        // A script running past busy-reply-threshold: only `allow_busy` commands (Redis
        // `isInsideYieldingLongCommand`, script::busy).
        if let Some(busy) = self.script_busy_error()
            && !spec.has(command::flags::ALLOW_BUSY)
        {
            return Err((Some(spec), ReplyError::other(busy)));
        }
        // Step 9: inside MULTI everything but the transaction commands is queued (the
        // primary's stream included: it wraps transactions in MULTI/EXEC).
        if client.multi.is_some() && !runs_inside_multi(spec) {
            return Ok(Pass::Queue(spec));
        }
        Ok(Pass::Call(spec))
    }

    /// Step 4 of the gate: in cluster mode, may this node serve these commands? Keyless
    /// commands pass (the decision finds no key); EXEC passes its queued commands here
    /// (Redis `getNodeByQuery` is one code path for both).
    pub fn cluster_redirect(
        &self,
        client: &Client,
        cmds: &[(&'static CommandSpec, &[Bytes])],
    ) -> Result<(), ReplyError> {
        if !self.keys_in_flight.is_empty() {
            let mut idx = Vec::new();
            for (spec, argv) in cmds {
                let _ = crate::cluster::redirect::command_keys(spec, argv, &mut idx);
                if idx.iter().any(|&i| self.keys_in_flight.contains(&argv[i])) {
                    // Being moved by MIGRATE right now (see cluster::migrate).
                    return Err(ReplyError::TryAgain);
                }
                idx.clear();
            }
        }
        let Some(st) = self.cluster.as_ref() else {
            return Ok(());
        };
        let flags = crate::cluster::redirect::ClientFlags {
            asking: client.asking,
            readonly: client.readonly,
        };
        crate::cluster::redirect::redirect(st, &self.dbs[0], self.clock.now_ms(), flags, cmds)
    }
}

impl Server {
    /// Redis's replication checks in `processCommand`: NOREPLICAS (min-replicas-to-write),
    /// READONLY on a read-only replica, MASTERDOWN when stale data must not be served.
    fn replication_gate(&self, flags: u64) -> Result<(), ReplyError> {
        use command::flags::{STALE, WRITE};
        let write = flags & WRITE != 0;
        match &self.repl.master {
            None => {
                if write && !self.enough_good_replicas() {
                    return Err(ReplyError::other(NOREPLICAS));
                }
            }
            Some(_) => {
                if write && self.hot.replica_read_only {
                    return Err(ReplyError::ReadOnly);
                }
                if flags & STALE == 0 && self.must_not_serve_stale() {
                    return Err(ReplyError::other(MASTERDOWN));
                }
            }
        }
        Ok(())
    }

    /// `min-replicas-to-write` is met, or off (either setting 0, or we are a replica):
    /// enough replicas acknowledged within `min-replicas-max-lag` (Redis
    /// `checkGoodReplicasStatus`).
    pub fn enough_good_replicas(&self) -> bool {
        let min = self.hot.min_replicas_to_write;
        if min <= 0 || self.hot.min_replicas_max_lag <= 0 || self.repl.master.is_some() {
            return true;
        }
        let max_lag_ms = self.hot.min_replicas_max_lag * 1000;
        let now = self.clock.now_ms();
        let good = self
            .repl
            .replicas
            .iter()
            .filter(|r| r.online() && now - r.last_ack_ms <= max_lag_ms)
            .count();
        i64::try_from(good).unwrap_or(0) >= min
    }

    /// A replica whose link is down with `replica-serve-stale-data no` (Redis's
    /// `running_stale`): only `stale` commands run.
    pub fn must_not_serve_stale(&self) -> bool {
        self.repl.master.as_ref().is_some_and(|m| {
            m.state != crate::replication::LinkState::Connected
                && !self.hot.replica_serve_stale_data
        })
    }

    /// Sends an executed write to the replication stream, in its deterministic form.
    pub(crate) fn propagate_write(
        &mut self,
        client: &mut Client,
        spec: &CommandSpec,
        argv: &[Bytes],
        propagate_as: Option<Vec<Vec<Bytes>>>,
        now_ms: i64,
    ) {
        if !self.replication_active() {
            return;
        }
        match propagate_as {
            Some(cmds) => {
                for cmd in cmds {
                    self.propagate(client.db, &cmd);
                }
            }
            None => match crate::replication::propagate::rewrite(spec.id, argv, now_ms) {
                Some(cmd) => self.propagate(client.db, &cmd),
                None => self.propagate(client.db, argv),
            },
        }
        client.woff = self.repl.offset();
    }
}
