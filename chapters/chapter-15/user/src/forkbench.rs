//! The work `forkbench` and `dumbforkbench` share: one fork, then a few writes, so that
//! `cargo xtask bench` can compare copying at the fork (`dumbfork`) with copying on the first
//! write (copy-on-write `fork`) on exactly the same program.
//!
//! The program has an array of [`ARRAY_PAGES`] pages. It forks; the child writes one word in
//! each of the first [`WRITTEN_PAGES`] pages, reads them back and prints
//! `child wrote N of M pages`. The parent yields once, so that on one CPU the child has run by
//! then, and counts how many of the child's writes it sees in its own array (none: they went to
//! the child's copies). Each environment ends by printing `pages copied: N (...)`: the pages it
//! copied itself, which the fork in use counts.

use core::sync::atomic::{AtomicU64, Ordering};

use abi::{EnvId, Error, PGSIZE};

use crate::println;
use crate::syscall::{sys_getenvid, sys_yield};

/// The size of the array, in pages.
pub const ARRAY_PAGES: usize = 256;
/// How many of them the child writes to.
pub const WRITTEN_PAGES: usize = 64;
/// The words in a page.
const WORDS: usize = PGSIZE as usize / 8;

/// The array: in the program's bss, so every page of it is mapped (and shared or copied by the
/// fork).
#[repr(align(4096))]
struct Pages([AtomicU64; ARRAY_PAGES * WORDS]);

static ARRAY: Pages = Pages([const { AtomicU64::new(0) }; ARRAY_PAGES * WORDS]);

/// The word the child writes in page `page` of the array.
fn word(page: usize) -> &'static AtomicU64 {
    &ARRAY.0[page * WORDS]
}

/// Forks with `fork` (called `name` in messages), does the work, and reports the pages copied
/// as `pages_copied` counts them.
pub fn run(name: &str, fork: fn() -> Result<EnvId, Error>, pages_copied: fn() -> u64) {
    // The child starts with the parent's count as of the fork: count from there.
    let before = pages_copied();
    let role = match fork() {
        Ok(0) => {
            for page in 0..WRITTEN_PAGES {
                word(page).store(page as u64 + 1, Ordering::Relaxed);
            }
            let kept = (0..WRITTEN_PAGES)
                .filter(|&page| word(page).load(Ordering::Relaxed) == page as u64 + 1)
                .count();
            println!("child wrote {kept} of {ARRAY_PAGES} pages");
            "child"
        }
        Ok(_) => {
            sys_yield();
            let seen = (0..WRITTEN_PAGES)
                .filter(|&page| word(page).load(Ordering::Relaxed) != 0)
                .count();
            println!("parent sees {seen} of the child's writes");
            "parent"
        }
        Err(e) => panic!("{name}: {e}"),
    };
    println!(
        "pages copied: {} ({role} {:08x})",
        pages_copied() - before,
        sys_getenvid()
    );
}
