//! A lock-heavy workload, for the kernel's lock statistics (`lockstat.rs`): environments fork
//! (copy-on-write), send one another messages, yield, fault on copy-on-write pages, map and
//! unmap pages, and destroy one another, on every CPU at once. Each of those is a system call or
//! a fault, and each takes the kernel's locks.
//!
//! Options (`user::options`): `lockstress.ops=N` (default 2000), `lockstress.seed=S` (default
//! 1), `lockstress.workers=W` (default 8). The first environment forks W workers and waits for
//! each to report. A worker makes its share of the N operations, each drawn from its own seeded
//! generator, so a seed always makes the same choices (the CPUs' interleaving still varies):
//! yield; fork a child into one of its [`SLOTS`]; send a child a message; destroy a child; or
//! map, write and unmap a page of its own. A child waits for messages: each makes it write to
//! one of its copy-on-write pages and yield, and 0 makes it exit.
//!
//! Every environment ends. Children never fork (a child destroyed in the middle of a fork
//! would leave its half-made child behind, never runnable) and never send (so no two
//! environments can wait for each other); a blocking send to a child always ends, since the
//! child is back in `ipc_recv` soon or gone (`BadEnv`). A worker ends its children before it
//! reports, with a 0 or by destroying them. At the end the first environment prints
//! `lockstress: N operations by M environments in T ticks`, T timed with the TSC.
#![no_std]
#![no_main]

use core::sync::atomic::{AtomicU8, Ordering};

use abi::{EnvId, Error, PGSIZE, perm};
use user::fork::fork;
use user::fuzzargs::{Rng, SCRATCH};
use user::ipc::{ipc_recv, ipc_send};
use user::println;
use user::syscall::{sys_env_destroy, sys_getenvid, sys_page_alloc, sys_page_unmap, sys_yield};
use user::tsc::rdtsc;

user::main!(umain);

/// The children a worker keeps at once.
const SLOTS: usize = 4;
/// The tag of a worker's report, in its top 16 bits (forks in bits 24-47, operations below).
const DONE: u64 = 0x10c5;
/// What a child writes to: pages shared copy-on-write with its worker until it does.
static TOUCHED: [AtomicU8; 4 * PGSIZE as usize] = [const { AtomicU8::new(0) }; 4 * PGSIZE as usize];

fn umain() {
    let ops = user::options::number("lockstress.ops").unwrap_or(2000);
    let seed = user::options::number("lockstress.seed").unwrap_or(1);
    let workers = user::options::number("lockstress.workers")
        .unwrap_or(8)
        .clamp(1, 32);
    println!("lockstress: seed {seed}, {ops} operations, {workers} workers");
    let start = rdtsc();
    let mut rng = Rng::new(seed);
    let first = sys_getenvid();
    for w in 0..workers {
        let worker_seed = rng.word();
        let share = ops / workers + u64::from(w < ops % workers);
        match fork() {
            Ok(0) => return Worker::new(worker_seed).run(share, first),
            Ok(_) => {}
            Err(e) => panic!("lockstress: fork: {e}"),
        }
    }
    let (mut done, mut total, mut envs) = (0, 0, 1 + workers);
    while done < workers {
        let m = ipc_recv().unwrap_or_else(|e| panic!("lockstress: ipc_recv: {e}"));
        if m.value >> 48 != DONE {
            panic!(
                "lockstress: a stray message {:#x} from {:08x}",
                m.value, m.from
            );
        }
        done += 1;
        total += m.value & 0xff_ffff;
        envs += (m.value >> 24) & 0xff_ffff;
    }
    let ticks = rdtsc() - start;
    println!("lockstress: {total} operations by {envs} environments in {ticks} ticks");
}

/// One worker: its generator, its children, and what it has done.
struct Worker {
    rng: Rng,
    children: [EnvId; SLOTS],
    ops: u64,
    forks: u64,
}

impl Worker {
    fn new(seed: u64) -> Worker {
        Worker {
            rng: Rng::new(seed),
            children: [0; SLOTS],
            ops: 0,
            forks: 0,
        }
    }

    /// Makes `ops` operations, ends its children, reports to `first` and returns (exits).
    fn run(mut self, ops: u64, first: EnvId) {
        while self.ops < ops {
            self.one_op();
            self.ops += 1;
        }
        for slot in 0..SLOTS {
            if self.rng.below(2) == 0 {
                self.send(slot, 0);
            }
            self.destroy(slot);
        }
        let report = DONE << 48 | self.forks << 24 | self.ops;
        ipc_send(first, report).unwrap_or_else(|e| panic!("lockstress: report: {e}"));
    }

    fn one_op(&mut self) {
        let slot = self.rng.below(SLOTS as u64) as usize;
        match self.rng.below(100) {
            0..25 => sys_yield(),
            25..45 => self.fork_child(slot),
            45..75 => {
                let value = 1 + self.rng.below(1000);
                self.send(slot, value);
            }
            75..85 => self.destroy(slot),
            _ => self.map_and_unmap(),
        }
    }

    /// Forks a child into `slot`, destroying the child there first.
    fn fork_child(&mut self, slot: usize) {
        self.destroy(slot);
        match fork() {
            Ok(0) => child(),
            Ok(id) => {
                self.children[slot] = id;
                self.forks += 1;
            }
            // The table or memory is full: the operation did nothing, which is allowed.
            Err(Error::NoFreeEnv | Error::NoMem) => {}
            Err(e) => panic!("lockstress: fork: {e}"),
        }
    }

    /// Sends `value` to the child in `slot`, if there is one (0 tells it to exit).
    fn send(&mut self, slot: usize, value: u64) {
        let child = self.children[slot];
        if child == 0 {
            return;
        }
        match ipc_send(child, value) {
            Ok(()) if value != 0 => {}
            // Gone (it exited, or a fault killed it), or told to go.
            Ok(()) | Err(Error::BadEnv) => self.children[slot] = 0,
            Err(e) => panic!("lockstress: ipc_send: {e}"),
        }
    }

    /// Destroys the child in `slot`, if there is one.
    fn destroy(&mut self, slot: usize) {
        let child = core::mem::take(&mut self.children[slot]);
        if child != 0 {
            match sys_env_destroy(child) {
                Ok(()) | Err(Error::BadEnv) => {}
                Err(e) => panic!("lockstress: destroy: {e}"),
            }
        }
    }

    /// Maps a fresh page in its own address space, writes to it and unmaps it.
    fn map_and_unmap(&mut self) {
        let page = SCRATCH + PGSIZE * self.rng.below(8);
        // SAFETY: nothing of this program's lives in `SCRATCH`, so the page replaces nothing
        // and no reference into it outlives the unmap.
        unsafe {
            if sys_page_alloc(0, page, perm::P | perm::U | perm::W).is_ok() {
                (page as *mut u64).write_volatile(self.ops);
                sys_page_unmap(0, page).expect("lockstress: sys_page_unmap");
            }
        }
    }
}

/// A child: writes and yields for each message, until a 0 (or its destruction).
fn child() -> ! {
    loop {
        let m = ipc_recv().unwrap_or_else(|e| panic!("lockstress: child: ipc_recv: {e}"));
        if m.value == 0 {
            user::exit();
        }
        // A page picked by the value: its first write copies it (a copy-on-write fault).
        let byte = &TOUCHED[(m.value * 1031) as usize % TOUCHED.len()];
        byte.store(
            byte.load(Ordering::Relaxed).wrapping_add(1),
            Ordering::Relaxed,
        );
        sys_yield();
    }
}
