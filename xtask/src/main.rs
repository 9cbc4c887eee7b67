//! `cargo xtask`: the project's commands (run `cargo xtask help` for the list). The pure parts
//! (spec parsing, test selection, judging output) are unit-tested with `cargo test -p xtask`.

mod args;
mod cargo;
mod chapter_list;
mod checks;
mod cmdline;
mod commands;
mod error;
mod exercises;
mod grading;
mod harness;
mod judge;
mod kill;
mod plan;
mod pool;
mod process;
mod qemu;
mod repo;
mod report;
mod reuse;
mod spec;
mod stage;
mod suite;
mod toolchain;
mod tree;

use std::process::ExitCode;

fn main() -> ExitCode {
    let repo = repo::Repo::locate();
    let args: Vec<String> = std::env::args().skip(1).collect();
    match commands::dispatch(&repo, args) {
        Ok(code) => code,
        Err(err) => {
            eprintln!("error: {err:#}");
            ExitCode::from(error::exit_status(&err))
        }
    }
}
