//! The marker syntax, one line at a time.

use chapters::marker::{Line, Marker, Open, Span, Syntax, classify, classify_in};

fn open(span: Option<Span>, name: Option<&str>, hidden: bool) -> Line {
    Line::Marker(Marker::Open(Open {
        span,
        name: name.map(str::to_string),
        hidden,
    }))
}

const fn span(start: u32, end: Option<u32>) -> Span {
    Span { start, end }
}

#[test]
fn comment_leaders_of_every_language() {
    let three = Some(span(3, None));
    assert_eq!(
        classify("// @{ 3 smp_boot"),
        Ok(open(three, Some("smp_boot"), false))
    );
    assert_eq!(
        classify("    # @{ 3 smp_boot"),
        Ok(open(three, Some("smp_boot"), false))
    );
    assert_eq!(
        classify("\t/* @{ 3 smp_boot */"),
        Ok(open(three, Some("smp_boot"), false))
    );
    assert_eq!(
        classify("/*@{3 smp_boot*/"),
        Ok(open(three, Some("smp_boot"), false))
    );
    assert_eq!(
        classify("        //   @}"),
        Ok(Line::Marker(Marker::Close(None)))
    );
    assert_eq!(
        classify("# @} smp_boot"),
        Ok(Line::Marker(Marker::Close(Some("smp_boot".into()))))
    );
    assert_eq!(
        classify("// @file 2..4"),
        Ok(Line::Marker(Marker::File {
            span: span(2, Some(4)),
            hidden: false
        }))
    );
}

#[test]
fn file_forms() {
    assert_eq!(
        classify("// @file 4"),
        Ok(Line::Marker(Marker::File {
            span: span(4, None),
            hidden: false
        }))
    );
    assert_eq!(
        classify("    // @file 4 hidden"),
        Ok(Line::Marker(Marker::File {
            span: span(4, None),
            hidden: true
        }))
    );
    assert_eq!(
        classify("# @file 2..5 hidden"),
        Ok(Line::Marker(Marker::File {
            span: span(2, Some(5)),
            hidden: true
        }))
    );
}

#[test]
fn block_forms() {
    assert_eq!(
        classify("// @{ 1..5 old"),
        Ok(open(Some(span(1, Some(5))), Some("old"), false))
    );
    assert_eq!(
        classify("// @{ 1..5"),
        Ok(open(Some(span(1, Some(5))), None, false))
    );
    assert_eq!(
        classify("// @{ name-2_x"),
        Ok(open(None, Some("name-2_x"), false))
    );
    assert_eq!(
        classify("// @{ 4 hidden"),
        Ok(open(Some(span(4, None)), None, true))
    );
    assert_eq!(classify("// @{ hidden"), Ok(open(None, None, true)));
}

#[test]
fn not_markers() {
    for line in [
        "/// @{ 3 doc comments are documentation",
        "//! @{ 3",
        "#[derive(Debug)]",
        "let x = \"// @{ 3\";",
        "foo(); // @{ 3",
        "// an email@example.com",
        "    mov $1, %eax",
        "",
    ] {
        assert_eq!(classify(line), Ok(Line::Code), "{line}");
    }
}

#[test]
fn ghost_lines_keep_indentation() {
    assert_eq!(
        classify("    //- let x = 1;"),
        Ok(Line::Ghost("    let x = 1;".into()))
    );
    assert_eq!(
        classify("    //-     .chain()"),
        Ok(Line::Ghost("        .chain()".into()))
    );
    assert_eq!(classify("    //-"), Ok(Line::Ghost(String::new())));
    assert_eq!(
        classify("#- mov $1, %eax"),
        Ok(Line::Ghost("mov $1, %eax".into()))
    );
    assert_eq!(
        classify("  /*- . = ALIGN(4K); */"),
        Ok(Line::Ghost("  . = ALIGN(4K);".into()))
    );
    assert_eq!(
        classify("//- // an old comment"),
        Ok(Line::Ghost("// an old comment".into()))
    );
    // Not ghosts: no space after the dash.
    assert_eq!(classify("//------"), Ok(Line::Code));
    assert_eq!(classify("#--- section ---"), Ok(Line::Code));
}

