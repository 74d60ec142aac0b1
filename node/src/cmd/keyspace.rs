//! Keyspace commands (Redis `db.c`, `expire.c`, `object.c` and the DUMP/RESTORE half of
//! `cluster.c`): DEL, EXISTS, TYPE, KEYS, RENAME, COPY, MOVE, SWAPDB, SCAN, RANDOMKEY, TOUCH,
//! OBJECT, DUMP, RESTORE, the EXPIRE family, the TTL family, PERSIST.
//!
//! Every write calls `signal_modified_key` and `notify` with Redis's event names
//! (`rename_from`, `rename_to`, `copy_to`, `move_from`, `move_to`, `restore`, `expire`,
//! `del`, `persist`), in the database the key lives in.

use bytes::Bytes;
use shoal_common::glob::glob_match;
use shoal_common::{Frame, ReplyError};

use super::args;
use super::string::EVENT_GENERIC;
use crate::db::{NO_EXPIRE, Value};
use crate::exec::Ctx;

fn count(n: usize) -> Frame {
    Frame::Integer(i64::try_from(n).unwrap_or(i64::MAX))
}

/// ```text
/// DEL key [key ...]
/// UNLINK key [key ...]
/// ```
pub fn del(ctx: &mut Ctx<'_>, argv: &[Bytes]) -> Result<Frame, ReplyError> {
    let now = ctx.now_ms;
    let mut n = 0;
    for key in &argv[1..] {
        if ctx.db().expire_if_needed(key, now) {
            continue;
        }
        if ctx.db().remove(key).is_some() {
            n += 1;
            ctx.signal_modified_key(key);
            ctx.notify(EVENT_GENERIC, "del", key);
        }
    }
    Ok(count(n))
}

/// ```text
/// EXISTS key [key ...]
/// ```
pub fn exists(ctx: &mut Ctx<'_>, argv: &[Bytes]) -> Result<Frame, ReplyError> {
    count_existing(ctx, argv, false)
}

/// EXISTS and TOUCH: counts the keys that exist, with hits and misses; only TOUCH records
/// an access (EXISTS looks up with Redis's `LOOKUP_NOTOUCH`).
fn count_existing(ctx: &mut Ctx<'_>, argv: &[Bytes], touch: bool) -> Result<Frame, ReplyError> {
    let now = ctx.now_ms;
    let mut n = 0;
    for k in &argv[1..] {
        let found = if touch {
            ctx.db().contains(k, now)
        } else {
            ctx.db().contains_untouched(k, now)
        };
        if found {
            ctx.srv.stats.keyspace_hits += 1;
            n += 1;
        } else {
            ctx.key_miss(k);
        }
    }
    Ok(count(n))
}

/// ```text
/// TYPE key
/// ```
pub fn type_(ctx: &mut Ctx<'_>, argv: &[Bytes]) -> Result<Frame, ReplyError> {
    let now = ctx.now_ms;
    let name = ctx
        .db()
        .get_untouched(&argv[1], now)
        .map_or("none", |e| e.value.type_name());
    if name == "none" {
        ctx.key_miss(&argv[1]);
    } else {
        ctx.srv.stats.keyspace_hits += 1;
    }
    Ok(Frame::simple(name))
}

/// ```text
/// KEYS pattern
/// ```
pub fn keys(ctx: &mut Ctx<'_>, argv: &[Bytes]) -> Result<Frame, ReplyError> {
    let now = ctx.now_ms;
    let pattern = &argv[1];
    let all = pattern.as_ref() == b"*";
    let db = ctx.db();
    let out: Vec<Frame> = db
        .iter()
        .filter(|(_, e)| e.expire_at_ms == NO_EXPIRE || e.expire_at_ms > now)
        .filter(|(k, _)| all || glob_match(pattern, k, false))
        .map(|(k, _)| Frame::Bulk(Bytes::copy_from_slice(k)))
        .collect();
    Ok(Frame::Array(out))
}

/// EXPIRE condition flags.
#[derive(Debug, Default, Clone, Copy)]
struct ExpireFlags {
    nx: bool,
    xx: bool,
    gt: bool,
    lt: bool,
}

