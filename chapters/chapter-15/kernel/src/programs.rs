//! The user programs built into the kernel image.
//!
//! `build.rs` builds the `user` crate and writes `programs.rs` into the build directory: one
//! `(name, ELF image)` pair per program, the images embedded with `include_bytes!`.
#![deny(unsafe_code)]

include!(concat!(env!("OUT_DIR"), "/programs.rs"));

/// The image of the program called `name`.
pub fn find(name: &str) -> Option<&'static [u8]> {
    PROGRAMS
        .iter()
        .find(|(n, _)| *n == name)
        .map(|(_, image)| *image)
}

/// The names of all programs, in order.
pub fn names() -> impl Iterator<Item = &'static str> {
    PROGRAMS.iter().map(|(n, _)| *n)
}
