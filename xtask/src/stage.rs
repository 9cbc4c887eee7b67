//! The shared build of `cargo xtask test`: every tree is built into one target directory, so that
//! the crates the trees depend on (x86, spin, bitflags, trybuild, ...) are compiled once, not
//! once per tree, while each tree keeps builds of its own crates that stay fresh from one run of
//! the suite to the next.
//!
//! The catch: cargo names a workspace's own crates by a hash that does not depend on where the
//! workspace is, so `kernel` of chapter 2 and `kernel` of chapter 3 would be the *same* unit to
//! cargo in one target directory, judged up to date by file times alone: chapter 3 would pass for
//! built once chapter 2 was (its files being older than chapter 2's build) and be tested with
//! chapter 2's kernel. So each tree's own crates are given an identity of their own, by two
//! things cargo puts into the hash of a workspace member's units and nowhere else:
//!
//! - builds and tests run with `RUSTC_WORKSPACE_WRAPPER` set to a wrapper of the tree's own
//!   (`<wrappers>/<tree>/rustc-wrapper`, which only runs the compiler: `exec "$@"`), so the
//!   kernel is compiled exactly as `cargo build` compiles it;
//! - clippy, which sets that variable itself (to clippy-driver), gets a `codegen-units` of the
//!   tree's own for each of the tree's packages (`--config profile.dev.package.NAME...`), which
//!   changes nothing in a check, where no code is generated.
//!
//! Dependencies from crates.io are no workspace members: those units stay shared. Everything
//! builds in the tree's own directory, so messages name the files one would edit.
//!
//! One `debug/kernel` file is shared by every tree (cargo copies the last kernel built there), so
//! a [`Stage`] lock (a file lock, which also keeps other xtask processes out) is held from a
//! tree's first cargo command until its kernel has been copied out to a place of its own
//! ([`Staged::keep_kernel`]).

use std::fs::{self, File};
use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::Context;

use crate::cargo;
use crate::repo::Repo;
use crate::tree::Tree;

/// The shared target directory, the wrappers and the kept kernels.
#[derive(Debug, Clone)]
pub struct Stage {
    /// The target directory of every tree's build.
    pub target_dir: PathBuf,
    /// `<kernels>/<tree>/kernel`: each tree's kernel, copied out of the shared target directory.
    pub kernels: PathBuf,
    /// `<wrappers>/<tree>/rustc-wrapper`.
    wrappers: PathBuf,
    lock: PathBuf,
}

/// The text of a tree's compiler wrapper: it runs the compiler it is given, as given.
const WRAPPER: &str = "#!/bin/sh\n# cargo xtask test: gives one tree's crates units of their own in the shared target\n\
                       # directory (see xtask/src/stage.rs); it only runs the compiler.\nexec \"$@\"\n";

impl Stage {
    /// The stage under `target/trees/`.
    pub fn new(repo: &Repo) -> Stage {
        let base = repo.target().join("trees");
        Stage {
            target_dir: base.join("build"),
            kernels: base.join("kernels"),
            wrappers: base.join("wrappers"),
            lock: base.join("lock"),
        }
    }

    /// `tree` as the stage builds it: in its own directory, into the shared target directory.
    pub fn staged(&self, tree: &Tree) -> Tree {
        Tree {
            target_dir: self.target_dir.clone(),
            ..tree.clone()
        }
    }

    /// The compiler wrapper that marks `tree`'s units as its own.
    fn wrapper(&self, tree: &Tree) -> PathBuf {
        self.wrappers.join(&tree.name).join("rustc-wrapper")
    }

    /// `cargo ARGS` (a build or a test) in `tree`, into the shared target directory, with the
    /// tree's crates as units of their own.
    pub fn cargo(&self, tree: &Tree, args: &[&str]) -> Command {
        let mut cmd = cargo::in_tree(&self.staged(tree), args);
        if cfg!(unix) {
            cmd.env("RUSTC_WORKSPACE_WRAPPER", self.wrapper(tree));
        } else {
            // No shell for the wrapper: a target directory of the tree's own instead.
            cmd.env("CARGO_TARGET_DIR", self.target_dir.join(&tree.name));
        }
        cmd
    }