fn parse_expire_flags(argv: &[Bytes]) -> Result<ExpireFlags, ReplyError> {
    let mut f = ExpireFlags::default();
    for a in argv {
        if args::is(a, "nx") {
            f.nx = true;
        } else if args::is(a, "xx") {
            f.xx = true;
        } else if args::is(a, "gt") {
            f.gt = true;
        } else if args::is(a, "lt") {
            f.lt = true;
        } else {
            return Err(ReplyError::err(format!(
                "Unsupported option {}",
                String::from_utf8_lossy(a)
            )));
        }
    }
    if f.nx && (f.xx || f.gt || f.lt) {
        return Err(ReplyError::other(
            "ERR NX and XX, GT or LT options at the same time are not compatible",
        ));
    }
    if f.gt && f.lt {
        return Err(ReplyError::other(
            "ERR GT and LT options at the same time are not compatible",
        ));
    }
    Ok(f)
}

/// The body of EXPIRE, PEXPIRE, EXPIREAT, PEXPIREAT (Redis `expireGenericCommand`).
/// `unit_ms` is 1000 for seconds; `base_ms` is now for relative forms, 0 for absolute ones.
pub fn expire_generic(
    ctx: &mut Ctx<'_>,
    argv: &[Bytes],
    base_ms: i64,
    unit_ms: i64,
    name: &str,
) -> Result<Frame, ReplyError> {
    let key = &argv[1];
    let flags = parse_expire_flags(&argv[3..])?;
    let when = args::int(&argv[2])?;
    let bad = || ReplyError::InvalidExpireTime(name.to_string());
    let when = when.checked_mul(unit_ms).ok_or_else(bad)?;
    let when = when.checked_add(base_ms).ok_or_else(bad)?;
    let now = ctx.now_ms;
    let Some(entry) = ctx.db().get(key, now) else {
        return Ok(Frame::Integer(0));
    };
    let current = entry.expire_at_ms;
    let has_ttl = current != NO_EXPIRE;
    if (flags.nx && has_ttl)
        || (flags.xx && !has_ttl)
        || (flags.gt && (!has_ttl || when <= current))
        || (flags.lt && has_ttl && when >= current)
    {
        return Ok(Frame::Integer(0));
    }
    if when <= now {
        // Already expired: delete now, as Redis's `checkAlreadyExpired` does.
        ctx.db().remove(key);
        ctx.signal_modified_key(key);
        ctx.notify(EVENT_GENERIC, "del", key);
        return Ok(Frame::Integer(1));
    }
    ctx.db().set_expire(key, when);
    ctx.signal_modified_key(key);
    ctx.notify(EVENT_GENERIC, "expire", key);
    Ok(Frame::Integer(1))
}

/// ```text
/// EXPIRE key seconds [NX | XX | GT | LT]
/// ```
pub fn expire(ctx: &mut Ctx<'_>, argv: &[Bytes]) -> Result<Frame, ReplyError> {
    let now = ctx.now_ms;
    expire_generic(ctx, argv, now, 1000, "expire")
}

/// ```text
/// PEXPIRE key milliseconds [NX | XX | GT | LT]
/// ```
pub fn pexpire(ctx: &mut Ctx<'_>, argv: &[Bytes]) -> Result<Frame, ReplyError> {
    let now = ctx.now_ms;
    expire_generic(ctx, argv, now, 1, "pexpire")
}

/// Remaining TTL in ms: -2 missing, -1 no TTL.
fn ttl_ms(ctx: &mut Ctx<'_>, key: &[u8]) -> i64 {
    let now = ctx.now_ms;
    let ms = match ctx.db().get_untouched(key, now) {
        None => -2,
        Some(e) if e.expire_at_ms == NO_EXPIRE => -1,
        Some(e) => (e.expire_at_ms - now).max(0),
    };
    if ms == -2 {
        ctx.key_miss(key);
    } else {
        ctx.srv.stats.keyspace_hits += 1;
    }
    ms
}

/// ```text
/// TTL key
/// ```
pub fn ttl(ctx: &mut Ctx<'_>, argv: &[Bytes]) -> Result<Frame, ReplyError> {
    let ms = ttl_ms(ctx, &argv[1]);
    Ok(Frame::Integer(if ms < 0 { ms } else { (ms + 500) / 1000 }))
}

