//! Segmentation, what is left of it in long mode: the GDT and the TSS.
//!
//! Intel SDM Vol. 3A, 3.4.5 (segment descriptors) and 7.7 (the 64-bit TSS). Long mode ignores
//! segment bases and limits, but the GDT still says which code runs in ring 0 or ring 3, and the
//! TSS tells the CPU which stack to switch to (`rsp0`) when a trap arrives from user mode.
//!
//! The selectors follow JOS (GD_KT, GD_KD, GD_UT, GD_UD, GD_TSS0), so trap-frame dumps read
//! the same: user code 0x1b, user data 0x23, and loading the TSS selector 0x28 into a data
//! segment register faults with error code 0x28.

use core::arch::asm;
use core::sync::atomic::{AtomicU64, Ordering};

use crate::cpu::MAX_CPUS;

/// Kernel code segment selector.
pub const KERNEL_CS: u16 = 0x08;
/// Kernel data segment selector.
pub const KERNEL_DS: u16 = 0x10;
/// User code segment selector (RPL 3).
pub const USER_CS: u16 = 0x18 | 3;
/// User data segment selector (RPL 3).
pub const USER_DS: u16 = 0x20 | 3;
/// The TSS selector of CPU `cpu`. A TSS descriptor takes two GDT entries (16 bytes), and CPU 0's
/// comes first, at 0x28 (JOS's GD_TSS0).
pub const fn tss_selector(cpu: usize) -> u16 {
    0x28 + 16 * cpu as u16
}

/// A code or data segment descriptor for long mode (SDM Vol. 3A, Figure 3-8).
pub const fn segment(code: bool, dpl: u64) -> u64 {
    let access = 1 << 7 /* present */ | dpl << 5 | 1 << 4 /* code/data */ | 1 << 1 /* r/w */;
    let access = if code { access | 1 << 3 } else { access };
    let flags: u64 = if code {
        0b1010 /* 4K granular, long mode */
    } else {
        0b1100
    };
    0xffff | access << 40 | 0xf << 48 | flags << 52
}

/// The 64-bit task-state segment (SDM Vol. 3A, Figure 7-11).
#[repr(C, packed(4))]
pub struct Tss {
    reserved0: u32,
    /// The stacks for traps into rings 0, 1, 2.
    pub rsp: [u64; 3],
    reserved1: u64,
    /// The interrupt stack table.
    pub ist: [u64; 7],
    reserved2: u64,
    reserved3: u16,
    /// Offset of the I/O permission bitmap; at or past the limit means "no bitmap".
    pub iomap_base: u16,
}
const _: () = assert!(size_of::<Tss>() == 104);

impl Tss {
    /// A TSS with no stacks set and no I/O bitmap.
    pub const fn new() -> Tss {
        Tss {
            reserved0: 0,
            rsp: [0; 3],
            reserved1: 0,
            ist: [0; 7],
            reserved2: 0,
            reserved3: 0,
            iomap_base: size_of::<Tss>() as u16,
        }
    }
}

/// How many CPUs have a TSS descriptor in the GDT.
const TSS_SLOTS: usize = MAX_CPUS;

/// The GDT: five segments, then a TSS descriptor (two entries) per CPU. The CPU itself writes
/// to it (the busy bit of a TSS descriptor, on `ltr`), so the entries are atomics rather than
/// plain integers the compiler may assume constant.
static GDT: [AtomicU64; 5 + 2 * TSS_SLOTS] = {
    let mut gdt = [const { AtomicU64::new(0) }; 5 + 2 * TSS_SLOTS];
    gdt[1] = AtomicU64::new(segment(true, 0));
    gdt[2] = AtomicU64::new(segment(false, 0));
    gdt[3] = AtomicU64::new(segment(true, 3));
    gdt[4] = AtomicU64::new(segment(false, 3));
    gdt
};

/// Loads the GDT and CPU `cpu`'s TSS (at `tss`, `limit` + 1 bytes long) on the running CPU.
///
/// # Safety
/// `tss` must point to a TSS that stays valid and in place for good and that no other CPU
/// loads, and the caller must be CPU `cpu`.
pub unsafe fn init_cpu(cpu: usize, tss: *const Tss, limit: u64) {
    install_tss(5 + 2 * cpu, tss as u64, limit);
    load();
    // SAFETY: the descriptor was just written for this CPU's own TSS (the caller's promise),
    // and no other CPU loads it, so it is not busy.
    unsafe {
        x86::task::load_tr(x86::segmentation::SegmentSelector::from_raw(tss_selector(
            cpu,
        )))
    };
}

/// Writes a 64-bit TSS descriptor (SDM Vol. 3A, Figure 8-4) for the TSS at `base` into GDT
/// entries `index` and `index + 1`.
fn install_tss(index: usize, base: u64, limit: u64) {
    let low = limit & 0xffff
        | (base & 0xff_ffff) << 16
        | 0x89 << 40 // present, type 9: available 64-bit TSS
        | (limit >> 16 & 0xf) << 48
        | (base >> 24 & 0xff) << 56;
    GDT[index].store(low, Ordering::Relaxed);
    GDT[index + 1].store(base >> 32, Ordering::Relaxed);
}

/// Loads the GDT and reloads every segment register from it.
pub fn load() {
    let pointer = x86::dtables::DescriptorTablePointer {
        limit: (size_of_val(&GDT) - 1) as u16,
        base: GDT.as_ptr().cast::<u64>(),
    };
    // SAFETY: the GDT is static, its descriptors are valid, and the reloads below make every
    // segment register refer to the new table's kernel descriptors.
    unsafe {
        x86::dtables::lgdt(&pointer);
        asm!(
            "pushq ${cs}",
            "leaq 2f(%rip), %rax",
            "pushq %rax",
            "lretq",
            "2:",
            "movw ${ds}, %ax",
            "movw %ax, %ds",
            "movw %ax, %es",
            "movw %ax, %ss",
            "xorl %eax, %eax",
            "movw %ax, %fs",
            "movw %ax, %gs",
            cs = const KERNEL_CS,
            ds = const KERNEL_DS,
            out("rax") _,
            options(att_syntax),
        );
    }
}
