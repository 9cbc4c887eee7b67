// @file 12
// @{ ipi_doc
//! Inter-processor interrupts: one CPU interrupting another through the local APICs.
//!
//! Intel SDM Vol. 3A, 11.6 ("Issuing Interprocessor Interrupts"): a CPU writes the target's
//! APIC id and then the vector and delivery mode into its own APIC's interrupt command register
//! (ICR, `lapic.rs`); the APIC sends the message over the bus (the "APIC bus", or the system bus
//! on newer machines) and shows "send pending" in the ICR until the target's APIC has accepted
//! it. Accepted is not handled: the target's APIC sets the vector's bit in its interrupt request
//! register (IRR), and the CPU takes the interrupt when its interrupt flag and priority allow.
//! This kernel runs with interrupts off in kernel mode, so an IPI reaches a CPU when it returns
//! to user mode or sleeps in `smp::idle`, which may be much later.
//!
//! The IRR has one bit per vector, so IPIs of one vector that arrive while one is still pending
//! merge into one: the others are *lost*, silently. An IPI can therefore only mean "look at
//! something": what to do must wait in memory (`crosscall.rs`'s mailboxes), and the handler
//! must look until nothing is left.
//!
//! Two kinds of IPI are fixed-vector interrupts of our own ([`WAKE`], [`CROSS_CALL`]); the
//! third is an NMI, which even a CPU with interrupts off takes: [`stop_others`] uses it, so a
//! panic's message or the end-of-run report is not interleaved with what other CPUs print.
// @}

// @{ 12 hidden
use core::sync::atomic::{AtomicBool, AtomicU64, Ordering};

use crate::cpu::{self, MAX_CPUS};
use crate::cpuset::CpuSet;
use crate::lapic::{Ipi, Lapic};
use crate::println;
use crate::smp; // @15 hidden
use crate::tsc;
// @}

// @{ ipi_vectors
/// Wakes a CPU sleeping in `smp::idle`: the interrupt itself is the message.
pub const WAKE: u8 = 0xf0;
/// "Look in your mailbox" (`crosscall.rs`). Above [`WAKE`]: the APIC delivers the higher
/// priority class (vector / 16) first.
pub const CROSS_CALL: u8 = 0xf1;
/// "Enter the kernel": the environment this CPU runs was destroyed by another CPU, and only
/// this one can free it (`env::destroy`). Unlike the other two, it takes the usual way in,
// @{ 12..14 hidden
//- /// through the big kernel lock, to the check for a dying environment.
// @}
// @{ 14 hidden
/// through the env table lock, to the check for a dying environment.
// @}
pub const KICK: u8 = 0xf2;
// @}

// @{ ipi_counters
/// One CPU's IPI counts, printed at the end of the run ([`report`]). Other CPUs add to them,
/// so they are atomics, not per-CPU cells.
struct Counters {
    sent: AtomicU64,
    wakes: AtomicU64,
    kicks: AtomicU64,
    calls: AtomicU64,
}

static COUNTERS: [Counters; MAX_CPUS] = [const {
    Counters {
        sent: AtomicU64::new(0),
        wakes: AtomicU64::new(0),
        kicks: AtomicU64::new(0),
        calls: AtomicU64::new(0),
    }
}; MAX_CPUS];

/// This CPU's local APIC; IPIs are only sent once it is set up.
fn lapic() -> Lapic {
    Lapic::this_cpu().expect("ipi: sent before the local APIC is mapped")
}

/// Sends `vector` to CPU `cpu` and counts it.
pub fn send(cpu: usize, vector: u8) {
    lapic().send(Ipi::fixed(cpu::apic_id(cpu), vector));
    COUNTERS[cpu::id()].sent.fetch_add(1, Ordering::Relaxed);
}

/// Sends `vector` to every CPU in `cpus`, one ICR write each (the xAPIC's logical destination
/// modes could do it in one, but only for up to 8 CPUs in flat mode).
pub fn send_to_set(cpus: CpuSet, vector: u8) {
    for cpu in cpus.iter() {
        send(cpu, vector);
    }
}

