//! The full-synchronisation snapshot, produced without a fork and without copying the data:
//! the executor walks the keyspace a few hundred keys per tick while it keeps serving, and
//! writes it as RESP commands between `$EOF:<mark>\r\n` and `<mark>` (the diskless EOF
//! framing of Redis) to the replicas being synchronised.
//!
//! Consistency (as Dragonfly's snapshots): [`crate::db::Db::snapshot_begin`] fixes the point
//! in time at the moment `+FULLRESYNC <replid> <offset>` is sent; a write that touches a hash
//! bucket the walk has not reached first saves that bucket's start-time contents, so the
//! snapshot holds every key exactly as it was at `<offset>` and the stream buffered from
//! `<offset>` (released after the mark) applies every later write exactly once.
//!
//! Each key becomes a `RESTORE ... ABSTTL REPLACE` of its DUMP payload, so every value type
//! that DUMP supports replicates with no code here. The function libraries go first, as one
//! `FUNCTION RESTORE <payload> FLUSH` of the libraries loaded at the snapshot's point in
//! time (as Redis's RDB carries them): the replica ends with exactly the primary's.
//!
//! One snapshot runs at a time, for every replica that asked when it started; replicas asking
//! later wait for the next one (Redis's `WAIT_BGSAVE_START`), get `+FULLRESYNC` when it starts.

use std::time::{Duration, Instant};

use bytes::{Bytes, BytesMut};
use shoal_common::resp::encode::encode_request;
use tracing::info;

use super::ReplicaLink;
use crate::db::dump::dump;
use crate::db::{Entry, NO_EXPIRE};
use crate::exec::{ClientId, Server};

/// A snapshot tick stops once it has encoded this many bytes...
const CHUNK_BYTES: usize = 32 * 1024;
/// ...or spent this long, so a command waiting behind it is delayed at most about this much.
const TICK_BUDGET: Duration = Duration::from_micros(200);
/// Keys per call into the database between clock checks.
const KEYS_PER_STEP: usize = 64;
/// No new chunk while a replica's connection has this much queued (a slow replica makes the
/// walk wait instead of buffering the whole keyspace).
const MAX_PENDING: usize = 32 * CHUNK_BYTES;

/// Length of the EOF mark, as Redis's `RDB_EOF_MARK_SIZE`.
pub const EOF_MARK_LEN: usize = 40;

/// A snapshot being produced.
#[derive(Debug)]
pub struct SnapshotJob {
    /// Replicas it is sent to.
    targets: Vec<ClientId>,
    /// The EOF mark closing it.
    mark: String,
    /// The database number each position had at the start (SWAPDB may move them).
    db_numbers: Vec<usize>,
    /// The database number the snapshot last selected.
    selected: Option<usize>,
    /// When it started (for the log).
    started: Instant,
    /// Keys written so far.
    keys: u64,
    /// The libraries as of the start, until the first chunk sends them.
    functions: Option<Bytes>,
}

/// A replica waiting for the next snapshot.
#[derive(Debug)]
pub struct Waiting {
    /// Its connection.
    pub client_id: ClientId,
    /// Its IP as seen by us.
    pub ip: String,
    /// `REPLCONF listening-port`.
    pub listening_port: u16,
    /// It asked with PSYNC (`+FULLRESYNC` first); false for the old SYNC, whose payload
    /// comes with no such line (Redis `CLIENT_PRE_PSYNC`).
    pub psync: bool,
}

/// The commands that recreate `key` with `entry`: `RESTORE key <abs-ms|0> <payload> ABSTTL
/// REPLACE`, the DUMP payload carrying any value type.
pub fn entry_commands(key: &[u8], entry: &Entry) -> Vec<Vec<Bytes>> {
    let ttl = if entry.expire_at_ms == NO_EXPIRE {
        0
    } else {
        entry.expire_at_ms
    };
    vec![vec![
        Bytes::from_static(b"RESTORE"),
        Bytes::copy_from_slice(key),
        Bytes::from(ttl.to_string()),
        dump(&entry.value),
        Bytes::from_static(b"ABSTTL"),
        Bytes::from_static(b"REPLACE"),
    ]]
}

