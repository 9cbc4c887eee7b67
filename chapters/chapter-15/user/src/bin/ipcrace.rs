//! What IPC does when CPUs race, in two cases whose outcome the kernel defines.
//!
//! Two senders, one receiver: the parent forks two children that each send it [`COUNT`]
//! numbered messages, at the same time on several CPUs. The table lock serves the sends one
//! at a time: exactly one finds the parent receiving, the other is told it is not and
//! tries again. The parent must get every message once, and each sender's in order.
//!
//! A receiver destroyed while a sender waits: the parent forks a child that never receives and
//! a second child that sends to it, and so waits; then it destroys the first. The sender's next
//! try finds no such environment, and `ipc_send` returns `BadEnv` instead of waiting for ever.
#![no_std]
#![no_main]

use abi::{EnvId, Error};
use user::fork::fork;
use user::ipc::{ipc_recv, ipc_send};
use user::println;
use user::syscall::{sys_env_destroy, sys_yield};

user::main!(umain);

/// Messages each sender sends.
const COUNT: u64 = 50;

fn umain() {
    two_senders();
    destroyed_receiver();
}

fn two_senders() {
    let me = user::syscall::sys_getenvid();
    for sender in 1..=2u64 {
        match fork() {
            Ok(0) => {
                for n in 1..=COUNT {
                    if let Err(e) = ipc_send(me, sender << 32 | n) {
                        panic!("sender {sender}: {e}");
                    }
                }
                user::libmain::exit();
            }
            Ok(_) => {}
            Err(e) => panic!("fork: {e}"),
        }
    }
    let mut next = [1u64; 2];
    for _ in 0..2 * COUNT {
        let m = ipc_recv().unwrap_or_else(|e| panic!("ipc_recv: {e}"));
        let (sender, n) = ((m.value >> 32) as usize, m.value & 0xffff_ffff);
        if !(1..=2).contains(&sender) || n != next[sender - 1] {
            panic!("ipcrace: message {n} of sender {sender} out of order");
        }
        next[sender - 1] += 1;
    }
    println!(
        "ipcrace: {} messages, {} from each sender, each sender's in order",
        2 * COUNT,
        COUNT
    );
}

fn destroyed_receiver() {
    let silent: EnvId = match fork() {
        Ok(0) => loop {
            // Never receives; only the timer takes the CPU from it.
            core::hint::spin_loop();
        },
        Ok(child) => child,
        Err(e) => panic!("fork: {e}"),
    };
    match fork() {
        Ok(0) => {
            match ipc_send(silent, 1) {
                Err(Error::BadEnv) => {
                    println!("ipcrace: send to a destroyed receiver: {}", Error::BadEnv)
                }
                other => println!("ipcrace: send to a destroyed receiver: {other:?} (MISMATCH)"),
            }
            return;
        }
        Ok(_) => {}
        Err(e) => panic!("fork: {e}"),
    }
    // Let the sender start waiting, then destroy the receiver under it.
    for _ in 0..5 {
        sys_yield();
    }
    if let Err(e) = sys_env_destroy(silent) {
        panic!("destroying the receiver: {e}");
    }
}
