//! MONITOR: every executed command, as one status line, to every client in monitor mode
//! (Redis `replicationFeedMonitors` in replication.c).
//!
//! Line format: `+<sec>.<usec> [<db> <ip:port>] "arg" "arg"`, arguments quoted as Redis's
//! `sdscatrepr`. Commands flagged `admin` or `skip_monitor` are not shown; AUTH's and
//! HELLO AUTH's credentials show as `(redacted)`, as in Redis 7.
//! Invariant: `Server::monitors` holds only ids of connected clients in monitor mode.

use std::fmt::Write as _;

use bytes::{Bytes, BytesMut};
use shoal_common::Frame;
use shoal_common::command::{CommandId, CommandSpec, flags};
use shoal_common::resp::encode::encode;

use super::{Client, Server};

/// Redis `sdscatrepr`: a double-quoted, escaped rendering of `s`.
pub fn repr(out: &mut String, s: &[u8]) {
    out.push('"');
    for &c in s {
        match c {
            b'\\' => out.push_str("\\\\"),
            b'"' => out.push_str("\\\""),
            b'\n' => out.push_str("\\n"),
            b'\r' => out.push_str("\\r"),
            b'\t' => out.push_str("\\t"),
            7 => out.push_str("\\a"),
            8 => out.push_str("\\b"),
            c if c.is_ascii_graphic() || c == b' ' => out.push(char::from(c)),
            c => {
                let _ = write!(out, "\\x{c:02x}");
            }
        }
    }
    out.push('"');
}

/// Which arguments Redis redacts from MONITOR and SLOWLOG (`redactClientCommandArgument`).
pub fn redacted(spec: &CommandSpec, argv: &[Bytes], i: usize) -> bool {
    match spec.id {
        CommandId::Auth => i >= 1,
        CommandId::Hello => argv
            .iter()
            .enumerate()
            .skip(2)
            .any(|(j, a)| a.eq_ignore_ascii_case(b"auth") && (i == j + 1 || i == j + 2)),
        // The values of Redis's SENSITIVE_CONFIG parameters.
        CommandId::ConfigSet => {
            i >= 3
                && i % 2 == 1
                && ["masterauth", "masteruser", "requirepass"]
                    .iter()
                    .any(|n| argv[i - 1].eq_ignore_ascii_case(n.as_bytes()))
        }
        _ => false,
    }
}

impl Server {
    /// Sends the MONITOR line for a command `client` just ran.
    pub fn feed_monitors(
        &mut self,
        client: &Client,
        spec: &CommandSpec,
        argv: &[Bytes],
        now_ms: i64,
    ) {
        if self.monitors.is_empty() || spec.has(flags::ADMIN) || spec.has(flags::SKIP_MONITOR) {
            return;
        }
        let us = self.clock.now_us().max(now_ms * 1000);
        let mut line = format!(
            "{}.{:06} [{} {}] ",
            us / 1_000_000,
            us % 1_000_000,
            client.db,
            client.addr
        );
        for (i, a) in argv.iter().enumerate() {
            if i > 0 {
                line.push(' ');
            }
            if redacted(spec, argv, i) {
                repr(&mut line, b"(redacted)");
            } else {
                repr(&mut line, a);
            }
        }
        let frame = Frame::Simple(Bytes::from(line));
        self.monitors.retain(|id| {
            let Some(m) = self.clients.get(id) else {
                return false;
            };
            let mut out = BytesMut::new();
            encode(&frame, m.protocol, &mut out);
            m.send(out)
        });
    }
}
