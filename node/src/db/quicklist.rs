//! The list value: a sequence of packed nodes (Redis 7.0 `quicklist.c` over `listpack.c`).
//!
//! A list is a `Vec` of nodes, each one byte buffer holding a run of elements back to back,
//! so a small list costs one allocation for the node table and one per node instead of one
//! per element. Node size follows `list-max-listpack-size` as Redis's
//! `_quicklistNodeAllowInsert` applies it: a negative fill `-1..-5` caps a node at 4, 8, 16,
//! 32 or 64 KiB (default `-2`: 8 KiB), a positive fill caps its element count (and the bytes
//! at Redis's 8 KiB safety limit). A single element larger than the cap gets a node of its
//! own. Node compression (`list-compress-depth`) is not implemented: Redis's default is 0
//! (off), and the setting is accepted but has no effect here.
//!
//! Entry layout (like a listpack entry, simplified): `[len: LEB128][bytes][backlen]`, where
//! `backlen` is the size of `len` + `bytes`, written so that it reads backwards (the byte at
//! the highest address holds the low 7 bits; bit 7 set means "more bytes before this one").
//! Forward and backward walks are therefore both O(1) per element, which RPOP, LRANGE with
//! negative indexes and LPOS RANK -n need.
//!
//! Invariants: no node is empty; `len` is the sum of the node counts; each node's `buf` is
//! exactly `count` well-formed entries. A node's capacity is the allocator's size class for
//! its length ([`size_class`]), never more: that is the memory jemalloc hands out for the
//! exact size anyway, and it spares the reallocation on most pushes and pops (Redis's
//! listpack reallocates only past `zmalloc_size` when it grows, for the same reason).

use bytes::Bytes;
use shoal_common::resp::RawArray;

/// Redis's `SIZE_SAFETY_LIMIT`: the byte cap of a node under a positive fill.
const SIZE_SAFETY_LIMIT: usize = 8192;
/// Redis's `optimization_level`: the byte cap of a node for fill -1..-5.
const OPTIMIZATION_LEVEL: [usize; 5] = [4096, 8192, 16384, 32768, 65536];
/// Redis 7.0's default `list-max-listpack-size`.
pub const DEFAULT_FILL: i64 = -2;

/// One node: `count` entries packed in `buf`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
struct Node {
    buf: Vec<u8>,
    count: u32,
}

/// A list.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct QuickList {
    nodes: Vec<Node>,
    len: usize,
}

fn leb_len(mut v: usize) -> usize {
    let mut n = 1;
    while v >= 0x80 {
        v >>= 7;
        n += 1;
    }
    n
}

/// Bytes one element of `n` bytes takes in a node.
fn entry_size(n: usize) -> usize {
    let head = leb_len(n) + n;
    head + leb_len(head)
}

/// jemalloc's size class for an allocation of `n` bytes (4 classes per power of two above
/// 128 bytes, multiples of 16 below; 8 is the smallest).
fn size_class(n: usize) -> usize {
    if n <= 8 {
        return 8;
    }
    if n <= 128 {
        return n.next_multiple_of(16);
    }
    let k = usize::BITS - 1 - (n - 1).leading_zeros();
    n.next_multiple_of(1 << (k - 2))
}

/// Makes room for `extra` more bytes in `buf`, growing it to a whole size class.
fn grow(buf: &mut Vec<u8>, extra: usize) {
    let want = buf.len() + extra;
    if want > buf.capacity() {
        buf.reserve_exact(size_class(want) - buf.len());
    }
}

/// Gives back what `buf` holds beyond the size class of its length.
fn fit(buf: &mut Vec<u8>) {
    let class = size_class(buf.len());
    if buf.capacity() > class {
        buf.shrink_to(class);
    }
}

/// Longest LEB128 encoding of a `usize`.
const MAX_LEB: usize = 10;

