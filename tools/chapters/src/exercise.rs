//! Exercises: a chapter's tree with the pieces the student writes taken out.
//!
//! In `kernel-final/`, the marker `@exercise N name: task` on a line of its own opens a region
//! that ends at the matching `@}` (or `@} name`): in chapter N's *exercise form* the region's
//! lines, as chapter N has them, are replaced by one line, `todo!("chapter N, name: task")`,
//! indented as the region's first line. Everything else is the chapter's snapshot, byte for
//! byte, and no other chapter and no book page sees anything of the marker (its lines keep the
//! chapters of the enclosing block, and the marker line, like every marker, is copied nowhere).
//!
//! A region is a function body, a match arm's body or a block's statements: code where an
//! expression of type `!` fits. The `todo!` is the block's value when the next line closes the
//! block (`}`), and a statement (`todo!(..);`) when code follows. `name` groups regions into one exercise (a name may be used by several regions of
//! the same chapter; the grader reports per name); `task` is the one line the student reads in
//! the panic message, so it holds no `"`, `\`, `{` or `}`.

use std::collections::BTreeMap;
use std::path::Path;

use crate::error::{Error, Result};
use crate::format::{self, Rustfmt};
use crate::marker::{Span, check_name};
use crate::source::{SourceLine, TextFile};
use crate::sync::{self, Files};
use crate::tree::SourceTree;

/// What an `@exercise` marker says.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ExerciseOpen {
    /// The chapter whose exercise leaves the region out.
    pub chapter: u32,
    pub name: String,
    /// The one-line task text.
    pub task: String,
}

/// One exercise region of a file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ExerciseDef {
    pub open: ExerciseOpen,
    /// The file's path relative to the tree's root.
    pub path: String,
    /// The line number of the `@exercise` marker.
    pub marker_line: usize,
    /// The region's first and last line, as indices into the file's `lines`.
    pub first: usize,
    pub last: usize,
}

impl ExerciseDef {
    /// The line that replaces the region (without indentation).
    pub fn replacement(&self) -> String {
        let ExerciseOpen {
            chapter,
            name,
            task,
        } = &self.open;
        format!("todo!(\"chapter {chapter}, {name}: {task}\")")
    }
}

/// Parses what follows `@exercise`: `N name: task`.
pub fn parse_open(text: &str) -> std::result::Result<ExerciseOpen, String> {
    const FORM: &str = "an exercise is `@exercise N name: one-line task`";
    let (head, task) = text
        .split_once(':')
        .ok_or_else(|| format!("no `:` before the task text ({FORM})"))?;
    let words: Vec<&str> = head.split_whitespace().collect();
    let [chapter, name] = words.as_slice() else {
        return Err(format!("expected a chapter and a name before `:` ({FORM})"));
    };
    let chapter = chapter
        .parse()
        .ok()
        .filter(|_| chapter.bytes().all(|b| b.is_ascii_digit()))
        .ok_or_else(|| format!("`{chapter}`: an exercise belongs to one chapter `N` ({FORM})"))?;
    check_name(name)?;
    let task = task.trim();
    if task.is_empty() {
        return Err(format!("empty task text ({FORM})"));
    }
    if let Some(c) = task.chars().find(|c| "\"\\{}".contains(*c)) {
        return Err(format!(
            "`{c}` in the task text (it becomes a `todo!` message: no `\"`, `\\`, `{{` or `}}`)"
        ));
    }
    Ok(ExerciseOpen {
        chapter,
        name: name.to_string(),
        task: task.to_string(),
    })
}

/// Whether an `@exercise` marker may stand in the file at `path`, inside lines of chapters
/// `enclosing`, inside the exercise opened on line `outer` if any; the error message otherwise.
pub fn check_open(
    path: &str,
    open: &ExerciseOpen,
    enclosing: Span,
    outer: Option<usize>,
) -> std::result::Result<(), String> {
    if !path.ends_with(".rs") {
        return Err("exercise regions are Rust code (`.rs` files only)".into());
    }
    if let Some(line) = outer {
        return Err(format!(
            "exercise inside the exercise opened on line {line}"
        ));
    }
    if !enclosing.contains(open.chapter) {
        return Err(format!(
            "exercise of chapter {} around lines of chapters {enclosing}",
            open.chapter
        ));
    }
    Ok(())
}

