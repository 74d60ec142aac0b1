//! `COMMAND DOCS` for the commands: summary, since, complexity, doc flags, deprecation, history
//! and the argument tree, one declaration per command keyed by its full name (the group comes
//! from the table row, so nothing here repeats the table).
//!
//! Redis counterpart: the `summary`/`since`/`complexity`/`history`/`arguments` fields of
//! `src/commands/*.json` as Redis 7.0.15 reports them in `COMMAND DOCS` (interface facts, texts
//! BSD-licensed); CLIENT NO-TOUCH, CLIENT SETINFO and CLUSTER MYSHARDID follow Redis 7.2.0.
//!
//! Invariants: every command Redis 7.0.15 knows has its declaration here, whether or not the
//! node implements it yet (so a new table row needs no docs work); `COMMAND DOCS` only ever
//! shows table rows; every table row has a declaration (unit test below); the order of fields
//! and arguments is Redis's, checked against a real server by `tests/tests/command_info_compat.rs`.
//!
//! Syntax of a declaration:
//!
//! ```text
//! doc(name, summary, since, complexity)     complexity "" = none
//!     .deprecated(since, replaced_by)       also sets the `deprecated` doc flag
//!     .syscmd()                             the `syscmd` doc flag
//!     .history(&[(version, change), ...])
//!     .args(&[argument, ...])
//! ```
//!
//! Arguments: [`key`]`(name, key_spec_index)`, [`string`], [`integer`], [`double`], [`pattern`],
//! [`unix_time`], [`tok`]`(TOKEN)` (a pure token, named after its lowercased token), [`oneof`] and
//! [`block`] (their members follow in `.of(&[...])`); modifiers `.token(T)`, `.named(n)`,
//! `.key_spec(i)`, `.since(v)`, `.deprecated(v)`, `.opt()`, `.multi()`, `.multi_token()`.

use std::collections::HashMap;
use std::sync::LazyLock;

/// An argument's type (Redis `redisCommandArgType`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ArgType {
    /// `string`
    String,
    /// `integer`
    Integer,
    /// `double`
    Double,
    /// `key`
    Key,
    /// `pattern`
    Pattern,
    /// `unix-time`
    UnixTime,
    /// `pure-token`: the token alone.
    PureToken,
    /// `oneof`: exactly one of the member arguments.
    OneOf,
    /// `block`: the member arguments in sequence.
    Block,
}

impl ArgType {
    /// The name `COMMAND DOCS` prints.
    pub fn name(self) -> &'static str {
        match self {
            ArgType::String => "string",
            ArgType::Integer => "integer",
            ArgType::Double => "double",
            ArgType::Key => "key",
            ArgType::Pattern => "pattern",
            ArgType::UnixTime => "unix-time",
            ArgType::PureToken => "pure-token",
            ArgType::OneOf => "oneof",
            ArgType::Block => "block",
        }
    }
}

/// Argument flags (Redis `CMD_ARG_*`).
pub mod arg_flags {
    /// The argument may be left out.
    pub const OPTIONAL: u8 = 1 << 0;
    /// The argument may repeat.
    pub const MULTIPLE: u8 = 1 << 1;
    /// Each repetition repeats the token too.
    pub const MULTIPLE_TOKEN: u8 = 1 << 2;

    /// (flag, name) in `COMMAND DOCS` order.
    pub const NAMES: &[(u8, &str)] = &[
        (OPTIONAL, "optional"),
        (MULTIPLE, "multiple"),
        (MULTIPLE_TOKEN, "multiple_token"),
    ];
}

/// Command doc flags (Redis `CMD_DOC_*`).
pub mod doc_flags {
    /// The command is deprecated.
    pub const DEPRECATED: u8 = 1 << 0;
    /// A system command, not meant for users.
    pub const SYSCMD: u8 = 1 << 1;

    /// (flag, name) in `COMMAND DOCS` order.
    pub const NAMES: &[(u8, &str)] = &[(DEPRECATED, "deprecated"), (SYSCMD, "syscmd")];
}

/// One argument of a command (Redis `redisCommandArg`).
#[derive(Debug, Clone, Copy)]
pub struct Arg {
    /// Name; empty for a pure token named after its lowercased token (see [`Arg::name`]).
    name: &'static str,
    /// Type.
    pub kind: ArgType,
    /// Index of the key spec that finds this argument, when one does.
    pub key_spec_index: Option<u8>,
    /// The literal token that precedes the value (or is the whole argument).
    pub token: Option<&'static str>,
    /// The version that introduced the argument; empty when as old as the command.
    pub since: &'static str,
    /// Deprecated since this version; empty when not deprecated.
    pub deprecated_since: &'static str,
    /// [`arg_flags`] bits.
    pub flags: u8,
    /// Members of a `oneof` or `block`.
    pub args: &'static [Arg],
}

const fn arg(name: &'static str, kind: ArgType) -> Arg {
    Arg {
        name,
        kind,
        key_spec_index: None,
        token: None,
        since: "",
        deprecated_since: "",
        flags: 0,
        args: &[],
    }
}

/// A key argument found by key spec `spec`.
pub const fn key(name: &'static str, spec: u8) -> Arg {
    arg(name, ArgType::Key).key_spec(spec)
}

/// A string argument.
pub const fn string(name: &'static str) -> Arg {
    arg(name, ArgType::String)
}

/// An integer argument.
pub const fn integer(name: &'static str) -> Arg {
    arg(name, ArgType::Integer)
}

/// A floating-point argument.
pub const fn double(name: &'static str) -> Arg {
    arg(name, ArgType::Double)
}

/// A glob-style pattern argument.
pub const fn pattern(name: &'static str) -> Arg {
    arg(name, ArgType::Pattern)
}

/// A Unix time argument.
pub const fn unix_time(name: &'static str) -> Arg {
    arg(name, ArgType::UnixTime)
}

/// A pure token, named after the token in lower case (see [`Arg::named`] otherwise).
pub const fn tok(token: &'static str) -> Arg {
    arg("", ArgType::PureToken).token(token)
}

/// Exactly one of the members given in [`Arg::of`].
pub const fn oneof(name: &'static str) -> Arg {
    arg(name, ArgType::OneOf)
}

/// The members given in [`Arg::of`], in sequence.
pub const fn block(name: &'static str) -> Arg {
    arg(name, ArgType::Block)
}

impl Arg {
    /// The name `COMMAND DOCS` prints.
    pub fn name(&self) -> std::borrow::Cow<'static, str> {
        match (self.name, self.token) {
            ("", Some(t)) => t.to_ascii_lowercase().into(),
            (n, _) => n.into(),
        }
    }

    /// Sets the members of a `oneof` or `block`.
    pub const fn of(mut self, args: &'static [Arg]) -> Arg {
        self.args = args;
        self
    }

    /// Sets the token.
    pub const fn token(mut self, token: &'static str) -> Arg {
        self.token = Some(token);
        self
    }

    /// Names a pure token whose name is not its lowercased token.
    pub const fn named(mut self, name: &'static str) -> Arg {
        self.name = name;
        self
    }

    /// Sets the key spec index.
    pub const fn key_spec(mut self, spec: u8) -> Arg {
        self.key_spec_index = Some(spec);
        self
    }

    /// Sets the version that introduced the argument.
    pub const fn since(mut self, version: &'static str) -> Arg {
        self.since = version;
        self
    }

    /// Marks the argument deprecated since `version`.
    pub const fn deprecated(mut self, version: &'static str) -> Arg {
        self.deprecated_since = version;
        self
    }

    /// Optional.
    pub const fn opt(mut self) -> Arg {
        self.flags |= arg_flags::OPTIONAL;
        self
    }

    /// May repeat.
    pub const fn multi(mut self) -> Arg {
        self.flags |= arg_flags::MULTIPLE;
        self
    }

    /// Each repetition repeats the token.
    pub const fn multi_token(mut self) -> Arg {
        self.flags |= arg_flags::MULTIPLE_TOKEN;
        self
    }
}

/// One command's documentation.
#[derive(Debug, Clone, Copy)]
pub struct Doc {
    /// Full name (`config|get`).
    pub name: &'static str,
    /// One-line summary.
    pub summary: &'static str,
    /// The Redis version that introduced the command.
    pub since: &'static str,
    /// Time complexity; empty when Redis gives none.
    pub complexity: &'static str,
    /// [`doc_flags`] bits.
    pub doc_flags: u8,
    /// Deprecated since this version; empty when not deprecated.
    pub deprecated_since: &'static str,
    /// What replaces a deprecated command.
    pub replaced_by: &'static str,
    /// (version, change) pairs, oldest first.
    pub history: &'static [(&'static str, &'static str)],
    /// The arguments after the command name.
    pub args: &'static [Arg],
}

/// A command's documentation without history, arguments or flags.
pub const fn doc(
    name: &'static str,
    summary: &'static str,
    since: &'static str,
    complexity: &'static str,
) -> Doc {
    Doc {
        name,
        summary,
        since,
        complexity,
        doc_flags: 0,
        deprecated_since: "",
        replaced_by: "",
        history: &[],
        args: &[],
    }
}

impl Doc {
    /// Deprecated since `version`, replaced by `by` (sets the `deprecated` doc flag).
    pub const fn deprecated(mut self, version: &'static str, by: &'static str) -> Doc {
        self.doc_flags |= doc_flags::DEPRECATED;
        self.deprecated_since = version;
        self.replaced_by = by;
        self
    }

    /// A system command (the `syscmd` doc flag).
    pub const fn syscmd(mut self) -> Doc {
        self.doc_flags |= doc_flags::SYSCMD;
        self
    }

    /// The history, oldest first.
    pub const fn history(mut self, history: &'static [(&'static str, &'static str)]) -> Doc {
        self.history = history;
        self
    }

    /// The arguments.
    pub const fn args(mut self, args: &'static [Arg]) -> Doc {
        self.args = args;
        self
    }
}

