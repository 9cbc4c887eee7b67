//! Exercise trees: each chapter's tree with the code of its exercises taken out (the regions
//! `kernel-final/` marks `@exercise N name: task`, see `tools/chapters/src/exercise.rs`).
//!
//! They are generated on demand, never committed: `cargo xtask exercise chapter-NN --out DIR`
//! writes one for a student, and `cargo xtask test` keeps all of them under `target/exercises/`
//! (writing only the files whose text changed, so their builds stay fresh from one run to the
//! next) and checks them ([`crate::plan::exercise_runs`]).

use std::path::{Path, PathBuf};

use crate::chapter_list::Chapter;
use crate::repo::Repo;
use crate::tree::Tree;

/// Where `cargo xtask test` keeps the exercise trees.
pub fn dir(repo: &Repo) -> PathBuf {
    repo.target().join("exercises")
}

/// How the test report names chapter `number`'s exercise tree (`exercise-07`).
pub fn tree_name(number: u32) -> String {
    format!("exercise-{number:02}")
}

/// Whether `tree` is an exercise tree (by its name).
pub fn is_exercise(tree: &Tree) -> bool {
    tree.name.starts_with("exercise-")
}

/// Brings `target/exercises/` up to date with `kernel-final/` and returns the exercise tree of
/// every chapter that has exercises (only chapter `only`'s, if given).
pub fn refresh(repo: &Repo, chapters: &[Chapter], only: Option<u32>) -> anyhow::Result<Vec<Tree>> {
    let generated = chapters::exercise::generate(&repo.root)?;
    let out = dir(repo);
    chapters::sync::apply(&out, &generated)?;
    Ok(chapters
        .iter()
        .filter(|c| generated.contains_key(&c.dir_name()))
        .filter(|c| only.is_none_or(|n| n == c.number))
        .map(|c| exercise_tree(repo, c, &out.join(c.dir_name())))
        .collect())
}

/// Chapter `chapter`'s exercise tree at `dir`.
pub fn exercise_tree(repo: &Repo, chapter: &Chapter, dir: &Path) -> Tree {
    let name = tree_name(chapter.number);
    Tree {
        target_dir: repo.target().join(&name),
        name,
        dir: dir.to_path_buf(),
        chapter: Some(chapter.number),
        default_prog: chapter.default_prog.clone(),
    }
}
