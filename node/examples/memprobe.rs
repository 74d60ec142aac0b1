//! Scratch: bytes allocated per key by the keyspace.
use bytes::Bytes;
use shoal_node::db::{Db, NO_EXPIRE, Value};
#[allow(clippy::print_stdout)]
fn main() {
    let used = || {
        let _ = tikv_jemalloc_ctl::epoch::advance();
        tikv_jemalloc_ctl::stats::allocated::read().unwrap()
    };
    let before = used();
    let mut db = Db::new(false);
    for i in 0..1_000_000u32 {
        let k = Bytes::copy_from_slice(format!("key:{i}").as_bytes());
        let v = Bytes::copy_from_slice(format!("v{i:015}").as_bytes());
        db.set(k, Value::String(v), NO_EXPIRE);
    }
    let after = used();
    println!("per key {}", (after - before) as f64 / 1e6);
    println!("size Value {} ", std::mem::size_of::<Value>());
}
