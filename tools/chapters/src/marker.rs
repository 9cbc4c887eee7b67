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
//! @exercise 7 name: task
//!                  lines up to the matching @} are the student's to write in chapter 7's
//!                  exercise, where they become `todo!("chapter 7, name: task")`; the lines keep
//!                  the chapters of the enclosing block (see [`crate::exercise`])
//! ```
//!
//! Assembly files that `global_asm!` includes are format templates, where a brace must be
//! doubled even in a comment: there the markers are written `@{{` and `@}}`.
//!
//! **One-line markers.** A block of a single line can instead be written as a comment that ends
//! the line, its text `@` and what follows `@{` in a block marker (a chapter or range, a name,
//! `hidden`): `use crate::percpu; // @4`, `let x = lapic::id(); // @2..4 old_id`,
//! `mov rax, rbx # @3` (no braces, so nothing to double), `. = ALIGN(4K); /* @3 */`. The leader
//! is the file kind's own ([`Syntax`]: `//` in `.rs`, `#` in `.S` and `.toml`, `/* */` in
//! `.ld`), outside string literals, at the start of the line's comment or after whitespace inside
//! it (so `code // note // @3` works). The line is then a block of its own, the same as
//! `@{ SPEC` / the line / `@}`, and the chapters and the book show it without the marker and the
//! whitespace before it (rustfmt may align trailing comments: that never matters). A ghost line
//! can end with one too (`//- old(), // @0..3`). The form is strict: a trailing comment whose
//! text starts with `@` must be a valid one-line marker and end the line, or the line is an
//! error; a line holding nothing but the comment is a whole-line marker as above.
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

    /// Chapter `chapter` and every later one.
    pub fn at(chapter: u32) -> Span {
        Span {
            start: chapter,
            end: None,
        }
    }

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
    /// `@exercise N name: task`: the lines up to the matching `@}` are the student's to write
    /// in chapter N's exercise ([`crate::exercise`]).
    Exercise(crate::exercise::ExerciseOpen),
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
    /// A line that ends with a one-line marker (`code // @3`): a block holding just this line.
    OneLine {
        /// What the marker says, as if it were `@{ SPEC`.
        open: Open,
        /// The line without the marker and the whitespace before it.
        code: String,
        /// What that line is: [`Line::Code`] or [`Line::Ghost`].
        line: Box<Line>,
    },
}

/// The comment syntax of a kind of file, which decides the leader of one-line markers (markers
/// on a line of their own accept every leader in every file).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Syntax {
    /// `.rs`: `code // @3`; string, raw-string and character literals and `/* */` comments are
    /// skipped when looking for the comment.
    Rust,
    /// `.S`, `.s`, `.asm`: `code # @3`; `"` strings are skipped.
    Asm,
    /// `.toml`: `key = 1 # @3`; `"` and `'` strings are skipped.
    Toml,
    /// `.ld`: `code /* @3 */`, the comment closing the line; `"` strings are skipped.
    Linker,
}

impl Syntax {
    /// The syntax of the file at `path`, from its extension; `None` for a kind that has no
    /// one-line markers.
    pub fn for_path(path: &str) -> Option<Syntax> {
        let name = path.rsplit('/').next().unwrap_or(path);
        match name.rsplit_once('.').map_or("", |(_, ext)| ext) {
            "rs" => Some(Syntax::Rust),
            "S" | "s" | "asm" => Some(Syntax::Asm),
            "toml" => Some(Syntax::Toml),
            "ld" | "lds" => Some(Syntax::Linker),
            _ => None,
        }
    }
}

/// Reads one line of a file of syntax `syntax`: markers on a line of their own, ghost lines and,
/// if `syntax` is given, one-line markers. An error message (without position) means the line
/// looks like a marker but is not a valid one.
pub fn classify_in(line: &str, syntax: Option<Syntax>) -> Result<Line, String> {
    let whole = classify(line)?;
    let Some(syntax) = syntax else {
        return Ok(whole);
    };
    if matches!(whole, Line::Marker(_)) {
        return Ok(whole);
    }
    let Some((code, spec)) = one_line_marker(line, syntax)? else {
        return Ok(whole);
    };
    let open = parse_one_line(spec)?;
    let inner = match classify(code)? {
        Line::Ghost(text) if text.trim().is_empty() => None,
        inner @ (Line::Ghost(_) | Line::Code) => Some(inner),
        Line::Marker(_) | Line::OneLine { .. } => None,
    };
    let Some(inner) = inner else {
        return Err(format!(
            "one-line marker `@{spec}` without a line of code before it (a block of several \
             lines is `@{{ {spec}` ... `@}}`, each on a line of its own)"
        ));
    };
    Ok(Line::OneLine {
        open,
        code: code.to_string(),
        line: Box::new(inner),
    })
}

