//! Running cargo: in the root workspace, or inside a kernel tree (from the tree's directory, so
//! cargo finds the tree's `.cargo/config.toml`, with the tree's own target directory).

use std::io::IsTerminal;
use std::path::PathBuf;
use std::process::Command;

use anyhow::{Context, bail};

use crate::repo::Repo;
use crate::tree::Tree;

/// `cargo ARGS` in the root workspace.
pub fn in_root(repo: &Repo, args: &[&str]) -> Command {
    let mut cmd = cargo();
    cmd.args(args).current_dir(&repo.root);
    cmd
}

/// `cargo ARGS` in `tree`, building into the tree's target directory.
pub fn in_tree(tree: &Tree, args: &[&str]) -> Command {
    let mut cmd = cargo();
    cmd.args(args)
        .current_dir(&tree.dir)
        .env("CARGO_TARGET_DIR", &tree.target_dir);
    cmd
}

/// Cargo, in colour exactly when our own output goes to a terminal: its output is often captured
/// and shown later, and a capture is no terminal.
fn cargo() -> Command {
    let mut cmd = Command::new("cargo");
    if std::env::var_os("CARGO_TERM_COLOR").is_none() {
        cmd.env("CARGO_TERM_COLOR", color());
    }
    cmd
}

/// `always` when standard output is a terminal, else `never`: the value of `--color` options.
pub fn color() -> &'static str {
    if std::io::stdout().is_terminal() {
        "always"
    } else {
        "never"
    }
}

/// The arguments that build a tree's kernel (and, through its build script, its programs).
pub fn build_args(release: bool) -> Vec<&'static str> {
    if release {
        vec!["build", "--release"]
    } else {
        vec!["build"]
    }
}

/// Builds `tree`'s kernel, as `cargo xtask run` and the commands that boot one do, and returns
/// the kernel's ELF.
pub fn build_kernel(tree: &Tree, release: bool) -> anyhow::Result<PathBuf> {
    let status = in_tree(tree, &build_args(release))
        .status()
        .context("cannot run cargo")?;
    if !status.success() {
        bail!("building {} failed", tree.name);
    }
    let kernel = tree.kernel_elf(release);
    if !kernel.is_file() {
        bail!("the build left no kernel at {}", kernel.display());
    }
    Ok(kernel)
}

/// The host's target triple, from `rustc -vV`.
pub fn host_triple() -> anyhow::Result<String> {
    let output = Command::new("rustc")
        .arg("-vV")
        .output()
        .context("cannot run `rustc -vV`")?;
    if !output.status.success() {
        bail!(
            "`rustc -vV` failed: {}",
            String::from_utf8_lossy(&output.stderr).trim()
        );
    }
    let text = String::from_utf8_lossy(&output.stdout);
    match parse_host(&text) {
        Some(host) => Ok(host.to_string()),
        None => bail!("`rustc -vV` printed no `host:` line"),
    }
}

/// The value of the `host:` line of `rustc -vV`'s output.
fn parse_host(text: &str) -> Option<&str> {
    text.lines()
        .find_map(|line| line.strip_prefix("host:"))
        .map(str::trim)
        .filter(|host| !host.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_host_line() {
        let text = "rustc 1.95.0 (59807616e 2026-04-14)\nbinary: rustc\n\
                    host: x86_64-unknown-linux-gnu\nrelease: 1.95.0\n";
        assert_eq!(parse_host(text), Some("x86_64-unknown-linux-gnu"));
        assert_eq!(parse_host("rustc 1.95.0\n"), None);
    }

    #[test]
    fn the_host_triple_is_known() {
        assert!(!host_triple().unwrap().is_empty());
    }

    #[test]
    fn tree_builds_go_to_the_tree_target_directory() {
        let tree = Tree {
            name: "chapter-00".into(),
            dir: "/r/chapters/chapter-00".into(),
            chapter: Some(0),
            target_dir: "/r/target/chapter-00".into(),
            default_prog: "hello".into(),
        };
        let cmd = in_tree(&tree, &build_args(true));
        let args: Vec<_> = cmd.get_args().collect();
        assert_eq!(args, ["build", "--release"]);
        assert_eq!(cmd.get_current_dir(), Some(tree.dir.as_path()));
        let target = cmd.get_envs().find(|(k, _)| *k == "CARGO_TARGET_DIR");
        assert_eq!(
            target.and_then(|(_, v)| v),
            Some(tree.target_dir.as_os_str())
        );
    }
}
