//! MEMORY: USAGE, STATS, DOCTOR, MALLOC-STATS, HELP (Redis `object.c` `memoryCommand`).
//!
//! The numbers come from jemalloc's statistics (as INFO memory's) and from the structures'
//! own sizes ([`crate::db::memsize`]): the overhead is what the server holds besides the
//! data (startup memory, replication backlog, client buffers, script caches, the key tables),
//! the dataset the rest, as Redis splits them. PURGE is not offered: jemalloc's purge is only
//! reachable through an unsafe `mallctl` call, so MEMORY PURGE answers "unknown subcommand"
//! rather than pretend.

use bytes::Bytes;
use shoal_common::{Frame, ReplyError};

use crate::exec::Ctx;

/// Samples per aggregate value when MEMORY USAGE gives no SAMPLES (Redis
/// `OBJ_COMPUTE_SIZE_DEF_SAMPLES`).
const DEFAULT_SAMPLES: usize = 5;

/// Below this many allocated bytes DOCTOR has nothing to say (Redis: 5 MB).
const DOCTOR_MIN_BYTES: u64 = 5 << 20;

/// `MEMORY` without a known subcommand (the gate answers those; kept for the exhaustive
/// match).
pub fn container(_ctx: &mut Ctx<'_>, argv: &[Bytes]) -> Result<Frame, ReplyError> {
    super::container_unreachable(argv)
}

/// ```text
/// MEMORY USAGE key [SAMPLES count]
/// ```
pub fn usage(ctx: &mut Ctx<'_>, argv: &[Bytes]) -> Result<Frame, ReplyError> {
    let mut samples = DEFAULT_SAMPLES;
    let mut i = 3;
    while i < argv.len() {
        if !argv[i].eq_ignore_ascii_case(b"samples") || i + 1 >= argv.len() {
            return Err(ReplyError::Syntax);
        }
        let n = shoal_common::number::parse_i64(&argv[i + 1]).ok_or(ReplyError::NotInteger)?;
        // 0 means every element.
        samples = usize::try_from(n).map_err(|_| ReplyError::Syntax)?;
        i += 2;
    }
    // As Redis's dictFind: no expiry check, no access recorded.
    let key = crate::db::compact::CompactBytes::from(&argv[2][..]);
    Ok(match ctx.db().peek(&argv[2]) {
        Some(entry) => Frame::Integer(
            i64::try_from(crate::db::memsize::usage(&key, entry, samples)).unwrap_or(i64::MAX),
        ),
        None => Frame::Null,
    })
}

/// The split of the server's memory that STATS, DOCTOR and INFO memory report (Redis
/// `getMemoryOverheadData`).
pub(crate) struct Overhead {
    pub(crate) peak: u64,
    pub(crate) used: u64,
    pub(crate) startup: u64,
    backlog: u64,
    clients_replicas: u64,
    clients_normal: u64,
    lua: u64,
    functions: u64,
    /// (db number, main table, expires table) of every non-empty database.
    dbs: Vec<(usize, u64, u64)>,
    pub(crate) total: u64,
    keys: u64,
    replicas: usize,
    clients: usize,
    scripts: usize,
}

/// Measures the split now (one jemalloc reading).
pub(crate) fn overhead(ctx: &mut Ctx<'_>) -> Overhead {
    let used = ctx.srv.used_memory();
    let srv = &*ctx.srv;
    let backlog = srv.repl.backlog.as_ref().map_or(0, |b| b.capacity() as u64);
    let replica_ids: std::collections::HashSet<_> =
        srv.repl.replicas.iter().map(|r| r.client_id).collect();
    let client_bytes = |c: &crate::exec::Client| {
        (std::mem::size_of::<crate::exec::Client>() + c.out_pending()) as u64
    };
    let (mut clients_replicas, mut clients_normal) = (0, 0);
    for (id, c) in &srv.clients {
        if replica_ids.contains(id) {
            clients_replicas += client_bytes(c);
        } else {
            clients_normal += client_bytes(c);
        }
    }
    // The client whose command runs now is out of the map.
    clients_normal += client_bytes(ctx.client);
    let lua = srv.scripting.bodies_bytes as u64;
    let functions = srv
        .scripting
        .functions
        .libraries
        .values()
        .map(|l| l.code.len() as u64)
        .sum();
    let dbs: Vec<(usize, u64, u64)> = srv
        .dbs
        .iter()
        .enumerate()
        .filter(|(_, db)| !db.is_empty())
        .map(|(i, db)| {
            let (main, expires) = db.overhead_bytes();
            (i, main as u64, expires as u64)
        })
        .collect();
    let startup = srv.mem_track.startup;
    let total = startup
        + backlog
        + clients_replicas
        + clients_normal
        + lua
        + functions
        + dbs.iter().map(|&(_, m, e)| m + e).sum::<u64>();
    Overhead {
        peak: srv.mem_track.peak,
        used,
        startup,
        backlog,
        clients_replicas,
        clients_normal,
        lua,
        functions,
        dbs,
        total,
        keys: srv.dbs.iter().map(|db| db.len() as u64).sum(),
        replicas: replica_ids.len(),
        clients: srv.clients.len() + 1 - replica_ids.len(),
        scripts: srv.scripting.scripts.len(),
    }
}

