//! The data a lock protects is reachable only through the guard: no lock, no access.
use host_tests::spinlock::{Rank, SpinLock};

static LOCK: SpinLock<u64> = SpinLock::new("big kernel lock", Rank::Frames, 0);

fn main() {
    let value = LOCK.data;
    println!("{value:?}");
}
