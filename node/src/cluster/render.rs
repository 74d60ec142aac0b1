//! The client-visible views of the cluster state: CLUSTER NODES (also the body of
//! nodes.conf), CLUSTER INFO, CLUSTER SLOTS and CLUSTER SHARDS (Redis `clusterGenNodesDescription`,
//! `clusterGenClusterInfo`, `clusterReplyMultiBulkSlots`, `clusterReplyShards`).
//!
//! Formats are pinned by research §2-§4: NODES lines end in `\n` (the last one too), INFO lines
//! in `\r\n`; slot ranges are canonical maximal ranges so every node renders a master's slots
//! identically (redis-cli's configuration signature compares them byte for byte).

use std::fmt::Write as _;

use shoal_common::Frame;

use super::{ClusterNode, ClusterState, Endpoint, MSG_TYPES, NodeId, flags};

/// Maximal contiguous ranges of slots owned by `id`, ascending.
pub fn slot_ranges(st: &ClusterState, id: &NodeId) -> Vec<(usize, usize)> {
    ranges_of(&st.slot_runs(), id)
}

fn ranges_of(runs: &[(usize, usize, NodeId)], id: &NodeId) -> Vec<(usize, usize)> {
    runs.iter()
        .filter(|(_, _, o)| o == id)
        .map(|(a, b, _)| (*a, *b))
        .collect()
}

fn flag_names(f: u16) -> String {
    let names: Vec<&str> = flags::NAMES
        .iter()
        .filter(|(bit, _)| f & bit != 0)
        .map(|(_, n)| *n)
        .collect();
    if names.is_empty() {
        "noflags".to_string()
    } else {
        names.join(",")
    }
}

/// One CLUSTER NODES line, without the trailing newline. `with_open` adds the
/// `[slot->-id]` / `[slot-<-id]` markers (myself line only).
pub fn node_line(st: &ClusterState, n: &ClusterNode) -> String {
    node_line_with(st, n, &st.slot_runs(), false)
}

/// One line; `conf` adds the aux fields of nodes.conf to the address (Redis 7.2
/// `ip:port@cport,hostname,shard-id=<id>`; it shows them to clients neither, so CLUSTER
/// NODES keeps 7.0's format).
fn node_line_with(
    st: &ClusterState,
    n: &ClusterNode,
    runs: &[(usize, usize, NodeId)],
    conf: bool,
) -> String {
    let mut line = String::with_capacity(128);
    let master = n
        .master_id
        .map_or_else(|| "-".to_string(), |m| m.to_string());
    // A replica prints its master's config epoch (research §2.1).
    let epoch = n
        .master_id
        .and_then(|m| st.nodes.get(&m))
        .map_or(n.config_epoch, |m| m.config_epoch);
    let link = if n.id == st.myself || n.link_connected {
        "connected"
    } else {
        "disconnected"
    };
    let _ = write!(line, "{} {}:{}@{}", n.id, n.ip, n.port, n.cport);
    if conf && let Some(sid) = n.shard_id {
        let _ = write!(line, ",{},shard-id={sid}", n.hostname);
    } else if !n.hostname.is_empty() {
        let _ = write!(line, ",{}", n.hostname);
    }
    let _ = write!(
        line,
        " {} {} {} {} {} {}",
        flag_names(n.flags),
        master,
        n.ping_sent_ms,
        n.pong_recv_ms,
        epoch,
        link
    );
    for (a, b) in ranges_of(runs, &n.id) {
        if a == b {
            let _ = write!(line, " {a}");
        } else {
            let _ = write!(line, " {a}-{b}");
        }
    }
    if n.id == st.myself {
        for (s, t) in &st.migrating {
            let _ = write!(line, " [{s}->-{t}]");
        }
        for (s, f) in &st.importing {
            let _ = write!(line, " [{s}-<-{f}]");
        }
    }
    line
}

