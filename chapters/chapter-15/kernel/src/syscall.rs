//! System calls: decoding the call, checking the arguments, and the two ways a call can fail.
//!
//! A call that is refused returns an error number to the caller (`-abi::Error`): the caller
//! asked for something it may not have, and may try something else. A call that breaks the
//! rules of the kernel interface itself, such as handing the kernel a pointer to memory the
//! caller does not own, is a *fault*: the kernel reports it and destroys the caller, exactly as
//! if the program had touched that memory itself.

use abi::{Error, Syscall};

use crate::console;
use crate::cpu;
use crate::env::{self, EnvGuard};
use crate::env::{EnvStatus, EnvTable};
use crate::exofork;
use crate::ipc;
use crate::pgfault;
use crate::pgtable::PteFlags;
use crate::pmem;
use crate::println;
use crate::thread;
use crate::usermem::{BadAddress, UserRange};

/// How a system call can fail.
pub enum Failure {
    /// Refused: the caller gets the error back.
    Error(Error),
    /// The caller broke the interface: it is destroyed.
    Fault(BadAddress),
}

impl From<Error> for Failure {
    fn from(e: Error) -> Self {
        Failure::Error(e)
    }
}

impl From<BadAddress> for Failure {
    fn from(b: BadAddress) -> Self {
        Failure::Fault(b)
    }
}

/// Runs system call `num` for the environment in slot `cur`, with the table lock held on entry
/// and on return (`envs`); returns the value for its `rax`. A call that works on an address
/// space runs without the lock (`run_on_memory`); the others are short steps on the table and
/// keep it until the result is in the caller's registers: a call that makes the caller
/// runnable (a yield) must not let another CPU run it before then.
pub fn dispatch(mut envs: EnvGuard, cur: usize, num: u64, args: [u64; 5]) -> (EnvGuard, i64) {
    let result = match Syscall::from_number(num) {
        Some(call) => match run_on_memory(envs, cur, call, args) {
            Ok((guard, result)) => {
                envs = guard;
                result
            }
            Err(guard) => {
                envs = guard;
                run(&mut envs, cur, call, args)
            }
        },
        None => Err(Failure::Error(Error::Inval)),
    };
    let value = match result {
        Ok(value) => value,
        Err(Failure::Error(e)) => -(e as i64),
        Err(Failure::Fault(BadAddress(va))) => {
            println!(
                "[{:08x}] user_mem_check assertion failure for va {va:08x}",
                envs.get(cur).id
            );
            envs.destroy(cur);
            0
        }
    };
    if envs.current() == Some(cur) {
        envs.get_mut(cur).tf.regs.rax = value as u64;
    }
    (envs, value)
}

/// Runs `call` without the table lock if it works on an address space: lets go of `envs`,
/// runs it, and takes the lock again; returns the lock and the call's result. Any other call
/// is not run here: `Err` gives the lock back untouched.
fn run_on_memory(
    envs: EnvGuard,
    cur: usize,
    call: Syscall,
    a: [u64; 5],
) -> Result<(EnvGuard, Result<i64, Failure>), EnvGuard> {
    let unlocked: fn(usize, [u64; 5]) -> Result<i64, Failure> = match call {
        Syscall::Cputs => |cur, a| sys_cputs(cur, UserRange::new(a[0], a[1])),
        Syscall::PageAlloc => |_, a| exofork::sys_page_alloc(a[0], a[1], a[2]),
        Syscall::PageMap => |_, a| exofork::sys_page_map(a),
        Syscall::PageUnmap => |_, a| exofork::sys_page_unmap(a[0], a[1]),
        Syscall::IpcTrySend => |cur, a| ipc::sys_ipc_try_send(cur, a),
        _ => return Err(envs),
    };
    drop(envs);
    let result = unlocked(cur, a);
    Ok((env::lock(), result))
}

fn run(envs: &mut EnvTable, cur: usize, call: Syscall, a: [u64; 5]) -> Result<i64, Failure> {
    match call {
        Syscall::Cgetc => Ok(console::read_byte().map_or(0, i64::from)),
        Syscall::GetEnvId => Ok(i64::from(envs.get(cur).id)),
        Syscall::EnvDestroy => sys_env_destroy(envs, cur, a[0]),
        Syscall::Yield => sys_yield(envs, cur),
        Syscall::GetCpu => Ok(cpu::id() as i64),
        Syscall::Exofork => exofork::sys_exofork(envs, cur),
        Syscall::EnvSetStatus => exofork::sys_env_set_status(envs, a[0], a[1]),
        Syscall::IpcRecv => ipc::sys_ipc_recv(envs, cur, a[0]),
        Syscall::ThreadCreate => thread::sys_thread_create(envs, cur, a),
        Syscall::EnvSetPgfaultUpcall => Ok(pgfault::sys_env_set_pgfault_upcall(envs, a[0], a[1])?),
        Syscall::Cputs
        | Syscall::PageAlloc
        | Syscall::PageMap
        | Syscall::PageUnmap
        | Syscall::IpcTrySend => unreachable!("syscall: {call:?} runs without the table lock"),
    }
}

/// Prints the caller's string, after checking the caller may read all of it.
fn sys_cputs(cur: usize, s: UserRange) -> Result<i64, Failure> {
    // Its own address space, which no other CPU frees while this one runs the caller: the lock
    // just to read where it is.
    let root = env::lock().get(cur).root();
    pmem::with(|mem| {
        let checked = s.check(mem, root, PteFlags::empty())?;
        checked.for_each_chunk(mem, root, console::write_bytes);
        Ok(0)
    })
}

/// Gives up the CPU: the caller becomes runnable again, and the trap path, seeing it no longer
/// running, asks the scheduler, which looks at every other environment before this one.
fn sys_yield(envs: &mut EnvTable, cur: usize) -> Result<i64, Failure> {
    envs.get_mut(cur).status = EnvStatus::Runnable;
    Ok(0)
}

/// Destroys an environment: the caller itself or one of its children.
fn sys_env_destroy(envs: &mut EnvTable, cur: usize, id: u64) -> Result<i64, Failure> {
    let target = envs.lookup(id, true)?;
    if target == cur {
        println!("[{:08x}] exiting gracefully", envs.get(cur).id);
    } else {
        println!(
            "[{:08x}] destroying {:08x}",
            envs.get(cur).id,
            envs.get(target).id
        );
    }
    envs.destroy(target);
    Ok(0)
}
