//! The keyspace hash table (Redis `dict.c`): separate chaining, power-of-two tables,
//! incremental rehashing, Redis's reverse-binary SCAN cursor and random sampling.
//!
//! Why not a crate: the keyspace needs (1) a SCAN cursor that returns every key present for the
//! whole scan at least once even while the table grows or shrinks between calls, (2) O(1)
//! random keys for RANDOMKEY and expiry sampling, and (3) Redis's memory profile (one 8-byte
//! bucket pointer per slot at load factor ≤ 1 plus one node per key). Open-addressing maps
//! (hashbrown) offer no resumable cursor and store whole entries in half-empty tables;
//! `indexmap` keeps a second entry array sized to its index table, which measured 250 bytes per
//! small string key against Redis's 105.
//!
//! Invariants: `tables[1]` is non-empty only while rehashing, and then every bucket of
//! `tables[0]` below `rehash_idx` is empty; `len` equals the number of nodes in both tables; a
//! key is in at most one table.

use bytes::Bytes;
use std::hash::BuildHasher;

use super::Entry;
use super::compact::CompactBytes;

/// Buckets moved per rehash step (each mutating operation does one step, as Redis).
const REHASH_STEP_BUCKETS: usize = 1;
/// Empty buckets a rehash step may skip before it gives up for now (Redis: 10 per bucket).
const REHASH_EMPTY_VISITS: usize = 10;
/// Smallest non-empty table.
const INITIAL_SIZE: usize = 4;
/// Shrink when fewer than 1 in this many buckets is used (Redis `HASHTABLE_MIN_FILL`).
const MIN_FILL_RATIO: usize = 10;

/// Size of one chain node (one allocation per key), for memory reports.
pub const NODE_SIZE: usize = std::mem::size_of::<Node>();

#[derive(Debug, Clone)]
struct Node {
    key: CompactBytes,
    entry: Entry,
    next: Option<Box<Node>>,
}

#[derive(Debug, Clone, Default)]
struct Table {
    buckets: Vec<Option<Box<Node>>>,
    used: usize,
}

impl Table {
    fn with_size(size: usize) -> Table {
        Table {
            buckets: (0..size).map(|_| None).collect(),
            used: 0,
        }
    }

    fn mask(&self) -> usize {
        self.buckets.len().wrapping_sub(1)
    }
}

/// A chained hash table from keys to entries.
#[derive(Debug, Clone, Default)]
pub struct Dict {
    tables: [Table; 2],
    /// Next bucket of `tables[0]` to move, while rehashing.
    rehash_idx: Option<usize>,
    hasher: foldhash::fast::RandomState,
    /// A point-in-time snapshot in progress (replication full sync); rehashing is paused
    /// while it lasts.
    snapshot: Option<Box<Snapshot>>,
}

/// State of a point-in-time snapshot of a [`Dict`] taken bucket by bucket (as Dragonfly's
/// snapshotting): a bucket is *done* once its contents as of the snapshot's start have been
/// handed out. Before any write touches a bucket that is not done, its start-time contents
/// are saved and it is marked done, so the snapshot sees every key as it was at the start.
///
/// Invariants: rehashing is paused, so a start-time key never moves between buckets; a
/// bucket that is not done holds exactly its start-time keys with their start-time values;
/// buckets of a table created after the start (index ≥ `sizes[t]`) count as done.
#[derive(Debug, Clone, Default)]
struct Snapshot {
    /// Bucket counts of both tables at the start.
    sizes: [usize; 2],
    /// One bit per start-time bucket of each table, set once done.
    done: [Vec<u64>; 2],
    /// Next (table, bucket) the cursor visits.
    cursor: (usize, usize),
    /// Start-time entries of buckets a write touched before the cursor reached them.
    saved: Vec<(CompactBytes, Entry)>,
}

impl Snapshot {
    fn is_done(&self, t: usize, b: usize) -> bool {
        b >= self.sizes[t] || self.done[t][b / 64] & (1 << (b % 64)) != 0
    }

