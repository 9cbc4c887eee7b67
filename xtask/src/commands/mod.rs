//! The `cargo xtask` commands and the table that dispatches to them.
//!
//! To add a command: write `commands/NAME.rs` with a `pub fn main(repo: &Repo, args: Args) ->
//! anyhow::Result<ExitCode>`, declare the module below and add one entry to [`COMMANDS`].

mod bench;
mod diff;
mod exercise;
mod fuzz;
mod fuzz_parsers;
mod grade;
mod run;
mod test;
// The single source of truth.
mod book;
mod split;

use std::process::ExitCode;

use crate::args::Args;
use crate::error::user_error;
use crate::repo::Repo;

/// One `cargo xtask` command.
pub struct Command {
    pub name: &'static str,
    /// Its arguments, for the usage text.
    pub usage: &'static str,
    /// One line on what it does.
    pub about: &'static str,
    pub main: fn(&Repo, Args) -> anyhow::Result<ExitCode>,
}

/// Every command, in the order the usage text lists them.
pub const COMMANDS: &[Command] = &[
    Command {
        name: "run",
        usage: "chapter-NN|final [--prog NAME]... [--cpus N] [--release] [--gdb] [-- QEMU-ARGS]",
        about: "build a tree and boot it under QEMU",
        main: run::main,
    },
    Command {
        name: "test",
        usage: "[chapter-NN|final|exercise-NN|exercises] [FILTER]",
        about: "format, clippy, unit and QEMU tests of every chapter (or one); FILTER picks tests",
        main: test::main,
    },
    Command {
        name: "grade",
        usage: "chapter-NN --tree DIR [--json FILE]",
        about: "grade a student's copy of a chapter with that chapter's QEMU tests",
        main: grade::main,
    },
    Command {
        name: "exercise",
        usage: "chapter-NN --out DIR",
        about: "write a chapter's exercise tree (its exercises' code replaced by todo!) to DIR",
        main: exercise::main,
    },
    Command {
        name: "diff",
        usage: "chapter-NN chapter-MM",
        about: "show what changes from one chapter's snapshot to another's",
        main: diff::main,
    },
    Command {
        name: "fuzz",
        usage: "[chapter-NN|final] [--calls N] [--seed S] [--cpus N] [--workers W] [-- QEMU-ARGS]",
        about: "a long run of the system-call fuzzer (chapter 11); fails on a kernel panic, a hang or a lost page",
        main: fuzz::main,
    },
    Command {
        name: "fuzz-parsers",
        usage: "[chapter-NN|final] [--inputs N] [--seed S]",
        about: "a long run of the host fuzzing of the MP-table and ACPI parsers (chapter 15); fails on a panic or unbounded reading",
        main: fuzz_parsers::main,
    },
    Command {
        name: "bench",
        usage: "[chapter-NN|final] [--figure NAME]...",
        about: "benchmarks: warm boot; under -icount: a null system call, a yield, a page-fault upcall, dumbfork vs copy-on-write fork and its scaling, a timer interrupt, an IPC round trip, a cross-call, a TLB shootdown; chapter 13 against 14 under lockstress, per lock",
        main: bench::main,
    },
    // The single source of truth (tools/chapters, tools/book).
    Command {
        name: "split",
        usage: "[--check]",
        about: "regenerate chapters/chapter-NN from kernel-final/ (--check: fail on any difference)",
        main: split::main,
    },
    Command {
        name: "book",
        usage: "[--draft]",
        about: "build the HTML book into book/build (--draft: coverage and unshown snippets only warn)",
        main: book::main,
    },
];

/// Runs the command that `args` names.
pub fn dispatch(repo: &Repo, mut args: Vec<String>) -> anyhow::Result<ExitCode> {
    if args.is_empty() {
        eprint!("{}", usage());
        return Ok(ExitCode::from(2));
    }
    let name = args.remove(0);
    if matches!(name.as_str(), "help" | "-h" | "--help") {
        print!("{}", usage());
        return Ok(ExitCode::SUCCESS);
    }
    let Some(command) = COMMANDS.iter().find(|c| c.name == name) else {
        let names: Vec<&str> = COMMANDS.iter().map(|c| c.name).collect();
        return Err(user_error(format!(
            "unknown command '{name}': the commands are {} (see `cargo xtask help`)",
            names.join(", ")
        )));
    };
    if args
        .iter()
        .take_while(|a| *a != "--")
        .any(|a| a == "-h" || a == "--help")
    {
        println!(
            "usage: cargo xtask {} {}\n\n{}",
            command.name, command.usage, command.about
        );
        return Ok(ExitCode::SUCCESS);
    }
    (command.main)(repo, Args::new(args))
}

/// The usage text listing every command.
pub fn usage() -> String {
    let mut text = String::from("usage: cargo xtask COMMAND [ARGS]\n\ncommands:\n");
    for command in COMMANDS {
        let line = format!("{} {}", command.name, command.usage);
        text.push_str(&format!("  {}\n      {}\n", line.trim_end(), command.about));
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn command_names_are_unique_and_listed_in_the_usage() {
        let text = usage();
        for (i, command) in COMMANDS.iter().enumerate() {
            assert!(text.contains(&format!("  {}", command.name)));
            assert!(!text.contains(" \n"));
            assert!(COMMANDS[i + 1..].iter().all(|c| c.name != command.name));
        }
    }

    #[test]
    fn unknown_commands_are_user_errors() {
        let err = dispatch(&Repo::locate(), vec!["bogus".into()]).unwrap_err();
        assert_eq!(crate::error::exit_status(&err), 2);
        assert!(err.to_string().contains("the commands are run, test"));
    }
}
