//! System calls (JOS's `lib/syscall.c`).
//!
//! A system call is `int $0x30` (abi::SYSCALL_VECTOR), a trap gate user mode may use: the call
//! number goes in `rax`, up to five arguments in `rdi`, `rsi`, `rdx`, `rcx` and `r8`, and the
//! result comes back in `rax`, a negative result being `-abi::Error`. [`syscall`] is that
//! instruction; the `sys_*` functions give each call its types and turn negative results into
//! [`Error`]s.
//!
//! Nothing a system call is given can hurt the caller's memory safety by itself: the kernel
//! checks every pointer it is passed against the caller's address space and destroys the
//! environment if one is bad. That is why [`sys_cputs_raw`], which passes an unchecked pointer,
//! is safe to call.
//!
//! The calls that change address spaces are another matter. Allocating, mapping or unmapping a
//! page replaces or removes what was at an address, and making a child runnable starts code on
//! the memory its parent gave it: either can pull memory out from under Rust code that relies on
//! it, in the caller or in a child running the same program. So the rule for this module is: a
//! wrapper is an `unsafe fn` exactly when its call can change or start code on memory that Rust
//! code relies on. [`sys_page_alloc`], [`sys_page_map`], [`sys_page_unmap`] and
//! [`sys_env_set_status`] are unsafe and state their conditions; [`sys_yield`] and
//! [`sys_exofork`] (whose child has no memory and cannot run until it is made runnable) are safe.
//! [`sys_env_set_pgfault_upcall`] is unsafe for the same reason: it starts code, at the address
//! it is given, on the exception stack.

use abi::{EnvId, EnvStatusArg, Error, Syscall};
use core::arch::asm;

/// Makes system call `num` with five arguments and returns the raw result.
///
/// The kernel restores every register from the trap frame on the way back except `rax`; the
/// argument registers are nevertheless declared clobbered, so that nothing here depends on it.
///
/// # Safety
///
/// The arguments must be what system call `num` expects, and the call must not take away or
/// change memory that Rust code relies on. `PageAlloc`, `PageMap` and `PageUnmap` replace or
/// remove a mapping: aimed at a page that holds live Rust objects (the caller's image, its
/// stack, anything it still uses, or the same in a child that runs or will run), they pull that
/// memory out from under the code using it. `EnvSetStatus` can start a child on whatever memory
/// its parent gave it. The wrappers [`sys_page_alloc`], [`sys_page_map`], [`sys_page_unmap`]
/// and [`sys_env_set_status`] state the exact conditions. `Exofork` must go through
/// [`sys_exofork`] only: the child resumes at the `int` instruction and returns through the
/// stack frames above it, which only `sys_exofork` keeps intact for it.
pub unsafe fn syscall(num: Syscall, a1: u64, a2: u64, a3: u64, a4: u64, a5: u64) -> i64 {
    let result: i64;
    // SAFETY: `int $0x30` enters the kernel through the system-call gate and comes back to the
    // next instruction with only `rax` changed (and the registers declared clobbered). What the
    // call itself does is the caller's responsibility (see # Safety).
    unsafe {
        asm!(
            "int ${vector}",
            vector = const abi::SYSCALL_VECTOR,
            inlateout("rax") num as u64 => result,
            inlateout("rdi") a1 => _,
            inlateout("rsi") a2 => _,
            inlateout("rdx") a3 => _,
            inlateout("rcx") a4 => _,
            inlateout("r8") a5 => _,
            options(att_syntax),
        );
    }
    result
}

/// Turns a raw system-call result into the value or the error it stands for.
pub fn check(result: i64) -> Result<u64, Error> {
    if result >= 0 {
        Ok(result as u64)
    } else {
        // A negative result that is no known error still means the call failed.
        Err(Error::from_result(result).unwrap_or(Error::Unspecified))
    }
}

/// Prints `bytes` on the console.
pub fn sys_cputs(bytes: &[u8]) -> Result<(), Error> {
    sys_cputs_raw(bytes.as_ptr(), bytes.len())
}

/// Asks the kernel to print `len` bytes at `ptr`, which need not be valid.
///
/// Meant for the programs that test the kernel's pointer checks: the kernel must find a bad
/// range itself (`user_mem_check`) and destroy the environment instead of printing.
pub fn sys_cputs_raw(ptr: *const u8, len: usize) -> Result<(), Error> {
    // SAFETY: the kernel only reads the range, and only after checking that the caller may read
    // it, so no pointer and length can harm the caller.
    let result = unsafe { syscall(Syscall::Cputs, ptr as u64, len as u64, 0, 0, 0) };
    check(result).map(|_| ())
}

