//! The kernel/user contract: system-call numbers, error codes and the user address-space layout.
//!
//! Both the kernel and the user library depend on this crate, so the two sides can never disagree
//! about a number. System calls enter the kernel through `int $0x30` (a trap gate with DPL 3):
//! the call number goes in `rax`, up to five arguments in `rdi`, `rsi`, `rdx`, `rcx`, `r8`, and
//! the result comes back in `rax` (a negative value is `-Error`).
#![no_std]
#![deny(unsafe_code)]

/// The interrupt vector of the system-call gate (JOS's `T_SYSCALL`).
pub const SYSCALL_VECTOR: u8 = 0x30;

/// The system calls, numbered as the kernel dispatches them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u64)]
pub enum Syscall {
    /// Print `len` bytes at `ptr` on the console.
    Cputs = 0,
    /// Read a character from the console without blocking (0 if none).
    Cgetc = 1,
    /// The caller's environment id.
    GetEnvId = 2,
    /// Destroy an environment (0 means the caller).
    EnvDestroy = 3,
    /// Give up the CPU to another environment.
    Yield = 4,
    /// The number of the CPU the caller is running on (it may move at its next yield).
    GetCpu = 10,
    /// Create a child environment: a copy of the caller's registers with an empty address
    /// space, not runnable. Returns the child's id to the parent and 0 to the child.
    Exofork = 5,
    /// Set an environment's status to runnable or not runnable (`EnvStatusArg`).
    EnvSetStatus = 6,
    /// Allocate a zeroed page and map it at `va` in an environment with `perm` (see `perm`).
    PageAlloc = 7,
    /// Map the page at `srcva` in one environment at `dstva` in another with `perm`.
    PageMap = 8,
    /// Unmap the page at `va` in an environment.
    PageUnmap = 9,
    /// Set the function an environment's page faults are delivered to (see `UTrapframe`).
    EnvSetPgfaultUpcall = 11,
    /// Send a value, and perhaps a page, to an environment waiting in `IpcRecv` (see [`ipc`]).
    IpcTrySend = 12,
    /// Wait for a message, offering an address for a page (see [`ipc`]).
    IpcRecv = 13,
    /// Create a thread: an environment in the caller's address space, runnable, starting at
    /// `entry` with stack pointer `stack` and its first two arguments (`rdi`, `rsi`) given.
    ThreadCreate = 14,
}

impl Syscall {
    /// Every system call.
    pub const ALL: &'static [Syscall] = &[
        Syscall::Cputs,
        Syscall::Cgetc,
        Syscall::GetEnvId,
        Syscall::EnvDestroy,
        Syscall::Yield,
        Syscall::GetCpu,
        Syscall::Exofork,
        Syscall::EnvSetStatus,
        Syscall::PageAlloc,
        Syscall::PageMap,
        Syscall::PageUnmap,
        Syscall::EnvSetPgfaultUpcall,
        Syscall::IpcTrySend,
        Syscall::IpcRecv,
        Syscall::ThreadCreate,
    ];

    /// The system call with number `n`, if there is one.
    pub fn from_number(n: u64) -> Option<Syscall> {
        Self::ALL.iter().copied().find(|s| *s as u64 == n)
    }
}

/// The errors a system call returns (as `-(error as i64)`), JOS's `E_*` numbering.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(i64)]
pub enum Error {
    /// Unspecified or unknown problem.
    Unspecified = 1,
    /// The environment does not exist or the caller may not act on it.
    BadEnv = 2,
    /// Invalid parameter.
    Inval = 3,
    /// Out of memory.
    NoMem = 4,
    /// Every environment slot is in use.
    NoFreeEnv = 5,
    /// The target of an `IpcTrySend` is not waiting to receive.
    IpcNotRecv = 6,
}

