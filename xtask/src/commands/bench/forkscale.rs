//! The fork-scaling figure (chapter 9): programs with 16, 64 and 256 pages of heap fork with
//! eager copying (`dumbfork`) and with copy-on-write (`fork`), and the child writes 1 or 16 of
//! the pages (`user::forkscale`), on 1 CPU. The pages copied (parent's and child's, as the
//! programs count them) and the TSC ticks from just before the fork to the end of the child's
//! writes: eager copying grows with the heap, copy-on-write with the pages written.

use std::collections::BTreeMap;

use anyhow::Context;
use regex::Regex;

use super::{Bench, lines};

pub const PROGRAMS: [&str; 3] = ["forkscale16", "forkscale64", "forkscale256"];

pub fn print(bench: &Bench) -> anyhow::Result<()> {
    println!(
        "## forkscale: a fork of N pages of heap whose child writes k of them ({}, -icount)",
        bench.tree.name
    );
    println!();
    println!("| fork | N (heap pages) | k (pages written) | pages copied | TSC ticks |");
    println!("|---|---|---|---|---|");
    for program in PROGRAMS {
        let run = bench.run(&[program], 1)?;
        let rows = parse(&run.output)
            .with_context(|| format!("{program}: no figures in\n{}", run.output))?;
        for ((fork, pages, writes), (copied, ticks)) in rows {
            println!("| {fork} | {pages} | {writes} | {copied} | {ticks} |");
        }
    }
    Ok(())
}

/// A row's key (fork, heap pages, pages written) and figures (pages copied, ticks).
type Rows = BTreeMap<(String, u64, u64), (u64, u64)>;

/// The rows, from the child's line (its copies and the ticks) and the parent's (its copies).
fn parse(output: &str) -> Option<Rows> {
    let re = Regex::new(
        r"^forkscale: (\w+), (\d+) pages, child writes (\d+): (child|parent) copied (\d+)(?:, (\d+) TSC ticks)?$",
    )
    .expect("valid regex");
    let mut rows: BTreeMap<_, (u64, Option<u64>, u32)> = BTreeMap::new();
    for c in lines(output).filter_map(|l| re.captures(l)) {
        let key = (c[1].to_string(), c[2].parse().ok()?, c[3].parse().ok()?);
        let row = rows.entry(key).or_default();
        row.0 += c[5].parse::<u64>().ok()?;
        if let Some(t) = c.get(6) {
            row.1 = Some(t.as_str().parse().ok()?);
        }
        row.2 += 1;
    }
    let complete = rows
        .into_iter()
        .map(|(key, (copied, ticks, lines))| (lines == 2).then_some((key, (copied, ticks?))));
    let rows: Option<Rows> = complete.collect();
    rows.filter(|r| !r.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn joins_the_parents_and_the_childs_lines() {
        let out = "forkscale: fork, 16 pages, child writes 1: parent copied 2\r\n\
                   forkscale: fork, 16 pages, child writes 1: child copied 1, 900 TSC ticks\r\n\
                   forkscale: dumbfork, 16 pages, child writes 1: child copied 0, 5000 TSC ticks\n\
                   forkscale: dumbfork, 16 pages, child writes 1: parent copied 23\n";
        let rows = parse(out).unwrap();
        assert_eq!(rows[&("fork".into(), 16, 1)], (3, 900));
        assert_eq!(rows[&("dumbfork".into(), 16, 1)], (23, 5000));
        let half = "forkscale: fork, 16 pages, child writes 1: parent copied 2\n";
        assert_eq!(parse(half), None);
    }
}
