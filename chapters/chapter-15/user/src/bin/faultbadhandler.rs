//! A page-fault upcall at an address where nothing is mapped (JOS's
//! `user/faultbadhandler.c`).
//!
//! The exception stack is there, but the upcall is 0xdeadbeef. At the write to address 0 the
//! kernel finds no user code at the upcall and destroys the environment
//! (`user_mem_check assertion failure for va deadbeef`) instead of sending it there, where it
//! would only fault again, and again, until its exception stack overflowed.
#![no_std]
#![no_main]

use core::ptr;

use abi::layout::UXSTACKTOP;
use abi::{PGSIZE, perm};
use user::syscall::{sys_env_set_pgfault_upcall, sys_page_alloc};

user::main!(umain);

fn umain() {
    // SAFETY: nothing of the program's lives on the exception-stack page.
    if let Err(e) = unsafe { sys_page_alloc(0, UXSTACKTOP - PGSIZE, perm::P | perm::U | perm::W) } {
        panic!("sys_page_alloc: {e}");
    }
    // SAFETY: deliberately invalid: nothing is mapped at 0xdeadbeef, and the kernel is
    // expected to destroy the environment at the first fault rather than run it there.
    if let Err(e) = unsafe { sys_env_set_pgfault_upcall(0, 0xdead_beef) } {
        panic!("sys_env_set_pgfault_upcall: {e}");
    }
    // SAFETY: deliberately invalid: nothing is mapped at address 0, so the write faults. A
    // volatile access may name memory outside every Rust allocation, address 0 included.
    unsafe { ptr::write_volatile(ptr::null_mut::<u32>(), 0) };
}
