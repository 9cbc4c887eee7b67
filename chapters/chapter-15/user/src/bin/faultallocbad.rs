//! A page-fault handler must not make the kernel's pointer checks any weaker (JOS's
//! `user/faultallocbad.c`).
//!
//! The handler, like `faultalloc`'s, maps whatever page faulted. But the bad address here goes
//! straight to `sys_cputs`: the kernel checks the range itself, finds nothing mapped at
//! 0xdeadbeef and destroys the environment (`user_mem_check assertion failure for va
//! deadbeef`). The handler never runs: a bad pointer handed to the kernel is the caller's
//! error, not a page fault of the caller's, and the kernel never faults on it.
#![no_std]
#![no_main]

use abi::{PGSIZE, UTrapframe, perm};
use user::pgfault::set_pgfault_handler;
use user::println;
use user::syscall::{sys_cputs_raw, sys_page_alloc};

user::main!(umain);

fn handler(utf: &UTrapframe) {
    let va = utf.fault_va;
    println!("fault {va:x}");
    // SAFETY: the page at `va` is not mapped (it faulted), so no Rust object lives there.
    if let Err(e) = unsafe { sys_page_alloc(0, va & !(PGSIZE - 1), perm::P | perm::U | perm::W) } {
        panic!("allocating at {va:x} in page fault handler: {e}");
    }
}

fn umain() {
    set_pgfault_handler(handler);
    // The kernel must catch this itself: the handler never runs.
    let _ = sys_cputs_raw(0xdead_beef as *const u8, 4);
}
