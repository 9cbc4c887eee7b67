//! The locks figure (chapter 13): the same lock-heavy workload, `lockstress` with a fixed number
//! of operations and the default seed, on the chapter that brought the lock statistics (13, one
//! big kernel lock) and the next one (14, smaller locks), on 1, 2 and 4 CPUs, side by side: the
//! workload's TSC ticks (the program times itself) and, per lock, the kernel's end-of-run counts
//! (`lockstat.rs`): acquisitions, those that waited, spins and ticks waiting.
//!
//! Every run is made twice, because neither way alone is honest about contention:
//! - **-icount** (as the other figures): deterministic, the same numbers every time, and TSC
//!   ticks count instructions. But `-icount` runs the virtual CPUs in turn in one host thread,
//!   so no two CPUs ever run at the same instant: a CPU finds a lock taken only when the holder
//!   was switched out while holding it, and a waiting CPU's `pause` hands the thread on. The
//!   waits are real interleavings, the ticks waiting are the other CPUs' instructions meanwhile.
//! - **free-running**: no `-icount`, and a host thread per virtual CPU when the host has a core
//!   for each (as `cargo xtask test` runs, `qemu::threads_for`): CPUs really run at once and
//!   fight over the lock's cache line, and TSC ticks follow the host's clock. That is the
//!   contention a lock change is meant to reduce, but it depends on the host's load, varies from
//!   run to run, and on more CPUs than host cores falls back to one thread anyway (the figure
//!   marks those rows).

use anyhow::Context;
use regex::Regex;

use super::{Bench, lines, wall};
use crate::cargo;
use crate::chapter_list;
use crate::qemu::{self, Threads};
use crate::tree::{self, Tree};

pub const PROGRAM: &str = "lockstress";
/// The chapter that brings the program and the lock statistics.
pub const SINCE: u32 = 13;
/// The kernel command line: a fixed workload, the program's default seed and workers.
const WORDS: [&str; 2] = ["lockstress.ops=2000", PROGRAM];
/// The CPU counts each tree runs on.
const CPUS: [u32; 3] = [1, 2, 4];

pub fn print(bench: &Bench) -> anyhow::Result<()> {
    let available = tree::available(&bench.repo, &bench.chapters);
    let names = pick_trees(&available)?;
    let trees = names
        .iter()
        .map(|n| tree::resolve(&bench.repo, &bench.chapters, n))
        .collect::<anyhow::Result<Vec<Tree>>>()?;
    let kernels = trees
        .iter()
        .map(|t| cargo::build_kernel(t, false))
        .collect::<anyhow::Result<Vec<_>>>()?;
    let tree_names: Vec<&str> = trees.iter().map(|t| t.name.as_str()).collect();
    println!(
        "## locks: `{}` on {}, per lock: waited of taken, spins, TSC ticks waiting",
        WORDS.join(" "),
        tree_names.join(" and ")
    );
    for icount in [true, false] {
        println!();
        println!(
            "{}",
            if icount {
                "### -icount: CPUs in turn in one thread, deterministic"
            } else {
                "### free-running: a thread per CPU where the host has the cores, host clock"
            }
        );
        println!();
        println!("| CPUs | figure | {} |", tree_names.join(" | "));
        println!("|---|---|{}", "---|".repeat(trees.len()));
        for cpus in CPUS {
            let mut runs = Vec::new();
            for (tree, kernel) in tree_names.iter().zip(&kernels) {
                let run = bench.run_kernel(kernel, &WORDS, cpus, icount)?;
                let figures = parse(&run.output).with_context(|| {
                    format!(
                        "{PROGRAM} on {tree}, {cpus} CPU(s): no figures in\n{}",
                        run.output
                    )
                })?;
                runs.push((figures, run.wall));
            }
            let one_thread =
                !icount && qemu::threads_for(cpus, qemu::host_cores()) == Threads::Single;
            print_rows(cpus, one_thread, &runs);
        }
    }
    Ok(())
}