/// ```text
/// PTTL key
/// ```
pub fn pttl(ctx: &mut Ctx<'_>, argv: &[Bytes]) -> Result<Frame, ReplyError> {
    Ok(Frame::Integer(ttl_ms(ctx, &argv[1])))
}

/// ```text
/// PERSIST key
/// ```
pub fn persist(ctx: &mut Ctx<'_>, argv: &[Bytes]) -> Result<Frame, ReplyError> {
    let now = ctx.now_ms;
    let key = &argv[1];
    let had = ctx
        .db()
        .get(key, now)
        .is_some_and(|e| e.expire_at_ms != NO_EXPIRE);
    if !had {
        return Ok(Frame::Integer(0));
    }
    ctx.db().set_expire(key, NO_EXPIRE);
    ctx.signal_modified_key(key);
    ctx.notify(EVENT_GENERIC, "persist", key);
    Ok(Frame::Integer(1))
}

/// ```text
/// EXPIREAT key unix-time-seconds [NX | XX | GT | LT]
/// ```
pub fn expireat(ctx: &mut Ctx<'_>, argv: &[Bytes]) -> Result<Frame, ReplyError> {
    expire_generic(ctx, argv, 0, 1000, "expireat")
}

/// ```text
/// PEXPIREAT key unix-time-milliseconds [NX | XX | GT | LT]
/// ```
pub fn pexpireat(ctx: &mut Ctx<'_>, argv: &[Bytes]) -> Result<Frame, ReplyError> {
    expire_generic(ctx, argv, 0, 1, "pexpireat")
}

/// Absolute expire time in ms: -2 missing, -1 no TTL.
fn expire_time_ms(ctx: &mut Ctx<'_>, key: &[u8]) -> i64 {
    let now = ctx.now_ms;
    match ctx.db().get_untouched(key, now) {
        None => -2,
        Some(e) if e.expire_at_ms == NO_EXPIRE => -1,
        Some(e) => e.expire_at_ms.max(0),
    }
}

/// ```text
/// EXPIRETIME key
/// ```
pub fn expiretime(ctx: &mut Ctx<'_>, argv: &[Bytes]) -> Result<Frame, ReplyError> {
    let ms = expire_time_ms(ctx, &argv[1]);
    // Redis's ttlGenericCommand rounds seconds the same way for TTL and EXPIRETIME.
    Ok(Frame::Integer(if ms < 0 {
        ms
    } else {
        ms.saturating_add(500) / 1000
    }))
}

/// ```text
/// PEXPIRETIME key
/// ```
pub fn pexpiretime(ctx: &mut Ctx<'_>, argv: &[Bytes]) -> Result<Frame, ReplyError> {
    Ok(Frame::Integer(expire_time_ms(ctx, &argv[1])))
}

/// A live entry's value, expire time and access clock, cloned (lazy expiry applied; the
/// lookup records an access, as Redis's `lookupKeyWrite`/`lookupKeyRead`).
fn entry_of(ctx: &mut Ctx<'_>, db: usize, key: &[u8]) -> Option<(Value, i64, u32)> {
    let now = ctx.now_ms;
    ctx.srv.dbs[db]
        .get(key, now)
        .map(|e| (e.value.clone(), e.expire_at_ms, e.lru))
}

/// The body of RENAME and RENAMENX (Redis `renameGenericCommand`).
fn rename_generic(ctx: &mut Ctx<'_>, argv: &[Bytes], nx: bool) -> Result<Frame, ReplyError> {
    let (src, dst) = (&argv[1], &argv[2]);
    let db = ctx.client.db;
    let Some((value, expire_at_ms, lru)) = entry_of(ctx, db, src) else {
        return Err(ReplyError::NoSuchKey);
    };
    let done = if nx { Frame::Integer(1) } else { Frame::ok() };
    if src == dst {
        return Ok(if nx { Frame::Integer(0) } else { Frame::ok() });
    }
    let now = ctx.now_ms;
    if ctx.db().contains(dst, now) {
        if nx {
            return Ok(Frame::Integer(0));
        }
        ctx.db().remove(dst);
    }
    ctx.db().remove(src);
    // Redis moves the object itself, clock included.
    ctx.db().set(dst.clone(), value, expire_at_ms);
    ctx.db().set_lru(dst, lru);
    ctx.signal_modified_key(src);
    ctx.signal_modified_key(dst);
    ctx.notify(EVENT_GENERIC, "rename_from", src);
    ctx.notify(EVENT_GENERIC, "rename_to", dst);
    Ok(done)
}

