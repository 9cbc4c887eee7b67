//! Checks that the kernel loads the bss zeroed and writable, then writes past its end (JOS's
//! `user/testbss.c`).
//!
//! The array is 4 MiB of zeros, so it lives in bss: the ELF file holds no bytes for it and the
//! kernel must allocate and zero 1024 pages. After checking that, the program writes one page
//! past the array's end, where nothing is mapped: a page fault (error code 6: user, write, not
//! present) that must destroy the environment before the panic below runs.
#![no_std]
#![no_main]

use core::ptr;
use core::sync::atomic::{AtomicU32, Ordering::Relaxed};

use user::println;

user::main!(umain);

/// The number of words in the array (4 MiB).
const ARRAY_LEN: usize = 1024 * 1024;

/// The array under test. Atomics make it writable without `static mut`; relaxed accesses
/// compile to plain loads and stores.
static BIG_ARRAY: [AtomicU32; ARRAY_LEN] = [const { AtomicU32::new(0) }; ARRAY_LEN];

fn umain() {
    println!("Making sure bss works right...");
    for (i, word) in BIG_ARRAY.iter().enumerate() {
        let value = word.load(Relaxed);
        assert!(value == 0, "BIG_ARRAY[{i}] isn't cleared ({value:#x})!");
    }
    for (i, word) in (0u32..).zip(BIG_ARRAY.iter()) {
        word.store(i, Relaxed);
    }
    for (i, word) in (0u32..).zip(BIG_ARRAY.iter()) {
        let value = word.load(Relaxed);
        assert!(
            value == i,
            "BIG_ARRAY[{i}] didn't hold its value ({value:#x})!"
        );
    }

    println!("Yes, good.  Now doing a wild write off the end...");
    // One page past the end, as in JOS: past the last page the kernel mapped for the image.
    let wild = BIG_ARRAY
        .as_ptr()
        .cast::<u32>()
        .cast_mut()
        .wrapping_add(ARRAY_LEN + 1024);
    // SAFETY: deliberately invalid: the address lies past the program's image, where nothing is
    // mapped, so the write faults and the kernel is expected to destroy the environment. It is
    // outside every Rust allocation, which a volatile access may name.
    unsafe { ptr::write_volatile(wild, 0) };
    panic!("SHOULD HAVE TRAPPED!!!");
}
