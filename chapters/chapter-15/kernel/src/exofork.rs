//! The exokernel system calls: user space builds new environments out of these (JOS lab 4,
//! part A). `exofork` makes a blank child with a copy of the caller's registers; the page calls
//! fill its address space; `env_set_status` lets it run.
//!
//! Every call names its environments by id, and may act only on the caller itself or on the
//! caller's children (`EnvTable::lookup` with the permission check). Every page address and
//! permission is checked first (`argcheck.rs`), so a refused call changes nothing. A call that
//! runs out of memory gives back what it took before returning `-NoMem`.
//!
//! TLB consistency: an address space may be loaded on several CPUs at once (its threads run
//! there), and each may cache its translations. The page calls change mappings through
//! `shootdown::change_mapping`, which makes every other CPU with the space loaded forget the old
//! translation before the call returns and before the old page may be freed.

use abi::{EnvStatusArg, Error};

use crate::addr::{PhysAddr, VirtAddr};
use crate::argcheck;
use crate::cpu;
use crate::env;
use crate::env::{CreateError, EnvStatus, EnvTable};
use crate::pgtable::{self, Memory, PteFlags};
use crate::pmem::KernelMemory;
use crate::shootdown;
use crate::smp;
use crate::syscall::Failure;

/// The environment `id` names, if the caller may change its status now: not while it runs on
/// another CPU, where the scheduler relies on its status saying so.
fn target(envs: &EnvTable, id: u64) -> Result<usize, Error> {
    let slot = envs.lookup(id, true)?;
    match envs.get(slot).status {
        EnvStatus::Running { cpu } if cpu != cpu::id() => Err(Error::BadEnv),
        _ => Ok(slot),
    }
}

/// Creates a child: a new environment, not runnable, with the caller's registers (so it resumes
/// where the caller called from) and an empty address space. It returns the child's id to the
/// caller and, once it runs, 0 to the child.
pub fn sys_exofork(envs: &mut EnvTable, cur: usize) -> Result<i64, Failure> {
    let parent = envs.get(cur).id;
    let child = envs.alloc(parent).map_err(|e| match e {
        CreateError::NoFreeEnv => Error::NoFreeEnv,
        _ => Error::NoMem,
    })?;
    let mut tf = envs.get(cur).tf;
    tf.regs.rax = 0;
    envs.get_mut(child).tf = tf;
    Ok(i64::from(envs.get(child).id))
}

/// Makes environment `id` runnable or not runnable.
pub fn sys_env_set_status(envs: &mut EnvTable, id: u64, status: u64) -> Result<i64, Failure> {
    let status = match status {
        s if s == EnvStatusArg::Runnable as u64 => EnvStatus::Runnable,
        s if s == EnvStatusArg::NotRunnable as u64 => EnvStatus::NotRunnable,
        _ => return Err(Error::Inval.into()),
    };
    let slot = target(envs, id)?;
    envs.get_mut(slot).status = status;
    if status == EnvStatus::Runnable {
        smp::wake_an_idle_cpu();
    }
    Ok(0)
}

/// Maps a fresh zeroed page at `va` in environment `id`, replacing what was there.
pub fn sys_page_alloc(id: u64, va: u64, perm: u64) -> Result<i64, Failure> {
    let (va, flags) = (argcheck::user_page(va)?, argcheck::user_perm(perm)?);
    // The table lock only for finding and pinning the space; the page is zeroed and mapped
    // without it.
    let pin = env::lock().pin_space(id)?;
    shootdown::change_mapping(&pin, va, |mem, root| {
        let frame = mem.alloc_zeroed().ok_or(Error::NoMem)?;
        let mapped = pgtable::insert(mem, root, frame, va, flags);
        // The mapping holds its own reference; the allocation's goes (freeing the page if the
        // mapping failed).
        mem.decref(frame);
        mapped.map_err(|_| Error::NoMem)?;
        Ok(0)
    })
}

/// Maps the page at `srcva` in environment `src` at `dstva` in environment `dst`: both share
/// the page from now on. A read-only page may not become writable this way.
pub fn sys_page_map(a: [u64; 5]) -> Result<i64, Failure> {
    let [src, srcva, dst, dstva, perm] = a;
    let (srcva, dstva) = (argcheck::user_page(srcva)?, argcheck::user_page(dstva)?);
    let flags = argcheck::user_perm(perm)?;
    // Both spaces pinned, one statement each: a pin must never be dropped (which takes the
    // table lock) while the lock is held.
    let src = env::lock().pin_space(src)?;
    let dst = env::lock().pin_space(dst)?;
    shootdown::change_mapping(&dst, dstva, |mem, dst_root| {
        let src_root = src.root();
        let frame = shareable_frame(mem, src_root, srcva, flags)?;
        pgtable::insert(mem, dst_root, frame, dstva, flags).map_err(|_| Error::NoMem)?;
        Ok(0)
    })
}

/// The frame mapped at `va` in the address space `root`, if it may be mapped elsewhere with
/// `flags`: a user page, and a writable one if `flags` asks for writing.
pub fn shareable_frame(
    mem: &mut KernelMemory,
    root: PhysAddr,
    va: VirtAddr,
    flags: PteFlags,
) -> Result<PhysAddr, Error> {
    let pte = pgtable::lookup(mem, root, va).ok_or(Error::Inval)?;
    if !pte.flags().contains(PteFlags::USER) {
        return Err(Error::Inval);
    }
    if flags.contains(PteFlags::WRITABLE) && !pte.flags().contains(PteFlags::WRITABLE) {
        return Err(Error::Inval);
    }
    Ok(pte.addr())
}

/// Unmaps the page at `va` in environment `id`, if anything is mapped there.
pub fn sys_page_unmap(id: u64, va: u64) -> Result<i64, Failure> {
    let va = argcheck::user_page(va)?;
    let pin = env::lock().pin_space(id)?;
    shootdown::change_mapping(&pin, va, |mem, root| pgtable::remove(mem, root, va));
    Ok(0)
}
