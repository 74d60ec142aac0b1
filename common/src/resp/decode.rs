//! Decoders: requests (server side) and replies (client side).
//!
//! The request decoder mirrors Redis's `processMultibulkBuffer` and `processInlineBuffer`:
//! the same limits, the same error texts, and the same leniency (Redis does not check the two
//! bytes after a bulk string's payload, and neither do we). It is incremental: it consumes
//! bytes as soon as a piece of a command is complete, so a command that arrives in many reads
//! is never re-parsed from its start.

use bytes::{Buf, Bytes, BytesMut};

use super::{Frame, ProtocolError};

/// Longest inline command, and longest `*N` / `$N` header line (Redis `PROTO_INLINE_MAX_SIZE`).
pub const INLINE_MAX_BYTES: usize = 64 * 1024;
/// Default `proto-max-bulk-len`: 512 MB.
pub const PROTO_MAX_BULK_LEN_DEFAULT: i64 = 512 * 1024 * 1024;
/// Largest multibulk count Redis accepts (`INT_MAX`).
pub const MULTIBULK_MAX: i64 = i32::MAX as i64;
/// A bulk at least this large gets its buffer reserved up front (Redis `PROTO_MBULK_BIG_ARG`).
const BIG_ARG_BYTES: i64 = 32 * 1024;
/// Largest multibulk count a client that must still AUTH may send (Redis 7.0).
pub const UNAUTH_MULTIBULK_MAX: i64 = 10;
/// Largest bulk a client that must still AUTH may send (Redis 7.0).
pub const UNAUTH_BULK_MAX: i64 = 16384;
/// Most arguments a command may have to take the one-pass path of the request decoder
/// (larger commands are read incrementally).
pub const FAST_PATH_ARGS: usize = 16;
/// Deepest nesting the reply decoder follows; real replies nest a handful of levels.
pub const REPLY_DEPTH_MAX: usize = 128;

/// Incremental decoder of client requests.
#[derive(Debug)]
pub struct RequestDecoder {
    /// `proto-max-bulk-len`.
    pub max_bulk_len: i64,
    /// The client must still AUTH: small limits on counts and bulks, as Redis applies to
    /// unauthenticated clients so they cannot make the server allocate.
    pub unauthenticated: bool,
    /// Elements still expected by the multibulk being read (0 = between commands).
    pending_args: usize,
    /// Length of the bulk whose header was read, if any.
    bulk_len: Option<usize>,
    /// Elements read so far of the current multibulk.
    args: Vec<Bytes>,
}

impl Default for RequestDecoder {
    fn default() -> Self {
        RequestDecoder::new(PROTO_MAX_BULK_LEN_DEFAULT)
    }
}

/// Position of the first `\r` in `buf`, Redis-style (multibulk headers end at `\r`).
fn find_cr(buf: &[u8]) -> Option<usize> {
    buf.iter().position(|&b| b == b'\r')
}

/// The one-pass path's header number: the decimal at `b[start..]` up to the next `\r`, with
/// the `\r`'s index. Only a canonical non-negative number of at most 18 digits (`0`, or no
/// leading zero) is read, in one pass; anything else is `None` and the incremental path
/// parses it with Redis's exact rules and errors.
#[inline]
fn canonical_len(b: &[u8], start: usize) -> Option<(usize, usize)> {
    let mut n: usize = 0;
    let mut i = start;
    loop {
        match *b.get(i)? {
            c @ b'0'..=b'9' => n = n * 10 + usize::from(c - b'0'),
            b'\r' => break,
            _ => return None,
        }
        i += 1;
        if i - start > 18 {
            return None;
        }
    }
    let digits = i - start;
    if digits == 0 || (digits > 1 && b[start] == b'0') {
        return None;
    }
    Some((n, i))
}

