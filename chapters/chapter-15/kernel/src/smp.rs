//! Waking the application processors (APs).
//!
//! At reset only the bootstrap processor (BSP) runs; the others wait for a STARTUP IPI
//! (Intel MP spec, Appendix B; SDM Vol. 3A, 9.4). The BSP copies `trampoline.S` to a page
//! below 1 MiB (the STARTUP vector can only name such a page; the page is low memory, which
//! `pmem.rs` keeps off the free list), then starts the APs one at a time: it gives each its own
//! guard-paged kernel stack through the trampoline's parameter block, sends INIT-SIPI-SIPI, and
//! waits until the AP reports in before reusing the block for the next one. An AP that does not
//! report in within [`START_TIMEOUT_US`] is reported, put back to sleep with another INIT, and
//! left out.

use core::arch::asm;
use core::arch::global_asm;
use core::mem::offset_of;
use core::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

use crate::addr::{PAGE_SIZE, PhysAddr};
use crate::cpu::MAX_CPUS;
use crate::cpuset::CpuSet;
use crate::gdt;
use crate::ipi;
use crate::lapic::{Ipi, Lapic};
use crate::timer;
use crate::{cpu, env, percpu, pit, println, qemu, sched, trap, vm};

/// Where the trampoline is copied: a page of low memory (JOS uses the same page).
pub const TRAMPOLINE_PAGE: PhysAddr = PhysAddr::new(0x7000);

/// How long the BSP waits for an AP to report in. A real AP takes microseconds; under QEMU an AP
/// is a host thread, which a busy host may not schedule for a while, so the limit is generous.
pub const START_TIMEOUT_US: u64 = 1_000_000;

/// The trampoline's parameters, at `trampoline_params` in the copied page.
#[repr(C)]
struct TrampolineParams {
    /// The kernel's page-table root.
    root: u64,
    /// The top of the AP's kernel stack.
    stack_top: u64,
    /// The Rust entry point, `ap_main`.
    entry: u64,
    /// The AP's CPU number.
    cpu: u64,
}

global_asm!(
    include_str!("trampoline.S"),
    tramp_page = const TRAMPOLINE_PAGE.as_u64(),
    page_size = const PAGE_SIZE,
    params_size = const size_of::<TrampolineParams>(),
    p_root = const offset_of!(TrampolineParams, root),
    p_stack = const offset_of!(TrampolineParams, stack_top),
    p_entry = const offset_of!(TrampolineParams, entry),
    p_cpu = const offset_of!(TrampolineParams, cpu),
    // The trampoline's own GDT: entry 1 for 32-bit code, 2 for data, 3 for 64-bit code.
    code32 = const 1 << 3,
    data = const 2 << 3,
    code64 = const 3 << 3,
    data_descriptor = const gdt::segment(false, 0),
    code64_descriptor = const gdt::segment(true, 0),
    options(att_syntax)
);

unsafe extern "C" {
    static trampoline_start: u8;
    static trampoline_params: u8;
    static trampoline_end: u8;
}

/// Which CPUs have reported in.
static ONLINE: [AtomicBool; MAX_CPUS] = [const { AtomicBool::new(false) }; MAX_CPUS];

