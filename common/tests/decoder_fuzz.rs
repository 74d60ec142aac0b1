//! Fuzz-style property tests of the RESP decoders that run on stable in CI (the cargo-fuzz
//! targets in `fuzz/` check the same properties with libFuzzer on nightly).
//!
//! Inputs are random byte soups biased toward RESP: type bytes, CRLFs, digits, quotes and
//! length headers mixed with raw bytes, so the decoders' error paths and partial-frame paths
//! are reached far more often than with uniform bytes.

use bytes::{Bytes, BytesMut};
use proptest::prelude::*;
use shoal_common::Frame;
use shoal_common::resp::decode::{RequestDecoder, decode_reply, reply_len};
use shoal_common::resp::encode::encode;
use shoal_common::resp::{Protocol, ProtocolError};

/// One token of RESP-flavoured garbage.
fn token() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        Just(b"\r\n".to_vec()),
        Just(b"\n".to_vec()),
        Just(b"\r".to_vec()),
        prop::sample::select(b"*$+-:_#,(=!%~>|\"' \\\x00".to_vec()).prop_map(|b| vec![b]),
        (-3i64..40).prop_map(|n| n.to_string().into_bytes()),
        any::<i64>().prop_map(|n| n.to_string().into_bytes()),
        "[A-Za-z]{1,6}".prop_map(String::into_bytes),
        proptest::collection::vec(any::<u8>(), 0..6),
        (0usize..5, "[a-z]{0,4}")
            .prop_map(|(n, s)| format!("*{n}\r\n${}\r\n{s}\r\n", s.len()).into_bytes()),
    ]
}

fn soup() -> impl Strategy<Value = Vec<u8>> {
    proptest::collection::vec(token(), 0..40).prop_map(|t| t.concat())
}

/// Decodes `chunks` in order: the commands, then the protocol error if any.
fn run_requests(
    chunks: &[&[u8]],
    unauthenticated: bool,
) -> (Vec<Vec<Bytes>>, Option<ProtocolError>) {
    let mut d = RequestDecoder::new(1 << 20);
    d.unauthenticated = unauthenticated;
    let mut buf = BytesMut::new();
    let mut cmds = Vec::new();
    for chunk in chunks {
        buf.extend_from_slice(chunk);
        loop {
            let before = buf.len();
            match d.decode(&mut buf) {
                Ok(Some(cmd)) => {
                    assert!(!cmd.is_empty(), "empty commands are skipped");
                    cmds.push(cmd);
                }
                Ok(None) => {
                    assert!(buf.len() <= before);
                    break;
                }
                Err(e) => return (cmds, Some(e)),
            }
        }
    }
    (cmds, None)
}

fn exempt(f: &Frame) -> bool {
    match f {
        Frame::Error(e) => e.windows(2).any(|w| w == b"\r\n"),
        Frame::Array(v) | Frame::Set(v) | Frame::Push(v) => v.iter().any(exempt),
        Frame::Map(v) => v.iter().any(|(k, x)| exempt(k) || exempt(x)),
        _ => false,
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 500, ..ProptestConfig::default() })]

    /// Chunking never changes what the request decoder produces, and it never panics.
    #[test]
    fn request_decoder_is_chunking_invariant(input in soup(), cuts in proptest::collection::vec(any::<usize>(), 0..4), unauth in any::<bool>()) {
        let mut cuts: Vec<usize> = cuts.into_iter().map(|c| c % (input.len() + 1)).collect();
        cuts.sort_unstable();
        cuts.push(input.len());
        let mut chunks = Vec::new();
        let mut prev = 0;
        for c in cuts {
            chunks.push(&input[prev..c]);
            prev = c;
        }
        let whole = run_requests(&[&input], unauth);
        let chunked = run_requests(&chunks, unauth);
        prop_assert_eq!(whole, chunked);
    }

    /// `reply_len` (the router's frame boundaries, built without frames) agrees with the
    /// reply decoder on every input: the same length, the same "need more", the same error.
    #[test]
    fn reply_len_agrees_with_the_reply_decoder(input in soup()) {
        let mut buf = BytesMut::from(&input[..]);
        match (reply_len(&input), decode_reply(&mut buf)) {
            (Ok(None), Ok(None)) => {}
            (Ok(Some(n)), Ok(Some(_))) => prop_assert_eq!(n, input.len() - buf.len()),
            (Err(a), Err(b)) => prop_assert_eq!(a, b),
            (len, dec) => prop_assert!(false, "reply_len {:?}, decode_reply {:?}", len, dec),
        }
    }

    /// The reply decoder never panics, consumes nothing when it needs more, consumes a prefix
    /// when it returns a frame, and that frame's encoding decodes to a frame with the same
    /// encoding (RESP3 cannot tell the null bulk from the null array).
    #[test]
    fn reply_decoder_is_total_and_exact(input in soup()) {
        let mut buf = BytesMut::from(&input[..]);
        match decode_reply(&mut buf) {
            Ok(None) => prop_assert_eq!(buf.len(), input.len()),
            Ok(Some(frame)) => {
                prop_assert!(buf.len() < input.len());
                if !exempt(&frame) {
                    let mut wire = BytesMut::new();
                    encode(&frame, Protocol::Resp3, &mut wire);
                    let first = wire.clone();
                    let again = decode_reply(&mut wire)
                        .expect("our encoding decodes")
                        .expect("complete");
                    prop_assert!(wire.is_empty());
                    let mut second = BytesMut::new();
                    encode(&again, Protocol::Resp3, &mut second);
                    prop_assert_eq!(first, second);
                }
            }
            Err(_) => {}
        }
    }
}
