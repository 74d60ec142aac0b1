//! Compact byte strings for keys and string values: the role of Redis's `embstr` encoding
//! (a short string stored inside the object that holds it, no second allocation).
//!
//! A [`CompactBytes`] is 24 bytes: up to [`INLINE_CAP`] bytes are stored inline, longer
//! strings in an exact-size boxed slice (16 bytes of pointer and length, no capacity, no
//! reference count). `bytes::Bytes` would take 32 bytes plus a heap allocation for every
//! string, plus a shared header (another allocation) the first time it is cloned.
//!
//! A string value can also carry the encoding `OBJECT ENCODING` must report when Redis's
//! rule is not its content ([`CompactBytes::tagged`]): Redis turns a string it edits in place
//! (APPEND, SETRANGE, SETBIT, BITFIELD, BITOP's result) into `raw` whatever its length, and
//! INCRBYFLOAT stores `embstr` even for an integer-looking result.
//!
//! Invariants: a string of at most [`INLINE_CAP`] bytes is `Inline` unless it is `Tagged`;
//! `Inline.len <= INLINE_CAP`. Equality and hashing are by content, whatever the variant.

use std::borrow::Borrow;
use std::fmt;
use std::ops::Deref;

use bytes::{Bytes, BytesMut};

/// Longest string stored inline.
pub const INLINE_CAP: usize = 22;

/// Longest string Redis stores as `embstr` (`OBJ_ENCODING_EMBSTR_SIZE_LIMIT`).
pub const EMBSTR_MAX: usize = 44;

/// The encoding a [`CompactBytes::Tagged`] string reports to `OBJECT ENCODING`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StrEncoding {
    /// `raw`: edited in place.
    Raw,
    /// `embstr`: a short string Redis did not try to turn into an integer.
    Embstr,
}

/// A byte string, inline when short (see the module header).
#[derive(Clone)]
pub enum CompactBytes {
    /// At most [`INLINE_CAP`] bytes, in place.
    Inline {
        /// Number of bytes used in `buf`.
        len: u8,
        /// The bytes; only `buf[..len]` is meaningful (the rest is zero).
        buf: [u8; INLINE_CAP],
    },
    /// More than [`INLINE_CAP`] bytes, on the heap.
    Heap(Box<[u8]>),
    /// Any length, on the heap, with the encoding `OBJECT ENCODING` reports.
    Tagged(Box<[u8]>, StrEncoding),
}

impl PartialEq for CompactBytes {
    fn eq(&self, other: &CompactBytes) -> bool {
        self.as_slice() == other.as_slice()
    }
}

impl Eq for CompactBytes {}

impl CompactBytes {
    /// Bytes it holds on the heap: none when inline (MEMORY USAGE).
    pub fn heap_bytes(&self) -> usize {
        match self {
            CompactBytes::Inline { .. } => 0,
            CompactBytes::Heap(b) | CompactBytes::Tagged(b, _) => b.len(),
        }
    }

    /// The empty string.
    pub const fn new() -> CompactBytes {
        CompactBytes::Inline {
            len: 0,
            buf: [0; INLINE_CAP],
        }
    }

    /// A copy of `s`.
    pub fn from_slice(s: &[u8]) -> CompactBytes {
        if s.len() <= INLINE_CAP {
            let mut buf = [0; INLINE_CAP];
            buf[..s.len()].copy_from_slice(s);
            CompactBytes::Inline {
                len: u8::try_from(s.len()).expect("invariant: len <= INLINE_CAP"),
                buf,
            }
        } else {
            CompactBytes::Heap(s.into())
        }
    }

    /// The decimal form of `v` (always inline: at most 20 bytes).
    pub fn from_i64(v: i64) -> CompactBytes {
        CompactBytes::from_slice(itoa::Buffer::new().format(v).as_bytes())
    }

    /// Takes ownership of `v` (no copy when it is long and has no spare capacity).
    pub fn from_vec(v: Vec<u8>) -> CompactBytes {
        if v.len() <= INLINE_CAP {
            CompactBytes::from_slice(&v)
        } else {
            CompactBytes::Heap(v.into_boxed_slice())
        }
    }

    /// `v` reporting `encoding` to `OBJECT ENCODING` (see the module header).
    pub fn tagged(v: impl Into<Vec<u8>>, encoding: StrEncoding) -> CompactBytes {
        CompactBytes::Tagged(v.into().into_boxed_slice(), encoding)
    }

    /// The encoding fixed by [`CompactBytes::tagged`], if any.
    pub fn tag(&self) -> Option<StrEncoding> {
        match self {
            CompactBytes::Tagged(_, e) => Some(*e),
            _ => None,
        }
    }

    /// The bytes.
    pub fn as_slice(&self) -> &[u8] {
        match self {
            CompactBytes::Inline { len, buf } => &buf[..usize::from(*len)],
            CompactBytes::Heap(b) | CompactBytes::Tagged(b, _) => b,
        }
    }

    /// A `Bytes` copy (for replies and arguments).
    pub fn to_bytes(&self) -> Bytes {
        Bytes::copy_from_slice(self.as_slice())
    }

