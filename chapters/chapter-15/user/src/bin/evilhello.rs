//! Asks the kernel to print its own memory (JOS's `user/evilhello.c`).
//!
//! The range lies in the kernel's text, which the kernel can read but the caller cannot. The
//! kernel must check the pointer with the caller's rights, not its own: it reports
//! `user_mem_check assertion failure for va ffffffff80100000` and destroys the environment,
//! printing nothing from kernel memory.
#![no_std]
#![no_main]

use user::syscall::sys_cputs_raw;

user::main!(umain);

/// An address in the kernel's text (the kernel is linked at 0xffff_ffff_8000_0000 + 1 MiB).
const KERNEL_TEXT: usize = 0xffff_ffff_8010_0000;

fn umain() {
    // The environment is destroyed before the call could return an error.
    let _ = sys_cputs_raw(core::ptr::without_provenance(KERNEL_TEXT), 100);
}