/// The one-pass path: when `b` starts with a whole multibulk command of at most
/// `count_max` (and [`FAST_PATH_ARGS`]) arguments of at most `len_max` bytes each, written
/// canonically, fills `spans` with each argument's (start, length) in `b` and returns the
/// argument count and the command's length in bytes. `None` otherwise (incomplete, or
/// anything the incremental decoder must judge); nothing is copied.
pub fn whole_command(
    b: &[u8],
    count_max: i64,
    len_max: i64,
    spans: &mut [(usize, usize); FAST_PATH_ARGS],
) -> Option<(usize, usize)> {
    if b.first() != Some(&b'*') {
        return None;
    }
    let (count, cr) = canonical_len(b, 1)?;
    if count == 0 || count as i64 > count_max.min(FAST_PATH_ARGS as i64) {
        return None;
    }
    let mut pos = cr + 2;
    for span in &mut spans[..count] {
        let rest = b.get(pos..)?;
        if rest.first() != Some(&b'$') {
            return None;
        }
        let (len, cr) = canonical_len(rest, 1)?;
        if len as i64 > len_max {
            return None;
        }
        let start = pos + cr + 2;
        pos = start.checked_add(len)?.checked_add(2)?;
        if b.len() < pos {
            return None;
        }
        *span = (start, len);
    }
    Some((count, pos))
}

/// Redis `string2ll`: strict decimal, optional `-`, no `+`, no leading zeros, no spaces.
pub fn parse_i64_strict(s: &[u8]) -> Option<i64> {
    crate::number::parse_i64(s)
}

/// An argument as `Bytes`: its own allocation (a value stored in the keyspace must not pin
/// the read buffer it arrived in), except the name of a frequent command, which is static.
fn arg_bytes(first: bool, arg: &[u8]) -> Bytes {
    if first && let Some(name) = static_name(arg) {
        return name;
    }
    Bytes::copy_from_slice(arg)
}

/// The names of the commands clients send most, spelled as clients send them (upper or
/// lower case), without an allocation; `None` for any other spelling or command.
fn static_name(name: &[u8]) -> Option<Bytes> {
    macro_rules! names {
        ($($n:literal)*) => {
            match name {
                $($n => Some(Bytes::from_static($n)),)*
                _ => None,
            }
        };
    }
    names!(
        b"GET" b"get" b"SET" b"set" b"INCR" b"incr" b"DECR" b"decr" b"INCRBY" b"incrby"
        b"DECRBY" b"decrby" b"MGET" b"mget" b"MSET" b"mset" b"DEL" b"del" b"EXISTS" b"exists"
        b"EXPIRE" b"expire" b"PEXPIRE" b"pexpire" b"TTL" b"ttl" b"PTTL" b"pttl" b"SETEX" b"setex"
        b"APPEND" b"append" b"HGET" b"hget" b"HSET" b"hset" b"HDEL" b"hdel" b"HGETALL" b"hgetall"
        b"HINCRBY" b"hincrby" b"LPUSH" b"lpush" b"RPUSH" b"rpush" b"LPOP" b"lpop" b"RPOP" b"rpop"
        b"LRANGE" b"lrange" b"LLEN" b"llen" b"SADD" b"sadd" b"SREM" b"srem" b"SPOP" b"spop"
        b"SISMEMBER" b"sismember" b"SMEMBERS" b"smembers" b"ZADD" b"zadd" b"ZREM" b"zrem"
        b"ZSCORE" b"zscore" b"ZRANGE" b"zrange" b"PING" b"ping" b"PUBLISH" b"publish"
        b"EVALSHA" b"evalsha" b"MULTI" b"multi" b"EXEC" b"exec"
    )
}

impl RequestDecoder {
    /// A decoder enforcing `max_bulk_len` (`proto-max-bulk-len`).
    pub fn new(max_bulk_len: i64) -> Self {
        RequestDecoder {
            max_bulk_len,
            unauthenticated: false,
            pending_args: 0,
            bulk_len: None,
            args: Vec::new(),
        }
    }

    /// True when no command is partly read.
    pub fn is_idle(&self) -> bool {
        self.pending_args == 0
    }

    /// Decodes the next complete command. `Ok(None)` means more bytes are needed; bytes of a
    /// partly read command are consumed and remembered. An empty command (`*0`, `*-1`, an
    /// empty inline line) is skipped, as Redis skips it.
    pub fn decode(&mut self, buf: &mut BytesMut) -> Result<Option<Vec<Bytes>>, ProtocolError> {
        loop {
            if self.pending_args == 0 {
                if buf.is_empty() {
                    return Ok(None);
                }
                if let Some(args) = self.decode_whole(buf) {
                    return Ok(Some(args));
                }
                let started = if buf[0] == b'*' {
                    self.read_multibulk_count(buf)?
                } else {
                    match self.read_inline(buf)? {
                        Some(args) if args.is_empty() => continue,
                        Some(args) => return Ok(Some(args)),
                        None => return Ok(None),
                    }
                };
                match started {
                    None => return Ok(None),
                    Some(0) => continue,
                    Some(_) => {}
                }
            }
            if !self.read_bulks(buf)? {
                return Ok(None);
            }
            return Ok(Some(std::mem::take(&mut self.args)));
        }
    }

