//! ACPI's structures that the kernel reads, each described once as the ACPI specification
//! (version 6.5) lays it out, little-endian and packed: the Root System Description Pointer
//! (5.2.5.3), the header every System Description Table starts with (5.2.6), the MADT's fixed
//! part (5.2.12) and the MADT entries the kernel uses (5.2.12.2, .3, .5, .8 and .12).
//!
//! As with the MP table's structures (`mp_layout.rs`), `acpi.rs` copies a structure's bytes out
//! of firmware memory and [`FromBytes`] takes each field from its offset. Where the spec puts a
//! 4- or 8-byte field at an offset that is not a multiple of its size, the field is a byte
//! array here (`#[repr(C)]` would pad before it), decoded by a method.
#![deny(unsafe_code)]

use core::mem::{offset_of, size_of};

use crate::mp_layout::{FromBytes, layout};

/// The Root System Description Pointer (ACPI 5.2.5.3) as ACPI 1.0 defined it, 20 bytes that
/// `checksum` covers. From revision 2 on, an [`RsdpExtension`] follows.
#[repr(C)]
pub struct Rsdp {
    /// `RSD PTR `, with the trailing space.
    pub signature: [u8; 8],
    pub checksum: u8,
    pub oem_id: [u8; 6],
    /// 0 for ACPI 1.0; 2 for 2.0 and later.
    pub revision: u8,
    /// The RSDT's physical address (32 bits).
    pub rsdt: u32,
}

/// What revision 2 of the RSDP adds after its first 20 bytes (ACPI 5.2.5.3).
#[repr(C)]
pub struct RsdpExtension {
    /// The length of the whole RSDP, these 16 bytes included: 36.
    pub length: u32,
    /// The XSDT's physical address (64 bits), as two halves: a `u64` would align the struct
    /// to 8 and pad it.
    pub xsdt_low: u32,
    pub xsdt_high: u32,
    /// Makes all `length` bytes of the RSDP sum to zero.
    pub ext_checksum: u8,
    pub reserved: [u8; 3],
}

impl RsdpExtension {
    /// The XSDT's address (0 if there is none).
    pub fn xsdt(&self) -> u64 {
        u64::from(self.xsdt_high) << 32 | u64::from(self.xsdt_low)
    }
}

/// The header of every System Description Table (ACPI 5.2.6): the RSDT, the XSDT, the MADT and
/// the rest. `length` counts the header, and `checksum` makes all `length` bytes sum to zero.
#[repr(C)]
pub struct SdtHeader {
    /// `RSDT`, `XSDT`, `APIC` (the MADT), `FACP`, ...
    pub signature: [u8; 4],
    pub length: u32,
    pub revision: u8,
    pub checksum: u8,
    pub oem_id: [u8; 6],
    pub oem_table_id: [u8; 8],
    pub oem_revision: u32,
    pub creator_id: u32,
    pub creator_revision: u32,
}

/// The MADT's fixed part (ACPI 5.2.12): the header, then two fields; the
/// interrupt controller structures follow, up to `header.length`.
#[repr(C)]
pub struct MadtHeader {
    pub header: SdtHeader,
    /// The physical address of every CPU's local APIC (32 bits; entry type 5 may widen it).
    pub lapic: u32,
    /// Bit 0 (PCAT_COMPAT): the machine also has the two 8259 PICs, which must be masked.
    pub flags: u32,
}

/// The first two bytes of every MADT entry (ACPI 5.2.12): its type and its length.
#[repr(C)]
pub struct EntryHeader {
    pub entry_type: u8,
    pub length: u8,
}

/// The MADT entry types the kernel reads (ACPI 5.2.12); the others it skips by length.
pub const LOCAL_APIC: u8 = 0;
pub const IO_APIC: u8 = 1;
pub const SOURCE_OVERRIDE: u8 = 2;
pub const LAPIC_OVERRIDE: u8 = 5;
pub const LOCAL_X2APIC: u8 = 9;

/// A processor's local APIC (ACPI 5.2.12.2): type 0.
#[repr(C)]
pub struct LocalApic {
    pub entry_type: u8,
    pub length: u8,
    /// The processor's UID, which ACPI's namespace uses; not its APIC id.
    pub uid: u8,
    pub apic_id: u8,
    /// Bit 0: enabled; bit 1: online capable (ACPI 6.3 on; see [`CPU_ONLINE_CAPABLE`]).
    pub flags: u32,
}

