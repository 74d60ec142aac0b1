//! One node, driven by raw RESP and by the `redis` crate.

use std::time::Duration;

use shoal_tests::{Frame, Proc, RawClient, bulk};

#[test]
fn ping_set_get_over_raw_resp() {
    let node = Proc::node(&[]);
    let mut c = node.raw();
    assert_eq!(c.cmd(&["PING"]), Frame::simple("PONG"));
    assert_eq!(c.cmd(&["SET", "k", "v"]), Frame::ok());
    assert_eq!(c.cmd(&["GET", "k"]), bulk("v"));
    assert_eq!(c.cmd(&["GET", "missing"]), Frame::Null);
}

#[test]
fn pipelined_commands_answer_in_order() {
    let node = Proc::node(&[]);
    let mut c = node.raw();
    let mut wire = Vec::new();
    for i in 0..1000 {
        wire.extend_from_slice(
            format!(
                "*3\r\n$3\r\nSET\r\n$2\r\nk{}\r\n$1\r\n{}\r\n",
                i % 10,
                i % 10
            )
            .as_bytes(),
        );
        wire.extend_from_slice(b"*2\r\n$4\r\nINCR\r\n$3\r\nctr\r\n");
    }
    c.send_raw(&wire);
    for i in 0..1000 {
        assert_eq!(c.read(), Frame::ok());
        assert_eq!(c.read(), Frame::Integer(i + 1));
    }
}

#[test]
fn protocol_error_closes_only_that_connection() {
    let node = Proc::node(&[]);
    let mut other = node.raw();
    assert_eq!(other.cmd(&["SET", "keep", "1"]), Frame::ok());
    let mut bad = node.raw();
    bad.send_raw(b"*1\r\n$600000000\r\n");
    assert_eq!(
        bad.read(),
        Frame::error("ERR Protocol error: invalid bulk length")
    );
    assert!(bad.is_closed(Duration::from_secs(2)));
    let mut bad2 = node.raw();
    bad2.send_raw(b"*2\r\n$3\r\nGET\r\n:1\r\n");
    assert_eq!(
        bad2.read(),
        Frame::error("ERR Protocol error: expected '$', got ':'")
    );
    assert_eq!(other.cmd(&["GET", "keep"]), bulk("1"));
}

#[test]
fn errors_keep_the_connection() {
    let node = Proc::node(&[]);
    let mut c = node.raw();
    assert_eq!(
        c.cmd(&["GET"]),
        Frame::error("ERR wrong number of arguments for 'get' command")
    );
    assert_eq!(
        c.cmd(&["NOPE", "x"]),
        Frame::error("ERR unknown command 'NOPE', with args beginning with: 'x' ")
    );
    c.cmd(&["SET", "s", "abc"]);
    assert_eq!(
        c.cmd(&["INCR", "s"]),
        Frame::error("ERR value is not an integer or out of range")
    );
    assert_eq!(c.cmd(&["GET", "s"]), bulk("abc"));
}

#[test]
fn shutdown_command_stops_the_process() {
    let mut node = Proc::node(&[]);
    let mut c = node.raw();
    c.send(&["SHUTDOWN"]);
    assert_eq!(node.wait_exit(Duration::from_secs(5)), Some(0));
}

#[test]
fn redis_crate_client_works() {
    use redis::Commands;
    let node = Proc::node(&[]);
    let mut con = node.client().get_connection().expect("connect");
    let _: () = con.set("a", 1).expect("set");
    let v: i64 = con.incr("a", 5).expect("incr");
    assert_eq!(v, 6);
    let _: () = con.set_ex("t", "v", 100).expect("setex");
    let ttl: i64 = con.ttl("t").expect("ttl");
    assert!((99..=100).contains(&ttl));
    let vals: Vec<Option<String>> = con.mget(&["a", "nope", "t"]).expect("mget");
    assert_eq!(vals, vec![Some("6".into()), None, Some("v".into())]);
}

#[test]
fn keys_expire_without_access() {
    let node = Proc::node(&[]);
    let mut c: RawClient = node.raw();
    for i in 0..200 {
        c.cmd(&["SET", &format!("k{i}"), "v", "PX", "50"]);
    }
    c.cmd(&["SET", "stay", "v"]);
    // DBSIZE does not touch keys, so only the active expiry cycle can have removed them.
    let gone = shoal_tests::wait_until(Duration::from_secs(30), || {
        c.cmd(&["DBSIZE"]) == Frame::Integer(1)
    });
    assert!(gone, "expired keys left: DBSIZE {:?}", c.cmd(&["DBSIZE"]));
}

