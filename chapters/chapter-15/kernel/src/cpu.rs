//! Which CPU is this?
//!
//! Each CPU's local APIC knows its APIC id; the MP table (chapter 1) lists the APIC ids of the
//! CPUs the kernel runs, in the order that gives each its CPU number. APIC ids need not be
//! 0, 1, 2...: firmware may number them 0, 2, 4... or leave gaps, so the kernel never uses an
//! APIC id as an index; it looks the id up here.
//! From chapter 15 on the list comes from ACPI's MADT where the firmware has one, with the MP
//! table as the fallback ([`find_cpus`]).
//!
//! It also knows whether this CPU takes interrupts: [`IrqOff`] turns them off for as long as it
//! lives (spinlocks hold one).

use crate::acpi;
use crate::acpi_result::Madt;
use crate::addr::PhysAddr;
use crate::boot::BootInfo;
use crate::crosscall;
use crate::lapic::Lapic;
use crate::mp;
use crate::mp_result::Cpu;
use crate::mp_result::Smp;
use crate::percpu;
use crate::pmem;
use crate::println;
use spin::Once;

/// Finds the CPUs and says what it found: in ACPI's MADT, through the RSDP that the boot
/// loader passed in `boot` (or, if none, found by a search), or, if that cannot be used, in the
/// MP table. The MP table is read and reported either way, as chapter 1 does. The ACPI tables
/// may lie anywhere below 4 GiB, in RAM or in memory the firmware reserved, which the parser
/// reads through [`pmem::read_firmware`].
pub fn find_cpus(boot: &BootInfo) -> Cpus {
    let smp = mp::probe(&pmem::read_low_memory);
    let firmware = |pa: u64, buf: &mut [u8]| pmem::read_firmware(&boot.memory, pa, buf);
    let rsdp = boot.rsdp().map(PhysAddr::as_u64);
    let madt = acpi::probe(&firmware, rsdp, boot_apic_id());
    match (&madt, smp.error()) {
        // The MP table's own fallback note would say "running on the boot CPU only".
        (Ok(_), Some(e)) => println!("SMP: {e}"),
        _ => smp.notes().for_each(|note| println!("SMP: {note}")),
    }
    let cpus = match madt {
        Ok(madt) => {
            madt.notes().for_each(|note| println!("ACPI: {note}"));
            println!("SMP: CPUs from the ACPI MADT");
            Cpus::Madt(madt)
        }
        Err(e) => {
            println!("SMP: no usable ACPI MADT ({e}); using the MP table");
            Cpus::Mp(smp)
        }
    };
    // Either list has the boot CPU first: it is CPU 0.
    println!("SMP: CPU 0 found {} CPU(s)", cpus.cpus().len());
    cpus
}

/// The APIC id of the CPU running this code, as CPUID leaf 1 gives it (EBX bits 31-24, the
/// *initial* APIC id; SDM Vol. 3A, 11.4.6), without its local APIC mapped: the MADT does not
/// say which CPU boots, so the parser is told.
fn boot_apic_id() -> u8 {
    let info = x86::cpuid::CpuId::new().get_feature_info();
    info.map_or(0, |f| f.initial_local_apic_id())
}

/// The CPUs the kernel runs, and where they came from.
#[expect(
    clippy::large_enum_variant,
    reason = "one value, made once at boot on the boot stack; the kernel has no heap to box in"
)]
pub enum Cpus {
    /// ACPI's MADT (chapter 15).
    Madt(Madt),
    /// The MP table (chapter 1), or the boot CPU alone after its fallback.
    Mp(Smp),
}

impl Cpus {
    /// The CPUs, the boot CPU first: a CPU's index is its CPU number.
    pub fn cpus(&self) -> &[Cpu] {
        match self {
            Cpus::Madt(madt) => madt.cpus(),
            Cpus::Mp(smp) => smp.cpus(),
        }
    }

    /// Where every CPU's local APIC registers are.
    pub fn lapic(&self) -> PhysAddr {
        match self {
            Cpus::Madt(madt) => madt.lapic(),
            Cpus::Mp(smp) => smp.lapic(),
        }
    }

    /// Whether a table listed the CPUs (after the MP table's fallback the boot CPU's APIC id is
    /// a guess).
    pub fn listed(&self) -> bool {
        !matches!(self, Cpus::Mp(smp) if smp.error().is_some())
    }
}

/// The APIC ids of the CPUs the kernel runs, indexed by CPU number, and how many there are.
static APIC_IDS: Once<([u8; MAX_CPUS], usize)> = Once::new();