/// Whether the region `def` of a file whose lines are `lines` holds code of its chapter; the
/// error message otherwise.
pub fn check_region(def: &ExerciseDef, lines: &[SourceLine]) -> std::result::Result<(), String> {
    let chapter = def.open.chapter;
    let has_code = lines[def.first..=def.last]
        .iter()
        .any(|l| !l.is_blank() && l.span.contains(chapter));
    if has_code {
        Ok(())
    } else {
        Err(format!("no line of the exercise is in chapter {chapter}"))
    }
}

impl TextFile {
    /// The file's text in chapter `chapter`'s exercise form, or `None` if it does not exist then.
    pub fn render_exercise(&self, chapter: u32) -> Option<String> {
        if !self.present_in(chapter) {
            return None;
        }
        let present: Vec<usize> = self.lines_in(chapter).collect();
        let mut out: Vec<String> = Vec::new();
        let mut skip_to = None;
        for &i in &present {
            if skip_to.is_some_and(|last| i <= last) {
                continue;
            }
            let region = self
                .exercises
                .iter()
                .find(|e| e.open.chapter == chapter && (e.first..=e.last).contains(&i));
            match region {
                Some(region) => {
                    let indent = present
                        .iter()
                        .filter(|&&k| (region.first..=region.last).contains(&k))
                        .map(|&k| self.lines[k].text.as_str())
                        .find(|text| !text.trim().is_empty())
                        .map_or("", |text| &text[..text.len() - text.trim_start().len()]);
                    // The value of its block when the block ends right after it, else a
                    // statement.
                    let tail = present
                        .iter()
                        .filter(|&&k| k > region.last)
                        .map(|&k| self.lines[k].text.trim())
                        .find(|text| !text.is_empty())
                        .is_none_or(|text| text.starts_with('}'));
                    let end = if tail { "" } else { ";" };
                    out.push(format!("{indent}{}{end}", region.replacement()));
                    skip_to = Some(region.last);
                }
                None => out.push(self.lines[i].text.clone()),
            }
        }
        let mut text = out.join("\n");
        if self.trailing_newline && !text.is_empty() {
            text.push('\n');
        }
        Some(text)
    }
}

impl SourceTree {
    /// Every exercise region of the tree, by file, then line.
    pub fn exercises(&self) -> impl Iterator<Item = &ExerciseDef> {
        self.text_files().flat_map(|f| f.exercises.iter())
    }

    /// Every file as it is in chapter `chapter`'s exercise form: path to contents.
    pub fn exercise_snapshot(&self, chapter: u32) -> Files {
        let mut files = self.snapshot(chapter);
        for file in self.text_files() {
            if file.exercises.iter().any(|e| e.open.chapter == chapter)
                && let Some(text) = file.render_exercise(chapter)
            {
                files.insert(file.path.clone(), text.into_bytes());
            }
        }
        files
    }
}

/// The exercises of each chapter: chapter number to the distinct exercise names and their task
/// texts (the first region's), in file order.
pub fn by_chapter(tree: &SourceTree) -> BTreeMap<u32, Vec<(String, String)>> {
    let mut out: BTreeMap<u32, Vec<(String, String)>> = BTreeMap::new();
    for def in tree.exercises() {
        let list = out.entry(def.open.chapter).or_default();
        if !list.iter().any(|(name, _)| *name == def.open.name) {
            list.push((def.open.name.clone(), def.open.task.clone()));
        }
    }
    out
}

/// The exercise tree of every chapter that has exercises, as generated from the repository at
/// `repo`: chapter directory name (`chapter-07`) to files, the exercise form of every file and
/// the repository's `rust-toolchain.toml`, Rust files formatted as `split` formats the chapters.
pub fn generate(repo: &Path) -> Result<BTreeMap<String, Files>> {
    let (chapters, tree, toolchain) = sync::sources(repo)?;
    let mut all = BTreeMap::new();
    for &chapter in by_chapter(&tree).keys() {
        let Some(dir) = chapters.get(chapter).map(|c| c.dir_name()) else {
            continue;
        };
        let mut files = tree.exercise_snapshot(chapter);
        files.insert("rust-toolchain.toml".to_string(), toolchain.clone());
        all.insert(dir, files);
    }
    format::format_snapshots(&Rustfmt::for_repo(repo)?, &mut all, |failure| {
        Error::new(format!(
            "rustfmt cannot format the exercise form of {}/{}:\n{}",
            failure.dir, failure.path, failure.message
        ))
    })?;
    Ok(all)
}