/// `FUNCTION RESTORE <payload> FLUSH`: the replica ends with exactly these libraries.
fn encode_function_restore(payload: &[u8], out: &mut BytesMut) {
    encode_request(
        &[
            b"FUNCTION".as_slice(),
            b"RESTORE".as_slice(),
            payload,
            b"FLUSH".as_slice(),
        ],
        out,
    );
}

impl Server {
    /// Starts a full synchronisation for `replicas`: registers them with the stream held
    /// back and fixes the snapshot's point in time. Returns the `+FULLRESYNC` and EOF header
    /// to send each. If a snapshot is already running they wait for the next (and get
    /// nothing yet).
    pub fn begin_full_sync(&mut self, replicas: Vec<Waiting>) -> Vec<(ClientId, BytesMut)> {
        let mut headers = Vec::new();
        if self.repl.snapshot.is_some() {
            self.repl.snapshot_waiting.extend(replicas);
            return headers;
        }
        if replicas.is_empty() {
            return headers;
        }
        self.ensure_backlog();
        let mark = crate::exec::random_hex40(&mut self.rng);
        let offset = self.repl.offset();
        let now = self.clock.now_ms();
        let mut targets = Vec::new();
        for w in replicas {
            self.repl.sync_full += 1;
            headers.push((w.client_id, self.sync_header(w.psync, offset, &mark)));
            targets.push(w.client_id);
            self.repl.replicas.push(ReplicaLink {
                client_id: w.client_id,
                ip: w.ip,
                listening_port: w.listening_port,
                buffered: Some(BytesMut::new()),
                ack_offset: 0,
                last_ack_ms: now,
            });
        }
        // The stream after the snapshot must re-select the database after its SELECTs.
        self.repl.last_db = None;
        for db in &mut self.dbs {
            db.snapshot_begin();
        }
        info!(
            replicas = targets.len(),
            offset, "full sync: snapshot started"
        );
        self.repl.snapshot = Some(SnapshotJob {
            targets,
            mark,
            db_numbers: (0..self.dbs.len()).collect(),
            selected: None,
            started: Instant::now(),
            keys: 0,
            functions: Some(crate::cmd::scripting::libraries_payload(
                &self.scripting.functions,
            )),
        });
        headers
    }

    /// What opens a full sync: `+FULLRESYNC <replid> <offset>` (PSYNC only; SYNC has no such
    /// line), then the EOF-framed payload's `$EOF:<mark>`.
    fn sync_header(&self, psync: bool, offset: i64, mark: &str) -> BytesMut {
        let mut out = BytesMut::new();
        if psync {
            out.extend_from_slice(
                format!("+FULLRESYNC {} {offset}\r\n", self.repl.replid).as_bytes(),
            );
        }
        out.extend_from_slice(format!("$EOF:{mark}\r\n").as_bytes());
        out
    }

    /// A full synchronisation whose snapshot holds no keys (`REPLCONF rdb-filter-only`): the
    /// header, the libraries if `functions`, the mark, all at once; the replica is online
    /// from the current offset. Returns what to send it.
    pub fn full_sync_without_keys(&mut self, w: Waiting, functions: bool) -> BytesMut {
        self.ensure_backlog();
        self.repl.sync_full += 1;
        let mark = crate::exec::random_hex40(&mut self.rng);
        let offset = self.repl.offset();
        let mut out = self.sync_header(w.psync, offset, &mark);
        if functions {
            let payload = crate::cmd::scripting::libraries_payload(&self.scripting.functions);
            encode_function_restore(&payload, &mut out);
        }
        out.extend_from_slice(mark.as_bytes());
        // The stream to this replica starts with a SELECT.
        self.repl.last_db = None;
        self.repl.replicas.push(ReplicaLink {
            client_id: w.client_id,
            ip: w.ip,
            listening_port: w.listening_port,
            buffered: None,
            ack_offset: 0,
            last_ack_ms: self.clock.now_ms(),
        });
        out
    }

