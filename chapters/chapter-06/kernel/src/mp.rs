//! Finding the other CPUs: the MP configuration table of Intel's *MultiProcessor
//! Specification*, version 1.4 (1997), which PC firmware (SeaBIOS under QEMU) still builds.
//!
//! The protocol (MP spec chapter 4): the firmware leaves a 16-byte *floating pointer* (4.1),
//! signature `_MP_`, on a 16-byte boundary in the first KiB of the Extended BIOS Data Area, or,
//! if there is no EBDA, in the last KiB of base memory, or in the BIOS ROM at 0xF0000-0xFFFFF;
//! that is also the order of the search. The pointer names the *configuration table*: a 44-byte
//! header (4.2), signature `PCMP`, followed by entries (4.3) for the processors, buses, I/O
//! APICs and interrupt assignments, and optionally by an extended table (4.4). Every structure
//! carries a checksum byte chosen so that all of its bytes add up to zero (mod 256). Instead of a
//! table, the pointer may name one of the *default configurations* of chapter 5 (two CPUs, no
//! table), which this kernel does not support.
//!
//! The parser reads physical memory only through [`PhysMem`], so the host tests feed it synthetic
//! memory images. Bad input never panics: every problem is an [`Error`], and [`probe`] turns an
//! error into a result with the boot CPU alone and a note saying why.
#![deny(unsafe_code)]

use core::fmt;
use core::mem::{offset_of, size_of};

use crate::addr::PhysAddr;
use crate::cpu::MAX_CPUS;

/// The most I/O APICs, buses and interrupt assignments kept; further entries are counted only.
const MAX_IOAPICS: usize = 8;
const MAX_BUSES: usize = 32;
const MAX_INTERRUPTS: usize = 64;
/// Where the local APIC's registers are after reset (Intel SDM Vol. 3A, "Local APIC Status and
/// Location"): what the kernel assumes when no table says otherwise.
pub const DEFAULT_LAPIC: PhysAddr = PhysAddr::new(0xfee0_0000);
/// The end of the first MiB. The search areas lie below it, and so does every table PC firmware
/// builds; the kernel lets the parser read this far and no further.
pub const LOW_MEMORY_END: u64 = 0x10_0000;

/// Physical memory as the parser sees it.
pub trait PhysMem {
    /// Copies the bytes at physical addresses `[pa, pa + buf.len())` into `buf`. Returns false,
    /// leaving `buf` unspecified, if any of them lies outside the memory the parser may read.
    fn read(&self, pa: u64, buf: &mut [u8]) -> bool;
}

/// A closure with the same signature is physical memory too (the kernel passes one).
impl<F: Fn(u64, &mut [u8]) -> bool> PhysMem for F {
    fn read(&self, pa: u64, buf: &mut [u8]) -> bool {
        self(pa, buf)
    }
}

/// The sum (mod 256) of the `len` bytes at `pa`: zero for an intact structure.
fn checksum(mem: &dyn PhysMem, pa: u64, len: usize) -> Option<u8> {
    let mut chunk = [0u8; 64];
    let mut sum = 0u8;
    let mut done = 0;
    while done < len {
        let n = (len - done).min(chunk.len());
        if !mem.read(pa + done as u64, &mut chunk[..n]) {
            return None;
        }
        sum = chunk[..n].iter().fold(sum, |s, &b| s.wrapping_add(b));
        done += n;
    }
    Some(sum)
}

