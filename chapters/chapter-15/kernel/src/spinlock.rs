//! Spinlocks that own their data, know which CPU holds them, and keep interrupts off while held.
//!
//! The data a lock protects lives *inside* the lock: the only way to reach it is the guard that
//! `lock` returns, so "touches shared state" and "holds the lock" are the same thing to the
//! compiler. The guard is neither `Send` nor `Sync` (a raw-pointer marker): a lock taken on one
//! CPU must be released on the same CPU, and a guard that travelled would release someone
//! else's lock. The lock records its holder's CPU number, so "held by this CPU" can be asked
//! ([`SpinLock::holding`]) and a CPU that tries to take a lock it already holds gets a panic
//! naming the lock instead of spinning forever.
//!
//! It is a ticket lock: a CPU takes the next ticket and waits until the lock serves it, so CPUs
//! get the lock in the order they asked. A plain test-and-set lock lets the CPU that just
//! released it win again and again (it is already running, its cache line is warm): under QEMU,
//! a CPU that releases the big kernel lock on its way to user mode and takes it again at its
//! next system call can starve another CPU for a whole run.
//!
//! While a CPU holds a spinlock, an interrupt handler that wanted the same lock would spin
//! forever on that CPU, so `lock` first turns interrupts off (`cpu::IrqOff`) and the guard turns
//! them back on, as they were, after releasing the lock.
//!
//! The lock order is [`Rank`]: a CPU holding a lock may take only locks of a later rank. Two
//! CPUs that took two locks in opposite orders could each wait for the other forever; with one
//! order, that cannot happen. Every lock has its rank, each CPU keeps the ranks it holds, and
//! taking a lock out of order panics with both locks' names, so an ordering mistake is found by
//! the first run that makes it, not by a hang that needs the unlucky timing.
//!
//! Compiled on the host too (with a stand-in `cpu` module), for the unit tests and the
//! trybuild tests of the type rules.

use core::cell::UnsafeCell;
use core::marker::PhantomData;
use core::ops::{Deref, DerefMut};
use core::sync::atomic::{AtomicU32, AtomicUsize, Ordering};

use crate::cpu;
use crate::lockstat::{LockReport, LockStats, Wait};
use crate::tsc;

/// The lock order, outermost first: a CPU that holds a lock may take only locks of a later
/// rank. (The console's lock is not a `SpinLock`, see `console.rs`; it is always innermost.)
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Rank {
    /// The environment table (`env_lock.rs`): taken first, and held for one step on the table.
    EnvTable,
    /// The MMIO window's next free address (`vm.rs`); mapping device registers needs frames.
    MmioWindow,
    /// The frame table (`pmem.rs`): page tables and frame counts, taken last.
    Frames,
}

impl Rank {
    /// The ranks, in order.
    const ALL: [Rank; 3] = [Rank::EnvTable, Rank::MmioWindow, Rank::Frames];

    /// This rank's bit in a CPU's set of held ranks.
    fn bit(self) -> u32 {
        1 << self as u32
    }
}

/// The holder of a free lock.
const FREE: usize = usize::MAX;

/// A spinlock owning a `T`.
pub struct SpinLock<T> {
    name: &'static str,
    /// Its place in the lock order.
    rank: Rank,
    /// The next ticket to hand out.
    next_ticket: AtomicU32,
    /// The ticket being served: its owner holds the lock.
    serving: AtomicU32,
    /// The number of the CPU holding the lock, or `FREE` (for checks and messages).
    holder: AtomicUsize,
    /// How often it was taken, and waited for.
    stats: LockStats,
    data: UnsafeCell<T>,
}

// SAFETY: the lock hands out the data to one holder at a time, so sharing the lock between CPUs
// is sound whenever the data itself may move between CPUs.
unsafe impl<T: Send> Sync for SpinLock<T> {}

/// Proof that this CPU holds a [`SpinLock`], and access to its data. Stays on this CPU.
pub struct SpinGuard<'a, T> {
    lock: &'a SpinLock<T>,
    /// Restores the interrupt flag after the lock is released (fields drop after `drop`).
    _irq: cpu::IrqOff,
    _stays_here: PhantomData<*const ()>,
}

