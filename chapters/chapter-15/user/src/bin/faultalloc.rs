//! A page-fault handler that fills in memory on demand, and faults itself (JOS's
//! `user/faultalloc.c`).
//!
//! Whatever address faults, the handler maps a page there and writes into it
//! `this string was faulted in at <va>`. The program prints the strings at two addresses where
//! nothing is mapped. The first, 0xdeadbeef, faults once. The second, 0xcafebffe, is two bytes
//! before a page boundary, so the handler's own writes run past the page it just mapped and
//! fault at 0xcafec000: a fault on the exception stack, while the handler runs. The kernel
//! pushes the second frame below the first, the nested handler maps 0xcafec000 and writes its
//! own string there, and the outer handler, resumed, writes over it with the rest of its own.
#![no_std]
#![no_main]

use core::fmt::{self, Write};
use core::ptr;

use abi::{PGSIZE, UTrapframe, perm};
use user::pgfault::set_pgfault_handler;
use user::println;
use user::syscall::sys_page_alloc;

user::main!(umain);

/// The most bytes a string holds here, its terminating zero included (JOS's 100).
const MAX: usize = 100;

/// Writes text to memory at a raw address, a byte at a time, up to `room` bytes.
struct RawText {
    at: *mut u8,
    room: usize,
}

impl Write for RawText {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        for &byte in s.as_bytes() {
            if self.room == 0 {
                break;
            }
            // SAFETY: no Rust object lives at these addresses; a page not mapped yet faults,
            // and the (nested) handler maps it. A volatile write may name memory outside every
            // Rust allocation.
            unsafe { ptr::write_volatile(self.at, byte) };
            self.at = self.at.wrapping_add(1);
            self.room -= 1;
        }
        Ok(())
    }
}

fn handler(utf: &UTrapframe) {
    let va = utf.fault_va;
    println!("fault {va:x}");
    // SAFETY: the page at `va` is not mapped (it faulted), so no Rust object lives there.
    if let Err(e) = unsafe { sys_page_alloc(0, va & !(PGSIZE - 1), perm::P | perm::U | perm::W) } {
        panic!("allocating at {va:x} in page fault handler: {e}");
    }
    let mut text = RawText {
        at: va as *mut u8,
        room: MAX,
    };
    // Writing to RawText never fails; what does not fit is cut off, but everything here fits.
    let _ = write!(text, "this string was faulted in at {va:x}\0");
}

/// Prints the zero-terminated string at `va` (at most `MAX` bytes of it), reading it a byte
/// at a time.
fn print_string_at(va: u64) {
    let mut bytes = [0u8; MAX];
    let mut len = 0;
    while len < MAX {
        // SAFETY: no Rust object lives at these addresses; where nothing is mapped the read
        // faults, and the handler maps a page and fills it. A volatile read may name memory
        // outside every Rust allocation.
        let byte = unsafe { ptr::read_volatile((va + len as u64) as *const u8) };
        if byte == 0 {
            break;
        }
        bytes[len] = byte;
        len += 1;
    }
    match core::str::from_utf8(&bytes[..len]) {
        Ok(s) => println!("{s}"),
        Err(_) => println!("(not text: {:?})", &bytes[..len]),
    }
}

fn umain() {
    set_pgfault_handler(handler);
    print_string_at(0xdead_beef);
    print_string_at(0xcafe_bffe);
}