/// CLUSTER NODES: one line per node, each ending in `\n`. `conf` is for nodes.conf: no
/// handshake nodes, and the aux fields (shard ids).
pub fn nodes(st: &ClusterState, conf: bool) -> String {
    let mut out = String::new();
    let runs = st.slot_runs();
    for n in st.nodes.values() {
        if conf && n.has(flags::HANDSHAKE) {
            continue;
        }
        out.push_str(&node_line_with(st, n, &runs, conf));
        out.push('\n');
    }
    out
}

/// CLUSTER INFO text (`\r\n` line endings).
pub fn info(st: &ClusterState) -> String {
    let mut assigned = 0;
    let mut pfail = 0;
    let mut fail = 0;
    for (id, bits) in st.slots.owned() {
        let count = bits.count();
        assigned += count;
        match st.nodes.get(&id) {
            Some(n) if n.has(flags::FAIL) => fail += count,
            Some(n) if n.has(flags::PFAIL) => pfail += count,
            _ => {}
        }
    }
    let me = st.me();
    let my_epoch = me
        .master_id
        .and_then(|m| st.nodes.get(&m))
        .map_or(me.config_epoch, |m| m.config_epoch);
    let mut out = String::new();
    let state = if st.state_ok { "ok" } else { "fail" };
    let _ = write!(
        out,
        "cluster_state:{state}\r\ncluster_slots_assigned:{assigned}\r\ncluster_slots_ok:{}\r\n\
         cluster_slots_pfail:{pfail}\r\ncluster_slots_fail:{fail}\r\ncluster_known_nodes:{}\r\n\
         cluster_size:{}\r\ncluster_current_epoch:{}\r\ncluster_my_epoch:{my_epoch}\r\n",
        assigned - pfail - fail,
        st.nodes.len(),
        st.reported_size,
        st.current_epoch,
    );
    for (dir, counts) in [("sent", &st.stats_sent), ("received", &st.stats_received)] {
        for (i, n) in counts.iter().enumerate() {
            if *n > 0 {
                let _ = write!(out, "cluster_stats_messages_{}_{dir}:{n}\r\n", MSG_TYPES[i]);
            }
        }
        let total: u64 = counts.iter().sum();
        let _ = write!(out, "cluster_stats_messages_{dir}:{total}\r\n");
    }
    out.push_str("total_cluster_links_buffer_limit_exceeded:0\r\n");
    out
}

/// One node of a CLUSTER SLOTS entry (Redis `addNodeToNodeReply`): the preferred endpoint,
/// the port, the id, and the networking details that are not the endpoint.
fn node_entry(st: &ClusterState, n: &ClusterNode) -> Frame {
    let kind = st.settings.preferred_endpoint;
    let endpoint = match kind {
        Endpoint::Unknown => Frame::Null,
        _ => Frame::bulk(n.endpoint(kind).as_bytes()),
    };
    let mut meta = Vec::new();
    if kind != Endpoint::Ip {
        meta.push((Frame::bulk("ip"), Frame::bulk(n.ip.as_bytes())));
    }
    if kind != Endpoint::Hostname && !n.hostname.is_empty() {
        meta.push((Frame::bulk("hostname"), Frame::bulk(n.hostname.as_bytes())));
    }
    Frame::Array(vec![
        endpoint,
        Frame::Integer(i64::from(n.port)),
        Frame::bulk(n.id.as_str()),
        Frame::Map(meta),
    ])
}

/// CLUSTER SLOTS: one entry per contiguous run of slots of one master.
pub fn slots(st: &ClusterState) -> Frame {
    let mut out = Vec::new();
    for (a, b, owner) in st.slot_runs() {
        let Some(n) = st.nodes.get(&owner) else {
            continue;
        };
        let mut entry = vec![
            Frame::Integer(i64::try_from(a).unwrap_or(0)),
            Frame::Integer(i64::try_from(b).unwrap_or(0)),
            node_entry(st, n),
        ];
        // Replicas appear once they have synced and while they are not failed (Redis
        // `addNodeReplyForClusterSlot`).
        for r in replicas_of(st, &owner) {
            if !r.has(flags::FAIL) && repl_offset(st, r) != 0 {
                entry.push(node_entry(st, r));
            }
        }
        out.push(Frame::Array(entry));
    }
    Frame::Array(out)
}

