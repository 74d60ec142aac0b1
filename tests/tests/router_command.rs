//! COMMAND through the router: answered by the router itself from the command table (the
//! same code as the node's), so it equals a node's reply and never reaches an upstream.

use std::sync::Arc;

use shoal_tests::cluster::start_router;
use shoal_tests::mock::{MockNode, Reply, listener, topology};
use shoal_tests::{Frame, Proc, RawClient};

/// A mock upstream owning every slot that answers anything but CLUSTER with an error, so a
/// forwarded COMMAND would show up as a difference (and in `calls`).
fn upstream() -> MockNode {
    let l = listener();
    let port = l.local_addr().expect("local addr").port();
    MockNode::start(
        l,
        Arc::new(move |_, args| {
            topology(args, &[(0, 16383, port)])
                .unwrap_or_else(|| Reply::Frame(Frame::error("ERR mock: forwarded")))
        }),
    )
}

fn names(node: &mut RawClient) -> Vec<String> {
    let Frame::Array(items) = node.cmd(&["COMMAND", "LIST"]) else {
        panic!("COMMAND LIST is an array");
    };
    let mut out: Vec<String> = items
        .iter()
        .map(|f| String::from_utf8(f.as_bytes().expect("bulk").to_vec()).expect("utf8"))
        .collect();
    out.sort();
    out
}

#[test]
fn command_is_answered_locally_and_equals_a_nodes() {
    let mock = upstream();
    let router = start_router(&format!("127.0.0.1:{}", mock.port), &[]);
    let node = Proc::node(&[]);
    for resp3 in [false, true] {
        let mut r = router.raw();
        let mut n = node.raw();
        if resp3 {
            assert!(!r.cmd(&["HELLO", "3"]).is_error());
            assert!(!n.cmd(&["HELLO", "3"]).is_error());
        }
        let all = names(&mut n);
        assert!(all.len() > 100, "the node lists its commands");
        assert_eq!(names(&mut r), all);
        // Every command, one at a time (subcommands included in each entry), then all at once.
        for name in &all {
            let args = ["COMMAND", "INFO", name.as_str()];
            assert_eq!(r.cmd(&args), n.cmd(&args), "COMMAND INFO {name}");
            let args = ["COMMAND", "DOCS", name.as_str()];
            assert_eq!(r.cmd(&args), n.cmd(&args), "COMMAND DOCS {name}");
        }
        let cases: &[&[&str]] = &[
            &["COMMAND"],
            &["COMMAND", "COUNT"],
            &["COMMAND", "INFO"],
            &["COMMAND", "INFO", "get", "nosuch", "config|get", "CLIENT"],
            &["COMMAND", "DOCS", "set", "nosuch"],
            &["COMMAND", "LIST", "FILTERBY", "ACLCAT", "hash"],
            &["COMMAND", "LIST", "FILTERBY", "PATTERN", "z*"],
            &["COMMAND", "LIST", "FILTERBY", "MODULE", "x"],
            &["COMMAND", "LIST", "FILTERBY", "bogus", "x"],
            &["COMMAND", "GETKEYS", "MSET", "a", "1", "b", "2"],
            &[
                "COMMAND", "GETKEYS", "EVAL", "return 1", "2", "k1", "k2", "a",
            ],
            &["COMMAND", "GETKEYS", "SORT", "l", "STORE", "dst"],
            &["COMMAND", "GETKEYS", "GET"],
            &["COMMAND", "GETKEYS", "PING"],
            &["COMMAND", "GETKEYS", "nosuch", "x"],
            &[
                "COMMAND",
                "GETKEYSANDFLAGS",
                "LMOVE",
                "a",
                "b",
                "LEFT",
                "RIGHT",
            ],
            &["COMMAND", "HELP"],
            &["COMMAND", "NOSUCH"],
            &["COMMAND", "COUNT", "extra"],
        ];
        for args in cases {
            assert_eq!(r.cmd(args), n.cmd(args), "{args:?}");
        }
    }
    let forwarded = mock
        .calls
        .lock()
        .expect("calls")
        .iter()
        .filter(|c| c[0] != "CLUSTER")
        .count();
    assert_eq!(forwarded, 0, "COMMAND never reaches an upstream");
}
