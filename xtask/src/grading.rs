//! What `cargo xtask grade` needs besides running tests: the submission as it is built (the
//! student's sources with the official build files and test programs), the parts a score is
//! split into, and the Gradescope-style `results.json`.

use std::path::Path;

use anyhow::Context;

use crate::spec::TestSpec;

/// Whether a file of a tree is the grader's, not the student's: the build (manifests, the lock
/// file, build scripts, cargo's and rustup's configuration, linker scripts) and the user programs
/// the tests boot (`user/src/bin/`), whose output the tests judge.
pub fn official(path: &str) -> bool {
    let name = path.rsplit('/').next().unwrap_or(path);
    matches!(
        name,
        "Cargo.toml" | "Cargo.lock" | "build.rs" | "rust-toolchain.toml" | "rust-toolchain"
    ) || name.ends_with(".ld")
        || path.starts_with(".cargo/")
        || path.contains("/.cargo/")
        || path.starts_with("user/src/bin/")
}

/// Makes `out` the tree to grade: the files of `submission` (but `target/` directories) except
/// the official ones, which come from `reference` (the chapter's snapshot) instead; an official
/// file the reference does not have is left out. Returns the official files the submission had
/// changed, added or removed, for the report. `out`'s `target/` is kept, and so are its files
/// whose contents stay the same.
pub fn assemble(submission: &Path, reference: &Path, out: &Path) -> anyhow::Result<Vec<String>> {
    let theirs = files(submission)?;
    let ours = files(reference)?;
    let mut replaced = Vec::new();
    let mut wanted: Vec<(&String, &Vec<u8>)> = Vec::new();
    for (path, bytes) in &theirs {
        if !official(path) {
            wanted.push((path, bytes));
        } else if ours
            .iter()
            .find(|(p, _)| p == path)
            .is_none_or(|(_, b)| b != bytes)
        {
            replaced.push(path.clone());
        }
    }
    for (path, bytes) in ours.iter().filter(|(p, _)| official(p)) {
        if !theirs.iter().any(|(p, _)| p == path) {
            replaced.push(path.clone());
        }
        wanted.push((path, bytes));
    }
    // Files already there with the same contents are left alone, so the build stays fresh.
    let present = if out.is_dir() {
        files(out)?
    } else {
        Vec::new()
    };
    for (path, bytes) in &present {
        if !wanted.iter().any(|(p, b)| *p == path && *b == bytes) {
            let path = out.join(path);
            std::fs::remove_file(&path)
                .with_context(|| format!("cannot remove {}", path.display()))?;
        }
    }
    for (path, bytes) in wanted {
        if !present.iter().any(|(p, b)| p == path && b == bytes) {
            write(&out.join(path), bytes)?;
        }
    }
    replaced.sort();
    Ok(replaced)
}

fn write(path: &Path, bytes: &[u8]) -> anyhow::Result<()> {
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent)
            .with_context(|| format!("cannot create {}", parent.display()))?;
    }
    std::fs::write(path, bytes).with_context(|| format!("cannot write {}", path.display()))
}

/// Every file under `root` (relative path with `/`, contents), `target/` directories left out.
fn files(root: &Path) -> anyhow::Result<Vec<(String, Vec<u8>)>> {
    let mut out = Vec::new();
    let mut dirs = vec![(root.to_path_buf(), String::new())];
    while let Some((dir, prefix)) = dirs.pop() {
        let entries =
            std::fs::read_dir(&dir).with_context(|| format!("cannot list {}", dir.display()))?;
        for entry in entries {
            let entry = entry?;
            let name = entry.file_name().to_string_lossy().into_owned();
            let rel = format!("{prefix}{name}");
            if entry.file_type()?.is_dir() {
                if name != "target" {
                    dirs.push((entry.path(), format!("{rel}/")));
                }
            } else {
                let bytes = std::fs::read(entry.path())
                    .with_context(|| format!("cannot read {}", entry.path().display()))?;
                out.push((rel, bytes));
            }
        }
    }
    Ok(out)
}

/// The part of the grade a test counts for, in chapter `chapter` whose exercises are
/// `exercises`: the exercises, for the chapter's own tests that need their code; otherwise the
/// tests of what came before, which the student's code must not break.
pub fn part(spec: &TestSpec, chapter: u32, exercises: &[String]) -> String {
    if spec.since == chapter && spec.needs_exercise && !exercises.is_empty() {
        format!("exercise {}", exercises.join(" + "))
    } else {
        "earlier chapters (nothing broken)".to_string()
    }
}