/// `a` over `b` (0 when `b` is 0).
fn ratio(a: u64, b: u64) -> f64 {
    if b == 0 { 0.0 } else { a as f64 / b as f64 }
}

/// `a` minus `b`, signed.
fn diff(a: u64, b: u64) -> i64 {
    i64::try_from(i128::from(a) - i128::from(b)).unwrap_or(i64::MAX)
}

fn int(n: u64) -> Frame {
    Frame::Integer(i64::try_from(n).unwrap_or(i64::MAX))
}

/// ```text
/// MEMORY STATS
/// ```
pub fn stats(ctx: &mut Ctx<'_>, _argv: &[Bytes]) -> Result<Frame, ReplyError> {
    let o = overhead(ctx);
    let a = crate::memory::allocator_stats();
    let rss = crate::memory::rss_bytes();
    let mut m: Vec<(String, Frame)> = vec![
        ("peak.allocated".into(), int(o.peak)),
        ("total.allocated".into(), int(o.used)),
        ("startup.allocated".into(), int(o.startup)),
        ("replication.backlog".into(), int(o.backlog)),
        ("clients.slaves".into(), int(o.clients_replicas)),
        ("clients.normal".into(), int(o.clients_normal)),
        ("cluster.links".into(), int(0)),
        ("aof.buffer".into(), int(0)),
        ("lua.caches".into(), int(o.lua)),
        ("functions.caches".into(), int(o.functions)),
    ];
    for &(n, main, expires) in &o.dbs {
        let tables = Frame::Map(vec![
            (Frame::bulk("overhead.hashtable.main"), int(main)),
            (Frame::bulk("overhead.hashtable.expires"), int(expires)),
        ]);
        m.push((format!("db.{n}"), tables));
    }
    let net = o.used.saturating_sub(o.startup);
    let dataset = o.used.saturating_sub(o.total);
    m.extend([
        ("overhead.total".into(), int(o.total)),
        ("keys.count".into(), int(o.keys)),
        (
            "keys.bytes-per-key".into(),
            int(net.checked_div(o.keys).unwrap_or(0)),
        ),
        ("dataset.bytes".into(), int(dataset)),
        (
            "dataset.percentage".into(),
            Frame::Double(ratio(dataset, net) * 100.0),
        ),
        (
            "peak.percentage".into(),
            Frame::Double(ratio(o.used, o.peak) * 100.0),
        ),
        ("allocator.allocated".into(), int(a.allocated)),
        ("allocator.active".into(), int(a.active)),
        ("allocator.resident".into(), int(a.resident)),
        (
            "allocator-fragmentation.ratio".into(),
            Frame::Double(ratio(a.active, a.allocated)),
        ),
        (
            "allocator-fragmentation.bytes".into(),
            Frame::Integer(diff(a.active, a.allocated)),
        ),
        (
            "allocator-rss.ratio".into(),
            Frame::Double(ratio(a.resident, a.active)),
        ),
        (
            "allocator-rss.bytes".into(),
            Frame::Integer(diff(a.resident, a.active)),
        ),
        (
            "rss-overhead.ratio".into(),
            Frame::Double(ratio(rss, a.resident)),
        ),
        (
            "rss-overhead.bytes".into(),
            Frame::Integer(diff(rss, a.resident)),
        ),
        ("fragmentation".into(), Frame::Double(ratio(rss, o.used))),
        (
            "fragmentation.bytes".into(),
            Frame::Integer(diff(rss, o.used)),
        ),
    ]);
    Ok(Frame::Map(
        m.into_iter()
            .map(|(k, v)| (Frame::Bulk(Bytes::from(k)), v))
            .collect(),
    ))
}

