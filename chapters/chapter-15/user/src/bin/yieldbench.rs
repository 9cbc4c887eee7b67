//! A switch between two environments on one CPU, for `cargo xtask bench`: started twice
//! (`yieldbench yieldbench`), each environment yields [`YIELDS`] times and times the whole with
//! the time-stamp counter. While both run, every `sys_yield` switches to the other, so between
//! two returns of one environment's `sys_yield` lie two switches, and two system calls. One
//! untimed yield comes first, which lets the second environment start. Each prints its count
//! and ticks; the benchmark takes the first environment's line, whose yields all found the
//! other there.
#![no_std]
#![no_main]

use user::println;
use user::syscall::{sys_getenvid, sys_yield};

use user::tsc::rdtsc;

user::main!(umain);

/// The timed yields.
const YIELDS: u64 = 1000;

fn umain() {
    sys_yield();
    let start = rdtsc();
    for _ in 0..YIELDS {
        sys_yield();
    }
    let ticks = rdtsc() - start;
    println!(
        "yieldbench: [{:08x}] {YIELDS} yields in {ticks} TSC ticks",
        sys_getenvid()
    );
}