/// Writes the length header and the back-length of an element of `n` bytes into `out`
/// (header first, then back-length); returns their sizes.
fn frame(n: usize, out: &mut [u8; 2 * MAX_LEB]) -> (usize, usize) {
    let mut v = n;
    let mut h = 0;
    loop {
        let b = u8::try_from(v & 0x7f).expect("invariant: masked to 7 bits");
        v >>= 7;
        if v == 0 {
            out[h] = b;
            h += 1;
            break;
        }
        out[h] = b | 0x80;
        h += 1;
    }
    let head = h + n;
    let groups = leb_len(head);
    for (k, i) in (0..groups).rev().enumerate() {
        let b = u8::try_from((head >> (7 * i)) & 0x7f).expect("invariant: masked to 7 bits");
        out[h + k] = if i == groups - 1 { b } else { b | 0x80 };
    }
    (h, groups)
}

/// Appends the encoding of `item` to `out`.
fn encode_into(out: &mut Vec<u8>, item: &[u8]) {
    let mut head = [0u8; 2 * MAX_LEB];
    let (h, t) = frame(item.len(), &mut head);
    out.extend_from_slice(&head[..h]);
    out.extend_from_slice(item);
    out.extend_from_slice(&head[h..h + t]);
}

fn encode(item: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(size_class(entry_size(item.len())));
    encode_into(&mut out, item);
    out
}

/// The entry starting at `at`: (payload start, payload end, next entry's offset).
#[inline]
fn next_entry(buf: &[u8], at: usize) -> (usize, usize, usize) {
    let first = buf[at];
    if first < 0x80 {
        // Fast path: an element shorter than 128 bytes has a one-byte header, and its
        // back-length (header + payload) takes one byte below 128, two from there.
        let len = usize::from(first);
        let end = at + 1 + len;
        return (at + 1, end, end + 1 + usize::from(len >= 127));
    }
    let (mut len, mut shift, mut i) = (0usize, 0, at);
    loop {
        let b = buf[i];
        len |= usize::from(b & 0x7f) << shift;
        i += 1;
        if b & 0x80 == 0 {
            break;
        }
        shift += 7;
    }
    let end = i + len;
    (i, end, end + leb_len(end - at))
}

/// The entry ending at `end`: (entry start, payload start, payload end).
fn prev_entry(buf: &[u8], end: usize) -> (usize, usize, usize) {
    let (mut head, mut shift, mut i) = (0usize, 0, end);
    loop {
        i -= 1;
        let b = buf[i];
        head |= usize::from(b & 0x7f) << shift;
        if b & 0x80 == 0 {
            break;
        }
        shift += 7;
    }
    let start = i - head;
    let (s, e, _) = next_entry(buf, start);
    (start, s, e)
}

impl Node {
    fn of(item: &[u8]) -> Node {
        Node {
            buf: encode(item),
            count: 1,
        }
    }

    fn count(&self) -> usize {
        self.count as usize
    }

    /// Byte offset of entry `j` (`j == count` gives the end), walking from the nearer end.
    fn offset_of(&self, j: usize) -> usize {
        let n = self.count();
        if j <= n / 2 {
            let mut off = 0;
            for _ in 0..j {
                off = next_entry(&self.buf, off).2;
            }
            off
        } else {
            let mut off = self.buf.len();
            for _ in j..n {
                off = prev_entry(&self.buf, off).0;
            }
            off
        }
    }

    /// Redis `_quicklistNodeAllowInsert`: may an element of `sz` bytes join this node?
    fn allows(&self, fill: i64, sz: usize) -> bool {
        let new_sz = self.buf.len() + entry_size(sz);
        if fill < 0 {
            let level = usize::try_from(-fill - 1).unwrap_or(usize::MAX);
            if let Some(cap) = OPTIMIZATION_LEVEL.get(level) {
                return new_sz <= *cap;
            }
            return false;
        }
        new_sz <= SIZE_SAFETY_LIMIT && i64::from(self.count) < fill
    }

