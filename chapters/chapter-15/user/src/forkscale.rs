//! How a fork's cost grows, for `cargo xtask bench`: with the size of the program, for the
//! eager copy of `dumbfork`, and with the pages the child writes, for copy-on-write `fork`.
//!
//! The programs `forkscale16`, `forkscale64` and `forkscale256` have a heap of that many pages
//! (an array in their bss, so every page is mapped, and copied or shared by a fork) and call
//! [`run`]. For each number of pages the child writes, in [`WRITES`], and each fork, it forks
//! once: the child writes one word in each of its first pages, reads the time-stamp counter
//! and prints the ticks since just before the fork and the pages it copied; the parent yields
//! (on one CPU the child then runs to its end) and prints the pages it copied itself. The
//! benchmark adds the two.

use core::sync::atomic::{AtomicU64, Ordering};

use abi::{EnvId, Error, PGSIZE};

use crate::println;
use crate::syscall::sys_yield;
use crate::tsc::rdtsc;

/// A page of the heap.
#[repr(align(4096))]
pub struct Page([AtomicU64; PGSIZE as usize / 8]);

impl Page {
    /// A page of zeros (for the programs' `static` heaps).
    pub const fn zero() -> Page {
        Page([const { AtomicU64::new(0) }; PGSIZE as usize / 8])
    }
}

/// The pages the child writes, in turn.
pub const WRITES: [usize; 2] = [1, 16];

/// The forks compared: name, fork, and its count of pages copied in this environment.
type Fork = (&'static str, fn() -> Result<EnvId, Error>, fn() -> u64);
const FORKS: [Fork; 2] = [
    (
        "dumbfork",
        crate::dumbfork::dumbfork,
        crate::dumbfork::pages_copied,
    ),
    ("fork", crate::fork::fork, crate::fork::pages_copied),
];

/// When the current fork began: set by the parent before it forks, read by the child.
static START: AtomicU64 = AtomicU64::new(0);

/// Forks with each fork, and each number of pages written, over `heap`.
pub fn run(heap: &'static [Page]) {
    for writes in WRITES {
        for fork in FORKS {
            round(heap, fork, writes);
        }
    }
}

fn round(heap: &'static [Page], (name, fork, pages_copied): Fork, writes: usize) {
    let pages = heap.len();
    // A write to `START`'s page may copy it (after a copy-on-write fork): before the count.
    START.store(0, Ordering::Relaxed);
    let before = pages_copied();
    START.store(rdtsc(), Ordering::Relaxed);
    match fork() {
        Ok(0) => {
            let own = pages_copied();
            for page in &heap[..writes] {
                page.0[0].store(1, Ordering::Relaxed);
            }
            let ticks = rdtsc() - START.load(Ordering::Relaxed);
            println!(
                "forkscale: {name}, {pages} pages, child writes {writes}: child copied {}, {ticks} \
                 TSC ticks",
                pages_copied() - own
            );
            crate::exit();
        }
        Ok(_) => {
            let copied = pages_copied() - before;
            sys_yield();
            println!(
                "forkscale: {name}, {pages} pages, child writes {writes}: parent copied {copied}"
            );
        }
        Err(e) => panic!("forkscale: {name}: {e}"),
    }
}
