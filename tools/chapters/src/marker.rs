//! The marker syntax: how one line of `kernel-final/` is read.
//!
//! A marker is a comment on a line of its own whose text starts with `@`. The comment leader is
//! `//` (Rust, but not the doc comments `///` and `//!`), `#` (assembly, TOML) or `/* ... */`
//! (linker scripts). Only the trimmed line is looked at, so re-indenting (as rustfmt does) never
//! changes a marker's meaning.
//!
//! ```text
//! @file 3          the whole file appears in chapter 3 (default: every chapter)
//! @file 3..6       the whole file is in chapters 3, 4, 5 and gone from chapter 6
//! @file 3 hidden   (or `3..6 hidden`) the same, and the book deliberately shows none of it:
//!                  every line is hidden, as if inside a `@{ 3 hidden` block
//! @{ 3 name        lines up to the matching @} appear in chapter 3; `name` is optional
//! @{ 1..5 name     lines in chapters 1 to 4, replaced (gone) from chapter 5
//! @{ name          a named snippet; its lines keep the chapter of the enclosing block
//! @{ 3 hidden      lines of chapter 3 that the book deliberately does not show
//! @} [name]        ends the innermost block (the name, if given, must match)
//! ```
//!
//! Assembly files that `global_asm!` includes are format templates, where a brace must be
//! doubled even in a comment: there the markers are written `@{{` and `@}}`.
//!
//! Code that a later chapter removes cannot stay live in the final kernel, so it is written as
//! a *ghost line*: the comment leader followed by `-` (`//- let x = old();`, `#- mov ...`,
//! `/*- ... */`). Chapter snapshots that contain the line get it uncommented.

use std::fmt;

/// The chapters a line is present in: `start` up to but not including `end`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Span {
    pub start: u32,
    pub end: Option<u32>,
}

impl Span {
    /// Present in every chapter.
    pub const ALWAYS: Span = Span {
        start: 0,
        end: None,
    };

    /// Parses `3` or `3..6` (the end must lie after the start).
    pub fn parse(text: &str) -> Option<Span> {
        let number = |s: &str| -> Option<u32> {
            (!s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()))
                .then(|| s.parse().ok())
                .flatten()
        };
        match text.split_once("..") {
            None => Some(Span {
                start: number(text)?,
                end: None,
            }),
            Some((start, end)) => {
                let (start, end) = (number(start)?, number(end)?);
                (start < end).then_some(Span {
                    start,
                    end: Some(end),
                })
            }
        }
    }

    /// Whether the span includes chapter `chapter`.
    pub fn contains(self, chapter: u32) -> bool {
        self.start <= chapter && self.end.is_none_or(|end| chapter < end)
    }

    /// Whether every chapter of `self` is also in `outer`.
    pub fn within(self, outer: Span) -> bool {
        let end_ok = match (self.end, outer.end) {
            (_, None) => true,
            (Some(end), Some(outer_end)) => end <= outer_end,
            (None, Some(_)) => false,
        };
        self.start >= outer.start && end_ok
    }
}

impl fmt::Display for Span {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.end {
            Some(end) => write!(f, "{}..{end}", self.start),
            None => write!(f, "{}", self.start),
        }
    }
}

/// The opening of a block: `@{ [span] [name] [hidden]`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Open {
    pub span: Option<Span>,
    pub name: Option<String>,
    pub hidden: bool,
}

/// A marker line.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Marker {
    /// `@file N [hidden]`: the file's chapters, and whether the book shows none of its lines.
    File {
        span: Span,
        hidden: bool,
    },
    Open(Open),
    Close(Option<String>),
}

/// What one line of the annotated source is.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Line {
    /// A marker; never copied anywhere.
    Marker(Marker),
    /// A ghost line; the text is the line as snapshots show it (indentation kept).
    Ghost(String),
    /// Anything else: copied as it is.
    Code,
}

/// Reads one line. An error message (without position) means the line looks like a marker but
/// is not a valid one.
pub fn classify(line: &str) -> Result<Line, String> {
    let trimmed = line.trim();
    let indent = &line[..line.len() - line.trim_start().len()];
    if let Some(text) = ghost_text(trimmed) {
        return Ok(Line::Ghost(
            format!("{indent}{text}").trim_end().to_string(),
        ));
    }
    match comment_text(trimmed).map(str::trim) {
        Some(text) if text.starts_with('@') => parse_marker(&text[1..]).map(Line::Marker),
        _ => Ok(Line::Code),
    }
}

