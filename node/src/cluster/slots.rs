//! The slot table: who owns each of the 16384 hash slots, kept two ways at once (Redis keeps
//! `clusterState.slots[]` plus one `clusterNode.slots` bitmap per node for the same reason).
//!
//! - per slot, a small index into an owner table (O(1) "who owns slot s"), and
//! - per owner, a [`SlotBitmap`] and a slot count (O(words) "which slots does X own", "how
//!   many", "is every slot assigned", and the bus's `myslots` header as a word copy).
//!
//! Bus messages compare claims word by word against the bitmaps, so a PING costs 256 word
//! operations, not 16384 slot comparisons (the simulation runs thousands of them per seed).
//!
//! Invariants ([`SlotTable::check`]): slot `s` names owner entry `i` iff bit `s` is set in
//! entry `i`'s bitmap; every entry's count is its bitmap's population; `assigned` is the
//! sum of the counts; an entry with count 0 is free for reuse (its id is `None`).

use std::ops::Index;

use shoal_common::slot::SLOT_COUNT;

use super::NodeId;

/// 64-bit words in a slot bitmap.
pub const WORDS: usize = SLOT_COUNT / 64;

/// A set of slots, bit `s % 64` of word `s / 64` for slot `s` (little-endian bytes of the
/// words give the bus's 2048-byte bitmap: byte `s / 8`, bit `s % 8`).
#[derive(Clone, PartialEq, Eq)]
pub struct SlotBitmap(Box<[u64; WORDS]>);

impl Default for SlotBitmap {
    fn default() -> Self {
        SlotBitmap(Box::new([0; WORDS]))
    }
}

impl std::fmt::Debug for SlotBitmap {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "SlotBitmap({} slots)", self.count())
    }
}

impl SlotBitmap {
    /// True if slot `s` is in the set.
    pub fn get(&self, s: usize) -> bool {
        self.0[s / 64] & (1 << (s % 64)) != 0
    }

    /// Adds (`on`) or removes slot `s`.
    pub fn set(&mut self, s: usize, on: bool) {
        if on {
            self.0[s / 64] |= 1 << (s % 64);
        } else {
            self.0[s / 64] &= !(1 << (s % 64));
        }
    }

    /// The words.
    pub fn words(&self) -> &[u64; WORDS] {
        &self.0
    }

    /// Number of slots in the set.
    pub fn count(&self) -> usize {
        self.0.iter().map(|w| w.count_ones() as usize).sum()
    }

    /// True if no slot is in the set.
    pub fn is_empty(&self) -> bool {
        self.0.iter().all(|&w| w == 0)
    }

    /// True if the two sets share a slot.
    pub fn intersects(&self, other: &SlotBitmap) -> bool {
        self.0.iter().zip(other.0.iter()).any(|(a, b)| a & b != 0)
    }

    /// The slots in the set, ascending.
    pub fn iter(&self) -> impl Iterator<Item = usize> + '_ {
        ones(self.0.iter().copied())
    }

    /// The 2048-byte wire form.
    pub fn to_bytes(&self) -> [u8; SLOT_COUNT / 8] {
        let mut out = [0u8; SLOT_COUNT / 8];
        for (chunk, w) in out.chunks_exact_mut(8).zip(self.0.iter()) {
            chunk.copy_from_slice(&w.to_le_bytes());
        }
        out
    }

    /// From the 2048-byte wire form; `None` for another length.
    pub fn from_bytes(b: &[u8]) -> Option<SlotBitmap> {
        if b.len() != SLOT_COUNT / 8 {
            return None;
        }
        let mut out = SlotBitmap::default();
        for (w, chunk) in out.0.iter_mut().zip(b.chunks_exact(8)) {
            *w = u64::from_le_bytes(chunk.try_into().expect("invariant: chunks of 8"));
        }
        Some(out)
    }
}

/// The positions of the set bits of a word sequence, ascending.
pub fn ones(words: impl Iterator<Item = u64>) -> impl Iterator<Item = usize> {
    words.enumerate().flat_map(|(i, mut w)| {
        std::iter::from_fn(move || {
            if w == 0 {
                return None;
            }
            let b = w.trailing_zeros() as usize;
            w &= w - 1;
            Some(i * 64 + b)
        })
    })
}

