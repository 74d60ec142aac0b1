//! Eviction candidates (the sampling half of Redis `evict.c`): the `maxmemory-policy` names,
//! the eviction pool, and how a database feeds it.
//!
//! Redis approximates LRU/LFU/TTL order by sampling: each round takes `maxmemory-samples`
//! keys from every database (`dictGetSomeKeys`, here [`super::dict::Dict::sample`]) into a
//! pool of the [`EVPOOL_SIZE`] best candidates seen so far, and evicts the best one still
//! present. The pool outlives a round, so good candidates found earlier are remembered.
//! The executor side (measuring memory, deleting, notifying, propagating) is
//! `exec::evict`.
//!
//! Invariants: the pool is sorted by ascending score (the best candidate last) and holds at
//! most [`EVPOOL_SIZE`] entries; an entry may be a ghost (its key deleted or changed since it
//! was sampled), so every pick is checked against the database.

use bytes::Bytes;

use super::{Db, Entry, NO_EXPIRE};

/// Candidates the pool keeps (Redis `EVPOOL_SIZE`).
pub const EVPOOL_SIZE: usize = 16;

/// `maxmemory-policy`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Policy {
    /// Never evict; refuse `denyoom` commands over the limit.
    #[default]
    NoEviction,
    /// Least recently used among all keys.
    AllkeysLru,
    /// Least recently used among keys with a TTL.
    VolatileLru,
    /// Least frequently used among all keys.
    AllkeysLfu,
    /// Least frequently used among keys with a TTL.
    VolatileLfu,
    /// Any key.
    AllkeysRandom,
    /// Any key with a TTL.
    VolatileRandom,
    /// The key with the nearest expire time.
    VolatileTtl,
}

impl Policy {
    /// The policy named `name` (the `maxmemory-policy` values); `noeviction` otherwise.
    pub fn parse(name: &str) -> Policy {
        match name {
            "allkeys-lru" => Policy::AllkeysLru,
            "volatile-lru" => Policy::VolatileLru,
            "allkeys-lfu" => Policy::AllkeysLfu,
            "volatile-lfu" => Policy::VolatileLfu,
            "allkeys-random" => Policy::AllkeysRandom,
            "volatile-random" => Policy::VolatileRandom,
            "volatile-ttl" => Policy::VolatileTtl,
            _ => Policy::NoEviction,
        }
    }

    /// Any key may go (Redis `MAXMEMORY_FLAG_ALLKEYS`); otherwise only keys with a TTL.
    pub fn allkeys(self) -> bool {
        matches!(
            self,
            Policy::AllkeysLru | Policy::AllkeysLfu | Policy::AllkeysRandom
        )
    }

    /// An LFU policy (Redis `MAXMEMORY_FLAG_LFU`): keys carry LFU counters.
    pub fn lfu(self) -> bool {
        matches!(self, Policy::AllkeysLfu | Policy::VolatileLfu)
    }

    /// An LRU policy (Redis `MAXMEMORY_FLAG_LRU`).
    pub fn lru(self) -> bool {
        matches!(self, Policy::AllkeysLru | Policy::VolatileLru)
    }

    /// Candidates are chosen through the pool (LRU, LFU, TTL), not at random.
    pub fn uses_pool(self) -> bool {
        self.lru() || self.lfu() || self == Policy::VolatileTtl
    }
}

/// One candidate.
#[derive(Debug, Clone)]
struct Candidate {
    score: u64,
    key: Bytes,
    db: usize,
}

/// The eviction pool (Redis `EvictionPoolLRU`).
#[derive(Debug, Default)]
pub struct EvictionPool {
    entries: Vec<Candidate>,
}

impl EvictionPool {
    /// Offers a candidate; kept if the pool has room or it beats the worst one (Redis's
    /// insertion rule: when full, the lowest score is dropped).
    pub fn offer(&mut self, score: u64, key: &[u8], db: usize) {
        let k = self.entries.partition_point(|c| c.score < score);
        let c = || Candidate {
            score,
            key: Bytes::copy_from_slice(key),
            db,
        };
        if self.entries.len() < EVPOOL_SIZE {
            self.entries.insert(k, c());
        } else if k > 0 {
            self.entries.remove(0);
            self.entries.insert(k - 1, c());
        }
    }

    /// Takes the best candidate out of the pool.
    pub fn pop_best(&mut self) -> Option<(usize, Bytes)> {
        self.entries.pop().map(|c| (c.db, c.key))
    }

    /// Number of candidates held.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// True when the pool holds nothing.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }
}

impl Db {
    /// Keys `policy` may evict from this database.
    pub fn evictable_len(&self, policy: Policy) -> usize {
        if policy.allkeys() {
            self.len()
        } else {
            self.volatile_len()
        }
    }

