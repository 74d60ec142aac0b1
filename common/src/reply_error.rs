//! Every error reply a client can receive, with Redis's exact text.
//!
//! A `ReplyError` is a value sent to the client; the connection stays open. Clients and Redis's
//! own test suite match on these strings, so each variant's text is pinned by a test below.

use std::borrow::Cow;

use crate::slot::Slot;

/// An error reply. `Display` gives the full line without the leading `-`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ReplyError {
    /// Operation on a key of another type.
    #[error("WRONGTYPE Operation against a key holding the wrong kind of value")]
    WrongType,
    /// Generic syntax error.
    #[error("ERR syntax error")]
    Syntax,
    /// Arity check failed; the command's full name (`get`, `config|get`).
    #[error("ERR wrong number of arguments for '{0}' command")]
    WrongArity(String),
    /// Unknown command; the name and the first arguments, already formatted as Redis does.
    #[error("ERR unknown command '{name}', with args beginning with: {args}")]
    UnknownCommand {
        /// The command name as sent, at most 128 bytes.
        name: String,
        /// `'a' 'b' ` (each argument quoted and followed by a space).
        args: String,
    },
    /// Unknown subcommand of a container command.
    #[error("ERR unknown subcommand '{sub}'. Try {cmd} HELP.")]
    UnknownSubcommand {
        /// The container command, upper case.
        cmd: String,
        /// The subcommand as sent.
        sub: String,
    },
    /// An argument that must be an integer is not one.
    #[error("ERR value is not an integer or out of range")]
    NotInteger,
    /// An argument that must be a float is not one.
    #[error("ERR value is not a valid float")]
    NotFloat,
    /// INCR/DECR past i64.
    #[error("ERR increment or decrement would overflow")]
    Overflow,
    /// RENAME and friends on a missing key.
    #[error("ERR no such key")]
    NoSuchKey,
    /// LSET, LINDEX-style index errors.
    #[error("ERR index out of range")]
    IndexOutOfRange,
    /// A TTL argument out of range (`SET k v EX 0`).
    #[error("ERR invalid expire time in '{0}' command")]
    InvalidExpireTime(String),
    /// Cluster: the slot lives on another node.
    #[error("MOVED {slot} {addr}")]
    Moved {
        /// The key's slot.
        slot: Slot,
        /// `ip:port` of the owner.
        addr: String,
    },
    /// Cluster: the slot is migrating and the key is not here.
    #[error("ASK {slot} {addr}")]
    Ask {
        /// The key's slot.
        slot: Slot,
        /// `ip:port` of the importing node.
        addr: String,
    },
    /// Cluster: keys of one command in several slots.
    #[error("CROSSSLOT Keys in request don't hash to the same slot")]
    CrossSlot,
    /// Cluster: multi-key command during a migration with only some keys present.
    #[error("TRYAGAIN Multiple keys request during rehashing of slot")]
    TryAgain,
    /// Cluster: a slot without an owner.
    #[error("CLUSTERDOWN Hash slot not served")]
    ClusterDownUnbound,
    /// Cluster: the cluster state is fail.
    #[error("CLUSTERDOWN The cluster is down")]
    ClusterDown,
    /// Write to a read-only replica.
    #[error("READONLY You can't write against a read only replica.")]
    ReadOnly,
    /// EXEC after a queueing error.
    #[error("EXECABORT Transaction discarded because of previous errors.")]
    ExecAbort,
    /// A command before AUTH when a password is set.
    #[error("NOAUTH Authentication required.")]
    NoAuth,
    /// AUTH with a wrong password.
    #[error("WRONGPASS invalid username-password pair or user is disabled.")]
    WrongPass,
    /// The dataset is being loaded.
    #[error("LOADING Redis is loading the dataset in memory")]
    Loading,
    /// EVALSHA of an unknown script.
    #[error("NOSCRIPT No matching script. Please use EVAL.")]
    NoScript,
    /// Cluster mode has no databases other than 0.
    #[error("ERR SELECT is not allowed in cluster mode")]
    SelectInCluster,
    /// SELECT out of range.
    #[error("ERR DB index is out of range")]
    DbIndexOutOfRange,
    /// Out of memory for a DENYOOM command.
    #[error("OOM command not allowed when used memory > 'maxmemory'.")]
    Oom,
    /// Any other error: the full text including its code (`ERR ...`, `NOPROTO ...`).
    #[error("{0}")]
    Other(Cow<'static, str>),
}

impl ReplyError {
    /// An `ERR <text>` error.
    pub fn err(text: impl Into<String>) -> ReplyError {
        ReplyError::Other(Cow::Owned(format!("ERR {}", text.into())))
    }

