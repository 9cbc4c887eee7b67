//! Per-CPU state: one structure per CPU, reached through the GS base register.
//!
//! Each CPU needs things of its own: its kernel stack for traps from user mode (in its own TSS,
//! SDM Vol. 3A, 8.7), a separate stack for double faults (the TSS's interrupt stack table,
//! 7.14.5), its I/O permission bitmap, and the environment it is running. They live in one
//! [`PerCpu`] structure per CPU, and each CPU points its GS base register (the MSR
//! IA32_GS_BASE) at its own. The structure's first field holds its own address, so
//! `mov %gs:0, %rax` finds it from any kernel code without knowing which CPU this is.
//!
//! In user mode GS belongs to the program; `trapentry.S` exchanges the two bases with `swapgs`
//! on every entry from and exit to user mode, so in the kernel GS always means "this CPU".
//!
//! The one way in is [`this`], which returns a `ThisCpu` handle (`thiscpu.rs`): it cannot be
//! sent to another CPU. Fields a CPU changes at run time are `Cell`s: only their own CPU touches
//! them, with interrupts off, so no lock is needed.

use core::arch::asm;
use core::cell::{Cell, UnsafeCell};
use core::mem::offset_of;

use crate::aspace::SpaceId;
use crate::cpu::MAX_CPUS;
use crate::gdt::{self, Tss};
use crate::thiscpu::ThisCpu;
use crate::{println, vm};

/// The I/O permission bitmap's size: one bit per port for ports 0-0x3ff, where a PC's ISA
/// devices are. The CPU denies a port beyond the bitmap as if its bit were set (SDM Vol. 1,
/// 19.5.2), so the short bitmap denies all that the full one did; the full one, 65536 bits,
/// made each CPU's static area 8 KiB larger: 256 KiB for 32 CPUs (chapter 15).
const IO_BITMAP_BYTES: usize = 1024 / 8;

/// A TSS followed by its I/O permission bitmap (SDM Vol. 1, 19.5.2): a set bit denies the port
/// to code running with CPL > IOPL, that is to user programs (whose IOPL is 0). The byte after
/// the bitmap must be 0xff and inside the TSS limit.
#[repr(C, packed(4))]
struct TssWithIoBitmap {
    tss: Tss,
    io_bitmap: [u8; IO_BITMAP_BYTES],
    terminator: u8,
}
const _: () = assert!(offset_of!(TssWithIoBitmap, io_bitmap) == 104);
const _: () = assert!(offset_of!(TssWithIoBitmap, terminator) == 104 + IO_BITMAP_BYTES);

/// One CPU's own state.
#[repr(C)]
pub struct PerCpu {
    /// This structure's own address (read with `mov %gs:0`).
    self_ptr: Cell<u64>,
    /// The CPU's number.
    id: Cell<usize>,
    /// The top of the CPU's kernel stack (TSS rsp0): where traps from user mode land.
    kernel_stack_top: Cell<u64>,
    /// The slot of the environment this CPU is running.
    pub current_env: Cell<Option<usize>>,
    /// The ranks of the spinlocks this CPU holds, one bit each (`spinlock.rs`).
    pub held_ranks: Cell<u32>,
    /// The address space whose page tables this CPU has loaded (`None`: the kernel's).
    pub loaded_space: Cell<Option<SpaceId>>,
    /// The TSS and I/O bitmap; written before `ltr`, then read by the CPU.
    tss: UnsafeCell<TssWithIoBitmap>,
}
const _: () = assert!(offset_of!(PerCpu, self_ptr) == 0);

// SAFETY: a CPU reaches only its own PerCpu after `init` (through GS); `init` itself runs on
// the CPU whose structure it fills, before anything else can read it.
unsafe impl Sync for PerCpu {}

impl PerCpu {
    const fn new() -> PerCpu {
        PerCpu {
            self_ptr: Cell::new(0),
            id: Cell::new(0),
            kernel_stack_top: Cell::new(0),
            current_env: Cell::new(None),
            held_ranks: Cell::new(0),
            loaded_space: Cell::new(None),
            tss: UnsafeCell::new(TssWithIoBitmap {
                tss: Tss::new(),
                io_bitmap: [0xff; IO_BITMAP_BYTES],
                terminator: 0xff,
            }),
        }
    }

