//! Not booting the same kernel twice for the same run within one `cargo xtask test`.
//!
//! A QEMU run's verdict depends on the kernel, the test (its command line and what it expects),
//! the CPU count and, for a repeated test, which of its runs it is. Two trees whose files are
//! byte for byte the same (a chapter that changes only the book, say) build the same kernel
//! with the same programs, so a run the earlier tree already made is not made again: the later
//! tree's report still lists it, with the earlier run's verdict and a note saying whose it is,
//! and its log holds the earlier run's output under a line saying so.
//!
//! Trees are compared by their files rather than by their kernel ELFs: each tree's crates are
//! units of their own in the shared target directory ([`crate::stage`]), which changes symbol
//! hashes and so the layout of the ELF even when the sources are the same.

use std::collections::HashMap;
use std::fs;
use std::io;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

/// Every file of a tree (but for a `target` directory at its top): relative path and contents,
/// sorted by path.
pub type Files = Vec<(String, Vec<u8>)>;

/// Reads the files of the tree at `dir`.
pub fn tree_files(dir: &Path) -> io::Result<Files> {
    let mut files = Vec::new();
    walk(dir, "", &mut files)?;
    files.sort();
    Ok(files)
}

fn walk(dir: &Path, prefix: &str, files: &mut Files) -> io::Result<()> {
    for entry in fs::read_dir(dir)? {
        let entry = entry?;
        let name = entry.file_name().to_string_lossy().into_owned();
        if prefix.is_empty() && name == "target" {
            continue;
        }
        let path = entry.path();
        let relative = format!("{prefix}{name}");
        if fs::metadata(&path)?.is_dir() {
            walk(&path, &format!("{relative}/"), files)?;
        } else {
            files.push((relative, fs::read(&path)?));
        }
    }
    Ok(())
}

/// The trees seen so far in this suite, to find an earlier one with the same files.
#[derive(Default)]
pub struct Trees {
    seen: Mutex<Vec<(String, Files)>>,
}

impl Trees {
    /// Records tree `name` with `files`; returns the name of the earliest tree recorded with the
    /// same files (`name` itself when there is none). Runs are keyed by that name.
    pub fn kernel_of(&self, name: &str, files: Files) -> String {
        let mut seen = self.seen.lock().unwrap_or_else(|p| p.into_inner());
        if let Some((first, _)) = seen.iter().find(|(_, f)| *f == files) {
            return first.clone();
        }
        seen.push((name.to_string(), files));
        name.to_string()
    }
}

/// What makes two runs the same run.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Key {
    /// The first tree with the kernel's files ([`Trees::kernel_of`]).
    pub kernel: String,
    pub test: String,
    pub cpus: u32,
    pub attempt: u32,
}

/// A run made, for the runs that reuse it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Made {
    /// The tree that made it.
    pub tree: String,
    /// Its log.
    pub log: PathBuf,
    pub passed: bool,
    /// For a failure, what went wrong (indented lines).
    pub details: String,
}

/// A run that waits for another's verdict: its place in the report, its tree, its name in the
/// report and its log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Waiter {
    pub slot: usize,
    pub tree: String,
    pub name: String,
    pub log: PathBuf,
}

/// What to do with a run.
#[derive(Debug, PartialEq, Eq)]
pub enum Claim {
    /// Boot it: it is the first of its key.
    Boot,
    /// Its verdict is in: report it.
    Reuse(Made),
    /// The same run is under way; [`Verdicts::made`] hands this run over when it is done.
    Wait,
}

enum Entry {
    Running(Vec<Waiter>),
    Done(Made),
}

/// The runs of this suite, by key.
#[derive(Default)]
pub struct Verdicts {
    runs: Mutex<HashMap<Key, Entry>>,
}

impl Verdicts {
    /// Says what to do with the run `key` of `waiter`'s tree.
    pub fn claim(&self, key: Key, waiter: Waiter) -> Claim {
        let mut runs = self.runs.lock().unwrap_or_else(|p| p.into_inner());
        match runs.get_mut(&key) {
            None => {
                runs.insert(key, Entry::Running(Vec::new()));
                Claim::Boot
            }
            Some(Entry::Running(waiting)) => {
                waiting.push(waiter);
                Claim::Wait
            }
            Some(Entry::Done(made)) => Claim::Reuse(made.clone()),
        }
    }

    /// Records the verdict of the run `key`, which [`Verdicts::claim`] said to boot; returns the
    /// runs that were waiting for it.
    pub fn made(&self, key: Key, made: Made) -> Vec<Waiter> {
        let mut runs = self.runs.lock().unwrap_or_else(|p| p.into_inner());
        match runs.insert(key, Entry::Done(made)) {
            Some(Entry::Running(waiting)) => waiting,
            _ => Vec::new(),
        }
    }
}

/// The note on a reused run in the report: `verdict of chapter-08's run (same files)`.
pub fn note(made: &Made) -> String {
    format!(
        "verdict of {}'s run: the trees' files are the same",
        made.tree
    )
}