/// ```text
/// RENAME key newkey
/// ```
pub fn rename(ctx: &mut Ctx<'_>, argv: &[Bytes]) -> Result<Frame, ReplyError> {
    rename_generic(ctx, argv, false)
}

/// ```text
/// RENAMENX key newkey
/// ```
pub fn renamenx(ctx: &mut Ctx<'_>, argv: &[Bytes]) -> Result<Frame, ReplyError> {
    rename_generic(ctx, argv, true)
}

/// A database index argument that must fit a C `int` (Redis `getIntFromObjectOrReply`):
/// `error` replaces both of Redis's default texts when given.
fn db_index_arg(arg: &[u8], error: Option<ReplyError>) -> Result<i64, ReplyError> {
    let v = match args::int(arg) {
        Ok(v) => v,
        Err(e) => return Err(error.unwrap_or(e)),
    };
    if i32::try_from(v).is_err() {
        return Err(error.unwrap_or(ReplyError::other(
            "ERR value is out of range, value must between -2147483648 and 2147483647",
        )));
    }
    Ok(v)
}

/// The configured number of databases: what `selectDb` checks indexes against (in cluster
/// mode too, where only database 0 exists and the callers refuse any other afterwards).
fn dbnum(ctx: &Ctx<'_>) -> i64 {
    ctx.srv.config.get_i64("databases")
}

/// ```text
/// COPY source destination [DB destination-db] [REPLACE]
/// ```
pub fn copy(ctx: &mut Ctx<'_>, argv: &[Bytes]) -> Result<Frame, ReplyError> {
    let src_db = ctx.client.db;
    let mut dst_db = i64::try_from(src_db).unwrap_or(0);
    let mut replace = false;
    let mut j = 3;
    while j < argv.len() {
        if args::is(&argv[j], "replace") {
            replace = true;
        } else if args::is(&argv[j], "db") && j + 1 < argv.len() {
            dst_db = db_index_arg(&argv[j + 1], None)?;
            if !(0..dbnum(ctx)).contains(&dst_db) {
                return Err(ReplyError::DbIndexOutOfRange);
            }
            j += 1;
        } else {
            return Err(ReplyError::Syntax);
        }
        j += 1;
    }
    if ctx.srv.cluster_enabled() && (src_db != 0 || dst_db != 0) {
        return Err(ReplyError::other(
            "ERR Copying to another database is not allowed in cluster mode",
        ));
    }
    let dst_db = usize::try_from(dst_db).expect("invariant: checked against dbnum above");
    let (src, dst) = (&argv[1], &argv[2]);
    if src_db == dst_db && src == dst {
        return Err(ReplyError::other(
            "ERR source and destination objects are the same",
        ));
    }
    // The copy is a new object with a new clock (Redis duplicates the value).
    let Some((value, expire_at_ms, _)) = entry_of(ctx, src_db, src) else {
        return Ok(Frame::Integer(0));
    };
    let now = ctx.now_ms;
    if ctx.srv.dbs[dst_db].contains(dst, now) {
        if !replace {
            return Ok(Frame::Integer(0));
        }
        ctx.srv.dbs[dst_db].remove(dst);
    }
    ctx.srv.dbs[dst_db].set(dst.clone(), value, expire_at_ms);
    ctx.signal_modified_key_in(dst_db, dst);
    ctx.notify_in(dst_db, EVENT_GENERIC, "copy_to", dst);
    Ok(Frame::Integer(1))
}

