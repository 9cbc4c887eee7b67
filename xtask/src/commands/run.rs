//! `cargo xtask run chapter-NN [--prog NAME]... [--cpus N] [--release] [--gdb] [-- QEMU-ARGS]`:
//! builds a tree and boots its kernel under QEMU with the output on the terminal, then turns
//! QEMU's exit status into ours (0 when the kernel finished cleanly, 1 otherwise). A `-smp`
//! among the QEMU arguments replaces `--cpus`'s `-smp N,sockets=N` topology.

use std::process::{Command, ExitCode};

use anyhow::Context;

use crate::args::{self, Args};
use crate::cargo;
use crate::cmdline;
use crate::error::user_error;
use crate::qemu::{self, Boot};
use crate::repo::Repo;
use crate::toolchain;
use crate::tree;

pub fn main(repo: &Repo, mut args: Args) -> anyhow::Result<ExitCode> {
    let prog_values = args.values("prog")?;
    let cpus = args.value("cpus")?;
    let release = args.flag("release");
    let gdb = args.flag("gdb");
    let extra = args.passthrough().to_vec();
    // `-- -smp ...` gives the topology (and so the count) itself; `--cpus N` is N sockets.
    let cpus = match (cpus, qemu::smp_in(&extra)) {
        (None, smp) => smp.unwrap_or(1),
        (Some(value), None) => args::positive("cpus", &value)?,
        (Some(value), Some(smp)) if args::positive("cpus", &value)? == smp => smp,
        (Some(value), Some(smp)) => {
            return Err(user_error(format!(
                "--cpus {value} and the QEMU argument -smp ({smp} CPUs) disagree: give one"
            )));
        }
    };
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
    let progs = cmdline::from_values(&prog_values, &tree.default_prog)?;
    tree.check_programs(&progs)?;
    let qemu = qemu::find()?;
    toolchain::ensure(repo)?;

    let kernel = cargo::build_kernel(&tree, release)?;

    let boot = Boot {
        kernel: &kernel,
        progs: &progs,
        cpus,
        threads: qemu::threads_for(cpus, qemu::host_cores()),
        gdb,
        extra: &extra,
    };
    eprintln!("booting {}: {}", tree.name, qemu::command_line(&boot));
    if boot.threads == qemu::Threads::Single {
        eprintln!(
            "({cpus} CPUs on {} host cores: QEMU runs them in one thread, taking turns; see \
             CONTRIBUTING.md)",
            qemu::host_cores()
        );
    }
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

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::*;

    /// The `-append` argument QEMU gets for the kernel command line `words`.
    fn append(words: &[String]) -> String {
        let boot = Boot {
            kernel: Path::new("kernel"),
            progs: words,
            cpus: 1,
            threads: qemu::Threads::Default,
            gdb: false,
            extra: &[],
        };
        let args: Vec<String> = qemu::args(&boot)
            .into_iter()
            .map(|a| a.into_string().unwrap())
            .collect();
        let at = args.iter().position(|a| a == "-append").unwrap();
        args[at + 1].clone()
    }

    #[test]
    fn a_multi_word_default_prog_is_the_whole_command_line() {
        let chapters = crate::chapter_list::parse(
            "[[chapter]]\nnumber = 6\ntitle = 't'\ndefault_prog = 'yield yield yield'",
        )
        .unwrap();
        let words = cmdline::from_values(&[], &chapters[0].default_prog).unwrap();
        assert_eq!(words, ["yield", "yield", "yield"]);
        assert_eq!(append(&words), "yield yield yield");
        let programs = vec!["hello".to_string(), "yield".to_string()];
        assert!(cmdline::unknown_programs(&words, &programs).is_empty());
    }

    #[test]
    fn prog_may_be_repeated_or_hold_several_words_and_options() {
        let mut args = Args::new(
            [
                "chapter-04",
                "--prog",
                "selftest=kstack-overflow hello",
                "--prog=yield",
                "--prog",
                "hello",
            ]
            .map(String::from)
            .to_vec(),
        );
        let words = cmdline::from_values(&args.values("prog").unwrap(), "unused").unwrap();
        assert_eq!(append(&words), "selftest=kstack-overflow hello yield hello");
        assert_eq!(args.positionals(1).unwrap(), ["chapter-04"]);
    }

    /// `cargo xtask run chapter-NN` with no `--prog` must boot: every word of each generated
    /// chapter's `default_prog` is an option or one of the chapter's programs.
    #[test]
    fn every_generated_chapter_can_boot_its_default_prog() {
        let repo = Repo::locate();
        let chapters = repo.chapters().unwrap();
        for tree in tree::chapter_trees(&repo, &chapters) {
            let words = cmdline::from_values(&[], &tree.default_prog).unwrap();
            assert_eq!(append(&words), words.join(" "));
            if let Err(e) = tree.check_programs(&words) {
                panic!("chapters.toml: default_prog of {}: {e}", tree.name);
            }
        }
    }
}
