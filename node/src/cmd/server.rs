//! Server commands: INFO, DBSIZE, FLUSHALL/FLUSHDB, TIME, SHUTDOWN, CONFIG.

use std::fmt::Write as _;

use bytes::Bytes;
use shoal_common::{Frame, ReplyError};

use super::args;
use super::connection::REDIS_VERSION;
use crate::exec::Ctx;

/// `CONFIG` container (never reached: the gate resolves subcommands).
pub fn container(_ctx: &mut Ctx<'_>, argv: &[Bytes]) -> Result<Frame, ReplyError> {
    super::container_unreachable(argv)
}

/// ```text
/// DBSIZE
/// ```
pub fn dbsize(ctx: &mut Ctx<'_>, _argv: &[Bytes]) -> Result<Frame, ReplyError> {
    Ok(Frame::Integer(
        i64::try_from(ctx.db().len()).unwrap_or(i64::MAX),
    ))
}

fn parse_flush_mode(argv: &[Bytes]) -> Result<(), ReplyError> {
    if args::flush_mode_ok(&argv[1..]) {
        Ok(())
    } else {
        Err(ReplyError::Syntax)
    }
}

/// ```text
/// FLUSHALL [ASYNC | SYNC]
/// ```
pub fn flushall(ctx: &mut Ctx<'_>, argv: &[Bytes]) -> Result<Frame, ReplyError> {
    parse_flush_mode(argv)?;
    for i in 0..ctx.srv.dbs.len() {
        ctx.signal_flushed_db(i, None);
        ctx.srv.dbs[i].clear();
    }
    Ok(Frame::ok())
}

/// ```text
/// FLUSHDB [ASYNC | SYNC]
/// ```
pub fn flushdb(ctx: &mut Ctx<'_>, argv: &[Bytes]) -> Result<Frame, ReplyError> {
    parse_flush_mode(argv)?;
    let db = ctx.client.db;
    ctx.signal_flushed_db(db, None);
    ctx.db().clear();
    Ok(Frame::ok())
}

/// ```text
/// TIME
/// ```
pub fn time(ctx: &mut Ctx<'_>, _argv: &[Bytes]) -> Result<Frame, ReplyError> {
    let us = ctx.srv.clock.now_us();
    Ok(Frame::Array(vec![
        Frame::bulk_i64(us / 1_000_000),
        Frame::bulk_i64(us % 1_000_000),
    ]))
}

/// ```text
/// SHUTDOWN [NOSAVE | SAVE] [NOW] [FORCE] [ABORT]
/// ```
/// Nothing is persisted yet, so every form stops the node at once; like Redis, a successful
/// SHUTDOWN sends no reply.
pub fn shutdown(ctx: &mut Ctx<'_>, argv: &[Bytes]) -> Result<Frame, ReplyError> {
    for a in &argv[1..] {
        if !["nosave", "save", "now", "force"]
            .iter()
            .any(|w| args::is(a, w))
        {
            if args::is(a, "abort") {
                return Err(ReplyError::other("ERR No shutdown in progress."));
            }
            return Err(ReplyError::Syntax);
        }
    }
    ctx.srv.shutdown_requested = true;
    ctx.client.close_after_reply = true;
    Ok(Frame::Null)
}

/// ```text
/// CONFIG GET parameter [parameter ...]
/// ```
pub fn config_get(ctx: &mut Ctx<'_>, argv: &[Bytes]) -> Result<Frame, ReplyError> {
    let patterns: Vec<&[u8]> = argv[2..].iter().map(|a| a.as_ref()).collect();
    // `replicaof` shows the master this node replicates now (Redis `masterhost`).
    let replicaof = ctx
        .srv
        .repl
        .master
        .as_ref()
        .map(|m| format!("{} {}", m.host, m.port))
        .unwrap_or_default();
    let pairs = ctx.srv.config.matching(&patterns, &replicaof);
    Ok(Frame::Map(
        pairs
            .into_iter()
            .map(|(k, v)| (Frame::bulk(k), Frame::bulk(v)))
            .collect(),
    ))
}

