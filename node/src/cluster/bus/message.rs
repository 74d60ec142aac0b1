//! Cluster bus messages and their binary codec (Redis `clusterMsg`, our own bytes).
//!
//! Message types follow `CLUSTERMSG_TYPE_*` so the spec can be checked line by line; the
//! encoding is ours (research §8.9: no byte compatibility is required). Every message is
//! `"SHB1" | u32 total length | u8 type | header | body | extensions`, big-endian. Decoding is
//! defensive: any length, count or value out of bounds is an error, and the transport closes
//! the link.
//!
//! Extensions (Redis's PING extensions, `clusterMsgPingExt`) carry what was added to the
//! protocol later, so nodes of different versions keep talking: each is
//! `u16 type | u32 length | payload`, up to the end of the message. A decoder skips types it
//! does not know, and a message without any (an older sender) decodes with the fields
//! `None`. Decoders older than extensions reject trailing bytes, so a sender adds them only
//! for a peer that set [`MFLAG_EXT_DATA`] in its own messages (Redis
//! `CLUSTERMSG_FLAG0_EXT_DATA`); the state machine decides that, per destination.
//! Extension types: [`EXT_SHARD_ID`].

use bytes::{Buf, BufMut, Bytes, BytesMut};

use crate::cluster::{NodeId, SlotBitmap};

/// Magic at the start of every message.
pub const MAGIC: &[u8; 4] = b"SHB1";
/// Largest message accepted: bounds what one peer can make us buffer (PUBLISH payloads are
/// the only large messages; 64 MiB is far above any sane pub/sub message).
pub const MAX_MESSAGE_BYTES: usize = 64 << 20;
/// Most gossip entries in one message (Redis sends max(3, nodes/10) plus PFAIL nodes).
pub const MAX_GOSSIP: usize = 1024;
/// Longest IP string.
const MAX_IP_LEN: usize = 46;
/// Longest hostname (Redis limits `cluster-announce-hostname` to 255 characters).
const MAX_HOSTNAME_LEN: usize = 255;
/// Bytes of a slot bitmap.
pub const SLOT_BITMAP_BYTES: usize = 2048;
/// Header `mflags` bit: the sender decodes extensions (Redis `CLUSTERMSG_FLAG0_EXT_DATA`,
/// the same bit). Set in every message we send; decoders without extensions ignore it.
pub const MFLAG_EXT_DATA: u8 = 4;
/// Extension type: the sender's shard id, 40 hex characters (Redis
/// `CLUSTERMSG_EXT_TYPE_SHARDID`).
pub const EXT_SHARD_ID: u16 = 1;
/// Most extensions in one message (a bound on the decoder's work, far above what we send).
const MAX_EXTENSIONS: usize = 64;

/// Message type numbers, as Redis's `CLUSTERMSG_TYPE_*`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u8)]
pub enum Kind {
    /// PING.
    Ping = 0,
    /// PONG.
    Pong = 1,
    /// MEET.
    Meet = 2,
    /// FAIL.
    Fail = 3,
    /// PUBLISH.
    Publish = 4,
    /// FAILOVER_AUTH_REQUEST (issue 6).
    FailoverAuthRequest = 5,
    /// FAILOVER_AUTH_ACK (issue 6).
    FailoverAuthAck = 6,
    /// UPDATE.
    Update = 7,
    /// MFSTART (issue 6).
    MfStart = 8,
    /// PUBLISHSHARD.
    PublishShard = 10,
}

impl Kind {
    fn from_u8(b: u8) -> Option<Kind> {
        Some(match b {
            0 => Kind::Ping,
            1 => Kind::Pong,
            2 => Kind::Meet,
            3 => Kind::Fail,
            4 => Kind::Publish,
            5 => Kind::FailoverAuthRequest,
            6 => Kind::FailoverAuthAck,
            7 => Kind::Update,
            8 => Kind::MfStart,
            10 => Kind::PublishShard,
            _ => return None,
        })
    }

    /// Index into the CLUSTER INFO stats arrays.
    pub fn stat_index(self) -> usize {
        self as usize
    }
}

