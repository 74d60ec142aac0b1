//! The DUMP/RESTORE payload: one value serialised with a version and a checksum (Redis
//! `dumpCommand` / `restoreCommand` in `cluster.c`, `rdbSaveObject` / `rdbLoadObject`).
//!
//! The payload is our own format, not Redis's RDB encoding (a real Redis payload is refused
//! with the same error as a corrupt one), but it has Redis's shape:
//!
//! ```text
//! [type tag: u8] [body: type-specific] [DUMP_VERSION: u16 LE] [CRC-64/Jones: u64 LE]
//! ```
//!
//! The checksum (CRC-64 with Redis's polynomial) covers every byte before it, so a corrupt
//! payload fails with `ERR DUMP payload version or checksum are wrong`; a payload whose
//! checksum and version pass but whose body does not decode fails with `ERR Bad data format`.
//! Lengths are LEB128 varints, so small values cost one byte of overhead.
//!
//! # Checklist for a new value type
//!
//! 1. Pick a type tag (`TYPE_*` below; never reuse or renumber a tag: payloads travel
//!    between nodes of different builds during slot migration).
//! 2. Write `encode_<type>(&mut Writer, &T)` and `decode_<type>(&mut Reader) -> Option<Value>`
//!    with the [`Writer`] / [`Reader`] primitives (lengths, byte strings, f64, u8); a
//!    decoder returns `None` on anything malformed and never panics or over-allocates (check
//!    lengths against [`Reader::remaining`] before reserving).
//! 3. Add the arms to [`dump`] and [`restore`].
//! 4. Add a round-trip unit test below, and one differential DUMP/RESTORE case in
//!    `tests/tests/differential_keyspace.rs`.
//! 5. Bump [`DUMP_VERSION`] only when an existing tag's body changes.

use bytes::Bytes;
use crc::{CRC_64_REDIS, Crc};

use super::Value;
use super::stream::{Stream, StreamId};
use super::stream_cg::{Consumer, Group, Nack};
use super::zset::{Limits, ZSet};

/// Version written into every payload; payloads with another version are refused.
pub const DUMP_VERSION: u16 = 1;

/// Type tag of a string value.
pub const TYPE_STRING: u8 = 0;
/// Type tag of a list (Redis's RDB number for lists).
pub const TYPE_LIST: u8 = 1;
/// Type tag of a set (Redis's RDB number for sets).
pub const TYPE_SET: u8 = 2;
/// Type tag of a sorted set (Redis's RDB number for zsets).
pub const TYPE_ZSET: u8 = 3;
/// Type tag of a hash (Redis's RDB number for hashes).
pub const TYPE_HASH: u8 = 4;

/// Retired type tag (never reuse it): streams as their live entries only, written by the
/// first stream build for less than an hour and never read since.
pub const TYPE_STREAM_RETIRED: u8 = 19;
/// Type tag of a stream with its node layout and tombstones, so a restored stream trims and
/// reports its nodes as the original did (what Redis's RDB keeps by saving listpacks).
pub const TYPE_STREAM_NODES: u8 = 21;

/// Bytes after the body: version (2) and checksum (8).
const TRAILER_LEN: usize = 10;

const CRC64: Crc<u64> = Crc::<u64>::new(&CRC_64_REDIS);

/// Why a payload was refused; each maps to one Redis error text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RestoreError {
    /// Too short, wrong version or wrong checksum.
    VersionOrChecksum,
    /// The checksum passed but the body does not decode.
    BadFormat,
}

impl RestoreError {
    /// The exact Redis error reply.
    pub fn reply_text(self) -> &'static str {
        match self {
            RestoreError::VersionOrChecksum => "ERR DUMP payload version or checksum are wrong",
            RestoreError::BadFormat => "ERR Bad data format",
        }
    }
}

/// Serialises `value` into a payload for `RESTORE`.
pub fn dump(value: &Value) -> Bytes {
    let mut w = Writer::default();
    match value {
        Value::String(s) => {
            w.put_u8(TYPE_STRING);
            encode_string(&mut w, s);
        }
        Value::ZSet(z) => {
            w.put_u8(TYPE_ZSET);
            encode_zset(&mut w, z);
        }
        Value::List(l) => {
            w.put_u8(TYPE_LIST);
            encode_items(&mut w, l.len(), l.iter());
        }
        Value::Set(set) => {
            w.put_u8(TYPE_SET);
            let members = set.members();
            encode_items(&mut w, members.len(), members.iter().map(|b| &b[..]));
        }
        Value::Hash(h) => {
            w.put_u8(TYPE_HASH);
            encode_items(&mut w, h.len() * 2, h.iter().flat_map(|(f, v)| [f, v]));
        }
        Value::Stream(st) => {
            w.put_u8(TYPE_STREAM_NODES);
            encode_stream_nodes(&mut w, st);
        }
    }
    w.finish()
}

