//! The static checks of `cargo xtask test`: formatting, clippy and unit tests, each one cargo
//! command that counts as one test.

use std::process::Command;
use std::time::Duration;

use crate::cargo;
use crate::process;
use crate::repo::Repo;
use crate::stage::Stage;
use crate::tree::Tree;

/// How long one check may take: far more than a cold build needs, but it stops a hung test from
/// eating the whole CI budget.
const TIMEOUT: Duration = Duration::from_secs(20 * 60);

/// One check: a named cargo command that must succeed.
pub struct Check {
    /// What it checks, as the test filter and the results name it.
    pub name: &'static str,
    pub cmd: Command,
}

/// The checks of the root workspace (the tooling).
pub fn root_checks(repo: &Repo) -> Vec<Check> {
    vec![
        Check {
            name: "fmt",
            cmd: cargo::in_root(
                repo,
                &["fmt", "--all", "--check", "--", "--color", cargo::color()],
            ),
        },
        Check {
            name: "clippy",
            cmd: cargo::in_root(
                repo,
                &[
                    "clippy",
                    "--workspace",
                    "--all-targets",
                    "--",
                    "-D",
                    "warnings",
                ],
            ),
        },
        Check {
            name: "xtask unit tests",
            cmd: cargo::in_root(repo, &["test", "-p", "xtask"]),
        },
        // The single source of truth: the marker/splitter and book tools' unit tests, the
        // chapters matching kernel-final/, and the book (unknown or unshown snippets, coverage).
        Check {
            name: "chapters unit tests",
            cmd: cargo::in_root(repo, &["test", "-p", "chapters", "-p", "smpbook-book"]),
        },
        Check {
            name: "split --check",
            cmd: cargo::in_root(repo, &["xtask", "split", "--check"]),
        },
        // What `cargo xtask book` does, but with the book tool in the dev profile: that build
        // shares every dependency (mdBook) with the unit tests above, where `xtask book`'s
        // release build would compile them all once more.
        Check {
            name: "book",
            cmd: {
                let mut cmd = cargo::in_root(
                    repo,
                    &["run", "--quiet", "-p", "smpbook-book", "--", "build"],
                );
                cmd.arg(&repo.root);
                cmd
            },
        },
    ]
}

/// The checks of a kernel tree. Its workspace builds for the kernel's target except `host-tests`,
/// which is checked and run for the host (`host` is the host's target triple). Formatting is
/// checked in the tree itself; what compiles goes to the shared target directory of `stage`
/// ([`crate::stage`]), where `packages`, the tree's own packages, get units of their own.
pub fn tree_checks(tree: &Tree, stage: &Stage, packages: &[String], host: &str) -> Vec<Check> {
    vec![
        Check {
            name: "fmt",
            cmd: cargo::in_tree(
                tree,
                &["fmt", "--all", "--check", "--", "--color", cargo::color()],
            ),
        },
        Check {
            name: "clippy",
            cmd: kernel_clippy(tree, stage, packages, true, &[]),
        },
        Check {
            name: "clippy (host-tests)",
            cmd: stage.clippy(
                tree,
                packages,
                &[
                    "-p",
                    "host-tests",
                    "--target",
                    host,
                    "--all-targets",
                    "--",
                    "-D",
                    "warnings",
                ],
            ),
        },
        Check {
            name: "host-tests",
            cmd: stage.cargo(tree, &["test", "-p", "host-tests", "--target", host]),
        },
    ]
}

/// The check of an exercise tree ([`crate::exercises`]): clippy, as in a chapter, on the crates
/// built for the kernel's target, except the `unused` lints: the code that is missing in an
/// exercise is what would use those parameters, imports and helpers (the student sees them as
/// warnings, hints of what the code needs). The test targets are left out (the exercise takes
/// nothing out of them, and the chapter's own check covers them: half the time), and so are the
/// host tests: a pure-logic module with a missing piece fails its unit tests, as it should.
pub fn exercise_checks(tree: &Tree, stage: &Stage, packages: &[String]) -> Vec<Check> {
    vec![Check {
        name: "clippy (exercise)",
        cmd: kernel_clippy(tree, stage, packages, false, &["-A", "unused"]),
    }]
}

