// @file 1 hidden
//! Unit tests of the MP-table parser: the configuration table, from its header's checks to
//! its processor entries and the kernel's limits, on images from the builder in `mp_tests.rs`.

use super::*;
use crate::mp_result::MAX_INTERRUPTS;

#[test]
fn bad_table_signature() {
    let mut image = Image::qemu(&Table::with_cpus(&[0, 1]));
    image.put(TABLE, b"PCMQ");
    assert_fallback(&probe(&image), Error::Signature(TABLE));
}

#[test]
fn bad_table_checksum() {
    let mut image = Image::qemu(&Table::with_cpus(&[0, 1]));
    image.0[TABLE as usize + 44 + 1] = 7;
    let error = Error::Checksum(Structure::Table, TABLE);
    assert_fallback(&probe(&image), error);
    assert_eq!(
        notes(&probe(&image)),
        [
            "SMP: bad checksum in the MP configuration table at 0xf5aa0; running on the boot \
          CPU only"
        ]
    );
}

#[test]
fn versions_1_and_4_only() {
    let mut table = Table::with_cpus(&[0, 1]);
    table.version = 2;
    assert_fallback(&probe(&Image::qemu(&table)), Error::Version(2));
    table.version = 1;
    assert_eq!(apic_ids(&probe(&Image::qemu(&table))), [0, 1]);
}

#[test]
fn extended_table_checksum() {
    let mut table = Table::with_cpus(&[0, 1]);
    // A bus hierarchy descriptor (MP spec 4.4.2): type 129, length 8.
    table.extended = vec![129, 8, 1, 1, 0, 0, 0, 0];
    let mut image = Image::qemu(&table);
    assert_eq!(apic_ids(&probe(&image)), [0, 1]);
    let ext = TABLE + 44 + 40;
    image.0[ext as usize + 4] = 1;
    let error = Error::Checksum(Structure::ExtendedTable, ext);
    assert_fallback(&probe(&image), error);
}

#[test]
fn unknown_entry_type() {
    let table = Table::with_cpus(&[0, 1]).entry(&[5, 0, 0, 0, 0, 0, 0, 0]);
    let error = Error::UnknownEntry(5, 44 + 40);
    assert_fallback(&probe(&Image::qemu(&table)), error);
    // An extended entry type in the base table is unknown too.
    let table = Table::with_cpus(&[0]).entry(&[128, 20, 0, 0, 0, 0, 0, 0]);
    let error = Error::UnknownEntry(128, 44 + 20);
    assert_fallback(&probe(&Image::qemu(&table)), error);
}

#[test]
fn a_disabled_processor_is_skipped() {
    let table = Table::new().cpu(0, BP).cpu(1, EN).cpu(2, 0).cpu(3, EN);
    let smp = probe(&Image::qemu(&table));
    assert_eq!(apic_ids(&smp), [0, 1, 3]);
    assert_eq!(
        notes(&smp)[1..],
        ["SMP: 1 processor(s) disabled by the firmware, skipped"]
    );
}

// @{ 1..15
//- #[test]
//- fn more_processors_than_max_cpus() {
//-     let table = (0..11)
//-         .fold(Table::new(), |t, id| t.cpu(id, EN))
//-         .cpu(11, BP);
//-     let smp = probe(&Image::qemu(&table));
//-     assert_eq!(
//-         apic_ids(&smp),
//-         [11, 0, 1, 2, 3, 4, 5, 6],
//-         "the BSP first, then 7 APs"
//-     );
//-     assert_eq!(smp.cpus().len(), MAX_CPUS);
//-     assert_eq!(
//-         notes(&smp)[1..],
//-         ["SMP: 4 processor(s) beyond the kernel's limit of 8 CPUs, left disabled"]
//-     );
//- }
// @}
// @{ 15
#[test]
fn more_processors_than_max_cpus() {
    // MAX_CPUS + 3 processors, the BSP last.
    let n = MAX_CPUS as u8 + 3;
    let table = (0..n).fold(Table::new(), |t, id| t.cpu(id, EN)).cpu(n, BP);
    let smp = probe(&Image::qemu(&table));
    let expected: Vec<u8> = [n].into_iter().chain(0..MAX_CPUS as u8 - 1).collect();
    assert_eq!(
        apic_ids(&smp),
        expected,
        "the BSP first, then MAX_CPUS - 1 APs"
    );
    assert_eq!(
        notes(&smp)[1..],
        [format!(
            "SMP: 4 processor(s) beyond the kernel's limit of {MAX_CPUS} CPUs, left disabled"
        )]
    );
}
// @}

