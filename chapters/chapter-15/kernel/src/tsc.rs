//! The run's clock: the time-stamp counter (SDM Vol. 3B, 18.17), read with `rdtsc`.
//!
//! `cargo xtask bench` compares programs by the ticks they take from the first environment's
//! creation to the end of the run, which the kernel prints on its way out.

use core::sync::atomic::{AtomicU64, Ordering};

use crate::pit;
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

/// TSC ticks per millisecond, measured by [`calibrate`]; until then a guess (1 GHz), so that a
/// timeout set before it (in a panic at boot) is still a timeout.
static TICKS_PER_MS: AtomicU64 = AtomicU64::new(1_000_000);

/// Measures the TSC's rate against the PIT, once, on the boot CPU, for timeouts: a CPU that
/// waits for another can tell "late" from "never" ([`deadline_ms`]). The TSC is not the wall
/// clock under QEMU (it follows QEMU's virtual clock), so the rate is measured, not assumed.
pub fn calibrate() {
    const MS: u64 = 10;
    let before = rdtsc();
    pit::delay_us(MS * 1000);
    let per_ms = (rdtsc() - before) / MS;
    TICKS_PER_MS.store(per_ms.max(1), Ordering::Relaxed);
}

/// The TSC value `ms` milliseconds from now.
pub fn deadline_ms(ms: u64) -> u64 {
    rdtsc().saturating_add(ms.saturating_mul(TICKS_PER_MS.load(Ordering::Relaxed)))
}

/// Whether the TSC has passed `deadline`.
pub fn passed(deadline: u64) -> bool {
    rdtsc() >= deadline
}

/// TSC ticks now: for timing a stretch of kernel code.
pub fn now() -> u64 {
    rdtsc()
}

/// Reads the time-stamp counter.
fn rdtsc() -> u64 {
    // SAFETY: `rdtsc` only reads the counter (CR4.TSD is clear, and this is ring 0).
    unsafe { core::arch::x86_64::_rdtsc() }
}
