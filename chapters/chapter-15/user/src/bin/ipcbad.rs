//! Calls the IPC system calls with each kind of bad argument and prints what each gets back,
//! one line per case (`<case>: <result>`, the result being `ok` or the error in JOS's words), in
//! the style of chapter 7's `badargs`.
//!
//! A child receives in a loop, offering a page; it prints every message that reaches it, so a
//! bad send the kernel wrongly accepted would show in the output. The parent knows the child is
//! waiting when a send fails for a reason checked *after* "is it receiving?" (an unaligned page).
//! Every refused send must leave the child waiting with nothing delivered: the good sends at the
//! end prove it. Last, the parent sends to the child after it has exited.
#![no_std]
#![no_main]

use abi::layout::UTOP;
use abi::{EnvId, Error, PGSIZE, Syscall, perm};
use user::fork::fork;
use user::ipc::ipc_recv_page;
use user::println;
use user::syscall::{check, sys_page_alloc, sys_page_map, sys_yield, syscall};

user::main!(umain);

/// A page of the parent's with a greeting, sent with the good message.
const SCRATCH: u64 = 0x1000_0000;
/// The same page, mapped read-only.
const SCRATCH_RO: u64 = SCRATCH + PGSIZE;
/// An address where the parent has nothing mapped.
const UNMAPPED: u64 = 0x2000_0000;
/// Where the child receives pages.
const RECV_AT: u64 = 0x3000_0000;
/// An environment id that no environment has.
const NO_SUCH_ENV: EnvId = 0x0000_1234;
/// The value that tells the child to stop.
const STOP: u64 = 99;

const RW: u64 = perm::P | perm::U | perm::W;
const RO: u64 = perm::P | perm::U;

fn umain() {
    let child = match fork() {
        Ok(child) => child,
        Err(e) => panic!("fork: {e}"),
    };
    if child == 0 {
        return receive();
    }
    // SAFETY: nothing of the program lives at SCRATCH or SCRATCH_RO.
    unsafe {
        sys_page_alloc(0, SCRATCH, RW).expect("sys_page_alloc");
        sys_page_map(0, SCRATCH, 0, SCRATCH_RO, RO).expect("sys_page_map");
        let greeting = c"hello".to_bytes_with_nul();
        (SCRATCH as *mut u8).copy_from_nonoverlapping(greeting.as_ptr(), greeting.len());
    }
    // Wait until it receives: an unaligned page is refused only once the target is receiving.
    while try_send(child, 1, SCRATCH + 1, RW) == Err(Error::IpcNotRecv) {
        sys_yield();
    }
    println!("ipcbad: the child is receiving");
    let cases: [(&str, Result<(), Error>, Error); 7] = [
        (
            "send to no such environment",
            try_send(NO_SUCH_ENV, 1, UTOP, 0),
            Error::BadEnv,
        ),
        ("send to itself", try_send(0, 1, UTOP, 0), Error::IpcNotRecv),
        (
            "send an unaligned page",
            try_send(child, 1, SCRATCH + 1, RW),
            Error::Inval,
        ),
        (
            "send an unmapped page",
            try_send(child, 1, UNMAPPED, RW),
            Error::Inval,
        ),
        (
            "send a page without P",
            try_send(child, 1, SCRATCH, perm::U | perm::W),
            Error::Inval,
        ),
        (
            "send a page with a kernel bit",
            try_send(child, 1, SCRATCH, RW | 1 << 8),
            Error::Inval,
        ),
        (
            "send a read-only page writable",
            try_send(child, 1, SCRATCH_RO, RW),
            Error::Inval,
        ),
    ];
    for (what, got, want) in cases {
        report(what, got, want);
    }
    // SAFETY: nothing of the parent's lives at SCRATCH + 1's page; the call fails at once.
    let bad_recv = unsafe { ipc_recv_page(SCRATCH + 1) }.map(|_| ());
    report("receive at an unaligned address", bad_recv, Error::Inval);
    // Nothing was delivered: the child is still waiting for its first message.
    report_ok("send a page", try_send(child, 1, SCRATCH, RO));
    wait_until_receiving(child);
    report_ok(
        "send with a page address above UTOP (no page)",
        try_send(child, 2, UTOP, 0xdead),
    );
    wait_until_receiving(child);
    report_ok("send stop", try_send(child, STOP, UTOP, 0));
    // Let the child exit, then send to it again.
    for _ in 0..10 {
        sys_yield();
    }
    let mut gone = try_send(child, 3, UTOP, 0);
    while gone == Err(Error::IpcNotRecv) {
        sys_yield();
        gone = try_send(child, 3, UTOP, 0);
    }
    report(
        "send to an environment that has exited",
        gone,
        Error::BadEnv,
    );
}

/// The child: prints every message, and the greeting in every page that comes with one.
fn receive() {
    loop {
        // SAFETY: nothing of the child's lives at RECV_AT.
        let m = match unsafe { ipc_recv_page(RECV_AT) } {
            Ok(m) => m,
            Err(e) => panic!("ipc_recv: {e}"),
        };
        println!(
            "ipcbad: the child got {} with perm {:#x} from {:08x}",
            m.value, m.perm, m.from
        );
        if m.perm != 0 {
            // SAFETY: a page is mapped at RECV_AT (perm says so), holding the parent's greeting.
            let text = unsafe { core::slice::from_raw_parts(RECV_AT as *const u8, 5) };
            println!(
                "ipcbad: the page says {}",
                core::str::from_utf8(text).unwrap_or("?")
            );
        }
        if m.value == STOP {
            return;
        }
    }
}

/// Yields until `child` is receiving again (probed with a send refused only then).
fn wait_until_receiving(child: EnvId) {
    while try_send(child, 1, SCRATCH + 1, RW) == Err(Error::IpcNotRecv) {
        sys_yield();
    }
}

/// One `sys_ipc_try_send`, without the retrying of `ipc_send`.
fn try_send(to: EnvId, value: u64, page: u64, perm: u64) -> Result<(), Error> {
    // SAFETY: a page sent is mapped at the child's RECV_AT, where it relies on nothing; the
    // parent's SCRATCH page is shared from then on, and only read by the child.
    check(unsafe { syscall(Syscall::IpcTrySend, u64::from(to), value, page, perm, 0) }).map(|_| ())
}

fn report(what: &str, got: Result<(), Error>, want: Error) {
    match got {
        Err(e) if e == want => println!("ipcbad: {what}: {e}"),
        Err(e) => println!("ipcbad: {what}: {e} (MISMATCH: expected {want})"),
        Ok(()) => println!("ipcbad: {what}: ok (MISMATCH: expected {want})"),
    }
}

fn report_ok(what: &str, got: Result<(), Error>) {
    match got {
        Ok(()) => println!("ipcbad: {what}: ok"),
        Err(e) => println!("ipcbad: {what}: {e} (MISMATCH: expected ok)"),
    }
}
