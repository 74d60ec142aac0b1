//! The router against scripted upstreams: MOVED, ASK, TRYAGAIN, dead, hung and crashing
//! nodes, each on cue.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use shoal_tests::cluster::start_router;
use shoal_tests::mock::{MockNode, Reply, listener, topology};
use shoal_tests::{Frame, bulk};

/// Slot of "foo".
const FOO: u16 = 12182;

#[test]
fn moved_updates_the_map_and_is_followed() {
    let (la, lb) = (listener(), listener());
    let (pa, pb) = (
        la.local_addr().unwrap().port(),
        lb.local_addr().unwrap().port(),
    );
    // A claims every slot at first; after its first MOVED both nodes report B owns 12182.
    let moved = Arc::new(AtomicUsize::new(0));
    let ranges = move |m: &AtomicUsize| {
        if m.load(Ordering::SeqCst) == 0 {
            vec![(0, 16383, pa)]
        } else {
            vec![(0, FOO - 1, pa), (FOO, FOO, pb), (FOO + 1, 16383, pa)]
        }
    };
    let (m1, m2) = (Arc::clone(&moved), Arc::clone(&moved));
    let a = MockNode::start(
        la,
        Arc::new(move |_, args| {
            if let Some(r) = topology(args, &ranges(&m1)) {
                return r;
            }
            m1.fetch_add(1, Ordering::SeqCst);
            Reply::Frame(Frame::error(format!("MOVED {FOO} 127.0.0.1:{pb}")))
        }),
    );
    let b = MockNode::start(
        lb,
        Arc::new(move |_, args| {
            if let Some(r) = topology(args, &ranges(&m2)) {
                return r;
            }
            Reply::Frame(bulk(&format!("b:{}", args[0])))
        }),
    );
    let router = start_router(&format!("127.0.0.1:{pa}"), &[]);
    let mut c = router.raw();
    assert_eq!(c.cmd(&["GET", "foo"]), bulk("b:GET"));
    assert_eq!(a.count("GET"), 1);
    for _ in 0..5 {
        assert_eq!(c.cmd(&["GET", "foo"]), bulk("b:GET"));
    }
    // The map was patched at once: later GETs go straight to B.
    assert_eq!(a.count("GET"), 1);
    assert_eq!(b.count("GET"), 6);
}

#[test]
fn ask_sends_asking_and_retries_once_without_changing_the_map() {
    let (la, lb) = (listener(), listener());
    let (pa, pb) = (
        la.local_addr().unwrap().port(),
        lb.local_addr().unwrap().port(),
    );
    let ranges = vec![(0, 16383, pa)];
    let r2 = ranges.clone();
    let a = MockNode::start(
        la,
        Arc::new(move |_, args| {
            topology(args, &ranges)
                .unwrap_or_else(|| Reply::Frame(Frame::error(format!("ASK {FOO} 127.0.0.1:{pb}"))))
        }),
    );
    let b = MockNode::start(
        lb,
        Arc::new(move |st, args| {
            if let Some(r) = topology(args, &r2) {
                return r;
            }
            if st.asking {
                Reply::Frame(bulk("imported"))
            } else {
                Reply::Frame(Frame::error(format!("MOVED {FOO} 127.0.0.1:{pa}")))
            }
        }),
    );
    let router = start_router(&format!("127.0.0.1:{pa}"), &[]);
    let mut c = router.raw();
    assert_eq!(c.cmd(&["GET", "foo"]), bulk("imported"));
    assert_eq!(c.cmd(&["GET", "foo"]), bulk("imported"));
    // ASK does not move the slot: each GET asks A first, then B after ASKING.
    assert_eq!(a.count("GET"), 2);
    assert_eq!(b.count("ASKING"), 2);
    assert_eq!(b.count("GET"), 2);
}