/// One graded run, for `results.json`.
pub struct Graded {
    pub name: String,
    pub passed: bool,
    /// Why it failed (empty for a pass).
    pub output: String,
}

/// Gradescope's `results.json`: the total and one entry per run, a point each.
pub fn results_json(runs: &[Graded]) -> String {
    let score = runs.iter().filter(|r| r.passed).count();
    let mut text = format!(
        "{{\n  \"score\": {score},\n  \"max_score\": {},\n  \"tests\": [",
        runs.len()
    );
    for (i, run) in runs.iter().enumerate() {
        let comma = if i + 1 < runs.len() { "," } else { "" };
        text.push_str(&format!(
            "\n    {{\"name\": {}, \"score\": {}, \"max_score\": 1, \"output\": {}}}{comma}",
            json_string(&run.name),
            u8::from(run.passed),
            json_string(&run.output)
        ));
    }
    text.push_str("\n  ]\n}\n");
    text
}

/// `text` as a JSON string literal.
fn json_string(text: &str) -> String {
    let mut out = String::from("\"");
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if u32::from(c) < 0x20 => out.push_str(&format!("\\u{:04x}", u32::from(c))),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn build_files_and_test_programs_are_the_grader_s() {
        for path in [
            "Cargo.toml",
            "kernel/Cargo.toml",
            "Cargo.lock",
            "kernel/build.rs",
            ".cargo/config.toml",
            "kernel/.cargo/config.toml",
            "kernel/kernel.ld",
            "rust-toolchain.toml",
            "user/src/bin/dumbfork.rs",
        ] {
            assert!(official(path), "{path}");
        }
        for path in ["kernel/src/exofork.rs", "user/src/fork.rs", "README.md"] {
            assert!(!official(path), "{path}");
        }
    }

    #[test]
    fn the_submission_gets_the_official_build_files() {
        let base = std::env::temp_dir().join(format!("xtask-grading-{}", std::process::id()));
        let (student, reference, out) = (base.join("s"), base.join("r"), base.join("o"));
        write(&student.join("Cargo.toml"), b"hacked").unwrap();
        write(&student.join("kernel/src/exofork.rs"), b"mine").unwrap();
        write(&student.join("kernel/build.rs"), b"extra").unwrap();
        write(&student.join("target/junk"), b"x").unwrap();
        write(&reference.join("Cargo.toml"), b"official").unwrap();
        write(&reference.join("kernel/src/exofork.rs"), b"solution").unwrap();
        write(&reference.join("user/src/bin/hello.rs"), b"hello").unwrap();
        let replaced = assemble(&student, &reference, &out).unwrap();
        let read = |p: &str| std::fs::read_to_string(out.join(p)).ok();
        assert_eq!(read("Cargo.toml").as_deref(), Some("official"));
        assert_eq!(read("kernel/src/exofork.rs").as_deref(), Some("mine"));
        assert_eq!(read("user/src/bin/hello.rs").as_deref(), Some("hello"));
        assert_eq!(read("kernel/build.rs"), None);
        assert_eq!(read("target/junk"), None);
        assert_eq!(
            replaced,
            ["Cargo.toml", "kernel/build.rs", "user/src/bin/hello.rs"]
        );
        std::fs::remove_dir_all(&base).unwrap();
    }

    #[test]
    fn results_json_is_gradescope_s_format() {
        let runs = [
            Graded {
                name: "exercise sys_exofork: dumbfork [1 CPU]".into(),
                passed: false,
                output: "MISSING \"x\"\n".into(),
            },
            Graded {
                name: "hello".into(),
                passed: true,
                output: String::new(),
            },
        ];
        assert_eq!(
            results_json(&runs),
            "{\n  \"score\": 1,\n  \"max_score\": 2,\n  \"tests\": [\n    {\"name\": \
             \"exercise sys_exofork: dumbfork [1 CPU]\", \"score\": 0, \"max_score\": 1, \
             \"output\": \"MISSING \\\"x\\\"\\n\"},\n    {\"name\": \"hello\", \"score\": 1, \
             \"max_score\": 1, \"output\": \"\"}\n  ]\n}\n"
        );
    }
}
