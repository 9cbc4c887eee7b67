// @file 15 hidden
//! Unit tests of the ACPI parser (compiled on the host only, through host-tests): the builder
//! of synthetic machines that every ACPI test uses, and the tests of the RSDP and the root
//! tables. The MADT's tests are in `acpi_tests_madt.rs`, the fuzzing in `acpi_fuzz.rs`.

use super::*;
use crate::acpi_layout::{IO_APIC, LAPIC_OVERRIDE, LOCAL_APIC, LOCAL_X2APIC, SOURCE_OVERRIDE};
use crate::acpi_result::MAX_OVERRIDES;

// Child modules, so that they share the builder; the paths are relative to this directory.
#[path = "acpi_fuzz.rs"]
mod fuzz;
#[path = "acpi_tests_madt.rs"]
mod madt;

/// Where the tables go, as SeaBIOS places them under QEMU with 128 MiB: the RSDP in the BIOS
/// area, the others at the top of RAM.
const RSDP_AT: u64 = 0xf_5a40;
const RSDT_AT: u64 = 0x7fe_1a00;
const XSDT_AT: u64 = 0x7fe_1b00;
const FACP_AT: u64 = 0x7fe_1000;
const MADT_AT: u64 = 0x7fe_1c00;
/// The boot CPU's APIC id in most tests.
const BOOT: u8 = 0;

/// Sparse physical memory: a few regions of bytes; anything else is unreadable.
#[derive(Clone, Default)]
struct Memory(Vec<(u64, Vec<u8>)>);

impl PhysMem for Memory {
    fn read(&self, pa: u64, buf: &mut [u8]) -> bool {
        // The last region put that holds all of the bytes.
        let found = self.0.iter().rev().find_map(|(start, bytes)| {
            let from = usize::try_from(pa.checked_sub(*start)?).ok()?;
            bytes.get(from..from.checked_add(buf.len())?)
        });
        found.map(|src| buf.copy_from_slice(src)).is_some()
    }
}

impl Memory {
    fn put(&mut self, at: u64, bytes: &[u8]) {
        self.0.push((at, bytes.to_vec()));
    }
}

/// Sets `bytes[at]` so that `bytes` sums to zero.
fn fix_checksum(bytes: &mut [u8], at: usize) {
    bytes[at] = 0;
    let sum = bytes.iter().fold(0u8, |s, &b| s.wrapping_add(b));
    bytes[at] = sum.wrapping_neg();
}

/// An RSDP: revision 0 (20 bytes) or 2 (36 bytes), with both checksums right.
fn rsdp(revision: u8, rsdt: u32, xsdt: u64) -> Vec<u8> {
    let mut r = b"RSD PTR \0BOCHS \0".to_vec();
    r[15] = revision;
    r.extend_from_slice(&rsdt.to_le_bytes());
    fix_checksum(&mut r, 8);
    if revision >= 2 {
        r.extend_from_slice(&36u32.to_le_bytes());
        r.extend_from_slice(&xsdt.to_le_bytes());
        r.extend_from_slice(&[0; 4]);
        fix_checksum(&mut r, 32);
    }
    r
}

/// A System Description Table: the header (signature, length, checksum) and `body`.
fn sdt(signature: &[u8; 4], body: &[u8]) -> Vec<u8> {
    let mut t = vec![0u8; 36];
    t[..4].copy_from_slice(signature);
    t[4..8].copy_from_slice(&(36 + body.len() as u32).to_le_bytes());
    t[8] = 1;
    t[10..16].copy_from_slice(b"BOCHS ");
    t[16..24].copy_from_slice(b"BXPC    ");
    t.extend_from_slice(body);
    fix_checksum(&mut t, 9);
    t
}

/// An RSDT (4-byte entries) or XSDT (8-byte entries) listing the tables at `tables`.
fn root(signature: &[u8; 4], tables: &[u64]) -> Vec<u8> {
    let width = if signature == b"XSDT" { 8 } else { 4 };
    let body: Vec<u8> = tables
        .iter()
        .flat_map(|t| t.to_le_bytes()[..width].to_vec())
        .collect();
    sdt(signature, &body)
}

/// Processor flags.
const ENABLED: u32 = CPU_ENABLED;
const ONLINE_CAPABLE: u32 = CPU_ONLINE_CAPABLE;

/// An MADT under construction.
#[derive(Clone)]
struct MadtTable {
    lapic: u32,
    flags: u32,
    entries: Vec<u8>,
}