/// The MP spec's structures, each described once, exactly as the spec lays them out
/// (little-endian, no padding). They are never overlaid on firmware memory: [`read`] copies a
/// structure's bytes and takes each field from its `offset_of!`, so no pointer into firmware
/// memory exists, and a layout that disagreed with the spec would fail its size assertion.
pub mod layout {
    #![allow(
        dead_code,
        reason = "a layout names every field of the spec; the kernel reads those it needs"
    )]

    /// The MP floating pointer structure (MP spec 4.1).
    #[repr(C)]
    pub struct FloatingPointer {
        /// `_MP_`.
        pub signature: [u8; 4],
        /// The physical address of the configuration table; 0 if there is none.
        pub table: u32,
        /// The length in 16-byte units: 1.
        pub length: u8,
        /// The spec revision: 1 for 1.1, 4 for 1.4.
        pub spec_rev: u8,
        pub checksum: u8,
        /// Feature byte 1: 0 if there is a table, else the number of a default configuration.
        pub config_type: u8,
        /// Feature byte 2: bit 7 set if the IMCR is present (the machine can start in PIC mode).
        pub imcr: u8,
        pub reserved: [u8; 3],
    }

    /// The configuration table header (MP spec 4.2).
    #[repr(C)]
    pub struct TableHeader {
        /// `PCMP`.
        pub signature: [u8; 4],
        /// The length of the base table, this header included.
        pub base_length: u16,
        /// The spec revision: 1 for 1.1, 4 for 1.4.
        pub spec_rev: u8,
        /// Makes the base table's bytes sum to zero.
        pub checksum: u8,
        pub oem_id: [u8; 8],
        pub product_id: [u8; 12],
        pub oem_table: u32,
        pub oem_table_size: u16,
        /// The number of entries in the base table.
        pub entry_count: u16,
        /// The physical address of every CPU's local APIC registers.
        pub lapic: u32,
        /// The length of the extended table, which follows the base table.
        pub ext_length: u16,
        /// Added to the extended table's bytes, gives zero.
        pub ext_checksum: u8,
        pub reserved: u8,
    }

    /// A processor entry (MP spec 4.3.1): entry type 0.
    #[repr(C)]
    pub struct Processor {
        pub entry_type: u8,
        pub apic_id: u8,
        pub apic_version: u8,
        /// Bit 0 (EN): the processor is usable; bit 1 (BP): it is the bootstrap processor.
        pub flags: u8,
        /// CPUID's family, model and stepping, and its feature flags.
        pub signature: u32,
        pub features: u32,
        pub reserved: [u8; 8],
    }

    /// A bus entry (MP spec 4.3.2): entry type 1.
    #[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
    #[repr(C)]
    pub struct Bus {
        pub entry_type: u8,
        pub bus_id: u8,
        /// The bus type, padded with spaces: `ISA   `, `PCI   `, `EISA  `, ...
        pub bus_type: [u8; 6],
    }

    /// An I/O APIC entry (MP spec 4.3.3): entry type 2.
    #[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
    #[repr(C)]
    pub struct IoApic {
        pub entry_type: u8,
        pub id: u8,
        pub version: u8,
        /// Bit 0 (EN): the I/O APIC is usable.
        pub flags: u8,
        /// The physical address of its registers.
        pub address: u32,
    }

    /// An I/O (MP spec 4.3.4, type 3) or local (4.3.5, type 4) interrupt assignment entry:
    /// which input of which APIC an interrupt of a bus arrives at.
    #[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
    #[repr(C)]
    pub struct Interrupt {
        pub entry_type: u8,
        /// 0: vectored (INT), 1: NMI, 2: SMI, 3: ExtINT (the vector comes from an 8259 PIC).
        pub interrupt_type: u8,
        /// Bits 1-0: polarity, bits 3-2: trigger mode (0 in each: as the bus specifies).
        pub flags: u16,
        pub source_bus: u8,
        /// ISA: the IRQ number; PCI: the device number << 2 | the INTx pin (0 = INTA#).
        pub source_irq: u8,
        /// The destination APIC's id; in a local assignment, 0xff means every local APIC.
        pub dest_apic: u8,
        /// The I/O APIC's INTIN pin, or the local APIC's LINTIN pin (0 or 1).
        pub dest_pin: u8,
    }

    const _: () = {
        assert!(size_of::<FloatingPointer>() == 16);
        assert!(size_of::<TableHeader>() == 44);
        assert!(size_of::<Processor>() == 20);
        assert!(size_of::<Bus>() == 8);
        assert!(size_of::<IoApic>() == 8);
        assert!(size_of::<Interrupt>() == 8);
    };
}

use layout::{FloatingPointer, TableHeader};