    /// Fast path for the common case, a whole well-formed multibulk already in `buf`: parsed
    /// with a cursor and consumed with one `advance`. `None` (nothing consumed) for anything
    /// else (incomplete, empty, malformed, over a limit), which the incremental path then
    /// handles with its exact errors; so both paths accept the same commands alike.
    fn decode_whole(&self, buf: &mut BytesMut) -> Option<Vec<Bytes>> {
        let b = &buf[..];
        let (count_max, len_max) = if self.unauthenticated {
            (UNAUTH_MULTIBULK_MAX, self.max_bulk_len.min(UNAUTH_BULK_MAX))
        } else {
            (FAST_PATH_ARGS as i64, self.max_bulk_len)
        };
        let mut spans = [(0usize, 0usize); FAST_PATH_ARGS];
        let (count, pos) = whole_command(b, count_max, len_max, &mut spans)?;
        let args = spans[..count]
            .iter()
            .enumerate()
            .map(|(i, &(s, l))| arg_bytes(i == 0, &b[s..s + l]))
            .collect();
        buf.advance(pos);
        Some(args)
    }

    /// Reads `*N\r\n`. Returns the count, or `None` when the line is incomplete.
    fn read_multibulk_count(&mut self, buf: &mut BytesMut) -> Result<Option<usize>, ProtocolError> {
        let Some(cr) = find_cr(buf) else {
            if buf.len() > INLINE_MAX_BYTES {
                return Err(ProtocolError::TooBigMbulkCount);
            }
            return Ok(None);
        };
        if cr + 1 >= buf.len() {
            return Ok(None); // the '\n' has not arrived yet
        }
        let count = parse_i64_strict(&buf[1..cr]);
        let count = match count {
            Some(n) if n <= MULTIBULK_MAX => n,
            _ => return Err(ProtocolError::InvalidMultibulkLength),
        };
        if self.unauthenticated && count > UNAUTH_MULTIBULK_MAX {
            return Err(ProtocolError::UnauthenticatedMultibulkLength);
        }
        buf.advance(cr + 2);
        if count <= 0 {
            return Ok(Some(0));
        }
        let count = usize::try_from(count).expect("invariant: 0 < count <= i32::MAX");
        self.pending_args = count;
        // Never trust a client's count for a large allocation.
        self.args = Vec::with_capacity(count.min(1024));
        Ok(Some(count))
    }

    /// Reads as many bulk strings of the current multibulk as are complete. Returns true
    /// when the command is complete.
    fn read_bulks(&mut self, buf: &mut BytesMut) -> Result<bool, ProtocolError> {
        while self.pending_args > 0 {
            let len = match self.bulk_len {
                Some(len) => len,
                None => {
                    let Some(cr) = find_cr(buf) else {
                        if buf.len() > INLINE_MAX_BYTES {
                            return Err(ProtocolError::TooBigBulkCount);
                        }
                        return Ok(false);
                    };
                    if cr + 1 >= buf.len() {
                        return Ok(false);
                    }
                    if buf[0] != b'$' {
                        return Err(ProtocolError::ExpectedDollar(char::from(buf[0])));
                    }
                    let len = match parse_i64_strict(&buf[1..cr]) {
                        Some(n) if (0..=self.max_bulk_len).contains(&n) => n,
                        _ => return Err(ProtocolError::InvalidBulkLength),
                    };
                    if self.unauthenticated && len > UNAUTH_BULK_MAX {
                        return Err(ProtocolError::UnauthenticatedBulkLength);
                    }
                    buf.advance(cr + 2);
                    if len >= BIG_ARG_BYTES {
                        buf.reserve(usize::try_from(len).unwrap_or(0) + 2);
                    }
                    let len = usize::try_from(len).expect("invariant: 0 <= len <= max");
                    self.bulk_len = Some(len);
                    len
                }
            };
            if buf.len() < len + 2 {
                return Ok(false);
            }
            // Each argument gets its own allocation: a value stored in the keyspace must not
            // pin the whole read buffer it arrived in.
            let first = self.args.is_empty();
            self.args.push(arg_bytes(first, &buf[..len]));
            buf.advance(len + 2);
            self.bulk_len = None;
            self.pending_args -= 1;
        }
        Ok(true)
    }

