//! The ipc figure (chapter 11): `pingpongbench` sends a number to its child and waits for it to
//! come back, a fixed number of times, on 1 and 2 CPUs. The program times the round trips
//! itself, with `rdtsc` before the first and after the last (the fork and one untimed warm-up
//! round trip stay outside); the figure divides by their number.

use anyhow::Context;
use regex::Regex;

use super::{Bench, lines, wall};

pub const PROGRAM: &str = "pingpongbench";
/// The CPU counts it runs on.
const CPUS: [u32; 2] = [1, 2];

pub fn print(bench: &Bench) -> anyhow::Result<()> {
    println!(
        "## ipc: {PROGRAM}'s round trips, timed by the program with rdtsc ({}, -icount)",
        bench.tree.name
    );
    println!();
    println!("| CPUs | round trips | TSC ticks | TSC ticks per round trip | wall time |");
    println!("|---|---|---|---|---|");
    for cpus in CPUS {
        let run = bench.run(&[PROGRAM], cpus)?;
        let (trips, ticks) = parse(&run.output).with_context(|| {
            format!("{PROGRAM} on {cpus} CPU(s): no figures in\n{}", run.output)
        })?;
        println!(
            "| {cpus} | {trips} | {ticks} | {:.0} | {} |",
            ticks as f64 / trips as f64,
            wall(run.wall)
        );
    }
    Ok(())
}

/// The round trips and their TSC ticks, from the program's line.
fn parse(output: &str) -> Option<(u64, u64)> {
    let re =
        Regex::new(r"^pingpongbench: (\d+) round trips in (\d+) TSC ticks$").expect("valid regex");
    let c = lines(output).find_map(|l| re.captures(l))?;
    let trips = c[1].parse().ok().filter(|&n| n > 0)?;
    Some((trips, c[2].parse().ok()?))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_the_round_trips() {
        let out = "[00001000] new env 00001001\r\npingpongbench: 1000 round trips in 17028060 \
                   TSC ticks\r\nkernel: the environments ran for 17293789 TSC ticks\n";
        assert_eq!(parse(out), Some((1000, 17028060)));
        assert_eq!(parse("pingpongbench: 0 round trips in 5 TSC ticks"), None);
        assert_eq!(parse("kernel: the environments ran for 1 TSC ticks"), None);
    }
}
