//! `COMMAND DOCS` text for the rows of the command table: summary, since, complexity and
//! deprecation, keyed by the row's full name (the group comes from the row itself, so nothing
//! here repeats the table).
//!
//! Texts are Redis 7.0's (BSD-licensed), for 7.2 additions Redis 7.2's. We do not provide
//! `arguments` or `history` (documented in the README). Checklist for a new table row: add its
//! line here; a row without one answers `COMMAND DOCS` with its group only (a unit test lists
//! rows without docs so the gap is visible).

use std::collections::HashMap;
use std::sync::LazyLock;

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
    /// Deprecated since this version; empty when not deprecated.
    pub deprecated_since: &'static str,
    /// What replaces a deprecated command.
    pub replaced_by: &'static str,
}

const fn doc(
    name: &'static str,
    summary: &'static str,
    since: &'static str,
    complexity: &'static str,
    deprecated_since: &'static str,
    replaced_by: &'static str,
) -> Doc {
    Doc {
        name,
        summary,
        since,
        complexity,
        deprecated_since,
        replaced_by,
    }
}

/// Every documented command, in table order.
pub static DOCS: &[Doc] = &[
    doc("ping", "Ping the server", "1.0.0", "O(1)", "", ""),
    doc("echo", "Echo the given string", "1.0.0", "O(1)", "", ""),
    doc("hello", "Handshake with Redis", "6.0.0", "O(1)", "", ""),
    doc(
        "select",
        "Change the selected database for the current connection",
        "1.0.0",
        "O(1)",
        "",
        "",
    ),
    doc("quit", "Close the connection", "1.0.0", "O(1)", "", ""),
    doc(
        "client",
        "A container for client connection commands",
        "2.4.0",
        "Depends on subcommand.",
        "",
        "",
    ),
    doc(
        "client|id",
        "Returns the client ID for the current connection",
        "5.0.0",
        "O(1)",
        "",
        "",
    ),
    doc(
        "client|setname",
        "Set the current connection name",
        "2.6.9",
        "O(1)",
        "",
        "",
    ),
    doc(
        "client|getname",
        "Get the current connection name",
        "2.6.9",
        "O(1)",
        "",
        "",
    ),
    doc(
        "client|list",
        "Get the list of client connections",
        "2.4.0",
        "O(N) where N is the number of client connections",
        "",
        "",
    ),
    doc(
        "client|info",
        "Returns information about the current client connection.",
        "6.2.0",
        "O(1)",
        "",
        "",
    ),
    doc(
        "client|kill",
        "Kill the connection of a client",
        "2.4.0",
        "O(N) where N is the number of client connections",
        "",
        "",
    ),
    doc(
        "client|no-evict",
        "Set client eviction mode for the current connection",
        "7.0.0",
        "O(1)",
        "",
        "",
    ),
    doc(
        "client|reply",
        "Instruct the server whether to reply to commands",
        "3.2.0",
        "O(1)",
        "",
        "",
    ),
    doc(
        "client|pause",
        "Stop processing commands from clients for some time",
        "2.9.50",
        "O(1)",
        "",
        "",
    ),
    doc(
        "client|unpause",
        "Resume processing of clients that were paused",
        "6.2.0",
        "O(N) Where N is the number of paused clients",
        "",
        "",
    ),
    doc(
        "client|help",
        "Show helpful text about the different subcommands",
        "5.0.0",
        "O(1)",
        "",
        "",
    ),
    doc(
        "auth",
        "Authenticate to the server",
        "1.0.0",
        "O(N) where N is the number of passwords defined for the user",
        "",
        "",
    ),
    doc("reset", "Reset the connection", "6.2.0", "O(1)", "", ""),
    doc(
        "command",
        "Get array of Redis command details",
        "2.8.13",
        "O(N) where N is the total number of Redis commands",
        "",
        "",
    ),
    doc(
        "command|count",
        "Get total number of Redis commands",
        "2.8.13",
        "O(1)",
        "",
        "",
    ),
    doc(
        "command|info",
        "Get array of specific Redis command details, or all when no argument is given.",
        "2.8.13",
        "O(N) where N is the number of commands to look up",
        "",
        "",
    ),
    doc(
        "command|list",
        "Get an array of Redis command names",
        "7.0.0",
        "O(N) where N is the total number of Redis commands",
        "",
        "",
    ),
    doc(
        "command|getkeys",
        "Extract keys given a full Redis command",
        "2.8.13",
        "O(N) where N is the number of arguments to the command",
        "",
        "",
    ),
    doc(
        "command|getkeysandflags",
        "Extract keys and access flags given a full Redis command",
        "7.0.0",
        "O(N) where N is the number of arguments to the command",
        "",
        "",
    ),
    doc(
        "command|docs",
        "Get array of specific Redis command documentation",
        "7.0.0",
        "O(N) where N is the number of commands to look up",
        "",
        "",
    ),
    doc(
        "command|help",
        "Show helpful text about the different subcommands",
        "5.0.0",
        "O(1)",
        "",
        "",
    ),
    doc(
        "config",
        "A container for server configuration commands",
        "2.0.0",
        "Depends on subcommand.",
        "",
        "",
    ),
    doc(
        "config|get",
        "Get the values of configuration parameters",
        "2.0.0",
        "O(N) when N is the number of configuration parameters provided",
        "",
        "",
    ),
    doc(
        "config|set",
        "Set configuration parameters to the given values",
        "2.0.0",
        "O(N) when N is the number of configuration parameters provided",
        "",
        "",
    ),
    doc(
        "config|resetstat",
        "Reset the stats returned by INFO",
        "2.0.0",
        "O(1)",
        "",
        "",
    ),
    doc(
        "config|rewrite",
        "Rewrite the configuration file with the in memory configuration",
        "2.8.0",
        "O(1)",
        "",
        "",
    ),
    doc(
        "config|help",
        "Show helpful text about the different subcommands",
        "5.0.0",
        "O(1)",
        "",
        "",
    ),
    doc(
        "info",
        "Get information and statistics about the server",
        "1.0.0",
        "O(1)",
        "",
        "",
    ),
    doc(
        "dbsize",
        "Return the number of keys in the selected database",
        "1.0.0",
        "O(1)",
        "",
        "",
    ),
    doc(
        "flushall",
        "Remove all keys from all databases",
        "1.0.0",
        "O(N) where N is the total number of keys in all databases",
        "",
        "",
    ),
    doc(
        "flushdb",
        "Remove all keys from the current database",
        "1.0.0",
        "O(N) where N is the number of keys in the selected database",
        "",
        "",
    ),
    doc(
        "time",
        "Return the current server time",
        "2.6.0",
        "O(1)",
        "",
        "",
    ),
    doc(
        "shutdown",
        "Synchronously save the dataset to disk and then shut down the server",
        "1.0.0",
        "O(N) when saving, where N is the total number of keys in all databases when saving data, otherwise O(1)",
        "",
        "",
    ),
    doc(
        "lastsave",
        "Get the UNIX time stamp of the last successful save to disk",
        "1.0.0",
        "O(1)",
        "",
        "",
    ),
    doc(
        "monitor",
        "Listen for all requests received by the server in real time",
        "1.0.0",
        "",
        "",
        "",
    ),
    doc(
        "slowlog",
        "A container for slow log commands",
        "2.2.12",
        "Depends on subcommand.",
        "",
        "",
    ),
    doc(
        "slowlog|get",
        "Get the slow log's entries",
        "2.2.12",
        "O(N) where N is the number of entries returned",
        "",
        "",
    ),
    doc(
        "slowlog|len",
        "Get the slow log's length",
        "2.2.12",
        "O(1)",
        "",
        "",
    ),
    doc(
        "slowlog|reset",
        "Clear all entries from the slow log",
        "2.2.12",
        "O(N) where N is the number of entries in the slowlog",
        "",
        "",
    ),
    doc(
        "slowlog|help",
        "Show helpful text about the different subcommands",
        "6.2.0",
        "O(1)",
        "",
        "",
    ),
    doc(
        "debug",
        "A container for debugging commands",
        "1.0.0",
        "Depends on subcommand.",
        "",
        "",
    ),
    doc(
        "del",
        "Delete a key",
        "1.0.0",
        "O(N) where N is the number of keys that will be removed. When a key to remove holds a value other than a string, the individual complexity for this key is O(M) where M is the number of elements in the list, set, sorted set or hash. Removing a single key that holds a string value is O(1).",
        "",
        "",
    ),
    doc(
        "unlink",
        "Delete a key asynchronously in another thread. Otherwise it is just as DEL, but non blocking.",
        "4.0.0",
        "O(1) for each key removed regardless of its size. Then the command does O(N) work in a different thread in order to reclaim memory, where N is the number of allocations the deleted objects where composed of.",
        "",
        "",
    ),
    doc(
        "exists",
        "Determine if a key exists",
        "1.0.0",
        "O(N) where N is the number of keys to check.",
        "",
        "",
    ),
    doc(
        "type",
        "Determine the type stored at key",
        "1.0.0",
        "O(1)",
        "",
        "",
    ),
    doc(
        "keys",
        "Find all keys matching the given pattern",
        "1.0.0",
        "O(N) with N being the number of keys in the database, under the assumption that the key names in the database and the given pattern have limited length.",
        "",
        "",
    ),
    doc(
        "expire",
        "Set a key's time to live in seconds",
        "1.0.0",
        "O(1)",
        "",
        "",
    ),
    doc(
        "pexpire",
        "Set a key's time to live in milliseconds",
        "2.6.0",
        "O(1)",
        "",
        "",
    ),
    doc(
        "ttl",
        "Get the time to live for a key in seconds",
        "1.0.0",
        "O(1)",
        "",
        "",
    ),
    doc(
        "pttl",
        "Get the time to live for a key in milliseconds",
        "2.6.0",
        "O(1)",
        "",
        "",
    ),
    doc(
        "persist",
        "Remove the expiration from a key",
        "2.2.0",
        "O(1)",
        "",
        "",
    ),
    doc("get", "Get the value of a key", "1.0.0", "O(1)", "", ""),
    doc(
        "set",
        "Set the string value of a key",
        "1.0.0",
        "O(1)",
        "",
        "",
    ),
    doc(
        "setnx",
        "Set the value of a key, only if the key does not exist",
        "1.0.0",
        "O(1)",
        "",
        "",
    ),
    doc(
        "setex",
        "Set the value and expiration of a key",
        "2.0.0",
        "O(1)",
        "",
        "",
    ),
    doc(
        "mget",
        "Get the values of all the given keys",
        "1.0.0",
        "O(N) where N is the number of keys to retrieve.",
        "",
        "",
    ),
    doc(
        "mset",
        "Set multiple keys to multiple values",
        "1.0.1",
        "O(N) where N is the number of keys to set.",
        "",
        "",
    ),
    doc(
        "incr",
        "Increment the integer value of a key by one",
        "1.0.0",
        "O(1)",
        "",
        "",
    ),
    doc(
        "decr",
        "Decrement the integer value of a key by one",
        "1.0.0",
        "O(1)",
        "",
        "",
    ),
    doc(
        "incrby",
        "Increment the integer value of a key by the given amount",
        "1.0.0",
        "O(1)",
        "",
        "",
    ),
    doc(
        "decrby",
        "Decrement the integer value of a key by the given number",
        "1.0.0",
        "O(1)",
        "",
        "",
    ),
    doc(
        "append",
        "Append a value to a key",
        "2.0.0",
        "O(1). The amortized time complexity is O(1) assuming the appended value is small and the already present value is of any size, since the dynamic string library used by Redis will double the free space available on every reallocation.",
        "",
        "",
    ),
    doc(
        "strlen",
        "Get the length of the value stored in a key",
        "2.2.0",
        "O(1)",
        "",
        "",
    ),
    doc(
        "client|no-touch",
        "Controls whether commands sent by the client affect the LRU/LFU of accessed keys",
        "7.2.0",
        "O(1)",
        "",
        "",
    ),
    doc(
        "client|setinfo",
        "Sets information specific to the client or connection.",
        "7.2.0",
        "O(1)",
        "",
        "",
    ),
];

static INDEX: LazyLock<HashMap<&'static str, &'static Doc>> =
    LazyLock::new(|| DOCS.iter().map(|d| (d.name, d)).collect());

/// The documentation of the row named `name` (full, lowercase name).
pub fn doc_of(name: &str) -> Option<&'static Doc> {
    INDEX.get(name).copied()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::command::COMMANDS;

    #[test]
    fn docs_name_only_table_rows() {
        for d in DOCS {
            assert!(
                COMMANDS.iter().any(|c| c.name == d.name),
                "docs for {} which has no table row",
                d.name
            );
        }
    }
}
