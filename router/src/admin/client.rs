//! A small blocking RESP2 client for administration: one TCP connection per node, commands
//! sent one at a time or pipelined, replies decoded with `common`'s reply decoder.
//!
//! Mirrors the connection handling of `redis-cli --cluster` (`clusterManagerNode.context`):
//! plain RESP2, no HELLO. Admin work is a sequence of round trips to a handful of nodes, so a
//! blocking socket per node (and a thread per source node when moving slots in parallel) is
//! simpler than an async runtime and just as fast.
//!
//! Invariant: replies are read in the order commands were sent; a pipeline reads exactly as
//! many replies as it wrote.

use std::io::{Read, Write};
use std::net::{TcpStream, ToSocketAddrs};
use std::time::Duration;

use anyhow::{Context, Result, anyhow, bail};
use bytes::BytesMut;
use shoal_common::Frame;
use shoal_common::resp::decode::decode_reply;
use shoal_common::resp::encode::encode_request;

/// Connect timeout: a local cluster answers in microseconds; a dead node should fail fast.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);
/// Read timeout: must exceed the MIGRATE timeout (60 s by default), which blocks the source.
const READ_TIMEOUT: Duration = Duration::from_secs(130);

/// One command: its arguments as bytes.
pub type Cmd = Vec<Vec<u8>>;

/// Builds a [`Cmd`] from anything string-like.
pub fn cmd<S: AsRef<[u8]>>(args: &[S]) -> Cmd {
    args.iter().map(|a| a.as_ref().to_vec()).collect()
}

/// A connection to one node.
pub struct Conn {
    /// `host:port` as given or as learned from CLUSTER NODES.
    pub addr: String,
    stream: TcpStream,
    buf: BytesMut,
}

impl Conn {
    /// Connects to `addr` (`host:port`).
    pub fn connect(addr: &str) -> Result<Conn> {
        let sock = addr
            .to_socket_addrs()
            .with_context(|| format!("resolve {addr}"))?
            .next()
            .ok_or_else(|| anyhow!("{addr} resolves to no address"))?;
        let stream = TcpStream::connect_timeout(&sock, CONNECT_TIMEOUT)
            .with_context(|| format!("connect to {addr}: is the node running?"))?;
        stream.set_read_timeout(Some(READ_TIMEOUT))?;
        stream.set_nodelay(true)?;
        Ok(Conn {
            addr: addr.to_string(),
            stream,
            buf: BytesMut::new(),
        })
    }

    /// Writes commands without reading replies.
    pub fn send(&mut self, cmds: &[Cmd]) -> Result<()> {
        let mut out = BytesMut::new();
        for c in cmds {
            encode_request(c, &mut out);
        }
        self.stream
            .write_all(&out)
            .with_context(|| format!("write to {}", self.addr))
    }

    /// Reads one reply (error replies are `Ok(Frame::Error)`).
    pub fn read(&mut self) -> Result<Frame> {
        loop {
            if let Some(f) = decode_reply(&mut self.buf)
                .map_err(|e| anyhow!("bad reply from {}: {e}", self.addr))?
            {
                return Ok(f);
            }
            let mut chunk = [0u8; 64 * 1024];
            let n = self
                .stream
                .read(&mut chunk)
                .with_context(|| format!("read from {}", self.addr))?;
            if n == 0 {
                bail!("{} closed the connection", self.addr);
            }
            self.buf.extend_from_slice(&chunk[..n]);
        }
    }

    /// Sends all commands at once, then reads one reply per command.
    pub fn pipeline(&mut self, cmds: &[Cmd]) -> Result<Vec<Frame>> {
        self.send(cmds)?;
        cmds.iter().map(|_| self.read()).collect()
    }

    /// One command, one reply (error replies are returned, not raised).
    pub fn call<S: AsRef<[u8]>>(&mut self, args: &[S]) -> Result<Frame> {
        self.send(&[cmd(args)])?;
        self.read()
    }

    /// One command whose error reply becomes an `Err` naming the node and the command.
    pub fn ok<S: AsRef<[u8]>>(&mut self, args: &[S]) -> Result<Frame> {
        let f = self.call(args)?;
        match f {
            Frame::Error(e) => bail!(
                "{}: {} failed: {}",
                self.addr,
                show(&cmd(args)),
                String::from_utf8_lossy(&e)
            ),
            f => Ok(f),
        }
    }

    /// One command expected to reply with a string (bulk, simple or verbatim).
    pub fn text<S: AsRef<[u8]>>(&mut self, args: &[S]) -> Result<String> {
        let f = self.ok(args)?;
        f.as_bytes()
            .map(|b| String::from_utf8_lossy(b).into_owned())
            .ok_or_else(|| anyhow!("{}: unexpected reply {f:?}", self.addr))
    }

    /// One command expected to reply with an integer.
    pub fn int<S: AsRef<[u8]>>(&mut self, args: &[S]) -> Result<i64> {
        match self.ok(args)? {
            Frame::Integer(n) => Ok(n),
            f => bail!("{}: expected an integer, got {f:?}", self.addr),
        }
    }
}

/// A command for messages: `CLUSTER SETSLOT 5 NODE abc`.
pub fn show(c: &Cmd) -> String {
    c.iter()
        .map(|a| String::from_utf8_lossy(a).into_owned())
        .collect::<Vec<_>>()
        .join(" ")
}

/// The error text of an error frame.
pub fn error_text(f: &Frame) -> Option<String> {
    match f {
        Frame::Error(e) => Some(String::from_utf8_lossy(e).into_owned()),
        _ => None,
    }
}

/// The value of `field` in an INFO-style `name:value\r\n` text.
pub fn info_field<'a>(text: &'a str, field: &str) -> Option<&'a str> {
    text.lines().find_map(|l| {
        l.strip_prefix(field)
            .and_then(|rest| rest.strip_prefix(':'))
            .map(str::trim_end)
    })
}

/// Renders a reply the way `redis-cli` prints raw replies: strings as is, arrays one element
/// per line.
pub fn render(f: &Frame) -> String {
    match f {
        Frame::Simple(b) | Frame::Bulk(b) | Frame::Verbatim(_, b) | Frame::BigNumber(b) => {
            String::from_utf8_lossy(b).into_owned()
        }
        Frame::Error(e) => format!("(error) {}", String::from_utf8_lossy(e)),
        Frame::Integer(n) => n.to_string(),
        Frame::Null | Frame::NullArray => "(nil)".to_string(),
        Frame::Double(d) => d.to_string(),
        Frame::Boolean(b) => u8::from(*b).to_string(),
        Frame::Array(items) | Frame::Set(items) | Frame::Push(items) => {
            items.iter().map(render).collect::<Vec<_>>().join("\n")
        }
        Frame::Map(pairs) => pairs
            .iter()
            .map(|(k, v)| format!("{}\n{}", render(k), render(v)))
            .collect::<Vec<_>>()
            .join("\n"),
        Frame::Raw(_) => render(&f.clone().unraw()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn info_field_reads_crlf_lines() {
        let t = "# Cluster\r\ncluster_enabled:1\r\ncluster_state:ok\r\n";
        assert_eq!(info_field(t, "cluster_enabled"), Some("1"));
        assert_eq!(info_field(t, "cluster_state"), Some("ok"));
        assert_eq!(info_field(t, "cluster"), None);
    }

    #[test]
    fn render_flattens_arrays() {
        let f = Frame::Array(vec![Frame::bulk("a"), Frame::Integer(3)]);
        assert_eq!(render(&f), "a\n3");
    }
}
