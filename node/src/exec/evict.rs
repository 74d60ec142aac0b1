//! `maxmemory` enforcement (Redis `evict.c`, `performEvictions`): before a command runs, a
//! node over its memory limit evicts keys chosen by `maxmemory-policy`; when it cannot
//! (`noeviction`, or nothing evictable) the gate refuses `denyoom` commands with `-OOM`.
//!
//! Memory is jemalloc's `stats.allocated` (`crate::memory`), minus what Redis does not count
//! for eviction (replica output buffers: `mem_not_counted_for_evict`). A reading costs about
//! 40 µs (it merges every arena's statistics), so between readings, at most every
//! [`MEMORY_READING_MS`], the executor follows an estimate: the last reading, plus what the
//! executor thread itself allocated minus what it freed (jemalloc's per-thread counters, a
//! few ns), plus the argument bytes of the `denyoom` commands that ran since (their values
//! were read into buffers by the connection threads). An eviction pass evicts on the
//! estimate, then confirms with a real reading before it stops (unless one is under
//! [`CONFIRM_AFTER_MS`] old), so a pass normally ends measured under the limit. The estimate lags other threads' allocations by at most [`MEMORY_READING_MS`].
//!
//! Every evicted key is, as in Redis: counted in `evicted_keys`, a `signalModifiedKey`
//! (WATCH), an `evicted` keyspace event (class `e`), and a `DEL` (`UNLINK` with
//! `lazyfree-lazy-eviction`) on the replication stream. Replicas do not evict while
//! `replica-ignore-maxmemory` is on (their primary's DELs keep them in step), nor does anyone
//! while clients are paused.
//!
//! Checklist for a new memory consumer that Redis excludes from eviction: subtract it in
//! [`Server::memory_not_counted_for_evict`].

use std::time::{Duration, Instant};

use bytes::Bytes;

use super::{Client, Server};
use crate::db::access::AccessClock;
use crate::db::evict::{EvictionPool, Policy};

/// How long a memory reading is followed by estimates before the next one: 100 readings a
/// second at most, under 0.5% of the executor's time.
pub const MEMORY_READING_MS: i64 = 10;
/// An eviction pass that got under the limit on the estimate confirms it with a reading
/// when the last one is at least this old: a node writing at its limit reads memory at
/// most a thousand times a second (about 4% of the executor's time).
pub const CONFIRM_AFTER_MS: i64 = 1;
/// Evictions between time-limit checks (Redis checks every 16 keys).
pub const CHECK_TIME_EVERY_KEYS: u64 = 16;

/// A jemalloc reading and what the estimate starts from.
#[derive(Debug, Clone)]
struct Reading {
    /// `stats.allocated` at the reading.
    bytes: u64,
    /// The executor thread's net allocations at the reading.
    thread_net: i64,
    /// The thread the executor ran on (a tokio task may move; the counters are per thread).
    thread: std::thread::ThreadId,
    /// When it was taken, Unix ms.
    at_ms: i64,
    /// Argument bytes of `denyoom` commands since the reading.
    written: u64,
}

/// Eviction settings and state kept by the executor.
#[derive(Debug, Default)]
pub struct Eviction {
    /// `maxmemory` in bytes (0: no limit).
    pub maxmemory: u64,
    /// The gate found the node over `maxmemory` with nothing to evict for the command
    /// running now (Redis `pre_command_oom_state`): a script's first write is refused.
    pub pre_command_oom: bool,
    /// `maxmemory-policy`.
    pub policy: Policy,
    /// `maxmemory-samples`.
    pub samples: usize,
    /// `maxmemory-eviction-tenacity`.
    pub tenacity: u32,
    /// The candidates remembered between rounds.
    pub pool: EvictionPool,
    /// Where the random policies look next (Redis's static `next_db`).
    next_db: usize,
    /// The last memory reading (see the module header).
    reading: Option<Reading>,
    /// Keys evicted (INFO `evicted_keys`).
    pub evicted_keys: u64,
    /// Since when the node has been over the limit without getting under it.
    pub exceeded_since: Option<Instant>,
    /// Microseconds spent over the limit, finished periods (INFO
    /// `total_eviction_exceeded_time`, in ms there).
    pub total_exceeded_us: u64,
}

impl Eviction {
    /// Drops the memory reading: the next check measures.
    pub fn forget_reading(&mut self) {
        self.reading = None;
    }

    /// Counts the argument bytes of a `denyoom` command into the estimate.
    pub fn note_write(&mut self, bytes: usize) {
        if let Some(r) = &mut self.reading {
            r.written += bytes as u64;
        }
    }

