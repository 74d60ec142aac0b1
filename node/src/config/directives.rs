//! The directive table: every parameter Redis 7.0.15 knows (`config.c` `static_configs`),
//! with its alias, default (as CONFIG GET shows it), value rule and flags.
//!
//! Invariant: a row exists for each Redis parameter, whether or not Shoal acts on it (README
//! "Known differences" lists those stored and reported without effect); `CONFIG GET *` lists
//! every non-hidden name and alias, as Redis 7.0 does.

use super::value::{self, Num, Unit};

/// A check of a string value, with Redis's reason when it fails.
pub type StrCheck = fn(&str) -> Result<(), &'static str>;

/// How a directive's value is parsed.
#[derive(Debug, Clone, Copy)]
pub enum Kind {
    /// `yes` / `no`.
    Bool,
    /// `no` only: `yes` is refused with the reason (Redis built without the feature).
    NoOnly(&'static str),
    /// A number (plain, memory, percent or octal) within bounds.
    Num(Num),
    /// Free text, with an optional check (`dbfilename` can't be a path, ...).
    Str(Option<StrCheck>),
    /// One of the listed words (word, value: words sharing a value are synonyms).
    Enum(&'static [(&'static str, u32)]),
    /// A directive with its own syntax: gets the current canonical text and the arguments
    /// (one, or the words of a multi-argument directive), returns the new canonical text.
    Special(fn(&str, &[String]) -> Result<String, String>),
}

/// Refused by CONFIG SET: `can't set immutable config`.
pub const IMMUTABLE: u8 = 1;
/// Refused by CONFIG SET unless `enable-protected-configs` allows it.
pub const PROTECTED: u8 = 2;
/// Not matched by CONFIG GET patterns, only by its exact name.
pub const HIDDEN: u8 = 4;
/// Takes several arguments (a config line's words; CONFIG SET splits its value on spaces).
pub const MULTI: u8 = 8;

/// One directive.
#[derive(Debug)]
pub struct Directive {
    /// Redis's name.
    pub name: &'static str,
    /// Other accepted name (`slave-read-only` for `replica-read-only`, ...).
    pub alias: Option<&'static str>,
    /// Default in canonical form.
    pub default: &'static str,
    /// Value rule.
    pub kind: Kind,
    /// [`IMMUTABLE`], [`PROTECTED`], [`HIDDEN`], [`MULTI`].
    pub flags: u8,
}

impl Directive {
    /// Settable with CONFIG SET (protected ones too, subject to `enable-protected-configs`).
    pub fn mutable(&self) -> bool {
        self.flags & IMMUTABLE == 0
    }
}

const fn row(
    name: &'static str,
    alias: Option<&'static str>,
    default: &'static str,
    kind: Kind,
    flags: u8,
) -> Directive {
    Directive {
        name,
        alias,
        default,
        kind,
        flags,
    }
}

const fn b(name: &'static str, default: &'static str) -> Directive {
    row(name, None, default, Kind::Bool, 0)
}

const fn b_fixed(name: &'static str, default: &'static str) -> Directive {
    row(name, None, default, Kind::Bool, IMMUTABLE)
}

const fn s(name: &'static str, default: &'static str) -> Directive {
    row(name, None, default, Kind::Str(None), 0)
}

const fn s_fixed(name: &'static str, default: &'static str) -> Directive {
    row(name, None, default, Kind::Str(None), IMMUTABLE)
}

const fn num(min: i128, max: i128, unsigned: bool, unit: Unit) -> Kind {
    Kind::Num(Num {
        min,
        max,
        unsigned,
        unit,
    })
}

/// A signed integer.
const fn int(min: i128, max: i128) -> Kind {
    num(min, max, false, Unit::Plain)
}

/// An unsigned integer type.
const fn uint(min: i128, max: i128) -> Kind {
    num(min, max, true, Unit::Plain)
}

/// A memory value in a signed type.
const fn mem(min: i128, max: i128) -> Kind {
    num(min, max, false, Unit::Memory)
}

