//! RESP2 and RESP3 frames.
//!
//! [`Frame`] is the superset of both protocols. Handlers build RESP3 values (maps, sets,
//! doubles, booleans); [`encode::encode`] downgrades them for a RESP2 client exactly as Redis
//! does (`addReplyMap` → flat array, `addReplyDouble` → bulk string, ...).
//!
//! Requests are always arrays of bulk strings (or inline commands), so the request decoder
//! ([`decode::RequestDecoder`]) produces `Vec<Bytes>` directly and never builds a `Frame`.
//! The reply decoder ([`decode::decode_reply`]) reads any frame; the router and the tests use it.

pub mod decode;
pub mod encode;

use bytes::Bytes;

/// Which protocol a client speaks (`HELLO 2` / `HELLO 3`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Protocol {
    /// RESP2, the default for every new connection.
    #[default]
    Resp2,
    /// RESP3, after `HELLO 3`.
    Resp3,
}

/// One RESP value.
#[derive(Debug, Clone, PartialEq)]
pub enum Frame {
    /// `+OK`
    Simple(Bytes),
    /// `-ERR ...`: the whole line without the leading `-`.
    Error(Bytes),
    /// `:42`
    Integer(i64),
    /// `$3\r\nfoo`
    Bulk(Bytes),
    /// The null bulk string: `$-1` in RESP2, `_` in RESP3.
    Null,
    /// The null array: `*-1` in RESP2, `_` in RESP3 (BLPOP timeout, EXEC after WATCH failure).
    NullArray,
    /// `*N`
    Array(Vec<Frame>),
    /// `%N` in RESP3; a flat array of 2N elements in RESP2.
    Map(Vec<(Frame, Frame)>),
    /// `~N` in RESP3; an array in RESP2.
    Set(Vec<Frame>),
    /// `,1.5` in RESP3; a bulk string in RESP2.
    Double(f64),
    /// `#t` in RESP3; the integer 1 or 0 in RESP2.
    Boolean(bool),
    /// `(123...` in RESP3; a bulk string in RESP2.
    BigNumber(Bytes),
    /// `=N\r\ntxt:...` in RESP3; a bulk string in RESP2. The format is three bytes.
    Verbatim([u8; 3], Bytes),
    /// `>N` in RESP3; an array in RESP2 (pub/sub messages, invalidations).
    Push(Vec<Frame>),
    /// One reply already encoded, written out as it is: a handler that streams a large
    /// reply straight from a collection (LRANGE) builds it with [`RawArray`] instead of one
    /// `Frame` and one `Bytes` per element. Only for replies that read the same in RESP2 and
    /// RESP3 (arrays of bulk strings); whoever needs the structure decodes it
    /// ([`decode::decode_reply`], as scripts do).
    Raw(Bytes),
}

/// Builds a [`Frame::Raw`] array of bulk strings: `*n` first, then exactly `n` bulks.
#[derive(Debug)]
pub struct RawArray {
    out: Vec<u8>,
    left: usize,
}

impl RawArray {
    /// An array of `n` bulk strings; `bytes_hint` is the expected size of their payloads.
    pub fn new(n: usize, bytes_hint: usize) -> RawArray {
        let mut out = Vec::with_capacity(16 + bytes_hint + n * 6);
        out.push(b'*');
        out.extend_from_slice(itoa::Buffer::new().format(n).as_bytes());
        out.extend_from_slice(b"\r\n");
        RawArray { out, left: n }
    }

    /// Appends the next bulk string.
    #[inline]
    pub fn push(&mut self, b: &[u8]) {
        debug_assert!(self.left > 0, "more bulks than announced");
        self.left -= 1;
        if let Ok(d @ 0..=9) = u8::try_from(b.len()) {
            // Most elements are short: a fixed-size header, no digit formatting.
            self.out.extend_from_slice(&[b'$', b'0' + d, b'\r', b'\n']);
        } else {
            self.out.push(b'$');
            self.out
                .extend_from_slice(itoa::Buffer::new().format(b.len()).as_bytes());
            self.out.extend_from_slice(b"\r\n");
        }
        self.out.extend_from_slice(b);
        self.out.extend_from_slice(b"\r\n");
    }

    /// Reserves room for `bytes` more bytes of payload over `n` more bulks.
    pub fn reserve(&mut self, n: usize, bytes: usize) {
        self.out.reserve(bytes + n * 6);
    }

