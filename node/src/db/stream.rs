//! The stream value (Redis `t_stream.c` / `stream.h`): entries ordered by 128-bit IDs.
//!
//! Entries live in *nodes* keyed by their first ("master") ID in a `BTreeMap`, as Redis keeps
//! listpacks in a radix tree keyed by master ID. A node holds up to `stream-node-max-entries`
//! entries (deleted ones included) and closes once its emulated listpack size would reach
//! `stream-node-max-bytes` ([`NodeLimits`]), exactly where Redis starts a new listpack.
//! That matters for behaviour, not just memory: approximate trimming (`MAXLEN ~`, `MINID ~`)
//! removes whole nodes only, and `XINFO STREAM` reports the node count, so both must match
//! Redis's layout.
//!
//! A node's entries are packed into one buffer (flags, ID deltas, packed strings), walked
//! linearly as Redis walks a listpack; when an entry's field names equal the node's master
//! fields (the first entry's), only its values are stored, which is the compression Redis's
//! `SAMEFIELDS` flag gives. Deleting an entry sets its flag (a tombstone) until the whole
//! node goes.
//!
//! Invariants: nodes are non-empty in live entries; every ID in a node is >= its key and <
//! the next node's key; `len` counts live entries; `last_id` >= every ID ever added;
//! `first_id` is the first live ID (0-0 when empty).

use std::collections::BTreeMap;

use bytes::Bytes;

use super::listpack::write_varint;

/// The node size limits (`stream-node-max-bytes`, `stream-node-max-entries`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NodeLimits {
    /// Emulated listpack bytes per node; 0 means Redis's ceiling ([`NODE_BYTES_CEILING`]).
    pub max_bytes: usize,
    /// Entries per node, deleted ones included; 0 means no limit.
    pub max_entries: usize,
}

impl Default for NodeLimits {
    /// Redis 7.0's defaults.
    fn default() -> NodeLimits {
        NodeLimits {
            max_bytes: 4096,
            max_entries: 100,
        }
    }
}

/// The largest node Redis builds whatever the setting (`STREAM_LISTPACK_MAX_SIZE`, 1 GiB).
pub const NODE_BYTES_CEILING: usize = 1 << 30;

impl NodeLimits {
    /// The LIMIT an approximate trim gets when none is given: 100 nodes' worth of entries,
    /// or 10000 when that is 0 or above a million (Redis's rule).
    pub fn default_trim_limit(self) -> u64 {
        let n = (self.max_entries as u64).saturating_mul(100);
        if n == 0 || n > 1_000_000 { 10_000 } else { n }
    }
}

/// A stream entry ID: milliseconds and sequence number, ordered as a 128-bit number.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct StreamId {
    /// Milliseconds part.
    pub ms: u64,
    /// Sequence part.
    pub seq: u64,
}

impl StreamId {
    /// The smallest ID (0-0).
    pub const MIN: StreamId = StreamId { ms: 0, seq: 0 };
    /// The largest ID.
    pub const MAX: StreamId = StreamId {
        ms: u64::MAX,
        seq: u64::MAX,
    };

    /// A new ID.
    pub const fn new(ms: u64, seq: u64) -> StreamId {
        StreamId { ms, seq }
    }

    /// The next ID, or `None` past [`StreamId::MAX`] (Redis `streamIncrID`).
    pub fn incr(self) -> Option<StreamId> {
        match self.seq.checked_add(1) {
            Some(seq) => Some(StreamId::new(self.ms, seq)),
            None => self.ms.checked_add(1).map(|ms| StreamId::new(ms, 0)),
        }
    }

    /// The previous ID, or `None` below 0-0 (Redis `streamDecrID`).
    pub fn decr(self) -> Option<StreamId> {
        match self.seq.checked_sub(1) {
            Some(seq) => Some(StreamId::new(self.ms, seq)),
            None => self.ms.checked_sub(1).map(|ms| StreamId::new(ms, u64::MAX)),
        }
    }

