//! Loads a selector user mode may not use into `%ds` (JOS's `user/badsegment.c`).
//!
//! 0x28 names GDT entry 5, the task-state segment's descriptor (as in JOS). A system descriptor
//! can never be loaded into a data-segment register, so the `mov` raises a general-protection
//! fault with the selector as its error code (0x28), and the kernel must destroy the
//! environment.
#![no_std]
#![no_main]

use core::arch::asm;

user::main!(umain);

fn umain() {
    // SAFETY: the load is refused (#GP) before `%ds` changes; the kernel is expected to destroy
    // the environment. Even if it succeeded, 64-bit mode ignores `%ds` for addressing.
    unsafe {
        asm!(
            "movw $0x28, %ax",
            "movw %ax, %ds",
            out("ax") _,
            options(att_syntax, nomem, nostack),
        );
    }
}
