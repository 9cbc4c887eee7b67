//! Choosing what runs next.
//!
//! `schedule` gives this CPU an environment to run; when nothing is left to run anywhere, the
//! run is over.
//!
//! Every CPU runs environments now, and picks the next one by the round-robin rule of
//! `roundrobin.rs` (JOS's `sched_yield`). The CPU that finds nothing left anywhere (nothing
//! runnable, running or dying) ends the run; one that only has nothing to do itself is idle.

use core::sync::atomic::{AtomicU64, Ordering};

use abi::NENV;

use crate::cpu;
use crate::cpu::MAX_CPUS;
use crate::env::Env;
use crate::env::{self, EnvGuard, EnvStatus};
use crate::ipi;
use crate::pmem;
use crate::println;
use crate::qemu::{self, ExitCode};
use crate::roundrobin::{self, SlotState};
use crate::shootdown;
use crate::smp;
use crate::tsc;
use crate::vm;

/// Runs the next environment, or ends the run when nothing is runnable.
pub fn schedule(envs: EnvGuard) -> ! {
    let next = roundrobin::pick_next(NENV, |s| slot_state(envs.get(s)), envs.current(), cpu::id());
    match next {
        Some(slot) => env::run(envs, slot),
        None => halt(envs),
    }
}

/// What the round-robin rule needs to know of an environment.
fn slot_state(e: &Env) -> SlotState {
    match e.status {
        EnvStatus::Runnable => SlotState::Runnable,
        EnvStatus::Running { cpu } => SlotState::RunningOn(cpu),
        _ => SlotState::Other,
    }
}

/// Nothing for this CPU to run. When nothing is left to run anywhere, the run is over: the lock
/// goes first, so that the other CPUs can finish what they are doing, and the run ends when they
/// have all halted.
fn halt(envs: EnvGuard) -> ! {
    // Other CPUs still have environments to run (or to free): this one is idle (`smp::idle`)
    // until there is something for it to do. The last CPU ends the run.
    let busy = envs.iter().any(|(_, e)| {
        matches!(
            e.status,
            EnvStatus::Runnable | EnvStatus::Running { .. } | EnvStatus::Dying
        )
    });
    if busy {
        smp::set_idle();
        env::leave_current(envs);
        smp::idle()
    }
    drop(envs);
    smp::wait_for_others_to_halt();
    // The others have halted or sleep; stop them for good, so nothing they do (a tick's wake-up)
    // runs during the report, and count their IPIs as final.
    let stopped = ipi::stop_others();
    println!("SMP: stopped {stopped} other CPU(s)");
    ipi::report();
    shootdown::report();
    report_locks();
    report_runs();
    pmem::report_leaks();
    tsc::report();
    println!("No runnable environments in the system!");
    qemu::exit(ExitCode::Success)
}

/// How many times each CPU has run an environment (`env::run`): with preemption every CPU
/// takes a share of the work, which the end-of-run report shows.
static RUNS: [AtomicU64; MAX_CPUS] = [const { AtomicU64::new(0) }; MAX_CPUS];

/// Counts a run of an environment on this CPU.
pub fn count_run() {
    RUNS[cpu::id()].fetch_add(1, Ordering::Relaxed);
}

/// Prints the counts: `sched: CPU 1 ran environments 117 times`.
fn report_runs() {
    for (cpu, runs) in RUNS.iter().enumerate().take(cpu::count()) {
        println!(
            "sched: CPU {cpu} ran environments {} times",
            runs.load(Ordering::Relaxed)
        );
    }
}

/// Prints each kernel lock's counts (`lockstat.rs`), one line a lock, in the lock order
/// (`spinlock::Rank`): `lock env table: 5210 taken, 12 waited, 340 spins, 80210 ticks
/// waiting`. A chapter that adds a lock adds its counts to this list.
fn report_locks() {
    for lock in [
        env::table_lock_stats(),
        vm::mmio_lock_stats(),
        pmem::lock_stats(),
    ] {
        println!("{lock}");
    }
}