    fn mark_done(&mut self, t: usize, b: usize) {
        self.done[t][b / 64] |= 1 << (b % 64);
    }
}

fn find_in<'a>(mut cur: Option<&'a Node>, key: &[u8]) -> Option<&'a Node> {
    while let Some(n) = cur {
        if n.key[..] == *key {
            return Some(n);
        }
        cur = n.next.as_deref();
    }
    None
}

fn find_in_mut<'a>(mut cur: Option<&'a mut Node>, key: &[u8]) -> Option<&'a mut Node> {
    while let Some(n) = cur {
        if n.key[..] == *key {
            return Some(n);
        }
        cur = n.next.as_deref_mut();
    }
    None
}

fn unlink(slot: &mut Option<Box<Node>>, key: &[u8]) -> Option<Box<Node>> {
    let mut cur = slot;
    while cur.as_ref().is_some_and(|n| n.key[..] != *key) {
        cur = &mut cur.as_mut().expect("invariant: checked to be Some").next;
    }
    let mut removed = cur.take()?;
    *cur = removed.next.take();
    Some(removed)
}

/// Drops a chain without recursion (a long chain must not overflow the stack).
fn drop_chain(mut cur: Option<Box<Node>>) {
    while let Some(mut n) = cur {
        cur = n.next.take();
    }
}

impl Drop for Dict {
    fn drop(&mut self) {
        for t in &mut self.tables {
            for b in &mut t.buckets {
                drop_chain(b.take());
            }
        }
    }
}

impl Dict {
    /// Bytes of the table itself: bucket slots and one node per key (the keys' and values'
    /// own bytes excluded), Redis's `overhead.hashtable.main`.
    pub fn overhead_bytes(&self) -> usize {
        self.tables
            .iter()
            .map(|t| {
                t.buckets.capacity() * std::mem::size_of::<Option<Box<Node>>>()
                    + t.used * std::mem::size_of::<Node>()
            })
            .sum()
    }

    /// Number of keys.
    pub fn len(&self) -> usize {
        self.tables[0].used + self.tables[1].used
    }

