//! Each CPU's clock tick: the local APIC timer, calibrated against the PIT.
//!
//! Intel SDM Vol. 3A, 11.5.4 ("APIC Timer"): every local APIC has a 32-bit down-counter fed by
//! the bus clock (here divided by 16). Write an initial count and it counts down to zero, raises
//! the vector in its LVT entry and, in periodic mode, starts again from the initial count. Each
//! CPU has its own, so each gets its own tick: one shared clock (the PIT's IRQ 0, through the
//! I/O APIC) would interrupt one CPU only, and the others could never be preempted.
//!
//! The bus clock's rate is not architectural: it differs between machines, and under QEMU it is
//! whatever QEMU models. So the boot CPU measures it once, against the PIT's fixed 1.193182 MHz
//! (`pit.rs`): it lets the timer count down from its maximum during a 10 ms PIT delay and reads
//! how far it got. Every CPU then loads the count for one time slice, [`TIME_SLICE_US`]. All
//! APICs of a machine share the bus clock, so one measurement serves them all.

use spin::Once;

use crate::cmdline::Switch;
use crate::lapic::{LVT_MASKED, Lapic, Reg};
use crate::pit;
use crate::println;
use crate::trap::vector;

/// A time slice: how long an environment runs before the timer gives the CPU to the next one.
pub const TIME_SLICE_US: u64 = 10_000;
/// How long the calibration counts.
const CALIBRATION_US: u64 = 10_000;
/// The LVT timer entry's mode bit 17: periodic (reload at zero) instead of one-shot.
const PERIODIC: u32 = 1 << 17;
/// The divide configuration 0b0011: the timer counts the bus clock divided by 16.
const DIVIDE_BY_16: u32 = 0b0011;

/// Timer counts per time slice, measured once by the boot CPU.
static SLICE_COUNT: Once<u32> = Once::new();

/// Whether the CPUs' timers tick (`start`). `preempt=off` turns preemption off: an
/// environment keeps its CPU until it gives it up, as before this chapter, and an idle CPU
/// sleeps until the end of the run. For comparing the two, and for tests that expect chapter
/// 9's cooperative order.
static PREEMPTION: Switch = Switch::new("preempt=off");

/// Turns preemption off for the rest of the run if the kernel command line says so; the boot
/// CPU asks before any CPU starts its timer.
pub fn read_options(cmdline: &str) {
    PREEMPTION.read(cmdline, "timer: preemption off");
}

/// Measures the timer against the PIT (on the boot CPU, once) and says what it found.
pub fn calibrate(lapic: &Lapic) {
    SLICE_COUNT.call_once(|| {
        lapic.write(Reg::TimerDivide, DIVIDE_BY_16);
        // One-shot and masked: it counts, but raises nothing.
        lapic.write(Reg::LvtTimer, LVT_MASKED);
        lapic.write(Reg::TimerInitial, u32::MAX);
        pit::delay_us(CALIBRATION_US);
        let counted = u64::from(u32::MAX - lapic.read(Reg::TimerCurrent));
        lapic.write(Reg::TimerInitial, 0);
        let per_slice = (counted * TIME_SLICE_US / CALIBRATION_US).clamp(1, u64::from(u32::MAX));
        println!(
            "timer: the local APIC timer counts {} per {} ms (bus clock about {} MHz)",
            per_slice,
            TIME_SLICE_US / 1000,
            counted * 16 / CALIBRATION_US
        );
        per_slice as u32
    });
}

/// Starts this CPU's tick: the timer's vector every [`TIME_SLICE_US`], for good. It arrives
/// only while the CPU runs with interrupts on, that is in user mode or idle (`smp::idle`).
/// Nothing, with preemption off.
pub fn start(lapic: &Lapic) {
    let count = *SLICE_COUNT
        .get()
        .expect("timer: started before calibration");
    if !PREEMPTION.is_on() {
        return;
    }
    lapic.write(Reg::TimerDivide, DIVIDE_BY_16);
    lapic.write(Reg::LvtTimer, PERIODIC | u32::from(vector::TIMER));
    lapic.write(Reg::TimerInitial, count);
}
