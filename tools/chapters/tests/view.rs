//! Snippets as the book shows them: kinds of lines, context, location and enclosing item.

mod common;

use chapters::view::{Action, Kind, SnippetView, view};
use common::{chapters, tree};

const ENV: &str = "\
use crate::sched;

pub struct EnvTable {
    envs: [Env; NENV],
}

impl EnvTable {
    pub fn alloc(&mut self) -> Option<EnvId> {
        let id = self.free()?;
        // @{ 0..2
        //- self.envs[id].status = Runnable;
        //- self.envs[id].runs = 0;
        // @}
        // @{ 2 alloc_status
        self.envs[id].status = Status::Runnable { since: now() };
        // @}
        // @{ 3 alloc_trace
        trace(id);
        // @}
        Some(id)
    }
    // @{ 0..3 old_helper
    //- fn helper(&self) {}
    // @}

    // @{ 1 run
    pub fn run(&mut self, id: EnvId) -> ! {
        // @{ run_body
        let env = &mut self.envs[id];
        // @{ 4 run_count
        env.runs += 1;
        // @}
        env.pop_trapframe()
        // @}
    }
    // @}
}
";

fn show(name: &str, chapter: Option<u32>) -> SnippetView {
    let t = tree(4, &[("kernel/src/env.rs", ENV), ("kernel/src/smp.S", SMP)]);
    view(&t, &chapters(4), name, chapter, 2).unwrap()
}

fn kinds(v: &SnippetView) -> Vec<(Kind, &str)> {
    v.lines.iter().map(|l| (l.kind, l.text.trim())).collect()
}

#[test]
fn replacement_shows_old_lines_removed_and_new_lines_added() {
    let v = show("alloc_status", None);
    assert_eq!(v.chapter, 2);
    assert_eq!(v.item.as_deref(), Some("fn alloc"));
    assert_eq!(v.action, Action::Replace { removed: 2, at: 10 });
    assert_eq!(
        kinds(&v),
        [
            (Kind::Context, "pub fn alloc(&mut self) -> Option<EnvId> {"),
            (Kind::Context, "let id = self.free()?;"),
            (Kind::Removed, "self.envs[id].status = Runnable;"),
            (Kind::Removed, "self.envs[id].runs = 0;"),
            (
                Kind::Added,
                "self.envs[id].status = Status::Runnable { since: now() };"
            ),
            (Kind::Context, "Some(id)"),
            (Kind::Context, "}"),
        ]
    );
}

#[test]
fn insertion_says_after_which_line() {
    let v = show("alloc_trace", None);
    // In chapter 2 the file reads: use, blank, struct (3 lines), blank, impl, fn, let, status.
    assert_eq!(v.action, Action::AddAfter { line: 10 });
    assert_eq!(v.lines.iter().filter(|l| l.kind == Kind::Added).count(), 1);
    assert_eq!(
        v.lines[1].text.trim(),
        "self.envs[id].status = Status::Runnable { since: now() };"
    );
}

#[test]
fn a_block_of_new_lines_inside_an_impl() {
    let v = show("run", None);
    assert_eq!(v.chapter, 1);
    assert_eq!(v.item.as_deref(), Some("impl EnvTable"));
    assert_eq!(v.action, Action::AddAfter { line: 15 });
    let added: Vec<_> = v
        .lines
        .iter()
        .filter(|l| l.kind == Kind::Added)
        .map(|l| l.text.trim())
        .collect();
    assert_eq!(
        added,
        [
            "pub fn run(&mut self, id: EnvId) -> ! {",
            "let env = &mut self.envs[id];",
            "env.pop_trapframe()",
            "}"
        ]
    );
}

#[test]
fn nested_snippet_shown_in_a_later_chapter_marks_only_that_chapters_change() {
    let v = show("run_body", Some(4));
    assert_eq!(v.item.as_deref(), Some("fn run"));
    assert_eq!(
        v.action,
        Action::Change {
            first: 16,
            last: 18
        }
    );
    assert_eq!(
        kinds(&v)[2..5],
        [
            (Kind::Plain, "let env = &mut self.envs[id];"),
            (Kind::Added, "env.runs += 1;"),
            (Kind::Plain, "env.pop_trapframe()"),
        ]
    );
    // Its own chapter (1): nothing of chapter 4 is there.
    assert!(
        show("run_body", None)
            .lines
            .iter()
            .all(|l| !l.text.contains("runs +="))
    );
}

#[test]
fn removal_shown_as_of_the_chapter_that_removes() {
    let v = show("old_helper", Some(3));
    assert_eq!(v.action, Action::Remove { removed: 1, at: 13 });
    assert_eq!(v.item.as_deref(), Some("impl EnvTable"));
    assert_eq!(
        show("old_helper", None).action,
        Action::Listing {
            first: 14,
            last: 14
        }
    );
}

#[test]
fn unchanged_code_is_a_listing() {
    let v = show("run", Some(3));
    assert_eq!(
        v.action,
        Action::Listing {
            first: 15,
            last: 18
        }
    );
    assert!(v.lines.iter().all(|l| l.kind != Kind::Added));
    assert_eq!(v.shown_changes().count(), 0);
}

