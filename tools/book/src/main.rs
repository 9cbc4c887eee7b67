//! Builds the smpbook book: `smpbook-book build [--draft] [REPO]`.
//!
//! The book's root is the repository (`book.toml` there names `book/src` and `book/build`).
//! Before mdBook loads the book, `book/src/SUMMARY.md` is written from `chapters.toml`, so the
//! chapter list stays in one place (a chapter whose page does not exist yet gets a stub page); then mdBook builds the HTML with our `{{#snippet}}`
//! preprocessor, which also fails the build on unknown or unshown snippets and on coverage.

mod preprocess;
mod render;

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use chapters::Chapters;
use mdbook_driver::MDBook;

/// The appendix after the chapters: page and title.
const APPENDIX: (&str, &str) = ("instructors.md", "Appendix: teaching with the book");

/// The table of contents: the introduction, then one page per chapter, then the appendix. The
/// entries are mdBook's unnumbered kind, with our chapter numbers in the titles (mdBook would
/// count from 1).
fn summary(chapters: &Chapters) -> String {
    let mut out = String::from("# Summary\n\n[Introduction](introduction.md)\n");
    for chapter in chapters.iter() {
        out += &format!(
            "[{}. {}]({})\n",
            chapter.number,
            chapter.title,
            chapter.page()
        );
    }
    out += &format!("[{}]({})\n", APPENDIX.1, APPENDIX.0);
    out
}

fn build(repo: &Path, draft: bool) -> anyhow::Result<()> {
    let chapters = Chapters::load(&repo.join("chapters.toml"))?;
    let summary_path = repo.join("book/src/SUMMARY.md");
    let wanted = summary(&chapters);
    if std::fs::read_to_string(&summary_path).ok().as_deref() != Some(wanted.as_str()) {
        std::fs::write(&summary_path, wanted)?;
        eprintln!("wrote {} from chapters.toml", summary_path.display());
    }
    // A chapter listed before its page is written gets a stub page, as mdBook's own
    // `create-missing` would do; the coverage check still holds the chapter to its code.
    for chapter in chapters.iter() {
        let page = repo.join("book/src").join(chapter.page());
        if !page.exists() {
            std::fs::write(&page, "*This chapter is not written yet.*\n")?;
            eprintln!(
                "wrote a stub for {} (chapter {})",
                page.display(),
                chapter.number
            );
        }
    }
    let mut book = MDBook::load(repo)?;
    book.with_preprocessor(preprocess::Snippets { draft });
    book.build()?;
    eprintln!("book written to {}", book.build_dir_for("html").display());
    Ok(())
}

fn main() -> ExitCode {
    let mut args: Vec<String> = std::env::args().skip(1).collect();
    let draft = args.iter().any(|a| a == "--draft");
    args.retain(|a| a != "--draft");
    let repo = match args.as_slice() {
        [cmd] if cmd == "build" => PathBuf::from("."),
        [cmd, repo] if cmd == "build" => PathBuf::from(repo),
        _ => {
            eprintln!("usage: smpbook-book build [--draft] [REPO]");
            return ExitCode::from(2);
        }
    };
    match build(&repo, draft) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}