    /// The finished frame.
    pub fn finish(self) -> Frame {
        assert_eq!(self.left, 0, "invariant: every announced bulk was written");
        Frame::Raw(Bytes::from(self.out))
    }
}

impl Frame {
    /// `+OK`
    pub const fn ok() -> Frame {
        Frame::Simple(Bytes::from_static(b"OK"))
    }

    /// A simple string from a static text.
    pub const fn simple(s: &'static str) -> Frame {
        Frame::Simple(Bytes::from_static(s.as_bytes()))
    }

    /// A bulk string copied from a slice.
    pub fn bulk(b: impl AsRef<[u8]>) -> Frame {
        Frame::Bulk(Bytes::copy_from_slice(b.as_ref()))
    }

    /// A bulk string from a static text.
    pub const fn bulk_static(s: &'static str) -> Frame {
        Frame::Bulk(Bytes::from_static(s.as_bytes()))
    }

    /// The bulk string of an integer's decimal digits (`INCRBYFLOAT`-style replies use
    /// [`crate::number`] instead).
    pub fn bulk_i64(n: i64) -> Frame {
        Frame::Bulk(Bytes::copy_from_slice(
            itoa::Buffer::new().format(n).as_bytes(),
        ))
    }

    /// An error frame; `text` includes the code, e.g. `ERR syntax error`.
    pub fn error(text: impl Into<Bytes>) -> Frame {
        Frame::Error(text.into())
    }

    /// An array of bulk strings.
    pub fn bulks<I, B>(items: I) -> Frame
    where
        I: IntoIterator<Item = B>,
        B: Into<Bytes>,
    {
        Frame::Array(items.into_iter().map(|b| Frame::Bulk(b.into())).collect())
    }

    /// The bytes of a simple, bulk or verbatim string.
    pub fn as_bytes(&self) -> Option<&Bytes> {
        match self {
            Frame::Simple(b) | Frame::Bulk(b) | Frame::Verbatim(_, b) | Frame::BigNumber(b) => {
                Some(b)
            }
            _ => None,
        }
    }

    /// True for an error reply.
    pub fn is_error(&self) -> bool {
        matches!(self, Frame::Error(_))
    }

    /// The structured form of a [`Frame::Raw`] (decoded); any other frame as it is.
    pub fn unraw(self) -> Frame {
        match self {
            Frame::Raw(b) => {
                let mut buf = bytes::BytesMut::from(&b[..]);
                decode::decode_reply(&mut buf)
                    .ok()
                    .flatten()
                    .expect("invariant: a raw frame holds one well-formed reply")
            }
            f => f,
        }
    }
}

/// A broken request stream. The node replies `-ERR Protocol error: <text>` and closes the
/// connection, as Redis does (`setProtocolError`).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ProtocolError {
    /// `*` followed by a bad or too large count.
    #[error("invalid multibulk length")]
    InvalidMultibulkLength,
    /// `$` followed by a bad or too large length.
    #[error("invalid bulk length")]
    InvalidBulkLength,
    /// Inside a multibulk, an element that does not start with `$`.
    #[error("expected '$', got '{0}'")]
    ExpectedDollar(char),
    /// An inline command longer than the inline limit without a newline.
    #[error("too big inline request")]
    TooBigInline,
    /// A multibulk count line longer than the inline limit.
    #[error("too big mbulk count string")]
    TooBigMbulkCount,
    /// A bulk length line longer than the inline limit.
    #[error("too big bulk count string")]
    TooBigBulkCount,
    /// A multibulk count over 10 from a client that must still AUTH.
    #[error("unauthenticated multibulk length")]
    UnauthenticatedMultibulkLength,
    /// A bulk over 16 KB from a client that must still AUTH.
    #[error("unauthenticated bulk length")]
    UnauthenticatedBulkLength,
    /// An inline command with an unterminated quote.
    #[error("unbalanced quotes in request")]
    UnbalancedQuotes,
    /// A reply that is not valid RESP (reply decoder only).
    #[error("invalid reply: {0}")]
    InvalidReply(&'static str),
    /// A reply nested deeper than the decoder allows (reply decoder only).
    #[error("reply nested too deeply")]
    TooDeep,
}

impl ProtocolError {
    /// The full error line a Redis server sends before closing the connection.
    pub fn reply_text(&self) -> String {
        format!("ERR Protocol error: {self}")
    }
}
