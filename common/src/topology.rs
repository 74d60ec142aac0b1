//! The cluster's slot map, parsed from `CLUSTER SHARDS` (Redis 7.0) or `CLUSTER SLOTS`.
//!
//! Redis counterpart: what cluster-aware clients build from the same replies (redis-rs
//! `SlotMap`, redis-py `NodesManager`). Both reply shapes are described in
//! `research/cluster-requirements.md` §4.1 and §4.2; RESP2 (flat arrays) and RESP3 (maps)
//! forms are accepted.
//!
//! Invariants: every assigned slot points at exactly one shard of [`SlotMap::shards`], and
//! every shard has a primary. A shard without slots is kept (an empty master is a shard in
//! `CLUSTER SHARDS`), so the map lists every primary the cluster reported.

use bytes::Bytes;

use crate::resp::Frame;
use crate::slot::SLOT_COUNT;

/// The highest slot number.
const SLOT_MAX: u16 = (SLOT_COUNT - 1) as u16;

/// Marks an unassigned slot in [`SlotMap`]'s owner table.
const UNASSIGNED: u16 = u16::MAX;

/// Why a topology reply could not be understood.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TopologyError {
    /// The server answered with an error (cluster support disabled, say).
    #[error("server replied {0}")]
    ServerError(String),
    /// The reply does not have the documented shape.
    #[error("malformed topology reply: {0}")]
    Malformed(&'static str),
}

/// One node as the topology reply names it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Node {
    /// The node id (40 hex characters), when the reply gives it.
    pub id: Option<String>,
    /// `host:port`, from the preferred endpoint (or the IP when the endpoint is empty).
    pub addr: String,
    /// False when `CLUSTER SHARDS` reports the node as `fail` or `loading`.
    pub healthy: bool,
}

/// A primary, its replicas and the slot ranges it serves.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Shard {
    /// Inclusive slot ranges.
    pub slots: Vec<(u16, u16)>,
    /// The primary.
    pub primary: Node,
    /// Its replicas (healthy or not; check [`Node::healthy`]).
    pub replicas: Vec<Node>,
}

/// Slot → shard, plus the shards themselves.
#[derive(Debug, Clone)]
pub struct SlotMap {
    /// Every shard the reply listed, in the reply's order.
    pub shards: Vec<Shard>,
    owner: Vec<u16>,
}

impl SlotMap {
    /// Builds the map from shards; the last shard claiming a slot wins (a reply never has two).
    pub fn new(shards: Vec<Shard>) -> SlotMap {
        let mut owner = vec![UNASSIGNED; SLOT_COUNT];
        for (i, shard) in shards.iter().enumerate() {
            let i = u16::try_from(i).expect("invariant: fewer than 65535 shards");
            for &(start, end) in &shard.slots {
                for slot in start..=end.min(SLOT_MAX) {
                    owner[usize::from(slot)] = i;
                }
            }
        }
        SlotMap { shards, owner }
    }

    /// Parses a `CLUSTER SHARDS` reply.
    pub fn from_shards(reply: &Frame) -> Result<SlotMap, TopologyError> {
        let items = top_items(reply)?;
        let mut shards = Vec::with_capacity(items.len());
        for item in items {
            let fields = pairs(item).ok_or(TopologyError::Malformed("shard is not a map"))?;
            let mut slots = Vec::new();
            let mut nodes = Vec::new();
            for (k, v) in fields {
                match k.as_bytes().map(Bytes::as_ref) {
                    Some(b"slots") => slots = parse_slot_pairs(v)?,
                    Some(b"nodes") => nodes = parse_shard_nodes(v)?,
                    _ => {}
                }
            }
            let Some(pos) = nodes.iter().position(|(_, primary)| *primary) else {
                // A shard whose primary failed and has no promoted replica yet serves nothing.
                continue;
            };
            let (primary, _) = nodes.remove(pos);
            let replicas = nodes.into_iter().map(|(n, _)| n).collect();
            shards.push(Shard {
                slots,
                primary,
                replicas,
            });
        }
        Ok(SlotMap::new(shards))
    }

