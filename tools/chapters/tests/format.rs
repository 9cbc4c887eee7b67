//! Formatting the snapshots' Rust files: once per distinct text, cached, configuration honoured.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use chapters::Error;
use chapters::format::{Rustfmt, Stats, config_for, format_snapshots};
use chapters::sync::Files;

/// A scratch directory, removed when dropped.
struct Scratch(PathBuf);

impl Scratch {
    fn new(tag: &str) -> Scratch {
        let dir =
            std::env::temp_dir().join(format!("chapters-format-{tag}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        Scratch(dir)
    }

    /// A rustfmt that logs each formatting run to `log` and then runs the real one.
    fn logging_rustfmt(&self) -> PathBuf {
        use std::os::unix::fs::PermissionsExt;
        let script = self.0.join("rustfmt.sh");
        let log = self.log();
        let real = Rustfmt::for_repo(&repo_root())
            .unwrap()
            .program()
            .to_owned();
        std::fs::write(
            &script,
            format!(
                "#!/bin/sh\ncase \"$*\" in *--emit*) echo run >> '{}';; esac\nexec '{}' \"$@\"\n",
                log.display(),
                real.to_string_lossy()
            ),
        )
        .unwrap();
        std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o755)).unwrap();
        script
    }

    fn log(&self) -> PathBuf {
        self.0.join("log")
    }

    fn runs(&self) -> usize {
        std::fs::read_to_string(self.log()).map_or(0, |log| log.lines().count())
    }

