//! The run's clock: the time-stamp counter (SDM Vol. 3B, 18.17), read with `rdtsc`.
//!
//! `cargo xtask bench` compares programs by the ticks they take from the first environment's
//! creation to the end of the run, which the kernel prints on its way out.

use core::sync::atomic::{AtomicU64, Ordering};

use crate::println;

/// The time-stamp counter when the first environment was created.
static START: AtomicU64 = AtomicU64::new(0);

/// Starts the run's clock: the time-stamp counter counts from here. Under QEMU's `-icount`
/// (deterministic instruction counting, `cargo xtask bench`) the counter advances with the
/// instructions executed, so the ticks measure work, not the host's load.
pub fn start_clock() {
    START.store(rdtsc(), Ordering::Relaxed);
}

/// Ticks since `start_clock`.
pub fn elapsed_ticks() -> u64 {
    rdtsc().wrapping_sub(START.load(Ordering::Relaxed))
}

/// Says how long the environments ran: the last line `cargo xtask bench` reads.
pub fn report() {
    println!(
        "kernel: the environments ran for {} TSC ticks",
        elapsed_ticks()
    );
}

/// Reads the time-stamp counter.
fn rdtsc() -> u64 {
    // SAFETY: `rdtsc` only reads the counter (CR4.TSD is clear, and this is ring 0).
    unsafe { core::arch::x86_64::_rdtsc() }
}
