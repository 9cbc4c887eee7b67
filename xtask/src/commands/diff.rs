//! `cargo xtask diff chapter-06 chapter-07`: the unified diff from one snapshot to another (what
//! a chapter adds), without build output. Either side may also be a directory, such as a
//! student's tree. Exits 0 whether or not the trees differ.

use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};

use anyhow::{Context, bail};

use crate::args::Args;
use crate::error::user_error;
use crate::repo::Repo;
use crate::tree;

pub fn main(repo: &Repo, args: Args) -> anyhow::Result<ExitCode> {
    args.no_passthrough()?;
    let positionals = args.positionals(2)?;
    let [from, to] = positionals.as_slice() else {
        return Err(user_error(
            "diff wants two trees: cargo xtask diff chapter-06 chapter-07",
        ));
    };
    let chapters = repo.chapters()?;
    let from = side(repo, &chapters, from)?;
    let to = side(repo, &chapters, to)?;
    // Inside the repository the paths are shown relative to its root, as in a patch.
    let status = Command::new("diff")
        .args(["-ruN", "-x", "target"])
        .arg(repo.display(&from))
        .arg(repo.display(&to))
        .current_dir(&repo.root)
        .status()
        .context("cannot run `diff` (it comes with diffutils)")?;
    match status.code() {
        Some(0 | 1) => Ok(ExitCode::SUCCESS),
        _ => bail!("diff failed ({status})"),
    }
}

/// The directory that `arg` names: a chapter (`chapter-NN`, `final`) or an existing directory.
fn side(
    repo: &Repo,
    chapters: &[crate::chapter_list::Chapter],
    arg: &str,
) -> anyhow::Result<PathBuf> {
    if tree::parse_chapter_arg(arg).is_none() && Path::new(arg).is_dir() {
        return std::path::absolute(arg).context("cannot find the current directory");
    }
    tree::resolve(repo, chapters, arg).map(|t| t.dir)
}
