//! The cluster as the admin tool sees it: every reachable node, its own `myself` line and its
//! whole view, loaded from one entry node; and the consistency check shared by `check`,
//! `reshard`, `rebalance`, `add-node` and `del-node`.
//!
//! Mirrors redis-cli's `clusterManagerLoadInfoFromNode` and `clusterManagerCheckCluster`:
//! the entry node's view only discovers the other nodes ("friends"); a node's slots and open
//! slots are read from that node's own `myself` line.

use std::collections::BTreeMap;
use std::io::Write;
use std::time::{Duration, Instant};

use anyhow::{Result, bail};
use shoal_common::SLOT_COUNT;

use super::client::{Conn, info_field};
use super::nodes::{NodeEntry, format_ranges, parse_nodes, signature};

/// How long a load waits for the nodes to agree before reporting what it sees: a slot move
/// reaches the other nodes by gossip within a few node-to-node round trips.
const SETTLE_TIMEOUT: Duration = Duration::from_secs(10);

/// One reachable node.
pub struct Node {
    /// Its connection.
    pub conn: Conn,
    /// Its own line of CLUSTER NODES.
    pub me: NodeEntry,
    /// Its whole CLUSTER NODES view.
    pub view: Vec<NodeEntry>,
}

impl Node {
    /// Connects to `addr` and reads its CLUSTER NODES.
    pub fn open(addr: &str) -> Result<Node> {
        let mut conn = Conn::connect(addr)?;
        let info = conn.text(&["INFO", "cluster"])?;
        if info_field(&info, "cluster_enabled") != Some("1") {
            bail!(
                "node {addr} is not configured as a cluster node: start it with \
                 `--cluster-enabled yes`"
            );
        }
        let mut n = Node {
            conn,
            me: placeholder(),
            view: Vec::new(),
        };
        n.refresh()?;
        Ok(n)
    }

    /// Re-reads CLUSTER NODES.
    pub fn refresh(&mut self) -> Result<()> {
        let text = self.conn.text(&["CLUSTER", "NODES"])?;
        self.view = parse_nodes(&text)?;
        self.me = match self.view.iter().find(|e| e.is_myself()) {
            Some(me) => me.clone(),
            None => bail!("{}: CLUSTER NODES has no myself line", self.conn.addr),
        };
        Ok(())
    }

    /// `host:port` to reach it.
    pub fn addr(&self) -> &str {
        &self.conn.addr
    }

    /// Host part of the address (for MIGRATE and MEET).
    pub fn host(&self) -> &str {
        self.conn.addr.rsplit_once(':').map_or("", |(h, _)| h)
    }

    /// Client port.
    pub fn port(&self) -> u16 {
        self.conn
            .addr
            .rsplit_once(':')
            .and_then(|(_, p)| p.parse().ok())
            .unwrap_or(0)
    }

    /// Short id for messages.
    pub fn short_id(&self) -> &str {
        &self.me.id[..self.me.id.len().min(8)]
    }
}

fn placeholder() -> NodeEntry {
    NodeEntry {
        id: String::new(),
        host: String::new(),
        port: 0,
        cport: 0,
        flags: Vec::new(),
        master_id: None,
        config_epoch: 0,
        connected: false,
        ranges: Vec::new(),
        slot_tokens: Vec::new(),
        migrating: Vec::new(),
        importing: Vec::new(),
    }
}

/// Every reachable node of a cluster, the entry node first.
pub struct Cluster {
    /// The nodes.
    pub nodes: Vec<Node>,
    /// Masters the entry node knows but that are failed or unreachable.
    pub unreachable_masters: Vec<String>,
}

/// What `check` found.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct Problems {
    /// Nodes disagree about slot ownership.
    pub disagree: bool,
    /// Slots open (importing or migrating) somewhere.
    pub open_slots: Vec<u16>,
    /// Slots no master owns.
    pub uncovered: usize,
    /// Masters that failed or could not be reached (a warning: once their replicas have
    /// taken over, the cluster is whole without them, as redis-cli's check also says).
    pub unreachable: usize,
}

impl Problems {
    /// True if the slots are covered, agreed on and closed.
    pub fn is_clean(&self) -> bool {
        !self.disagree && self.open_slots.is_empty() && self.uncovered == 0
    }
}

