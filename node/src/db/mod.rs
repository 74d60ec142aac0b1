//! The keyspace of one logical database (Redis `redisDb`), indexed by slot.
//!
//! Mirrors Redis `db.c` and Valkey's `kvstore`: in cluster mode there is one map per hash slot,
//! so COUNTKEYSINSLOT, GETKEYSINSLOT and migration cost what they return instead of a scan of
//! the whole keyspace; standalone there is a single map. Expiry times are absolute Unix
//! milliseconds stored with the entry (they are persisted and replicated); keys with a TTL are
//! also kept in `volatile` so the active expiry cycle can sample them.
//!
//! Invariants: a key is in `volatile` iff its entry has an expire time; `key_count` equals the
//! sum of the maps' lengths. Lookups through [`Db::get`] / [`Db::get_mut`] apply lazy expiry
//! as [`ExpiryMode`] says: on a primary an expired key is deleted on access and reported
//! missing; on a replica it is reported missing but kept (the primary's DEL removes it).

pub mod access;
pub mod compact;
pub mod dict;
pub mod dump;
pub mod evict;
pub mod expire;
pub mod hll;
pub mod listpack;
pub mod memsize;
pub mod quicklist;
pub mod stream;
pub mod stream_cg;
pub mod value;
pub mod zset;
pub mod zset_listpack;

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use bytes::Bytes;
use indexmap::IndexSet;
use rand::SeedableRng;
use rand::rngs::SmallRng;
use shoal_common::slot::{SLOT_COUNT, key_hash_slot};

pub use compact::CompactBytes;
pub use value::Value;

type Hasher = foldhash::fast::RandomState;
type Map = dict::Dict;

/// No expire time.
pub const NO_EXPIRE: i64 = -1;

/// How lookups treat a key whose expire time has passed (Redis `expireIfNeeded`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ExpiryMode {
    /// A primary: delete it and report it missing.
    #[default]
    Delete,
    /// A replica serving a client: report it missing but keep it (the primary's DEL comes).
    Hide,
    /// A replica applying its master's stream: the key exists until the master deletes it.
    Keep,
}

/// A key's value, its absolute expire time in Unix ms ([`NO_EXPIRE`] for none) and its
/// access clock.
#[derive(Debug, Clone)]
pub struct Entry {
    /// The value.
    pub value: Value,
    /// Absolute expire time in Unix milliseconds, or [`NO_EXPIRE`].
    pub expire_at_ms: i64,
    /// Redis's 24-bit robj `lru` field: LRU clock or LFU minutes + counter ([`access`]).
    pub lru: u32,
}

/// One database.
#[derive(Debug, Clone)]
pub struct Db {
    maps: Vec<Map>,
    volatile: IndexSet<CompactBytes, Hasher>,
    key_count: usize,
    /// Keys deleted because they had expired (INFO `expired_keys`).
    pub expired_keys: u64,
    /// Keys deleted on expiry and not yet reported: the executor drains this to invalidate
    /// WATCH and publish `expired` events (the db layer stays free of I/O).
    pub expired_log: Vec<Bytes>,
    /// Record keys this database creates in `new_log` (`notify-keyspace-events` has `n`).
    pub log_new_keys: bool,
    /// Keys created and not yet reported as `new` events (only while `log_new_keys`).
    pub new_log: Vec<Bytes>,
    /// Map the point-in-time snapshot in progress is at (maps below it are complete).
    snapshot_map: Option<usize>,
    /// How lookups age keys: set by the executor before every command ([`access`]).
    pub access: access::AccessClock,
    /// Randomness of the LFU counter increments.
    lfu_rng: SmallRng,
    /// What lookups do with expired keys (set per command by the executor).
    pub expiry_mode: ExpiryMode,
    /// Raised whenever `expired_log` or `new_log` gains a key; shared by the databases of a
    /// server ([`Db::share_log_signal`]) so the executor checks one flag after a command
    /// instead of every database's logs.
    log_signal: Arc<AtomicBool>,
}