#[test]
fn tryagain_is_retried_with_backoff_and_bounded() {
    let l = listener();
    let p = l.local_addr().unwrap().port();
    let ranges = vec![(0, 16383, p)];
    let n = Arc::new(AtomicUsize::new(0));
    let n2 = Arc::clone(&n);
    let node = MockNode::start(
        l,
        Arc::new(move |_, args| {
            if let Some(r) = topology(args, &ranges) {
                return r;
            }
            if args[1] == "always" {
                return Reply::Frame(Frame::error("CLUSTERDOWN The cluster is down"));
            }
            if n2.fetch_add(1, Ordering::SeqCst) < 2 {
                Reply::Frame(Frame::error(
                    "TRYAGAIN Multiple keys request during rehashing of slot",
                ))
            } else {
                Reply::Frame(bulk("ok-now"))
            }
        }),
    );
    let router = start_router(&format!("127.0.0.1:{p}"), &["--timeout-ms", "1000"]);
    let mut c = router.raw();
    assert_eq!(c.cmd(&["GET", "k"]), bulk("ok-now"));
    assert_eq!(node.count("GET"), 3);
    // A cluster that stays down: retried for the retry bound (--timeout-ms: a failover that
    // ends within it is ridden through), then the error comes back.
    let t = Instant::now();
    assert_eq!(
        c.cmd(&["GET", "always"]),
        Frame::error("CLUSTERDOWN The cluster is down")
    );
    assert!(
        t.elapsed() >= Duration::from_millis(500),
        "{:?}",
        t.elapsed()
    );
    assert!(t.elapsed() < Duration::from_secs(3), "{:?}", t.elapsed());
    let attempts = node.count("GET") - 3;
    assert!((4..=15).contains(&attempts), "{attempts} attempts");
}

#[test]
fn dead_hung_and_crashing_nodes_fail_only_their_requests() {
    let (la, lb, lc) = (listener(), listener(), listener());
    let pa = la.local_addr().unwrap().port();
    let pb = lb.local_addr().unwrap().port();
    let pc = lc.local_addr().unwrap().port();
    drop(lc); // nobody listens on C: connection refused
    // A: slots 0-5000 (hangs on "hang", drops the connection on SET), B: the rest but C's.
    let ranges = vec![(0, 5000, pa), (5001, 10000, pb), (10001, 16383, pc)];
    let (r1, r2) = (ranges.clone(), ranges);
    let reads = Arc::new(AtomicUsize::new(0));
    let reads2 = Arc::clone(&reads);
    let a = MockNode::start(
        la,
        Arc::new(move |_, args| {
            if let Some(r) = topology(args, &r1) {
                return r;
            }
            match (args[0].as_str(), args.get(1).map(String::as_str)) {
                (_, Some(k)) if k.starts_with("hang") => Reply::Hang,
                ("SET", _) => Reply::Close,
                ("GET", _) if reads2.fetch_add(1, Ordering::SeqCst) == 0 => Reply::Close,
                _ => Reply::Frame(bulk("a")),
            }
        }),
    );
    let _b = MockNode::start(
        lb,
        Arc::new(move |_, args| topology(args, &r2).unwrap_or(Reply::Frame(bulk("b")))),
    );
    let seed = format!("127.0.0.1:{pa}");
    // A bound long enough that B's answer beats it even on a busy machine.
    let router = start_router(&seed, &["--timeout-ms", "3000"]);
    // Keys picked by slot: one per node.
    let key_with = |prefix: &str, lo: u16, hi: u16| {
        (0..)
            .map(|i| format!("{prefix}{i}"))
            .find(|k| (lo..=hi).contains(&shoal_common::key_hash_slot(k.as_bytes()).get()))
            .unwrap()
    };
    let key_in = |lo: u16, hi: u16| key_with("k", lo, hi);
    let (ka, kb, kc) = (key_in(0, 5000), key_in(5001, 10000), key_in(10001, 16383));
    let mut c = router.raw();
    // A read whose connection drops is retried: the answer arrives.
    assert_eq!(c.cmd(&["GET", &ka]), bulk("a"));
    // A write whose connection drops is not resent: its outcome is unknown, the client is told.
    let e = c.cmd(&["SET", &ka, "v"]);
    let Frame::Error(text) = &e else {
        panic!("{e:?}")
    };
    assert!(
        String::from_utf8_lossy(text).contains("outcome is unknown"),
        "{e:?}"
    );
    assert_eq!(a.count("SET"), 1);
    // A refused connection: a clear error, and the router keeps serving.
    let e = c.cmd(&["GET", &kc]);
    let Frame::Error(text) = &e else {
        panic!("{e:?}")
    };
    assert!(
        String::from_utf8_lossy(text).contains("unreachable"),
        "{e:?}"
    );
    assert_eq!(c.cmd(&["PING"]), Frame::simple("PONG"));
    // A hung node: its request times out after the bound; B answers meanwhile.
    let hang = key_with("hang", 0, 5000);
    let mut stuck = router.raw();
    let mut other = router.raw();
    let t = Instant::now();
    stuck.send(&["GET", &hang]);
    assert_eq!(other.cmd(&["GET", &kb]), bulk("b"));
    assert!(t.elapsed() < Duration::from_millis(2500), "B waited for A");
    let e = stuck.read();
    let Frame::Error(text) = &e else {
        panic!("{e:?}")
    };
    assert!(
        String::from_utf8_lossy(text).contains("did not answer within 3000 ms"),
        "{e:?}"
    );
    assert!(t.elapsed() < Duration::from_secs(10));
}

