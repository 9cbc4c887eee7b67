//! A value goes back and forth between a parent and its child, ten times (JOS's
//! `user/pingpong.c`): each side waits for a number, prints it, and sends it back plus one.
#![no_std]
#![no_main]

use user::fork::fork;
use user::ipc::{ipc_recv, ipc_send};
use user::println;
use user::syscall::sys_getenvid;

user::main!(umain);

fn umain() {
    let child = match fork() {
        Ok(child) => child,
        Err(e) => panic!("fork: {e}"),
    };
    // After the fork: each side's own id.
    let me = sys_getenvid();
    if child != 0 {
        // Get the ball rolling.
        println!("send 0 from {me:x} to {child:x}");
        send(child, 0);
    }
    loop {
        let m = match ipc_recv() {
            Ok(m) => m,
            Err(e) => panic!("ipc_recv: {e}"),
        };
        println!("{me:x} got {} from {:x}", m.value, m.from);
        if m.value == 10 {
            return;
        }
        send(m.from, m.value + 1);
        if m.value + 1 == 10 {
            return;
        }
    }
}

fn send(to: u32, value: u64) {
    if let Err(e) = ipc_send(to, value) {
        panic!("ipc_send to {to:x}: {e}");
    }
}