    /// Is `key` still a candidate for `policy` (present, and with a TTL for volatile ones)?
    pub fn evictable(&self, key: &[u8], policy: Policy) -> bool {
        self.peek(key)
            .is_some_and(|e| policy.allkeys() || e.expire_at_ms != NO_EXPIRE)
    }

    /// Samples up to `count` keys `policy` may evict into `pool`, scored with the access
    /// clock rules in [`Db::access`] (Redis `evictionPoolPopulate`).
    pub fn populate_pool(
        &self,
        db: usize,
        policy: Policy,
        count: usize,
        rng: &mut impl rand::Rng,
        pool: &mut EvictionPool,
    ) {
        let access = self.access;
        let score = |e: &Entry| -> u64 {
            if policy == Policy::VolatileTtl {
                // The sooner the expire time, the better the candidate.
                u64::MAX - u64::try_from(e.expire_at_ms).unwrap_or(0)
            } else {
                access.eviction_score(e.lru)
            }
        };
        if policy.allkeys() {
            if self.is_empty() {
                return;
            }
            // Per slot: a map picked with probability proportional to its size.
            let mut n = rng.random_range(0..self.len());
            let map = self
                .maps
                .iter()
                .find(|m| {
                    let hit = n < m.len();
                    if !hit {
                        n -= m.len();
                    }
                    hit
                })
                .expect("invariant: key_count is the sum of the map sizes");
            map.sample(rng, count, |key, e| pool.offer(score(e), key, db));
        } else {
            // A run of consecutive keys from a random start, like dictGetSomeKeys: with
            // `count` at least the number of volatile keys, every one is seen.
            let n = self.volatile_len();
            if n == 0 {
                return;
            }
            let start = rng.random_range(0..n);
            for j in 0..count.min(n) {
                let key = self
                    .volatile
                    .get_index((start + j) % n)
                    .expect("invariant: index below the set's length");
                if let Some(e) = self.peek(key) {
                    pool.offer(score(e), key, db);
                }
            }
        }
    }

    /// A random key `policy` may evict (the random policies).
    pub fn random_evictable(&self, policy: Policy, rng: &mut impl rand::Rng) -> Option<Bytes> {
        if policy.allkeys() {
            self.random_key(rng)
        } else {
            self.random_volatile(rng)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::db::Value;

    fn b(s: &str) -> Bytes {
        Bytes::from(s.to_string())
    }

    #[test]
    fn pool_keeps_the_best_sixteen_sorted() {
        let mut pool = EvictionPool::default();
        for i in 0..40u64 {
            // Scores in a scrambled order.
            let s = (i * 17) % 40;
            pool.offer(s, &b(&format!("k{s}")), 0);
        }
        assert_eq!(pool.len(), EVPOOL_SIZE);
        let mut got = Vec::new();
        while let Some((_, k)) = pool.pop_best() {
            got.push(k);
        }
        let want: Vec<Bytes> = (24..40).rev().map(|s| b(&format!("k{s}"))).collect();
        assert_eq!(got, want);
    }

    #[test]
    fn volatile_ttl_prefers_the_nearest_expire() {
        let mut db = Db::new(false);
        for i in 0..10 {
            db.set(
                b(&format!("k{i}")),
                Value::String(b"v"[..].into()),
                1_000 + i,
            );
        }
        db.set(b("persistent"), Value::String(b"v"[..].into()), NO_EXPIRE);
        let mut rng = rand::rng();
        let mut pool = EvictionPool::default();
        for _ in 0..50 {
            db.populate_pool(0, Policy::VolatileTtl, 5, &mut rng, &mut pool);
        }
        assert_eq!(pool.pop_best(), Some((0, b("k0"))));
        assert!(!db.evictable(b"persistent", Policy::VolatileLru));
        assert!(db.evictable(b"persistent", Policy::AllkeysLru));
    }

    #[test]
    fn lru_pool_prefers_the_idlest() {
        for by_slot in [false, true] {
            let mut db = Db::new(by_slot);
            let t0 = 1_700_000_000_000;
            for i in 0..20i64 {
                db.access.now_ms = t0 + i * 1000;
                db.set(
                    b(&format!("k{i}")),
                    Value::String(b"v"[..].into()),
                    NO_EXPIRE,
                );
            }
            db.access.now_ms = t0 + 100_000;
            let mut rng = rand::rng();
            let mut pool = EvictionPool::default();
            for _ in 0..200 {
                db.populate_pool(3, Policy::AllkeysLru, 5, &mut rng, &mut pool);
            }
            assert_eq!(pool.pop_best(), Some((3, b("k0"))));
        }
    }
}
