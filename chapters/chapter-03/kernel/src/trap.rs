//! Traps: the IDT, the trap frame, and where every interrupt, exception and system call goes.
//!
//! Intel SDM Vol. 3A, 6.14 (64-bit mode exception and interrupt handling): the CPU looks up the
//! vector's gate in the IDT, switches to the kernel stack if it came from ring 3 (TSS rsp0),
//! pushes the interrupted context and jumps to the gate's handler. Our handlers are the stubs
//! in `trapentry.S`, which complete the [`TrapFrame`] (`trapframe.rs`) and call [`trap`].
//!
//! The kernel runs with interrupts disabled (and, in these chapters, so do environments), so a
//! trap from kernel mode is always a kernel bug: it panics. A trap from user mode is saved into
//! the current environment and handled on its behalf; a user fault destroys the environment and
//! never the kernel.

use core::arch::global_asm;
use core::mem::offset_of;

use spin::Once;

use crate::env::{self, EnvTable};
use crate::gdt::KERNEL_CS;
use crate::trapframe::{TrapFrame, print_frame, trap_name};
use crate::{println, sched, syscall};

/// The bytes per stub in `trapentry.S`.
const STUB_SIZE: usize = 16;

global_asm!(
    include_str!("trapentry.S"),
    stub_size = const STUB_SIZE,
    trap = sym trap,
    frame_tail = const offset_of!(TrapFrame, rip) - offset_of!(TrapFrame, vector),
    options(att_syntax)
);

unsafe extern "C" {
    /// The first of 256 trap stubs, `STUB_SIZE` bytes apart.
    static trap_stubs: u8;
}

/// Exception vectors (SDM Vol. 3A, Table 6-1) and ours.
pub mod vector {
    pub const BREAKPOINT: u8 = 3;
    pub const PAGE_FAULT: u8 = 14;
    /// The first vector of the (remapped, masked) legacy PIC's interrupts.
    pub const IRQ0: u8 = 32;
    /// Each CPU's local APIC timer: IRQ 0's vector, as in JOS (`IRQ_OFFSET + IRQ_TIMER`).
    /// System calls.
    pub const SYSCALL: u8 = abi::SYSCALL_VECTOR;
}

/// An IDT gate descriptor (SDM Vol. 3A, Figure 6-8).
#[repr(C)]
#[derive(Clone, Copy)]
struct Gate {
    offset_low: u16,
    selector: u16,
    ist: u8,
    type_attr: u8,
    offset_mid: u16,
    offset_high: u32,
    reserved: u32,
}
const _: () = assert!(size_of::<Gate>() == 16);

impl Gate {
    /// A present gate to `handler`: an interrupt gate (interrupts stay off) or a trap gate,
    /// callable with `int` from privilege level `dpl` and below.
    fn new(handler: u64, trap_gate: bool, dpl: u8) -> Gate {
        let kind = if trap_gate { 0xf } else { 0xe };
        Gate {
            offset_low: handler as u16,
            selector: KERNEL_CS,
            ist: 0,
            type_attr: 0x80 | dpl << 5 | kind,
            offset_mid: (handler >> 16) as u16,
            offset_high: (handler >> 32) as u32,
            reserved: 0,
        }
    }
}

static IDT: Once<[Gate; 256]> = Once::new();

/// Builds the IDT and loads it on this CPU.
pub fn init() {
    IDT.call_once(|| {
        let stubs = &raw const trap_stubs as u64;
        core::array::from_fn(|v| {
            let handler = stubs + (v * STUB_SIZE) as u64;
            match v as u8 {
                // User code may raise these with `int` (DPL 3); everything else it may not,
                // so `int $14` from user mode is a general-protection fault instead.
                vector::BREAKPOINT => Gate::new(handler, false, 3),
                vector::SYSCALL => Gate::new(handler, true, 3),
                _ => Gate::new(handler, false, 0),
            }
        })
    });
    load();
}

/// Loads the IDT on this CPU.
pub fn load() {
    let idt = IDT.get().expect("trap: IDT not built");
    let pointer = x86::dtables::DescriptorTablePointer {
        limit: (size_of::<[Gate; 256]>() - 1) as u16,
        base: idt.as_ptr(),
    };
    // SAFETY: the IDT is static and every gate points at a stub in trapentry.S.
    unsafe { x86::dtables::lidt(&pointer) };
}

/// Called by `trap_common` with the frame it built on the kernel stack.
extern "C" fn trap(frame: &mut TrapFrame) -> ! {
    if !frame.came_from_user() {
        kernel_trap(frame);
    }
    let mut envs = env::lock_kernel();
    let cur = envs
        .current()
        .expect("trap: trap from user mode with no current environment");
    envs.get_mut(cur).tf = *frame;
    dispatch(&mut envs, cur, frame);
    // If the environment survived, resume it; otherwise pick another one.
    if envs.current() == Some(cur) {
        env::run(envs, cur)
    }
    sched::schedule(envs)
}

/// Handles a trap from user mode on behalf of environment `cur`.
fn dispatch(envs: &mut EnvTable, cur: usize, frame: &TrapFrame) {
    match frame.vector as u8 {
        vector::SYSCALL => {
            let tf = &envs.get(cur).tf;
            let r = &tf.regs;
            let (num, args) = (r.rax, [r.rdi, r.rsi, r.rdx, r.rcx, r.r8]);
            let ret = syscall::dispatch(envs, cur, num, args);
            // The call may have destroyed the caller; only a live caller gets a result.
            if envs.current() == Some(cur) {
                envs.get_mut(cur).tf.regs.rax = ret as u64;
            }
        }
        vector::PAGE_FAULT => {
            let va = fault_address();
            println!(
                "[{:08x}] user fault va {:08x} ip {:08x}",
                envs.get(cur).id,
                va,
                frame.rip
            );
            print_frame(frame);
            envs.destroy(cur);
        }
        _ => {
            print_frame(frame);
            envs.destroy(cur);
        }
    }
}

/// The address of the last page fault (CR2).
pub fn fault_address() -> u64 {
    // SAFETY: reading CR2 has no side effects.
    unsafe { x86::controlregs::cr2() as u64 }
}

/// A trap in kernel mode: always a kernel bug in this kernel.
fn kernel_trap(frame: &TrapFrame) -> ! {
    print_frame(frame);
    if frame.vector == u64::from(vector::PAGE_FAULT) {
        panic!("page fault in kernel mode at va {:#x}", fault_address());
    }
    panic!("unexpected trap {} in kernel mode", trap_name(frame.vector));
}
