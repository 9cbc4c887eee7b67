//! `cargo xtask bench [chapter-NN|final] [--figure NAME]...`: the project's performance figures
//! (`--figure` picks some by the names below). Benchmarks, never timed tests: they print numbers
//! and fail only when a run itself fails.
//!
//! - **boot** ([`boot`]): a warm `run` of chapter 0's default program, from the command to the
//!   first line the user program prints (the build is warm, so this is cargo's check plus the
//!   boot).
//! - **syscall**, **yield**, **upcall** ([`micro`], chapters 0, 6 and 8): a null system call,
//!   a switch by `sys_yield`, a page fault through the user's handler.
//! - **fork** ([`fork`], chapter 9): the same work forked with eager copying and with
//!   copy-on-write, on 1 and 4 CPUs.
//! - **forkscale** ([`forkscale`], chapter 9): a fork's pages copied and ticks against the
//!   heap's size and the pages the child writes, eager copying against copy-on-write.
//! - **slice** ([`slice`], chapter 10): what a timer interrupt costs, with and without a switch
//!   to another environment, on 1 CPU.
//! - **ipc** ([`ipc`], chapter 11): an IPC round trip between two environments, on 1 and 2 CPUs.
//! - **crosscall** ([`crosscall`], chapter 12): a synchronous cross-call there and back, from
//!   the boot CPU to a CPU that answers while it spins, on 2 CPUs.
//! - **tlb** ([`tlb`], chapter 13): unmapping a page of an address space loaded on 1, 2 and 4
//!   CPUs, each unmap a shootdown to the others.
//! - **locks** ([`locks`], chapter 13): the lock-heavy `lockstress` on chapter 13 (the big
//!   kernel lock) and chapter 14 (its smaller locks), on 1, 2 and 4 CPUs: the workload's ticks
//!   and each lock's waits, side by side, with and without `-icount`.
//!
//! All but the first and the last run the tree named on the command line (the final kernel by
//! default) under QEMU's deterministic instruction counting (`-icount shift=0,sleep=off`) and
//! count TSC ticks, so the figures measure work, whatever else the machine is doing: the same
//! tree gives the same numbers every time. A figure whose programs the tree does not have yet is
//! skipped. The host's wall time is shown for information. The **locks** figure compares two
//! trees of its own, and runs them without `-icount` too (its documentation says why).

mod boot;
mod crosscall;
mod fork;
mod forkscale;
mod ipc;
mod locks;
mod micro;
mod slice;
mod tlb;

use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};
use std::time::Duration;

use anyhow::{Context, bail};

use crate::args::Args;
use crate::cargo;
use crate::chapter_list::Chapter;
use crate::error::user_error;
use crate::process;
use crate::qemu::{self, Boot};
use crate::repo::Repo;
use crate::toolchain;
use crate::tree::{self, Tree};

/// QEMU's deterministic instruction counting: one instruction per virtual nanosecond, and no
/// sleeping to keep virtual time in step with real time.
const ICOUNT: [&str; 2] = ["-icount", "shift=0,sleep=off"];
/// The longest a benchmark run may take.
const LIMIT: Duration = Duration::from_secs(600);

/// A figure measured on the tree named on the command line.
struct Figure {
    /// Its name, for `--figure`.
    name: &'static str,
    /// The programs it runs (it is skipped when the tree lacks one).
    programs: &'static [&'static str],
    /// The chapter that brings them, for the message when it is skipped.
    since: u32,
    /// Prints the figure's heading and table.
    print: fn(&Bench) -> anyhow::Result<()>,
}

const FIGURES: [Figure; 10] = [
    Figure {
        name: "syscall",
        programs: &[micro::SYSCALL],
        since: 0,
        print: micro::print_syscall,
    },
    Figure {
        name: "yield",
        programs: &[micro::YIELD],
        since: 6,
        print: micro::print_yield,
    },
    Figure {
        name: "upcall",
        programs: &[micro::UPCALL],
        since: 8,
        print: micro::print_upcall,
    },
    Figure {
        name: "fork",
        programs: &fork::PROGRAMS,
        since: 9,
        print: fork::print,
    },
    Figure {
        name: "forkscale",
        programs: &forkscale::PROGRAMS,
        since: 9,
        print: forkscale::print,
    },
    Figure {
        name: "slice",
        programs: &[slice::PROGRAM],
        since: 10,
        print: slice::print,
    },
    Figure {
        name: "ipc",
        programs: &[ipc::PROGRAM],
        since: 11,
        print: ipc::print,
    },
    // A kernel self-test: `crosscall::print` says when the tree's kernel lacks it.
    Figure {
        name: "crosscall",
        programs: &["hello"],
        since: 12,
        print: crosscall::print,
    },
    Figure {
        name: "tlb",
        programs: &[tlb::PROGRAM],
        since: 13,
        print: tlb::print,
    },
    Figure {
        name: "locks",
        programs: &[locks::PROGRAM],
        since: locks::SINCE,
        print: locks::print,
    },
];

