//! The keys of one `[[test]]` table: each parser checks one key and, when it is wrong, adds a
//! message that says what the key must be.

use std::time::Duration;

use regex::Regex;
use toml::{Table, Value};

use super::{ExpectedExit, Pattern, TestSpec};
use crate::cmdline;

/// The keys a `[[test]]` table may have.
const KEYS: [&str; 13] = [
    "name",
    "prog",
    "since",
    "cpus",
    "repeat",
    "timeout",
    "memory",
    "qemu_args",
    "exit",
    "expect",
    "forbid",
    "may_fail_in",
    "needs_exercise",
];

/// Seconds a test may run when its spec gives no `timeout`.
const DEFAULT_TIMEOUT: u64 = 30;

/// The memory, in MiB, a test may ask for: from what the kernel needs to boot to QEMU's default
/// four times over.
const MEMORY_MIB: std::ops::RangeInclusive<i64> = 4..=512;

/// The largest CPU count a test may ask for.
const MAX_CPUS: u32 = 64;

/// The most runs a test may ask for at each CPU count.
const MAX_REPEAT: u32 = 100;

/// Reads one test; `None` (with at least one message in `problems`) if anything is wrong.
pub fn parse_test(file: &str, test: &Table, problems: &mut Vec<String>) -> Option<TestSpec> {
    for key in test.keys() {
        if !KEYS.contains(&key.as_str()) {
            problems.push(format!(
                "unknown key `{key}` (the keys are {})",
                KEYS.join(", ")
            ));
        }
    }
    let name = required(test, "name", problems).and_then(|v| name(v, problems));
    let progs = required(test, "prog", problems).and_then(|v| progs(v, problems));
    let since = required(test, "since", problems).and_then(|v| since(v, problems));
    let cpus = test
        .get("cpus")
        .map_or(Some(vec![1]), |v| cpus(v, problems));
    let repeat = test.get("repeat").map_or(Some(1), |v| repeat(v, problems));
    let timeout = test
        .get("timeout")
        .map_or(Some(DEFAULT_TIMEOUT), |v| timeout(v, problems));
    let memory = test.get("memory").map(|v| memory(v, problems));
    let qemu_args = test.get("qemu_args").map_or(Some(Vec::new()), |v| {
        qemu_args(v, cpus.as_deref(), problems)
    });
    let exit = test
        .get("exit")
        .map_or(Some(ExpectedExit::Clean), |v| exit(v, problems));
    let may_fail_in = test
        .get("may_fail_in")
        .map_or(Some(Vec::new()), |v| may_fail_in(v, problems));
    let needs_exercise = match test.get("needs_exercise") {
        None => Some(true),
        Some(Value::Boolean(b)) => Some(*b),
        Some(_) => {
            problems.push("`needs_exercise` must be true or false".into());
            None
        }
    };
    let expect = patterns(test, "expect", true, problems);
    let forbid = patterns(test, "forbid", false, problems);
    if !problems.is_empty() {
        return None;
    }
    Some(TestSpec {
        name: name?,
        file: file.to_string(),
        progs: progs?,
        since: since?,
        cpus: cpus?,
        repeat: repeat?,
        timeout: Duration::from_secs(timeout?),
        memory_mib: memory.flatten(),
        qemu_args: qemu_args?,
        exit: exit?,
        expect: expect?,
        forbid: forbid?,
        may_fail_in: may_fail_in?,
        needs_exercise: needs_exercise?,
    })
}

/// `qemu_args = ["-machine", "q35"]`: more QEMU arguments. A `-smp` among them sets the
/// topology, and `cpus` must then be the one count it gives.
fn qemu_args(
    value: &Value,
    cpus: Option<&[u32]>,
    problems: &mut Vec<String>,
) -> Option<Vec<String>> {
    let list: Option<Vec<String>> = match value {
        Value::Array(items) => items
            .iter()
            .map(|item| item.as_str().map(str::to_string))
            .collect(),
        _ => None,
    };
    let Some(list) = list else {
        problems.push("`qemu_args` must be a list of strings, like [\"-machine\", \"q35\"]".into());
        return None;
    };
    if list.iter().any(|a| a == "-smp") {
        match (crate::qemu::smp_in(&list), cpus) {
            (Some(n), Some(cpus)) if cpus == [n] => {}
            (Some(n), _) => {
                problems.push(format!(
                    "`qemu_args` asks for {n} CPUs with -smp: `cpus` must be [{n}]"
                ));
                return None;
            }
            (None, _) => {
                problems.push("the -smp of `qemu_args` gives no CPU count".into());
                return None;
            }
        }
    }
    Some(list)
}

