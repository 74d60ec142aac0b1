//! Compact byte strings for keys and string values: the role of Redis's `embstr` encoding
//! (a short string stored inside the object that holds it, no second allocation).
//!
//! A [`CompactBytes`] is 24 bytes: up to [`INLINE_CAP`] bytes are stored inline, longer
//! strings in an exact-size boxed slice (16 bytes of pointer and length, no capacity, no
//! reference count). `bytes::Bytes` would take 32 bytes plus a heap allocation for every
//! string, plus a shared header (another allocation) the first time it is cloned.
//!
//! Invariants: a string of at most [`INLINE_CAP`] bytes is always `Inline` (so equality of
//! the representations is equality of the contents); `Inline.len <= INLINE_CAP`.

use std::borrow::Borrow;
use std::fmt;
use std::ops::Deref;

use bytes::{Bytes, BytesMut};

/// Longest string stored inline.
pub const INLINE_CAP: usize = 22;

/// A byte string, inline when short (see the module header).
#[derive(Clone, PartialEq, Eq)]
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
}

impl CompactBytes {
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

    /// The bytes.
    pub fn as_slice(&self) -> &[u8] {
        match self {
            CompactBytes::Inline { len, buf } => &buf[..usize::from(*len)],
            CompactBytes::Heap(b) => b,
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
            CompactBytes::Heap(b) => Bytes::from(b)
                .try_into_mut()
                .unwrap_or_else(|b| BytesMut::from(&b[..])),
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
