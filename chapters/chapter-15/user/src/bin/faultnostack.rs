//! A page-fault upcall with no exception stack (JOS's `user/faultnostack.c`).
//!
//! The program registers the library's upcall itself, without `set_pgfault_handler`, so no
//! exception stack is mapped below `UXSTACKTOP`; then it writes to address 0. The kernel
//! finds no writable page where the frame would go and destroys the environment, reporting
//! the frame's first address (`user_mem_check assertion failure for va 7f7fffffff60`) rather
//! than faulting itself.
#![no_std]
#![no_main]

use core::ptr;

use user::pgfault::upcall_address;
use user::syscall::sys_env_set_pgfault_upcall;

user::main!(umain);

fn umain() {
    // SAFETY: the upcall is the library's own; the kernel is expected to destroy the
    // environment at the first fault, since no exception stack is mapped for it to run on.
    if let Err(e) = unsafe { sys_env_set_pgfault_upcall(0, upcall_address()) } {
        panic!("sys_env_set_pgfault_upcall: {e}");
    }
    // SAFETY: deliberately invalid: nothing is mapped at address 0, so the write faults. A
    // volatile access may name memory outside every Rust allocation, address 0 included.
    unsafe { ptr::write_volatile(ptr::null_mut::<u32>(), 0) };
}
