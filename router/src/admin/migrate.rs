//! Moving slots between primaries: the per-slot sequence of redis-cli's
//! `clusterManagerMoveSlot`, batched and parallel.
//!
//! For each slot: target `SETSLOT <s> IMPORTING <src>`, source `SETSLOT <s> MIGRATING <dst>`,
//! then `GETKEYSINSLOT` + `MIGRATE ... KEYS` until the slot is empty, then `SETSLOT <s> NODE
//! <dst>` on the target first (so a crash cannot leave the slot ownerless, redis #7116), the
//! source, and every other primary.
//!
//! Why it is faster than redis-cli: redis-cli does all of that one slot and one round trip at
//! a time, 10 keys per MIGRATE. Here a *round* of up to [`SLOTS_PER_ROUND`] slots shares each
//! step's round trip (every command of a step is pipelined on one connection), MIGRATE batches
//! default to 100 keys, and each source node is driven by its own thread, so slots leaving
//! different primaries move at the same time.
//!
//! Invariants: a slot is set NODE only after GETKEYSINSLOT found it empty (or every key of the
//! last listing migrated); any failure leaves slots open, never ownerless, and `fix` (or a new
//! `reshard`) finishes them. Re-running the sequence on a half-moved slot is safe: both sides
//! accept the IMPORTING/MIGRATING state being set again.

use std::io::{IsTerminal, Write};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use shoal_common::Frame;

use super::client::{Cmd, Conn, cmd, error_text};

/// Slots moved per round: enough to amortise round trips, few enough that an interruption
/// leaves a short list of open slots for `fix`.
pub const SLOTS_PER_ROUND: usize = 32;

/// Attempts (100 ms apart) while a target answers CLUSTERDOWN, e.g. right after joining.
const CLUSTERDOWN_RETRIES: u32 = 100;

/// Options of a move, as `redis-cli --cluster-pipeline/--cluster-timeout/--cluster-replace`.
#[derive(Debug, Clone, Copy)]
pub struct MoveOpts {
    /// Keys per MIGRATE.
    pub pipeline: usize,
    /// MIGRATE timeout in milliseconds.
    pub timeout_ms: u64,
    /// Overwrite keys that already exist on the target.
    pub replace: bool,
}

impl Default for MoveOpts {
    fn default() -> Self {
        MoveOpts {
            pipeline: 100,
            timeout_ms: 60_000,
            replace: false,
        }
    }
}

/// One side of a move.
#[derive(Debug, Clone)]
pub struct Endpoint {
    /// `host:port`.
    pub addr: String,
    /// Node id.
    pub id: String,
}

impl Endpoint {
    fn host_port(&self) -> (&str, &str) {
        self.addr.rsplit_once(':').unwrap_or((&self.addr, ""))
    }
}

/// Slots to move from one source to one target.
#[derive(Debug, Clone)]
pub struct Job {
    /// Where the slots are.
    pub src: Endpoint,
    /// Where they go.
    pub dst: Endpoint,
    /// The slots.
    pub slots: Vec<u16>,
}

/// Counters shared by the mover threads and the progress printer.
#[derive(Debug, Default)]
pub struct Progress {
    /// Slots whose ownership has changed.
    pub slots: AtomicU64,
    /// Keys migrated.
    pub keys: AtomicU64,
}

