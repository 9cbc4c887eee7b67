//! Passes the kernel a valid pointer with a length that runs off the mapped image (JOS's
//! `user/buggyhello2.c`).
//!
//! The string is mapped, but 1 MiB from its start reaches far past the end of the program's
//! image. The kernel must check the whole range, not just its first byte: it reports the first
//! unmapped address (the page after the image) and destroys the environment, printing nothing.
#![no_std]
#![no_main]

use user::syscall::sys_cputs_raw;

user::main!(umain);

/// A string the program may read; only its first bytes are valid for the length passed.
static HELLO: &str = "hello, world\n";

fn umain() {
    // The environment is destroyed before the call could return an error.
    let _ = sys_cputs_raw(HELLO.as_ptr(), 1024 * 1024);
}
