//! Time as the executor sees it: absolute Unix milliseconds (expiry times are persisted and
//! replicated, so they cannot be `Instant`s) plus a manual mode for tests.

use std::time::{SystemTime, UNIX_EPOCH};

/// The node's clock.
#[derive(Debug, Clone, Default)]
pub struct Clock {
    manual_ms: Option<i64>,
}

impl Clock {
    /// The real clock.
    pub fn real() -> Clock {
        Clock { manual_ms: None }
    }

    /// A clock frozen at `ms` until [`Clock::advance`] moves it.
    pub fn manual(ms: i64) -> Clock {
        Clock {
            manual_ms: Some(ms),
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
