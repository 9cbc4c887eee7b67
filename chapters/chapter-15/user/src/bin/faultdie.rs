//! A page-fault handler that reports the fault and ends the environment (JOS's
//! `user/faultdie.c`).
//!
//! The write to 0xdeadbeef, where nothing is mapped, goes to the handler, which prints
//! `i faulted at va deadbeef, err 6` (the error code's low three bits: a write, in user
//! mode, to a page not present) and destroys the environment, so the write never runs again.
#![no_std]
#![no_main]

use core::ptr;

use abi::UTrapframe;
use user::pgfault::set_pgfault_handler;
use user::println;

user::main!(umain);

fn handler(utf: &UTrapframe) {
    println!("i faulted at va {:x}, err {:x}", utf.fault_va, utf.err & 7);
    user::exit();
}

fn umain() {
    set_pgfault_handler(handler);
    let bad = 0xdead_beef as *mut u8;
    // SAFETY: deliberately invalid: nothing is mapped at 0xdeadbeef, so the write faults and
    // the handler ends the environment before it could run again. A volatile access may name
    // memory outside every Rust allocation, so the compiler keeps the write as written.
    unsafe { ptr::write_volatile(bad, 0) };
}
