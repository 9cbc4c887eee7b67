//! A tree of environments built with copy-on-write `fork` (JOS's `user/forktree.c`).
//!
//! Each environment has a label, a string of `0`s and `1`s naming its path from the root:
//! it prints `<id>: I am '<label>'` and forks two children, labelled with its own label plus
//! `0` and plus `1`, unless its label is already three long. That makes 15 environments in
//! all. The labels live on the stack, which every child shares copy-on-write with its parent:
//! a child sees its parent's stack as it was at the fork, and neither sees the other's later
//! writes, so each environment prints its own label.
#![no_std]
#![no_main]

use user::fork::fork;
use user::println;
use user::syscall::sys_getenvid;

user::main!(umain);

/// How long labels get: the tree's depth below the root.
const DEPTH: usize = 3;

/// A label: up to [`DEPTH`] ASCII digits.
#[derive(Clone, Copy)]
struct Label {
    digits: [u8; DEPTH],
    len: usize,
}

impl Label {
    fn as_str(&self) -> &str {
        // Only ASCII digits are ever stored.
        core::str::from_utf8(&self.digits[..self.len]).unwrap_or("?")
    }
}

fn forktree(label: Label) {
    println!("{:04x}: I am '{}'", sys_getenvid(), label.as_str());
    forkchild(label, b'0');
    forkchild(label, b'1');
}

fn forkchild(parent: Label, branch: u8) {
    if parent.len >= DEPTH {
        return;
    }
    let mut label = parent;
    label.digits[label.len] = branch;
    label.len += 1;
    match fork() {
        Ok(0) => {
            forktree(label);
            user::exit();
        }
        Ok(_) => {}
        Err(e) => panic!("fork: {e}"),
    }
}

fn umain() {
    forktree(Label {
        digits: [0; DEPTH],
        len: 0,
    });
}
