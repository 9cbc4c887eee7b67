//! The smpbook kernel.
//!
//! Boot order: `boot.S` enters long mode and calls `boot::boot_main`, which starts the console,
//! copies the boot information and calls [`kmain`]. `kmain` sets up segments and traps, physical
//! memory and the kernel page tables, creates one environment per program named on the kernel
//! command line, and hands the CPU to the scheduler for good.
#![no_std]
#![no_main]

mod addr;
mod boot;
mod cmdline;
mod console;
mod cpu;
mod elf;
mod env;
mod envid;
mod frame;
mod gdt;
mod lapic;
mod loader;
mod memmap;
mod mp;
mod mp_layout;
mod mp_result;
mod pgtable;
mod pic;
mod pmem;
mod programs;
mod qemu;
mod sched;
mod syscall;
mod trap;
mod trapframe;
mod usermem;
mod vm;

use core::panic::PanicInfo;

use boot::{BOOT_STACK, BootInfo};
use qemu::ExitCode;

/// The kernel proper, on the boot CPU, after `boot_main`.
fn kmain(mut info: BootInfo) -> ! {
    gdt::init(BOOT_STACK.top());
    trap::init();
    pic::init();
    let ram_end = pmem::init(&mut info.memory);
    vm::init(ram_end);
    let cmdline = core::str::from_utf8(info.cmdline()).unwrap_or("");
    let smp = cpu::find_cpus();
    let lapic = lapic::init_boot_cpu(smp.lapic());
    cpu::set_table(&smp, &lapic);
    println!(
        "Physical memory: {}K available, {} pages free",
        ram_end / 1024,
        pmem::free_pages()
    );

    let mut envs = env::lock_kernel();
    for name in cmdline::programs(cmdline) {
        let Some(image) = programs::find(name) else {
            println!("kernel: unknown program '{name}'; the programs are:");
            for p in programs::names() {
                println!("  {p}");
            }
            qemu::exit(ExitCode::Failure);
        };
        if let Err(e) = envs.create(image) {
            panic!("cannot create environment for '{name}': {e}");
        }
    }
    sched::schedule(envs)
}

#[panic_handler]
fn panic(info: &PanicInfo) -> ! {
    let (file, line) = info.location().map_or(("?", 0), |l| (l.file(), l.line()));
    console::panic_print(format_args!(
        "kernel panic on CPU {} at {}:{}: {}\n",
        // Not `cpu::id()`, which panics itself on an unknown APIC id.
        cpu::Number(cpu::try_id()),
        file,
        line,
        info.message()
    ));
    qemu::exit(ExitCode::Failure)
}