/// A value that [`read`] can copy out of physical memory: a spec structure or one of its fields,
/// decoded (little-endian) from exactly `size_of::<Self>()` bytes.
trait FromBytes {
    fn from_bytes(bytes: &[u8]) -> Self;
}

impl<const N: usize> FromBytes for [u8; N] {
    fn from_bytes(bytes: &[u8]) -> Self {
        let mut out = [0; N];
        out.copy_from_slice(&bytes[..N]);
        out
    }
}

impl FromBytes for u8 {
    fn from_bytes(bytes: &[u8]) -> Self {
        bytes[0]
    }
}

impl FromBytes for u16 {
    fn from_bytes(bytes: &[u8]) -> Self {
        u16::from_le_bytes(FromBytes::from_bytes(bytes))
    }
}

impl FromBytes for u32 {
    fn from_bytes(bytes: &[u8]) -> Self {
        u32::from_le_bytes(FromBytes::from_bytes(bytes))
    }
}

/// Implements [`FromBytes`] for a layout type, given all its fields: each field is decoded
/// from the bytes at its offset.
macro_rules! layout {
    ($type:ident => $($field:ident),*) => {
        impl FromBytes for layout::$type {
            fn from_bytes(bytes: &[u8]) -> Self {
                layout::$type {
                    $($field: FromBytes::from_bytes(&bytes[offset_of!(layout::$type, $field)..]),)*
                }
            }
        }
    };
}

layout!(FloatingPointer => signature, table, length, spec_rev, checksum, config_type, imcr, reserved);
layout!(TableHeader => signature, base_length, spec_rev, checksum, oem_id, product_id, oem_table,
    oem_table_size, entry_count, lapic, ext_length, ext_checksum, reserved);
layout!(Processor => entry_type, apic_id, apic_version, flags, signature, features, reserved);
layout!(Bus => entry_type, bus_id, bus_type);
layout!(IoApic => entry_type, id, version, flags, address);
layout!(Interrupt => entry_type, interrupt_type, flags, source_bus, source_irq, dest_apic, dest_pin);

/// Copies the value at `pa` out of physical memory.
fn read<T: FromBytes>(mem: &dyn PhysMem, pa: u64) -> Option<T> {
    let mut buf = [0; size_of::<TableHeader>()];
    let bytes = buf.get_mut(..size_of::<T>())?;
    mem.read(pa, bytes).then(|| T::from_bytes(bytes))
}

/// Two words of the BIOS data area (at 0x400) that the search needs: the segment of the EBDA
/// (0 if there is none), and the size of base memory in KiB.
const BDA_EBDA_SEGMENT: u64 = 0x40e;
const BDA_BASE_MEMORY_KIB: u64 = 0x413;
/// The EBDA, or the last KiB of base memory, lies above the BIOS data area and below the end of
/// base memory (640 KiB at most). A word that names anything else is garbage, and the search
/// skips that area.
const BDA_END: u64 = 0x500;
const BASE_MEMORY_END: u64 = 0xa_0000;
/// The BIOS ROM area, searched last: start and length.
const BIOS_ROM: (u64, u64) = (0xf_0000, 0x1_0000);
const KIB: u64 = 1024;

/// The areas to search, in the spec's order, each as (start, length): the first KiB of the EBDA
/// or, if there is no (plausible) EBDA, the last KiB of base memory; then the BIOS ROM.
fn search_areas(mem: &dyn PhysMem) -> [Option<(u64, u64)>; 2] {
    let plausible = |start: &u64| (BDA_END..=BASE_MEMORY_END - KIB).contains(start);
    let ebda = read::<u16>(mem, BDA_EBDA_SEGMENT).map(|segment| u64::from(segment) << 4);
    let base = read::<u16>(mem, BDA_BASE_MEMORY_KIB).map(|kib| u64::from(kib) * KIB);
    let last_kib = base.map(|end| end.saturating_sub(KIB));
    let first = ebda.filter(plausible).or(last_kib.filter(plausible));
    [first.map(|start| (start, KIB)), Some(BIOS_ROM)]
}

