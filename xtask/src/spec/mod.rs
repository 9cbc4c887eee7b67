//! The QEMU test specifications in `tests/qemu/*.toml` (the format is in CONTRIBUTING.md):
//! parsing and validating them. Every problem in every file is reported at once, each naming the
//! file and the test, so a broken spec never silently drops a test.

mod fields;

use std::path::Path;
use std::time::Duration;

use anyhow::Context;
use regex::Regex;
use toml::{Table, Value};

use crate::error::user_error;

/// How the kernel must end for a test to pass.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExpectedExit {
    /// QEMU exit status 33: the kernel ran out of environments and stopped the machine.
    Clean,
    /// QEMU exit status 3: the kernel panicked.
    Panic,
}

impl ExpectedExit {
    /// The QEMU exit status this ending produces.
    pub fn status(self) -> i32 {
        match self {
            ExpectedExit::Clean => 33,
            ExpectedExit::Panic => 3,
        }
    }
}

/// A regex of a spec, with the text it was written as.
#[derive(Debug, Clone)]
pub struct Pattern {
    pub source: String,
    pub regex: Regex,
}

/// One `[[test]]` table.
#[derive(Debug, Clone)]
pub struct TestSpec {
    pub name: String,
    /// The file it came from, for messages.
    pub file: String,
    /// The words of the kernel command line, in order: programs and options (`NAME=VALUE`).
    pub progs: Vec<String>,
    pub since: u32,
    pub cpus: Vec<u32>,
    /// How many times the test runs at each CPU count (a race may show only now and then).
    pub repeat: u32,
    pub timeout: Duration,
    /// The machine's memory in MiB (QEMU's `-m`), when not the usual 128.
    pub memory_mib: Option<u32>,
    /// More QEMU arguments (after the harness's own); a `-smp` among them replaces the
    /// harness's `-smp N,sockets=N`.
    pub qemu_args: Vec<String>,
    pub exit: ExpectedExit,
    /// Each must match at the start of some output line (the regex is anchored there).
    pub expect: Vec<Pattern>,
    /// None may match anywhere in any output line.
    pub forbid: Vec<Pattern>,
    /// The chapters whose exercise tree (the chapter with its exercises' code missing) may fail
    /// this test, which belongs to an earlier chapter: the exercise check does not run it there.
    pub may_fail_in: Vec<u32>,
    /// Whether the test needs its chapter's exercise code (the default): in the chapter's
    /// exercise tree it must fail. `needs_exercise = false`: it must pass there too.
    pub needs_exercise: bool,
}

/// Reads every `*.toml` in `dir` (in file-name order); `label` is how messages name `dir`.
pub fn load(dir: &Path, label: &str) -> anyhow::Result<Vec<TestSpec>> {
    let mut files = Vec::new();
    if dir.is_dir() {
        for entry in std::fs::read_dir(dir).with_context(|| format!("cannot list {label}"))? {
            let path = entry?.path();
            if path.extension().is_some_and(|e| e == "toml") {
                files.push(path);
            }
        }
    }
    files.sort();
    let mut sources = Vec::new();
    for path in files {
        let name = path.file_name().unwrap_or_default().to_string_lossy();
        let text = std::fs::read_to_string(&path)
            .with_context(|| format!("cannot read {}", path.display()))?;
        sources.push((format!("{label}/{name}"), text));
    }
    parse_all(&sources)
}

/// Parses `(file label, text)` pairs into one list, checking that names are unique across them.
pub fn parse_all(sources: &[(String, String)]) -> anyhow::Result<Vec<TestSpec>> {
    let mut errors = Vec::new();
    let mut specs: Vec<TestSpec> = Vec::new();
    for (file, text) in sources {
        for spec in parse(file, text, &mut errors) {
            if let Some(first) = specs.iter().find(|s| s.name == spec.name) {
                errors.push(format!(
                    "{file}: test \"{}\": the name is already used in {}",
                    spec.name, first.file
                ));
            } else {
                specs.push(spec);
            }
        }
    }
    if errors.is_empty() {
        Ok(specs)
    } else {
        Err(user_error(format!(
            "invalid QEMU test specification:\n  {}",
            errors.join("\n  ")
        )))
    }
}

