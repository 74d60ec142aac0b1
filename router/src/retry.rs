//! What to do with an error reply from a node (the redis-rs cluster error table): `MOVED`
//! → refresh the slot map and resend to the new owner; `ASK` → `ASKING` plus the command,
//! once, on the target; `TRYAGAIN`, `CLUSTERDOWN` and `LOADING` → wait and resend, a bounded
//! number of times.
//!
//! Invariant: every retry loop in the router is bounded: by [`ATTEMPTS_MAX`] redirections,
//! and by the retry deadline (`--timeout-ms` from the first send) for waits and resends.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use bytes::{Bytes, BytesMut};
use shoal_common::resp::Protocol;
use shoal_common::resp::encode::encode_request;
use tokio::sync::oneshot;

use crate::error::RouterError;
use crate::upstream::{self, Answer, Kind, Replies, Upstream};
use crate::{ReadFrom, Router, Stats};

/// Redirections (MOVED/ASK) per command (redis-rs uses 16 for its cluster client; a router
/// in front of many clients should give up sooner and say why).
pub const ATTEMPTS_MAX: u32 = 8;
/// First backoff for `TRYAGAIN` and friends; doubled per attempt.
const BACKOFF_START: Duration = Duration::from_millis(10);
/// Largest single backoff: while a failover runs, the router looks again this often.
const BACKOFF_MAX: Duration = Duration::from_millis(200);

/// The retry decision for one reply.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Retry {
    /// Not an error the router handles: forward it.
    No,
    /// `MOVED slot addr`.
    Moved {
        /// The slot.
        slot: u16,
        /// Its owner.
        addr: String,
    },
    /// `ASK slot addr`.
    Ask {
        /// The slot.
        slot: u16,
        /// The importing node.
        addr: String,
    },
    /// `TRYAGAIN`, `CLUSTERDOWN`, `LOADING`: resend after [`backoff`].
    Wait,
}

fn redirect(rest: &[u8]) -> Option<(u16, String)> {
    let text = std::str::from_utf8(rest).ok()?;
    let (slot, addr) = text.trim().split_once(' ')?;
    Some((slot.parse().ok()?, addr.to_string()))
}

/// Classifies one raw reply (the bytes exactly as the node sent them).
pub fn classify(raw: &[u8]) -> Retry {
    let Some(line) = raw.strip_prefix(b"-") else {
        return Retry::No;
    };
    let line = line.strip_suffix(b"\r\n").unwrap_or(line);
    if let Some(rest) = line.strip_prefix(b"MOVED ") {
        return redirect(rest).map_or(Retry::No, |(slot, addr)| Retry::Moved { slot, addr });
    }
    if let Some(rest) = line.strip_prefix(b"ASK ") {
        return redirect(rest).map_or(Retry::No, |(slot, addr)| Retry::Ask { slot, addr });
    }
    if line.starts_with(b"TRYAGAIN")
        || line.starts_with(b"CLUSTERDOWN")
        || line.starts_with(b"LOADING")
    {
        return Retry::Wait;
    }
    Retry::No
}

/// The pause before attempt `attempt` (1-based) of a [`Retry::Wait`].
pub fn backoff(attempt: u32) -> Duration {
    let factor = 1u32 << attempt.min(10);
    (BACKOFF_START * factor).min(BACKOFF_MAX)
}

/// How a job's commands travel.
#[derive(Clone)]
pub enum Via {
    /// The node's shared pipelined connection.
    Shared,
    /// A new connection of its own per attempt, without a reply bound (blocking commands).
    Dedicated,
    /// This connection and no other (WATCH state lives on it): no redirection.
    Pinned(Arc<Upstream>),
}

/// Commands to run back to back on one node, with the redirection rules applied.
#[derive(Clone)]
pub struct Job {
    /// The commands (one, or MULTI ... EXEC).
    pub cmds: Vec<Vec<Bytes>>,
    /// The slot they address (`None`: keyless).
    pub slot: Option<u16>,
    /// A fixed node (fan-out); overrides `slot`.
    pub node: Option<String>,
    /// True when resending after a lost connection could run a write twice.
    pub write: bool,
    /// True when a replica may answer (`--read-from replicas` and a readonly command).
    pub replica_ok: bool,
    /// The client's protocol (the upstream connection speaks it too).
    pub protocol: Protocol,
    /// How to send.
    pub via: Via,
}

