//! The smpbook kernel.
//!
//! Boot order: `boot.S` enters long mode and calls `boot::boot_main`, which starts the console,
//! copies the boot information and calls [`kmain`]. `kmain` sets up segments and traps, physical
//! memory and the kernel page tables, creates one environment per program named on the kernel
//! command line, and hands the CPU to the scheduler for good.
#![no_std]
#![no_main]

mod acpi;
mod acpi_layout;
mod acpi_result;
mod addr;
mod argcheck;
mod aspace;
mod boot;
mod cmdline;
mod console;
mod cpu;
mod cpuset;
mod crosscall;
mod elf;
mod env;
mod envid;
mod exofork;
mod frame;
mod gdt;
mod ipc;
mod ipi;
mod lapic;
mod loader;
mod lockstat;
mod memmap;
mod mp;
mod mp_layout;
mod mp_result;
mod percpu;
mod pgfault;
mod pgtable;
mod pic;
mod pit;
mod pmem;
mod programs;
mod qemu;
mod roundrobin;
mod sched;
mod selftest;
mod shootdown;
mod smp;
mod spinlock;
mod syscall;
mod thiscpu;
mod thread;
mod timer;
mod tlbflush;
mod trap;
mod trapframe;
mod tsc;
mod usermem;
mod useropts;
mod vm;

use core::panic::PanicInfo;

use boot::BootInfo;
use qemu::ExitCode;

/// The kernel proper, on the boot CPU, after `boot_main`.
fn kmain(mut info: BootInfo) -> ! {
    trap::init();
    pic::init();
    let ram_end = pmem::init(&mut info.memory);
    vm::init(ram_end);
    percpu::init(0);
    let cmdline = core::str::from_utf8(info.cmdline()).unwrap_or("");
    let smp = cpu::find_cpus(&info);
    let lapic = lapic::init_boot_cpu(smp.lapic());
    cpu::set_table(&smp, &lapic);
    timer::calibrate(&lapic);
    tsc::calibrate();
    // The env table lock, before any other CPU runs kernel code; `sched::schedule` lets go of it
    // when this CPU enters user mode.
    let mut envs = env::lock();
    // Before any AP starts: an AP answers calls, or not, from its first spin.
    crosscall::read_options(cmdline);
    shootdown::read_options(cmdline);
    env::read_options(cmdline);
    smp::boot_aps();
    println!(
        "Physical memory: {}K available, {} pages free",
        ram_end / 1024,
        pmem::free_pages()
    );

    selftest::run_if_asked(cmdline);
    pmem::set_baseline();
    tsc::start_clock();
    let mut options = [0; useropts::MAX_LEN];
    let Some(options_len) = useropts::collect(cmdline, &mut options) else {
        println!(
            "kernel: the options are longer than {} bytes",
            useropts::MAX_LEN
        );
        qemu::exit(ExitCode::Failure);
    };
    for name in cmdline::programs(cmdline) {
        let Some(image) = programs::find(name) else {
            println!("kernel: unknown program '{name}'; the programs are:");
            for p in programs::names() {
                println!("  {p}");
            }
            qemu::exit(ExitCode::Failure);
        };
        match envs.create(image) {
            Ok(id) => useropts::pass(&mut envs, id, &options[..options_len]),
            Err(e) => panic!("cannot create environment for '{name}': {e}"),
        }
    }
    timer::read_options(cmdline);
    timer::start(&lapic);
    sched::schedule(envs)
}

#[panic_handler]
fn panic(info: &PanicInfo) -> ! {
    // Everyone else stops first, so this message is the last word and comes out whole.
    let stopped = ipi::stop_others();
    let (file, line) = info.location().map_or(("?", 0), |l| (l.file(), l.line()));
    console::panic_print(format_args!(
        "kernel panic on CPU {} at {}:{}: {}\n",
        // Not `cpu::id()`, which panics itself on an unknown APIC id.
        cpu::Number(cpu::try_id()),
        file,
        line,
        info.message()
    ));
    if stopped > 0 {
        console::panic_print(format_args!("  (stopped {stopped} other CPU(s))\n"));
    }
    if let Some(holder) = env::lock_holder() {
        console::panic_print(format_args!(
            "  (the env table lock is held by CPU {holder})\n"
        ));
    }
    qemu::exit(ExitCode::Failure)
}