    /// Reads one inline command line (`SET k v\r\n`). `Some(vec![])` for an empty line.
    fn read_inline(&mut self, buf: &mut BytesMut) -> Result<Option<Vec<Bytes>>, ProtocolError> {
        // Redis finds the newline with `strchr`, which stops at a NUL byte: a NUL before the
        // newline leaves the line incomplete until the inline limit is reached.
        let Some(nl) = buf
            .iter()
            .position(|&b| b == b'\n' || b == 0)
            .filter(|&i| buf[i] == b'\n')
        else {
            if buf.len() > INLINE_MAX_BYTES {
                return Err(ProtocolError::TooBigInline);
            }
            return Ok(None);
        };
        let mut line_end = nl;
        if line_end > 0 && buf[line_end - 1] == b'\r' {
            line_end -= 1;
        }
        let args = split_args(&buf[..line_end]).ok_or(ProtocolError::UnbalancedQuotes)?;
        buf.advance(nl + 1);
        Ok(Some(args))
    }
}

fn hex_val(c: u8) -> Option<u8> {
    char::from(c)
        .to_digit(16)
        .and_then(|d| u8::try_from(d).ok())
}

/// Redis `sdssplitargs`: splits an inline command line into arguments, with `"..."` (C-style
/// escapes and `\xHH`) and `'...'` (only `\'`) quoting. `None` for unbalanced quotes or a
/// closing quote not followed by a space.
pub fn split_args(line: &[u8]) -> Option<Vec<Bytes>> {
    // Redis splits a C string: a NUL byte ends the line.
    let line = match line.iter().position(|&b| b == 0) {
        Some(nul) => &line[..nul],
        None => line,
    };
    let is_space = |c: u8| matches!(c, b' ' | b'\t' | b'\n' | 0x0b | 0x0c | b'\r');
    let mut args = Vec::new();
    let mut i = 0;
    let n = line.len();
    loop {
        while i < n && is_space(line[i]) {
            i += 1;
        }
        if i >= n {
            return Some(args);
        }
        let mut cur = Vec::new();
        let mut in_dq = false;
        let mut in_sq = false;
        loop {
            if in_dq {
                if i >= n {
                    return None;
                }
                let c = line[i];
                if c == b'\\'
                    && i + 3 < n
                    && line[i + 1] == b'x'
                    && hex_val(line[i + 2]).is_some()
                    && hex_val(line[i + 3]).is_some()
                {
                    let hi = hex_val(line[i + 2]).expect("invariant: checked above");
                    let lo = hex_val(line[i + 3]).expect("invariant: checked above");
                    cur.push(hi * 16 + lo);
                    i += 3;
                } else if c == b'\\' && i + 1 < n {
                    i += 1;
                    cur.push(match line[i] {
                        b'n' => b'\n',
                        b'r' => b'\r',
                        b't' => b'\t',
                        b'b' => 8,
                        b'a' => 7,
                        other => other,
                    });
                } else if c == b'"' {
                    if i + 1 < n && !is_space(line[i + 1]) {
                        return None;
                    }
                    i += 1;
                    break;
                } else {
                    cur.push(c);
                }
            } else if in_sq {
                if i >= n {
                    return None;
                }
                let c = line[i];
                if c == b'\\' && i + 1 < n && line[i + 1] == b'\'' {
                    i += 1;
                    cur.push(b'\'');
                } else if c == b'\'' {
                    if i + 1 < n && !is_space(line[i + 1]) {
                        return None;
                    }
                    i += 1;
                    break;
                } else {
                    cur.push(c);
                }
            } else {
                if i >= n {
                    break;
                }
                match line[i] {
                    b' ' | b'\n' | b'\r' | b'\t' => break,
                    b'"' => in_dq = true,
                    b'\'' => in_sq = true,
                    c => cur.push(c),
                }
            }
            i += 1;
        }
        args.push(Bytes::from(cur));
    }
}