/// `may_fail_in = [5]`: the chapters whose exercise tree may fail this earlier test.
fn may_fail_in(value: &Value, problems: &mut Vec<String>) -> Option<Vec<u32>> {
    let list: Option<Vec<u32>> = match value {
        Value::Array(items) => items
            .iter()
            .map(|item| match item {
                Value::Integer(n) => u32::try_from(*n).ok(),
                _ => None,
            })
            .collect(),
        _ => None,
    };
    if list.is_none() {
        problems.push(
            "`may_fail_in` must be a list of chapters whose exercise tree may fail the test, \
             like [5]"
                .into(),
        );
    }
    list
}

fn required<'a>(test: &'a Table, key: &str, problems: &mut Vec<String>) -> Option<&'a Value> {
    let value = test.get(key);
    if value.is_none() {
        problems.push(format!("`{key}` is missing"));
    }
    value
}

fn name(value: &Value, problems: &mut Vec<String>) -> Option<String> {
    let ok = |s: &str| {
        !s.is_empty()
            && s.chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
    };
    match value {
        Value::String(s) if ok(s) => Some(s.clone()),
        _ => {
            problems.push(
                "`name` must be a non-empty string of letters, digits, `-`, `_` and `.`".into(),
            );
            None
        }
    }
}

fn progs(value: &Value, problems: &mut Vec<String>) -> Option<Vec<String>> {
    let words = match value {
        Value::String(s) => cmdline::words(s),
        _ => Vec::new(),
    };
    if words.is_empty() {
        problems.push(
            "`prog` must be a string: the kernel command line, program names and options \
             (NAME=VALUE)"
                .into(),
        );
        return None;
    }
    Some(words)
}

fn since(value: &Value, problems: &mut Vec<String>) -> Option<u32> {
    match value {
        Value::Integer(n) if *n >= 0 => u32::try_from(*n).ok(),
        _ => {
            problems.push("`since` must be a chapter number (0 or more)".into());
            None
        }
    }
}

fn cpus(value: &Value, problems: &mut Vec<String>) -> Option<Vec<u32>> {
    let mut list = Vec::new();
    if let Value::Array(items) = value {
        for item in items {
            match item {
                Value::Integer(n)
                    if (1..=i64::from(MAX_CPUS)).contains(n) && !list.contains(&(*n as u32)) =>
                {
                    list.push(*n as u32)
                }
                _ => {
                    list.clear();
                    break;
                }
            }
        }
    }
    if list.is_empty() {
        problems.push(format!(
            "`cpus` must be a non-empty list of distinct CPU counts from 1 to {MAX_CPUS}, like [1, 2]"
        ));
        return None;
    }
    Some(list)
}

fn repeat(value: &Value, problems: &mut Vec<String>) -> Option<u32> {
    match value {
        Value::Integer(n) if (1..=i64::from(MAX_REPEAT)).contains(n) => Some(*n as u32),
        _ => {
            problems.push(format!(
                "`repeat` must be a number of runs from 1 to {MAX_REPEAT} (at each CPU count)"
            ));
            None
        }
    }
}

fn timeout(value: &Value, problems: &mut Vec<String>) -> Option<u64> {
    match value {
        Value::Integer(n) if *n > 0 => Some(*n as u64),
        _ => {
            problems.push("`timeout` must be a positive number of seconds".into());
            None
        }
    }
}

fn memory(value: &Value, problems: &mut Vec<String>) -> Option<u32> {
    match value {
        Value::Integer(n) if MEMORY_MIB.contains(n) => Some(*n as u32),
        _ => {
            problems.push(format!(
                "`memory` must be a number of MiB from {} to {}",
                MEMORY_MIB.start(),
                MEMORY_MIB.end()
            ));
            None
        }
    }
}

