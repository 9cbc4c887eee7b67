//! The kernel command line: the words after `-append` on QEMU's command line.
//!
//! A word is the name of a user program to start, one environment each, in order, or, if it
//! holds a `=`, an option for the kernel (`selftest=kstack-overflow`, `preempt=off`: later
//! chapters add them). A kernel ignores options it does not know, so one command line, and one
//! test, works with every chapter's kernel.
#![deny(unsafe_code)]

/// The program names on the command line, in order.
pub fn programs(cmdline: &str) -> impl Iterator<Item = &str> {
    cmdline
        .split_whitespace()
        .filter(|word| !word.contains('='))
}

/// Whether the command line holds the option `option`.
pub fn has_option(cmdline: &str, option: &str) -> bool {
    cmdline.split_whitespace().any(|word| word == option)
}
