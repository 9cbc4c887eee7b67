//! Divides by zero with the `div` instruction: the hardware raises a divide error (#DE, vector
//! 0), and the kernel must destroy the environment (JOS's `user/divzero.c`).
//!
//! Rust's `/` checks for a zero divisor and panics instead, so the division is written in
//! assembly to make the processor, not the compiler, see the zero.
#![no_std]
#![no_main]

use core::arch::asm;
use core::hint::black_box;

use user::println;

user::main!(umain);

fn umain() {
    let zero: u32 = black_box(0);
    let quotient: u32;
    // SAFETY: `div` only computes on registers. With a zero divisor it raises #DE before
    // writing any; the kernel is expected to destroy the environment, so the line below never
    // runs.
    unsafe {
        asm!(
            "divl {divisor:e}",
            divisor = in(reg) zero,
            inlateout("eax") 1u32 => quotient,
            inlateout("edx") 0u32 => _,
            options(att_syntax, nomem, nostack),
        );
    }
    println!("1/0 is {quotient:08x}!");
}
