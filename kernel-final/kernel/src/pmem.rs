//! Physical memory at run time: the kernel's one frame table, and the [`Memory`] view of it
//! through the physical-memory window that the page-table code uses.
//!
//! Boot order (`init`): reserve what must never be handed out, place the page-info array (one
//! [`PageInfo`] per physical page) in free memory just after the kernel image, and put every
//! remaining usable page on the free list.

use core::mem::size_of;

// @{ 7 hidden
//- use core::sync::atomic::{AtomicUsize, Ordering}; // @7..15
use core::sync::atomic::{AtomicU64, AtomicUsize, Ordering}; // @15

// @}
// @{ 0..5 hidden
//- use spin::Mutex;
//-
// @}
use crate::addr::{PAGE_SIZE, PhysAddr, VirtAddr};
use crate::frame::{FrameTable, PageInfo};
use crate::lockstat::LockReport; // @13 hidden
use crate::memmap::MemoryMap;
use crate::pgtable::{Memory, PageTable};
use crate::spinlock::{Rank, SpinLock}; // @5 hidden
// @{ 7 hidden
use crate::println;
// @}

/// Low memory the kernel keeps: the real-mode interrupt table, BIOS data, the EBDA, the VGA
/// and ROM area, and room for the application processors' start-up code (chapter 3).
const LOW_MEMORY_END: u64 = 0x10_0000;

/// How much physical memory the boot page tables map (boot.S): the page-info array must lie
/// below this, since it is written before the kernel page tables exist.
const BOOT_MAPPED: u64 = 1 << 30;

/// The frame table. Every change to any page table or frame count happens with this lock held.
//- static FRAMES: Mutex<Option<FrameTable<'static>>> = Mutex::new(None); // @0..5
// @{ 5 frames_lock
static FRAMES: SpinLock<Option<FrameTable<'static>>> =
    SpinLock::new("frame table", Rank::Frames, None);
// @}
// @{ 13 frames_lock_stats

/// The frame lock's counts (`lockstat.rs`), for the end-of-run report.
pub fn lock_stats() -> LockReport {
    FRAMES.stats()
}
// @}

// @{ 1 read_low_memory
/// Copies the physical memory at `[pa, pa + buf.len())` into `buf`, if all of it lies below
/// 1 MiB (the MP-table parser's reader, chapter 1). Refuses anything else.
pub fn read_low_memory(pa: u64, buf: &mut [u8]) -> bool {
    let end = pa.checked_add(buf.len() as u64);
    if end.is_none_or(|end| end > LOW_MEMORY_END) {
        return false;
    }
    // @{ 1..15
    //- let src = PhysAddr::new(pa).to_virt().as_ptr::<u8>();
    //- // SAFETY: the physical-memory window maps all of RAM's extent (`vm::init`), so the whole
    //- // first MiB. Reading its RAM and firmware ROM has no side effects, and no other CPU runs
    //- // yet that could be writing it.
    //- unsafe { core::ptr::copy_nonoverlapping(src, buf.as_mut_ptr(), buf.len()) };
    // @}
    // @{ 15 read_low_memory_shared
    // SAFETY: the physical-memory window maps all of RAM's extent (`vm::init`), so the whole
    // first MiB, and no other CPU runs yet that could be writing it.
    unsafe { copy_from_window(pa, buf) };
    // @}
    true
}
// @}
// @{ 15 read_firmware

/// The end of RAM's extent, which the physical-memory window maps (`pmem::init` sets it).
static RAM_END: AtomicU64 = AtomicU64::new(0);

/// Firmware tables beyond RAM's extent are read only below 4 GiB, where PC firmware puts them;
/// the memory map's regions above it are no tables of the firmware's (QEMU lists a reserved
/// range at 1012 GiB).
const FIRMWARE_LIMIT: u64 = 1 << 32;

/// Copies the physical memory at `[pa, pa + buf.len())` into `buf` (the ACPI parser's reader,
/// chapter 15), if all of it lies in RAM's extent or, beyond it and below 4 GiB, in a region
/// that the firmware's memory `map` lists: SeaBIOS keeps the ACPI tables in a reserved region
/// at the top of low RAM, which this maps, read-only, on first use. Refuses anything else.
/// For the boot CPU at boot, as [`read_low_memory`].
pub fn read_firmware(map: &MemoryMap, pa: u64, buf: &mut [u8]) -> bool {
    let Some(end) = pa.checked_add(buf.len() as u64) else {
        return false;
    };
    let ram_end = RAM_END.load(Ordering::Relaxed);
    if end > ram_end {
        let beyond = pa.max(ram_end);
        if end > FIRMWARE_LIMIT || !map.lists(beyond, end) {
            return false;
        }
        crate::vm::map_firmware(PhysAddr::new(beyond), end - beyond);
    }
    // SAFETY: the physical-memory window maps RAM's extent (`vm::init`), and `map_firmware`
    // has just mapped what lies beyond it; only the boot CPU runs, so nobody writes it.
    unsafe { copy_from_window(pa, buf) };
    true
}

