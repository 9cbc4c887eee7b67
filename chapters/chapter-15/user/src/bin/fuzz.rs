//! A system-call fuzzer: seeded random calls with random and boundary arguments, from several
//! environments on several CPUs at once. Nothing it does may make the kernel panic, hang or
//! lose a page; the seed reproduces a run.
//!
//! Options (`user::options`): `fuzz.calls=N` (default 2000), `fuzz.seed=S` (default 1),
//! `fuzz.workers=W` (default 4). The first environment forks W workers, each with its own
//! seed drawn from S, and waits for each to report; each worker makes its share of the N calls,
//! and once, at a random moment, fills the environment table (those calls count apart).
//!
//! A worker must survive its own calls, or the run would stop early. So it aims the calls that
//! can break an environment (destroy, not runnable, a bad upcall, any page at any address) only
//! at its exoforked children, dead ones, other workers, its parent and made-up ids; on itself
//! it maps and unmaps only pages of [`SCRATCH`], which holds none of its memory, and passes
//! other addresses only where the kernel must refuse them. Fully random calls run in
//! *sacrificial* children (a `dumbfork`), which may well kill themselves. The worker destroys every
//! child it made before it reports, so that at the end nothing is left and every page must be
//! free again. Every fork is a `dumbfork`, so a worker never takes a copy-on-write fault, which
//! would kill it when memory runs out: a run with little memory fails only if the kernel does.
#![no_std]
#![no_main]

use core::sync::atomic::{AtomicBool, AtomicU32, Ordering};

use abi::layout::{ULIM, USTACKTOP, UTEXT, UTOP};
use abi::{EnvId, Error, NENV, PGSIZE, Syscall, perm};
use user::dumbfork::dumbfork;
use user::fuzzargs::{Args, MAX_CHILDREN, Rng, SCRATCH, raw_call};
use user::ipc::{Message, ipc_recv, ipc_send};
use user::println;
use user::syscall::sys_getenvid;

user::main!(umain);

/// The tag of a worker's report to the first environment, in the high half (the call count
/// is in the low half).
const DONE: u64 = 0xf022_d0e5;

/// Set in a sacrificial child: one that runs astray into the worker's code stops there.
static SACRIFICED: AtomicBool = AtomicBool::new(false);
/// The calls a sacrificial child makes.
const CHAOS_CALLS: u64 = 16;

fn umain() {
    let calls = user::options::number("fuzz.calls").unwrap_or(2000);
    let seed = user::options::number("fuzz.seed").unwrap_or(1);
    let workers = user::options::number("fuzz.workers")
        .unwrap_or(4)
        .clamp(1, 16);
    println!("fuzz: seed {seed}, {calls} calls, {workers} workers");
    let mut rng = Rng::new(seed);
    let first = sys_getenvid();
    let mut ids = [0; 16];
    for (w, id) in ids.iter_mut().enumerate().take(workers as usize) {
        let worker_seed = rng.word();
        let share = calls / workers + u64::from((w as u64) < calls % workers);
        *id = match dumbfork() {
            Ok(0) => return Worker::new(worker_seed, first).run(share),
            Ok(child) => child,
            Err(e) => panic!("fuzz: fork: {e}"),
        };
    }
    let (mut done, mut total, mut stray) = (0, 0, 0);
    while done < workers {
        let m = ipc_recv().unwrap_or_else(|e| panic!("fuzz: ipc_recv: {e}"));
        let worker = ids.iter_mut().find(|id| **id == m.from);
        if let (Some(id), true) = (worker, m.value >> 32 == DONE) {
            *id = 0;
            done += 1;
            total += m.value & u64::from(u32::MAX);
        } else {
            stray += 1;
        }
    }
    println!("fuzz: done: {total} calls by {workers} workers, seed {seed}; {stray} stray messages");
}

/// One environment's fuzzing: its generator, its children and its counts.
struct Worker {
    args: Args,
    /// Results: index 0 counts successes, index `e` error number `e`, the last any other.
    results: [u64; 8],
    forks: u64,
    /// The calls of [`Worker::fill_the_table`], which count apart from the worker's share.
    filling: u64,
}

impl Worker {
    fn new(seed: u64, parent: EnvId) -> Worker {
        Worker {
            args: Args {
                rng: Rng::new(seed),
                me: sys_getenvid(),
                parent,
                children: [0; MAX_CHILDREN],
                dead: [0; 4],
            },
            results: [0; 8],
            forks: 0,
            filling: 0,
        }
    }

    /// Makes `calls` calls (a few more if a storm ends the last step), destroys its children,
    /// reports and returns (the worker exits).
    fn run(mut self, calls: u64) {
        // Once in each run, at a random moment, the environment table fills up.
        let fill_at = self.args.rng.below(calls.max(1));
        loop {
            let made = self.results.iter().sum::<u64>() - self.filling;
            if made >= calls {
                break;
            }
            if made >= fill_at && self.filling == 0 {
                self.fill_the_table();
            }
            self.one_call();
        }
        for slot in 0..MAX_CHILDREN {
            self.destroy_child(slot);
        }
        let calls = self.results.iter().sum::<u64>();
        stop_if_sacrificed();
        let [ok, unknown, env, inval, mem, slots, recv, other] = self.results;
        println!(
            "fuzz: worker {:08x}: {calls} calls: {ok} ok, {env} bad env, {inval} inval, {mem} no \
             mem, {slots} no free env, {recv} not receiving, {} other; {} forks",
            self.args.me,
            unknown + other,
            self.forks
        );
        if let Err(e) = ipc_send(self.args.parent, DONE << 32 | calls) {
            panic!("fuzz: report: {e}");
        }
    }

