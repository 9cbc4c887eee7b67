//! Copy-on-write fork (JOS's `lib/fork.c`).
//!
//! [`dumbfork`](crate::dumbfork) copies every page at once; [`fork`] copies none. The parent
//! maps each of its writable pages into the child *read-only*, marked with the
//! [`perm::COW`] bit, and marks its own mapping the same way. Parent and child then share
//! the frames until one of them writes: the write faults, and the page-fault handler
//! ([`cow_fault`], in the writer) gives the writer a private, writable copy of that one page.
//! Read-only pages (the program's code and constants) are shared as they are, for good.
//!
//! To know what is mapped where, the parent reads its own page tables: the kernel maps them,
//! read-only, at `abi::layout::UVPT` (the PML4 entry there points at the PML4 itself). The
//! entry for `va` at each level is one `u64` in an array indexed by `va` shifted right by 39
//! (PML4, at `UVPML4`), 30 (PDPT, at `UVPDPT`), 21 (PD, at `UVPD`) or 12 bits (PT, at `UVPT`);
//! a level's array can only be read where the entry above it is present. [`for_each_page`]
//! walks them top down, so a missing PML4 entry skips 512 GiB at once.
//!
//! The exception stack is the one page that is never shared: a page-fault handler must be able
//! to run on it before anything is copied, so the child gets a fresh one.

use core::ptr;
use core::sync::atomic::{AtomicU64, Ordering};

use abi::layout::{USTACKTOP, UTEXT, UVPD, UVPDPT, UVPML4, UVPT, UXSTACKTOP};
use abi::{EnvId, EnvStatusArg, Error, PGSIZE, PageFaultErr, UTrapframe, perm};

use crate::dumbfork;
use crate::pgfault::{set_pgfault_handler, upcall_address};
use crate::syscall::{
    sys_env_set_pgfault_upcall, sys_env_set_status, sys_exofork, sys_page_alloc, sys_page_map,
    sys_page_unmap,
};

/// The scratch address at which [`cow_fault`] builds a page's copy (JOS's `PFTEMP`): the page
/// just below the program image, where nothing of a program's lives (`dumbfork`'s `UTEMP` is
/// lower down, so the two never meet).
pub const PFTEMP: u64 = UTEXT - PGSIZE;

const _: () = assert!(PFTEMP.is_multiple_of(PGSIZE) && PFTEMP != crate::dumbfork::UTEMP);

/// The levels of the page-table view, top first: where each level's entries are, and how far
/// an address shifts right to index them.
const LEVELS: [(u64, u32); 4] = [(UVPML4, 39), (UVPDPT, 30), (UVPD, 21), (UVPT, 12)];

/// How many pages [`cow_fault`] has copied in this environment. A child starts with its
/// parent's count as of the fork, since the page holding it was shared then.
static PAGES_COPIED: AtomicU64 = AtomicU64::new(0);

/// How many pages copy-on-write faults have copied in this environment (for comparing with
/// [`dumbfork`](crate::dumbfork::dumbfork), which copies everything).
pub fn pages_copied() -> u64 {
    PAGES_COPIED.load(Ordering::Relaxed)
}

/// The entry for `va` at one level of the view (`base` and `shift` from [`LEVELS`]).
///
/// # Safety
///
/// The entries for `va` at every level above must be present, or the read faults.
unsafe fn view_entry(base: u64, shift: u32, va: u64) -> u64 {
    let at = base + (va >> shift) * 8;
    // SAFETY: the kernel maps the view read-only in every environment, and the part holding
    // this entry exists because the entries above are present (see # Safety). The kernel
    // changes the tables behind the compiler's back, hence the volatile read, which may also
    // name memory outside every Rust allocation.
    unsafe { ptr::read_volatile(at as *const u64) }
}

/// The page-table entry that maps `va`, if every level down to it is present.
pub fn pte(va: u64) -> Option<u64> {
    let mut entry = 0;
    for (base, shift) in LEVELS {
        // SAFETY: every level above this one was present, or the loop would have returned.
        entry = unsafe { view_entry(base, shift, va) };
        if entry & perm::P == 0 {
            return None;
        }
    }
    Some(entry)
}

/// Calls `f(va, pte)` for every page mapped in `[start, end)`, in address order. An absent
/// entry at any level skips the whole region it would map.
fn for_each_page(
    start: u64,
    end: u64,
    mut f: impl FnMut(u64, u64) -> Result<(), Error>,
) -> Result<(), Error> {
    let mut va = start;
    'pages: while va < end {
        let mut entry = 0;
        for (base, shift) in LEVELS {
            // SAFETY: every level above this one was present, or the loop would have gone on
            // to the next region.
            entry = unsafe { view_entry(base, shift, va) };
            if entry & perm::P == 0 {
                // Nothing is mapped up to the next boundary of this entry's region.
                va = (va | ((1 << shift) - 1)) + 1;
                continue 'pages;
            }
        }
        f(va, entry)?;
        va += PGSIZE;
    }
    Ok(())
}

