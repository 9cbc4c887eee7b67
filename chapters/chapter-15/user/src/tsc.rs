//! The time-stamp counter, for the benchmark programs that time themselves. `rdtsc` is
//! inlined, so that a program reads the counter exactly as if it had the instruction itself.

/// The time-stamp counter, which ring 3 may read here (the kernel leaves CR4.TSD clear).
#[inline]
pub fn rdtsc() -> u64 {
    // SAFETY: `rdtsc` only reads the counter.
    unsafe { core::arch::x86_64::_rdtsc() }
}