impl Db {
    /// A database; `by_slot` gives it one map per hash slot (cluster mode).
    pub fn new(by_slot: bool) -> Db {
        let n = if by_slot { SLOT_COUNT } else { 1 };
        Db {
            maps: (0..n).map(|_| Map::default()).collect(),
            volatile: IndexSet::default(),
            key_count: 0,
            expired_keys: 0,
            expired_log: Vec::new(),
            log_new_keys: false,
            new_log: Vec::new(),
            snapshot_map: None,
            access: access::AccessClock::default(),
            lfu_rng: SmallRng::from_os_rng(),
            expiry_mode: ExpiryMode::Delete,
            log_signal: Arc::default(),
        }
    }

    /// Makes this database raise `signal` when its logs gain a key (see
    /// [`Db::logs_may_have_keys`]).
    pub fn share_log_signal(&mut self, signal: Arc<AtomicBool>) {
        if !self.expired_log.is_empty() || !self.new_log.is_empty() {
            signal.store(true, Ordering::Relaxed);
        }
        self.log_signal = signal;
    }

    /// False only when no database sharing this one's signal has logged a key since the
    /// signal was last cleared with [`Db::clear_log_signal`].
    pub fn logs_may_have_keys(&self) -> bool {
        self.log_signal.load(Ordering::Relaxed)
    }

    /// Clears the shared signal; the caller then drains the logs of every database sharing it.
    pub fn clear_log_signal(&self) {
        self.log_signal.store(false, Ordering::Relaxed);
    }

    fn map_index(&self, key: &[u8]) -> usize {
        if self.maps.len() == 1 {
            0
        } else {
            key_hash_slot(key).index()
        }
    }

    /// Number of keys (expired ones not yet reclaimed included, as in Redis).
    pub fn len(&self) -> usize {
        self.key_count
    }

    /// True when there are no keys.
    pub fn is_empty(&self) -> bool {
        self.key_count == 0
    }

    /// Bytes of the key tables (main, and the index of keys with a TTL), as MEMORY STATS
    /// reports them.
    pub fn overhead_bytes(&self) -> (usize, usize) {
        let main = self.maps.iter().map(Map::overhead_bytes).sum::<usize>()
            + self.maps.capacity() * std::mem::size_of::<Map>();
        let expires = memsize::index_map_bytes::<CompactBytes, ()>(self.volatile.capacity());
        (main, expires)
    }

    /// Number of keys with a TTL.
    pub fn volatile_len(&self) -> usize {
        self.volatile.len()
    }

    /// Whether lookups are per slot (cluster mode).
    pub fn by_slot(&self) -> bool {
        self.maps.len() > 1
    }

    /// Keys in one slot (cluster mode; standalone: all keys for slot 0).
    pub fn slot_len(&self, slot: usize) -> usize {
        self.maps.get(slot).map_or(0, Map::len)
    }

    /// The keys of one slot, at most `count`.
    pub fn slot_keys(&self, slot: usize, count: usize) -> Vec<Bytes> {
        self.maps
            .get(slot)
            .map(|m| {
                m.iter()
                    .take(count)
                    .map(|(k, _)| Bytes::copy_from_slice(k))
                    .collect()
            })
            .unwrap_or_default()
    }

    /// The entry of `key` without expiry checks (internal, and for commands that must see
    /// expired keys, like the expiry cycle itself).
    pub fn peek(&self, key: &[u8]) -> Option<&Entry> {
        self.maps[self.map_index(key)].get(key)
    }

    fn expired(entry: &Entry, now_ms: i64) -> bool {
        entry.expire_at_ms != NO_EXPIRE && entry.expire_at_ms <= now_ms
    }

