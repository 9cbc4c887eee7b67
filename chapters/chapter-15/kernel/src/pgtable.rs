//! Four-level x86_64 page tables: walk, insert, remove, look up, tear down.
//!
//! Intel SDM Vol. 3A, 4.5 (4-level paging): a virtual address splits into four 9-bit table
//! indices (PML4, PDPT, PD, PT) and a 12-bit page offset. Every entry holds a physical address
//! and permission bits; a permission applies only if every level grants it, so the intermediate
//! entries of the user half are permissive (present, writable, user) and each leaf says what
//! the page really allows. The kernel half's intermediate entries never carry the user bit.
//!
//! These functions reach physical memory only through the [`Memory`] trait, so the same code
//! runs on the kernel's physical-memory window and, in the host tests, on plain heap memory.
//! They keep the frame reference counts exact: a leaf mapping holds one reference to its page,
//! and every table holds one reference to its own frame.
#![deny(unsafe_code)]

use bitflags::bitflags;

use crate::addr::{PAGE_SIZE, PhysAddr, VirtAddr};

bitflags! {
    /// The bits of a page-table entry (Intel SDM Vol. 3A, Table 4-19 and neighbours).
    #[derive(Clone, Copy, Debug, PartialEq, Eq)]
    pub struct PteFlags: u64 {
        /// The entry is valid.
        const PRESENT = 1 << 0;
        /// Writes are allowed.
        const WRITABLE = 1 << 1;
        /// User mode may access.
        const USER = 1 << 2;
        /// Write-through caching.
        const WRITE_THROUGH = 1 << 3;
        /// Caching disabled (for device memory).
        const NO_CACHE = 1 << 4;
        /// Set by the CPU on access.
        const ACCESSED = 1 << 5;
        /// Set by the CPU on write.
        const DIRTY = 1 << 6;
        /// A large page (in a PDPT or PD entry); this kernel never creates one.
        const HUGE = 1 << 7;
        /// Kept in the TLB across CR3 loads.
        const GLOBAL = 1 << 8;
        /// Instruction fetches are not allowed (needs EFER.NXE, set in boot.S).
        const NO_EXECUTE = 1 << 63;
    }
}

/// The bits of an entry that hold the physical address.
const ADDR_MASK: u64 = 0x000f_ffff_ffff_f000;

/// One page-table entry.
#[derive(Clone, Copy, PartialEq, Eq)]
#[repr(transparent)]
pub struct Pte(u64);

impl Pte {
    /// The empty (not present) entry.
    pub const EMPTY: Pte = Pte(0);

    /// An entry mapping `pa` with `flags`.
    pub fn new(pa: PhysAddr, flags: PteFlags) -> Pte {
        assert!(
            pa.is_page_aligned(),
            "pgtable: mapping an unaligned address"
        );
        Pte(pa.as_u64() | flags.bits())
    }

    /// The physical address the entry points at.
    pub fn addr(self) -> PhysAddr {
        PhysAddr::new(self.0 & ADDR_MASK)
    }

    /// The entry's flag bits.
    pub fn flags(self) -> PteFlags {
        PteFlags::from_bits_retain(self.0 & !ADDR_MASK)
    }

    /// Whether the entry is present.
    pub fn is_present(self) -> bool {
        self.flags().contains(PteFlags::PRESENT)
    }
}

impl core::fmt::Debug for Pte {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(f, "Pte({:?}, {:?})", self.addr(), self.flags())
    }
}

/// One page table of any level: 512 entries filling one page.
#[repr(C, align(4096))]
pub struct PageTable {
    /// The entries.
    pub entries: [Pte; 512],
}
const _: () = assert!(size_of::<PageTable>() == PAGE_SIZE as usize);

/// The one way table operations reach physical memory and the frame allocator.
pub trait Memory {
    /// Allocates a frame (zero references, contents undefined).
    fn alloc_frame(&mut self) -> Option<PhysAddr>;
    /// The frame at `pa` as bytes.
    fn frame(&mut self, pa: PhysAddr) -> &mut [u8; PAGE_SIZE as usize];
    /// The frame at `pa` as a page table.
    fn table(&mut self, pa: PhysAddr) -> &mut PageTable;
    /// Adds a reference to the frame at `pa`.
    fn incref(&mut self, pa: PhysAddr);
    /// Drops a reference to the frame at `pa`, freeing it at zero.
    fn decref(&mut self, pa: PhysAddr);
    /// Invalidates this CPU's cached translation of `va` (when the table is in use).
    fn flush(&mut self, va: VirtAddr);

    /// Allocates a zeroed frame holding one reference (for a new page table or page).
    fn alloc_zeroed(&mut self) -> Option<PhysAddr> {
        let pa = self.alloc_frame()?;
        self.frame(pa).fill(0);
        self.incref(pa);
        Some(pa)
    }
}

/// Memory ran out while building a page table.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct NoMemory;

/// The first address above the user half.
const USER_HALF_END: u64 = 0x0000_8000_0000_0000;

