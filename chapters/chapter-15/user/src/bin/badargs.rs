//! Calls each system call of chapter 7 with each kind of bad argument and prints what it gets
//! back, one line per case: `<call> <what is wrong>: <result>`, the result being `ok` or the
//! error in JOS's words (`invalid parameter`, `bad environment`, `out of memory`).
//!
//! A case that tries several bad values (every permission bit outside `perm::SYSCALL`, several
//! addresses at or above `UTOP`) prints one line if each got the expected error, and otherwise
//! a line for each value that did not, naming it. Every refused call is aimed where an accepted
//! one would do no harm, so that a kernel that wrongly accepts one shows it in the output.
//!
//! The rule that only an environment itself or its parent may act on it needs two: a child,
//! copied from this program and started, tries each call on its parent. It tells the parent it
//! has finished through a page the two share, then stops, and the parent destroys it. Last, the
//! program allocates pages until the kernel runs out of memory, then frees them all: the kernel
//! must survive and get every page back.
#![no_std]
#![no_main]

use core::sync::atomic::{AtomicU32, Ordering};

use abi::layout::{ULIM, USTACKTOP, UTEXT, UTOP};
use abi::{EnvId, EnvStatusArg, Error, PGSIZE, Syscall, perm};
use user::dumbfork::copy_into;
use user::println;
use user::syscall::{
    sys_env_destroy, sys_env_set_status, sys_exofork, sys_getenvid, sys_page_alloc, sys_page_map,
    sys_page_unmap, sys_yield, syscall,
};

unsafe extern "C" {
    /// The end of the program image (`user.ld`); only its address means anything.
    #[link_name = "end"]
    static IMAGE_END: u8;
}

user::main!(umain);

// The addresses the tests use. This program's image is a few pages at `UTEXT` (8 MiB) and its
// stack a page below `USTACKTOP`, so nothing of it lives in between, from 256 MiB up.

/// A page the program allocates for the valid calls.
const SCRATCH: u64 = 0x1000_0000;
/// Where the valid mapping goes, and where a wrongly accepted call would land.
const SCRATCH2: u64 = SCRATCH + PGSIZE;
/// Where `SCRATCH`'s page is also mapped read-only.
const SCRATCH_RO: u64 = SCRATCH + 2 * PGSIZE;
/// An address nothing is ever mapped at (in the parent or the child) unless the kernel wrongly
/// accepts a call.
const UNMAPPED: u64 = 0x2000_0000;
/// The page the parent shares with the child: the child writes [`DONE`] in it when it has
/// finished.
const MAILBOX: u64 = 0x3000_0000;
/// Where the out-of-memory test allocates, one page after another.
const OOM_BASE: u64 = 0x4000_0000;
/// The most pages the out-of-memory test asks for (1 GiB): far more than the machine has.
const OOM_MAX_PAGES: u64 = 1 << 18;

const _: () = assert!(OOM_BASE + OOM_MAX_PAGES * PGSIZE < USTACKTOP - PGSIZE);

/// What the child writes into the mailbox when it has finished.
const DONE: u32 = 1;

/// An environment id that no environment has: slot 0x234, which this test never fills.
const NO_SUCH_ENV: EnvId = 0x0000_1234;

/// Permissions of an ordinary writable page.
const RW: u64 = perm::P | perm::U | perm::W;
/// Permissions of an ordinary read-only page.
const RO: u64 = perm::P | perm::U;

/// Addresses a page may not be mapped at: `UTOP` itself (where the read-only page-table view
/// lives), the last user page, the first non-canonical address and one in the kernel's text.
const NOT_BELOW_UTOP: [u64; 4] = [UTOP, ULIM - PGSIZE, ULIM, 0xffff_ffff_8010_0000];

/// Offsets that make a page address unaligned.
const UNALIGNED: [u64; 3] = [1, 0x800, PGSIZE - 1];

/// Every permission bit outside `perm::SYSCALL`, with `P` and `U` (which must be there).
fn bits_outside_syscall() -> impl Iterator<Item = u64> {
    (0..64)
        .map(|bit| 1u64 << bit)
        .filter(|bit| bit & perm::SYSCALL == 0)
        .map(|bit| bit | perm::P | perm::U)
}

fn umain() {
    let image_end = (&raw const IMAGE_END).addr() as u64;
    assert!(image_end <= SCRATCH, "the image reaches the test pages");
    let parent = sys_getenvid();
    valid_calls();
    page_alloc_cases();
    page_map_cases();
    page_unmap_cases();
    let mailbox = new_mailbox();
    let child = match sys_exofork(prepare_child) {
        Ok(0) => child_cases(parent, mailbox),
        Ok(child) => child,
        Err(e) => panic!("sys_exofork: {e}"),
    };
    env_set_status_cases(child);
    run_and_destroy(child, mailbox);
    out_of_memory();
}

