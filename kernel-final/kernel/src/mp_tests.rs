// @file 1 hidden
//! Unit tests of the MP-table parser (compiled on the host only, through host-tests): the
//! builder of synthetic low-memory images that every MP test uses, and the tests of the search
//! for the floating pointer. The tests of the configuration table are in `mp_tests_table.rs`.

use super::*;
use crate::mp_result::DEFAULT_LAPIC;

// A child module, so that it shares the builder; the path is relative to this directory.
#[path = "mp_tests_table.rs"]
mod table;
// @{ 15 hidden
#[path = "mp_fuzz.rs"]
mod fuzz;
// @}

/// The EBDA as SeaBIOS places it (segment 0x9fc0), and QEMU's 639 KiB of base memory.
const EBDA_SEGMENT: u16 = 0x9fc0;
const EBDA: u64 = 0x9_fc00;
const BASE_KIB: u16 = 639;
/// Where the pointer and the table go in the BIOS ROM, as in SeaBIOS.
const ROM_POINTER: u64 = 0xf_5a90;
const TABLE: u64 = 0xf_5aa0;

/// A synthetic first MiB of physical memory; anything above is unreadable.
struct Image(Vec<u8>);

impl PhysMem for Image {
    fn read(&self, pa: u64, buf: &mut [u8]) -> bool {
        let start = pa as usize;
        match start
            .checked_add(buf.len())
            .and_then(|end| self.0.get(start..end))
        {
            Some(src) => {
                buf.copy_from_slice(src);
                true
            }
            None => false,
        }
    }
}

/// Sets `bytes[at]` so that `bytes` sums to zero.
fn fix_checksum(bytes: &mut [u8], at: usize) {
    bytes[at] = 0;
    let sum = bytes.iter().fold(0u8, |s, &b| s.wrapping_add(b));
    bytes[at] = sum.wrapping_neg();
}

impl Image {
    /// Low memory whose BIOS data area names an EBDA segment (0: none) and the base memory
    /// size in KiB.
    fn new(ebda_segment: u16, base_kib: u16) -> Image {
        let mut image = Image(vec![0; LOW_MEMORY_END as usize]);
        image.put(BDA_EBDA_SEGMENT, &ebda_segment.to_le_bytes());
        image.put(BDA_BASE_MEMORY_KIB, &base_kib.to_le_bytes());
        image
    }

    fn put(&mut self, at: u64, bytes: &[u8]) {
        self.0[at as usize..at as usize + bytes.len()].copy_from_slice(bytes);
    }

    /// A floating pointer at `at` naming the table at `table` and configuration type
    /// `config_type`, with a correct checksum.
    fn pointer(&mut self, at: u64, table: u32, config_type: u8) {
        let mut fp = [0u8; 16];
        fp[..4].copy_from_slice(b"_MP_");
        fp[4..8].copy_from_slice(&table.to_le_bytes());
        fp[8] = 1;
        fp[9] = 4;
        fp[11] = config_type;
        fix_checksum(&mut fp, 10);
        self.put(at, &fp);
    }

    /// QEMU's layout: the BDA names the EBDA, the pointer and `table` are in the ROM.
    fn qemu(table: &Table) -> Image {
        let mut image = Image::new(EBDA_SEGMENT, BASE_KIB);
        image.pointer(ROM_POINTER, TABLE as u32, 0);
        image.put(TABLE, &table.bytes());
        image
    }
}

/// Processor flags.
const EN: u8 = CPU_ENABLED;
const BP: u8 = CPU_BOOTSTRAP | CPU_ENABLED;

/// A configuration table under construction.
#[derive(Clone)]
struct Table {
    version: u8,
    entries: Vec<u8>,
    count: u16,
    extended: Vec<u8>,
}

impl Table {
    fn new() -> Table {
        Table {
            version: 4,
            entries: Vec::new(),
            count: 0,
            extended: Vec::new(),
        }
    }

