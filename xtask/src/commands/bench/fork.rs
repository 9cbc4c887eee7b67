//! The fork figure (chapter 9): the same work done by a program that forks with eager copying
//! (`dumbforkbench`, chapter 7's dumbfork) and with copy-on-write (`forkbench`, chapter 9's
//! fork), on 1 and 4 CPUs: the pages each copied (the programs count them) and the TSC ticks
//! the environments ran for, by the kernel's count.

use anyhow::Context;
use regex::Regex;

use super::{Bench, lines, wall};

/// The programs: (program, what it shows).
const RUNS: [(&str, &str); 2] = [
    ("dumbforkbench", "dumbfork (eager copy)"),
    ("forkbench", "fork (copy-on-write)"),
];
pub const PROGRAMS: [&str; 2] = [RUNS[0].0, RUNS[1].0];
/// The CPU counts each program runs on.
const CPUS: [u32; 2] = [1, 4];

pub fn print(bench: &Bench) -> anyhow::Result<()> {
    println!(
        "## fork: the same work, forked two ways ({}, -icount)",
        bench.tree.name
    );
    println!();
    println!("| program | CPUs | pages copied | TSC ticks | wall time |");
    println!("|---|---|---|---|---|");
    for (program, label) in RUNS {
        for cpus in CPUS {
            let run = bench.run(&[program], cpus)?;
            let (pages_copied, ticks) = parse(&run.output).with_context(|| {
                format!("{program} on {cpus} CPU(s): no figures in\n{}", run.output)
            })?;
            println!(
                "| {label} | {cpus} | {pages_copied} | {ticks} | {} |",
                wall(run.wall)
            );
        }
    }
    Ok(())
}

/// The pages copied (summed over every `pages copied: N` line: parent and children report their
/// own) and the kernel's tick count, from a run's output.
fn parse(output: &str) -> Option<(u64, u64)> {
    let copied = Regex::new(r"pages copied: (\d+)").expect("valid regex");
    let ticks =
        Regex::new(r"^kernel: the environments ran for (\d+) TSC ticks").expect("valid regex");
    let mut pages = None::<u64>;
    let mut elapsed = None;
    for line in lines(output) {
        if let Some(c) = copied.captures(line) {
            *pages.get_or_insert(0) += c[1].parse::<u64>().ok()?;
        }
        if let Some(c) = ticks.captures(line) {
            elapsed = Some(c[1].parse().ok()?);
        }
    }
    Some((pages?, elapsed?))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_the_figures() {
        let out = "[00001000] new env 00001001\r\npages copied: 3\r\nchild: pages copied: 2\n\
                   kernel: all 100 pages free again\nkernel: the environments ran for 12345 TSC ticks\n";
        assert_eq!(parse(out), Some((5, 12345)));
        assert_eq!(parse("pages copied: 3\n"), None, "no ticks");
        assert_eq!(
            parse("kernel: the environments ran for 1 TSC ticks\n"),
            None
        );
    }
}
