//! Shard ids on the bus (Redis 7.2 `updateShardId` and the `CLUSTERMSG_EXT_TYPE_SHARDID` PING
//! extension; Redis 7.0 has no shard ids).
//!
//! A node states its own shard id in the [`EXT_SHARD_ID`](super::message::EXT_SHARD_ID)
//! extension of every PING, PONG and MEET it sends to a peer whose messages carry
//! [`MFLAG_EXT_DATA`](super::message::MFLAG_EXT_DATA) (that peer decodes extensions; an
//! older one would close the link on them). The receiver records it for the sender; if the
//! sender is our own primary, we take it too, so a replica ends up in its primary's shard.
//! A primary never takes a replica's, so a promoted replica (whose id is already its old
//! primary's) keeps the shard's id, and the old primary takes the same id back when it
//! rejoins as a replica.
//!
//! Invariant after convergence (checked by the simulation): every replica's shard id equals
//! its primary's, and every node knows every other node's.

use super::Body;
use super::message::Header;
use crate::cluster::{ClusterState, flags};

/// True if a message with `body` to `ip:cport` carries our shard id: a PING, PONG or MEET
/// (as Redis's PING extensions) to a node known to decode extensions.
pub fn include(st: &ClusterState, ip: &str, cport: u16, body: &Body) -> bool {
    matches!(body, Body::Ping(_) | Body::Pong(_) | Body::Meet(_))
        && st
            .nodes
            .values()
            .any(|n| n.has(flags::EXT_DATA) && n.cport == cport && n.ip == ip)
}

/// A PING, PONG or MEET from a known node: records the sender's shard id and, when the
/// sender is our primary, takes it. A sender without the extension (an older node) is
/// taken to be in its primary's shard, when we know that one (Redis does the same).
pub fn on_ping(st: &mut ClusterState, h: &Header) {
    let master_sid = h
        .master
        .and_then(|m| st.nodes.get(&m))
        .and_then(|m| m.shard_id);
    let Some(sid) = h.shard_id.or(master_sid) else {
        return;
    };
    if h.sender == st.myself {
        return;
    }
    if let Some(n) = st.nodes.get_mut(&h.sender)
        && n.shard_id != Some(sid)
    {
        n.shard_id = Some(sid);
        st.save_pending = true;
    }
    if st.me().master_id == Some(h.sender) {
        st.adopt_master_shard_id();
    }
}

#[cfg(test)]
mod tests {
    use rand::SeedableRng;
    use rand::rngs::SmallRng;

    use super::*;
    use crate::cluster::bus::{self, Effects};
    use crate::cluster::{ClusterNode, NodeId};

    /// Two fresh states that know each other (both decode extensions).
    fn pair(rng: &mut SmallRng) -> (ClusterState, ClusterState) {
        let mut a = ClusterState::new(rng, 7000, 17000, 0);
        let mut b = ClusterState::new(rng, 7001, 17001, 0);
        a.me_mut().ip = "10.0.0.1".into();
        b.me_mut().ip = "10.0.0.2".into();
        let (ai, bi) = (a.myself, b.myself);
        let mut nb = ClusterNode::new(bi, "10.0.0.2".into(), 7001, 17001, flags::MASTER, 0);
        nb.flags |= flags::EXT_DATA;
        let mut na = ClusterNode::new(ai, "10.0.0.1".into(), 7000, 17000, flags::MASTER, 0);
        na.flags |= flags::EXT_DATA;
        a.nodes.insert(bi, nb);
        b.nodes.insert(ai, na);
        (a, b)
    }

    /// The messages `fx` holds, delivered to `to` (from `from_ip`).
    fn deliver(to: &mut ClusterState, from_ip: &str, fx: Effects, rng: &mut SmallRng) {
        let local = to.me().ip.clone();
        for ob in fx.out {
            let mut back = Effects::default();
            bus::on_message(to, 1, from_ip, &local, ob.msg, rng, &mut back);
        }
    }

    fn ping(from: &mut ClusterState, rng: &mut SmallRng) -> Effects {
        let mut fx = Effects::default();
        bus::broadcast_pong(from, &mut fx, rng);
        fx
    }