/// Verifies and decodes a payload made by [`dump`].
pub fn restore(payload: &[u8]) -> Result<Value, RestoreError> {
    let body = verify(payload)?;
    let mut r = Reader::new(body);
    let value = match r.u8() {
        Some(TYPE_STRING) => decode_string(&mut r),
        Some(TYPE_ZSET) => decode_zset(&mut r),
        Some(TYPE_LIST) => decode_list(&mut r),
        Some(TYPE_SET) => decode_set(&mut r),
        Some(TYPE_HASH) => decode_hash(&mut r),
        Some(TYPE_STREAM_NODES) => decode_stream_nodes(&mut r),
        _ => None,
    };
    match value {
        Some(v) if r.remaining() == 0 => Ok(v),
        _ => Err(RestoreError::BadFormat),
    }
}

/// Checks length, version and checksum (Redis `verifyDumpPayload`); returns the body.
pub fn verify(payload: &[u8]) -> Result<&[u8], RestoreError> {
    if payload.len() < TRAILER_LEN + 1 {
        return Err(RestoreError::VersionOrChecksum);
    }
    let (data, crc_bytes) = payload.split_at(payload.len() - 8);
    let (body, version) = data.split_at(data.len() - 2);
    let version = u16::from_le_bytes([version[0], version[1]]);
    let mut crc = [0u8; 8];
    crc.copy_from_slice(crc_bytes);
    if version != DUMP_VERSION || CRC64.checksum(data) != u64::from_le_bytes(crc) {
        return Err(RestoreError::VersionOrChecksum);
    }
    Ok(body)
}

/// `count`, then each item (lists, sets; hashes as field, value, field, value...).
fn encode_items<'a>(w: &mut Writer, count: usize, items: impl Iterator<Item = &'a [u8]>) {
    w.put_varint(count as u64);
    for it in items {
        w.put_bytes(it);
    }
}

fn decode_list(r: &mut Reader<'_>) -> Option<Value> {
    let n = r.count()?;
    if n == 0 {
        return None;
    }
    let mut l = super::quicklist::QuickList::new();
    for _ in 0..n {
        l.push_back(&r.bytes()?, super::quicklist::DEFAULT_FILL);
    }
    Some(Value::List(l))
}

/// The encoding follows Redis 7.0's default thresholds, as RESTORE picks it; duplicates
/// are refused.
fn decode_set(r: &mut Reader<'_>) -> Option<Value> {
    let n = r.count()?;
    if n == 0 {
        return None;
    }
    let limits = super::value::Limits::default();
    let mut set = super::value::Set::default();
    for _ in 0..n {
        if !set.add(&r.bytes()?, &limits) {
            return None;
        }
    }
    Some(Value::Set(set))
}

fn decode_hash(r: &mut Reader<'_>) -> Option<Value> {
    let n = r.count()?;
    if n == 0 || n % 2 != 0 {
        return None;
    }
    let limits = super::value::Limits::default();
    let mut h = super::value::Hash::default();
    for _ in 0..n / 2 {
        let f = r.bytes()?;
        let v = r.bytes()?;
        if !h.set(&f, &v, &limits) {
            return None;
        }
    }
    Some(Value::Hash(h))
}

fn put_id(w: &mut Writer, id: StreamId) {
    w.put_varint(id.ms);
    w.put_varint(id.seq);
}

fn get_id(r: &mut Reader<'_>) -> Option<StreamId> {
    Some(StreamId::new(r.varint()?, r.varint()?))
}

/// Node count, then each node: item count, each item (tombstone flag, ID, item count,
/// field, value, ...); then the counters and groups ([`encode_stream_tail`]).
fn encode_stream_nodes(w: &mut Writer, st: &Stream) {
    let nodes = st.node_items();
    w.put_varint(nodes.len() as u64);
    for node in &nodes {
        w.put_varint(node.len() as u64);
        for (id, deleted, items) in node {
            w.put_u8(u8::from(*deleted));
            put_id(w, *id);
            encode_items(w, items.len(), items.iter().map(|b| &b[..]));
        }
    }
    encode_stream_tail(w, st);
}

