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

use abi::{EnvId, Error, Syscall};
use core::arch::asm;

/// Makes system call `num` with five arguments and returns the raw result.
///
/// The kernel restores every register from the trap frame on the way back except `rax`; the
/// argument registers are nevertheless declared clobbered, so that nothing here depends on it.
///
/// # Safety
///
/// The arguments must be what system call `num` expects. Calls that write to the caller's
/// memory or change its address space (none yet) need their own conditions to hold; the
/// wrappers below state them.
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
