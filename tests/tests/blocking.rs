//! Blocking list operations with several real connections: FIFO fairness, timeouts, wake-ups
//! by another connection's push, pipelined commands behind a blocked command.

use std::time::Duration;

use shoal_tests::{Frame, Proc, bulk, wait_blocked};

fn pair(k: &str, v: &str) -> Frame {
    Frame::Array(vec![bulk(k), bulk(v)])
}

#[test]
fn fifo_fairness_and_wake_up_by_another_connection() {
    let node = Proc::node(&[]);
    let mut ctl = node.raw();
    let mut a = node.raw();
    let mut b = node.raw();
    let mut c = node.raw();
    a.send(&["BLPOP", "q", "0"]);
    wait_blocked(&mut ctl, 1);
    b.send(&["BRPOP", "q", "0"]);
    wait_blocked(&mut ctl, 2);
    c.send(&["BLMPOP", "0", "2", "nokey", "q", "LEFT", "COUNT", "5"]);
    wait_blocked(&mut ctl, 3);
    assert_eq!(
        ctl.cmd(&["RPUSH", "q", "1", "2", "3", "4"]),
        Frame::Integer(4)
    );
    assert_eq!(a.read(), pair("q", "1"));
    assert_eq!(b.read(), pair("q", "4"));
    assert_eq!(
        c.read(),
        Frame::Array(vec![bulk("q"), Frame::Array(vec![bulk("2"), bulk("3")])])
    );
    assert_eq!(ctl.cmd(&["EXISTS", "q"]), Frame::Integer(0));
}

#[test]
fn timeout_and_pipelined_commands_after_a_blocked_command() {
    let node = Proc::node(&[]);
    let mut ctl = node.raw();
    let mut a = node.raw();
    a.send(&["BLPOP", "q", "0.05"]);
    a.send(&["SET", "after", "1"]);
    assert_eq!(a.read(), Frame::NullArray);
    assert_eq!(a.read(), Frame::ok());
    a.send(&["BRPOPLPUSH", "q", "dst", "0"]);
    a.send(&["LLEN", "dst"]);
    wait_blocked(&mut ctl, 1);
    assert_eq!(ctl.cmd(&["GET", "after"]), bulk("1"));
    assert_eq!(ctl.cmd(&["LPUSH", "q", "v"]), Frame::Integer(1));
    assert_eq!(a.read(), bulk("v"));
    assert_eq!(
        a.read(),
        Frame::Integer(1),
        "LLEN ran after BRPOPLPUSH was served"
    );
}

#[test]
fn client_unblock_and_disconnect() {
    let node = Proc::node(&[]);
    let mut ctl = node.raw();
    let mut a = node.raw();
    let Frame::Integer(id) = a.cmd(&["CLIENT", "ID"]) else {
        panic!("CLIENT ID is an integer")
    };
    let id = id.to_string();
    a.send(&["BLMOVE", "q", "d", "LEFT", "LEFT", "0"]);
    wait_blocked(&mut ctl, 1);
    assert_eq!(
        ctl.cmd(&["CLIENT", "UNBLOCK", &id, "ERROR"]),
        Frame::Integer(1)
    );
    assert_eq!(
        a.read(),
        Frame::error("UNBLOCKED client unblocked via CLIENT UNBLOCK")
    );
    a.send(&["BLPOP", "q", "0"]);
    wait_blocked(&mut ctl, 1);
    assert_eq!(ctl.cmd(&["CLIENT", "UNBLOCK", &id]), Frame::Integer(1));
    assert_eq!(a.read(), Frame::NullArray);
    assert_eq!(ctl.cmd(&["CLIENT", "UNBLOCK", &id]), Frame::Integer(0));
    a.send(&["BLPOP", "q", "0"]);
    wait_blocked(&mut ctl, 1);
    drop(a);
    wait_blocked(&mut ctl, 0);
    assert_eq!(ctl.cmd(&["RPUSH", "q", "x"]), Frame::Integer(1));
    assert_eq!(ctl.cmd(&["LLEN", "q"]), Frame::Integer(1));
}

#[test]
fn wake_up_by_rename_and_by_exec_with_the_transaction_applied_first() {
    let node = Proc::node(&[]);
    let mut ctl = node.raw();
    let mut a = node.raw();
    let mut b = node.raw();
    a.send(&["BLPOP", "q", "0"]);
    wait_blocked(&mut ctl, 1);
    assert_eq!(ctl.cmd(&["RPUSH", "tmp", "r"]), Frame::Integer(1));
    assert_eq!(ctl.cmd(&["RENAME", "tmp", "q"]), Frame::ok());
    assert_eq!(a.read(), pair("q", "r"));

    // Inside MULTI the push and a later pop both run before the waiter is served: the
    // waiter gets what is left after EXEC, never an element the transaction took back.
    a.send(&["BLPOP", "q", "0"]);
    b.send(&["BRPOP", "q", "0"]);
    wait_blocked(&mut ctl, 2);
    assert_eq!(ctl.cmd(&["MULTI"]), Frame::simple("OK"));
    assert_eq!(
        ctl.cmd(&["RPUSH", "q", "1", "2", "3"]),
        Frame::simple("QUEUED")
    );
    assert_eq!(ctl.cmd(&["LPOP", "q"]), Frame::simple("QUEUED"));
    assert_eq!(
        ctl.cmd(&["EXEC"]),
        Frame::Array(vec![Frame::Integer(3), bulk("1")])
    );
    assert_eq!(a.read(), pair("q", "2"));
    assert_eq!(b.read(), pair("q", "3"));
    // A blocking command inside MULTI does not block: it answers as on timeout.
    assert_eq!(ctl.cmd(&["MULTI"]), Frame::simple("OK"));
    assert_eq!(ctl.cmd(&["BLPOP", "q", "0"]), Frame::simple("QUEUED"));
    assert_eq!(ctl.cmd(&["EXEC"]), Frame::Array(vec![Frame::NullArray]));
}

#[test]
fn replicaof_unblocks_and_closes_blocked_clients_on_real_redis_and_ours() {
    // Redis's `replicationSetMaster` runs `disconnectAllBlockedClients`: a master's blocked
    // pop can never be served once it is a replica.
    for kind in ["redis", "ours"] {
        let start = |extra: &[&str]| match kind {
            "redis" => Proc::redis(extra),
            _ => Proc::node(extra),
        };
        let master = start(&[]);
        let node = start(&[]);
        let mut ctl = node.raw();
        let mut waiter = node.raw();
        waiter.send(&["BLPOP", "q", "0"]);
        waiter.send(&["PING"]);
        wait_blocked(&mut ctl, 1);
        let port = master.port.to_string();
        assert_eq!(ctl.cmd(&["REPLICAOF", "127.0.0.1", &port]), Frame::ok());
        assert_eq!(
            waiter.read(),
            Frame::error(
                "UNBLOCKED force unblock from blocking operation, instance state changed \
                 (master -> replica?)"
            ),
            "{kind}"
        );
        assert!(waiter.is_closed(Duration::from_secs(5)), "{kind}: closed");
        wait_blocked(&mut ctl, 0);
    }
}