    /// The 16 big-endian bytes Redis uses as the radix-tree key.
    pub fn to_be_bytes(self) -> [u8; 16] {
        let mut out = [0u8; 16];
        out[..8].copy_from_slice(&self.ms.to_be_bytes());
        out[8..].copy_from_slice(&self.seq.to_be_bytes());
        out
    }
}

impl std::fmt::Display for StreamId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}-{}", self.ms, self.seq)
    }
}

/// Item flag: the entry was deleted (a tombstone, as Redis's `STREAM_ITEM_FLAG_DELETED`).
const FLAG_DELETED: u8 = 1;
/// Item flag: the field names are the node's master fields; only values are packed.
const FLAG_SAME_FIELDS: u8 = 2;

/// One entry inside a node, decoded from the node's buffer.
#[derive(Debug, Clone, Copy)]
struct Item<'a> {
    /// Byte offset of its flags byte in the node's buffer.
    off: usize,
    id: StreamId,
    flags: u8,
    /// Packed strings: values only (`FLAG_SAME_FIELDS`), else field, value, field, value...
    data: &'a [u8],
}

impl Item<'_> {
    fn deleted(&self) -> bool {
        self.flags & FLAG_DELETED != 0
    }
}

/// A node: a run of consecutive entries in one buffer (Redis: one listpack). Each item is
/// `[flags: u8] [ms - master ms: varint] [seq: varint] [data length: varint] [data]`, so
/// an entry of one short field costs a few bytes beyond its value, as in a listpack.
#[derive(Debug, Clone, PartialEq)]
struct Node {
    master_id: StreamId,
    master_fields: Box<[Bytes]>,
    buf: Vec<u8>,
    /// Items in `buf`, deleted ones included.
    count: usize,
    live: usize,
    /// ID of the last item in `buf` (deleted or not).
    last_id: StreamId,
    /// The entries' part of the emulated listpack size (without the header and master entry).
    items_lp_bytes: usize,
}

fn read_varint(buf: &[u8], pos: &mut usize) -> u64 {
    let mut v = 0u64;
    let mut shift = 0;
    loop {
        let b = buf[*pos];
        *pos += 1;
        v |= u64::from(b & 0x7f) << shift;
        shift += 7;
        if b & 0x80 == 0 {
            return v;
        }
    }
}

fn write_varint_u64(out: &mut Vec<u8>, v: u64) {
    write_varint(out, usize::try_from(v).expect("invariant: 64-bit usize"));
}

/// Iterator over a node's items in ID order.
struct Items<'a> {
    node: &'a Node,
    pos: usize,
}

impl<'a> Iterator for Items<'a> {
    type Item = Item<'a>;
    fn next(&mut self) -> Option<Item<'a>> {
        let buf = &self.node.buf;
        if self.pos >= buf.len() {
            return None;
        }
        let off = self.pos;
        let flags = buf[off];
        let mut pos = off + 1;
        let ms = self.node.master_id.ms + read_varint(buf, &mut pos);
        let seq = read_varint(buf, &mut pos);
        let len = usize::try_from(read_varint(buf, &mut pos)).expect("invariant: 64-bit usize");
        let data = &buf[pos..pos + len];
        self.pos = pos + len;
        Some(Item {
            off,
            id: StreamId::new(ms, seq),
            flags,
            data,
        })
    }
}

/// How a trim decides what to remove.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Trim {
    /// Keep at most this many entries.
    MaxLen(u64),
    /// Remove entries with IDs below this one.
    MinId(StreamId),
}

/// A stream value.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Stream {
    nodes: BTreeMap<StreamId, Node>,
    len: u64,
    /// The last ID ever generated (XADD / XSETID).
    pub last_id: StreamId,
    /// The first live ID (0-0 when empty).
    pub first_id: StreamId,
    /// The largest ID ever deleted (XDEL, trimming) or set by XSETID MAXDELETEDID.
    pub max_deleted_id: StreamId,
    /// Entries ever added (XADD, or XSETID ENTRIESADDED).
    pub entries_added: u64,
    /// Consumer groups by name (Redis keeps them in a radix tree: name order).
    pub groups: BTreeMap<Bytes, super::stream_cg::Group>,
}

