//! Shoal's shared core: everything the node, the router and the tests agree on, with no I/O.
//!
//! # Layout
//!
//! - [`resp`]: the RESP2/RESP3 [`resp::Frame`], the request decoder (multibulk and inline,
//!   with Redis's limits and exact protocol errors), the reply decoder (used by the router and
//!   the tests to read upstream replies) and the encoder (with the RESP3 → RESP2 downgrade).
//! - [`slot`]: `CRC16(key) mod 16384` with `{hash tag}` rules.
//! - [`command`]: the command table. One row per command; dispatch, arity checks, key
//!   extraction, cluster redirection and `COMMAND INFO` are all derived from it.
//! - [`reply_error`]: every Redis error reply, with its exact text, in one place.
//! - [`glob`]: Redis's glob matcher (`KEYS`, `SCAN MATCH`, `CONFIG GET`, `PSUBSCRIBE`).
//! - [`number`]: Redis's integer and float parsing and formatting rules.
//! - [`topology`]: `CLUSTER SHARDS` / `CLUSTER SLOTS` replies parsed into a [`topology::SlotMap`]
//!   (the router, the tests and the admin tool share it).
//!
//! This crate does not depend on tokio: the codec and the table are usable from the node, the
//! router, the tests and the deterministic simulator alike.

pub mod command;
pub mod glob;
pub mod number;
pub mod obuf;
pub mod reply_error;
pub mod resp;
pub mod slot;
pub mod topology;

pub use reply_error::ReplyError;
pub use resp::Frame;
pub use slot::{SLOT_COUNT, Slot, key_hash_slot};
