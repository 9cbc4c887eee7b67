//! `cargo xtask bench [chapter-NN|final]`: the project's performance figures. Benchmarks, never
//! timed tests: they print numbers and fail only when a run itself fails.
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
//!
//! All but the first run the tree named on the command line (the final kernel by default) under
//! QEMU's deterministic instruction counting (`-icount shift=0,sleep=off`) and count TSC ticks,
//! so the figures measure work, whatever else the machine is doing: the same tree gives the same
//! numbers every time. A figure whose programs the tree does not have yet is skipped. The host's
//! wall time is shown for information.

mod boot;
mod crosscall;
mod fork;
mod forkscale;
mod ipc;
mod micro;
mod slice;
mod tlb;

use std::path::PathBuf;
use std::process::{Command, ExitCode};
use std::time::Duration;

use anyhow::{Context, bail};

use crate::args::Args;
use crate::cargo;
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
    /// The programs it runs (it is skipped when the tree lacks one).
    programs: &'static [&'static str],
    /// The chapter that brings them, for the message when it is skipped.
    since: u32,
    /// Prints the figure's heading and table.
    print: fn(&Bench) -> anyhow::Result<()>,
}

const FIGURES: [Figure; 9] = [
    Figure {
        programs: &[micro::SYSCALL],
        since: 0,
        print: micro::print_syscall,
    },
    Figure {
        programs: &[micro::YIELD],
        since: 6,
        print: micro::print_yield,
    },
    Figure {
        programs: &[micro::UPCALL],
        since: 8,
        print: micro::print_upcall,
    },
    Figure {
        programs: &fork::PROGRAMS,
        since: 9,
        print: fork::print,
    },
    Figure {
        programs: &forkscale::PROGRAMS,
        since: 9,
        print: forkscale::print,
    },
    Figure {
        programs: &[slice::PROGRAM],
        since: 10,
        print: slice::print,
    },
    Figure {
        programs: &[ipc::PROGRAM],
        since: 11,
        print: ipc::print,
    },
    // A kernel self-test: `crosscall::print` says when the tree's kernel lacks it.
    Figure {
        programs: &["hello"],
        since: 12,
        print: crosscall::print,
    },
    Figure {
        programs: &[tlb::PROGRAM],
        since: 13,
        print: tlb::print,
    },
];

/// The built tree the figures run on, and QEMU.
struct Bench {
    tree: Tree,
    kernel: PathBuf,
    qemu: PathBuf,
}

pub fn main(repo: &Repo, args: Args) -> anyhow::Result<ExitCode> {
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

    boot::print(repo, &boot_tree)?;

    let bench = Bench {
        kernel: cargo::build_kernel(&tree, false)?,
        tree,
        qemu,
    };
    for figure in &FIGURES {
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
        let progs: Vec<String> = words.iter().map(|w| w.to_string()).collect();
        let extra = ICOUNT.map(String::from);
        let boot = Boot {
            kernel: &self.kernel,
            progs: &progs,
            cpus,
            // `-icount` runs every CPU in one thread anyway.
            threads: qemu::Threads::Default,
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
