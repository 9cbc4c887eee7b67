//! `user::forkbench`'s work with `dumbfork`, which copies every page of the program, array
//! included, into the child before it runs.
#![no_std]
#![no_main]

user::main!(umain);

fn umain() {
    user::forkbench::run(
        "dumbfork",
        user::dumbfork::dumbfork,
        user::dumbfork::pages_copied,
    );
}
