// @file 15
// @{ acpi_intro
//! Finding the CPUs the way firmware describes them today: ACPI's Multiple APIC Description
//! Table (MADT), ACPI specification 6.5, section 5.2.12.
//!
//! The chain (ACPI 5.2): the *Root System Description Pointer* (RSDP, 5.2.5) names a root
//! table, the RSDT (5.2.7, 32-bit addresses) or, from ACPI 2.0 on, the XSDT (5.2.8, 64-bit
//! addresses; preferred when present). The root table lists every other table's address; the
//! one signed `APIC` is the MADT, whose variable-length entries list each processor's local
//! APIC, the I/O APICs and how ISA interrupts reach them. Every table carries a checksum byte
//! that makes all its bytes sum to zero (mod 256); the RSDP has two, for its ACPI 1.0 part and
//! for the whole. The RSDP itself comes from the boot loader (PVH's start info names it), or
//! is found by searching the first KiB of the EBDA and then 0xE0000-0xFFFFF, on 16-byte
//! boundaries, for its signature `RSD PTR ` (5.2.5.1).
//!
//! The parser reads physical memory through the MP parser's [`PhysMem`] and copies structures
//! out with its `read` and `checksum`; bad input never panics and never makes it read past a
//! table's stated length. It returns an [`Error`] instead, and the kernel then falls back to
//! the MP table (`cpu.rs`).
#![deny(unsafe_code)]

use core::mem::size_of;

use crate::acpi_layout::{
    CPU_ENABLED, CPU_ONLINE_CAPABLE, EntryHeader, IO_APIC, IoApic, LAPIC_OVERRIDE, LOCAL_APIC,
    LOCAL_X2APIC, LapicOverride, LocalApic, LocalX2Apic, MadtHeader, Rsdp, RsdpExtension,
    SOURCE_OVERRIDE, SdtHeader, SourceOverride,
};
use crate::acpi_result::{Error, Madt, Table};
use crate::addr::PhysAddr;
use crate::cpu::MAX_CPUS;
use crate::mp::{PhysMem, checksum, read};
use crate::mp_result::{Cpu, List};

/// The longest RSDT, XSDT or MADT the kernel believes: 64 KiB holds 16384 tables, or 4096
/// x2APIC entries. A longer length is damage, and checking it would read that much memory.
pub const MAX_TABLE_LEN: u32 = 64 * 1024;
// @} acpi_intro

// @{ acpi_rsdp_search
/// The word of the BIOS data area that holds the EBDA's segment, and where an EBDA may be.
const BDA_EBDA_SEGMENT: u64 = 0x40e;
const EBDA_RANGE: core::ops::Range<u64> = 0x500..0xa_0000;
/// The BIOS read-only area, searched after the EBDA's first KiB: start and length.
const BIOS_AREA: (u64, u64) = (0xe_0000, 0x2_0000);

/// The root table that the RSDP names, and where the RSDP was.
struct Root {
    rsdp: u64,
    revision: u8,
    table: Table,
    at: u64,
}

/// The first intact RSDP: at `hint`, where the boot loader says it is, else on a 16-byte
/// boundary in the first KiB of the EBDA or in the BIOS area. A damaged one is skipped, and
/// the first damaged one is the error if none is intact.
fn find_rsdp(mem: &dyn PhysMem, hint: Option<u64>) -> Result<Root, Error> {
    let ebda = read::<u16>(mem, BDA_EBDA_SEGMENT)
        .map(|segment| u64::from(segment) << 4)
        .filter(|start| EBDA_RANGE.contains(start));
    let areas = [
        hint.map(|at| (at, 1)),
        ebda.map(|at| (at, 1024)),
        Some(BIOS_AREA),
    ];
    let mut damaged = None;
    for (start, len) in areas.into_iter().flatten() {
        for pa in (start..start.saturating_add(len)).step_by(16) {
            match read::<Rsdp>(mem, pa) {
                Some(rsdp) if rsdp.signature == *Table::Rsdp.signature() => {
                    match root_table(mem, pa, &rsdp) {
                        Ok(root) => return Ok(root),
                        Err(e) => _ = damaged.get_or_insert(e),
                    }
                }
                _ => {}
            }
        }
    }
    Err(damaged.unwrap_or(Error::NoRsdp))
}

