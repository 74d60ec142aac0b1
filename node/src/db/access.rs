//! The per-key access clock (Redis's 24-bit robj `lru` field and the LRU/LFU half of
//! `evict.c`): what OBJECT IDLETIME/FREQ, DEBUG OBJECT and the eviction pool read.
//!
//! Each [`super::Entry`] holds one `u32` whose low 24 bits mean, as in Redis, either
//! - an **LRU clock**: Unix seconds (`LRU_CLOCK_RESOLUTION` 1000 ms) modulo 2^24, the time of
//!   the last access; or
//! - under an LFU `maxmemory-policy`: **16 bits of Unix minutes** (modulo 2^16, the last
//!   decrement time) above an **8-bit logarithmic counter** (`LFU_INIT_VAL` 5 for a new key,
//!   incremented with probability `1 / ((counter - 5) * lfu-log-factor + 1)`, decremented
//!   by one per `lfu-decay-time` minutes elapsed).
//!
//! The field is interpreted with the policy in force *now*, as Redis does: after switching
//! between LRU and LFU policies at run time the old values read as nonsense for a while.
//!
//! Invariant: the stored value always fits in 24 bits.

use rand::Rng;

/// Milliseconds per LRU clock tick (Redis `LRU_CLOCK_RESOLUTION`).
pub const LRU_CLOCK_RESOLUTION_MS: i64 = 1000;
/// Largest LRU clock value (Redis `LRU_CLOCK_MAX`, 24 bits).
pub const LRU_CLOCK_MAX: u32 = (1 << 24) - 1;
/// LFU counter of a new key (Redis `LFU_INIT_VAL`), so it is not evicted before it had a
/// chance to be used.
pub const LFU_INIT_VAL: u32 = 5;

/// The LRU clock at `now_ms` (Redis `getLRUClock`).
pub fn lru_clock(now_ms: i64) -> u32 {
    let ticks = now_ms.max(0) / LRU_CLOCK_RESOLUTION_MS;
    u32::try_from(ticks & i64::from(LRU_CLOCK_MAX)).expect("invariant: masked to 24 bits")
}

/// Unix minutes modulo 2^16 (Redis `LFUGetTimeInMinutes`).
pub fn lfu_minutes(now_ms: i64) -> u32 {
    u32::try_from((now_ms.max(0) / 60_000) & 0xFFFF).expect("invariant: masked to 16 bits")
}

/// Milliseconds since the access recorded in `lru`, read as an LRU clock, allowing for one
/// wrap of the clock (Redis `estimateObjectIdleTime`).
pub fn estimate_idle_ms(lru: u32, now_ms: i64) -> u64 {
    let clock = u64::from(lru_clock(now_ms));
    let lru = u64::from(lru);
    let ticks = if clock >= lru {
        clock - lru
    } else {
        clock + (u64::from(LRU_CLOCK_MAX) - lru)
    };
    ticks * 1000
}

/// The access-clock rules in force: refreshed before every command from the configuration,
/// the time and the calling client (see [`super::Db::access`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AccessClock {
    /// An LFU `maxmemory-policy` is selected.
    pub lfu: bool,
    /// `lfu-log-factor`.
    pub log_factor: u32,
    /// `lfu-decay-time`, minutes (0: counters never decay).
    pub decay_time_min: u32,
    /// The time of the running command, Unix ms.
    pub now_ms: i64,
    /// Lookups update the clock: false under `CLIENT NO-TOUCH` (except for TOUCH).
    pub touch: bool,
}

impl Default for AccessClock {
    fn default() -> Self {
        AccessClock {
            lfu: false,
            log_factor: 10,
            decay_time_min: 1,
            now_ms: 0,
            touch: true,
        }
    }
}

impl AccessClock {
    /// The clock value of a newly created value (Redis `createObject`).
    pub fn fresh(&self) -> u32 {
        if self.lfu {
            (lfu_minutes(self.now_ms) << 8) | LFU_INIT_VAL
        } else {
            lru_clock(self.now_ms)
        }
    }

    /// Minutes elapsed since `ldt`, allowing for one wrap (Redis `LFUTimeElapsed`).
    fn lfu_elapsed_min(&self, ldt: u32) -> u32 {
        let now = lfu_minutes(self.now_ms);
        if now >= ldt {
            now - ldt
        } else {
            65535 - ldt + now
        }
    }

    /// The LFU counter of `lru` after decay, without storing it (Redis `LFUDecrAndReturn`).
    pub fn lfu_decr_and_return(&self, lru: u32) -> u32 {
        let ldt = lru >> 8;
        let counter = lru & 255;
        // lfu-decay-time 0: counters never decay.
        let periods = self
            .lfu_elapsed_min(ldt)
            .checked_div(self.decay_time_min)
            .unwrap_or(0);
        counter.saturating_sub(periods)
    }

