//! Configuration: redis.conf directives with Redis's names, defaults and value rules.
//!
//! `shoal-node [redis.conf] [--directive value ...]` works as `redis-server` does: the file is
//! read first, then each `--name value...` is applied as a config line. `CONFIG GET/SET` read
//! and write the same table. Values are kept in canonical text form (`yes`/`no`, plain byte
//! counts) so CONFIG GET answers exactly as Redis does; typed accessors parse them.
//!
//! Checklist for a new directive: add a row to [`DIRECTIVES`] with Redis's name, default and
//! kind; read it through [`Config::get_i64`] / [`Config::get_bool`] / [`Config::get_str`]; if
//! the running node must react to `CONFIG SET`, handle it in `cmd::server::config_set`.
//!
//! Directives read on every command (the gate, the slow log, encoding thresholds) are also
//! kept parsed in [`Hot`] (`Server::hot`), refreshed in one place, `Server::config_changed`,
//! which runs at start and after every `CONFIG SET`: a by-name lookup plus a parse per command
//! cost several percent of a pipelined GET.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use shoal_common::glob::glob_match;

/// How a directive's value is parsed.
#[derive(Debug, Clone, Copy)]
pub enum Kind {
    /// `yes` / `no`.
    Bool,
    /// An integer within bounds.
    Int(i64, i64),
    /// A byte count with optional unit (`1gb`, `512mb`, `100k`).
    Memory,
    /// Free text.
    Str,
    /// One of the listed words.
    Enum(&'static [&'static str]),
    /// A directive with its own syntax: the function gets the current and the new value and
    /// returns the canonical text (`notify-keyspace-events`, `client-output-buffer-limit`).
    Custom(fn(&str, &str) -> Result<String, String>),
}

/// One directive.
#[derive(Debug)]
pub struct Directive {
    /// Redis's name.
    pub name: &'static str,
    /// Other accepted names (`slaveof` for `replicaof`, ...).
    pub alias: Option<&'static str>,
    /// Default in canonical form.
    pub default: &'static str,
    /// Value rule.
    pub kind: Kind,
    /// Settable with CONFIG SET.
    pub mutable: bool,
}

const fn d(name: &'static str, default: &'static str, kind: Kind) -> Directive {
    Directive {
        name,
        alias: None,
        default,
        kind,
        mutable: true,
    }
}

const fn immutable(name: &'static str, default: &'static str, kind: Kind) -> Directive {
    Directive {
        name,
        alias: None,
        default,
        kind,
        mutable: false,
    }
}

const fn alias(
    name: &'static str,
    alias: &'static str,
    default: &'static str,
    kind: Kind,
) -> Directive {
    Directive {
        name,
        alias: Some(alias),
        default,
        kind,
        mutable: true,
    }
}

const I: Kind = Kind::Int(i64::MIN, i64::MAX);
const NONNEG: Kind = Kind::Int(0, i64::MAX);
const LOGLEVELS: &[&str] = &["debug", "verbose", "notice", "warning", "nothing"];

