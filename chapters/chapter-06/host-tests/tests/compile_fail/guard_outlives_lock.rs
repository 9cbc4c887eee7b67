//! A guard cannot outlive its lock: the borrow ends with the lock.
use host_tests::spinlock::SpinLock;

fn main() {
    let escaped;
    {
        let lock = SpinLock::new("short-lived", 0u64);
        escaped = lock.lock();
    }
    println!("{}", *escaped);
}
