//! Bytes allocated per key by the keyspace alone (no server, no networking), for the
//! datasets `mem-per-key` loads: 1M `key:<i>` → 16-byte strings, 100k hashes of 10 fields,
//! 100k sorted sets of 10 members; and the sizes of the parts.
//!
//! `cargo run --release -p shoal-node --example memprobe`
use bytes::Bytes;
use shoal_node::db::value::{Hash, Limits};
use shoal_node::db::zset::{Limits as ZLimits, ZSet};
use shoal_node::db::{Db, Entry, NO_EXPIRE, Value};

fn used() -> f64 {
    let _ = tikv_jemalloc_ctl::epoch::advance();
    tikv_jemalloc_ctl::stats::allocated::read().expect("jemalloc stats") as f64
}

fn per_key(n: u32, mut make: impl FnMut(u32) -> (Bytes, Value)) -> f64 {
    let before = used();
    let mut db = Db::new(false);
    for i in 0..n {
        let (k, v) = make(i);
        db.set(k, v, NO_EXPIRE);
    }
    let r = (used() - before) / f64::from(n);
    drop(db);
    r
}

#[allow(clippy::print_stdout)]
fn main() {
    let key = |p: &str, i: u32| Bytes::copy_from_slice(format!("{p}:{i}").as_bytes());
    let strings = per_key(1_000_000, |i| {
        let v = format!("v{i:015}");
        (key("key", i), Value::String(v.as_bytes().into()))
    });
    let hashes = per_key(100_000, |i| {
        let mut h = Hash::default();
        for j in 0..10 {
            h.set(
                format!("f{j}").as_bytes(),
                format!("v{j:07}").as_bytes(),
                &Limits::default(),
            );
        }
        (key("hash", i), Value::Hash(h))
    });
    let zsets = per_key(100_000, |i| {
        let mut z = ZSet::new_for(ZLimits::default(), 10);
        for j in 0..10 {
            let m = Bytes::from(format!("member:{j}"));
            z.insert_new(f64::from(j), &m, ZLimits::default());
        }
        (key("zset", i), Value::ZSet(z))
    });
    println!("per key: strings {strings:.1} hashes {hashes:.1} zsets {zsets:.1}");
    println!(
        "size_of Value {} Entry {} Node {}",
        std::mem::size_of::<Value>(),
        std::mem::size_of::<Entry>(),
        shoal_node::db::dict::NODE_SIZE
    );
}