/// Reads one line, looking for markers on a line of their own and ghost lines only (as in a file
/// kind without one-line markers). An error message (without position) means the line looks
/// like a marker but is not a valid one.
pub fn classify(line: &str) -> Result<Line, String> {
    let trimmed = line.trim();
    let indent = &line[..line.len() - line.trim_start().len()];
    if let Some(text) = ghost_text(trimmed) {
        return Ok(Line::Ghost(
            format!("{indent}{text}").trim_end().to_string(),
        ));
    }
    match comment_text(trimmed).map(str::trim) {
        Some(text) if text.starts_with('@') => parse_marker(&text[1..])
            .map_err(|e| {
                // `// @3` alone: someone meant a one-line marker.
                match parse_open(&text[1..].split_whitespace().collect::<Vec<_>>()) {
                    Ok(_) => format!(
                        "{e}; a one-line marker `{text}` ends a line of code, it cannot stand alone"
                    ),
                    Err(_) => e,
                }
            })
            .map(Line::Marker),
        _ => Ok(Line::Code),
    }
}

/// The one-line marker that ends `line`, if any: the line without it (and without the
/// whitespace before it), and the marker's text after the `@`, trimmed. A trailing comment whose
/// text starts with `@` but that is not last on the line is an error.
fn one_line_marker(line: &str, syntax: Syntax) -> Result<Option<(&str, &str)>, String> {
    // A ghost line's code is looked at after its leader (`//- code // @0..3`).
    let trimmed = line.trim_start();
    let indent = line.len() - trimmed.len();
    let from = match ghost_text(line.trim()) {
        Some(_) if trimmed.starts_with('#') => indent + 2,
        Some(_) => indent + 3,
        None => indent,
    };
    let candidates = comment_candidates(line, from, syntax);
    let at = |&(_, text): &(usize, &str)| text.trim_start().starts_with('@');
    let Some((&last, earlier)) = candidates.split_last() else {
        return Ok(None);
    };
    if let Some((_, text)) = earlier.iter().find(|c| at(c)) {
        return Err(format!(
            "`{}`: a one-line marker must end its line",
            text.trim()
        ));
    }
    let (start, text) = last;
    let code = line[..start].trim_end();
    if !at(&last) || code.trim().is_empty() {
        // No marker, or a comment on a line of its own (a marker there is a block marker).
        return Ok(None);
    }
    Ok(Some((code, text.trim()[1..].trim())))
}

/// The spec of a one-line marker: what `@{` accepts.
fn parse_one_line(spec: &str) -> Result<Open, String> {
    let words: Vec<&str> = spec.split_whitespace().collect();
    let keyword = words.first().copied().unwrap_or("");
    if keyword.starts_with(['{', '}']) || keyword == "file" || keyword == "exercise" {
        return Err(format!(
            "`@{spec}` must stand on a line of its own; a one-line marker ending a line is \
             `@N`, `@N..M`, then optionally a name and `hidden`"
        ));
    }
    parse_open(&words).map_err(|e| format!("one-line marker `@{spec}`: {e}"))
}

/// The comments that could hold a one-line marker, as (byte index of the leader, text after
/// the leader up to the end of the line, or for `/* */` up to the closing `*/`): the comment
/// that ends the line (found looking at the code from byte `from` on, skipping literals) and,
/// for `//` and `#`, every leader inside it that follows whitespace.
fn comment_candidates(line: &str, from: usize, syntax: Syntax) -> Vec<(usize, &str)> {
    let bytes = line.as_bytes();
    match syntax {
        Syntax::Linker => {
            let Some(start) = linker_last_comment(bytes, from) else {
                return Vec::new();
            };
            let end = line.trim_end().len() - 2;
            if end < start + 2 {
                return Vec::new();
            }
            vec![(start, &line[start + 2..end])]
        }
        Syntax::Rust | Syntax::Asm | Syntax::Toml => {
            let (start, leader) = match syntax {
                Syntax::Rust => (rust_comment(line, from), "//"),
                Syntax::Toml => (hash_comment(bytes, from, true), "#"),
                _ => (hash_comment(bytes, from, false), "#"),
            };
            let Some(start) = start else {
                return Vec::new();
            };
            let mut out = vec![(start, &line[start + leader.len()..])];
            let mut at = start + leader.len();
            while let Some(found) = line[at..].find(leader) {
                let i = at + found;
                if bytes[i - 1].is_ascii_whitespace() {
                    out.push((i, &line[i + leader.len()..]));
                }
                at = i + leader.len();
            }
            out
        }
    }
}

