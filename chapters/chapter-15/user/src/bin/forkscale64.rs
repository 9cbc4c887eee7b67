//! A fork of a program with 64 pages of heap, for `cargo xtask bench` (see `user::forkscale`).
#![no_std]
#![no_main]

use user::forkscale::{Page, run};

user::main!(umain);

static HEAP: [Page; 64] = [const { Page::zero() }; 64];

fn umain() {
    run(&HEAP);
}