/// A job's first attempt, already queued on its connection (or already answered).
pub struct Sent {
    addr: String,
    rx: Outcome,
    _conn: Option<Arc<Upstream>>,
}

/// Where an attempt stands.
enum Outcome {
    /// Queued; the replies come through the receiver.
    Waiting(oneshot::Receiver<Answer>),
    /// Answered (or failed before it could be sent).
    Done(Replies),
}

impl Sent {
    /// An attempt already answered by `addr`: a command sent as part of a batch (see
    /// `session`), whose reply asks for a redirection or a retry, continues from here.
    pub fn answered(addr: String, outcome: Replies) -> Sent {
        Sent {
            addr,
            rx: Outcome::Done(outcome),
            _conn: None,
        }
    }
}

static REPLICA_TURN: AtomicUsize = AtomicUsize::new(0);

/// The node for a job right now.
fn target(router: &Router, job: &Job) -> Result<String, RouterError> {
    if let Some(n) = &job.node {
        return Ok(n.clone());
    }
    let map = router.topology.current();
    let shard = match job.slot {
        Some(slot) => map.shard_of(slot).ok_or(RouterError::NoOwner { slot })?,
        None => map
            .shards
            .iter()
            .find(|s| !s.slots.is_empty())
            .ok_or(RouterError::NoOwner { slot: 0 })?,
    };
    if job.replica_ok && router.config.read_from == ReadFrom::Replicas {
        let healthy: Vec<_> = shard.replicas.iter().filter(|r| r.healthy).collect();
        if !healthy.is_empty() {
            let i = REPLICA_TURN.fetch_add(1, Ordering::Relaxed) % healthy.len();
            return Ok(healthy[i].addr.clone());
        }
    }
    Ok(shard.primary.addr.clone())
}

fn wire(cmds: &[Vec<Bytes>], asking: bool) -> Bytes {
    let mut out = BytesMut::new();
    if asking {
        encode_request(&["ASKING"], &mut out);
    }
    for c in cmds {
        encode_request(c, &mut out);
    }
    out.freeze()
}

/// Queues `job` on `addr` (the pipelining order point).
async fn send_to(router: &Router, job: &Job, addr: String, asking: bool) -> Sent {
    let readonly = job.replica_ok
        && router.config.read_from == ReadFrom::Replicas
        && job.node.is_none()
        && !router
            .topology
            .current()
            .serving_primaries()
            .any(|p| p.addr == addr);
    let kind = Kind {
        protocol: job.protocol,
        readonly,
    };
    let n = job.cmds.len() + usize::from(asking);
    let conn = match &job.via {
        Via::Shared => router.pool.get(&addr, kind),
        Via::Dedicated => router.pool.dedicated(&addr, kind),
        Via::Pinned(c) => Arc::clone(c),
    };
    let rx = conn.send(wire(&job.cmds, asking), n).await;
    Sent {
        addr,
        rx: Outcome::Waiting(rx),
        _conn: Some(conn),
    }
}

/// Queues the first attempt of `job`.
pub async fn start(router: &Router, job: &Job) -> Sent {
    let addr = match &job.via {
        Via::Pinned(c) => Ok(c.addr.clone()),
        _ => target(router, job),
    };
    match addr {
        Ok(addr) => send_to(router, job, addr, false).await,
        Err(e) => Sent::answered(String::new(), Err(e)),
    }
}

/// The first reply of `replies` that asks for a retry.
fn decision(replies: &[Bytes]) -> Retry {
    replies
        .iter()
        .map(|r| classify(r))
        .find(|d| *d != Retry::No)
        .unwrap_or(Retry::No)
}

