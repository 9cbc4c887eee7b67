//! `cargo xtask test [CHAPTER] [FILTER]`: the whole test suite: the tooling workspace's checks,
//! and for each tree (every generated chapter, or the one named) its static checks, its host unit
//! tests and its QEMU tests. Every check and every QEMU run counts as one test; the last line
//! printed is `N passed, M failed`. How the work is spread over the machine is [`crate::suite`]'s.

use std::process::ExitCode;
use std::time::Duration;

use crate::args::Args;
use crate::cargo;
use crate::checks::{self, Check};
use crate::plan;
use crate::qemu;
use crate::repo::Repo;
use crate::spec;
use crate::stage::Stage;
use crate::suite::{Report, Suite, TreeWork};
use crate::toolchain;
use crate::tree;

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
    toolchain::ensure(repo)?;
    if trees.is_empty() {
        eprintln!(
            "note: no chapter has been generated yet (`cargo xtask split`); testing the tooling only"
        );
    }

    let host = if trees.is_empty() {
        String::new()
    } else {
        cargo::host_triple()?
    };
    let stage = Stage::new(repo);
    let trees = trees
        .into_iter()
        .map(|tree| {
            let packages = crate::stage::workspace_packages(&tree.dir)?;
            Ok(TreeWork {
                checks: filtered(checks::tree_checks(&tree, &stage, &packages, &host), filter),
                runs: plan::select(&specs, tree.chapter, filter),
                tree,
            })
        })
        .collect::<anyhow::Result<_>>()?;
    let suite = Suite {
        repo,
        stage,
        root_checks: filtered(checks::root_checks(repo), filter),
        trees,
        qemu: qemu.as_deref(),
    };
    let mut tally = Tally::default();
    suite.run(|report| match report {
        Report::Test {
            scope,
            name,
            passed,
            elapsed,
            details,
        } => tally.record(&scope, &name, passed, elapsed, &details),
        Report::Note(text) => print!("{text}"),
    });
    Ok(summarize(&tally, filter))
}

/// The checks whose names pass `filter`.
fn filtered(checks: Vec<Check>, filter: Option<&str>) -> Vec<Check> {
    checks
        .into_iter()
        .filter(|c| plan::matches(c.name, filter))
        .collect()
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
