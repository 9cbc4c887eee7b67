//! Traps: the IDT, the trap frame, and where every interrupt, exception and system call goes.
//!
//! Intel SDM Vol. 3A, 6.14 (64-bit mode exception and interrupt handling): the CPU looks up the
//! vector's gate in the IDT, switches to the kernel stack if it came from ring 3 (TSS rsp0),
//! pushes the interrupted context and jumps to the gate's handler. Our handlers are the stubs
//! in `trapentry.S`, which complete the [`TrapFrame`] (`trapframe.rs`) and call [`trap`].
//!
//! The kernel runs with interrupts disabled; environments run with them enabled, so that each
//! CPU's timer can take the CPU back. A trap from kernel mode is therefore a kernel bug (it
//! panics), except an interrupt that wakes an idle CPU. A trap from user mode is saved into the
//! current environment and handled on its behalf; a user fault destroys the environment and
//! never the kernel.

use core::arch::global_asm;
use core::mem::offset_of;

use spin::Once;

use crate::cpu;
use crate::crosscall;
use crate::env::{self, EnvStatus, EnvTable};
use crate::gdt::KERNEL_CS;
use crate::ipi;
use crate::lapic::{self, Lapic};
use crate::smp;
use crate::trapframe::{self, TrapFrame, print_frame, trap_name};
use crate::{pgfault, sched, syscall};

/// The bytes per stub in `trapentry.S`.
const STUB_SIZE: usize = 16;

global_asm!(
    include_str!("trapentry.S"),
    stub_size = const STUB_SIZE,
    trap = sym trap,
    frame_tail = const offset_of!(TrapFrame, rip) - offset_of!(TrapFrame, vector),
    cs_from_vector = const offset_of!(TrapFrame, cs) - offset_of!(TrapFrame, vector),
    cs_from_rip = const offset_of!(TrapFrame, cs) - offset_of!(TrapFrame, rip),
    options(att_syntax)
);

unsafe extern "C" {
    /// The first of 256 trap stubs, `STUB_SIZE` bytes apart.
    static trap_stubs: u8;
}

/// Exception vectors (SDM Vol. 3A, Table 6-1) and ours.
pub mod vector {
    /// The non-maskable interrupt: `ipi::stop_others` sends it.
    pub const NMI: u8 = 2;
    pub const BREAKPOINT: u8 = 3;
    pub const DOUBLE_FAULT: u8 = 8;
    pub const PAGE_FAULT: u8 = 14;
    /// The first vector of the (remapped, masked) legacy PIC's interrupts.
    pub const IRQ0: u8 = 32;
    /// Each CPU's local APIC timer: IRQ 0's vector, as in JOS (`IRQ_OFFSET + IRQ_TIMER`).
    pub const TIMER: u8 = IRQ0;
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

