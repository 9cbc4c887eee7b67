//! Raises vector 14 (page fault) with a software `int` from user mode (JOS's `user/softint.c`).
//!
//! The gate for vector 14 has DPL 0, so user mode may not invoke it with `int`: the processor
//! raises a general-protection fault instead, whose error code names the gate (the SDM gives
//! 0x72, vector 14 with the IDT bit; QEMU's TCG gives 0xe2, the gate's offset 14 * 16 with the
//! IDT bit), and the kernel must destroy the environment rather than run its page-fault handler
//! on a made-up fault.
#![no_std]
#![no_main]

use core::arch::asm;

user::main!(umain);

fn umain() {
    // SAFETY: the `int` is refused (#GP) before the page-fault handler could run; the kernel is
    // expected to destroy the environment. No memory or register is changed.
    unsafe { asm!("int $14", options(att_syntax, nomem, nostack)) };
}
