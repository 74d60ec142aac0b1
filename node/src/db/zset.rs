//! The sorted-set value (Redis `t_zset.c` data structures: listpack and skiplist + dict).
//!
//! Two encodings, chosen by Redis 7.0's rules so `OBJECT ENCODING` answers the same:
//! - **listpack**: every entry packed in one byte buffer ([`Packed`]), walked linearly.
//!   Used while `len <= zset-max-listpack-entries` and every member is at most
//!   `zset-max-listpack-value` bytes. A set converts to skiplist when an insert would break
//!   either limit (checked before the insert, as `zsetAdd` does) and never converts back on
//!   removal; sets built whole (ZUNIONSTORE, ZRANGESTORE, ...) take listpack when they fit.
//! - **skiplist**: a member→score hash map plus an order-statistics sequence ([`Blocks`]):
//!   sorted blocks of at most [`BLOCK_MAX`] entries with a Fenwick tree over their lengths.
//!   That gives what Redis's skiplist gives: O(log n) rank of a member, O(log n) entry at a
//!   rank, O(log n) first entry in a score or lex range, then O(1) per element walked, so a
//!   range of `m` elements costs O(log n + m). Inserts and deletes cost O(log n + BLOCK_MAX)
//!   plus an amortised share of block splits.
//!
//! Order: by score (`-0.0 == 0.0`, as C's `<` compares them), then by member bytes (memcmp).
//! Invariants: no NaN score is ever stored; members are unique; in the skiplist encoding the
//! map and the blocks hold the same (member, score) pairs, no block is empty, and the Fenwick
//! tree sums the block lengths.

use std::collections::VecDeque;

use bytes::Bytes;
use indexmap::IndexMap;

use super::compact::CompactBytes;
use super::zset_listpack::Packed;
use std::cmp::Ordering;

/// Maximum entries in one block of the skiplist encoding. Small enough that an insert's
/// memmove stays cheap, large enough that the block index stays small (1M members make
/// about 4k blocks). Unit tests use tiny blocks so that splits, merges and the Fenwick
/// search are exercised by small sets.
#[cfg(not(test))]
pub const BLOCK_MAX: usize = 512;
/// See the non-test definition.
#[cfg(test)]
pub const BLOCK_MAX: usize = 4;

type Hasher = foldhash::fast::RandomState;

/// The thresholds of the listpack encoding (`zset-max-listpack-entries`,
/// `zset-max-listpack-value`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Most entries a listpack holds.
    pub max_entries: usize,
    /// Longest member (bytes) a listpack holds.
    pub max_value: usize,
}

impl Default for Limits {
    fn default() -> Limits {
        Limits {
            max_entries: 128,
            max_value: 64,
        }
    }
}

/// Compares two entries in sorted-set order (score, then member bytes).
pub fn cmp_entry(a_score: f64, a_member: &[u8], b_score: f64, b_member: &[u8]) -> Ordering {
    a_score
        .partial_cmp(&b_score)
        .expect("invariant: sorted-set scores are never NaN")
        .then_with(|| a_member.cmp(b_member))
}

/// A sorted set.
#[derive(Debug, Clone)]
pub enum ZSet {
    /// Small sets: sorted entries packed in one buffer.
    Listpack(Packed),
    /// Large sets: a map for lookups and an order-statistics sequence for ranks and ranges.
    Skiplist(Box<Skiplist>),
}

/// The large encoding.
#[derive(Debug, Clone, Default)]
pub struct Skiplist {
    /// Member -> score. An `IndexMap` so ZSCAN has a stable cursor: positions are walked
    /// downwards and `swap_remove` only moves the last entry into a lower slot.
    /// Members are [`CompactBytes`], here and in the blocks: a member of up to 22 bytes is
    /// stored inside the entry (no allocation, no pointer to follow when comparing).
    dict: IndexMap<CompactBytes, f64, Hasher>,
    seq: Blocks,
}

/// One block of the skiplist encoding's sequence.
type Block = VecDeque<(f64, CompactBytes)>;

/// A sorted sequence of entries with O(log n) rank and index operations.
#[derive(Debug, Clone, Default)]
pub struct Blocks {
    /// Ring buffers, so popping either end of a block (ZPOPMIN/ZPOPMAX) moves nothing and
    /// an insert moves the shorter side.
    blocks: Vec<Block>,
    /// Fenwick tree (1-based) over `blocks[i].len()`.
    fenwick: Vec<usize>,
    len: usize,
}

