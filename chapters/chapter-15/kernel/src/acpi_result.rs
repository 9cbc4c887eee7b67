//! What the ACPI probe (`acpi.rs`) found: the CPUs and the interrupt hardware that the MADT
//! lists ([`Madt`]), why the tables could not be used ([`Error`]), and the lines that tell the
//! user ([`Note`]).
#![deny(unsafe_code)]

use core::fmt;

use crate::acpi_layout::{IoApic, SourceOverride};
use crate::addr::PhysAddr;
use crate::cpu::MAX_CPUS;
use crate::mp_result::{Cpu, List, MAX_IOAPICS};

/// The most interrupt source overrides kept (a PC has at most one per ISA IRQ).
pub const MAX_OVERRIDES: usize = 16;

/// The tables the kernel checks, for messages.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Table {
    #[default]
    Rsdp,
    Rsdt,
    Xsdt,
    Madt,
}

impl Table {
    /// The signature the table starts with.
    pub fn signature(self) -> &'static [u8] {
        match self {
            Table::Rsdp => b"RSD PTR ",
            Table::Rsdt => b"RSDT",
            Table::Xsdt => b"XSDT",
            Table::Madt => b"APIC",
        }
    }
}

/// Why the ACPI tables cannot be used. Each makes the kernel fall back to the MP table.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Error {
    /// The boot loader passed no RSDP, and none is in the EBDA or the BIOS area.
    NoRsdp,
    /// The table at this address does not sum to zero.
    Checksum(Table, u64),
    /// No table of this kind (no signature) at this address, where a pointer says it is.
    Signature(Table, u64),
    /// The table at this address says it is this long: shorter than its header, or longer
    /// than the kernel believes (`acpi::MAX_TABLE_LEN`).
    Length(Table, u64, u32),
    /// The bytes at this address, this many, are not in readable memory.
    Unreadable(u64, usize),
    /// The RSDP names neither an RSDT nor an XSDT.
    NoRootTable,
    /// The root table lists no MADT.
    NoMadt,
    /// The MADT entry of this type, at this offset, is shorter than its type or runs past the
    /// table's end.
    Entry(u8, usize),
    /// The MADT lists no usable processor.
    NoProcessors,
    /// The MADT does not list the processor running this code, whose APIC id this is.
    BootCpuMissing(u8),
    /// Two usable processors share this APIC id.
    DuplicateApicId(u32),
    /// The local APIC address override gives this address, wider than x86_64's 52 bits.
    Address(u64),
}

impl fmt::Display for Table {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Table::Rsdp => "RSDP",
            Table::Rsdt => "RSDT",
            Table::Xsdt => "XSDT",
            Table::Madt => "MADT",
        })
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            Error::NoRsdp => {
                f.write_str("no ACPI RSDP from the boot loader, the EBDA or the BIOS area")
            }
            Error::Checksum(what, at) => write!(f, "bad checksum in the ACPI {what} at {at:#x}"),
            Error::Signature(what, at) => write!(f, "no ACPI {what} signature at {at:#x}"),
            Error::Length(what, at, len) => {
                write!(
                    f,
                    "the ACPI {what} at {at:#x} gives a length of {len} bytes"
                )
            }
            Error::Unreadable(at, len) => {
                write!(
                    f,
                    "ACPI table bytes at {at:#x} ({len} bytes) are not in readable memory"
                )
            }
            Error::NoRootTable => f.write_str("the ACPI RSDP names no RSDT or XSDT"),
            Error::NoMadt => f.write_str("no MADT (APIC) in the ACPI root table"),
            Error::Entry(kind, offset) => {
                write!(
                    f,
                    "the MADT entry of type {kind} at offset {offset} has a bad length"
                )
            }
            Error::NoProcessors => f.write_str("the MADT lists no usable processor"),
            Error::BootCpuMissing(id) => {
                write!(f, "the MADT does not list the boot CPU (APIC id {id})")
            }
            Error::DuplicateApicId(id) => write!(f, "the MADT lists APIC id {id} twice"),
            Error::Address(pa) => write!(f, "the MADT puts the local APIC at {pa:#x}"),
        }
    }
}

/// What the MADT says, as far as the kernel uses it.
#[derive(Clone, Copy, Debug, Default)]
pub struct Madt {
    /// The RSDP's address and revision, the root table's kind and address, the MADT's address.
    pub(crate) rsdp: (PhysAddr, u8),
    pub(crate) root: (Table, PhysAddr),
    pub(crate) at: PhysAddr,
    pub(crate) cpus: List<Cpu, MAX_CPUS>,
    pub(crate) lapic: PhysAddr,
    /// The machine also has the 8259 PICs (MADT flag PCAT_COMPAT).
    pub(crate) pcat_compat: bool,
    pub(crate) ioapics: List<IoApic, MAX_IOAPICS>,
    pub(crate) overrides: List<SourceOverride, MAX_OVERRIDES>,
    /// Usable processors listed, the boot CPU included, whether kept or not.
    pub(crate) usable: usize,
    /// Processors marked neither enabled nor online capable.
    pub(crate) disabled: usize,
    /// Processors not enabled but online capable: hot-pluggable, absent now.
    pub(crate) online_capable: usize,
    /// Usable processors beyond `MAX_CPUS`.
    pub(crate) over_limit: usize,
    /// Usable processors whose x2APIC id does not fit the xAPIC's 8 bits (or is 255, which the
    /// xAPIC reserves for broadcasts).
    pub(crate) x2apic_only: usize,
    /// I/O APIC and override entries beyond the lists.
    pub(crate) dropped: usize,
}