#[test]
fn malformed_markers() {
    let err = |line: &str| classify(line).unwrap_err();
    assert!(err("// @fiel 3").contains("unknown marker `@fiel`"));
    assert!(err("// @file").contains("one chapter"));
    assert!(err("// @file 5..3").contains("expected a chapter"));
    assert!(err("// @file x").contains("expected a chapter"));
    assert!(err("// @file hidden").contains("expected a chapter"));
    assert!(err("// @file 4 hiden").contains("optionally `hidden`"));
    assert!(err("// @file 4 hidden x").contains("optionally `hidden`"));
    assert!(err("// @file hidden 4").contains("optionally `hidden`"));
    assert!(err("// @{ 3x name").contains("expected a chapter"));
    assert!(err("// @{ 3 Name").contains("not a snippet name"));
    assert!(err("// @{ 3 a b").contains("unexpected `b`"));
    assert!(err("// @{ 3 name hidden").contains("hidden block cannot be a named"));
    assert!(err("// @{").contains("needs a chapter"));
    assert!(err("// @} a b").contains("at most"));
}

#[test]
fn spans() {
    let s = Span::parse("3..6").unwrap();
    assert!(!s.contains(2) && s.contains(3) && s.contains(5) && !s.contains(6));
    assert!(Span::parse("3").unwrap().contains(100));
    assert!(span(4, Some(5)).within(s) && !span(4, None).within(s) && !span(2, Some(4)).within(s));
    assert!(span(4, None).within(span(3, None)));
    assert_eq!(Span::parse("3..3"), None);
    assert_eq!(Span::parse("..3"), None);
    assert_eq!(s.to_string(), "3..6");
}

/// A one-line marker: `open`, on the line `code` (without the marker), which reads as `line`.
fn one_line(open: Line, code: &str, line: Line) -> Line {
    let Line::Marker(Marker::Open(open)) = open else {
        panic!("not an opening marker")
    };
    Line::OneLine {
        open,
        code: code.to_string(),
        line: Box::new(line),
    }
}

#[test]
fn one_line_markers_end_a_line_of_code() {
    let rust = |line: &str| classify_in(line, Some(Syntax::Rust));
    let four = Some(span(4, None));
    assert_eq!(
        rust("use crate::percpu; // @4"),
        Ok(one_line(
            open(four, None, false),
            "use crate::percpu;",
            Line::Code
        ))
    );
    assert_eq!(
        rust("    let x = lapic::id(); // @2..4 old_id"),
        Ok(one_line(
            open(Some(span(2, Some(4))), Some("old_id"), false),
            "    let x = lapic::id();",
            Line::Code
        ))
    );
    assert_eq!(
        rust("mod pit; // @3 hidden"),
        Ok(one_line(
            open(Some(span(3, None)), None, true),
            "mod pit;",
            Line::Code
        ))
    );
    assert_eq!(
        rust("    f(); // @snip"),
        Ok(one_line(
            open(None, Some("snip"), false),
            "    f();",
            Line::Code
        ))
    );
    assert_eq!(
        rust("    f(); // @hidden"),
        Ok(one_line(open(None, None, true), "    f();", Line::Code))
    );
    // A line that has a comment already, a doc line, an attribute.
    assert_eq!(
        rust("    x: u8, // the x // @4"),
        Ok(one_line(
            open(four, None, false),
            "    x: u8, // the x",
            Line::Code
        ))
    );
    assert_eq!(
        rust("//!  0xffff_8000  MMIO // @4"),
        Ok(one_line(
            open(four, None, false),
            "//!  0xffff_8000  MMIO",
            Line::Code
        ))
    );
    assert_eq!(
        rust("#[inline] // @4"),
        Ok(one_line(open(four, None, false), "#[inline]", Line::Code))
    );
}