/// Copies `[pa, pa + buf.len())` out of the physical-memory window into `buf`.
///
/// # Safety
/// All of those bytes must be mapped in the window, and no other CPU may be writing them.
unsafe fn copy_from_window(pa: u64, buf: &mut [u8]) {
    let src = PhysAddr::new(pa).to_virt().as_ptr::<u8>();
    // SAFETY: the caller promises the bytes are mapped and not being written. Reading RAM and
    // firmware ROM has no side effects.
    unsafe { core::ptr::copy_nonoverlapping(src, buf.as_mut_ptr(), buf.len()) };
}
// @}

/// Builds the frame table from the memory map. Returns the end of RAM.
pub fn init(map: &mut MemoryMap) -> u64 {
    let (image_start, image_end) = crate::boot::kernel_image();
    map.reserve(0, LOW_MEMORY_END);
    map.reserve(image_start.as_u64(), image_end.as_u64());

    let ram_end = map.ram_end();
    RAM_END.store(ram_end, Ordering::Relaxed); // @15 ram_end
    let npages = (ram_end / PAGE_SIZE) as usize;
    let array_pages = (npages * size_of::<PageInfo>()).div_ceil(PAGE_SIZE as usize) as u64;
    let array = map
        .find_free_run(image_end.as_u64(), array_pages, BOOT_MAPPED)
        .expect("pmem: no room for the page-info array");
    map.reserve(array, array + array_pages * PAGE_SIZE);

    let base = PhysAddr::new(array).to_virt().as_ptr::<PageInfo>();
    for i in 0..npages {
        // SAFETY: the array's pages were free RAM, are now reserved for it alone, and are
        // mapped by the boot page tables (below BOOT_MAPPED).
        unsafe { base.add(i).write(PageInfo::RESERVED) };
    }
    // SAFETY: `npages` initialised PageInfo values start at `base`; the memory is reserved for
    // this table forever, so the 'static borrow held by FRAMES is the only one.
    let pages = unsafe { core::slice::from_raw_parts_mut(base, npages) };
    let table = FrameTable::new(pages, |n| map.page_is_free(n as u64 * PAGE_SIZE));
    *FRAMES.lock() = Some(table);
    ram_end
}

/// Runs `f` with the frame table and physical memory, under the frame lock.
pub fn with<R>(f: impl FnOnce(&mut KernelMemory) -> R) -> R {
    let mut guard = FRAMES.lock();
    let frames = guard.as_mut().expect("pmem: used before init");
    f(&mut KernelMemory { frames })
}

/// The number of free pages.
pub fn free_pages() -> usize {
    with(|m| m.frames.free_count())
}

/// Physical memory as the kernel sees it: frames through the physical-memory window.
pub struct KernelMemory<'a> {
    frames: &'a mut FrameTable<'static>,
}

impl Memory for KernelMemory<'_> {
    fn alloc_frame(&mut self) -> Option<PhysAddr> {
        self.frames.alloc()
    }

    fn frame(&mut self, pa: PhysAddr) -> &mut [u8; PAGE_SIZE as usize] {
        assert!(pa.is_page_aligned(), "pmem: frame address not page-aligned");
        // SAFETY: `pa` is a page of RAM inside the physical-memory window, and this value holds
        // the frame lock (it borrows the guarded table), under which all page-table and frame
        // contents the kernel manages are changed; the borrow of `self` bounds the reference.
        unsafe { &mut *pa.to_virt().as_ptr() }
    }

    fn table(&mut self, pa: PhysAddr) -> &mut PageTable {
        assert!(pa.is_page_aligned(), "pmem: table address not page-aligned");
        // SAFETY: as in `frame`; a PageTable is any 4096 bytes of integers.
        unsafe { &mut *pa.to_virt().as_ptr() }
    }

    fn incref(&mut self, pa: PhysAddr) {
        self.frames.incref(pa);
    }

    fn decref(&mut self, pa: PhysAddr) {
        self.frames.decref(pa);
    }

    fn flush(&mut self, va: VirtAddr) {
        // SAFETY: invalidating a TLB entry has no effect on memory safety.
        unsafe { x86::tlb::flush(va.as_u64() as usize) };
    }
}
// @{ 7 page_baseline

/// The free-page count before the first environment was created.
static BASELINE: AtomicUsize = AtomicUsize::new(0);

/// Remembers how many pages are free now, before any environment exists.
pub fn set_baseline() {
    BASELINE.store(free_pages(), Ordering::Relaxed);
}

/// Says, at the end of a run, whether every page the environments used is free again: a
/// kernel that loses a page per fork runs out of memory sooner or later.
pub fn report_leaks() {
    let (before, now) = (BASELINE.load(Ordering::Relaxed), free_pages());
    if now == before {
        println!("kernel: all {now} pages free again");
    } else {
        println!("kernel: {} pages leaked", before as isize - now as isize);
    }
}
// @}
