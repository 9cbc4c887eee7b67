//! Writes address 0, which is never mapped (JOS's `user/faultwrite.c`).
//!
//! The write is a user-mode page fault (error code 6: user, write, not present); the kernel
//! reports it and destroys the environment.
#![no_std]
#![no_main]

use core::ptr;

user::main!(umain);

fn umain() {
    let null = ptr::null_mut::<u32>();
    // SAFETY: deliberately invalid: nothing is mapped at address 0, so the write faults and the
    // kernel is expected to destroy the environment. A volatile access may name memory outside
    // every Rust allocation, address 0 included, so the compiler keeps the write as written.
    unsafe { ptr::write_volatile(null, 0) };
}