/// What every message says about its sender.
#[derive(Debug, Clone, PartialEq)]
pub struct Header {
    /// Sender id.
    pub sender: NodeId,
    /// Sender's current epoch.
    pub current_epoch: u64,
    /// Sender's config epoch (its master's, for a replica).
    pub config_epoch: u64,
    /// Sender's node flags (`cluster::flags`, MASTER/SLAVE/...).
    pub flags: u16,
    /// Sender's master, for a replica.
    pub master: Option<NodeId>,
    /// Sender's client port.
    pub port: u16,
    /// Sender's bus port.
    pub cport: u16,
    /// Sender's announced IP (empty: use the connection's address).
    pub myip: String,
    /// Sender's `cluster-announce-hostname` (empty: none; Redis sends it in a PING
    /// extension).
    pub hostname: String,
    /// Slots the sender claims (its master's, for a replica).
    pub slots: SlotBitmap,
    /// Sender's view of `cluster_state`.
    pub state_ok: bool,
    /// Sender's replication offset (replica ranking, manual failover).
    pub offset: i64,
    /// `failover::MFLAG_*` bits and [`MFLAG_EXT_DATA`].
    pub mflags: u8,
    /// Sender's shard id (Redis 7.2, sent in a PING extension): an extension
    /// ([`EXT_SHARD_ID`]); `None` when the sender did not include it.
    pub shard_id: Option<NodeId>,
}

/// One gossip entry: the sender's view of another node.
#[derive(Debug, Clone, PartialEq)]
pub struct Gossip {
    /// The node.
    pub id: NodeId,
    /// Its IP.
    pub ip: String,
    /// Client port.
    pub port: u16,
    /// Bus port.
    pub cport: u16,
    /// Flags as the sender sees them (PFAIL/FAIL matter).
    pub flags: u16,
    /// Sender's last PING to it, Unix ms.
    pub ping_sent_ms: i64,
    /// Sender's last PONG from it, Unix ms.
    pub pong_recv_ms: i64,
}

/// The type-specific part.
#[derive(Debug, Clone, PartialEq)]
pub enum Body {
    /// PING with gossip.
    Ping(Vec<Gossip>),
    /// PONG with gossip.
    Pong(Vec<Gossip>),
    /// MEET with gossip.
    Meet(Vec<Gossip>),
    /// A node is failing.
    Fail(NodeId),
    /// PUBLISH to every node.
    Publish {
        /// Channel.
        channel: Bytes,
        /// Payload.
        message: Bytes,
    },
    /// SPUBLISH within a shard.
    PublishShard {
        /// Channel.
        channel: Bytes,
        /// Payload.
        message: Bytes,
    },
    /// A node's authoritative slots: the receiver's claim is stale.
    Update {
        /// The owner.
        id: NodeId,
        /// Its config epoch.
        config_epoch: u64,
        /// Its slots.
        slots: SlotBitmap,
    },
    /// Reserved for failover (issue 6).
    FailoverAuthRequest,
    /// Reserved for failover (issue 6).
    FailoverAuthAck,
    /// Reserved for manual failover (issue 6).
    MfStart,
}

/// One bus message.
#[derive(Debug, Clone, PartialEq)]
pub struct Message {
    /// Sender information.
    pub header: Header,
    /// Payload.
    pub body: Body,
}

impl Message {
    /// The message type.
    pub fn kind(&self) -> Kind {
        match &self.body {
            Body::Ping(_) => Kind::Ping,
            Body::Pong(_) => Kind::Pong,
            Body::Meet(_) => Kind::Meet,
            Body::Fail(_) => Kind::Fail,
            Body::Publish { .. } => Kind::Publish,
            Body::PublishShard { .. } => Kind::PublishShard,
            Body::Update { .. } => Kind::Update,
            Body::FailoverAuthRequest => Kind::FailoverAuthRequest,
            Body::FailoverAuthAck => Kind::FailoverAuthAck,
            Body::MfStart => Kind::MfStart,
        }
    }
}