/// How a result is printed: `ok`, or the error in JOS's words.
fn describe(result: Result<(), Error>) -> &'static str {
    match result {
        Ok(()) => "ok",
        Err(e) => e.message(),
    }
}

/// The result of a raw system call, as the typed wrappers would give it.
fn raw_result(result: i64) -> Result<(), Error> {
    if result >= 0 {
        Ok(())
    } else {
        Err(Error::from_result(result).unwrap_or(Error::Unspecified))
    }
}

/// Prints one case's result.
fn report(what: &str, result: Result<(), Error>) {
    println!("{what}: {}", describe(result));
}

/// Runs `call` with each value of `values`, which should each get `expected`: prints one line
/// if they did and otherwise a line for each value that did not.
fn report_all(
    what: &str,
    expected: Error,
    values: impl Iterator<Item = u64>,
    mut call: impl FnMut(u64) -> Result<(), Error>,
) {
    let mut all_expected = true;
    for value in values {
        let result = call(value);
        if result != Err(expected) {
            all_expected = false;
            println!("{what} ({value:#x}): {}", describe(result));
        }
    }
    if all_expected {
        report(what, Err(expected));
    }
}

/// Whether nothing of this program's lives at `va`, in the parent or in the child: the test
/// pages from `SCRATCH` up, except the mailbox, and whatever lies at or above `UTOP` (which no
/// call may touch, and which the program never uses).
fn harmless(va: u64) -> bool {
    let page = va & !(PGSIZE - 1);
    let test_pages = SCRATCH..OOM_BASE + OOM_MAX_PAGES * PGSIZE;
    va >= UTOP || (test_pages.contains(&va) && page != MAILBOX)
}

/// [`sys_page_alloc`] at a harmless address only.
fn alloc(env: EnvId, va: u64, perm: u64) -> Result<(), Error> {
    assert!(harmless(va), "page_alloc at {va:#x} could hit the program");
    // SAFETY: nothing of this program's lives at `va`, in the parent or in the child.
    unsafe { sys_page_alloc(env, va, perm) }
}

/// [`sys_page_map`] to a harmless address only, and writable only from one.
fn map(src: EnvId, srcva: u64, dst: EnvId, dstva: u64, perm: u64) -> Result<(), Error> {
    assert!(
        harmless(dstva),
        "page_map to {dstva:#x} could hit the program"
    );
    assert!(
        harmless(srcva) || perm & perm::W == 0,
        "page_map of {srcva:#x} could share the program's memory writable"
    );
    // SAFETY: nothing of this program's lives at `dstva`, in the parent or in the child, and
    // the program never uses that address; a page of the program's own is shared only
    // read-only (or, if the kernel wrongly accepts a writable mapping, at an address the
    // program never writes).
    unsafe { sys_page_map(src, srcva, dst, dstva, perm) }
}

/// [`sys_page_unmap`] at a harmless address only.
fn unmap(env: EnvId, va: u64) -> Result<(), Error> {
    assert!(harmless(va), "page_unmap at {va:#x} could hit the program");
    // SAFETY: nothing of this program's lives at `va`, in the parent or in the child.
    unsafe { sys_page_unmap(env, va) }
}

/// The calls done right, so that a kernel refusing everything cannot pass. They leave a page
/// of zeros at `SCRATCH`, mapped read-only at `SCRATCH_RO` too, which the program never reads.
fn valid_calls() {
    report("page_alloc valid", alloc(0, SCRATCH, RW));
    report("page_map valid", map(0, SCRATCH, 0, SCRATCH2, RO));
    report("page_unmap valid", unmap(0, SCRATCH2));
    if let Err(e) = map(0, SCRATCH, 0, SCRATCH_RO, RO) {
        panic!("cannot map SCRATCH read-only: {e}");
    }
}

// Each refused call below is aimed so that, were it accepted, it would map or unmap a page at
// `SCRATCH2` (or at an address no call may touch).

