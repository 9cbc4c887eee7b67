//! Choosing the QEMU test runs for a tree: the tests whose `since` chapter is at most the tree's
//! chapter, narrowed by a name filter, `repeat` runs per CPU count; and for an exercise tree
//! ([`exercise_runs`]), a few runs that must fail and a few that must pass.

use crate::chapter_list::Chapter;
use crate::spec::TestSpec;

/// One boot of the kernel: a test at one CPU count (one of its `repeat` runs there).
#[derive(Debug, Clone, Copy)]
pub struct Run<'a> {
    pub spec: &'a TestSpec,
    pub cpus: u32,
    /// Which of the test's `repeat` runs at this CPU count it is, from 1.
    pub attempt: u32,
    /// In an exercise tree: the run passes when the test *fails* (the code it checks is missing).
    pub must_fail: bool,
}

impl Run<'_> {
    /// How results name the run: `hello [1 CPU]`, `spin [2 CPUs]`; a repeated test's runs are
    /// numbered: `aps-start-4cpu [4 CPUs] #2`.
    pub fn label(&self) -> String {
        let plural = if self.cpus == 1 { "" } else { "s" };
        let label = format!("{} [{} CPU{plural}]", self.spec.name, self.cpus);
        let label = if self.spec.repeat > 1 {
            format!("{label} #{}", self.attempt)
        } else {
            label
        };
        if self.must_fail {
            format!("{label} must fail")
        } else {
            label
        }
    }

    /// The file name of the run's log: `hello-1cpu.log`; for a repeated test
    /// `aps-start-4cpu-4cpu-2.log`.
    pub fn log_name(&self) -> String {
        if self.spec.repeat > 1 {
            format!("{}-{}cpu-{}.log", self.spec.name, self.cpus, self.attempt)
        } else {
            format!("{}-{}cpu.log", self.spec.name, self.cpus)
        }
    }
}

/// Does `spec` apply to the tree of `chapter` (`None`: `kernel-final`, to which every test
/// applies)?
pub fn applies(spec: &TestSpec, chapter: Option<u32>) -> bool {
    chapter.is_none_or(|n| spec.since <= n)
}

/// Whether `run` is made in the tree of `chapter` when the whole suite runs, whose last chapter
/// is `last`: every run of a test in its own chapter and in the last, only the first of its
/// repeats in the chapters between.
pub fn repeats_in(run: &Run, chapter: Option<u32>, last: Option<u32>) -> bool {
    run.attempt == 1 || chapter.is_none_or(|n| n == run.spec.since || Some(n) == last)
}

/// Does a test called `name` pass the command line's filter (a substring of test names)?
pub fn matches(name: &str, filter: Option<&str>) -> bool {
    filter.is_none_or(|f| name.contains(f))
}

/// The runs for the tree of `chapter`, in spec order, then CPU-count order, then attempt order.
pub fn select<'a>(
    specs: &'a [TestSpec],
    chapter: Option<u32>,
    filter: Option<&str>,
) -> Vec<Run<'a>> {
    let mut runs = Vec::new();
    for spec in specs {
        if !(applies(spec, chapter) && matches(&spec.name, filter)) {
            continue;
        }
        for &cpus in &spec.cpus {
            for attempt in 1..=spec.repeat {
                runs.push(Run {
                    spec,
                    cpus,
                    attempt,
                    must_fail: false,
                });
            }
        }
    }
    runs
}

/// The runs that check chapter `chapter`'s exercise tree, once each at the test's first CPU
/// count: every test of the chapter itself, which must fail (its code is missing) unless it
/// says it does not need that code (`needs_exercise = false`), and as a smoke test of the rest,
/// the first test of each earlier chapter, which must pass, unless it says that this exercise
/// may fail it (`may_fail_in`), in which case it is left out.
pub fn exercise_runs<'a>(
    specs: &'a [TestSpec],
    chapter: u32,
    filter: Option<&str>,
) -> Vec<Run<'a>> {
    let mut earlier: Vec<u32> = Vec::new();
    let mut runs = Vec::new();
    for spec in specs {
        let own = spec.since == chapter;
        let must_fail = own && spec.needs_exercise;
        let first_of_its_chapter = spec.since < chapter && !earlier.contains(&spec.since);
        if first_of_its_chapter {
            earlier.push(spec.since);
        }
        let wanted = own || (first_of_its_chapter && !spec.may_fail_in.contains(&chapter));
        if wanted && matches(&spec.name, filter) {
            runs.push(Run {
                spec,
                cpus: spec.cpus[0],
                attempt: 1,
                must_fail,
            });
        }
    }
    runs
}