impl<T> SpinLock<T> {
    /// A free lock called `name`, of rank `rank`, around `data`.
    pub const fn new(name: &'static str, rank: Rank, data: T) -> SpinLock<T> {
        SpinLock {
            name,
            rank,
            next_ticket: AtomicU32::new(0),
            serving: AtomicU32::new(0),
            holder: AtomicUsize::new(FREE),
            stats: LockStats::new(),
            data: UnsafeCell::new(data),
        }
    }

    /// Takes the lock, waiting for its turn. Panics if this CPU holds it already, or holds a
    /// lock that comes after it in the lock order.
    pub fn lock(&self) -> SpinGuard<'_, T> {
        let irq = self.prepare();
        let ticket = self.next_ticket.fetch_add(1, Ordering::Relaxed);
        // The first look counts nothing: a free lock costs what it cost before the statistics.
        let wait = (self.serving.load(Ordering::Acquire) != ticket).then(|| self.wait_for(ticket));
        let guard = self.acquired(irq);
        self.stats.count(wait);
        guard
    }

    /// Spins until the lock serves `ticket`, and says how long that took.
    fn wait_for(&self, ticket: u32) -> Wait {
        let start = tsc::now();
        let mut spins = 0;
        while self.serving.load(Ordering::Acquire) != ticket {
            cpu::relax();
            spins += 1;
        }
        Wait {
            spins,
            ticks: tsc::now().wrapping_sub(start),
        }
    }

    /// The lock's counts so far, under its name (for the end-of-run report).
    pub fn stats(&self) -> LockReport {
        self.stats.read(self.name)
    }

    /// Takes the lock if it is free at this moment, and otherwise returns `None` at once,
    /// without taking a ticket: for a CPU that only wants to look (an idle CPU), which must
    /// never make the CPUs with work queue behind it.
    pub fn try_lock(&self) -> Option<SpinGuard<'_, T>> {
        let irq = self.prepare();
        // Free means every ticket handed out has been served: take the next one only if it is
        // the one being served.
        let serving = self.serving.load(Ordering::Acquire);
        self.next_ticket
            .compare_exchange(
                serving,
                serving.wrapping_add(1),
                Ordering::Relaxed,
                Ordering::Relaxed,
            )
            .ok()?;
        let guard = self.acquired(irq);
        self.stats.count(None);
        Some(guard)
    }

    /// What comes before taking the lock: interrupts off, and the checks that this CPU may
    /// take it (it does not hold it already, nor a lock later in the order).
    fn prepare(&self) -> cpu::IrqOff {
        let irq = cpu::IrqOff::disable();
        if self.holder.load(Ordering::Relaxed) == cpu::id() {
            panic!(
                "spinlock {}: CPU {} takes it again while holding it",
                self.name,
                cpu::id()
            );
        }
        self.check_order();
        irq
    }

    /// The lock is this CPU's: records it, and hands out the guard.
    fn acquired(&self, irq: cpu::IrqOff) -> SpinGuard<'_, T> {
        self.holder.store(cpu::id(), Ordering::Relaxed);
        cpu::set_held_ranks(cpu::held_ranks() | self.rank.bit());
        SpinGuard {
            lock: self,
            _irq: irq,
            _stays_here: PhantomData,
        }
    }

    /// Panics if this CPU holds a lock of this lock's rank or a later one.
    fn check_order(&self) {
        let held = cpu::held_ranks();
        if let Some(later) = Rank::ALL[self.rank as usize..]
            .iter()
            .find(|r| held & r.bit() != 0)
        {
            panic!(
                "spinlock {}: lock order: taken while CPU {} holds a {later:?} lock (the order is {:?})",
                self.name,
                cpu::id(),
                Rank::ALL
            );
        }
    }

    /// Whether the running CPU holds the lock.
    pub fn holding(&self) -> bool {
        self.holder.load(Ordering::Relaxed) == cpu::id()
    }

    /// The CPU holding the lock, if any (for debugging messages).
    pub fn holder(&self) -> Option<usize> {
        let h = self.holder.load(Ordering::Relaxed);
        (h != FREE).then_some(h)
    }
}

impl<T> Deref for SpinGuard<'_, T> {
    type Target = T;

    fn deref(&self) -> &T {
        // SAFETY: the guard exists only while this CPU holds the lock, so no one else has the data.
        unsafe { &*self.lock.data.get() }
    }
}

impl<T> DerefMut for SpinGuard<'_, T> {
    fn deref_mut(&mut self) -> &mut T {
        // SAFETY: as in `deref`, and `&mut self` makes this the only borrow through the guard.
        unsafe { &mut *self.lock.data.get() }
    }
}