/// Starts every AP in the CPU table, one at a time. Runs on the BSP.
pub fn boot_aps() {
    let start = &raw const trampoline_start;
    let len = &raw const trampoline_end as usize - start as usize;
    // The code and its parameters, and below the page's top a few bytes of stack for the call
    // into boot.S's enter_long_mode.
    assert!(
        len + 16 <= PAGE_SIZE as usize,
        "smp: the trampoline does not fit in one page"
    );
    let page = TRAMPOLINE_PAGE.to_virt().as_ptr::<u8>();
    // SAFETY: the trampoline page is reserved low memory that only this function writes, and
    // `len` bytes of code start at trampoline_start.
    unsafe { core::ptr::copy_nonoverlapping(start, page, len) };
    let params_at = &raw const trampoline_params as usize - start as usize;
    assert!(
        params_at.is_multiple_of(8),
        "smp: trampoline parameters misaligned in the copy"
    );
    let params = page.wrapping_add(params_at).cast::<TrampolineParams>();

    let lapic = Lapic::this_cpu().expect("smp: local APIC not mapped");
    set_online(0, true);
    for cpu in 1..cpu::count() {
        let stack_top = vm::map_kernel_stack(cpu);
        let p = TrampolineParams {
            root: vm::kernel_root().as_u64(),
            stack_top: stack_top.as_u64(),
            entry: ap_main as *const () as u64,
            cpu: cpu as u64,
        };
        // SAFETY: `params` points into the copied page, 8-byte aligned (trampoline.S aligns
        // it), and no AP is running the trampoline now: the previous one has reported in or
        // has been put back to sleep.
        unsafe { params.write_volatile(p) };
        let apic_id = cpu::apic_id(cpu);
        lapic.start_ap(apic_id, TRAMPOLINE_PAGE);
        if !wait_online(cpu) {
            println!("SMP: CPU {cpu} (APIC id {apic_id}) did not start; going on without it");
            // Back to wait-for-STARTUP, so that it cannot wake late on another CPU's stack. (If
            // it reported in just now, too late, the INIT stops it all the same.)
            lapic.send(Ipi::init(apic_id));
            set_online(cpu, false);
        }
    }
}

/// Records whether `cpu` is online.
fn set_online(cpu: usize, online: bool) {
    ONLINE[cpu].store(online, Ordering::Release);
}

/// Waits, with the PIT as the clock, until `cpu` has reported in or the timeout has passed.
fn wait_online(cpu: usize) -> bool {
    const STEP_US: u64 = 100;
    for _ in 0..START_TIMEOUT_US / STEP_US {
        if ONLINE[cpu].load(Ordering::Acquire) {
            return true;
        }
        pit::delay_us(STEP_US);
    }
    ONLINE[cpu].load(Ordering::Acquire)
}

/// Where an AP arrives from the trampoline, on its own kernel stack and the kernel page tables.
extern "C" fn ap_main(cpu: u64) -> ! {
    let cpu = cpu as usize;
    percpu::init(cpu);
    trap::load();
    let lapic = Lapic::this_cpu().expect("smp: local APIC not mapped");
    lapic.init();
    assert!(
        cpu::id() == cpu,
        "smp: CPU {cpu} has someone else's APIC id"
    );
    println!("SMP: CPU {cpu} starting");
    set_online(cpu, true);
    // Only now, with everything of its own set up (and the boot CPU told, which is waiting for
    // that while it holds the lock), may this CPU run kernel code that touches shared state.
    let kernel = env::lock();
    println!("SMP: CPU {cpu} holds the env table lock");
    timer::start(&lapic);
    sched::schedule(kernel)
}

/// Which CPUs are halted: they have nothing more to say (see [`wait_for_others_to_halt`]).
static HALTED: [AtomicBool; MAX_CPUS] = [const { AtomicBool::new(false) }; MAX_CPUS];

/// Halts this CPU for good, after saying so (see [`wait_for_others_to_halt`]). The caller must
/// not hold the env table lock.
pub fn halt_this_cpu() -> ! {
    assert!(
        !env::holding_lock(),
        "smp: halting while holding the env table lock"
    );
    HALTED[cpu::id()].store(true, Ordering::Release);
    qemu::halt_forever()
}

