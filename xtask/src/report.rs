//! Writing up a failed QEMU run: what went wrong with QEMU's exit, each expected line as GOOD or
//! MISSING, each forbidden line hit as BAD with two lines of context, and where the log is.

use std::fmt::Write;

use crate::judge::Verdict;

/// Lines of context shown around a forbidden line.
const CONTEXT: usize = 2;

/// The details of a failed run, each line indented by `indent`, ending in a newline.
pub fn failure(verdict: &Verdict, lines: &[&str], log: &str, indent: &str) -> String {
    let mut out = String::new();
    if let Some(ending) = &verdict.ending {
        let _ = writeln!(out, "{indent}{ending}");
    }
    for (pattern, found) in &verdict.expect {
        let mark = if *found { "GOOD   " } else { "MISSING" };
        let _ = writeln!(out, "{indent}{mark} {pattern}");
    }
    for hit in &verdict.forbidden {
        let _ = writeln!(
            out,
            "{indent}BAD     {} (output line {}):",
            hit.pattern,
            hit.line + 1
        );
        let first = hit.line.saturating_sub(CONTEXT);
        let last = (hit.line + CONTEXT).min(lines.len().saturating_sub(1));
        for (index, line) in lines.iter().enumerate().take(last + 1).skip(first) {
            let mark = if index == hit.line { '>' } else { ' ' };
            let _ = writeln!(out, "{indent}        {mark}{:5} | {line}", index + 1);
        }
    }
    if verdict.expect.is_empty() && verdict.forbidden.is_empty() && verdict.ending.is_none() {
        let _ = writeln!(out, "{indent}(no details)");
    }
    let _ = writeln!(out, "{indent}log: {log}");
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::judge::Hit;

    #[test]
    fn shows_good_missing_and_bad_lines_with_context() {
        let lines = ["one", "two", "three", "kernel panic at x", "five"];
        let verdict = Verdict {
            expect: vec![("one".into(), true), ("hello".into(), false)],
            forbidden: vec![Hit {
                pattern: "kernel panic".into(),
                line: 3,
            }],
            ending: Some("QEMU exited with status 3: kernel panicked".into()),
        };
        let text = failure(&verdict, &lines, "target/qemu-logs/x/t-1cpu.log", "  ");
        let expected = [
            "  QEMU exited with status 3: kernel panicked",
            "  GOOD    one",
            "  MISSING hello",
            "  BAD     kernel panic (output line 4):",
            "               2 | two",
            "               3 | three",
            "          >    4 | kernel panic at x",
            "               5 | five",
            "  log: target/qemu-logs/x/t-1cpu.log",
            "",
        ]
        .join("\n");
        assert_eq!(text, expected);
    }

    #[test]
    fn context_stops_at_the_ends_of_the_output() {
        let lines = ["panic"];
        let verdict = Verdict {
            expect: vec![],
            forbidden: vec![Hit {
                pattern: "panic".into(),
                line: 0,
            }],
            ending: None,
        };
        let text = failure(&verdict, &lines, "l", "");
        assert!(text.contains(">    1 | panic\n"), "{text}");
        assert_eq!(text.lines().count(), 3);
    }
}
