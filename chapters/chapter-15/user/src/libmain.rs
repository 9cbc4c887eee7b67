//! How a program starts and ends (JOS's `entry.S`, `libmain.c` and `exit.c`).
//!
//! The kernel enters at `_start` (`entry.S`) with `rsp = USTACKTOP`, every other register zero
//! and nothing on the stack. `_start` calls `libmain`, which runs the program's main function
//! and then [`exit`]s, so returning from main ends the environment gracefully.
//!
//! The library cannot name a program's main function itself: each program names it with
//! [`main!`](crate::main), which defines the static `USER_PROGRAM` (a [`Program`]) under that
//! unmangled name. The library declares the same static, and the linker joins the two, so a
//! program that forgets `main!` fails to link rather than to run.

use core::arch::{asm, global_asm};

global_asm!(
    include_str!("entry.S"),
    libmain = sym libmain,
    options(att_syntax)
);

/// What the library needs to know about the program it is linked into.
pub struct Program {
    /// The program's name (its binary's name), for panic messages.
    pub name: &'static str,
    /// The program's main function; the environment exits when it returns.
    pub main: fn(),
}

// SAFETY: `main!` is the only definition of `USER_PROGRAM`, and it gives it exactly this type
// and no mangling, so this declaration names that static with its real type. The static is
// immutable, so reading it is safe.
unsafe extern "Rust" {
    safe static USER_PROGRAM: Program;
}

/// Names the program's main function (JOS's `umain`): `user::main!(umain);` with `fn umain()`.
///
/// It also records the program's name for panic messages. Use it exactly once per program.
#[macro_export]
macro_rules! main {
    ($main:path) => {
        // The library declares this static (libmain.rs) and reads it at start-up.
        #[unsafe(no_mangle)]
        static USER_PROGRAM: $crate::Program = $crate::Program {
            name: env!("CARGO_BIN_NAME"),
            main: $main,
        };
    };
}

/// The program's name, as recorded by [`main!`](crate::main).
pub fn program_name() -> &'static str {
    USER_PROGRAM.name
}

/// Records the program's options (the kernel passes them in `rdi` and `rsi`, which `_start`
/// leaves alone), runs the program's main function, then ends the environment. Called only by
/// `_start`.
extern "C" fn libmain(options: *const u8, options_len: usize) -> ! {
    crate::options::record(options, options_len);
    (USER_PROGRAM.main)();
    exit()
}

/// Ends the calling environment (JOS's `exit`): the kernel prints `exiting gracefully`, frees
/// the environment and never returns here.
pub fn exit() -> ! {
    // Destroying oneself (id 0) cannot fail: the caller always exists and may destroy itself.
    let _ = crate::syscall::sys_env_destroy(0);
    // SAFETY: `ud2` only raises an invalid-opcode fault. It is reached only if the kernel let a
    // destroyed environment run on; faulting (which destroys it again) is safer than running
    // past the end of the program.
    unsafe { asm!("ud2", options(att_syntax, nomem, nostack, noreturn)) }
}
