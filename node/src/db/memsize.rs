//! MEMORY USAGE: how many bytes a key and its value take, estimated from the structures'
//! sizes and capacities (Redis `objectComputeSize`). As in Redis, the elements of a large
//! table are not all visited: the first `samples` are, and their average stands for the rest
//! (`samples` 0: all of them).
//!
//! Invariant: the estimate counts what the value holds (its heap buffers, table slots and
//! element bytes) plus the key's dictionary node, never the allocator's rounding, which only
//! jemalloc knows; so it is close to, not equal to, what freeing the key would give back.

use indexmap::IndexMap;

use super::Entry;
use super::compact::CompactBytes;
use super::value::{Hash, Set, Value};

/// The element bytes of a collection of `len` elements whose per-element sizes `sizes`
/// yields: all of them when `samples` is 0 or covers them, else the average of the first
/// `samples` times `len`.
pub fn sampled(sizes: impl Iterator<Item = usize>, len: usize, samples: usize) -> usize {
    if samples == 0 || samples >= len {
        return sizes.sum();
    }
    let seen: usize = sizes.take(samples).sum();
    seen * len / samples
}

/// Bytes of an `IndexMap<K, V>` with room for `capacity` entries: its entry vector (hash,
/// key, value) and its index table (one word and one control byte per slot, at most 7/8
/// full, as hashbrown lays it out).
pub fn index_map_bytes<K, V>(capacity: usize) -> usize {
    let entry = std::mem::size_of::<usize>() + std::mem::size_of::<K>() + std::mem::size_of::<V>();
    let slots = (capacity * 8 / 7).next_power_of_two();
    capacity * entry + slots * (std::mem::size_of::<usize>() + 1)
}

/// The bytes `key` with `entry` takes: the dictionary node, the key's own bytes, and the
/// value's heap (see the module header for `samples`).
pub fn usage(key: &CompactBytes, entry: &Entry, samples: usize) -> usize {
    // A dictionary node: key, entry and the chain pointer, plus the bucket pointing at it.
    let node = std::mem::size_of::<CompactBytes>()
        + std::mem::size_of::<Entry>()
        + 2 * std::mem::size_of::<usize>();
    node + key.heap_bytes() + value_heap_bytes(&entry.value, samples)
}

fn value_heap_bytes(value: &Value, samples: usize) -> usize {
    match value {
        Value::String(s) => s.heap_bytes(),
        Value::List(l) => l.heap_bytes(),
        Value::Hash(Hash::Listpack(lp)) => lp.heap_bytes(),
        Value::Hash(Hash::Table(t)) => {
            let elements = sampled(
                t.iter().map(|(f, v)| f.heap_bytes() + v.heap_bytes()),
                t.len(),
                samples,
            );
            std::mem::size_of::<IndexMap<CompactBytes, CompactBytes>>()
                + index_map_bytes::<CompactBytes, CompactBytes>(t.capacity())
                + elements
        }
        Value::Set(Set::Intset(v)) => v.capacity() * std::mem::size_of::<i64>(),
        Value::Set(Set::Table(t)) => {
            let elements = sampled(t.iter().map(CompactBytes::heap_bytes), t.len(), samples);
            std::mem::size_of::<IndexMap<CompactBytes, ()>>()
                + index_map_bytes::<CompactBytes, ()>(t.capacity())
                + elements
        }
        Value::ZSet(z) => z.heap_bytes(samples),
        Value::Stream(s) => std::mem::size_of::<super::stream::Stream>() + s.heap_bytes(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sampling_extrapolates_the_average() {
        assert_eq!(sampled([1, 2, 3, 4].into_iter(), 4, 0), 10);
        assert_eq!(sampled([1, 2, 3, 4].into_iter(), 4, 9), 10);
        assert_eq!(sampled([2, 4, 100, 100].into_iter(), 4, 2), 12);
        assert_eq!(sampled(std::iter::empty(), 0, 5), 0);
    }

    #[test]
    fn bigger_values_take_more() {
        let entry = |v: Value| Entry {
            value: v,
            expire_at_ms: super::super::NO_EXPIRE,
            lru: 0,
        };
        let key = CompactBytes::from(&b"k"[..]);
        let short = usage(
            &key,
            &entry(Value::String(CompactBytes::from(&b"v"[..]))),
            5,
        );
        let long = usage(
            &key,
            &entry(Value::String(CompactBytes::from(&[b'x'; 1000][..]))),
            5,
        );
        assert!(long >= short + 1000, "{short} {long}");
    }
}