    /// True if `key` has expired and must be treated as missing; deletes it too when
    /// [`ExpiryMode::Delete`].
    pub fn expire_if_needed(&mut self, key: &[u8], now_ms: i64) -> bool {
        // Without any TTL in this database no key can have expired: no lookup.
        if self.volatile.is_empty() {
            return false;
        }
        if !self.peek(key).is_some_and(|e| Db::expired(e, now_ms)) {
            return false;
        }
        match self.expiry_mode {
            ExpiryMode::Keep => false,
            ExpiryMode::Hide => true,
            ExpiryMode::Delete => {
                self.remove(key);
                self.expired_keys += 1;
                self.expired_log.push(Bytes::copy_from_slice(key));
                self.log_signal.store(true, Ordering::Relaxed);
                true
            }
        }
    }

    /// The live entry of `key` (lazy expiry applied), recording the access in its clock
    /// (Redis `lookupKey`).
    pub fn get(&mut self, key: &[u8], now_ms: i64) -> Option<&Entry> {
        // No access is recorded while a snapshot runs: it would make every read copy its
        // bucket for the snapshot (Redis skips it with a saving child, for copy-on-write).
        if !self.access.touch || self.snapshot_active() {
            return self.get_untouched(key, now_ms);
        }
        let i = self.map_index(key);
        let (access, rng) = (self.access, &mut self.lfu_rng);
        if self.volatile.is_empty() {
            // No key has a TTL, so none has expired: one walk records the access and
            // returns the entry (Redis `lookupKey`'s single find).
            let e = self.maps[i].entry_untracked(key)?;
            access.touch(&mut e.lru, rng);
            return Some(e);
        }
        // One walk checks expiry and records the access; the second returns the entry (the
        // same two walks as a lookup without the clock).
        let live = self.maps[i].update(key, |e| {
            let live = !Db::expired(e, now_ms);
            if live {
                access.touch(&mut e.lru, rng);
            }
            live
        })?;
        // An expired key: deleted, hidden or kept by the expiry mode (a replica's rules).
        if !live && self.expire_if_needed(key, now_ms) {
            return None;
        }
        self.peek(key)
    }

    /// The live entry of `key` without recording an access (Redis `LOOKUP_NOTOUCH`: EXISTS,
    /// TYPE, the TTL family, OBJECT, SCAN's filters).
    pub fn get_untouched(&mut self, key: &[u8], now_ms: i64) -> Option<&Entry> {
        if self.expire_if_needed(key, now_ms) {
            return None;
        }
        self.peek(key)
    }

    /// The entry of `key`, mutable, without expiry checks or an access recorded: for a
    /// command's second step on a key it has just looked up.
    pub fn peek_mut(&mut self, key: &[u8]) -> Option<&mut Entry> {
        let i = self.map_index(key);
        self.maps[i].get_mut(key).map(|(_, e)| e)
    }

    /// The live entry of `key`, mutable (lazy expiry applied), recording the access (not
    /// while a snapshot runs, as [`Db::get`]).
    pub fn get_mut(&mut self, key: &[u8], now_ms: i64) -> Option<&mut Entry> {
        if self.expire_if_needed(key, now_ms) {
            return None;
        }
        let i = self.map_index(key);
        let snapshot = self.snapshot_map.is_some();
        let (_, e) = self.maps[i].get_mut(key)?;
        if !snapshot {
            self.access.touch(&mut e.lru, &mut self.lfu_rng);
        }
        Some(e)
    }

    /// True if `key` exists (lazy expiry applied), recording the access as the lookup of a
    /// write command does.
    pub fn contains(&mut self, key: &[u8], now_ms: i64) -> bool {
        self.get_mut(key, now_ms).is_some()
    }

    /// True if `key` exists, without recording an access (EXISTS).
    pub fn contains_untouched(&mut self, key: &[u8], now_ms: i64) -> bool {
        self.get_untouched(key, now_ms).is_some()
    }

    /// Sets the access clock of an existing key (RESTORE IDLETIME/FREQ; RENAME and MOVE
    /// keep the moved value's clock, since Redis moves the object itself).
    pub fn set_lru(&mut self, key: &[u8], lru: u32) {
        let i = self.map_index(key);
        if let Some((_, e)) = self.maps[i].get_mut(key) {
            e.lru = lru;
        }
    }