    /// Inserts `item` at byte offset `at`: one exact-size growth, one move of the bytes
    /// after `at`, no temporary buffer.
    fn insert_bytes(&mut self, at: usize, item: &[u8]) {
        let n = entry_size(item.len());
        let old = self.buf.len();
        if at == old {
            grow(&mut self.buf, n);
            encode_into(&mut self.buf, item);
        } else {
            let mut head = [0u8; 2 * MAX_LEB];
            let (h, t) = frame(item.len(), &mut head);
            grow(&mut self.buf, n);
            self.buf.resize(old + n, 0);
            self.buf.copy_within(at..old, at + n);
            let dst = &mut self.buf[at..at + n];
            dst[..h].copy_from_slice(&head[..h]);
            dst[h..h + item.len()].copy_from_slice(item);
            dst[h + item.len()..].copy_from_slice(&head[h..h + t]);
        }
        self.count += 1;
    }

    /// Removes entries `j..k`.
    fn remove_entries(&mut self, j: usize, k: usize) {
        let (a, b) = (self.offset_of(j), self.offset_of(k));
        self.buf.drain(a..b);
        fit(&mut self.buf);
        self.count -= u32::try_from(k - j).expect("invariant: a node holds < 2^32 entries");
    }
}

impl QuickList {
    /// Bytes it holds on the heap: the node array and every node's buffer (MEMORY USAGE).
    pub fn heap_bytes(&self) -> usize {
        self.nodes.capacity() * std::mem::size_of::<Node>()
            + self.nodes.iter().map(|n| n.buf.capacity()).sum::<usize>()
    }

    /// An empty list.
    pub fn new() -> QuickList {
        QuickList::default()
    }

