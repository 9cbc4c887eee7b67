//! Choosing the QEMU test runs for a tree: the tests whose `since` chapter is at most the tree's
//! chapter, narrowed by a name filter, one run per CPU count.

use crate::chapter_list::Chapter;
use crate::spec::TestSpec;

/// One boot of the kernel: a test at one CPU count.
#[derive(Debug, Clone, Copy)]
pub struct Run<'a> {
    pub spec: &'a TestSpec,
    pub cpus: u32,
}

impl Run<'_> {
    /// How results name the run: `hello [1 CPU]`, `spin [2 CPUs]`.
    pub fn label(&self) -> String {
        let plural = if self.cpus == 1 { "" } else { "s" };
        format!("{} [{} CPU{plural}]", self.spec.name, self.cpus)
    }

    /// The file name of the run's log: `hello-1cpu.log`.
    pub fn log_name(&self) -> String {
        format!("{}-{}cpu.log", self.spec.name, self.cpus)
    }
}

/// Does `spec` apply to the tree of `chapter` (`None`: `kernel-final`, to which every test
/// applies)?
pub fn applies(spec: &TestSpec, chapter: Option<u32>) -> bool {
    chapter.is_none_or(|n| spec.since <= n)
}

/// Does a test called `name` pass the command line's filter (a substring of test names)?
pub fn matches(name: &str, filter: Option<&str>) -> bool {
    filter.is_none_or(|f| name.contains(f))
}

/// The runs for the tree of `chapter`, in spec order and then CPU-count order.
pub fn select<'a>(
    specs: &'a [TestSpec],
    chapter: Option<u32>,
    filter: Option<&str>,
) -> Vec<Run<'a>> {
    specs
        .iter()
        .filter(|s| applies(s, chapter) && matches(&s.name, filter))
        .flat_map(|spec| spec.cpus.iter().map(move |&cpus| Run { spec, cpus }))
        .collect()
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
            labels(&select(&specs, Some(3), None)),
            ["hello [1 CPU]", "hello [2 CPUs]", "yield [4 CPUs]"]
        );
        assert_eq!(select(&specs, None, None).len(), 4);
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
    fn logs_are_named_by_test_and_cpu_count() {
        let specs = specs();
        let runs = select(&specs, Some(0), None);
        assert_eq!(runs[1].log_name(), "hello-2cpu.log");
    }

    #[test]
    fn warns_about_tests_for_chapters_that_are_not_listed() {
        let chapters = crate::chapter_list::parse(
            "[[chapter]]\nnumber=0\ntitle='a'\ndefault_prog='hello'\n\
             [[chapter]]\nnumber=1\ntitle='b'\ndefault_prog='yield'",
        )
        .unwrap();
        let warnings = orphan_warnings(&specs(), &chapters);
        assert_eq!(warnings.len(), 1);
        assert!(warnings[0].contains("\"forktree\" has since = 9"));
    }
}
