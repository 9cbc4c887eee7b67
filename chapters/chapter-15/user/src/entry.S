# entry.S: the first instructions of every user program.
#
# Entry state (set by the kernel's ELF loader and useropts.rs): %rsp 16-byte aligned, in a
# one-page stack below USTACKTOP; %rdi and %rsi the address and length of the program's
# options, which lie above %rsp; every other general register zero.
#
# Protocol: clear the frame pointer, so that a backtrace stops here, and call libmain. The call
# pushes the 8-byte return address, which leaves %rsp 16-byte aligned minus 8 at libmain's first
# instruction, exactly as the System V ABI requires of a called function. libmain never
# returns; if it did, ud2 faults and the kernel destroys the environment.

    .text
    .globl _start
    .type _start, @function
_start:
    xorl %ebp, %ebp
    call {libmain}
    ud2
    .size _start, . - _start
