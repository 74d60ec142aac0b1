//! Fuzzes the reply decoder the router and the tests use: arbitrary bytes must never panic;
//! "need more bytes" consumes nothing; a decoded frame consumes a prefix, and its RESP3
//! encoding decodes to a frame with the same encoding (frames RESP3 cannot tell apart, such as
//! the null bulk and the null array, compare equal that way; blob errors holding CRLF, which
//! RESP3 encodes as simple errors, are exempt).
#![no_main]

use bytes::BytesMut;
use libfuzzer_sys::fuzz_target;
use shoal_common::Frame;
use shoal_common::resp::Protocol;
use shoal_common::resp::decode::decode_reply;
use shoal_common::resp::encode::encode;

fn exempt(f: &Frame) -> bool {
    match f {
        Frame::Error(e) => e.windows(2).any(|w| w == b"\r\n"),
        Frame::Array(v) | Frame::Set(v) | Frame::Push(v) => v.iter().any(exempt),
        Frame::Map(v) => v.iter().any(|(k, x)| exempt(k) || exempt(x)),
        _ => false,
    }
}

fuzz_target!(|data: &[u8]| {
    let mut buf = BytesMut::from(data);
    match decode_reply(&mut buf) {
        Ok(None) => assert_eq!(buf.len(), data.len()),
        Ok(Some(frame)) => {
            assert!(buf.len() < data.len());
            if !exempt(&frame) {
                let mut wire = BytesMut::new();
                encode(&frame, Protocol::Resp3, &mut wire);
                let first = wire.clone();
                let again = decode_reply(&mut wire)
                    .expect("our encoding decodes")
                    .expect("complete");
                assert!(wire.is_empty());
                let mut second = BytesMut::new();
                encode(&again, Protocol::Resp3, &mut second);
                assert_eq!(first, second);
            }
        }
        Err(_) => {}
    }
});