/// ```text
/// CONFIG SET parameter value [parameter value ...]
/// ```
/// As Redis `configSetCommand`: every name is checked first (unknown, immutable, protected,
/// duplicate: the first problem is reported), then the values are set in order on a copy, then
/// the changes that need the outside world (a new listener, TLS) are applied; either every
/// value is applied or none.
pub fn config_set(ctx: &mut Ctx<'_>, argv: &[Bytes]) -> Result<Frame, ReplyError> {
    use crate::config::{SetError, find, set_error_text};
    if argv.len() % 2 == 1 {
        return Err(ReplyError::Syntax);
    }
    let fail = |name: &str, e: SetError| ReplyError::err(set_error_text(name, &e));
    let protected_ok = match ctx.srv.config.get_str("enable-protected-configs") {
        "yes" => true,
        "local" => is_local(&ctx.client.addr),
        _ => false,
    };
    let mut seen: Vec<&'static str> = Vec::new();
    for pair in argv[2..].chunks_exact(2) {
        let name = String::from_utf8_lossy(&pair[0]);
        let Some((d, registered)) = find(&name) else {
            return Err(fail(&name, SetError::Unknown));
        };
        if !d.mutable() {
            return Err(fail(&name, SetError::Refused("can't set immutable config")));
        }
        if d.flags & crate::config::directives::PROTECTED != 0 && !protected_ok {
            return Err(fail(&name, SetError::Refused("can't set protected config")));
        }
        if seen.contains(&registered) {
            return Err(fail(&name, SetError::Refused("duplicate parameter")));
        }
        seen.push(registered);
    }
    let mut next = ctx.srv.config.clone();
    for pair in argv[2..].chunks_exact(2) {
        let name = String::from_utf8_lossy(&pair[0]);
        next.set_checked(&name, &String::from_utf8_lossy(&pair[1]), false, true)
            .map_err(|e| fail(&name, e))?;
    }
    apply_config(ctx, &next)?;
    ctx.srv.config = next;
    ctx.srv.config_changed();
    Ok(Frame::ok())
}

/// TLS can't be turned on: Redis refuses the same way when it has no certificates.
fn refuse_tls(old: &crate::config::Config, next: &crate::config::Config) -> Result<(), ReplyError> {
    let changed = |name: &str| old.get_str(name) != next.get_str(name);
    let tls = |name: &str| {
        ReplyError::err(format!(
            "CONFIG SET failed (possibly related to argument '{name}') - Unable to update TLS \
             configuration. Check server logs."
        ))
    };
    if changed("tls-port") && next.get_i64("tls-port") != 0 {
        return Err(tls("tls-port"));
    }
    for name in ["tls-replication", "tls-cluster"] {
        if changed(name) && next.get_bool(name) {
            return Err(tls(name));
        }
    }
    Ok(())
}

/// A loopback or unix-socket client (Redis `islocalClient`).
fn is_local(addr: &str) -> bool {
    addr.starts_with("127.0.0.1:")
        || addr.starts_with("[::1]:")
        || addr.starts_with("::1:")
        || addr.starts_with('/')
}

