//! The encoder: one function, RESP3 values downgraded for RESP2 clients as Redis does.

use bytes::{BufMut, BytesMut};

use super::{Frame, Protocol};
use crate::number::format_double;

fn put_int_line(out: &mut BytesMut, prefix: u8, n: i64) {
    out.put_u8(prefix);
    out.put_slice(itoa::Buffer::new().format(n).as_bytes());
    out.put_slice(b"\r\n");
}

/// Longest length line: a prefix byte, 20 digits, `\r\n`.
const LEN_LINE_MAX: usize = 23;

/// Writes a length line `<prefix><n>\r\n`, built on the stack and appended at once (one
/// capacity check instead of three; most lengths are one digit).
pub fn put_len_line(out: &mut BytesMut, prefix: u8, n: usize) {
    if let Ok(d) = u8::try_from(n)
        && d < 10
    {
        out.put_slice(&[prefix, b'0' + d, b'\r', b'\n']);
        return;
    }
    let mut digits = itoa::Buffer::new();
    let digits = digits.format(n).as_bytes();
    let mut line = [0u8; 24];
    line[0] = prefix;
    line[1..=digits.len()].copy_from_slice(digits);
    line[digits.len() + 1..digits.len() + 3].copy_from_slice(b"\r\n");
    out.put_slice(&line[..digits.len() + 3]);
}

/// Writes a bulk string `$len\r\n<bytes>\r\n`.
pub fn put_bulk(out: &mut BytesMut, b: &[u8]) {
    put_len_line(out, b'$', b.len());
    out.put_slice(b);
    out.put_slice(b"\r\n");
}

/// Appends `frame` to `out` in `proto`.
pub fn encode(frame: &Frame, proto: Protocol, out: &mut BytesMut) {
    let resp3 = proto == Protocol::Resp3;
    match frame {
        Frame::Simple(s) => {
            out.put_u8(b'+');
            out.put_slice(s);
            out.put_slice(b"\r\n");
        }
        Frame::Error(s) => {
            out.put_u8(b'-');
            out.put_slice(s);
            out.put_slice(b"\r\n");
        }
        Frame::Integer(n) => put_int_line(out, b':', *n),
        Frame::Bulk(b) => put_bulk(out, b),
        Frame::Null if resp3 => out.put_slice(b"_\r\n"),
        Frame::NullArray if resp3 => out.put_slice(b"_\r\n"),
        Frame::Null => out.put_slice(b"$-1\r\n"),
        Frame::NullArray => out.put_slice(b"*-1\r\n"),
        Frame::Array(items) => encode_items(b'*', items, proto, out),
        Frame::Set(items) => encode_items(if resp3 { b'~' } else { b'*' }, items, proto, out),
        Frame::Push(items) => encode_items(if resp3 { b'>' } else { b'*' }, items, proto, out),
        Frame::Map(pairs) => {
            if resp3 {
                put_len_line(out, b'%', pairs.len());
            } else {
                put_len_line(out, b'*', pairs.len() * 2);
            }
            for (k, v) in pairs {
                encode(k, proto, out);
                encode(v, proto, out);
            }
        }
        Frame::Double(d) => {
            let text = format_double(*d);
            if resp3 {
                out.put_u8(b',');
                out.put_slice(text.as_bytes());
                out.put_slice(b"\r\n");
            } else {
                put_bulk(out, text.as_bytes());
            }
        }
        Frame::Boolean(b) => {
            if resp3 {
                out.put_slice(if *b { b"#t\r\n" } else { b"#f\r\n" });
            } else {
                out.put_slice(if *b { b":1\r\n" } else { b":0\r\n" });
            }
        }
        Frame::BigNumber(n) => {
            if resp3 {
                out.put_u8(b'(');
                out.put_slice(n);
                out.put_slice(b"\r\n");
            } else {
                put_bulk(out, n);
            }
        }
        Frame::Raw(b) => out.put_slice(b),
        Frame::Verbatim(format, text) => {
            if resp3 {
                put_len_line(out, b'=', text.len() + 4);
                out.put_slice(format);
                out.put_u8(b':');
                out.put_slice(text);
                out.put_slice(b"\r\n");
            } else {
                put_bulk(out, text);
            }
        }
    }
}

fn encode_items(prefix: u8, items: &[Frame], proto: Protocol, out: &mut BytesMut) {
    put_len_line(out, prefix, items.len());
    for item in items {
        encode(item, proto, out);
    }
}

