//! The bug a TLB shootdown prevents, made visible. A writer thread keeps writing into a page on
//! one CPU while the main thread, on another, unmaps that page and allocates a fresh one, which
//! the kernel hands the very page frame it just freed (its free list is last in, first out).
//!
//! With the shootdown, the writer's CPU forgets the translation before `sys_page_unmap`
//! returns: the writer's next write faults, and the thread is destroyed (it has no page-fault
//! handler). Without it (`shootdown=off`), the writer's CPU keeps the stale translation and
//! goes on writing into a frame that now belongs to the main thread's new page: another
//! environment's data, as far as the writer knows. Run with `preempt=off`, so that no tick
//! reloads the writer's CR3 (which would flush its TLB by accident) and with two CPUs.
#![no_std]
#![no_main]

use core::hint::spin_loop;
use core::ptr;
use core::sync::atomic::{AtomicBool, AtomicU64, Ordering};

use abi::perm;
use user::println;
use user::syscall::{sys_getcpu, sys_page_alloc, sys_page_unmap};
use user::thread::spawn;

user::main!(umain);

/// The page the writer writes into, and where the main thread maps its fresh page.
const VICTIM: u64 = 0x1000_0000;
const FRESH: u64 = 0x1000_1000;
/// What the writer writes: this, plus a count.
const MAGIC: u64 = 0x5741_5445_0000_0000;
/// How long the main thread watches, in loop turns.
const WATCH: u64 = 2_000_000;

/// Writes the writer has made, the CPU it runs on, and the order to stop.
static WRITES: AtomicU64 = AtomicU64::new(0);
static WRITER_CPU: AtomicU64 = AtomicU64::new(u64::MAX);
static STOP: AtomicBool = AtomicBool::new(false);

fn umain() {
    // SAFETY: nothing of this program's lives at VICTIM or FRESH (far below the stacks, far
    // above the image).
    unsafe {
        sys_page_alloc(0, VICTIM, perm::P | perm::U | perm::W).expect("sys_page_alloc");
    }
    spawn(writer, 0).expect("spawn");
    // Wait until the writer runs on another CPU and has written a good deal.
    while WRITES.load(Ordering::Acquire) < 10_000 {
        spin_loop();
    }
    let me = u64::from(sys_getcpu());
    let writer_cpu = WRITER_CPU.load(Ordering::Relaxed);
    println!("staletlb: main thread on CPU {me}, writer on CPU {writer_cpu}");
    // SAFETY: the writer alone uses VICTIM, and it is ready for the page to go (a fault ends it).
    unsafe { sys_page_unmap(0, VICTIM).expect("sys_page_unmap") };
    let at_unmap = WRITES.load(Ordering::Acquire);
    // SAFETY: nothing lives at FRESH.
    unsafe { sys_page_alloc(0, FRESH, perm::P | perm::U | perm::W).expect("sys_page_alloc") };
    let fresh = FRESH as *const u64;
    let mut foreign = 0;
    for _ in 0..WATCH {
        // SAFETY: FRESH is mapped, readable and page-aligned; the read is volatile because
        // someone else (the stale writer) may change it behind the compiler's back.
        let word = unsafe { ptr::read_volatile(fresh) };
        if word & !0xffff_ffff == MAGIC {
            foreign += 1;
        }
        spin_loop();
    }
    let after = WRITES.load(Ordering::Acquire) - at_unmap;
    STOP.store(true, Ordering::Release);
    println!("staletlb: writes through the unmapped page after sys_page_unmap returned: {after}");
    if foreign > 0 {
        println!(
            "staletlb: STALE: the writer's writes reached a fresh page of someone else's ({foreign} reads saw them)"
        );
    } else {
        println!("staletlb: the fresh page is intact");
    }
}

/// The writer thread: writes into VICTIM until told to stop (or until the write faults).
fn writer(_: u64) {
    WRITER_CPU.store(u64::from(sys_getcpu()), Ordering::Relaxed);
    let victim = VICTIM as *mut u64;
    let mut n = 0;
    while !STOP.load(Ordering::Acquire) {
        // SAFETY: VICTIM was mapped before this thread started; when it is unmapped, this write
        // faults (or, with a stale TLB, lands in the old frame), which is what is being shown.
        unsafe { ptr::write_volatile(victim, MAGIC | (n & 0xffff_ffff)) };
        n += 1;
        WRITES.store(n, Ordering::Release);
    }
}