/// The part of CONFIG SET Redis does in its `apply` functions: TLS can't be turned on (Redis
/// refuses the same way when it has no certificates), and a new `port`/`bind` moves the
/// listener (Redis `changeListenPort`/`changeBindAddr`).
fn apply_config(ctx: &mut Ctx<'_>, next: &crate::config::Config) -> Result<(), ReplyError> {
    let old = &ctx.srv.config;
    let changed = |name: &str| old.get_str(name) != next.get_str(name);
    refuse_tls(old, next)?;
    // `maxclients` needs open files (Redis `updateMaxclients`).
    if changed("maxclients") {
        let wanted = u64::try_from(next.get_i64("maxclients")).unwrap_or(0);
        let got = crate::fdlimit::adjust(wanted).map_or(0, |a| a.maxclients);
        if got < wanted {
            return Err(ReplyError::err(format!(
                "CONFIG SET failed (possibly related to argument 'maxclients') - The operating \
                 system is not able to handle the specified number of clients, try with {got}"
            )));
        }
    }
    // `dir` (protected: only with `enable-protected-configs`) moves the working directory.
    if changed("dir")
        && let Err(e) = std::env::set_current_dir(next.get_str("dir"))
    {
        let why = e.to_string();
        let why = why.split(" (os error").next().unwrap_or_default();
        return Err(ReplyError::err(format!(
            "CONFIG SET failed (possibly related to argument 'dir') - {why}"
        )));
    }
    let (port_changed, bind_changed) = (changed("port"), changed("bind"));
    if !port_changed && !bind_changed {
        return Ok(());
    }
    let Some(slot) = ctx.srv.listener.clone() else {
        return Ok(());
    };
    let port = u16::try_from(next.get_i64("port")).unwrap_or(0);
    let old_port = u16::try_from(old.get_i64("port")).unwrap_or(0);
    if let Err(e) = slot.rebind(
        (old.get_str("bind"), old_port),
        (next.get_str("bind"), port),
    ) {
        tracing::warn!(error = %e, port, "can't listen on the new address");
        if changed("dir") {
            // All or nothing, as Redis's restore of the previous values.
            let _ = std::env::set_current_dir(old.get_str("dir"));
        }
        let (name, why) = if port_changed {
            ("port", "Unable to listen on this port. Check server logs.")
        } else {
            ("bind", "Failed to bind to specified addresses.")
        };
        return Err(ReplyError::err(format!(
            "CONFIG SET failed (possibly related to argument '{name}') - {why}"
        )));
    }
    ctx.srv.port = port;
    Ok(())
}

/// ```text
/// CONFIG RESETSTAT
/// ```
pub fn config_resetstat(ctx: &mut Ctx<'_>, _argv: &[Bytes]) -> Result<Frame, ReplyError> {
    ctx.srv.stats = crate::exec::Stats::default();
    ctx.srv.stat_reset_ms = ctx.now_ms;
    ctx.srv.evict.reset_stats();
    Ok(Frame::ok())
}

/// Resident set size in bytes, from /proc (0 where unavailable).
pub fn rss_bytes() -> u64 {
    std::fs::read_to_string("/proc/self/statm")
        .ok()
        .and_then(|s| {
            s.split_whitespace()
                .nth(1)
                .and_then(|p| p.parse::<u64>().ok())
        })
        .map_or(0, |pages| pages * 4096)
}

/// The sections of a plain `INFO` (Redis `default`), in Redis's output order.
const DEFAULT_SECTIONS: &[&str] = &[
    "server",
    "clients",
    "memory",
    "persistence",
    "stats",
    "replication",
    "cpu",
    "modules",
    "errorstats",
    "cluster",
    "keyspace",
];

/// Every section, in Redis's output order (`all`).
const ALL_SECTIONS: &[&str] = &[
    "server",
    "clients",
    "memory",
    "persistence",
    "stats",
    "replication",
    "cpu",
    "modules",
    "commandstats",
    "errorstats",
    "cluster",
    "keyspace",
];

/// ```text
/// INFO [section [section ...]]
/// ```
/// Sections: any of [`ALL_SECTIONS`], `default`, `all` and `everything`; names are case-insensitive; unknown names add nothing.
pub fn info(ctx: &mut Ctx<'_>, argv: &[Bytes]) -> Result<Frame, ReplyError> {
    let mut wanted: Vec<&str> = Vec::new();
    let asked: Vec<String> = argv[1..]
        .iter()
        .map(|a| String::from_utf8_lossy(a).to_ascii_lowercase())
        .collect();
    if asked.is_empty() {
        wanted.extend_from_slice(DEFAULT_SECTIONS);
    }
    for a in &asked {
        match a.as_str() {
            "default" => wanted.extend_from_slice(DEFAULT_SECTIONS),
            // `everything` adds module-generated sections to `all`; we have no modules.
            "all" | "everything" => wanted.extend_from_slice(ALL_SECTIONS),
            other => wanted.extend(ALL_SECTIONS.iter().filter(|s| **s == other)),
        }
    }
    let mut out = String::new();
    for name in ALL_SECTIONS.iter().copied() {
        if !wanted.contains(&name) {
            continue;
        }
        if !out.is_empty() {
            out.push_str("\r\n");
        }
        info_section(ctx, name, &mut out);
    }
    Ok(Frame::Verbatim(*b"txt", Bytes::from(out)))
}