    fn cache(&self) -> PathBuf {
        self.0.join("cache")
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// The repository this crate lives in (its `rust-toolchain.toml` pins rustfmt).
fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn files(list: &[(&str, &str)]) -> Files {
    list.iter()
        .map(|(p, t)| (p.to_string(), t.as_bytes().to_vec()))
        .collect()
}

fn snapshots(list: &[(&str, &[(&str, &str)])]) -> BTreeMap<String, Files> {
    list.iter()
        .map(|(dir, f)| (dir.to_string(), files(f)))
        .collect()
}

fn text(snapshots: &BTreeMap<String, Files>, dir: &str, path: &str) -> String {
    String::from_utf8(snapshots[dir][path].clone()).unwrap()
}

fn no_failure(f: &chapters::format::Failure) -> Error {
    panic!("rustfmt rejected {}/{}: {}", f.dir, f.path, f.message)
}

const UGLY: &str = "fn  main( ) {\n\n\n    let x=1;\n}\n";
const PRETTY: &str = "fn main() {\n    let x = 1;\n}\n";

#[test]
fn each_distinct_text_is_formatted_once_and_then_comes_from_the_cache() {
    let scratch = Scratch::new("once");
    let rustfmt = Rustfmt::new(
        scratch.logging_rustfmt(),
        &repo_root(),
        Some(scratch.cache()),
    )
    .unwrap();
    assert!(
        rustfmt.version().starts_with("rustfmt "),
        "{}",
        rustfmt.version()
    );
    let input = snapshots(&[
        (
            "chapter-00",
            &[("src/main.rs", UGLY), ("src/lib.rs", "pub fn  f() {}\n")],
        ),
        (
            "chapter-01",
            &[("src/main.rs", UGLY), ("src/lib.rs", "pub fn  f() {}\n")],
        ),
        (
            "chapter-02",
            &[("src/main.rs", UGLY), ("notes.txt", "fn  main( ) {}\n")],
        ),
    ]);
    let mut out = input.clone();
    let stats = format_snapshots(&rustfmt, &mut out, no_failure).unwrap();
    assert_eq!(
        stats,
        Stats {
            files: 5,
            distinct: 2,
            formatted: 2
        }
    );
    assert_eq!(scratch.runs(), 2);
    for dir in ["chapter-00", "chapter-01", "chapter-02"] {
        assert_eq!(text(&out, dir, "src/main.rs"), PRETTY);
    }
    assert_eq!(text(&out, "chapter-01", "src/lib.rs"), "pub fn f() {}\n");
    assert_eq!(
        text(&out, "chapter-02", "notes.txt"),
        "fn  main( ) {}\n",
        "only .rs files are formatted"
    );

    // A second run finds everything in the cache, and gives the same result.
    let mut again = input.clone();
    let stats = format_snapshots(&rustfmt, &mut again, no_failure).unwrap();
    assert_eq!((stats.distinct, stats.formatted), (2, 0));
    assert_eq!(scratch.runs(), 2);
    assert_eq!(again, out);

    // An entry that does not hold its key (damaged, or a hash collision) is not used.
    for entry in std::fs::read_dir(scratch.cache()).unwrap() {
        std::fs::write(entry.unwrap().path(), b"\x05\0\0\0\0\0\0\0junk!fn x() {}\n").unwrap();
    }
    let mut damaged = input.clone();
    let stats = format_snapshots(&rustfmt, &mut damaged, no_failure).unwrap();
    assert_eq!(stats.formatted, 2);
    assert_eq!(damaged, out);

    // Entries a run does not use are dropped: the cache holds what the snapshots need.
    let mut smaller = snapshots(&[("chapter-00", &[("src/main.rs", UGLY)])]);
    format_snapshots(&rustfmt, &mut smaller, no_failure).unwrap();
    assert_eq!(std::fs::read_dir(scratch.cache()).unwrap().count(), 1);
}

#[test]
fn the_snapshots_rustfmt_toml_applies_to_its_directory_and_below() {
    let scratch = Scratch::new("config");
    let rustfmt = Rustfmt::new(
        scratch.logging_rustfmt(),
        &repo_root(),
        Some(scratch.cache()),
    )
    .unwrap();
    let body = "fn f() {\n    let x = 1;\n}\n";
    let mut out = snapshots(&[(
        "chapter-00",
        &[
            ("kernel/rustfmt.toml", "hard_tabs = true\n"),
            ("kernel/src/a.rs", body),
            ("user/src/b.rs", body),
            ("c.rs", body),
        ],
    )]);
    let stats = format_snapshots(&rustfmt, &mut out, no_failure).unwrap();
    // The same text under two configurations: two formatting runs.
    assert_eq!((stats.files, stats.distinct), (3, 2));
    assert_eq!(
        text(&out, "chapter-00", "kernel/src/a.rs"),
        "fn f() {\n\tlet x = 1;\n}\n"
    );
    assert_eq!(text(&out, "chapter-00", "user/src/b.rs"), body);
    assert_eq!(text(&out, "chapter-00", "c.rs"), body);
}

#[test]
fn config_lookup_prefers_the_nearest_directory_and_the_dotted_name() {
    let f = files(&[
        ("rustfmt.toml", "top"),
        ("k/rustfmt.toml", "k"),
        ("k/.rustfmt.toml", "k-dot"),
        ("k/src/deep/x.rs", ""),
    ]);
    assert_eq!(
        config_for(&f, "k/src/deep/x.rs"),
        Some(("k/.rustfmt.toml", &b"k-dot"[..]))
    );
    assert_eq!(
        config_for(&f, "u/y.rs"),
        Some(("rustfmt.toml", &b"top"[..]))
    );
    assert_eq!(config_for(&f, "z.rs"), Some(("rustfmt.toml", &b"top"[..])));
    assert_eq!(config_for(&files(&[("a/b.rs", "")]), "a/b.rs"), None);
}

#[test]
fn failures_name_the_earliest_chapter_and_nothing_changes() {
    let scratch = Scratch::new("fail");
    let rustfmt = Rustfmt::new(
        scratch.logging_rustfmt(),
        &repo_root(),
        Some(scratch.cache()),
    )
    .unwrap();
    let input = snapshots(&[
        ("chapter-00", &[("ok.rs", UGLY)]),
        ("chapter-01", &[("ok.rs", UGLY), ("bad.rs", "fn (\n")]),
        ("chapter-02", &[("bad.rs", "fn (\n")]),
    ]);
    let mut out = input.clone();
    let err = format_snapshots(&rustfmt, &mut out, |f| {
        assert_eq!(
            (f.dir.as_str(), f.path.as_str(), f.also),
            ("chapter-01", "bad.rs", 1)
        );
        assert!(f.message.contains("<stdin>:1:"), "{}", f.message);
        Error::new("described")
    })
    .unwrap_err();
    assert_eq!(err.to_string(), "described");
    assert_eq!(out, input);
}

#[test]
fn a_rustfmt_that_does_not_run_is_an_error() {
    let err = Rustfmt::new("/nonexistent/rustfmt", &repo_root(), None).unwrap_err();
    assert!(
        err.to_string()
            .contains("cannot run `/nonexistent/rustfmt --version`"),
        "{err}"
    );
}
