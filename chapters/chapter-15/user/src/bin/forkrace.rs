//! A fork in a program with two threads: the sibling thread keeps adding to a counter while the
//! main thread forks. The fork marks the counter's page copy-on-write in the parent (a
//! narrowed mapping) and shares the page with the child, whose copy must from then on stay as
//! it was at the fork.
//!
//! With the shootdown, the sibling's CPU forgets its writable translation during the fork, so
//! its next write faults (and the thread, which has no page-fault handler, is destroyed): the
//! child's counter stands still. Without it (`shootdown=off`), the sibling goes on writing
//! through its stale writable translation into the page the child now reads: the child sees
//! its copy change under it. Run with `preempt=off` and two CPUs, as `staletlb`.
#![no_std]
#![no_main]

use core::hint::spin_loop;
use core::sync::atomic::{AtomicU64, Ordering};

use user::fork::fork;
use user::println;
use user::thread::spawn;

user::main!(umain);

/// How long the child watches its copy, in loop turns.
const WATCH: u64 = 2_000_000;
/// The sibling stops after this many additions (so that it ends even when nothing stops it).
const LIMIT: u64 = 300_000_000;

/// The sibling's counter, alone on its page: the child must not copy the page by writing
/// something else on it (a copy-on-write fault would give it a copy, and hide the leak).
#[repr(align(4096))]
struct OwnPage(AtomicU64);
static COUNTER: OwnPage = OwnPage(AtomicU64::new(0));

fn umain() {
    spawn(count, 0).expect("spawn");
    while COUNTER.0.load(Ordering::Relaxed) < 10_000 {
        spin_loop();
    }
    match fork() {
        Ok(0) => watch(),
        Ok(_) => {}
        Err(e) => panic!("fork: {e}"),
    }
}

/// The child: reads its copy of the counter twice, a while apart.
fn watch() {
    let before = COUNTER.0.load(Ordering::Relaxed);
    for _ in 0..WATCH {
        spin_loop();
    }
    let moved = COUNTER.0.load(Ordering::Relaxed) - before;
    println!("forkrace: the child's copy of the counter moved by {moved} after the fork");
    if moved > 0 {
        println!("forkrace: LEAK: the sibling thread's writes reached the child's copy");
    }
}

/// The sibling thread: counts, up to LIMIT.
fn count(_: u64) {
    while COUNTER.0.load(Ordering::Relaxed) < LIMIT {
        COUNTER.0.fetch_add(1, Ordering::Relaxed);
    }
}
