//! Gives up the CPU five times, saying where it is each time (JOS's `user/yield.c`, with the
//! CPU as in the courses derived from it).
//!
//! Run several at once (`yield yield yield`): with one CPU the environments take turns, so
//! their lines interleave; with more, an environment may come back on another CPU.
#![no_std]
#![no_main]

use user::println;
use user::syscall::{sys_getcpu, sys_getenvid, sys_yield};

user::main!(umain);

fn umain() {
    let me = sys_getenvid();
    println!("Hello, I am environment {me:08x}, cpu {}.", sys_getcpu());
    for i in 0..5 {
        sys_yield();
        println!(
            "Back in environment {me:08x}, iteration {i}, cpu {}.",
            sys_getcpu()
        );
    }
    println!("All done in environment {me:08x}, cpu {}.", sys_getcpu());
}