impl MadtTable {
    fn new() -> MadtTable {
        MadtTable {
            lapic: 0xfee0_0000,
            flags: 1,
            entries: Vec::new(),
        }
    }

    /// An MADT with enabled local APICs of these ids, in this order.
    fn with_cpus(ids: &[u8]) -> MadtTable {
        let uids = 0u8..;
        ids.iter()
            .zip(uids)
            .fold(MadtTable::new(), |t, (&id, uid)| t.cpu(uid, id, ENABLED))
    }

    fn entry(mut self, bytes: &[u8]) -> MadtTable {
        self.entries.extend_from_slice(bytes);
        self
    }

    fn cpu(self, uid: u8, apic_id: u8, flags: u32) -> MadtTable {
        let mut e = vec![LOCAL_APIC, 8, uid, apic_id];
        e.extend_from_slice(&flags.to_le_bytes());
        self.entry(&e)
    }

    fn x2apic(self, id: u32, flags: u32) -> MadtTable {
        let mut e = vec![LOCAL_X2APIC, 16, 0, 0];
        for field in [id, flags, id] {
            e.extend_from_slice(&field.to_le_bytes());
        }
        self.entry(&e)
    }

    fn ioapic(self, id: u8, address: u32, gsi_base: u32) -> MadtTable {
        let mut e = vec![IO_APIC, 12, id, 0];
        e.extend_from_slice(&address.to_le_bytes());
        e.extend_from_slice(&gsi_base.to_le_bytes());
        self.entry(&e)
    }

    fn source_override(self, irq: u8, gsi: u32, flags: u16) -> MadtTable {
        let mut e = vec![SOURCE_OVERRIDE, 10, 0, irq];
        e.extend_from_slice(&gsi.to_le_bytes());
        e.extend_from_slice(&flags.to_le_bytes());
        self.entry(&e)
    }

    fn lapic_override(self, address: u64) -> MadtTable {
        let mut e = vec![LAPIC_OVERRIDE, 12, 0, 0];
        e.extend_from_slice(&address.to_le_bytes());
        self.entry(&e)
    }

    fn bytes(&self) -> Vec<u8> {
        let mut body = self.lapic.to_le_bytes().to_vec();
        body.extend_from_slice(&self.flags.to_le_bytes());
        body.extend_from_slice(&self.entries);
        sdt(b"APIC", &body)
    }

    /// QEMU's MADT for `n` CPUs: their local APICs, one I/O APIC, the ISA overrides (IRQ 0 at
    /// GSI 2; 5, 9, 10 and 11 level-triggered, active high) and the LINT1 NMI entry (type 4).
    fn qemu(n: u8) -> MadtTable {
        let ids: Vec<u8> = (0..n).collect();
        [
            (0, 2, 0),
            (5, 5, 0xd),
            (9, 9, 0xd),
            (10, 10, 0xd),
            (11, 11, 0xd),
        ]
        .into_iter()
        .fold(
            MadtTable::with_cpus(&ids).ioapic(0, 0xfec0_0000, 0),
            |t, (irq, gsi, flags)| t.source_override(irq, gsi, flags),
        )
        .entry(&[4, 6, 0xff, 0, 0, 1])
    }
}

/// A machine as QEMU's SeaBIOS lays it out: an ACPI 1.0 RSDP naming an RSDT that lists a FACP
/// and `madt`.
fn machine(madt: &MadtTable) -> Memory {
    let mut mem = Memory::default();
    mem.put(RSDP_AT, &rsdp(0, RSDT_AT as u32, 0));
    mem.put(RSDT_AT, &root(b"RSDT", &[FACP_AT, MADT_AT]));
    mem.put(FACP_AT, &sdt(b"FACP", &[0; 80]));
    mem.put(MADT_AT, &madt.bytes());
    mem
}

fn apic_ids(madt: &Madt) -> Vec<u8> {
    madt.cpus().iter().map(|c| c.apic_id).collect()
}

fn notes(madt: &Madt) -> Vec<String> {
    madt.notes().map(|n| format!("ACPI: {n}")).collect()
}

/// Probes `mem` with the RSDP at `RSDP_AT` and boot CPU `BOOT`.
fn probe_at(mem: &Memory) -> Result<Madt, Error> {
    probe(mem, Some(RSDP_AT), BOOT)
}

