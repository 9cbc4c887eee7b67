# pfentry.S: the page-fault upcall, the code the kernel sends an environment's page faults to
# (JOS's lib/pfentry.S). pgfault.rs registers it and passes in, as operands, the dispatcher and
# every offset into abi::UTrapframe.
#
# Entry state (set by the kernel's pgfault.rs): %rsp points at an abi::UTrapframe on the
# exception stack, 16-byte aligned; %rip = _pgfault_upcall. Every other register and the flags
# are still those of the faulting code (so the direction flag may be set); the frame holds
# them too, with the fault address, the error code and the trap-time %rip, rflags and %rsp.
#
# Protocol: call the Rust dispatcher with the frame's address (it runs the handler registered
# with set_pgfault_handler), then resume the faulting code without the kernel's help. That takes
# some care: once the flags are restored no instruction may change them, and once %rsp is the
# trap-time one nothing may be pushed below it, since the faulting code may keep data in the
# red zone (the RED_ZONE bytes below its stack pointer). So the trap-time %rip goes into the
# 8 bytes just below that red zone, at trap-time %rsp - RED_ZONE - 8, and the last
# instruction, `ret $RED_ZONE`, pops it and then moves %rsp up past the red zone, in one go.
# Those 8 bytes are free: on the normal stack they lie below everything the code uses, and
# on the exception stack (a fault in a handler) the kernel leaves them out of the new frame.
#
# Exit state: every general register, the flags, %rsp and %rip exactly as in the frame, that is,
# as at the fault: the faulting instruction runs again. The frame and the stack below it are
# left behind as garbage.

    .text
    .globl _pgfault_upcall
    .type _pgfault_upcall, @function
    .p2align 4
_pgfault_upcall:
    # The handler is Rust code, called like any function: the frame's address is its
    # argument, %rsp is 16-byte aligned as a call needs, and the ABI wants the direction
    # flag clear (the frame keeps the trap-time flags, so clearing it loses nothing).
    movq %rsp, %rdi
    cld
    call {dispatch}

    # Write the trap-time %rip below the trap-time red zone, and make that spot the %rsp
    # to load at the end. %rax and %rbx are free: they are reloaded from the frame next.
    movq {utf_rip}(%rsp), %rax
    movq {utf_rsp}(%rsp), %rbx
    subq ${red_zone_and_rip}, %rbx
    movq %rax, (%rbx)
    movq %rbx, {utf_rsp}(%rsp)

    # Every general register but %rsp, which still points at the frame.
    movq {utf_r15}(%rsp), %r15
    movq {utf_r14}(%rsp), %r14
    movq {utf_r13}(%rsp), %r13
    movq {utf_r12}(%rsp), %r12
    movq {utf_r11}(%rsp), %r11
    movq {utf_r10}(%rsp), %r10
    movq {utf_r9}(%rsp), %r9
    movq {utf_r8}(%rsp), %r8
    movq {utf_rbp}(%rsp), %rbp
    movq {utf_rdi}(%rsp), %rdi
    movq {utf_rsi}(%rsp), %rsi
    movq {utf_rdx}(%rsp), %rdx
    movq {utf_rcx}(%rsp), %rcx
    movq {utf_rbx}(%rsp), %rbx
    movq {utf_rax}(%rsp), %rax

    # The flags. The push takes the 8 bytes below the frame on the exception stack (the
    # address is computed before %rsp moves); popfq gives them back. From here on, only
    # instructions that leave the flags alone: mov and ret.
    pushq {utf_rflags}(%rsp)
    popfq

    # The stack: %rsp = trap-time %rsp - RED_ZONE - 8, where the trap-time %rip is.
    movq {utf_rsp}(%rsp), %rsp

    # Pop the %rip, then release RED_ZONE bytes: %rsp is the trap-time one again.
    ret ${red_zone}
    .size _pgfault_upcall, . - _pgfault_upcall
