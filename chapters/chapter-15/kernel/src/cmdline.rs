//! The kernel command line: the words after `-append` on QEMU's command line.
//!
//! A word is the name of a user program to start, one environment each, in order, or, if it
//! holds a `=`, an option for the kernel (`selftest=kstack-overflow`, `preempt=off`: later
//! chapters add them). A kernel ignores options it does not know, so one command line, and one
//! test, works with every chapter's kernel.
#![deny(unsafe_code)]

use core::sync::atomic::{AtomicBool, Ordering};

use crate::println;

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

/// A kernel feature that is on unless the command line holds its option word (`preempt=off`),
/// for comparing a run with and without it. Read once at boot, before the feature is used.
pub struct Switch {
    option: &'static str,
    on: AtomicBool,
}

impl Switch {
    /// A feature turned off by `option`.
    pub const fn new(option: &'static str) -> Switch {
        Switch {
            option,
            on: AtomicBool::new(true),
        }
    }

    /// Turns the feature off if the command line holds the option, saying so: `what`, then
    /// the option in parentheses.
    pub fn read(&self, cmdline: &str, what: &str) {
        if has_option(cmdline, self.option) {
            self.on.store(false, Ordering::Relaxed);
            println!("{what} ({})", self.option);
        }
    }

    /// Whether the feature is on.
    pub fn is_on(&self) -> bool {
        self.on.load(Ordering::Relaxed)
    }
}