#[test]
fn qemu_like_machine() {
    let madt = probe_at(&machine(&MadtTable::qemu(4))).expect("a good MADT");
    assert_eq!(apic_ids(&madt), [0, 1, 2, 3]);
    assert!(madt.cpus()[0].bsp && !madt.cpus()[1..].iter().any(|c| c.bsp));
    assert_eq!(madt.lapic(), PhysAddr::new(0xfee0_0000));
    assert_eq!(
        madt.overrides.as_slice()[0].gsi(),
        2,
        "the timer, IRQ 0, at GSI 2"
    );
    assert_eq!(
        notes(&madt),
        [
            "ACPI: RSDP revision 0 at 0xf5a40, RSDT at 0x7fe1a00, MADT at 0x7fe1c00",
            "ACPI: MADT lists 4 CPUs (APIC ids 0 1 2 3), local APIC at 0xfee00000, 8259 PICs \
             present",
            "ACPI: I/O APIC 0 at 0xfec00000, interrupts from GSI 0",
            "ACPI: bus 0 IRQ 0 arrives at GSI 2",
            "ACPI: bus 0 IRQ 5 arrives at GSI 5, active high, level-triggered",
            "ACPI: bus 0 IRQ 9 arrives at GSI 9, active high, level-triggered",
            "ACPI: bus 0 IRQ 10 arrives at GSI 10, active high, level-triggered",
            "ACPI: bus 0 IRQ 11 arrives at GSI 11, active high, level-triggered",
        ]
    );
}

#[test]
fn rsdp_found_by_searching() {
    // No hint: the BIOS area, 0xE0000-0xFFFFF, on 16-byte boundaries.
    for at in [0xe_0000, RSDP_AT, 0xf_ffe0] {
        let mut mem = machine(&MadtTable::with_cpus(&[0, 1]));
        mem.0[0].0 = at;
        let madt = probe(&mem, None, BOOT).expect("found");
        assert_eq!((apic_ids(&madt), madt.rsdp.0.as_u64()), (vec![0, 1], at));
    }
    // Off a 16-byte boundary, it is not found.
    let mut mem = machine(&MadtTable::with_cpus(&[0, 1]));
    mem.0[0].0 = RSDP_AT + 4;
    assert_eq!(probe(&mem, None, BOOT).unwrap_err(), Error::NoRsdp);
    // The first KiB of the EBDA (its segment in the BIOS data area) is searched first.
    mem.put(0x40e, &0x9fc0u16.to_le_bytes());
    mem.put(0x9_fc00 + 0x3f0, &rsdp(0, RSDT_AT as u32, 0));
    assert_eq!(probe(&mem, None, BOOT).unwrap().rsdp.0.as_u64(), 0x9_fff0);
    // Beyond its first KiB, it is not.
    mem.0.last_mut().unwrap().0 = 0x9_fc00 + 0x400;
    assert_eq!(probe(&mem, None, BOOT).unwrap_err(), Error::NoRsdp);
}

#[test]
fn the_hint_comes_first_and_a_bad_one_is_skipped() {
    let mut mem = machine(&MadtTable::with_cpus(&[0, 1, 2]));
    mem.put(0x8000, &rsdp(0, RSDT_AT as u32, 0));
    assert_eq!(
        probe(&mem, Some(0x8000), BOOT).unwrap().rsdp.0.as_u64(),
        0x8000
    );
    // A hint at nothing: the search finds the one in the BIOS area.
    let madt = probe(&mem, Some(0x9000), BOOT).expect("found by the search");
    assert_eq!(madt.rsdp.0.as_u64(), RSDP_AT);
    // A hint outside memory altogether.
    assert!(probe(&mem, Some(u64::MAX - 8), BOOT).is_ok());
}

#[test]
fn rsdp_checksums() {
    let mut mem = machine(&MadtTable::with_cpus(&[0, 1]));
    mem.0[0].1[12] ^= 1;
    let error = Error::Checksum(Table::Rsdp, RSDP_AT);
    assert_eq!(probe_at(&mem).unwrap_err(), error);
    assert_eq!(
        error.to_string(),
        "bad checksum in the ACPI RSDP at 0xf5a40"
    );
    // Revision 2: the first 20 bytes are right, the whole is not.
    let mut mem = machine(&MadtTable::with_cpus(&[0, 1]));
    let mut r = rsdp(2, RSDT_AT as u32, XSDT_AT);
    r[34] = 1;
    mem.put(RSDP_AT, &r);
    assert_eq!(probe_at(&mem).unwrap_err(), error);
    // A revision-2 length that cannot be.
    let mut r = rsdp(2, RSDT_AT as u32, XSDT_AT);
    r[20] = 20;
    fix_checksum(&mut r, 32);
    mem.put(RSDP_AT, &r);
    assert_eq!(
        probe_at(&mem).unwrap_err(),
        Error::Length(Table::Rsdp, RSDP_AT, 20)
    );
}