    /// The CPU's number.
    pub fn id(&self) -> usize {
        self.id.get()
    }

    /// The top of the CPU's kernel stack.
    pub fn kernel_stack_top(&self) -> u64 {
        self.kernel_stack_top.get()
    }
}

static CPUS: [PerCpu; MAX_CPUS] = [const { PerCpu::new() }; MAX_CPUS];

/// The IA32_GS_BASE MSR.
const MSR_GS_BASE: u32 = 0xc000_0101;
/// The IA32_KERNEL_GS_BASE MSR: the base `swapgs` exchanges with GS's.
const MSR_KERNEL_GS_BASE: u32 = 0xc000_0102;

/// Sets up CPU `cpu`'s state on that CPU: its kernel stack and double-fault stack (guard-paged,
/// from `vm`), its TSS with a deny-all I/O bitmap, its GDT slot, and its GS base.
pub fn init(cpu: usize) {
    assert!(cpu < MAX_CPUS, "percpu: CPU {cpu} beyond MAX_CPUS");
    let me = &CPUS[cpu];
    // Stack slots 0..MAX_CPUS are the kernel stacks (chapter 3 mapped the APs' already), the
    // next MAX_CPUS the double-fault stacks.
    let stack_top = if cpu == 0 {
        vm::map_kernel_stack(0)
    } else {
        vm::kernel_stack_top(cpu)
    };
    let df_stack_top = vm::map_kernel_stack(MAX_CPUS + cpu);
    me.self_ptr.set(me as *const PerCpu as u64);
    me.id.set(cpu);
    me.kernel_stack_top.set(stack_top.as_u64());

    let tss = me.tss.get();
    // SAFETY: this CPU's TSS is not loaded yet, and only this CPU touches it; packed fields are
    // written by value, never through a reference.
    unsafe {
        (*tss).tss.rsp[0] = stack_top.as_u64();
        (*tss).tss.ist[0] = df_stack_top.as_u64();
        (*tss).tss.iomap_base = size_of::<Tss>() as u16;
    }
    // The limit is the offset of the last byte: the terminator.
    let limit = offset_of!(TssWithIoBitmap, terminator) as u64;
    // SAFETY: CPUS is static, this TSS belongs to this CPU alone, and we are CPU `cpu`.
    unsafe { gdt::init_cpu(cpu, tss.cast::<Tss>(), limit) };
    // SAFETY: pointing GS at this CPU's structure; the user's GS base starts at zero.
    unsafe {
        x86::msr::wrmsr(MSR_GS_BASE, me as *const PerCpu as u64);
        x86::msr::wrmsr(MSR_KERNEL_GS_BASE, 0);
    }
    println!(
        "CPU {cpu}: TSS selector {:#x}, kernel stack top {:#x}, double-fault stack top {:#x}",
        gdt::tss_selector(cpu),
        stack_top.as_u64(),
        df_stack_top.as_u64()
    );
}

/// The running CPU's state, or `None` before `init` ran on this CPU (its GS base is still 0).
pub fn try_this() -> Option<ThisCpu<PerCpu>> {
    // SAFETY: reading the IA32_GS_BASE MSR has no side effects.
    let base = unsafe { x86::msr::rdmsr(MSR_GS_BASE) };
    (base != 0).then(this)
}

/// The running CPU's state. Only valid after `init` ran on this CPU.
pub fn this() -> ThisCpu<PerCpu> {
    let address: u64;
    // SAFETY: after `init`, GS points at this CPU's PerCpu in the kernel (trapentry.S swaps it
    // back on every entry from user mode), and its first field is its own address.
    unsafe { asm!("movq %gs:0, {}", out(reg) address, options(att_syntax, nostack, readonly)) };
    assert!(address != 0, "percpu: used before percpu::init on this CPU");
    // SAFETY: the address is that of one of the static CPUS entries (set by `init`).
    ThisCpu::new(unsafe { &*(address as *const PerCpu) })
}