/// Splits packed strings back into slices.
fn unpack(data: &[u8]) -> Vec<&[u8]> {
    let mut out = Vec::new();
    let mut pos = 0;
    while pos < data.len() {
        let mut len = 0usize;
        let mut shift = 0;
        loop {
            let b = data[pos];
            pos += 1;
            len |= usize::from(b & 0x7f) << shift;
            shift += 7;
            if b & 0x80 == 0 {
                break;
            }
        }
        out.push(&data[pos..pos + len]);
        pos += len;
    }
    out
}

/// Bytes a listpack takes to store the integer `v` (Redis `lpEncodeIntegerGetType` plus
/// the back-length byte).
fn lp_int_bytes(v: i64) -> usize {
    let enc = if (0..=127).contains(&v) {
        1
    } else if (-4096..=4095).contains(&v) {
        2
    } else if (-32768..=32767).contains(&v) {
        3
    } else if (-8_388_608..=8_388_607).contains(&v) {
        4
    } else if i32::try_from(v).is_ok() {
        5
    } else {
        9
    };
    enc + 1
}

fn lp_backlen_bytes(enc: usize) -> usize {
    match enc {
        0..=127 => 1,
        128..16383 => 2,
        16383..2_097_151 => 3,
        2_097_151..268_435_455 => 4,
        _ => 5,
    }
}

/// Bytes a listpack takes to store `s` (integers in canonical form are stored as integers).
fn lp_str_bytes(s: &[u8]) -> usize {
    if s.len() <= 20
        && let Some(v) = shoal_common::number::parse_i64(s)
    {
        return lp_int_bytes(v);
    }
    let enc = s.len()
        + match s.len() {
            0..=63 => 1,
            64..=4095 => 2,
            _ => 5,
        };
    enc + lp_backlen_bytes(enc)
}

fn lp_u64_bytes(v: u64) -> usize {
    lp_int_bytes(i64::try_from(v).unwrap_or(-1))
}

impl Node {
    /// Emulated listpack bytes: header and end byte, master entry, entries.
    fn lp_bytes(&self) -> usize {
        let deleted = self.count - self.live;
        7 + lp_u64_bytes(self.live as u64)
            + lp_u64_bytes(deleted as u64)
            + lp_u64_bytes(self.master_fields.len() as u64)
            + self
                .master_fields
                .iter()
                .map(|f| lp_str_bytes(f))
                .sum::<usize>()
            + lp_int_bytes(0)
            + self.items_lp_bytes
    }

    fn master_id(&self) -> StreamId {
        self.master_id
    }

    fn items(&self) -> Items<'_> {
        Items { node: self, pos: 0 }
    }

    fn fields_values(&self, it: &Item<'_>) -> Vec<Bytes> {
        let parts = unpack(it.data);
        if it.flags & FLAG_SAME_FIELDS != 0 {
            self.master_fields
                .iter()
                .zip(parts)
                .flat_map(|(f, v)| [f.clone(), Bytes::copy_from_slice(v)])
                .collect()
        } else {
            parts.into_iter().map(Bytes::copy_from_slice).collect()
        }
    }
}

/// An entry as commands see it: its ID and its field, value, field, value... list.
pub type Entry = (StreamId, Vec<Bytes>);

impl Stream {
    /// An empty stream.
    pub fn new() -> Stream {
        Stream::default()
    }

    /// Number of live entries.
    pub fn len(&self) -> u64 {
        self.len
    }

    /// True when there are no entries.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Number of nodes (XINFO `radix-tree-keys`).
    pub fn node_count(&self) -> usize {
        self.nodes.len()
    }

    /// Appends an entry with `id` (> `last_id`, checked by the caller) and `pairs` (field,
    /// value, ...), starting a new node where Redis starts a new listpack.
    pub fn append(&mut self, id: StreamId, pairs: &[Bytes], limits: NodeLimits) {
        debug_assert!(id > self.last_id || (self.len == 0 && id >= self.last_id));
        let total_len: usize = pairs.iter().map(Bytes::len).sum();
        let max_bytes = match limits.max_bytes {
            0 => NODE_BYTES_CEILING,
            n => n.min(NODE_BYTES_CEILING),
        };
        let reuse = self.nodes.last_key_value().is_some_and(|(_, n)| {
            n.lp_bytes() + total_len < max_bytes
                && (limits.max_entries == 0 || n.count < limits.max_entries)
        });
        self.append_in(id, pairs, reuse);
    }

