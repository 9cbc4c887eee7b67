//! Three threads share one address space: each adds to one counter, and the main thread waits
//! until all have finished and checks the total. With separate address spaces (a fork) each
//! would add to its own copy, and the total would stay 0.
#![no_std]
#![no_main]

use core::sync::atomic::{AtomicU64, Ordering};

use user::println;
use user::syscall::{sys_getenvid, sys_yield};
use user::thread::spawn;

user::main!(umain);

/// How many threads, and how much each adds.
const THREADS: u64 = 3;
const ADDS: u64 = 10_000;

/// The shared counter, and how many threads have finished.
static COUNTER: AtomicU64 = AtomicU64::new(0);
static DONE: AtomicU64 = AtomicU64::new(0);

fn umain() {
    println!("threads: main thread {:08x}", sys_getenvid());
    for n in 1..=THREADS {
        if let Err(e) = spawn(add, n) {
            panic!("spawn: {e}");
        }
    }
    while DONE.load(Ordering::Acquire) < THREADS {
        sys_yield();
    }
    let total = COUNTER.load(Ordering::Relaxed);
    println!(
        "threads: {THREADS} threads added {total} to one counter (expected {})",
        THREADS * ADDS
    );
}

/// A thread: adds to the shared counter, yielding now and then so the others get turns.
fn add(n: u64) {
    println!("thread {n} is environment {:08x}", sys_getenvid());
    for i in 0..ADDS {
        COUNTER.fetch_add(1, Ordering::Relaxed);
        if i % 1000 == 0 {
            sys_yield();
        }
    }
    DONE.fetch_add(1, Ordering::Release);
}
