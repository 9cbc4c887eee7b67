//! A page travels to the child and back, at different addresses on each side (JOS's
//! `user/sendpage.c`). The parent writes a greeting into a fresh page and sends it; the child
//! receives it at its own address, checks it, writes its answer into the same page and sends
//! it back; the parent receives it where it had its own copy and checks the answer.
#![no_std]
#![no_main]

use abi::perm;
use user::fork::fork;
use user::ipc::{ipc_recv_page, ipc_send_page};
use user::println;
use user::syscall::sys_page_alloc;

user::main!(umain);

/// Where the parent keeps the page.
const TEMP_ADDR: u64 = 0xa0_0000;
/// Where the child receives it.
const TEMP_ADDR_CHILD: u64 = 0xb0_0000;

const STR1: &str = "hello child environment! how are you?";
const STR2: &str = "hello parent environment! I'm good.";

fn umain() {
    let rw = perm::P | perm::W | perm::U;
    let child = match fork() {
        Ok(child) => child,
        Err(e) => panic!("fork: {e}"),
    };
    if child == 0 {
        // SAFETY: nothing of the child's lives at TEMP_ADDR_CHILD.
        let m = unsafe { ipc_recv_page(TEMP_ADDR_CHILD) }.unwrap_or_else(|e| panic!("recv: {e}"));
        let got = read(TEMP_ADDR_CHILD);
        println!("{:x} got message: {got}", m.from);
        if got == STR1 {
            println!("child received correct message");
        }
        write(TEMP_ADDR_CHILD, STR2);
        // SAFETY: the page holds no Rust object, and the child stops using it now.
        if let Err(e) = unsafe { ipc_send_page(m.from, 0, TEMP_ADDR_CHILD, rw) } {
            panic!("send: {e}");
        }
        return;
    }
    // SAFETY: nothing of the parent's lives at TEMP_ADDR.
    if let Err(e) = unsafe { sys_page_alloc(0, TEMP_ADDR, rw) } {
        panic!("sys_page_alloc: {e}");
    }
    write(TEMP_ADDR, STR1);
    // SAFETY: the page holds no Rust object; the parent touches it again only after the
    // child has sent it back.
    if let Err(e) = unsafe { ipc_send_page(child, 0, TEMP_ADDR, rw) } {
        panic!("send: {e}");
    }
    // SAFETY: the page at TEMP_ADDR holds nothing the parent still needs.
    let m = unsafe { ipc_recv_page(TEMP_ADDR) }.unwrap_or_else(|e| panic!("recv: {e}"));
    let got = read(TEMP_ADDR);
    println!("{:x} got message: {got}", m.from);
    if got == STR2 {
        println!("parent received correct message");
    }
}

/// Writes `s` and a terminating zero at `page`.
fn write(page: u64, s: &str) {
    // SAFETY: a page is mapped writable at `page` (allocated or received just before), and
    // the string and its zero fit in it.
    unsafe {
        let dst = page as *mut u8;
        core::ptr::copy_nonoverlapping(s.as_ptr(), dst, s.len());
        dst.add(s.len()).write(0);
    }
}

/// The zero-terminated text at `page` (at most a page of it).
fn read(page: u64) -> &'static str {
    // SAFETY: a page is mapped at `page` (received just before), and stays mapped for the
    // rest of the program; nothing writes it while the returned text is used.
    let bytes = unsafe { core::slice::from_raw_parts(page as *const u8, abi::PGSIZE as usize) };
    let len = bytes.iter().position(|&b| b == 0).unwrap_or(bytes.len());
    core::str::from_utf8(&bytes[..len]).unwrap_or("(not UTF-8)")
}
