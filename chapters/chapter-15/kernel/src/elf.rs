//! Reading ELF64 executables (the user programs), checking everything before trusting it.
//!
//! Only what loading needs: the header (System V gABI, "ELF Header") and the program headers of
//! type `PT_LOAD`. Fields are read byte by byte from the image, so an image need not be aligned
//! and a short or lying one gives an error, never an out-of-bounds read.
//!
//! Pure logic, unit-tested on the host.
#![deny(unsafe_code)]

/// Why an image is not a loadable program.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ElfError {
    /// Not an ELF file, or not 64-bit little-endian x86_64.
    NotElf64,
    /// Not an executable (`ET_EXEC`).
    NotExecutable,
    /// A header or segment lies outside the image.
    Truncated,
    /// A segment's file size exceeds its memory size, or its addresses overflow.
    BadSegment,
}

/// A loadable segment.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Segment {
    /// Where it goes.
    pub vaddr: u64,
    /// How much memory it covers (the part past the file bytes is zero).
    pub memsz: u64,
    /// The offset of its bytes in the image.
    pub offset: u64,
    /// How many bytes come from the image.
    pub filesz: u64,
    /// Whether it is writable.
    pub writable: bool,
    /// Whether it is executable.
    pub executable: bool,
}

/// A checked ELF64 executable.
pub struct Elf<'a> {
    image: &'a [u8],
    /// The entry point.
    pub entry: u64,
    phoff: u64,
    phentsize: u64,
    phnum: u64,
}

const PT_LOAD: u32 = 1;
const PF_X: u32 = 1;
const PF_W: u32 = 2;
const ET_EXEC: u16 = 2;
const EM_X86_64: u16 = 62;
const PHDR_SIZE: u64 = 56;

fn read<const N: usize>(image: &[u8], at: u64) -> Result<[u8; N], ElfError> {
    let start = usize::try_from(at).map_err(|_| ElfError::Truncated)?;
    let end = start.checked_add(N).ok_or(ElfError::Truncated)?;
    let bytes = image.get(start..end).ok_or(ElfError::Truncated)?;
    Ok(bytes.try_into().expect("slice of length N"))
}

fn u16_at(image: &[u8], at: u64) -> Result<u16, ElfError> {
    read(image, at).map(u16::from_le_bytes)
}

fn u32_at(image: &[u8], at: u64) -> Result<u32, ElfError> {
    read(image, at).map(u32::from_le_bytes)
}

fn u64_at(image: &[u8], at: u64) -> Result<u64, ElfError> {
    read(image, at).map(u64::from_le_bytes)
}

impl<'a> Elf<'a> {
    /// Checks the header of `image`.
    pub fn parse(image: &'a [u8]) -> Result<Elf<'a>, ElfError> {
        let ident: [u8; 16] = read(image, 0).map_err(|_| ElfError::NotElf64)?;
        // Magic, 64-bit class, little-endian data, version 1.
        if ident[..4] != *b"\x7fELF" || ident[4] != 2 || ident[5] != 1 || ident[6] != 1 {
            return Err(ElfError::NotElf64);
        }
        if u16_at(image, 18)? != EM_X86_64 {
            return Err(ElfError::NotElf64);
        }
        if u16_at(image, 16)? != ET_EXEC {
            return Err(ElfError::NotExecutable);
        }
        let elf = Elf {
            image,
            entry: u64_at(image, 24)?,
            phoff: u64_at(image, 32)?,
            phentsize: u64::from(u16_at(image, 54)?),
            phnum: u64::from(u16_at(image, 56)?),
        };
        if elf.phentsize < PHDR_SIZE {
            return Err(ElfError::Truncated);
        }
        // Every program header must lie inside the image.
        let table = elf
            .phentsize
            .checked_mul(elf.phnum)
            .ok_or(ElfError::Truncated)?;
        let end = elf.phoff.checked_add(table).ok_or(ElfError::Truncated)?;
        if end > image.len() as u64 {
            return Err(ElfError::Truncated);
        }
        Ok(elf)
    }

    /// The loadable segments, each checked: its bytes inside the image, its addresses without
    /// overflow, and its file size no larger than its memory size.
    pub fn segments(&self) -> impl Iterator<Item = Result<Segment, ElfError>> + '_ {
        (0..self.phnum).filter_map(move |i| {
            let at = self.phoff + i * self.phentsize;
            match u32_at(self.image, at) {
                Ok(PT_LOAD) => Some(self.segment(at)),
                Ok(_) => None,
                Err(e) => Some(Err(e)),
            }
        })
    }