#[test]
fn one_line_markers_do_not_depend_on_the_whitespace_before_them() {
    // rustfmt aligns the trailing comments of neighbouring match arms or fields; none of that
    // reaches the line.
    for line in [
        "        _ => destroy(tf), // @4",
        "        _ => destroy(tf),                        // @4",
        "        _ => destroy(tf),\t// @4",
        "        _ => destroy(tf),// @4",
        "        _ => destroy(tf), //@4",
        "        _ => destroy(tf), //   @4   ",
    ] {
        assert_eq!(
            classify_in(line, Some(Syntax::Rust)),
            Ok(one_line(
                open(Some(span(4, None)), None, false),
                "        _ => destroy(tf),",
                Line::Code
            )),
            "{line:?}"
        );
    }
}

#[test]
fn ghost_lines_take_one_line_markers_too() {
    let zero_three = Some(span(0, Some(3)));
    assert_eq!(
        classify_in(
            "        //- vector::TIMER => pic::eoi(), // @0..3",
            Some(Syntax::Rust)
        ),
        Ok(one_line(
            open(zero_three, None, false),
            "        //- vector::TIMER => pic::eoi(),",
            Line::Ghost("        vector::TIMER => pic::eoi(),".into())
        ))
    );
    // A ghost comment, a ghost doc line.
    assert_eq!(
        classify_in("//- //! Old words. // @0..3", Some(Syntax::Rust)),
        Ok(one_line(
            open(zero_three, None, false),
            "//- //! Old words.",
            Line::Ghost("//! Old words.".into())
        ))
    );
    assert_eq!(
        classify_in("    #- mov rax, rbx # @0..3", Some(Syntax::Asm)),
        Ok(one_line(
            open(zero_three, None, false),
            "    #- mov rax, rbx",
            Line::Ghost("    mov rax, rbx".into())
        ))
    );
    assert_eq!(
        classify_in("  /*- . = ALIGN(4K); */ /* @0..3 */", Some(Syntax::Linker)),
        Ok(one_line(
            open(zero_three, None, false),
            "  /*- . = ALIGN(4K); */",
            Line::Ghost("  . = ALIGN(4K);".into())
        ))
    );
}

#[test]
fn one_line_markers_in_assembly_toml_and_linker_scripts() {
    let three = open(Some(span(3, None)), None, false);
    // No braces, so nothing to double in a `global_asm!` template.
    assert_eq!(
        classify_in("    mov rax, rbx # @3", Some(Syntax::Asm)),
        Ok(one_line(three.clone(), "    mov rax, rbx", Line::Code))
    );
    assert_eq!(
        classify_in(
            "    .global e   # APs come through here too # @3 hidden",
            Some(Syntax::Asm)
        ),
        Ok(one_line(
            open(Some(span(3, None)), None, true),
            "    .global e   # APs come through here too",
            Line::Code
        ))
    );
    assert_eq!(
        classify_in("    .asciz \"# @9\" # @3", Some(Syntax::Asm)),
        Ok(one_line(three.clone(), "    .asciz \"# @9\"", Line::Code))
    );
    assert_eq!(
        classify_in("spin = \"0.10\" # @3", Some(Syntax::Toml)),
        Ok(one_line(three.clone(), "spin = \"0.10\"", Line::Code))
    );
    assert_eq!(
        classify_in("a = 'x # @9' # @3", Some(Syntax::Toml)),
        Ok(one_line(three.clone(), "a = 'x # @9'", Line::Code))
    );
    assert_eq!(
        classify_in("    end = .; /* @3 */", Some(Syntax::Linker)),
        Ok(one_line(three.clone(), "    end = .;", Line::Code))
    );
    assert_eq!(
        classify_in("    end = .; /* the end */ /*@3*/", Some(Syntax::Linker)),
        Ok(one_line(three, "    end = .; /* the end */", Line::Code))
    );
    // Each file kind has its own leader: `#` is no comment in Rust, `//` none in assembly.
    for (line, syntax) in [
        ("let x = 1; # @3", Syntax::Rust),
        ("mov rax, rbx // @3", Syntax::Asm),
        ("a = 1 // @3", Syntax::Toml),
        ("end = .; // @3", Syntax::Linker),
        ("end = .; /* @3 */ x", Syntax::Linker),
        ("/* a comment /* @3 */", Syntax::Linker),
    ] {
        assert_eq!(classify_in(line, Some(syntax)), Ok(Line::Code), "{line}");
    }
}

