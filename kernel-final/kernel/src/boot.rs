//! The boot protocol: QEMU's PVH entry, the boot stack, and the boot information block.
//!
//! QEMU boots an ELF kernel through the Xen PVH ABI when the image carries the
//! `XEN_ELFNOTE_PHYS32_ENTRY` note (`boot.S`). It passes the physical address of an
//! `hvm_start_info` block (Xen's `arch-x86/hvm/start_info.h`), which holds the kernel command
//! line and the physical memory map. Those structures lie in RAM that the memory map itself
//! reports as usable, so [`BootInfo::read`] copies what the kernel needs into kernel memory
//! before the page allocator may hand those pages out.

use core::arch::global_asm;
use core::cell::UnsafeCell;

use crate::addr::{KERNEL_VMA, PHYSMAP_BASE, PhysAddr};
use crate::gdt;
use crate::memmap::{MAX_REGIONS, MemoryMap, Region, RegionKind};
use crate::pgtable::PteFlags;

/// The size of the boot CPU's stack.
pub const BOOT_STACK_SIZE: usize = 64 * 1024;

/// A kernel stack: memory that only the CPU running on it touches, through `%rsp`.
#[repr(C, align(4096))]
pub struct Stack(UnsafeCell<[u8; BOOT_STACK_SIZE]>);

// SAFETY: Rust code never reads or writes a `Stack` through a reference; the one CPU that runs
// on it uses it through its stack pointer only.
unsafe impl Sync for Stack {}

// @{ boot_stack
/// The boot CPU's stack, for `kmain`.
// @{ 0..4
//- ///
//- /// It is also the kernel stack for traps from user mode, until each CPU gets its own (chapter 4).
// @}
pub static BOOT_STACK: Stack = Stack(UnsafeCell::new([0; BOOT_STACK_SIZE]));
// @{ 0..4

//- impl Stack {
//-     /// The address just above the stack, where `%rsp` starts.
//-     pub fn top(&'static self) -> u64 {
//-         self.0.get() as u64 + BOOT_STACK_SIZE as u64
//-     }
//- }
// @}
// @} boot_stack

/// The PML4 slot (bits 47-39) of the address `va`, for the boot page tables.
const fn pml4_slot(va: u64) -> u64 {
    (va >> 39) & 511
}

/// The PDPT slot (bits 38-30) of the address `va`.
const fn pdpt_slot(va: u64) -> u64 {
    (va >> 30) & 511
}

global_asm!(
    include_str!("boot.S"),
    xen_elfnote_phys32_entry = const 18,
    huge_rw = const (PteFlags::PRESENT.union(PteFlags::WRITABLE).union(PteFlags::HUGE)).bits(),
    table_rw = const (PteFlags::PRESENT.union(PteFlags::WRITABLE)).bits(),
    physmap_pml4_slot = const pml4_slot(PHYSMAP_BASE),
    kernel_pml4_slot = const pml4_slot(KERNEL_VMA),
    kernel_pdpt_slot = const pdpt_slot(KERNEL_VMA),
    cr4_pae = const 1 << 5,
    msr_efer = const 0xc000_0080u32,
    efer_bits = const (1 << 8) | (1 << 11),  // long mode enable | no-execute enable
    cr0_bits = const (1u32 << 31) | (1 << 16) | 1,  // paging | write protect | protected mode
    boot_code_selector = const gdt::KERNEL_CS,
    boot_data_selector = const gdt::KERNEL_DS,
    boot_code_descriptor = const gdt::segment(true, 0),
    boot_data_descriptor = const gdt::segment(false, 0),
    boot_stack = sym BOOT_STACK,
    boot_stack_size = const BOOT_STACK_SIZE,
    boot_main = sym boot_main,
    options(att_syntax)
);

/// The `hvm_start_info` block, version 1 (Xen `start_info.h`).
#[repr(C)]
#[derive(Clone, Copy)]
struct HvmStartInfo {
    magic: u32,
    version: u32,
    flags: u32,
    nr_modules: u32,
    modlist_paddr: u64,
    cmdline_paddr: u64,
    rsdp_paddr: u64,
    memmap_paddr: u64,
    memmap_entries: u32,
    reserved: u32,
}
const _: () = assert!(size_of::<HvmStartInfo>() == 56);

/// One entry of the PVH memory map (E820 types).
#[repr(C)]
#[derive(Clone, Copy)]
struct HvmMemmapEntry {
    addr: u64,
    size: u64,
    kind: u32,
    reserved: u32,
}
const _: () = assert!(size_of::<HvmMemmapEntry>() == 24);

const HVM_START_MAGIC: u32 = 0x336e_c578;
const E820_RAM: u32 = 1;

/// The longest kernel command line kept.
pub const CMDLINE_MAX: usize = 256;

