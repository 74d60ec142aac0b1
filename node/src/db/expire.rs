//! Active expiry (Redis `expire.c`, `activeExpireCycle`): keys with a TTL are sampled at
//! random and the expired ones deleted, without any client touching them.
//!
//! The cycle is bounded in time (`ACTIVE_EXPIRE_BUDGET_US` per tick) so that a million keys
//! expiring at once never stall the executor; it repeats the sampling while more than a
//! quarter of a sample was expired, as Redis does.

use std::time::{Duration, Instant};

use super::Db;

/// Keys sampled per round (Redis `ACTIVE_EXPIRE_CYCLE_KEYS_PER_LOOP`).
pub const SAMPLE_KEYS: usize = 20;
/// Time budget of one cycle: 25% of a 100 ms tick at most, as Redis's slow cycle.
pub const ACTIVE_EXPIRE_BUDGET: Duration = Duration::from_millis(25);
/// Keep sampling while more than this percentage of a sample was expired.
const REPEAT_ABOVE_PERCENT: usize = 10;

/// Runs one bounded expiry cycle over `db`; returns the deleted keys (for propagation and
/// keyspace notifications).
pub fn active_expire_cycle(
    db: &mut Db,
    now_ms: i64,
    rng: &mut impl rand::Rng,
    deadline: Instant,
) -> Vec<bytes::Bytes> {
    let mut deleted = Vec::new();
    loop {
        if db.volatile_len() == 0 {
            break;
        }
        let sample = SAMPLE_KEYS.min(db.volatile_len());
        let mut expired = 0;
        for _ in 0..sample {
            let Some(key) = db.random_volatile(rng) else {
                break;
            };
            if db.expire_if_needed(&key, now_ms) {
                expired += 1;
                deleted.push(key);
            }
        }
        if expired * 100 <= sample * REPEAT_ABOVE_PERCENT || Instant::now() >= deadline {
            break;
        }
    }
    deleted
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::db::Value;
    use bytes::Bytes;

    #[test]
    fn reclaims_expired_keys_without_access() {
        let mut db = Db::new(false);
        for i in 0..1000 {
            db.set(
                Bytes::from(format!("k{i}")),
                Value::String(b"v"[..].into()),
                50,
            );
        }
        db.set(Bytes::from("live"), Value::String(b"v"[..].into()), 10_000);
        let mut rng = rand::rng();
        let deadline = Instant::now() + Duration::from_secs(5);
        let deleted = active_expire_cycle(&mut db, 100, &mut rng, deadline);
        assert!(deleted.len() > 900, "only {} reclaimed", deleted.len());
        assert!(db.peek(b"live").is_some());
    }
}
