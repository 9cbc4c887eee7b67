//! `cargo xtask bench [chapter-NN|final]`: the project's performance figures. Benchmarks, never
//! timed tests: they print numbers and fail only when a run itself fails.
//!
//! - **boot**: a warm `run` of chapter 0's default program, from the command to the first line
//!   the user program prints (the build is warm, so this is cargo's check plus the boot).
//! - **fork**: the same work done by a program that forks with eager copying (`dumbforkbench`,
//!   chapter 7's dumbfork) and with copy-on-write (`forkbench`, chapter 9's fork), on 1 and 4
//!   CPUs: the pages each copied (the programs count them) and the time the environments ran in
//!   TSC ticks under QEMU's deterministic instruction counting (`-icount shift=0,sleep=off`), so
//!   the figure measures work, whatever else the machine is doing. The host's wall time is
//!   shown for information.

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Command, ExitCode, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use regex::Regex;

use crate::args::Args;
use crate::cargo;
use crate::process;
use crate::qemu::{self, Boot};
use crate::repo::Repo;
use crate::toolchain;
use crate::tree::{self, Tree};

/// The fork benchmark's programs: (program, what it shows).
const FORK_PROGRAMS: [(&str, &str); 2] = [
    ("dumbforkbench", "dumbfork (eager copy)"),
    ("forkbench", "fork (copy-on-write)"),
];
/// The CPU counts the fork benchmark runs on.
const FORK_CPUS: [u32; 2] = [1, 4];
/// QEMU's deterministic instruction counting: one instruction per virtual nanosecond, and no
/// sleeping to keep virtual time in step with real time.
const ICOUNT: [&str; 2] = ["-icount", "shift=0,sleep=off"];
/// The longest a benchmark run may take.
const LIMIT: Duration = Duration::from_secs(600);

