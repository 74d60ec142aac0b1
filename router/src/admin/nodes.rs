//! A parser for `CLUSTER NODES` and the "config signature" redis-cli uses to decide whether
//! every node agrees about slot ownership.
//!
//! Mirrors `clusterManagerNodeLoadInfo` and `clusterManagerGetConfigSignature` in redis-cli.
//! `common/src/topology.rs` (the router's slot map) reads CLUSTER SHARDS / SLOTS for
//! routing; admin needs CLUSTER NODES because only the `myself` line carries a node's open
//! (importing/migrating) slots, so it keeps its own parser here.
//!
//! Invariants: slot numbers are `< 16384`; ids are kept lowercase as printed.

use anyhow::{Context, Result, anyhow, bail};
use shoal_common::SLOT_COUNT;

/// One line of `CLUSTER NODES`.
#[derive(Debug, Clone, PartialEq)]
pub struct NodeEntry {
    /// 40-hex node id.
    pub id: String,
    /// IP (empty for a fresh node that has not learned its own address).
    pub host: String,
    /// Client port.
    pub port: u16,
    /// Cluster bus port.
    pub cport: u16,
    /// Flags (`myself`, `master`, `slave`, `fail?`, `fail`, `handshake`, `noaddr`, ...).
    pub flags: Vec<String>,
    /// The primary's id, for a replica.
    pub master_id: Option<String>,
    /// The config epoch (a replica shows its primary's).
    pub config_epoch: u64,
    /// `connected` link state.
    pub connected: bool,
    /// Owned slot ranges, inclusive, in the order printed.
    pub ranges: Vec<(u16, u16)>,
    /// The raw slot-range tokens (for the config signature).
    pub slot_tokens: Vec<String>,
    /// `[slot->-target]`: slots this node migrates, with the target id.
    pub migrating: Vec<(u16, String)>,
    /// `[slot-<-source]`: slots this node imports, with the source id.
    pub importing: Vec<(u16, String)>,
}

impl NodeEntry {
    /// True if the flags contain `flag`.
    pub fn has_flag(&self, flag: &str) -> bool {
        self.flags.iter().any(|f| f == flag)
    }

    /// True for the line describing the node that answered.
    pub fn is_myself(&self) -> bool {
        self.has_flag("myself")
    }

    /// True for a primary.
    pub fn is_master(&self) -> bool {
        self.has_flag("master")
    }

    /// Number of owned slots.
    pub fn slot_count(&self) -> usize {
        self.ranges
            .iter()
            .map(|&(a, b)| usize::from(b - a) + 1)
            .sum()
    }

    /// Every owned slot, ascending within each range.
    pub fn slots(&self) -> impl Iterator<Item = u16> + '_ {
        self.ranges.iter().flat_map(|&(a, b)| a..=b)
    }

    /// True if the node owns `slot`.
    pub fn owns(&self, slot: u16) -> bool {
        self.ranges.iter().any(|&(a, b)| a <= slot && slot <= b)
    }

    /// Flags for display, without `myself`.
    pub fn display_flags(&self) -> String {
        let f: Vec<&str> = self
            .flags
            .iter()
            .map(String::as_str)
            .filter(|f| *f != "myself")
            .collect();
        f.join(",")
    }
}

/// Parses a whole `CLUSTER NODES` reply.
pub fn parse_nodes(text: &str) -> Result<Vec<NodeEntry>> {
    text.lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| parse_line(l).with_context(|| format!("bad CLUSTER NODES line: {l}")))
        .collect()
}

/// Parses one `CLUSTER NODES` line.
pub fn parse_line(line: &str) -> Result<NodeEntry> {
    let tok: Vec<&str> = line.split(' ').collect();
    if tok.len() < 8 {
        bail!("expected at least 8 fields, got {}", tok.len());
    }
    let (host, port, cport) = parse_addr(tok[1])?;
    let mut e = NodeEntry {
        id: tok[0].to_ascii_lowercase(),
        host,
        port,
        cport,
        flags: tok[2].split(',').map(str::to_string).collect(),
        master_id: (tok[3] != "-").then(|| tok[3].to_ascii_lowercase()),
        config_epoch: tok[6].parse().context("config epoch")?,
        connected: tok[7] == "connected",
        ranges: Vec::new(),
        slot_tokens: Vec::new(),
        migrating: Vec::new(),
        importing: Vec::new(),
    };
    for t in &tok[8..] {
        parse_slot_token(t, &mut e)?;
    }
    Ok(e)
}

/// `ip:port@cport[,hostname]`, split from the right as redis-cli does.
fn parse_addr(s: &str) -> Result<(String, u16, u16)> {
    let s = s.split(',').next().unwrap_or(s);
    let (hp, cport) = s.rsplit_once('@').ok_or_else(|| anyhow!("no @ in {s}"))?;
    let (host, port) = hp.rsplit_once(':').ok_or_else(|| anyhow!("no : in {s}"))?;
    Ok((
        host.to_string(),
        port.parse().context("port")?,
        cport.parse().context("bus port")?,
    ))
}

fn parse_slot(s: &str) -> Result<u16> {
    let n: u16 = s.parse().with_context(|| format!("slot {s}"))?;
    if usize::from(n) >= SLOT_COUNT {
        bail!("slot {n} out of range");
    }
    Ok(n)
}

