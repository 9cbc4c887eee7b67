//! Loading a program: an ELF executable's segments copied into a fresh user address space.
//!
//! JOS's `load_icode`. The ELF header and program headers are parsed by `elf.rs` (ELF-64
//! object file format, "Program Header"); here each loadable segment gets user pages with the
//! permissions its flags ask for (writable, executable, or neither), its file bytes are copied
//! in and the rest of its memory is left zero, and a one-page stack goes just below
//! `USTACKTOP`. [`CreateError`] says why creating an environment, loading included, failed.

use abi::layout::{USTACKTOP, UTOP};

use crate::addr::{PAGE_SIZE, PhysAddr, VirtAddr};
use crate::elf::{Elf, ElfError};
use crate::pgtable::{self, Memory, NoMemory, PteFlags};
use crate::pmem::KernelMemory;

/// Why the kernel could not create an environment.
#[derive(Debug)]
pub enum CreateError {
    /// Every slot is in use.
    NoFreeEnv,
    /// Memory ran out.
    NoMemory,
    /// The program is not a loadable executable.
    BadProgram(ElfError),
    /// A segment lies outside the user part of the address space.
    SegmentOutsideUser,
}

impl core::fmt::Display for CreateError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            CreateError::NoFreeEnv => f.write_str("no free environment slot"),
            CreateError::NoMemory => f.write_str("out of memory"),
            CreateError::BadProgram(e) => write!(f, "not a loadable program ({e:?})"),
            CreateError::SegmentOutsideUser => f.write_str("a segment lies outside user memory"),
        }
    }
}

impl From<NoMemory> for CreateError {
    fn from(_: NoMemory) -> Self {
        CreateError::NoMemory
    }
}

/// Loads the ELF program `binary` into the address space `root`, with a one-page stack below
/// `USTACKTOP`; returns the entry point.
pub fn load_program(
    mem: &mut KernelMemory,
    root: PhysAddr,
    binary: &[u8],
) -> Result<u64, CreateError> {
    let elf = Elf::parse(binary).map_err(CreateError::BadProgram)?;
    for segment in elf.segments() {
        let s = segment.map_err(CreateError::BadProgram)?;
        if s.vaddr + s.memsz > UTOP || s.vaddr < PAGE_SIZE {
            return Err(CreateError::SegmentOutsideUser);
        }
        let mut flags = PteFlags::USER;
        if s.writable {
            flags |= PteFlags::WRITABLE;
        }
        if !s.executable {
            flags |= PteFlags::NO_EXECUTE;
        }
        let bytes = elf.bytes(&s);
        let first = s.vaddr & !(PAGE_SIZE - 1);
        for page in (first..s.vaddr + s.memsz).step_by(PAGE_SIZE as usize) {
            let frame = map_new_page(mem, root, page, flags)?;
            // Copy the part of the file bytes that falls in this page; the rest stays zero.
            let lo = page.max(s.vaddr);
            let hi = (page + PAGE_SIZE).min(s.vaddr + s.filesz);
            if lo < hi {
                let src = &bytes[(lo - s.vaddr) as usize..(hi - s.vaddr) as usize];
                mem.frame(frame)[(lo - page) as usize..(hi - page) as usize].copy_from_slice(src);
            }
        }
    }
    let stack_flags = PteFlags::USER | PteFlags::WRITABLE | PteFlags::NO_EXECUTE;
    map_new_page(mem, root, USTACKTOP - PAGE_SIZE, stack_flags)?;
    Ok(elf.entry)
}

/// Maps a zeroed page at `va` (or keeps the page already there, for segments sharing a page,
/// widening its permissions); returns the frame.
fn map_new_page(
    mem: &mut KernelMemory,
    root: PhysAddr,
    va: u64,
    flags: PteFlags,
) -> Result<PhysAddr, CreateError> {
    let va = VirtAddr::new(va);
    if let Some(old) = pgtable::lookup(mem, root, va) {
        let mut merged = old.flags() | flags;
        if !(old.flags() & flags).contains(PteFlags::NO_EXECUTE) {
            merged.remove(PteFlags::NO_EXECUTE);
        }
        pgtable::insert(mem, root, old.addr(), va, merged)?;
        return Ok(old.addr());
    }
    let frame = mem.alloc_zeroed().ok_or(NoMemory)?;
    let mapped = pgtable::insert(mem, root, frame, va, flags);
    // The mapping holds its own reference; drop the allocation's.
    mem.decref(frame);
    mapped?;
    Ok(frame)
}
