//! Keyspace notifications (Redis `notify.c`): `notify-keyspace-events` parsing and the
//! `__keyspace@<db>__:<key>` / `__keyevent@<db>__:<event>` messages.
//!
//! Commands call `Ctx::notify(class, event, key)` after each change, with the class letter
//! Redis uses for that event (`g` generic, `$` string, `l` list, `s` set, `h` hash, `z` sorted
//! set, `x` expired, `e` evicted, `t` stream, `m` key miss, `d` module, `n` new key). Keys that
//! expire (lazily on access or in the active cycle), and keys created while `n` is on, are
//! logged by the I/O-free db layer and turned into `expired` / `new` events here by
//! [`Server::drain_expired`], which runs before every notification and after every command,
//! so they precede the event of the command that caused them, as in Redis.
//!
//! Known difference: Redis renders `A` without `n` ("An" reads back as "A") but keeps `n`
//! active; we store the rendered form, so `n` set together with `A` is dropped.
//!
//! The directive is stored in canonical form (`"KEA"` reads back as `"AKE"`), so CONFIG GET
//! answers as Redis's `keyspaceEventsFlagsToString`.

use bytes::{BufMut, Bytes, BytesMut};

use super::{Client, Server};

/// `K`: `__keyspace@<db>__:<key>` messages.
pub const NOTIFY_KEYSPACE: u32 = 1 << 0;
/// `E`: `__keyevent@<db>__:<event>` messages.
pub const NOTIFY_KEYEVENT: u32 = 1 << 1;
/// `g`: generic commands (DEL, EXPIRE, RENAME, ...).
pub const NOTIFY_GENERIC: u32 = 1 << 2;
/// `$`: string commands.
pub const NOTIFY_STRING: u32 = 1 << 3;
/// `l`: list commands.
pub const NOTIFY_LIST: u32 = 1 << 4;
/// `s`: set commands.
pub const NOTIFY_SET: u32 = 1 << 5;
/// `h`: hash commands.
pub const NOTIFY_HASH: u32 = 1 << 6;
/// `z`: sorted set commands.
pub const NOTIFY_ZSET: u32 = 1 << 7;
/// `x`: expired events.
pub const NOTIFY_EXPIRED: u32 = 1 << 8;
/// `e`: evicted events.
pub const NOTIFY_EVICTED: u32 = 1 << 9;
/// `t`: stream commands.
pub const NOTIFY_STREAM: u32 = 1 << 10;
/// `m`: key-miss events (not part of `A`).
pub const NOTIFY_KEY_MISS: u32 = 1 << 11;
/// `d`: module key type events.
pub const NOTIFY_MODULE: u32 = 1 << 12;
/// `n`: new key events (not part of `A`).
pub const NOTIFY_NEW: u32 = 1 << 13;
/// `A`: alias for `g$lshzxetd`.
pub const NOTIFY_ALL: u32 = NOTIFY_GENERIC
    | NOTIFY_STRING
    | NOTIFY_LIST
    | NOTIFY_SET
    | NOTIFY_HASH
    | NOTIFY_ZSET
    | NOTIFY_EXPIRED
    | NOTIFY_EVICTED
    | NOTIFY_STREAM
    | NOTIFY_MODULE;

/// Class letters in the order Redis renders them (after `A`), with their flags.
const CLASS_LETTERS: &[(u8, u32)] = &[
    (b'g', NOTIFY_GENERIC),
    (b'$', NOTIFY_STRING),
    (b'l', NOTIFY_LIST),
    (b's', NOTIFY_SET),
    (b'h', NOTIFY_HASH),
    (b'z', NOTIFY_ZSET),
    (b'x', NOTIFY_EXPIRED),
    (b'e', NOTIFY_EVICTED),
    (b't', NOTIFY_STREAM),
    (b'd', NOTIFY_MODULE),
    (b'n', NOTIFY_NEW),
];

/// The flag of one class letter as `Ctx::notify` receives it (`K`/`E` are not classes).
pub fn class_flag(letter: u8) -> u32 {
    match letter {
        b'm' => NOTIFY_KEY_MISS,
        _ => CLASS_LETTERS
            .iter()
            .find(|(l, _)| *l == letter)
            .map_or(0, |(_, f)| *f),
    }
}

/// Parses the directive's letters (Redis `keyspaceEventsStringToFlags`); None on a letter
/// Redis does not know.
pub fn parse_flags(classes: &str) -> Option<u32> {
    let mut flags = 0;
    for c in classes.bytes() {
        flags |= match c {
            b'A' => NOTIFY_ALL,
            b'K' => NOTIFY_KEYSPACE,
            b'E' => NOTIFY_KEYEVENT,
            b'm' => NOTIFY_KEY_MISS,
            _ => CLASS_LETTERS.iter().find(|(l, _)| *l == c)?.1,
        };
    }
    Some(flags)
}

/// Renders flags as CONFIG GET shows them (Redis `keyspaceEventsFlagsToString`).
pub fn flags_to_string(flags: u32) -> String {
    let mut s = String::new();
    if flags & NOTIFY_ALL == NOTIFY_ALL {
        // Redis drops `n` here: "An" reads back as "A".
        s.push('A');
    } else {
        for (l, f) in CLASS_LETTERS {
            if flags & f != 0 {
                s.push(char::from(*l));
            }
        }
    }
    if flags & NOTIFY_KEYSPACE != 0 {
        s.push('K');
    }
    if flags & NOTIFY_KEYEVENT != 0 {
        s.push('E');
    }
    if flags & NOTIFY_KEY_MISS != 0 {
        s.push('m');
    }
    s
}