/// Refuses what Redis could not have saved: items out of order, empty or odd field lists,
/// empty nodes or nodes of tombstones only, bad flags, an item above the last ID.
fn decode_stream_nodes(r: &mut Reader<'_>) -> Option<Value> {
    let mut st = Stream::new();
    let mut prev: Option<StreamId> = None;
    for _ in 0..r.count()? {
        let n = r.count()?;
        if n == 0 {
            return None;
        }
        for i in 0..n {
            let deleted = match r.u8()? {
                0 => false,
                1 => true,
                _ => return None,
            };
            let id = get_id(r)?;
            if prev.is_some_and(|p| id <= p) {
                return None;
            }
            prev = Some(id);
            let k = r.count()?;
            if k == 0 || k % 2 != 0 {
                return None;
            }
            let items = (0..k).map(|_| r.bytes()).collect::<Option<Vec<_>>>()?;
            st.restore_item(id, &items, i == 0, deleted);
        }
    }
    if !st.nodes_have_live_entries() {
        return None;
    }
    decode_stream_tail(r, st, prev)
}

/// Last ID, first ID, max deleted ID, entries added, and the consumer groups (count, then
/// each group).
fn encode_stream_tail(w: &mut Writer, st: &Stream) {
    put_id(w, st.last_id);
    put_id(w, st.first_id);
    put_id(w, st.max_deleted_id);
    w.put_varint(st.entries_added);
    w.put_varint(st.groups.len() as u64);
    for (name, g) in &st.groups {
        w.put_bytes(name);
        put_id(w, g.last_id);
        w.put_varint(g.entries_read.map_or(0, |n| n.saturating_add(1)));
        w.put_varint(g.consumers.len() as u64);
        for (cname, c) in &g.consumers {
            w.put_bytes(cname);
            w.put_varint(c.seen_time_ms as u64);
        }
        w.put_varint(g.pel.len() as u64);
        for (id, n) in &g.pel {
            put_id(w, *id);
            w.put_varint(n.delivery_time_ms as u64);
            w.put_varint(n.delivery_count);
            w.put_bytes(&n.consumer);
        }
    }
}

/// A consumer group: name, last ID, entries read (+1, 0 = unknown), consumers (name, seen
/// time), then the PEL (ID, delivery time, delivery count, owner). Refuses an owner that is
/// not a consumer of the group.
fn decode_group(r: &mut Reader<'_>) -> Option<(Bytes, Group)> {
    let name = r.bytes()?;
    let mut g = Group::new(get_id(r)?, r.varint()?.checked_sub(1));
    for _ in 0..r.count()? {
        let cname = r.bytes()?;
        let seen = r.varint()? as i64;
        let c = Consumer {
            seen_time_ms: seen,
            ..Consumer::default()
        };
        if g.consumers.insert(cname, c).is_some() {
            return None;
        }
    }
    for _ in 0..r.count()? {
        let id = get_id(r)?;
        let delivery_time_ms = r.varint()? as i64;
        let delivery_count = r.varint()?;
        let consumer = r.bytes()?;
        g.consumers.get_mut(&consumer)?.pel.insert(id);
        let nack = Nack {
            delivery_time_ms,
            delivery_count,
            consumer,
        };
        if g.pel.insert(id, nack).is_some() {
            return None;
        }
    }
    Some((name, g))
}

/// The part after the items; `prev` is the last item's ID.
fn decode_stream_tail(r: &mut Reader<'_>, mut st: Stream, prev: Option<StreamId>) -> Option<Value> {
    let last_id = get_id(r)?;
    if prev.is_some_and(|p| p > last_id) {
        return None;
    }
    st.last_id = last_id;
    st.first_id = get_id(r)?;
    st.max_deleted_id = get_id(r)?;
    st.entries_added = r.varint()?;
    for _ in 0..r.count()? {
        let (name, g) = decode_group(r)?;
        if st.groups.insert(name, g).is_some() {
            return None;
        }
    }
    Some(Value::Stream(Box::new(st)))
}

fn encode_string(w: &mut Writer, s: &[u8]) {
    w.put_bytes(s);
}

fn decode_string(r: &mut Reader<'_>) -> Option<Value> {
    Some(Value::String(r.bytes()?.into()))
}

/// `count`, then `(member, score)` in ascending order.
fn encode_zset(w: &mut Writer, z: &ZSet) {
    w.put_varint(z.len() as u64);
    for (score, member) in z.iter() {
        w.put_bytes(member);
        w.put_f64(score);
    }
}

/// The encoding is chosen as Redis's RESTORE does (listpack when the set fits the default
/// thresholds). Refuses NaN scores and duplicate members.
fn decode_zset(r: &mut Reader<'_>) -> Option<Value> {
    let n = r.count()?;
    if n == 0 {
        return None;
    }
    let mut entries = Vec::with_capacity(n);
    let mut seen = std::collections::HashSet::with_capacity(n);
    for _ in 0..n {
        let member = r.bytes()?;
        let score = r.f64()?;
        if score.is_nan() || !seen.insert(member.clone()) {
            return None;
        }
        entries.push((score, member));
    }
    Some(Value::ZSet(ZSet::from_entries(entries, Limits::default())))
}

