//! Which CPU is this?
//!
//! With one CPU, always CPU 0; chapter 2 asks the local APIC instead.
#![deny(unsafe_code)]

use crate::mp;
use crate::pmem;
use crate::println;

/// Finds the CPUs in the MP table and says what it found. The table lies in firmware memory
/// below 1 MiB, which the parser reads through [`pmem::read_low_memory`].
pub fn find_cpus() -> mp::Smp {
    let smp = mp::probe(&pmem::read_low_memory);
    for note in smp.notes() {
        println!("SMP: {note}");
    }
    // `smp.cpus()` lists the boot CPU first: it is CPU 0.
    println!("SMP: CPU 0 found {} CPU(s)", smp.cpus().len());
    smp
}

/// The index of the CPU running this code.
pub fn id() -> usize {
    0
}
