//! Booting a kernel under QEMU, exactly as CONTRIBUTING.md describes, and reading QEMU's exit
//! status: the kernel stops the machine through the `isa-debug-exit` device, which makes QEMU
//! exit with `(value << 1) | 1`.

use std::ffi::OsString;
use std::path::{Path, PathBuf};

use crate::error::user_error;

/// The emulator's program name.
pub const PROGRAM: &str = "qemu-system-x86_64";

/// QEMU's exit status when the kernel finished cleanly (it wrote 0x10 to the exit port).
pub const CLEAN: i32 = 33;
/// QEMU's exit status when the kernel panicked (it wrote 0x01).
pub const PANIC: i32 = 3;
/// QEMU's exit status when the machine reset, which `-no-reboot` turns into an exit.
pub const RESET: i32 = 0;

/// How QEMU's TCG (its instruction translator) runs the virtual CPUs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Threads {
    /// QEMU's default: a host thread per virtual CPU, running at once (multi-threaded TCG),
    /// except under `-icount`, which forces one thread.
    Default,
    /// One host thread that runs the virtual CPUs in turn (`-accel tcg,thread=single`).
    Single,
}

/// The threading for `cpus` virtual CPUs on a host with `host_cores` cores: a thread per
/// virtual CPU only when each can have a core of its own.
///
/// With more virtual CPUs than cores, the host deschedules virtual CPUs at random, and a
/// spinlock then waits for host scheduling: when the CPU whose ticket is next is descheduled,
/// every CPU behind it spins away its host time slice (virtualization's lock-waiter preemption
/// problem). Measured on 2 cores: chapter 11's `primes` on 4 virtual CPUs did not reach 1877 in
/// two minutes with a thread each, and ends in 2.3 s with one thread, where a waiting CPU's
/// `pause` hands the thread to the next virtual CPU at once.
pub fn threads_for(cpus: u32, host_cores: usize) -> Threads {
    if cpus as usize > host_cores {
        Threads::Single
    } else {
        Threads::Default
    }
}

/// The number of cores this process may run on.
pub fn host_cores() -> usize {
    std::thread::available_parallelism().map_or(1, usize::from)
}

/// One boot of a kernel.
#[derive(Debug, Clone)]
pub struct Boot<'a> {
    pub kernel: &'a Path,
    /// The words of the kernel command line: programs to start and options (`NAME=VALUE`).
    pub progs: &'a [String],
    pub cpus: u32,
    /// How TCG runs the CPUs (see [`threads_for`]).
    pub threads: Threads,
    /// Wait for a debugger on localhost:1234 before running.
    pub gdb: bool,
    /// More arguments for QEMU, after ours.
    pub extra: &'a [String],
}

/// QEMU's arguments (without the program name) for `boot`.
pub fn args(boot: &Boot) -> Vec<OsString> {
    let mut args: Vec<OsString> = [
        // No default devices (network card, VGA, floppy, CD-ROM, monitor): the kernel uses
        // none of them, and the firmware boots about a third faster without them.
        "-nodefaults",
        "-display",
        "none",
        "-serial",
        "stdio",
        "-no-reboot",
        "-m",
        "128M",
        "-device",
        "isa-debug-exit,iobase=0xf4,iosize=0x04",
    ]
    .iter()
    .map(OsString::from)
    .collect();
    // A `-smp` among the extra arguments gives the topology itself: QEMU would merge ours into
    // it (`-smp 1,sockets=1 -smp 4` is one socket of four cores, not four sockets).
    if smp_in(boot.extra).is_none() {
        args.push("-smp".into());
        args.push(format!("{0},sockets={0}", boot.cpus).into());
    }
    if boot.threads == Threads::Single {
        args.push("-accel".into());
        args.push("tcg,thread=single".into());
    }
    args.push("-kernel".into());
    args.push(boot.kernel.into());
    args.push("-append".into());
    args.push(boot.progs.join(" ").into());
    if boot.gdb {
        args.push("-s".into());
        args.push("-S".into());
    }
    args.extend(boot.extra.iter().map(OsString::from));
    args
}

/// The number of CPUs that the last `-smp` among `extra` asks for, if there is one: its
/// `cpus=` or leading number, else the product of the topology's counts (`sockets=2,cores=4`).
/// `None` also when the value says no count.
pub fn smp_in(extra: &[String]) -> Option<u32> {
    let value = extra.windows(2).rev().find(|w| w[0] == "-smp")?[1].as_str();
    let (mut count, mut product) = (None, None::<u32>);
    for (i, part) in value.split(',').enumerate() {
        match part.split_once('=') {
            None if i == 0 => count = part.parse().ok(),
            Some(("cpus", n)) => count = n.parse().ok(),
            Some(("sockets" | "dies" | "clusters" | "cores" | "threads", n)) => {
                let n: u32 = n.parse().ok()?;
                product = Some(product.unwrap_or(1).saturating_mul(n));
            }
            _ => {}
        }
    }
    count.or(product)
}

/// What QEMU's exit status `status` says about the kernel.
pub fn describe_status(status: i32) -> &'static str {
    match status {
        CLEAN => "the kernel finished cleanly",
        PANIC => "kernel panicked",
        RESET => "the machine reset (triple fault?)",
        _ => "QEMU itself failed",
    }
}

/// The path of `qemu-system-x86_64`, or a user error that says how to install it.
pub fn find() -> anyhow::Result<PathBuf> {
    let path = std::env::var_os("PATH").unwrap_or_default();
    std::env::split_paths(&path)
        .map(|dir| dir.join(PROGRAM))
        .find(|candidate| is_executable(candidate))
        .ok_or_else(|| {
            user_error(format!(
                "{PROGRAM} not found: install it with 'sudo apt-get install qemu-system-x86' \
                 (Debian/Ubuntu) or 'brew install qemu' (macOS)"
            ))
        })
}

