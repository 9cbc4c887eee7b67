//! `kernel-final/` itself: a module's doc header reads the same way in every chapter.

use std::collections::BTreeMap;
use std::path::Path;

use chapters::{Chapters, SourceTree};

/// A module doc header (`//!` lines at the top of a file) whose first line is a paragraph of its
/// own (a title, as rustdoc shows it in the module list) in one chapter must be one in every
/// chapter. A paragraph that a later chapter replaces must not take the blank `//!` line that
/// separates it from the title with it: that line goes outside the blocks, shared by every
/// chapter (see `kernel-final/kernel/src/cpu.rs`).
#[test]
fn a_title_line_stays_a_paragraph_of_its_own() {
    let repo = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let chapters = Chapters::load(&repo.join("chapters.toml")).unwrap();
    let tree = SourceTree::load(&repo.join("kernel-final"), &chapters).unwrap();
    let mut problems = Vec::new();
    for file in tree.text_files().filter(|f| f.path.ends_with(".rs")) {
        // Chapter to whether the title stands alone, for chapters whose header is longer.
        let mut alone: BTreeMap<u32, bool> = BTreeMap::new();
        for chapter in chapters.iter().map(|c| c.number) {
            let Some(text) = file.render(chapter) else {
                continue;
            };
            let header: Vec<&str> = text
                .lines()
                .take_while(|l| l.trim_start().starts_with("//!"))
                .collect();
            if header.len() >= 2 {
                alone.insert(chapter, header[1].trim() == "//!");
            }
        }
        if alone.values().any(|&a| a) && alone.values().any(|&a| !a) {
            let joined: Vec<String> = alone
                .iter()
                .filter(|(_, a)| !**a)
                .map(|(c, _)| c.to_string())
                .collect();
            problems.push(format!(
                "kernel-final/{}: the header's first line runs into the next paragraph in \
                 chapter(s) {}",
                file.path,
                joined.join(", ")
            ));
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}
