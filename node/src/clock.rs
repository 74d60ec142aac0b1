//! Time as the executor sees it: absolute Unix milliseconds (expiry times are persisted and
//! replicated, so they cannot be `Instant`s) plus a manual mode for tests.
//!
//! The command path reads one monotonic [`Instant`] per command (it measures the command's
//! duration for SLOWLOG and commandstats) and derives the command's Unix time from it with
//! [`Clock::ms_at`]: wall time read at an anchor plus monotonic time elapsed since, the anchor
//! renewed when older than [`ANCHOR_MAX`]. So a pipelined batch costs one wall-clock read per
//! millisecond instead of several per command, as Redis caches `server.mstime`.

use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

/// Longest time a wall-clock reading is extrapolated with the monotonic clock: a wall-clock
/// step (NTP) shows within this delay.
pub const ANCHOR_MAX: Duration = Duration::from_millis(1);

/// The node's clock.
#[derive(Debug, Clone, Default)]
pub struct Clock {
    manual_ms: Option<i64>,
    /// A monotonic instant and the wall-clock Unix µs read right after it ([`Clock::ms_at`]).
    anchor: Option<(Instant, i64)>,
}

impl Clock {
    /// The real clock.
    pub fn real() -> Clock {
        Clock::default()
    }

    /// A clock frozen at `ms` until [`Clock::advance`] moves it.
    pub fn manual(ms: i64) -> Clock {
        Clock {
            manual_ms: Some(ms),
            anchor: None,
        }
    }

    /// Moves a manual clock forward (no effect on the real clock).
    pub fn advance(&mut self, ms: i64) {
        if let Some(m) = &mut self.manual_ms {
            *m += ms;
        }
    }

    /// Unix time in milliseconds.
    pub fn now_ms(&self) -> i64 {
        self.manual_ms.unwrap_or_else(unix_ms)
    }

    /// Unix time in milliseconds at the monotonic instant `t` (a recent reading: the command
    /// path's one clock read per command). A manual clock answers its own time.
    pub fn ms_at(&mut self, t: Instant) -> i64 {
        if let Some(ms) = self.manual_ms {
            return ms;
        }
        if let Some((at, us)) = self.anchor
            && let Some(elapsed) = t.checked_duration_since(at)
            && elapsed <= ANCHOR_MAX
        {
            return (us + i64::try_from(elapsed.as_micros()).unwrap_or(0)) / 1000;
        }
        let us = unix_us();
        self.anchor = Some((t, us));
        us / 1000
    }

    /// Unix time in microseconds.
    pub fn now_us(&self) -> i64 {
        match self.manual_ms {
            Some(ms) => ms * 1000,
            None => unix_us(),
        }
    }
}

/// Wall-clock Unix milliseconds.
pub fn unix_ms() -> i64 {
    unix_us() / 1000
}

/// Wall-clock Unix microseconds.
pub fn unix_us() -> i64 {
    let d = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default();
    i64::try_from(d.as_micros()).unwrap_or(i64::MAX)
}
