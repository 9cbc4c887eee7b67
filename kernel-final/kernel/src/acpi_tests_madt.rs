// @file 15 hidden
//! Unit tests of the ACPI parser: the MADT, from its checks to its entries and the kernel's
//! limits, on machines from the builder in `acpi_tests.rs`.

use super::*;

/// The result of probing a machine with `madt`.
fn probe_madt(madt: &MadtTable) -> Result<Madt, Error> {
    probe_at(&machine(madt))
}

#[test]
fn bad_madt_checksum() {
    let mut mem = machine(&MadtTable::qemu(2));
    mem.0[3].1[50] ^= 0x40;
    let error = probe_at(&mem).unwrap_err();
    assert_eq!(error, Error::Checksum(Table::Madt, MADT_AT));
    assert_eq!(
        error.to_string(),
        "bad checksum in the ACPI MADT at 0x7fe1c00"
    );
}

#[test]
fn truncated_madt() {
    // The table says it is longer than the memory that holds it.
    let mut mem = machine(&MadtTable::qemu(2));
    let bytes = &mut mem.0[3].1;
    let len = bytes.len();
    bytes.truncate(len - 10);
    assert_eq!(probe_at(&mem).unwrap_err(), Error::Unreadable(MADT_AT, len));
    // A length that holds the SDT header but not the MADT's two fields.
    let mut short = sdt(b"APIC", &[0; 4]);
    short[4] = 40;
    fix_checksum(&mut short, 9);
    mem.put(MADT_AT, &short);
    assert_eq!(
        probe_at(&mem).unwrap_err(),
        Error::Length(Table::Madt, MADT_AT, 40)
    );
}

#[test]
fn entry_lengths_are_checked() {
    // An entry that runs past the table's end.
    let madt = MadtTable::with_cpus(&[0, 1]).entry(&[LOCAL_APIC, 8, 2, 2]);
    assert_eq!(
        probe_madt(&madt).unwrap_err(),
        Error::Entry(LOCAL_APIC, 44 + 16)
    );
    // A length of 0 or 1 would never move on.
    for len in [0, 1] {
        let madt = MadtTable::with_cpus(&[0]).entry(&[7, len, 0, 0]);
        assert_eq!(probe_madt(&madt).unwrap_err(), Error::Entry(7, 44 + 8));
    }
    // A known type shorter than its structure.
    let madt = MadtTable::with_cpus(&[0]).entry(&[IO_APIC, 8, 0, 0, 0, 0, 0xc0, 0xfe]);
    assert_eq!(
        probe_madt(&madt).unwrap_err(),
        Error::Entry(IO_APIC, 44 + 8)
    );
    // A longer one is fine (a later revision may add fields), and so is an unknown type.
    let madt = MadtTable::with_cpus(&[0])
        .entry(&[LOCAL_APIC, 10, 1, 1, 1, 0, 0, 0, 0xaa, 0xbb])
        .entry(&[0x7f, 4, 0, 0]);
    assert_eq!(apic_ids(&probe_madt(&madt).unwrap()), [0, 1]);
}

#[test]
fn zero_cpus() {
    let madt = MadtTable::new().ioapic(0, 0xfec0_0000, 0);
    assert_eq!(probe_madt(&madt).unwrap_err(), Error::NoProcessors);
    let disabled = MadtTable::new().cpu(0, 1, 0).cpu(1, 2, ONLINE_CAPABLE);
    assert_eq!(probe_madt(&disabled).unwrap_err(), Error::NoProcessors);
}

#[test]
fn the_boot_cpu_must_be_listed_and_goes_first() {
    let madt = MadtTable::with_cpus(&[1, 2, 3]);
    let error = probe_madt(&madt).unwrap_err();
    assert_eq!(error, Error::BootCpuMissing(BOOT));
    assert_eq!(
        error.to_string(),
        "the MADT does not list the boot CPU (APIC id 0)"
    );
    let madt = probe(
        &machine(&MadtTable::with_cpus(&[4, 2, 6, 0])),
        Some(RSDP_AT),
        6,
    );
    assert_eq!(apic_ids(&madt.unwrap()), [6, 4, 2, 0]);
    // The boot CPU counts whatever its flags say.
    let madt = MadtTable::new().cpu(0, BOOT, 0).cpu(1, 1, ENABLED);
    assert_eq!(apic_ids(&probe_madt(&madt).unwrap()), [0, 1]);
}

#[test]
fn duplicate_apic_ids() {
    let madt = MadtTable::with_cpus(&[0, 1, 2, 1]);
    let error = probe_madt(&madt).unwrap_err();
    assert_eq!(error, Error::DuplicateApicId(1));
    assert_eq!(error.to_string(), "the MADT lists APIC id 1 twice");
    let madt = MadtTable::with_cpus(&[0, 1]).x2apic(0, ENABLED);
    assert_eq!(probe_madt(&madt).unwrap_err(), Error::DuplicateApicId(0));
}

