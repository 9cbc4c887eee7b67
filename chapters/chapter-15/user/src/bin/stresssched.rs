//! Twenty environments yield and count, to catch one running on two CPUs at once (JOS's
//! `user/stresssched.c`).
//!
//! The parent forks 20 children and leaves. Each child ten times yields and then adds 1 to its
//! own counter 100,000 times, with a plain load and store: if the kernel ever ran one
//! environment on two CPUs at once, the two would add into the same memory and lose counts, and
//! the total would come out short. Each child then says which CPU it ended on (a matter of
//! chance; the kernel's own count at the end says how often each CPU ran environments).
#![no_std]
#![no_main]

use core::sync::atomic::{AtomicU32, Ordering};

use user::fork::fork;
use user::println;
use user::syscall::{sys_getcpu, sys_getenvid, sys_yield};

user::main!(umain);

/// How many children the parent forks.
const CHILDREN: usize = 20;
/// Rounds of yield-and-count, and the additions in each: ten times JOS's count, so that the
/// children still run when every CPU has started looking for work, even on a busy host.
const ROUNDS: u32 = 10;
const ADDS: u32 = 100_000;

/// Each child's counter (its own copy, after the fork's copy-on-write).
static COUNTER: AtomicU32 = AtomicU32::new(0);

fn umain() {
    for _ in 0..CHILDREN {
        match fork() {
            Ok(0) => return child(),
            Ok(_) => {}
            Err(e) => panic!("fork: {e}"),
        }
    }
    sys_yield();
}

fn child() {
    for _ in 0..ROUNDS {
        sys_yield();
        for _ in 0..ADDS {
            // Not `fetch_add`: a load and a store, which two CPUs running this environment at
            // once would interleave and lose counts with (the check below would see it).
            COUNTER.store(COUNTER.load(Ordering::Relaxed) + 1, Ordering::Relaxed);
        }
    }
    let counter = COUNTER.load(Ordering::Relaxed);
    if counter != ROUNDS * ADDS {
        panic!("ran on two CPUs at once (counter is {counter})");
    }
    println!(
        "[{:08x}] stresssched on CPU {}",
        sys_getenvid(),
        sys_getcpu()
    );
}
