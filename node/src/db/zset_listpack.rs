//! The small sorted-set encoding: every (score, member) pair packed into one byte buffer, in
//! sorted order (the role of Redis's listpack in `t_zset.c`).
//!
//! Entry layout: `[tag: u8][score][member length: LEB128 varint][member bytes]`, where tag 0
//! is followed by the score as a zigzag varint (integral scores within ±2^53, the common
//! case: one to three bytes) and tag 1 by the f64's 8 little-endian bytes. Every operation
//! walks the buffer, which is what Redis does too: the encoding is only used up to
//! `zset-max-listpack-entries` members.
//!
//! The entry count lives in the buffer (a 4-byte little-endian header, as in Redis's
//! listpack), so a `Packed` is a bare 24-byte `Vec` and a [`super::zset::ZSet`] fits in a
//! 32-byte [`super::value::Value`].
//!
//! Invariants: `buf` is empty (no entries, no allocation) or a [`HEADER`]-byte entry count
//! followed by exactly that many entries; entries are sorted by (score, member) and members
//! are unique (the owner, [`super::zset::ZSet`], guarantees it); a negative zero is stored
//! as 0 (Redis's listpack reads `-0` back as the integer 0).

use std::cmp::Ordering;

use bytes::Bytes;

use super::zset::cmp_entry;

/// Largest magnitude stored as an integer (doubles are exact up to 2^53).
const INT_MAX: f64 = 9_007_199_254_740_992.0;

// The entry-count header at the start of a non-empty buffer is the hash listpack's.
use super::listpack::{HEADER, counted_len, ensure_counted_header, set_counted_len};

/// A packed sorted sequence of (score, member).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Packed {
    buf: Vec<u8>,
}

fn put_varint(out: &mut Vec<u8>, mut n: u64) {
    loop {
        let low = (n & 0x7f) as u8;
        n >>= 7;
        if n == 0 {
            out.push(low);
            return;
        }
        out.push(low | 0x80);
    }
}

fn get_varint(buf: &[u8], pos: &mut usize) -> u64 {
    let mut n = 0u64;
    let mut shift = 0;
    loop {
        let b = buf[*pos];
        *pos += 1;
        n |= u64::from(b & 0x7f) << shift;
        if b & 0x80 == 0 {
            return n;
        }
        shift += 7;
    }
}

/// Appends one encoded entry.
fn encode(out: &mut Vec<u8>, score: f64, member: &[u8]) {
    let score = if score == 0.0 { 0.0 } else { score };
    if score.fract() == 0.0 && score.abs() <= INT_MAX {
        out.push(0);
        // Exact: |score| <= 2^53 and integral.
        #[allow(clippy::cast_possible_truncation)]
        let i = score as i64;
        put_varint(out, ((i << 1) ^ (i >> 63)) as u64);
    } else {
        out.push(1);
        out.extend_from_slice(&score.to_bits().to_le_bytes());
    }
    put_varint(out, member.len() as u64);
    out.extend_from_slice(member);
}

/// Decodes the entry at `pos`: (score, member range, next position).
fn decode(buf: &[u8], pos: usize) -> (f64, usize, usize, usize) {
    let mut p = pos + 1;
    let score = if buf[pos] == 0 {
        let z = get_varint(buf, &mut p);
        let i = ((z >> 1) as i64) ^ -((z & 1) as i64);
        #[allow(clippy::cast_precision_loss)]
        let s = i as f64;
        s
    } else {
        let mut b = [0u8; 8];
        b.copy_from_slice(&buf[p..p + 8]);
        p += 8;
        f64::from_bits(u64::from_le_bytes(b))
    };
    let n = usize::try_from(get_varint(buf, &mut p)).expect("invariant: member length fits");
    (score, p, p + n, p + n)
}

/// Forward iterator over a [`Packed`].
#[derive(Debug, Clone)]
pub struct Iter<'a> {
    buf: &'a [u8],
    pos: usize,
}

impl<'a> Iterator for Iter<'a> {
    type Item = (f64, &'a [u8]);

    fn next(&mut self) -> Option<(f64, &'a [u8])> {
        if self.pos >= self.buf.len() {
            return None;
        }
        let (s, a, b, next) = decode(self.buf, self.pos);
        self.pos = next;
        Some((s, &self.buf[a..b]))
    }
}

impl Packed {
    /// Bytes it holds on the heap (MEMORY USAGE).
    pub fn heap_bytes(&self) -> usize {
        self.buf.capacity()
    }

    /// Number of entries.
    pub fn len(&self) -> usize {
        counted_len(&self.buf)
    }

    /// True when empty.
    pub fn is_empty(&self) -> bool {
        self.buf.is_empty()
    }

    /// Records `n` entries (the buffer has its header); an empty set frees its buffer.
    fn set_len(&mut self, n: usize) {
        set_counted_len(&mut self.buf, n);
    }