/// Redis `bytesToHuman`: `1023B`, `1.50K`, `2.00M`, ...
pub fn bytes_to_human(n: u64) -> String {
    const UNITS: [&str; 5] = ["K", "M", "G", "T", "P"];
    if n < 1024 {
        return format!("{n}B");
    }
    let mut v = n as f64 / 1024.0;
    for unit in UNITS {
        if v < 1024.0 || unit == "P" {
            return format!("{v:.2}{unit}");
        }
        v /= 1024.0;
    }
    format!("{n}B")
}

/// User and system CPU seconds of this process, from `/proc/self/stat` (utime and stime
/// in clock ticks of 1/100 s, Linux's `USER_HZ`); zeros where unavailable.
pub fn cpu_seconds() -> (f64, f64) {
    let Ok(stat) = std::fs::read_to_string("/proc/self/stat") else {
        return (0.0, 0.0);
    };
    // The command name (field 2) may contain spaces; fields after it are space-separated.
    let Some(rest) = stat.rsplit_once(") ").map(|(_, r)| r) else {
        return (0.0, 0.0);
    };
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let tick = |i: usize| {
        fields
            .get(i)
            .and_then(|f| f.parse::<f64>().ok())
            .unwrap_or(0.0)
            / 100.0
    };
    // utime and stime are fields 14 and 15; `rest` starts at field 3.
    (tick(11), tick(12))
}

fn info_server(ctx: &Ctx<'_>, out: &mut String) {
    let srv = &*ctx.srv;
    let uptime_s = (ctx.now_ms - srv.started_ms) / 1000;
    out.push_str("# Server\r\n");
    kv(out, "redis_version", &REDIS_VERSION);
    kv(out, "shoal_version", &env!("CARGO_PKG_VERSION"));
    kv(out, "redis_git_sha1", &"00000000");
    kv(out, "redis_git_dirty", &0);
    let mode = if srv.cluster_enabled() {
        "cluster"
    } else {
        "standalone"
    };
    kv(out, "redis_mode", &mode);
    kv(
        out,
        "os",
        &format!("{} {}", std::env::consts::OS, std::env::consts::ARCH),
    );
    kv(out, "arch_bits", &64);
    kv(out, "multiplexing_api", &"epoll");
    kv(out, "process_id", &std::process::id());
    kv(out, "process_supervised", &"no");
    kv(out, "run_id", &srv.run_id);
    kv(out, "tcp_port", &srv.port);
    kv(out, "server_time_usec", &srv.clock.now_us());
    kv(out, "uptime_in_seconds", &uptime_s);
    kv(out, "uptime_in_days", &(uptime_s / 86400));
    kv(out, "hz", &srv.config.get_i64("hz"));
    kv(out, "configured_hz", &srv.config.get_i64("hz"));
    kv(out, "lru_clock", &((ctx.now_ms / 1000) & ((1 << 24) - 1)));
    let exe = std::env::current_exe()
        .map(|p| p.display().to_string())
        .unwrap_or_default();
    kv(out, "executable", &exe);
    let file = srv
        .config
        .file
        .as_ref()
        .map(|p| p.display().to_string())
        .unwrap_or_default();
    kv(out, "config_file", &file);
    // io-threads is the number of runtime workers (main.rs): more than one means threads
    // share the I/O.
    let io_threads = srv.config.get_i64("io-threads");
    kv(out, "io_threads_active", &i32::from(io_threads > 1));
}

fn info_clients(ctx: &Ctx<'_>, out: &mut String) {
    let srv = &*ctx.srv;
    out.push_str("# Clients\r\n");
    kv(out, "connected_clients", &(srv.clients.len() + 1));
    kv(out, "cluster_connections", &0);
    kv(out, "maxclients", &srv.config.get_i64("maxclients"));
    kv(out, "client_recent_max_input_buffer", &0);
    let max_out = srv.clients.values().map(|c| c.out_pending()).max();
    kv(
        out,
        "client_recent_max_output_buffer",
        &max_out.unwrap_or(0),
    );
    kv(
        out,
        "blocked_clients",
        &(srv.postponed_clients() + srv.blocking.blocked_count()),
    );
    kv(out, "tracking_clients", &0);
    kv(out, "clients_in_timeout_table", &0);
}