/// Where the `//` comment of a line of Rust starts, looking from byte `from` on: string, raw
/// string, byte and character literals and `/* */` comments are skipped; `None` when there is
/// no such comment or the line ends inside a literal or a block comment.
fn rust_comment(line: &str, from: usize) -> Option<usize> {
    let b = line.as_bytes();
    let mut i = from;
    while i < b.len() {
        match b[i] {
            b'/' if b.get(i + 1) == Some(&b'/') => return Some(i),
            b'/' if b.get(i + 1) == Some(&b'*') => {
                let mut depth = 0;
                loop {
                    if b.get(i..i + 2) == Some(b"/*") {
                        depth += 1;
                        i += 2;
                    } else if b.get(i..i + 2) == Some(b"*/") {
                        depth -= 1;
                        i += 2;
                        if depth == 0 {
                            break;
                        }
                    } else if i < b.len() {
                        i += 1;
                    } else {
                        return None;
                    }
                }
            }
            b'"' => {
                // A raw string: `r"`, `r#"` (also `br`, `cr`), closed by `"` and as many `#`.
                let hashes = b[from..i].iter().rev().take_while(|&&c| c == b'#').count();
                let r = i
                    .checked_sub(hashes + 1)
                    .filter(|&r| r >= from && b[r] == b'r');
                let raw = r.is_some_and(|r| {
                    let before = |k: usize| (k > from).then(|| b[k - 1]);
                    let ident =
                        |c: Option<u8>| c.is_some_and(|c| c.is_ascii_alphanumeric() || c == b'_');
                    match before(r) {
                        Some(b'b' | b'c') => !ident(before(r - 1)),
                        c => !ident(c),
                    }
                });
                i += 1;
                if raw {
                    let close = format!("\"{}", "#".repeat(hashes));
                    i += line[i..].find(&close)? + close.len();
                } else {
                    i = past_string(b, i)?;
                }
            }
            b'\'' => {
                // A character literal (`'x'`, `'\n'`, `'\''`) or a lifetime or label (`'a`).
                let mut chars = line[i + 1..].char_indices();
                match chars.next() {
                    Some((_, '\\')) => {
                        i += 3 + line.get(i + 3..)?.find('\'')? + 1;
                    }
                    Some((_, c)) if line[i + 1 + c.len_utf8()..].starts_with('\'') => {
                        i += 1 + c.len_utf8() + 1;
                    }
                    _ => i += 1,
                }
            }
            _ => i += 1,
        }
    }
    None
}

/// The index just past the closing `"` of a string whose text starts at `i` (after its opening
/// quote), skipping backslash escapes; `None` when the line ends inside the string.
fn past_string(b: &[u8], mut i: usize) -> Option<usize> {
    loop {
        match b.get(i)? {
            b'\\' => i += 2,
            b'"' => return Some(i + 1),
            _ => i += 1,
        }
    }
}

/// Where the `#` comment of a line of assembly or TOML starts, looking from byte `from` on:
/// `"` strings (and in TOML `'` strings) are skipped; `None` when there is no comment or the
/// line ends inside a string.
fn hash_comment(b: &[u8], from: usize, single_quotes: bool) -> Option<usize> {
    let mut i = from;
    while i < b.len() {
        match b[i] {
            b'#' => return Some(i),
            b'"' => i = past_string(b, i + 1)?,
            b'\'' if single_quotes => {
                i += 1 + b[i + 1..].iter().position(|&c| c == b'\'')? + 1;
            }
            _ => i += 1,
        }
    }
    None
}

/// Where the last `/* */` comment of a line of a linker script starts, if it closes the line,
/// looking from byte `from` on (`"` strings are skipped).
fn linker_last_comment(b: &[u8], from: usize) -> Option<usize> {
    let end = b.len()
        - b.iter()
            .rev()
            .take_while(|c| c.is_ascii_whitespace())
            .count();
    let mut last = None;
    let mut i = from;
    while i < end {
        if b[i..].starts_with(b"/*") {
            let close = b[i + 2..].windows(2).position(|w| w == b"*/")? + i + 4;
            last = (close == end).then_some(i);
            i = close;
        } else if b[i] == b'"' {
            i += 1 + b[i + 1..].iter().position(|&c| c == b'"')? + 1;
        } else {
            i += 1;
        }
    }
    last
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
        "exercise" => {
            crate::exercise::parse_open(text["exercise".len()..].trim()).map(Marker::Exercise)
        }
        "}" => match rest.as_slice() {
            [] => Ok(Marker::Close(None)),
            [name] => Ok(Marker::Close(Some(name.to_string()))),
            _ => Err("`@}` takes at most the block's name".to_string()),
        },
        other => Err(format!(
            "unknown marker `@{other}` (markers are `@file`, `@{{`, `@}}` and `@exercise`)"
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
