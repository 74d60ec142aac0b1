//! The values a key can hold (Redis `robj` types), with Redis 7.0's compact encodings.
//!
//! - [`Hash`]: a [`Listpack`] of alternating field/value entries while small (OBJECT
//!   ENCODING `listpack`), an `IndexMap` past `hash-max-listpack-entries` entries or a field or
//!   value longer than `hash-max-listpack-value` bytes (`hashtable`). Never converted back,
//!   as in Redis.
//! - [`Set`]: a sorted `Vec<i64>` while every member is an integer in Redis's `string2ll`
//!   form and there are at most `set-max-intset-entries` (`intset`), an `IndexSet` otherwise
//!   (`hashtable`). Redis 7.0 has no listpack sets (that came in 7.2).
//! - List: a [`QuickList`] of packed nodes (`db/quicklist.rs`); Redis 7.0 always reports
//!   `quicklist`.
//!
//! The tables are `IndexMap`/`IndexSet` because random members (SPOP, SRANDMEMBER,
//! HRANDFIELD) need O(1) access by position and HSCAN/SSCAN need a stable position order:
//! positions are walked downwards, and `swap_remove` only moves the last entry to a lower
//! position, so an element present for a whole scan is returned at least once (as `Db::scan`).
//!
//! Checklist for a new type: add a variant here, its `TYPE` name in [`Value::type_name`], its
//! `OBJECT ENCODING` in [`Value::encoding`], and its DUMP/RESTORE form.

use bytes::Bytes;
use indexmap::map::raw_entry_v1::{RawEntryApiV1, RawEntryMut};
use indexmap::{IndexMap, IndexSet};
use shoal_common::number::parse_i64;

use super::compact::{CompactBytes, EMBSTR_MAX, StrEncoding};
pub use super::listpack::Listpack;
pub use super::quicklist::QuickList;
use super::stream::Stream;
use super::zset::ZSet;

type Hasher = foldhash::fast::RandomState;

/// Called before adding an entry to a table: when it is full, makes room for a quarter more
/// entries. Left alone, `IndexMap` grows its entry vector to its index table's capacity, up
/// to 1.75 times the entries, which made a 1000-field hash take 1.8 times Redis's memory.
pub fn room_for_one<K: std::hash::Hash + Eq, V>(t: &mut IndexMap<K, V, Hasher>) {
    if t.len() == t.capacity() {
        t.reserve_exact((t.len() / 4).max(4));
    }
}

/// [`room_for_one`] for a set table.
fn room_for_one_member(t: &mut SetTable) {
    if t.len() == t.capacity() {
        t.reserve_exact((t.len() / 4).max(4));
    }
}
/// A hash table of field → value. Fields and values are [`CompactBytes`]: up to 22 bytes
/// live inside the entry, so a lookup compares the field without another cache miss and a
/// short field or value costs no allocation (Redis's sds strings play that part).
pub type HashTable = IndexMap<CompactBytes, CompactBytes, Hasher>;
/// A hash table of members ([`CompactBytes`], as [`HashTable`]).
pub type SetTable = IndexSet<CompactBytes, Hasher>;

/// A key's value.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    /// A string (also counters and bitmaps), inline when short.
    String(CompactBytes),
    /// A list.
    List(QuickList),
    /// A hash.
    Hash(Hash),
    /// A set.
    Set(Set),
    /// A sorted set.
    ZSet(ZSet),
    /// A stream (boxed: its bookkeeping is larger than the other variants).
    Stream(Box<Stream>),
}

