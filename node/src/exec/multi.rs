//! Transactions: MULTI queueing, EXEC, WATCH bookkeeping (Redis `multi.c`).
//!
//! A client inside MULTI has a [`MultiState`]; the gate in `pipeline.rs` queues every command
//! except EXEC, DISCARD, MULTI, WATCH, QUIT and RESET (step 9 of `processCommand`), and every
//! rejection before that step (unknown command, arity, NO_MULTI, ...) flags the transaction so
//! EXEC answers `EXECABORT`. EXEC runs the queue through [`Server::call`] in one executor step,
//! so it is atomic and isolated for free (design §7).
//!
//! WATCH: [`Watches`] maps (db, key) to the watching clients; every write calls
//! `Ctx::signal_modified_key`, which marks them dirty (`CLIENT_DIRTY_CAS`). Expiry deletes
//! signal too (executor drains the db's expired log), FLUSHDB/FLUSHALL/SWAPDB call
//! [`Server::touch_all_watched_keys_in_db`]. As in Redis 7.0, a key already expired when WATCH
//! ran is remembered (`expired` flag): its deletion is no logical change, and a watched key
//! that expires before EXEC makes EXEC fail even if nobody deleted it yet.
//!
//! Invariants: a client id is in `Watches` for (db, key) iff that client's `watched` list has
//! (db, key); both are emptied by [`Server::unwatch_all`] on EXEC, DISCARD, UNWATCH,
//! disconnect, and when the client is marked dirty.
//!
//! For the cluster helper: the EXEC redirect must check the keys of every queued command
//! (Redis `getNodeByQuery` walks `c->mstate.commands` for EXEC). [`MultiState::queued`] holds
//! each command's spec and argv, so `shoal_common::command::keys` can extract them with the
//! same code as single commands. Queue-time redirects already happen per command because the
//! gate checks redirect before the queueing step.

use std::collections::HashMap;

use bytes::Bytes;
use shoal_common::Frame;
use shoal_common::command::CommandSpec;

use super::{Client, ClientId, Server};

/// The commands queued by one client between MULTI and EXEC.
#[derive(Debug, Default)]
pub struct MultiState {
    /// Queued commands, in order: spec and full argv.
    pub queued: Vec<(&'static CommandSpec, Vec<Bytes>)>,
    /// A queue-time error happened: EXEC answers EXECABORT (Redis `CLIENT_DIRTY_EXEC`).
    pub aborted: bool,
}

/// The watched keys of every database: (db, key) -> watching clients in WATCH order.
#[derive(Debug, Default)]
pub struct Watches {
    keys: HashMap<(usize, Bytes), Vec<ClientId>>,
}

impl Watches {
    /// Number of watched (db, key) pairs (INFO `watching_clients`-style counters).
    pub fn len(&self) -> usize {
        self.keys.len()
    }

    /// True when nothing is watched.
    pub fn is_empty(&self) -> bool {
        self.keys.is_empty()
    }
}

/// The flags the gate checks for `spec` called with `argv` (Redis `getCommandFlags`): a
/// script's declared flags replace EVAL's and FCALL's own. For EXEC they include its queued
/// commands' (Redis `processCommand`): EXEC is a write / deny-oom / may-replicate command
/// if anything queued is, and loses `stale` / `loading` if anything queued lacks them. Gate
/// steps that look at flags (read-only replica, OOM, stale data, loading) take these.
pub fn gate_flags(
    spec: &CommandSpec,
    argv: &[Bytes],
    client: &Client,
    scripting: &crate::script::Scripting,
) -> u64 {
    use shoal_common::command::flags::{DENYOOM, LOADING, MAY_REPLICATE, STALE, WRITE};
    let mut f = scripting.command_flags(spec, argv);
    if spec.name == "exec"
        && let Some(m) = &client.multi
    {
        for (s, a) in &m.queued {
            let q = scripting.command_flags(s, a);
            f |= q & (WRITE | DENYOOM | MAY_REPLICATE);
            f &= !(!q & (STALE | LOADING));
        }
    }
    f
}

impl Server {
    /// WATCH one key for `client` (Redis `watchForKey`).
    pub fn watch_key(&mut self, client: &mut Client, key: &Bytes, now_ms: i64) {
        let db = client.db;
        if client.watched.iter().any(|(d, k, _)| *d == db && k == key) {
            return;
        }
        let expired = self.dbs[db]
            .peek(key)
            .is_some_and(|e| e.expire_at_ms != crate::db::NO_EXPIRE && e.expire_at_ms <= now_ms);
        client.watched.push((db, key.clone(), expired));
        self.watches
            .keys
            .entry((db, key.clone()))
            .or_default()
            .push(client.id);
    }