/// Creates a child that is a copy of the caller, sharing its pages copy-on-write (JOS's
/// `fork`); returns the child's id in the parent and 0 in the child.
///
/// Everything happens inside [`sys_exofork`]'s `prepare` (its documentation says why): every
/// page mapped below `USTACKTOP` goes to the child ([`duppage`]), the child gets an exception
/// stack of its own and the upcall, and it is made runnable. Its copy of the handler in use
/// comes with the shared pages.
pub fn fork() -> Result<EnvId, Error> {
    set_pgfault_handler(cow_fault);
    sys_exofork(|child| {
        for_each_page(0, USTACKTOP, |va, entry| {
            // SAFETY: the child has not run, and `va` is mapped in the caller.
            unsafe { duppage(child, va, entry) }
        })?;
        let stack = UXSTACKTOP - PGSIZE;
        // SAFETY: the child has not run, and nothing was mapped at its exception stack.
        unsafe { sys_page_alloc(child, stack, perm::P | perm::U | perm::W)? };
        // SAFETY: `_pgfault_upcall` follows its protocol, and the child's exception stack is
        // the page just mapped, which nothing of the child's uses.
        unsafe { sys_env_set_pgfault_upcall(child, upcall_address())? };
        // SAFETY: the child shares every page of the caller's below `USTACKTOP` as it is now,
        // the stack from this closure's page up included, so it resumes in memory that holds
        // the program and every frame above `sys_exofork`'s. A write by either side copies
        // the page first, so neither sees the other's writes.
        unsafe { sys_env_set_status(child, EnvStatusArg::Runnable) }
    })
}

/// Gives `child` the caller's page at `va`, whose page-table entry is `entry` (JOS's
/// `duppage`): writable and copy-on-write pages as copy-on-write in both, the rest shared
/// read-only as it is.
///
/// The order of the two mappings matters: the child's first, then the caller's own. The
/// caller keeps running while it forks, and it writes, to its stack above all; a write to a
/// page already copy-on-write gives the caller a fresh writable copy. Marking the caller's
/// page first would let that happen between the two calls (the `sys_page_map` for the child
/// itself writes the stack), and the child would then be given the caller's *new* frame,
/// which the caller can go on writing: the child would see the caller's writes. Marked last,
/// the caller's mapping is copy-on-write from then on, so the caller's next write copies,
/// whatever it wrote before. That is also why a page that is already copy-on-write in the
/// caller (shared with an earlier child) is marked again: `entry` is only a snapshot, taken
/// before the caller's writes during the fork may have copied the page and made it writable.
///
/// # Safety
///
/// `child` must not have run yet, and `va` must be a page mapped in the caller with `entry`.
unsafe fn duppage(child: EnvId, va: u64, entry: u64) -> Result<(), Error> {
    if entry & (perm::W | perm::COW) == 0 {
        // SAFETY: the child has not run, so it relies on nothing at `va`; the page is
        // read-only in both, so sharing it cannot let one change what the other reads.
        return unsafe { sys_page_map(0, va, child, va, entry & perm::SYSCALL) };
    }
    let cow = perm::P | perm::U | perm::COW;
    // SAFETY: as above: the child relies on nothing at `va` yet, and the page is read-only in
    // the child. The caller can still write it until the next call: only writes to its stack
    // below `sys_exofork`'s frame, which the child never reads.
    unsafe { sys_page_map(0, va, child, va, cow)? };
    // SAFETY: the caller keeps the same frame with the same contents, only read-only; its
    // next write to the page faults and gets a private copy (`cow_fault`).
    unsafe { sys_page_map(0, va, 0, va, cow) }
}

/// The page-fault handler [`fork`] installs (JOS's `pgfault`): gives the writer of a
/// copy-on-write page a private, writable copy of it. Any other fault is a real one, a bug in
/// the program, and panics.
///
/// The copy is built at [`PFTEMP`]: a fresh page mapped there, filled from the shared page,
/// mapped writable in its place, and unmapped from `PFTEMP`. Nothing between the first and the
/// last of those steps writes anywhere but the exception stack and `PFTEMP`, so no nested
/// copy-on-write fault can start using `PFTEMP` while it is in use.
fn cow_fault(utf: &UTrapframe) {
    let va = utf.fault_va;
    let page = va & !(PGSIZE - 1);
    let cow = pte(page).is_some_and(|entry| entry & perm::COW != 0);
    if !PageFaultErr(utf.err).write() || !cow {
        panic!(
            "page fault at va {va:#x} (ip {:#x}, err {:#x}): not a write to a copy-on-write page",
            utf.rip, utf.err
        );
    }
    let rw = perm::P | perm::U | perm::W;
    // SAFETY: `PFTEMP` is this module's scratch page and not in use (see above).
    if let Err(e) = unsafe { sys_page_alloc(0, PFTEMP, rw) } {
        panic!("copy-on-write fault at va {va:#x}: allocating a page: {e}");
    }
    // SAFETY: `page` is mapped (copy-on-write, so readable) and `PFTEMP` is mapped writable,
    // holding nothing anyone uses.
    unsafe { dumbfork::copy_page(PFTEMP, page) };
    // SAFETY: the page at `page` is replaced by a copy of itself: the program sees the same
    // bytes, now writable and its own. The faulting write runs again once this returns.
    if let Err(e) = unsafe { sys_page_map(0, PFTEMP, 0, page, rw) } {
        panic!("copy-on-write fault at va {va:#x}: mapping the copy: {e}");
    }
    // SAFETY: the copy is mapped at `page` now; nothing uses `PFTEMP`.
    if let Err(e) = unsafe { sys_page_unmap(0, PFTEMP) } {
        panic!("copy-on-write fault at va {va:#x}: unmapping {PFTEMP:#x}: {e}");
    }
    // Counted last: the count lives in a page that may be copy-on-write itself, and the nested
    // fault that copies it must not come while `PFTEMP` is in use.
    PAGES_COPIED.fetch_add(1, Ordering::Relaxed);
}
