//! Parsing one annotated file: which chapters each line is in, and the named snippets.
//!
//! The parser walks the file once with a stack of open blocks. A line's span is the span of
//! the innermost block that names chapters, else the file's span (`@file`, default: every
//! chapter). A block's span must lie within the span around it, so nesting only ever narrows.
//! A line that ends with a one-line marker (`code // @3`) is read as `@{ 3`, the line, `@}`.
//! A line that disappears before its file does must be a ghost line (so the final kernel never
//! compiles removed code), and a ghost line must disappear (or it would never be live code).
//! A line is hidden from the book when a `hidden` block encloses it or its file is marked
//! `@file N hidden`.

use crate::config::Chapters;
use crate::error::{Error, Result};
use crate::exercise::{self, ExerciseDef, ExerciseOpen};
use crate::marker::{self, Line, Marker, Open, Span, Syntax};

/// One line of an annotated file, markers excluded.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SourceLine {
    /// The 1-based line number in the annotated file (for messages).
    pub number: usize,
    /// The line as snapshots show it (ghost lines uncommented).
    pub text: String,
    /// The chapters the line is in.
    pub span: Span,
    /// Whether the book deliberately does not show the line.
    pub hidden: bool,
}

impl SourceLine {
    /// Whether the line holds nothing but whitespace (such lines never count for coverage).
    pub fn is_blank(&self) -> bool {
        self.text.trim().is_empty()
    }
}

/// A named snippet: a contiguous run of lines of one file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SnippetDef {
    pub name: String,
    /// The file's path relative to the tree's root.
    pub path: String,
    /// The chapter the snippet belongs to: the start of its span.
    pub chapter: u32,
    /// The line number of its `@{` marker.
    pub marker_line: usize,
    /// Its first and last line, as indices into the file's `lines`.
    pub first: usize,
    pub last: usize,
}

/// An annotated text file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TextFile {
    pub path: String,
    pub span: Span,
    pub lines: Vec<SourceLine>,
    pub trailing_newline: bool,
    pub snippets: Vec<SnippetDef>,
    /// The exercise regions (`@exercise N name: task` ... `@}`), in file order.
    pub exercises: Vec<ExerciseDef>,
}

struct Block {
    span: Span,
    name: Option<String>,
    hidden: bool,
    line: usize,
    first: usize,
    /// For an exercise region: what its marker says.
    exercise: Option<ExerciseOpen>,
}

/// The parser's state while it walks one file.
struct Parser<'a> {
    path: &'a str,
    chapters: &'a Chapters,
    file: TextFile,
    /// The line of the `@file` marker, if any.
    file_marker: Option<usize>,
    /// `@file N hidden`: every line of the file is hidden from the book.
    file_hidden: bool,
    any_block: bool,
    stack: Vec<Block>,
}

