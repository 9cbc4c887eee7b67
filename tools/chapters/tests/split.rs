//! The splitter: the annotated tree as of each chapter, and the parser's errors.

mod common;

use common::{text, tree, try_tree};

const TRAP: &str = "\
//! Traps.
fn trap_dispatch(tf: &TrapFrame) {
    match tf.vector {
        // @{ 0..2
        //- SYSCALL => old_syscall(tf),
        // @}
        // @{ 2 dispatch_syscall
        SYSCALL => syscall(tf),
        // @}
        // @{ 1 timer
        TIMER => {
            // @{ 3 yield_on_timer
            sched_yield();
            // @}
        }
        // @}
        _ => destroy(tf),
    }
}
";

#[test]
fn replaced_code_and_nested_blocks() {
    let t = tree(3, &[("trap.rs", TRAP)]);
    let v0 = "//! Traps.\nfn trap_dispatch(tf: &TrapFrame) {\n    match tf.vector {\n        \
              SYSCALL => old_syscall(tf),\n        _ => destroy(tf),\n    }\n}\n";
    assert_eq!(text(&t, "trap.rs", 0).unwrap(), v0);
    let v1 = text(&t, "trap.rs", 1).unwrap();
    assert!(v1.contains("old_syscall") && v1.contains("TIMER => {\n        }\n"));
    let v2 = text(&t, "trap.rs", 2).unwrap();
    assert!(!v2.contains("old_syscall") && v2.contains("SYSCALL => syscall(tf),"));
    assert!(!v2.contains("sched_yield"));
    let v3 = text(&t, "trap.rs", 3).unwrap();
    assert!(v3.contains("TIMER => {\n            sched_yield();\n        }"));
    assert!(!v3.contains('@'), "markers never reach a snapshot");
}

#[test]
fn files_that_appear_late_or_go_away() {
    let t = tree(
        4,
        &[
            ("late.rs", "// @file 2\nfn late() {}\n"),
            ("gone.S", "# @file 1..3\nlabel:\n    ret\n"),
            ("always.toml", "[package]\nname = \"k\"\n"),
        ],
    );
    assert_eq!(text(&t, "late.rs", 1), None);
    assert_eq!(text(&t, "late.rs", 2).unwrap(), "fn late() {}\n");
    assert_eq!(text(&t, "gone.S", 0), None);
    assert_eq!(text(&t, "gone.S", 2).unwrap(), "label:\n    ret\n");
    assert_eq!(text(&t, "gone.S", 3), None);
    assert_eq!(
        text(&t, "always.toml", 4).unwrap(),
        "[package]\nname = \"k\"\n"
    );
}

#[test]
fn compiler_output_follows_its_test() {
    let t = tree(
        5,
        &[
            (
                "cf/guard.rs",
                "fn main() {}
// @file 4
",
            ),
            (
                "cf/guard.stderr",
                "error[E0277]: `*const ()` cannot be sent
  // @{ not a marker
",
            ),
            ("cf/orphan.stderr", "warning\n"),
        ],
    );
    assert_eq!(text(&t, "cf/guard.stderr", 3), None);
    let v4 = text(&t, "cf/guard.stderr", 4).unwrap();
    assert!(
        v4.starts_with("error[E0277]"),
        "present from its test's chapter on"
    );
    assert_eq!(text(&t, "cf/guard.rs", 4).unwrap(), "fn main() {}\n");
    assert!(
        text(&t, "cf/orphan.stderr", 0).is_some(),
        "without a test: every chapter"
    );
}