/// A pipeline spread over two nodes is answered in request order, with a MOVED and a
/// TRYAGAIN among its commands (each retried alone), local replies and a split MGET in
/// between: the router groups each read's commands per node (one upstream write per node),
/// which must not change what the client sees.
#[test]
fn a_pipeline_across_nodes_keeps_its_order_through_moved_and_tryagain() {
    let (la, lb) = (listener(), listener());
    let (pa, pb) = (
        la.local_addr().unwrap().port(),
        lb.local_addr().unwrap().port(),
    );
    let ranges = vec![(0, 8191, pa), (8192, 16383, pb)];
    let (r1, r2) = (ranges.clone(), ranges);
    let slot = |k: &str| shoal_common::key_hash_slot(k.as_bytes()).get();
    let keys: Vec<String> = (0..40).map(|i| format!("key{i}")).collect();
    let on_a: Vec<&String> = keys.iter().filter(|k| slot(k) < 8192).collect();
    let on_b: Vec<&String> = keys.iter().filter(|k| slot(k) >= 8192).collect();
    assert!(on_a.len() >= 3 && on_b.len() >= 3, "keys on both nodes");
    // A sends one of its keys to B with MOVED; B answers TRYAGAIN once for one of its keys.
    let (moved, again) = (on_a[1].clone(), on_b[1].clone());
    let tried = Arc::new(AtomicUsize::new(0));
    let (m1, a1, t1) = (moved.clone(), again, Arc::clone(&tried));
    let answer = |node: &'static str, args: &[String]| match args[0].as_str() {
        "MGET" => Frame::Array(
            args[1..]
                .iter()
                .map(|k| bulk(&format!("{node}:{k}")))
                .collect(),
        ),
        _ => bulk(&format!("{node}:{}", args[1])),
    };
    let a = MockNode::start(
        la,
        Arc::new(move |_, args| {
            if let Some(r) = topology(args, &r1) {
                return r;
            }
            if args[0] == "GET" && args[1] == m1 {
                return Reply::Frame(Frame::error(format!("MOVED {} 127.0.0.1:{pb}", slot(&m1))));
            }
            Reply::Frame(answer("a", args))
        }),
    );
    let b = MockNode::start(
        lb,
        Arc::new(move |_, args| {
            if let Some(r) = topology(args, &r2) {
                return r;
            }
            if args[0] == "GET" && args[1] == a1 && t1.fetch_add(1, Ordering::SeqCst) == 0 {
                return Reply::Frame(Frame::error("TRYAGAIN Multiple keys request"));
            }
            Reply::Frame(answer("b", args))
        }),
    );
    let router = start_router(&format!("127.0.0.1:{pa}"), &[]);
    let mut c = router.raw();
    assert_eq!(c.cmd(&["PING"]), Frame::simple("PONG"));
    // One write: GETs alternating between the nodes, a PING and a split MGET in the middle.
    let mut wire = bytes::BytesMut::new();
    let mut expected = Vec::new();
    for (i, k) in keys.iter().enumerate() {
        shoal_common::resp::encode::encode_request(&["GET", k.as_str()], &mut wire);
        let node = if slot(k) < 8192 && *k != moved {
            "a"
        } else {
            "b"
        };
        expected.push(bulk(&format!("{node}:{k}")));
        if i == keys.len() / 2 {
            shoal_common::resp::encode::encode_request(&["PING"], &mut wire);
            expected.push(Frame::simple("PONG"));
            let (ka, kb) = (on_a[0].as_str(), on_b[0].as_str());
            shoal_common::resp::encode::encode_request(&["MGET", kb, ka], &mut wire);
            expected.push(Frame::Array(vec![
                bulk(&format!("b:{kb}")),
                bulk(&format!("a:{ka}")),
            ]));
        }
    }
    c.send_raw(&wire);
    for (i, want) in expected.iter().enumerate() {
        assert_eq!(&c.read(), want, "reply {i}");
    }
    assert!(tried.load(Ordering::SeqCst) >= 2, "TRYAGAIN was retried");
    assert!(a.count("GET") >= on_a.len());
    assert!(b.count("GET") > on_b.len());
}