pub fn main(repo: &Repo, args: Args) -> anyhow::Result<ExitCode> {
    let positionals = args.positionals(1)?;
    let chapters = repo.chapters()?;
    let fork_tree = match positionals.first() {
        Some(arg) => tree::resolve(repo, &chapters, arg)?,
        None => tree::resolve(repo, &chapters, "final")?,
    };
    let boot_tree = tree::resolve(repo, &chapters, "chapter-00")?;
    let qemu = qemu::find()?;
    toolchain::ensure(repo)?;

    println!("## boot: warm `cargo xtask run chapter-00` to the first user output");
    build(&boot_tree)?;
    let first_output = time_to_first_output(repo, &boot_tree)?;
    println!(
        "{:.2} s to `{}`",
        first_output.0.as_secs_f64(),
        first_output.1
    );
    println!();

    fork_tree.check_programs(&FORK_PROGRAMS.map(|(p, _)| p.to_string()))?;
    build(&fork_tree)?;
    println!(
        "## fork: the same work, forked two ways ({}, -icount)",
        fork_tree.name
    );
    println!();
    println!("| program | CPUs | pages copied | TSC ticks | wall time |");
    println!("|---|---|---|---|---|");
    for (program, label) in FORK_PROGRAMS {
        for cpus in FORK_CPUS {
            let run = fork_run(&fork_tree, &qemu, program, cpus)?;
            println!(
                "| {label} | {cpus} | {} | {} | {:.1} s |",
                run.pages_copied,
                run.ticks,
                run.wall.as_secs_f64()
            );
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn build(tree: &Tree) -> anyhow::Result<()> {
    let status = cargo::in_tree(tree, &cargo::build_args(false))
        .status()
        .context("cannot run cargo")?;
    if !status.success() {
        bail!("building {} failed", tree.name);
    }
    Ok(())
}

/// Runs `cargo xtask run` for the tree's default program, as a person would, and times the
/// first line of user output. Returns the time and the line.
fn time_to_first_output(repo: &Repo, tree: &Tree) -> anyhow::Result<(Duration, String)> {
    let chapter = format!("chapter-{:02}", tree.chapter.unwrap_or(0));
    let start = Instant::now();
    let mut child = Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()))
        .args(["xtask", "run", &chapter])
        .current_dir(&repo.root)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .context("cannot run cargo xtask run")?;
    let stdout = child.stdout.take().context("no output pipe")?;
    let mut found = None;
    for line in BufReader::new(stdout).lines() {
        let line = line?;
        if is_user_output(&line) {
            found = Some((start.elapsed(), line));
            break;
        }
    }
    let _ = child.wait();
    found.with_context(|| format!("{chapter}: its program printed nothing"))
}

/// Whether a console line comes from a user program rather than the kernel (kernel lines start
/// with `[`, `SMP:`, `LAPIC:`, `CPU `, `Physical memory` or `kernel`).
fn is_user_output(line: &str) -> bool {
    const KERNEL: [&str; 7] = [
        "[",
        "SMP:",
        "LAPIC:",
        "CPU ",
        "Physical memory",
        "kernel",
        "No runnable",
    ];
    !line.trim().is_empty() && !KERNEL.iter().any(|k| line.starts_with(k))
}

/// What one fork-benchmark run reported.
#[derive(Debug, PartialEq, Eq)]
struct ForkRun {
    pages_copied: u64,
    ticks: u64,
    wall: Duration,
}

fn fork_run(tree: &Tree, qemu: &Path, program: &str, cpus: u32) -> anyhow::Result<ForkRun> {
    let kernel = tree.kernel_elf(false);
    let progs = [program.to_string()];
    let extra = ICOUNT.map(String::from);
    let boot = Boot {
        kernel: &kernel,
        progs: &progs,
        cpus,
        // `-icount` runs every CPU in one thread anyway.
        threads: qemu::Threads::Default,
        gdb: false,
        extra: &extra,
    };
    let mut cmd = Command::new(qemu);
    cmd.args(qemu::args(&boot));
    let captured = process::capture(cmd, Some(LIMIT)).context("cannot run QEMU")?;
    if captured.ending != process::Ending::Exited(Some(qemu::CLEAN)) {
        bail!(
            "{program} on {cpus} CPU(s) did not end cleanly:\n{}",
            captured.output
        );
    }
    let (pages_copied, ticks) = parse_fork_output(&captured.output).with_context(|| {
        format!(
            "{program} on {cpus} CPU(s): no figures in\n{}",
            captured.output
        )
    })?;
    Ok(ForkRun {
        pages_copied,
        ticks,
        wall: captured.elapsed,
    })
}

/// The pages copied (summed over every `pages copied: N` line: parent and children report their
/// own) and the kernel's tick count, from a run's output.
fn parse_fork_output(output: &str) -> Option<(u64, u64)> {
    let copied = Regex::new(r"pages copied: (\d+)").expect("valid regex");
    let ticks =
        Regex::new(r"^kernel: the environments ran for (\d+) TSC ticks").expect("valid regex");
    let mut pages = None::<u64>;
    let mut elapsed = None;
    for line in output.lines().map(|l| l.trim_end_matches('\r')) {
        if let Some(c) = copied.captures(line) {
            *pages.get_or_insert(0) += c[1].parse::<u64>().ok()?;
        }
        if let Some(c) = ticks.captures(line) {
            elapsed = Some(c[1].parse().ok()?);
        }
    }
    Some((pages?, elapsed?))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_the_figures() {
        let out = "[00001000] new env 00001001\r\npages copied: 3\r\nchild: pages copied: 2\n\
                   kernel: all 100 pages free again\nkernel: the environments ran for 12345 TSC ticks\n";
        assert_eq!(parse_fork_output(out), Some((5, 12345)));
        assert_eq!(parse_fork_output("pages copied: 3\n"), None, "no ticks");
        assert_eq!(
            parse_fork_output("kernel: the environments ran for 1 TSC ticks\n"),
            None
        );
    }

    #[test]
    fn tells_user_output_from_the_kernel() {
        assert!(is_user_output("hello, world"));
        assert!(!is_user_output("[00000000] new env 00001000"));
        assert!(!is_user_output("SMP: CPU 0 found 1 CPU(s)"));
        assert!(!is_user_output("Physical memory: 130944K available"));
        assert!(!is_user_output(""));
    }
}
