//! The router's view of the cluster: an `Arc<SlotMap>` snapshot that readers clone cheaply,
//! replaced as a whole (copy on write) when a `MOVED` patches one slot or a refresh reads
//! `CLUSTER SHARDS` (falling back to `CLUSTER SLOTS` for servers without it).
//!
//! Refreshes happen at start, at once after a `MOVED` or a lost node, and on a timer. Only the
//! refresher task runs them, so a burst of `MOVED` replies costs one refresh, not one each.

use std::sync::{Arc, RwLock};
use std::time::Duration;

use bytes::BytesMut;
use shoal_common::Frame;
use shoal_common::resp::Protocol;
use shoal_common::resp::decode::decode_reply;
use shoal_common::topology::SlotMap;
use tokio::sync::Notify;

use crate::upstream::{Kind, Pool};

/// The connection kind used for topology queries.
const QUERY_KIND: Kind = Kind {
    protocol: Protocol::Resp2,
    readonly: false,
};

/// The current slot map and how to refresh it.
pub struct Topology {
    map: RwLock<Arc<SlotMap>>,
    seeds: Vec<String>,
    wake: Notify,
    /// Refreshes done (INFO).
    pub refreshes: std::sync::atomic::AtomicU64,
}

impl Topology {
    /// An empty map; [`Topology::refresh`] fills it.
    pub fn new(seeds: Vec<String>) -> Topology {
        Topology {
            map: RwLock::new(Arc::new(SlotMap::new(Vec::new()))),
            seeds,
            wake: Notify::new(),
            refreshes: std::sync::atomic::AtomicU64::new(0),
        }
    }

    /// The current snapshot.
    pub fn current(&self) -> Arc<SlotMap> {
        Arc::clone(
            &self
                .map
                .read()
                .expect("invariant: topology lock never poisoned"),
        )
    }

    /// Records a `MOVED` at once (so the retry goes to the right node) and asks for a full
    /// refresh.
    pub fn moved(&self, slot: u16, addr: &str) {
        {
            let mut guard = self
                .map
                .write()
                .expect("invariant: topology lock never poisoned");
            if guard.shard_of(slot).map(|s| s.primary.addr.as_str()) != Some(addr) {
                let mut next = SlotMap::clone(&guard);
                next.apply_moved(slot, addr);
                *guard = Arc::new(next);
            }
        }
        self.request_refresh();
    }

    /// Wakes the refresher.
    pub fn request_refresh(&self) {
        self.wake.notify_one();
    }

    /// Reads the topology from the known primaries, then the seeds; the first complete answer
    /// wins (an incomplete one is kept only if nothing better comes).
    pub async fn refresh(&self, pool: &Pool) -> bool {
        let mut candidates: Vec<String> = self
            .current()
            .serving_primaries()
            .map(|n| n.addr.clone())
            .collect();
        candidates.extend(self.seeds.iter().cloned());
        candidates.dedup();
        let mut best: Option<SlotMap> = None;
        for addr in candidates {
            let Some(map) = query(pool, &addr).await else {
                continue;
            };
            let complete = map.is_complete();
            if best
                .as_ref()
                .is_none_or(|b| map.assigned_slots() > b.assigned_slots())
            {
                best = Some(map);
            }
            if complete {
                break;
            }
        }
        let Some(map) = best else {
            return false;
        };
        self.refreshes
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        *self
            .map
            .write()
            .expect("invariant: topology lock never poisoned") = Arc::new(map);
        true
    }

    /// Refreshes on demand and every `interval`, forever.
    pub async fn run_refresher(self: Arc<Self>, pool: Arc<Pool>, interval: Duration) {
        loop {
            tokio::select! {
                () = self.wake.notified() => {}
                () = tokio::time::sleep(interval) => {}
            }
            self.refresh(&pool).await;
            // Coalesce a burst of requests into the refresh just done, and don't hammer
            // the cluster while it is failing over.
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
}

async fn query(pool: &Pool, addr: &str) -> Option<SlotMap> {
    let conn = pool.get(addr, QUERY_KIND);
    if let Some(f) = call_frame(&conn, &["CLUSTER", "SHARDS"]).await
        && let Ok(map) = SlotMap::from_shards(&f)
        && map.assigned_slots() > 0
    {
        return Some(map);
    }
    let f = call_frame(&conn, &["CLUSTER", "SLOTS"]).await?;
    SlotMap::from_slots(&f).ok()
}

async fn call_frame(conn: &crate::upstream::Upstream, argv: &[&str]) -> Option<Frame> {
    let raw = conn.call(argv).await.ok()?;
    decode_reply(&mut BytesMut::from(&raw[..])).ok().flatten()
}
