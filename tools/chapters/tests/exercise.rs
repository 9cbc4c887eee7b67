//! Exercise regions: the exercise form of a chapter, and the marker's errors.

mod common;

use chapters::exercise;
use common::{text, tree, try_tree};

const SYSCALL: &str = "\
//! System calls.
fn dispatch(n: u64) -> u64 {
    match n {
        // @{ 2
        EXOFORK => {
            // @exercise 2 exofork: create a child, return its id
            let child = alloc();
            child.id
            // @} exofork
        }
        // @}
        _ => 0,
    }
}

fn init() {
    // @exercise 3 setup: set it up
    set_up();
    // @}
    report();
}

fn other(a: u64) -> u64 {
    // @exercise 3 other: double a
    // @{ 1..3
    //- a + a
    // @}
    a * 2 // @3
    // @}
}
";

fn exercise_text(t: &chapters::SourceTree, path: &str, chapter: u32) -> String {
    String::from_utf8(t.exercise_snapshot(chapter).remove(path).unwrap()).unwrap()
}

#[test]
fn regions_become_todo_in_their_chapter_only() {
    let t = tree(3, &[("k/syscall.rs", SYSCALL)]);
    let ex2 = exercise_text(&t, "k/syscall.rs", 2);
    assert!(
        ex2.contains(
            "        EXOFORK => {\n            \
             todo!(\"chapter 2, exofork: create a child, return its id\")\n        }\n"
        ),
        "{ex2}"
    );
    assert!(!ex2.contains("alloc()") && !ex2.contains('@'));
    // Chapter 2's exercise keeps chapter 2's version of the other exercise's region.
    assert!(ex2.contains("    a + a\n"));
    let ex3 = exercise_text(&t, "k/syscall.rs", 3);
    assert!(
        ex3.contains("alloc()") && ex3.contains("    todo!(\"chapter 3, other: double a\")\n}\n")
    );
    assert!(!ex3.contains("a * 2"));
    // Code after the region: the `todo!` is a statement.
    assert!(ex3.contains("    todo!(\"chapter 3, setup: set it up\");\n    report();\n"));
    // The chapters themselves never see the markers, nor lose the lines.
    for chapter in 0..=3 {
        let snapshot = text(&t, "k/syscall.rs", chapter).unwrap();
        assert!(!snapshot.contains('@') && !snapshot.contains("todo!"));
    }
    assert!(text(&t, "k/syscall.rs", 3).unwrap().contains("a * 2"));
    // A chapter without exercises has the snapshot as its exercise form.
    assert_eq!(t.exercise_snapshot(1), t.snapshot(1));
}

#[test]
fn exercises_are_listed_by_chapter() {
    let t = tree(3, &[("k/syscall.rs", SYSCALL)]);
    let listed = exercise::by_chapter(&t);
    assert_eq!(
        listed[&2],
        [(
            "exofork".to_string(),
            "create a child, return its id".to_string()
        )]
    );
    assert_eq!(listed[&3][1].0, "other");
    assert_eq!(t.exercises().count(), 3);
}

#[test]
fn exercise_markers_do_not_change_the_book_s_snippets() {
    let plain = SYSCALL
        .replace("    set_up();\n    // @}\n", "    set_up();\n")
        .lines()
        .filter(|l| !l.contains("@exercise") && !l.contains("@} exofork"))
        .collect::<Vec<_>>()
        .join("\n");
    // Dropping the exercises' markers (and an inner `@}` too) leaves the same chapters.
    let plain = plain.replacen("    a * 2 // @3\n    // @}\n", "    a * 2 // @3\n", 1);
    let with = tree(3, &[("k/syscall.rs", SYSCALL)]);
    let without = tree(3, &[("k/syscall.rs", &format!("{plain}\n"))]);
    for chapter in 0..=3 {
        assert_eq!(with.snapshot(chapter), without.snapshot(chapter));
    }
}

#[test]
fn errors_name_file_and_line() {
    let err = |src: &str| try_tree(5, &[("k/a.rs", src)]).unwrap_err();
    assert_eq!(
        err("fn f() {\n    // @exercise 2 f\n    x();\n    // @}\n}\n"),
        "k/a.rs:2: no `:` before the task text (an exercise is `@exercise N name: one-line task`)"
    );
    assert_eq!(
        err("// @exercise 9 f: do it\nx();\n// @}\n"),
        "k/a.rs:1: chapter 9 is not in chapters.toml"
    );
    assert_eq!(
        err("// @{ 3\n// @exercise 2 f: do it\nx();\n// @}\n// @}\n"),
        "k/a.rs:2: exercise of chapter 2 around lines of chapters 3"
    );
    assert_eq!(
        err("// @exercise 2 f: do it\n// @exercise 2 g: too\nx();\n// @}\n// @}\n"),
        "k/a.rs:2: exercise inside the exercise opened on line 1"
    );
    assert_eq!(
        err("// @exercise 2 f: say \"hi\"\nx();\n// @}\n"),
        "k/a.rs:1: `\"` in the task text (it becomes a `todo!` message: no `\"`, `\\`, `{` or `}`)"
    );
    assert_eq!(
        err("// @exercise 2 f: do it\nx();\n// @} g\n"),
        "k/a.rs:3: `@} g` closes the block opened on line 1 (`f`)"
    );
    assert_eq!(
        err("// @exercise 2 f: do it\n// @{ 3\nx();\n// @}\n// @}\n"),
        "k/a.rs:1: no line of the exercise is in chapter 2"
    );
    assert!(err("x(); // @exercise 2 f: do it\n").contains("must stand on a line of its own"));
    assert_eq!(
        try_tree(5, &[("k/a.S", "# @exercise 2 f: do it\nret\n# @}\n")]).unwrap_err(),
        "k/a.S:1: exercise regions are Rust code (`.rs` files only)"
    );
}
