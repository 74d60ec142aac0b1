//! Blocking sorted-set pops (BZPOPMIN, BZPOPMAX, BZMPOP) with several clients: served by a
//! ZADD on another connection, first come first served, timeouts, MULTI, errors as Redis.

use shoal_tests::{Differ, Frame, Proc, bulk, wait_blocked};

fn arr(items: &[&str]) -> Frame {
    Frame::Array(items.iter().map(|s| bulk(s)).collect())
}

#[test]
fn bzpop_errors_and_immediate_replies_match_redis() {
    let mut d = Differ::new(&[]);
    for cmd in [
        &["ZADD", "z", "1", "a", "2", "b", "3", "c"][..],
        &["SET", "str", "v"],
        &["BZPOPMIN", "z", "x"],
        &["BZPOPMIN", "z", "-1"],
        &["BZPOPMIN", "str", "0"],
        &["BZPOPMIN", "nosuch", "z", "0"],
        &["BZPOPMAX", "z", "0"],
        &["BZMPOP", "0", "2", "nosuch", "z", "MIN", "COUNT", "5"],
        &["BZMPOP", "x", "1", "z", "MIN"],
        &["BZMPOP", "0", "0", "z", "MIN"],
        &["BZMPOP", "x", "1", "z", "FOO"],
        &["BZMPOP", "0", "1", "str", "MAX"],
        &["EXISTS", "z"],
        &["MULTI"],
        &["BZPOPMIN", "nosuch", "0"],
        &["BZMPOP", "0", "1", "nosuch", "MIN"],
        &["EXEC"],
    ] {
        d.check(cmd);
    }
}

#[test]
fn a_zadd_on_another_connection_serves_the_blocked_clients_in_order() {
    let node = Proc::node(&[]);
    let mut first = node.raw();
    let mut second = node.raw();
    let mut third = node.raw();
    let mut writer = node.raw();
    // Each waits until the previous one is blocked: the order they are served in is known.
    first.send(&["BZPOPMIN", "k1", "z", "0"]);
    wait_blocked(&mut writer, 1);
    second.send(&["BZMPOP", "0", "1", "z", "MAX", "COUNT", "2"]);
    wait_blocked(&mut writer, 2);
    third.send(&["BZPOPMAX", "z", "0"]);
    wait_blocked(&mut writer, 3);
    assert_eq!(
        writer.cmd(&["ZADD", "z", "1", "a", "2", "b", "3", "c"]),
        Frame::Integer(3)
    );
    assert_eq!(first.read(), arr(&["z", "a", "1"]));
    assert_eq!(
        second.read(),
        Frame::Array(vec![
            bulk("z"),
            Frame::Array(vec![arr(&["c", "3"]), arr(&["b", "2"])]),
        ])
    );
    assert_eq!(writer.cmd(&["EXISTS", "z"]), Frame::Integer(0));
    assert_eq!(writer.cmd(&["ZADD", "z", "5", "e"]), Frame::Integer(1));
    assert_eq!(third.read(), arr(&["z", "e", "5"]));
}

#[test]
fn blocked_clients_keep_waiting_through_other_types_and_time_out() {
    let node = Proc::node(&[]);
    let mut waiter = node.raw();
    let mut writer = node.raw();
    waiter.send(&["BZPOPMIN", "z", "0"]);
    wait_blocked(&mut writer, 1);
    assert_eq!(writer.cmd(&["SET", "z", "string"]), Frame::ok());
    assert_eq!(writer.cmd(&["DEL", "z"]), Frame::Integer(1));
    assert_eq!(writer.cmd(&["MULTI"]), Frame::ok());
    writer.cmd(&["ZADD", "z", "1", "a"]);
    writer.cmd(&["ZADD", "z", "2", "b"]);
    writer.cmd(&["EXEC"]);
    // Served after the whole transaction: the minimum of both adds.
    assert_eq!(waiter.read(), arr(&["z", "a", "1"]));
    assert_eq!(writer.cmd(&["ZCARD", "z"]), Frame::Integer(1));
    assert_eq!(
        waiter.cmd(&["BZPOPMAX", "nosuch", "0.05"]),
        Frame::NullArray
    );
    assert_eq!(
        waiter.cmd(&["BZMPOP", "0.05", "1", "nosuch", "MIN"]),
        Frame::NullArray
    );
}