    /// Appends to the last node when `reuse`, else to a new node (RESTORE rebuilding a
    /// stream node by node).
    fn append_in(&mut self, id: StreamId, pairs: &[Bytes], reuse: bool) {
        if !reuse || self.nodes.is_empty() {
            let master_fields: Box<[Bytes]> = pairs.iter().step_by(2).cloned().collect();
            self.nodes.insert(
                id,
                Node {
                    master_id: id,
                    master_fields,
                    buf: Vec::new(),
                    count: 0,
                    last_id: id,
                    live: 0,
                    items_lp_bytes: 0,
                },
            );
        }
        let node = self
            .nodes
            .last_entry()
            .expect("invariant: a node exists")
            .into_mut();
        let master_id = node.master_id;
        let numfields = pairs.len() / 2;
        let same_fields = node.master_fields.len() == numfields
            && node
                .master_fields
                .iter()
                .zip(pairs.iter().step_by(2))
                .all(|(a, b)| a == b);
        let mut data = Vec::new();
        let mut lp = lp_int_bytes(0) // flags
            + lp_u64_bytes(id.ms.wrapping_sub(master_id.ms))
            + lp_u64_bytes(id.seq.wrapping_sub(master_id.seq));
        if same_fields {
            for v in pairs.iter().skip(1).step_by(2) {
                write_varint(&mut data, v.len());
                data.extend_from_slice(v);
                lp += lp_str_bytes(v);
            }
            lp += lp_u64_bytes(numfields as u64 + 3);
        } else {
            lp += lp_u64_bytes(numfields as u64);
            for s in pairs {
                write_varint(&mut data, s.len());
                data.extend_from_slice(s);
                lp += lp_str_bytes(s);
            }
            lp += lp_u64_bytes(2 * numfields as u64 + 4);
        }
        let mut head = vec![if same_fields { FLAG_SAME_FIELDS } else { 0 }];
        write_varint_u64(&mut head, id.ms - master_id.ms);
        write_varint_u64(&mut head, id.seq);
        write_varint(&mut head, data.len());
        // Exact size, as a listpack grows: memory over the copy an append costs.
        node.buf.reserve_exact(head.len() + data.len());
        node.buf.extend_from_slice(&head);
        node.buf.extend_from_slice(&data);
        node.count += 1;
        node.last_id = id;
        node.live += 1;
        node.items_lp_bytes += lp;
        if self.len == 0 {
            self.first_id = id;
        }
        self.len += 1;
        self.last_id = id;
    }

    /// Restores one item as DUMP saw it: `first_in_node` starts a new node, `deleted` keeps
    /// it as a tombstone. The caller restores the counters afterwards.
    pub fn restore_item(
        &mut self,
        id: StreamId,
        pairs: &[Bytes],
        first_in_node: bool,
        deleted: bool,
    ) {
        self.append_in(id, pairs, !first_in_node);
        if deleted {
            let node = self
                .nodes
                .last_entry()
                .expect("invariant: just appended")
                .into_mut();
            let off = node.items().last().expect("invariant: just appended").off;
            node.buf[off] |= FLAG_DELETED;
            node.live -= 1;
            self.len -= 1;
        }
    }

    /// Every node's items (ID, tombstone flag, field, value, ...), for DUMP.
    pub fn node_items(&self) -> Vec<Vec<(StreamId, bool, Vec<Bytes>)>> {
        self.nodes
            .values()
            .map(|n| {
                n.items()
                    .map(|it| (it.id, it.deleted(), n.fields_values(&it)))
                    .collect()
            })
            .collect()
    }

    /// True when every node holds a live entry (a restored layout must).
    pub fn nodes_have_live_entries(&self) -> bool {
        self.nodes.values().all(|n| n.live > 0)
    }

    /// The node holding `id` if any: the last node whose key is <= `id`.
    fn node_key_for(&self, id: StreamId) -> Option<StreamId> {
        self.nodes.range(..=id).next_back().map(|(k, _)| *k)
    }

