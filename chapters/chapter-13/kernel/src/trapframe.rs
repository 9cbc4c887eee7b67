//! The trap frame: the interrupted context as `trapentry.S` saves it on the kernel stack, and
//! the way back to it.
//!
//! Intel SDM Vol. 3A, 6.14.2 (64-bit mode stack frame): on a trap the CPU pushes `ss`, `rsp`,
//! `rflags`, `cs` and `rip` (always, in 64-bit mode, whatever the privilege level) and, for some
//! exceptions, an error code. The stubs in `trapentry.S` push the rest, so every trap leaves a
//! [`TrapFrame`] of the same shape; `trap_return` pops one and `iretq`s to what it describes.

use core::mem::offset_of;

use abi::PushRegs;

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