#[test]
fn a_hidden_file_hides_every_line_even_before_its_marker() {
    let src = "fn main() {\n    bad();\n}\n// @file 4 hidden\n";
    let t = tree(
        5,
        &[
            ("cf/guard.rs", src),
            ("shown.rs", "// @file 4\nfn f() {}\n"),
        ],
    );
    let file = t.text_files().find(|f| f.path == "cf/guard.rs").unwrap();
    assert_eq!(file.span.start, 4);
    assert_eq!(file.lines.len(), 3);
    assert!(file.lines.iter().all(|l| l.hidden), "{:?}", file.lines);
    assert_eq!(text(&t, "cf/guard.rs", 3), None);
    assert_eq!(
        text(&t, "cf/guard.rs", 4).unwrap(),
        "fn main() {\n    bad();\n}\n"
    );
    let shown = t.text_files().find(|f| f.path == "shown.rs").unwrap();
    assert!(shown.lines.iter().all(|l| !l.hidden));
    // A range works too, with the marker first and blocks inside.
    let src = "// @file 2..4 hidden\nfn g() {\n    // @{ 3..4\n    h();\n    // @}\n}\n";
    let t = tree(5, &[("g.rs", src)]);
    assert_eq!(text(&t, "g.rs", 2).unwrap(), "fn g() {\n}\n");
    assert_eq!(text(&t, "g.rs", 3).unwrap(), "fn g() {\n    h();\n}\n");
    assert_eq!(text(&t, "g.rs", 4), None);
    assert!(t.text_files().all(|f| f.lines.iter().all(|l| l.hidden)));
}

#[test]
fn file_marker_after_a_header_covers_the_header() {
    let t = tree(2, &[("m.rs", "//! Doc.\n// @file 2\nfn f() {}")]);
    assert_eq!(text(&t, "m.rs", 1), None);
    assert_eq!(
        text(&t, "m.rs", 2).unwrap(),
        "//! Doc.\nfn f() {}",
        "no newline added"
    );
}

#[test]
fn lines_removed_inside_a_file_that_goes_away_later() {
    let src = "# @file 0..3\na = 1\n# @{ 0..2\n#- b = 2\n# @}\n";
    let t = tree(3, &[("c.toml", src)]);
    assert_eq!(text(&t, "c.toml", 1).unwrap(), "a = 1\nb = 2\n");
    assert_eq!(text(&t, "c.toml", 2).unwrap(), "a = 1\n");
    // Lines that go away together with their file stay live code.
    let t = tree(3, &[("c.toml", "# @file 0..3\n# @{ 1..3\nb = 2\n# @}\n")]);
    assert_eq!(text(&t, "c.toml", 2).unwrap(), "b = 2\n");
}

#[test]
fn binary_files_go_everywhere() {
    let files = vec![("blob.bin".to_string(), vec![0xff, 0x00, 0xfe])];
    let t = chapters::SourceTree::from_files(files, &common::chapters(1)).unwrap();
    assert_eq!(t.snapshot(1)["blob.bin"], vec![0xff, 0x00, 0xfe]);
}

#[test]
fn errors_name_file_and_line() {
    let err = |src: &str| try_tree(5, &[("k/a.rs", src)]).unwrap_err();
    assert_eq!(
        err("x\n// @{ 9 n\ny\n// @}\n"),
        "k/a.rs:2: chapter 9 is not in chapters.toml"
    );
    assert_eq!(
        err("// @file 1..7\n"),
        "k/a.rs:1: chapter 7 is not in chapters.toml"
    );
    assert!(err("x\n// @{ 2\ny\n").starts_with("k/a.rs:2: `@{` block never closed"));
    assert!(err("x\n// @}\n").starts_with("k/a.rs:2: `@}` without an open"));
    assert!(err("// @{ 2\n// @}\n").starts_with("k/a.rs:1: empty block"));
    assert!(
        err("// @{ 2 a\nx\n// @} b\n")
            .starts_with("k/a.rs:3: `@} b` closes the block opened on line 1")
    );
    assert!(err("// @file 1\n// @file 2\n").starts_with("k/a.rs:2: second `@file`"));
    assert!(
        err("// @{ 2\nx\n// @}\n// @file 2\n").starts_with("k/a.rs:4: `@file` must come before")
    );
    assert!(
        err("// @{ 2\n// @{ 1\nx\n// @}\n// @}\n")
            .contains(":2: block chapters 1 are not within the enclosing 2")
    );
    assert!(
        err("// @{ 1..3\n// @{ 2\n//- x\n// @}\n// @}\n")
            .contains(":2: block chapters 2 are not within")
    );
    assert!(
        err("// @{ 1..3\nlive();\n// @}\n")
            .starts_with("k/a.rs:2: this line is gone from chapter 3 on")
    );
    assert!(
        err("// @{ 1\n//- ghost();\n// @}\n")
            .starts_with("k/a.rs:2: ghost line in code that is never removed")
    );
    assert!(err("x\n  // @fiel 2\n").starts_with("k/a.rs:2: unknown marker"));
}