/// The replicas of `master`.
fn replicas_of<'a>(st: &'a ClusterState, master: &NodeId) -> impl Iterator<Item = &'a ClusterNode> {
    st.nodes
        .values()
        .filter(move |r| r.master_id == Some(*master) && r.has(flags::SLAVE))
}

/// A node's replication offset: our own, or the one its last bus message carried.
fn repl_offset(st: &ClusterState, n: &ClusterNode) -> i64 {
    if n.id == st.myself {
        st.repl_offset
    } else {
        n.repl_offset
    }
}

fn shard_node(st: &ClusterState, n: &ClusterNode) -> Frame {
    let offset = repl_offset(st, n);
    let health = if n.has(flags::FAIL) {
        "fail"
    } else if !n.is_master() && offset == 0 {
        "loading"
    } else {
        "online"
    };
    let endpoint = n.endpoint(st.settings.preferred_endpoint);
    let mut fields = vec![
        (Frame::bulk("id"), Frame::bulk(n.id.as_str())),
        (Frame::bulk("port"), Frame::Integer(i64::from(n.port))),
        (Frame::bulk("ip"), Frame::bulk(n.ip.as_bytes())),
        (Frame::bulk("endpoint"), Frame::bulk(endpoint.as_bytes())),
    ];
    if !n.hostname.is_empty() {
        fields.push((Frame::bulk("hostname"), Frame::bulk(n.hostname.as_bytes())));
    }
    fields.extend([
        (
            Frame::bulk("role"),
            Frame::bulk(if n.is_master() { "master" } else { "replica" }),
        ),
        (Frame::bulk("replication-offset"), Frame::Integer(offset)),
        (Frame::bulk("health"), Frame::bulk(health)),
    ]);
    Frame::Map(fields)
}

/// CLUSTER SHARDS: one shard per master (a master without slots too), master first.
pub fn shards(st: &ClusterState) -> Frame {
    let mut out = Vec::new();
    let runs = st.slot_runs();
    for m in st.nodes.values().filter(|n| n.is_master()) {
        let mut ranges = Vec::new();
        for (a, b) in ranges_of(&runs, &m.id) {
            ranges.push(Frame::Integer(i64::try_from(a).unwrap_or(0)));
            ranges.push(Frame::Integer(i64::try_from(b).unwrap_or(0)));
        }
        let mut members = vec![shard_node(st, m)];
        for r in st.nodes.values().filter(|r| r.master_id == Some(m.id)) {
            members.push(shard_node(st, r));
        }
        out.push(Frame::Map(vec![
            (Frame::bulk("slots"), Frame::Array(ranges)),
            (Frame::bulk("nodes"), Frame::Array(members)),
        ]));
    }
    Frame::Array(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;

    #[test]
    fn ranges_are_maximal_and_nodes_lines_end_in_newline() {
        let mut rng = rand::rngs::SmallRng::seed_from_u64(3);
        let mut st = ClusterState::new(&mut rng, 30001, 40001, 0);
        let me = st.myself;
        for s in (0..=5).chain([7]).chain(100..=200) {
            st.set_slot(s, Some(me));
        }
        assert_eq!(slot_ranges(&st, &me), vec![(0, 5), (7, 7), (100, 200)]);
        let text = nodes(&st, false);
        assert!(text.ends_with(" 0-5 7 100-200\n"), "{text}");
        assert!(text.contains(" :30001@40001 myself,master - 0 0 0 connected"));
    }

    #[test]
    fn info_fresh_node() {
        let mut rng = rand::rngs::SmallRng::seed_from_u64(4);
        let st = ClusterState::new(&mut rng, 1, 2, 0);
        let text = info(&st);
        assert!(text.starts_with("cluster_state:fail\r\ncluster_slots_assigned:0\r\n"));
        assert!(text.contains("cluster_known_nodes:1\r\ncluster_size:1\r\n"));
        assert!(text.contains("cluster_stats_messages_sent:0\r\n"));
    }
}