/// Reads a character from the console without waiting: `None` if none is ready.
pub fn sys_cgetc() -> Option<u8> {
    // SAFETY: the call takes no arguments and touches no user memory.
    let result = unsafe { syscall(Syscall::Cgetc, 0, 0, 0, 0, 0) };
    match check(result) {
        Ok(c) if c != 0 => u8::try_from(c).ok(),
        _ => None,
    }
}

/// The caller's environment id.
pub fn sys_getenvid() -> EnvId {
    // SAFETY: the call takes no arguments and touches no user memory.
    let result = unsafe { syscall(Syscall::GetEnvId, 0, 0, 0, 0, 0) };
    // An environment id fits in 32 bits, so a valid result always converts.
    result as EnvId
}

/// Destroys environment `env` (0 means the caller, which then never returns).
pub fn sys_env_destroy(env: EnvId) -> Result<(), Error> {
    // SAFETY: the call touches no user memory; destroying the caller ends it before this
    // function could observe anything.
    let result = unsafe { syscall(Syscall::EnvDestroy, u64::from(env), 0, 0, 0, 0) };
    check(result).map(|_| ())
}

/// Gives up the CPU (JOS's `sys_yield`): the kernel runs another runnable environment, if there
/// is one, and this call returns when the caller is scheduled again, possibly on another CPU.
pub fn sys_yield() {
    // SAFETY: the call takes no arguments and touches no user memory; the kernel saves the
    // caller's registers and restores them when it runs the caller again.
    unsafe { syscall(Syscall::Yield, 0, 0, 0, 0, 0) };
}

/// The number of the CPU the caller is running on. It may change at the caller's next
/// [`sys_yield`] (or, once the kernel preempts, at any moment), so it can only be reported.
pub fn sys_getcpu() -> u32 {
    // SAFETY: the call takes no arguments and touches no user memory.
    let result = unsafe { syscall(Syscall::GetCpu, 0, 0, 0, 0, 0) };
    // A CPU number is small and never negative, so a valid result always converts.
    result as u32
}

/// Creates a child environment (JOS's `sys_exofork`); returns the child's id in the parent and
/// 0 in the child.
///
/// The kernel makes the child a copy of the caller's registers at the `int` instruction, with an
/// empty address space, not runnable. `prepare` then runs in the parent, with the child's id,
/// *before* this function returns: that is where the parent gives the child its memory and,
/// usually, makes it runnable. If `prepare` fails, the child is destroyed and its error returned.
///
/// When the child runs, it resumes after the same `int`, with `rax` = 0, and returns `Ok(0)`
/// from this very call: it goes on from the stack pointer it had at the `int`, returning
/// through this function's frame and its callers' frames as they are in its own copy of the
/// stack. That copy must therefore hold everything above the `int`'s stack pointer as it was at
/// the `int`, and that is not a matter of registers, which the kernel copies, but of memory. Had
/// this function returned first and the parent then called its copying code, those calls
/// would have reused the very stack space of this function's frame before the stack got
/// copied, and the child would return through garbage. JOS avoids that by forcing
/// `sys_exofork` inline into `fork` (a request the compiler need not honour) and by hoping
/// that `fork` writes no stack slot the child needs between the call and the copy. Here
/// `prepare` is called from the same assembly block as the `int`, before any compiled code
/// runs: its frames all lie below the `int`'s stack pointer, so everything above it stays as
/// it was, however the compiler lays out this function and whatever it inlines. (Except what
/// `prepare` itself writes there through references it captured: the child sees that, as it
/// sees every page as it was when copied.) After the block, parent and child run the same code.
pub fn sys_exofork<F>(prepare: F) -> Result<EnvId, Error>
where
    F: FnOnce(EnvId) -> Result<(), Error>,
{
    let mut job = PrepareJob {
        prepare: Some(prepare),
        result: Ok(()),
    };
    let result: i64;
    // SAFETY: the `int` makes the Exofork call, which touches no user memory. In the parent
    // (a positive result) the block then calls `run_prepare` as an ordinary System V function:
    // the stack pointer is aligned for a call at the start of an asm block (the block is not
    // `nostack`), `clobber_abi` declares every register the call may change, and `r12`, which
    // holds the job, survives both the `int` (the kernel restores every register but `rax`) and
    // the call (it is callee-saved). The child continues after the `int` with `rax` = 0, skips
    // the call and leaves the block like a parent whose call failed.
    unsafe {
        asm!(
            "int ${vector}",
            "test %rax, %rax",
            "jle 2f",
            "mov %rax, %rdi",
            "mov %r12, %rsi",
            "call {run_prepare}",
            "2:",
            vector = const abi::SYSCALL_VECTOR,
            run_prepare = sym run_prepare::<F>,
            inlateout("rax") Syscall::Exofork as u64 => result,
            in("r12") &raw mut job,
            clobber_abi("sysv64"),
            options(att_syntax),
        );
    }
    match check(result)? {
        // The child. Its copy of `job` was made while `prepare` ran, after `run_prepare` had
        // taken the closure out, so dropping it drops nothing.
        0 => Ok(0),
        child => {
            // An environment id fits in 32 bits, so a valid result always converts.
            let child = child as EnvId;
            if let Err(e) = job.result {
                // A child left half-built must never run: destroying it frees what it got.
                let _ = sys_env_destroy(child);
                return Err(e);
            }
            Ok(child)
        }
    }
}

