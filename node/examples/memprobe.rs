//! Bytes allocated per key by the keyspace alone (no server, no networking): 1M keys as
//! `mem-per-key` loads them (`key:<i>` → 16-byte value), and the sizes of the parts.
//!
//! `cargo run --release -p shoal-node --example memprobe`
use bytes::Bytes;
use shoal_node::db::{Db, Entry, NO_EXPIRE, Value};
#[allow(clippy::print_stdout)]
fn main() {
    let used = || {
        let _ = tikv_jemalloc_ctl::epoch::advance();
        tikv_jemalloc_ctl::stats::allocated::read().expect("jemalloc stats")
    };
    let before = used();
    let mut db = Db::new(false);
    for i in 0..1_000_000u32 {
        let k = Bytes::copy_from_slice(format!("key:{i}").as_bytes());
        let v = Bytes::copy_from_slice(format!("v{i:015}").as_bytes());
        db.set(k, Value::String(v.into()), NO_EXPIRE);
    }
    let after = used();
    println!("per key {}", (after - before) as f64 / 1e6);
    println!(
        "size_of Value {} Entry {} Node {}",
        std::mem::size_of::<Value>(),
        std::mem::size_of::<Entry>(),
        shoal_node::db::dict::NODE_SIZE
    );
}
