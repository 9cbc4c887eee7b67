//! The slice figure (chapter 10): what a timer interrupt costs, measured by `slicebench`, an
//! environment that spins reading the TSC and sums the gaps between its readings (the program's
//! header explains the method). Three runs on 1 CPU:
//!
//! - `slicebench preempt=off`: no tick, so no gap; the ticks a turn of the loop takes.
//! - `slicebench`: each tick comes back to the one environment; each gap is one interrupt.
//!   Cross-checked against the first run: the turns it lost, times the ticks a turn takes.
//! - `slicebench slicebench`: each tick switches to the other environment. Each environment's
//!   gaps (the other's slice, `P + c`) and runs (`P - c`) give `c`, the cost of the switch into
//!   it: `(gaps - runs) / 2` per slice.
//!
//! One CPU only: under `-icount` the virtual clock counts the instructions of every CPU, which
//! QEMU runs in turn, so on more a spinning environment sees the other CPUs' turns as gaps.

use anyhow::{Context, bail};
use regex::Regex;

use super::{Bench, Run, wall};

pub const PROGRAM: &str = "slicebench";
/// The kernel option that stops the tick.
const PREEMPT_OFF: &str = "preempt=off";

/// One environment's line: its raw sums.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Report {
    env: String,
    /// Turns of the loop, and the ticks from the first reading to the last.
    turns: u64,
    span: u64,
    /// Gaps of a tick that came back to it, and their ticks.
    ticks: u64,
    tick_gaps: u64,
    /// Runs between two of the other's slices, their ticks, and the ticks of the gaps after them.
    runs: u64,
    run_ticks: u64,
    slice_gaps: u64,
}

impl Report {
    fn per_turn(&self) -> f64 {
        self.span as f64 / self.turns as f64
    }

    fn per_tick(&self) -> f64 {
        self.tick_gaps as f64 / self.ticks as f64
    }

    /// The switch into this environment: `(gaps - runs) / 2` per slice.
    fn switch(&self) -> f64 {
        (self.slice_gaps as f64 - self.run_ticks as f64) / (2 * self.runs) as f64
    }

    /// The period of the tick: `(gaps + runs) / 2` per slice.
    fn period(&self) -> f64 {
        (self.slice_gaps + self.run_ticks) as f64 / (2 * self.runs) as f64
    }
}

pub fn print(bench: &Bench) -> anyhow::Result<()> {
    let off_run = bench.run(&[PROGRAM, PREEMPT_OFF], 1)?;
    let alone_run = bench.run(&[PROGRAM], 1)?;
    let two_run = bench.run(&[PROGRAM, PROGRAM], 1)?;
    let [off] = reports(&off_run, "alone with preempt=off")?;
    let [alone] = reports(&alone_run, "alone")?;
    let [first, second] = reports(&two_run, "twice")?;
    if off.ticks != 0 || off.runs != 0 || off.turns == 0 {
        bail!("{PROGRAM} with {PREEMPT_OFF} saw the timer: {off:?}");
    }
    if alone.ticks == 0 || alone.runs != 0 {
        bail!("{PROGRAM} alone saw no tick, or another environment: {alone:?}");
    }
    if first.runs == 0 || second.runs == 0 {
        bail!("{PROGRAM} twice: an environment saw no slice of the other: {first:?} {second:?}");
    }
    // The turns the tick cost the lone environment, in ticks, by the loop's pace without it.
    let lost = alone.span as f64 - alone.turns as f64 * off.per_turn();

    println!(
        "## slice: what a timer interrupt costs, on 1 CPU ({}, -icount)",
        bench.tree.name
    );
    println!();
    println!("| run | CPUs | interrupts measured | TSC ticks each | derived from | wall time |");
    println!("|---|---|---|---|---|---|");
    println!(
        "| `{PROGRAM} {PREEMPT_OFF}`: no tick | 1 | 0 | - | {} turns of the loop in {} ticks: \
         {:.1} ticks a turn | {} |",
        off.turns,
        off.span,
        off.per_turn(),
        wall(off_run.wall)
    );
    println!(
        "| `{PROGRAM}`: the tick returns to it | 1 | {} | {:.0} | the gaps between its readings; \
         the turns it lost against `{PREEMPT_OFF}` give {:.0} | {} |",
        alone.ticks,
        alone.per_tick(),
        lost / alone.ticks as f64,
        wall(alone_run.wall)
    );
    for report in [&first, &second] {
        println!(
            "| `{PROGRAM} {PROGRAM}`: the tick switches into {} | 1 | {} | {:.0} | (gaps - runs) \
             / 2 over its runs between the other's slices; the slice, (gaps + runs) / 2: {:.0} \
             | {} |",
            report.env,
            report.runs,
            report.switch(),
            report.period(),
            wall(two_run.wall)
        );
    }
    Ok(())
}