    /// SWAPDB while a snapshot runs: the databases keep their snapshot state, the job keeps
    /// their numbers as of its start.
    pub fn snapshot_swapdb(&mut self, a: usize, b: usize) {
        if let Some(job) = self.repl.snapshot.as_mut() {
            job.db_numbers.swap(a, b);
        }
    }

    /// True when the snapshot in progress can take another tick now (every replica's
    /// connection has room); false when none runs or it must wait.
    pub fn snapshot_ready(&self) -> bool {
        self.repl
            .snapshot
            .as_ref()
            .is_some_and(|job| self.snapshot_ready_for(job))
    }

    /// One slice of the snapshot: encodes keys for at most [`TICK_BUDGET`] and sends them;
    /// after the last one, sends the mark and releases the buffered streams.
    pub fn snapshot_tick(&mut self) {
        let Some(mut job) = self.repl.snapshot.take() else {
            return;
        };
        job.targets.retain(|id| {
            self.clients.contains_key(id) && self.repl.replicas.iter().any(|r| r.client_id == *id)
        });
        if job.targets.is_empty() {
            info!("full sync: every replica went away, snapshot abandoned");
            self.end_snapshot();
            return;
        }
        if !self.snapshot_ready_for(&job) {
            self.repl.snapshot = Some(job);
            return;
        }
        let deadline = Instant::now() + TICK_BUDGET;
        let mut out = BytesMut::with_capacity(CHUNK_BYTES + 4096);
        if let Some(payload) = job.functions.take() {
            encode_function_restore(&payload, &mut out);
        }
        let mut complete = false;
        loop {
            // The first database still walking (SWAPDB may have reordered them).
            let Some(pos) = self.dbs.iter().position(crate::db::Db::snapshot_active) else {
                complete = true;
                break;
            };
            let number = job.db_numbers[pos];
            let (selected, keys) = (&mut job.selected, &mut job.keys);
            self.dbs[pos].snapshot_next(KEYS_PER_STEP, |k, e| {
                if *selected != Some(number) {
                    *selected = Some(number);
                    encode_request(
                        &[b"SELECT".as_slice(), number.to_string().as_bytes()],
                        &mut out,
                    );
                }
                for cmd in entry_commands(k, e) {
                    encode_request(&cmd, &mut out);
                }
                *keys += 1;
            });
            if out.len() >= CHUNK_BYTES || Instant::now() >= deadline {
                break;
            }
        }
        if complete {
            out.extend_from_slice(job.mark.as_bytes());
        }
        for id in &job.targets {
            if let Some(c) = self.clients.get(id) {
                c.send(out.clone());
            }
        }
        if !complete {
            self.repl.snapshot = Some(job);
            return;
        }
        info!(
            keys = job.keys,
            ms = job.started.elapsed().as_millis() as u64,
            "full sync: snapshot sent"
        );
        for id in job.targets {
            self.snapshot_sent(id);
        }
        self.end_snapshot();
    }

    fn snapshot_ready_for(&self, job: &SnapshotJob) -> bool {
        job.targets.iter().all(|id| {
            self.clients
                .get(id)
                .is_none_or(|c| c.out_pending() < MAX_PENDING)
        })
    }

    /// Ends the snapshot (complete or abandoned) and starts the next for waiting replicas.
    fn end_snapshot(&mut self) {
        self.repl.snapshot = None;
        for db in &mut self.dbs {
            db.snapshot_end();
        }
        let waiting: Vec<Waiting> = std::mem::take(&mut self.repl.snapshot_waiting)
            .into_iter()
            .filter(|w| self.clients.contains_key(&w.client_id))
            .collect();
        for (id, header) in self.begin_full_sync(waiting) {
            if let Some(c) = self.clients.get(&id) {
                c.send(header);
            }
        }
    }
}
