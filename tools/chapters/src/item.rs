//! Finding the item that encloses a snippet, for the book's location line.
//!
//! Rust: scan upward for an item header (`fn`, `impl`, `struct`, `enum`, `trait`, `mod`, ...)
//! indented less than the snippet, narrowing the indentation at each less-indented line that is
//! not a header (a block such as `if x {`), so the nearest header *around* the snippet wins.
//! Assembly: the nearest label above in the same section. TOML: the nearest `[table]` header above. Anything else,
//! or a snippet at the top level: no enclosing item.

/// The enclosing item of a snippet whose first line is `first` and that is preceded (in the
/// chapter's version of the file at `path`) by `above`, nearest line last.
pub fn enclosing(path: &str, above: &[&str], first: &str) -> Option<String> {
    let ext = path.rsplit_once('.').map_or("", |(_, ext)| ext);
    match ext {
        "rs" => rust_item(above, first),
        "S" | "s" | "asm" => asm_item(above, first),
        "toml" => above.iter().rev().find_map(|line| toml_table(line)),
        _ => None,
    }
}

fn indent(line: &str) -> usize {
    line.len() - line.trim_start().len()
}

fn rust_item(above: &[&str], first: &str) -> Option<String> {
    let mut limit = indent(first);
    for line in above.iter().rev() {
        let trimmed = line.trim();
        let skip = trimmed.is_empty() || trimmed.starts_with("//") || trimmed.starts_with("#[");
        if skip || indent(line) >= limit {
            continue;
        }
        if let Some(header) = rust_header(trimmed) {
            return Some(header);
        }
        // A continuation of a header (`) -> T {`, `where`) must not hide the header itself.
        let continuation = [")", "where", "{", "->", ">"]
            .iter()
            .any(|p| trimmed.starts_with(p));
        limit = if continuation {
            indent(line) + 1
        } else {
            indent(line)
        };
        if limit == 0 {
            return None;
        }
    }
    None
}

/// `fn name`, `impl Type`, `struct Name`, ... if `trimmed` starts a Rust item.
pub fn rust_header(trimmed: &str) -> Option<String> {
    let rest = strip_qualifiers(trimmed);
    let word_end = rest.find(|c: char| !c.is_ascii_alphanumeric() && c != '_' && c != '!')?;
    let (keyword, tail) = rest.split_at(word_end);
    let name = |tail: &str| -> Option<String> {
        let tail = tail.trim_start();
        let end = tail
            .find(|c: char| !c.is_alphanumeric() && c != '_')
            .unwrap_or(tail.len());
        (end > 0).then(|| format!("{keyword} {}", &tail[..end]))
    };
    match keyword {
        "fn" | "struct" | "enum" | "union" | "trait" | "mod" | "macro_rules!" | "static" => {
            name(tail)
        }
        "const" => name(tail),
        "impl" => {
            let head = tail.split(['{']).next().unwrap_or("");
            let head = head.split(" where").next().unwrap_or(head).trim();
            // Drop the generic parameters of `impl<T>` but keep the implemented type's.
            let head = if head.starts_with('<') {
                skip_generics(head).trim_start()
            } else {
                head
            };
            Some(format!("impl {head}").trim_end().to_string())
        }
        _ => None,
    }
}

/// `line` without its visibility and qualifiers (`pub(crate) unsafe extern "C" fn` -> `fn`).
fn strip_qualifiers(line: &str) -> &str {
    let mut rest = line;
    loop {
        let before = rest;
        if let Some(after) = rest.strip_prefix("pub(") {
            rest = after.split_once(')').map_or("", |(_, r)| r).trim_start();
        }
        if let Some(after) = rest.strip_prefix("extern \"") {
            rest = after.split_once('"').map_or("", |(_, r)| r).trim_start();
        } else if let Some(after) = rest.strip_prefix("extern ") {
            rest = after.trim_start();
        }
        for qualifier in ["pub ", "unsafe ", "async ", "default "] {
            if let Some(after) = rest.strip_prefix(qualifier) {
                rest = after.trim_start();
            }
        }
        // `const fn` is a function; `const NAME: T` is an item of its own.
        if let Some(after) = rest.strip_prefix("const ")
            && ["fn ", "unsafe ", "extern ", "async "]
                .iter()
                .any(|q| after.starts_with(q))
        {
            rest = after;
        }
        if rest == before {
            return rest;
        }
    }
}

/// `s` without its leading `<...>` (nested brackets allowed).
fn skip_generics(s: &str) -> &str {
    let mut depth = 0;
    for (i, c) in s.char_indices() {
        match c {
            '<' => depth += 1,
            '>' => {
                depth -= 1;
                if depth == 0 {
                    return &s[i + 1..];
                }
            }
            _ => {}
        }
    }
    ""
}

/// The label whose code the snippet continues: none if the snippet starts with a label of its
/// own, and a section directive (`.section`, `.text`, `.data`) ends a label's reach.
fn asm_item(above: &[&str], first: &str) -> Option<String> {
    if asm_label(first).is_some() {
        return None;
    }
    for line in above.iter().rev() {
        let directive = line.split_whitespace().next().unwrap_or("");
        if [".section", ".text", ".data", ".bss", ".rodata"].contains(&directive) {
            return None;
        }
        if let Some(label) = asm_label(line) {
            return Some(label);
        }
    }
    None
}

fn asm_label(line: &str) -> Option<String> {
    let label = line.trim_end().strip_suffix(':')?;
    let ok = !label.is_empty()
        && !label.starts_with(char::is_whitespace)
        && !label.starts_with(|c: char| c.is_ascii_digit())
        && label
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "_.$".contains(c));
    ok.then(|| label.to_string())
}

fn toml_table(line: &str) -> Option<String> {
    let trimmed = line.trim();
    (trimmed.starts_with('[') && trimmed.ends_with(']')).then(|| trimmed.to_string())
}
