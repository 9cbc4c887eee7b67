//! Checking the page arguments of the exokernel system calls (JOS's `sys_page_*` rules).
//!
//! A page address must be page-aligned and below `UTOP` (above it lie the page-table view of
//! chapter 9 and everything of the kernel's). Permissions must
//! include `P` and `U` and nothing outside `perm::SYSCALL` (so never a cache-control bit, a
//! global bit or "no-execute" games). Violations are errors returned to the caller (`-Inval`),
//! not faults: the arguments are plain numbers, and nothing is touched before they are checked.
//!
//! Pure logic, unit-tested on the host.
#![deny(unsafe_code)]

use abi::Error;
use abi::layout::UTOP;
use abi::perm;

use crate::addr::{PAGE_SIZE, VirtAddr};
use crate::pgtable::PteFlags;

/// `va` as a user page address a system call may map or unmap.
pub fn user_page(va: u64) -> Result<VirtAddr, Error> {
    if va >= UTOP || !va.is_multiple_of(PAGE_SIZE) {
        return Err(Error::Inval);
    }
    VirtAddr::try_new(va).ok_or(Error::Inval)
}

/// `va` as the page address of a message (chapter 11): `None` at or above `UTOP` ("no page"),
/// else it must be a page address a system call may map.
pub fn ipc_page(va: u64) -> Result<Option<VirtAddr>, Error> {
    if va >= UTOP {
        return Ok(None);
    }
    user_page(va).map(Some)
}

/// `bits` as the permissions of a user mapping.
pub fn user_perm(bits: u64) -> Result<PteFlags, Error> {
    let required = perm::P | perm::U;
    if bits & required != required || bits & !perm::SYSCALL != 0 {
        return Err(Error::Inval);
    }
    Ok(PteFlags::from_bits_retain(bits))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn page_addresses() {
        assert_eq!(user_page(0x80_0000).map(VirtAddr::as_u64), Ok(0x80_0000));
        assert_eq!(user_page(0).map(VirtAddr::as_u64), Ok(0));
        assert_eq!(user_page(0x80_0001), Err(Error::Inval));
        assert_eq!(user_page(UTOP), Err(Error::Inval));
        assert_eq!(
            user_page(UTOP - PAGE_SIZE).map(VirtAddr::as_u64),
            Ok(UTOP - PAGE_SIZE)
        );
        assert_eq!(user_page(0xffff_ffff_8010_0000), Err(Error::Inval));
    }

    #[test]
    fn message_page_addresses() {
        assert_eq!(ipc_page(UTOP), Ok(None));
        assert_eq!(ipc_page(u64::MAX), Ok(None));
        assert_eq!(ipc_page(0x80_0001), Err(Error::Inval));
        assert_eq!(
            ipc_page(0x80_0000).map(|p| p.map(VirtAddr::as_u64)),
            Ok(Some(0x80_0000))
        );
    }

    #[test]
    fn permissions() {
        let pu = perm::P | perm::U;
        assert_eq!(user_perm(pu), Ok(PteFlags::PRESENT | PteFlags::USER));
        assert!(user_perm(pu | perm::W | perm::AVAIL).is_ok());
        assert_eq!(user_perm(perm::P | perm::W), Err(Error::Inval), "no U");
        assert_eq!(user_perm(perm::U), Err(Error::Inval), "no P");
        assert_eq!(
            user_perm(pu | 1 << 63),
            Err(Error::Inval),
            "no-execute is not the user's"
        );
        assert_eq!(
            user_perm(pu | 1 << 4),
            Err(Error::Inval),
            "cache control neither"
        );
        assert_eq!(user_perm(pu | 1 << 8), Err(Error::Inval), "nor global");
    }
}
