//! The command table's types: one [`CommandSpec`] per command (and per subcommand, named
//! `container|sub` as `COMMAND` reports it).
//!
//! Everything about a command that is not its behaviour lives in its row in [`table`]: arity,
//! flags, ACL categories, key specs, tips, group. Dispatch, arity checks, key extraction
//! (cluster redirection, the router's routing, `COMMAND GETKEYS`) and `COMMAND INFO` are all
//! derived from the row, so they cannot disagree.

pub mod docs;
pub mod keys;
pub mod reply;
pub mod table;

use std::collections::HashMap;
use std::sync::LazyLock;

pub use table::{COMMANDS, CommandId};

/// Command flags (Redis `CMD_*`), a bit set.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct CommandFlags(pub u64);

impl CommandFlags {
    /// True when every flag of `other` is set.
    pub const fn contains(self, other: CommandFlags) -> bool {
        self.0 & other.0 == other.0
    }

    /// True when any flag of `other` is set.
    pub const fn intersects(self, other: CommandFlags) -> bool {
        self.0 & other.0 != 0
    }
}

impl std::ops::BitOr for CommandFlags {
    type Output = CommandFlags;
    fn bitor(self, rhs: CommandFlags) -> CommandFlags {
        CommandFlags(self.0 | rhs.0)
    }
}

/// The flag constants, in the order `COMMAND INFO` prints them.
pub mod flags {
    type F = u64;
    /// No flags.
    pub const NONE: F = 0;
    /// May modify the keyspace.
    pub const WRITE: F = 1 << 0;
    /// Never modifies the keyspace.
    pub const READONLY: F = 1 << 1;
    /// May grow memory; refused when over `maxmemory`.
    pub const DENYOOM: F = 1 << 2;
    /// Administrative.
    pub const ADMIN: F = 1 << 4;
    /// Pub/sub related.
    pub const PUBSUB: F = 1 << 5;
    /// Not allowed from scripts.
    pub const NOSCRIPT: F = 1 << 6;
    /// May block the client.
    pub const BLOCKING: F = 1 << 7;
    /// Allowed while loading.
    pub const LOADING: F = 1 << 8;
    /// Allowed on a replica with stale data.
    pub const STALE: F = 1 << 9;
    /// Not shown to MONITOR.
    pub const SKIP_MONITOR: F = 1 << 10;
    /// Not logged in the slowlog.
    pub const SKIP_SLOWLOG: F = 1 << 11;
    /// Allowed on an importing slot after ASKING.
    pub const ASKING: F = 1 << 12;
    /// O(1) or O(log N).
    pub const FAST: F = 1 << 13;
    /// Allowed before authentication.
    pub const NO_AUTH: F = 1 << 14;
    /// May replicate even when not a write.
    pub const MAY_REPLICATE: F = 1 << 15;
    /// Keys are optional.
    pub const NO_MANDATORY_KEYS: F = 1 << 16;
    /// Not allowed during async loading.
    pub const NO_ASYNC_LOADING: F = 1 << 17;
    /// Not allowed inside MULTI.
    pub const NO_MULTI: F = 1 << 18;
    /// Allowed while a script is busy.
    pub const ALLOW_BUSY: F = 1 << 20;

    /// (flag, name) in `COMMAND INFO` order. `movablekeys` is derived, not declared.
    pub const NAMES: &[(F, &str)] = &[
        (WRITE, "write"),
        (READONLY, "readonly"),
        (DENYOOM, "denyoom"),
        (ADMIN, "admin"),
        (PUBSUB, "pubsub"),
        (NOSCRIPT, "noscript"),
        (BLOCKING, "blocking"),
        (LOADING, "loading"),
        (STALE, "stale"),
        (SKIP_MONITOR, "skip_monitor"),
        (SKIP_SLOWLOG, "skip_slowlog"),
        (ASKING, "asking"),
        (FAST, "fast"),
        (NO_AUTH, "no_auth"),
        // MAY_REPLICATE is internal: Redis 7.0's COMMAND INFO never prints it.
        (NO_MANDATORY_KEYS, "no_mandatory_keys"),
        (NO_ASYNC_LOADING, "no_async_loading"),
        (NO_MULTI, "no_multi"),
    ];
}

/// ACL categories declared explicitly in a row. `@read`, `@write`, `@admin`, `@dangerous` (with
/// admin), `@pubsub`, `@fast`, `@slow` and `@blocking` are derived from the flags, as Redis's
/// `setImplicitACLCategories` does.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct AclCategories(pub u32);