/// One slot owner.
#[derive(Clone, Debug, Default)]
struct Entry {
    bits: SlotBitmap,
    count: usize,
}

/// Owner of every slot (see the module header).
#[derive(Clone, Debug)]
pub struct SlotTable {
    /// Per slot: 0 = unassigned, `i` = `ids[i]`.
    owner: Vec<u16>,
    /// Owner ids; `ids[0]` is `None` (unassigned) and so is every free entry.
    ids: Vec<Option<NodeId>>,
    /// Per owner index, parallel to `ids` (entry 0 unused).
    entries: Vec<Entry>,
    /// Slots with an owner.
    assigned: usize,
}

impl Default for SlotTable {
    fn default() -> Self {
        SlotTable {
            owner: vec![0; SLOT_COUNT],
            ids: vec![None],
            entries: vec![Entry::default()],
            assigned: 0,
        }
    }
}

impl Index<usize> for SlotTable {
    type Output = Option<NodeId>;

    /// The owner of slot `s`.
    fn index(&self, s: usize) -> &Option<NodeId> {
        &self.ids[usize::from(self.owner[s])]
    }
}

impl PartialEq for SlotTable {
    /// Same owner for every slot (the internal indexes may differ).
    fn eq(&self, other: &SlotTable) -> bool {
        self.assigned == other.assigned
            && self.owned().all(|(id, bits)| {
                other
                    .index_of(&id)
                    .is_some_and(|j| other.entries[j].bits == *bits)
            })
    }
}

impl SlotTable {
    /// Number of slots (16384).
    pub fn len(&self) -> usize {
        SLOT_COUNT
    }

    /// Always false: there are 16384 slots.
    pub fn is_empty(&self) -> bool {
        false
    }

