//! `cargo xtask grade chapter-NN --tree DIR`: runs chapter NN's QEMU tests against a student's
//! copy of the chapter and prints one `NAME [N CPU]: OK` or `: FAIL` line per run, then
//! `Score: X/Y`. Exits 0 whatever the score; 1 only if the tree does not build.

use std::path::PathBuf;
use std::process::ExitCode;

use crate::args::Args;
use crate::error::user_error;
use crate::harness::{self, Bench};
use crate::plan;
use crate::qemu;
use crate::repo::Repo;
use crate::spec;
use crate::toolchain;
use crate::tree::{self, ChapterArg};

pub fn main(repo: &Repo, mut args: Args) -> anyhow::Result<ExitCode> {
    args.no_passthrough()?;
    let dir = args.value("tree")?;
    let positionals = args.positionals(1)?;
    let (Some(chapter_arg), Some(dir)) = (positionals.first(), dir) else {
        return Err(user_error("usage: cargo xtask grade chapter-NN --tree DIR"));
    };
    let chapters = repo.chapters()?;
    let names: Vec<String> = chapters.iter().map(|c| c.dir_name()).collect();
    let chapter = match tree::parse_chapter_arg(chapter_arg) {
        Some(ChapterArg::Number(n)) => chapters.iter().find(|c| c.number == n),
        _ => None,
    };
    let Some(chapter) = chapter else {
        return Err(user_error(format!(
            "unknown chapter '{chapter_arg}': the chapters are {}",
            names.join(", ")
        )));
    };
    let tree = tree::student(repo, chapter, &PathBuf::from(dir))?;
    let specs = spec::load(&repo.qemu_tests(), "tests/qemu")?;
    let runs = plan::select(&specs, Some(chapter.number), None);
    let qemu = qemu::find()?;
    toolchain::ensure(repo)?;

    println!("grading {} as {}", tree.dir.display(), chapter.dir_name());
    let kernel = match harness::build(&tree)? {
        Ok(kernel) => kernel,
        Err(output) => {
            print!("{output}");
            eprintln!("error: the tree at {} does not build", tree.dir.display());
            return Ok(ExitCode::FAILURE);
        }
    };
    // A tree without programs fails every test with a message that says so.
    let programs = tree.programs().unwrap_or_default();
    let bench = Bench {
        repo,
        tree: &tree,
        qemu: &qemu,
        kernel,
        programs,
    };
    let mut score = 0;
    bench.run_all(&runs, |run, result| {
        if result.passed {
            score += 1;
            println!("{}: OK", run.label());
        } else {
            println!("{}: FAIL", run.label());
            print!("{}", result.details);
        }
    });
    println!("Score: {score}/{}", runs.len());
    Ok(ExitCode::SUCCESS)
}
