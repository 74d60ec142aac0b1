//! The integration-test harness: real node processes, real Redis as the reference, and a
//! small blocking RESP client that returns exact frames (so differential tests compare what
//! went over the wire, not what a client library made of it).
//!
//! # Layout
//!
//! - [`Proc`]: a running `shoal-node` or `redis-server` on a free loopback port, killed on
//!   drop, with its own temporary directory.
//! - [`RawClient`]: send a command (or raw bytes), read one [`Frame`].
//! - [`Differ`]: the same commands to our node and to real Redis, replies compared.
//! - [`admin`]: clusters of real processes driven by `shoal-admin`, checked by the real
//!   `redis-cli --cluster check`, with a loader and an exactly-once key audit.
//! - [`mock`]: a scripted upstream (MOVED/ASK/TRYAGAIN on cue) for router tests.
//! - [`cluster`]: a six-node cluster (real Redis or ours) and routers in front of it.
//!
//! Binaries: tests use `target/<profile>/shoal-node`, built by `scripts/test` before
//! `cargo test` runs. A missing binary or a missing `redis-server` fails the test loudly; a
//! test never skips because a tool is absent.

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::PathBuf;
use std::process::{Child, Command};
use std::time::{Duration, Instant};

use bytes::BytesMut;
pub use shoal_common::Frame;
use shoal_common::resp::decode::decode_reply;
use shoal_common::resp::encode::encode_request;

pub mod admin;
pub mod cluster;
pub mod mock;
pub mod watchdog;

pub use watchdog::{output_within, output_within_stdin};

/// The workspace's target directory.
pub fn target_dir() -> PathBuf {
    if let Ok(dir) = std::env::var("CARGO_TARGET_DIR") {
        return PathBuf::from(dir);
    }
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("..")
        .join("target")
}

/// Path of one of the project's binaries (`shoal-node`, `shoal-router`), preferring the
/// profile the tests were built with.
pub fn bin(name: &str) -> PathBuf {
    let profile = if cfg!(debug_assertions) {
        "debug"
    } else {
        "release"
    };
    let path = target_dir().join(profile).join(name);
    assert!(
        path.exists(),
        "{} is missing: build it first (scripts/test runs `cargo build --workspace --bins`)",
        path.display()
    );
    path
}

/// Client ports the harness hands out: `PORT_BASE..PORT_BASE + PORT_SPAN`. With the cluster bus
/// port (+10000) both stay below 30000, outside Linux's ephemeral range (32768-60999) that
/// outgoing connections draw their local ports from, so no client connection of a parallel
/// test can take a server's port between the check and the bind.
const PORT_BASE: u16 = 10000;
const PORT_SPAN: u16 = 10000;

/// Ports handed out so far by this process: each port at most once (per wrap of the range),
/// so two tests of one binary never share a port. The start is spread by pid and time, so
/// test binaries running at once on one machine start far apart.
fn next_ports(n: u16) -> u16 {
    use std::sync::OnceLock;
    use std::sync::atomic::{AtomicU32, Ordering};
    static NEXT: AtomicU32 = AtomicU32::new(0);
    static SEED: OnceLock<u32> = OnceLock::new();
    let seed = *SEED.get_or_init(|| {
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.subsec_nanos());
        std::process::id().wrapping_mul(7919) ^ nanos
    });
    loop {
        let at = seed.wrapping_add(NEXT.fetch_add(u32::from(n), Ordering::Relaxed));
        let offset = u16::try_from(at % u32::from(PORT_SPAN)).expect("invariant: below the span");
        if offset + n <= PORT_SPAN {
            return PORT_BASE + offset;
        }
    }
}

/// True if `port` and its cluster bus port (+10000) can be bound on 127.0.0.1 now.
fn bindable(port: u16) -> bool {
    TcpListener::bind(("127.0.0.1", port)).is_ok()
        && TcpListener::bind(("127.0.0.1", port + 10000)).is_ok()
}

/// A free TCP port on 127.0.0.1 whose +10000 bus port is free too, never handed out before
/// by this process and outside the ephemeral range (see [`PORT_BASE`]).
pub fn free_port() -> u16 {
    free_ports(1)
}

