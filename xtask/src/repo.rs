//! Where things are in the repository. Every path is computed from the repository root, which is
//! the parent of this crate's directory, so the repository can live anywhere.

use std::path::{Path, PathBuf};

use anyhow::Context;

use crate::chapter_list::{self, Chapter};

/// The repository checkout xtask was built from.
#[derive(Debug, Clone)]
pub struct Repo {
    pub root: PathBuf,
}

impl Repo {
    /// The repository that contains this xtask crate.
    pub fn locate() -> Repo {
        let manifest_dir = Path::new(env!("CARGO_MANIFEST_DIR"));
        let root = manifest_dir.parent().unwrap_or(manifest_dir);
        Repo {
            root: root.to_path_buf(),
        }
    }

    /// The chapters listed in `chapters.toml`.
    pub fn chapters(&self) -> anyhow::Result<Vec<Chapter>> {
        let path = self.root.join("chapters.toml");
        let text = std::fs::read_to_string(&path)
            .with_context(|| format!("cannot read {}", path.display()))?;
        chapter_list::parse(&text)
    }

    /// `target/`, holding the target directories of the kernel trees (one per tree for `run`
    /// and `grade`, the shared stage `trees/` for `test`) and the QEMU logs.
    pub fn target(&self) -> PathBuf {
        self.root.join("target")
    }

    /// The directory of the QEMU test specifications.
    pub fn qemu_tests(&self) -> PathBuf {
        self.root.join("tests").join("qemu")
    }

    /// Where the QEMU runs of the tree `tree_name` leave their output.
    pub fn qemu_logs(&self, tree_name: &str) -> PathBuf {
        self.target().join("qemu-logs").join(tree_name)
    }

    /// `path` relative to the repository root when it lies inside it, for shorter messages.
    pub fn display<'a>(&self, path: &'a Path) -> &'a Path {
        path.strip_prefix(&self.root).unwrap_or(path)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_root_holds_the_chapter_list_and_this_crate() {
        let repo = Repo::locate();
        assert!(repo.root.join("xtask").join("Cargo.toml").is_file());
        assert!(repo.root.join("chapters.toml").is_file());
        assert!(!repo.chapters().unwrap().is_empty());
    }

    #[test]
    fn paths_are_shown_relative_to_the_root() {
        let repo = Repo {
            root: PathBuf::from("/src/smpbook"),
        };
        let log = repo.qemu_logs("chapter-00").join("hello-1cpu.log");
        assert_eq!(
            repo.display(&log),
            Path::new("target/qemu-logs/chapter-00/hello-1cpu.log")
        );
        assert_eq!(
            repo.display(Path::new("/elsewhere")),
            Path::new("/elsewhere")
        );
    }
}