impl Value {
    /// The name `TYPE` returns.
    pub fn type_name(&self) -> &'static str {
        match self {
            Value::String(_) => "string",
            Value::List(_) => "list",
            Value::Hash(_) => "hash",
            Value::Set(_) => "set",
            Value::ZSet(_) => "zset",
            Value::Stream(_) => "stream",
        }
    }

    /// The name `OBJECT ENCODING` returns, following Redis's rules.
    pub fn encoding(&self) -> &'static str {
        match self {
            Value::String(s) => {
                if let Some(tag) = s.tag() {
                    match tag {
                        StrEncoding::Raw => "raw",
                        StrEncoding::Embstr => "embstr",
                    }
                } else if s.len() <= 20 && shoal_common::number::parse_i64(s).is_some() {
                    "int"
                } else if s.len() <= EMBSTR_MAX {
                    "embstr"
                } else {
                    "raw"
                }
            }
            Value::List(_) => "quicklist",
            Value::Hash(h) => h.encoding(),
            Value::Set(s) => s.encoding(),
            Value::ZSet(z) => z.encoding(),
            Value::Stream(_) => "stream",
        }
    }
}

/// The conversion thresholds of the compact encodings (CONFIG `*-max-*`), read per command.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// `hash-max-listpack-entries`.
    pub hash_entries: usize,
    /// `hash-max-listpack-value`.
    pub hash_value: usize,
    /// `set-max-intset-entries`.
    pub set_intset_entries: usize,
}

impl Default for Limits {
    /// Redis 7.0's compiled-in defaults.
    fn default() -> Limits {
        Limits {
            hash_entries: 512,
            hash_value: 64,
            set_intset_entries: 512,
        }
    }
}

/// A hash value.
#[derive(Debug, Clone, PartialEq)]
pub enum Hash {
    /// Alternating field, value entries.
    Listpack(Listpack),
    /// A table.
    Table(Box<HashTable>),
}

impl Default for Hash {
    fn default() -> Hash {
        Hash::Listpack(Listpack::new())
    }
}