    /// A list of `items` in order, nodes filled under `fill`.
    pub fn from_items<'a>(items: impl IntoIterator<Item = &'a [u8]>, fill: i64) -> QuickList {
        let mut l = QuickList::new();
        for it in items {
            l.push_back(it, fill);
        }
        l
    }

    /// Number of elements.
    pub fn len(&self) -> usize {
        self.len
    }

    /// True when empty.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Removes every element.
    pub fn clear(&mut self) {
        self.nodes = Vec::new();
        self.len = 0;
    }

    /// Adds `item` at the head.
    pub fn push_front(&mut self, item: &[u8], fill: i64) {
        match self.nodes.first_mut() {
            Some(n) if n.allows(fill, item.len()) => n.insert_bytes(0, item),
            _ => self.add_node(0, Node::of(item)),
        }
        self.len += 1;
    }

    /// Adds `item` at the tail.
    pub fn push_back(&mut self, item: &[u8], fill: i64) {
        match self.nodes.last_mut() {
            Some(n) if n.allows(fill, item.len()) => {
                grow(&mut n.buf, entry_size(item.len()));
                encode_into(&mut n.buf, item);
                n.count += 1;
            }
            _ => self.add_node(self.nodes.len(), Node::of(item)),
        }
        self.len += 1;
    }

    /// Removes and returns the head.
    pub fn pop_front(&mut self) -> Option<Bytes> {
        let n = self.nodes.first_mut()?;
        let (s, e, next) = next_entry(&n.buf, 0);
        let v = Bytes::copy_from_slice(&n.buf[s..e]);
        self.remove_in_node(0, 0, next);
        Some(v)
    }

    /// Removes and returns the tail.
    pub fn pop_back(&mut self) -> Option<Bytes> {
        let last = self.nodes.len().checked_sub(1)?;
        let n = &self.nodes[last];
        let (start, s, e) = prev_entry(&n.buf, n.buf.len());
        let v = Bytes::copy_from_slice(&n.buf[s..e]);
        let end = n.buf.len();
        self.remove_in_node(last, start, end);
        Some(v)
    }

    /// Removes the one entry at bytes `a..b` of node `ni`, dropping the node if it empties.
    fn remove_in_node(&mut self, ni: usize, a: usize, b: usize) {
        let n = &mut self.nodes[ni];
        if n.count == 1 {
            self.nodes.remove(ni);
        } else {
            n.buf.drain(a..b);
            fit(&mut n.buf);
            n.count -= 1;
        }
        self.len -= 1;
    }

    /// (node, index in node) of element `i < len`, walking node counts from the nearer end.
    fn locate(&self, i: usize) -> (usize, usize) {
        debug_assert!(i < self.len);
        if i < self.len / 2 {
            let mut rest = i;
            for (ni, n) in self.nodes.iter().enumerate() {
                if rest < n.count() {
                    return (ni, rest);
                }
                rest -= n.count();
            }
        } else {
            let mut from_end = self.len - i;
            for (ni, n) in self.nodes.iter().enumerate().rev() {
                if from_end <= n.count() {
                    return (ni, n.count() - from_end);
                }
                from_end -= n.count();
            }
        }
        unreachable!("invariant: node counts sum to len")
    }

    /// The element at `i`.
    pub fn get(&self, i: usize) -> Option<&[u8]> {
        if i >= self.len {
            return None;
        }
        let (ni, j) = self.locate(i);
        let n = &self.nodes[ni];
        let (s, e, _) = next_entry(&n.buf, n.offset_of(j));
        Some(&n.buf[s..e])
    }

    /// Replaces the element at `i < len` (LSET).
    pub fn set(&mut self, i: usize, item: &[u8], fill: i64) {
        let (ni, j) = self.locate(i);
        let n = &mut self.nodes[ni];
        let a = n.offset_of(j);
        let (_, _, b) = next_entry(&n.buf, a);
        let enc = encode(item);
        if enc.len() > b - a {
            grow(&mut n.buf, enc.len() - (b - a));
        }
        n.buf.splice(a..b, enc);
        fit(&mut n.buf);
        self.split_if_needed(ni, fill);
    }

    /// Inserts `item` so that it becomes element `i` (`i <= len`; LINSERT).
    pub fn insert(&mut self, i: usize, item: &[u8], fill: i64) {
        if i == 0 {
            return self.push_front(item, fill);
        }
        if i >= self.len {
            return self.push_back(item, fill);
        }
        let (ni, j) = self.locate(i);
        let n = &mut self.nodes[ni];
        let at = n.offset_of(j);
        n.insert_bytes(at, item);
        self.len += 1;
        self.split_if_needed(ni, fill);
    }

    /// Splits node `ni` in two halves while it breaks the fill limit (after an insert or a
    /// replace in the middle; Redis `_quicklistSplitNode`).
    fn split_if_needed(&mut self, ni: usize, fill: i64) {
        let n = &self.nodes[ni];
        if n.count < 2 || n.allows(fill, 0) {
            return;
        }
        let half = n.count() / 2;
        let at = n.offset_of(half);
        let n = &mut self.nodes[ni];
        let tail = Node {
            buf: n.buf[at..].to_vec(),
            count: n.count - u32::try_from(half).expect("invariant: half < count"),
        };
        n.buf.truncate(at);
        fit(&mut n.buf);
        n.count = u32::try_from(half).expect("invariant: half < count");
        self.add_node(ni + 1, tail);
    }

    /// Inserts a node at `at`. The node table of a small list is kept at its exact size
    /// (most lists have one node); past a few nodes it grows by doubling, so a list of many
    /// large elements does not reallocate its table on every push.
    fn add_node(&mut self, at: usize, node: Node) {
        if self.nodes.len() < 8 {
            self.nodes.reserve_exact(1);
        }
        self.nodes.insert(at, node);
    }

    /// Removes elements `start..start + count` (clamped to the list).
    pub fn remove_range(&mut self, start: usize, count: usize) {
        let count = count.min(self.len.saturating_sub(start));
        if count == 0 {
            return;
        }
        let (mut ni, mut j) = self.locate(start);
        let mut left = count;
        while left > 0 {
            let n = &mut self.nodes[ni];
            let k = (j + left).min(n.count());
            if j == 0 && k == n.count() {
                self.nodes.remove(ni);
            } else {
                n.remove_entries(j, k);
                ni += 1;
            }
            left -= k - j;
            j = 0;
        }
        self.len -= count;
    }

    /// Keeps only elements `start..=end` (LTRIM with a normalised, non-empty range).
    pub fn keep_range(&mut self, start: usize, end: usize) {
        self.remove_range(end + 1, self.len);
        self.remove_range(0, start);
    }

    /// Removes up to `limit` elements equal to `item`, scanning from the head, or from the
    /// tail when `from_tail` (LREM); returns how many went.
    pub fn remove_matching(&mut self, item: &[u8], limit: u64, from_tail: bool) -> u64 {
        let mut removed = 0u64;
        let order: Vec<usize> = if from_tail {
            (0..self.nodes.len()).rev().collect()
        } else {
            (0..self.nodes.len()).collect()
        };
        for ni in order {
            if removed >= limit {
                break;
            }
            let n = &self.nodes[ni];
            let mut spans = Vec::with_capacity(n.count());
            let mut off = 0;
            while off < n.buf.len() {
                let (s, e, next) = next_entry(&n.buf, off);
                spans.push((off, next, &n.buf[s..e] == item));
                off = next;
            }
            let mut drop = vec![false; spans.len()];
            let idx: Box<dyn Iterator<Item = usize>> = if from_tail {
                Box::new((0..spans.len()).rev())
            } else {
                Box::new(0..spans.len())
            };
            for x in idx {
                if removed >= limit {
                    break;
                }
                if spans[x].2 {
                    drop[x] = true;
                    removed += 1;
                }
            }
            let gone = drop.iter().filter(|d| **d).count();
            if gone == 0 {
                continue;
            }
            let mut buf = Vec::with_capacity(n.buf.len());
            for (x, (a, b, _)) in spans.iter().enumerate() {
                if !drop[x] {
                    buf.extend_from_slice(&n.buf[*a..*b]);
                }
            }
            let n = &mut self.nodes[ni];
            n.buf = buf;
            fit(&mut n.buf);
            n.count -= u32::try_from(gone).expect("invariant: gone <= count");
            self.len -= gone;
        }
        self.nodes.retain(|n| n.count > 0);
        removed
    }

    /// Appends elements `start..start + n` (clamped) to a RESP reply being built, straight
    /// from the node bytes: no per-element allocation or reference count (LRANGE replies).
    pub fn range_into(&self, start: usize, n: usize, out: &mut RawArray) {
        let mut left = n.min(self.len.saturating_sub(start));
        if left == 0 {
            return;
        }
        let (mut ni, j) = self.locate(start);
        let mut off = self.nodes[ni].offset_of(j);
        while left > 0 {
            let node = &self.nodes[ni];
            let buf = &node.buf;
            out.reserve(left.min(node.count()), buf.len() - off);
            while off < buf.len() && left > 0 {
                let (s, e, next) = next_entry(buf, off);
                out.push(&buf[s..e]);
                off = next;
                left -= 1;
            }
            ni += 1;
            off = 0;
        }
    }

    /// Elements from the head.
    pub fn iter(&self) -> Iter<'_> {
        self.iter_from(0)
    }

    /// Elements from index `i` towards the tail.
    pub fn iter_from(&self, i: usize) -> Iter<'_> {
        if i >= self.len {
            return Iter {
                nodes: &self.nodes,
                ni: self.nodes.len(),
                off: 0,
                remaining: 0,
            };
        }
        let (ni, j) = self.locate(i);
        Iter {
            nodes: &self.nodes,
            ni,
            off: self.nodes[ni].offset_of(j),
            remaining: self.len - i,
        }
    }

    /// Elements from the tail.
    pub fn iter_rev(&self) -> RevIter<'_> {
        RevIter {
            nodes: &self.nodes,
            ni: self.nodes.len(),
            end: 0,
            remaining: self.len,
        }
    }

    /// Checks the invariants (tests).
    #[cfg(test)]
    fn check(&self) {
        let mut total = 0;
        for n in &self.nodes {
            assert!(n.count > 0, "empty node");
            let mut off = 0;
            let mut c = 0;
            while off < n.buf.len() {
                let (_, e, next) = next_entry(&n.buf, off);
                assert_eq!(prev_entry(&n.buf, next).0, off);
                assert!(e <= next);
                off = next;
                c += 1;
            }
            assert_eq!(off, n.buf.len());
            assert!(
                n.buf.capacity() <= size_class(n.buf.len()),
                "slack beyond the size class"
            );
            assert_eq!(c, n.count());
            total += c;
        }
        assert_eq!(total, self.len);
    }
}