/// Runs `jobs` (one thread per source node), printing progress to `out`; `others` are the
/// addresses of every primary (each is told the new owner). Returns (slots, keys, elapsed).
pub fn run_jobs(
    jobs: &[Job],
    masters: &[String],
    opts: MoveOpts,
    out: &mut impl Write,
) -> Result<(u64, u64, Duration)> {
    let total: usize = jobs.iter().map(|j| j.slots.len()).sum();
    let progress = Progress::default();
    let done = AtomicBool::new(false);
    let start = Instant::now();
    let mut by_src: Vec<Vec<&Job>> = Vec::new();
    for j in jobs {
        match by_src.iter_mut().find(|g| g[0].src.id == j.src.id) {
            Some(g) => g.push(j),
            None => by_src.push(vec![j]),
        }
    }
    let results: Vec<Result<()>> = std::thread::scope(|s| {
        let handles: Vec<_> = by_src
            .iter()
            .map(|group| {
                let (progress, done) = (&progress, &done);
                s.spawn(move || -> Result<()> {
                    for j in group {
                        if done.load(Ordering::Relaxed) {
                            break;
                        }
                        if let Err(e) = move_slots(j, masters, opts, progress) {
                            done.store(true, Ordering::Relaxed);
                            return Err(e);
                        }
                    }
                    Ok(())
                })
            })
            .collect();
        let tty = std::io::stdout().is_terminal();
        let mut last = Instant::now();
        while !handles.iter().all(|h| h.is_finished()) {
            std::thread::sleep(Duration::from_millis(50));
            if last.elapsed() >= Duration::from_secs(1) {
                last = Instant::now();
                let _ = print_progress(out, &progress, total, start, tty);
            }
        }
        handles
            .into_iter()
            .map(|h| {
                h.join()
                    .unwrap_or_else(|_| bail!("a mover thread panicked"))
            })
            .collect()
    });
    let _ = print_progress(out, &progress, total, start, false);
    results.into_iter().collect::<Result<Vec<()>>>()?;
    Ok((
        progress.slots.load(Ordering::Relaxed),
        progress.keys.load(Ordering::Relaxed),
        start.elapsed(),
    ))
}

fn print_progress(
    out: &mut impl Write,
    p: &Progress,
    total: usize,
    start: Instant,
    tty: bool,
) -> Result<()> {
    let slots = p.slots.load(Ordering::Relaxed);
    let keys = p.keys.load(Ordering::Relaxed);
    let secs = start.elapsed().as_secs_f64().max(0.001);
    let line = format!(
        "moved {slots}/{total} slots, {keys} keys in {secs:.1}s ({:.0} keys/s, {:.0} slots/s)",
        keys as f64 / secs,
        slots as f64 / secs
    );
    if tty {
        write!(out, "\r{line}   ")?;
    } else {
        writeln!(out, "{line}")?;
    }
    out.flush()?;
    Ok(())
}

/// Moves `job.slots`, [`SLOTS_PER_ROUND`] at a time.
pub fn move_slots(job: &Job, masters: &[String], opts: MoveOpts, p: &Progress) -> Result<()> {
    let mut src = Conn::connect(&job.src.addr)?;
    let mut dst = Conn::connect(&job.dst.addr)?;
    let mut others: Vec<Conn> = masters
        .iter()
        .filter(|a| **a != job.src.addr && **a != job.dst.addr)
        .map(|a| Conn::connect(a))
        .collect::<Result<_>>()?;
    for round in job.slots.chunks(SLOTS_PER_ROUND) {
        move_round(job, round, opts, &mut src, &mut dst, &mut others, p).with_context(|| {
            format!(
                "moving slots {}..{} from {} to {} was interrupted; the slots are left open: \
                 run `shoal-admin fix {}` to finish the move",
                round[0],
                round[round.len() - 1],
                job.src.addr,
                job.dst.addr,
                job.src.addr
            )
        })?;
    }
    Ok(())
}

fn setslot(slot: u16, action: &str, id: &str) -> Cmd {
    cmd(&["CLUSTER", "SETSLOT", &slot.to_string(), action, id])
}

/// Errors a re-run of the sequence on a half-moved slot legitimately meets.
fn tolerable(e: &str) -> bool {
    e.contains("already the owner")
        || e.contains("not the owner")
        || e.contains("only with masters")
}

fn expect_ok(conn: &Conn, cmds: &[Cmd], replies: &[Frame]) -> Result<()> {
    for (c, r) in cmds.iter().zip(replies) {
        if let Some(e) = error_text(r)
            && !tolerable(&e)
        {
            bail!("{}: {} failed: {e}", conn.addr, super::client::show(c));
        }
    }
    Ok(())
}

