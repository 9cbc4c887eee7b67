//! The kernel's address space: the kernel page tables, and new address spaces for user
//! environments that share them.
//!
//! The kernel half (see `addr.rs`) lives in exactly two PML4 slots: 256 (all of physical memory,
//! writable, never executable) and 511 (the kernel image: text read-only and executable, rodata
//! read-only, data and bss writable; later chapters add device and stack windows in this slot
//! too). Both slots' lower tables are created here, once, so every environment's PML4 can
//! simply copy the two top-level entries: the kernel half is shared at the top level only, and
//! an environment's own tables (slots 0-255) are never shared with anyone.

use spin::Once;

use crate::addr::{KERNEL_VMA, MMIO_BASE, MMIO_LIMIT, PAGE_SIZE, PHYSMAP_BASE, PhysAddr, VirtAddr};
use crate::addr::{KSTACK_GUARD, KSTACK_SIZE, KSTACK_TOP};
use crate::lockstat::LockReport;
use crate::pgtable::{self, Memory, NoMemory, Pte, PteFlags};
use crate::pmem::{self, KernelMemory};
use crate::spinlock::{Rank, SpinLock};

/// The PML4 slot of the page-table view: the one just below the kernel half.
const UVPT_SLOT: usize = 255;
const _: () = assert!(abi::layout::UVPT == (UVPT_SLOT as u64) << 39);

/// The PML4 slots that hold the kernel half.
const KERNEL_SLOTS: [usize; 2] = [256, 511];

/// The kernel's own PML4 (used while no environment runs).
static KERNEL_ROOT: Once<PhysAddr> = Once::new();

unsafe extern "C" {
    static __rodata_start: u8;
    static __data_start: u8;
    static __kernel_end: u8;
}

/// Builds the kernel page tables, mapping `[0, ram_end)` at the physical window and the image
/// with per-section permissions, and switches to them.
pub fn init(ram_end: u64) {
    // The text mapping starts at the image's first byte, so the (no longer used) boot code is
    // mapped too, read-only like all code.
    let image_start = (KERNEL_VMA + crate::boot::kernel_image().0.as_u64()) as *const u8;
    let sections = [
        (image_start, &raw const __rodata_start, PteFlags::empty()),
        (
            &raw const __rodata_start,
            &raw const __data_start,
            PteFlags::NO_EXECUTE,
        ),
        (
            &raw const __data_start,
            &raw const __kernel_end,
            PteFlags::WRITABLE | PteFlags::NO_EXECUTE,
        ),
    ];
    let root = pmem::with(|mem| -> Result<PhysAddr, NoMemory> {
        let root = mem.alloc_zeroed().ok_or(NoMemory)?;
        let window = PteFlags::WRITABLE | PteFlags::NO_EXECUTE;
        pgtable::map_region(
            mem,
            root,
            VirtAddr::new(PHYSMAP_BASE),
            PhysAddr::new(0),
            ram_end,
            window,
        )?;
        for (start, end, flags) in sections {
            let (start, end) = (start as u64, (end as u64).next_multiple_of(PAGE_SIZE));
            let pa = VirtAddr::new(start).kernel_image_to_phys();
            pgtable::map_region(mem, root, VirtAddr::new(start), pa, end - start, flags)?;
        }
        Ok(root)
    })
    .expect("vm: out of memory building the kernel page tables");
    for slot in KERNEL_SLOTS {
        assert!(
            pmem::with(|mem| mem.table(root).entries[slot].is_present()),
            "vm: kernel slot {slot} not created at boot"
        );
    }
    KERNEL_ROOT.call_once(|| root);
    switch_to(root);
}

/// The kernel's own page tables.
pub fn kernel_root() -> PhysAddr {
    *KERNEL_ROOT.get().expect("vm: used before init")
}

/// Makes `root` this CPU's address space.
pub fn switch_to(root: PhysAddr) {
    // SAFETY: every root the kernel creates maps the kernel half identically (KERNEL_SLOTS), so
    // the code, stack and data in use stay mapped across the switch.
    unsafe { x86::controlregs::cr3_write(root.as_u64()) };
}

/// A new address space: an empty user half and the shared kernel half.
pub fn new_address_space(mem: &mut KernelMemory) -> Result<PhysAddr, NoMemory> {
    let root = mem.alloc_zeroed().ok_or(NoMemory)?;
    let kernel = kernel_root();
    for slot in KERNEL_SLOTS {
        let entry = mem.table(kernel).entries[slot];
        mem.table(root).entries[slot] = entry;
    }
    // The read-only view of its own page tables (abi::layout::UVPT): the PML4 maps itself.
    // Without the writable bit, every table seen through it is read-only to user mode.
    let view = PteFlags::PRESENT | PteFlags::USER | PteFlags::NO_EXECUTE;
    mem.table(root).entries[UVPT_SLOT] = Pte::new(root, view);
    Ok(root)
}

/// Frees an address space made by [`new_address_space`]: every user page and table, then the
/// root. The caller must have switched away from it.
pub fn free_address_space(mem: &mut KernelMemory, root: PhysAddr) {
    // The self-reference is not a table of its own to free (and holds no reference).
    mem.table(root).entries[UVPT_SLOT] = Pte::EMPTY;
    pgtable::free_user_half(mem, root);
    mem.decref(root);
}
/// The next free address in the MMIO window.
static MMIO_NEXT: SpinLock<u64> = SpinLock::new("MMIO window", Rank::MmioWindow, MMIO_BASE);