    /// Parses a `CLUSTER SLOTS` reply; ranges of the same primary are merged into one shard.
    pub fn from_slots(reply: &Frame) -> Result<SlotMap, TopologyError> {
        let mut shards: Vec<Shard> = Vec::new();
        for entry in top_items(reply)? {
            let Frame::Array(e) = entry else {
                return Err(TopologyError::Malformed("slot range is not an array"));
            };
            let (Some(start), Some(end)) = (slot_num(e.first()), slot_num(e.get(1))) else {
                return Err(TopologyError::Malformed("slot range bounds"));
            };
            let mut nodes = e.iter().skip(2).map(parse_slots_node);
            let primary = nodes
                .next()
                .ok_or(TopologyError::Malformed("slot range without a primary"))??;
            let replicas = nodes.collect::<Result<Vec<_>, _>>()?;
            match shards.iter_mut().find(|s| s.primary.addr == primary.addr) {
                Some(s) => s.slots.push((start, end)),
                None => shards.push(Shard {
                    slots: vec![(start, end)],
                    primary,
                    replicas,
                }),
            }
        }
        Ok(SlotMap::new(shards))
    }

    /// The shard serving `slot`, if the slot is assigned.
    pub fn shard_of(&self, slot: u16) -> Option<&Shard> {
        self.shard_index(slot).map(|i| &self.shards[i])
    }

    /// The index in [`SlotMap::shards`] of the shard serving `slot`.
    pub fn shard_index(&self, slot: u16) -> Option<usize> {
        match *self.owner.get(usize::from(slot))? {
            UNASSIGNED => None,
            i => Some(usize::from(i)),
        }
    }

    /// The primaries that serve at least one slot, in shard order.
    pub fn serving_primaries(&self) -> impl Iterator<Item = &Node> {
        self.shards
            .iter()
            .filter(|s| !s.slots.is_empty())
            .map(|s| &s.primary)
    }

    /// True when every slot is assigned.
    pub fn is_complete(&self) -> bool {
        self.owner.iter().all(|&o| o != UNASSIGNED)
    }

    /// Number of assigned slots.
    pub fn assigned_slots(&self) -> usize {
        self.owner.iter().filter(|&&o| o != UNASSIGNED).count()
    }

    /// Moves one slot to the shard whose primary is `addr` (a `MOVED` reply), adding a shard
    /// for an address not seen before. A full refresh should follow.
    pub fn apply_moved(&mut self, slot: u16, addr: &str) {
        if usize::from(slot) >= self.owner.len() {
            return;
        }
        let idx = match self.shards.iter().position(|s| s.primary.addr == addr) {
            Some(i) => i,
            None => {
                self.shards.push(Shard {
                    slots: Vec::new(),
                    primary: Node {
                        id: None,
                        addr: addr.to_string(),
                        healthy: true,
                    },
                    replicas: Vec::new(),
                });
                self.shards.len() - 1
            }
        };
        self.owner[usize::from(slot)] = u16::try_from(idx).expect("invariant: few shards");
    }
}

fn top_items(reply: &Frame) -> Result<&[Frame], TopologyError> {
    match reply {
        Frame::Array(items) | Frame::Set(items) => Ok(items),
        Frame::Error(e) => Err(TopologyError::ServerError(
            String::from_utf8_lossy(e).into_owned(),
        )),
        _ => Err(TopologyError::Malformed("not an array")),
    }
}

/// The key/value pairs of a RESP3 map or a RESP2 flat array.
fn pairs(f: &Frame) -> Option<Vec<(&Frame, &Frame)>> {
    match f {
        Frame::Map(m) => Some(m.iter().map(|(k, v)| (k, v)).collect()),
        Frame::Array(a) if a.len() % 2 == 0 => {
            Some(a.chunks_exact(2).map(|c| (&c[0], &c[1])).collect())
        }
        _ => None,
    }
}

fn slot_num(f: Option<&Frame>) -> Option<u16> {
    match f? {
        Frame::Integer(n) => u16::try_from(*n).ok().filter(|&s| s <= SLOT_MAX),
        _ => None,
    }
}

