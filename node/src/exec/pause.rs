//! `CLIENT PAUSE` / `CLIENT UNPAUSE`: postponing clients' commands (Redis `pauseActions`,
//! `blockPostponeClient` in networking.c / blocked.c).
//!
//! While a pause is active, a command that passes the gate but is paused (every command in
//! `ALL` mode; in `WRITE` mode the commands flagged `write` or `may_replicate`) is not run:
//! it and every command the client sends after it wait in `Client::postponed`, in order, so
//! replies keep their order. When the pause ends (its deadline, checked by the cron, or
//! `CLIENT UNPAUSE`), the postponed commands run as if they had just arrived.
//!
//! Invariants: a client with postponed commands runs nothing else until they are drained;
//! active expiry does not run while writes are paused (Redis keeps the dataset static).
//! Checklist: a new command that may propagate must carry `WRITE` or `MAY_REPLICATE`.

use bytes::Bytes;
use shoal_common::command::{CommandSpec, flags};

use super::{Client, ClientId, Server};

/// What is paused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PauseMode {
    /// Commands that may write or replicate.
    Write,
    /// Every command.
    All,
}

/// An active pause.
#[derive(Debug, Clone, Copy)]
pub struct Pause {
    /// What is paused.
    pub mode: PauseMode,
    /// When it ends, Unix ms.
    pub end_ms: i64,
}

impl Pause {
    /// True when `spec` must wait under this pause.
    pub fn applies_to(&self, spec: &CommandSpec) -> bool {
        match self.mode {
            PauseMode::All => true,
            PauseMode::Write => spec.has(flags::WRITE) || spec.has(flags::MAY_REPLICATE),
        }
    }
}

impl Server {
    /// Starts or extends a pause (Redis keeps the later deadline and the stricter mode).
    pub fn pause_clients(&mut self, mode: PauseMode, end_ms: i64) {
        let next = match self.pause {
            Some(p) => Pause {
                mode: if p.mode == PauseMode::All || mode == PauseMode::All {
                    PauseMode::All
                } else {
                    PauseMode::Write
                },
                end_ms: p.end_ms.max(end_ms),
            },
            None => Pause { mode, end_ms },
        };
        self.pause = Some(next);
    }

    /// Ends the pause; postponed clients run at the end of the current batch.
    pub fn unpause_clients(&mut self) {
        if self.pause.take().is_some() {
            self.resume_postponed = true;
        }
    }

    /// True when `client`'s command `spec` (past the gate) must be postponed now. EXEC counts
    /// as a write when a queued command does (Redis `is_may_replicate_command`).
    pub fn must_postpone(&mut self, client: &Client, spec: &CommandSpec, now_ms: i64) -> bool {
        match self.pause {
            Some(p) if p.end_ms <= now_ms => {
                self.unpause_clients();
                false
            }
            Some(p) => {
                p.applies_to(spec)
                    || (spec.name == "exec"
                        && client
                            .multi
                            .as_ref()
                            .is_some_and(|m| m.queued.iter().any(|(s, _)| p.applies_to(s))))
            }
            None => false,
        }
    }

    /// True while writes are paused (active expiry stays off).
    pub fn writes_paused(&self, now_ms: i64) -> bool {
        self.pause.is_some_and(|p| p.end_ms > now_ms)
    }

    /// Ends an expired pause (cron) and runs postponed clients once nothing is paused.
    pub fn check_pause(&mut self, now_ms: i64) {
        if self.pause.is_some_and(|p| p.end_ms <= now_ms) {
            self.unpause_clients();
        }
        if std::mem::take(&mut self.resume_postponed) {
            let ids: Vec<ClientId> = self
                .clients
                .values()
                .filter(|c| !c.postponed.is_empty() || c.postponed_error.is_some())
                .map(|c| c.id)
                .collect();
            for id in ids {
                let (cmds, error) = match self.clients.get_mut(&id) {
                    Some(c) => (
                        std::mem::take(&mut c.postponed).into_iter().collect(),
                        c.postponed_error.take(),
                    ),
                    None => continue,
                };
                self.handle_batch(id, cmds, error);
            }
        }
    }

    /// The number of clients waiting on a pause (`INFO clients blocked_clients`).
    pub fn postponed_clients(&self) -> usize {
        self.clients
            .values()
            .filter(|c| !c.postponed.is_empty())
            .count()
    }
}

/// Redis's gate position for the pause check is after every rejection (unknown command,
/// arity, auth): a rejected command answers at once even during a pause.
pub fn postpone_rest(client: &mut super::Client, rest: impl IntoIterator<Item = Vec<Bytes>>) {
    client.postponed.extend(rest);
}
