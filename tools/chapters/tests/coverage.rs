//! Coverage: each chapter's change against what its page shows.

mod common;

use chapters::coverage::{Unshown, coverage};
use chapters::view::view;
use common::{chapters, tree};

const SRC: &str = "\
fn main() {
    init();
    // @{ 0..1
    //- old_start();
    // @}
    // @{ 1 start
    start_aps();
    // @}

    // @{ 1 hidden
    debug_dump();
    // @}
    // @{ 1
    unshown_one();

    unshown_two();
    // @}
    // @{ 2 later
    later();
    // @}
}
";

#[test]
fn coverage_counts_added_and_removed_lines_and_honours_hidden() {
    let t = tree(
        2,
        &[
            ("main.rs", SRC),
            ("new.rs", "// @file 2\n// @{ new_file\nfn n() {}\n// @}\n"),
        ],
    );
    let ch = chapters(2);
    let shown = [
        view(&t, &ch, "start", None, 3).unwrap(),
        view(&t, &ch, "later", None, 3).unwrap(),
        view(&t, &ch, "new_file", None, 3).unwrap(),
    ];
    let report = coverage(&t, &ch, &shown);
    // Chapter 0: everything is new; no snippet of chapter 0 is shown; not required.
    assert_eq!(
        (report[0].changed, report[0].shown, report[0].required),
        (4, 0, false)
    );
    assert!(report[0].passes());
    // Chapter 1: old_start removed, start_aps, debug_dump (hidden), unshown_one/two added.
    let one = &report[1];
    assert_eq!((one.changed, one.hidden, one.shown), (5, 1, 2));
    assert_eq!(
        one.unshown,
        [Unshown {
            path: "main.rs".into(),
            first: 14,
            last: 16
        }]
    );
    assert!(!one.passes());
    assert_eq!(one.percent(), 50.0);
    // Chapter 2: later() and the new file, both shown.
    assert_eq!((report[2].changed, report[2].shown), (2, 2));
    assert!(report[2].passes());
    assert_eq!(report[2].percent(), 100.0);
}

#[test]
fn a_view_counts_only_for_the_chapter_it_is_rendered_as_of() {
    let t = tree(2, &[("main.rs", SRC)]);
    let ch = chapters(2);
    // `start` rendered as of chapter 2 shows nothing new; chapter 1 stays uncovered.
    let shown = [view(&t, &ch, "start", Some(2), 3).unwrap()];
    let report = coverage(&t, &ch, &shown);
    assert_eq!(report[1].shown, 0);
}

#[test]
fn a_hidden_file_never_counts_as_unshown() {
    let t = tree(
        2,
        &[
            ("main.rs", "fn main() {}\n"),
            // A compile-fail test with its marker last, and its compiler output.
            ("cf/t.rs", "fn main() {\n    bad();\n}\n// @file 2 hidden\n"),
            ("cf/t.stderr", "error: bad\n"),
            ("cf/u.rs", "fn main() {\n    worse();\n}\n// @file 2\n"),
        ],
    );
    let report = coverage(&t, &chapters(2), &[]);
    let two = &report[2];
    // t.rs (3 lines) and t.stderr (1 line) hidden; u.rs (3 lines) due and unshown.
    assert_eq!((two.changed, two.hidden, two.shown), (7, 4, 0));
    assert_eq!(
        two.unshown,
        [Unshown {
            path: "cf/u.rs".into(),
            first: 1,
            last: 3
        }]
    );
}