    /// The owner of each slot, ascending.
    pub fn iter(&self) -> impl Iterator<Item = Option<NodeId>> + '_ {
        self.owner.iter().map(|&i| self.ids[usize::from(i)])
    }

    fn index_of(&self, id: &NodeId) -> Option<usize> {
        self.ids.iter().position(|x| x.as_ref() == Some(id))
    }

    /// Owners with at least one slot and their slots, in owner-table order.
    pub fn owned(&self) -> impl Iterator<Item = (NodeId, &SlotBitmap)> + '_ {
        self.ids
            .iter()
            .zip(self.entries.iter())
            .filter_map(|(id, e)| id.map(|id| (id, &e.bits)))
    }

    /// Slots owned by `id` (an empty set if none).
    pub fn bitmap(&self, id: &NodeId) -> SlotBitmap {
        self.index_of(id)
            .map(|i| self.entries[i].bits.clone())
            .unwrap_or_default()
    }

    /// Number of slots owned by `id`.
    pub fn count(&self, id: &NodeId) -> usize {
        self.index_of(id).map_or(0, |i| self.entries[i].count)
    }

    /// Number of assigned slots.
    pub fn assigned(&self) -> usize {
        self.assigned
    }

    /// Gives slot `s` to `owner` (or unassigns it); true if that changed anything.
    pub fn set(&mut self, s: usize, owner: Option<NodeId>) -> bool {
        let old = usize::from(self.owner[s]);
        if self.ids[old] == owner {
            return false;
        }
        if old != 0 {
            let e = &mut self.entries[old];
            e.bits.set(s, false);
            e.count -= 1;
            self.assigned -= 1;
            if e.count == 0 {
                self.ids[old] = None;
            }
        }
        self.owner[s] = 0;
        if let Some(id) = owner {
            let i = self.entry_for(id);
            let e = &mut self.entries[i];
            e.bits.set(s, true);
            e.count += 1;
            self.assigned += 1;
            self.owner[s] = u16::try_from(i).expect("invariant: fewer than 65536 owners");
        }
        true
    }

    /// The entry of `id`, created (or a free one reused) if it owns nothing yet.
    fn entry_for(&mut self, id: NodeId) -> usize {
        if let Some(i) = self.index_of(&id) {
            return i;
        }
        if let Some(i) = (1..self.ids.len()).find(|&i| self.ids[i].is_none()) {
            self.ids[i] = Some(id);
            return i;
        }
        self.ids.push(Some(id));
        self.entries.push(Entry::default());
        self.ids.len() - 1
    }

    /// Maximal runs of consecutive slots with the same owner: `(first, last, owner)`,
    /// ascending.
    pub fn runs(&self) -> Vec<(usize, usize, NodeId)> {
        let mut out = Vec::new();
        let mut start = 0;
        for s in 1..=SLOT_COUNT {
            if s < SLOT_COUNT && self.owner[s] == self.owner[start] {
                continue;
            }
            if let Some(o) = self.ids[usize::from(self.owner[start])] {
                out.push((start, s - 1, o));
            }
            start = s;
        }
        out
    }

    /// Unassigns every slot of `id`.
    pub fn remove_owner(&mut self, id: &NodeId) -> bool {
        let Some(i) = self.index_of(id) else {
            return false;
        };
        for s in self.entries[i].bits.iter() {
            self.owner[s] = 0;
        }
        self.assigned -= self.entries[i].count;
        self.entries[i] = Entry::default();
        self.ids[i] = None;
        true
    }

    /// Gives every slot of `from` to `to`; true if `from` owned any.
    pub fn reassign(&mut self, from: &NodeId, to: NodeId) -> bool {
        let bits = self.bitmap(from);
        for s in bits.iter() {
            self.set(s, Some(to));
        }
        !bits.is_empty()
    }

    /// Unassigns every slot.
    pub fn clear(&mut self) {
        *self = SlotTable::default();
    }

    /// Panics if the two representations disagree (module invariants).
    pub fn check(&self) {
        let mut total = 0;
        for (i, e) in self.entries.iter().enumerate().skip(1) {
            assert_eq!(e.count, e.bits.count(), "slot count of owner entry {i}");
            assert_eq!(
                e.count == 0,
                self.ids[i].is_none(),
                "owner entry {i} liveness"
            );
            for s in e.bits.iter() {
                assert_eq!(usize::from(self.owner[s]), i, "slot {s} owner index");
            }
            total += e.count;
        }
        assert_eq!(total, self.assigned, "assigned slot count");
        let indexed = self.owner.iter().filter(|&&i| i != 0).count();
        assert_eq!(indexed, self.assigned, "slots with an owner index");
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use rand::SeedableRng;

    #[test]
    fn bytes_round_trip_and_bit_layout() {
        let mut b = SlotBitmap::default();
        for s in [0, 7, 8, 63, 64, 5000, 16383] {
            b.set(s, true);
        }
        let bytes = b.to_bytes();
        assert_eq!(bytes[0], 0x81);
        assert_eq!(bytes[1], 0x01);
        assert_eq!(bytes[2047], 0x80);
        assert_eq!(SlotBitmap::from_bytes(&bytes), Some(b.clone()));
        assert_eq!(b.iter().collect::<Vec<_>>(), [0, 7, 8, 63, 64, 5000, 16383]);
        assert!(SlotBitmap::from_bytes(&bytes[1..]).is_none());
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]
        /// Random assignments keep both representations in step with a plain array.
        #[test]
        fn table_matches_a_plain_array(ops in proptest::collection::vec((0usize..SLOT_COUNT, 0u8..5), 0..120)) {
            let mut rng = rand::rngs::SmallRng::seed_from_u64(3);
            let ids: Vec<NodeId> = (0..4).map(|_| NodeId::random(&mut rng)).collect();
            let mut t = SlotTable::default();
            let mut plain: Vec<Option<NodeId>> = vec![None; SLOT_COUNT];
            for (k, (s, o)) in ops.into_iter().enumerate() {
                let owner = ids.get(usize::from(o)).copied();
                if o == 4 && s % 7 == 0 {
                    t.remove_owner(&ids[s % 4]);
                    plain.iter_mut().filter(|x| **x == Some(ids[s % 4])).for_each(|x| *x = None);
                } else {
                    t.set(s, owner);
                    plain[s] = owner;
                }
                if k % 16 == 0 {
                    t.check();
                }
            }
            t.check();
            for (s, o) in plain.iter().enumerate() {
                prop_assert_eq!(t[s], *o);
            }
            for id in &ids {
                prop_assert_eq!(t.count(id), plain.iter().filter(|x| **x == Some(*id)).count());
            }
            let mut rebuilt = SlotTable::default();
            for (s, o) in plain.iter().enumerate().rev() {
                rebuilt.set(s, *o);
            }
            prop_assert!(rebuilt == t);
        }
    }
}
