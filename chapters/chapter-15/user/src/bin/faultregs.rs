//! The way through a user page-fault handler and back must change no register (JOS's
//! `user/faultregs.c`, on x86_64).
//!
//! One assembly block sets every general register to a known value and the flags to an
//! unusual one (carry, parity, adjust, zero, sign, overflow and the direction flag set),
//! records them all with the stack pointer and the address of the next instruction in
//! `BEFORE`, and writes to [`FAULT_PAGE`], where nothing is mapped. The handler compares the
//! [`UTrapframe`] with `BEFORE` (`Registers in UTrapframe OK`), and maps the page. The write
//! then runs again, and the block records every register, the flags and the stack pointer
//! once more, in `AFTER`, which must match `BEFORE` too (`Registers after page-fault OK`).
//! Each field that differs prints a line of its own starting with `MISMATCH`. So does each
//! word of the red zone (the 128 bytes below the stack pointer, filled before the fault)
//! that the way through the handler changed.
//!
//! The statics are written by the assembly block through their symbols, since no register is
//! left to hold a pointer to them.
#![no_std]
#![no_main]

use core::arch::asm;
use core::cell::UnsafeCell;
use core::mem::offset_of;
use core::ptr;

use abi::{PGSIZE, PushRegs, RED_ZONE, UTrapframe, perm};
use user::pgfault::set_pgfault_handler;
use user::println;
use user::syscall::sys_page_alloc;

user::main!(umain);

/// Where the test faults: a page below the program image, where nothing is mapped.
const FAULT_PAGE: u64 = 0x40_0000;

const _: () = assert!(FAULT_PAGE.is_multiple_of(PGSIZE));

/// What the faulting instruction writes, once it can.
const MAGIC: u64 = 42;

/// The flags lit up before the fault: CF, PF, AF, ZF, SF, DF, OF. (Not AC, which could make
/// unaligned accesses fault, nor TF, which would trap after every instruction.)
const FLAGS: u64 = 0x1 | 0x4 | 0x10 | 0x40 | 0x80 | 0x400 | 0x800;

/// The resume flag, which the processor may set in the flags it saves for a fault so that the
/// instruction, run again, does not trigger an instruction breakpoint twice. The kernel passes
/// it on as it was saved; it is no part of the program's state.
const RF: u64 = 1 << 16;

/// The registers, flags and stack pointer at one moment, and the instruction pointer.
#[repr(C)]
#[derive(Clone, Copy)]
struct Snapshot {
    regs: PushRegs,
    rip: u64,
    rflags: u64,
    rsp: u64,
}

/// Memory the assembly block writes.
struct Shared<T>(UnsafeCell<T>);

// SAFETY: an environment has a single thread. The assembly block writes the statics; Rust
// code reads them only before the block, after it, or in the handler, which runs while the
// block is stopped at the fault, after `BEFORE` is complete and before anything else is
// written.
unsafe impl<T> Sync for Shared<T> {}

impl<T: Copy> Shared<T> {
    /// A copy of the contents (see the `Sync` impl for when nothing writes them).
    fn read(&self) -> T {
        // SAFETY: the cell holds an initialised value, and nothing writes it while it is read
        // (see the `Sync` impl). Volatile, as the writes come from outside the compiler's view.
        unsafe { ptr::read_volatile(self.0.get()) }
    }
}

/// The words of the red zone, the bytes below the stack pointer that code may use without
/// moving it: nothing on the way through the handler may touch them.
const RED_ZONE_WORDS: usize = RED_ZONE as usize / 8;

// The assembly block's `.irp` lists name every word.
const _: () = assert!(RED_ZONE_WORDS == 16);

/// What the block writes into each red-zone word before the fault: this, plus the word's
/// index (an immediate the `mov` sign-extends, so it stays below 2^31).
const RED_ZONE_MARK: u64 = 0x7ed0_0000;

// SAFETY: a snapshot is made of `u64`s only, for which all zeroes is a valid value.
static BEFORE: Shared<Snapshot> = Shared(UnsafeCell::new(unsafe { core::mem::zeroed() }));
// SAFETY: as for `BEFORE`.
static AFTER: Shared<Snapshot> = Shared(UnsafeCell::new(unsafe { core::mem::zeroed() }));
/// The red zone as the block finds it after the fault, lowest word first.
static RED_ZONE_AFTER: Shared<[u64; RED_ZONE_WORDS]> = Shared(UnsafeCell::new([0; RED_ZONE_WORDS]));

