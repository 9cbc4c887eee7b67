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
        // Another test thread that forks while the script is open for writing gives its child a
        // copy of the write descriptor until that child execs, and running the script meanwhile
        // fails with "Text file busy". Run it until that window has passed.
        for _ in 0..200 {
            match std::process::Command::new(&script)
                .arg("--version")
                .output()
            {
                Err(e) if e.kind() == std::io::ErrorKind::ExecutableFileBusy => {
                    std::thread::sleep(std::time::Duration::from_millis(10));
                }
                _ => break,
            }
        }
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

/// The kinds of lines `kernel-final/` puts one-line markers on, formatted as rustfmt wants.
const ONE_LINE_MARKERS: &str = "\
use core::sync::atomic::{AtomicU64, Ordering}; // @9 hidden

use crate::cpu; // @6 hidden
//- use crate::env::{self, EnvGuard, EnvStatus}; // @0..6
use crate::env::{self, Env, EnvGuard, EnvStatus}; // @6 hidden
use crate::println;

mod lapic; // @2 hidden
mod pit; // @3 hidden
mod smp;

pub struct Env {
    pub id: EnvId,
    //- pub current: Option<usize>, // @0..4
    pub pgfault_upcall: u64, // @8 hidden
    pub status: EnvStatus,
}

#[allow(dead_code)] // @0..7
fn trap_dispatch(tf: &mut TrapFrame) {
    match tf.vector {
        //- vector::TIMER => pic::eoi(), // @0..3
        vector::SYSCALL => syscall(tf), // @2 dispatch
        //- vector::DIVIDE => destroy(tf), // @0..3
        vector::PAGE_FAULT => pgfault::user_page_fault(envs, cur, frame, fault_address()), // @8 trap_pgfault
        _ => destroy(tf),
    }
    //- gdt::init(BOOT_STACK.top()); // @0..4
    percpu::init(0); // @4
    let next = roundrobin::pick_next(NENV, |s| slot_state(envs.get(s)), envs.current(), cpu::id()); // @6 pick
    let x = lapic::id(); // @2..4 old_id
    f(
        a, // @1
        //- cpu::id(), // @0..2
        b,
    );
    if ready {
        go(); // @5
    }
}

fn id() -> usize {
    //- 0 // @0..2
    try_id().expect(\"cpu: this CPU's APIC id is not in the CPU table\") // @2 cpu_id
}
";

/// A file of chapters 0 to 3 with `text` as its only file.
fn one_file_tree(text: &str) -> chapters::SourceTree {
    let chapters: String = (0..4)
        .map(|n| {
            format!(
                "[[chapter]]\nnumber = {n}\nslug = \"c{n}\"\ntitle = \"C\"\ndefault_prog = \"p\"\n"
            )
        })
        .collect();
    chapters::SourceTree::from_files(
        vec![("f.rs".to_string(), text.as_bytes().to_vec())],
        &chapters::Chapters::parse(&chapters).unwrap(),
    )
    .unwrap()
}

/// rustfmt with no configuration, and the scratch directory that holds its empty configuration.
fn plain_rustfmt(tag: &str) -> (Rustfmt, Scratch, PathBuf) {
    let scratch = Scratch::new(tag);
    let config = scratch.0.join("rustfmt.toml");
    std::fs::write(&config, "").unwrap();
    (Rustfmt::for_repo(&repo_root()).unwrap(), scratch, config)
}

#[test]
fn rustfmt_keeps_one_line_markers_on_their_lines() {
    let (rustfmt, _scratch, config) = plain_rustfmt("one-line");
    let formatted = rustfmt
        .format(ONE_LINE_MARKERS.as_bytes(), &config)
        .unwrap();
    assert_eq!(String::from_utf8(formatted).unwrap(), ONE_LINE_MARKERS);
    // Neighbouring match arms (or fields) with trailing comments: rustfmt aligns the comments,
    // which changes nothing in the chapters.
    let arms = "fn f() {\n    match x {\n        A => long_function_name(argument), // @2 a\n        _ => g(), // @3\n    }\n}\n";
    let formatted = String::from_utf8(rustfmt.format(arms.as_bytes(), &config).unwrap()).unwrap();
    assert!(
        formatted.contains("        _ => g(),                          // @3\n"),
        "{formatted}"
    );
    for chapter in 0..4 {
        assert_eq!(
            one_file_tree(arms).snapshot(chapter),
            one_file_tree(&formatted).snapshot(chapter)
        );
    }
}

/// Where rustfmt does not keep a comment line where it was (the toolchain's rustfmt; see
/// CONTRIBUTING.md). If this test fails after a toolchain update, rustfmt changed: update the
/// list there.
#[test]
fn where_rustfmt_moves_comments() {
    let (rustfmt, _scratch, config) = plain_rustfmt("moves");
    let format = |text: &str| {
        rustfmt
            .format(text.as_bytes(), &config)
            .map(|out| String::from_utf8(out).unwrap())
    };
    // `use` and `mod` lines are sorted, and the trailing comment of a run's last line stays
    // at the end of the run: markers end up on the wrong line (here, an error in the splitter).
    assert_eq!(
        format("use b; // @3\nuse a; // @2\n").unwrap(),
        "use a;\nuse b; // @3 // @2\n"
    );
    // A comment line right after an argument (or array element) that has no trailing comment
    // becomes that item's trailing comment (markers on their own lines too).
    assert_eq!(
        format("fn f() {\n    g(\n        a,\n        //- b(), // @0..2\n        c,\n    );\n}\n")
            .unwrap(),
        "fn f() {\n    g(\n        a, //- b(), // @0..2\n        c,\n    );\n}\n"
    );
    // A comment line after the last item of a list, if that item has a trailing comment, is
    // indented under it.
    assert_eq!(
        format("struct S {\n    a: u8, // @2\n    //- b: u8, // @0..2\n}\n").unwrap(),
        "struct S {\n    a: u8, // @2\n           //- b: u8, // @0..2\n}\n"
    );
    // A statement with a trailing comment followed by a ghost line: rustfmt fails.
    assert!(
        format("fn f() {\n    a(); // @2\n    //- b(); // @0..2\n}\n")
            .unwrap_err()
            .contains("left behind trailing whitespace")
    );
}
