//! `cargo xtask fuzz [chapter-NN|final] [--calls N] [--seed S] [--cpus N] [--workers W]
//! [-- QEMU-ARGS]`: a long run of the `fuzz` user program (chapter 11), which makes seeded random system calls from
//! several environments at once. The run passes when the kernel ends cleanly, the program
//! reports its calls and every page is free again; a kernel panic, a hang (no output for
//! [`SILENCE`]), a leak or a missing report fails it. The whole console output goes to
//! `target/fuzz-logs/<tree>-seed-<S>.log`; the terminal gets the program's and the kernel's
//! summary lines, the seed (which reproduces the calls) and the wall time. QEMU's arguments
//! after `--` come after ours: `-- -m 5M` gives the kernel 5 MB, and the calls run out of memory.

use std::fs::File;
use std::io::{BufRead, BufReader, BufWriter, Write};
use std::path::Path;
use std::process::{Command, ExitCode, Stdio};
use std::sync::mpsc;
use std::thread;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use anyhow::Context;

use crate::args::{self, Args};
use crate::cargo;
use crate::error::user_error;
use crate::kill;
use crate::qemu::{self, Boot};
use crate::repo::Repo;
use crate::toolchain;
use crate::tree;

/// The program that does the fuzzing.
const PROGRAM: &str = "fuzz";
/// A run that prints nothing for this long has hung.
const SILENCE: Duration = Duration::from_secs(120);
/// The lines shown on the terminal as well as in the log.
const SHOWN: [&str; 5] = [
    "fuzz:",
    "kernel panic",
    "kernel: all ",
    "kernel: the environments ran",
    "No runnable environments",
];

pub fn main(repo: &Repo, mut args: Args) -> anyhow::Result<ExitCode> {
    let calls = number(&mut args, "calls")?.unwrap_or(1_000_000);
    let seed = seed(&mut args)?;
    let cpus = match args.value("cpus")? {
        Some(value) => args::positive("cpus", &value)?,
        None => 4,
    };
    let workers = number(&mut args, "workers")?.unwrap_or(4);
    let extra = args.passthrough().to_vec();
    let positionals = args.positionals(1)?;
    let chapters = repo.chapters()?;
    let tree = tree::resolve(repo, &chapters, positionals.first().map_or("final", |s| s))?;
    if !tree.programs()?.iter().any(|p| p == PROGRAM) {
        return Err(user_error(format!(
            "{} has no `{PROGRAM}` program (chapter 11 brings it)",
            tree.name
        )));
    }
    let qemu = qemu::find()?;
    toolchain::ensure(repo)?;

    let kernel = cargo::build_kernel(&tree, false)?;
    let progs = [
        PROGRAM.to_string(),
        format!("fuzz.calls={calls}"),
        format!("fuzz.seed={seed}"),
        format!("fuzz.workers={workers}"),
    ];
    let boot = Boot {
        kernel: &kernel,
        progs: &progs,
        cpus,
        threads: qemu::threads_for(cpus, qemu::host_cores()),
        gdb: false,
        extra: &extra,
    };
    let logs = repo.root.join("target").join("fuzz-logs");
    std::fs::create_dir_all(&logs).with_context(|| format!("cannot create {}", logs.display()))?;
    let log = logs.join(format!("{}-seed-{seed}.log", tree.name));
    eprintln!("fuzzing {}: {}", tree.name, qemu::command_line(&boot));
    eprintln!("(the whole output goes to {})", log.display());

    let start = Instant::now();
    let verdict = boot_and_watch(&qemu, &boot, &log)?;
    let wall = start.elapsed();
    let tree_arg = match tree.chapter {
        Some(n) => format!("chapter-{n:02}"),
        None => "final".to_string(),
    };
    let qemu_args = match extra.is_empty() {
        true => String::new(),
        false => format!(" -- {}", extra.join(" ")),
    };
    eprintln!(
        "wall time {:.1} s; seed {seed} reproduces the calls: cargo xtask fuzz {tree_arg} --calls \
         {calls} --seed {seed} --cpus {cpus} --workers {workers}{qemu_args}",
        wall.as_secs_f64(),
    );
    match verdict {
        Ok(()) => {
            eprintln!("fuzz: PASS");
            Ok(ExitCode::SUCCESS)
        }
        Err(why) => {
            eprintln!("fuzz: FAIL: {why}");
            Ok(ExitCode::FAILURE)
        }
    }
}

/// The option `--seed`'s value, or else the time in seconds (which the caller prints, so that
/// the run can be repeated).
pub(super) fn seed(args: &mut Args) -> anyhow::Result<u64> {
    Ok(match number(args, "seed")? {
        Some(seed) => seed,
        None => SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(1, |t| t.as_secs()),
    })
}

