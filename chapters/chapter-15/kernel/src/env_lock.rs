//! The environment table's own lock (chapter 14), which replaces the big kernel lock, and the
//! pins that let a CPU work on an address space without holding it.
//!
//! What the table lock guards is what the table holds: the slots (ids, parents, statuses, saved
//! registers, upcalls), the free list, and the record of the address spaces (their users, and
//! which CPUs have them loaded). An environment's status is also the scheduler's choice
//! (`Running { cpu }`: no other CPU may pick it) and its IPC state (`Receiving`), so choosing
//! what runs and handing over a message are steps under this lock too. The page tables and the
//! frames are not the table's: the frame table's lock guards them (`pmem.rs`).
//!
//! Unlike the big kernel lock, which a CPU took on its way into the kernel and let go on its
//! way out, this lock is taken for one step on the table at a time. A system call that works on
//! an address space (mapping pages, printing from user memory, shooting down TLB entries) holds
//! it only to find the address space, and does the work without it.
//!
//! Without the lock, though, nothing stops another CPU from destroying the environment whose
//! page tables this CPU is changing, and freeing those page tables under it: VSTa's `free_proc`
//! race, two CPUs each believing they hold the last reference. A [`SpacePin`] is that
//! reference made explicit: one more user of the address space (`aspace.rs`), taken under the
//! table lock. The page tables go with the last user, and a pin is a user, so they outlive
//! every pin; dropping the pin takes the table lock again, and frees them if it was the last.

use core::marker::PhantomData;

use super::EnvTable;
use crate::addr::PhysAddr;
use crate::aspace::SpaceId;
use crate::cmdline::Switch;
use crate::lockstat::LockReport;
use crate::spinlock::{Rank, SpinGuard, SpinLock};
use crate::{cpu, pmem, tsc, vm};

/// The environment table, behind its own lock: the only way to reach it.
static ENV_TABLE: SpinLock<EnvTable> = SpinLock::new("env table", Rank::EnvTable, EnvTable::new());

/// The table lock, held: the proof a function may touch environments. It cannot leave the CPU
/// that took it (`spinlock.rs`).
pub type EnvGuard = SpinGuard<'static, EnvTable>;

/// Takes the table lock. Hold it for a step on the table, not for a whole system call.
pub fn lock() -> EnvGuard {
    ENV_TABLE.lock()
}

/// Takes the table lock if it is free now, else `None` (`SpinLock::try_lock`).
pub fn try_lock() -> Option<EnvGuard> {
    ENV_TABLE.try_lock()
}

/// Whether this CPU holds the table lock.
pub fn holding_lock() -> bool {
    ENV_TABLE.holding()
}

/// The CPU holding the table lock, if any (for panic messages).
pub fn lock_holder() -> Option<usize> {
    ENV_TABLE.holder()
}

/// The table lock's counts (`lockstat.rs`), for the end-of-run report.
pub fn table_lock_stats() -> LockReport {
    ENV_TABLE.stats()
}

/// On unless the command line says `racewindow=wide`: then every call that works on an address
/// space without the table lock first waits a millisecond after letting go of it. A race
/// between two CPUs here is normally a window of a few hundred instructions, which a test
/// would hit once in a blue moon; a millisecond wide, the tests hit it in every run, and show
/// that the pins hold (and, without the pins, that they are needed).
static NARROW_WINDOW: Switch = Switch::new("racewindow=wide");

/// Reads `racewindow=wide` from the kernel command line.
pub fn read_options(cmdline: &str) {
    NARROW_WINDOW.read(
        cmdline,
        "env: calls on address spaces wait 1 ms without the table lock",
    );
}

/// The wait of `racewindow=wide`, if asked for: call it without the table lock, between
/// finding an address space and using it.
pub fn race_window() {
    if !NARROW_WINDOW.is_on() {
        let end = tsc::deadline_ms(1);
        while !tsc::passed(end) {
            cpu::relax();
        }
    }
}

/// An address space held on to without the table lock: one more user of it, so its page tables
/// stay until the pin goes, even if every environment in it is destroyed meanwhile. It stays on
/// the CPU that took it, like the lock guards it outlives.
pub struct SpacePin {
    space: SpaceId,
    root: PhysAddr,
    _stays_here: PhantomData<*const ()>,
}

impl EnvTable {
    /// Pins the address space of environment `id`, which the caller must be allowed to change
    /// (itself or its child: `lookup` with the permission check).
    pub fn pin_space(&mut self, id: u64) -> Result<SpacePin, abi::Error> {
        let slot = self.lookup(id, true)?;
        Ok(self.pin_slot(slot))
    }

    /// Pins the address space of the live environment in `slot`.
    pub fn pin_slot(&mut self, slot: usize) -> SpacePin {
        let e = &self.envs[slot];
        let space = e
            .space
            .expect("env: a live environment without an address space");
        let root = e.root();
        self.spaces.share(space);
        SpacePin {
            space,
            root,
            _stays_here: PhantomData,
        }
    }
}

impl SpacePin {
    /// The address space.
    pub fn space(&self) -> SpaceId {
        self.space
    }

    /// Its page tables' root, valid for as long as the pin is borrowed.
    pub fn root(&self) -> PhysAddr {
        self.root
    }
}

impl Drop for SpacePin {
    /// Lets go of the address space: takes the table lock (so the caller must not hold it: the
    /// lock panics if it does), and frees the page tables, after the lock, if this pin was the
    /// last user.
    fn drop(&mut self) {
        let last = lock().spaces.release(self.space);
        if last {
            pmem::with(|mem| vm::free_address_space(mem, self.root));
        }
    }
}