    /// Deletes the entry `id`; false if there is no such live entry (Redis
    /// `streamDeleteItem`). Updates `max_deleted_id` and `first_id`.
    pub fn delete(&mut self, id: StreamId) -> bool {
        let Some(key) = self.node_key_for(id) else {
            return false;
        };
        let node = self.nodes.get_mut(&key).expect("invariant: key from map");
        let Some(off) = node
            .items()
            .find(|it| it.id >= id)
            .filter(|it| it.id == id && !it.deleted())
            .map(|it| it.off)
        else {
            return false;
        };
        node.buf[off] |= FLAG_DELETED;
        node.live -= 1;
        if node.live == 0 {
            self.nodes.remove(&key);
        }
        self.len -= 1;
        if id > self.max_deleted_id {
            self.max_deleted_id = id;
        }
        if id == self.first_id {
            self.refresh_first_id();
        }
        true
    }

    fn refresh_first_id(&mut self) {
        self.first_id = self.first_entry_id().unwrap_or(StreamId::MIN);
    }

    /// The first live entry's ID.
    pub fn first_entry_id(&self) -> Option<StreamId> {
        self.nodes
            .values()
            .next()
            .and_then(|n| n.items().find(|it| !it.deleted()))
            .map(|it| it.id)
    }

    /// The last live entry's ID (Redis `streamLastValidID`).
    pub fn last_entry_id(&self) -> Option<StreamId> {
        self.nodes
            .values()
            .next_back()
            .and_then(|n| n.items().filter(|it| !it.deleted()).last())
            .map(|it| it.id)
    }

    /// The first item's ID, deleted or not (Redis `streamGetEdgeID` without skipping
    /// tombstones, used to rewrite an approximate MINID trim).
    pub fn first_item_id(&self) -> Option<StreamId> {
        self.nodes.values().next().map(Node::master_id)
    }

    /// Up to `count` live entries with IDs in `start..=end`, ascending (or descending when
    /// `rev`), seeking in O(log n).
    pub fn range(&self, start: StreamId, end: StreamId, rev: bool, count: usize) -> Vec<Entry> {
        let mut out = Vec::new();
        if start > end || count == 0 {
            return out;
        }
        let first_key = self.node_key_for(start).unwrap_or(start);
        if rev {
            for node in self.nodes.range(first_key..=end).rev().map(|(_, n)| n) {
                let items: Vec<Item<'_>> = node.items().take_while(|it| it.id <= end).collect();
                for it in items.iter().rev() {
                    if it.id < start {
                        return out;
                    }
                    if !it.deleted() {
                        out.push((it.id, node.fields_values(it)));
                        if out.len() == count {
                            return out;
                        }
                    }
                }
            }
        } else {
            for node in self.nodes.range(first_key..=end).map(|(_, n)| n) {
                for it in node.items().skip_while(|it| it.id < start) {
                    if it.id > end {
                        return out;
                    }
                    if !it.deleted() {
                        out.push((it.id, node.fields_values(&it)));
                        if out.len() == count {
                            return out;
                        }
                    }
                }
            }
        }
        out
    }

    /// Every live entry, ascending.
    pub fn entries(&self) -> Vec<Entry> {
        self.range(StreamId::MIN, StreamId::MAX, false, usize::MAX)
    }