fn exit(value: &Value, problems: &mut Vec<String>) -> Option<ExpectedExit> {
    match value.as_str() {
        Some("clean") => Some(ExpectedExit::Clean),
        Some("panic") => Some(ExpectedExit::Panic),
        _ => {
            problems.push("`exit` must be \"clean\" or \"panic\"".into());
            None
        }
    }
}

/// The regexes under `key`; `anchored` ones must match at the start of a line.
fn patterns(
    test: &Table,
    key: &str,
    anchored: bool,
    problems: &mut Vec<String>,
) -> Option<Vec<Pattern>> {
    let Some(value) = test.get(key) else {
        return Some(Vec::new());
    };
    let Value::Array(items) = value else {
        problems.push(format!("`{key}` must be a list of regexes"));
        return None;
    };
    let before = problems.len();
    let mut list = Vec::new();
    for item in items {
        let Value::String(source) = item else {
            problems.push(format!("`{key}` must be a list of regexes (strings)"));
            continue;
        };
        let text = if anchored {
            format!("^(?:{source})")
        } else {
            source.clone()
        };
        match Regex::new(&text) {
            Ok(regex) => list.push(Pattern {
                source: source.clone(),
                regex,
            }),
            Err(e) => problems.push(format!(
                "bad regex in `{key}`: {}",
                e.to_string().replace('\n', "\n      ")
            )),
        }
    }
    (problems.len() == before).then_some(list)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The problems `parse_test` finds in the body of one `[[test]]` table.
    fn problems(body: &str) -> Vec<String> {
        let table: Table = body.parse().unwrap();
        let mut problems = Vec::new();
        let spec = parse_test("t.toml", &table, &mut problems);
        assert_eq!(spec.is_none(), !problems.is_empty());
        problems
    }

    fn has(body: &str, needle: &str) {
        let found = problems(body);
        assert!(
            found.iter().any(|p| p.contains(needle)),
            "expected a problem containing {needle:?} for {body:?}, got {found:?}"
        );
    }

    const BASE: &str = "name = 'ok'\nprog = 'hello'\nsince = 0\n";

    #[test]
    fn a_minimal_test_is_fine() {
        assert!(problems(BASE).is_empty());
    }

    #[test]
    fn reports_unknown_and_missing_keys() {
        has(&format!("{BASE}expects = ['x']"), "unknown key `expects`");
        has("prog = 'hello'\nsince = 0", "`name` is missing");
        has("name = 'x'\nsince = 0", "`prog` is missing");
        has("name = 'x'\nprog = 'p'", "`since` is missing");
    }

    #[test]
    fn reports_wrong_values() {
        has("name = 'a b'\nprog = 'p'\nsince = 0", "`name` must be");
        has("name = 'a'\nprog = '  '\nsince = 0", "`prog` must be");
        has("name = 'a'\nprog = 'p'\nsince = -1", "`since` must be");
        has(
            "name = 'a'\nprog = 'p'\nsince = 0\nmay_fail_in = 5",
            "`may_fail_in` must be",
        );
        has(
            "name = 'a'\nprog = 'p'\nsince = 0\nneeds_exercise = 1",
            "`needs_exercise` must",
        );
        has(&format!("{BASE}cpus = []"), "`cpus` must be");
        has(&format!("{BASE}cpus = [1, 1]"), "`cpus` must be");
        has(&format!("{BASE}cpus = [0]"), "`cpus` must be");
        has(&format!("{BASE}cpus = 2"), "`cpus` must be");
        has(&format!("{BASE}repeat = 0"), "`repeat` must be");
        has(&format!("{BASE}repeat = 101"), "`repeat` must be");
        has(&format!("{BASE}repeat = '3'"), "`repeat` must be");
        has(&format!("{BASE}timeout = 0"), "`timeout` must be");
        has(&format!("{BASE}memory = 2"), "`memory` must be");
        has(&format!("{BASE}memory = '4M'"), "`memory` must be");
        has(&format!("{BASE}exit = 'crash'"), "`exit` must be");
        has(&format!("{BASE}expect = 'x'"), "`expect` must be a list");
        has(&format!("{BASE}forbid = [1]"), "`forbid` must be a list");
    }

    #[test]
    fn reports_bad_regexes() {
        has(
            &format!("{BASE}expect = ['(unclosed']"),
            "bad regex in `expect`",
        );
        has(&format!("{BASE}forbid = ['a{{2']"), "bad regex in `forbid`");
    }
}
