//! MIGRATE and RESTORE-ASKING (Redis `cluster.c` `migrateCommand`).
//!
//! Redis runs MIGRATE synchronously: the whole server blocks on the target's socket. Our
//! executor must never block, so MIGRATE is split in three steps that keep Redis's semantics:
//!
//! 1. On the executor ([`migrate`]): parse, snapshot the keys that exist (DUMP payload plus
//!    remaining TTL), mark them *in flight*, suspend the calling client (its later commands
//!    wait in order), and hand the payloads to a task.
//! 2. Off the executor ([`transfer`]): take a cached connection to the target (or open one
//!    with the timeout), pipeline `AUTH`/`AUTH2`, `SELECT` (when the cached connection's db
//!    differs) and one `RESTORE-ASKING key ttl payload [REPLACE]` per key, read the replies.
//! 3. Back on the executor ([`Server::migrate_done`]): delete (unless COPY) exactly the keys
//!    the target acknowledged, propagate the deletions as DEL, clear the in-flight marks,
//!    reply, and resume the client.
//!
//! While a key is in flight, commands on it get TRYAGAIN from the redirect gate (they would
//! otherwise read or write a value that is being moved); clients retry. Redis never shows
//! this because it serves nobody during a MIGRATE. Connections are cached per target for
//! [`POOL_IDLE_MS`] like Redis's `migrateCachedSockets`.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::{Bytes, BytesMut};
use shoal_common::resp::decode::decode_reply;
use shoal_common::resp::encode::encode_request;
use shoal_common::{Frame, ReplyError};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::sync::Mutex;

use crate::cmd::args;
use crate::db::NO_EXPIRE;
use crate::exec::{ClientId, Ctx, Event, Server};

/// Idle time after which a cached connection to a target is closed (Redis: 10 s).
pub const POOL_IDLE_MS: u64 = 10_000;
/// Most cached target connections (Redis: 64).
const POOL_MAX: usize = 64;

struct Cached {
    stream: TcpStream,
    db: i64,
    last_use: Instant,
}

/// Cached connections to migration targets, keyed by `host:port`.
#[derive(Clone, Default)]
pub struct Pool(Arc<Mutex<HashMap<String, Cached>>>);

impl std::fmt::Debug for Pool {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("migrate::Pool")
    }
}

/// Credentials for the target.
#[derive(Debug, Clone)]
enum Auth {
    Password(Bytes),
    User(Bytes, Bytes),
}

/// One MIGRATE in progress.
#[derive(Debug)]
pub struct Job {
    host: String,
    port: String,
    timeout: Duration,
    db: i64,
    auth: Option<Auth>,
    copy: bool,
    replace: bool,
    /// (key, relative TTL ms or 0, DUMP payload)
    items: Vec<(Bytes, i64, Bytes)>,
}

/// What a transfer reports back to the executor.
#[derive(Debug)]
pub struct Done {
    /// The client waiting for the reply.
    pub client_id: ClientId,
    /// Keys the target restored.
    pub restored: Vec<Bytes>,
    /// Every key that was in flight.
    pub in_flight: Vec<Bytes>,
    /// Keep the source keys.
    pub copy: bool,
    /// The reply: `None` for +OK.
    pub error: Option<String>,
}

struct Parsed {
    copy: bool,
    replace: bool,
    auth: Option<Auth>,
    keys: Vec<Bytes>,
}

fn parse(argv: &[Bytes]) -> Result<Parsed, ReplyError> {
    let mut p = Parsed {
        copy: false,
        replace: false,
        auth: None,
        keys: vec![argv[3].clone()],
    };
    let mut j = 6;
    while j < argv.len() {
        let more = argv.len() - 1 - j;
        let a = &argv[j];
        if args::is(a, "copy") {
            p.copy = true;
        } else if args::is(a, "replace") {
            p.replace = true;
        } else if args::is(a, "auth") && more >= 1 {
            p.auth = Some(Auth::Password(argv[j + 1].clone()));
            j += 1;
        } else if args::is(a, "auth2") && more >= 2 {
            p.auth = Some(Auth::User(argv[j + 1].clone(), argv[j + 2].clone()));
            j += 2;
        } else if args::is(a, "keys") {
            if !argv[3].is_empty() {
                return Err(ReplyError::other(
                    "ERR When using MIGRATE KEYS option, the key argument must be set to the empty string",
                ));
            }
            p.keys = argv[j + 1..].to_vec();
            break;
        } else {
            return Err(ReplyError::Syntax);
        }
        j += 1;
    }
    Ok(p)
}