impl<T> Drop for SpinGuard<'_, T> {
    fn drop(&mut self) {
        assert!(
            self.lock.holder.load(Ordering::Relaxed) == cpu::id(),
            "spinlock {}: released by a CPU that does not hold it",
            self.lock.name
        );
        self.lock.holder.store(FREE, Ordering::Relaxed);
        cpu::set_held_ranks(cpu::held_ranks() & !self.lock.rank.bit());
        self.lock.serving.fetch_add(1, Ordering::Release);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;

    #[test]
    fn excludes_other_cpus() {
        let lock = Arc::new(SpinLock::new("counter", Rank::Frames, 0u64));
        let threads: Vec<_> = (0..4)
            .map(|_| {
                let lock = Arc::clone(&lock);
                std::thread::spawn(move || {
                    for _ in 0..10_000 {
                        *lock.lock() += 1;
                    }
                })
            })
            .collect();
        for t in threads {
            t.join().unwrap();
        }
        assert_eq!(*lock.lock(), 40_000);
    }

    #[test]
    fn knows_its_holder() {
        let lock = SpinLock::new("x", Rank::Frames, ());
        assert_eq!(lock.holder(), None);
        let guard = lock.lock();
        assert!(lock.holding());
        assert_eq!(lock.holder(), Some(cpu::id()));
        drop(guard);
        assert!(!lock.holding());
    }

    #[test]
    #[should_panic(expected = "spinlock big: CPU")]
    fn taking_it_twice_on_one_cpu_panics() {
        let lock = SpinLock::new("big", Rank::EnvTable, ());
        let _a = lock.lock();
        let _b = lock.lock();
    }

    #[test]
    fn try_lock_takes_only_a_free_lock() {
        let lock = Arc::new(SpinLock::new("x", Rank::Frames, ()));
        let held = lock.lock();
        let other = Arc::clone(&lock);
        let got = std::thread::spawn(move || other.try_lock().is_some());
        assert!(!got.join().unwrap(), "try_lock took a held lock");
        drop(held);
        let again = lock.try_lock();
        assert!(again.is_some() && lock.holding());
        drop(again);
        // It queued for nothing: an ordinary lock still gets its turn at once.
        drop(lock.lock());
    }

    #[test]
    fn counts_acquisitions_and_waits() {
        let lock = Arc::new(SpinLock::new("x", Rank::Frames, ()));
        // A round: another thread takes a ticket while this one holds the lock. If it only
        // looked after the release, it found its turn come at once and did not wait: again.
        let mut rounds = 0;
        while lock.stats().waited == 0 && rounds < 100 {
            rounds += 1;
            let held = lock.lock();
            let other = Arc::clone(&lock);
            let waiter = std::thread::spawn(move || drop(other.lock()));
            while lock.next_ticket.load(Ordering::Relaxed) != 2 * rounds {
                std::thread::yield_now();
            }
            std::thread::sleep(std::time::Duration::from_millis(1));
            drop(held);
            waiter.join().unwrap();
        }
        let s = lock.stats();
        assert_eq!((s.name, s.taken, s.waited), ("x", u64::from(2 * rounds), 1));
        assert!(s.spins >= 1 && s.ticks > 0, "{s}");
    }

    #[test]
    fn locks_in_order_are_fine() {
        let outer = SpinLock::new("outer", Rank::EnvTable, ());
        let inner = SpinLock::new("inner", Rank::Frames, ());
        let a = outer.lock();
        let b = inner.lock();
        drop(b);
        drop(a);
        // Released: the inner one may now be taken on its own, and the outer after it is let go.
        drop(inner.lock());
        drop(outer.lock());
    }

    #[test]
    #[should_panic(expected = "spinlock outer: lock order: taken while CPU")]
    fn taking_locks_out_of_order_panics() {
        let outer = SpinLock::new("outer", Rank::EnvTable, ());
        let inner = SpinLock::new("inner", Rank::Frames, ());
        let _b = inner.lock();
        let _a = outer.lock();
    }

    #[test]
    #[should_panic(expected = "holds a Frames lock")]
    fn two_locks_of_one_rank_panic() {
        let one = SpinLock::new("one", Rank::Frames, ());
        let two = SpinLock::new("two", Rank::Frames, ());
        let _a = one.lock();
        let _b = two.lock();
    }
}
