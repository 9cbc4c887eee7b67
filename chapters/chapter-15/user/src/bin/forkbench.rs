//! `user::forkbench`'s work with copy-on-write `fork`, which copies a page only when one side
//! first writes to it.
#![no_std]
#![no_main]

user::main!(umain);

fn umain() {
    user::forkbench::run("fork", user::fork::fork, user::fork::pages_copied);
}
