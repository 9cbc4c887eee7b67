//! The console: the first serial port (COM1, a 16550 UART at I/O port 0x3f8).
//!
//! QEMU's `-serial stdio` connects COM1 to the terminal (and to the test harness, which judges
//! a run by these lines). `print!` and `println!` format straight to the port under a lock, so
//! lines from different CPUs never interleave mid-line.

use core::fmt::{self, Write};

use spin::Mutex;
use uart_16550::Uart16550Tty;
use uart_16550::backend::PioBackend;

const COM1: u16 = 0x3f8;

/// COM1, once initialised.
///
/// A plain `spin::Mutex`, not the kernel's own `SpinLock` (`spinlock.rs`): the console is used
/// before there is a CPU table or a per-CPU structure to record a holder in, by the panic
/// handler (which must break the lock, `panic_print`), and it is the innermost lock of all, held
/// only while one line is written, so it needs no rank, no holder and no interrupt masking.
static SERIAL: Mutex<Option<Uart16550Tty<PioBackend>>> = Mutex::new(None);

/// Initialises COM1. Output before this call is lost.
pub fn init() {
    // SAFETY: 0x3f8 is COM1 on the PC platform, and only this module touches its ports.
    let uart = unsafe { Uart16550Tty::new_port(COM1, uart_16550::Config::default()) };
    *SERIAL.lock() = uart.ok();
}

/// Writes raw bytes (user output need not be UTF-8).
pub fn write_bytes(bytes: &[u8]) {
    if let Some(uart) = SERIAL.lock().as_mut() {
        for &b in bytes {
            if b == b'\n' {
                uart.inner_mut().send_bytes_exact(b"\r");
            }
            uart.inner_mut().send_bytes_exact(&[b]);
        }
    }
}

/// Reads one character if one is waiting.
pub fn read_byte() -> Option<u8> {
    SERIAL.lock().as_mut()?.inner_mut().try_receive_byte().ok()
}

#[doc(hidden)]
pub fn _print(args: fmt::Arguments) {
    if let Some(uart) = SERIAL.lock().as_mut() {
        let _ = uart.write_fmt(args);
    }
}

/// Prints on the console after a panic, even if the panicking code held the console lock.
pub fn panic_print(args: fmt::Arguments) {
    // The lock may be held by the code that panicked; this CPU will never return to it, and
    // the message matters more than a garbled line.
    if SERIAL.is_locked() {
        // SAFETY: after a panic the holder never runs again on this CPU; at worst another CPU's
        // line interleaves with the panic message.
        unsafe { SERIAL.force_unlock() };
    }
    _print(args);
}

/// Prints to the console.
#[macro_export]
macro_rules! print {
    ($($arg:tt)*) => ($crate::console::_print(format_args!($($arg)*)));
}

/// Prints to the console, with a newline.
#[macro_export]
macro_rules! println {
    () => ($crate::print!("\n"));
    ($($arg:tt)*) => ($crate::console::_print(format_args!("{}\n", format_args!($($arg)*))));
}