impl Blocks {
    fn from_sorted(entries: Vec<(f64, CompactBytes)>) -> Blocks {
        let len = entries.len();
        let half = BLOCK_MAX / 2;
        let mut blocks = Vec::with_capacity(len / half + 1);
        let mut it = entries.into_iter().peekable();
        while it.peek().is_some() {
            blocks.push(it.by_ref().take(half).collect::<Block>());
        }
        let mut b = Blocks {
            blocks,
            fenwick: Vec::new(),
            len,
        };
        b.rebuild_index();
        b
    }

    fn rebuild_index(&mut self) {
        let n = self.blocks.len();
        self.fenwick = vec![0; n + 1];
        for i in 0..n {
            let j = i + 1;
            self.fenwick[j] += self.blocks[i].len();
            let parent = j + (j & j.wrapping_neg());
            if parent <= n {
                let v = self.fenwick[j];
                self.fenwick[parent] += v;
            }
        }
    }

    fn fenwick_add(&mut self, block: usize, delta: isize) {
        let mut j = block + 1;
        while j < self.fenwick.len() {
            self.fenwick[j] = self.fenwick[j].wrapping_add_signed(delta);
            j += j & j.wrapping_neg();
        }
    }

    /// Entries in blocks before `block`.
    fn prefix(&self, block: usize) -> usize {
        let mut j = block;
        let mut sum = 0;
        while j > 0 {
            sum += self.fenwick[j];
            j -= j & j.wrapping_neg();
        }
        sum
    }

    /// (block, offset) of the entry at `index` (< len).
    fn locate(&self, index: usize) -> (usize, usize) {
        let n = self.blocks.len();
        let mut pos = 0;
        let mut rem = index;
        let mut step = n.next_power_of_two();
        while step > 0 {
            let next = pos + step;
            if next <= n && self.fenwick[next] <= rem {
                pos = next;
                rem -= self.fenwick[next];
            }
            step >>= 1;
        }
        (pos, rem)
    }

    fn get(&self, index: usize) -> Option<(f64, &CompactBytes)> {
        if index >= self.len {
            return None;
        }
        let (b, o) = self.locate(index);
        let (s, m) = &self.blocks[b][o];
        Some((*s, m))
    }

    /// Number of leading entries for which `pred` holds (`pred` is true then false).
    fn partition_point(&self, pred: impl Fn(f64, &[u8]) -> bool) -> usize {
        let b = self.blocks.partition_point(|blk| {
            let (s, m) = blk.back().expect("invariant: no empty block");
            pred(*s, m)
        });
        if b == self.blocks.len() {
            return self.len;
        }
        self.prefix(b) + self.blocks[b].partition_point(|(s, m)| pred(*s, m))
    }

    fn insert(&mut self, score: f64, member: CompactBytes) {
        if self.blocks.is_empty() {
            self.blocks.push(Block::from([(score, member)]));
            self.len = 1;
            self.rebuild_index();
            return;
        }
        let before = |s: f64, m: &[u8]| cmp_entry(s, m, score, &member) == Ordering::Less;
        let last = self.blocks.len() - 1;
        let b = self
            .blocks
            .partition_point(|blk| {
                let (s, m) = blk.back().expect("invariant: no empty block");
                before(*s, m)
            })
            .min(last);
        let o = self.blocks[b].partition_point(|(s, m)| before(*s, m));
        self.blocks[b].insert(o, (score, member));
        self.len += 1;
        if self.blocks[b].len() > BLOCK_MAX {
            let tail = self.blocks[b].split_off(BLOCK_MAX / 2);
            self.blocks.insert(b + 1, tail);
            self.rebuild_index();
        } else {
            self.fenwick_add(b, 1);
        }
    }