/// clippy with `-D warnings` (then `lints`) on the tree's crates built for the kernel's target;
/// their test targets too if `all_targets`.
fn kernel_clippy(
    tree: &Tree,
    stage: &Stage,
    packages: &[String],
    all_targets: bool,
    lints: &[&str],
) -> Command {
    let mut args = vec!["--workspace", "--exclude", "host-tests"];
    if all_targets {
        args.push("--all-targets");
    }
    args.extend(["--", "-D", "warnings"]);
    args.extend(lints);
    stage.clippy(tree, packages, &args)
}

/// What running a check gave.
pub struct Outcome {
    pub passed: bool,
    /// The command's output (standard output and error together).
    pub output: String,
    pub elapsed: Duration,
}

/// Runs `check`, capturing its output.
pub fn run(check: Check) -> Outcome {
    let shown = describe(&check.cmd);
    match process::capture(check.cmd, Some(TIMEOUT)) {
        Ok(run) => Outcome {
            passed: run.ending.success(),
            output: match run.ending {
                _ if run.ending.success() => run.output,
                process::Ending::TimedOut(limit) => format!(
                    "$ {shown}\n{}\ntimed out after {} s and was killed\n",
                    run.output.trim_end(),
                    limit.as_secs()
                ),
                _ => format!("$ {shown}\n{}", run.output),
            },
            elapsed: run.elapsed,
        },
        Err(e) => Outcome {
            passed: false,
            output: format!("cannot run `{shown}`: {e}\n"),
            elapsed: Duration::ZERO,
        },
    }
}

/// `cargo ARGS` as a shell would show it.
fn describe(cmd: &Command) -> String {
    let mut line = cmd.get_program().to_string_lossy().into_owned();
    for arg in cmd.get_args() {
        line.push(' ');
        line.push_str(&crate::qemu::shell_quote(&arg.to_string_lossy()));
    }
    line
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tree() -> Tree {
        Tree {
            name: "chapter-00".into(),
            dir: "/r/chapters/chapter-00".into(),
            chapter: Some(0),
            target_dir: "/r/target/chapter-00".into(),
            default_prog: "hello".into(),
        }
    }

    fn stage() -> Stage {
        Stage::new(&Repo { root: "/r".into() })
    }

    fn packages() -> Vec<String> {
        vec!["abi".into(), "kernel".into()]
    }

    #[test]
    fn host_tests_are_checked_for_the_host_and_the_rest_for_the_kernel() {
        let checks = tree_checks(&tree(), &stage(), &packages(), "x86_64-unknown-linux-gnu");
        let lines: Vec<String> = checks.iter().map(|c| describe(&c.cmd)).collect();
        let config = "--config profile.dev.package.abi.codegen-units=1000 \
                      --config profile.dev.package.kernel.codegen-units=1000";
        assert_eq!(
            lines,
            [
                format!("cargo fmt --all --check -- --color {}", cargo::color()),
                format!(
                    "cargo clippy {config} --workspace --exclude host-tests --all-targets \
                     -- -D warnings"
                ),
                format!(
                    "cargo clippy {config} -p host-tests --target x86_64-unknown-linux-gnu \
                     --all-targets -- -D warnings"
                ),
                "cargo test -p host-tests --target x86_64-unknown-linux-gnu".to_string(),
            ]
        );
        // Everything runs in the tree; what compiles goes to the shared target directory.
        let dirs: Vec<_> = checks.iter().map(|c| c.cmd.get_current_dir()).collect();
        assert!(dirs.iter().all(|d| *d == Some(tree().dir.as_path())));
        let shared: Vec<bool> = checks.iter().map(|c| stage().builds_here(&c.cmd)).collect();
        assert_eq!(shared, [false, true, true, true]);
    }

    #[test]
    fn check_names_are_distinct() {
        let repo = Repo::locate();
        for checks in [
            root_checks(&repo),
            tree_checks(&tree(), &stage(), &packages(), "h"),
        ] {
            let mut names: Vec<_> = checks.iter().map(|c| c.name).collect();
            names.dedup();
            assert_eq!(names.len(), checks.len());
        }
    }

    #[cfg(unix)]
    #[test]
    fn a_failing_check_shows_its_command_and_output() {
        let mut cmd = Command::new("sh");
        cmd.args(["-c", "echo broken; exit 1"]);
        let outcome = run(Check { name: "x", cmd });
        assert!(!outcome.passed);
        assert_eq!(outcome.output, "$ sh -c 'echo broken; exit 1'\nbroken\n");
    }
}