/// Encodes a request (an array of bulk strings), as a client sends it.
pub fn encode_request<B: AsRef<[u8]>>(args: &[B], out: &mut BytesMut) {
    // Room for the whole command first, so the pieces below never reallocate.
    out.reserve(
        args.iter()
            .map(|a| a.as_ref().len() + LEN_LINE_MAX + 2)
            .sum::<usize>()
            + LEN_LINE_MAX,
    );
    put_len_line(out, b'*', args.len());
    for a in args {
        put_bulk(out, a.as_ref());
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::resp::decode::decode_reply;
    use bytes::Bytes;
    use proptest::prelude::*;

    #[test]
    fn len_lines_at_digit_boundaries() {
        for n in [0, 9, 10, 99, 255, 256, 1 << 20, usize::MAX] {
            let mut out = BytesMut::new();
            put_len_line(&mut out, b'$', n);
            assert_eq!(out, format!("${n}\r\n").as_bytes(), "{n}");
        }
    }

    fn enc(f: &Frame, p: Protocol) -> Vec<u8> {
        let mut out = BytesMut::new();
        encode(f, p, &mut out);
        out.to_vec()
    }

    #[test]
    fn raw_arrays_encode_as_arrays_of_bulks() {
        let items: Vec<Vec<u8>> = [0usize, 1, 9, 10, 99, 100, 200, 70_000]
            .iter()
            .map(|n| vec![b'x'; *n])
            .collect();
        for k in [0, 1, items.len()] {
            let mut raw = crate::resp::RawArray::new(k, 0);
            for it in &items[..k] {
                raw.push(it);
            }
            let raw = raw.finish();
            let plain = Frame::bulks(items[..k].iter().map(|v| Bytes::from(v.clone())));
            for p in [Protocol::Resp2, Protocol::Resp3] {
                assert_eq!(enc(&raw, p), enc(&plain, p));
            }
            assert_eq!(raw.unraw(), plain);
        }
    }

    #[test]
    fn resp2_downgrades() {
        let m = Frame::Map(vec![(Frame::bulk("a"), Frame::Integer(1))]);
        assert_eq!(enc(&m, Protocol::Resp2), b"*2\r\n$1\r\na\r\n:1\r\n");
        assert_eq!(enc(&m, Protocol::Resp3), b"%1\r\n$1\r\na\r\n:1\r\n");
        assert_eq!(enc(&Frame::Double(1.5), Protocol::Resp2), b"$3\r\n1.5\r\n");
        assert_eq!(enc(&Frame::Double(1.5), Protocol::Resp3), b",1.5\r\n");
        assert_eq!(enc(&Frame::Null, Protocol::Resp2), b"$-1\r\n");
        assert_eq!(enc(&Frame::NullArray, Protocol::Resp2), b"*-1\r\n");
        assert_eq!(enc(&Frame::Null, Protocol::Resp3), b"_\r\n");
        assert_eq!(enc(&Frame::Boolean(true), Protocol::Resp2), b":1\r\n");
        let v = Frame::Verbatim(*b"txt", Bytes::from("hi"));
        assert_eq!(enc(&v, Protocol::Resp3), b"=6\r\ntxt:hi\r\n");
    }

    fn arb_frame() -> impl Strategy<Value = Frame> {
        let leaf = prop_oneof![
            "[a-zA-Z0-9 ]{0,8}".prop_map(|s| Frame::Simple(Bytes::from(s))),
            "[a-zA-Z0-9 ]{0,8}".prop_map(|s| Frame::Error(Bytes::from(s))),
            any::<i64>().prop_map(Frame::Integer),
            proptest::collection::vec(any::<u8>(), 0..40).prop_map(|v| Frame::Bulk(Bytes::from(v))),
            Just(Frame::Null),
            any::<bool>().prop_map(Frame::Boolean),
            (-1e300f64..1e300).prop_map(Frame::Double),
        ];
        leaf.prop_recursive(4, 64, 8, |inner| {
            prop_oneof![
                proptest::collection::vec(inner.clone(), 0..8).prop_map(Frame::Array),
                proptest::collection::vec(inner.clone(), 0..8).prop_map(Frame::Set),
                proptest::collection::vec(inner.clone(), 0..8).prop_map(Frame::Push),
                proptest::collection::vec((inner.clone(), inner), 0..4).prop_map(Frame::Map),
            ]
        })
    }

    proptest! {
        // decode(encode(f)) == f in RESP3, whatever chunks the bytes arrive in.
        #[test]
        fn round_trip_under_arbitrary_splits(f in arb_frame(), cuts in proptest::collection::vec(any::<usize>(), 0..6)) {
            let wire = enc(&f, Protocol::Resp3);
            let mut cuts: Vec<usize> = cuts.into_iter().map(|c| c % (wire.len() + 1)).collect();
            cuts.sort_unstable();
            cuts.push(wire.len());
            let mut buf = BytesMut::new();
            let mut prev = 0;
            let mut got = None;
            for c in cuts {
                buf.extend_from_slice(&wire[prev..c]);
                prev = c;
                if let Some(frame) = decode_reply(&mut buf).unwrap() {
                    got = Some(frame);
                    break;
                }
            }
            let got = got.expect("complete frame decodes");
            prop_assert_eq!(crate::resp::decode::reply_len(&wire), Ok(Some(wire.len())));
            // Doubles travel as %.17g text, which round-trips exactly.
            prop_assert_eq!(got, f);
            prop_assert!(buf.is_empty());
        }

        // The request decoder never panics and never consumes bytes past what it returns.
        #[test]
        fn request_decoder_total_on_garbage(bytes in proptest::collection::vec(any::<u8>(), 0..300)) {
            let mut d = crate::resp::decode::RequestDecoder::default();
            let mut buf = BytesMut::from(&bytes[..]);
            let mut guard = 0;
            while let Ok(Some(_)) = d.decode(&mut buf) {
                guard += 1;
                prop_assert!(guard < 1000);
            }
        }

        #[test]
        fn reply_decoder_total_on_garbage(bytes in proptest::collection::vec(any::<u8>(), 0..300)) {
            let mut buf = BytesMut::from(&bytes[..]);
            let _ = decode_reply(&mut buf);
        }

        // Requests encoded as a client does decode back to the same arguments.
        #[test]
        fn request_round_trip(args in proptest::collection::vec(proptest::collection::vec(any::<u8>(), 0..20), 1..6),
                              split in any::<usize>()) {
            let mut wire = BytesMut::new();
            encode_request(&args, &mut wire);
            let split = split % (wire.len() + 1);
            let mut d = crate::resp::decode::RequestDecoder::default();
            let mut buf = BytesMut::from(&wire[..split]);
            let first = d.decode(&mut buf).unwrap();
            let got = match first {
                Some(cmd) => cmd,
                None => {
                    buf.extend_from_slice(&wire[split..]);
                    d.decode(&mut buf).unwrap().expect("complete")
                }
            };
            let want: Vec<Bytes> = args.into_iter().map(Bytes::from).collect();
            prop_assert_eq!(got, want);
        }
    }
}
