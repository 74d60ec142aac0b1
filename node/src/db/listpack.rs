//! A compact sequence of byte strings in one allocation (Redis `listpack.c`, simplified).
//!
//! Small hashes keep their field/value pairs here instead of a hash table, as Redis does
//! below `hash-max-listpack-entries` / `hash-max-listpack-value`: one heap block instead of
//! two allocations per string plus table slots, which is what makes 100k small hashes cost
//! about what Redis pays. Each entry is a LEB128 length followed by the bytes. Operations are
//! linear scans, which is fine because the owner converts to a table past a small size.
//!
//! The entry count is kept in the buffer (a 4-byte little-endian header, as Redis's listpack
//! header holds its element count), so a `Listpack` is a bare 24-byte `Vec` and a [`Hash`]
//! holding one fits in a 32-byte [`Value`].
//!
//! Invariants: `buf` is empty (no entries, no allocation) or a [`HEADER`]-byte entry count
//! followed by a concatenation of exactly that many well-formed entries; the buffer is kept at
//! its exact size (`reserve_exact`), trading a reallocation per write for memory, as Redis's
//! listpack does. Offsets handed out are byte positions in `buf` (entries start at [`HEADER`]).
//!
//! [`Hash`]: super::value::Hash
//! [`Value`]: super::value::Value

/// Bytes of the entry-count header at the start of a non-empty buffer.
pub(crate) const HEADER: usize = 4;

/// The entry count a counted buffer's header records (0 for an empty buffer). Shared by
/// [`Listpack`] and the sorted-set listpack, which use the same header.
pub(crate) fn counted_len(buf: &[u8]) -> usize {
    match buf.first_chunk::<HEADER>() {
        Some(h) => u32::from_le_bytes(*h) as usize,
        None => 0,
    }
}

/// Records `n` entries in a counted buffer that has its header; an empty one frees its buffer.
pub(crate) fn set_counted_len(buf: &mut Vec<u8>, n: usize) {
    if n == 0 {
        *buf = Vec::new();
        return;
    }
    let n = u32::try_from(n).expect("invariant: listpacks stay small");
    buf[..HEADER].copy_from_slice(&n.to_le_bytes());
}

/// Gives an empty counted buffer its (zero) header, allocated exactly.
pub(crate) fn ensure_counted_header(buf: &mut Vec<u8>) {
    if buf.is_empty() {
        buf.reserve_exact(HEADER);
        buf.extend_from_slice(&[0; HEADER]);
    }
}

/// A sequence of byte strings.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Listpack {
    buf: Vec<u8>,
}

/// Appends `v` as a LEB128 varint (also the stream entries' packing, `db/stream.rs`).
pub(crate) fn write_varint(out: &mut Vec<u8>, mut v: usize) {
    loop {
        let byte = u8::try_from(v & 0x7f).expect("invariant: masked to 7 bits");
        v >>= 7;
        if v == 0 {
            out.push(byte);
            return;
        }
        out.push(byte | 0x80);
    }
}

fn varint_len(mut v: usize) -> usize {
    let mut n = 1;
    while v >= 0x80 {
        v >>= 7;
        n += 1;
    }
    n
}

/// Reads the entry at byte offset `at`: (payload start, payload end).
fn entry_at(buf: &[u8], at: usize) -> (usize, usize) {
    let mut len = 0usize;
    let mut shift = 0;
    let mut i = at;
    loop {
        let b = buf[i];
        len |= usize::from(b & 0x7f) << shift;
        i += 1;
        if b & 0x80 == 0 {
            break;
        }
        shift += 7;
    }
    (i, i + len)
}

/// Iterator over a listpack's entries with their byte offsets.
#[derive(Debug, Clone)]
pub struct Iter<'a> {
    buf: &'a [u8],
    at: usize,
}

impl<'a> Iterator for Iter<'a> {
    /// (offset of the entry, payload).
    type Item = (usize, &'a [u8]);
    fn next(&mut self) -> Option<Self::Item> {
        if self.at >= self.buf.len() {
            return None;
        }
        let start = self.at;
        let (s, e) = entry_at(self.buf, start);
        self.at = e;
        Some((start, &self.buf[s..e]))
    }
}

impl Listpack {
    /// Bytes it holds on the heap (MEMORY USAGE).
    pub fn heap_bytes(&self) -> usize {
        self.buf.capacity()
    }

    /// An empty listpack.
    pub fn new() -> Listpack {
        Listpack::default()
    }

    /// Number of entries.
    pub fn len(&self) -> usize {
        counted_len(&self.buf)
    }

    /// True when empty.
    pub fn is_empty(&self) -> bool {
        self.buf.is_empty()
    }

    /// Records `n` entries (the buffer has its header); an empty listpack frees its buffer.
    fn set_len(&mut self, n: usize) {
        set_counted_len(&mut self.buf, n);
    }

    /// Gives an empty buffer its header; returns the first entry offset.
    fn ensure_header(&mut self) -> usize {
        ensure_counted_header(&mut self.buf);
        HEADER
    }

    /// Byte offset just past the last entry (where [`Listpack::insert_at`] appends).
    pub fn bytes(&self) -> usize {
        self.buf.len()
    }

    /// Entries with their offsets.
    pub fn iter_at(&self) -> Iter<'_> {
        Iter {
            buf: &self.buf,
            at: HEADER.min(self.buf.len()),
        }
    }