/// Parses one file, adding a message to `errors` for each problem; returns the valid tests.
pub fn parse(file: &str, text: &str, errors: &mut Vec<String>) -> Vec<TestSpec> {
    let table: Table = match text.parse() {
        Ok(table) => table,
        Err(e) => {
            errors.push(format!(
                "{file}: not valid TOML: {}",
                e.to_string().trim_end()
            ));
            return Vec::new();
        }
    };
    let mut specs = Vec::new();
    for (key, value) in &table {
        let tests = match (key.as_str(), value) {
            ("test", Value::Array(tests)) => tests,
            ("test", _) => {
                errors.push(format!("{file}: tests must be written as [[test]] tables"));
                continue;
            }
            _ => {
                errors.push(format!(
                    "{file}: unknown top-level key `{key}` (a file holds only [[test]] tables)"
                ));
                continue;
            }
        };
        for (index, test) in tests.iter().enumerate() {
            let Value::Table(test) = test else {
                errors.push(format!("{file}: test #{} is not a table", index + 1));
                continue;
            };
            let name = match test.get("name") {
                Some(Value::String(name)) => format!("\"{name}\""),
                _ => format!("#{}", index + 1),
            };
            let mut problems = Vec::new();
            let spec = fields::parse_test(file, test, &mut problems);
            errors.extend(problems.iter().map(|p| format!("{file}: test {name}: {p}")));
            specs.extend(spec);
        }
    }
    specs
}

#[cfg(test)]
mod tests {
    use super::*;

    fn one(text: &str) -> Result<Vec<TestSpec>, Vec<String>> {
        let mut errors = Vec::new();
        let specs = parse("basic.toml", text, &mut errors);
        if errors.is_empty() {
            Ok(specs)
        } else {
            Err(errors)
        }
    }

    const HELLO: &str = r#"
        [[test]]
        name = "hello"
        prog = "hello"
        since = 0
        cpus = [1, 2]
        repeat = 3
        timeout = 10
        expect = ['hello, world', 'i am environment [0-9a-f]{8}']
        forbid = ['kernel panic']

        [[test]]
        name = "faultread"
        prog = "faultread  yield"
        since = 3
        exit = "panic"
    "#;

    #[test]
    fn reads_tests_in_order_with_defaults() {
        let specs = one(HELLO).unwrap();
        assert_eq!(specs.len(), 2);
        let hello = &specs[0];
        assert_eq!(hello.file, "basic.toml");
        assert_eq!(hello.cpus, [1, 2]);
        assert_eq!(hello.repeat, 3);
        assert_eq!(hello.timeout, Duration::from_secs(10));
        assert_eq!(hello.exit, ExpectedExit::Clean);
        assert_eq!(hello.expect[1].source, "i am environment [0-9a-f]{8}");
        let fault = &specs[1];
        assert_eq!(fault.progs, ["faultread", "yield"]);
        assert_eq!(fault.since, 3);
        assert_eq!(fault.cpus, [1]);
        assert_eq!(fault.repeat, 1);
        assert_eq!(fault.timeout, Duration::from_secs(30));
        assert_eq!(fault.exit.status(), 3);
        assert!(fault.expect.is_empty() && fault.forbid.is_empty());
    }

    #[test]
    fn expect_is_anchored_at_line_start_and_forbid_is_not() {
        let specs = one(HELLO).unwrap();
        let hello = &specs[0];
        assert!(hello.expect[0].regex.is_match("hello, world!"));
        assert!(!hello.expect[0].regex.is_match("say hello, world"));
        assert!(
            hello.forbid[0]
                .regex
                .is_match("cpu 1: kernel panic at x.rs")
        );
        let alternation = one("[[test]]\nname='a'\nprog='p'\nsince=0\nexpect=['x|y']").unwrap();
        assert!(!alternation[0].expect[0].regex.is_match("zy"));
    }

    #[test]
    fn reports_top_level_problems() {
        let errors = one("[[tests]]\nname = 'a'").unwrap_err();
        assert_eq!(errors.len(), 1);
        assert!(
            errors[0].contains("unknown top-level key `tests`"),
            "{errors:?}"
        );
        let errors = one("[test]\nname = 'a'").unwrap_err();
        assert!(errors[0].contains("[[test]] tables"), "{errors:?}");
        let errors = one("[[test]]\nname = ").unwrap_err();
        assert!(
            errors[0].starts_with("basic.toml: not valid TOML"),
            "{errors:?}"
        );
    }

    #[test]
    fn names_must_be_unique_across_files() {
        let a = (
            "a.toml".to_string(),
            "[[test]]\nname='x'\nprog='p'\nsince=0".to_string(),
        );
        let b = (
            "b.toml".to_string(),
            "[[test]]\nname='x'\nprog='q'\nsince=1".to_string(),
        );
        let err = parse_all(&[a.clone(), b]).unwrap_err();
        assert_eq!(crate::error::exit_status(&err), 2);
        assert!(
            err.to_string()
                .contains("b.toml: test \"x\": the name is already used in a.toml"),
            "{err}"
        );
        assert_eq!(parse_all(&[a]).unwrap().len(), 1);
    }

    #[test]
    fn the_repository_specs_are_valid() {
        let repo = crate::repo::Repo::locate();
        if let Err(e) = load(&repo.qemu_tests(), "tests/qemu") {
            panic!("{e}");
        }
    }
}
