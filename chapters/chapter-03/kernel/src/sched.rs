//! Choosing what runs next.
//!
//! `schedule` gives this CPU an environment to run; when nothing is left to run anywhere, the
//! run is over.

use crate::env::{self, EnvGuard, EnvStatus};
use crate::println;
use crate::qemu::{self, ExitCode};

/// Runs the next environment, or ends the run when nothing is runnable.
pub fn schedule(envs: EnvGuard) -> ! {
    let next = envs
        .iter()
        .find(|(_, e)| e.status == EnvStatus::Runnable)
        .map(|(i, _)| i);
    match next {
        Some(slot) => env::run(envs, slot),
        None => halt(envs),
    }
}

/// Nothing for this CPU to run. When nothing is left to run anywhere, the run is over: the lock
/// goes first, so that the other CPUs can finish what they are doing, and the run ends when they
/// have all halted.
fn halt(envs: EnvGuard) -> ! {
    drop(envs);
    println!("No runnable environments in the system!");
    qemu::exit(ExitCode::Success)
}