    /// True when empty.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    fn hash(&self, key: &[u8]) -> usize {
        // Truncation on 32-bit targets only drops high bits, which the mask drops anyway.
        self.hasher.hash_one(key) as usize
    }

    fn is_rehashing(&self) -> bool {
        self.rehash_idx.is_some()
    }

    /// The entry of `key`.
    pub fn get(&self, key: &[u8]) -> Option<&Entry> {
        self.get_node(key).map(|n| &n.entry)
    }

    /// The stored key and entry of `key`.
    pub fn get_key_value(&self, key: &[u8]) -> Option<(&[u8], &Entry)> {
        self.get_node(key).map(|n| (&n.key[..], &n.entry))
    }

    fn get_node(&self, key: &[u8]) -> Option<&Node> {
        if self.is_empty() {
            return None;
        }
        let h = self.hash(key);
        if !self.is_rehashing() {
            let t = &self.tables[0];
            return find_in(t.buckets[h & t.mask()].as_deref(), key);
        }
        for t in &self.tables {
            if t.buckets.is_empty() {
                continue;
            }
            if let Some(n) = find_in(t.buckets[h & t.mask()].as_deref(), key) {
                return Some(n);
            }
        }
        None
    }

    /// The entry of `key`, mutable, with its stored key.
    pub fn get_mut(&mut self, key: &[u8]) -> Option<(&[u8], &mut Entry)> {
        if self.is_empty() {
            return None;
        }
        self.rehash_step();
        let h = self.hash(key);
        self.snapshot_touch(h);
        self.get_mut_hashed(h, key)
    }

    /// [`Dict::get_mut`] with the key's hash already computed (no rehash step).
    fn get_mut_hashed(&mut self, h: usize, key: &[u8]) -> Option<(&[u8], &mut Entry)> {
        if !self.is_rehashing() {
            // One table: one walk of one chain.
            let t = &mut self.tables[0];
            let mask = t.mask();
            return find_in_mut(t.buckets[h & mask].as_deref_mut(), key)
                .map(|n| (&n.key[..], &mut n.entry));
        }
        let in_first = {
            let t = &self.tables[0];
            !t.buckets.is_empty() && find_in(t.buckets[h & t.mask()].as_deref(), key).is_some()
        };
        let t = if in_first {
            &mut self.tables[0]
        } else {
            &mut self.tables[1]
        };
        if t.buckets.is_empty() {
            return None;
        }
        let mask = t.mask();
        find_in_mut(t.buckets[h & mask].as_deref_mut(), key).map(|n| (&n.key[..], &mut n.entry))
    }

    /// Applies `f` to the entry of `key` in place, returning its result (None if missing):
    /// one walk, no rehash step and no snapshot bookkeeping, for updates that are not
    /// writes of the value (the access clock on a read).
    pub fn update<R>(&mut self, key: &[u8], f: impl FnOnce(&mut Entry) -> R) -> Option<R> {
        self.entry_untracked(key).map(f)
    }

    /// The entry of `key`, mutable: one walk, no rehash step and no snapshot bookkeeping
    /// (as [`Dict::update`]); the caller must not change the value while a snapshot runs.
    pub fn entry_untracked(&mut self, key: &[u8]) -> Option<&mut Entry> {
        if self.is_empty() {
            return None;
        }
        let h = self.hash(key);
        if !self.is_rehashing() {
            let t = &mut self.tables[0];
            let mask = t.mask();
            return find_in_mut(t.buckets[h & mask].as_deref_mut(), key).map(|n| &mut n.entry);
        }
        for t in &mut self.tables {
            if t.buckets.is_empty() {
                continue;
            }
            let mask = t.mask();
            if let Some(n) = find_in_mut(t.buckets[h & mask].as_deref_mut(), key) {
                return Some(&mut n.entry);
            }
        }
        None
    }

    /// Inserts or replaces; returns the old entry.
    pub fn insert(&mut self, key: &[u8], entry: Entry) -> Option<Entry> {
        self.rehash_step();
        let h = self.hash(key);
        self.snapshot_touch(h);
        if !self.is_empty()
            && let Some((_, e)) = self.get_mut_hashed(h, key)
        {
            return Some(std::mem::replace(e, entry));
        }
        self.expand_if_needed();
        self.snapshot_touch(h);
        let t = if self.is_rehashing() {
            &mut self.tables[1]
        } else {
            &mut self.tables[0]
        };
        let i = h & t.mask();
        let next = t.buckets[i].take();
        t.buckets[i] = Some(Box::new(Node {
            key: CompactBytes::from_slice(key),
            entry,
            next,
        }));
        t.used += 1;
        None
    }

    /// Removes `key`; returns its entry.
    pub fn remove(&mut self, key: &[u8]) -> Option<Entry> {
        if self.is_empty() {
            return None;
        }
        self.rehash_step();
        let h = self.hash(key);
        self.snapshot_touch(h);
        for ti in 0..2 {
            let t = &mut self.tables[ti];
            if t.buckets.is_empty() {
                continue;
            }
            let i = h & t.mask();
            if let Some(node) = unlink(&mut t.buckets[i], key) {
                t.used -= 1;
                self.shrink_if_needed();
                return Some(node.entry);
            }
        }
        None
    }

    /// Removes everything (a snapshot in progress keeps the start-time entries it has not
    /// handed out yet).
    pub fn clear(&mut self) {
        self.snapshot_save_all();
        for t in &mut self.tables {
            for b in &mut t.buckets {
                drop_chain(b.take());
            }
            *t = Table::default();
        }
        self.rehash_idx = None;
    }

    fn expand_if_needed(&mut self) {
        if self.is_rehashing() {
            return;
        }
        let t = &self.tables[0];
        if t.buckets.is_empty() {
            self.tables[0] = Table::with_size(INITIAL_SIZE);
        } else if t.used >= t.buckets.len() {
            self.start_rehash((t.used + 1).next_power_of_two().max(INITIAL_SIZE));
        }
    }

    fn shrink_if_needed(&mut self) {
        let t = &self.tables[0];
        if self.is_rehashing() || t.buckets.len() <= INITIAL_SIZE {
            return;
        }
        if t.used * MIN_FILL_RATIO < t.buckets.len() {
            self.start_rehash(t.used.next_power_of_two().max(INITIAL_SIZE));
        }
    }

    fn start_rehash(&mut self, size: usize) {
        self.tables[1] = Table::with_size(size);
        self.rehash_idx = Some(0);
    }

    /// Moves a few buckets from the old table to the new one (not while a snapshot runs).
    fn rehash_step(&mut self) {
        let Some(mut idx) = self.rehash_idx else {
            return;
        };
        if self.snapshot.is_some() {
            return;
        }
        let mut moved = 0;
        let mut empty_visits = REHASH_STEP_BUCKETS * REHASH_EMPTY_VISITS;
        while moved < REHASH_STEP_BUCKETS && self.tables[0].used > 0 {
            while self.tables[0].buckets[idx].is_none() {
                idx += 1;
                empty_visits -= 1;
                if empty_visits == 0 {
                    self.rehash_idx = Some(idx);
                    return;
                }
            }
            let mut chain = self.tables[0].buckets[idx].take();
            while let Some(mut node) = chain {
                chain = node.next.take();
                let h = self.hash(&node.key);
                let t1 = &mut self.tables[1];
                let j = h & t1.mask();
                node.next = t1.buckets[j].take();
                t1.buckets[j] = Some(node);
                t1.used += 1;
                self.tables[0].used -= 1;
            }
            idx += 1;
            moved += 1;
        }
        if self.tables[0].used == 0 {
            self.tables[0] = std::mem::take(&mut self.tables[1]);
            self.rehash_idx = None;
        } else {
            self.rehash_idx = Some(idx);
        }
    }

    /// Runs up to `n` rehash steps (the cron finishes rehashing of idle tables, as Redis's
    /// `databasesCron`); true while a rehash is still in progress.
    pub fn rehash_steps(&mut self, n: usize) -> bool {
        for _ in 0..n {
            if !self.is_rehashing() {
                break;
            }
            self.rehash_step();
        }
        self.shrink_if_needed();
        self.is_rehashing()
    }

    /// Every key and entry.
    pub fn iter(&self) -> impl Iterator<Item = (&[u8], &Entry)> {
        self.tables
            .iter()
            .flat_map(|t| t.buckets.iter())
            .flat_map(|b| {
                let mut cur = b.as_deref();
                std::iter::from_fn(move || {
                    let n = cur?;
                    cur = n.next.as_deref();
                    Some((&n.key[..], &n.entry))
                })
            })
    }

    fn chain_keys(slot: &Option<Box<Node>>, out: &mut Vec<Bytes>) {
        let mut cur = slot.as_deref();
        while let Some(n) = cur {
            out.push(n.key.to_bytes());
            cur = n.next.as_deref();
        }
    }

    /// One step of Redis's `dictScan`: appends the keys of the bucket(s) at `cursor` and
    /// returns the next cursor (0 when the scan is complete). The cursor counts up in
    /// reversed-bit order, so buckets visited before a resize map onto buckets visited after
    /// it and no key present for the whole scan is missed.
    pub fn scan_step(&self, cursor: u64, out: &mut Vec<Bytes>) -> u64 {
        if self.is_empty() {
            return 0;
        }
        let mut v = cursor;
        let rev_inc = |v: u64, mask: u64| -> u64 {
            let v = v | !mask;
            (v.reverse_bits().wrapping_add(1)).reverse_bits()
        };
        if !self.is_rehashing() {
            let t = &self.tables[0];
            let m0 = t.mask() as u64;
            Dict::chain_keys(&t.buckets[(v & m0) as usize], out);
            return rev_inc(v, m0);
        }
        let (small, large) = if self.tables[0].buckets.len() <= self.tables[1].buckets.len() {
            (&self.tables[0], &self.tables[1])
        } else {
            (&self.tables[1], &self.tables[0])
        };
        let (m0, m1) = (small.mask() as u64, large.mask() as u64);
        Dict::chain_keys(&small.buckets[(v & m0) as usize], out);
        loop {
            Dict::chain_keys(&large.buckets[(v & m1) as usize], out);
            v = rev_inc(v, m1);
            if v & (m0 ^ m1) == 0 {
                break;
            }
        }
        v
    }

    /// Calls `f` on up to `count` keys from a random stretch of consecutive buckets (Redis
    /// `dictGetSomeKeys`, the eviction pool's sampler): cheaper than `count` random keys,
    /// at the price of keys that are neighbours in the table. Gives up after `10 × count`
    /// buckets, so fewer keys may come back; a run of empty buckets jumps elsewhere. Unlike
    /// Redis's, no key comes back twice: a bucket already visited (after a jump or a
    /// wrap-around) is skipped.
    pub fn sample(&self, rng: &mut impl rand::Rng, count: usize, mut f: impl FnMut(&[u8], &Entry)) {
        let count = count.min(self.len());
        if count == 0 {
            return;
        }
        let tables = if self.is_rehashing() { 2 } else { 1 };
        let max_mask = self.tables[..tables]
            .iter()
            .map(Table::mask)
            .max()
            .unwrap_or(0);
        let rehash_idx = self.rehash_idx.unwrap_or(0);
        let mut i = rng.random::<u64>() as usize & max_mask;
        let (mut stored, mut empty_run) = (0, 0);
        let mut visited: Vec<usize> = Vec::with_capacity(count * 10);
        for _ in 0..count * 10 {
            if visited.contains(&i) {
                i = (i + 1) & max_mask;
                continue;
            }
            visited.push(i);
            for (j, t) in self.tables[..tables].iter().enumerate() {
                // Buckets of the old table below the rehash index are empty.
                if j == 0 && tables == 2 && i < rehash_idx {
                    continue;
                }
                let Some(bucket) = t.buckets.get(i) else {
                    continue;
                };
                let mut cur = bucket.as_deref();
                if cur.is_none() {
                    empty_run += 1;
                    continue;
                }
                empty_run = 0;
                while let Some(n) = cur {
                    f(&n.key, &n.entry);
                    stored += 1;
                    if stored == count {
                        return;
                    }
                    cur = n.next.as_deref();
                }
            }
            // The jump happens between buckets, never halfway through one index's tables.
            if empty_run >= 5 && empty_run > count {
                i = rng.random::<u64>() as usize & max_mask;
                empty_run = 0;
            } else {
                i = (i + 1) & max_mask;
            }
        }
    }

    /// A random key (Redis `dictGetRandomKey`: a random non-empty bucket, then a random
    /// element of its chain).
    pub fn random_key(&self, rng: &mut impl rand::Rng) -> Option<&[u8]> {
        if self.is_empty() {
            return None;
        }
        let bucket = loop {
            let (t, i) = match self.rehash_idx {
                Some(r) => {
                    // Buckets of the old table below `r` are empty: skip them.
                    let s0 = self.tables[0].buckets.len();
                    let s1 = self.tables[1].buckets.len();
                    let i = rng.random_range(r..s0 + s1);
                    if i >= s0 {
                        (&self.tables[1], i - s0)
                    } else {
                        (&self.tables[0], i)
                    }
                }
                None => {
                    let t = &self.tables[0];
                    (t, rng.random_range(0..t.buckets.len()))
                }
            };
            if let Some(b) = t.buckets[i].as_deref() {
                break b;
            }
        };
        let mut chain_len = 0;
        let mut cur = Some(bucket);
        while let Some(n) = cur {
            chain_len += 1;
            cur = n.next.as_deref();
        }
        let mut pick = rng.random_range(0..chain_len);
        let mut cur = bucket;
        while pick > 0 {
            cur = cur.next.as_deref().expect("invariant: pick < chain length");
            pick -= 1;
        }
        Some(&cur.key[..])
    }
}