impl Error {
    /// Every error, in number order.
    pub const ALL: &'static [Error] = &[
        Error::Unspecified,
        Error::BadEnv,
        Error::Inval,
        Error::NoMem,
        Error::NoFreeEnv,
        Error::IpcNotRecv,
    ];

    /// The error a negative system-call result stands for, if any.
    pub fn from_result(r: i64) -> Option<Error> {
        Self::ALL.iter().copied().find(|e| -(*e as i64) == r)
    }

    /// JOS's wording, so messages read the same as in JOS.
    pub fn message(self) -> &'static str {
        match self {
            Error::Unspecified => "unspecified error",
            Error::BadEnv => "bad environment",
            Error::Inval => "invalid parameter",
            Error::NoMem => "out of memory",
            Error::NoFreeEnv => "out of environments",
            Error::IpcNotRecv => "env is not recving",
        }
    }
}

impl core::fmt::Display for Error {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str(self.message())
    }
}

/// An environment id: generation in the high bits, table index in the low `LOG2_NENV` bits.
pub type EnvId = u32;

/// log2 of the number of environment slots.
pub const LOG2_NENV: u32 = 10;
/// The number of environment slots.
pub const NENV: usize = 1 << LOG2_NENV;

/// The size of a page.
pub const PGSIZE: u64 = 4096;

/// The statuses `sys_env_set_status` accepts (JOS's numbering).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u64)]
pub enum EnvStatusArg {
    /// Ready to run.
    Runnable = 2,
    /// Alive but not to be scheduled.
    NotRunnable = 4,
}

/// How a message travels (chapter 11). `IpcTrySend` takes the target's id, the value, a page
/// address and the page's permissions; `IpcRecv` takes the address where a page may go. A page
/// address at or above `UTOP` means "no page" (JOS's convention). When a send wakes the receiver,
/// its `IpcRecv` returns 0, and the message is in its registers:
pub mod ipc {
    /// Any page address at or above this means no page.
    pub const NO_PAGE: u64 = crate::layout::UTOP;
    /// The sender's id arrives in `rdi`, the value in `rsi`, and the permissions of the page
    /// mapped at the receiver's address in `rdx` (0 if no page came).
    pub const REGISTERS: [&str; 3] = ["rdi", "rsi", "rdx"];
}

/// The page-table permission bits user programs may pass to `sys_page_alloc` and
/// `sys_page_map`: x86_64's own bits (Intel SDM Vol. 3A, 4.5), of which only these are allowed.
pub mod perm {
    /// Present.
    pub const P: u64 = 1 << 0;
    /// Writable.
    pub const W: u64 = 1 << 1;
    /// User-accessible.
    pub const U: u64 = 1 << 2;
    /// The three bits the hardware ignores, free for user programs' own use (bits 9-11).
    pub const AVAIL: u64 = 0b111 << 9;
    /// Every bit a system call accepts; `P | U` must always be among them.
    pub const SYSCALL: u64 = P | W | U | AVAIL;
    /// Copy-on-write: an available bit the user library's `fork` uses to mark pages it shares
    /// read-only, to be copied on the first write (JOS's `PTE_COW`).
    pub const COW: u64 = 1 << 11;
}

/// A page fault's error code (Intel SDM Vol. 3A, 4.7, Figure 4-12): what kind of access
/// faulted. The CPU pushes it; the kernel prints it and passes it on to a user handler in
/// [`UTrapframe::err`]. Shown JOS's way: `[user, write, not-present]`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PageFaultErr(pub u64);

impl PageFaultErr {
    /// The page was present: the access broke its protection (else the page was missing).
    pub fn protection(self) -> bool {
        self.0 & 1 != 0
    }

    /// The access was a write (else a read).
    pub fn write(self) -> bool {
        self.0 & 2 != 0
    }

    /// The access came from user mode (else from the kernel).
    pub fn user(self) -> bool {
        self.0 & 4 != 0
    }
}

