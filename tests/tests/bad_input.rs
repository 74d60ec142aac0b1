//! Bad input: malformed RESP, oversized headers and buffers, broken inline commands, and
//! argument errors. Each case goes to real Redis 7.0 and to our node as the same raw bytes; the
//! replies and whether the connection was closed must be the same. After every case another
//! client checks that the node still serves and that the data is intact.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

use bytes::BytesMut;
use shoal_common::resp::decode::decode_reply;
use shoal_tests::{Differ, Frame, bulk};

/// What a server did with some bytes: the replies it sent, and whether it then closed.
#[derive(Debug, PartialEq)]
struct Outcome {
    replies: Vec<Frame>,
    closed: bool,
}

/// Sends `bytes` on a new connection, then collects replies until the server closes the
/// connection or stays quiet for `quiet`.
fn exchange(port: u16, bytes: &[u8], quiet: Duration) -> Outcome {
    let mut s = TcpStream::connect(("127.0.0.1", port)).expect("connect");
    s.set_read_timeout(Some(Duration::from_millis(50))).unwrap();
    // A server may close while we are still writing (a too-big header): not an error here.
    let _ = s.write_all(bytes);
    let mut buf = BytesMut::new();
    let mut replies = Vec::new();
    let mut last = Instant::now();
    let closed = loop {
        let mut chunk = [0u8; 65536];
        match s.read(&mut chunk) {
            Ok(0) => break true,
            Ok(n) => {
                buf.extend_from_slice(&chunk[..n]);
                last = Instant::now();
            }
            Err(e)
                if matches!(
                    e.kind(),
                    std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
                ) =>
            {
                if last.elapsed() >= quiet {
                    break false;
                }
            }
            Err(_) => break true,
        }
        while let Some(f) = decode_reply(&mut buf).expect("valid RESP from server") {
            replies.push(f);
        }
    };
    while let Some(f) = decode_reply(&mut buf).expect("valid RESP from server") {
        replies.push(f);
    }
    Outcome { replies, closed }
}

fn same_outcome(d: &mut Differ, name: &str, bytes: &[u8]) -> Outcome {
    let quiet = Duration::from_millis(300);
    let ours = exchange(d.ours.port, bytes, quiet);
    let theirs = exchange(d.redis.port, bytes, quiet);
    assert_eq!(
        ours, theirs,
        "{name}: outcome differs (left: ours, right: Redis)"
    );
    // The node still serves other clients, and the data is intact.
    assert_eq!(d.a.cmd(&["GET", "keep"]), bulk("safe"), "{name}");
    ours
}

#[test]
fn malformed_resp_matches_redis() {
    let mut d = Differ::new(&[]);
    d.check(&["SET", "keep", "safe"]);
    let cases: &[(&str, &[u8])] = &[
        ("bad multibulk count", b"*abc\r\n"),
        ("multibulk count with plus", b"*+1\r\n$4\r\nPING\r\n"),
        ("multibulk count over INT_MAX", b"*3000000000\r\n"),
        ("negative multibulk count", b"*-5\r\nPING\r\n"),
        ("zero multibulk count", b"*0\r\nPING\r\n"),
        ("bad bulk length", b"*1\r\n$abc\r\n"),
        ("negative bulk length", b"*1\r\n$-1\r\n"),
        ("bulk without dollar", b"*1\r\n:5\r\n"),
        (
            "simple string inside multibulk",
            b"*2\r\n$3\r\nGET\r\n+k\r\n",
        ),
        ("600 MB bulk header", b"*2\r\n$3\r\nGET\r\n$600000000\r\n"),
        ("bulk header over 512 MB", b"*1\r\n$536870913\r\n"),
        ("bulk outside multibulk is inline", b"$4\r\nPING\r\n"),
        ("inline unbalanced double quote", b"SET \"a b\r\n"),
        ("inline unbalanced single quote", b"SET 'a b\r\n"),
        ("inline closing quote then char", b"SET \"a\"b c\r\n"),
        ("inline with escapes", b"ECHO \"\\x41\\n\\t\" 'it\\'s'\r\n"),
        ("inline empty lines", b"\r\n\r\n\nPING\r\n"),
        ("inline bare LF", b"PING\nECHO x\n"),
        (
            "pipelined good then bad",
            b"PING\r\n*1\r\n$4\r\nPING\r\n*x\r\nPING\r\n",
        ),
        ("NUL bytes inline", b"ECHO a\x00b\r\n"),
        ("binary bulk", b"*2\r\n$4\r\nECHO\r\n$3\r\n\x00\xff\r\r\n"),
    ];
    for (name, bytes) in cases {
        same_outcome(&mut d, name, bytes);
    }
}

#[test]
fn oversized_inputs_close_like_redis() {
    let mut d = Differ::new(&[]);
    d.check(&["SET", "keep", "safe"]);
    // An inline line longer than 64 KB without a newline.
    let long_inline = vec![b'a'; 70 * 1024];
    let o = same_outcome(&mut d, "too big inline", &long_inline);
    assert!(o.closed);
    // A multibulk count line longer than 64 KB.
    let mut long_count = b"*".to_vec();
    long_count.extend(std::iter::repeat_n(b'1', 70 * 1024));
    same_outcome(&mut d, "too big mbulk count", &long_count);
    let mut long_bulk = b"*1\r\n$".to_vec();
    long_bulk.extend(std::iter::repeat_n(b'1', 70 * 1024));
    same_outcome(&mut d, "too big bulk count", &long_bulk);
    // A huge but valid count: the server waits for the arguments without allocating them.
    let o = same_outcome(
        &mut d,
        "huge multibulk count",
        b"*1000000000\r\n$4\r\nPING\r\n",
    );
    assert!(!o.closed);
}

