//! The physical memory map: which physical pages the allocator may use.
//!
//! The firmware reports RAM regions (E820 "usable") and holes; the kernel adds ranges it must
//! keep (its own image, the boot information, low memory). A page is free for the allocator only
//! if it lies entirely inside a usable region and touches no reserved range. Regions may overlap
//! and come in any order; a reserved report always wins over a usable one.
//!
//! Pure logic: no hardware access, unit-tested on the host.
#![deny(unsafe_code)]

use crate::addr::PAGE_SIZE;

/// The most regions (and, separately, reservations) the map holds; extras are dropped.
pub const MAX_REGIONS: usize = 64;

/// What a region of physical memory is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RegionKind {
    /// RAM the kernel may use.
    Usable,
    /// Anything else: firmware data, device memory, holes.
    Reserved,
}

/// A half-open range of physical addresses `[start, end)`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Region {
    /// The first address.
    pub start: u64,
    /// The address just past the end.
    pub end: u64,
    /// What the memory is.
    pub kind: RegionKind,
}

/// The memory map: firmware regions plus the kernel's own reservations.
pub struct MemoryMap {
    regions: [Region; MAX_REGIONS],
    nregions: usize,
    reserved: [(u64, u64); MAX_REGIONS],
    nreserved: usize,
}

impl Default for MemoryMap {
    fn default() -> Self {
        Self::new()
    }
}

impl MemoryMap {
    /// An empty map.
    pub const fn new() -> MemoryMap {
        const EMPTY: Region = Region {
            start: 0,
            end: 0,
            kind: RegionKind::Reserved,
        };
        MemoryMap {
            regions: [EMPTY; MAX_REGIONS],
            nregions: 0,
            reserved: [(0, 0); MAX_REGIONS],
            nreserved: 0,
        }
    }

    /// Adds a region reported by the firmware. Empty regions are ignored; a full map drops the
    /// region, which can only lose memory, never hand out memory that is not there.
    pub fn add(&mut self, r: Region) {
        if r.start >= r.end || self.nregions == MAX_REGIONS {
            return;
        }
        if r.kind == RegionKind::Reserved {
            self.reserve(r.start, r.end);
        }
        self.regions[self.nregions] = r;
        self.nregions += 1;
    }

    /// Reserves `[start, end)`: no page touching it will be free.
    ///
    /// Panics if the reservation table is full: losing a reservation could hand out memory
    /// that is in use.
    pub fn reserve(&mut self, start: u64, end: u64) {
        if start >= end {
            return;
        }
        assert!(
            self.nreserved < MAX_REGIONS,
            "memmap: too many reserved ranges"
        );
        self.reserved[self.nreserved] = (start, end);
        self.nreserved += 1;
    }

    /// The end of the highest usable region (the extent of RAM), page-aligned up.
    pub fn ram_end(&self) -> u64 {
        self.usable()
            .map(|r| r.end)
            .max()
            .unwrap_or(0)
            .next_multiple_of(PAGE_SIZE)
    }

    /// Whether one region that the firmware reported, of any kind, holds all of `[start, end)`.
    pub fn lists(&self, start: u64, end: u64) -> bool {
        let regions = &self.regions[..self.nregions];
        regions.iter().any(|r| r.start <= start && end <= r.end)
    }

    fn usable(&self) -> impl Iterator<Item = &Region> {
        self.regions[..self.nregions]
            .iter()
            .filter(|r| r.kind == RegionKind::Usable)
    }

    /// Whether the page starting at `addr` may be given to the allocator.
    pub fn page_is_free(&self, addr: u64) -> bool {
        let end = addr + PAGE_SIZE;
        let inside_ram = self.usable().any(|r| r.start <= addr && end <= r.end);
        let touches_reserved = self.reserved[..self.nreserved]
            .iter()
            .any(|&(s, e)| s < end && addr < e);
        inside_ram && !touches_reserved
    }