/// The built tree the figures run on, and QEMU; the repository and its chapters, for a figure
/// that compares trees of its own.
struct Bench {
    tree: Tree,
    kernel: PathBuf,
    qemu: PathBuf,
    repo: Repo,
    chapters: Vec<Chapter>,
}

pub fn main(repo: &Repo, mut args: Args) -> anyhow::Result<ExitCode> {
    let only = args.values("figure")?;
    if let Some(unknown) = only
        .iter()
        .find(|o| *o != "boot" && !FIGURES.iter().any(|f| f.name == *o))
    {
        let names: Vec<&str> = FIGURES.iter().map(|f| f.name).collect();
        return Err(user_error(format!(
            "unknown figure '{unknown}': the figures are boot, {}",
            names.join(", ")
        )));
    }
    let wanted = |name: &str| only.is_empty() || only.iter().any(|o| o == name);
    let positionals = args.positionals(1)?;
    let chapters = repo.chapters()?;
    let tree = match positionals.first() {
        Some(arg) => tree::resolve(repo, &chapters, arg)?,
        None => tree::resolve(repo, &chapters, "final")?,
    };
    let boot_tree = tree::resolve(repo, &chapters, "chapter-00")?;
    let qemu = qemu::find()?;
    toolchain::ensure(repo)?;
    let programs = tree.programs()?;

    if wanted("boot") {
        boot::print(repo, &boot_tree)?;
    }

    let bench = Bench {
        kernel: cargo::build_kernel(&tree, false)?,
        tree,
        qemu,
        repo: repo.clone(),
        chapters,
    };
    for figure in FIGURES.iter().filter(|f| wanted(f.name)) {
        println!();
        match figure
            .programs
            .iter()
            .find(|p| !programs.iter().any(|q| q == *p))
        {
            Some(missing) => println!(
                "(skipped: {} has no `{missing}`, which chapter {} brings)",
                bench.tree.name, figure.since
            ),
            None => (figure.print)(&bench)?,
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// One clean run under `-icount`: its console output and the host's wall time.
struct Run {
    output: String,
    wall: Duration,
}

impl Bench {
    /// Boots the tree's kernel under `-icount` with the kernel command line `words` on `cpus`
    /// CPUs, and fails unless the kernel finishes cleanly.
    fn run(&self, words: &[&str], cpus: u32) -> anyhow::Result<Run> {
        self.run_kernel(&self.kernel, words, cpus, true)
    }

    /// Boots `kernel` as [`Bench::run`] does, under `-icount` if `icount`, else free-running
    /// with the threading `cargo xtask test` uses ([`qemu::threads_for`]).
    fn run_kernel(
        &self,
        kernel: &Path,
        words: &[&str],
        cpus: u32,
        icount: bool,
    ) -> anyhow::Result<Run> {
        let progs: Vec<String> = words.iter().map(|w| w.to_string()).collect();
        let (extra, threads) = if icount {
            // `-icount` runs every CPU in one thread anyway.
            (ICOUNT.map(String::from).to_vec(), qemu::Threads::Default)
        } else {
            (Vec::new(), qemu::threads_for(cpus, qemu::host_cores()))
        };
        let boot = Boot {
            kernel,
            progs: &progs,
            cpus,
            threads,
            gdb: false,
            extra: &extra,
        };
        let mut cmd = Command::new(&self.qemu);
        cmd.args(qemu::args(&boot));
        let captured = process::capture(cmd, Some(LIMIT)).context("cannot run QEMU")?;
        if captured.ending != process::Ending::Exited(Some(qemu::CLEAN)) {
            bail!(
                "`{}` on {cpus} CPU(s) did not end cleanly:\n{}",
                words.join(" "),
                captured.output
            );
        }
        Ok(Run {
            output: captured.output,
            wall: captured.elapsed,
        })
    }
}

impl Run {
    /// The output's lines, without the serial console's carriage returns.
    fn lines(&self) -> impl Iterator<Item = &str> {
        lines(&self.output)
    }
}

fn lines(output: &str) -> impl Iterator<Item = &str> {
    output.lines().map(|l| l.trim_end_matches('\r'))
}

/// The table cell for a wall time.
fn wall(time: Duration) -> String {
    format!("{:.1} s", time.as_secs_f64())
}
