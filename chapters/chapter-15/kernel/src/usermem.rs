//! User memory: addresses a user program hands the kernel, which are only *allegations* until
//! checked against the program's own page tables.
//!
//! A system call's pointer argument arrives as a [`UserRange`]. The only way to read through it
//! is to [`UserRange::check`] it first: every page it touches must lie below `UTOP` and be
//! mapped with the permissions asked for (always including `USER`). `UTOP`, not the end of the
//! lower half: what lies above it is never the user's own memory (from chapter 9, a read-only
//! view of the page tables, whose last-level entries alone would not tell the truth about it).
//! A failed check names the
//! first bad address, which the kernel reports as JOS does
//! (`user_mem_check assertion failure for va ...`) before destroying the environment.
//!
//! Reads go through the physical-memory window, page by page, after looking each page up again,
//! so the kernel never dereferences a user address itself and never faults on a user's behalf.
//! A check stays valid while the environment's page tables cannot change: the caller holds the
//! lock over them for as long as it uses the checked range.
//!
//! Pure logic over the `Memory` trait, unit-tested on the host.
#![deny(unsafe_code)]

use abi::layout::UTOP;

use crate::addr::{PAGE_SIZE, PhysAddr, VirtAddr};
use crate::pgtable::{self, Memory, PteFlags};

/// A range of user memory as a user program claims it: `len` bytes at `addr`.
#[derive(Clone, Copy, Debug)]
pub struct UserRange {
    addr: u64,
    len: u64,
}

/// A check failed at this (first bad) user address.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BadAddress(pub u64);

/// A range that passed [`UserRange::check`]: mapped, user-accessible, with the asked-for
/// permissions.
#[derive(Clone, Copy, Debug)]
pub struct CheckedRange {
    addr: u64,
    len: u64,
}

impl UserRange {
    /// The claim "`len` bytes at `addr`".
    pub fn new(addr: u64, len: u64) -> UserRange {
        UserRange { addr, len }
    }

    /// Checks the claim against the page tables at `root`: every page touched must be mapped
    /// with `USER` and `perm`.
    pub fn check<M: Memory>(
        self,
        mem: &mut M,
        root: PhysAddr,
        perm: PteFlags,
    ) -> Result<CheckedRange, BadAddress> {
        let need = perm | PteFlags::USER | PteFlags::PRESENT;
        let end = self.addr.saturating_add(self.len);
        let mut page = self.addr & !(PAGE_SIZE - 1);
        while page < end {
            // The first page may start below the range: report the range's own start then.
            let bad = BadAddress(page.max(self.addr));
            if page >= UTOP {
                return Err(bad);
            }
            let pte = pgtable::lookup(mem, root, VirtAddr::new(page)).ok_or(bad)?;
            if !pte.flags().contains(need) {
                return Err(bad);
            }
            page += PAGE_SIZE;
        }
        Ok(CheckedRange {
            addr: self.addr,
            len: self.len,
        })
    }
}

impl CheckedRange {
    /// Calls `f` with the range's bytes, a piece per page, in order.
    pub fn for_each_chunk<M: Memory>(&self, mem: &mut M, root: PhysAddr, mut f: impl FnMut(&[u8])) {
        self.pieces(mem, root, |piece| f(piece));
    }

    /// Writes `bytes` (as long as the range) into the range, through the physical-memory
    /// window. The range must have been checked writable.
    pub fn write<M: Memory>(&self, mem: &mut M, root: PhysAddr, bytes: &[u8]) {
        assert!(
            bytes.len() as u64 == self.len,
            "usermem: writing the wrong length"
        );
        let mut rest = bytes;
        self.pieces(mem, root, |piece| {
            let (now, later) = rest.split_at(piece.len());
            piece.copy_from_slice(now);
            rest = later;
        });
    }

    /// Calls `f` with the range's memory, a piece per page, in order.
    fn pieces<M: Memory>(&self, mem: &mut M, root: PhysAddr, mut f: impl FnMut(&mut [u8])) {
        let end = self.addr + self.len;
        let mut at = self.addr;
        while at < end {
            let page = at & !(PAGE_SIZE - 1);
            let chunk_end = end.min(page + PAGE_SIZE);
            let pte = pgtable::lookup(mem, root, VirtAddr::new(page))
                .expect("usermem: a checked page vanished (page tables changed under a check)");
            let frame = mem.frame(pte.addr());
            f(&mut frame[(at - page) as usize..(chunk_end - page) as usize]);
            at = chunk_end;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pgtable::tests::FakeMemory;

    fn setup() -> (FakeMemory, PhysAddr) {
        let mut mem = FakeMemory::default();
        let root = mem.alloc_zeroed().unwrap();
        for (i, flags) in [
            PteFlags::USER | PteFlags::WRITABLE,
            PteFlags::USER,
            PteFlags::WRITABLE,
        ]
        .into_iter()
        .enumerate()
        {
            let page = mem.alloc_zeroed().unwrap();
            mem.frame(page).fill(b'a' + i as u8);
            pgtable::insert(
                &mut mem,
                root,
                page,
                VirtAddr::new(0x80_0000 + i as u64 * PAGE_SIZE),
                flags,
            )
            .unwrap();
        }
        (mem, root)
    }

    #[test]
    fn good_ranges_read_across_pages() {
        let (mut mem, root) = setup();
        let r = UserRange::new(0x80_0ffe, 4)
            .check(&mut mem, root, PteFlags::empty())
            .unwrap();
        let mut got = Vec::new();
        r.for_each_chunk(&mut mem, root, |c| got.extend_from_slice(c));
        assert_eq!(got, b"aabb");
        assert!(
            UserRange::new(0x80_0000, 0)
                .check(&mut mem, root, PteFlags::empty())
                .is_ok()
        );
    }

    #[test]
    fn writes_across_pages() {
        let (mut mem, root) = setup();
        let range = UserRange::new(0x80_0ffd, 6);
        let r = range.check(&mut mem, root, PteFlags::empty()).unwrap();
        r.write(&mut mem, root, b"xyzuvw");
        let mut got = Vec::new();
        r.for_each_chunk(&mut mem, root, |c| got.extend_from_slice(c));
        assert_eq!(got, b"xyzuvw");
    }

    #[test]
    fn reports_the_first_bad_address() {
        let (mut mem, root) = setup();
        let check = |mem: &mut FakeMemory, a, l, p| UserRange::new(a, l).check(mem, root, p).err();
        // Unmapped.
        assert_eq!(
            check(&mut mem, 1, 1, PteFlags::empty()),
            Some(BadAddress(1))
        );
        // Read-only page asked to be writable: bad from the page's start.
        assert_eq!(
            check(&mut mem, 0x80_0ff0, 0x20, PteFlags::WRITABLE),
            Some(BadAddress(0x80_1000))
        );
        // A kernel-only page.
        assert_eq!(
            check(&mut mem, 0x80_2010, 4, PteFlags::empty()),
            Some(BadAddress(0x80_2010))
        );
        // Kernel addresses and wrap-around.
        let k = 0xffff_ffff_8010_0000;
        assert_eq!(
            check(&mut mem, k, 100, PteFlags::empty()),
            Some(BadAddress(k))
        );
        assert_eq!(
            check(&mut mem, 0x80_0000, u64::MAX, PteFlags::empty()),
            Some(BadAddress(0x80_2000))
        );
    }
}
