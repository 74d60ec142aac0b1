//! Operating errors of the router, with where they came from and whether a retry is safe
//! (the pingora habit: every error says its source and its retry decision).
//!
//! These are not Redis replies; [`RouterError::reply_text`] turns one into the `-ERR ...`
//! line a client sees when the router cannot get an answer for it.

/// Which side of the router an error came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Source {
    /// A cluster node (connect, read, write, a malformed reply, a timeout).
    Upstream,
    /// A client.
    Downstream,
    /// The router itself (a bug or an exceeded limit).
    Internal,
}

/// Why the router could not get a node's answer.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RouterError {
    /// No connection could be made; nothing was sent, so any command may be resent.
    #[error("node {addr} is unreachable ({reason})")]
    Connect {
        /// The node.
        addr: String,
        /// The I/O error or the failed handshake step.
        reason: String,
    },
    /// The connection broke after the command was written: a write may or may not have run.
    #[error("connection to node {addr} lost with the command in flight")]
    Lost {
        /// The node.
        addr: String,
    },
    /// The connection closed before the command was written.
    #[error("connection to node {addr} closed before the command was sent")]
    NotSent {
        /// The node.
        addr: String,
    },
    /// The node did not answer within the configured bound.
    #[error("node {addr} did not answer within {timeout_ms} ms")]
    Timeout {
        /// The node.
        addr: String,
        /// The bound (`--timeout-ms`).
        timeout_ms: u64,
    },
    /// The node sent bytes that are not RESP.
    #[error("node {addr} sent an invalid reply ({reason})")]
    Protocol {
        /// The node.
        addr: String,
        /// What was wrong.
        reason: String,
    },
    /// The slot map has no owner for the slot (the cluster is incomplete or unknown).
    #[error("no node serves slot {slot}")]
    NoOwner {
        /// The slot.
        slot: u16,
    },
}

impl RouterError {
    /// Where the error came from.
    pub fn source_side(&self) -> Source {
        match self {
            RouterError::NoOwner { .. } => Source::Internal,
            _ => Source::Upstream,
        }
    }

    /// True when the command surely did not reach the node, so resending cannot run it twice.
    pub fn safe_to_resend(&self) -> bool {
        matches!(
            self,
            RouterError::Connect { .. } | RouterError::NotSent { .. }
        )
    }

    /// True when a read may be resent (a read has no effect, so only the answer is lost).
    pub fn retry_read(&self) -> bool {
        matches!(
            self,
            RouterError::Connect { .. }
                | RouterError::NotSent { .. }
                | RouterError::Lost { .. }
                | RouterError::NoOwner { .. }
        )
    }

    /// The error line sent to the client (without the leading `-`).
    pub fn reply_text(&self) -> String {
        match self {
            RouterError::NoOwner { .. } => "CLUSTERDOWN Hash slot not served".to_string(),
            RouterError::Lost { .. } => {
                format!("ERR router: {self}; its outcome is unknown")
            }
            _ => format!("ERR router: {self}"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn texts_and_decisions() {
        let lost = RouterError::Lost {
            addr: "127.0.0.1:7000".into(),
        };
        assert_eq!(
            lost.reply_text(),
            "ERR router: connection to node 127.0.0.1:7000 lost with the command in flight; \
             its outcome is unknown"
        );
        assert!(!lost.safe_to_resend());
        assert!(lost.retry_read());
        let c = RouterError::Connect {
            addr: "h:1".into(),
            reason: "refused".into(),
        };
        assert!(c.safe_to_resend());
        assert_eq!(c.source_side(), Source::Upstream);
        assert_eq!(
            RouterError::NoOwner { slot: 3 }.reply_text(),
            "CLUSTERDOWN Hash slot not served"
        );
        let t = RouterError::Timeout {
            addr: "h:1".into(),
            timeout_ms: 50,
        };
        assert_eq!(
            t.reply_text(),
            "ERR router: node h:1 did not answer within 50 ms"
        );
        assert!(!t.retry_read());
    }
}
