//! A scripted upstream for router tests (the redis-rs `MockEnv` idea): a TCP server whose
//! every reply comes from a closure, so a test can answer `MOVED`, `ASK`, `TRYAGAIN`, hang,
//! or drop the connection exactly when it wants. Each accepted connection runs on its own
//! thread with its own [`ConnState`] (the `ASKING` flag lives there, as on a node).

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use bytes::BytesMut;
use shoal_common::Frame;
use shoal_common::resp::Protocol;
use shoal_common::resp::decode::RequestDecoder;
use shoal_common::resp::encode::encode;

/// What the mock does with one request.
pub enum Reply {
    /// Send this frame.
    Frame(Frame),
    /// Close the connection without answering.
    Close,
    /// Never answer (the connection stays open).
    Hang,
}

/// Per-connection state.
#[derive(Debug, Default)]
pub struct ConnState {
    /// `ASKING` was the previous command on this connection.
    pub asking: bool,
}

/// The script: request (upper-cased command name first) → reply.
pub type Script = Arc<dyn Fn(&mut ConnState, &[String]) -> Reply + Send + Sync>;

/// A running mock node.
pub struct MockNode {
    /// Its port on 127.0.0.1.
    pub port: u16,
    /// Every request received, in order (ASKING included).
    pub calls: Arc<Mutex<Vec<Vec<String>>>>,
    stop: Arc<AtomicBool>,
}

impl MockNode {
    /// Starts a mock on a free port; the port is known before the script runs, so scripts
    /// may name it (a node's own address in `CLUSTER SLOTS`).
    pub fn start(listener: TcpListener, script: Script) -> MockNode {
        let port = listener.local_addr().expect("local addr").port();
        let calls = Arc::new(Mutex::new(Vec::new()));
        let stop = Arc::new(AtomicBool::new(false));
        let (c, s) = (Arc::clone(&calls), Arc::clone(&stop));
        std::thread::spawn(move || {
            for conn in listener.incoming() {
                if s.load(Ordering::Relaxed) {
                    return;
                }
                let Ok(conn) = conn else { continue };
                let (script, calls, stop) = (Arc::clone(&script), Arc::clone(&c), Arc::clone(&s));
                std::thread::spawn(move || serve(conn, &script, &calls, &stop));
            }
        });
        MockNode { port, calls, stop }
    }

    /// How many requests named `cmd` (case-insensitive) arrived.
    pub fn count(&self, cmd: &str) -> usize {
        self.calls
            .lock()
            .expect("calls lock")
            .iter()
            .filter(|c| c.first().is_some_and(|n| n.eq_ignore_ascii_case(cmd)))
            .count()
    }
}

impl Drop for MockNode {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        let _ = TcpStream::connect(("127.0.0.1", self.port));
    }
}

/// Binds a listener on a free loopback port (bind first, script later).
pub fn listener() -> TcpListener {
    TcpListener::bind("127.0.0.1:0").expect("bind")
}

fn serve(mut conn: TcpStream, script: &Script, calls: &Mutex<Vec<Vec<String>>>, stop: &AtomicBool) {
    let _ = conn.set_read_timeout(Some(Duration::from_millis(200)));
    let mut state = ConnState::default();
    let mut decoder = RequestDecoder::default();
    let mut buf = BytesMut::new();
    let mut hung = false;
    while !stop.load(Ordering::Relaxed) {
        while let Ok(Some(argv)) = decoder.decode(&mut buf) {
            let mut args: Vec<String> = argv
                .iter()
                .map(|a| String::from_utf8_lossy(a).into_owned())
                .collect();
            if let Some(first) = args.first_mut() {
                *first = first.to_ascii_uppercase();
            }
            calls.lock().expect("calls lock").push(args.clone());
            if hung {
                continue;
            }
            let reply = if args[0] == "ASKING" {
                state.asking = true;
                Reply::Frame(Frame::ok())
            } else {
                let r = script(&mut state, &args);
                state.asking = false;
                r
            };
            match reply {
                Reply::Frame(f) => {
                    let mut out = BytesMut::new();
                    encode(&f, Protocol::Resp2, &mut out);
                    if conn.write_all(&out).is_err() {
                        return;
                    }
                }
                Reply::Close => return,
                Reply::Hang => hung = true,
            }
        }
        let mut chunk = [0u8; 4096];
        match conn.read(&mut chunk) {
            Ok(0) => return,
            Ok(n) => buf.extend_from_slice(&chunk[..n]),
            Err(e)
                if matches!(
                    e.kind(),
                    std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
                ) => {}
            Err(_) => return,
        }
    }
}

/// A `CLUSTER SLOTS` reply: each `(start, end, port)` range owned by 127.0.0.1:port.
pub fn slots_reply(ranges: &[(u16, u16, u16)]) -> Frame {
    Frame::Array(
        ranges
            .iter()
            .map(|&(s, e, port)| {
                Frame::Array(vec![
                    Frame::Integer(i64::from(s)),
                    Frame::Integer(i64::from(e)),
                    Frame::Array(vec![
                        Frame::bulk("127.0.0.1"),
                        Frame::Integer(i64::from(port)),
                        Frame::bulk(format!("{port:040}")),
                    ]),
                ])
            })
            .collect(),
    )
}

/// Answers the topology queries with `ranges` (SHARDS refused, so SLOTS is used), or
/// `None` for any other command.
pub fn topology(args: &[String], ranges: &[(u16, u16, u16)]) -> Option<Reply> {
    if args[0] != "CLUSTER" {
        return None;
    }
    Some(
        match args.get(1).map(|s| s.to_ascii_uppercase()).as_deref() {
            Some("SLOTS") => Reply::Frame(slots_reply(ranges)),
            _ => Reply::Frame(Frame::error("ERR unknown subcommand")),
        },
    )
}
