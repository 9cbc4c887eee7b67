//! Cross-calls: "run this function on CPU k", and, if asked, "tell me when it is done".
//!
//! Each CPU has a mailbox that holds one call. The caller claims the box, writes the call into
//! it, and sends the target a [`ipi::CROSS_CALL`] IPI; the target runs the call when it takes
//! the interrupt (in user mode or asleep in `smp::idle`) or, if it is in the kernel, when it
//! next spins ([`answer_while_spinning`], from `cpu::relax`). The IPI only says "look": the
//! call itself waits in memory, so an IPI merged with another (`ipi.rs`) loses nothing.
//!
//! The danger is the wait. The kernel runs with interrupts off, so a CPU spinning for the big
//! kernel lock takes no interrupt; if the lock's holder waits for that CPU to answer a call,
//! each waits for the other for ever. The rule that prevents it: **a CPU that spins answers
//! calls**, whether it spins for a lock, for a mailbox, or for a call's answer. A function sent
//! this way may therefore run in the middle of any spin, on a CPU holding any lock: it must
//! take no lock itself (printing, whose lock is always held briefly and never while spinning,
//! is the one exception). `spinanswer=off` on the kernel command line breaks the rule, to show
//! the deadlock: the waiting CPU gives up after [`TIMEOUT_MS`] and panics.

use core::cell::UnsafeCell;
use core::sync::atomic::{AtomicU8, AtomicUsize, Ordering};

use crate::cmdline::Switch;
use crate::cpu::{self, MAX_CPUS};
use crate::cpuset::CpuSet;
use crate::ipi;
use crate::tsc;

/// A function to run on another CPU, with its argument.
pub type CallFn = fn(u64);

/// One call, as it waits in a mailbox.
#[derive(Clone, Copy)]
struct Call {
    func: CallFn,
    arg: u64,
    /// The caller's count of answers still to come (on its stack; it waits until the count is
    /// zero, so the pointer stays valid), or null for a call nobody waits for.
    pending: *const AtomicUsize,
}

/// The mailbox is empty: a caller may claim it.
const EMPTY: u8 = 0;
/// A caller has claimed it and is writing the call.
const FILLING: u8 = 1;
/// A call waits in it.
const FULL: u8 = 2;

/// One CPU's mailbox. `state` says who owns `call`: the caller that moved it from EMPTY to
/// FILLING (until it stores FULL), then the box's CPU (until it stores EMPTY).
struct Mailbox {
    state: AtomicU8,
    call: UnsafeCell<Option<Call>>,
}

// SAFETY: `call` is only touched by the owner that `state` names (see `post` and `answer`).
unsafe impl Sync for Mailbox {}

static MAILBOXES: [Mailbox; MAX_CPUS] = [const {
    Mailbox {
        state: AtomicU8::new(EMPTY),
        call: UnsafeCell::new(None),
    }
}; MAX_CPUS];

/// How long a CPU waits for another before it calls the wait a deadlock.
pub const TIMEOUT_MS: u64 = 2000;

/// Whether spinning CPUs answer calls; `spinanswer=off` breaks the rule.
static SPIN_ANSWER: Switch = Switch::new("spinanswer=off");

/// Reads `spinanswer=off` from the kernel command line.
pub fn read_options(cmdline: &str) {
    SPIN_ANSWER.read(cmdline, "crosscall: spinning CPUs do not answer calls");
}

/// Puts a call into CPU `cpu`'s mailbox, waiting (and answering calls) while the box is full.
/// The caller then sends the IPI that tells `cpu` to look.
fn post(cpu: usize, call: Call) {
    let mailbox = &MAILBOXES[cpu];
    let deadline = tsc::deadline_ms(TIMEOUT_MS);
    while mailbox
        .state
        .compare_exchange(EMPTY, FILLING, Ordering::Acquire, Ordering::Relaxed)
        .is_err()
    {
        wait_step(deadline, cpu, "empty its mailbox");
    }
    // SAFETY: this CPU moved the box from EMPTY to FILLING, so it alone owns `call` until it
    // stores FULL.
    unsafe { *mailbox.call.get() = Some(call) };
    mailbox.state.store(FULL, Ordering::Release);
}

/// Runs `func(arg)` on CPU `cpu` (not this one) and returns at once, without waiting for it.
pub fn call_async(cpu: usize, func: CallFn, arg: u64) {
    assert!(
        cpu != cpu::id(),
        "crosscall: an asynchronous call to itself"
    );
    let pending = core::ptr::null();
    post(cpu, Call { func, arg, pending });
    ipi::send(cpu, ipi::CROSS_CALL);
}

/// Runs `func(arg)` on every CPU in `cpus` (this one included, if it is in the set, directly)
/// and returns when all of them have run it.
pub fn call(cpus: CpuSet, func: CallFn, arg: u64) {
    let me = cpu::id();
    let others = cpus.without(me);
    let pending = AtomicUsize::new(others.iter().count());
    for cpu in others.iter() {
        let pending = &raw const pending;
        post(cpu, Call { func, arg, pending });
    }
    // Every mailbox is filled before the first IPI goes, so the targets run in parallel.
    ipi::send_to_set(others, ipi::CROSS_CALL);
    if cpus.contains(me) {
        func(arg);
    }
    let deadline = tsc::deadline_ms(TIMEOUT_MS);
    while pending.load(Ordering::Acquire) != 0 {
        // For the message: a target whose mailbox still holds a call, else the first target
        // (one of them is still running the function).
        let late = others
            .iter()
            .find(|&c| MAILBOXES[c].state.load(Ordering::Relaxed) != EMPTY);
        wait_step(
            deadline,
            late.or(others.iter().next()).unwrap_or(me),
            "answer a call",
        );
    }
}

/// One step of a wait for CPU `other`: answer this CPU's own calls (the rule), and panic with
/// both names when the wait has lasted [`TIMEOUT_MS`].
fn wait_step(deadline: u64, other: usize, what: &str) {
    answer_while_spinning();
    core::hint::spin_loop();
    if tsc::passed(deadline) {
        panic!(
            "crosscall: CPU {} waited {TIMEOUT_MS} ms for CPU {other} to {what}: a deadlock (does a spinning CPU answer calls?)",
            cpu::id()
        );
    }
}

/// Runs the calls waiting in this CPU's mailbox: `trap.rs` calls it for a cross-call IPI, and
/// every spinning CPU through [`answer_while_spinning`].
pub fn answer() {
    let Some(me) = cpu::try_id() else { return };
    let mailbox = &MAILBOXES[me];
    while mailbox.state.load(Ordering::Acquire) == FULL {
        // SAFETY: FULL means the caller is done writing and this CPU owns `call` until it
        // stores EMPTY.
        let call = unsafe { (*mailbox.call.get()).take() };
        mailbox.state.store(EMPTY, Ordering::Release);
        let call = call.expect("crosscall: a full mailbox without a call");
        (call.func)(call.arg);
        // SAFETY: a non-null `pending` points at the count of a caller still waiting in
        // `call` for this very answer, so it is alive.
        if let Some(pending) = unsafe { call.pending.as_ref() } {
            pending.fetch_sub(1, Ordering::Release);
        }
    }
}

/// [`answer`], for a CPU that spins in the kernel (`cpu::relax`), unless `spinanswer=off`.
pub fn answer_while_spinning() {
    if SPIN_ANSWER.is_on() {
        answer();
    }
}
