//! The values a key can hold (Redis `robj` types).
//!
//! Checklist for a new type: add a variant here, its `TYPE` name in [`Value::type_name`], its
//! `OBJECT ENCODING` in [`Value::encoding`], and its DUMP/RESTORE form.

use bytes::Bytes;

use super::zset::ZSet;

/// A key's value.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    /// A string (also counters and bitmaps).
    String(Bytes),
    /// A sorted set.
    ZSet(ZSet),
}

impl Value {
    /// The name `TYPE` returns.
    pub fn type_name(&self) -> &'static str {
        match self {
            Value::String(_) => "string",
            Value::ZSet(_) => "zset",
        }
    }

    /// The name `OBJECT ENCODING` returns, following Redis's rules.
    pub fn encoding(&self) -> &'static str {
        match self {
            Value::String(s) => {
                if s.len() <= 20 && shoal_common::number::parse_i64(s).is_some() {
                    "int"
                } else if s.len() <= 44 {
                    "embstr"
                } else {
                    "raw"
                }
            }
            Value::ZSet(z) => z.encoding(),
        }
    }
}