/// Counts an IPI this CPU received; `trap.rs` calls it for every [`WAKE`], [`KICK`] and
/// [`CROSS_CALL`].
pub fn received(vector: u8) {
    let counters = &COUNTERS[cpu::id()];
    match vector {
        WAKE => counters.wakes.fetch_add(1, Ordering::Relaxed),
        KICK => counters.kicks.fetch_add(1, Ordering::Relaxed),
        _ => counters.calls.fetch_add(1, Ordering::Relaxed),
    };
}

/// Whether `vector` is one of this file's.
pub fn is_ipi(vector: u8) -> bool {
    matches!(vector, WAKE | KICK | CROSS_CALL)
}

/// Prints every CPU's counts: `IPI: CPU 0 sent 12, received 3 wake-ups, 1 kicks and 4 calls`.
pub fn report() {
    for (cpu, c) in COUNTERS.iter().enumerate().take(cpu::count()) {
        println!(
            "IPI: CPU {cpu} sent {}, received {} wake-ups, {} kicks and {} calls",
            c.sent.load(Ordering::Relaxed),
            c.wakes.load(Ordering::Relaxed),
            c.kicks.load(Ordering::Relaxed),
            c.calls.load(Ordering::Relaxed)
        );
    }
}
// @}

// @{ stop_others
/// Set by the first CPU that stops the others; from then on an NMI means "stop".
static STOPPING: AtomicBool = AtomicBool::new(false);
/// Which CPUs have stopped.
static STOPPED: [AtomicBool; MAX_CPUS] = [const { AtomicBool::new(false) }; MAX_CPUS];
/// How long [`stop_others`] waits for the others to say they stopped.
const STOP_WAIT_MS: u64 = 100;

/// Stops every other CPU for good with an NMI, which even a CPU spinning with interrupts off
/// takes, and waits (up to [`STOP_WAIT_MS`]) until they say so. For the end of the run and
/// for a panic. Returns how many stopped; if another CPU is stopping everyone already, this
/// CPU stops itself instead (its NMI is on the way).
pub fn stop_others() -> usize {
    if Lapic::this_cpu().is_none() || cpu::count() == 1 {
        return 0;
    }
    if STOPPING.swap(true, Ordering::AcqRel) {
        stop_this_cpu();
    }
    //- lapic().send(Ipi::nmi(0).to_all_others()); // @12..15
    let me = cpu::id();
    // @{ 15
    // An NMI to each CPU that started, not one to "all but self": that would also reach the
    // CPUs the kernel left off (beyond MAX_CPUS), which still sit in the firmware's halt loop
    // in real mode, where an NMI runs the firmware's handler: QEMU then resets the machine.
    for other in smp::online().iter().filter(|&c| c != me) {
        lapic().send(Ipi::nmi(cpu::apic_id(other)));
    }
    // @}
    let deadline = tsc::deadline_ms(STOP_WAIT_MS);
    let stopped = || (0..cpu::count()).filter(|&c| c != me && STOPPED[c].load(Ordering::Acquire));
    while stopped().count() < cpu::count() - 1 && !tsc::passed(deadline) {
        core::hint::spin_loop();
    }
    stopped().count()
}

/// An NMI arrived (`trap.rs`): if the CPUs are being stopped, this one stops. Any other NMI
/// (a hardware error) is the kernel's end as well: it returns, and the caller panics.
pub fn on_nmi() {
    if STOPPING.load(Ordering::Acquire) {
        stop_this_cpu();
    }
}

/// Says this CPU stopped, and halts with interrupts off for good (NMIs stay blocked too: the
/// CPU never executes the `iretq` that would unblock them).
fn stop_this_cpu() -> ! {
    if let Some(me) = cpu::try_id() {
        STOPPED[me].store(true, Ordering::Release);
    }
    loop {
        // SAFETY: halting with interrupts off changes no memory; this CPU is done.
        unsafe {
            x86::irq::disable();
            x86::halt();
        }
    }
}
// @}
