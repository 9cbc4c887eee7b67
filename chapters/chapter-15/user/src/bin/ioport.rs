//! Tries to use an I/O port from user mode.
//!
//! User programs run with I/O privilege level 0, so the CPU checks every `in` and `out` against
//! the I/O permission bitmap in the CPU's TSS, in which the kernel sets every bit (deny).
//! The write to port 0xf4, QEMU's exit device, must therefore be a general-protection fault
//! that destroys the environment; if it went through, QEMU would stop with exit status 3
//! instead of the kernel's own clean ending.
#![no_std]
#![no_main]

use core::arch::asm;

use user::println;

user::main!(umain);

fn umain() {
    // SAFETY: deliberately invalid: user mode may not touch I/O ports, so the instruction
    // faults and the kernel is expected to destroy the environment. It touches no memory.
    unsafe {
        asm!("outb %al, $0xf4", in("al") 1u8, options(att_syntax, nomem, nostack));
    }
    println!("I wrote to port 0xf4!");
}