impl Parser<'_> {
    fn err(&self, line: usize, message: impl Into<String>) -> Error {
        Error::at(self.path, line, message)
    }

    /// Every chapter `span` names must be in chapters.toml.
    fn check(&self, line: usize, span: Span) -> Result<()> {
        for number in std::iter::once(span.start).chain(span.end) {
            if !self.chapters.contains(number) {
                return Err(self.err(line, format!("chapter {number} is not in chapters.toml")));
            }
        }
        Ok(())
    }

    /// The span of the innermost block, else the file's.
    fn span(&self) -> Span {
        self.stack.last().map_or(self.file.span, |b| b.span)
    }

    fn file_marker(&mut self, number: usize, span: Span, hidden: bool) -> Result<()> {
        if let Some(first) = self.file_marker {
            return Err(self.err(
                number,
                format!("second `@file` (the first is on line {first})"),
            ));
        }
        if self.any_block {
            return Err(self.err(number, "`@file` must come before the first `@{` block"));
        }
        self.check(number, span)?;
        self.file.span = span;
        self.file_hidden = hidden;
        // Lines before the marker belong to the file's span (and hiding) too: a file may put
        // its marker last (see `verbatim`).
        for line in &mut self.file.lines {
            line.span = span;
            line.hidden |= hidden;
        }
        self.file_marker = Some(number);
        Ok(())
    }

    fn open(&mut self, number: usize, open: Open) -> Result<()> {
        self.any_block = true;
        let span = self.span();
        let block_span = match open.span {
            Some(own) => {
                self.check(number, own)?;
                if !own.within(span) {
                    return Err(self.err(
                        number,
                        format!("block chapters {own} are not within the enclosing {span}"),
                    ));
                }
                own
            }
            None => span,
        };
        self.stack.push(Block {
            span: block_span,
            name: open.name,
            hidden: open.hidden,
            line: number,
            first: self.file.lines.len(),
            exercise: None,
        });
        Ok(())
    }

    /// `@exercise N name: task`: a block that keeps the enclosing chapters.
    fn exercise(&mut self, number: usize, open: ExerciseOpen) -> Result<()> {
        let outer = self.stack.iter().find(|b| b.exercise.is_some());
        exercise::check_open(self.path, &open, self.span(), outer.map(|b| b.line))
            .map_err(|m| self.err(number, m))?;
        self.check(number, Span::at(open.chapter))?;
        self.any_block = true;
        self.stack.push(Block {
            span: self.span(),
            name: None,
            hidden: false,
            line: number,
            first: self.file.lines.len(),
            exercise: Some(open),
        });
        Ok(())
    }

    fn close(&mut self, number: usize, name: Option<String>) -> Result<()> {
        let Some(block) = self.stack.pop() else {
            return Err(self.err(number, "`@}` without an open `@{` block"));
        };
        let own_name = block
            .exercise
            .as_ref()
            .map(|e| e.name.clone())
            .or(block.name.clone());
        if name.is_some() && name != own_name {
            return Err(self.err(
                number,
                format!(
                    "`@}} {}` closes the block opened on line {} ({})",
                    name.unwrap_or_default(),
                    block.line,
                    own_name
                        .as_deref()
                        .map_or("unnamed".into(), |n| format!("`{n}`")),
                ),
            ));
        }
        if block.first == self.file.lines.len() {
            return Err(self.err(block.line, "empty block"));
        }
        if let Some(open) = block.exercise {
            let def = ExerciseDef {
                open,
                path: self.path.to_string(),
                marker_line: block.line,
                first: block.first,
                last: self.file.lines.len() - 1,
            };
            exercise::check_region(&def, &self.file.lines).map_err(|m| self.err(block.line, m))?;
            self.file.exercises.push(def);
        } else if let Some(name) = block.name {
            self.file.snippets.push(SnippetDef {
                name,
                path: self.path.to_string(),
                chapter: block.span.start,
                marker_line: block.line,
                first: block.first,
                last: self.file.lines.len() - 1,
            });
        }
        Ok(())
    }

    /// A line that is copied (`raw`, which is [`Line::Code`]) or uncommented (a ghost line).
    fn text(&mut self, number: usize, line: Line, raw: &str) -> Result<()> {
        let span = self.span();
        let hidden = self.file_hidden || self.stack.iter().any(|b| b.hidden);
        // The line is gone from some chapter while its file is still there.
        let vanishes = span.end.is_some() && span.end != self.file.span.end;
        let text = match line {
            Line::Ghost(text) => {
                if !vanishes {
                    return Err(self.err(
                        number,
                        "ghost line in code that is never removed (only code inside an `@{ N..M` \
                         block is written as `//- code`)",
                    ));
                }
                text
            }
            _ => {
                if vanishes && !raw.trim().is_empty() {
                    return Err(self.err(
                        number,
                        format!(
                            "this line is gone from chapter {} on, so the final kernel must not \
                             compile it: write it as a ghost line (`//- code`, `#- code`)",
                            span.end.unwrap_or_default()
                        ),
                    ));
                }
                if vanishes {
                    String::new()
                } else {
                    raw.to_string()
                }
            }
        };
        self.file.lines.push(SourceLine {
            number,
            text,
            span,
            hidden,
        });
        Ok(())
    }
}

