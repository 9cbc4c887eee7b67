//! A child that never gives up its CPU, and a parent that kills it (JOS's `user/spin.c`).
//!
//! The child loops for ever without a system call. Before preemption, on one CPU, the parent
//! would never run again; with the timer (chapter 10) it gets the CPU back at the child's next
//! tick, yields a few more times to let the child spin, and destroys it.
#![no_std]
#![no_main]

use user::fork::fork;
use user::println;
use user::syscall::{sys_env_destroy, sys_yield};

user::main!(umain);

fn umain() {
    println!("I am the parent.  Forking the child...");
    let child = match fork() {
        Ok(child) => child,
        Err(e) => panic!("fork: {e}"),
    };
    if child == 0 {
        println!("I am the child.  Spinning...");
        loop {
            core::hint::spin_loop();
        }
    }
    println!("I am the parent.  Running the child...");
    for _ in 0..8 {
        sys_yield();
    }
    println!("I am the parent.  Killing the child...");
    if let Err(e) = sys_env_destroy(child) {
        panic!("destroying the child: {e}");
    }
}