/// The text of a comment that fills the whole (trimmed) line, without its leader.
fn comment_text(trimmed: &str) -> Option<&str> {
    if let Some(rest) = trimmed.strip_prefix("//") {
        (!rest.starts_with('/') && !rest.starts_with('!')).then_some(rest)
    } else if let Some(rest) = trimmed.strip_prefix("/*") {
        rest.strip_suffix("*/")
    } else {
        trimmed.strip_prefix('#')
    }
}

/// The code inside a ghost line (`//- code`, `#- code`, `/*- code */`), if it is one.
fn ghost_text(trimmed: &str) -> Option<&str> {
    let (rest, block) = if let Some(rest) = trimmed.strip_prefix("//-") {
        (rest, false)
    } else if let Some(rest) = trimmed.strip_prefix("#-") {
        (rest, false)
    } else if let Some(rest) = trimmed.strip_prefix("/*-") {
        (rest.strip_suffix("*/")?, true)
    } else {
        return None;
    };
    let text = if rest.is_empty() {
        rest
    } else {
        rest.strip_prefix(' ')?
    };
    Some(if block {
        text.strip_suffix(' ').unwrap_or(text)
    } else {
        text
    })
}

fn parse_marker(text: &str) -> Result<Marker, String> {
    // The brace may touch what follows (`@{3 name`), and may be doubled (`@{{ 3 name`, `@}}`):
    // assembly that `global_asm!` reads as a format template must write braces that way.
    let (keyword, rest) = if let Some(rest) = text.strip_prefix("{{").or(text.strip_prefix('{')) {
        ("{", rest)
    } else if let Some(rest) = text.strip_prefix("}}").or(text.strip_prefix('}')) {
        ("}", rest)
    } else {
        text.split_once(char::is_whitespace).unwrap_or((text, ""))
    };
    let rest: Vec<&str> = rest.split_whitespace().collect();
    match keyword {
        "file" => {
            let (span, hidden) = match rest.as_slice() {
                [span] => (span, false),
                [span, "hidden"] => (span, true),
                _ => {
                    return Err(
                        "`@file` takes one chapter `N` or range `N..M`, then optionally `hidden`"
                            .to_string(),
                    );
                }
            };
            let span = Span::parse(span).ok_or_else(|| {
                format!("`@file {span}`: expected a chapter `N` or a range `N..M`")
            })?;
            Ok(Marker::File { span, hidden })
        }
        "{" => parse_open(&rest).map(Marker::Open),
        "}" => match rest.as_slice() {
            [] => Ok(Marker::Close(None)),
            [name] => Ok(Marker::Close(Some(name.to_string()))),
            _ => Err("`@}` takes at most the block's name".to_string()),
        },
        other => Err(format!(
            "unknown marker `@{other}` (markers are `@file`, `@{{` and `@}}`)"
        )),
    }
}

fn parse_open(words: &[&str]) -> Result<Open, String> {
    let mut open = Open {
        span: None,
        name: None,
        hidden: false,
    };
    let mut words = words.iter().copied().peekable();
    if let Some(word) = words.next_if(|w| w.starts_with(|c: char| c.is_ascii_digit())) {
        open.span = Some(
            Span::parse(word)
                .ok_or_else(|| format!("`{word}`: expected a chapter `N` or a range `N..M`"))?,
        );
    }
    if let Some(word) = words.next_if(|w| *w != "hidden") {
        check_name(word)?;
        open.name = Some(word.to_string());
    }
    open.hidden = words.next_if_eq(&"hidden").is_some();
    if let Some(word) = words.next() {
        return Err(format!(
            "unexpected `{word}`: a block is `@{{ [N or N..M] [name] [hidden]`"
        ));
    }
    if open.hidden && open.name.is_some() {
        return Err("a hidden block cannot be a named snippet (the book shows snippets)".into());
    }
    if open
        == (Open {
            span: None,
            name: None,
            hidden: false,
        })
    {
        return Err("`@{` needs a chapter, a name or `hidden`".into());
    }
    Ok(open)
}

/// Snippet names: a lowercase letter, then lowercase letters, digits, `_` and `-`.
pub fn check_name(name: &str) -> Result<(), String> {
    let mut chars = name.chars();
    let first_ok = chars.next().is_some_and(|c| c.is_ascii_lowercase());
    if first_ok && chars.all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || "_-".contains(c)) {
        Ok(())
    } else {
        Err(format!(
            "`{name}` is not a snippet name (a lowercase letter, then a-z, 0-9, `_`, `-`)"
        ))
    }
}
