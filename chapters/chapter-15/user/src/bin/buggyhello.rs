//! Passes the kernel an unmapped pointer to print (JOS's `user/buggyhello.c`).
//!
//! The kernel must check the range itself: it reports `user_mem_check assertion failure for va
//! 00000001` and destroys the environment, without faulting in kernel mode.
#![no_std]
#![no_main]

use user::syscall::sys_cputs_raw;

user::main!(umain);

fn umain() {
    // The environment is destroyed before the call could return an error.
    let _ = sys_cputs_raw(core::ptr::without_provenance(1), 1);
}
