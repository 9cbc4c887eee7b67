//! What the MP probe (`mp.rs`) found: the CPUs to run on and the interrupt hardware ([`Smp`]),
//! why a table could not be used ([`Error`]), and the lines that tell the user ([`Note`]).
//!
//! The parser fills the fields of [`Smp`] in; the rest of the kernel reads them through its
//! methods.
#![deny(unsafe_code)]

use core::fmt;

use crate::addr::PhysAddr;
use crate::cpu::MAX_CPUS;
use crate::mp_layout::{Bus, Interrupt, IoApic};

/// The most I/O APICs, buses and interrupt assignments kept; further entries are counted only.
pub const MAX_IOAPICS: usize = 8;
pub const MAX_BUSES: usize = 32;
pub const MAX_INTERRUPTS: usize = 64;
/// Where the local APIC's registers are after reset (Intel SDM Vol. 3A, "Local APIC Status and
/// Location"): what the kernel assumes when no table says otherwise.
pub const DEFAULT_LAPIC: PhysAddr = PhysAddr::new(0xfee0_0000);

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

/// A list of at most `N` items in an array: the kernel has no heap, and [`Smp`] stays `Copy`.
#[derive(Clone, Copy, Debug)]
pub(crate) struct List<T, const N: usize> {
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
    pub(crate) fn push(&mut self, item: T) -> bool {
        let Some(slot) = self.items.get_mut(self.len) else {
            return false;
        };
        *slot = item;
        self.len += 1;
        true
    }

    pub(crate) fn as_slice(&self) -> &[T] {
        &self.items[..self.len]
    }
}

/// What the kernel knows about the CPUs and the interrupt hardware: the result of
/// [`probe`](crate::mp::probe).
#[derive(Clone, Copy, Debug, Default)]
pub struct Smp {
    /// Where the table was, and its spec revision; `None` after a fallback.
    pub(crate) table: Option<(PhysAddr, u8)>,
    pub(crate) cpus: List<Cpu, MAX_CPUS>,
    pub(crate) lapic: PhysAddr,
    pub(crate) imcr: bool,
    pub(crate) ioapics: List<IoApic, MAX_IOAPICS>,
    pub(crate) buses: List<Bus, MAX_BUSES>,
    pub(crate) interrupts: List<Interrupt, MAX_INTERRUPTS>,
    /// Processors the firmware marked unusable.
    pub(crate) disabled: usize,
    /// Usable processors beyond `MAX_CPUS`.
    pub(crate) over_limit: usize,
    /// Bus, I/O APIC and interrupt entries beyond the lists.
    pub(crate) dropped: usize,
    /// Why the table was not used.
    pub(crate) error: Option<Error>,
}

impl Smp {
    /// The boot CPU alone, because of `error`. Without a table its APIC id is unknown; it is
    /// recorded as 0, and with one CPU nothing needs to address it by its id.
    pub(crate) fn single_cpu(error: Error) -> Smp {
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

// Only in the kernel: on the host, host-tests exports these methods, and nothing public is dead.
#[cfg_attr(
    target_os = "none",
    expect(
        dead_code,
        reason = "the kernel reads `lapic` and `error` from chapter 2 on; only the host tests \
                  and the I/O APIC exercises read the others"
    )
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
    pub fn ioapics(&self) -> &[IoApic] {
        self.ioapics.as_slice()
    }

    pub fn buses(&self) -> &[Bus] {
        self.buses.as_slice()
    }

    pub fn interrupts(&self) -> &[Interrupt] {
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
