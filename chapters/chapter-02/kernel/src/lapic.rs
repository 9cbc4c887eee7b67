//! The local APIC: each CPU's own interrupt controller, and the CPU's identity.
//!
//! Intel SDM Vol. 3A, chapter 11 ("Advanced Programmable Interrupt Controller"), xAPIC mode:
//! every CPU has a local APIC whose registers appear as memory at the same physical address on
//! every CPU (0xfee00000 unless the MP table says otherwise); each CPU sees its *own* APIC
//! there. Registers are 32 bits wide, 16-byte aligned, and must be accessed as whole 32-bit
//! loads and stores, uncached: the page is mapped cache-disabled in a kernel-only MMIO window
//! (`vm::map_mmio`) and touched only through `volatile`, here and nowhere else.
//!
//! A handle to the registers, [`Lapic`], is `!Send`: it always means "the APIC of the CPU I am
//! running on", so it must never travel to another CPU.

use core::marker::PhantomData;
use core::ptr::NonNull;

use spin::Once;
use volatile::VolatilePtr;

use crate::addr::{PhysAddr, VirtAddr};
use crate::pgtable::{Describe, PteFlags};
use crate::{println, vm};

/// The registers this kernel uses, as byte offsets (SDM Vol. 3A, Table 11-1).
#[derive(Clone, Copy)]
#[repr(usize)]
pub enum Reg {
    /// Local APIC ID (bits 24-31).
    Id = 0x020,
    /// Version (bits 0-7) and the number of LVT entries minus one (bits 16-23).
    Version = 0x030,
    /// Task priority: interrupts at or below this priority class are held back.
    TaskPriority = 0x080,
    /// End of interrupt.
    Eoi = 0x0b0,
    /// Spurious-interrupt vector and the APIC software-enable bit.
    Spurious = 0x0f0,
    /// Error status.
    ErrorStatus = 0x280,
    /// LVT: the APIC timer.
    LvtTimer = 0x320,
    /// LVT: performance-monitoring counters.
    LvtPerfCounter = 0x340,
    /// LVT: local interrupt pin 0.
    LvtLint0 = 0x350,
    /// LVT: local interrupt pin 1.
    LvtLint1 = 0x360,
    /// LVT: APIC errors.
    LvtError = 0x370,
}

/// An LVT entry's mask bit.
pub const LVT_MASKED: u32 = 1 << 16;
/// The spurious-vector register's APIC software-enable bit.
const SPURIOUS_ENABLE: u32 = 1 << 8;
/// The vector for spurious interrupts: all low four bits set, as older APICs require.
pub const SPURIOUS_VECTOR: u8 = 0xff;
/// The vector for APIC error interrupts.
pub const ERROR_VECTOR: u8 = 32 + 19;

/// Where the registers are mapped, once chapter 2's set-up has run.
static BASE: Once<VirtAddr> = Once::new();

/// Maps the local APIC's registers (at physical `pa`, from the MP table) into the MMIO window.
/// Returns the virtual address.
pub fn map(pa: PhysAddr) -> VirtAddr {
    *BASE.call_once(|| vm::map_mmio(pa, 4096))
}

/// Maps the local APIC's registers (at physical `pa`, from the MP table), checks that the
/// mapping is what device registers need (kernel only, uncached; a user-accessible APIC would
/// let any program reset another CPU), and sets up the boot CPU's APIC.
pub fn init_boot_cpu(pa: PhysAddr) -> Lapic {
    let va = map(pa);
    let flags = vm::kernel_mapping(va).expect("lapic: registers not mapped");
    assert!(
        !flags.contains(PteFlags::USER) && flags.contains(PteFlags::NO_CACHE),
        "lapic: registers mapped user-accessible or cacheable"
    );
    println!(
        "LAPIC: {:#x} mapped at {:#x} [{}]",
        pa.as_u64(),
        va.as_u64(),
        Describe(flags)
    );
    let lapic = Lapic::this_cpu().expect("lapic: registers not mapped");
    lapic.init();
    lapic
}

/// The local APIC of the CPU running this code.
pub struct Lapic {
    base: NonNull<u32>,
    /// Not `Send`: the handle names whichever APIC the current CPU sees.
    _this_cpu: PhantomData<*mut ()>,
}

impl Lapic {
    /// This CPU's local APIC; `None` before [`map`].
    pub fn this_cpu() -> Option<Lapic> {
        let base = NonNull::new(BASE.get()?.as_ptr::<u32>())?;
        Some(Lapic {
            base,
            _this_cpu: PhantomData,
        })
    }

    fn reg(&self, r: Reg) -> VolatilePtr<'_, u32> {
        // SAFETY: `base` maps the APIC's 4 KiB register page (see `map`), every `Reg` offset is
        // a 4-byte-aligned register inside it, and xAPIC registers may be read and written at
        // any time by the CPU they belong to.
        unsafe { VolatilePtr::new(self.base.byte_add(r as usize)) }
    }

    /// Reads a register.
    pub fn read(&self, r: Reg) -> u32 {
        self.reg(r).read()
    }

    /// Writes a register, then reads the ID register: the write may be posted, and the read
    /// makes sure it has reached the APIC before the CPU goes on.
    pub fn write(&self, r: Reg, value: u32) {
        self.reg(r).write(value);
        self.read(Reg::Id);
    }

    /// This CPU's APIC id.
    pub fn id(&self) -> u8 {
        (self.read(Reg::Id) >> 24) as u8
    }

    /// The APIC's version number.
    pub fn version(&self) -> u8 {
        self.read(Reg::Version) as u8
    }

    /// How many LVT entries the APIC has.
    pub fn lvt_entries(&self) -> u32 {
        (self.read(Reg::Version) >> 16 & 0xff) + 1
    }

    /// Sets the APIC up for this kernel: enabled, every local interrupt source masked, errors
    /// cleared, all interrupt priorities accepted. Each CPU runs this on its own APIC.
    pub fn init(&self) {
        // Enable the APIC (software enable) with the spurious vector.
        self.write(Reg::Spurious, SPURIOUS_ENABLE | u32::from(SPURIOUS_VECTOR));
        // No timer, no pins, no performance-counter interrupts yet.
        self.write(Reg::LvtTimer, LVT_MASKED);
        self.write(Reg::LvtLint0, LVT_MASKED);
        self.write(Reg::LvtLint1, LVT_MASKED);
        // The performance-counter entry exists only from the fifth LVT entry on.
        if self.lvt_entries() >= 5 {
            self.write(Reg::LvtPerfCounter, LVT_MASKED);
        }
        // Errors get a vector; the error status clears with two back-to-back writes.
        self.write(Reg::LvtError, u32::from(ERROR_VECTOR));
        self.write(Reg::ErrorStatus, 0);
        self.write(Reg::ErrorStatus, 0);
        // Acknowledge anything outstanding, and accept every priority.
        self.eoi();
        self.write(Reg::TaskPriority, 0);
    }

    /// Signals the end of an interrupt.
    pub fn eoi(&self) {
        self.write(Reg::Eoi, 0);
    }
}