    /// A table with processors of these APIC ids, the first the bootstrap processor.
    fn with_cpus(ids: &[u8]) -> Table {
        ids.iter().enumerate().fold(Table::new(), |t, (i, &id)| {
            t.cpu(id, if i == 0 { BP } else { EN })
        })
    }

    fn entry(mut self, bytes: &[u8]) -> Table {
        self.entries.extend_from_slice(bytes);
        self.count += 1;
        self
    }

    fn cpu(self, apic_id: u8, flags: u8) -> Table {
        let mut e = [0u8; 20];
        e[..4].copy_from_slice(&[PROCESSOR, apic_id, 0x14, flags]);
        self.entry(&e)
    }

    fn bus(self, id: u8, name: &[u8; 6]) -> Table {
        let mut e = [BUS, id, 0, 0, 0, 0, 0, 0];
        e[2..].copy_from_slice(name);
        self.entry(&e)
    }

    fn ioapic(self, id: u8, addr: u32) -> Table {
        let mut e = [IO_APIC, id, 0x11, 1, 0, 0, 0, 0];
        e[4..].copy_from_slice(&addr.to_le_bytes());
        self.entry(&e)
    }

    fn interrupt(self, entry_type: u8, kind: u8, flags: u16, bus: u8, irq: u8, pin: u8) -> Table {
        let [f0, f1] = flags.to_le_bytes();
        let dest = if entry_type == IO_INTERRUPT { 0 } else { 0xff };
        self.entry(&[entry_type, kind, f0, f1, bus, irq, dest, pin])
    }

    /// The table's bytes: header, entries, extended table, checksums filled in.
    fn bytes(&self) -> Vec<u8> {
        let len = (44 + self.entries.len()) as u16;
        let mut t = vec![0u8; 44];
        t[..4].copy_from_slice(b"PCMP");
        t[4..6].copy_from_slice(&len.to_le_bytes());
        t[6] = self.version;
        t[8..16].copy_from_slice(b"BOCHSCPU");
        t[16..28].copy_from_slice(b"0.1         ");
        t[34..36].copy_from_slice(&self.count.to_le_bytes());
        t[36..40].copy_from_slice(&0xfee0_0000u32.to_le_bytes());
        t[40..42].copy_from_slice(&(self.extended.len() as u16).to_le_bytes());
        let ext_sum = self.extended.iter().fold(0u8, |s, &b| s.wrapping_add(b));
        t[42] = ext_sum.wrapping_neg();
        t.extend_from_slice(&self.entries);
        fix_checksum(&mut t, 7);
        t.extend_from_slice(&self.extended);
        t
    }
}

fn apic_ids(smp: &Smp) -> Vec<u8> {
    smp.cpus().iter().map(|c| c.apic_id).collect()
}

fn notes(smp: &Smp) -> Vec<String> {
    smp.notes().map(|n| format!("SMP: {n}")).collect()
}

/// The result of a failed probe: the boot CPU alone, and `error` as the only note.
fn assert_fallback(smp: &Smp, error: Error) {
    assert_eq!(smp.error(), Some(error));
    assert_eq!(
        smp.cpus(),
        [Cpu {
            apic_id: 0,
            bsp: true
        }]
    );
    assert_eq!(smp.lapic(), DEFAULT_LAPIC);
    assert_eq!(
        notes(smp),
        [format!("SMP: {error}; running on the boot CPU only")]
    );
}