/// The keys of a MIGRATE command (Redis `migrateGetKeys`: the KEYS list when present,
/// otherwise the key argument). The key specs alone cannot say this: the second spec is
/// INCOMPLETE and the first names the empty placeholder when KEYS is used.
pub fn keys(argv: &[Bytes]) -> Vec<usize> {
    let mut j = 6;
    while j < argv.len() {
        let a = &argv[j];
        if args::is(a, "auth") {
            j += 1;
        } else if args::is(a, "auth2") {
            j += 2;
        } else if args::is(a, "keys") {
            // A non-empty key argument with KEYS is an error the command reports itself.
            if !argv[3].is_empty() {
                return Vec::new();
            }
            return (j + 1..argv.len()).collect();
        }
        j += 1;
    }
    if argv.len() > 3 { vec![3] } else { vec![] }
}

/// ```text
/// MIGRATE host port <key | ""> destination-db timeout [COPY] [REPLACE]
///   [AUTH password | AUTH2 username password] [KEYS key [key ...]]
/// ```
pub fn migrate(ctx: &mut Ctx<'_>, argv: &[Bytes]) -> Result<Frame, ReplyError> {
    let p = parse(argv)?;
    let timeout_ms = args::int(&argv[5])?;
    let db = args::int(&argv[4])?;
    let now = ctx.now_ms;
    let mut items = Vec::new();
    for k in &p.keys {
        if let Some(e) = ctx.db().get(k, now) {
            let ttl = if e.expire_at_ms == NO_EXPIRE {
                0
            } else {
                (e.expire_at_ms - now).max(1)
            };
            items.push((k.clone(), ttl, crate::db::dump::dump(&e.value)));
        }
    }
    if items.is_empty() {
        return Ok(Frame::simple("NOKEY"));
    }
    let Some(events) = ctx.srv.events.clone() else {
        return Err(ReplyError::other(
            "IOERR error or timeout connecting to the client",
        ));
    };
    let timeout_ms = if timeout_ms <= 0 { 1000 } else { timeout_ms };
    let job = Job {
        host: String::from_utf8_lossy(&argv[1]).into_owned(),
        port: String::from_utf8_lossy(&argv[2]).into_owned(),
        timeout: Duration::from_millis(u64::try_from(timeout_ms).unwrap_or(1000)),
        db,
        auth: p.auth,
        copy: p.copy,
        replace: p.replace,
        items,
    };
    let in_flight: Vec<Bytes> = job.items.iter().map(|(k, _, _)| k.clone()).collect();
    ctx.srv.keys_in_flight.extend(in_flight.iter().cloned());
    let pool = ctx.srv.migrate_pool.clone();
    let client_id = ctx.client.id;
    tokio::spawn(async move {
        let copy = job.copy;
        let (restored, error) = transfer(&pool, job).await;
        let done = Done {
            client_id,
            restored,
            in_flight,
            copy,
            error,
        };
        let _ = events.send(Event::MigrateDone(Box::new(done)));
    });
    // Later commands of this client wait in its pending queue (exec::blocking) until the
    // transfer reports back; no blocking-table entry, so no timeout or CLIENT UNBLOCK.
    ctx.client.bstate.blocked = true;
    ctx.no_reply = true;
    // The deletions are propagated as DEL when they happen, not the MIGRATE itself.
    ctx.propagate_as = Some(Vec::new());
    Ok(Frame::ok())
}

const WRITE_ERR: &str = "IOERR error or timeout writing to target instance";
const READ_ERR: &str = "IOERR error or timeout reading to target instance";

async fn take_conn(pool: &Pool, addr: &str, timeout: Duration) -> Result<Cached, String> {
    {
        let mut map = pool.0.lock().await;
        map.retain(|_, c| c.last_use.elapsed() < Duration::from_millis(POOL_IDLE_MS));
        if let Some(c) = map.remove(addr) {
            return Ok(c);
        }
    }
    match tokio::time::timeout(timeout, TcpStream::connect(addr)).await {
        Ok(Ok(stream)) => {
            let _ = stream.set_nodelay(true);
            Ok(Cached {
                stream,
                db: -1,
                last_use: Instant::now(),
            })
        }
        Ok(Err(_)) => Err(WRITE_ERR.to_string()),
        Err(_) => Err("IOERR error or timeout connecting to the client".to_string()),
    }
}