    /// Sets `key` to `value` with `expire_at_ms`, replacing any old entry. The clock is a
    /// new value's, except that LFU counters survive an overwrite (Redis `dbSetValue`).
    pub fn set(&mut self, key: impl AsRef<[u8]>, value: Value, expire_at_ms: i64) {
        let key = key.as_ref();
        let i = self.map_index(key);
        if expire_at_ms != NO_EXPIRE {
            self.volatile.insert(CompactBytes::from_slice(key));
        }
        let mut lru = self.access.fresh();
        if self.access.lfu
            && let Some(old) = self.maps[i].get(key)
        {
            lru = old.lru;
        }
        let old = self.maps[i].insert(
            key,
            Entry {
                value,
                expire_at_ms,
                lru,
            },
        );
        match old {
            None => {
                self.key_count += 1;
                if self.log_new_keys {
                    self.new_log.push(Bytes::copy_from_slice(key));
                    self.log_signal.store(true, Ordering::Relaxed);
                }
            }
            Some(old) => {
                if old.expire_at_ms != NO_EXPIRE && expire_at_ms == NO_EXPIRE {
                    self.volatile.swap_remove(key);
                }
            }
        }
    }

    /// Replaces the value of an existing key, keeping its TTL (`SET ... KEEPTTL`, APPEND).
    /// Inserts without TTL if the key is missing.
    pub fn set_keep_ttl(&mut self, key: impl AsRef<[u8]>, value: Value) {
        let key = key.as_ref();
        let i = self.map_index(key);
        let access = self.access;
        match self.maps[i].get_mut(key) {
            Some((_, e)) => {
                e.value = value;
                if !access.lfu {
                    e.lru = access.fresh();
                }
            }
            None => self.set(key, value, NO_EXPIRE),
        }
    }

    /// Sets or clears the expire time of an existing key. Returns false if the key is missing.
    pub fn set_expire(&mut self, key: &[u8], expire_at_ms: i64) -> bool {
        let i = self.map_index(key);
        let Some((k, e)) = self.maps[i].get_mut(key) else {
            return false;
        };
        let had = e.expire_at_ms != NO_EXPIRE;
        e.expire_at_ms = expire_at_ms;
        if expire_at_ms == NO_EXPIRE {
            if had {
                self.volatile.swap_remove(key);
            }
        } else if !had {
            self.volatile.insert(CompactBytes::from_slice(k));
        }
        true
    }

    /// Removes `key`, returning its entry. No expiry check: removing an expired key still
    /// removes it (DEL of an expired key then reports 0 because callers look it up first).
    pub fn remove(&mut self, key: &[u8]) -> Option<Entry> {
        let i = self.map_index(key);
        let old = self.maps[i].remove(key)?;
        self.key_count -= 1;
        if old.expire_at_ms != NO_EXPIRE {
            self.volatile.swap_remove(key);
        }
        Some(old)
    }

    /// Removes every key.
    pub fn clear(&mut self) {
        for m in &mut self.maps {
            m.clear();
        }
        self.volatile = IndexSet::default();
        self.key_count = 0;
    }

    /// Every key (KEYS): callers filter and check expiry.
    pub fn iter(&self) -> impl Iterator<Item = (&[u8], &Entry)> {
        self.maps.iter().flat_map(|m| m.iter())
    }

    /// A random key (RANDOMKEY), or None when empty: a map chosen with probability
    /// proportional to its size, then a random key of it.
    pub fn random_key(&self, rng: &mut impl rand::Rng) -> Option<Bytes> {
        if self.key_count == 0 {
            return None;
        }
        let mut n = rng.random_range(0..self.key_count);
        for m in &self.maps {
            if n < m.len() {
                return m.random_key(rng).map(Bytes::copy_from_slice);
            }
            n -= m.len();
        }
        None
    }

