//! Environments and address spaces (chapter 13): threads, which share one, and the one way a
//! CPU changes the address space it has loaded, which keeps `aspace.rs`'s record true.

use super::{CreateError, EnvTable};
use crate::aspace::SpaceId;
use crate::cpuset::CpuSet;
use crate::{percpu, vm};

impl EnvTable {
    /// Takes a free slot for a thread of the environment in `cur`: an environment of its own
    /// (registers, id, status) in `cur`'s address space, not yet runnable.
    pub fn alloc_thread(&mut self, cur: usize) -> Result<usize, CreateError> {
        let (parent, root) = (self.envs[cur].id, self.envs[cur].root());
        let space = self.envs[cur]
            .space
            .expect("env: a live environment without a space");
        let slot = self.free.pop().ok_or(CreateError::NoFreeEnv)?;
        self.set_up(slot, parent, root);
        self.spaces.share(space);
        self.envs[slot].space = Some(space);
        Ok(slot)
    }

    /// Loads the address space of the environment in `slot` on this CPU (`None`: the kernel's
    /// own page tables), and records the switch (`aspace.rs`), so that the record of which
    /// CPUs have which space loaded stays true.
    pub(super) fn switch_space(&mut self, slot: Option<usize>) {
        let me = percpu::this();
        let to = slot.map(|s| (self.envs[s].space.expect("env: no address space"), s));
        self.spaces
            .switch(me.id(), me.loaded_space.get(), to.map(|(space, _)| space));
        me.loaded_space.set(to.map(|(space, _)| space));
        vm::switch_to(to.map_or_else(vm::kernel_root, |(_, s)| self.envs[s].root()));
    }

    /// The CPUs that have the address space `space` loaded.
    pub fn loaded_on(&self, space: SpaceId) -> CpuSet {
        self.spaces.loaded_on(space)
    }
}
