//! `cargo xtask exercise chapter-NN --out DIR`: writes chapter NN's exercise tree to DIR (a new
//! or empty directory): the chapter's snapshot with its exercises' code replaced by `todo!`,
//! ready to hand out, and lists the exercises. `cargo xtask grade chapter-NN --tree DIR` grades
//! it once the student has filled it in.

use std::path::Path;
use std::process::ExitCode;

use anyhow::Context;

use crate::args::Args;
use crate::error::user_error;
use crate::repo::Repo;
use crate::toolchain;
use crate::tree;

pub fn main(repo: &Repo, mut args: Args) -> anyhow::Result<ExitCode> {
    args.no_passthrough()?;
    let out = args.value("out")?;
    let positionals = args.positionals(1)?;
    let (Some(arg), Some(out)) = (positionals.first(), out) else {
        return Err(user_error(
            "usage: cargo xtask exercise chapter-NN --out DIR",
        ));
    };
    let chapters = repo.chapters()?;
    let chapter = tree::chapter_named(&chapters, arg)?;
    let out = Path::new(&out);
    let occupied = out
        .read_dir()
        .map(|mut entries| entries.next().is_some())
        .unwrap_or(false);
    if occupied {
        return Err(user_error(format!(
            "{} is not empty: give a new or empty directory",
            out.display()
        )));
    }
    // The tree is formatted with the pinned toolchain's rustfmt, like the chapters.
    toolchain::ensure(repo)?;
    let mut generated = chapters::exercise::generate(&repo.root)?;
    let Some(files) = generated.remove(&chapter.dir_name()) else {
        return Err(user_error(format!(
            "{} has no exercises (no `@exercise {}` region in kernel-final/)",
            chapter.dir_name(),
            chapter.number
        )));
    };
    for (path, contents) in &files {
        let path = out.join(path);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent)
                .with_context(|| format!("cannot create {}", parent.display()))?;
        }
        std::fs::write(&path, contents)
            .with_context(|| format!("cannot write {}", path.display()))?;
    }
    println!(
        "wrote {}'s exercise tree to {} ({} files); the exercises:",
        chapter.dir_name(),
        out.display(),
        files.len()
    );
    let source = chapters::SourceTree::load(
        &repo.root.join("kernel-final"),
        &chapters::Chapters::load(&repo.root.join("chapters.toml"))?,
    )?;
    for def in source
        .exercises()
        .filter(|d| d.open.chapter == chapter.number)
    {
        println!(
            "  {}: {} (kernel-final/{}:{})",
            def.open.name, def.open.task, def.path, def.marker_line
        );
    }
    Ok(ExitCode::SUCCESS)
}