/// Maps `size` bytes of device registers at `pa` into the MMIO window: kernel only, cache
/// disabled and write-through (a device register must see every access, in order, and never a
/// cached copy), never executable. Returns the virtual address of `pa`. The window lies in the
/// kernel's shared PML4 slot 511, so every address space sees the mapping at once.
pub fn map_mmio(pa: PhysAddr, size: u64) -> VirtAddr {
    let start = pa.as_u64() & !(PAGE_SIZE - 1);
    let end = (pa.as_u64() + size).next_multiple_of(PAGE_SIZE);
    let mut next = MMIO_NEXT.lock();
    let va = *next;
    assert!(
        va + (end - start) <= MMIO_LIMIT,
        "vm: MMIO window full mapping {pa:?}"
    );
    let flags =
        PteFlags::WRITABLE | PteFlags::NO_CACHE | PteFlags::WRITE_THROUGH | PteFlags::NO_EXECUTE;
    let root = kernel_root();
    pmem::with(|mem| {
        let window = VirtAddr::new(va);
        pgtable::map_region(mem, root, window, PhysAddr::new(start), end - start, flags)
    })
    .expect("vm: out of memory mapping device registers");
    *next = va + (end - start);
    VirtAddr::new(va + (pa.as_u64() - start))
}

/// The MMIO window lock's counts (`lockstat.rs`), for the end-of-run report.
pub fn mmio_lock_stats() -> LockReport {
    MMIO_NEXT.stats()
}

/// Maps the pages of `[pa, pa + size)` that are not mapped yet into the physical-memory
/// window, read-only and never executable: firmware memory beyond RAM's extent, such as the
/// ACPI tables (`pmem::read_firmware`, chapter 15). Only the page frames' addresses go into the
/// page tables: the frames are no RAM the allocator knows, and hold no reference count. The
/// window lies in the shared PML4 slot 256, so every address space sees the pages at once, and
/// a page that was not mapped is in no TLB.
pub fn map_firmware(pa: PhysAddr, size: u64) {
    let start = pa.as_u64() & !(PAGE_SIZE - 1);
    let end = (pa.as_u64() + size).next_multiple_of(PAGE_SIZE);
    let root = kernel_root();
    pmem::with(|mem| -> Result<(), NoMemory> {
        for page in (start..end).step_by(PAGE_SIZE as usize) {
            let (pa, va) = (PhysAddr::new(page), PhysAddr::new(page).to_virt());
            if pgtable::lookup(mem, root, va).is_none() {
                pgtable::map_region(mem, root, va, pa, PAGE_SIZE, PteFlags::NO_EXECUTE)?;
            }
        }
        Ok(())
    })
    .expect("vm: out of memory mapping firmware tables");
}

/// The flags of the kernel's own mapping of `va`, to check what a mapping really allows.
pub fn kernel_mapping(va: VirtAddr) -> Option<PteFlags> {
    let root = kernel_root();
    pmem::with(|mem| pgtable::lookup(mem, root, va)).map(|pte| pte.flags())
}

/// Maps kernel stack slot `slot` (fresh zeroed pages, writable, never executable) and returns
/// its top. The guard page below the stack stays unmapped. Slots never overlap the MMIO window
/// above them; `slot` is bounded by the caller (a few per CPU).
pub fn map_kernel_stack(slot: usize) -> VirtAddr {
    let top = kernel_stack_top(slot).as_u64();
    let bottom = top - KSTACK_SIZE;
    let root = kernel_root();
    let flags = PteFlags::WRITABLE | PteFlags::NO_EXECUTE;
    pmem::with(|mem| -> Result<(), NoMemory> {
        for va in (bottom..top).step_by(PAGE_SIZE as usize) {
            let frame = mem.alloc_zeroed().ok_or(NoMemory)?;
            // The mapping takes over the allocation's reference: the stack lives forever.
            pgtable::insert(mem, root, frame, VirtAddr::new(va), flags)?;
            mem.decref(frame);
        }
        Ok(())
    })
    .expect("vm: out of memory for a kernel stack");
    VirtAddr::new(top)
}

/// The top of kernel stack slot `slot`.
pub fn kernel_stack_top(slot: usize) -> VirtAddr {
    VirtAddr::new(KSTACK_TOP - slot as u64 * (KSTACK_SIZE + KSTACK_GUARD))
}

/// The stack slot whose guard page holds `va`, if `va` is in a guard page.
pub fn guard_page_slot(va: u64) -> Option<usize> {
    if va >= KSTACK_TOP {
        return None;
    }
    let slot = ((KSTACK_TOP - 1 - va) / (KSTACK_SIZE + KSTACK_GUARD)) as usize;
    // Within its slot, the guard is the lowest page, below the stack's bottom. Slots are two
    // per CPU: kernel stacks, then double-fault stacks.
    let in_guard = va < kernel_stack_top(slot).as_u64() - KSTACK_SIZE;
    (in_guard && slot < 2 * crate::cpu::MAX_CPUS).then_some(slot)
}
