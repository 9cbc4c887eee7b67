//! `cargo xtask test [CHAPTER] [FILTER]`: the whole test suite. First the tooling workspace's
//! checks, then for each tree (every generated chapter, or the one named): its static checks, its
//! host unit tests, and its QEMU tests. Every check and every QEMU run counts as one test; the
//! last line printed is `N passed, M failed`.

use std::process::ExitCode;
use std::time::Duration;

use crate::args::Args;
use crate::cargo;
use crate::checks::{self, Check};
use crate::harness::{self, Bench};
use crate::plan;
use crate::qemu;
use crate::repo::Repo;
use crate::spec;
use crate::tree::{self, Tree};

/// The tally of results.
#[derive(Default)]
struct Tally {
    passed: usize,
    failed: Vec<String>,
}

impl Tally {
    /// Prints one result line (and, for a failure, its details) and counts it.
    fn record(&mut self, scope: &str, name: &str, passed: bool, elapsed: Duration, details: &str) {
        let word = if passed { "ok" } else { "FAILED" };
        let seconds = elapsed.as_secs_f64();
        println!("[{scope}] {name}: {word} ({seconds:.1} s)");
        if passed {
            self.passed += 1;
        } else {
            print!("{details}");
            self.failed.push(format!("[{scope}] {name}"));
        }
    }
}

pub fn main(repo: &Repo, args: Args) -> anyhow::Result<ExitCode> {
    args.no_passthrough()?;
    let mut positionals = args.positionals(2)?.into_iter();
    let first = positionals.next();
    let (chapter, filter) = match first {
        Some(first) if tree::looks_like_chapter(&first) => (Some(first), positionals.next()),
        Some(first) => match positionals.next() {
            // Two arguments: the first must be a chapter, and `resolve` says why it is not.
            Some(second) => (Some(first), Some(second)),
            None => (None, Some(first)),
        },
        None => (None, None),
    };
    let filter = filter.as_deref();

    let chapters = repo.chapters()?;
    let trees = match &chapter {
        Some(arg) => vec![tree::resolve(repo, &chapters, arg)?],
        None => tree::chapter_trees(repo, &chapters),
    };
    let specs = spec::load(&repo.qemu_tests(), "tests/qemu")?;
    for warning in plan::orphan_warnings(&specs, &chapters) {
        eprintln!("{warning}");
    }
    let any_runs = trees
        .iter()
        .any(|t| !plan::select(&specs, t.chapter, filter).is_empty());
    let qemu = if any_runs { Some(qemu::find()?) } else { None };
    if trees.is_empty() {
        eprintln!(
            "note: no chapter has been generated yet (`cargo xtask split`); testing the tooling only"
        );
    }

    let mut tally = Tally::default();
    run_checks(&mut tally, "workspace", checks::root_checks(repo), filter);
    let host = if trees.is_empty() {
        String::new()
    } else {
        cargo::host_triple()?
    };
    for tree in &trees {
        run_checks(
            &mut tally,
            &tree.name,
            checks::tree_checks(tree, &host),
            filter,
        );
        let runs = plan::select(&specs, tree.chapter, filter);
        if let (Some(qemu), false) = (&qemu, runs.is_empty()) {
            run_qemu_tests(&mut tally, repo, tree, qemu, &runs)?;
        }
    }
    Ok(summarize(&tally, filter))
}

/// Runs the checks whose names pass `filter`.
fn run_checks(tally: &mut Tally, scope: &str, checks: Vec<Check>, filter: Option<&str>) {
    for check in checks {
        if !plan::matches(check.name, filter) {
            continue;
        }
        let name = check.name;
        let outcome = checks::run(check);
        let details: String = outcome
            .output
            .lines()
            .map(|l| format!("    {l}\n"))
            .collect();
        tally.record(scope, name, outcome.passed, outcome.elapsed, &details);
    }
}

/// Builds `tree` and runs `runs` against it; if the build fails, every run fails.
fn run_qemu_tests(
    tally: &mut Tally,
    repo: &Repo,
    tree: &Tree,
    qemu: &std::path::Path,
    runs: &[plan::Run],
) -> anyhow::Result<()> {
    println!("[{}] building the kernel...", tree.name);
    let kernel = match harness::build(tree)? {
        Ok(kernel) => kernel,
        Err(output) => {
            println!("[{}] the kernel does not build:", tree.name);
            for line in output.lines() {
                println!("    {line}");
            }
            for run in runs {
                let why = "    not run: the kernel did not build\n";
                tally.record(&tree.name, &run.label(), false, Duration::ZERO, why);
            }
            return Ok(());
        }
    };
    let programs = tree.programs()?;
    let bench = Bench {
        repo,
        tree,
        qemu,
        kernel: &kernel,
        programs: &programs,
    };
    bench.run_all(runs, |run, result| {
        tally.record(
            &tree.name,
            &run.label(),
            result.passed,
            result.elapsed,
            &result.details,
        );
    });
    Ok(())
}

/// Prints the failures and the closing `N passed, M failed` line; returns the exit status.
fn summarize(tally: &Tally, filter: Option<&str>) -> ExitCode {
    if !tally.failed.is_empty() {
        println!("\nfailures:");
        for name in &tally.failed {
            println!("    {name}");
        }
    }
    let none = tally.passed == 0 && tally.failed.is_empty();
    if let (true, Some(filter)) = (none, filter) {
        eprintln!("no test name contains '{filter}'");
    }
    println!("{} passed, {} failed", tally.passed, tally.failed.len());
    if tally.failed.is_empty() && !none {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}
