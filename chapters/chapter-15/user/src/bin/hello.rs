//! Prints a greeting and the environment's own id, then exits (JOS's `user/hello.c`).
#![no_std]
#![no_main]

use user::println;
use user::syscall::sys_getenvid;

user::main!(umain);

fn umain() {
    println!("hello, world");
    println!("i am environment {:08x}", sys_getenvid());
}