/// Writes the log of `waiter`'s run: a line saying whose run it is, then that run's log.
/// `shown` is how messages show the other log's path.
pub fn write_log(made: &Made, waiter: &Waiter, shown: &Path) -> io::Result<()> {
    let earlier = fs::read_to_string(&made.log).unwrap_or_default();
    if let Some(dir) = waiter.log.parent() {
        fs::create_dir_all(dir)?;
    }
    fs::write(
        &waiter.log,
        format!(
            "---- xtask: not booted again: {} has the same files as {}, whose run this is \
             ({})\n{earlier}",
            waiter.tree,
            made.tree,
            shown.display()
        ),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(kernel: &str, attempt: u32) -> Key {
        Key {
            kernel: kernel.into(),
            test: "hello".into(),
            cpus: 1,
            attempt,
        }
    }

    fn waiter(slot: usize, tree: &str) -> Waiter {
        Waiter {
            slot,
            tree: tree.into(),
            name: "hello [1 CPU]".into(),
            log: PathBuf::from(format!("/logs/{tree}/hello-1cpu.log")),
        }
    }

    fn made(tree: &str) -> Made {
        Made {
            tree: tree.into(),
            log: PathBuf::from(format!("/logs/{tree}/hello-1cpu.log")),
            passed: true,
            details: String::new(),
        }
    }

    #[test]
    fn trees_with_the_same_files_share_a_kernel() {
        let trees = Trees::default();
        let files = |text: &str| vec![("kernel/src/main.rs".to_string(), text.as_bytes().to_vec())];
        assert_eq!(trees.kernel_of("chapter-07", files("a")), "chapter-07");
        assert_eq!(trees.kernel_of("chapter-08", files("b")), "chapter-08");
        assert_eq!(trees.kernel_of("chapter-09", files("b")), "chapter-08");
        assert_eq!(trees.kernel_of("chapter-10", files("b")), "chapter-08");
        let renamed = vec![("kernel/src/lib.rs".to_string(), b"b".to_vec())];
        assert_eq!(trees.kernel_of("chapter-11", renamed), "chapter-11");
    }

    #[test]
    fn a_run_boots_once_and_every_other_gets_its_verdict() {
        let verdicts = Verdicts::default();
        assert_eq!(
            verdicts.claim(key("chapter-08", 1), waiter(3, "chapter-08")),
            Claim::Boot
        );
        // Another attempt or another kernel is another run.
        assert_eq!(
            verdicts.claim(key("chapter-08", 2), waiter(4, "chapter-08")),
            Claim::Boot
        );
        assert_eq!(
            verdicts.claim(key("chapter-07", 1), waiter(1, "chapter-07")),
            Claim::Boot
        );
        // While the first run is under way, the same run of an identical tree waits for it.
        assert_eq!(
            verdicts.claim(key("chapter-08", 1), waiter(9, "chapter-09")),
            Claim::Wait
        );
        let waiting = verdicts.made(key("chapter-08", 1), made("chapter-08"));
        assert_eq!(waiting, [waiter(9, "chapter-09")]);
        // Once it is done, the verdict comes at once.
        assert_eq!(
            verdicts.claim(key("chapter-08", 1), waiter(15, "chapter-10")),
            Claim::Reuse(made("chapter-08"))
        );
        assert!(
            verdicts
                .made(key("chapter-08", 2), made("chapter-08"))
                .is_empty()
        );
    }

    #[test]
    fn reads_a_tree_without_its_target_directory() {
        let root = std::env::temp_dir().join(format!("xtask-reuse-{}", std::process::id()));
        let _ = fs::remove_dir_all(&root);
        for (path, text) in [
            ("Cargo.toml", "[workspace]"),
            ("kernel/src/main.rs", "fn main() {}"),
            ("target/debug/kernel", "ELF"),
            ("kernel/target/kept", "not the top"),
        ] {
            let path = root.join(path);
            fs::create_dir_all(path.parent().unwrap()).unwrap();
            fs::write(path, text).unwrap();
        }
        let names: Vec<String> = tree_files(&root)
            .unwrap()
            .into_iter()
            .map(|f| f.0)
            .collect();
        assert_eq!(
            names,
            ["Cargo.toml", "kernel/src/main.rs", "kernel/target/kept"]
        );
        let (earlier, later) = (made("chapter-08"), waiter(0, "chapter-09"));
        let earlier = Made {
            log: root.join("a.log"),
            ..earlier
        };
        let later = Waiter {
            log: root.join("logs/b.log"),
            ..later
        };
        fs::write(&earlier.log, "hello, world\n").unwrap();
        write_log(
            &earlier,
            &later,
            Path::new("target/qemu-logs/chapter-08/hello-1cpu.log"),
        )
        .unwrap();
        assert_eq!(
            fs::read_to_string(&later.log).unwrap(),
            "---- xtask: not booted again: chapter-09 has the same files as chapter-08, whose \
             run this is (target/qemu-logs/chapter-08/hello-1cpu.log)\nhello, world\n"
        );
        assert_eq!(
            note(&earlier),
            "verdict of chapter-08's run: the trees' files are the same"
        );
        fs::remove_dir_all(&root).unwrap();
    }
}
