//! An IPC round trip, for `cargo xtask bench`: the parent sends a number to its child and waits
//! for it to come back, [`ROUND_TRIPS`] times, and times the whole with the time-stamp counter.
//!
//! One round trip first, untimed: on one CPU the child has not run yet, so the first send
//! yields until it is receiving. After that each send finds the other side waiting in
//! `ipc_recv`. The parent prints the count and the ticks; the benchmark divides.
#![no_std]
#![no_main]

use user::fork::fork;
use user::ipc::{ipc_recv, ipc_send};
use user::println;

use user::tsc::rdtsc;

user::main!(umain);

/// The timed round trips.
const ROUND_TRIPS: u64 = 1000;

fn umain() {
    let child = match fork() {
        Ok(child) => child,
        Err(e) => panic!("fork: {e}"),
    };
    if child == 0 {
        // Send every number back, up to the last one.
        loop {
            let m = recv();
            send(m.from, m.value);
            if m.value == ROUND_TRIPS {
                return;
            }
        }
    }
    round_trip(child, 0);
    let start = rdtsc();
    for i in 1..=ROUND_TRIPS {
        round_trip(child, i);
    }
    let ticks = rdtsc() - start;
    println!("pingpongbench: {ROUND_TRIPS} round trips in {ticks} TSC ticks");
}

/// Sends `value` to `child` and waits for it to come back.
fn round_trip(child: u32, value: u64) {
    send(child, value);
    let m = recv();
    assert!(
        m.from == child && m.value == value,
        "sent {value}, got {} from {:x}",
        m.value,
        m.from
    );
}

fn send(to: u32, value: u64) {
    if let Err(e) = ipc_send(to, value) {
        panic!("ipc_send to {to:x}: {e}");
    }
}

fn recv() -> user::ipc::Message {
    match ipc_recv() {
        Ok(m) => m,
        Err(e) => panic!("ipc_recv: {e}"),
    }
}
