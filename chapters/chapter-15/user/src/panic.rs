//! What a panic in a user program does (JOS's `lib/panic.c`).
//!
//! It prints `[<envid>] user panic in <program> at <file>:<line>: <message>` (JOS's format,
//! with the environment id in `%08x` form) and exits the environment. JOS breaks into the kernel
//! monitor instead; we have no monitor, and exiting lets the kernel go on with the other
//! environments.

use core::panic::PanicInfo;

use crate::libmain::{exit, program_name};
use crate::println;
use crate::syscall::sys_getenvid;

#[panic_handler]
fn panic(info: &PanicInfo<'_>) -> ! {
    let env = sys_getenvid();
    let name = program_name();
    match info.location() {
        Some(location) => println!(
            "[{env:08x}] user panic in {name} at {}:{}: {}",
            location.file(),
            location.line(),
            info.message()
        ),
        None => println!("[{env:08x}] user panic in {name}: {}", info.message()),
    }
    exit()
}
