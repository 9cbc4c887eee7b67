//! Writes the kernel's text from user mode (JOS's `user/faultwritekernel.c`).
//!
//! The kernel is mapped in every address space but without the user bit, so the write is a
//! protection fault (error code 7: user, write, protection); the kernel reports it and destroys
//! the environment, with its text untouched.
#![no_std]
#![no_main]

use core::ptr;

user::main!(umain);

/// An address in the kernel's text (the kernel is linked at 0xffff_ffff_8000_0000 + 1 MiB).
const KERNEL_TEXT: usize = 0xffff_ffff_8010_0000;

fn umain() {
    let kernel = KERNEL_TEXT as *mut u32;
    // SAFETY: deliberately invalid: user mode may not write kernel memory, so the write faults
    // and the kernel is expected to destroy the environment. The address is outside every Rust
    // allocation, which a volatile access may name.
    unsafe { ptr::write_volatile(kernel, 0) };
}
