//! The kernel's pure-logic modules, compiled for the host so their unit tests run there.
//!
//! Each module is the kernel's own source file, included by path: what is tested here is
//! exactly what the kernel runs. A module qualifies when it depends only on `core`, `abi` and
//! the other modules listed here. Run with `cargo test -p host-tests --target <host triple>`
//! (`cargo xtask test` does).
//! Outside tests the crate is `no_std`, as in the kernel, so a module that reaches for `std`
//! by accident fails to build here; the tests themselves may use `std`.
#![cfg_attr(not(test), no_std)]

#[path = "../../kernel/src/acpi.rs"]
pub mod acpi;
#[path = "../../kernel/src/acpi_layout.rs"]
pub mod acpi_layout;
#[path = "../../kernel/src/acpi_result.rs"]
pub mod acpi_result;
#[path = "../../kernel/src/addr.rs"]
pub mod addr;
#[path = "../../kernel/src/argcheck.rs"]
pub mod argcheck;
#[path = "../../kernel/src/aspace.rs"]
pub mod aspace;
#[path = "../../kernel/src/cpuset.rs"]
pub mod cpuset;
#[path = "../../kernel/src/elf.rs"]
pub mod elf;
#[path = "../../kernel/src/envid.rs"]
pub mod envid;
#[path = "../../kernel/src/frame.rs"]
pub mod frame;
#[cfg(test)]
mod fuzz;
#[path = "../../kernel/src/lockstat.rs"]
pub mod lockstat;
#[path = "../../kernel/src/memmap.rs"]
pub mod memmap;
#[path = "../../kernel/src/mp.rs"]
pub mod mp;
#[path = "../../kernel/src/mp_layout.rs"]
pub mod mp_layout;
#[path = "../../kernel/src/mp_result.rs"]
pub mod mp_result;
#[path = "../../kernel/src/pgtable.rs"]
pub mod pgtable;
#[path = "../../kernel/src/roundrobin.rs"]
pub mod roundrobin;
#[path = "../../kernel/src/spinlock.rs"]
pub mod spinlock;
#[path = "../../kernel/src/thiscpu.rs"]
pub mod thiscpu;
#[path = "../../kernel/src/tlbflush.rs"]
pub mod tlbflush;
#[path = "../../kernel/src/usermem.rs"]
pub mod usermem;

/// The host's stand-in for the kernel's `cpu` module, whose `cpu.rs` needs the hardware.
pub mod cpu {
    /// The kernel's limit (`mp.rs` sizes its CPU list by it), as its `cpu.rs` writes it.
    pub const MAX_CPUS: usize = 32;

    /// That `cpu.rs` cannot be compiled here, so a test checks that the two agree.
    #[test]
    fn max_cpus_is_the_kernels() {
        let line = format!("pub const MAX_CPUS: usize = {MAX_CPUS};");
        let cpu_rs = include_str!("../../kernel/src/cpu.rs");
        // The line as the chapter has it, or as kernel-final/ does, with a marker after it.
        let code = |l: &str| {
            l.split(" // @")
                .next()
                .unwrap_or_default()
                .trim()
                .to_string()
        };
        assert!(
            cpu_rs.lines().any(|l| code(l) == line),
            "the kernel's cpu.rs does not say `{line}`"
        );
    }

    /// This thread's CPU number: each thread is a CPU, numbered as it first asks.
    #[cfg(test)]
    pub fn id() -> usize {
        use core::sync::atomic::{AtomicUsize, Ordering};
        static NEXT: AtomicUsize = AtomicUsize::new(0);
        std::thread_local! {
            static ID: usize = NEXT.fetch_add(1, Ordering::Relaxed);
        }
        ID.with(|id| *id)
    }

    /// Outside the tests nothing runs: one CPU.
    #[cfg(not(test))]
    pub fn id() -> usize {
        0
    }

    /// Waiting on the host: let the thread holding the lock run (the test threads may
    /// outnumber the cores, and a ticket lock's next owner may be descheduled).
    #[cfg(test)]
    pub fn relax() {
        std::thread::yield_now();
    }

    /// Outside the tests nothing spins.
    #[cfg(not(test))]
    pub fn relax() {
        core::hint::spin_loop();
    }

    /// The ranks of the locks this thread holds.
    #[cfg(test)]
    pub fn held_ranks() -> u32 {
        HELD_RANKS.with(|r| r.get())
    }

    /// Records the ranks of the locks this thread holds.
    #[cfg(test)]
    pub fn set_held_ranks(ranks: u32) {
        HELD_RANKS.with(|r| r.set(ranks));
    }

    #[cfg(test)]
    std::thread_local! {
        static HELD_RANKS: core::cell::Cell<u32> = const { core::cell::Cell::new(0) };
    }

    /// Outside the tests nothing runs: no locks are held.
    #[cfg(not(test))]
    pub fn held_ranks() -> u32 {
        0
    }

    /// Outside the tests nothing runs.
    #[cfg(not(test))]
    pub fn set_held_ranks(_ranks: u32) {}

    /// Interrupts need no turning off on the host.
    pub struct IrqOff;

    impl IrqOff {
        /// Nothing to turn off.
        pub fn disable() -> IrqOff {
            IrqOff
        }
    }
}

/// The host's stand-in for the kernel's `tsc` module (which needs `rdtsc` and the PIT): the
/// lock statistics time their waits with it.
pub mod tsc {
    /// In the tests, nanoseconds since the first call: a clock that only goes forward.
    #[cfg(test)]
    pub fn now() -> u64 {
        static START: std::sync::OnceLock<std::time::Instant> = std::sync::OnceLock::new();
        START
            .get_or_init(std::time::Instant::now)
            .elapsed()
            .as_nanos() as u64
    }

    /// Outside the tests nothing runs: no time passes.
    #[cfg(not(test))]
    pub fn now() -> u64 {
        0
    }
}