    /// `cargo clippy ARGS` in `tree`, into the shared target directory, with the tree's packages
    /// (`packages`) in units of their own: a `codegen-units` of the tree's own for each.
    /// `args` are clippy's arguments after `clippy` (those after `--` included).
    pub fn clippy(&self, tree: &Tree, packages: &[String], args: &[&str]) -> Command {
        let mut all = vec!["clippy".to_string()];
        let units = codegen_units(tree);
        for package in packages {
            all.push("--config".to_string());
            all.push(format!(
                "profile.dev.package.{}.codegen-units={units}",
                toml_key(package)
            ));
        }
        all.extend(args.iter().map(|a| a.to_string()));
        let all: Vec<&str> = all.iter().map(String::as_str).collect();
        let mut cmd = cargo::in_tree(&self.staged(tree), &all);
        cmd.env_remove("RUSTC_WORKSPACE_WRAPPER");
        cmd
    }

    /// Whether `cmd` builds into the shared target directory (and so needs the stage).
    pub fn builds_here(&self, cmd: &Command) -> bool {
        cmd.get_envs().any(|(k, v)| {
            k == "CARGO_TARGET_DIR" && v.is_some_and(|v| Path::new(v).starts_with(&self.target_dir))
        })
    }

    /// Waits until no other tree is staged (by this process or another), then readies `tree`'s
    /// compiler wrapper.
    pub fn enter(&self, tree: &Tree) -> anyhow::Result<Staged> {
        let base = self.lock.parent().unwrap_or(Path::new("."));
        fs::create_dir_all(base).with_context(|| format!("cannot create {}", base.display()))?;
        let lock = File::create(&self.lock)
            .with_context(|| format!("cannot create {}", self.lock.display()))?;
        let locked = match lock.try_lock() {
            Ok(()) => Ok(()),
            Err(fs::TryLockError::WouldBlock) => {
                eprintln!(
                    "note: another cargo xtask is building in {}; waiting for it",
                    self.target_dir.display()
                );
                lock.lock()
            }
            Err(fs::TryLockError::Error(e)) => Err(e),
        };
        locked.with_context(|| format!("cannot lock {}", self.lock.display()))?;
        let wrapper = self.wrapper(tree);
        write_wrapper(&wrapper).with_context(|| format!("cannot write {}", wrapper.display()))?;
        Ok(Staged {
            tree: self.staged(tree),
            stage: self.clone(),
            kernel: self.kernels.join(&tree.name).join("kernel"),
            _lock: lock,
        })
    }
}

/// Writes the wrapper script at `path` unless it is already there as it should be (rewriting it
/// would make cargo rebuild nothing, but costs a write).
fn write_wrapper(path: &Path) -> std::io::Result<()> {
    if fs::read_to_string(path).is_ok_and(|text| text == WRAPPER) {
        return Ok(());
    }
    if let Some(dir) = path.parent() {
        fs::create_dir_all(dir)?;
    }
    fs::write(path, WRAPPER)?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        fs::set_permissions(path, fs::Permissions::from_mode(0o755))?;
    }
    Ok(())
}

/// The `codegen-units` that marks `tree`'s units for clippy: 1000 plus the chapter number, 999
/// for `kernel-final`, 2000 plus the chapter number for a chapter's exercise tree
/// ([`crate::exercises`]). Any value would do, as long as no two trees share one.
pub fn codegen_units(tree: &Tree) -> u32 {
    let base = if crate::exercises::is_exercise(tree) {
        2000
    } else {
        1000
    };
    tree.chapter.map_or(999, |n| base + n)
}

/// `name` as a key in a dotted `--config` path: quoted unless it is a bare key.
fn toml_key(name: &str) -> String {
    let bare = !name.is_empty()
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
    if bare {
        name.to_string()
    } else {
        format!("\"{}\"", name.replace('\\', "\\\\").replace('"', "\\\""))
    }
}

/// The names of the packages of the workspace at `dir`: its root package, if it has one, and
/// each member's (`members` entries are directories, or `dir/*` for every directory in `dir`).
pub fn workspace_packages(dir: &Path) -> anyhow::Result<Vec<String>> {
    let manifest = |dir: &Path| -> anyhow::Result<toml::Table> {
        let path = dir.join("Cargo.toml");
        let text =
            fs::read_to_string(&path).with_context(|| format!("cannot read {}", path.display()))?;
        text.parse()
            .with_context(|| format!("{} is not valid TOML", path.display()))
    };
    let package_name = |table: &toml::Table| -> Option<String> {
        table
            .get("package")?
            .get("name")?
            .as_str()
            .map(str::to_string)
    };
    let root = manifest(dir)?;
    let mut names: Vec<String> = package_name(&root).into_iter().collect();
    let members = root
        .get("workspace")
        .and_then(|w| w.get("members"))
        .and_then(|m| m.as_array())
        .cloned()
        .unwrap_or_default();
    for member in members.iter().filter_map(|m| m.as_str()) {
        let dirs = match member.strip_suffix("/*") {
            Some(parent) => {
                let parent = dir.join(parent);
                let mut found: Vec<PathBuf> = fs::read_dir(&parent)
                    .with_context(|| format!("cannot list {}", parent.display()))?
                    .flatten()
                    .map(|e| e.path())
                    .filter(|p| p.join("Cargo.toml").is_file())
                    .collect();
                found.sort();
                found
            }
            None => vec![dir.join(member)],
        };
        for member_dir in dirs {
            if let Some(name) = package_name(&manifest(&member_dir)?) {
                names.push(name);
            }
        }
    }
    Ok(names)
}