/// Every directive we know, with Redis 7.0's defaults.
pub static DIRECTIVES: &[Directive] = &[
    d("bind", "* -::*", Kind::Str),
    immutable("port", "6379", Kind::Int(0, 65535)),
    d("requirepass", "", Kind::Str),
    d("maxclients", "10000", Kind::Int(1, i64::MAX)),
    d("timeout", "0", NONNEG),
    d("tcp-keepalive", "300", NONNEG),
    immutable("databases", "16", Kind::Int(1, i64::MAX)),
    d("dir", "", Kind::Str),
    d("loglevel", "notice", Kind::Enum(LOGLEVELS)),
    immutable("logfile", "", Kind::Str),
    d("proto-max-bulk-len", "536870912", Kind::Memory),
    d("client-query-buffer-limit", "1073741824", Kind::Memory),
    immutable("io-threads", "1", Kind::Int(1, 128)),
    immutable("daemonize", "no", Kind::Bool),
    d("protected-mode", "yes", Kind::Bool),
    d("save", "3600 1 300 100 60 10000", Kind::Str),
    d("appendonly", "no", Kind::Bool),
    d("dbfilename", "dump.rdb", Kind::Str),
    d("maxmemory", "0", Kind::Memory),
    d(
        "maxmemory-policy",
        "noeviction",
        Kind::Enum(&[
            "volatile-lru",
            "volatile-lfu",
            "volatile-random",
            "volatile-ttl",
            "allkeys-lru",
            "allkeys-lfu",
            "allkeys-random",
            "noeviction",
        ]),
    ),
    d("maxmemory-samples", "5", Kind::Int(1, i32::MAX as i64)),
    d("maxmemory-eviction-tenacity", "10", Kind::Int(0, 100)),
    d("lfu-log-factor", "10", Kind::Int(0, i32::MAX as i64)),
    d("lfu-decay-time", "1", Kind::Int(0, i32::MAX as i64)),
    alias(
        "replica-ignore-maxmemory",
        "slave-ignore-maxmemory",
        "yes",
        Kind::Bool,
    ),
    d("lazyfree-lazy-eviction", "no", Kind::Bool),
    d("hz", "10", Kind::Int(1, 500)),
    alias("busy-reply-threshold", "lua-time-limit", "5000", NONNEG),
    immutable("tcp-backlog", "511", NONNEG),
    immutable("pidfile", "", Kind::Str),
    d("slowlog-log-slower-than", "10000", I),
    d("slowlog-max-len", "128", NONNEG),
    d(
        "notify-keyspace-events",
        "",
        Kind::Custom(crate::exec::notify::canonical_notify_flags),
    ),
    d("active-expire-effort", "1", Kind::Int(1, 10)),
    immutable("cluster-enabled", "no", Kind::Bool),
    immutable("cluster-config-file", "nodes.conf", Kind::Str),
    d("cluster-node-timeout", "15000", NONNEG),
    immutable("cluster-port", "0", Kind::Int(0, 65535)),
    d("cluster-announce-ip", "", Kind::Str),
    d("cluster-announce-port", "0", Kind::Int(0, 65535)),
    d("cluster-announce-bus-port", "0", Kind::Int(0, 65535)),
    // Accepted and shown; without TLS (not supported) it changes nothing, as in Redis with
    // `tls-cluster no`.
    d("cluster-announce-tls-port", "0", Kind::Int(0, 65535)),
    d("cluster-announce-hostname", "", Kind::Str),
    d(
        "cluster-preferred-endpoint-type",
        "ip",
        Kind::Enum(&["ip", "hostname", "unknown-endpoint"]),
    ),
    d("cluster-require-full-coverage", "yes", Kind::Bool),
    d("cluster-allow-reads-when-down", "no", Kind::Bool),
    d("cluster-allow-pubsubshard-when-down", "yes", Kind::Bool),
    alias(
        "cluster-replica-validity-factor",
        "cluster-slave-validity-factor",
        "10",
        NONNEG,
    ),
    d("cluster-migration-barrier", "1", NONNEG),
    d("cluster-allow-replica-migration", "yes", Kind::Bool),
    alias(
        "cluster-replica-no-failover",
        "cluster-slave-no-failover",
        "no",
        Kind::Bool,
    ),
    alias("replica-read-only", "slave-read-only", "yes", Kind::Bool),
    d("masterauth", "", Kind::Str),
    alias(
        "replica-serve-stale-data",
        "slave-serve-stale-data",
        "yes",
        Kind::Bool,
    ),
    d("repl-backlog-size", "1048576", Kind::Memory),
    d("repl-timeout", "60", Kind::Int(1, i64::MAX)),
    d("repl-ping-replica-period", "10", Kind::Int(1, i64::MAX)),
    alias("min-replicas-to-write", "min-slaves-to-write", "0", NONNEG),
    alias("min-replicas-max-lag", "min-slaves-max-lag", "10", NONNEG),
    d(
        "client-output-buffer-limit",
        shoal_common::obuf::REDIS_DEFAULT,
        Kind::Custom(crate::exec::pubsub::canonical_obuf_limits),
    ),
    alias(
        "hash-max-listpack-entries",
        "hash-max-ziplist-entries",
        "512",
        NONNEG,
    ),
    alias(
        "hash-max-listpack-value",
        "hash-max-ziplist-value",
        "64",
        NONNEG,
    ),
    d("set-max-intset-entries", "512", NONNEG),
    alias(
        "zset-max-listpack-entries",
        "zset-max-ziplist-entries",
        "128",
        NONNEG,
    ),
    alias(
        "zset-max-listpack-value",
        "zset-max-ziplist-value",
        "64",
        NONNEG,
    ),
    alias("list-max-listpack-size", "list-max-ziplist-size", "-2", I),
    d("list-compress-depth", "0", NONNEG),
    // Stream nodes (Redis's listpacks): bytes and entries before a new node starts.
    d("stream-node-max-bytes", "4096", Kind::Memory),
    d("stream-node-max-entries", "100", NONNEG),
    // Largest sparse HyperLogLog before it turns dense (Redis default 3000 bytes).
    d("hll-sparse-max-bytes", "3000", Kind::Memory),
    immutable(
        "enable-debug-command",
        "no",
        Kind::Enum(&["no", "yes", "local"]),
    ),
];

