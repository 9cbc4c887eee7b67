//! A parent and its child race to end the child (VSTa's `free_proc` race, chapter 14). The
//! child, running on a CPU of its own, exits after a while; the parent, on another, maps fresh
//! pages into it meanwhile, up to a number or until the kernel answers `-BadEnv`, and then
//! destroys it, which fails if the child has gone already. Under the big kernel lock these steps took turns; under the
//! table lock a page call runs without the lock while the child's CPU frees it, and only the
//! pin on the child's address space keeps its page tables alive until the call is over. The
//! run must end with every page free.
#![no_std]
#![no_main]

use abi::{Error, perm};
use user::fork::fork;
use user::println;
use user::syscall::{sys_env_destroy, sys_page_alloc};

user::main!(umain);

/// Where the parent maps pages into the child: nothing of the child's lives there.
const PAGE: u64 = 0x2000_0000;

fn umain() {
    let rounds = user::options::number("rounds").unwrap_or(50);
    let (mut mapped, mut destroyed) = (0u64, 0u64);
    for round in 0..rounds {
        // How long the child lives, and how many pages the parent maps before it destroys the
        // child: varied from round to round, so that either may come first, or both at once.
        let (life, maps) = ((round * 7919) % 3000, (round * 31) % 200 + 1);
        let child = fork().expect("fork");
        if child == 0 {
            for i in 0..life {
                core::hint::black_box(i);
            }
            // The child is gone (returning from `umain` exits).
            return;
        }
        for _ in 0..maps {
            // SAFETY: nothing of the child's lives at PAGE: the program never uses it.
            if unsafe { sys_page_alloc(child, PAGE, perm::P | perm::U | perm::W) }.is_err() {
                break;
            }
            mapped += 1;
        }
        match sys_env_destroy(child) {
            Ok(()) => destroyed += 1,
            Err(Error::BadEnv) => {}
            Err(e) => panic!("sys_env_destroy: {e}"),
        }
    }
    println!(
        "destroyrace: {rounds} rounds: {destroyed} children destroyed by their parent, {} gone \
         first; {mapped} pages mapped into children as they went",
        rounds - destroyed
    );
}
