//! The annotated source tree (`kernel-final/`): every file, parsed, and the snippet index.
//!
//! Text files are parsed for markers; a file that is not UTF-8 is binary and is copied into
//! every chapter as it is. `target/` directories (build output) are never part of the tree.

use std::collections::BTreeMap;
use std::path::Path;

use crate::config::Chapters;
use crate::error::{Error, Result};
use crate::source::{self, SnippetDef, TextFile};

/// One file of the tree.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SourceFile {
    Text(TextFile),
    Binary { path: String, bytes: Vec<u8> },
}

impl SourceFile {
    /// The path relative to the tree's root, with `/` separators.
    pub fn path(&self) -> &str {
        match self {
            SourceFile::Text(file) => &file.path,
            SourceFile::Binary { path, .. } => path,
        }
    }
}

/// The parsed tree, files sorted by path.
#[derive(Clone, Debug)]
pub struct SourceTree {
    pub files: Vec<SourceFile>,
    /// Snippet name to (index into `files`, index into that file's `snippets`).
    index: BTreeMap<String, (usize, usize)>,
}

impl SourceTree {
    /// Builds the tree from `(path, contents)` pairs.
    pub fn from_files(files: Vec<(String, Vec<u8>)>, chapters: &Chapters) -> Result<SourceTree> {
        let mut parsed: Vec<SourceFile> = Vec::new();
        for (path, bytes) in files {
            parsed.push(match String::from_utf8(bytes) {
                Ok(text) if path.ends_with(".stderr") => {
                    SourceFile::Text(source::verbatim(&path, &text))
                }
                Ok(text) => SourceFile::Text(source::parse(&path, &text, chapters)?),
                Err(e) => SourceFile::Binary {
                    path,
                    bytes: e.into_bytes(),
                },
            });
        }
        parsed.sort_by(|a, b| a.path().cmp(b.path()));
        follow_siblings(&mut parsed);
        if let Some(pair) = parsed.windows(2).find(|w| w[0].path() == w[1].path()) {
            return Err(Error::new(format!("{}: file given twice", pair[0].path())));
        }
        let mut index: BTreeMap<String, (usize, usize)> = BTreeMap::new();
        for (f, file) in parsed.iter().enumerate() {
            let SourceFile::Text(text) = file else {
                continue;
            };
            for (s, def) in text.snippets.iter().enumerate() {
                if let Some(&(f0, s0)) = index.get(&def.name) {
                    let SourceFile::Text(other) = &parsed[f0] else {
                        unreachable!()
                    };
                    let first = &other.snippets[s0];
                    return Err(Error::at(
                        &def.path,
                        def.marker_line,
                        format!(
                            "snippet `{}` is already defined at {}:{}",
                            def.name, first.path, first.marker_line
                        ),
                    ));
                }
                index.insert(def.name.clone(), (f, s));
            }
        }
        Ok(SourceTree {
            files: parsed,
            index,
        })
    }

    /// Reads every file under `root` except `target/` directories.
    pub fn load(root: &Path, chapters: &Chapters) -> Result<SourceTree> {
        let mut files = Vec::new();
        read_dir(root, "", &mut files)?;
        SourceTree::from_files(files, chapters)
    }

    /// The snippet named `name` and the file that holds it.
    pub fn snippet(&self, name: &str) -> Option<(&TextFile, &SnippetDef)> {
        let &(f, s) = self.index.get(name)?;
        let SourceFile::Text(file) = &self.files[f] else {
            return None;
        };
        Some((file, &file.snippets[s]))
    }

    /// Every snippet, sorted by name.
    pub fn snippets(&self) -> impl Iterator<Item = &SnippetDef> {
        self.index
            .keys()
            .filter_map(|name| self.snippet(name).map(|(_, def)| def))
    }

    /// The text files.
    pub fn text_files(&self) -> impl Iterator<Item = &TextFile> {
        self.files.iter().filter_map(|f| match f {
            SourceFile::Text(text) => Some(text),
            SourceFile::Binary { .. } => None,
        })
    }

    /// Every file as it is in chapter `chapter`: path to contents.
    pub fn snapshot(&self, chapter: u32) -> BTreeMap<String, Vec<u8>> {
        let mut out = BTreeMap::new();
        for file in &self.files {
            match file {
                SourceFile::Text(text) => {
                    if let Some(contents) = text.render(chapter) {
                        out.insert(text.path.clone(), contents.into_bytes());
                    }
                }
                SourceFile::Binary { path, bytes } => {
                    out.insert(path.clone(), bytes.clone());
                }
            }
        }
        out
    }
}

/// Gives each compiler-output file (`x.stderr`, which trybuild compares byte for byte and which
/// therefore cannot carry markers, see `source::verbatim`) the chapters of its test (`x.rs` in
/// the same directory).
fn follow_siblings(files: &mut [SourceFile]) {
    let spans: BTreeMap<String, crate::marker::Span> = files
        .iter()
        .filter_map(|f| match f {
            SourceFile::Text(t) if t.path.ends_with(".rs") => Some((t.path.clone(), t.span)),
            _ => None,
        })
        .collect();
    for file in files.iter_mut() {
        let SourceFile::Text(text) = file else {
            continue;
        };
        let Some(stem) = text.path.strip_suffix(".stderr") else {
            continue;
        };
        if let Some(&span) = spans.get(&format!("{stem}.rs")) {
            text.span = span;
        }
    }
}

/// An editor's or tool's temporary file (`.name.tmp`, `name~`, `.name.swp`): never source.
fn is_scratch(name: &str) -> bool {
    (name.starts_with('.') && (name.ends_with(".tmp") || name.ends_with(".swp")))
        || name.ends_with('~')
}

fn read_dir(dir: &Path, prefix: &str, out: &mut Vec<(String, Vec<u8>)>) -> Result<()> {
    let entries = std::fs::read_dir(dir).map_err(|e| Error::io(dir, e))?;
    for entry in entries {
        let entry = entry.map_err(|e| Error::io(dir, e))?;
        let name = entry.file_name().to_string_lossy().into_owned();
        let path = entry.path();
        let rel = format!("{prefix}{name}");
        let kind = entry.file_type().map_err(|e| Error::io(&path, e))?;
        if kind.is_dir() {
            if name != "target" {
                read_dir(&path, &format!("{rel}/"), out)?;
            }
        } else if !is_scratch(&name) {
            let bytes = std::fs::read(&path).map_err(|e| Error::io(&path, e))?;
            out.push((rel, bytes));
        }
    }
    Ok(())
}