    /// One step of SCAN: visits buckets from `cursor` until `count` keys were returned (or
    /// `10 × count` buckets were visited), appending keys to `out`. Returns the next cursor, 0
    /// when the scan is complete. Standalone the cursor is Redis's reverse-binary bucket
    /// cursor; per slot it is `(bucket cursor << 14) | slot`. A key present for the whole scan
    /// is returned at least once whatever resizes happen between calls ([`dict`]).
    pub fn scan(&self, cursor: u64, count: usize, out: &mut Vec<Bytes>) -> u64 {
        let slot_bits: u32 = if self.by_slot() { 14 } else { 0 };
        let slot_mask = (1u64 << slot_bits) - 1;
        let mut map_i = usize::try_from(cursor & slot_mask).unwrap_or(usize::MAX);
        let mut inner = cursor >> slot_bits;
        let budget = count.max(1);
        let mut steps = 0;
        let start = out.len();
        while map_i < self.maps.len() {
            let m = &self.maps[map_i];
            if !m.is_empty() {
                inner = m.scan_step(inner, out);
                steps += 1;
            } else {
                inner = 0;
            }
            if inner == 0 {
                map_i += 1;
            }
            if out.len() - start >= budget || steps >= budget * 10 {
                break;
            }
        }
        if map_i >= self.maps.len() {
            return 0;
        }
        (inner << slot_bits) | map_i as u64
    }

    /// Advances incremental rehashing of every map by up to `steps` steps (cron work, so an
    /// idle database still finishes resizing and gives memory back).
    pub fn rehash_steps(&mut self, steps: usize) {
        for m in &mut self.maps {
            if !m.is_empty() || m.rehash_steps(0) {
                m.rehash_steps(steps);
            }
        }
    }

    /// A random key with a TTL (active expiry sampling).
    pub fn random_volatile(&self, rng: &mut impl rand::Rng) -> Option<Bytes> {
        if self.volatile.is_empty() {
            return None;
        }
        let i = rng.random_range(0..self.volatile.len());
        self.volatile.get_index(i).map(CompactBytes::to_bytes)
    }
}

/// Point-in-time snapshots for full synchronisation (no fork, no copy): see
/// [`dict::Dict::snapshot_begin`]. Writes made after [`Db::snapshot_begin`] never show in it.
impl Db {
    /// Starts a snapshot of the whole database as it is now.
    pub fn snapshot_begin(&mut self) {
        for m in &mut self.maps {
            if !m.is_empty() {
                m.snapshot_begin();
            }
        }
        self.snapshot_map = Some(0);
    }

    /// Abandons the snapshot in progress, if any.
    pub fn snapshot_end(&mut self) {
        for m in &mut self.maps {
            m.snapshot_end();
        }
        self.snapshot_map = None;
    }

    /// True while a snapshot is in progress.
    pub fn snapshot_active(&self) -> bool {
        self.snapshot_map.is_some()
    }