    /// Gives an empty buffer its header.
    fn ensure_header(&mut self) {
        ensure_counted_header(&mut self.buf);
    }

    /// Bytes used by the encoded entries.
    pub fn bytes_len(&self) -> usize {
        self.buf.len()
    }

    /// Entries in ascending order.
    pub fn iter(&self) -> Iter<'_> {
        Iter {
            buf: &self.buf,
            pos: HEADER,
        }
    }

    /// Builds from entries already sorted and unique.
    pub fn from_sorted<'a>(entries: impl Iterator<Item = (f64, &'a [u8])>) -> Packed {
        let mut p = Packed::default();
        p.ensure_header();
        let mut n = 0;
        for (s, m) in entries {
            encode(&mut p.buf, s, m);
            n += 1;
        }
        p.set_len(n);
        p.buf.shrink_to_fit();
        p
    }

    /// (byte offset, end offset, score) of `member`.
    fn find(&self, member: &[u8]) -> Option<(usize, usize, f64)> {
        let mut pos = HEADER;
        while pos < self.buf.len() {
            let (s, a, b, next) = decode(&self.buf, pos);
            if &self.buf[a..b] == member {
                return Some((pos, next, s));
            }
            pos = next;
        }
        None
    }

    /// The score of `member`.
    pub fn score(&self, member: &[u8]) -> Option<f64> {
        self.find(member).map(|(_, _, s)| s)
    }

    /// Inserts a member that is not present, at its sorted place.
    pub fn insert(&mut self, score: f64, member: &[u8]) {
        let n = self.len();
        self.ensure_header();
        let mut pos = HEADER;
        while pos < self.buf.len() {
            let (s, a, b, next) = decode(&self.buf, pos);
            if cmp_entry(s, &self.buf[a..b], score, member) == Ordering::Greater {
                break;
            }
            pos = next;
        }
        let mut enc = Vec::with_capacity(member.len() + 12);
        encode(&mut enc, score, member);
        // Exact size, as a listpack reallocates per insert: amortised doubling would leave a
        // small set up to half empty (10 members: 110 bytes in a 176-byte block).
        self.buf.reserve_exact(enc.len());
        self.buf.splice(pos..pos, enc);
        self.set_len(n + 1);
    }

    /// Removes `member`, returning its score.
    pub fn remove(&mut self, member: &[u8]) -> Option<f64> {
        let (start, end, s) = self.find(member)?;
        self.buf.drain(start..end);
        self.buf.shrink_to_fit();
        self.set_len(self.len() - 1);
        Some(s)
    }

    /// Removes the entries at ranks `start..end`, returning them in order.
    pub fn drain(&mut self, start: usize, end: usize) -> Vec<(f64, Bytes)> {
        let end = end.min(self.len());
        if start >= end {
            return Vec::new();
        }
        let mut out = Vec::with_capacity(end - start);
        let (mut pos, mut from) = (HEADER, HEADER);
        for i in 0..end {
            let (s, a, b, next) = decode(&self.buf, pos);
            if i == start {
                from = pos;
            }
            if i >= start {
                out.push((s, Bytes::copy_from_slice(&self.buf[a..b])));
            }
            pos = next;
        }
        self.buf.drain(from..pos);
        self.buf.shrink_to_fit();
        self.set_len(self.len() - out.len());
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scores_round_trip_in_both_forms() {
        let scores = [
            0.0,
            -0.0,
            1.0,
            -1.0,
            1.5,
            1e300,
            -INT_MAX,
            INT_MAX,
            INT_MAX * 2.0,
        ];
        let mut p = Packed::default();
        for (i, s) in scores.iter().enumerate() {
            p.insert(*s, format!("m{i}").as_bytes());
        }
        assert_eq!(p.len(), scores.len());
        for (i, s) in scores.iter().enumerate() {
            let got = p.score(format!("m{i}").as_bytes()).expect("present");
            assert_eq!(got.to_bits(), if *s == 0.0 { 0 } else { s.to_bits() });
        }
        let d = p.drain(1, 3);
        assert_eq!(d.len(), 2);
        assert_eq!(p.len(), scores.len() - 2);
        assert_eq!(p.iter().count(), p.len());
        let n = p.len();
        assert_eq!(p.drain(0, n).len(), n);
        assert!(p.is_empty());
        assert_eq!(p.buf.capacity(), 0, "an empty set keeps no buffer");
        assert!(Packed::from_sorted(std::iter::empty()).is_empty());
    }

    #[test]
    fn the_buffer_is_kept_at_its_exact_size() {
        let mut p = Packed::default();
        for i in 0..10 {
            p.insert(f64::from(i), format!("member:{i}").as_bytes());
            assert_eq!(p.buf.capacity(), p.buf.len());
        }
        assert_eq!(p.bytes_len(), HEADER + 110);
        p.remove(b"member:3");
        p.drain(0, 2);
        assert_eq!(p.buf.capacity(), p.buf.len());
    }
}