/// Why bytes are not a valid message.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DecodeError {
    /// Wrong magic.
    #[error("bad magic")]
    Magic,
    /// Length out of bounds or inconsistent.
    #[error("bad length {0}")]
    Length(usize),
    /// Unknown message type.
    #[error("unknown message type {0}")]
    Kind(u8),
    /// A field is malformed.
    #[error("malformed field {0}")]
    Field(&'static str),
}

fn put_id(out: &mut BytesMut, id: &NodeId) {
    out.put_slice(id.as_bytes());
}

fn put_str(out: &mut BytesMut, s: &[u8]) {
    out.put_u32(u32::try_from(s.len()).expect("invariant: bus strings are bounded"));
    out.put_slice(s);
}

fn put_gossip(out: &mut BytesMut, g: &[Gossip]) {
    out.put_u16(u16::try_from(g.len()).expect("invariant: gossip count <= MAX_GOSSIP"));
    for e in g {
        put_id(out, &e.id);
        put_str(out, e.ip.as_bytes());
        out.put_u16(e.port);
        out.put_u16(e.cport);
        out.put_u16(e.flags);
        out.put_i64(e.ping_sent_ms);
        out.put_i64(e.pong_recv_ms);
    }
}

/// Appends the encoding of `m` to `out`.
pub fn encode(m: &Message, out: &mut BytesMut) {
    let start = out.len();
    out.put_slice(MAGIC);
    out.put_u32(0);
    out.put_u8(m.kind() as u8);
    let h = &m.header;
    put_id(out, &h.sender);
    out.put_u64(h.current_epoch);
    out.put_u64(h.config_epoch);
    out.put_u16(h.flags);
    match &h.master {
        Some(id) => {
            out.put_u8(1);
            put_id(out, id);
        }
        None => out.put_u8(0),
    }
    out.put_u16(h.port);
    out.put_u16(h.cport);
    put_str(out, h.myip.as_bytes());
    put_str(out, h.hostname.as_bytes());
    out.put_slice(&h.slots.to_bytes());
    out.put_u8(u8::from(h.state_ok));
    out.put_i64(h.offset);
    out.put_u8(h.mflags);
    match &m.body {
        Body::Ping(g) | Body::Pong(g) | Body::Meet(g) => put_gossip(out, g),
        Body::Fail(id) => put_id(out, id),
        Body::Publish { channel, message } | Body::PublishShard { channel, message } => {
            put_str(out, channel);
            put_str(out, message);
        }
        Body::Update {
            id,
            config_epoch,
            slots,
        } => {
            put_id(out, id);
            out.put_u64(*config_epoch);
            out.put_slice(&slots.to_bytes());
        }
        Body::FailoverAuthRequest | Body::FailoverAuthAck | Body::MfStart => {}
    }
    if let Some(id) = &h.shard_id {
        out.put_u16(EXT_SHARD_ID);
        out.put_u32(40);
        put_id(out, id);
    }
    let len = u32::try_from(out.len() - start).expect("invariant: messages are bounded");
    out[start + 4..start + 8].copy_from_slice(&len.to_be_bytes());
}

/// A cursor over one message's bytes with checked reads.
struct Reader<'a>(&'a [u8]);