pub use shoal_common::obuf::parse_memory;

/// The directives the per-command path reads, parsed once (see the module header).
#[derive(Debug, Clone, Copy, Default)]
pub struct Hot {
    /// `slowlog-log-slower-than` (microseconds; negative disables the log).
    pub slowlog_log_slower_than: i64,
    /// `slowlog-max-len`.
    pub slowlog_max_len: usize,
    /// `min-replicas-to-write`.
    pub min_replicas_to_write: i64,
    /// `min-replicas-max-lag` (seconds).
    pub min_replicas_max_lag: i64,
    /// `replica-read-only`.
    pub replica_read_only: bool,
    /// `replica-serve-stale-data`.
    pub replica_serve_stale_data: bool,
    /// `proto-max-bulk-len`.
    pub proto_max_bulk_len: i64,
    /// `hash-max-listpack-entries`.
    pub hash_max_listpack_entries: usize,
    /// `hash-max-listpack-value`.
    pub hash_max_listpack_value: usize,
    /// `set-max-intset-entries`.
    pub set_max_intset_entries: usize,
    /// `zset-max-listpack-entries`.
    pub zset_max_listpack_entries: usize,
    /// `zset-max-listpack-value`.
    pub zset_max_listpack_value: usize,
    /// `list-max-listpack-size` (the quicklist fill).
    pub list_max_listpack_size: i64,
    /// `hll-sparse-max-bytes`.
    pub hll_sparse_max_bytes: usize,
    /// `stream-node-max-bytes`.
    pub stream_node_max_bytes: usize,
    /// `stream-node-max-entries`.
    pub stream_node_max_entries: usize,
}

impl Hot {
    /// The hot directives of `c`.
    pub fn from_config(c: &Config) -> Hot {
        let size = |name: &str| usize::try_from(c.get_i64(name)).unwrap_or(0);
        Hot {
            slowlog_log_slower_than: c.get_i64("slowlog-log-slower-than"),
            slowlog_max_len: size("slowlog-max-len"),
            min_replicas_to_write: c.get_i64("min-replicas-to-write"),
            min_replicas_max_lag: c.get_i64("min-replicas-max-lag"),
            replica_read_only: c.get_bool("replica-read-only"),
            replica_serve_stale_data: c.get_bool("replica-serve-stale-data"),
            proto_max_bulk_len: c.get_i64("proto-max-bulk-len"),
            hash_max_listpack_entries: size("hash-max-listpack-entries"),
            hash_max_listpack_value: size("hash-max-listpack-value"),
            set_max_intset_entries: size("set-max-intset-entries"),
            zset_max_listpack_entries: size("zset-max-listpack-entries"),
            zset_max_listpack_value: size("zset-max-listpack-value"),
            list_max_listpack_size: c.get_i64("list-max-listpack-size"),
            hll_sparse_max_bytes: size("hll-sparse-max-bytes"),
            stream_node_max_bytes: size("stream-node-max-bytes"),
            stream_node_max_entries: size("stream-node-max-entries"),
        }
    }
}