/// What [`sys_exofork`] hands to [`run_prepare`]: the parent's work and its outcome.
struct PrepareJob<F> {
    prepare: Option<F>,
    result: Result<(), Error>,
}

/// Runs the parent's side of [`sys_exofork`]; called from its assembly block only, with the
/// child's id and the job. Returns the child's id, so that `rax` holds it again afterwards.
extern "sysv64" fn run_prepare<F>(child: u64, job: *mut PrepareJob<F>) -> u64
where
    F: FnOnce(EnvId) -> Result<(), Error>,
{
    // SAFETY: `sys_exofork` passes a pointer to its own `PrepareJob`, live for the whole asm
    // block, and does not touch the job while the block runs.
    let job = unsafe { &mut *job };
    if let Some(prepare) = job.prepare.take() {
        // An environment id fits in 32 bits: `child` came from the kernel as one.
        job.result = prepare(child as EnvId);
    }
    child
}

/// Makes environment `env` (0 means the caller) runnable or not runnable (JOS's
/// `sys_env_set_status`); `env` must be the caller or one of its children.
///
/// # Safety
///
/// Making an environment runnable starts code on the memory it has. If `env` is a child from
/// [`sys_exofork`] that has never run, it resumes inside that call as a continuation of the
/// caller's program, so its address space must by then hold a copy of every page of the
/// caller's that it may touch: the whole program image, and the stack from the page `prepare`
/// runs on up to `USTACKTOP`, copied while `prepare` ran (see [`sys_exofork`]). Making an
/// environment not runnable is always sound.
pub unsafe fn sys_env_set_status(env: EnvId, status: EnvStatusArg) -> Result<(), Error> {
    // SAFETY: the call touches no user memory; the caller vouches for the memory of the
    // environment it makes runnable (see # Safety).
    let result = unsafe {
        syscall(
            Syscall::EnvSetStatus,
            u64::from(env),
            status as u64,
            0,
            0,
            0,
        )
    };
    check(result).map(|_| ())
}

/// Allocates a zeroed page and maps it at `va` in environment `env` (0 means the caller) with
/// permissions `perm` (JOS's `sys_page_alloc`), replacing whatever was mapped there.
///
/// The kernel refuses (`Inval`) a `va` that is not page-aligned or not below `UTOP`, and a
/// `perm` without `P` and `U` or with a bit outside [`perm::SYSCALL`](abi::perm::SYSCALL);
/// `env` must be the caller or one of its children (`BadEnv`).
///
/// # Safety
///
/// No Rust code may rely on the page at `va` in `env`: it must hold no live object of the
/// caller's, if `env` is the caller, nor of a child that runs or will run, unless the caller
/// fills it before the child runs with what the child expects there (as a fork does).
pub unsafe fn sys_page_alloc(env: EnvId, va: u64, perm: u64) -> Result<(), Error> {
    // SAFETY: the kernel only changes `env`'s page table at `va`, where nothing relies on the
    // old mapping (see # Safety).
    let result = unsafe { syscall(Syscall::PageAlloc, u64::from(env), va, perm, 0, 0) };
    check(result).map(|_| ())
}