/// ```text
/// MEMORY DOCTOR
/// ```
pub fn doctor(ctx: &mut Ctx<'_>, _argv: &[Bytes]) -> Result<Frame, ReplyError> {
    let o = overhead(ctx);
    let report = if o.used < DOCTOR_MIN_BYTES {
        "Hi Sam, this instance is empty or is using very little memory, my issues detector \
         can't be used in these conditions. Please, leave for your mission on Earth and fill \
         it with some data. The new Sam and I will be back to our programming as soon as I \
         finished rebooting.\n"
            .to_string()
    } else {
        doctor_findings(&o)
    };
    Ok(Frame::Verbatim(*b"txt", Bytes::from(report)))
}

/// DOCTOR's report for an instance with data: the conditions Redis checks, each explained.
fn doctor_findings(o: &Overhead) -> String {
    const BIG: u64 = 10 << 20;
    let a = crate::memory::allocator_stats();
    let rss = crate::memory::rss_bytes();
    let over = |num: u64, den: u64, limit: f64| ratio(num, den) > limit && num > den + BIG;
    let mut found: Vec<String> = Vec::new();
    if ratio(o.peak, o.used) > 1.5 {
        found.push(format!(
            "Peak memory: the peak ({} bytes) is more than 1.5 times what is used now ({} \
             bytes): memory was freed since, and fragmentation can be high as a result.",
            o.peak, o.used
        ));
    }
    if over(a.active, a.allocated, 1.1) {
        found.push(
            "High allocator fragmentation: more than 10% of the active pages are unused. \
             Many small frees of keys of different sizes cause it."
                .into(),
        );
    }
    if over(a.resident, a.active, 1.1) {
        found.push(
            "High allocator RSS overhead: the allocator keeps more than 10% of resident \
             pages it does not use; they are returned to the system over time."
                .into(),
        );
    }
    if over(rss, a.resident, 1.1) {
        found.push(
            "High process RSS overhead: more than 10% of the process's resident memory is \
             outside the allocator (code, stacks, other mappings)."
                .into(),
        );
    }
    if o.replicas > 0 && o.clients_replicas / o.replicas as u64 > BIG {
        found.push(
            "Big replica buffers: replicas hold more than 10 MB of output each on average; \
             a replica is slow or the link is saturated."
                .into(),
        );
    }
    if o.clients > 0 && o.clients_normal / o.clients as u64 > 200 * 1024 {
        found.push(
            "Big client buffers: clients hold more than 200 KB of output each on average, \
             from large replies, pipelines or slow readers; see client-output-buffer-limit."
                .into(),
        );
    }
    if o.scripts > 1000 {
        found.push(
            "Many scripts: more than 1000 EVAL scripts are cached; scripts built with their \
             arguments inside fill the cache (SCRIPT FLUSH empties it)."
                .into(),
        );
    }
    if found.is_empty() {
        return "Hi Sam, I can't find any memory issue in your instance. I can only account \
                for what occurs on this base.\n"
            .into();
    }
    let mut s =
        String::from("Sam, I detected a few issues in this Redis instance memory implants:\n\n");
    for f in found {
        s.push_str(" * ");
        s.push_str(&f);
        s.push_str("\n\n");
    }
    s.push_str("I'm here to keep you safe, Sam. I want to help you.\n");
    s
}

/// ```text
/// MEMORY MALLOC-STATS
/// ```
pub fn malloc_stats(_ctx: &mut Ctx<'_>, _argv: &[Bytes]) -> Result<Frame, ReplyError> {
    let mut out = Vec::new();
    let text = match tikv_jemalloc_ctl::stats_print::stats_print(&mut out, Default::default()) {
        Ok(()) => Bytes::from(out),
        Err(_) => Bytes::from_static(b"Stats not supported for the current allocator"),
    };
    Ok(Frame::Verbatim(*b"txt", text))
}

/// ```text
/// MEMORY HELP
/// ```
pub fn help(_ctx: &mut Ctx<'_>, _argv: &[Bytes]) -> Result<Frame, ReplyError> {
    let lines = [
        "MEMORY <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
        "DOCTOR",
        "    Return memory problems reports.",
        "MALLOC-STATS",
        "    Return internal statistics report from the memory allocator.",
        "STATS",
        "    Return information about the memory usage of the server.",
        "USAGE <key> [SAMPLES <count>]",
        "    Return memory in bytes used by <key> and its value. Nested values are",
        "    sampled up to <count> times (default: 5, 0 means sample all).",
        "HELP",
        "    Prints this help.",
    ];
    Ok(Frame::Array(
        lines.iter().map(|l| Frame::simple(l)).collect(),
    ))
}