/// Every command's documentation, ordered by full name.
#[rustfmt::skip]
pub static DOCS: &[Doc] = &[
    doc("acl", "A container for Access List Control commands ", "6.0.0", "Depends on subcommand."),
    doc("acl|cat", "List the ACL categories or the commands inside a category", "6.0.0", "O(1) since the categories and commands are a fixed set.")
        .args(&[string("categoryname").opt()]),
    doc("acl|deluser", "Remove the specified ACL users and the associated rules", "6.0.0", "O(1) amortized time considering the typical user.")
        .args(&[string("username").multi()]),
    doc("acl|dryrun", "Returns whether the user can execute the given command without executing the command.", "7.0.0", "O(1).")
        .args(&[string("username"), string("command"), string("arg").opt().multi()]),
    doc("acl|genpass", "Generate a pseudorandom secure password to use for ACL users", "6.0.0", "O(1)")
        .args(&[integer("bits").opt()]),
    doc("acl|getuser", "Get the rules for a specific ACL user", "6.0.0", "O(N). Where N is the number of password, command and pattern rules that the user has.")
        .history(&[
            ("6.2.0", "Added Pub/Sub channel patterns."),
            ("7.0.0", "Added selectors and changed the format of key and channel patterns from a list to their rule representation."),
        ])
        .args(&[string("username")]),
    doc("acl|help", "Show helpful text about the different subcommands", "6.0.0", "O(1)"),
    doc("acl|list", "List the current ACL rules in ACL config file format", "6.0.0", "O(N). Where N is the number of configured users."),
    doc("acl|load", "Reload the ACLs from the configured ACL file", "6.0.0", "O(N). Where N is the number of configured users."),
    doc("acl|log", "List latest events denied because of ACLs in place", "6.0.0", "O(N) with N being the number of entries shown.")
        .args(&[oneof("operation").opt().of(&[integer("count"), tok("RESET")])]),
    doc("acl|save", "Save the current ACL rules in the configured ACL file", "6.0.0", "O(N). Where N is the number of configured users."),
    doc("acl|setuser", "Modify or create the rules for a specific ACL user", "6.0.0", "O(N). Where N is the number of rules provided.")
        .history(&[
            ("6.2.0", "Added Pub/Sub channel patterns."),
            ("7.0.0", "Added selectors and key based permissions."),
        ])
        .args(&[string("username"), string("rule").opt().multi()]),
    doc("acl|users", "List the username of all the configured ACL rules", "6.0.0", "O(N). Where N is the number of configured users."),
    doc("acl|whoami", "Return the name of the user associated to the current connection", "6.0.0", "O(1)"),
    doc("append", "Append a value to a key", "2.0.0", "O(1). The amortized time complexity is O(1) assuming the appended value is small and the already present value is of any size, since the dynamic string library used by Redis will double the free space available on every reallocation.")
        .args(&[key("key", 0), string("value")]),
    doc("asking", "Sent by cluster clients after an -ASK redirect", "3.0.0", "O(1)"),
    doc("auth", "Authenticate to the server", "1.0.0", "O(N) where N is the number of passwords defined for the user")
        .history(&[("6.0.0", "Added ACL style (username and password).")])
        .args(&[string("username").since("6.0.0").opt(), string("password")]),
    doc("bgrewriteaof", "Asynchronously rewrite the append-only file", "1.0.0", "O(1)"),
    doc("bgsave", "Asynchronously save the dataset to disk", "1.0.0", "O(1)")
        .history(&[("3.2.2", "Added the `SCHEDULE` option.")])
        .args(&[tok("SCHEDULE").since("3.2.2").opt()]),
    doc("bitcount", "Count set bits in a string", "2.6.0", "O(N)")
        .history(&[("7.0.0", "Added the `BYTE|BIT` option.")])
        .args(&[
            key("key", 0),
            block("index").opt().of(&[
                integer("start"),
                integer("end"),
                oneof("index_unit").since("7.0.0").opt().of(&[tok("BYTE"), tok("BIT")]),
            ]),
        ]),
    doc("bitfield", "Perform arbitrary bitfield integer operations on strings", "3.2.0", "O(1) for each subcommand specified")
        .args(&[
            key("key", 0),
            oneof("operation").opt().multi().of(&[
                block("encoding_offset").token("GET").of(&[string("encoding"), integer("offset")]),
                block("write").of(&[
                    oneof("wrap_sat_fail").token("OVERFLOW").opt().of(&[
                        tok("WRAP"),
                        tok("SAT"),
                        tok("FAIL"),
                    ]),
                    oneof("write_operation").of(&[
                        block("encoding_offset_value").token("SET").of(&[
                            string("encoding"),
                            integer("offset"),
                            integer("value"),
                        ]),
                        block("encoding_offset_increment").token("INCRBY").of(&[
                            string("encoding"),
                            integer("offset"),
                            integer("increment"),
                        ]),
                    ]),
                ]),
            ]),
        ]),
    doc("bitfield_ro", "Perform arbitrary bitfield integer operations on strings. Read-only variant of BITFIELD", "6.0.0", "O(1) for each subcommand specified")
        .args(&[
            key("key", 0),
            block("encoding_offset").token("GET").opt().multi().multi_token().of(&[
                string("encoding"),
                integer("offset"),
            ]),
        ]),
    doc("bitop", "Perform bitwise operations between strings", "2.6.0", "O(N)")
        .args(&[string("operation"), key("destkey", 0), key("key", 1).multi()]),
    doc("bitpos", "Find first bit set or clear in a string", "2.8.7", "O(N)")
        .history(&[("7.0.0", "Added the `BYTE|BIT` option.")])
        .args(&[
            key("key", 0),
            integer("bit"),
            block("index").opt().of(&[
                integer("start"),
                block("end_index").opt().of(&[
                    integer("end"),
                    oneof("index_unit").since("7.0.0").opt().of(&[tok("BYTE"), tok("BIT")]),
                ]),
            ]),
        ]),
    doc("blmove", "Pop an element from a list, push it to another list and return it; or block until one is available", "6.2.0", "O(1)")
        .args(&[
            key("source", 0),
            key("destination", 1),
            oneof("wherefrom").of(&[tok("LEFT"), tok("RIGHT")]),
            oneof("whereto").of(&[tok("LEFT"), tok("RIGHT")]),
            double("timeout"),
        ]),
    doc("blmpop", "Pop elements from a list, or block until one is available", "7.0.0", "O(N+M) where N is the number of provided keys and M is the number of elements returned.")
        .args(&[
            double("timeout"),
            integer("numkeys"),
            key("key", 0).multi(),
            oneof("where").of(&[tok("LEFT"), tok("RIGHT")]),
            integer("count").token("COUNT").opt(),
        ]),
    doc("blpop", "Remove and get the first element in a list, or block until one is available", "2.0.0", "O(N) where N is the number of provided keys.")
        .history(&[("6.0.0", "`timeout` is interpreted as a double instead of an integer.")])
        .args(&[key("key", 0).multi(), double("timeout")]),
    doc("brpop", "Remove and get the last element in a list, or block until one is available", "2.0.0", "O(N) where N is the number of provided keys.")
        .history(&[("6.0.0", "`timeout` is interpreted as a double instead of an integer.")])
        .args(&[key("key", 0).multi(), double("timeout")]),
    doc("brpoplpush", "Pop an element from a list, push it to another list and return it; or block until one is available", "2.2.0", "O(1)")
        .deprecated("6.2.0", "`BLMOVE` with the `RIGHT` and `LEFT` arguments")
        .history(&[("6.0.0", "`timeout` is interpreted as a double instead of an integer.")])
        .args(&[key("source", 0), key("destination", 1), double("timeout")]),
    doc("bzmpop", "Remove and return members with scores in a sorted set or block until one is available", "7.0.0", "O(K) + O(M*log(N)) where K is the number of provided keys, N being the number of elements in the sorted set, and M being the number of elements popped.")
        .args(&[
            double("timeout"),
            integer("numkeys"),
            key("key", 0).multi(),
            oneof("where").of(&[tok("MIN"), tok("MAX")]),
            integer("count").token("COUNT").opt(),
        ]),
    doc("bzpopmax", "Remove and return the member with the highest score from one or more sorted sets, or block until one is available", "5.0.0", "O(log(N)) with N being the number of elements in the sorted set.")
        .history(&[("6.0.0", "`timeout` is interpreted as a double instead of an integer.")])
        .args(&[key("key", 0).multi(), double("timeout")]),
    doc("bzpopmin", "Remove and return the member with the lowest score from one or more sorted sets, or block until one is available", "5.0.0", "O(log(N)) with N being the number of elements in the sorted set.")
        .history(&[("6.0.0", "`timeout` is interpreted as a double instead of an integer.")])
        .args(&[key("key", 0).multi(), double("timeout")]),
    doc("client", "A container for client connection commands", "2.4.0", "Depends on subcommand."),
    doc("client|caching", "Instruct the server about tracking or not keys in the next request", "6.0.0", "O(1)")
        .args(&[oneof("mode").of(&[tok("YES"), tok("NO")])]),
    doc("client|getname", "Get the current connection name", "2.6.9", "O(1)"),
    doc("client|getredir", "Get tracking notifications redirection client ID if any", "6.0.0", "O(1)"),
    doc("client|help", "Show helpful text about the different subcommands", "5.0.0", "O(1)"),
    doc("client|id", "Returns the client ID for the current connection", "5.0.0", "O(1)"),
    doc("client|info", "Returns information about the current client connection.", "6.2.0", "O(1)"),
    doc("client|kill", "Kill the connection of a client", "2.4.0", "O(N) where N is the number of client connections")
        .history(&[
            ("2.8.12", "Added new filter format."),
            ("2.8.12", "`ID` option."),
            ("3.2.0", "Added `master` type in for `TYPE` option."),
            ("5.0.0", "Replaced `slave` `TYPE` with `replica`. `slave` still supported for backward compatibility."),
            ("6.2.0", "`LADDR` option."),
        ])
        .args(&[
            oneof("filter").of(&[
                string("ip:port").deprecated("2.8.12"),
                oneof("new-format").multi().of(&[
                    integer("client-id").token("ID").since("2.8.12").opt(),
                    oneof("normal_master_slave_pubsub").token("TYPE").since("2.8.12").opt().of(&[
                        tok("NORMAL"),
                        tok("MASTER").since("3.2.0"),
                        tok("SLAVE"),
                        tok("REPLICA").since("5.0.0"),
                        tok("PUBSUB"),
                    ]),
                    string("username").token("USER").opt(),
                    string("ip:port").token("ADDR").opt(),
                    string("ip:port").token("LADDR").since("6.2.0").opt(),
                    string("yes/no").token("SKIPME").opt(),
                ]),
            ]),
        ]),
    doc("client|list", "Get the list of client connections", "2.4.0", "O(N) where N is the number of client connections")
        .history(&[
            ("2.8.12", "Added unique client `id` field."),
            ("5.0.0", "Added optional `TYPE` filter."),
            ("6.0.0", "Added `user` field."),
            ("6.2.0", "Added `argv-mem`, `tot-mem`, `laddr` and `redir` fields and the optional `ID` filter."),
            ("7.0.0", "Added `resp`, `multi-mem`, `rbs` and `rbp` fields."),
            ("7.0.3", "Added `ssub` field."),
        ])
        .args(&[
            oneof("normal_master_replica_pubsub").token("TYPE").since("5.0.0").opt().of(&[
                tok("NORMAL"),
                tok("MASTER"),
                tok("REPLICA"),
                tok("PUBSUB"),
            ]),
            block("id").token("ID").since("6.2.0").opt().of(&[integer("client-id").multi()]),
        ]),
    doc("client|no-evict", "Set client eviction mode for the current connection", "7.0.0", "O(1)")
        .args(&[oneof("enabled").of(&[tok("ON"), tok("OFF")])]),
    // Redis 7.2 (7.0.15 lacks it): texts and arguments of 7.2.0.
    doc("client|no-touch", "Controls whether commands sent by the client affect the LRU/LFU of accessed keys.", "7.2.0", "O(1)")
        .args(&[oneof("enabled").of(&[tok("ON"), tok("OFF")])]),
    doc("client|pause", "Stop processing commands from clients for some time", "2.9.50", "O(1)")
        .history(&[("6.2.0", "`CLIENT PAUSE WRITE` mode added along with the `mode` option.")])
        .args(&[
            integer("timeout"),
            oneof("mode").since("6.2.0").opt().of(&[tok("WRITE"), tok("ALL")]),
        ]),
    doc("client|reply", "Instruct the server whether to reply to commands", "3.2.0", "O(1)")
        .args(&[oneof("on_off_skip").of(&[tok("ON"), tok("OFF"), tok("SKIP")])]),
    // Redis 7.2 (7.0.15 lacks it): texts and arguments of 7.2.0.
    doc("client|setinfo", "Sets information specific to the client or connection.", "7.2.0", "O(1)")
        .args(&[oneof("attr").of(&[string("libname").token("lib-name"), string("libver").token("lib-ver")])]),
    doc("client|setname", "Set the current connection name", "2.6.9", "O(1)")
        .args(&[string("connection-name")]),
    doc("client|tracking", "Enable or disable server assisted client side caching support", "6.0.0", "O(1). Some options may introduce additional complexity.")
        .args(&[
            oneof("status").of(&[tok("ON"), tok("OFF")]),
            integer("client-id").token("REDIRECT").opt(),
            string("prefix").token("PREFIX").opt().multi().multi_token(),
            tok("BCAST").opt(),
            tok("OPTIN").opt(),
            tok("OPTOUT").opt(),
            tok("NOLOOP").opt(),
        ]),
    doc("client|trackinginfo", "Return information about server assisted client side caching for the current connection", "6.2.0", "O(1)"),
    doc("client|unblock", "Unblock a client blocked in a blocking command from a different connection", "5.0.0", "O(log N) where N is the number of client connections")
        .args(&[
            integer("client-id"),
            oneof("timeout_error").opt().of(&[tok("TIMEOUT"), tok("ERROR")]),
        ]),
    doc("client|unpause", "Resume processing of clients that were paused", "6.2.0", "O(N) Where N is the number of paused clients"),
    doc("cluster", "A container for cluster commands", "3.0.0", "Depends on subcommand."),
    doc("cluster|addslots", "Assign new hash slots to receiving node", "3.0.0", "O(N) where N is the total number of hash slot arguments")
        .args(&[integer("slot").multi()]),
    doc("cluster|addslotsrange", "Assign new hash slots to receiving node", "7.0.0", "O(N) where N is the total number of the slots between the start slot and end slot arguments.")
        .args(&[
            block("start-slot_end-slot").multi().of(&[integer("start-slot"), integer("end-slot")]),
        ]),
    doc("cluster|bumpepoch", "Advance the cluster config epoch", "3.0.0", "O(1)"),
    doc("cluster|count-failure-reports", "Return the number of failure reports active for a given node", "3.0.0", "O(N) where N is the number of failure reports")
        .args(&[string("node-id")]),
    doc("cluster|countkeysinslot", "Return the number of local keys in the specified hash slot", "3.0.0", "O(1)")
        .args(&[integer("slot")]),
    doc("cluster|delslots", "Set hash slots as unbound in receiving node", "3.0.0", "O(N) where N is the total number of hash slot arguments")
        .args(&[integer("slot").multi()]),
    doc("cluster|delslotsrange", "Set hash slots as unbound in receiving node", "7.0.0", "O(N) where N is the total number of the slots between the start slot and end slot arguments.")
        .args(&[
            block("start-slot_end-slot").multi().of(&[integer("start-slot"), integer("end-slot")]),
        ]),
    doc("cluster|failover", "Forces a replica to perform a manual failover of its master.", "3.0.0", "O(1)")
        .args(&[oneof("options").opt().of(&[tok("FORCE"), tok("TAKEOVER")])]),
    doc("cluster|flushslots", "Delete a node's own slots information", "3.0.0", "O(1)"),
    doc("cluster|forget", "Remove a node from the nodes table", "3.0.0", "O(1)")
        .args(&[string("node-id")]),
    doc("cluster|getkeysinslot", "Return local key names in the specified hash slot", "3.0.0", "O(log(N)) where N is the number of requested keys")
        .args(&[integer("slot"), integer("count")]),
    doc("cluster|help", "Show helpful text about the different subcommands", "5.0.0", "O(1)"),
    doc("cluster|info", "Provides info about Redis Cluster node state", "3.0.0", "O(1)"),
    doc("cluster|keyslot", "Returns the hash slot of the specified key", "3.0.0", "O(N) where N is the number of bytes in the key")
        .args(&[string("key")]),
    doc("cluster|links", "Returns a list of all TCP links to and from peer nodes in cluster", "7.0.0", "O(N) where N is the total number of Cluster nodes"),
    doc("cluster|meet", "Force a node cluster to handshake with another node", "3.0.0", "O(1)")
        .history(&[("4.0.0", "Added the optional `cluster_bus_port` argument.")])
        .args(&[string("ip"), integer("port"), integer("cluster_bus_port").since("4.0.0").opt()]),
    doc("cluster|myid", "Return the node id", "3.0.0", "O(1)"),
    // Redis 7.2 (7.0.15 lacks it): texts of 7.2.0.
    doc("cluster|myshardid", "Return the node shard id", "7.2.0", "O(1)"),
    doc("cluster|nodes", "Get Cluster config for the node", "3.0.0", "O(N) where N is the total number of Cluster nodes"),
    doc("cluster|replicas", "List replica nodes of the specified master node", "5.0.0", "O(1)")
        .args(&[string("node-id")]),
    doc("cluster|replicate", "Reconfigure a node as a replica of the specified master node", "3.0.0", "O(1)")
        .args(&[string("node-id")]),
    doc("cluster|reset", "Reset a Redis Cluster node", "3.0.0", "O(N) where N is the number of known nodes. The command may execute a FLUSHALL as a side effect.")
        .args(&[oneof("hard_soft").opt().of(&[tok("HARD"), tok("SOFT")])]),
    doc("cluster|saveconfig", "Forces the node to save cluster state on disk", "3.0.0", "O(1)"),
    doc("cluster|set-config-epoch", "Set the configuration epoch in a new node", "3.0.0", "O(1)")
        .args(&[integer("config-epoch")]),
    doc("cluster|setslot", "Bind a hash slot to a specific node", "3.0.0", "O(1)")
        .args(&[
            integer("slot"),
            oneof("subcommand").of(&[
                string("node-id").token("IMPORTING"),
                string("node-id").token("MIGRATING"),
                string("node-id").token("NODE"),
                tok("STABLE"),
            ]),
        ]),
    doc("cluster|shards", "Get array of cluster slots to node mappings", "7.0.0", "O(N) where N is the total number of cluster nodes"),
    doc("cluster|slaves", "List replica nodes of the specified master node", "3.0.0", "O(1)")
        .deprecated("5.0.0", "`CLUSTER REPLICAS`")
        .args(&[string("node-id")]),
    doc("cluster|slots", "Get array of Cluster slot to node mappings", "3.0.0", "O(N) where N is the total number of Cluster nodes")
        .deprecated("7.0.0", "`CLUSTER SHARDS`")
        .history(&[
            ("4.0.0", "Added node IDs."),
            ("7.0.0", "Added additional networking metadata field."),
        ]),
    doc("command", "Get array of Redis command details", "2.8.13", "O(N) where N is the total number of Redis commands"),
    doc("command|count", "Get total number of Redis commands", "2.8.13", "O(1)"),
    doc("command|docs", "Get array of specific Redis command documentation", "7.0.0", "O(N) where N is the number of commands to look up")
        .args(&[string("command-name").opt().multi()]),
    doc("command|getkeys", "Extract keys given a full Redis command", "2.8.13", "O(N) where N is the number of arguments to the command"),
    doc("command|getkeysandflags", "Extract keys and access flags given a full Redis command", "7.0.0", "O(N) where N is the number of arguments to the command"),
    doc("command|help", "Show helpful text about the different subcommands", "5.0.0", "O(1)"),
    doc("command|info", "Get array of specific Redis command details, or all when no argument is given.", "2.8.13", "O(N) where N is the number of commands to look up")
        .history(&[("7.0.0", "Allowed to be called with no argument to get info on all commands.")])
        .args(&[string("command-name").opt().multi()]),
    doc("command|list", "Get an array of Redis command names", "7.0.0", "O(N) where N is the total number of Redis commands")
        .args(&[
            oneof("filterby").token("FILTERBY").opt().of(&[
                string("module-name").token("MODULE"),
                string("category").token("ACLCAT"),
                pattern("pattern").token("PATTERN"),
            ]),
        ]),
    doc("config", "A container for server configuration commands", "2.0.0", "Depends on subcommand."),
    doc("config|get", "Get the values of configuration parameters", "2.0.0", "O(N) when N is the number of configuration parameters provided")
        .history(&[("7.0.0", "Added the ability to pass multiple pattern parameters in one call")])
        .args(&[block("parameter").multi().of(&[string("parameter")])]),
    doc("config|help", "Show helpful text about the different subcommands", "5.0.0", "O(1)"),
    doc("config|resetstat", "Reset the stats returned by INFO", "2.0.0", "O(1)"),
    doc("config|rewrite", "Rewrite the configuration file with the in memory configuration", "2.8.0", "O(1)"),
    doc("config|set", "Set configuration parameters to the given values", "2.0.0", "O(N) when N is the number of configuration parameters provided")
        .history(&[("7.0.0", "Added the ability to set multiple parameters in one call.")])
        .args(&[block("parameter_value").multi().of(&[string("parameter"), string("value")])]),
    doc("copy", "Copy a key", "6.2.0", "O(N) worst case for collections, where N is the number of nested items. O(1) for string values.")
        .args(&[
            key("source", 0),
            key("destination", 1),
            integer("destination-db").token("DB").opt(),
            tok("REPLACE").opt(),
        ]),
    doc("dbsize", "Return the number of keys in the selected database", "1.0.0", "O(1)"),
    doc("debug", "A container for debugging commands", "1.0.0", "Depends on subcommand.")
        .syscmd(),
    doc("decr", "Decrement the integer value of a key by one", "1.0.0", "O(1)")
        .args(&[key("key", 0)]),
    doc("decrby", "Decrement the integer value of a key by the given number", "1.0.0", "O(1)")
        .args(&[key("key", 0), integer("decrement")]),
    doc("del", "Delete a key", "1.0.0", "O(N) where N is the number of keys that will be removed. When a key to remove holds a value other than a string, the individual complexity for this key is O(M) where M is the number of elements in the list, set, sorted set or hash. Removing a single key that holds a string value is O(1).")
        .args(&[key("key", 0).multi()]),
    doc("discard", "Discard all commands issued after MULTI", "2.0.0", "O(N), when N is the number of queued commands"),
    doc("dump", "Return a serialized version of the value stored at the specified key.", "2.6.0", "O(1) to access the key and additional O(N*M) to serialize it, where N is the number of Redis objects composing the value and M their average size. For small string values the time complexity is thus O(1)+O(1*M) where M is small, so simply O(1).")
        .args(&[key("key", 0)]),
    doc("echo", "Echo the given string", "1.0.0", "O(1)")
        .args(&[string("message")]),
    doc("eval", "Execute a Lua script server side", "2.6.0", "Depends on the script that is executed.")
        .args(&[
            string("script"),
            integer("numkeys"),
            key("key", 0).opt().multi(),
            string("arg").opt().multi(),
        ]),
    doc("eval_ro", "Execute a read-only Lua script server side", "7.0.0", "Depends on the script that is executed.")
        .args(&[
            string("script"),
            integer("numkeys"),
            key("key", 0).opt().multi(),
            string("arg").opt().multi(),
        ]),
    doc("evalsha", "Execute a Lua script server side", "2.6.0", "Depends on the script that is executed.")
        .args(&[
            string("sha1"),
            integer("numkeys"),
            key("key", 0).opt().multi(),
            string("arg").opt().multi(),
        ]),
    doc("evalsha_ro", "Execute a read-only Lua script server side", "7.0.0", "Depends on the script that is executed.")
        .args(&[
            string("sha1"),
            integer("numkeys"),
            key("key", 0).opt().multi(),
            string("arg").opt().multi(),
        ]),
    doc("exec", "Execute all commands issued after MULTI", "1.2.0", "Depends on commands in the transaction"),
    doc("exists", "Determine if a key exists", "1.0.0", "O(N) where N is the number of keys to check.")
        .history(&[("3.0.3", "Accepts multiple `key` arguments.")])
        .args(&[key("key", 0).multi()]),
    doc("expire", "Set a key's time to live in seconds", "1.0.0", "O(1)")
        .history(&[("7.0.0", "Added options: `NX`, `XX`, `GT` and `LT`.")])
        .args(&[
            key("key", 0),
            integer("seconds"),
            oneof("condition").since("7.0.0").opt().of(&[
                tok("NX"),
                tok("XX"),
                tok("GT"),
                tok("LT"),
            ]),
        ]),
    doc("expireat", "Set the expiration for a key as a UNIX timestamp", "1.2.0", "O(1)")
        .history(&[("7.0.0", "Added options: `NX`, `XX`, `GT` and `LT`.")])
        .args(&[
            key("key", 0),
            unix_time("unix-time-seconds"),
            oneof("condition").since("7.0.0").opt().of(&[
                tok("NX"),
                tok("XX"),
                tok("GT"),
                tok("LT"),
            ]),
        ]),
    doc("expiretime", "Get the expiration Unix timestamp for a key", "7.0.0", "O(1)")
        .args(&[key("key", 0)]),
    doc("failover", "Start a coordinated failover between this server and one of its replicas.", "6.2.0", "O(1)")
        .args(&[
            block("target").token("TO").opt().of(&[
                string("host"),
                integer("port"),
                tok("FORCE").opt(),
            ]),
            tok("ABORT").opt(),
            integer("milliseconds").token("TIMEOUT").opt(),
        ]),
    doc("fcall", "Invoke a function", "7.0.0", "Depends on the function that is executed.")
        .args(&[
            string("function"),
            integer("numkeys"),
            key("key", 0).opt().multi(),
            string("arg").opt().multi(),
        ]),
    doc("fcall_ro", "Invoke a read-only function", "7.0.0", "Depends on the function that is executed.")
        .args(&[
            string("function"),
            integer("numkeys"),
            key("key", 0).opt().multi(),
            string("arg").opt().multi(),
        ]),
    doc("flushall", "Remove all keys from all databases", "1.0.0", "O(N) where N is the total number of keys in all databases")
        .history(&[
            ("4.0.0", "Added the `ASYNC` flushing mode modifier."),
            ("6.2.0", "Added the `SYNC` flushing mode modifier."),
        ])
        .args(&[
            oneof("async").opt().of(&[tok("ASYNC").since("4.0.0"), tok("SYNC").since("6.2.0")]),
        ]),
    doc("flushdb", "Remove all keys from the current database", "1.0.0", "O(N) where N is the number of keys in the selected database")
        .history(&[
            ("4.0.0", "Added the `ASYNC` flushing mode modifier."),
            ("6.2.0", "Added the `SYNC` flushing mode modifier."),
        ])
        .args(&[
            oneof("async").opt().of(&[tok("ASYNC").since("4.0.0"), tok("SYNC").since("6.2.0")]),
        ]),
    doc("function", "A container for function commands", "7.0.0", "Depends on subcommand."),
    doc("function|delete", "Delete a function by name", "7.0.0", "O(1)")
        .args(&[string("library-name")]),
    doc("function|dump", "Dump all functions into a serialized binary payload", "7.0.0", "O(N) where N is the number of functions"),
    doc("function|flush", "Deleting all functions", "7.0.0", "O(N) where N is the number of functions deleted")
        .args(&[oneof("async").opt().of(&[tok("ASYNC"), tok("SYNC")])]),
    doc("function|help", "Show helpful text about the different subcommands", "7.0.0", "O(1)"),
    doc("function|kill", "Kill the function currently in execution.", "7.0.0", "O(1)"),
    doc("function|list", "List information about all the functions", "7.0.0", "O(N) where N is the number of functions")
        .args(&[string("library-name-pattern").token("LIBRARYNAME").opt(), tok("WITHCODE").opt()]),
    doc("function|load", "Create a function with the given arguments (name, code, description)", "7.0.0", "O(1) (considering compilation time is redundant)")
        .args(&[tok("REPLACE").opt(), string("function-code")]),
    doc("function|restore", "Restore all the functions on the given payload", "7.0.0", "O(N) where N is the number of functions on the payload")
        .args(&[
            string("serialized-value"),
            oneof("policy").opt().of(&[tok("FLUSH"), tok("APPEND"), tok("REPLACE")]),
        ]),
    doc("function|stats", "Return information about the function currently running (name, description, duration)", "7.0.0", "O(1)"),
    doc("geoadd", "Add one or more geospatial items in the geospatial index represented using a sorted set", "3.2.0", "O(log(N)) for each item added, where N is the number of elements in the sorted set.")
        .history(&[("6.2.0", "Added the `CH`, `NX` and `XX` options.")])
        .args(&[
            key("key", 0),
            oneof("condition").since("6.2.0").opt().of(&[tok("NX"), tok("XX")]),
            tok("CH").named("change").since("6.2.0").opt(),
            block("longitude_latitude_member").multi().of(&[
                double("longitude"),
                double("latitude"),
                string("member"),
            ]),
        ]),
    doc("geodist", "Returns the distance between two members of a geospatial index", "3.2.0", "O(log(N))")
        .args(&[
            key("key", 0),
            string("member1"),
            string("member2"),
            oneof("unit").opt().of(&[tok("M"), tok("KM"), tok("FT"), tok("MI")]),
        ]),
    doc("geohash", "Returns members of a geospatial index as standard geohash strings", "3.2.0", "O(log(N)) for each member requested, where N is the number of elements in the sorted set.")
        .args(&[key("key", 0), string("member").multi()]),
    doc("geopos", "Returns longitude and latitude of members of a geospatial index", "3.2.0", "O(N) where N is the number of members requested.")
        .args(&[key("key", 0), string("member").multi()]),
    doc("georadius", "Query a sorted set representing a geospatial index to fetch members matching a given maximum distance from a point", "3.2.0", "O(N+log(M)) where N is the number of elements inside the bounding box of the circular area delimited by center and radius and M is the number of items inside the index.")
        .deprecated("6.2.0", "`GEOSEARCH` and `GEOSEARCHSTORE` with the `BYRADIUS` argument")
        .history(&[
            ("6.2.0", "Added the `ANY` option for `COUNT`."),
            ("7.0.0", "Added support for uppercase unit names."),
        ])
        .args(&[
            key("key", 0),
            double("longitude"),
            double("latitude"),
            double("radius"),
            oneof("unit").of(&[tok("M"), tok("KM"), tok("FT"), tok("MI")]),
            tok("WITHCOORD").opt(),
            tok("WITHDIST").opt(),
            tok("WITHHASH").opt(),
            block("count").opt().of(&[
                integer("count").token("COUNT"),
                tok("ANY").since("6.2.0").opt(),
            ]),
            oneof("order").opt().of(&[tok("ASC"), tok("DESC")]),
            key("key", 1).token("STORE").opt(),
            key("key", 2).token("STOREDIST").opt(),
        ]),
    doc("georadius_ro", "A read-only variant for GEORADIUS", "3.2.10", "O(N+log(M)) where N is the number of elements inside the bounding box of the circular area delimited by center and radius and M is the number of items inside the index.")
        .deprecated("6.2.0", "`GEOSEARCH` with the `BYRADIUS` argument")
        .history(&[("6.2.0", "Added the `ANY` option for `COUNT`.")])
        .args(&[
            key("key", 0),
            double("longitude"),
            double("latitude"),
            double("radius"),
            oneof("unit").of(&[tok("M"), tok("KM"), tok("FT"), tok("MI")]),
            tok("WITHCOORD").opt(),
            tok("WITHDIST").opt(),
            tok("WITHHASH").opt(),
            block("count").opt().of(&[
                integer("count").token("COUNT"),
                tok("ANY").since("6.2.0").opt(),
            ]),
            oneof("order").opt().of(&[tok("ASC"), tok("DESC")]),
        ]),
    doc("georadiusbymember", "Query a sorted set representing a geospatial index to fetch members matching a given maximum distance from a member", "3.2.0", "O(N+log(M)) where N is the number of elements inside the bounding box of the circular area delimited by center and radius and M is the number of items inside the index.")
        .deprecated("6.2.0", "`GEOSEARCH` and `GEOSEARCHSTORE` with the `BYRADIUS` and `FROMMEMBER` arguments")
        .history(&[("7.0.0", "Added support for uppercase unit names.")])
        .args(&[
            key("key", 0),
            string("member"),
            double("radius"),
            oneof("unit").of(&[tok("M"), tok("KM"), tok("FT"), tok("MI")]),
            tok("WITHCOORD").opt(),
            tok("WITHDIST").opt(),
            tok("WITHHASH").opt(),
            block("count").opt().of(&[integer("count").token("COUNT"), tok("ANY").opt()]),
            oneof("order").opt().of(&[tok("ASC"), tok("DESC")]),
            key("key", 1).token("STORE").opt(),
            key("key", 2).token("STOREDIST").opt(),
        ]),
    doc("georadiusbymember_ro", "A read-only variant for GEORADIUSBYMEMBER", "3.2.10", "O(N+log(M)) where N is the number of elements inside the bounding box of the circular area delimited by center and radius and M is the number of items inside the index.")
        .deprecated("6.2.0", "`GEOSEARCH` with the `BYRADIUS` and `FROMMEMBER` arguments")
        .args(&[
            key("key", 0),
            string("member"),
            double("radius"),
            oneof("unit").of(&[tok("M"), tok("KM"), tok("FT"), tok("MI")]),
            tok("WITHCOORD").opt(),
            tok("WITHDIST").opt(),
            tok("WITHHASH").opt(),
            block("count").opt().of(&[integer("count").token("COUNT"), tok("ANY").opt()]),
            oneof("order").opt().of(&[tok("ASC"), tok("DESC")]),
        ]),
    doc("geosearch", "Query a sorted set representing a geospatial index to fetch members inside an area of a box or a circle.", "6.2.0", "O(N+log(M)) where N is the number of elements in the grid-aligned bounding box area around the shape provided as the filter and M is the number of items inside the shape")
        .history(&[("7.0.0", "Added support for uppercase unit names.")])
        .args(&[
            key("key", 0),
            oneof("from").of(&[
                string("member").token("FROMMEMBER"),
                block("longitude_latitude").token("FROMLONLAT").of(&[
                    double("longitude"),
                    double("latitude"),
                ]),
            ]),
            oneof("by").of(&[
                block("circle").of(&[
                    double("radius").token("BYRADIUS"),
                    oneof("unit").of(&[tok("M"), tok("KM"), tok("FT"), tok("MI")]),
                ]),
                block("box").of(&[
                    double("width").token("BYBOX"),
                    double("height"),
                    oneof("unit").of(&[tok("M"), tok("KM"), tok("FT"), tok("MI")]),
                ]),
            ]),
            oneof("order").opt().of(&[tok("ASC"), tok("DESC")]),
            block("count").opt().of(&[integer("count").token("COUNT"), tok("ANY").opt()]),
            tok("WITHCOORD").opt(),
            tok("WITHDIST").opt(),
            tok("WITHHASH").opt(),
        ]),
    doc("geosearchstore", "Query a sorted set representing a geospatial index to fetch members inside an area of a box or a circle, and store the result in another key.", "6.2.0", "O(N+log(M)) where N is the number of elements in the grid-aligned bounding box area around the shape provided as the filter and M is the number of items inside the shape")
        .history(&[("7.0.0", "Added support for uppercase unit names.")])
        .args(&[
            key("destination", 0),
            key("source", 1),
            oneof("from").of(&[
                string("member").token("FROMMEMBER"),
                block("longitude_latitude").token("FROMLONLAT").of(&[
                    double("longitude"),
                    double("latitude"),
                ]),
            ]),
            oneof("by").of(&[
                block("circle").of(&[
                    double("radius").token("BYRADIUS"),
                    oneof("unit").of(&[tok("M"), tok("KM"), tok("FT"), tok("MI")]),
                ]),
                block("box").of(&[
                    double("width").token("BYBOX"),
                    double("height"),
                    oneof("unit").of(&[tok("M"), tok("KM"), tok("FT"), tok("MI")]),
                ]),
            ]),
            oneof("order").opt().of(&[tok("ASC"), tok("DESC")]),
            block("count").opt().of(&[integer("count").token("COUNT"), tok("ANY").opt()]),
            tok("STOREDIST").opt(),
        ]),
    doc("get", "Get the value of a key", "1.0.0", "O(1)")
        .args(&[key("key", 0)]),
    doc("getbit", "Returns the bit value at offset in the string value stored at key", "2.2.0", "O(1)")
        .args(&[key("key", 0), integer("offset")]),
    doc("getdel", "Get the value of a key and delete the key", "6.2.0", "O(1)")
        .args(&[key("key", 0)]),
    doc("getex", "Get the value of a key and optionally set its expiration", "6.2.0", "O(1)")
        .args(&[
            key("key", 0),
            oneof("expiration").opt().of(&[
                integer("seconds").token("EX"),
                integer("milliseconds").token("PX"),
                unix_time("unix-time-seconds").token("EXAT"),
                unix_time("unix-time-milliseconds").token("PXAT"),
                tok("PERSIST"),
            ]),
        ]),
    doc("getrange", "Get a substring of the string stored at a key", "2.4.0", "O(N) where N is the length of the returned string. The complexity is ultimately determined by the returned length, but because creating a substring from an existing string is very cheap, it can be considered O(1) for small strings.")
        .args(&[key("key", 0), integer("start"), integer("end")]),
    doc("getset", "Set the string value of a key and return its old value", "1.0.0", "O(1)")
        .deprecated("6.2.0", "`SET` with the `!GET` argument")
        .args(&[key("key", 0), string("value")]),
    doc("hdel", "Delete one or more hash fields", "2.0.0", "O(N) where N is the number of fields to be removed.")
        .history(&[("2.4.0", "Accepts multiple `field` arguments.")])
        .args(&[key("key", 0), string("field").multi()]),
    doc("hello", "Handshake with Redis", "6.0.0", "O(1)")
        .history(&[
            ("6.2.0", "`protover` made optional; when called without arguments the command reports the current connection's context."),
        ])
        .args(&[
            block("arguments").opt().of(&[
                integer("protover"),
                block("username_password").token("AUTH").opt().of(&[
                    string("username"),
                    string("password"),
                ]),
                string("clientname").token("SETNAME").opt(),
            ]),
        ]),
    doc("hexists", "Determine if a hash field exists", "2.0.0", "O(1)")
        .args(&[key("key", 0), string("field")]),
    doc("hget", "Get the value of a hash field", "2.0.0", "O(1)")
        .args(&[key("key", 0), string("field")]),
    doc("hgetall", "Get all the fields and values in a hash", "2.0.0", "O(N) where N is the size of the hash.")
        .args(&[key("key", 0)]),
    doc("hincrby", "Increment the integer value of a hash field by the given number", "2.0.0", "O(1)")
        .args(&[key("key", 0), string("field"), integer("increment")]),
    doc("hincrbyfloat", "Increment the float value of a hash field by the given amount", "2.6.0", "O(1)")
        .args(&[key("key", 0), string("field"), double("increment")]),
    doc("hkeys", "Get all the fields in a hash", "2.0.0", "O(N) where N is the size of the hash.")
        .args(&[key("key", 0)]),
    doc("hlen", "Get the number of fields in a hash", "2.0.0", "O(1)")
        .args(&[key("key", 0)]),
    doc("hmget", "Get the values of all the given hash fields", "2.0.0", "O(N) where N is the number of fields being requested.")
        .args(&[key("key", 0), string("field").multi()]),
    doc("hmset", "Set multiple hash fields to multiple values", "2.0.0", "O(N) where N is the number of fields being set.")
        .deprecated("4.0.0", "`HSET` with multiple field-value pairs")
        .args(&[
            key("key", 0),
            block("field_value").multi().of(&[string("field"), string("value")]),
        ]),
    doc("hrandfield", "Get one or multiple random fields from a hash", "6.2.0", "O(N) where N is the number of fields returned")
        .args(&[
            key("key", 0),
            block("options").opt().of(&[integer("count"), tok("WITHVALUES").opt()]),
        ]),
    doc("hscan", "Incrementally iterate hash fields and associated values", "2.8.0", "O(1) for every call. O(N) for a complete iteration, including enough command calls for the cursor to return back to 0. N is the number of elements inside the collection..")
        .args(&[
            key("key", 0),
            integer("cursor"),
            pattern("pattern").token("MATCH").opt(),
            integer("count").token("COUNT").opt(),
        ]),
    doc("hset", "Set the string value of a hash field", "2.0.0", "O(1) for each field/value pair added, so O(N) to add N field/value pairs when the command is called with multiple field/value pairs.")
        .history(&[("4.0.0", "Accepts multiple `field` and `value` arguments.")])
        .args(&[
            key("key", 0),
            block("field_value").multi().of(&[string("field"), string("value")]),
        ]),
    doc("hsetnx", "Set the value of a hash field, only if the field does not exist", "2.0.0", "O(1)")
        .args(&[key("key", 0), string("field"), string("value")]),
    doc("hstrlen", "Get the length of the value of a hash field", "3.2.0", "O(1)")
        .args(&[key("key", 0), string("field")]),
    doc("hvals", "Get all the values in a hash", "2.0.0", "O(N) where N is the size of the hash.")
        .args(&[key("key", 0)]),
    doc("incr", "Increment the integer value of a key by one", "1.0.0", "O(1)")
        .args(&[key("key", 0)]),
    doc("incrby", "Increment the integer value of a key by the given amount", "1.0.0", "O(1)")
        .args(&[key("key", 0), integer("increment")]),
    doc("incrbyfloat", "Increment the float value of a key by the given amount", "2.6.0", "O(1)")
        .args(&[key("key", 0), double("increment")]),
    doc("info", "Get information and statistics about the server", "1.0.0", "O(1)")
        .history(&[("7.0.0", "Added support for taking multiple section arguments.")])
        .args(&[string("section").opt().multi()]),
    doc("keys", "Find all keys matching the given pattern", "1.0.0", "O(N) with N being the number of keys in the database, under the assumption that the key names in the database and the given pattern have limited length.")
        .args(&[pattern("pattern")]),
    doc("lastsave", "Get the UNIX time stamp of the last successful save to disk", "1.0.0", "O(1)"),
    doc("latency", "A container for latency diagnostics commands", "2.8.13", "Depends on subcommand."),
    doc("latency|doctor", "Return a human readable latency analysis report.", "2.8.13", "O(1)"),
    doc("latency|graph", "Return a latency graph for the event.", "2.8.13", "O(1)")
        .args(&[string("event")]),
    doc("latency|help", "Show helpful text about the different subcommands.", "2.8.13", "O(1)"),
    doc("latency|histogram", "Return the cumulative distribution of latencies of a subset of commands or all.", "7.0.0", "O(N) where N is the number of commands with latency information being retrieved.")
        .args(&[string("command").opt().multi()]),
    doc("latency|history", "Return timestamp-latency samples for the event.", "2.8.13", "O(1)")
        .args(&[string("event")]),
    doc("latency|latest", "Return the latest latency samples for all events.", "2.8.13", "O(1)"),
    doc("latency|reset", "Reset latency data for one or more events.", "2.8.13", "O(1)")
        .args(&[string("event").opt().multi()]),
    doc("lcs", "Find longest common substring", "7.0.0", "O(N*M) where N and M are the lengths of s1 and s2, respectively")
        .args(&[
            key("key1", 0),
            key("key2", 0),
            tok("LEN").opt(),
            tok("IDX").opt(),
            integer("len").token("MINMATCHLEN").opt(),
            tok("WITHMATCHLEN").opt(),
        ]),
    doc("lindex", "Get an element from a list by its index", "1.0.0", "O(N) where N is the number of elements to traverse to get to the element at index. This makes asking for the first or the last element of the list O(1).")
        .args(&[key("key", 0), integer("index")]),
    doc("linsert", "Insert an element before or after another element in a list", "2.2.0", "O(N) where N is the number of elements to traverse before seeing the value pivot. This means that inserting somewhere on the left end on the list (head) can be considered O(1) and inserting somewhere on the right end (tail) is O(N).")
        .args(&[
            key("key", 0),
            oneof("where").of(&[tok("BEFORE"), tok("AFTER")]),
            string("pivot"),
            string("element"),
        ]),
    doc("llen", "Get the length of a list", "1.0.0", "O(1)")
        .args(&[key("key", 0)]),
    doc("lmove", "Pop an element from a list, push it to another list and return it", "6.2.0", "O(1)")
        .args(&[
            key("source", 0),
            key("destination", 1),
            oneof("wherefrom").of(&[tok("LEFT"), tok("RIGHT")]),
            oneof("whereto").of(&[tok("LEFT"), tok("RIGHT")]),
        ]),
    doc("lmpop", "Pop elements from a list", "7.0.0", "O(N+M) where N is the number of provided keys and M is the number of elements returned.")
        .args(&[
            integer("numkeys"),
            key("key", 0).multi(),
            oneof("where").of(&[tok("LEFT"), tok("RIGHT")]),
            integer("count").token("COUNT").opt(),
        ]),
    doc("lolwut", "Display some computer art and the Redis version", "5.0.0", "")
        .args(&[integer("version").token("VERSION").opt()]),
    doc("lpop", "Remove and get the first elements in a list", "1.0.0", "O(N) where N is the number of elements returned")
        .history(&[("6.2.0", "Added the `count` argument.")])
        .args(&[key("key", 0), integer("count").since("6.2.0").opt()]),
    doc("lpos", "Return the index of matching elements on a list", "6.0.6", "O(N) where N is the number of elements in the list, for the average case. When searching for elements near the head or the tail of the list, or when the MAXLEN option is provided, the command may run in constant time.")
        .args(&[
            key("key", 0),
            string("element"),
            integer("rank").token("RANK").opt(),
            integer("num-matches").token("COUNT").opt(),
            integer("len").token("MAXLEN").opt(),
        ]),
    doc("lpush", "Prepend one or multiple elements to a list", "1.0.0", "O(1) for each element added, so O(N) to add N elements when the command is called with multiple arguments.")
        .history(&[("2.4.0", "Accepts multiple `element` arguments.")])
        .args(&[key("key", 0), string("element").multi()]),
    doc("lpushx", "Prepend an element to a list, only if the list exists", "2.2.0", "O(1) for each element added, so O(N) to add N elements when the command is called with multiple arguments.")
        .history(&[("4.0.0", "Accepts multiple `element` arguments.")])
        .args(&[key("key", 0), string("element").multi()]),
    doc("lrange", "Get a range of elements from a list", "1.0.0", "O(S+N) where S is the distance of start offset from HEAD for small lists, from nearest end (HEAD or TAIL) for large lists; and N is the number of elements in the specified range.")
        .args(&[key("key", 0), integer("start"), integer("stop")]),
    doc("lrem", "Remove elements from a list", "1.0.0", "O(N+M) where N is the length of the list and M is the number of elements removed.")
        .args(&[key("key", 0), integer("count"), string("element")]),
    doc("lset", "Set the value of an element in a list by its index", "1.0.0", "O(N) where N is the length of the list. Setting either the first or the last element of the list is O(1).")
        .args(&[key("key", 0), integer("index"), string("element")]),
    doc("ltrim", "Trim a list to the specified range", "1.0.0", "O(N) where N is the number of elements to be removed by the operation.")
        .args(&[key("key", 0), integer("start"), integer("stop")]),
    doc("memory", "A container for memory diagnostics commands", "4.0.0", "Depends on subcommand."),
    doc("memory|doctor", "Outputs memory problems report", "4.0.0", "O(1)"),
    doc("memory|help", "Show helpful text about the different subcommands", "4.0.0", "O(1)"),
    doc("memory|malloc-stats", "Show allocator internal stats", "4.0.0", "Depends on how much memory is allocated, could be slow"),
    doc("memory|purge", "Ask the allocator to release memory", "4.0.0", "Depends on how much memory is allocated, could be slow"),
    doc("memory|stats", "Show memory usage details", "4.0.0", "O(1)"),
    doc("memory|usage", "Estimate the memory usage of a key", "4.0.0", "O(N) where N is the number of samples.")
        .args(&[key("key", 0), integer("count").token("SAMPLES").opt()]),
    doc("mget", "Get the values of all the given keys", "1.0.0", "O(N) where N is the number of keys to retrieve.")
        .args(&[key("key", 0).multi()]),
    doc("migrate", "Atomically transfer a key from a Redis instance to another one.", "2.6.0", "This command actually executes a DUMP+DEL in the source instance, and a RESTORE in the target instance. See the pages of these commands for time complexity. Also an O(N) data transfer between the two instances is performed.")
        .history(&[
            ("3.0.0", "Added the `COPY` and `REPLACE` options."),
            ("3.0.6", "Added the `KEYS` option."),
            ("4.0.7", "Added the `AUTH` option."),
            ("6.0.0", "Added the `AUTH2` option."),
        ])
        .args(&[
            string("host"),
            integer("port"),
            oneof("key_or_empty_string").of(&[key("key", 0), tok("").named("empty_string")]),
            integer("destination-db"),
            integer("timeout"),
            tok("COPY").since("3.0.0").opt(),
            tok("REPLACE").since("3.0.0").opt(),
            oneof("authentication").opt().of(&[
                string("password").token("AUTH").since("4.0.7").opt(),
                block("username_password").token("AUTH2").since("6.0.0").opt().of(&[
                    string("username"),
                    string("password"),
                ]),
            ]),
            key("key", 1).token("KEYS").since("3.0.6").opt().multi(),
        ]),
    doc("module", "A container for module commands", "4.0.0", "Depends on subcommand."),
    doc("module|help", "Show helpful text about the different subcommands", "5.0.0", "O(1)"),
    doc("module|list", "List all modules loaded by the server", "4.0.0", "O(N) where N is the number of loaded modules."),
    doc("module|load", "Load a module", "4.0.0", "O(1)")
        .args(&[string("path"), string("arg").opt().multi()]),
    doc("module|loadex", "Load a module with extended parameters", "7.0.0", "O(1)")
        .args(&[
            string("path"),
            block("configs").token("CONFIG").opt().multi().multi_token().of(&[
                string("name"),
                string("value"),
            ]),
            block("args").token("ARGS").opt().multi().of(&[string("arg")]),
        ]),
    doc("module|unload", "Unload a module", "4.0.0", "O(1)")
        .args(&[string("name")]),
    doc("monitor", "Listen for all requests received by the server in real time", "1.0.0", ""),
    doc("move", "Move a key to another database", "1.0.0", "O(1)")
        .args(&[key("key", 0), integer("db")]),
    doc("mset", "Set multiple keys to multiple values", "1.0.1", "O(N) where N is the number of keys to set.")
        .args(&[block("key_value").multi().of(&[key("key", 0), string("value")])]),
    doc("msetnx", "Set multiple keys to multiple values, only if none of the keys exist", "1.0.1", "O(N) where N is the number of keys to set.")
        .args(&[block("key_value").multi().of(&[key("key", 0), string("value")])]),
    doc("multi", "Mark the start of a transaction block", "1.2.0", "O(1)"),
    doc("object", "A container for object introspection commands", "2.2.3", "Depends on subcommand."),
    doc("object|encoding", "Inspect the internal encoding of a Redis object", "2.2.3", "O(1)")
        .args(&[key("key", 0)]),
    doc("object|freq", "Get the logarithmic access frequency counter of a Redis object", "4.0.0", "O(1)")
        .args(&[key("key", 0)]),
    doc("object|help", "Show helpful text about the different subcommands", "6.2.0", "O(1)"),
    doc("object|idletime", "Get the time since a Redis object was last accessed", "2.2.3", "O(1)")
        .args(&[key("key", 0)]),
    doc("object|refcount", "Get the number of references to the value of the key", "2.2.3", "O(1)")
        .args(&[key("key", 0)]),
    doc("persist", "Remove the expiration from a key", "2.2.0", "O(1)")
        .args(&[key("key", 0)]),
    doc("pexpire", "Set a key's time to live in milliseconds", "2.6.0", "O(1)")
        .history(&[("7.0.0", "Added options: `NX`, `XX`, `GT` and `LT`.")])
        .args(&[
            key("key", 0),
            integer("milliseconds"),
            oneof("condition").since("7.0.0").opt().of(&[
                tok("NX"),
                tok("XX"),
                tok("GT"),
                tok("LT"),
            ]),
        ]),
    doc("pexpireat", "Set the expiration for a key as a UNIX timestamp specified in milliseconds", "2.6.0", "O(1)")
        .history(&[("7.0.0", "Added options: `NX`, `XX`, `GT` and `LT`.")])
        .args(&[
            key("key", 0),
            unix_time("unix-time-milliseconds"),
            oneof("condition").since("7.0.0").opt().of(&[
                tok("NX"),
                tok("XX"),
                tok("GT"),
                tok("LT"),
            ]),
        ]),
    doc("pexpiretime", "Get the expiration Unix timestamp for a key in milliseconds", "7.0.0", "O(1)")
        .args(&[key("key", 0)]),
    doc("pfadd", "Adds the specified elements to the specified HyperLogLog.", "2.8.9", "O(1) to add every element.")
        .args(&[key("key", 0), string("element").opt().multi()]),
    doc("pfcount", "Return the approximated cardinality of the set(s) observed by the HyperLogLog at key(s).", "2.8.9", "O(1) with a very small average constant time when called with a single key. O(N) with N being the number of keys, and much bigger constant times, when called with multiple keys.")
        .args(&[key("key", 0).multi()]),
    doc("pfdebug", "Internal commands for debugging HyperLogLog values", "2.8.9", "N/A")
        .syscmd()
        .args(&[string("subcommand"), key("key", 0)]),
    doc("pfmerge", "Merge N different HyperLogLogs into a single one.", "2.8.9", "O(N) to merge N HyperLogLogs, but with high constant times.")
        .args(&[key("destkey", 0), key("sourcekey", 1).multi()]),
    doc("pfselftest", "An internal command for testing HyperLogLog values", "2.8.9", "N/A")
        .syscmd(),
    doc("ping", "Ping the server", "1.0.0", "O(1)")
        .args(&[string("message").opt()]),
    doc("psetex", "Set the value and expiration in milliseconds of a key", "2.6.0", "O(1)")
        .args(&[key("key", 0), integer("milliseconds"), string("value")]),
    doc("psubscribe", "Listen for messages published to channels matching the given patterns", "2.0.0", "O(N) where N is the number of patterns the client is already subscribed to.")
        .args(&[block("pattern").multi().of(&[pattern("pattern")])]),
    doc("psync", "Internal command used for replication", "2.8.0", "")
        .args(&[string("replicationid"), integer("offset")]),
    doc("pttl", "Get the time to live for a key in milliseconds", "2.6.0", "O(1)")
        .history(&[("2.8.0", "Added the -2 reply.")])
        .args(&[key("key", 0)]),
    doc("publish", "Post a message to a channel", "2.0.0", "O(N+M) where N is the number of clients subscribed to the receiving channel and M is the total number of subscribed patterns (by any client).")
        .args(&[string("channel"), string("message")]),
    doc("pubsub", "A container for Pub/Sub commands", "2.8.0", "Depends on subcommand."),
    doc("pubsub|channels", "List active channels", "2.8.0", "O(N) where N is the number of active channels, and assuming constant time pattern matching (relatively short channels and patterns)")
        .args(&[pattern("pattern").opt()]),
    doc("pubsub|help", "Show helpful text about the different subcommands", "6.2.0", "O(1)"),
    doc("pubsub|numpat", "Get the count of unique patterns pattern subscriptions", "2.8.0", "O(1)"),
    doc("pubsub|numsub", "Get the count of subscribers for channels", "2.8.0", "O(N) for the NUMSUB subcommand, where N is the number of requested channels")
        .args(&[string("channel").opt().multi()]),
    doc("pubsub|shardchannels", "List active shard channels", "7.0.0", "O(N) where N is the number of active shard channels, and assuming constant time pattern matching (relatively short shard channels).")
        .args(&[pattern("pattern").opt()]),
    doc("pubsub|shardnumsub", "Get the count of subscribers for shard channels", "7.0.0", "O(N) for the SHARDNUMSUB subcommand, where N is the number of requested shard channels")
        .args(&[string("shardchannel").opt().multi()]),
    doc("punsubscribe", "Stop listening for messages posted to channels matching the given patterns", "2.0.0", "O(N+M) where N is the number of patterns the client is already subscribed and M is the number of total patterns subscribed in the system (by any client).")
        .args(&[pattern("pattern").opt().multi()]),
    doc("quit", "Close the connection", "1.0.0", "O(1)"),
    doc("randomkey", "Return a random key from the keyspace", "1.0.0", "O(1)"),
    doc("readonly", "Enables read queries for a connection to a cluster replica node", "3.0.0", "O(1)"),
    doc("readwrite", "Disables read queries for a connection to a cluster replica node", "3.0.0", "O(1)"),
    doc("rename", "Rename a key", "1.0.0", "O(1)")
        .args(&[key("key", 0), key("newkey", 1)]),
    doc("renamenx", "Rename a key, only if the new key does not exist", "1.0.0", "O(1)")
        .history(&[
            ("3.2.0", "The command no longer returns an error when source and destination names are the same."),
        ])
        .args(&[key("key", 0), key("newkey", 1)]),
    doc("replconf", "An internal command for configuring the replication stream", "3.0.0", "O(1)")
        .syscmd(),
    doc("replicaof", "Make the server a replica of another instance, or promote it as master.", "5.0.0", "O(1)")
        .args(&[
            oneof("args").of(&[
                block("host-port").of(&[string("host"), integer("port")]),
                block("no-one").of(&[tok("NO"), tok("ONE")]),
            ]),
        ]),
    doc("reset", "Reset the connection", "6.2.0", "O(1)"),
    doc("restore", "Create a key using the provided serialized value, previously obtained using DUMP.", "2.6.0", "O(1) to create the new key and additional O(N*M) to reconstruct the serialized value, where N is the number of Redis objects composing the value and M their average size. For small string values the time complexity is thus O(1)+O(1*M) where M is small, so simply O(1). However for sorted set values the complexity is O(N*M*log(N)) because inserting values into sorted sets is O(log(N)).")
        .history(&[
            ("3.0.0", "Added the `REPLACE` modifier."),
            ("5.0.0", "Added the `ABSTTL` modifier."),
            ("5.0.0", "Added the `IDLETIME` and `FREQ` options."),
        ])
        .args(&[
            key("key", 0),
            integer("ttl"),
            string("serialized-value"),
            tok("REPLACE").since("3.0.0").opt(),
            tok("ABSTTL").since("5.0.0").opt(),
            integer("seconds").token("IDLETIME").since("5.0.0").opt(),
            integer("frequency").token("FREQ").since("5.0.0").opt(),
        ]),
    doc("restore-asking", "An internal command for migrating keys in a cluster", "3.0.0", "O(1) to create the new key and additional O(N*M) to reconstruct the serialized value, where N is the number of Redis objects composing the value and M their average size. For small string values the time complexity is thus O(1)+O(1*M) where M is small, so simply O(1). However for sorted set values the complexity is O(N*M*log(N)) because inserting values into sorted sets is O(log(N)).")
        .syscmd()
        .history(&[
            ("3.0.0", "Added the `REPLACE` modifier."),
            ("5.0.0", "Added the `ABSTTL` modifier."),
            ("5.0.0", "Added the `IDLETIME` and `FREQ` options."),
        ])
        .args(&[
            key("key", 0),
            integer("ttl"),
            string("serialized-value"),
            tok("REPLACE").since("3.0.0").opt(),
            tok("ABSTTL").since("5.0.0").opt(),
            integer("seconds").token("IDLETIME").since("5.0.0").opt(),
            integer("frequency").token("FREQ").since("5.0.0").opt(),
        ]),
    doc("role", "Return the role of the instance in the context of replication", "2.8.12", "O(1)"),
    doc("rpop", "Remove and get the last elements in a list", "1.0.0", "O(N) where N is the number of elements returned")
        .history(&[("6.2.0", "Added the `count` argument.")])
        .args(&[key("key", 0), integer("count").since("6.2.0").opt()]),
    doc("rpoplpush", "Remove the last element in a list, prepend it to another list and return it", "1.2.0", "O(1)")
        .deprecated("6.2.0", "`LMOVE` with the `RIGHT` and `LEFT` arguments")
        .args(&[key("source", 0), key("destination", 1)]),
    doc("rpush", "Append one or multiple elements to a list", "1.0.0", "O(1) for each element added, so O(N) to add N elements when the command is called with multiple arguments.")
        .history(&[("2.4.0", "Accepts multiple `element` arguments.")])
        .args(&[key("key", 0), string("element").multi()]),
    doc("rpushx", "Append an element to a list, only if the list exists", "2.2.0", "O(1) for each element added, so O(N) to add N elements when the command is called with multiple arguments.")
        .history(&[("4.0.0", "Accepts multiple `element` arguments.")])
        .args(&[key("key", 0), string("element").multi()]),
    doc("sadd", "Add one or more members to a set", "1.0.0", "O(1) for each element added, so O(N) to add N elements when the command is called with multiple arguments.")
        .history(&[("2.4.0", "Accepts multiple `member` arguments.")])
        .args(&[key("key", 0), string("member").multi()]),
    doc("save", "Synchronously save the dataset to disk", "1.0.0", "O(N) where N is the total number of keys in all databases"),
    doc("scan", "Incrementally iterate the keys space", "2.8.0", "O(1) for every call. O(N) for a complete iteration, including enough command calls for the cursor to return back to 0. N is the number of elements inside the collection.")
        .history(&[("6.0.0", "Added the `TYPE` subcommand.")])
        .args(&[
            integer("cursor"),
            pattern("pattern").token("MATCH").opt(),
            integer("count").token("COUNT").opt(),
            string("type").token("TYPE").since("6.0.0").opt(),
        ]),
    doc("scard", "Get the number of members in a set", "1.0.0", "O(1)")
        .args(&[key("key", 0)]),
    doc("script", "A container for Lua scripts management commands", "2.6.0", "Depends on subcommand."),
    doc("script|debug", "Set the debug mode for executed scripts.", "3.2.0", "O(1)")
        .args(&[oneof("mode").of(&[tok("YES"), tok("SYNC"), tok("NO")])]),
    doc("script|exists", "Check existence of scripts in the script cache.", "2.6.0", "O(N) with N being the number of scripts to check (so checking a single script is an O(1) operation).")
        .args(&[string("sha1").multi()]),
    doc("script|flush", "Remove all the scripts from the script cache.", "2.6.0", "O(N) with N being the number of scripts in cache")
        .history(&[("6.2.0", "Added the `ASYNC` and `SYNC` flushing mode modifiers.")])
        .args(&[oneof("async").since("6.2.0").opt().of(&[tok("ASYNC"), tok("SYNC")])]),
    doc("script|help", "Show helpful text about the different subcommands", "5.0.0", "O(1)"),
    doc("script|kill", "Kill the script currently in execution.", "2.6.0", "O(1)"),
    doc("script|load", "Load the specified Lua script into the script cache.", "2.6.0", "O(N) with N being the length in bytes of the script body.")
        .args(&[string("script")]),
    doc("sdiff", "Subtract multiple sets", "1.0.0", "O(N) where N is the total number of elements in all given sets.")
        .args(&[key("key", 0).multi()]),
    doc("sdiffstore", "Subtract multiple sets and store the resulting set in a key", "1.0.0", "O(N) where N is the total number of elements in all given sets.")
        .args(&[key("destination", 0), key("key", 1).multi()]),
    doc("select", "Change the selected database for the current connection", "1.0.0", "O(1)")
        .args(&[integer("index")]),
    doc("set", "Set the string value of a key", "1.0.0", "O(1)")
        .history(&[
            ("2.6.12", "Added the `EX`, `PX`, `NX` and `XX` options."),
            ("6.0.0", "Added the `KEEPTTL` option."),
            ("6.2.0", "Added the `GET`, `EXAT` and `PXAT` option."),
            ("7.0.0", "Allowed the `NX` and `GET` options to be used together."),
        ])
        .args(&[
            key("key", 0),
            string("value"),
            oneof("condition").since("2.6.12").opt().of(&[tok("NX"), tok("XX")]),
            tok("GET").since("6.2.0").opt(),
            oneof("expiration").opt().of(&[
                integer("seconds").token("EX").since("2.6.12"),
                integer("milliseconds").token("PX").since("2.6.12"),
                unix_time("unix-time-seconds").token("EXAT").since("6.2.0"),
                unix_time("unix-time-milliseconds").token("PXAT").since("6.2.0"),
                tok("KEEPTTL").since("6.0.0"),
            ]),
        ]),
    doc("setbit", "Sets or clears the bit at offset in the string value stored at key", "2.2.0", "O(1)")
        .args(&[key("key", 0), integer("offset"), integer("value")]),
    doc("setex", "Set the value and expiration of a key", "2.0.0", "O(1)")
        .args(&[key("key", 0), integer("seconds"), string("value")]),
    doc("setnx", "Set the value of a key, only if the key does not exist", "1.0.0", "O(1)")
        .args(&[key("key", 0), string("value")]),
    doc("setrange", "Overwrite part of a string at key starting at the specified offset", "2.2.0", "O(1), not counting the time taken to copy the new string in place. Usually, this string is very small so the amortized complexity is O(1). Otherwise, complexity is O(M) with M being the length of the value argument.")
        .args(&[key("key", 0), integer("offset"), string("value")]),
    doc("shutdown", "Synchronously save the dataset to disk and then shut down the server", "1.0.0", "O(N) when saving, where N is the total number of keys in all databases when saving data, otherwise O(1)")
        .history(&[("7.0.0", "Added the `NOW`, `FORCE` and `ABORT` modifiers.")])
        .args(&[
            oneof("nosave_save").opt().of(&[tok("NOSAVE"), tok("SAVE")]),
            tok("NOW").since("7.0.0").opt(),
            tok("FORCE").since("7.0.0").opt(),
            tok("ABORT").since("7.0.0").opt(),
        ]),
    doc("sinter", "Intersect multiple sets", "1.0.0", "O(N*M) worst case where N is the cardinality of the smallest set and M is the number of sets.")
        .args(&[key("key", 0).multi()]),
    doc("sintercard", "Intersect multiple sets and return the cardinality of the result", "7.0.0", "O(N*M) worst case where N is the cardinality of the smallest set and M is the number of sets.")
        .args(&[integer("numkeys"), key("key", 0).multi(), integer("limit").token("LIMIT").opt()]),
    doc("sinterstore", "Intersect multiple sets and store the resulting set in a key", "1.0.0", "O(N*M) worst case where N is the cardinality of the smallest set and M is the number of sets.")
        .args(&[key("destination", 0), key("key", 1).multi()]),
    doc("sismember", "Determine if a given value is a member of a set", "1.0.0", "O(1)")
        .args(&[key("key", 0), string("member")]),
    doc("slaveof", "Make the server a replica of another instance, or promote it as master.", "1.0.0", "O(1)")
        .deprecated("5.0.0", "`REPLICAOF`")
        .args(&[
            oneof("args").of(&[
                block("host-port").of(&[string("host"), integer("port")]),
                block("no-one").of(&[tok("NO"), tok("ONE")]),
            ]),
        ]),
    doc("slowlog", "A container for slow log commands", "2.2.12", "Depends on subcommand."),
    doc("slowlog|get", "Get the slow log's entries", "2.2.12", "O(N) where N is the number of entries returned")
        .history(&[("4.0.0", "Added client IP address, port and name to the reply.")])
        .args(&[integer("count").opt()]),
    doc("slowlog|help", "Show helpful text about the different subcommands", "6.2.0", "O(1)"),
    doc("slowlog|len", "Get the slow log's length", "2.2.12", "O(1)"),
    doc("slowlog|reset", "Clear all entries from the slow log", "2.2.12", "O(N) where N is the number of entries in the slowlog"),
    doc("smembers", "Get all the members in a set", "1.0.0", "O(N) where N is the set cardinality.")
        .args(&[key("key", 0)]),
    doc("smismember", "Returns the membership associated with the given elements for a set", "6.2.0", "O(N) where N is the number of elements being checked for membership")
        .args(&[key("key", 0), string("member").multi()]),
    doc("smove", "Move a member from one set to another", "1.0.0", "O(1)")
        .args(&[key("source", 0), key("destination", 1), string("member")]),
    doc("sort", "Sort the elements in a list, set or sorted set", "1.0.0", "O(N+M*log(M)) where N is the number of elements in the list or set to sort, and M the number of returned elements. When the elements are not sorted, complexity is O(N).")
        .args(&[
            key("key", 0),
            pattern("pattern").key_spec(1).token("BY").opt(),
            block("offset_count").token("LIMIT").opt().of(&[integer("offset"), integer("count")]),
            pattern("pattern").key_spec(1).token("GET").opt().multi().multi_token(),
            oneof("order").opt().of(&[tok("ASC"), tok("DESC")]),
            tok("ALPHA").named("sorting").opt(),
            key("destination", 2).token("STORE").opt(),
        ]),
    doc("sort_ro", "Sort the elements in a list, set or sorted set. Read-only variant of SORT.", "7.0.0", "O(N+M*log(M)) where N is the number of elements in the list or set to sort, and M the number of returned elements. When the elements are not sorted, complexity is O(N).")
        .args(&[
            key("key", 0),
            pattern("pattern").key_spec(1).token("BY").opt(),
            block("offset_count").token("LIMIT").opt().of(&[integer("offset"), integer("count")]),
            pattern("pattern").key_spec(1).token("GET").opt().multi().multi_token(),
            oneof("order").opt().of(&[tok("ASC"), tok("DESC")]),
            tok("ALPHA").named("sorting").opt(),
        ]),
    doc("spop", "Remove and return one or multiple random members from a set", "1.0.0", "Without the count argument O(1), otherwise O(N) where N is the value of the passed count.")
        .history(&[("3.2.0", "Added the `count` argument.")])
        .args(&[key("key", 0), integer("count").since("3.2.0").opt()]),
    doc("spublish", "Post a message to a shard channel", "7.0.0", "O(N) where N is the number of clients subscribed to the receiving shard channel.")
        .args(&[string("shardchannel"), string("message")]),
    doc("srandmember", "Get one or multiple random members from a set", "1.0.0", "Without the count argument O(1), otherwise O(N) where N is the absolute value of the passed count.")
        .history(&[("2.6.0", "Added the optional `count` argument.")])
        .args(&[key("key", 0), integer("count").since("2.6.0").opt()]),
    doc("srem", "Remove one or more members from a set", "1.0.0", "O(N) where N is the number of members to be removed.")
        .history(&[("2.4.0", "Accepts multiple `member` arguments.")])
        .args(&[key("key", 0), string("member").multi()]),
    doc("sscan", "Incrementally iterate Set elements", "2.8.0", "O(1) for every call. O(N) for a complete iteration, including enough command calls for the cursor to return back to 0. N is the number of elements inside the collection..")
        .args(&[
            key("key", 0),
            integer("cursor"),
            pattern("pattern").token("MATCH").opt(),
            integer("count").token("COUNT").opt(),
        ]),
    doc("ssubscribe", "Listen for messages published to the given shard channels", "7.0.0", "O(N) where N is the number of shard channels to subscribe to.")
        .args(&[string("shardchannel").multi()]),
    doc("strlen", "Get the length of the value stored in a key", "2.2.0", "O(1)")
        .args(&[key("key", 0)]),
    doc("subscribe", "Listen for messages published to the given channels", "2.0.0", "O(N) where N is the number of channels to subscribe to.")
        .args(&[string("channel").multi()]),
    doc("substr", "Get a substring of the string stored at a key", "1.0.0", "O(N) where N is the length of the returned string. The complexity is ultimately determined by the returned length, but because creating a substring from an existing string is very cheap, it can be considered O(1) for small strings.")
        .deprecated("2.0.0", "`GETRANGE`")
        .args(&[key("key", 0), integer("start"), integer("end")]),
    doc("sunion", "Add multiple sets", "1.0.0", "O(N) where N is the total number of elements in all given sets.")
        .args(&[key("key", 0).multi()]),
    doc("sunionstore", "Add multiple sets and store the resulting set in a key", "1.0.0", "O(N) where N is the total number of elements in all given sets.")
        .args(&[key("destination", 0), key("key", 1).multi()]),
    doc("sunsubscribe", "Stop listening for messages posted to the given shard channels", "7.0.0", "O(N) where N is the number of clients already subscribed to a shard channel.")
        .args(&[string("shardchannel").opt().multi()]),
    doc("swapdb", "Swaps two Redis databases", "4.0.0", "O(N) where N is the count of clients watching or blocking on keys from both databases.")
        .args(&[integer("index1"), integer("index2")]),
    doc("sync", "Internal command used for replication", "1.0.0", ""),
    doc("time", "Return the current server time", "2.6.0", "O(1)"),
    doc("touch", "Alters the last access time of a key(s). Returns the number of existing keys specified.", "3.2.1", "O(N) where N is the number of keys that will be touched.")
        .args(&[key("key", 0).multi()]),
    doc("ttl", "Get the time to live for a key in seconds", "1.0.0", "O(1)")
        .history(&[("2.8.0", "Added the -2 reply.")])
        .args(&[key("key", 0)]),
    doc("type", "Determine the type stored at key", "1.0.0", "O(1)")
        .args(&[key("key", 0)]),
    doc("unlink", "Delete a key asynchronously in another thread. Otherwise it is just as DEL, but non blocking.", "4.0.0", "O(1) for each key removed regardless of its size. Then the command does O(N) work in a different thread in order to reclaim memory, where N is the number of allocations the deleted objects where composed of.")
        .args(&[key("key", 0).multi()]),
    doc("unsubscribe", "Stop listening for messages posted to the given channels", "2.0.0", "O(N) where N is the number of clients already subscribed to a channel.")
        .args(&[string("channel").opt().multi()]),
    doc("unwatch", "Forget about all watched keys", "2.2.0", "O(1)"),
    doc("wait", "Wait for the synchronous replication of all the write commands sent in the context of the current connection", "3.0.0", "O(1)")
        .args(&[integer("numreplicas"), integer("timeout")]),
    doc("watch", "Watch the given keys to determine execution of the MULTI/EXEC block", "2.2.0", "O(1) for every key.")
        .args(&[key("key", 0).multi()]),
    doc("xack", "Marks a pending message as correctly processed, effectively removing it from the pending entries list of the consumer group. Return value of the command is the number of messages successfully acknowledged, that is, the IDs we were actually able to resolve in the PEL.", "5.0.0", "O(1) for each message ID processed.")
        .args(&[key("key", 0), string("group"), string("id").multi()]),
    doc("xadd", "Appends a new entry to a stream", "5.0.0", "O(1) when adding a new entry, O(N) when trimming where N being the number of entries evicted.")
        .history(&[
            ("6.2.0", "Added the `NOMKSTREAM` option, `MINID` trimming strategy and the `LIMIT` option."),
            ("7.0.0", "Added support for the `<ms>-*` explicit ID form."),
        ])
        .args(&[
            key("key", 0),
            tok("NOMKSTREAM").since("6.2.0").opt(),
            block("trim").opt().of(&[
                oneof("strategy").of(&[tok("MAXLEN"), tok("MINID").since("6.2.0")]),
                oneof("operator").opt().of(&[
                    tok("=").named("equal"),
                    tok("~").named("approximately"),
                ]),
                string("threshold"),
                integer("count").token("LIMIT").since("6.2.0").opt(),
            ]),
            oneof("id_or_auto").of(&[tok("*").named("auto_id"), string("id")]),
            block("field_value").multi().of(&[string("field"), string("value")]),
        ]),
    doc("xautoclaim", "Changes (or acquires) ownership of messages in a consumer group, as if the messages were delivered to the specified consumer.", "6.2.0", "O(1) if COUNT is small.")
        .history(&[
            ("7.0.0", "Added an element to the reply array, containing deleted entries the command cleared from the PEL"),
        ])
        .args(&[
            key("key", 0),
            string("group"),
            string("consumer"),
            string("min-idle-time"),
            string("start"),
            integer("count").token("COUNT").opt(),
            tok("JUSTID").opt(),
        ]),
    doc("xclaim", "Changes (or acquires) ownership of a message in a consumer group, as if the message was delivered to the specified consumer.", "5.0.0", "O(log N) with N being the number of messages in the PEL of the consumer group.")
        .args(&[
            key("key", 0),
            string("group"),
            string("consumer"),
            string("min-idle-time"),
            string("id").multi(),
            integer("ms").token("IDLE").opt(),
            unix_time("unix-time-milliseconds").token("TIME").opt(),
            integer("count").token("RETRYCOUNT").opt(),
            tok("FORCE").opt(),
            tok("JUSTID").opt(),
            string("id").token("LASTID").opt(),
        ]),
    doc("xdel", "Removes the specified entries from the stream. Returns the number of items actually deleted, that may be different from the number of IDs passed in case certain IDs do not exist.", "5.0.0", "O(1) for each single item to delete in the stream, regardless of the stream size.")
        .args(&[key("key", 0), string("id").multi()]),
    doc("xgroup", "A container for consumer groups commands", "5.0.0", "Depends on subcommand."),
    doc("xgroup|create", "Create a consumer group.", "5.0.0", "O(1)")
        .history(&[("7.0.0", "Added the `entries_read` named argument.")])
        .args(&[
            key("key", 0),
            string("groupname"),
            oneof("id").of(&[string("id"), tok("$").named("new_id")]),
            tok("MKSTREAM").opt(),
            integer("entries_read").token("ENTRIESREAD").opt(),
        ]),
    doc("xgroup|createconsumer", "Create a consumer in a consumer group.", "6.2.0", "O(1)")
        .args(&[key("key", 0), string("groupname"), string("consumername")]),
    doc("xgroup|delconsumer", "Delete a consumer from a consumer group.", "5.0.0", "O(1)")
        .args(&[key("key", 0), string("groupname"), string("consumername")]),
    doc("xgroup|destroy", "Destroy a consumer group.", "5.0.0", "O(N) where N is the number of entries in the group's pending entries list (PEL).")
        .args(&[key("key", 0), string("groupname")]),
    doc("xgroup|help", "Show helpful text about the different subcommands", "5.0.0", "O(1)"),
    doc("xgroup|setid", "Set a consumer group to an arbitrary last delivered ID value.", "5.0.0", "O(1)")
        .history(&[("7.0.0", "Added the optional `entries_read` argument.")])
        .args(&[
            key("key", 0),
            string("groupname"),
            oneof("id").of(&[string("id"), tok("$").named("new_id")]),
            integer("entries_read").token("ENTRIESREAD").opt(),
        ]),
    doc("xinfo", "A container for stream introspection commands", "5.0.0", "Depends on subcommand."),
    doc("xinfo|consumers", "List the consumers in a consumer group", "5.0.0", "O(1)")
        .args(&[key("key", 0), string("groupname")]),
    doc("xinfo|groups", "List the consumer groups of a stream", "5.0.0", "O(1)")
        .history(&[("7.0.0", "Added the `entries-read` and `lag` fields")])
        .args(&[key("key", 0)]),
    doc("xinfo|help", "Show helpful text about the different subcommands", "5.0.0", "O(1)"),
    doc("xinfo|stream", "Get information about a stream", "5.0.0", "O(1)")
        .history(&[
            ("6.0.0", "Added the `FULL` modifier."),
            ("7.0.0", "Added the `max-deleted-entry-id`, `entries-added`, `recorded-first-entry-id`, `entries-read` and `lag` fields"),
        ])
        .args(&[
            key("key", 0),
            block("full").token("FULL").opt().of(&[integer("count").token("COUNT").opt()]),
        ]),
    doc("xlen", "Return the number of entries in a stream", "5.0.0", "O(1)")
        .args(&[key("key", 0)]),
    doc("xpending", "Return information and entries from a stream consumer group pending entries list, that are messages fetched but never acknowledged.", "5.0.0", "O(N) with N being the number of elements returned, so asking for a small fixed number of entries per call is O(1). O(M), where M is the total number of entries scanned when used with the IDLE filter. When the command returns just the summary and the list of consumers is small, it runs in O(1) time; otherwise, an additional O(N) time for iterating every consumer.")
        .history(&[("6.2.0", "Added the `IDLE` option and exclusive range intervals.")])
        .args(&[
            key("key", 0),
            string("group"),
            block("filters").opt().of(&[
                integer("min-idle-time").token("IDLE").since("6.2.0").opt(),
                string("start"),
                string("end"),
                integer("count"),
                string("consumer").opt(),
            ]),
        ]),
    doc("xrange", "Return a range of elements in a stream, with IDs matching the specified IDs interval", "5.0.0", "O(N) with N being the number of elements being returned. If N is constant (e.g. always asking for the first 10 elements with COUNT), you can consider it O(1).")
        .history(&[("6.2.0", "Added exclusive ranges.")])
        .args(&[
            key("key", 0),
            string("start"),
            string("end"),
            integer("count").token("COUNT").opt(),
        ]),
    doc("xread", "Return never seen elements in multiple streams, with IDs greater than the ones reported by the caller for each stream. Can block.", "5.0.0", "For each stream mentioned: O(N) with N being the number of elements being returned, it means that XREAD-ing with a fixed COUNT is O(1). Note that when the BLOCK option is used, XADD will pay O(M) time in order to serve the M clients blocked on the stream getting new data.")
        .args(&[
            integer("count").token("COUNT").opt(),
            integer("milliseconds").token("BLOCK").opt(),
            block("streams").token("STREAMS").of(&[key("key", 0).multi(), string("id").multi()]),
        ]),
    doc("xreadgroup", "Return new entries from a stream using a consumer group, or access the history of the pending entries for a given consumer. Can block.", "5.0.0", "For each stream mentioned: O(M) with M being the number of elements returned. If M is constant (e.g. always asking for the first 10 elements with COUNT), you can consider it O(1). On the other side when XREADGROUP blocks, XADD will pay the O(N) time in order to serve the N clients blocked on the stream getting new data.")
        .args(&[
            block("group_consumer").token("GROUP").of(&[string("group"), string("consumer")]),
            integer("count").token("COUNT").opt(),
            integer("milliseconds").token("BLOCK").opt(),
            tok("NOACK").opt(),
            block("streams").token("STREAMS").of(&[key("key", 0).multi(), string("id").multi()]),
        ]),
    doc("xrevrange", "Return a range of elements in a stream, with IDs matching the specified IDs interval, in reverse order (from greater to smaller IDs) compared to XRANGE", "5.0.0", "O(N) with N being the number of elements returned. If N is constant (e.g. always asking for the first 10 elements with COUNT), you can consider it O(1).")
        .history(&[("6.2.0", "Added exclusive ranges.")])
        .args(&[
            key("key", 0),
            string("end"),
            string("start"),
            integer("count").token("COUNT").opt(),
        ]),
    doc("xsetid", "An internal command for replicating stream values", "5.0.0", "O(1)")
        .history(&[("7.0.0", "Added the `entries_added` and `max_deleted_entry_id` arguments.")])
        .args(&[
            key("key", 0),
            string("last-id"),
            integer("entries_added").token("ENTRIESADDED").since("7.0.0").opt(),
            string("max_deleted_entry_id").token("MAXDELETEDID").since("7.0.0").opt(),
        ]),
    doc("xtrim", "Trims the stream to (approximately if '~' is passed) a certain size", "5.0.0", "O(N), with N being the number of evicted entries. Constant times are very small however, since entries are organized in macro nodes containing multiple entries that can be released with a single deallocation.")
        .history(&[("6.2.0", "Added the `MINID` trimming strategy and the `LIMIT` option.")])
        .args(&[
            key("key", 0),
            block("trim").of(&[
                oneof("strategy").of(&[tok("MAXLEN"), tok("MINID").since("6.2.0")]),
                oneof("operator").opt().of(&[
                    tok("=").named("equal"),
                    tok("~").named("approximately"),
                ]),
                string("threshold"),
                integer("count").token("LIMIT").since("6.2.0").opt(),
            ]),
        ]),
    doc("zadd", "Add one or more members to a sorted set, or update its score if it already exists", "1.2.0", "O(log(N)) for each item added, where N is the number of elements in the sorted set.")
        .history(&[
            ("2.4.0", "Accepts multiple elements."),
            ("3.0.2", "Added the `XX`, `NX`, `CH` and `INCR` options."),
            ("6.2.0", "Added the `GT` and `LT` options."),
        ])
        .args(&[
            key("key", 0),
            oneof("condition").since("3.0.2").opt().of(&[tok("NX"), tok("XX")]),
            oneof("comparison").since("6.2.0").opt().of(&[tok("GT"), tok("LT")]),
            tok("CH").named("change").since("3.0.2").opt(),
            tok("INCR").named("increment").since("3.0.2").opt(),
            block("score_member").multi().of(&[double("score"), string("member")]),
        ]),
    doc("zcard", "Get the number of members in a sorted set", "1.2.0", "O(1)")
        .args(&[key("key", 0)]),
    doc("zcount", "Count the members in a sorted set with scores within the given values", "2.0.0", "O(log(N)) with N being the number of elements in the sorted set.")
        .args(&[key("key", 0), double("min"), double("max")]),
    doc("zdiff", "Subtract multiple sorted sets", "6.2.0", "O(L + (N-K)log(N)) worst case where L is the total number of elements in all the sets, N is the size of the first set, and K is the size of the result set.")
        .args(&[integer("numkeys"), key("key", 0).multi(), tok("WITHSCORES").opt()]),
    doc("zdiffstore", "Subtract multiple sorted sets and store the resulting sorted set in a new key", "6.2.0", "O(L + (N-K)log(N)) worst case where L is the total number of elements in all the sets, N is the size of the first set, and K is the size of the result set.")
        .args(&[key("destination", 0), integer("numkeys"), key("key", 1).multi()]),
    doc("zincrby", "Increment the score of a member in a sorted set", "1.2.0", "O(log(N)) where N is the number of elements in the sorted set.")
        .args(&[key("key", 0), integer("increment"), string("member")]),
    doc("zinter", "Intersect multiple sorted sets", "6.2.0", "O(N*K)+O(M*log(M)) worst case with N being the smallest input sorted set, K being the number of input sorted sets and M being the number of elements in the resulting sorted set.")
        .args(&[
            integer("numkeys"),
            key("key", 0).multi(),
            integer("weight").token("WEIGHTS").opt().multi(),
            oneof("aggregate").token("AGGREGATE").opt().of(&[tok("SUM"), tok("MIN"), tok("MAX")]),
            tok("WITHSCORES").opt(),
        ]),
    doc("zintercard", "Intersect multiple sorted sets and return the cardinality of the result", "7.0.0", "O(N*K) worst case with N being the smallest input sorted set, K being the number of input sorted sets.")
        .args(&[integer("numkeys"), key("key", 0).multi(), integer("limit").token("LIMIT").opt()]),
    doc("zinterstore", "Intersect multiple sorted sets and store the resulting sorted set in a new key", "2.0.0", "O(N*K)+O(M*log(M)) worst case with N being the smallest input sorted set, K being the number of input sorted sets and M being the number of elements in the resulting sorted set.")
        .args(&[
            key("destination", 0),
            integer("numkeys"),
            key("key", 1).multi(),
            integer("weight").token("WEIGHTS").opt().multi(),
            oneof("aggregate").token("AGGREGATE").opt().of(&[tok("SUM"), tok("MIN"), tok("MAX")]),
        ]),
    doc("zlexcount", "Count the number of members in a sorted set between a given lexicographical range", "2.8.9", "O(log(N)) with N being the number of elements in the sorted set.")
        .args(&[key("key", 0), string("min"), string("max")]),
    doc("zmpop", "Remove and return members with scores in a sorted set", "7.0.0", "O(K) + O(M*log(N)) where K is the number of provided keys, N being the number of elements in the sorted set, and M being the number of elements popped.")
        .args(&[
            integer("numkeys"),
            key("key", 0).multi(),
            oneof("where").of(&[tok("MIN"), tok("MAX")]),
            integer("count").token("COUNT").opt(),
        ]),
    doc("zmscore", "Get the score associated with the given members in a sorted set", "6.2.0", "O(N) where N is the number of members being requested.")
        .args(&[key("key", 0), string("member").multi()]),
    doc("zpopmax", "Remove and return members with the highest scores in a sorted set", "5.0.0", "O(log(N)*M) with N being the number of elements in the sorted set, and M being the number of elements popped.")
        .args(&[key("key", 0), integer("count").opt()]),
    doc("zpopmin", "Remove and return members with the lowest scores in a sorted set", "5.0.0", "O(log(N)*M) with N being the number of elements in the sorted set, and M being the number of elements popped.")
        .args(&[key("key", 0), integer("count").opt()]),
    doc("zrandmember", "Get one or multiple random elements from a sorted set", "6.2.0", "O(N) where N is the number of elements returned")
        .args(&[
            key("key", 0),
            block("options").opt().of(&[integer("count"), tok("WITHSCORES").opt()]),
        ]),
    doc("zrange", "Return a range of members in a sorted set", "1.2.0", "O(log(N)+M) with N being the number of elements in the sorted set and M the number of elements returned.")
        .history(&[("6.2.0", "Added the `REV`, `BYSCORE`, `BYLEX` and `LIMIT` options.")])
        .args(&[
            key("key", 0),
            string("start"),
            string("stop"),
            oneof("sortby").since("6.2.0").opt().of(&[tok("BYSCORE"), tok("BYLEX")]),
            tok("REV").since("6.2.0").opt(),
            block("offset_count").token("LIMIT").since("6.2.0").opt().of(&[
                integer("offset"),
                integer("count"),
            ]),
            tok("WITHSCORES").opt(),
        ]),
    doc("zrangebylex", "Return a range of members in a sorted set, by lexicographical range", "2.8.9", "O(log(N)+M) with N being the number of elements in the sorted set and M the number of elements being returned. If M is constant (e.g. always asking for the first 10 elements with LIMIT), you can consider it O(log(N)).")
        .deprecated("6.2.0", "`ZRANGE` with the `BYLEX` argument")
        .args(&[
            key("key", 0),
            string("min"),
            string("max"),
            block("offset_count").token("LIMIT").opt().of(&[integer("offset"), integer("count")]),
        ]),
    doc("zrangebyscore", "Return a range of members in a sorted set, by score", "1.0.5", "O(log(N)+M) with N being the number of elements in the sorted set and M the number of elements being returned. If M is constant (e.g. always asking for the first 10 elements with LIMIT), you can consider it O(log(N)).")
        .deprecated("6.2.0", "`ZRANGE` with the `BYSCORE` argument")
        .history(&[("2.0.0", "Added the `WITHSCORES` modifier.")])
        .args(&[
            key("key", 0),
            double("min"),
            double("max"),
            tok("WITHSCORES").since("2.0.0").opt(),
            block("offset_count").token("LIMIT").opt().of(&[integer("offset"), integer("count")]),
        ]),
    doc("zrangestore", "Store a range of members from sorted set into another key", "6.2.0", "O(log(N)+M) with N being the number of elements in the sorted set and M the number of elements stored into the destination key.")
        .args(&[
            key("dst", 0),
            key("src", 1),
            string("min"),
            string("max"),
            oneof("sortby").opt().of(&[tok("BYSCORE"), tok("BYLEX")]),
            tok("REV").opt(),
            block("offset_count").token("LIMIT").opt().of(&[integer("offset"), integer("count")]),
        ]),
    doc("zrank", "Determine the index of a member in a sorted set", "2.0.0", "O(log(N))")
        .args(&[key("key", 0), string("member")]),
    doc("zrem", "Remove one or more members from a sorted set", "1.2.0", "O(M*log(N)) with N being the number of elements in the sorted set and M the number of elements to be removed.")
        .history(&[("2.4.0", "Accepts multiple elements.")])
        .args(&[key("key", 0), string("member").multi()]),
    doc("zremrangebylex", "Remove all members in a sorted set between the given lexicographical range", "2.8.9", "O(log(N)+M) with N being the number of elements in the sorted set and M the number of elements removed by the operation.")
        .args(&[key("key", 0), string("min"), string("max")]),
    doc("zremrangebyrank", "Remove all members in a sorted set within the given indexes", "2.0.0", "O(log(N)+M) with N being the number of elements in the sorted set and M the number of elements removed by the operation.")
        .args(&[key("key", 0), integer("start"), integer("stop")]),
    doc("zremrangebyscore", "Remove all members in a sorted set within the given scores", "1.2.0", "O(log(N)+M) with N being the number of elements in the sorted set and M the number of elements removed by the operation.")
        .args(&[key("key", 0), double("min"), double("max")]),
    doc("zrevrange", "Return a range of members in a sorted set, by index, with scores ordered from high to low", "1.2.0", "O(log(N)+M) with N being the number of elements in the sorted set and M the number of elements returned.")
        .deprecated("6.2.0", "`ZRANGE` with the `REV` argument")
        .args(&[key("key", 0), integer("start"), integer("stop"), tok("WITHSCORES").opt()]),
    doc("zrevrangebylex", "Return a range of members in a sorted set, by lexicographical range, ordered from higher to lower strings.", "2.8.9", "O(log(N)+M) with N being the number of elements in the sorted set and M the number of elements being returned. If M is constant (e.g. always asking for the first 10 elements with LIMIT), you can consider it O(log(N)).")
        .deprecated("6.2.0", "`ZRANGE` with the `REV` and `BYLEX` arguments")
        .args(&[
            key("key", 0),
            string("max"),
            string("min"),
            block("offset_count").token("LIMIT").opt().of(&[integer("offset"), integer("count")]),
        ]),
    doc("zrevrangebyscore", "Return a range of members in a sorted set, by score, with scores ordered from high to low", "2.2.0", "O(log(N)+M) with N being the number of elements in the sorted set and M the number of elements being returned. If M is constant (e.g. always asking for the first 10 elements with LIMIT), you can consider it O(log(N)).")
        .deprecated("6.2.0", "`ZRANGE` with the `REV` and `BYSCORE` arguments")
        .history(&[("2.1.6", "`min` and `max` can be exclusive.")])
        .args(&[
            key("key", 0),
            double("max"),
            double("min"),
            tok("WITHSCORES").opt(),
            block("offset_count").token("LIMIT").opt().of(&[integer("offset"), integer("count")]),
        ]),
    doc("zrevrank", "Determine the index of a member in a sorted set, with scores ordered from high to low", "2.0.0", "O(log(N))")
        .args(&[key("key", 0), string("member")]),
    doc("zscan", "Incrementally iterate sorted sets elements and associated scores", "2.8.0", "O(1) for every call. O(N) for a complete iteration, including enough command calls for the cursor to return back to 0. N is the number of elements inside the collection..")
        .args(&[
            key("key", 0),
            integer("cursor"),
            pattern("pattern").token("MATCH").opt(),
            integer("count").token("COUNT").opt(),
        ]),
    doc("zscore", "Get the score associated with the given member in a sorted set", "1.2.0", "O(1)")
        .args(&[key("key", 0), string("member")]),
    doc("zunion", "Add multiple sorted sets", "6.2.0", "O(N)+O(M*log(M)) with N being the sum of the sizes of the input sorted sets, and M being the number of elements in the resulting sorted set.")
        .args(&[
            integer("numkeys"),
            key("key", 0).multi(),
            integer("weight").token("WEIGHTS").opt().multi(),
            oneof("aggregate").token("AGGREGATE").opt().of(&[tok("SUM"), tok("MIN"), tok("MAX")]),
            tok("WITHSCORES").opt(),
        ]),
    doc("zunionstore", "Add multiple sorted sets and store the resulting sorted set in a new key", "2.0.0", "O(N)+O(M log(M)) with N being the sum of the sizes of the input sorted sets, and M being the number of elements in the resulting sorted set.")
        .args(&[
            key("destination", 0),
            integer("numkeys"),
            key("key", 1).multi(),
            integer("weight").token("WEIGHTS").opt().multi(),
            oneof("aggregate").token("AGGREGATE").opt().of(&[tok("SUM"), tok("MIN"), tok("MAX")]),
        ]),
];