    /// Logarithmic increment of an LFU counter (Redis `LFULogIncr`).
    fn lfu_log_incr(&self, counter: u32, rng: &mut impl Rng) -> u32 {
        if counter >= 255 {
            return 255;
        }
        let r: f64 = rng.random();
        let base = f64::from(counter.saturating_sub(LFU_INIT_VAL));
        let p = 1.0 / (base * f64::from(self.log_factor) + 1.0);
        if r < p { counter + 1 } else { counter }
    }

    /// Records an access (the update in Redis's `lookupKey`); nothing when touching is off.
    pub fn touch(&self, lru: &mut u32, rng: &mut impl Rng) {
        if !self.touch {
            return;
        }
        *lru = if self.lfu {
            let counter = self.lfu_log_incr(self.lfu_decr_and_return(*lru), rng);
            (lfu_minutes(self.now_ms) << 8) | counter
        } else {
            lru_clock(self.now_ms)
        };
    }

    /// The clock value RESTORE ... IDLETIME/FREQ sets, or `None` when the option given does
    /// not apply to the policy in force (Redis `objectSetLRUOrLFU`; `freq` is 0..=255).
    pub fn restored(&self, freq: Option<u8>, idle_s: Option<i64>) -> Option<u32> {
        if self.lfu {
            return freq.map(|f| (lfu_minutes(self.now_ms) << 8) | u32::from(f));
        }
        let idle = idle_s?;
        let mut abs = i64::from(lru_clock(self.now_ms)) - idle;
        if abs < 0 {
            // The clock wraps: an idle time past the origin lands near the top (once;
            // Redis does the same single correction and then keeps the low 24 bits).
            abs += i64::from(LRU_CLOCK_MAX);
        }
        Some(u32::try_from(abs & i64::from(LRU_CLOCK_MAX)).expect("invariant: masked"))
    }

    /// The eviction score of `lru` (higher evicts first): idle milliseconds under LRU,
    /// `255 - counter` under LFU (Redis `evictionPoolPopulate`).
    pub fn eviction_score(&self, lru: u32) -> u64 {
        if self.lfu {
            u64::from(255 - self.lfu_decr_and_return(lru))
        } else {
            estimate_idle_ms(lru, self.now_ms)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;
    use rand::rngs::SmallRng;

    const T: i64 = 1_700_000_000_000;

    #[test]
    fn lru_idle_time_and_wrap() {
        let c = AccessClock {
            now_ms: T,
            ..AccessClock::default()
        };
        let lru = c.fresh();
        assert_eq!(estimate_idle_ms(lru, T + 2500), 2000);
        // A clock value just below the wrap read right after it.
        assert_eq!(estimate_idle_ms(LRU_CLOCK_MAX - 1, 0), 1000);
        assert_eq!(c.restored(None, Some(100)), Some(lru - 100));
        assert_eq!(c.restored(Some(3), None), None);
    }

    #[test]
    fn lfu_counter_increments_and_decays() {
        let mut rng = SmallRng::seed_from_u64(1);
        let c = AccessClock {
            lfu: true,
            log_factor: 0,
            now_ms: T,
            ..AccessClock::default()
        };
        let mut lru = c.fresh();
        assert_eq!(c.lfu_decr_and_return(lru), 5);
        for _ in 0..300 {
            c.touch(&mut lru, &mut rng);
        }
        assert_eq!(c.lfu_decr_and_return(lru), 255);
        let later = AccessClock {
            now_ms: T + 10 * 60_000,
            ..c
        };
        assert_eq!(later.lfu_decr_and_return(lru), 245);
        assert_eq!(later.eviction_score(lru), 10);
        let no_touch = AccessClock { touch: false, ..c };
        let before = lru;
        no_touch.touch(&mut lru, &mut rng);
        assert_eq!(lru, before);
    }

    #[test]
    fn lfu_log_factor_slows_growth() {
        let mut rng = SmallRng::seed_from_u64(7);
        let c = AccessClock {
            lfu: true,
            now_ms: T,
            ..AccessClock::default()
        };
        let mut lru = c.fresh();
        for _ in 0..1000 {
            c.touch(&mut lru, &mut rng);
        }
        // Redis's table for lfu-log-factor 10: about 18 after 1000 hits (with init 5).
        let n = c.lfu_decr_and_return(lru);
        assert!((12..=30).contains(&n), "{n}");
    }
}
