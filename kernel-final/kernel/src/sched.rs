//! Choosing what runs next.
//!
// @{ 0..6
//- //! With one CPU and no `sys_yield` yet, the rule is simple: run the first runnable environment
//- //! in the table; when there is none, the run is over.
// @}
// @{ 6 sched_doc
//! Every CPU runs environments now, and picks the next one by the round-robin rule of
// @{ 6..10
//- //! `roundrobin.rs` (JOS's `sched_yield`). A CPU that finds nothing to run halts for good; the
//- //! CPU that finds nothing left anywhere (nothing runnable, running or dying) ends the run.
// @}
// @{ 10 sched_doc_idle
//! `roundrobin.rs` (JOS's `sched_yield`). A CPU that finds nothing to run sleeps until its next
//! tick and looks again; the CPU that finds nothing left anywhere (nothing runnable, running
//! or dying) ends the run.
// @}
// @}

// @{ sched_uses
// @{ 6 hidden
use abi::NENV;

use crate::cpu;
// @}
//- use crate::env::{self, EnvGuard, EnvStatus}; // @0..6
use crate::env::{self, Env, EnvGuard, EnvStatus}; // @6 hidden
use crate::pmem; // @7 hidden
use crate::println;
use crate::qemu::{self, ExitCode};
use crate::roundrobin::{self, SlotState}; // @6 hidden
use crate::tsc; // @9 hidden
// @} sched_uses
use crate::smp; // @5 hidden

// @{ schedule
/// Runs the next environment, or ends the run when nothing is runnable.
pub fn schedule(envs: EnvGuard) -> ! {
    // @{ 0..6
    //- let next = envs
    //-     .iter()
    //-     .find(|(_, e)| e.status == EnvStatus::Runnable)
    //-     .map(|(i, _)| i);
    // @}
    let next = roundrobin::pick_next(NENV, |s| slot_state(envs.get(s)), envs.current(), cpu::id()); // @6 sched_pick
    match next {
        Some(slot) => env::run(envs, slot),
        // @{ 0..5
        //- None => {
        //-     println!("No runnable environments in the system!");
        //-     qemu::exit(ExitCode::Success)
        //- }
        // @}
        None => halt(envs), // @5 sched_halt_call
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
// @{ 5 sched_halt

/// Nothing for this CPU to run. When nothing is left to run anywhere, the run is over: the lock
/// goes first, so that the other CPUs can finish what they are doing, and the run ends when they
/// have all halted.
fn halt(envs: EnvGuard) -> ! {
    // @{ 6 sched_halt_idle
    // @{ sched_idle
    // @{ 6..10
    //- // Other CPUs still have environments to run (or to free): this one is idle, and halts
    //- // for good (there is no timer or IPI to wake it yet). The last CPU ends the run.
    // @}
    // @{ 10
    // Other CPUs still have environments to run (or to free): this one is idle until its next
    // tick, and then looks again. The last CPU ends the run.
    // @}
    let busy = envs.iter().any(|(_, e)| {
        matches!(
            e.status,
            EnvStatus::Runnable | EnvStatus::Running { .. } | EnvStatus::Dying
        )
    });
    if busy {
        drop(envs);
        // @{ 6..10
        //- smp::halt_this_cpu()
        // @}
        smp::idle() // @10
    }
    // @} sched_idle
    // @}
    drop(envs);
    smp::wait_for_others_to_halt();
    pmem::report_leaks(); // @7 report_leaks
    // @{ 9 report_time
    println!(
        "kernel: the environments ran for {} TSC ticks",
        tsc::elapsed_ticks()
    );
    // @}
    println!("No runnable environments in the system!");
    qemu::exit(ExitCode::Success)
}
// @}
// @} schedule