#[test]
fn not_one_line_markers() {
    for line in [
        "let x = \"// @{ 3\";",
        "let x = \"a\\\" // @3\";",
        "let x = r#\"a\" // @3\"#;",
        "let c = '\"'; let s = \"// @3\";",
        "fn f<'a>(x: &'a str) -> &'a str { \"// @3\" }",
        "let x = /* // @3 */ 1;",
        "/// Frees the page (see @3).",
        "/// @3 doc comments are documentation",
        "//! @{ 3",
        "f(); // mail me@example.com",
        "f(); // a//@b",
        "x = \"http://@3\"",
        "let s = \"a string that goes on // @3",
        "let s = r\"raw, to the next line // @3",
        "    .type _start, @function",
        "",
    ] {
        assert_eq!(
            classify_in(line, Some(Syntax::Rust)),
            Ok(Line::Code),
            "{line}"
        );
    }
    // A file kind without one-line markers, and `classify` (no kind): code.
    assert_eq!(classify_in("foo(); // @3", None), Ok(Line::Code));
    assert_eq!(classify("foo(); // @3"), Ok(Line::Code));
    // A marker on a line of its own keeps its meaning.
    assert_eq!(
        classify_in("    // @{ 3", Some(Syntax::Rust)),
        Ok(open(Some(span(3, None)), None, false))
    );
    assert_eq!(
        classify_in("    # @}}", Some(Syntax::Asm)),
        Ok(Line::Marker(Marker::Close(None)))
    );
}

#[test]
fn malformed_one_line_markers() {
    let err = |line: &str| classify_in(line, Some(Syntax::Rust)).unwrap_err();
    assert!(err("f(); // @{ 3").contains("must stand on a line of its own"));
    assert!(err("f(); // @} x").contains("must stand on a line of its own"));
    assert!(err("f(); // @file 3").contains("must stand on a line of its own"));
    assert!(err("f(); // @3x").contains("expected a chapter"));
    assert!(err("f(); // @5..3").contains("expected a chapter"));
    assert!(err("f(); // @3 Name").contains("not a snippet name"));
    assert!(err("f(); // @3 a b").contains("unexpected `b`"));
    assert!(err("f(); // @3 name hidden").contains("hidden block cannot be a named"));
    assert!(err("f(); // @").contains("needs a chapter"));
    assert!(err("f(); // @TODO fix").contains("not a snippet name"));
    assert!(err("f(); // @3 // note").contains("must end its line"));
    assert!(err("f(); // @3 // @4").contains("must end its line"));
    assert!(err("//- // @0..3").contains("without a line of code"));
    assert!(
        classify_in("x # @3 Y", Some(Syntax::Asm))
            .unwrap_err()
            .contains("not a snippet name")
    );
    assert!(
        classify_in("x = .; /* @3 y z */", Some(Syntax::Linker))
            .unwrap_err()
            .contains("unexpected `z`")
    );
    // The one-line form alone on a line: a marker that does not exist, with a hint.
    assert!(err("    // @3").contains("a one-line marker `@3` ends a line of code"));
    assert!(err("    // @3").contains("unknown marker `@3`"));
}

#[test]
fn syntax_follows_the_file_kind() {
    assert_eq!(Syntax::for_path("kernel/src/main.rs"), Some(Syntax::Rust));
    assert_eq!(Syntax::for_path("kernel/src/boot.S"), Some(Syntax::Asm));
    assert_eq!(Syntax::for_path("user/Cargo.toml"), Some(Syntax::Toml));
    assert_eq!(Syntax::for_path(".cargo/config.toml"), Some(Syntax::Toml));
    assert_eq!(Syntax::for_path("user/user.ld"), Some(Syntax::Linker));
    assert_eq!(Syntax::for_path("Cargo.lock"), None);
    assert_eq!(Syntax::for_path("README"), None);
}
