//! The trap frame: the interrupted context as `trapentry.S` saves it on the kernel stack, and
//! the way back to it.
//!
//! Intel SDM Vol. 3A, 6.14.2 (64-bit mode stack frame): on a trap the CPU pushes `ss`, `rsp`,
//! `rflags`, `cs` and `rip` (always, in 64-bit mode, whatever the privilege level) and, for some
//! exceptions, an error code. The stubs in `trapentry.S` push the rest, so every trap leaves a
//! [`TrapFrame`] of the same shape; `trap_return` pops one and `iretq`s to what it describes.
//! [`print_frame`] prints one as JOS does.

use core::mem::offset_of;

use abi::PushRegs;

use crate::println;
use crate::trap::{fault_address, vector};

/// The state of the interrupted code, as `trapentry.S` leaves it on the kernel stack.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default)]
pub struct TrapFrame {
    /// The general registers (pushed by `trap_common`).
    pub regs: PushRegs,
    /// The vector number (pushed by the stub).
    pub vector: u64,
    /// The error code (pushed by the CPU, or a zero pushed by the stub).
    pub err: u64,
    // Pushed by the CPU:
    pub rip: u64,
    pub cs: u64,
    pub rflags: u64,
    pub rsp: u64,
    pub ss: u64,
}
// The order trapentry.S pushes and pops in: 15 registers, vector, error code, CPU frame.
const _: () = assert!(offset_of!(TrapFrame, regs) == 0 && offset_of!(PushRegs, rax) == 14 * 8);
const _: () = assert!(offset_of!(TrapFrame, vector) == 15 * 8);
const _: () = assert!(offset_of!(TrapFrame, rip) == 17 * 8);
const _: () = assert!(size_of::<TrapFrame>() == 22 * 8);

impl TrapFrame {
    /// Whether the trap came from user mode (ring 3).
    pub fn came_from_user(&self) -> bool {
        self.cs & 3 == 3
    }
}

impl TrapFrame {
    /// A frame of zeros: a free environment's.
    // SAFETY: every field is an integer, for which all-zero bytes are a valid value.
    pub const ZERO: TrapFrame = unsafe { core::mem::zeroed() };
}

unsafe extern "C" {
    /// Loads `frame` and returns from the trap it describes (`trapentry.S`).
    fn trap_return(frame: *const TrapFrame) -> !;
}

/// Returns to the context in `frame`.
pub fn pop_frame(frame: &TrapFrame) -> ! {
    // SAFETY: a frame the kernel built or saved describes a valid context; trap_return
    // abandons the current stack, which no one will use again.
    unsafe { trap_return(frame) }
}

/// The interrupt flag (RFLAGS bit 9).
pub const RFLAGS_IF: u64 = 1 << 9;
/// The I/O privilege level (RFLAGS bits 12-13).
const RFLAGS_IOPL: u64 = 0b11 << 12;

/// The flags user code runs with: whatever it set, but always interrupts on (so the timer can
/// take the CPU back) and IOPL 0 (so it cannot turn them off: `cli` faults at CPL 3 when CPL >
/// IOPL, and `popf` leaves IF alone). SDM Vol. 1, 3.4.3.
pub fn user_rflags(rflags: u64) -> u64 {
    (rflags | RFLAGS_IF) & !RFLAGS_IOPL
}

/// JOS's names for the vectors, so frame dumps read the same.
pub fn trap_name(vector: u64) -> &'static str {
    const NAMES: [&str; 20] = [
        "Divide error",
        "Debug",
        "Non-Maskable Interrupt",
        "Breakpoint",
        "Overflow",
        "BOUND Range Exceeded",
        "Invalid Opcode",
        "Device Not Available",
        "Double Fault",
        "Coprocessor Segment Overrun",
        "Invalid TSS",
        "Segment Not Present",
        "Stack Fault",
        "General Protection",
        "Page Fault",
        "(unknown trap)",
        "x87 FPU Floating-Point Error",
        "Alignment Check",
        "Machine-Check",
        "SIMD Floating-Point Exception",
    ];
    match vector {
        v if (v as usize) < NAMES.len() => NAMES[v as usize],
        v if v == u64::from(vector::SYSCALL) => "System call",
        v if (32..48).contains(&v) => "Hardware Interrupt",
        _ => "(unknown trap)",
    }
}

/// Prints a frame as JOS's `print_trapframe` does (with x86_64's registers).
pub fn print_frame(tf: &TrapFrame) {
    println!("TRAP frame at {:p} from CPU {}", tf, crate::cpu::id());
    let regs = [
        ("rax", tf.regs.rax),
        ("rbx", tf.regs.rbx),
        ("rcx", tf.regs.rcx),
        ("rdx", tf.regs.rdx),
        ("rsi", tf.regs.rsi),
        ("rdi", tf.regs.rdi),
        ("rbp", tf.regs.rbp),
        ("r8 ", tf.regs.r8),
        ("r9 ", tf.regs.r9),
        ("r10", tf.regs.r10),
        ("r11", tf.regs.r11),
        ("r12", tf.regs.r12),
        ("r13", tf.regs.r13),
        ("r14", tf.regs.r14),
        ("r15", tf.regs.r15),
    ];
    for (name, value) in regs {
        println!("  {name}  0x{value:016x}");
    }
    println!("  trap 0x{:08x} {}", tf.vector, trap_name(tf.vector));
    if tf.vector == u64::from(vector::PAGE_FAULT) {
        println!("  cr2  0x{:016x}", fault_address());
        println!("  err  0x{:08x} {}", tf.err, abi::PageFaultErr(tf.err));
    } else {
        println!("  err  0x{:08x}", tf.err);
    }
    println!("  rip  0x{:016x}", tf.rip);
    println!("  cs   0x----{:04x}", tf.cs);
    println!("  flag 0x{:016x}", tf.rflags);
    // In 64-bit mode the CPU pushes the stack pointer and segment on every trap.
    println!("  rsp  0x{:016x}", tf.rsp);
    println!("  ss   0x----{:04x}", tf.ss);
}