/// The stored form: what CONFIG GET shows, plus an `n` after `A` when new-key events are on.
/// Redis keeps the `n` bit but does not display it with `A`; storing the display form alone
/// would lose it.
fn flags_to_storage(flags: u32) -> String {
    let shown = flags_to_string(flags);
    if flags & NOTIFY_ALL == NOTIFY_ALL && flags & NOTIFY_NEW != 0 {
        shown.replacen('A', "An", 1)
    } else {
        shown
    }
}

/// The canonicalizer the config table uses for `notify-keyspace-events` (stored form).
pub fn canonical_notify_flags(_old: &str, new: &str) -> Result<String, String> {
    parse_flags(new)
        .map(flags_to_storage)
        .ok_or_else(|| "Invalid event class character. Use 'Ag$lshzxeKEtmdn'.".to_string())
}

/// What CONFIG GET shows for a stored value (Redis `keyspaceEventsFlagsToString`).
pub fn display_notify_flags(stored: &str) -> String {
    parse_flags(stored).map(flags_to_string).unwrap_or_default()
}

fn channel(prefix: &str, db: usize, suffix: &[u8]) -> Bytes {
    let mut b = BytesMut::with_capacity(prefix.len() + 8 + suffix.len());
    b.put_slice(prefix.as_bytes());
    b.put_slice(db.to_string().as_bytes());
    b.put_slice(b"__:");
    b.put_slice(suffix);
    b.freeze()
}

impl super::Ctx<'_> {
    /// A read lookup found no key (Redis `lookupKeyReadWithFlags` on a miss): counts
    /// `keyspace_misses` and publishes the `keymiss` event (class `m`). Call it from read
    /// lookups only: write lookups (`lookupKeyWrite`) neither count nor notify.
    pub fn key_miss(&mut self, key: &[u8]) {
        self.srv.stats.keyspace_misses += 1;
        if self.srv.notify_flags & NOTIFY_KEY_MISS != 0 {
            self.notify(b'm', "keymiss", key);
        }
    }
}

impl Server {
    /// Publishes one keyspace event (Redis `notifyKeyspaceEvent`). `current` is the client
    /// whose command runs, if any (its own messages go before its reply).
    pub fn notify_keyspace_event(
        &mut self,
        current: Option<&mut Client>,
        class: u32,
        event: &str,
        key: &[u8],
        db: usize,
    ) {
        let flags = self.notify_flags;
        if flags & class == 0 {
            return;
        }
        let mut current = current;
        if flags & NOTIFY_KEYSPACE != 0 {
            let chan = channel("__keyspace@", db, key);
            let msg = Bytes::copy_from_slice(event.as_bytes());
            self.deliver(current.as_deref_mut(), &chan, &msg, false);
        }
        if flags & NOTIFY_KEYEVENT != 0 {
            let chan = channel("__keyevent@", db, event.as_bytes());
            let msg = Bytes::copy_from_slice(key);
            self.deliver(current, &chan, &msg, false);
        }
    }

    /// Reports what the databases logged while a command ran: keys deleted on expiry become
    /// `DEL`s in the replication stream, WATCH invalidations and `expired` events (Redis
    /// `deleteExpiredKeyAndPropagate`), keys
    /// created become `new` events (Redis `dbAdd`).
    pub fn drain_expired(&mut self, current: &mut Client) {
        // Runs after every command: the common case (nothing logged) is one flag, shared
        // by every database (Server::new).
        match self.dbs.first() {
            Some(d) if d.logs_may_have_keys() => d.clear_log_signal(),
            _ => return,
        }
        for db in 0..self.dbs.len() {
            if !self.dbs[db].expired_log.is_empty() {
                let keys = std::mem::take(&mut self.dbs[db].expired_log);
                for key in keys {
                    // Replicas learn of the deletion from us (Redis
                    // `deleteExpiredKeyAndPropagate`), before the command that found it.
                    if !self.repl.is_replica() {
                        self.propagate(db, &[Bytes::from_static(b"DEL"), key.clone()]);
                    }
                    self.touch_watched_key(current, db, &key);
                    self.notify_keyspace_event(Some(current), NOTIFY_EXPIRED, "expired", &key, db);
                }
            }
            if !self.dbs[db].new_log.is_empty() {
                let keys = std::mem::take(&mut self.dbs[db].new_log);
                for key in keys {
                    self.notify_keyspace_event(Some(current), NOTIFY_NEW, "new", &key, db);
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn canonical_forms_match_redis() {
        for (input, canonical) in [
            ("KEA", "AKE"),
            ("", ""),
            ("Ex", "xE"),
            ("Kg$lshzxetd", "AK"),
            ("mK", "Km"),
            ("An", "A"),
            ("Anm", "Am"),
            ("n", "n"),
            ("z$g", "g$z"),
        ] {
            let stored = canonical_notify_flags("", input).unwrap();
            assert_eq!(display_notify_flags(&stored), canonical, "{input}");
            // The stored form keeps every class, `n` with `A` included.
            assert_eq!(parse_flags(&stored), parse_flags(input), "{input}");
        }
        assert!(canonical_notify_flags("", "KEQ").is_err());
        assert_eq!(class_flag(b'$'), NOTIFY_STRING);
        assert_eq!(class_flag(b'x'), NOTIFY_EXPIRED);
    }
}
