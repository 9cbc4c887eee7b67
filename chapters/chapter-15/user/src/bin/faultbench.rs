//! A page fault's round trip through the user's handler, for `cargo xtask bench`: the program
//! touches [`PAGES`] pages where nothing is mapped, and its handler maps each (as `faultalloc`
//! does): the fault, the kernel's push of the user trap frame, the upcall, the handler's
//! `sys_page_alloc`, and the upcall's return to the faulting instruction. It then times as
//! many `sys_page_alloc`s alone, at as many fresh pages, so that the benchmark can tell the
//! upcall from the allocation. One untimed fault comes first, which maps the exception stack.
#![no_std]
#![no_main]

use core::ptr;

use abi::{PGSIZE, UTrapframe, perm};
use user::pgfault::set_pgfault_handler;
use user::println;
use user::syscall::sys_page_alloc;

use user::tsc::rdtsc;

user::main!(umain);

/// The timed faults (and allocations).
const PAGES: u64 = 256;
/// Where the faults happen, and where the allocations go: nothing of the program's is there.
const FAULTS_AT: u64 = 0x1000_0000;
const ALLOCS_AT: u64 = 0x2000_0000;

fn umain() {
    set_pgfault_handler(handler);
    touch(FAULTS_AT);
    let start = rdtsc();
    for page in 1..=PAGES {
        touch(FAULTS_AT + page * PGSIZE);
    }
    let faults = rdtsc() - start;
    let start = rdtsc();
    for page in 0..PAGES {
        alloc(ALLOCS_AT + page * PGSIZE);
    }
    let allocs = rdtsc() - start;
    println!("faultbench: {PAGES} faults in {faults} TSC ticks");
    println!("faultbench: {PAGES} page allocs in {allocs} TSC ticks");
}

/// Writes a word at `va`, which faults if nothing is mapped there.
fn touch(va: u64) {
    // SAFETY: no Rust object lives in the two regions above; a page not mapped yet faults, and
    // the handler maps it. A volatile write may name memory outside every Rust allocation.
    unsafe { ptr::write_volatile(va as *mut u64, va) };
}

fn handler(utf: &UTrapframe) {
    alloc(utf.fault_va & !(PGSIZE - 1));
}

fn alloc(va: u64) {
    // SAFETY: nothing is mapped at `va` yet, so no Rust object lives there.
    if let Err(e) = unsafe { sys_page_alloc(0, va, perm::P | perm::U | perm::W) } {
        panic!("faultbench: allocating at {va:#x}: {e}");
    }
}