/// Checks the RSDP at `pa` and picks its root table: the XSDT when the RSDP is of revision 2
/// or later and names one, else the RSDT.
fn root_table(mem: &dyn PhysMem, pa: u64, rsdp: &Rsdp) -> Result<Root, Error> {
    // @exercise 15 acpi_root: check the RSDP at pa (the 20-byte checksum, then for revision 2 or later the extension and the checksum of its whole length) and pick the XSDT when it has one, else the RSDT
    verify(mem, pa, size_of::<Rsdp>(), Table::Rsdp)?;
    let root = |table, at| Root {
        rsdp: pa,
        revision: rsdp.revision,
        table,
        at,
    };
    if rsdp.revision >= 2 {
        let at = pa + size_of::<Rsdp>() as u64;
        let ext: RsdpExtension = read(mem, at).ok_or(Error::Unreadable(at, 16))?;
        let full = size_of::<Rsdp>() + size_of::<RsdpExtension>();
        if !(full..=4096).contains(&(ext.length as usize)) {
            return Err(Error::Length(Table::Rsdp, pa, ext.length));
        }
        verify(mem, pa, ext.length as usize, Table::Rsdp)?;
        if ext.xsdt() != 0 {
            return Ok(root(Table::Xsdt, ext.xsdt()));
        }
    }
    match rsdp.rsdt {
        0 => Err(Error::NoRootTable),
        at => Ok(root(Table::Rsdt, u64::from(at))),
    }
    // @} acpi_root
}
// @} acpi_rsdp_search

// @{ acpi_sdt_check
/// Checks that the `len` bytes at `at` sum to zero.
fn verify(mem: &dyn PhysMem, at: u64, len: usize, what: Table) -> Result<(), Error> {
    match checksum(mem, at, len) {
        None => Err(Error::Unreadable(at, len)),
        Some(0) => Ok(()),
        Some(_) => Err(Error::Checksum(what, at)),
    }
}

/// Checks the table `what` at `at` (signature, length, checksum) and returns its length.
fn table(mem: &dyn PhysMem, at: u64, what: Table) -> Result<usize, Error> {
    let header_len = size_of::<SdtHeader>();
    let header: SdtHeader = read(mem, at).ok_or(Error::Unreadable(at, header_len))?;
    if header.signature != *what.signature() {
        return Err(Error::Signature(what, at));
    }
    let len = header.length;
    if (len as usize) < header_len || len > MAX_TABLE_LEN {
        return Err(Error::Length(what, at, len));
    }
    verify(mem, at, len as usize, what)?;
    Ok(len as usize)
}

/// The MADT's address: the first entry of the root table whose table is signed `APIC`.
fn find_madt(mem: &dyn PhysMem, root: &Root) -> Result<u64, Error> {
    let len = table(mem, root.at, root.table)?;
    let width = if root.table == Table::Xsdt { 8 } else { 4 };
    let mut offset = size_of::<SdtHeader>();
    while offset + width <= len {
        let pa = root.at + offset as u64;
        let entry = match width {
            8 => read::<[u8; 8]>(mem, pa).map(u64::from_le_bytes),
            _ => read::<u32>(mem, pa).map(u64::from),
        };
        let at = entry.ok_or(Error::Unreadable(pa, width))?;
        if read::<[u8; 4]>(mem, at).is_some_and(|s| s == *Table::Madt.signature()) {
            return Ok(at);
        }
        offset += width;
    }
    Err(Error::NoMadt)
}
// @} acpi_sdt_check

// @{ acpi_entries
/// An MADT entry the kernel uses, as read from the table.
enum Entry {
    /// A local APIC (type 0) or local x2APIC (type 9): the APIC id and the flags.
    Processor(u32, u32),
    IoApic(IoApic),
    Override(SourceOverride),
    /// The 64-bit local APIC address (type 5).
    LapicAddress(u64),
    /// Any other type, skipped.
    Other,
}

/// The entry `offset` bytes into the MADT at `at`, which is `len` bytes long, and its length.
fn read_entry(
    mem: &dyn PhysMem,
    at: u64,
    offset: usize,
    len: usize,
) -> Result<(Entry, usize), Error> {
    let pa = at + offset as u64;
    let unreadable = Error::Unreadable(pa, 2);
    let head: EntryHeader = read(mem, pa).ok_or(unreadable)?;
    let (kind, size) = (head.entry_type, usize::from(head.length));
    // A length below 2 would never move on; one past the end would leave the table.
    if size < size_of::<EntryHeader>() || offset + size > len {
        return Err(Error::Entry(kind, offset));
    }
    let fits = |n: usize| size >= n;
    let entry = match kind {
        LOCAL_APIC if fits(size_of::<LocalApic>()) => {
            read(mem, pa).map(|e: LocalApic| Entry::Processor(e.apic_id.into(), e.flags))
        }
        LOCAL_X2APIC if fits(size_of::<LocalX2Apic>()) => {
            read(mem, pa).map(|e: LocalX2Apic| Entry::Processor(e.x2apic_id, e.flags))
        }
        IO_APIC if fits(size_of::<IoApic>()) => read(mem, pa).map(Entry::IoApic),
        SOURCE_OVERRIDE if fits(size_of::<SourceOverride>()) => read(mem, pa).map(Entry::Override),
        LAPIC_OVERRIDE if fits(size_of::<LapicOverride>()) => {
            read(mem, pa).map(|e: LapicOverride| Entry::LapicAddress(u64::from_le_bytes(e.address)))
        }
        LOCAL_APIC | LOCAL_X2APIC | IO_APIC | SOURCE_OVERRIDE | LAPIC_OVERRIDE => {
            return Err(Error::Entry(kind, offset));
        }
        _ => Some(Entry::Other),
    };
    Ok((entry.ok_or(Error::Unreadable(pa, size))?, size))
}
// @} acpi_entries