/// ```text
/// MOVE key db
/// ```
pub fn move_(ctx: &mut Ctx<'_>, argv: &[Bytes]) -> Result<Frame, ReplyError> {
    if ctx.srv.cluster_enabled() {
        return Err(ReplyError::other("ERR MOVE is not allowed in cluster mode"));
    }
    let key = &argv[1];
    let dst_db = db_index_arg(&argv[2], None)?;
    if !(0..dbnum(ctx)).contains(&dst_db) {
        return Err(ReplyError::DbIndexOutOfRange);
    }
    let dst_db = usize::try_from(dst_db).expect("invariant: checked against dbnum above");
    let src_db = ctx.client.db;
    if src_db == dst_db {
        return Err(ReplyError::other(
            "ERR source and destination objects are the same",
        ));
    }
    let Some((value, expire_at_ms, lru)) = entry_of(ctx, src_db, key) else {
        return Ok(Frame::Integer(0));
    };
    let now = ctx.now_ms;
    if ctx.srv.dbs[dst_db].contains(key, now) {
        return Ok(Frame::Integer(0));
    }
    ctx.srv.dbs[dst_db].set(key.clone(), value, expire_at_ms);
    ctx.srv.dbs[dst_db].set_lru(key, lru);
    ctx.srv.dbs[src_db].remove(key);
    ctx.signal_modified_key_in(src_db, key);
    ctx.signal_modified_key_in(dst_db, key);
    ctx.notify_in(src_db, EVENT_GENERIC, "move_from", key);
    ctx.notify_in(dst_db, EVENT_GENERIC, "move_to", key);
    Ok(Frame::Integer(1))
}

/// ```text
/// SWAPDB index1 index2
/// ```
pub fn swapdb(ctx: &mut Ctx<'_>, argv: &[Bytes]) -> Result<Frame, ReplyError> {
    if ctx.srv.cluster_enabled() {
        return Err(ReplyError::other(
            "ERR SWAPDB is not allowed in cluster mode",
        ));
    }
    let a = db_index_arg(
        &argv[1],
        Some(ReplyError::other("ERR invalid first DB index")),
    )?;
    let b = db_index_arg(
        &argv[2],
        Some(ReplyError::other("ERR invalid second DB index")),
    )?;
    let n = dbnum(ctx);
    if !(0..n).contains(&a) || !(0..n).contains(&b) {
        return Err(ReplyError::DbIndexOutOfRange);
    }
    let (a, b) = (
        usize::try_from(a).expect("invariant: checked against dbnum above"),
        usize::try_from(b).expect("invariant: checked against dbnum above"),
    );
    // Clients keep their selected index, so they now see the other database's keys, as in
    // Redis; WATCHes on either database see the swap as a change of the keys involved.
    if a != b {
        ctx.signal_flushed_db(a, Some(b));
        ctx.signal_flushed_db(b, Some(a));
    }
    ctx.srv.dbs.swap(a, b);
    ctx.srv.snapshot_swapdb(a, b);
    Ok(Frame::ok())
}

/// Redis `parseScanCursorOrReply`: `strtoull` rules (an optional sign, a `-` wraps), no
/// leading space, nothing after the digits.
fn parse_scan_cursor(arg: &[u8]) -> Option<u64> {
    if arg.first().is_some_and(u8::is_ascii_whitespace) {
        return None;
    }
    let (neg, digits) = match arg.first() {
        Some(b'-') => (true, &arg[1..]),
        Some(b'+') => (false, &arg[1..]),
        _ => (false, arg),
    };
    if digits.is_empty() {
        // strtoull parses nothing and leaves the end pointer at the start: only "" passes.
        return arg.is_empty().then_some(0);
    }
    if !digits.iter().all(u8::is_ascii_digit) {
        return None;
    }
    let v: u64 = std::str::from_utf8(digits).ok()?.parse().ok()?;
    Some(if neg { v.wrapping_neg() } else { v })
}

