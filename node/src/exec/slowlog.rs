//! The slow log: commands that ran longer than `slowlog-log-slower-than` microseconds, newest
//! first, at most `slowlog-max-len` entries (Redis slowlog.c).
//!
//! Entries keep at most 32 arguments (the last one replaced by `... (N more arguments)`) and
//! at most 128 bytes per argument (`... (N more bytes)`), as Redis does, so a huge command
//! cannot make the log huge. Credentials are redacted as for MONITOR.

use std::collections::VecDeque;

use bytes::Bytes;
use shoal_common::Frame;
use shoal_common::command::{CommandSpec, flags};

use super::{Client, Server};

/// Most arguments kept per entry (Redis `SLOWLOG_ENTRY_MAX_ARGC`).
const ENTRY_MAX_ARGC: usize = 32;
/// Most bytes kept per argument (Redis `SLOWLOG_ENTRY_MAX_STRING`).
const ENTRY_MAX_STRING: usize = 128;

/// One slow command.
#[derive(Debug, Clone)]
pub struct Entry {
    /// Unique, increasing id.
    pub id: i64,
    /// When it ran, Unix seconds.
    pub time_s: i64,
    /// How long it ran, microseconds.
    pub duration_us: i64,
    /// The (trimmed) arguments.
    pub argv: Vec<Bytes>,
    /// The client's `ip:port`.
    pub peer: String,
    /// The client's name.
    pub name: Bytes,
}

/// The log, newest entry first.
#[derive(Debug, Default)]
pub struct SlowLog {
    /// Entries, newest first.
    pub entries: VecDeque<Entry>,
    /// The next entry's id.
    pub next_id: i64,
}

impl Entry {
    /// The `SLOWLOG GET` form of the entry.
    pub fn frame(&self) -> Frame {
        Frame::Array(vec![
            Frame::Integer(self.id),
            Frame::Integer(self.time_s),
            Frame::Integer(self.duration_us),
            Frame::bulks(self.argv.iter().cloned()),
            Frame::bulk(self.peer.as_bytes()),
            Frame::Bulk(self.name.clone()),
        ])
    }
}

fn trimmed_argv(spec: &CommandSpec, argv: &[Bytes]) -> Vec<Bytes> {
    let keep = argv.len().min(ENTRY_MAX_ARGC);
    let mut out = Vec::with_capacity(keep);
    for (i, a) in argv.iter().enumerate().take(keep) {
        if i == ENTRY_MAX_ARGC - 1 && argv.len() > ENTRY_MAX_ARGC {
            let more = argv.len() - ENTRY_MAX_ARGC + 1;
            out.push(Bytes::from(format!("... ({more} more arguments)")));
        } else if super::monitor::redacted(spec, argv, i) {
            out.push(Bytes::from_static(b"(redacted)"));
        } else if a.len() > ENTRY_MAX_STRING {
            let mut s = a[..ENTRY_MAX_STRING].to_vec();
            s.extend_from_slice(
                format!("... ({} more bytes)", a.len() - ENTRY_MAX_STRING).as_bytes(),
            );
            out.push(Bytes::from(s));
        } else {
            out.push(a.clone());
        }
    }
    out
}

impl Server {
    /// Logs the command `client` just ran if it was slow enough (Redis
    /// `slowlogPushCurrentCommand`).
    pub fn slowlog_record(
        &mut self,
        client: &Client,
        spec: &CommandSpec,
        argv: &[Bytes],
        duration_us: u64,
        now_ms: i64,
    ) {
        let slower_than = self.hot.slowlog_log_slower_than;
        let max_len = self.hot.slowlog_max_len;
        let duration_us = i64::try_from(duration_us).unwrap_or(i64::MAX);
        if slower_than < 0
            || max_len == 0
            || duration_us < slower_than
            || spec.has(flags::SKIP_SLOWLOG)
        {
            return;
        }
        let log = &mut self.slowlog;
        log.entries.push_front(Entry {
            id: log.next_id,
            time_s: now_ms / 1000,
            duration_us,
            argv: trimmed_argv(spec, argv),
            peer: client.addr.clone(),
            name: client.name.clone().unwrap_or_default(),
        });
        log.next_id += 1;
        log.entries.truncate(max_len);
    }
}