impl std::ops::BitOr for AclCategories {
    type Output = AclCategories;
    fn bitor(self, rhs: AclCategories) -> AclCategories {
        AclCategories(self.0 | rhs.0)
    }
}

/// The category constants, in the order Redis prints them.
pub mod acl {
    type A = u32;
    /// No explicit category.
    pub const NOCAT: A = 0;
    /// `@keyspace`
    pub const KEYSPACE: A = 1 << 0;
    /// `@read`
    pub const READ: A = 1 << 1;
    /// `@write`
    pub const WRITE_CAT: A = 1 << 2;
    /// `@set`
    pub const SET: A = 1 << 3;
    /// `@sortedset`
    pub const SORTEDSET: A = 1 << 4;
    /// `@list`
    pub const LIST: A = 1 << 5;
    /// `@hash`
    pub const HASH: A = 1 << 6;
    /// `@string`
    pub const STRING: A = 1 << 7;
    /// `@bitmap`
    pub const BITMAP: A = 1 << 8;
    /// `@hyperloglog`
    pub const HYPERLOGLOG: A = 1 << 9;
    /// `@geo`
    pub const GEO: A = 1 << 10;
    /// `@stream`
    pub const STREAM: A = 1 << 11;
    /// `@pubsub`
    pub const PUBSUB_CAT: A = 1 << 12;
    /// `@admin`
    pub const ADMIN_CAT: A = 1 << 13;
    /// `@fast`
    pub const FAST_CAT: A = 1 << 14;
    /// `@slow`
    pub const SLOW: A = 1 << 15;
    /// `@blocking`
    pub const BLOCKING_CAT: A = 1 << 16;
    /// `@dangerous`
    pub const DANGEROUS: A = 1 << 17;
    /// `@connection`
    pub const CONNECTION: A = 1 << 18;
    /// `@transaction`
    pub const TRANSACTION: A = 1 << 19;
    /// `@scripting`
    pub const SCRIPTING: A = 1 << 20;

    /// (category, name) in Redis's order.
    pub const NAMES: &[(A, &str)] = &[
        (KEYSPACE, "keyspace"),
        (READ, "read"),
        (WRITE_CAT, "write"),
        (SET, "set"),
        (SORTEDSET, "sortedset"),
        (LIST, "list"),
        (HASH, "hash"),
        (STRING, "string"),
        (BITMAP, "bitmap"),
        (HYPERLOGLOG, "hyperloglog"),
        (GEO, "geo"),
        (STREAM, "stream"),
        (PUBSUB_CAT, "pubsub"),
        (ADMIN_CAT, "admin"),
        (FAST_CAT, "fast"),
        (SLOW, "slow"),
        (BLOCKING_CAT, "blocking"),
        (DANGEROUS, "dangerous"),
        (CONNECTION, "connection"),
        (TRANSACTION, "transaction"),
        (SCRIPTING, "scripting"),
    ];
}

/// Key spec flags (Redis `CMD_KEY_*`).
pub mod key_flags {
    /// Read-only access.
    pub const RO: u32 = 1 << 0;
    /// Read-write.
    pub const RW: u32 = 1 << 1;
    /// Overwrite.
    pub const OW: u32 = 1 << 2;
    /// Remove.
    pub const RM: u32 = 1 << 3;
    /// Returns user data.
    pub const ACCESS: u32 = 1 << 4;
    /// Updates data.
    pub const UPDATE: u32 = 1 << 5;
    /// Inserts data.
    pub const INSERT: u32 = 1 << 6;
    /// Deletes data.
    pub const DELETE: u32 = 1 << 7;
    /// Not a key (a channel, say) but hashed like one.
    pub const NOT_KEY: u32 = 1 << 8;
    /// The spec may not find every key.
    pub const INCOMPLETE: u32 = 1 << 9;
    /// Flags depend on arguments.
    pub const VARIABLE_FLAGS: u32 = 1 << 10;

    /// (flag, name) in `COMMAND INFO` order.
    pub const NAMES: &[(u32, &str)] = &[
        (RO, "RO"),
        (RW, "RW"),
        (OW, "OW"),
        (RM, "RM"),
        (ACCESS, "access"),
        (UPDATE, "update"),
        (INSERT, "insert"),
        (DELETE, "delete"),
        (NOT_KEY, "not_key"),
        (INCOMPLETE, "incomplete"),
        (VARIABLE_FLAGS, "variable_flags"),
    ];
}