/// Iterator over a hash's (field, value) pairs.
pub enum HashIter<'a> {
    /// Over a listpack.
    Listpack(super::listpack::Iter<'a>),
    /// Over a table.
    Table(indexmap::map::Iter<'a, CompactBytes, CompactBytes>),
}

impl<'a> Iterator for HashIter<'a> {
    type Item = (&'a [u8], &'a [u8]);
    fn next(&mut self) -> Option<Self::Item> {
        match self {
            HashIter::Listpack(it) => {
                let (_, f) = it.next()?;
                let (_, v) = it.next().expect("invariant: listpack hash has pairs");
                Some((f, v))
            }
            HashIter::Table(it) => it.next().map(|(f, v)| (&f[..], &v[..])),
        }
    }
}

impl Hash {
    /// `listpack` or `hashtable`.
    pub fn encoding(&self) -> &'static str {
        match self {
            Hash::Listpack(_) => "listpack",
            Hash::Table(_) => "hashtable",
        }
    }

    /// Number of fields.
    pub fn len(&self) -> usize {
        match self {
            Hash::Listpack(lp) => lp.len() / 2,
            Hash::Table(t) => t.len(),
        }
    }

    /// True when there are no fields.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Every (field, value), in encoding order.
    pub fn iter(&self) -> HashIter<'_> {
        match self {
            Hash::Listpack(lp) => HashIter::Listpack(lp.iter_at()),
            Hash::Table(t) => HashIter::Table(t.iter()),
        }
    }

    /// Byte offset of `field`'s entry in a listpack.
    fn lp_find(lp: &Listpack, field: &[u8]) -> Option<usize> {
        let mut it = lp.iter_at();
        while let Some((off, f)) = it.next() {
            it.next();
            if f == field {
                return Some(off);
            }
        }
        None
    }

    /// The value of `field`.
    pub fn get(&self, field: &[u8]) -> Option<&[u8]> {
        match self {
            Hash::Listpack(lp) => {
                let off = Hash::lp_find(lp, field)?;
                let (_, next) = lp.at(off);
                Some(lp.at(next).0)
            }
            Hash::Table(t) => t.get(field).map(|v| &v[..]),
        }
    }

    /// True if `field` exists.
    pub fn contains(&self, field: &[u8]) -> bool {
        self.get(field).is_some()
    }

    /// Converts a listpack to a table (Redis `hashTypeConvert`).
    fn convert(&mut self) {
        let Hash::Listpack(lp) = self else {
            return;
        };
        let mut t = HashTable::with_capacity_and_hasher(lp.len() / 2 + 1, Hasher::default());
        let items: Vec<&[u8]> = lp.iter().collect();
        for pair in items.chunks_exact(2) {
            t.insert(
                CompactBytes::from_slice(pair[0]),
                CompactBytes::from_slice(pair[1]),
            );
        }
        *self = Hash::Table(Box::new(t));
    }

    /// Sets `field` to `value`; true if the field is new. Converts past the limits.
    pub fn set(&mut self, field: &[u8], value: &[u8], limits: &Limits) -> bool {
        if let Hash::Listpack(_) = self
            && (field.len() > limits.hash_value || value.len() > limits.hash_value)
        {
            self.convert();
        }
        match self {
            Hash::Listpack(lp) => {
                if let Some(off) = Hash::lp_find(lp, field) {
                    let (_, next) = lp.at(off);
                    lp.replace_at(next, value);
                    return false;
                }
                lp.push(field);
                lp.push(value);
                if lp.len() / 2 > limits.hash_entries {
                    self.convert();
                }
                true
            }
            // One lookup, and the field is copied only when it is new (an overwrite keeps
            // the stored field instead of allocating a copy to drop).
            Hash::Table(t) => {
                room_for_one(t);
                match t.raw_entry_mut_v1().from_key(field) {
                    RawEntryMut::Occupied(mut e) => {
                        *e.get_mut() = CompactBytes::from_slice(value);
                        false
                    }
                    RawEntryMut::Vacant(e) => {
                        e.insert(
                            CompactBytes::from_slice(field),
                            CompactBytes::from_slice(value),
                        );
                        true
                    }
                }
            }
        }
    }

    /// Removes `field`; true if it existed.
    pub fn remove(&mut self, field: &[u8]) -> bool {
        match self {
            Hash::Listpack(lp) => match Hash::lp_find(lp, field) {
                Some(off) => {
                    lp.remove_at(off, 2);
                    true
                }
                None => false,
            },
            Hash::Table(t) => t.swap_remove(field).is_some(),
        }
    }

    /// The same hash re-encoded under `limits` (RESTORE picks this node's encoding).
    pub fn with_limits(self, limits: &Limits) -> Hash {
        let mut out = Hash::default();
        for (f, v) in self.iter() {
            out.set(f, v, limits);
        }
        out
    }

    /// The pair at position `i` (random access for HRANDFIELD; linear for a listpack).
    pub fn get_index(&self, i: usize) -> Option<(&[u8], &[u8])> {
        match self {
            Hash::Listpack(_) => self.iter().nth(i),
            Hash::Table(t) => t.get_index(i).map(|(f, v)| (&f[..], &v[..])),
        }
    }
}

/// A set value.
#[derive(Debug, Clone, PartialEq)]
pub enum Set {
    /// Sorted integers.
    Intset(Vec<i64>),
    /// A table.
    Table(Box<SetTable>),
}

impl Default for Set {
    fn default() -> Set {
        Set::Intset(Vec::new())
    }
}

fn int_bytes(v: i64) -> Bytes {
    let mut b = itoa::Buffer::new();
    Bytes::copy_from_slice(b.format(v).as_bytes())
}