    fn one_call(&mut self) {
        stop_if_sacrificed();
        let r = match self.args.rng.below(100) {
            0..8 => {
                let call =
                    self.args
                        .rng
                        .pick(&[Syscall::GetEnvId, Syscall::GetCpu, Syscall::Yield]);
                self.call(call as u64, [0; 5])
            }
            8..11 => {
                let num = self.args.rng.pick(&[99, 1000, 1 << 32, u64::MAX]);
                let a = self.args.rng_args();
                self.call(num, a)
            }
            11..18 => return self.exofork(),
            18..19 => return self.storm(),
            19..25 => {
                let id = self.args.other();
                self.call(Syscall::EnvDestroy as u64, [id, 0, 0, 0, 0])
            }
            25..31 => {
                let status = self.args.rng.pick(&[2, 4, 0, 1, 3, u64::MAX]);
                let id = if status == 4 {
                    self.args.other()
                } else {
                    self.args.anyone()
                };
                self.call(Syscall::EnvSetStatus as u64, [id, status, 0, 0, 0])
            }
            31..49 => {
                let (id, va) = self.args.target_and_page();
                let perm = self.args.perm();
                self.call(Syscall::PageAlloc as u64, [id, va, perm, 0, 0])
            }
            49..67 => {
                let (src, srcva) = self.args.source();
                let (dst, dstva) = self.args.target_and_page();
                let perm = self.args.perm();
                self.call(Syscall::PageMap as u64, [src, srcva, dst, dstva, perm])
            }
            67..77 => {
                let (id, va) = self.args.target_and_page();
                self.call(Syscall::PageUnmap as u64, [id, va, 0, 0, 0])
            }
            77..82 => {
                let (id, upcall) = if self.args.rng.below(3) == 0 {
                    (
                        self.args.rng.pick(&[0, u64::from(self.args.me)]),
                        user::pgfault::upcall_address(),
                    )
                } else {
                    (self.args.other(), self.args.any_address())
                };
                self.call(Syscall::EnvSetPgfaultUpcall as u64, [id, upcall, 0, 0, 0])
            }
            82..94 => {
                let to = self.args.anyone();
                let value = self.args.rng.word();
                let page = match self.args.rng.below(3) {
                    0 => UTOP,
                    1 => self.args.refused(),
                    _ => self.args.scratch(),
                };
                let perm = self.args.perm();
                self.call(Syscall::IpcTrySend as u64, [to, value, page, perm, 0])
            }
            94..97 => {
                let va = self.args.unaligned();
                self.call(Syscall::IpcRecv as u64, [va, 0, 0, 0, 0])
            }
            97..98 => return self.exchange(),
            98..99 => return self.sacrifice(),
            _ => {
                // Empty strings: a string the worker may not read would destroy it.
                let at = self
                    .args
                    .rng
                    .pick(&[UTEXT, USTACKTOP - 8, SCRATCH, UTOP, ULIM]);
                self.call(Syscall::Cputs as u64, [at, 0, 0, 0, 0])
            }
        };
        self.count(r);
    }

    fn count(&mut self, result: i64) {
        let i = match Error::from_result(result) {
            _ if result >= 0 => 0,
            Some(e) => e as usize,
            None => 7,
        };
        self.results[i] += 1;
    }

    /// Makes one system call. Every generator above keeps to the rules of the module's
    /// header, so that no call changes memory the worker's code relies on.
    fn call(&self, num: u64, a: [u64; 5]) -> i64 {
        // SAFETY: the calls change this environment's address space only in `SCRATCH`, which
        // holds none of its memory; everything else they change belongs to other environments.
        unsafe { raw_call(num, a) }
    }
}

/// Ends a sacrificial child that finds itself in the worker's code (a call replaced its stack
/// with another's, say): it must not make children it would leave behind, nor report.
fn stop_if_sacrificed() {
    if SACRIFICED.load(Ordering::Relaxed) {
        user::exit();
    }
}

impl Worker {
    /// An exofork: a child with no memory, kept in a random slot (replacing the child there).
    fn exofork(&mut self) {
        stop_if_sacrificed();
        let slot = self.args.rng.below(MAX_CHILDREN as u64) as usize;
        self.destroy_child(slot);
        match user::syscall::sys_exofork(|_| Ok(())) {
            // A child that is ever made runnable faults at once: nothing is mapped at its
            // instruction pointer (children get pages in `SCRATCH` and at boundary addresses).
            Ok(0) => user::exit(),
            Ok(child) => {
                self.args.children[slot] = child;
                self.count(0);
            }
            Err(e) => self.count(-(e as i64)),
        }
    }