    /// Trims (Redis `streamTrim`): whole nodes from the head while allowed, then, unless
    /// `approx`, single entries inside the next node. `limit` (0 = none) bounds the entries
    /// removed. Returns how many were removed.
    pub fn trim(&mut self, how: Trim, approx: bool, limit: u64) -> u64 {
        let mut removed = 0u64;
        while let Some(mut entry) = self.nodes.first_entry() {
            if limit != 0 && removed >= limit {
                break;
            }
            if let Trim::MaxLen(max) = how
                && self.len <= max
            {
                break;
            }
            let node = entry.get();
            let live = node.live as u64;
            let whole = match how {
                Trim::MaxLen(max) => self.len - live >= max,
                Trim::MinId(min) => node.last_id < min,
            };
            if whole {
                if limit != 0 && removed + live > limit {
                    break;
                }
                entry.remove();
                self.len -= live;
                removed += live;
                continue;
            }
            if approx {
                break;
            }
            let node = entry.get_mut();
            let mut tombstones = Vec::new();
            let mut len = self.len;
            for it in node.items() {
                let stop = match how {
                    Trim::MaxLen(max) => len <= max,
                    Trim::MinId(min) => it.id >= min,
                };
                if stop {
                    break;
                }
                if !it.deleted() {
                    tombstones.push(it.off);
                    len -= 1;
                }
            }
            for off in &tombstones {
                node.buf[*off] |= FLAG_DELETED;
            }
            let n = tombstones.len();
            node.live -= n;
            self.len -= n as u64;
            removed += n as u64;
            break;
        }
        self.refresh_first_id();
        removed
    }

    /// Number of radix-tree nodes Redis's rax would have for this stream's node keys
    /// (`XINFO STREAM` `radix-tree-nodes`): branches, compressed runs and leaves of the trie
    /// of 16-byte big-endian master IDs.
    pub fn rax_nodes(&self) -> usize {
        let keys: Vec<[u8; 16]> = self.nodes.keys().map(|k| k.to_be_bytes()).collect();
        if keys.is_empty() {
            return 1;
        }
        rax_count(&keys, 0, false)
    }

    /// Heap bytes (MEMORY USAGE).
    pub fn heap_bytes(&self) -> usize {
        let per_node = std::mem::size_of::<StreamId>() + std::mem::size_of::<Node>() + 16;
        self.nodes
            .values()
            .map(|n| {
                per_node
                    + n.master_fields.iter().map(Bytes::len).sum::<usize>()
                    + n.master_fields.len() * std::mem::size_of::<Bytes>()
                    + n.buf.capacity()
            })
            .sum::<usize>()
            + self
                .groups
                .iter()
                .map(|(name, g)| {
                    name.len() + std::mem::size_of::<super::stream_cg::Group>() + g.heap_bytes()
                })
                .sum::<usize>()
    }

    /// The master ID of every node, ascending (tests and debugging).
    pub fn node_keys(&self) -> Vec<StreamId> {
        self.nodes.values().map(Node::master_id).collect()
    }
}

/// Rax nodes below the trie node of `keys` (all sharing `depth` bytes); `in_run` when the
/// parent already belongs to a compressed run this node continues.
fn rax_count(keys: &[[u8; 16]], depth: usize, in_run: bool) -> usize {
    if depth == 16 {
        return 1;
    }
    let first = keys[0][depth];
    if keys.iter().all(|k| k[depth] == first) {
        return usize::from(!in_run) + rax_count(keys, depth + 1, true);
    }
    let mut total = 1;
    let mut start = 0;
    while start < keys.len() {
        let b = keys[start][depth];
        let end = start + keys[start..].partition_point(|k| k[depth] == b);
        total += rax_count(&keys[start..end], depth + 1, false);
        start = end;
    }
    total
}

#[cfg(test)]
mod tests {
    use super::*;

    fn b(s: &str) -> Bytes {
        Bytes::copy_from_slice(s.as_bytes())
    }

    fn ids(s: &Stream) -> Vec<u64> {
        s.entries().iter().map(|(id, _)| id.ms).collect()
    }

    fn filled(n: u64) -> Stream {
        let mut s = Stream::new();
        for i in 1..=n {
            s.append(
                StreamId::new(i, 0),
                &[b("f"), b("v")],
                NodeLimits::default(),
            );
        }
        s
    }

    #[test]
    fn append_and_range_both_ways() {
        let mut s = Stream::new();
        s.append(
            StreamId::new(1, 0),
            &[b("a"), b("1")],
            NodeLimits::default(),
        );
        s.append(
            StreamId::new(2, 0),
            &[b("a"), b("2"), b("b"), b("3")],
            NodeLimits::default(),
        );
        s.append(
            StreamId::new(3, 0),
            &[b("a"), b("4")],
            NodeLimits::default(),
        );
        assert_eq!(s.len(), 3);
        let all = s.range(StreamId::MIN, StreamId::MAX, false, usize::MAX);
        assert_eq!(all[1].1, vec![b("a"), b("2"), b("b"), b("3")]);
        assert_eq!(all[2].1, vec![b("a"), b("4")]);
        let rev = s.range(StreamId::new(2, 0), StreamId::MAX, true, 1);
        assert_eq!(rev.len(), 1);
        assert_eq!(rev[0].0, StreamId::new(3, 0));
    }

