//! Writing and checking `chapters/chapter-NN/`, the generated snapshots.
//!
//! Each chapter directory gets the chapter's version of every file of `kernel-final/` plus the
//! repository's `rust-toolchain.toml`, so that a directory copied out of the repository builds
//! with the pinned toolchain. Every `.rs` file is formatted by the pinned rustfmt ([`format`]),
//! so that `cargo fmt --check` passes in every chapter. Writing touches only files whose
//! contents differ (so builds in untouched chapters stay fresh) and removes everything else,
//! except `target/` directories.
//! Stale `chapter-*` directories (a chapter dropped from `chapters.toml`) are removed whole.

use std::collections::BTreeMap;
use std::path::Path;

use crate::config::Chapters;
use crate::error::{Error, Result};
use crate::format::{self, Failure, Rustfmt};
use crate::tree::{SourceFile, SourceTree};

/// Relative path to contents.
pub type Files = BTreeMap<String, Vec<u8>>;

/// What every generated tree comes from, read from the repository at `repo`: the chapter list,
/// the parsed `kernel-final/`, and the text of `rust-toolchain.toml` (which each tree gets).
pub fn sources(repo: &Path) -> Result<(Chapters, SourceTree, Vec<u8>)> {
    let chapters = Chapters::load(&repo.join("chapters.toml"))?;
    let tree = SourceTree::load(&repo.join("kernel-final"), &chapters)
        .map_err(|e| e.under("kernel-final"))?;
    let toolchain_path = repo.join("rust-toolchain.toml");
    let toolchain = std::fs::read(&toolchain_path).map_err(|e| Error::io(&toolchain_path, e))?;
    Ok((chapters, tree, toolchain))
}

/// Every chapter directory's name (`chapter-00`) and files, Rust files formatted.
pub fn generate(repo: &Path) -> Result<BTreeMap<String, Files>> {
    let (chapters, tree, toolchain) = sources(repo)?;
    let mut out = BTreeMap::new();
    for chapter in chapters.iter() {
        let mut files = tree.snapshot(chapter.number);
        files.insert("rust-toolchain.toml".to_string(), toolchain.clone());
        out.insert(chapter.dir_name(), files);
    }
    format::format_snapshots(&Rustfmt::for_repo(repo)?, &mut out, |failure| {
        rustfmt_error(&tree, &chapters, failure)
    })?;
    Ok(out)
}

/// The error for a file rustfmt rejects: it names the chapter's file and, where rustfmt points
/// at a line, the line of `kernel-final/` it comes from (the chapter's file is not written).
fn rustfmt_error(tree: &SourceTree, chapters: &Chapters, failure: &Failure) -> Error {
    let chapter = chapters.iter().find(|c| c.dir_name() == failure.dir);
    let source = tree.files.iter().find_map(|f| match f {
        SourceFile::Text(text) if text.path == failure.path => Some(text),
        _ => None,
    });
    // The annotated line of the chapter's line `n` (1-based).
    let origin = |n: usize| -> Option<usize> {
        let (chapter, source) = (chapter?, source?);
        let index = source.lines_in(chapter.number).nth(n.checked_sub(1)?)?;
        Some(source.lines[index].number)
    };
    let generated = format!("chapters/{}/{}", failure.dir, failure.path);
    let original = format!("kernel-final/{}", failure.path);
    // rustfmt read the text from stdin: name the file, and the annotated line, instead.
    let mut diagnostics = String::new();
    let mut first_origin = None;
    let mut rest = failure.message.as_str();
    while let Some(at) = rest.find("<stdin>:") {
        diagnostics += &rest[..at];
        rest = &rest[at + "<stdin>:".len()..];
        let digits = rest.len() - rest.trim_start_matches(|c: char| c.is_ascii_digit()).len();
        let line = rest[..digits].parse().ok();
        diagnostics += &format!("{generated}:");
        if let Some(annotated) = line.and_then(origin) {
            first_origin.get_or_insert(annotated);
            let (number, after) = rest.split_at(digits);
            // Keep the column, if any, then say where the line comes from.
            let column = after
                .strip_prefix(':')
                .map(|a| a.len() - a.trim_start_matches(|c: char| c.is_ascii_digit()).len())
                .filter(|&n| n > 0)
                .map_or(0, |n| n + 1);
            diagnostics += &format!("{number}{} ({original}:{annotated})", &after[..column]);
            rest = &after[column..];
        }
    }
    diagnostics += rest;
    let also = match failure.also {
        0 => String::new(),
        n => format!("; the same text is in {n} more chapter file(s)"),
    };
    let message = format!(
        "rustfmt cannot format {generated}, chapter {}'s version of this file{also}:\n{diagnostics}",
        chapter.map_or(String::from("?"), |c| c.number.to_string()),
    );
    match first_origin {
        Some(line) => Error::at(&original, line, message),
        None => Error::new(format!("{original}: {message}")),
    }
}