/// Sends the keys; returns the keys the target restored and the error reply, if any.
pub async fn transfer(pool: &Pool, job: Job) -> (Vec<Bytes>, Option<String>) {
    let addr = format!("{}:{}", job.host, job.port);
    let mut conn = match take_conn(pool, &addr, job.timeout).await {
        Ok(c) => c,
        Err(e) => return (Vec::new(), Some(e)),
    };
    let mut out = BytesMut::new();
    let mut preamble = 0;
    match &job.auth {
        Some(Auth::Password(pw)) => {
            encode_request(&[&b"AUTH"[..], pw], &mut out);
            preamble += 1;
        }
        Some(Auth::User(u, pw)) => {
            encode_request(&[&b"AUTH"[..], u, pw], &mut out);
            preamble += 1;
        }
        None => {}
    }
    let select = conn.db != job.db;
    if select {
        encode_request(&["SELECT".to_string(), job.db.to_string()], &mut out);
        preamble += 1;
    }
    for (k, ttl, payload) in &job.items {
        let ttl = Bytes::from(ttl.to_string());
        let mut cmd: Vec<&[u8]> = vec![b"RESTORE-ASKING", k, &ttl, payload];
        if job.replace {
            cmd.push(b"REPLACE");
        }
        encode_request(&cmd, &mut out);
    }
    let write = tokio::time::timeout(job.timeout, conn.stream.write_all(&out)).await;
    if !matches!(write, Ok(Ok(()))) {
        return (Vec::new(), Some(WRITE_ERR.to_string()));
    }
    let mut buf = BytesMut::new();
    let mut restored = Vec::new();
    let mut first_error = None;
    for i in 0..preamble + job.items.len() {
        let Some(reply) = read_reply(&mut conn.stream, &mut buf, job.timeout).await else {
            return (restored, Some(READ_ERR.to_string()));
        };
        let err = match &reply {
            Frame::Error(e) => Some(String::from_utf8_lossy(e).into_owned()),
            _ => None,
        };
        if i < preamble {
            if let Some(e) = err {
                return (Vec::new(), Some(target_error(&e)));
            }
            continue;
        }
        match err {
            Some(e) => {
                first_error.get_or_insert(e);
            }
            None => restored.push(job.items[i - preamble].0.clone()),
        }
    }
    conn.db = job.db;
    conn.last_use = Instant::now();
    let mut map = pool.0.lock().await;
    if map.len() < POOL_MAX {
        map.insert(addr, conn);
    }
    (restored, first_error.map(|e| target_error(&e)))
}

fn target_error(e: &str) -> String {
    format!("ERR Target instance replied with error: {e}")
}

async fn read_reply(
    stream: &mut TcpStream,
    buf: &mut BytesMut,
    timeout: Duration,
) -> Option<Frame> {
    loop {
        match decode_reply(buf) {
            Ok(Some(f)) => return Some(f),
            Ok(None) => {}
            Err(_) => return None,
        }
        match tokio::time::timeout(timeout, stream.read_buf(buf)).await {
            Ok(Ok(n)) if n > 0 => {}
            _ => return None,
        }
    }
}

impl Server {
    /// A transfer finished: delete what the target acknowledged (unless COPY), reply, and
    /// run the client's waiting commands.
    pub fn migrate_done(&mut self, done: Done) {
        for k in &done.in_flight {
            self.keys_in_flight.remove(k);
        }
        if !done.copy && !done.restored.is_empty() {
            let mut del = vec![Bytes::from_static(b"DEL")];
            for k in &done.restored {
                if self.dbs[0].remove(k).is_some() {
                    del.push(k.clone());
                }
            }
            if del.len() > 1 {
                self.propagate(0, &del);
            }
        }
        let reply = match done.error {
            None => Frame::ok(),
            Some(e) => {
                self.record_error(&ReplyError::Other(e.clone().into()));
                Frame::error(e)
            }
        };
        self.resume_client(done.client_id, reply);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn argv(a: &[&str]) -> Vec<Bytes> {
        a.iter().map(|s| Bytes::from(s.to_string())).collect()
    }

    #[test]
    fn keys_of_both_forms() {
        assert_eq!(keys(&argv(&["MIGRATE", "h", "1", "k", "0", "5"])), vec![3]);
        assert_eq!(
            keys(&argv(&[
                "MIGRATE", "h", "1", "", "0", "5", "REPLACE", "KEYS", "a", "b"
            ])),
            vec![8, 9]
        );
    }

    #[test]
    fn parse_errors() {
        let e = |a: &[&str]| parse(&argv(a)).err().map(|e| e.to_string());
        assert_eq!(
            e(&["MIGRATE", "h", "1", "k", "0", "5", "FOO"]),
            Some("ERR syntax error".into())
        );
        assert_eq!(
            e(&["MIGRATE", "h", "1", "k", "0", "5", "AUTH"]),
            Some("ERR syntax error".into())
        );
        assert!(
            e(&["MIGRATE", "h", "1", "k", "0", "5", "KEYS", "a"])
                .is_some_and(|m| m.contains("empty string"))
        );
        let p = parse(&argv(&[
            "MIGRATE", "h", "1", "", "0", "5", "COPY", "AUTH2", "u", "p", "KEYS", "x",
        ]))
        .expect("valid");
        assert!(p.copy && !p.replace && matches!(p.auth, Some(Auth::User(..))));
        assert_eq!(p.keys, vec![Bytes::from("x")]);
    }
}
