//! Stream consumer groups (Redis `streamCG`, `streamConsumer`, `streamNACK` in `stream.h`).
//!
//! A group has a last delivered ID, a logical read counter (`entries_read`, `None` when
//! unknown), its pending entries list (PEL: ID → owner, delivery time and count) and its
//! consumers, each with its own PEL of IDs. Groups and consumers are kept in name order, as
//! Redis's radix trees return them.
//!
//! Invariants: every ID in a consumer's PEL is in the group's PEL with that consumer as
//! owner, and every group PEL entry is in exactly its owner's PEL.

use std::collections::{BTreeMap, BTreeSet};

use bytes::Bytes;

use super::stream::{Stream, StreamId};

/// A pending entry (Redis `streamNACK`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Nack {
    /// Last delivery, Unix ms.
    pub delivery_time_ms: i64,
    /// Number of deliveries.
    pub delivery_count: u64,
    /// The consumer owning it.
    pub consumer: Bytes,
}

/// A consumer (Redis `streamConsumer`).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Consumer {
    /// Last time it was seen (read or claimed), Unix ms.
    pub seen_time_ms: i64,
    /// The IDs it owns.
    pub pel: BTreeSet<StreamId>,
}

/// A consumer group (Redis `streamCG`).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Group {
    /// Last delivered ID.
    pub last_id: StreamId,
    /// Logical read counter; `None` when it cannot be known.
    pub entries_read: Option<u64>,
    /// Pending entries.
    pub pel: BTreeMap<StreamId, Nack>,
    /// Consumers by name.
    pub consumers: BTreeMap<Bytes, Consumer>,
}

impl Group {
    /// A new group at `last_id`.
    pub fn new(last_id: StreamId, entries_read: Option<u64>) -> Group {
        Group {
            last_id,
            entries_read,
            ..Group::default()
        }
    }

    /// Removes `id` from the PEL and its owner's PEL; true if it was pending.
    pub fn ack(&mut self, id: StreamId) -> bool {
        let Some(nack) = self.pel.remove(&id) else {
            return false;
        };
        if let Some(c) = self.consumers.get_mut(&nack.consumer) {
            c.pel.remove(&id);
        }
        true
    }

    /// Makes `consumer` (which must exist) the owner of pending `id`, creating the NACK
    /// with `nack` when missing; returns the NACK.
    pub fn assign(&mut self, id: StreamId, consumer: &Bytes, nack: Nack) -> &mut Nack {
        if let Some(old) = self.pel.get(&id).map(|n| n.consumer.clone())
            && old != *consumer
            && let Some(c) = self.consumers.get_mut(&old)
        {
            c.pel.remove(&id);
        }
        self.consumers
            .get_mut(consumer)
            .expect("invariant: caller created the consumer")
            .pel
            .insert(id);
        let entry = self.pel.entry(id).or_insert(nack);
        entry.consumer = consumer.clone();
        entry
    }

    /// Heap bytes (MEMORY USAGE): PEL entries, consumers and their PELs, as B-tree slots.
    pub fn heap_bytes(&self) -> usize {
        // A B-tree slot: the key and value plus about a word of node overhead.
        let slot = |kv: usize| kv + std::mem::size_of::<usize>();
        let pel =
            self.pel.len() * slot(std::mem::size_of::<StreamId>() + std::mem::size_of::<Nack>());
        let consumers: usize = self
            .consumers
            .iter()
            .map(|(name, c)| {
                slot(std::mem::size_of::<Bytes>() + std::mem::size_of::<Consumer>())
                    + name.len()
                    + c.pel.len() * slot(std::mem::size_of::<StreamId>())
            })
            .sum();
        pel + consumers
    }

    /// Deletes `name` and its pending entries; returns how many it had (None if missing).
    pub fn delete_consumer(&mut self, name: &[u8]) -> Option<usize> {
        let c = self.consumers.remove(name)?;
        for id in &c.pel {
            self.pel.remove(id);
        }
        Some(c.pel.len())
    }
}

impl Stream {
    /// True if a deleted entry may lie in `start..` (Redis `streamRangeHasTombstones` with
    /// an open end).
    pub fn range_has_tombstones(&self, start: StreamId) -> bool {
        if self.is_empty() || self.max_deleted_id == StreamId::MIN {
            return false;
        }
        if self.first_id > self.max_deleted_id {
            return false;
        }
        start <= self.max_deleted_id
    }

    /// The logical read counter of `id`: how many entries were added up to it, when that
    /// can be known (Redis `streamEstimateDistanceFromFirstEverEntry`).
    pub fn estimate_distance(&self, id: StreamId) -> Option<u64> {
        if self.entries_added == 0 {
            return Some(0);
        }
        if self.is_empty() && id <= self.last_id {
            return Some(self.entries_added);
        }
        match id.cmp(&self.last_id) {
            std::cmp::Ordering::Equal => return Some(self.entries_added),
            std::cmp::Ordering::Greater => return None,
            std::cmp::Ordering::Less => {}
        }
        if self.max_deleted_id == StreamId::MIN || self.max_deleted_id < self.first_id {
            match id.cmp(&self.first_id) {
                std::cmp::Ordering::Less => return Some(self.entries_added - self.len()),
                std::cmp::Ordering::Equal => return Some(self.entries_added - self.len() + 1),
                std::cmp::Ordering::Greater => {}
            }
        }
        None
    }

    /// The number of entries `group` has not read yet, when known (Redis
    /// `streamReplyWithCGLag`; signed as there: an ENTRIESREAD above the entries added makes
    /// it negative).
    pub fn lag(&self, group: &Group) -> Option<i64> {
        let signed = |n: u64| i64::try_from(n).unwrap_or(i64::MAX);
        if self.entries_added == 0 {
            return Some(0);
        }
        let added = signed(self.entries_added);
        if let Some(read) = group.entries_read
            && !self.range_has_tombstones(group.last_id)
        {
            return Some(added.wrapping_sub(signed(read)));
        }
        self.estimate_distance(group.last_id)
            .map(|read| added.wrapping_sub(signed(read)))
    }

    /// Moves `group`'s last ID to a delivered `id`, updating its read counter (Redis's
    /// update in `streamReplyWithRange`).
    pub fn advance_group(&self, group: &mut Group, id: StreamId) {
        if id <= group.last_id {
            return;
        }
        if let Some(read) = group.entries_read
            && !self.range_has_tombstones(id)
        {
            group.entries_read = Some(read + 1);
        } else if self.entries_added != 0 {
            group.entries_read = self.estimate_distance(id);
        }
        group.last_id = id;
    }
}