/// The first intact floating pointer (signature and checksum) on a 16-byte boundary in the
/// search areas. A damaged one is skipped and the search goes on; if no intact pointer turns
/// up, the first damaged one is the error.
fn find_pointer(mem: &dyn PhysMem) -> Result<FloatingPointer, Error> {
    let mut damaged = None;
    for (start, len) in search_areas(mem).into_iter().flatten() {
        for pa in (start..start + len).step_by(16) {
            match read::<FloatingPointer>(mem, pa) {
                Some(fp) if fp.signature == *b"_MP_" => {
                    if checksum(mem, pa, size_of::<FloatingPointer>()) == Some(0) {
                        return Ok(fp);
                    }
                    damaged.get_or_insert(pa);
                }
                _ => {}
            }
        }
    }
    Err(match damaged {
        Some(at) => Error::Checksum(Structure::FloatingPointer, at),
        None => Error::NoFloatingPointer,
    })
}

/// The structures that carry a checksum.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Structure {
    FloatingPointer,
    Table,
    ExtendedTable,
}

/// Why the MP table cannot be used. Each makes the kernel run on the boot CPU alone.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Error {
    /// No `_MP_` signature in any search area.
    NoFloatingPointer,
    /// The structure at this address does not sum to zero.
    Checksum(Structure, u64),
    /// The floating pointer names this address, but there is no `PCMP` there.
    Signature(u64),
    /// The table's spec revision is neither 1 (1.1) nor 4 (1.4).
    Version(u8),
    /// The table (or its extended part) at this address, this long, is not all readable.
    Unreadable(u64, usize),
    /// The table's length cannot hold its header, or its entries run past it.
    Length(usize),
    /// An entry type the base table does not define (MP spec Table 4-3), at this offset.
    UnknownEntry(u8, usize),
    /// The table lists no processors.
    NoProcessors,
    /// No processor is marked as the bootstrap processor, or more than one is.
    BootProcessor,
    /// Two usable processors share this APIC id.
    DuplicateApicId(u8),
    /// The floating pointer names neither a table nor a default configuration.
    NoTable,
    /// The floating pointer names this default configuration (MP spec chapter 5).
    DefaultConfiguration(u8),
}

impl fmt::Display for Structure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Structure::FloatingPointer => "MP floating pointer",
            Structure::Table => "MP configuration table",
            Structure::ExtendedTable => "extended MP configuration table",
        })
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            Error::NoFloatingPointer => {
                f.write_str("no MP floating pointer in the EBDA, base memory or BIOS ROM")
            }
            Error::Checksum(what, at) => write!(f, "bad checksum in the {what} at {at:#x}"),
            Error::Signature(at) => write!(f, "no MP configuration table (PCMP) at {at:#x}"),
            Error::Version(v) => write!(f, "MP configuration table version {v} (not 1 or 4)"),
            Error::Unreadable(at, len) => write!(
                f,
                "the MP configuration table at {at:#x} ({len} bytes) is not in readable memory"
            ),
            Error::Length(len) => write!(f, "MP configuration table length {len} is inconsistent"),
            Error::UnknownEntry(kind, offset) => {
                write!(f, "unknown MP table entry type {kind} at offset {offset}")
            }
            Error::NoProcessors => f.write_str("the MP table lists no processors"),
            Error::BootProcessor => f.write_str("the MP table does not mark one processor as BSP"),
            Error::DuplicateApicId(id) => write!(f, "the MP table lists APIC id {id} twice"),
            Error::NoTable => f.write_str("the MP floating pointer names no configuration"),
            Error::DefaultConfiguration(n @ 1..=7) => write!(
                f,
                "MP default configuration {n} (two CPUs, no table; MP spec ch. 5) is not supported"
            ),
            Error::DefaultConfiguration(n) => write!(f, "MP configuration type {n} is reserved"),
        }
    }
}

/// A CPU the kernel may run on.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Cpu {
    /// Its local APIC's id: how interrupts and start-up messages address it. The ids need not be
    /// 0, 1, 2, ... (MP spec 4.3.1): never take one for the CPU's number or the other way round.
    pub apic_id: u8,
    /// Whether this is the bootstrap processor, the one running the kernel now.
    pub bsp: bool,
}