    /// Hands about `budget` more start-time keys to `f`; true once the snapshot is complete
    /// (it has then ended).
    pub fn snapshot_next(&mut self, budget: usize, mut f: impl FnMut(&[u8], &Entry)) -> bool {
        let Some(mut i) = self.snapshot_map else {
            return true;
        };
        let mut work = 0;
        while i < self.maps.len() && work < budget {
            let m = &mut self.maps[i];
            if m.snapshot_active() {
                let before = work;
                let complete = m.snapshot_next(budget - work, &mut |k, e| {
                    work += 1;
                    f(k, e);
                });
                work = work.max(before + 1);
                if !complete {
                    break;
                }
                m.snapshot_end();
            }
            i += 1;
        }
        if i >= self.maps.len() {
            self.snapshot_map = None;
            return true;
        }
        self.snapshot_map = Some(i);
        false
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(v: &str) -> Value {
        Value::String(v.as_bytes().into())
    }

    #[test]
    fn lazy_expiry() {
        let mut db = Db::new(false);
        db.set(Bytes::from("k"), s("v"), 100);
        assert!(db.get(b"k", 99).is_some());
        assert_eq!(db.volatile_len(), 1);
        assert!(db.get(b"k", 100).is_none());
        assert_eq!(db.len(), 0);
        assert_eq!(db.volatile_len(), 0);
        assert_eq!(db.expired_keys, 1);
    }

    #[test]
    fn replica_expiry_hides_or_keeps_without_deleting() {
        let mut db = Db::new(false);
        db.set(Bytes::from("k"), s("v"), 100);
        db.expiry_mode = ExpiryMode::Hide;
        assert!(db.get(b"k", 100).is_none());
        assert!(db.get_mut(b"k", 100).is_none());
        assert_eq!((db.len(), db.expired_keys), (1, 0));
        db.expiry_mode = ExpiryMode::Keep;
        assert!(db.get(b"k", 100).is_some());
        assert!(!db.expire_if_needed(b"k", 100));
        db.expiry_mode = ExpiryMode::Delete;
        assert!(db.get(b"k", 100).is_none());
        assert_eq!((db.len(), db.expired_keys), (0, 1));
    }

    #[test]
    fn get_records_the_access_with_and_without_volatile_keys() {
        let mut db = Db::new(false);
        db.set(b"k", s("v"), NO_EXPIRE);
        db.access.now_ms = 5_000_000;
        // No TTL anywhere: the single-walk lookup.
        assert_eq!(db.get(b"k", 5_000_000).map(|e| e.lru), Some(5_000));
        db.set(b"t", s("v"), 9_000_000);
        db.access.now_ms = 6_000_000;
        assert_eq!(db.get(b"k", 6_000_000).map(|e| e.lru), Some(6_000));
        assert!(db.get(b"missing", 6_000_000).is_none());
        db.access.touch = false;
        db.access.now_ms = 7_000_000;
        assert_eq!(db.get(b"k", 7_000_000).map(|e| e.lru), Some(6_000));
    }

    #[test]
    fn log_signal_is_shared_and_raised_by_expiry_and_new_keys() {
        let signal = Arc::new(AtomicBool::new(false));
        let (mut a, mut b) = (Db::new(false), Db::new(false));
        a.share_log_signal(signal.clone());
        b.share_log_signal(signal);
        b.set(b"k", s("v"), 100);
        assert!(!a.logs_may_have_keys(), "an overwrite or TTL logs nothing");
        assert!(b.get(b"k", 100).is_none());
        assert!(a.logs_may_have_keys(), "b's expiry raises the shared flag");
        a.clear_log_signal();
        assert!(!b.logs_may_have_keys());
        a.log_new_keys = true;
        a.set(b"n", s("v"), NO_EXPIRE);
        assert!(
            b.logs_may_have_keys(),
            "a new key raises it when `n` events are on"
        );
        // A database that already holds logged keys raises the signal it joins.
        let fresh = Arc::new(AtomicBool::new(false));
        a.share_log_signal(fresh.clone());
        assert!(fresh.load(Ordering::Relaxed));
    }

    #[test]
    fn scan_sees_every_stable_key_while_others_are_deleted() {
        for by_slot in [false, true] {
            let mut db = Db::new(by_slot);
            for i in 0..500 {
                db.set(Bytes::from(format!("k{i}")), s("v"), NO_EXPIRE);
            }
            let mut seen = std::collections::HashSet::new();
            let mut cursor = 0;
            let mut round = 0;
            loop {
                let mut out = Vec::new();
                cursor = db.scan(cursor, 10, &mut out);
                seen.extend(out);
                // Delete some keys that are not "stable" (odd ones) as the scan goes.
                for j in 0..5 {
                    let victim = format!("k{}", (round * 10 + j * 2 + 1) % 500);
                    db.remove(victim.as_bytes());
                }
                round += 1;
                if cursor == 0 {
                    break;
                }
                assert!(round < 10_000);
            }
            for i in (0..500).step_by(2) {
                assert!(seen.contains(&Bytes::from(format!("k{i}"))), "k{i} missed");
            }
        }
    }
}
