//! The cost of unmapping a page of an address space that 1, 2 or 4 CPUs have loaded, for `cargo
//! xtask bench`: the main thread starts three threads that spin in user mode (as many run as
//! the machine has other CPUs, with `preempt=off`), then times pairs of `sys_page_alloc` (no
//! shootdown: nothing was mapped) and `sys_page_unmap` (a shootdown to every CPU running a
//! spinner) with the time-stamp counter.
#![no_std]
#![no_main]

use core::hint::spin_loop;
use core::sync::atomic::{AtomicBool, AtomicU64, Ordering};

use abi::perm;
use user::println;
use user::syscall::{sys_page_alloc, sys_page_unmap};
use user::thread::spawn;
use user::tsc::rdtsc;

user::main!(umain);

/// The timed pairs, the spinner threads, and how long the spinners get to start.
const PAIRS: u64 = 1000;
const SPINNERS: u64 = 3;
const SETTLE: u64 = 200_000;
/// The page mapped and unmapped.
const PAGE: u64 = 0x1000_0000;

/// Spinners running, and the order to stop.
static RUNNING: AtomicU64 = AtomicU64::new(0);
static STOP: AtomicBool = AtomicBool::new(false);

fn umain() {
    for _ in 0..SPINNERS {
        spawn(spin, 0).expect("spawn");
    }
    for _ in 0..SETTLE {
        spin_loop();
    }
    let holders = 1 + RUNNING.load(Ordering::Acquire);
    let start = rdtsc();
    for _ in 0..PAIRS {
        // SAFETY: nothing of this program's lives at PAGE.
        unsafe {
            sys_page_alloc(0, PAGE, perm::P | perm::U | perm::W).expect("sys_page_alloc");
            sys_page_unmap(0, PAGE).expect("sys_page_unmap");
        }
    }
    let ticks = rdtsc() - start;
    STOP.store(true, Ordering::Release);
    println!(
        "unmapbench: {PAIRS} page_alloc+page_unmap pairs, address space loaded on {holders} CPU(s): {} TSC ticks per pair",
        ticks / PAIRS
    );
}

/// A spinner: keeps the address space loaded on its CPU until told to stop.
fn spin(_: u64) {
    RUNNING.fetch_add(1, Ordering::AcqRel);
    while !STOP.load(Ordering::Acquire) {
        spin_loop();
    }
}
