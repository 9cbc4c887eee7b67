//! IPC to environments that are being destroyed (chapter 14). Receivers wait for pages; a
//! sender, on another CPU, sends each of them page after page; meanwhile the parent destroys
//! the receivers one by one. The kernel maps a sent page without the table lock, so a receiver
//! may be destroyed between the sender's claim and the delivery: the send must then fail with
//! `-BadEnv`, and the page, mapped into an address space nobody uses any more, be freed with
//! it. The run must end with every page free.
#![no_std]
#![no_main]

use abi::{EnvId, Error, perm};
use user::fork::fork;
use user::ipc::{ipc_recv_page, ipc_send_page};
use user::println;
use user::syscall::{sys_env_destroy, sys_page_alloc, sys_yield};

user::main!(umain);

/// How many receivers.
const RECEIVERS: usize = 4;
/// Where the sender's page is, and where receivers take theirs.
const SEND_PAGE: u64 = 0x2000_0000;
const RECV_PAGE: u64 = 0x3000_0000;

fn umain() {
    let waits = user::options::number("waits").unwrap_or(300);
    let mut receivers: [EnvId; RECEIVERS] = [0; RECEIVERS];
    for r in receivers.iter_mut() {
        *r = fork().expect("fork");
        if *r == 0 {
            receive();
        }
    }
    // The sender has its own copy of the receivers' ids.
    if fork().expect("fork") == 0 {
        send(&receivers);
        return;
    }
    for r in receivers {
        for _ in 0..waits {
            sys_yield();
        }
        sys_env_destroy(r).expect("sys_env_destroy");
    }
}

/// A receiver: takes pages until it is destroyed.
fn receive() -> ! {
    loop {
        // SAFETY: nothing of this environment's lives at RECV_PAGE.
        unsafe { ipc_recv_page(RECV_PAGE) }.expect("ipc_recv_page");
    }
}

/// The sender: sends each receiver pages until it is gone.
fn send(receivers: &[EnvId]) {
    // SAFETY: nothing of the sender's lives at SEND_PAGE.
    unsafe { sys_page_alloc(0, SEND_PAGE, perm::P | perm::U | perm::W) }.expect("page_alloc");
    let mut sent = 0u64;
    for &r in receivers {
        loop {
            // SAFETY: the page at SEND_PAGE holds nothing; sharing it is harmless.
            match unsafe { ipc_send_page(r, sent, SEND_PAGE, perm::P | perm::U | perm::W) } {
                Ok(()) => sent += 1,
                Err(Error::BadEnv) => break,
                Err(e) => panic!("ipc_send_page: {e}"),
            }
        }
    }
    println!("ipcdying: {sent} pages sent to {RECEIVERS} receivers until each was destroyed");
}
