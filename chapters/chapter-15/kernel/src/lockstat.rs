//! Lock statistics: how often each spinlock is taken, and how long the CPUs wait for it.
//!
//! Every [`SpinLock`](crate::spinlock::SpinLock) keeps a [`LockStats`]: acquisitions, the
//! acquisitions that had to wait (the lock was not free at the first look), the turns of the
//! spin loop, and the TSC ticks spent in it. The end-of-run report prints them, one line a lock
//! (`sched.rs`), so that chapter 13's big kernel lock can be measured against chapter 14's
//! smaller locks under the same workload (`lockstress`, and `cargo xtask bench`'s `locks`).
//!
//! Counting must not change what it measures. An uncontended acquisition reads the TSC never,
//! and only the holder writes the counters, after it has the lock: the lock itself orders the
//! writes, so a plain load and store of each counter does (no locked instruction, no cache line
//! fought over by CPUs that do not hold the lock). The counters are atomics only so that the
//! report may read them from any CPU.
//!
//! Compiled on the host too, with the spinlock's unit tests.

use core::fmt;
use core::sync::atomic::{AtomicU64, Ordering};

/// What one acquisition that had to wait cost: the spin loop's turns, and the TSC ticks
/// between the first look and the lock's turn.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Wait {
    pub spins: u64,
    pub ticks: u64,
}

/// A lock's counters, written by the lock's holder only.
#[derive(Default)]
pub struct LockStats {
    taken: AtomicU64,
    waited: AtomicU64,
    spins: AtomicU64,
    ticks: AtomicU64,
}

/// Adds `n` to `counter`. Only the lock's holder calls it, so no other CPU writes between the
/// load and the store.
fn add(counter: &AtomicU64, n: u64) {
    counter.store(
        counter.load(Ordering::Relaxed).wrapping_add(n),
        Ordering::Relaxed,
    );
}

impl LockStats {
    /// All zero.
    pub const fn new() -> LockStats {
        LockStats {
            taken: AtomicU64::new(0),
            waited: AtomicU64::new(0),
            spins: AtomicU64::new(0),
            ticks: AtomicU64::new(0),
        }
    }

    /// Counts an acquisition, and the wait before it if there was one. The caller holds the
    /// lock.
    pub fn count(&self, wait: Option<Wait>) {
        add(&self.taken, 1);
        if let Some(w) = wait {
            add(&self.waited, 1);
            add(&self.spins, w.spins);
            add(&self.ticks, w.ticks);
        }
    }

    /// The counts as they are now, under the lock's name `name`.
    pub fn read(&self, name: &'static str) -> LockReport {
        LockReport {
            name,
            taken: self.taken.load(Ordering::Relaxed),
            waited: self.waited.load(Ordering::Relaxed),
            spins: self.spins.load(Ordering::Relaxed),
            ticks: self.ticks.load(Ordering::Relaxed),
        }
    }
}

/// A lock's counts at one moment, as the end-of-run report prints them:
/// `lock frame table: 5210 taken, 12 waited, 340 spins, 80210 ticks waiting`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LockReport {
    pub name: &'static str,
    pub taken: u64,
    pub waited: u64,
    pub spins: u64,
    pub ticks: u64,
}

impl fmt::Display for LockReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "lock {}: {} taken, {} waited, {} spins, {} ticks waiting",
            self.name, self.taken, self.waited, self.spins, self.ticks
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_waits_apart_from_acquisitions() {
        let stats = LockStats::new();
        stats.count(None);
        stats.count(Some(Wait {
            spins: 3,
            ticks: 100,
        }));
        stats.count(Some(Wait { spins: 1, ticks: 7 }));
        let r = stats.read("x");
        assert_eq!((r.taken, r.waited, r.spins, r.ticks), (3, 2, 4, 107));
        assert_eq!(
            r.to_string(),
            "lock x: 3 taken, 2 waited, 4 spins, 107 ticks waiting"
        );
    }
}