/// The fields of a snapshot, named.
fn fields(s: &Snapshot) -> [(&'static str, u64); 18] {
    let r = &s.regs;
    [
        ("rax", r.rax),
        ("rbx", r.rbx),
        ("rcx", r.rcx),
        ("rdx", r.rdx),
        ("rsi", r.rsi),
        ("rdi", r.rdi),
        ("rbp", r.rbp),
        ("r8", r.r8),
        ("r9", r.r9),
        ("r10", r.r10),
        ("r11", r.r11),
        ("r12", r.r12),
        ("r13", r.r13),
        ("r14", r.r14),
        ("r15", r.r15),
        ("rip", s.rip),
        ("rflags", s.rflags),
        ("rsp", s.rsp),
    ]
}

/// Prints a `MISMATCH` line for every field in which `actual` differs from `expected`, or one
/// `Registers <when> OK` line if none does.
fn check(expected: &Snapshot, actual: &Snapshot, when: &str) {
    let mut ok = true;
    for ((name, want), (_, got)) in fields(expected).into_iter().zip(fields(actual)) {
        if want != got {
            println!("MISMATCH {when}: {name} is {got:#018x}, expected {want:#018x}");
            ok = false;
        }
    }
    if ok {
        println!("Registers {when} OK");
    }
}

fn handler(utf: &UTrapframe) {
    if utf.fault_va != FAULT_PAGE {
        panic!(
            "page fault expected at {FAULT_PAGE:#x}, got {:#x} (ip {:#x})",
            utf.fault_va, utf.rip
        );
    }
    let during = Snapshot {
        regs: utf.regs,
        rip: utf.rip,
        rflags: utf.rflags & !RF,
        rsp: utf.rsp,
    };
    check(&BEFORE.read(), &during, "in UTrapframe");
    // SAFETY: nothing is mapped at the page (it faulted), so no Rust object lives there.
    if let Err(e) = unsafe { sys_page_alloc(0, FAULT_PAGE, perm::P | perm::U | perm::W) } {
        panic!("sys_page_alloc: {e}");
    }
}

/// A value for each register that no two registers share, with high bits set so that a
/// register cut to 32 bits shows.
fn seed() -> PushRegs {
    let v = |i: u64| 0x0101_0101_0101_0101 * i;
    PushRegs {
        rax: v(1),
        rbx: v(2),
        rcx: v(3),
        rdx: v(4),
        rsi: v(5),
        rdi: v(6),
        rbp: v(7),
        r8: v(8),
        r9: v(9),
        r10: v(10),
        r11: v(11),
        r12: v(12),
        r13: v(13),
        r14: v(14),
        r15: v(15),
    }
}

fn umain() {
    set_pgfault_handler(handler);
    let mut start = BEFORE.read();
    start.regs = seed();
    // SAFETY: nothing else reads or writes `BEFORE` now (see the `Sync` impl).
    unsafe { ptr::write_volatile(BEFORE.0.get(), start) };

    // SAFETY: the block saves `rbx` and `rbp` (which cannot be operands) on the stack and
    // restores them, declares every other general register clobbered, and leaves the stack
    // pointer and the direction flag as it found them; it writes only `BEFORE`, `AFTER` and
    // the stack below the stack pointer (allowed: no `nostack`). The write to `FAULT_PAGE`
    // faults, and the handler maps the page (a page the program has nothing at), so it runs
    // again and succeeds. The stack pointer is reloaded from `BEFORE` before the pops, so that
    // a wrong one after the fault is reported rather than crashing the block.
    unsafe {
        asm!(
            "pushq %rbx",
            "pushq %rbp",
            // The address of the faulting instruction, while %rax is still free.
            "leaq 2f(%rip), %rax",
            "movq %rax, {before}+{rip}(%rip)",
            // The flags: or-ing into the saved image changes them only until popfq. Both
            // pushes use the stack below %rsp before the red zone is filled.
            "pushfq",
            "orq ${flags}, (%rsp)",
            "popfq",
            "pushfq",
            "popq {before}+{rflags}(%rip)",
            // From here to the last store, only mov, push and pop: none changes a flag.
            // The red zone, a word at a time, with immediates (no register is needed).
            ".irp i, 0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15",
            "movq $({red_zone_mark} + \\i), (8 * \\i - {red_zone})(%rsp)",
            ".endr",
            "movq {before}+{rax}(%rip), %rax",
            "movq {before}+{rbx}(%rip), %rbx",
            "movq {before}+{rcx}(%rip), %rcx",
            "movq {before}+{rdx}(%rip), %rdx",
            "movq {before}+{rsi}(%rip), %rsi",
            "movq {before}+{rdi}(%rip), %rdi",
            "movq {before}+{rbp}(%rip), %rbp",
            "movq {before}+{r8}(%rip), %r8",
            "movq {before}+{r9}(%rip), %r9",
            "movq {before}+{r10}(%rip), %r10",
            "movq {before}+{r11}(%rip), %r11",
            "movq {before}+{r12}(%rip), %r12",
            "movq {before}+{r13}(%rip), %r13",
            "movq {before}+{r14}(%rip), %r14",
            "movq {before}+{r15}(%rip), %r15",
            "movq %rsp, {before}+{rsp}(%rip)",
            // The fault.
            "2: movq ${magic}, {page}",
            // Everything again, as the handler left it: the registers first, then the red
            // zone (through %rax, saved by now), then the flags (whose push would overwrite
            // the red zone's top word).
            "movq %rax, {after}+{rax}(%rip)",
            "movq %rbx, {after}+{rbx}(%rip)",
            "movq %rcx, {after}+{rcx}(%rip)",
            "movq %rdx, {after}+{rdx}(%rip)",
            "movq %rsi, {after}+{rsi}(%rip)",
            "movq %rdi, {after}+{rdi}(%rip)",
            "movq %rbp, {after}+{rbp}(%rip)",
            "movq %r8, {after}+{r8}(%rip)",
            "movq %r9, {after}+{r9}(%rip)",
            "movq %r10, {after}+{r10}(%rip)",
            "movq %r11, {after}+{r11}(%rip)",
            "movq %r12, {after}+{r12}(%rip)",
            "movq %r13, {after}+{r13}(%rip)",
            "movq %r14, {after}+{r14}(%rip)",
            "movq %r15, {after}+{r15}(%rip)",
            "movq %rsp, {after}+{rsp}(%rip)",
            ".irp i, 0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15",
            "movq (8 * \\i - {red_zone})(%rsp), %rax",
            "movq %rax, {red_zone_after}+(8 * \\i)(%rip)",
            ".endr",
            "pushfq",
            "popq {after}+{rflags}(%rip)",
            // Back to what the compiler expects.
            "movq {before}+{rsp}(%rip), %rsp",
            "cld",
            "popq %rbp",
            "popq %rbx",
            before = sym BEFORE,
            after = sym AFTER,
            red_zone_after = sym RED_ZONE_AFTER,
            red_zone = const RED_ZONE,
            red_zone_mark = const RED_ZONE_MARK,
            flags = const FLAGS,
            magic = const MAGIC,
            page = const FAULT_PAGE,
            rip = const offset_of!(Snapshot, rip),
            rflags = const offset_of!(Snapshot, rflags),
            rsp = const offset_of!(Snapshot, rsp),
            rax = const offset_of!(Snapshot, regs.rax),
            rbx = const offset_of!(Snapshot, regs.rbx),
            rcx = const offset_of!(Snapshot, regs.rcx),
            rdx = const offset_of!(Snapshot, regs.rdx),
            rsi = const offset_of!(Snapshot, regs.rsi),
            rdi = const offset_of!(Snapshot, regs.rdi),
            rbp = const offset_of!(Snapshot, regs.rbp),
            r8 = const offset_of!(Snapshot, regs.r8),
            r9 = const offset_of!(Snapshot, regs.r9),
            r10 = const offset_of!(Snapshot, regs.r10),
            r11 = const offset_of!(Snapshot, regs.r11),
            r12 = const offset_of!(Snapshot, regs.r12),
            r13 = const offset_of!(Snapshot, regs.r13),
            r14 = const offset_of!(Snapshot, regs.r14),
            r15 = const offset_of!(Snapshot, regs.r15),
            out("rax") _,
            out("rcx") _,
            out("rdx") _,
            out("rsi") _,
            out("rdi") _,
            out("r8") _,
            out("r9") _,
            out("r10") _,
            out("r11") _,
            out("r12") _,
            out("r13") _,
            out("r14") _,
            out("r15") _,
            options(att_syntax),
        );
    }

    // The faulting write must have run again, to the page the handler mapped: that is how the
    // instruction pointer shows it was restored.
    // SAFETY: the handler mapped the page; nothing but the assembly block's write touched it.
    let written = unsafe { ptr::read_volatile(FAULT_PAGE as *const u64) };
    if written != MAGIC {
        println!("MISMATCH after page-fault: the faulting write did not run again (rip)");
    }
    let before = BEFORE.read();
    let mut after = AFTER.read();
    after.rip = before.rip;
    check(&before, &after, "after page-fault");
    for (i, got) in RED_ZONE_AFTER.read().into_iter().enumerate() {
        let want = RED_ZONE_MARK + i as u64;
        if got != want {
            let below = RED_ZONE as usize - 8 * i;
            println!("MISMATCH after page-fault: rsp-{below} is {got:#x}, expected {want:#x}");
        }
    }
}
