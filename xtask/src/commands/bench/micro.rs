//! The micro-benchmarks: what one kernel operation costs, each timed by a user program that
//! reads the time-stamp counter before and after a run of them and prints
//! `PROGRAM: N OPERATIONS in T TSC ticks`, on 1 CPU.
//!
//! - **syscall** (chapter 0): `nullbench`, a null system call's round trip (`sys_getenvid`).
//! - **yield** (chapter 6): `yieldbench` twice, each `sys_yield` a switch to the other.
//! - **upcall** (chapter 8): `faultbench`, a page fault handled by the user's handler, which
//!   maps a page, against the page mapping alone.

use anyhow::Context;
use regex::Regex;

use super::{Bench, lines, wall};

pub const SYSCALL: &str = "nullbench";
pub const YIELD: &str = "yieldbench";
pub const UPCALL: &str = "faultbench";

pub fn print_syscall(bench: &Bench) -> anyhow::Result<()> {
    heading(
        bench,
        "syscall: a null system call's round trip (sys_getenvid)",
    );
    println!("| calls | TSC ticks | TSC ticks per call | wall time |");
    println!("|---|---|---|---|");
    let run = bench.run(&[SYSCALL], 1)?;
    let [(calls, ticks)] = timed(&run.output, SYSCALL, &["calls"])?;
    println!(
        "| {calls} | {ticks} | {:.0} | {} |",
        per(ticks, calls),
        wall(run.wall)
    );
    Ok(())
}

pub fn print_yield(bench: &Bench) -> anyhow::Result<()> {
    heading(bench, "yield: sys_yield between two environments on 1 CPU");
    println!("| yields | TSC ticks | TSC ticks per yield | TSC ticks per switch | wall time |");
    println!("|---|---|---|---|---|");
    let run = bench.run(&[YIELD, YIELD], 1)?;
    // Two lines, one per environment: the one that finished first had the other there for
    // every yield (the other's last yields found it gone).
    let re = Regex::new(r"^yieldbench: \[[0-9a-f]+\] (\d+) yields in (\d+) TSC ticks$")
        .expect("valid regex");
    let (yields, ticks) = lines(&run.output)
        .filter_map(|l| re.captures(l))
        .filter_map(|c| Some((c[1].parse::<u64>().ok()?, c[2].parse::<u64>().ok()?)))
        .min_by_key(|&(_, ticks)| ticks)
        .with_context(|| format!("{YIELD}: no figures in\n{}", run.output))?;
    // Between two returns of one environment's yield lie its call, a switch to the other, the
    // other's call and the switch back.
    println!(
        "| {yields} | {ticks} | {:.0} | {:.0} | {} |",
        per(ticks, yields),
        per(ticks, 2 * yields),
        wall(run.wall)
    );
    Ok(())
}

pub fn print_upcall(bench: &Bench) -> anyhow::Result<()> {
    heading(
        bench,
        "upcall: a page fault's round trip through the user's handler",
    );
    println!(
        "| faults | TSC ticks per fault (handler maps a page) | TSC ticks per sys_page_alloc \
         alone | the difference: the fault and the upcall | wall time |"
    );
    println!("|---|---|---|---|---|");
    let run = bench.run(&[UPCALL], 1)?;
    let [(faults, fault_ticks), (allocs, alloc_ticks)] =
        timed(&run.output, UPCALL, &["faults", "page allocs"])?;
    let (fault, alloc) = (per(fault_ticks, faults), per(alloc_ticks, allocs));
    println!(
        "| {faults} | {fault:.0} | {alloc:.0} | {:.0} | {} |",
        fault - alloc,
        wall(run.wall)
    );
    Ok(())
}

fn heading(bench: &Bench, what: &str) {
    println!(
        "## {what}, timed by the program with rdtsc ({}, -icount)",
        bench.tree.name
    );
    println!();
}

fn per(ticks: u64, count: u64) -> f64 {
    ticks as f64 / count as f64
}

/// The counts and ticks of the lines `PROGRAM: N WHAT in T TSC ticks`, one for each `what`.
fn timed<const K: usize>(
    output: &str,
    program: &str,
    what: &[&str; K],
) -> anyhow::Result<[(u64, u64); K]> {
    let mut found = [None; K];
    for (i, w) in what.iter().enumerate() {
        let re = Regex::new(&format!(r"^{program}: (\d+) {w} in (\d+) TSC ticks$"))
            .expect("valid regex");
        found[i] = lines(output).find_map(|l| {
            let c = re.captures(l)?;
            Some((c[1].parse().ok().filter(|&n| n > 0)?, c[2].parse().ok()?))
        });
    }
    let missing = || format!("{program}: no figures in\n{output}");
    let mut result = [(0, 0); K];
    for (r, f) in result.iter_mut().zip(found) {
        *r = f.with_context(missing)?;
    }
    Ok(result)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_timed_lines() {
        let out = "faultbench: 256 faults in 5000 TSC ticks\r\n\
                   faultbench: 256 page allocs in 3000 TSC ticks\r\n";
        let [f, a] = timed(out, UPCALL, &["faults", "page allocs"]).unwrap();
        assert_eq!((f, a), ((256, 5000), (256, 3000)));
        assert!(timed(out, SYSCALL, &["calls"]).is_err());
        assert!(timed("nullbench: 0 calls in 5 TSC ticks", SYSCALL, &["calls"]).is_err());
    }
}