/// The `N` environments' reports in a run, in the order of their ids.
fn reports<const N: usize>(run: &Run, what: &str) -> anyhow::Result<[Report; N]> {
    let mut reports: Vec<Report> = run.lines().filter_map(parse).collect();
    reports.sort_by(|a, b| a.env.cmp(&b.env));
    let found = reports.len();
    reports.try_into().ok().with_context(|| {
        format!(
            "{PROGRAM} {what}: {found} report(s) instead of {N} in\n{}",
            run.output
        )
    })
}

/// An environment's report line.
fn parse(line: &str) -> Option<Report> {
    let re = Regex::new(concat!(
        r"^\[([0-9a-f]{8})\] slicebench: (\d+) turns in (\d+) ticks; ",
        r"(\d+) ticks back to me, (\d+) ticks; ",
        r"(\d+) runs, (\d+) ticks, each followed by the other's slice, (\d+) ticks$",
    ))
    .expect("valid regex");
    let c = re.captures(line)?;
    let n = |i: usize| c[i].parse::<u64>().ok();
    Some(Report {
        env: c[1].to_string(),
        turns: n(2)?,
        span: n(3)?,
        ticks: n(4)?,
        tick_gaps: n(5)?,
        runs: n(6)?,
        run_ticks: n(7)?,
        slice_gaps: n(8)?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const LINE: &str = "[00001001] slicebench: 7639810 turns in 200000010 ticks; 5 ticks back \
                        to me, 117941 ticks; 6 runs, 59997469 ticks, each followed by the \
                        other's slice, 60004644 ticks";

    #[test]
    fn parses_a_report() {
        let r = parse(LINE).unwrap();
        assert_eq!(r.env, "00001001");
        assert_eq!((r.turns, r.span), (7639810, 200000010));
        assert_eq!((r.ticks, r.tick_gaps), (5, 117941));
        assert_eq!((r.runs, r.run_ticks, r.slice_gaps), (6, 59997469, 60004644));
        assert_eq!(parse("slicebench: 1 turns in 1 ticks"), None);
        assert_eq!(parse(&LINE.replace("6 runs", "x runs")), None);
    }

    #[test]
    fn derives_the_switch_and_the_period() {
        let r = parse(LINE).unwrap();
        // Gaps are P + c and runs P - c: c = 7175 / 12, P = 120002113 / 12.
        assert_eq!(format!("{:.1}", r.switch()), "597.9");
        assert_eq!(format!("{:.0}", r.period()), "10000176");
        assert_eq!(format!("{:.1}", r.per_tick()), "23588.2");
        assert_eq!(format!("{:.3}", r.per_turn()), "26.179");
    }

    #[test]
    fn collects_the_reports_of_a_run_in_id_order() {
        let other = LINE.replace("00001001", "00001000");
        let run = Run {
            output: format!("{LINE}\r\n[00001000] new env\r\n{other}\r\n"),
            wall: std::time::Duration::ZERO,
        };
        let [a, b] = reports(&run, "twice").unwrap();
        assert_eq!((a.env.as_str(), b.env.as_str()), ("00001000", "00001001"));
        assert!(reports::<1>(&run, "alone").is_err());
    }
}
