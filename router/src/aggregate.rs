//! Merging the replies of a fan-out or a split (the `response_policy:*` tips, redis-rs
//! `ResponsePolicy`): sums, all-succeeded, min/max, logical and/or, and the default merges
//! (per-key results back in the client's key order; arrays concatenated).
//!
//! Error rule, as in Redis's clients: for every policy but `one_succeeded`, the first error
//! reply (in node order) is the answer.

use shoal_common::Frame;

use crate::route::ResponsePolicy;

static TURN: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);

fn is_array(f: &Frame) -> bool {
    matches!(f, Frame::Array(_) | Frame::Set(_))
}

fn first_error(replies: &[Frame]) -> Option<Frame> {
    replies.iter().find(|f| f.is_error()).cloned()
}

fn bad(what: &str) -> Frame {
    Frame::error(format!(
        "ERR router: unexpected reply shape while merging ({what})"
    ))
}

/// Merges fan-out replies (one per node).
pub fn merge_fanout(policy: ResponsePolicy, replies: Vec<Frame>) -> Frame {
    if policy == ResponsePolicy::OneSucceeded {
        return replies
            .iter()
            .find(|f| !f.is_error())
            .or(replies.first())
            .cloned()
            .unwrap_or_else(Frame::ok);
    }
    if let Some(e) = first_error(&replies) {
        return e;
    }
    match policy {
        ResponsePolicy::AggSum | ResponsePolicy::AggMin | ResponsePolicy::AggMax => {
            let mut ints = Vec::with_capacity(replies.len());
            for r in &replies {
                match r {
                    Frame::Integer(n) => ints.push(*n),
                    _ => return bad("integer expected"),
                }
            }
            Frame::Integer(match policy {
                ResponsePolicy::AggSum => ints.iter().fold(0i64, |a, &b| a.saturating_add(b)),
                ResponsePolicy::AggMin => ints.iter().copied().min().unwrap_or(0),
                _ => ints.iter().copied().max().unwrap_or(0),
            })
        }
        ResponsePolicy::AggLogicalAnd | ResponsePolicy::AggLogicalOr
            if replies.first().is_some_and(is_array) =>
        {
            // Element by element (SCRIPT EXISTS: one 0/1 per SHA-1).
            let and = policy == ResponsePolicy::AggLogicalAnd;
            let mut acc: Vec<bool> = Vec::new();
            for (i, r) in replies.iter().enumerate() {
                let Frame::Array(items) = r else {
                    return bad("array expected");
                };
                if i == 0 {
                    acc = vec![and; items.len()];
                } else if items.len() != acc.len() {
                    return bad("arrays of one length expected");
                }
                for (a, item) in acc.iter_mut().zip(items) {
                    let v = match item {
                        Frame::Integer(n) => *n != 0,
                        Frame::Boolean(b) => *b,
                        _ => return bad("integer expected"),
                    };
                    *a = if and { *a && v } else { *a || v };
                }
            }
            Frame::Array(
                acc.into_iter()
                    .map(|v| Frame::Integer(i64::from(v)))
                    .collect(),
            )
        }
        ResponsePolicy::AggLogicalAnd | ResponsePolicy::AggLogicalOr => {
            let and = policy == ResponsePolicy::AggLogicalAnd;
            let mut acc = and;
            for r in &replies {
                let v = match r {
                    Frame::Integer(n) => *n != 0,
                    Frame::Boolean(b) => *b,
                    _ => return bad("integer expected"),
                };
                acc = if and { acc && v } else { acc || v };
            }
            Frame::Integer(i64::from(acc))
        }
        ResponsePolicy::Default if !replies.iter().any(is_array) => {
            // A keyless all-shards command answering scalars (RANDOMKEY): any non-null one,
            // taken in turn so repeated calls visit every node.
            let turn = TURN.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            let n = replies.len().max(1);
            (0..replies.len())
                .map(|i| &replies[(turn + i) % n])
                .find(|f| !matches!(f, Frame::Null))
                .cloned()
                .unwrap_or(Frame::Null)
        }
        ResponsePolicy::Default => {
            let mut out = Vec::new();
            for r in replies {
                match r {
                    Frame::Array(items) | Frame::Set(items) => out.extend(items),
                    _ => return bad("array expected"),
                }
            }
            Frame::Array(out)
        }
        _ => replies.into_iter().next().unwrap_or_else(Frame::ok),
    }
}

/// Merges the replies of a split: `parts[i]` answered `replies[i]` for the client's keys at
/// `positions[i]`; `total` keys in all.
pub fn merge_split(
    policy: ResponsePolicy,
    positions: &[Vec<usize>],
    replies: Vec<Frame>,
    total: usize,
) -> Frame {
    if policy != ResponsePolicy::Default {
        return merge_fanout(policy, replies);
    }
    if let Some(e) = first_error(&replies) {
        return e;
    }
    let mut out = vec![Frame::Null; total];
    for (pos, reply) in positions.iter().zip(replies) {
        let Frame::Array(items) = reply else {
            return bad("array expected");
        };
        if items.len() != pos.len() {
            return bad("wrong element count");
        }
        for (&p, item) in pos.iter().zip(items) {
            if let Some(slot) = out.get_mut(p) {
                *slot = item;
            }
        }
    }
    Frame::Array(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn policies() {
        let ints = vec![Frame::Integer(2), Frame::Integer(5)];
        assert_eq!(
            merge_fanout(ResponsePolicy::AggSum, ints.clone()),
            Frame::Integer(7)
        );
        assert_eq!(
            merge_fanout(ResponsePolicy::AggMin, ints.clone()),
            Frame::Integer(2)
        );
        assert_eq!(
            merge_fanout(ResponsePolicy::AggMax, ints),
            Frame::Integer(5)
        );
        assert_eq!(
            merge_fanout(
                ResponsePolicy::AllSucceeded,
                vec![Frame::ok(), Frame::error("ERR x")]
            ),
            Frame::error("ERR x")
        );
        assert_eq!(
            merge_fanout(
                ResponsePolicy::Default,
                vec![Frame::bulks(["a"]), Frame::bulks(["b", "c"])]
            ),
            Frame::bulks(["a", "b", "c"])
        );
        assert_eq!(
            merge_fanout(
                ResponsePolicy::AggLogicalAnd,
                vec![Frame::Integer(1), Frame::Integer(0)]
            ),
            Frame::Integer(0)
        );
    }

    #[test]
    fn split_merge_restores_key_order() {
        let positions = vec![vec![0, 2], vec![1]];
        let replies = vec![
            Frame::Array(vec![Frame::bulk("a"), Frame::Null]),
            Frame::Array(vec![Frame::bulk("b")]),
        ];
        assert_eq!(
            merge_split(ResponsePolicy::Default, &positions, replies, 3),
            Frame::Array(vec![Frame::bulk("a"), Frame::bulk("b"), Frame::Null])
        );
        assert_eq!(
            merge_split(
                ResponsePolicy::Default,
                &positions,
                vec![Frame::Integer(1), Frame::Array(vec![])],
                3
            ),
            bad("array expected")
        );
    }
}
