//! Which CPU is this?
//!
//! With one CPU, always CPU 0; chapter 2 asks the local APIC instead.
#![deny(unsafe_code)]

use crate::mp;
use crate::mp_result::Smp;
use crate::pmem;
use crate::println;

/// Finds the CPUs in the MP table and says what it found. The table lies in firmware memory
/// below 1 MiB, which the parser reads through [`pmem::read_low_memory`].
pub fn find_cpus() -> Smp {
    let smp = mp::probe(&pmem::read_low_memory);
    for note in smp.notes() {
        println!("SMP: {note}");
    }
    // `smp.cpus()` lists the boot CPU first: it is CPU 0.
    println!("SMP: CPU 0 found {} CPU(s)", smp.cpus().len());
    smp
}

/// The most CPUs the kernel runs: CPU numbers are 0 to `MAX_CPUS - 1`, and processors beyond
/// them stay disabled. Every per-CPU array has this length, fixed at compile time as the kernel
/// has no heap: the MP parser's CPU list, and in later chapters the APIC-id table, the online
/// flags, the per-CPU areas, the GDT's task-state segments and the kernel stacks (two per CPU).
/// Raising it costs that memory; the xAPIC's 8-bit APIC ids cap it at 255.
pub const MAX_CPUS: usize = 8;

/// The index of the CPU running this code.
pub fn id() -> usize {
    0
}