/// Builds the CPU table, once, from the list of CPUs that [`find_cpus`] made (`smp`: the
/// MADT's or the MP table's), with the boot CPU's APIC id as its own APIC (`lapic`) reports
/// it, and says what the boot CPU's APIC is.
pub fn set_table(smp: &Cpus, lapic: &Lapic) {
    let cpus = smp.cpus();
    assert!(cpus.len() <= MAX_CPUS, "cpu: more CPUs than MAX_CPUS");
    let mut ids = [0; MAX_CPUS];
    for (id, cpu) in ids.iter_mut().zip(cpus) {
        *id = cpu.apic_id;
    }
    // The running CPU is CPU 0. Its APIC, not the table, says what its APIC id is (after a
    // fallback to one CPU there is no table to ask).
    if smp.listed() && ids[0] != lapic.id() {
        println!(
            "SMP: the MP table gives the boot CPU APIC id {}, its APIC says {}",
            ids[0],
            lapic.id()
        );
    }
    ids[0] = lapic.id();
    APIC_IDS.call_once(|| (ids, cpus.len()));
    println!(
        "LAPIC: CPU {} has APIC id {}, version {:#x}, {} LVT entries",
        id(),
        lapic.id(),
        lapic.version(),
        lapic.lvt_entries()
    );
}

/// The number of CPUs the kernel runs.
pub fn count() -> usize {
    APIC_IDS.get().map_or(1, |&(_, n)| n)
}

/// The APIC id of CPU `cpu`.
pub fn apic_id(cpu: usize) -> u8 {
    let (ids, n) = APIC_IDS.get().expect("cpu: CPU table not set");
    assert!(cpu < *n, "cpu: no CPU {cpu}");
    ids[cpu]
}

/// A CPU number for messages: `?` when it cannot be told.
pub struct Number(pub Option<usize>);

impl core::fmt::Display for Number {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self.0 {
            Some(id) => write!(f, "{id}"),
            None => f.write_str("?"),
        }
    }
}

/// The index of the CPU running this code, if it can be told: before the local APIC is mapped
/// only the boot CPU runs, so that is CPU 0; `None` if this CPU's APIC id is not in the table.
pub fn try_id() -> Option<usize> {
    // Once this CPU's per-CPU structure is set up, it knows, without a device access.
    if let Some(me) = percpu::try_this() {
        return Some(me.id());
    }
    let Some(lapic) = Lapic::this_cpu() else {
        return Some(0);
    };
    let (ids, n) = APIC_IDS.get()?;
    let apic = lapic.id();
    ids[..*n].iter().position(|&a| a == apic)
}

/// The most CPUs the kernel runs: CPU numbers are 0 to `MAX_CPUS - 1`, and processors beyond
/// them stay disabled. Every per-CPU array has this length, fixed at compile time as the kernel
/// has no heap: the MP parser's CPU list, and in later chapters the APIC-id table, the online
/// flags, the per-CPU areas, the GDT's task-state segments and the kernel stacks (two per CPU).
/// What bounds it (chapter 15): a [`CpuSet`](crate::cpuset::CpuSet) is one `u64`, so 64 at
/// most; the xAPIC addresses a CPU by an 8-bit APIC id, 255 being the broadcast, so a machine
/// with more CPUs needs the x2APIC (and ids above 254 are left off); each CPU costs a static
/// per-CPU area (its TSS with a short I/O bitmap, `percpu.rs`: about 300 bytes) and 16 bytes of
/// GDT, and each CPU that exists two kernel stacks of 64 KiB. The trampoline is no bound: it
/// starts one AP at a time in one page.
pub const MAX_CPUS: usize = 32;

/// The index of the CPU running this code.
pub fn id() -> usize {
    try_id().expect("cpu: this CPU's APIC id is not in the CPU table")
}

/// The ranks of the spinlocks this CPU holds (`spinlock.rs` checks the lock order with them),
/// kept in its per-CPU structure. Before that is set up, a CPU is alone in its own set-up and
/// holds no lock for long: nothing is tracked.
pub fn held_ranks() -> u32 {
    percpu::try_this().map_or(0, |me| me.held_ranks.get())
}

/// Records the ranks of the spinlocks this CPU holds.
pub fn set_held_ranks(ranks: u32) {
    if let Some(me) = percpu::try_this() {
        me.held_ranks.set(ranks);
    }
}

/// Tells the CPU it is spinning (the `pause` instruction), to save power and let the lock
/// holder's memory traffic through.
///
/// A spinning CPU also answers cross-calls (`crosscall.rs`): the rule that keeps the holder of
/// a lock from waiting for ever for the CPUs that spin for it.
pub fn relax() {
    crosscall::answer_while_spinning();
    core::hint::spin_loop();
}

/// Interrupts off on this CPU while this value lives; when it is dropped they are back as they
/// were. Values dropped in the reverse order of their making (as guards are) therefore nest.
pub struct IrqOff {
    were_on: bool,
}

impl IrqOff {
    /// Turns interrupts off, remembering whether they were on.
    pub fn disable() -> IrqOff {
        let were_on = x86::bits64::rflags::read().contains(x86::bits64::rflags::RFlags::FLAGS_IF);
        // SAFETY: turning interrupts off cannot break memory safety; `drop` restores the flag.
        unsafe { x86::irq::disable() };
        IrqOff { were_on }
    }
}

impl Drop for IrqOff {
    fn drop(&mut self) {
        if self.were_on {
            // SAFETY: interrupts were on when this value was made, so code around it expects them.
            unsafe { x86::irq::enable() };
        }
    }
}