/// The table rows of one CPU count: the workload's ticks, then each lock any tree reported, in
/// the order they first appear (a tree without the lock shows `-`).
fn print_rows(cpus: u32, one_thread: bool, runs: &[(Figures, std::time::Duration)]) {
    let label = if one_thread {
        format!("{cpus} (one thread)")
    } else {
        cpus.to_string()
    };
    let cells: Vec<String> = runs
        .iter()
        .map(|(f, w)| format!("{} ({})", f.ticks, wall(*w)))
        .collect();
    println!(
        "| {label} | {PROGRAM} ticks (wall time) | {} |",
        cells.join(" | ")
    );
    let mut names: Vec<&str> = Vec::new();
    for (f, _) in runs {
        for lock in &f.locks {
            if !names.contains(&lock.name.as_str()) {
                names.push(&lock.name);
            }
        }
    }
    for name in names {
        let cells: Vec<String> = runs
            .iter()
            .map(|(f, _)| match f.locks.iter().find(|l| l.name == name) {
                Some(l) => format!(
                    "{} of {}, {} spins, {} ticks",
                    l.waited, l.taken, l.spins, l.ticks
                ),
                None => "-".to_string(),
            })
            .collect();
        println!("| {label} | {name} | {} |", cells.join(" | "));
    }
}

/// The names (as `tree::resolve` takes them) of the two trees to compare, chapter [`SINCE`] and
/// the next, if both exist (`tree::available`).
fn pick_trees(available: &[String]) -> anyhow::Result<Vec<String>> {
    let names = [SINCE, SINCE + 1].map(chapter_list::dir_name);
    if let Some(missing) = names.iter().find(|n| !available.contains(n)) {
        anyhow::bail!(
            "the locks figure needs {missing}, which does not exist (`cargo xtask split`)"
        );
    }
    Ok(names.to_vec())
}

/// What one run reports: the program's ticks, and the kernel's lock lines.
#[derive(Debug, PartialEq)]
struct Figures {
    ticks: u64,
    locks: Vec<LockCounts>,
}

/// One `lock NAME: ...` line of the kernel's end-of-run report.
#[derive(Debug, PartialEq)]
struct LockCounts {
    name: String,
    taken: u64,
    waited: u64,
    spins: u64,
    ticks: u64,
}

fn parse(output: &str) -> Option<Figures> {
    let done = Regex::new(r"^lockstress: \d+ operations by \d+ environments in (\d+) ticks$")
        .expect("valid regex");
    let lock =
        Regex::new(r"^lock (.+): (\d+) taken, (\d+) waited, (\d+) spins, (\d+) ticks waiting$")
            .expect("valid regex");
    let d = lines(output).find_map(|l| done.captures(l))?;
    let mut locks = Vec::new();
    for c in lines(output).filter_map(|l| lock.captures(l)) {
        locks.push(LockCounts {
            name: c[1].to_string(),
            taken: c[2].parse().ok()?,
            waited: c[3].parse().ok()?,
            spins: c[4].parse().ok()?,
            ticks: c[5].parse().ok()?,
        });
    }
    Some(Figures {
        ticks: d[1].parse().ok()?,
        locks,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_the_program_and_the_locks() {
        let out = "lockstress: seed 1, 2000 operations, 8 workers\r\nlockstress: 2000 operations \
                   by 402 environments in 3497 ticks\r\nlock big kernel lock: 19 taken, 18 \
                   waited, 39 spins, 99 ticks waiting\r\nlock frame table: 21 taken, 0 waited, 0 \
                   spins, 0 ticks waiting\r\n";
        let f = parse(out).unwrap();
        assert_eq!(f.ticks, 3497);
        assert_eq!(
            f.locks[0],
            LockCounts {
                name: "big kernel lock".to_string(),
                taken: 19,
                waited: 18,
                spins: 39,
                ticks: 99
            }
        );
        assert_eq!(f.locks[1].name, "frame table");
        assert_eq!(
            parse("lock x: 1 taken, 0 waited, 0 spins, 0 ticks waiting\n"),
            None
        );
    }

    #[test]
    fn compares_chapter_13_with_chapter_14() {
        let names = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        let trees = pick_trees(&names(&["chapter-13", "chapter-14", "chapter-15", "final"]));
        assert_eq!(trees.unwrap(), names(&["chapter-13", "chapter-14"]));
        assert!(pick_trees(&names(&["chapter-13", "final"])).is_err());
    }
}