    /// Removes the entry (`score`, `member`), returning its stored member.
    fn remove(&mut self, score: f64, member: &[u8]) -> Option<CompactBytes> {
        let i = self.partition_point(|s, m| cmp_entry(s, m, score, member) == Ordering::Less);
        let (s, m) = self.get(i)?;
        if cmp_entry(s, m, score, member) != Ordering::Equal {
            return None;
        }
        let (b, o) = self.locate(i);
        let (_, stored) = self.blocks[b]
            .remove(o)
            .expect("invariant: located entries exist");
        self.len -= 1;
        if self.blocks[b].is_empty() {
            self.blocks.remove(b);
            self.rebuild_index();
        } else {
            self.fenwick_add(b, -1);
        }
        Some(stored)
    }

    /// Removes the entries at ranks `start..end`, returning them in order.
    fn drain(&mut self, start: usize, end: usize) -> Vec<(f64, CompactBytes)> {
        let end = end.min(self.len);
        if start >= end {
            return Vec::new();
        }
        let mut out = Vec::with_capacity(end - start);
        let (mut b, mut o) = self.locate(start);
        let mut remaining = end - start;
        let mut emptied = false;
        while remaining > 0 {
            let blk = &mut self.blocks[b];
            let take = (blk.len() - o).min(remaining);
            out.extend(blk.drain(o..o + take));
            emptied |= blk.is_empty();
            // Only this block's length changed: O(log n), not a rebuild of the index.
            self.fenwick_add(
                b,
                -isize::try_from(take).expect("invariant: a block fits isize"),
            );
            remaining -= take;
            b += 1;
            o = 0;
        }
        self.len -= out.len();
        if emptied {
            self.blocks.retain(|blk| !blk.is_empty());
            self.rebuild_index();
        }
        out
    }

    fn iter_range(
        &self,
        start: usize,
        end: usize,
    ) -> Box<dyn DoubleEndedIterator<Item = (f64, &[u8])> + '_> {
        let end = end.min(self.len);
        if start >= end {
            return Box::new(std::iter::empty());
        }
        let (b0, o0) = self.locate(start);
        let (b1, o1) = self.locate(end - 1);
        Box::new(
            self.blocks[b0..=b1]
                .iter()
                .enumerate()
                .flat_map(move |(k, blk)| {
                    let lo = if k == 0 { o0 } else { 0 };
                    let hi = if k == b1 - b0 { o1 + 1 } else { blk.len() };
                    blk.range(lo..hi)
                })
                .map(|(s, m)| (*s, m.as_ref())),
        )
    }

    fn into_vec(self) -> Vec<(f64, Bytes)> {
        self.blocks
            .into_iter()
            .flatten()
            .map(|(s, m)| (s, m.to_bytes()))
            .collect()
    }
}

impl PartialEq for ZSet {
    fn eq(&self, other: &ZSet) -> bool {
        self.is_listpack() == other.is_listpack()
            && self.len() == other.len()
            && self.iter().eq(other.iter())
    }
}

impl Default for ZSet {
    fn default() -> ZSet {
        ZSet::Listpack(Packed::default())
    }
}

impl Skiplist {
    /// Bytes it holds on the heap, the members' own bytes estimated from the first
    /// `samples` of them (MEMORY USAGE).
    pub fn heap_bytes(&self, samples: usize) -> usize {
        let members = super::memsize::sampled(
            self.dict.keys().map(|m| m.heap_bytes()),
            self.dict.len(),
            samples,
        );
        let blocks: usize = self
            .seq
            .blocks
            .iter()
            .map(|b| b.capacity() * std::mem::size_of::<(f64, CompactBytes)>())
            .sum();
        super::memsize::index_map_bytes::<CompactBytes, f64>(self.dict.capacity())
            + blocks
            + self.seq.blocks.capacity() * std::mem::size_of::<Block>()
            + self.seq.fenwick.capacity() * std::mem::size_of::<usize>()
            // Each member is held twice: in the map and in its block.
            + 2 * members
    }
}

impl ZSet {
    /// Bytes it holds on the heap (MEMORY USAGE; see [`Skiplist::heap_bytes`]).
    pub fn heap_bytes(&self, samples: usize) -> usize {
        match self {
            ZSet::Listpack(p) => p.heap_bytes(),
            ZSet::Skiplist(z) => std::mem::size_of::<Skiplist>() + z.heap_bytes(samples),
        }
    }