/// Where the key search begins.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BeginSearch {
    /// At a fixed argument index.
    Index(i32),
    /// After a keyword, searched from `startfrom` (negative: from the end, backwards).
    Keyword {
        /// The keyword, upper case.
        keyword: &'static str,
        /// Where the search starts.
        startfrom: i32,
    },
    /// Cannot be described.
    Unknown,
}

/// How keys are found after the beginning.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FindKeys {
    /// `lastkey` relative to the first key (negative: from the end), every `step`, and with
    /// `limit` > 1 only 1/limit of the remaining arguments.
    Range {
        /// Last key index, relative.
        lastkey: i32,
        /// Step between keys.
        step: i32,
        /// Divisor of the remaining args (0 or 1 = no limit).
        limit: i32,
    },
    /// The number of keys is an argument.
    KeyNum {
        /// Index of the count, relative to the beginning.
        keynumidx: i32,
        /// Index of the first key, relative to the beginning.
        firstkey: i32,
        /// Step between keys.
        step: i32,
    },
    /// Cannot be described.
    Unknown,
}

/// One key spec.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct KeySpec {
    /// Free text `COMMAND INFO` shows as `notes` (empty: none).
    pub notes: &'static str,
    /// `key_flags` bits.
    pub flags: u32,
    /// Where the search begins.
    pub begin: BeginSearch,
    /// How keys are found.
    pub find: FindKeys,
}

/// The Redis 7 command groups (`COMMAND DOCS` group field).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[allow(missing_docs)]
pub enum Group {
    Generic,
    String,
    List,
    Set,
    SortedSet,
    Hash,
    Pubsub,
    Transactions,
    Connection,
    Server,
    Scripting,
    Hyperloglog,
    Cluster,
    Geo,
    Stream,
    Bitmap,
}

impl Group {
    /// The name `COMMAND DOCS` prints.
    pub fn name(self) -> &'static str {
        match self {
            Group::Generic => "generic",
            Group::String => "string",
            Group::List => "list",
            Group::Set => "set",
            Group::SortedSet => "sorted-set",
            Group::Hash => "hash",
            Group::Pubsub => "pubsub",
            Group::Transactions => "transactions",
            Group::Connection => "connection",
            Group::Server => "server",
            Group::Scripting => "scripting",
            Group::Hyperloglog => "hyperloglog",
            Group::Cluster => "cluster",
            Group::Geo => "geo",
            Group::Stream => "stream",
            Group::Bitmap => "bitmap",
        }
    }
}

/// One row of the command table.
#[derive(Debug)]
pub struct CommandSpec {
    /// The id the node dispatches on.
    pub id: CommandId,
    /// Lowercase full name (`get`, `config|get`).
    pub name: &'static str,
    /// Redis arity: counts the name; `-N` means at least N.
    pub arity: i32,
    /// Declared flags.
    pub flags: CommandFlags,
    /// Explicit ACL categories (the implicit ones are derived from flags).
    pub acl: AclCategories,
    /// Group.
    pub group: Group,
    /// Key specs.
    pub key_specs: &'static [KeySpec],
    /// Command tips (`nondeterministic_output`, `request_policy:all_shards`, ...).
    pub tips: &'static [&'static str],
}

impl CommandSpec {
    /// True when `argc` (including the name) satisfies the arity.
    pub fn arity_ok(&self, argc: usize) -> bool {
        let argc = i64::try_from(argc).unwrap_or(i64::MAX);
        let arity = i64::from(self.arity);
        if arity >= 0 {
            argc == arity
        } else {
            argc >= -arity
        }
    }

    /// True when the row has every bit of `flag` (a `flags::*` constant or several or-ed).
    pub fn has(&self, flag: u64) -> bool {
        self.flags.contains(CommandFlags(flag))
    }

    /// True for a container command (`config`, `cluster`, ...).
    pub fn is_container(&self) -> bool {
        INDEX.subs.contains_key(self.name)
    }

    /// True when the keys cannot be found from a fixed first/last/step (Redis `movablekeys`).
    pub fn movable_keys(&self) -> bool {
        keys::legacy_range(self).1
    }