    /// Entries.
    pub fn iter(&self) -> impl Iterator<Item = &[u8]> + '_ {
        self.iter_at().map(|(_, e)| e)
    }

    /// The entry starting at byte `offset` and the offset just after it.
    pub fn at(&self, offset: usize) -> (&[u8], usize) {
        let (s, e) = entry_at(&self.buf, offset);
        (&self.buf[s..e], e)
    }

    /// Appends an entry.
    pub fn push(&mut self, item: &[u8]) {
        let n = self.len();
        let header = if self.buf.is_empty() { HEADER } else { 0 };
        self.buf
            .reserve_exact(header + varint_len(item.len()) + item.len());
        self.ensure_header();
        write_varint(&mut self.buf, item.len());
        self.buf.extend_from_slice(item);
        self.set_len(n + 1);
    }

    /// Inserts entries at byte `offset` (which must be an entry boundary or the end).
    pub fn insert_at(&mut self, offset: usize, items: &[&[u8]]) {
        let mut enc = Vec::new();
        for it in items {
            write_varint(&mut enc, it.len());
            enc.extend_from_slice(it);
        }
        let n = self.len();
        let offset = offset.max(self.ensure_header());
        self.buf.reserve_exact(enc.len());
        self.buf.splice(offset..offset, enc);
        self.set_len(n + items.len());
    }

    /// Removes `count` entries starting at byte `offset`.
    pub fn remove_at(&mut self, offset: usize, count: usize) {
        let mut end = offset;
        for _ in 0..count {
            end = entry_at(&self.buf, end).1;
        }
        self.buf.drain(offset..end);
        self.set_len(self.len() - count);
        if self.buf.capacity() > self.buf.len() + 64 {
            self.buf.shrink_to_fit();
        }
    }

    /// Replaces the entry at byte `offset` with `item`.
    pub fn replace_at(&mut self, offset: usize, item: &[u8]) {
        let end = entry_at(&self.buf, offset).1;
        let mut enc = Vec::with_capacity(varint_len(item.len()) + item.len());
        write_varint(&mut enc, item.len());
        enc.extend_from_slice(item);
        if enc.len() > end - offset {
            self.buf.reserve_exact(enc.len() - (end - offset));
        }
        self.buf.splice(offset..end, enc);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[derive(Debug, Clone)]
    enum Op {
        Push(Vec<u8>),
        Insert(usize, Vec<u8>),
        Remove(usize, usize),
        Replace(usize, Vec<u8>),
    }

    fn op() -> impl Strategy<Value = Op> {
        let item = proptest::collection::vec(any::<u8>(), 0..300);
        prop_oneof![
            item.clone().prop_map(Op::Push),
            (any::<usize>(), item.clone()).prop_map(|(i, v)| Op::Insert(i, v)),
            (any::<usize>(), 1usize..3).prop_map(|(i, n)| Op::Remove(i, n)),
            (any::<usize>(), item).prop_map(|(i, v)| Op::Replace(i, v)),
        ]
    }

    fn offset_of(lp: &Listpack, i: usize) -> usize {
        lp.iter_at().nth(i).map_or(lp.bytes(), |(o, _)| o)
    }

    #[test]
    fn count_header_and_empty_buffer() {
        let mut lp = Listpack::new();
        assert_eq!((lp.len(), lp.bytes()), (0, 0));
        lp.insert_at(lp.bytes(), &[b"ab", b""]);
        lp.push(b"c");
        assert_eq!(lp.len(), 3);
        // 4-byte count, then varint length + bytes per entry, at exact size.
        assert_eq!(lp.bytes(), HEADER + 3 + 1 + 2);
        assert_eq!(lp.iter().collect::<Vec<_>>(), [&b"ab"[..], b"", b"c"]);
        let first = lp.iter_at().next().map(|(o, _)| o);
        assert_eq!(first, Some(HEADER));
        lp.remove_at(HEADER, 3);
        assert!(lp.is_empty());
        assert_eq!(lp.buf.capacity(), 0, "an empty listpack keeps no buffer");
    }

    proptest! {
        #[test]
        fn behaves_like_a_vec(ops in proptest::collection::vec(op(), 0..60)) {
            let mut lp = Listpack::new();
            let mut model: Vec<Vec<u8>> = Vec::new();
            for op in ops {
                match op {
                    Op::Push(v) => { lp.push(&v); model.push(v); }
                    Op::Insert(i, v) => {
                        let i = i % (model.len() + 1);
                        lp.insert_at(offset_of(&lp, i), &[&v]);
                        model.insert(i, v);
                    }
                    Op::Remove(i, n) => {
                        if model.is_empty() { continue; }
                        let i = i % model.len();
                        let n = n.min(model.len() - i);
                        lp.remove_at(offset_of(&lp, i), n);
                        model.drain(i..i + n);
                    }
                    Op::Replace(i, v) => {
                        if model.is_empty() { continue; }
                        let i = i % model.len();
                        lp.replace_at(offset_of(&lp, i), &v);
                        model[i] = v;
                    }
                }
                prop_assert_eq!(lp.len(), model.len());
                let got: Vec<Vec<u8>> = lp.iter().map(<[u8]>::to_vec).collect();
                prop_assert_eq!(&got, &model);
            }
        }
    }
}