    #[test]
    fn nodes_split_at_max_entries_and_bytes() {
        let s = filled(250);
        assert_eq!(s.node_count(), 3);
        assert_eq!(
            s.node_keys(),
            vec![
                StreamId::new(1, 0),
                StreamId::new(101, 0),
                StreamId::new(201, 0)
            ]
        );
        let mut big = Stream::new();
        let v = Bytes::from(vec![b'x'; 1500]);
        for i in 1..=4 {
            big.append(
                StreamId::new(i, 0),
                &[b("f"), v.clone()],
                NodeLimits::default(),
            );
        }
        assert_eq!(big.node_count(), 2);
    }

    #[test]
    fn delete_updates_first_and_max_deleted() {
        let mut s = filled(5);
        assert!(s.delete(StreamId::new(1, 0)));
        assert!(!s.delete(StreamId::new(1, 0)));
        assert_eq!(s.first_id, StreamId::new(2, 0));
        assert!(s.delete(StreamId::new(4, 0)));
        assert_eq!(s.max_deleted_id, StreamId::new(4, 0));
        assert_eq!(ids(&s), vec![2, 3, 5]);
        for i in [2, 3, 5] {
            assert!(s.delete(StreamId::new(i, 0)));
        }
        assert_eq!(s.node_count(), 0);
        assert_eq!(s.first_id, StreamId::MIN);
    }

    #[test]
    fn approximate_trim_removes_whole_nodes_only() {
        let mut s = filled(250);
        assert_eq!(s.trim(Trim::MaxLen(120), true, 0), 100);
        assert_eq!(s.len(), 150);
        assert_eq!(s.trim(Trim::MaxLen(120), false, 0), 30);
        assert_eq!(s.len(), 120);
        assert_eq!(s.first_id, StreamId::new(131, 0));
        let mut m = filled(250);
        assert_eq!(m.trim(Trim::MinId(StreamId::new(150, 0)), true, 0), 100);
        assert_eq!(m.trim(Trim::MinId(StreamId::new(150, 0)), false, 0), 49);
        assert_eq!(m.first_id, StreamId::new(150, 0));
    }

    #[test]
    fn trim_limit_bounds_removed_nodes() {
        let mut s = filled(300);
        assert_eq!(s.trim(Trim::MaxLen(0), true, 100), 100);
        assert_eq!(s.len(), 200);
    }

    #[test]
    fn rax_node_counts() {
        let s = Stream::new();
        assert_eq!(s.rax_nodes(), 1);
        let one = filled(1);
        assert_eq!(one.rax_nodes(), 2);
        // Keys 1-0 and 101-0 differ in the 8th byte only: a run, a branch, then a run and
        // a leaf under each side (Redis 7.0 reports 6).
        let two = filled(101);
        assert_eq!(two.rax_nodes(), 6);
    }

    #[test]
    fn listpack_sizes() {
        assert_eq!(lp_str_bytes(b"12"), 2);
        assert_eq!(lp_str_bytes(b"-1"), 3);
        assert_eq!(lp_str_bytes(b"abc"), 5);
        assert_eq!(lp_str_bytes(&[b'x'; 100]), 100 + 2 + 1);
        assert_eq!(lp_int_bytes(1 << 40), 10);
    }

    #[test]
    fn id_arithmetic() {
        assert_eq!(StreamId::new(1, u64::MAX).incr(), Some(StreamId::new(2, 0)));
        assert_eq!(StreamId::MAX.incr(), None);
        assert_eq!(StreamId::new(2, 0).decr(), Some(StreamId::new(1, u64::MAX)));
        assert_eq!(StreamId::MIN.decr(), None);
    }
}