#[test]
fn zero_processors() {
    let table = Table::new().bus(0, b"ISA   ").ioapic(0, 0xfec0_0000);
    assert_fallback(&probe(&Image::qemu(&table)), Error::NoProcessors);
    assert_fallback(&probe(&Image::qemu(&Table::new())), Error::NoProcessors);
}

#[test]
fn exactly_one_bootstrap_processor() {
    let none = Table::new().cpu(0, EN).cpu(1, EN);
    assert_fallback(&probe(&Image::qemu(&none)), Error::BootProcessor);
    let two = Table::new().cpu(0, BP).cpu(1, BP);
    assert_fallback(&probe(&Image::qemu(&two)), Error::BootProcessor);
    // The bootstrap processor is kept even if the firmware forgot its EN flag.
    let unflagged = Table::new().cpu(0, CPU_BOOTSTRAP).cpu(1, EN);
    assert_eq!(apic_ids(&probe(&Image::qemu(&unflagged))), [0, 1]);
}

#[test]
fn duplicate_apic_ids() {
    let table = Table::with_cpus(&[0, 1, 1]);
    assert_fallback(&probe(&Image::qemu(&table)), Error::DuplicateApicId(1));
    let table = Table::new().cpu(2, EN).cpu(2, BP);
    assert_fallback(&probe(&Image::qemu(&table)), Error::DuplicateApicId(2));
}

#[test]
fn apic_ids_are_not_cpu_numbers() {
    let table = Table::new().cpu(2, EN).cpu(0, BP).cpu(4, EN).cpu(6, EN);
    let smp = probe(&Image::qemu(&table));
    assert_eq!(apic_ids(&smp), [0, 2, 4, 6]);
    assert_eq!(
        smp.cpus()[3],
        Cpu {
            apic_id: 6,
            bsp: false
        }
    );
    assert!(notes(&smp)[0].contains("APIC ids 0 (boot), 2, 4, 6;"));
}

#[test]
fn table_outside_readable_memory() {
    let mut image = Image::new(EBDA_SEGMENT, BASE_KIB);
    image.pointer(ROM_POINTER, 0x20_0000, 0);
    let error = Error::Unreadable(0x20_0000, 44);
    assert_fallback(&probe(&image), error);
    // The header fits below 1 MiB, the entries do not.
    let table = Table::with_cpus(&[0, 1]).bytes();
    let at = LOW_MEMORY_END - 48;
    image.pointer(ROM_POINTER, at as u32, 0);
    image.put(at, &table[..48]);
    let len = table.len();
    assert_fallback(&probe(&image), Error::Unreadable(at, len));
}

#[test]
fn inconsistent_lengths() {
    // Three entries counted, two present: the walk would leave the table.
    let mut table = Table::with_cpus(&[0, 1]);
    table.count = 3;
    assert_fallback(&probe(&Image::qemu(&table)), Error::Length(44 + 40));
    // A length shorter than the header.
    let mut bytes = Table::with_cpus(&[0]).bytes();
    bytes[4..6].copy_from_slice(&40u16.to_le_bytes());
    let mut image = Image::qemu(&Table::new());
    image.put(TABLE, &bytes);
    assert_fallback(&probe(&image), Error::Length(40));
}

#[test]
fn entries_beyond_the_lists_are_counted() {
    let table = (0..70).fold(Table::with_cpus(&[0]), |t, irq| {
        t.interrupt(IO_INTERRUPT, 0, 0, 0, irq, irq)
    });
    let smp = probe(&Image::qemu(&table));
    assert_eq!(smp.interrupts().len(), MAX_INTERRUPTS);
    assert_eq!(
        notes(&smp)[1..],
        ["SMP: 6 bus, I/O APIC or interrupt entries beyond the kernel's lists, ignored"]
    );
}

#[test]
fn damaged_tables_never_panic() {
    // Flip bytes of a good table at random, keep the checksums right, and probe.
    let good = Table::with_cpus(&[0, 1, 2])
        .bus(0, b"ISA   ")
        .ioapic(0, 0xfec0_0000)
        .interrupt(IO_INTERRUPT, 0, 0, 0, 0, 2)
        .bytes();
    let mut seed = 0x2545_f491_4f6c_dd1du64;
    let mut random = move || {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed
    };
    for _ in 0..5000 {
        let mut bytes = good.clone();
        for _ in 0..1 + random() % 4 {
            let at = (random() % bytes.len() as u64) as usize;
            bytes[at] = random() as u8;
        }
        fix_checksum(&mut bytes[..], 7);
        let mut image = Image::qemu(&Table::new());
        image.put(TABLE, &bytes);
        let smp = probe(&image);
        assert!((1..=MAX_CPUS).contains(&smp.cpus().len()));
        assert!(smp.cpus()[0].bsp);
        assert!(notes(&smp).iter().all(|n| n.starts_with("SMP: ")));
    }
}