fn parse_slot_pairs(v: &Frame) -> Result<Vec<(u16, u16)>, TopologyError> {
    let Frame::Array(a) = v else {
        return Err(TopologyError::Malformed("slots is not an array"));
    };
    if a.len() % 2 != 0 {
        return Err(TopologyError::Malformed("odd slots array"));
    }
    a.chunks_exact(2)
        .map(|c| match (slot_num(Some(&c[0])), slot_num(Some(&c[1]))) {
            (Some(s), Some(e)) if s <= e => Ok((s, e)),
            _ => Err(TopologyError::Malformed("bad slot range")),
        })
        .collect()
}

fn text(f: &Frame) -> Option<String> {
    match f {
        Frame::Integer(n) => Some(n.to_string()),
        other => other
            .as_bytes()
            .map(|b| String::from_utf8_lossy(b).into_owned()),
    }
}

/// `host:port`, bracketing IPv6 hosts as redis-cli prints them is not needed: Redis itself
/// prints `ip:port` with a bare IPv6 address, and clients split at the last `:`.
fn addr(host: &str, port: &str) -> String {
    format!("{host}:{port}")
}

/// The nodes of one `CLUSTER SHARDS` entry: (node, is primary).
fn parse_shard_nodes(v: &Frame) -> Result<Vec<(Node, bool)>, TopologyError> {
    let Frame::Array(list) = v else {
        return Err(TopologyError::Malformed("nodes is not an array"));
    };
    let mut out = Vec::with_capacity(list.len());
    for n in list {
        let fields = pairs(n).ok_or(TopologyError::Malformed("node is not a map"))?;
        let (mut id, mut port, mut ip, mut endpoint) = (None, None, None, None);
        let (mut primary, mut healthy) = (false, true);
        for (k, v) in fields {
            let Some(key) = k.as_bytes() else { continue };
            match key.as_ref() {
                b"id" => id = text(v),
                b"port" => port = text(v),
                b"ip" => ip = text(v),
                b"endpoint" => endpoint = text(v),
                b"role" => primary = text(v).as_deref() == Some("master"),
                b"health" => healthy = text(v).as_deref() == Some("online"),
                _ => {}
            }
        }
        let host = endpoint
            .filter(|e| !e.is_empty() && e != "?")
            .or(ip)
            .ok_or(TopologyError::Malformed("node without an address"))?;
        let port = port.ok_or(TopologyError::Malformed("node without a port"))?;
        out.push((
            Node {
                id,
                addr: addr(&host, &port),
                healthy,
            },
            primary,
        ));
    }
    Ok(out)
}