    /// Full ACL categories: explicit plus implicit, as Redis's `setImplicitACLCategories`.
    pub fn acl_categories(&self) -> AclCategories {
        use flags::*;
        let mut c = self.acl.0;
        if self.has(WRITE) {
            c |= acl::WRITE_CAT;
        }
        if self.has(READONLY) && c & acl::SCRIPTING == 0 {
            c |= acl::READ;
        }
        if self.has(ADMIN) {
            c |= acl::ADMIN_CAT | acl::DANGEROUS;
        }
        if self.has(PUBSUB) {
            c |= acl::PUBSUB_CAT;
        }
        if self.has(FAST) {
            c |= acl::FAST_CAT;
        }
        if self.has(BLOCKING) {
            c |= acl::BLOCKING_CAT;
        }
        if !self.has(FAST) {
            c |= acl::SLOW;
        }
        AclCategories(c)
    }
}

/// Command-name maps: looked up once per command, so a fast hasher (foldhash) and byte-string
/// keys (no UTF-8 check of the name).
type FastMap<K, V> = HashMap<K, V, foldhash::fast::FixedState>;

struct Index {
    top: FastMap<&'static [u8], usize>,
    full: FastMap<&'static [u8], usize>,
    subs: FastMap<&'static str, Vec<usize>>,
    /// By row: true for a container.
    container: Vec<bool>,
}

static INDEX: LazyLock<Index> = LazyLock::new(|| {
    let mut top = FastMap::default();
    let mut full = FastMap::default();
    let mut subs: FastMap<&'static str, Vec<usize>> = FastMap::default();
    for (i, spec) in COMMANDS.iter().enumerate() {
        full.insert(spec.name.as_bytes(), i);
        match spec.name.split_once('|') {
            Some((parent, _)) => subs.entry(parent).or_default().push(i),
            None => {
                top.insert(spec.name.as_bytes(), i);
            }
        }
    }
    let container = COMMANDS
        .iter()
        .map(|spec| subs.contains_key(spec.name))
        .collect();
    Index {
        top,
        full,
        subs,
        container,
    }
});

fn lower<'a>(name: &[u8], buf: &'a mut [u8; 64]) -> Option<&'a [u8]> {
    if name.len() > buf.len() {
        return None;
    }
    let out = &mut buf[..name.len()];
    for (o, &c) in out.iter_mut().zip(name) {
        *o = c.to_ascii_lowercase();
    }
    Some(out)
}

/// The top-level command named `name` (any case).
pub fn lookup(name: &[u8]) -> Option<&'static CommandSpec> {
    let mut buf = [0u8; 64];
    let name = lower(name, &mut buf)?;
    INDEX.top.get(name).map(|&i| &COMMANDS[i])
}

/// A command by full name (`get`, `config|get`), any case.
pub fn lookup_full(name: &[u8]) -> Option<&'static CommandSpec> {
    let mut buf = [0u8; 64];
    let name = lower(name, &mut buf)?;
    INDEX.full.get(name).map(|&i| &COMMANDS[i])
}

/// The subcommand `sub` of container `parent`.
pub fn lookup_sub(parent: &CommandSpec, sub: &[u8]) -> Option<&'static CommandSpec> {
    let mut buf = [0u8; 64];
    let sub = lower(sub, &mut buf)?;
    INDEX
        .subs
        .get(parent.name)?
        .iter()
        .map(|&i| &COMMANDS[i])
        .find(|s| s.name.split_once('|').map(|(_, n)| n.as_bytes()) == Some(sub))
}

/// The subcommands of a container, in table order.
pub fn subcommands(parent: &CommandSpec) -> Vec<&'static CommandSpec> {
    INDEX
        .subs
        .get(parent.name)
        .map(|v| v.iter().map(|&i| &COMMANDS[i]).collect())
        .unwrap_or_default()
}

