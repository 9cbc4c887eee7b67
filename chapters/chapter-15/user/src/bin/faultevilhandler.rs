//! A page-fault upcall in the kernel's code (JOS's `user/faultevilhandler.c`).
//!
//! The upcall is 0xffffffff80100000, inside the kernel image. Were the kernel to jump there,
//! it would do so in user mode, which faults again; but it must not try: at the write to
//! address 0 it finds the upcall is no user code and destroys the environment
//! (`user_mem_check assertion failure for va ffffffff80100000`).
#![no_std]
#![no_main]

use core::ptr;

use abi::layout::UXSTACKTOP;
use abi::{PGSIZE, perm};
use user::syscall::{sys_env_set_pgfault_upcall, sys_page_alloc};

user::main!(umain);

/// An address in the kernel's text (the kernel is linked at 0xffffffff80000000 and up).
const KERNEL_TEXT: u64 = 0xffff_ffff_8010_0000;

fn umain() {
    // SAFETY: nothing of the program's lives on the exception-stack page.
    if let Err(e) = unsafe { sys_page_alloc(0, UXSTACKTOP - PGSIZE, perm::P | perm::U | perm::W) } {
        panic!("sys_page_alloc: {e}");
    }
    // SAFETY: deliberately invalid: the address is kernel code, and the kernel is expected to
    // destroy the environment at the first fault rather than run it there.
    if let Err(e) = unsafe { sys_env_set_pgfault_upcall(0, KERNEL_TEXT) } {
        panic!("sys_env_set_pgfault_upcall: {e}");
    }
    // SAFETY: deliberately invalid: nothing is mapped at address 0, so the write faults. A
    // volatile access may name memory outside every Rust allocation, address 0 included.
    unsafe { ptr::write_volatile(ptr::null_mut::<u32>(), 0) };
}