/// Forward iterator over a [`QuickList`].
#[derive(Debug, Clone)]
pub struct Iter<'a> {
    nodes: &'a [Node],
    ni: usize,
    off: usize,
    remaining: usize,
}

impl<'a> Iterator for Iter<'a> {
    type Item = &'a [u8];
    fn next(&mut self) -> Option<&'a [u8]> {
        if self.remaining == 0 {
            return None;
        }
        while self.off >= self.nodes[self.ni].buf.len() {
            self.ni += 1;
            self.off = 0;
        }
        let buf = &self.nodes[self.ni].buf;
        let (s, e, next) = next_entry(buf, self.off);
        self.off = next;
        self.remaining -= 1;
        Some(&buf[s..e])
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        (self.remaining, Some(self.remaining))
    }
}

impl ExactSizeIterator for Iter<'_> {}

/// Backward iterator over a [`QuickList`].
#[derive(Debug, Clone)]
pub struct RevIter<'a> {
    nodes: &'a [Node],
    /// The current node (starts one past the last).
    ni: usize,
    /// End of the next entry in node `ni` (0: move to the previous node).
    end: usize,
    remaining: usize,
}

impl<'a> Iterator for RevIter<'a> {
    type Item = &'a [u8];
    fn next(&mut self) -> Option<&'a [u8]> {
        if self.remaining == 0 {
            return None;
        }
        while self.end == 0 {
            self.ni -= 1;
            self.end = self.nodes[self.ni].buf.len();
        }
        let buf = &self.nodes[self.ni].buf;
        let (start, s, e) = prev_entry(buf, self.end);
        self.end = start;
        self.remaining -= 1;
        Some(&buf[s..e])
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        (self.remaining, Some(self.remaining))
    }
}

