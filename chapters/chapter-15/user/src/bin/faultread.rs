//! Reads address 0, which is never mapped (JOS's `user/faultread.c`).
//!
//! The read is a user-mode page fault (error code 4: user, read, not present); with no handler
//! to run, the kernel reports it and destroys the environment, so the line below is never
//! printed.
#![no_std]
#![no_main]

use core::ptr;

use user::println;

user::main!(umain);

fn umain() {
    let null = ptr::null::<u32>();
    // SAFETY: deliberately invalid: nothing is mapped at address 0, so the read faults and the
    // kernel is expected to destroy the environment. A volatile access may name memory outside
    // every Rust allocation, address 0 included, so the compiler keeps the read as written.
    let value = unsafe { ptr::read_volatile(null) };
    println!("I read {value:08x} from location 0!");
}
