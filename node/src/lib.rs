//! Shoal's node: a Redis-Cluster-compatible in-memory data structure server.
//!
//! # Layout
//!
//! - [`config`]: redis.conf directives (names and defaults as Redis 7.0), CONFIG GET/SET.
//! - [`server`]: the listener and accept loop.
//! - [`connection`]: one task per client: socket I/O and RESP decoding, no keyspace access.
//! - [`exec`]: the executor, sole owner of all node state; [`exec::pipeline`] is the ordered
//!   gate every command passes (Redis `processCommand`).
//! - [`cmd`]: command handlers, one module per Redis group.
//! - [`db`]: the keyspace (per slot in cluster mode), values, lazy and active expiry.
//! - [`clock`]: Unix-millisecond time, real or manual.
//! - [`cluster`]: cluster mode: the slot map and nodes ([`cluster::ClusterState`]), the
//!   redirect decision, nodes.conf, and the cluster bus (a sans-I/O state machine plus one
//!   transport module); `exec::cluster` connects it to the executor.
//! - [`script`]: Lua scripting (EVAL, SCRIPT): the VM, the script cache, `redis.call`.
//! - `sim` (tests only): the deterministic simulation of the cluster bus.
//!
//! # Concurrency model
//!
//! Connection tasks run on the Tokio runtime's threads; they decode every complete command in
//! their buffer and send the batch to the single executor task through one channel. The
//! executor runs each command to completion without awaiting, encodes the replies of a batch
//! into one buffer and sends it back; the connection writes it with one syscall. This gives
//! Redis's semantics (atomic commands, MULTI/EXEC, ordered replication) for free and keeps the
//! core a synchronous state machine that tests drive directly.
//!
//! # The life of a request
//!
//! bytes → `connection` (decode, batch) → `exec::Server::handle_batch` →
//! `process_command` (lookup, arity, auth, ...) → `cmd::handler(id)` → `Frame` → encode →
//! `Out::Data` → `connection` writes.

pub mod clock;
pub mod cluster;
pub mod cmd;
pub mod config;
pub mod connection;
pub mod db;
pub mod exec;
pub mod fdlimit;
pub mod memory;
pub mod replication;
pub mod script;
pub mod server;

/// jemalloc as the process allocator: less fragmentation than glibc's when connection threads
/// allocate what the executor frees, and the statistics INFO `used_memory` reports.
#[global_allocator]
static GLOBAL: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;
#[cfg(test)]
pub mod sim;
