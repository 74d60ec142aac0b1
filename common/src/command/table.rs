//! THE command table: one row per command the node implements, and nothing else.
//!
//! A row exists if and only if the node implements the command: the node's handler `match` is
//! exhaustive over [`CommandId`], so a row without a handler does not compile, and `COMMAND` /
//! the router never advertise a command the node would refuse.
//!
//! Row syntax:
//!
//! ```text
//! Id => "name", arity, FLAG | FLAG, ACL_CATEGORY | ..., Group, [key specs], [tips];
//! ```
//!
//! Flags come from [`super::flags`], ACL categories from [`super::acl`] (only the explicit ones:
//! `@read`, `@write`, `@fast`, `@slow`, `@admin`, `@pubsub`, `@blocking` are derived from the
//! flags), key spec helpers are [`ks`], [`ksn`], [`idx`], [`kw`], [`range`], [`keynum`].
//! Subcommands are rows named `container|sub`. Rows are grouped by command group, one section
//! each; keep new rows inside their group's section.

use super::acl::*;
use super::flags::*;
use super::key_flags::*;
use super::{AclCategories, BeginSearch, CommandFlags, CommandSpec, FindKeys, Group, KeySpec};

/// A key spec.
pub const fn ks(flags: u32, begin: BeginSearch, find: FindKeys) -> KeySpec {
    KeySpec {
        notes: "",
        flags,
        begin,
        find,
    }
}

/// A key spec with notes.
pub const fn ksn(notes: &'static str, flags: u32, begin: BeginSearch, find: FindKeys) -> KeySpec {
    KeySpec {
        notes,
        flags,
        begin,
        find,
    }
}

/// Begin search at a fixed index.
pub const fn idx(i: i32) -> BeginSearch {
    BeginSearch::Index(i)
}

/// Begin search after a keyword.
pub const fn kw(keyword: &'static str, startfrom: i32) -> BeginSearch {
    BeginSearch::Keyword { keyword, startfrom }
}

/// Keys in a range.
pub const fn range(lastkey: i32, step: i32, limit: i32) -> FindKeys {
    FindKeys::Range {
        lastkey,
        step,
        limit,
    }
}

/// Key count given by an argument.
pub const fn keynum(keynumidx: i32, firstkey: i32, step: i32) -> FindKeys {
    FindKeys::KeyNum {
        keynumidx,
        firstkey,
        step,
    }
}

/// One key at index 1 with the given flags: the most common spec.
pub const fn key1(flags: u32) -> KeySpec {
    ks(flags, idx(1), range(0, 1, 0))
}

/// Keys from index 1 to the last argument (DEL, EXISTS, MGET...).
pub const fn keys_all(flags: u32) -> KeySpec {
    ks(flags, idx(1), range(-1, 1, 0))
}

macro_rules! commands {
    ($( $id:ident => $name:literal, $arity:literal, $flags:expr, $acl:expr, $group:ident,
        [$($ks:expr),* $(,)?], [$($tip:literal),* $(,)?]; )*) => {
        /// One variant per row, in table order.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        #[allow(missing_docs)]
        pub enum CommandId { $($id),* }

        /// Every row.
        pub static COMMANDS: &[CommandSpec] = &[
            $(CommandSpec {
                id: CommandId::$id,
                name: $name,
                arity: $arity,
                flags: CommandFlags($flags),
                acl: AclCategories($acl),
                group: Group::$group,
                key_specs: &[$($ks),*],
                tips: &[$($tip),*],
            }),*
        ];
    };
}

const LS: u64 = LOADING | STALE;
const ADM: u64 = ADMIN | NOSCRIPT | LOADING | STALE;
/// Cluster configuration subcommands: `admin stale no_async_loading`.
const CADM: u64 = ADMIN | STALE | NO_ASYNC_LOADING;