impl Madt {
    /// The CPUs to run on, at most [`MAX_CPUS`]: the boot CPU first, then the others in
    /// table order. A CPU's index here is its CPU number.
    pub fn cpus(&self) -> &[Cpu] {
        self.cpus.as_slice()
    }

    /// Where every CPU's local APIC registers are.
    pub fn lapic(&self) -> PhysAddr {
        self.lapic
    }

    /// What to tell the user, a line each: where the tables are, the CPUs, each I/O APIC and
    /// override, and what was left out.
    pub fn notes(&self) -> impl Iterator<Item = Note<'_>> {
        let head = [Note::Tables(self), Note::Cpus(self)];
        let ioapics = self.ioapics.as_slice().iter().map(Note::IoApic);
        let overrides = self.overrides.as_slice().iter().map(Note::Override);
        let counts = [
            (self.disabled, Note::Disabled as fn(usize) -> Note<'static>),
            (self.online_capable, Note::OnlineCapable),
            (self.over_limit, Note::OverLimit),
            (self.x2apic_only, Note::X2ApicOnly),
            (self.dropped, Note::Dropped),
        ];
        let counts = counts.into_iter().filter(|&(n, _)| n > 0);
        head.into_iter()
            .chain(ioapics)
            .chain(overrides)
            .chain(counts.map(|(n, note)| note(n)))
    }
}

/// A line about the MADT for the console (the kernel prints each after `ACPI: `).
#[derive(Clone, Copy, Debug)]
pub enum Note<'a> {
    /// Where the RSDP, the root table and the MADT are.
    Tables(&'a Madt),
    /// The usable CPUs, their APIC ids, and the local APIC's address.
    Cpus(&'a Madt),
    IoApic(&'a IoApic),
    Override(&'a SourceOverride),
    Disabled(usize),
    OnlineCapable(usize),
    OverLimit(usize),
    X2ApicOnly(usize),
    Dropped(usize),
}

impl fmt::Display for Note<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            Note::Tables(m) => {
                let ((rsdp, rev), (root, at)) = (m.rsdp, m.root);
                write!(f, "RSDP revision {rev} at {:#x}, ", rsdp.as_u64())?;
                write!(
                    f,
                    "{root} at {:#x}, MADT at {:#x}",
                    at.as_u64(),
                    m.at.as_u64()
                )
            }
            Note::Cpus(m) => {
                write!(f, "MADT lists {} CPUs (APIC ids", m.usable)?;
                for cpu in m.cpus() {
                    write!(f, " {}", cpu.apic_id)?;
                }
                write!(f, "), local APIC at {:#x}", m.lapic.as_u64())?;
                f.write_str(if m.pcat_compat {
                    ", 8259 PICs present"
                } else {
                    ""
                })
            }
            Note::IoApic(io) => write!(
                f,
                "I/O APIC {} at {:#x}, interrupts from GSI {}",
                io.id, io.address, io.gsi_base
            ),
            Note::Override(o) => {
                let (bus, irq, gsi, flags) = (o.bus, o.source, o.gsi(), o.flags());
                write!(f, "bus {bus} IRQ {irq} arrives at GSI {gsi}")?;
                // MPS INTI flags: polarity in bits 1-0, trigger mode in bits 3-2.
                let polarity = ["", ", active high", ", polarity 2?", ", active low"];
                let trigger = ["", ", edge-triggered", ", trigger 2?", ", level-triggered"];
                let (p, t) = (usize::from(flags & 3), usize::from(flags >> 2 & 3));
                write!(f, "{}{}", polarity[p], trigger[t])
            }
            Note::Disabled(n) => write!(f, "{n} processor(s) disabled by the firmware, skipped"),
            Note::OnlineCapable(n) => {
                write!(
                    f,
                    "{n} processor(s) absent but online capable (hot-plug), skipped"
                )
            }
            Note::OverLimit(n) => write!(
                f,
                "{n} CPU(s) beyond the kernel's limit of {MAX_CPUS} CPUs, left off"
            ),
            Note::X2ApicOnly(n) => write!(
                f,
                "{n} CPU(s) with x2APIC ids above 254, which the xAPIC cannot address, left off"
            ),
            Note::Dropped(n) => write!(
                f,
                "{n} I/O APIC or override entries beyond the kernel's lists, ignored"
            ),
        }
    }
}