    /// An empty set in the encoding Redis would pick for a first member of `first_len`
    /// bytes (`zsetTypeCreate`).
    pub fn new_for(limits: Limits, first_len: usize) -> ZSet {
        if limits.max_entries == 0 || first_len > limits.max_value {
            ZSet::Skiplist(Box::default())
        } else {
            ZSet::Listpack(Packed::default())
        }
    }

    /// A set holding `entries` (unique members, any order), in the encoding a set built
    /// whole gets (`zsetConvertToListpackIfNeeded`).
    pub fn from_entries(mut entries: Vec<(f64, Bytes)>, limits: Limits) -> ZSet {
        entries.sort_by(|a, b| cmp_entry(a.0, &a.1, b.0, &b.1));
        let fits = entries.len() <= limits.max_entries
            && entries.iter().all(|(_, m)| m.len() <= limits.max_value);
        if fits {
            ZSet::Listpack(Packed::from_sorted(
                entries.iter().map(|(s, m)| (*s, m.as_ref())),
            ))
        } else {
            ZSet::skiplist_from_sorted(entries)
        }
    }

    /// The same set in the encoding a loaded set gets under `limits` (RESTORE: listpack when
    /// it fits, skiplist otherwise).
    pub fn with_limits(self, limits: Limits) -> ZSet {
        let fits = self.len() <= limits.max_entries
            && self.iter().all(|(_, m)| m.len() <= limits.max_value);
        if fits == self.is_listpack() {
            return self;
        }
        ZSet::from_entries(self.into_vec(), limits)
    }

    fn skiplist_from_sorted(entries: Vec<(f64, Bytes)>) -> ZSet {
        let entries: Vec<(f64, CompactBytes)> = entries
            .into_iter()
            .map(|(s, m)| (s, CompactBytes::from(m)))
            .collect();
        let dict = entries.iter().map(|(s, m)| (m.clone(), *s)).collect();
        ZSet::Skiplist(Box::new(Skiplist {
            dict,
            seq: Blocks::from_sorted(entries),
        }))
    }

    /// True in the listpack encoding.
    pub fn is_listpack(&self) -> bool {
        matches!(self, ZSet::Listpack(_))
    }