/// One node of a `CLUSTER SLOTS` range: `[endpoint, port, id, metadata]`.
fn parse_slots_node(f: &Frame) -> Result<Node, TopologyError> {
    let Frame::Array(a) = f else {
        return Err(TopologyError::Malformed("slots node is not an array"));
    };
    let host = a
        .first()
        .and_then(text)
        .ok_or(TopologyError::Malformed("slots node endpoint"))?;
    let port = match a.get(1) {
        Some(Frame::Integer(p)) => p.to_string(),
        _ => return Err(TopologyError::Malformed("slots node port")),
    };
    Ok(Node {
        id: a.get(2).and_then(text),
        addr: addr(&host, &port),
        healthy: true,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn node2(id: &str, port: i64, role: &str, health: &str) -> Frame {
        Frame::Array(vec![
            Frame::bulk("id"),
            Frame::bulk(id),
            Frame::bulk("port"),
            Frame::Integer(port),
            Frame::bulk("ip"),
            Frame::bulk("127.0.0.1"),
            Frame::bulk("endpoint"),
            Frame::bulk("127.0.0.1"),
            Frame::bulk("role"),
            Frame::bulk(role),
            Frame::bulk("replication-offset"),
            Frame::Integer(10),
            Frame::bulk("health"),
            Frame::bulk(health),
        ])
    }

    #[test]
    fn shards_resp2_and_resp3() {
        let shard = |slots: Vec<i64>, nodes: Vec<Frame>| {
            Frame::Array(vec![
                Frame::bulk("slots"),
                Frame::Array(slots.into_iter().map(Frame::Integer).collect()),
                Frame::bulk("nodes"),
                Frame::Array(nodes),
            ])
        };
        let reply = Frame::Array(vec![
            shard(
                vec![0, 8000],
                vec![
                    node2("b", 7001, "replica", "online"),
                    node2("a", 7000, "master", "online"),
                ],
            ),
            shard(
                vec![8001, 16383],
                vec![
                    node2("c", 7002, "master", "online"),
                    node2("d", 7003, "replica", "fail"),
                ],
            ),
            shard(vec![], vec![node2("e", 7004, "master", "online")]),
        ]);
        let m = SlotMap::from_shards(&reply).unwrap();
        assert!(m.is_complete());
        assert_eq!(m.shards.len(), 3);
        assert_eq!(m.shard_of(0).unwrap().primary.addr, "127.0.0.1:7000");
        assert_eq!(m.shard_of(0).unwrap().replicas[0].addr, "127.0.0.1:7001");
        assert_eq!(m.shard_of(16383).unwrap().primary.addr, "127.0.0.1:7002");
        assert!(!m.shard_of(16383).unwrap().replicas[0].healthy);
        assert_eq!(m.serving_primaries().count(), 2);

        let to_map = |f: &Frame| match f {
            Frame::Array(a) => Frame::Map(
                a.chunks_exact(2)
                    .map(|c| (c[0].clone(), c[1].clone()))
                    .collect(),
            ),
            _ => unreachable!(),
        };
        let Frame::Array(shards) = &reply else {
            unreachable!()
        };
        let resp3 = Frame::Array(
            shards
                .iter()
                .map(|s| {
                    let Frame::Array(kv) = s else { unreachable!() };
                    let Frame::Array(nodes) = &kv[3] else {
                        unreachable!()
                    };
                    Frame::Map(vec![
                        (kv[0].clone(), kv[1].clone()),
                        (
                            kv[2].clone(),
                            Frame::Array(nodes.iter().map(to_map).collect()),
                        ),
                    ])
                })
                .collect(),
        );
        let m3 = SlotMap::from_shards(&resp3).unwrap();
        assert_eq!(m3.shards, m.shards);
    }

    #[test]
    fn slots_reply_merges_ranges_of_one_primary() {
        let n = |port: i64, id: &str| {
            Frame::Array(vec![
                Frame::bulk("127.0.0.1"),
                Frame::Integer(port),
                Frame::bulk(id),
                Frame::Array(vec![]),
            ])
        };
        let reply = Frame::Array(vec![
            Frame::Array(vec![
                Frame::Integer(0),
                Frame::Integer(99),
                n(7000, "a"),
                n(7003, "d"),
            ]),
            Frame::Array(vec![
                Frame::Integer(100),
                Frame::Integer(12181),
                n(7001, "b"),
            ]),
            Frame::Array(vec![
                Frame::Integer(12183),
                Frame::Integer(16383),
                n(7001, "b"),
            ]),
            Frame::Array(vec![
                Frame::Integer(12182),
                Frame::Integer(12182),
                n(7000, "a"),
            ]),
        ]);
        let m = SlotMap::from_slots(&reply).unwrap();
        assert_eq!(m.shards.len(), 2);
        assert_eq!(m.shards[0].slots, vec![(0, 99), (12182, 12182)]);
        assert!(m.is_complete());
        assert_eq!(m.shard_of(12182).unwrap().primary.addr, "127.0.0.1:7000");
        assert_eq!(m.shard_of(500).unwrap().primary.addr, "127.0.0.1:7001");
        assert_eq!(m.shards[0].replicas[0].id.as_deref(), Some("d"));
    }

    #[test]
    fn errors_and_moved() {
        assert!(matches!(
            SlotMap::from_slots(&Frame::error(
                "ERR This instance has cluster support disabled"
            )),
            Err(TopologyError::ServerError(_))
        ));
        assert!(SlotMap::from_shards(&Frame::Integer(3)).is_err());
        let mut m = SlotMap::new(vec![]);
        assert!(m.shard_of(5).is_none());
        m.apply_moved(5, "127.0.0.1:9000");
        assert_eq!(m.shard_of(5).unwrap().primary.addr, "127.0.0.1:9000");
        assert_eq!(m.assigned_slots(), 1);
    }
}
