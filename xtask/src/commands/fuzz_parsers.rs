//! `cargo xtask fuzz-parsers [chapter-NN|final] [--inputs N] [--seed S]`: a long run of the host
//! fuzzing of the firmware-table parsers that chapter 15 brings (`mp_fuzz.rs`, `acpi_fuzz.rs`,
//! driven by host-tests' `fuzz.rs`): `--inputs` random inputs for each parser (default one
//! million) from `--seed` (default the time, printed), built with optimisations. It passes when
//! no input makes a parser panic, read without bound or return a malformed result; the test
//! suite runs the same tests with a few thousand inputs.

use std::process::ExitCode;
use std::time::Instant;

use anyhow::Context;

use super::fuzz::{number, seed};
use crate::args::Args;
use crate::cargo;
use crate::error::user_error;
use crate::repo::Repo;
use crate::toolchain;
use crate::tree;

/// The fuzz tests, by the part of their names that only they share.
const FILTER: &str = "fuzz::fuzz_";

pub fn main(repo: &Repo, mut args: Args) -> anyhow::Result<ExitCode> {
    let inputs = number(&mut args, "inputs")?.unwrap_or(1_000_000);
    let seed = seed(&mut args)?;
    args.no_passthrough()?;
    let positionals = args.positionals(1)?;
    let chapters = repo.chapters()?;
    let tree = tree::resolve(repo, &chapters, positionals.first().map_or("final", |s| s))?;
    if !tree.dir.join("host-tests/src/fuzz.rs").is_file() {
        return Err(user_error(format!(
            "{} has no parser fuzzing (chapter 15 brings it)",
            tree.name
        )));
    }
    toolchain::ensure(repo)?;
    let host = cargo::host_triple()?;
    let test_args = [
        "test",
        "--release",
        "-p",
        "host-tests",
        "--target",
        &host,
        "--lib",
    ];
    let run_args = [FILTER, "--", "--nocapture", "--test-threads", "2"];
    let start = Instant::now();
    let status = cargo::in_tree(&tree, &[&test_args[..], &run_args[..]].concat())
        .env("PARSER_FUZZ_INPUTS", inputs.to_string())
        .env("PARSER_FUZZ_SEED", seed.to_string())
        .status()
        .context("cannot run cargo")?;
    let tree_arg = match tree.chapter {
        Some(n) => format!("chapter-{n:02}"),
        None => "final".to_string(),
    };
    eprintln!(
        "wall time {:.1} s; seed {seed} reproduces the inputs: cargo xtask fuzz-parsers {tree_arg} \
         --inputs {inputs} --seed {seed}",
        start.elapsed().as_secs_f64()
    );
    Ok(if status.success() {
        eprintln!("fuzz-parsers: PASS");
        ExitCode::SUCCESS
    } else {
        eprintln!("fuzz-parsers: FAIL");
        ExitCode::FAILURE
    })
}
