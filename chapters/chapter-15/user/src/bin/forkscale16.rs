//! A fork of a program with 16 pages of heap, for `cargo xtask bench` (see `user::forkscale`).
#![no_std]
#![no_main]

use user::forkscale::{Page, run};

user::main!(umain);

static HEAP: [Page; 16] = [const { Page::zero() }; 16];

fn umain() {
    run(&HEAP);
}
