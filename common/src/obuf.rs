//! `client-output-buffer-limit`: Redis's per-class limits on the output a client may have
//! waiting (the node applies them to its clients, the router to the messages it forwards to
//! its subscribers), the directive's syntax, and the memory units Redis's settings use.

/// Redis 7.0's default `client-output-buffer-limit`.
pub const REDIS_DEFAULT: &str =
    "normal 0 0 0 slave 268435456 67108864 60 pubsub 33554432 8388608 60";

/// Parses a Redis memory value (`memtoull`): digits with an optional case-insensitive unit
/// `b`, `k` (1000), `kb` (1024), `m`, `mb`, `g`, `gb`.
pub fn parse_memory(s: &str) -> Option<i64> {
    let lower = s.to_ascii_lowercase();
    let digits_end = lower
        .find(|c: char| !c.is_ascii_digit() && c != '-')
        .unwrap_or(lower.len());
    let (num, unit) = lower.split_at(digits_end);
    let mul = i64::try_from(memory_unit(unit)?).ok()?;
    num.parse::<i64>().ok()?.checked_mul(mul)
}

/// The multiplier of a lowercase memory unit of Redis's config (`memtoull`): `k`/`m`/`g` are
/// powers of 1000, `kb`/`mb`/`gb` of 1024; none (or `b`) is 1.
pub fn memory_unit(unit: &str) -> Option<u64> {
    Some(match unit {
        "" | "b" => 1,
        "k" => 1000,
        "kb" => 1024,
        "m" => 1000 * 1000,
        "mb" => 1024 * 1024,
        "g" => 1000 * 1000 * 1000,
        "gb" => 1024 * 1024 * 1024,
        _ => return None,
    })
}

/// One class of `client-output-buffer-limit`: bytes and seconds, 0 = no limit.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ObufLimit {
    /// Disconnect as soon as this many bytes are queued.
    pub hard_bytes: u64,
    /// Disconnect when this many bytes stay queued for longer than `soft_secs`.
    pub soft_bytes: u64,
    /// See `soft_bytes`.
    pub soft_secs: u64,
}

/// The limits of the three client classes (`normal`, `replica`, `pubsub`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ObufLimits {
    /// Normal clients.
    pub normal: ObufLimit,
    /// Replicas (`slave` in the directive).
    pub replica: ObufLimit,
    /// Clients in pub/sub mode.
    pub pubsub: ObufLimit,
}

impl ObufLimits {
    /// Parses the directive's value (`<class> <hard> <soft> <soft seconds>` repeated),
    /// starting from `base` so that classes not mentioned keep their limits, as Redis's
    /// CONFIG SET does.
    pub fn parse(base: ObufLimits, value: &str) -> Result<ObufLimits, String> {
        let words: Vec<&str> = value.split_whitespace().collect();
        if !words.len().is_multiple_of(4) {
            return Err("Wrong number of arguments in buffer limit configuration.".into());
        }
        let mut out = base;
        for w in words.chunks_exact(4) {
            let class = match w[0].to_ascii_lowercase().as_str() {
                "normal" => &mut out.normal,
                "slave" | "replica" => &mut out.replica,
                "pubsub" => &mut out.pubsub,
                _ => {
                    return Err(
                        "Invalid client class specified in buffer limit configuration.".into(),
                    );
                }
            };
            let mem = |s: &str| parse_memory(s).and_then(|v| u64::try_from(v).ok());
            let (Some(hard), Some(soft), Ok(secs)) = (mem(w[1]), mem(w[2]), w[3].parse::<u64>())
            else {
                return Err(
                    "Error in hard, soft or soft_seconds setting in buffer limit configuration."
                        .into(),
                );
            };
            *class = ObufLimit {
                hard_bytes: hard,
                soft_bytes: soft,
                soft_secs: secs,
            };
        }
        Ok(out)
    }

    /// The canonical text CONFIG GET shows.
    pub fn render(&self) -> String {
        let one = |n: &str, l: &ObufLimit| {
            format!("{n} {} {} {}", l.hard_bytes, l.soft_bytes, l.soft_secs)
        };
        format!(
            "{} {} {}",
            one("normal", &self.normal),
            one("slave", &self.replica),
            one("pubsub", &self.pubsub)
        )
    }
}

impl ObufLimit {
    /// Whether `used` bytes waiting break this limit (Redis `checkClientOutputBufferLimits`):
    /// at or past the hard limit, or at or past the soft one for more than its seconds.
    /// `soft_since_ms` is the caller's memo of when it went over the soft limit (cleared
    /// when under it).
    pub fn exceeded(&self, used: u64, soft_since_ms: &mut Option<i64>, now_ms: i64) -> bool {
        if self.hard_bytes > 0 && used >= self.hard_bytes {
            return true;
        }
        if self.soft_bytes > 0 && used >= self.soft_bytes {
            let since = *soft_since_ms.get_or_insert(now_ms);
            let secs = u64::try_from((now_ms - since) / 1000).unwrap_or(0);
            return secs > self.soft_secs;
        }
        *soft_since_ms = None;
        false
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn memory_units_as_redis() {
        assert_eq!(parse_memory("32mb"), Some(32 << 20));
        assert_eq!(parse_memory("8MB"), Some(8 << 20));
        assert_eq!(parse_memory("1k"), Some(1000));
        assert_eq!(parse_memory("1kb"), Some(1024));
        assert_eq!(parse_memory("3g"), Some(3_000_000_000));
        assert_eq!(parse_memory("12"), Some(12));
        assert_eq!(parse_memory("1xb"), None);
    }

    #[test]
    fn hard_and_soft_limits() {
        let l = ObufLimits::parse(ObufLimits::default(), "pubsub 100 10 2")
            .unwrap()
            .pubsub;
        let mut since = None;
        assert!(!l.exceeded(9, &mut since, 0));
        assert!(
            !l.exceeded(10, &mut since, 1000),
            "over soft: the clock starts"
        );
        assert_eq!(since, Some(1000));
        assert!(
            !l.exceeded(50, &mut since, 3000),
            "2 s is not more than 2 s"
        );
        assert!(l.exceeded(50, &mut since, 4000));
        assert!(
            !l.exceeded(5, &mut since, 4000),
            "under soft again: forgotten"
        );
        assert_eq!(since, None);
        assert!(l.exceeded(100, &mut since, 4000), "hard: at once");
        assert!(
            !ObufLimit::default().exceeded(u64::MAX, &mut since, 0),
            "0: no limit"
        );
    }
}