commands! {
// ---- connection -------------------------------------------------------------------------
    Ping => "ping", -1, FAST, CONNECTION, Connection, [],
        ["request_policy:all_shards", "response_policy:all_succeeded"];
    Echo => "echo", 2, LS | FAST, CONNECTION, Connection, [], [];
    Hello => "hello", -1, NOSCRIPT | LS | FAST | NO_AUTH | ALLOW_BUSY, CONNECTION, Connection, [], [];
    Select => "select", 2, LS | FAST, CONNECTION, Connection, [], [];
    Quit => "quit", -1, NOSCRIPT | LS | FAST | NO_AUTH | ALLOW_BUSY, CONNECTION, Connection, [], [];
    Client => "client", -2, NONE, NOCAT, Connection, [], [];
    ClientId => "client|id", 2, NOSCRIPT | LS, CONNECTION, Connection, [], [];
    ClientSetname => "client|setname", 3, NOSCRIPT | LS, CONNECTION, Connection, [], [];
    ClientGetname => "client|getname", 2, NOSCRIPT | LS, CONNECTION, Connection, [], [];
    ClientList => "client|list", -2, ADM, CONNECTION, Connection, [], ["nondeterministic_output"];
    ClientInfo => "client|info", 2, NOSCRIPT | LS, CONNECTION, Connection, [], ["nondeterministic_output"];
    ClientKill => "client|kill", -3, ADM, CONNECTION, Connection, [], [];
    ClientNoEvict => "client|no-evict", 3, ADM, CONNECTION, Connection, [], [];
    // Redis 7.2 rows (7.0.15 lacks them; see tests/tests/command_info_compat.rs).
    ClientNoTouch => "client|no-touch", 3, NOSCRIPT | LS, CONNECTION, Connection, [], [];
    ClientSetinfo => "client|setinfo", 4, NOSCRIPT | LS, CONNECTION, Connection, [], [];
    ClientReply => "client|reply", 3, NOSCRIPT | LS, CONNECTION, Connection, [], [];
    ClientPause => "client|pause", -3, ADM, CONNECTION, Connection, [], [];
    ClientUnpause => "client|unpause", 2, ADM, CONNECTION, Connection, [], [];
    ClientUnblock => "client|unblock", -3, ADM, CONNECTION, Connection, [], [];
    ClientHelp => "client|help", 2, LS, CONNECTION, Connection, [], [];
    Auth => "auth", -2, NOSCRIPT | LS | FAST | NO_AUTH | ALLOW_BUSY, CONNECTION, Connection, [], [];
    Reset => "reset", 1, NOSCRIPT | LS | FAST | NO_AUTH | ALLOW_BUSY, CONNECTION, Connection, [], [];
// ---- end connection ---------------------------------------------------------------------

// ---- server -----------------------------------------------------------------------------
    Command => "command", -1, LS, CONNECTION, Server, [], ["nondeterministic_output_order"];
    CommandCount => "command|count", 2, LS, CONNECTION, Server, [], [];
    CommandInfo => "command|info", -2, LS, CONNECTION, Server, [], ["nondeterministic_output_order"];
    CommandList => "command|list", -2, LS, CONNECTION, Server, [], ["nondeterministic_output_order"];
    CommandGetkeys => "command|getkeys", -4, LS, CONNECTION, Server, [], [];
    CommandGetkeysandflags => "command|getkeysandflags", -4, LS, CONNECTION, Server, [], [];
    CommandDocs => "command|docs", -2, LS, CONNECTION, Server, [], ["nondeterministic_output_order"];
    CommandHelp => "command|help", 2, LS, CONNECTION, Server, [], [];
    Config => "config", -2, NONE, NOCAT, Server, [], [];
    ConfigGet => "config|get", -3, ADM, NOCAT, Server, [], [];
    ConfigSet => "config|set", -4, ADM, NOCAT, Server, [],
        ["request_policy:all_nodes", "response_policy:all_succeeded"];
    ConfigResetstat => "config|resetstat", 2, ADM, NOCAT, Server, [], [];
    ConfigRewrite => "config|rewrite", 2, ADM, NOCAT, Server, [], [];
    ConfigHelp => "config|help", 2, LS, NOCAT, Server, [], [];
    Info => "info", -1, LS, DANGEROUS, Server, [],
        ["nondeterministic_output", "request_policy:all_shards", "response_policy:special"];
    Dbsize => "dbsize", 1, READONLY | FAST, KEYSPACE, Server, [], ["request_policy:all_shards", "response_policy:agg_sum"];
    Flushall => "flushall", -1, WRITE, KEYSPACE | DANGEROUS, Server, [],
        ["request_policy:all_shards", "response_policy:all_succeeded"];
    Flushdb => "flushdb", -1, WRITE, KEYSPACE | DANGEROUS, Server, [],
        ["request_policy:all_shards", "response_policy:all_succeeded"];
    Time => "time", 1, LS | FAST, NOCAT, Server, [], ["nondeterministic_output"];
    Shutdown => "shutdown", -1, ADM | NO_MULTI | ALLOW_BUSY, NOCAT, Server, [], [];
    Lastsave => "lastsave", 1, LS | FAST, ADMIN_CAT | DANGEROUS, Server, [], ["nondeterministic_output"];
    Monitor => "monitor", 1, ADM, NOCAT, Server, [], [];
    Slowlog => "slowlog", -2, NONE, NOCAT, Server, [], [];
    SlowlogGet => "slowlog|get", -2, ADMIN | LS, NOCAT, Server, [],
        ["request_policy:all_nodes", "nondeterministic_output"];
    SlowlogLen => "slowlog|len", 2, ADMIN | LS, NOCAT, Server, [],
        ["request_policy:all_nodes", "response_policy:agg_sum", "nondeterministic_output"];
    SlowlogReset => "slowlog|reset", 2, ADMIN | LS, NOCAT, Server, [],
        ["request_policy:all_nodes", "response_policy:all_succeeded"];
    SlowlogHelp => "slowlog|help", 2, LS, NOCAT, Server, [], [];
    Debug => "debug", -2, ADM, NOCAT, Server, [], [];
    Memory => "memory", -2, NONE, NOCAT, Server, [], [];
    MemoryDoctor => "memory|doctor", 2, NONE, NOCAT, Server, [],
        ["nondeterministic_output", "request_policy:all_shards", "response_policy:special"];
    MemoryHelp => "memory|help", 2, LS, NOCAT, Server, [], [];
    MemoryMallocStats => "memory|malloc-stats", 2, NONE, NOCAT, Server, [],
        ["nondeterministic_output", "request_policy:all_shards", "response_policy:special"];
    MemoryStats => "memory|stats", 2, NONE, NOCAT, Server, [],
        ["nondeterministic_output", "request_policy:all_shards", "response_policy:special"];
    MemoryUsage => "memory|usage", -3, READONLY, NOCAT, Server,
        [ks(RO, idx(2), range(0, 1, 0))], [];
// ---- end server -------------------------------------------------------------------------

// ---- generic (keyspace) -----------------------------------------------------------------
    Del => "del", -2, WRITE, KEYSPACE, Generic, [keys_all(RM | DELETE)],
        ["request_policy:multi_shard", "response_policy:agg_sum"];
    Unlink => "unlink", -2, WRITE | FAST, KEYSPACE, Generic, [keys_all(RM | DELETE)],
        ["request_policy:multi_shard", "response_policy:agg_sum"];
    Exists => "exists", -2, READONLY | FAST, KEYSPACE, Generic, [keys_all(RO)],
        ["request_policy:multi_shard", "response_policy:agg_sum"];
    Type => "type", 2, READONLY | FAST, KEYSPACE, Generic, [key1(RO)], [];
    Keys => "keys", 2, READONLY, KEYSPACE | DANGEROUS, Generic, [],
        ["request_policy:all_shards", "nondeterministic_output_order"];
    Expire => "expire", -3, WRITE | FAST, KEYSPACE, Generic, [key1(RW | UPDATE)], [];
    Pexpire => "pexpire", -3, WRITE | FAST, KEYSPACE, Generic, [key1(RW | UPDATE)], [];
    Ttl => "ttl", 2, READONLY | FAST, KEYSPACE, Generic, [key1(RO | ACCESS)], ["nondeterministic_output"];
    Pttl => "pttl", 2, READONLY | FAST, KEYSPACE, Generic, [key1(RO | ACCESS)], ["nondeterministic_output"];
    Persist => "persist", 2, WRITE | FAST, KEYSPACE, Generic, [key1(RW | UPDATE)], [];
    Expireat => "expireat", -3, WRITE | FAST, KEYSPACE, Generic, [key1(RW | UPDATE)], [];
    Pexpireat => "pexpireat", -3, WRITE | FAST, KEYSPACE, Generic, [key1(RW | UPDATE)], [];
    Expiretime => "expiretime", 2, READONLY | FAST, KEYSPACE, Generic, [key1(RO | ACCESS)], [];
    Pexpiretime => "pexpiretime", 2, READONLY | FAST, KEYSPACE, Generic, [key1(RO | ACCESS)], [];
    Rename => "rename", 3, WRITE, KEYSPACE, Generic,
        [key1(RW | ACCESS | DELETE), ks(OW | UPDATE, idx(2), range(0, 1, 0))], [];
    Renamenx => "renamenx", 3, WRITE | FAST, KEYSPACE, Generic,
        [key1(RW | ACCESS | DELETE), ks(OW | INSERT, idx(2), range(0, 1, 0))], [];
    Copy => "copy", -3, WRITE | DENYOOM, KEYSPACE, Generic,
        [key1(RO | ACCESS), ks(OW | UPDATE, idx(2), range(0, 1, 0))], [];
    Move => "move", 3, WRITE | FAST, KEYSPACE, Generic, [key1(RW | ACCESS | UPDATE)], [];
    Swapdb => "swapdb", 3, WRITE | FAST, KEYSPACE | DANGEROUS, Server, [], [];
    Scan => "scan", -2, READONLY, KEYSPACE, Generic, [],
        ["nondeterministic_output", "request_policy:special"];
    Randomkey => "randomkey", 1, READONLY, KEYSPACE, Generic, [],
        ["request_policy:all_shards", "nondeterministic_output"];
    Touch => "touch", -2, READONLY | FAST, KEYSPACE, Generic, [keys_all(RO)],
        ["request_policy:multi_shard", "response_policy:agg_sum"];
    Object => "object", -2, NONE, NOCAT, Generic, [], [];
    ObjectEncoding => "object|encoding", 3, READONLY, KEYSPACE, Generic,
        [ks(RO, idx(2), range(0, 1, 0))], ["nondeterministic_output"];
    ObjectFreq => "object|freq", 3, READONLY, KEYSPACE, Generic,
        [ks(RO, idx(2), range(0, 1, 0))], ["nondeterministic_output"];
    ObjectIdletime => "object|idletime", 3, READONLY, KEYSPACE, Generic,
        [ks(RO, idx(2), range(0, 1, 0))], ["nondeterministic_output"];
    ObjectRefcount => "object|refcount", 3, READONLY, KEYSPACE, Generic,
        [ks(RO, idx(2), range(0, 1, 0))], ["nondeterministic_output"];
    ObjectHelp => "object|help", 2, LS, KEYSPACE, Generic, [], [];
    Dump => "dump", 2, READONLY, KEYSPACE, Generic, [key1(RO | ACCESS)],
        ["nondeterministic_output"];
    Restore => "restore", -4, WRITE | DENYOOM, KEYSPACE | DANGEROUS, Generic,
        [key1(OW | UPDATE)], [];
// ---- end generic ------------------------------------------------------------------------

// ---- string -----------------------------------------------------------------------------
    Get => "get", 2, READONLY | FAST, STRING, String, [key1(RO | ACCESS)], [];
    Set => "set", -3, WRITE | DENYOOM, STRING, String,
        [ksn("RW and ACCESS due to the optional `GET` argument",
             RW | ACCESS | UPDATE | VARIABLE_FLAGS, idx(1), range(0, 1, 0))], [];
    Setnx => "setnx", 3, WRITE | DENYOOM | FAST, STRING, String, [key1(OW | INSERT)], [];
    Setex => "setex", 4, WRITE | DENYOOM, STRING, String, [key1(OW | UPDATE)], [];
    Mget => "mget", -2, READONLY | FAST, STRING, String, [keys_all(RO | ACCESS)],
        ["request_policy:multi_shard"];
    Mset => "mset", -3, WRITE | DENYOOM, STRING, String, [ks(OW | UPDATE, idx(1), range(-1, 2, 0))],
        ["request_policy:multi_shard", "response_policy:all_succeeded"];
    Incr => "incr", 2, WRITE | DENYOOM | FAST, STRING, String, [key1(RW | ACCESS | UPDATE)], [];
    Decr => "decr", 2, WRITE | DENYOOM | FAST, STRING, String, [key1(RW | ACCESS | UPDATE)], [];
    Incrby => "incrby", 3, WRITE | DENYOOM | FAST, STRING, String, [key1(RW | ACCESS | UPDATE)], [];
    Decrby => "decrby", 3, WRITE | DENYOOM | FAST, STRING, String, [key1(RW | ACCESS | UPDATE)], [];
    Append => "append", 3, WRITE | DENYOOM | FAST, STRING, String, [key1(RW | INSERT)], [];
    Strlen => "strlen", 2, READONLY | FAST, STRING, String, [key1(RO)], [];
    Getset => "getset", 3, WRITE | DENYOOM | FAST, STRING, String,
        [key1(RW | ACCESS | UPDATE)], [];
    Getdel => "getdel", 2, WRITE | FAST, STRING, String, [key1(RW | ACCESS | DELETE)], [];
    Getex => "getex", -2, WRITE | FAST, STRING, String,
        [ksn("RW and UPDATE because it changes the TTL", RW | ACCESS | UPDATE, idx(1),
             range(0, 1, 0))], [];
    Msetnx => "msetnx", -3, WRITE | DENYOOM, STRING, String,
        [ks(OW | INSERT, idx(1), range(-1, 2, 0))],
        ["request_policy:multi_shard", "response_policy:agg_min"];
    Psetex => "psetex", 4, WRITE | DENYOOM, STRING, String, [key1(OW | UPDATE)], [];
    Incrbyfloat => "incrbyfloat", 3, WRITE | DENYOOM | FAST, STRING, String,
        [key1(RW | ACCESS | UPDATE)], [];
    Getrange => "getrange", 4, READONLY, STRING, String, [key1(RO | ACCESS)], [];
    Substr => "substr", 4, READONLY, STRING, String, [key1(RO | ACCESS)], [];
    Setrange => "setrange", 4, WRITE | DENYOOM, STRING, String, [key1(RW | UPDATE)], [];
    Lcs => "lcs", -3, READONLY, STRING, String, [ks(RO | ACCESS, idx(1), range(1, 1, 0))], [];
// ---- end string -------------------------------------------------------------------------

// ---- bitmap -----------------------------------------------------------------------------
    Setbit => "setbit", 4, WRITE | DENYOOM, BITMAP, Bitmap, [key1(RW | ACCESS | UPDATE)], [];
    Getbit => "getbit", 3, READONLY | FAST, BITMAP, Bitmap, [key1(RO | ACCESS)], [];
    Bitcount => "bitcount", -2, READONLY, BITMAP, Bitmap, [key1(RO | ACCESS)], [];
    Bitpos => "bitpos", -3, READONLY, BITMAP, Bitmap, [key1(RO | ACCESS)], [];
    Bitop => "bitop", -4, WRITE | DENYOOM, BITMAP, Bitmap,
        [ks(OW | UPDATE, idx(2), range(0, 1, 0)), ks(RO | ACCESS, idx(3), range(-1, 1, 0))], [];
    Bitfield => "bitfield", -2, WRITE | DENYOOM, BITMAP, Bitmap,
        [ksn("This command allows both access and modification of the key",
             RW | ACCESS | UPDATE | VARIABLE_FLAGS, idx(1), range(0, 1, 0))], [];
    BitfieldRo => "bitfield_ro", -2, READONLY | FAST, BITMAP, Bitmap, [key1(RO | ACCESS)], [];
// ---- end bitmap -------------------------------------------------------------------------

// ---- hyperloglog ------------------------------------------------------------------------
    Pfadd => "pfadd", -2, WRITE | DENYOOM | FAST, HYPERLOGLOG, Hyperloglog,
        [key1(RW | INSERT)], [];
    Pfcount => "pfcount", -2, READONLY | MAY_REPLICATE, HYPERLOGLOG, Hyperloglog,
        [ksn("RW because it may change the internal representation of the key, and propagate to replicas",
             RW | ACCESS, idx(1), range(-1, 1, 0))], [];
    Pfmerge => "pfmerge", -2, WRITE | DENYOOM, HYPERLOGLOG, Hyperloglog,
        [ks(RW | ACCESS | INSERT, idx(1), range(0, 1, 0)), ks(RO | ACCESS, idx(2), range(-1, 1, 0))],
        [];
    Pfdebug => "pfdebug", 3, WRITE | DENYOOM | ADMIN, HYPERLOGLOG, Hyperloglog,
        [ks(RW | ACCESS, idx(2), range(0, 1, 0))], [];
    Pfselftest => "pfselftest", 1, ADMIN, HYPERLOGLOG, Hyperloglog, [], [];
// ---- end hyperloglog --------------------------------------------------------------------

// ---- hash -------------------------------------------------------------------------------
    Hset => "hset", -4, WRITE | DENYOOM | FAST, HASH, Hash, [key1(RW | UPDATE)], [];
    Hsetnx => "hsetnx", 4, WRITE | DENYOOM | FAST, HASH, Hash, [key1(RW | INSERT)], [];
    Hget => "hget", 3, READONLY | FAST, HASH, Hash, [key1(RO | ACCESS)], [];
    Hmset => "hmset", -4, WRITE | DENYOOM | FAST, HASH, Hash, [key1(RW | UPDATE)], [];
    Hmget => "hmget", -3, READONLY | FAST, HASH, Hash, [key1(RO | ACCESS)], [];
    Hgetall => "hgetall", 2, READONLY, HASH, Hash, [key1(RO | ACCESS)], ["nondeterministic_output_order"];
    Hdel => "hdel", -3, WRITE | FAST, HASH, Hash, [key1(RW | DELETE)], [];
    Hlen => "hlen", 2, READONLY | FAST, HASH, Hash, [key1(RO)], [];
    Hstrlen => "hstrlen", 3, READONLY | FAST, HASH, Hash, [key1(RO)], [];
    Hexists => "hexists", 3, READONLY | FAST, HASH, Hash, [key1(RO)], [];
    Hkeys => "hkeys", 2, READONLY, HASH, Hash, [key1(RO | ACCESS)], ["nondeterministic_output_order"];
    Hvals => "hvals", 2, READONLY, HASH, Hash, [key1(RO | ACCESS)], ["nondeterministic_output_order"];
    Hincrby => "hincrby", 4, WRITE | DENYOOM | FAST, HASH, Hash, [key1(RW | ACCESS | UPDATE)], [];
    Hincrbyfloat => "hincrbyfloat", 4, WRITE | DENYOOM | FAST, HASH, Hash,
        [key1(RW | ACCESS | UPDATE)], [];
    Hrandfield => "hrandfield", -2, READONLY, HASH, Hash, [key1(RO | ACCESS)], ["nondeterministic_output"];
    Hscan => "hscan", -3, READONLY, HASH, Hash, [key1(RO | ACCESS)], ["nondeterministic_output"];
// ---- end hash ---------------------------------------------------------------------------

// ---- list -------------------------------------------------------------------------------
    Lpush => "lpush", -3, WRITE | DENYOOM | FAST, LIST, List, [key1(RW | INSERT)], [];
    Rpush => "rpush", -3, WRITE | DENYOOM | FAST, LIST, List, [key1(RW | INSERT)], [];
    Lpushx => "lpushx", -3, WRITE | DENYOOM | FAST, LIST, List, [key1(RW | INSERT)], [];
    Rpushx => "rpushx", -3, WRITE | DENYOOM | FAST, LIST, List, [key1(RW | INSERT)], [];
    Lpop => "lpop", -2, WRITE | FAST, LIST, List, [key1(RW | ACCESS | DELETE)], [];
    Rpop => "rpop", -2, WRITE | FAST, LIST, List, [key1(RW | ACCESS | DELETE)], [];
    Llen => "llen", 2, READONLY | FAST, LIST, List, [key1(RO)], [];
    Lindex => "lindex", 3, READONLY, LIST, List, [key1(RO | ACCESS)], [];
    Lset => "lset", 4, WRITE | DENYOOM, LIST, List, [key1(RW | UPDATE)], [];
    Lrange => "lrange", 4, READONLY, LIST, List, [key1(RO | ACCESS)], [];
    Ltrim => "ltrim", 4, WRITE, LIST, List, [key1(RW | DELETE)], [];
    Lrem => "lrem", 4, WRITE, LIST, List, [key1(RW | DELETE)], [];
    Linsert => "linsert", 5, WRITE | DENYOOM, LIST, List, [key1(RW | INSERT)], [];
    Lpos => "lpos", -3, READONLY, LIST, List, [key1(RO | ACCESS)], [];
    Lmove => "lmove", 5, WRITE | DENYOOM, LIST, List,
        [key1(RW | ACCESS | DELETE), ks(RW | INSERT, idx(2), range(0, 1, 0))], [];
    Rpoplpush => "rpoplpush", 3, WRITE | DENYOOM, LIST, List,
        [key1(RW | ACCESS | DELETE), ks(RW | INSERT, idx(2), range(0, 1, 0))], [];
    Lmpop => "lmpop", -4, WRITE, LIST, List,
        [ks(RW | ACCESS | DELETE, idx(1), keynum(0, 1, 1))], [];
    Blpop => "blpop", -3, WRITE | NOSCRIPT | BLOCKING, LIST, List,
        [ks(RW | ACCESS | DELETE, idx(1), range(-2, 1, 0))], [];
    Brpop => "brpop", -3, WRITE | NOSCRIPT | BLOCKING, LIST, List,
        [ks(RW | ACCESS | DELETE, idx(1), range(-2, 1, 0))], [];
    Blmove => "blmove", 6, WRITE | DENYOOM | NOSCRIPT | BLOCKING, LIST, List,
        [key1(RW | ACCESS | DELETE), ks(RW | INSERT, idx(2), range(0, 1, 0))], [];
    Brpoplpush => "brpoplpush", 4, WRITE | DENYOOM | NOSCRIPT | BLOCKING, LIST, List,
        [key1(RW | ACCESS | DELETE), ks(RW | INSERT, idx(2), range(0, 1, 0))], [];
    Blmpop => "blmpop", -5, WRITE | BLOCKING, LIST, List,
        [ks(RW | ACCESS | DELETE, idx(2), keynum(0, 1, 1))], [];
// ---- end list ---------------------------------------------------------------------------

// ---- set --------------------------------------------------------------------------------
    Sadd => "sadd", -3, WRITE | DENYOOM | FAST, SET, Set, [key1(RW | INSERT)], [];
    Srem => "srem", -3, WRITE | FAST, SET, Set, [key1(RW | DELETE)], [];
    Smembers => "smembers", 2, READONLY, SET, Set, [key1(RO | ACCESS)], ["nondeterministic_output_order"];
    Sismember => "sismember", 3, READONLY | FAST, SET, Set, [key1(RO)], [];
    Smismember => "smismember", -3, READONLY | FAST, SET, Set, [key1(RO | ACCESS)], [];
    Scard => "scard", 2, READONLY | FAST, SET, Set, [key1(RO)], [];
    Spop => "spop", -2, WRITE | FAST, SET, Set, [key1(RW | ACCESS | DELETE)], ["nondeterministic_output"];
    Srandmember => "srandmember", -2, READONLY, SET, Set, [key1(RO | ACCESS)], ["nondeterministic_output"];
    Smove => "smove", 4, WRITE | FAST, SET, Set,
        [key1(RW | ACCESS | DELETE), ks(RW | INSERT, idx(2), range(0, 1, 0))], [];
    Sinter => "sinter", -2, READONLY, SET, Set, [keys_all(RO | ACCESS)], ["nondeterministic_output_order"];
    Sintercard => "sintercard", -3, READONLY, SET, Set,
        [ks(RO | ACCESS, idx(1), keynum(0, 1, 1))], [];
    Sinterstore => "sinterstore", -3, WRITE | DENYOOM, SET, Set,
        [key1(RW | UPDATE), ks(RO | ACCESS, idx(2), range(-1, 1, 0))], [];
    Sunion => "sunion", -2, READONLY, SET, Set, [keys_all(RO | ACCESS)], ["nondeterministic_output_order"];
    Sunionstore => "sunionstore", -3, WRITE | DENYOOM, SET, Set,
        [key1(OW | UPDATE), ks(RO | ACCESS, idx(2), range(-1, 1, 0))], [];
    Sdiff => "sdiff", -2, READONLY, SET, Set, [keys_all(RO | ACCESS)], ["nondeterministic_output_order"];
    Sdiffstore => "sdiffstore", -3, WRITE | DENYOOM, SET, Set,
        [key1(OW | UPDATE), ks(RO | ACCESS, idx(2), range(-1, 1, 0))], [];
    Sscan => "sscan", -3, READONLY, SET, Set, [key1(RO | ACCESS)], ["nondeterministic_output"];
// ---- end set ----------------------------------------------------------------------------

// ---- sorted set -------------------------------------------------------------------------
    Zadd => "zadd", -4, WRITE | DENYOOM | FAST, SORTEDSET, SortedSet, [key1(RW | UPDATE)], [];
    Zincrby => "zincrby", 4, WRITE | DENYOOM | FAST, SORTEDSET, SortedSet,
        [key1(RW | ACCESS | UPDATE)], [];
    Zrem => "zrem", -3, WRITE | FAST, SORTEDSET, SortedSet, [key1(RW | DELETE)], [];
    Zcard => "zcard", 2, READONLY | FAST, SORTEDSET, SortedSet, [key1(RO)], [];
    Zcount => "zcount", 4, READONLY | FAST, SORTEDSET, SortedSet, [key1(RO | ACCESS)], [];
    Zlexcount => "zlexcount", 4, READONLY | FAST, SORTEDSET, SortedSet, [key1(RO | ACCESS)], [];
    Zscore => "zscore", 3, READONLY | FAST, SORTEDSET, SortedSet, [key1(RO | ACCESS)], [];
    Zmscore => "zmscore", -3, READONLY | FAST, SORTEDSET, SortedSet, [key1(RO | ACCESS)], [];
    Zrank => "zrank", 3, READONLY | FAST, SORTEDSET, SortedSet, [key1(RO | ACCESS)], [];
    Zrevrank => "zrevrank", 3, READONLY | FAST, SORTEDSET, SortedSet, [key1(RO | ACCESS)], [];
    Zrange => "zrange", -4, READONLY, SORTEDSET, SortedSet, [key1(RO | ACCESS)], [];
    Zrangestore => "zrangestore", -5, WRITE | DENYOOM, SORTEDSET, SortedSet,
        [key1(OW | UPDATE), ks(RO | ACCESS, idx(2), range(0, 1, 0))], [];
    Zrangebyscore => "zrangebyscore", -4, READONLY, SORTEDSET, SortedSet, [key1(RO | ACCESS)], [];
    Zrevrangebyscore => "zrevrangebyscore", -4, READONLY, SORTEDSET, SortedSet,
        [key1(RO | ACCESS)], [];
    Zrangebylex => "zrangebylex", -4, READONLY, SORTEDSET, SortedSet, [key1(RO | ACCESS)], [];
    Zrevrangebylex => "zrevrangebylex", -4, READONLY, SORTEDSET, SortedSet,
        [key1(RO | ACCESS)], [];
    Zrevrange => "zrevrange", -4, READONLY, SORTEDSET, SortedSet, [key1(RO | ACCESS)], [];
    Zremrangebyrank => "zremrangebyrank", 4, WRITE, SORTEDSET, SortedSet, [key1(RW | DELETE)], [];
    Zremrangebyscore => "zremrangebyscore", 4, WRITE, SORTEDSET, SortedSet,
        [key1(RW | DELETE)], [];
    Zremrangebylex => "zremrangebylex", 4, WRITE, SORTEDSET, SortedSet, [key1(RW | DELETE)], [];
    Zpopmin => "zpopmin", -2, WRITE | FAST, SORTEDSET, SortedSet, [key1(RW | ACCESS | DELETE)], [];
    Zpopmax => "zpopmax", -2, WRITE | FAST, SORTEDSET, SortedSet, [key1(RW | ACCESS | DELETE)], [];
    Zmpop => "zmpop", -4, WRITE, SORTEDSET, SortedSet,
        [ks(RW | ACCESS | DELETE, idx(1), keynum(0, 1, 1))], [];
    Zrandmember => "zrandmember", -2, READONLY, SORTEDSET, SortedSet, [key1(RO | ACCESS)],
        ["nondeterministic_output"];
    Zunion => "zunion", -3, READONLY, SORTEDSET, SortedSet,
        [ks(RO | ACCESS, idx(1), keynum(0, 1, 1))], [];
    Zinter => "zinter", -3, READONLY, SORTEDSET, SortedSet,
        [ks(RO | ACCESS, idx(1), keynum(0, 1, 1))], [];
    Zdiff => "zdiff", -3, READONLY, SORTEDSET, SortedSet,
        [ks(RO | ACCESS, idx(1), keynum(0, 1, 1))], [];
    Zunionstore => "zunionstore", -4, WRITE | DENYOOM, SORTEDSET, SortedSet,
        [key1(OW | UPDATE), ks(RO | ACCESS, idx(2), keynum(0, 1, 1))], [];
    Zinterstore => "zinterstore", -4, WRITE | DENYOOM, SORTEDSET, SortedSet,
        [key1(OW | UPDATE), ks(RO | ACCESS, idx(2), keynum(0, 1, 1))], [];
    Zdiffstore => "zdiffstore", -4, WRITE | DENYOOM, SORTEDSET, SortedSet,
        [key1(OW | UPDATE), ks(RO | ACCESS, idx(2), keynum(0, 1, 1))], [];
    Zintercard => "zintercard", -3, READONLY, SORTEDSET, SortedSet,
        [ks(RO | ACCESS, idx(1), keynum(0, 1, 1))], [];
    Zscan => "zscan", -3, READONLY, SORTEDSET, SortedSet, [key1(RO | ACCESS)],
        ["nondeterministic_output"];
    Bzpopmin => "bzpopmin", -3, WRITE | NOSCRIPT | BLOCKING | FAST, SORTEDSET, SortedSet,
        [ks(RW | ACCESS | DELETE, idx(1), range(-2, 1, 0))], [];
    Bzpopmax => "bzpopmax", -3, WRITE | NOSCRIPT | BLOCKING | FAST, SORTEDSET, SortedSet,
        [ks(RW | ACCESS | DELETE, idx(1), range(-2, 1, 0))], [];
    Bzmpop => "bzmpop", -5, WRITE | BLOCKING, SORTEDSET, SortedSet,
        [ks(RW | ACCESS | DELETE, idx(2), keynum(0, 1, 1))], [];
    Sort => "sort", -2, WRITE | DENYOOM, SET | SORTEDSET | LIST | DANGEROUS, Generic,
        [key1(RO | ACCESS),
         ksn("For the optional BY/GET keyword. It is marked 'unknown' because the key names \
derive from the content of the key we sort", RO | ACCESS, BeginSearch::Unknown, FindKeys::Unknown),
         ksn("For the optional STORE keyword. It is marked 'unknown' because the keyword can \
appear anywhere in the argument array", OW | UPDATE, BeginSearch::Unknown, FindKeys::Unknown)],
        [];
    SortRo => "sort_ro", -2, READONLY, SET | SORTEDSET | LIST | DANGEROUS, Generic,
        [key1(RO | ACCESS),
         ksn("For the optional BY/GET keyword. It is marked 'unknown' because the key names \
derive from the content of the key we sort", RO | ACCESS, BeginSearch::Unknown, FindKeys::Unknown)],
        [];
// ---- end sorted set ---------------------------------------------------------------------

// ---- geo --------------------------------------------------------------------------------
    Geoadd => "geoadd", -5, WRITE | DENYOOM, GEO, Geo, [key1(RW | UPDATE)], [];
    Geopos => "geopos", -2, READONLY, GEO, Geo, [key1(RO | ACCESS)], [];
    Geodist => "geodist", -4, READONLY, GEO, Geo, [key1(RO | ACCESS)], [];
    Geohash => "geohash", -2, READONLY, GEO, Geo, [key1(RO | ACCESS)], [];
    Geosearch => "geosearch", -7, READONLY, GEO, Geo, [key1(RO | ACCESS)], [];
    Geosearchstore => "geosearchstore", -8, WRITE | DENYOOM, GEO, Geo,
        [key1(OW | UPDATE), ks(RO | ACCESS, idx(2), range(0, 1, 0))], [];
    Georadius => "georadius", -6, WRITE | DENYOOM, GEO, Geo,
        [key1(RO | ACCESS), ks(OW | UPDATE, kw("STORE", 6), range(0, 1, 0)),
         ks(OW | UPDATE, kw("STOREDIST", 6), range(0, 1, 0))], [];
    GeoradiusRo => "georadius_ro", -6, READONLY, GEO, Geo, [key1(RO | ACCESS)], [];
    Georadiusbymember => "georadiusbymember", -5, WRITE | DENYOOM, GEO, Geo,
        [key1(RO | ACCESS), ks(OW | UPDATE, kw("STORE", 5), range(0, 1, 0)),
         ks(OW | UPDATE, kw("STOREDIST", 5), range(0, 1, 0))], [];
    GeoradiusbymemberRo => "georadiusbymember_ro", -5, READONLY, GEO, Geo, [key1(RO | ACCESS)],
        [];
// ---- end geo ----------------------------------------------------------------------------

// ---- stream -----------------------------------------------------------------------------
    Xadd => "xadd", -5, WRITE | DENYOOM | FAST, STREAM, Stream,
        [ksn("UPDATE instead of INSERT because of the optional trimming feature", RW | UPDATE,
             idx(1), range(0, 1, 0))], ["nondeterministic_output"];
    Xlen => "xlen", 2, READONLY | FAST, STREAM, Stream, [key1(RO)], [];
    Xrange => "xrange", -4, READONLY, STREAM, Stream, [key1(RO | ACCESS)], [];
    Xrevrange => "xrevrange", -4, READONLY, STREAM, Stream, [key1(RO | ACCESS)], [];
    Xdel => "xdel", -3, WRITE | FAST, STREAM, Stream, [key1(RW | DELETE)], [];
    Xtrim => "xtrim", -4, WRITE, STREAM, Stream, [key1(RW | DELETE)], ["nondeterministic_output"];
    Xsetid => "xsetid", -3, WRITE | DENYOOM | FAST, STREAM, Stream, [key1(RW | UPDATE)], [];
    Xread => "xread", -4, READONLY | BLOCKING, STREAM, Stream,
        [ks(RO | ACCESS, kw("STREAMS", 1), range(-1, 1, 2))], [];
    Xinfo => "xinfo", -2, NONE, NOCAT, Stream, [], [];
    XinfoStream => "xinfo|stream", -3, READONLY, STREAM, Stream,
        [ks(RO | ACCESS, idx(2), range(0, 1, 0))], [];
    XinfoHelp => "xinfo|help", 2, LS, STREAM, Stream, [], [];
    XinfoGroups => "xinfo|groups", 3, READONLY, STREAM, Stream,
        [ks(RO | ACCESS, idx(2), range(0, 1, 0))], [];
    XinfoConsumers => "xinfo|consumers", 4, READONLY, STREAM, Stream,
        [ks(RO | ACCESS, idx(2), range(0, 1, 0))], ["nondeterministic_output"];
    Xgroup => "xgroup", -2, NONE, NOCAT, Stream, [], [];
    XgroupCreate => "xgroup|create", -5, WRITE | DENYOOM, STREAM, Stream,
        [ks(RW | INSERT, idx(2), range(0, 1, 0))], [];
    XgroupSetid => "xgroup|setid", -5, WRITE, STREAM, Stream,
        [ks(RW | UPDATE, idx(2), range(0, 1, 0))], [];
    XgroupDestroy => "xgroup|destroy", 4, WRITE, STREAM, Stream,
        [ks(RW | DELETE, idx(2), range(0, 1, 0))], [];
    XgroupCreateconsumer => "xgroup|createconsumer", 5, WRITE | DENYOOM, STREAM, Stream,
        [ks(RW | INSERT, idx(2), range(0, 1, 0))], [];
    XgroupDelconsumer => "xgroup|delconsumer", 5, WRITE, STREAM, Stream,
        [ks(RW | DELETE, idx(2), range(0, 1, 0))], [];
    XgroupHelp => "xgroup|help", 2, LS, STREAM, Stream, [], [];
    Xreadgroup => "xreadgroup", -7, WRITE | BLOCKING, STREAM, Stream,
        [ks(RO | ACCESS, kw("STREAMS", 4), range(-1, 1, 2))], [];
    Xack => "xack", -4, WRITE | FAST, STREAM, Stream, [key1(RW | UPDATE)], [];
    Xpending => "xpending", -3, READONLY, STREAM, Stream, [key1(RO | ACCESS)],
        ["nondeterministic_output"];
    Xclaim => "xclaim", -6, WRITE | FAST, STREAM, Stream, [key1(RW | UPDATE)],
        ["nondeterministic_output"];
    Xautoclaim => "xautoclaim", -6, WRITE | FAST, STREAM, Stream, [key1(RW | DELETE)],
        ["nondeterministic_output"];
// ---- end stream -------------------------------------------------------------------------

// ---- pubsub -----------------------------------------------------------------------------
    Subscribe => "subscribe", -2, PUBSUB | NOSCRIPT | LS, NOCAT, Pubsub, [], [];
    Unsubscribe => "unsubscribe", -1, PUBSUB | NOSCRIPT | LS, NOCAT, Pubsub, [], [];
    Psubscribe => "psubscribe", -2, PUBSUB | NOSCRIPT | LS, NOCAT, Pubsub, [], [];
    Punsubscribe => "punsubscribe", -1, PUBSUB | NOSCRIPT | LS, NOCAT, Pubsub, [], [];
    Publish => "publish", 3, PUBSUB | LS | FAST | MAY_REPLICATE, NOCAT, Pubsub, [], [];
    Pubsub => "pubsub", -2, NONE, NOCAT, Pubsub, [], [];
    PubsubChannels => "pubsub|channels", -2, PUBSUB | LS, NOCAT, Pubsub, [], [];
    PubsubNumsub => "pubsub|numsub", -2, PUBSUB | LS, NOCAT, Pubsub, [], [];
    PubsubNumpat => "pubsub|numpat", 2, PUBSUB | LS, NOCAT, Pubsub, [], [];
    PubsubShardchannels => "pubsub|shardchannels", -2, PUBSUB | LS, NOCAT, Pubsub, [], [];
    PubsubShardnumsub => "pubsub|shardnumsub", -2, PUBSUB | LS, NOCAT, Pubsub, [], [];
    PubsubHelp => "pubsub|help", 2, LS, NOCAT, Pubsub, [], [];
    Ssubscribe => "ssubscribe", -2, PUBSUB | NOSCRIPT | LS, NOCAT, Pubsub,
        [ks(NOT_KEY, idx(1), range(-1, 1, 0))], [];
    Sunsubscribe => "sunsubscribe", -1, PUBSUB | NOSCRIPT | LS, NOCAT, Pubsub,
        [ks(NOT_KEY, idx(1), range(-1, 1, 0))], [];
    Spublish => "spublish", 3, PUBSUB | LS | FAST | MAY_REPLICATE, NOCAT, Pubsub, [key1(NOT_KEY)], [];
// ---- end pubsub -------------------------------------------------------------------------

// ---- transactions -----------------------------------------------------------------------
    Multi => "multi", 1, NOSCRIPT | LS | FAST | ALLOW_BUSY, TRANSACTION, Transactions, [], [];
    Exec => "exec", 1, NOSCRIPT | LS | SKIP_SLOWLOG, TRANSACTION, Transactions, [], [];
    Discard => "discard", 1, NOSCRIPT | LS | FAST | ALLOW_BUSY, TRANSACTION, Transactions, [], [];
    Watch => "watch", -2, NOSCRIPT | LS | FAST | ALLOW_BUSY, TRANSACTION, Transactions,
        [keys_all(RO)], [];
    Unwatch => "unwatch", 1, NOSCRIPT | LS | FAST | ALLOW_BUSY, TRANSACTION, Transactions, [], [];
// ---- end transactions -------------------------------------------------------------------

// ---- cluster ----------------------------------------------------------------------------
    Asking => "asking", 1, FAST, CONNECTION, Cluster, [], [];
    Readonly => "readonly", 1, LS | FAST, CONNECTION, Cluster, [], [];
    Readwrite => "readwrite", 1, LS | FAST, CONNECTION, Cluster, [], [];
    Cluster => "cluster", -2, NONE, NOCAT, Cluster, [], [];
    ClusterAddslots => "cluster|addslots", -3, CADM, NOCAT, Cluster, [], [];
    ClusterAddslotsrange => "cluster|addslotsrange", -4, CADM, NOCAT, Cluster, [], [];
    ClusterBumpepoch => "cluster|bumpepoch", 2, CADM, NOCAT, Cluster, [], ["nondeterministic_output"];
    ClusterCountFailureReports => "cluster|count-failure-reports", 3, ADMIN | STALE, NOCAT, Cluster, [],
        ["nondeterministic_output"];
    ClusterCountkeysinslot => "cluster|countkeysinslot", 3, STALE, NOCAT, Cluster, [], [];
    ClusterDelslots => "cluster|delslots", -3, CADM, NOCAT, Cluster, [], [];
    ClusterDelslotsrange => "cluster|delslotsrange", -4, CADM, NOCAT, Cluster, [], [];
    ClusterFlushslots => "cluster|flushslots", 2, CADM, NOCAT, Cluster, [], [];
    ClusterForget => "cluster|forget", 3, CADM, NOCAT, Cluster, [], [];
    ClusterGetkeysinslot => "cluster|getkeysinslot", 4, STALE, NOCAT, Cluster, [],
        ["nondeterministic_output"];
    ClusterInfo => "cluster|info", 2, STALE, NOCAT, Cluster, [], ["nondeterministic_output"];
    ClusterKeyslot => "cluster|keyslot", 3, STALE, NOCAT, Cluster, [], [];
    ClusterLinks => "cluster|links", 2, STALE, NOCAT, Cluster, [], ["nondeterministic_output"];
    ClusterMeet => "cluster|meet", -4, CADM, NOCAT, Cluster, [], [];
    ClusterMyid => "cluster|myid", 2, STALE, NOCAT, Cluster, [], [];
    // Redis 7.2 (7.0.15 lacks it; see tests/tests/command_info_compat.rs).
    ClusterMyshardid => "cluster|myshardid", 2, STALE, NOCAT, Cluster, [], ["nondeterministic_output"];
    ClusterNodes => "cluster|nodes", 2, STALE, NOCAT, Cluster, [], ["nondeterministic_output"];
    ClusterReset => "cluster|reset", -2, ADMIN | NOSCRIPT | STALE, NOCAT, Cluster, [], [];
    ClusterSaveconfig => "cluster|saveconfig", 2, CADM, NOCAT, Cluster, [], [];
    ClusterSetConfigEpoch => "cluster|set-config-epoch", 3, CADM, NOCAT, Cluster, [], [];
    ClusterSetslot => "cluster|setslot", -4, CADM, NOCAT, Cluster, [], [];
    ClusterShards => "cluster|shards", 2, STALE, NOCAT, Cluster, [], ["nondeterministic_output"];
    ClusterSlots => "cluster|slots", 2, STALE, NOCAT, Cluster, [], ["nondeterministic_output"];
    ClusterReplicate => "cluster|replicate", 3, CADM, NOCAT, Cluster, [], [];
    ClusterReplicas => "cluster|replicas", 3, ADMIN | STALE, NOCAT, Cluster, [], ["nondeterministic_output"];
    ClusterSlaves => "cluster|slaves", 3, ADMIN | STALE, NOCAT, Cluster, [], ["nondeterministic_output"];
    ClusterFailover => "cluster|failover", -2, CADM, NOCAT, Cluster, [], [];
    Migrate => "migrate", -6, WRITE, KEYSPACE | DANGEROUS, Generic,
        [ks(RW | ACCESS | DELETE, idx(3), range(0, 1, 0)),
         ks(RW | ACCESS | DELETE | INCOMPLETE, kw("KEYS", -2), range(-1, 1, 0))],
        ["nondeterministic_output"];
    RestoreAsking => "restore-asking", -4, WRITE | DENYOOM | ASKING, KEYSPACE | DANGEROUS, Server,
        [key1(OW | UPDATE)], [];
// ---- end cluster ------------------------------------------------------------------------

// ---- replication ------------------------------------------------------------------------
    Replicaof => "replicaof", 3, ADMIN | NOSCRIPT | STALE | NO_ASYNC_LOADING, NOCAT, Server, [], [];
    Slaveof => "slaveof", 3, ADMIN | NOSCRIPT | STALE | NO_ASYNC_LOADING, NOCAT, Server, [], [];
    Psync => "psync", -3, ADMIN | NOSCRIPT | NO_ASYNC_LOADING | NO_MULTI, NOCAT, Server, [], [];
    Sync => "sync", 1, ADMIN | NOSCRIPT | NO_ASYNC_LOADING | NO_MULTI, NOCAT, Server, [], [];
    Replconf => "replconf", -1, ADM | ALLOW_BUSY, NOCAT, Server, [], [];
    Wait => "wait", 3, NOSCRIPT, CONNECTION, Generic, [],
        ["request_policy:all_shards", "response_policy:agg_min"];
    Role => "role", 1, NOSCRIPT | LS | FAST, ADMIN_CAT | DANGEROUS, Server, [], [];
// ---- end replication --------------------------------------------------------------------

// ---- scripting --------------------------------------------------------------------------
    Eval => "eval", -3, NOSCRIPT | STALE | SKIP_MONITOR | NO_MANDATORY_KEYS, SCRIPTING, Scripting,
        [ksn("We cannot tell how the keys will be used so we assume the worst, RW and UPDATE",
            RW | ACCESS | UPDATE, idx(2), keynum(0, 1, 1))], [];
    Evalsha => "evalsha", -3, NOSCRIPT | STALE | SKIP_MONITOR | NO_MANDATORY_KEYS, SCRIPTING,
        Scripting, [ks(RW | ACCESS | UPDATE, idx(2), keynum(0, 1, 1))], [];
    EvalRo => "eval_ro", -3, READONLY | NOSCRIPT | STALE | SKIP_MONITOR | NO_MANDATORY_KEYS,
        SCRIPTING, Scripting,
        [ksn("We cannot tell how the keys will be used so we assume the worst, RO and ACCESS",
            RO | ACCESS, idx(2), keynum(0, 1, 1))], [];
    EvalshaRo => "evalsha_ro", -3, READONLY | NOSCRIPT | STALE | SKIP_MONITOR | NO_MANDATORY_KEYS,
        SCRIPTING, Scripting, [ks(RO | ACCESS, idx(2), keynum(0, 1, 1))], [];
    Script => "script", -2, NONE, NOCAT, Scripting, [], [];
    ScriptExists => "script|exists", -3, NOSCRIPT, SCRIPTING, Scripting, [],
        ["request_policy:all_shards", "response_policy:agg_logical_and"];
    ScriptFlush => "script|flush", -2, NOSCRIPT, SCRIPTING, Scripting, [],
        ["request_policy:all_nodes", "response_policy:all_succeeded"];
    ScriptHelp => "script|help", 2, LS, SCRIPTING, Scripting, [], [];
    ScriptKill => "script|kill", 2, NOSCRIPT | ALLOW_BUSY, SCRIPTING, Scripting, [],
        ["request_policy:all_shards", "response_policy:one_succeeded"];
    ScriptLoad => "script|load", 3, NOSCRIPT | STALE, SCRIPTING, Scripting, [],
        ["request_policy:all_nodes", "response_policy:all_succeeded"];
    Fcall => "fcall", -3, NOSCRIPT | STALE | SKIP_MONITOR | NO_MANDATORY_KEYS, SCRIPTING, Scripting,
        [ksn("We cannot tell how the keys will be used so we assume the worst, RW and UPDATE",
            RW | ACCESS | UPDATE, idx(2), keynum(0, 1, 1))], [];
    FcallRo => "fcall_ro", -3, READONLY | NOSCRIPT | STALE | SKIP_MONITOR | NO_MANDATORY_KEYS,
        SCRIPTING, Scripting,
        [ksn("We cannot tell how the keys will be used so we assume the worst, RO and ACCESS",
            RO | ACCESS, idx(2), keynum(0, 1, 1))], [];
    Function => "function", -2, NONE, NOCAT, Scripting, [], [];
    FunctionDelete => "function|delete", 3, WRITE | NOSCRIPT, SCRIPTING, Scripting, [],
        ["request_policy:all_shards", "response_policy:all_succeeded"];
    FunctionDump => "function|dump", 2, NOSCRIPT, SCRIPTING, Scripting, [], [];
    FunctionFlush => "function|flush", -2, WRITE | NOSCRIPT, SCRIPTING, Scripting, [],
        ["request_policy:all_shards", "response_policy:all_succeeded"];
    FunctionHelp => "function|help", 2, LS, SCRIPTING, Scripting, [], [];
    FunctionKill => "function|kill", 2, NOSCRIPT | ALLOW_BUSY, SCRIPTING, Scripting, [],
        ["request_policy:all_shards", "response_policy:one_succeeded"];
    FunctionList => "function|list", -2, NOSCRIPT, SCRIPTING, Scripting, [],
        ["nondeterministic_output_order"];
    FunctionLoad => "function|load", -3, WRITE | DENYOOM | NOSCRIPT, SCRIPTING, Scripting, [],
        ["request_policy:all_shards", "response_policy:all_succeeded"];
    FunctionRestore => "function|restore", -3, WRITE | DENYOOM | NOSCRIPT, SCRIPTING, Scripting,
        [], ["request_policy:all_shards", "response_policy:all_succeeded"];
    FunctionStats => "function|stats", 2, NOSCRIPT | ALLOW_BUSY, SCRIPTING, Scripting, [],
        ["nondeterministic_output", "request_policy:all_shards", "response_policy:special"];
// ---- end scripting ----------------------------------------------------------------------
}
