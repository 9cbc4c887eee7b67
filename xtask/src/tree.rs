//! Kernel trees: the generated chapter snapshots `chapters/chapter-NN`, the annotated source
//! `kernel-final/`, or a student's copy of a chapter. Each is a Cargo workspace; `run` and `grade`
//! build it from its own directory into its own target directory under `target/`, so builds never
//! collide, while `test` builds every tree in one shared stage ([`crate::stage`]).

use std::path::{Path, PathBuf};

use anyhow::Context;

use crate::chapter_list::Chapter;
use crate::cmdline;
use crate::error::user_error;
use crate::repo::Repo;

/// The target triple of the kernel and its user programs.
pub const KERNEL_TARGET: &str = "x86_64-unknown-none";

/// A kernel tree and where its build goes.
#[derive(Debug, Clone)]
pub struct Tree {
    /// How messages, the target directory and the log directory name the tree.
    pub name: String,
    pub dir: PathBuf,
    /// The chapter the tree is a snapshot of; `None` for `kernel-final`, which has them all.
    pub chapter: Option<u32>,
    pub target_dir: PathBuf,
    /// The kernel command line `cargo xtask run` boots when no `--prog` is given.
    pub default_prog: String,
}

/// What a chapter argument on the command line asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChapterArg {
    Number(u32),
    Final,
}

/// Reads `chapter-07`, `07`, `7`, `final` or `kernel-final`.
pub fn parse_chapter_arg(arg: &str) -> Option<ChapterArg> {
    if arg == "final" || arg == "kernel-final" {
        return Some(ChapterArg::Final);
    }
    let digits = arg.strip_prefix("chapter-").unwrap_or(arg);
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    digits.parse().ok().map(ChapterArg::Number)
}

/// Does `arg` look like a chapter (as opposed to, say, a test filter)?
pub fn looks_like_chapter(arg: &str) -> bool {
    arg.starts_with("chapter-") || parse_chapter_arg(arg).is_some()
}

/// The chapter of `chapters` that `arg` names (`chapter-07`, `07`, `7`), or a user error listing
/// the chapters.
pub fn chapter_named<'a>(chapters: &'a [Chapter], arg: &str) -> anyhow::Result<&'a Chapter> {
    let found = match parse_chapter_arg(arg) {
        Some(ChapterArg::Number(n)) => chapters.iter().find(|c| c.number == n),
        _ => None,
    };
    found.ok_or_else(|| {
        let names: Vec<String> = chapters.iter().map(|c| c.dir_name()).collect();
        user_error(format!(
            "unknown chapter '{arg}': the chapters are {}",
            names.join(", ")
        ))
    })
}

/// The tree that `arg` names.
pub fn resolve(repo: &Repo, chapters: &[Chapter], arg: &str) -> anyhow::Result<Tree> {
    let wanted = parse_chapter_arg(arg);
    let found = match wanted {
        Some(ChapterArg::Final) => final_tree(repo, chapters),
        Some(ChapterArg::Number(n)) => match chapters.iter().find(|c| c.number == n) {
            Some(chapter) => {
                let tree = chapter_tree(repo, chapter);
                if !tree.dir.is_dir() {
                    return Err(user_error(format!(
                        "{} is in chapters.toml but {} does not exist yet (`cargo xtask split` \
                         generates it); available: {}",
                        chapter.dir_name(),
                        repo.display(&tree.dir).display(),
                        listing(&available(repo, chapters))
                    )));
                }
                Some(tree)
            }
            None => None,
        },
        None => None,
    };
    found.ok_or_else(|| {
        user_error(format!(
            "unknown chapter '{arg}': the chapters are {}",
            listing(&available(repo, chapters))
        ))
    })
}

/// The names of the trees that exist: every chapter of `chapters.toml` with a directory, and
/// `final`.
pub fn available(repo: &Repo, chapters: &[Chapter]) -> Vec<String> {
    let mut names: Vec<String> = chapter_trees(repo, chapters)
        .into_iter()
        .map(|t| t.name)
        .collect();
    if final_tree(repo, chapters).is_some() {
        names.push("final".to_string());
    }
    names
}

fn listing(names: &[String]) -> String {
    if names.is_empty() {
        "none yet (`cargo xtask split` generates them)".to_string()
    } else {
        names.join(", ")
    }
}

/// Every chapter snapshot listed in `chapters.toml` that has been generated.
pub fn chapter_trees(repo: &Repo, chapters: &[Chapter]) -> Vec<Tree> {
    chapters
        .iter()
        .map(|c| chapter_tree(repo, c))
        .filter(|t| t.dir.is_dir())
        .collect()
}

fn chapter_tree(repo: &Repo, chapter: &Chapter) -> Tree {
    let name = chapter.dir_name();
    Tree {
        dir: repo.root.join("chapters").join(&name),
        target_dir: repo.target().join(&name),
        chapter: Some(chapter.number),
        default_prog: chapter.default_prog.clone(),
        name,
    }
}

fn final_tree(repo: &Repo, chapters: &[Chapter]) -> Option<Tree> {
    let dir = repo.root.join("kernel-final");
    let last = chapters.iter().max_by_key(|c| c.number)?;
    dir.is_dir().then(|| Tree {
        name: "kernel-final".to_string(),
        target_dir: repo.target().join("kernel-final"),
        dir,
        chapter: None,
        default_prog: last.default_prog.clone(),
    })
}