impl ExactSizeIterator for RevIter<'_> {}

#[cfg(test)]
mod tests {
    use std::collections::VecDeque;

    use proptest::prelude::*;

    use super::*;

    #[derive(Debug, Clone)]
    enum Op {
        PushFront(Vec<u8>),
        PushBack(Vec<u8>),
        PopFront,
        PopBack,
        Set(usize, Vec<u8>),
        Insert(usize, Vec<u8>),
        RemoveRange(usize, usize),
        Keep(usize, usize),
        RemoveMatching(Vec<u8>, u64, bool),
    }

    fn item() -> impl Strategy<Value = Vec<u8>> {
        prop_oneof![
            4 => proptest::collection::vec(b'a'..b'd', 0..3),
            1 => proptest::collection::vec(any::<u8>(), 100..300),
        ]
    }

    fn op() -> impl Strategy<Value = Op> {
        prop_oneof![
            4 => item().prop_map(Op::PushFront),
            4 => item().prop_map(Op::PushBack),
            2 => Just(Op::PopFront),
            2 => Just(Op::PopBack),
            1 => (any::<usize>(), item()).prop_map(|(i, v)| Op::Set(i, v)),
            2 => (any::<usize>(), item()).prop_map(|(i, v)| Op::Insert(i, v)),
            1 => (any::<usize>(), 0usize..20).prop_map(|(i, n)| Op::RemoveRange(i, n)),
            1 => (any::<usize>(), any::<usize>()).prop_map(|(a, b)| Op::Keep(a, b)),
            1 => (item(), 0u64..4, any::<bool>())
                .prop_map(|(v, n, t)| Op::RemoveMatching(v, n, t)),
        ]
    }

