//! Address spaces that several environments share: the bookkeeping that threads need.
//!
//! Until chapter 13 every environment had an address space of its own, made with it and freed
//! with it. A *thread* is an environment that shares its creator's address space: its own
//! registers and stack, the same page tables. So an address space becomes an object of its
//! own, with two facts to keep:
//!
//! - **how many environments use it.** It lives until the last of them is freed, and only
//!   then are its page tables and pages freed;
//! - **which CPUs have it loaded** (their CR3 points at its root). Only those CPUs can hold its
//!   translations in their TLBs, so only they need to hear of a change to its mappings
//!   (`shootdown.rs`). Switching CR3 flushes the old space's translations from the TLB (the
//!   kernel uses no PCIDs and no global user pages), so a CPU leaves the set when it switches
//!   away.
//!
//! The table lives in the environment table, under its lock, like everything it
//! describes. The page tables themselves hang off the root each environment records
//! (`Env::root`); this file only counts and records.
#![deny(unsafe_code)]

use abi::NENV;

use crate::cpuset::CpuSet;

/// Which address space: an index into [`Spaces`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SpaceId(usize);

/// One address space's facts.
#[derive(Clone, Copy)]
struct Space {
    /// The environments using it; 0 when the entry is free.
    users: u32,
    /// The CPUs that have it loaded.
    loaded: CpuSet,
}

/// Every address space. There are as many entries as environment slots: each environment
/// uses one address space, so there can never be more spaces in use than environments.
pub struct Spaces {
    spaces: [Space; NENV],
}

impl Spaces {
    /// No address space in use.
    pub const fn empty() -> Spaces {
        Spaces {
            spaces: [Space {
                users: 0,
                loaded: CpuSet::EMPTY,
            }; NENV],
        }
    }

    /// Records a new address space, used by one environment.
    pub fn create(&mut self) -> SpaceId {
        let free = self.spaces.iter().position(|s| s.users == 0);
        let index = free.expect("aspace: more address spaces than environments");
        self.spaces[index] = Space {
            users: 1,
            loaded: CpuSet::EMPTY,
        };
        SpaceId(index)
    }

    /// One more environment uses `id` (a new thread).
    pub fn share(&mut self, id: SpaceId) {
        let space = self.live(id);
        space.users += 1;
    }

    /// An environment stops using `id`. Returns whether it was the last: then the caller frees
    /// the page tables. No CPU may have a space loaded when its last user goes (a CPU switches
    /// away before it frees the environment it ran, and never runs a freed one).
    pub fn release(&mut self, id: SpaceId) -> bool {
        let space = self.live(id);
        space.users -= 1;
        if space.users > 0 {
            return false;
        }
        assert!(
            space.loaded.is_empty(),
            "aspace: address space {} freed while CPUs {:?} have it loaded",
            id.0,
            space.loaded
        );
        true
    }

    /// The entry of a space in use.
    fn live(&mut self, id: SpaceId) -> &mut Space {
        let space = &mut self.spaces[id.0];
        assert!(
            space.users > 0,
            "aspace: address space {} is not in use",
            id.0
        );
        space
    }

    /// CPU `cpu` switches from address space `from` to `to` (`None`: the kernel's own page
    /// tables, which belong to no environment).
    pub fn switch(&mut self, cpu: usize, from: Option<SpaceId>, to: Option<SpaceId>) {
        if let Some(from) = from {
            let space = self.live(from);
            space.loaded = space.loaded.without(cpu);
        }
        if let Some(to) = to {
            let space = self.live(to);
            space.loaded = space.loaded.with(cpu);
        }
    }

    /// The CPUs that have `id` loaded.
    pub fn loaded_on(&self, id: SpaceId) -> CpuSet {
        self.spaces[id.0].loaded
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lives_until_its_last_user_goes() {
        let mut spaces = Spaces::empty();
        let a = spaces.create();
        spaces.share(a);
        spaces.share(a);
        assert!(!spaces.release(a));
        assert!(!spaces.release(a));
        assert!(spaces.release(a));
        // Its entry is free again: the next space may reuse it.
        assert_eq!(spaces.create(), a);
    }

    #[test]
    fn records_which_cpus_have_it_loaded() {
        let mut spaces = Spaces::empty();
        let (a, b) = (spaces.create(), spaces.create());
        assert_ne!(a, b);
        spaces.switch(0, None, Some(a));
        spaces.switch(2, None, Some(a));
        assert_eq!(spaces.loaded_on(a), CpuSet::EMPTY.with(0).with(2));
        spaces.switch(2, Some(a), Some(b));
        spaces.switch(0, Some(a), None);
        assert_eq!(spaces.loaded_on(a), CpuSet::EMPTY);
        assert_eq!(spaces.loaded_on(b), CpuSet::EMPTY.with(2));
    }

    #[test]
    #[should_panic(expected = "freed while CPUs")]
    fn freeing_a_loaded_space_panics() {
        let mut spaces = Spaces::empty();
        let a = spaces.create();
        spaces.switch(1, None, Some(a));
        spaces.release(a);
    }

    #[test]
    #[should_panic(expected = "is not in use")]
    fn sharing_a_free_space_panics() {
        let mut spaces = Spaces::empty();
        let a = spaces.create();
        spaces.release(a);
        spaces.share(a);
    }
}