static INDEX: LazyLock<HashMap<&'static str, &'static Doc>> =
    LazyLock::new(|| DOCS.iter().map(|d| (d.name, d)).collect());

/// The documentation of the command named `name` (full, lowercase name).
pub fn doc_of(name: &str) -> Option<&'static Doc> {
    INDEX.get(name).copied()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::command::COMMANDS;

    #[test]
    fn every_row_has_docs() {
        let missing: Vec<&str> = COMMANDS
            .iter()
            .map(|c| c.name)
            .filter(|n| doc_of(n).is_none())
            .collect();
        assert!(
            missing.is_empty(),
            "table rows without a declaration in common/src/command/docs.rs: {missing:?}"
        );
    }

    #[test]
    fn names_are_unique_sorted_and_lowercase() {
        for w in DOCS.windows(2) {
            let key = |d: &Doc| d.name.split('|').map(str::to_owned).collect::<Vec<_>>();
            assert!(
                key(&w[0]) < key(&w[1]),
                "{} before {}",
                w[0].name,
                w[1].name
            );
        }
        for d in DOCS {
            assert_eq!(d.name, d.name.to_ascii_lowercase());
        }
    }

    #[test]
    fn arguments_are_well_formed() {
        fn check(cmd: &str, args: &[Arg]) {
            for a in args {
                let nested = matches!(a.kind, ArgType::OneOf | ArgType::Block);
                assert_eq!(nested, !a.args.is_empty(), "{cmd}: {}", a.name());
                assert!(!a.name().is_empty(), "{cmd}: unnamed argument");
                if a.kind == ArgType::PureToken {
                    assert!(a.token.is_some(), "{cmd}: {} has no token", a.name());
                }
                if a.kind == ArgType::Key {
                    assert!(a.key_spec_index.is_some(), "{cmd}: {}", a.name());
                }
                check(cmd, a.args);
            }
        }
        for d in DOCS {
            check(d.name, d.args);
        }
    }

    #[test]
    fn key_arguments_name_existing_key_specs() {
        fn max_spec(args: &[Arg]) -> Option<u8> {
            args.iter()
                .filter_map(|a| a.key_spec_index.max(max_spec(a.args)))
                .max()
        }
        for c in COMMANDS {
            let Some(d) = doc_of(c.name) else { continue };
            if let Some(m) = max_spec(d.args) {
                assert!(
                    usize::from(m) < c.key_specs.len(),
                    "{}: argument names key spec {m}, the row has {}",
                    c.name,
                    c.key_specs.len()
                );
            }
        }
    }
}