    /// CONFIG RESETSTAT: zeroes the counters.
    pub fn reset_stats(&mut self) {
        self.evicted_keys = 0;
        self.total_exceeded_us = 0;
        if self.exceeded_since.is_some() {
            self.exceeded_since = Some(Instant::now());
        }
    }

    /// INFO `total_eviction_exceeded_time` and `current_eviction_exceeded_time`, in ms.
    pub fn exceeded_time_ms(&self) -> (u64, u64) {
        let current_us = self.exceeded_since.map_or(0, |t| {
            u64::try_from(t.elapsed().as_micros()).unwrap_or(u64::MAX)
        });
        (
            (self.total_exceeded_us + current_us) / 1000,
            current_us / 1000,
        )
    }

    /// Redis `evictionTimeLimitUs`: how long one eviction pass may run.
    fn time_limit(&self) -> Duration {
        let t = self.tenacity;
        if t <= 10 {
            return Duration::from_micros(50 * u64::from(t));
        }
        if t < 100 {
            let us = 500.0 * 1.15f64.powf(f64::from(t) - 10.0);
            return Duration::from_micros(us as u64);
        }
        Duration::MAX
    }
}

/// What a pass achieved (Redis `EVICT_OK` / `EVICT_RUNNING` / `EVICT_FAIL`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// Under the limit (or nothing to enforce).
    Ok,
    /// Still over, stopped by the time limit; the cron continues.
    Running,
    /// Over the limit and nothing can be evicted.
    Fail,
}

impl Server {
    /// Re-reads the eviction and access-clock directives (from `config_changed`).
    pub fn eviction_config_changed(&mut self) {
        let c = &self.config;
        let e = &mut self.evict;
        e.maxmemory = u64::try_from(c.get_i64("maxmemory")).unwrap_or(0);
        e.policy = Policy::parse(c.get_str("maxmemory-policy"));
        e.samples = usize::try_from(c.get_i64("maxmemory-samples")).unwrap_or(5);
        e.tenacity = u32::try_from(c.get_i64("maxmemory-eviction-tenacity")).unwrap_or(10);
        e.forget_reading();
        self.access_base = AccessClock {
            lfu: e.policy.lfu(),
            log_factor: u32::try_from(c.get_i64("lfu-log-factor")).unwrap_or(10),
            decay_time_min: u32::try_from(c.get_i64("lfu-decay-time")).unwrap_or(1),
            ..AccessClock::default()
        };
    }

    /// Sets the access-clock rules of every database for the command about to run
    /// (`touch` false under CLIENT NO-TOUCH, except for TOUCH itself).
    pub fn prepare_access_clock(&mut self, now_ms: i64, touch: bool) {
        let access = AccessClock {
            now_ms,
            touch,
            ..self.access_base
        };
        // Every database always holds the same rules (only this sets them): within one
        // millisecond most commands find them current.
        if self.dbs.first().is_some_and(|d| d.access == access) {
            return;
        }
        for db in &mut self.dbs {
            db.access = access;
        }
    }

    /// Bytes Redis leaves out of the comparison with `maxmemory`: replica output buffers
    /// (Redis `freeMemoryGetNotCountedMemory`; there is no AOF buffer here).
    pub fn memory_not_counted_for_evict(&self) -> u64 {
        self.repl
            .replicas
            .iter()
            .filter_map(|r| self.clients.get(&r.client_id))
            .map(|c| c.out_pending() as u64)
            .sum()
    }

    /// Memory compared with `maxmemory` (Redis `getMaxmemoryState`'s logical usage): a
    /// jemalloc reading when `measure` or the last one is stale, the estimate otherwise.
    fn memory_for_evict(&mut self, measure: bool) -> u64 {
        let now = self.clock.now_ms();
        let thread = std::thread::current().id();
        let net = crate::memory::thread_net_bytes();
        let used = match &self.evict.reading {
            Some(r) if !measure && r.thread == thread && now - r.at_ms < MEMORY_READING_MS => {
                let estimate = i128::from(r.bytes) + i128::from(net - r.thread_net);
                u64::try_from(estimate.max(0)).unwrap_or(u64::MAX) + r.written
            }
            _ => {
                let bytes = self.used_memory();
                self.evict.reading = Some(Reading {
                    bytes,
                    thread_net: net,
                    thread,
                    at_ms: now,
                    written: 0,
                });
                bytes
            }
        };
        used.saturating_sub(self.memory_not_counted_for_evict())
    }

    /// Milliseconds since the last memory reading (large when there is none).
    fn reading_age_ms(&self) -> i64 {
        self.evict
            .reading
            .as_ref()
            .map_or(i64::MAX, |r| self.clock.now_ms() - r.at_ms)
    }

