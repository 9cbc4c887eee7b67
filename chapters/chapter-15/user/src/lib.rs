//! The user library: what every user program links with.
//!
//! A program is an environment: the kernel loads its segments, gives it one page of stack below
//! `abi::layout::USTACKTOP` and starts it at `_start` (see [`libmain`]). From there the library
//! runs the function the program named with [`main!`] and destroys the environment when it
//! returns. The rest of the library is what that function needs: the system calls
//! ([`syscall`]), console output ([`print!`], [`println!`]) and a panic handler that reports the
//! panic and exits ([`mod@panic`]).
//!
//! A program looks like this:
//!
//! ```ignore
//! #![no_std]
//! #![no_main]
//!
//! user::main!(umain);
//!
//! fn umain() {
//!     user::println!("hello, world");
//! }
//! ```
#![no_std]
#![forbid(unsafe_op_in_unsafe_fn)]

pub mod console;
pub mod dumbfork;
pub mod fork;
pub mod forkbench;
pub mod forkscale;
pub mod fuzzargs;
pub mod ipc;
pub mod libmain;
pub mod options;
pub mod panic;
pub mod pgfault;
pub mod syscall;
pub mod thread;
pub mod tsc;

pub use libmain::{Program, exit};
