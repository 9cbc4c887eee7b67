//! The boot figure: a warm `cargo xtask run chapter-00`, from the command to the first line its
//! program prints.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::Context;

use crate::cargo;
use crate::repo::Repo;
use crate::tree::Tree;

pub fn print(repo: &Repo, tree: &Tree) -> anyhow::Result<()> {
    println!("## boot: warm `cargo xtask run chapter-00` to the first user output");
    // Warm: the build is not timed.
    cargo::build_kernel(tree, false)?;
    let (time, line) = time_to_first_output(repo, tree)?;
    println!("{:.2} s to `{line}`", time.as_secs_f64());
    Ok(())
}

/// Runs `cargo xtask run` for the tree's default program, as a person would, and times the
/// first line of user output. Returns the time and the line.
fn time_to_first_output(repo: &Repo, tree: &Tree) -> anyhow::Result<(Duration, String)> {
    let chapter = format!("chapter-{:02}", tree.chapter.unwrap_or(0));
    let start = Instant::now();
    let mut child = Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()))
        .args(["xtask", "run", &chapter])
        .current_dir(&repo.root)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .context("cannot run cargo xtask run")?;
    let stdout = child.stdout.take().context("no output pipe")?;
    let mut found = None;
    for line in BufReader::new(stdout).lines() {
        let line = line?;
        if is_user_output(&line) {
            found = Some((start.elapsed(), line));
            break;
        }
    }
    let _ = child.wait();
    found.with_context(|| format!("{chapter}: its program printed nothing"))
}

/// Whether a console line comes from a user program rather than the kernel (kernel lines start
/// with `[`, `SMP:`, `LAPIC:`, `CPU `, `Physical memory` or `kernel`).
fn is_user_output(line: &str) -> bool {
    const KERNEL: [&str; 7] = [
        "[",
        "SMP:",
        "LAPIC:",
        "CPU ",
        "Physical memory",
        "kernel",
        "No runnable",
    ];
    !line.trim().is_empty() && !KERNEL.iter().any(|k| line.starts_with(k))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tells_user_output_from_the_kernel() {
        assert!(is_user_output("hello, world"));
        assert!(!is_user_output("[00000000] new env 00001000"));
        assert!(!is_user_output("SMP: CPU 0 found 1 CPU(s)"));
        assert!(!is_user_output("Physical memory: 130944K available"));
        assert!(!is_user_output(""));
    }
}
