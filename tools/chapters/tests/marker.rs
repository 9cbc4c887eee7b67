//! The marker syntax, one line at a time.

use chapters::marker::{Line, Marker, Open, Span, classify};

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