/// A tree in the stage; the stage is its until this is dropped.
pub struct Staged {
    /// The tree as staged: its own directory, the shared target directory.
    pub tree: Tree,
    stage: Stage,
    /// Where [`Staged::keep_kernel`] puts the kernel.
    kernel: PathBuf,
    _lock: File,
}

impl Staged {
    /// `cargo ARGS` for the staged tree (see [`Stage::cargo`]).
    pub fn cargo(&self, args: &[&str]) -> Command {
        self.stage.cargo(&self.tree, args)
    }

    /// Copies the kernel ELF that `cargo build` left in the shared target directory to a place of
    /// the tree's own (replacing what is there in one step, so that a QEMU already reading the
    /// old copy is not disturbed) and returns that place.
    pub fn keep_kernel(&self) -> anyhow::Result<PathBuf> {
        let built = self.built_kernel();
        let dir = self.kernel.parent().unwrap_or(Path::new("."));
        fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
        let partial = dir.join("kernel.partial");
        fs::copy(&built, &partial).with_context(|| format!("cannot copy {}", built.display()))?;
        fs::rename(&partial, &self.kernel)
            .with_context(|| format!("cannot write {}", self.kernel.display()))?;
        Ok(self.kernel.clone())
    }

    /// Where `cargo build` leaves the kernel ELF.
    pub fn built_kernel(&self) -> PathBuf {
        let cmd = self.cargo(&[]);
        let target_dir = cmd
            .get_envs()
            .filter(|(k, _)| *k == "CARGO_TARGET_DIR")
            .filter_map(|(_, v)| v)
            .last()
            .map(PathBuf::from)
            .unwrap_or_else(|| self.tree.target_dir.clone());
        Tree {
            target_dir,
            ..self.tree.clone()
        }
        .kernel_elf(false)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tree::KERNEL_TARGET;

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

    fn tree(root: &Path, chapter: Option<u32>) -> Tree {
        let name = chapter.map_or("kernel-final".to_string(), |n| format!("chapter-{n:02}"));
        Tree {
            dir: root.join("chapters").join(&name),
            target_dir: root.join("target").join(&name),
            name,
            chapter,
            default_prog: "hello".into(),
        }
    }

    fn env<'a>(cmd: &'a Command, key: &str) -> Option<&'a std::ffi::OsStr> {
        cmd.get_envs().find(|(k, _)| *k == key).and_then(|(_, v)| v)
    }

    #[cfg(unix)]
    #[test]
    fn each_tree_builds_in_its_own_directory_with_a_wrapper_of_its_own() {
        let root = PathBuf::from("/r");
        let stage = Stage::new(&Repo { root: root.clone() });
        let (a, b) = (tree(&root, Some(2)), tree(&root, Some(3)));
        let (ca, cb) = (stage.cargo(&a, &["build"]), stage.cargo(&b, &["build"]));
        assert_eq!(ca.get_current_dir(), Some(a.dir.as_path()));
        assert_eq!(
            env(&ca, "CARGO_TARGET_DIR"),
            Some(Path::new("/r/target/trees/build").as_os_str())
        );
        assert_eq!(env(&ca, "CARGO_TARGET_DIR"), env(&cb, "CARGO_TARGET_DIR"));
        assert_eq!(
            env(&ca, "RUSTC_WORKSPACE_WRAPPER"),
            Some(Path::new("/r/target/trees/wrappers/chapter-02/rustc-wrapper").as_os_str())
        );
        assert_ne!(
            env(&ca, "RUSTC_WORKSPACE_WRAPPER"),
            env(&cb, "RUSTC_WORKSPACE_WRAPPER")
        );
        assert!(stage.builds_here(&ca));
        assert!(!stage.builds_here(&cargo::in_tree(&a, &["fmt"])));
    }

    #[test]
    fn clippy_tells_trees_apart_by_codegen_units() {
        let root = PathBuf::from("/r");
        let stage = Stage::new(&Repo { root: root.clone() });
        let packages = vec!["abi".to_string(), "host-tests".to_string()];
        let cmd = stage.clippy(&tree(&root, Some(7)), &packages, &["--", "-D", "warnings"]);
        let args: Vec<_> = cmd.get_args().map(|a| a.to_str().unwrap()).collect();
        assert_eq!(
            args,
            [
                "clippy",
                "--config",
                "profile.dev.package.abi.codegen-units=1007",
                "--config",
                "profile.dev.package.host-tests.codegen-units=1007",
                "--",
                "-D",
                "warnings"
            ]
        );
        assert!(stage.builds_here(&cmd));
        // clippy-driver is clippy's wrapper: ours must not get in its way.
        assert!(
            cmd.get_envs()
                .any(|(k, v)| k == "RUSTC_WORKSPACE_WRAPPER" && v.is_none())
        );
        let units: Vec<u32> = [None, Some(0), Some(1), Some(9)]
            .into_iter()
            .map(|c| codegen_units(&tree(&root, c)))
            .collect();
        assert_eq!(units, [999, 1000, 1001, 1009]);
        let exercise = Tree {
            name: crate::exercises::tree_name(9),
            ..tree(&root, Some(9))
        };
        assert_eq!(codegen_units(&exercise), 2009);
        assert_eq!(toml_key("a.b"), "\"a.b\"");
    }

    #[test]
    fn finds_the_packages_of_a_workspace() {
        let root = scratch("members");
        write(
            &root.join("Cargo.toml"),
            "[workspace]\nmembers = [\"abi\", \"kernel\", \"tools/*\"]\n",
        );
        write(&root.join("abi/Cargo.toml"), "[package]\nname = \"abi\"\n");
        write(
            &root.join("kernel/Cargo.toml"),
            "[package]\nname = \"kernel\"\n",
        );
        write(
            &root.join("tools/b/Cargo.toml"),
            "[package]\nname = \"tool-b\"\n",
        );
        write(
            &root.join("tools/a/Cargo.toml"),
            "[package]\nname = \"tool-a\"\n",
        );
        write(&root.join("tools/notes/README"), "no package");
        assert_eq!(
            workspace_packages(&root).unwrap(),
            ["abi", "kernel", "tool-a", "tool-b"]
        );
        write(&root.join("Cargo.toml"), "[package]\nname = \"solo\"\n");
        assert_eq!(workspace_packages(&root).unwrap(), ["solo"]);
        fs::remove_dir_all(&root).unwrap();
    }

    #[test]
    fn the_repository_trees_list_their_packages() {
        let repo = Repo::locate();
        let packages = workspace_packages(&repo.root.join("kernel-final")).unwrap();
        for name in ["abi", "kernel", "user", "host-tests"] {
            assert!(packages.iter().any(|p| p == name), "{packages:?}");
        }
    }

    #[test]
    fn a_staged_tree_keeps_its_kernel_apart_and_its_wrapper_ready() {
        let root = scratch("enter");
        let repo = Repo { root: root.clone() };
        let stage = Stage::new(&repo);
        let tree = tree(&root, Some(3));
        write(&tree.dir.join("Cargo.toml"), "[workspace]");
        let staged = stage.enter(&tree).unwrap();
        assert_eq!(staged.tree.dir, tree.dir);
        assert_eq!(staged.tree.target_dir, stage.target_dir);
        assert_eq!(staged.tree.name, "chapter-03");
        let wrapper = stage.wrapper(&tree);
        assert_eq!(fs::read_to_string(&wrapper).unwrap(), WRAPPER);
        let built = staged.built_kernel();
        #[cfg(unix)]
        assert_eq!(
            built,
            stage.target_dir.join(KERNEL_TARGET).join("debug/kernel")
        );
        write(&built, "ELF of chapter 3");
        let kept = staged.keep_kernel().unwrap();
        assert_eq!(kept, root.join("target/trees/kernels/chapter-03/kernel"));
        assert_eq!(fs::read_to_string(&kept).unwrap(), "ELF of chapter 3");
        drop(staged);
        // The lock is free again.
        drop(stage.enter(&tree).unwrap());
        fs::remove_dir_all(&root).unwrap();
    }

    #[cfg(unix)]
    #[test]
    fn the_wrapper_runs_the_compiler_as_given() {
        let root = scratch("wrapper");
        let path = root.join("w/rustc-wrapper");
        write_wrapper(&path).unwrap();
        let out = Command::new(&path)
            .args(["sh", "-c", "echo \"$0 $1\"", "a b", "c"])
            .output()
            .unwrap();
        assert!(out.status.success());
        assert_eq!(String::from_utf8_lossy(&out.stdout), "a b c\n");
        fs::remove_dir_all(&root).unwrap();
    }
}
