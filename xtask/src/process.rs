//! Running a child process with its standard output and error captured together (in the order
//! the child wrote them) and an optional time limit, after which the child is killed.

use std::io::{self, Read};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex, mpsc};
use std::thread;
use std::time::{Duration, Instant};

/// Output past this many bytes is dropped (a kernel stuck printing in a loop can write a lot
/// before its timeout).
const MAX_OUTPUT: usize = 16 << 20;

/// How often a child with a time limit is checked on.
const POLL: Duration = Duration::from_millis(20);

/// How a child process ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ending {
    /// It exited by itself: its exit status, or `None` if a signal killed it.
    Exited(Option<i32>),
    /// It ran past its time limit and was killed.
    TimedOut(Duration),
}

impl Ending {
    pub fn success(self) -> bool {
        self == Ending::Exited(Some(0))
    }
}

/// What a finished child left.
#[derive(Debug)]
pub struct Captured {
    /// Standard output and error, interleaved as written, decoded lossily as UTF-8.
    pub output: String,
    /// Whether output was dropped for passing [`MAX_OUTPUT`].
    pub truncated: bool,
    pub ending: Ending,
    pub elapsed: Duration,
}

/// How long the output is waited for once the child has been reaped: a grandchild that
/// inherited the pipe can keep it open after the child is gone.
const DRAIN: Duration = Duration::from_secs(2);

/// Runs `cmd` with no input, capturing its output, killing it after `limit` if one is given.
pub fn capture(mut cmd: Command, limit: Option<Duration>) -> io::Result<Captured> {
    let (reader, writer) = io::pipe()?;
    cmd.stdin(Stdio::null())
        .stdout(writer.try_clone()?)
        .stderr(writer);
    let start = Instant::now();
    let mut child = cmd.spawn()?;
    // The command holds our copies of the pipe's write end: without dropping them the reader
    // would never see the end of the output.
    drop(cmd);
    let sink = Arc::new(Mutex::new(Sink::default()));
    let (done, finished) = mpsc::channel();
    let collector = Arc::clone(&sink);
    thread::spawn(move || {
        collect(reader, &collector);
        let _ = done.send(());
    });
    let ending = wait(&mut child, limit)?;
    let elapsed = start.elapsed();
    // A timeout leaves what was read so far: no waiting for the end of the output.
    if !matches!(ending, Ending::TimedOut(_)) {
        let _ = finished.recv_timeout(DRAIN);
    }
    let sink = std::mem::take(&mut *lock(&sink));
    Ok(Captured {
        output: String::from_utf8_lossy(&sink.kept).into_owned(),
        truncated: sink.truncated,
        ending,
        elapsed,
    })
}

/// The output read so far.
#[derive(Default)]
struct Sink {
    kept: Vec<u8>,
    /// Whether output was dropped for passing [`MAX_OUTPUT`].
    truncated: bool,
}

fn lock(sink: &Mutex<Sink>) -> std::sync::MutexGuard<'_, Sink> {
    sink.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// Reads `reader` to its end into `sink`, keeping at most [`MAX_OUTPUT`] bytes.
fn collect(mut reader: impl Read, sink: &Mutex<Sink>) {
    let mut chunk = [0u8; 8192];
    loop {
        match reader.read(&mut chunk) {
            Ok(0) => break,
            Ok(n) => {
                let mut sink = lock(sink);
                let room = MAX_OUTPUT - sink.kept.len();
                sink.kept.extend_from_slice(&chunk[..n.min(room)]);
                sink.truncated |= n > room;
            }
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(_) => break,
        }
    }
}

/// Waits for `child`, killing it once `limit` has passed.
fn wait(child: &mut Child, limit: Option<Duration>) -> io::Result<Ending> {
    let Some(limit) = limit else {
        return Ok(Ending::Exited(child.wait()?.code()));
    };
    let deadline = Instant::now() + limit;
    loop {
        if let Some(status) = child.try_wait()? {
            return Ok(Ending::Exited(status.code()));
        }
        if Instant::now() >= deadline {
            crate::kill::kill_tree(child);
            return Ok(Ending::TimedOut(limit));
        }
        thread::sleep(POLL);
    }
}

#[cfg(all(test, unix))]
mod tests {
    use super::*;

    fn sh(script: &str) -> Command {
        let mut cmd = Command::new("sh");
        cmd.arg("-c").arg(script);
        cmd
    }

    #[test]
    fn captures_both_streams_in_order_with_the_status() {
        let run = capture(sh("echo one; echo two >&2; echo three; exit 33"), None).unwrap();
        assert_eq!(run.output, "one\ntwo\nthree\n");
        assert_eq!(run.ending, Ending::Exited(Some(33)));
        assert!(!run.ending.success() && !run.truncated);
        assert!(capture(sh("true"), None).unwrap().ending.success());
    }

    #[test]
    fn kills_a_child_that_runs_too_long_and_keeps_its_output() {
        let limit = Duration::from_millis(300);
        let run = capture(sh("echo started; exec sleep 30"), Some(limit)).unwrap();
        assert_eq!(run.ending, Ending::TimedOut(limit));
        assert_eq!(run.output, "started\n");
        assert!(run.elapsed < Duration::from_secs(10));
    }

    #[test]
    fn gives_no_input() {
        let run = capture(sh("cat; echo done"), Some(Duration::from_secs(10))).unwrap();
        assert_eq!(run.output, "done\n");
    }

    #[test]
    fn a_grandchild_holding_the_output_open_does_not_hold_us_up() {
        let limit = Duration::from_millis(300);
        let run = capture(sh("echo started; sleep 30"), Some(limit)).unwrap();
        assert_eq!(run.ending, Ending::TimedOut(limit));
        assert_eq!(run.output, "started\n");
        assert!(run.elapsed < Duration::from_secs(10));
        let start = Instant::now();
        let run = capture(sh("echo left; sleep 30 & exit 3"), None).unwrap();
        assert_eq!(
            (run.ending, run.output.as_str()),
            (Ending::Exited(Some(3)), "left\n")
        );
        assert!(start.elapsed() < Duration::from_secs(10));
    }

    #[test]
    fn keeps_only_the_first_bytes_of_a_flood() {
        let sink = Mutex::new(Sink::default());
        collect(io::repeat(b'x').take(MAX_OUTPUT as u64 + 5), &sink);
        let sink = lock(&sink);
        assert_eq!(sink.kept.len(), MAX_OUTPUT);
        assert!(sink.truncated);
    }
}
