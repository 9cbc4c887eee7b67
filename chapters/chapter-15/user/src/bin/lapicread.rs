//! Tries to read the local APIC's registers from user mode.
//!
//! The kernel maps the APIC in every address space (in the kernel half, at the start of its
//! MMIO window) but without the user bit. The read must be a protection fault (error code 5:
//! user, read, protection) that destroys the environment: a user program that could reach the
//! APIC could send interrupts to any CPU.
#![no_std]
#![no_main]

use core::ptr;

use user::println;

user::main!(umain);

/// The start of the kernel's MMIO window, where the local APIC's registers are mapped.
const LAPIC_WINDOW: usize = 0xffff_ffff_7000_0000;

fn umain() {
    let id_register = (LAPIC_WINDOW + 0x20) as *const u32;
    // SAFETY: deliberately invalid: user mode may not read kernel memory, so the read faults and
    // the kernel is expected to destroy the environment. The address is outside every Rust
    // allocation, which a volatile access may name.
    let id = unsafe { ptr::read_volatile(id_register) };
    println!("I read APIC id register {id:08x}!");
}