impl Reader<'_> {
    fn need(&self, n: usize, what: &'static str) -> Result<(), DecodeError> {
        if self.0.remaining() < n {
            Err(DecodeError::Field(what))
        } else {
            Ok(())
        }
    }
    fn u8(&mut self, what: &'static str) -> Result<u8, DecodeError> {
        self.need(1, what)?;
        Ok(self.0.get_u8())
    }
    fn u16(&mut self, what: &'static str) -> Result<u16, DecodeError> {
        self.need(2, what)?;
        Ok(self.0.get_u16())
    }
    fn u64(&mut self, what: &'static str) -> Result<u64, DecodeError> {
        self.need(8, what)?;
        Ok(self.0.get_u64())
    }
    fn i64(&mut self, what: &'static str) -> Result<i64, DecodeError> {
        self.need(8, what)?;
        Ok(self.0.get_i64())
    }
    fn bytes(&mut self, n: usize, what: &'static str) -> Result<Bytes, DecodeError> {
        self.need(n, what)?;
        let b = Bytes::copy_from_slice(&self.0[..n]);
        self.0.advance(n);
        Ok(b)
    }
    fn slots(&mut self, what: &'static str) -> Result<SlotBitmap, DecodeError> {
        self.need(SLOT_BITMAP_BYTES, what)?;
        let b = SlotBitmap::from_bytes(&self.0[..SLOT_BITMAP_BYTES])
            .expect("invariant: exactly SLOT_BITMAP_BYTES");
        self.0.advance(SLOT_BITMAP_BYTES);
        Ok(b)
    }
    fn id(&mut self, what: &'static str) -> Result<NodeId, DecodeError> {
        self.need(40, what)?;
        let id = NodeId::parse(&self.0[..40]).ok_or(DecodeError::Field(what))?;
        self.0.advance(40);
        Ok(id)
    }
    fn string(&mut self, max: usize, what: &'static str) -> Result<Bytes, DecodeError> {
        self.need(4, what)?;
        let n = usize::try_from(self.0.get_u32()).map_err(|_| DecodeError::Field(what))?;
        if n > max {
            return Err(DecodeError::Field(what));
        }
        self.bytes(n, what)
    }
    fn ip(&mut self, what: &'static str) -> Result<String, DecodeError> {
        let b = self.string(MAX_IP_LEN, what)?;
        String::from_utf8(b.to_vec()).map_err(|_| DecodeError::Field(what))
    }
    fn hostname(&mut self) -> Result<String, DecodeError> {
        let b = self.string(MAX_HOSTNAME_LEN, "hostname")?;
        String::from_utf8(b.to_vec()).map_err(|_| DecodeError::Field("hostname"))
    }
    /// The extensions up to the end of the message, into `h`; unknown types are skipped.
    fn extensions(&mut self, h: &mut Header) -> Result<(), DecodeError> {
        let mut count = 0;
        while self.0.has_remaining() {
            count += 1;
            if count > MAX_EXTENSIONS {
                return Err(DecodeError::Field("extension count"));
            }
            let kind = self.u16("extension type")?;
            self.need(4, "extension length")?;
            let len = usize::try_from(self.0.get_u32())
                .map_err(|_| DecodeError::Field("extension length"))?;
            self.need(len, "extension")?;
            let mut payload = Reader(&self.0[..len]);
            self.0.advance(len);
            if kind == EXT_SHARD_ID {
                h.shard_id = Some(payload.id("shard id")?);
                if payload.0.has_remaining() {
                    return Err(DecodeError::Field("shard id"));
                }
            }
        }
        Ok(())
    }
    fn gossip(&mut self) -> Result<Vec<Gossip>, DecodeError> {
        let n = usize::from(self.u16("gossip count")?);
        if n > MAX_GOSSIP {
            return Err(DecodeError::Field("gossip count"));
        }
        let mut out = Vec::with_capacity(n);
        for _ in 0..n {
            out.push(Gossip {
                id: self.id("gossip id")?,
                ip: self.ip("gossip ip")?,
                port: self.u16("gossip port")?,
                cport: self.u16("gossip cport")?,
                flags: self.u16("gossip flags")?,
                ping_sent_ms: self.i64("gossip ping")?,
                pong_recv_ms: self.i64("gossip pong")?,
            });
        }
        Ok(out)
    }
}