fn info_memory(ctx: &mut Ctx<'_>, out: &mut String) {
    let o = super::memory::overhead(ctx);
    let srv = &*ctx.srv;
    out.push_str("# Memory\r\n");
    let used = o.used;
    let rss = crate::memory::rss_bytes();
    kv(out, "used_memory", &used);
    kv(out, "used_memory_human", &bytes_to_human(used));
    kv(out, "used_memory_rss", &rss);
    kv(out, "used_memory_rss_human", &bytes_to_human(rss));
    let percent = |a: u64, b: u64| {
        let p = if b == 0 {
            0.0
        } else {
            a as f64 * 100.0 / b as f64
        };
        format!("{p:.2}%")
    };
    kv(out, "used_memory_peak", &o.peak);
    kv(out, "used_memory_peak_human", &bytes_to_human(o.peak));
    kv(out, "used_memory_peak_perc", &percent(used, o.peak));
    kv(out, "used_memory_overhead", &o.total);
    kv(out, "used_memory_startup", &o.startup);
    let dataset = used.saturating_sub(o.total);
    kv(out, "used_memory_dataset", &dataset);
    kv(
        out,
        "used_memory_dataset_perc",
        &percent(dataset, used.saturating_sub(o.startup)),
    );
    let maxmemory = u64::try_from(srv.config.get_i64("maxmemory")).unwrap_or(0);
    kv(out, "maxmemory", &maxmemory);
    kv(out, "maxmemory_human", &bytes_to_human(maxmemory));
    kv(
        out,
        "maxmemory_policy",
        &srv.config.get_str("maxmemory-policy"),
    );
    let lua = srv.scripting.used_memory();
    kv(out, "used_memory_lua", &lua);
    kv(out, "used_memory_lua_human", &bytes_to_human(lua as u64));
    kv(out, "used_memory_scripts_eval", &srv.scripting.bodies_bytes);
    kv(
        out,
        "number_of_cached_scripts",
        &srv.scripting.scripts.len(),
    );
    kv(out, "used_memory_scripts", &srv.scripting.bodies_bytes);
    kv(
        out,
        "used_memory_scripts_human",
        &bytes_to_human(srv.scripting.bodies_bytes as u64),
    );
    // Redis's `<name>_ratio` / `<name>_bytes` pairs: one amount over another, and their
    // difference. mem_fragmentation: process RSS over allocator-counted bytes. The allocator
    // breakdown: pages jemalloc keeps active beyond what it handed out (allocator_frag),
    // resident beyond active (dirty pages, metadata: allocator_rss), and RSS beyond the
    // allocator's resident bytes (code, stacks, other mappings: rss_overhead).
    let ratio_lines = |out: &mut String, pairs: &[(&str, u64, u64)]| {
        for &(name, num, den) in pairs {
            let r = if den == 0 {
                0.0
            } else {
                num as f64 / den as f64
            };
            kv(out, &format!("{name}_ratio"), &format!("{r:.2}"));
            kv(
                out,
                &format!("{name}_bytes"),
                &(i128::from(num) - i128::from(den)),
            );
        }
    };
    ratio_lines(out, &[("mem_fragmentation", rss, used)]);
    kv(
        out,
        "mem_not_counted_for_evict",
        &srv.memory_not_counted_for_evict(),
    );
    let a = crate::memory::allocator_stats();
    kv(out, "allocator_allocated", &a.allocated);
    kv(out, "allocator_active", &a.active);
    kv(out, "allocator_resident", &a.resident);
    ratio_lines(
        out,
        &[
            ("allocator_frag", a.active, a.allocated),
            ("allocator_rss", a.resident, a.active),
            ("rss_overhead", rss, a.resident),
        ],
    );
    kv(out, "mem_allocator", &"jemalloc");
    kv(out, "lazyfree_pending_objects", &0);
}