/// The node's configuration.
#[derive(Debug, Clone)]
pub struct Config {
    values: HashMap<&'static str, String>,
    /// The config file the node started with, absolute (CONFIG REWRITE writes it back).
    pub file: Option<PathBuf>,
    /// `replicaof <host> <port>` (or `slaveof`) from the file or the command line: the node
    /// starts as a replica of that master. Not a CONFIG GET/SET parameter, as in Redis.
    pub replicaof: Option<(String, u16)>,
}

impl Default for Config {
    fn default() -> Self {
        let mut values: HashMap<&'static str, String> = DIRECTIVES
            .iter()
            .map(|d| (d.name, d.default.to_string()))
            .collect();
        let cwd = std::env::current_dir()
            .map(|p| p.display().to_string())
            .unwrap_or_default();
        values.insert("dir", cwd);
        Config {
            values,
            file: None,
            replicaof: None,
        }
    }
}

/// `replicaof` and its old name `slaveof`.
fn is_replicaof(name: &str) -> bool {
    name.eq_ignore_ascii_case("replicaof") || name.eq_ignore_ascii_case("slaveof")
}

/// The `<host> <port>` of a `replicaof` line.
fn parse_replicaof(rest: &[String]) -> Result<(String, u16), String> {
    let [host, port] = rest else {
        return Err("wrong number of arguments".to_string());
    };
    let port = port
        .parse::<u16>()
        .ok()
        .filter(|p| *p > 0)
        .ok_or_else(|| "Invalid master port".to_string())?;
    Ok((host.clone(), port))
}

fn find(name: &str) -> Option<&'static Directive> {
    DIRECTIVES.iter().find(|d| {
        d.name.eq_ignore_ascii_case(name) || d.alias.is_some_and(|a| a.eq_ignore_ascii_case(name))
    })
}

impl Config {
    /// Builds a configuration from an optional config file's text and command-line
    /// `--directive value...` arguments, as `redis-server` does.
    pub fn from_sources(file_text: Option<&str>, cli: &[String]) -> Result<Config, String> {
        let mut cfg = Config::default();
        let mut lines: Vec<String> = Vec::new();
        if let Some(text) = file_text {
            lines.extend(text.lines().map(str::to_string));
        }
        // `--port 7000 --save "" --cluster-enabled yes` -> config lines.
        let mut current: Option<String> = None;
        for arg in cli {
            if let Some(name) = arg.strip_prefix("--") {
                if let Some(line) = current.take() {
                    lines.push(line);
                }
                current = Some(name.to_string());
            } else {
                let line = current
                    .as_mut()
                    .ok_or_else(|| format!("unexpected argument '{arg}'"))?;
                line.push(' ');
                line.push_str(&quote(arg));
            }
        }
        if let Some(line) = current.take() {
            lines.push(line);
        }
        for (n, line) in lines.iter().enumerate() {
            let trimmed = line.trim();
            if trimmed.is_empty() || trimmed.starts_with('#') {
                continue;
            }
            let args = shoal_common::resp::decode::split_args(trimmed.as_bytes())
                .ok_or_else(|| format!("line {}: unbalanced quotes", n + 1))?;
            let words: Vec<String> = args
                .iter()
                .map(|a| String::from_utf8_lossy(a).into_owned())
                .collect();
            let Some((name, rest)) = words.split_first() else {
                continue;
            };
            let at = |e: String| format!("line {} ('{}'): {e}", n + 1, line.trim());
            if is_replicaof(name) {
                cfg.replicaof = Some(parse_replicaof(rest).map_err(at)?);
                continue;
            }
            let value = rest.join(" ");
            cfg.set(name, &value, true).map_err(at)?;
        }
        if cfg.replicaof.is_some() && cfg.get_bool("cluster-enabled") {
            return Err("replicaof directive not allowed in cluster mode".to_string());
        }
        Ok(cfg)
    }

    /// Sets a directive after validating `value`. `startup` allows immutable directives.
    pub fn set(&mut self, name: &str, value: &str, startup: bool) -> Result<(), String> {
        let dir = find(name).ok_or_else(|| {
            format!("Unknown option or number of arguments for CONFIG SET - '{name}'")
        })?;
        if !startup && !dir.mutable {
            return Err(format!(
                "CONFIG SET failed (possibly related to argument '{name}') - can't set immutable config"
            ));
        }
        let canonical = canonicalize(dir, value, self.get_str(dir.name)).map_err(|why| {
            format!("CONFIG SET failed (possibly related to argument '{name}') - {why}")
        })?;
        self.values.insert(dir.name, canonical);
        Ok(())
    }

