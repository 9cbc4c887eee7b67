//! `cargo xtask book [--draft]`: builds the HTML book into `book/build/` by running tools/book
//! (mdBook as a library plus our snippet preprocessor). It is a separate crate, built in release
//! mode on first use, so that other xtask commands do not pay for compiling mdBook. `--draft`
//! turns missing coverage and unshown snippets into warnings, for authors mid-chapter.

use std::process::{Command, ExitCode};

use anyhow::Context;

use crate::args::Args;
use crate::repo::Repo;

pub fn main(repo: &Repo, mut args: Args) -> anyhow::Result<ExitCode> {
    // A draft build warns about unshown snippets and missing coverage instead of failing.
    let draft = args.flag("draft");
    args.no_passthrough()?;
    args.positionals(0)?;
    eprintln!("book: running tools/book (its first build compiles mdBook, about a minute)");
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_string());
    let status = Command::new(cargo)
        .current_dir(&repo.root)
        .args([
            "run",
            "--quiet",
            "--release",
            "-p",
            "smpbook-book",
            "--",
            "build",
        ])
        .args(draft.then_some("--draft"))
        .arg(&repo.root)
        .status()
        .context("cannot run cargo")?;
    Ok(if status.success() {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}