/// The base-table entry types (MP spec Table 4-3).
const PROCESSOR: u8 = 0;
const BUS: u8 = 1;
const IO_APIC: u8 = 2;
const IO_INTERRUPT: u8 = 3;
const LOCAL_INTERRUPT: u8 = 4;

/// A processor's flags (MP spec 4.3.1): usable, and the bootstrap processor.
const CPU_ENABLED: u8 = 1 << 0;
const CPU_BOOTSTRAP: u8 = 1 << 1;

/// A base-table entry, as read from the table.
enum Entry {
    Processor(layout::Processor),
    Bus(layout::Bus),
    IoApic(layout::IoApic),
    Interrupt(layout::Interrupt),
}

impl Entry {
    /// The entry's length in the table.
    fn size(&self) -> usize {
        match self {
            Entry::Processor(_) => size_of::<layout::Processor>(),
            Entry::Bus(_) => size_of::<layout::Bus>(),
            Entry::IoApic(_) => size_of::<layout::IoApic>(),
            Entry::Interrupt(_) => size_of::<layout::Interrupt>(),
        }
    }
}

/// The entry `offset` bytes into the base table at `table`, which is `len` bytes long.
fn read_entry(mem: &dyn PhysMem, table: u64, offset: usize, len: usize) -> Result<Entry, Error> {
    if offset >= len {
        return Err(Error::Length(len));
    }
    let pa = table + offset as u64;
    let entry = match read::<u8>(mem, pa) {
        Some(PROCESSOR) => read(mem, pa).map(Entry::Processor),
        Some(BUS) => read(mem, pa).map(Entry::Bus),
        Some(IO_APIC) => read(mem, pa).map(Entry::IoApic),
        Some(IO_INTERRUPT | LOCAL_INTERRUPT) => read(mem, pa).map(Entry::Interrupt),
        Some(kind) => return Err(Error::UnknownEntry(kind, offset)),
        None => None,
    };
    match entry {
        Some(entry) if offset + entry.size() <= len => Ok(entry),
        _ => Err(Error::Length(len)),
    }
}

/// A list of at most `N` items in an array: the kernel has no heap, and [`Smp`] stays `Copy`.
#[derive(Clone, Copy, Debug)]
struct List<T, const N: usize> {
    items: [T; N],
    len: usize,
}

impl<T: Copy + Default, const N: usize> Default for List<T, N> {
    fn default() -> Self {
        List {
            items: [T::default(); N],
            len: 0,
        }
    }
}

impl<T, const N: usize> List<T, N> {
    /// Appends `item`, or returns false if the list is full.
    fn push(&mut self, item: T) -> bool {
        let Some(slot) = self.items.get_mut(self.len) else {
            return false;
        };
        *slot = item;
        self.len += 1;
        true
    }

    fn as_slice(&self) -> &[T] {
        &self.items[..self.len]
    }
}

/// What the kernel knows about the CPUs and the interrupt hardware: the result of [`probe`].
#[derive(Clone, Copy, Debug, Default)]
pub struct Smp {
    /// Where the table was, and its spec revision; `None` after a fallback.
    table: Option<(PhysAddr, u8)>,
    cpus: List<Cpu, MAX_CPUS>,
    lapic: PhysAddr,
    imcr: bool,
    ioapics: List<layout::IoApic, MAX_IOAPICS>,
    buses: List<layout::Bus, MAX_BUSES>,
    interrupts: List<layout::Interrupt, MAX_INTERRUPTS>,
    /// Processors the firmware marked unusable.
    disabled: usize,
    /// Usable processors beyond `MAX_CPUS`.
    over_limit: usize,
    /// Bus, I/O APIC and interrupt entries beyond the lists.
    dropped: usize,
    /// Why the table was not used.
    error: Option<Error>,
}

impl Smp {
    /// The boot CPU alone, because of `error`. Without a table its APIC id is unknown; it is
    /// recorded as 0, and with one CPU nothing needs to address it by its id.
    fn single_cpu(error: Error) -> Smp {
        let mut smp = Smp {
            lapic: DEFAULT_LAPIC,
            error: Some(error),
            ..Smp::default()
        };
        smp.cpus.push(Cpu {
            apic_id: 0,
            bsp: true,
        });
        smp
    }

