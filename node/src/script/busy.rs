//! Long scripts: BUSY replies, SCRIPT KILL (Redis `scriptInterrupt`, `luaMaskCountHook`,
//! `processEventsWhileBlocked`).
//!
//! A Lua count hook fires every [`HOOK_INSTRUCTIONS`] instructions. Once the script has run
//! longer than `busy-reply-threshold` (alias `lua-time-limit`), each hook call serves the
//! events already queued for the executor: other clients' commands then meet the gate's BUSY
//! check (only `allow_busy` commands such as SCRIPT KILL and SHUTDOWN run), connections come
//! and go; everything else (the running client's own commands, replication and bus events)
//! is sent back to the executor's channel to be handled after the script. SCRIPT KILL marks
//! the script killed, and the next hook call stops it with an error.

use std::time::{Duration, Instant};

use shoal_common::{Frame, ReplyError};

use crate::exec::{ClientId, Event, Server};

/// Lua instructions between two hook calls (Redis: 100000).
pub const HOOK_INSTRUCTIONS: u32 = 100_000;

/// A script running this long (or past `busy-reply-threshold`, if lower) hands the worker's
/// other tasks to another thread; a short script runs with no such cost.
const RELEASE_AFTER: Duration = Duration::from_millis(10);

/// Time between two hand-off attempts (one may not take: see [`release_worker`]).
const RELEASE_RETRY: Duration = Duration::from_millis(100);

/// The error a killed script ends with.
pub const KILLED: &str = "ERR Script killed by user with SCRIPT KILL...";

/// The BUSY error of the gate while an EVAL script runs.
pub const BUSY: &str =
    "BUSY Redis is busy running a script. You can only call SCRIPT KILL or SHUTDOWN NOSAVE.";

/// The BUSY error of the gate while a function runs.
pub const BUSY_FUNCTION: &str =
    "BUSY Redis is busy running a script. You can only call FUNCTION KILL or SHUTDOWN NOSAVE.";

impl Server {
    /// The BUSY error while a script has been running longer than `busy-reply-threshold`.
    pub fn script_busy_error(&self) -> Option<&'static str> {
        let run = self.scripting.running.as_ref().filter(|r| r.timed_out)?;
        Some(if run.function.is_some() {
            BUSY_FUNCTION
        } else {
            BUSY
        })
    }

    /// The hook's periodic work while `current` runs a script that is at `line`: returns true
    /// when the script must stop (SCRIPT KILL, SHUTDOWN).
    pub fn script_busy_tick(&mut self, current: ClientId, line: i64) -> bool {
        let threshold = u128::try_from(self.config.get_i64("busy-reply-threshold")).unwrap_or(0);
        let Some(run) = self.scripting.running.as_mut() else {
            return false;
        };
        run.line = line;
        let elapsed = run.started.elapsed();
        if elapsed.as_millis() >= threshold.min(RELEASE_AFTER.as_millis())
            && run.released_at.is_none_or(|t| t.elapsed() >= RELEASE_RETRY)
        {
            run.released_at = Some(Instant::now());
            release_worker();
        }
        if !run.timed_out {
            if run.started.elapsed().as_millis() < threshold {
                return false;
            }
            run.timed_out = true;
            tracing::warn!(
                "Slow script detected: still in execution after {} milliseconds. \
                 You can try killing the script using the SCRIPT KILL command.",
                run.started.elapsed().as_millis()
            );
        }
        self.serve_events_while_busy(current);
        self.shutdown_requested || self.scripting.running.as_ref().is_some_and(|r| r.kill)
    }

    /// Handles the events queued for the executor that may run during a script.
    fn serve_events_while_busy(&mut self, current: ClientId) {
        let Some(mut inbox) = self.inbox.take() else {
            return;
        };
        let mut later = Vec::new();
        while let Ok(ev) = inbox.try_recv() {
            match ev {
                Event::Connect(_) => self.handle(ev),
                Event::Batch { id, .. } | Event::Disconnect(id) if id != current => self.handle(ev),
                other => later.push(other),
            }
        }
        self.inbox = Some(inbox);
        if let Some(tx) = &self.events {
            for ev in later {
                let _ = tx.send(ev);
            }
        }
    }
}

/// Called from the hook of a script that has run for a while: tells the runtime that this
/// worker thread is held, so its other tasks (connections) move to another thread and the
/// replies a long script sends while it serves events (BUSY) are written at once, SCRIPT
/// KILL is read (tokio `block_in_place`). The hand-off happens inside `block_in_place`; the
/// short pause in it lets the new thread take the worker's core before this thread could take
/// it back on return. Once the core is gone, later calls only pause. Doing this for every
/// script would cost two thread switches per EVAL: short scripts never get here.
pub fn release_worker() {
    use tokio::runtime::{Handle, RuntimeFlavor};
    if Handle::try_current().is_ok_and(|h| h.runtime_flavor() == RuntimeFlavor::MultiThread) {
        tokio::task::block_in_place(|| std::thread::sleep(Duration::from_micros(500)));
    }
}

/// SCRIPT KILL, or FUNCTION KILL when `function` (Redis `scriptKill`).
pub fn kill(srv: &mut Server, function: bool) -> Result<Frame, ReplyError> {
    let Some(run) = srv.scripting.running.as_mut() else {
        return Err(ReplyError::other(
            "NOTBUSY No scripts in execution right now.",
        ));
    };
    if run.from_master {
        return Err(ReplyError::other(
            "UNKILLABLE The busy script was sent by a master instance in the context of \
             replication and cannot be killed.",
        ));
    }
    if run.wrote {
        return Err(ReplyError::other(
            "UNKILLABLE Sorry the script already executed write commands against the dataset. \
             You can either wait the script termination or kill the server in a hard way using \
             the SHUTDOWN NOSAVE command.",
        ));
    }
    match (function, run.function.is_some()) {
        (false, true) => return Err(ReplyError::other(BUSY_FUNCTION)),
        (true, false) => return Err(ReplyError::other(BUSY)),
        _ => {}
    }
    run.kill = true;
    Ok(Frame::ok())
}
