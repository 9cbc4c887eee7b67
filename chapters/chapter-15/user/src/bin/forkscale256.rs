//! A fork of a program with 256 pages of heap, for `cargo xtask bench` (see `user::forkscale`).
#![no_std]
#![no_main]

use user::forkscale::{Page, run};

user::main!(umain);

static HEAP: [Page; 256] = [const { Page::zero() }; 256];

fn umain() {
    run(&HEAP);
}
