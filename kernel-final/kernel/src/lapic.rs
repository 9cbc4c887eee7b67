// @file 2
// @{ lapic_intro
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
use crate::pit; // @3 hidden
use crate::{println, vm};
// @}

// @{ lapic_regs
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
    // @{ 3 icr_regs
    /// Interrupt command, low half: vector, delivery mode, level; writing it sends the IPI.
    IcrLow = 0x300,
    /// Interrupt command, high half: the destination APIC id (bits 24-31).
    IcrHigh = 0x310,
    // @}
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
    // @{ 10 timer_regs
    /// Timer: the initial count; writing it (re)starts the count down.
    TimerInitial = 0x380,
    /// Timer: the current count.
    TimerCurrent = 0x390,
    /// Timer: the divide configuration (what the timer's clock is divided by).
    TimerDivide = 0x3e0,
    // @}
}

/// An LVT entry's mask bit.
pub const LVT_MASKED: u32 = 1 << 16;
/// The spurious-vector register's APIC software-enable bit.
const SPURIOUS_ENABLE: u32 = 1 << 8;
/// The vector for spurious interrupts: all low four bits set, as older APICs require.
pub const SPURIOUS_VECTOR: u8 = 0xff;
/// The vector for APIC error interrupts.
pub const ERROR_VECTOR: u8 = 32 + 19;
// @}

// @{ lapic_map
/// Where the registers are mapped, once chapter 2's set-up has run.
static BASE: Once<VirtAddr> = Once::new();

/// Maps the local APIC's registers (at physical `pa`, from the MP table) into the MMIO window.
/// Returns the virtual address.
pub fn map(pa: PhysAddr) -> VirtAddr {
    *BASE.call_once(|| vm::map_mmio(pa, 4096))
}
// @}

// @{ lapic_boot_cpu
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
// @}

// @{ lapic_handle
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
    // @}

    // @{ lapic_access
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
    // @}

    // @{ lapic_identity
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
    // @}

    // @{ lapic_init
    /// Sets the APIC up for this kernel: enabled, every local interrupt source masked, errors
    /// cleared, all interrupt priorities accepted. Each CPU runs this on its own APIC.
    pub fn init(&self) {
        // @exercise 2 lapic_init: enable the APIC with the spurious vector, mask every LVT entry, give errors their vector, clear the error status, EOI, accept every priority
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
        // @} lapic_init
    }

    /// Signals the end of an interrupt.
    pub fn eoi(&self) {
        self.write(Reg::Eoi, 0);
    }
}
// @}
// @{ 3 ipi

/// An inter-processor interrupt, ready for the interrupt command register (SDM Vol. 3A,
/// 11.6.1). Built only by the constructors below, so a STARTUP cannot carry a bad vector and an
/// INIT cannot forget its level bits.
#[derive(Clone, Copy)]
pub struct Ipi {
    low: u32,
    dest: u8,
}

/// Delivery mode INIT (bits 8-10 = 101).
const DELIVERY_INIT: u32 = 0b101 << 8;
/// Delivery mode STARTUP (bits 8-10 = 110).
const DELIVERY_STARTUP: u32 = 0b110 << 8;
/// Level: assert.
const LEVEL_ASSERT: u32 = 1 << 14;
/// Trigger mode: level.
const TRIGGER_LEVEL: u32 = 1 << 15;
/// Delivery status: the previous IPI has not been accepted yet.
const DELIVERY_PENDING: u32 = 1 << 12;

impl Ipi {
    /// INIT: resets the target processor into its wait-for-STARTUP state.
    pub fn init(dest: u8) -> Ipi {
        Ipi {
            low: DELIVERY_INIT | LEVEL_ASSERT | TRIGGER_LEVEL,
            dest,
        }
    }

    /// STARTUP: the target starts in real mode at `page`, which must be page-aligned and below
    /// 1 MiB (the vector holds the page number).
    pub fn startup(dest: u8, page: PhysAddr) -> Ipi {
        assert!(
            page.is_page_aligned() && page.as_u64() < 0x10_0000,
            "lapic: STARTUP page {page:?} is not a page below 1 MiB"
        );
        let vector = (page.as_u64() >> 12) as u32;
        Ipi {
            low: DELIVERY_STARTUP | LEVEL_ASSERT | vector,
            dest,
        }
    }
}
// @}
// @{ 12 ipi_kinds

/// Delivery mode fixed (bits 8-10 = 000): the vector goes to the target's interrupt handler.
const DELIVERY_FIXED: u32 = 0;
/// Delivery mode NMI (bits 8-10 = 100): the non-maskable interrupt, vector 2, taken even by a
/// CPU running with interrupts off.
const DELIVERY_NMI: u32 = 0b100 << 8;
// @{ 12..15
//- /// Destination shorthand "all excluding self" (bits 18-19 = 11): the destination field is
//- /// ignored, and every other APIC on the bus takes the IPI.
//- const ALL_BUT_SELF: u32 = 0b11 << 18;
// @}

impl Ipi {
    /// A fixed IPI: the target takes `vector` like any interrupt, when its interrupt flag and
    /// its APIC's priority let it. Vectors below 32 are the CPU's exceptions, and the APIC
    /// refuses to send them (an error, SDM Vol. 3A, 11.5.3).
    pub fn fixed(dest: u8, vector: u8) -> Ipi {
        assert!(vector >= 32, "lapic: IPI vector {vector} is an exception's");
        Ipi {
            low: DELIVERY_FIXED | LEVEL_ASSERT | u32::from(vector),
            dest,
        }
    }

    /// A non-maskable interrupt for the target.
    pub fn nmi(dest: u8) -> Ipi {
        Ipi {
            low: DELIVERY_NMI | LEVEL_ASSERT,
            dest,
        }
    }
    // @{ 12..15

    //- /// The same IPI for every CPU but the sender, in one ICR write.
    //- pub fn to_all_others(self) -> Ipi {
    //-     Ipi {
    //-         low: self.low | ALL_BUT_SELF,
    //-         dest: 0,
    //-     }
    //- }
    // @}
}
// @}
// @{ 3 start_ap

impl Lapic {
    /// Sends an IPI and waits until the APIC has accepted it.
    pub fn send(&self, ipi: Ipi) {
        self.write(Reg::IcrHigh, u32::from(ipi.dest) << 24);
        self.write(Reg::IcrLow, ipi.low);
        while self.read(Reg::IcrLow) & DELIVERY_PENDING != 0 {
            core::hint::spin_loop();
        }
    }

    /// Starts the processor with APIC id `apic_id` at `page` with the universal start-up
    /// algorithm (MP spec B.4; SDM Vol. 3A, 9.4.4.1): INIT, wait 10 ms, STARTUP, wait 200 us,
    /// and a second STARTUP. The second one is there because the first may arrive before the
    /// processor is ready for it; a processor that did start ignores it.
    pub fn start_ap(&self, apic_id: u8, page: PhysAddr) {
        // @exercise 3 init_sipi_sipi: the universal start-up algorithm: INIT, wait 10 ms, then STARTUP twice, 200 us apart
        self.send(Ipi::init(apic_id));
        pit::delay_us(10_000);
        for _ in 0..2 {
            self.send(Ipi::startup(apic_id, page));
            pit::delay_us(200);
        }
        // @} init_sipi_sipi
    }
}
// @}
