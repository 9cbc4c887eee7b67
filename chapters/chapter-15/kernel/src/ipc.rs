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
//! The receiver's status is its IPC state, so it changes under the table lock: two senders to
//! one receiver are served one at a time, and the second finds it no longer receiving
//! (`-IpcNotRecv`). A page is mapped without the table lock (`map_for_receiver`): the receiver
//! is claimed first, so no other sender can deliver to it meanwhile, and it may be destroyed
//! meanwhile, which the sender learns as `-BadEnv`.
//! A receiver is blocked, but from chapter 13 its threads may be running elsewhere in the same
//! address space: a page replaced at the receiver's address is shot down on their CPUs.

use abi::Error;

use crate::addr::VirtAddr;
use crate::argcheck;
use crate::env::{self, EnvGuard};
use crate::env::{EnvStatus, EnvTable};
use crate::exofork;
use crate::pgtable::{self, PteFlags};
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
pub fn sys_ipc_try_send(cur: usize, a: [u64; 5]) -> Result<i64, Failure> {
    let [to, value, srcva, perm, _] = a;
    let mut envs = env::lock();
    let target = envs.lookup(to, false)?;
    let EnvStatus::Receiving { dstva } = envs.get(target).status else {
        return Err(Error::IpcNotRecv.into());
    };
    // The page, if any: checked whether or not the receiver wants one, so that a bad argument
    // is an error every time, not only when it would be used.
    let mut sent_perm = 0;
    if let Some(srcva) = argcheck::ipc_page(srcva)? {
        let flags = argcheck::user_perm(perm)?;
        // The page is checked here, whether or not the receiver wants one; it is mapped
        // without the table lock.
        let src_root = envs.get(cur).root();
        pmem::with(|mem| exofork::shareable_frame(mem, src_root, srcva, flags))?;
        if let Some(dstva) = dstva {
            envs = map_for_receiver(envs, cur, target, [srcva, dstva], flags)?;
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

/// Maps the sender's page at `srcva` at the receiver's `dstva`, without the table lock, which
/// `envs` holds on entry and the result holds again: the receiver in `target` is claimed (no
/// longer receiving, so no other sender delivers to it) and both address spaces are pinned
/// before the lock goes. Returns `-BadEnv` if the receiver was destroyed (or set runnable by
/// its parent) meanwhile, and gives the claim back if the page could not be mapped.
fn map_for_receiver(
    mut envs: EnvGuard,
    cur: usize,
    target: usize,
    [srcva, dstva]: [VirtAddr; 2],
    flags: PteFlags,
) -> Result<EnvGuard, Failure> {
    let id = envs.get(target).id;
    let (src, dst) = (envs.pin_slot(cur), envs.pin_slot(target));
    envs.get_mut(target).status = EnvStatus::NotRunnable;
    drop(envs);
    // The receiver is blocked, but its threads may run on other CPUs with its address space
    // loaded: a page replaced at `dstva` is shot down there (`shootdown.rs`). The source page
    // is looked up again: a thread of the sender's may have unmapped it since.
    let mapped = shootdown::change_mapping(&dst, dstva, |mem, dst_root| {
        let frame = exofork::shareable_frame(mem, src.root(), srcva, flags)?;
        pgtable::insert(mem, dst_root, frame, dstva, flags).map_err(|_| Error::NoMem)
    });
    drop((src, dst));
    let mut envs = env::lock();
    let receiver = envs.get_mut(target);
    if receiver.id != id || receiver.status != EnvStatus::NotRunnable {
        return Err(Error::BadEnv.into());
    }
    if let Err(e) = mapped {
        receiver.status = EnvStatus::Receiving { dstva: Some(dstva) };
        return Err(e.into());
    }
    Ok(envs)
}
