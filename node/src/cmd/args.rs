//! Argument parsing with Redis's error replies (mini-redis `Parse`, byte-based).

use bytes::Bytes;
use shoal_common::ReplyError;
use shoal_common::number;

/// Parses an integer argument (`ERR value is not an integer or out of range`).
pub fn int(arg: &[u8]) -> Result<i64, ReplyError> {
    number::parse_i64(arg).ok_or(ReplyError::NotInteger)
}

/// Parses a float argument (`ERR value is not a valid float`).
pub fn float(arg: &[u8]) -> Result<f64, ReplyError> {
    number::parse_f64(arg).ok_or(ReplyError::NotFloat)
}

/// Parses a non-negative integer that must fit `usize`.
pub fn index(arg: &[u8]) -> Result<usize, ReplyError> {
    let v = int(arg)?;
    usize::try_from(v).map_err(|_| ReplyError::NotInteger)
}

/// Case-insensitive keyword comparison.
pub fn is(arg: &[u8], word: &str) -> bool {
    arg.eq_ignore_ascii_case(word.as_bytes())
}

/// True when the optional arguments of a FLUSHALL/FLUSHDB/SCRIPT FLUSH/FUNCTION FLUSH are
/// valid: none, or one `ASYNC` or `SYNC`.
pub fn flush_mode_ok(rest: &[Bytes]) -> bool {
    match rest {
        [] => true,
        [mode] => is(mode, "async") || is(mode, "sync"),
        _ => false,
    }
}

/// A copy of `arg` as an owned `Bytes` (arguments already are; this documents intent).
pub fn owned(arg: &Bytes) -> Bytes {
    arg.clone()
}
