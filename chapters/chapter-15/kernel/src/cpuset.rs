//! Sets of CPUs: the targets of an IPI or a cross-call, and (chapter 13) the CPUs that have an
//! address space loaded. One bit per CPU number, so a set is a `u64` and costs nothing to copy.
#![deny(unsafe_code)]

use crate::cpu::MAX_CPUS;

/// A set of CPU numbers, one bit each.
#[derive(Clone, Copy, Default, PartialEq, Eq, Debug)]
pub struct CpuSet(u64);
const _: () = assert!(MAX_CPUS <= 64, "cpuset: a CpuSet holds 64 CPUs");

impl CpuSet {
    /// No CPU.
    pub const EMPTY: CpuSet = CpuSet(0);

    /// The set with `cpu` added.
    pub fn with(self, cpu: usize) -> CpuSet {
        assert!(cpu < MAX_CPUS, "cpuset: no CPU {cpu}");
        CpuSet(self.0 | 1 << cpu)
    }

    /// The set without `cpu`.
    pub fn without(self, cpu: usize) -> CpuSet {
        CpuSet(self.0 & !(1 << cpu))
    }

    /// Whether `cpu` is in the set.
    pub fn contains(self, cpu: usize) -> bool {
        cpu < MAX_CPUS && self.0 & 1 << cpu != 0
    }

    /// Whether the set is empty.
    pub fn is_empty(self) -> bool {
        self.0 == 0
    }

    /// The CPUs in the set, in increasing order.
    pub fn iter(self) -> impl Iterator<Item = usize> {
        (0..MAX_CPUS).filter(move |&c| self.contains(c))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn adds_removes_and_lists() {
        let s = CpuSet::EMPTY.with(3).with(0).with(3);
        assert_eq!(s.iter().collect::<Vec<_>>(), [0, 3]);
        assert!(s.contains(0) && s.contains(3) && !s.contains(1));
        assert_eq!(s.without(3).without(5), CpuSet::EMPTY.with(0));
        assert_eq!(s.without(0).without(3), CpuSet::EMPTY);
        assert!(!s.contains(MAX_CPUS + 1));
    }
}
