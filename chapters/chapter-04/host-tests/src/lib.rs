//! The kernel's pure-logic modules, compiled for the host so their unit tests run there.
//!
//! Each module is the kernel's own source file, included by path: what is tested here is
//! exactly what the kernel runs. A module qualifies when it depends only on `core`, `abi` and
//! the other modules listed here. Run with `cargo test -p host-tests --target <host triple>`
//! (`cargo xtask test` does).
//! Outside tests the crate is `no_std`, as in the kernel, so a module that reaches for `std`
//! by accident fails to build here; the tests themselves may use `std`.
#![cfg_attr(not(test), no_std)]

#[path = "../../kernel/src/addr.rs"]
pub mod addr;
#[path = "../../kernel/src/elf.rs"]
pub mod elf;
#[path = "../../kernel/src/envid.rs"]
pub mod envid;
#[path = "../../kernel/src/frame.rs"]
pub mod frame;
#[path = "../../kernel/src/memmap.rs"]
pub mod memmap;
#[path = "../../kernel/src/mp.rs"]
pub mod mp;
#[path = "../../kernel/src/pgtable.rs"]
pub mod pgtable;
#[path = "../../kernel/src/thiscpu.rs"]
pub mod thiscpu;
#[path = "../../kernel/src/usermem.rs"]
pub mod usermem;