    /// The canonical text of a directive.
    pub fn get_str(&self, name: &str) -> &str {
        self.values.get(name).map_or("", String::as_str)
    }

    /// A numeric directive (Int or Memory).
    pub fn get_i64(&self, name: &str) -> i64 {
        self.get_str(name).parse().unwrap_or(0)
    }

    /// A boolean directive.
    pub fn get_bool(&self, name: &str) -> bool {
        self.get_str(name) == "yes"
    }

    /// The value CONFIG GET shows: the stored text, except where Redis displays a different
    /// form than it keeps (`notify-keyspace-events` hides `n` behind `A`).
    fn shown(&self, name: &str) -> String {
        let stored = self.get_str(name);
        if name == "notify-keyspace-events" {
            crate::exec::notify::display_notify_flags(stored)
        } else {
            stored.to_string()
        }
    }

    /// (name, value) pairs whose name matches any of `patterns` (CONFIG GET), each once. As in
    /// Redis 7.0, a pattern without glob characters is looked up directly and answered under
    /// the name as the client spelled it.
    pub fn matching(&self, patterns: &[&[u8]]) -> Vec<(String, String)> {
        let mut out: Vec<(String, String)> = Vec::new();
        let mut push = |name: String, value: &str| {
            if !out.iter().any(|(n, _)| *n == name) {
                out.push((name, value.to_string()));
            }
        };
        for p in patterns {
            let is_glob = p.iter().any(|c| matches!(c, b'*' | b'?' | b'[' | b'\\'));
            if !is_glob {
                if let Some(d) = std::str::from_utf8(p).ok().and_then(find) {
                    push(String::from_utf8_lossy(p).into_owned(), &self.shown(d.name));
                }
                continue;
            }
            for d in DIRECTIVES {
                for n in std::iter::once(d.name).chain(d.alias) {
                    if glob_match(p, n.as_bytes(), true) {
                        push(n.to_string(), &self.shown(d.name));
                    }
                }
            }
        }
        out
    }
}

/// Redis `rewriteConfigBytesOption`-style formatting of a memory value (`1gb`, `512mb`).
fn memory_text(v: i64) -> String {
    const GB: i64 = 1024 * 1024 * 1024;
    const MB: i64 = 1024 * 1024;
    const KB: i64 = 1024;
    if v != 0 && v % GB == 0 {
        format!("{}gb", v / GB)
    } else if v != 0 && v % MB == 0 {
        format!("{}mb", v / MB)
    } else if v != 0 && v % KB == 0 {
        format!("{}kb", v / KB)
    } else {
        v.to_string()
    }
}

/// The `name value` line CONFIG REWRITE writes for a directive.
fn directive_line(cfg: &Config, d: &Directive) -> String {
    let v = cfg.get_str(d.name);
    let text = match d.kind {
        Kind::Memory => memory_text(v.parse().unwrap_or(0)),
        // Lists of words Redis writes unquoted.
        Kind::Str if matches!(d.name, "save" | "bind" | "client-output-buffer-limit") => {
            if v.is_empty() {
                "\"\"".to_string()
            } else {
                v.to_string()
            }
        }
        Kind::Str => quote(v),
        _ => v.to_string(),
    };
    format!("{} {text}", d.name)
}

