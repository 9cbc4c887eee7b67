//! Ending the run: QEMU's `isa-debug-exit` device.
//!
//! With `-device isa-debug-exit,iobase=0xf4,iosize=0x04`, a write of value `v` to port 0xf4
//! makes QEMU exit with status `(v << 1) | 1`. Status 0 can therefore never mean success (it is
//! what a triple fault under `-no-reboot` gives), so we agree on two odd values: 33 for a clean
//! end and 3 for a kernel panic.

/// How the run ended.
#[derive(Clone, Copy)]
#[repr(u32)]
pub enum ExitCode {
    /// Nothing left to run: QEMU exits with status 33.
    Success = 0x10,
    /// A kernel panic: QEMU exits with status 3.
    Failure = 0x01,
}

const DEBUG_EXIT_PORT: u16 = 0xf4;

/// Ends the run. Without the exit device (a plain QEMU), the CPU halts forever instead.
pub fn exit(code: ExitCode) -> ! {
    // SAFETY: port 0xf4 is the debug-exit device (or nothing); writing it touches no memory.
    unsafe { x86::io::outl(DEBUG_EXIT_PORT, code as u32) };
    halt_forever()
}

/// Stops this CPU for good.
pub fn halt_forever() -> ! {
    loop {
        // SAFETY: with interrupts off, `cli; hlt` parks the CPU; nothing depends on it again.
        unsafe {
            x86::irq::disable();
            x86::halt();
        }
    }
}
