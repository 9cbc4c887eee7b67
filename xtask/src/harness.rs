//! The QEMU test harness: building a tree's kernel with its output captured, then booting it
//! once per test run, a few runs at a time, judging each run and saving its output to a log.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use crate::cargo;
use crate::cmdline;
use crate::judge;
use crate::plan::Run;
use crate::pool;
use crate::process::{self, Ending};
use crate::qemu::{self, Boot};
use crate::repo::Repo;
use crate::report;
use crate::tree::Tree;

/// How many QEMU processes run at once.
pub const QEMU_WORKERS: usize = 4;

/// The result of one run.
#[derive(Debug)]
pub struct RunResult {
    pub passed: bool,
    /// For a failure: what went wrong, indented, ending in a newline; empty for a pass.
    pub details: String,
    pub elapsed: Duration,
}

/// Builds the debug kernel of `tree`, returning the kernel ELF, or cargo's output on failure.
pub fn build(tree: &Tree) -> anyhow::Result<Result<PathBuf, String>> {
    let cmd = cargo::in_tree(tree, &cargo::build_args(false));
    let run = process::capture(cmd, None)?;
    if !run.ending.success() {
        return Ok(Err(run.output));
    }
    let kernel = tree.kernel_elf(false);
    if !kernel.is_file() {
        return Ok(Err(format!(
            "{}`cargo build` succeeded but left no kernel at {}\n",
            run.output,
            kernel.display()
        )));
    }
    Ok(Ok(kernel))
}

/// Everything the runs of one tree share.
pub struct Bench<'a> {
    pub repo: &'a Repo,
    /// The tree the kernel was built from (its name and directory are what messages show).
    pub tree: &'a Tree,
    pub qemu: &'a Path,
    pub kernel: PathBuf,
    /// The tree's user programs.
    pub programs: Vec<String>,
}

impl Bench<'_> {
    /// Runs every one of `runs`, handing each result to `deliver` in order as it comes.
    pub fn run_all(&self, runs: &[Run], mut deliver: impl FnMut(&Run, RunResult)) {
        pool::run_in_order(
            runs,
            QEMU_WORKERS,
            |run| self.run(run),
            |index, result| deliver(&runs[index], result),
        );
    }

    /// Boots the kernel for `run` and judges the output, which goes to the run's log.
    pub fn run(&self, run: &Run) -> RunResult {
        let log_dir = self.repo.qemu_logs(&self.tree.name);
        match std::fs::create_dir_all(&log_dir) {
            Ok(()) => self.run_one(run, &log_dir),
            Err(e) => failed(format!("cannot create {}: {e}\n", log_dir.display())),
        }
    }

    fn run_one(&self, run: &Run, log_dir: &Path) -> RunResult {
        let unknown = cmdline::unknown_programs(&run.spec.progs, &self.programs);
        if let Some(prog) = unknown.first() {
            return failed(format!(
                "{}: test \"{}\" boots '{prog}', which is not a program of the tree {} \
                 (its programs: {})\n",
                run.spec.file,
                run.spec.name,
                self.repo.display(&self.tree.dir).display(),
                self.programs.join(", ")
            ));
        }
        // A later `-m` overrides QEMU's usual one.
        let mut extra: Vec<String> = match run.spec.memory_mib {
            Some(mib) => vec!["-m".into(), format!("{mib}M")],
            None => Vec::new(),
        };
        extra.extend(run.spec.qemu_args.iter().cloned());
        let boot = Boot {
            kernel: &self.kernel,
            progs: &run.spec.progs,
            cpus: run.cpus,
            threads: qemu::threads_for(run.cpus, qemu::host_cores()),
            gdb: false,
            extra: &extra,
        };
        let mut cmd = Command::new(self.qemu);
        cmd.args(qemu::args(&boot));
        let captured = match process::capture(cmd, Some(run.spec.timeout)) {
            Ok(captured) => captured,
            Err(e) => return failed(format!("cannot run {}: {e}\n", self.qemu.display())),
        };
        let log = log_dir.join(run.log_name());
        let log_shown = self.repo.display(&log).display().to_string();
        let mut text = captured.output.clone();
        if !text.is_empty() && !text.ends_with('\n') {
            text.push('\n');
        }
        if captured.truncated {
            text.push_str("---- xtask: output truncated\n");
        }
        text.push_str(&format!(
            "---- xtask: {}\n---- xtask: {} after {:.1} s\n",
            qemu::command_line(&boot),
            describe(captured.ending),
            captured.elapsed.as_secs_f64()
        ));
        let mut details = String::new();
        if let Err(e) = std::fs::write(&log, text) {
            details.push_str(&format!("    cannot write {log_shown}: {e}\n"));
        }
        let lines = judge::lines(&captured.output);
        let verdict = judge::judge(run.spec, &lines, captured.ending);
        let passed = verdict.passed() && details.is_empty();
        if run.must_fail {
            // An exercise tree: the test checks code that is missing, so it must fail.
            if passed {
                details.push_str(&format!(
                    "    the exercise's code is missing, yet the test passed: it does not check \
                     that code (log: {log_shown})\n"
                ));
            }
            return RunResult {
                passed: !passed && details.is_empty(),
                details,
                elapsed: captured.elapsed,
            };
        }
        if !passed {
            details.push_str(&report::failure(&verdict, &lines, &log_shown, "    "));
        }
        RunResult {
            passed,
            details,
            elapsed: captured.elapsed,
        }
    }
}

/// A failed run that never booted, with `why` (one or more lines) as its details.
pub fn failed(why: String) -> RunResult {
    let details = why.lines().map(|l| format!("    {l}\n")).collect();
    RunResult {
        passed: false,
        details,
        elapsed: Duration::ZERO,
    }
}

/// How QEMU ended, for logs.
fn describe(ending: Ending) -> String {
    match ending {
        Ending::Exited(Some(status)) => {
            format!("exit status {status} ({})", qemu::describe_status(status))
        }
        Ending::Exited(None) => "killed by a signal".to_string(),
        Ending::TimedOut(limit) => format!("timed out (limit {} s), killed", limit.as_secs()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_run_that_never_booted_fails_with_indented_details() {
        let result = failed("first\nsecond\n".to_string());
        assert!(!result.passed);
        assert_eq!(result.details, "    first\n    second\n");
    }

    #[test]
    fn logs_say_how_qemu_ended() {
        assert_eq!(
            describe(Ending::Exited(Some(3))),
            "exit status 3 (kernel panicked)"
        );
        assert_eq!(
            describe(Ending::TimedOut(Duration::from_secs(30))),
            "timed out (limit 30 s), killed"
        );
    }
}
