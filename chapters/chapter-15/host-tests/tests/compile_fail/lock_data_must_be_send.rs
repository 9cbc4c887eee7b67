//! A lock is shared by every CPU, so the data in it must be able to move between CPUs: a lock
//! around per-CPU state (here a reference count that is not atomic) cannot be a static.
use host_tests::spinlock::{Rank, SpinLock};
use std::rc::Rc;

static SHARED: SpinLock<Option<Rc<u64>>> = SpinLock::new("per-CPU data", Rank::Frames, None);

fn main() {
    let guard = SHARED.lock();
    println!("{:?}", *guard);
}
