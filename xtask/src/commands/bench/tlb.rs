//! The shootdown figure (chapter 13): `unmapbench` times pairs of `sys_page_alloc` and
//! `sys_page_unmap` in an address space that 1, 2 or 4 CPUs have loaded (its spinner threads
//! hold the other CPUs, with `preempt=off`), so each unmap shoots the page down on every other
//! CPU. The kernel's own `TLB:` line says how many shootdowns and CPUs that took.

use anyhow::Context;
use regex::Regex;

use super::{Bench, lines, wall};

pub const PROGRAM: &str = "unmapbench";
/// The CPU counts it runs on.
const CPUS: [u32; 3] = [1, 2, 4];

pub fn print(bench: &Bench) -> anyhow::Result<()> {
    println!(
        "## tlb: {PROGRAM}'s page_alloc+page_unmap pairs, timed by the program with rdtsc ({}, -icount)",
        bench.tree.name
    );
    println!();
    println!(
        "| CPUs | CPUs with the space loaded | TSC ticks per pair | shootdowns | CPUs asked | wall time |"
    );
    println!("|---|---|---|---|---|---|");
    for cpus in CPUS {
        let run = bench.run(&["preempt=off", PROGRAM], cpus)?;
        let figures = parse(&run.output).with_context(|| {
            format!("{PROGRAM} on {cpus} CPU(s): no figures in\n{}", run.output)
        })?;
        println!(
            "| {cpus} | {} | {} | {} | {} | {} |",
            figures.holders,
            figures.ticks,
            figures.shootdowns,
            figures.asked,
            wall(run.wall)
        );
    }
    Ok(())
}

/// What one run reports.
#[derive(Debug, PartialEq)]
struct Figures {
    holders: u64,
    ticks: u64,
    shootdowns: u64,
    asked: u64,
}

/// The program's line and the kernel's `TLB:` line.
fn parse(output: &str) -> Option<Figures> {
    let bench = Regex::new(
        r"^unmapbench: \d+ page_alloc\+page_unmap pairs, address space loaded on (\d+) CPU\(s\): (\d+) TSC ticks per pair$",
    )
    .expect("valid regex");
    let tlb = Regex::new(r"^TLB: (\d+) shootdowns, (\d+) CPUs asked").expect("valid regex");
    let b = lines(output).find_map(|l| bench.captures(l))?;
    let t = lines(output).find_map(|l| tlb.captures(l))?;
    Some(Figures {
        holders: b[1].parse().ok()?,
        ticks: b[2].parse().ok()?,
        shootdowns: t[1].parse().ok()?,
        asked: t[2].parse().ok()?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_both_lines() {
        let out = "unmapbench: 1000 page_alloc+page_unmap pairs, address space loaded on 2 \
                   CPU(s): 3802 TSC ticks per pair\r\nTLB: 1000 shootdowns, 1000 CPUs asked, \
                   1000 pages flushed, 0 full flushes, 0 skipped\r\n";
        assert_eq!(
            parse(out),
            Some(Figures {
                holders: 2,
                ticks: 3802,
                shootdowns: 1000,
                asked: 1000
            })
        );
        assert_eq!(parse("TLB: 1 shootdowns, 1 CPUs asked"), None);
    }
}
