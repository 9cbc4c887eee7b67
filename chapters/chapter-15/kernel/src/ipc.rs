//! Inter-process communication: a value, and with it perhaps a page, from one environment to
//! another (JOS lab 4, part C).
//!
//! A receiver calls `sys_ipc_recv` and blocks: its status becomes `Receiving`, which records
//! where it wants a page, if it wants one. A sender calls `sys_ipc_try_send`, which succeeds only
//! if the target is receiving at that moment (else `-IpcNotRecv`, and the user library's
//! `ipc_send` yields and tries again). On success the kernel hands over the value, the sender's
//! id and, if both sides asked for a page, maps the sender's page at the receiver's address with
//! the sender's permissions; then it makes the receiver runnable, with the message in its
//! registers (`abi::ipc`). Nothing is queued and nothing is copied: a send is a rendezvous.
//!
//! All of it runs under the big kernel lock, so two senders to one receiver are served one at a
//! time: one finds it receiving and delivers; the other finds it runnable again and gets
//! `-IpcNotRecv`.
//! A receiver is blocked, but from chapter 13 its threads may be running elsewhere in the same
//! address space: a page replaced at the receiver's address is shot down on their CPUs.

use abi::Error;

use crate::argcheck;
use crate::env::{EnvStatus, EnvTable};
use crate::exofork;
use crate::pgtable;
use crate::pmem;
use crate::shootdown;
use crate::smp;
use crate::syscall::Failure;

/// Blocks the caller until a message arrives (JOS's `sys_ipc_recv`). `dstva`, if below `UTOP`,
/// is where the caller takes a page, if the sender sends one; it must be page-aligned. The
/// result, 0, and the message reach the caller when a sender wakes it.
pub fn sys_ipc_recv(envs: &mut EnvTable, cur: usize, dstva: u64) -> Result<i64, Failure> {
    let dstva = argcheck::ipc_page(dstva)?;
    envs.get_mut(cur).status = EnvStatus::Receiving { dstva };
    Ok(0)
}

/// Sends `value` to environment `to` if it is receiving now (JOS's `sys_ipc_try_send`), and,
/// if `srcva` is below `UTOP` and the receiver wants a page, the page mapped there in the
/// caller, with permissions `perm`. Any live environment may be sent to.
pub fn sys_ipc_try_send(envs: &mut EnvTable, cur: usize, a: [u64; 5]) -> Result<i64, Failure> {
    let [to, value, srcva, perm, _] = a;
    let target = envs.lookup(to, false)?;
    let EnvStatus::Receiving { dstva } = envs.get(target).status else {
        return Err(Error::IpcNotRecv.into());
    };
    // The page, if any: checked whether or not the receiver wants one, so that a bad argument
    // is an error every time, not only when it would be used.
    let mut sent_perm = 0;
    if let Some(srcva) = argcheck::ipc_page(srcva)? {
        let flags = argcheck::user_perm(perm)?;
        // The receiver is blocked, but its threads may run on other CPUs with its address
        // space loaded: a page replaced at `dstva` is shot down there (`shootdown.rs`).
        let src_root = envs.get(cur).root();
        let frame = pmem::with(|mem| exofork::shareable_frame(mem, src_root, srcva, flags))?;
        if let Some(dstva) = dstva {
            shootdown::change_mapping(envs, target, dstva, |mem, dst_root| {
                pgtable::insert(mem, dst_root, frame, dstva, flags)
            })
            .map_err(|_| Error::NoMem)?;
            sent_perm = perm;
        }
    }
    let sender = envs.get(cur).id;
    let receiver = envs.get_mut(target);
    receiver.status = EnvStatus::Runnable;
    let regs = &mut receiver.tf.regs;
    regs.rax = 0;
    regs.rdi = u64::from(sender);
    regs.rsi = value;
    regs.rdx = sent_perm;
    smp::wake_an_idle_cpu();
    Ok(0)
}