#[test]
fn snippet_names_are_unique_across_the_tree() {
    let files = [
        ("a.rs", "// @{ 1 boot\nx\n// @}\n"),
        ("b/c.S", "\n\n# @{ boot\ny\n# @}\n"),
    ];
    assert_eq!(
        try_tree(2, &files).unwrap_err(),
        "b/c.S:3: snippet `boot` is already defined at a.rs:1"
    );
}

#[test]
fn snippets_record_their_chapter_and_lines() {
    let t = tree(
        3,
        &[
            ("trap.rs", TRAP),
            (
                "late.rs",
                "// @file 2\n// @{ late_fn\nfn late() {}\n// @}\n",
            ),
        ],
    );
    let names: Vec<_> = t.snippets().map(|s| (s.name.as_str(), s.chapter)).collect();
    assert_eq!(
        names,
        [
            ("dispatch_syscall", 2),
            ("late_fn", 2),
            ("timer", 1),
            ("yield_on_timer", 3)
        ]
    );
    let (file, timer) = t.snippet("timer").unwrap();
    assert_eq!(file.lines[timer.first].text.trim(), "TIMER => {");
    assert_eq!(file.lines[timer.last].text.trim(), "}");
    assert_eq!(timer.marker_line, 10);
}

/// `TRAP` with one-line markers wherever a block holds one line.
const TRAP_ONE_LINE: &str = "\
//! Traps.
fn trap_dispatch(tf: &TrapFrame) {
    match tf.vector {
        //- SYSCALL => old_syscall(tf), // @0..2
        SYSCALL => syscall(tf),     // @2 dispatch_syscall
        // @{ 1 timer
        TIMER => {
            sched_yield(); // @3 yield_on_timer
        }
        // @}
        _ => destroy(tf),
    }
}
";

#[test]
fn one_line_markers_make_the_same_chapters_as_blocks() {
    let blocks = tree(3, &[("trap.rs", TRAP)]);
    let one_line = tree(3, &[("trap.rs", TRAP_ONE_LINE)]);
    for chapter in 0..=3 {
        assert_eq!(
            text(&one_line, "trap.rs", chapter),
            text(&blocks, "trap.rs", chapter),
            "chapter {chapter}"
        );
    }
    let v3 = text(&one_line, "trap.rs", 3).unwrap();
    assert!(!v3.contains('@') && !v3.contains("syscall(tf) "), "{v3}");
    // Snippets of one line, recorded at the marker's line.
    let (file, def) = one_line.snippet("dispatch_syscall").unwrap();
    assert_eq!((def.chapter, def.marker_line), (2, 5));
    assert_eq!(def.first, def.last);
    assert_eq!(
        file.lines[def.first].text,
        "        SYSCALL => syscall(tf),"
    );
    assert_eq!(file.lines[def.first].number, 5);
    let (file, def) = one_line.snippet("yield_on_timer").unwrap();
    assert_eq!(file.lines[def.first].text, "            sched_yield();");
    // The ghost line keeps its marker's span, uncommented.
    let ghost = &file.lines[3];
    assert_eq!(ghost.text, "        SYSCALL => old_syscall(tf),");
    assert_eq!(ghost.span.to_string(), "0..2");
}