    /// Forgets every key `client` watches (Redis `unwatchAllKeys`).
    pub fn unwatch_all(&mut self, client: &mut Client) {
        for (db, key, _) in client.watched.drain(..) {
            let k = (db, key);
            if let Some(ids) = self.watches.keys.get_mut(&k) {
                ids.retain(|&id| id != client.id);
                if ids.is_empty() {
                    self.watches.keys.remove(&k);
                }
            }
        }
    }

    /// True if a key `client` watched without it being expired has expired since (Redis
    /// `isWatchedKeyExpired`).
    pub fn watched_key_expired(&self, client: &Client, now_ms: i64) -> bool {
        client.watched.iter().any(|(db, key, expired_at_watch)| {
            !expired_at_watch
                && self.dbs[*db].peek(key).is_some_and(|e| {
                    e.expire_at_ms != crate::db::NO_EXPIRE && e.expire_at_ms <= now_ms
                })
        })
    }

    /// Marks the clients watching `key` in `db` dirty (Redis `touchWatchedKey`). `current`
    /// is the client whose command runs (it is not in `self.clients` meanwhile).
    pub fn touch_watched_key(&mut self, current: &mut Client, db: usize, key: &[u8]) {
        if self.watches.keys.is_empty() {
            return;
        }
        let Some(ids) = self.watches.keys.get(&(db, Bytes::copy_from_slice(key))) else {
            return;
        };
        let exists = self.dbs[db].peek(key).is_some();
        let mut dirty = Vec::new();
        for &id in ids {
            let Some(c) = (if id == current.id {
                Some(&mut *current)
            } else {
                self.clients.get_mut(&id).map(|c| &mut **c)
            }) else {
                continue;
            };
            let Some(w) = c
                .watched
                .iter_mut()
                .find(|(d, k, _)| *d == db && k.as_ref() == key)
            else {
                continue;
            };
            if w.2 && !exists {
                // Already expired when watched, and now deleted: no logical change.
                w.2 = false;
                continue;
            }
            dirty.push(id);
        }
        for id in dirty {
            self.mark_dirty(current, id);
        }
    }

    /// FLUSHDB / FLUSHALL / SWAPDB: marks the watchers of every watched key of `emptied`
    /// that exists there, or in `replaced_with`, dirty (Redis `touchAllWatchedKeysInDb`).
    /// Call before the database is emptied.
    pub fn touch_all_watched_keys_in_db(
        &mut self,
        current: &mut Client,
        emptied: usize,
        replaced_with: Option<usize>,
        now_ms: i64,
    ) {
        let mut dirty = Vec::new();
        let mut clear_expired = Vec::new();
        for ((db, key), ids) in &self.watches.keys {
            if *db != emptied {
                continue;
            }
            let in_emptied = self.dbs[emptied].peek(key).is_some();
            let replacement = replaced_with.and_then(|r| self.dbs[r].peek(key));
            if !in_emptied && replacement.is_none() {
                continue;
            }
            let replacement_expired = replacement.is_some_and(|e| {
                e.expire_at_ms != crate::db::NO_EXPIRE && e.expire_at_ms <= now_ms
            });
            for &id in ids {
                let expired_at_watch = self.watch_flag(current, id, emptied, key);
                if expired_at_watch {
                    if replacement.is_none() {
                        clear_expired.push((id, key.clone()));
                        continue;
                    } else if replacement_expired {
                        continue;
                    }
                } else if !in_emptied && replacement_expired {
                    continue;
                }
                dirty.push(id);
            }
        }
        for (id, key) in clear_expired {
            if let Some(c) = self.client_mut(current, id)
                && let Some(w) = c
                    .watched
                    .iter_mut()
                    .find(|(d, k, _)| *d == emptied && *k == key)
            {
                w.2 = false;
            }
        }
        for id in dirty {
            self.mark_dirty(current, id);
        }
    }