fn page_alloc_cases() {
    report_all(
        "page_alloc va not page-aligned",
        Error::Inval,
        UNALIGNED.into_iter(),
        |offset| alloc(0, SCRATCH2 + offset, RW),
    );
    report_all(
        "page_alloc va above UTOP",
        Error::Inval,
        NOT_BELOW_UTOP.into_iter(),
        |va| alloc(0, va, RW),
    );
    report_all(
        "page_alloc perm without U",
        Error::Inval,
        [perm::P, perm::P | perm::W].into_iter(),
        |perm| alloc(0, SCRATCH2, perm),
    );
    report_all(
        "page_alloc perm without P",
        Error::Inval,
        [0, perm::U, perm::U | perm::W].into_iter(),
        |perm| alloc(0, SCRATCH2, perm),
    );
    report_all(
        "page_alloc perm with a bit outside perm::SYSCALL",
        Error::Inval,
        bits_outside_syscall(),
        |perm| alloc(0, SCRATCH2, perm),
    );
    report("page_alloc bad envid", alloc(NO_SUCH_ENV, SCRATCH2, RW));
}

fn page_map_cases() {
    report_all(
        "page_map srcva not page-aligned",
        Error::Inval,
        UNALIGNED.into_iter(),
        |offset| map(0, SCRATCH + offset, 0, SCRATCH2, RO),
    );
    report_all(
        "page_map srcva above UTOP",
        Error::Inval,
        NOT_BELOW_UTOP.into_iter(),
        |va| map(0, va, 0, SCRATCH2, RO),
    );
    report(
        "page_map srcva not mapped",
        map(0, UNMAPPED, 0, SCRATCH2, RO),
    );
    report_all(
        "page_map dstva not page-aligned",
        Error::Inval,
        UNALIGNED.into_iter(),
        |offset| map(0, SCRATCH, 0, SCRATCH2 + offset, RO),
    );
    report_all(
        "page_map dstva above UTOP",
        Error::Inval,
        NOT_BELOW_UTOP.into_iter(),
        |va| map(0, SCRATCH, 0, va, RO),
    );
    report_all(
        "page_map perm without U",
        Error::Inval,
        [perm::P, perm::P | perm::W].into_iter(),
        |perm| map(0, SCRATCH, 0, SCRATCH2, perm),
    );
    report_all(
        "page_map perm with a bit outside perm::SYSCALL",
        Error::Inval,
        bits_outside_syscall(),
        |perm| map(0, SCRATCH, 0, SCRATCH2, perm),
    );
    report(
        "page_map writable mapping of a read-only page",
        map(0, SCRATCH_RO, 0, SCRATCH2, RW),
    );
    report(
        "page_map bad src envid",
        map(NO_SUCH_ENV, SCRATCH, 0, SCRATCH2, RO),
    );
    report(
        "page_map bad dst envid",
        map(0, SCRATCH, NO_SUCH_ENV, SCRATCH2, RO),
    );
}

fn page_unmap_cases() {
    report_all(
        "page_unmap va not page-aligned",
        Error::Inval,
        UNALIGNED.into_iter(),
        |offset| unmap(0, SCRATCH2 + offset),
    );
    report_all(
        "page_unmap va above UTOP",
        Error::Inval,
        NOT_BELOW_UTOP.into_iter(),
        |va| unmap(0, va),
    );
    report("page_unmap bad envid", unmap(NO_SUCH_ENV, SCRATCH2));
}

/// Allocates the page the parent will share with its child and returns the word in it.
fn new_mailbox() -> &'static AtomicU32 {
    // SAFETY: `MAILBOX` holds nothing of this program's.
    if let Err(e) = unsafe { sys_page_alloc(0, MAILBOX, RW) } {
        panic!("cannot allocate the mailbox: {e}");
    }
    // SAFETY: the page is mapped, zeroed and writable, and stays so until the program exits
    // (nothing unmaps it), in the child too (`prepare_child` shares it before the child can
    // run). It is page-aligned, so aligned for an `AtomicU32`, and both environments access it
    // only through this atomic.
    unsafe { &*core::ptr::with_exposed_provenance::<AtomicU32>(MAILBOX as usize) }
}

/// The parent's side of `sys_exofork`: gives the child a copy of this program and a share of
/// the mailbox, and leaves it not runnable.
fn prepare_child(child: EnvId) -> Result<(), Error> {
    // SAFETY: the child has just been created, so it has never run.
    unsafe { copy_into(child)? };
    // SAFETY: the child has never run and has nothing at `MAILBOX`. The page is shared from now
    // on, and both sides only ever use it through the atomic `new_mailbox` returns.
    unsafe { sys_page_map(0, MAILBOX, child, MAILBOX, RW) }
}