#[test]
fn xsdt_preferred_from_revision_2() {
    // The RSDT lists a MADT of two CPUs, the XSDT one of four.
    let mut mem = machine(&MadtTable::with_cpus(&[0, 1]));
    let xsdt_madt = 0x1_0000_0000;
    mem.put(RSDP_AT, &rsdp(2, RSDT_AT as u32, XSDT_AT));
    mem.put(XSDT_AT, &root(b"XSDT", &[FACP_AT, xsdt_madt]));
    mem.put(xsdt_madt, &MadtTable::with_cpus(&[0, 1, 2, 3]).bytes());
    let madt = probe_at(&mem).expect("through the XSDT");
    assert_eq!(apic_ids(&madt), [0, 1, 2, 3]);
    assert_eq!(madt.root, (Table::Xsdt, PhysAddr::new(XSDT_AT)));
    assert!(notes(&madt)[0].contains("XSDT at 0x7fe1b00, MADT at 0x100000000"));
    // Revision 2 without an XSDT address: the RSDT.
    mem.put(RSDP_AT, &rsdp(2, RSDT_AT as u32, 0));
    assert_eq!(apic_ids(&probe_at(&mem).unwrap()), [0, 1]);
    // Revision 0 has no XSDT field: the bytes after the 20 are not looked at.
    mem.put(RSDP_AT, &rsdp(0, RSDT_AT as u32, 0));
    mem.put(RSDP_AT + 24, &XSDT_AT.to_le_bytes());
    assert_eq!(probe_at(&mem).unwrap().root.0, Table::Rsdt);
    // No root table at all.
    mem.put(RSDP_AT, &rsdp(2, 0, 0));
    assert_eq!(probe_at(&mem).unwrap_err(), Error::NoRootTable);
}

#[test]
fn damaged_root_tables() {
    let good = machine(&MadtTable::with_cpus(&[0, 1]));
    let mut mem = good.clone();
    mem.0[1].1[40] ^= 0x10;
    let error = Error::Checksum(Table::Rsdt, RSDT_AT);
    assert_eq!(probe_at(&mem).unwrap_err(), error);
    let mut mem = good.clone();
    mem.0[1].1[..4].copy_from_slice(b"XSDT");
    assert_eq!(
        probe_at(&mem).unwrap_err(),
        Error::Signature(Table::Rsdt, RSDT_AT)
    );
    // Lengths: shorter than the header, longer than the kernel believes, past the memory.
    for len in [0, 35, MAX_TABLE_LEN + 1, u32::MAX] {
        let mut mem = good.clone();
        mem.0[1].1[4..8].copy_from_slice(&len.to_le_bytes());
        let error = Error::Length(Table::Rsdt, RSDT_AT, len);
        assert_eq!(probe_at(&mem).unwrap_err(), error, "length {len}");
    }
    let mut mem = good.clone();
    mem.0[1].1[4..8].copy_from_slice(&1000u32.to_le_bytes());
    assert_eq!(
        probe_at(&mem).unwrap_err(),
        Error::Unreadable(RSDT_AT, 1000)
    );
}

#[test]
fn no_madt_in_the_root_table() {
    let mut mem = machine(&MadtTable::with_cpus(&[0]));
    mem.put(RSDT_AT, &root(b"RSDT", &[FACP_AT, 0xdead_0000]));
    let error = probe_at(&mem).unwrap_err();
    assert_eq!(error, Error::NoMadt);
    assert_eq!(error.to_string(), "no MADT (APIC) in the ACPI root table");
    // Nothing at all.
    assert_eq!(
        probe(&Memory::default(), None, BOOT).unwrap_err(),
        Error::NoRsdp
    );
    let nothing = |_: u64, _: &mut [u8]| false;
    assert_eq!(
        probe(&nothing, Some(RSDP_AT), BOOT).unwrap_err(),
        Error::NoRsdp
    );
}

#[test]
fn lists_beyond_the_kernels_limits_are_counted() {
    let madt = (0..MAX_OVERRIDES as u8 + 3).fold(MadtTable::with_cpus(&[0]), |t, irq| {
        t.source_override(irq, irq.into(), 0)
    });
    let madt = probe_at(&machine(&madt)).unwrap();
    assert_eq!(madt.overrides.as_slice().len(), MAX_OVERRIDES);
    assert_eq!(
        notes(&madt).last().unwrap(),
        "ACPI: 3 I/O APIC or override entries beyond the kernel's lists, ignored"
    );
}