#[test]
fn one_line_markers_in_every_file_kind() {
    let t = tree(
        3,
        &[
            (
                "boot.S",
                "start:\n    mov rax, rbx # @2\n    #- nop # @0..2\n    ret\n",
            ),
            (
                "link.ld",
                "SECTIONS {\n    end = .; /* @2 */\n    /*- old = .; */ /* @0..2 */\n}\n",
            ),
            (
                "Cargo.toml",
                "[dependencies]\nspin = \"0.10\" # @2 hidden\n#- old = \"1\" # @0..2\n",
            ),
        ],
    );
    assert_eq!(text(&t, "boot.S", 1).unwrap(), "start:\n    nop\n    ret\n");
    assert_eq!(
        text(&t, "boot.S", 2).unwrap(),
        "start:\n    mov rax, rbx\n    ret\n"
    );
    assert_eq!(
        text(&t, "link.ld", 1).unwrap(),
        "SECTIONS {\n    old = .;\n}\n"
    );
    assert_eq!(
        text(&t, "link.ld", 2).unwrap(),
        "SECTIONS {\n    end = .;\n}\n"
    );
    assert_eq!(
        text(&t, "Cargo.toml", 0).unwrap(),
        "[dependencies]\nold = \"1\"\n"
    );
    assert_eq!(
        text(&t, "Cargo.toml", 3).unwrap(),
        "[dependencies]\nspin = \"0.10\"\n"
    );
    let toml = t.text_files().find(|f| f.path == "Cargo.toml").unwrap();
    assert!(toml.lines[1].hidden && !toml.lines[0].hidden && !toml.lines[2].hidden);
    // A file kind without one-line markers copies the line as it is.
    let t = tree(3, &[("notes.txt", "words // @2\n")]);
    assert_eq!(text(&t, "notes.txt", 0).unwrap(), "words // @2\n");
}

#[test]
fn one_line_markers_follow_the_block_rules() {
    let err = |src: &str| try_tree(5, &[("k/a.rs", src)]).unwrap_err();
    // Nesting only narrows.
    assert_eq!(
        err("// @{ 2\nx(); // @1\n// @}\n"),
        "k/a.rs:2: block chapters 1 are not within the enclosing 2"
    );
    assert_eq!(
        err("// @{ 1..3\n//- x(); // @2\n// @}\n"),
        "k/a.rs:2: block chapters 2 are not within the enclosing 1..3"
    );
    assert_eq!(
        err("// @file 2..4\nx(); // @1..3\n"),
        "k/a.rs:2: block chapters 1..3 are not within the enclosing 2..4"
    );
    // Within the enclosing block, it narrows as a block would; a name keeps the chapters.
    let t = tree(
        5,
        &[(
            "a.rs",
            "// @{ 1..4\n//- x(); // @2..3\n//- y(); // @one\n// @}\nz(); // @5\n",
        )],
    );
    assert_eq!(text(&t, "a.rs", 1).unwrap(), "y();\n");
    assert_eq!(text(&t, "a.rs", 2).unwrap(), "x();\ny();\n");
    assert_eq!(t.snippet("one").unwrap().1.chapter, 1);
    // Code that goes away is a ghost line, and a ghost line goes away.
    assert!(err("x(); // @1..3\n").starts_with("k/a.rs:1: this line is gone from chapter 3 on"));
    assert!(
        err("//- x(); // @1\n").starts_with("k/a.rs:1: ghost line in code that is never removed")
    );
    // Chapters exist; names are unique; `@file` comes first; the marker is valid.
    assert_eq!(
        err("x(); // @9\n"),
        "k/a.rs:1: chapter 9 is not in chapters.toml"
    );
    assert!(
        err("x(); // @1 n\ny(); // @2 n\n")
            .starts_with("k/a.rs:2: snippet `n` is already defined at k/a.rs:1")
    );
    assert!(err("x(); // @1\n// @file 2\n").starts_with("k/a.rs:2: `@file` must come before"));
    assert!(err("\nx(); // @1 Bad\n").starts_with("k/a.rs:2: one-line marker `@1 Bad`"));
    assert!(err("x(); // @{ 1\n").starts_with("k/a.rs:1: `@{ 1` must stand on a line of its own"));
    assert!(err("x(); // @x y\n").starts_with("k/a.rs:1: one-line marker `@x y`: unexpected `y`"));
}