impl Cluster {
    /// Loads the cluster from `entry` (`host:port`), giving a configuration change still in
    /// flight a few seconds to reach every node (see [`Cluster::settle`]).
    pub fn load(entry: &str) -> Result<Cluster> {
        let mut c = Cluster::load_now(entry)?;
        c.settle(SETTLE_TIMEOUT)?;
        Ok(c)
    }

    /// Loads the cluster from `entry` as it is this instant.
    pub fn load_now(entry: &str) -> Result<Cluster> {
        let first = Node::open(entry)?;
        let mut unreachable_masters = Vec::new();
        let friends: Vec<NodeEntry> = first
            .view
            .iter()
            .filter(|e| !e.is_myself())
            .cloned()
            .collect();
        let mut nodes = vec![first];
        for f in friends {
            let dead = f.has_flag("fail") || f.has_flag("noaddr") || f.has_flag("handshake");
            let addr = format!("{}:{}", f.host, f.port);
            let opened = if dead { None } else { Node::open(&addr).ok() };
            match opened {
                Some(n) => nodes.push(n),
                None if f.is_master() => unreachable_masters.push(addr),
                None => {}
            }
        }
        Ok(Cluster {
            nodes,
            unreachable_masters,
        })
    }

    /// Re-reads every node's CLUSTER NODES.
    pub fn refresh(&mut self) -> Result<()> {
        self.nodes.iter_mut().try_for_each(Node::refresh)
    }

    /// Indexes of the masters.
    pub fn masters(&self) -> Vec<usize> {
        (0..self.nodes.len())
            .filter(|&i| self.nodes[i].me.is_master())
            .collect()
    }

    /// The node whose id is `id` or starts with the (unique) prefix `id`.
    /// `id` may also be a node's `host:port`.
    pub fn find(&self, id: &str) -> Result<usize> {
        if let Some(i) = self.find_addr(id) {
            return Ok(i);
        }
        let id = id.to_ascii_lowercase();
        let hits: Vec<usize> = (0..self.nodes.len())
            .filter(|&i| self.nodes[i].me.id.starts_with(&id))
            .collect();
        match hits.as_slice() {
            [i] => Ok(*i),
            [] => bail!("no such node id {id}: list the nodes with `shoal-admin info`"),
            _ => bail!("node id prefix {id} is ambiguous: give more characters"),
        }
    }

    /// The node listening on `addr`.
    pub fn find_addr(&self, addr: &str) -> Option<usize> {
        self.nodes.iter().position(|n| n.addr() == addr)
    }

    /// Number of replicas of master `id`, as the nodes themselves report it.
    pub fn replica_count(&self, id: &str) -> usize {
        self.nodes
            .iter()
            .filter(|n| n.me.master_id.as_deref() == Some(id))
            .count()
    }

    /// True if every node reports the same config signature.
    pub fn agree(&self) -> bool {
        let mut sigs = self.nodes.iter().map(|n| signature(&n.view));
        match sigs.next() {
            Some(first) => sigs.all(|s| s == first),
            None => true,
        }
    }

    /// Slots that some node has open, with (migrating, importing) node indexes.
    pub fn open_slots(&self) -> BTreeMap<u16, (Vec<usize>, Vec<usize>)> {
        let mut open: BTreeMap<u16, (Vec<usize>, Vec<usize>)> = BTreeMap::new();
        for (i, n) in self.nodes.iter().enumerate() {
            for (s, _) in &n.me.migrating {
                open.entry(*s).or_default().0.push(i);
            }
            for (s, _) in &n.me.importing {
                open.entry(*s).or_default().1.push(i);
            }
        }
        open
    }

    /// Number of slots owned by some master.
    pub fn covered(&self) -> usize {
        let mut seen = vec![false; SLOT_COUNT];
        for n in &self.nodes {
            for s in n.me.slots() {
                seen[usize::from(s)] = true;
            }
        }
        seen.iter().filter(|&&b| b).count()
    }