/// A student's copy of `chapter` at `dir`, built into `target/grade-<name>-<hash>`.
pub fn student(repo: &Repo, chapter: &Chapter, dir: &Path) -> anyhow::Result<Tree> {
    let dir = dir
        .canonicalize()
        .map_err(|e| user_error(format!("cannot use tree {}: {e}", dir.display())))?;
    if !dir.join("Cargo.toml").is_file() {
        return Err(user_error(format!(
            "{} is not a kernel tree: it has no Cargo.toml",
            dir.display()
        )));
    }
    let name = format!("grade-{}", student_slug(&dir));
    Ok(Tree {
        target_dir: repo.target().join(&name),
        name,
        dir,
        chapter: Some(chapter.number),
        default_prog: chapter.default_prog.clone(),
    })
}

/// `<last path component>-<8 hex digits of a hash of the whole path>`, safe in a file name.
fn student_slug(dir: &Path) -> String {
    let base: String = dir
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default()
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                c
            } else {
                '_'
            }
        })
        .collect();
    // FNV-1a: stable across Rust versions, unlike the standard library's hasher.
    let mut hash: u32 = 0x811c_9dc5;
    for byte in dir.to_string_lossy().bytes() {
        hash = (hash ^ u32::from(byte)).wrapping_mul(0x0100_0193);
    }
    format!("{base}-{hash:08x}")
}

impl Tree {
    /// The user programs of the tree: the file stems of `user/src/bin/*.rs`, sorted.
    pub fn programs(&self) -> anyhow::Result<Vec<String>> {
        let bin = self.dir.join("user").join("src").join("bin");
        let entries =
            std::fs::read_dir(&bin).with_context(|| format!("cannot list {}", bin.display()))?;
        let mut programs = Vec::new();
        for entry in entries {
            let path = entry?.path();
            if path.extension().is_some_and(|e| e == "rs")
                && let Some(stem) = path.file_stem()
            {
                programs.push(stem.to_string_lossy().into_owned());
            }
        }
        programs.sort();
        Ok(programs)
    }

    /// Fails with a user error naming the tree's programs if a word of the kernel command line
    /// `words` is neither one of them nor an option (a word with `=`).
    pub fn check_programs(&self, words: &[String]) -> anyhow::Result<()> {
        let programs = self.programs()?;
        match cmdline::unknown_programs(words, &programs).first() {
            Some(unknown) => Err(user_error(format!(
                "unknown program '{unknown}' in {}: its programs are {} (a kernel option is \
                 written NAME=VALUE)",
                self.name,
                programs.join(", ")
            ))),
            None => Ok(()),
        }
    }

    /// The kernel ELF that `cargo build [--release]` leaves.
    pub fn kernel_elf(&self, release: bool) -> PathBuf {
        let profile = if release { "release" } else { "debug" };
        self.target_dir
            .join(KERNEL_TARGET)
            .join(profile)
            .join("kernel")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_every_spelling_of_a_chapter() {
        assert_eq!(parse_chapter_arg("chapter-07"), Some(ChapterArg::Number(7)));
        assert_eq!(parse_chapter_arg("07"), Some(ChapterArg::Number(7)));
        assert_eq!(parse_chapter_arg("12"), Some(ChapterArg::Number(12)));
        assert_eq!(parse_chapter_arg("final"), Some(ChapterArg::Final));
        assert_eq!(parse_chapter_arg("kernel-final"), Some(ChapterArg::Final));
        assert_eq!(parse_chapter_arg("chapter-"), None);
        assert_eq!(parse_chapter_arg("hello"), None);
        assert!(looks_like_chapter("chapter-x"));
        assert!(!looks_like_chapter("forktree"));
    }

    #[test]
    fn unknown_chapters_are_user_errors_listing_the_valid_ones() {
        let repo = Repo {
            root: PathBuf::from("/nonexistent/smpbook"),
        };
        let chapters =
            crate::chapter_list::parse("[[chapter]]\nnumber=0\ntitle='t'\ndefault_prog='hello'")
                .unwrap();
        let err = resolve(&repo, &chapters, "chapter-09").unwrap_err();
        assert_eq!(crate::error::exit_status(&err), 2);
        assert!(err.to_string().starts_with("unknown chapter 'chapter-09'"));
        let err = resolve(&repo, &chapters, "chapter-00").unwrap_err();
        assert!(err.to_string().contains("does not exist yet"), "{err}");
    }

    #[test]
    fn finds_the_kernel_elf() {
        let tree = Tree {
            name: "chapter-00".into(),
            dir: "/r/chapters/chapter-00".into(),
            chapter: Some(0),
            target_dir: "/r/target/chapter-00".into(),
            default_prog: "hello".into(),
        };
        assert_eq!(
            tree.kernel_elf(true),
            Path::new("/r/target/chapter-00/x86_64-unknown-none/release/kernel")
        );
    }

    #[test]
    fn student_slugs_are_file_names_that_tell_paths_apart() {
        let a = student_slug(Path::new("/home/ann/lab 4"));
        let b = student_slug(Path::new("/home/bob/lab 4"));
        assert!(a.starts_with("lab_4-") && b.starts_with("lab_4-"));
        assert_ne!(a, b);
        assert_eq!(a, student_slug(Path::new("/home/ann/lab 4")));
    }
}