/// Maps the page mapped at `srcva` in environment `src` at `dstva` in environment `dst` with
/// permissions `perm` (JOS's `sys_page_map`), replacing whatever was mapped at `dstva`. Both
/// environments then share the page. 0 means the caller.
///
/// The kernel refuses (`Inval`) an address that is not page-aligned or not below `UTOP`, a
/// `srcva` where nothing is mapped, a `perm` like those [`sys_page_alloc`] refuses, and a
/// writable mapping of a page `src` has read-only; `src` and `dst` must each be the caller or
/// one of its children (`BadEnv`).
///
/// # Safety
///
/// At `dstva` in `dst`, the conditions of [`sys_page_alloc`] hold. And since the page becomes
/// shared, no Rust code may rely on having it to itself while it is: a page holding live
/// objects of an environment that runs must not be writable through the other mapping, nor
/// may the page be written through the other mapping while those objects are read, unless all
/// the accesses are atomic.
pub unsafe fn sys_page_map(
    src: EnvId,
    srcva: u64,
    dst: EnvId,
    dstva: u64,
    perm: u64,
) -> Result<(), Error> {
    // SAFETY: the kernel only changes `dst`'s page table at `dstva`, and the sharing that
    // results is the caller's to keep sound (see # Safety).
    let result = unsafe {
        syscall(
            Syscall::PageMap,
            u64::from(src),
            srcva,
            u64::from(dst),
            dstva,
            perm,
        )
    };
    check(result).map(|_| ())
}

/// Unmaps the page at `va` in environment `env` (0 means the caller), if any (JOS's
/// `sys_page_unmap`). The kernel refuses (`Inval`) a `va` that is not page-aligned or not
/// below `UTOP`; `env` must be the caller or one of its children (`BadEnv`).
///
/// # Safety
///
/// No Rust code may rely on the page at `va` in `env`: it must hold no live object of the
/// caller's, if `env` is the caller, nor of a child that runs or will run.
pub unsafe fn sys_page_unmap(env: EnvId, va: u64) -> Result<(), Error> {
    // SAFETY: the kernel only removes `env`'s mapping at `va`, which nothing relies on (see
    // # Safety).
    let result = unsafe { syscall(Syscall::PageUnmap, u64::from(env), va, 0, 0, 0) };
    check(result).map(|_| ())
}

/// Makes `upcall` the code environment `env` (0 means the caller) runs on a page fault (JOS's
/// `sys_env_set_pgfault_upcall`); `env` must be the caller or one of its children. Programs
/// normally call [`set_pgfault_handler`](crate::pgfault::set_pgfault_handler) instead.
///
/// From then on, a page fault in `env` makes the kernel write an [`abi::UTrapframe`] onto the
/// exception stack below `UXSTACKTOP` and resume `env` at `upcall`, with the stack pointer at
/// the frame. The kernel checks that `upcall` is user code and the frame's place user-writable
/// when the fault happens, not here: an environment that fails the check is destroyed then.
///
/// # Safety
///
/// Setting an upcall starts code at `upcall`, in the middle of whatever `env` was doing, on
/// memory the kernel writes: `upcall` must be an entry point that follows the protocol of the
/// library's `_pgfault_upcall` (`pfentry.S`), and no Rust code of `env`'s may rely on the
/// exception-stack page. Destroying `env` instead (an `upcall` the kernel refuses, or no
/// exception stack) is always sound.
pub unsafe fn sys_env_set_pgfault_upcall(env: EnvId, upcall: u64) -> Result<(), Error> {
    // SAFETY: the kernel only records the address; the code that runs there later, and the
    // exception stack it runs on, are the caller's to vouch for (see # Safety).
    let result = unsafe {
        syscall(
            Syscall::EnvSetPgfaultUpcall,
            u64::from(env),
            upcall,
            0,
            0,
            0,
        )
    };
    check(result).map(|_| ())
}

/// Starts a thread: a new environment in the caller's address space, runnable at once, at
/// `entry` with `rsp = stack` and `rdi = arg0`, `rsi = arg1`. Returns its id. (The kernel's
/// `sys_thread_create`; `Inval` for an `entry` or `stack` above `UTOP`.)
///
/// # Safety
///
/// The thread runs Rust code in the caller's memory, beside the caller: `entry` must be an
/// `extern "sysv64"` function taking the two arguments and never returning, `stack` must be the
/// top of memory that nothing else uses, less 8 bytes (a function's stack pointer at entry, as
/// if a return address had been pushed), and whatever the arguments give the thread access to
/// must be safe to use from two threads at once.
pub unsafe fn sys_thread_create(
    entry: u64,
    stack: u64,
    arg0: u64,
    arg1: u64,
) -> Result<EnvId, Error> {
    // SAFETY: the call starts code on memory the caller vouches for (see # Safety) and changes
    // none of the caller's.
    let result = unsafe { syscall(Syscall::ThreadCreate, entry, stack, arg0, arg1, 0) };
    // An environment id fits in 32 bits.
    check(result).map(|id| id as EnvId)
}