// @{ acpi_parse
/// Checks the MADT at `at` and collects its entries; `boot_apic_id` is the APIC id of the CPU
/// running this code, which the MADT must list and which becomes CPU 0.
fn parse_madt(mem: &dyn PhysMem, root: &Root, at: u64, boot_apic_id: u8) -> Result<Madt, Error> {
    let len = table(mem, at, Table::Madt)?;
    let header_len = size_of::<MadtHeader>();
    if len < header_len {
        return Err(Error::Length(Table::Madt, at, len as u32));
    }
    let header: MadtHeader = read(mem, at).ok_or(Error::Unreadable(at, header_len))?;
    let mut madt = Madt {
        rsdp: (PhysAddr::new(root.rsdp), root.revision),
        root: (root.table, PhysAddr::new(root.at)),
        at: PhysAddr::new(at),
        lapic: PhysAddr::new(header.lapic.into()),
        pcat_compat: header.flags & 1 != 0,
        ..Madt::default()
    };
    let mut boot_listed = false;
    let mut aps = List::<Cpu, { MAX_CPUS - 1 }>::default();
    let mut offset = header_len;
    while offset < len {
        let (entry, size) = read_entry(mem, at, offset, len)?;
        offset += size;
        // @exercise 15 madt_walk: sort the entry out: a processor is the boot CPU, an AP to keep or one to count as disabled, online capable, over the limit or x2APIC-only; I/O APICs and overrides go into their lists; type 5 replaces the local APIC address
        let kept = match entry {
            Entry::Processor(id, _) if id == u32::from(boot_apic_id) => {
                // The CPU running this code is usable, whatever its flags say.
                if core::mem::replace(&mut boot_listed, true) {
                    return Err(Error::DuplicateApicId(id));
                }
                madt.usable += 1;
                true
            }
            Entry::Processor(_, flags) if flags & CPU_ENABLED == 0 => {
                if flags & CPU_ONLINE_CAPABLE != 0 {
                    madt.online_capable += 1;
                } else {
                    madt.disabled += 1;
                }
                true
            }
            Entry::Processor(id, _) => {
                madt.usable += 1;
                // 0xff is the xAPIC's broadcast address, never a CPU's.
                match u8::try_from(id).ok().filter(|&id| id != 0xff) {
                    None => madt.x2apic_only += 1,
                    Some(apic_id) if aps.as_slice().iter().any(|c| c.apic_id == apic_id) => {
                        return Err(Error::DuplicateApicId(id));
                    }
                    Some(apic_id)
                        if !aps.push(Cpu {
                            apic_id,
                            bsp: false,
                        }) =>
                    {
                        madt.over_limit += 1;
                    }
                    Some(_) => {}
                }
                true
            }
            Entry::IoApic(ioapic) => madt.ioapics.push(ioapic),
            Entry::Override(o) => madt.overrides.push(o),
            Entry::LapicAddress(pa) if pa >= 1 << 52 => return Err(Error::Address(pa)),
            Entry::LapicAddress(pa) => {
                madt.lapic = PhysAddr::new(pa);
                true
            }
            Entry::Other => true,
        };
        if !kept {
            madt.dropped += 1;
        }
        // @} madt_walk
    }
    if madt.usable == 0 {
        return Err(Error::NoProcessors);
    }
    if !boot_listed {
        return Err(Error::BootCpuMissing(boot_apic_id));
    }
    let boot = Cpu {
        apic_id: boot_apic_id,
        bsp: true,
    };
    for cpu in core::iter::once(&boot).chain(aps.as_slice()) {
        madt.cpus.push(*cpu);
    }
    Ok(madt)
}
// @} acpi_parse

// @{ acpi_entry_point
/// Finds the MADT through the RSDP at `rsdp` (from the boot loader; `None`: search for it)
/// and reads it. `boot_apic_id` is the running CPU's APIC id.
pub fn probe(mem: &dyn PhysMem, rsdp: Option<u64>, boot_apic_id: u8) -> Result<Madt, Error> {
    let root = find_rsdp(mem, rsdp)?;
    let at = find_madt(mem, &root)?;
    parse_madt(mem, &root, at, boot_apic_id)
}
// @} acpi_entry_point

// @{ 15 hidden
// The unit tests are in their own files; only host-tests compiles them.
#[cfg(test)]
#[path = "acpi_tests.rs"]
mod tests;
// @}
