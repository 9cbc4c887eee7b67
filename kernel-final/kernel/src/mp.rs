// @file 1
// @{ mp_intro
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
//!
//! This file is the search and the parse. The spec's structures are in `mp_layout.rs`; what the
//! probe found, its errors and its notes are in `mp_result.rs`.
#![deny(unsafe_code)]

use core::mem::size_of;

use crate::addr::PhysAddr;
use crate::cpu::MAX_CPUS;
use crate::mp_layout::{
    BUS, Bus, CPU_BOOTSTRAP, CPU_ENABLED, FloatingPointer, FromBytes, IO_APIC, IO_INTERRUPT,
    Interrupt, IoApic, LOCAL_INTERRUPT, PROCESSOR, Processor, TableHeader,
};
use crate::mp_result::{Cpu, Error, List, Smp, Structure};
// @} mp_intro

// @{ mp_memory
/// The end of the first MiB. The search areas lie below it, and so does every table PC firmware
/// builds: the host tests' memory images end here, as the kernel's reader does
/// (`pmem::read_low_memory`).
#[cfg(test)]
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
// @{ 1..15
//- fn checksum(mem: &dyn PhysMem, pa: u64, len: usize) -> Option<u8> {
// @}
// @{ 15 mp_checksum_shared
// (The ACPI parser, chapter 15, checks its tables with it too.)
pub(crate) fn checksum(mem: &dyn PhysMem, pa: u64, len: usize) -> Option<u8> {
    // @}
    // @exercise 1 mp_checksum: add up the len bytes at pa (mod 256) reading them through mem in chunks; None if mem cannot read them
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
    // @} mp_checksum
}
// @} mp_memory

// @{ mp_read
/// Copies the value at `pa` out of physical memory.
// @{ 1..15
//- fn read<T: FromBytes>(mem: &dyn PhysMem, pa: u64) -> Option<T> {
// @}
// @{ 15 mp_read_shared
// (The ACPI parser, chapter 15, reads its structures with it too: none is longer than the MP
// table header, whose length sizes the buffer.)
pub(crate) fn read<T: FromBytes>(mem: &dyn PhysMem, pa: u64) -> Option<T> {
    // @}
    let mut buf = [0; size_of::<TableHeader>()];
    let bytes = buf.get_mut(..size_of::<T>())?;
    mem.read(pa, bytes).then(|| T::from_bytes(bytes))
}
// @} mp_read

// @{ mp_search
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
// @} mp_search

// @{ mp_entries
/// A base-table entry, as read from the table.
enum Entry {
    Processor(Processor),
    Bus(Bus),
    IoApic(IoApic),
    Interrupt(Interrupt),
}

impl Entry {
    /// The entry's length in the table.
    fn size(&self) -> usize {
        match self {
            Entry::Processor(_) => size_of::<Processor>(),
            Entry::Bus(_) => size_of::<Bus>(),
            Entry::IoApic(_) => size_of::<IoApic>(),
            Entry::Interrupt(_) => size_of::<Interrupt>(),
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
// @} mp_entries

// @{ mp_parse
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
// @} mp_parse

// @{ mp_entry_point
/// Finds the MP table and reads it. Never fails: when there is no usable table, the result
/// holds the boot CPU alone, and its first note says why.
pub fn probe(mem: &dyn PhysMem) -> Smp {
    find_pointer(mem)
        .and_then(|fp| parse(mem, &fp))
        .unwrap_or_else(Smp::single_cpu)
}
// @} mp_entry_point

// @{ 1 hidden
// The unit tests are in their own files; only host-tests compiles them, which includes this
// file by path, so the path is relative to this directory.
#[cfg(test)]
#[path = "mp_tests.rs"]
mod tests;
// @}