fn info_persistence(ctx: &Ctx<'_>, out: &mut String) {
    let srv = &*ctx.srv;
    out.push_str("# Persistence\r\n");
    kv(out, "loading", &0);
    kv(out, "async_loading", &0);
    kv(out, "rdb_changes_since_last_save", &0);
    kv(out, "rdb_bgsave_in_progress", &0);
    kv(out, "rdb_last_save_time", &srv.lastsave_s);
    kv(out, "rdb_last_bgsave_status", &"ok");
    kv(
        out,
        "aof_enabled",
        &u8::from(srv.config.get_bool("appendonly")),
    );
    kv(out, "aof_rewrite_in_progress", &0);
    kv(out, "aof_rewrite_scheduled", &0);
    kv(out, "aof_last_bgrewrite_status", &"ok");
    kv(out, "aof_last_write_status", &"ok");
}

fn info_cpu(out: &mut String) {
    let (user, sys) = cpu_seconds();
    out.push_str("# CPU\r\n");
    kv(out, "used_cpu_sys", &format!("{sys:.6}"));
    kv(out, "used_cpu_user", &format!("{user:.6}"));
    kv(out, "used_cpu_sys_children", &"0.000000");
    kv(out, "used_cpu_user_children", &"0.000000");
}

fn kv(out: &mut String, k: &str, v: &dyn std::fmt::Display) {
    let _ = write!(out, "{k}:{v}\r\n");
}

/// Appends one INFO section.
// A table-like function: one block of fields per section.
#[allow(clippy::too_many_lines)]
fn info_section(ctx: &mut Ctx<'_>, name: &str, out: &mut String) {
    match name {
        "server" => info_server(ctx, out),
        "clients" => info_clients(ctx, out),
        "memory" => info_memory(ctx, out),
        "persistence" => info_persistence(ctx, out),
        "cpu" => info_cpu(out),
        _ => info_counters(ctx, name, out),
    }
}

/// The sections made of counters and lists.
fn info_counters(ctx: &mut Ctx<'_>, name: &str, out: &mut String) {
    let srv = &*ctx.srv;
    match name {
        "stats" => {
            out.push_str("# Stats\r\n");
            kv(
                out,
                "total_connections_received",
                &srv.stats.total_connections_received,
            );
            kv(
                out,
                "total_commands_processed",
                &srv.stats.total_commands_processed,
            );
            kv(out, "rejected_connections", &srv.stats.rejected_connections);
            let expired: u64 = srv.dbs.iter().map(|d| d.expired_keys).sum();
            kv(out, "expired_keys", &expired);
            kv(out, "evicted_keys", &srv.evict.evicted_keys);
            kv(out, "evicted_clients", &0);
            let (total_ms, current_ms) = srv.evict.exceeded_time_ms();
            kv(out, "total_eviction_exceeded_time", &total_ms);
            kv(out, "current_eviction_exceeded_time", &current_ms);
            kv(out, "keyspace_hits", &srv.stats.keyspace_hits);
            kv(out, "keyspace_misses", &srv.stats.keyspace_misses);
            let (channels, patterns, shard_channels) = srv.pubsub.counts();
            kv(out, "pubsub_channels", &channels);
            kv(out, "pubsub_patterns", &patterns);
            kv(out, "pubsubshard_channels", &shard_channels);
            kv(
                out,
                "total_error_replies",
                &srv.stats.errors.values().sum::<u64>(),
            );
            kv(out, "sync_full", &srv.repl.sync_full);
            kv(out, "sync_partial_ok", &srv.repl.sync_partial_ok);
            kv(out, "sync_partial_err", &srv.repl.sync_partial_err);
        }
        "replication" => {
            out.push_str("# Replication\r\n");
            out.push_str(&srv.replication_info());
        }
        "modules" => out.push_str("# Modules\r\n"),
        "errorstats" => {
            out.push_str("# Errorstats\r\n");
            let mut codes: Vec<_> = srv.stats.errors.iter().collect();
            codes.sort();
            for (code, n) in codes {
                kv(out, &format!("errorstat_{code}"), &format!("count={n}"));
            }
        }
        "cluster" => {
            out.push_str("# Cluster\r\n");
            kv(out, "cluster_enabled", &u8::from(srv.cluster_enabled()));
        }
        "keyspace" => {
            out.push_str("# Keyspace\r\n");
            for (i, db) in srv.dbs.iter().enumerate() {
                if !db.is_empty() {
                    kv(
                        out,
                        &format!("db{i}"),
                        &format!("keys={},expires={},avg_ttl=0", db.len(), db.volatile_len()),
                    );
                }
            }
        }
        "commandstats" => {
            out.push_str("# Commandstats\r\n");
            let mut cmds: Vec<_> = srv.stats.commands.iter().collect();
            cmds.sort_by_key(|(n, _)| *n);
            for (n, s) in cmds {
                let per = if s.calls == 0 {
                    0.0
                } else {
                    s.usec as f64 / s.calls as f64
                };
                kv(
                    out,
                    &format!("cmdstat_{n}"),
                    &format!(
                        "calls={},usec={},usec_per_call={per:.2},rejected_calls={},failed_calls={}",
                        s.calls, s.usec, s.rejected_calls, s.failed_calls
                    ),
                );
            }
        }
        _ => {}
    }
}