/// Decodes one message from the front of `buf`; `Ok(None)` when more bytes are needed.
pub fn decode(buf: &mut BytesMut) -> Result<Option<Message>, DecodeError> {
    if buf.len() < 8 {
        if !MAGIC.starts_with(&buf[..buf.len().min(4)]) {
            return Err(DecodeError::Magic);
        }
        return Ok(None);
    }
    if &buf[..4] != MAGIC {
        return Err(DecodeError::Magic);
    }
    let len = u32::from_be_bytes([buf[4], buf[5], buf[6], buf[7]]) as usize;
    if !(9..=MAX_MESSAGE_BYTES).contains(&len) {
        return Err(DecodeError::Length(len));
    }
    if buf.len() < len {
        return Ok(None);
    }
    let frame = buf.split_to(len);
    let mut r = Reader(&frame[8..]);
    let kind_b = r.u8("type")?;
    let kind = Kind::from_u8(kind_b).ok_or(DecodeError::Kind(kind_b))?;
    let mut header = Header {
        sender: r.id("sender")?,
        current_epoch: r.u64("current epoch")?,
        config_epoch: r.u64("config epoch")?,
        flags: r.u16("flags")?,
        master: match r.u8("master tag")? {
            0 => None,
            1 => Some(r.id("master")?),
            _ => return Err(DecodeError::Field("master tag")),
        },
        port: r.u16("port")?,
        cport: r.u16("cport")?,
        myip: r.ip("myip")?,
        hostname: r.hostname()?,
        slots: r.slots("slots")?,
        state_ok: r.u8("state")? != 0,
        offset: r.i64("offset")?,
        mflags: r.u8("mflags")?,
        shard_id: None,
    };
    let body = match kind {
        Kind::Ping => Body::Ping(r.gossip()?),
        Kind::Pong => Body::Pong(r.gossip()?),
        Kind::Meet => Body::Meet(r.gossip()?),
        Kind::Fail => Body::Fail(r.id("fail id")?),
        Kind::Publish | Kind::PublishShard => {
            let channel = r.string(MAX_MESSAGE_BYTES, "channel")?;
            let message = r.string(MAX_MESSAGE_BYTES, "message")?;
            if kind == Kind::Publish {
                Body::Publish { channel, message }
            } else {
                Body::PublishShard { channel, message }
            }
        }
        Kind::Update => Body::Update {
            id: r.id("update id")?,
            config_epoch: r.u64("update epoch")?,
            slots: r.slots("update slots")?,
        },
        Kind::FailoverAuthRequest => Body::FailoverAuthRequest,
        Kind::FailoverAuthAck => Body::FailoverAuthAck,
        Kind::MfStart => Body::MfStart,
    };
    r.extensions(&mut header)?;
    Ok(Some(Message { header, body }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use rand::SeedableRng;

    fn sample(body: Body) -> Message {
        let mut rng = rand::rngs::SmallRng::seed_from_u64(7);
        Message {
            header: Header {
                sender: NodeId::random(&mut rng),
                current_epoch: 5,
                config_epoch: 3,
                flags: crate::cluster::flags::MASTER,
                master: None,
                port: 7000,
                cport: 17000,
                myip: "127.0.0.1".into(),
                hostname: "node1.example".into(),
                slots: SlotBitmap::from_bytes(&[0xA5u8; SLOT_BITMAP_BYTES]).expect("2048 bytes"),
                state_ok: true,
                offset: 42,
                mflags: 2 | MFLAG_EXT_DATA,
                shard_id: Some(NodeId::random(&mut rng)),
            },
            body,
        }
    }

    /// `m` encoded, then `extra` appended inside the message (its length patched).
    fn encoded_with(m: &Message, extra: &[u8]) -> BytesMut {
        let mut buf = BytesMut::new();
        encode(m, &mut buf);
        buf.extend_from_slice(extra);
        let len = u32::try_from(buf.len()).expect("small");
        buf[4..8].copy_from_slice(&len.to_be_bytes());
        buf
    }

    fn ext(kind: u16, payload: &[u8]) -> Vec<u8> {
        let mut v = kind.to_be_bytes().to_vec();
        v.extend_from_slice(&u32::try_from(payload.len()).expect("small").to_be_bytes());
        v.extend_from_slice(payload);
        v
    }

    #[test]
    fn shard_id_travels_as_an_extension() {
        let with = sample(Body::Ping(vec![]));
        let mut without = with.clone();
        without.header.shard_id = None;
        let (mut a, mut b) = (BytesMut::new(), BytesMut::new());
        encode(&with, &mut a);
        encode(&without, &mut b);
        assert_eq!(
            a.len(),
            b.len() + 2 + 4 + 40,
            "type, length, 40 hex characters"
        );
        assert_eq!(decode(&mut a), Ok(Some(with.clone())));
        // A sender without extensions (an older node): the message decodes, no shard id.
        assert_eq!(decode(&mut b), Ok(Some(without.clone())));
        // Unknown extensions (a newer node) are skipped, before and after the known one.
        let id = with.header.shard_id.expect("sample has one");
        let mut extra = ext(99, b"from the future");
        extra.extend(ext(EXT_SHARD_ID, id.as_bytes()));
        extra.extend(ext(7, b""));
        let mut buf = encoded_with(&without, &extra);
        assert_eq!(decode(&mut buf), Ok(Some(with)));
        assert!(buf.is_empty());
    }

    #[test]
    fn malformed_extensions_are_errors() {
        let mut m = sample(Body::Pong(vec![]));
        m.header.shard_id = None;
        let bad = [
            ext(EXT_SHARD_ID, &[b'a'; 39]),
            ext(EXT_SHARD_ID, &[b'g'; 40]),
            ext(EXT_SHARD_ID, &[b'a'; 41]),
            // Length beyond the message; a truncated extension header.
            vec![0, 1, 0, 0, 1, 0, b'a'],
            vec![0, 1, 0],
        ];
        for extra in bad {
            let mut buf = encoded_with(&m, &extra);
            assert!(decode(&mut buf).is_err(), "{extra:?}");
        }
        let many: Vec<u8> = (0..=MAX_EXTENSIONS).flat_map(|_| ext(9, b"")).collect();
        let mut buf = encoded_with(&m, &many);
        assert_eq!(decode(&mut buf), Err(DecodeError::Field("extension count")));
    }

    #[test]
    fn round_trip_every_kind() {
        let mut rng = rand::rngs::SmallRng::seed_from_u64(8);
        let id = NodeId::random(&mut rng);
        let g = Gossip {
            id,
            ip: "10.0.0.1".into(),
            port: 1,
            cport: 2,
            flags: 3,
            ping_sent_ms: 4,
            pong_recv_ms: 5,
        };
        for body in [
            Body::Ping(vec![g.clone()]),
            Body::Pong(vec![]),
            Body::Meet(vec![g.clone(), g]),
            Body::Fail(id),
            Body::Publish {
                channel: Bytes::from("ch"),
                message: Bytes::from("m"),
            },
            Body::Update {
                id,
                config_epoch: 9,
                slots: SlotBitmap::from_bytes(&[1u8; SLOT_BITMAP_BYTES]).expect("2048 bytes"),
            },
            Body::MfStart,
        ] {
            let m = sample(body);
            let mut buf = BytesMut::new();
            encode(&m, &mut buf);
            encode(&m, &mut buf);
            // Partial input asks for more.
            let mut part = BytesMut::from(&buf[..20]);
            assert_eq!(decode(&mut part), Ok(None));
            assert_eq!(decode(&mut buf), Ok(Some(m.clone())));
            assert_eq!(decode(&mut buf), Ok(Some(m)));
            assert!(buf.is_empty());
        }
    }

    #[test]
    fn garbage_is_an_error() {
        let mut b = BytesMut::from(&b"GET / HTTP/1.1\r\n"[..]);
        assert_eq!(decode(&mut b), Err(DecodeError::Magic));
        let mut b = BytesMut::from(&b"SHB1\xff\xff\xff\xff"[..]);
        assert!(matches!(decode(&mut b), Err(DecodeError::Length(_))));
    }

    proptest! {
        #[test]
        fn decoder_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..4096)) {
            let mut b = BytesMut::from(&bytes[..]);
            let _ = decode(&mut b);
            let mut with_magic = BytesMut::from(&MAGIC[..]);
            with_magic.extend_from_slice(&bytes);
            let _ = decode(&mut with_magic);
        }
    }
}
