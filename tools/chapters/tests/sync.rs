//! Writing and checking `chapters/` in a throw-away repository.

use std::path::{Path, PathBuf};

use chapters::sync::{DriftKind, apply, compare, generate};

struct Repo(PathBuf);

impl Repo {
    fn new(tag: &str) -> Repo {
        let dir = std::env::temp_dir().join(format!("chapters-sync-{tag}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        let repo = Repo(dir);
        let mut toml = String::new();
        for n in 0..3 {
            toml += &format!(
                "[[chapter]]\nnumber = {n}\nslug = \"c{n}\"\ntitle = \"C\"\ndefault_prog = \"p\"\n"
            );
        }
        repo.write("chapters.toml", &toml);
        repo.write("rust-toolchain.toml", "[toolchain]\nchannel = \"1.95.0\"\n");
        repo.write("kernel-final/Cargo.toml", "[workspace]\n");
        repo.write("kernel-final/src/main.rs", "fn main() {\n    // @{ 1\n    one();\n    // @}\n    // @{ 2\n    two();\n    // @}\n}\n");
        repo.write("kernel-final/src/late.rs", "// @file 2\nfn late() {}\n");
        repo.write(
            "kernel-final/target/debug/junk",
            "build output is never copied",
        );
        repo
    }

    fn write(&self, path: &str, text: &str) {
        let path = self.0.join(path);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    }

    fn out(&self) -> PathBuf {
        self.0.join("chapters")
    }

    fn read(&self, path: &str) -> String {
        std::fs::read_to_string(self.out().join(path)).unwrap()
    }

    fn drift(&self) -> Vec<(String, DriftKind)> {
        let generated = generate(&self.0).unwrap();
        compare(&self.out(), &generated)
            .unwrap()
            .into_iter()
            .map(|d| (d.path, d.kind))
            .collect()
    }

    fn split(&self) -> Vec<String> {
        let generated = generate(&self.0).unwrap();
        apply(&self.out(), &generated)
            .unwrap()
            .into_iter()
            .map(|d| d.path)
            .collect()
    }
}

impl Drop for Repo {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn exists(path: &Path) -> bool {
    path.exists()
}

#[test]
fn split_writes_every_chapter_then_only_what_changed() {
    let repo = Repo::new("write");
    let written = repo.split();
    assert_eq!(written.len(), 3 + 3 + 4, "{written:?}");
    // Rust files are formatted: chapter 0's empty body closes on its line.
    assert_eq!(repo.read("chapter-00/src/main.rs"), "fn main() {}\n");
    assert_eq!(
        repo.read("chapter-02/src/main.rs"),
        "fn main() {\n    one();\n    two();\n}\n"
    );
    assert_eq!(
        repo.read("chapter-01/rust-toolchain.toml"),
        "[toolchain]\nchannel = \"1.95.0\"\n"
    );
    assert!(!exists(&repo.out().join("chapter-01/src/late.rs")));
    assert!(!exists(&repo.out().join("chapter-00/target")));
    assert!(repo.drift().is_empty());

    // Editing a line of chapter 1 changes chapters 1 and 2 only.
    repo.write(
        "kernel-final/src/main.rs",
        "fn main() {\n    // @{ 1\n    one(1);\n    // @}\n    // @{ 2\n    two();\n    // @}\n}\n",
    );
    assert_eq!(
        repo.drift(),
        [
            ("chapter-01/src/main.rs".to_string(), DriftKind::Changed),
            ("chapter-02/src/main.rs".to_string(), DriftKind::Changed),
        ]
    );
    assert_eq!(
        repo.split(),
        ["chapter-01/src/main.rs", "chapter-02/src/main.rs"]
    );
    assert!(repo.drift().is_empty());
}

#[test]
fn check_reports_extra_missing_and_stale_but_spares_target() {
    let repo = Repo::new("check");
    repo.split();
    repo.write("chapters/chapter-00/src/stray.rs", "hand-made");
    repo.write("chapters/chapter-00/target/debug/kernel", "build output");
    repo.write("chapters/chapter-07/src/main.rs", "a dropped chapter");
    repo.write("chapters/README", "not a chapter: left alone");
    std::fs::remove_file(repo.out().join("chapter-02/src/late.rs")).unwrap();
    assert_eq!(
        repo.drift(),
        [
            ("chapter-00/src/stray.rs".to_string(), DriftKind::Extra),
            ("chapter-02/src/late.rs".to_string(), DriftKind::Missing),
            ("chapter-07/".to_string(), DriftKind::Extra),
        ]
    );
    repo.split();
    assert!(repo.drift().is_empty());
    assert!(exists(&repo.out().join("chapter-00/target/debug/kernel")));
    assert!(exists(&repo.out().join("README")));
    assert!(!exists(&repo.out().join("chapter-07")));
    assert!(!exists(&repo.out().join("chapter-00/src/stray.rs")));
}

#[test]
fn removing_a_file_removes_its_empty_directory() {
    let repo = Repo::new("prune");
    repo.write("kernel-final/extra/only.rs", "// @file 1..2\nfn x() {}\n");
    repo.split();
    assert!(exists(&repo.out().join("chapter-01/extra/only.rs")));
    assert!(!exists(&repo.out().join("chapter-02/extra")));
    std::fs::remove_file(repo.0.join("kernel-final/extra/only.rs")).unwrap();
    repo.split();
    assert!(!exists(&repo.out().join("chapter-01/extra")));
}

#[test]
fn errors_stop_generation() {
    let repo = Repo::new("error");
    repo.write("kernel-final/src/bad.rs", "// @{ 5\nx\n// @}\n");
    let err = generate(&repo.0).unwrap_err().to_string();
    assert_eq!(
        err,
        "kernel-final/src/bad.rs:1: chapter 5 is not in chapters.toml"
    );
}

#[test]
fn snapshots_are_rustfmt_clean() {
    let repo = Repo::new("rustfmt");
    // Formatted as it stands, but a block's removal leaves two blank lines in chapter 0 and
    // puts `use` lines of different blocks in an order rustfmt changes in chapter 2.
    repo.write(
        "kernel-final/src/lib.rs",
        "\
use crate::b::B;
// @{ 1..2
//- use crate::a::A;
// @}
// @{ 2
use crate::a::A2;
// @}

// @{ 1
fn one() {}
// @}

fn always() {}
",
    );
    repo.split();
    assert_eq!(
        repo.read("chapter-00/src/lib.rs"),
        "use crate::b::B;\n\nfn always() {}\n"
    );
    assert_eq!(
        repo.read("chapter-01/src/lib.rs"),
        "use crate::a::A;\nuse crate::b::B;\n\nfn one() {}\n\nfn always() {}\n"
    );
    assert_eq!(
        repo.read("chapter-02/src/lib.rs"),
        "use crate::a::A2;\nuse crate::b::B;\n\nfn one() {}\n\nfn always() {}\n"
    );
    // Non-Rust files are left as they render.
    repo.write("kernel-final/notes.txt", "a\n\n// @{ 1\nb\n// @}\n\nc\n");
    repo.split();
    assert_eq!(repo.read("chapter-00/notes.txt"), "a\n\n\nc\n");
    assert!(repo.drift().is_empty(), "the output is the same every time");
}

#[test]
fn a_chapter_rustfmt_rejects_is_an_error_naming_chapter_file_and_source_line() {
    let repo = Repo::new("rustfmt-error");
    repo.write(
        "kernel-final/src/bad.rs",
        "fn f() {\n    // @{ 1..2\n    //- broken(;\n    // @}\n}\n",
    );
    let err = generate(&repo.0).unwrap_err().to_string();
    assert!(
        err.starts_with(
            "kernel-final/src/bad.rs:3: rustfmt cannot format chapters/chapter-01/src/bad.rs, \
             chapter 1's version of this file:\n"
        ),
        "{err}"
    );
    assert!(
        err.contains("--> chapters/chapter-01/src/bad.rs:2:11 (kernel-final/src/bad.rs:3)"),
        "{err}"
    );
    assert!(!err.contains("<stdin>"), "{err}");
    // Nothing is written.
    assert!(!exists(&repo.out()));
}
