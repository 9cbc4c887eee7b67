//! What a time slice costs, for `cargo xtask bench`: an environment that never calls the kernel
//! reads the time-stamp counter at every turn of its loop, and a jump between two readings is
//! time it did not run.
//!
//! A turn takes a few instructions, so a jump of [`TICK_GAP`] ticks or more is the timer at
//! work. Started alone, the tick comes back to this environment, and each jump is a timer
//! interrupt that resumes it: interrupt, kernel, scheduler, return. Started twice on one CPU
//! (`slicebench slicebench`), each tick gives the CPU to the other, and a jump of
//! [`SLICE_GAP`] or more holds the other's slice. The tick is periodic, with period `P`; let
//! `c` be the cost of a switch *into* this environment (the tick that interrupts the other,
//! the kernel, the return here). A gap then lasts `P + c`: from the tick that interrupts me
//! until the next one, which the other runs up to, plus the switch back. A run between two
//! gaps lasts `P - c`: from my resumption to the next tick. So `c` is half their difference,
//! and no value of `P` is needed. A run counts only between two such gaps (the first began
//! with the program, not with a switch).
//!
//! Each environment stops after [`SPAN`] ticks, or right after its [`SLICES`]th gap: resumed
//! at the start of its slice, it exits long before the next tick, so the other sees no partial
//! slice. It prints one line of raw sums; the benchmark does the arithmetic. The figures mean
//! something on one CPU under `-icount`, where the counter counts this CPU's instructions.
#![no_std]
#![no_main]

use user::println;
use user::syscall::sys_getenvid;

use user::tsc::rdtsc;

user::main!(umain);

/// How long each environment measures, in TSC ticks (under `-icount shift=0`, 0.2 s of
/// virtual time: twenty 10-ms slices).
const SPAN: u64 = 200_000_000;
/// The other's slices each environment waits for, at most.
const SLICES: u64 = 8;
/// A jump between two readings that is the timer's work, not a turn of the loop.
const TICK_GAP: u64 = 500;
/// A jump that holds another environment's slice (a slice is 10 ms, 10 million ticks under
/// `-icount shift=0`).
const SLICE_GAP: u64 = 1_000_000;

/// The sums one environment reports.
#[derive(Default)]
struct Sums {
    /// Turns of the loop.
    turns: u64,
    /// Gaps from `TICK_GAP` to `SLICE_GAP`: ticks that came back to this environment.
    ticks: u64,
    tick_gaps: u64,
    /// Runs between two of the other's slices, and the gap after each.
    runs: u64,
    run_ticks: u64,
    slice_gaps: u64,
}

fn umain() {
    let start = rdtsc();
    let mut prev = start;
    let mut sums = Sums::default();
    let mut slices = 0;
    // When the current run began: the end of the last slice gap.
    let mut resumed = None;
    loop {
        let now = rdtsc();
        sums.turns += 1;
        let gap = now - prev;
        if gap >= SLICE_GAP {
            if let Some(began) = resumed {
                sums.runs += 1;
                sums.run_ticks += prev - began;
                sums.slice_gaps += gap;
            }
            resumed = Some(now);
            slices += 1;
        } else if gap >= TICK_GAP {
            sums.ticks += 1;
            sums.tick_gaps += gap;
        }
        prev = now;
        if slices == SLICES || now - start >= SPAN {
            break;
        }
    }
    println!(
        "[{:08x}] slicebench: {} turns in {} ticks; {} ticks back to me, {} ticks; {} runs, {} \
         ticks, each followed by the other's slice, {} ticks",
        sys_getenvid(),
        sums.turns,
        prev - start,
        sums.ticks,
        sums.tick_gaps,
        sums.runs,
        sums.run_ticks,
        sums.slice_gaps
    );
}
