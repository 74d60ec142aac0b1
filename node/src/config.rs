//! Configuration: redis.conf directives with Redis's names, defaults and value rules.
//!
//! `shoal-node [redis.conf] [--directive value ...]` works as `redis-server` does: the file is
//! read first, then each `--name value...` is applied as a config line. `CONFIG GET/SET` read
//! and write the same table. Values are kept in canonical text form (`yes`/`no`, plain byte
//! counts) so CONFIG GET answers exactly as Redis does; typed accessors parse them.
//!
//! Redis counterpart: `config.c`. [`DIRECTIVES`] (`directives.rs`) holds every parameter
//! Redis 7.0.15 knows, most of them stored and reported only (README "Known differences");
//! `value.rs` has the value rules and error texts, `rewrite.rs` CONFIG REWRITE. Invariant:
//! CONFIG GET, CONFIG SET and config-file errors answer as redis-server 7.0.15
//! (`tests/tests/differential_config.rs`).
//!
//! To make a parameter take effect: read it through [`Config::get_i64`] /
//! [`Config::get_bool`] / [`Config::get_str`]; if the running node must react to `CONFIG
//! SET`, do it in `Server::config_changed`, or in `cmd::server::apply_config` when the change
//! can fail (a new listener).
//!
//! Directives read on every command (the gate, the slow log, encoding thresholds) are also
//! kept parsed in [`Hot`] (`Server::hot`), refreshed in one place, `Server::config_changed`,
//! which runs at start and after every `CONFIG SET`: a by-name lookup plus a parse per command
//! cost several percent of a pipelined GET.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use shoal_common::glob::glob_match;

pub mod directives;
mod rewrite;
pub mod value;

pub use rewrite::rewrite;

pub use directives::{DIRECTIVES, Directive, Kind};
use directives::{HIDDEN, MULTI, PROTECTED};

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
    /// starts as a replica of that master. CONFIG GET shows the live master instead (see
    /// [`Config::matching`]).
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

/// The `<host> <port>` of a `replicaof` line (`no one`: none).
fn parse_replicaof(rest: &[String]) -> Result<Option<(String, u16)>, String> {
    let [host, port] = rest else {
        return Err("wrong number of arguments".to_string());
    };
    if host.eq_ignore_ascii_case("no") && port.eq_ignore_ascii_case("one") {
        return Ok(None);
    }
    let port = port
        .parse::<u16>()
        .ok()
        .filter(|p| *p > 0)
        .ok_or_else(|| "Invalid master port".to_string())?;
    Ok(Some((host.clone(), port)))
}

/// The directive called `name` (its name or its alias, any case) and the name it is
/// registered under (Redis names errors after the alias when the alias was used).
pub fn find(name: &str) -> Option<(&'static Directive, &'static str)> {
    DIRECTIVES.iter().find_map(|d| {
        if d.name.eq_ignore_ascii_case(name) {
            Some((d, d.name))
        } else {
            d.alias
                .filter(|a| a.eq_ignore_ascii_case(name))
                .map(|a| (d, a))
        }
    })
}

/// Lines of the old Redis names Redis 7.0 still skips silently in a config file.
fn deprecated(name: &str, argc: usize) -> bool {
    argc == 2
        && [
            "list-max-ziplist-entries",
            "list-max-ziplist-value",
            "lua-replicate-commands",
        ]
        .iter()
        .any(|d| d.eq_ignore_ascii_case(name))
}

/// A config line's failure: about the line itself, or already located in an included file.
enum LineError {
    Here(String),
    Included(String),
}