/// Warnings for tests whose `since` is not a chapter of `chapters.toml`: such a test runs only
/// against `kernel-final` (and later chapters, once they exist).
pub fn orphan_warnings(specs: &[TestSpec], chapters: &[Chapter]) -> Vec<String> {
    specs
        .iter()
        .filter(|s| !chapters.iter().any(|c| c.number == s.since))
        .map(|s| {
            format!(
                "warning: {}: test \"{}\" has since = {}, which is not a chapter in chapters.toml",
                s.file, s.name, s.since
            )
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::spec::parse_all;

    fn specs() -> Vec<TestSpec> {
        let text = r#"
            [[test]]
            name = "hello"
            prog = "hello"
            since = 0
            cpus = [1, 2]

            [[test]]
            name = "yield"
            prog = "yield yield"
            since = 1
            cpus = [4]

            [[test]]
            name = "forktree"
            prog = "forktree"
            since = 9

            [[test]]
            name = "spin"
            prog = "spin"
            since = 2
            cpus = [2, 4]
            repeat = 2
        "#;
        parse_all(&[("t.toml".to_string(), text.to_string())]).unwrap()
    }

    fn labels(runs: &[Run]) -> Vec<String> {
        runs.iter().map(Run::label).collect()
    }

    #[test]
    fn a_test_applies_from_its_chapter_on() {
        let specs = specs();
        assert_eq!(
            labels(&select(&specs, Some(0), None)),
            ["hello [1 CPU]", "hello [2 CPUs]"]
        );
        assert_eq!(
            labels(&select(&specs, Some(1), None)),
            ["hello [1 CPU]", "hello [2 CPUs]", "yield [4 CPUs]"]
        );
        assert_eq!(select(&specs, None, None).len(), 8);
    }

    #[test]
    fn the_filter_is_a_substring_of_test_names() {
        let specs = specs();
        assert_eq!(
            labels(&select(&specs, None, Some("ork"))),
            ["forktree [1 CPU]"]
        );
        assert!(select(&specs, Some(0), Some("fork")).is_empty());
        assert!(matches("anything", None));
    }

    #[test]
    fn the_whole_suite_repeats_a_test_in_its_own_chapter_and_the_last() {
        let specs = specs();
        let count = |chapter| {
            select(&specs, Some(chapter), Some("spin"))
                .iter()
                .filter(|run| repeats_in(run, Some(chapter), Some(4)))
                .count()
        };
        // `spin` (since 2) runs twice at each of its 2 CPU counts in chapters 2 and 4.
        assert_eq!([count(2), count(3), count(4)], [4, 2, 4]);
    }

    #[test]
    fn logs_are_named_by_test_and_cpu_count() {
        let specs = specs();
        let runs = select(&specs, Some(0), None);
        assert_eq!(runs[1].log_name(), "hello-2cpu.log");
    }

    #[test]
    fn a_repeated_test_runs_that_often_at_each_cpu_count() {
        let specs = specs();
        let runs = select(&specs, Some(2), Some("spin"));
        assert_eq!(
            labels(&runs),
            [
                "spin [2 CPUs] #1",
                "spin [2 CPUs] #2",
                "spin [4 CPUs] #1",
                "spin [4 CPUs] #2"
            ]
        );
        let logs: Vec<String> = runs.iter().map(Run::log_name).collect();
        assert_eq!(
            logs,
            [
                "spin-2cpu-1.log",
                "spin-2cpu-2.log",
                "spin-4cpu-1.log",
                "spin-4cpu-2.log"
            ]
        );
    }

    #[test]
    fn an_exercise_tree_runs_its_chapter_s_tests_once_and_one_test_of_each_earlier_chapter() {
        let mut specs = specs();
        let runs = exercise_runs(&specs, 2, None);
        assert_eq!(
            labels(&runs),
            [
                "hello [1 CPU]",
                "yield [4 CPUs]",
                "spin [2 CPUs] #1 must fail"
            ]
        );
        specs[1].may_fail_in = vec![2];
        specs[3].needs_exercise = false;
        assert_eq!(
            labels(&exercise_runs(&specs, 2, None)),
            ["hello [1 CPU]", "spin [2 CPUs] #1"]
        );
        assert_eq!(labels(&exercise_runs(&specs, 2, Some("spin"))).len(), 1);
    }

    #[test]
    fn warns_about_tests_for_chapters_that_are_not_listed() {
        let chapters = crate::chapter_list::parse(
            "[[chapter]]\nnumber=0\ntitle='a'\ndefault_prog='hello'\n\
             [[chapter]]\nnumber=1\ntitle='b'\ndefault_prog='yield'\n\
             [[chapter]]\nnumber=2\ntitle='c'\ndefault_prog='spin'",
        )
        .unwrap();
        let warnings = orphan_warnings(&specs(), &chapters);
        assert_eq!(warnings.len(), 1);
        assert!(warnings[0].contains("\"forktree\" has since = 9"));
    }
}