    /// An error with a static full text (code included).
    pub const fn other(text: &'static str) -> ReplyError {
        ReplyError::Other(Cow::Borrowed(text))
    }

    /// The error code: the first word (`ERR`, `WRONGTYPE`, `MOVED`, ...).
    pub fn code(&self) -> String {
        let text = self.to_string();
        text.split(' ').next().unwrap_or("ERR").to_string()
    }

    /// The unknown-command error for `argv`, formatted like Redis's `processCommand`.
    pub fn unknown_command(argv: &[bytes::Bytes]) -> ReplyError {
        let name = argv.first().map(|n| clip(n, 128)).unwrap_or_default();
        let mut args = String::new();
        for a in argv.iter().skip(1) {
            if args.len() >= 128 {
                break;
            }
            let room = 128 - args.len();
            args.push('\'');
            args.push_str(&clip(a, room));
            args.push_str("' ");
        }
        ReplyError::UnknownCommand {
            name: no_newlines(&name),
            args: no_newlines(&args),
        }
    }

    /// The unknown-subcommand error for `argv` (`argv[0]` the container, `argv[1]` the sub).
    pub fn unknown_subcommand(argv: &[bytes::Bytes]) -> ReplyError {
        let cmd = argv
            .first()
            .map(|c| clip(c, 128).to_ascii_uppercase())
            .unwrap_or_default();
        let sub = argv.get(1).map(|s| clip(s, 128)).unwrap_or_default();
        ReplyError::UnknownSubcommand {
            cmd,
            sub: no_newlines(&sub),
        }
    }
}

fn clip(b: &[u8], max: usize) -> String {
    String::from_utf8_lossy(&b[..b.len().min(max)]).into_owned()
}

/// Redis replaces CR and LF in error texts with spaces so the reply stays one line.
fn no_newlines(s: &str) -> String {
    s.replace(['\r', '\n'], " ")
}

#[cfg(test)]
mod tests {
    use super::*;
    use bytes::Bytes;

    #[test]
    fn texts_are_redis_texts() {
        assert_eq!(
            ReplyError::WrongType.to_string(),
            "WRONGTYPE Operation against a key holding the wrong kind of value"
        );
        assert_eq!(
            ReplyError::WrongArity("get".into()).to_string(),
            "ERR wrong number of arguments for 'get' command"
        );
        let argv = [Bytes::from("foo"), Bytes::from("a"), Bytes::from("b")];
        assert_eq!(
            ReplyError::unknown_command(&argv).to_string(),
            "ERR unknown command 'foo', with args beginning with: 'a' 'b' "
        );
        assert_eq!(
            ReplyError::unknown_subcommand(&[Bytes::from("config"), Bytes::from("x")]).to_string(),
            "ERR unknown subcommand 'x'. Try CONFIG HELP."
        );
        let slot = Slot::new(3999).unwrap();
        assert_eq!(
            ReplyError::Moved {
                slot,
                addr: "127.0.0.1:6381".into()
            }
            .to_string(),
            "MOVED 3999 127.0.0.1:6381"
        );
        assert_eq!(
            ReplyError::Ask {
                slot,
                addr: "h:1".into()
            }
            .to_string(),
            "ASK 3999 h:1"
        );
        assert_eq!(
            ReplyError::CrossSlot.to_string(),
            "CROSSSLOT Keys in request don't hash to the same slot"
        );
        assert_eq!(
            ReplyError::TryAgain.to_string(),
            "TRYAGAIN Multiple keys request during rehashing of slot"
        );
        assert_eq!(
            ReplyError::ClusterDownUnbound.to_string(),
            "CLUSTERDOWN Hash slot not served"
        );
        assert_eq!(
            ReplyError::ClusterDown.to_string(),
            "CLUSTERDOWN The cluster is down"
        );
        assert_eq!(
            ReplyError::ReadOnly.to_string(),
            "READONLY You can't write against a read only replica."
        );
        assert_eq!(
            ReplyError::ExecAbort.to_string(),
            "EXECABORT Transaction discarded because of previous errors."
        );
        assert_eq!(
            ReplyError::NotInteger.to_string(),
            "ERR value is not an integer or out of range"
        );
        assert_eq!(
            ReplyError::NotFloat.to_string(),
            "ERR value is not a valid float"
        );
        assert_eq!(ReplyError::Syntax.to_string(), "ERR syntax error");
        assert_eq!(
            ReplyError::NoAuth.to_string(),
            "NOAUTH Authentication required."
        );
        assert_eq!(
            ReplyError::Moved {
                slot,
                addr: "x:1".into()
            }
            .code(),
            "MOVED"
        );
    }
}
