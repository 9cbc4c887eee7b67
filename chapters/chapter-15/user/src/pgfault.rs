//! Page-fault handlers in user space (JOS's `lib/pgfault.c`).
//!
//! A program registers a handler with [`set_pgfault_handler`]; from then on, a page fault in
//! the environment runs the handler instead of ending the environment. The handler gets the
//! [`UTrapframe`] the kernel pushed (what faulted, where, and every register at the time) and
//! can, for example, map the missing page: when it returns, the faulting instruction runs
//! again.
//!
//! Three pieces cooperate. The kernel pushes the frame on the environment's one-page exception
//! stack below `UXSTACKTOP` and resumes the environment at its *upcall*. The upcall,
//! `_pgfault_upcall` (`pfentry.S`), calls [`dispatch`], which calls the handler, and then
//! restores every register and returns to the faulting instruction. And
//! [`set_pgfault_handler`], on first use, maps the exception stack and registers the upcall.
//!
//! A handler runs on the exception stack, so it may fault itself (say, on a page it is
//! filling in): the kernel then pushes the new frame below the handler's stack pointer and
//! the handler runs again, nested. One page is all there is: recursion deeper than a few
//! levels overflows it, and the kernel destroys the environment.

use core::mem::{offset_of, transmute};
use core::ptr;
use core::sync::atomic::{AtomicPtr, Ordering};

use abi::layout::UXSTACKTOP;
use abi::{PGSIZE, RED_ZONE, UTrapframe, perm};

use crate::syscall::{sys_env_set_pgfault_upcall, sys_page_alloc};

core::arch::global_asm!(
    include_str!("pfentry.S"),
    dispatch = sym dispatch,
    red_zone = const RED_ZONE,
    red_zone_and_rip = const RED_ZONE + 8,
    utf_rip = const offset_of!(UTrapframe, rip),
    utf_rflags = const offset_of!(UTrapframe, rflags),
    utf_rsp = const offset_of!(UTrapframe, rsp),
    utf_r15 = const offset_of!(UTrapframe, regs.r15),
    utf_r14 = const offset_of!(UTrapframe, regs.r14),
    utf_r13 = const offset_of!(UTrapframe, regs.r13),
    utf_r12 = const offset_of!(UTrapframe, regs.r12),
    utf_r11 = const offset_of!(UTrapframe, regs.r11),
    utf_r10 = const offset_of!(UTrapframe, regs.r10),
    utf_r9 = const offset_of!(UTrapframe, regs.r9),
    utf_r8 = const offset_of!(UTrapframe, regs.r8),
    utf_rbp = const offset_of!(UTrapframe, regs.rbp),
    utf_rdi = const offset_of!(UTrapframe, regs.rdi),
    utf_rsi = const offset_of!(UTrapframe, regs.rsi),
    utf_rdx = const offset_of!(UTrapframe, regs.rdx),
    utf_rcx = const offset_of!(UTrapframe, regs.rcx),
    utf_rbx = const offset_of!(UTrapframe, regs.rbx),
    utf_rax = const offset_of!(UTrapframe, regs.rax),
    options(att_syntax)
);

// The upcall calls the handler with `%rsp` at the frame, so the kernel's 16-byte alignment of
// the frame is what keeps the call aligned; the frame's size must keep it so for the next one.
const _: () = assert!(size_of::<UTrapframe>().is_multiple_of(16));

unsafe extern "C" {
    /// The upcall's first instruction (`pfentry.S`); only its address means anything.
    #[link_name = "_pgfault_upcall"]
    static PGFAULT_UPCALL: u8;
}

/// The handler [`dispatch`] calls: null until [`set_pgfault_handler`] stores one, and then
/// always a `fn(&UTrapframe)`. An atomic, so that no `static mut` is needed; an environment
/// has one thread, but a handler may run in the middle of any access to it.
static HANDLER: AtomicPtr<()> = AtomicPtr::new(ptr::null_mut());

/// The address of `_pgfault_upcall`, the entry point [`set_pgfault_handler`] registers.
pub fn upcall_address() -> u64 {
    (&raw const PGFAULT_UPCALL).addr() as u64
}

/// Makes `handler` the function page faults in this environment are sent to (JOS's
/// `set_pgfault_handler`), replacing the previous one.
///
/// The first call also maps the exception stack, the page below `UXSTACKTOP`, and registers
/// the upcall with the kernel. That page belongs to this module: nothing else may map or use
/// it. A program that cannot get the page or register the upcall panics.
pub fn set_pgfault_handler(handler: fn(&UTrapframe)) {
    // The handler is in place before the upcall is registered, so the first fault finds it.
    let previous = HANDLER.swap(handler as *mut (), Ordering::AcqRel);
    if !previous.is_null() {
        return;
    }
    let stack = UXSTACKTOP - PGSIZE;
    // SAFETY: the exception-stack page is this module's alone (see above), and no handler
    // has run on it yet, since the upcall is not registered: nothing relies on the page.
    if let Err(e) = unsafe { sys_page_alloc(0, stack, perm::P | perm::U | perm::W) } {
        panic!("set_pgfault_handler: mapping the exception stack: {e}");
    }
    // SAFETY: `_pgfault_upcall` follows its own protocol (`pfentry.S`), and the exception
    // stack it runs on is this module's, just mapped.
    if let Err(e) = unsafe { sys_env_set_pgfault_upcall(0, upcall_address()) } {
        panic!("set_pgfault_handler: registering the upcall: {e}");
    }
}

/// Runs the registered handler; called only by `_pgfault_upcall`, on the exception stack,
/// with the frame the kernel pushed there. The upcall reads the frame again afterwards, so
/// the handler gets it shared, not `&mut`.
extern "C" fn dispatch(utf: &UTrapframe) {
    let handler = HANDLER.load(Ordering::Acquire);
    if handler.is_null() {
        // Only a program that registered the upcall itself, with no handler, gets here.
        panic!(
            "page fault at va {:#x}, ip {:#x}, with no handler set",
            utf.fault_va, utf.rip
        );
    }
    // SAFETY: `HANDLER` holds either null, ruled out above, or a `fn(&UTrapframe)` stored by
    // `set_pgfault_handler`, and a function pointer survives the round trip through `*mut ()`.
    let handler = unsafe { transmute::<*mut (), fn(&UTrapframe)>(handler) };
    handler(utf);
}
