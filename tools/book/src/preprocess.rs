//! The `{{#snippet NAME}}` preprocessor and the book's checks; a line `{{#exercises}}` becomes
//! the table of the exercises that `kernel-final/` marks (for the instructors' appendix).
//!
//! A line `{{#snippet NAME}}` (or `{{#snippet NAME@N}}` for the snippet as of chapter N) becomes
//! the rendered snippet. Chapter pages (`<slug>.md` of `chapters.toml`) get their title from
//! `chapters.toml`. After all pages, the build fails if a snippet name is unknown, if a snippet
//! of `kernel-final/` is shown on no page, or if a chapter's page shows less than all of the
//! chapter's change (see `chapters::coverage`). Every problem is reported, not just the first.

use std::collections::BTreeSet;

use anyhow::bail;
use chapters::coverage::{ChapterCoverage, coverage};
use chapters::view::{SnippetView, view};
use chapters::{Chapters, SourceTree};
use mdbook_preprocessor::book::Book;
use mdbook_preprocessor::{Preprocessor, PreprocessorContext};

use crate::render;

/// Faded lines shown before and after a snippet.
const CONTEXT_LINES: usize = 3;

/// The preprocessor; it reads `chapters.toml` and `kernel-final/` from the book's root.
pub struct Snippets {
    /// A draft build: unshown snippets and missing coverage are warnings, not errors (for
    /// authors in the middle of a chapter). Unknown snippets are errors all the same.
    pub draft: bool,
}

/// A snippet shown on a page.
struct Shown {
    view: SnippetView,
    page_chapter: Option<u32>,
}

impl Preprocessor for Snippets {
    fn name(&self) -> &str {
        "smpbook-snippets"
    }

    fn run(&self, ctx: &PreprocessorContext, mut book: Book) -> anyhow::Result<Book> {
        let chapters = Chapters::load(&ctx.root.join("chapters.toml"))?;
        let tree = SourceTree::load(&ctx.root.join("kernel-final"), &chapters)
            .map_err(|e| e.under("kernel-final"))?;
        let src = ctx.config.book.src.display().to_string();
        let mut errors: Vec<String> = Vec::new();
        // Problems a draft build only warns about.
        let mut incomplete: Vec<String> = Vec::new();
        let mut shown: Vec<Shown> = Vec::new();
        book.for_each_chapter_mut(|page| {
            let Some(path) = page.path.as_ref().map(|p| p.display().to_string()) else {
                return;
            };
            let chapter = chapters.by_page(&path);
            let mut page_errors = Vec::new();
            let mut content = expand(
                &page.content,
                chapter.map(|c| c.number),
                &tree,
                &chapters,
                &mut shown,
                &mut page_errors,
            );
            if let Some(chapter) = chapter {
                if content.trim_start().starts_with("# ") {
                    page_errors.push((
                        1,
                        "the page title comes from chapters.toml: remove the `# ` heading"
                            .to_string(),
                    ));
                }
                content = format!(
                    "# Chapter {}: {}\n\n{content}",
                    chapter.number, chapter.title
                );
            }
            page.content = content;
            errors.extend(
                page_errors
                    .into_iter()
                    .map(|(line, e)| format!("{src}/{path}:{line}: {e}")),
            );
        });
        let names: BTreeSet<&str> = shown.iter().map(|s| s.view.name.as_str()).collect();
        for def in tree.snippets().filter(|d| !names.contains(d.name.as_str())) {
            incomplete.push(format!(
                "kernel-final/{}:{}: snippet `{}` is shown on no page",
                def.path, def.marker_line, def.name
            ));
        }
        let own: Vec<SnippetView> = shown
            .into_iter()
            .filter(|s| s.page_chapter == Some(s.view.chapter))
            .map(|s| s.view)
            .collect();
        let report = coverage(&tree, &chapters, &own);
        eprint!("{}", describe(&report, &chapters));
        for failing in report.iter().filter(|c| !c.passes()) {
            incomplete.push(format!(
                "chapter {}: its page shows {:.1}% of the chapter's change (100% required)",
                failing.chapter,
                failing.percent()
            ));
        }
        if self.draft {
            for warning in &incomplete {
                eprintln!("warning (draft): {warning}");
            }
        } else {
            errors.extend(incomplete);
        }
        if !errors.is_empty() {
            bail!(
                "the book has {} problem(s):\n  {}",
                errors.len(),
                errors.join("\n  ")
            );
        }
        Ok(book)
    }
}

/// `content` with every `{{#snippet}}` line replaced; problems go to `errors` with a line number.
fn expand(
    content: &str,
    page_chapter: Option<u32>,
    tree: &SourceTree,
    chapters: &Chapters,
    shown: &mut Vec<Shown>,
    errors: &mut Vec<(usize, String)>,
) -> String {
    let mut out = String::new();
    let mut fence: Option<&str> = None;
    for (index, line) in content.lines().enumerate() {
        let trimmed = line.trim();
        for marker in ["```", "~~~"] {
            if trimmed.starts_with(marker) {
                fence = match fence {
                    None => Some(marker),
                    Some(open) if open == marker => None,
                    other => other,
                };
            }
        }
        if fence.is_none() && trimmed == "{{#exercises}}" {
            out += &exercises(tree, chapters);
            continue;
        }
        let directive = trimmed
            .strip_prefix("{{#snippet")
            .and_then(|rest| rest.strip_suffix("}}"))
            .map(str::trim);
        match directive {
            _ if fence.is_some() => out.push_str(line),
            Some(arg) => match show(arg, tree, chapters) {
                Ok(view) => {
                    out += "\n";
                    out += &render::snippet(&view, page_chapter);
                    shown.push(Shown { view, page_chapter });
                }
                Err(e) => errors.push((index + 1, e)),
            },
            None if line.contains("{{#snippet") => {
                errors.push((
                    index + 1,
                    "`{{#snippet NAME}}` must stand on a line of its own".into(),
                ));
            }
            None => out.push_str(line),
        }
        out.push('\n');
    }
    out
}

