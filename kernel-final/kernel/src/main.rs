//! The smpbook kernel.
//!
//! Boot order: `boot.S` enters long mode and calls `boot::boot_main`, which starts the console,
//! copies the boot information and calls [`kmain`]. `kmain` sets up segments and traps, physical
//! memory and the kernel page tables, creates one environment per program named on the kernel
//! command line, and hands the CPU to the scheduler for good.
#![no_std]
#![no_main]

mod acpi; // @15 hidden
mod acpi_layout; // @15 hidden
mod acpi_result; // @15 hidden
mod addr;
mod argcheck; // @7 hidden
mod aspace; // @13 hidden
mod boot;
mod cmdline;
mod console;
mod cpu;
mod cpuset; // @12 hidden
mod crosscall; // @12 hidden
mod elf;
mod env;
mod envid;
mod exofork; // @7 hidden
mod frame;
mod gdt;
mod ipc; // @11 hidden
mod ipi; // @12 hidden
mod lapic; // @2 hidden
mod loader;
mod lockstat; // @13 hidden
mod memmap;
mod mp; // @1 hidden
mod mp_layout; // @1 hidden
mod mp_result; // @1 hidden
mod percpu; // @4 hidden
mod pgfault; // @8 hidden
mod pgtable;
mod pic;
mod pit; // @3 hidden
mod pmem;
mod programs;
mod qemu;
mod roundrobin; // @6 hidden
mod sched;
mod selftest; // @4 hidden
mod shootdown; // @13 hidden
mod smp; // @3 hidden
mod spinlock; // @5 hidden
mod syscall;
mod thiscpu; // @4 hidden
mod thread; // @13 hidden
mod timer; // @10 hidden
mod tlbflush; // @13 hidden
mod trap;
mod trapframe;
mod tsc; // @9 hidden
mod usermem;
mod useropts; // @11 hidden
mod vm;

use core::panic::PanicInfo;

//- use boot::{BOOT_STACK, BootInfo}; // @0..4 hidden
use boot::BootInfo; // @4 hidden
use qemu::ExitCode;

// @{ kmain
/// The kernel proper, on the boot CPU, after `boot_main`.
fn kmain(mut info: BootInfo) -> ! {
    // @{ percpu_bsp
    //- gdt::init(BOOT_STACK.top()); // @0..4
    trap::init();
    pic::init();
    let ram_end = pmem::init(&mut info.memory);
    vm::init(ram_end);
    percpu::init(0); // @4
    // @} percpu_bsp
    let cmdline = core::str::from_utf8(info.cmdline()).unwrap_or("");
    //- cpu::find_cpus(); // @1..2 find_cpus
    // @{ 2 lapic_setup
    //- let smp = cpu::find_cpus(); // @2..15
    let smp = cpu::find_cpus(&info); // @15 find_cpus_boot_info
    let lapic = lapic::init_boot_cpu(smp.lapic());
    cpu::set_table(&smp, &lapic);
    timer::calibrate(&lapic); // @10 timer_calibrate_bsp
    tsc::calibrate(); // @12 tsc_calibrate
    // @}
    // @{ bsp_lock
    // @{ 5
    // @{ 5..14 hidden
    //- // The big kernel lock, before any other CPU runs kernel code; `sched::schedule` lets go of it
    // @}
    // @{ 14 hidden
    // The env table lock, before any other CPU runs kernel code; `sched::schedule` lets go of it
    // @}
    // when this CPU enters user mode.
    //- let mut envs = env::lock_kernel(); // @5..14
    let mut envs = env::lock(); // @14 bsp_table_lock
    // @}
    // @{ 12 crosscall_options_read
    // Before any AP starts: an AP answers calls, or not, from its first spin.
    crosscall::read_options(cmdline);
    // @}
    shootdown::read_options(cmdline); // @13 shootdown_options
    env::read_options(cmdline); // @14 env_options
    smp::boot_aps(); // @3 boot_aps
    println!(
        "Physical memory: {}K available, {} pages free",
        ram_end / 1024,
        pmem::free_pages()
    );

    //- let mut envs = env::lock_kernel(); // @0..5
    // @} bsp_lock
    selftest::run_if_asked(cmdline); // @4 selftest_option
    pmem::set_baseline(); // @7 baseline
    tsc::start_clock(); // @9 start_clock
    // @{ 11 useropts_kmain
    let mut options = [0; useropts::MAX_LEN];
    let Some(options_len) = useropts::collect(cmdline, &mut options) else {
        println!(
            "kernel: the options are longer than {} bytes",
            useropts::MAX_LEN
        );
        qemu::exit(ExitCode::Failure);
    };
    // @}
    for name in cmdline::programs(cmdline) {
        let Some(image) = programs::find(name) else {
            println!("kernel: unknown program '{name}'; the programs are:");
            for p in programs::names() {
                println!("  {p}");
            }
            qemu::exit(ExitCode::Failure);
        };
        // @{ 0..11
        //- if let Err(e) = envs.create(image) {
        //-     panic!("cannot create environment for '{name}': {e}");
        //- }
        // @}
        // @{ 11 useropts_create
        match envs.create(image) {
            Ok(id) => useropts::pass(&mut envs, id, &options[..options_len]),
            Err(e) => panic!("cannot create environment for '{name}': {e}"),
        }
        // @}
    }
    timer::read_options(cmdline); // @10 timer_options
    timer::start(&lapic); // @10 timer_start_bsp
    sched::schedule(envs)
}
// @} kmain

#[panic_handler]
fn panic(info: &PanicInfo) -> ! {
    // @{ 12 panic_stop
    // Everyone else stops first, so this message is the last word and comes out whole.
    let stopped = ipi::stop_others();
    // @}
    let (file, line) = info.location().map_or(("?", 0), |l| (l.file(), l.line()));
    console::panic_print(format_args!(
        "kernel panic on CPU {} at {}:{}: {}\n",
        //- cpu::id(), // @0..2
        // @{ 2 panic_cpu
        // Not `cpu::id()`, which panics itself on an unknown APIC id.
        cpu::Number(cpu::try_id()),
        // @}
        file,
        line,
        info.message()
    ));
    // @{ 12 panic_stopped
    if stopped > 0 {
        console::panic_print(format_args!("  (stopped {stopped} other CPU(s))\n"));
    }
    // @}
    // @{ 5 panic_lock_holder
    //- if let Some(holder) = env::kernel_lock_holder() { // @5..14
    // @{ 14 panic_table_lock_holder
    if let Some(holder) = env::lock_holder() {
        // @}
        console::panic_print(format_args!(
            //- "  (the big kernel lock is held by CPU {holder})\n" // @5..14
            "  (the env table lock is held by CPU {holder})\n" // @14 panic_table_lock_message
        ));
    }
    // @}
    qemu::exit(ExitCode::Failure)
}