fn move_round(
    job: &Job,
    round: &[u16],
    opts: MoveOpts,
    src: &mut Conn,
    dst: &mut Conn,
    others: &mut [Conn],
    p: &Progress,
) -> Result<()> {
    let imp: Vec<Cmd> = round
        .iter()
        .map(|&s| setslot(s, "IMPORTING", &job.src.id))
        .collect();
    let r = dst.pipeline(&imp)?;
    expect_ok(dst, &imp, &r)?;
    let mig: Vec<Cmd> = round
        .iter()
        .map(|&s| setslot(s, "MIGRATING", &job.dst.id))
        .collect();
    let r = src.pipeline(&mig)?;
    expect_ok(src, &mig, &r)?;
    migrate_keys(job, round, opts, src, p)?;
    let node: Vec<Cmd> = round
        .iter()
        .map(|&s| setslot(s, "NODE", &job.dst.id))
        .collect();
    let r = dst.pipeline(&node)?;
    expect_ok(dst, &node, &r)?;
    let r = src.pipeline(&node)?;
    expect_ok(src, &node, &r)?;
    for o in others.iter_mut() {
        o.send(&node)?;
    }
    for o in others.iter_mut() {
        let r: Vec<Frame> = node.iter().map(|_| o.read()).collect::<Result<_>>()?;
        expect_ok(o, &node, &r)?;
    }
    p.slots.fetch_add(round.len() as u64, Ordering::Relaxed);
    Ok(())
}

/// GETKEYSINSLOT + MIGRATE until every slot of the round is empty on the source.
fn migrate_keys(
    job: &Job,
    round: &[u16],
    opts: MoveOpts,
    src: &mut Conn,
    p: &Progress,
) -> Result<()> {
    let fetch = opts.pipeline.max(1) * 4;
    let mut active: Vec<u16> = round.to_vec();
    let mut down_retries = 0;
    while !active.is_empty() {
        let gets: Vec<Cmd> = active
            .iter()
            .map(|s| {
                cmd(&[
                    "CLUSTER",
                    "GETKEYSINSLOT",
                    &s.to_string(),
                    &fetch.to_string(),
                ])
            })
            .collect();
        let listed = src.pipeline(&gets)?;
        let mut migrates: Vec<Cmd> = Vec::new();
        let mut next = Vec::new();
        for (&slot, reply) in active.iter().zip(&listed) {
            let Frame::Array(keys) = reply else {
                bail!("{}: GETKEYSINSLOT {slot}: {reply:?}", src.addr);
            };
            if keys.len() == fetch {
                next.push(slot);
            }
            migrates.extend(migrate_cmds(job, opts, keys));
        }
        let replies = src.pipeline(&migrates)?;
        let mut retry = false;
        for (m, r) in migrates.iter().zip(&replies) {
            match error_text(r) {
                // A target that has just joined reports CLUSTERDOWN until it has learned the
                // slot map; list the keys again after a pause.
                Some(e) if e.contains("CLUSTERDOWN") && down_retries < CLUSTERDOWN_RETRIES => {
                    retry = true;
                }
                Some(e) => bail!(
                    "{}: MIGRATE to {} failed: {e} ({})",
                    src.addr,
                    job.dst.addr,
                    migrate_hint(&e)
                ),
                None => {
                    let fixed = if opts.replace { 8 } else { 7 };
                    p.keys
                        .fetch_add(m.len().saturating_sub(fixed) as u64, Ordering::Relaxed);
                }
            }
        }
        if retry {
            down_retries += 1;
            std::thread::sleep(Duration::from_millis(100));
            continue;
        }
        active = next;
    }
    Ok(())
}

/// `MIGRATE host port "" 0 timeout [REPLACE] KEYS ...`, `opts.pipeline` keys each.
fn migrate_cmds(job: &Job, opts: MoveOpts, keys: &[Frame]) -> Vec<Cmd> {
    let (host, port) = job.dst.host_port();
    keys.chunks(opts.pipeline.max(1))
        .map(|chunk| {
            let mut m = cmd(&["MIGRATE", host, port, "", "0", &opts.timeout_ms.to_string()]);
            if opts.replace {
                m.push(b"REPLACE".to_vec());
            }
            m.push(b"KEYS".to_vec());
            m.extend(
                chunk
                    .iter()
                    .filter_map(|k| k.as_bytes().map(|b| b.to_vec())),
            );
            m
        })
        .collect()
}

/// What to do about a failed MIGRATE.
fn migrate_hint(e: &str) -> &'static str {
    if e.contains("BUSYKEY") {
        "some keys already exist on the target; if the target's copies may be overwritten, \
         re-run with --replace"
    } else {
        "check that both nodes are up"
    }
}