/// CONFIG REWRITE (Redis `rewriteConfig`): the file keeps its comments, blank lines and
/// unknown lines; the first line of each known directive gets the current value and later
/// lines of the same directive are dropped; directives set away from their default and absent
/// from the file are appended. Written to a temporary file, then renamed over the original.
///
/// `master` is the master this node replicates now: it becomes one `replicaof <host> <port>`
/// line (Redis `rewriteConfigReplicaOfOption`), and without one (a master, or cluster mode)
/// every `replicaof`/`slaveof` line goes.
pub fn rewrite(cfg: &Config, master: Option<(&str, u16)>, path: &Path) -> std::io::Result<()> {
    let old = match std::fs::read_to_string(path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => String::new(),
        Err(e) => return Err(e),
    };
    let replicaof = master.map(|(host, port)| format!("replicaof {} {port}\n", quote(host)));
    let mut replicaof_written = false;
    let mut written: Vec<&'static str> = Vec::new();
    let mut out = String::new();
    for line in old.lines() {
        let trimmed = line.trim();
        let name = trimmed.split_whitespace().next().unwrap_or("");
        if !trimmed.starts_with('#') && is_replicaof(name) {
            if let Some(l) = replicaof.as_ref().filter(|_| !replicaof_written) {
                out.push_str(l);
                replicaof_written = true;
            }
            continue;
        }
        let known = if trimmed.starts_with('#') {
            None
        } else {
            find(name)
        };
        match known {
            Some(d) if written.contains(&d.name) => {}
            Some(d) => {
                written.push(d.name);
                out.push_str(&directive_line(cfg, d));
                out.push('\n');
            }
            None => {
                out.push_str(line);
                out.push('\n');
            }
        }
    }
    let mut header = false;
    for d in DIRECTIVES {
        if written.contains(&d.name) || d.name == "dir" || cfg.get_str(d.name) == d.default {
            continue;
        }
        if !header {
            out.push_str("# Generated by CONFIG REWRITE\n");
            header = true;
        }
        out.push_str(&directive_line(cfg, d));
        out.push('\n');
    }
    if let Some(l) = replicaof.filter(|_| !replicaof_written) {
        if !header {
            out.push_str("# Generated by CONFIG REWRITE\n");
        }
        out.push_str(&l);
    }
    let tmp = path.with_extension("rewrite.tmp");
    std::fs::write(&tmp, out)?;
    std::fs::rename(&tmp, path)
}

fn quote(arg: &str) -> String {
    if !arg.is_empty() && !arg.contains([' ', '"', '\'', '\\']) {
        return arg.to_string();
    }
    let mut s = String::from("\"");
    for c in arg.chars() {
        if c == '"' || c == '\\' {
            s.push('\\');
        }
        s.push(c);
    }
    s.push('"');
    s
}

fn canonicalize(dir: &Directive, value: &str, old: &str) -> Result<String, String> {
    match dir.kind {
        Kind::Custom(f) => f(old, value),
        Kind::Bool => match value.to_ascii_lowercase().as_str() {
            "yes" => Ok("yes".into()),
            "no" => Ok("no".into()),
            _ => Err("argument must be 'yes' or 'no'".into()),
        },
        Kind::Int(min, max) => {
            let v: i64 = value
                .parse()
                .map_err(|_| "argument couldn't be parsed into an integer".to_string())?;
            if v < min || v > max {
                return Err(format!(
                    "argument must be between {min} and {max} inclusive"
                ));
            }
            Ok(v.to_string())
        }
        Kind::Memory => parse_memory(value)
            .filter(|v| *v >= 0)
            .map(|v| v.to_string())
            .ok_or_else(|| "argument must be a memory value".into()),
        Kind::Str => Ok(value.to_string()),
        Kind::Enum(words) => words
            .iter()
            .find(|w| w.eq_ignore_ascii_case(value))
            .map(|w| (*w).to_string())
            .ok_or_else(|| {
                "argument(s) must be one of the following: ".to_string() + &words.join(", ")
            }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cli_and_file() {
        let cli: Vec<String> = ["--port", "7000", "--save", "", "--cluster-enabled", "yes"]
            .iter()
            .map(|s| (*s).to_string())
            .collect();
        let cfg = Config::from_sources(Some("maxmemory 1gb\n# comment\n"), &cli).unwrap();
        assert_eq!(cfg.get_i64("port"), 7000);
        assert_eq!(cfg.get_str("save"), "");
        assert!(cfg.get_bool("cluster-enabled"));
        assert_eq!(cfg.get_i64("maxmemory"), 1 << 30);
        assert!(Config::from_sources(None, &["--nosuch".into(), "1".into()]).is_err());
        let mut c = Config::default();
        assert!(c.set("port", "1", false).is_err());
        assert!(c.set("slave-read-only", "no", false).is_ok());
        assert!(!c.get_bool("replica-read-only"));
    }
}