impl Set {
    /// `intset` or `hashtable`.
    pub fn encoding(&self) -> &'static str {
        match self {
            Set::Intset(_) => "intset",
            Set::Table(_) => "hashtable",
        }
    }

    /// Number of members.
    pub fn len(&self) -> usize {
        match self {
            Set::Intset(v) => v.len(),
            Set::Table(t) => t.len(),
        }
    }

    /// True when empty.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// True if `m` is a member.
    pub fn contains(&self, m: &[u8]) -> bool {
        match self {
            Set::Intset(v) => parse_i64(m).is_some_and(|i| v.binary_search(&i).is_ok()),
            Set::Table(t) => t.contains(m),
        }
    }

    fn convert(&mut self, extra: usize) {
        let Set::Intset(v) = self else {
            return;
        };
        let mut t = SetTable::with_capacity_and_hasher(v.len() + extra, Hasher::default());
        for i in v.iter() {
            t.insert(CompactBytes::from_slice(
                itoa::Buffer::new().format(*i).as_bytes(),
            ));
        }
        *self = Set::Table(Box::new(t));
    }

    /// Adds `m`; true if it is new. Converts past the limits (Redis `setTypeAdd`).
    pub fn add(&mut self, m: &[u8], limits: &Limits) -> bool {
        if let Set::Intset(v) = self {
            match parse_i64(m) {
                Some(i) => match v.binary_search(&i) {
                    Ok(_) => return false,
                    Err(pos) => {
                        v.insert(pos, i);
                        if v.len() > limits.set_intset_entries {
                            self.convert(0);
                        }
                        return true;
                    }
                },
                None => self.convert(1),
            }
        }
        match self {
            // Copy the member only when it is new (`insert` would allocate a copy and drop
            // it for a member already there).
            Set::Table(t) => {
                room_for_one_member(t);
                !t.contains(m) && t.insert(CompactBytes::from_slice(m))
            }
            Set::Intset(_) => unreachable!("invariant: converted above"),
        }
    }

    /// Removes `m`; true if it was a member.
    pub fn remove(&mut self, m: &[u8]) -> bool {
        match self {
            Set::Intset(v) => match parse_i64(m).map(|i| v.binary_search(&i)) {
                Some(Ok(pos)) => {
                    v.remove(pos);
                    true
                }
                _ => false,
            },
            Set::Table(t) => t.swap_remove(m),
        }
    }

    /// The same set re-encoded under `limits` (RESTORE picks this node's encoding).
    pub fn with_limits(self, limits: &Limits) -> Set {
        let mut out = Set::default();
        for m in self.members() {
            out.add(&m, limits);
        }
        out
    }

    /// The member at position `i` (sorted order for an intset).
    pub fn get_index(&self, i: usize) -> Option<Bytes> {
        match self {
            Set::Intset(v) => v.get(i).map(|x| int_bytes(*x)),
            Set::Table(t) => t.get_index(i).map(CompactBytes::to_bytes),
        }
    }

    /// Removes and returns the member at position `i`.
    pub fn remove_index(&mut self, i: usize) -> Option<Bytes> {
        match self {
            Set::Intset(v) => (i < v.len()).then(|| int_bytes(v.remove(i))),
            Set::Table(t) => t.swap_remove_index(i).map(|m| m.to_bytes()),
        }
    }

    /// Every member, in encoding order.
    pub fn members(&self) -> Vec<Bytes> {
        match self {
            Set::Intset(v) => v.iter().map(|x| int_bytes(*x)).collect(),
            Set::Table(t) => t.iter().map(CompactBytes::to_bytes).collect(),
        }
    }
}

#[cfg(test)]
mod tests {
    use std::collections::{BTreeMap, BTreeSet};

    use proptest::prelude::*;

    use super::*;

    fn small() -> Limits {
        Limits {
            hash_entries: 4,
            hash_value: 6,
            set_intset_entries: 4,
        }
    }

    #[test]
    fn value_is_32_bytes() {
        // Every variant but the list fits in 24 bytes next to the tag, and the 32-byte list
        // holds the tag in a niche: a bigger variant would grow every key's node (see
        // `dict`), so box it instead.
        use std::mem::size_of;
        const { assert!(size_of::<Value>() <= 32) };
        const { assert!(size_of::<CompactBytes>() <= 24) };
        const { assert!(size_of::<Hash>() <= 24) };
        const { assert!(size_of::<Set>() <= 24) };
        const { assert!(size_of::<ZSet>() <= 24) };
    }