    /// The contents as a growable buffer, leaving `self` empty (no copy for heap strings):
    /// for in-place edits (SETRANGE, SETBIT, APPEND), stored back with [`CompactBytes::from`].
    pub fn take_mut(&mut self) -> BytesMut {
        match std::mem::take(self) {
            CompactBytes::Inline { len, buf } => BytesMut::from(&buf[..usize::from(len)]),
            CompactBytes::Heap(b) | CompactBytes::Tagged(b, _) => Bytes::from(b)
                .try_into_mut()
                .unwrap_or_else(|b| BytesMut::from(&b[..])),
        }
    }
}

impl CompactBytes {
    /// The bytes for an in-place edit of the same length; the string reports `raw` from now
    /// on, as Redis's `dbUnshareStringValue` leaves it (no copy for heap strings).
    pub fn raw_mut(&mut self) -> &mut [u8] {
        if self.tag() != Some(StrEncoding::Raw) {
            let boxed: Box<[u8]> = match std::mem::take(self) {
                CompactBytes::Inline { len, buf } => buf[..usize::from(len)].into(),
                CompactBytes::Heap(b) | CompactBytes::Tagged(b, _) => b,
            };
            *self = CompactBytes::Tagged(boxed, StrEncoding::Raw);
        }
        match self {
            CompactBytes::Tagged(b, _) => b,
            _ => unreachable!("invariant: converted to Tagged above"),
        }
    }

    /// The contents as a vector, leaving `self` empty (no copy for heap strings): for edits
    /// that change the length, stored back with [`CompactBytes::tagged`].
    pub fn take_vec(&mut self) -> Vec<u8> {
        match std::mem::take(self) {
            CompactBytes::Inline { len, buf } => buf[..usize::from(len)].to_vec(),
            CompactBytes::Heap(b) | CompactBytes::Tagged(b, _) => b.into_vec(),
        }
    }
}

impl Default for CompactBytes {
    fn default() -> CompactBytes {
        CompactBytes::new()
    }
}

impl Deref for CompactBytes {
    type Target = [u8];
    fn deref(&self) -> &[u8] {
        self.as_slice()
    }
}

impl AsRef<[u8]> for CompactBytes {
    fn as_ref(&self) -> &[u8] {
        self.as_slice()
    }
}

impl Borrow<[u8]> for CompactBytes {
    fn borrow(&self) -> &[u8] {
        self.as_slice()
    }
}

impl From<&[u8]> for CompactBytes {
    fn from(s: &[u8]) -> CompactBytes {
        CompactBytes::from_slice(s)
    }
}

impl From<&Bytes> for CompactBytes {
    fn from(s: &Bytes) -> CompactBytes {
        CompactBytes::from_slice(s)
    }
}

impl From<Bytes> for CompactBytes {
    /// Reuses the allocation of a uniquely owned, exactly sized `Bytes`; copies otherwise.
    fn from(s: Bytes) -> CompactBytes {
        if s.len() <= INLINE_CAP {
            CompactBytes::from_slice(&s)
        } else {
            CompactBytes::from_vec(Vec::from(s))
        }
    }
}

impl From<BytesMut> for CompactBytes {
    fn from(s: BytesMut) -> CompactBytes {
        if s.len() <= INLINE_CAP {
            CompactBytes::from_slice(&s)
        } else {
            CompactBytes::from_vec(Vec::from(s))
        }
    }
}

impl From<Vec<u8>> for CompactBytes {
    fn from(v: Vec<u8>) -> CompactBytes {
        CompactBytes::from_vec(v)
    }
}

impl fmt::Debug for CompactBytes {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&Bytes::copy_from_slice(self.as_slice()), f)
    }
}

impl std::hash::Hash for CompactBytes {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        self.as_slice().hash(state);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn is_24_bytes() {
        assert_eq!(std::mem::size_of::<CompactBytes>(), 24);
    }

    #[test]
    fn inline_up_to_cap_then_heap() {
        let s = CompactBytes::from_slice(&[7; INLINE_CAP]);
        assert!(matches!(s, CompactBytes::Inline { .. }));
        let l = CompactBytes::from_slice(&[7; INLINE_CAP + 1]);
        assert!(matches!(l, CompactBytes::Heap(_)));
        assert_eq!(CompactBytes::new().as_slice(), b"");
    }

    #[test]
    fn tagged_strings_compare_and_hash_by_content() {
        use std::hash::BuildHasher;
        let plain = CompactBytes::from_slice(b"12");
        let raw = CompactBytes::tagged(&b"12"[..], StrEncoding::Raw);
        assert_eq!(plain, raw);
        assert_eq!(raw.tag(), Some(StrEncoding::Raw));
        assert_eq!(plain.tag(), None);
        let h = std::collections::hash_map::RandomState::new();
        assert_eq!(h.hash_one(&plain), h.hash_one(&raw));
        let mut m = raw;
        assert_eq!(&m.take_mut()[..], b"12");
    }

    proptest! {
        #[test]
        fn round_trips(v in proptest::collection::vec(any::<u8>(), 0..80)) {
            let a = CompactBytes::from_slice(&v);
            prop_assert_eq!(a.as_slice(), &v[..]);
            let b = CompactBytes::from(Bytes::from(v.clone()));
            prop_assert_eq!(&a, &b);
            let mut c = CompactBytes::from(v.clone());
            prop_assert_eq!(&a, &c);
            let mut m = c.take_mut();
            prop_assert_eq!(c.as_slice(), b"");
            m.extend_from_slice(b"x");
            let d = CompactBytes::from(m);
            prop_assert_eq!(d.len(), v.len() + 1);
            prop_assert_eq!(&d[..v.len()], &v[..]);
        }
    }
}