/// The first of `n` consecutive free ports (each with its +10000 bus port free), never
/// handed out before by this process (for scripts that number nodes from a base port).
pub fn free_ports(n: u16) -> u16 {
    loop {
        let base = next_ports(n);
        if (base..base + n).all(bindable) {
            return base;
        }
    }
}

/// Path of a tool on PATH, or a loud panic naming the package that provides it.
pub fn require_tool(name: &str, package: &str) -> PathBuf {
    let path = std::env::var_os("PATH").unwrap_or_default();
    for dir in std::env::split_paths(&path) {
        let p = dir.join(name);
        if p.is_file() {
            return p;
        }
    }
    panic!("{name} is not on PATH: install Debian's {package} package (scripts/test does)");
}

/// A running server process on 127.0.0.1.
pub struct Proc {
    /// Client port.
    pub port: u16,
    /// Working directory (removed on drop).
    pub dir: tempfile::TempDir,
    child: Child,
    exe: PathBuf,
    args: Vec<String>,
}

impl Proc {
    /// The process id.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Resident memory now, in bytes (`VmRSS` of `/proc/<pid>/status`).
    pub fn rss_bytes(&self) -> u64 {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.pid()))
            .expect("process status");
        status
            .lines()
            .find_map(|l| l.strip_prefix("VmRSS:"))
            .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
            .map(|kb| kb * 1024)
            .expect("VmRSS line")
    }

    /// Starts `shoal-node` with extra `--directive value` arguments.
    pub fn node(extra: &[&str]) -> Proc {
        Proc::start(bin("shoal-node"), extra, &[])
    }

    /// Starts real `redis-server` with extra arguments.
    pub fn redis(extra: &[&str]) -> Proc {
        let exe = require_tool("redis-server", "redis-server");
        Proc::start(exe, extra, &["--save", "", "--appendonly", "no"])
    }

    /// Starts `shoal-node` with a config file (empty at first) as its first argument, so
    /// `CONFIG REWRITE` has a file to write (what `redis-cli --cluster set-timeout` needs).
    pub fn node_with_config_file(extra: &[&str]) -> Proc {
        Proc::start_in(bin("shoal-node"), extra, &[], true)
    }

    /// Starts real `redis-server` with a config file, as [`Proc::node_with_config_file`].
    pub fn redis_with_config_file(extra: &[&str]) -> Proc {
        let exe = require_tool("redis-server", "redis-server");
        Proc::start_in(exe, extra, &["--save", "", "--appendonly", "no"], true)
    }

    fn start(exe: PathBuf, extra: &[&str], base: &[&str]) -> Proc {
        Proc::start_in(exe, extra, base, false)
    }

    fn start_in(exe: PathBuf, extra: &[&str], base: &[&str], config_file: bool) -> Proc {
        // A port found free can still be taken before the server binds it (by a server a
        // test binary running at the same time started): the server then exits with
        // "address in use", and starting again on another port is the fix.
        let mut failed_logs = String::new();
        for _ in 0..5 {
            let dir = tempfile::tempdir().expect("temp dir");
            let port = free_port();
            let port_s = port.to_string();
            let conf = dir.path().join("node.conf");
            let conf_s = conf.display().to_string();
            let mut args: Vec<&str> = Vec::new();
            if config_file {
                std::fs::write(&conf, "").expect("write the config file");
                args.push(&conf_s);
            }
            args.extend(["--port", &port_s, "--bind", "127.0.0.1"]);
            let dir_s = dir.path().display().to_string();
            args.extend(["--dir", &dir_s]);
            args.extend_from_slice(base);
            args.extend_from_slice(extra);
            let args: Vec<String> = args.iter().map(|a| (*a).to_string()).collect();
            let child = spawn(&exe, &args, dir.path());
            let mut p = Proc {
                port,
                dir,
                child,
                exe: exe.clone(),
                args,
            };
            match p.try_wait_ready() {
                Ok(()) => return p,
                Err(log) if log.to_ascii_lowercase().contains("in use") => {
                    failed_logs.push_str(&log);
                }
                Err(log) => panic!(
                    "{} exited while starting on port {port}; log:\n{log}",
                    exe.display()
                ),
            }
        }
        panic!(
            "{} found its port taken five times; logs:\n{failed_logs}",
            exe.display()
        );
    }

    /// Kills the process and starts it again with the same arguments, port and directory
    /// (so a cluster node reloads its nodes.conf).
    pub fn restart(&mut self) {
        self.kill();
        self.child = spawn(&self.exe, &self.args, self.dir.path());
        self.wait_ready();
    }

    pub(crate) fn wait_ready(&mut self) {
        if let Err(log) = self.try_wait_ready() {
            panic!(
                "{} exited while starting on port {}; log:\n{log}",
                self.exe.display(),
                self.port
            );
        }
    }

    /// Waits until this process (not another one that holds the port) answers PING on its
    /// port; `Err(log)` if it exits first. Panics after a generous deadline.
    fn try_wait_ready(&mut self) -> Result<(), String> {
        let deadline = Instant::now() + Duration::from_secs(30);
        while Instant::now() < deadline {
            if !self.alive() {
                return Err(self.log());
            }
            // A server with `requirepass` answers NOAUTH: it is up all the same.
            // A connection closed before the reply (the server still starting, or the port
            // briefly taken by another process) is retried, not fatal.
            // The answer counts only if this process holds the listening socket (checked
            // after the PING: reading /proc/net/tcp on every poll is slow on a busy box).
            if let Ok(mut c) = RawClient::connect(self.port) {
                c.send(&["PING"]);
                if matches!(c.try_read(), Some(Frame::Simple(_) | Frame::Error(_))) {
                    // QUIT, and wait for its reply, so the server has forgotten this
                    // connection before the test counts clients.
                    c.send(&["QUIT"]);
                    let _ = c.try_read();
                    if owns_listener(self.child.id(), self.port) {
                        return Ok(());
                    }
                }
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        panic!(
            "server on port {} did not answer PING within 30 s; log:\n{}",
            self.port,
            self.log()
        );
    }

    /// The server's log so far.
    pub fn log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("server.log")).unwrap_or_default()
    }

    /// A raw client.
    pub fn raw(&self) -> RawClient {
        RawClient::connect(self.port).expect("connect")
    }

    /// A `redis` crate client.
    pub fn client(&self) -> redis::Client {
        redis::Client::open(format!("redis://127.0.0.1:{}/", self.port)).expect("client url")
    }

    /// True while the process runs.
    pub fn alive(&mut self) -> bool {
        matches!(self.child.try_wait(), Ok(None))
    }

    /// Kills the process (SIGKILL) and waits for it.
    pub fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        watchdog::unregister(self.child.id());
    }

    /// Waits up to `timeout` for the process to exit; its status code if it did.
    pub fn wait_exit(&mut self, timeout: Duration) -> Option<i32> {
        let deadline = Instant::now() + timeout;
        while Instant::now() < deadline {
            if let Ok(Some(st)) = self.child.try_wait() {
                return Some(st.code().unwrap_or(-1));
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        None
    }
}

fn spawn(exe: &PathBuf, args: &[String], dir: &std::path::Path) -> Child {
    let log = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(dir.join("server.log"))
        .expect("log file");
    // Both streams into the log: redis-server logs to stdout, shoal-node to stderr.
    let child = Command::new(exe)
        .args(args)
        .stdout(log.try_clone().expect("log file"))
        .stderr(log)
        .spawn()
        .unwrap_or_else(|e| panic!("start {}: {e}", exe.display()));
    watchdog::register(child.id(), exe);
    child
}

/// True if process `pid` holds the socket listening on `port` (read from Linux's /proc), so a
/// PING answered on the port is answered by that process and not by another server that got
/// the port first. Where /proc is absent the check is skipped (true).
fn owns_listener(pid: u32, port: u16) -> bool {
    let mut tables = Vec::new();
    for path in ["/proc/net/tcp", "/proc/net/tcp6"] {
        if let Ok(text) = std::fs::read_to_string(path) {
            tables.push(text);
        }
    }
    if tables.is_empty() {
        return true;
    }
    let port_hex = format!(":{port:04X}");
    // Columns: sl local_address rem_address st ... inode (the 10th); state 0A is LISTEN.
    let sockets: Vec<String> = tables
        .iter()
        .flat_map(|t| t.lines().skip(1))
        .filter(|l| l.contains(&port_hex))
        .map(|l| l.split_whitespace().collect::<Vec<_>>())
        .filter(|f| f.len() > 9 && f[3] == "0A" && f[1].ends_with(&port_hex))
        .map(|f| format!("socket:[{}]", f[9]))
        .collect();
    let Ok(fds) = std::fs::read_dir(format!("/proc/{pid}/fd")) else {
        return false;
    };
    fds.flatten().any(|fd| {
        std::fs::read_link(fd.path())
            .is_ok_and(|l| sockets.iter().any(|s| l.as_os_str() == s.as_str()))
    })
}

impl Drop for Proc {
    /// Kills the process. When the test is failing (unwinding), the end of the server's log
    /// is printed first: the temporary directory goes away with the process, and the log
    /// is often what explains a failure seen once on a loaded CI machine.
    #[allow(clippy::print_stderr)] // shown by the test harness for failing tests only
    fn drop(&mut self) {
        self.kill();
        if std::thread::panicking() {
            let log = self.log();
            let lines: Vec<&str> = log.lines().collect();
            let tail = lines[lines.len().saturating_sub(40)..].join("\n");
            eprintln!(
                "--- last lines of the log of {} on port {} ---\n{tail}",
                self.exe.display(),
                self.port
            );
        }
    }
}

/// How long a [`RawClient`] read waits before the test fails: longer than any server-side
/// wait a test asks for (`WAIT 1 30000`), so a loaded machine is slow, not a failure.
const READ_TIMEOUT: Duration = Duration::from_secs(40);

/// A blocking RESP client that returns exact frames.
pub struct RawClient {
    stream: TcpStream,
    buf: BytesMut,
}

impl RawClient {
    /// Connects to 127.0.0.1:`port`.
    pub fn connect(port: u16) -> std::io::Result<RawClient> {
        let stream = TcpStream::connect(("127.0.0.1", port))?;
        stream.set_read_timeout(Some(READ_TIMEOUT))?;
        stream.set_nodelay(true)?;
        Ok(RawClient {
            stream,
            buf: BytesMut::new(),
        })
    }

    /// Sends raw bytes.
    pub fn send_raw(&mut self, bytes: &[u8]) {
        self.stream.write_all(bytes).expect("write");
    }

    /// Sends one command without reading the reply.
    pub fn send<S: AsRef<[u8]>>(&mut self, args: &[S]) {
        let mut out = BytesMut::new();
        encode_request(args, &mut out);
        self.send_raw(&out);
    }

    /// Reads one reply; panics on timeout or a closed connection.
    pub fn read(&mut self) -> Frame {
        self.try_read()
            .expect("connection closed before a full reply")
    }

    /// Reads one reply; `None` if the server closed the connection first.
    pub fn try_read(&mut self) -> Option<Frame> {
        loop {
            if let Some(f) = decode_reply(&mut self.buf).expect("valid RESP from server") {
                return Some(f);
            }
            let mut chunk = [0u8; 16384];
            match self.stream.read(&mut chunk) {
                Ok(0) => return None,
                Ok(n) => self.buf.extend_from_slice(&chunk[..n]),
                Err(e) if e.kind() == std::io::ErrorKind::ConnectionReset => return None,
                Err(e) => panic!("read: {e}"),
            }
        }
    }

    /// Sends a command and reads its reply.
    pub fn cmd<S: AsRef<[u8]>>(&mut self, args: &[S]) -> Frame {
        self.send(args);
        self.read()
    }

    /// True if the server has closed the connection (reads EOF within `timeout`).
    pub fn is_closed(&mut self, timeout: Duration) -> bool {
        let _ = self.stream.set_read_timeout(Some(timeout));
        let mut b = [0u8; 1];
        let closed = matches!(self.stream.read(&mut b), Ok(0) | Err(_));
        let _ = self.stream.set_read_timeout(Some(READ_TIMEOUT));
        closed
    }
}

/// Shorthand for a bulk-string frame in assertions.
pub fn bulk(s: &str) -> Frame {
    Frame::bulk(s)
}

/// The same commands to our node and to real Redis, replies compared exactly.
pub struct Differ {
    /// Our node.
    pub ours: Proc,
    /// Real Redis.
    pub redis: Proc,
    /// Client to ours.
    pub a: RawClient,
    /// Client to Redis.
    pub b: RawClient,
}

impl Differ {
    /// Starts both servers with the same extra arguments.
    pub fn new(extra: &[&str]) -> Differ {
        let redis = Proc::redis(extra);
        let ours = Proc::node(extra);
        let a = ours.raw();
        let b = redis.raw();
        Differ { ours, redis, a, b }
    }

    /// Sends `args` to both; returns both replies.
    pub fn both<S: AsRef<[u8]>>(&mut self, args: &[S]) -> (Frame, Frame) {
        (self.a.cmd(args), self.b.cmd(args))
    }

    /// Sends `args` to both and asserts identical replies; returns ours.
    pub fn check<S: AsRef<[u8]>>(&mut self, args: &[S]) -> Frame {
        let (ours, theirs) = self.both(args);
        assert_eq!(ours, theirs, "reply differs for {}", show(args));
        ours
    }

    /// [`Differ::check`] of every command of `script`, in order.
    pub fn check_all(&mut self, script: &[&[&str]]) {
        for cmd in script {
            self.check(cmd);
        }
    }
}

/// A command for messages: `SET "k" "v"`.
pub fn show<S: AsRef<[u8]>>(args: &[S]) -> String {
    args.iter()
        .map(|a| format!("{:?}", String::from_utf8_lossy(a.as_ref())))
        .collect::<Vec<_>>()
        .join(" ")
}

/// A TCP proxy on a free loopback port that forwards to `127.0.0.1:target` and can cut every
/// connection through it on demand (link-failure tests).
pub struct Proxy {
    /// The port clients connect to.
    pub port: u16,
    cut: std::sync::Arc<std::sync::atomic::AtomicU64>,
}

impl Proxy {
    /// Starts forwarding to `target`.
    pub fn start(target: u16) -> Proxy {
        use std::sync::Arc;
        use std::sync::atomic::{AtomicU64, Ordering};
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind proxy");
        let port = listener.local_addr().expect("proxy addr").port();
        let cut = Arc::new(AtomicU64::new(0));
        let cut2 = cut.clone();
        std::thread::spawn(move || {
            for inbound in listener.incoming() {
                let Ok(inbound) = inbound else { continue };
                let Ok(outbound) = TcpStream::connect(("127.0.0.1", target)) else {
                    continue;
                };
                let epoch = cut2.load(Ordering::SeqCst);
                for (mut from, mut to) in [
                    (
                        inbound.try_clone().expect("clone"),
                        outbound.try_clone().expect("clone"),
                    ),
                    (outbound, inbound),
                ] {
                    let cut3 = cut2.clone();
                    let _ = from.set_read_timeout(Some(Duration::from_millis(50)));
                    std::thread::spawn(move || {
                        let mut buf = [0u8; 16384];
                        loop {
                            if cut3.load(Ordering::SeqCst) != epoch {
                                let _ = from.shutdown(std::net::Shutdown::Both);
                                let _ = to.shutdown(std::net::Shutdown::Both);
                                return;
                            }
                            match from.read(&mut buf) {
                                Ok(0) => {
                                    let _ = to.shutdown(std::net::Shutdown::Both);
                                    return;
                                }
                                Ok(n) => {
                                    if to.write_all(&buf[..n]).is_err() {
                                        return;
                                    }
                                }
                                Err(e)
                                    if matches!(
                                        e.kind(),
                                        std::io::ErrorKind::WouldBlock
                                            | std::io::ErrorKind::TimedOut
                                    ) => {}
                                Err(_) => {
                                    let _ = to.shutdown(std::net::Shutdown::Both);
                                    return;
                                }
                            }
                        }
                    });
                }
            }
        });
        Proxy { port, cut }
    }

    /// Closes every connection currently open through the proxy (new ones still work).
    pub fn cut(&self) {
        self.cut.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
    }
}

/// Polls `f` every 20 ms until it returns true or `timeout` passes; returns the last result.
pub fn wait_until(timeout: Duration, mut f: impl FnMut() -> bool) -> bool {
    let deadline = Instant::now() + timeout;
    loop {
        if f() {
            return true;
        }
        if Instant::now() >= deadline {
            return false;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// Waits until the server `c` is connected to reports exactly `n` blocked clients (INFO
/// clients), so a test knows a command sent on another connection is blocked (and in which
/// order several were) without sleeping for a guessed time. Panics after 30 s.
pub fn wait_blocked(c: &mut RawClient, n: usize) {
    let want = n.to_string();
    let ok = wait_until(Duration::from_secs(30), || {
        info_field(c, "clients", "blocked_clients").as_deref() == Some(want.as_str())
    });
    assert!(ok, "the server never reported {n} blocked client(s)");
}

/// One `field:value` of an INFO reply (`None` if absent).
pub fn info_field(c: &mut RawClient, section: &str, field: &str) -> Option<String> {
    let reply = c.cmd(&["INFO", section]);
    let text = reply
        .as_bytes()
        .map(|b| String::from_utf8_lossy(b).into_owned())?;
    text.lines()
        .find_map(|l| l.strip_prefix(&format!("{field}:")).map(str::to_string))
}
/// True when a replica's link to its primary is up (INFO `master_link_status`).
pub fn link_up(c: &mut RawClient) -> bool {
    info_field(c, "replication", "master_link_status").as_deref() == Some("up")
}

/// True when two nodes report the same `master_repl_offset`.
pub fn offsets_match(m: &mut RawClient, r: &mut RawClient) -> bool {
    info_field(m, "replication", "master_repl_offset")
        == info_field(r, "replication", "master_repl_offset")
}

/// Several connections to our node and as many to real Redis, driven in lockstep: client `i`
/// of one server mirrors client `i` of the other (pub/sub and transaction races).
pub struct DifferN {
    /// Both servers.
    pub d: Differ,
    ours: Vec<RawClient>,
    theirs: Vec<RawClient>,
}

impl DifferN {
    /// Starts both servers with `extra` arguments and opens `n` clients on each.
    pub fn new(extra: &[&str], n: usize) -> DifferN {
        let d = Differ::new(extra);
        let ours = (0..n).map(|_| d.ours.raw()).collect();
        let theirs = (0..n).map(|_| d.redis.raw()).collect();
        DifferN { d, ours, theirs }
    }

    /// Sends `args` from client `i` on both servers; asserts equal replies; returns ours.
    pub fn check<S: AsRef<[u8]>>(&mut self, i: usize, args: &[S]) -> Frame {
        let ours = self.ours[i].cmd(args);
        let theirs = self.theirs[i].cmd(args);
        assert_eq!(ours, theirs, "client {i}: reply differs for {}", show(args));
        ours
    }

    /// Sends `args` from client `i` on both servers and returns both replies.
    pub fn both<S: AsRef<[u8]>>(&mut self, i: usize, args: &[S]) -> (Frame, Frame) {
        (self.ours[i].cmd(args), self.theirs[i].cmd(args))
    }

    /// Everything client `i` received that it has not read yet (pushed messages), on both
    /// servers: a `PING <marker>` is sent and frames are read until its answer, which
    /// every server queues after the messages already delivered. Asserts equality.
    pub fn drain(&mut self, i: usize) -> Vec<Frame> {
        let ours = drain_until_pong(&mut self.ours[i]);
        let theirs = drain_until_pong(&mut self.theirs[i]);
        assert_eq!(ours, theirs, "client {i}: pushed frames differ");
        ours
    }

    /// Raw access to client `i` of our node and of Redis.
    pub fn clients(&mut self, i: usize) -> (&mut RawClient, &mut RawClient) {
        (&mut self.ours[i], &mut self.theirs[i])
    }
}

/// Reads keyspace-notification messages until the event of the key `marker` arrives (a test
/// ends its script with `SET marker 1`); returns the messages before it.
pub fn events_until_marker(c: &mut RawClient) -> Vec<Frame> {
    let mut out = Vec::new();
    loop {
        let f = c.read();
        let done = matches!(&f, Frame::Array(v) | Frame::Push(v)
            if v.last() == Some(&Frame::bulk("marker")));
        if done {
            return out;
        }
        out.push(f);
    }
}

/// Sends `PING <marker>` and returns the frames read before its answer (the answer is
/// `marker` as a bulk string, or `["pong", marker]` for a RESP2 client in pub/sub mode).
pub fn drain_until_pong(c: &mut RawClient) -> Vec<Frame> {
    const MARKER: &str = "drain-marker-7f3a";
    c.send(&["PING", MARKER]);
    let mut out = Vec::new();
    loop {
        let f = c.read();
        let is_marker = f == bulk(MARKER) || f == Frame::Array(vec![bulk("pong"), bulk(MARKER)]);
        if is_marker {
            return out;
        }
        out.push(f);
    }
}