    /// An exofork storm, or a destroy storm.
    fn storm(&mut self) {
        let exofork = self.args.rng.below(2) == 0;
        for _ in 0..MAX_CHILDREN {
            if exofork {
                self.exofork();
            } else {
                let slot = self.args.rng.below(MAX_CHILDREN as u64) as usize;
                self.destroy_child(slot);
            }
        }
    }

    /// Exoforks until the kernel has no environment slot left (other workers' calls then meet
    /// a full table too), then destroys every child it made so.
    fn fill_the_table(&mut self) {
        static FILLED: [AtomicU32; NENV] = [const { AtomicU32::new(0) }; NENV];
        let before = self.results.iter().sum::<u64>();
        let mut made = 0;
        while made < NENV {
            match user::syscall::sys_exofork(|_| Ok(())) {
                // Never runs: it is destroyed below, not runnable.
                Ok(0) => user::exit(),
                Ok(child) => {
                    FILLED[made].store(child, Ordering::Relaxed);
                    made += 1;
                    self.count(0);
                }
                Err(e) => {
                    self.count(-(e as i64));
                    break;
                }
            }
        }
        for child in &FILLED[..made] {
            let child = child.load(Ordering::Relaxed);
            let r = self.call(Syscall::EnvDestroy as u64, [u64::from(child), 0, 0, 0, 0]);
            self.count(r);
        }
        self.filling = self.results.iter().sum::<u64>() - before;
    }

    fn destroy_child(&mut self, slot: usize) {
        let child = core::mem::take(&mut self.args.children[slot]);
        if child != 0 {
            let r = self.call(Syscall::EnvDestroy as u64, [u64::from(child), 0, 0, 0, 0]);
            self.count(r);
            self.args.dead[self.args.rng.below(4) as usize] = child;
        }
    }

    /// A forked helper sends a few messages, perhaps with a page, and exits; the worker
    /// receives them (and whatever else comes meanwhile) at a page of `SCRATCH` or none.
    fn exchange(&mut self) {
        let messages = 1 + self.args.rng.below(3);
        let with_page = self.args.rng.below(2) == 0;
        let helper = match dumbfork() {
            Ok(0) => {
                for i in 0..messages {
                    if let Err(e) = self.help(i, with_page) {
                        panic!("fuzz: helper: {e}");
                    }
                }
                user::exit();
            }
            Ok(helper) => helper,
            Err(e) => return self.count(-(e as i64)),
        };
        self.forks += 1;
        let mut got = 0;
        while got < messages {
            let page = self.args.scratch();
            // SAFETY: a page received at `SCRATCH` replaces nothing the worker relies on.
            let m: Message = unsafe { user::ipc::ipc_recv_page(page) }
                .unwrap_or_else(|e| panic!("fuzz: ipc_recv: {e}"));
            got += u64::from(m.from == helper);
        }
        self.remember(helper);
    }

    /// The helper's message `i` to the worker, with a fresh page of its `SCRATCH` or without.
    fn help(&self, i: u64, with_page: bool) -> Result<(), Error> {
        let page = SCRATCH + PGSIZE * i;
        let perm = perm::P | perm::U;
        // SAFETY: `SCRATCH` holds none of the helper's memory.
        if with_page && unsafe { user::syscall::sys_page_alloc(0, page, perm) }.is_ok() {
            // SAFETY: the page is the read-only scratch page just mapped.
            match unsafe { user::ipc::ipc_send_page(self.args.me, i, page, perm) } {
                Err(Error::NoMem) => {}
                sent => return sent,
            }
        }
        // Out of memory, the message goes without its page: the worker waits for all of them.
        ipc_send(self.args.me, i)
    }

    /// A forked child that makes fully random calls and may well die of them.
    fn sacrifice(&mut self) {
        match dumbfork() {
            Ok(0) => {
                SACRIFICED.store(true, Ordering::Relaxed);
                for _ in 0..CHAOS_CALLS {
                    // Any call but `Exofork`, whose children it might leave behind, and
                    // `EnvSetPgfaultUpcall`, which could send it into the worker's code.
                    let num = self
                        .args
                        .rng
                        .pick(&[0, 1, 2, 3, 4, 6, 7, 8, 9, 10, 12, 13, 99]);
                    let a = self.args.rng_args();
                    // SAFETY: not safe at all for this child, on purpose: a call may unmap or
                    // replace its code or stack, and the child then faults or runs astray. It
                    // can harm only itself: it has no children, and another environment's
                    // memory changes only where that one receives a page (the worker only at
                    // `SCRATCH`).
                    unsafe { raw_call(num, a) };
                }
                user::exit();
            }
            Ok(child) => {
                self.forks += 1;
                self.remember(child);
            }
            Err(e) => self.count(-(e as i64)),
        }
    }

    fn remember(&mut self, child: EnvId) {
        let slot = self.args.rng.below(MAX_CHILDREN as u64) as usize;
        self.destroy_child(slot);
        self.args.children[slot] = child;
    }
}