    /// The CPUs to run on, at most [`MAX_CPUS`]: the bootstrap processor first, so the boot CPU
    /// is CPU 0, then the others in table order. A CPU's index here is its CPU number.
    pub fn cpus(&self) -> &[Cpu] {
        self.cpus.as_slice()
    }

    /// What to tell the user: what the table says or why it was not used, then anything left
    /// out.
    pub fn notes(&self) -> impl Iterator<Item = Note<'_>> {
        let first = match self.error {
            Some(e) => Note::Fallback(e),
            None => Note::Table(self),
        };
        let counts = [
            (self.disabled, Note::Disabled as fn(usize) -> Note<'static>),
            (self.over_limit, Note::OverLimit),
            (self.dropped, Note::Dropped),
        ];
        let counts = counts.into_iter().filter(|&(n, _)| n > 0);
        core::iter::once(first).chain(counts.map(|(n, note)| note(n)))
    }
}

#[allow(
    dead_code,
    reason = "later chapters, and the I/O APIC exercise, read these"
)]
impl Smp {
    /// Where every CPU's local APIC registers are.
    pub fn lapic(&self) -> PhysAddr {
        self.lapic
    }

    /// Whether the machine has an IMCR, so that it may start in PIC mode (MP spec 3.6.2.1):
    /// code that routes interrupts through an I/O APIC must switch it over first.
    pub fn imcr_present(&self) -> bool {
        self.imcr
    }

    /// The I/O APICs, buses and interrupt assignments, in table order.
    pub fn ioapics(&self) -> &[layout::IoApic] {
        self.ioapics.as_slice()
    }

    pub fn buses(&self) -> &[layout::Bus] {
        self.buses.as_slice()
    }

    pub fn interrupts(&self) -> &[layout::Interrupt] {
        self.interrupts.as_slice()
    }

    /// Why the table was not used, if it was not.
    pub fn error(&self) -> Option<Error> {
        self.error
    }
}

/// A line about the probe for the console (the kernel prints each after `SMP: `).
#[derive(Clone, Copy, Debug)]
pub enum Note<'a> {
    /// What the table says.
    Table(&'a Smp),
    /// The table cannot be used: the kernel runs on the boot CPU alone.
    Fallback(Error),
    /// This many processors are marked unusable by the firmware, and skipped.
    Disabled(usize),
    /// This many usable processors are beyond [`MAX_CPUS`] and stay disabled.
    OverLimit(usize),
    /// This many bus, I/O APIC or interrupt entries did not fit the lists and are ignored.
    Dropped(usize),
}

impl fmt::Display for Note<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            Note::Table(smp) => {
                let (at, rev) = smp.table.unwrap_or_default();
                write!(f, "MP 1.{rev} table at {:#x}: APIC ids", at.as_u64())?;
                for (i, cpu) in smp.cpus().iter().enumerate() {
                    let separator = if i == 0 { " " } else { ", " };
                    let boot = if cpu.bsp { " (boot)" } else { "" };
                    write!(f, "{separator}{}{boot}", cpu.apic_id)?;
                }
                let lapic = smp.lapic.as_u64();
                let (ioapics, buses) = (smp.ioapics.len, smp.buses.len);
                write!(
                    f,
                    "; local APIC at {lapic:#x}; {ioapics} I/O APIC(s), {buses} bus(es)"
                )?;
                write!(f, ", {} interrupt assignment(s)", smp.interrupts.len)
            }
            Note::Fallback(e) => write!(f, "{e}; running on the boot CPU only"),
            Note::Disabled(n) => write!(f, "{n} processor(s) disabled by the firmware, skipped"),
            Note::OverLimit(n) => write!(
                f,
                "{n} processor(s) beyond the kernel's limit of {MAX_CPUS} CPUs, left disabled"
            ),
            Note::Dropped(n) => write!(
                f,
                "{n} bus, I/O APIC or interrupt entries beyond the kernel's lists, ignored"
            ),
        }
    }
}

