//! Environments: JOS's processes. Each has a saved trap frame, an address space, an id and a
//! status; the kernel keeps all [`NENV`] of them in one table.
//!
//! Life cycle: `alloc` takes a free slot and gives it a fresh address space and id; `create`
//! also loads an ELF program into it; `run` switches to its address space and returns to user
//! mode through its trap frame; `destroy` frees everything it owns and puts the slot back at the
//! front of the free list. Messages follow JOS (`[%08x] new env %08x`, `[%08x] free env %08x`,
//! with the id of the environment current at the time, or 0 for the kernel).

use abi::layout::USTACKTOP;
use abi::{EnvId, NENV};

use crate::addr::PhysAddr;
use crate::addr::VirtAddr;
use crate::aspace::{SpaceId, Spaces};
use crate::cpu;
use crate::envid::{self, FreeList};
use crate::gdt::{USER_CS, USER_DS};
use crate::ipi;
use crate::loader;
pub use crate::loader::CreateError;
use crate::percpu;
use crate::pgtable::NoMemory;
use crate::pmem;
use crate::println;
use crate::sched;
use crate::trapframe::{self, TrapFrame};
use crate::vm;

/// Threads and the switching of address spaces (`env_space.rs`): a part of this module, so that
/// it may use the table's private fields.
#[path = "env_space.rs"]
mod space;

/// What an environment is doing.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EnvStatus {
    /// The slot is unused.
    Free,
    /// Ready to run.
    Runnable,
    /// Running on CPU `cpu`.
    Running { cpu: usize },
    /// Alive but not to be scheduled.
    NotRunnable,
    /// Destroyed while running on another CPU: that CPU frees it when the environment next
    /// enters the kernel (it cannot be freed under that CPU's feet).
    Dying,
    /// Blocked in `sys_ipc_recv` until a message arrives; a page, if one comes, goes at `dstva`
    /// (`ipc.rs`).
    Receiving { dstva: Option<VirtAddr> },
}

/// One environment.
pub struct Env {
    /// The user registers, saved on every trap.
    pub tf: TrapFrame,
    /// Its id (0 while the slot is free).
    pub id: EnvId,
    /// Who created it (0 for the kernel).
    pub parent: EnvId,
    /// What it is doing.
    pub status: EnvStatus,
    /// Its PML4, while it has an address space.
    pub root: Option<PhysAddr>,
    /// Its address space, which its threads share (`aspace.rs`).
    pub space: Option<SpaceId>,
    /// How many times it has been run.
    pub runs: u32,
    /// Where its page faults go (`pgfault.rs`); 0 for none.
    pub pgfault_upcall: u64,
}

impl Env {
    const FREE: Env = Env {
        tf: TrapFrame::ZERO,
        id: 0,
        parent: 0,
        status: EnvStatus::Free,
        root: None,
        space: None,
        runs: 0,
        pgfault_upcall: 0,
    };

    /// Its address space; panics for a free slot, which has none.
    pub fn root(&self) -> PhysAddr {
        self.root
            .expect("env: a live environment without an address space")
    }
}

/// The environment table.
pub struct EnvTable {
    envs: [Env; NENV],
    free: FreeList,
    /// The address spaces the environments use.
    spaces: Spaces,
}

impl EnvTable {
    /// Every slot free.
    const fn new() -> EnvTable {
        EnvTable {
            envs: [const { Env::FREE }; NENV],
            free: FreeList::new(),
            spaces: Spaces::empty(),
        }
    }
}

/// The table has a lock of its own now, and there are pins on address spaces (`env_lock.rs`).
#[path = "env_lock.rs"]
mod lock;
pub use lock::{
    EnvGuard, SpacePin, holding_lock, lock, lock_holder, race_window, read_options,
    table_lock_stats, try_lock,
};

impl EnvTable {
    /// The slot this CPU is running, if any.
    pub fn current(&self) -> Option<usize> {
        percpu::this().current_env.get()
    }

    /// Makes `slot` the one this CPU is running.
    fn set_current(&mut self, slot: Option<usize>) {
        percpu::this().current_env.set(slot);
    }

    /// The id of the environment this CPU is running, or 0 (the kernel).
    pub fn current_id(&self) -> EnvId {
        self.current().map_or(0, |i| self.envs[i].id)
    }

    /// The environment in `slot`.
    pub fn get(&self, slot: usize) -> &Env {
        &self.envs[slot]
    }

    /// The environment in `slot`, for changing.
    pub fn get_mut(&mut self, slot: usize) -> &mut Env {
        &mut self.envs[slot]
    }

    /// The slots, in order, with their environments.
    pub fn iter(&self) -> impl Iterator<Item = (usize, &Env)> {
        self.envs.iter().enumerate()
    }

    /// The slot of the live environment `id` (0 = the current one). With `check_perm`, only the
    /// current environment itself or its parent may name it (JOS's `envid2env`).
    pub fn lookup(&self, id: u64, check_perm: bool) -> Result<usize, abi::Error> {
        // An id is 32 bits; a wider number is no id (and must not name one by truncation).
        let id = EnvId::try_from(id).map_err(|_| abi::Error::BadEnv)?;
        let cur = self
            .current()
            .expect("env: lookup with no current environment");
        if id == 0 {
            return Ok(cur);
        }
        let slot = envid::index_of(id);
        let e = &self.envs[slot];
        // A dying environment is as good as gone: nothing may act on it any more (a second
        // destroy would free it under the CPU still running it).
        if matches!(e.status, EnvStatus::Free | EnvStatus::Dying) || e.id != id {
            return Err(abi::Error::BadEnv);
        }
        if check_perm && slot != cur && e.parent != self.envs[cur].id {
            return Err(abi::Error::BadEnv);
        }
        Ok(slot)
    }

