//! Choosing what runs next.
//!
//! `schedule` gives this CPU an environment to run; when nothing is left to run anywhere, the
//! run is over.
// @{ 6 sched_doc
//!
//! Every CPU runs environments now, and picks the next one by the round-robin rule of
//! `roundrobin.rs` (JOS's `sched_yield`). The CPU that finds nothing left anywhere (nothing
//! runnable, running or dying) ends the run; one that only has nothing to do itself is idle.
// @}

use core::sync::atomic::{AtomicU64, Ordering}; // @10 hidden

use abi::NENV; // @6 hidden

use crate::cpu; // @6 hidden
use crate::cpu::MAX_CPUS; // @10 hidden
use crate::env::Env; // @6 hidden
use crate::env::{self, EnvGuard, EnvStatus};
use crate::ipi; // @12 hidden
use crate::pmem; // @7 hidden
use crate::println;
use crate::qemu::{self, ExitCode};
use crate::roundrobin::{self, SlotState}; // @6 hidden
use crate::shootdown; // @13 hidden
use crate::smp; // @5 hidden
use crate::tsc; // @9 hidden
use crate::vm; // @13 hidden

// @{ schedule
/// Runs the next environment, or ends the run when nothing is runnable.
pub fn schedule(envs: EnvGuard) -> ! {
    //- let next = envs.iter().find(|(_, e)| e.status == EnvStatus::Runnable).map(|(i, _)| i); // @0..6
    let next = roundrobin::pick_next(NENV, |s| slot_state(envs.get(s)), envs.current(), cpu::id()); // @6 sched_pick
    match next {
        Some(slot) => env::run(envs, slot),
        None => halt(envs),
    }
}
// @{ 6 slot_state

/// What the round-robin rule needs to know of an environment.
fn slot_state(e: &Env) -> SlotState {
    match e.status {
        EnvStatus::Runnable => SlotState::Runnable,
        EnvStatus::Running { cpu } => SlotState::RunningOn(cpu),
        _ => SlotState::Other,
    }
}
// @}

/// Nothing for this CPU to run. When nothing is left to run anywhere, the run is over: the lock
/// goes first, so that the other CPUs can finish what they are doing, and the run ends when they
/// have all halted.
fn halt(envs: EnvGuard) -> ! {
    // @{ 6 sched_halt_idle
    // Other CPUs still have environments to run (or to free): this one is idle (`smp::idle`)
    // until there is something for it to do. The last CPU ends the run.
    let busy = envs.iter().any(|(_, e)| {
        matches!(
            e.status,
            EnvStatus::Runnable | EnvStatus::Running { .. } | EnvStatus::Dying
        )
    });
    if busy {
        smp::set_idle(); // @12 sched_set_idle
        env::leave_current(envs);
        //- smp::halt_this_cpu() // @6..10
        smp::idle() // @10 sched_idle
    }
    // @}
    drop(envs);
    smp::wait_for_others_to_halt(); // @5
    // @{ 12 sched_stop_others
    // The others have halted or sleep; stop them for good, so nothing they do (a tick's wake-up)
    // runs during the report, and count their IPIs as final.
    let stopped = ipi::stop_others();
    println!("SMP: stopped {stopped} other CPU(s)");
    ipi::report();
    // @}
    shootdown::report(); // @13 shootdown_report
    report_locks(); // @13 sched_report_locks_call
    report_runs(); // @10 sched_report_runs
    pmem::report_leaks(); // @7 report_leaks
    tsc::report(); // @9 report_time
    println!("No runnable environments in the system!");
    qemu::exit(ExitCode::Success)
}
// @} schedule
// @{ 10 sched_runs

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
// @}
// @{ 13 sched_report_locks

/// Prints each kernel lock's counts (`lockstat.rs`), one line a lock, in the lock order
// @{ 13..14 hidden
//- /// (`spinlock::Rank`): `lock big kernel lock: 5210 taken, 12 waited, 340 spins, 80210 ticks
// @}
// @{ 14 hidden
/// (`spinlock::Rank`): `lock env table: 5210 taken, 12 waited, 340 spins, 80210 ticks
// @}
/// waiting`. A chapter that adds a lock adds its counts to this list.
fn report_locks() {
    for lock in [
        //- env::kernel_lock_stats(), // @13..14
        env::table_lock_stats(), // @14 report_table_lock
        vm::mmio_lock_stats(),
        pmem::lock_stats(),
    ] {
        println!("{lock}");
    }
}
// @}
