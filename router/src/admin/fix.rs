//! `fix host:port`: close slots left IMPORTING/MIGRATING by an interrupted move, and give
//! uncovered slots an owner.
//!
//! Mirrors `clusterManagerFixOpenSlot` / `clusterManagerFixSlotsCoverage`, simplified to the
//! cases an interrupted move produces:
//! - a node MIGRATING the slot to T (whatever T's state): finish the move to T — set T
//!   importing again, migrate every key left on the other nodes, `SETSLOT NODE T` everywhere;
//! - only IMPORTING nodes: one that already holds keys of the slot becomes the target of a
//!   finished move; an importing node without keys is closed with `SETSLOT STABLE`;
//! - any state still open afterwards is closed with `SETSLOT STABLE`.
//!
//! Uncovered slots go to the primary holding their keys, or, if none does, to the primary with
//! the fewest slots; keys of one slot on several primaries is refused (it needs a human).

use std::io::Write;
use std::time::Duration;

use anyhow::{Result, bail};
use shoal_common::{Frame, SLOT_COUNT};

use super::client::cmd;
use super::cluster::Cluster;
use super::migrate::{Job, MoveOpts, Progress, move_slots};
use super::reshard::{endpoint, master_addrs};

/// Arguments of `fix`.
#[derive(clap::Args, Debug)]
pub struct Args {
    /// Any node of the cluster, `host:port`.
    pub addr: String,
    /// Keys per MIGRATE.
    #[arg(long, default_value_t = 100)]
    pub pipeline: usize,
    /// MIGRATE timeout in milliseconds.
    #[arg(long, default_value_t = 60_000)]
    pub timeout: u64,
    /// Overwrite keys that already exist on the target.
    #[arg(long)]
    pub replace: bool,
}

/// Runs `fix`; true if the cluster checks clean afterwards.
pub fn run(a: &Args, out: &mut impl Write) -> Result<bool> {
    let opts = MoveOpts {
        pipeline: a.pipeline,
        timeout_ms: a.timeout,
        replace: a.replace,
    };
    let mut c = Cluster::load(&a.addr)?;
    let before = c.check(out, false)?;
    if before.unreachable > 0 && before.uncovered > 0 {
        bail!(
            "slots are uncovered and some primaries are failed or unreachable: bring them back \
             (or fail over their shards) first, so fix does not give their slots away"
        );
    }
    fix_open_slots(&mut c, opts, out)?;
    let mut c = Cluster::load(&a.addr)?;
    fix_coverage(&mut c, out)?;
    let mut c = Cluster::load(&a.addr)?;
    write!(out, "Waiting for the nodes to agree")?;
    c.wait_consistent(out, Duration::from_secs(30))?;
    writeln!(out)?;
    Ok(c.check(out, true)?.is_clean())
}

fn count_keys(c: &mut Cluster, i: usize, slot: u16) -> Result<i64> {
    c.nodes[i]
        .conn
        .int(&["CLUSTER", "COUNTKEYSINSLOT", &slot.to_string()])
}

/// Finishes or closes every open slot.
pub fn fix_open_slots(c: &mut Cluster, opts: MoveOpts, out: &mut impl Write) -> Result<()> {
    let masters = master_addrs(c);
    for (slot, (mig, imp)) in c.open_slots() {
        writeln!(out, ">>> Fixing open slot {slot}")?;
        let dst = if let Some(&m) = mig.first() {
            let target = c.nodes[m]
                .me
                .migrating
                .iter()
                .find(|(s, _)| *s == slot)
                .map(|(_, t)| t.clone())
                .unwrap_or_default();
            Some(c.find(&target)?)
        } else {
            let mut with_keys = None;
            for &i in &imp {
                if count_keys(c, i, slot)? > 0 {
                    with_keys = Some(i);
                }
            }
            with_keys
        };
        let Some(dst) = dst else {
            for &i in &imp {
                writeln!(
                    out,
                    "Closing slot {slot} on {} (no keys imported)",
                    c.nodes[i].addr()
                )?;
                c.nodes[i]
                    .conn
                    .ok(&["CLUSTER", "SETSLOT", &slot.to_string(), "STABLE"])?;
            }
            continue;
        };
        finish_move(c, slot, dst, &masters, opts, out)?;
    }
    Ok(())
}