/// Decodes one complete reply frame from the front of `buf`, consuming it. `Ok(None)` means
/// more bytes are needed and nothing was consumed. Nesting is bounded by
/// [`REPLY_DEPTH_MAX`].
pub fn decode_reply(buf: &mut BytesMut) -> Result<Option<Frame>, ProtocolError> {
    let mut pos = 0;
    match parse_reply(buf, &mut pos, 0)? {
        Some(frame) => {
            buf.advance(pos);
            Ok(Some(frame))
        }
        None => Ok(None),
    }
}

/// The length in bytes of the complete reply frame at the front of `buf`, without consuming
/// it (the router forwards upstream replies byte for byte and needs only their boundaries).
/// `Ok(None)` means more bytes are needed. It accepts and refuses exactly what
/// [`decode_reply`] does, but builds nothing: no frame, no copies.
pub fn reply_len(buf: &[u8]) -> Result<Option<usize>, ProtocolError> {
    let mut pos = 0;
    Ok(skip_reply(buf, &mut pos, 0)?.map(|()| pos))
}

/// The type byte and first line of the reply at `pos` (past them after), for
/// [`parse_reply`] and [`skip_reply`]; `Ok(None)` when they have not all arrived.
fn reply_header<'a>(
    buf: &'a [u8],
    pos: &mut usize,
    depth: usize,
) -> Result<Option<(u8, &'a [u8])>, ProtocolError> {
    if depth > REPLY_DEPTH_MAX {
        return Err(ProtocolError::TooDeep);
    }
    let Some(&kind) = buf.get(*pos) else {
        return Ok(None);
    };
    *pos += 1;
    Ok(read_line(buf, pos).map(|line| (kind, line)))
}

/// [`parse_reply`]'s checks without its frame: advances `pos` past one reply.
fn skip_reply(buf: &[u8], pos: &mut usize, depth: usize) -> Result<Option<()>, ProtocolError> {
    let Some((kind, line)) = reply_header(buf, pos, depth)? else {
        return Ok(None);
    };
    match kind {
        b'+' | b'-' | b'(' | b'_' => {}
        b':' => {
            line_int(line)?;
        }
        b'#' => {
            if !matches!(line, b"t" | b"f") {
                return Err(ProtocolError::InvalidReply("bad boolean"));
            }
        }
        b',' => {
            std::str::from_utf8(line)
                .ok()
                .and_then(crate::number::parse_resp_double)
                .ok_or(ProtocolError::InvalidReply("bad double"))?;
        }
        b'$' | b'=' | b'!' => {
            let len = line_int(line)?;
            if len < 0 {
                if kind == b'$' {
                    return Ok(Some(()));
                }
                return Err(ProtocolError::InvalidReply("negative length"));
            }
            let start = *pos;
            let Some(()) = skip_blob(buf, pos, len)? else {
                return Ok(None);
            };
            if kind == b'=' && (len < 4 || buf[start + 3] != b':') {
                return Err(ProtocolError::InvalidReply("bad verbatim string"));
            }
        }
        b'*' | b'~' | b'>' => {
            let count = line_int(line)?;
            if count < 0 {
                if kind == b'*' {
                    return Ok(Some(()));
                }
                return Err(ProtocolError::InvalidReply("negative count"));
            }
            return skip_items(buf, pos, count, depth);
        }
        b'%' | b'|' => {
            let count = line_int(line)?
                .checked_mul(2)
                .ok_or(ProtocolError::InvalidReply("bad count"))?;
            let Some(()) = skip_items(buf, pos, count, depth)? else {
                return Ok(None);
            };
            if kind == b'|' {
                return skip_reply(buf, pos, depth + 1);
            }
        }
        _ => return Err(ProtocolError::InvalidReply("unknown type byte")),
    }
    Ok(Some(()))
}

/// [`read_blob`] without the copy: advances `pos` past `len` bytes and their CRLF.
fn skip_blob(buf: &[u8], pos: &mut usize, len: i64) -> Result<Option<()>, ProtocolError> {
    let bad = || ProtocolError::InvalidReply("bad length");
    let len = usize::try_from(len).map_err(|_| bad())?;
    let start = *pos;
    let end = start
        .checked_add(len)
        .and_then(|e| e.checked_add(2))
        .ok_or_else(bad)?;
    if buf.len() < end {
        return Ok(None);
    }
    if &buf[start + len..end] != b"\r\n" {
        return Err(ProtocolError::InvalidReply("missing CRLF after blob"));
    }
    *pos = end;
    Ok(Some(()))
}