/// ```text
/// LASTSAVE
/// ```
pub fn lastsave(ctx: &mut Ctx<'_>, _argv: &[Bytes]) -> Result<Frame, ReplyError> {
    Ok(Frame::Integer(ctx.srv.lastsave_s))
}

/// ```text
/// MONITOR
/// ```
pub fn monitor(ctx: &mut Ctx<'_>, _argv: &[Bytes]) -> Result<Frame, ReplyError> {
    if !ctx.client.monitor {
        ctx.client.monitor = true;
        ctx.srv.monitors.push(ctx.client.id);
    }
    Ok(Frame::ok())
}

/// `SLOWLOG` container (never reached: the gate resolves subcommands).
pub fn slowlog_container(_ctx: &mut Ctx<'_>, argv: &[Bytes]) -> Result<Frame, ReplyError> {
    super::container_unreachable(argv)
}

/// ```text
/// SLOWLOG GET [count]
/// ```
pub fn slowlog_get(ctx: &mut Ctx<'_>, argv: &[Bytes]) -> Result<Frame, ReplyError> {
    if argv.len() > 3 {
        return Err(super::subcommand_syntax(argv));
    }
    let len = ctx.srv.slowlog.entries.len();
    let count = match argv.get(2) {
        None => 10,
        Some(a) => {
            let n = shoal_common::number::parse_i64(a)
                .filter(|&n| n >= -1)
                .ok_or(ReplyError::other(
                    "ERR count should be greater than or equal to -1",
                ))?;
            if n == -1 {
                len
            } else {
                usize::try_from(n).unwrap_or(usize::MAX)
            }
        }
    };
    Ok(Frame::Array(
        ctx.srv
            .slowlog
            .entries
            .iter()
            .take(count)
            .map(crate::exec::slowlog::Entry::frame)
            .collect(),
    ))
}

/// ```text
/// SLOWLOG LEN
/// ```
pub fn slowlog_len(ctx: &mut Ctx<'_>, _argv: &[Bytes]) -> Result<Frame, ReplyError> {
    Ok(Frame::Integer(
        i64::try_from(ctx.srv.slowlog.entries.len()).unwrap_or(i64::MAX),
    ))
}

/// ```text
/// SLOWLOG RESET
/// ```
pub fn slowlog_reset(ctx: &mut Ctx<'_>, _argv: &[Bytes]) -> Result<Frame, ReplyError> {
    ctx.srv.slowlog.entries.clear();
    Ok(Frame::ok())
}

/// ```text
/// SLOWLOG HELP
/// ```
pub fn slowlog_help(_ctx: &mut Ctx<'_>, _argv: &[Bytes]) -> Result<Frame, ReplyError> {
    Ok(super::help_lines(
        "SLOWLOG",
        &[
            "GET [<count>]",
            "    Return top <count> entries from the slowlog (default: 10, -1 mean all).",
            "    Entries are made of:",
            "    id, timestamp, time in microseconds, arguments array, client IP and port,",
            "    client name",
            "LEN",
            "    Return the length of the slowlog.",
            "RESET",
            "    Reset the slowlog.",
        ],
    ))
}

