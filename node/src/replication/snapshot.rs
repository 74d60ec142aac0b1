//! The full-synchronisation snapshot: a consistent copy of every database, written as RESP
//! commands between `$EOF:<mark>\r\n` and `<mark>` (the diskless EOF framing of Redis), by a
//! task, so the executor keeps serving while it is produced and sent.
//!
//! Each key becomes a `RESTORE ... ABSTTL REPLACE` of its DUMP payload, so every value type
//! that DUMP supports replicates with no code here.

use bytes::{Bytes, BytesMut};
use shoal_common::resp::encode::encode_request;

use crate::db::dump::dump;
use crate::db::{Db, Entry, NO_EXPIRE};
use crate::exec::{ClientId, Event, Output};

/// Bytes written per chunk sent to the replica's connection.
const CHUNK_BYTES: usize = 64 * 1024;

/// Length of the EOF mark, as Redis's `RDB_EOF_MARK_SIZE`.
pub const EOF_MARK_LEN: usize = 40;

/// The commands that recreate `key` with `entry`: `RESTORE key <abs-ms|0> <payload> ABSTTL
/// REPLACE`, the DUMP payload carrying any value type.
pub fn entry_commands(key: &Bytes, entry: &Entry) -> Vec<Vec<Bytes>> {
    let ttl = if entry.expire_at_ms == NO_EXPIRE {
        0
    } else {
        entry.expire_at_ms
    };
    vec![vec![
        Bytes::from_static(b"RESTORE"),
        key.clone(),
        Bytes::from(ttl.to_string()),
        dump(&entry.value),
        Bytes::from_static(b"ABSTTL"),
        Bytes::from_static(b"REPLACE"),
    ]]
}

/// Writes the whole snapshot body (without framing) of `dbs` into chunks handed to `sink`.
pub fn write_snapshot(dbs: &[Db], mut sink: impl FnMut(BytesMut) -> bool) -> bool {
    let mut out = BytesMut::with_capacity(CHUNK_BYTES);
    for (i, db) in dbs.iter().enumerate() {
        if db.is_empty() {
            continue;
        }
        encode_request(&[b"SELECT".as_slice(), i.to_string().as_bytes()], &mut out);
        for (key, entry) in db.iter() {
            for cmd in entry_commands(key, entry) {
                encode_request(&cmd, &mut out);
            }
            if out.len() >= CHUNK_BYTES
                && !sink(std::mem::replace(
                    &mut out,
                    BytesMut::with_capacity(CHUNK_BYTES),
                ))
            {
                return false;
            }
        }
    }
    sink(out)
}

/// Streams a snapshot of `dbs` to a replica's connection, then tells the executor it is
/// through so the buffered stream can follow.
pub fn spawn_sender(
    dbs: Vec<Db>,
    mark: String,
    output: Output,
    client_id: ClientId,
    events: tokio::sync::mpsc::UnboundedSender<Event>,
) {
    tokio::spawn(async move {
        // Serialise on a blocking thread: it is CPU work over a private copy.
        let serialised = tokio::task::spawn_blocking(move || {
            let mut chunks = Vec::new();
            let complete = write_snapshot(&dbs, |c| {
                chunks.push(c);
                true
            });
            (chunks, complete)
        })
        .await;
        let mut ok = false;
        if let Ok((chunks, true)) = serialised {
            ok = true;
            for c in chunks {
                // A slow replica must not make us queue everything at once.
                while output.pending() > 16 * CHUNK_BYTES {
                    tokio::time::sleep(std::time::Duration::from_millis(1)).await;
                }
                if !output.send(c) {
                    ok = false;
                    break;
                }
            }
            ok = ok && output.send(BytesMut::from(mark.as_bytes()));
        }
        let _ = events.send(Event::SnapshotSent { client_id, ok });
    });
}
