//! `cluster-announce-port` / `-hostname` and `cluster-preferred-endpoint-type`: what other
//! nodes and clients are told about a node (CLUSTER NODES, SLOTS, SHARDS, MOVED), checked
//! with the same assertions against real Redis 7.0 and against shoal-node.

use std::time::Duration;

use shoal_tests::{Frame, Proc, bulk, wait_until};

fn text(f: &Frame) -> String {
    String::from_utf8_lossy(f.as_bytes().expect("bulk reply")).into_owned()
}

fn start(redis: bool, extra: &[&str]) -> Proc {
    let mut args = vec!["--cluster-enabled", "yes", "--cluster-node-timeout", "2000"];
    args.extend_from_slice(extra);
    if redis {
        Proc::redis(&args)
    } else {
        Proc::node(&args)
    }
}

fn arr(items: Vec<Frame>) -> Frame {
    Frame::Array(items)
}

/// A (slots 0-8191, announcing hostname a.example and client port 7001) and B (the rest).
fn announced_pair(redis: bool) -> (Proc, Proc) {
    let a = start(
        redis,
        &[
            "--cluster-announce-hostname",
            "a.example",
            "--cluster-announce-port",
            "7001",
        ],
    );
    let b = start(redis, &[]);
    let mut ca = a.raw();
    let mut cb = b.raw();
    assert_eq!(
        ca.cmd(&["CLUSTER", "ADDSLOTSRANGE", "0", "8191"]),
        Frame::ok()
    );
    assert_eq!(
        cb.cmd(&["CLUSTER", "ADDSLOTSRANGE", "8192", "16383"]),
        Frame::ok()
    );
    ca.cmd(&["CLUSTER", "SET-CONFIG-EPOCH", "1"]);
    cb.cmd(&["CLUSTER", "SET-CONFIG-EPOCH", "2"]);
    let port = a.port.to_string();
    assert_eq!(
        cb.cmd(&["CLUSTER", "MEET", "127.0.0.1", &port]),
        Frame::ok()
    );
    let ready = |p: &Proc| {
        let info = text(&p.raw().cmd(&["CLUSTER", "INFO"]));
        let nodes = text(&p.raw().cmd(&["CLUSTER", "NODES"]));
        info.contains("cluster_state:ok") && nodes.contains(",a.example ")
    };
    assert!(
        wait_until(Duration::from_secs(20), || ready(&a) && ready(&b)),
        "pair never formed"
    );
    (a, b)
}

#[test]
fn announced_address_and_preferred_endpoint_like_redis() {
    for redis in [true, false] {
        let kind = if redis { "redis" } else { "shoal" };
        let (a, b) = announced_pair(redis);
        let (mut ca, mut cb) = (a.raw(), b.raw());
        let a_id = text(&ca.cmd(&["CLUSTER", "MYID"]));
        let b_id = text(&cb.cmd(&["CLUSTER", "MYID"]));
        let addr = format!("127.0.0.1:7001@{},a.example", a.port + 10000);
        for (who, c) in [("a", &mut ca), ("b", &mut cb)] {
            let nodes = text(&c.cmd(&["CLUSTER", "NODES"]));
            let line = nodes
                .lines()
                .find(|l| l.starts_with(&a_id))
                .expect("a's line");
            assert_eq!(
                line.split(' ').nth(1),
                Some(&addr[..]),
                "{kind} {who}: {line}"
            );
        }
        // "bar" is slot 5061, A's.
        assert_eq!(
            cb.cmd(&["GET", "bar"]),
            Frame::error("MOVED 5061 127.0.0.1:7001"),
            "{kind}"
        );
        let b_port = i64::from(b.port);
        let slots = |endpoint_a: Frame, meta_a: Vec<Frame>, endpoint_b: Frame, meta_b| {
            arr(vec![
                arr(vec![
                    Frame::Integer(0),
                    Frame::Integer(8191),
                    arr(vec![
                        endpoint_a,
                        Frame::Integer(7001),
                        bulk(&a_id),
                        arr(meta_a),
                    ]),
                ]),
                arr(vec![
                    Frame::Integer(8192),
                    Frame::Integer(16383),
                    arr(vec![
                        endpoint_b,
                        Frame::Integer(b_port),
                        bulk(&b_id),
                        arr(meta_b),
                    ]),
                ]),
            ])
        };
        let ip = || bulk("127.0.0.1");
        assert_eq!(
            cb.cmd(&["CLUSTER", "SLOTS"]),
            slots(
                ip(),
                vec![bulk("hostname"), bulk("a.example")],
                ip(),
                vec![]
            ),
            "{kind}"
        );
        let set = |c: &mut shoal_tests::RawClient, v: &str| {
            let r = c.cmd(&["CONFIG", "SET", "cluster-preferred-endpoint-type", v]);
            assert_eq!(r, Frame::ok());
        };
        set(&mut cb, "hostname");
        assert_eq!(
            cb.cmd(&["GET", "bar"]),
            Frame::error("MOVED 5061 a.example:7001"),
            "{kind}"
        );
        assert_eq!(
            cb.cmd(&["CLUSTER", "SLOTS"]),
            slots(
                bulk("a.example"),
                vec![bulk("ip"), ip()],
                bulk("?"),
                vec![bulk("ip"), ip()]
            ),
            "{kind}"
        );
        set(&mut cb, "unknown-endpoint");
        assert_eq!(
            cb.cmd(&["GET", "bar"]),
            Frame::error("MOVED 5061 :7001"),
            "{kind}"
        );
        assert_eq!(
            cb.cmd(&["CLUSTER", "SLOTS"]),
            slots(
                Frame::Null,
                vec![bulk("ip"), ip(), bulk("hostname"), bulk("a.example")],
                Frame::Null,
                vec![bulk("ip"), ip()]
            ),
            "{kind}"
        );
        // CLUSTER SHARDS: A's node entry names its hostname; the endpoint follows the setting.
        let shards = format!("{:?}", cb.cmd(&["CLUSTER", "SHARDS"]));
        assert!(shards.contains("a.example"), "{kind}: {shards}");
        assert_eq!(
            ca.cmd(&["CONFIG", "GET", "cluster-announce-hostname"]),
            arr(vec![bulk("cluster-announce-hostname"), bulk("a.example")]),
            "{kind}"
        );
    }
}