/// ```text
/// DEBUG SLEEP seconds | OBJECT key | SET-ACTIVE-EXPIRE <0 | 1> | HELP
/// ```
/// Refused unless `enable-debug-command` allows it (checked by the gate, as Redis does).
pub fn debug(ctx: &mut Ctx<'_>, argv: &[Bytes]) -> Result<Frame, ReplyError> {
    let sub = &argv[1];
    if args::is(sub, "help") && argv.len() == 2 {
        return Ok(super::help_lines(
            "DEBUG",
            &[
                "OBJECT <key>",
                "    Show low level info about the key and associated value.",
                "SET-ACTIVE-EXPIRE <0|1>",
                "    Setting it to 0 disables expiring keys in background when they are not",
                "    accessed (otherwise the Redis behavior). Setting it to 1 reenables back the",
                "    default.",
                "SLEEP <seconds>",
                "    Stop the server for <seconds>. Decimals allowed.",
            ],
        ));
    }
    if args::is(sub, "sleep") && argv.len() == 3 {
        let secs = args::float(&argv[2]).unwrap_or(0.0).max(0.0);
        // Like Redis, the whole server stops: this is what the command is for.
        std::thread::sleep(std::time::Duration::from_secs_f64(secs.min(3600.0)));
        return Ok(Frame::ok());
    }
    if args::is(sub, "set-active-expire") && argv.len() == 3 {
        ctx.srv.active_expire_enabled = args::int(&argv[2])? != 0;
        return Ok(Frame::ok());
    }
    if args::is(sub, "object") && argv.len() == 3 {
        // Redis reads the dict directly: no lazy expiry, no access recorded.
        let now = ctx.now_ms;
        let Some(entry) = ctx.db().peek(&argv[2]) else {
            return Err(ReplyError::other("ERR no such key"));
        };
        let lru = entry.lru;
        let idle_s = crate::db::access::estimate_idle_ms(lru, now) / 1000;
        let encoding = entry.value.encoding();
        // An estimate of the RDB length: the payload plus its length prefix.
        let serialized = match &entry.value {
            crate::db::Value::String(s) => s.len() + 1,
            #[allow(unreachable_patterns)]
            _ => 0,
        };
        return Ok(Frame::Simple(Bytes::from(format!(
            "Value at:0x7f0000000000 refcount:1 encoding:{encoding} serializedlength:{serialized} \
             lru:{lru} lru_seconds_idle:{idle_s}"
        ))));
    }
    Err(super::subcommand_syntax(argv))
}

/// ```text
/// CONFIG REWRITE
/// ```
pub fn config_rewrite(ctx: &mut Ctx<'_>, _argv: &[Bytes]) -> Result<Frame, ReplyError> {
    let Some(path) = ctx.srv.config.file.clone() else {
        return Err(ReplyError::other(
            "ERR The server is running without a config file",
        ));
    };
    let master = ctx
        .srv
        .repl
        .master
        .as_ref()
        .filter(|_| !ctx.srv.cluster_enabled())
        .map(|m| (m.host.as_str(), m.port));
    crate::config::rewrite(&ctx.srv.config, master, &path).map_err(|e| {
        tracing::warn!(error = %e, "CONFIG REWRITE failed");
        ReplyError::err(format!("Rewriting config file: {e}"))
    })?;
    Ok(Frame::ok())
}

/// ```text
/// CONFIG HELP
/// ```
pub fn config_help(_ctx: &mut Ctx<'_>, _argv: &[Bytes]) -> Result<Frame, ReplyError> {
    Ok(super::help_lines(
        "CONFIG",
        &[
            "GET <pattern>",
            "    Return parameters matching the glob-like <pattern> and their values.",
            "SET <directive> <value>",
            "    Set the configuration <directive> to <value>.",
            "RESETSTAT",
            "    Reset statistics reported by the INFO command.",
            "REWRITE",
            "    Rewrite the configuration file.",
        ],
    ))
}
