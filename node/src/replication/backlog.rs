//! The replication backlog (Redis `repl_backlog`): the last `repl-backlog-size` bytes of the
//! replication stream, so a replica whose link dropped can continue from its offset
//! (`+CONTINUE`) instead of a full resynchronisation.
//!
//! Offsets are Redis's: the first byte of the stream has offset 1, and `end_offset` is the
//! master replication offset (the offset of the last byte written).

use std::collections::VecDeque;

/// A bounded ring of the newest stream bytes.
#[derive(Debug)]
pub struct Backlog {
    buf: VecDeque<u8>,
    capacity: usize,
    /// Offset of the last byte ever written (0 before any).
    end_offset: i64,
}

impl Backlog {
    /// An empty backlog holding at most `capacity` bytes, continuing after `end_offset`.
    pub fn new(capacity: usize, end_offset: i64) -> Backlog {
        Backlog {
            buf: VecDeque::new(),
            capacity: capacity.max(1),
            end_offset,
        }
    }

    /// Appends stream bytes, dropping the oldest past the capacity.
    pub fn append(&mut self, data: &[u8]) {
        self.end_offset += i64::try_from(data.len()).unwrap_or(i64::MAX);
        if data.len() >= self.capacity {
            self.buf.clear();
            self.buf.extend(&data[data.len() - self.capacity..]);
            return;
        }
        let overflow = (self.buf.len() + data.len()).saturating_sub(self.capacity);
        self.buf.drain(..overflow);
        self.buf.extend(data);
    }

    /// Offset of the newest byte.
    pub fn end_offset(&self) -> i64 {
        self.end_offset
    }

    /// Offset of the oldest byte held (`repl_backlog_first_byte_offset`).
    pub fn first_offset(&self) -> i64 {
        self.end_offset - i64::try_from(self.buf.len()).unwrap_or(0) + 1
    }

    /// Bytes held (`repl_backlog_histlen`).
    pub fn len(&self) -> usize {
        self.buf.len()
    }

    /// True when nothing is held.
    pub fn is_empty(&self) -> bool {
        self.buf.is_empty()
    }

    /// Capacity in bytes.
    pub fn capacity(&self) -> usize {
        self.capacity
    }

    /// Changes the capacity (CONFIG SET repl-backlog-size), keeping the newest bytes.
    pub fn resize(&mut self, capacity: usize) {
        self.capacity = capacity.max(1);
        let overflow = self.buf.len().saturating_sub(self.capacity);
        self.buf.drain(..overflow);
    }

    /// The bytes from `offset` (inclusive) to the end, if the backlog still holds them.
    /// `offset == end_offset + 1` gives an empty continuation.
    pub fn since(&self, offset: i64) -> Option<Vec<u8>> {
        if offset > self.end_offset + 1
            || (offset < self.first_offset() && offset != self.end_offset + 1)
        {
            return None;
        }
        let skip = usize::try_from(offset - self.first_offset()).ok()?;
        Some(self.buf.iter().skip(skip).copied().collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_newest_bytes_and_answers_offsets() {
        let mut b = Backlog::new(10, 0);
        b.append(b"abcdef");
        assert_eq!(b.first_offset(), 1);
        assert_eq!(b.since(3).unwrap(), b"cdef");
        b.append(b"ghijkl");
        assert_eq!(b.end_offset(), 12);
        assert_eq!(b.first_offset(), 3);
        assert_eq!(b.since(3).unwrap(), b"cdefghijkl");
        assert!(b.since(2).is_none());
        assert_eq!(b.since(13).unwrap(), b"");
        assert!(b.since(14).is_none());
        b.append(b"0123456789XYZ");
        assert_eq!(b.since(16).unwrap(), b"3456789XYZ");
    }
}