#[test]
fn query_buffer_limit_closes_the_client() {
    let mut d = Differ::new(&[]);
    d.check(&["SET", "keep", "safe"]);
    d.check(&["CONFIG", "SET", "client-query-buffer-limit", "1mb"]);
    // A 4 MB argument in progress: past the limit, the client is closed without a reply.
    let mut big = b"*3\r\n$3\r\nSET\r\n$1\r\nx\r\n$4194304\r\n".to_vec();
    big.extend(std::iter::repeat_n(b'v', 2 * 1024 * 1024));
    let o = same_outcome(&mut d, "query buffer over the limit", &big);
    assert!(o.closed && o.replies.is_empty(), "{o:?}");
    // Under the limit all is well.
    let mut ok = b"*3\r\n$3\r\nSET\r\n$1\r\ny\r\n$1000\r\n".to_vec();
    ok.extend(std::iter::repeat_n(b'v', 1000));
    ok.extend_from_slice(b"\r\n");
    let o = same_outcome(&mut d, "under the limit", &ok);
    assert_eq!(o.replies, [Frame::ok()]);
    d.check(&["EXISTS", "x"]);
    // proto-max-bulk-len applies at once too.
    d.check(&["CONFIG", "SET", "proto-max-bulk-len", "1mb"]);
    same_outcome(
        &mut d,
        "bulk over proto-max-bulk-len",
        b"*1\r\n$2000000\r\n",
    );
}

#[test]
fn argument_errors_match_redis() {
    let mut d = Differ::new(&[]);
    d.check(&["SET", "keep", "safe"]);
    d.check(&["SET", "str", "abc"]);
    d.check(&["SET", "n", "10"]);
    let cases: &[&[&str]] = &[
        // wrong arity
        &["GET"],
        &["GET", "a", "b"],
        &["SET", "k"],
        &["PING", "a", "b"],
        &["CLIENT"],
        &["CONFIG", "GET"],
        &["COMMAND", "INFO", "get", "set"],
        // unknown
        &["NOSUCHCMD", "a", "b"],
        &["CONFIG", "NOSUCHSUB"],
        // non-integer, out of range, overflow
        &["INCR", "str"],
        &["INCRBY", "n", "abc"],
        &["INCRBY", "n", "1.5"],
        &["INCRBY", "n", "99999999999999999999"],
        &["INCRBY", "n", " 1"],
        &["EXPIRE", "n", "abc"],
        &["EXPIRE", "n", "99999999999999999"],
        &["SETEX", "k", "-1", "v"],
        &["SETEX", "k", "0", "v"],
        &["SET", "k", "v", "PX", "-5"],
        &["SELECT", "-1"],
        &["SELECT", "16"],
        &["SELECT", "abc"],
        &["CLIENT", "PAUSE", "99999999999999999999"],
        &["SLOWLOG", "GET", "99999999999999999999"],
        // syntax
        &["SET", "k", "v", "NX", "NX", "XX"],
        &["FLUSHALL", "NOW"],
        &["CLIENT", "KILL", "ID"],
        &["INFO", "a", "b", "c"],
    ];
    for cmd in cases {
        d.check(cmd);
    }
    assert_eq!(d.a.cmd(&["GET", "keep"]), bulk("safe"));
}

#[test]
fn many_bad_clients_leave_the_node_healthy() {
    let mut d = Differ::new(&[]);
    d.check(&["SET", "keep", "safe"]);
    let garbage: &[&[u8]] = &[
        b"*1\r\n$3\r\nGE",
        b"\xff\xfe\xfd\r\n",
        b"*2\r\n$3\r\nGET\r\n$-7\r\n",
        b"*-1\r\n*-1\r\n",
        b"$-1\r\n",
        b"*1\r\n$4\r\nPING",
    ];
    let mut conns = Vec::new();
    for g in garbage.iter().cycle().take(60) {
        let mut s = TcpStream::connect(("127.0.0.1", d.ours.port)).unwrap();
        let _ = s.write_all(g);
        conns.push(s);
    }
    drop(conns);
    assert_eq!(d.a.cmd(&["GET", "keep"]), bulk("safe"));
    assert_eq!(d.a.cmd(&["DBSIZE"]), Frame::Integer(1));
    assert!(d.ours.alive());
}

#[test]
fn unauthenticated_clients_get_small_limits() {
    let mut d = Differ::new(&["--requirepass", "pw"]);
    d.check(&["AUTH", "pw"]);
    d.check(&["SET", "keep", "safe"]);
    let big_bulk = b"*2\r\n$3\r\nGET\r\n$16385\r\n";
    for (name, bytes) in [
        ("unauthenticated multibulk", &b"*11\r\n"[..]),
        ("ten is fine", b"*10\r\n"),
        ("unauthenticated bulk", big_bulk),
        ("16384 is fine", b"*2\r\n$3\r\nGET\r\n$16384\r\n"),
        ("after AUTH", b"AUTH pw\r\n"),
    ] {
        same_outcome(&mut d, name, bytes);
    }
    // Once authenticated, the same bulk is accepted.
    let value = "v".repeat(16385);
    d.check(&["SET", "big", &value]);
    d.check(&["STRLEN", "big"]);
}