/// A memory value in an unsigned type.
const fn umem(min: i128, max: i128) -> Kind {
    num(min, max, true, Unit::Memory)
}

const fn n(name: &'static str, default: &'static str, kind: Kind) -> Directive {
    row(name, None, default, kind, 0)
}

const INT_MAX: i128 = i32::MAX as i128;
const INT_MIN: i128 = i32::MIN as i128;
const UINT_MAX: i128 = u32::MAX as i128;
const LONG_MAX: i128 = i64::MAX as i128;
const ULLONG_MAX: i128 = u64::MAX as i128;

const LOGLEVELS: &[(&str, u32)] = &[("debug", 0), ("verbose", 1), ("notice", 2), ("warning", 3)];
const MAXMEMORY_POLICIES: &[(&str, u32)] = &[
    ("volatile-lru", 0),
    ("volatile-lfu", 1),
    ("volatile-random", 2),
    ("volatile-ttl", 3),
    ("allkeys-lru", 4),
    ("allkeys-lfu", 5),
    ("allkeys-random", 6),
    ("noeviction", 7),
];
const SYSLOG_FACILITIES: &[(&str, u32)] = &[
    ("user", 0),
    ("local0", 1),
    ("local1", 2),
    ("local2", 3),
    ("local3", 4),
    ("local4", 5),
    ("local5", 6),
    ("local6", 7),
    ("local7", 8),
];
const SUPERVISED: &[(&str, u32)] = &[("upstart", 0), ("systemd", 1), ("auto", 2), ("no", 3)];
const APPENDFSYNC: &[(&str, u32)] = &[("everysec", 0), ("always", 1), ("no", 2)];
const DISKLESS_LOAD: &[(&str, u32)] = &[("disabled", 0), ("on-empty-db", 1), ("swapdb", 2)];
const TLS_AUTH_CLIENTS: &[(&str, u32)] = &[("no", 0), ("yes", 1), ("optional", 2)];
const OOM_SCORE_ADJ: &[(&str, u32)] = &[("no", 0), ("yes", 1), ("relative", 1), ("absolute", 2)];
const ACL_PUBSUB_DEFAULT: &[(&str, u32)] = &[("allchannels", 1), ("resetchannels", 0)];
const SANITIZE_DUMP: &[(&str, u32)] = &[("no", 0), ("yes", 1), ("clients", 2)];
/// `enable-protected-configs`, `enable-debug-command`, `enable-module-command`.
pub const PROTECTED_ACTION: &[(&str, u32)] = &[("no", 0), ("yes", 1), ("local", 2)];
const ENDPOINT_TYPES: &[(&str, u32)] = &[("ip", 0), ("hostname", 1), ("unknown-endpoint", 2)];
const PROPAGATION_ERROR: &[(&str, u32)] = &[("ignore", 0), ("panic", 1), ("panic-on-replicas", 2)];

fn notify(_old: &str, args: &[String]) -> Result<String, String> {
    match args {
        [v] => crate::exec::notify::canonical_notify_flags("", v),
        _ => Err("wrong number of arguments".into()),
    }
}

fn obuf(old: &str, args: &[String]) -> Result<String, String> {
    if args.is_empty() {
        // No class given: nothing changes, as in Redis.
        return Ok(old.to_string());
    }
    if !args.len().is_multiple_of(4) {
        return Err("Wrong number of arguments in buffer limit configuration.".into());
    }
    crate::exec::pubsub::canonical_obuf_limits(old, &args.join(" "))
}

/// A special directive whose value depends on its arguments only.
macro_rules! args_only {
    ($($name:ident => $f:path),* $(,)?) => {
        $(fn $name(_old: &str, args: &[String]) -> Result<String, String> {
            $f(args)
        })*
    };
}

args_only!(
    save => value::save,
    oom_values => value::oom_score_adj_values,
    bind => value::bind,
    percentiles => value::percentiles,
    shutdown_flags => value::shutdown_flags,
);