    /// Prints the node list as redis-cli's check does.
    pub fn print_nodes(&self, out: &mut impl Write) -> Result<()> {
        for n in &self.nodes {
            let me = &n.me;
            let role = if me.is_master() { "M" } else { "S" };
            let slots: Vec<u16> = me.slots().collect();
            writeln!(out, "{role}: {} {}", me.id, n.addr())?;
            let ranges = if slots.is_empty() {
                String::new()
            } else {
                format!("[{}]", format_ranges(&slots))
            };
            writeln!(
                out,
                "   slots:{ranges} ({} slots) {}",
                slots.len(),
                me.display_flags()
            )?;
            if let Some(m) = &me.master_id {
                writeln!(out, "   replicates {m}")?;
            } else if me.is_master() {
                let r = self.replica_count(&me.id);
                if r > 0 {
                    writeln!(out, "   {r} additional replica(s)")?;
                }
            }
        }
        Ok(())
    }

    /// Runs the consistency check, printing as redis-cli does; returns what it found.
    pub fn check(&self, out: &mut impl Write, quiet: bool) -> Result<Problems> {
        let mut p = Problems::default();
        if !quiet {
            writeln!(
                out,
                ">>> Performing Cluster Check (using node {})",
                self.nodes[0].addr()
            )?;
            self.print_nodes(out)?;
        }
        if self.agree() {
            writeln!(out, "[OK] All nodes agree about slots configuration.")?;
        } else {
            writeln!(out, "[ERR] Nodes don't agree about configuration!")?;
            p.disagree = true;
        }
        writeln!(out, ">>> Check for open slots...")?;
        for n in &self.nodes {
            report_open(out, n, "importing", &n.me.importing)?;
            report_open(out, n, "migrating", &n.me.migrating)?;
        }
        p.open_slots = self.open_slots().keys().copied().collect();
        if !p.open_slots.is_empty() {
            let list: Vec<String> = p.open_slots.iter().map(u16::to_string).collect();
            writeln!(
                out,
                "[WARNING] The following slots are open: {}.",
                list.join(",")
            )?;
            writeln!(
                out,
                "    fix: `shoal-admin fix {}` finishes or closes them.",
                self.nodes[0].addr()
            )?;
        }
        writeln!(out, ">>> Check slots coverage...")?;
        let covered = self.covered();
        if covered == SLOT_COUNT {
            writeln!(out, "[OK] All {SLOT_COUNT} slots covered.")?;
        } else {
            p.uncovered = SLOT_COUNT - covered;
            writeln!(
                out,
                "[ERR] Not all {SLOT_COUNT} slots are covered by nodes ({} missing).",
                p.uncovered
            )?;
        }
        for m in &self.unreachable_masters {
            writeln!(
                out,
                "[WARNING] Master {m} is failed or unreachable (its replica takes over; \
                 restart it and it rejoins as a replica)."
            )?;
        }
        p.unreachable = self.unreachable_masters.len();
        Ok(p)
    }

    /// Gives a configuration change that is still spreading (a move that just finished)
    /// up to `timeout` to reach every node; true if they agree.
    pub fn settle(&mut self, timeout: Duration) -> Result<bool> {
        let deadline = Instant::now() + timeout;
        while !self.agree() && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(100));
            self.refresh()?;
        }
        Ok(self.agree())
    }

    /// Polls until every node agrees on the config and `cluster_state:ok`, up to `timeout`.
    pub fn wait_consistent(&mut self, out: &mut impl Write, timeout: Duration) -> Result<()> {
        let deadline = Instant::now() + timeout;
        loop {
            self.refresh()?;
            let mut ok = self.agree();
            for n in &mut self.nodes {
                let info = n.conn.text(&["CLUSTER", "INFO"])?;
                ok &= info_field(&info, "cluster_state") == Some("ok");
            }
            if ok {
                return Ok(());
            }
            if Instant::now() > deadline {
                bail!(
                    "the nodes did not agree on the configuration with cluster_state:ok within \
                     {timeout:?}: run `shoal-admin check` to see what differs"
                );
            }
            write!(out, ".")?;
            out.flush()?;
            std::thread::sleep(Duration::from_millis(200));
        }
    }
}

fn report_open(out: &mut impl Write, n: &Node, what: &str, slots: &[(u16, String)]) -> Result<()> {
    if slots.is_empty() {
        return Ok(());
    }
    let list: Vec<String> = slots.iter().map(|(s, _)| s.to_string()).collect();
    writeln!(
        out,
        "[WARNING] Node {} has slots in {what} state {}.",
        n.addr(),
        list.join(",")
    )?;
    Ok(())
}
