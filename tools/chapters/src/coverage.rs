//! Coverage: how much of each chapter's change the chapter's page shows.
//!
//! A chapter's *changed lines* are the lines added or removed since the previous chapter
//! (blank lines never count). Lines inside `@{ ... hidden` blocks, and every line of a file
//! marked `@file N hidden`, are deliberately not shown and leave the count. A changed line is *shown* when a snippet rendered as of that chapter
//! on the chapter's page displays it as added or removed. Every chapter after the first must
//! show all of its change; the first chapter, where everything is new, shows key snippets only
//! and its share is reported for information. `Cargo.lock` files, which cargo writes and which
//! cannot carry markers, never count.

use std::collections::BTreeSet;

use crate::config::Chapters;
use crate::tree::SourceTree;
use crate::view::SnippetView;

/// A run of changed lines no snippet shows: lines `first..=last` of the annotated file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Unshown {
    pub path: String,
    pub first: usize,
    pub last: usize,
}

/// The coverage of one chapter.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ChapterCoverage {
    pub chapter: u32,
    /// Non-blank lines added or removed since the previous chapter.
    pub changed: usize,
    /// Of those, lines marked hidden (and not shown anyway).
    pub hidden: usize,
    /// Of the rest, lines the page shows.
    pub shown: usize,
    pub unshown: Vec<Unshown>,
    /// Whether the chapter must reach 100% (every chapter but the first).
    pub required: bool,
}

impl ChapterCoverage {
    /// The share of the chapter's non-hidden change that its page shows, in percent.
    pub fn percent(&self) -> f64 {
        let due = self.changed - self.hidden;
        if due == 0 {
            100.0
        } else {
            self.shown as f64 * 100.0 / due as f64
        }
    }

    /// Whether the chapter passes: everything due is shown, or the chapter is exempt.
    pub fn passes(&self) -> bool {
        !self.required || self.unshown.is_empty()
    }
}

/// The coverage of every chapter, given every snippet view shown on the chapters' pages (a view
/// counts for the chapter it is rendered as of).
pub fn coverage(
    tree: &SourceTree,
    chapters: &Chapters,
    views: &[SnippetView],
) -> Vec<ChapterCoverage> {
    let mut out = Vec::new();
    for chapter in chapters.iter().map(|c| c.number) {
        let previous = chapters.previous(chapter);
        let shown: BTreeSet<(&str, usize)> = views
            .iter()
            .filter(|v| v.chapter == chapter)
            .flat_map(|v| v.shown_changes().map(move |i| (v.path.as_str(), i)))
            .collect();
        let mut report = ChapterCoverage {
            chapter,
            changed: 0,
            hidden: 0,
            shown: 0,
            unshown: Vec::new(),
            required: previous.is_some(),
        };
        for file in tree
            .text_files()
            .filter(|f| !f.path.ends_with("Cargo.lock"))
        {
            let present = |c: Option<u32>, i: usize| {
                c.is_some_and(|c| file.present_in(c) && file.lines[i].span.contains(c))
            };
            // The index of the last unshown line, to merge runs split only by blank lines.
            let mut last_unshown: Option<usize> = None;
            for (i, line) in file.lines.iter().enumerate() {
                if line.is_blank() || present(Some(chapter), i) == present(previous, i) {
                    continue;
                }
                report.changed += 1;
                if shown.contains(&(file.path.as_str(), i)) {
                    report.shown += 1;
                } else if line.hidden {
                    report.hidden += 1;
                } else {
                    let joins = last_unshown
                        .is_some_and(|last| file.lines[last + 1..i].iter().all(|l| l.is_blank()));
                    match report.unshown.last_mut() {
                        Some(run) if joins => run.last = line.number,
                        _ => report.unshown.push(Unshown {
                            path: file.path.clone(),
                            first: line.number,
                            last: line.number,
                        }),
                    }
                    last_unshown = Some(i);
                }
            }
        }
        out.push(report);
    }
    out
}