impl core::fmt::Display for PageFaultErr {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        let by = if self.user() { "user" } else { "kernel" };
        let access = if self.write() { "write" } else { "read" };
        let why = if self.protection() {
            "protection"
        } else {
            "not-present"
        };
        write!(f, "[{by}, {access}, {why}]")
    }
}

/// The general registers, in the order the kernel's trap entry pushes them (the last pushed,
/// `r15`, lies lowest): the first part of the kernel's trap frame, and of a user trap frame.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct PushRegs {
    pub r15: u64,
    pub r14: u64,
    pub r13: u64,
    pub r12: u64,
    pub r11: u64,
    pub r10: u64,
    pub r9: u64,
    pub r8: u64,
    pub rbp: u64,
    pub rdi: u64,
    pub rsi: u64,
    pub rdx: u64,
    pub rcx: u64,
    pub rbx: u64,
    pub rax: u64,
}

/// What the kernel pushes on the user exception stack for a page fault (JOS's `UTrapframe`):
/// everything the handler needs to know, and everything the upcall needs to resume the
/// faulting code exactly where and as it was.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct UTrapframe {
    /// The faulting address (CR2).
    pub fault_va: u64,
    /// The page-fault error code (bit 0: protection, 1: write, 2: user).
    pub err: u64,
    /// The general registers at the time of the fault.
    pub regs: PushRegs,
    /// The faulting instruction.
    pub rip: u64,
    /// The flags at the time of the fault.
    pub rflags: u64,
    /// The stack pointer at the time of the fault.
    pub rsp: u64,
}
const _: () = assert!(size_of::<UTrapframe>() == 20 * 8);

/// The bytes below a stack pointer that x86_64 code may use without moving it (the System V
/// ABI's red zone). A frame pushed below a trap-time stack pointer must leave them alone.
pub const RED_ZONE: u64 = 128;

/// The user address-space layout (addresses are user virtual addresses).
///
/// ```text
///  0x0000_8000_0000_0000  ULIM: end of the lower canonical half; nothing above is user's
///                         (PML4 slot 255, reserved for the read-only page-table view)
///  0x0000_7f80_0000_0000  UTOP: user programs may map pages below this
///                         (one page: the user exception stack, chapter 8)
///  UXSTACKTOP - PGSIZE    (an unmapped guard page)
///  USTACKTOP              the normal user stack grows down from here
///        ...
///  0x0000_0000_0080_0000  UTEXT: programs are linked here
///  0x0000_0000_0000_0000  (page 0 stays unmapped to catch null pointers)
/// ```
pub mod layout {
    use super::PGSIZE;

    /// The first address that is not user space.
    pub const ULIM: u64 = 0x0000_8000_0000_0000;
    /// The top of the region user programs may map.
    pub const UTOP: u64 = 0x0000_7f80_0000_0000;
    /// The top of the one-page user exception stack.
    pub const UXSTACKTOP: u64 = UTOP;
    /// The read-only view of the environment's own page tables: PML4 slot 255 points at the
    /// PML4 itself, so the page tables of the lower half appear here as ordinary (read-only)
    /// memory. The entry for `va` at each level, as an array of `u64` indexed by `va`'s page
    /// number shifted right by 0, 9, 18 and 27 bits:
    pub const UVPT: u64 = UTOP;
    /// The page directories' entries (indexed by `va >> 21`).
    pub const UVPD: u64 = UVPT + (255 << 30);
    /// The page-directory-pointer tables' entries (indexed by `va >> 30`).
    pub const UVPDPT: u64 = UVPD + (255 << 21);
    /// The PML4's entries (indexed by `va >> 39`).
    pub const UVPML4: u64 = UVPDPT + (255 << 12);
    /// The top of the normal user stack (below the exception stack and a guard page).
    pub const USTACKTOP: u64 = UTOP - 2 * PGSIZE;
    /// Where user programs are linked.
    pub const UTEXT: u64 = 0x80_0000;
}