fn finish_move(
    c: &mut Cluster,
    slot: u16,
    dst: usize,
    masters: &[String],
    opts: MoveOpts,
    out: &mut impl Write,
) -> Result<()> {
    let mut sources = Vec::new();
    for i in c.masters() {
        if i != dst && (c.nodes[i].me.owns(slot) || count_keys(c, i, slot)? > 0) {
            sources.push(i);
        }
    }
    if sources.is_empty() {
        sources = c
            .masters()
            .into_iter()
            .filter(|&i| i != dst)
            .take(1)
            .collect();
    }
    let p = Progress::default();
    for s in sources {
        writeln!(
            out,
            "Moving slot {slot} from {} to {}",
            c.nodes[s].addr(),
            c.nodes[dst].addr()
        )?;
        let job = Job {
            src: endpoint(c, s),
            dst: endpoint(c, dst),
            slots: vec![slot],
        };
        move_slots(&job, masters, opts, &p)?;
    }
    // Anything still open for this slot (a third node's stale state) is closed.
    for n in &mut c.nodes {
        n.refresh()?;
        let open =
            n.me.migrating
                .iter()
                .chain(&n.me.importing)
                .any(|(s, _)| *s == slot);
        if open {
            n.conn
                .ok(&["CLUSTER", "SETSLOT", &slot.to_string(), "STABLE"])?;
        }
    }
    Ok(())
}

/// Assigns every uncovered slot.
pub fn fix_coverage(c: &mut Cluster, out: &mut impl Write) -> Result<()> {
    let mut owned = vec![false; SLOT_COUNT];
    for n in &c.nodes {
        n.me.slots().for_each(|s| owned[usize::from(s)] = true);
    }
    let uncovered: Vec<u16> = (0..SLOT_COUNT as u16)
        .filter(|&s| !owned[usize::from(s)])
        .collect();
    if uncovered.is_empty() {
        return Ok(());
    }
    writeln!(
        out,
        ">>> Fixing slots coverage: {} slots uncovered",
        uncovered.len()
    )?;
    let masters = c.masters();
    if masters.is_empty() {
        bail!("no primary is reachable: start the nodes first");
    }
    let counts: Vec<(usize, Vec<Frame>)> = masters
        .iter()
        .map(|&i| {
            let cmds: Vec<_> = uncovered
                .iter()
                .map(|s| cmd(&["CLUSTER", "COUNTKEYSINSLOT", &s.to_string()]))
                .collect();
            c.nodes[i].conn.pipeline(&cmds).map(|r| (i, r))
        })
        .collect::<Result<_>>()?;
    let mut load: Vec<usize> = masters
        .iter()
        .map(|&i| c.nodes[i].me.slot_count())
        .collect();
    for (k, &slot) in uncovered.iter().enumerate() {
        let holders: Vec<usize> = counts
            .iter()
            .filter(|(_, r)| matches!(r[k], Frame::Integer(n) if n > 0))
            .map(|(i, _)| *i)
            .collect();
        let owner = match holders.as_slice() {
            [] => {
                let m = (0..masters.len()).min_by_key(|&m| load[m]).unwrap_or(0);
                load[m] += 1;
                masters[m]
            }
            [one] => *one,
            _ => bail!(
                "slot {slot} has keys on several primaries; move them to one primary by hand \
                 (MIGRATE) and run fix again"
            ),
        };
        c.nodes[owner]
            .conn
            .ok(&["CLUSTER", "ADDSLOTS", &slot.to_string()])?;
    }
    writeln!(out, "[OK] Assigned {} slots.", uncovered.len())?;
    Ok(())
}
