# trapentry.S: the way into the kernel on every interrupt, exception and system call, and the
# way back out to an environment.
#
# Entry state: the CPU has switched to the kernel stack (TSS rsp0 when coming from user mode)
# and pushed ss, rsp, rflags, cs, rip and, for some exceptions, an error code.
#
# Protocol: every vector has a stub of exactly {stub_size} bytes, at trap_stubs + vector *
# {stub_size} (trap.rs points the IDT there). A stub pushes a zero where the CPU pushes no
# error code, so every frame has the same shape, then the vector number, and jumps to
# trap_common, which pushes the general registers in the order of struct TrapFrame (trap.rs;
# the last pushed, r15, lies lowest) and calls trap(frame). trap() never returns.
#
# trap_return(frame) is the reverse: it makes the frame the stack, pops the registers, drops
# the vector and error code and returns with iretq to whatever the frame describes.

    .text
    .p2align 4
    .global trap_stubs
trap_stubs:
    .set vector, 0
    .rept 256
    .if vector == 8 || (vector >= 10 && vector <= 14) || vector == 17 || vector == 21 || vector == 29 || vector == 30
        # The CPU pushed an error code.
    .else
        pushq $0
    .endif
    pushq $vector
    jmp trap_common
    .p2align 4
    .set vector, vector + 1
    .endr
    # If any stub outgrew its slot, this would move backwards, which the assembler refuses.
    .org trap_stubs + 256 * {stub_size}

trap_common:
    # From user mode, GS holds the program's base: swap in this CPU's (percpu.rs).
    testb $3, {cs_from_vector}(%rsp)
    jz 1f
    swapgs
1:
    pushq %rax
    pushq %rbx
    pushq %rcx
    pushq %rdx
    pushq %rsi
    pushq %rdi
    pushq %rbp
    pushq %r8
    pushq %r9
    pushq %r10
    pushq %r11
    pushq %r12
    pushq %r13
    pushq %r14
    pushq %r15
    cld
    movq %rsp, %rdi
    call {trap}
    ud2

    .global trap_return
trap_return:
    movq %rdi, %rsp
    popq %r15
    popq %r14
    popq %r13
    popq %r12
    popq %r11
    popq %r10
    popq %r9
    popq %r8
    popq %rbp
    popq %rdi
    popq %rsi
    popq %rdx
    popq %rcx
    popq %rbx
    popq %rax
    # Drop the vector number and the error code.
    addq ${frame_tail}, %rsp
    # Back to user mode: give the program its GS base again.
    testb $3, {cs_from_rip}(%rsp)
    jz 2f
    swapgs
2:
    iretq
