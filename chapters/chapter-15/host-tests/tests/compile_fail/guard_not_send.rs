//! A lock taken on one CPU is released on that CPU: the guard cannot travel.
use host_tests::spinlock::{Rank, SpinLock};

static LOCK: SpinLock<u64> = SpinLock::new("big kernel lock", Rank::Frames, 0);

fn main() {
    let guard = LOCK.lock();
    std::thread::spawn(move || {
        drop(guard);
    });
}
