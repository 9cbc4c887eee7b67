//! `cargo xtask run chapter-NN [--prog NAME]... [--cpus N] [--release] [--gdb] [-- QEMU-ARGS]`:
//! builds a tree and boots its kernel under QEMU with the output on the terminal, then turns
//! QEMU's exit status into ours (0 when the kernel finished cleanly, 1 otherwise).

use std::process::{Command, ExitCode};

use anyhow::{Context, bail};

use crate::args::{self, Args};
use crate::cargo;
use crate::error::user_error;
use crate::qemu::{self, Boot};
use crate::repo::Repo;
use crate::tree;

pub fn main(repo: &Repo, mut args: Args) -> anyhow::Result<ExitCode> {
    let progs: Vec<String> = args
        .values("prog")?
        .iter()
        .flat_map(|p| p.split_whitespace().map(str::to_string))
        .collect();
    let cpus = match args.value("cpus")? {
        Some(value) => args::positive("cpus", &value)?,
        None => 1,
    };
    let release = args.flag("release");
    let gdb = args.flag("gdb");
    let extra = args.passthrough().to_vec();
    let positionals = args.positionals(1)?;

    // Everything that can be wrong with the request is checked before the (slow) build.
    let chapters = repo.chapters()?;
    let Some(chapter) = positionals.first() else {
        return Err(user_error(format!(
            "which chapter? the chapters are {} (usage: cargo xtask run chapter-NN)",
            tree::available(repo, &chapters).join(", ")
        )));
    };
    let tree = tree::resolve(repo, &chapters, chapter)?;
    let progs = if progs.is_empty() {
        vec![tree.default_prog.clone()]
    } else {
        progs
    };
    tree.check_programs(&progs)?;
    let qemu = qemu::find()?;

    let status = cargo::in_tree(&tree, &cargo::build_args(release))
        .status()
        .context("cannot run cargo")?;
    if !status.success() {
        bail!("building {} failed", tree.name);
    }
    let kernel = tree.kernel_elf(release);
    if !kernel.is_file() {
        bail!("the build left no kernel at {}", kernel.display());
    }

    let boot = Boot {
        kernel: &kernel,
        progs: &progs,
        cpus,
        gdb,
        extra: &extra,
    };
    eprintln!("booting {}: {}", tree.name, qemu::command_line(&boot));
    if gdb {
        eprintln!("QEMU waits for a debugger; attach from another terminal with:");
        eprintln!("{}", qemu::gdb_command(&kernel));
    }
    let status = Command::new(&qemu)
        .args(qemu::args(&boot))
        .status()
        .with_context(|| format!("cannot run {}", qemu.display()))?;
    Ok(match status.code() {
        Some(qemu::CLEAN) => ExitCode::SUCCESS,
        Some(code @ (qemu::PANIC | qemu::RESET)) => {
            eprintln!("{}", qemu::describe_status(code));
            ExitCode::FAILURE
        }
        Some(code) => {
            eprintln!("QEMU failed (exit status {code})");
            ExitCode::FAILURE
        }
        None => {
            eprintln!("QEMU was killed by a signal");
            ExitCode::FAILURE
        }
    })
}