/// What `argv` names: the command, or the subcommand of a container.
#[derive(Debug)]
pub enum Resolved {
    /// Found.
    Found(&'static CommandSpec),
    /// No such command.
    Unknown,
    /// A container with an unknown subcommand.
    UnknownSub,
    /// A container without a subcommand (an arity error for the container).
    NoSub(&'static CommandSpec),
}

/// Resolves `argv` to a row: the top-level command, or for a container the subcommand.
pub fn resolve<A: AsRef<[u8]>>(argv: &[A]) -> Resolved {
    let mut buf = [0u8; 64];
    let Some(i) = argv
        .first()
        .and_then(|n| lower(n.as_ref(), &mut buf))
        .and_then(|name| INDEX.top.get(name))
        .copied()
    else {
        return Resolved::Unknown;
    };
    let top = &COMMANDS[i];
    if !INDEX.container[i] {
        return Resolved::Found(top);
    }
    match argv.get(1) {
        // A container whose arity allows no subcommand runs itself (`COMMAND`, as Redis's
        // `lookupCommandLogic` returns the base command for argc 1).
        None if top.arity_ok(argv.len()) => Resolved::Found(top),
        None => Resolved::NoSub(top),
        Some(sub) => lookup_sub(top, sub.as_ref()).map_or(Resolved::UnknownSub, Resolved::Found),
    }
}

/// Total rows (`COMMAND COUNT` counts top-level commands only).
pub fn top_level() -> impl Iterator<Item = &'static CommandSpec> {
    COMMANDS.iter().filter(|c| !c.name.contains('|'))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn container_without_subcommand() {
        let argv = |a: &[&'static str]| -> Vec<bytes::Bytes> {
            a.iter()
                .map(|s| bytes::Bytes::from_static(s.as_bytes()))
                .collect()
        };
        assert!(matches!(resolve(&argv(&["command"])), Resolved::Found(s) if s.name == "command"));
        assert!(matches!(resolve(&argv(&["cluster"])), Resolved::NoSub(_)));
        assert!(
            matches!(resolve(&argv(&["command", "count"])), Resolved::Found(s) if s.name == "command|count")
        );
    }

    #[test]
    fn ids_are_row_numbers() {
        // The node indexes per-command statistics by `id as usize`.
        for (i, c) in COMMANDS.iter().enumerate() {
            assert_eq!(c.id as usize, i, "{}", c.name);
        }
    }

    #[test]
    fn resolve_finds_commands_and_subcommands() {
        let argv = |a: &[&str]| -> Vec<bytes::Bytes> {
            a.iter()
                .map(|s| bytes::Bytes::from(s.to_string()))
                .collect()
        };
        assert!(matches!(resolve(&argv(&["GeT", "k"])), Resolved::Found(s) if s.name == "get"));
        assert!(
            matches!(resolve(&argv(&["CONFIG", "get", "x"])), Resolved::Found(s) if s.name == "config|get")
        );
        assert!(matches!(resolve(&argv(&["config"])), Resolved::NoSub(s) if s.name == "config"));
        assert!(matches!(
            resolve(&argv(&["config", "nope"])),
            Resolved::UnknownSub
        ));
        assert!(matches!(resolve(&argv(&["nope"])), Resolved::Unknown));
        assert!(lookup(b"config").is_some_and(CommandSpec::is_container));
        assert!(!lookup(b"get").is_some_and(CommandSpec::is_container));
    }

    #[test]
    fn table_is_consistent() {
        let mut names = HashSet::new();
        for c in COMMANDS.iter() {
            assert_eq!(
                c.name,
                c.name.to_ascii_lowercase(),
                "{} not lowercase",
                c.name
            );
            assert!(names.insert(c.name), "{} declared twice", c.name);
            assert!(
                !(c.has(flags::WRITE) && c.has(flags::READONLY)),
                "{} is both write and readonly",
                c.name
            );
            assert_ne!(c.arity, 0, "{} has arity 0", c.name);
            if let Some((parent, _)) = c.name.split_once('|') {
                assert!(
                    lookup(parent.as_bytes()).is_some(),
                    "{} has no container",
                    c.name
                );
            }
            for ks in c.key_specs {
                if let BeginSearch::Index(i) = ks.begin {
                    assert!(i >= 1, "{}: key index {i} points at the name", c.name);
                    if c.arity > 0 && !c.has(flags::NO_MANDATORY_KEYS) {
                        assert!(i < c.arity, "{}: key index {i} outside arity", c.name);
                    }
                }
                let access = key_flags::RO | key_flags::RW | key_flags::OW | key_flags::RM;
                // Shard channels (SSUBSCRIBE, SPUBLISH) are `not_key` specs without access.
                let want = u32::from(ks.flags & key_flags::NOT_KEY == 0);
                assert_eq!(
                    (ks.flags & access).count_ones(),
                    want,
                    "{}: one of RO/RW/OW/RM",
                    c.name
                );
            }
        }
    }

    #[test]
    fn lookup_any_case() {
        assert_eq!(lookup(b"GeT").map(|c| c.name), Some("get"));
        assert!(lookup(b"nosuchcommand").is_none());
        assert!(lookup(&[b'a'; 100]).is_none());
    }
}