/// Point-in-time snapshots (replication full sync without a fork); see [`Snapshot`].
impl Dict {
    /// Starts a snapshot of the current contents and pauses rehashing until it ends.
    pub fn snapshot_begin(&mut self) {
        let sizes = [self.tables[0].buckets.len(), self.tables[1].buckets.len()];
        self.snapshot = Some(Box::new(Snapshot {
            sizes,
            done: sizes.map(|n| vec![0; n.div_ceil(64)]),
            cursor: (0, 0),
            saved: Vec::new(),
        }));
    }

    /// Ends (or abandons) the snapshot; rehashing resumes.
    pub fn snapshot_end(&mut self) {
        self.snapshot = None;
    }

    /// True while a snapshot is in progress.
    pub fn snapshot_active(&self) -> bool {
        self.snapshot.is_some()
    }

    /// A write is about to touch the bucket(s) of hash `h`: saves their start-time contents
    /// first if the snapshot has not handed them out yet.
    fn snapshot_touch(&mut self, h: usize) {
        let Dict {
            tables, snapshot, ..
        } = self;
        let Some(snap) = snapshot.as_deref_mut() else {
            return;
        };
        for (t, table) in tables.iter().enumerate() {
            if table.buckets.is_empty() {
                continue;
            }
            let b = h & table.mask();
            if !snap.is_done(t, b) {
                snap.mark_done(t, b);
                let mut cur = table.buckets[b].as_deref();
                while let Some(n) = cur {
                    snap.saved.push((n.key.clone(), n.entry.clone()));
                    cur = n.next.as_deref();
                }
            }
        }
    }