const SMP: &str = "\
# @file 3
    .code16
# @{ ap_entry
ap_entry:
    cli
# @{ 4 ap_a20
    inb $0x92, %al
# @}
# @}
";

#[test]
fn new_files_and_assembly_labels() {
    let v = show("ap_entry", None);
    assert_eq!(
        (v.chapter, v.action, v.item.clone()),
        (3, Action::NewFile, None)
    );
    assert!(
        v.lines
            .iter()
            .any(|l| l.kind == Kind::Added && l.text == "ap_entry:")
    );
    let v = show("ap_a20", None);
    assert_eq!(v.item.as_deref(), Some("ap_entry"));
    assert_eq!(v.action, Action::AddAfter { line: 3 });
}

#[test]
fn the_first_chapter_has_nothing_to_compare_with() {
    let t = tree(
        1,
        &[(
            "a.rs",
            "fn a() {\n    // @{ body\n    one();\n    two();\n    // @}\n}\n",
        )],
    );
    let v = view(&t, &chapters(1), "body", None, 3).unwrap();
    assert_eq!(v.action, Action::Listing { first: 2, last: 3 });
    assert_eq!(v.item.as_deref(), Some("fn a"));
    assert_eq!(
        v.shown_changes().count(),
        2,
        "in the first chapter the listing is the change"
    );
    assert_eq!(
        kinds(&v),
        [
            (Kind::Context, "fn a() {"),
            (Kind::Plain, "one();"),
            (Kind::Plain, "two();"),
            (Kind::Context, "}")
        ]
    );
}

#[test]
fn unknown_snippets_and_absent_chapters() {
    let t = tree(4, &[("kernel/src/env.rs", ENV)]);
    assert_eq!(
        view(&t, &chapters(4), "alloc_stauts", None, 2)
            .unwrap_err()
            .to_string(),
        "unknown snippet `alloc_stauts`"
    );
    let err = view(&t, &chapters(4), "alloc_trace", Some(1), 2)
        .unwrap_err()
        .to_string();
    assert_eq!(
        err,
        "kernel/src/env.rs:17: snippet `alloc_trace` has no lines in chapter 1"
    );
}

#[test]
fn enclosing_items() {
    use chapters::item::{enclosing, rust_header};
    assert_eq!(
        rust_header("pub(crate) unsafe extern \"C\" fn trap(tf: &mut Tf) {"),
        Some("fn trap".into())
    );
    assert_eq!(
        rust_header("pub const fn new() -> Self {"),
        Some("fn new".into())
    );
    assert_eq!(
        rust_header("const NENV: usize = 1024;"),
        Some("const NENV".into())
    );
    assert_eq!(
        rust_header("impl<T: Send> Lock<T> {"),
        Some("impl Lock<T>".into())
    );
    assert_eq!(
        rust_header("unsafe impl Sync for Gdt {}"),
        Some("impl Sync for Gdt".into())
    );
    assert_eq!(rust_header("pub struct Env {"), Some("struct Env".into()));
    assert_eq!(
        rust_header("macro_rules! println {"),
        Some("macro_rules! println".into())
    );
    assert_eq!(rust_header("let x = 1;"), None);
    // A multi-line signature: the `) -> T {` line does not hide the header.
    let above = [
        "impl Foo {",
        "    pub fn long(",
        "        a: u32,",
        "    ) -> u32",
        "    where",
        "        T: X,",
        "    {",
        "        if a {",
    ];
    assert_eq!(
        enclosing("x.rs", &above, "            a"),
        Some("fn long".into())
    );
    assert_eq!(
        enclosing("x.rs", &above[..1], "    fn other() {"),
        Some("impl Foo".into())
    );
    assert_eq!(enclosing("x.rs", &["fn a() {}", ""], "fn b() {"), None);
    assert_eq!(
        enclosing(
            "Cargo.toml",
            &["[package]", "name = \"k\"", "[dependencies]"],
            "x = \"1\""
        ),
        Some("[dependencies]".into())
    );
    assert_eq!(
        enclosing("kernel.ld", &["SECTIONS", "{"], "    .text : {"),
        None
    );
}

/// The example of CONTRIBUTING.md, which promises "in `fn trap_dispatch`: replace line 3".
#[test]
fn the_contributing_example() {
    let src = "\
fn trap_dispatch(tf: &mut TrapFrame) {
    match tf.vector {
        // @{ 0..3
        //- vector::TIMER => pic::eoi(),
        // @}
        // @{ 3 timer_yield
        vector::TIMER => {
            lapic::eoi();
            sched::yield_now();
        }
        // @}
        _ => destroy(tf),
    }
}
";
    let t = tree(3, &[("kernel/src/trap.rs", src)]);
    let v = view(&t, &chapters(3), "timer_yield", None, 3).unwrap();
    assert_eq!(v.item.as_deref(), Some("fn trap_dispatch"));
    assert_eq!(v.action, Action::Replace { removed: 1, at: 3 });
    assert_eq!(
        common::text(&t, "kernel/src/trap.rs", 2)
            .unwrap()
            .lines()
            .nth(2),
        Some("        vector::TIMER => pic::eoi(),")
    );
}
