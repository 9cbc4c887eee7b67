//! `cargo xtask test [CHAPTER] [FILTER]`: the whole test suite: the tooling workspace's checks,
//! and for each tree (every generated chapter, or the one named) its static checks, its host unit
//! tests and its QEMU tests; then each chapter's exercise tree ([`crate::exercises`]: clippy,
//! and the chapter's tests, which must fail there, and a test of each earlier chapter, which
//! must pass). `exercise-NN` as the chapter tests that exercise tree alone, `exercises` all of
//! them. Every check and every QEMU run counts as one test; the last line
//! printed is `N passed, M failed`. How the work is spread over the machine is [`crate::suite`]'s.

use std::process::ExitCode;
use std::time::{Duration, Instant};

use crate::args::Args;
use crate::cargo;
use crate::checks::{self, Check};
use crate::error::user_error;
use crate::exercises;
use crate::plan;
use crate::qemu;
use crate::repo::Repo;
use crate::spec;
use crate::stage::Stage;
use crate::suite::{Report, Suite, TreeWork};
use crate::toolchain;
use crate::tree;

/// How many of the slowest tests the summary lists.
const SLOWEST: usize = 5;

/// The tally of results.
#[derive(Default)]
struct Tally {
    passed: usize,
    failed: Vec<String>,
    /// Every test's time and name (`[scope] name`), for the slowest ones (a reused QEMU run,
    /// which took no time, is left out).
    times: Vec<(Duration, String)>,
}

impl Tally {
    /// Prints one result line (and, for a failure, its details) and counts it. A QEMU run that
    /// was not made again shows `reused`, whose verdict it has, instead of its time.
    fn record(
        &mut self,
        scope: &str,
        name: &str,
        passed: bool,
        elapsed: Duration,
        details: &str,
        reused: Option<&str>,
    ) {
        let word = if passed { "ok" } else { "FAILED" };
        match reused {
            Some(note) => println!("[{scope}] {name}: {word} ({note})"),
            None => println!("[{scope}] {name}: {word} ({:.1} s)", elapsed.as_secs_f64()),
        }
        if reused.is_none() {
            self.times.push((elapsed, format!("[{scope}] {name}")));
        }
        if passed {
            self.passed += 1;
        } else {
            print!("{details}");
            self.failed.push(format!("[{scope}] {name}"));
        }
    }

    /// The `n` slowest tests, slowest first (ties in report order).
    fn slowest(&self, n: usize) -> Vec<&(Duration, String)> {
        let mut times: Vec<&(Duration, String)> = self.times.iter().collect();
        times.sort_by_key(|t| std::cmp::Reverse(t.0));
        times.truncate(n);
        times
    }
}

