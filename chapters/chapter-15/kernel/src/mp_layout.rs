//! The MP spec's structures, each described once, exactly as the spec lays them out
//! (little-endian, no padding): the floating pointer (MP spec 4.1), the configuration table
//! header (4.2) and the base-table entries (4.3), with their sizes asserted at compile time.
//!
//! They are never overlaid on firmware memory: `mp.rs` copies a structure's bytes and
//! [`FromBytes`] takes each field from its `offset_of!`, so no pointer into firmware memory
//! exists, and a layout that disagreed with the spec would fail its size assertion.
#![deny(unsafe_code)]

use core::mem::{offset_of, size_of};

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

/// The base-table entry types (MP spec Table 4-3): an entry's first byte, which fixes its length.
pub const PROCESSOR: u8 = 0;
pub const BUS: u8 = 1;
pub const IO_APIC: u8 = 2;
pub const IO_INTERRUPT: u8 = 3;
pub const LOCAL_INTERRUPT: u8 = 4;

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

/// A processor's flags (MP spec 4.3.1): usable, and the bootstrap processor.
pub const CPU_ENABLED: u8 = 1 << 0;
pub const CPU_BOOTSTRAP: u8 = 1 << 1;

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

/// A value that `mp.rs` can copy out of physical memory: a spec structure or one of its fields,
/// decoded (little-endian) from exactly `size_of::<Self>()` bytes.
pub trait FromBytes {
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
        impl FromBytes for $type {
            fn from_bytes(bytes: &[u8]) -> Self {
                $type {
                    $($field: FromBytes::from_bytes(&bytes[offset_of!($type, $field)..]),)*
                }
            }
        }
    };
}
pub(crate) use layout;

layout!(FloatingPointer => signature, table, length, spec_rev, checksum, config_type, imcr, reserved);
layout!(TableHeader => signature, base_length, spec_rev, checksum, oem_id, product_id, oem_table,
    oem_table_size, entry_count, lapic, ext_length, ext_checksum, reserved);
layout!(Processor => entry_type, apic_id, apic_version, flags, signature, features, reserved);
layout!(Bus => entry_type, bus_id, bus_type);
layout!(IoApic => entry_type, id, version, flags, address);
layout!(Interrupt => entry_type, interrupt_type, flags, source_bus, source_irq, dest_apic, dest_pin);
