//! Nothing in the test suite may hang: a test that waits forever keeps CI busy for hours and
//! says nothing about why. Two guards:
//!
//! - A per-binary watchdog, armed when the first server process starts: if the test binary
//!   is still running after `SHOAL_TEST_TIMEOUT_SECS` (default 900 s; a whole binary takes
//!   under a minute on a quiet machine), it names the tests that still have servers running,
//!   kills those servers (an abort would leave them running) and exits the binary with a
//!   failure.
//! - [`output_within`]: runs an external tool (`redis-cli --cluster ...`, `shoal-admin`,
//!   scripts, client libraries) with a deadline, killing it and failing with what it printed
//!   so far, where `Command::output` would wait forever on a tool that hangs.
//!
//! Invariant: every server process the harness spawns is registered until it is killed.

use std::collections::HashMap;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::mpsc;
use std::sync::{Mutex, Once};
use std::time::{Duration, Instant};

/// A running server: its executable and the test (thread name) that started it.
struct Entry {
    exe: PathBuf,
    test: String,
}

static CHILDREN: Mutex<Option<HashMap<u32, Entry>>> = Mutex::new(None);
static ARM: Once = Once::new();

/// The binary's time limit: `SHOAL_TEST_TIMEOUT_SECS`, 900 s by default.
fn limit() -> Duration {
    let secs = std::env::var("SHOAL_TEST_TIMEOUT_SECS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(900);
    Duration::from_secs(secs)
}

/// Records a server process started by the current test, and arms the watchdog.
pub(crate) fn register(pid: u32, exe: &Path) {
    let test = std::thread::current()
        .name()
        .unwrap_or("<unnamed thread>")
        .to_string();
    let entry = Entry {
        exe: exe.to_path_buf(),
        test,
    };
    CHILDREN
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
        .get_or_insert_with(HashMap::new)
        .insert(pid, entry);
    ARM.call_once(|| {
        let limit = limit();
        std::thread::spawn(move || {
            std::thread::sleep(limit);
            fire(limit);
        });
    });
}

/// Forgets a server process that has been killed and reaped.
pub(crate) fn unregister(pid: u32) {
    if let Some(map) = CHILDREN
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
        .as_mut()
    {
        map.remove(&pid);
    }
}

/// The limit passed: report, kill every registered server, exit with a failure.
#[allow(clippy::print_stderr)] // the only way to say why the binary stops
fn fire(limit: Duration) -> ! {
    let map = CHILDREN
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
        .take()
        .unwrap_or_default();
    let mut tests: Vec<&str> = map.values().map(|e| e.test.as_str()).collect();
    tests.sort_unstable();
    tests.dedup();
    eprintln!(
        "\nshoal-tests watchdog: this test binary ran longer than {limit:?} \
         (SHOAL_TEST_TIMEOUT_SECS); tests with servers still running: {tests:?}; \
         killing {} server process(es) and exiting",
        map.len()
    );
    for (pid, e) in &map {
        // Only a process that is still the one we started (pids are reused).
        let same = std::fs::read_link(format!("/proc/{pid}/exe"))
            .is_ok_and(|p| std::fs::canonicalize(&e.exe).is_ok_and(|x| x == p));
        if same {
            let _ = Command::new("kill").args(["-9", &pid.to_string()]).status();
        }
    }
    std::process::exit(101);
}

/// What a thread reading a pipe has collected so far, and a channel closed at its end.
struct Drain {
    buf: std::sync::Arc<Mutex<Vec<u8>>>,
    done: mpsc::Receiver<()>,
}

impl Drain {
    /// Reads `pipe` to its end on a thread.
    fn start(mut pipe: impl Read + Send + 'static) -> Drain {
        let buf = std::sync::Arc::new(Mutex::new(Vec::new()));
        let (tx, done) = mpsc::channel();
        let shared = buf.clone();
        std::thread::spawn(move || {
            let mut chunk = [0u8; 8192];
            while let Ok(n @ 1..) = pipe.read(&mut chunk) {
                shared
                    .lock()
                    .unwrap_or_else(std::sync::PoisonError::into_inner)
                    .extend_from_slice(&chunk[..n]);
            }
            drop(tx);
        });
        Drain { buf, done }
    }

    /// Waits until `until` at most for the end of the pipe; returns what was read.
    fn finish(self, until: Instant) -> Vec<u8> {
        let _ = self
            .done
            .recv_timeout(until.saturating_duration_since(Instant::now()));
        std::mem::take(
            &mut *self
                .buf
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner),
        )
    }
}

/// Runs `cmd` (stdin closed, stdout and stderr captured) and returns its output, like
/// `Command::output`; if it runs longer than `timeout` it is killed and the test fails with
/// what it printed so far (the tool runs in its own process group, killed as a whole). A
/// background process the tool left holding its pipes does not block the return (the
/// output is collected for at most a few seconds after the exit).
pub fn output_within(cmd: &mut Command, timeout: Duration) -> Output {
    output_within_stdin(cmd, Stdio::null(), timeout)
}

/// [`output_within`] with `stdin` as the tool's standard input (a file of answers to its
/// prompts, for instance).
pub fn output_within_stdin(cmd: &mut Command, stdin: Stdio, timeout: Duration) -> Output {
    use std::os::unix::process::CommandExt;
    let what = format!("{cmd:?}");
    // Its own process group, so a timeout kills what it started too (a shell's children).
    let mut child = cmd
        .process_group(0)
        .stdin(stdin)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("run {what}: {e}"));
    let out = Drain::start(child.stdout.take().expect("invariant: stdout is piped"));
    let err = Drain::start(child.stderr.take().expect("invariant: stderr is piped"));
    let deadline = Instant::now() + timeout;
    let status = loop {
        if let Some(status) = child.try_wait().expect("wait for a tool") {
            break Some(status);
        }
        if Instant::now() >= deadline {
            let group = format!("-{}", child.id());
            let _ = Command::new("kill").args(["-9", "--", &group]).status();
            let _ = child.kill();
            let _ = child.wait();
            break None;
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    let until = Instant::now() + Duration::from_secs(5);
    let stdout = out.finish(until);
    let stderr = err.finish(until);
    let Some(status) = status else {
        panic!(
            "{what} still running after {timeout:?}: killed\nstdout:\n{}\nstderr:\n{}",
            String::from_utf8_lossy(&stdout),
            String::from_utf8_lossy(&stderr)
        );
    };
    Output {
        status,
        stdout,
        stderr,
    }
}