    fn apply(l: &mut QuickList, m: &mut VecDeque<Vec<u8>>, op: Op, fill: i64) {
        match op {
            Op::PushFront(v) => {
                l.push_front(&v, fill);
                m.push_front(v);
            }
            Op::PushBack(v) => {
                l.push_back(&v, fill);
                m.push_back(v);
            }
            Op::PopFront => assert_eq!(l.pop_front().map(|b| b.to_vec()), m.pop_front()),
            Op::PopBack => assert_eq!(l.pop_back().map(|b| b.to_vec()), m.pop_back()),
            Op::Set(i, v) if !m.is_empty() => {
                let i = i % m.len();
                l.set(i, &v, fill);
                m[i] = v;
            }
            Op::Insert(i, v) => {
                let i = i % (m.len() + 1);
                l.insert(i, &v, fill);
                m.insert(i, v);
            }
            Op::RemoveRange(i, n) if !m.is_empty() => {
                let i = i % m.len();
                l.remove_range(i, n);
                let end = (i + n).min(m.len());
                m.drain(i..end);
            }
            Op::Keep(a, b) if !m.is_empty() => {
                let (a, b) = (a % m.len(), b % m.len());
                let (a, b) = (a.min(b), a.max(b));
                l.keep_range(a, b);
                m.truncate(b + 1);
                m.drain(..a);
            }
            Op::RemoveMatching(v, limit, from_tail) => {
                let limit = if limit == 0 { u64::MAX } else { limit };
                let got = l.remove_matching(&v, limit, from_tail);
                let mut removed = 0;
                let idx: Vec<usize> = if from_tail {
                    (0..m.len()).rev().collect()
                } else {
                    (0..m.len()).collect()
                };
                let mut gone = vec![false; m.len()];
                for i in idx {
                    if removed < limit && m[i] == v {
                        gone[i] = true;
                        removed += 1;
                    }
                }
                let mut i = 0;
                m.retain(|_| {
                    i += 1;
                    !gone[i - 1]
                });
                assert_eq!(got, removed);
            }
            _ => {}
        }
    }

    /// The bulk strings of a raw array reply.
    fn raw_bulks(f: shoal_common::Frame) -> Vec<Vec<u8>> {
        let shoal_common::Frame::Raw(b) = f else {
            panic!("not raw: {f:?}");
        };
        let mut buf = bytes::BytesMut::from(&b[..]);
        let decoded = shoal_common::resp::decode::decode_reply(&mut buf).expect("well formed");
        assert!(buf.is_empty(), "one reply, nothing after it");
        match decoded {
            Some(shoal_common::Frame::Array(items)) => items
                .into_iter()
                .map(|i| i.as_bytes().expect("bulk").to_vec())
                .collect(),
            other => panic!("not an array: {other:?}"),
        }
    }

