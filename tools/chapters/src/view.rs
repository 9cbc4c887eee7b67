//! A snippet as the book shows it in one chapter: its lines marked new, removed or unchanged,
//! a few context lines around them, and where the change goes (the location line).
//!
//! Because every chapter's version of a file is a subsequence of the annotated file, the
//! difference between chapter N-1 and chapter N needs no diff algorithm: a line is *added* in N
//! if it is present in N and not in N-1, *removed* if the other way round. The snippet's region
//! is its own lines plus any run of removed lines right before or after it, so a block of
//! replacement code written just after the `@{ A..N` block it replaces shows as "replace".

use crate::config::Chapters;
use crate::error::{Error, Result};
use crate::item;
use crate::source::TextFile;
use crate::tree::SourceTree;

/// How a shown line relates to the previous chapter.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// A faded line around the snippet, for orientation.
    Context,
    /// A snippet line unchanged since the previous chapter (or any line in the first chapter).
    Plain,
    /// A snippet line new in this chapter.
    Added,
    /// A line of the previous chapter that this chapter removes.
    Removed,
}

/// One shown line.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ViewLine {
    pub kind: Kind,
    pub text: String,
    /// The index of the line in the annotated file's `lines`.
    pub index: usize,
}

/// What the reader does with the snippet. Line numbers are 1-based.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Action {
    /// Nothing changed (or this is the first chapter): lines `first..=last` of the chapter's file.
    Listing { first: usize, last: usize },
    /// The whole file is new in this chapter.
    NewFile,
    /// Insert after line `line` of the previous chapter's file (0: at the top).
    AddAfter { line: usize },
    /// Replace `removed` lines, starting at line `at` of the previous chapter's file.
    Replace { removed: usize, at: usize },
    /// Delete `removed` lines, starting at line `at` of the previous chapter's file.
    Remove { removed: usize, at: usize },
    /// New and old lines mixed: lines `first..=last` of the chapter's file, changes marked.
    Change { first: usize, last: usize },
}

/// A snippet as of one chapter.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SnippetView {
    pub name: String,
    pub path: String,
    pub chapter: u32,
    pub previous: Option<u32>,
    /// The enclosing item, like `fn trap_dispatch` or `impl EnvTable`.
    pub item: Option<String>,
    pub action: Action,
    pub lines: Vec<ViewLine>,
}

impl SnippetView {
    /// The annotated-file line indices this view shows as the chapter's change (for coverage):
    /// added and removed lines, or in the first chapter every snippet line.
    pub fn shown_changes(&self) -> impl Iterator<Item = usize> + '_ {
        let first = self.previous.is_none();
        self.lines
            .iter()
            .filter(move |l| match l.kind {
                Kind::Added | Kind::Removed => true,
                Kind::Plain => first,
                Kind::Context => false,
            })
            .map(|l| l.index)
    }
}

/// Line numbers of `file` in chapter `chapter`: index into `lines` to 1-based number.
fn numbers(file: &TextFile, chapter: Option<u32>) -> Vec<Option<usize>> {
    let mut out = vec![None; file.lines.len()];
    if let Some(chapter) = chapter {
        for (n, i) in file.lines_in(chapter).enumerate() {
            out[i] = Some(n + 1);
        }
    }
    out
}

/// The snippet `name` as of chapter `chapter` (default: the snippet's own chapter), with up to
/// `context` faded lines before and after.
pub fn view(
    tree: &SourceTree,
    chapters: &Chapters,
    name: &str,
    chapter: Option<u32>,
    context: usize,
) -> Result<SnippetView> {
    let (file, def) = tree
        .snippet(name)
        .ok_or_else(|| Error::new(format!("unknown snippet `{name}`")))?;
    let chapter = chapter.unwrap_or(def.chapter);
    if !chapters.contains(chapter) {
        return Err(Error::new(format!(
            "snippet `{name}`: no chapter {chapter}"
        )));
    }
    let previous = chapters.previous(chapter);
    let now = numbers(file, Some(chapter));
    let before = numbers(file, previous);
    let removed = |i: usize| before[i].is_some() && now[i].is_none();
    let (mut start, mut end) = (def.first, def.last);
    while start > 0 && removed(start - 1) {
        start -= 1;
    }
    while end + 1 < file.lines.len() && removed(end + 1) {
        end += 1;
    }
    let mut lines = Vec::new();
    let line = |kind: Kind, index: usize| ViewLine {
        kind,
        text: file.lines[index].text.clone(),
        index,
    };
    let context_before: Vec<usize> = (0..start).filter(|&i| now[i].is_some()).collect();
    let skip = context_before.len().saturating_sub(context);
    lines.extend(
        context_before[skip..]
            .iter()
            .map(|&i| line(Kind::Context, i)),
    );
    for i in start..=end {
        let kind = match (before[i], now[i]) {
            (None, Some(_)) if previous.is_some() => Kind::Added,
            (_, Some(_)) => Kind::Plain,
            (Some(_), None) => Kind::Removed,
            (None, None) => continue,
        };
        lines.push(line(kind, i));
    }
    let count = |kind: Kind| lines.iter().filter(|l| l.kind == kind).count();
    let (added, gone, plain) = (count(Kind::Added), count(Kind::Removed), count(Kind::Plain));
    if added + gone + plain == 0 {
        return Err(Error::at(
            &def.path,
            def.marker_line,
            format!("snippet `{name}` has no lines in chapter {chapter}"),
        ));
    }
    let after = (end + 1..file.lines.len()).filter(|&i| now[i].is_some());
    lines.extend(after.take(context).map(|i| line(Kind::Context, i)));

    let region = || lines.iter().filter(|l| l.kind != Kind::Context);
    let present: Vec<usize> = region().filter_map(|l| now[l.index]).collect();
    let span = || (present[0], present[present.len() - 1]);
    let first_removed =
        || region().find_map(|l| (l.kind == Kind::Removed).then(|| before[l.index]));
    let at = first_removed().flatten().unwrap_or(0);
    let action = match previous {
        None => Action::Listing {
            first: span().0,
            last: span().1,
        },
        Some(p) if !file.present_in(p) => Action::NewFile,
        Some(_) => match (added, gone, plain) {
            (0, 0, _) => Action::Listing {
                first: span().0,
                last: span().1,
            },
            (0, removed, 0) => Action::Remove { removed, at },
            (_, 0, 0) => Action::AddAfter {
                line: (0..start).rev().find_map(|i| before[i]).unwrap_or(0),
            },
            (_, removed, 0) => Action::Replace { removed, at },
            _ => Action::Change {
                first: span().0,
                last: span().1,
            },
        },
    };

    // The enclosing item, looked up in the chapter's file (the previous one if the file is gone).
    let numbering = if file.present_in(chapter) {
        &now
    } else {
        &before
    };
    let above: Vec<&str> = (0..start)
        .filter(|&i| numbering[i].is_some())
        .map(|i| file.lines[i].text.as_str())
        .collect();
    let first_text = region()
        .map(|l| l.text.as_str())
        .find(|t| !t.trim().is_empty());
    let item = item::enclosing(&file.path, &above, first_text.unwrap_or(""));
    Ok(SnippetView {
        name: name.to_string(),
        path: file.path.clone(),
        chapter,
        previous,
        item,
        action,
        lines,
    })
}