/// How a file on disk differs from what would be generated.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DriftKind {
    /// Present with other contents.
    Changed,
    /// Would be generated but is not there.
    Missing,
    /// There but would not be generated.
    Extra,
}

/// One differing file (or stale chapter directory), relative to the output directory.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Drift {
    pub path: String,
    pub kind: DriftKind,
}

/// What differs between `out` (the `chapters/` directory) and `generated`.
pub fn compare(out: &Path, generated: &BTreeMap<String, Files>) -> Result<Vec<Drift>> {
    let mut drift = Vec::new();
    for dir in existing_chapter_dirs(out)? {
        if !generated.contains_key(&dir) {
            drift.push(Drift {
                path: format!("{dir}/"),
                kind: DriftKind::Extra,
            });
        }
    }
    for (dir, files) in generated {
        let mut on_disk = Files::new();
        let root = out.join(dir);
        if root.is_dir() {
            read_tree(&root, "", &mut on_disk)?;
        }
        for (path, contents) in files {
            let kind = match on_disk.get(path) {
                None => DriftKind::Missing,
                Some(old) if old != contents => DriftKind::Changed,
                Some(_) => continue,
            };
            drift.push(Drift {
                path: format!("{dir}/{path}"),
                kind,
            });
        }
        for path in on_disk.keys().filter(|p| !files.contains_key(*p)) {
            drift.push(Drift {
                path: format!("{dir}/{path}"),
                kind: DriftKind::Extra,
            });
        }
    }
    drift.sort_by(|a, b| a.path.cmp(&b.path));
    Ok(drift)
}

/// Makes `out` match `generated`; returns what it changed.
pub fn apply(out: &Path, generated: &BTreeMap<String, Files>) -> Result<Vec<Drift>> {
    let drift = compare(out, generated)?;
    for item in &drift {
        let path = out.join(&item.path);
        match item.kind {
            DriftKind::Extra if item.path.ends_with('/') => {
                std::fs::remove_dir_all(&path).map_err(|e| Error::io(&path, e))?;
            }
            DriftKind::Extra => {
                std::fs::remove_file(&path).map_err(|e| Error::io(&path, e))?;
            }
            DriftKind::Changed | DriftKind::Missing => {
                let (dir, file) = item.path.split_once('/').unwrap_or_default();
                let parent = path
                    .parent()
                    .expect("a generated file lies inside its chapter");
                std::fs::create_dir_all(parent).map_err(|e| Error::io(parent, e))?;
                let contents = &generated[dir][file];
                std::fs::write(&path, contents).map_err(|e| Error::io(&path, e))?;
            }
        }
    }
    for dir in generated.keys() {
        remove_empty_dirs(&out.join(dir))?;
    }
    Ok(drift)
}

/// The `chapter-*` directories under `out` (other entries are none of our business).
fn existing_chapter_dirs(out: &Path) -> Result<Vec<String>> {
    let mut dirs = Vec::new();
    if !out.is_dir() {
        return Ok(dirs);
    }
    for entry in std::fs::read_dir(out).map_err(|e| Error::io(out, e))? {
        let entry = entry.map_err(|e| Error::io(out, e))?;
        let name = entry.file_name().to_string_lossy().into_owned();
        if name.starts_with("chapter-") && entry.path().is_dir() {
            dirs.push(name);
        }
    }
    dirs.sort();
    Ok(dirs)
}

/// Every file under `dir` except in `target/` directories.
fn read_tree(dir: &Path, prefix: &str, out: &mut Files) -> Result<()> {
    for entry in std::fs::read_dir(dir).map_err(|e| Error::io(dir, e))? {
        let entry = entry.map_err(|e| Error::io(dir, e))?;
        let name = entry.file_name().to_string_lossy().into_owned();
        let path = entry.path();
        if path.is_dir() {
            if name != "target" {
                read_tree(&path, &format!("{prefix}{name}/"), out)?;
            }
        } else {
            let bytes = std::fs::read(&path).map_err(|e| Error::io(&path, e))?;
            out.insert(format!("{prefix}{name}"), bytes);
        }
    }
    Ok(())
}

/// Removes the empty directories below `dir` (never `target/`); returns whether `dir` is empty.
fn remove_empty_dirs(dir: &Path) -> Result<bool> {
    let mut empty = true;
    for entry in std::fs::read_dir(dir).map_err(|e| Error::io(dir, e))? {
        let entry = entry.map_err(|e| Error::io(dir, e))?;
        let path = entry.path();
        let is_target = entry.file_name() == "target";
        if path.is_dir() && !is_target && remove_empty_dirs(&path)? {
            std::fs::remove_dir(&path).map_err(|e| Error::io(&path, e))?;
        } else {
            empty = false;
        }
    }
    Ok(empty)
}