/// The table that `{{#exercises}}` stands for: every exercise region of `kernel-final/`, by
/// chapter, with its task text and the file the student completes.
fn exercises(tree: &SourceTree, chapters: &Chapters) -> String {
    let mut out = String::from(
        "\n| chapter | exercise | the task (the `todo!` message) | file |\n| --- | --- | --- | --- |\n",
    );
    let mut defs: Vec<_> = tree.exercises().collect();
    defs.sort_by_key(|d| d.open.chapter);
    for def in defs {
        let title = chapters
            .get(def.open.chapter)
            .map_or(String::new(), |c| format!("{}. {}", c.number, c.title));
        out += &format!(
            "| {title} | `{}` | {} | `{}` |\n",
            def.open.name, def.open.task, def.path
        );
    }
    out
}

/// The view for the argument of `{{#snippet NAME}}` or `{{#snippet NAME@N}}`.
fn show(arg: &str, tree: &SourceTree, chapters: &Chapters) -> Result<SnippetView, String> {
    let (name, chapter) = match arg.split_once('@') {
        Some((name, n)) => (
            name,
            Some(
                n.parse::<u32>()
                    .map_err(|_| format!("`{arg}`: expected NAME@CHAPTER"))?,
            ),
        ),
        None => (arg, None),
    };
    if tree.snippet(name).is_none() {
        let nearest = tree
            .snippets()
            .map(|d| (distance(name, &d.name), d.name.as_str()))
            .min()
            .filter(|(d, _)| *d <= 3);
        return Err(match nearest {
            Some((_, near)) => format!("unknown snippet `{name}` (did you mean `{near}`?)"),
            None => format!("unknown snippet `{name}`"),
        });
    }
    view(tree, chapters, name, chapter, CONTEXT_LINES).map_err(|e| match e.pos {
        // Errors about the snippet's definition point into kernel-final/.
        Some(pos) => format!("{} (kernel-final/{pos})", e.message),
        None => e.message,
    })
}

/// The edit distance between two names (for "did you mean").
fn distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut diagonal = row[0];
        row[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let above = row[j + 1];
            row[j + 1] = (above + 1)
                .min(row[j] + 1)
                .min(diagonal + usize::from(ca != *cb));
            diagonal = above;
        }
    }
    row[b.len()]
}

/// The coverage report, one line per chapter, then the lines no page shows.
pub fn describe(report: &[ChapterCoverage], chapters: &Chapters) -> String {
    let mut out = String::from(
        "coverage (non-blank lines changed since the previous chapter that its page shows):\n",
    );
    for c in report {
        let title = chapters.get(c.chapter).map_or("", |ch| ch.title.as_str());
        let due = c.changed - c.hidden;
        out += &format!(
            "  chapter {:02} {title}: {} of {due} lines, {:.1}%",
            c.chapter,
            c.shown,
            c.percent()
        );
        if c.hidden > 0 {
            out += &format!(" ({} hidden)", c.hidden);
        }
        if !c.required {
            out += " (first chapter: key snippets only, not required)";
        }
        out += "\n";
        if !c.passes() {
            for run in &c.unshown {
                let lines = if run.first == run.last {
                    run.first.to_string()
                } else {
                    format!("{}-{}", run.first, run.last)
                };
                out += &format!("    not shown: kernel-final/{}:{lines}\n", run.path);
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn edit_distance() {
        assert_eq!(distance("pgfault", "pgfualt"), 2);
        assert_eq!(distance("", "abc"), 3);
        assert_eq!(distance("same", "same"), 0);
    }

    #[test]
    fn directives_in_code_fences_are_left_alone() {
        let chapters = Chapters::parse(
            "[[chapter]]\nnumber = 0\nslug = \"a\"\ntitle = \"A\"\ndefault_prog = \"p\"\n",
        )
        .unwrap();
        let tree = SourceTree::from_files(
            vec![("a.rs".into(), b"// @{ one\nfn one() {}\n// @}\n".to_vec())],
            &chapters,
        )
        .unwrap();
        let (mut shown, mut errors) = (Vec::new(), Vec::new());
        let page = "```md\n{{#snippet nope}}\n```\n\n{{#snippet one}}\n{{#snippet onw}}\n";
        let out = expand(page, Some(0), &tree, &chapters, &mut shown, &mut errors);
        assert!(out.starts_with("```md\n{{#snippet nope}}\n```\n"));
        assert!(out.contains("<span class=\"snip snip-plain\">fn one() {}</span>"));
        assert_eq!(shown.len(), 1);
        assert_eq!(
            errors,
            [(6, "unknown snippet `onw` (did you mean `one`?)".to_string())]
        );
    }
}
