//! `forkbench`'s work with `dumbfork`, which copies every page of the program at the fork.
//!
//! The program has an array of [`ARRAY_PAGES`] pages. It forks with `dumbfork`, which copies
//! the whole program, array included, into the child before it runs; the child then writes one
//! word in each of the first [`WRITTEN_PAGES`] pages, reads them back and prints
//! `child wrote N of M pages`. The parent yields once, so that on one CPU the child has run
//! by then, and counts how many of the child's writes it sees in its own array (none). Each
//! environment ends by printing `pages copied: N (...)`: the pages it copied itself, here all
//! in the parent, at the fork.
#![no_std]
#![no_main]

use core::sync::atomic::{AtomicU64, Ordering};

use abi::PGSIZE;
use user::dumbfork::{dumbfork, pages_copied};
use user::println;
use user::syscall::{sys_getenvid, sys_yield};

user::main!(umain);

/// The size of the array, in pages.
const ARRAY_PAGES: usize = 256;
/// How many of them the child writes to.
const WRITTEN_PAGES: usize = 64;
/// The words in a page.
const WORDS: usize = PGSIZE as usize / 8;

/// The array: in the program's bss, so every page of it is mapped (and copied by `dumbfork`).
#[repr(align(4096))]
struct Pages([AtomicU64; ARRAY_PAGES * WORDS]);

static ARRAY: Pages = Pages([const { AtomicU64::new(0) }; ARRAY_PAGES * WORDS]);

/// The word the child writes in page `page` of the array.
fn word(page: usize) -> &'static AtomicU64 {
    &ARRAY.0[page * WORDS]
}

fn umain() {
    // The child starts with the parent's count as of the fork: count from there.
    let before = pages_copied();
    let role = match dumbfork() {
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
        Err(e) => panic!("dumbfork: {e}"),
    };
    println!(
        "pages copied: {} ({role} {:08x})",
        pages_copied() - before,
        sys_getenvid()
    );
}
