//! Times a ZRANGEBYSCORE-shaped query (locate the first member with score >= min, then walk
//! 10 members) on sorted sets of 1k, 100k and 1M members, to show the skiplist encoding's
//! O(log n + m) range cost. Run with `cargo run --release -p shoal-node --example
//! zset_range_timing`; it prints one line per size. Not a test: wall time is not asserted.

// An example's whole purpose is to print its measurements.
#![allow(clippy::print_stdout)]

use std::time::Instant;

use rand::{Rng, SeedableRng};
use shoal_node::db::zset::{Limits, ZSet};

fn main() {
    let limits = Limits::default();
    let mut rng = rand::rngs::SmallRng::seed_from_u64(7);
    for n in [1_000usize, 100_000, 1_000_000] {
        let mut z = ZSet::new_for(limits, 8);
        let t = Instant::now();
        for i in 0..n {
            let score: f64 = rng.random_range(0.0..1e6);
            z.insert_new(score, format!("member:{i}").as_bytes(), limits);
        }
        let build = t.elapsed();
        let queries = 100_000;
        let t = Instant::now();
        let mut walked = 0usize;
        for _ in 0..queries {
            let min: f64 = rng.random_range(0.0..1e6);
            let start = z.partition_point(|s, _| s < min);
            walked += z.range(start, start + 10).count();
        }
        let per_query_ns = t.elapsed().as_nanos() / queries;
        let t = Instant::now();
        for _ in 0..queries {
            let r = rng.random_range(0..n);
            walked += usize::from(z.get(r).is_some());
        }
        let per_rank_ns = t.elapsed().as_nanos() / queries;
        println!(
            "n={n:>9} encoding={} build={build:?} range(min, +10)={per_query_ns} ns \
             get-by-rank={per_rank_ns} ns (walked {walked})",
            z.encoding()
        );
    }
}
