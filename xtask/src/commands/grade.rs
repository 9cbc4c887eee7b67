//! `cargo xtask grade chapter-NN --tree DIR [--json FILE]`: grades a student's copy of a chapter
//! (usually the exercise tree of `cargo xtask exercise`, filled in) with that chapter's QEMU
//! tests. The tree is built from a copy of DIR in which the build files and the test programs
//! are the official chapter's ([`crate::grading::official`]), and the tests are the
//! repository's, so a submission cannot change what is checked. Prints one `NAME [N CPU]: OK`
//! or `: FAIL` line per run (with a line per failed expectation), the score of each part (the
//! chapter's exercises; the earlier chapters' tests, which must not break), then `Score: X/Y`;
//! `--json FILE` also writes the result as Gradescope's `results.json`. Exits 0 whatever the
//! score; 1 only if the tree does not build.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;

use crate::args::Args;
use crate::error::user_error;
use crate::grading::{self, Graded};
use crate::harness::{self, Bench};
use crate::plan;
use crate::qemu;
use crate::repo::Repo;
use crate::spec;
use crate::toolchain;
use crate::tree::{self, Tree};

pub fn main(repo: &Repo, mut args: Args) -> anyhow::Result<ExitCode> {
    args.no_passthrough()?;
    let dir = args.value("tree")?;
    let json = args.value("json")?;
    let positionals = args.positionals(1)?;
    let (Some(chapter_arg), Some(dir)) = (positionals.first(), dir) else {
        return Err(user_error(
            "usage: cargo xtask grade chapter-NN --tree DIR [--json FILE]",
        ));
    };
    let chapters = repo.chapters()?;
    let chapter = tree::chapter_named(&chapters, chapter_arg)?;
    let submitted = tree::student(repo, chapter, &PathBuf::from(dir))?;
    let reference = repo.root.join("chapters").join(chapter.dir_name());
    let copy = repo.target().join("grade-src").join(&submitted.name);
    let replaced = grading::assemble(&submitted.dir, &reference, &copy)?;
    let tree = Tree {
        dir: copy,
        ..submitted.clone()
    };
    let specs = spec::load(&repo.qemu_tests(), "tests/qemu")?;
    let runs = plan::select(&specs, Some(chapter.number), None);
    let exercises = exercise_names(repo, chapter.number)?;
    let qemu = qemu::find()?;
    toolchain::ensure(repo)?;

    println!(
        "grading {} as {}",
        submitted.dir.display(),
        chapter.dir_name()
    );
    if !replaced.is_empty() {
        println!(
            "note: graded with the official {} (the build files and test programs are the \
             chapter's)",
            replaced.join(", ")
        );
    }
    let kernel = match harness::build(&tree)? {
        Ok(kernel) => kernel,
        Err(output) => {
            print!("{output}");
            eprintln!(
                "error: the tree at {} does not build",
                submitted.dir.display()
            );
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
    let mut graded = Vec::new();
    let mut parts: Vec<(String, usize, usize)> = Vec::new();
    bench.run_all(&runs, |run, result| {
        let part = grading::part(run.spec, chapter.number, &exercises);
        match parts.iter_mut().find(|(name, _, _)| *name == part) {
            Some((_, passed, total)) => {
                *passed += usize::from(result.passed);
                *total += 1;
            }
            None => parts.push((part.clone(), usize::from(result.passed), 1)),
        }
        if result.passed {
            println!("{}: OK", run.label());
        } else {
            println!("{}: FAIL", run.label());
            print!("{}", result.details);
        }
        graded.push(Graded {
            name: format!("{part}: {}", run.label()),
            passed: result.passed,
            output: result.details,
        });
    });
    for (part, passed, total) in &parts {
        println!("{part}: {passed}/{total}");
    }
    let score = graded.iter().filter(|g| g.passed).count();
    println!("Score: {score}/{}", graded.len());
    if let Some(file) = json {
        std::fs::write(&file, grading::results_json(&graded))
            .with_context(|| format!("cannot write {file}"))?;
        println!("wrote {file}");
    }
    Ok(ExitCode::SUCCESS)
}

/// The names of chapter `number`'s exercises, from the markers of `kernel-final/`.
fn exercise_names(repo: &Repo, number: u32) -> anyhow::Result<Vec<String>> {
    let list = chapters::Chapters::load(&repo.root.join("chapters.toml"))?;
    let source = chapters::SourceTree::load(&repo.root.join("kernel-final"), &list)?;
    Ok(chapters::exercise::by_chapter(&source)
        .remove(&number)
        .unwrap_or_default()
        .into_iter()
        .map(|(name, _)| name)
        .collect())
}
