//! The arguments of the `fuzz` program's system calls: a seeded generator, and the ids,
//! addresses and permission bits it draws, random and at the boundaries the kernel checks;
//! and the raw call that takes any number.
//!
//! The rule that keeps a fuzzing environment alive is here: in the environment itself
//! ([`Args::target_and_page`] and [`Args::source`] with id 0 or its own), only pages of
//! [`SCRATCH`], which holds none of its memory, or addresses every call must refuse; anything
//! anywhere in every other environment.

use core::arch::asm;

use abi::EnvId;
use abi::layout::{ULIM, USTACKTOP, UTEXT, UTOP, UVPT, UXSTACKTOP};
use abi::{PGSIZE, perm};

use crate::fork::PFTEMP;

/// Where a fuzzing environment maps pages in itself: nothing of the program lives there.
pub const SCRATCH: u64 = 0x1000_0000;
/// The pages of [`SCRATCH`].
pub const SCRATCH_PAGES: u64 = 32;
/// The most children an environment keeps track of at once.
pub const MAX_CHILDREN: usize = 24;

/// A small seeded generator (xorshift64*): the same seed gives the same calls.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng(seed.wrapping_mul(0x9e37_79b9_7f4a_7c15) | 1)
    }
    pub fn word(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
    pub fn below(&mut self, n: u64) -> u64 {
        self.word() % n
    }
    pub fn pick<T: Copy>(&mut self, xs: &[T]) -> T {
        xs[self.below(xs.len() as u64) as usize]
    }
}

/// What the arguments are drawn from: the generator, and the ids the environment knows.
pub struct Args {
    pub rng: Rng,
    /// The environment itself.
    pub me: EnvId,
    /// Its parent.
    pub parent: EnvId,
    /// Its children (0 in a free slot).
    pub children: [EnvId; MAX_CHILDREN],
    /// Children it has destroyed.
    pub dead: [EnvId; 4],
}

impl Args {
    /// Five random arguments, each a boundary value, an id or an address.
    pub fn rng_args(&mut self) -> [u64; 5] {
        core::array::from_fn(|_| match self.rng.below(4) {
            0 => self.anyone(),
            1 => self.any_address(),
            2 => self.perm(),
            _ => self.rng.word() >> self.rng.below(64),
        })
    }

    /// An environment other than the worker itself.
    pub fn other(&mut self) -> u64 {
        let made_up = self.rng.word();
        let near = u64::from(self.me) + self.rng.below(9) - 4;
        let id = match self.rng.below(6) {
            0 | 1 => u64::from(self.children[self.rng.below(MAX_CHILDREN as u64) as usize]),
            2 => u64::from(self.dead[self.rng.below(4) as usize]),
            3 => u64::from(self.parent),
            4 => near,
            _ => self
                .rng
                .pick(&[made_up, made_up as u32 as u64, u64::from(u32::MAX), 1 << 32]),
        };
        if id == 0 || id == u64::from(self.me) {
            1 << 40
        } else {
            id
        }
    }

    /// Any environment, the worker included.
    pub fn anyone(&mut self) -> u64 {
        match self.rng.below(5) {
            0 => self.rng.pick(&[0, u64::from(self.me)]),
            _ => self.other(),
        }
    }

    /// An environment and a page address to change there: only `SCRATCH` or addresses the
    /// kernel refuses in the worker itself, anything in another.
    pub fn target_and_page(&mut self) -> (u64, u64) {
        if self.rng.below(3) == 0 {
            let va = if self.rng.below(2) == 0 {
                self.scratch()
            } else {
                self.refused()
            };
            (self.rng.pick(&[0, u64::from(self.me)]), va)
        } else {
            let child = self.other();
            (child, self.any_address())
        }
    }

    /// A page the worker may pass as the source of a mapping or a message.
    pub fn source(&mut self) -> (u64, u64) {
        if self.rng.below(2) == 0 {
            let va = if self.rng.below(4) == 0 {
                self.refused()
            } else {
                self.scratch()
            };
            (0, va)
        } else {
            let (id, _) = self.target_and_page();
            (id, self.any_address())
        }
    }

    pub fn scratch(&mut self) -> u64 {
        SCRATCH + PGSIZE * self.rng.below(SCRATCH_PAGES)
    }

    pub fn unaligned(&mut self) -> u64 {
        let base = self.rng.pick(&[SCRATCH, USTACKTOP - PGSIZE, UTEXT, 0]);
        base + 1 + self.rng.below(PGSIZE - 1)
    }

    /// An address no system call may map: unaligned, at or above `UTOP`, non-canonical.
    pub fn refused(&mut self) -> u64 {
        let unaligned = self.unaligned();
        self.rng.pick(&[
            unaligned,
            UTOP,
            UTOP + PGSIZE,
            UVPT + 7 * PGSIZE,
            ULIM - PGSIZE,
            ULIM,
            0xffff_8000_0000_0000,
            0xffff_ffff_ffff_f000,
            u64::MAX,
        ])
    }

    /// Any address, for environments other than the worker: boundaries, the worker's own
    /// layout (stack, exception stack, code, `PFTEMP`), random pages.
    pub fn any_address(&mut self) -> u64 {
        match self.rng.below(4) {
            0 => self.refused(),
            1 => self.scratch(),
            2 => self.rng.pick(&[
                0,
                PGSIZE,
                USTACKTOP - PGSIZE,
                USTACKTOP,
                UXSTACKTOP - PGSIZE,
                UTOP - PGSIZE,
                PFTEMP,
                UTEXT,
            ]),
            _ => self.rng.below(UTOP / PGSIZE) * PGSIZE,
        }
    }

    /// Permission bits: the usual sets, single bits, random ones.
    pub fn perm(&mut self) -> u64 {
        let (p, w, u) = (perm::P, perm::W, perm::U);
        match self.rng.below(3) {
            0 => self
                .rng
                .pick(&[p | u, p | u | w, p | u | w | perm::COW, p | u | perm::AVAIL]),
            1 => p | u | (1 << self.rng.below(64)),
            _ => self.rng.word() & 0xfff,
        }
    }
}

/// System call `num` with arguments `a`, whatever the number: `user::syscall::syscall` takes
/// only the numbers the kernel knows.
///
/// # Safety
///
/// As for `user::syscall::syscall`: the call must not take away or change memory that Rust
/// code relies on.
pub unsafe fn raw_call(num: u64, a: [u64; 5]) -> i64 {
    let result: i64;
    // SAFETY: `int $0x30` enters the kernel, which restores every register but `rax` (all
    // the argument registers are declared clobbered all the same); the call itself is the
    // caller's to vouch for (see # Safety).
    unsafe {
        asm!(
            "int ${vector}",
            vector = const abi::SYSCALL_VECTOR,
            inlateout("rax") num => result,
            inlateout("rdi") a[0] => _,
            inlateout("rsi") a[1] => _,
            inlateout("rdx") a[2] => _,
            inlateout("rcx") a[3] => _,
            inlateout("r8") a[4] => _,
            options(att_syntax),
        );
    }
    result
}
