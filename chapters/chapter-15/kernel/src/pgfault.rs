//! User-level page faults: the kernel hands a page fault to the environment's own handler.
//!
//! An environment registers an *upcall* (`sys_env_set_pgfault_upcall`) and maps a one-page
//! exception stack below `UXSTACKTOP`. On a page fault in user mode the kernel pushes a
//! [`UTrapframe`] (the fault address and error code, and every register, the instruction
//! pointer, the flags and the stack pointer at the time) onto that stack and resumes the
//! environment at the upcall, with the stack pointer at the frame. The upcall (user library,
//! `pfentry.S`) calls the handler and then restores the registers and returns to the faulting
//! instruction itself: the kernel is not involved in the way back.
//!
//! A fault while already on the exception stack (the handler itself faulted) pushes the new
//! frame below the current stack pointer, leaving the 128-byte red zone that x86_64 code may
//! use below its stack pointer, and 8 bytes more that the upcall uses to return.
//!
//! Everything is checked first, and any failure destroys the environment with JOS's message,
//! never the kernel: the upcall must be a mapped, user-accessible, executable address (so the
//! kernel never sends user mode into kernel memory), and the frame's whole extent must be mapped
//! user-writable (a missing exception stack, or one overflowed into the unmapped page below it,
//! fails here). The frame is written through the physical-memory window after that check, so
//! the kernel never faults on the environment's behalf.

use abi::layout::{UTOP, UXSTACKTOP};
use abi::{PGSIZE, RED_ZONE, UTrapframe};

use crate::addr::VirtAddr;
use crate::env::EnvTable;
use crate::pgtable::{self, PteFlags};
use crate::pmem;
use crate::println;
use crate::trapframe::{self, TrapFrame};
use crate::usermem::{BadAddress, UserRange};

/// Handles a page fault at `va` in user mode by environment `cur`, whose registers are in
/// `frame`: delivers it to the environment's handler, or destroys the environment.
pub fn user_page_fault(envs: &mut EnvTable, cur: usize, frame: &TrapFrame, va: u64) {
    let env = envs.get(cur);
    let upcall = env.pgfault_upcall;
    if upcall == 0 {
        println!(
            "[{:08x}] user fault va {:08x} ip {:08x}",
            env.id, va, frame.rip
        );
        trapframe::print_frame(frame);
        envs.destroy(cur);
        return;
    }
    let root = env.root();
    match deliver(envs, cur, frame, va, upcall, root) {
        Ok(()) => {}
        Err(BadAddress(bad)) => {
            println!(
                "[{:08x}] user_mem_check assertion failure for va {bad:08x}",
                envs.get(cur).id
            );
            envs.destroy(cur);
        }
    }
}

/// Where a user trap frame of `size` bytes goes for an environment whose stack pointer was
/// `rsp`: the frame's address on the exception stack.
fn frame_address(rsp: u64, size: u64) -> Result<u64, BadAddress> {
    let on_exception_stack = (UXSTACKTOP - PGSIZE..UXSTACKTOP).contains(&rsp);
    let top = if on_exception_stack {
        // Below the handler's red zone, and a slot for the upcall's return address.
        rsp.checked_sub(RED_ZONE + 8).ok_or(BadAddress(rsp))?
    } else {
        UXSTACKTOP
    };
    // The upcall calls the handler with the frame as its stack: keep it 16-byte aligned.
    Ok((top.checked_sub(size).ok_or(BadAddress(top))?) & !15)
}

/// Pushes the user trap frame and points the environment at its upcall.
fn deliver(
    envs: &mut EnvTable,
    cur: usize,
    frame: &TrapFrame,
    va: u64,
    upcall: u64,
    root: crate::addr::PhysAddr,
) -> Result<(), BadAddress> {
    let size = size_of::<UTrapframe>() as u64;
    let at = frame_address(frame.rsp, size)?;
    let utf = UTrapframe {
        fault_va: va,
        err: frame.err,
        regs: frame.regs,
        rip: frame.rip,
        rflags: frame.rflags,
        rsp: frame.rsp,
    };
    pmem::with(|mem| {
        // The upcall: user memory the environment may execute.
        if upcall >= UTOP {
            return Err(BadAddress(upcall));
        }
        let code = pgtable::lookup(mem, root, VirtAddr::new(upcall & !(PGSIZE - 1)));
        let executable = code.is_some_and(|pte| {
            pte.flags().contains(PteFlags::USER) && !pte.flags().contains(PteFlags::NO_EXECUTE)
        });
        if !executable {
            return Err(BadAddress(upcall));
        }
        // The frame: user memory the environment may write.
        let range = UserRange::new(at, size).check(mem, root, PteFlags::WRITABLE)?;
        range.write(mem, root, as_bytes(&utf));
        Ok(())
    })?;
    let tf = &mut envs.get_mut(cur).tf;
    tf.rsp = at;
    tf.rip = upcall;
    Ok(())
}

/// The bytes of a user trap frame, as the user library reads them.
fn as_bytes(utf: &UTrapframe) -> &[u8] {
    // SAFETY: UTrapframe is `repr(C)` and made of `u64`s only (no padding), so all of its bytes
    // are initialised; the slice borrows `utf`.
    unsafe {
        core::slice::from_raw_parts(
            (utf as *const UTrapframe).cast::<u8>(),
            size_of::<UTrapframe>(),
        )
    }
}

/// Sets environment `id`'s page-fault upcall (the caller or its child).
pub fn sys_env_set_pgfault_upcall(
    envs: &mut EnvTable,
    id: u64,
    upcall: u64,
) -> Result<i64, abi::Error> {
    let slot = envs.lookup(id, true)?;
    envs.get_mut(slot).pgfault_upcall = upcall;
    Ok(0)
}