/// A client that sends far more than the node runs (here: a pipeline queued behind a BLPOP
/// that blocks) is slowed by TCP instead of having its commands piled up in the node's
/// memory; once it unblocks, every command runs, in order.
#[test]
fn a_client_sending_faster_than_it_is_served_is_held_back_not_buffered() {
    use std::io::{Read, Write};
    use std::sync::Arc;
    use std::sync::atomic::{AtomicUsize, Ordering};

    let node = Proc::node(&[]);
    let mut c = node.raw();
    let mut s = std::net::TcpStream::connect(("127.0.0.1", node.port)).unwrap();
    s.write_all(b"*3\r\n$5\r\nBLPOP\r\n$4\r\nlist\r\n$1\r\n0\r\n")
        .unwrap();
    shoal_tests::wait_blocked(&mut c, 1);
    let used = |c: &mut RawClient| -> u64 {
        shoal_tests::info_field(c, "memory", "used_memory")
            .unwrap()
            .parse()
            .unwrap()
    };
    let before = used(&mut c);
    // 400k SETs with 100-byte values: about 56 MB of input.
    const N: usize = 400_000;
    let value = "v".repeat(100);
    let mut wire = Vec::with_capacity(N * 140);
    for i in 0..N {
        let key = format!("key:{i}");
        wire.extend_from_slice(
            format!(
                "*3\r\n$3\r\nSET\r\n${}\r\n{key}\r\n$100\r\n{value}\r\n",
                key.len()
            )
            .as_bytes(),
        );
    }
    let total = wire.len();
    let sent = Arc::new(AtomicUsize::new(0));
    let mut w = s.try_clone().unwrap();
    let progress = sent.clone();
    let writer = std::thread::spawn(move || {
        for chunk in wire.chunks(64 * 1024) {
            w.write_all(chunk).unwrap();
            progress.fetch_add(chunk.len(), Ordering::Relaxed);
        }
    });
    // Wait until the writer stalls: the node stopped reading.
    let mut last = usize::MAX;
    let stalled = shoal_tests::wait_until(Duration::from_secs(30), || {
        std::thread::sleep(Duration::from_millis(300));
        let now = sent.load(Ordering::Relaxed);
        std::mem::replace(&mut last, now) == now
    });
    assert!(stalled, "the writer never stalled");
    assert!(
        sent.load(Ordering::Relaxed) < total,
        "the node read all {total} bytes while the client was blocked"
    );
    let grown = used(&mut c).saturating_sub(before);
    assert!(
        grown < 16 << 20,
        "the node buffered {grown} bytes of a blocked client's input"
    );
    assert_eq!(c.cmd(&["DBSIZE"]), Frame::Integer(0));
    // Unblock it: everything it sent runs.
    assert_eq!(c.cmd(&["LPUSH", "list", "x"]), Frame::Integer(1));
    let reader = std::thread::spawn(move || {
        let mut got = Vec::new();
        let want = b"*2\r\n$4\r\nlist\r\n$1\r\nx\r\n".len() + N * b"+OK\r\n".len();
        let mut buf = [0u8; 65536];
        while got.len() < want {
            let n = s.read(&mut buf).unwrap();
            assert!(n > 0, "closed after {} bytes", got.len());
            got.extend_from_slice(&buf[..n]);
        }
        got
    });
    writer.join().unwrap();
    let got = reader.join().unwrap();
    assert!(got.starts_with(b"*2\r\n$4\r\nlist\r\n$1\r\nx\r\n"));
    assert!(got.ends_with(b"+OK\r\n+OK\r\n"));
    assert_eq!(c.cmd(&["DBSIZE"]), Frame::Integer(N as i64));
    assert_eq!(c.cmd(&["GET", "key:399999"]), bulk(&value));
}

/// `bind` with several addresses listens on each of them (Redis `listenToPort`); an optional
/// one (`-addr`) that cannot be bound is skipped, a required one stops the node at startup.
/// CONFIG SET bind moves every listener.
#[test]
fn bind_listens_on_every_address() {
    use std::io::{Read, Write};
    let ping = |host: &str, port: u16| -> bool {
        let Ok(mut s) = std::net::TcpStream::connect((host, port)) else {
            return false;
        };
        s.set_read_timeout(Some(Duration::from_secs(10)))
            .expect("timeout");
        s.write_all(b"PING\r\n").expect("write");
        let mut buf = [0u8; 7];
        s.read_exact(&mut buf).is_ok() && &buf == b"+PONG\r\n"
    };
    let node = Proc::node(&["--bind", "127.0.0.1 127.0.0.2 -192.0.2.1"]);
    assert!(ping("127.0.0.1", node.port) && ping("127.0.0.2", node.port));
    assert_eq!(
        node.raw().cmd(&["CONFIG", "GET", "bind"]),
        Frame::Array(vec![bulk("bind"), bulk("127.0.0.1 127.0.0.2 -192.0.2.1")])
    );
    assert_eq!(
        node.raw()
            .cmd(&["CONFIG", "SET", "bind", "127.0.0.3 127.0.0.1"]),
        Frame::ok()
    );
    assert!(ping("127.0.0.3", node.port) && ping("127.0.0.1", node.port));
    assert!(
        !ping("127.0.0.2", node.port),
        "the old address still listens"
    );

    let out = shoal_tests::output_within(
        std::process::Command::new(shoal_tests::bin("shoal-node")).args([
            "--port",
            "0",
            "--bind",
            "127.0.0.1 192.0.2.1",
        ]),
        Duration::from_secs(30),
    );
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        !out.status.success()
            && err.contains("Could not create server TCP listening socket 192.0.2.1"),
        "{err}"
    );
}
