//! A fork that copies everything, at once (the `dumbfork` function of JOS's `user/dumbfork.c`).
//!
//! The parent creates a child with [`sys_exofork`] and, inside that call (its documentation
//! says why it must be then), gives the child a private copy of every page of its own: the
//! program image, from `UTEXT` up to the linker script's `end`, and the stack, from the page
//! the parent is running on up to `USTACKTOP`. Each page goes through a scratch address,
//! [`UTEMP`]: allocate a page in the child, map that same page at `UTEMP` in the parent too, copy
//! into it, unmap it from the parent. Then the child is made runnable. It resumes as if its
//! `dumbfork` had returned 0, in memory that matches the parent's at the time of the copy.
//!
//! Copying every page is slow and wasteful: a later fork shares pages copy-on-write instead.

use core::arch::asm;
use core::sync::atomic::{AtomicU64, Ordering};

use abi::layout::{USTACKTOP, UTEXT};
use abi::{EnvId, EnvStatusArg, Error, PGSIZE, perm};

use crate::syscall::{
    sys_env_set_status, sys_exofork, sys_page_alloc, sys_page_map, sys_page_unmap,
};

/// The scratch address at which the parent sees the child's page while it fills it (JOS's
/// `UTEMP`): below the program image, where nothing of the parent's lives.
pub const UTEMP: u64 = 0x40_0000;

const _: () = assert!(UTEMP.is_multiple_of(PGSIZE) && UTEMP + PGSIZE <= UTEXT);

unsafe extern "C" {
    /// The end of the program image (`user.ld`); only its address means anything.
    #[link_name = "end"]
    static IMAGE_END: u8;
}

/// How many pages [`dumbfork`] has copied in this environment. A child starts with its
/// parent's count from before the fork, as after a copy-on-write fork (`fork::pages_copied`).
static PAGES_COPIED: AtomicU64 = AtomicU64::new(0);

/// How many pages [`dumbfork`] has copied in this environment (for comparing with the
/// copy-on-write fork, which copies only what gets written).
pub fn pages_copied() -> u64 {
    PAGES_COPIED.load(Ordering::Relaxed)
}

/// Creates a child that is a copy of the caller (JOS's `dumbfork`); returns the child's id in
/// the parent and 0 in the child.
pub fn dumbfork() -> Result<EnvId, Error> {
    sys_exofork(|child| {
        // SAFETY: the child has just been created, so it has never run.
        unsafe { copy_into(child)? };
        // SAFETY: the child has never run, and `copy_into` gave it a copy of the whole image
        // and of the stack from the page this closure runs on up, made while `prepare` ran, as
        // `sys_env_set_status` requires.
        unsafe { sys_env_set_status(child, EnvStatusArg::Runnable) }
    })
}

/// Gives `child` a private copy of every page of the caller's: the program image and the
/// stack, from the page the caller is running on up to `USTACKTOP`.
///
/// Called from the `prepare` of [`sys_exofork`], this is what the child needs before it is made
/// runnable: `prepare` runs below the stack pointer at which the child resumes, so the stack
/// pages copied hold every frame the child will return through.
///
/// # Safety
///
/// `child` must never have run: its pages at those addresses are replaced.
pub unsafe fn copy_into(child: EnvId) -> Result<(), Error> {
    let image_end = (&raw const IMAGE_END).addr() as u64;
    for va in (UTEXT..image_end).step_by(PGSIZE as usize) {
        // SAFETY: the child has never run (see # Safety). The kernel maps every page from
        // `UTEXT` to `end`: `user.ld` starts each segment on the page after the last one's.
        unsafe { duppage(child, va)? };
    }
    let stack = stack_pointer() & !(PGSIZE - 1);
    for va in (stack..USTACKTOP).step_by(PGSIZE as usize) {
        // SAFETY: the child has never run (see # Safety). The stack is mapped from the page it
        // is in use on up to `USTACKTOP`.
        unsafe { duppage(child, va)? };
    }
    // Added once all is copied, so the child's copy of the count is still the one from before.
    let pages = (image_end - UTEXT).div_ceil(PGSIZE) + (USTACKTOP - stack) / PGSIZE;
    PAGES_COPIED.fetch_add(pages, Ordering::Relaxed);
    Ok(())
}

/// Gives `child` a private copy of the caller's page at `va` (JOS's `duppage`).
///
/// # Safety
///
/// `child` must never have run, and `va` must be a page of the caller's that is mapped.
unsafe fn duppage(child: EnvId, va: u64) -> Result<(), Error> {
    let rw = perm::P | perm::U | perm::W;
    // SAFETY: the child has never run, and the page is filled below before it does.
    unsafe { sys_page_alloc(child, va, rw)? };
    // SAFETY: at `UTEMP` the caller has nothing (it lies below the image, and the stack is at
    // the top of the address space). The page is shared with a child that has not run, so
    // nothing else uses it.
    unsafe { sys_page_map(child, va, 0, UTEMP, rw)? };
    // SAFETY: `va` is a page of the caller's, mapped (see # Safety) and so readable; `UTEMP` is
    // now mapped writable and holds nothing anyone uses.
    unsafe { copy_page(UTEMP, va) };
    // SAFETY: the copy is done, so nothing uses the page at `UTEMP` any more.
    unsafe { sys_page_unmap(0, UTEMP) }
}

/// Copies the page at `src` to the page at `dst` with `rep movsb`.
///
/// The source is the caller's own memory: its image and the stack it is running on, which Rust
/// code is using right now, mutable references and all. Taking a byte-for-byte snapshot of it is
/// outside what Rust's memory model describes (as `fork` is for any language), so it is done in
/// assembly, which reads the bytes without creating a reference to any object in them and
/// without changing them.
///
/// # Safety
///
/// `src` and `dst` must be page-aligned; the page at `src` must be mapped and readable, the page
/// at `dst` mapped and writable, and no Rust code may rely on the contents of `dst`.
pub(crate) unsafe fn copy_page(dst: u64, src: u64) {
    // SAFETY: the pages are mapped as the caller guarantees. `rep movsb` copies `rcx` bytes
    // upwards (the direction flag is clear, as the System V ABI requires between functions)
    // and changes only `rdi`, `rsi` and `rcx`, declared here, and the page at `dst`.
    unsafe {
        asm!(
            "rep movsb",
            inout("rdi") dst => _,
            inout("rsi") src => _,
            inout("rcx") PGSIZE => _,
            options(att_syntax, nostack, preserves_flags),
        );
    }
}

/// The caller's stack pointer.
fn stack_pointer() -> u64 {
    let rsp: u64;
    // SAFETY: reading `rsp` changes nothing.
    unsafe {
        asm!(
            "mov %rsp, {}",
            out(reg) rsp,
            options(att_syntax, nomem, nostack, preserves_flags)
        );
    }
    rsp
}