/// ```text
/// SCAN cursor [MATCH pattern] [COUNT count] [TYPE type]
/// ```
pub fn scan(ctx: &mut Ctx<'_>, argv: &[Bytes]) -> Result<Frame, ReplyError> {
    let cursor =
        parse_scan_cursor(&argv[1]).ok_or_else(|| ReplyError::other("ERR invalid cursor"))?;
    let mut count: usize = 10;
    let mut pattern: Option<&Bytes> = None;
    let mut type_name: Option<&Bytes> = None;
    let mut j = 2;
    while j < argv.len() {
        let has_value = j + 1 < argv.len();
        if args::is(&argv[j], "count") && has_value {
            let c = args::int(&argv[j + 1])?;
            if c < 1 {
                return Err(ReplyError::Syntax);
            }
            count = usize::try_from(c).unwrap_or(usize::MAX);
        } else if args::is(&argv[j], "match") && has_value {
            pattern = Some(&argv[j + 1]).filter(|p| p.as_ref() != b"*");
        } else if args::is(&argv[j], "type") && has_value {
            type_name = Some(&argv[j + 1]);
        } else {
            return Err(ReplyError::Syntax);
        }
        j += 2;
    }
    let mut keys = Vec::new();
    let next = ctx.db().scan(cursor, count, &mut keys);
    let now = ctx.now_ms;
    let mut out = Vec::with_capacity(keys.len());
    for key in keys {
        if pattern.is_some_and(|p| !glob_match(p, &key, false)) {
            continue;
        }
        // Lazy expiry, as Redis's scan callback does; then the TYPE filter.
        let Some(entry) = ctx.db().get_untouched(&key, now) else {
            continue;
        };
        if type_name.is_some_and(|t| !t.eq_ignore_ascii_case(entry.value.type_name().as_bytes())) {
            continue;
        }
        out.push(Frame::Bulk(key));
    }
    Ok(Frame::Array(vec![
        Frame::Bulk(Bytes::from(next.to_string())),
        Frame::Array(out),
    ]))
}

/// ```text
/// RANDOMKEY
/// ```
pub fn randomkey(ctx: &mut Ctx<'_>, _argv: &[Bytes]) -> Result<Frame, ReplyError> {
    let now = ctx.now_ms;
    let db = ctx.client.db;
    // A replica does not delete expired keys: as Redis, it gives up after 100 expired picks
    // and returns the last one.
    let mut tries = 100;
    loop {
        let srv = &mut *ctx.srv;
        let Some(key) = srv.dbs[db].random_key(&mut srv.rng) else {
            return Ok(Frame::Null);
        };
        if !srv.dbs[db].expire_if_needed(&key, now) {
            return Ok(Frame::Bulk(key));
        }
        // On a primary each expired pick was deleted, so the loop ends.
        if srv.dbs[db].expiry_mode != crate::db::ExpiryMode::Delete {
            tries -= 1;
            if tries == 0 {
                return Ok(Frame::Bulk(key));
            }
        }
    }
}

/// ```text
/// TOUCH key [key ...]
/// ```
pub fn touch(ctx: &mut Ctx<'_>, argv: &[Bytes]) -> Result<Frame, ReplyError> {
    count_existing(ctx, argv, true)
}

/// `OBJECT` without a known subcommand (the gate answers those; kept for the exhaustive match).
pub fn object(_ctx: &mut Ctx<'_>, argv: &[Bytes]) -> Result<Frame, ReplyError> {
    super::container_unreachable(argv)
}

/// The value at `argv[2]` for OBJECT subcommands, lazy expiry applied, no access recorded
/// (Redis `objectCommandLookup`).
fn object_lookup(ctx: &mut Ctx<'_>, argv: &[Bytes]) -> Option<Value> {
    let now = ctx.now_ms;
    ctx.db()
        .get_untouched(&argv[2], now)
        .map(|e| e.value.clone())
}

/// The access clock of the key at `argv[2]`, as [`object_lookup`] finds it.
fn object_lru(ctx: &mut Ctx<'_>, argv: &[Bytes]) -> Option<u32> {
    let now = ctx.now_ms;
    ctx.db().get_untouched(&argv[2], now).map(|e| e.lru)
}

fn lfu_policy(ctx: &Ctx<'_>) -> bool {
    ctx.srv.config.get_str("maxmemory-policy").contains("lfu")
}

/// ```text
/// OBJECT ENCODING key
/// ```
pub fn object_encoding(ctx: &mut Ctx<'_>, argv: &[Bytes]) -> Result<Frame, ReplyError> {
    Ok(object_lookup(ctx, argv).map_or(Frame::Null, |v| Frame::bulk(v.encoding())))
}

