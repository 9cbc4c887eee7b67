//! Threads: environments that share their creator's address space.
//!
//! `sys_thread_create(entry, stack, arg0, arg1)` makes an environment of its own (registers,
//! id, status, its own turn in the scheduler) in the caller's address space (`aspace.rs`),
//! runnable at once, starting at `entry` with `rsp = stack` and the two arguments in `rdi` and
//! `rsi`. What the thread runs and where its stack is are the program's business, as `fork`'s
//! pages are; the user library's `thread::spawn` sets both up. The thread's parent is the
//! caller, so the caller may destroy it. It has no page-fault upcall of its own: the exception
//! stack is one page at a fixed address (`UXSTACKTOP`) per address space, which two threads
//! faulting at once on two CPUs would share, so a thread that faults is destroyed.

use abi::Error;
use abi::layout::UTOP;

use crate::env::{CreateError, EnvStatus, EnvTable};
use crate::smp;
use crate::syscall::Failure;

/// Creates a thread of the caller (JOS has none; the arguments are ours). Returns its id.
pub fn sys_thread_create(envs: &mut EnvTable, cur: usize, a: [u64; 5]) -> Result<i64, Failure> {
    let [entry, stack, arg0, arg1, _] = a;
    // Anything below UTOP is the thread's own affair (a bad address faults the thread); above
    // it, the return to user mode itself could fault in the kernel (a non-canonical address).
    if entry >= UTOP || stack > UTOP {
        return Err(Error::Inval.into());
    }
    let slot = envs.alloc_thread(cur).map_err(|e| match e {
        CreateError::NoFreeEnv => Error::NoFreeEnv,
        _ => Error::NoMem,
    })?;
    let thread = envs.get_mut(slot);
    thread.tf.rip = entry;
    thread.tf.rsp = stack;
    thread.tf.regs.rdi = arg0;
    thread.tf.regs.rsi = arg1;
    thread.status = EnvStatus::Runnable;
    let id = thread.id;
    smp::wake_an_idle_cpu();
    Ok(i64::from(id))
}
