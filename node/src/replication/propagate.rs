//! Feeding the replication stream (Redis `propagate` / `feedReplicationBuffer`).
//!
//! Every write that ran without error is appended to the stream as RESP, preceded by
//! `SELECT <db>` when the database changes. Commands whose effect depends on the moment or on
//! chance are rewritten first so a replica applying them later reaches the same state:
//! relative expire times become absolute (`EXPIRE k 10` → `PEXPIREAT k <ms>`, `SET k v EX 10`
//! → `SET k v PXAT <ms>`). Checklist for a new write command: if it reads the clock or a random
//! number, add its rewrite to [`rewrite`] (or have its handler set `Ctx::propagate_as`).

use bytes::{Bytes, BytesMut};
use shoal_common::command::CommandId;
use shoal_common::resp::encode::encode_request;

use super::backlog::Backlog;
use crate::exec::Server;

/// Default `repl-backlog-size` when the directive cannot be read.
const BACKLOG_DEFAULT_BYTES: usize = 1024 * 1024;

fn abs_ms_arg(base_ms: i64, arg: &[u8], unit_ms: i64) -> Option<Bytes> {
    let v = shoal_common::number::parse_i64(arg)?;
    let abs = v.checked_mul(unit_ms)?.checked_add(base_ms)?;
    Some(Bytes::from(abs.to_string()))
}

/// The deterministic form of `argv` for the stream, or `None` to propagate it as it is.
pub fn rewrite(id: CommandId, argv: &[Bytes], now_ms: i64) -> Option<Vec<Bytes>> {
    match id {
        CommandId::Expire | CommandId::Pexpire => {
            let unit = if id == CommandId::Expire { 1000 } else { 1 };
            let mut out = vec![
                Bytes::from_static(b"PEXPIREAT"),
                argv[1].clone(),
                abs_ms_arg(now_ms, &argv[2], unit)?,
            ];
            out.extend_from_slice(&argv[3..]);
            Some(out)
        }
        CommandId::Setex => Some(vec![
            Bytes::from_static(b"SET"),
            argv[1].clone(),
            argv[3].clone(),
            Bytes::from_static(b"PXAT"),
            abs_ms_arg(now_ms, &argv[2], 1000)?,
        ]),
        CommandId::Set => {
            let pos = argv
                .iter()
                .skip(3)
                .position(|a| a.eq_ignore_ascii_case(b"ex") || a.eq_ignore_ascii_case(b"px"))?
                + 3;
            let unit = if argv[pos].eq_ignore_ascii_case(b"ex") {
                1000
            } else {
                1
            };
            let mut out = argv.to_vec();
            out[pos] = Bytes::from_static(b"PXAT");
            out[pos + 1] = abs_ms_arg(now_ms, argv.get(pos + 1)?, unit)?;
            Some(out)
        }
        CommandId::Restore => {
            let absolute = argv
                .iter()
                .skip(4)
                .any(|a| a.eq_ignore_ascii_case(b"absttl"));
            if absolute || argv[2].as_ref() == b"0" {
                return None;
            }
            let mut out = argv.to_vec();
            out[2] = abs_ms_arg(now_ms, &argv[2], 1)?;
            out.push(Bytes::from_static(b"ABSTTL"));
            Some(out)
        }
        _ => None,
    }
}

impl Server {
    /// True when writes must be encoded for the stream (a backlog exists).
    pub fn replication_active(&self) -> bool {
        self.repl.backlog.is_some()
    }

    /// Creates the backlog if it does not exist yet (first replica).
    pub fn ensure_backlog(&mut self) {
        if self.repl.backlog.is_none() {
            let size = usize::try_from(self.config.get_i64("repl-backlog-size"))
                .unwrap_or(BACKLOG_DEFAULT_BYTES);
            self.repl.backlog = Some(Backlog::new(size, self.repl.base_offset));
        }
    }

    /// Appends a write executed in `db` to the stream. A replica's stream is its primary's,
    /// proxied byte for byte (see `replication::replica`): its own writes (a client on a
    /// writable replica) stay local and move no offset, as Redis's `replicationFeedSlaves`.
    pub fn propagate(&mut self, db: usize, argv: &[Bytes]) {
        if !self.replication_active() || self.repl.is_replica() {
            return;
        }
        if let Some(run) = self.scripting.running.as_mut() {
            // A script's writes go out together when it ends (script::run), unless
            // `redis.set_repl` turned replication off.
            if run.repl_flags & 2 != 0 {
                run.propagated.push((db, argv.to_vec()));
            }
            return;
        }
        let mut out = BytesMut::new();
        if self.repl.last_db != Some(db) {
            encode_request(&[b"SELECT".as_slice(), db.to_string().as_bytes()], &mut out);
            self.repl.last_db = Some(db);
        }
        encode_request(argv, &mut out);
        self.feed_stream(&out);
    }

    /// Appends raw stream bytes to the backlog and sends them to every replica (online ones
    /// now, those still receiving a snapshot after it).
    pub fn feed_stream(&mut self, data: &[u8]) {
        let Some(backlog) = self.repl.backlog.as_mut() else {
            return;
        };
        backlog.append(data);
        let offset = backlog.end_offset();
        self.repl
            .shared_offset
            .store(offset, std::sync::atomic::Ordering::Relaxed);
        for r in &mut self.repl.replicas {
            match &mut r.buffered {
                Some(buf) => buf.extend_from_slice(data),
                None => {
                    if let Some(c) = self.clients.get(&r.client_id) {
                        c.send(BytesMut::from(data));
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v(args: &[&str]) -> Vec<Bytes> {
        args.iter().map(|a| Bytes::from(a.to_string())).collect()
    }

    #[test]
    fn relative_times_become_absolute() {
        assert_eq!(
            rewrite(CommandId::Expire, &v(&["expire", "k", "10", "NX"]), 1000),
            Some(v(&["PEXPIREAT", "k", "11000", "NX"]))
        );
        assert_eq!(
            rewrite(CommandId::Setex, &v(&["setex", "k", "2", "v"]), 1000),
            Some(v(&["SET", "k", "v", "PXAT", "3000"]))
        );
        assert_eq!(
            rewrite(CommandId::Set, &v(&["set", "k", "v", "px", "5"]), 1000),
            Some(v(&["set", "k", "v", "PXAT", "1005"]))
        );
        assert_eq!(rewrite(CommandId::Set, &v(&["set", "k", "v"]), 1000), None);
    }
}