/// What the kernel keeps of the boot information, copied out of the loader's memory.
pub struct BootInfo {
    /// The physical memory map.
    pub memory: MemoryMap,
    cmdline: [u8; CMDLINE_MAX],
    cmdline_len: usize,
    rsdp: Option<PhysAddr>, // @15 boot_rsdp_field
}

impl BootInfo {
    /// Reads the `hvm_start_info` block at `pa` and everything it points to.
    ///
    /// Panics (with the reason) if the block is not a PVH start-info block: then the kernel was
    /// not booted the way `boot.S` expects, and nothing else can be trusted.
    ///
    /// # Safety
    /// `pa` must be the address QEMU passed in `%ebx`, and the boot page tables (which map
    /// physical memory at `PHYSMAP_BASE`) must be loaded.
    pub unsafe fn read(pa: u64) -> BootInfo {
        // SAFETY: the caller promises `pa` is the start-info block, inside mapped low memory.
        let info: HvmStartInfo = unsafe { read_phys(PhysAddr::new(pa)) };
        assert!(
            info.magic == HVM_START_MAGIC,
            "boot: not booted through PVH (bad magic)"
        );
        assert!(
            info.version >= 1,
            "boot: PVH start info without a memory map"
        );

        let mut boot = BootInfo {
            memory: MemoryMap::new(),
            cmdline: [0; CMDLINE_MAX],
            cmdline_len: 0,
            // @{ 15 boot_rsdp
            // The ACPI RSDP, which the PVH loader found for us (0: it did not).
            rsdp: (info.rsdp_paddr != 0).then(|| PhysAddr::new(info.rsdp_paddr)),
            // @}
        };
        // The loader's own structures must survive until they are copied, and the allocator
        // must never hand them out to anyone else: reserve them.
        boot.memory
            .reserve(pa, pa + size_of::<HvmStartInfo>() as u64);
        let map_bytes = info.memmap_entries as u64 * size_of::<HvmMemmapEntry>() as u64;
        boot.memory
            .reserve(info.memmap_paddr, info.memmap_paddr + map_bytes);

        for i in 0..(info.memmap_entries as usize).min(MAX_REGIONS) {
            let at = PhysAddr::new(info.memmap_paddr + (i * size_of::<HvmMemmapEntry>()) as u64);
            // SAFETY: the entry lies inside the memory map the loader described.
            let e: HvmMemmapEntry = unsafe { read_phys(at) };
            let kind = if e.kind == E820_RAM {
                RegionKind::Usable
            } else {
                RegionKind::Reserved
            };
            boot.memory.add(Region {
                start: e.addr,
                end: e.addr.saturating_add(e.size),
                kind,
            });
        }

        if info.cmdline_paddr != 0 {
            let mut n = 0;
            while n < CMDLINE_MAX {
                // SAFETY: the command line is a NUL-terminated string at `cmdline_paddr`; we stop
                // at its NUL.
                let c: u8 = unsafe { read_phys(PhysAddr::new(info.cmdline_paddr + n as u64)) };
                if c == 0 {
                    break;
                }
                boot.cmdline[n] = c;
                n += 1;
            }
            boot.cmdline_len = n;
            boot.memory
                .reserve(info.cmdline_paddr, info.cmdline_paddr + n as u64 + 1);
        }
        boot
    }

    /// The kernel command line (`-append`), as given.
    pub fn cmdline(&self) -> &[u8] {
        &self.cmdline[..self.cmdline_len]
    }
    // @{ 15 boot_rsdp_get

    /// The physical address of the ACPI RSDP, if the loader passed one.
    pub fn rsdp(&self) -> Option<PhysAddr> {
        self.rsdp
    }
    // @}
}

/// Reads a `T` at physical address `pa` through the physical-memory window.
///
/// # Safety
/// A valid `T` must be at `pa`, inside memory the current page tables map.
unsafe fn read_phys<T: Copy>(pa: PhysAddr) -> T {
    // SAFETY: the caller guarantees a valid T is there; `read_unaligned` needs no alignment.
    unsafe { pa.to_virt().as_ptr::<T>().read_unaligned() }
}

// @{ boot_main
/// The first Rust code to run: called by `boot.S` on the boot stack.
extern "C" fn boot_main(start_info: u64) -> ! {
    crate::console::init();
    // SAFETY: boot.S passes the %ebx value from QEMU and has loaded the boot page tables.
    let info = unsafe { BootInfo::read(start_info) };
    crate::kmain(info)
}
// @} boot_main

/// The physical extent of the kernel image, from the linker script's symbols.
pub fn kernel_image() -> (PhysAddr, PhysAddr) {
    unsafe extern "C" {
        static __kernel_phys_start: u8;
        static __kernel_end: u8;
    }
    let start = &raw const __kernel_phys_start as u64;
    let end = &raw const __kernel_end as u64;
    (PhysAddr::new(start), PhysAddr::new(end - KERNEL_VMA))
}
