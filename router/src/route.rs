//! Where a command goes, derived from its row in the command table: key specs give the
//! slot(s), the `request_policy:*` tip gives the fan-out, the `response_policy:*` tip gives
//! the merge. No command name appears here.
//!
//! Rules (those of Redis's cluster-aware clients, see the `COMMAND DOCS` tips reference):
//! - keys in one slot → that slot's primary;
//! - keys in several slots → split per slot when the command is `multi_shard`, otherwise
//!   `CROSSSLOT` (MSETNX, RENAME, ... exactly as a cluster node would answer);
//! - `all_shards` / `all_nodes` → every primary (every node), merged by the response policy;
//! - no keys and no policy → any primary.

use bytes::Bytes;
use shoal_common::command::{CommandSpec, keys};
use shoal_common::key_hash_slot;

/// How replies of a fan-out or a split are merged (the `response_policy:*` tip).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ResponsePolicy {
    /// No tip: per-key results in the client's key order (split), or arrays concatenated
    /// (fan-out, e.g. KEYS).
    Default,
    /// `one_succeeded`: the first success.
    OneSucceeded,
    /// `all_succeeded`: an error if any failed, else the first reply.
    AllSucceeded,
    /// `agg_logical_and`.
    AggLogicalAnd,
    /// `agg_logical_or`.
    AggLogicalOr,
    /// `agg_min`.
    AggMin,
    /// `agg_max`.
    AggMax,
    /// `agg_sum`.
    AggSum,
    /// `special`: the command needs its own merge (INFO is answered by the router itself).
    Special,
}

/// The `request_policy:*` tip.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RequestPolicy {
    /// No tip.
    Default,
    /// `all_nodes`.
    AllNodes,
    /// `all_shards`.
    AllShards,
    /// `multi_shard`.
    MultiShard,
    /// `special`.
    Special,
}

/// A routing decision.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Route {
    /// No keys: any primary.
    AnyPrimary,
    /// Every primary (`all_nodes` adds replicas), merged by the policy.
    FanOut {
        /// Include replicas.
        all_nodes: bool,
        /// The merge.
        policy: ResponsePolicy,
    },
    /// Every key in one slot.
    Slot(u16),
    /// Keys in several slots of a `multi_shard` command: split (see `split.rs`).
    Split {
        /// Argument indices of the keys.
        keys: Vec<usize>,
        /// The merge.
        policy: ResponsePolicy,
    },
    /// Keys in several slots of a command that cannot be split.
    CrossSlot,
}

fn tip<'a>(spec: &'a CommandSpec, prefix: &str) -> Option<&'a str> {
    spec.tips.iter().find_map(|t| t.strip_prefix(prefix))
}

/// The request policy of a row.
pub fn request_policy(spec: &CommandSpec) -> RequestPolicy {
    match tip(spec, "request_policy:") {
        Some("all_nodes") => RequestPolicy::AllNodes,
        Some("all_shards") => RequestPolicy::AllShards,
        Some("multi_shard") => RequestPolicy::MultiShard,
        Some("special") => RequestPolicy::Special,
        _ => RequestPolicy::Default,
    }
}

/// The response policy of a row.
pub fn response_policy(spec: &CommandSpec) -> ResponsePolicy {
    match tip(spec, "response_policy:") {
        Some("one_succeeded") => ResponsePolicy::OneSucceeded,
        Some("all_succeeded") => ResponsePolicy::AllSucceeded,
        Some("agg_logical_and") => ResponsePolicy::AggLogicalAnd,
        Some("agg_logical_or") => ResponsePolicy::AggLogicalOr,
        Some("agg_min") => ResponsePolicy::AggMin,
        Some("agg_max") => ResponsePolicy::AggMax,
        Some("agg_sum") => ResponsePolicy::AggSum,
        Some("special") => ResponsePolicy::Special,
        _ => ResponsePolicy::Default,
    }
}

/// Keys of one command in different slots (the `CROSSSLOT` case).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CrossSlot;

/// The slot shared by every key of `argv`, `Ok(None)` without keys, `Err(CrossSlot)` when the keys
/// span slots. Key extraction errors count as "no keys": the node then answers the error.
pub fn common_slot(spec: &CommandSpec, argv: &[Bytes]) -> Result<Option<u16>, CrossSlot> {
    let mut idx = Vec::new();
    if keys::key_indices(spec, argv, &mut idx).is_err() {
        return Ok(None);
    }
    let mut slot = None;
    for i in idx {
        let s = key_hash_slot(&argv[i]).get();
        match slot {
            None => slot = Some(s),
            Some(prev) if prev != s => return Err(CrossSlot),
            Some(_) => {}
        }
    }
    Ok(slot)
}

/// Decides where `argv` (already arity-checked against `spec`) goes.
pub fn route(spec: &CommandSpec, argv: &[Bytes]) -> Route {
    route_in(spec, argv, &mut Vec::new())
}

/// [`route`] with a scratch vector for the key positions, so that a session routing many
/// commands allocates it once.
pub fn route_in<A: AsRef<[u8]>>(spec: &CommandSpec, argv: &[A], idx: &mut Vec<usize>) -> Route {
    let req = request_policy(spec);
    match req {
        RequestPolicy::AllShards | RequestPolicy::AllNodes => {
            return Route::FanOut {
                all_nodes: req == RequestPolicy::AllNodes,
                policy: response_policy(spec),
            };
        }
        _ => {}
    }
    idx.clear();
    if keys::key_indices(spec, argv, idx).is_err() || idx.is_empty() {
        return Route::AnyPrimary;
    }
    let first = key_hash_slot(argv[idx[0]].as_ref()).get();
    if idx[1..]
        .iter()
        .all(|&i| key_hash_slot(argv[i].as_ref()).get() == first)
    {
        return Route::Slot(first);
    }
    if req == RequestPolicy::MultiShard {
        Route::Split {
            keys: idx.clone(),
            policy: response_policy(spec),
        }
    } else {
        Route::CrossSlot
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use shoal_common::command::lookup;

    fn argv(a: &[&str]) -> Vec<Bytes> {
        a.iter()
            .map(|s| Bytes::copy_from_slice(s.as_bytes()))
            .collect()
    }

    fn r(a: &[&str]) -> Route {
        let v = argv(a);
        route(lookup(a[0].as_bytes()).expect("row"), &v)
    }

    #[test]
    fn routes_from_the_table() {
        assert_eq!(r(&["GET", "foo"]), Route::Slot(12182));
        assert_eq!(r(&["MGET", "{a}1", "{a}2"]), Route::Slot(15495));
        assert!(matches!(
            r(&["MGET", "a", "b"]),
            Route::Split {
                policy: ResponsePolicy::Default,
                ..
            }
        ));
        assert!(matches!(
            r(&["DEL", "a", "b"]),
            Route::Split {
                policy: ResponsePolicy::AggSum,
                ..
            }
        ));
        assert_eq!(
            r(&["DBSIZE"]),
            Route::FanOut {
                all_nodes: false,
                policy: ResponsePolicy::AggSum
            }
        );
        assert_eq!(
            r(&["KEYS", "*"]),
            Route::FanOut {
                all_nodes: false,
                policy: ResponsePolicy::Default
            }
        );
        assert_eq!(r(&["ECHO", "x"]), Route::AnyPrimary);
    }
}