/// [`parse_items`] without the items.
fn skip_items(
    buf: &[u8],
    pos: &mut usize,
    count: i64,
    depth: usize,
) -> Result<Option<()>, ProtocolError> {
    let count = usize::try_from(count).map_err(|_| ProtocolError::InvalidReply("bad count"))?;
    for _ in 0..count {
        if skip_reply(buf, pos, depth + 1)?.is_none() {
            return Ok(None);
        }
    }
    Ok(Some(()))
}

fn read_line<'a>(buf: &'a [u8], pos: &mut usize) -> Option<&'a [u8]> {
    let start = *pos;
    let rel = buf.get(start..)?.windows(2).position(|w| w == b"\r\n")?;
    *pos = start + rel + 2;
    Some(&buf[start..start + rel])
}

fn line_int(line: &[u8]) -> Result<i64, ProtocolError> {
    parse_i64_strict(line).ok_or(ProtocolError::InvalidReply("bad integer"))
}

fn read_blob(buf: &[u8], pos: &mut usize, len: i64) -> Result<Option<Bytes>, ProtocolError> {
    let start = *pos;
    let Some(()) = skip_blob(buf, pos, len)? else {
        return Ok(None);
    };
    Ok(Some(Bytes::copy_from_slice(&buf[start..*pos - 2])))
}

fn parse_items(
    buf: &[u8],
    pos: &mut usize,
    count: i64,
    depth: usize,
) -> Result<Option<Vec<Frame>>, ProtocolError> {
    let count = usize::try_from(count).map_err(|_| ProtocolError::InvalidReply("bad count"))?;
    let mut items = Vec::with_capacity(count.min(4096));
    for _ in 0..count {
        match parse_reply(buf, pos, depth + 1)? {
            Some(f) => items.push(f),
            None => return Ok(None),
        }
    }
    Ok(Some(items))
}