    /// Moves every start-time entry not handed out yet into the saved list (before a clear).
    fn snapshot_save_all(&mut self) {
        let Dict {
            tables, snapshot, ..
        } = self;
        let Some(snap) = snapshot.as_deref_mut() else {
            return;
        };
        for (t, table) in tables.iter_mut().enumerate() {
            for b in 0..snap.sizes[t] {
                if snap.is_done(t, b) {
                    continue;
                }
                let mut cur = table.buckets[b].take();
                while let Some(n) = cur {
                    let Node { key, entry, next } = *n;
                    snap.saved.push((key, entry));
                    cur = next;
                }
            }
        }
        // Whatever the tables hold from now on was written after the start.
        snap.sizes = [0, 0];
    }

    /// Hands the next start-time entries to `f`, about `budget` of them (saved ones first,
    /// then the buckets at the cursor). Returns true once the snapshot is complete.
    pub fn snapshot_next(&mut self, budget: usize, f: &mut impl FnMut(&[u8], &Entry)) -> bool {
        let Dict {
            tables, snapshot, ..
        } = self;
        let Some(snap) = snapshot.as_deref_mut() else {
            return true;
        };
        let mut work = 0;
        while work < budget
            && let Some((k, e)) = snap.saved.pop()
        {
            f(&k, &e);
            work += 1;
        }
        while work < budget && snap.cursor.0 < 2 {
            let (t, b) = snap.cursor;
            if b >= snap.sizes[t] {
                snap.cursor = (t + 1, 0);
                continue;
            }
            snap.cursor.1 += 1;
            // Visiting an empty bucket costs a little too, so a sparse table yields.
            work += 1;
            if snap.is_done(t, b) {
                continue;
            }
            snap.mark_done(t, b);
            let mut cur = tables[t].buckets[b].as_deref();
            while let Some(n) = cur {
                f(&n.key, &n.entry);
                work += 1;
                cur = n.next.as_deref();
            }
        }
        snap.cursor.0 >= 2 && snap.saved.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::db::{NO_EXPIRE, Value};
    use proptest::prelude::*;
    use std::collections::{BTreeMap, HashSet};

    fn e(v: u32) -> Entry {
        Entry {
            value: Value::String(v.to_string().as_bytes().into()),
            expire_at_ms: NO_EXPIRE,
            lru: 0,
        }
    }

    fn k(i: u32) -> Bytes {
        Bytes::from(format!("k{i}"))
    }

    #[test]
    fn node_fits_its_allocation_class() {
        // key (inline up to 22 bytes) 24 + entry (value 32, expire 8, access clock 4) 48 +
        // next 8: one 80-byte jemalloc allocation per key. Growing it costs 16 bytes per key.
        const { assert!(std::mem::size_of::<CompactBytes>() == 24) };
        const { assert!(std::mem::size_of::<Entry>() <= 48) };
        const { assert!(NODE_SIZE <= 80, "Node outgrew its 80-byte allocation class") };
    }

    #[test]
    fn grows_shrinks_and_finds() {
        let mut d = Dict::default();
        for i in 0..10_000 {
            assert!(d.insert(&k(i), e(i)).is_none());
        }
        assert_eq!(d.len(), 10_000);
        assert!(d.insert(&k(5), e(55)).is_some());
        for i in 0..10_000 {
            assert!(d.get(&k(i)).is_some(), "k{i}");
        }
        for i in 0..9_990 {
            assert!(d.remove(&k(i)).is_some());
        }
        assert_eq!(d.len(), 10);
        assert_eq!(d.iter().count(), 10);
        while d.rehash_steps(100) {}
        for i in 0..200 {
            d.insert(&k(100_000 + i), e(i));
        }
        while d.rehash_steps(100) {}
        assert!(d.tables[0].buckets.len() <= 1024);
    }

    #[test]
    fn scan_returns_every_stable_key_across_resizes() {
        let mut d = Dict::default();
        for i in 0..2000 {
            d.insert(&k(i), e(i));
        }
        let mut seen = HashSet::new();
        let mut cursor = 0;
        let mut step = 0u32;
        let mut temp: Vec<u32> = Vec::new();
        loop {
            let mut out = Vec::new();
            cursor = d.scan_step(cursor, &mut out);
            seen.extend(out);
            // Phases of growth and shrinkage force resizes (and rehashes) mid-scan; odd
            // stable keys are deleted along the way; even ones stay for the whole scan.
            if (step / 50).is_multiple_of(2) {
                for j in 0..100 {
                    let t = 100_000 + step * 100 + j;
                    d.insert(&k(t), e(t));
                    temp.push(t);
                }
            } else {
                for t in temp.drain(..temp.len().min(100)) {
                    d.remove(&k(t));
                }
            }
            d.remove(&k((step * 2 + 1) % 2000));
            step += 1;
            if cursor == 0 {
                break;
            }
            assert!(step < 1_000_000);
        }
        for i in (0..2000).step_by(2) {
            assert!(seen.contains(&k(i)), "k{i} missed");
        }
    }

    /// Runs `ops` (insert/remove/get_mut/clear) interleaved with snapshot steps and checks
    /// the snapshot holds exactly the start-time contents, each key once.
    fn check_snapshot(start: u32, ops: &[(u8, u32)], step: usize) {
        let mut d = Dict::default();
        for i in 0..start {
            d.insert(&k(i), e(i));
        }
        // Leave a resize half done sometimes so both tables are walked.
        d.rehash_steps(3);
        let expected: BTreeMap<Bytes, String> = d
            .iter()
            .map(|(k, v)| (Bytes::copy_from_slice(k), format!("{:?}", v.value)))
            .collect();
        d.snapshot_begin();
        let mut got: BTreeMap<Bytes, String> = BTreeMap::new();
        let mut collect = |k: &[u8], v: &Entry| {
            assert!(
                got.insert(Bytes::copy_from_slice(k), format!("{:?}", v.value))
                    .is_none(),
                "{k:?} twice"
            );
        };
        let mut complete = false;
        for &(op, key) in ops {
            match op {
                0 => {
                    d.insert(&k(key), e(key + 1_000_000));
                }
                1 => {
                    d.remove(&k(key));
                }
                2 => {
                    if let Some((_, en)) = d.get_mut(&k(key)) {
                        en.value = Value::String(b"changed"[..].into());
                    }
                }
                3 => d.clear(),
                _ => {}
            }
            if !complete {
                complete = d.snapshot_next(step, &mut collect);
            }
        }
        while !d.snapshot_next(step, &mut collect) {}
        d.snapshot_end();
        assert_eq!(got, expected);
        // Rehashing resumes and the table stays a correct map.
        while d.rehash_steps(100) {}
        assert_eq!(d.iter().count(), d.len());
    }

    #[test]
    fn snapshot_is_point_in_time_under_heavy_writes() {
        let ops: Vec<(u8, u32)> = (0..20_000u32)
            .map(|i| ((i % 3) as u8, (i * 7919) % 6000))
            .collect();
        check_snapshot(3000, &ops, 5);
        check_snapshot(0, &ops, 5);
        let mut with_clear = ops;
        with_clear.insert(500, (3, 0));
        check_snapshot(3000, &with_clear, 3);
    }

    #[test]
    fn update_changes_an_entry_in_place() {
        let mut d = Dict::default();
        assert_eq!(d.update(b"nosuch", |_| 1), None);
        for i in 0..100 {
            d.insert(&k(i), e(i));
        }
        // Mid-rehash too: keys live in either table.
        d.insert(&k(1000), e(1000));
        for i in (0..100).chain([1000]) {
            assert_eq!(
                d.update(&k(i), |en| {
                    en.lru = i;
                    7
                }),
                Some(7)
            );
            assert_eq!(d.get(&k(i)).map(|en| en.lru), Some(i));
        }
    }

    #[test]
    fn sample_returns_distinct_live_keys() {
        let mut d = Dict::default();
        let mut rng = rand::rng();
        d.sample(&mut rng, 5, |_, _| panic!("empty dict"));
        for i in 0..1000 {
            d.insert(&k(i), e(i));
        }
        let mut seen = HashSet::new();
        let mut empty_samples = 0;
        for round in 0..2000 {
            // Half the rounds sample mid-rehash, where the jumps used to repeat buckets.
            if round % 2 == 0 {
                d.insert(&k(100_000 + round), e(round));
            }
            let mut got = Vec::new();
            d.sample(&mut rng, 5 + round as usize % 12, |key, _| {
                got.push(key.to_vec());
            });
            // Early in a rehash most of the index space is empty: like Redis's
            // `dictGetSomeKeys`, a sample may then find nothing within its step budget (the
            // hash seed is random, so this happens in some runs; rarely, never often).
            assert!(got.len() <= 16);
            empty_samples += usize::from(got.is_empty());
            let distinct: HashSet<_> = got.iter().collect();
            assert_eq!(distinct.len(), got.len());
            seen.extend(got);
        }
        assert!(empty_samples < 100, "{empty_samples} empty samples of 2000");
        // Random starting points: the samples spread over the table.
        assert!(seen.len() > 300, "{}", seen.len());
        for i in (0..990).chain(100_000..102_000) {
            d.remove(&k(i));
        }
        let mut got = Vec::new();
        d.sample(&mut rng, 20, |key, _| got.push(key.to_vec()));
        assert!(got.iter().all(|key| d.get(key).is_some()));
    }

    proptest! {
        #[test]
        fn snapshot_sees_start_time_contents(
            start in 0u32..300,
            ops in proptest::collection::vec((0u8..5, 0u32..600), 0..600),
            step in 1usize..20,
        ) {
            check_snapshot(start, &ops, step);
        }

        #[test]
        fn behaves_like_a_map(ops in proptest::collection::vec((0u8..3, 0u32..64), 1..400)) {
            let mut d = Dict::default();
            let mut model = BTreeMap::new();
            for (op, key) in ops {
                match op {
                    0 => { prop_assert_eq!(d.insert(&k(key), e(key)).is_some(), model.insert(key, ()).is_some()); }
                    1 => { prop_assert_eq!(d.remove(&k(key)).is_some(), model.remove(&key).is_some()); }
                    _ => { prop_assert_eq!(d.get(&k(key)).is_some(), model.contains_key(&key)); }
                }
                prop_assert_eq!(d.len(), model.len());
            }
            prop_assert_eq!(d.iter().count(), model.len());
            let mut rng = rand::rng();
            if !model.is_empty() {
                let r = d.random_key(&mut rng).expect("non-empty").to_vec();
                prop_assert!(d.get(&r).is_some());
            }
        }
    }
}
