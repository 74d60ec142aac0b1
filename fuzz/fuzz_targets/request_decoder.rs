//! Fuzzes the request decoder: arbitrary bytes, delivered whole and in two chunks split at a
//! point the input chooses, must never panic and must decode to the same commands and the
//! same protocol error either way (the decoder is incremental, so chunking must not matter).
#![no_main]

use bytes::{Bytes, BytesMut};
use libfuzzer_sys::fuzz_target;
use shoal_common::resp::ProtocolError;
use shoal_common::resp::decode::RequestDecoder;

/// Decodes `chunks` fed one after the other: the commands, then the error if any.
fn run(chunks: &[&[u8]], unauthenticated: bool) -> (Vec<Vec<Bytes>>, Option<ProtocolError>) {
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

fuzz_target!(|data: &[u8]| {
    let Some((&ctl, input)) = data.split_first() else {
        return;
    };
    let unauthenticated = ctl & 1 == 1;
    let split = usize::from(ctl >> 1) * input.len() / 128;
    let whole = run(&[input], unauthenticated);
    let chunked = run(&[&input[..split], &input[split..]], unauthenticated);
    assert_eq!(whole, chunked);
});
