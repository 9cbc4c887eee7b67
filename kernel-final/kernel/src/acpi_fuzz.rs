// @file 15 hidden
//! Fuzzing of the ACPI parser on the host (see host-tests' `fuzz.rs` for the driver): random
//! machines, well formed, then damaged, with their checksums put right half the time so that
//! the damage reaches the parsing beyond them; now and then an MADT of random entries.

use super::*;
use crate::fuzz::{BYTES_PER_PROBE, Counting, Rng, mutate, run};

/// A random well-formed machine: an RSDP of revision 0 or 2, its root table, a FACP and an
/// MADT of 1 to 40 processors (local APIC or x2APIC entries, random flags, the boot CPU among
/// them), I/O APICs, overrides, sometimes a type-5 entry and unknown entries. Returns the
/// memory and the boot CPU's APIC id.
fn random_machine(rng: &mut Rng) -> (Memory, u8) {
    let mut table = MadtTable::new();
    table.flags = rng.below(2) as u32;
    let boot = rng.byte();
    let n = 1 + rng.below(40);
    let boot_at = rng.below(n);
    for i in 0..n {
        let id = if i == boot_at { boot } else { rng.byte() };
        let flags = if rng.one_in(8) {
            rng.below(4) as u32
        } else {
            ENABLED
        };
        table = match rng.below(8) {
            0 => table.x2apic(id.into(), flags),
            1 => table.x2apic(rng.below(1024) as u32, flags),
            _ => table.cpu(i as u8, id, flags),
        };
        table = match rng.below(16) {
            0 => table.ioapic(rng.byte(), 0xfec0_0000, rng.below(64) as u32),
            1 => table.source_override(rng.byte(), rng.below(64) as u32, rng.below(16) as u16),
            2 => table.lapic_override(0xfee0_0000),
            3 => table.entry(&[4, 6, 0xff, 0, 0, 1]),
            _ => table,
        };
    }
    if rng.one_in(4) {
        // An MADT of random entries.
        table.entries = (0..rng.below(300)).map(|_| rng.byte()).collect();
    }
    let mut mem = Memory::default();
    if rng.one_in(2) {
        mem.put(RSDP_AT, &rsdp(2, RSDT_AT as u32, XSDT_AT));
        mem.put(XSDT_AT, &root(b"XSDT", &[FACP_AT, MADT_AT]));
    } else {
        mem.put(RSDP_AT, &rsdp(0, RSDT_AT as u32, 0));
        mem.put(RSDT_AT, &root(b"RSDT", &[FACP_AT, MADT_AT]));
    }
    mem.put(FACP_AT, &sdt(b"FACP", &[0; 80]));
    mem.put(MADT_AT, &table.bytes());
    (mem, boot)
}

/// Damages one structure of `mem`, and half the time puts its checksum(s) right again.
fn damage(rng: &mut Rng, mem: &mut Memory) {
    let which = rng.below(mem.0.len() as u64) as usize;
    let bytes = &mut mem.0[which].1;
    mutate(rng, bytes);
    if rng.one_in(2) {
        if which == 0 {
            if bytes.len() >= 20 {
                fix_checksum(&mut bytes[..20], 8);
            }
            if bytes.len() >= 36 {
                fix_checksum(&mut bytes[..36], 32);
            }
        } else if bytes.len() >= 36 {
            fix_checksum(bytes, 9);
        }
    }
}

/// What any result must satisfy: the boot CPU first, at most MAX_CPUS CPUs, distinct ids, and
/// notes and messages that format.
fn check(result: &Result<Madt, Error>, boot: u8) {
    match result {
        Ok(madt) => {
            let cpus = madt.cpus();
            assert!((1..=MAX_CPUS).contains(&cpus.len()));
            assert_eq!(
                cpus[0],
                Cpu {
                    apic_id: boot,
                    bsp: true
                }
            );
            assert!(cpus[1..].iter().all(|c| !c.bsp && c.apic_id != 0xff));
            let mut ids: Vec<u8> = apic_ids(madt);
            ids.sort_unstable();
            ids.dedup();
            assert_eq!(ids.len(), cpus.len(), "duplicate APIC ids kept");
            assert!(madt.usable >= cpus.len());
            assert!(notes(madt).iter().all(|n| n.starts_with("ACPI: ")));
        }
        Err(e) => assert!(!e.to_string().is_empty()),
    }
}

/// One input: a machine, damaged (or not), probed through a counting reader, the RSDP named
/// or searched for.
fn one(rng: &mut Rng) -> (bool, u64) {
    let (mut mem, boot) = random_machine(rng);
    if !rng.one_in(8) {
        damage(rng, &mut mem);
    }
    let counting = Counting::new(&mem);
    let hint = if rng.one_in(4) { None } else { Some(RSDP_AT) };
    let result = probe(&counting, hint, boot);
    check(&result, boot);
    assert!(counting.bytes.get() <= BYTES_PER_PROBE, "unbounded reading");
    (result.is_ok(), counting.refused.get())
}

#[test]
fn fuzz_acpi_parser() {
    run("acpi", 3000, one);
}

#[test]
fn undamaged_random_machines_parse() {
    // The generator's machines without damage and without random entries are good ones.
    let mut rng = Rng::new(7);
    let mut parsed = 0;
    for _ in 0..200 {
        let (mem, boot) = random_machine(&mut rng);
        let result = probe(&mem, Some(RSDP_AT), boot);
        check(&result, boot);
        parsed += usize::from(result.is_ok());
    }
    assert!(parsed > 50, "only {parsed} of 200 parsed");
}