/// Waits, with interrupts on, for this CPU's next interrupt (its tick, at the latest), which
/// `trap::trap`, seeing that this CPU was idle, answers by scheduling again. Meanwhile the CPU
/// counts as halted for [`wait_for_others_to_halt`]. The caller must not hold the big kernel
/// lock.
pub fn idle() -> ! {
    assert!(
        !env::holding_lock(),
        "smp: idling while holding the env table lock"
    );
    let me = percpu::this();
    HALTED[me.id()].store(true, Ordering::Release);
    let top = me.kernel_stack_top();
    // SAFETY: this CPU's kernel stack is free from `top` down: the code running now never
    // returns (this function diverges), so its frames may be abandoned, and no trap from user
    // mode can use the stack while this CPU is in the kernel. The interrupt that ends the `hlt`
    // lands on the stack and goes to `trap::trap`, which never returns here.
    unsafe {
        asm!(
            "movq {top}, %rsp",
            "xorl %ebp, %ebp",
            "2:",
            "sti",
            "hlt",
            "jmp 2b",
            top = in(reg) top,
            options(att_syntax, noreturn)
        )
    }
}

/// Whether this CPU is idle. Interrupts reach the kernel only in `idle`, so an interrupt in
/// kernel mode is a wake-up exactly when this says so.
pub fn is_idle() -> bool {
    HALTED[cpu::id()].load(Ordering::Acquire)
}

/// Marks this CPU idle, *before* it lets go of the env table lock on its way to `idle`: a CPU
/// that makes an environment runnable (holding the lock) then either sees this one idle and
/// wakes it, or made it runnable before this CPU's last look. Marking it after the lock is gone
/// would leave a gap in which the work appears, nobody wakes this CPU, and it sleeps through
/// it: a lost wake-up.
pub fn set_idle() {
    HALTED[cpu::id()].store(true, Ordering::Release);
}

/// This CPU, woken, has the env table lock and is no longer idle.
pub fn set_busy() {
    HALTED[cpu::id()].store(false, Ordering::Release);
}

/// Wakes one idle CPU, if there is one, to run an environment that has just become runnable,
/// instead of leaving it to that CPU's next tick (or, with `preempt=off`, to nobody). Called
/// with the env table lock held.
pub fn wake_an_idle_cpu() {
    // The search starts after the CPU woken last time: starting at CPU 0 would wake the same
    // CPU again and again (it counts as idle until it has the lock), and leave the others
    // to their ticks.
    let count = cpu::count();
    let start = NEXT_TO_WAKE.load(Ordering::Relaxed);
    let me = cpu::id();
    let idle = (0..count).map(|i| (start + i) % count).find(|&c| {
        c != me && ONLINE[c].load(Ordering::Acquire) && HALTED[c].load(Ordering::Acquire)
    });
    if let Some(cpu) = idle {
        NEXT_TO_WAKE.store(cpu + 1, Ordering::Relaxed);
        ipi::send(cpu, ipi::WAKE);
    }
}

/// Where [`wake_an_idle_cpu`] starts looking (changed under the env table lock).
static NEXT_TO_WAKE: AtomicUsize = AtomicUsize::new(0);

/// The CPUs that started: the only ones an IPI can reach (a CPU that did not start is in the
/// CPU table all the same).
pub fn online() -> CpuSet {
    (0..cpu::count())
        .filter(|&c| ONLINE[c].load(Ordering::Acquire))
        .fold(CpuSet::EMPTY, CpuSet::with)
}

/// Whether some CPU is ending the run.
static ENDING: AtomicBool = AtomicBool::new(false);

/// Ends the run from this CPU, unless another CPU is already doing so (then this one halts):
/// waits (up to a second, by the PIT) until every other CPU that started has halted, so that the
/// run ends after everything they had to say is said, and reports a CPU that does not halt.
pub fn wait_for_others_to_halt() {
    if ENDING.swap(true, Ordering::AcqRel) {
        halt_this_cpu();
    }
    const STEP_US: u64 = 1000;
    let me = cpu::id();
    let others = (0..cpu::count()).filter(|&c| c != me && ONLINE[c].load(Ordering::Acquire));
    for other in others {
        let mut waited = 0;
        while !HALTED[other].load(Ordering::Acquire) {
            if waited >= 1_000_000 {
                println!("SMP: CPU {other} is still running at the end");
                break;
            }
            pit::delay_us(STEP_US);
            waited += STEP_US;
        }
    }
}