    fn segment(&self, at: u64) -> Result<Segment, ElfError> {
        let flags = u32_at(self.image, at + 4)?;
        let s = Segment {
            offset: u64_at(self.image, at + 8)?,
            vaddr: u64_at(self.image, at + 16)?,
            filesz: u64_at(self.image, at + 32)?,
            memsz: u64_at(self.image, at + 40)?,
            writable: flags & PF_W != 0,
            executable: flags & PF_X != 0,
        };
        if s.filesz > s.memsz || s.vaddr.checked_add(s.memsz).is_none() {
            return Err(ElfError::BadSegment);
        }
        let end = s.offset.checked_add(s.filesz).ok_or(ElfError::Truncated)?;
        if end > self.image.len() as u64 {
            return Err(ElfError::Truncated);
        }
        Ok(s)
    }

    /// The bytes of `segment` that come from the image.
    pub fn bytes(&self, segment: &Segment) -> &'a [u8] {
        &self.image[segment.offset as usize..(segment.offset + segment.filesz) as usize]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A minimal executable: header, one PT_LOAD and one PT_NOTE header, then 4 code bytes.
    fn image() -> Vec<u8> {
        let mut v = vec![0u8; 64 + 2 * 56];
        v[..7].copy_from_slice(b"\x7fELF\x02\x01\x01");
        v[16..18].copy_from_slice(&ET_EXEC.to_le_bytes());
        v[18..20].copy_from_slice(&EM_X86_64.to_le_bytes());
        v[24..32].copy_from_slice(&0x80_0000u64.to_le_bytes());
        v[32..40].copy_from_slice(&64u64.to_le_bytes());
        v[54..56].copy_from_slice(&56u16.to_le_bytes());
        v[56..58].copy_from_slice(&2u16.to_le_bytes());
        let ph = 64;
        v[ph..ph + 4].copy_from_slice(&PT_LOAD.to_le_bytes());
        v[ph + 4..ph + 8].copy_from_slice(&(PF_X | 4).to_le_bytes());
        v[ph + 8..ph + 16].copy_from_slice(&(64u64 + 112).to_le_bytes());
        v[ph + 16..ph + 24].copy_from_slice(&0x80_0000u64.to_le_bytes());
        v[ph + 32..ph + 40].copy_from_slice(&4u64.to_le_bytes());
        v[ph + 40..ph + 48].copy_from_slice(&0x2000u64.to_le_bytes());
        v[ph + 56..ph + 60].copy_from_slice(&4u32.to_le_bytes()); // PT_NOTE, skipped
        v.extend_from_slice(&[0x90, 0x90, 0xcc, 0xc3]);
        v
    }

    #[test]
    fn parses_a_good_image() {
        let img = image();
        let elf = Elf::parse(&img).unwrap();
        assert_eq!(elf.entry, 0x80_0000);
        let segs: Vec<_> = elf.segments().collect::<Result<_, _>>().unwrap();
        assert_eq!(segs.len(), 1);
        assert!(segs[0].executable && !segs[0].writable);
        assert_eq!(elf.bytes(&segs[0]), &[0x90, 0x90, 0xcc, 0xc3]);
    }

    #[test]
    fn rejects_bad_headers() {
        assert_eq!(Elf::parse(b"\x7fEL").err(), Some(ElfError::NotElf64));
        let mut img = image();
        img[4] = 1; // 32-bit
        assert_eq!(Elf::parse(&img).err(), Some(ElfError::NotElf64));
        let mut img = image();
        img[16] = 3; // shared object
        assert_eq!(Elf::parse(&img).err(), Some(ElfError::NotExecutable));
        let mut img = image();
        img[56] = 200; // more program headers than the image holds
        assert_eq!(Elf::parse(&img).err(), Some(ElfError::Truncated));
    }

    #[test]
    fn rejects_bad_segments() {
        let mut img = image();
        img[64 + 32..64 + 40].copy_from_slice(&0x3000u64.to_le_bytes()); // filesz > memsz
        let elf = Elf::parse(&img).unwrap();
        assert_eq!(elf.segments().next(), Some(Err(ElfError::BadSegment)));
        let mut img = image();
        img[64 + 8..64 + 16].copy_from_slice(&u64::MAX.to_le_bytes()); // offset overflows
        let elf = Elf::parse(&img).unwrap();
        assert_eq!(elf.segments().next(), Some(Err(ElfError::Truncated)));
        let mut img = image();
        img[64 + 16..64 + 24].copy_from_slice(&(u64::MAX - 8).to_le_bytes()); // vaddr overflows
        let elf = Elf::parse(&img).unwrap();
        assert_eq!(elf.segments().next(), Some(Err(ElfError::BadSegment)));
    }
}
