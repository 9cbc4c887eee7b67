//! TLB shootdown: after a mapping is removed or narrowed, every CPU that may still cache the old
//! translation forgets it before the call returns and before the old page can be reused.
//!
//! Intel SDM Vol. 3A, 4.10.4 ("Invalidation of TLBs and Paging-Structure Caches"): a CPU may
//! keep using a translation from its TLB after the page-table entry changed, until it executes
//! `invlpg` for the address or reloads CR3. Each CPU can only invalidate its *own* TLB. So the
//! CPU that changes an address space loaded on other CPUs (threads of it run there) asks each
//! of them, by cross-call (`crosscall.rs`), to flush, and waits until every one has answered.
//!
//! The wait is not optional. Until a CPU has answered, code running there can still read and
//! write the old page through its stale translation. If that page were freed and handed to
//! someone else, their data would change under them. So the page a changed mapping pointed to
//! keeps an extra reference across the shootdown ([`change_mapping`]) and is freed only after
//! the last acknowledgement. This is the race of the DragonFly/FreeBSD thread in the seeds: a
//! shootdown "can't be done entirely asynchronously".
//!
//! `shootdown=off` on the kernel command line skips the remote flushes, to show what goes
//! wrong without them (the `staletlb` and `forkrace` programs).

use core::sync::atomic::{AtomicU64, Ordering};

use crate::addr::{PhysAddr, VirtAddr};
use crate::aspace::SpaceId;
use crate::cmdline::Switch;
use crate::cpu;
use crate::crosscall;
use crate::env::{self, SpacePin};
use crate::pgtable::{self, Memory};
use crate::pmem::{self, KernelMemory};
use crate::println;
use crate::tlbflush::{FlushKind, flush_kind};

/// Whether other CPUs are asked to flush; `shootdown=off` turns the remote flushes off (this
/// CPU still flushes its own TLB).
static REMOTE_FLUSHES: Switch = Switch::new("shootdown=off");

/// Shootdowns made, CPUs asked, pages flushed on them, and full flushes among them.
static SHOOTDOWNS: AtomicU64 = AtomicU64::new(0);
static TARGETS: AtomicU64 = AtomicU64::new(0);
static PAGES: AtomicU64 = AtomicU64::new(0);
static FULL: AtomicU64 = AtomicU64::new(0);
/// Shootdowns that `shootdown=off` left out.
static SKIPPED: AtomicU64 = AtomicU64::new(0);

/// Reads `shootdown=off` from the kernel command line.
pub fn read_options(cmdline: &str) {
    REMOTE_FLUSHES.read(cmdline, "shootdown: other CPUs do not flush their TLBs");
}

/// Prints the counts: `TLB: 12 shootdowns, 14 CPUs asked, 14 pages flushed, 0 full flushes,
/// 0 skipped`.
pub fn report() {
    println!(
        "TLB: {} shootdowns, {} CPUs asked, {} pages flushed, {} full flushes, {} skipped",
        SHOOTDOWNS.load(Ordering::Relaxed),
        TARGETS.load(Ordering::Relaxed),
        PAGES.load(Ordering::Relaxed),
        FULL.load(Ordering::Relaxed),
        SKIPPED.load(Ordering::Relaxed)
    );
}

/// Makes every CPU but this one that has `space` loaded forget its translations of `pages`,
/// and returns when all have. Call it after changing the page tables and before the old pages
/// may be reused, without the table lock: it takes it to read who has `space` loaded. A CPU
/// that loads `space` after that reads the changed page tables (its CR3 write empties its
/// TLB), so it needs no flush. This CPU flushes its own TLB as it changes an entry
/// (`pgtable::insert` and `remove`).
pub fn shootdown(space: SpaceId, pages: &[VirtAddr]) {
    let targets = env::lock().loaded_on(space).without(cpu::id());
    if targets.is_empty() {
        return;
    }
    if !REMOTE_FLUSHES.is_on() {
        SKIPPED.fetch_add(1, Ordering::Relaxed);
        return;
    }
    let n = targets.iter().count() as u64;
    SHOOTDOWNS.fetch_add(1, Ordering::Relaxed);
    TARGETS.fetch_add(n, Ordering::Relaxed);
    match flush_kind(pages.len()) {
        FlushKind::Pages => {
            PAGES.fetch_add(n * pages.len() as u64, Ordering::Relaxed);
            // The call is synchronous: the slice outlives every target's use of it.
            let request = &raw const pages;
            crosscall::call(targets, flush_pages, request as u64);
        }
        FlushKind::Full => {
            FULL.fetch_add(n, Ordering::Relaxed);
            crosscall::call(targets, flush_all, 0);
        }
    }
}

/// On a target: `invlpg` each page of the request at `request`.
fn flush_pages(request: u64) {
    // SAFETY: `shootdown` passes the address of its `&[VirtAddr]` and waits in a synchronous
    // call until every target has returned from here, so the slice is alive and unchanged.
    let pages = unsafe { *(request as *const &[VirtAddr]) };
    for page in pages {
        // SAFETY: invalidating a TLB entry cannot break memory safety.
        unsafe { x86::tlb::flush(page.as_u64() as usize) };
    }
}

/// On a target: reload CR3, which flushes every (non-global) translation.
fn flush_all(_: u64) {
    // SAFETY: reloading CR3 with its own value changes no mapping, it only empties the TLB.
    unsafe { x86::tlb::flush_all() };
}

/// Changes the mapping of `va` in the pinned address space `pin`: `change` gets the memory and
/// the space's root and does it (`pgtable::insert` or `remove`). If a page was mapped at `va`
/// before, every other CPU with the space loaded flushes `va` before that page may be freed: it
/// keeps an extra reference until the shootdown is over. The caller holds no table lock; the
/// pin keeps the page tables.
pub fn change_mapping<R>(
    pin: &SpacePin,
    va: VirtAddr,
    change: impl FnOnce(&mut KernelMemory, PhysAddr) -> R,
) -> R {
    let (root, space) = (pin.root(), pin.space());
    env::race_window();
    let (old, result) = pmem::with(|mem| {
        let old = pgtable::lookup(mem, root, va).map(|pte| pte.addr());
        if let Some(frame) = old {
            mem.incref(frame);
        }
        (old, change(mem, root))
    });
    // A page that was not mapped is in no TLB: nothing to shoot down.
    if let Some(frame) = old {
        shootdown(space, &[va]);
        pmem::with(|mem| mem.decref(frame));
    }
    result
}
