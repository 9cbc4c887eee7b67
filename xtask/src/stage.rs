//! The shared build of `cargo xtask test`: every tree is built from one staging directory into
//! one target directory, so that the crates the trees depend on (x86, spin, bitflags, ...) are
//! compiled once, not once per tree, and what two chapters have in common is not compiled again.
//!
//! Why a staging copy: cargo names a workspace's own crates by a hash that does not depend on
//! where the workspace is, so `kernel` of chapter 2 and `kernel` of chapter 3 are the *same*
//! unit to cargo, and whether it is up to date is judged by file times alone. Built from their
//! own directories into one target directory, chapter 3 would pass for built once chapter 2 was
//! (its files being older than chapter 2's build) and be tested with chapter 2's kernel. Copying
//! a tree into the staging directory rewrites exactly the files whose text differs from what is
//! there, which gives them new times, and removes the files the tree does not have: cargo then
//! sees what changed, as if someone had edited one workspace from one chapter into the next.
//!
//! Only one tree can be staged at a time, so a [`Stage`] lock (a file lock, which also keeps
//! other xtask processes out) is held from copying the tree in until its kernel has been copied
//! out to a place of its own ([`Staged::keep_kernel`]).

use std::fs::{self, File};
use std::io;
use std::path::{Path, PathBuf};

use anyhow::Context;

use crate::repo::Repo;
use crate::tree::Tree;

/// The staging directory, the shared target directory and the kept kernels.
#[derive(Debug, Clone)]
pub struct Stage {
    /// Where a tree is copied to be built.
    pub src: PathBuf,
    /// The target directory of every staged build.
    pub target_dir: PathBuf,
    /// `<kernels>/<tree>/kernel`: each tree's kernel, copied out of the shared target directory.
    pub kernels: PathBuf,
    lock: PathBuf,
}

impl Stage {
    /// The stage under `target/trees/`.
    pub fn new(repo: &Repo) -> Stage {
        let base = repo.target().join("trees");
        Stage {
            src: base.join("src"),
            target_dir: base.join("build"),
            kernels: base.join("kernels"),
            lock: base.join("lock"),
        }
    }

    /// `tree` as it is built in the stage: from the staging directory into the shared target
    /// directory, under its own name.
    pub fn staged(&self, tree: &Tree) -> Tree {
        Tree {
            dir: self.src.clone(),
            target_dir: self.target_dir.clone(),
            ..tree.clone()
        }
    }

    /// Waits until no other tree is staged (by this process or another), then copies `tree` in.
    pub fn enter(&self, tree: &Tree) -> anyhow::Result<Staged> {
        fs::create_dir_all(&self.src)
            .with_context(|| format!("cannot create {}", self.src.display()))?;
        let lock = File::create(&self.lock)
            .with_context(|| format!("cannot create {}", self.lock.display()))?;
        let locked = match lock.try_lock() {
            Ok(()) => Ok(()),
            Err(fs::TryLockError::WouldBlock) => {
                eprintln!(
                    "note: another cargo xtask is building in {}; waiting for it",
                    self.src.display()
                );
                lock.lock()
            }
            Err(fs::TryLockError::Error(e)) => Err(e),
        };
        locked.with_context(|| format!("cannot lock {}", self.lock.display()))?;
        sync(&tree.dir, &self.src).with_context(|| {
            format!(
                "cannot copy {} to {}",
                tree.dir.display(),
                self.src.display()
            )
        })?;
        Ok(Staged {
            tree: self.staged(tree),
            kernel: self.kernels.join(&tree.name).join("kernel"),
            original: tree.dir.clone(),
            _lock: lock,
        })
    }
}

/// A tree copied into the stage; the stage is its until this is dropped.
pub struct Staged {
    /// The tree as staged: its directory is the staging directory, its target directory the
    /// shared one, its name the real tree's.
    pub tree: Tree,
    /// Where [`Staged::keep_kernel`] puts the kernel.
    kernel: PathBuf,
    /// The real tree's directory, for messages.
    original: PathBuf,
    _lock: File,
}

impl Staged {
    /// Copies the kernel ELF that `cargo build` left in the shared target directory to a place of
    /// the tree's own (replacing what is there in one step, so that a QEMU already reading the
    /// old copy is not disturbed) and returns that place.
    pub fn keep_kernel(&self) -> anyhow::Result<PathBuf> {
        let built = self.tree.kernel_elf(false);
        let dir = self.kernel.parent().unwrap_or(Path::new("."));
        fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
        let partial = dir.join("kernel.partial");
        fs::copy(&built, &partial).with_context(|| format!("cannot copy {}", built.display()))?;
        fs::rename(&partial, &self.kernel)
            .with_context(|| format!("cannot write {}", self.kernel.display()))?;
        Ok(self.kernel.clone())
    }

    /// `output` of a command run in the stage, with the staging directory's path replaced by the
    /// real tree's, so that messages name the files one would edit.
    pub fn unstage(&self, output: &str) -> String {
        let staged = self.tree.dir.to_string_lossy();
        output.replace(staged.as_ref(), &self.original.to_string_lossy())
    }
}

/// Makes `dst` hold exactly the files of `src` (but for a `target` directory at its top): a file
/// is written only when its contents differ, and what `src` lacks is removed.
pub fn sync(src: &Path, dst: &Path) -> io::Result<()> {
    fs::create_dir_all(dst)?;
    sync_dir(src, dst, true)
}

