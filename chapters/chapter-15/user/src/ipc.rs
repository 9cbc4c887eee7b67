//! Messages between environments (JOS's `lib/ipc.c`): [`ipc_send`] tries until the receiver is
//! waiting, yielding in between; [`ipc_recv`] blocks until a message arrives.
//!
//! Sending or receiving a value touches no memory, so those calls are safe. A page is another
//! matter: a sent page becomes shared with the receiver, and a received one replaces whatever
//! the receiver had mapped at its address, so the page forms are `unsafe`, with the conditions
//! of `sys_page_map` and `sys_page_alloc`.

use core::arch::asm;

use abi::ipc::NO_PAGE;
use abi::{EnvId, Error, Syscall};

use crate::syscall::{check, sys_yield};

/// A message as it arrives.
#[derive(Clone, Copy, Debug)]
pub struct Message {
    /// Who sent it.
    pub from: EnvId,
    /// The value.
    pub value: u64,
    /// The permissions of the page mapped at the receiver's address, or 0 if no page came.
    pub perm: u64,
}

/// Sends `value` to environment `to`, waiting (yielding) until it is receiving. An error other
/// than "not receiving" (`BadEnv` for an environment that does not exist or has gone) comes
/// back to the caller.
pub fn ipc_send(to: EnvId, value: u64) -> Result<(), Error> {
    // SAFETY: no page goes with the message.
    unsafe { send(to, value, NO_PAGE, 0) }
}

/// Sends `value` and the page mapped at `page` (with permissions `perm`) to `to`, as
/// [`ipc_send`]; the page is mapped at the address the receiver chose, if it chose one.
///
/// # Safety
///
/// The page becomes shared with the receiver: the conditions of `sys_page_map` hold for it.
pub unsafe fn ipc_send_page(to: EnvId, value: u64, page: u64, perm: u64) -> Result<(), Error> {
    // SAFETY: passed on to the caller (see # Safety).
    unsafe { send(to, value, page, perm) }
}

/// Tries to send until the receiver is waiting.
///
/// # Safety
///
/// As for [`ipc_send_page`] when `page` is below `UTOP`.
unsafe fn send(to: EnvId, value: u64, page: u64, perm: u64) -> Result<(), Error> {
    loop {
        // SAFETY: the kernel only reads the arguments and maps the page for the receiver,
        // which the caller allows (see # Safety).
        let result = unsafe {
            crate::syscall::syscall(Syscall::IpcTrySend, u64::from(to), value, page, perm, 0)
        };
        match check(result) {
            Err(Error::IpcNotRecv) => sys_yield(),
            other => return other.map(|_| ()),
        }
    }
}

/// Waits for a message with no page.
pub fn ipc_recv() -> Result<Message, Error> {
    // SAFETY: no page is offered, so nothing of the caller's is replaced.
    unsafe { recv(NO_PAGE) }
}

/// Waits for a message, offering `page` (page-aligned, below `UTOP`) as the address where a
/// page sent with it is mapped.
///
/// # Safety
///
/// A page sent with the message replaces whatever was mapped at `page`: the conditions of
/// `sys_page_alloc` hold for it.
pub unsafe fn ipc_recv_page(page: u64) -> Result<Message, Error> {
    // SAFETY: passed on to the caller (see # Safety).
    unsafe { recv(page) }
}

/// `sys_ipc_recv`: blocks until a sender wakes this environment with the message in `rdi`,
/// `rsi` and `rdx` (`abi::ipc`).
///
/// # Safety
///
/// As for [`ipc_recv_page`] when `page` is below `UTOP`.
unsafe fn recv(page: u64) -> Result<Message, Error> {
    let (result, from, value, perm): (i64, u64, u64, u64);
    // SAFETY: `int $0x30` enters the kernel and comes back with `rax` and, on success, the
    // message registers set, and the other argument registers declared clobbered; the page the
    // kernel may map is the caller's to allow (see # Safety).
    unsafe {
        asm!(
            "int ${vector}",
            vector = const abi::SYSCALL_VECTOR,
            inlateout("rax") Syscall::IpcRecv as u64 => result,
            inlateout("rdi") page => from,
            lateout("rsi") value,
            lateout("rdx") perm,
            lateout("rcx") _,
            lateout("r8") _,
            options(att_syntax),
        );
    }
    check(result)?;
    Ok(Message {
        // An environment id is 32 bits wide.
        from: from as EnvId,
        value,
        perm,
    })
}