    /// The same gate, switching to stack `ist` (1-7) of the interrupt stack table on entry,
    /// whatever the stack pointer was (SDM Vol. 3A, 7.14.5).
    fn on_ist(self, ist: u8) -> Gate {
        Gate { ist, ..self }
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
                // An interrupt gate, as every other: the CPU clears IF on the way in, so the
                // kernel runs with interrupts off even when user mode had them on.
                vector::SYSCALL => Gate::new(handler, false, 3),
                // A double fault gets a stack of its own: if the kernel stack overflowed, the
                // CPU could push nothing on it, and the double fault would become a triple
                // fault, a silent reset.
                vector::DOUBLE_FAULT => Gate::new(handler, false, 0).on_ist(1),
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
    let vector = frame.vector as u8;
    if vector == vector::NMI {
        // Another CPU stopping this one (it never returns), or a hardware error.
        ipi::on_nmi();
        kernel_trap(frame);
    }
    // An IPI that finds the CPU in user mode is answered at once, and the CPU goes straight
    // back, without the env table lock: the lock's holder may be the CPU waiting for this
    // very answer. A kick alone goes on, to the lock and the check for a dying environment.
    if ipi::is_ipi(vector) && frame.came_from_user() {
        take_interrupt(vector);
        if vector != ipi::KICK {
            trapframe::pop_frame(frame)
        }
    }
    if !frame.came_from_user() {
        // An interrupt that woke this CPU in `smp::idle`, the one place where the kernel runs
        // with interrupts on: take it (an IPI may bring calls) and look for work. After a tick,
        // another CPU may be in the kernel for a moment: try the lock a few times, but never
        // queue for it. The CPU stays marked idle until it has the lock, so a CPU that makes
        // work runnable meanwhile wakes it again rather than assuming it will look
        // (`smp::set_idle`).
        if smp::is_idle() {
            take_interrupt(vector);
            // A wake-up means work for this CPU: it is worth queueing for.
            if vector == ipi::WAKE {
                let envs = env::lock();
                smp::set_busy();
                sched::schedule(envs)
            }
            for _ in 0..IDLE_LOOKS {
                if let Some(envs) = env::try_lock() {
                    smp::set_busy();
                    sched::schedule(envs)
                }
                cpu::relax();
            }
            smp::idle()
        }
        kernel_trap(frame);
    }
    let mut envs = env::lock();
    let cur = envs
        .current()
        .expect("trap: trap from user mode with no current environment");
    envs.get_mut(cur).tf = *frame;
    // Another CPU destroyed it while it ran here: free it now, and run something else.
    if envs.get(cur).status == EnvStatus::Dying {
        envs.destroy(cur);
        sched::schedule(envs)
    }
    // A system call that works on an address space runs without the table lock
    // (`syscall::dispatch`); the other traps are short steps on the table, under its lock.
    if frame.vector == u64::from(vector::SYSCALL) {
        let r = &frame.regs;
        (envs, _) = syscall::dispatch(envs, cur, r.rax, [r.rdi, r.rsi, r.rdx, r.rcx, r.r8]);
        // Destroyed by another CPU while the call ran without the lock: that CPU only marked
        // it, since it runs here; this CPU frees it now.
        if envs.current() == Some(cur) && envs.get(cur).status == EnvStatus::Dying {
            envs.destroy(cur);
        }
    } else {
        dispatch(&mut envs, cur, frame);
    }
    // If the environment survived and did not yield, resume it; otherwise pick another one.
    if envs.current() == Some(cur) && matches!(envs.get(cur).status, EnvStatus::Running { .. }) {
        env::run(envs, cur)
    }
    sched::schedule(envs)
}

/// Handles a trap from user mode on behalf of environment `cur`.
fn dispatch(envs: &mut EnvTable, cur: usize, frame: &TrapFrame) {
    match frame.vector as u8 {
        vector::PAGE_FAULT => pgfault::user_page_fault(envs, cur, frame, fault_address()),
        // The tick: the environment's time slice is over. It stays runnable, and `trap` sees
        // it is no longer running and asks the scheduler for the next one (it again, if
        // nothing else can run).
        vector::TIMER => {
            acknowledge(vector::TIMER);
            envs.get_mut(cur).status = EnvStatus::Runnable;
        }
        // An interrupt withdrawn before the CPU took it (spurious), and an APIC error: nothing
        // to do but acknowledge; the environment goes on.
        lapic::SPURIOUS_VECTOR | lapic::ERROR_VECTOR => acknowledge(frame.vector as u8),
        // A kick that found the environment alive after all (it entered the kernel by itself
        // and was freed, and this is the next one): taken already, nothing to do.
        ipi::KICK => {}
        _ => {
            print_frame(frame);
            envs.destroy(cur);
        }
    }
}

/// How many times a CPU woken from idle tries the env table lock before it sleeps again.
const IDLE_LOOKS: usize = 100;

/// Takes an interrupt that needs no environment: acknowledges it and, for an IPI, counts it
/// and runs the calls waiting for this CPU (`crosscall.rs`).
fn take_interrupt(vector: u8) {
    acknowledge(vector);
    if ipi::is_ipi(vector) {
        ipi::received(vector);
        crosscall::answer();
    }
}

/// Tells this CPU's local APIC that the interrupt `vector` is handled (end of interrupt), so
/// that it delivers the next one of the same or a lower priority (SDM Vol. 3A, 11.8.5). A
/// spurious interrupt is the exception: the APIC never marked it in service, and wants no EOI
/// (11.9).
fn acknowledge(vector: u8) {
    if vector != lapic::SPURIOUS_VECTOR {
        Lapic::this_cpu()
            .expect("trap: interrupt before the APIC")
            .eoi();
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
    if frame.vector == u64::from(vector::DOUBLE_FAULT) {
        let va = fault_address();
        if let Some(slot) = crate::vm::guard_page_slot(va) {
            let (what, cpu) = match slot.checked_sub(crate::cpu::MAX_CPUS) {
                None => ("kernel stack", slot),
                Some(cpu) => ("double-fault stack", cpu),
            };
            panic!("{what} overflow on CPU {cpu}: hit the guard page at va {va:#x}");
        }
    }
    if frame.vector == u64::from(vector::PAGE_FAULT) {
        panic!("page fault in kernel mode at va {:#x}", fault_address());
    }
    panic!("unexpected trap {} in kernel mode", trap_name(frame.vector));
}
