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
use core::sync::atomic::{AtomicU64, Ordering};

use crate::cpu;
use crate::cpuset::CpuSet;
use crate::crosscall;
use crate::mp_result::DEFAULT_LAPIC;
use crate::pmem;
use crate::smp;
use crate::tsc;
use crate::vm;

/// The command-line word that asks for the kernel-stack overflow test.
pub const KSTACK_OVERFLOW: &str = "selftest=kstack-overflow";

/// Runs the self-test the kernel command line asks for, if any.
pub fn run_if_asked(cmdline: &str) {
    if cmdline::has_option(cmdline, KSTACK_OVERFLOW) {
        kstack_overflow();
    }
    if cmdline::has_option(cmdline, CROSS_CALLS) {
        cross_calls();
    }
    if cmdline::has_option(cmdline, CROSS_CALL_ROUND_TRIP) {
        cross_call_round_trip();
    }
    if cmdline::has_option(cmdline, LOCK_ORDER) {
        lock_order();
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

/// The command-line word that asks the boot CPU to make cross-calls at boot.
pub const CROSS_CALLS: &str = "selftest=crosscall";
/// The command-line word that asks for the cross-call round-trip benchmark.
pub const CROSS_CALL_ROUND_TRIP: &str = "selftest=crosscall-roundtrip";

/// Calls answered by [`count_call`].
static ANSWERED: AtomicU64 = AtomicU64::new(0);

/// Makes cross-calls from the boot CPU, which holds the env table lock, to every other CPU,
/// each of which is spinning for that lock in `smp::ap_main` with interrupts off: one
/// synchronous call each, then an asynchronous one, then one synchronous call to all of them at
/// once. They can answer only because spinning CPUs answer calls; with `spinanswer=off` the
/// first call never returns (the waiting CPU panics after `crosscall::TIMEOUT_MS`).
fn cross_calls() {
    let others = smp::online().without(cpu::id());
    for cpu in others.iter() {
        crosscall::call(CpuSet::EMPTY.with(cpu), say_hello, cpu::id() as u64);
    }
    for cpu in others.iter() {
        crosscall::call_async(cpu, count_call, 0);
    }
    // A CPU answers its calls in order, so when it has answered this one it has run the
    // asynchronous one too.
    crosscall::call(others, count_call, 0);
    println!(
        "selftest: {} CPU(s) answered {} calls while spinning for the env table lock",
        others.iter().count(),
        ANSWERED.load(Ordering::Relaxed)
    );
}

/// A call: says where it runs.
fn say_hello(from: u64) {
    println!("crosscall: CPU {} runs a call from CPU {from}", cpu::id());
}

/// A call: counts itself.
fn count_call(_: u64) {
    ANSWERED.fetch_add(1, Ordering::Relaxed);
}

/// Times synchronous cross-calls from the boot CPU to CPU 1 (spinning for the env table lock,
/// as in [`cross_calls`]): the cost of a call there and back, in TSC ticks, which `cargo xtask
/// bench` reads under deterministic instruction counting.
fn cross_call_round_trip() {
    const ROUNDS: u64 = 1000;
    if !smp::online().contains(1) {
        println!("selftest: the cross-call round trip needs CPU 1");
        return;
    }
    let target = CpuSet::EMPTY.with(1);
    let start = tsc::now();
    for _ in 0..ROUNDS {
        crosscall::call(target, count_call, 0);
    }
    let ticks = tsc::now() - start;
    println!(
        "selftest: {ROUNDS} cross-call round trips to CPU 1: {} TSC ticks each",
        ticks / ROUNDS
    );
}

/// The command-line word that asks for a deliberate lock-order mistake.
pub const LOCK_ORDER: &str = "selftest=lockorder";

/// Takes two locks in the wrong order on purpose: the MMIO window's (mapping a page of the
/// local APIC's registers again) inside the frame table's, which comes after it in the order.
/// The lock-order check (`spinlock.rs`) must panic and name both; a kernel that let it pass
/// could deadlock against a CPU mapping device registers.
fn lock_order() -> ! {
    println!("selftest: taking the MMIO window lock while holding the frame table lock");
    pmem::with(|_| vm::map_mmio(DEFAULT_LAPIC, 4096));
    panic!("selftest: the lock-order check let a lock be taken out of order")
}