    proptest! {
        #[test]
        fn matches_a_vecdeque(
            ops in proptest::collection::vec(op(), 0..200),
            fill in prop_oneof![Just(-2i64), Just(-1), Just(1), Just(3), Just(-6)],
        ) {
            let mut l = QuickList::new();
            let mut m: VecDeque<Vec<u8>> = VecDeque::new();
            for op in ops {
                apply(&mut l, &mut m, op, fill);
                l.check();
                prop_assert_eq!(l.len(), m.len());
            }
            let fwd: Vec<Vec<u8>> = l.iter().map(<[u8]>::to_vec).collect();
            prop_assert_eq!(&fwd, &m.iter().cloned().collect::<Vec<_>>());
            let back: Vec<Vec<u8>> = l.iter_rev().map(<[u8]>::to_vec).collect();
            prop_assert_eq!(back, m.iter().rev().cloned().collect::<Vec<_>>());
            for i in 0..m.len() {
                prop_assert_eq!(l.get(i), Some(&m[i][..]));
                let want: Vec<&[u8]> = m.iter().skip(i).take(7).map(Vec::as_slice).collect();
                let mut raw = RawArray::new(want.len(), 0);
                l.range_into(i, 7, &mut raw);
                prop_assert_eq!(raw_bulks(raw.finish()), want);
                let from: Vec<Vec<u8>> = l.iter_from(i).map(<[u8]>::to_vec).collect();
                prop_assert_eq!(from, m.iter().skip(i).cloned().collect::<Vec<_>>());
            }
            prop_assert_eq!(l.get(m.len()), None);
        }
    }

    #[test]
    fn nodes_follow_the_fill_limits() {
        // fill 3: three elements per node.
        let l = QuickList::from_items((0..10).map(|_| &b"x"[..]), 3);
        assert_eq!(l.nodes.len(), 4);
        // fill -1: 4 KiB per node; 100-byte elements (102 bytes encoded) fit 40 per node.
        let big = [b'y'; 100];
        let l = QuickList::from_items((0..100).map(|_| &big[..]), -1);
        assert_eq!(l.nodes[0].count, 40);
        // An element larger than the cap gets a node of its own.
        let huge = vec![b'z'; 10_000];
        let mut l = QuickList::from_items([&b"a"[..], &b"b"[..]], -2);
        l.push_back(&huge, -2);
        l.push_back(b"c", -2);
        assert_eq!(l.nodes.len(), 3);
        assert_eq!(l.get(2), Some(&huge[..]));
        // A long element: a multi-byte length and back-length.
        let mut l = QuickList::new();
        l.push_front(&huge, -2);
        assert_eq!(l.pop_back().as_deref(), Some(&huge[..]));
        assert!(l.is_empty() && l.nodes.is_empty());
    }

    #[test]
    fn size_classes_are_jemallocs() {
        let classes = [
            (1, 8),
            (8, 8),
            (9, 16),
            (100, 112),
            (128, 128),
            (129, 160),
            (160, 160),
            (161, 192),
            (257, 320),
            (1025, 1280),
            (4096, 4096),
            (4097, 5120),
            (8192, 8192),
            (8193, 10240),
            (14337, 16384),
            (16385, 20480),
            (65537, 81920),
        ];
        for (n, class) in classes {
            assert_eq!(size_class(n), class, "{n}");
        }
        // Pushes and pops within a class keep the buffer where it is.
        let mut l = QuickList::new();
        for _ in 0..20 {
            l.push_back(b"abc", DEFAULT_FILL);
        }
        let cap = l.nodes[0].buf.capacity();
        assert_eq!(l.nodes[0].buf.len(), 100);
        l.push_front(b"x", DEFAULT_FILL);
        l.pop_back();
        assert_eq!(l.nodes[0].buf.capacity(), cap);
        l.check();
    }

    #[test]
    fn a_small_list_is_one_exact_allocation_per_level() {
        let items: Vec<Vec<u8>> = (0..10).map(|i| format!("v{i:07}").into_bytes()).collect();
        let l = QuickList::from_items(items.iter().map(Vec::as_slice), DEFAULT_FILL);
        assert_eq!(l.nodes.len(), 1);
        assert_eq!(l.nodes[0].buf.len(), 100);
        // jemalloc hands out 112 bytes for 100 anyway.
        assert_eq!(l.nodes[0].buf.capacity(), 112);
        assert_eq!(l.nodes.capacity(), 1);
        assert_eq!(std::mem::size_of::<QuickList>(), 32);
    }
}