fn env_set_status_cases(child: EnvId) {
    // Raw calls, since `EnvStatusArg` cannot hold a bad status: 0, 1 and 3 are JOS's free,
    // dying and running, and the last has runnable's 2 in its low 32 bits.
    report_all(
        "env_set_status bad status value",
        Error::Inval,
        [0, 1, 3, 5, 0x1_0000_0002, u64::MAX].into_iter(),
        |status| {
            // SAFETY: the child has never run, and the status is no valid one, so nothing
            // starts; were it wrongly accepted, the child has its memory anyway.
            raw_result(unsafe { syscall(Syscall::EnvSetStatus, u64::from(child), status, 0, 0, 0) })
        },
    );
    // SAFETY: no environment has this id, so nothing starts.
    report("env_set_status bad envid", unsafe {
        sys_env_set_status(NO_SUCH_ENV, EnvStatusArg::Runnable)
    }); // An id is 32 bits: the child's id with a bit above them set names no environment (the
    // kernel once truncated it, and acted on the child).
    let wide = u64::from(child) | 1 << 32;
    // SAFETY: the id names no environment, so nothing starts; were it wrongly taken for the
    // child's, the child has its memory anyway.
    let result = unsafe {
        syscall(
            Syscall::EnvSetStatus,
            wide,
            EnvStatusArg::NotRunnable as u64,
            0,
            0,
            0,
        )
    };
    report("env_set_status id wider than 32 bits", raw_result(result));
}

/// Starts the child, waits until it has tried its calls, destroys it and checks its id is
/// dead.
fn run_and_destroy(child: EnvId, mailbox: &AtomicU32) {
    // SAFETY: the child has never run, and `prepare_child` gave it a copy of the whole image
    // and of the stack from the page `prepare` ran on up, made while it ran.
    report("env_set_status valid", unsafe {
        sys_env_set_status(child, EnvStatusArg::Runnable)
    });
    while mailbox.load(Ordering::Acquire) != DONE {
        sys_yield();
    }
    if let Err(e) = sys_env_destroy(child) {
        panic!("cannot destroy the child: {e}");
    }
    // SAFETY: the id no longer names an environment, so nothing starts.
    report("env_set_status destroyed child", unsafe {
        sys_env_set_status(child, EnvStatusArg::Runnable)
    });
}

/// The child: acts on its parent, which is not its child, with each call; then stops.
fn child_cases(parent: EnvId, mailbox: &AtomicU32) -> ! {
    // An accepted call would map or unmap a page at `UNMAPPED`, where neither environment has
    // anything, or make the parent, which is running or runnable, runnable.
    report(
        "page_alloc someone else's env (not a child)",
        alloc(parent, UNMAPPED, RW),
    );
    report(
        "page_map into someone else's env (not a child)",
        map(0, UTEXT, parent, UNMAPPED, RO),
    );
    report(
        "page_map from someone else's env (not a child)",
        map(parent, UTEXT, 0, UNMAPPED, RO),
    );
    report(
        "page_unmap someone else's env (not a child)",
        unmap(parent, UNMAPPED),
    );
    // SAFETY: the parent has run already, so making it runnable starts nothing new.
    report("env_set_status someone else's env (not a child)", unsafe {
        sys_env_set_status(parent, EnvStatusArg::Runnable)
    });
    report(
        "env_destroy someone else's env (not a child)",
        sys_env_destroy(parent),
    );
    mailbox.store(DONE, Ordering::Release);
    // Wait to be destroyed, so that the parent can check the child's id dies with it.
    // SAFETY: making the caller not runnable starts nothing.
    let _ = unsafe { sys_env_set_status(0, EnvStatusArg::NotRunnable) };
    loop {
        sys_yield();
    }
}

/// Allocates pages until the kernel runs out of memory, then frees them and allocates again.
fn out_of_memory() {
    let mut pages = 0;
    let result = loop {
        if pages == OOM_MAX_PAGES {
            break Ok(());
        }
        if let Err(e) = alloc(0, OOM_BASE + pages * PGSIZE, RW) {
            break Err(e);
        }
        pages += 1;
    };
    match result {
        Ok(()) => println!("page_alloc out of memory: never ran out ({pages} pages)"),
        Err(e) => println!("page_alloc out of memory: {e} (after {pages} pages)"),
    }
    let freed = (0..pages).try_for_each(|page| unmap(0, OOM_BASE + page * PGSIZE));
    report("page_unmap all of them", freed);
    report("page_alloc after freeing them", alloc(0, OOM_BASE, RW));
    let cleanup = [OOM_BASE, SCRATCH_RO, SCRATCH]
        .into_iter()
        .try_for_each(|va| unmap(0, va));
    report("page_unmap cleanup", cleanup);
}