    /// Takes a free slot and sets up an environment in it with an empty user address space,
    /// not yet runnable. Prints `[parent] new env id`.
    pub fn alloc(&mut self, parent: EnvId) -> Result<usize, CreateError> {
        let slot = self.free.pop().ok_or(CreateError::NoFreeEnv)?;
        let root = match pmem::with(vm::new_address_space) {
            Ok(root) => root,
            Err(NoMemory) => {
                self.free.push_front(slot);
                return Err(CreateError::NoMemory);
            }
        };
        self.set_up(slot, parent, root);
        self.envs[slot].space = Some(self.spaces.create());
        Ok(slot)
    }

    /// Makes slot `slot` a new environment of `parent`'s in the address space `root`, not
    /// yet runnable, with registers for a start at the top of the user stack. Prints `[parent]
    /// new env id`.
    fn set_up(&mut self, slot: usize, parent: EnvId, root: PhysAddr) {
        let creator = self.current_id();
        let e = &mut self.envs[slot];
        e.id = envid::next_id(e.id, slot);
        e.parent = parent;
        e.status = EnvStatus::NotRunnable;
        e.root = Some(root);
        e.runs = 0;
        e.pgfault_upcall = 0;
        e.tf = TrapFrame {
            cs: u64::from(USER_CS),
            ss: u64::from(USER_DS),
            rsp: USTACKTOP,
            // Interrupts on in user mode (bit 1 is always set).
            rflags: 0x2 | trapframe::RFLAGS_IF,
            ..TrapFrame::default()
        };
        println!("[{:08x}] new env {:08x}", creator, e.id);
    }

    /// Creates a runnable environment running the ELF program `binary` (JOS's `env_create`).
    pub fn create(&mut self, binary: &[u8]) -> Result<EnvId, CreateError> {
        let slot = self.alloc(0)?;
        let root = self.envs[slot].root();
        match pmem::with(|mem| loader::load_program(mem, root, binary)) {
            Ok(entry) => {
                let e = &mut self.envs[slot];
                e.tf.rip = entry;
                e.status = EnvStatus::Runnable;
                Ok(e.id)
            }
            Err(err) => {
                self.free(slot);
                Err(err)
            }
        }
    }

    /// Frees the environment in `slot` and everything it owns (JOS's `env_free`).
    pub fn free(&mut self, slot: usize) {
        let id = self.envs[slot].id;
        println!("[{:08x}] free env {:08x}", self.current_id(), id);
        if let Some(root) = self.envs[slot].root.take() {
            // Never free the page tables the CPU is using.
            if self.current() == Some(slot) {
                self.switch_space(None);
            }
            // The page tables go with the address space's last environment.
            let space = self.envs[slot].space.take().expect("env: no address space");
            if self.spaces.release(space) {
                pmem::with(|mem| vm::free_address_space(mem, root));
            }
        }
        self.envs[slot].status = EnvStatus::Free;
        self.free.push_front(slot);
    }

    /// Destroys the environment in `slot` (JOS's `env_destroy`). If it is the current one, the
    /// CPU has no current environment afterwards and must schedule another.
    pub fn destroy(&mut self, slot: usize) {
        if let EnvStatus::Running { cpu } = self.envs[slot].status
            && cpu != cpu::id()
        {
            self.envs[slot].status = EnvStatus::Dying;
            // Make it enter the kernel now: it may never do so by itself (a loop, and no tick
            // with `preempt=off`), and until it does, it runs and keeps its memory.
            ipi::send(cpu, ipi::KICK);
            return;
        }
        self.free(slot);
        if self.current() == Some(slot) {
            self.set_current(None);
        }
    }
}

/// This CPU stops running environments for now (it goes idle), and lets go of the big kernel
/// lock: it forgets its current environment, which another CPU may run or free meanwhile, and
/// switches to the kernel's own page tables, since the environment's may be freed while this
/// CPU sleeps on them.
pub fn leave_current(mut envs: EnvGuard) {
    envs.set_current(None);
    envs.switch_space(None);
}

/// Runs the environment in `slot` on this CPU: makes it current and running, switches to its
/// address space, and returns to user mode through its saved frame (JOS's `env_run`).
pub fn run(mut envs: EnvGuard, slot: usize) -> ! {
    // Choosing an environment and marking it running are one step under the table lock, so an
    // environment running elsewhere is never chosen; if it were, two CPUs would run it.
    if let EnvStatus::Running { cpu } = envs.envs[slot].status
        && cpu != cpu::id()
    {
        let id = envs.envs[slot].id;
        panic!(
            "env: CPU {} chose {id:08x}, which runs on CPU {cpu}",
            cpu::id()
        );
    }
    if let Some(cur) = envs.current()
        && cur != slot
        && matches!(envs.envs[cur].status, EnvStatus::Running { .. })
    {
        envs.envs[cur].status = EnvStatus::Runnable;
    }
    envs.set_current(Some(slot));
    sched::count_run();
    let e = &mut envs.envs[slot];
    e.status = EnvStatus::Running { cpu: cpu::id() };
    e.runs += 1;
    e.tf.rflags = trapframe::user_rflags(e.tf.rflags);
    // The frame is copied to this stack: the table may change once the lock is dropped.
    let frame = e.tf;
    envs.switch_space(Some(slot));
    drop(envs);
    trapframe::pop_frame(&frame)
}