#[test]
fn qemu_like_table() {
    let table = Table::with_cpus(&[0, 1, 2, 3])
        .bus(0, b"PCI   ")
        .bus(1, b"ISA   ")
        .ioapic(0, 0xfec0_0000)
        .interrupt(IO_INTERRUPT, 0, 0, 1, 0, 2)
        .interrupt(IO_INTERRUPT, 0, 0b1111, 0, 3 << 2, 11)
        .interrupt(LOCAL_INTERRUPT, 3, 0, 1, 0, 0)
        .interrupt(LOCAL_INTERRUPT, 1, 0, 1, 0, 1);
    let smp = probe(&Image::qemu(&table));
    assert_eq!(smp.error(), None);
    assert_eq!(apic_ids(&smp), [0, 1, 2, 3]);
    assert!(smp.cpus()[0].bsp && !smp.cpus()[1..].iter().any(|c| c.bsp));
    assert_eq!(smp.lapic(), PhysAddr::new(0xfee0_0000));
    assert!(!smp.imcr_present());
    let buses: Vec<_> = smp.buses().iter().map(|b| (b.bus_id, b.bus_type)).collect();
    assert_eq!(buses, [(0, *b"PCI   "), (1, *b"ISA   ")]);
    let ioapic = IoApic {
        entry_type: IO_APIC,
        id: 0,
        version: 0x11,
        flags: 1,
        address: 0xfec0_0000,
    };
    assert_eq!(smp.ioapics(), [ioapic]);
    let timer = Interrupt {
        entry_type: IO_INTERRUPT,
        interrupt_type: 0,
        flags: 0,
        source_bus: 1,
        source_irq: 0,
        dest_apic: 0,
        dest_pin: 2,
    };
    assert_eq!(smp.interrupts()[0], timer, "ISA IRQ 0 arrives at pin 2");
    assert_eq!(
        smp.interrupts()[1].flags,
        0b1111,
        "active low, level-triggered"
    );
    let nmi = smp.interrupts()[3];
    assert_eq!((nmi.entry_type, nmi.interrupt_type), (LOCAL_INTERRUPT, 1));
    assert_eq!(
        (nmi.dest_apic, nmi.dest_pin),
        (0xff, 1),
        "every CPU's LINT1"
    );
    assert_eq!(
        notes(&smp),
        [
            "SMP: MP 1.4 table at 0xf5aa0: APIC ids 0 (boot), 1, 2, 3; local APIC at \
          0xfee00000; 1 I/O APIC(s), 2 bus(es), 4 interrupt assignment(s)"
        ]
    );
}

#[test]
fn found_in_the_first_kib_of_the_ebda() {
    let mut image = Image::new(0x9000, BASE_KIB);
    image.pointer(0x9_03f0, 0x9_1000, 0);
    image.put(0x9_1000, &Table::with_cpus(&[0, 1]).bytes());
    assert_eq!(apic_ids(&probe(&image)), [0, 1]);
    // Past the first KiB of the EBDA is not searched.
    let mut image = Image::new(0x9000, BASE_KIB);
    image.pointer(0x9_0400, 0x9_1000, 0);
    image.put(0x9_1000, &Table::with_cpus(&[0, 1]).bytes());
    assert_fallback(&probe(&image), Error::NoFloatingPointer);
}

#[test]
fn found_in_the_last_kib_of_base_memory_when_there_is_no_ebda() {
    let mut image = Image::new(0, 512);
    image.pointer(0x7_fc00, 0x7_0000, 0);
    image.put(0x7_0000, &Table::with_cpus(&[0, 1, 2]).bytes());
    assert_eq!(apic_ids(&probe(&image)), [0, 1, 2]);
    // With an EBDA elsewhere, the last KiB of base memory is not searched.
    let mut image = Image::new(0x9000, 512);
    image.pointer(0x7_fc00, 0x7_0000, 0);
    image.put(0x7_0000, &Table::with_cpus(&[0, 1, 2]).bytes());
    assert_fallback(&probe(&image), Error::NoFloatingPointer);
}

#[test]
fn found_in_the_bios_rom() {
    for at in [0xf_0000, ROM_POINTER, 0xf_fff0] {
        let mut image = Image::new(EBDA_SEGMENT, BASE_KIB);
        image.pointer(at, 0xe_0000, 0);
        image.put(0xe_0000, &Table::with_cpus(&[0, 1, 2, 3]).bytes());
        assert_eq!(apic_ids(&probe(&image)), [0, 1, 2, 3], "pointer at {at:#x}");
    }
}

