//! Console output: `print!` and `println!` (JOS's `lib/printf.c`).
//!
//! Formatting happens in the program, into a buffer on its stack; each time the buffer fills,
//! and once at the end of each `print!`, its contents go to the kernel in one `sys_cputs`. A
//! line shorter than the buffer therefore reaches the console in one piece, never interleaved
//! with another environment's output.

use core::fmt::{self, Write};

use crate::syscall::sys_cputs;

/// How many bytes are collected before they are handed to the kernel (JOS uses 256 as well).
const BUFFER_SIZE: usize = 256;

/// Collects formatted output and hands it to the kernel in as few `sys_cputs` as possible.
struct Console {
    buf: [u8; BUFFER_SIZE],
    len: usize,
}

impl Console {
    fn new() -> Self {
        Console {
            buf: [0; BUFFER_SIZE],
            len: 0,
        }
    }

    /// Prints what has been collected so far.
    fn flush(&mut self) {
        if self.len > 0 {
            // Output is best effort: a program has nowhere else to report a console failure.
            let _ = sys_cputs(&self.buf[..self.len]);
            self.len = 0;
        }
    }
}

impl Write for Console {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        for &byte in s.as_bytes() {
            if self.len == BUFFER_SIZE {
                self.flush();
            }
            self.buf[self.len] = byte;
            self.len += 1;
        }
        Ok(())
    }
}

/// Prints formatted text; what [`print!`](crate::print) and [`println!`](crate::println) expand
/// to.
pub fn print_fmt(args: fmt::Arguments<'_>) {
    let mut console = Console::new();
    // Console::write_str never fails, so neither does formatting into it.
    let _ = console.write_fmt(args);
    console.flush();
}

/// Prints to the console, like `std::print!`.
#[macro_export]
macro_rules! print {
    ($($arg:tt)*) => {
        $crate::console::print_fmt(format_args!($($arg)*))
    };
}

/// Prints to the console with a newline, like `std::println!`.
#[macro_export]
macro_rules! println {
    () => {
        $crate::print!("\n")
    };
    ($($arg:tt)*) => {
        $crate::console::print_fmt(format_args!("{}\n", format_args!($($arg)*)))
    };
}