    /// `OBJECT ENCODING`.
    pub fn encoding(&self) -> &'static str {
        if self.is_listpack() {
            "listpack"
        } else {
            "skiplist"
        }
    }

    /// Number of members.
    pub fn len(&self) -> usize {
        match self {
            ZSet::Listpack(v) => v.len(),
            ZSet::Skiplist(z) => z.seq.len,
        }
    }

    /// True when empty.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The score of `member`.
    pub fn score(&self, member: &[u8]) -> Option<f64> {
        match self {
            ZSet::Listpack(v) => v.score(member),
            ZSet::Skiplist(z) => z.dict.get(member).copied(),
        }
    }

    /// The entry at rank `index` (ascending).
    pub fn get(&self, index: usize) -> Option<(f64, &[u8])> {
        match self {
            ZSet::Listpack(v) => v.iter().nth(index),
            ZSet::Skiplist(z) => z.seq.get(index).map(|(s, m)| (s, m.as_ref())),
        }
    }

    /// Number of leading entries (ascending order) for which `pred(score, member)` holds;
    /// `pred` must be true on a prefix and false after it.
    pub fn partition_point(&self, pred: impl Fn(f64, &[u8]) -> bool) -> usize {
        match self {
            ZSet::Listpack(v) => v.iter().take_while(|(s, m)| pred(*s, m)).count(),
            ZSet::Skiplist(z) => z.seq.partition_point(pred),
        }
    }

    /// The 0-based ascending rank of `member` and its score.
    pub fn rank(&self, member: &[u8]) -> Option<(usize, f64)> {
        let score = self.score(member)?;
        let r = self.partition_point(|s, m| cmp_entry(s, m, score, member) == Ordering::Less);
        Some((r, score))
    }

    /// Entries at ranks `start..end` in ascending order (reverse the iterator for
    /// descending).
    pub fn range(
        &self,
        start: usize,
        end: usize,
    ) -> Box<dyn DoubleEndedIterator<Item = (f64, &[u8])> + '_> {
        match self {
            ZSet::Listpack(v) => {
                let end = end.min(v.len());
                let start = start.min(end);
                // The packed form only walks forwards; small enough to collect.
                let items: Vec<_> = v.iter().skip(start).take(end - start).collect();
                Box::new(items.into_iter())
            }
            ZSet::Skiplist(z) => z.seq.iter_range(start, end),
        }
    }

    /// Every entry in ascending order.
    pub fn iter(&self) -> Box<dyn DoubleEndedIterator<Item = (f64, &[u8])> + '_> {
        self.range(0, self.len())
    }

    /// Converts a listpack to a skiplist.
    fn convert_to_skiplist(&mut self) {
        if let ZSet::Listpack(v) = self {
            let entries = v
                .iter()
                .map(|(s, m)| (s, Bytes::copy_from_slice(m)))
                .collect();
            *self = ZSet::skiplist_from_sorted(entries);
        }
    }

    /// Adds a member that is not present, converting first if the listpack would break a
    /// limit (`zsetAdd`).
    pub fn insert_new(&mut self, score: f64, member: &[u8], limits: Limits) {
        debug_assert!(!score.is_nan());
        if let ZSet::Listpack(v) = self
            && (v.len() + 1 > limits.max_entries || member.len() > limits.max_value)
        {
            self.convert_to_skiplist();
        }
        match self {
            ZSet::Listpack(v) => v.insert(score, member),
            ZSet::Skiplist(z) => {
                let member = CompactBytes::from_slice(member);
                super::value::room_for_one(&mut z.dict);
                z.dict.insert(member.clone(), score);
                z.seq.insert(score, member);
            }
        }
    }

    /// Sets the score of a present member.
    pub fn update(&mut self, member: &[u8], old: f64, new: f64) {
        debug_assert!(!new.is_nan());
        match self {
            ZSet::Listpack(v) => {
                let removed = v.remove(member);
                debug_assert!(removed.is_some(), "invariant: update of a present member");
                v.insert(new, member);
            }
            ZSet::Skiplist(z) => {
                let slot = z
                    .dict
                    .get_mut(member)
                    .expect("invariant: update of a present member");
                let score = std::mem::replace(slot, new);
                debug_assert_eq!(score.to_bits(), old.to_bits());
                let stored = z
                    .seq
                    .remove(score, member)
                    .expect("invariant: dict and sequence agree");
                z.seq.insert(new, stored);
            }
        }
    }

    /// Removes `member`, returning its score.
    pub fn remove(&mut self, member: &[u8]) -> Option<f64> {
        match self {
            ZSet::Listpack(v) => v.remove(member),
            ZSet::Skiplist(z) => {
                let score = z.dict.swap_remove(member)?;
                let found = z.seq.remove(score, member);
                debug_assert!(found.is_some(), "invariant: dict and sequence agree");
                Some(score)
            }
        }
    }

    /// Removes the entries at ascending ranks `start..end`, returning them in order.
    pub fn drain(&mut self, start: usize, end: usize) -> Vec<(f64, Bytes)> {
        match self {
            ZSet::Listpack(v) => v.drain(start, end),
            ZSet::Skiplist(z) => {
                let out = z.seq.drain(start, end);
                for (_, m) in &out {
                    z.dict.swap_remove(m.as_slice());
                }
                out.into_iter().map(|(s, m)| (s, m.to_bytes())).collect()
            }
        }
    }

    /// One step of ZSCAN: appends visited entries to `out` and returns the next cursor (0
    /// when done). A listpack is returned whole, as Redis does. A skiplist walks its map's
    /// positions downwards from `cursor` (0 = start): an entry present for the whole scan is
    /// returned at least once whatever is added or removed meanwhile.
    pub fn scan(&self, cursor: u64, count: usize, out: &mut Vec<(f64, Bytes)>) -> u64 {
        match self {
            ZSet::Listpack(v) => {
                out.extend(v.iter().map(|(s, m)| (s, Bytes::copy_from_slice(m))));
                0
            }
            ZSet::Skiplist(z) => {
                let len = z.dict.len();
                let mut rem = if cursor == 0 {
                    len
                } else {
                    usize::try_from(cursor).unwrap_or(usize::MAX).min(len)
                };
                let mut visited = 0;
                while rem > 0 && visited < count.max(1) {
                    rem -= 1;
                    if let Some((m, s)) = z.dict.get_index(rem) {
                        out.push((*s, m.to_bytes()));
                    }
                    visited += 1;
                }
                rem as u64
            }
        }
    }

    /// Every entry in ascending order, consuming the set.
    pub fn into_vec(self) -> Vec<(f64, Bytes)> {
        match self {
            ZSet::Listpack(v) => v
                .iter()
                .map(|(s, m)| (s, Bytes::copy_from_slice(m)))
                .collect(),
            ZSet::Skiplist(z) => z.seq.into_vec(),
        }
    }

    /// Checks the structural invariants (tests and debug builds).
    pub fn check_invariants(&self) {
        let entries: Vec<(f64, &[u8])> = self.iter().collect();
        assert_eq!(entries.len(), self.len());
        for w in entries.windows(2) {
            assert!(cmp_entry(w[0].0, w[0].1, w[1].0, w[1].1).is_lt(), "order");
        }
        if let ZSet::Skiplist(z) = self {
            assert_eq!(z.dict.len(), z.seq.len);
            assert!(z.seq.blocks.iter().all(|b| !b.is_empty()));
            for (i, b) in z.seq.blocks.iter().enumerate() {
                assert_eq!(z.seq.prefix(i + 1) - z.seq.prefix(i), b.len());
            }
            for (s, m) in &entries {
                assert_eq!(z.dict.get(*m).map(|x| x.to_bits()), Some(s.to_bits()));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use std::collections::{BTreeMap, HashMap};

    use proptest::prelude::*;

    use super::*;

    fn b(s: &str) -> Bytes {
        Bytes::from(s.to_string())
    }

    #[test]
    fn listpack_converts_past_limits_and_orders_by_score_then_member() {
        let limits = Limits {
            max_entries: 3,
            max_value: 4,
        };
        let mut z = ZSet::new_for(limits, 1);
        z.insert_new(2.0, &b("b"), limits);
        z.insert_new(1.0, &b("z"), limits);
        z.insert_new(2.0, &b("a"), limits);
        assert!(z.is_listpack());
        let order: Vec<_> = z.iter().map(|(_, m)| Bytes::copy_from_slice(m)).collect();
        assert_eq!(order, vec![b("z"), b("a"), b("b")]);
        z.insert_new(0.0, &b("c"), limits);
        assert_eq!(z.encoding(), "skiplist");
        assert_eq!(z.rank(b"a"), Some((2, 2.0)));
        let mut w = ZSet::new_for(limits, 1);
        w.insert_new(1.0, &b("long!"), limits);
        assert_eq!(w.encoding(), "skiplist");
        assert_eq!(ZSet::new_for(limits, 5).encoding(), "skiplist");
        z.check_invariants();
    }

    #[test]
    fn negative_zero_equals_zero_in_order() {
        let limits = Limits::default();
        let mut z = ZSet::default();
        z.insert_new(0.0, &b("b"), limits);
        z.insert_new(-0.0, &b("a"), limits);
        let order: Vec<_> = z.iter().map(|(_, m)| Bytes::copy_from_slice(m)).collect();
        assert_eq!(order, vec![b("a"), b("b")]);
    }

    #[test]
    fn zscan_returns_every_stable_member_while_others_come_and_go() {
        let limits = Limits {
            max_entries: 0,
            max_value: 64,
        };
        let mut z = ZSet::new_for(limits, 1);
        for i in 0..500 {
            z.insert_new(f64::from(i), format!("s{i}").as_bytes(), limits);
            z.insert_new(f64::from(i), format!("v{i}").as_bytes(), limits);
        }
        let mut seen = std::collections::HashSet::new();
        let (mut cursor, mut round) = (0, 0);
        loop {
            let mut out = Vec::new();
            cursor = z.scan(cursor, 7, &mut out);
            seen.extend(out.into_iter().map(|(_, m)| m));
            // Volatile members leave, new ones arrive, stable ones change score.
            z.remove(format!("v{}", round * 3 % 500).as_bytes());
            z.insert_new(-1.0, format!("new{round}").as_bytes(), limits);
            let m = format!("s{}", round * 7 % 500);
            let old = z.score(m.as_bytes()).expect("stable member");
            z.update(m.as_bytes(), old, old + 1000.0);
            round += 1;
            if cursor == 0 {
                break;
            }
            assert!(round < 10_000);
        }
        for i in 0..500 {
            assert!(seen.contains(format!("s{i}").as_bytes()), "s{i} missed");
        }
        z.check_invariants();
    }

    #[derive(Debug, Clone)]
    enum Op {
        Add(u16, i16),
        Remove(u16),
        Drain(u16, u16),
    }

    fn op() -> impl Strategy<Value = Op> {
        prop_oneof![
            6 => (0u16..3000, -50i16..50).prop_map(|(m, s)| Op::Add(m, s)),
            3 => (0u16..3000).prop_map(Op::Remove),
            1 => (0u16..3000, 0u16..40).prop_map(|(a, n)| Op::Drain(a, n)),
        ]
    }

    /// Member `m` of the model: every fourth one longer than the 22-byte inline limit.
    fn member_name(m: u16) -> Bytes {
        if m.is_multiple_of(4) {
            Bytes::from(format!("m{m:05}-a-member-longer-than-inline"))
        } else {
            Bytes::from(format!("m{m:05}"))
        }
    }

    /// The model: (score, member) -> () ordered like the set, plus member -> score.
    type Model = (BTreeMap<(i16, Bytes), ()>, HashMap<Bytes, i16>);

    fn apply(z: &mut ZSet, model: &mut Model, op: &Op, limits: Limits) {
        match op {
            Op::Add(m, s) => {
                let member = member_name(*m);
                match model.1.insert(member.clone(), *s) {
                    None => z.insert_new(f64::from(*s), &member, limits),
                    Some(old) => {
                        model.0.remove(&(old, member.clone()));
                        z.update(&member, f64::from(old), f64::from(*s));
                    }
                }
                model.0.insert((*s, member), ());
            }
            Op::Remove(m) => {
                let member = member_name(*m);
                let got = z.remove(&member);
                let want = model.1.remove(&member);
                assert_eq!(got, want.map(f64::from));
                if let Some(s) = want {
                    model.0.remove(&(s, member));
                }
            }
            Op::Drain(start, n) => {
                let start = usize::from(*start);
                let end = start + usize::from(*n);
                let got = z.drain(start, end);
                let want: Vec<(i16, Bytes)> = model
                    .0
                    .keys()
                    .skip(start)
                    .take(end - start)
                    .cloned()
                    .collect();
                for (s, m) in &want {
                    model.0.remove(&(*s, m.clone()));
                    model.1.remove(m);
                }
                let want: Vec<(f64, Bytes)> =
                    want.into_iter().map(|(s, m)| (f64::from(s), m)).collect();
                assert_eq!(got, want);
            }
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 32, ..ProptestConfig::default() })]
        #[test]
        fn zset_matches_btreemap_model(
            ops in proptest::collection::vec(op(), 1..3000),
            max_entries in 0usize..200,
            probe in 0usize..3000,
        ) {
            let limits = Limits { max_entries, max_value: 64 };
            let mut z = ZSet::new_for(limits, 6);
            let mut model: Model = Default::default();
            for op in &ops {
                apply(&mut z, &mut model, op, limits);
            }
            z.check_invariants();
            let want: Vec<(f64, Bytes)> =
                model.0.keys().map(|(s, m)| (f64::from(*s), m.clone())).collect();
            let got: Vec<(f64, Bytes)> = z.iter().map(|(s, m)| (s, Bytes::copy_from_slice(m))).collect();
            prop_assert_eq!(&got, &want);
            let rev: Vec<(f64, Bytes)> = z.iter().rev().map(|(s, m)| (s, Bytes::copy_from_slice(m))).collect();
            prop_assert_eq!(rev, want.iter().rev().cloned().collect::<Vec<_>>());
            for (i, (s, m)) in want.iter().enumerate() {
                prop_assert_eq!(z.rank(m), Some((i, *s)));
            }
            // A middle range, and a score bound located by binary search.
            let start = probe.min(want.len());
            let end = (start + 37).min(want.len());
            let got: Vec<(f64, Bytes)> =
                z.range(start, end).map(|(s, m)| (s, Bytes::copy_from_slice(m))).collect();
            prop_assert_eq!(&got[..], &want[start..end]);
            let ge_zero = z.partition_point(|s, _| s < 0.0);
            prop_assert_eq!(ge_zero, want.iter().filter(|(s, _)| *s < 0.0).count());
        }
    }
}