/// Finds the page-table slot that maps `va` in the tables rooted at `root`: the table's
/// physical address and the index in it. With `create`, missing tables are allocated; without,
/// `Ok(None)` means no table covers `va`.
pub fn walk<M: Memory>(
    mem: &mut M,
    root: PhysAddr,
    va: VirtAddr,
    create: bool,
) -> Result<Option<(PhysAddr, usize)>, NoMemory> {
    let mut table = root;
    for level in (2..=4).rev() {
        let index = va.table_index(level);
        let entry = mem.table(table).entries[index];
        if entry.is_present() {
            assert!(
                !entry.flags().contains(PteFlags::HUGE),
                "pgtable: huge page in a walk"
            );
            table = entry.addr();
            continue;
        }
        if !create {
            return Ok(None);
        }
        let next = mem.alloc_zeroed().ok_or(NoMemory)?;
        let mut flags = PteFlags::PRESENT | PteFlags::WRITABLE;
        if va.as_u64() < USER_HALF_END {
            flags |= PteFlags::USER;
        }
        mem.table(table).entries[index] = Pte::new(next, flags);
        table = next;
    }
    Ok(Some((table, va.table_index(1))))
}

/// The leaf entry mapping `va`, if `va` is mapped.
pub fn lookup<M: Memory>(mem: &mut M, root: PhysAddr, va: VirtAddr) -> Option<Pte> {
    let (table, index) = walk(mem, root, va, false).ok()??;
    let pte = mem.table(table).entries[index];
    pte.is_present().then_some(pte)
}

/// Maps the frame `pa` at `va` with `flags` (PRESENT is added), replacing any old mapping. The
/// new mapping takes a reference to `pa`; the old one drops its reference.
pub fn insert<M: Memory>(
    mem: &mut M,
    root: PhysAddr,
    pa: PhysAddr,
    va: VirtAddr,
    flags: PteFlags,
) -> Result<(), NoMemory> {
    let (table, index) = walk(mem, root, va, true)?.expect("walk with create");
    // Take the new reference before dropping the old one: re-inserting the same page at the
    // same address must not free it in between.
    mem.incref(pa);
    let old = mem.table(table).entries[index];
    if old.is_present() {
        mem.decref(old.addr());
    }
    mem.table(table).entries[index] = Pte::new(pa, flags | PteFlags::PRESENT);
    mem.flush(va);
    Ok(())
}

/// Unmaps `va` if it is mapped, dropping the mapping's reference. Returns the old entry.
pub fn remove<M: Memory>(mem: &mut M, root: PhysAddr, va: VirtAddr) -> Option<Pte> {
    let (table, index) = walk(mem, root, va, false).ok()??;
    let old = mem.table(table).entries[index];
    if !old.is_present() {
        return None;
    }
    mem.table(table).entries[index] = Pte::EMPTY;
    mem.flush(va);
    mem.decref(old.addr());
    Some(old)
}

/// Maps `[va, va + size)` to `[pa, pa + size)` without touching the frames' reference counts:
/// for memory the kernel owns outright (its image, the physical-memory window, devices).
pub fn map_region<M: Memory>(
    mem: &mut M,
    root: PhysAddr,
    va: VirtAddr,
    pa: PhysAddr,
    size: u64,
    flags: PteFlags,
) -> Result<(), NoMemory> {
    assert!(
        va.is_page_aligned() && pa.is_page_aligned(),
        "pgtable: unaligned region"
    );
    for off in (0..size).step_by(PAGE_SIZE as usize) {
        let v = VirtAddr::new(va.as_u64() + off);
        let (table, index) = walk(mem, root, v, true)?.expect("walk with create");
        mem.table(table).entries[index] = Pte::new(pa.add(off), flags | PteFlags::PRESENT);
    }
    Ok(())
}

/// Unmaps every user page and frees every user-half table under `root` (PML4 slots 0-255),
/// leaving the root's kernel half alone. The root frame itself stays with the caller.
pub fn free_user_half<M: Memory>(mem: &mut M, root: PhysAddr) {
    for i in 0..256 {
        let entry = mem.table(root).entries[i];
        if entry.is_present() {
            free_table(mem, entry.addr(), 3);
            mem.table(root).entries[i] = Pte::EMPTY;
        }
    }
}

/// Frees the table at `table` (of `level`, 1 = page table) and everything below it.
fn free_table<M: Memory>(mem: &mut M, table: PhysAddr, level: u32) {
    for i in 0..512 {
        let entry = mem.table(table).entries[i];
        if !entry.is_present() {
            continue;
        }
        if level == 1 {
            mem.decref(entry.addr());
        } else {
            free_table(mem, entry.addr(), level - 1);
        }
    }
    mem.decref(table);
}

/// A mapping's permissions in words, e.g. `kernel-only, uncached, write-through, no-execute`.
pub struct Describe(pub PteFlags);

impl core::fmt::Display for Describe {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        let has = |flag| self.0.contains(flag);
        let who = if has(PteFlags::USER) {
            "user"
        } else {
            "kernel-only"
        };
        let cache = if has(PteFlags::NO_CACHE) {
            "uncached"
        } else {
            "cached"
        };
        let write = if has(PteFlags::WRITE_THROUGH) {
            "write-through"
        } else {
            "write-back"
        };
        let exec = if has(PteFlags::NO_EXECUTE) {
            "no-execute"
        } else {
            "executable"
        };
        write!(f, "{who}, {cache}, {write}, {exec}")
    }
}

// The unit tests are in their own file; only host-tests compiles them, which includes this
// file by path, so the path is relative to this directory.
#[cfg(test)]
#[path = "pgtable_tests.rs"]
pub mod tests;
