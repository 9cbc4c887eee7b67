//! A parent and a child built by hand take turns (JOS's `user/dumbfork.c`).
//!
//! The parent makes the child with [`dumbfork`], which copies every page of the parent into
//! it. Both then count, yielding after each line: the parent to 10, printing
//! `N: I am the parent.`, the child to 20, printing `N: I am the child.`. Each sees its own copy
//! of the program's memory, so neither count disturbs the other.
#![no_std]
#![no_main]

use user::dumbfork::dumbfork;
use user::println;
use user::syscall::sys_yield;

user::main!(umain);

fn umain() {
    let who = match dumbfork() {
        Ok(who) => who,
        Err(e) => panic!("dumbfork: {e}"),
    };
    let (lines, name) = if who == 0 {
        (20, "child")
    } else {
        (10, "parent")
    };
    for i in 0..lines {
        println!("{i}: I am the {name}.");
        sys_yield();
    }
}