/// Checks the table that the floating pointer `fp` names, and collects its entries.
fn parse(mem: &dyn PhysMem, fp: &FloatingPointer) -> Result<Smp, Error> {
    match (fp.config_type, fp.table) {
        (0, 0) => return Err(Error::NoTable),
        (0, _) => {}
        (n, _) => return Err(Error::DefaultConfiguration(n)),
    }
    let at = u64::from(fp.table);
    let header_len = size_of::<TableHeader>();
    let header: TableHeader = read(mem, at).ok_or(Error::Unreadable(at, header_len))?;
    if header.signature != *b"PCMP" {
        return Err(Error::Signature(at));
    }
    if !matches!(header.spec_rev, 1 | 4) {
        return Err(Error::Version(header.spec_rev));
    }
    let len = usize::from(header.base_length);
    if len < header_len {
        return Err(Error::Length(len));
    }
    verify(mem, at, len, 0, Structure::Table)?;
    let ext_len = usize::from(header.ext_length);
    if ext_len > 0 {
        let ext = at + len as u64;
        verify(
            mem,
            ext,
            ext_len,
            header.ext_checksum,
            Structure::ExtendedTable,
        )?;
    }

    let mut smp = Smp {
        table: Some((PhysAddr::new(at), header.spec_rev)),
        lapic: PhysAddr::new(header.lapic.into()),
        imcr: fp.imcr & 0x80 != 0,
        ..Smp::default()
    };
    let (mut bsp, mut aps) = (None, List::<Cpu, { MAX_CPUS - 1 }>::default());
    let mut processors = 0;
    let mut offset = header_len;
    for _ in 0..header.entry_count {
        let entry = read_entry(mem, at, offset, len)?;
        offset += entry.size();
        let kept = match entry {
            Entry::Processor(p) => {
                processors += 1;
                let cpu = Cpu {
                    apic_id: p.apic_id,
                    bsp: p.flags & CPU_BOOTSTRAP != 0,
                };
                if cpu.bsp {
                    // The CPU running this code is usable, whatever its EN flag says.
                    if bsp.replace(cpu).is_some() {
                        return Err(Error::BootProcessor);
                    }
                } else if p.flags & CPU_ENABLED == 0 {
                    smp.disabled += 1;
                } else if !aps.push(cpu) {
                    smp.over_limit += 1;
                }
                true
            }
            Entry::Bus(bus) => smp.buses.push(bus),
            Entry::IoApic(ioapic) => smp.ioapics.push(ioapic),
            Entry::Interrupt(interrupt) => smp.interrupts.push(interrupt),
        };
        if !kept {
            smp.dropped += 1;
        }
    }
    if processors == 0 {
        return Err(Error::NoProcessors);
    }
    // The bootstrap processor goes first, and is kept even when the table lists it last.
    smp.cpus.push(bsp.ok_or(Error::BootProcessor)?);
    for &ap in aps.as_slice() {
        if smp.cpus().iter().any(|c| c.apic_id == ap.apic_id) {
            return Err(Error::DuplicateApicId(ap.apic_id));
        }
        smp.cpus.push(ap);
    }
    Ok(smp)
}

/// Checks that the `len` bytes at `at`, plus `extra`, add up to zero.
fn verify(mem: &dyn PhysMem, at: u64, len: usize, extra: u8, what: Structure) -> Result<(), Error> {
    match checksum(mem, at, len) {
        None => Err(Error::Unreadable(at, len)),
        Some(sum) if sum.wrapping_add(extra) == 0 => Ok(()),
        Some(_) => Err(Error::Checksum(what, at)),
    }
}

/// Finds the MP table and reads it. Never fails: when there is no usable table, the result
/// holds the boot CPU alone, and its first note says why.
pub fn probe(mem: &dyn PhysMem) -> Smp {
    find_pointer(mem)
        .and_then(|fp| parse(mem, &fp))
        .unwrap_or_else(Smp::single_cpu)
}

// The unit tests are in their own file; only host-tests compiles them, which includes this
// file by path, so the path is relative to this directory.
#[cfg(test)]
#[path = "mp_tests.rs"]
mod tests;