    fn watch_flag(&self, current: &Client, id: ClientId, db: usize, key: &[u8]) -> bool {
        let c = if id == current.id {
            Some(current)
        } else {
            self.clients.get(&id).map(|c| &**c)
        };
        c.and_then(|c| {
            c.watched
                .iter()
                .find(|(d, k, _)| *d == db && k.as_ref() == key)
        })
        .is_some_and(|w| w.2)
    }

    fn client_mut<'a>(
        &'a mut self,
        current: &'a mut Client,
        id: ClientId,
    ) -> Option<&'a mut Client> {
        if id == current.id {
            Some(current)
        } else {
            self.clients.get_mut(&id).map(|c| &mut **c)
        }
    }

    /// Flags `id` dirty and drops its watches: nothing more can change the outcome.
    fn mark_dirty(&mut self, current: &mut Client, id: ClientId) {
        if id == current.id {
            current.dirty_cas = true;
            self.unwatch_all(current);
        } else if let Some(mut c) = self.clients.remove(&id) {
            c.dirty_cas = true;
            self.unwatch_all(&mut c);
            self.clients.insert(id, c);
        }
    }

    /// Ends a transaction without running it (Redis `discardTransaction`).
    pub fn discard_transaction(&mut self, client: &mut Client) {
        client.multi = None;
        client.dirty_cas = false;
        self.unwatch_all(client);
    }

    /// EXEC: runs the queue atomically (Redis `execCommand`). The caller checked that the
    /// client is inside MULTI.
    pub fn exec_transaction(&mut self, client: &mut Client, now_ms: i64) -> Frame {
        let Some(state) = client.multi.take() else {
            return Frame::error("ERR EXEC without MULTI");
        };
        if self.watched_key_expired(client, now_ms) {
            client.dirty_cas = true;
        }
        if state.aborted {
            self.discard_transaction(client);
            return Frame::error(shoal_common::ReplyError::ExecAbort.to_string());
        }
        if client.dirty_cas {
            self.discard_transaction(client);
            return Frame::NullArray;
        }
        // Watches end before the queue runs: the transaction's own writes don't abort it.
        self.unwatch_all(client);
        client.in_exec = true;
        // Redis writes `*N` and then whatever each command emits, pushes included; a
        // command that emits several frames (SUBSCRIBE a b) shifts the rest past the array.
        // Replicas get the writes wrapped in MULTI/EXEC so they apply them atomically too.
        // Scripts (EVAL, FCALL: neither write nor readonly flagged) may write too.
        let wraps = state.queued.iter().any(|(spec, _)| {
            use shoal_common::command::{Group, flags};
            spec.has(flags::WRITE) || (spec.group == Group::Scripting && !spec.has(flags::READONLY))
        });
        if wraps {
            self.propagate(client.db, &[Bytes::from_static(b"MULTI")]);
        }
        let mut stream = Vec::with_capacity(state.queued.len());
        for (spec, argv) in &state.queued {
            // A command without a reply of its own (SUBSCRIBE: its pushes are its answer)
            // adds only what it pushed. Nothing inside EXEC blocks (`in_exec`).
            let reply = self.call(client, spec, argv);
            stream.append(&mut client.deferred);
            stream.extend(reply);
        }
        if wraps {
            self.propagate(client.db, &[Bytes::from_static(b"EXEC")]);
        }
        client.in_exec = false;
        self.discard_transaction(client);
        let mut rest = stream.split_off(state.queued.len().min(stream.len()));
        let array = Frame::Array(stream);
        match rest.pop() {
            None => array,
            Some(last) => {
                client.deferred.push(array);
                client.deferred.append(&mut rest);
                last
            }
        }
    }
}
