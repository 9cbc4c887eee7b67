//! Physical page frames: who owns each page, and how many mappings point at it.
//!
//! One [`PageInfo`] per physical page, indexed by page number (JOS's `struct PageInfo`). Free
//! pages form a singly linked list threaded through the table, lowest address first, so early
//! boot allocations come from low memory. An allocated page starts with zero references; every
//! page-table entry that maps it adds one (`pgtable.rs`), and when the last one goes the page
//! returns to the free list. Copy-on-write fork (chapter 9) depends on these counts being exact.
//!
//! Pure logic: the table is a slice, so the host tests run it on ordinary memory.
#![deny(unsafe_code)]

use crate::addr::PhysAddr;

/// What a physical page is doing.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PageState {
    /// Not RAM, or RAM the kernel keeps for itself (image, boot data, low memory).
    Reserved,
    /// On the free list; `next` is the next free page number.
    Free { next: Option<u32> },
    /// Handed out; `refs` page-table entries (or other owners) point at it.
    Allocated { refs: u16 },
}

/// The bookkeeping for one physical page.
#[derive(Clone, Copy, Debug)]
pub struct PageInfo {
    state: PageState,
}

impl PageInfo {
    /// A reserved page (the state every page starts in).
    pub const RESERVED: PageInfo = PageInfo {
        state: PageState::Reserved,
    };
}

/// The table of all physical pages and the free list through it.
pub struct FrameTable<'a> {
    pages: &'a mut [PageInfo],
    free_head: Option<u32>,
    nfree: usize,
}

impl<'a> FrameTable<'a> {
    /// Builds the table over `pages` (one entry per physical page from address 0); the pages
    /// for which `is_free(page number)` holds go on the free list, lowest first.
    pub fn new(pages: &'a mut [PageInfo], is_free: impl Fn(usize) -> bool) -> FrameTable<'a> {
        let mut t = FrameTable {
            pages,
            free_head: None,
            nfree: 0,
        };
        for n in (0..t.pages.len()).rev() {
            if is_free(n) {
                t.pages[n].state = PageState::Free { next: t.free_head };
                t.free_head = Some(n as u32);
                t.nfree += 1;
            } else {
                t.pages[n].state = PageState::Reserved;
            }
        }
        t
    }

    /// Takes a page off the free list, with no references yet; `None` when memory is out.
    pub fn alloc(&mut self) -> Option<PhysAddr> {
        let n = self.free_head?;
        let PageState::Free { next } = self.pages[n as usize].state else {
            panic!("frame: free list points at a page that is not free");
        };
        self.free_head = next;
        self.nfree -= 1;
        self.pages[n as usize].state = PageState::Allocated { refs: 0 };
        Some(PhysAddr::from_page_number(n as usize))
    }

    /// Returns an unreferenced page to the front of the free list.
    pub fn free(&mut self, pa: PhysAddr) {
        let n = self.index(pa);
        match self.pages[n].state {
            PageState::Allocated { refs: 0 } => {}
            PageState::Allocated { refs } => {
                panic!("frame: freeing page {pa:?} that still has {refs} references")
            }
            PageState::Free { .. } => panic!("frame: page {pa:?} freed twice"),
            PageState::Reserved => panic!("frame: freeing reserved page {pa:?}"),
        }
        self.pages[n].state = PageState::Free {
            next: self.free_head,
        };
        self.free_head = Some(n as u32);
        self.nfree += 1;
    }

    /// Adds a reference to an allocated page.
    pub fn incref(&mut self, pa: PhysAddr) {
        let n = self.index(pa);
        match &mut self.pages[n].state {
            PageState::Allocated { refs } => {
                *refs = refs
                    .checked_add(1)
                    .expect("frame: reference count overflow")
            }
            other => panic!("frame: reference to page {pa:?} which is {other:?}"),
        }
    }

    /// Drops a reference; the page is freed when the last one goes. Returns whether it was.
    pub fn decref(&mut self, pa: PhysAddr) -> bool {
        let n = self.index(pa);
        match &mut self.pages[n].state {
            PageState::Allocated { refs } if *refs > 0 => *refs -= 1,
            other => panic!("frame: dropping a reference to page {pa:?} which is {other:?}"),
        }
        if self.pages[n].state == (PageState::Allocated { refs: 0 }) {
            self.free(pa);
            true
        } else {
            false
        }
    }

    /// The state of the page at `pa`.
    #[cfg(test)]
    pub fn state(&self, pa: PhysAddr) -> PageState {
        self.pages[self.index(pa)].state
    }

    /// How many pages are free.
    pub fn free_count(&self) -> usize {
        self.nfree
    }

    fn index(&self, pa: PhysAddr) -> usize {
        assert!(pa.is_page_aligned(), "frame: {pa:?} is not a page address");
        let n = pa.page_number();
        assert!(
            n < self.pages.len(),
            "frame: {pa:?} is beyond physical memory"
        );
        n
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn table(pages: &mut [PageInfo]) -> FrameTable<'_> {
        // Pages 0 and 5 are reserved.
        FrameTable::new(pages, |n| n != 0 && n != 5)
    }

    #[test]
    fn allocates_lowest_first_and_reuses_freed_pages_first() {
        let mut pages = [PageInfo::RESERVED; 8];
        let mut t = table(&mut pages);
        assert_eq!(t.free_count(), 6);
        let a = t.alloc().unwrap();
        let b = t.alloc().unwrap();
        assert_eq!((a.as_u64(), b.as_u64()), (0x1000, 0x2000));
        t.free(a);
        assert_eq!(t.alloc(), Some(a), "freed page comes back first");
        assert_eq!(t.free_count(), 4);
    }

    #[test]
    fn reference_counts_free_at_zero() {
        let mut pages = [PageInfo::RESERVED; 8];
        let mut t = table(&mut pages);
        let p = t.alloc().unwrap();
        t.incref(p);
        t.incref(p);
        assert!(!t.decref(p));
        assert_eq!(t.state(p), PageState::Allocated { refs: 1 });
        let before = t.free_count();
        assert!(t.decref(p));
        assert_eq!(t.free_count(), before + 1);
        assert!(matches!(t.state(p), PageState::Free { .. }));
    }

    #[test]
    fn runs_out_and_skips_reserved() {
        let mut pages = [PageInfo::RESERVED; 8];
        let mut t = table(&mut pages);
        let mut got = Vec::new();
        while let Some(p) = t.alloc() {
            got.push(p.page_number());
        }
        assert_eq!(got, [1, 2, 3, 4, 6, 7]);
        assert_eq!(t.free_count(), 0);
    }

    #[test]
    #[should_panic(expected = "still has 1 references")]
    fn freeing_a_referenced_page_panics() {
        let mut pages = [PageInfo::RESERVED; 8];
        let mut t = table(&mut pages);
        let p = t.alloc().unwrap();
        t.incref(p);
        t.free(p);
    }

    #[test]
    #[should_panic(expected = "freed twice")]
    fn double_free_panics() {
        let mut pages = [PageInfo::RESERVED; 8];
        let mut t = table(&mut pages);
        let p = t.alloc().unwrap();
        t.free(p);
        t.free(p);
    }

    #[test]
    #[should_panic(expected = "which is Reserved")]
    fn reference_to_reserved_page_panics() {
        let mut pages = [PageInfo::RESERVED; 8];
        let mut t = table(&mut pages);
        t.incref(PhysAddr::new(0x5000));
    }
}