#[cfg(unix)]
fn is_executable(path: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    path.metadata()
        .is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
}

#[cfg(not(unix))]
fn is_executable(path: &Path) -> bool {
    path.is_file() || path.with_extension("exe").is_file()
}

/// Quotes `word` for a POSIX shell when it needs it, so printed commands can be pasted.
pub fn shell_quote(word: &str) -> String {
    let plain = |c: char| c.is_ascii_alphanumeric() || "-_./=,:@%+".contains(c);
    if !word.is_empty() && word.chars().all(plain) {
        word.to_string()
    } else {
        format!("'{}'", word.replace('\'', r"'\''"))
    }
}

/// The whole command line for `boot`, quoted for a shell.
pub fn command_line(boot: &Boot) -> String {
    let mut line = PROGRAM.to_string();
    for arg in args(boot) {
        line.push(' ');
        line.push_str(&shell_quote(&arg.to_string_lossy()));
    }
    line
}

/// The one-line command that attaches gdb to a kernel booted with `--gdb`.
pub fn gdb_command(kernel: &Path) -> String {
    let symbols = format!("symbol-file {}", kernel.display());
    format!(
        "gdb -ex 'target remote localhost:1234' -ex {}",
        shell_quote(&symbols)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn strings(args: Vec<OsString>) -> Vec<String> {
        args.into_iter().map(|a| a.into_string().unwrap()).collect()
    }

    #[test]
    fn boots_as_contributing_md_says() {
        let progs = vec!["hello".to_string(), "yield".to_string()];
        let boot = Boot {
            kernel: Path::new("/t/kernel"),
            progs: &progs,
            cpus: 4,
            threads: Threads::Default,
            gdb: false,
            extra: &[],
        };
        assert_eq!(
            command_line(&boot),
            "qemu-system-x86_64 -nodefaults -display none -serial stdio -no-reboot -m 128M \
             -device isa-debug-exit,iobase=0xf4,iosize=0x04 -smp 4,sockets=4 \
             -kernel /t/kernel -append 'hello yield'"
        );
    }

    #[test]
    fn gdb_and_extra_arguments_come_last() {
        let progs = vec!["hello".to_string()];
        let extra = vec!["-d".to_string(), "int".to_string()];
        let boot = Boot {
            kernel: Path::new("k"),
            progs: &progs,
            cpus: 1,
            threads: Threads::Default,
            gdb: true,
            extra: &extra,
        };
        let args = strings(args(&boot));
        assert_eq!(
            &args[args.len() - 6..],
            ["-append", "hello", "-s", "-S", "-d", "int"]
        );
        assert!(args.contains(&"1,sockets=1".to_string()));
    }

    #[test]
    fn one_thread_when_the_cpus_outnumber_the_cores() {
        assert_eq!(threads_for(1, 2), Threads::Default);
        assert_eq!(threads_for(2, 2), Threads::Default);
        assert_eq!(threads_for(4, 2), Threads::Single);
        assert_eq!(threads_for(8, 64), Threads::Default);
        let progs = vec!["hello".to_string()];
        let boot = Boot {
            kernel: Path::new("/t/kernel"),
            progs: &progs,
            cpus: 4,
            threads: Threads::Single,
            gdb: false,
            extra: &[],
        };
        assert!(command_line(&boot).contains("-smp 4,sockets=4 -accel tcg,thread=single -kernel"));
    }

    #[test]
    fn an_extra_smp_replaces_ours() {
        let words = |s: &str| s.split(' ').map(str::to_string).collect::<Vec<_>>();
        assert_eq!(smp_in(&words("-smp 4")), Some(4));
        assert_eq!(smp_in(&words("-m 64M -smp 8,sockets=2,cores=4")), Some(8));
        assert_eq!(smp_in(&words("-smp sockets=2,cores=3,threads=2")), Some(12));
        assert_eq!(
            smp_in(&words("-smp cpus=40,maxcpus=64 -smp 2")),
            Some(2),
            "the last one"
        );
        assert_eq!(smp_in(&words("-smp maxcpus=4")), None);
        assert_eq!(smp_in(&words("-machine q35")), None);
        let progs = vec!["hello".to_string()];
        let extra = words("-smp 4");
        let boot = Boot {
            kernel: Path::new("k"),
            progs: &progs,
            cpus: 4,
            threads: Threads::Single,
            gdb: false,
            extra: &extra,
        };
        let line = command_line(&boot);
        assert!(!line.contains("sockets"), "{line}");
        assert!(line.ends_with("-accel tcg,thread=single -kernel k -append hello -smp 4"));
    }

    #[test]
    fn describes_exit_statuses() {
        assert_eq!(describe_status(33), "the kernel finished cleanly");
        assert_eq!(describe_status(3), "kernel panicked");
        assert_eq!(describe_status(0), "the machine reset (triple fault?)");
        assert_eq!(describe_status(1), "QEMU itself failed");
    }

    #[test]
    fn quotes_for_the_shell() {
        assert_eq!(shell_quote("/a/b-c.d"), "/a/b-c.d");
        assert_eq!(shell_quote("a b"), "'a b'");
        assert_eq!(shell_quote("it's"), r"'it'\''s'");
        assert_eq!(shell_quote(""), "''");
        assert_eq!(
            gdb_command(Path::new(
                "/r/target/chapter-00/x86_64-unknown-none/debug/kernel"
            )),
            "gdb -ex 'target remote localhost:1234' \
             -ex 'symbol-file /r/target/chapter-00/x86_64-unknown-none/debug/kernel'"
        );
    }
}