fn parse_slot_token(t: &str, e: &mut NodeEntry) -> Result<()> {
    if let Some(inner) = t.strip_prefix('[').and_then(|r| r.strip_suffix(']')) {
        if let Some((s, id)) = inner.split_once("->-") {
            e.migrating.push((parse_slot(s)?, id.to_ascii_lowercase()));
        } else if let Some((s, id)) = inner.split_once("-<-") {
            e.importing.push((parse_slot(s)?, id.to_ascii_lowercase()));
        } else {
            bail!("bad open-slot token {t}");
        }
        return Ok(());
    }
    let (a, b) = match t.split_once('-') {
        Some((a, b)) => (parse_slot(a)?, parse_slot(b)?),
        None => {
            let s = parse_slot(t)?;
            (s, s)
        }
    };
    if a > b {
        bail!("bad slot range {t}");
    }
    e.ranges.push((a, b));
    e.slot_tokens.push(t.to_string());
    Ok(())
}

/// redis-cli's config signature: `id:tokens,sorted` for every node with slots, sorted, joined
/// by `|`. Two nodes agree about the slot configuration iff their signatures are equal.
pub fn signature(view: &[NodeEntry]) -> String {
    let mut parts: Vec<String> = view
        .iter()
        .filter(|e| !e.slot_tokens.is_empty())
        .map(|e| {
            let mut t = e.slot_tokens.clone();
            t.sort();
            format!("{}:{}", e.id, t.join(","))
        })
        .collect();
    parts.sort();
    parts.join("|")
}

/// Renders slots as Redis does: maximal ascending ranges, `a-b` or `n`.
pub fn format_ranges(slots: &[u16]) -> String {
    let mut sorted = slots.to_vec();
    sorted.sort_unstable();
    sorted.dedup();
    let mut out: Vec<String> = Vec::new();
    let mut i = 0;
    while i < sorted.len() {
        let start = sorted[i];
        let mut end = start;
        while i + 1 < sorted.len() && sorted[i + 1] == end + 1 {
            i += 1;
            end = sorted[i];
        }
        out.push(if start == end {
            start.to_string()
        } else {
            format!("{start}-{end}")
        });
        i += 1;
    }
    out.join(",")
}

#[cfg(test)]
mod tests {
    use super::*;

    const ID1: &str = "e7d1eecce10fd6bb5eb35b9f99a514335d9ba9ca";
    const ID2: &str = "67ed2db8d677e59ec4a4cefb06858cf2a1a89fa1";

    #[test]
    fn parses_master_with_ranges_and_open_slots() {
        let l = format!(
            "{ID1} 127.0.0.1:30001@40001 myself,master - 0 1795653172000 1 connected \
             0-5460 5462 [5461->-{ID2}] [100-<-{ID2}]"
        );
        let e = parse_line(&l).expect("parse");
        assert_eq!(e.id, ID1);
        assert_eq!(
            (e.host.as_str(), e.port, e.cport),
            ("127.0.0.1", 30001, 40001)
        );
        assert!(e.is_myself() && e.is_master());
        assert_eq!(e.ranges, vec![(0, 5460), (5462, 5462)]);
        assert_eq!(e.slot_count(), 5462);
        assert_eq!(e.migrating, vec![(5461, ID2.to_string())]);
        assert_eq!(e.importing, vec![(100, ID2.to_string())]);
        assert_eq!(e.display_flags(), "master");
    }

    #[test]
    fn parses_replica_fresh_address_and_hostname() {
        let e = parse_line(&format!(
            "{ID2} :30002@40002 myself,slave {ID1} 0 0 0 connected"
        ))
        .expect("parse");
        assert_eq!(e.host, "");
        assert_eq!(e.master_id.as_deref(), Some(ID1));
        let e = parse_line(&format!(
            "{ID2} 10.0.0.1:7000@17000,n1 master - 0 0 3 connected 1"
        ))
        .expect("parse");
        assert_eq!((e.port, e.cport, e.config_epoch), (7000, 17000, 3));
    }

    #[test]
    fn rejects_bad_lines() {
        assert!(parse_line("x y z").is_err());
        assert!(parse_line(&format!("{ID1} a:1@2 master - 0 0 1 connected 16384")).is_err());
        assert!(parse_line(&format!("{ID1} a:1@2 master - 0 0 1 connected 9-3")).is_err());
    }

    #[test]
    fn signature_ignores_order_and_slotless_nodes() {
        let a = parse_nodes(&format!(
            "{ID1} a:1@2 master - 0 0 1 connected 5 0-3\n{ID2} a:2@3 slave {ID1} 0 0 1 connected\n"
        ))
        .expect("parse");
        let b = parse_nodes(&format!(
            "{ID2} a:2@3 myself,slave {ID1} 0 0 1 connected\n{ID1} a:1@2 master - 0 0 1 connected 0-3 5\n"
        ))
        .expect("parse");
        assert_eq!(signature(&a), signature(&b));
        assert_eq!(signature(&a), format!("{ID1}:0-3,5"));
    }

    #[test]
    fn formats_ranges() {
        assert_eq!(format_ranges(&[5, 1, 2, 3, 9, 10]), "1-3,5,9-10");
        assert_eq!(format_ranges(&[]), "");
    }
}