    #[test]
    fn hash_converts_past_entries_and_value_length() {
        let l = small();
        let mut h = Hash::default();
        for i in 0..4 {
            h.set(format!("f{i}").as_bytes(), b"v", &l);
        }
        assert_eq!(h.encoding(), "listpack");
        h.set(b"f4", b"v", &l);
        assert_eq!(h.encoding(), "hashtable");
        let mut h = Hash::default();
        h.set(b"f", b"1234567", &l);
        assert_eq!(h.encoding(), "hashtable");
        assert_eq!(h.get(b"f"), Some(&b"1234567"[..]));
    }

    #[test]
    fn set_converts_on_non_integer_and_size() {
        let l = small();
        let mut s = Set::default();
        for m in ["3", "1", "2", "-5"] {
            assert!(s.add(m.as_bytes(), &l));
        }
        assert_eq!(s.encoding(), "intset");
        assert_eq!(s.members(), ["-5", "1", "2", "3"].map(Bytes::from));
        assert!(!s.add(b"01", &l) || s.encoding() == "hashtable");
        assert_eq!(s.encoding(), "hashtable");
        let mut s = Set::default();
        for m in 0..5 {
            s.add(m.to_string().as_bytes(), &l);
        }
        assert_eq!(s.encoding(), "hashtable");
        assert_eq!(s.len(), 5);
    }

    #[derive(Debug, Clone)]
    enum HOp {
        Set(u8, String),
        Del(u8),
    }

    /// Field `f` of the hash model: a third of them longer than the inline limit.
    fn field(f: u8) -> String {
        if f.is_multiple_of(3) {
            format!("f{f}-a-field-name-longer-than-22-bytes")
        } else {
            format!("f{f}")
        }
    }

    proptest! {
        #[test]
        fn hash_matches_btreemap(ops in proptest::collection::vec(
            prop_oneof![
                // Values and fields on both sides of the 22-byte inline limit of a table.
                (any::<u8>(), prop_oneof!["[a-z]{0,9}", "[a-z]{20,26}"])
                    .prop_map(|(f, v)| HOp::Set(f % 12, v)),
                any::<u8>().prop_map(|f| HOp::Del(f % 12)),
            ], 0..80)) {
            let l = small();
            let mut h = Hash::default();
            let mut model = BTreeMap::new();
            for op in ops {
                match op {
                    HOp::Set(f, v) => {
                        let f = field(f);
                        let new = h.set(f.as_bytes(), v.as_bytes(), &l);
                        prop_assert_eq!(new, model.insert(f, v).is_none());
                    }
                    HOp::Del(f) => {
                        let f = field(f);
                        prop_assert_eq!(h.remove(f.as_bytes()), model.remove(&f).is_some());
                    }
                }
                prop_assert_eq!(h.len(), model.len());
                let got: BTreeMap<String, String> = h.iter().map(|(f, v)| (
                    String::from_utf8_lossy(f).into_owned(),
                    String::from_utf8_lossy(v).into_owned(),
                )).collect();
                prop_assert_eq!(&got, &model);
            }
        }

        #[test]
        fn set_matches_btreeset(ops in proptest::collection::vec(
            (any::<bool>(), prop_oneof!["-?[0-9]{1,3}", "[a-c0]{1,2}", "[a-c]{21,24}"]), 0..80)) {
            let l = small();
            let mut s = Set::default();
            let mut model = BTreeSet::new();
            for (add, m) in ops {
                if add {
                    prop_assert_eq!(s.add(m.as_bytes(), &l), model.insert(m.clone()));
                } else {
                    prop_assert_eq!(s.remove(m.as_bytes()), model.remove(&m));
                }
                prop_assert_eq!(s.len(), model.len());
                for m in &model {
                    prop_assert!(s.contains(m.as_bytes()));
                }
                let got: BTreeSet<String> = s.members().iter()
                    .map(|b| String::from_utf8_lossy(b).into_owned()).collect();
                prop_assert_eq!(&got, &model);
            }
        }
    }
}
