//! `cargo xtask split [--check]`: regenerates `chapters/chapter-NN/` from `kernel-final/` (the
//! work is done by the `chapters` crate in tools/chapters). With `--check` nothing is written:
//! every file that differs from what would be generated is listed and the exit status is 1.

use std::process::ExitCode;

use chapters::sync::{self, DriftKind};

use crate::args::Args;
use crate::repo::Repo;
use crate::toolchain;

pub fn main(repo: &Repo, mut args: Args) -> anyhow::Result<ExitCode> {
    let check = args.flag("check");
    args.no_passthrough()?;
    args.positionals(0)?;
    // The chapters are formatted with the pinned toolchain's rustfmt.
    toolchain::ensure(repo)?;
    let generated = sync::generate(&repo.root)?;
    let out = repo.root.join("chapters");
    let drift = if check {
        sync::compare(&out, &generated)?
    } else {
        sync::apply(&out, &generated)?
    };
    for item in &drift {
        let what = match (item.kind, check) {
            (DriftKind::Changed, true) => "differs",
            (DriftKind::Missing, true) => "missing",
            (DriftKind::Extra, true) => "not generated",
            (DriftKind::Changed, false) => "updated",
            (DriftKind::Missing, false) => "created",
            (DriftKind::Extra, false) => "removed",
        };
        println!("chapters/{}: {what}", item.path);
    }
    let summary = format!("{} chapter(s), {} file(s)", generated.len(), drift.len());
    if check && !drift.is_empty() {
        eprintln!(
            "split --check: chapters/ is out of date ({summary} differ); run `cargo xtask split`"
        );
        return Ok(ExitCode::FAILURE);
    }
    if check {
        println!(
            "split --check: chapters/ matches kernel-final/ ({} chapter(s))",
            generated.len()
        );
    } else {
        println!("split: {summary} written");
    }
    Ok(ExitCode::SUCCESS)
}
