//! Judging one QEMU run against its test: every `expect` regex must match at the start of some
//! line, no `forbid` regex may match any line, and QEMU must exit as the test says. Pure: the
//! output and the way QEMU ended go in, a verdict comes out.

use crate::process::Ending;
use crate::qemu;
use crate::spec::TestSpec;

/// At most this many lines are reported for each forbidden pattern.
const MAX_HITS: usize = 3;

/// A line that a forbidden pattern matched.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Hit {
    pub pattern: String,
    /// The line's index in the output (0-based).
    pub line: usize,
}

/// What was right and wrong about a run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verdict {
    /// Each expected pattern and whether some line matched it.
    pub expect: Vec<(String, bool)>,
    pub forbidden: Vec<Hit>,
    /// What was wrong with the way QEMU ended, if anything.
    pub ending: Option<String>,
}

impl Verdict {
    pub fn passed(&self) -> bool {
        self.ending.is_none() && self.forbidden.is_empty() && self.expect.iter().all(|(_, ok)| *ok)
    }
}

/// The lines of QEMU's output, without their `\r`s (the serial port sends `\r\n`).
pub fn lines(output: &str) -> Vec<&str> {
    output
        .lines()
        .map(|line| line.trim_end_matches('\r'))
        .collect()
}

/// Judges the output `lines` of a run of `spec` that ended as `ending`.
pub fn judge(spec: &TestSpec, lines: &[&str], ending: Ending) -> Verdict {
    let expect = spec
        .expect
        .iter()
        .map(|p| (p.source.clone(), lines.iter().any(|l| p.regex.is_match(l))))
        .collect();
    let mut forbidden = Vec::new();
    for pattern in &spec.forbid {
        let hits = lines
            .iter()
            .enumerate()
            .filter(|(_, l)| pattern.regex.is_match(l));
        forbidden.extend(hits.take(MAX_HITS).map(|(line, _)| Hit {
            pattern: pattern.source.clone(),
            line,
        }));
    }
    let wanted = spec.exit.status();
    // QEMU stopped by a signal (someone's `kill`) says so and exits with status 0, which
    // would otherwise pass for a reset of the machine.
    let stopped = lines
        .iter()
        .rev()
        .find(|l| l.starts_with(&format!("{}: terminating on signal", qemu::PROGRAM)));
    let ending = match ending {
        Ending::Exited(Some(status)) if status == wanted => None,
        Ending::Exited(Some(_)) if let Some(line) = stopped => Some(format!(
            "QEMU was stopped from outside ({line}); expected exit status {wanted}: {}",
            qemu::describe_status(wanted)
        )),
        Ending::Exited(Some(status)) => Some(format!(
            "QEMU exited with status {status}: {}; expected {wanted}: {}",
            qemu::describe_status(status),
            qemu::describe_status(wanted)
        )),
        Ending::Exited(None) => Some("QEMU was killed by a signal".to_string()),
        Ending::TimedOut(limit) => Some(format!(
            "timed out after {} s (QEMU was killed); expected exit status {wanted}: {}",
            limit.as_secs(),
            qemu::describe_status(wanted)
        )),
    };
    Verdict {
        expect,
        forbidden,
        ending,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::spec::parse_all;
    use std::time::Duration;

    fn spec(extra: &str) -> TestSpec {
        let text = format!(
            "[[test]]\nname='t'\nprog='p'\nsince=0\ntimeout=5\n\
             expect=['hello, world', 'i am environment [0-9a-f]{{8}}']\n\
             forbid=['panic', 'page fault']\n{extra}"
        );
        parse_all(&[("t.toml".into(), text)]).unwrap().remove(0)
    }

    const GOOD: &str = "SeaBIOS\r\nhello, world\r\ni am environment 00001000\r\n\
                        No runnable environments in the system!\r\n";

    #[test]
    fn strips_carriage_returns() {
        assert_eq!(lines("a\r\nb\r\n\r\nc"), ["a", "b", "", "c"]);
    }

    #[test]
    fn a_good_run_passes() {
        let verdict = judge(&spec(""), &lines(GOOD), Ending::Exited(Some(33)));
        assert!(verdict.passed(), "{verdict:?}");
        assert_eq!(verdict.expect.len(), 2);
    }

    #[test]
    fn expected_lines_must_start_a_line() {
        let out = "say hello, world\ni am environment 00001000\n";
        let verdict = judge(&spec(""), &lines(out), Ending::Exited(Some(33)));
        assert!(!verdict.passed());
        assert_eq!(verdict.expect[0], ("hello, world".to_string(), false));
        assert!(verdict.expect[1].1);
    }

    #[test]
    fn forbidden_lines_fail_anywhere_in_a_line() {
        let out = format!("{GOOD}[cpu 1] kernel panic at kern/x.rs:3\npanic\npanic\npanic\n");
        let verdict = judge(&spec(""), &lines(&out), Ending::Exited(Some(33)));
        assert!(!verdict.passed());
        assert_eq!(verdict.forbidden.len(), MAX_HITS);
        assert_eq!(
            verdict.forbidden[0],
            Hit {
                pattern: "panic".into(),
                line: 4
            }
        );
    }

    #[test]
    fn the_exit_status_must_be_the_expected_one() {
        let out = lines(GOOD);
        let clean = spec("");
        let panic = spec("exit = 'panic'");
        assert!(judge(&panic, &out, Ending::Exited(Some(3))).passed());
        let wrong = judge(&clean, &out, Ending::Exited(Some(3)));
        assert!(!wrong.passed());
        assert!(
            wrong
                .ending
                .unwrap()
                .contains("status 3: kernel panicked; expected 33")
        );
        let reset = judge(&clean, &out, Ending::Exited(Some(0))).ending.unwrap();
        assert!(reset.contains("triple fault"), "{reset}");
        let killed = format!("{GOOD}qemu-system-x86_64: terminating on signal 15 from pid 7\n");
        let verdict = judge(&clean, &lines(&killed), Ending::Exited(Some(0)));
        let ending = verdict.ending.unwrap();
        assert!(
            ending.starts_with(
                "QEMU was stopped from outside (qemu-system-x86_64: terminating on signal 15"
            ),
            "{ending}"
        );
        assert!(!judge(&clean, &out, Ending::Exited(None)).passed());
    }

    #[test]
    fn a_timeout_fails_even_with_all_lines_present() {
        let verdict = judge(
            &spec(""),
            &lines(GOOD),
            Ending::TimedOut(Duration::from_secs(5)),
        );
        assert!(!verdict.passed());
        assert!(verdict.expect.iter().all(|(_, ok)| *ok));
        assert!(verdict.ending.unwrap().starts_with("timed out after 5 s"));
    }
}