    /// The first free page at or after `addr` with `n` free pages in a row, below `limit`.
    pub fn find_free_run(&self, mut addr: u64, n: u64, limit: u64) -> Option<u64> {
        let limit = limit.min(self.ram_end());
        addr = addr.next_multiple_of(PAGE_SIZE);
        'candidate: while addr + n * PAGE_SIZE <= limit {
            for i in 0..n {
                if !self.page_is_free(addr + i * PAGE_SIZE) {
                    addr += (i + 1) * PAGE_SIZE;
                    continue 'candidate;
                }
            }
            return Some(addr);
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn qemu_like() -> MemoryMap {
        let mut m = MemoryMap::new();
        m.add(Region {
            start: 0,
            end: 0x9fc00,
            kind: RegionKind::Usable,
        });
        m.add(Region {
            start: 0x9fc00,
            end: 0xa0000,
            kind: RegionKind::Reserved,
        });
        m.add(Region {
            start: 0xf0000,
            end: 0x10_0000,
            kind: RegionKind::Reserved,
        });
        m.add(Region {
            start: 0x10_0000,
            end: 0x800_0000,
            kind: RegionKind::Usable,
        });
        m
    }

    #[test]
    fn partial_pages_are_not_free() {
        let m = qemu_like();
        assert!(m.page_is_free(0x9e000));
        assert!(
            !m.page_is_free(0x9f000),
            "page straddles the end of a usable region"
        );
        assert!(!m.page_is_free(0xa0000), "hole");
        assert!(m.page_is_free(0x7ff_f000));
        assert!(!m.page_is_free(0x800_0000));
        assert_eq!(m.ram_end(), 0x800_0000);
    }

    #[test]
    fn reservations_win() {
        let mut m = qemu_like();
        m.reserve(0x10_0000, 0x10_0001);
        assert!(!m.page_is_free(0x10_0000));
        assert!(m.page_is_free(0x10_1000));
        // A reserved firmware region overlapping a usable one wins too.
        m.add(Region {
            start: 0x20_0800,
            end: 0x20_0900,
            kind: RegionKind::Reserved,
        });
        assert!(!m.page_is_free(0x20_0000));
    }

    #[test]
    fn free_runs() {
        let mut m = qemu_like();
        m.reserve(0x10_0000, 0x20_0000);
        assert_eq!(m.find_free_run(0x10_0000, 4, u64::MAX), Some(0x20_0000));
        assert_eq!(m.find_free_run(0x9c000, 4, u64::MAX), Some(0x20_0000));
        assert_eq!(m.find_free_run(0x9c000, 2, u64::MAX), Some(0x9c000));
        assert_eq!(m.find_free_run(0, 1, 0x1000), Some(0));
        assert_eq!(m.find_free_run(0x7ff_f000, 2, u64::MAX), None);
    }

    fn free_pages(m: &MemoryMap) -> usize {
        (0..m.ram_end() / PAGE_SIZE)
            .filter(|p| m.page_is_free(p * PAGE_SIZE))
            .count()
    }

    #[test]
    fn counts_and_empty_input() {
        let m = MemoryMap::new();
        assert_eq!(m.ram_end(), 0);
        assert_eq!(free_pages(&m), 0);
        let q = qemu_like();
        assert_eq!(free_pages(&q), 0x9f + (0x8000 - 0x100));
    }

    #[test]
    fn empty_and_unordered_regions() {
        let mut m = MemoryMap::new();
        m.add(Region {
            start: 0x5000,
            end: 0x5000,
            kind: RegionKind::Usable,
        });
        m.add(Region {
            start: 0x3000,
            end: 0x4000,
            kind: RegionKind::Usable,
        });
        m.add(Region {
            start: 0x1000,
            end: 0x2000,
            kind: RegionKind::Usable,
        });
        assert_eq!(free_pages(&m), 2);
        assert_eq!(m.ram_end(), 0x4000);
    }
}