/// Why a CONFIG SET of one parameter failed: Redis words the message differently for a bad
/// name, a refused parameter and a bad value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SetError {
    /// No such parameter.
    Unknown,
    /// Immutable, protected: `can't set ...`.
    Refused(&'static str),
    /// The value is invalid; the text follows `- `. The name is the registered one.
    Value(&'static str, String),
}

impl Config {
    /// Builds a configuration from an optional config file's text and command-line
    /// `--directive value...` arguments, as `redis-server` does. An error carries Redis's
    /// text: `Reading the configuration file, at line N`, the line, the reason.
    pub fn from_sources(file_text: Option<&str>, cli: &[String]) -> Result<Config, String> {
        let mut cfg = Config::default();
        let mut lines: Vec<String> = Vec::new();
        if let Some(text) = file_text {
            lines.extend(text.lines().map(str::to_string));
        }
        lines.extend(cli_lines(cli)?);
        let mut save_seen = false;
        cfg.load_lines(&lines, &mut save_seen, 0)?;
        if cfg.replicaof.is_some() && cfg.get_bool("cluster-enabled") {
            return Err("replicaof directive not allowed in cluster mode".to_string());
        }
        cfg.check_listeners()?;
        Ok(cfg)
    }

    /// Applies config lines in order (Redis `loadServerConfigFromString`); an error names the
    /// line. `save_seen`: a save line was read already (they add up).
    fn load_lines(
        &mut self,
        lines: &[String],
        save_seen: &mut bool,
        depth: usize,
    ) -> Result<(), String> {
        for (n, line) in lines.iter().enumerate() {
            let trimmed = line.trim_matches([' ', '\t', '\r', '\n']);
            if trimmed.is_empty() || trimmed.starts_with('#') {
                continue;
            }
            self.load_line(trimmed, save_seen, depth)
                .map_err(|e| match e {
                    LineError::Here(e) => format!(
                        "Reading the configuration file, at line {}\n>>> '{trimmed}'\n{e}",
                        n + 1
                    ),
                    LineError::Included(e) => e,
                })?;
        }
        Ok(())
    }

    /// Applies one non-empty, non-comment config line.
    fn load_line(
        &mut self,
        line: &str,
        save_seen: &mut bool,
        depth: usize,
    ) -> Result<(), LineError> {
        let here = |e: &str| LineError::Here(e.to_string());
        let args = shoal_common::resp::decode::split_args(line.as_bytes())
            .ok_or_else(|| here("Unbalanced quotes in configuration line"))?;
        let words: Vec<String> = args
            .iter()
            .map(|a| String::from_utf8_lossy(a).into_owned())
            .collect();
        let Some((name, rest)) = words.split_first() else {
            return Ok(());
        };
        if is_replicaof(name) {
            self.replicaof = parse_replicaof(rest).map_err(LineError::Here)?;
            return Ok(());
        }
        let Some((d, _)) = find(name) else {
            if deprecated(name, words.len()) {
                return Ok(());
            }
            if let [path] = rest
                && name.eq_ignore_ascii_case("include")
            {
                return self.include(path, save_seen, depth);
            }
            return Err(here("Bad directive or wrong number of arguments"));
        };
        if d.flags & MULTI == 0 && rest.len() != 1 {
            return Err(here("wrong number of arguments"));
        }
        // One argument of a multi-word directive is split on spaces (`--save "900 1"`).
        let split: Vec<String>;
        let rest = match rest {
            [one] if d.flags & MULTI != 0 && !one.is_empty() => {
                split = one.split(' ').map(str::to_string).collect();
                &split[..]
            }
            _ => rest,
        };
        let mut canonical = canonicalize(d, rest, self.get_str(d.name)).map_err(LineError::Here)?;
        // Save lines add up in a file (the first one replaces the default).
        if d.name == "save" {
            let old = self.get_str("save");
            if *save_seen && !old.is_empty() && !canonical.is_empty() {
                canonical = format!("{old} {canonical}");
            } else if *save_seen && canonical.is_empty() {
                canonical = old.to_string();
            }
            *save_seen = true;
        }
        self.store(d, canonical);
        Ok(())
    }

    /// `include <path>`: the file's lines, applied where the line stands; a pattern (`*`, `?`,
    /// `[`) in the file name includes every matching file in name order, and none is fine.
    fn include(&mut self, path: &str, save_seen: &mut bool, depth: usize) -> Result<(), LineError> {
        if depth >= 16 {
            return Err(LineError::Here("include nesting too deep".to_string()));
        }
        let p = Path::new(path);
        let name = p
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let files: Vec<PathBuf> = if name.contains(['*', '?', '[']) {
            let parent = p
                .parent()
                .filter(|d| !d.as_os_str().is_empty())
                .unwrap_or(Path::new("."));
            let mut found: Vec<PathBuf> = std::fs::read_dir(parent)
                .map(|entries| {
                    entries
                        .filter_map(Result::ok)
                        .filter(|e| {
                            glob_match(name.as_bytes(), e.file_name().as_encoded_bytes(), false)
                        })
                        .map(|e| e.path())
                        .collect()
                })
                .unwrap_or_default();
            found.sort();
            found
        } else {
            vec![p.to_path_buf()]
        };
        for f in files {
            let text = std::fs::read_to_string(&f).map_err(|e| {
                LineError::Included(format!(
                    "Fatal error, can't open config file '{}': {}",
                    f.display(),
                    e.to_string().split(" (os error").next().unwrap_or_default()
                ))
            })?;
            let lines: Vec<String> = text.lines().map(str::to_string).collect();
            self.load_lines(&lines, save_seen, depth + 1)
                .map_err(LineError::Included)?;
        }
        Ok(())
    }

    /// Refuses, at startup, what would need TLS, which Shoal cannot provide.
    fn check_listeners(&self) -> Result<(), String> {
        if self.get_i64("tls-port") != 0 {
            return Err(
                "tls-port: TLS is not supported by Shoal; remove the tls-port directive \
                        (or set it to 0)"
                    .to_string(),
            );
        }
        for name in ["tls-replication", "tls-cluster"] {
            if self.get_bool(name) {
                return Err(format!(
                    "{name}: TLS is not supported by Shoal; set it to no"
                ));
            }
        }
        Ok(())
    }

    /// Stores a canonical value, keeping what Redis keeps (`hz` capped to 1..500 by
    /// `updateHZ`, `repl-backlog-size` raised to 16kb by `resizeReplicationBacklog`).
    fn store(&mut self, d: &'static Directive, canonical: String) {
        let clamp = |lo: i64, hi: i64| {
            canonical
                .parse::<i64>()
                .map_or_else(|_| canonical.clone(), |v| v.clamp(lo, hi).to_string())
        };
        let canonical = match d.name {
            "hz" => clamp(1, 500),
            "repl-backlog-size" => clamp(16 * 1024, i64::MAX),
            _ => canonical.clone(),
        };
        self.values.insert(d.name, canonical);
    }

    /// Sets a directive from one value (a config-line tail or a CONFIG SET value: multi-word
    /// directives split it on spaces, as Redis does). `startup` allows immutable and
    /// protected directives; otherwise `protected_ok` says whether `enable-protected-configs`
    /// lets this client change protected ones.
    pub fn set_checked(
        &mut self,
        name: &str,
        value: &str,
        startup: bool,
        protected_ok: bool,
    ) -> Result<(), SetError> {
        let (d, registered) = find(name).ok_or(SetError::Unknown)?;
        if !startup && !d.mutable() {
            return Err(SetError::Refused("can't set immutable config"));
        }
        if !startup && d.flags & PROTECTED != 0 && !protected_ok {
            return Err(SetError::Refused("can't set protected config"));
        }
        let args: Vec<String> = if d.flags & MULTI != 0 {
            if value.is_empty() {
                Vec::new()
            } else {
                value.split(' ').map(str::to_string).collect()
            }
        } else {
            vec![value.to_string()]
        };
        let canonical = canonicalize(d, &args, self.get_str(d.name))
            .map_err(|why| SetError::Value(registered, why))?;
        self.store(d, canonical);
        Ok(())
    }

    /// Sets a directive after validating `value`. `startup` allows immutable directives. The
    /// error is CONFIG SET's text without `ERR`.
    pub fn set(&mut self, name: &str, value: &str, startup: bool) -> Result<(), String> {
        self.set_checked(name, value, startup, true)
            .map_err(|e| set_error_text(name, &e))
    }

    /// The canonical text of a directive.
    pub fn get_str(&self, name: &str) -> &str {
        self.values.get(name).map_or("", String::as_str)
    }

    /// A numeric directive (Int or Memory); values above `i64::MAX` read as `i64::MAX`,
    /// percentages as 0.
    pub fn get_i64(&self, name: &str) -> i64 {
        let s = self.get_str(name);
        s.parse::<i64>()
            .ok()
            .or_else(|| s.parse::<u64>().ok().map(|_| i64::MAX))
            .unwrap_or(0)
    }

    /// A boolean directive.
    pub fn get_bool(&self, name: &str) -> bool {
        self.get_str(name) == "yes"
    }

    /// The value CONFIG GET shows: the stored text, except where Redis displays a different
    /// form than it keeps (`notify-keyspace-events` hides `n` behind `A`, `dir` is the working
    /// directory, `replicaof` the live master).
    fn shown(&self, name: &str, replicaof: &str) -> String {
        match name {
            "notify-keyspace-events" => {
                crate::exec::notify::display_notify_flags(self.get_str(name))
            }
            "dir" => std::env::current_dir()
                .map(|p| p.display().to_string())
                .unwrap_or_else(|_| self.get_str(name).to_string()),
            "replicaof" => replicaof.to_string(),
            _ => self.get_str(name).to_string(),
        }
    }

    /// (name, value) pairs whose name matches any of `patterns` (CONFIG GET), each once. As in
    /// Redis 7.0, a pattern without glob characters is looked up directly (hidden parameters
    /// too) and answered under the name as the client spelled it; a pattern matches names and
    /// aliases alike. `replicaof` is the value of `replicaof`: `<host> <port>` on a replica,
    /// empty on a master.
    pub fn matching(&self, patterns: &[&[u8]], replicaof: &str) -> Vec<(String, String)> {
        let mut out: Vec<(String, String)> = Vec::new();
        let mut push = |name: String, value: String| {
            if !out.iter().any(|(n, _)| n.eq_ignore_ascii_case(&name)) {
                out.push((name, value));
            }
        };
        for p in patterns {
            let is_glob = p.iter().any(|c| matches!(c, b'*' | b'?' | b'['));
            if !is_glob {
                if let Some((d, _)) = std::str::from_utf8(p).ok().and_then(find) {
                    push(
                        String::from_utf8_lossy(p).into_owned(),
                        self.shown(d.name, replicaof),
                    );
                }
                continue;
            }
            for d in DIRECTIVES.iter().filter(|d| d.flags & HIDDEN == 0) {
                for n in std::iter::once(d.name).chain(d.alias) {
                    if glob_match(p, n.as_bytes(), true) {
                        push(n.to_string(), self.shown(d.name, replicaof));
                    }
                }
            }
        }
        out
    }
}

/// CONFIG SET's error text (without `ERR`) for a failure on the parameter spelled `name`.
pub fn set_error_text(name: &str, e: &SetError) -> String {
    match e {
        SetError::Unknown => {
            format!("Unknown option or number of arguments for CONFIG SET - '{name}'")
        }
        SetError::Refused(why) => {
            format!("CONFIG SET failed (possibly related to argument '{name}') - {why}")
        }
        SetError::Value(registered, why) => {
            format!("CONFIG SET failed (possibly related to argument '{registered}') - {why}")
        }
    }
}

/// `--port 7000 --save "" --cluster-enabled yes` -> config lines.
fn cli_lines(cli: &[String]) -> Result<Vec<String>, String> {
    let mut lines = Vec::new();
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
    lines.extend(current);
    Ok(lines)
}

/// Redis `sdscatrepr`: always in double quotes, escapes for quotes, backslashes and
/// non-printable bytes.
fn repr(v: &str) -> String {
    let mut s = String::from("\"");
    for &c in v.as_bytes() {
        match c {
            b'\\' | b'"' => {
                s.push('\\');
                s.push(char::from(c));
            }
            b'\n' => s.push_str("\\n"),
            b'\r' => s.push_str("\\r"),
            b'\t' => s.push_str("\\t"),
            7 => s.push_str("\\a"),
            8 => s.push_str("\\b"),
            c if c.is_ascii_graphic() || c == b' ' => s.push(char::from(c)),
            c => s.push_str(&format!("\\x{c:02x}")),
        }
    }
    s.push('"');
    s
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

fn canonicalize(dir: &Directive, args: &[String], old: &str) -> Result<String, String> {
    let one = || args.first().map_or("", String::as_str);
    match dir.kind {
        Kind::Special(f) => f(old, args),
        Kind::Bool => value::boolean(one()),
        Kind::NoOnly(why) => match value::boolean(one())?.as_str() {
            "yes" => Err(why.to_string()),
            no => Ok(no.to_string()),
        },
        Kind::Num(n) => value::number(&n, one()),
        Kind::Str(check) => {
            let v = one();
            if let Some(check) = check {
                check(v).map_err(str::to_string)?;
            }
            Ok(v.to_string())
        }
        Kind::Enum(words) => value::enumeration(words, one()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tempfile_dir() -> PathBuf {
        let d = std::env::temp_dir().join(format!("shoal-config-test-{}", std::process::id()));
        std::fs::create_dir_all(&d).unwrap();
        d
    }

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
        assert!(c.set("databases", "1", false).is_err());
        assert!(c.set("port", "1", false).is_ok());
        assert!(c.set("slave-read-only", "no", false).is_ok());
        assert!(!c.get_bool("replica-read-only"));
    }

    #[test]
    fn file_lines_as_redis() {
        let text = "save 900 1\nsave \"300 10\"\nlist-max-ziplist-entries 512\nHZ 1000\n\
                    shutdown-on-sigterm save now\nmaxmemory-clients 5%\n";
        let cfg = Config::from_sources(Some(text), &[]).unwrap();
        assert_eq!(cfg.get_str("save"), "900 1 300 10");
        assert_eq!(cfg.get_str("hz"), "500");
        assert_eq!(cfg.get_str("shutdown-on-sigterm"), "save now");
        assert_eq!(cfg.get_str("maxmemory-clients"), "5%");
        let err =
            Config::from_sources(Some("# c\nalways-show-logo no\nnosuch 1\n"), &[]).unwrap_err();
        assert_eq!(
            err,
            "Reading the configuration file, at line 3\n>>> 'nosuch 1'\n\
             Bad directive or wrong number of arguments"
        );
        let err = Config::from_sources(Some("maxmemory 1 2\n"), &[]).unwrap_err();
        assert!(err.ends_with("\nwrong number of arguments"), "{err}");
        let dir = tempfile_dir();
        std::fs::write(dir.join("a.conf"), "hz 20\nsave 5 5\n").unwrap();
        std::fs::write(dir.join("b.conf"), "maxmemory 1mb\n").unwrap();
        let text = format!("save 1 1\ninclude {}/*.conf\nhz 30\n", dir.display());
        let cfg = Config::from_sources(Some(&text), &[]).unwrap();
        assert_eq!(cfg.get_str("hz"), "30");
        assert_eq!(cfg.get_str("save"), "1 1 5 5");
        assert_eq!(cfg.get_str("maxmemory"), "1048576");
        let err = Config::from_sources(Some("include /nonexistent/x.conf\n"), &[]).unwrap_err();
        assert!(
            err.starts_with("Fatal error, can't open config file"),
            "{err}"
        );
        let _ = std::fs::remove_dir_all(&dir);
        for bad in ["tls-port 6380", "tls-replication yes"] {
            let err = Config::from_sources(Some(bad), &[]).unwrap_err();
            assert!(err.contains("not supported"), "{bad}: {err}");
        }
        // Every directive's default is valid for its own rule.
        let mut c = Config::default();
        for d in DIRECTIVES.iter().filter(|d| d.name != "replicaof") {
            c.set(d.name, d.default, true).unwrap();
            assert_eq!(c.get_str(d.name), d.default, "{}", d.name);
        }
    }
}