fn parse_reply(buf: &[u8], pos: &mut usize, depth: usize) -> Result<Option<Frame>, ProtocolError> {
    let Some((kind, line)) = reply_header(buf, pos, depth)? else {
        return Ok(None);
    };
    let frame = match kind {
        b'+' => Frame::Simple(Bytes::copy_from_slice(line)),
        b'-' => Frame::Error(Bytes::copy_from_slice(line)),
        b':' => Frame::Integer(line_int(line)?),
        b'_' => Frame::Null,
        b'#' => match line {
            b"t" => Frame::Boolean(true),
            b"f" => Frame::Boolean(false),
            _ => return Err(ProtocolError::InvalidReply("bad boolean")),
        },
        b',' => {
            let text =
                std::str::from_utf8(line).map_err(|_| ProtocolError::InvalidReply("bad double"))?;
            Frame::Double(
                crate::number::parse_resp_double(text)
                    .ok_or(ProtocolError::InvalidReply("bad double"))?,
            )
        }
        b'(' => Frame::BigNumber(Bytes::copy_from_slice(line)),
        b'$' | b'=' | b'!' => {
            let len = line_int(line)?;
            if len < 0 {
                if kind == b'$' {
                    return Ok(Some(Frame::Null));
                }
                return Err(ProtocolError::InvalidReply("negative length"));
            }
            let Some(blob) = read_blob(buf, pos, len)? else {
                return Ok(None);
            };
            match kind {
                b'$' => Frame::Bulk(blob),
                b'!' => Frame::Error(blob),
                _ => {
                    if blob.len() < 4 || blob[3] != b':' {
                        return Err(ProtocolError::InvalidReply("bad verbatim string"));
                    }
                    Frame::Verbatim([blob[0], blob[1], blob[2]], blob.slice(4..))
                }
            }
        }
        b'*' | b'~' | b'>' => {
            let count = line_int(line)?;
            if count < 0 {
                if kind == b'*' {
                    return Ok(Some(Frame::NullArray));
                }
                return Err(ProtocolError::InvalidReply("negative count"));
            }
            let Some(items) = parse_items(buf, pos, count, depth)? else {
                return Ok(None);
            };
            match kind {
                b'*' => Frame::Array(items),
                b'~' => Frame::Set(items),
                _ => Frame::Push(items),
            }
        }
        b'%' | b'|' => {
            let count = line_int(line)?;
            let count = count
                .checked_mul(2)
                .ok_or(ProtocolError::InvalidReply("bad count"))?;
            let Some(items) = parse_items(buf, pos, count, depth)? else {
                return Ok(None);
            };
            let mut it = items.into_iter();
            let mut pairs = Vec::new();
            while let (Some(k), Some(v)) = (it.next(), it.next()) {
                pairs.push((k, v));
            }
            if kind == b'|' {
                // An attribute precedes the real reply; clients may ignore it, and so do we.
                return parse_reply(buf, pos, depth + 1);
            }
            Frame::Map(pairs)
        }
        _ => return Err(ProtocolError::InvalidReply("unknown type byte")),
    };
    Ok(Some(frame))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn decode_all(input: &[u8]) -> Result<Vec<Vec<Bytes>>, ProtocolError> {
        let mut d = RequestDecoder::default();
        let mut buf = BytesMut::from(input);
        let mut out = Vec::new();
        while let Some(cmd) = d.decode(&mut buf)? {
            out.push(cmd);
        }
        Ok(out)
    }

    #[test]
    fn multibulk_and_inline() {
        let cmds =
            decode_all(b"*2\r\n$3\r\nGET\r\n$1\r\nk\r\nPING\r\n\r\nset a \"b c\"\n").unwrap();
        assert_eq!(cmds.len(), 3);
        assert_eq!(cmds[0], vec![Bytes::from("GET"), Bytes::from("k")]);
        assert_eq!(cmds[1], vec![Bytes::from("PING")]);
        assert_eq!(
            cmds[2],
            vec![Bytes::from("set"), Bytes::from("a"), Bytes::from("b c")]
        );
    }

    #[test]
    fn frequent_names_decode_like_any_other_argument() {
        for name in [
            "GET", "get", "GeT", "INCR", "incrby", "EXEC", "GETX", "GE", "SMEMBERS",
        ] {
            let input = format!("*2\r\n${}\r\n{name}\r\n$3\r\nGET\r\n", name.len());
            let want = vec![Bytes::from(name.to_string()), Bytes::from("GET")];
            assert_eq!(decode_all(input.as_bytes()).unwrap(), vec![want.clone()]);
            // The incremental path (a command split over reads) gives the same arguments.
            let mut d = RequestDecoder::default();
            let mut buf = BytesMut::new();
            let mut got = None;
            for &byte in input.as_bytes() {
                buf.extend_from_slice(&[byte]);
                if let Some(cmd) = d.decode(&mut buf).unwrap() {
                    got = Some(cmd);
                }
            }
            assert_eq!(got, Some(want));
        }
        assert!(static_name(b"GET").is_some() && static_name(b"GeT").is_none());
        // Only the name is static: a later argument spelled like a name is copied.
        assert!(arg_bytes(false, b"GET").is_unique());
    }

    #[test]
    fn protocol_errors_have_redis_texts() {
        let e = |i: &[u8]| decode_all(i).unwrap_err().reply_text();
        assert_eq!(e(b"*x\r\n"), "ERR Protocol error: invalid multibulk length");
        assert_eq!(
            e(b"*1\r\n$-5\r\n"),
            "ERR Protocol error: invalid bulk length"
        );
        assert_eq!(
            e(b"*1\r\n$600000000\r\n"),
            "ERR Protocol error: invalid bulk length"
        );
        assert_eq!(
            e(b"*1\r\n:5\r\n"),
            "ERR Protocol error: expected '$', got ':'"
        );
        assert_eq!(
            e(b"set \"a\n"),
            "ERR Protocol error: unbalanced quotes in request"
        );
        assert_eq!(
            e(&vec![b'a'; 70_000]),
            "ERR Protocol error: too big inline request"
        );
    }

    #[test]
    fn unauthenticated_limits() {
        let mut d = RequestDecoder {
            unauthenticated: true,
            ..RequestDecoder::default()
        };
        let mut buf = BytesMut::from(&b"*11\r\n"[..]);
        assert_eq!(
            d.decode(&mut buf).unwrap_err().reply_text(),
            "ERR Protocol error: unauthenticated multibulk length"
        );
        let mut d = RequestDecoder {
            unauthenticated: true,
            ..RequestDecoder::default()
        };
        let mut buf = BytesMut::from(&b"*1\r\n$16385\r\n"[..]);
        assert_eq!(
            d.decode(&mut buf).unwrap_err().reply_text(),
            "ERR Protocol error: unauthenticated bulk length"
        );
        let mut d = RequestDecoder {
            unauthenticated: true,
            ..RequestDecoder::default()
        };
        let mut buf = BytesMut::from(&b"*1\r\n$16384\r\n"[..]);
        assert_eq!(d.decode(&mut buf).unwrap(), None);
    }

    #[test]
    fn nul_before_newline_keeps_inline_incomplete() {
        let mut d = RequestDecoder::default();
        let mut buf = BytesMut::from(&b"ECHO a\x00b\r\n"[..]);
        assert_eq!(d.decode(&mut buf).unwrap(), None);
    }

    #[test]
    fn split_args_escapes() {
        let a = split_args(b"\"\\x41\\n\" 'it\\'s'").unwrap();
        assert_eq!(a, vec![Bytes::from("A\n"), Bytes::from("it's")]);
        assert!(split_args(b"\"a\"b").is_none());
    }

    #[test]
    fn reply_decoder_waits_for_complete_frames() {
        let mut buf = BytesMut::from(&b"*2\r\n$3\r\nfoo\r\n:4"[..]);
        assert_eq!(decode_reply(&mut buf).unwrap(), None);
        assert_eq!(buf.len(), 15);
        buf.extend_from_slice(b"2\r\n");
        let f = decode_reply(&mut buf).unwrap().unwrap();
        assert_eq!(
            f,
            Frame::Array(vec![Frame::bulk("foo"), Frame::Integer(42)])
        );
        assert!(buf.is_empty());
    }

    /// Every command of `input`, fed one byte at a time (the incremental path only: a command
    /// is never whole when its first byte is looked at), with the decoder state `unauth`.
    fn decode_bytewise(
        input: &[u8],
        unauth: bool,
        max: i64,
    ) -> (Vec<Vec<Bytes>>, Option<ProtocolError>) {
        let mut d = RequestDecoder::new(max);
        d.unauthenticated = unauth;
        let mut buf = BytesMut::new();
        let mut out = Vec::new();
        for &byte in input {
            buf.extend_from_slice(&[byte]);
            loop {
                match d.decode(&mut buf) {
                    Ok(Some(cmd)) => out.push(cmd),
                    Ok(None) => break,
                    Err(e) => return (out, Some(e)),
                }
            }
        }
        (out, None)
    }

    fn decode_at_once(
        input: &[u8],
        unauth: bool,
        max: i64,
    ) -> (Vec<Vec<Bytes>>, Option<ProtocolError>) {
        let mut d = RequestDecoder::new(max);
        d.unauthenticated = unauth;
        let mut buf = BytesMut::from(input);
        let mut out = Vec::new();
        loop {
            match d.decode(&mut buf) {
                Ok(Some(cmd)) => out.push(cmd),
                Ok(None) => return (out, None),
                Err(e) => return (out, Some(e)),
            }
        }
    }

    #[test]
    fn whole_command_path_matches_incremental_path() {
        let input = b"*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$0\r\n\r\n*1\r\n$4\r\nPING\r\n";
        assert_eq!(
            decode_at_once(input, false, 100),
            decode_bytewise(input, false, 100)
        );
        assert_eq!(decode_at_once(input, false, 100).0.len(), 2);
    }

    proptest::proptest! {
        /// The one-pass path for whole commands and the incremental path agree on commands
        /// and errors, for valid requests with random corruption, limits and auth state.
        #[test]
        fn whole_and_incremental_paths_agree(
            cmds in proptest::collection::vec(
                proptest::collection::vec(proptest::collection::vec(proptest::prelude::any::<u8>(), 0..20), 1..20),
                1..5,
            ),
            flips in proptest::collection::vec((proptest::prelude::any::<usize>(), proptest::prelude::any::<u8>()), 0..3),
            unauth in proptest::prelude::any::<bool>(),
            max in 0i64..30,
        ) {
            let mut input = Vec::new();
            for cmd in &cmds {
                input.extend_from_slice(format!("*{}\r\n", cmd.len()).as_bytes());
                for a in cmd {
                    input.extend_from_slice(format!("${}\r\n", a.len()).as_bytes());
                    input.extend_from_slice(a);
                    input.extend_from_slice(b"\r\n");
                }
            }
            for (at, byte) in flips {
                let i = at % input.len();
                input[i] = byte;
            }
            proptest::prop_assert_eq!(
                decode_at_once(&input, unauth, max),
                decode_bytewise(&input, unauth, max)
            );
        }
    }
}