/// Parses the text of the file at `path`; chapter numbers must exist in `chapters`.
pub fn parse(path: &str, text: &str, chapters: &Chapters) -> Result<TextFile> {
    let (body, trailing_newline) = match text.strip_suffix('\n') {
        Some(body) => (body, true),
        None => (text, false),
    };
    let mut parser = Parser {
        path,
        chapters,
        file: TextFile {
            path: path.to_string(),
            span: Span::ALWAYS,
            lines: Vec::new(),
            trailing_newline,
            snippets: Vec::new(),
            exercises: Vec::new(),
        },
        file_marker: None,
        file_hidden: false,
        any_block: false,
        stack: Vec::new(),
    };
    let syntax = Syntax::for_path(path);
    let raw_lines = if text.is_empty() {
        None
    } else {
        Some(body.split('\n'))
    };
    for (index, raw) in raw_lines.into_iter().flatten().enumerate() {
        let number = index + 1;
        let raw = raw.strip_suffix('\r').unwrap_or(raw);
        let line = marker::classify_in(raw, syntax).map_err(|m| parser.err(number, m))?;
        match line {
            Line::Marker(Marker::File { span, hidden }) => {
                parser.file_marker(number, span, hidden)?
            }
            Line::Marker(Marker::Open(open)) => parser.open(number, open)?,
            Line::Marker(Marker::Close(name)) => parser.close(number, name)?,
            Line::Marker(Marker::Exercise(open)) => parser.exercise(number, open)?,
            // `code // @3` is `@{ 3`, the code, `@}`.
            Line::OneLine { open, code, line } => {
                parser.open(number, open)?;
                parser.text(number, *line, &code)?;
                parser.close(number, None)?;
            }
            line => parser.text(number, line, raw)?,
        }
    }
    if let Some(block) = parser.stack.last() {
        return Err(parser.err(block.line, "`@{` block never closed with `@}`"));
    }
    Ok(parser.file)
}

/// A file taken as it is, with no markers (compiler output, which must match byte for byte):
/// present in every chapter, every line hidden from the book's coverage.
pub fn verbatim(path: &str, text: &str) -> TextFile {
    let (body, trailing_newline) = match text.strip_suffix('\n') {
        Some(body) => (body, true),
        None => (text, false),
    };
    let lines = if text.is_empty() {
        None
    } else {
        Some(body.split('\n'))
    };
    TextFile {
        path: path.to_string(),
        span: Span::ALWAYS,
        lines: lines
            .into_iter()
            .flatten()
            .enumerate()
            .map(|(i, raw)| SourceLine {
                number: i + 1,
                text: raw.to_string(),
                span: Span::ALWAYS,
                hidden: true,
            })
            .collect(),
        trailing_newline,
        snippets: Vec::new(),
        exercises: Vec::new(),
    }
}

impl TextFile {
    /// Whether the file exists in chapter `chapter`.
    pub fn present_in(&self, chapter: u32) -> bool {
        self.span.contains(chapter)
    }

    /// The indices of the lines present in chapter `chapter`, in order.
    pub fn lines_in(&self, chapter: u32) -> impl Iterator<Item = usize> + '_ {
        let present = self.present_in(chapter);
        (0..self.lines.len()).filter(move |&i| present && self.lines[i].span.contains(chapter))
    }

    /// The file's text as of chapter `chapter`, or `None` if it does not exist then.
    pub fn render(&self, chapter: u32) -> Option<String> {
        if !self.present_in(chapter) {
            return None;
        }
        let mut out = String::new();
        for (n, i) in self.lines_in(chapter).enumerate() {
            if n > 0 {
                out.push('\n');
            }
            out.push_str(&self.lines[i].text);
        }
        // Keep the final newline convention, but an emptied file stays empty.
        if self.trailing_newline && !out.is_empty() {
            out.push('\n');
        }
        Some(out)
    }
}