    #[test]
    fn fresh_nodes_have_distinct_random_shard_ids() {
        let mut rng = SmallRng::seed_from_u64(1);
        let (a, b) = pair(&mut rng);
        assert_ne!(a.my_shard_id(), b.my_shard_id());
        assert_ne!(a.my_shard_id(), a.myself, "independent of the node id");
    }

    #[test]
    fn a_replica_takes_its_primary_shard_id_a_primary_never_takes_a_replicas() {
        let mut rng = SmallRng::seed_from_u64(2);
        let (mut a, mut b) = pair(&mut rng);
        let a_sid = a.my_shard_id();
        let b_sid = b.my_shard_id();
        // b is a replica of a before it knows a's shard id: it keeps its own for now.
        let me = b.me_mut();
        me.flags = (me.flags & !flags::MASTER) | flags::SLAVE;
        me.master_id = Some(a.myself);
        assert!(!b.adopt_master_shard_id());
        // b's PONG tells a its (still different) shard id: a records it, keeps its own.
        let fx = ping(&mut b, &mut rng);
        deliver(&mut a, "10.0.0.2", fx, &mut rng);
        assert_eq!(a.nodes[&b.myself].shard_id, Some(b_sid));
        assert_eq!(a.my_shard_id(), a_sid);
        // a's PONG reaches b: b takes a's shard id, to be saved with an fsync.
        b.save_pending = false;
        let fx = ping(&mut a, &mut rng);
        deliver(&mut b, "10.0.0.1", fx, &mut rng);
        assert_eq!(b.my_shard_id(), a_sid);
        assert!(b.save_pending && b.fsync_pending);
        // Now b says a's id, and a records that.
        let fx = ping(&mut b, &mut rng);
        deliver(&mut a, "10.0.0.2", fx, &mut rng);
        assert_eq!(a.nodes[&b.myself].shard_id, Some(a_sid));
        assert_eq!(a.my_shard_id(), a_sid);
    }

    #[test]
    fn the_shard_id_goes_only_to_peers_that_decode_extensions() {
        let mut rng = SmallRng::seed_from_u64(3);
        let (mut a, mut b) = pair(&mut rng);
        let b_id = b.myself;
        a.nodes.get_mut(&b_id).expect("b").flags &= !flags::EXT_DATA;
        let fx = ping(&mut a, &mut rng);
        assert!(fx.out.iter().all(|o| o.msg.header.shard_id.is_none()));
        assert!(
            fx.out
                .iter()
                .all(|o| o.msg.header.mflags & bus::message::MFLAG_EXT_DATA != 0),
            "we always say we decode extensions"
        );
        // b's messages carry the flag: a learns that b decodes them.
        let fx = ping(&mut b, &mut rng);
        deliver(&mut a, "10.0.0.2", fx, &mut rng);
        assert!(a.nodes[&b_id].has(flags::EXT_DATA));
        let fx = ping(&mut a, &mut rng);
        assert!(
            fx.out
                .iter()
                .all(|o| o.msg.header.shard_id == Some(a.my_shard_id()))
        );
        // Not in other messages (as Redis, whose extensions are PING-only).
        let mut fx = Effects::default();
        bus::broadcast(&mut a, &mut fx, &Body::Fail(NodeId::random(&mut rng)));
        assert!(!fx.out.is_empty());
        assert!(fx.out.iter().all(|o| o.msg.header.shard_id.is_none()));
    }

    #[test]
    fn a_sender_without_the_extension_is_in_its_primarys_shard() {
        let mut rng = SmallRng::seed_from_u64(4);
        let (mut a, b) = pair(&mut rng);
        // c, an older node, replicates b; a knows b's shard id.
        let c = NodeId::random(&mut rng);
        let b_sid = b.my_shard_id();
        a.nodes.get_mut(&b.myself).expect("b").shard_id = Some(b_sid);
        a.nodes.insert(
            c,
            ClusterNode::new(c, "10.0.0.3".into(), 7002, 17002, flags::SLAVE, 0),
        );
        let mut h = bus::header(&b);
        h.sender = c;
        h.flags = flags::SLAVE;
        h.master = Some(b.myself);
        h.shard_id = None;
        on_ping(&mut a, &h);
        assert_eq!(a.nodes[&c].shard_id, Some(b_sid));
    }
}