/// ```text
/// OBJECT REFCOUNT key
/// ```
pub fn object_refcount(ctx: &mut Ctx<'_>, argv: &[Bytes]) -> Result<Frame, ReplyError> {
    let Some(value) = object_lookup(ctx, argv) else {
        return Ok(Frame::Null);
    };
    // Redis shares the objects of the integers 0..10000 (OBJ_SHARED_INTEGERS) unless an
    // LRU/LFU policy with a memory limit needs a per-object clock; shared objects report
    // INT_MAX (OBJ_SHARED_REFCOUNT).
    let shared = match &value {
        Value::String(s) => shoal_common::number::parse_i64(s).is_some_and(|v| {
            (0..10_000).contains(&v) && value.encoding() == "int" && shared_integers(ctx)
        }),
        #[allow(unreachable_patterns)]
        _ => false,
    };
    Ok(Frame::Integer(if shared { i64::from(i32::MAX) } else { 1 }))
}

/// Redis `MAXMEMORY_FLAG_NO_SHARED_INTEGERS`: no sharing under LRU/LFU with a limit.
fn shared_integers(ctx: &Ctx<'_>) -> bool {
    let policy = ctx.srv.config.get_str("maxmemory-policy");
    ctx.srv.config.get_i64("maxmemory") == 0 || !(policy.contains("lru") || policy.contains("lfu"))
}

/// ```text
/// OBJECT IDLETIME key
/// ```
pub fn object_idletime(ctx: &mut Ctx<'_>, argv: &[Bytes]) -> Result<Frame, ReplyError> {
    let Some(lru) = object_lru(ctx, argv) else {
        return Ok(Frame::Null);
    };
    if lfu_policy(ctx) {
        return Err(ReplyError::other(
            "ERR An LFU maxmemory policy is selected, idle time not tracked. Please note that \
             when switching between policies at runtime LRU and LFU data will take some time \
             to adjust.",
        ));
    }
    let idle_s = crate::db::access::estimate_idle_ms(lru, ctx.now_ms) / 1000;
    Ok(Frame::Integer(i64::try_from(idle_s).unwrap_or(i64::MAX)))
}

/// ```text
/// OBJECT FREQ key
/// ```
pub fn object_freq(ctx: &mut Ctx<'_>, argv: &[Bytes]) -> Result<Frame, ReplyError> {
    let Some(lru) = object_lru(ctx, argv) else {
        return Ok(Frame::Null);
    };
    if !lfu_policy(ctx) {
        return Err(ReplyError::other(
            "ERR An LFU maxmemory policy is not selected, access frequency not tracked. Please \
             note that when switching between policies at runtime LRU and LFU data will take \
             some time to adjust.",
        ));
    }
    let freq = ctx.db().access.lfu_decr_and_return(lru);
    Ok(Frame::Integer(i64::from(freq)))
}

/// ```text
/// OBJECT HELP
/// ```
pub fn object_help(_ctx: &mut Ctx<'_>, _argv: &[Bytes]) -> Result<Frame, ReplyError> {
    let lines = [
        "OBJECT <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
        "ENCODING <key>",
        "    Return the kind of internal representation used in order to store the value",
        "    associated with a <key>.",
        "FREQ <key>",
        "    Return the access frequency index of the <key>. The returned integer is",
        "    proportional to the logarithm of the recent access frequency of the key.",
        "IDLETIME <key>",
        "    Return the idle time of the <key>, that is the approximated number of",
        "    seconds elapsed since the last access to the key.",
        "REFCOUNT <key>",
        "    Return the number of references of the value associated with the specified",
        "    <key>.",
        "HELP",
        "    Prints this help.",
    ];
    Ok(Frame::Array(
        lines.iter().map(|l| Frame::simple(l)).collect(),
    ))
}

/// ```text
/// DUMP key
/// ```
pub fn dump(ctx: &mut Ctx<'_>, argv: &[Bytes]) -> Result<Frame, ReplyError> {
    let now = ctx.now_ms;
    Ok(ctx.db().get(&argv[1], now).map_or(Frame::Null, |e| {
        Frame::Bulk(crate::db::dump::dump(&e.value))
    }))
}