/// Builds a payload: primitives for the per-type encoders.
#[derive(Debug, Default)]
pub struct Writer {
    buf: Vec<u8>,
}

impl Writer {
    /// One byte.
    pub fn put_u8(&mut self, b: u8) {
        self.buf.push(b);
    }

    /// A length or count, as a LEB128 varint.
    pub fn put_varint(&mut self, mut n: u64) {
        loop {
            let low = (n & 0x7f) as u8;
            n >>= 7;
            if n == 0 {
                self.buf.push(low);
                return;
            }
            self.buf.push(low | 0x80);
        }
    }

    /// A byte string: its length, then its bytes.
    pub fn put_bytes(&mut self, b: &[u8]) {
        self.put_varint(b.len() as u64);
        self.buf.extend_from_slice(b);
    }

    /// An f64, little-endian IEEE 754 bits (scores keep every bit, NaN never occurs).
    pub fn put_f64(&mut self, v: f64) {
        self.buf.extend_from_slice(&v.to_bits().to_le_bytes());
    }

    /// Appends the version and the checksum.
    /// The payload: the body, the version and the CRC-64 trailer.
    pub fn finish(mut self) -> Bytes {
        self.buf.extend_from_slice(&DUMP_VERSION.to_le_bytes());
        let crc = CRC64.checksum(&self.buf);
        self.buf.extend_from_slice(&crc.to_le_bytes());
        Bytes::from(self.buf)
    }
}

/// Reads a payload body: primitives for the per-type decoders. Every method returns `None`
/// instead of reading past the end.
#[derive(Debug)]
pub struct Reader<'a> {
    buf: &'a [u8],
    pos: usize,
}

