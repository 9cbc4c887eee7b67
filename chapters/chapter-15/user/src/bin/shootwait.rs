//! A TLB shootdown while its target waits for a lock (chapter 14). The main thread maps and
//! unmaps a page again and again, and each unmap asks the other CPUs running this address
//! space to flush it; the other threads make system calls that take the table lock, so that
//! the CPUs asked are often spinning for that lock, interrupts off. Under the big kernel lock
//! the unmapping CPU held the very lock they waited for: only their answering calls while
//! spinning (`crosscall.rs`) saved it from a deadlock. Under the table lock it holds no lock
//! while it waits, so the run ends even with `spinanswer=off`.
#![no_std]
#![no_main]

use core::sync::atomic::{AtomicBool, AtomicU64, Ordering};

use abi::perm;
use user::println;
use user::syscall::{sys_getenvid, sys_page_alloc, sys_page_unmap, sys_yield};
use user::thread::spawn;

user::main!(umain);

/// How many threads make table-lock calls, and the page the main thread maps and unmaps.
const CALLERS: u64 = 2;
const PAGE: u64 = 0x2000_0000;

static STOP: AtomicBool = AtomicBool::new(false);
static RUNNING: AtomicU64 = AtomicU64::new(0);
static CALLS: AtomicU64 = AtomicU64::new(0);

fn umain() {
    let rounds = user::options::number("rounds").unwrap_or(300);
    for n in 0..CALLERS {
        spawn(call, n).expect("spawn");
    }
    while RUNNING.load(Ordering::Acquire) < CALLERS {
        sys_yield();
    }
    for _ in 0..rounds {
        // SAFETY: nothing lives at PAGE: the program never uses it.
        unsafe { sys_page_alloc(0, PAGE, perm::P | perm::U | perm::W) }.expect("page_alloc");
        // SAFETY: as above.
        unsafe { sys_page_unmap(0, PAGE) }.expect("page_unmap");
    }
    STOP.store(true, Ordering::Release);
    while RUNNING.load(Ordering::Acquire) > 0 {
        sys_yield();
    }
    println!(
        "shootwait: {rounds} unmaps while {CALLERS} threads made {} table-lock calls",
        CALLS.load(Ordering::Relaxed)
    );
}

/// A thread: calls into the kernel (a table-lock call) until told to stop.
fn call(_: u64) {
    RUNNING.fetch_add(1, Ordering::AcqRel);
    while !STOP.load(Ordering::Acquire) {
        sys_getenvid();
        CALLS.fetch_add(1, Ordering::Relaxed);
    }
    RUNNING.fetch_sub(1, Ordering::AcqRel);
}
