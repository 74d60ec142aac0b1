//! Shoal's router crate: the router (one Redis endpoint in front of a cluster) and the
//! cluster administration tool, which share the cluster-aware client side.
//!
//! # Layout
//!
//! - [`admin`]: `shoal-admin` (create, check, info, fix, reshard, rebalance, add-node,
//!   del-node, failover, call), the counterpart of `redis-cli --cluster`. Its binary is
//!   `src/bin/shoal-admin.rs`; a separate binary keeps the router's `main` a server only.

pub mod admin;
