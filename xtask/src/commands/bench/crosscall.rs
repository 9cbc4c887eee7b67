//! The cross-call figure (chapter 12): the kernel's `selftest=crosscall-roundtrip` makes 1000
//! synchronous cross-calls from the boot CPU to CPU 1, which spins for the big kernel lock and
//! answers from its spin, and prints the TSC ticks per round trip. It is a kernel self-test,
//! not a program: a tree whose kernel does not know the option boots `hello` without the line,
//! and the figure says it is skipped.

use regex::Regex;

use super::{Bench, lines, wall};

/// The kernel command line: the self-test, then a program so that the run ends normally.
const WORDS: [&str; 2] = ["selftest=crosscall-roundtrip", "hello"];
/// The chapter that brings the self-test.
const SINCE: u32 = 12;

pub fn print(bench: &Bench) -> anyhow::Result<()> {
    let run = bench.run(&WORDS, 2)?;
    let Some((rounds, ticks)) = parse(&run.output) else {
        println!(
            "(skipped: {}'s kernel has no cross-call self-test, which chapter {SINCE} brings)",
            bench.tree.name
        );
        return Ok(());
    };
    println!(
        "## crosscall: synchronous cross-call round trips, timed by the kernel ({}, -icount)",
        bench.tree.name
    );
    println!();
    println!("| CPUs | round trips | TSC ticks per round trip | wall time |");
    println!("|---|---|---|---|");
    println!("| 2 | {rounds} | {ticks} | {} |", wall(run.wall));
    Ok(())
}

/// The round trips and the ticks each, from the self-test's line.
fn parse(output: &str) -> Option<(u64, u64)> {
    let re = Regex::new(r"^selftest: (\d+) cross-call round trips to CPU 1: (\d+) TSC ticks each$")
        .expect("valid regex");
    let c = lines(output).find_map(|l| re.captures(l))?;
    Some((c[1].parse().ok()?, c[2].parse().ok()?))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_the_round_trips() {
        let out = "crosscall: x\r\nselftest: 1000 cross-call round trips to CPU 1: 2345 TSC \
                   ticks each\r\nhello, world\n";
        assert_eq!(parse(out), Some((1000, 2345)));
        assert_eq!(parse("hello, world\n"), None);
    }
}