pub fn main(repo: &Repo, args: Args) -> anyhow::Result<ExitCode> {
    let start = Instant::now();
    args.no_passthrough()?;
    let mut positionals = args.positionals(2)?.into_iter();
    let first = positionals.next();
    let (chapter, filter) = match first {
        Some(first) if tree::looks_like_chapter(&first) || first.starts_with("exercise") => {
            (Some(first), positionals.next())
        }
        Some(first) => match positionals.next() {
            // Two arguments: the first must be a chapter, and `resolve` says why it is not.
            Some(second) => (Some(first), Some(second)),
            None => (None, Some(first)),
        },
        None => (None, None),
    };
    let filter = filter.as_deref();

    let chapters = repo.chapters()?;
    // `exercise-07` tests chapter 7's exercise tree alone; `chapter-07` the chapter and its
    // exercise tree; no argument every chapter and every exercise tree.
    let exercise_only = match chapter.as_deref() {
        Some("exercises") => Some(None),
        Some(arg) => arg
            .strip_prefix("exercise-")
            .map(|n| {
                n.parse::<u32>()
                    .map(Some)
                    .map_err(|_| user_error(format!("'{arg}': expected exercise-NN")))
            })
            .transpose()?,
        None => None,
    };
    let trees = match (&chapter, exercise_only) {
        (_, Some(_)) => Vec::new(),
        (Some(arg), None) => vec![tree::resolve(repo, &chapters, arg)?],
        (None, None) => tree::chapter_trees(repo, &chapters),
    };
    let specs = spec::load(&repo.qemu_tests(), "tests/qemu")?;
    for warning in plan::orphan_warnings(&specs, &chapters) {
        eprintln!("{warning}");
    }
    toolchain::ensure(repo)?;
    let exercise_trees = match (&chapter, exercise_only) {
        (_, Some(n)) => exercises::refresh(repo, &chapters, n)?,
        (Some(_), None) => match trees.first().and_then(|t| t.chapter) {
            Some(n) => exercises::refresh(repo, &chapters, Some(n))?,
            None => Vec::new(),
        },
        (None, None) => exercises::refresh(repo, &chapters, None)?,
    };
    let any_runs = trees
        .iter()
        .any(|t| !plan::select(&specs, t.chapter, filter).is_empty())
        || !exercise_trees.is_empty();
    let qemu = if any_runs { Some(qemu::find()?) } else { None };
    if trees.is_empty() && exercise_trees.is_empty() {
        eprintln!(
            "note: no chapter has been generated yet (`cargo xtask split`); testing the tooling only"
        );
    }

    let host = if trees.is_empty() && exercise_trees.is_empty() {
        String::new()
    } else {
        cargo::host_triple()?
    };
    let stage = Stage::new(repo);
    // The whole suite repeats a test only where a race it looks for is most likely new (its own
    // chapter) and where every change has arrived (the last chapter); the chapters in between
    // run it once at each CPU count. One chapter tested alone runs every repeat.
    let last = trees.iter().filter_map(|t| t.chapter).max();
    let whole_suite = chapter.is_none();
    let mut trees = trees
        .into_iter()
        .map(|tree| {
            let packages = crate::stage::workspace_packages(&tree.dir)?;
            let mut runs = plan::select(&specs, tree.chapter, filter);
            if whole_suite {
                runs.retain(|run| plan::repeats_in(run, tree.chapter, last));
            }
            Ok(TreeWork {
                checks: filtered(checks::tree_checks(&tree, &stage, &packages, &host), filter),
                runs,
                tree,
            })
        })
        .collect::<anyhow::Result<Vec<_>>>()?;
    for tree in exercise_trees {
        let packages = crate::stage::workspace_packages(&tree.dir)?;
        let number = tree.chapter.unwrap_or_default();
        trees.push(TreeWork {
            checks: filtered(checks::exercise_checks(&tree, &stage, &packages), filter),
            runs: plan::exercise_runs(&specs, number, filter),
            tree,
        });
    }
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
            reused,
        } => tally.record(&scope, &name, passed, elapsed, &details, reused.as_deref()),
        Report::Note(text) => print!("{text}"),
    });
    Ok(summarize(&tally, filter, start.elapsed()))
}

/// The checks whose names pass `filter`.
fn filtered(checks: Vec<Check>, filter: Option<&str>) -> Vec<Check> {
    checks
        .into_iter()
        .filter(|c| plan::matches(c.name, filter))
        .collect()
}

/// Prints the slowest tests, the total wall time, the failures and the closing
/// `N passed, M failed` line; returns the exit status.
fn summarize(tally: &Tally, filter: Option<&str>, wall: Duration) -> ExitCode {
    print!("{}", timing(tally, wall));
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

/// The slowest tests and the total wall time, for the end of the report.
fn timing(tally: &Tally, wall: Duration) -> String {
    let mut text = String::new();
    let slowest = tally.slowest(SLOWEST);
    if !slowest.is_empty() {
        text.push_str(&format!("\nslowest {}:\n", slowest.len()));
        for (elapsed, name) in slowest {
            text.push_str(&format!("{:>8.1} s  {name}\n", elapsed.as_secs_f64()));
        }
    }
    text.push_str(&format!("total wall time: {:.1} s\n", wall.as_secs_f64()));
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_summary_lists_the_slowest_tests_and_the_wall_time() {
        let mut tally = Tally::default();
        let secs = Duration::from_secs_f64;
        for (name, time) in [("a", 0.5), ("b", 3.0), ("c", 0.1), ("d", 2.0), ("e", 3.0)] {
            tally.record("chapter-01", name, true, secs(time), "", None);
        }
        tally.record("workspace", "f", false, secs(1.0), "    why\n", None);
        tally.record("chapter-02", "g", true, Duration::ZERO, "", Some("reused"));
        assert_eq!(
            timing(&tally, secs(75.25)),
            "\nslowest 5:\n     3.0 s  [chapter-01] b\n     3.0 s  [chapter-01] e\n     \
             2.0 s  [chapter-01] d\n     1.0 s  [workspace] f\n     0.5 s  [chapter-01] a\n\
             total wall time: 75.2 s\n"
        );
        assert_eq!((tally.passed, tally.failed.len()), (6, 1));
        assert_eq!(tally.times.len(), 6, "the reused run took no time");
        assert_eq!(
            timing(&Tally::default(), secs(0.04)),
            "total wall time: 0.0 s\n"
        );
    }
}
