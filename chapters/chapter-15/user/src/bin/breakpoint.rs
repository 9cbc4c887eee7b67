//! Executes a breakpoint instruction, `int3` (JOS's `user/breakpoint.c`).
//!
//! The breakpoint gate has DPL 3, so user mode reaches the kernel's breakpoint handler (vector
//! 3); with no debugger or monitor to hand it to, the kernel destroys the environment.
#![no_std]
#![no_main]

use core::arch::asm;

user::main!(umain);

fn umain() {
    // SAFETY: `int3` only traps to the kernel; it changes no memory or register here.
    unsafe { asm!("int3", options(att_syntax, nomem, nostack)) };
}
