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
use shoal_common::{Frame, ReplyError};

use super::{Client, Ctx, Server};
use crate::cmd;

impl Server {
    /// Runs one command; `None` when there is no reply to send now.
    pub fn process_command(&mut self, client: &mut Client, argv: &[Bytes]) -> Option<Frame> {
        let now_ms = self.clock.now_ms();
        client.last_interaction_ms = now_ms;
        let spec = match self.gate(client, argv) {
            Ok(spec) => spec,
            Err((spec, err)) => {
                if let Some(spec) = spec {
                    self.stats
                        .commands
                        .entry(spec.name)
                        .or_default()
                        .rejected_calls += 1;
                }
                self.record_error(&err);
                return Some(Frame::error(err.to_string()));
            }
        };
        client.last_cmd = spec.name;
        let started = Instant::now();
        let handler = cmd::handler(spec.id);
        let result = {
            let mut ctx = Ctx {
                srv: self,
                client,
                now_ms,
            };
            handler(&mut ctx, argv)
        };
        let usec = u64::try_from(started.elapsed().as_micros()).unwrap_or(u64::MAX);
        self.stats.total_commands_processed += 1;
        let st = self.stats.commands.entry(spec.name).or_default();
        st.calls += 1;
        st.usec += usec;
        match result {
            Ok(frame) => Some(frame),
            Err(err) => {
                self.stats
                    .commands
                    .entry(spec.name)
                    .or_default()
                    .failed_calls += 1;
                self.record_error(&err);
                Some(Frame::error(err.to_string()))
            }
        }
    }

    /// The checks before the call, in Redis's order.
    #[allow(clippy::type_complexity)]
    fn gate(
        &mut self,
        client: &Client,
        argv: &[Bytes],
    ) -> Result<&'static CommandSpec, (Option<&'static CommandSpec>, ReplyError)> {
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
        if !client.authenticated && !spec.has(command::flags::NO_AUTH) {
            return Err((Some(spec), ReplyError::NoAuth));
        }
        Ok(spec)
    }
}
