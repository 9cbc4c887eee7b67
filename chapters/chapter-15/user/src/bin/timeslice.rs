//! Two environments that never yield share one CPU: the timer gives it to each in turn.
//!
//! The parent forks a child and shares one page with it. Then each counts in its own word of
//! the page, never calling the kernel, and watches the other's word. On one CPU the other's
//! count can move only while this environment is not running, so each change it sees is a time
//! slice the timer took from it and gave to the other. Each stops when it has seen [`SLICES`]
//! of them (or the other has finished) and says how many it saw. Without preemption the first
//! one to run would count for ever.
#![no_std]
#![no_main]

use core::sync::atomic::{AtomicU64, Ordering};

use abi::perm;
use user::fork::{fork, pte};
use user::println;
use user::syscall::{sys_getenvid, sys_page_alloc, sys_page_map};

user::main!(umain);

/// Where the shared page goes: an address nothing else in the program uses.
const SHARED: u64 = 0x0e00_0000;
/// How many of the other's time slices each waits to see.
const SLICES: u32 = 3;

/// The shared page: each environment's count, and whether it has finished.
#[repr(C)]
struct Shared {
    count: [AtomicU64; 2],
    done: [AtomicU64; 2],
}

fn umain() {
    let child = match fork() {
        Ok(child) => child,
        Err(e) => panic!("fork: {e}"),
    };
    if child != 0 {
        let rw = perm::P | perm::U | perm::W;
        // SAFETY: nothing of either environment lives at SHARED, and every access to the page
        // is atomic. The child has not run yet on one CPU, and does not touch the page before
        // it is mapped (below).
        let mapped = unsafe {
            sys_page_alloc(0, SHARED, rw).and_then(|()| sys_page_map(0, SHARED, child, SHARED, rw))
        };
        if let Err(e) = mapped {
            panic!("sharing a page with the child: {e}");
        }
    } else {
        // Spin (never yield: that is the point) until the parent has mapped the page here.
        while pte(SHARED).is_none() {
            core::hint::spin_loop();
        }
    }
    // SAFETY: the page is mapped at SHARED in both environments, zeroed at first, and a
    // `Shared` is atomics only, valid in any state and shared soundly.
    let shared = unsafe { &*(SHARED as *const Shared) };
    let (me, other) = if child == 0 { (1, 0) } else { (0, 1) };
    let mut seen = shared.count[other].load(Ordering::Relaxed);
    let mut slices = 0;
    while slices < SLICES && shared.done[other].load(Ordering::Relaxed) == 0 {
        shared.count[me].fetch_add(1, Ordering::Relaxed);
        let now = shared.count[other].load(Ordering::Relaxed);
        if now != seen {
            slices += 1;
            seen = now;
        }
    }
    shared.done[me].store(1, Ordering::Relaxed);
    println!(
        "[{:08x}] timeslice: the other environment ran {slices} times while I never yielded",
        sys_getenvid()
    );
}
