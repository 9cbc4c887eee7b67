//! Unit tests of the page tables (compiled on the host only, through host-tests), on
//! [`FakeMemory`]: physical memory on the heap, which `usermem.rs`'s tests use too.

use super::*;
use std::collections::HashMap;

/// Physical memory on the heap, with reference counts, for host tests.
#[derive(Default)]
pub struct FakeMemory {
    pub frames: HashMap<u64, Box<PageTable>>,
    pub refs: HashMap<u64, u32>,
    pub next: u64,
    pub limit: Option<usize>,
    pub flushed: Vec<u64>,
}

impl FakeMemory {
    pub fn live_frames(&self) -> usize {
        self.frames.len()
    }
}

impl Memory for FakeMemory {
    fn alloc_frame(&mut self) -> Option<PhysAddr> {
        if self.limit.is_some_and(|l| self.frames.len() >= l) {
            return None;
        }
        self.next += PAGE_SIZE;
        self.frames.insert(
            self.next,
            Box::new(PageTable {
                entries: [Pte(0x5a5a); 512],
            }),
        );
        self.refs.insert(self.next, 0);
        Some(PhysAddr::new(self.next))
    }
    fn frame(&mut self, pa: PhysAddr) -> &mut [u8; 4096] {
        let t = self.frames.get_mut(&pa.as_u64()).expect("no such frame");
        bytemuck_table(t)
    }
    fn table(&mut self, pa: PhysAddr) -> &mut PageTable {
        self.frames.get_mut(&pa.as_u64()).expect("no such frame")
    }
    fn incref(&mut self, pa: PhysAddr) {
        *self
            .refs
            .get_mut(&pa.as_u64())
            .expect("incref of a free frame") += 1;
    }
    fn decref(&mut self, pa: PhysAddr) {
        let r = self
            .refs
            .get_mut(&pa.as_u64())
            .expect("decref of a free frame");
        *r -= 1;
        if *r == 0 {
            self.refs.remove(&pa.as_u64());
            self.frames.remove(&pa.as_u64());
        }
    }
    fn flush(&mut self, va: VirtAddr) {
        self.flushed.push(va.as_u64());
    }
}

/// Views a heap page table as bytes.
#[expect(unsafe_code, reason = "a byte view of a test frame")]
fn bytemuck_table(t: &mut PageTable) -> &mut [u8; 4096] {
    // SAFETY: PageTable is 4096 bytes of plain integers with no padding, so every byte
    // pattern is valid both ways, and the borrow of `t` is carried over.
    unsafe { &mut *(t as *mut PageTable).cast::<[u8; 4096]>() }
}

const USER_RW: PteFlags = PteFlags::WRITABLE.union(PteFlags::USER);

fn new_root(mem: &mut FakeMemory) -> PhysAddr {
    mem.alloc_zeroed().unwrap()
}

#[test]
fn insert_lookup_remove_keep_counts() {
    let mut mem = FakeMemory::default();
    let root = new_root(&mut mem);
    let page = mem.alloc_zeroed().unwrap(); // held by the test: 1 reference
    let va = VirtAddr::new(0x80_0000);
    insert(&mut mem, root, page, va, USER_RW).unwrap();
    assert_eq!(mem.refs[&page.as_u64()], 2);
    let pte = lookup(&mut mem, root, va).unwrap();
    assert_eq!(pte.addr(), page);
    assert!(pte.flags().contains(PteFlags::PRESENT | USER_RW));
    // Re-inserting the same page at the same place keeps one mapping reference.
    insert(&mut mem, root, page, va, PteFlags::USER).unwrap();
    assert_eq!(mem.refs[&page.as_u64()], 2);
    assert!(
        !lookup(&mut mem, root, va)
            .unwrap()
            .flags()
            .contains(PteFlags::WRITABLE)
    );
    assert!(remove(&mut mem, root, va).is_some());
    assert_eq!(mem.refs[&page.as_u64()], 1);
    assert!(lookup(&mut mem, root, va).is_none());
    assert!(remove(&mut mem, root, va).is_none());
    assert!(mem.flushed.contains(&va.as_u64()));
}

#[test]
fn intermediate_entries_user_only_in_lower_half() {
    let mut mem = FakeMemory::default();
    let root = new_root(&mut mem);
    let page = mem.alloc_zeroed().unwrap();
    insert(&mut mem, root, page, VirtAddr::new(0x1000), USER_RW).unwrap();
    insert(
        &mut mem,
        root,
        page,
        VirtAddr::new(0xffff_8000_0000_0000),
        PteFlags::WRITABLE,
    )
    .unwrap();
    assert!(mem.table(root).entries[0].flags().contains(PteFlags::USER));
    assert!(
        !mem.table(root).entries[256]
            .flags()
            .contains(PteFlags::USER)
    );
}

#[test]
fn teardown_frees_every_user_frame() {
    let mut mem = FakeMemory::default();
    let root = new_root(&mut mem);
    for i in 0..600u64 {
        let page = mem.alloc_zeroed().unwrap();
        // Spread over several tables and PML4 slots.
        let va = VirtAddr::new(0x40_0000 + i * 0x1000 + (i % 3) * 0x80_0000_0000);
        insert(&mut mem, root, page, va, USER_RW).unwrap();
        mem.decref(page); // the mapping is now the only owner
    }
    let kernel_page = mem.alloc_zeroed().unwrap();
    insert(
        &mut mem,
        root,
        kernel_page,
        VirtAddr::new(0xffff_8000_0000_0000),
        PteFlags::WRITABLE,
    )
    .unwrap();
    free_user_half(&mut mem, root);
    // Left: the root, the kernel page and the three kernel-half tables.
    assert_eq!(mem.live_frames(), 5);
    assert!(
        mem.table(root).entries[..256]
            .iter()
            .all(|e| !e.is_present())
    );
}

#[test]
fn out_of_memory_is_an_error() {
    let mut mem = FakeMemory {
        limit: Some(2),
        ..Default::default()
    };
    let root = new_root(&mut mem);
    let page = mem.alloc_zeroed().unwrap();
    assert_eq!(
        insert(&mut mem, root, page, VirtAddr::new(0x1000), USER_RW),
        Err(NoMemory)
    );
    assert_eq!(
        mem.refs[&page.as_u64()],
        1,
        "a failed insert takes no reference"
    );
}

#[test]
fn map_region_does_not_count_references() {
    let mut mem = FakeMemory::default();
    let root = new_root(&mut mem);
    map_region(
        &mut mem,
        root,
        VirtAddr::new(0xffff_ffff_8010_0000),
        PhysAddr::new(0x10_0000),
        3 * PAGE_SIZE,
        PteFlags::GLOBAL,
    )
    .unwrap();
    let pte = lookup(&mut mem, root, VirtAddr::new(0xffff_ffff_8010_2000)).unwrap();
    assert_eq!(pte.addr(), PhysAddr::new(0x10_2000));
    assert!(lookup(&mut mem, root, VirtAddr::new(0xffff_ffff_8010_3000)).is_none());
}
