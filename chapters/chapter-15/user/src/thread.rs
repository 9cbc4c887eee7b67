//! Threads (chapter 13): [`spawn`] runs a function in a new environment that shares this
//! program's address space, on a stack of its own.
//!
//! Each thread gets one page of stack in [`STACKS_TOP`]'s area, below the main stack, with an
//! unmapped page under it as a guard; stacks are never reused (a program may start
//! [`MAX_THREADS`] threads). A thread ends when its function returns: it destroys its own
//! environment, and the address space goes when its last environment does. Threads share every
//! page, so what they share must be safe to share: atomics, or data behind a lock of the
//! program's own. A thread has no page-fault handler (`sys_thread_create`), so it must not
//! touch a copy-on-write page: a thread in a program that forks dies at its first write to one.

use core::sync::atomic::{AtomicU64, Ordering};

use abi::layout::USTACKTOP;
use abi::{EnvId, Error, PGSIZE, perm};

use crate::syscall::{sys_page_alloc, sys_thread_create};

/// The top of the thread-stack area: 16 pages below the main stack's top, well clear of it.
pub const STACKS_TOP: u64 = USTACKTOP - 16 * PGSIZE;
/// The most threads a program may start.
pub const MAX_THREADS: u64 = 64;

/// Threads started so far (each took the next stack slot).
static STARTED: AtomicU64 = AtomicU64::new(0);

/// Starts a thread running `f(arg)`; returns its environment id.
pub fn spawn(f: fn(u64), arg: u64) -> Result<EnvId, Error> {
    let n = STARTED.fetch_add(1, Ordering::Relaxed);
    if n >= MAX_THREADS {
        return Err(Error::NoFreeEnv);
    }
    // Slot n: a stack page, and the page below it left unmapped as a guard.
    let stack_page = STACKS_TOP - (2 * n + 1) * PGSIZE;
    // SAFETY: the page is slot n of the thread-stack area, which nothing else in the program
    // uses, and this call alone took slot n.
    unsafe { sys_page_alloc(0, stack_page, perm::P | perm::U | perm::W)? };
    let stack = stack_page + PGSIZE - 8;
    // SAFETY: `thread_start` is an extern "sysv64" function of two arguments that never
    // returns; `stack` is the top of the fresh page, less the 8 bytes of a return address;
    // the thread gets `f`, a plain function, and `arg`, a number.
    unsafe {
        sys_thread_create(
            thread_start as *const () as u64,
            stack,
            f as usize as u64,
            arg,
        )
    }
}

/// Where a thread starts: runs `f(arg)`, then ends the thread.
extern "sysv64" fn thread_start(f: u64, arg: u64) -> ! {
    // SAFETY: `spawn` passed a `fn(u64)` as `f`, and the kernel hands the value back unchanged.
    let f: fn(u64) = unsafe { core::mem::transmute::<usize, fn(u64)>(f as usize) };
    f(arg);
    crate::exit()
}
