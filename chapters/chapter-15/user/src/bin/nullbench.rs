//! A null system call's round trip, for `cargo xtask bench`: [`CALLS`] `sys_getenvid`s in a
//! row, timed with the time-stamp counter: the trap in, the kernel's dispatch, the return to
//! user mode, and nothing else. One untimed call comes first. The program prints the count and
//! the ticks; the benchmark divides.
#![no_std]
#![no_main]

use user::println;
use user::syscall::sys_getenvid;

use user::tsc::rdtsc;

user::main!(umain);

/// The timed calls.
const CALLS: u64 = 1000;

fn umain() {
    sys_getenvid();
    let start = rdtsc();
    for _ in 0..CALLS {
        sys_getenvid();
    }
    let ticks = rdtsc() - start;
    println!("nullbench: {CALLS} calls in {ticks} TSC ticks");
}