/// Options of RESTORE.
#[derive(Debug, Default)]
struct RestoreOptions {
    replace: bool,
    absttl: bool,
    /// IDLETIME seconds.
    idle_s: Option<i64>,
    /// FREQ counter.
    freq: Option<u8>,
}

fn parse_restore_options(argv: &[Bytes]) -> Result<RestoreOptions, ReplyError> {
    let mut o = RestoreOptions::default();
    let mut j = 4;
    while j < argv.len() {
        let has_value = j + 1 < argv.len();
        if args::is(&argv[j], "replace") {
            o.replace = true;
        } else if args::is(&argv[j], "absttl") {
            o.absttl = true;
        } else if args::is(&argv[j], "idletime") && has_value && o.freq.is_none() {
            let idle = args::int(&argv[j + 1])?;
            if idle < 0 {
                return Err(ReplyError::other(
                    "ERR Invalid IDLETIME value, must be >= 0",
                ));
            }
            o.idle_s = Some(idle);
            j += 1;
        } else if args::is(&argv[j], "freq") && has_value && o.idle_s.is_none() {
            let freq = args::int(&argv[j + 1])?;
            let Ok(freq) = u8::try_from(freq) else {
                return Err(ReplyError::other(
                    "ERR Invalid FREQ value, must be >= 0 and <= 255",
                ));
            };
            o.freq = Some(freq);
            j += 1;
        } else {
            return Err(ReplyError::Syntax);
        }
        j += 1;
    }
    Ok(o)
}

/// ```text
/// RESTORE key ttl serialized-value [REPLACE] [ABSTTL] [IDLETIME seconds] [FREQ frequency]
/// ```
///
/// Also the body of RESTORE-ASKING (the cluster's migration path): its handler can be this
/// function, since the two differ only in the command flags the gate checks. IDLETIME sets
/// the access clock under an LRU policy, FREQ under an LFU one (Redis `objectSetLRUOrLFU`).
pub fn restore(ctx: &mut Ctx<'_>, argv: &[Bytes]) -> Result<Frame, ReplyError> {
    let o = parse_restore_options(argv)?;
    let key = &argv[1];
    let now = ctx.now_ms;
    if !o.replace && ctx.db().contains(key, now) {
        return Err(ReplyError::other("BUSYKEY Target key name already exists."));
    }
    let ttl = args::int(&argv[2])?;
    if ttl < 0 {
        return Err(ReplyError::other("ERR Invalid TTL value, must be >= 0"));
    }
    let mut value =
        crate::db::dump::restore(&argv[3]).map_err(|e| ReplyError::other(e.reply_text()))?;
    if let crate::db::Value::ZSet(z) = &mut value {
        // Redis picks a loaded set's encoding from this node's thresholds.
        let limits = super::zset::limits(ctx);
        *z = std::mem::take(z).with_limits(limits);
    }
    match &mut value {
        crate::db::Value::Hash(h) => *h = std::mem::take(h).with_limits(&super::hash::limits(ctx)),
        crate::db::Value::Set(s) => *s = std::mem::take(s).with_limits(&super::hash::limits(ctx)),
        _ => {}
    }
    let deleted = o.replace && ctx.db().remove(key).is_some();
    let expire_at_ms = match ttl {
        0 => NO_EXPIRE,
        t if o.absttl => t,
        t => t.saturating_add(now),
    };
    if expire_at_ms != NO_EXPIRE && expire_at_ms <= now {
        // Already expired: the key is not created (and an old one was deleted).
        if deleted {
            ctx.signal_modified_key(key);
            ctx.notify(EVENT_GENERIC, "del", key);
        }
        return Ok(Frame::ok());
    }
    ctx.db().set(key.clone(), value, expire_at_ms);
    let access = ctx.db().access;
    if let Some(lru) = access.restored(o.freq, o.idle_s) {
        ctx.db().set_lru(key, lru);
    }
    ctx.signal_modified_key(key);
    ctx.notify(EVENT_GENERIC, "restore", key);
    Ok(Frame::ok())
}