#[test]
fn disabled_and_online_capable_processors() {
    let madt = MadtTable::new()
        .cpu(0, 0, ENABLED)
        .cpu(1, 1, 0)
        .cpu(2, 2, ONLINE_CAPABLE)
        .cpu(3, 3, ENABLED | ONLINE_CAPABLE)
        .cpu(4, 4, ONLINE_CAPABLE);
    let madt = probe_madt(&madt).unwrap();
    assert_eq!(apic_ids(&madt), [0, 3]);
    assert_eq!(
        notes(&madt)[1..],
        [
            "ACPI: MADT lists 2 CPUs (APIC ids 0 3), local APIC at 0xfee00000, 8259 PICs present",
            "ACPI: 1 processor(s) disabled by the firmware, skipped",
            "ACPI: 2 processor(s) absent but online capable (hot-plug), skipped",
        ]
    );
}

#[test]
fn x2apic_entries() {
    // QEMU lists CPUs with ids above 254 as x2APIC entries; an x2APIC entry with a small id
    // is a CPU like any other.
    let madt = MadtTable::with_cpus(&[0, 1])
        .x2apic(2, ENABLED)
        .x2apic(255, ENABLED)
        .x2apic(300, ENABLED)
        .x2apic(301, 0)
        .x2apic(302, ONLINE_CAPABLE);
    let madt = probe_madt(&madt).unwrap();
    assert_eq!(apic_ids(&madt), [0, 1, 2]);
    assert_eq!(
        notes(&madt)[1..],
        [
            "ACPI: MADT lists 5 CPUs (APIC ids 0 1 2), local APIC at 0xfee00000, 8259 PICs present",
            "ACPI: 1 processor(s) disabled by the firmware, skipped",
            "ACPI: 1 processor(s) absent but online capable (hot-plug), skipped",
            "ACPI: 2 CPU(s) with x2APIC ids above 254, which the xAPIC cannot address, left off",
        ]
    );
}

#[test]
fn override_entries() {
    let madt = MadtTable::with_cpus(&[0])
        .source_override(0, 2, 0)
        .source_override(9, 20, 0xf)
        .lapic_override(0x1_fee0_0000);
    let madt = probe_madt(&madt).unwrap();
    assert_eq!(madt.lapic(), PhysAddr::new(0x1_fee0_0000), "type 5 wins");
    let o = madt.overrides.as_slice()[1];
    assert_eq!((o.bus, o.source, o.gsi(), o.flags()), (0, 9, 20, 0xf));
    assert_eq!(
        notes(&madt)[2..],
        [
            "ACPI: bus 0 IRQ 0 arrives at GSI 2",
            "ACPI: bus 0 IRQ 9 arrives at GSI 20, active low, level-triggered",
        ]
    );
    assert!(notes(&madt)[1].contains("local APIC at 0x1fee00000"));
    // An address no x86_64 CPU has.
    let wide = MadtTable::with_cpus(&[0]).lapic_override(1 << 52);
    assert_eq!(probe_madt(&wide).unwrap_err(), Error::Address(1 << 52));
    // Without PCAT_COMPAT there are no 8259s to mention.
    let mut table = MadtTable::with_cpus(&[0]);
    table.flags = 0;
    assert!(notes(&probe_madt(&table).unwrap())[1].ends_with("at 0xfee00000"));
}

#[test]
fn more_cpus_than_max_cpus() {
    // 40 CPUs, the boot CPU (APIC id 0) among the last.
    let ids: Vec<u8> = (1..40).chain([0]).collect();
    let madt = probe_madt(&MadtTable::with_cpus(&ids)).unwrap();
    assert_eq!(madt.cpus().len(), MAX_CPUS);
    let expected: Vec<u8> = [0].into_iter().chain(1..MAX_CPUS as u8).collect();
    assert_eq!(apic_ids(&madt), expected);
    assert_eq!(
        notes(&madt)[2..],
        [format!(
            "ACPI: {} CPU(s) beyond the kernel's limit of {MAX_CPUS} CPUs, left off",
            40 - MAX_CPUS
        )]
    );
    assert!(notes(&madt)[1].starts_with("ACPI: MADT lists 40 CPUs (APIC ids 0 1 2 "));
}

#[test]
fn apic_ids_need_not_be_contiguous() {
    // `-smp 8,sockets=2,cores=4` with QEMU's APIC id layout: socket 1 starts at 4, and with
    // 3 cores per socket the ids jump (0 1 2 4 5 6).
    let madt = probe_madt(&MadtTable::with_cpus(&[0, 1, 2, 4, 5, 6])).unwrap();
    assert_eq!(apic_ids(&madt), [0, 1, 2, 4, 5, 6]);
}