/// A processor's flags (ACPI 5.2.12.2), for local APIC and local x2APIC entries alike:
/// the processor is usable now; or it is not, but can be brought online later (hot-plugged),
/// and the firmware says so to let the OS reserve room for it. A processor with neither flag
/// is not usable at all.
pub const CPU_ENABLED: u32 = 1 << 0;
pub const CPU_ONLINE_CAPABLE: u32 = 1 << 1;

/// An I/O APIC (ACPI 5.2.12.3): type 1.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[repr(C)]
pub struct IoApic {
    pub entry_type: u8,
    pub length: u8,
    pub id: u8,
    pub reserved: u8,
    /// The physical address of its registers.
    pub address: u32,
    /// The global system interrupt number of its first input pin.
    pub gsi_base: u32,
}

/// An interrupt source override (ACPI 5.2.12.5): type 2. An ISA IRQ that does not arrive at
/// the I/O APIC input of the same number (QEMU's timer, IRQ 0, arrives at GSI 2), or not as
/// ISA's edge-triggered, active-high signal.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[repr(C)]
pub struct SourceOverride {
    pub entry_type: u8,
    pub length: u8,
    /// 0: ISA.
    pub bus: u8,
    /// The bus-relative IRQ.
    pub source: u8,
    /// The global system interrupt it arrives at: a `u32` at offset 4 of a 10-byte entry,
    /// which `#[repr(C)]` would pad to 12.
    pub gsi: [u8; 4],
    /// Bits 1-0: polarity, bits 3-2: trigger mode (MPS INTI flags; 0 in each: as the bus).
    pub flags: [u8; 2],
}

impl SourceOverride {
    pub fn gsi(&self) -> u32 {
        u32::from_le_bytes(self.gsi)
    }

    pub fn flags(&self) -> u16 {
        u16::from_le_bytes(self.flags)
    }
}

/// A local APIC address override (ACPI 5.2.12.8): type 5, a 64-bit address that replaces the
/// MADT's 32-bit one.
#[repr(C)]
pub struct LapicOverride {
    pub entry_type: u8,
    pub length: u8,
    pub reserved: [u8; 2],
    /// At offset 4: a byte array, as `#[repr(C)]` would put a `u64` at 8.
    pub address: [u8; 8],
}

/// A processor's local x2APIC (ACPI 5.2.12.12): type 9, for APIC ids that do not fit a byte.
#[repr(C)]
pub struct LocalX2Apic {
    pub entry_type: u8,
    pub length: u8,
    pub reserved: [u8; 2],
    pub x2apic_id: u32,
    /// As [`LocalApic::flags`].
    pub flags: u32,
    pub uid: u32,
}

const _: () = {
    assert!(size_of::<Rsdp>() == 20);
    assert!(size_of::<RsdpExtension>() == 16);
    assert!(size_of::<SdtHeader>() == 36);
    assert!(size_of::<MadtHeader>() == 44);
    assert!(size_of::<EntryHeader>() == 2);
    assert!(size_of::<LocalApic>() == 8);
    assert!(size_of::<IoApic>() == 12);
    assert!(size_of::<SourceOverride>() == 10);
    assert!(size_of::<LapicOverride>() == 12);
    assert!(size_of::<LocalX2Apic>() == 16);
};

layout!(Rsdp => signature, checksum, oem_id, revision, rsdt);
layout!(RsdpExtension => length, xsdt_low, xsdt_high, ext_checksum, reserved);
layout!(SdtHeader => signature, length, revision, checksum, oem_id, oem_table_id, oem_revision,
    creator_id, creator_revision);
layout!(MadtHeader => header, lapic, flags);
layout!(EntryHeader => entry_type, length);
layout!(LocalApic => entry_type, length, uid, apic_id, flags);
layout!(IoApic => entry_type, length, id, reserved, address, gsi_base);
layout!(SourceOverride => entry_type, length, bus, source, gsi, flags);
layout!(LapicOverride => entry_type, length, reserved, address);
layout!(LocalX2Apic => entry_type, length, reserved, x2apic_id, flags, uid);
