// @file 11
// @{ ipc_doc
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
// @{ 11..14
//- //! All of it runs under the big kernel lock, so two senders to one receiver are served one at a
//- //! time: one finds it receiving and delivers; the other finds it runnable again and gets
//- //! `-IpcNotRecv`.
// @}
// @{ 14 ipc_doc_table_lock
//! The receiver's status is its IPC state, so it changes under the table lock: two senders to
//! one receiver are served one at a time, and the second finds it no longer receiving
//! (`-IpcNotRecv`). A page is mapped without the table lock (`map_for_receiver`): the receiver
//! is claimed first, so no other sender can deliver to it meanwhile, and it may be destroyed
//! meanwhile, which the sender learns as `-BadEnv`.
// @}
// @{ 11..13
//- //! A receiver is never running on any CPU (it is blocked), so changing its mappings needs no
//- //! TLB flush anywhere: the CPU that next runs it loads its page tables afresh.
// @}
// @{ 13 ipc_doc_threads
//! A receiver is blocked, but from chapter 13 its threads may be running elsewhere in the same
//! address space: a page replaced at the receiver's address is shot down on their CPUs.
// @}
// @} ipc_doc

// @{ 11 hidden
use abi::Error;

use crate::addr::VirtAddr; // @14 hidden
use crate::argcheck;
use crate::env::{self, EnvGuard}; // @14 hidden
use crate::env::{EnvStatus, EnvTable};
use crate::exofork;
//- use crate::pgtable; // @11..14 hidden
use crate::pgtable::{self, PteFlags}; // @14 hidden
use crate::pmem;
use crate::shootdown; // @13 hidden
use crate::smp; // @12 hidden
use crate::syscall::Failure;
// @}

// @{ ipc_recv
/// Blocks the caller until a message arrives (JOS's `sys_ipc_recv`). `dstva`, if below `UTOP`,
/// is where the caller takes a page, if the sender sends one; it must be page-aligned. The
/// result, 0, and the message reach the caller when a sender wakes it.
pub fn sys_ipc_recv(envs: &mut EnvTable, cur: usize, dstva: u64) -> Result<i64, Failure> {
    // @exercise 11 ipc: check dstva and mark the caller as receiving there
    let dstva = argcheck::ipc_page(dstva)?;
    envs.get_mut(cur).status = EnvStatus::Receiving { dstva };
    Ok(0)
    // @} ipc
}
// @}

// @{ ipc_try_send
/// Sends `value` to environment `to` if it is receiving now (JOS's `sys_ipc_try_send`), and,
/// if `srcva` is below `UTOP` and the receiver wants a page, the page mapped there in the
/// caller, with permissions `perm`. Any live environment may be sent to.
//- pub fn sys_ipc_try_send(envs: &mut EnvTable, cur: usize, a: [u64; 5]) -> Result<i64, Failure> { // @11..14
// @{ 14 ipc_send_sig
pub fn sys_ipc_try_send(cur: usize, a: [u64; 5]) -> Result<i64, Failure> {
    // @}
    // @exercise 11 ipc: fail unless the target is receiving; send the page if any, make the receiver runnable with its registers set to 0, the sender, the value and the permissions
    let [to, value, srcva, perm, _] = a;
    let mut envs = env::lock(); // @14 ipc_send_lock
    let target = envs.lookup(to, false)?;
    let EnvStatus::Receiving { dstva } = envs.get(target).status else {
        return Err(Error::IpcNotRecv.into());
    };
    // The page, if any: checked whether or not the receiver wants one, so that a bad argument
    // is an error every time, not only when it would be used.
    let mut sent_perm = 0;
    if let Some(srcva) = argcheck::ipc_page(srcva)? {
        let flags = argcheck::user_perm(perm)?;
        // @{ 11..13
        //- let (src_root, dst_root) = (envs.get(cur).root(), envs.get(target).root());
        //- pmem::with(|mem| {
        //-     let frame = exofork::shareable_frame(mem, src_root, srcva, flags)?;
        //-     if let Some(dstva) = dstva {
        //-         pgtable::insert(mem, dst_root, frame, dstva, flags).map_err(|_| Error::NoMem)?;
        //-         sent_perm = perm;
        //-     }
        //-     Ok::<(), Error>(())
        //- })?;
        // @}
        // @{ 13..14 ipc_shootdown
        //- // The receiver is blocked, but its threads may run on other CPUs with its address
        //- // space loaded: a page replaced at `dstva` is shot down there (`shootdown.rs`).
        //- let src_root = envs.get(cur).root();
        //- let frame = pmem::with(|mem| exofork::shareable_frame(mem, src_root, srcva, flags))?;
        //- if let Some(dstva) = dstva {
        //-     shootdown::change_mapping(envs, target, dstva, |mem, dst_root| {
        //-         pgtable::insert(mem, dst_root, frame, dstva, flags)
        //-     })
        //-     .map_err(|_| Error::NoMem)?;
        //-     sent_perm = perm;
        //- }
        // @}
        // @{ 14 ipc_send_page
        // The page is checked here, whether or not the receiver wants one; it is mapped
        // without the table lock.
        let src_root = envs.get(cur).root();
        pmem::with(|mem| exofork::shareable_frame(mem, src_root, srcva, flags))?;
        if let Some(dstva) = dstva {
            envs = map_for_receiver(envs, cur, target, [srcva, dstva], flags)?;
            sent_perm = perm;
        }
        // @}
    }
    let sender = envs.get(cur).id;
    let receiver = envs.get_mut(target);
    receiver.status = EnvStatus::Runnable;
    let regs = &mut receiver.tf.regs;
    regs.rax = 0;
    regs.rdi = u64::from(sender);
    regs.rsi = value;
    regs.rdx = sent_perm;
    smp::wake_an_idle_cpu(); // @12 ipc_wake
    Ok(0)
    // @} ipc
}
// @}
// @{ 14 map_for_receiver

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
// @}
