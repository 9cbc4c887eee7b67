//! Self-tests: protections the kernel proves on request, from the kernel command line.
//!
//! A guard page is only worth something if hitting it is caught. `selftest=kstack-overflow` on
//! the command line makes the boot CPU recurse on its own guard-paged kernel stack until it runs
//! into the guard page. The page fault that follows cannot be delivered on the overflowed stack,
//! so the CPU raises a double fault, which arrives on the CPU's separate double-fault stack
//! (the TSS's IST 1, see `percpu.rs`), where `trap.rs` recognises the guard page and reports a
//! stack overflow. Without the separate stack the double fault would fail too, and the machine
//! would reset without a word (a triple fault).

use core::arch::asm;
use core::hint::black_box;

use crate::cmdline;
use crate::percpu;
use crate::println;

/// The command-line word that asks for the kernel-stack overflow test.
pub const KSTACK_OVERFLOW: &str = "selftest=kstack-overflow";

/// Runs the self-test the kernel command line asks for, if any.
pub fn run_if_asked(cmdline: &str) {
    if cmdline::has_option(cmdline, KSTACK_OVERFLOW) {
        kstack_overflow();
    }
}

/// Overflows this CPU's kernel stack on purpose; never returns (the kernel panics).
pub fn kstack_overflow() -> ! {
    let cpu = percpu::this();
    println!("selftest: overflowing CPU {}'s kernel stack", cpu.id());
    let top = cpu.kernel_stack_top();
    // SAFETY: the CPU's kernel stack is not in use (no trap is being handled: this runs in
    // kmain, on the boot stack), and `recurse` never returns, so abandoning the boot stack's
    // frames is fine.
    unsafe {
        asm!(
            "movq {top}, %rsp",
            "callq {recurse}",
            top = in(reg) top,
            recurse = sym recurse,
            options(att_syntax, noreturn)
        )
    }
}

/// Calls itself until the stack runs out.
extern "C" fn recurse() -> ! {
    fn deeper(depth: u64) -> u64 {
        // A frame with something in it, which the optimiser cannot remove.
        let frame = black_box([depth; 16]);
        if black_box(depth) == u64::MAX {
            return 0;
        }
        deeper(depth + 1) + frame[(depth % 16) as usize]
    }
    deeper(0);
    unreachable!("selftest: the stack never ran out")
}