fn sync_dir(src: &Path, dst: &Path, top: bool) -> io::Result<()> {
    let mut wanted = Vec::new();
    for entry in fs::read_dir(src)? {
        let entry = entry?;
        let name = entry.file_name();
        if top && name == "target" {
            continue;
        }
        let from = entry.path();
        let to = dst.join(&name);
        // Follows symbolic links: the stage holds what they point to.
        if fs::metadata(&from)?.is_dir() {
            if fs::symlink_metadata(&to).is_ok_and(|m| !m.is_dir()) {
                fs::remove_file(&to)?;
            }
            fs::create_dir_all(&to)?;
            sync_dir(&from, &to, false)?;
        } else {
            let text = fs::read(&from)?;
            match fs::symlink_metadata(&to) {
                Ok(m) if m.is_dir() => fs::remove_dir_all(&to)?,
                Ok(m) if m.is_file() && fs::read(&to)? == text => {
                    wanted.push(name);
                    continue;
                }
                // A new file rather than a rewrite: the old one may be read-only.
                Ok(_) => fs::remove_file(&to)?,
                Err(_) => {}
            }
            fs::write(&to, text)?;
            fs::set_permissions(&to, fs::metadata(&from)?.permissions())?;
        }
        wanted.push(name);
    }
    for entry in fs::read_dir(dst)? {
        let entry = entry?;
        if wanted.contains(&entry.file_name()) {
            continue;
        }
        if entry.file_type()?.is_dir() {
            fs::remove_dir_all(entry.path())?;
        } else {
            fs::remove_file(entry.path())?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tree::KERNEL_TARGET;
    use std::time::{Duration, SystemTime};

    /// The path of the kernel that `cargo build` leaves in `target_dir`.
    fn built_kernel(target_dir: &Path) -> PathBuf {
        target_dir.join(KERNEL_TARGET).join("debug").join("kernel")
    }

    /// A fresh directory under the system's temporary directory.
    fn scratch(name: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!("xtask-stage-{}-{name}", std::process::id()));
        let _ = fs::remove_dir_all(&dir);
        fs::create_dir_all(&dir).unwrap();
        dir
    }

    fn write(path: &Path, text: &str) {
        fs::create_dir_all(path.parent().unwrap()).unwrap();
        fs::write(path, text).unwrap();
    }

    fn mtime(path: &Path) -> SystemTime {
        fs::metadata(path).unwrap().modified().unwrap()
    }

    #[test]
    fn sync_rewrites_only_what_differs_and_removes_the_rest() {
        let root = scratch("sync");
        let (a, b, stage) = (root.join("a"), root.join("b"), root.join("stage"));
        write(&a.join("Cargo.toml"), "[workspace]");
        write(&a.join("kernel/src/main.rs"), "fn main() {}");
        write(&a.join("kernel/src/gone.rs"), "// only in a");
        write(&a.join("target/debug/kernel"), "build output");
        write(&b.join("Cargo.toml"), "[workspace]");
        write(&b.join("kernel/src/main.rs"), "fn main() { changed() }");
        write(&b.join("user/src/lib.rs"), "// only in b");

        sync(&a, &stage).unwrap();
        assert_eq!(
            fs::read_to_string(stage.join("kernel/src/gone.rs")).unwrap(),
            "// only in a"
        );
        assert!(!stage.join("target").exists());
        // Make the staged files look old, as after a build.
        let old = SystemTime::now() - Duration::from_secs(3600);
        for file in ["Cargo.toml", "kernel/src/main.rs"] {
            File::options()
                .write(true)
                .open(stage.join(file))
                .unwrap()
                .set_modified(old)
                .unwrap();
        }

        sync(&b, &stage).unwrap();
        assert_eq!(
            mtime(&stage.join("Cargo.toml")),
            old,
            "unchanged files keep their time"
        );
        assert!(mtime(&stage.join("kernel/src/main.rs")) > old);
        assert_eq!(
            fs::read_to_string(stage.join("kernel/src/main.rs")).unwrap(),
            "fn main() { changed() }"
        );
        assert!(!stage.join("kernel/src/gone.rs").exists());
        assert!(stage.join("user/src/lib.rs").is_file());
        fs::remove_dir_all(&root).unwrap();
    }

    #[test]
    fn a_staged_tree_builds_in_the_stage_and_keeps_its_kernel_apart() {
        let root = scratch("enter");
        let repo = Repo { root: root.clone() };
        let stage = Stage::new(&repo);
        let real = root.join("chapters/chapter-03");
        write(&real.join("Cargo.toml"), "[workspace]");
        let tree = Tree {
            name: "chapter-03".into(),
            dir: real.clone(),
            chapter: Some(3),
            target_dir: root.join("target/chapter-03"),
            default_prog: "hello".into(),
        };
        let staged = stage.enter(&tree).unwrap();
        assert_eq!(staged.tree.dir, stage.src);
        assert_eq!(staged.tree.target_dir, stage.target_dir);
        assert_eq!(staged.tree.name, "chapter-03");
        assert!(stage.src.join("Cargo.toml").is_file());
        write(&built_kernel(&stage.target_dir), "ELF of chapter 3");
        let kept = staged.keep_kernel().unwrap();
        assert_eq!(kept, root.join("target/trees/kernels/chapter-03/kernel"));
        assert_eq!(fs::read_to_string(&kept).unwrap(), "ELF of chapter 3");
        let message = format!("error: in {}/kernel/src/main.rs", stage.src.display());
        assert_eq!(
            staged.unstage(&message),
            format!("error: in {}/kernel/src/main.rs", real.display())
        );
        drop(staged);
        // The lock is free again.
        drop(stage.enter(&tree).unwrap());
        fs::remove_dir_all(&root).unwrap();
    }
}