#[test]
fn only_16_byte_boundaries_count() {
    let mut image = Image::new(EBDA_SEGMENT, BASE_KIB);
    image.pointer(ROM_POINTER + 4, TABLE as u32, 0);
    image.put(TABLE, &Table::with_cpus(&[0, 1]).bytes());
    assert_fallback(&probe(&image), Error::NoFloatingPointer);
}

#[test]
fn the_ebda_is_searched_before_the_rom() {
    let mut image = Image::qemu(&Table::with_cpus(&[0, 1, 2, 3]));
    image.pointer(EBDA + 0x20, 0x9_0000, 0);
    image.put(0x9_0000, &Table::with_cpus(&[0, 1]).bytes());
    assert_eq!(apic_ids(&probe(&image)), [0, 1]);
}

#[test]
fn garbage_in_the_bios_data_area_is_skipped() {
    // An EBDA segment pointing into the interrupt table or beyond 640 KiB is ignored, and the
    // last KiB of base memory is searched instead.
    for segment in [0x0010, 0xa000, 0xffff] {
        let mut image = Image::new(segment, 512);
        image.pointer(0x7_fff0, 0x7_0000, 0);
        image.put(0x7_0000, &Table::with_cpus(&[0, 1]).bytes());
        assert_eq!(apic_ids(&probe(&image)), [0, 1], "segment {segment:#x}");
    }
    // A garbage base memory size as well: only the ROM is searched.
    for kib in [0, 1, 641, 0xffff] {
        let mut image = Image::qemu(&Table::with_cpus(&[0, 1, 2]));
        image.put(BDA_EBDA_SEGMENT, &0xffffu16.to_le_bytes());
        image.put(BDA_BASE_MEMORY_KIB, &u16::to_le_bytes(kib));
        assert_eq!(apic_ids(&probe(&image)), [0, 1, 2], "base memory {kib} KiB");
    }
}

#[test]
fn a_pointer_with_a_bad_checksum_is_skipped() {
    let mut image = Image::qemu(&Table::with_cpus(&[0, 1, 2, 3]));
    image.pointer(EBDA, 0x9_0000, 0);
    image.put(0x9_0000, &Table::with_cpus(&[0, 1]).bytes());
    image.0[EBDA as usize + 10] ^= 1;
    assert_eq!(apic_ids(&probe(&image)), [0, 1, 2, 3], "the ROM's pointer");
    // With only damaged pointers, the first is reported.
    image.0[ROM_POINTER as usize + 10] ^= 1;
    let error = Error::Checksum(Structure::FloatingPointer, EBDA);
    assert_fallback(&probe(&image), error);
}

#[test]
fn no_pointer_at_all() {
    let smp = probe(&Image::new(EBDA_SEGMENT, BASE_KIB));
    assert_fallback(&smp, Error::NoFloatingPointer);
    assert_eq!(
        notes(&smp),
        [
            "SMP: no MP floating pointer in the EBDA, base memory or BIOS ROM; running on the \
          boot CPU only"
        ]
    );
    // Memory that cannot be read at all.
    assert_fallback(
        &probe(&|_: u64, _: &mut [u8]| false),
        Error::NoFloatingPointer,
    );
}

#[test]
fn default_configurations() {
    for n in 1..=7 {
        let mut image = Image::new(EBDA_SEGMENT, BASE_KIB);
        image.pointer(ROM_POINTER, 0, n);
        assert_fallback(&probe(&image), Error::DefaultConfiguration(n));
    }
    assert_eq!(
        Error::DefaultConfiguration(5).to_string(),
        "MP default configuration 5 (two CPUs, no table; MP spec ch. 5) is not supported"
    );
    let mut image = Image::new(EBDA_SEGMENT, BASE_KIB);
    image.pointer(ROM_POINTER, 0, 0);
    assert_fallback(&probe(&image), Error::NoTable);
}