/// Commands split by slot ride the pipeline's per-node groups: an MGET and a DEL over both
/// nodes in one write with GETs around them come back in order and merged; a part that
/// gets MOVED is retried alone on the new owner, every other part is sent exactly once;
/// an all-or-nothing write (MSETNX) is still refused, in its place in the pipeline.
#[test]
fn split_commands_in_a_pipeline_merge_their_parts_and_retry_only_the_moved_one() {
    let (la, lb) = (listener(), listener());
    let (pa, pb) = (
        la.local_addr().unwrap().port(),
        lb.local_addr().unwrap().port(),
    );
    let ranges = vec![(0, 8191, pa), (8192, 16383, pb)];
    let (r1, r2) = (ranges.clone(), ranges);
    let slot = |k: &str| shoal_common::key_hash_slot(k.as_bytes()).get();
    // Keys in distinct slots, so each is its own part.
    let mut keys: Vec<String> = Vec::new();
    for i in 0.. {
        let k = format!("k{i}");
        if keys.iter().all(|o| slot(o) != slot(&k)) {
            keys.push(k);
        }
        if keys.len() == 40 {
            break;
        }
    }
    let on_a: Vec<String> = keys.iter().filter(|k| slot(k) < 8192).cloned().collect();
    let on_b: Vec<String> = keys.iter().filter(|k| slot(k) >= 8192).cloned().collect();
    assert!(on_a.len() >= 3 && on_b.len() >= 3, "keys on both nodes");
    let moved = on_a[2].clone();
    let m1 = moved.clone();
    let answer = |node: &str, args: &[String]| match args[0].as_str() {
        "MGET" => Frame::Array(
            args[1..]
                .iter()
                .map(|k| bulk(&format!("{node}:{k}")))
                .collect(),
        ),
        "DEL" => Frame::Integer(args.len() as i64 - 1),
        _ => bulk(&format!("{node}:{}", args[1])),
    };
    let a = MockNode::start(
        la,
        Arc::new(move |_, args| {
            if let Some(r) = topology(args, &r1) {
                return r;
            }
            if args[0] == "MGET" && args[1..].contains(&m1) {
                return Reply::Frame(Frame::error(format!("MOVED {} 127.0.0.1:{pb}", slot(&m1))));
            }
            Reply::Frame(answer("a", args))
        }),
    );
    let b = MockNode::start(
        lb,
        Arc::new(move |_, args| {
            if let Some(r) = topology(args, &r2) {
                return r;
            }
            Reply::Frame(answer("b", args))
        }),
    );
    let router = start_router(&format!("127.0.0.1:{pa}"), &[]);
    let mut c = router.raw();
    assert_eq!(c.cmd(&["PING"]), Frame::simple("PONG"));
    let enc = |args: &[&str], wire: &mut bytes::BytesMut| {
        shoal_common::resp::encode::encode_request(args, wire);
    };
    let mut wire = bytes::BytesMut::new();
    let mut expected = Vec::new();
    enc(&["GET", &on_a[0]], &mut wire);
    expected.push(bulk(&format!("a:{}", on_a[0])));
    let mget = [&on_b[0], &on_a[0], &moved, &on_b[1], &on_a[1]];
    let mut args = vec!["MGET"];
    args.extend(mget.iter().map(|k| k.as_str()));
    enc(&args, &mut wire);
    expected.push(Frame::Array(vec![
        bulk(&format!("b:{}", on_b[0])),
        bulk(&format!("a:{}", on_a[0])),
        bulk(&format!("b:{moved}")),
        bulk(&format!("b:{}", on_b[1])),
        bulk(&format!("a:{}", on_a[1])),
    ]));
    enc(&["MSETNX", &on_a[0], "1", &on_b[0], "2"], &mut wire);
    expected.push(Frame::error(
        "CROSSSLOT Keys in request don't hash to the same slot ('msetnx' cannot be split \
         across slots atomically; use a {hash tag})",
    ));
    enc(&["DEL", &on_a[0], &on_b[0], &on_b[2], &on_a[1]], &mut wire);
    expected.push(Frame::Integer(4));
    enc(&["GET", &on_b[0]], &mut wire);
    expected.push(bulk(&format!("b:{}", on_b[0])));
    c.send_raw(&wire);
    for (i, want) in expected.iter().enumerate() {
        assert_eq!(&c.read(), want, "reply {i}");
    }
    // MGET: a got its three parts once (one MOVED), b its two plus the retried one.
    assert_eq!(a.count("MGET"), 3);
    assert_eq!(b.count("MGET"), 3);
    assert_eq!(a.count("DEL") + b.count("DEL"), 4);
    assert_eq!(a.count("MSETNX") + b.count("MSETNX"), 0);
}