/// The option `--NAME`'s value as a number, decimal or `0x` hexadecimal.
pub(super) fn number(args: &mut Args, name: &str) -> anyhow::Result<Option<u64>> {
    let Some(value) = args.value(name)? else {
        return Ok(None);
    };
    let parsed = match value.strip_prefix("0x") {
        Some(hex) => u64::from_str_radix(hex, 16),
        None => value.parse(),
    };
    parsed
        .map(Some)
        .map_err(|_| user_error(format!("--{name} {value}: not a number")))
}

/// Boots QEMU, copies its output to `log` and shows the summary lines; the verdict is the
/// reason the run failed, if it did.
fn boot_and_watch(qemu_path: &Path, boot: &Boot, log: &Path) -> anyhow::Result<Result<(), String>> {
    let mut child = Command::new(qemu_path)
        .args(qemu::args(boot))
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .spawn()
        .with_context(|| format!("cannot run {}", qemu_path.display()))?;
    let stdout = child.stdout.take().context("QEMU's output")?;
    let mut out = BufWriter::new(
        File::create(log).with_context(|| format!("cannot write {}", log.display()))?,
    );
    let (lines, heard) = mpsc::channel::<Vec<u8>>();
    thread::spawn(move || {
        let mut reader = BufReader::new(stdout);
        let mut line = Vec::new();
        while reader.read_until(b'\n', &mut line).is_ok_and(|n| n > 0) {
            if lines.send(std::mem::take(&mut line)).is_err() {
                break;
            }
        }
    });
    let mut seen = Seen::default();
    loop {
        match heard.recv_timeout(SILENCE) {
            Ok(line) => {
                out.write_all(&line).context("writing the log")?;
                seen.line(&String::from_utf8_lossy(&line));
            }
            Err(mpsc::RecvTimeoutError::Disconnected) => break,
            Err(mpsc::RecvTimeoutError::Timeout) => {
                kill::kill_tree(&mut child);
                out.flush().context("writing the log")?;
                return Ok(Err(format!("no output for {} s: hung", SILENCE.as_secs())));
            }
        }
    }
    out.flush().context("writing the log")?;
    let status = child.wait().context("waiting for QEMU")?;
    Ok(seen.verdict(status.code()))
}

/// What the run has shown so far.
#[derive(Default)]
struct Seen {
    done: bool,
    pages_free: bool,
    panic: bool,
    leak: bool,
}

impl Seen {
    fn line(&mut self, line: &str) {
        let line = line.trim_end();
        if SHOWN.iter().any(|s| line.starts_with(s)) {
            println!("{line}");
        }
        self.done |= line.starts_with("fuzz: done:");
        self.pages_free |= line.starts_with("kernel: all ") && line.ends_with(" pages free again");
        self.panic |= line.starts_with("kernel panic");
        self.leak |= line.starts_with("kernel: ") && line.ends_with(" pages leaked");
        if line.starts_with("kernel: ") && line.ends_with(" pages leaked") {
            println!("{line}");
        }
    }

    fn verdict(&self, status: Option<i32>) -> Result<(), String> {
        if self.panic || status == Some(qemu::PANIC) {
            return Err("the kernel panicked".into());
        }
        if status != Some(qemu::CLEAN) {
            return Err(match status {
                Some(code) => qemu::describe_status(code).to_string(),
                None => "QEMU was killed by a signal".into(),
            });
        }
        if self.leak || !self.pages_free {
            return Err("pages were not free at the end".into());
        }
        if !self.done {
            return Err("the program never reported its calls".into());
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn seen(output: &str) -> Seen {
        let mut seen = Seen::default();
        output.lines().for_each(|l| seen.line(l));
        seen
    }

    #[test]
    fn a_clean_run_with_a_report_and_every_page_free_passes() {
        let good = "fuzz: done: 10 calls by 4 workers, seed 1; 0 stray messages\r\n\
                    kernel: all 31874 pages free again\r\n";
        assert_eq!(seen(good).verdict(Some(qemu::CLEAN)), Ok(()));
        let leak = "fuzz: done: 10 calls\nkernel: 3 pages leaked\n";
        assert!(seen(leak).verdict(Some(qemu::CLEAN)).is_err());
        let silent = "kernel: all 31874 pages free again\n";
        assert!(seen(silent).verdict(Some(qemu::CLEAN)).is_err());
        let panic = "fuzz: done: 1\nkernel panic on CPU 0 at x.rs:1: boom\n";
        assert!(seen(panic).verdict(Some(qemu::PANIC)).is_err());
    }
}
