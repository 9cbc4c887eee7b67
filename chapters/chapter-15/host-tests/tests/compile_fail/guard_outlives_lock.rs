//! A guard cannot outlive its lock: the borrow ends with the lock.
use host_tests::spinlock::{Rank, SpinLock};

fn main() {
    let escaped;
    {
        let lock = SpinLock::new("short-lived", Rank::Frames, 0u64);
        escaped = lock.lock();
    }
    println!("{}", *escaped);
}