impl<'a> Reader<'a> {
    /// A reader over `buf`.
    pub fn new(buf: &'a [u8]) -> Reader<'a> {
        Reader { buf, pos: 0 }
    }

    /// Bytes not read yet.
    pub fn remaining(&self) -> usize {
        self.buf.len() - self.pos
    }

    /// One byte.
    pub fn u8(&mut self) -> Option<u8> {
        let b = *self.buf.get(self.pos)?;
        self.pos += 1;
        Some(b)
    }

    /// A varint length or count. Counts of elements are not bounded here: callers check
    /// them against [`Reader::remaining`] (each element takes at least one byte).
    pub fn varint(&mut self) -> Option<u64> {
        let mut n: u64 = 0;
        for shift in (0..64).step_by(7) {
            let b = self.u8()?;
            n |= u64::from(b & 0x7f).checked_shl(shift)?;
            if b & 0x80 == 0 {
                return Some(n);
            }
        }
        None
    }

    /// A count of elements that each take at least one byte, bounded by what is left.
    pub fn count(&mut self) -> Option<usize> {
        let n = usize::try_from(self.varint()?).ok()?;
        (n <= self.remaining()).then_some(n)
    }

    /// A byte string written by [`Writer::put_bytes`].
    pub fn bytes(&mut self) -> Option<Bytes> {
        let n = usize::try_from(self.varint()?).ok()?;
        let end = self.pos.checked_add(n)?;
        let b = self.buf.get(self.pos..end)?;
        self.pos = end;
        Some(Bytes::copy_from_slice(b))
    }

    /// An f64 written by [`Writer::put_f64`].
    pub fn f64(&mut self) -> Option<f64> {
        let end = self.pos.checked_add(8)?;
        let b = self.buf.get(self.pos..end)?;
        self.pos = end;
        let mut a = [0u8; 8];
        a.copy_from_slice(b);
        Some(f64::from_bits(u64::from_le_bytes(a)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn stream_round_trip() {
        let mut st = Stream::new();
        for i in 1..=150u64 {
            st.append(
                StreamId::new(i, i % 3),
                &[Bytes::from("f"), Bytes::from(format!("v{i}"))],
                super::super::stream::NodeLimits::default(),
            );
        }
        st.delete(StreamId::new(7, 1));
        st.delete(StreamId::new(120, 0));
        st.entries_added = 1000;
        st.last_id = StreamId::new(900, 0);
        let mut g = Group::new(StreamId::new(5, 2), Some(7));
        let c = Bytes::from("alice");
        g.consumers.insert(c.clone(), Consumer::default());
        g.consumers.insert(Bytes::from("bob"), Consumer::default());
        g.assign(
            StreamId::new(3, 0),
            &c,
            Nack {
                delivery_time_ms: 1_700_000_000_000,
                delivery_count: 3,
                consumer: c.clone(),
            },
        );
        st.groups.insert(Bytes::from("g"), g);
        st.groups
            .insert(Bytes::from("h"), Group::new(StreamId::MIN, None));
        let v = Value::Stream(Box::new(st.clone()));
        let Ok(Value::Stream(back)) = restore(&dump(&v)) else {
            panic!("stream did not round-trip");
        };
        assert_eq!(back.entries(), st.entries());
        assert_eq!(back.groups, st.groups);
        assert_eq!(back.node_keys(), st.node_keys());
        assert_eq!(back.node_items(), st.node_items());
        assert_eq!(back.len(), st.len());
        assert_eq!(
            (
                back.last_id,
                back.first_id,
                back.max_deleted_id,
                back.entries_added
            ),
            (st.last_id, st.first_id, st.max_deleted_id, st.entries_added)
        );
    }

    #[test]
    fn string_round_trip() {
        for s in [
            &b""[..],
            b"x",
            b"12345",
            &[0u8, 255, 10, 13][..],
            &[b'a'; 300][..],
        ] {
            let v = Value::String(s.into());
            assert_eq!(restore(&dump(&v)), Ok(v));
        }
    }

    #[test]
    fn zset_round_trip() {
        let limits = Limits::default();
        for n in [1usize, 3, 200] {
            let entries = (0..n)
                .map(|i| (i as f64 / 3.0 - 7.0, Bytes::from(format!("m{i}"))))
                .collect();
            let v = Value::ZSet(ZSet::from_entries(entries, limits));
            assert_eq!(restore(&dump(&v)), Ok(v));
        }
        let mut w = Writer::default();
        w.put_u8(TYPE_ZSET);
        w.put_varint(2);
        for _ in 0..2 {
            w.put_bytes(b"dup");
            w.put_f64(1.0);
        }
        assert_eq!(restore(&w.finish()), Err(RestoreError::BadFormat));
    }

    #[test]
    fn list_set_hash_round_trip() {
        let limits = crate::db::value::Limits::default();
        let list = Value::List(super::super::quicklist::QuickList::from_items(
            [&b"a"[..], b"", b"b"],
            super::super::quicklist::DEFAULT_FILL,
        ));
        let mut set = crate::db::value::Set::default();
        for m in ["1", "-7", "300"] {
            set.add(m.as_bytes(), &limits);
        }
        let mut big = crate::db::value::Set::default();
        for m in ["x", "1"] {
            big.add(m.as_bytes(), &limits);
        }
        let mut h = crate::db::value::Hash::default();
        h.set(b"f", b"v", &limits);
        h.set(b"g", b"", &limits);
        for v in [list, Value::Set(set), Value::Set(big), Value::Hash(h)] {
            let back = restore(&dump(&v)).expect("round trip");
            assert_eq!(back.encoding(), v.encoding());
            assert_eq!(back, v);
        }
    }

    #[test]
    fn corrupt_payloads_are_refused() {
        let p = dump(&Value::String(b"hello"[..].into()));
        for i in 0..p.len() {
            let mut bad = p.to_vec();
            bad[i] ^= 0x01;
            assert_eq!(
                restore(&bad),
                Err(RestoreError::VersionOrChecksum),
                "byte {i}"
            );
        }
        assert_eq!(restore(b""), Err(RestoreError::VersionOrChecksum));
        assert_eq!(
            restore(&p[..p.len() - 1]),
            Err(RestoreError::VersionOrChecksum)
        );
    }

    #[test]
    fn good_checksum_bad_body_is_bad_format() {
        let mut w = Writer::default();
        w.put_u8(TYPE_STRING);
        w.put_varint(100); // claims 100 bytes, has none
        assert_eq!(restore(&w.finish()), Err(RestoreError::BadFormat));
        let mut w = Writer::default();
        w.put_u8(200); // unknown type
        assert_eq!(restore(&w.finish()), Err(RestoreError::BadFormat));
    }

    proptest! {
        #[test]
        fn arbitrary_bytes_never_panic(b in proptest::collection::vec(any::<u8>(), 0..64)) {
            let _ = restore(&b);
        }

        #[test]
        fn varints_round_trip(n in any::<u64>()) {
            let mut w = Writer::default();
            w.put_varint(n);
            let mut r = Reader::new(&w.buf);
            prop_assert_eq!(r.varint(), Some(n));
            prop_assert_eq!(r.remaining(), 0);
        }
    }
}
