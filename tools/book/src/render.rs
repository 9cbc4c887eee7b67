//! A snippet view as HTML: a location line, then the code with each line in a span whose class
//! says whether it is context, unchanged, added or removed.
//!
//! The code stays inside `<pre><code class="language-...">`, so mdBook's highlight.js (10.x,
//! which keeps markup already inside a block) colours the syntax around our line spans. mdBook
//! itself leaves the block alone: it only rewrites code blocks that hold a single text node.
//! No line of the output is blank, so the whole snippet stays one Markdown HTML block.

use chapters::view::{Action, Kind, SnippetView};

/// The highlight.js language for a file, from its name.
fn language(path: &str) -> &'static str {
    match path.rsplit_once('.').map_or("", |(_, ext)| ext) {
        "rs" => "rust",
        "S" | "s" | "asm" => "x86asm",
        "toml" => "toml",
        "sh" => "bash",
        _ => "plaintext",
    }
}

fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            _ => out.push(c),
        }
    }
    out
}

fn lines(first: usize, last: usize) -> String {
    if first == last {
        format!("line {first}")
    } else {
        format!("lines {first}&ndash;{last}")
    }
}

/// The location line's action part, e.g. "replace lines 41&ndash;43".
pub fn action(action: Action) -> String {
    match action {
        Action::Listing { first, last } => lines(first, last),
        Action::NewFile => "new file".to_string(),
        Action::AddAfter { line: 0 } => "add at the top of the file".to_string(),
        Action::AddAfter { line } => format!("add after line {line}"),
        Action::Replace { removed, at } => format!("replace {}", lines(at, at + removed - 1)),
        Action::Remove { removed, at } => format!("delete {}", lines(at, at + removed - 1)),
        Action::Change { first, last } => format!("{}, changes marked", lines(first, last)),
    }
}

/// The HTML of `view`, shown on the page of chapter `page_chapter` (if the page is a chapter's).
pub fn snippet(view: &SnippetView, page_chapter: Option<u32>) -> String {
    let mut out = format!(
        "<div class=\"snippet\" id=\"snippet-{}\">\n<div class=\"snippet-location\">",
        view.name
    );
    out += &format!("<span class=\"snippet-file\">{}</span>", escape(&view.path));
    if let Some(item) = &view.item {
        out += &format!(", in <code>{}</code>", escape(item));
    }
    out += &format!(": {}", action(view.action));
    if page_chapter != Some(view.chapter) {
        out += &format!(
            " <span class=\"snippet-chapter\">(chapter {})</span>",
            view.chapter
        );
    }
    out += "</div>\n";
    out += &format!("<pre><code class=\"language-{}\">", language(&view.path));
    for (n, line) in view.lines.iter().enumerate() {
        let class = match line.kind {
            Kind::Context => "context",
            Kind::Plain => "plain",
            Kind::Added => "added",
            Kind::Removed => "removed",
        };
        if n > 0 {
            out.push('\n');
        }
        // A space keeps blank lines from ending the HTML block (and gives them a height).
        let text = if line.text.trim().is_empty() {
            " "
        } else {
            &line.text
        };
        out += &format!("<span class=\"snip snip-{class}\">{}</span>", escape(text));
    }
    out += "</code></pre>\n</div>\n";
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use chapters::view::ViewLine;

    fn line(kind: Kind, text: &str) -> ViewLine {
        ViewLine {
            kind,
            text: text.to_string(),
            index: 0,
        }
    }

    #[test]
    fn renders_location_and_marked_lines() {
        let view = SnippetView {
            name: "dispatch".into(),
            path: "kernel/src/trap.rs".into(),
            chapter: 2,
            previous: Some(1),
            item: Some("fn trap_dispatch".into()),
            action: Action::Replace { removed: 2, at: 41 },
            lines: vec![
                line(Kind::Context, "    match tf.vector {"),
                line(Kind::Removed, "        old(tf) < 1,"),
                line(Kind::Added, ""),
                line(Kind::Added, "        new(&tf),"),
            ],
        };
        let html = snippet(&view, Some(2));
        assert!(html.contains("<span class=\"snippet-file\">kernel/src/trap.rs</span>, in <code>fn trap_dispatch</code>: replace lines 41&ndash;42</div>"));
        assert!(html.contains("<pre><code class=\"language-rust\"><span class=\"snip snip-context\">    match tf.vector {</span>\n"));
        assert!(html.contains("<span class=\"snip snip-removed\">        old(tf) &lt; 1,</span>"));
        assert!(html.contains("<span class=\"snip snip-added\"> </span>\n<span class=\"snip snip-added\">        new(&amp;tf),</span></code></pre>"));
        assert!(
            html.lines().all(|l| !l.trim().is_empty()),
            "no blank line may end the HTML block"
        );
        assert!(!html.contains("(chapter 2)"));
        assert!(snippet(&view, None).contains("(chapter 2)"));
    }

    #[test]
    fn actions_read_naturally() {
        assert_eq!(
            action(Action::AddAfter { line: 0 }),
            "add at the top of the file"
        );
        assert_eq!(action(Action::AddAfter { line: 7 }), "add after line 7");
        assert_eq!(
            action(Action::Remove { removed: 1, at: 9 }),
            "delete line 9"
        );
        assert_eq!(
            action(Action::Change { first: 3, last: 9 }),
            "lines 3&ndash;9, changes marked"
        );
        assert_eq!(language("kernel/src/boot.S"), "x86asm");
        assert_eq!(language("kernel/kernel.ld"), "plaintext");
    }
}