/// Every directive Redis 7.0.15 knows, with its defaults.
pub static DIRECTIVES: &[Directive] = &[
    // ---- booleans ----
    b_fixed("rdbchecksum", "yes"),
    b_fixed("daemonize", "no"),
    b_fixed("io-threads-do-reads", "no"),
    b_fixed("always-show-logo", "no"),
    b("protected-mode", "yes"),
    b("rdbcompression", "yes"),
    b("rdb-del-sync-files", "no"),
    b("activerehashing", "yes"),
    b("stop-writes-on-bgsave-error", "yes"),
    b_fixed("set-proc-title", "yes"),
    b("dynamic-hz", "yes"),
    b("lazyfree-lazy-eviction", "no"),
    b("lazyfree-lazy-expire", "no"),
    b("lazyfree-lazy-server-del", "no"),
    b("lazyfree-lazy-user-del", "no"),
    b("lazyfree-lazy-user-flush", "no"),
    b("repl-disable-tcp-nodelay", "no"),
    b("repl-diskless-sync", "yes"),
    b("aof-rewrite-incremental-fsync", "yes"),
    b("no-appendfsync-on-rewrite", "no"),
    b("cluster-require-full-coverage", "yes"),
    b("rdb-save-incremental-fsync", "yes"),
    b("aof-load-truncated", "yes"),
    b("aof-use-rdb-preamble", "yes"),
    b("aof-timestamp-enabled", "no"),
    row(
        "cluster-replica-no-failover",
        Some("cluster-slave-no-failover"),
        "no",
        Kind::Bool,
        0,
    ),
    row(
        "replica-lazy-flush",
        Some("slave-lazy-flush"),
        "no",
        Kind::Bool,
        0,
    ),
    row(
        "replica-serve-stale-data",
        Some("slave-serve-stale-data"),
        "yes",
        Kind::Bool,
        0,
    ),
    row(
        "replica-read-only",
        Some("slave-read-only"),
        "yes",
        Kind::Bool,
        0,
    ),
    row(
        "replica-ignore-maxmemory",
        Some("slave-ignore-maxmemory"),
        "yes",
        Kind::Bool,
        0,
    ),
    b("jemalloc-bg-thread", "yes"),
    // Debian's redis-server 7.0.15 is built without active defragmentation, as are we.
    row(
        "activedefrag",
        None,
        "no",
        Kind::NoOnly(
            "Active defragmentation cannot be enabled: it requires a Redis server compiled \
             with a modified Jemalloc like the one shipped by default with the Redis source \
             distribution",
        ),
        0,
    ),
    b_fixed("syslog-enabled", "no"),
    b_fixed("cluster-enabled", "no"),
    b("appendonly", "no"),
    b("cluster-allow-reads-when-down", "no"),
    b("cluster-allow-pubsubshard-when-down", "yes"),
    b("crash-log-enabled", "yes"),
    b("crash-memcheck-enabled", "yes"),
    row("use-exit-on-panic", None, "no", Kind::Bool, HIDDEN),
    b_fixed("disable-thp", "yes"),
    b("cluster-allow-replica-migration", "yes"),
    b("replica-announced", "yes"),
    b("latency-tracking", "yes"),
    b("aof-disable-auto-gc", "no"),
    b("replica-ignore-disk-write-errors", "no"),
    // ---- strings ----
    s_fixed("aclfile", ""),
    s_fixed("unixsocket", ""),
    s_fixed("pidfile", ""),
    row(
        "replica-announce-ip",
        Some("slave-announce-ip"),
        "",
        Kind::Str(None),
        0,
    ),
    s("masteruser", ""),
    s("cluster-announce-ip", ""),
    s_fixed("cluster-config-file", "nodes.conf"),
    row(
        "cluster-announce-hostname",
        None,
        "",
        Kind::Str(Some(value::hostname)),
        0,
    ),
    s_fixed("syslog-ident", "redis"),
    row(
        "dbfilename",
        None,
        "dump.rdb",
        Kind::Str(Some(value::dbfilename)),
        PROTECTED,
    ),
    row(
        "appendfilename",
        None,
        "appendonly.aof",
        Kind::Str(Some(value::appendfilename)),
        IMMUTABLE,
    ),
    row(
        "appenddirname",
        None,
        "appendonlydir",
        Kind::Str(Some(value::appenddirname)),
        IMMUTABLE,
    ),
    s_fixed("server_cpulist", ""),
    s_fixed("bio_cpulist", ""),
    s_fixed("aof_rewrite_cpulist", ""),
    s_fixed("bgsave_cpulist", ""),
    s("ignore-warnings", ""),
    row(
        "proc-title-template",
        None,
        "{title} {listen-addr} {server-mode}",
        Kind::Str(Some(value::proc_title_template)),
        0,
    ),
    s("bind-source-addr", ""),
    s_fixed("logfile", ""),
    s("masterauth", ""),
    s("requirepass", ""),
    // ---- enums ----
    row("supervised", None, "no", Kind::Enum(SUPERVISED), IMMUTABLE),
    row(
        "syslog-facility",
        None,
        "local0",
        Kind::Enum(SYSLOG_FACILITIES),
        IMMUTABLE,
    ),
    n("repl-diskless-load", "disabled", Kind::Enum(DISKLESS_LOAD)),
    n("loglevel", "notice", Kind::Enum(LOGLEVELS)),
    n(
        "maxmemory-policy",
        "noeviction",
        Kind::Enum(MAXMEMORY_POLICIES),
    ),
    n("appendfsync", "everysec", Kind::Enum(APPENDFSYNC)),
    n("oom-score-adj", "no", Kind::Enum(OOM_SCORE_ADJ)),
    n(
        "acl-pubsub-default",
        "resetchannels",
        Kind::Enum(ACL_PUBSUB_DEFAULT),
    ),
    n("sanitize-dump-payload", "no", Kind::Enum(SANITIZE_DUMP)),
    row(
        "enable-protected-configs",
        None,
        "no",
        Kind::Enum(PROTECTED_ACTION),
        IMMUTABLE,
    ),
    row(
        "enable-debug-command",
        None,
        "no",
        Kind::Enum(PROTECTED_ACTION),
        IMMUTABLE,
    ),
    row(
        "enable-module-command",
        None,
        "no",
        Kind::Enum(PROTECTED_ACTION),
        IMMUTABLE,
    ),
    n(
        "cluster-preferred-endpoint-type",
        "ip",
        Kind::Enum(ENDPOINT_TYPES),
    ),
    n(
        "propagation-error-behavior",
        "ignore",
        Kind::Enum(PROPAGATION_ERROR),
    ),
    row(
        "shutdown-on-sigint",
        None,
        "default",
        Kind::Special(shutdown_flags),
        MULTI,
    ),
    row(
        "shutdown-on-sigterm",
        None,
        "default",
        Kind::Special(shutdown_flags),
        MULTI,
    ),
    // ---- int ----
    row("databases", None, "16", int(1, INT_MAX), IMMUTABLE),
    n("port", "6379", int(0, 65535)),
    row("io-threads", None, "1", int(1, 128), IMMUTABLE),
    n("auto-aof-rewrite-percentage", "100", int(0, INT_MAX)),
    row(
        "cluster-replica-validity-factor",
        Some("cluster-slave-validity-factor"),
        "10",
        int(0, INT_MAX),
        0,
    ),
    row(
        "list-max-listpack-size",
        Some("list-max-ziplist-size"),
        "-2",
        int(INT_MIN, INT_MAX),
        0,
    ),
    n("tcp-keepalive", "300", int(0, INT_MAX)),
    n("cluster-migration-barrier", "1", int(0, INT_MAX)),
    n("active-defrag-cycle-min", "1", int(1, 99)),
    n("active-defrag-cycle-max", "25", int(1, 99)),
    n("active-defrag-threshold-lower", "10", int(0, 1000)),
    n("active-defrag-threshold-upper", "100", int(0, 1000)),
    n("lfu-log-factor", "10", int(0, INT_MAX)),
    n("lfu-decay-time", "1", int(0, INT_MAX)),
    row(
        "replica-priority",
        Some("slave-priority"),
        "100",
        int(0, INT_MAX),
        0,
    ),
    n("repl-diskless-sync-delay", "5", int(0, INT_MAX)),
    n("maxmemory-samples", "5", int(1, INT_MAX)),
    n("maxmemory-eviction-tenacity", "10", int(0, 100)),
    n("timeout", "0", int(0, INT_MAX)),
    row(
        "replica-announce-port",
        Some("slave-announce-port"),
        "0",
        int(0, 65535),
        0,
    ),
    row("tcp-backlog", None, "511", int(0, INT_MAX), IMMUTABLE),
    row("cluster-port", None, "0", int(0, 65535), IMMUTABLE),
    n("cluster-announce-bus-port", "0", int(0, 65535)),
    n("cluster-announce-port", "0", int(0, 65535)),
    n("cluster-announce-tls-port", "0", int(0, 65535)),
    n("repl-timeout", "60", int(1, INT_MAX)),
    row(
        "repl-ping-replica-period",
        Some("repl-ping-slave-period"),
        "10",
        int(1, INT_MAX),
        0,
    ),
    n("list-compress-depth", "0", int(0, INT_MAX)),
    row(
        "rdb-key-save-delay",
        None,
        "0",
        int(INT_MIN, INT_MAX),
        HIDDEN,
    ),
    row("key-load-delay", None, "0", int(INT_MIN, INT_MAX), HIDDEN),
    n("active-expire-effort", "1", int(1, 10)),
    // Redis keeps what was set, then caps the running value to 1..500 (`updateHZ`); CONFIG
    // GET shows the capped value, so the table stores it capped (see `Config::set`).
    n("hz", "10", int(0, INT_MAX)),
    row(
        "min-replicas-to-write",
        Some("min-slaves-to-write"),
        "0",
        int(0, INT_MAX),
        0,
    ),
    row(
        "min-replicas-max-lag",
        Some("min-slaves-max-lag"),
        "10",
        int(0, INT_MAX),
        0,
    ),
    row("watchdog-period", None, "0", int(0, INT_MAX), HIDDEN),
    n("shutdown-timeout", "10", int(0, INT_MAX)),
    n("repl-diskless-sync-max-replicas", "0", int(0, INT_MAX)),
    // ---- unsigned int ----
    n("maxclients", "10000", uint(1, UINT_MAX)),
    row(
        "unixsocketperm",
        None,
        "0",
        num(0, 0o777, true, Unit::Octal),
        IMMUTABLE,
    ),
    row("socket-mark-id", None, "0", uint(0, UINT_MAX), IMMUTABLE),
    // ---- unsigned long (checked as signed by Redis) ----
    n("active-defrag-max-scan-fields", "1000", int(1, LONG_MAX)),
    n("slowlog-max-len", "128", int(0, LONG_MAX)),
    n("acllog-max-len", "128", int(0, LONG_MAX)),
    // ---- long long ----
    row(
        "busy-reply-threshold",
        Some("lua-time-limit"),
        "5000",
        int(0, LONG_MAX),
        0,
    ),
    n("cluster-node-timeout", "15000", int(0, LONG_MAX)),
    n("slowlog-log-slower-than", "10000", int(-1, LONG_MAX)),
    n("latency-monitor-threshold", "0", int(0, LONG_MAX)),
    n(
        "proto-max-bulk-len",
        "536870912",
        mem(1024 * 1024, LONG_MAX),
    ),
    n("stream-node-max-entries", "100", int(0, LONG_MAX)),
    n("repl-backlog-size", "1048576", mem(1, LONG_MAX)),
    // ---- unsigned long long ----
    n("maxmemory", "0", umem(0, ULLONG_MAX)),
    n("cluster-link-sendbuf-limit", "0", umem(0, ULLONG_MAX)),
    // ---- size_t ----
    row(
        "hash-max-listpack-entries",
        Some("hash-max-ziplist-entries"),
        "512",
        uint(0, LONG_MAX),
        0,
    ),
    n("set-max-intset-entries", "512", uint(0, LONG_MAX)),
    row(
        "zset-max-listpack-entries",
        Some("zset-max-ziplist-entries"),
        "128",
        uint(0, LONG_MAX),
        0,
    ),
    n("active-defrag-ignore-bytes", "104857600", umem(1, LONG_MAX)),
    row(
        "hash-max-listpack-value",
        Some("hash-max-ziplist-value"),
        "64",
        umem(0, LONG_MAX),
        0,
    ),
    n("stream-node-max-bytes", "4096", umem(0, LONG_MAX)),
    row(
        "zset-max-listpack-value",
        Some("zset-max-ziplist-value"),
        "64",
        umem(0, LONG_MAX),
        0,
    ),
    n("hll-sparse-max-bytes", "3000", umem(0, LONG_MAX)),
    n("tracking-table-max-keys", "1000000", uint(0, LONG_MAX)),
    n(
        "client-query-buffer-limit",
        "1073741824",
        umem(1024 * 1024, LONG_MAX),
    ),
    n(
        "maxmemory-clients",
        "0",
        num(-100, LONG_MAX, false, Unit::MemoryPercent),
    ),
    // ---- time_t, off_t ----
    n("repl-backlog-ttl", "3600", int(0, LONG_MAX)),
    n("auto-aof-rewrite-min-size", "67108864", mem(0, LONG_MAX)),
    row(
        "loading-process-events-interval-bytes",
        None,
        "2097152",
        int(1024, INT_MAX),
        HIDDEN,
    ),
    // ---- TLS (accepted and shown; a TLS listener or TLS links are refused) ----
    n("tls-port", "0", int(0, 65535)),
    n("tls-session-cache-size", "20480", int(0, INT_MAX)),
    n("tls-session-cache-timeout", "300", int(0, INT_MAX)),
    b("tls-cluster", "no"),
    b("tls-replication", "no"),
    n("tls-auth-clients", "yes", Kind::Enum(TLS_AUTH_CLIENTS)),
    b("tls-prefer-server-ciphers", "no"),
    b("tls-session-caching", "yes"),
    s("tls-cert-file", ""),
    s("tls-key-file", ""),
    s("tls-key-file-pass", ""),
    s("tls-client-cert-file", ""),
    s("tls-client-key-file", ""),
    s("tls-client-key-file-pass", ""),
    s("tls-dh-params-file", ""),
    s("tls-ca-cert-file", ""),
    s("tls-ca-cert-dir", ""),
    s("tls-protocols", ""),
    s("tls-ciphers", ""),
    s("tls-ciphersuites", ""),
    // ---- special ----
    row("dir", None, "", Kind::Str(None), PROTECTED),
    row(
        "save",
        None,
        "3600 1 300 100 60 10000",
        Kind::Special(save),
        MULTI,
    ),
    row(
        "client-output-buffer-limit",
        None,
        shoal_common::obuf::REDIS_DEFAULT,
        Kind::Special(obuf),
        MULTI,
    ),
    row(
        "oom-score-adj-values",
        None,
        "0 200 800",
        Kind::Special(oom_values),
        MULTI,
    ),
    n("notify-keyspace-events", "", Kind::Special(notify)),
    row("bind", None, "* -::*", Kind::Special(bind), MULTI),
    // Shown from the replication state (`Config::matching`'s `replicaof`), set at startup
    // through `Config::replicaof`.
    row(
        "replicaof",
        Some("slaveof"),
        "",
        Kind::Special(replicaof),
        IMMUTABLE | MULTI,
    ),
    row(
        "latency-tracking-info-percentiles",
        None,
        "50 99 99.9",
        Kind::Special(percentiles),
        MULTI,
    ),
];

fn replicaof(_old: &str, args: &[String]) -> Result<String, String> {
    super::parse_replicaof(args).map(|m| m.map_or_else(String::new, |(h, p)| format!("{h} {p}")))
}