    /// Eviction is off on a replica ignoring maxmemory and while clients are paused
    /// (Redis `isSafeToPerformEvictions`).
    fn safe_to_evict(&self) -> bool {
        if self.repl.is_replica() && self.config.get_bool("replica-ignore-maxmemory") {
            return false;
        }
        !self.writes_paused(self.clock.now_ms())
    }

    /// Evicts keys until memory is under `maxmemory`, nothing is left to evict or the time
    /// limit passes (Redis `performEvictions`). `current` is the client whose command
    /// triggered it (keyspace events and WATCH need it).
    pub fn perform_evictions(&mut self, current: &mut Client) -> Outcome {
        if self.evict.maxmemory == 0 || !self.safe_to_evict() {
            return Outcome::Ok;
        }
        let outcome = self.evict_pass(current);
        match outcome {
            Outcome::Ok => {
                if let Some(since) = self.evict.exceeded_since.take() {
                    self.evict.total_exceeded_us +=
                        u64::try_from(since.elapsed().as_micros()).unwrap_or(u64::MAX);
                }
            }
            Outcome::Running | Outcome::Fail => {
                self.evict.exceeded_since.get_or_insert_with(Instant::now);
            }
        }
        outcome
    }

    fn evict_pass(&mut self, current: &mut Client) -> Outcome {
        let max = self.evict.maxmemory;
        if self.memory_for_evict(false) <= max {
            return Outcome::Ok;
        }
        // Over on the estimate: measure before acting on it (same bound as below).
        if self.reading_age_ms() >= CONFIRM_AFTER_MS && self.memory_for_evict(true) <= max {
            return Outcome::Ok;
        }
        if self.evict.policy == Policy::NoEviction {
            return Outcome::Fail;
        }
        let started = Instant::now();
        let limit = self.evict.time_limit();
        let mut freed: u64 = 0;
        loop {
            let Some((db, key)) = self.pick_victim() else {
                return Outcome::Fail;
            };
            self.evict_key(current, db, key);
            freed += 1;
            // Under on the estimate: confirm with a reading before stopping, unless one was
            // taken less than CONFIRM_AFTER_MS ago (bounds readings at the limit).
            if self.memory_for_evict(false) <= max
                && (self.reading_age_ms() < CONFIRM_AFTER_MS || self.memory_for_evict(true) <= max)
            {
                return Outcome::Ok;
            }
            if freed.is_multiple_of(CHECK_TIME_EVERY_KEYS) && started.elapsed() > limit {
                return Outcome::Running;
            }
        }
    }

    /// The next key to evict, or `None` when nothing is evictable.
    fn pick_victim(&mut self) -> Option<(usize, Bytes)> {
        let policy = self.evict.policy;
        if !policy.uses_pool() {
            let n = self.dbs.len();
            for _ in 0..n {
                self.evict.next_db = (self.evict.next_db + 1) % n;
                let j = self.evict.next_db;
                if let Some(key) = self.dbs[j].random_evictable(policy, &mut self.rng) {
                    return Some((j, key));
                }
            }
            return None;
        }
        let samples = self.evict.samples;
        loop {
            let mut total = 0;
            for (i, db) in self.dbs.iter().enumerate() {
                let n = db.evictable_len(policy);
                if n > 0 {
                    db.populate_pool(i, policy, samples, &mut self.rng, &mut self.evict.pool);
                    total += n;
                }
            }
            if total == 0 {
                return None;
            }
            // Best first; ghosts (deleted or changed since sampled) are dropped.
            while let Some((db, key)) = self.evict.pool.pop_best() {
                if self.dbs.get(db).is_some_and(|d| d.evictable(&key, policy)) {
                    return Some((db, key));
                }
            }
        }
    }

    /// Deletes one key as an eviction: statistics, WATCH, the `evicted` event, and the
    /// deletion on the replication stream.
    fn evict_key(&mut self, current: &mut Client, db: usize, key: Bytes) {
        self.dbs[db].remove(&key);
        self.evict.evicted_keys += 1;
        self.touch_watched_key(current, db, &key);
        self.notify_keyspace_event(
            Some(current),
            super::notify::NOTIFY_EVICTED,
            "evicted",
            &key,
            db,
        );
        let cmd: &'static [u8] = if self.config.get_bool("lazyfree-lazy-eviction") {
            b"UNLINK"
        } else {
            b"DEL"
        };
        self.propagate(db, &[Bytes::from_static(cmd), key]);
    }

    /// Cron part of eviction (Redis `evictionTimeProc`): keeps evicting while over the limit
    /// after a pass stopped on its time limit, or after CONFIG SET lowered `maxmemory`.
    pub fn eviction_cron(&mut self) {
        if self.evict.maxmemory == 0 {
            return;
        }
        self.evict.forget_reading();
        let mut none = Client::detached();
        self.perform_evictions(&mut none);
    }
}
