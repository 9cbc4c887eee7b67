//! Helpers shared by the tests: a chapter list and small trees built from string literals.
#![allow(dead_code, reason = "each test binary uses a different subset")]

use chapters::{Chapters, SourceTree};

/// Chapters 0 to `last`.
pub fn chapters(last: u32) -> Chapters {
    let mut text = String::new();
    for n in 0..=last {
        text += &format!(
            "[[chapter]]\nnumber = {n}\nslug = \"ch{n}\"\ntitle = \"Chapter {n}\"\ndefault_prog = \"hello\"\n"
        );
    }
    Chapters::parse(&text).unwrap()
}

/// A tree of text files.
pub fn tree(last: u32, files: &[(&str, &str)]) -> SourceTree {
    try_tree(last, files).unwrap()
}

/// A tree of text files, or the error message (`path:line: message`).
pub fn try_tree(last: u32, files: &[(&str, &str)]) -> Result<SourceTree, String> {
    let files = files
        .iter()
        .map(|(p, t)| (p.to_string(), t.as_bytes().to_vec()))
        .collect();
    SourceTree::from_files(files, &chapters(last)).map_err(|e| e.to_string())
}

/// The text of `path` in chapter `chapter`, or `None` if the file is absent then.
pub fn text(tree: &SourceTree, path: &str, chapter: u32) -> Option<String> {
    tree.snapshot(chapter)
        .remove(path)
        .map(|b| String::from_utf8(b).unwrap())
}
