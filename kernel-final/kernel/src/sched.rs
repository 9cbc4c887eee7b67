//! Choosing what runs next. With one CPU and no `sys_yield` yet, the rule is simple: run the
//! first runnable environment in the table; when there is none, the run is over.

use crate::env::{self, EnvGuard, EnvStatus};
use crate::println;
// @{ 5 hidden
use crate::smp;
// @}
use crate::qemu::{self, ExitCode};

// @{ schedule
/// Runs the next environment, or ends the run when nothing is runnable.
pub fn schedule(envs: EnvGuard) -> ! {
    let next = envs
        .iter()
        .find(|(_, e)| e.status == EnvStatus::Runnable)
        .map(|(i, _)| i);
    match next {
        Some(slot) => env::run(envs, slot),
        // @{ 0..5
        //- None => {
        //-     println!("No runnable environments in the system!");
        //-     qemu::exit(ExitCode::Success)
        //- }
        // @}
        // @{ 5 sched_halt_call
        None => halt(envs),
        // @}
    }
}
// @{ 5 sched_halt

/// Nothing for this CPU to run: the run is over. The lock goes first, so that the other CPUs
/// can finish what they are doing, and the run ends when they have all halted.
fn halt(envs: EnvGuard) -> ! {
    drop(envs);
    smp::wait_for_others_to_halt();
    println!("No runnable environments in the system!");
    qemu::exit(ExitCode::Success)
}
// @}
// @} schedule
