//! Measured delays: the 8254 programmable interval timer, channel 2, polled.
//!
//! The processor start-up protocol (Intel MP spec, Appendix B.4; SDM Vol. 3A, 9.4.4.1) asks for
//! real waits: 10 ms after INIT, 200 us after each STARTUP. An empty loop's duration depends on
//! the CPU (and on QEMU's translation), so we count the PIT's fixed 1.193182 MHz clock instead.
//! Channel 2 is the one whose output the CPU can read back (port 0x61, bit 5) and whose gate it
//! controls (port 0x61, bit 0): program a count in mode 0 ("interrupt on terminal count"),
//! open the gate, and wait for the output to go high.

use x86::io::{inb, outb};

/// The PIT's input clock, in Hz.
const PIT_HZ: u64 = 1_193_182;
/// Channel 2's data port.
const CHANNEL2: u16 = 0x42;
/// The mode/command port.
const COMMAND: u16 = 0x43;
/// The NMI status and control port: bit 0 gates channel 2, bit 1 feeds the speaker, bit 5
/// reads channel 2's output.
const CONTROL: u16 = 0x61;
/// Channel 2 (bits 7-6 = 10), low byte then high byte (5-4 = 11), mode 0 (3-1), binary (0).
const CHANNEL2_MODE0: u8 = 0b1011_0000;

/// Waits at least `us` microseconds.
pub fn delay_us(us: u64) {
    let mut ticks = (us * PIT_HZ).div_ceil(1_000_000);
    while ticks > 0 {
        let chunk = ticks.min(0xffff);
        one_shot(chunk as u16);
        ticks -= chunk;
    }
}

/// Counts `ticks` PIT ticks once and waits for the count to run out.
fn one_shot(ticks: u16) {
    // SAFETY: ports 0x42, 0x43 and 0x61 are the PIT's channel 2 and the system control port on
    // every PC; this kernel uses channel 2 nowhere else and keeps the speaker off.
    unsafe {
        let control = inb(CONTROL) & !0b11;
        outb(CONTROL, control); // gate closed, speaker off
        outb(COMMAND, CHANNEL2_MODE0);
        outb(CHANNEL2, ticks as u8);
        outb(CHANNEL2, (ticks >> 8) as u8);
        outb(CONTROL, control | 1); // gate open: counting starts
        while inb(CONTROL) & 0x20 == 0 {
            core::hint::spin_loop();
        }
    }
}
