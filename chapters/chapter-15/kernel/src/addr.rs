//! Typed addresses and the kernel's view of the address space.
//!
//! Three kinds of address cross module boundaries, and mixing them up is the classic kernel bug,
//! so each gets its own type: [`PhysAddr`] (what the page tables and devices see), [`VirtAddr`]
//! (a canonical 64-bit virtual address) and, in `usermem.rs`, the user's *alleged* address that
//! the kernel has not yet checked.
//!
//! The kernel half of every address space (Intel SDM Vol. 3A, 4.5: PML4 slots 256-511):
//!
//! ```text
//!  0xffff_ffff_ffff_ffff
//!  0xffff_ffff_8000_0000  KERNEL_VMA: the kernel image, linked at KERNEL_VMA + physical address
//!  0xffff_ffff_7000_0000  MMIO_BASE: device registers (the local APIC), uncached, kernel only
//!  0xffff_ffff_7000_0000  KSTACK_TOP: per-CPU kernel stacks grow down from here, each with an
//!                         unmapped guard page below it
//!        ...
//!  0xffff_8000_0000_0000  PHYSMAP_BASE: all of physical memory, kernel-virtual = physical + base
//!  ---------------------  (non-canonical hole)
//!  0x0000_7fff_ffff_ffff  the lower half belongs to user space (see abi::layout)
//! ```
#![deny(unsafe_code)]

use core::fmt;

/// Where the kernel image is linked: the top 2 GiB, as the `kernel` code model requires.
pub const KERNEL_VMA: u64 = 0xffff_ffff_8000_0000;
/// The base of the window through which the kernel reaches all of physical memory.
pub const PHYSMAP_BASE: u64 = 0xffff_8000_0000_0000;
/// The size of a page.
pub const PAGE_SIZE: u64 = 4096;
/// The window where the kernel maps device registers, just below the kernel image.
pub const MMIO_BASE: u64 = 0xffff_ffff_7000_0000;
/// The end of the device-register window.
pub const MMIO_LIMIT: u64 = KERNEL_VMA;
/// The top of the kernel-stack area: stack slot 0 ends here, slot 1 below it, and so on.
pub const KSTACK_TOP: u64 = MMIO_BASE;
/// The size of one kernel stack.
pub const KSTACK_SIZE: u64 = 16 * PAGE_SIZE;
/// The unmapped guard below each stack: an overflow hits it and faults instead of silently
/// overwriting the next stack down.
pub const KSTACK_GUARD: u64 = PAGE_SIZE;

/// A physical address.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
#[repr(transparent)]
pub struct PhysAddr(u64);

impl PhysAddr {
    /// The physical address `a` (x86_64 physical addresses have at most 52 bits).
    pub const fn new(a: u64) -> PhysAddr {
        assert!(a < 1 << 52, "physical address wider than 52 bits");
        PhysAddr(a)
    }

    /// The address as a number.
    pub const fn as_u64(self) -> u64 {
        self.0
    }

    /// Whether the address is the start of a page.
    pub const fn is_page_aligned(self) -> bool {
        self.0.is_multiple_of(PAGE_SIZE)
    }

    /// The page number (address / page size).
    pub const fn page_number(self) -> usize {
        (self.0 / PAGE_SIZE) as usize
    }

    /// The address of page number `n`.
    pub const fn from_page_number(n: usize) -> PhysAddr {
        PhysAddr::new(n as u64 * PAGE_SIZE)
    }

    /// The address `bytes` further on.
    pub const fn add(self, bytes: u64) -> PhysAddr {
        PhysAddr::new(self.0 + bytes)
    }

    /// Where the kernel sees this physical address: the one physical-to-virtual conversion.
    pub const fn to_virt(self) -> VirtAddr {
        VirtAddr(PHYSMAP_BASE + self.0)
    }
}

impl fmt::Debug for PhysAddr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "PhysAddr({:#x})", self.0)
    }
}

/// A canonical virtual address (bits 63..47 all equal).
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
#[repr(transparent)]
pub struct VirtAddr(u64);

impl VirtAddr {
    /// The virtual address `a`, or `None` if it is not canonical.
    pub const fn try_new(a: u64) -> Option<VirtAddr> {
        let top = a >> 47;
        if top == 0 || top == 0x1_ffff {
            Some(VirtAddr(a))
        } else {
            None
        }
    }

    /// The virtual address `a`; panics if `a` is not canonical.
    pub const fn new(a: u64) -> VirtAddr {
        match VirtAddr::try_new(a) {
            Some(v) => v,
            None => panic!("non-canonical virtual address"),
        }
    }

    /// The address as a number.
    pub const fn as_u64(self) -> u64 {
        self.0
    }

    /// The address as a pointer.
    pub const fn as_ptr<T>(self) -> *mut T {
        self.0 as *mut T
    }

    /// Whether the address is the start of a page.
    pub const fn is_page_aligned(self) -> bool {
        self.0.is_multiple_of(PAGE_SIZE)
    }

    /// The index into the page table of `level` (4 = PML4 ... 1 = page table) for this address.
    pub const fn table_index(self, level: u32) -> usize {
        ((self.0 >> (12 + 9 * (level - 1))) & 0x1ff) as usize
    }

    /// The physical address of a kernel-image address (code or static data).
    pub const fn kernel_image_to_phys(self) -> PhysAddr {
        assert!(self.0 >= KERNEL_VMA, "not a kernel-image address");
        PhysAddr::new(self.0 - KERNEL_VMA)
    }
}

impl fmt::Debug for VirtAddr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "VirtAddr({:#x})", self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn canonical_addresses() {
        assert!(VirtAddr::try_new(0x0000_7fff_ffff_ffff).is_some());
        assert!(VirtAddr::try_new(0x0000_8000_0000_0000).is_none());
        assert!(VirtAddr::try_new(0xffff_8000_0000_0000).is_some());
        assert!(VirtAddr::try_new(0xfff0_0000_0000_0000).is_none());
    }

    #[test]
    fn table_indices() {
        let v = VirtAddr::new(KERNEL_VMA + 0x20_3000);
        assert_eq!(v.table_index(4), 511);
        assert_eq!(v.table_index(3), 510);
        assert_eq!(v.table_index(2), 1);
        assert_eq!(v.table_index(1), 3);
    }

    #[test]
    fn physmap_round_trip() {
        let p = PhysAddr::new(0x12_3456);
        assert_eq!(p.to_virt().as_u64(), PHYSMAP_BASE + 0x12_3456);
        assert_eq!(
            PhysAddr::from_page_number(p.page_number()).as_u64(),
            0x12_3000
        );
        assert!(!p.is_page_aligned());
    }
}
