//! Reads the kernel's text from user mode (JOS's `user/faultreadkernel.c`).
//!
//! The kernel is mapped in every address space but without the user bit, so the read is a
//! protection fault (error code 5: user, read, protection); the kernel reports it and destroys
//! the environment, so the line below is never printed.
#![no_std]
#![no_main]

use core::ptr;

use user::println;

user::main!(umain);

/// An address in the kernel's text (the kernel is linked at 0xffff_ffff_8000_0000 + 1 MiB).
const KERNEL_TEXT: usize = 0xffff_ffff_8010_0000;

fn umain() {
    let kernel = KERNEL_TEXT as *const u32;
    // SAFETY: deliberately invalid: user mode may not read kernel memory, so the read faults and
    // the kernel is expected to destroy the environment. The address is outside every Rust
    // allocation, which a volatile access may name.
    let value = unsafe { ptr::read_volatile(kernel) };
    println!("I read {value:08x} from location {KERNEL_TEXT:#x}!");
}