/// Waits for `sent` and follows MOVED/ASK/TRYAGAIN and safe resends until an answer.
/// Returns the replies of `job.cmds` (ASKING's reply removed).
///
/// Bounds: at most [`ATTEMPTS_MAX`] redirections (MOVED/ASK), and waits (TRYAGAIN,
/// CLUSTERDOWN, LOADING, an unreachable node, a read lost in flight) only while the next
/// try starts before the retry deadline, `--timeout-ms` after the first send. So a client
/// rides through a failover that completes within that bound (the dead primary refuses
/// connections, then the slot is unserved, then its replica takes over) and sees a pause,
/// not an error; a write whose fate is unknown is never resent.
pub async fn finish(router: Arc<Router>, job: Job, mut sent: Sent) -> Replies {
    let pinned = matches!(job.via, Via::Pinned(_));
    let deadline = tokio::time::Instant::now() + router.config.timeout;
    // Whether a wait of `backoff(attempt)` still ends before the deadline.
    let may_wait =
        |attempt: u32| tokio::time::Instant::now() + backoff(attempt) < deadline && !pinned;
    let mut asking = false;
    let mut redirects = 0;
    let mut attempt = 0;
    loop {
        attempt += 1;
        let outcome = match sent.rx {
            Outcome::Waiting(rx) => upstream::wait(&sent.addr, rx)
                .await
                .map(upstream::ReplyBatch::into_vec),
            Outcome::Done(r) => r,
        };
        let mut next_asking = false;
        let next_addr = match outcome {
            Ok(mut replies) => {
                if asking && !replies.is_empty() {
                    replies.remove(0);
                }
                let decision = decision(&replies);
                let redirect = matches!(decision, Retry::Moved { .. } | Retry::Ask { .. });
                if redirect {
                    redirects += 1;
                }
                match decision {
                    Retry::No => return Ok(replies),
                    _ if pinned || redirects > ATTEMPTS_MAX => return Ok(replies),
                    Retry::Moved { slot, addr } => {
                        Stats::bump(&router.stats.moved);
                        router.topology.moved(slot, &addr);
                        addr
                    }
                    Retry::Ask { addr, .. } => {
                        Stats::bump(&router.stats.ask);
                        next_asking = true;
                        addr
                    }
                    Retry::Wait if !may_wait(attempt) => return Ok(replies),
                    Retry::Wait => {
                        Stats::bump(&router.stats.retries);
                        tokio::time::sleep(backoff(attempt)).await;
                        match target(&router, &job) {
                            Ok(a) => a,
                            Err(_) => sent.addr.clone(),
                        }
                    }
                }
            }
            Err(e) => {
                let resend = e.safe_to_resend() || (!job.write && e.retry_read());
                if !resend || !may_wait(attempt) {
                    Stats::bump(&router.stats.upstream_errors);
                    return Err(e);
                }
                Stats::bump(&router.stats.retries);
                router.topology.request_refresh();
                tokio::time::sleep(backoff(attempt)).await;
                match target(&router, &job) {
                    Ok(a) => a,
                    Err(e) => {
                        sent = Sent::answered(String::new(), Err(e));
                        continue;
                    }
                }
            }
        };
        asking = next_asking;
        sent = send_to(&router, &job, next_addr, asking).await;
    }
}

/// Runs `job` to completion.
pub async fn run(router: Arc<Router>, job: Job) -> Replies {
    let sent = start(&router, &job).await;
    finish(router, job, sent).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classifies_cluster_errors() {
        assert_eq!(
            classify(b"-MOVED 3999 127.0.0.1:6381\r\n"),
            Retry::Moved {
                slot: 3999,
                addr: "127.0.0.1:6381".into()
            }
        );
        assert_eq!(
            classify(b"-ASK 1 ::1:7000\r\n"),
            Retry::Ask {
                slot: 1,
                addr: "::1:7000".into()
            }
        );
        assert_eq!(
            classify(b"-TRYAGAIN Multiple keys request during rehashing of slot\r\n"),
            Retry::Wait
        );
        assert_eq!(
            classify(b"-CLUSTERDOWN The cluster is down\r\n"),
            Retry::Wait
        );
        assert_eq!(classify(b"-LOADING Redis is loading\r\n"), Retry::Wait);
        assert_eq!(classify(b"-ERR MOVED nothing\r\n"), Retry::No);
        assert_eq!(classify(b"+OK\r\n"), Retry::No);
        assert_eq!(classify(b"-MOVED x y\r\n"), Retry::No);
    }

    #[test]
    fn backoff_is_bounded() {
        assert!(backoff(1) < backoff(2));
        let total: Duration = (1..ATTEMPTS_MAX).map(backoff).sum();
        assert!(total < Duration::from_secs(3));
        assert_eq!(backoff(30), BACKOFF_MAX);
    }
}
